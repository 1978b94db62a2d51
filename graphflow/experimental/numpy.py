"""`tf.experimental.numpy` (tnp): a thin, honest alias set - NumPy's names mapped to graphflow
ops that take and return graphflow Tensors. NumPy's dtype rules where they differ from TF's:
floating defaults are float64 (`tnp.ones(2).dtype` is float64) and Python ints int64.
Only the functions listed in `__all__` exist; anything else raises AttributeError (nothing
falls back to numpy silently). `experimental_enable_numpy_behavior` is accepted and does
nothing (graphflow Tensors already convert with `np.asarray`; NumPy-style methods such as
`.T` are not added).

>>> import graphflow as tf
>>> tnp = tf.experimental.numpy
>>> x = tnp.asarray([[1., 2.], [3., 4.]])
>>> x.dtype, tnp.sum(x, axis=0).numpy()
(tf.float64, array([4., 6.]))
>>> tnp.dot(x, tnp.ones(2)).numpy()
array([3., 7.])
"""
import builtins as _builtins

import numpy as _np

from .. import dtypes as _dt
import types as _types

from ..ops import array_ops as _a, creation as _c, math_ops as _m, random_ops as _r
from ..ops import shape_ops as _s
from ..tensor import Tensor, constant as _constant

__all__ = ["ndarray", "asarray", "array", "zeros", "ones", "full", "zeros_like", "ones_like",
           "arange", "linspace", "eye", "identity", "reshape", "transpose", "concatenate",
           "stack", "expand_dims", "squeeze", "where", "sum", "mean", "max", "min", "prod",
           "std", "var", "argmax", "argmin", "abs", "exp", "log", "sqrt", "square", "sin",
           "cos", "tanh", "maximum", "minimum", "add", "subtract", "multiply", "divide",
           "matmul", "dot", "clip", "float16", "float32", "float64", "int32", "int64", "bool_",
           "uint8", "complex64", "complex128", "pi", "e", "inf", "nan", "newaxis",
           "experimental_enable_numpy_behavior", "allclose", "shape", "size", "ndim", "copy",
           "random"]

ndarray = Tensor
float16, float32, float64 = _dt.float16, _dt.float32, _dt.float64
int32, int64, uint8, bool_ = _dt.int32, _dt.int64, _dt.uint8, _dt.bool
complex64, complex128 = _dt.complex64, _dt.complex128
pi, e, inf, nan, newaxis = _np.pi, _np.e, _np.inf, _np.nan, None


def _np_dtype(dtype):
    return None if dtype is None else _dt.as_dtype(_np.dtype(getattr(dtype, "np", dtype)))


def asarray(a, dtype=None):
    """A Tensor holding `a` with NumPy's dtype (float64 for Python floats, int64 for ints); a
    Tensor passes through (cast if `dtype` differs).

    >>> asarray([1, 2]).dtype
    tf.int64
    """
    if isinstance(a, Tensor):
        return a if dtype is None else _m.cast(a, _np_dtype(dtype))
    v = _np.asarray(a, dtype=None if dtype is None else _np_dtype(dtype).np)
    return _constant(v)


def array(object, dtype=None, copy=True, ndmin=0):   # noqa: A002
    """As `asarray` (a Tensor is immutable, so copying is never needed)."""
    t = asarray(object, dtype)
    while t.ndim < ndmin:
        t = _s.expand_dims(t, 0)
    return t


def _filled(shape, value, dtype):
    return _c.fill(_c.shape_tuple(shape), _np.asarray(value, _np_dtype(dtype or float).np))


def zeros(shape, dtype=float):
    """Zeros, float64 by default (NumPy)."""
    return _filled(shape, 0, dtype)


def ones(shape, dtype=float):
    """Ones, float64 by default (NumPy)."""
    return _filled(shape, 1, dtype)


def full(shape, fill_value, dtype=None):
    """`shape` filled with `fill_value` (its NumPy dtype unless `dtype`)."""
    v = _np.asarray(fill_value if dtype is None else _np.asarray(fill_value,
                                                                 _np_dtype(dtype).np))
    return _c.fill(_c.shape_tuple(shape), v)


def zeros_like(a, dtype=None):
    """Zeros shaped like `a`."""
    t = asarray(a)
    return _m.zeros_like(t) if dtype is None else _m.cast(_m.zeros_like(t), _np_dtype(dtype))


def ones_like(a, dtype=None):
    """Ones shaped like `a`."""
    t = asarray(a)
    return _m.ones_like(t) if dtype is None else _m.cast(_m.ones_like(t), _np_dtype(dtype))


