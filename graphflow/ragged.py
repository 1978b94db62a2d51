"""`tf.RaggedTensor` and `tf.ragged`: tensors whose rows have different lengths.

A RaggedTensor is `values` (a Tensor, or a RaggedTensor for more ragged dims) cut into rows by
`row_splits` (int64, `row_splits[i]:row_splits[i+1]` is row i). Elementwise ops apply to the
flat values (`tf.ragged.map_flat_values`, operators, and `tf.add`/`tf.multiply`/... on a
RaggedTensor); `tf.concat` (axis 0 or 1) and `tf.reduce_sum/mean/max/min` over the ragged axis
take RaggedTensors (graphflow's package wraps them with `dispatch`).

The row partition is static: `row_splits` are numpy arrays, and every op moves values with
graph ops (gather, scatter_nd, segment reductions) at indices computed from them. So numeric
ragged ops are differentiable, and a RaggedTensor passes through `@function` as its flat values
(a traced tensor) plus its row splits (part of the trace key, like a Python argument: a new
partition traces again).

>>> import graphflow as tf
>>> digits = tf.ragged.constant([[3, 1, 4, 1], [], [5, 9, 2], [6], []])
>>> print(digits + 3)
<tf.RaggedTensor [[6, 4, 7, 4], [], [8, 12, 5], [9], []]>
>>> digits.shape, digits[0].numpy()
(TensorShape([5, None]), array([3, 1, 4, 1], dtype=int32))
"""
import numpy as np

from . import dtypes as _dt
from .errors import InvalidArgumentError, user_source
from .nest import Components, Static
from .ops import array_ops as _a, math_ops as _m, segment_ops as _seg, shape_ops as _s
from .sparse import SparseTensor
from .tensor import Tensor, TensorShape, convert_to_tensor

__all__ = ["RaggedTensor", "constant", "map_flat_values", "dispatch", "concat", "reduce",
           "row_splits_to_segment_ids", "stack", "ragged_range", "elementwise", "reverse",
           "tile", "map_fn"]


def _known(x, what):
    """The numpy value of `x`: row partitions are computed from values known in Python."""
    v = _seg.known_value(x) if isinstance(x, Tensor) else x
    if v is None:
        raise TypeError(f"{what}, at {user_source()}: needs a value known while tracing (a "
                        "RaggedTensor's row partition is static in graphflow: pass the "
                        "RaggedTensor itself as a @function argument, or build it from "
                        "Python/numpy values)")
    return np.asarray(v)


def _splits(x, what):
    a = _known(x, what).astype(np.int64)
    if a.ndim != 1:
        raise ValueError(f"RaggedTensor: {what} must be 1-D, got shape {list(a.shape)}")
    return a


