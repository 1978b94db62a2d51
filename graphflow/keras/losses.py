"""Losses (`keras.losses`): per-example functions and `Loss` classes that reduce them.

Cross-entropies on probabilities clip them to [epsilon, 1 - epsilon] (epsilon = 1e-7) like Keras;
with `from_logits=True` they use the stable `graphflow.nn.*_with_logits` forms. When the
probabilities come straight from a Keras `softmax` / `sigmoid` activation, the loss uses the
logits behind them (exact and stable, as Keras does).

>>> import graphflow as tf
>>> from graphflow.keras import losses
>>> float(losses.MeanSquaredError()([[0.], [1.]], [[1.], [1.]]))
0.5
"""
import inspect
import re

import numpy as np

from .. import dtypes as _dt
from ..ops import math_ops as _m, nn_ops as _nn, shape_ops as _s
from ..ops import ctc_ops as _ctc
from ..tensor import Tensor, Variable, convert_to_tensor
from . import config as _config
from .activations import logits_of

#: Keras' default fuzz factor (the functions read `keras.config.epsilon()` when called)
EPSILON = 1e-7


def as_tensor(x, dtype=None):
    """x as a tensor (a Variable read), cast to `dtype` if given."""
    if isinstance(x, (Tensor, Variable)):
        t = convert_to_tensor(x)
        if dtype is not None and t.dtype != _dt.as_dtype(dtype):
            t = _m.cast(t, dtype)
        return t
    a = np.asarray(x)
    if dtype is None and a.dtype.kind == "f":
        dtype = _dt.float32
    return convert_to_tensor(a if dtype is None else a.astype(_dt.as_dtype(dtype).np))


def prediction(y_pred):
    """Predictions as a float tensor."""
    t = as_tensor(y_pred)
    return t if t.dtype.is_floating else _m.cast(t, _dt.float32)


def match_rank(y_true, y_pred):
    """Make ranks equal when they differ by a trailing dimension of size 1 (Keras'
    `squeeze_or_expand_to_same_rank`): labels of shape (N,) against predictions (N, 1)."""
    rt, rp = y_true.ndim, y_pred.ndim
    if rt == rp - 1 and y_pred.shape[-1] == 1:
        y_true = _s.expand_dims(y_true, -1)
    elif rp == rt - 1 and y_true.shape[-1] == 1:
        y_true = _s.squeeze(y_true, [-1])
    return y_true


# ------------------------------------------------------------------ per-example functions
def mean_squared_error(y_true, y_pred):
    """mean((y_pred - y_true)^2, axis=-1)"""
    y_pred = prediction(y_pred)
    y_true = match_rank(as_tensor(y_true, y_pred.dtype), y_pred)
    return _m.reduce_mean(_m.square(y_pred - y_true), -1)


def mean_absolute_error(y_true, y_pred):
    """mean(|y_pred - y_true|, axis=-1)"""
    y_pred = prediction(y_pred)
    y_true = match_rank(as_tensor(y_true, y_pred.dtype), y_pred)
    return _m.reduce_mean(_m.abs(y_pred - y_true), -1)


def mean_absolute_percentage_error(y_true, y_pred):
    """100 * mean(|y_true - y_pred| / max(|y_true|, 1e-7), axis=-1) (Keras' epsilon).

    >>> float(mean_absolute_percentage_error([[2., 4.]], [[1., 5.]])[0])
    37.5
    """
    y_pred = prediction(y_pred)
    y_true = match_rank(as_tensor(y_true, y_pred.dtype), y_pred)
    diff = _m.abs((y_true - y_pred) / _m.maximum(_m.abs(y_true), 1e-7))
    return 100.0 * _m.reduce_mean(diff, -1)


