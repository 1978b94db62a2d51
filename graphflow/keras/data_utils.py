"""Keras' data utilities (`keras.utils`): pad_sequences, timeseries_dataset_from_array,
split_dataset. Sequences and windows are gathered from numpy arrays as batches are drawn
(a window dataset over a long series is never materialized whole).

>>> pad_sequences([[1, 2, 3], [4, 5], [6]], maxlen=2)
array([[2, 3],
       [4, 5],
       [0, 6]], dtype=int32)
"""
import numbers

import numpy as np

from ..data.dataset import Dataset
from ..data.structure import convert as _convert
from ..tensor import TensorSpec
from ..nest_api import flatten as _flatten, pack_sequence_as as _pack


def pad_sequences(sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre",
                  value=0.0):
    """A list of sequences as one (num_samples, maxlen, ...) array: shorter sequences padded
    with `value`, longer ones truncated, at the start ('pre', the default) or the end ('post').

    >>> pad_sequences([[1, 2], [3]], padding="post", value=-1)
    array([[ 1,  2],
           [ 3, -1]], dtype=int32)
    >>> pad_sequences([["a", "b"], ["c"]], dtype=object, value="")
    array([['a', 'b'],
           ['', 'c']], dtype=object)
    """
    if not hasattr(sequences, "__len__"):
        raise ValueError("pad_sequences: `sequences` must be iterable")
    num_samples = len(sequences)
    lengths, sample_shape, flag = [], (), True
    for x in sequences:
        try:
            lengths.append(len(x))
            if flag and len(x):
                sample_shape = np.asarray(x).shape[1:]
                flag = False
        except TypeError as e:
            raise ValueError("pad_sequences: `sequences` must be a list of iterables. Found "
                             f"non-iterable: {x!r}") from e
    if maxlen is None:
        maxlen = max(lengths) if lengths else 0
    is_str = np.issubdtype(np.dtype(dtype), np.str_) or np.dtype(dtype) == np.dtype(object)
    if isinstance(value, str) and dtype != object and not is_str:
        raise ValueError(f"pad_sequences: `dtype` {dtype} is not compatible with `value`'s type "
                         f"{type(value)}; use dtype=object for a variable-length string padding")
    if padding not in ("pre", "post"):
        raise ValueError(f'pad_sequences: padding type "{padding}" not understood')
    if truncating not in ("pre", "post"):
        raise ValueError(f'pad_sequences: truncating type "{truncating}" not understood')
    x = np.full((num_samples, maxlen) + sample_shape, value, dtype=dtype)
    for idx, s in enumerate(sequences):
        if not len(s):
            continue
        trunc = s[-maxlen:] if truncating == "pre" else s[:maxlen]
        trunc = np.asarray(trunc, dtype=dtype)
        if trunc.shape[1:] != sample_shape:
            raise ValueError(f"pad_sequences: shape of sample {trunc.shape[1:]} of sequence at "
                             f"position {idx} is different from expected shape {sample_shape}")
        if not len(trunc):
            continue
        if padding == "post":
            x[idx, :len(trunc)] = trunc
        else:
            x[idx, -len(trunc):] = trunc
    return x


def _spec(shape, dtype):
    return TensorSpec(shape, dtype)


