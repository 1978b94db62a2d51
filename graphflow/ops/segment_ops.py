"""Segment reductions (`tf.math.segment_*` / `unsorted_segment_*`): two primitives,
`unsorted_segment_sum` and `unsorted_segment_max`, with a static `num_segments` attr; mean, min
and the sorted variants are compositions. Negative segment ids are dropped (TF). VJPs as TF's
math_grad.py: a gather of the cotangent (negative ids get zero); max splits it evenly among ties.

>>> import graphflow as tf
>>> tf.math.segment_sum(tf.constant([1., 2., 3., 4.]), tf.constant([0, 0, 1, 1])).numpy()
array([3., 7.], dtype=float32)
"""
import numpy as np

from .. import dtypes as _dt
from ..dispatch import bind
from ..tensor import Tensor, constant, to_tensor
from . import math_ops as _m
from . import shape_ops as _s
from .registry import CONSTANT, OPS, OTHER, VIA_VJP, Aval, defop, linear_in, op_error, same_dtype
from .scatter_rows import add_rows
from ..shapes import require_equal


def _rule(name):
    def rule(data, ids, num_segments, **_):
        dt = same_dtype(name, (data,), "fi")
        r = len(ids.shape)
        if np.dtype(ids.dtype).kind not in "iu" or len(data.shape) < r or not all(
                [require_equal(a, b) for a, b in zip(data.shape[:r], ids.shape)]):
            raise op_error(name, (data, ids), "segment_ids must be integers shaped like a prefix "
                           "of data's shape")
        return Aval((num_segments,) + tuple(data.shape[r:]), dt)
    return rule


def _flat(data, ids, n, name):
    r = ids.ndim
    fi = ids.reshape(-1).astype(np.int64)
    if fi.size and fi.max() >= n:
        raise ValueError(f"segment id {int(fi.max())} is out of range [0, {n})")
    d = data.reshape((-1,) + data.shape[r:])
    keep = fi >= 0
    return fi[keep], d[keep]


def _sum_impl(data, ids, num_segments):
    fi, d = _flat(data, ids, num_segments, "unsorted_segment_sum")
    out = np.zeros((num_segments,) + data.shape[ids.ndim:], data.dtype)
    add_rows(out, fi, d)
    return out


def _max_impl(data, ids, num_segments, empty="lowest"):
    fi, d = _flat(data, ids, num_segments, "unsorted_segment_max")
    dt = data.dtype
    low = np.finfo(dt).min if dt.kind == "f" else np.iinfo(dt).min
    out = np.full((num_segments,) + data.shape[ids.ndim:], low, dt)
    np.maximum.at(out, fi, d)
    if empty == "zero":
        seen = np.zeros(num_segments, bool)
        seen[fi] = True
        out[~seen] = 0
    return out


def _gather_drop_negatives(x, ids):
    """x[ids] with zeros where ids < 0 (TF's _GatherDropNegatives), and the keep mask (bool,
    broadcastable against the result)."""
    zero = _m.zeros_like(ids)
    keep = _m.greater_equal(ids, zero)
    got = _s.gather(x, _m.maximum(ids, zero))
    for _ in range(got.ndim - ids.ndim):
        keep = _s.expand_dims(keep, -1)
    return _m.where(keep, got, _m.zeros_like(got)), keep


def _sum_vjp(i, o, g, num_segments):
    return [_gather_drop_negatives(g, i[1])[0], None]


SUM = defop("unsorted_segment_sum", _sum_impl, _rule("unsorted_segment_sum"), _sum_vjp,
            jvp=linear_in(0), kind=OTHER, arity=2)


def _selection(i, o, num_segments):
    data, ids = i
    got, keep = _gather_drop_negatives(o, ids)
    sel = _m.logical_and(_m.equal(data, got), keep)
    count = unsorted_segment_sum(_m.cast(sel, data.dtype), ids, num_segments)
    return sel, _m.maximum(count, _m.ones_like(count))


