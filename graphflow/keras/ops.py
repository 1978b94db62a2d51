"""keras.ops: Keras 3's backend-neutral operations, on graphflow ops (so they trace inside
`fit` and differentiate like any graphflow op). Names and arguments follow Keras 3 (`sum(x,
axis, keepdims)`, `concatenate`, `clip(x, min, max)`, ...); the subset the Keras guides use.

>>> import numpy as np, graphflow as tf
>>> from graphflow.keras import ops
>>> x = ops.convert_to_tensor(np.array([[1.0, -2.0], [3.0, 4.0]], "float32"))
>>> ops.sum(ops.relu(x), axis=0).numpy().tolist(), ops.matmul(x, ops.ones((2, 1))).shape
([4.0, 4.0], TensorShape([2, 1]))
"""
import numpy as _np

from ..ops import array_ops as _a, creation as _c, math_ops as _m, nn_ops as _nn
from ..ops import shape_ops as _s
from ..tensor import convert_to_tensor

# elementwise and linear algebra: the graphflow ops under their Keras names
matmul, dot = _m.matmul, _m.matmul
exp, log, log1p, expm1, sqrt, rsqrt, square = _m.exp, _m.log, _m.log1p, _m.expm1, _m.sqrt, \
    _m.rsqrt, _m.square
absolute = abs = _m.abs
sign, floor, ceil, round = _m.sign, _m.floor, _m.ceil, _m.round
sin, cos, tan, tanh, erf = _m.sin, _m.cos, _m.tan, _m.tanh, _m.erf
add, subtract, multiply, divide, negative = _m.add, _m.subtract, _m.multiply, _m.divide, \
    _m.negative
power = _m.pow
maximum, minimum = _m.maximum, _m.minimum
equal, not_equal, greater, greater_equal, less, less_equal = _m.equal, _m.not_equal, \
    _m.greater, _m.greater_equal, _m.less, _m.less_equal
logical_and, logical_or, logical_not = _m.logical_and, _m.logical_or, _m.logical_not
where, cast, stop_gradient = _m.where, _m.cast, _m.stop_gradient
zeros_like, ones_like = _m.zeros_like, _m.ones_like
argmax, argmin = _m.argmax, _m.argmin
# nn
relu, sigmoid, softplus, softsign, relu6 = _m.relu, _m.sigmoid, _m.softplus, _nn.softsign, \
    _nn.relu6
softmax, log_softmax, leaky_relu, gelu, silu, elu, selu = _nn.softmax, _nn.log_softmax, \
    _nn.leaky_relu, _nn.gelu, _nn.silu, _nn.elu, _nn.selu
# shapes
reshape, transpose, stack, expand_dims, squeeze, tile, take = _s.reshape, _s.transpose, \
    _s.stack, _s.expand_dims, _s.squeeze, _s.tile, _s.gather
one_hot = _s.one_hot
einsum, cumsum, sort, tensordot = _a.einsum, _a.cumsum, _a.sort, _a.tensordot
# creation
zeros, ones, eye, linspace = _c.zeros, _c.ones, _c.eye, _c.linspace
arange = _c.range
convert_to_tensor = convert_to_tensor


def convert_to_numpy(x):
    """The numpy value of a tensor (Keras 3's `ops.convert_to_numpy`)."""
    return _np.asarray(x.numpy() if hasattr(x, "numpy") else x)


def _reduction(reduce, name, what):
    def op(x, axis=None, keepdims=False):
        return reduce(x, axis=axis, keepdims=keepdims)
    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"{what} over `axis` (all axes by default), keeping reduced axes with keepdims."
    return op


sum = _reduction(_m.reduce_sum, "sum", "Sum")
mean = _reduction(_m.reduce_mean, "mean", "Mean")
max = _reduction(_m.reduce_max, "max", "Maximum")
min = _reduction(_m.reduce_min, "min", "Minimum")
prod = _reduction(_m.reduce_prod, "prod", "Product")
std = _reduction(_m.reduce_std, "std", "Standard deviation")
var = _reduction(_m.reduce_variance, "var", "Variance")
logsumexp = _reduction(_m.reduce_logsumexp, "logsumexp", "log(sum(exp(x))), computed stably,")


def concatenate(xs, axis=0):
    """Join tensors along `axis` (Keras 3's default axis is 0)."""
    return _s.concat(list(xs), axis=axis)


def clip(x, x_min, x_max):
    """Clip the values of `x` to [x_min, x_max]."""
    return _m.clip_by_value(x, x_min, x_max)


def full(shape, fill_value, dtype=None):
    """A tensor of `shape` filled with `fill_value`."""
    return _c.ones(shape, dtype=dtype or "float32") * fill_value


def shape(x):
    """The shape as a tuple: ints where known, run-time scalar tensors where a traced dim is
    unknown (as Keras 3's TensorFlow backend gives it)."""
    x = convert_to_tensor(x)
    dims = tuple(x.shape)
    if all(isinstance(d, int) for d in dims):
        return dims
    run = _s.shape(x)
    return tuple(d if isinstance(d, int) else run[i] for i, d in enumerate(dims))
