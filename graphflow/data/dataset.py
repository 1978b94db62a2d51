"""`tf.data.Dataset`: input pipelines of nested tensor structures, built on numpy.

A Dataset is a recipe: every iteration runs it again from the start (so `shuffle` reshuffles and
`map` re-runs each epoch), yielding elements that are Tensors or (nested) tuples/dicts of
Tensors. `map` and `filter` trace their function with `graphflow.function` (one trace per element
signature, run with the numpy executor), as TF does.

>>> import graphflow as tf
>>> ds = tf.data.Dataset.range(10).map(lambda x: x * 2).batch(4)
>>> [b.numpy().tolist() for b in ds]
[[0, 2, 4, 6], [8, 10, 12, 14], [16, 18]]
>>> xs = tf.data.Dataset.from_tensor_slices(([1., 2., 3.], [0, 1, 0]))
>>> [(float(x), int(y)) for x, y in xs.skip(1)]
[(2.0, 1), (3.0, 0)]
"""
import collections
import contextvars
import itertools
import json
import os
import queue
import sys
import threading
import warnings

import numpy as np

from .. import dtypes as _dt
from .. import state as _state
from ..errors import InvalidArgumentError, OutOfRangeError, user_source
from ..io import files as _files
from ..io import tfrecord as _tfrecord
from ..io.proto import BytesList
from ..nest import flatten
from ..ops.misc_ops import get_static_value
from ..ops import random_ops as _random
from ..py_func import numpy_function
from ..ragged import RaggedTensor
from ..tensor import Tensor, TensorSpec, convert_to_tensor, bytes_array
from .options import Options
from . import structure as _st
from .structure import (ElementFunction, RaggedTensorSpec, call_unpacked, convert, convert_output, flatten_up_to,
                        map_structure, pad_stack, spec_from_json, spec_of, spec_to_json, stack)

__all__ = ["Dataset", "Iterator", "AUTOTUNE", "INFINITE_CARDINALITY", "UNKNOWN_CARDINALITY"]

AUTOTUNE = -1
INFINITE_CARDINALITY = -1
UNKNOWN_CARDINALITY = -2


#: set while `ignore_errors` pulls an element: map/filter then drop an element that raises
_IGNORING_ERRORS = contextvars.ContextVar("graphflow_data_ignoring_errors", default=False)


def _where(what):
    """`what` and the user's line that made the dataset, for errors raised while iterating."""
    return f"Dataset.{what} (made at {user_source()})"


def _concrete(leaves, op):
    """`leaves` with tensors made while tracing replaced by their values: a dataset is iterated
    outside the graph (also by a traced `for` loop, at run time), so a numpy array or constant
    given inside a traced function is taken by value (as TF embeds it); a tensor computed in
    the trace has no value yet and is an error naming `op` and the user's line."""
    out = []
    for i, t in enumerate(leaves):
        g = getattr(t, "_graph", None)
        if g is not None:
            v = get_static_value(t)
            if v is None:
                raise InvalidArgumentError(
                    f"Dataset.{op}: component {i} ({t.dtype.name}{list(t.shape)}) is a tensor "
                    f"computed inside a traced function, at {user_source()}: its value exists "
                    "only when the function runs. Build the dataset outside the function and "
                    "pass it in (or from numpy values).")
            with _state.using(graph=None, tapes=(), adjoint=None):
                t = convert_to_tensor(v, t.dtype)
        out.append(t)
    return out


#: the class of the dataset TF 2.21 returns from each source / transformation (its repr shows
#: it: `<_TensorSliceDataset element_spec=...>`), by the name of the method that made it
_TF_CLASSES = {
    "from_tensor_slices": "_TensorSliceDataset", "from_tensors": "_TensorDataset",
    "range": "_RangeDataset", "from_generator": "_FlatMapDataset", "zip": "_ZipDataset",
    "map": "_MapDataset", "filter": "_FilterDataset", "batch": "_BatchDataset",
    "padded_batch": "_PaddedBatchDataset", "ragged_batch": "_BatchDataset",
    "unbatch": "_UnbatchDataset", "rebatch": "_RebatchDataset", "shuffle": "_ShuffleDataset",
    "repeat": "_RepeatDataset", "take": "_TakeDataset", "skip": "_SkipDataset",
    "concatenate": "_ConcatenateDataset", "enumerate": "_ZipDataset", "cache": "CacheDataset",
    "prefetch": "_PrefetchDataset", "window": "_WindowDataset", "as_datasets": "_VariantDataset",
    "flat_map": "_FlatMapDataset", "interleave": "_InterleaveDataset", "scan": "_ScanDataset",
    "shard": "_ShardDataset", "unique": "_UniqueDataset", "take_while": "_TakeWhileDataset",
    "group_by_window": "_GroupByWindowDataset", "rejection_resample": "_DirectedInterleaveDataset",
    "ignore_errors": "_IgnoreErrorsDataset", "with_options": "_OptionsDataset",
    "counter": "_ScanDataset", "random": "_RandomDataset",
    "sample_from_datasets": "_DirectedInterleaveDataset",
    "choose_from_datasets": "_DirectedInterleaveDataset", "snapshot": "_MapDataset",
    "assert_cardinality": "_AssertCardinalityDataset"}
_TF_PARALLEL = {"map": "_ParallelMapDataset", "batch": "_ParallelBatchDataset",
                "interleave": "_ParallelInterleaveDataset"}


def _tf_class_name(frame):
    """TF's dataset class for a Dataset made in `frame` (through _derive / _grouped: the
    method that called them); "Dataset" where TF has no particular one."""
    while frame is not None and frame.f_code.co_name in ("_derive", "_grouped"):
        frame = frame.f_back
    name = frame.f_code.co_name if frame is not None else ""
    if name in _TF_PARALLEL and frame.f_locals.get("num_parallel_calls") is not None:
        return _TF_PARALLEL[name]
    return _TF_CLASSES.get(name, "Dataset")


class _Rows:
    """A dataset whose elements are rows of arrays: `stream()` gives one iteration's row
    indices in element order, `gather(int array)` those rows as one batch (the structure and
    dtypes `stack` gives)."""

    __slots__ = ("stream", "gather")

    def __init__(self, stream, gather):
        self.stream, self.gather = stream, gather


def _batches(cardinality, batch_size, drop_remainder):
    """The cardinality of `batch(batch_size, drop_remainder)` of a dataset of `cardinality`."""
    if cardinality < 0:
        return cardinality
    return cardinality // batch_size if drop_remainder else -(-cardinality // batch_size)


