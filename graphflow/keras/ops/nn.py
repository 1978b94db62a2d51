"""keras.ops.nn: Keras 3's neural-network operations (activations, losses, normalization,
convolution and pooling) on graphflow ops - traceable and differentiable.

>>> import numpy as np
>>> from graphflow.keras.ops import nn
>>> x = np.array([-4.0, -0.5, 0.0, 2.0], "float32")
>>> nn.hard_sigmoid(x).numpy().tolist(), nn.relu6(x * 4).numpy().tolist()
([0.0, 0.4166666567325592, 0.5, 0.8333333134651184], [0.0, 0.0, 0.0, 6.0])
"""
import math as _math

import numpy as np

from ...ops import conv_ops as _cv, math_ops as _m, misc_ops as _mo, nn_ops as _nn
from ...ops import shape_ops as _s, array_ops as _a, segment_ops as _seg
from ...ctc_decode import beam_search_decode
from ...tensor import convert_to_tensor
from .numpy import moveaxis, take_along_axis
from .promote import floating as _floating


def _act(fn, name, what):
    def op(x):
        return fn(_floating(x))
    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"{what} (Keras 3's `keras.ops.{name}`)."
    return op


relu = _act(_m.relu, "relu", "max(x, 0)")
relu6 = _act(_nn.relu6, "relu6", "min(max(x, 0), 6)")
sigmoid = _act(_m.sigmoid, "sigmoid", "1 / (1 + exp(-x))")
softplus = _act(_m.softplus, "softplus", "log(1 + exp(x))")
softsign = _act(_nn.softsign, "softsign", "x / (1 + |x|)")
selu = _act(_nn.selu, "selu", "Scaled ELU")
log_sigmoid = _act(_m.log_sigmoid, "log_sigmoid", "log(sigmoid(x))")
tanh = _act(_m.tanh, "tanh", "Hyperbolic tangent")


def silu(x):
    """x * sigmoid(x) (a.k.a. swish)."""
    x = _floating(x)
    return x * _m.sigmoid(x)


swish = silu


def elu(x, alpha=1.0):
    """x for x > 0, alpha * (exp(x) - 1) otherwise."""
    x = _floating(x)
    return _m.where(_m.greater(x, 0.0), x, alpha * _m.expm1(_m.minimum(x, 0.0)))


def celu(x, alpha=1.0):
    """max(0, x) + min(0, alpha * (exp(x / alpha) - 1))."""
    x = _floating(x)
    return _m.maximum(x, 0.0) + _m.minimum(alpha * _m.expm1(_m.minimum(x, 0.0) / alpha), 0.0)


def leaky_relu(x, negative_slope=0.2):
    """x for x >= 0, negative_slope * x otherwise."""
    return _nn.leaky_relu(_floating(x), alpha=negative_slope)


def gelu(x, approximate=True):
    """Gaussian error linear unit (Keras' default is the tanh approximation)."""
    return _nn.gelu(_floating(x), approximate=approximate)


def hard_sigmoid(x):
    """relu6(x + 3) / 6."""
    return _nn.relu6(_floating(x) + 3.0) / 6.0


def hard_silu(x):
    """x * hard_sigmoid(x)."""
    x = _floating(x)
    return x * hard_sigmoid(x)


hard_swish = hard_silu


def hard_tanh(x):
    """clip(x, -1, 1)."""
    return _m.clip_by_value(_floating(x), -1.0, 1.0)


def hard_shrink(x, threshold=0.5):
    """x where |x| > threshold, else 0."""
    x = _floating(x)
    return _m.where(_m.greater(_m.abs(x), threshold), x, _m.zeros_like(x))


def soft_shrink(x, threshold=0.5):
    """x - threshold above threshold, x + threshold below -threshold, else 0."""
    x = _floating(x)
    return _m.where(_m.greater(x, threshold), x - threshold,
                    _m.where(_m.less(x, -threshold), x + threshold, _m.zeros_like(x)))


