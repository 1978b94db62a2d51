"""Weight constraints (`keras.constraints`): functions applied to a weight after every
optimizer update (Keras 3: `variable.assign(variable.constraint(variable))`), set on a layer
with `kernel_constraint=` / `bias_constraint=` / `embeddings_constraint=` or on
`add_weight(constraint=...)`.

>>> import numpy as np, graphflow as tf
>>> w = tf.constant([[3.0, 0.1], [4.0, 0.2]])
>>> tf.keras.constraints.MaxNorm(2.0)(w).numpy().round(4)   # column norms 5 -> 2, 0.22 kept
array([[1.2, 0.1],
       [1.6, 0.2]], dtype=float32)
"""
from ..ops import math_ops as _m
from . import config as _config
from .losses import as_tensor as _tensor, snake_case
from .naming import custom_object, keras_dict


def _norms(w, axis):
    return _m.sqrt(_m.reduce_sum(_m.square(w), axis, keepdims=True))


class Constraint:
    """Base class: `__call__(w)` returns the projected weight (the identity here)."""

    def __call__(self, w):
        return w

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} {self.get_config()}>"


class MaxNorm(Constraint):
    """Rescale the slices along `axis` whose L2 norm exceeds `max_value` down to it
    (w * clip(norm, 0, max_value) / (eps + norm))."""

    def __init__(self, max_value=2, axis=0):
        self.max_value, self.axis = max_value, axis

    def __call__(self, w):
        w = _tensor(w)
        norms = _norms(w, self.axis)
        desired = _m.clip_by_value(norms, 0.0, float(self.max_value))
        return w * (desired / (_config.epsilon() + norms))

    def get_config(self):
        return {"max_value": self.max_value, "axis": self.axis}


class NonNeg(Constraint):
    """max(w, 0).

    >>> NonNeg()([-1.0, 2.0]).numpy()
    array([0., 2.], dtype=float32)
    """

    def __call__(self, w):
        return _m.maximum(_tensor(w), 0.0)


class UnitNorm(Constraint):
    """w / (eps + ||w||) along `axis`.

    >>> UnitNorm(axis=1)([[3.0, 4.0]]).numpy().round(4)
    array([[0.6, 0.8]], dtype=float32)
    """

    def __init__(self, axis=0):
        self.axis = axis

    def __call__(self, w):
        w = _tensor(w)
        return w / (_config.epsilon() + _norms(w, self.axis))

    def get_config(self):
        return {"axis": self.axis}


class MinMaxNorm(Constraint):
    """Move each slice's norm towards [min_value, max_value]: the new norm is
    rate * clip(norm, min_value, max_value) + (1 - rate) * norm.

    >>> MinMaxNorm(1.0, 2.0)([[0.3], [0.4]]).numpy().round(4)   # norm 0.5 -> 1
    array([[0.6],
           [0.8]], dtype=float32)
    """

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        self.min_value, self.max_value, self.rate, self.axis = min_value, max_value, rate, axis

    def __call__(self, w):
        w = _tensor(w)
        norms = _norms(w, self.axis)
        desired = self.rate * _m.clip_by_value(norms, float(self.min_value),
                                               float(self.max_value)) + (1 - self.rate) * norms
        return w * (desired / (_config.epsilon() + norms))

    def get_config(self):
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate,
                "axis": self.axis}


max_norm, non_neg, unit_norm, min_max_norm = MaxNorm, NonNeg, UnitNorm, MinMaxNorm

_ALL = {c.__name__: c for c in (Constraint, MaxNorm, MinMaxNorm, NonNeg, UnitNorm)}
_ALL.update({snake_case(name): c for name, c in list(_ALL.items())})


def serialize(constraint):
    """A constraint as Keras 3's config dict.

    >>> serialize(MaxNorm(3))["config"]
    {'max_value': 3, 'axis': 0}
    """
    if constraint is None:
        return None
    return keras_dict(constraint, "keras.constraints")


def deserialize(config, custom_objects=None):
    """A constraint from `serialize`'s dict."""
    name = config["class_name"]
    cls = custom_object(config, custom_objects) or _ALL.get(name)
    if cls is None:
        raise ValueError(f"Unknown constraint {name!r}; pass it in custom_objects")
    return cls.from_config(config.get("config", {}))


def get(identifier):
    """A constraint from None, a name ('max_norm', 'NonNeg'), a config dict, a class, or any
    callable (returned as is).

    >>> type(get("non_neg")).__name__, get(None)
    ('NonNeg', None)
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        return deserialize(identifier)
    obj = _ALL.get(identifier) if isinstance(identifier, str) else identifier
    if isinstance(obj, type):
        obj = obj()
    if callable(obj):
        return obj
    raise ValueError(f"Could not interpret constraint identifier: {identifier!r}")