def _repr_formatter(x):
    """TF's element formatter of a RaggedTensor's repr: arrays with ", " separators."""
    if isinstance(x, np.ndarray):
        return np.array2string(x, separator=", ") if x.size else repr(x.tolist())
    return str(x)


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
        n = values._nrows() if isinstance(values, RaggedTensor) else values.shape[0]
        n = n if isinstance(n, (int, np.integer)) else s[-1] if s.size else 0   # unknown dim
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
        n = values._nrows() if isinstance(values, RaggedTensor) else len(np.asarray(values))
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
        n = values._nrows() if isinstance(values, RaggedTensor) else values.shape[0] \
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
        t = convert_to_tensor(tensor)
        n, w = (_static_dim(d, "RaggedTensor.from_tensor") for d in t.shape[:2])
        if lengths is not None:
            lens = _splits(lengths, "RaggedTensor.from_tensor(lengths=...)")
        elif padding is not None:
            a = _known(t, "RaggedTensor.from_tensor(padding=...)")
            keep = ~np.all((a == padding).reshape(n, w, -1), axis=2)
            lens = np.array([(np.nonzero(r)[0].max() + 1) if r.any() else 0 for r in keep],
                            np.int64)
        else:
            lens = np.full(n, w, np.int64)
        flat = _s.reshape(t, [n * w] + [_static_dim(d, "RaggedTensor.from_tensor")
                                        for d in t.shape[2:]])
        return cls.from_row_lengths(_take(flat, _ranges(np.arange(n) * w, lens)), lens)

    # ---- structure ------------------------------------------------------------
    def _gf_components(self):
        """The flat values (data) and the row splits (static structure): how `@function` and
        `nest.flatten(expand_composites=True)` see a RaggedTensor."""
        splits = [Static(np.asarray(s._value)) for s in self.nested_row_splits]

        def build(parts):
            if not isinstance(parts[0], Tensor):   # e.g. a traced signature's TensorSpec
                return Components("RaggedTensor", parts, build)
            return RaggedTensor.from_nested_row_splits(parts[0], [p.value for p in parts[1:]],
                                                       validate=False)
        return [self.flat_values] + splits, build

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
        out = np.array(self._bounding_dims(), np.int64)
        return Tensor._wrap(out if axis is None else out[axis])

    def _bounding_dims(self):
        """The dense shape `to_tensor` pads to, from the partition (static)."""
        lens = _lengths(self)
        v = self._values
        inner = v._bounding_dims()[1:] if isinstance(v, RaggedTensor) else \
            [_static_dim(d, "RaggedTensor.to_tensor") for d in v.shape[1:]]
        return [len(lens), int(lens.max()) if lens.size else 0] + list(inner)

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
        """The number of rows, a scalar tensor (int64 unless `out_type` says otherwise).

        >>> constant([[1], [], [2, 3]]).nrows().numpy()
        np.int64(3)
        """
        return convert_to_tensor(np.asarray(self._nrows(), _dt.as_dtype(out_type).np))

    def _nrows(self):
        return len(self._row_splits) - 1

    def row_lengths(self, axis=1, name=None):
        """Length of each row (int64); `axis=2` gives each row's inner row lengths (ragged).

        >>> constant([[[1, 2], [3]], [[4]]]).row_lengths(axis=2).to_list()
        [[2, 1], [1]]
        """
        axis = int(axis) % self.ndim
        if axis == 1:
            return Tensor._wrap(_lengths(self))
        if axis == 0 or not isinstance(self._values, RaggedTensor):
            raise ValueError(f"RaggedTensor.row_lengths: axis {axis} is not a ragged dim of "
                             f"a tensor of shape {self.shape}")
        return self.with_values(self._values.row_lengths(axis - 1))

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
            return _s.reshape(v, [-1] + list(v.shape[inner:]))
        if outer >= 2 or not isinstance(v, RaggedTensor):   # inside each value: rows stay
            if isinstance(v, RaggedTensor):
                return self.with_values(v.merge_dims(outer - 1, inner - 1))
            dims = [int(d) for d in v.shape]
            k = int(np.prod(dims[outer:inner], dtype=np.int64))   # values' dims merged
            return RaggedTensor(_s.reshape(v, [-1] + dims[inner:]),
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
        """The rows as numpy, as TF: an object array of row arrays when the rows' lengths
        differ, one array when they are all equal.

        >>> constant([[1, 2], [3]]).numpy()
        array([array([1, 2], dtype=int32), array([3], dtype=int32)], dtype=object)
        >>> constant([[1, 2], [3, 4]]).numpy().shape
        (2, 2)
        """
        v = self._values
        values = v.numpy() if isinstance(v, RaggedTensor) else np.asarray(v._value)
        s = [int(i) for i in np.asarray(self._row_splits)]
        rows = [values[s[i]:s[i + 1]] for i in range(len(s) - 1)]
        if not rows:
            return np.zeros((0, 0) + values.shape[1:], dtype=values.dtype)
        if any(len(r) != len(rows[0]) for r in rows):
            out = np.empty(len(rows), dtype=object)
            for i, r in enumerate(rows):
                out[i] = r
            return out
        return np.array(rows)

    def to_tensor(self, default_value=None, name=None, shape=None):
        """Dense, rows padded with `default_value` (0 / b'') to the longest row (one gather
        from the values and a padding row: it traces and differentiates).

        >>> constant([[1, 2], [], [3]]).to_tensor(default_value=9).numpy().tolist()
        [[1, 2], [9, 9], [3, 9]]
        """
        v = self._values
        if isinstance(v, RaggedTensor):   # inner ragged dims first: every row to the largest
            v = v.to_tensor(default_value)
        dims = self._bounding_dims()
        if shape is not None:
            dims = [d if s_ is None else int(s_) for d, s_ in zip(dims, list(shape))]
        inner = [int(d) for d in v.shape[1:]]
        if inner != dims[2:]:   # inner dims given by `shape`: pad or cut each value
            v = _a.pad(v[(slice(None),) + tuple(slice(0, d) for d in dims[2:])],
                       [[0, 0]] + [[0, max(d - i, 0)] for d, i in zip(dims[2:], inner)],
                       constant_values=_fill(self.dtype, default_value))
        n_vals = int(v.shape[0])
        # index of every dense row into [values; padding row]
        src = np.full(dims[0] * dims[1], n_vals, np.int64)
        rows = min(dims[0], self._nrows())
        kept = np.minimum(_lengths(self)[:rows], dims[1])   # each row's values, cut to width
        src[_ranges(np.arange(rows) * dims[1], kept)] = _ranges(self._row_splits[:rows], kept)
        pad = _s.broadcast_to(_s.reshape(convert_to_tensor(
            _fill(self.dtype, default_value), self.dtype), [1] * (1 + len(dims) - 2)),
            [1] + dims[2:])
        out = _s.gather(_s.concat([v, pad], 0), src)
        return _s.reshape(out, dims)

    def __repr__(self):
        # TF's: numpy's array2string with ", " separators, wrapped at numpy's line width
        with np.printoptions(formatter={"all": _repr_formatter}):
            return f"<tf.RaggedTensor {_repr_formatter(self.numpy())}>"

    # ---- indexing -------------------------------------------------------------
    def __getitem__(self, key):
        """`rt[i]` (a row: Tensor or RaggedTensor), `rt[a:b]` (rows), `rt[:, j]` / `rt[:, a:b]`
        (within every row)."""
        if not isinstance(key, tuple):
            key = (key,)
        first, rest = key[0], key[1:]
        if isinstance(first, (int, np.integer)):
            n = self._nrows()
            i = int(first) + n if first < 0 else int(first)
            if not 0 <= i < n:
                raise IndexError(f"RaggedTensor row {first} out of range for {n} rows")
            row = self._values[int(self._row_splits[i]):int(self._row_splits[i + 1])]
            return _index(row, rest) if rest else row
        if not isinstance(first, slice):
            raise TypeError(f"RaggedTensor indices: int or slice, got {type(first).__name__}")
        idx = range(self._nrows())[first]
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
            if not same_row_partition(self, other):
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
        shape = list(o.shape)
        if shape[o.ndim - inner - 1] != 1:
            raise InvalidArgumentError(
                f"RaggedTensor op: a dense operand of shape {shape} meets the ragged "
                f"dimension with size {shape[o.ndim - inner - 1]} (only 1 broadcasts there); "
                f"the ragged operand has shape {self.shape}")
        a = _s.squeeze(o, o.ndim - inner - 1)
        if a.ndim > inner:               # it reaches the rows: one entry per row, or 1
            if a.shape[0] not in (1, self._nrows()):
                raise InvalidArgumentError(
                    f"RaggedTensor op: {a.shape[0]} entries for {self._nrows()} rows")
            a = a[0] if a.shape[0] == 1 else _take(a, row_splits_to_segment_ids(self._row_splits))
            if a.ndim <= inner:
                a = _s.expand_dims(a, 0)   # per value: aligned with the values' leading dim
        return self.with_values(_apply(self._values, a, fn))

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


class DynamicRaggedShape:
    """The shape of a RaggedTensor, as `tf.shape(rt)` gives it: uniform dims are ints, ragged
    dims a length per row.

    >>> s = DynamicRaggedShape(constant([[3, 1, 4], [], [5]]))
    >>> s, int(s[0]), s.rank
    (<DynamicRaggedShape lengths=[3, (3, 0, 1)] num_row_partitions=1>, 3, 2)
    """

    def __init__(self, rt):
        self._lengths = [rt._nrows()]
        v = rt
        while isinstance(v, RaggedTensor):
            u = getattr(v, "_uniform", None)
            self._lengths.append(u if u is not None else tuple(int(n) for n in _lengths(v)))
            v = v._values
        self._lengths += [int(d) for d in v.shape[1:]]
        self.num_row_partitions = rt.ragged_rank
        self.dtype = _dt.int64

    @property
    def rank(self):
        return len(self._lengths)

    def static_lengths(self, ragged_lengths=True):
        """Each dim's length: an int, or (with ragged_lengths) a tuple of row lengths."""
        return [d if isinstance(d, int) or ragged_lengths else None for d in self._lengths]

    def __getitem__(self, i):
        d = self._lengths[i]
        if not isinstance(d, int):
            raise ValueError(f"Index {i} is not uniform (a ragged dim of {self!r})")
        return Tensor._wrap(np.int64(d))

    def __len__(self):
        return self.rank

    def __repr__(self):
        return (f"<DynamicRaggedShape lengths={list(self._lengths)} "
                f"num_row_partitions={self.num_row_partitions}>")


def shape(input, out_type=_dt.int32, name=None):   # noqa: A002 (TF's argument name)
    """`tf.shape` of a RaggedTensor: its DynamicRaggedShape."""
    return DynamicRaggedShape(input)


def size(input, out_type=_dt.int32, name=None):   # noqa: A002 (TF's argument name)
    """`tf.size` of a RaggedTensor: the number of values (TF's count of its flat values)."""
    fv = input.flat_values
    return Tensor._wrap(np.asarray(int(np.prod([int(d) for d in fv.shape])),
                                   _dt.as_dtype(out_type).np))


def rank(input, name=None):   # noqa: A002 (TF's argument name)
    return Tensor._wrap(np.int32(input.ndim))


def like(dense_fn):
    """`tf.ones_like`/`zeros_like`/... of a RaggedTensor: the same rows, dense_fn of the values."""
    def ragged(input, *args, **kwargs):   # noqa: A002 (TF's argument name)
        return input.with_flat_values(dense_fn(input.flat_values, *args, **kwargs))
    return dispatch(dense_fn, ragged)


def _static_dim(d, what):
    if not isinstance(d, (int, np.integer)):
        raise TypeError(f"{what}: needs static dims, got {d!r} (a dim unknown while tracing)")
    return int(d)


def _fill(dtype, default_value):
    if default_value is None:
        return b"" if dtype == _dt.string else 0
    return default_value


def _ranges(starts, lens):
    """The concatenated ranges [starts[i], starts[i] + lens[i]) (int64)."""
    lens = np.asarray(lens, np.int64)
    offs = np.cumsum(lens) - lens
    return np.repeat(np.asarray(starts, np.int64) - offs, lens) + np.arange(int(lens.sum()))


def _take(values, idx):
    """values[idx] along the first axis for static `idx`: a gather (it traces and
    differentiates); a RaggedTensor's rows come with their values."""
    idx = np.asarray(idx, np.int64).reshape(-1)
    if isinstance(values, RaggedTensor):
        s = values._row_splits
        lens = (s[1:] - s[:-1])[idx]
        return RaggedTensor.from_row_lengths(_take(values._values, _ranges(s[:-1][idx], lens)),
                                             lens, validate=False)
    return _s.gather(values, idx)


def _lengths(rt):
    return np.diff(rt._row_splits)


def _apply(values, o, fn):
    """fn on a RaggedTensor's `values` (a Tensor, or a RaggedTensor: broadcast again)."""
    return values._binary(o, fn) if isinstance(values, RaggedTensor) else fn(values, o)


def same_row_partition(a, b):
    """True if RaggedTensors `a` and `b` have the same row splits at every ragged level."""
    if not np.array_equal(a._row_splits, b._row_splits):
        return False
    av, bv = a._values, b._values
    return (isinstance(av, RaggedTensor) == isinstance(bv, RaggedTensor)
            and (not isinstance(av, RaggedTensor) or same_row_partition(av, bv)))


def row_splits_to_segment_ids(splits):
    """The row of every value: row_splits [0, 2, 2, 3] -> [0, 0, 2]."""
    splits = np.asarray(splits)
    return np.repeat(np.arange(len(splits) - 1), np.diff(splits))


def segment_ids_of_splits(splits, name=None, out_type=None):
    """`tf.ragged.row_splits_to_segment_ids`: the row of every value, as an int64 tensor.

    >>> segment_ids_of_splits([0, 2, 2, 3]).numpy()
    array([0, 0, 2])
    """
    return Tensor._wrap(row_splits_to_segment_ids(_splits(splits, "row_splits_to_segment_ids")))


def segment_ids_to_row_splits(segment_ids, num_segments=None, out_type=None, name=None):
    """`tf.ragged.segment_ids_to_row_splits`: sorted row ids of the values -> row splits.

    >>> segment_ids_to_row_splits([0, 0, 2]).numpy()
    array([0, 2, 2, 3])
    """
    ids = _splits(segment_ids, "segment_ids_to_row_splits")
    n = int(num_segments) if num_segments is not None else (int(ids[-1]) + 1 if ids.size else 0)
    return Tensor._wrap(np.concatenate([[0], np.cumsum(np.bincount(ids, minlength=n))])
                        .astype(np.int64))


def _concat_values(parts, like):
    if parts and isinstance(parts[0], RaggedTensor):
        return concat(parts, 0)
    if not parts:
        return _take(like.flat_values if isinstance(like, RaggedTensor) else like, [])
    return _s.concat(list(parts), 0)


def _from_rows(rows, like):
    """A RaggedTensor of `rows` (Tensors or RaggedTensors; `like` gives the dtype when there
    are none)."""
    lengths = [r._nrows() if isinstance(r, RaggedTensor) else r.shape[0] for r in rows]
    return RaggedTensor.from_row_lengths(_concat_values(rows, like), lengths)


def constant(pylist, dtype=None, ragged_rank=None, inner_shape=None, name=None,
             row_splits_dtype=_dt.int64):
    """A RaggedTensor from nested Python lists (rows of any length; strings allowed).

    >>> print(constant([["So", "long"], ["thanks"]]))
    <tf.RaggedTensor [[b'So', b'long'], [b'thanks']]>
    """
    def depth(x):
        return 1 + max((depth(v) for v in x), default=0) if isinstance(x, (list, tuple)) else 0

    def scalar_depths(x, at=0):
        if isinstance(x, (list, tuple)):
            return set().union(*(scalar_depths(v, at + 1) for v in x)) if x else set()
        return {at}

    if len(scalar_depths(pylist)) > 1:   # TF's check, before any conversion
        raise ValueError("all scalar values must have the same nesting depth")
    d = depth(pylist)
    rr = (d - 1) if ragged_rank is None else int(ragged_rank)
    if rr < 1:
        raise ValueError("tf.ragged.constant: needs a nested list of rank >= 2")

    if rr == 1:
        flat = [v for r in pylist for v in r]
        if any(isinstance(v, (str, bytes)) for v in flat) and \
                not all(isinstance(v, (str, bytes)) for v in flat):
            raise ValueError(f"tf.ragged.constant: mixed strings and non-strings in {pylist!r}")
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
        if not same_row_partition(rts[0], r):
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
                                             np.concatenate([_lengths(r) for r in rts]))
    if axis in (1, -1) and all(r.ragged_rank == 1 for r in rts):
        n = rts[0]._nrows()
        if any(r._nrows() != n for r in rts):
            raise ValueError(f"tf.concat(axis=1) of RaggedTensors: row counts differ "
                             f"{[r._nrows() for r in rts]}")
        # row i of the result: row i of every input, read from their values joined
        offs = np.cumsum([0] + [int(r._row_splits[-1]) for r in rts])
        starts = np.stack([r._row_splits[:-1] + o for r, o in zip(rts, offs)], 1).reshape(-1)
        lens = np.stack([_lengths(r) for r in rts], 1)
        vals = _concat_values([r._values for r in rts], rts[0]._values)
        return RaggedTensor.from_row_lengths(_take(vals, _ranges(starts, lens.reshape(-1))),
                                             lens.sum(1))
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
    out = tensor
    for ax in np.atleast_1d(axis):
        ax = int(ax) % tensor.ndim
        if ax == 0:
            out = _take(out, np.arange(out._nrows())[::-1])
        elif ax == 1:   # each row's entries in reverse order
            s = out._row_splits
            ids = row_splits_to_segment_ids(s)
            out = out.with_values(_take(out._values, s[ids] + s[ids + 1] - 1
                                        - np.arange(len(ids))))
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
    n = params._nrows()
    idx = _known(indices, "tf.gather of a RaggedTensor (indices)")
    bad = idx[(idx < 0) | (idx >= n)]
    if bad.size:
        raise InvalidArgumentError(f"gather: index {int(bad.ravel()[0])} is not in [0, "
                                   f"{n}) (the rows of the RaggedTensor)")
    return _take(params, idx)


