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
import numpy as np

from . import dtypes as _dt
from .nest import Components, Static
from .ops import array_ops as _a, math_ops as _m, shape_ops as _s, segment_ops as _seg
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
            raise ValueError(f"SparseTensor: dense_shape must be known, got {dense_shape!r}") \
                from None
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
        return SparseTensor(self.indices, new_values, self._dims)   # (static while tracing)

    def __repr__(self):
        return (f"SparseTensor(indices={self.indices}, values={self.values}, "
                f"dense_shape={self.dense_shape})")

    def __mul__(self, other):
        """Elementwise product with a dense tensor broadcast to the dense shape."""
        d = convert_to_tensor(other)
        dense = _s.broadcast_to(d, [int(x) for x in _np(self.dense_shape)])
        return self.with_values(self.values * _a.gather_nd(dense, self.indices))


def _dims(st):
    return list(st._dims)


def to_dense(sp_input, default_value=None, validate_indices=True, name=None):
    """The dense tensor (missing entries `default_value`, 0 by default; b'' for strings)."""
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
    """Sum of the entries (over `axis`), as a dense tensor."""
    return _m.reduce_sum(to_dense(sp_input), axis=axis, keepdims=keepdims)


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
    return Tensor._wrap(out)


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
