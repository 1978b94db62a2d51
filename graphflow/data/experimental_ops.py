"""The rest of `tf.data.experimental`: thin wrappers over `Dataset` methods (`take_while`,
`unique`, `at`, ...), `from_list`, `pad_to_cardinality`, `group_by_reducer` with `Reducer`,
`get_next_as_optional` with `Optional` (also `tf.experimental.Optional`), `get_structure`.

>>> import graphflow as tf
>>> E = tf.data.experimental
>>> [int(x) for x in tf.data.Dataset.range(10).apply(E.take_while(lambda x: x < 3))]
[0, 1, 2]
>>> [(int(a), b) for a, b in E.from_list([(1, "a"), (2, "b")]).as_numpy_iterator()]
[(1, b'a'), (2, b'b')]
"""
import enum
import sqlite3

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError, user_source
from ..lookup import KeyValueTensorInitializer, StaticHashTable, StaticVocabularyTable
from ..sparse import SparseTensor
from ..nest_api import map_structure
from ..tensor import TensorSpec, constant, convert_to_tensor
from .dataset import INFINITE_CARDINALITY, UNKNOWN_CARDINALITY, Dataset, Iterator
from .options import AutotuneOptions

__all__ = ["take_while", "unique", "from_list", "pad_to_cardinality", "Reducer",
           "group_by_reducer", "Optional", "get_next_as_optional", "get_structure", "at",
           "copy_to_device", "prefetch_to_device", "enable_debug_mode", "RandomDataset",
           "SHARD_HINT", "snapshot", "AutotuneAlgorithm", "DatasetInitializer",
           "table_from_dataset", "index_table_from_dataset", "dense_to_sparse_batch",
           "AutotuneOptions", "SqlDataset"]

#: `tf.data.experimental.SHARD_HINT`: "fill in the shard count from the distribution" (-1)
SHARD_HINT = -1


def take_while(predicate):
    """`dataset.apply(take_while(p))` is `dataset.take_while(p)`.

    >>> [int(x) for x in Dataset.range(5).apply(take_while(lambda x: x < 2))]
    [0, 1]
    """
    return lambda dataset: dataset.take_while(predicate)


def unique():
    """`dataset.apply(unique())` is `dataset.unique()`.

    >>> [int(x) for x in Dataset.from_tensor_slices([1, 3, 1, 2]).apply(unique())]
    [1, 3, 2]
    """
    return lambda dataset: dataset.unique()


def snapshot(path, compression="AUTO", reader_func=None, shard_func=None):
    """`dataset.apply(snapshot(path))` is `dataset.snapshot(path)`."""
    return lambda dataset: dataset.snapshot(path, compression, reader_func, shard_func)


def copy_to_device(target_device, source_device="/cpu:0"):
    """The identity transformation (graphflow has one device, the CPU).

    >>> [int(x) for x in Dataset.range(2).apply(copy_to_device("/cpu:0"))]
    [0, 1]
    """
    return lambda dataset: dataset


def prefetch_to_device(device, buffer_size=None):
    """`dataset.prefetch(buffer_size)` (graphflow has one device, the CPU).

    >>> [int(x) for x in Dataset.range(2).apply(prefetch_to_device("/cpu:0"))]
    [0, 1]
    """
    return lambda dataset: dataset.prefetch(buffer_size or 1)


def enable_debug_mode():
    """Accepted for TF code: graphflow's input pipelines already run in Python, in order."""


def RandomDataset(seed=None, name=None):   # noqa: N802 (TF's name)
    """`tf.data.Dataset.random(seed)`: an endless stream of random int64.

    >>> RandomDataset(seed=1).element_spec
    TensorSpec(shape=(), dtype=tf.int64, name=None)
    """
    return Dataset.random(seed)


def _stack(leaves):
    ts = [convert_to_tensor(x) for x in leaves]
    return constant(np.stack([np.asarray(t.numpy()) for t in ts]), dtype=ts[0].dtype)


