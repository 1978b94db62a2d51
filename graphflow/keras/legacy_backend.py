"""`tf.keras.backend`'s legacy Keras 1/2 functions (`K.mean`, `K.int_shape`, `K.batch_dot`, ...),
as TF 2.21 keeps them next to Keras 3's few backend utilities: older guides and examples write
`from tensorflow.keras import backend as K`. Each is a thin wrapper over graphflow ops with the
legacy argument conventions (e.g. `K.mean(x, axis=None, keepdims=False)`, `K.concatenate(xs,
axis=-1)`, losses taking `(target, output)` and clipping probabilities by `K.epsilon()`), so it
traces and differentiates like the op it calls.

>>> import numpy as np, graphflow as tf
>>> K = tf.keras.backend
>>> x = K.constant([[1.0, 2.0], [3.0, 4.0]])
>>> K.int_shape(x), K.eval(K.mean(K.square(x), axis=-1)).tolist()
((2, 2), [2.5, 12.5])
>>> K.batch_dot(K.ones((3, 2, 4)), K.ones((3, 4, 5)), axes=(2, 1)).shape
TensorShape([3, 2, 5])
"""
import numpy as np

from .. import control_flow as _cf
from .. import core_extras as _ce
from .. import dtypes as _dt
from .. import sparse as _sp
from .. import state as _state
from ..ops import (array_ops as _arr, conv_ops as _convops, conv3d_ops as _c3, image_ops as _img,
                   math_ops as _m, misc_ops as _misc, nn_ops as _nn, random_ops as _r,
                   runtime_shape as _rs, shape_ops as _shp)
from ..tensor import Tensor, Variable, constant as _constant, convert_to_tensor
from . import config as _config
from . import losses as _losses
from . import ops as _o

__all__ = []   # filled below: every public function of this module


def _t(x):
    return convert_to_tensor(x)


def _floatx(dtype):
    return dtype or _config.floatx()


# ------------------------------------------------------------------ values and shapes
def variable(value, dtype=None, name=None, constraint=None):
    """A Variable of `value` (dtype: floatx by default)."""
    return Variable(np.asarray(value, _dt.as_dtype(_floatx(dtype)).np), name=name,
                    constraint=constraint)


def constant(value, dtype=None, shape=None, name=None):
    """A constant of `value` (dtype: floatx by default)."""
    return _constant(value, dtype=_floatx(dtype), shape=shape)


def eval(x):   # noqa: A001 (Keras's name)
    """numpy value of a tensor or Variable."""
    return np.asarray(x.numpy() if hasattr(x, "numpy") else x)


def get_value(x):
    """numpy value of a tensor or Variable."""
    return eval(x)


def batch_get_value(tensors):
    """numpy values of a list of tensors."""
    return [eval(x) for x in tensors]


def set_value(x, value):
    """Assign `value` to the Variable `x`."""
    x.assign(np.asarray(value, dtype=x.dtype.np))


def batch_set_value(tuples):
    """set_value for each (Variable, value) pair."""
    for x, value in tuples:
        set_value(x, value)


def update(x, new_x):
    """x.assign(new_x)."""
    return x.assign(new_x)


def update_add(x, increment):
    """x.assign_add(increment)."""
    return x.assign_add(increment)


def update_sub(x, decrement):
    """x.assign_sub(decrement)."""
    return x.assign_sub(decrement)


def moving_average_update(x, value, momentum):
    """x = x * momentum + value * (1 - momentum)."""
    return x.assign(x * momentum + _t(value) * (1.0 - momentum))


def int_shape(x):
    """The static shape as a tuple (None for unknown dims)."""
    return tuple(x.shape.as_list() if hasattr(x.shape, "as_list") else x.shape)


def ndim(x):
    """The rank."""
    return len(int_shape(x))


def shape(x):
    """The run-time shape (a tensor)."""
    return _rs.shape_of(x)


def dtype(x):
    """The dtype's name, e.g. 'float32'."""
    return _dt.as_dtype(x.dtype).name


def count_params(x):
    """The number of values of a tensor or Variable."""
    return int(np.prod(int_shape(x)))


def is_sparse(tensor):
    """Whether `tensor` is a SparseTensor."""
    return isinstance(tensor, _sp.SparseTensor)


