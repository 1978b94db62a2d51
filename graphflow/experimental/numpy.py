"""`tf.experimental.numpy` (tnp): a thin, honest alias set - NumPy's names mapped to graphflow
ops that take and return graphflow Tensors. NumPy's dtype rules where they differ from TF's:
floating defaults are float64 (`tnp.ones(2).dtype` is float64) and Python ints int64.
Only the functions listed in `__all__` exist; anything else raises AttributeError (nothing
falls back to numpy silently). `experimental_enable_numpy_behavior()` adds NumPy's methods
(`.T`, `.reshape`, `.astype`, ...) to Tensors and makes operators promote NumPy's way, as TF.
Tensors convert with `np.asarray`, so NumPy functions take them (and return NumPy arrays).

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
from ..errors import user_source
import types as _types

from ..ops import array_ops as _a, creation as _c, math_ops as _m, random_ops as _r
from ..ops import shape_ops as _s
from ..ops import bitwise_ops as _b, complex_ops as _cx, linalg_ops as _l
from ..tensor import OPERATORS as _OPERATORS, Tensor, Variable, constant as _constant
from ..tensor import convert_to_tensor as _convert

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


def _npdt(d):
    return getattr(d, "np", d)


def _np_dtype(dtype):
    if dtype is float and _NUMPY_BEHAVIOR["prefer_float32"]:
        return _dt.float32
    return None if dtype is None else _dt.as_dtype(_np.dtype(getattr(dtype, "np", dtype)))


def asarray(a, dtype=None):
    """A Tensor holding `a` with NumPy's dtype (float64 for Python floats, int64 for ints); a
    Tensor passes through (cast if `dtype` differs).

    >>> asarray([1, 2]).dtype
    tf.int64
    """
    if isinstance(a, Variable):   # read through the op, so tapes and traces see it
        a = _convert(a)
    if isinstance(a, Tensor):
        return a if dtype is None else _m.cast(a, _np_dtype(dtype))
    if isinstance(a, (list, tuple)) and _builtins.any(
            isinstance(x, (Tensor, Variable, list, tuple)) for x in a) and _has_tensor(a):
        return _s.stack(_promote(*a), 0) if dtype is None else \
            _m.cast(_s.stack(_promote(*a), 0), _np_dtype(dtype))   # traceable
    v = _np.asarray(a, dtype=None if dtype is None else _np_dtype(dtype).np)
    if (dtype is None and v.dtype == _np.float64 and _NUMPY_BEHAVIOR["prefer_float32"]
            and not isinstance(a, (_np.ndarray, _np.generic))):
        v = v.astype(_np.float32)   # experimental_enable_numpy_behavior(prefer_float32=True)
    return _constant(v)


def _has_tensor(a):
    return isinstance(a, (Tensor, Variable)) or (
        isinstance(a, (list, tuple)) and _builtins.any(_has_tensor(x) for x in a))


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
        return f(*_promote(x1, x2))
    g.__name__, g.__doc__ = f.__name__, f"Elementwise `{f.__name__}` with NumPy's dtype promotion."
    return g


abs, square = _unary(_m.abs), _unary(_m.square)   # noqa: A001
exp, log, sqrt = _unary(_m.exp, True), _unary(_m.log, True), _unary(_m.sqrt, True)
sin, cos, tanh = _unary(_m.sin, True), _unary(_m.cos, True), _unary(_m.tanh, True)
maximum, minimum, add, subtract, multiply = (_binary(_m.maximum), _binary(_m.minimum),
                                             _binary(_m.add), _binary(_m.subtract),
                                             _binary(_m.multiply))
divide = _binary(lambda a, b: _m.truediv(a, b))


def matmul(x1, x2):
    """numpy.matmul: a 1-D operand is a vector (a row on the left, a column on the right,
    its axis dropped from the result), as TF's tnp.matmul.

    >>> matmul([[1., 2.], [3., 4.]], [1., 1.]).numpy().tolist()
    [3.0, 7.0]
    """
    a, b = _promote(x1, x2)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError("matmul: Input operands must not be scalars (numpy.matmul)")
    va, vb = a.ndim == 1, b.ndim == 1
    out = _m.matmul(_s.expand_dims(a, 0) if va else a, _s.expand_dims(b, -1) if vb else b)
    if vb:
        out = _s.squeeze(out, -1)
    return _s.squeeze(out, -1 if vb else -2) if va else out


def dot(a, b):
    """numpy.dot for vectors and matrices (a scalar, matrix-vector or matrix product)."""
    x, y = _promote(a, b)
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
        raise NotImplementedError(f"tnp.reshape at {user_source()}: only order='C', got "
                                  f"{order!r}")
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
    """numpy.allclose of the two values: a scalar bool tensor, as TF's tnp.allclose."""
    return asarray(bool(_np.allclose(_np.asarray(asarray(a)), _np.asarray(asarray(b)), rtol,
                                     atol, equal_nan)))


def shape(a):
    """The shape as a tuple."""
    return tuple(asarray(a).shape)


def size(a):
    """The number of elements."""
    return int(_np.prod(shape(a), dtype=_np.int64))


def ndim(a):
    """The number of axes."""
    return asarray(a).ndim


_PROMOTED = ("add", "subtract", "multiply", "divide", "floordiv", "mod", "pow", "matmul",
             "less", "less_equal", "greater", "greater_equal", "equal", "not_equal")
_NUMPY_BEHAVIOR = {"enabled": False, "prefer_float32": False}


def _operand(v):
    """What NumPy's promotion sees of an operator operand: a Tensor's dtype, a Python scalar
    itself (a weak type: `int32 tensor + 1.5` is float64, `float32 tensor * 2` float32)."""
    if isinstance(v, (Tensor, Variable)):
        return v.dtype.np
    if isinstance(v, (bool, int, float, complex)):
        return v
    return _np.asarray(v).dtype


def _promoting(op):
    def promoted(x, y, *args, **kwargs):
        try:
            kinds = [_operand(x), _operand(y)]
            if _builtins.any(getattr(k, "kind", "") in "SUO" and isinstance(k, _np.dtype)
                             for k in kinds):
                return op(x, y, *args, **kwargs)
            rt = _np.result_type(*kinds)
        except (TypeError, ValueError):
            return op(x, y, *args, **kwargs)
        dt = _dt.as_dtype(rt)
        x, y = (_m.cast(v, dt) if isinstance(v, (Tensor, Variable)) and v.dtype != dt
                else v if isinstance(v, (Tensor, Variable)) else _constant(_np.asarray(v, rt))
                for v in (x, y))
        return op(x, y, *args, **kwargs)
    promoted.__name__ = getattr(op, "__name__", "operator")
    promoted.__doc__ = f"{promoted.__name__} with NumPy's dtype promotion (tnp behavior)."
    return promoted


def _advanced(i):
    return (isinstance(i, (list, tuple)) or (isinstance(i, _np.ndarray) and i.ndim > 0)
            or (isinstance(i, (Tensor, Variable)) and (i.ndim > 0 or i.dtype == _dt.bool)))