class Dataset:
    """A re-iterable pipeline of elements (see the module docstring).

    Build one with `from_tensor_slices`, `from_tensors`, `range` or `from_generator`, transform
    it with `map`, `filter`, `batch`, `shuffle`, `repeat`, `take`, `skip`, `cache`, ... and
    iterate it with `for`, `as_numpy_iterator()` or pass it to Keras `fit`.
    """

    #: AutoGraph runs `for x in dataset` in a traced function as a graph loop over the dataset
    #: (iterated anew at each run; `graphflow.autograph.dataset_loop`)
    __graph_loop__ = True

    def __init__(self, make_iterator, cardinality=UNKNOWN_CARDINALITY, spec=None, options=None):
        self._make = make_iterator
        self._cardinality = cardinality
        self._spec = spec
        self._options = options
        self._tf_class = _tf_class_name(sys._getframe(1))
        self._rows = None   # a _Rows when the elements are rows of arrays (batch gathers them)

    def _derive(self, make_iterator, cardinality=UNKNOWN_CARDINALITY, spec=None, rows=None):
        """A dataset made from this one (it keeps this one's options); `rows`: its _Rows."""
        ds = Dataset(make_iterator, cardinality, spec, self._options)
        ds._rows = rows
        return ds

    def _row_stream(self, stream):
        """A _Rows over this dataset's rows whose index order is `stream(parent's stream)`, or
        None when this dataset's elements are not rows of arrays (or there are none)."""
        rows = self._rows
        if rows is None or self._cardinality == 0:
            return None
        return _Rows(lambda: stream(rows.stream()), rows.gather)

    # ---- sources ------------------------------------------------------------------
    @staticmethod
    def from_tensor_slices(tensors, name=None):
        """One element per slice along the first axis of every component.

        >>> import graphflow as tf
        >>> ds = tf.data.Dataset.from_tensor_slices({"a": [1, 2], "b": [[3, 4], [5, 6]]})
        >>> [{k: v.numpy().tolist() for k, v in e.items()} for e in ds]
        [{'a': 1, 'b': [3, 4]}, {'a': 2, 'b': [5, 6]}]
        """
        leaves, rebuild = flatten(convert(tensors))
        leaves = _concrete(leaves, "from_tensor_slices")
        if not leaves:
            raise ValueError("from_tensor_slices: no tensors given")
        ns = {_st.num_rows(t) for t in leaves}
        if None in ns:
            raise ValueError("from_tensor_slices: every component needs a first dimension to slice "
                             f"(got shapes {[tuple(t.shape) for t in leaves]})")
        if len(ns) > 1:
            raise ValueError("from_tensor_slices: components have different first dimensions: "
                             f"{[tuple(t.shape) for t in leaves]}")
        n = ns.pop()
        # a RaggedTensor is sliced into its rows (a Tensor, or a RaggedTensor of lower rank);
        # SparseTensors and ExtensionTypes into theirs (structure.row)
        arrays = [t if isinstance(t, RaggedTensor) or _st.is_composite(t)
                  else np.asarray(t._value) for t in leaves]

        def make():
            for i in range(n):
                yield rebuild([a[i] if isinstance(a, RaggedTensor) else _st.row(a, i)
                               if _st.is_composite(a) else convert_to_tensor(a[i])
                               for a in arrays])
        spec = rebuild([RaggedTensorSpec(list(t.shape)[1:], t.dtype, t.ragged_rank - 1,
                                         t.row_splits.dtype) if isinstance(t, RaggedTensor)
                        else _st.spec_of(_st.row(t, 0)) if _st.is_composite(t) and n
                        else TensorSpec(t.shape[1:], t.dtype) for t in leaves])
        ds = Dataset(make, n, spec)
        if all(type(a) is np.ndarray for a in arrays):   # (batches: rows gathered at once)
            dts = [t.dtype for t in leaves]
            ds._rows = _Rows(lambda: iter(range(n)), lambda ix: rebuild(
                [convert_to_tensor(a[ix], dt) for a, dt in zip(arrays, dts)]))
        return ds

    @staticmethod
    def from_tensors(tensors, name=None):
        """A dataset of exactly one element, `tensors`.

        >>> import graphflow as tf
        >>> [t.numpy().tolist() for t in tf.data.Dataset.from_tensors([1, 2])]
        [[1, 2]]
        """
        leaves, rebuild = flatten(convert(tensors))
        value = rebuild(_concrete(leaves, "from_tensors"))
        return Dataset(lambda: iter([value]), 1, spec_of(value))

    @staticmethod
    def range(*args, dtype=_dt.int64, output_type=None, name=None):
        """Like Python's range, as int64 scalars (or `dtype`).

        >>> import graphflow as tf
        >>> [int(v) for v in tf.data.Dataset.range(1, 8, 3)]
        [1, 4, 7]
        """
        r = range(*(int(a) for a in args))
        dt = _dt.as_dtype(output_type if output_type is not None else dtype)

        scalar = dt.np.type   # (a 0-d eager value is a numpy scalar: no conversion needed)

        def make():
            for i in r:
                yield Tensor._wrap(scalar(i))
        return Dataset(make, len(r), TensorSpec((), dt))

    @staticmethod
    def from_generator(generator, output_types=None, output_shapes=None, args=None,
                       output_signature=None, name=None):
        """Elements from calling `generator()` (again for every iteration), converted to the
        declared dtypes (`output_signature`, or `output_types`) and checked against the shapes.

        >>> import graphflow as tf
        >>> def gen():
        ...     for i in range(3):
        ...         yield i, [1.0] * i
        >>> ds = tf.data.Dataset.from_generator(gen, output_signature=(
        ...     tf.TensorSpec(shape=(), dtype=tf.int32), tf.TensorSpec(shape=(None,), dtype=tf.float32)))
        >>> [(int(i), v.shape.as_list()) for i, v in ds]
        [(0, [0]), (1, [1]), (2, [2])]
        """
        if output_signature is not None:
            specs = output_signature
        elif output_types is not None:
            ts, rebuild_types = flatten(output_types)
            ss = [None] * len(ts) if output_shapes is None else \
                flatten_up_to(output_types, output_shapes)
            if len(ss) != len(ts):
                raise ValueError(f"from_generator: output_shapes {output_shapes!r} does not "
                                 f"match output_types {output_types!r}")
            specs = rebuild_types([TensorSpec(s, t) for t, s in zip(ts, ss)])
        else:
            raise TypeError("from_generator needs output_signature (or output_types)")
        spec_leaves, rebuild = flatten(specs)

        def make():
            for item in generator(*(args or ())):
                leaves = flatten_up_to(specs, item)
                if len(leaves) != len(spec_leaves):
                    raise ValueError(f"from_generator: the generator yielded {item!r}, which does "
                                     f"not match the declared structure {specs}")
                out = []
                for v, s in zip(leaves, spec_leaves):
                    t = convert_to_tensor(np.asarray(v, s.dtype.np))
                    if s.shape.rank is not None and not s.is_compatible_with(t):
                        raise ValueError(f"from_generator: generated shape {tuple(t.shape)} is "
                                         f"not compatible with the declared {s}")
                    out.append(t)
                yield rebuild(out)
        return Dataset(make, UNKNOWN_CARDINALITY, specs)

    @staticmethod
    def zip(*datasets, name=None):
        """Elements of several datasets side by side (stops at the shortest).

        >>> import graphflow as tf
        >>> a, b = tf.data.Dataset.range(3), tf.data.Dataset.range(10, 12)
        >>> [(int(x), int(y)) for x, y in tf.data.Dataset.zip((a, b))]
        [(0, 10), (1, 11)]
        """
        if len(datasets) == 1 and not isinstance(datasets[0], Dataset):
            datasets = datasets[0]
        leaves, rebuild = flatten(datasets)

        def make():
            for items in zip(*[iter(d) for d in leaves]):
                yield rebuild(list(items))
        cards = [d._cardinality for d in leaves]
        finite = [c for c in cards if c >= 0]
        card = min(finite) if finite else (UNKNOWN_CARDINALITY if UNKNOWN_CARDINALITY in cards
                                           else INFINITE_CARDINALITY)
        if UNKNOWN_CARDINALITY in cards and finite:
            card = UNKNOWN_CARDINALITY
        return Dataset(make, card, lambda: rebuild([d.element_spec for d in leaves]))

    # ---- iteration ----------------------------------------------------------------------
    def __iter__(self):
        if _state.current().graph is not None:
            # inside a trace the loop runs at trace time (it unrolls); its values are constants
            with _state.using(graph=None, tapes=(), adjoint=None):
                elements = list(self._make())
            warnings.warn(
                f"iterating a tf.data.Dataset inside @tf.function (at {user_source()}) without "
                "AutoGraph, or with ragged/sparse elements, unrolls the loop while tracing: its "
                f"{len(elements)} elements become constants of the graph and every call replays them (a shuffle is not redone, a changed source "
                "is not re-read; TF loops over the dataset at run time). Iterate outside the "
                "function and call it per element (or batch) instead.", UserWarning,
                stacklevel=2)
            return iter(elements)
        return Iterator(self)

    def as_numpy_iterator(self):
        """Iterate with numpy values instead of Tensors.

        >>> import graphflow as tf
        >>> [v.item() for v in tf.data.Dataset.range(3).as_numpy_iterator()]
        [0, 1, 2]
        """
        for e in self:
            yield map_structure(lambda t: t.numpy(), e)

    def cardinality(self):
        """Number of elements: -1 (INFINITE) for an endless dataset, -2 (UNKNOWN) if not known."""
        return convert_to_tensor(np.int64(self._cardinality))

    def __len__(self):
        if self._cardinality == INFINITE_CARDINALITY:
            raise TypeError("The dataset is infinite.")
        if self._cardinality == UNKNOWN_CARDINALITY:
            raise TypeError("The dataset length is unknown.")
        return int(self._cardinality)

    @property
    def element_spec(self):
        """The structure of TensorSpecs of one element (from the sources and transformations
        where they say it; otherwise from the first element).

        >>> import graphflow as tf
        >>> tf.data.Dataset.range(5).batch(2).element_spec
        TensorSpec(shape=(None,), dtype=tf.int64, name=None)
        """
        if callable(self._spec):
            self._spec = self._spec()
        if self._spec is None:
            first = next(iter(self), None)
            if first is None:
                raise ValueError("element_spec of an empty dataset of unknown structure")
            self._spec = spec_of(first)
        return self._spec

    @property
    def _parent_spec(self):
        """This dataset's element spec for a dataset made from it (computed when asked)."""
        return self._spec if self._spec is not None and not callable(self._spec) else \
            (lambda: self.element_spec)

    def __repr__(self):
        try:
            spec = self.element_spec
        except ValueError:
            spec = "?"
        return f"<{self._tf_class} element_spec={spec}>"

    # ---- transformations -----------------------------------------------------------------
    def map(self, map_func, num_parallel_calls=None, deterministic=None, name=None):
        """Apply `map_func` to every element (a tuple element is passed as separate arguments).
        The function is traced once per element signature, as in TF.

        >>> import graphflow as tf
        >>> ds = tf.data.Dataset.from_tensor_slices(([1., 2.], [3., 4.]))
        >>> [float(v) for v in ds.map(lambda x, y: x * y)]
        [3.0, 8.0]
        """
        fn = ElementFunction(map_func, "map")

        def make():
            for e in self._make():
                try:
                    out = fn(e)
                except Exception:
                    if _IGNORING_ERRORS.get():   # a downstream ignore_errors drops it
                        continue
                    raise
                yield out
        return self._derive(make, self._cardinality,
                            lambda: _spec_or_none(fn.output_spec(self.element_spec)))

    def filter(self, predicate, name=None):
        """Keep the elements where `predicate` is True.

        >>> import graphflow as tf
        >>> [int(v) for v in tf.data.Dataset.range(6).filter(lambda x: x % 2 == 0)]
        [0, 2, 4]
        """
        fn = ElementFunction(predicate, "filter", output=lambda x: x)

        def make():
            for e in self._make():
                try:
                    keep = fn(e)
                except Exception:
                    if _IGNORING_ERRORS.get():
                        continue
                    raise
                if not isinstance(keep, (Tensor, bool, np.bool_)) or np.shape(keep) != ():
                    raise TypeError("filter: the predicate must return a scalar bool, got "
                                    f"{keep!r}")
                if bool(np.asarray(keep)):
                    yield e
        return self._derive(make, UNKNOWN_CARDINALITY, self._parent_spec)

    def batch(self, batch_size, drop_remainder=False, num_parallel_calls=None,
              deterministic=None, name=None):
        """Stack `batch_size` consecutive elements; the last, smaller batch is kept unless
        `drop_remainder`.

        >>> import graphflow as tf
        >>> [b.shape.as_list() for b in tf.data.Dataset.range(7).batch(3, drop_remainder=True)]
        [[3], [3]]
        """
        what = _where("batch")
        n = _batch_size(batch_size, what)
        ragged = self._ragged_components()

        def spec():
            return map_structure(lambda s: _batched_spec(s, n if drop_remainder else None),
                                 self.element_spec)
        if self._rows is not None and not any(ragged or ()):
            return self._gathered(n, drop_remainder, spec)
        return self._grouped(n, drop_remainder, lambda buf: stack(buf, what, ragged), spec)

    def _gathered(self, batch_size, drop_remainder, spec):
        """`batch` of a dataset of array rows: each batch is one gather of its rows' indices
        (the same values as stacking the elements one by one, ~50x fewer Python steps)."""
        rows = self._rows

        def make():
            it = rows.stream()
            while True:
                ix = np.fromiter(itertools.islice(it, batch_size), np.intp)
                if not ix.size or (drop_remainder and ix.size < batch_size):
                    return
                yield rows.gather(ix)
        return self._derive(make, _batches(self._cardinality, batch_size, drop_remainder),
                            spec)

    def _ragged_components(self):
        """Per component, whether the element spec says RaggedTensor (its batches are then
        ragged, as TF's), when the spec is known without running the pipeline."""
        spec = self._spec
        if spec is None or callable(spec):
            return False
        return [isinstance(s, RaggedTensorSpec) for s in flatten(spec)[0]]

    def _grouped(self, batch_size, drop_remainder, combine, spec):
        """Runs of `batch_size` consecutive elements, each made one by `combine(list)`; the
        last, smaller run is kept unless `drop_remainder` (batch, padded_batch, ragged_batch).
        """
        def make():
            buf = []
            for e in self._make():
                buf.append(e)
                if len(buf) == batch_size:
                    yield combine(buf)
                    buf = []
            if buf and not drop_remainder:
                yield combine(buf)
        return self._derive(make, _batches(self._cardinality, batch_size, drop_remainder), spec)

    def unbatch(self, name=None):
        """Split every element along its first axis (the inverse of `batch`)."""
        def make():
            for e in self._make():
                leaves, rebuild = flatten(e)
                for i in range(_st.num_rows(leaves[0])):
                    yield rebuild([t[i] if isinstance(t, RaggedTensor) else _st.row(t, i)
                                   for t in leaves])
        return self._derive(make, UNKNOWN_CARDINALITY, lambda: map_structure(
            _unbatched_spec, self.element_spec))

    def rebatch(self, batch_size, drop_remainder=False, name=None):
        """Re-split batched elements into batches of `batch_size` (an int, or a list of sizes
        used in turn), as `unbatch().batch(...)` does, across the old batch boundaries.

        >>> import graphflow as tf
        >>> [b.numpy().tolist() for b in tf.data.Dataset.range(5).batch(3).rebatch([2, 1])]
        [[0, 1], [2], [3, 4]]
        """
        what = _where("rebatch")
        sizes = [_batch_size(b, what) for b in
                 (batch_size if isinstance(batch_size, (list, tuple)) else [batch_size])]
        spec = self._spec if self._spec is not None and not callable(self._spec) else None
        if spec is not None and any(not s.shape.rank for s in flatten(spec)[0]):
            raise ValueError(f"{what}: Invalid `batch_sizes`. Expected dataset with rank of >= 1 "
                             "but found a dataset with scalar elements. Fix the issue by adding "
                             "the `batch` transformation to the dataset.")
        flat = self.unbatch()
        ragged = self._ragged_components()

        def make():
            buf, turn = [], itertools.cycle(sizes)
            want = next(turn)
            for e in flat._make():
                buf.append(e)
                if len(buf) == want:
                    yield stack(buf, what, ragged)
                    buf, want = [], next(turn)
            if buf and not drop_remainder:
                yield stack(buf, what, ragged)
        size = sizes[0] if drop_remainder and len(set(sizes)) == 1 else None
        return self._derive(make, UNKNOWN_CARDINALITY, lambda: map_structure(
            lambda s: _batched_spec(_unbatched_spec(s), size), self.element_spec))

    def shuffle(self, buffer_size, seed=None, reshuffle_each_iteration=True, name=None):
        """TF's buffered shuffle: fill a buffer of `buffer_size` elements, emit a random one and
        refill its slot. A full shuffle needs `buffer_size >= ` the dataset size.

        Determinism as TF's: with `seed`, or without one after `tf.random.set_seed` (the seed is
        then drawn from the global random stream, so the same program gives the same orders),
        the orders are reproducible; each iteration (epoch) is another permutation unless
        `reshuffle_each_iteration=False`, which repeats the first. The orders themselves are
        not TF's (TF draws them with its Philox-based kernel; graphflow with numpy's PCG64).

        >>> import graphflow as tf
        >>> ds = tf.data.Dataset.range(5).shuffle(5, seed=1)
        >>> first, second = [[int(v) for v in ds] for _ in range(2)]
        >>> sorted(first), first != second
        ([0, 1, 2, 3, 4], True)
        """
        buffer_size = int(buffer_size)
        if buffer_size <= 0:
            raise ValueError(f"shuffle: buffer_size must be positive, got {buffer_size}")
        epoch = itertools.count()
        if seed is None:   # from the global stream: reproducible after tf.random.set_seed
            with _state.using(graph=None, tapes=(), adjoint=None):
                base = int(_random.uniform((), 0, 2 ** 62, dtype=_dt.int64).numpy())
        else:
            base = int(seed)

        def shuffled(items):   # (an iteration's order: elements, or row indices for batch)
            rng = np.random.default_rng([base, next(epoch) if reshuffle_each_iteration else 0])
            buf = []
            for e in items:
                if len(buf) < buffer_size:
                    buf.append(e)
                    continue
                i = int(rng.integers(len(buf)))
                yield buf[i]
                buf[i] = e
            while buf:
                yield buf.pop(int(rng.integers(len(buf))))
        return self._derive(lambda: shuffled(self._make()), self._cardinality,
                            self._parent_spec, self._row_stream(shuffled))

    def repeat(self, count=None, name=None):
        """Iterate the dataset `count` times (forever if None or -1)."""
        count = None if count is None or int(count) < 0 else int(count)

        def make():
            for _ in (itertools.count() if count is None else range(count)):
                empty = True
                for e in self._make():
                    empty = False
                    yield e
                if empty:
                    return
        c = self._cardinality
        if count is None:
            c = INFINITE_CARDINALITY if c != 0 else 0
        elif c >= 0:
            c *= count

        def epochs(first):   # (row indices: the parent's stream for each repetition)
            if count == 0:
                return
            yield from first
            for _ in (itertools.count() if count is None else range(count - 1)):
                yield from self._rows.stream()
        return self._derive(make, c, self._parent_spec, self._row_stream(epochs))

    def take(self, count, name=None):
        """The first `count` elements (all if -1)."""
        count = int(count)
        if count < 0:
            return self
        c = self._cardinality
        c = min(c, count) if c >= 0 else (count if c == INFINITE_CARDINALITY else c)
        return self._derive(lambda: itertools.islice(self._make(), count), c, self._parent_spec,
                            self._row_stream(lambda it: itertools.islice(it, count)))

    def skip(self, count, name=None):
        """All but the first `count` elements."""
        count = int(count)
        c = self._cardinality
        if c >= 0:
            c = max(c - count, 0) if count >= 0 else 0
        if count < 0:
            return self._derive(lambda: iter(()), 0, self._parent_spec)
        return self._derive(lambda: itertools.islice(self._make(), count, None), c,
                            self._parent_spec,
                            self._row_stream(lambda it: itertools.islice(it, count, None)))

    def concatenate(self, dataset, name=None):
        """This dataset's elements, then `dataset`'s."""
        a, b = self._cardinality, dataset._cardinality
        c = a + b if a >= 0 and b >= 0 else (INFINITE_CARDINALITY if INFINITE_CARDINALITY in (a, b)
                                            else UNKNOWN_CARDINALITY)
        return self._derive(lambda: itertools.chain(self._make(), dataset._make()), c, self._parent_spec)

    def enumerate(self, start=0, name=None):
        """(index, element) pairs, the index an int64 scalar.

        >>> import graphflow as tf
        >>> [(int(i), int(v)) for i, v in tf.data.Dataset.range(3, 5).enumerate()]
        [(0, 3), (1, 4)]
        """
        def make():
            for i, e in enumerate(self._make(), start):
                yield convert_to_tensor(np.int64(i)), e
        return self._derive(make, self._cardinality,
                            lambda: (TensorSpec((), _dt.int64), self.element_spec))

    def cache(self, filename="", name=None):
        """Keep the elements of the first complete iteration; later iterations read them
        instead of re-running the pipeline. In memory, or with `filename` in the files
        `filename.data` (TFRecords of the elements' TensorProtos) and `filename.index` (their
        structure), written when that iteration completes and read by any later iteration or
        process that finds them (as TF's file cache).

        >>> import graphflow as tf, os, tempfile
        >>> f = os.path.join(tempfile.mkdtemp(), "cache")
        >>> runs = []
        >>> def gen():
        ...     runs.append(1)
        ...     yield from range(3)
        >>> ds = tf.data.Dataset.from_generator(gen, output_types=tf.int64).cache(f)
        >>> [int(v) for v in ds] == [int(v) for v in ds] == [0, 1, 2], len(runs)
        (True, 1)
        >>> sorted(os.listdir(os.path.dirname(f)))
        ['cache.data', 'cache.index']
        """
        store = {}
        path = os.fspath(filename) if not isinstance(filename, (Tensor, bytes)) else \
            _files.as_path(filename, "Dataset.cache")

        def make():
            if "elements" in store:
                yield from store["elements"]
                return
            if path and os.path.exists(path + ".index"):
                yield from _read_elements(path + ".data", path + ".index", "")
                return
            seen = []
            for e in self._make():
                seen.append(e)
                yield e
            if path:
                _write_elements(seen, path + ".data", path + ".index")
            else:
                store["elements"] = seen
        return self._derive(make, self._cardinality, self._parent_spec)

    def snapshot(self, path, compression="AUTO", reader_func=None, shard_func=None, name=None):
        """Persist the dataset under the directory `path` (the `save` format): the first
        complete iteration writes it, later iterations and processes read it back
        (`reader_func` as in `load`).

        >>> import graphflow as tf, tempfile
        >>> d = tempfile.mkdtemp()
        >>> ds = tf.data.Dataset.range(3).map(lambda x: x * 3).snapshot(d)
        >>> [int(v) for v in ds], [int(v) for v in tf.data.Dataset.load(d)]
        ([0, 3, 6], [0, 3, 6])
        """
        path = os.fspath(path)
        comp = None if compression in ("AUTO", None) else compression

        def make():
            if os.path.exists(os.path.join(path, "dataset_spec.json")):
                yield from Dataset.load(path, compression=comp, reader_func=reader_func)._make()
                return
            seen = []
            for e in self._make():
                seen.append(e)
                yield e
            if seen:   # (an empty dataset has no structure to write)
                Dataset(lambda: iter(seen), len(seen), spec_of(seen[0])).save(path, comp,
                                                                              shard_func)
        return self._derive(make, self._cardinality, self._parent_spec)

    def prefetch(self, buffer_size=AUTOTUNE, name=None):
        """Produce up to `buffer_size` elements ahead in a background thread (AUTOTUNE: 2).
        The values are the same as without it."""
        size = 2 if buffer_size is None or int(buffer_size) < 0 else max(int(buffer_size), 1)

        def make():
            q = queue.Queue(size)
            done, stop = object(), threading.Event()

            def work():
                try:
                    for e in self._make():
                        while not stop.is_set():
                            try:
                                q.put(("ok", e), timeout=0.1)
                                break
                            except queue.Full:
                                continue
                        if stop.is_set():
                            return
                    q.put(("ok", done))
                except BaseException as exc:   # re-raised in the consumer
                    q.put(("err", exc))
            t = threading.Thread(target=work, daemon=True, name="graphflow-prefetch")
            t.start()
            try:
                while True:
                    kind, item = q.get()
                    if kind == "err":
                        raise item
                    if item is done:
                        return
                    yield item
            finally:
                stop.set()
        return self._derive(make, self._cardinality, self._parent_spec)

    def reduce(self, initial_state, reduce_func, name=None):
        """Fold the elements into a state: `reduce_func(state, element) -> state`.

        >>> import graphflow as tf
        >>> int(tf.data.Dataset.range(5).reduce(tf.constant(0, tf.int64), lambda s, x: s + x))
        10
        """
        state = convert(initial_state)
        for e in self:
            state = convert_output(reduce_func(state, e))
        return state

    def apply(self, transformation_func):
        """`transformation_func(self)`."""
        return transformation_func(self)

    def with_options(self, options, name=None):
        """The same dataset with `options` (a `tf.data.Options`) merged into its options; the
        options are stored and returned by `options()` (graphflow's pipelines run in the
        consumer's thread, with `prefetch` as the only background work).

        >>> import graphflow as tf
        >>> o = tf.data.Options(); o.deterministic = False
        >>> tf.data.Dataset.range(3).with_options(o).options().deterministic
        False
        """
        if not isinstance(options, Options):
            raise TypeError(f"with_options: expected a tf.data.Options, got {options!r}")
        merged = self.options().merge(options)
        return Dataset(self._make, self._cardinality, self._spec, merged)

    def options(self):
        """The `tf.data.Options` of this dataset (set with `with_options`).

        >>> import graphflow as tf
        >>> tf.data.Dataset.range(3).options().deterministic is None
        True
        """
        return self._options if self._options is not None else Options()

    # ---- more sources -----------------------------------------------------------------------
    @staticmethod
    def list_files(file_pattern, shuffle=None, seed=None, name=None):
        """The file names matching `file_pattern` (a glob, or a list of them), as strings;
        shuffled unless `shuffle=False` (then sorted). No match raises InvalidArgumentError.

        >>> import graphflow as tf
        >>> tf.data.Dataset.list_files("/nonexistent/*")
        Traceback (most recent call last):
        ...
        graphflow.errors.InvalidArgumentError: Dataset.list_files: expect at least one file matching '/nonexistent/*'
        """
        names = _files.matching_files(file_pattern)
        if int(names.shape[0]) == 0:
            raise InvalidArgumentError(f"Dataset.list_files: expect at least one file matching "
                                       f"{file_pattern!r}")
        ds = Dataset.from_tensor_slices(names)
        if shuffle is None or shuffle:
            ds = ds.shuffle(int(names.shape[0]), seed=seed)
        return ds

    @staticmethod
    def random(seed=None, rerandomize_each_iteration=None, name=None):
        """An endless dataset of pseudo-random int64 values; with `seed`, every iteration gives
        the same sequence unless `rerandomize_each_iteration`.

        >>> import graphflow as tf
        >>> a = list(tf.data.Dataset.random(seed=4).take(3).as_numpy_iterator())
        >>> a == list(tf.data.Dataset.random(seed=4).take(3).as_numpy_iterator())
        True
        """
        epoch = itertools.count()
        base = np.random.SeedSequence().entropy if seed is None else int(seed)

        def make():
            rng = np.random.default_rng(
                [base, next(epoch) if (rerandomize_each_iteration or seed is None) else 0])
            while True:
                for v in rng.integers(np.iinfo(np.int64).min, np.iinfo(np.int64).max, 64,
                                      dtype=np.int64, endpoint=True):
                    yield convert_to_tensor(v)
        return Dataset(make, INFINITE_CARDINALITY, TensorSpec((), _dt.int64))

    @staticmethod
    def counter(start=0, step=1, dtype=_dt.int64, name=None):
        """`tf.data.experimental.Counter`: start, start + step, ... forever.

        >>> import graphflow as tf
        >>> [int(v) for v in tf.data.experimental.Counter(start=2, step=5).take(3)]
        [2, 7, 12]
        """
        dt = _dt.as_dtype(dtype)

        def make():
            for i in itertools.count(start, step):
                yield convert_to_tensor(np.asarray(i, dt.np))
        return Dataset(make, INFINITE_CARDINALITY, TensorSpec((), dt))

    @staticmethod
    def sample_from_datasets(datasets, weights=None, seed=None, stop_on_empty_dataset=False,
                             rerandomize_each_iteration=None):
        """Elements drawn at random from `datasets`, dataset i with probability `weights[i]`
        (uniform if None). An exhausted dataset drops out (its weight is shared by the rest)
        unless `stop_on_empty_dataset`, which ends the result there.

        >>> import graphflow as tf
        >>> ds = tf.data.Dataset.sample_from_datasets(
        ...     [tf.data.Dataset.range(0, 3), tf.data.Dataset.range(10, 13)], seed=1)
        >>> sorted(int(v) for v in ds)
        [0, 1, 2, 10, 11, 12]
        """
        datasets = list(datasets)
        if not datasets:
            raise ValueError("sample_from_datasets: no datasets given")
        w = np.ones(len(datasets)) if weights is None else np.asarray(
            weights.numpy() if isinstance(weights, Tensor) else weights, np.float64)
        if w.shape != (len(datasets),) or (w < 0).any():
            raise ValueError(f"sample_from_datasets: weights {w.tolist()} must be "
                             f"{len(datasets)} non-negative numbers, one per dataset")
        epoch = itertools.count()
        base = np.random.SeedSequence().entropy if seed is None else int(seed)

        def make():
            rng = np.random.default_rng(
                [base, next(epoch) if (rerandomize_each_iteration or seed is None) else 0])
            its = [d._make() for d in datasets]
            live = w.copy()
            while live.sum() > 0:
                i = int(rng.choice(len(its), p=live / live.sum()))
                try:
                    yield next(its[i])
                except StopIteration:
                    if stop_on_empty_dataset:
                        return
                    live[i] = 0
        cards = [d._cardinality for d in datasets]
        card = INFINITE_CARDINALITY if all(c == INFINITE_CARDINALITY for c in cards) else \
            UNKNOWN_CARDINALITY
        return Dataset(make, card, lambda: datasets[0].element_spec)

    @staticmethod
    def choose_from_datasets(datasets, choice_dataset, stop_on_empty_dataset=True):
        """Element i comes from `datasets[choice_i]`, where `choice_dataset` yields int64
        scalars. An exhausted chosen dataset ends the result if `stop_on_empty_dataset`, and is
        skipped otherwise.

        >>> import graphflow as tf
        >>> datasets = [tf.data.Dataset.from_tensors("foo").repeat(),
        ...             tf.data.Dataset.from_tensors("bar").repeat(),
        ...             tf.data.Dataset.from_tensors("baz").repeat()]
        >>> choice = tf.data.Dataset.range(3).repeat(2)
        >>> [v.decode() for v in tf.data.Dataset.choose_from_datasets(datasets, choice)
        ...  .as_numpy_iterator()]
        ['foo', 'bar', 'baz', 'foo', 'bar', 'baz']
        """
        datasets = list(datasets)

        def make():
            its = [d._make() for d in datasets]
            done = [False] * len(its)
            for c in choice_dataset._make():
                if not isinstance(c, Tensor) or c.dtype != _dt.int64 or c.shape.rank != 0:
                    raise TypeError("choose_from_datasets: choice_dataset must yield int64 "
                                    f"scalars, got {c!r}")
                i = int(c)
                if not 0 <= i < len(its):
                    raise InvalidArgumentError(f"choose_from_datasets: choice {i} is out of "
                                               f"range for {len(its)} datasets")
                if done[i]:
                    continue
                try:
                    yield next(its[i])
                except StopIteration:
                    if stop_on_empty_dataset:
                        return
                    done[i] = True
                    if all(done):
                        return
        return Dataset(make, UNKNOWN_CARDINALITY, lambda: datasets[0].element_spec)

    @staticmethod
    def load(path, element_spec=None, compression=None, reader_func=None):
        """A dataset written by `Dataset.save` (its shards read in order, or as
        `reader_func(dataset of shard datasets)` returns).

        >>> import graphflow as tf, tempfile
        >>> d = tempfile.mkdtemp()
        >>> tf.data.Dataset.range(3).map(lambda x: (x, x * 2)).save(d)
        >>> [(int(a), int(b)) for a, b in tf.data.Dataset.load(d)]
        [(0, 0), (1, 2), (2, 4)]
        """
        path = os.fspath(path)
        meta_path = os.path.join(path, "dataset_spec.json")
        if not os.path.exists(meta_path):
            raise InvalidArgumentError(f"Dataset.load: {path} holds no saved dataset "
                                       "(no dataset_spec.json)")
        with open(meta_path) as f:
            meta = json.load(f)
        spec = element_spec if element_spec is not None else spec_from_json(meta["spec"])
        comp = _tfrecord.compression_of(compression if compression is not None
                                        else meta.get("compression"))

        def shard(fn):
            return Dataset(lambda: _decode_records(os.path.join(path, fn), comp, spec),
                           UNKNOWN_CARDINALITY, spec)
        shards = [shard(fn) for fn in meta["shards"]]
        if reader_func is not None:
            return reader_func(Dataset(lambda: iter(shards), len(shards)))

        def make_all():
            for s in shards:
                yield from s._make()
        return Dataset(make_all, meta.get("cardinality", UNKNOWN_CARDINALITY), spec)

    def save(self, path, compression=None, shard_func=None, checkpoint_args=None):
        """Write the dataset to the directory `path` for `Dataset.load`: a JSON description
        of the element structure and TFRecord shards holding each element's tensors as
        `TensorProto`s (`shard_func(element) -> int64` picks the shard; default one).

        >>> import graphflow as tf, os, tempfile
        >>> d = tempfile.mkdtemp()
        >>> tf.data.Dataset.range(4).save(d, shard_func=lambda x: x % 2)
        >>> sorted(os.listdir(d))
        ['dataset_spec.json', 'shard_00000.tfrecord', 'shard_00001.tfrecord']
        """
        path = os.fspath(path)
        os.makedirs(path, exist_ok=True)
        comp = _tfrecord.compression_of(compression)
        writers, count, spec = {}, 0, None
        try:
            for e in self:
                if spec is None:
                    spec = spec_of(e)
                k = 0 if shard_func is None else int(call_unpacked(shard_func, e))
                if k not in writers:
                    writers[k] = _tfrecord.TFRecordWriter(
                        os.path.join(path, f"shard_{k:05d}.tfrecord"), comp)
                writers[k].write(_encode_element(e))
                count += 1
        finally:
            for w in writers.values():
                w.close()
        if spec is None:
            spec = self._spec
        meta = {"spec": spec_to_json(spec), "cardinality": count, "compression": comp,
                "shards": [f"shard_{k:05d}.tfrecord" for k in sorted(writers)]}
        with open(os.path.join(path, "dataset_spec.json"), "w") as f:
            json.dump(meta, f)

    # ---- more transformations -----------------------------------------------------------
    def padded_batch(self, batch_size, padded_shapes=None, padding_values=None,
                     drop_remainder=False, name=None):
        """Batch elements of different shapes: each component is padded to `padded_shapes`
        (None dims, or no `padded_shapes`: the largest size in the batch) with
        `padding_values` (default 0, or b"" for strings; one scalar applies to all).

        >>> import graphflow as tf
        >>> A = tf.data.Dataset.range(1, 5, output_type=tf.int32).map(lambda x: tf.fill([x], x))
        >>> [b.tolist() for b in A.padded_batch(2).as_numpy_iterator()]
        [[[1, 0], [2, 2]], [[3, 3, 3, 0], [4, 4, 4, 4]]]
        >>> [b.tolist() for b in A.padded_batch(2, padded_shapes=5, padding_values=-1)
        ...  .as_numpy_iterator()][0]
        [[1, -1, -1, -1, -1], [2, 2, -1, -1, -1]]
        """
        what = _where("padded_batch")
        n = _batch_size(batch_size, what)
        return self._grouped(
            n, drop_remainder, lambda buf: pad_stack(buf, what, padded_shapes, padding_values),
            lambda: map_structure(lambda s: TensorSpec(
                (n if drop_remainder else None,) + (None,) * len(s.shape), s.dtype),
                self.element_spec))

    def ragged_batch(self, batch_size, drop_remainder=False, row_splits_dtype=_dt.int64,
                     name=None):
        """Batch elements of different shapes into RaggedTensors (scalar components into
        dense vectors).

        >>> import graphflow as tf
        >>> ds = tf.data.Dataset.range(6).map(lambda x: tf.range(x)).ragged_batch(2)
        >>> [b.to_list() for b in ds]
        [[[], [0]], [[0, 1], [0, 1, 2]], [[0, 1, 2, 3], [0, 1, 2, 3, 4]]]
        """
        n = _batch_size(batch_size, _where("ragged_batch"))
        splits_dt = _dt.as_dtype(row_splits_dtype)
        # TF: a component of fully known shape batches densely; otherwise it becomes ragged up
        # to its last unknown dim (ragged_rank), the known dims after it stay uniform
        size = n if drop_remainder else None

        def ranks():
            return [_ragged_rank_of(s) for s in flatten(self.element_spec)[0]]

        def out_spec():
            leaves, rebuild = flatten(self.element_spec)
            return rebuild([_batched_spec(s, size) if r is None else
                            RaggedTensorSpec([size] + list(s.shape), s.dtype, r, splits_dt)
                            for s, r in zip(leaves, ranks())])
        def combine(buf):
            # a spec taken from one traced element may call a varying shape fixed: ragged then
            cols = zip(*(flatten(e)[0] for e in buf))
            flags = [r if r is not None or len({tuple(t.shape) for t in col}) == 1 else True
                     for r, col in zip(ranks(), cols)]
            return stack(buf, "ragged_batch", ragged=flags, splits_dtype=splits_dt)
        return self._grouped(n, drop_remainder, combine, out_spec)

    def window(self, size, shift=None, stride=1, drop_remainder=False, name=None):
        """A dataset of windows: window k holds the input elements k*shift + i*stride for
        i < size (shift defaults to size). Each window is a structure of Datasets like the
        elements (a tuple element gives a tuple of datasets). Windows at the end may be
        shorter unless `drop_remainder`.

        >>> import graphflow as tf
        >>> [[int(v) for v in w] for w in tf.data.Dataset.range(7).window(3, 2)]
        [[0, 1, 2], [2, 3, 4], [4, 5, 6], [6]]
        >>> [[int(v) for v in w] for w in tf.data.Dataset.range(7).window(3, 1, 2, True)]
        [[0, 2, 4], [1, 3, 5], [2, 4, 6]]
        """
        size, stride = int(size), int(stride)
        shift = size if shift is None else int(shift)
        if size <= 0 or shift <= 0 or stride <= 0:
            raise ValueError(f"window: size ({size}), shift ({shift}) and stride ({stride}) "
                             "must be positive")

        def as_datasets(items):
            leaves = [flatten(e)[0] for e in items]
            rebuild = flatten(items[0])[1]
            out = []
            for col in zip(*leaves):
                col = list(col)
                out.append(Dataset(lambda col=col: iter(col), len(col), spec_of(col[0])))
            return rebuild(out)

        def make():
            it = self._make()
            buf, base, start, exhausted = collections.deque(), 0, 0, False
            while True:
                need = start + (size - 1) * stride
                while not exhausted and base + len(buf) <= need:
                    try:
                        buf.append(next(it))
                    except StopIteration:
                        exhausted = True
                got = [buf[i - base] for i in range(start, need + 1, stride)
                       if i - base < len(buf)]
                if not got or (drop_remainder and len(got) < size):
                    return
                yield as_datasets(got)
                start += shift
                while buf and base < start:
                    buf.popleft()
                    base += 1
                if exhausted and base > start:
                    return
        return self._derive(make, UNKNOWN_CARDINALITY)

    def flat_map(self, map_func, name=None):
        """`map_func(element)` returns a Dataset; their elements, one dataset after another.

        >>> import graphflow as tf
        >>> ds = tf.data.Dataset.from_tensor_slices([[1, 2], [3, 4]])
        >>> [int(v) for v in ds.flat_map(tf.data.Dataset.from_tensor_slices)]
        [1, 2, 3, 4]
        """
        def make():
            for e in self._make():
                yield from _as_dataset(call_unpacked(map_func, e), "flat_map")._make()
        return self._derive(make, UNKNOWN_CARDINALITY)

    def interleave(self, map_func, cycle_length=None, block_length=None,
                   num_parallel_calls=None, deterministic=None, name=None):
        """Interleave the datasets `map_func(element)`: `cycle_length` of them are open at a
        time, and `block_length` consecutive elements are taken from each in turn (TF's order;
        `num_parallel_calls` is accepted, the order is always the deterministic one).

        >>> import graphflow as tf
        >>> ds = tf.data.Dataset.range(1, 6).interleave(
        ...     lambda x: tf.data.Dataset.from_tensors(x).repeat(6), cycle_length=2, block_length=4)
        >>> [int(v) for v in ds]   # doctest: +NORMALIZE_WHITESPACE
        [1, 1, 1, 1, 2, 2, 2, 2, 1, 1, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 3, 3, 4, 4, 5, 5, 5, 5,
         5, 5]
        """
        cycle = os.cpu_count() or 1 if cycle_length is None or int(cycle_length) < 0 else \
            int(cycle_length)
        block = 1 if block_length is None else int(block_length)
        if cycle <= 0 or block <= 0:
            raise ValueError(f"interleave: cycle_length ({cycle}) and block_length ({block}) "
                             "must be positive")

        def make():
            inputs = self._make()
            slots = [None] * cycle
            idx = taken = n_open = 0
            end_of_input = False
            while not end_of_input or n_open:
                if slots[idx] is not None:
                    try:
                        e = next(slots[idx])
                    except StopIteration:
                        slots[idx] = None
                        n_open -= 1
                        idx, taken = (idx + 1) % cycle, 0
                        continue
                    yield e
                    taken += 1
                    if taken == block:
                        idx, taken = (idx + 1) % cycle, 0
                elif not end_of_input:
                    try:
                        x = next(inputs)
                    except StopIteration:
                        end_of_input = True
                        continue
                    slots[idx] = _as_dataset(call_unpacked(map_func, x), "interleave")._make()
                    n_open += 1
                else:
                    idx, taken = (idx + 1) % cycle, 0
        return self._derive(make, UNKNOWN_CARDINALITY)

    def scan(self, initial_state, scan_func, name=None):
        """A running state: `scan_func(state, element) -> (new_state, output)`; the outputs.

        >>> import graphflow as tf
        >>> ds = tf.data.Dataset.range(10).scan(tf.constant(0, tf.int64),
        ...                                     lambda state, i: (state + i, state + i))
        >>> [int(v) for v in ds]
        [0, 1, 3, 6, 10, 15, 21, 28, 36, 45]
        """
        init = convert(initial_state)
        fn = ElementFunction(scan_func, "scan", unpack=False)

        def make():
            state = init
            for e in self._make():
                out = fn(state, e)
                if not isinstance(out, tuple) or len(out) != 2:
                    raise TypeError("scan: scan_func must return a pair (new_state, "
                                    f"output_element), got {out!r}")
                new_state, value = out
                if [a.dtype for a in flatten(new_state)[0]] != \
                        [b.dtype for b in flatten(state)[0]]:
                    raise TypeError(f"scan: the new state {new_state!r} does not have the "
                                    f"structure and dtypes of the initial state {init!r}")
                state = new_state
                yield value
        return self._derive(make, self._cardinality)

    def group_by_window(self, key_func, reduce_func, window_size=None, window_size_func=None,
                        name=None):
        """Group elements by `key_func(element)` (an int64 scalar); a group that reaches its
        window size (`window_size`, or `window_size_func(key)`) becomes the dataset
        `reduce_func(key, window_dataset)`, whose elements are emitted; at the end the
        remaining groups are reduced in key order.

        >>> import graphflow as tf
        >>> ds = tf.data.Dataset.range(10).group_by_window(
        ...     key_func=lambda x: x % 2, reduce_func=lambda key, ds: ds.batch(5), window_size=5)
        >>> [b.tolist() for b in ds.as_numpy_iterator()]
        [[0, 2, 4, 6, 8], [1, 3, 5, 7, 9]]
        """
        if (window_size is None) == (window_size_func is None):
            raise ValueError("group_by_window: give exactly one of window_size and "
                             "window_size_func")
        key_fn = ElementFunction(key_func, "group_by_window key_func")

        def flush(key, items):
            ds = Dataset(lambda items=items: iter(items), len(items), spec_of(items[0]))
            return _as_dataset(reduce_func(convert_to_tensor(np.int64(key)), ds),
                               "group_by_window")._make()

        def make():
            groups = {}
            for e in self._make():
                k = key_fn(e)
                if not isinstance(k, Tensor) or k.dtype != _dt.int64 or k.shape.rank != 0:
                    raise TypeError(f"group_by_window: key_func must return an int64 scalar, "
                                    f"got {k!r}")
                k = int(k)
                size = window_size if window_size_func is None else window_size_func(
                    convert_to_tensor(np.int64(k)))
                groups.setdefault(k, []).append(e)
                if len(groups[k]) >= int(size):
                    yield from flush(k, groups.pop(k))
            for k in sorted(groups):
                yield from flush(k, groups[k])
        return self._derive(make, UNKNOWN_CARDINALITY)

    def bucket_by_sequence_length(self, element_length_func, bucket_boundaries,
                                  bucket_batch_sizes, padded_shapes=None, padding_values=None,
                                  pad_to_bucket_boundary=False, no_padding=False,
                                  drop_remainder=False, name=None):
        """Batch elements of similar length together: `element_length_func(element)` puts an
        element in the bucket b with boundaries[b-1] <= length < boundaries[b]; each bucket
        is padded-batched with its `bucket_batch_sizes[b]` (TF's group_by_window recipe).

        >>> import graphflow as tf
        >>> elements = [[0], [1, 2, 3, 4], [5, 6, 7], [7, 8, 9, 10, 11], [13, 14, 15, 16, 19, 20],
        ...             [21, 22]]
        >>> ds = tf.data.Dataset.from_generator(lambda: elements, tf.int64, output_shapes=[None])
        >>> ds = ds.bucket_by_sequence_length(lambda e: tf.shape(e)[0], [3, 5], [2, 2, 2])
        >>> [b.tolist() for b in ds.as_numpy_iterator()]
        [[[1, 2, 3, 4], [5, 6, 7, 0]], [[7, 8, 9, 10, 11, 0], [13, 14, 15, 16, 19, 20]], [[0, 0], [21, 22]]]
        """
        boundaries = [int(b) for b in bucket_boundaries]
        sizes = [int(b) for b in bucket_batch_sizes]
        if len(sizes) != len(boundaries) + 1:
            raise ValueError(f"bucket_by_sequence_length: len(bucket_batch_sizes) "
                             f"({len(sizes)}) must be len(bucket_boundaries) + 1 "
                             f"({len(boundaries) + 1})")
        edges = np.array(boundaries)
        length_fn = ElementFunction(element_length_func, "bucket_by_sequence_length")

        def key(*args):
            n = int(length_fn(args[0] if len(args) == 1 else args))
            return convert_to_tensor(np.int64(np.searchsorted(edges, n, side="right")))

        def reduce(bucket, ds):
            b = int(bucket)
            if no_padding:
                return ds.batch(sizes[b], drop_remainder=drop_remainder)
            shapes = padded_shapes
            if pad_to_bucket_boundary:
                if b == len(boundaries):
                    raise InvalidArgumentError(
                        "bucket_by_sequence_length: with pad_to_bucket_boundary=True, elements "
                        f"must have length < max(bucket_boundaries) = {boundaries[-1]}")
                spec = ds.element_spec
                shapes = map_structure(lambda s: [boundaries[b] - 1] + [None] * (
                    len(s.shape) - 1), spec) if shapes is None else shapes
            return ds.padded_batch(sizes[b], shapes, padding_values, drop_remainder)
        return self.group_by_window(key, reduce, window_size_func=lambda b: sizes[int(b)])

    def rejection_resample(self, class_func, target_dist, initial_dist=None, seed=None,
                           name=None):
        """Resample to the class distribution `target_dist`: yields (class, element) pairs,
        keeping an element of class c with probability proportional to target[c] / initial[c]
        (`initial_dist`, or estimated from the classes seen so far).

        >>> import graphflow as tf
        >>> ds = tf.data.Dataset.from_tensor_slices([0] * 90 + [1] * 10).repeat()
        >>> ds = ds.rejection_resample(lambda x: x, [0.5, 0.5], [0.9, 0.1], seed=0)
        >>> labels = [int(c) for c, _ in ds.take(400)]
        >>> 0.4 < sum(labels) / 400 < 0.6
        True
        """
        target = np.asarray(target_dist.numpy() if isinstance(target_dist, Tensor)
                            else target_dist, np.float64)
        initial = None if initial_dist is None else np.asarray(
            initial_dist.numpy() if isinstance(initial_dist, Tensor) else initial_dist, np.float64)
        class_fn = ElementFunction(class_func, "rejection_resample")
        epoch = itertools.count()
        base = np.random.SeedSequence().entropy if seed is None else int(seed)

        def make():
            rng = np.random.default_rng([base, next(epoch)])
            counts = np.zeros(len(target))
            for e in self._make():
                cls = convert_to_tensor(class_fn(e))   # TF keeps class_func's dtype
                c = int(cls)
                if not 0 <= c < len(target):
                    raise InvalidArgumentError(f"rejection_resample: class {c} is out of range "
                                               f"for target_dist of {len(target)} classes")
                counts[c] += 1
                init = initial if initial is not None else counts / counts.sum()
                with np.errstate(divide="ignore", invalid="ignore"):
                    ratio = np.where(init > 0, target / init, 0.0)
                if rng.random() < ratio[c] / ratio.max():
                    yield cls, e
        return self._derive(make, UNKNOWN_CARDINALITY)

    def assert_cardinality(self, expected_cardinality, name=None):
        """The same elements, checking while iterating that there are exactly
        `expected_cardinality` of them (which `cardinality()` then reports).

        >>> import graphflow as tf
        >>> ds = tf.data.Dataset.range(5).filter(lambda x: x < 3).assert_cardinality(3)
        >>> int(ds.cardinality()), len(list(ds))
        (3, 3)
        """
        n = int(expected_cardinality)
        what = _where("assert_cardinality")

        def make():
            count = 0
            for e in self._make():
                count += 1
                if n >= 0 and count > n:
                    raise _broken_promise(what, f"input dataset was expected to contain {n} "
                                           "elements but contained at least "
                                           f"{count} elements")
                yield e
            if n >= 0 and count < n:
                raise _broken_promise(what, f"input dataset was expected to contain {n} "
                                       f"elements but contained only {count} elements")
        return self._derive(make, n, self._parent_spec)

    def get_single_element(self, name=None):
        """The only element of a one-element dataset (InvalidArgumentError otherwise).

        >>> import graphflow as tf
        >>> int(tf.data.Dataset.from_tensors(7).get_single_element())
        7
        """
        it = self._make()
        try:
            first = next(it)
        except StopIteration:
            raise InvalidArgumentError("get_single_element: Dataset was empty.") from None
        for _ in it:
            raise InvalidArgumentError("get_single_element: Dataset had more than one element.")
        return first

    def shard(self, num_shards, index, name=None):
        """Every `num_shards`-th element, starting at `index`.

        >>> import graphflow as tf
        >>> [int(v) for v in tf.data.Dataset.range(10).shard(3, 1)]
        [1, 4, 7]
        """
        n, i = int(num_shards), int(index)
        if n <= 0 or not 0 <= i < n:
            raise InvalidArgumentError(f"shard: index {i} must be in [0, num_shards={n})")
        c = self._cardinality
        if c >= 0:
            c = (c - i + n - 1) // n if c > i else 0
        return self._derive(lambda: itertools.islice(self._make(), i, None, n), c, self._parent_spec)

    def unique(self, name=None):
        """The elements (scalars) without repeats, in first-seen order.

        >>> import graphflow as tf
        >>> [int(v) for v in tf.data.Dataset.from_tensor_slices([1, 37, 2, 37, 2, 1]).unique()]
        [1, 37, 2]
        """
        def make():
            seen = set()
            for e in self._make():
                k = np.asarray(e._value).item()
                if k not in seen:
                    seen.add(k)
                    yield e
        return self._derive(make, UNKNOWN_CARDINALITY, self._parent_spec)

    def take_while(self, predicate, name=None):
        """Elements while `predicate(element)` is True.

        >>> import graphflow as tf
        >>> [int(v) for v in tf.data.Dataset.range(10).take_while(lambda x: x < 3)]
        [0, 1, 2]
        """
        fn = ElementFunction(predicate, "take_while", output=lambda x: x)

        def make():
            for e in self._make():
                if not bool(np.asarray(fn(e))):
                    return
                yield e
        return self._derive(make, UNKNOWN_CARDINALITY, self._parent_spec)

    def ignore_errors(self, log_warning=False, name=None):
        """Drop the elements whose `map` / `filter` function raises an error, and go on (TF's
        ignore_errors; an error raised elsewhere, e.g. by a reader, ends the dataset).

        >>> import graphflow as tf
        >>> ds = tf.data.Dataset.from_tensor_slices(["1", "x", "3"]).map(tf.strings.to_number)
        >>> [float(v) for v in ds.ignore_errors()]
        [1.0, 3.0]
        """
        def make():
            it = self._make()
            while True:
                # map/filter upstream see the flag while they compute this element (generators
                # run in the context of the next() call) and drop an element that raises
                token = _IGNORING_ERRORS.set(True)
                try:
                    e = next(it)
                except StopIteration:
                    return
                except Exception:   # noqa: BLE001 - raised elsewhere: the pipeline is over
                    return
                finally:
                    _IGNORING_ERRORS.reset(token)
                yield e
        return self._derive(make, UNKNOWN_CARDINALITY, self._parent_spec)



