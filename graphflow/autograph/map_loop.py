"""`tf.map_fn` over a leading axis whose length is known only when the graph runs (a batch of
unknown size under `input_signature=[tf.TensorSpec([None, ...])]`, the rows a `boolean_mask`
kept): one `while_loop` writing each result into a `TensorArray`, as TF's map_fn is built.
A static length keeps map_fn's unrolled form (`graphflow.ops.array_ops.map_fn`).

>>> import graphflow as tf
>>> @tf.function(input_signature=[tf.TensorSpec([None, 2], tf.float32)])
... def double_rows(x):
...     return tf.map_fn(lambda r: r * 2., x)
>>> double_rows(tf.constant([[1., 2.], [3., 4.]])).numpy()
array([[2., 4.],
       [6., 8.]], dtype=float32)
"""
from .. import dtypes as _dt
from ..control_flow import while_loop
from ..nest_api import flatten, pack_sequence_as
from ..ops import runtime_shape
from ..tensor import OPERATORS
from .tensor_array import TensorArray


def _dtype_of(sig):
    return _dt.as_dtype(getattr(sig, "dtype", sig))


def map_fn_loop(fn, elems, signature=None):
    """`fn` applied to each slice along axis 0 of `elems` (a tensor or a nest of tensors) in a
    graph loop; the results stacked. `signature`: the output's dtype or a nest of dtypes /
    TensorSpecs (TF's fn_output_signature); by default the output has `elems`' structure."""
    flat = flatten(elems)
    n = runtime_shape.shape_of(flat[0])[0]
    template = elems if signature is None else signature
    sig = flat if signature is None else flatten(signature)
    arrays = [TensorArray(_dtype_of(s), size=n) for s in sig]

    def body(i, *arrays):
        out = fn(pack_sequence_as(elems, [e[i] for e in flat]))
        leaves = flatten(out)
        if len(leaves) != len(arrays):
            raise ValueError(f"map_fn: fn returned {len(leaves)} tensors, but the output "
                             f"signature has {len(arrays)} (pass fn_output_signature=)")
        return (i + 1,) + tuple(a.write(i, v) for a, v in zip(arrays, leaves))

    res = while_loop(lambda i, *a: i < n, body, [0] + arrays)
    return pack_sequence_as(template, [a.stack() for a in res[1:]])


OPERATORS.update(map_fn_loop=map_fn_loop)
