"""keras.ops.numpy: Keras 3's numpy-style operations on graphflow ops (numpy semantics:
`axis=None` reduces over everything, `keepdims`, negative axes), traceable inside
`tf.function` and differentiable where the underlying graphflow ops are.

>>> import numpy as np
>>> from graphflow.keras.ops import numpy as knp
>>> x = np.array([[1.0, -2.0], [3.0, 4.0]], "float32")
>>> knp.amax(x, axis=1).numpy().tolist(), knp.hstack([x, x]).shape, knp.tril(x).numpy().tolist()
([1.0, 4.0], TensorShape([2, 4]), [[1.0, 0.0], [3.0, 4.0]])
"""
import builtins
import math as _math

import numpy as np

from ...ops import array_ops as _a, creation as _c, math_ops as _m, misc_ops as _mo
from ...ops import shape_ops as _s, special_ops as _sp, complex_ops as _cx, linalg_ops as _la
from ...ops import segment_ops as _seg
from ...tensor import convert_to_tensor, is_tensor
from .promote import binary as _binary, floating as _floating
from ...control_flow import while_loop as _while_loop
from ...py_func import numpy_function as _numpy_function


def _t(x):
    return convert_to_tensor(x)




def _rank(x):
    return len(_t(x).shape)


def _axis(axis, rank):
    return axis + rank if axis < 0 else axis


def _static_shape(x):
    return tuple(_t(x).shape)


# --- the graphflow ops under their numpy names ------------------------------------------
matmul = _m.matmul
negative, sign, floor, ceil = _m.negative, _m.sign, _m.floor, _m.ceil


def _promoted(fn, name, what):
    def op(x1, x2):
        return fn(*_binary(x1, x2))
    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"Elementwise {what}, with Keras' dtype promotion (int tensor and float -> " \
        "float32)."
    return op


add, subtract, multiply = (_promoted(_m.add, "add", "x1 + x2"),
                           _promoted(_m.subtract, "subtract", "x1 - x2"),
                           _promoted(_m.multiply, "multiply", "x1 * x2"))
maximum, minimum = (_promoted(_m.maximum, "maximum", "maximum"),
                    _promoted(_m.minimum, "minimum", "minimum"))
equal, not_equal = (_promoted(_m.equal, "equal", "x1 == x2"),
                    _promoted(_m.not_equal, "not_equal", "x1 != x2"))
greater, greater_equal = (_promoted(_m.greater, "greater", "x1 > x2"),
                          _promoted(_m.greater_equal, "greater_equal", "x1 >= x2"))
less, less_equal = (_promoted(_m.less, "less", "x1 < x2"),
                    _promoted(_m.less_equal, "less_equal", "x1 <= x2"))


def logical_and(x1, x2):
    """Elementwise and of `x1`, `x2` as booleans (Keras 3 casts: nonzero is True).

    >>> from graphflow.keras import ops
    >>> ops.logical_and([0.0, 1.0, 2.0], [1.0, 1.0, 0.0]).numpy().tolist()
    [False, True, False]
    """
    return _m.logical_and(_m.cast(x1, "bool"), _m.cast(x2, "bool"))


def logical_or(x1, x2):
    """Elementwise or of `x1`, `x2` as booleans (nonzero is True).

    >>> from graphflow.keras import ops
    >>> ops.logical_or([0.0, 0.0, 2.0], [0.0, 1.0, 0.0]).numpy().tolist()
    [False, True, True]
    """
    return _m.logical_or(_m.cast(x1, "bool"), _m.cast(x2, "bool"))


def logical_not(x):
    """Elementwise not of `x` as booleans (nonzero is True).

    >>> from graphflow.keras import ops
    >>> ops.logical_not([0.0, 2.0]).numpy().tolist()
    [True, False]
    """
    return _m.logical_not(_m.cast(x, "bool"))


absolute = abs = fabs = _m.abs
einsum = _a.einsum
zeros, ones = _c.zeros, _c.ones


def _unary(fn, name, what, floating=True):
    def op(x):
        return fn(_floating(x) if floating else _t(x))
    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"Elementwise {what} (numpy's `{name}`); integer inputs give float32."
    return op


exp, log, log1p, expm1 = (_unary(_m.exp, "exp", "e**x"), _unary(_m.log, "log", "natural log"),
                          _unary(_m.log1p, "log1p", "log(1 + x)"),
                          _unary(_m.expm1, "expm1", "exp(x) - 1"))
sqrt, square = _unary(_m.sqrt, "sqrt", "square root"), _unary(_m.square, "square", "x**2", False)
sin, cos, tan, tanh = (_unary(_m.sin, "sin", "sine"), _unary(_m.cos, "cos", "cosine"),
                       _unary(_m.tan, "tan", "tangent"), _unary(_m.tanh, "tanh", "tanh"))
sinh, cosh = _unary(_m.sinh, "sinh", "sinh"), _unary(_m.cosh, "cosh", "cosh")
arcsin, arccos, arctan = (_unary(_m.asin, "arcsin", "arcsine"),
                          _unary(_m.acos, "arccos", "arccosine"),
                          _unary(_m.atan, "arctan", "arctangent"))
arcsinh, arccosh, arctanh = (_unary(_m.asinh, "arcsinh", "asinh"),
                             _unary(_m.acosh, "arccosh", "acosh"),
                             _unary(_m.atanh, "arctanh", "atanh"))
reciprocal = _unary(_m.reciprocal, "reciprocal", "1 / x")


def round(x, decimals=0):
    """Round half to even to `decimals` places (numpy's `round`)."""
    x = _t(x)
    if decimals == 0:
        return _m.round(x)
    f = 10.0 ** decimals
    return _m.round(_floating(x) * f) / f


def log10(x):
    """Base-10 logarithm."""
    return _m.log(_floating(x)) / _math.log(10.0)


def log2(x):
    """Base-2 logarithm."""
    return _m.log(_floating(x)) / _math.log(2.0)


def exp2(x):
    """2 ** x."""
    return _m.exp(_floating(x) * _math.log(2.0))


def cbrt(x):
    """Real cube root (negative for negative x)."""
    x = _floating(x)
    return _m.sign(x) * _m.pow(_m.abs(x), 1.0 / 3.0)


def deg2rad(x):
    """Degrees to radians."""
    return _floating(x) * (_math.pi / 180.0)


def rad2deg(x):
    """Radians to degrees."""
    return _floating(x) * (180.0 / _math.pi)


def arctan2(x1, x2):
    """Elementwise arctan(x1 / x2) choosing the quadrant."""
    return _m.atan2(_floating(x1), _floating(x2))


def hypot(x1, x2):
    """sqrt(x1**2 + x2**2)."""
    x1, x2 = _floating(x1), _floating(x2)
    return _m.sqrt(x1 * x1 + x2 * x2)


def divide(x1, x2):
    """True division; integer inputs give float32."""
    return _m.divide(_floating(x1), _floating(x2))


