"""`tf.scan` / `tf.foldl` / `tf.foldr` over a leading axis whose length is known only when the
graph runs (a batch of unknown size inside a traced `fit`, the rows a `boolean_mask` kept): one
`while_loop` carrying the accumulator and writing each one into a `TensorArray`, as TF's scan
is built. A static length keeps the unrolled form (`graphflow.ops.array_ops.scan`).

>>> import graphflow as tf
>>> @tf.function(input_signature=[tf.TensorSpec([None], tf.int32)])
... def running(x):
...     return tf.scan(lambda a, v: a + v, x, initializer=tf.constant(10))
>>> running(tf.constant([1, 2, 3])).numpy()
array([11, 13, 16], dtype=int32)
"""
from .. import dtypes as _dt
from ..control_flow import while_loop
from ..nest_api import flatten, pack_sequence_as
from ..ops import math_ops as _m, runtime_shape
from ..tensor import OPERATORS, to_tensor
from .tensor_array import TensorArray


def scan_loop(fn, elems, initializer=None, reverse=False, fold=False):
    """Accumulators `acc = fn(acc, x)` over axis 0 of `elems` (a tensor or a nest of tensors)
    in a graph loop: all of them stacked (scan), or the last (fold, `fold=True`). Without an
    `initializer` the first element starts the accumulation (as TF)."""
    flat = [to_tensor(e) for e in flatten(elems)]
    n = runtime_shape.shape_of(flat[0])[0]

    def item(i):
        return pack_sequence_as(elems, [e[i] for e in flat])

    def index(i):
        return n - 1 - i if reverse else i

    if initializer is None:
        acc0, start = item(index(0)), 1
    else:
        acc0, start = initializer, 0
    acc_flat = [to_tensor(a) for a in flatten(acc0)]
    arrays = [] if fold else [TensorArray(_dt.as_dtype(a.dtype), size=n) for a in acc_flat]
    if not fold and start:   # the first element is the first output too
        arrays = [ta.write(index(0), a) for ta, a in zip(arrays, acc_flat)]
    k = len(acc_flat)

    def body(i, *state):
        acc = pack_sequence_as(acc0, list(state[:k]))
        new = [to_tensor(v) for v in flatten(fn(acc, item(index(i))))]
        if len(new) != k:
            raise ValueError(f"scan: fn returned {len(new)} tensors, but the accumulator "
                             f"(initializer) has {k}")
        new = [_cast_like(v, a) for v, a in zip(new, acc_flat)]
        written = tuple(ta.write(index(i), v) for ta, v in zip(state[k:], new))
        return (i + 1,) + tuple(new) + written

    res = while_loop(lambda i, *s: i < n, body, [start] + acc_flat + arrays)
    if fold:
        return pack_sequence_as(acc0, list(res[1:1 + k]))
    return pack_sequence_as(acc0, [ta.stack() for ta in res[1 + k:]])


def _cast_like(v, a):
    return v if v.dtype == a.dtype else _m.cast(v, a.dtype)


OPERATORS.update(scan_loop=scan_loop)
