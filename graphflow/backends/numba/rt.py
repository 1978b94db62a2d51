"""Names the generated kernels use (`from graphflow.backends.numba.rt import *`).

float32 transcendental functions come from `vmath` (vectorizable); float64 ones use numpy's
(libm, full accuracy). Everything here is `inline='always'`, so the calling kernel's fastmath
flags apply and the loop body stays one straight-line, vectorizable block.
"""
import math

import numba
import numpy as np

from .vmath import (FASTMATH_FLAGS, erf_f32, exp_f32, log1p_f32, log_f32, sigmoid_f32,
                    softplus_f32, tanh_f32)

__all__ = ["FASTMATH_FLAGS", "KERNEL_FLAGS", "erf_f32", "exp_f32", "log1p_f32", "log_f32",
           "sigmoid_f32", "softplus_f32", "tanh_f32", "max_", "min_", "sigmoid_f64",
           "softplus_f64", "erf_f64", "floordiv_f32", "floordiv_f64", "ipow_"]

#: the kernels' flags: vmath's set without 'afn' and 'arcp', so 1/sqrt(0) stays inf (LLVM would
#: use an approximate rsqrt) and x/y stays a correctly rounded division (measured: no slowdown)
KERNEL_FLAGS = set(FASTMATH_FLAGS) - {"afn", "arcp"}

_inline = numba.njit(inline="always", error_model="numpy", fastmath=FASTMATH_FLAGS)


@_inline
def max_(a, b):
    """np.maximum: NaN-propagating (a select, so it vectorizes)."""
    return a if (a >= b or a != a) else b


@_inline
def min_(a, b):
    """np.minimum: NaN-propagating."""
    return a if (a <= b or a != a) else b


@_inline
def sigmoid_f64(x):
    """Stable logistic, as the op table's numpy implementation."""
    e = np.exp(-abs(x))
    return (1.0 if x >= 0 else e) / (1.0 + e)


@_inline
def softplus_f64(x):
    m = x if x > 0 else 0.0
    return m + np.log1p(np.exp(-abs(x)))


@_inline
def erf_f64(x):
    return math.erf(x)


def _make_floordiv(T):
    one, half = T(1), T(0.5)

    @_inline
    def floordiv(a, b):
        """np.floor_divide for floats (numpy's npy_divmod: floordiv(inf, y) is nan)."""
        mod = np.fmod(a, b)
        if b == 0:
            return a / b
        div = (a - mod) / b
        if mod != 0 and (b < 0) != (mod < 0):
            div = div - one
        if div != 0:
            fd = np.floor(div)
            if div - fd > half:
                fd = fd + one
            return fd
        return np.copysign(div - div, a / b)
    return floordiv


floordiv_f32 = _make_floordiv(np.float32)
floordiv_f64 = _make_floordiv(np.float64)


@_inline
def ipow_(a, b):
    """Integer power by squaring; wraps on overflow like numpy (negative exponents give 0,
    where numpy raises)."""
    r = a - a + 1
    e = b
    while e > 0:
        if e & 1:
            r = r * a
        a = a * a
        e >>= 1
    return r if b >= 0 else r - r