def _index_tensors(i, what):
    """The int64 index tensors (one per axis it covers) of advanced index `i`: an integer
    array as itself, a boolean mask as its nonzero positions (inside @function a run-time
    count: the result's length is known when the graph runs)."""
    if isinstance(i, (Tensor, Variable)):
        if i.dtype != _dt.bool:
            return [_m.cast(i, _dt.int64) if i.dtype != _dt.int64 else i]
        v = getattr(_convert(i), "_value", None)
        if v is None:   # traced: its True positions, a count known when the graph runs
            pos = _a.where_indices(i)
            return [pos[:, k] for k in range(len(i.shape))]
        i = v
    v = _np.asarray(i)
    if v.dtype == _np.bool_:
        return [_constant(n.astype(_np.int64)) for n in _np.nonzero(v)]
    return [_constant(v.astype(_np.int64))]


def _is_mask(i):
    if isinstance(i, (Tensor, Variable)):
        return i.dtype == _dt.bool
    return _advanced(i) and _np.asarray(i).dtype == _np.bool_


def _axes_used(i):
    """How many axes of the indexed array index part `i` consumes (a mask: its rank)."""
    if i is None or i is Ellipsis:
        return 0
    return len(_np.shape(i) if not isinstance(i, (Tensor, Variable)) else i.shape) \
        if _is_mask(i) else 1


def _advanced_getitem(basic, t, parts):
    """NumPy's advanced indexing as one gather_nd, traceable (index arrays may be tensors
    computed in the graph): the basic parts (slices, newaxis) apply first with every advanced
    axis kept whole; the advanced axes then move to the front, their (broadcast, negative
    wrapped) index arrays stack into gather_nd's index tuples, and the broadcast dims land
    where NumPy puts them (in place when the advanced indices are adjacent, else first).
    Integers index as basic indices first, as in TF's tnp (`x[1, :, [1, 0]]` has shape
    [3, 2] where NumPy gives [2, 3])."""
    ndim = len(t.shape)
    used = _builtins.sum(_axes_used(i) for i in parts)
    basic_idx, axes, index, out_axis = [], [], [], 0
    for i in parts:
        if i is Ellipsis:
            basic_idx += [slice(None)] * (ndim - used)
            out_axis += ndim - used
        elif i is None or isinstance(i, slice) or not _advanced(i):
            basic_idx.append(i)   # an integer is a basic index (TF's tnp, unlike NumPy)
            out_axis += 1 if i is None or isinstance(i, slice) else 0
        else:   # an integer array or a boolean mask
            if _is_mask(i):
                at = len(basic_idx) - basic_idx.count(None)
                mask = tuple(i.shape if isinstance(i, (Tensor, Variable)) else _np.shape(i))
                if tuple(t.shape[at:at + len(mask)]) != mask:
                    raise ValueError(f"tnp indexing at {user_source()}: boolean mask of shape "
                                     f"{list(mask)} does not match the indexed dims "
                                     f"{list(t.shape[at:at + len(mask)])} of x{list(t.shape)}")
            idx = _index_tensors(i, f"x{list(t.shape)}[...]")
            axes += [out_axis + k for k in range(len(idx))]
            basic_idx += [slice(None)] * len(idx)
            out_axis += len(idx)
            index += idx
    if not _builtins.any(i is Ellipsis for i in parts):
        basic_idx += [slice(None)] * (ndim - used)
    y = basic(t, tuple(basic_idx))
    dims = _s.shape(y, out_type=_dt.int64)
    index = [_m.where(_m.less(k, 0), _m.add(k, dims[a]), k) for k, a in zip(index, axes)]
    zero = index[0] * 0
    for k in index[1:]:
        zero = zero + k * 0
    rest = [d for d in range(len(y.shape)) if d not in axes]
    out = _a.gather_nd(_s.transpose(y, axes + rest), _s.stack([k + zero for k in index], -1))
    nb = len(zero.shape)
    if axes != list(range(axes[0], axes[0] + len(axes))) or axes[0] == 0:
        return out
    lead = list(range(nb, nb + axes[0]))   # the kept dims before the advanced ones
    return _s.transpose(out, lead + list(range(nb)) + list(range(nb + axes[0], len(out.shape))))


def _numpy_getitem(basic):
    def getitem(x, idx):
        """x[idx] with NumPy's advanced indexing (integer arrays and tensors, boolean masks,
        lists, tuples; inside @function too) as one gather_nd (differentiable); basic indices
        as before."""
        parts = idx if isinstance(idx, tuple) else (idx,)
        if not _builtins.any(_advanced(i) for i in parts):
            return basic(x, idx)
        return _advanced_getitem(basic, asarray(x), parts)
    return getitem


def _reshape_method(self, *shape, order="C"):
    return reshape(self, shape[0] if len(shape) == 1 else shape, order)


def _transpose_method(self, *axes):
    return transpose(self, None if not axes else (axes[0] if len(axes) == 1 else axes))


def _astype_method(self, dtype):
    return _m.cast(self, _np_dtype(dtype))


def _kd(keepdims):
    """keepdims as a bool (NumPy passes its _NoValue sentinel through np.mean & co)."""
    return keepdims is True or (isinstance(keepdims, (int, _np.integer, _np.bool_))
                                and bool(keepdims))


def _tolist_method(self):
    return _np.asarray(self).tolist()


_NUMPY_METHODS = dict(
    T=property(lambda self: transpose(self)), reshape=_reshape_method,
    transpose=_transpose_method, astype=_astype_method, ravel=lambda self: ravel(self),
    flatten=lambda self, order="C": flatten(self, order), clip=lambda self, a, b: clip(self, a, b),
    tolist=_tolist_method, max=lambda self, axis=None, out=None, keepdims=False, **_:
        amax(self, axis, _kd(keepdims)),
    min=lambda self, axis=None, out=None, keepdims=False, **_: amin(self, axis, _kd(keepdims)),
    mean=lambda self, axis=None, dtype=None, out=None, keepdims=False, **_:
        mean(self, axis, dtype, keepdims=_kd(keepdims)),   # numpy's np.mean(t) calls t.mean
    size=property(lambda self: size(self)), data=property(lambda self: self),
    __round__=lambda self, ndigits=None: around(self, ndigits or 0))


def experimental_enable_numpy_behavior(prefer_float32=False, dtype_conversion_mode="legacy"):
    """TF's switch to NumPy behavior, as TF does it: Tensors (and Variables) get NumPy's methods
    (`.T`, `.reshape(2, 3)`, `.astype`, `.ravel`, `.flatten`, `.clip`, `.transpose`, `.tolist`,
    `.max`, `.min`, `.mean`, `.size`, `.data`), and the arithmetic and comparison operators
    promote dtypes NumPy's way (`int32 + float32` is float64, `int32 tensor + 1.5` float64,
    `float32 tensor * 2` stays float32) instead of raising. Process-wide and one-way, as in TF.

    >>> experimental_enable_numpy_behavior()
    >>> import graphflow as tf
    >>> x = tf.constant([[1, 2], [3, 4]])
    >>> x.T.numpy().tolist(), x.reshape(-1).numpy().tolist(), x.astype(float32).dtype
    ([[1, 3], [2, 4]], [1, 2, 3, 4], tf.float32)
    >>> (tf.ones([], tf.int32) + tf.ones([], tf.float32)).dtype
    tf.float64
    >>> _disable_numpy_behavior()   # graphflow only: back to TF's default (tests share a process)
    """
    _NUMPY_BEHAVIOR["prefer_float32"] = bool(prefer_float32)
    if _NUMPY_BEHAVIOR["enabled"]:
        return None
    _NUMPY_BEHAVIOR.update(enabled=True, operators={n: _OPERATORS[n] for n in _PROMOTED
                                                    if n in _OPERATORS}, methods=[])
    for cls in (Tensor, Variable):
        for name, member in _NUMPY_METHODS.items():
            if name not in cls.__dict__:
                setattr(cls, name, member)
                _NUMPY_BEHAVIOR["methods"].append((cls, name))
    for name, op in _NUMPY_BEHAVIOR["operators"].items():
        _OPERATORS[name] = _promoting(op)
    _NUMPY_BEHAVIOR["operators"]["getitem"] = _OPERATORS["getitem"]
    _OPERATORS["getitem"] = _numpy_getitem(_OPERATORS["getitem"])
    return None