def tanh_shrink(x):
    """x - tanh(x)."""
    x = _floating(x)
    return x - _m.tanh(x)


def threshold(x, threshold, default_value):
    """x where x > threshold, else default_value."""
    x = _floating(x)
    return _m.where(_m.greater(x, threshold), x, _m.zeros_like(x) + default_value)


def squareplus(x, b=4):
    """(x + sqrt(x**2 + b)) / 2."""
    x = _floating(x)
    return (x + _m.sqrt(x * x + b)) / 2.0


def sparse_plus(x):
    """0 for x <= -1, (x + 1)**2 / 4 for |x| < 1, x for x >= 1."""
    x = _floating(x)
    return _m.where(_m.less_equal(x, -1.0), _m.zeros_like(x),
                    _m.where(_m.greater_equal(x, 1.0), x, _m.square(x + 1.0) / 4.0))


def sparse_sigmoid(x):
    """0 for x <= -1, (x + 1) / 2 for |x| < 1, 1 for x >= 1."""
    return _m.clip_by_value((_floating(x) + 1.0) / 2.0, 0.0, 1.0)


def glu(x, axis=-1):
    """Gated linear unit: a * sigmoid(b) with x split in halves (a, b) along `axis`."""
    a, b = _s.split(_floating(x), 2, axis=axis)
    return a * _m.sigmoid(b)


def softmax(x, axis=-1):
    """exp(x) / sum(exp(x)) along `axis` (an int or a tuple; None = all axes)."""
    x = _floating(x)
    if axis is None or isinstance(axis, (tuple, list)):
        m = _m.stop_gradient(_m.reduce_max(x, axis=axis, keepdims=True))
        e = _m.exp(x - m)
        return e / _m.reduce_sum(e, axis=axis, keepdims=True)
    return _nn.softmax(x, axis=axis)


def log_softmax(x, axis=-1):
    """x - logsumexp(x) along `axis`."""
    x = _floating(x)
    if axis is None or isinstance(axis, (tuple, list)):
        return x - _m.reduce_logsumexp(x, axis=axis, keepdims=True)
    return _nn.log_softmax(x, axis=axis)


def sparsemax(x, axis=-1):
    """Euclidean projection of x onto the probability simplex along `axis`."""
    x = moveaxis(_floating(x), axis, -1)
    z = _a.sort(x, axis=-1, direction="DESCENDING")
    k = _m.cast(_a.cumsum(_m.ones_like(z), axis=-1), z.dtype)
    cs = _a.cumsum(z, axis=-1)
    support = _m.cast(_m.greater(1.0 + k * z, cs), z.dtype)
    kz = _m.reduce_sum(support, axis=-1, keepdims=True)
    tau = (_m.reduce_sum(support * z, axis=-1, keepdims=True) - 1.0) / kz
    return moveaxis(_m.maximum(x - tau, 0.0), -1, axis)


# --- losses ----------------------------------------------------------------------------
def binary_crossentropy(target, output, from_logits=False):
    """Elementwise binary cross-entropy (Keras clips probabilities to [eps, 1 - eps])."""
    o = _floating(output)
    t = _m.cast(convert_to_tensor(target), o.dtype)
    if from_logits:
        return _nn.sigmoid_cross_entropy_with_logits(labels=t, logits=o)
    eps = 1e-7
    o = _m.clip_by_value(o, eps, 1.0 - eps)
    return -(t * _m.log(o) + (1.0 - t) * _m.log(1.0 - o))


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Cross-entropy of one-hot `target` against probabilities (or logits) along `axis`."""
    o = _floating(output)
    t = _m.cast(convert_to_tensor(target), o.dtype)
    if from_logits:
        return -_m.reduce_sum(t * log_softmax(o, axis=axis), axis=axis)
    o = o / _m.reduce_sum(o, axis=axis, keepdims=True)
    o = _m.clip_by_value(o, 1e-7, 1.0 - 1e-7)
    return -_m.reduce_sum(t * _m.log(o), axis=axis)


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Cross-entropy of integer class `target` against probabilities (or logits)."""
    o = _floating(output)
    t = _m.cast(convert_to_tensor(target), "int32")
    if len(t.shape) == len(o.shape):
        t = _s.squeeze(t, [-1])
    return categorical_crossentropy(_s.one_hot(t, o.shape[axis], dtype=o.dtype), o,
                                    from_logits, axis)