class Iterator:
    """`iter(dataset)` in eager mode (TF's `tf.data.Iterator`): `next(it)` / `it.get_next()`,
    and a position that `tf.train.Checkpoint(iterator=it)` saves and restores. Restoring runs
    the pipeline again from its start up to that element: exact for deterministic pipelines (a
    `shuffle` with a seed included); an unseeded shuffle draws a new order (TF restores its
    buffer).

    >>> import graphflow as tf
    >>> it = iter(tf.data.Dataset.range(5))
    >>> int(next(it)), int(it.get_next())
    (0, 1)
    >>> it._restore_checkpoint_state(np.array(4)); int(next(it))
    4
    """

    #: the suffix of its checkpoint key (TF's)
    CHECKPOINT_KEY = ".ATTRIBUTES/ITERATOR_STATE"

    def __init__(self, dataset):
        self._dataset, self._it, self._position = dataset, dataset._make(), 0
        self._pushback = []

    def __iter__(self):
        return self

    def __next__(self):
        if _state.current().graph is not None:   # inside @function: pull at run time
            return self._traced_next()
        if self._pushback:   # the element a trace read to learn its shapes
            self._position += 1
            return self._pushback.pop()
        x = next(self._it)
        self._position += 1
        return x

    def _traced_next(self):
        """`next(iterator)` while tracing, as TF's IteratorGetNext: a stateful node that takes
        the next element each time the function runs (OutOfRangeError at the end)."""
        leaves, rebuild = flatten(self.element_spec)
        if not all(type(s) is TensorSpec for s in leaves):
            raise NotImplementedError(
                f"next(iterator) inside @function at {user_source()}: elements with "
                f"composite components ({self.element_spec}) are read eagerly only; iterate "
                "outside the function and pass the element in")
        learning = [True]   # the trace may run `pull` once to learn unknown dims

        def pull():
            try:
                e = next(self)
            except StopIteration:
                raise OutOfRangeError("End of sequence (the dataset iterator passed to the "
                                      "@function is exhausted)") from None
            if learning[0]:   # keep that element for the first run
                self._pushback.append(e)
                self._position -= 1
            return [np.asarray(t._value) for t in flatten(e)[0]]
        outs = numpy_function(pull, [], [TensorSpec(s.shape, s.dtype) for s in leaves])
        learning[0] = False
        return rebuild(outs)

    def get_next(self):
        """The next element (raises `StopIteration` at the end, as `next`)."""
        return next(self)

    def get_next_as_optional(self):
        """The next element as a `tf.experimental.Optional`, empty at the end. Inside
        @function a read when the function runs: `has_value()` is then a bool tensor and the
        value holds zeros (no rows where a dim is unknown) after the end.

        >>> import graphflow as tf
        >>> it = iter(tf.data.Dataset.range(1))
        >>> [bool(it.get_next_as_optional().has_value()) for _ in range(2)]
        [True, False]
        """
        from .experimental_ops import Optional, get_next_as_optional
        if _state.current().graph is None:
            return get_next_as_optional(self)
        leaves, rebuild = flatten(self.element_spec)
        if not all(type(s) is TensorSpec for s in leaves):
            raise NotImplementedError(
                f"get_next_as_optional inside @function at {user_source()}: elements with "
                f"composite components ({self.element_spec}) are read eagerly only")

        def pull():
            try:
                e = next(self)
            except StopIteration:
                return [np.bool_(False)] + [np.zeros([0 if d is None else d for d in s.shape],
                                                     s.dtype.np) for s in leaves]
            return [np.bool_(True)] + [np.asarray(t._value) for t in flatten(e)[0]]
        outs = numpy_function(pull, [], [TensorSpec([], _dt.bool)] +
                              [TensorSpec(s.shape, s.dtype) for s in leaves], _runtime_dims=True)
        return Optional(rebuild(outs[1:]), self.element_spec, outs[0])

    @property
    def element_spec(self):
        return self._dataset.element_spec

    def _checkpoint_state(self):
        return np.array(self._position, np.int64)

    def _restore_checkpoint_state(self, value):
        n = int(np.asarray(value))
        self._it, self._position, self._pushback = self._dataset._make(), 0, []
        for _ in range(n):
            try:
                next(self)
            except StopIteration:
                raise ValueError(f"restoring a dataset iterator at element {n}: the pipeline "
                                 f"ends after {self._position} elements") from None


