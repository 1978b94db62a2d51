"""`tf.sparse`: `SparseTensor` (COO: `indices` int64 [N, rank], `values` [N], `dense_shape`
int64 [rank]) and its ops.

`to_dense`, `sparse_dense_matmul`, `add` (sparse + dense) and `reduce_sum` are compositions of
graph ops (`scatter_nd`, `gather`, `unsorted_segment_sum`), so they work eagerly, inside
`@function` and under a `GradientTape` (gradients reach `values` and the dense operand).
`from_dense`, sparse + sparse `add`, `reorder`, `concat` and `slice` compute index sets and run
eagerly.

>>> import graphflow as tf
>>> st = tf.sparse.SparseTensor(indices=[[0, 0], [1, 2]], values=[1, 2], dense_shape=[3, 4])
>>> tf.sparse.to_dense(st).numpy()
array([[1, 0, 0, 0],
       [0, 0, 2, 0],
       [0, 0, 0, 0]], dtype=int32)
"""
import itertools

import numpy as np

from . import dtypes as _dt
from .farmhash import fingerprint64
from .nest import Components, Static
from .ops import array_ops as _a, math_ops as _m, shape_ops as _s, segment_ops as _seg
from .ops.creation import shape_tuple as _shape_tuple
from .tensor import Tensor, TensorShape, convert_to_tensor

__all__ = ["SparseTensor", "to_dense", "from_dense", "add", "sparse_dense_matmul", "reorder",
           "reduce_sum", "reduce_max", "transpose", "map_values", "concat", "slice",
           "to_indicator", "retain", "eye"]


def _np(t):
    return np.asarray(convert_to_tensor(t)._value)


class SparseTensor:
    """A sparse tensor in coordinate form (TF's `tf.sparse.SparseTensor`).

    >>> print(SparseTensor(indices=[[0, 3], [2, 4]], values=[10, 20], dense_shape=[3, 10]))
    SparseTensor(indices=tf.Tensor(
    [[0 3]
     [2 4]], shape=(2, 2), dtype=int64), values=tf.Tensor([10 20], shape=(2,), dtype=int32), dense_shape=tf.Tensor([ 3 10], shape=(2,), dtype=int64))
    """

    def __init__(self, indices, values, dense_shape):
        try:   # the dense shape is static (known while tracing too)
            self._dims = [int(d) for d in np.asarray(
                dense_shape._value if isinstance(dense_shape, Tensor) else dense_shape)]
        except (TypeError, ValueError, AttributeError):
            self._dims = _traced_dims(dense_shape)
        self.indices = convert_to_tensor(indices, _dt.int64)
        self.values = values if isinstance(values, Tensor) else convert_to_tensor(values)
        self.dense_shape = convert_to_tensor(dense_shape, _dt.int64)
        if self.indices.ndim != 2 or self.values.ndim != 1 or \
                self.indices.shape[0] != self.values.shape[0] or \
                self.indices.shape[1] != self.dense_shape.shape[0]:
            raise ValueError(f"SparseTensor: indices {list(self.indices.shape)} must be "
                             f"[N, rank], values {list(self.values.shape)} [N], dense_shape "
                             f"{list(self.dense_shape.shape)} [rank]")

    def _gf_components(self):
        """indices and values (data) and the dense shape (static): how `@function` sees a
        SparseTensor."""
        def build(p):
            if not isinstance(p[0], Tensor):   # e.g. a traced signature's TensorSpecs
                return Components("SparseTensor", p, build)
            return SparseTensor(p[0], p[1], list(p[2].value))
        return [self.indices, self.values, Static(tuple(self._dims))], build

    @classmethod
    def from_value(cls, value):
        return value if isinstance(value, SparseTensor) else from_dense(value)

    @property
    def dtype(self):
        return self.values.dtype

    @property
    def shape(self):
        return TensorShape(self._dims)

    @property
    def ndim(self):
        return self.indices.shape[1]

    def with_values(self, new_values):
        known = all(isinstance(d, (int, np.integer)) for d in self._dims)
        return SparseTensor(self.indices, new_values,   # (static while tracing, or traced dims)
                            self._dims if known else self.dense_shape)

    def __repr__(self):
        return (f"SparseTensor(indices={self.indices!s}, values={self.values!s}, "
                f"dense_shape={self.dense_shape!s})")

    def _dense_at_entries(self, other):
        d = convert_to_tensor(other, dtype=self.values.dtype)
        dense = _s.broadcast_to(d, [int(x) for x in _np(self.dense_shape)])
        return _a.gather_nd(dense, self.indices)

    def __mul__(self, other):
        """Elementwise product with a dense tensor broadcast to the dense shape."""
        return self.with_values(self.values * self._dense_at_entries(other))

    def __truediv__(self, other):
        """Elementwise quotient by a dense tensor broadcast to the dense shape (TF's
        sparse_dense_cwise_div)."""
        return self.with_values(self.values / self._dense_at_entries(other))

    __div__ = __truediv__


