"""Weight regularizers (`keras.regularizers`): callables weight -> scalar penalty added to the loss.

>>> import graphflow as tf
>>> float(tf.keras.regularizers.L2(0.5)(tf.constant([1., 2.])))
2.5
"""
from ..ops import math_ops as _m


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


l1, l2, l1_l2 = L1, L2, L1L2


def get(identifier):
    if identifier is None:
        return None
    table = {"l1": L1, "l2": L2, "l1_l2": L1L2, "l1l2": L1L2}
    if isinstance(identifier, dict) and "class_name" in identifier:   # a Keras config dict
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