def to_dense(tensor):
    """A SparseTensor made dense; anything else as is."""
    return _sp.to_dense(tensor) if is_sparse(tensor) else tensor


def cast_to_floatx(x):
    """`x` in floatx (a tensor for tensors, a numpy array otherwise)."""
    if isinstance(x, (Tensor, Variable)):
        return _m.cast(x, _config.floatx())
    return np.asarray(x, dtype=_config.floatx())


def zeros(shape, dtype=None, name=None):
    return _o.zeros(shape, _floatx(dtype))


def ones(shape, dtype=None, name=None):
    return _o.ones(shape, _floatx(dtype))


def eye(size, dtype=None, name=None):
    n, m = (size, size) if isinstance(size, int) else size
    return _o.eye(n, m, dtype=_floatx(dtype))


def zeros_like(x, dtype=None, name=None):
    return _o.zeros_like(x, dtype=dtype)


def ones_like(x, dtype=None, name=None):
    return _o.ones_like(x, dtype=dtype)


def arange(start, stop=None, step=1, dtype="int32"):
    """range(start, stop, step) as a tensor (a negative lone `start` gives an empty range)."""
    if stop is None and start < 0:
        start = 0
    return _m.cast(_o.arange(start, stop, step), dtype)


def cast(x, dtype):
    return _m.cast(x, dtype)


# ------------------------------------------------------------------ reductions
def _reducer(fn, to_bool=False, doc=""):
    def reduce(x, axis=None, keepdims=False):
        x = _m.cast(x, "bool") if to_bool else x
        return fn(x, axis=axis, keepdims=keepdims)
    reduce.__doc__ = doc
    return reduce


sum = _reducer(_m.reduce_sum, doc="Sum over `axis` (all axes by default).")   # noqa: A001
prod = _reducer(_m.reduce_prod, doc="Product over `axis`.")
mean = _reducer(_m.reduce_mean, doc="Mean over `axis`.")
max = _reducer(_m.reduce_max, doc="Maximum over `axis`.")   # noqa: A001
min = _reducer(_m.reduce_min, doc="Minimum over `axis`.")   # noqa: A001
all = _reducer(_m.reduce_all, True, "Logical and over `axis` (inputs cast to bool).")   # noqa: A001
any = _reducer(_m.reduce_any, True, "Logical or over `axis` (inputs cast to bool).")    # noqa: A001
var = _reducer(_o.var, doc="Variance over `axis`.")
std = _reducer(_o.std, doc="Standard deviation over `axis`.")


def argmax(x, axis=-1):
    return _m.argmax(x, axis)


def argmin(x, axis=-1):
    return _m.argmin(x, axis)


def cumsum(x, axis=0):
    return _o.cumsum(x, axis=axis)


def cumprod(x, axis=0):
    return _o.cumprod(x, axis=axis)


# ------------------------------------------------------------------ elementwise
abs, exp, log, sqrt, square, sign, round, cos, sin, tanh, sigmoid, softplus, softsign = (  # noqa: A001
    _m.abs, _m.exp, _m.log, _m.sqrt, _m.square, _m.sign, _m.round, _m.cos, _m.sin, _m.tanh,
    _m.sigmoid, _o.softplus, _o.softsign)
maximum, minimum, equal, not_equal = _m.maximum, _m.minimum, _m.equal, _m.not_equal
greater, greater_equal, less, less_equal = _m.greater, _m.greater_equal, _m.less, _m.less_equal
stop_gradient = _m.stop_gradient


def pow(x, a):   # noqa: A001
    return _m.pow(x, a)


def clip(x, min_value, max_value):
    """Clip to [min_value, max_value] (None: unbounded; max below min is raised to min)."""
    if isinstance(min_value, (int, float)) and isinstance(max_value, (int, float)):
        max_value = max_value if max_value >= min_value else min_value
    lo = -np.inf if min_value is None else min_value
    hi = np.inf if max_value is None else max_value
    return _m.clip_by_value(x, lo, hi)


