"""Indexing with bounds known only when the graph runs: `x[i]`, `x[i, 1]`, `x[:n]`,
`x[i:i + 2]`, `tf.slice(x, [i, 0], [2, 3])`, `tf.strided_slice(x, begin, end)` with traced
scalars (a loop counter, an argument) - TF's StridedSlice/Slice with tensor bounds.

The index is a spec as in `graphflow.indexing` whose dynamic entries are `("v", k)`: the k-th
value of the op's second input, a 1-D int64 tensor gathering the traced scalars. Integer
indices drop their axis (the shape stays known); a slice with a traced bound has a run-time
length (None), except `tf.slice`'s windows `("w", start, size)` whose size is known. Nodes run
on numpy (their sizes are known only per call).

>>> import graphflow as tf
>>> @tf.function
... def f(x, i):
...     return x[i, 1], x[:i], tf.slice(x, [i, 0], [1, 2])
>>> a, b, c = f(tf.constant([[1., 2.], [3., 4.], [5., 6.]]), tf.constant(2))
>>> float(a), b.numpy().tolist(), c.numpy().tolist()
(6.0, [[1.0, 2.0], [3.0, 4.0]], [[5.0, 6.0]])
"""
import operator

import numpy as np

from ..dispatch import bind
from ..errors import InvalidArgumentError
from ..tensor import OPERATORS, Tensor, to_tensor
from .registry import Aval, defop, fmt_avals, linear_in


def is_traced(v):
    """True for a tensor without a value now (a symbolic tensor while tracing)."""
    return isinstance(v, Tensor) and getattr(v, "_value", 0) is None


def _dyn(v):
    return isinstance(v, tuple) and len(v) == 2 and v[0] == "v"


def _resolve(spec, vals):
    """The numpy index `spec` stands for with its ("v", k) entries read from `vals`."""
    def val(v):
        return int(vals[v[1]]) if _dyn(v) else v
    out = []
    for s in spec:
        kind = s[0]
        if kind == "s":
            out.append(slice(val(s[1]), val(s[2]), val(s[3])))
        elif kind == "w":
            out.append(("w", val(s[1]), val(s[2])))
        else:
            out.append(None if kind == "n" else Ellipsis if kind == "e" else val(s[1]))
    return out


def _numpy_index(shape, index, opname):
    """`index` (from _resolve) checked against `shape` as TF checks it when the op runs: an
    integer out of range, a window out of bounds or a zero step are InvalidArgumentErrors."""
    consumed = sum(1 for k in index if k is not None and k is not Ellipsis)
    axis, out = 0, []
    for k in index:
        if k is Ellipsis:
            axis += len(shape) - consumed
            out.append(k)
            continue
        if k is None:
            out.append(k)
            continue
        if axis >= len(shape):
            raise InvalidArgumentError(f"{opname}: too many indices for a tensor of shape "
                                       f"{list(shape)}")
        d = shape[axis]
        if isinstance(k, tuple):   # a window (tf.slice): start, size (-1: to the end)
            start, size = k[1], k[2]
            stop = d if size == -1 else start + size
            if not 0 <= start <= stop <= d:
                raise InvalidArgumentError(
                    f"{opname}: begin {start} and size {size} are out of bounds for axis {axis} "
                    f"of size {d} (shape {list(shape)})")
            k = slice(start, stop)
        elif isinstance(k, slice):
            if k.step == 0:
                raise InvalidArgumentError(f"{opname}: slice step on axis {axis} must not be 0")
        elif not -d <= k < d:
            raise InvalidArgumentError(f"{opname}: index {k} is out of bounds for axis {axis} "
                                       f"with size {d} (shape {list(shape)})")
        out.append(k)
        axis += 1
    return tuple(out)


def _out_shape(shape, spec, opname):
    consumed = sum(1 for k in spec if k[0] in "isw")
    if consumed > len(shape) or sum(1 for k in spec if k[0] == "e") > 1:
        raise InvalidArgumentError(f"{opname}: index {spec} does not fit a tensor of shape "
                                   f"{list(shape)}")
    out, axis = [], 0
    for k in spec:
        kind = k[0]
        if kind == "n":
            out.append(1)
        elif kind == "e":
            n = len(shape) - consumed
            out.extend(shape[axis:axis + n])
            axis += n
        elif kind == "i":
            axis += 1
        elif kind == "w":
            d = shape[axis]
            out.append(None if _dyn(k[2]) else k[2] if k[2] != -1 else
                       d - k[1] if not _dyn(k[1]) and isinstance(d, (int, np.integer)) else None)
            axis += 1
        else:
            static = not any(_dyn(v) for v in k[1:]) and isinstance(shape[axis], (int, np.integer))
            out.append(len(range(*slice(*k[1:]).indices(shape[axis]))) if static else
                       0 if shape[axis] == 0 else None)
            axis += 1
    return tuple(out) + tuple(shape[axis:])


def _rule(x, vals, *, spec):
    if len(vals.shape) != 1 or np.dtype(vals.dtype).kind not in "iu":
        raise InvalidArgumentError(f"strided_slice: the traced bounds must be integer scalars "
                                   f"(inputs: {fmt_avals([x, vals])})")
    return Aval(_out_shape(tuple(x.shape), spec, "strided_slice"), x.dtype)


def _impl(x, vals, *, spec):
    x = np.asarray(x)
    r = x[_numpy_index(x.shape, _resolve(spec, vals), "strided_slice")]
    return r if isinstance(r, np.ndarray) else np.asarray(r, dtype=x.dtype)