def huber(y_true, y_pred, delta=1.0):
    """0.5 e^2 where |e| <= delta, else delta (|e| - 0.5 delta); mean over the last axis."""
    y_pred = prediction(y_pred)
    y_true = match_rank(as_tensor(y_true, y_pred.dtype), y_pred)
    e = _m.abs(y_pred - y_true)
    quad = _m.minimum(e, delta)
    return _m.reduce_mean(0.5 * quad * quad + delta * (e - quad), -1)


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Elementwise binary cross-entropy, averaged over `axis` (one value per example)."""
    y_pred = prediction(y_pred)
    y_true = match_rank(as_tensor(y_true, y_pred.dtype), y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    logits = y_pred if from_logits else logits_of(y_pred, "sigmoid")
    if logits is not None:
        bce = _nn.sigmoid_cross_entropy_with_logits(labels=y_true, logits=logits)
    else:
        p = _m.clip_by_value(y_pred, _config.epsilon(), 1.0 - _config.epsilon())
        bce = -(y_true * _m.log(p) + (1.0 - y_true) * _m.log(1.0 - p))
    return _m.reduce_mean(bce, axis)


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """-sum(y_true * log(p)) over `axis`, y_true one-hot (or a distribution)."""
    y_pred = prediction(y_pred)
    y_true = as_tensor(y_true, y_pred.dtype)
    if tuple(y_true.shape) != tuple(y_pred.shape):
        raise ValueError(f"categorical_crossentropy: labels of shape {y_true.shape} and "
                         f"predictions of shape {y_pred.shape} differ. For integer class labels "
                         "use sparse_categorical_crossentropy.")
    if label_smoothing:
        k = y_pred.shape[axis]
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / k
    logits = y_pred if from_logits else (logits_of(y_pred, "softmax") if axis in (-1, y_pred.ndim - 1)
                                         else None)
    if logits is not None:
        if axis in (-1, y_pred.ndim - 1):
            return _nn.softmax_cross_entropy_with_logits(y_true, logits)
        return -_m.reduce_sum(y_true * _nn.log_softmax(logits, axis), axis)
    p = y_pred / _m.reduce_sum(y_pred, axis, keepdims=True)
    p = _m.clip_by_value(p, _config.epsilon(), 1.0 - _config.epsilon())
    return -_m.reduce_sum(y_true * _m.log(p), axis)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, axis=-1, ignore_class=None):
    """Cross-entropy with integer class labels of shape y_pred.shape[:-1] (or with a trailing 1)."""
    y_pred = prediction(y_pred)
    if axis not in (-1, y_pred.ndim - 1):
        raise ValueError("sparse_categorical_crossentropy: only the last axis is supported")
    y_true = as_tensor(y_true)
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = _s.squeeze(y_true, [-1])
    if not y_true.dtype.is_integer:
        y_true = _m.cast(y_true, _dt.int32)
    if not y_true.shape.is_compatible_with(y_pred.shape[:-1]):   # symbolic dims: checked at run time
        raise ValueError(f"sparse_categorical_crossentropy: labels of shape {y_true.shape} do not "
                         f"match predictions of shape {y_pred.shape} (expected labels of shape "
                         f"{tuple(y_pred.shape[:-1])}). For one-hot labels use "
                         "categorical_crossentropy.")
    valid = None
    if ignore_class is not None:
        valid = _m.not_equal(y_true, ignore_class)
        y_true = _m.where(valid, y_true, _m.zeros_like(y_true))
    logits = y_pred if from_logits else logits_of(y_pred, "softmax")
    if logits is not None:
        loss = _nn.sparse_softmax_cross_entropy_with_logits(y_true, logits)
    else:
        p = y_pred / _m.reduce_sum(y_pred, -1, keepdims=True)
        p = _m.clip_by_value(p, _config.epsilon(), 1.0 - _config.epsilon())
        y_true = _nn.check_labels(y_true, y_pred.shape[-1], "sparse_categorical_crossentropy")
        oh = _s.one_hot(y_true, y_pred.shape[-1], dtype=y_pred.dtype)
        loss = -_m.reduce_sum(oh * _m.log(p), -1)
    if valid is not None:
        loss = loss * _m.cast(valid, loss.dtype)
    return loss


def kl_divergence(y_true, y_pred):
    y_pred = prediction(y_pred)
    y_true = _m.clip_by_value(as_tensor(y_true, y_pred.dtype), _config.epsilon(), 1.0)
    y_pred = _m.clip_by_value(y_pred, _config.epsilon(), 1.0)
    return _m.reduce_sum(y_true * _m.log(y_true / y_pred), -1)


def mean_squared_logarithmic_error(y_true, y_pred):
    """mean((log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1))^2, axis=-1).

    >>> round(float(mean_squared_logarithmic_error([[0., 1.]], [[1., 1.]])[0]), 5)
    0.24023
    """
    y_pred = prediction(y_pred)
    y_true = match_rank(as_tensor(y_true, y_pred.dtype), y_pred)
    first = _m.log(_m.maximum(y_pred, _config.epsilon()) + 1.0)
    second = _m.log(_m.maximum(y_true, _config.epsilon()) + 1.0)
    return _m.reduce_mean(_m.square(first - second), -1)


def l2_normalize(x, axis=-1):
    """x / ||x|| along `axis` (Keras' `normalize`: x * min(rsqrt(sum x^2), 1 / eps))."""
    # min(rsqrt(s), 1/eps) written as rsqrt(max(s, eps^2)): no inf (nor a NaN gradient) at 0
    sq = _m.reduce_sum(_m.square(x), axis, keepdims=True)
    inv = _m.rsqrt(_m.maximum(sq, _config.epsilon() ** 2))
    return x * inv


def cosine_similarity(y_true, y_pred, axis=-1):
    """-sum(l2_normalize(y_true) * l2_normalize(y_pred), axis): -1 for parallel vectors, 0 for
    orthogonal ones (or a zero vector).

    >>> [round(float(v), 4) for v in cosine_similarity([[0., 1.], [1., 1.]], [[1., 0.], [1., 1.]])]
    [-0.0, -1.0]
    """
    y_pred = prediction(y_pred)
    y_true = match_rank(as_tensor(y_true, y_pred.dtype), y_pred)
    return -_m.reduce_sum(l2_normalize(y_true, axis) * l2_normalize(y_pred, axis), axis)


def log_cosh(y_true, y_pred):
    """mean(log(cosh(y_pred - y_true)), axis=-1), computed as x + softplus(-2x) - log 2.

    >>> round(float(np.mean(log_cosh([[0., 1.], [0., 0.]], [[1., 1.], [0., 0.]]))), 3)
    0.108
    """
    y_pred = prediction(y_pred)
    y_true = match_rank(as_tensor(y_true, y_pred.dtype), y_pred)
    x = y_pred - y_true
    return _m.reduce_mean(x + _m.softplus(x * -2.0) - float(np.log(2.0)), -1)


def poisson(y_true, y_pred):
    """mean(y_pred - y_true * log(y_pred + eps), axis=-1).

    >>> round(float(poisson([[1., 0.]], [[1., 2.]])[0]), 6)
    1.5
    """
    y_pred = prediction(y_pred)
    y_true = match_rank(as_tensor(y_true, y_pred.dtype), y_pred)
    return _m.reduce_mean(y_pred - y_true * _m.log(y_pred + _config.epsilon()), -1)


def hinge_labels(y_true):
    """Binary {0, 1} labels become {-1, 1} (when every label is 0 or 1, as Keras decides);
    other labels are left alone."""
    binary = _m.reduce_all(_m.logical_or(_m.equal(y_true, 0.0), _m.equal(y_true, 1.0)))
    return _m.where(binary, 2.0 * y_true - 1.0, y_true)


def hinge(y_true, y_pred):
    """mean(max(1 - y_true * y_pred, 0), axis=-1); labels in {-1, 1} (or {0, 1}, converted).

    >>> float(hinge([[0., 1.]], [[0.5, 0.5]])[0])
    1.0
    """
    y_pred = prediction(y_pred)
    y_true = hinge_labels(match_rank(as_tensor(y_true, y_pred.dtype), y_pred))
    return _m.reduce_mean(_m.maximum(1.0 - y_true * y_pred, 0.0), -1)


def squared_hinge(y_true, y_pred):
    """mean(max(1 - y_true * y_pred, 0)^2, axis=-1).

    >>> float(squared_hinge([[0., 1.]], [[0.5, 0.5]])[0])
    1.25
    """
    y_pred = prediction(y_pred)
    y_true = hinge_labels(match_rank(as_tensor(y_true, y_pred.dtype), y_pred))
    return _m.reduce_mean(_m.square(_m.maximum(1.0 - y_true * y_pred, 0.0)), -1)


def categorical_hinge(y_true, y_pred):
    """max(max((1 - y_true) * y_pred) - sum(y_true * y_pred) + 1, 0) over the last axis.

    >>> round(float(categorical_hinge([[0., 1.]], [[0.3, 0.7]])[0]), 6)
    0.6
    """
    y_pred = prediction(y_pred)
    y_true = as_tensor(y_true, y_pred.dtype)
    pos = _m.reduce_sum(y_true * y_pred, -1)
    neg = _m.reduce_max((1.0 - y_true) * y_pred, -1)
    return _m.maximum(neg - pos + 1.0, 0.0)


def binary_focal_crossentropy(y_true, y_pred, apply_class_balancing=False, alpha=0.25, gamma=2.0,
                              from_logits=False, label_smoothing=0.0, axis=-1):
    """Binary cross-entropy scaled by (1 - p_t)^gamma (and by alpha / 1 - alpha with class
    balancing), averaged over `axis` (Lin et al., 2018; Keras' formula).

    >>> [round(float(v), 3) for v in binary_focal_crossentropy([[0, 1], [0, 0]],
    ...                                                       [[0.6, 0.4], [0.4, 0.6]])]
    [0.33, 0.206]
    """
    y_pred = prediction(y_pred)
    y_true = match_rank(as_tensor(y_true, y_pred.dtype), y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        y_pred = _m.sigmoid(y_pred)
    p = _m.clip_by_value(y_pred, _config.epsilon(), 1.0 - _config.epsilon())
    bce = -(y_true * _m.log(p) + (1.0 - y_true) * _m.log(1.0 - p))
    p_t = y_true * y_pred + (1.0 - y_true) * (1.0 - y_pred)
    focal = _m.pow(1.0 - p_t, float(gamma)) * bce
    if apply_class_balancing:
        focal = (y_true * alpha + (1.0 - y_true) * (1.0 - alpha)) * focal
    return _m.reduce_mean(focal, axis)


def categorical_focal_crossentropy(y_true, y_pred, alpha=0.25, gamma=2.0, from_logits=False,
                                   label_smoothing=0.0, axis=-1):
    """sum(alpha (1 - p)^gamma * -y_true log p) over `axis` (p normalized and clipped).

    >>> [round(float(v), 6) for v in categorical_focal_crossentropy(
    ...     [[0, 1, 0], [0, 0, 1]], [[0.05, 0.9, 0.05], [0.1, 0.85, 0.05]])]
    [0.000263, 0.675912]
    """
    y_pred = prediction(y_pred)
    y_true = as_tensor(y_true, y_pred.dtype)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / y_pred.shape[axis]
    if from_logits:
        y_pred = _nn.softmax(y_pred, axis)
    p = _m.clip_by_value(y_pred / _m.reduce_sum(y_pred, axis, keepdims=True), _config.epsilon(),
                         1.0 - _config.epsilon())
    alpha = as_tensor(alpha, y_pred.dtype) if isinstance(alpha, (list, tuple)) else float(alpha)
    focal = alpha * _m.pow(1.0 - p, float(gamma)) * (-y_true * _m.log(p))
    return _m.reduce_sum(focal, axis)


def dice(y_true, y_pred, axis=None):
    """1 - 2 sum(y_true y_pred) / (sum(y_true) + sum(y_pred) + eps), over `axis` (all by default).

    >>> round(float(dice([[1., 1.], [0., 0.]], [[0., 1.], [0., 1.]])), 6)
    0.5
    """
    y_pred = prediction(y_pred)
    y_true = as_tensor(y_true, y_pred.dtype)
    inter = _m.reduce_sum(y_true * y_pred, axis)
    return 1.0 - 2.0 * inter / (_m.reduce_sum(y_true, axis) + _m.reduce_sum(y_pred, axis)
                                + _config.epsilon())


def tversky(y_true, y_pred, alpha=0.5, beta=0.5, axis=None):
    """1 - TP / (TP + alpha FP + beta FN + eps) with soft counts (TP = sum(y_true y_pred),
    FP = sum((1 - y_pred) y_true), FN = sum(y_pred (1 - y_true)) as Keras writes them).

    >>> round(float(tversky([[1., 1.], [0., 0.]], [[0., 1.], [0., 1.]])), 6)
    0.5
    """
    y_pred = prediction(y_pred)
    y_true = as_tensor(y_true, y_pred.dtype)
    inter = _m.reduce_sum(y_true * y_pred, axis)
    fp = _m.reduce_sum((1.0 - y_pred) * y_true, axis)
    fn = _m.reduce_sum(y_pred * (1.0 - y_true), axis)
    return 1.0 - inter / (inter + fp * alpha + fn * beta + _config.epsilon())



def _pos_neg_masks(query_labels, key_labels, remove_diagonal=True):
    """(positive, negative) boolean masks (queries, keys): equal / different labels; the
    diagonal (an example paired with itself) left out of the positives by default."""
    q = _s.reshape(query_labels, (-1, 1))
    k = _s.reshape(key_labels, (1, -1))
    pos = _m.equal(q, k)
    neg = _m.logical_not(pos)
    if remove_diagonal:
        n, m = q.shape[0], k.shape[1]
        if n is None or m is None:
            raise ValueError("circle loss: remove_diagonal needs a known batch size "
                             f"(labels {tuple(q.shape)} against {tuple(k.shape)})")
        pos = _m.logical_and(pos, convert_to_tensor(~np.eye(n, m, dtype=bool)))
    return pos, neg


def circle(y_true, y_pred, ref_labels=None, ref_embeddings=None, remove_diagonal=True, gamma=80,
           margin=0.4):
    """Circle loss (Sun et al., 2020) of L2-normalized embeddings `y_pred` (batch, dim) with
    integer labels `y_true` (batch,): per example, softplus of the log-sum-exp of its
    re-weighted positive-pair similarities plus that of its negative pairs, pairs taken against
    `ref_embeddings` / `ref_labels` (default: the batch itself). Keras 3's
    `keras.losses.circle`.

    >>> import numpy as np
    >>> e = np.array([[1., 0.], [0.8, 0.6], [0., 1.]], "float32")
    >>> [round(float(v), 3) for v in circle([0, 0, 1], e, gamma=10.0)]
    [0.059, 1.171, 0.0]
    """
    y_pred = prediction(y_pred)
    y_true = _m.cast(as_tensor(y_true), "int32")
    ref = y_pred if ref_embeddings is None else as_tensor(ref_embeddings, y_pred.dtype)
    ref_labels = y_true if ref_labels is None else _m.cast(as_tensor(ref_labels), "int32")
    dist = _m.maximum(1.0 - _m.matmul(y_pred, ref, transpose_b=True), 0.0)
    pos, neg = _pos_neg_masks(y_true, ref_labels, remove_diagonal)
    posf, negf = _m.cast(pos, dist.dtype), _m.cast(neg, dist.dtype)
    pos_w = _m.maximum((margin + dist) * posf, 0.0)
    neg_w = _m.maximum((1.0 + margin - dist) * negf, 0.0)
    pos_d = -gamma * pos_w * (margin - dist)
    neg_d = gamma * neg_w * ((1.0 - margin) - dist)
    lowest = _m.zeros_like(dist) - 1e30     # log(0), finite so gradients stay finite
    p_loss = _m.reduce_logsumexp(_m.where(pos, pos_d, lowest), 1)
    n_loss = _m.reduce_logsumexp(_m.where(neg, neg_d, lowest), 1)
    return _m.softplus(p_loss + n_loss)


def categorical_generalized_cross_entropy(y_true, y_pred, q):
    """Generalized cross-entropy (Zhang & Sabuncu, 2018), robust to noisy labels:
    (1 - p**q) / q with p the predicted probability of the integer label `y_true`
    (q -> 0 gives cross-entropy, q = 1 the MAE). Keras 3's
    `keras.losses.categorical_generalized_cross_entropy`.

    >>> [round(float(v), 4) for v in categorical_generalized_cross_entropy(
    ...     [0, 1], [[0.7, 0.3], [0.4, 0.6]], 0.5)]
    [0.3267, 0.4508]
    """
    y_pred = prediction(y_pred)
    labels = _m.cast(as_tensor(y_true), "int32")
    onehot = _s.one_hot(labels, y_pred.shape[-1], dtype=y_pred.dtype)
    p = _m.reduce_sum(y_pred * onehot, -1)
    return (1.0 - _m.pow(p, float(q))) / q


def ctc(y_true, y_pred):
    """CTC loss per example (Keras 3's `keras.losses.ctc`): `y_true` (batch, max_length) integer
    labels padded with 0 (class 0 is the blank), `y_pred` (batch, time, classes) logits; every
    example uses all time steps. `tf.nn.ctc_loss` with batch-major logits.

    >>> import numpy as np
    >>> round(float(ctc([[1, 2]], np.zeros((1, 3, 3), "float32"))[0]), 4)
    1.6864
    """
    y_pred = prediction(y_pred)
    y_true = as_tensor(y_true)
    if y_true.ndim != 2:
        raise ValueError("keras.losses.ctc: targets `y_true` must be (batch_size, max_length) "
                         f"integers; got shape {tuple(y_true.shape)}")
    if y_pred.ndim != 3:
        raise ValueError("keras.losses.ctc: logits `y_pred` must be (batch_size, max_length, "
                         f"num_classes); got shape {tuple(y_pred.shape)}")
    labels = _m.cast(y_true, "int32")
    label_length = _m.reduce_sum(_m.cast(_m.not_equal(labels, 0), "int32"), -1)
    steps = _m.zeros_like(label_length) + y_pred.shape[1]
    return _ctc.ctc_loss(labels, y_pred, label_length, steps, logits_time_major=False,
                         blank_index=0)


mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kullback_leibler_divergence = kl_divergence
logcosh = log_cosh
bce = BCE = binary_crossentropy


# ------------------------------------------------------------------ reduction and classes
_REDUCTIONS = ("sum_over_batch_size", "sum", "none", "auto", "mean", "mean_with_sample_weight",
               None)


class Reduction:
    """The loss reduction names (TF's `tf.keras.losses.Reduction`): AUTO and
    SUM_OVER_BATCH_SIZE average over all loss elements, SUM adds them, NONE keeps them.

    >>> Reduction.SUM, Reduction.validate("none")
    ('sum', None)
    """
    AUTO = "auto"
    NONE = "none"
    SUM = "sum"
    SUM_OVER_BATCH_SIZE = "sum_over_batch_size"

    @classmethod
    def all(cls):
        return (cls.AUTO, cls.NONE, cls.SUM, cls.SUM_OVER_BATCH_SIZE)

    @classmethod
    def validate(cls, key):
        if key not in cls.all():
            raise ValueError(f"Invalid Reduction Key: {key}. Expected keys are {cls.all()}")


def reduce_weighted(losses, sample_weight=None, reduction="sum_over_batch_size"):
    """Apply sample weights, then reduce: 'sum_over_batch_size' / 'mean' / 'auto' (mean over
    all elements, the default), 'sum', 'mean_with_sample_weight' (sum over the sum of the
    weights), or 'none' (per-example values)."""
    if reduction not in _REDUCTIONS:
        raise ValueError(f"invalid loss reduction {reduction!r}; use one of "
                         "'sum_over_batch_size', 'sum', 'mean', 'mean_with_sample_weight', "
                         "'none'")
    sw = None
    if sample_weight is not None:
        sw = as_tensor(sample_weight, losses.dtype)
        while sw.ndim > losses.ndim and sw.shape[-1] == 1:
            sw = _s.squeeze(sw, [-1])
        losses = losses * sw
    if reduction in ("none", None) or losses.ndim == 0:
        return losses
    total = _m.reduce_sum(losses)
    if reduction == "sum":
        return total
    if reduction == "mean_with_sample_weight" and sw is not None:
        return _m.divide_no_nan(total, _m.reduce_sum(_s.broadcast_to(sw, losses.shape)
                                                     if None not in losses.shape else sw))
    if None in losses.shape:   # unknown dims (a traced step serving every batch size)
        return total / _m.maximum(_s.size(losses, losses.dtype), 1.0)
    n = int(np.prod(tuple(losses.shape), dtype=np.int64))
    return total / float(max(n, 1))


def _loss_precision(y_pred, dtype):
    """Keras 3 converts predictions to the loss' dtype (float32): a mixed-precision model's
    float16 output is not reduced in float16 (the loss would overflow)."""
    if isinstance(y_pred, Tensor) and y_pred.dtype.is_floating and \
            y_pred.dtype.size < _dt.as_dtype(dtype).size:
        return _m.cast(y_pred, dtype)
    return y_pred


class Loss:
    """Base class: subclasses implement `call(y_true, y_pred)` -> per-example losses."""

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        if reduction not in _REDUCTIONS:
            raise ValueError(f"invalid loss reduction {reduction!r}")
        self.name = name or snake_case(type(self).__name__)
        self.reduction = reduction
        self.dtype = _dt.as_dtype(dtype or _dt.float32).name

    def call(self, y_true, y_pred):
        raise NotImplementedError

    def __call__(self, y_true, y_pred, sample_weight=None):
        return reduce_weighted(self.call(y_true, _loss_precision(y_pred, self.dtype)),
                               sample_weight, self.reduction)

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def snake_case(name):
    """`MeanSquaredError` -> `mean_squared_error` (Keras's default names)."""
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)   # Keras' to_snake_case: 'AUC' -> 'auc'
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


class LossFunctionWrapper(Loss):
    """A `Loss` from a per-example function and its keyword arguments."""

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        super().__init__(name or fn.__name__, reduction, dtype)
        self.fn, self._fn_kwargs = fn, kwargs
        for k, v in kwargs.items():   # Keras keeps the options as attributes (loss.from_logits)
            if not hasattr(type(self), k):
                setattr(self, k, v)

    def call(self, y_true, y_pred):
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self):
        return dict(super().get_config(), **self._fn_kwargs)