def switch(condition, then_expression, else_expression):
    """Elementwise (or scalar) choice; callables are called first (Keras 2's K.switch)."""
    a = then_expression() if callable(then_expression) else then_expression
    b = else_expression() if callable(else_expression) else else_expression
    c = _t(condition)
    a, b = _t(a), _t(b)
    while len(c.shape) < len(a.shape):   # a lower-rank condition selects whole slices
        c = _o.expand_dims(c, -1)
    return _o.where(c, a, b)


# ------------------------------------------------------------------ activations
def relu(x, alpha=0.0, max_value=None, threshold=0.0):
    """Keras 2's relu: `alpha` slope below `threshold`, capped at `max_value`."""
    x = _t(x)
    below = alpha * (x - threshold) if alpha else None
    y = _m.maximum(x, 0.0) if threshold == 0 else x * _m.cast(x > threshold, x.dtype)
    if max_value is not None:
        y = _m.minimum(y, max_value)
    if below is not None:
        y = _o.where(x < threshold, below, y)
    return y


def elu(x, alpha=1.0):
    return _nn.elu(x) if alpha == 1.0 else _o.where(_t(x) > 0, x, alpha * _nn.elu(x))


def hard_sigmoid(x):
    """clip(0.2 x + 0.5, 0, 1) (Keras 2's)."""
    return _m.clip_by_value(0.2 * _t(x) + 0.5, 0.0, 1.0)


def softmax(x, axis=-1):
    return _nn.softmax(x, axis=axis)


def l2_normalize(x, axis=None):
    return _nn.l2_normalize(x, axis=axis)


def dropout(x, level, noise_shape=None, seed=None):
    return _nn.dropout(x, rate=level, noise_shape=noise_shape, seed=seed)


def in_top_k(predictions, targets, k):
    return _misc.in_top_k(targets, predictions, k)


# ------------------------------------------------------------------ losses (target, output)
def _eps(output):
    return _m.cast(_config.epsilon(), _t(output).dtype)