def _max_vjp(i, o, g, num_segments, empty="lowest"):
    sel, count = _selection(i, o, num_segments)
    share = _gather_drop_negatives(g / count, i[1])[0]
    return [_m.where(sel, share, _m.zeros_like(share)), None]


def _max_jvp(i, o, t, num_segments, empty="lowest"):
    if t[0] is None:
        return None
    sel, count = _selection(i, o, num_segments)
    return unsorted_segment_sum(_m.where(sel, t[0], _m.zeros_like(t[0])), i[1], num_segments) / count


MAX = defop("unsorted_segment_max", _max_impl, _rule("unsorted_segment_max"), _max_vjp,
            jvp=_max_jvp, kind=OTHER, arity=2)


def known_value(x):
    """The value of `x` if it has one while tracing too (Python/numpy values, eager tensors,
    graph constants), else None."""
    if isinstance(x, (int, np.integer, np.ndarray, list, tuple)):
        return np.asarray(x)
    if getattr(x, "_value", None) is not None:
        return np.asarray(x._value)
    g = getattr(x, "_graph", None)
    if g is not None and OPS[g.nx.nodes[x._node]["op"]] is CONSTANT:
        return np.asarray(g.nx.nodes[x._node]["attrs"]["value"])
    return None


def _static_count(num_segments, opname):
    """num_segments as an int, or as a traced scalar (the output's leading dim is then known
    when the graph runs)."""
    v = known_value(num_segments)
    if v is None:
        n = to_tensor(num_segments)
        if n.ndim != 0 or not n.dtype.is_integer:
            raise op_error(opname, (n,), "num_segments must be an integer scalar")
        return n
    return int(v)


def _bind(op, data, ids, n, **attrs):
    """The segment op with `num_segments` n: an int, or a traced scalar read at run time."""
    if isinstance(n, Tensor):
        from . import runtime_shape   # (same layer)
        return runtime_shape.bind_runtime_attrs(op.name, [data, ids], attrs, {"num_segments": n})
    return bind(op, [data, ids], {"num_segments": n, **attrs})


def _num_from_ids(segment_ids, opname):
    """max(id) + 1 of sorted segment ids: an int for known ids, else a traced scalar."""
    v = known_value(segment_ids)
    if v is None:   # known when the graph runs (ids out of order: each still sums its own rows)
        ids = to_tensor(segment_ids)
        return _m.reduce_max(_s.concat([_s.reshape(ids, [-1]), constant([-1], ids.dtype)], 0)) + 1
    v = v.reshape(-1)
    if v.size and (np.any(np.diff(v) < 0) or v[0] < 0):
        raise op_error(opname, (to_tensor(segment_ids),), "segment ids must be sorted and "
                       "non-negative")
    return int(v[-1]) + 1 if v.size else 0


def _args(data, segment_ids):
    return to_tensor(data), to_tensor(segment_ids, _dt.int32 if not hasattr(segment_ids, "dtype")
                                      else None)


def unsorted_segment_sum(data, segment_ids, num_segments, name=None):
    """Sums of the rows of `data` per segment id (ids in any order; negative ids dropped).

    >>> unsorted_segment_sum(constant([1., 2., 3.]), constant([1, 0, 1]), 2).numpy()
    array([2., 4.], dtype=float32)
    """
    data, ids = _args(data, segment_ids)
    n = _static_count(num_segments, "unsorted_segment_sum")
    return _bind(SUM, data, ids, n)


def unsorted_segment_max(data, segment_ids, num_segments, name=None):
    """Maxima per segment id; an empty segment gives the dtype's lowest value (TF).

    >>> unsorted_segment_max(constant([1., 5., 3.]), constant([1, 1, 0]), 2).numpy()
    array([3., 5.], dtype=float32)
    """
    data, ids = _args(data, segment_ids)
    n = _static_count(num_segments, "unsorted_segment_max")
    return _bind(MAX, data, ids, n, empty="lowest")