true_divide = divide


def divide_no_nan(x1, x2):
    """x1 / x2, and 0 where x2 == 0."""
    return _m.divide_no_nan(_floating(x1), _floating(x2))


def floor_divide(x1, x2):
    """Division rounded toward minus infinity."""
    return _m.floordiv(*_binary(x1, x2))


def mod(x1, x2):
    """Remainder with the sign of the divisor (numpy's `mod`)."""
    return _m.floormod(*_binary(x1, x2))


def fmod(x1, x2):
    """Remainder with the sign of the dividend (C's fmod)."""
    return _mo.truncatemod(*_binary(x1, x2))


def power(x1, x2):
    """x1 ** x2, broadcast."""
    return _m.pow(*_binary(x1, x2))


def trunc(x):
    """Round toward zero."""
    x = _t(x)
    if not x.dtype.is_floating:
        return x
    return _m.sign(x) * _m.floor(_m.abs(x))


def signbit(x):
    """True where the sign bit is set (negative numbers, -0.0)."""
    x = _t(x)
    if not x.dtype.is_floating:
        return _m.less(x, 0)
    ints = {"float16": "int16", "bfloat16": "int16", "float32": "int32", "float64": "int64"}
    return _m.less(_mo.bitcast(x, ints[x.dtype.name]), 0)


def heaviside(x1, x2):
    """0 where x1 < 0, x2 where x1 == 0, 1 where x1 > 0."""
    x1, x2 = _floating(x1), _floating(x2)
    return _m.where(_m.less(x1, 0.0), _m.zeros_like(x1 + x2),
                    _m.where(_m.greater(x1, 0.0), _m.ones_like(x1 + x2), x2 + _m.zeros_like(x1)))


def sinc(x):
    """sin(pi x) / (pi x), 1 at 0."""
    x = _floating(x)
    zero = _m.equal(x, 0.0)
    safe = _m.where(zero, _m.ones_like(x), x) * _math.pi
    return _m.where(zero, _m.ones_like(x), _m.sin(safe) / safe)


def logaddexp(x1, x2):
    """log(exp(x1) + exp(x2)), computed stably."""
    x1, x2 = _floating(x1), _floating(x2)
    hi = _m.maximum(x1, x2)
    return hi + _m.log1p(_m.exp(-_m.abs(x1 - x2)))


def logaddexp2(x1, x2):
    """log2(2**x1 + 2**x2), computed stably."""
    x1, x2 = _floating(x1), _floating(x2)
    return _m.maximum(x1, x2) + _m.log1p(exp2(-_m.abs(x1 - x2))) / _math.log(2.0)


def logical_xor(x1, x2):
    """Elementwise exclusive or."""
    return _m.not_equal(_m.cast(x1, "bool"), _m.cast(x2, "bool"))


def ldexp(x1, x2):
    """x1 * 2 ** x2."""
    x1 = _floating(x1)
    return x1 * _m.pow(_m.cast(2.0, x1.dtype), _m.cast(x2, x1.dtype))


def fmax(x1, x2):
    """Elementwise maximum ignoring NaNs."""
    x1, x2 = _floating(x1), _floating(x2)
    return _m.where(_m.is_nan(x1), x2, _m.where(_m.is_nan(x2), x1, _m.maximum(x1, x2)))


def fmin(x1, x2):
    """Elementwise minimum ignoring NaNs."""
    x1, x2 = _floating(x1), _floating(x2)
    return _m.where(_m.is_nan(x1), x2, _m.where(_m.is_nan(x2), x1, _m.minimum(x1, x2)))


def isnan(x):
    """True where x is NaN."""
    x = _t(x)
    return _m.is_nan(x) if x.dtype.is_floating else _m.cast(_m.zeros_like(x), "bool")


def isinf(x):
    """True where x is +-inf."""
    x = _t(x)
    return _m.is_inf(x) if x.dtype.is_floating else _m.cast(_m.zeros_like(x), "bool")


def isfinite(x):
    """True where x is neither inf nor NaN."""
    x = _t(x)
    return _m.is_finite(x) if x.dtype.is_floating else _m.cast(_m.ones_like(x), "bool")


def isposinf(x):
    """True where x is +inf."""
    x = _t(x)
    return _m.logical_and(isinf(x), _m.greater(x, 0))


def isneginf(x):
    """True where x is -inf."""
    x = _t(x)
    return _m.logical_and(isinf(x), _m.less(x, 0))


def isclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    """|x1 - x2| <= atol + rtol * |x2| (numpy's `isclose`)."""
    x1, x2 = _floating(x1), _floating(x2)
    out = _m.less_equal(_m.abs(x1 - x2), atol + rtol * _m.abs(x2))
    out = _m.logical_or(out, _m.equal(x1, x2))
    if equal_nan:
        out = _m.logical_or(out, _m.logical_and(_m.is_nan(x1), _m.is_nan(x2)))
    return out


def allclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    """True when every element is `isclose`."""
    return _m.reduce_all(isclose(x1, x2, rtol, atol, equal_nan))


def nan_to_num(x, nan=0.0, posinf=None, neginf=None):
    """NaN -> `nan`, +inf -> `posinf` (dtype max), -inf -> `neginf` (dtype min)."""
    x = _t(x)
    if not x.dtype.is_floating:
        return x
    info = np.finfo(x.dtype.as_numpy_dtype)
    hi = info.max if posinf is None else posinf
    lo = info.min if neginf is None else neginf
    x = _m.where(_m.is_nan(x), _m.zeros_like(x) + nan, x)
    x = _m.where(isposinf(x), _m.zeros_like(x) + hi, x)
    return _m.where(isneginf(x), _m.zeros_like(x) + lo, x)


def real(x):
    """The real part."""
    x = _t(x)
    return _cx.real(x) if x.dtype.is_complex else x


def imag(x):
    """The imaginary part (zeros for real input)."""
    x = _t(x)
    return _cx.imag(x) if x.dtype.is_complex else _m.zeros_like(x)


def conj(x):
    """The complex conjugate."""
    x = _t(x)
    return _cx.conj(x) if x.dtype.is_complex else x


conjugate = conj


def angle(x):
    """The argument of a complex number."""
    x = _t(x)
    return _cx.angle(x) if x.dtype.is_complex else _m.atan2(_m.zeros_like(_floating(x)),
                                                             _floating(x))


def isreal(x):
    """True where the imaginary part is zero."""
    return _m.equal(imag(x), 0)


# --- reductions ------------------------------------------------------------------------
#: booleans reduce as Keras does: sum/prod count in int32, max/min are any/all
_BOOL_REDUCE = {"sum": "int32", "prod": "int32", "max": _m.reduce_any, "min": _m.reduce_all}