def expand_dims(input, axis, name=None):   # noqa: A002 (TF's argument name)
    """`tf.expand_dims` of a RaggedTensor, as TF's ragged dispatch: a uniform dim of 1 (or of
    nrows at axis 0) added; inner axes go to the values.

    >>> expand_dims(constant([[1, 2], [3]]), 1).shape
    TensorShape([2, 1, None])
    """
    rank = len(input.shape) + 1
    ax = int(axis) + rank if int(axis) < 0 else int(axis)
    if not 0 <= ax < rank:
        raise ValueError(f"axis={axis} out of bounds: expected {-rank}<=axis<{rank}")
    if ax == 0:
        return RaggedTensor.from_uniform_row_length(input, input._nrows(), nrows=1)
    if ax == 1:
        return RaggedTensor.from_uniform_row_length(input, 1, nrows=input._nrows())
    v = input.values
    return input.with_values(expand_dims(v, ax - 1) if isinstance(v, RaggedTensor)
                             else _s.expand_dims(v, ax - 1))


def gather_nd(params, indices, batch_dims=0, name=None):
    """`tf.gather_nd` of a RaggedTensor: each index row picks an element (a full index) or a
    sub-tensor (a partial one) by indexing dim by dim, as TF's ragged gather_nd.

    >>> gather_nd(constant([[1, 2, 3], [], [4, 5]]), [[0, 1], [2, 0]]).numpy().tolist()
    [2, 4]
    """
    if batch_dims:
        raise NotImplementedError("tf.gather_nd of a RaggedTensor: batch_dims=0 only")
    idx = _known(indices, "tf.gather_nd of a RaggedTensor (indices)")
    if idx.ndim == 0 or idx.shape[-1] > len(params.shape):
        raise ValueError(f"gather_nd: index depth {idx.shape[-1:]} exceeds the rank "
                         f"{len(params.shape)} of the RaggedTensor")
    picks = []
    for row in idx.reshape(-1, idx.shape[-1]):
        v = params
        for i in row:
            v = v[int(i)]
        picks.append(v)
    if idx.shape[-1] == len(params.shape) or all(not isinstance(v, RaggedTensor) and
                                                 len(v.shape) == 0 for v in picks):
        out = _s.stack(picks) if picks else _s.reshape(params.flat_values[:0], [0])
        return _s.reshape(out, list(idx.shape[:-1]) + list(out.shape[1:]))
    rows = constant([v.to_list() if isinstance(v, RaggedTensor) else v.numpy().tolist()
                     for v in picks], dtype=params.dtype)
    for d in reversed(idx.shape[:-2]):   # outer index dims: uniform rows
        rows = RaggedTensor.from_uniform_row_length(rows, int(d))
    return rows