def _traced_dims(dense_shape):
    """A traced dense shape (e.g. `tf.cast(tf.shape(x), tf.int64)` inside a traced `fit`) as
    its dims, unknown ones symbolic (`graphflow.shapes.Dim`, sized when the graph runs)."""
    try:
        return list(_shape_tuple(dense_shape))
    except (TypeError, ValueError, AttributeError):
        raise ValueError(f"SparseTensor: dense_shape must be known while tracing (a constant or "
                         f"built from tf.shape), got {dense_shape!r}") from None


def _dims(st):
    return list(st._dims)


def to_dense(sp_input, default_value=None, validate_indices=True, name=None):
    """The dense tensor (missing entries `default_value`, 0 by default; b'' for strings)."""
    if not isinstance(sp_input, SparseTensor):   # TF's error (e.g. for a dense tensor)
        raise TypeError(f"tf.sparse.to_dense: Input must be a SparseTensor, got "
                        f"{type(sp_input).__name__} {getattr(sp_input, 'shape', '')}")
    if sp_input.dtype == _dt.string:   # strings: eager numpy (no graph op fills strings)
        out = np.full(_dims(sp_input), b"" if default_value is None else
                      (default_value.encode() if isinstance(default_value, str)
                       else default_value), dtype=object)
        out[tuple(_np(sp_input.indices).T)] = _np(sp_input.values)
        return Tensor._wrap(out)
    dense = _a.scatter_nd(sp_input.indices, sp_input.values, _dims(sp_input))
    if default_value is None or default_value == 0:
        return dense
    ones = convert_to_tensor(np.ones(sp_input.values.shape[0], np.int32))
    mask = _m.greater(_a.scatter_nd(sp_input.indices, ones, _dims(sp_input)), 0)
    return _m.where(mask, dense, _m.cast(default_value, sp_input.dtype))


def from_dense(tensor, name=None):
    """The non-zero entries of a dense tensor, in row-major order.

    >>> from_dense([[1, 0, 0, 8], [0, 0, 0, 0], [0, 0, 3, 0]]).indices.numpy().tolist()
    [[0, 0], [0, 3], [2, 2]]
    """
    t = convert_to_tensor(tensor)
    a = np.asarray(t._value)
    idx = np.argwhere(a != 0).astype(np.int64)
    return SparseTensor(idx, Tensor._wrap(a[tuple(idx.T)]) if a.ndim else t, list(a.shape))


def reorder(sp_input, name=None):
    """The entries sorted in row-major order of their indices."""
    idx = _np(sp_input.indices)
    order = np.lexsort(idx.T[::-1]) if idx.size else np.arange(0)
    return SparseTensor(idx[order], _s.gather(sp_input.values, order), sp_input.dense_shape)


def add(a, b, threshold=0, name=None):
    """Sparse + sparse (a SparseTensor: the union of entries, equal indices summed) or sparse +
    dense (a dense tensor), as `tf.sparse.add`.

    >>> x = SparseTensor([[0, 2]], [31], [4, 10]); y = SparseTensor([[0, 2], [3, 4]], [5, 2], [4, 10])
    >>> s = add(x, y); s.indices.numpy().tolist(), s.values.numpy().tolist()
    ([[0, 2], [3, 4]], [36, 2])
    """
    if isinstance(a, SparseTensor) and isinstance(b, SparseTensor):
        if _dims(a) != _dims(b):
            raise ValueError(f"tf.sparse.add: dense shapes differ: {_dims(a)} vs {_dims(b)}")
        idx = np.concatenate([_np(a.indices), _np(b.indices)])
        uniq, inv = np.unique(idx, axis=0, return_inverse=True) if idx.size else (idx, idx[:, 0])
        vals = _seg.unsorted_segment_sum(_s.concat([a.values, b.values], 0),
                                         inv.reshape(-1).astype(np.int32), len(uniq))
        if threshold:
            keep = np.abs(_np(vals)) >= threshold
            uniq, vals = uniq[keep], _s.gather(vals, np.nonzero(keep)[0])
        return SparseTensor(uniq.astype(np.int64), vals, a.dense_shape)
    if isinstance(b, SparseTensor):
        a, b = b, a
    return to_dense(a) + convert_to_tensor(b)


