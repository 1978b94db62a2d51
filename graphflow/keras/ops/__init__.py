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
import functools as _functools
import types as _types

from ...tensor import convert_to_tensor
from ..layers import KerasTensor as _KerasTensor, apply_op as _apply_op
from . import core, image, linalg, nn, numpy


def _has_keras_tensor(x):
    if isinstance(x, _KerasTensor):
        return True
    if isinstance(x, dict):
        x = x.values()
    elif not isinstance(x, (list, tuple)):
        return False
    for v in x:   # a loop: this namespace's `any` is keras.ops.any
        if _has_keras_tensor(v):
            return True
    return False


#: functions of a KerasTensor's static facts, answered from it directly (as Keras 3 does:
#: `ops.shape` of a KerasTensor is its shape tuple, None for unknown dims; it is no native tensor)
_STATIC = {"shape": lambda x: tuple(x.shape), "ndim": lambda x: len(x.shape),
           "dtype": lambda x: x.dtype.name, "is_tensor": lambda x: False}


def symbolic(fn, name=None):
    """`fn` that, called with a KerasTensor among its (nested) arguments, records itself as a
    node of the functional model under construction (an `OpLayer` named `name`, by default
    after `fn`: an alias such as `true_divide` names its node so) instead of running; every
    public keras.ops function is wrapped so.

    >>> from graphflow import keras
    >>> x = keras.Input((2, 3))
    >>> y = keras.ops.transpose(x, (0, 2, 1))
    >>> y.shape, y._node.layer.name.startswith("transpose")
    (TensorShape([None, 3, 2]), True)
    """
    if getattr(fn, "_keras_symbolic", False):
        return fn

    static = _STATIC.get(fn.__name__)
    name = name or fn.__name__

    @_functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if _has_keras_tensor(args) or _has_keras_tensor(kwargs):
            if static is not None and len(args) == 1 and not kwargs:
                return static(args[0])
            return _apply_op(fn, args, kwargs, op_name=name)
        return fn(*args, **kwargs)
    wrapper._keras_symbolic = True
    return wrapper


def _export(mod, into=None):
    """The public functions of `mod`, wrapped by `symbolic` in `mod` itself (so the
    sub-namespaces take KerasTensors too) and, given `into`, as names of this namespace."""
    for name, value in list(vars(mod).items()):
        if not name.startswith("_") and callable(value) and \
                not isinstance(value, (_types.ModuleType, type)) and name != "convert_to_tensor":
            value = symbolic(value, name)
            setattr(mod, name, value)
            if into is not None:
                into[name] = value


for _mod in (numpy, nn, core, linalg):
    _export(_mod, globals())
_export(image)
convert_to_tensor = convert_to_tensor

# names Keras 3 lists in more than one sub-namespace (one definition each)
nn.polar, numpy.slogdet, numpy.view, linalg.jvp = core.polar, linalg.slogdet, core.view, core.jvp