def binary_crossentropy(target, output, from_logits=False):
    """Elementwise binary cross-entropy of probabilities (clipped by epsilon) or logits."""
    target, output = _t(target), _t(output)
    if from_logits:
        return _nn.sigmoid_cross_entropy_with_logits(labels=target, logits=output)
    e = _eps(output)
    output = _m.clip_by_value(output, e, 1.0 - e)
    return -(target * _m.log(output + e) + (1.0 - target) * _m.log(1.0 - output + e))


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Cross-entropy of one-hot targets; probabilities are renormalized and clipped."""
    target, output = _t(target), _t(output)
    if from_logits:
        return _nn.softmax_cross_entropy_with_logits(labels=target, logits=output, axis=axis)
    output = output / _m.reduce_sum(output, axis, keepdims=True)
    e = _eps(output)
    return -_m.reduce_sum(target * _m.log(_m.clip_by_value(output, e, 1.0 - e)), axis)


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1,
                                    ignore_class=None):
    """Cross-entropy of integer targets (see keras.losses.sparse_categorical_crossentropy)."""
    return _losses.sparse_categorical_crossentropy(target, output, from_logits=from_logits, axis=axis, ignore_class=ignore_class)


def binary_focal_crossentropy(target, output, apply_class_balancing=False, alpha=0.25,
                              gamma=2.0, from_logits=False):
    """Elementwise focal binary cross-entropy: (1 - p_t)^gamma * bce."""
    target, output = _t(target), _t(output)
    p = _m.sigmoid(output) if from_logits else output
    p_t = target * p + (1.0 - target) * (1.0 - p)
    out = _m.pow(1.0 - p_t, gamma) * binary_crossentropy(target, output, from_logits)
    if apply_class_balancing:
        out = (target * alpha + (1.0 - target) * (1.0 - alpha)) * out
    return out


def categorical_focal_crossentropy(target, output, alpha=0.25, gamma=2.0, from_logits=False,
                                   axis=-1):
    """Focal cross-entropy of one-hot targets: sum(alpha (1 - p)^gamma * -t log p)."""
    target, output = _t(target), _t(output)
    if from_logits:
        output = _nn.softmax(output, axis=axis)
    output = output / _m.reduce_sum(output, axis, keepdims=True)
    e = _eps(output)
    output = _m.clip_by_value(output, e, 1.0 - e)
    return _m.reduce_sum(alpha * _m.pow(1.0 - output, gamma) * -target * _m.log(output), axis)


# ------------------------------------------------------------------ array manipulation
def concatenate(tensors, axis=-1):
    """Concatenate along `axis` (SparseTensors made dense)."""
    return _o.concatenate([to_dense(x) for x in tensors], axis)


def reshape(x, shape):
    return _o.reshape(x, shape)


def permute_dimensions(x, pattern):
    return _o.transpose(x, list(pattern))


def transpose(x):
    return _o.transpose(x)


def expand_dims(x, axis=-1):
    return _o.expand_dims(x, axis)


def squeeze(x, axis):
    return _o.squeeze(x, axis)


def stack(x, axis=0):
    return _o.stack(x, axis=axis)


def flatten(x):
    """All values as one vector."""
    return _o.reshape(x, [-1])


def batch_flatten(x):
    """(batch, ...) -> (batch, prod(...))."""
    return _o.reshape(x, [-1, int(np.prod(int_shape(x)[1:]))] if None not in int_shape(x)[1:]
                      else _o.stack([-1, _m.reduce_prod(_rs.shape_of(x)[1:])]))


def tile(x, n):
    return _o.tile(x, [n] if isinstance(n, int) else n)


def repeat(x, n):
    """(batch, dim) -> (batch, n, dim)."""
    return _o.tile(_o.expand_dims(x, 1), [1, n, 1])


def repeat_elements(x, rep, axis):
    return _o.repeat(x, rep, axis=axis)


def reverse(x, axes):
    return _arr.reverse(x, [axes] if isinstance(axes, int) else list(axes))


def gather(reference, indices):
    return _shp.gather(reference, indices)


def one_hot(indices, num_classes):
    return _shp.one_hot(indices, num_classes)


def dot(x, y):
    """Keras 2's dot: a matrix product over x's last axis and y's second-to-last axis
    (its only axis for a vector); result shape x.shape[:-1] + y.shape[:-2] + y.shape[-1:]."""
    x, y = _t(x), _t(y)
    if len(x.shape) <= 2 and len(y.shape) <= 2:
        return _m.matmul(x, y)
    xs, ys = int_shape(x), int_shape(y)
    k = len(ys) - 2 if len(ys) >= 2 else 0
    perm = [k] + [i for i in range(len(ys)) if i != k]
    y2 = _o.reshape(_o.transpose(y, perm), [ys[k], -1])
    out = _m.matmul(_o.reshape(x, [-1, xs[-1]]), y2)
    return _o.reshape(out, [-1 if d is None else d for d in xs[:-1]] +
                      [d for i, d in enumerate(ys) if i != k])


def batch_dot(x, y, axes=None):
    """A dot product per batch element over `axes` (x's and y's contracted axes, never 0).

    >>> import numpy as np
    >>> batch_dot(np.ones((2, 3), "f"), np.ones((2, 3), "f"), axes=1).numpy().tolist()
    [[3.0], [3.0]]
    """
    x, y = _t(x), _t(y)
    xn, yn = len(x.shape), len(y.shape)
    if xn < 2 or yn < 2:
        raise ValueError(f"batch_dot needs inputs of rank >= 2, got shapes {int_shape(x)} and "
                         f"{int_shape(y)}")
    if axes is None:
        axes = (xn - 1, yn - 1 if yn == 2 else yn - 2)
    a0, a1 = (axes, axes) if isinstance(axes, int) else tuple(axes)
    a0, a1 = a0 % xn, a1 % yn
    if 0 in (a0, a1):
        raise ValueError("batch_dot cannot contract over axis 0 (the batch axis); add a batch "
                         "axis with expand_dims(x, 0)")
    xs, ys = int_shape(x), int_shape(y)
    if xs[a0] is not None and ys[a1] is not None and xs[a0] != ys[a1]:
        raise ValueError(f"batch_dot: x.shape[{a0}] != y.shape[{a1}] ({xs[a0]} != {ys[a1]}) "
                         f"for shapes {xs} and {ys}")
    letters = "abcdefghijklmnopqrstuvwxyz"
    xl = "A" + letters[:xn - 1]
    yl = "A" + letters[xn - 1:xn - 1 + yn - 1]
    yl = yl[:a1] + xl[a0] + yl[a1 + 1:]
    out = "A" + xl[1:a0] + xl[a0 + 1:] + yl[1:a1] + yl[a1 + 1:]
    res = _o.einsum(f"{xl},{yl}->{out}", x, y)
    return _o.expand_dims(res, 1) if len(out) == 1 else res   # Keras 2 keeps rank >= 2


def bias_add(x, bias, data_format=None):
    data_format = data_format or _config.image_data_format()
    if data_format not in ("channels_first", "channels_last"):
        raise ValueError(f"Unknown data_format: {data_format}")
    bias = _t(bias)
    if len(bias.shape) == 1:
        return _nn.bias_add(x, bias, data_format="NCHW" if data_format == "channels_first"
                            else None)
    bs = tuple(int_shape(bias))
    shape = (1, bs[-1]) + bs[:-1] if data_format == "channels_first" else (1,) + bs
    return _t(x) + _o.reshape(bias, shape)


def batch_normalization(x, mean, var, beta, gamma, axis=-1, epsilon=1e-3):
    return _nn.batch_normalization(x, mean, var, beta, gamma, epsilon)


def _padded(x, pads):
    return _o.pad(x, [list(p) for p in pads])


def temporal_padding(x, padding=(1, 1)):
    """Zero-pad the middle (steps) axis of (batch, steps, features)."""
    return _padded(x, [(0, 0), padding, (0, 0)])


def spatial_2d_padding(x, padding=((1, 1), (1, 1)), data_format=None):
    """Zero-pad the two spatial axes."""
    first = (data_format or _config.image_data_format()) == "channels_first"
    return _padded(x, [(0, 0), (0, 0)] + list(padding) if first
                   else [(0, 0)] + list(padding) + [(0, 0)])


def spatial_3d_padding(x, padding=((1, 1), (1, 1), (1, 1)), data_format=None):
    """Zero-pad the three spatial axes."""
    first = (data_format or _config.image_data_format()) == "channels_first"
    return _padded(x, [(0, 0), (0, 0)] + list(padding) if first
                   else [(0, 0)] + list(padding) + [(0, 0)])


def resize_images(x, height_factor, width_factor, data_format, interpolation="nearest"):
    """Upsample the spatial axes by integer factors."""
    first = data_format == "channels_first"
    x = _o.transpose(x, [0, 2, 3, 1]) if first else _t(x)
    h, w = int_shape(x)[1:3]
    y = _img.resize(x, [h * height_factor, w * width_factor], method=interpolation)
    return _o.transpose(y, [0, 3, 1, 2]) if first else y


def resize_volumes(x, depth_factor, height_factor, width_factor, data_format):
    """Repeat the three spatial axes' values by integer factors."""
    first = data_format == "channels_first"
    for ax, f in zip((2, 3, 4) if first else (1, 2, 3),
                     (depth_factor, height_factor, width_factor)):
        x = repeat_elements(x, f, ax)
    return x


