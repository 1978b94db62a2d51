"""`tf.TensorArray`: a list of same-shaped tensors that can be written in a converted loop.

Eagerly and in Python loops it is a list of tensors (grows as needed with `dynamic_size`).
As a loop variable of a tensor loop it is one tensor of shape [size, *element_shape] (the
"buffer"), written with a `where` over a one-hot row mask - so it is differentiable and the
loop stays a single while_loop node. With `dynamic_size=True` the buffer's number of rows is a
run-time size (None in the graph, the loop's shape invariant) and each write is one
`tensor_array_write` node that grows it: `size=0, dynamic_size=True` written in a
`for i in tf.range(n)` with n known only when the function runs gives TF's results, and
gradients (first and second order) flow through the loop. Like TF's, it is functional:
`ta = ta.write(i, v)`.

>>> import graphflow as tf
>>> ta = tf.TensorArray(tf.float32, size=3)
>>> for i in range(3):
...     ta = ta.write(i, tf.constant([1.0, 2.0]) * i)
>>> ta.stack().numpy()
array([[0., 0.],
       [1., 2.],
       [2., 4.]], dtype=float32)
"""
import threading
import weakref

import numpy as np

from .. import dtypes as _dt
from ..control_ops import history_read   # row k (its VJP sizes zeros like g at run time)
from ..dispatch import bind
from ..errors import InvalidArgumentError
from ..ops import creation, math_ops, runtime_shape, shape_ops  # noqa: F401 (its ops)
from ..ops.dynamic_index import Window, dynamic_setitem
from ..ops.registry import Aval, defop, fmt_avals, linear_in, shapes_agree
from ..tensor import SymbolicTensor, Tensor, to_tensor


# A growing array inside a graph loop (`dynamic_size=True` written at a run-time index): the
# loop variable is the buffer [rows, *element_shape] whose leading dim is a run-time size (None
# in the graph: the loop's shape invariant), and each write is one `tensor_array_write` (grow
# with zero rows to index + 1 when needed, then set the row). Its VJP trims the cotangent back to
# the input's rows (`leading_resize`), so gradients flow through loops that grow the array.
# Appends in amortized O(row): a grown buffer is a view of a larger zeroed array (capacity
# doubled), and a write just past the end of the LATEST view of that array (the one whose length
# `_claimed` records) fills the next row in place - rows no earlier view can see, so every value
# stays immutable. Any other write (inside the rows, or from an older view) copies.
_claimed = {}                     # id(storage) -> [weakref to it, rows handed out so far]
_claim_lock = threading.Lock()


def _ta_write_impl(buf, index, value, *, rows):
    i, n = int(index), buf.shape[0]
    if i < 0:
        raise InvalidArgumentError(f"TensorArray.write: index {i} is negative")
    base = buf.base
    if i >= n and base is not None and buf.flags.c_contiguous and \
            base.__class__ is np.ndarray and base.shape[1:] == buf.shape[1:] and \
            i < base.shape[0] and buf.__array_interface__["data"][0] == \
            base.__array_interface__["data"][0]:
        with _claim_lock:
            c = _claimed.get(id(base))
            if c is not None and c[0]() is base and c[1] == n:
                c[1] = i + 1
                base[i] = value
                return base[:i + 1]
    cap = max(n, i + 1) if i < n else max(2 * n, i + 1, 4)
    store = np.zeros((cap,) + buf.shape[1:], buf.dtype)
    store[:n] = buf
    store[i] = value
    m = max(n, i + 1)
    if cap > m:
        key = id(store)
        with _claim_lock:
            _claimed[key] = [weakref.ref(store, lambda _, k=key: _claimed.pop(k, None)), m]
    return store[:m]


def _ta_write_rule(buf, index, value, *, rows):
    if len(buf.shape) < 1 or tuple(index.shape) != () or np.dtype(index.dtype).kind not in "iu" \
            or np.dtype(value.dtype) != np.dtype(buf.dtype) or not shapes_agree(
                "tensor_array_write", (buf, index, value), tuple(value.shape),
                tuple(buf.shape)[1:], "the value must have the element shape"):
        raise InvalidArgumentError(
            "tensor_array_write: needs a buffer [rows, *element_shape], an integer scalar index "
            f"and a value of the element shape and dtype (inputs: {fmt_avals([buf, index, value])})")
    return Aval((rows,) + tuple(buf.shape)[1:], buf.dtype)   # (None: known when it runs)


def _leading_resize_impl(x, like):
    m = like.shape[0]
    if x.shape[0] >= m:
        return x[:m]
    out = np.zeros((m,) + x.shape[1:], x.dtype)
    out[:x.shape[0]] = x
    return out


def _leading_resize_rule(x, like):
    if len(x.shape) < 1 or len(like.shape) < 1:
        raise InvalidArgumentError(f"leading_resize: needs two arrays of rank >= 1 (inputs: "
                                   f"{fmt_avals([x, like])})")
    return Aval((tuple(like.shape)[0],) + tuple(x.shape)[1:], x.dtype)


TA_WRITE = defop(
    "tensor_array_write", _ta_write_impl, _ta_write_rule,
    lambda i, o, g, rows: [leading_resize(tensor_array_write(g, i[1], math_ops.zeros_like(i[2])),
                                          i[0]), None, history_read(g, i[1])],
    jvp=linear_in(0, 2),
    doc="`buf` grown with zero rows to at least index + 1 rows, row `index` set to `value` (a "
        "dynamic_size TensorArray's write inside a graph loop); attr `rows`: the result's rows "
        "when known while tracing, else None.")