def _disable_numpy_behavior():
    """Undo `experimental_enable_numpy_behavior` (TF cannot; graphflow's tests need it, since
    they share one process)."""
    if not _NUMPY_BEHAVIOR["enabled"]:
        return
    for cls, name in _NUMPY_BEHAVIOR.pop("methods"):
        delattr(cls, name)
    _OPERATORS.update(_NUMPY_BEHAVIOR.pop("operators"))
    _NUMPY_BEHAVIOR.update(enabled=False, prefer_float32=False)


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


def _random(size=None):
    """U[0, 1) samples, float64 (numpy.random.random)."""
    return _uniform(0.0, 1.0, size)


def _poisson(lam=1.0, size=None):
    """Poisson samples of rate `lam`, int64 (numpy.random.poisson)."""
    shape = () if size is None else _c.shape_tuple(size)
    return _m.cast(_r.poisson(shape, lam, dtype=_dt.float64), _dt.int64)


def _seed(s):
    """Seed graphflow's global random stream (tf.random.set_seed)."""
    _r.set_seed(s)


#: `tnp.random`: randn, rand, random, uniform, standard_normal, randint, poisson, seed
#: (float64 / int64, as NumPy)
random = _types.ModuleType("graphflow.experimental.numpy.random")
random.__dict__.update(randn=_randn, rand=_rand, uniform=_uniform, standard_normal=_standard_normal,
                       randint=_randint, seed=_seed, random=_random, poisson=_poisson)


# --- NumPy names as a thin table over graphflow ops (they trace, and differentiate where the op
# does). Each wrapper only converts arguments NumPy's way (`asarray`, result-type promotion,
# ints to float64 for float functions) and calls the op.

_LN2, _LN10 = _np.log(2.0), _np.log(10.0)


def _fl(t):
    """`t` as float64 if integer or bool (NumPy's rule for float functions)."""
    return _m.cast(t, _dt.float64) if t.dtype.is_integer or t.dtype == _dt.bool else t


def _promote(*xs):
    """The arguments as Tensors of NumPy's result type; Python scalars are weak, as in NumPy 2
    and TF's tnp (`maximum(float32 tensor, 0)` stays float32)."""
    kinds = [_operand(x) for x in xs]
    if not _builtins.any(isinstance(k, _np.dtype) for k in kinds):   # all Python scalars
        ts = [asarray(x) for x in xs]
        kinds = [t.dtype.np for t in ts]
    rt = _dt.as_dtype(_np.result_type(*kinds))
    out = []
    for x in xs:
        t = asarray(x) if isinstance(x, (Tensor, Variable)) else asarray(
            x, None if isinstance(x, (list, tuple, _np.ndarray)) else rt)
        out.append(t if t.dtype == rt else _m.cast(t, rt))
    return out


def _u(name, f, to_float=False, doc=None):
    def g(x):
        t = asarray(x)
        return f(_fl(t) if to_float else t)
    g.__name__ = g.__qualname__ = name
    g.__doc__ = doc or f"numpy.{name}, elementwise (a graphflow op: traces and differentiates)."
    return g


def _bin(name, f, to_float=False, doc=None):
    def g(x1, x2):
        a, b = _promote(x1, x2)
        if to_float:
            a, b = _fl(a), _fl(b)
        return f(a, b)
    g.__name__ = g.__qualname__ = name
    g.__doc__ = doc or f"numpy.{name} with NumPy's dtype promotion (a graphflow op)."
    return g


def _bool(t):
    return t if t.dtype == _dt.bool else _m.not_equal(t, _m.zeros_like(t))


def _round_half_even(t, decimals=0):
    if not (t.dtype.is_floating or t.dtype.is_complex):
        return t
    if decimals == 0:
        return _m.round(t)
    s = _np.asarray(10.0 ** decimals, t.dtype.np)
    return _m.round(t * s) / s


def _cbrt(t):
    return _m.sign(t) * _m.pow(_m.abs(t), _np.asarray(1.0 / 3.0, t.dtype.np))


def _sinc(t):
    y = _np.pi * _m.where(_m.equal(t, 0.0), _m.ones_like(t), t)
    return _m.where(_m.equal(t, 0.0), _m.ones_like(t), _m.sin(y) / y)


def _signbit(t):
    return _m.less(t, _m.zeros_like(t))   # as TF's tnp: -0.0 gives False (NumPy: True)


def _fix(t):
    return _m.where(_m.less(t, 0), _m.ceil(t), _m.floor(t))


def _heaviside(a, b):
    zero = _m.zeros_like(a)
    return _m.where(_m.less(a, zero), zero, _m.where(_m.greater(a, zero), _m.ones_like(a),
                                                     b + zero))


def _logaddexp(a, b):
    mx = _m.maximum(a, b)
    return mx + _m.log1p(_m.exp(-_m.abs(a - b)))


def _logaddexp2(a, b):
    return _logaddexp(a * _LN2, b * _LN2) / _LN2


def _nextafter(a, b):
    x, y = _np.asarray(a), _np.asarray(b)
    return _constant(_np.nextafter(x, y))


def _int_only(name):
    def check(t):
        if not t.dtype.is_integer:
            raise TypeError(f"tnp.{name} at {user_source()}: needs integer inputs, got "
                            f"{t.dtype.name} {tuple(t.shape)}")
        return t
    return check


def _gcd(a, b):
    _int_only("gcd")(a)
    a, b = _m.abs(a), _m.abs(b)
    for _ in _builtins.range(a.dtype.size * 12):   # Euclid: < 1.44*bits steps (Fibonacci bound)
        nz = _m.not_equal(b, 0)
        a, b = (_m.where(nz, b, a),
                _m.where(nz, _m.floormod(a, _m.where(nz, b, _m.ones_like(b))), b))
    return a


def _lcm(a, b):
    g = _gcd(a, b)
    safe = _m.where(_m.equal(g, 0), _m.ones_like(g), g)
    return _m.abs(_m.floordiv(a, safe) * b)