def sparse_dense_matmul(sp_a, b, adjoint_a=False, adjoint_b=False, name=None):
    """SparseTensor [m, k] @ dense [k, n] without densifying `sp_a`.

    >>> st = SparseTensor(indices=([0, 1], [1, 0], [1, 1]), values=[13, 15, 17], dense_shape=(2, 2))
    >>> sparse_dense_matmul(st, [[4], [6]]).numpy().tolist()
    [[78], [162]]
    """
    b = convert_to_tensor(b, sp_a.dtype)
    if adjoint_b:
        b = _s.transpose(b)
    rows, cols = _s.gather(sp_a.indices, 0, axis=1), _s.gather(sp_a.indices, 1, axis=1)
    m = _dims(sp_a)[0]
    if adjoint_a:
        rows, cols, m = cols, rows, _dims(sp_a)[1]
    prods = _m.multiply(_s.expand_dims(sp_a.values, 1), _s.gather(b, cols))
    return _seg.unsorted_segment_sum(prods, rows, m)


def reduce_sum(sp_input, axis=None, keepdims=False, output_is_sparse=False, name=None):
    """Sum of the entries (over `axis`), as a dense tensor (a SparseTensor of the positions
    with stored entries if `output_is_sparse`, TF's sparse_reduce_sum_sparse).

    >>> reduce_sum(from_dense([[0, 2], [0, 0]]), 1, output_is_sparse=True).indices.numpy()
    array([[0]])
    """
    out = _m.reduce_sum(to_dense(sp_input), axis=axis, keepdims=keepdims)
    return _sparse_result(sp_input, out, axis, keepdims) if output_is_sparse else out


def _sparse_result(sp_input, dense_out, axis, keepdims):
    """`dense_out` (a reduction of `sp_input` over `axis`) as a SparseTensor holding the
    positions that some stored entry reduces into (TF's Sparse*ReduceSparse outputs)."""
    idx, dims = _np(sp_input.indices), _dims(sp_input)
    axes = list(range(len(dims))) if axis is None else \
        sorted({int(a) % len(dims) for a in np.atleast_1d(axis)})
    if keepdims:
        idx = idx.copy()
        idx[:, axes] = 0
    else:
        idx = idx[:, [i for i in range(len(dims)) if i not in axes]]
    idx = np.unique(idx, axis=0) if len(idx) else idx.reshape(0, idx.shape[1])
    return SparseTensor(idx.astype(np.int64), _a.gather_nd(dense_out, idx.astype(np.int64)),
                        list(dense_out.shape))


def transpose(sp_input, perm=None, name=None):
    """Dims permuted by `perm` (reversed by default), entries re-sorted in row-major order.

    >>> transpose(SparseTensor([[0, 3]], [15], [3, 10])).indices.numpy().tolist()
    [[3, 0]]
    """
    perm = list(range(sp_input.ndim))[::-1] if perm is None else [int(p) for p in perm]
    idx = _np(sp_input.indices)[:, perm]
    return reorder(SparseTensor(idx, sp_input.values, [_dims(sp_input)[p] for p in perm]))


def reduce_max(sp_input, axis=None, keepdims=False, output_is_sparse=False, name=None):
    """Max over the stored values only (implicit zeros are not counted, as TF), over `axis`
    (positions with no stored value get the dtype's lowest value).

    >>> reduce_max(from_dense([-5, 0, -3])).numpy()
    np.int32(-3)
    """
    vals, idx, dims = _np(sp_input.values), _np(sp_input.indices), _dims(sp_input)
    info = np.finfo(vals.dtype) if vals.dtype.kind == "f" else np.iinfo(vals.dtype)
    if axis is None:
        out = np.asarray(vals.max() if vals.size else info.min, vals.dtype)
        return Tensor._wrap(out.reshape([1] * len(dims)) if keepdims else out[()])
    axes = sorted({int(a) % len(dims) for a in np.atleast_1d(axis)})
    keep = [i for i in range(len(dims)) if i not in axes]
    out = np.full([dims[i] for i in keep], info.min, vals.dtype)
    np.maximum.at(out, tuple(idx[:, keep].T), vals)
    if keepdims:
        out = np.expand_dims(out, axes)
    out = Tensor._wrap(out)
    return _sparse_result(sp_input, out, axis, keepdims) if output_is_sparse else out