LEADING_RESIZE = defop(
    "leading_resize", _leading_resize_impl, _leading_resize_rule,
    lambda i, o, g: [leading_resize(g, i[0]), None], jvp=linear_in(0),
    doc="`x` cut or zero-padded along axis 0 to the rows of `like` (tensor_array_write's VJP).")


def leading_resize(x, like):
    """`x` cut or zero-padded along its first axis to `like`'s number of rows.

    >>> leading_resize(to_tensor([[1., 2.], [3., 4.]]), to_tensor([0.])).numpy()
    array([[1., 2.]], dtype=float32)
    """
    return bind(LEADING_RESIZE, [to_tensor(x), to_tensor(like)], {})


def tensor_array_write(buf, index, value):
    """`buf` grown to at least `index + 1` rows (zeros), with row `index` set to `value`.

    >>> tensor_array_write(to_tensor([[1., 2.]]), 2, to_tensor([5., 6.])).numpy()
    array([[1., 2.],
           [0., 0.],
           [5., 6.]], dtype=float32)
    """
    buf = to_tensor(buf)
    index = to_tensor(index, _dt.int32) if not isinstance(index, Tensor) else index
    n = buf.shape[0]
    rows = max(int(n), int(index.numpy()) + 1) if isinstance(n, (int, np.integer)) and \
        not isinstance(index, SymbolicTensor) else None
    return bind(TA_WRITE, [buf, index, to_tensor(value, buf.dtype)], {"rows": rows})


def _merged_shape(known, shape):
    """The element shape after writing a value of `shape`: as TF, compatible shapes merge (an
    unknown dimension takes the other's size; a value of shape [None] fits elements of [1])."""
    if known is None:
        return shape
    if len(known) != len(shape) or any(a is not None and b is not None and a != b
                                       for a, b in zip(known, shape)):
        raise ValueError(f"TensorArray.write: value has shape {list(shape)} but the "
                         f"elements have shape {list(known)}")
    return tuple(a if a is not None else b for a, b in zip(known, shape))


class TensorArray:
    """TF's TensorArray (functional: `write`/`unstack` return the new array)."""

    def __init__(self, dtype, size=None, dynamic_size=None, clear_after_read=None,
                 tensor_array_name=None, handle=None, flow=None, infer_shape=True,
                 element_shape=None, colocate_with_first_write_call=True, name=None):
        self.dtype = _dt.as_dtype(dtype)
        if isinstance(size, Tensor) and not isinstance(size, SymbolicTensor):
            size = int(size.numpy())
        self._size_t = None   # a traced size (known when the graph runs): a buffer of zeros
        if isinstance(size, SymbolicTensor):
            self._size_t, size, dynamic_size = math_ops.cast(size, _dt.int32), 0, True
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
        if self._size_t is not None and self.element_shape is not None:
            return creation.zeros([self._size_t] + list(self.element_shape), self.dtype)
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
        if self._buf is None:
            return to_tensor(self._size) if self._size_t is None else self._size_t
        n = self._buf.shape[0]
        return to_tensor(n) if isinstance(n, (int, np.integer)) else shape_ops.shape(self._buf)[0]

    def write(self, index, value, name=None):
        value = to_tensor(value, self.dtype)
        if value.dtype != self.dtype:
            raise TypeError(f"TensorArray.write: value has dtype {value.dtype.name} but the "
                            f"array holds {self.dtype.name}")
        t = self._copy()
        t.element_shape = _merged_shape(t.element_shape, tuple(value.shape))
        if t._buf is None and not isinstance(index, SymbolicTensor) and t._size_t is None:
            i = int(index.numpy()) if isinstance(index, Tensor) else int(index)
            if i >= len(t._items):
                if not t.dynamic_size:
                    raise IndexError(f"TensorArray.write: index {i} is out of range for size "
                                     f"{t._size} (pass dynamic_size=True to grow)")
                t._items += [None] * (i + 1 - len(t._items))
                t._size = len(t._items)
            t._items[i] = value
            return t
        if t._buf is None:
            t._buf = t._as_tensor()
            t._items = None
        if t.dynamic_size:   # grows at run time (a graph loop's buffer has a run-time size)
            t._buf = tensor_array_write(t._buf, math_ops.cast(index, _dt.int32), value)
            return t
        # one row written (compiled loops write it in place; gradients need no buffer history);
        # a one-row window, so an index out of [0, size) is an error as in TF (not wrapped)
        t._buf = dynamic_setitem(t._buf, (Window(index, 1),), shape_ops.expand_dims(value, 0))
        return t

    def read(self, index, name=None):
        if self._buf is not None:
            return self._buf[index]
        i = int(index.numpy()) if isinstance(index, Tensor) and \
            not isinstance(index, SymbolicTensor) else index
        if isinstance(i, SymbolicTensor) or self._size_t is not None:
            return self.stack()[i]
        v = self._items[i]
        return v if v is not None else creation.zeros(self.element_shape, self.dtype)

    def stack(self, name=None):
        if self._buf is not None:
            return self._buf
        if self._size_t is not None:
            return self._as_tensor()
        if not self._items:
            return creation.zeros((0,) + (self.element_shape or ()), self.dtype)
        es = self.element_shape or ()
        if all(v is None for v in self._items):   # nothing written yet: one zeros node, not n
            return creation.zeros((len(self._items),) + tuple(es), self.dtype)
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

