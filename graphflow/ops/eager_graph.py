"""Eager-only ops (string functions, file reads, codecs) as graph ops, so that they run inside
`@function` (TF's string ops are graph ops: `tf.io.read_file` of a traced path, `tf.strings.upper`
of a traced string, the audio tutorial's `ExportModel` taking a file name or a waveform).

`eager_graph_op(name, eager, rule)` declares a table entry whose implementation calls the eager
function on Tensors of the node's input arrays, with the node's attrs as keyword arguments; the
shape/dtype `rule` says what it gives while tracing (None for sizes known only when the graph
runs: a decoded WAV file's length). The eager function itself starts with
`if in_graph(): return bind_eager(OP, inputs, attrs)`. These nodes hold strings or decode bytes,
so executors run them on numpy; they have no gradient. Attrs are plain values (a graph holding
them can be saved with `tf.saved_model`).

>>> import graphflow as tf
>>> @tf.function
... def shout(s):
...     return tf.strings.upper(s) + "!"
>>> shout(tf.constant(["ab", "c"])).numpy().tolist()
[b'AB!', b'C!']
"""
import numpy as np

from .. import state as _state
from ..dispatch import bind
from ..tensor import Tensor, convert_to_tensor
from .registry import OTHER, Aval, broadcast_shapes, defop, op_error

__all__ = ["eager_graph_op", "in_graph", "bind_eager", "elementwise_rule", "STRING"]

#: the numpy dtype of string tensors (object arrays of bytes)
STRING = np.dtype(object)


def in_graph():
    """True while tracing (an eager-only function must add its graph op instead)."""
    return _state.current().graph is not None


def eager_graph_op(name, eager, rule, doc, outputs=1):
    """The op table entry running `eager(*tensors, **attrs)` when the graph runs; `outputs` > 1:
    one node per output (attr `index`), as every primitive has a single output."""
    def impl(*arrays, index=None, **attrs):
        with _state.using(graph=None, tapes=(), adjoint=None):
            out = eager(*[Tensor._wrap(a) for a in arrays], **attrs)
        out = out if index is None else out[index]
        return out._value

    def rule_one(*avals, index=None, **attrs):
        out = rule(*avals, **attrs)
        return out if index is None else out[index]
    return defop(name, impl, rule_one if outputs > 1 else rule, kind=OTHER,
                 nondiff_reason=f"{name} works on strings or bytes (no gradient)", doc=doc)


def bind_eager(op, inputs, attrs, outputs=1):
    """Add `op`'s node(s) for `inputs` (converted to tensors) with `attrs`: one tensor, or a
    tuple of `outputs` tensors."""
    xs = [x if isinstance(x, Tensor) else convert_to_tensor(x) for x in inputs]
    if outputs == 1:
        return bind(op, xs, attrs)
    return tuple(bind(op, xs, dict(attrs, index=i)) for i in range(outputs))


def elementwise_rule(name, dtype, strings_in=1):
    """The rule of op `name` mapping each string of its first `strings_in` inputs (broadcast)
    to a `dtype` value."""
    dtype = np.dtype(dtype)

    def rule(*avals, **attrs):
        ins = avals[:strings_in]
        if any(np.dtype(a.dtype) != STRING for a in ins):
            raise op_error(name, list(avals), "needs string tensors")
        shape = ins[0].shape if len(ins) == 1 else broadcast_shapes(name, ins)
        return Aval(tuple(shape), dtype)
    return rule