def _setitem_impl(x, vals, value, *, spec):
    x = np.asarray(x)
    idx = _numpy_index(x.shape, _resolve(spec, vals), "strided_slice_assign")
    out = x.copy()
    target = out[idx]
    value = np.asarray(value)
    if np.shape(target) != value.shape:   # TF: no broadcasting into a slice
        raise InvalidArgumentError(f"strided_slice_assign: the slice has shape "
                                   f"{list(np.shape(target))} but the value has shape "
                                   f"{list(value.shape)}")
    out[idx] = value
    return out


def _setitem_rule(x, vals, value, *, spec):
    if np.dtype(value.dtype) != np.dtype(x.dtype):
        raise InvalidArgumentError(f"strided_slice_assign: the value's dtype must be the "
                                   f"tensor's (inputs: {fmt_avals([x, vals, value])})")
    _rule(x, vals, spec=spec)
    return Aval(tuple(x.shape), x.dtype)


def _zeros_like(t):
    from . import math_ops   # (same layer)
    return math_ops.zeros_like(t)


DYNAMIC_GETITEM = defop(
    "dynamic_getitem", _impl, _rule,
    lambda i, o, g, spec: [bind(DYNAMIC_SETITEM, [_zeros_like(i[0]), i[1], g], {"spec": spec}),
                           None],
    jvp=linear_in(0),
    doc="`x[index]` whose ('v', k) entries of attr `spec` are the run-time values vals[k] (TF's "
        "StridedSlice / Slice with tensor bounds).")


DYNAMIC_SETITEM = defop(
    "dynamic_setitem", _setitem_impl, _setitem_rule,
    lambda i, o, g, spec: [bind(DYNAMIC_SETITEM, [g, i[1], _zeros_like(i[2])], {"spec": spec}),
                           None, bind(DYNAMIC_GETITEM, [g, i[1]], {"spec": spec})],
    jvp=linear_in(0, 2),
    doc="A copy of `x` with `value` at the run-time index (TF's TensorStridedSliceUpdate; "
        "`v[i].assign(value)` inside a graph); the value must have the slice's shape.")


def _spec(idx):
    """(spec, traced scalars as int64 tensors) of a basic index whose entries may be traced."""
    from . import math_ops   # (same layer)
    vals = []

    def ref(v):
        if v is None:
            return None
        if isinstance(v, Tensor):
            if len(v.shape) != 0 or np.dtype(v.dtype.as_numpy_dtype).kind not in "iu":
                raise TypeError(f"strided_slice: index entries must be integer scalars, got a "
                                f"{v.dtype.name} tensor of shape {list(v.shape)}")
            if not is_traced(v):
                return int(v.numpy())
            vals.append(math_ops.cast(v, "int64"))
            return ("v", len(vals) - 1)
        return operator.index(v)

    spec = []
    for k in idx if isinstance(idx, tuple) else (idx,):
        if isinstance(k, slice):
            spec.append(("s", ref(k.start), ref(k.stop), ref(k.step)))
        elif isinstance(k, Window):
            spec.append(("w", ref(k.start), ref(k.size)))
        elif k is None:
            spec.append(("n",))
        elif k is Ellipsis:
            spec.append(("e",))
        else:
            spec.append(("i", ref(k)))
    return tuple(spec), vals


def dynamic_getitem(x, idx):
    """`x[idx]` where some integers or slice bounds of `idx` are traced integer scalars.

    >>> dynamic_getitem(to_tensor([[1, 2], [3, 4]]), (to_tensor(-1), slice(None, 1))).numpy()
    array([3], dtype=int32)
    """
    from . import shape_ops   # (same layer)
    x = to_tensor(x)
    spec, vals = _spec(idx)
    if not vals and not any(k[0] == "w" for k in spec):   # every entry known: static getitem
        return shape_ops.getitem(x, tuple(
            slice(*k[1:]) if k[0] == "s" else slice(k[1], None if k[2] == -1 else k[1] + k[2])
            if k[0] == "w" else None if k[0] == "n" else Ellipsis if k[0] == "e" else k[1]
            for k in spec))
    vals = shape_ops.stack(vals) if vals else to_tensor(np.zeros(0, np.int64))
    return bind(DYNAMIC_GETITEM, [x, vals], {"spec": spec})


def dynamic_setitem(x, idx, value):
    """A copy of `x` with `value` at `idx`, whose entries may be traced integer scalars
    (`v[i, 1].assign(5.)` inside a graph assigns this).

    >>> dynamic_setitem(to_tensor([[1, 2], [3, 4]]), (to_tensor(1), 0), to_tensor(9)).numpy()
    array([[1, 2],
           [9, 4]], dtype=int32)
    """
    from . import shape_ops   # (same layer)
    x = to_tensor(x)
    spec, vals = _spec(idx)
    value = to_tensor(value, x.dtype) if not isinstance(value, Tensor) else value
    vals = shape_ops.stack(vals) if vals else to_tensor(np.zeros(0, np.int64))
    return bind(DYNAMIC_SETITEM, [x, vals, value], {"spec": spec})


OPERATORS.update(dynamic_setitem=dynamic_setitem)


class Window:
    """One axis of `tf.slice`: `size` entries from `start` (size -1: to the end), out of bounds
    an error (not clamped as a Python slice is)."""
    __slots__ = ("start", "size")

    def __init__(self, start, size):
        self.start, self.size = start, size