def map_values(op, *args, **kwargs):
    """`op` applied to the values of the SparseTensor arguments (same indices).

    >>> map_values(lambda v, k: v + k, SparseTensor([[0]], [1], [3]), 1).values.numpy()
    array([2], dtype=int32)
    """
    sps = [a for a in args if isinstance(a, SparseTensor)]
    return sps[0].with_values(op(*[a.values if isinstance(a, SparseTensor) else a for a in args],
                                 **kwargs))


def concat(axis, sp_inputs, expand_nonconcat_dims=False, name=None):
    """SparseTensors joined along `axis` (other dims equal, or the largest with
    expand_nonconcat_dims)."""
    dims = [_dims(s) for s in sp_inputs]
    axis = axis % len(dims[0])
    out_shape = [max(d[i] for d in dims) for i in range(len(dims[0]))]
    out_shape[axis] = sum(d[axis] for d in dims)
    idx, off = [], 0
    for s, d in zip(sp_inputs, dims):
        i = _np(s.indices).copy()
        i[:, axis] += off
        off += d[axis]
        idx.append(i)
    return reorder(SparseTensor(np.concatenate(idx), _s.concat([s.values for s in sp_inputs], 0),
                                out_shape))


def slice(sp_input, start, size, name=None):   # noqa: A001 (TF's name)
    """The entries inside the box [start, start + size), re-based to start."""
    idx, start, size = _np(sp_input.indices), np.asarray(start), np.asarray(size)
    dims = np.maximum(np.minimum(np.asarray(_dims(sp_input)) - start, size), 0)
    keep = np.all((idx >= start) & (idx < start + dims), axis=1)
    return SparseTensor(idx[keep] - start, _s.gather(sp_input.values, np.nonzero(keep)[0]),
                        dims.tolist())


def retain(sp_input, to_retain):
    """The entries where the boolean vector `to_retain` is True."""
    keep = np.nonzero(_np(to_retain))[0]
    return SparseTensor(_np(sp_input.indices)[keep], _s.gather(sp_input.values, keep),
                        sp_input.dense_shape)


def to_indicator(sp_input, vocab_size, name=None):
    """Dense bool [..., vocab_size]: True at each row's values (ids)."""
    idx, vals = _np(sp_input.indices), _np(sp_input.values)
    out = np.zeros(_dims(sp_input)[:-1] + [int(vocab_size)], bool)
    out[tuple(idx[:, :-1].T) + (vals,)] = True
    return Tensor._wrap(out)


def eye(num_rows, num_columns=None, dtype=_dt.float32, name=None):
    """A sparse identity matrix."""
    n = int(num_rows)
    m = n if num_columns is None else int(num_columns)
    k = min(n, m)
    return SparseTensor(np.stack([np.arange(k)] * 2, 1), np.ones(k, _dt.as_dtype(dtype).np), [n, m])


# --- more of tf.sparse: index bookkeeping eagerly in numpy, values through graph ops (gathers,
# segment sums), so gradients reach `values` / dense operands where TF has them.
def _coo(idx, vals, dims):
    return SparseTensor(np.asarray(idx, np.int64).reshape(-1, len(dims)), vals, list(dims))


def expand_dims(sp_input, axis=None, name=None):
    """A size-1 axis inserted at `axis` (negative counts from the end).

    >>> expand_dims(SparseTensor([[0, 1]], [5], [2, 3]), -1).indices.numpy().tolist()
    [[0, 1, 0]]
    """
    dims, idx = _dims(sp_input), _np(sp_input.indices)
    ax = int(0 if axis is None else axis)
    ax = ax + len(dims) + 1 if ax < 0 else ax
    return _coo(np.insert(idx, ax, 0, axis=1), sp_input.values, dims[:ax] + [1] + dims[ax:])


def reshape(sp_input, shape, name=None):
    """The same entries in a new dense shape (row-major positions kept; one -1 is inferred).

    >>> reshape(SparseTensor([[0, 1], [2, 3]], [1, 2], [3, 4]), [2, 6]).indices.numpy().tolist()
    [[0, 1], [1, 5]]
    """
    dims = _dims(sp_input)
    new = [int(d) for d in np.asarray(_np(shape) if isinstance(shape, Tensor) else shape)]
    total = int(np.prod(dims, dtype=np.int64))
    if new.count(-1) > 1:
        raise ValueError(f"tf.sparse.reshape: at most one -1 in shape, got {new}")
    if -1 in new:
        known = int(np.prod([d for d in new if d != -1], dtype=np.int64))
        new[new.index(-1)] = total // known if known else 0
    if int(np.prod(new, dtype=np.int64)) != total:
        raise ValueError(f"tf.sparse.reshape: cannot reshape a SparseTensor of dense shape "
                         f"{dims} ({total} entries) to {new}")
    flat = np.ravel_multi_index(tuple(_np(sp_input.indices).T), dims) if dims else \
        np.zeros(0, np.int64)
    return _coo(np.stack(np.unravel_index(flat, new), 1) if len(flat) else
                np.zeros((0, len(new))), sp_input.values, new)