# --- normalization ---------------------------------------------------------------------
def moments(x, axes, keepdims=False, synchronized=False):
    """(mean, variance) over `axes`."""
    x = _floating(x)
    mean = _m.reduce_mean(x, axis=axes, keepdims=True)
    var = _m.reduce_mean(_m.square(x - _m.stop_gradient(mean)), axis=axes, keepdims=True)
    if not keepdims:
        mean, var = _s.squeeze(mean, list(axes)), _s.squeeze(var, list(axes))
    return mean, var


def batch_normalization(x, mean, variance, axis, offset=None, scale=None, epsilon=1e-3):
    """(x - mean) / sqrt(variance + epsilon) * scale + offset, with 1-D statistics along
    `axis`."""
    x = _floating(x)
    shp = [1] * len(x.shape)
    shp[axis] = -1

    def b(v):
        return None if v is None else _s.reshape(_floating(v), shp)
    out = (x - b(mean)) * _m.rsqrt(b(variance) + epsilon)
    if scale is not None:
        out = out * b(scale)
    if offset is not None:
        out = out + b(offset)
    return out


def layer_normalization(x, gamma=None, beta=None, axis=-1, epsilon=1e-5, rms_scaling=False):
    """Normalize over `axis` to zero mean and unit variance, then scale and shift."""
    x = _floating(x)
    mean, var = moments(x, [axis], keepdims=True)
    out = (x - mean) * _m.rsqrt(var + epsilon)
    if gamma is not None:
        out = out * _floating(gamma)
    if beta is not None:
        out = out + _floating(beta)
    return out


def rms_normalization(x, scale=None, axis=-1, epsilon=None):
    """x / sqrt(mean(x**2) + epsilon) * scale over `axis`."""
    x = _floating(x)
    eps = 1e-7 if epsilon is None else epsilon
    out = x * _m.rsqrt(_m.reduce_mean(_m.square(x), axis=axis, keepdims=True) + eps)
    return out if scale is None else out * _floating(scale)


def normalize(x, axis=-1, order=2, epsilon=None):
    """x divided by its `order`-norm along `axis` (at least epsilon)."""
    x = _floating(x)
    eps = 1e-12 if epsilon is None else epsilon
    if order == 2:
        n = _m.sqrt(_m.maximum(_m.reduce_sum(_m.square(x), axis=axis, keepdims=True), eps * eps))
    else:
        n = _m.maximum(_m.pow(_m.reduce_sum(_m.pow(_m.abs(x), float(order)), axis=axis,
                                            keepdims=True), 1.0 / order), eps)
    return x / n


def one_hot(x, num_classes, axis=-1, dtype=None, sparse=False):
    """One-hot encoding of integer `x`."""
    return _s.one_hot(_m.cast(convert_to_tensor(x), "int32"), num_classes, axis=axis,
                      dtype=dtype or "float32")


def multi_hot(inputs, num_classes, axis=-1, dtype=None, sparse=False):
    """Multi-hot encoding: 1 where a class occurs in the last axis of `inputs`."""
    x = _m.cast(convert_to_tensor(inputs), "int32")
    oh = _s.one_hot(x, num_classes, dtype=dtype or "float32")
    return _m.reduce_max(oh, axis=-2) if len(x.shape) > 0 else oh


def psnr(x1, x2, max_val):
    """Peak signal-to-noise ratio in dB."""
    mse = _m.reduce_mean(_m.square(_floating(x1) - _floating(x2)))
    return 20.0 * _math.log10(max_val) - 10.0 * _m.log(mse) / _math.log(10.0)