def unsorted_segment_min(data, segment_ids, num_segments, name=None):
    """Minima per segment id (empty segments: the dtype's largest value).

    >>> unsorted_segment_min(constant([1., 5., 3.]), constant([1, 1, 0]), 2).numpy()
    array([3., 1.], dtype=float32)
    """
    data = to_tensor(data)
    if data.dtype.is_integer:   # -1 - x reverses the order without overflow (-x
        # overflows at the lowest value); an empty segment's lowest becomes the largest value
        ones = constant(-1, data.dtype)
        return ones - unsorted_segment_max(ones - data, segment_ids, num_segments)
    return -unsorted_segment_max(-data, segment_ids, num_segments)


def _mean(data, ids, n):
    total = _bind(SUM, data, ids, n)
    count = _bind(SUM, _m.ones_like(ids, data.dtype), ids, n)
    count = _m.maximum(count, _m.ones_like(count))
    for _ in range(total.ndim - 1):
        count = _s.expand_dims(count, -1)
    return total / count


def unsorted_segment_mean(data, segment_ids, num_segments, name=None):
    """Means per segment id (empty segments: 0).

    >>> unsorted_segment_mean(constant([1., 5., 3.]), constant([1, 1, 0]), 3).numpy()
    array([3., 3., 0.], dtype=float32)
    """
    data, ids = _args(data, segment_ids)
    return _mean(data, ids, _static_count(num_segments, "unsorted_segment_mean"))


def segment_sum(data, segment_ids, name=None):
    """Sums per segment of sorted ids; the output has max(id) + 1 rows (empty ones are 0).

    >>> segment_sum(constant([[1, 2], [3, 4], [5, 6]]), constant([0, 0, 2])).numpy()
    array([[4, 6],
           [0, 0],
           [5, 6]], dtype=int32)
    """
    n = _num_from_ids(segment_ids, "segment_sum")
    data, ids = _args(data, segment_ids)
    return _bind(SUM, data, ids, n)


def segment_mean(data, segment_ids, name=None):
    """Means per segment of sorted ids (empty segments: 0).

    >>> segment_mean(constant([1., 2., 6.]), constant([0, 0, 1])).numpy()
    array([1.5, 6. ], dtype=float32)
    """
    n = _num_from_ids(segment_ids, "segment_mean")
    data, ids = _args(data, segment_ids)
    return _mean(data, ids, n)


def segment_max(data, segment_ids, name=None):
    """Maxima per segment of sorted ids (empty segments: 0, as TF).

    >>> segment_max(constant([1., 4., 2.]), constant([0, 0, 2])).numpy()
    array([4., 0., 2.], dtype=float32)
    """
    n = _num_from_ids(segment_ids, "segment_max")
    data, ids = _args(data, segment_ids)
    return _bind(MAX, data, ids, n, empty="zero")


def segment_min(data, segment_ids, name=None):
    """Minima per segment of sorted ids (empty segments: 0).

    >>> segment_min(constant([1., 4., 2.]), constant([0, 0, 1])).numpy()
    array([1., 2.], dtype=float32)
    """
    n = _num_from_ids(segment_ids, "segment_min")
    data, ids = _args(data, segment_ids)
    return -_bind(MAX, -data, ids, n, empty="zero")


