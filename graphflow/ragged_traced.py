"""RaggedTensors made inside `@function` whose row partition is known only when the graph runs.

Splitting a traced string tensor (`tf.strings.unicode_split`, `bytes_split`, `split`,
`unicode_decode` of a 1-D tensor) gives rows whose lengths depend on the data, so the partition
cannot be part of the trace as a `RaggedTensor`'s static row splits are. `TracedRaggedTensor`
holds the flat values and the row splits as two graph tensors (one `string_rows` node gives
both) and supports what text pipelines do with it before going dense: its values, row splits,
row lengths and number of rows, `with_flat_values` / `with_values` (so Keras layers such as
`StringLookup` map its values), and `to_tensor` (a `ragged_to_dense` node). Other RaggedTensor
methods need the partition while tracing and raise a clear error.

>>> import graphflow as tf
>>> @tf.function
... def char_codes(s):
...     codes = tf.strings.unicode_decode(s, "UTF-8")   # a TracedRaggedTensor
...     return codes.to_tensor(), codes.row_lengths()
>>> [t.numpy().tolist() for t in char_codes(tf.constant(["ab", "c"]))]
[[[97, 98], [99, 0]], [2, 1]]
"""
import numpy as np

from . import dtypes as _dt
from .ops import eager_graph as _eg
from .ops import math_ops as _m, shape_ops as _s
from .ops.registry import Aval, op_error
from .ragged import RaggedTensor
from .nest import Components
from .tensor import SymbolicTensor, Tensor, TensorShape, convert_to_tensor

__all__ = ["TracedRaggedTensor", "rows_in_graph"]

_SUPPORTED = ("values, flat_values, row_splits, nested_row_splits, row_lengths(), nrows(), "
              "with_values, with_flat_values, to_tensor, shape, dtype")


class TracedRaggedTensor(RaggedTensor):
    """A rank-2 RaggedTensor of traced `values` and traced int64 `row_splits` (see the module
    doc)."""

    def __init__(self, values, row_splits):   # (RaggedTensor.__init__ stores static splits)
        self._values = values
        self._splits_t = row_splits

    @property
    def _row_splits(self):   # what every other RaggedTensor method reads: not known yet
        raise NotImplementedError(
            "this RaggedTensor was made inside @function from data (its rows are known only "
            f"when the graph runs); it supports {_SUPPORTED} - call .to_tensor() first")

    def _gf_components(self):
        """Values and row splits, both data (returned from a @function: a RaggedTensor)."""
        def build(parts):
            v, s = parts
            if isinstance(v, SymbolicTensor) or isinstance(s, SymbolicTensor):
                return TracedRaggedTensor(v, s)
            if not isinstance(v, Tensor):   # e.g. specs
                return Components("RaggedTensor", parts, build)
            return RaggedTensor.from_row_splits(v, np.asarray(s._value), validate=False)
        return [self._values, self._splits_t], build

    @property
    def row_splits(self):
        return self._splits_t

    @property
    def nested_row_splits(self):
        return (self._splits_t,)

    @property
    def ragged_rank(self):
        return 1

    @property
    def shape(self):
        n = self._splits_t.shape[0]
        return TensorShape([None if n is None else n - 1, None] + list(self._values.shape)[1:])

    def nrows(self, out_type=_dt.int64, name=None):
        return _m.cast(_s.shape(self._splits_t)[0] - 1, out_type)

    def row_lengths(self, axis=1, name=None):
        if axis != 1:
            raise NotImplementedError("TracedRaggedTensor.row_lengths: axis 1 only")
        return self._splits_t[1:] - self._splits_t[:-1]

    def with_values(self, new_values):
        return TracedRaggedTensor(new_values, self._splits_t)

    def with_flat_values(self, new_values):
        return self.with_values(new_values)

    def to_tensor(self, default_value=None, name=None, shape=None):
        """Dense rows padded with `default_value` (0 / b'') to the longest row."""
        if shape is not None:
            raise NotImplementedError("TracedRaggedTensor.to_tensor: `shape` is not supported "
                                      "(the row lengths are known only when the graph runs)")
        default = default_value.numpy() if isinstance(default_value, Tensor) else default_value
        if isinstance(default, str):
            default = default.encode()
        return _eg.bind_eager(TO_DENSE, [self._values, self._splits_t],
                              {"default_value": default})

    def __repr__(self):
        return f"tf.RaggedTensor(values={self._values!r}, row_splits={self._splits_t!r})"


# ------------------------------------------------------------------ graph ops
def _to_dense(values, splits, default_value=None):
    return RaggedTensor.from_row_splits(values, splits.numpy(), validate=False).to_tensor(
        default_value)


def _to_dense_rule(values, splits, default_value=None):
    n = splits.shape[0]
    return Aval((None if n is None else n - 1, None) + tuple(values.shape)[1:], values.dtype)


TO_DENSE = _eg.eager_graph_op("ragged_to_dense", _to_dense, _to_dense_rule,
                              "RaggedTensor.to_tensor of rows known only when the graph runs")

#: the splitting functions `string_rows` nodes run (name -> (function, values dtype)); filled
#: by graphflow.strings, which defines them
ROW_FUNCTIONS = {}


def _rows_parts(input, *, fn, **kwargs):   # noqa: A002 (TF's argument name)
    out = ROW_FUNCTIONS[fn][0](input, **kwargs)
    if isinstance(out, RaggedTensor):
        return out.values, out.row_splits
    return out, convert_to_tensor(np.array([0, out.shape[0]], np.int64))   # a scalar's one row


def _rows_rule(a, *, fn, **kwargs):
    if len(a.shape) > 1:
        raise op_error(f"string_rows({fn})", [a], "inside @function the input must be a scalar "
                       "or a vector")
    n = a.shape[0] if a.shape else 1
    return (Aval((None,), np.dtype(ROW_FUNCTIONS[fn][1].np)),
            Aval((None if n is None else n + 1,), np.dtype(np.int64)))


ROWS = _eg.eager_graph_op("string_rows", _rows_parts, _rows_rule,
                          "tf.strings splits of a traced tensor (values and row splits)",
                          outputs=2)


def rows_in_graph(fn, input, **kwargs):   # noqa: A002 (TF's argument name)
    """The traced result of splitting function `fn` (a ROW_FUNCTIONS name) of `input`: a 1-D
    tensor for a scalar, a TracedRaggedTensor for a vector."""
    x = input if isinstance(input, Tensor) else convert_to_tensor(input, _dt.string)
    values, splits = _eg.bind_eager(ROWS, [x], dict(kwargs, fn=fn), outputs=2)
    return values if not x.shape else TracedRaggedTensor(values, splits)