def boolean_mask(data, mask, name=None):
    """`tf.ragged.boolean_mask`: the entries of `data` where `mask` is True, row by row (a
    RaggedTensor `mask` with the same rows as `data`, or a 1-D mask over the rows).

    >>> d = constant([[3, 1, 4], [], [5, 9]])
    >>> print(boolean_mask(d, d > 2))
    <tf.RaggedTensor [[3, 4], [], [5, 9]]>
    """
    if not isinstance(mask, RaggedTensor) and np.ndim(_known(mask, "ragged.boolean_mask")) > 1:
        mask = RaggedTensor.from_tensor(mask)   # dense masks: rows of a uniform ragged mask
    if not isinstance(data, RaggedTensor):
        data = RaggedTensor.from_tensor(data) if isinstance(mask, RaggedTensor) else \
            convert_to_tensor(data)
    if isinstance(mask, RaggedTensor):
        if not same_row_partition(data, mask):
            raise InvalidArgumentError("ragged.boolean_mask: mask and data have different rows "
                                       f"({data.shape} vs {mask.shape})")
        if mask.ragged_rank > 1:   # the mask's last ragged dim filters inside inner rows
            return data.with_values(boolean_mask(data._values, mask._values))
        keep = _known(mask.flat_values, "ragged.boolean_mask (mask)").astype(bool)
        lens = np.bincount(row_splits_to_segment_ids(data._row_splits)[keep],
                           minlength=data._nrows())
        return RaggedTensor.from_row_lengths(_take(data._values, np.nonzero(keep)[0]), lens)
    keep = _known(mask, "ragged.boolean_mask (mask)").astype(bool)
    return _take(data, np.nonzero(keep)[0])