# ------------------------------------------------------------------ convolution and pooling
def _nhwc(data_format):
    data_format = data_format or _config.image_data_format()
    if data_format not in ("channels_first", "channels_last"):
        raise ValueError(f"Unknown data_format: {data_format}")
    return data_format == "channels_last"


def _conv(x, kernel, strides, padding, data_format, dilation_rate, rank):
    last = _nhwc(data_format)
    if padding == "causal":   # a left pad of the steps axis, then 'valid'
        left = (dilation_rate if isinstance(dilation_rate, int) else dilation_rate[0]) * \
            (int_shape(kernel)[0] - 1)
        x = temporal_padding(x, (left, 0)) if last else _padded(x, [(0, 0), (0, 0), (left, 0)])
        padding = "valid"
    fmt = {1: ("NWC", "NCW"), 2: ("NHWC", "NCHW"), 3: ("NDHWC", "NCDHW")}[rank][0 if last else 1]
    if rank == 3:
        st = (strides,) * 3 if isinstance(strides, int) else tuple(strides)
        dl = (dilation_rate,) * 3 if isinstance(dilation_rate, int) else tuple(dilation_rate)
        return _c3.conv3d(x, kernel, (1,) + st + (1,) if last else (1, 1) + st,
                          padding.upper(), data_format=fmt,
                          dilations=(1,) + dl + (1,) if last else (1, 1) + dl)
    return _misc.convolution(x, kernel, padding=padding.upper(), strides=strides,
                             dilations=dilation_rate, data_format=fmt)