_UNARY = dict(
    absolute=(_m.abs, False), fabs=(_m.abs, True), negative=(_m.negative, False),
    positive=(_m.identity, False), sign=(_m.sign, False), ceil=(_m.ceil, True),
    floor=(_m.floor, True), rint=(_m.round, True), fix=(_fix, True), conj=(_cx.conj, False),
    conjugate=(_cx.conj, False), real=(_cx.real, False), imag=(_cx.imag, False),
    arccos=(_m.acos, True), arccosh=(_m.acosh, True), arcsin=(_m.asin, True),
    arcsinh=(_m.asinh, True), arctan=(_m.atan, True), arctanh=(_m.atanh, True),
    cosh=(_m.cosh, True), sinh=(_m.sinh, True), tan=(_m.tan, True), expm1=(_m.expm1, True),
    log1p=(_m.log1p, True), log2=(lambda t: _m.log(t) / _np.asarray(_LN2, t.dtype.np), True),
    log10=(lambda t: _m.log(t) / _np.asarray(_LN10, t.dtype.np), True),
    exp2=(lambda t: _m.pow(_np.asarray(2.0, t.dtype.np), t), True), cbrt=(_cbrt, True),
    deg2rad=(lambda t: t * _np.asarray(_np.pi / 180, t.dtype.np), True),
    rad2deg=(lambda t: t * _np.asarray(180 / _np.pi, t.dtype.np), True), sinc=(_sinc, True),
    reciprocal=(_m.reciprocal, False), isnan=(_m.is_nan, True), isinf=(_m.is_inf, True),
    isfinite=(_m.is_finite, True),
    isneginf=(lambda t: _m.logical_and(_m.is_inf(t), _m.less(t, 0)), True),
    isposinf=(lambda t: _m.logical_and(_m.is_inf(t), _m.greater(t, 0)), True),
    signbit=(_signbit, False), logical_not=(lambda t: _m.logical_not(_bool(t)), False),
    bitwise_not=(_b.invert, False))
for _name, (_f, _float) in _UNARY.items():
    globals()[_name] = _u(_name, _f, _float)
_angle = _u("angle", lambda t: _cx.angle(t) if t.dtype.is_complex else _m.atan2(
    _m.zeros_like(t), t), True)


def angle(z, deg=False):
    """numpy.angle: the complex argument (0 or pi for reals), in degrees if `deg`."""
    a = _angle(z)
    return a * (180.0 / _np.pi) if deg else a

_BINARY = dict(
    arctan2=(_m.atan2, True), hypot=(lambda a, b: _m.sqrt(a * a + b * b), True),
    power=(_m.pow, False), float_power=(lambda a, b: _m.pow(_m.cast(a, _dt.float64),
                                                             _m.cast(b, _dt.float64)), False),
    floor_divide=(_m.floordiv, False), remainder=(_m.floormod, False), mod=(_m.floormod, False),
    true_divide=(lambda a, b: _m.truediv(a, b), False), equal=(_m.equal, False),
    not_equal=(_m.not_equal, False), greater=(_m.greater, False),
    greater_equal=(_m.greater_equal, False), less=(_m.less, False),
    less_equal=(_m.less_equal, False),
    logical_and=(lambda a, b: _m.logical_and(_bool(a), _bool(b)), False),
    logical_or=(lambda a, b: _m.logical_or(_bool(a), _bool(b)), False),
    logical_xor=(lambda a, b: _m.logical_xor(_bool(a), _bool(b)), False),
    bitwise_and=(_b.bitwise_and, False), bitwise_or=(_b.bitwise_or, False),
    bitwise_xor=(_b.bitwise_xor, False), logaddexp=(_logaddexp, True),
    logaddexp2=(_logaddexp2, True), heaviside=(_heaviside, True), gcd=(_gcd, False),
    lcm=(_lcm, False), nextafter=(_nextafter, True))
for _name, (_f, _float) in _BINARY.items():
    globals()[_name] = _bin(_name, _f, _float)


def around(a, decimals=0):
    """numpy.around: round half to even at `decimals` places.

    >>> around([0.5, 1.5, 1.234], 1).numpy()
    array([0.5, 1.5, 1.2])
    """
    return _round_half_even(asarray(a), decimals)


round = around   # noqa: A001


def divmod(x1, x2):   # noqa: A001
    """(floor_divide, remainder) of the two.

    >>> [t.numpy() for t in divmod([7, -7], 3)]
    [array([ 2, -3]), array([1, 2])]
    """
    a, b = _promote(x1, x2)
    return _m.floordiv(a, b), _m.floormod(a, b)


# --- reductions
def _ax(axis):
    return None if axis is None else (list(axis) if isinstance(axis, (tuple, list)) else axis)


def all(a, axis=None, keepdims=False):   # noqa: A001
    """True where all entries along `axis` are nonzero.

    >>> print(all([1, 0]).numpy())
    False
    """
    return _m.reduce_all(_bool(asarray(a)), _ax(axis), keepdims=keepdims)


def any(a, axis=None, keepdims=False):   # noqa: A001
    """True where some entry along `axis` is nonzero.

    >>> bool(any([0, 2]))
    True
    """
    return _m.reduce_any(_bool(asarray(a)), _ax(axis), keepdims=keepdims)


def amax(a, axis=None, keepdims=False):
    """Alias of `max`.

    >>> amax([[1, 5], [7, 2]], axis=0).numpy()
    array([7, 5])
    """
    return max(a, _ax(axis), keepdims)


def amin(a, axis=None, keepdims=False):
    """Alias of `min`.

    >>> amin([[1, 5], [7, 2]], axis=1).numpy()
    array([1, 2])
    """
    return min(a, _ax(axis), keepdims)


def ptp(a, axis=None, keepdims=False):
    """max - min along `axis`.

    >>> ptp([[1, 5], [2, 9]], axis=0).numpy()
    array([1, 4])
    """
    return amax(a, axis, keepdims) - amin(a, axis, keepdims)