def tile(input, multiples, name=None):   # noqa: A002 (TF's argument name)
    """`tf.tile` of a rank-2 RaggedTensor: rows repeated multiples[0] times, each row's values
    multiples[1] times.

    >>> print(tile(constant([[3, 1], [], [6]]), [1, 2]))
    <tf.RaggedTensor [[3, 1, 3, 1], [], [6, 6]]>
    """
    m0, m1 = (int(m) for m in _known(multiples, "tf.tile of a RaggedTensor (multiples)"))
    if input.ragged_rank != 1:
        raise NotImplementedError("tf.tile of a RaggedTensor: rank 2 only")
    s = input._row_splits
    lens = np.diff(s)
    per_row = [np.tile(np.arange(a, b), m1) for a, b in zip(s[:-1], s[1:])]
    once = RaggedTensor.from_row_lengths(
        _take(input._values, np.concatenate(per_row) if per_row else []), lens * m1)
    return _take(once, np.tile(np.arange(len(lens)), m0))


def map_fn(fn, elems, dtype=None, parallel_iterations=None, back_prop=True,
           swap_memory=False, infer_shape=True, name=None, fn_output_signature=None):
    """`tf.map_fn` over the rows of a RaggedTensor: rows give a RaggedTensor, scalars a dense
    vector.

    >>> print(map_fn(lambda r: r * r, constant([[3, 1], [], [6]])))
    <tf.RaggedTensor [[9, 1], [], [36]]>
    """
    outs = [fn(r) for r in elems._rows()]
    if outs and all(isinstance(o, Tensor) and o.ndim == 0 for o in outs):
        return _s.stack(outs)
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