def _reduction(reduce, name, what, cast_bool=False):
    def op(x, axis=None, keepdims=False):
        x = _t(x)
        fn = reduce
        if cast_bool:
            x = _m.cast(x, "bool")
        elif x.dtype.name == "bool" and name in _BOOL_REDUCE:
            how = _BOOL_REDUCE[name]
            x, fn = (_m.cast(x, how), reduce) if isinstance(how, str) else (x, how)
        return fn(x, axis=axis, keepdims=keepdims)
    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"{what} over `axis` (all axes by default), keeping reduced axes with keepdims."
    return op


sum = _reduction(_m.reduce_sum, "sum", "Sum")
max = amax = _reduction(_m.reduce_max, "max", "Maximum")
min = amin = _reduction(_m.reduce_min, "min", "Minimum")
prod = _reduction(_m.reduce_prod, "prod", "Product")
all = _reduction(_m.reduce_all, "all", "Logical and", cast_bool=True)
any = _reduction(_m.reduce_any, "any", "Logical or", cast_bool=True)
logsumexp = _reduction(_m.reduce_logsumexp, "logsumexp", "log(sum(exp(x))), computed stably,")


def mean(x, axis=None, keepdims=False):
    """Mean over `axis` (all axes by default); integer inputs give float32."""
    return _m.reduce_mean(_floating(x), axis=axis, keepdims=keepdims)


def var(x, axis=None, keepdims=False):
    """Population variance over `axis`."""
    return _m.reduce_variance(_floating(x), axis=axis, keepdims=keepdims)


def std(x, axis=None, keepdims=False):
    """Population standard deviation over `axis`."""
    return _m.reduce_std(_floating(x), axis=axis, keepdims=keepdims)


def ptp(x, axis=None, keepdims=False):
    """max - min over `axis`."""
    return amax(x, axis, keepdims) - amin(x, axis, keepdims)


def count_nonzero(x, axis=None):
    """Number of non-zero entries over `axis` (int32)."""
    return _m.reduce_sum(_m.cast(_m.not_equal(_t(x), 0), "int32"), axis=axis)


def average(x, axis=None, weights=None):
    """Weighted mean over `axis`; weights 1-D along `axis` or of x's shape."""
    x = _floating(x)
    if weights is None:
        return mean(x, axis)
    w = _m.cast(_t(weights), x.dtype)
    if axis is not None and len(w.shape) == 1 and len(x.shape) > 1:
        shp = [1] * len(x.shape)
        shp[axis] = -1
        w = _s.reshape(w, shp)
    w = w + _m.zeros_like(x)
    return _m.reduce_sum(x * w, axis=axis) / _m.reduce_sum(w, axis=axis)


def _nan_reduction(reduce, fill, name, what):
    def op(x, axis=None, keepdims=False):
        x = _floating(x)
        return reduce(_m.where(_m.is_nan(x), _m.zeros_like(x) + fill, x), axis=axis,
                      keepdims=keepdims)
    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"{what} over `axis` ignoring NaNs."
    return op


nansum = _nan_reduction(_m.reduce_sum, 0.0, "nansum", "Sum")
nanprod = _nan_reduction(_m.reduce_prod, 1.0, "nanprod", "Product")
nanmax = _nan_reduction(_m.reduce_max, -np.inf, "nanmax", "Maximum")
nanmin = _nan_reduction(_m.reduce_min, np.inf, "nanmin", "Minimum")


def nanmean(x, axis=None, keepdims=False):
    """Mean over `axis` ignoring NaNs."""
    x = _floating(x)
    n = _m.reduce_sum(_m.cast(_m.logical_not(_m.is_nan(x)), x.dtype), axis=axis,
                      keepdims=keepdims)
    return nansum(x, axis, keepdims) / n


def nanvar(x, axis=None, keepdims=False):
    """Variance over `axis` ignoring NaNs."""
    x = _floating(x)
    mu = nanmean(x, axis, keepdims=True)
    return nanmean(_m.square(x - mu), axis, keepdims)


def nanstd(x, axis=None, keepdims=False):
    """Standard deviation over `axis` ignoring NaNs."""
    return _m.sqrt(nanvar(x, axis, keepdims))


def _arg(fn, name, what):
    def op(x, axis=None, keepdims=False):
        x = _t(x)
        if axis is None:
            out = fn(_s.reshape(x, [-1]), axis=0, output_type="int32")
            return _s.reshape(out, [1] * len(x.shape)) if keepdims else out
        out = fn(x, axis=axis, output_type="int32")
        return _s.expand_dims(out, axis) if keepdims else out
    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"Index of the {what} (of the flattened array when axis is None), int32."
    return op


argmax = _arg(_m.argmax, "argmax", "maximum")
argmin = _arg(_m.argmin, "argmin", "minimum")


def _flat_or(x, axis):
    x = _t(x)
    return (_s.reshape(x, [-1]), 0) if axis is None else (x, axis)


def cumsum(x, axis=None, dtype=None):
    """Cumulative sum (of the flattened array when axis is None)."""
    x, axis = _flat_or(x, axis)
    return _a.cumsum(x if dtype is None else _m.cast(x, dtype), axis=axis)


def cumprod(x, axis=None, dtype=None):
    """Cumulative product (of the flattened array when axis is None)."""
    x, axis = _flat_or(x, axis)
    return _a.cumprod(x if dtype is None else _m.cast(x, dtype), axis=axis)


def nancumsum(x, axis=None, dtype=None):
    """Cumulative sum treating NaN as 0."""
    x = _floating(x)
    return cumsum(_m.where(_m.is_nan(x), _m.zeros_like(x), x), axis, dtype)


def nancumprod(x, axis=None, dtype=None):
    """Cumulative product treating NaN as 1."""
    x = _floating(x)
    return cumprod(_m.where(_m.is_nan(x), _m.ones_like(x), x), axis, dtype)


def sort(x, axis=-1):
    """Sorted ascending along `axis`."""
    return _a.sort(_t(x), axis=axis)


def argsort(x, axis=-1):
    """Indices that sort `x` ascending along `axis` (stable), int32."""
    x, axis = _flat_or(x, axis)
    return _m.cast(_a.argsort(x, axis=axis, stable=True), "int32")