def keyword_signature(options, **tail):
    """The signature `(self, <options with defaults>, <tail with defaults>)` of a generated
    __init__ (what `inspect.signature` and config loaders see)."""
    P = inspect.Parameter
    params = [P("self", P.POSITIONAL_OR_KEYWORD)]
    params += [P(k, P.POSITIONAL_OR_KEYWORD, default=v) for k, v in options.items()]
    params += [P(k, P.KEYWORD_ONLY, default=v) for k, v in tail.items()]
    return inspect.Signature(params)


def _wrapper_class(class_name, fn, default_name, doc, **defaults):
    """A LossFunctionWrapper subclass with Keras 3's signature: the options of `fn` (with their
    defaults, in order), then reduction, name and dtype."""
    def __init__(self, *args, reduction="sum_over_batch_size", name=default_name, dtype=None,
                 **kwargs):
        if len(args) > len(defaults):
            raise TypeError(f"{class_name}: at most {len(defaults)} positional arguments "
                            f"({', '.join(defaults)}), got {len(args)}")
        opts = dict(defaults)
        opts.update(zip(defaults, args))
        unknown = set(kwargs) - set(defaults)
        if unknown:
            raise TypeError(f"{class_name}: unexpected arguments {sorted(unknown)}")
        opts.update(kwargs)
        LossFunctionWrapper.__init__(self, fn, reduction, name, dtype, **opts)
    __init__.__signature__ = keyword_signature(defaults, reduction="sum_over_batch_size",
                                               name=default_name, dtype=None)
    return type(class_name, (LossFunctionWrapper,), {"__init__": __init__, "__doc__": doc,
                                                     "__module__": __name__})


