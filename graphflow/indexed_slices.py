"""`tf.IndexedSlices`: a sparse representation of a tensor's rows - `values[i]` is row
`indices[i]` of a tensor of shape `dense_shape` (the other rows are zero; repeated indices add).
It converts to a dense tensor wherever a tensor is expected (TF's `__tf_tensor__` protocol:
`tf.convert_to_tensor`, ops, optimizers' `apply_gradients`), by an unsorted segment sum, as TF.

>>> import graphflow as tf
>>> s = tf.IndexedSlices(tf.constant([[1., 2.], [3., 4.]]), tf.constant([2, 0]),
...                      dense_shape=tf.constant([3, 2]))
>>> tf.convert_to_tensor(s).numpy()
array([[3., 4.],
       [0., 0.],
       [1., 2.]], dtype=float32)
"""
import numpy as np

from .dtypes import as_dtype
from .errors import InvalidArgumentError
from .ops.misc_ops import get_static_value
from .ops.segment_ops import unsorted_segment_sum
from .tensor import TensorShape, to_tensor

__all__ = ["IndexedSlices"]


class IndexedSlices:
    """`tf.IndexedSlices(values, indices, dense_shape=None)`: rows `indices` of a tensor of
    shape `dense_shape` hold `values` (shape (len(indices),) + dense_shape[1:]).

    >>> IndexedSlices([[1., 2.]], [1], [2, 2]).values.numpy().tolist()
    [[1.0, 2.0]]
    """

    def __init__(self, values, indices, dense_shape=None):
        self._values = to_tensor(values)
        self._indices = to_tensor(indices)
        self._dense_shape = None if dense_shape is None else to_tensor(dense_shape)
        if self._indices.ndim != 1:
            raise InvalidArgumentError(f"IndexedSlices: indices must be a vector, got shape "
                                       f"{tuple(self._indices.shape)}")

    values = property(lambda self: self._values, doc="The rows present (a Tensor).")
    indices = property(lambda self: self._indices, doc="Their row indices (a vector).")
    dense_shape = property(lambda self: self._dense_shape, doc="The dense tensor's shape.")
    dtype = property(lambda self: self._values.dtype)
    device = property(lambda self: "")
    name = property(lambda self: None)

    @property
    def shape(self):
        """The dense shape (static when known, else the values' shape with rows unknown).

        >>> IndexedSlices([[1.]], [0], [4, 1]).shape
        TensorShape([4, 1])
        """
        if self._dense_shape is not None:
            known = get_static_value(self._dense_shape)
            if known is not None:
                return TensorShape([int(d) for d in np.asarray(known).ravel()])
        return TensorShape([None] + list(self._values.shape[1:]))

    def __tf_tensor__(self, dtype=None, name=None):
        """The dense tensor (TF's conversion: an unsorted segment sum of the values)."""
        if self._dense_shape is None:
            raise ValueError("Tensor conversion requested for IndexedSlices without "
                             "dense_shape: pass dense_shape to densify it")
        known = get_static_value(self._dense_shape)
        rows = int(np.asarray(known).ravel()[0]) if known is not None else self._dense_shape[0]
        dense = unsorted_segment_sum(self._values, self._indices, rows)
        if dtype is not None and as_dtype(dtype) != dense.dtype:
            raise InvalidArgumentError(f"IndexedSlices: requested dtype {dtype} for values of "
                                       f"dtype {dense.dtype.name}")
        return dense

    def __array__(self, dtype=None, copy=None):
        out = np.asarray(self.__tf_tensor__().numpy())
        return out if dtype is None else out.astype(dtype)

    def __neg__(self):
        return IndexedSlices(-self._values, self._indices, self._dense_shape)

    def __repr__(self):
        dense = "None" if self._dense_shape is None else repr(self._dense_shape)
        return (f"IndexedSlices(indices={self._indices!r}, values={self._values!r}, "
                f"dense_shape={dense})")