def arange(start, stop=None, step=1, dtype=None):
    """numpy.arange as a Tensor (int64 for int arguments, float64 for floats).

    >>> arange(1, 2, 0.5).numpy()
    array([1. , 1.5])
    """
    return _constant(_np.arange(start, stop, step, dtype=None if dtype is None
                                else _np_dtype(dtype).np))


def linspace(start, stop, num=50, endpoint=True, dtype=None):
    """numpy.linspace as a Tensor (float64)."""
    return _constant(_np.linspace(start, stop, num, endpoint=endpoint,
                                  dtype=None if dtype is None else _np_dtype(dtype).np))


def eye(N, M=None, k=0, dtype=float):   # noqa: N803 (NumPy's names)
    """numpy.eye as a Tensor."""
    return _constant(_np.eye(N, M, k, dtype=_np_dtype(dtype).np))


def identity(n, dtype=float):
    """The n x n identity matrix."""
    return eye(n, dtype=dtype)


def _axis(axis):
    return None if axis is None else axis


def sum(a, axis=None, dtype=None, keepdims=False):   # noqa: A001
    """Sum over `axis` (all if None)."""
    t = asarray(a, dtype)
    return _m.reduce_sum(t, _axis(axis), keepdims=keepdims)


def mean(a, axis=None, dtype=None, keepdims=False):
    """Mean over `axis` (ints give float64, as NumPy)."""
    t = asarray(a, dtype)
    if t.dtype.is_integer or t.dtype == _dt.bool:
        t = _m.cast(t, _dt.float64)
    return _m.reduce_mean(t, _axis(axis), keepdims=keepdims)


def max(a, axis=None, keepdims=False):   # noqa: A001
    """Maximum over `axis`."""
    return _m.reduce_max(asarray(a), _axis(axis), keepdims=keepdims)


def min(a, axis=None, keepdims=False):   # noqa: A001
    """Minimum over `axis`."""
    return _m.reduce_min(asarray(a), _axis(axis), keepdims=keepdims)


def prod(a, axis=None, dtype=None, keepdims=False):
    """Product over `axis`."""
    return _m.reduce_prod(asarray(a, dtype), _axis(axis), keepdims=keepdims)


def std(a, axis=None, keepdims=False):
    """Population standard deviation (ddof 0, NumPy's default)."""
    return _m.reduce_std(_stats_input(a), _axis(axis), keepdims=keepdims)


def var(a, axis=None, keepdims=False):
    """Population variance (ddof 0)."""
    return _m.reduce_variance(_stats_input(a), _axis(axis), keepdims=keepdims)


def _stats_input(a):
    t = asarray(a)
    return _m.cast(t, _dt.float64) if t.dtype.is_integer else t


def argmax(a, axis=None):
    """Index of the maximum (over the flattened array if axis is None), int64."""
    t = asarray(a)
    return _m.argmax(_s.reshape(t, [-1]) if axis is None else t, 0 if axis is None else axis,
                     output_type=_dt.int64)


def argmin(a, axis=None):
    """Index of the minimum (over the flattened array if axis is None), int64."""
    t = asarray(a)
    return _m.argmin(_s.reshape(t, [-1]) if axis is None else t, 0 if axis is None else axis,
                     output_type=_dt.int64)


def _unary(f, to_float=False):
    def g(x):
        t = asarray(x)
        if to_float and not (t.dtype.is_floating or t.dtype.is_complex):
            t = _m.cast(t, _dt.float64)   # NumPy: sqrt/exp/log/... of ints give float64
        return f(t)
    g.__name__, g.__doc__ = f.__name__, f"Elementwise `{f.__name__}` (graphflow's)."
    return g


def _binary(f):
    def g(x1, x2):
        a, b = asarray(x1), asarray(x2)
        if a.dtype != b.dtype:   # NumPy's promotion for the common int/float mixes
            dt = _dt.as_dtype(_np.result_type(a.dtype.np, b.dtype.np))
            a, b = _m.cast(a, dt), _m.cast(b, dt)
        return f(a, b)
    g.__name__, g.__doc__ = f.__name__, f"Elementwise `{f.__name__}` with NumPy's dtype promotion."
    return g


abs, square = _unary(_m.abs), _unary(_m.square)   # noqa: A001
exp, log, sqrt = _unary(_m.exp, True), _unary(_m.log, True), _unary(_m.sqrt, True)
sin, cos, tanh = _unary(_m.sin, True), _unary(_m.cos, True), _unary(_m.tanh, True)
maximum, minimum, add, subtract, multiply = (_binary(_m.maximum), _binary(_m.minimum),
                                             _binary(_m.add), _binary(_m.subtract),
                                             _binary(_m.multiply))
divide = _binary(lambda a, b: _m.truediv(a, b))
matmul = _binary(_m.matmul)