MeanSquaredError = _wrapper_class("MeanSquaredError", mean_squared_error, "mean_squared_error",
                                  "mean((y_pred - y_true)^2) per example, then reduced.")
MeanAbsoluteError = _wrapper_class("MeanAbsoluteError", mean_absolute_error,
                                   "mean_absolute_error", "mean(|y_pred - y_true|) per example.")
MeanAbsolutePercentageError = _wrapper_class(
    "MeanAbsolutePercentageError", mean_absolute_percentage_error,
    "mean_absolute_percentage_error", "100 mean(|y_true - y_pred| / |y_true|) per example.")
MeanSquaredLogarithmicError = _wrapper_class(
    "MeanSquaredLogarithmicError", mean_squared_logarithmic_error,
    "mean_squared_logarithmic_error",
    """mean((log(y_pred + 1) - log(y_true + 1))^2) per example.

    >>> round(float(MeanSquaredLogarithmicError()([[0., 1.], [0., 0.]], [[1., 1.], [1., 0.]])), 4)
    0.2402
    """)
CosineSimilarity = _wrapper_class(
    "CosineSimilarity", cosine_similarity, "cosine_similarity",
    """-cosine of the angle between y_true and y_pred along `axis`.

    >>> round(float(CosineSimilarity(axis=1)([[0., 1.], [1., 1.]], [[1., 0.], [1., 1.]])), 4)
    -0.5
    """, axis=-1)