def _leaves(e):
    """tf.data's view of an element: dicts and tuples nest; a list is one tensor."""
    if isinstance(e, dict):
        return [leaf for k in e for leaf in _leaves(e[k])]
    if isinstance(e, tuple):
        return [leaf for v in e for leaf in _leaves(v)]
    return [e]


def _rebuild(like, leaves):
    it = iter(leaves)

    def build(e):
        if isinstance(e, dict):
            return {k: build(v) for k, v in e.items()}
        if isinstance(e, tuple):
            vals = [build(v) for v in e]
            return type(e)(*vals) if hasattr(e, "_fields") else tuple(vals)
        return next(it)
    return build(like)


def from_list(elements, name=None):
    """A dataset of the given elements (all of one structure; TF's dtype inference: Python
    ints int32, floats float32; a list inside an element is one tensor).

    >>> [d["x"].tolist() for d in from_list([{"x": [1., 2.]}, {"x": [3., 4.]}]).as_numpy_iterator()]
    [[1.0, 2.0], [3.0, 4.0]]
    """
    elements = list(elements)
    if not elements:
        raise ValueError("tf.data.experimental.from_list: needs at least one element")
    flat = [_leaves(e) for e in elements]
    if any(len(f) != len(flat[0]) for f in flat):
        raise ValueError("tf.data.experimental.from_list: the elements differ in structure")
    columns = [_stack([f[i] for f in flat]) for i in range(len(flat[0]))]
    return Dataset.from_tensor_slices(_rebuild(elements[0], columns))


def pad_to_cardinality(cardinality, mask_key="valid"):
    """Pad a finite dataset of dicts with all-zeros elements up to `cardinality` elements,
    adding a bool `mask_key` entry (True for the real ones).

    >>> ds = Dataset.from_tensor_slices({"a": [1, 2]}).apply(pad_to_cardinality(3))
    >>> [(int(d["a"]), bool(d["valid"])) for d in ds.as_numpy_iterator()]
    [(1, True), (2, True), (0, False)]
    """
    target = int(cardinality)

    def apply(dataset):
        n = int(dataset.cardinality())
        spec = dataset.element_spec
        if n in (INFINITE_CARDINALITY, UNKNOWN_CARDINALITY):
            raise ValueError(f"pad_to_cardinality at {user_source()}: the dataset's cardinality "
                             f"must be known and "
                             f"finite, got {n}")
        if n > target:
            raise ValueError(f"pad_to_cardinality at {user_source()}: the dataset has {n} "
                             f"elements, more than "
                             f"{target}")
        if not isinstance(spec, dict) or mask_key in spec:
            raise ValueError(f"pad_to_cardinality at {user_source()}: elements must be dicts "
                             f"without the key "
                             f"{mask_key!r}, got {spec}")
        real = dataset.map(lambda d: {**d, mask_key: constant(True)})
        if n == target:
            return real
        zero = {k: constant(np.zeros([int(d) for d in s.shape], s.dtype.np)
                            if s.dtype.name != "string" else np.full(
                                [int(d) for d in s.shape], b"", object), dtype=s.dtype)
                for k, s in spec.items()}
        zero[mask_key] = constant(False)
        return real.concatenate(Dataset.from_tensors(zero).repeat(target - n))
    return apply


class Reducer:
    """`tf.data.experimental.Reducer(init_func, reduce_func, finalize_func)`: per key, the state
    starts as init_func(key), takes reduce_func(state, element) for each element of the key,
    and ends as finalize_func(state) (a tuple state is unpacked into its arguments).

    >>> r = Reducer(lambda k: (k, np.int64(0)), lambda s, x: (s[0], s[1] + 1),
    ...             lambda k, n: k * 100 + n)
    >>> [int(x) for x in Dataset.range(7).apply(group_by_reducer(lambda x: x % 2, r))]
    [4, 103]
    """

    def __init__(self, init_func, reduce_func, finalize_func):
        self.init_func, self.reduce_func = init_func, reduce_func
        self.finalize_func = finalize_func


