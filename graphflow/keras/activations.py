"""Activation functions by name (`keras.activations.get('relu')`).

`softmax` and `sigmoid` remember the logits they were computed from, so a probability loss
(`from_logits=False`) on their output is computed from the logits instead (stable, no clipping),
as Keras does.

>>> import graphflow as tf
>>> from graphflow.keras import activations
>>> activations.get("relu")(tf.constant([-1., 2.])).numpy()
array([0., 2.], dtype=float32)
"""
import weakref

from ..ops import math_ops as _m, nn_ops as _nn
from ..tensor import convert_to_tensor
from .naming import custom_object

# id(output) -> (weakref to output, kind, logits): see `logits_of`
_LOGITS = {}


def _remember(out, kind, logits):
    key = id(out)

    def forget(ref, key=key):
        entry = _LOGITS.get(key)
        if entry is not None and entry[0] is ref:
            del _LOGITS[key]
    try:
        _LOGITS[key] = (weakref.ref(out, forget), kind, logits)
    except TypeError:   # not weak-referenceable: just don't remember
        pass
    return out


def logits_of(t, kind):
    """The logits `t` was computed from by `softmax` (kind 'softmax') or `sigmoid`, else None."""
    entry = _LOGITS.get(id(t))
    if entry is not None and entry[0]() is t and entry[1] == kind:
        return entry[2]
    return None


def linear(x):
    return x


def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    x = convert_to_tensor(x)
    if negative_slope == 0.0 and max_value is None and threshold == 0.0:
        return _m.relu(x)
    y = _m.where(_m.greater_equal(x, threshold), x, (x - threshold) * negative_slope)
    if max_value is not None:
        y = _m.minimum(y, float(max_value))
    return y


def sigmoid(x):
    x = convert_to_tensor(x)
    return _remember(_m.sigmoid(x), "sigmoid", x)


def softmax(x, axis=-1):
    x = convert_to_tensor(x)
    out = _nn.softmax(x, axis)
    if axis in (-1, x.ndim - 1):
        _remember(out, "softmax", x)
    return out


def log_softmax(x, axis=-1):
    return _nn.log_softmax(x, axis)


def tanh(x):
    return _m.tanh(x)


def gelu(x, approximate=False):
    return _nn.gelu(x, approximate)


def elu(x, alpha=1.0):
    x = convert_to_tensor(x)
    return _m.where(_m.greater(x, 0.0), x, (_m.exp(_m.minimum(x, 0.0)) - 1.0) * alpha)


def selu(x):
    alpha, scale = 1.6732632423543772, 1.0507009873554805
    return elu(x, alpha) * scale


def softplus(x):
    return _m.softplus(x)


def softsign(x):
    x = convert_to_tensor(x)
    return x / (_m.abs(x) + 1.0)


def silu(x):
    return _nn.silu(x)


swish = silu


def leaky_relu(x, negative_slope=0.2):
    return _nn.leaky_relu(x, negative_slope)


def relu6(x):
    return _nn.relu6(x)


def hard_sigmoid(x):
    return _m.clip_by_value(convert_to_tensor(x) * (1.0 / 6.0) + 0.5, 0.0, 1.0)


def exponential(x):
    return _m.exp(x)


def mish(x):
    """x * tanh(softplus(x)) (Keras 3's `keras.activations.mish`).

    >>> import graphflow as tf
    >>> round(float(mish(tf.constant(1.0))), 6)
    0.865098
    """
    x = convert_to_tensor(x)
    return x * _m.tanh(_m.softplus(x))


def _nn_ops():
    """keras.ops.nn, where these activations are defined once (imported on use: keras.ops
    imports keras.layers, which imports this module)."""
    from .ops import nn
    return nn


def _doc(name, call, result):
    return (f"Keras 3's `keras.activations.{name}`: `keras.ops.{name}` (one definition).\n\n"
            f"    >>> import graphflow as tf\n    >>> from graphflow.keras import activations\n"
            f"    >>> {call}\n    {result}\n")


_X = "[round(float(v), 4) for v in activations.{}(tf.constant([-2.0, -0.3, 0.4, 3.0]))]"


def celu(x, alpha=1.0):
    return _nn_ops().celu(x, alpha)


def glu(x, axis=-1):
    return _nn_ops().glu(x, axis)


def hard_shrink(x, threshold=0.5):
    return _nn_ops().hard_shrink(x, threshold)


def hard_silu(x):
    return _nn_ops().hard_silu(x)


hard_swish = hard_silu


def hard_tanh(x):
    return _nn_ops().hard_tanh(x)


def log_sigmoid(x):
    return _nn_ops().log_sigmoid(x)


def soft_shrink(x, threshold=0.5):
    return _nn_ops().soft_shrink(x, threshold)


def sparse_plus(x):
    return _nn_ops().sparse_plus(x)


def sparse_sigmoid(x):
    return _nn_ops().sparse_sigmoid(x)


def sparsemax(x, axis=-1):
    return _nn_ops().sparsemax(x, axis)