# ------------------------------------------------------------------ bincount, searchsorted
def bincount(arr, weights=None, minlength=None, maxlength=None, dtype=_dt.int32, name=None,
             axis=None, binary_output=False):
    """Counts of each value 0, 1, ... in the non-negative integers `arr` (summed `weights`
    instead, if given: differentiable in them). The output size is max(arr) + 1 (at least
    `minlength`, at most `maxlength`; larger values are dropped), so `arr` needs a value unless
    minlength == maxlength. `binary_output`: 1 where a value occurs, else 0 (TF).

    >>> bincount(constant([1, 1, 2, 5])).numpy()
    array([0, 2, 1, 0, 0, 1], dtype=int32)
    """
    if axis not in (None, 0, -1):
        raise NotImplementedError(f"bincount: axis={axis}; TF supports None, 0 and -1")
    if binary_output:
        if weights is not None:
            raise ValueError("Arguments `binary_output` and `weights` are mutually exclusive. "
                             "Please specify only one.")
        counts = bincount(arr, None, minlength, maxlength, dtype, axis=axis)
        return _m.cast(_m.greater(counts, _m.cast(0, counts.dtype)), counts.dtype)
    if minlength is not None and maxlength is not None and int(minlength) == int(maxlength):
        n = int(minlength)
    else:
        v = known_value(arr)
        if v is None:   # traced: the output size is known when the graph runs
            return _traced_bincount(arr, weights, minlength, maxlength, dtype)
        if v.size and v.min() < 0:
            raise op_error("bincount", (to_tensor(arr),), "arr must be non-negative")
        n = int(v.max()) + 1 if v.size else 0
        if minlength is not None:
            n = max(n, int(minlength))
        if maxlength is not None:
            n = min(n, int(maxlength))
    ids = _s.reshape(to_tensor(arr, _dt.int32 if not hasattr(arr, "dtype") else None), [-1])
    # values >= n are dropped: map them to -1 (negative ids are dropped by the segment sum)
    ids = _m.where(_m.less(ids, _m.cast(n, ids.dtype)), ids, -_m.ones_like(ids))
    if weights is None:
        w = _m.ones_like(ids, _dt.as_dtype(dtype))
    else:
        w = _s.reshape(to_tensor(weights), [-1])
    if axis == -1 and len(to_tensor(arr).shape) == 2:   # counts per row: row r's bins at r * n
        rows, cols = (int(d) for d in to_tensor(arr).shape)
        row = constant(np.repeat(np.arange(rows, dtype=np.int64), cols) * n, ids.dtype)
        ids = _m.where(_m.less(ids, 0), ids, ids + row)
        return _s.reshape(bind(SUM, [w, ids], {"num_segments": rows * n}), [rows, n])
    return bind(SUM, [w, ids], {"num_segments": n})


def _traced_bincount(arr, weights, minlength, maxlength, dtype):
    """bincount of values known only when the graph runs: a segment sum whose count
    max(arr) + 1 (within [minlength, maxlength]) is a traced scalar; values at or past it are
    dropped, negative ones an error when it runs (as TF)."""
    from .nn_ops import check_labels   # (same layer)
    ids = check_labels(_m.cast(_s.reshape(to_tensor(arr), [-1]), _dt.int64), 1 << 62, "bincount")
    n = _m.reduce_max(_s.concat([ids, constant([-1], _dt.int64)], 0)) + 1
    if minlength is not None:
        n = _m.maximum(n, constant(int(minlength), _dt.int64))
    if maxlength is not None:
        n = _m.minimum(n, constant(int(maxlength), _dt.int64))
    ids = _m.where(_m.less(ids, n), ids, -_m.ones_like(ids))
    w = _m.ones_like(ids, _dt.as_dtype(dtype)) if weights is None else \
        _s.reshape(to_tensor(weights), [-1])
    return _bind(SUM, w, ids, n)


def _searchsorted_impl(seq, values, side="left", out_type="int32"):
    s2 = seq.reshape(-1, seq.shape[-1])
    v2 = values.reshape(-1, values.shape[-1])
    out = np.stack([np.searchsorted(a, b, side=side) for a, b in zip(s2, v2)]) if len(s2) else \
        np.zeros(v2.shape, np.int64)
    return out.reshape(values.shape).astype(out_type)


