"""`tf.bitwise`: bitwise_and / bitwise_or / bitwise_xor / invert / left_shift / right_shift on
integer tensors, as op-table entries (elementwise in meaning, with broadcasting; kind OTHER: the
numba backend has no scalar code for them, so each runs as one numpy call). They have no
derivative: their inputs and outputs are integers.

Shifts follow TF's kernels: the shift amount is clamped to [0, bits - 1] (numpy leaves larger
shifts to the C compiler), and right_shift is arithmetic for signed types.

>>> import graphflow as tf
>>> tf.bitwise.bitwise_and(tf.constant([5, 12]), 6).numpy()
array([4, 4], dtype=int32)
>>> tf.bitwise.right_shift(tf.constant([-8, 8]), 2).numpy()
array([-2,  2], dtype=int32)
"""
import numpy as np

from ..dispatch import bind
from ..tensor import constant, convert_args  # noqa: F401  (constant: doctests)
from .registry import OTHER, defop, elementwise_rule

__all__ = ["bitwise_and", "bitwise_or", "bitwise_xor", "invert", "left_shift", "right_shift"]


def _shift(ufunc):
    def impl(x, y):
        bits = np.dtype(np.result_type(x)).itemsize * 8
        y = np.clip(y, 0, bits - 1).astype(np.result_type(x))
        return ufunc(x, y).astype(np.result_type(x))
    return impl


def _defop(name, impl, arity, doc):
    return defop(name, impl, elementwise_rule(name, "iu"), kind=OTHER, arity=arity,
                 nondiff_reason=f"{name} maps integers to integers", doc=doc)


AND = _defop("bitwise_and", np.bitwise_and, 2, "Elementwise x & y of integers.")
OR = _defop("bitwise_or", np.bitwise_or, 2, "Elementwise x | y of integers.")
XOR = _defop("bitwise_xor", np.bitwise_xor, 2, "Elementwise x ^ y of integers.")
INVERT = _defop("invert", np.invert, 1, "Elementwise ~x (every bit flipped) of integers.")
LSHIFT = _defop("left_shift", _shift(np.left_shift), 2,
                "Elementwise x << y, y clamped to [0, bits - 1] (as TF's kernel).")
RSHIFT = _defop("right_shift", _shift(np.right_shift), 2,
                "Elementwise x >> y (arithmetic for signed types), y clamped to [0, bits - 1].")


def _binary_api(op, example):
    def api(x, y, name=None):
        return bind(op, convert_args(x, y, op=op.name), {})
    api.__name__ = api.__qualname__ = op.name
    api.__doc__ = f"`tf.bitwise.{op.name}`: {op.doc}\n\n{example}"
    return api


bitwise_and = _binary_api(AND, ">>> bitwise_and(constant([5, 12]), 6).numpy()\n"
                          "array([4, 4], dtype=int32)")
bitwise_or = _binary_api(OR, ">>> bitwise_or(constant([5, 12]), 6).numpy()\n"
                         "array([ 7, 14], dtype=int32)")
bitwise_xor = _binary_api(XOR, ">>> bitwise_xor(constant([5, 12]), 6).numpy()\n"
                          "array([ 3, 10], dtype=int32)")
left_shift = _binary_api(LSHIFT, ">>> left_shift(constant([1, -3]), 2).numpy()\n"
                         "array([  4, -12], dtype=int32)")
right_shift = _binary_api(RSHIFT, ">>> right_shift(constant([-8, 8]), 2).numpy()\n"
                          "array([-2,  2], dtype=int32)")


def invert(x, name=None):
    """`tf.bitwise.invert`: every bit of an integer flipped (~x; 255 - x for uint8).

    >>> invert(constant([0, 5], dtype="uint8")).numpy()
    array([255, 250], dtype=uint8)
    """
    return bind(INVERT, convert_args(x, op="invert"), {})