def _segment_reduce(kind, data, ids, n):
    """`kind` of the rows of `data` per static segment id (n segments; empty ones give 0 / nan
    / the dtype's lowest or highest value / 1, as TF)."""
    ids = np.asarray(ids, np.int64)
    if kind == "reduce_mean":
        if not data.dtype.is_floating:
            data = _m.cast(data, _dt.float64)   # TF: the mean of integers is float64 here
        count = np.bincount(ids, minlength=n).reshape((n,) + (1,) * (data.ndim - 1))
        empty = np.where(count == 0, np.nan, 0).astype(data.dtype.np)   # 0/0 without a warning
        return (_seg.unsorted_segment_sum(data, ids, n) / np.maximum(count, 1).astype(
            data.dtype.np)) + empty
    fn = {"reduce_sum": _seg.unsorted_segment_sum, "reduce_max": _seg.unsorted_segment_max,
          "reduce_min": _seg.unsorted_segment_min, "reduce_prod": _seg.unsorted_segment_prod}[kind]
    return fn(data, ids, n)


def _reduce_axis(kind, rt, axis):
    """`kind` of a RaggedTensor over one axis (0 <= axis < rt.ndim)."""
    r = rt.ragged_rank
    if axis > r:   # a dense inner axis: reduce the flat values
        return rt.with_flat_values(getattr(_m, kind)(rt.flat_values, axis=axis - r))
    if axis >= 2:   # inside the values: every row keeps its place
        return rt.with_values(_reduce_axis(kind, rt._values, axis - 1))
    s = rt._row_splits
    if axis == 1 and r == 1:   # each row to one value
        return _segment_reduce(kind, rt._values, row_splits_to_segment_ids(s), rt._nrows())
    return _reduce_across(kind, rt, axis)