def reset_shape(sp_input, new_shape=None):
    """The same entries with dense shape `new_shape` (each dim at least the old one), or the
    tightest shape holding them when None.

    >>> reset_shape(SparseTensor([[0, 1], [2, 3]], [1, 2], [3, 4]), [5, 6]).shape
    TensorShape([5, 6])
    """
    idx, dims = _np(sp_input.indices), _dims(sp_input)
    if new_shape is None:
        new = (idx.max(0) + 1).tolist() if len(idx) else [0] * len(dims)
    else:
        new = [int(d) for d in np.asarray(new_shape)]
        if len(new) != len(dims) or any(n < d for n, d in zip(new, dims)):
            raise ValueError(f"tf.sparse.reset_shape: new_shape {new} must have rank "
                             f"{len(dims)} and be at least the current shape {dims}")
    return _coo(idx, sp_input.values, new)


def fill_empty_rows(sp_input, default_value, name=None):
    """(filled, empty_row_indicator): each empty row of a SparseTensor gets one entry
    [row, 0, ...] = default_value; entries end up in row-major order.

    >>> out, empty = fill_empty_rows(SparseTensor([[0, 1], [2, 0]], [5., 6.], [3, 2]), -1.)
    >>> out.indices.numpy().tolist(), out.values.numpy().tolist(), empty.numpy().tolist()
    ([[0, 1], [1, 0], [2, 0]], [5.0, -1.0, 6.0], [False, True, False])
    """
    idx, dims = _np(sp_input.indices), _dims(sp_input)
    empty = np.ones(dims[0], bool)
    empty[idx[:, 0]] = False
    rows = np.nonzero(empty)[0]
    new_idx = np.zeros((len(rows), len(dims)), np.int64)
    new_idx[:, 0] = rows
    fill = _s.broadcast_to(_m.cast(convert_to_tensor(default_value), sp_input.dtype),
                           [len(rows)])
    out = reorder(_coo(np.concatenate([idx, new_idx]), _s.concat([sp_input.values, fill], 0),
                       dims))
    return out, convert_to_tensor(empty)


def _union(a, b, op, opname):
    if _dims(a) != _dims(b):
        raise ValueError(f"tf.sparse.{opname}: dense shapes differ: {_dims(a)} vs {_dims(b)}")
    ia, ib = _np(a.indices), _np(b.indices)
    uniq = np.unique(np.concatenate([ia, ib]), axis=0) if len(ia) + len(ib) else ia
    key = {tuple(r): k for k, r in enumerate(uniq.tolist())}

    def spread(s, idx):   # values at the union positions (implicit zeros elsewhere)
        pos = np.asarray([key[tuple(r)] for r in idx.tolist()], np.int32).reshape(-1)
        return _seg.unsorted_segment_sum(s.values, pos, len(uniq))
    return _coo(uniq, op(spread(a, ia), spread(b, ib)), _dims(a))


def maximum(sp_a, sp_b, name=None):
    """Elementwise max of two SparseTensors of one dense shape, over the union of their
    entries (a missing entry counts as 0).

    >>> a, b = SparseTensor([[0], [1]], [1., -2.], [3]), SparseTensor([[0]], [4.], [3])
    >>> maximum(a, b).values.numpy()
    array([4., 0.], dtype=float32)
    """
    return _union(sp_a, sp_b, _m.maximum, "maximum")


def minimum(sp_a, sp_b, name=None):
    """Elementwise min of two SparseTensors over the union of their entries (missing = 0).

    >>> a, b = SparseTensor([[0], [1]], [1., -2.], [3]), SparseTensor([[0]], [4.], [3])
    >>> minimum(a, b).values.numpy()
    array([ 1., -2.], dtype=float32)
    """
    return _union(sp_a, sp_b, _m.minimum, "minimum")


