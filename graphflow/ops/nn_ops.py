"""Neural-network functions, written as compositions of primitives (numerically stable forms).

>>> import graphflow as tf
>>> tf.nn.softmax(tf.constant([0., 0.])).numpy()
array([0.5, 0.5], dtype=float32)
"""

import numpy as np

from ..tensor import constant, to_tensor  # noqa: F401  (constant: doctests)
from .math_ops import (relu, abs, clip_by_value, erf, exp, expm1, greater, greater_equal, less, log,
                       log1p, logical_and, maximum, minimum, reduce_max, reduce_mean, reduce_sum,
                       rsqrt, sigmoid, sqrt, square, stop_gradient, tanh, where, zeros_like,
                       equal, ones_like)
from .random_ops import uniform
from ..dispatch import bind
from ..errors import InvalidArgumentError
from ..shapes import Dim
from .registry import Aval, OTHER, defop, op_error, shapes_agree
from .shape_ops import expand_dims, gather, one_hot, reshape, squeeze
from .array_ops import cumsum


def _check_labels_impl(labels, depth, op):
    a = np.asarray(labels)
    # one comparison on the unsigned view (a negative label is a huge unsigned one): this runs
    # every training step, half the cost of (labels < 0) | (labels >= depth)
    u = a.view(a.dtype.str.replace("i", "u")) if a.dtype.kind == "i" else a
    if (u >= depth).any():
        bad = (a < 0) | (a >= depth)
        i = tuple(int(k) for k in np.argwhere(np.asarray(bad))[0])
        v = np.asarray(labels)[i]
        raise InvalidArgumentError(
            f"{op}: received a label value of {int(v)} (at index {list(i)} of the "
            f"{np.asarray(labels).dtype.name}{list(np.shape(labels))} labels) which is outside "
            f"the valid range of [0, {depth})")
    return labels


def _check_labels_rule(labels, depth, op):
    if np.dtype(labels.dtype).kind not in "iu":
        raise op_error("check_labels", (labels,), "labels must be integer class indices")
    return Aval(tuple(labels.shape), labels.dtype)


# The label check of sparse cross-entropies (TF raises InvalidArgumentError for a label outside
# [0, num_classes), where one_hot alone would silently give a zero row and loss 0). Its own op
# (kind OTHER, no lowering) so every executor runs it on numpy values, before one_hot.
CHECK_LABELS = defop("check_labels", _check_labels_impl, _check_labels_rule, kind=OTHER, arity=1,
                     checks=True, nondiff_reason="labels are integer class indices")


def check_labels(labels, depth, op="check_labels"):
    """`labels` unchanged; raises InvalidArgumentError naming the first label outside
    [0, depth) and the range (`op` names the caller in the message).

    >>> import graphflow as tf
    >>> check_labels(tf.constant([0, 2]), 3).numpy()
    array([0, 2], dtype=int32)
    """
    if depth is None or isinstance(depth, Dim):
        return to_tensor(labels)   # a class count known only when the graph runs: unchecked
    return bind(CHECK_LABELS, [to_tensor(labels)], {"depth": int(depth), "op": str(op)})



def relu6(features, name=None):
    """min(max(x, 0), 6) elementwise; the gradient is 0 at x = 0 and x = 6, as TF.

    >>> relu6(constant([-1., 3., 8.])).numpy()
    array([0., 3., 6.], dtype=float32)
    """
    x = to_tensor(features)
    # relu's gradient is 0 at 0; minimum sends a tie's gradient to its first argument (the 6)
    return minimum(6.0, relu(x))


def leaky_relu(features, alpha=0.2, name=None):
    """x if x > 0 else alpha * x (any alpha, also > 1, as TF).

    >>> leaky_relu(constant([-1., 2.]), alpha=0.5).numpy()
    array([-0.5,  2. ], dtype=float32)
    """
    x = to_tensor(features)
    return where(greater(x, 0), x, x * alpha)


def elu(features, name=None):
    """x if x > 0 else expm1(x) (accurate for tiny x; the untaken branch sees min(x, 0), so large
    x give no inf/NaN in the gradient).

    >>> elu(constant([-1e-8, 2.])).numpy()
    array([-1.e-08,  2.e+00], dtype=float32)
    """
    x = to_tensor(features)
    return where(greater(x, 0), x, expm1(minimum(x, 0.0)))


def selu(features, name=None):
    """scale * elu-like(x) with TF's constants (alpha 1.6732632..., scale 1.0507009...).

    >>> selu(constant([1., 0.])).numpy().round(4)
    array([1.0507, 0.    ], dtype=float32)
    """
    x = to_tensor(features)
    alpha, scale = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946
    return scale * where(greater(x, 0), x, alpha * expm1(minimum(x, 0.0)))