def _levels(rt):
    """Per ragged level: the index tuples of its rows (an (n, depth) array) and their lengths;
    and the full index tuple of every flat value."""
    splits = [np.asarray(x._value) for x in rt.nested_row_splits]
    tuples, out = np.arange(len(splits[0]) - 1)[:, None], []
    for sp in splits:
        out.append((tuples, np.diff(sp)))
        seg = row_splits_to_segment_ids(sp)
        tuples = np.concatenate([tuples[seg], (np.arange(len(seg)) - sp[seg])[:, None]], 1)
    return out, tuples


def _unique_rows(a):
    if not len(a):
        return a, np.zeros(0, np.int64)
    u, inv = np.unique(a, axis=0, return_inverse=True)
    return u, inv.reshape(-1)


def _reduce_across(kind, rt, axis):
    """`kind` over ragged axis `axis` < ragged_rank: entries with equal indices but for that
    axis meet (entry j of every row, for axis 0); each row of the result is as long as the
    longest of the rows it combines, as TF."""
    levels, value_idx = _levels(rt)
    splits = []
    for lvl in range(rt.ragged_rank - 1):   # the result's ragged levels
        if lvl < axis - 1:
            lens = levels[lvl][1]
        elif lvl == axis - 1:   # a row's length: its longest child along `axis`
            parents, _ = levels[lvl]
            children, child_lens = levels[lvl + 1]
            lens = np.zeros(len(parents), np.int64)
            np.maximum.at(lens, row_splits_to_segment_ids(np.asarray(
                rt.nested_row_splits[lvl]._value)), child_lens)
        else:
            tuples, child_lens = levels[lvl + 1]
            u, inv = _unique_rows(np.delete(tuples, axis, 1))
            lens = np.zeros(len(u), np.int64)
            np.maximum.at(lens, inv, child_lens)
        splits.append(np.concatenate([[0], np.cumsum(lens)]))
    u, ids = _unique_rows(np.delete(value_idx, axis, 1))
    out = _segment_reduce(kind, rt.flat_values, ids, len(u))
    return RaggedTensor.from_nested_row_splits(out, splits) if splits else out