Huber = _wrapper_class("Huber", huber, "huber_loss", "Quadratic below `delta`, linear above.",
                       delta=1.0)
LogCosh = _wrapper_class(
    "LogCosh", log_cosh, "log_cosh",
    """mean(log(cosh(y_pred - y_true))) per example.

    >>> round(float(LogCosh()([[0., 1.], [0., 0.]], [[1., 1.], [0., 0.]])), 3)
    0.108
    """)
Hinge = _wrapper_class("Hinge", hinge, "hinge",
                       """mean(max(1 - y_true y_pred, 0)); {0, 1} labels become {-1, 1}.

    >>> float(Hinge()([[0., 1.]], [[0.5, 0.5]]))
    1.0
    """)
SquaredHinge = _wrapper_class("SquaredHinge", squared_hinge, "squared_hinge",
                              "mean(max(1 - y_true y_pred, 0)^2) per example.")
CategoricalHinge = _wrapper_class("CategoricalHinge", categorical_hinge, "categorical_hinge",
                                  "max(neg - pos + 1, 0) for one-hot labels.")
KLDivergence = _wrapper_class("KLDivergence", kl_divergence, "kl_divergence",
                              "sum(y_true log(y_true / y_pred)) per example.")
Poisson = _wrapper_class("Poisson", poisson, "poisson",
                         """mean(y_pred - y_true log(y_pred)) per example.

    >>> round(float(Poisson()([[1., 0.]], [[1., 2.]])), 4)
    1.5
    """)