def squareplus(x, b=4):
    return _nn_ops().squareplus(x, b)


def tanh_shrink(x):
    return _nn_ops().tanh_shrink(x)


def threshold(x, threshold, default_value):
    return _nn_ops().threshold(x, threshold, default_value)


for _f, _call, _res in (
        (celu, _X.format("celu"), "[-0.8647, -0.2592, 0.4, 3.0]"),
        (glu, "round(float(activations.glu(tf.constant([[0.5, 2.0]]))[0, 0]), 4)", "0.4404"),
        (hard_shrink, _X.format("hard_shrink"), "[-2.0, 0.0, 0.0, 3.0]"),
        (hard_silu, _X.format("hard_silu"), "[-0.3333, -0.135, 0.2267, 3.0]"),
        (hard_tanh, _X.format("hard_tanh"), "[-1.0, -0.3, 0.4, 1.0]"),
        (log_sigmoid, _X.format("log_sigmoid"), "[-2.1269, -0.8544, -0.513, -0.0486]"),
        (soft_shrink, _X.format("soft_shrink"), "[-1.5, 0.0, 0.0, 2.5]"),
        (sparse_plus, _X.format("sparse_plus"), "[0.0, 0.1225, 0.49, 3.0]"),
        (sparse_sigmoid, _X.format("sparse_sigmoid"), "[0.0, 0.35, 0.7, 1.0]"),
        (sparsemax, "activations.sparsemax(tf.constant([[0.5, 1.5, -1.0, 2.0]])).numpy().tolist()",
         "[[0.0, 0.25, 0.0, 0.75]]"),
        (squareplus, _X.format("squareplus"), "[0.4142, 0.8612, 1.2198, 3.3028]"),
        (tanh_shrink, _X.format("tanh_shrink"), "[-1.036, -0.0087, 0.0201, 2.0049]"),
        (threshold, "activations.threshold(tf.constant([-1.0, 0.5, 3.0]), 0.2, -7.0).numpy()"
                    ".tolist()", "[-7.0, 0.5, 3.0]")):
    _f.__doc__ = _doc(_f.__name__, _call, _res)
del _f, _call, _res

_BY_NAME = {f.__name__: f for f in (linear, relu, sigmoid, softmax, log_softmax, tanh, gelu, elu,
                                    selu, softplus, softsign, silu, leaky_relu, relu6,
                                    hard_sigmoid, exponential, mish, celu, glu, hard_shrink,
                                    hard_silu, hard_tanh, log_sigmoid, soft_shrink, sparse_plus,
                                    sparse_sigmoid, sparsemax, squareplus, tanh_shrink,
                                    threshold)}
_BY_NAME["swish"] = silu
_BY_NAME["hard_swish"] = hard_silu


def get(identifier):
    """An activation function from a name, a callable, or None (linear)."""
    if identifier is None:
        return linear
    if callable(identifier):
        return identifier
    if isinstance(identifier, dict):   # serialize's dict of a function
        return deserialize(identifier)
    if isinstance(identifier, str):
        try:
            return _BY_NAME[identifier.lower()]
        except KeyError:
            if custom_object({"class_name": identifier}) is not None:   # registered / in scope
                return custom_object({"class_name": identifier})
            raise ValueError(f"Unknown activation function: {identifier!r}. "
                             f"Known: {sorted(_BY_NAME)}") from None
    raise TypeError(f"Could not interpret activation function identifier: {identifier!r}")


def serialize(fn):
    """A built-in activation's name; a function registered with
    `keras.saving.register_keras_serializable` as Keras 3 writes it (a `builtins.function`
    config holding its registered name); else the function's name.

    >>> serialize(relu)
    'relu'
    """
    registered = getattr(fn, "_registered_name", None)
    name = getattr(fn, "__name__", None)
    if registered is None and name is not None and \
            not getattr(fn, "__module__", "graphflow.").startswith("graphflow."):
        registered = name   # a function of the user's, registered or not (Keras 3)
    if registered is not None and _BY_NAME.get(name or "") is not fn:
        return {"module": "builtins", "class_name": "function", "config": registered,
                "registered_name": "function"}
    return name or repr(fn)


def deserialize(config, custom_objects=None):
    """The activation function a config names (Keras 3's `keras.activations.deserialize`): a
    name, or `serialize`'s `{"class_name": "function", "config": name}` dict; names are looked
    up in `custom_objects`, then the registered functions, then the built-ins.

    >>> deserialize("mish") is mish
    True
    >>> deserialize({"module": "keras.activations", "class_name": "function",
    ...              "config": "celu", "registered_name": "function"}) is celu
    True
    """
    if isinstance(config, dict):
        config = config.get("config")
    if not isinstance(config, str):
        raise ValueError(f"keras.activations.deserialize: could not interpret {config!r} "
                         "(expected a function name or a serialized function dict)")
    fn = custom_object({"class_name": config}, custom_objects)   # also a custom_object_scope's
    return fn if fn is not None else get(config)