def _as_dataset(x, what):
    if not isinstance(x, Dataset):
        raise TypeError(f"{what}: the function must return a tf.data.Dataset, got "
                        f"{type(x).__name__} {x!r}")
    return x


def _spec_or_none(spec):
    """`spec` with constant leaves described, or None (then the first element tells)."""
    return None if spec is None else spec_of(spec)


def _broken_promise(what, message):
    """TF's FailedPreconditionError for a broken dataset promise (an InvalidArgumentError
    here), naming the transformation and where it was made."""
    return InvalidArgumentError(f"{what}: {message}")


def _batch_size(batch_size, what):
    n = int(batch_size)
    if n <= 0:
        raise ValueError(f"{what}: batch_size must be positive, got {n}")
    return n


def _encode_element(e):
    """One record of `save` / `cache` files: the TensorProtos of the element's tensors."""
    return BytesList(value=[_files.serialize_tensor(t).numpy() for t in flatten(e)[0]]) \
        .SerializeToString()


def _decode_records(path, compression, spec):
    """The elements of a TFRecord file of `_encode_element` records, structured as `spec`."""
    leaves, rebuild = flatten(spec)
    for rec in _tfrecord.read_records(path, compression):
        parts = BytesList.FromString(rec).value
        yield rebuild([_files.parse_tensor(b, s.dtype) for b, s in zip(parts, leaves)])


