"""`tf.RaggedTensor` and `tf.ragged`: tensors whose rows have different lengths, eager only.

A RaggedTensor is `values` (a Tensor, or a RaggedTensor for more ragged dims) cut into rows by
`row_splits` (int64, `row_splits[i]:row_splits[i+1]` is row i). Elementwise ops apply to the
flat values (`tf.ragged.map_flat_values`, operators, and `tf.add`/`tf.multiply`/... on a
RaggedTensor); `tf.concat` (axis 0 or 1) and `tf.reduce_sum/mean/max/min` over the ragged axis
take RaggedTensors (graphflow's package wraps them with `dispatch`).

>>> import graphflow as tf
>>> digits = tf.ragged.constant([[3, 1, 4, 1], [], [5, 9, 2], [6], []])
>>> print(digits + 3)
<tf.RaggedTensor [[6, 4, 7, 4], [], [8, 12, 5], [9], []]>
>>> digits.shape, digits[0].numpy()
(TensorShape([5, None]), array([3, 1, 4, 1], dtype=int32))
"""
import numpy as np

from . import dtypes as _dt
from .errors import InvalidArgumentError
from .sparse import SparseTensor
from .tensor import Tensor, TensorShape, convert_to_tensor

__all__ = ["RaggedTensor", "constant", "map_flat_values", "dispatch", "concat", "reduce",
           "row_splits_to_segment_ids", "stack", "ragged_range", "elementwise", "reverse",
           "tile", "map_fn"]


def _splits(x, what):
    a = np.asarray(x._value if isinstance(x, Tensor) else x).astype(np.int64)
    if a.ndim != 1:
        raise ValueError(f"RaggedTensor: {what} must be 1-D, got shape {list(a.shape)}")
    return a


