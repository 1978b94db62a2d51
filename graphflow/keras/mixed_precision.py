"""`keras.mixed_precision`: dtype policies (Keras 3). A policy names the dtype a layer
computes in and the dtype of its variables: under 'mixed_float16' a layer keeps float32
variables, casts its floating inputs to float16 and reads its variables as float16 inside its
`call` (autocasting; gradients reach the float32 variables through the cast), and
`Model.compile` wraps the optimizer in a `LossScaleOptimizer` (dynamic loss scaling), as Keras 3.
A layer given `dtype='float32'` (the guide's softmax output layer) computes in float32 again.

>>> from graphflow.keras import mixed_precision, layers
>>> mixed_precision.set_global_policy("mixed_float16")
>>> d = layers.Dense(2)
>>> y = d([[1.0, 2.0, 3.0]])
>>> y.dtype.name, d.kernel.dtype.name, d.compute_dtype, d.variable_dtype
('float16', 'float32', 'float16', 'float32')
>>> mixed_precision.set_global_policy("float32")
>>> p = mixed_precision.global_policy()
>>> p.name, p.compute_dtype, p.variable_dtype
('float32', 'float32', 'float32')
"""
import types

from .. import dtypes as _dt
from . import config as _config
from .optimizers import LossScaleOptimizer  # noqa: F401  (keras.mixed_precision's name)


class DTypePolicy:
    """A dtype policy (Keras 3's `DTypePolicy`): the dtype layers compute in and the dtype of
    their variables, from a name such as 'float32' or 'mixed_float16'."""

    def __init__(self, name="float32"):
        name = getattr(name, "name", name)
        if not isinstance(name, str):   # a dtype (tf.float64, np.float32)
            try:
                name = _dt.as_dtype(name).name
            except (TypeError, ValueError, KeyError):
                raise TypeError(f"DTypePolicy: name must be a string, got {name!r}") from None
        mixed = {"mixed_float16": "float16", "mixed_bfloat16": "bfloat16"}
        if name in mixed:
            self._compute, self._variable = mixed[name], "float32"
        elif name == "bfloat16":   # (described; layers cannot compute in it: no such dtype)
            self._compute = self._variable = name
        else:   # Keras 3: any dtype name is a policy computing in it (an int32 layer)
            try:
                self._compute = self._variable = _dt.as_dtype(name).name
            except (TypeError, ValueError, KeyError):
                raise ValueError(f"Cannot convert {name!r} to a mixed precision DTypePolicy. "
                                 "Valid policies include 'mixed_float16', 'mixed_bfloat16', "
                                 "and the name of any float dtype such as 'float32'.") from None
        self.name = name

    @property
    def compute_dtype(self):
        return self._compute

    @property
    def variable_dtype(self):
        return self._variable

    def get_config(self):
        return {"name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __eq__(self, other):
        return isinstance(other, DTypePolicy) and other.name == self.name

    def __hash__(self):
        return hash(self.name)

    def __repr__(self):
        return f'<DTypePolicy "{self.name}">'


Policy = DTypePolicy   # tf.keras 2's name


def global_policy():
    """The global dtype policy (float32 unless set)."""
    return DTypePolicy(_config.dtype_policy())


def set_global_policy(policy):
    """Set the global dtype policy: a name or a DTypePolicy (None resets to float32); policies
    such as 'mixed_float16' apply to layers created afterwards (their `dtype=None`)."""
    _config.set_dtype_policy(DTypePolicy("float32" if policy is None else policy).name)


def dtype_policy():
    """The global dtype policy (Keras 3's `keras.mixed_precision.dtype_policy`).

    >>> dtype_policy().name
    'float32'
    """
    return global_policy()


set_dtype_policy = set_global_policy


class FloatDTypePolicy(DTypePolicy):
    """Keras 3's `keras.dtype_policies.FloatDTypePolicy`: a float (or mixed float) policy."""


def serialize(policy):
    """A policy as Keras 3's config dict.

    >>> serialize(DTypePolicy("mixed_float16"))["config"]
    {'name': 'mixed_float16'}
    """
    return {"module": "keras", "class_name": type(policy).__name__,
            "config": policy.get_config(), "registered_name": None}


def deserialize(config, custom_objects=None):
    """A policy from `serialize`'s dict (or from a name)."""
    if isinstance(config, str):
        return DTypePolicy(config)
    cls = {"DTypePolicy": DTypePolicy, "FloatDTypePolicy": FloatDTypePolicy,
           **(custom_objects or {})}.get(config.get("class_name"))
    if cls is None:
        raise ValueError(f"Unknown dtype policy {config.get('class_name')!r} (graphflow has float "
                         "policies only: no quantized ones)")
    return cls.from_config(config.get("config", {}))


def get(identifier):
    """A policy from a name, a config dict or a policy (None: the global policy).

    >>> get("mixed_float16").compute_dtype
    'float16'
    """
    if identifier is None:
        return global_policy()
    if isinstance(identifier, DTypePolicy):
        return identifier
    return deserialize(identifier)


#: `keras.dtype_policies` (Keras 3): the float policies and their (de)serialization
dtype_policies = types.ModuleType("keras.dtype_policies")
dtype_policies.__dict__.update(DTypePolicy=DTypePolicy, FloatDTypePolicy=FloatDTypePolicy,
                               get=get, serialize=serialize, deserialize=deserialize)