def average(a, axis=None, weights=None, returned=False):
    """Weighted mean (weights along `axis` if 1-D); with `returned`, also the sum of weights.

    >>> print(average([1, 2, 3], weights=[1, 1, 2]).numpy())
    2.25
    """
    t = _fl(asarray(a))
    if weights is None:
        avg = _m.reduce_mean(t, _ax(axis))
        wsum = _m.cast(_np.asarray(size(t) // _builtins.max(size(avg), 1)), t.dtype)
        return (avg, _m.ones_like(avg) * wsum) if returned else avg
    t, w = _promote(t, weights)
    if w.ndim == 1 and t.ndim > 1:
        shp = [1] * t.ndim
        shp[axis % t.ndim] = -1
        w = _s.reshape(w, shp)
    w = _s.broadcast_to(w, _c.shape_tuple(t.shape)) if w.shape != t.shape else w
    wsum = _m.reduce_sum(w, _ax(axis))
    avg = _m.reduce_sum(t * w, _ax(axis)) / wsum
    return (avg, wsum) if returned else avg


def _nan_to(a, value):
    t = _fl(asarray(a))
    return _m.where(_m.is_nan(t), _m.ones_like(t) * value, t) if t.dtype.is_floating else t


def nansum(a, axis=None, keepdims=False):
    """Sum treating NaN as 0.

    >>> print(nansum([1., nan, 3.]).numpy())
    4.0
    """
    return _m.reduce_sum(_nan_to(a, 0), _ax(axis), keepdims=keepdims)


def nanprod(a, axis=None, keepdims=False):
    """Product treating NaN as 1.

    >>> nanprod([2., nan, 3.]).numpy().item()
    6.0
    """
    return _m.reduce_prod(_nan_to(a, 1), _ax(axis), keepdims=keepdims)


def nanmean(a, axis=None, keepdims=False):
    """Mean over the non-NaN entries.

    >>> print(nanmean([1., nan, 3.]).numpy())
    2.0
    """
    t = _fl(asarray(a))
    ok = _m.cast(_m.logical_not(_m.is_nan(t)), t.dtype)
    return nansum(t, axis, keepdims) / _m.reduce_sum(ok, _ax(axis), keepdims=keepdims)


def count_nonzero(a, axis=None):
    """The number of nonzero entries (int64).

    >>> count_nonzero([[0, 1], [2, 3]], axis=0).numpy()
    array([1, 2])
    """
    return _m.count_nonzero(asarray(a), _ax(axis), dtype=_dt.int64)


def _flat_if_none(t, axis):
    return (_s.reshape(t, [-1]), 0) if axis is None else (t, axis)


def cumsum(a, axis=None, dtype=None):
    """Running sum (of the flattened array when axis is None).

    >>> cumsum([[1, 2], [3, 4]]).numpy()
    array([ 1,  3,  6, 10])
    """
    return _a.cumsum(*_flat_if_none(asarray(a, dtype), axis))


def cumprod(a, axis=None, dtype=None):
    """Running product (of the flattened array when axis is None).

    >>> cumprod([1, 2, 3]).numpy()
    array([1, 2, 6])
    """
    return _a.cumprod(*_flat_if_none(asarray(a, dtype), axis))


def diff(a, n=1, axis=-1):
    """n-th discrete difference along `axis`.

    >>> diff([1, 4, 9]).numpy()
    array([3, 5])
    """
    t = asarray(a)
    ax = axis % t.ndim
    lo = tuple(slice(None) if i != ax else slice(1, None) for i in _builtins.range(t.ndim))
    hi = tuple(slice(None) if i != ax else slice(None, -1) for i in _builtins.range(t.ndim))
    for _ in _builtins.range(n):
        t = t[lo] - t[hi]
    return t


def trace(a, offset=0, axis1=0, axis2=1, dtype=None):
    """Sum of the `offset` diagonal of `a` over (axis1, axis2).

    >>> print(trace([[1, 2], [3, 4]]).numpy())
    5
    """
    return _m.reduce_sum(diagonal(asarray(a, dtype), offset, axis1, axis2), -1)


# --- shapes and indexing
def ravel(a):
    """The flattened array (C order).

    >>> ravel([[1, 2], [3, 4]]).numpy()
    array([1, 2, 3, 4])
    """
    return _s.reshape(asarray(a), [-1])


def flatten(a, order="C"):
    """The flattened array (C order only).

    >>> flatten([[1, 2], [3, 4]]).numpy()
    array([1, 2, 3, 4])
    """
    if order != "C":
        raise NotImplementedError(f"tnp.flatten at {user_source()}: only order='C', got "
                                  f"{order!r}")
    return ravel(a)


def moveaxis(a, source, destination):
    """Move axes to new positions.

    >>> moveaxis(ones((2, 3, 4)), 0, -1).shape
    TensorShape([3, 4, 2])
    """
    t = asarray(a)
    src = [s % t.ndim for s in (source if isinstance(source, (list, tuple)) else [source])]
    dst = [d % t.ndim for d in (destination if isinstance(destination, (list, tuple))
                                else [destination])]
    order = [i for i in _builtins.range(t.ndim) if i not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return _s.transpose(t, order)


def swapaxes(a, axis1, axis2):
    """Exchange two axes.

    >>> swapaxes(ones((2, 3, 4)), 0, 2).shape
    TensorShape([4, 3, 2])
    """
    t = asarray(a)
    p = list(_builtins.range(t.ndim))
    i, j = axis1 % t.ndim, axis2 % t.ndim
    p[i], p[j] = p[j], p[i]
    return _s.transpose(t, p)


def flip(m, axis=None):
    """Reverse the order along `axis` (all axes if None).

    >>> flip([[1, 2], [3, 4]]).numpy()
    array([[4, 3],
           [2, 1]])
    """
    t = asarray(m)
    axes = list(_builtins.range(t.ndim)) if axis is None else (
        list(axis) if isinstance(axis, (list, tuple)) else [axis])
    return _a.reverse(t, axes)


def fliplr(m):
    """Reverse along axis 1.

    >>> fliplr([[1, 2], [3, 4]]).numpy()
    array([[2, 1],
           [4, 3]])
    """
    return flip(m, 1)


def flipud(m):
    """Reverse along axis 0.

    >>> flipud([[1, 2], [3, 4]]).numpy()
    array([[3, 4],
           [1, 2]])
    """
    return flip(m, 0)


def rot90(m, k=1, axes=(0, 1)):
    """Rotate by 90 degrees k times in the plane of `axes` (counter-clockwise).

    >>> rot90([[1, 2], [3, 4]]).numpy()
    array([[2, 4],
           [1, 3]])
    """
    t = asarray(m)
    k %= 4
    if k == 0:
        return t
    if k == 2:
        return flip(flip(t, axes[0]), axes[1])
    if k == 1:
        return swapaxes(flip(t, axes[1]), axes[0], axes[1])
    return flip(swapaxes(t, axes[0], axes[1]), axes[1])


def _atleast(n, arys):
    out = []
    for x in arys:
        t = asarray(x)
        if t.ndim < n:
            shp = [int(d) for d in t.shape]
            shp = {0: [], 1: [1] + shp + [1], 2: shp + [1]}[t.ndim] if n == 3 else [1] + shp
            t = _s.reshape(t, [1] * (n - len(shp)) + shp if t.ndim == 0 else shp)
        out.append(t)
    return out[0] if len(out) == 1 else out


def atleast_1d(*arys):
    """The arrays with at least one axis.

    >>> atleast_1d(5).numpy()
    array([5])
    """
    return _atleast(1, arys)


def atleast_2d(*arys):
    """The arrays with at least two axes (a 1-D array becomes a row).

    >>> atleast_2d([1, 2]).shape
    TensorShape([1, 2])
    """
    return _atleast(2, arys)


def atleast_3d(*arys):
    """The arrays with at least three axes (1-D (N,) -> (1, N, 1), 2-D (M, N) -> (M, N, 1)).

    >>> atleast_3d([[1, 2]]).shape
    TensorShape([1, 2, 1])
    """
    return _atleast(3, arys)


def broadcast_to(array, shape):
    """`array` broadcast to `shape`.

    >>> broadcast_to([1, 2], (2, 2)).numpy()
    array([[1, 2],
           [1, 2]])
    """
    return _s.broadcast_to(asarray(array), _c.shape_tuple(shape))


def broadcast_arrays(*args):
    """All arguments broadcast to their common shape.

    >>> [t.shape for t in broadcast_arrays([1, 2], [[1], [2]])]
    [TensorShape([2, 2]), TensorShape([2, 2])]
    """
    ts = [asarray(x) for x in args]
    shp = _np.broadcast_shapes(*[tuple(t.shape) for t in ts])
    return [t if tuple(t.shape) == shp else _s.broadcast_to(t, shp) for t in ts]


def append(arr, values, axis=None):
    """`values` appended to `arr` (both flattened when axis is None).

    >>> append([1, 2], [[3, 4]]).numpy()
    array([1, 2, 3, 4])
    """
    a, v = _promote(arr, values)
    if axis is None:
        a, v, axis = ravel(a), ravel(v), 0
    return _s.concat([a, v], axis)


def hstack(tup):
    """Stack along axis 1 (axis 0 for 1-D arrays).

    >>> hstack([[1, 2], [3]]).numpy()
    array([1, 2, 3])
    """
    ts = _promote(*tup)
    return _s.concat(ts, 0 if ts[0].ndim == 1 else 1)


def vstack(tup):
    """Stack rows (1-D arrays become rows).

    >>> vstack([[1, 2], [3, 4]]).numpy()
    array([[1, 2],
           [3, 4]])
    """
    return _s.concat(atleast_2d(*_promote(*tup)) if len(tup) > 1 else [atleast_2d(tup[0])], 0)


def dstack(tup):
    """Stack along the third axis.

    >>> dstack([[1, 2], [3, 4]]).shape
    TensorShape([1, 2, 2])
    """
    return _s.concat(atleast_3d(*_promote(*tup)) if len(tup) > 1 else [atleast_3d(tup[0])], 2)


def split(ary, indices_or_sections, axis=0):
    """Split into equal sections or at the given indices (a list of Tensors).

    >>> [t.numpy() for t in split(arange(6), [1, 4])]
    [array([0]), array([1, 2, 3]), array([4, 5])]
    """
    t = asarray(ary)
    n = t.shape[axis]
    if isinstance(indices_or_sections, int):
        return _s.split(t, indices_or_sections, axis)
    bounds = [0] + [int(i) for i in indices_or_sections] + [int(n)]
    return _s.split(t, [bounds[i + 1] - bounds[i] for i in _builtins.range(len(bounds) - 1)],
                    axis)


def hsplit(ary, indices_or_sections):
    """`split` along axis 1 (axis 0 for 1-D).

    >>> [t.numpy() for t in hsplit(arange(4), 2)]
    [array([0, 1]), array([2, 3])]
    """
    t = asarray(ary)
    return split(t, indices_or_sections, 0 if t.ndim == 1 else 1)


def vsplit(ary, indices_or_sections):
    """`split` along axis 0.

    >>> [t.shape for t in vsplit(ones((4, 2)), 2)]
    [TensorShape([2, 2]), TensorShape([2, 2])]
    """
    return split(ary, indices_or_sections, 0)


def dsplit(ary, indices_or_sections):
    """`split` along axis 2.

    >>> [t.shape for t in dsplit(ones((1, 2, 4)), 2)]
    [TensorShape([1, 2, 2]), TensorShape([1, 2, 2])]
    """
    return split(ary, indices_or_sections, 2)


def tile(A, reps):   # noqa: N803 (NumPy's name)
    """`A` repeated `reps` times per axis (NumPy's promotion of ranks).

    >>> tile([1, 2], 2).numpy()
    array([1, 2, 1, 2])
    """
    t = asarray(A)
    reps = [reps] if isinstance(reps, int) else list(reps)
    if len(reps) > t.ndim:
        t = _s.reshape(t, [1] * (len(reps) - t.ndim) + list(t.shape))
    reps = [1] * (t.ndim - len(reps)) + reps
    return _s.tile(t, reps)


def repeat(a, repeats, axis=None):
    """Each element repeated (flattened when axis is None).

    >>> repeat([[1, 2]], [1, 2], axis=1).numpy()
    array([[1, 2, 2]])
    """
    t = asarray(a)
    if axis is None:
        t, axis = ravel(t), 0
    return _a.repeat(t, repeats, axis)


def roll(a, shift, axis=None):
    """Shift elements cyclically (the flattened array when axis is None).

    >>> roll(arange(5), 2).numpy()
    array([3, 4, 0, 1, 2])
    """
    t = asarray(a)
    if axis is None:
        return _s.reshape(_a.roll(ravel(t), shift, 0), _c.shape_tuple(t.shape))
    return _a.roll(t, shift, axis)


def pad(array, pad_width, mode="constant", constant_values=0):
    """numpy.pad for modes 'constant', 'reflect' and 'symmetric'.

    >>> pad([1, 2, 3], [[1, 2]], mode="reflect").numpy()
    array([2, 1, 2, 3, 2, 1])
    """
    t = asarray(array)
    pw = _np.broadcast_to(_np.asarray(pad_width, _np.int64).reshape(-1, 2)
                          if _np.ndim(pad_width) else _np.asarray(pad_width), (t.ndim, 2))
    return _a.pad(t, pw.tolist(), mode.upper(), constant_values)


def take(a, indices, axis=None):
    """Elements at `indices` (of the flattened array when axis is None).

    >>> take([[1, 2], [3, 4]], [3, 0]).numpy()
    array([4, 1])
    """
    t = asarray(a)
    if axis is None:
        t, axis = ravel(t), 0
    return _s.gather(t, asarray(indices), axis=axis)


def take_along_axis(arr, indices, axis):
    """Pick along `axis` with an index array of the same rank (numpy.take_along_axis).

    >>> take_along_axis([[3, 1], [2, 4]], [[1, 0], [0, 1]], axis=1).numpy()
    array([[1, 3],
           [2, 4]])
    """
    t, idx = asarray(arr), asarray(indices)
    if axis is None:
        t, axis = ravel(t), 0
    ax = axis % t.ndim
    shp = tuple(int(d) for d in idx.shape)
    grids = _np.meshgrid(*[_np.arange(d) for d in shp], indexing="ij")
    parts = [_constant(g.astype(_np.int64)) if i != ax else _m.cast(idx, _dt.int64)
             for i, g in enumerate(grids)]
    tb = _s.broadcast_to(t, tuple(shp[i] if i != ax else int(t.shape[i])
                                  for i in _builtins.range(t.ndim))) \
        if _builtins.any(int(t.shape[i]) != shp[i] for i in _builtins.range(t.ndim)
                         if i != ax) else t
    return _a.gather_nd(tb, _s.stack(parts, -1))


def compress(condition, a, axis=None):
    """The slices of `a` where `condition` is true.

    >>> compress([True, False, True], [1, 2, 3]).numpy()
    array([1, 3])
    """
    t = asarray(a)
    if axis is None:
        t, axis = ravel(t), 0
    c = _bool(asarray(condition))
    n = int(t.shape[axis])
    if c.shape[0] < n:
        c = _s.concat([c, _c.fill((n - int(c.shape[0]),), _np.asarray(False))], 0)
    return _a.boolean_mask(t, c, axis=axis)


def diagonal(a, offset=0, axis1=0, axis2=1):
    """The `offset` diagonal over (axis1, axis2), as the last axis.

    >>> diagonal([[1, 2], [3, 4]], 1).numpy()
    array([2])
    """
    t = asarray(a)
    t = moveaxis(t, [axis1, axis2], [-2, -1])
    r, c = int(t.shape[-2]), int(t.shape[-1])
    rows = _np.arange(_builtins.max(0, -offset), _builtins.min(r, c - offset))
    idx = _np.stack([rows, rows + offset], -1).astype(_np.int64)
    if t.ndim == 2:
        return _a.gather_nd(t, _constant(idx))
    tt = moveaxis(t, [-2, -1], [0, 1])
    return moveaxis(_a.gather_nd(tt, _constant(idx)), 0, -1)


def diag(v, k=0):
    """A 1-D `v` as the k-th diagonal of a square matrix, or a 2-D `v`'s k-th diagonal.

    >>> diag([1, 2], k=1).numpy()
    array([[0, 1, 0],
           [0, 0, 2],
           [0, 0, 0]])
    """
    t = asarray(v)
    if t.ndim == 2:
        return diagonal(t, k)
    d = _l.diag(t)
    if k == 0:
        return d
    a = _builtins.abs(k)
    return _a.pad(d, [[0, a], [a, 0]] if k > 0 else [[a, 0], [0, a]])


def diagflat(v, k=0):
    """The flattened `v` as a diagonal.

    >>> diagflat([1, 2]).numpy()
    array([[1, 0],
           [0, 2]])
    """
    return diag(ravel(v), k)


def tri(N, M=None, k=0, dtype=float):   # noqa: N803
    """Ones at and below the k-th diagonal (float64 by default).

    >>> tri(3, 2, -1).numpy()
    array([[0., 0.],
           [1., 0.],
           [1., 1.]])
    """
    return _constant(_np.tri(N, M, k, dtype=_np_dtype(dtype).np))


def tril(m, k=0):
    """Zeros above the k-th diagonal.

    >>> tril([[1, 2], [3, 4]]).numpy()
    array([[1, 0],
           [3, 4]])
    """
    t = asarray(m)
    mask = _constant(_np.tri(int(t.shape[-2]), int(t.shape[-1]), k, dtype=bool))
    return _m.where(mask, t, _m.zeros_like(t))


def triu(m, k=0):
    """Zeros below the k-th diagonal.

    >>> triu([[1, 2], [3, 4]]).numpy()
    array([[1, 2],
           [0, 4]])
    """
    t = asarray(m)
    mask = _constant(~_np.tri(int(t.shape[-2]), int(t.shape[-1]), k - 1, dtype=bool))
    return _m.where(mask, t, _m.zeros_like(t))


def meshgrid(*xi, indexing="xy"):
    """Coordinate grids (numpy.meshgrid).

    >>> [t.numpy() for t in meshgrid([1, 2], [3, 4, 5])][1]
    array([[3, 3],
           [4, 4],
           [5, 5]])
    """
    return list(_a.meshgrid(*[asarray(x) for x in xi], indexing=indexing))


def ix_(*args):
    """Open meshes for indexing (each argument reshaped to its own axis).

    >>> [t.shape for t in ix_([0, 1], [2, 3])]
    [TensorShape([2, 1]), TensorShape([1, 2])]
    """
    n = len(args)
    return [_s.reshape(asarray(a), [1] * i + [-1] + [1] * (n - i - 1))
            for i, a in enumerate(args)]


def diag_indices(n, ndim=2):
    """The indices of the main diagonal (int32 as TF's), one per axis.

    >>> [t.numpy() for t in diag_indices(2)]
    [array([0, 1], dtype=int32), array([0, 1], dtype=int32)]
    """
    r = arange(n, dtype=_dt.int32)
    return tuple([r] * ndim)


def nonzero(a):
    """The indices of the nonzero entries, one int64 Tensor per axis.

    >>> [t.numpy() for t in nonzero([0, 1, 2])]
    [array([1, 2])]
    """
    t = _bool(asarray(a))
    idx = _a.where_indices(t)
    return [idx[:, i] for i in _builtins.range(t.ndim)]


def sort(a, axis=-1, kind="quicksort", order=None):
    """Sorted copy (flattened when axis is None).

    >>> sort([[3, 1], [0, 2]], axis=0).numpy()
    array([[0, 1],
           [3, 2]])
    """
    t = asarray(a)
    if axis is None:
        t, axis = ravel(t), 0
    return _a.sort(t, axis)


def argsort(a, axis=-1, kind="quicksort", order=None):
    """Indices that sort `a` (int64; stable for kind='stable').

    >>> argsort([3, 1, 2]).numpy()
    array([1, 2, 0])
    """
    t = asarray(a)
    if axis is None:
        t, axis = ravel(t), 0
    return _m.cast(_a.argsort(t, axis, stable=kind in ("stable", "mergesort")), _dt.int64)


def outer(a, b):
    """Outer product of the flattened inputs.

    >>> outer([1, 2], [3, 4, 5]).numpy()
    array([[ 3,  4,  5],
           [ 6,  8, 10]])
    """
    x, y = _promote(a, b)
    return _s.reshape(x, [-1, 1]) * _s.reshape(y, [1, -1])


def inner(a, b):
    """Inner product over the last axes.

    >>> inner([1, 2], [3, 4]).numpy().item()
    11
    """
    x, y = _promote(a, b)
    if x.ndim == 0 or y.ndim == 0:
        return x * y
    return _a.tensordot(x, y, [[x.ndim - 1], [y.ndim - 1]])


def vdot(a, b):
    """Dot product of the flattened inputs (the first conjugated).

    >>> print(vdot([1, 2], [3, 4]).numpy())
    11
    """
    x, y = _promote(a, b)
    x = _cx.conj(x) if x.dtype.is_complex else x
    return _m.reduce_sum(ravel(x) * ravel(y))


def tensordot(a, b, axes=2):
    """numpy.tensordot.

    >>> tensordot(ones((2, 3)), ones((3, 4)), axes=1).shape
    TensorShape([2, 4])
    """
    x, y = _promote(a, b)
    return _a.tensordot(x, y, axes)


def einsum(subscripts, *operands, **kwargs):
    """numpy.einsum (explicit or implicit output).

    >>> einsum("ij,j->i", [[1, 2], [3, 4]], [1, 1]).numpy()
    array([3, 7])
    """
    return _a.einsum(subscripts, *_promote(*operands))


def kron(a, b):
    """Kronecker product.

    >>> kron([[1, 2]], [[1], [10]]).numpy()
    array([[ 1,  2],
           [10, 20]])
    """
    x, y = _promote(a, b)
    n = _builtins.max(x.ndim, y.ndim)
    x = _s.reshape(x, [1] * (n - x.ndim) + list(x.shape))
    y = _s.reshape(y, [1] * (n - y.ndim) + list(y.shape))
    xe = _s.reshape(x, [d for s in x.shape for d in (int(s), 1)])
    ye = _s.reshape(y, [d for s in y.shape for d in (1, int(s))])
    return _s.reshape(xe * ye, [int(p) * int(q) for p, q in zip(x.shape, y.shape)])


def cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """Cross product of 3-vectors along the last axis.

    >>> cross([1, 0, 0], [0, 1, 0]).numpy()
    array([0, 0, 1])
    """
    x, y = _promote(a, b)
    x, y = broadcast_arrays(x, y)
    return _l.cross(x, y)


def vander(x, N=None, increasing=False):   # noqa: N803
    """Vandermonde matrix: columns x**(N-1) ... x**0 (reversed if `increasing`).

    >>> vander([1, 2, 3], 3).numpy()
    array([[1, 1, 1],
           [4, 2, 1],
           [9, 3, 1]])
    """
    t = asarray(x)
    n = int(t.shape[0]) if N is None else N
    pw = _np.arange(n) if increasing else _np.arange(n)[::-1]
    return _m.pow(_s.reshape(t, [-1, 1]), _constant(pw.astype(t.dtype.np)))


def polyval(p, x):
    """Value at `x` of the polynomial with coefficients `p` (highest power first).

    >>> polyval([1., 2., 3.], [2.]).numpy()
    array([11.])
    """
    c, t = _promote(p, x)
    out = _m.zeros_like(t)
    for i in _builtins.range(int(c.shape[0])):
        out = out * t + c[i]
    return out


def select(condlist, choicelist, default=0):
    """The first choice whose condition holds, else `default`.

    >>> select([[True, False], [False, True]], [[1, 2], [3, 4]], 9).numpy()
    array([1, 4])
    """
    out = asarray(default)
    for cnd, ch in reversed(list(zip(condlist, choicelist))):
        ch, out = _promote(ch, out)
        ch, out = broadcast_arrays(ch, out)
        out = _m.where(_bool(asarray(cnd)), ch, out)
    return out


def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Elementwise |a - b| <= atol + rtol * |b|.

    >>> isclose([1., 2.], [1., 2.1]).numpy()
    array([ True, False])
    """
    x, y = _promote(a, b)
    x, y = _fl(x), _fl(y)
    out = _m.less_equal(_m.abs(x - y), atol + rtol * _m.abs(y))
    out = _m.logical_or(out, _m.equal(x, y))
    if equal_nan:
        out = _m.logical_or(out, _m.logical_and(_m.is_nan(x), _m.is_nan(y)))
    return out


def array_equal(a1, a2):
    """True if same shape and elements (a bool Tensor).

    >>> array_equal([1, 2], [1, 2]).numpy().item()
    True
    """
    x, y = _promote(a1, a2)
    if tuple(x.shape) != tuple(y.shape):
        return _constant(_np.asarray(False))
    return _m.reduce_all(_m.equal(x, y))


def empty(shape, dtype=float):
    """Zeros (graphflow never hands out uninitialized memory).

    >>> empty((2,)).numpy()
    array([0., 0.])
    """
    return zeros(shape, dtype)


def empty_like(a, dtype=None):
    """Zeros shaped like `a`.

    >>> empty_like([1, 2]).numpy()
    array([0, 0])
    """
    return zeros_like(a, dtype)


def full_like(a, fill_value, dtype=None):
    """`a`'s shape filled with `fill_value`, in `a`'s dtype unless `dtype`.

    >>> full_like([1, 2], 7.5).numpy()
    array([7, 7])
    """
    t = asarray(a)
    dt = t.dtype if dtype is None else _np_dtype(dtype)
    return _c.fill(_c.shape_tuple(t.shape), _np.asarray(fill_value, dt.np))


def logspace(start, stop, num=50, endpoint=True, base=10.0, dtype=None):
    """`base` ** linspace(start, stop).

    >>> logspace(0, 2, 3).numpy()
    array([  1.,  10., 100.])
    """
    return _constant(_np.logspace(start, stop, num, endpoint, base,
                                  dtype=None if dtype is None else _np_dtype(dtype).np))


def geomspace(start, stop, num=50, endpoint=True, dtype=None):
    """Geometric progression from start to stop.

    >>> geomspace(1, 100, 3).numpy()
    array([  1.,  10., 100.])
    """
    return _constant(_np.geomspace(start, stop, num, endpoint,
                                   dtype=None if dtype is None else _np_dtype(dtype).np))


def asanyarray(a, dtype=None):
    """As `asarray`.

    >>> asanyarray([1., 2.]).dtype
    tf.float64
    """
    return asarray(a, dtype)


def ascontiguousarray(a, dtype=None):
    """As `asarray` (graphflow arrays are always contiguous).

    >>> ascontiguousarray([1, 2]).dtype
    tf.int64
    """
    return asarray(a, dtype)


# --- dtypes and predicates (NumPy's objects, as TF's tnp exposes them)


def finfo(dtype):
    """numpy.finfo of a float dtype (graphflow or NumPy).

    >>> float(finfo(float32).eps)
    1.1920928955078125e-07
    """
    return _np.finfo(_npdt(dtype))


def iinfo(int_type):
    """numpy.iinfo of an integer dtype (graphflow or NumPy).

    >>> int(iinfo(int32).max)
    2147483647
    """
    return _np.iinfo(_npdt(int_type))


float_, int_, complex_, inexact = _np.float64, _np.int64, _np.complex128, _np.inexact
object_, string_, unicode_ = _np.object_, _np.bytes_, _np.str_
int8, int16, uint16, uint32, uint64 = _dt.int8, _dt.int16, _dt.uint16, _dt.uint32, _dt.uint64


def promote_types(type1, type2):
    """numpy.promote_types (a NumPy dtype).

    >>> promote_types(int32, float32)
    dtype('float64')
    """
    return _np.promote_types(_npdt(type1), _npdt(type2))


def result_type(*arrays_and_dtypes):
    """The dtype NumPy's promotion gives these arrays/dtypes (a graphflow dtype).

    >>> result_type(int32, 1.0)
    tf.float64
    """
    vals = [_npdt(a.dtype) if isinstance(a, Tensor) else _npdt(a) for a in arrays_and_dtypes]
    return _dt.as_dtype(_np.result_type(*vals))


def issubdtype(arg1, arg2):
    """numpy.issubdtype, accepting graphflow dtypes.

    >>> issubdtype(float32, inexact)
    True
    """
    return _np.issubdtype(_npdt(arg1), _npdt(arg2))


def isscalar(num):
    """True for Python/NumPy scalars and rank-0 Tensors (TF's tnp).

    >>> isscalar(3), isscalar(asarray(3)), isscalar([3])
    (True, True, False)
    """
    return (isinstance(num, Tensor) and num.ndim == 0) or _np.isscalar(num)


def iscomplexobj(x):
    """True if `x` has a complex dtype.

    >>> iscomplexobj([1j]), iscomplexobj([1.])
    (True, False)
    """
    return asarray(x).dtype.is_complex


def isrealobj(x):
    """True unless `x` has a complex dtype.

    >>> isrealobj([1.])
    True
    """
    return not iscomplexobj(x)


def iscomplex(x):
    """Elementwise: a nonzero imaginary part.

    >>> iscomplex([1 + 1j, 1 + 0j]).numpy()
    array([ True, False])
    """
    t = asarray(x)
    return _m.not_equal(_cx.imag(t), 0) if t.dtype.is_complex else _m.zeros_like(t) != 0


def isreal(x):
    """Elementwise: a zero imaginary part.

    >>> isreal([1 + 1j, 1 + 0j]).numpy()
    array([False,  True])
    """
    return _m.logical_not(iscomplex(x))


__all__ += (list(_UNARY) + list(_BINARY) + [
    "angle", "around", "round", "divmod", "all", "any", "amax", "amin", "ptp", "average",
    "nansum", "nanprod", "nanmean", "count_nonzero", "cumsum", "cumprod", "diff", "trace",
    "ravel", "flatten", "moveaxis", "swapaxes", "flip", "fliplr", "flipud", "rot90", "atleast_1d",
    "atleast_2d", "atleast_3d", "broadcast_to", "broadcast_arrays", "append", "hstack", "vstack",
    "dstack", "split", "hsplit", "vsplit", "dsplit", "tile", "repeat", "roll", "pad", "take",
    "take_along_axis", "compress", "diagonal", "diag", "diagflat", "tri", "tril", "triu",
    "meshgrid", "ix_", "diag_indices", "nonzero", "sort", "argsort", "outer", "inner", "vdot",
    "tensordot", "einsum", "kron", "cross", "vander", "polyval", "select", "isclose",
    "array_equal", "empty", "empty_like", "full_like", "logspace", "geomspace", "asanyarray",
    "ascontiguousarray", "finfo", "iinfo", "float_", "int_", "complex_", "inexact", "object_",
    "string_", "unicode_", "int8", "int16", "uint16", "uint32", "uint64", "promote_types",
    "result_type", "issubdtype", "isscalar", "iscomplexobj", "isrealobj", "iscomplex", "isreal"])