def top_k(x, k, sorted=True):
    """(values, indices) of the k largest entries along the last axis."""
    return _a.top_k(convert_to_tensor(x), k=k, sorted=sorted)


def in_top_k(targets, predictions, k):
    """True where the target class is among the k highest predictions."""
    return _mo.in_top_k(convert_to_tensor(targets), _floating(predictions), k)


# --- convolution and pooling -----------------------------------------------------------
def _tuple(v, n):
    return [v] * n if isinstance(v, int) else list(v)



def _as2d(x, n):
    """Lift a 1-D (N, W, C) input to 2-D (N, 1, W, C)."""
    return _s.expand_dims(x, 1) if n == 1 else x


def conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """N-D convolution (Keras layout: kernel (*spatial, in, out), channels_last)."""
    x = _cv.to_channels_last(_floating(inputs), data_format)
    n = len(x.shape) - 2
    k = _floating(kernel)
    out = _mo.convolution(x, k, strides=_tuple(strides, n), padding=padding.upper(),
                          dilations=_tuple(dilation_rate, n))
    return _cv.from_channels_last(out, data_format)


def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format=None,
                   dilation_rate=1):
    """Depthwise convolution (kernel (*spatial, in, multiplier)), 1-D or 2-D."""
    x = _cv.to_channels_last(_floating(inputs), data_format)
    n = len(x.shape) - 2
    k = _floating(kernel)
    s, d = _tuple(strides, n), _tuple(dilation_rate, n)
    if n == 1:
        x, k, s, d = _s.expand_dims(x, 1), _s.expand_dims(k, 0), [1] + s, [1] + d
    out = _cv.depthwise_conv2d(x, k, strides=[1] + s + [1], padding=padding.upper(),
                               dilations=d)
    if n == 1:
        out = _s.squeeze(out, [1])
    return _cv.from_channels_last(out, data_format)


def separable_conv(inputs, depthwise_kernel, pointwise_kernel, strides=1, padding="valid",
                   data_format=None, dilation_rate=1):
    """Depthwise convolution followed by a 1x1 convolution."""
    y = depthwise_conv(inputs, depthwise_kernel, strides, padding, data_format, dilation_rate)
    return conv(y, pointwise_kernel, 1, "valid", data_format)


def conv_transpose(inputs, kernel, strides=1, padding="valid", output_padding=None,
                   data_format=None, dilation_rate=1):
    """Transposed convolution (kernel (*spatial, out, in)), 1-D or 2-D."""
    x = _cv.to_channels_last(_floating(inputs), data_format)
    n = len(x.shape) - 2
    k = _floating(kernel)
    s = _tuple(strides, n)
    ks = list(k.shape[:n])
    op = output_padding if output_padding is None else _tuple(output_padding, n)
    size = []
    for i in range(n):
        L = x.shape[1 + i]
        if op is None:
            o = L * s[i] if padding.lower() == "same" else L * s[i] + max(ks[i] - s[i], 0)
        else:   # Keras' formula with an explicit output padding
            pad = ks[i] // 2 if padding.lower() == "same" else 0
            o = (L - 1) * s[i] + ks[i] - 2 * pad + op[i]
        size.append(o)
    if n == 1:
        out = _cv.conv1d_transpose(x, k, [x.shape[0], size[0], k.shape[-2]], strides=s[0],
                                   padding=padding.upper())
    else:
        out = _cv.conv2d_transpose(x, k, [x.shape[0]] + size + [k.shape[-2]], strides=s,
                                   padding=padding.upper())
    return _cv.from_channels_last(out, data_format)


def _pool(which, inputs, pool_size, strides, padding, data_format):
    x = _cv.to_channels_last(_floating(inputs), data_format)
    n = len(x.shape) - 2
    ps = _tuple(pool_size, n)
    st = ps if strides is None else _tuple(strides, n)
    fn = _cv.max_pool if which == "max" else _cv.avg_pool
    out = fn(x, ps, st, padding=padding.upper())
    return _cv.from_channels_last(out, data_format)