def _sparse_segment(data, indices, segment_ids, num_segments, how):
    rows = _s.gather(convert_to_tensor(data), convert_to_tensor(indices))
    seg = np.asarray(_np(segment_ids), np.int64).reshape(-1)
    n = int(num_segments) if num_segments is not None else (int(seg.max()) + 1 if len(seg)
                                                             else 0)
    total = _seg.unsorted_segment_sum(rows, seg.astype(np.int32), n)
    if how == "sum":
        return total
    counts = np.bincount(seg, minlength=n)[:n].astype(rows.dtype.np)
    scale = np.sqrt(counts) if how == "sqrt_n" else counts
    scale = np.where(scale > 0, 1.0 / np.maximum(scale, 1e-30), 0.0).astype(rows.dtype.np)
    return total * convert_to_tensor(scale.reshape([-1] + [1] * (rows.ndim - 1)))


def segment_sum(data, indices, segment_ids, num_segments=None, name=None):
    """Sums of the rows data[indices] grouped by segment_ids (TF's sparse segment sum: no
    dense gather of unused rows; gradients reach `data`).

    >>> segment_sum([[1., 2.], [3., 4.], [5., 6.]], [0, 2], [0, 0]).numpy()
    array([[6., 8.]], dtype=float32)
    """
    return _sparse_segment(data, indices, segment_ids, num_segments, "sum")


def segment_mean(data, indices, segment_ids, num_segments=None, name=None):
    """Means of the rows data[indices] grouped by segment_ids (empty segments 0).

    >>> segment_mean([[1., 2.], [3., 4.], [5., 6.]], [0, 1, 2], [0, 0, 2]).numpy()
    array([[2., 3.],
           [0., 0.],
           [5., 6.]], dtype=float32)
    """
    return _sparse_segment(data, indices, segment_ids, num_segments, "mean")


def segment_sqrt_n(data, indices, segment_ids, num_segments=None, name=None):
    """Sums of the rows data[indices] per segment over sqrt(segment size) (empty: 0).

    >>> segment_sqrt_n([[3.], [1.]], [0, 1], [0, 0]).numpy().round(4)
    array([[2.8284]], dtype=float32)
    """
    return _sparse_segment(data, indices, segment_ids, num_segments, "sqrt_n")


def softmax(sp_input, name=None):
    """Softmax over the stored entries of each innermost row (missing entries stay missing,
    not -inf-filled zeros); indices in row-major order.

    >>> softmax(SparseTensor([[0, 0], [0, 2]], [1., 2.], [1, 4])).values.numpy().round(4)
    array([0.2689, 0.7311], dtype=float32)
    """
    sp_input = reorder(sp_input)
    idx = _np(sp_input.indices)
    _, row = np.unique(idx[:, :-1], axis=0, return_inverse=True) if len(idx) else (None, idx[:, 0])
    row = row.reshape(-1).astype(np.int32)
    n = int(row.max()) + 1 if len(row) else 0
    v = sp_input.values
    mx = _seg.unsorted_segment_max(v, row, n)
    e = _m.exp(v - _s.gather(mx, row))
    return sp_input.with_values(e / _s.gather(_seg.unsorted_segment_sum(e, row, n), row))


def split(sp_input=None, num_split=None, axis=None, name=None, keyword_required=None):
    """`num_split` SparseTensors along `axis` (the first dim % num_split pieces one longer);
    each keeps its entries in input order.

    >>> parts = split(sp_input=SparseTensor([[0, 0], [0, 4]], [1, 2], [1, 5]), num_split=2, axis=1)
    >>> [p.shape for p in parts], [p.indices.numpy().tolist() for p in parts]
    ([TensorShape([1, 3]), TensorShape([1, 2])], [[[0, 0]], [[0, 1]]])
    """
    dims, idx = _dims(sp_input), _np(sp_input.indices)
    ax, k = int(axis) % len(dims), int(num_split)
    size, extra = divmod(dims[ax], k)
    out, start = [], 0
    for i in range(k):
        n = size + (1 if i < extra else 0)
        keep = np.nonzero((idx[:, ax] >= start) & (idx[:, ax] < start + n))[0]
        sub = idx[keep].copy()
        sub[:, ax] -= start
        out.append(_coo(sub, _s.gather(sp_input.values, keep.astype(np.int64)),
                        dims[:ax] + [n] + dims[ax + 1:]))
        start += n
    return out


