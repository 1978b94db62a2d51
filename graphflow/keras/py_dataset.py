"""keras.utils.PyDataset: batches from Python code (`__getitem__` / `__len__`), for fit,
evaluate and predict. Keras 3's class (its older name: `keras.utils.Sequence`).

>>> import numpy as np, graphflow as tf
>>> class Batches(tf.keras.utils.PyDataset):
...     def __len__(self):
...         return 2
...     def __getitem__(self, i):
...         return np.full((3, 1), i, "float32"), np.zeros((3, 1), "float32")
>>> [x.numpy()[:, 0].tolist() for x, _ in Batches().as_dataset()]
[[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]]
"""
import itertools
import types

import numpy as np

from ..data import Dataset
from ..nest import flatten
from ..tensor import TensorSpec, convert_to_tensor


class PyDataset:
    """Subclass it and define `__getitem__(index)` (one whole batch: x, (x, y) or
    (x, y, sample_weight)) and `__len__()` (the number of batches); `on_epoch_end()` runs after
    each pass. Batches are read in order, in this thread (`workers` and
    `use_multiprocessing` are accepted and ignored)."""

    def __init__(self, workers=1, use_multiprocessing=False, max_queue_size=10):
        self._workers, self._use_multiprocessing = workers, use_multiprocessing
        self._max_queue_size = max_queue_size

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__(index)")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __len__()")

    @property
    def num_batches(self):
        return len(self)

    def on_epoch_end(self):
        """Called after every full pass over the batches (e.g. to reshuffle)."""

    def as_dataset(self):
        """A `tf.data.Dataset` of the batches (one pass per iteration, then `on_epoch_end`)."""
        n = len(self)

        def make():
            for i in range(n):
                leaves, rebuild = flatten(self[i])
                yield rebuild([convert_to_tensor(v) for v in leaves])
            self.on_epoch_end()
        first = self[0] if n else ()
        leaves, rebuild = flatten(first)
        spec = rebuild([TensorSpec((None,) + tuple(np.shape(v))[1:],
                                   convert_to_tensor(v).dtype) for v in leaves])
        return Dataset(make, n, spec)


Sequence = PyDataset


def _tensors(element):
    leaves, rebuild = flatten(element)
    return rebuild([convert_to_tensor(v) for v in leaves])


def as_batches_source(x):
    """fit / evaluate / predict's `x` when it yields batches: a PyDataset, or a Python
    generator (or other iterator) of x, (x, y) or (x, y, sample_weight) batches - as Keras 3's
    GeneratorDataAdapter: its first two batches are read ahead (the first gives the element
    spec) and every pass yields them, then what the generator has left (so a finite generator
    gives a later epoch those two batches only) - as a Dataset; any other `x` as it is.

    >>> def gen():
    ...     for i in range(2):
    ...         yield np.full((3, 1), i, "float32"), np.zeros((3,), "int32")
    >>> [y.shape for _, y in as_batches_source(gen())]
    [TensorShape([3]), TensorShape([3])]
    """
    if isinstance(x, PyDataset):
        return x.as_dataset()
    if not isinstance(x, types.GeneratorType) and not (
            hasattr(x, "__next__") and hasattr(x, "__iter__") and not hasattr(x, "shape")):
        return x
    head = list(itertools.islice(x, 2))
    if not head:
        raise ValueError("the generator passed as `x` yielded no batches")
    leaves, rebuild = flatten(head[0])
    spec = rebuild([TensorSpec((None,) + tuple(np.shape(v))[1:], convert_to_tensor(v).dtype)
                    for v in leaves])

    def make():
        for e in itertools.chain(head, x):
            yield _tensors(e)
    return Dataset(make, spec=spec)
