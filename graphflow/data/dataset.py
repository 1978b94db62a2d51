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
import itertools
import queue
import threading

import numpy as np

from .. import dtypes as _dt
from .. import state as _state
from ..function import Function
from ..nest import flatten
from ..ops import shape_ops as _s
from ..tensor import Tensor, TensorSpec, Variable, convert_to_tensor

__all__ = ["Dataset", "Iterator", "AUTOTUNE", "INFINITE_CARDINALITY", "UNKNOWN_CARDINALITY"]

AUTOTUNE = -1
INFINITE_CARDINALITY = -1
UNKNOWN_CARDINALITY = -2


def _structure(x):
    """Tuples, namedtuples and dicts are structures; everything else (lists included, as in TF)
    is one tensor."""
    if isinstance(x, dict):
        return {k: _structure(v) for k, v in x.items()}
    if isinstance(x, tuple):
        vals = [_structure(v) for v in x]
        return type(x)(*vals) if hasattr(x, "_fields") else tuple(vals)
    if isinstance(x, Tensor):
        return x
    return convert_to_tensor(x)


def _map_structure(fn, x):
    leaves, rebuild = flatten(x)
    return rebuild([fn(v) for v in leaves])


def _spec_of(x):
    return _map_structure(lambda t: TensorSpec(t.shape, t.dtype), x)


def _where(what):
    return f"tf.data.Dataset.{what}"


def _call(fn, element):
    """TF calls a map/filter function with a tuple element unpacked as arguments."""
    if isinstance(element, tuple) and not hasattr(element, "_fields"):
        return fn(*element)
    return fn(element)


def _stack(elements, what):
    """Stack a list of equal-structure elements along a new first axis."""
    cols = list(zip(*[flatten(e)[0] for e in elements]))
    _, rebuild = flatten(elements[0])
    out = []
    for col in cols:
        shapes = {tuple(t.shape) for t in col}
        if len(shapes) > 1:
            raise ValueError(f"{what}: cannot batch elements of different shapes {sorted(shapes)}; "
                             "use padded_batch, or map them to one shape first")
        out.append(convert_to_tensor(np.stack([np.asarray(t._value) for t in col])))
    return rebuild(out)