def bincount(values, weights=None, axis=0, minlength=None, maxlength=None,
             binary_output=False, name=None):
    """Counts (or summed `weights`) of each non-negative integer, as a SparseTensor: over all
    values (axis=0) or per row of a rank-2 input (axis=-1); values >= maxlength are dropped.

    >>> b = bincount(SparseTensor([[0, 0], [0, 1], [1, 0]], [1, 3, 1], [2, 4]))
    >>> b.indices.numpy().tolist(), b.values.numpy().tolist(), b.shape
    ([[1], [3]], [2, 1], TensorShape([4]))
    """
    if isinstance(values, SparseTensor):
        vals, rows = _np(values.values), _np(values.indices)[:, 0]
        w = None if weights is None else (weights.values if isinstance(weights, SparseTensor)
                                          else convert_to_tensor(weights))
    else:
        a = _np(values)
        vals = a.reshape(-1)
        rows = np.repeat(np.arange(a.shape[0]), a.shape[1]) if a.ndim == 2 else \
            np.zeros(len(vals), np.int64)
        w = None if weights is None else _s.reshape(convert_to_tensor(weights), [-1])
    per_row = axis is not None and int(axis) == -1
    if not per_row and axis not in (0, None):
        raise ValueError(f"tf.sparse.bincount: axis must be 0 or -1, got {axis}")
    size = int(vals.max()) + 1 if len(vals) else 0
    if minlength is not None:
        size = max(size, int(minlength))
    if maxlength is not None:
        size = min(size, int(maxlength))
    keep = np.nonzero((vals >= 0) & (vals < size))[0]
    key = np.stack([rows[keep], vals[keep]], 1) if per_row else vals[keep][:, None]
    uniq, inv = (np.unique(key, axis=0, return_inverse=True) if len(key)
                 else (key, np.zeros(0, np.int64)))
    inv = inv.reshape(-1).astype(np.int32)
    if binary_output:
        out_vals = convert_to_tensor(np.ones(len(uniq), np.int32 if w is None else w.dtype.np))
    elif w is None:
        out_vals = convert_to_tensor(np.bincount(inv, minlength=len(uniq)).astype(np.int32))
    else:
        out_vals = _seg.unsorted_segment_sum(_s.gather(w, keep.astype(np.int64)), inv, len(uniq))
    n_rows = (int(_dims(values)[0]) if isinstance(values, SparseTensor)
              else int(_np(values).shape[0]))
    return _coo(uniq, out_vals, [n_rows, size] if per_row else [size])


def _cross_rows(inputs):
    """Per input, the list of string features of each row (sparse inputs first, as TF)."""
    sparse_in = [x for x in inputs if isinstance(x, SparseTensor)]
    dense_in = [x for x in inputs if not isinstance(x, SparseTensor)]
    cols = []
    for x in sparse_in:
        idx, vals = _np(x.indices), _np(x.values)
        rows = [[] for _ in range(_dims(x)[0])]
        for r, v in zip(idx[:, 0], vals):
            rows[r].append(v)
        cols.append(rows)
    for x in dense_in:
        cols.append([list(r) for r in np.asarray(_np(x)).reshape(len(_np(x)), -1)])
    n = max(len(c) for c in cols)
    return cols, n


def _feature_text(v):
    if isinstance(v, bytes):
        return v
    if isinstance(v, (np.integer, int)):
        return str(int(v)).encode()
    return str(v).encode()


def cross(inputs, name=None, separator=None):
    """Feature crosses of rank-2 sparse and dense inputs: each row's cartesian product of
    features joined by `separator` ("_X_" by default); sparse inputs come first, as in TF.

    >>> c = cross([convert_to_tensor([["a"], ["b"]]), convert_to_tensor([["x"], ["y"]])])
    >>> c.values.numpy().tolist()
    [b'a_X_x', b'b_X_y']
    """
    sep = (separator if separator is not None else "_X_")
    sep = sep.encode() if isinstance(sep, str) else sep
    cols, n = _cross_rows(inputs)
    idx, vals = [], []
    for r in range(n):
        for j, combo in enumerate(itertools.product(*[c[r] for c in cols])):
            idx.append([r, j])
            vals.append(sep.join(_feature_text(v) for v in combo))
    width = max([i[1] + 1 for i in idx], default=0)
    return _coo(np.asarray(idx, np.int64).reshape(-1, 2), Tensor._wrap(np.asarray(vals, object)),
                [n, width])


_U64 = (1 << 64) - 1
_CAT_MUL = 0xC6A4A7935BD1E995


def _shift_mix(v):
    return v ^ (v >> 47)


def _fingerprint_cat64(a, b):
    """TF's FingerprintCat64 of two uint64 fingerprints."""
    r = (a ^ _CAT_MUL) & _U64
    r ^= (_shift_mix((b * _CAT_MUL) & _U64) * _CAT_MUL) & _U64
    r = (r * _CAT_MUL) & _U64
    return _shift_mix((_shift_mix(r) * _CAT_MUL) & _U64)


