"""`for x in dataset:` inside `@tf.function` as a run-time loop (as TF's AutoGraph does).

AutoGraph turns a `for` over an iterable that says `__graph_loop__ = True` (`tf.data.Dataset`)
and has an `element_spec` into one while_loop node. Each run of the graph iterates the dataset
anew - a `shuffle` reshuffles, a changed source is re-read - instead of replaying elements
frozen while tracing. Two ops (table entries, run by every executor as numpy nodes):

* `dataset_loop_start` (an `io` effect, no inputs): starts a fresh Python iterator over the
  dataset (eagerly, outside any trace) and returns its position, 0 - a token that orders the
  element reads after the start;
* `dataset_loop_next(start, i)`, attr `index`: leaf `index` of element `i` of that pass, or
  (`index=-1`) whether element `i` exists - the loop's "not exhausted" flag, which the loop
  carries (the element is made inside the body, so its shape may change between iterations:
  a last partial batch). The elements of an epoch are kept by number, so the gradient's replay
  of the loop body reads the same elements again (no second pass over the dataset).

Element specs with unknown dims (None: the batch dim of `batch()` without `drop_remainder`,
a last partial batch) are run-time sizes in the graph (None dims, as TF prints them; see
`graphflow.ops.runtime_shape`): the body's nodes that touch them run on numpy, the others
compiled. A loop over ragged/sparse elements is unrolled while tracing, with a warning naming
the line.

>>> import graphflow as tf
>>> ds = tf.data.Dataset.range(4)
>>> @tf.function
... def total():
...     s = tf.constant(0, tf.int64)
...     for x in ds:
...         s += x
...     return s
>>> int(total())
6
"""
import numpy as np

from .. import state as _state
from ..dispatch import bind
from ..errors import InvalidArgumentError
from ..nest import flatten
from ..ops.registry import Aval, defop
from ..tensor import TensorSpec

__all__ = ["DatasetLoop", "DATASET_LOOP_START", "DATASET_LOOP_NEXT"]

_LOOP_IDS = [0]


def _dims(spec):
    shape = spec.shape.as_list() if hasattr(spec.shape, "as_list") else spec.shape
    return tuple(None if d is None else int(d) for d in shape)