def quantile(x, q, axis=None, method="linear", keepdims=False):
    """The q-th quantiles (q in [0, 1]) along `axis`, numpy's 'linear' (and lower, higher,
    nearest, midpoint) interpolation."""
    x = _floating(x)
    rank = len(x.shape)
    axes = list(range(rank)) if axis is None else \
        [_axis(a, rank) for a in (axis if isinstance(axis, (list, tuple)) else [axis])]
    rest = [i for i in range(rank) if i not in axes]
    moved = _s.transpose(x, rest + axes) if rest or axes != list(range(rank)) else x
    moved = _s.reshape(moved, [_static_shape(x)[i] for i in rest] + [-1])
    n = moved.shape[-1]
    srt = _a.sort(moved, axis=-1)
    qs = np.asarray(q, "float64")
    pos = qs * (n - 1)
    lo_i, hi_i = np.floor(pos).astype("int32"), np.ceil(pos).astype("int32")
    lo = _s.gather(srt, np.atleast_1d(lo_i), axis=-1)
    hi = _s.gather(srt, np.atleast_1d(hi_i), axis=-1)
    frac = np.atleast_1d(pos - np.floor(pos)).astype(x.dtype.as_numpy_dtype)
    if method == "linear":
        out = lo + (hi - lo) * frac
    elif method == "lower":
        out = lo
    elif method == "higher":
        out = hi
    elif method == "midpoint":
        out = (lo + hi) * 0.5
    elif method == "nearest":
        near = np.atleast_1d(np.around(pos).astype("int32"))
        out = _s.gather(srt, near, axis=-1)
    else:
        raise ValueError(f"keras.ops.quantile: method={method!r} is not one of 'linear', "
                         "'lower', 'higher', 'midpoint', 'nearest'")
    out = _s.transpose(out, [len(out.shape) - 1] + list(range(len(out.shape) - 1)))
    if keepdims:
        shp = list(_static_shape(x))
        for a in axes:
            shp[a] = 1
        out = _s.reshape(out, [out.shape[0]] + shp)
    if qs.ndim == 0:
        out = out[0]
    return out


def percentile(x, q, axis=None, method="linear", keepdims=False):
    """The q-th percentiles (q in [0, 100]) along `axis`."""
    return quantile(x, np.asarray(q, "float64") / 100.0, axis, method, keepdims)


def median(x, axis=None, keepdims=False):
    """The median along `axis`."""
    return quantile(x, 0.5, axis=axis, keepdims=keepdims)


# --- creation ---------------------------------------------------------------------------
def array(x, dtype=None):
    """A tensor from array-like `x`."""
    return convert_to_tensor(x, dtype=dtype)


def copy(x):
    """A copy of `x`."""
    return _m.identity(_t(x))


def arange(start, stop=None, step=1, dtype=None):
    """Evenly spaced values in [start, stop) (numpy's `arange`)."""
    if stop is None:
        start, stop = 0, start
    if dtype is None:
        dtype = "float32" if builtins.any(isinstance(v, float) for v in (start, stop, step)) \
            else "int32"
    return _c.range(start, stop, step, dtype=dtype)


def full(shape, fill_value, dtype=None):
    """A tensor of `shape` filled with `fill_value` (float32 unless `dtype` is given or the
    fill value is a tensor, as Keras' floatx default)."""
    v = _t(fill_value)
    dtype = dtype or (v.dtype if is_tensor(fill_value) else "float32")
    return _s.broadcast_to(_m.cast(v, dtype), shape)


def full_like(x, fill_value, dtype=None):
    """A tensor of x's shape filled with `fill_value`."""
    x = _t(x)
    return _s.broadcast_to(_m.cast(_t(fill_value), dtype or x.dtype), _s.shape(x))


def empty(shape, dtype=None):
    """An uninitialized tensor (zeros here)."""
    return _c.zeros(shape, dtype=dtype or "float32")


def empty_like(x, dtype=None):
    """An uninitialized tensor like `x` (zeros here)."""
    return _m.zeros_like(_t(x), dtype=dtype)


def zeros_like(x, dtype=None):
    """Zeros of x's shape."""
    return _m.zeros_like(_t(x), dtype=dtype)


def ones_like(x, dtype=None):
    """Ones of x's shape."""
    return _m.ones_like(_t(x), dtype=dtype)


def eye(N, M=None, k=0, dtype=None):
    """N x M matrix with ones on the k-th diagonal."""
    M = N if M is None else M
    return convert_to_tensor(np.eye(N, M, k), dtype=dtype or "float32")


def identity(n, dtype=None):
    """The n x n identity matrix."""
    return eye(n, dtype=dtype)


def tri(N, M=None, k=0, dtype=None):
    """Ones at and below the k-th diagonal."""
    return convert_to_tensor(np.tri(N, M, k), dtype=dtype or "float32")


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    """`num` evenly spaced samples from start to stop."""
    start, stop = _floating(start), _floating(stop)
    div = (num - 1) if endpoint else num
    step = (stop - start) / float(builtins.max(div, 1))
    i = _m.cast(_c.range(0, num), start.dtype)
    shp = [-1] + [1] * len(start.shape)
    out = _s.expand_dims(start, 0) + _s.reshape(i, shp) * _s.expand_dims(step, 0)
    if axis != 0:
        out = moveaxis(out, 0, axis)
    if dtype is not None:
        out = _m.cast(out, dtype)
    return (out, step) if retstep else out


def logspace(start, stop, num=50, endpoint=True, base=10, dtype=None, axis=0):
    """base ** linspace(start, stop, num)."""
    return _m.pow(_m.cast(base, "float32") if dtype is None else _m.cast(base, dtype),
                  linspace(start, stop, num, endpoint, dtype=dtype, axis=axis))


def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    """Numbers spaced evenly on a log scale from start to stop."""
    return _m.exp(linspace(_m.log(_floating(start)), _m.log(_floating(stop)), num, endpoint,
                           dtype=dtype, axis=axis))


def meshgrid(*x, indexing="xy"):
    """Coordinate matrices from coordinate vectors."""
    return _a.meshgrid(*[_t(v) for v in x], indexing=indexing)


def vander(x, N=None, increasing=False):
    """The Vandermonde matrix of a vector."""
    x = _t(x)
    N = x.shape[0] if N is None else N
    p = np.arange(N) if increasing else np.arange(N)[::-1]
    return _m.pow(_s.expand_dims(x, -1), convert_to_tensor(p.astype(x.dtype.as_numpy_dtype)))


# --- shape manipulation ----------------------------------------------------------------
reshape, tile = _s.reshape, _s.tile


def transpose(x, axes=None):
    """Permute axes (reversed by default)."""
    return _s.transpose(_t(x), axes)


def expand_dims(x, axis):
    """Insert length-1 axes at `axis` (int or tuple)."""
    x = _t(x)
    if isinstance(axis, (list, tuple)):
        out_rank = len(x.shape) + len(axis)
        for a in sorted(_axis(a, out_rank) for a in axis):
            x = _s.expand_dims(x, a)
        return x
    return _s.expand_dims(x, axis)


def squeeze(x, axis=None):
    """Remove length-1 axes."""
    return _s.squeeze(_t(x), axis)


def ravel(x):
    """Flatten to 1-D."""
    return _s.reshape(_t(x), [-1])


def ndim(x):
    """The number of axes."""
    return len(_t(x).shape)


def size(x):
    """The number of elements."""
    return _s.size(_t(x))


def broadcast_to(x, shape):
    """Broadcast `x` to `shape`."""
    return _s.broadcast_to(_t(x), shape)


