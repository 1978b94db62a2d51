"""More of TF's core API: `tf.strided_slice`, `tf.bitcast`, `tf.histogram_fixed_width`,
`tf.math.polyval / confusion_matrix / in_top_k / bessel_i0e / bessel_i1e / ...`,
`tf.nn.weighted_cross_entropy_with_logits`, `tf.tensor_scatter_nd_sub/max/min`,
`tf.unique_with_counts`, `tf.identity_n`, `tf.get_static_value`.

Compositions of existing ops where TF's own are (their gradients follow); three primitives:
`bitcast` (no derivative: it reinterprets bits) and `bessel_i0e` / `bessel_i1e` (numerically
stable exponentially scaled Bessel functions; VJPs in graphflow ops, so they differentiate
again).

>>> import graphflow as tf
>>> x = tf.reshape(tf.range(24), [2, 3, 4])
>>> tf.strided_slice(x, [0, 1], [2, 3], [1, 1], shrink_axis_mask=1).numpy()
array([[ 4,  5,  6,  7],
       [ 8,  9, 10, 11]], dtype=int32)
"""
import builtins as _builtins
import collections
import math
import time

import numpy as np

from .. import dtypes as _dt
from ..dispatch import bind
from ..tensor import Tensor, TensorShape, constant, to_tensor
from . import array_ops as _a, math_ops as _m, segment_ops as _seg, shape_ops as _s
from .collective_ops import current_communicator
from .conv_ops import conv1d, conv2d
from .linalg_ops import diag, diag_part, norm as linalg_norm, svd
from .random_ops import stateless_uniform
from .registry import CONSTANT, OPS, POINTWISE, Aval, defop, op_error
from .dynamic_index import is_traced
from .special_ops import erfinv, lgamma

__all__ = ["strided_slice", "bitcast", "histogram_fixed_width", "histogram_fixed_width_bins",
           "polyval", "confusion_matrix", "in_top_k", "bessel_i0e", "bessel_i1e", "bessel_i0",
           "bessel_i1", "weighted_cross_entropy_with_logits", "tensor_scatter_nd_sub",
           "tensor_scatter_nd_max", "tensor_scatter_nd_min", "unique_with_counts",
           "identity_n", "get_static_value", "multiply_no_nan", "truncatediv", "truncatemod",
           "invert_permutation", "is_non_decreasing", "is_strictly_increasing", "lbeta",
           "xlog1py", "xdivy", "scalar_mul"]

_NO = {}


def get_static_value(tensor, partial=False):
    """The value of `tensor` as a numpy array if it is known without running a graph (an eager
    tensor, a constant while tracing, a Python or numpy value), else None.

    >>> get_static_value(constant([1, 2]))
    array([1, 2], dtype=int32)
    """
    if isinstance(tensor, Tensor):
        g = getattr(tensor, "_graph", None)
        if g is not None:   # a symbolic tensor while tracing: known if it is a constant node
            node = g.nx.nodes[tensor._node]
            return np.asarray(node["attrs"]["value"]) if OPS[node["op"]] is CONSTANT else None
        return tensor.numpy()
    if hasattr(tensor, "numpy"):   # a Variable
        return tensor.numpy()
    try:
        return np.asarray(tensor)
    except Exception:
        return None


def static_ints(v, what, opname):
    """`v` (a Python or numpy value, or a tensor known now) as a list of ints; a ValueError
    naming `opname` and `what` if it is only known at run time (a symbolic tensor).

    >>> static_ints([2, 3], "size", "op"), static_ints(constant(4), "n", "op")
    ([2, 3], [4])
    """
    val = get_static_value(v)
    if val is None or val.dtype == object:
        raise ValueError(f"{opname}: `{what}` must be known while tracing (a constant), got {v!r}")
    return [int(i) for i in np.asarray(val).reshape(-1)]


# ---------------------------------------------------------------- strided_slice
def _entries(v):
    """strided_slice's begin/end/strides as a list of ints, or of 0-d tensors where a value is
    known only when the graph runs (a traced 1-D tensor, or a list holding traced scalars)."""
    if is_traced(v):
        if len(v.shape) != 1 or not isinstance(v.shape[0], int):
            raise ValueError(f"strided_slice: begin/end/strides must be 1-D of known length, got "
                             f"a tensor of shape {list(v.shape)}")
        return [v[k] for k in _builtins.range(v.shape[0])]
    if isinstance(v, (list, tuple)) and any(is_traced(k) for k in v):
        return list(v)
    return static_ints(v, "begin/end/strides", "strided_slice")


def strided_slice(input_, begin, end, strides=None, begin_mask=0, end_mask=0, ellipsis_mask=0,
                  new_axis_mask=0, shrink_axis_mask=0, var=None, name=None):
    """`tf.strided_slice`: the slice `input_[begin:end:strides]` spelled as TF's op; bit i of a
    mask applies to entry i of the spec: begin_mask / end_mask ignore begin[i] / end[i],
    ellipsis_mask makes entry i `...`, new_axis_mask inserts an axis, shrink_axis_mask takes
    the single index begin[i] (dropping the axis). Same as Python indexing, so differentiable.

    >>> strided_slice(constant([0, 1, 2, 3, 4, 5]), [1], [-1], [2]).numpy()
    array([1, 3], dtype=int32)
    >>> strided_slice(constant([[1, 2], [3, 4]]), [0, 1], [0, 2], end_mask=1).numpy()
    array([[2],
           [4]], dtype=int32)
    """
    b, e, s = (_entries(v) for v in (begin, end, strides if strides is not None else
                                        [1] * len(_entries(begin))))
    if not len(b) == len(e) == len(s):
        raise ValueError(f"strided_slice: begin, end and strides must have the same length, got "
                         f"{len(b)}, {len(e)}, {len(s)}")
    if any(not isinstance(v, Tensor) and v == 0 for v in s):
        raise ValueError("strided_slice: strides must be non-zero")
    spec = []
    for i in _builtins.range(len(b)):
        bit = 1 << i
        if ellipsis_mask & bit:
            spec.append(Ellipsis)
        elif new_axis_mask & bit:
            spec.append(None)
        elif shrink_axis_mask & bit:
            spec.append(b[i])
        else:
            spec.append(_builtins.slice(None if begin_mask & bit else b[i],
                                        None if end_mask & bit else e[i], s[i]))
    x = to_tensor(input_ if var is None else var)
    return x[tuple(spec)]


