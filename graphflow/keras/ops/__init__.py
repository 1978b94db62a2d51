"""keras.ops: Keras 3's backend-neutral operations, on graphflow ops (so they trace inside
`fit` and differentiate like any graphflow op). Names and arguments follow Keras 3 (numpy
semantics: `sum(x, axis=None, keepdims=False)`, `concatenate(xs, axis=0)`, ...).

The namespaces `keras.ops.numpy`, `keras.ops.nn`, `keras.ops.linalg`, `keras.ops.core` and
`keras.ops.image` hold the functions by kind; all but `image` are also flat here, as in Keras.

>>> import numpy as np, graphflow as tf
>>> from graphflow.keras import ops
>>> x = ops.convert_to_tensor(np.array([[1.0, -2.0], [3.0, 4.0]], "float32"))
>>> ops.sum(ops.relu(x), axis=0).numpy().tolist(), ops.matmul(x, ops.ones((2, 1))).shape
([4.0, 4.0], TensorShape([2, 1]))
>>> ops.cond(ops.all(x > -5), lambda: ops.amax(x), lambda: ops.amin(x)).numpy().tolist()
4.0
"""
import types as _types

from ...tensor import convert_to_tensor
from . import core, image, linalg, nn, numpy


def _export(mod, into):
    """The public functions of `mod` as names of this namespace."""
    for name, value in vars(mod).items():
        if not name.startswith("_") and callable(value) and \
                not isinstance(value, (_types.ModuleType, type)) and name != "convert_to_tensor":
            into[name] = value


for _mod in (numpy, nn, core, linalg):
    _export(_mod, globals())
convert_to_tensor = convert_to_tensor