def group_by_reducer(key_func, reducer):
    """Reduce the elements of each key (an int64 from `key_func`) with `reducer`; one output
    per key, in the order keys first appear (TF's order is unspecified). The input is read
    once when the transformation is applied (to learn the output structure) and again each
    time the result is iterated.

    >>> r = Reducer(lambda k: np.int64(0), lambda s, x: s + x, lambda s: s)
    >>> [int(x) for x in Dataset.range(10).apply(group_by_reducer(lambda x: x % 3, r))]
    [18, 12, 15]
    """
    def reduce_all(dataset):
        states = {}
        for e in dataset:
            args = e if isinstance(e, tuple) else (e,)
            k = int(np.asarray(key_func(*args)))
            if k not in states:
                states[k] = reducer.init_func(constant(np.int64(k)))
            states[k] = reducer.reduce_func(states[k], *args)
        outs = []
        for s in states.values():
            out = reducer.finalize_func(*s) if isinstance(s, tuple) else reducer.finalize_func(s)
            outs.append(map_structure(convert_to_tensor, out))
        return outs

    def apply(dataset):
        def elements():
            for out in reduce_all(dataset):
                yield out
        first = reduce_all(dataset)
        if not first:
            return dataset.take(0)
        spec = map_structure(lambda t: TensorSpec(t.shape, t.dtype), first[0])
        return Dataset.from_generator(elements, output_signature=spec)
    return apply


class Optional:
    """A value that may be absent (TF's `tf.experimental.Optional`): `from_value(v)` or
    `empty(element_spec)`; `has_value()` a bool tensor, `get_value()` the value (an
    InvalidArgumentError when empty).

    >>> o = Optional.from_value(constant(3)); bool(o.has_value()), int(o.get_value())
    (True, 3)
    >>> bool(Optional.empty(TensorSpec([], "int32")).has_value())
    False
    """

    def __init__(self, value, element_spec, has):
        self._value, self._spec, self._has = value, element_spec, has

    @staticmethod
    def from_value(value):
        """An Optional holding `value` (a nested structure of tensors)."""
        v = map_structure(convert_to_tensor, value)
        return Optional(v, map_structure(lambda t: TensorSpec(t.shape, t.dtype), v), True)

    @staticmethod
    def empty(element_spec):
        """An Optional with no value, of structure `element_spec`."""
        return Optional(None, element_spec, False)

    def has_value(self, name=None):
        """A bool scalar tensor: whether a value is present."""
        return constant(self._has) if isinstance(self._has, bool) else self._has

    def get_value(self, name=None):
        """The value; an InvalidArgumentError if there is none (known eagerly)."""
        if self._has is False:
            raise InvalidArgumentError("Optional.get_value: the Optional has no value "
                                       "(check has_value() first)")
        return self._value

    @property
    def element_spec(self):
        """The structure of TensorSpecs of the value."""
        return self._spec

    def __repr__(self):
        return f"Optional(has_value={self._has}, element_spec={self._spec})"


def get_next_as_optional(iterator):
    """The iterator's next element as an `Optional` (empty at the end, no exception).

    >>> it = iter(Dataset.range(1))
    >>> [bool(get_next_as_optional(it).has_value()) for _ in range(2)]
    [True, False]
    """
    try:
        return Optional.from_value(next(iterator))
    except StopIteration:
        return Optional.empty(iterator.element_spec)


def get_structure(dataset_or_iterator):
    """The element_spec of a dataset or an iterator.

    >>> get_structure(iter(Dataset.range(3)))
    TensorSpec(shape=(), dtype=tf.int64, name=None)
    """
    if not isinstance(dataset_or_iterator, (Dataset, Iterator)) and not hasattr(
            dataset_or_iterator, "element_spec"):
        raise TypeError(f"get_structure: expected a tf.data.Dataset or Iterator, got "
                        f"{type(dataset_or_iterator).__name__}")
    return dataset_or_iterator.element_spec