class Dataset:
    """A re-iterable pipeline of elements (see the module docstring).

    Build one with `from_tensor_slices`, `from_tensors`, `range` or `from_generator`, transform
    it with `map`, `filter`, `batch`, `shuffle`, `repeat`, `take`, `skip`, `cache`, ... and
    iterate it with `for`, `as_numpy_iterator()` or pass it to Keras `fit`.
    """

    def __init__(self, make_iterator, cardinality=UNKNOWN_CARDINALITY, spec=None):
        self._make = make_iterator
        self._cardinality = cardinality
        self._spec = spec

    # ---- sources ------------------------------------------------------------------
    @staticmethod
    def from_tensor_slices(tensors, name=None):
        """One element per slice along the first axis of every component.

        >>> import graphflow as tf
        >>> ds = tf.data.Dataset.from_tensor_slices({"a": [1, 2], "b": [[3, 4], [5, 6]]})
        >>> [{k: v.numpy().tolist() for k, v in e.items()} for e in ds]
        [{'a': 1, 'b': [3, 4]}, {'a': 2, 'b': [5, 6]}]
        """
        value = _structure(tensors)
        leaves, rebuild = flatten(value)
        if not leaves:
            raise ValueError("from_tensor_slices: no tensors given")
        ns = {int(t.shape[0]) if t.ndim else None for t in leaves}
        if None in ns:
            raise ValueError("from_tensor_slices: every component needs a first dimension to slice "
                             f"(got shapes {[tuple(t.shape) for t in leaves]})")
        if len(ns) > 1:
            raise ValueError("from_tensor_slices: components have different first dimensions: "
                             f"{[tuple(t.shape) for t in leaves]}")
        n = ns.pop()
        arrays = [np.asarray(t._value) for t in leaves]

        def make():
            for i in range(n):
                yield rebuild([convert_to_tensor(a[i]) for a in arrays])
        spec = rebuild([TensorSpec(t.shape[1:], t.dtype) for t in leaves])
        return Dataset(make, n, spec)

    @staticmethod
    def from_tensors(tensors, name=None):
        """A dataset of exactly one element, `tensors`.

        >>> import graphflow as tf
        >>> [t.numpy().tolist() for t in tf.data.Dataset.from_tensors([1, 2])]
        [[1, 2]]
        """
        value = _structure(tensors)
        return Dataset(lambda: iter([value]), 1, _spec_of(value))

    @staticmethod
    def range(*args, dtype=_dt.int64, name=None):
        """Like Python's range, as int64 scalars (or `dtype`).

        >>> import graphflow as tf
        >>> [int(v) for v in tf.data.Dataset.range(1, 8, 3)]
        [1, 4, 7]
        """
        r = range(*args)
        dt = _dt.as_dtype(dtype)

        def make():
            for i in r:
                yield convert_to_tensor(np.asarray(i, dt.np))
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
            shapes = output_shapes
            if shapes is None:
                shapes = _map_structure(lambda _: None, output_types)
            ts, _ = flatten(output_types)
            ss = flatten(shapes)[0] if shapes is not None else [None] * len(ts)
            specs = flatten(output_types)[1](
                [TensorSpec(s, t) for t, s in zip(ts, ss)])
        else:
            raise TypeError("from_generator needs output_signature (or output_types)")
        spec_leaves, rebuild = flatten(specs)

        def make():
            for item in generator(*(args or ())):
                leaves = _flatten_up_to(specs, item)
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
        return Dataset(make, card)

    # ---- iteration ----------------------------------------------------------------------
    def __iter__(self):
        if _state.current().graph is not None:
            # inside a trace the loop runs at trace time (it unrolls); its values are constants
            with _state.using(graph=None, tapes=(), adjoint=None):
                elements = list(self._make())
            return iter(elements)
        return Iterator(self)

    def as_numpy_iterator(self):
        """Iterate with numpy values instead of Tensors.

        >>> import graphflow as tf
        >>> [v.item() for v in tf.data.Dataset.range(3).as_numpy_iterator()]
        [0, 1, 2]
        """
        for e in self:
            yield _map_structure(lambda t: t.numpy(), e)

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
        """The structure of TensorSpecs of one element."""
        if self._spec is None:
            first = next(iter(self), None)
            if first is None:
                raise ValueError("element_spec of an empty dataset of unknown structure")
            self._spec = _spec_of(first)
        return self._spec

    def __repr__(self):
        try:
            spec = self.element_spec
        except ValueError:
            spec = "?"
        return f"<Dataset element_spec={spec}>"

    # ---- transformations -----------------------------------------------------------------
    def map(self, map_func, num_parallel_calls=None, deterministic=None, name=None):
        """Apply `map_func` to every element (a tuple element is passed as separate arguments).
        The function is traced once per element signature, as in TF.

        >>> import graphflow as tf
        >>> ds = tf.data.Dataset.from_tensor_slices(([1., 2.], [3., 4.]))
        >>> [float(v) for v in ds.map(lambda x, y: x * y)]
        [3.0, 8.0]
        """
        fn = Function(lambda *a: _structure_out(_call(map_func, a[0] if len(a) == 1 else a)),
                      jit_compile=False, name=getattr(map_func, "__name__", "map_func"))

        def make():
            for e in self._make():
                yield fn(e)
        return Dataset(make, self._cardinality)

    def filter(self, predicate, name=None):
        """Keep the elements where `predicate` is True.

        >>> import graphflow as tf
        >>> [int(v) for v in tf.data.Dataset.range(6).filter(lambda x: x % 2 == 0)]
        [0, 2, 4]
        """
        fn = Function(lambda *a: _call(predicate, a[0] if len(a) == 1 else a), jit_compile=False,
                      name=getattr(predicate, "__name__", "predicate"))

        def make():
            for e in self._make():
                keep = fn(e)
                if not isinstance(keep, (Tensor, bool, np.bool_)) or np.shape(keep) != ():
                    raise TypeError("filter: the predicate must return a scalar bool, got "
                                    f"{keep!r}")
                if bool(np.asarray(keep)):
                    yield e
        return Dataset(make, UNKNOWN_CARDINALITY, self._spec)

    def batch(self, batch_size, drop_remainder=False, num_parallel_calls=None,
              deterministic=None, name=None):
        """Stack `batch_size` consecutive elements; the last, smaller batch is kept unless
        `drop_remainder`.

        >>> import graphflow as tf
        >>> [b.shape.as_list() for b in tf.data.Dataset.range(7).batch(3, drop_remainder=True)]
        [[3], [3]]
        """
        batch_size = int(batch_size)
        if batch_size <= 0:
            raise ValueError(f"batch: batch_size must be positive, got {batch_size}")

        def make():
            buf = []
            for e in self._make():
                buf.append(e)
                if len(buf) == batch_size:
                    yield _stack(buf, "batch")
                    buf = []
            if buf and not drop_remainder:
                yield _stack(buf, "batch")
        c = self._cardinality
        if c >= 0:
            c = c // batch_size if drop_remainder else -(-c // batch_size)
        spec = None
        if self._spec is not None:
            spec = _map_structure(lambda s: TensorSpec(
                (batch_size if drop_remainder else None,) + tuple(s.shape), s.dtype), self._spec)
        return Dataset(make, c, spec)

    def unbatch(self, name=None):
        """Split every element along its first axis (the inverse of `batch`)."""
        def make():
            for e in self._make():
                leaves, rebuild = flatten(e)
                for i in range(int(leaves[0].shape[0])):
                    yield rebuild([convert_to_tensor(np.asarray(t._value)[i]) for t in leaves])
        return Dataset(make, UNKNOWN_CARDINALITY)

    def shuffle(self, buffer_size, seed=None, reshuffle_each_iteration=True, name=None):
        """TF's buffered shuffle: fill a buffer of `buffer_size` elements, emit a random one and
        refill its slot. A full shuffle needs `buffer_size >= ` the dataset size. With `seed`,
        the order is reproducible (per iteration number if `reshuffle_each_iteration`).

        >>> import graphflow as tf
        >>> sorted(int(v) for v in tf.data.Dataset.range(5).shuffle(5, seed=1))
        [0, 1, 2, 3, 4]
        """
        buffer_size = int(buffer_size)
        if buffer_size <= 0:
            raise ValueError(f"shuffle: buffer_size must be positive, got {buffer_size}")
        epoch = itertools.count()
        base = np.random.SeedSequence().entropy if seed is None else int(seed)

        def make():
            rng = np.random.default_rng([base, next(epoch) if reshuffle_each_iteration else 0])
            buf = []
            for e in self._make():
                if len(buf) < buffer_size:
                    buf.append(e)
                    continue
                i = int(rng.integers(len(buf)))
                yield buf[i]
                buf[i] = e
            while buf:
                yield buf.pop(int(rng.integers(len(buf))))
        return Dataset(make, self._cardinality, self._spec)

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
        return Dataset(make, c, self._spec)

    def take(self, count, name=None):
        """The first `count` elements (all if -1)."""
        count = int(count)
        if count < 0:
            return self
        c = self._cardinality
        c = min(c, count) if c >= 0 else (count if c == INFINITE_CARDINALITY else c)
        return Dataset(lambda: itertools.islice(self._make(), count), c, self._spec)

    def skip(self, count, name=None):
        """All but the first `count` elements."""
        count = int(count)
        c = self._cardinality
        if c >= 0:
            c = max(c - count, 0) if count >= 0 else 0
        if count < 0:
            return Dataset(lambda: iter(()), 0, self._spec)
        return Dataset(lambda: itertools.islice(self._make(), count, None), c, self._spec)

    def concatenate(self, dataset, name=None):
        """This dataset's elements, then `dataset`'s."""
        a, b = self._cardinality, dataset._cardinality
        c = a + b if a >= 0 and b >= 0 else (INFINITE_CARDINALITY if INFINITE_CARDINALITY in (a, b)
                                            else UNKNOWN_CARDINALITY)
        return Dataset(lambda: itertools.chain(self._make(), dataset._make()), c, self._spec)

    def enumerate(self, start=0, name=None):
        """(index, element) pairs, the index an int64 scalar.

        >>> import graphflow as tf
        >>> [(int(i), int(v)) for i, v in tf.data.Dataset.range(3, 5).enumerate()]
        [(0, 3), (1, 4)]
        """
        def make():
            for i, e in enumerate(self._make(), start):
                yield convert_to_tensor(np.int64(i)), e
        return Dataset(make, self._cardinality)

    def cache(self, filename="", name=None):
        """Keep the elements of the first complete iteration in memory; later iterations read
        them instead of re-running the pipeline (`filename` is ignored: memory only)."""
        store = {}

        def make():
            if "elements" in store:
                yield from store["elements"]
                return
            seen = []
            for e in self._make():
                seen.append(e)
                yield e
            store["elements"] = seen
        return Dataset(make, self._cardinality, self._spec)

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
        return Dataset(make, self._cardinality, self._spec)

    def reduce(self, initial_state, reduce_func, name=None):
        """Fold the elements into a state: `reduce_func(state, element) -> state`.

        >>> import graphflow as tf
        >>> int(tf.data.Dataset.range(5).reduce(tf.constant(0, tf.int64), lambda s, x: s + x))
        10
        """
        state = _structure(initial_state)
        for e in self:
            state = _structure_out(reduce_func(state, e))
        return state

    def apply(self, transformation_func):
        """`transformation_func(self)`."""
        return transformation_func(self)

    def with_options(self, options, name=None):
        return self


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

    def __iter__(self):
        return self

    def __next__(self):
        x = next(self._it)
        self._position += 1
        return x

    def get_next(self):
        """The next element (raises `StopIteration` at the end, as `next`)."""
        return next(self)

    @property
    def element_spec(self):
        return self._dataset.element_spec

    def _checkpoint_state(self):
        return np.array(self._position, np.int64)

    def _restore_checkpoint_state(self, value):
        n = int(np.asarray(value))
        self._it, self._position = self._dataset._make(), 0
        for _ in range(n):
            try:
                next(self)
            except StopIteration:
                raise ValueError(f"restoring a dataset iterator at element {n}: the pipeline "
                                 f"ends after {self._position} elements") from None


def _flatten_up_to(spec, value):
    """The values of `value` at the leaves of the structure `spec` (deeper lists stay values)."""
    if isinstance(spec, dict):
        if not isinstance(value, dict):
            return [value]
        return [v for k in spec for v in _flatten_up_to(spec[k], value.get(k))]
    if isinstance(spec, (tuple, list)):
        if not isinstance(value, (tuple, list)) or len(value) != len(spec):
            return [value]
        return [v for s, x in zip(spec, value) for v in _flatten_up_to(s, x)]
    return [value]


def _structure_out(x):
    """A map function's result: Tensors kept, Python/numpy values converted (tuples/dicts kept
    as structures)."""
    if isinstance(x, Variable):
        return x.read_value()
    if isinstance(x, dict):
        return {k: _structure_out(v) for k, v in x.items()}
    if isinstance(x, tuple):
        vals = [_structure_out(v) for v in x]
        return type(x)(*vals) if hasattr(x, "_fields") else tuple(vals)
    if isinstance(x, list):   # a list of tensors is one tensor (TF packs it)
        return _s.stack([_structure_out(v) for v in x]) if x else convert_to_tensor(x)
    if isinstance(x, Tensor) or hasattr(x, "_graph"):
        return x
    return convert_to_tensor(x)