def conv1d(x, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    return _conv(x, kernel, strides, padding, data_format, dilation_rate, 1)


def conv2d(x, kernel, strides=(1, 1), padding="valid", data_format=None, dilation_rate=(1, 1)):
    return _conv(x, kernel, strides, padding, data_format, dilation_rate, 2)


def conv3d(x, kernel, strides=(1, 1, 1), padding="valid", data_format=None,
           dilation_rate=(1, 1, 1)):
    return _conv(x, kernel, strides, padding, data_format, dilation_rate, 3)


def conv2d_transpose(x, kernel, output_shape, strides=(1, 1), padding="valid",
                     data_format=None, dilation_rate=(1, 1)):
    if not _nhwc(data_format):
        raise NotImplementedError("conv2d_transpose: channels_first is not supported; "
                                  "transpose to channels_last")
    return _convops.conv2d_transpose(x, kernel, output_shape, (1,) + tuple(strides) + (1,),
                                  padding.upper(), dilations=dilation_rate)


def depthwise_conv2d(x, depthwise_kernel, strides=(1, 1), padding="valid", data_format=None,
                     dilation_rate=(1, 1)):
    if not _nhwc(data_format):
        raise NotImplementedError("depthwise_conv2d: channels_first is not supported")
    return _convops.depthwise_conv2d(x, depthwise_kernel, (1,) + tuple(strides) + (1,),
                                  padding.upper(), dilations=dilation_rate)


def separable_conv2d(x, depthwise_kernel, pointwise_kernel, strides=(1, 1), padding="valid",
                     data_format=None, dilation_rate=(1, 1)):
    if not _nhwc(data_format):
        raise NotImplementedError("separable_conv2d: channels_first is not supported")
    return _convops.separable_conv2d(x, depthwise_kernel, pointwise_kernel,
                                  (1,) + tuple(strides) + (1,), padding.upper(),
                                  dilations=dilation_rate)


def _pool(x, pool_size, strides, padding, data_format, pool_mode, rank):
    if pool_mode not in ("max", "avg"):
        raise ValueError(f"Invalid pool_mode: {pool_mode}")
    last = _nhwc(data_format)
    fmt = {2: ("NHWC", "NCHW"), 3: ("NDHWC", "NCDHW")}[rank][0 if last else 1]
    return _c3.pool(x, pool_size, "MAX" if pool_mode == "max" else "AVG", strides=strides,
                    padding=padding.upper(), data_format=fmt)


def pool2d(x, pool_size, strides=(1, 1), padding="valid", data_format=None, pool_mode="max"):
    return _pool(x, pool_size, strides, padding, data_format, pool_mode, 2)


def pool3d(x, pool_size, strides=(1, 1, 1), padding="valid", data_format=None,
           pool_mode="max"):
    return _pool(x, pool_size, strides, padding, data_format, pool_mode, 3)


# ------------------------------------------------------------------ random values
def random_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    return _r.normal(shape, mean=mean, stddev=stddev, dtype=_floatx(dtype), seed=seed)


def random_uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    return _r.uniform(shape, minval=minval, maxval=maxval, dtype=_floatx(dtype), seed=seed)


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    return _r.truncated_normal(shape, mean=mean, stddev=stddev, dtype=_floatx(dtype), seed=seed)


def random_bernoulli(shape, p=0.0, dtype=None, seed=None):
    """1 with probability p, else 0."""
    return _m.cast(random_uniform(shape, dtype="float32", seed=seed) < p, _floatx(dtype))


def random_normal_variable(shape, mean, scale, dtype=None, name=None, seed=None):
    return Variable(random_normal(shape, mean, scale, dtype, seed), name=name)


def random_uniform_variable(shape, low, high, dtype=None, name=None, seed=None):
    return Variable(random_uniform(shape, low, high, dtype, seed), name=name)


# ------------------------------------------------------------------ control flow
def map_fn(fn, elems, name=None, dtype=None):
    return _arr.map_fn(fn, elems, fn_output_signature=dtype)


def foldl(fn, elems, initializer=None, name=None):
    return _arr.foldl(fn, elems, initializer=initializer)


def foldr(fn, elems, initializer=None, name=None):
    return _ce.foldr(fn, elems, initializer=initializer)


def gradients(loss, variables):
    """d(loss)/d(variables) inside a traced function (graphflow.gradients)."""
    return _cf.gradients(loss, variables)


def name_scope(name):
    return _state.name_scope(name)


def rnn(step_function, inputs, initial_states, go_backwards=False, mask=None, constants=None,
        unroll=False, input_length=None, time_major=False, zero_output_for_mask=False,
        return_all_outputs=True):
    """Iterate `step_function(x_t, states) -> (out_t, new_states)` over the time axis;
    returns (last_output, outputs, new_states) as Keras 2's K.rnn (a Python loop over the
    steps: the time axis must be static)."""
    x = _t(inputs)
    if not time_major:
        x = _o.transpose(x, [1, 0] + list(range(2, len(x.shape))))
    steps = int_shape(x)[0]
    if steps is None:
        raise ValueError("K.rnn needs a static number of time steps")
    m = None
    if mask is not None:
        m = _t(mask)
        m = _o.transpose(m, [1, 0]) if not time_major else m
    states = list(initial_states)
    outs, last = [], None
    order = range(steps - 1, -1, -1) if go_backwards else range(steps)
    for t in order:
        extra = list(constants) if constants else []
        out, new = step_function(x[t], states + extra)
        new = list(new)
        if m is not None:
            keep = _m.cast(_o.expand_dims(m[t], -1), "bool")
            new = [_o.where(keep, n, s) for n, s in zip(new, states)]
            prev = last if last is not None else _o.zeros_like(out)
            out = _o.where(keep, out, _o.zeros_like(out) if zero_output_for_mask else prev)
        states, last = new, out
        outs.append(out)
    outputs = _o.stack(outs if return_all_outputs else outs[-1:], axis=0)
    if not time_major:
        outputs = _o.transpose(outputs, [1, 0] + list(range(2, len(outputs.shape))))
    return last, outputs, states


# ------------------------------------------------------------------ CTC
def ctc_batch_cost(y_true, y_pred, input_length, label_length):
    """CTC loss per batch element, shape (batch, 1), from softmax outputs `y_pred`
    (batch, time, classes) whose last class is the blank (Keras 2's convention)."""
    il = _o.reshape(_m.cast(_t(input_length), "int32"), [-1])
    ll = _o.reshape(_m.cast(_t(label_length), "int32"), [-1])
    loss = _o.nn.ctc_loss(_m.cast(y_true, "int32"), _m.log(_t(y_pred) + _config.epsilon()),
                         ll, il, mask_index=int_shape(y_pred)[-1] - 1)
    return _o.expand_dims(loss, 1)


def ctc_decode(y_pred, input_length, greedy=True, beam_width=100, top_paths=1):
    """Keras 2's ctc_decode: ([decoded (batch, time), ...], log probabilities)."""
    strategy = "greedy" if greedy else "beam_search"
    return _o.nn.ctc_decode(y_pred, _o.reshape(_m.cast(_t(input_length), "int32"), [-1]),
                           strategy=strategy, beam_width=beam_width, top_paths=top_paths)


def ctc_label_dense_to_sparse(labels, label_lengths):
    """Dense (batch, max_len) labels with lengths -> a SparseTensor of the kept labels."""
    lab = np.asarray(eval(labels))
    lens = np.asarray(eval(label_lengths)).reshape(-1)
    idx = [(b, i) for b in range(lab.shape[0]) for i in range(int(lens[b]))]
    vals = np.array([lab[b, i] for b, i in idx], lab.dtype)
    return _sp.SparseTensor(np.array(idx, np.int64).reshape(-1, 2), vals,
                            np.array(lab.shape, np.int64))


__all__ = [n for n, v in list(globals().items())
           if not n.startswith("_") and callable(v) and getattr(v, "__module__", "") == __name__
           or n in ("abs", "exp", "log", "sqrt", "square", "sign", "round", "cos", "sin", "tanh",
                    "sigmoid", "softplus", "softsign", "maximum", "minimum", "equal",
                    "not_equal", "greater", "greater_equal", "less", "less_equal",
                    "stop_gradient")]