def reduce(kind):
    """`tf.reduce_sum`/`mean`/`max`/`min`/`prod` of a RaggedTensor over `axis` (an int, a list
    or None for all values; empty groups give 0 / nan / the dtype's lowest or highest value /
    1, as TF). Segment reductions at static ids, so it traces and differentiates.

    >>> rt = constant([[3, 1, 4], [], [5]])
    >>> reduce("reduce_sum")(rt, axis=1).numpy(), reduce("reduce_max")(rt, axis=0).numpy()
    (array([8, 0, 5], dtype=int32), array([5, 1, 4], dtype=int32))
    >>> print(reduce("reduce_sum")(constant([[[1, 2], [3]], [[4]]]), axis=1))
    <tf.RaggedTensor [[4, 2], [4]]>
    """
    def reducer(input_tensor, axis=None, keepdims=False, name=None):
        rt = input_tensor
        if axis is None:
            flat = rt.flat_values
            if kind == "reduce_mean" and not flat.dtype.is_floating:
                flat = _m.cast(flat, _dt.float64)
            return getattr(_m, kind)(flat)
        axes = sorted({int(a) % rt.ndim for a in np.atleast_1d(axis)}, reverse=True)
        out = rt
        for a in axes:   # the innermost first, so the outer axes keep their numbers
            if not isinstance(out, RaggedTensor):
                out = getattr(_m, kind)(out, axis=a)
                continue
            out = _reduce_axis(kind, out, a)
        if keepdims:
            if isinstance(out, RaggedTensor):
                raise NotImplementedError(f"tf.{kind}(keepdims=True) with a ragged result")
            for a in sorted(axes):
                out = _s.expand_dims(out, a)
        return out
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
