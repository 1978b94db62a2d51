"""Weight regularizers (`keras.regularizers`): callables weight -> scalar penalty added to the loss.

>>> import graphflow as tf
>>> float(tf.keras.regularizers.L2(0.5)(tf.constant([1., 2.])))
2.5
"""
import numpy as np

from ..ops import math_ops as _m
from .losses import l2_normalize as _l2_normalize
from .naming import custom_object, keras_dict


class Regularizer:
    def __call__(self, x):
        return 0.0

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class L1L2(Regularizer):
    """l1 * sum(|x|) + l2 * sum(x^2)."""

    def __init__(self, l1=0.0, l2=0.0):
        self.l1, self.l2 = float(l1), float(l2)

    def __call__(self, x):
        out = None
        if self.l1:
            out = self.l1 * _m.reduce_sum(_m.abs(x))
        if self.l2:
            t = self.l2 * _m.reduce_sum(_m.square(x))
            out = t if out is None else out + t
        return out if out is not None else _m.reduce_sum(x) * 0.0

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class L1(L1L2):
    def __init__(self, l1=0.01):
        super().__init__(l1=l1)

    def get_config(self):
        return {"l1": self.l1}


class L2(L1L2):
    def __init__(self, l2=0.01):
        super().__init__(l2=l2)

    def get_config(self):
        return {"l2": self.l2}


class OrthogonalRegularizer(Regularizer):
    """factor * mean |cos| between distinct rows ('rows') or columns ('columns') of a 2-D
    weight: factor * 0.5 * sum(|N N^T - diag|) / (n (n - 1) / 2) with N row-normalized (Keras).

    >>> import graphflow as tf
    >>> round(float(OrthogonalRegularizer(1.0)(tf.constant([[1., 0.], [1., 1.]]))), 4)
    0.7071
    """

    def __init__(self, factor=0.01, mode="rows"):
        if mode not in ("rows", "columns"):
            raise ValueError(f'OrthogonalRegularizer: mode must be "rows" or "columns", got '
                             f"{mode!r}")
        self.factor, self.mode = float(factor), mode

    def __call__(self, x):
        if x.ndim != 2:
            raise ValueError(f"Inputs to OrthogonalRegularizer must have rank 2. Received: "
                             f"inputs.shape={tuple(x.shape)}")
        axis = 1 if self.mode == "rows" else 0
        n = _l2_normalize(x, axis)
        product = _m.matmul(n, n, transpose_b=True) if axis == 1 else \
            _m.matmul(n, n, transpose_a=True)
        size = int(x.shape[1 - axis])
        off = product * (1.0 - np.eye(size, dtype=x.dtype.np))
        return self.factor * 0.5 * _m.reduce_sum(_m.abs(off)) / (size * (size - 1.0) / 2.0)

    def get_config(self):
        return {"factor": self.factor, "mode": self.mode}


l1, l2, l1_l2 = L1, L2, L1L2
orthogonal_regularizer = OrthogonalRegularizer


def get(identifier):
    if identifier is None:
        return None
    table = {"l1": L1, "l2": L2, "l1_l2": L1L2, "l1l2": L1L2,
             "orthogonal_regularizer": OrthogonalRegularizer,
             "orthogonalregularizer": OrthogonalRegularizer}
    if isinstance(identifier, dict) and "class_name" in identifier:   # a Keras config dict
        if custom_object(identifier) is not None:   # a user's (registered / in scope) class
            return deserialize(identifier)
        key = identifier["class_name"].lower()
        if key not in table:
            raise ValueError(f"Unknown regularizer: {identifier['class_name']!r}")
        return table[key](**(identifier.get("config") or {}))
    if isinstance(identifier, str):
        key = identifier.lower()
        if key not in table:
            raise ValueError(f"Unknown regularizer: {identifier!r}")
        return table[key]()
    if callable(identifier):
        return identifier
    raise TypeError(f"Could not interpret regularizer identifier: {identifier!r}")


def serialize(regularizer):
    """A regularizer as Keras 3's config dict.

    >>> serialize(L2(0.1))["class_name"], deserialize(serialize(L2(0.1))).l2
    ('L2', 0.1)
    """
    return keras_dict(regularizer, "keras.regularizers")


def deserialize(config, custom_objects=None):
    """A regularizer from `serialize`'s dict (or a name)."""
    cls = custom_object(config, custom_objects)
    if cls is not None:
        return cls.from_config(config.get("config") or {})
    return get(config)