BinaryCrossentropy = _wrapper_class(
    "BinaryCrossentropy", binary_crossentropy, "binary_crossentropy",
    "Binary cross-entropy (from probabilities, or logits with from_logits=True).",
    from_logits=False, label_smoothing=0.0, axis=-1)
BinaryFocalCrossentropy = _wrapper_class(
    "BinaryFocalCrossentropy", binary_focal_crossentropy, "binary_focal_crossentropy",
    """Binary cross-entropy down-weighting easy examples by (1 - p_t)^gamma.

    >>> round(float(BinaryFocalCrossentropy(gamma=2)([[0, 1], [0, 0]],
    ...                                               [[0.6, 0.4], [0.4, 0.6]])), 3)
    0.268
    """, apply_class_balancing=False, alpha=0.25, gamma=2.0, from_logits=False,
    label_smoothing=0.0, axis=-1)
CategoricalCrossentropy = _wrapper_class(
    "CategoricalCrossentropy", categorical_crossentropy, "categorical_crossentropy",
    "Cross-entropy with one-hot labels.", from_logits=False, label_smoothing=0.0, axis=-1)
CategoricalFocalCrossentropy = _wrapper_class(
    "CategoricalFocalCrossentropy", categorical_focal_crossentropy,
    "categorical_focal_crossentropy", "Categorical cross-entropy scaled by alpha (1 - p)^gamma.",
    alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1)