def dot(a, b):
    """numpy.dot for vectors and matrices (a scalar, matrix-vector or matrix product)."""
    x, y = asarray(a), asarray(b)
    if x.dtype != y.dtype:
        dt = _dt.as_dtype(_np.result_type(x.dtype.np, y.dtype.np))
        x, y = _m.cast(x, dt), _m.cast(y, dt)
    if x.ndim == 0 or y.ndim == 0:
        return x * y
    if x.ndim == 1 and y.ndim == 1:
        return _m.reduce_sum(x * y)
    if y.ndim == 1:
        return _s.squeeze(_m.matmul(x, _s.expand_dims(y, -1)), -1)
    if x.ndim == 1:
        return _s.squeeze(_m.matmul(_s.expand_dims(x, 0), y), 0)
    return _m.matmul(x, y)


def reshape(a, newshape, order="C"):
    """Reshape (C order only)."""
    if order != "C":
        raise NotImplementedError("tnp.reshape: only order='C'")
    return _s.reshape(asarray(a), newshape)


def transpose(a, axes=None):
    """Permute axes (reverse them if None)."""
    t = asarray(a)
    return _s.transpose(t, list(reversed(_builtins.range(t.ndim))) if axes is None else axes)


def concatenate(arrays, axis=0):
    """Join along an existing axis."""
    return _s.concat([asarray(x) for x in arrays], axis)


def stack(arrays, axis=0):
    """Join along a new axis."""
    return _s.stack([asarray(x) for x in arrays], axis)


def expand_dims(a, axis):
    """Insert an axis of size 1."""
    return _s.expand_dims(asarray(a), axis)


def squeeze(a, axis=None):
    """Drop axes of size 1."""
    return _s.squeeze(asarray(a), axis)


def where(condition, x=None, y=None):
    """x where condition else y; with neither, the indices of the true entries (a tuple)."""
    c = asarray(condition, _dt.bool)
    if x is None and y is None:
        idx = _a.where_indices(c)
        return tuple(idx[:, i] for i in _builtins.range(c.ndim))
    return _binary(lambda a, b: _m.where(c, a, b))(x, y)


def clip(a, a_min, a_max):
    """Limit values to [a_min, a_max]."""
    t = asarray(a)
    return _m.clip_by_value(t, a_min, a_max)


def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """numpy.allclose of the two values (a Python bool)."""
    return bool(_np.allclose(_np.asarray(asarray(a)), _np.asarray(asarray(b)), rtol, atol,
                             equal_nan))


def shape(a):
    """The shape as a tuple."""
    return tuple(asarray(a).shape)


def size(a):
    """The number of elements."""
    return int(_np.prod(shape(a), dtype=_np.int64))


def ndim(a):
    """The number of axes."""
    return asarray(a).ndim


def experimental_enable_numpy_behavior(prefer_float32=False, dtype_conversion_mode="legacy"):
    """Accepted for TF code; graphflow changes nothing (its Tensors convert with np.asarray)."""
    return None


def copy(a):
    """A copy (Tensors are immutable: the same values).

    >>> copy([1., 2.]).numpy()
    array([1., 2.])
    """
    return _m.identity(asarray(a))


def _shape_args(args):
    return tuple(int(v) for v in args)


def _randn(*shape):
    """Standard normal samples of `shape`, float64 (numpy.random.randn)."""
    return _r.normal(_shape_args(shape), dtype=_dt.float64)


def _rand(*shape):
    """U[0, 1) samples of `shape`, float64 (numpy.random.rand)."""
    return _r.uniform(_shape_args(shape), dtype=_dt.float64)


def _uniform(low=0.0, high=1.0, size=None):
    """U[low, high) samples, float64."""
    return _r.uniform(() if size is None else _c.shape_tuple(size), low, high, dtype=_dt.float64)


def _standard_normal(size=None):
    """Standard normal samples, float64."""
    return _r.normal(() if size is None else _c.shape_tuple(size), dtype=_dt.float64)


def _randint(low, high=None, size=None, dtype=int):
    """Integers in [low, high) (numpy.random.randint; int64)."""
    low, high = (0, low) if high is None else (low, high)
    return _r.uniform(() if size is None else _c.shape_tuple(size), low, high,
                      dtype=_np_dtype(dtype))


def _seed(s):
    """Seed graphflow's global random stream (tf.random.set_seed)."""
    _r.set_seed(s)


#: `tnp.random`: randn, rand, uniform, standard_normal, randint, seed (float64, as NumPy)
random = _types.ModuleType("graphflow.experimental.numpy.random")
random.__dict__.update(randn=_randn, rand=_rand, uniform=_uniform, standard_normal=_standard_normal,
                       randint=_randint, seed=_seed)