def _write_elements(elements, data_path, index_path):
    """`cache` files: the records, then (renamed into place last) the structure."""
    with _tfrecord.TFRecordWriter(data_path) as w:
        for e in elements:
            w.write(_encode_element(e))
    spec = spec_of(elements[0]) if elements else None
    tmp = index_path + ".tmp"
    with open(tmp, "w") as f:
        json.dump({"spec": None if spec is None else spec_to_json(spec),
                   "count": len(elements)}, f)
    os.replace(tmp, index_path)


def _read_elements(data_path, index_path, compression):
    with open(index_path) as f:
        meta = json.load(f)
    if meta["spec"] is None:
        return iter(())
    return _decode_records(data_path, compression, spec_from_json(meta["spec"]))


def _batched_spec(s, n):
    """The spec of `n` (None: unknown) stacked elements of spec `s`."""
    if isinstance(s, RaggedTensorSpec):
        return RaggedTensorSpec([n] + s.shape.as_list(), s.dtype, s.ragged_rank + 1,
                                s.row_splits_dtype)
    if not isinstance(s, TensorSpec) and hasattr(s, "_gf_specs"):   # an ExtensionType's Spec
        return type(s)._gf_make({k: _batched_spec(v, n) if isinstance(v, TensorSpec) else v
                                 for k, v in s._gf_specs.items()})
    return TensorSpec((n,) + tuple(s.shape), s.dtype)