SparseCategoricalCrossentropy = _wrapper_class(
    "SparseCategoricalCrossentropy", sparse_categorical_crossentropy,
    "sparse_categorical_crossentropy", "Cross-entropy with integer class labels.",
    from_logits=False, ignore_class=None)
Dice = _wrapper_class("Dice", dice, "dice", """1 - Dice coefficient over `axis` (all axes by
    default: one value for the batch).

    >>> round(float(Dice(axis=(1, 2))([[[1.], [1.]], [[0.], [0.]]], [[[0.], [1.]], [[0.4], [0.]]])), 6)
    0.666667
    """, axis=None)
Tversky = _wrapper_class("Tversky", tversky, "tversky",
                         "1 - Tversky index (alpha weighs false positives, beta false negatives).",
                         alpha=0.5, beta=0.5, axis=None)



class Circle(LossFunctionWrapper):
    """Circle loss for metric learning (Keras 3's `keras.losses.Circle`, see `circle`); as in
    Keras the examples whose loss is 0 are masked out of the mean.

    >>> import numpy as np
    >>> e = np.array([[1., 0.], [0.8, 0.6], [0., 1.]], "float32")
    >>> round(float(Circle(gamma=10.0)([0, 0, 1], e)), 3)     # mean of the 2 non-zero losses
    0.615
    """

    def __init__(self, gamma=80.0, margin=0.4, remove_diagonal=True,
                 reduction="sum_over_batch_size", name="circle", dtype=None):
        super().__init__(circle, reduction, name, dtype, gamma=gamma, margin=margin,
                         remove_diagonal=remove_diagonal)

    def __call__(self, y_true, y_pred, sample_weight=None):
        losses = self.call(y_true, y_pred)
        keep = _m.cast(_m.greater(losses, 0.0), losses.dtype)
        if self.reduction in ("sum_over_batch_size", "mean", "auto"):
            # Keras' mask weighting: valid entries weigh total/valid, so the mean is over them
            keep = keep * _m.divide_no_nan(_s.size(keep, losses.dtype), _m.reduce_sum(keep))
        if sample_weight is not None:
            keep = keep * match_rank(as_tensor(sample_weight, losses.dtype), keep)
        return reduce_weighted(losses, keep, self.reduction)


class CategoricalGeneralizedCrossEntropy(LossFunctionWrapper):
    """Generalized cross-entropy for noisy labels (Keras 3's
    `keras.losses.CategoricalGeneralizedCrossEntropy`, see
    `categorical_generalized_cross_entropy`); `q` in (0, 1).

    >>> round(float(CategoricalGeneralizedCrossEntropy()([0, 1], [[0.7, 0.3], [0.4, 0.6]])), 4)
    0.3887
    """

    def __init__(self, q=0.5, reduction="sum_over_batch_size",
                 name="categorical_generalized_cross_entropy", dtype=None):
        if not 0 < q < 1:
            raise ValueError(f"CategoricalGeneralizedCrossEntropy: q must be in the interval "
                             f"(0, 1); got q={q}")
        super().__init__(categorical_generalized_cross_entropy, reduction, name, dtype, q=q)


