"""Ragged and sparse values in Keras models (`keras.Input(ragged=True)` / `sparse=True`).

A KerasTensor carries `ragged` / `sparse` flags; a layer called on a symbolic ragged or sparse
input finds its output shapes by running on a small probe value of that kind (`probe`), and
its output KerasTensor takes the flags of the probe's result (`kind_of`). When the model runs,
layers that act on each element of the innermost axes (Embedding, Dense, Activation, ...:
`Layer._ragged_flat_values`) apply to a RaggedTensor's flat values and keep its rows
(`on_flat_values`); global poolings reduce the ragged steps axis; Dense multiplies a
SparseTensor with `tf.sparse.sparse_dense_matmul`, as Keras 3 on TensorFlow.

>>> import graphflow as tf
>>> x = tf.keras.Input(shape=(None,), dtype="int32", ragged=True)
>>> y = tf.keras.layers.Embedding(10, 3)(x)
>>> y.ragged, tuple(y.shape)
(True, (None, None, 3))
"""
import numpy as np

from ..ops import math_ops as _m
from ..ragged import RaggedTensor, reduce as _ragged_reduce
from ..sparse import SparseTensor, sparse_dense_matmul
from ..tensor import convert_to_tensor

__all__ = ["kind_of", "probe", "on_flat_values", "ragged_reduce", "dense_matmul"]


def kind_of(value):
    """'ragged', 'sparse' or None (a dense value).

    >>> import graphflow as tf
    >>> kind_of(tf.ragged.constant([[1], []])), kind_of(tf.constant(1))
    ('ragged', None)
    """
    if isinstance(value, RaggedTensor):
        return "ragged"
    if isinstance(value, SparseTensor):
        return "sparse"
    return None


def probe(kt, size):
    """A value of KerasTensor `kt`'s kind for finding a layer's output shapes: one row whose
    unknown dims take `size`; ragged: a RaggedTensor with that row (ragged_rank 1); sparse: a
    SparseTensor without entries. None for a dense `kt`.

    >>> import graphflow as tf
    >>> print(probe(tf.keras.Input((None,), dtype="int32", ragged=True), 2))
    <tf.RaggedTensor [[0, 0]]>
    """
    if not (getattr(kt, "ragged", False) or getattr(kt, "sparse", False)):
        return None
    shape = tuple((1 if a == 0 else size) if d is None else d for a, d in enumerate(kt.shape))
    if kt.sparse:
        return SparseTensor(np.zeros((0, len(shape)), np.int64), np.zeros(0, kt.dtype.np),
                            shape)
    flat = convert_to_tensor(np.zeros((shape[1],) + shape[2:], kt.dtype.np))
    return RaggedTensor.from_row_lengths(flat, np.array([shape[1]], np.int64))


def on_flat_values(layer, inputs, args, kwargs):
    """`layer` applied to a RaggedTensor's flat values, the result with the input's rows."""
    return inputs.with_flat_values(layer(inputs.flat_values, *args, **kwargs))


def ragged_reduce(kind, inputs, axes, keepdims):
    """A global pooling over the steps axis 1 of a RaggedTensor (batch, (steps), ...): 'mean'
    or 'max' of each row, a dense (batch, ...) tensor."""
    if tuple(axes) != (1,):
        raise ValueError(f"global pooling of a RaggedTensor reduces its ragged axis 1, not "
                         f"axes {tuple(axes)}")
    return _ragged_reduce(f"reduce_{kind}")(inputs, axis=1, keepdims=keepdims)


def dense_matmul(x, kernel):
    """x @ kernel for a dense or sparse x (sparse: `sparse_dense_matmul`, a dense result)."""
    if isinstance(x, SparseTensor):
        if x.dtype != kernel.dtype:   # (Keras: inputs in the layer's compute dtype)
            x = x.with_values(_m.cast(x.values, kernel.dtype))
        return sparse_dense_matmul(x, kernel)
    return _m.matmul(x, kernel)


def num_rows(value):
    """The batch size of a RaggedTensor or SparseTensor (None for other values)."""
    if isinstance(value, RaggedTensor):
        return int(value._nrows())
    if isinstance(value, SparseTensor):
        return int(np.asarray(value.dense_shape)[0])
    return None


def take_rows(value, idx):
    """Rows `idx` (a slice or an index array) of a RaggedTensor or SparseTensor, of the same
    kind: the batches fit / evaluate / predict cut from ragged or sparse training data.

    >>> import graphflow as tf
    >>> print(take_rows(tf.ragged.constant([[1], [2, 3], []]), np.array([1, 2])))
    <tf.RaggedTensor [[2, 3], []]>
    """
    n = num_rows(value)
    rows = np.arange(n)[idx] if isinstance(idx, slice) else np.asarray(idx, np.int64)
    if isinstance(value, RaggedTensor):
        splits = np.asarray(value.row_splits)
        lengths = splits[1:] - splits[:-1]
        flat = np.concatenate([np.arange(splits[r], splits[r + 1]) for r in rows]) \
            if len(rows) else np.zeros(0, np.int64)
        values = value.values
        taken = take_rows(values, flat) if isinstance(values, RaggedTensor) else \
            convert_to_tensor(np.asarray(values)[flat])
        return RaggedTensor.from_row_lengths(taken, lengths[rows].astype(np.int64))
    ind, vals = np.asarray(value.indices), np.asarray(value.values)
    shape = np.asarray(value.dense_shape)
    pos = np.full(n, -1, np.int64)
    pos[rows] = np.arange(len(rows))
    keep = pos[ind[:, 0]] >= 0
    new_ind = ind[keep].copy()
    new_ind[:, 0] = pos[new_ind[:, 0]]
    order = np.lexsort(new_ind.T[::-1]) if len(new_ind) else np.zeros(0, np.int64)
    return SparseTensor(new_ind[order], vals[keep][order],
                        np.concatenate([[len(rows)], shape[1:]]).astype(np.int64))