def softsign(features, name=None):
    """x / (1 + |x|).

    >>> softsign(constant([1., -3.])).numpy()
    array([ 0.5 , -0.75], dtype=float32)
    """
    x = to_tensor(features)
    return x / (abs(x) + 1.0)


def l2_normalize(x, axis=None, epsilon=1e-12, name=None):
    """x / sqrt(max(sum(x**2, axis), epsilon)).

    >>> l2_normalize(constant([3., 4.])).numpy()
    array([0.6, 0.8], dtype=float32)
    """
    x = to_tensor(x)
    ss = reduce_sum(x * x, axis, keepdims=True)
    return x * rsqrt(maximum(ss, epsilon))


def embedding_lookup(params, ids, max_norm=None, name=None):
    """Rows of `params` at `ids` (a gather along axis 0); RaggedTensor ids give a RaggedTensor
    of rows (as TF's ragged dispatch).

    >>> embedding_lookup(constant([[1., 2.], [3., 4.]]), [1]).numpy()
    array([[3., 4.]], dtype=float32)
    >>> embedding_lookup(constant([[3., 4.]]), [0], max_norm=1.).numpy()   # norm 5 -> 1
    array([[0.6, 0.8]], dtype=float32)
    """
    if isinstance(params, (list, tuple)):
        if len(params) != 1:
            raise NotImplementedError("embedding_lookup: sharded params (a list) are not supported")
        params = params[0]
    if hasattr(ids, "flat_values") and hasattr(ids, "with_flat_values"):   # RaggedTensor ids
        return ids.with_flat_values(embedding_lookup(params, ids.flat_values, max_norm))
    rows = gather(params, ids)
    if max_norm is None:
        return rows
    # TF: every looked-up embedding clipped to L2 norm <= max_norm (clip_by_norm's formula)
    axes = list(range(to_tensor(ids).ndim, rows.ndim))
    norm = sqrt(reduce_sum(square(rows), axes, keepdims=True))
    return rows * max_norm / maximum(norm, max_norm)


def batch_normalization(x, mean, variance, offset, scale, variance_epsilon, name=None):
    """(x - mean) * scale / sqrt(variance + eps) + offset (offset/scale may be None).

    >>> batch_normalization(constant([2.]), 1., 4., None, None, 0.).numpy()
    array([0.5], dtype=float32)
    """
    x = to_tensor(x)
    inv = rsqrt(to_tensor(variance, x.dtype) + variance_epsilon)
    if scale is not None:
        inv = inv * scale
    y = (x - mean) * inv
    return y if offset is None else y + offset


def dropout(x, rate, noise_shape=None, seed=None, name=None):
    """Zero entries with probability `rate` and scale the rest by 1 / (1 - rate).

    >>> print(dropout(constant([1., 1.]), 0.0).numpy())
    [1. 1.]
    """
    x = to_tensor(x)
    rate = float(rate)
    if not 0 <= rate < 1:
        raise ValueError(f"dropout: rate must be in [0, 1), got {rate}")
    if rate == 0:
        return x
    shape = tuple(x.shape) if noise_shape is None else tuple(int(s) for s in noise_shape)
    keep = greater_equal(uniform(shape, dtype=x.dtype, seed=seed), rate)
    return where(keep, x * (1.0 / (1.0 - rate)), zeros_like(x))


def gelu(features, approximate=False, name=None):
    """Gaussian error linear unit: x * Phi(x) (tanh approximation if `approximate`)."""
    x = to_tensor(features)
    if approximate:
        return 0.5 * x * (1.0 + tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)))
    return 0.5 * x * (1.0 + erf(x * 0.7071067811865476))


def silu(features, beta=1.0, name=None):
    """x * sigmoid(beta * x) (swish)."""
    x = to_tensor(features)
    return x * sigmoid(x * beta)


swish = silu


def softmax(logits, axis=-1, name=None):
    """exp(x - max) / sum(exp(x - max)) along `axis` (stable)."""
    x = to_tensor(logits)
    e = exp(x - stop_gradient(reduce_max(x, axis, keepdims=True)))
    return e / reduce_sum(e, axis, keepdims=True)


def log_softmax(logits, axis=-1, name=None):
    """x - logsumexp(x) along `axis` (stable)."""
    x = to_tensor(logits)
    z = x - stop_gradient(reduce_max(x, axis, keepdims=True))
    return z - log(reduce_sum(exp(z), axis, keepdims=True))