def max_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """Max pooling over the spatial axes."""
    return _pool("max", inputs, pool_size, strides, padding, data_format)


def average_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """Average pooling over the spatial axes."""
    return _pool("avg", inputs, pool_size, strides, padding, data_format)


def depth_to_space(x, block_size, data_format="channels_last"):
    """Move depth blocks into spatial blocks (NHWC)."""
    x = _cv.to_channels_last(convert_to_tensor(x), data_format)
    return _cv.from_channels_last(_mo.depth_to_space(x, block_size), data_format)


def space_to_depth(x, block_size, data_format="channels_last"):
    """Move spatial blocks into depth (NHWC)."""
    x = _cv.to_channels_last(convert_to_tensor(x), data_format)
    return _cv.from_channels_last(_mo.space_to_depth(x, block_size), data_format)


def dot_product_attention(query, key, value, bias=None, mask=None, scale=None,
                          is_causal=False, flash_attention=None, attn_logits_soft_cap=None):
    """softmax(q k^T * scale + bias, masked) v with (batch, seq, heads, dim) inputs."""
    q, k, v = _floating(query), _floating(key), _floating(value)
    d = q.shape[-1]
    scale = 1.0 / _math.sqrt(d) if scale is None else scale
    logits = _a.einsum("btnh,bsnh->bnts", q, k) * scale
    if attn_logits_soft_cap is not None:
        logits = _m.tanh(logits / attn_logits_soft_cap) * attn_logits_soft_cap
    if bias is not None:
        logits = logits + _floating(bias)
    big = -1e9 if logits.dtype.name != "float16" else -6e4
    if mask is not None:
        logits = _m.where(_m.cast(mask, "bool"), logits, _m.zeros_like(logits) + big)
    if is_causal:
        T, S = logits.shape[-2], logits.shape[-1]
        causal = convert_to_tensor(np.tril(np.ones((T, S), bool)))
        logits = _m.where(causal, logits, _m.zeros_like(logits) + big)
    w = _nn.softmax(logits, axis=-1)
    return _a.einsum("bnts,bsnh->btnh", w, v)


def cdist(x1, x2, p=2.0):
    """Pairwise p-norm distances between the rows of x1 (..., P, M) and x2 (..., R, M)."""
    d = _m.abs(_s.expand_dims(_floating(x1), -2) - _s.expand_dims(_floating(x2), -3))
    if p == np.inf:
        return _m.reduce_max(d, axis=-1)
    if p == 2:
        return _m.sqrt(_m.reduce_sum(d * d, axis=-1))
    return _m.pow(_m.reduce_sum(_m.pow(d, float(p)), axis=-1), 1.0 / p)