def moveaxis(x, source, destination):
    """Move axes of `x` from `source` to `destination` positions."""
    x = _t(x)
    rank = len(x.shape)
    src = [_axis(a, rank) for a in (source if isinstance(source, (list, tuple)) else [source])]
    dst = [_axis(a, rank) for a in
           (destination if isinstance(destination, (list, tuple)) else [destination])]
    order = [i for i in range(rank) if i not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return _s.transpose(x, order)


def swapaxes(x, axis1, axis2):
    """Exchange two axes."""
    x = _t(x)
    perm = list(range(len(x.shape)))
    a, b = _axis(axis1, len(perm)), _axis(axis2, len(perm))
    perm[a], perm[b] = perm[b], perm[a]
    return _s.transpose(x, perm)


def concatenate(xs, axis=0):
    """Join tensors along `axis` (axis=None flattens them first)."""
    if axis is None:
        return _s.concat([ravel(v) for v in xs], axis=0)
    return _s.concat([_t(v) for v in xs], axis=axis)


def append(x1, x2, axis=None):
    """x2 appended to x1 (both flattened when axis is None)."""
    return concatenate([x1, x2], axis)


def stack(x, axis=0):
    """Stack tensors along a new axis."""
    return _s.stack([_t(v) for v in x], axis=axis)


def _atleast(x, n):
    x = _t(x)
    while len(x.shape) < n:
        x = _s.expand_dims(x, 0 if len(x.shape) == 0 or n == 2 else -1) \
            if n != 3 or len(x.shape) != 2 else _s.expand_dims(x, -1)
    return x


def hstack(xs):
    """Stack horizontally (axis 1; axis 0 for 1-D)."""
    xs = [_t(v) for v in xs]
    return _s.concat(xs, axis=0 if len(xs[0].shape) == 1 else 1)


def vstack(xs):
    """Stack vertically (1-D inputs become rows)."""
    return _s.concat([_atleast(v, 2) for v in xs], axis=0)


def dstack(xs):
    """Stack along the third axis."""
    out = []
    for v in xs:
        v = _t(v)
        if len(v.shape) < 2:
            v = _s.reshape(v, [1, -1])
        if len(v.shape) < 3:
            v = _s.expand_dims(v, -1)
        out.append(v)
    return _s.concat(out, axis=2)


def split(x, indices_or_sections, axis=0):
    """Split into equal sections or at indices (numpy's `split`)."""
    x = _t(x)
    n = x.shape[axis]
    if isinstance(indices_or_sections, int):
        if n % indices_or_sections:
            raise ValueError(f"keras.ops.split: axis {axis} of length {n} does not divide into "
                             f"{indices_or_sections} equal sections (shape {tuple(x.shape)})")
        return _s.split(x, indices_or_sections, axis=axis)
    bounds = [0] + list(indices_or_sections) + [n]
    return _s.split(x, [b - a for a, b in zip(bounds[:-1], bounds[1:])], axis=axis)


def array_split(x, indices_or_sections, axis=0):
    """Split into sections of nearly equal size (the first ones one longer)."""
    x = _t(x)
    n = x.shape[axis]
    k = indices_or_sections
    sizes = [n // k + (1 if i < n % k else 0) for i in range(k)]
    return _s.split(x, sizes, axis=axis)


def hsplit(x, indices_or_sections):
    """Split along axis 1 (axis 0 for 1-D)."""
    return split(x, indices_or_sections, axis=0 if _rank(x) == 1 else 1)


def vsplit(x, indices_or_sections):
    """Split along axis 0."""
    return split(x, indices_or_sections, axis=0)


def dsplit(x, indices_or_sections):
    """Split along axis 2."""
    return split(x, indices_or_sections, axis=2)


def flip(x, axis=None):
    """Reverse the order of elements along `axis` (all axes by default)."""
    x = _t(x)
    axes = list(range(len(x.shape))) if axis is None else \
        (list(axis) if isinstance(axis, (list, tuple)) else [axis])
    return _a.reverse(x, axes)


def fliplr(x):
    """Flip along axis 1."""
    return flip(x, 1)


def flipud(x):
    """Flip along axis 0."""
    return flip(x, 0)


def roll(x, shift, axis=None):
    """Shift elements cyclically (of the flattened array when axis is None)."""
    x = _t(x)
    if axis is None:
        return _s.reshape(_a.roll(_s.reshape(x, [-1]), shift, 0), _s.shape(x))
    return _a.roll(x, shift, axis)


def rot90(array, k=1, axes=(0, 1)):
    """Rotate by 90 degrees k times in the plane of `axes`."""
    x = _t(array)
    k = k % 4
    a, b = axes
    for _ in range(k):
        x = swapaxes(flip(x, b), a, b)
    return x


def repeat(x, repeats, axis=None):
    """Repeat elements (of the flattened array when axis is None)."""
    x, axis = _flat_or(x, axis)
    return _a.repeat(x, repeats, axis=axis)


def pad(x, pad_width, mode="constant", constant_values=None):
    """Pad with numpy's pad_width ((before, after) per axis, or one pair / int for all)."""
    x = _t(x)
    rank = len(x.shape)
    pw = np.asarray(pad_width, "int64")
    pw = np.broadcast_to(pw.reshape(-1, 2) if pw.size == 2 else
                         (pw.reshape(1, 1) if pw.size == 1 else pw), (rank, 2))
    return _a.pad(x, pw.tolist(), mode=mode.upper(),
                  constant_values=0 if constant_values is None else constant_values)


def take(x, indices, axis=None):
    """Elements at `indices` along `axis` (of the flattened array when axis is None);
    negative indices count from the end."""
    x, axis = _flat_or(x, axis)
    idx = _t(indices)
    if not idx.dtype.is_integer:
        idx = _m.cast(idx, "int32")
    n = x.shape[axis]
    if isinstance(n, int):
        idx = _m.where(_m.less(idx, 0), idx + n, idx)
    return _s.gather(x, idx, axis=axis)


def take_along_axis(x, indices, axis=None):
    """numpy's `take_along_axis`: x[..., indices[...], ...] along `axis`."""
    x, axis = _flat_or(x, axis)
    idx = _t(indices)
    rank = len(x.shape)
    axis = _axis(axis, rank)
    n = x.shape[axis]
    idx = _m.cast(idx, "int32")
    idx = _m.where(_m.less(idx, 0), idx + n, idx)
    if not builtins.all(isinstance(d, int) for d in tuple(x.shape) + tuple(idx.shape)):
        # a traced dim without a value: select by one-hot along the moved axis (broadcasts)
        xt, it = moveaxis(x, axis, -1), moveaxis(idx, axis, -1)
        pick = _s.one_hot(it, n, dtype=x.dtype)
        return moveaxis(_m.reduce_sum(pick * _s.expand_dims(xt, -2), axis=-1), -1, axis)
    bshape = [builtins.max(a, b) for a, b in zip(x.shape, idx.shape)]
    bshape[axis] = idx.shape[axis]
    idx = _s.broadcast_to(idx, bshape)
    grids = np.meshgrid(*[np.arange(d, dtype="int32") for d in bshape], indexing="ij")
    coords = [idx if i == axis else convert_to_tensor(g) for i, g in enumerate(grids)]
    xs = list(bshape)
    xs[axis] = n
    return _a.gather_nd(_s.broadcast_to(x, xs), _s.stack(coords, axis=-1))


def diag(x, k=0):
    """The k-th diagonal of a matrix, or a matrix with vector `x` on its k-th diagonal."""
    x = _t(x)
    if len(x.shape) == 1:
        n = x.shape[0] + builtins.abs(k)
        idx = np.stack([np.arange(x.shape[0]) + builtins.max(-k, 0),
                        np.arange(x.shape[0]) + builtins.max(k, 0)], -1)
        return _a.scatter_nd(idx, x, [n, n])
    return diagonal(x, k)


def diagflat(x, k=0):
    """The flattened input on the k-th diagonal of a new matrix."""
    return diag(ravel(x), k)


def diagonal(x, offset=0, axis1=0, axis2=1):
    """The diagonal along axes (axis1, axis2), appended as the last axis."""
    x = moveaxis(_t(x), [axis1, axis2], [-2, -1])
    n, m = x.shape[-2], x.shape[-1]
    rows = np.arange(builtins.max(-offset, 0), n)
    cols = rows + offset
    keep = (cols >= 0) & (cols < m)
    rows, cols = rows[keep], cols[keep]
    flat = _s.reshape(x, list(x.shape[:-2]) + [n * m]) if builtins.all(
        isinstance(d, int) for d in x.shape) else _s.reshape(x, [-1, n * m])
    out = _s.gather(flat, (rows * m + cols).astype("int32"), axis=-1)
    return out


def trace(x, offset=0, axis1=0, axis2=1):
    """Sum along a diagonal."""
    return _m.reduce_sum(diagonal(x, offset, axis1, axis2), axis=-1)


def tril(x, k=0):
    """Zero the entries above the k-th diagonal (last two axes)."""
    x = _t(x)
    n, m = x.shape[-2], x.shape[-1]
    keep = convert_to_tensor(np.tri(n, m, k).astype(bool))
    return _m.where(_s.broadcast_to(keep, _s.shape(x)), x, _m.zeros_like(x))


def triu(x, k=0):
    """Zero the entries below the k-th diagonal (last two axes)."""
    x = _t(x)
    n, m = x.shape[-2], x.shape[-1]
    keep = convert_to_tensor(np.tri(n, m, k - 1).astype(bool) == False)  # noqa: E712
    return _m.where(_s.broadcast_to(keep, _s.shape(x)), x, _m.zeros_like(x))


def diff(a, n=1, axis=-1):
    """n-th discrete difference along `axis`."""
    x = _t(a)
    rank = len(x.shape)
    axis = _axis(axis, rank)
    for _ in range(n):
        hi = [slice(None)] * rank
        lo = [slice(None)] * rank
        hi[axis], lo[axis] = slice(1, None), slice(None, -1)
        x = x[tuple(hi)] - x[tuple(lo)]
    return x


def outer(x1, x2):
    """Outer product of the flattened inputs."""
    return _s.expand_dims(ravel(x1), 1) * _s.expand_dims(ravel(x2), 0)


def inner(x1, x2):
    """Sum product over the last axes."""
    x1, x2 = _t(x1), _t(x2)
    if len(x1.shape) == 0 or len(x2.shape) == 0:
        return x1 * x2
    return _a.tensordot(x1, x2, [[-1 + len(x1.shape)], [-1 + len(x2.shape)]])


def dot(x1, x2):
    """numpy's dot, as Keras 3's: a product with a scalar, the sum product of the last axes
    when `x2` is a vector, else of x1's last axis with x2's second-to-last.

    >>> from graphflow.keras import ops
    >>> float(ops.dot([1., 2.], [3., 4.])), ops.dot([[1., 2.]], [3., 4.]).numpy().tolist()
    (11.0, [11.0])
    """
    x1, x2 = _binary(x1, x2)
    r1, r2 = len(x1.shape), len(x2.shape)
    if r1 == 0 or r2 == 0:
        return x1 * x2
    return _a.tensordot(x1, x2, [[r1 - 1], [r2 - 1 if r2 == 1 else r2 - 2]])


def vdot(x1, x2):
    """Dot product of the flattened inputs (conjugating x1)."""
    return _m.reduce_sum(conj(ravel(x1)) * ravel(x2))


def tensordot(x1, x2, axes=2):
    """Sum products over the given axes."""
    return _a.tensordot(_t(x1), _t(x2), axes)


def kron(x1, x2):
    """Kronecker product."""
    a, b = _t(x1), _t(x2)
    r = builtins.max(len(a.shape), len(b.shape))
    a = _s.reshape(a, [1] * (r - len(a.shape)) + list(a.shape))
    b = _s.reshape(b, [1] * (r - len(b.shape)) + list(b.shape))
    ae = _s.reshape(a, [d for s in a.shape for d in (s, 1)])
    be = _s.reshape(b, [d for s in b.shape for d in (1, s)])
    return _s.reshape(ae * be, [p * q for p, q in zip(a.shape, b.shape)])


def cross(x1, x2, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """Cross product of 3-vectors along the last axis."""
    a, b = _floating(x1), _floating(x2)
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = moveaxis(a, axisa, -1), moveaxis(b, axisb, -1)
    a0, a1, a2 = _s.unstack(a, axis=-1)
    b0, b1, b2 = _s.unstack(b, axis=-1)
    out = _s.stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], axis=-1)
    return moveaxis(out, -1, axisc)


def correlate(x1, x2, mode="valid"):
    """Cross-correlation of two 1-D sequences (numpy's `correlate`)."""
    a, v = _floating(x1), _floating(x2)
    n, m = a.shape[0], v.shape[0]
    if mode == "full":
        a = _a.pad(a, [[m - 1, m - 1]])
    elif mode == "same":
        a = _a.pad(a, [[m // 2, m - 1 - m // 2]])
    L = a.shape[0] - m + 1
    idx = np.arange(L)[:, None] + np.arange(m)[None, :]
    return _m.reduce_sum(_s.gather(a, idx.astype("int32")) * v, axis=-1)


def corrcoef(x):
    """Pearson correlation coefficients of the rows of `x`."""
    x = _floating(x)
    xc = x - _m.reduce_mean(x, axis=1, keepdims=True)
    c = _m.matmul(xc, _s.transpose(xc))
    d = _m.sqrt(diagonal(c))
    return c / (_s.expand_dims(d, 1) * _s.expand_dims(d, 0))


def where(condition, x1=None, x2=None):
    """Elements of x1 where condition, else x2; with one argument the indices of true
    entries (as numpy's nonzero)."""
    if x1 is None and x2 is None:
        return nonzero(condition)
    return _m.where(_m.cast(condition, "bool"), *_binary(x1, x2))


def nonzero(x):
    """Tuple of index vectors of the non-zero entries."""
    x = _t(x)
    idx = _a.where_indices(_m.not_equal(x, 0))
    return tuple(_m.cast(idx[:, i], "int32") for i in range(len(x.shape)))


def select(condlist, choicelist, default=0):
    """The choice of the first true condition, else `default`."""
    out = _t(default)
    for c, v in reversed(list(zip(condlist, choicelist))):
        out = _m.where(_m.cast(c, "bool"), v, out + _m.zeros_like(_t(v)))
    return out


def isin(x1, x2, assume_unique=False, invert=False):
    """True where an element of x1 occurs in x2."""
    x1, x2 = _t(x1), ravel(x2)
    hit = _m.reduce_any(_m.equal(_s.expand_dims(x1, -1), x2), axis=-1)
    return _m.logical_not(hit) if invert else hit


def digitize(x, bins):
    """Index of the bin each x falls in (numpy's `digitize`, increasing bins)."""
    return _seg.searchsorted(_t(bins), ravel(x), side="right") if _rank(x) == 1 else \
        _s.reshape(_seg.searchsorted(_t(bins), ravel(x), side="right"), _s.shape(_t(x)))


def searchsorted(sorted_sequence, values, side="left"):
    """Insertion indices keeping the 1-D `sorted_sequence` sorted."""
    v = _t(values)
    out = _seg.searchsorted(_t(sorted_sequence), ravel(v), side=side)
    return _s.reshape(out, _s.shape(v))


def bincount(x, weights=None, minlength=0, sparse=False):
    """Counts of each non-negative integer (weighted sums with `weights`)."""
    x = _t(x)
    n = builtins.max(int(np.max(x.numpy())) + 1 if hasattr(x, "numpy") and
                     x.shape[-1] else 0, minlength)
    oh = _s.one_hot(x, n, dtype="int32" if weights is None else _floating(weights).dtype)
    if weights is not None:
        oh = oh * _s.expand_dims(_floating(weights), -1)
    return _m.reduce_sum(oh, axis=-2)


def histogram(x, bins=10, range=None):
    """(counts, bin_edges) of a 1-D tensor (numpy's `histogram`)."""
    x = _floating(x)
    if len(x.shape) != 1:   # (Keras 3's message)
        raise ValueError(f"Input tensor must be 1-dimensional. Received: input.shape={x.shape}")
    lo, hi = range if range is not None else (_m.reduce_min(x), _m.reduce_max(x))
    edges = linspace(lo, hi, bins + 1)
    idx = _m.cast(_m.floor((x - lo) / (hi - lo) * bins), "int32")
    idx = _m.minimum(idx, bins - 1)
    inside = _m.logical_and(_m.greater_equal(x, lo), _m.less_equal(x, hi))
    counts = _m.reduce_sum(_s.one_hot(idx, bins, dtype="int32") *
                           _s.expand_dims(_m.cast(inside, "int32"), -1), axis=0)
    return counts, edges


def trapezoid(y, x=None, dx=1.0, axis=-1):
    """Integral by the trapezoidal rule along `axis`."""
    y = _floating(y)
    d = diff(x, axis=axis) if x is not None else dx
    rank = len(y.shape)
    axis = _axis(axis, rank)
    hi, lo = [slice(None)] * rank, [slice(None)] * rank
    hi[axis], lo[axis] = slice(1, None), slice(None, -1)
    return _m.reduce_sum(d * (y[tuple(hi)] + y[tuple(lo)]) / 2.0, axis=axis)


def unravel_index(indices, shape):
    """Tuple of coordinate arrays for flat `indices` into `shape`."""
    idx = _t(indices)
    out = []
    for d in reversed(shape):
        out.append(_m.floormod(idx, d))
        idx = _m.floordiv(idx, d)
    return tuple(reversed(out))


def unique(x, sorted=True, return_inverse=False, return_counts=False, axis=None, size=None,
           fill_value=None):
    """The sorted unique elements of the flattened input (run eagerly)."""
    vals = np.asarray(_t(x).numpy())
    res = np.unique(vals, return_inverse=return_inverse, return_counts=return_counts)
    if not isinstance(res, tuple):
        return convert_to_tensor(res)
    return tuple(convert_to_tensor(r) for r in res)


def triu_indices(n, k=0, m=None):
    """Row and column indices of the upper triangle."""
    return tuple(convert_to_tensor(v.astype("int32")) for v in np.triu_indices(n, k, m))


def tril_indices(n, k=0, m=None):
    """Row and column indices of the lower triangle."""
    return tuple(convert_to_tensor(v.astype("int32")) for v in np.tril_indices(n, k, m))


def get_item(x, key):
    """x[key]."""
    return _t(x)[key]


def clip(x, x_min, x_max):
    """Clip the values of `x` to [x_min, x_max]."""
    return _m.clip_by_value(_t(x), x_min, x_max)


erf, erfc = _unary(_m.erf, "erf", "error function"), _unary(_sp.erfc, "erfc", "1 - erf(x)")
erfinv = _unary(_sp.erfinv, "erfinv", "inverse error function")
i0 = _unary(_mo.bessel_i0, "i0", "modified Bessel function of order 0")


def _window(fn, name):
    def op(x):
        return convert_to_tensor(fn(int(x)).astype("float32"))
    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"The {name} window of length x (numpy's `{name}`)."
    return op


bartlett, blackman = _window(np.bartlett, "bartlett"), _window(np.blackman, "blackman")
hamming, hanning = _window(np.hamming, "hamming"), _window(np.hanning, "hanning")


def kaiser(x, beta):
    """The Kaiser window of length x."""
    return convert_to_tensor(np.kaiser(int(x), beta).astype("float32"))


def norm(x, ord=None, axis=None, keepdims=False):
    """Vector or matrix norm (numpy's `linalg.norm`)."""
    x = _floating(x)
    if axis is None and ord is None:
        return _m.sqrt(_m.reduce_sum(_m.square(_m.abs(x)), keepdims=keepdims))
    if axis is None:
        axis = tuple(range(len(x.shape)))
    if isinstance(axis, int) or len(axis) == 1:
        ax = axis if isinstance(axis, int) else axis[0]
        ax_ = _m.abs(x)
        if ord is None or ord == 2:
            return _m.sqrt(_m.reduce_sum(ax_ * ax_, axis=ax, keepdims=keepdims))
        if ord == np.inf:
            return _m.reduce_max(ax_, axis=ax, keepdims=keepdims)
        if ord == -np.inf:
            return _m.reduce_min(ax_, axis=ax, keepdims=keepdims)
        if ord == 0:
            return _m.reduce_sum(_m.cast(_m.not_equal(x, 0), x.dtype), axis=ax,
                                 keepdims=keepdims)
        return _m.pow(_m.reduce_sum(_m.pow(ax_, float(ord)), axis=ax, keepdims=keepdims),
                      1.0 / ord)
    r0, r1 = axis
    if ord in (None, "fro"):
        return _m.sqrt(_m.reduce_sum(_m.square(_m.abs(x)), axis=axis, keepdims=keepdims))
    if ord in (1, -1):
        s = _m.reduce_sum(_m.abs(x), axis=r0, keepdims=True)
        s = (_m.reduce_max if ord == 1 else _m.reduce_min)(s, axis=r1, keepdims=True)
    elif ord in (np.inf, -np.inf):
        s = _m.reduce_sum(_m.abs(x), axis=r1, keepdims=True)
        s = (_m.reduce_max if ord > 0 else _m.reduce_min)(s, axis=r0, keepdims=True)
    elif ord in (2, -2, "nuc"):
        sv = _la.svd(moveaxis(x, [r0, r1], [-2, -1]), compute_uv=False)
        s = _m.reduce_max(sv, -1) if ord == 2 else (
            _m.reduce_min(sv, -1) if ord == -2 else _m.reduce_sum(sv, -1))
        if keepdims:
            s = expand_dims(s, (r0, r1))
        return s
    else:
        raise ValueError(f"keras.ops.norm: ord={ord!r} is not a supported matrix norm")
    return s if keepdims else _s.squeeze(s, [r0, r1])


def rsqrt(x):
    """1 / sqrt(x)."""
    return _m.rsqrt(_floating(x))


def vectorize(pyfunc, *, excluded=None, signature=None):
    """`pyfunc` applied over the leading axis of its tensor arguments (a loop over axis 0
    for elementwise scalar functions)."""
    def wrapped(*args):
        args = [_t(a) for a in args]
        if builtins.all(len(a.shape) == 0 for a in args):
            return pyfunc(*args)
        b = _s.broadcast_to
        shp = np.broadcast_shapes(*[tuple(a.shape) for a in args])
        args = [b(a, shp) for a in args]
        return _s.stack([wrapped(*[a[i] for a in args]) for i in range(shp[0])])
    return wrapped


def nanargmax(x, axis=None, keepdims=False):
    """argmax ignoring NaNs."""
    x = _floating(x)
    return argmax(_m.where(_m.is_nan(x), _m.zeros_like(x) - np.inf, x), axis, keepdims)


def nanargmin(x, axis=None, keepdims=False):
    """argmin ignoring NaNs."""
    x = _floating(x)
    return argmin(_m.where(_m.is_nan(x), _m.zeros_like(x) + np.inf, x), axis, keepdims)


def nanquantile(x, q, axis=None, method="linear", keepdims=False):
    """quantile ignoring NaNs (linear interpolation between the sorted valid values)."""
    x = _floating(x)
    rank = len(x.shape)
    axis_ = _axis(axis, rank) if axis is not None else None
    flat = ravel(x) if axis is None else moveaxis(x, axis_, -1)
    valid = _m.logical_not(_m.is_nan(flat))
    n = _m.reduce_sum(_m.cast(valid, x.dtype), axis=-1, keepdims=True)
    srt = _a.sort(_m.where(valid, flat, _m.zeros_like(flat) + np.inf), axis=-1)
    outs = []
    for qq in np.atleast_1d(np.asarray(q, "float64")):
        pos = qq * (n - 1.0)
        lo, hi = _m.floor(pos), _m.ceil(pos)
        vlo = take_along_axis(srt, _m.cast(lo, "int32"), -1)
        vhi = take_along_axis(srt, _m.cast(hi, "int32"), -1)
        outs.append(_s.squeeze(vlo + (vhi - vlo) * (pos - lo), [-1]))
    out = _s.stack(outs, 0)
    if keepdims:
        out = _s.expand_dims(out, -1 if axis is not None else 1)
        if axis is None:
            out = _s.reshape(out, [out.shape[0]] + [1] * rank)
        else:
            out = moveaxis(out, -1, axis_ + 1)
    return out if np.ndim(q) else out[0]


def nanpercentile(x, q, axis=None, method="linear", keepdims=False):
    """percentile ignoring NaNs."""
    return nanquantile(x, np.asarray(q, "float64") / 100.0, axis, method, keepdims)


def nanmedian(x, axis=None, keepdims=False):
    """median ignoring NaNs."""
    return nanquantile(x, 0.5, axis, keepdims=keepdims)


def argpartition(x, kth, axis=-1):
    """Indices that partition `x` around its kth element (a full stable argsort, which is
    one valid partition)."""
    return argsort(x, axis=axis)


def left_shift(x, y):
    """x << y for integers."""
    x = _t(x)
    return x * _m.pow(_m.cast(2, x.dtype), _m.cast(y, x.dtype))


def right_shift(x, y):
    """x >> y for integers (arithmetic shift)."""
    x = _t(x)
    return _m.floordiv(x, _m.pow(_m.cast(2, x.dtype), _m.cast(y, x.dtype)))


bitwise_left_shift, bitwise_right_shift = left_shift, right_shift


def bitwise_invert(x):
    """~x."""
    x = _t(x)
    if x.dtype.name == "bool":
        return _m.logical_not(x)
    if x.dtype.name.startswith("uint"):
        return _m.cast(np.iinfo(x.dtype.as_numpy_dtype).max, x.dtype) - x
    return -x - _m.cast(1, x.dtype)


bitwise_not = bitwise_invert


def _bitwise(npfn, name):
    def op(x, y):
        x, y = _t(x), _t(y)
        dt = np.result_type(x.dtype.as_numpy_dtype, y.dtype.as_numpy_dtype)
        return _numpy_function(lambda a, b: npfn(a, b).astype(dt), [x, y], dt.name,
                               stateful=False)
    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"Elementwise {name} of integers (as a numpy function node when traced)."
    return op


bitwise_and = _bitwise(np.bitwise_and, "bitwise_and")
bitwise_or = _bitwise(np.bitwise_or, "bitwise_or")
bitwise_xor = _bitwise(np.bitwise_xor, "bitwise_xor")


def gcd(x1, x2):
    """Greatest common divisor of integers (Euclid's algorithm as a graph loop)."""
    a, b = _m.abs(_t(x1)), _m.abs(_t(x2))
    a, b = a + _m.zeros_like(b), b + _m.zeros_like(a)

    def body(a, b):
        nz = _m.not_equal(b, 0)
        safe = _m.where(nz, b, _m.ones_like(b))
        return _m.where(nz, b, a), _m.where(nz, _m.floormod(a, safe), b)
    a, _ = _while_loop(lambda a, b: _m.reduce_any(_m.not_equal(b, 0)), body, (a, b))
    return a


def lcm(x1, x2):
    """Least common multiple of integers."""
    a, b = _t(x1), _t(x2)
    g = gcd(a, b)
    return _m.abs(a * _m.floordiv(b, _m.where(_m.equal(g, 0), _m.ones_like(g), g)))


def nextafter(x1, x2):
    """The next representable float after x1 toward x2."""
    x1, x2 = _floating(x1), _floating(x2)
    dt = x1.dtype.name
    return _numpy_function(lambda a, b: np.nextafter(a, b).astype(dt), [x1, x2], dt,
                           stateful=False)