def softmax_cross_entropy_with_logits(labels, logits, axis=-1, name=None):
    """-sum(labels * log_softmax(logits)) along `axis`; one loss per example."""
    logits = to_tensor(logits)
    labels = to_tensor(labels, logits.dtype)
    if not shapes_agree("softmax_cross_entropy_with_logits", (labels, logits), labels.shape,
                        logits.shape, "labels and logits must have the same shape"):
        raise op_error("softmax_cross_entropy_with_logits", (labels, logits),
                       "labels and logits must have the same shape")
    return -reduce_sum(labels * log_softmax(logits, axis), axis)


def sparse_softmax_cross_entropy_with_logits(labels, logits, name=None):
    """Cross-entropy with integer class labels of shape logits.shape[:-1]."""
    logits = to_tensor(logits)
    labels = to_tensor(labels)
    if not labels.dtype.is_integer:
        raise op_error("sparse_softmax_cross_entropy_with_logits", (labels, logits),
                       "labels must be integer class indices")
    if not shapes_agree("sparse_softmax_cross_entropy_with_logits", (labels, logits),
                        labels.shape, logits.shape[:-1], "labels must have shape logits.shape[:-1]"):
        raise op_error("sparse_softmax_cross_entropy_with_logits", (labels, logits),
                       "labels must have shape logits.shape[:-1]")
    labels = check_labels(labels, logits.shape[-1], "sparse_softmax_cross_entropy_with_logits")
    if isinstance(logits.shape[-1], Dim):   # classes known at run time (a batch's similarities)
        ids = cumsum(ones_like(logits, dtype=labels.dtype), axis=-1) - 1
        oh = equal(ids, expand_dims(labels, -1))
    else:
        oh = one_hot(labels, logits.shape[-1], on_value=True, off_value=False, dtype="bool")
    ls = log_softmax(logits)   # select, not multiply: 0 * (-inf) of a -inf logit is NaN
    return -reduce_sum(where(oh, ls, zeros_like(ls)), -1)


def sigmoid_cross_entropy_with_logits(labels=None, logits=None, name=None):
    """max(x, 0) - x * z + log(1 + exp(-|x|)), the stable form TF uses."""
    x = to_tensor(logits)
    z = to_tensor(labels, x.dtype)
    if not shapes_agree("sigmoid_cross_entropy_with_logits", (z, x), z.shape, x.shape,
                        "labels and logits must have the same shape"):   # TF requires it
        raise op_error("sigmoid_cross_entropy_with_logits", (z, x),
                       "labels and logits must have the same shape")
    # TF's selects (not max/abs): at x == 0 the gradient is 1 - z - 1/2 = 0.5 - z, as in TF
    pos = greater_equal(x, 0.0)
    zero = zeros_like(x)
    return where(pos, x, zero) - x * z + log1p(exp(where(pos, -x, x)))


def l2_loss(t, name=None):
    """sum(t ** 2) / 2.

    >>> print(l2_loss(constant([1., 2.])).numpy())
    2.5
    """
    t = to_tensor(t)
    return reduce_sum(t * t) * 0.5


def bias_add(value, bias, data_format=None, name=None):
    """value + bias: a rank-1 bias along the channel axis (the last one, or axis 1 for
    data_format 'NC...' such as 'NCHW'); other shapes are an error, as in TF.

    >>> bias_add(constant([[1., 2.], [3., 4.]]), constant([10., 20.])).numpy()
    array([[11., 22.],
           [13., 24.]], dtype=float32)
    """
    x = to_tensor(value)
    b = to_tensor(bias, x.dtype)
    first = bool(data_format) and data_format.startswith("NC")
    if x.ndim < 2 or b.ndim != 1 or b.shape[0] != x.shape[1 if first else -1]:
        raise op_error("bias_add", (x, b), "needs a value of rank >= 2 and a rank-1 bias as long "
                       f"as the value's channel axis ({'1' if first else 'last'})")
    if first:
        b = reshape(b, (-1,) + (1,) * (x.ndim - 2))
    return x + b


def moments(x, axes, keepdims=False, name=None):
    """(mean, variance) of x over `axes`."""
    x = to_tensor(x)
    m = reduce_mean(x, axes, keepdims=True)
    # no stop_gradient on m (TF has one): the first derivative is the same, the second is only
    # correct without it
    v = reduce_mean(square(x - m), axes, keepdims=True)
    if not keepdims:
        m, v = squeeze(m, axes), squeeze(v, axes)
    return m, v