def _adaptive(reduce, inputs, output_size, data_format):
    x = _cv.to_channels_last(_floating(inputs), data_format)
    n = len(x.shape) - 2
    outs = [output_size] * n if isinstance(output_size, int) else list(output_size)

    def bins(L, o):   # PyTorch's bins: [floor(i L / o), ceil((i + 1) L / o))
        return [(i * L // o, -(-(i + 1) * L // o)) for i in range(o)]

    def pool(t, axis):
        if axis == n + 1:
            return t
        L = t.shape[axis]
        parts = []
        for a, b in bins(L, outs[axis - 1]):
            idx = [slice(None)] * len(t.shape)
            idx[axis] = slice(a, b)
            parts.append(reduce(t[tuple(idx)], axis=axis, keepdims=True))
        return pool(_s.concat(parts, axis=axis), axis + 1)
    return _cv.from_channels_last(pool(x, 1), data_format)


def adaptive_average_pool(inputs, output_size, data_format=None):
    """Average pooling to a fixed spatial `output_size` (PyTorch's adaptive bins)."""
    return _adaptive(_m.reduce_mean, inputs, output_size, data_format)


def adaptive_max_pool(inputs, output_size, data_format=None):
    """Max pooling to a fixed spatial `output_size` (PyTorch's adaptive bins)."""
    return _adaptive(_m.reduce_max, inputs, output_size, data_format)


def _logaddexp(a, b):
    hi = _m.maximum(a, b)
    return hi + _m.log1p(_m.exp(-_m.abs(a - b)))


def ctc_loss(target, output, target_length, output_length, mask_index=0):
    """Connectionist temporal classification loss per batch entry: -log p(target | output)
    by the forward algorithm over log-probabilities; `output` holds logits
    (batch, time, classes), `target` class ids (batch, max_label_length), `mask_index` the
    blank class. Differentiable in `output` (the recursion is traced as graphflow ops)."""
    lp = log_softmax(output, axis=-1)
    tgt = _m.cast(convert_to_tensor(target), "int32")
    T, U = lp.shape[1], tgt.shape[1]
    S = 2 * U + 1
    blank = _m.zeros_like(tgt) + mask_index
    ext = _s.concat([_s.reshape(_s.stack([blank, tgt], axis=-1), [-1, 2 * U]),
                     blank[:, :1]], axis=1)                               # (B, S)
    emit = take_along_axis(lp, _s.expand_dims(ext, 1), axis=2)           # (B, T, S)
    prev2 = _s.concat([ext[:, :2] * 0 - 1, ext[:, :-2]], axis=1)
    skip = _m.logical_and(_m.not_equal(ext, mask_index), _m.not_equal(ext, prev2))
    neg = -1e30
    none = _m.zeros_like(emit[:, 0]) + neg
    init = np.full((1, S), neg, "float32")
    init[0, :2] = 0.0
    alpha = _m.cast(convert_to_tensor(init), lp.dtype) + emit[:, 0]
    olen = _m.cast(convert_to_tensor(output_length), "int32")
    for t in range(1, T):
        a1 = _s.concat([none[:, :1], alpha[:, :-1]], axis=1)
        a2 = _s.concat([none[:, :2], alpha[:, :-2]], axis=1)
        new = _logaddexp(alpha, a1)
        new = _m.where(skip, _logaddexp(new, a2), new) + emit[:, t]
        alpha = _m.where(_s.expand_dims(_m.less(t, olen), 1), new, alpha)
    tl = _m.cast(convert_to_tensor(target_length), "int32")
    last = _s.expand_dims(2 * tl, 1)
    end = _logaddexp(take_along_axis(alpha, last, 1),
                     _m.where(_s.expand_dims(_m.greater(tl, 0), 1),
                              take_along_axis(alpha, _m.maximum(last - 1, 0), 1),
                              none[:, :1]))
    return -end[:, 0]


def ctc_decode(inputs, sequence_lengths, strategy="greedy", beam_width=100, top_paths=1,
               merge_repeated=True, mask_index=0):
    """CTC decoding of logits (batch, time, classes). Greedy: the best class per step, repeats
    merged, blanks dropped; beam_search: graphflow.ctc_decode's prefix beam search. Returns
    (decoded (1, batch, time) padded with -1, scores). Greedy scores (batch, 1) are -sum of the
    steps' largest *inputs* (not normalized), as Keras 3.15 on both TF and JAX:

    >>> import numpy as np
    >>> x = np.log(np.array([[[0.1, 0.6, 0.3], [0.7, 0.2, 0.1]]], "float32"))
    >>> d, s = ctc_decode(x, [2])
    >>> d.numpy().tolist(), round(float(s[0, 0]), 4)
    ([[[1, -1]]], 0.8675)
    """
    if strategy == "beam_search":
        return beam_search_decode(inputs, sequence_lengths, beam_width, top_paths, mask_index)
    if strategy != "greedy":
        raise ValueError(f"keras.ops.ctc_decode: strategy must be 'greedy' or 'beam_search', "
                         f"got {strategy!r}")
    lp = log_softmax(inputs, axis=-1)
    T = lp.shape[1]
    best = _m.cast(_m.argmax(lp, axis=-1, output_type="int32"), "int32")
    steps = convert_to_tensor(np.arange(T, dtype="int32"))
    valid = _m.less(_s.expand_dims(steps, 0),
                    _s.expand_dims(_m.cast(convert_to_tensor(sequence_lengths), "int32"), 1))
    keep = _m.logical_and(valid, _m.not_equal(best, mask_index))
    if merge_repeated:
        prev = _s.concat([best[:, :1] * 0 - 1, best[:, :-1]], axis=1)
        keep = _m.logical_and(keep, _m.not_equal(best, prev))
    order = _a.argsort(_m.where(keep, steps + _m.zeros_like(best), steps + T), axis=1,
                       stable=True)
    packed = take_along_axis(best, _m.cast(order, "int32"), 1)
    count = _m.reduce_sum(_m.cast(keep, "int32"), axis=1, keepdims=True)
    decoded = _m.where(_m.less(_s.expand_dims(steps, 0), count), packed, _m.zeros_like(packed) - 1)
    top = _m.reduce_max(convert_to_tensor(inputs), axis=-1)
    scores = -_m.reduce_sum(_m.where(valid, top, _m.zeros_like(top)), axis=1, keepdims=True)
    return _s.expand_dims(decoded, 0), scores


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def _block_index(h, w, kernel_size, dilation, padding, stride):
    """Flat positions in the padded (h, w) image of every (kernel offset, block) pair, in
    unfold's (kh * kw, L) order, and the padded and block-grid sizes."""
    (kh, kw), (dh, dw), (ph, pw), (sh, sw) = (_pair(kernel_size), _pair(dilation),
                                              _pair(padding), _pair(stride))
    hp, wp = h + 2 * ph, w + 2 * pw
    oh, ow = (hp - dh * (kh - 1) - 1) // sh + 1, (wp - dw * (kw - 1) - 1) // sw + 1
    ki, kj = np.meshgrid(np.arange(kh) * dh, np.arange(kw) * dw, indexing="ij")
    bi, bj = np.meshgrid(np.arange(oh) * sh, np.arange(ow) * sw, indexing="ij")
    rows = ki.reshape(-1, 1) + bi.reshape(1, -1)
    cols = kj.reshape(-1, 1) + bj.reshape(1, -1)
    return (rows * wp + cols).reshape(-1).astype("int32"), (hp, wp), (ph, pw), oh * ow


def unfold(x, kernel_size, dilation=1, padding=0, stride=1):
    """im2col: the sliding blocks of (N, C, H, W) as (N, C * kh * kw, L) (PyTorch order)."""
    x = _floating(x)
    N, C, H, W = x.shape
    idx, (hp, wp), (ph, pw), L = _block_index(H, W, kernel_size, dilation, padding, stride)
    xp = _a.pad(x, [[0, 0], [0, 0], [ph, ph], [pw, pw]])
    cols = _s.gather(_s.reshape(xp, [N, C, hp * wp]), idx, axis=2)
    return _s.reshape(cols, [N, C * (len(idx) // L), L])


def fold(x, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """col2im: sum the blocks (N, C * kh * kw, L) of `unfold` back into (N, C, oH, oW)."""
    x = _floating(x)
    N, CK, L = x.shape
    H, W = _pair(output_size)
    idx, (hp, wp), (ph, pw), _ = _block_index(H, W, kernel_size, dilation, padding, stride)
    C = CK * L // len(idx)
    vals = _s.transpose(_s.reshape(x, [N, C, len(idx)]), [2, 0, 1])
    img = _seg.unsorted_segment_sum(vals, idx, hp * wp)
    img = _s.reshape(_s.transpose(img, [1, 2, 0]), [N, C, hp, wp])
    return img[:, :, ph:ph + H, pw:pw + W]