def _ragged_rank_of(s):
    """The ragged_rank `ragged_batch` gives a component of spec `s` (None: batched densely):
    its last unknown dim's position + 1, counting the new batch axis."""
    if not s.shape.rank:
        return None
    unknown = [i for i, d in enumerate(s.shape.as_list()) if d is None]
    rank = unknown[-1] + 1 if unknown else None
    if isinstance(s, RaggedTensorSpec):   # (ragged_rank 0: rows of a sliced RaggedTensor)
        rank = max(rank or 0, s.ragged_rank + 1)
    return rank


def _unbatched_spec(s):
    if isinstance(s, RaggedTensorSpec):
        return RaggedTensorSpec(s.shape.as_list()[1:], s.dtype, s.ragged_rank - 1,
                                s.row_splits_dtype)
    if isinstance(s, _st.SparseTensorSpec):
        return _st.SparseTensorSpec(s.shape.as_list()[1:], s.dtype)
    if not isinstance(s, TensorSpec) and hasattr(s, "_gf_specs"):   # an ExtensionType's Spec
        return type(s)._gf_make({n: _unbatched_spec(v) if isinstance(v, TensorSpec) else v
                                 for n, v in s._gf_specs.items()})
    return TensorSpec(tuple(s.shape)[1:], s.dtype)