# ---------------------------------------------------------------- bitcast
def _bitcast_impl(x, type):   # noqa: A002
    x = np.asarray(x)
    if not x.flags.c_contiguous:
        x = x.copy()
    out_dt = np.dtype(type)
    a, b = x.dtype.itemsize, out_dt.itemsize
    if a == b:
        y = x.view(out_dt)
    elif a > b:
        y = x.reshape(x.shape + (1,)).view(out_dt)
    else:
        y = x.view(out_dt).reshape(x.shape[:-1])
    return y[()] if y.ndim == 0 else y


def _bitcast_rule(x, type):   # noqa: A002
    a, b = np.dtype(x.dtype).itemsize, np.dtype(type).itemsize
    shape = tuple(x.shape)
    if np.dtype(x.dtype).kind in "Ob" or np.dtype(type).kind in "Ob":
        raise op_error("bitcast", (x,), f"cannot bitcast {np.dtype(x.dtype).name} to "
                       f"{np.dtype(type).name} (numbers only)")
    if a == b:
        return Aval(shape, np.dtype(type))
    if a > b:
        return Aval(shape + (a // b,), np.dtype(type))
    if not shape or shape[-1] != b // a:
        raise op_error("bitcast", (x,), f"the last dimension must be {b // a} to bitcast "
                       f"{np.dtype(x.dtype).name} to {np.dtype(type).name}")
    return Aval(shape[:-1], np.dtype(type))


BITCAST = defop("bitcast", _bitcast_impl, _bitcast_rule,
                nondiff_reason="bitcast reinterprets bits; it has no derivative")


def bitcast(input, type, name=None):   # noqa: A002
    """`tf.bitcast`: the bits of `input` read as `type`; a wider input dtype gains a last axis
    of size in/out bytes, a narrower one loses its last axis (which must be out/in bytes).

    >>> bitcast(constant(1.0), "int32").numpy()
    np.int32(1065353216)
    >>> bitcast(constant([1, 0], dtype="uint8"), "int16").numpy()
    np.int16(1)
    """
    return bind(BITCAST, [to_tensor(input)], {"type": _dt.as_dtype(type).np.name})


# ---------------------------------------------------------------- histograms
def histogram_fixed_width_bins(values, value_range, nbins=100, dtype=_dt.int32, name=None):
    """The bin (0 .. nbins-1) of each value for `nbins` equal bins over value_range = [lo, hi];
    values below lo go to bin 0, above hi to the last bin (TF).

    >>> histogram_fixed_width_bins(constant([-1., 0., 1.5, 2., 5., 15.]), [0., 5.], 5).numpy()
    array([0, 0, 1, 2, 4, 4], dtype=int32)
    """
    v = to_tensor(values)
    rng = to_tensor(value_range, v.dtype)
    lo, hi = rng[0], rng[1]
    scaled = _m.cast(v - lo, _dt.float64) / _m.cast(hi - lo, _dt.float64)
    n = int(static_ints(nbins, "nbins", "histogram_fixed_width")[0])
    idx = _m.clip_by_value(_m.floor(scaled * float(n)), 0.0, float(n - 1))
    return _m.cast(idx, dtype)


def histogram_fixed_width(values, value_range, nbins=100, dtype=_dt.int32, name=None):
    """`tf.histogram_fixed_width`: counts of `values` in `nbins` equal bins over
    value_range = [lo, hi] (outliers counted in the first / last bin).

    >>> histogram_fixed_width(constant([-1., 0., 1.5, 2., 5., 15.]), [0., 5.], 5).numpy()
    array([2, 1, 1, 0, 2], dtype=int32)
    """
    n = int(static_ints(nbins, "nbins", "histogram_fixed_width")[0])
    idx = _s.reshape(histogram_fixed_width_bins(values, value_range, n, _dt.int32), [-1])
    return _seg.unsorted_segment_sum(_m.ones_like(idx), idx, n) if _dt.as_dtype(dtype) == \
        _dt.int32 else _m.cast(_seg.unsorted_segment_sum(_m.ones_like(idx), idx, n), dtype)


# ---------------------------------------------------------------- small math
def polyval(coeffs, x, name=None):
    """`tf.math.polyval`: coeffs[0] * x**(n-1) + ... + coeffs[n-1] (Horner's rule).

    >>> polyval([2., 0., 1.], constant(3.)).numpy()
    np.float32(19.0)
    """
    x = to_tensor(x)
    if not isinstance(coeffs, (list, tuple)):
        raise ValueError("polyval: coeffs must be a list of tensors or numbers")
    if not coeffs:
        return _m.zeros_like(x)
    p = to_tensor(coeffs[0], x.dtype)
    for c in coeffs[1:]:
        p = p * x + to_tensor(c, x.dtype)
    return p


def confusion_matrix(labels, predictions, num_classes=None, weights=None, dtype=_dt.int32,
                     name=None):
    """`tf.math.confusion_matrix`: entry [i, j] counts (or sums the weights of) the examples
    with label i predicted as j; `num_classes` defaults to 1 + the largest label or prediction.

    >>> confusion_matrix([1, 2, 4], [2, 2, 4]).numpy()
    array([[0, 0, 0, 0, 0],
           [0, 0, 1, 0, 0],
           [0, 0, 1, 0, 0],
           [0, 0, 0, 0, 0],
           [0, 0, 0, 0, 1]], dtype=int32)
    """
    lab = _m.cast(_s.reshape(to_tensor(labels), [-1]), _dt.int64)
    pred = _m.cast(_s.reshape(to_tensor(predictions), [-1]), _dt.int64)
    if num_classes is None:
        lv, pv = get_static_value(lab), get_static_value(pred)
        if lv is None or pv is None:
            raise ValueError("confusion_matrix: pass num_classes while tracing")
        num_classes = int(max(lv.max(initial=-1), pv.max(initial=-1))) + 1
    n = int(num_classes)
    dt = _dt.as_dtype(dtype)
    w = _m.ones_like(lab) if weights is None else _s.reshape(to_tensor(weights), [-1])
    return _a.scatter_nd(_s.stack([lab, pred], 1), _m.cast(w, dt), [n, n])


def in_top_k(targets, predictions, k, name=None):
    """`tf.math.in_top_k(targets, predictions, k)`: whether each row's target class is among
    its k largest predictions (ties at the boundary count as in; a non-finite prediction
    or an out-of-range target gives False, as TF).

    >>> in_top_k([0, 1], [[0.1, 0.9, 0.5], [0.3, 0.3, 0.4]], 2).numpy()
    array([False,  True])
    """
    p = to_tensor(predictions)
    t = _m.cast(to_tensor(targets), _dt.int32)
    n_cls = p.shape[-1]
    ok = _m.logical_and(_m.greater_equal(t, 0), _m.less(t, n_cls))
    safe = _m.where(ok, t, _m.zeros_like(t))
    hit = _m.cast(_s.one_hot(safe, n_cls), _dt.bool)
    tp = _m.reduce_sum(_m.where(hit, p, _m.zeros_like(p)), 1)
    above = _m.reduce_sum(_m.cast(_m.greater(p, _s.expand_dims(tp, 1)), _dt.int32), 1)
    return _m.logical_and(_m.logical_and(ok, _m.is_finite(tp)), _m.less(above, int(k)))


def weighted_cross_entropy_with_logits(labels, logits, pos_weight, name=None):
    """`tf.nn.weighted_cross_entropy_with_logits`: sigmoid cross-entropy with the positive
    term weighted by `pos_weight`, in TF's stable form
    (1 - z) x + (1 + (q - 1) z) (log1p(exp(-|x|)) + max(-x, 0)).

    >>> round(float(weighted_cross_entropy_with_logits(1., 0., 2.)), 6) == round(2 * math.log(2), 6)
    True
    """
    x = to_tensor(logits)
    z = to_tensor(labels, x.dtype)
    q = to_tensor(pos_weight, x.dtype)
    log_weight = 1.0 + (q - 1.0) * z
    return (1.0 - z) * x + log_weight * (_m.log1p(_m.exp(-_m.abs(x))) + _m.relu(-x))


def multiply_no_nan(x, y, name=None):
    """x * y, but 0 where y is 0 even if x is inf or NaN.

    >>> multiply_no_nan(constant([np.inf, 2.]), constant([0., 3.])).numpy()
    array([0., 6.], dtype=float32)
    """
    x, y = to_tensor(x), to_tensor(y)
    return _m.where(_m.equal(y, 0.0), _m.ones_like(x), x) * y   # y = 0: 1 * 0


def truncatediv(x, y, name=None):
    """Integer division rounding toward zero (C semantics), as TF's truncatediv.

    >>> truncatediv(constant([-7, 7]), constant([2, 2])).numpy()
    array([-3,  3], dtype=int32)
    """
    x, y = to_tensor(x), to_tensor(y)
    q = _m.floordiv(x, y)
    fix = _m.logical_and(_m.not_equal(q * y, x), _m.less(q, 0))
    return _m.where(fix, q + 1, q) if x.dtype.is_integer else _m.cast(
        _m.sign(x / y) * _m.floor(_m.abs(x / y)), x.dtype)


def truncatemod(x, y, name=None):
    """Remainder of truncatediv (the sign of x), as C's %.

    >>> truncatemod(constant([-7, 7]), constant([2, 2])).numpy()
    array([-1,  1], dtype=int32)
    """
    x, y = to_tensor(x), to_tensor(y)
    return x - truncatediv(x, y) * y


def scalar_mul(scalar, x, name=None):
    """`tf.math.scalar_mul`: scalar * x."""
    x = to_tensor(x)
    return to_tensor(scalar, x.dtype) * x


def xlog1py(x, y, name=None):
    """x * log1p(y), and 0 where x is 0.

    >>> xlog1py(constant([0., 2.]), constant([-1., 0.])).numpy()
    array([0., 0.], dtype=float32)
    """
    x, y = to_tensor(x), to_tensor(y)
    zero = _m.equal(x, 0.0)
    return _m.where(zero, _m.zeros_like(x * y), x * _m.log1p(_m.where(zero, _m.zeros_like(y), y)))


def xdivy(x, y, name=None):
    """x / y, and 0 where x is 0."""
    x, y = to_tensor(x), to_tensor(y)
    zero = _m.equal(x, 0.0)
    return _m.where(zero, _m.zeros_like(x * y), x / _m.where(zero, _m.ones_like(y), y))


def lbeta(x, name=None):
    """log|Beta(x)| over the last axis: sum(lgamma(x)) - lgamma(sum(x)).

    >>> round(float(lbeta(constant([1., 1.]))), 6)
    0.0
    """
    x = to_tensor(x)
    return _m.reduce_sum(lgamma(x), -1) - lgamma(_m.reduce_sum(x, -1))


def invert_permutation(x, name=None):
    """The inverse permutation: y[x[i]] = i.

    >>> invert_permutation([3, 4, 0, 2, 1]).numpy()
    array([2, 4, 3, 0, 1], dtype=int32)
    """
    x = to_tensor(x)
    n = int(x.shape[0])
    return _a.scatter_nd(_s.expand_dims(x, 1), constant(np.arange(n), x.dtype), [n])


def is_non_decreasing(x, name=None):
    """True if every entry (flattened) is >= the one before.

    >>> is_non_decreasing([1, 1, 2]).numpy(), is_non_decreasing([2, 1]).numpy()
    (np.True_, np.False_)
    """
    v = _s.reshape(to_tensor(x), [-1])
    return _m.reduce_all(_m.greater_equal(v[1:], v[:-1]))


def is_strictly_increasing(x, name=None):
    """True if every entry (flattened) is > the one before."""
    v = _s.reshape(to_tensor(x), [-1])
    return _m.reduce_all(_m.greater(v[1:], v[:-1]))


# ---------------------------------------------------------------- scatter variants, unique
def _scatter_extreme(tensor, indices, updates, pick, segment_fn):
    t = to_tensor(tensor)
    u = to_tensor(updates, t.dtype)
    idx = _m.cast(to_tensor(indices), _dt.int64)
    k = idx.shape[-1]
    shape = tuple(t.shape)
    if not all(isinstance(d, int) for d in shape[:k]):
        raise ValueError(f"tensor_scatter_nd_max/min: the first {k} dims of the tensor must be "
                         f"known, got {shape}")
    strides = np.cumprod((shape[1:k] + (1,))[::-1])[::-1].astype(np.int64)
    flat_idx = _s.reshape(_m.reduce_sum(idx * constant(strides), -1), [-1])
    n = int(np.prod(shape[:k], dtype=np.int64))
    rows = _s.reshape(u, (-1,) + shape[k:])
    best = _s.reshape(segment_fn(rows, flat_idx, n), shape)
    hit = _s.reshape(_seg.unsorted_segment_sum(_m.ones_like(flat_idx), flat_idx, n),
                     shape[:k] + (1,) * (len(shape) - k))
    return _m.where(_m.greater(hit, 0), pick(t, best), t)


def tensor_scatter_nd_sub(tensor, indices, updates, name=None):
    """`tensor` minus `updates` at `indices` (duplicates add up).

    >>> tensor_scatter_nd_sub(constant([1, 2, 3]), [[1], [1]], constant([5, 5])).numpy()
    array([ 1, -8,  3], dtype=int32)
    """
    t = to_tensor(tensor)
    return t - _a.scatter_nd(indices, to_tensor(updates, t.dtype), t.shape)


def tensor_scatter_nd_max(tensor, indices, updates, name=None):
    """`tensor` with each indexed entry replaced by the max of itself and its updates.

    >>> tensor_scatter_nd_max(constant([1, 5, 3]), [[0], [1], [0]], constant([4, 2, 7])).numpy()
    array([7, 5, 3], dtype=int32)
    """
    return _scatter_extreme(tensor, indices, updates, _m.maximum, _seg.unsorted_segment_max)


def tensor_scatter_nd_min(tensor, indices, updates, name=None):
    """`tensor` with each indexed entry replaced by the min of itself and its updates.

    >>> tensor_scatter_nd_min(constant([1, 5, 3]), [[0], [1]], constant([4, 2])).numpy()
    array([1, 2, 3], dtype=int32)
    """
    return _scatter_extreme(tensor, indices, updates, _m.minimum, _seg.unsorted_segment_min)


UniqueWithCounts = collections.namedtuple("UniqueWithCounts", ["y", "idx", "count"])


def unique_with_counts(x, out_idx=_dt.int32, name=None):
    """(y, idx, count): `unique` plus how often each unique value occurs, as TF's namedtuple
    `UniqueWithCounts`.

    >>> y, i, c = unique_with_counts(constant([1, 1, 2, 4, 4, 4, 7, 8, 8])); c.numpy()
    array([2, 1, 3, 1, 2], dtype=int32)
    """
    y, idx = _a.unique(x, out_idx)
    # bincount of idx has exactly len(y) bins; traced, that length is a run-time dim
    return UniqueWithCounts(y, idx, _seg.bincount(idx, dtype=idx.dtype))


def identity_n(input, name=None):   # noqa: A002
    """`tf.identity_n`: identity of each tensor in a list.

    >>> [t.numpy() for t in identity_n([1, 2.])]
    [np.int32(1), np.float32(2.0)]
    """
    return [_m.identity(to_tensor(v)) for v in input]


# ---------------------------------------------------------------- Bessel functions
# i0e(x) = exp(-|x|) I0(x), i1e(x) = exp(-|x|) I1(x): the power series for |x| <= 2, the
# trapezoid rule on
# (1/pi) int_0^pi exp(|x| (cos t - 1)) cos(k t) dt (a periodic integrand: the error falls
# exponentially with the number of nodes) up to |x| = 30, the asymptotic series above.
_NODES = 96
_THETA = np.linspace(0.0, math.pi, _NODES + 1)
_W = np.full(_NODES + 1, 1.0 / _NODES)
_W[0] = _W[-1] = 0.5 / _NODES
_ASYM_AT = 30.0


def _bessel_ie64(x, order):
    x = np.asarray(x, np.float64)
    ax = np.abs(x)
    out = np.empty_like(ax)
    tiny = ax <= 2.0   # power series: I_v(x) = sum (x/2)^(2k+v) / (k! (k+v)!)
    if tiny.any():
        h = ax[tiny] / 2.0
        term = h if order else np.ones_like(h)
        acc = term.copy()
        for k in range(1, 30):
            term = term * h * h / (k * (k + order))
            acc = acc + term
        out[tiny] = acc * np.exp(-ax[tiny])
    small = (ax <= _ASYM_AT) & ~tiny
    if small.any():
        a = ax[small][..., None]
        cos_t = np.cos(_THETA)
        integrand = np.exp(a * (cos_t - 1.0)) * (cos_t if order else 1.0)
        out[small] = integrand @ _W
    big = (ax > _ASYM_AT) & np.isfinite(ax)
    if big.any():
        a = ax[big]
        mu = 4.0 * order * order
        term = np.ones_like(a)
        acc = np.ones_like(a)
        for k in range(1, 25):   # I_v(x) e^-x ~ (2 pi x)^-1/2 sum (-1)^k a_k(v) / x^k
            term = term * -(mu - (2 * k - 1) ** 2) / (k * 8.0 * a)
            acc = acc + term
        out[big] = acc / np.sqrt(2.0 * math.pi * a)
    out[np.isinf(ax)] = 0.0
    out[np.isnan(ax)] = np.nan
    if order:
        out = np.where(x < 0, -out, out)
    return out


def _bessel_impl(order):
    def impl(x):
        y = _bessel_ie64(x, order).astype(np.asarray(x).dtype)
        return y[()] if y.ndim == 0 else y
    return impl


def _float_rule(name):
    def rule(x):
        if np.dtype(x.dtype).kind != "f":
            raise op_error(name, (x,), "needs a float dtype")
        return Aval(tuple(x.shape), np.dtype(x.dtype))
    return rule


def _i0e_vjp(i, o, g):   # i0e' = i1e - sign(x) i0e
    x = i[0]
    return [g * (bessel_i1e(x) - _m.sign(x) * o)]


def _i1e_vjp(i, o, g):   # i1e' = i0e - i1e (sign(x) + 1/x); 1/2 at x = 0
    x = i[0]
    nz = _m.not_equal(x, 0.0)
    safe = _m.where(nz, x, _m.ones_like(x))
    d = bessel_i0e(x) - o * (_m.sign(x) + 1.0 / safe)
    return [g * _m.where(nz, d, _m.ones_like(x) * 0.5)]


I0E = defop("bessel_i0e", _bessel_impl(0), _float_rule("bessel_i0e"), _i0e_vjp, jvp=POINTWISE,
            doc="exp(-|x|) I0(x), elementwise.")
I1E = defop("bessel_i1e", _bessel_impl(1), _float_rule("bessel_i1e"), _i1e_vjp, jvp=POINTWISE,
            doc="exp(-|x|) I1(x), elementwise.")


def _float_input(x):
    x = to_tensor(x)
    return _m.cast(x, _dt.float32) if x.dtype.is_integer else x


def bessel_i0e(x, name=None):
    """`tf.math.bessel_i0e`: exp(-|x|) I0(x) (finite for every x).

    >>> [round(v, 5) for v in bessel_i0e(constant([0., 1.])).numpy().tolist()]
    [1.0, 0.46576]
    """
    return bind(I0E, [_float_input(x)], _NO)


def bessel_i1e(x, name=None):
    """`tf.math.bessel_i1e`: exp(-|x|) I1(x) (odd in x).

    >>> [round(v, 5) for v in bessel_i1e(constant([-1., 0.])).numpy().tolist()]
    [-0.20791, 0.0]
    """
    return bind(I1E, [_float_input(x)], _NO)


def bessel_i0(x, name=None):
    """`tf.math.bessel_i0`: I0(x) = i0e(x) exp(|x|).

    >>> round(float(bessel_i0(constant(1.))), 5)
    1.26607
    """
    x = _float_input(x)
    return bessel_i0e(x) * _m.exp(_m.abs(x))


def bessel_i1(x, name=None):
    """`tf.math.bessel_i1`: I1(x) = i1e(x) exp(|x|)."""
    x = _float_input(x)
    return bessel_i1e(x) * _m.exp(_m.abs(x))


# ---------------------------------------------------------------- tf.nn compositions
def compute_average_loss(per_example_loss, sample_weight=None, global_batch_size=None):
    """`tf.nn.compute_average_loss`: sum(per_example_loss * sample_weight) / global batch size
    (default: this replica's batch times the replicas in sync, so summing the replicas'
    results gives the global mean).

    >>> float(compute_average_loss(constant([1., 2., 3., 6.])))
    3.0
    """
    loss = to_tensor(per_example_loss)
    if sample_weight is not None:
        loss = loss * to_tensor(sample_weight, loss.dtype)
    total = _m.reduce_sum(loss)
    if global_batch_size is None:
        replicas = current_communicator().size
        n = _s.shape(loss)[0] if loss.ndim else 1
        return total / _m.cast(n * replicas, loss.dtype) if loss.ndim else total / float(replicas)
    return total / _m.cast(to_tensor(global_batch_size), loss.dtype)


def scale_regularization_loss(regularization_loss):
    """`tf.nn.scale_regularization_loss`: sum of the losses / the replicas in sync.

    >>> float(scale_regularization_loss([1., 2.]))
    3.0
    """
    losses = regularization_loss
    if isinstance(losses, (list, tuple)):
        losses = _m.add_n([to_tensor(v) for v in losses])
    return _m.reduce_sum(to_tensor(losses)) / float(current_communicator().size)


def depth_to_space(input, block_size, data_format="NHWC", name=None):   # noqa: A002
    """(N, H, W, C * b * b) -> (N, H * b, W * b, C), TF's (DCR) order.

    >>> depth_to_space(constant(np.arange(4.).reshape(1, 1, 1, 4)), 2).numpy()[0, ..., 0].tolist()
    [[0.0, 1.0], [2.0, 3.0]]
    """
    x = to_tensor(input)
    b = int(block_size)
    if data_format != "NHWC" or x.ndim != 4:
        raise op_error("depth_to_space", (x,), "needs a 4-D NHWC input")
    n, h, w, c = x.shape
    if int(c) % (b * b):
        raise op_error("depth_to_space", (x,), f"the depth must be divisible by {b * b}")
    y = _s.reshape(x, [-1, h, w, b, b, int(c) // (b * b)])
    y = _s.transpose(y, [0, 1, 3, 2, 4, 5])
    return _s.reshape(y, [-1, h * b, w * b, int(c) // (b * b)])


def space_to_depth(input, block_size, data_format="NHWC", name=None):   # noqa: A002
    """(N, H * b, W * b, C) -> (N, H, W, C * b * b), the inverse of depth_to_space.

    >>> space_to_depth(constant(np.arange(4.).reshape(1, 2, 2, 1)), 2).numpy().ravel().tolist()
    [0.0, 1.0, 2.0, 3.0]
    """
    x = to_tensor(input)
    b = int(block_size)
    if data_format != "NHWC" or x.ndim != 4:
        raise op_error("space_to_depth", (x,), "needs a 4-D NHWC input")
    n, h, w, c = x.shape
    if int(h) % b or int(w) % b:
        raise op_error("space_to_depth", (x,), f"height and width must be divisible by {b}")
    y = _s.reshape(x, [-1, int(h) // b, b, int(w) // b, b, c])
    y = _s.transpose(y, [0, 1, 3, 2, 4, 5])
    return _s.reshape(y, [-1, int(h) // b, int(w) // b, b * b * int(c)])


def crelu(features, axis=-1, name=None):
    """Concatenated ReLU: [relu(x), relu(-x)] along `axis`.

    >>> crelu(constant([1., -2.])).numpy().tolist()
    [1.0, 0.0, 0.0, 2.0]
    """
    x = to_tensor(features)
    return _s.concat([_m.relu(x), _m.relu(-x)], axis)


def zero_fraction(value, name=None):
    """The fraction of entries equal to zero (float32).

    >>> float(zero_fraction([0, 1, 0, 3]))
    0.5
    """
    v = to_tensor(value)
    return _m.reduce_mean(_m.cast(_m.equal(v, _m.zeros_like(v)), _dt.float32))


def sufficient_statistics(x, axes, shift=None, keepdims=False, name=None):
    """(count, sum of x - shift, sum of (x - shift)^2, shift) over `axes`, as TF."""
    x = to_tensor(x)
    axes_l = [axes] if np.ndim(axes) == 0 else list(axes)
    count = float(np.prod([int(x.shape[a]) for a in axes_l]))
    y = x if shift is None else x - to_tensor(shift, x.dtype)
    return (constant(np.asarray(count, x.dtype.np)), _m.reduce_sum(y, axes_l, keepdims=keepdims),
            _m.reduce_sum(_m.square(y), axes_l, keepdims=keepdims), shift)


def normalize_moments(counts, mean_ss, variance_ss, shift, name=None):
    """(mean, variance) from sufficient statistics.

    >>> [float(t) for t in normalize_moments(4., 8., 20., None)]
    [2.0, 1.0]
    """
    mean_ss = to_tensor(mean_ss)
    d = 1.0 / to_tensor(counts, mean_ss.dtype)
    mean = mean_ss * d
    var = to_tensor(variance_ss, mean_ss.dtype) * d - _m.square(mean)
    return (mean if shift is None else mean + to_tensor(shift, mean.dtype)), var


def weighted_moments(x, axes, frequency_weights, keepdims=False, name=None):
    """(weighted mean, weighted variance) of x over `axes`.

    >>> [float(t) for t in weighted_moments(constant([1., 3.]), [0], constant([1., 3.]))]
    [2.5, 0.75]
    """
    x = to_tensor(x)
    w = to_tensor(frequency_weights, x.dtype)
    axes_l = [axes] if np.ndim(axes) == 0 else list(axes)
    sw = _m.reduce_sum(w * _m.ones_like(x), axes_l, keepdims=True)
    mean = _m.reduce_sum(w * x, axes_l, keepdims=True) / sw
    var = _m.reduce_sum(w * _m.square(x - mean), axes_l, keepdims=True) / sw
    if not keepdims:
        mean, var = _s.squeeze(mean, axes_l), _s.squeeze(var, axes_l)
    return mean, var


def log_poisson_loss(targets, log_input, compute_full_loss=False, name=None):
    """exp(log_input) - targets * log_input (+ Stirling's term for targets > 1 if
    compute_full_loss), as TF.

    >>> float(log_poisson_loss(constant(2.), constant(0.)))
    1.0
    """
    c = to_tensor(log_input)
    z = to_tensor(targets, c.dtype)
    loss = _m.exp(c) - c * z
    if not compute_full_loss:
        return loss
    safe = _m.where(_m.greater(z, 1.0), z, _m.ones_like(z))
    stirling = safe * _m.log(safe) - safe + 0.5 * _m.log(2.0 * math.pi * safe)
    return loss + _m.where(_m.greater(z, 1.0), stirling, _m.zeros_like(z))


def local_response_normalization(input, depth_radius=5, bias=1.0, alpha=1.0, beta=0.5,
                                 name=None):   # noqa: A002
    """x / (bias + alpha * sum of x^2 over a window of 2 * depth_radius + 1 channels) ** beta,
    as TF's LRN (NHWC).

    >>> round(float(local_response_normalization(constant([[[[2.]]]]), 1, 1., 1., 1.)), 4)
    0.4
    """
    x = to_tensor(input)
    r = int(depth_radius)
    sq = _a.pad(_m.square(x), [[0, 0]] * (x.ndim - 1) + [[r, r]])
    c = int(x.shape[-1])
    acc = None
    for k in range(2 * r + 1):
        part = sq[..., k:k + c]
        acc = part if acc is None else acc + part
    return x / (bias + alpha * acc) ** beta


def stateless_dropout(x, rate, seed, rng_alg=None, noise_shape=None, name=None):
    """`tf.nn.experimental.stateless_dropout`: dropout whose mask is a function of `seed`.

    >>> y = stateless_dropout(constant(np.ones(1000, np.float32)), 0.5, seed=[1, 2]).numpy()
    >>> sorted(set(y.tolist())), abs(float((y > 0).mean()) - 0.5) < 0.05
    ([0.0, 2.0], True)
    """
    x = to_tensor(x)
    shape = tuple(x.shape) if noise_shape is None else tuple(int(d) for d in noise_shape)
    keep = _m.greater_equal(stateless_uniform(shape, seed, dtype=x.dtype), rate)
    return _m.where(keep, x / (1.0 - rate), _m.zeros_like(x))


# ---------------------------------------------------------------- more array functions
def reverse_sequence(input, seq_lengths, seq_axis=None, batch_axis=None, name=None):   # noqa: A002
    """Reverse the first seq_lengths[i] entries along `seq_axis` of each batch entry i.

    >>> reverse_sequence(constant([[1, 2, 3], [4, 5, 6]]), [2, 3], seq_axis=1, batch_axis=0).numpy()
    array([[2, 1, 3],
           [6, 5, 4]], dtype=int32)
    """
    x = to_tensor(input)
    sa = 1 if seq_axis is None else seq_axis % x.ndim
    ba = 0 if batch_axis is None else batch_axis % x.ndim
    n = int(x.shape[sa])
    lens = _m.cast(_s.reshape(to_tensor(seq_lengths), [-1, 1]), _dt.int32)   # (B, 1)
    pos = constant(np.arange(n, dtype=np.int32)[None, :])                      # (1, n)
    src = _m.where(_m.less(pos, lens), lens - 1 - pos, _m.zeros_like(lens) + pos)   # (B, n)
    perm = [ba, sa] + [a for a in range(x.ndim) if a not in (ba, sa)]
    xt = _s.transpose(x, perm)
    out = _gather_rows(xt, src)
    inv = list(np.argsort(perm))
    return _s.transpose(out, inv)


def _gather_rows(xt, src):
    """out[b, j] = xt[b, src[b, j]] (batch rows along axis 1) by gather_nd."""
    b, n = int(xt.shape[0]), int(src.shape[1])
    bidx = constant(np.repeat(np.arange(b, dtype=np.int32)[:, None], n, 1))
    return _a.gather_nd(xt, _s.stack([bidx, src], -1))


def broadcast_static_shape(shape_x, shape_y):
    """The broadcast of two TensorShapes (ValueError if incompatible).

    >>> broadcast_static_shape(TensorShape([1, 3]), TensorShape([2, 1]))
    TensorShape([2, 3])
    """
    try:
        return TensorShape(np.broadcast_shapes(tuple(shape_x), tuple(shape_y)))
    except ValueError:
        raise ValueError(f"Incompatible shapes for broadcasting: {shape_x} and {shape_y}") \
            from None


def broadcast_dynamic_shape(shape_x, shape_y):
    """The broadcast of two shape vectors (int32 tensor).

    >>> broadcast_dynamic_shape([1, 3], [2, 1]).numpy()
    array([2, 3], dtype=int32)
    """
    a = [int(v) for v in np.asarray(get_static_value(shape_x)).reshape(-1)]
    b = [int(v) for v in np.asarray(get_static_value(shape_y)).reshape(-1)]
    return constant(np.asarray(np.broadcast_shapes(tuple(a), tuple(b)), np.int32))


def shape_n(input, out_type=_dt.int32, name=None):   # noqa: A002
    """The shapes of a list of tensors.

    >>> [s.numpy().tolist() for s in shape_n([constant([1, 2]), constant(1.)])]
    [[2], []]
    """
    return [_s.shape(to_tensor(t), out_type=out_type) for t in input]


def unravel_index(indices, dims, name=None):
    """Flat indices -> coordinates (shape [len(dims)] + indices.shape), as numpy.unravel_index.

    >>> unravel_index([1, 5], [2, 3]).numpy()
    array([[0, 1],
           [1, 2]], dtype=int32)
    """
    idx = to_tensor(indices)
    d = [int(v) for v in np.asarray(get_static_value(dims)).reshape(-1)]
    out, rest = [], idx
    for k in range(len(d) - 1, -1, -1):
        out.append(_m.mod(rest, d[k]))
        rest = _m.floordiv(rest, d[k])
    return _s.stack(out[::-1], 0)


def dynamic_partition(data, partitions, num_partitions, name=None):
    """The entries of `data` split into `num_partitions` lists by `partitions` (same leading
    shape): partition p gets data[partitions == p] in order (differentiable in data).

    >>> [t.numpy().tolist() for t in dynamic_partition([10, 20, 30, 40], [0, 1, 0, 1], 2)]
    [[10, 30], [20, 40]]
    """
    d = to_tensor(data)
    p = get_static_value(partitions)
    if p is None:
        raise ValueError("dynamic_partition: partitions must be known (eager or constant)")
    p = np.asarray(p)
    flat_d = _s.reshape(d, [-1] + list(d.shape[p.ndim:]))
    flat_p = p.reshape(-1)
    return [_s.gather(flat_d, constant(np.nonzero(flat_p == k)[0].astype(np.int32)))
            for k in range(int(num_partitions))]


def dynamic_stitch(indices, data, name=None):
    """merged[indices[m][i]] = data[m][i] (later entries win), as TF's dynamic_stitch.

    >>> dynamic_stitch([[0, 2], [1, 3]], [constant([1., 3.]), constant([2., 4.])]).numpy()
    array([1., 2., 3., 4.], dtype=float32)
    """
    idx = [np.asarray(get_static_value(i)).reshape(-1) for i in indices]
    ds = [to_tensor(v) for v in data]
    size = int(max([int(i.max(initial=-1)) for i in idx] + [-1])) + 1
    flat = _s.concat([_s.reshape(v, [-1] + list(v.shape[np.ndim(get_static_value(i)):]))
                      for v, i in zip(ds, indices)], 0)
    all_idx = np.concatenate(idx)
    last = np.full(size, -1, np.int64)
    last[all_idx] = np.arange(all_idx.size)   # the last writer of each slot wins
    if (last < 0).any():
        raise ValueError("dynamic_stitch: the indices must cover 0 .. max index")
    return _s.gather(flat, constant(last.astype(np.int32)))


def cumulative_logsumexp(x, axis=0, exclusive=False, reverse=False, name=None):
    """log(cumsum(exp(x))) along `axis`, computed stably (shifted by the max).

    >>> cumulative_logsumexp(constant([0., 0., 0.], dtype="float64")).numpy().round(4).tolist()
    [0.0, 0.6931, 1.0986]
    """
    x = to_tensor(x)
    m = _m.stop_gradient(_m.reduce_max(x, axis, keepdims=True))
    s = _a.cumsum(_m.exp(x - m), axis, exclusive=exclusive, reverse=reverse)
    return _m.log(s) + m


def accumulate_n(inputs, shape=None, tensor_dtype=None, name=None):
    """The sum of a list of tensors (`tf.math.accumulate_n`, as add_n)."""
    return _m.add_n([to_tensor(v) for v in inputs])


def ndtri(x, name=None):
    """Inverse of the standard normal CDF: sqrt(2) * erfinv(2x - 1).

    >>> round(float(ndtri(constant(0.975, dtype="float64"))), 4)
    1.96
    """
    x = to_tensor(x)
    return math.sqrt(2.0) * erfinv(2.0 * x - 1.0)


def erfcinv(x, name=None):
    """Inverse of erfc: erfinv(1 - x).

    >>> round(float(erfcinv(constant(1.0))), 6)
    0.0
    """
    x = to_tensor(x)
    return erfinv(1.0 - x)


def timestamp(name=None):
    """Seconds since the epoch (float64), as `tf.timestamp` (taken when it runs eagerly)."""
    return constant(np.float64(time.time()))


# ---------------------------------------------------------------- convolution front-ends, linalg
def convolution(input, filters, strides=None, padding="VALID", data_format=None,   # noqa: A002
                dilations=None, name=None):
    """`tf.nn.convolution`: conv1d or conv2d by the input's rank (3 or 4).

    >>> convolution(constant(np.ones((1, 4, 1), np.float32)), constant(np.ones((2, 1, 1), np.float32))).numpy().ravel().tolist()
    [2.0, 2.0, 2.0]
    """
    x = to_tensor(input)
    if x.ndim == 3:
        return conv1d(x, filters, 1 if strides is None else strides, padding,
                      data_format or "NWC", dilations)
    if x.ndim == 4:
        return conv2d(x, filters, 1 if strides is None else strides, padding,
                      data_format or "NHWC", dilations)
    raise op_error("convolution", (x,), "graphflow supports 1-D and 2-D convolutions (input "
                   "rank 3 or 4)")


def atrous_conv2d(value, filters, rate, padding, name=None):
    """`tf.nn.atrous_conv2d`: conv2d with dilation `rate`.

    >>> atrous_conv2d(constant(np.ones((1, 5, 5, 1), np.float32)), constant(np.ones((2, 2, 1, 1), np.float32)), 2, "VALID").shape
    TensorShape([1, 3, 3, 1])
    """
    return conv2d(value, filters, 1, padding, dilations=int(rate))


def normalize(tensor, ord="euclidean", axis=None, name=None):   # noqa: A002
    """`tf.linalg.normalize`: (tensor / norm, norm) with `tf.norm`'s orders.

    >>> [t.numpy().round(3).tolist() for t in normalize(constant([3., 4.], dtype="float64"))]
    [[0.6, 0.8], [5.0]]
    """
    x = to_tensor(tensor)
    n = linalg_norm(x, ord=ord, axis=axis, keepdims=True)
    return x / n, n


def matrix_rank(a, tol=None, validate_args=False, name=None):
    """`tf.linalg.matrix_rank`: the number of singular values above `tol` (default
    max(rows, cols) * eps * the largest singular value), int32, batched.

    >>> int(matrix_rank(constant([[1., 2.], [2., 4.]])))
    1
    """
    x = to_tensor(a)
    s = svd(x, compute_uv=False)
    if tol is None:
        eps = float(np.finfo(x.dtype.np).eps)
        tol = _m.reduce_max(s, -1, keepdims=True) * (eps * max(int(x.shape[-1]),
                                                               int(x.shape[-2])))
    return _m.reduce_sum(_m.cast(_m.greater(s, tol), _dt.int32), -1)


def tensor_diag(diagonal, name=None):
    """`tf.linalg.tensor_diag`: output[i..., i...] = diagonal[i...], shape d + d.

    >>> tensor_diag(constant([1, 2])).numpy().tolist()
    [[1, 0], [0, 2]]
    """
    d = to_tensor(diagonal)
    shape = [int(v) for v in d.shape]
    return _s.reshape(diag(_s.reshape(d, [-1])), shape + shape)


def tensor_diag_part(input, name=None):   # noqa: A002
    """`tf.linalg.tensor_diag_part`: the inverse of tensor_diag (input of shape d + d).

    >>> tensor_diag_part(constant([[1, 0], [0, 2]])).numpy().tolist()
    [1, 2]
    """
    x = to_tensor(input)
    shape = [int(v) for v in x.shape]
    k = len(shape) // 2
    if len(shape) % 2 or shape[:k] != shape[k:]:
        raise op_error("tensor_diag_part", (x,), "the shape must be d + d")
    n = int(np.prod(shape[:k], dtype=np.int64))
    return _s.reshape(diag_part(_s.reshape(x, [n, n])), shape[:k])