def timeseries_dataset_from_array(data, targets, sequence_length, sequence_stride=1,
                                  sampling_rate=1, batch_size=128, shuffle=False, seed=None,
                                  start_index=None, end_index=None):
    """A Dataset of sliding windows over `data` (Keras 3's rules): window i holds
    data[start + p_i + k * sampling_rate] for k < sequence_length, with p_i = i *
    sequence_stride; `targets[start + p_i]` goes with it when `targets` is given. Batched by
    `batch_size` (None: single windows); shuffle=True shuffles the window order (seeded).

    >>> import numpy as np
    >>> ds = timeseries_dataset_from_array(np.arange(10), np.arange(10) * 10, 3, batch_size=4)
    >>> [(x.numpy().tolist(), y.numpy().tolist()) for x, y in ds][1]
    ([[4, 5, 6], [5, 6, 7], [6, 7, 8], [7, 8, 9]], [40, 50, 60, 70])
    """
    n = len(data)
    if start_index:
        if start_index < 0:
            raise ValueError(f"`start_index` must be 0 or greater. Received: "
                             f"start_index={start_index}")
        if start_index >= n:
            raise ValueError(f"`start_index` must be lower than the length of the data. "
                             f"Received: start_index={start_index}, for data of length {n}")
    if end_index:
        if start_index and end_index <= start_index:
            raise ValueError(f"`end_index` must be higher than `start_index`. Received: "
                             f"start_index={start_index}, and end_index={end_index}")
        if end_index >= n:
            raise ValueError(f"`end_index` must be lower than the length of the data. Received: "
                             f"end_index={end_index}, for data of length {n}")
    for arg, v in (("sampling_rate", sampling_rate), ("sequence_stride", sequence_stride)):
        if v <= 0:
            raise ValueError(f"`{arg}` must be higher than 0. Received: {arg}={v}")
        if v >= n:
            raise ValueError(f"`{arg}` must be lower than the length of the data. Received: "
                             f"{arg}={v}, for data of length {n}")
    start = start_index or 0
    end = end_index if end_index is not None else n
    num_seqs = end - start - (sequence_length - 1) * sampling_rate
    if targets is not None:
        num_seqs = min(num_seqs, len(targets))
    positions = np.arange(0, max(num_seqs, 0), sequence_stride, dtype=np.int64)
    if shuffle:
        if seed is None:
            seed = np.random.randint(1e6)
        np.random.RandomState(seed).shuffle(positions)
    data = np.asarray(data)
    tgt = None if targets is None else np.asarray(targets)
    offsets = np.arange(sequence_length, dtype=np.int64) * sampling_rate
    bs = len(positions) if batch_size is None else int(batch_size)

    def window(pos):
        x = data[start + pos[:, None] + offsets]
        return x if tgt is None else (x, tgt[start + pos])

    def make():
        if batch_size is None:
            for p in positions:
                out = window(np.array([p]))
                yield _convert(tuple(o[0] for o in out) if tgt is not None else out[0])
            return
        for i in range(0, len(positions), bs):
            yield _convert(window(positions[i:i + bs]))

    lead = (None, sequence_length) if batch_size is not None else (sequence_length,)
    spec = _spec(lead + data.shape[1:], data.dtype)
    if tgt is not None:
        spec = (spec, _spec(((None,) if batch_size is not None else ()) + tgt.shape[1:],
                            tgt.dtype))
    count = len(positions) if batch_size is None else -(-len(positions) // bs)
    return Dataset(make, count, spec)


def _resolve_sizes(total, left_size, right_size):
    """Keras' split sizes: floats in (0, 1) are fractions, ints are counts, one None is the
    rest; both None is a 50/50 split."""
    for name, v in (("left_size", left_size), ("right_size", right_size)):
        if v is not None and not isinstance(v, numbers.Number):
            raise TypeError(f"split_dataset: `{name}` must be an int or a float, got {v!r}")
        if isinstance(v, float) and not 0.0 < v < 1.0:
            raise ValueError(f"split_dataset: a float `{name}` must be in (0, 1), got {v}")
        if isinstance(v, int) and not 0 < v <= total:
            raise ValueError(f"split_dataset: `{name}` {v} is not in (0, {total}] (the "
                             "number of samples)")
    if left_size is None and right_size is None:
        left_size = 0.5

    def count(v):
        return int(np.round(v * total)) if isinstance(v, float) else int(v)
    left = count(left_size) if left_size is not None else None
    right = count(right_size) if right_size is not None else None
    if left is None:
        left = total - right
    if right is None:
        right = total - left
    if left + right > total:
        raise ValueError(f"split_dataset: left_size + right_size ({left} + {right}) is larger "
                         f"than the number of samples ({total})")
    if left == 0 or right == 0:
        raise ValueError(f"split_dataset: both splits must hold samples, got {left} and {right}")
    return left, right


def split_dataset(dataset, left_size=None, right_size=None, shuffle=False, seed=None):
    """Split an array, a tuple/list/dict of arrays or a tf.data Dataset of single samples
    into two Datasets (left_size / right_size as fractions or counts; Keras' rules).

    >>> import numpy as np
    >>> left, right = split_dataset(np.arange(10), left_size=0.8)
    >>> int(left.cardinality()), [int(v) for v in right]
    (8, [8, 9])
    """
    if isinstance(dataset, Dataset):
        samples = [s for s in dataset.as_numpy_iterator()]
        leaves = [_flatten(s) for s in samples]
        template = samples[0] if samples else None
        arrays = [np.stack([lv[i] for lv in leaves]) for i in range(len(leaves[0]))] \
            if leaves else []
    else:
        template = dataset
        arrays = [np.asarray(a) for a in _flatten(dataset)]
        if not arrays:
            raise ValueError("split_dataset: the dataset is empty")
        if len({len(a) for a in arrays}) != 1:
            raise ValueError("split_dataset: the arrays have different lengths "
                             f"{[len(a) for a in arrays]}")
    total = len(arrays[0]) if arrays else 0
    if total == 0:
        raise ValueError("split_dataset: the dataset is empty")
    left, right = _resolve_sizes(total, left_size, right_size)
    order = np.arange(total)
    if shuffle:
        np.random.RandomState(seed if seed is not None else np.random.randint(1e6)).shuffle(order)

    def part(idx):
        return Dataset.from_tensor_slices(_pack(template, [a[idx] for a in arrays]))
    return part(order[:left]), part(order[left:left + right])