def at(dataset, index):
    """The element at `index` (random access on a dataset of known cardinality).

    >>> int(at(Dataset.range(10), 3))
    3
    """
    i = int(np.asarray(index))
    n = int(dataset.cardinality())
    if i < 0 or (n >= 0 and i >= n):
        raise InvalidArgumentError(f"tf.data.experimental.at at {user_source()}: index {i} is "
                                   f"out of range for a "
                                   f"dataset of {n} elements")
    for e in dataset.skip(i).take(1):
        return e
    raise InvalidArgumentError(f"tf.data.experimental.at: index {i} is out of range")




class AutotuneAlgorithm(enum.IntEnum):
    """TF's autotuning algorithms (accepted in `tf.data.Options`; graphflow does not tune)."""
    DEFAULT = 0
    HILL_CLIMB = 1
    GRADIENT_DESCENT = 2
    MAX_PARALLELISM = 3
    STAGE_BASED = 4


class DatasetInitializer(KeyValueTensorInitializer):
    """A lookup-table initializer from a dataset of (key, value) pairs.

    >>> ds = Dataset.zip((Dataset.from_tensor_slices(["a", "b"]),
    ...                   Dataset.from_tensor_slices([3., 4.])))
    >>> t = StaticHashTable(DatasetInitializer(ds), -1.)
    >>> t.lookup(convert_to_tensor(["b", "c"])).numpy().tolist()
    [4.0, -1.0]
    """

    def __init__(self, dataset):
        spec = dataset.element_spec
        if not (isinstance(spec, tuple) and len(spec) == 2):
            raise ValueError(f"DatasetInitializer at {user_source()}: the dataset's elements "
                             f"must be (key, value) pairs, got {spec}")
        pairs = [(k.numpy(), v.numpy()) for k, v in dataset]
        keys = np.asarray([k for k, _ in pairs], object if spec[0].dtype == _dt.string
                          else spec[0].dtype.np)
        vals = np.asarray([v for _, v in pairs], object if spec[1].dtype == _dt.string
                          else spec[1].dtype.np)
        super().__init__(constant(keys, dtype=spec[0].dtype), constant(vals, dtype=spec[1].dtype))


def table_from_dataset(dataset=None, num_oov_buckets=0, vocab_size=None, default_value=None,
                       hasher_spec=None, key_dtype=_dt.string, name=None):
    """A lookup table from a dataset of (key, value) pairs: a StaticHashTable (missing keys
    `default_value`), or with `num_oov_buckets` a StaticVocabularyTable.

    >>> ds = Dataset.zip((Dataset.range(3), Dataset.range(3).map(lambda x: x * 10)))
    >>> table_from_dataset(ds, default_value=-1, key_dtype="int64").lookup(
    ...     convert_to_tensor([2, 7], "int64")).numpy().tolist()
    [20, -1]
    """
    if vocab_size is not None:
        dataset = dataset.take(int(vocab_size))
    init = DatasetInitializer(dataset)
    if num_oov_buckets:
        return StaticVocabularyTable(init, num_oov_buckets, lookup_key_dtype=key_dtype)
    return StaticHashTable(init, default_value)


def index_table_from_dataset(dataset=None, num_oov_buckets=0, vocab_size=None,
                             default_value=-1, hasher_spec=None, key_dtype=_dt.string,
                             name=None):
    """A table from each key of a dataset to its position (int64); unknown keys give
    `default_value`, or one of `num_oov_buckets` hash buckets after the vocabulary.

    >>> t = index_table_from_dataset(Dataset.from_tensor_slices(["to", "be", "or"]))
    >>> t.lookup(convert_to_tensor(["be", "zz"])).numpy().tolist()
    [1, -1]
    """
    pairs = dataset.enumerate().map(lambda i, k: (k, i))
    return table_from_dataset(pairs, num_oov_buckets, vocab_size, default_value, hasher_spec,
                              key_dtype, name)