class DatasetLoop:
    """The run-time state of one `for x in dataset` statement of a traced function: the dataset,
    its element structure and leaf avals, the current epoch's iterator and the elements fetched
    so far (by number). Compared and hashed by identity (CSE never merges two loops).

    Not thread-safe: two threads running the same traced function at once share the epoch."""

    def __init__(self, dataset, specs, rebuild, source):
        self.dataset, self.rebuild, self.source = dataset, rebuild, source
        _LOOP_IDS[0] += 1
        self.name = f"dataset_loop{_LOOP_IDS[0]}"
        self.avals = []
        for k, s in enumerate(specs):
            self.avals.append(Aval(_dims(s), np.dtype(s.dtype.np)))
        self.dtypes = [s.dtype for s in specs]
        self.epoch, self._it, self._items, self._done = 0, None, [], False

    @classmethod
    def of(cls, iterable, source):
        """A DatasetLoop for `iterable`, or None when its element structure is not a nest of
        TensorSpecs (ragged/sparse elements, an empty dataset of unknown structure): then the
        caller iterates it in Python."""
        try:
            with _state.using(graph=None, tapes=(), adjoint=None):
                spec = iterable.element_spec
        except (ValueError, TypeError):
            return None
        specs, rebuild = flatten(spec)
        if not specs or not all(type(s) is TensorSpec for s in specs):
            return None
        return cls(iterable, specs, rebuild, source)

    def __repr__(self):
        return f"<{self.name} at {self.source}>"

    # ---- run time ------------------------------------------------------------------------
    def start(self):
        """A fresh pass over the dataset; its position (0)."""
        with _state.using(graph=None, tapes=(), adjoint=None):
            self._it = iter(self.dataset)
        self.epoch += 1
        self._items, self._done = [], False
        return np.int64(0)

    def item(self, i):
        """Element i (a list of numpy leaves) of the current pass (number `epoch`), or None past
        the end."""
        if self._it is None and not self._done:
            raise InvalidArgumentError(
                f"dataset_loop_next ({self.name}, traced at {self.source}): the pass over the "
                "dataset was not started")
        i = int(i)
        while len(self._items) <= i and not self._done:
            with _state.using(graph=None, tapes=(), adjoint=None):
                try:
                    x = next(self._it)
                except StopIteration:
                    self._done, self._it = True, None
                    break
            self._items.append(self._check(flatten(x)[0], len(self._items)))
        return self._items[i] if i < len(self._items) else None

    def _check(self, leaves, i):
        if len(leaves) != len(self.avals):
            raise InvalidArgumentError(
                f"dataset_loop_next ({self.name}, traced at {self.source}): element {i} has "
                f"{len(leaves)} components, the element_spec {len(self.avals)}")
        out = []
        for k, (v, a) in enumerate(zip(leaves, self.avals)):
            arr = np.asarray(v.numpy() if hasattr(v, "numpy") else v)
            if arr.dtype != a.dtype and not (a.dtype == object or arr.dtype.kind in "SUO"):
                raise InvalidArgumentError(
                    f"dataset_loop_next ({self.name}, traced at {self.source}): element {i} "
                    f"component {k} has dtype {arr.dtype.name}, the element_spec {a.dtype.name}")
            if arr.ndim != len(a.shape) or any(isinstance(d, int) and d != s
                                               for d, s in zip(a.shape, arr.shape)):
                raise InvalidArgumentError(
                    f"dataset_loop_next ({self.name}, traced at {self.source}): element {i} "
                    f"component {k} has shape {arr.shape}, the element_spec "
                    f"{tuple(a.shape)}")
            out.append(arr)
        return out

    # ---- trace time ----------------------------------------------------------------------
    def bind_start(self):
        """The `dataset_loop_start` node (or, eagerly, a started epoch)."""
        return bind(DATASET_LOOP_START, [], {"loop": self})

    def bind_has(self, epoch, i):
        """Whether element i of the epoch exists (a bool tensor)."""
        return bind(DATASET_LOOP_NEXT, [epoch, i], {"loop": self, "index": -1})

    def bind_element(self, epoch, i):
        """Element i of the epoch, in the dataset's structure."""
        return self.rebuild([bind(DATASET_LOOP_NEXT, [epoch, i], {"loop": self, "index": k})
                             for k in range(len(self.avals))])


def _start_impl(*, loop):
    return loop.start()


def _start_rule(*, loop):
    return Aval((), np.dtype(np.int64))


def _next_impl(epoch, i, *, loop, index):
    item = loop.item(i)
    if index == -1:
        return np.bool_(item is not None)
    if item is None:
        raise InvalidArgumentError(
            f"dataset_loop_next ({loop.name}, traced at {loop.source}): element {int(i)} asked "
            "past the end of the dataset")
    return item[index]


def _next_rule(epoch, i, *, loop, index):
    if index == -1:
        return Aval((), np.dtype(np.bool_))
    return loop.avals[index]


_NONDIFF = "dataset elements are data (as TF's iterator get_next): no gradient flows into them"

DATASET_LOOP_START = defop(
    "dataset_loop_start", _start_impl, _start_rule, effects=("io",), nondiff_reason=_NONDIFF,
    doc="Start a fresh pass over a tf.data.Dataset iterated by a `for` in a traced function; "
        "its position, 0 (a token ordering the element reads after it).")
DATASET_LOOP_NEXT = defop(
    "dataset_loop_next", _next_impl, _next_rule, nondiff_reason=_NONDIFF,
    doc="Leaf `index` of element `i` of a dataset loop's current pass (`index=-1`: whether element `i` "
        "exists).")