class RaggedTensor:
    """Rows of different lengths (see the module doc). Build one with `tf.ragged.constant` or
    the `from_*` class methods.

    >>> rt = RaggedTensor.from_row_lengths(values=[3, 1, 4, 1, 5, 9, 2], row_lengths=[4, 0, 2, 1])
    >>> print(rt)
    <tf.RaggedTensor [[3, 1, 4, 1], [], [5, 9], [2]]>
    >>> rt.row_lengths().numpy(), rt.to_tensor().numpy()[2]
    (array([4, 0, 2, 1]), array([5, 9, 0, 0], dtype=int32))
    """

    def __init__(self, values, row_splits, _internal=False):
        if not _internal:
            raise TypeError("build a RaggedTensor with tf.ragged.constant or "
                            "RaggedTensor.from_row_splits / from_row_lengths / ...")
        self._values = values
        self._row_splits = row_splits

    # ---- construction ---------------------------------------------------------
    @classmethod
    def from_row_splits(cls, values, row_splits, name=None, validate=True):
        """Row i is values[row_splits[i]:row_splits[i+1]]."""
        values = values if isinstance(values, RaggedTensor) else convert_to_tensor(values)
        s = _splits(row_splits, "row_splits")
        n = values.nrows() if isinstance(values, RaggedTensor) else values.shape[0]
        if validate and (s.size == 0 or s[0] != 0 or np.any(np.diff(s) < 0) or s[-1] != int(n)):
            raise ValueError(f"RaggedTensor.from_row_splits: row_splits {s.tolist()} must start "
                             f"at 0, not decrease and end at the number of values ({int(n)})")
        return cls(values, s, _internal=True)

    @classmethod
    def from_row_lengths(cls, values, row_lengths, name=None, validate=True):
        """Row i holds the next row_lengths[i] values."""
        lengths = _splits(row_lengths, "row_lengths")
        return cls.from_row_splits(values, np.concatenate([[0], np.cumsum(lengths)]),
                                   validate=validate)

    @classmethod
    def from_row_starts(cls, values, row_starts, name=None, validate=True):
        n = values.nrows() if isinstance(values, RaggedTensor) else len(np.asarray(values))
        return cls.from_row_splits(values, np.append(_splits(row_starts, "row_starts"), n),
                                   validate=validate)

    @classmethod
    def from_row_limits(cls, values, row_limits, name=None, validate=True):
        return cls.from_row_splits(values, np.concatenate([[0], _splits(row_limits, "row_limits")]),
                                   validate=validate)

    @classmethod
    def from_value_rowids(cls, values, value_rowids, nrows=None, name=None, validate=True):
        """Value j belongs to row value_rowids[j] (sorted); `nrows` adds empty trailing rows."""
        ids = _splits(value_rowids, "value_rowids")
        n = int(nrows) if nrows is not None else (int(ids[-1]) + 1 if ids.size else 0)
        counts = np.bincount(ids, minlength=n) if ids.size else np.zeros(n, np.int64)
        return cls.from_row_lengths(values, counts, validate=validate)

    @classmethod
    def from_uniform_row_length(cls, values, uniform_row_length, nrows=None, validate=True,
                                name=None):
        """Rows of `uniform_row_length` values each (a uniform, not ragged, dim: shown as a
        number in `shape`)."""
        n = values.nrows() if isinstance(values, RaggedTensor) else values.shape[0] \
            if isinstance(values, Tensor) else len(values)
        k = int(uniform_row_length)
        rows = (n // k if k else int(nrows or 0)) if nrows is None else int(nrows)
        out = cls.from_row_splits(values, np.arange(rows + 1) * k, validate=validate)
        out._uniform = k
        return out

    @classmethod
    def from_sparse(cls, st_input, name=None):
        """Rows of a 2-D SparseTensor whose entries are left-aligned in each row."""
        idx = np.asarray(st_input.indices._value)
        nrows = int(np.asarray(st_input.dense_shape._value)[0])
        return cls.from_value_rowids(st_input.values, idx[:, 0], nrows=nrows)

    @classmethod
    def from_nested_row_splits(cls, flat_values, nested_row_splits, name=None, validate=True):
        out = flat_values
        for s in reversed(list(nested_row_splits)):
            out = cls.from_row_splits(out, s, validate=validate)
        return out

    @classmethod
    def from_tensor(cls, tensor, lengths=None, padding=None, ragged_rank=1, name=None):
        """Rows of a dense tensor, cut to `lengths`, or with trailing `padding` removed."""
        a = np.asarray(convert_to_tensor(tensor)._value)
        if lengths is not None:
            lens = _splits(lengths, "lengths")
        elif padding is not None:
            keep = ~np.all((a == padding).reshape(a.shape[0], a.shape[1], -1), axis=2)
            lens = np.array([(np.nonzero(r)[0].max() + 1) if r.any() else 0 for r in keep])
        else:
            lens = np.full(a.shape[0], a.shape[1], np.int64)
        vals = np.concatenate([a[i, :n] for i, n in enumerate(lens)]) if len(lens) else a[:0, 0]
        return cls.from_row_lengths(Tensor._wrap(vals), lens)

    # ---- structure ------------------------------------------------------------
    @property
    def values(self):
        return self._values

    @property
    def row_splits(self):
        return Tensor._wrap(self._row_splits.copy())

    @property
    def flat_values(self):
        v = self._values
        return v.flat_values if isinstance(v, RaggedTensor) else v

    @property
    def nested_row_splits(self):
        inner = self._values.nested_row_splits if isinstance(self._values, RaggedTensor) else ()
        return (self.row_splits,) + tuple(inner)

    @property
    def ragged_rank(self):
        return 1 + (self._values.ragged_rank if isinstance(self._values, RaggedTensor) else 0)

    @property
    def dtype(self):
        return self.flat_values.dtype

    @property
    def shape(self):
        """(nrows, None, ..., inner dense dims): ragged dims are None (uniform ones a number)."""
        inner = list(self._values.shape)[1:]
        return TensorShape([len(self._row_splits) - 1, getattr(self, "_uniform", None)] + inner)

    def bounding_shape(self, axis=None, name=None, out_type=_dt.int64):
        """The smallest dense shape holding every row (int64).

        >>> constant([["Hi"], ["How", "are", "you"]]).bounding_shape().numpy()
        array([2, 3])
        """
        dims = list(np.asarray(self.to_tensor()._value).shape)
        out = np.array(dims, np.int64)
        return Tensor._wrap(out if axis is None else out[axis])

    def to_sparse(self, name=None):
        """A SparseTensor of the same entries (rows left-aligned)."""
        dense_shape = self.bounding_shape().numpy()
        if self.ragged_rank != 1 or self._values.ndim != 1:
            raise NotImplementedError("RaggedTensor.to_sparse: rank 2 only")
        ids = row_splits_to_segment_ids(self._row_splits)
        cols = np.arange(len(ids)) - self._row_splits[ids]
        return SparseTensor(np.stack([ids, cols], 1).astype(np.int64), self._values,
                            dense_shape)

    @property
    def ndim(self):
        return len(self.shape)

    def nrows(self, out_type=_dt.int64, name=None):
        return len(self._row_splits) - 1

    def row_lengths(self, axis=1, name=None):
        """Length of each row (int64)."""
        return Tensor._wrap(np.diff(self._row_splits))

    def row_starts(self, name=None):
        return Tensor._wrap(self._row_splits[:-1].copy())

    def row_limits(self, name=None):
        return Tensor._wrap(self._row_splits[1:].copy())

    def value_rowids(self, name=None):
        return Tensor._wrap(row_splits_to_segment_ids(self._row_splits))

    def with_values(self, new_values):
        return RaggedTensor(new_values, self._row_splits, _internal=True)

    def with_flat_values(self, new_values):
        v = self._values
        return self.with_values(v.with_flat_values(new_values) if isinstance(v, RaggedTensor)
                                else new_values)

    def merge_dims(self, outer_axis, inner_axis):
        """The dims from `outer_axis` to `inner_axis` merged into one (TF's `merge_dims`).

        >>> print(constant([[[1, 2], [3]], [[4]]]).merge_dims(0, 1))
        <tf.RaggedTensor [[1, 2], [3], [4]]>
        >>> print(constant([[[1, 2], [3]], [[4]]]).merge_dims(1, 2))
        <tf.RaggedTensor [[1, 2, 3], [4]]>
        >>> constant([[1, 2], [3]]).merge_dims(0, -1).numpy()
        array([1, 2, 3], dtype=int32)
        """
        outer, inner = (int(a) % self.ndim for a in (outer_axis, inner_axis))
        if outer > inner:
            raise ValueError(f"merge_dims: outer_axis ({outer_axis}) must be <= inner_axis "
                             f"({inner_axis})")
        v = self._values
        if outer == inner:
            return self
        if outer == 0:   # the rows and the ragged dim become the values' rows
            if inner == 1:
                return v
            if isinstance(v, RaggedTensor):
                return v.merge_dims(0, inner - 1)
            return Tensor._wrap(np.asarray(v._value).reshape((-1,) + tuple(v.shape[inner:])))
        if outer >= 2 or not isinstance(v, RaggedTensor):   # inside each value: rows stay
            if isinstance(v, RaggedTensor):
                return self.with_values(v.merge_dims(outer - 1, inner - 1))
            a = np.asarray(v._value)
            k = int(np.prod(a.shape[outer:inner], dtype=np.int64))   # values' dims merged
            return RaggedTensor(Tensor._wrap(a.reshape((-1,) + a.shape[inner:])),
                                np.asarray(self._row_splits) * k, _internal=True)
        if inner - 1 > v.ragged_rank:
            raise NotImplementedError("merge_dims of a RaggedTensor across ragged and uniform "
                                      "inner dims")
        splits, cur = np.asarray(self._row_splits), v   # compose the merged partitions
        for _ in range(inner - 1):
            splits = np.asarray(cur._row_splits)[splits]
            cur = cur.values
        return RaggedTensor(cur, splits, _internal=True)

    # ---- conversion -----------------------------------------------------------
    def _rows(self):
        v, s = self._values, self._row_splits
        return [v[int(s[i]):int(s[i + 1])] for i in range(len(s) - 1)]

    def to_list(self):
        """Nested Python lists of the values."""
        out = []
        for r in self._rows():
            out.append(r.to_list() if isinstance(r, RaggedTensor) else np.asarray(r._value).tolist())
        return out

    def numpy(self):
        """An object array of the rows (numpy arrays / nested object arrays), as TF."""
        rows = self._rows()
        out = np.empty(len(rows), dtype=object)
        for i, r in enumerate(rows):
            out[i] = r.numpy() if isinstance(r, RaggedTensor) else np.asarray(r._value)
        return out

    def to_tensor(self, default_value=None, name=None, shape=None):
        """Dense, rows padded with `default_value` (0 / b'') to the longest row."""
        rows = [r.to_tensor(default_value) if isinstance(r, RaggedTensor) else r
                for r in self._rows()]
        arrs = [np.asarray(r._value) for r in rows]
        inner = list(self._values.shape)[1:] if not isinstance(self._values, RaggedTensor) else None
        if inner is None:   # inner ragged dims: pad every row to the largest inner shape
            inner = list(np.max([a.shape[1:] for a in arrs], axis=0)) if arrs else []
        width = max((a.shape[0] for a in arrs), default=0)
        dims = [len(arrs), width] + [int(d) for d in inner]
        if shape is not None:
            dims = [d if s is None else int(s) for d, s in zip(dims, shape)]
        dt = self.dtype
        fill = (b"" if dt == _dt.string else 0) if default_value is None else default_value
        out = np.full(dims, fill, dtype=dt.np)
        for i, a in enumerate(arrs[:dims[0]]):
            idx = (i,) + tuple(slice(0, min(n, d)) for n, d in zip(a.shape, dims[1:]))
            out[idx] = a[tuple(slice(0, min(n, d)) for n, d in zip(a.shape, dims[1:]))]
        return Tensor._wrap(out)

    def __repr__(self):
        return f"<tf.RaggedTensor {self.to_list()}>"

    # ---- indexing -------------------------------------------------------------
    def __getitem__(self, key):
        """`rt[i]` (a row: Tensor or RaggedTensor), `rt[a:b]` (rows), `rt[:, j]` / `rt[:, a:b]`
        (within every row)."""
        if not isinstance(key, tuple):
            key = (key,)
        first, rest = key[0], key[1:]
        if isinstance(first, (int, np.integer)):
            n = self.nrows()
            i = int(first) + n if first < 0 else int(first)
            if not 0 <= i < n:
                raise IndexError(f"RaggedTensor row {first} out of range for {n} rows")
            row = self._values[int(self._row_splits[i]):int(self._row_splits[i + 1])]
            return _index(row, rest) if rest else row
        if not isinstance(first, slice):
            raise TypeError(f"RaggedTensor indices: int or slice, got {type(first).__name__}")
        idx = range(self.nrows())[first]
        rows = [self[i] for i in idx]
        if rest:
            rows = [_index(r, rest) for r in rows]
        return _from_rows(rows, self._values)

    # ---- operators: elementwise on the flat values ----------------------------
    def _binary(self, other, fn):
        """fn(self, other) elementwise, with TF's ragged broadcasting: a dense operand aligns with
        the trailing dims; where it meets the ragged dim its size must be 1, where it meets the
        rows it has one entry per row (or 1)."""
        if isinstance(other, RaggedTensor):
            if not _same_splits(self, other):
                raise InvalidArgumentError(
                    "RaggedTensor op: the operands' row partitions differ (row splits "
                    f"{[r.numpy().tolist() for r in self.nested_row_splits]} vs "
                    f"{[r.numpy().tolist() for r in other.nested_row_splits]})")
            return self.with_flat_values(fn(self.flat_values, other.flat_values))
        # a Python scalar takes the values' dtype (TF: `rt > 2` on float values)
        o = other if isinstance(other, Tensor) else convert_to_tensor(
            other, self.dtype if isinstance(other, (int, float)) and not isinstance(other, bool)
            and (self.dtype.is_floating or isinstance(other, int)) else None)
        inner = self.ndim - 2            # dims after the ragged one
        if o.ndim <= inner:
            return self.with_values(_apply(self._values, o, fn))
        a = np.asarray(o._value)
        if a.shape[a.ndim - inner - 1] != 1:
            raise InvalidArgumentError(
                f"RaggedTensor op: a dense operand of shape {list(a.shape)} meets the ragged "
                f"dimension with size {a.shape[a.ndim - inner - 1]} (only 1 broadcasts there); "
                f"the ragged operand has shape {self.shape}")
        a = np.squeeze(a, a.ndim - inner - 1)
        if a.ndim > inner:               # it reaches the rows: one entry per row, or 1
            if a.shape[0] not in (1, self.nrows()):
                raise InvalidArgumentError(
                    f"RaggedTensor op: {a.shape[0]} entries for {self.nrows()} rows")
            a = a[0] if a.shape[0] == 1 else a[row_splits_to_segment_ids(self._row_splits)]
            if a.ndim <= inner:
                a = a[None]             # per value: aligned with the values' leading dim
        return self.with_values(_apply(self._values, Tensor._wrap(a), fn))

    def __add__(self, o):
        return self._binary(o, lambda a, b: a + b)

    def __radd__(self, o):
        return self._binary(o, lambda a, b: b + a)

    def __sub__(self, o):
        return self._binary(o, lambda a, b: a - b)

    def __rsub__(self, o):
        return self._binary(o, lambda a, b: b - a)

    def __mul__(self, o):
        return self._binary(o, lambda a, b: a * b)

    def __rmul__(self, o):
        return self._binary(o, lambda a, b: b * a)

    def __truediv__(self, o):
        return self._binary(o, lambda a, b: a / b)

    def __neg__(self):
        return self.with_flat_values(-self.flat_values)

    def __eq__(self, o):
        return self._binary(o, lambda a, b: a == b)

    def __ne__(self, o):
        return self._binary(o, lambda a, b: a != b)

    def __lt__(self, o):
        return self._binary(o, lambda a, b: a < b)

    def __gt__(self, o):
        return self._binary(o, lambda a, b: a > b)

    __hash__ = object.__hash__


def _index(t, key):
    """t[key] for a row (a RaggedTensor, or a Tensor: strings too, whose scalars stay 0-d
    arrays)."""
    if isinstance(t, RaggedTensor) or np.asarray(t._value).dtype != object:
        return t[key]
    return Tensor._wrap(np.asarray(np.asarray(t._value)[key], dtype=object))


def _apply(values, o, fn):
    """fn on a RaggedTensor's `values` (a Tensor, or a RaggedTensor: broadcast again)."""
    return values._binary(o, fn) if isinstance(values, RaggedTensor) else fn(values, o)


def _same_splits(a, b):
    if not np.array_equal(a._row_splits, b._row_splits):
        return False
    av, bv = a._values, b._values
    return (isinstance(av, RaggedTensor) == isinstance(bv, RaggedTensor)
            and (not isinstance(av, RaggedTensor) or _same_splits(av, bv)))


def row_splits_to_segment_ids(splits):
    """The row of every value: row_splits [0, 2, 2, 3] -> [0, 0, 2]."""
    splits = np.asarray(splits)
    return np.repeat(np.arange(len(splits) - 1), np.diff(splits))


def _concat_values(parts, like):
    if parts and isinstance(parts[0], RaggedTensor):
        return concat(parts, 0)
    if not parts:
        a = like.flat_values if isinstance(like, RaggedTensor) else like
        return Tensor._wrap(np.asarray(a._value)[:0])
    return Tensor._wrap(np.concatenate([np.asarray(p._value) for p in parts]))


def _from_rows(rows, like):
    """A RaggedTensor of `rows` (Tensors or RaggedTensors; `like` gives the dtype when there
    are none)."""
    lengths = [r.nrows() if isinstance(r, RaggedTensor) else r.shape[0] for r in rows]
    return RaggedTensor.from_row_lengths(_concat_values(rows, like), lengths)


def constant(pylist, dtype=None, ragged_rank=None, inner_shape=None, name=None,
             row_splits_dtype=_dt.int64):
    """A RaggedTensor from nested Python lists (rows of any length; strings allowed).

    >>> print(constant([["So", "long"], ["thanks"]]))
    <tf.RaggedTensor [[b'So', b'long'], [b'thanks']]>
    """
    def depth(x):
        return 1 + max((depth(v) for v in x), default=0) if isinstance(x, (list, tuple)) else 0

    d = depth(pylist)
    rr = (d - 1) if ragged_rank is None else int(ragged_rank)
    if rr < 1:
        raise ValueError("tf.ragged.constant: needs a nested list of rank >= 2")

    if rr == 1:
        flat = [v for r in pylist for v in r]
        vals = convert_to_tensor(flat, dtype) if flat else convert_to_tensor(
            np.zeros((0,), (_dt.as_dtype(dtype) if dtype else _dt.float32).np))
        return RaggedTensor.from_row_lengths(vals, [len(r) for r in pylist])
    inner = constant([v for r in pylist for v in r], dtype, rr - 1)
    return RaggedTensor.from_row_lengths(inner, [len(r) for r in pylist])


def map_flat_values(op, *args, **kwargs):
    """`op` applied to the flat values of the RaggedTensor arguments (which must share their
    row partitions); the result has those rows.

    >>> print(map_flat_values(lambda x: x * 2 + 1, constant([[3, 1], [4]])))
    <tf.RaggedTensor [[7, 3], [9]]>
    """
    rts = [a for a in list(args) + list(kwargs.values()) if isinstance(a, RaggedTensor)]
    if not rts:
        raise ValueError("map_flat_values: no RaggedTensor among the arguments")
    for r in rts[1:]:
        if not _same_splits(rts[0], r):
            raise ValueError("map_flat_values: the RaggedTensors' row partitions differ")

    def flat(a):
        return a.flat_values if isinstance(a, RaggedTensor) else a
    return rts[0].with_flat_values(op(*[flat(a) for a in args],
                                      **{k: flat(v) for k, v in kwargs.items()}))


def concat(values, axis=0, name="concat"):
    """RaggedTensors (or dense rows) joined: axis 0 stacks their rows, axis 1 joins row i of
    each into row i.

    >>> print(concat([constant([[1, 2], [3]]), [[5, 3]]], axis=0))
    <tf.RaggedTensor [[1, 2], [3], [5, 3]]>
    """
    rts = [v if isinstance(v, RaggedTensor) else RaggedTensor.from_tensor(v) for v in values]
    if axis == 0:
        return RaggedTensor.from_row_lengths(_concat_values([r._values for r in rts], rts[0]._values),
                                             np.concatenate([np.diff(r._row_splits) for r in rts]))
    if axis in (1, -1) and all(r.ragged_rank == 1 for r in rts):
        n = rts[0].nrows()
        if any(r.nrows() != n for r in rts):
            raise ValueError(f"tf.concat(axis=1) of RaggedTensors: row counts differ "
                             f"{[r.nrows() for r in rts]}")
        rows = [_concat_values([r[i] for r in rts], rts[0]._values) for i in range(n)]
        return _from_rows(rows, rts[0]._values)
    raise NotImplementedError(f"tf.concat of RaggedTensors along axis {axis} (0 and 1 only)")


def stack(values, axis=0, name=None):
    """`tf.ragged.stack` along axis 0: each input becomes one row (of rows).

    >>> print(stack([[1, 2], [3]]))
    <tf.RaggedTensor [[1, 2], [3]]>
    """
    if axis != 0:
        raise NotImplementedError("tf.ragged.stack: axis 0 only")
    rows = [v if isinstance(v, (RaggedTensor, Tensor)) else convert_to_tensor(v) for v in values]
    return _from_rows(rows, rows[0])


def reverse(tensor, axis, name=None):
    """`tf.reverse` of a RaggedTensor: axis 0 reverses the rows, axis 1 each row.

    >>> print(reverse(constant([[1, 2], [3]]), [1]))
    <tf.RaggedTensor [[2, 1], [3]]>
    """
    rt, out = tensor, tensor
    for ax in np.atleast_1d(axis):
        ax = int(ax) % rt.ndim
        rows = out._rows()
        if ax == 0:
            out = _from_rows(rows[::-1], out._values)
        elif ax == 1 and out.ragged_rank == 1:
            out = _from_rows([r[::-1] for r in rows], out._values)
        else:
            raise NotImplementedError(f"tf.reverse of a RaggedTensor along axis {ax}")
    return out


def gather(params, indices, validate_indices=None, axis=None, batch_dims=0, name=None):
    """`tf.gather` of a RaggedTensor's rows (axis 0).

    >>> print(gather(constant([[1, 2], [], [3]]), [2, 0]))
    <tf.RaggedTensor [[3], [1, 2]]>
    """
    if axis not in (None, 0) or batch_dims:
        raise NotImplementedError("tf.gather of a RaggedTensor: along axis 0 only")
    rows = params._rows()
    idx = np.asarray(indices._value if isinstance(indices, Tensor) else indices)
    bad = idx[(idx < 0) | (idx >= len(rows))]
    if bad.size:
        raise InvalidArgumentError(f"gather: index {int(bad.ravel()[0])} is not in [0, "
                                   f"{len(rows)}) (the rows of the RaggedTensor)")
    return _from_rows([rows[int(i)] for i in idx.ravel()], params._values)


def boolean_mask(data, mask, name=None):
    """`tf.ragged.boolean_mask`: the entries of `data` where `mask` is True, row by row (a
    RaggedTensor `mask` with the same rows as `data`, or a 1-D mask over the rows).

    >>> d = constant([[3, 1, 4], [], [5, 9]])
    >>> print(boolean_mask(d, d > 2))
    <tf.RaggedTensor [[3, 4], [], [5, 9]]>
    """
    rows = data._rows()
    if isinstance(mask, RaggedTensor):
        if not _same_splits(data, mask):
            raise InvalidArgumentError("ragged.boolean_mask: mask and data have different rows")
        return _from_rows([Tensor._wrap(np.asarray(r._value)[np.asarray(m._value, bool)])
                           for r, m in zip(rows, mask._rows())], data._values)
    keep = np.asarray(mask._value if isinstance(mask, Tensor) else mask, bool)
    return _from_rows([r for r, k in zip(rows, keep) if k], data._values)


def tile(input, multiples, name=None):   # noqa: A002 (TF's argument name)
    """`tf.tile` of a rank-2 RaggedTensor: rows repeated multiples[0] times, each row's values
    multiples[1] times.

    >>> print(tile(constant([[3, 1], [], [6]]), [1, 2]))
    <tf.RaggedTensor [[3, 1, 3, 1], [], [6, 6]]>
    """
    m0, m1 = (int(m) for m in np.asarray(convert_to_tensor(multiples)._value))
    if input.ragged_rank != 1:
        raise NotImplementedError("tf.tile of a RaggedTensor: rank 2 only")
    rows = [Tensor._wrap(np.tile(np.asarray(r._value), m1)) for r in input._rows()] * m0
    return _from_rows(rows, input._values)


def map_fn(fn, elems, dtype=None, parallel_iterations=None, back_prop=True,
           swap_memory=False, infer_shape=True, name=None, fn_output_signature=None):
    """`tf.map_fn` over the rows of a RaggedTensor: rows give a RaggedTensor, scalars a dense
    vector.

    >>> print(map_fn(lambda r: r * r, constant([[3, 1], [], [6]])))
    <tf.RaggedTensor [[9, 1], [], [36]]>
    """
    outs = [fn(r) for r in elems._rows()]
    if outs and all(isinstance(o, Tensor) and o.ndim == 0 for o in outs):
        return Tensor._wrap(np.stack([np.asarray(o._value) for o in outs]))
    return _from_rows(outs, elems._values)


def ragged_range(starts, limits=None, deltas=1, dtype=None, name=None):
    """Row i is range(starts[i], limits[i], deltas[i]) (`tf.ragged.range`).

    >>> print(ragged_range([3, 5, 2]))
    <tf.RaggedTensor [[0, 1, 2], [0, 1, 2, 3, 4], [0, 1]]>
    """
    if limits is None:
        starts, limits = 0, starts
    s, l_, d = np.broadcast_arrays(np.asarray(starts), np.asarray(limits), np.asarray(deltas))
    rows = [np.arange(a, b, c) for a, b, c in zip(s.ravel(), l_.ravel(), d.ravel())]
    vals = np.concatenate(rows) if rows else np.zeros(0, np.int64)
    t = convert_to_tensor(vals.astype(np.int32) if dtype is None and vals.dtype.kind == "i"
                          else vals, dtype)
    return RaggedTensor.from_row_lengths(t, [len(r) for r in rows])


_REDUCERS = {"reduce_sum": (np.sum, 0), "reduce_mean": (np.mean, np.nan),
             "reduce_max": (np.max, None), "reduce_min": (np.min, None),
             "reduce_prod": (np.prod, 1)}


def reduce(kind):
    """`tf.reduce_sum`/`mean`/`max`/`min`/`prod` of a rank-2 RaggedTensor: axis 1 (per row;
    an empty row gives 0 / nan / the dtype's lowest or highest value / 1, as TF), axis 0
    (per column, over the rows long enough) or None (all values)."""
    fn, empty = _REDUCERS[kind]

    def reducer(input_tensor, axis=None, keepdims=False, name=None):
        rt = input_tensor
        if rt.ragged_rank != 1 or rt._values.ndim != 1:
            raise NotImplementedError(f"tf.{kind} of a RaggedTensor: rank 2 only")
        dt = rt.dtype
        flat = np.asarray(rt.flat_values._value)
        out_dt = np.float64 if kind == "reduce_mean" and dt.is_integer else dt.np
        if axis is None:
            return Tensor._wrap(np.asarray(fn(flat), out_dt)[()])
        axis = axis % 2
        rows = [flat[a:b] for a, b in zip(rt._row_splits[:-1], rt._row_splits[1:])]
        if axis == 0:
            width = max((len(r) for r in rows), default=0)
            cols = [[r[j] for r in rows if len(r) > j] for j in range(width)]
            out = np.array([fn(c) for c in cols], out_dt)
        else:
            lo = empty
            if empty is None:
                info = np.finfo(dt.np) if dt.is_floating else np.iinfo(dt.np)
                lo = info.min if kind == "reduce_max" else info.max
            out = np.array([fn(r) if len(r) else lo for r in rows], out_dt)
        return Tensor._wrap(np.expand_dims(out, axis) if keepdims else out)
    reducer.__name__ = kind
    return reducer


def dispatch(dense_fn, ragged_fn):
    """`dense_fn`, except that a call with a RaggedTensor among its first arguments (or in a
    list given first, as for `tf.concat`) goes to `ragged_fn`."""
    def wrapper(*args, **kwargs):
        first = args[:2] + tuple(kwargs.values())
        seq = args[0] if args and isinstance(args[0], (list, tuple)) else ()
        if any(isinstance(a, RaggedTensor) for a in tuple(first) + tuple(seq)):
            return ragged_fn(*args, **kwargs)
        return dense_fn(*args, **kwargs)
    # name and doc of the dense op (not functools.wraps: its __wrapped__ would make source
    # look-ups, e.g. AutoGraph's, find the dense op's code)
    wrapper.__name__ = wrapper.__qualname__ = getattr(dense_fn, "__name__", "op")
    wrapper.__doc__ = dense_fn.__doc__
    return wrapper


def elementwise(dense_fn, binary=True):
    """An elementwise op that also takes RaggedTensors (applied to their flat values; a binary
    op's dense operand broadcasts as in `RaggedTensor` arithmetic)."""
    def ragged(*args, **kwargs):
        args = list(args)
        rts = [a for a in args if isinstance(a, RaggedTensor)]
        if binary and len(args) == 2 and not all(isinstance(a, RaggedTensor) for a in args):
            rt = rts[0]
            return rt._binary(args[1] if args[0] is rt else args[0],
                              (lambda a, b: dense_fn(a, b, **kwargs)) if args[0] is rt
                              else (lambda a, b: dense_fn(b, a, **kwargs)))
        return map_flat_values(dense_fn, *args, **kwargs)
    return dispatch(dense_fn, ragged)
