"""`tf.TensorArray`: a list of same-shaped tensors that can be written in a converted loop.

Eagerly and in Python loops it is a list of tensors (grows as needed with `dynamic_size`).
As a loop variable of a tensor loop it is one tensor of shape [size, *element_shape] (the
"buffer"), written with a `where` over a one-hot row mask - so it is differentiable and the
loop stays a single while_loop node. Like TF's, it is functional: `ta = ta.write(i, v)`.

>>> import graphflow as tf
>>> ta = tf.TensorArray(tf.float32, size=3)
>>> for i in range(3):
...     ta = ta.write(i, tf.constant([1.0, 2.0]) * i)
>>> ta.stack().numpy()
array([[0., 0.],
       [1., 2.],
       [2., 4.]], dtype=float32)
"""
import numpy as np

from .. import dtypes as _dt
from ..ops import creation, math_ops, shape_ops
from ..errors import user_source
from ..tensor import SymbolicTensor, Tensor, to_tensor


class TensorArray:
    """TF's TensorArray (functional: `write`/`unstack` return the new array)."""

    def __init__(self, dtype, size=None, dynamic_size=None, clear_after_read=None,
                 tensor_array_name=None, handle=None, flow=None, infer_shape=True,
                 element_shape=None, colocate_with_first_write_call=True, name=None):
        self.dtype = _dt.as_dtype(dtype)
        if isinstance(size, Tensor) and not isinstance(size, SymbolicTensor):
            size = int(size.numpy())
        if isinstance(size, SymbolicTensor):
            raise ValueError("TensorArray: size must be known when tracing (a Python int or a "
                             "static shape such as x.shape[0])")
        self._size = 0 if size is None else int(size)
        self.dynamic_size = bool(dynamic_size)
        self.element_shape = None if element_shape is None else tuple(element_shape)
        self._items = [None] * self._size   # list mode
        self._buf = None                    # buffer mode (a tensor [size, *element_shape])

    def _copy(self):
        t = TensorArray.__new__(TensorArray)
        t.__dict__.update(self.__dict__)
        t._items = None if self._items is None else list(self._items)
        return t

    # -- the loop machinery (autograph operators) --
    def _as_tensor(self):
        if self._buf is not None:
            return self._buf
        if self.element_shape is None and all(x is None for x in self._items):
            raise ValueError("TensorArray: element shape unknown; write before the loop or pass "
                             "element_shape")
        return self.stack()

    def _with_tensor(self, buf):
        t = self._copy()
        t._buf, t._items = buf, None
        if self.element_shape is None:
            t.element_shape = tuple(buf.shape[1:])
        return t

    def _probe_copy(self):
        return self._copy()

    def _init_like(self, probed):
        t = self._copy()
        t.element_shape = probed.element_shape
        return t

    # -- the TF API --
    def size(self, name=None):
        n = self._size if self._buf is None else int(self._buf.shape[0])
        return to_tensor(n)

    def write(self, index, value, name=None):
        value = to_tensor(value, self.dtype)
        if value.dtype != self.dtype:
            raise TypeError(f"TensorArray.write: value has dtype {value.dtype.name} but the "
                            f"array holds {self.dtype.name}")
        t = self._copy()
        if t.element_shape is None:
            t.element_shape = tuple(value.shape)
        elif tuple(value.shape) != t.element_shape:
            raise ValueError(f"TensorArray.write: value has shape {list(value.shape)} but the "
                             f"elements have shape {list(t.element_shape)}")
        if t._buf is None and not isinstance(index, SymbolicTensor):
            i = int(index.numpy()) if isinstance(index, Tensor) else int(index)
            if i >= len(t._items):
                if not t.dynamic_size:
                    raise IndexError(f"TensorArray.write: index {i} is out of range for size "
                                     f"{t._size} (pass dynamic_size=True to grow)")
                t._items += [None] * (i + 1 - len(t._items))
                t._size = len(t._items)
            t._items[i] = value
            return t
        if t.dynamic_size:
            # a graph loop's variables keep their shapes: the buffer cannot grow, and a write
            # past its end would be lost silently (TF grows it)
            raise ValueError(
                f"TensorArray(dynamic_size=True).write at a run-time index, at {user_source()}: "
                "inside a graph loop the array cannot grow here. Give it size= the number of "
                "writes (a Python int or a static dim such as x.shape[0]) and dynamic_size=False.")
        if t._buf is None:
            t._buf = t._as_tensor()
            t._items = None
        n = int(t._buf.shape[0])
        mask = math_ops.equal(creation.range(n), math_ops.cast(index, _dt.int32))
        mask = shape_ops.reshape(mask, [n] + [1] * len(t.element_shape))
        t._buf = math_ops.where(mask, shape_ops.expand_dims(value, 0), t._buf)
        return t

    def read(self, index, name=None):
        if self._buf is not None:
            return self._buf[index]
        i = int(index.numpy()) if isinstance(index, Tensor) and \
            not isinstance(index, SymbolicTensor) else index
        if isinstance(i, SymbolicTensor):
            return self.stack()[i]
        v = self._items[i]
        return v if v is not None else creation.zeros(self.element_shape, self.dtype)

    def stack(self, name=None):
        if self._buf is not None:
            return self._buf
        if not self._items:
            return creation.zeros((0,) + (self.element_shape or ()), self.dtype)
        es = self.element_shape or ()
        return shape_ops.stack([creation.zeros(es, self.dtype) if v is None else v
                                for v in self._items])

    def unstack(self, value, name=None):
        value = to_tensor(value, self.dtype)
        t = self._copy()
        t.element_shape = tuple(value.shape[1:])
        if isinstance(value, SymbolicTensor):
            t._buf, t._items = value, None
        else:
            t._items = list(shape_ops.unstack(value))
            t._size = len(t._items)
        return t

    def gather(self, indices, name=None):
        return shape_ops.gather(self.stack(), indices)

    def concat(self, name=None):
        s = self.stack()
        return shape_ops.reshape(s, [-1] + list(s.shape[2:]))

    def __repr__(self):
        return f"<TensorArray {self.dtype.name} size={self._size}>"


_ = np
