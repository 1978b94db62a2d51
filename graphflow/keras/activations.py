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


_BY_NAME = {f.__name__: f for f in (linear, relu, sigmoid, softmax, log_softmax, tanh, gelu, elu,
                                    selu, softplus, softsign, silu, leaky_relu, relu6,
                                    hard_sigmoid, exponential)}
_BY_NAME["swish"] = silu


def get(identifier):
    """An activation function from a name, a callable, or None (linear)."""
    if identifier is None:
        return linear
    if callable(identifier):
        return identifier
    if isinstance(identifier, str):
        try:
            return _BY_NAME[identifier.lower()]
        except KeyError:
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
    if registered is not None and _BY_NAME.get(getattr(fn, "__name__", "")) is not fn:
        return {"module": "builtins", "class_name": "function", "config": registered,
                "registered_name": "function"}
    return getattr(fn, "__name__", repr(fn))