class CTC(LossFunctionWrapper):
    """CTC loss (Keras 3's `keras.losses.CTC`, see `ctc`): labels padded with 0, the blank.

    >>> import numpy as np
    >>> round(float(CTC()([[1, 2]], np.zeros((1, 3, 3), "float32"))), 4)
    1.6864
    """

    def __init__(self, reduction="sum_over_batch_size", name="ctc", dtype=None):
        super().__init__(ctc, reduction, name, dtype)

_FUNCTIONS = [kl_divergence, poisson, binary_crossentropy, binary_focal_crossentropy,
              categorical_crossentropy, categorical_focal_crossentropy,
              sparse_categorical_crossentropy, mean_squared_error, mean_absolute_error,
              mean_absolute_percentage_error, mean_squared_logarithmic_error, cosine_similarity,
              log_cosh, huber, hinge, squared_hinge, categorical_hinge, dice, tversky, circle,
              categorical_generalized_cross_entropy, ctc]
_CLASSES = [KLDivergence, Poisson, BinaryCrossentropy, BinaryFocalCrossentropy,
            CategoricalCrossentropy, CategoricalFocalCrossentropy, SparseCategoricalCrossentropy,
            MeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError,
            MeanSquaredLogarithmicError, CosineSimilarity, LogCosh, Huber, Hinge, SquaredHinge,
            CategoricalHinge, Dice, Tversky, Circle, CategoricalGeneralizedCrossEntropy, CTC]
_FN_TO_CLASS = dict(zip(_FUNCTIONS, _CLASSES))
#: the per-example loss functions (saved by name in Keras files)
LOSS_FUNCTIONS = tuple(_FUNCTIONS)
_FUNCTION_ALIASES = {fn.__name__: fn for fn in _FUNCTIONS}
_FUNCTION_ALIASES.update(mse=mse, mae=mae, mape=mape, msle=msle, kld=kld, bce=bce,
                         logcosh=log_cosh, kullback_leibler_divergence=kl_divergence)
_BY_NAME = {fn.__name__: cls for fn, cls in _FN_TO_CLASS.items()}
_BY_NAME.update({cls.__name__: cls for cls in _CLASSES})
_BY_NAME.update({"mse": MeanSquaredError, "mae": MeanAbsoluteError,
                 "mape": MeanAbsolutePercentageError, "msle": MeanSquaredLogarithmicError,
                 "kld": KLDivergence, "kullback_leibler_divergence": KLDivergence,
                 "bce": BinaryCrossentropy, "huber_loss": Huber, "logcosh": LogCosh})


def serialize(loss):
    """A Loss as Keras 3's config dict; a loss function as its name record.

    >>> serialize(Hinge())["class_name"], serialize(hinge)["config"]
    ('Hinge', 'hinge')
    """
    if isinstance(loss, Loss):
        return {"module": "keras.losses", "class_name": type(loss).__name__,
                "config": loss.get_config(), "registered_name": None}
    if callable(loss):
        return {"module": "builtins", "class_name": "function",
                "config": getattr(loss, "__name__", str(loss)), "registered_name": "function"}
    return loss


def deserialize(name, custom_objects=None):
    """A Loss (or loss function) from `serialize`'s dict, a class name or a function name.

    >>> type(deserialize({"class_name": "Poisson", "config": {"name": "p"}})).__name__
    'Poisson'
    >>> deserialize("msle") is mean_squared_logarithmic_error
    True
    """
    custom_objects = custom_objects or {}
    if isinstance(name, dict):
        cls_name, config = name.get("class_name"), name.get("config", {})
        if cls_name == "function":
            return deserialize(config, custom_objects)
        cls = custom_objects.get(cls_name) or _BY_NAME.get(cls_name)
        if cls is None:
            raise ValueError(f"Unknown loss class {cls_name!r}; pass it in custom_objects")
        return cls.from_config(config) if hasattr(cls, "from_config") else cls(**config)
    if isinstance(name, str):
        if name in custom_objects:
            return custom_objects[name]
        fn = _FUNCTION_ALIASES.get(name) or _FUNCTION_ALIASES.get(name.lower())
        if fn is not None:
            return fn
        if name in _BY_NAME:
            return _BY_NAME[name]()
        raise ValueError(f"Unknown loss function: {name!r}")
    return name


def get(identifier):
    """A `Loss` instance from a name ('mse'), a class name, a Loss, or a per-example function."""
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        return get(deserialize(identifier))
    if isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Loss):
        return identifier()
    if isinstance(identifier, str):
        for key in (identifier, identifier.lower(), snake_case(identifier)):
            if key in _BY_NAME:
                return _BY_NAME[key]()
        raise ValueError(f"Unknown loss function: {identifier!r}. Known: {sorted(_BY_NAME)}")
    if identifier in _FN_TO_CLASS:
        return _FN_TO_CLASS[identifier]()
    if callable(identifier):
        return LossFunctionWrapper(identifier, name=getattr(identifier, "__name__", "loss"))
    raise TypeError(f"Could not interpret loss identifier: {identifier!r}")