def _feature_hash(v):
    if isinstance(v, (np.integer, int)):
        return int(v) & _U64            # TF hashes int64 features as their value
    return fingerprint64(_feature_text(v))


def cross_hashed(inputs, num_buckets=0, hash_key=None, name=None):
    """As `cross`, but each crossed feature is TF's hash of its parts: FingerprintCat64 over
    the Fingerprint64 of each string (an int64 feature's own value), starting from `hash_key`
    (TF's default 0xDECAFCAFFE), modulo `num_buckets` (or 2**63 - 1 when 0); int64 values.

    >>> ab, xy = convert_to_tensor([["a"], ["b"]]), convert_to_tensor([["x"], ["y"]])
    >>> c = cross_hashed([ab, xy], 100)
    >>> c.values.numpy().tolist()
    [92, 5]
    """
    key = 0xDECAFCAFFE if hash_key is None else int(hash_key)
    mod = int(num_buckets) if num_buckets else (1 << 63) - 1
    cols, n = _cross_rows(inputs)
    idx, vals = [], []
    for r in range(n):
        for j, combo in enumerate(itertools.product(*[c[r] for c in cols])):
            h = key & _U64
            for v in combo:
                h = _fingerprint_cat64(h, _feature_hash(v))
            idx.append([r, j])
            vals.append(h % mod)
    width = max([i[1] + 1 for i in idx], default=0)
    return _coo(np.asarray(idx, np.int64).reshape(-1, 2), convert_to_tensor(
        np.asarray(vals, np.int64)), [n, width])


def sampled_addmm(indices, values, dense_shape, mat1, mat2, beta=1.0, alpha=1.0,
                  output_type=_dt.float32):
    """alpha * (mat1 @ mat2) at the positions `indices` + beta * values, without forming the
    product: (indices, new values, dense_shape), TF's sampled matmul (differentiable in
    values, mat1 and mat2).

    >>> i, v, d = sampled_addmm([[0, 0], [1, 1]], [0.5, 0.3], [2, 2],
    ...                         [[1., 2., 3.], [4., 5., 6.]], [[7., 8.], [9., 10.], [11., 12.]],
    ...                         beta=0.25, alpha=0.75)
    >>> [round(float(x), 3) for x in v.numpy()]
    [43.625, 115.575]
    """
    idx = convert_to_tensor(indices)
    a, b = convert_to_tensor(mat1), convert_to_tensor(mat2)
    vals = _m.cast(convert_to_tensor(values), a.dtype)
    if a.ndim < 2 or b.ndim != a.ndim or idx.shape[-1] != 2:
        raise ValueError(f"tf.sparse.sampled_addmm: mat1 {tuple(a.shape)} and mat2 "
                         f"{tuple(b.shape)} must be matrices (or equal-rank batches of them) "
                         f"and indices {tuple(idx.shape)} [..., N, 2]")
    batch = a.ndim - 2
    rows = _s.gather(a, _s.gather(idx, 0, axis=-1), axis=batch, batch_dims=batch)
    cols = _s.gather(_s.transpose(b, list(range(batch)) + [batch + 1, batch]),
                     _s.gather(idx, 1, axis=-1), axis=batch, batch_dims=batch)
    prods = _m.reduce_sum(rows * cols, -1)
    out = _m.cast(prods * np.asarray(alpha, a.dtype.np) + vals * np.asarray(beta, a.dtype.np),
                  _dt.as_dtype(output_type))
    return idx, out, convert_to_tensor(dense_shape)


def mask(a, mask_indices, name=None):
    """The IndexedSlices `a` without the slices whose index is in `mask_indices`.

    >>> from graphflow.indexed_slices import IndexedSlices
    >>> m = mask(IndexedSlices([[1.], [2.], [3.]], [0, 4, 7], [10, 1]), [4])
    >>> m.indices.numpy().tolist(), m.values.numpy().tolist()
    ([0, 7], [[1.0], [3.0]])
    """
    idx = _np(a.indices)
    keep = np.nonzero(~np.isin(idx, _np(mask_indices)))[0]
    return type(a)(_s.gather(a.values, keep.astype(np.int64)), idx[keep], a.dense_shape)


__all__ += ["expand_dims", "reshape", "reset_shape", "fill_empty_rows", "maximum", "minimum",
            "segment_sum", "segment_mean", "segment_sqrt_n", "softmax", "split", "bincount",
            "cross", "cross_hashed", "mask", "sampled_addmm"]