def _searchsorted_rule(seq, values, side="left", out_type="int32"):
    same_dtype("searchsorted", (seq, values), "fiu")
    if len(seq.shape) < 1 or len(seq.shape) != len(values.shape) or not all(
            [require_equal(a, b) for a, b in zip(seq.shape[:-1], values.shape[:-1])]):
        raise op_error("searchsorted", (seq, values), "sorted_sequence and values need the same "
                       "rank and the same leading dims (the last axis is searched)")
    return Aval(tuple(values.shape), np.dtype(out_type))


SEARCHSORTED = defop("searchsorted", _searchsorted_impl, _searchsorted_rule, None, kind=OTHER,
                     arity=2, nondiff_reason="integer positions: piecewise constant, no gradient")


def searchsorted(sorted_sequence, values, side="left", out_type=_dt.int32, name=None):
    """For each of `values`, the index where it would be inserted into the (innermost axis of)
    `sorted_sequence` to keep it sorted; side 'left' or 'right' for ties (TF's searchsorted).

    >>> searchsorted(constant([[0., 3., 9., 10.]]), constant([[2., 3., 11.]])).numpy()
    array([[1, 1, 4]], dtype=int32)
    """
    if side not in ("left", "right"):
        raise ValueError(f"searchsorted: side must be 'left' or 'right', got {side!r}")
    seq, vals = to_tensor(sorted_sequence), to_tensor(values)
    squeeze = seq.ndim == 1 and vals.ndim == 0
    if squeeze:
        vals = _s.reshape(vals, [1])
    out = bind(SEARCHSORTED, [seq, vals], {"side": side,
                                           "out_type": _dt.as_dtype(out_type).name})
    return _s.reshape(out, []) if squeeze else out


# ------------------------------------------------------------------ products
def _prod_impl(data, ids, num_segments):
    fi, d = _flat(data, ids, num_segments, "unsorted_segment_prod")
    out = np.ones((num_segments,) + data.shape[ids.ndim:], data.dtype)
    np.multiply.at(out, fi, d)
    return out


def _prod_vjp(i, o, g, num_segments):
    # TF's _UnsortedSegmentProdGrad: zeros handled apart (one zero: the product of the others;
    # two or more: 0), with a safe divisor so no NaN hides in an untaken branch
    data, ids = i
    zero = _m.equal(data, _m.zeros_like(data))
    n_zero = unsorted_segment_sum(_m.cast(zero, data.dtype), ids, num_segments)
    g = _m.where(_m.greater(n_zero, _m.ones_like(n_zero)), _m.zeros_like(g), g)
    safe = _m.where(zero, _m.ones_like(data), data)
    nonzero_prod = bind(PROD, [safe, ids], {"num_segments": num_segments})
    got_prod = _gather_drop_negatives(o, ids)[0]
    got_nonzero = _gather_drop_negatives(nonzero_prod, ids)[0]
    partial = _m.where(zero, got_nonzero, got_prod / safe)
    return [_gather_drop_negatives(g, ids)[0] * partial, None]


PROD = defop("unsorted_segment_prod", _prod_impl, _rule("unsorted_segment_prod"), _prod_vjp,
             jvp=VIA_VJP, kind=OTHER, arity=2)


def unsorted_segment_prod(data, segment_ids, num_segments, name=None):
    """Products per segment id (empty segments: 1; negative ids dropped).

    >>> unsorted_segment_prod(constant([2., 3., 4.]), constant([1, 0, 1]), 2).numpy()
    array([3., 8.], dtype=float32)
    """
    data, ids = _args(data, segment_ids)
    return bind(PROD, [data, ids], {"num_segments": _static_count(num_segments,
                                                                  "unsorted_segment_prod")})


def segment_prod(data, segment_ids, name=None):
    """Products per segment of sorted ids (empty segments: 1, as TF).

    >>> segment_prod(constant([2., 3., 4.]), constant([0, 0, 2])).numpy()
    array([6., 1., 4.], dtype=float32)
    """
    n = _num_from_ids(segment_ids, "segment_prod")
    data, ids = _args(data, segment_ids)
    return bind(PROD, [data, ids], {"num_segments": n})