def dense_to_sparse_batch(batch_size, row_shape):
    """Batch elements of varying shape (each fitting `row_shape`) into SparseTensors of dense
    shape [batch, *row_shape] holding every entry of each element. The input is read when
    the transformation is applied.

    >>> ds = Dataset.from_generator(lambda: iter([np.array([1]), np.array([2, 3])]),
    ...                             output_signature=TensorSpec([None], "int32"))
    >>> s = next(iter(ds.apply(dense_to_sparse_batch(2, [4]))))
    >>> s.indices.numpy().tolist(), s.values.numpy().tolist(), s.shape
    ([[0, 0], [1, 0], [1, 1]], [1, 2, 3], TensorShape([2, 4]))
    """
    row_shape = [int(d) for d in row_shape]
    n = int(batch_size)

    def batches(dataset):
        buf = []
        for e in dataset:
            buf.append(np.asarray(e.numpy()))
            if len(buf) == n:
                yield _sparse_batch(buf, row_shape)
                buf = []
        if buf:
            yield _sparse_batch(buf, row_shape)

    def apply(dataset):
        out = [b for b in batches(dataset)]
        return _from_sparse_list(out)
    return apply


def _sparse_batch(rows, row_shape):
    idx, vals = [], []
    for b, r in enumerate(rows):
        if r.ndim != len(row_shape) or any(d > m for d, m in zip(r.shape, row_shape)):
            raise InvalidArgumentError(f"dense_to_sparse_batch: an element of shape "
                                       f"{list(r.shape)} does not fit row_shape {row_shape}")
        for pos in np.ndindex(*r.shape):
            idx.append((b,) + pos)
            vals.append(r[pos])
    return SparseTensor(np.asarray(idx, np.int64).reshape(-1, len(row_shape) + 1),
                        np.asarray(vals, rows[0].dtype), [len(rows)] + row_shape)


def _from_sparse_list(batches):
    """A dataset yielding the given SparseTensors in order."""
    if not batches:
        raise ValueError("dense_to_sparse_batch: the dataset is empty")
    out = Dataset.from_tensors(batches[0])
    for b in batches[1:]:
        out = out.concatenate(Dataset.from_tensors(b))
    return out


def SqlDataset(driver_name, data_source_name, query, output_types):   # noqa: N802 (TF's name)
    """The rows of an SQL query on a SQLite database (`driver_name` "sqlite"), one element per
    row: a tuple of scalars of `output_types` (a single scalar for a single dtype). The query
    runs each time the dataset is iterated.

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "db.sqlite3")
    >>> con = sqlite3.connect(path)
    >>> _ = con.execute("create table t (name text, age integer)")
    >>> _ = con.execute("insert into t values ('ann', 31)"); con.commit(); con.close()
    >>> list(SqlDataset("sqlite", path, "SELECT name, age FROM t", ("string", "int32")))[0]
    (<tf.Tensor: shape=(), dtype=string, numpy=b'ann'>, <tf.Tensor: shape=(), dtype=int32, numpy=31>)
    """
    if driver_name != "sqlite":
        raise InvalidArgumentError(f"SqlDataset at {user_source()}: driver_name must be "
                                   f"'sqlite' (TF's only driver), got {driver_name!r}")
    single = not isinstance(output_types, (tuple, list))
    dtypes = [_dt.as_dtype(t) for t in ([output_types] if single else output_types)]

    def rows():
        con = sqlite3.connect(data_source_name)
        try:
            for row in con.execute(query):
                if len(row) != len(dtypes):
                    raise InvalidArgumentError(f"SqlDataset: the query gives {len(row)} "
                                               f"columns but output_types has {len(dtypes)}")
                vals = tuple(np.asarray(v.encode() if isinstance(v, str) else v, object)
                             if d == _dt.string else np.asarray(v, d.np)
                             for v, d in zip(row, dtypes))
                yield vals[0] if single else vals
        finally:
            con.close()
    specs = [TensorSpec([], d) for d in dtypes]
    return Dataset.from_generator(rows, output_signature=specs[0] if single else tuple(specs))
