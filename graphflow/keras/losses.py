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
import numpy as np

from .. import dtypes as _dt
from ..ops import math_ops as _m, nn_ops as _nn, shape_ops as _s
from ..tensor import Tensor, Variable, convert_to_tensor
from .activations import logits_of

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
        p = _m.clip_by_value(y_pred, EPSILON, 1.0 - EPSILON)
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
    p = _m.clip_by_value(p, EPSILON, 1.0 - EPSILON)
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
    if tuple(y_true.shape) != tuple(y_pred.shape[:-1]):
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
        p = _m.clip_by_value(p, EPSILON, 1.0 - EPSILON)
        y_true = _nn.check_labels(y_true, y_pred.shape[-1], "sparse_categorical_crossentropy")
        oh = _s.one_hot(y_true, y_pred.shape[-1], dtype=y_pred.dtype)
        loss = -_m.reduce_sum(oh * _m.log(p), -1)
    if valid is not None:
        loss = loss * _m.cast(valid, loss.dtype)
    return loss


def kl_divergence(y_true, y_pred):
    y_pred = prediction(y_pred)
    y_true = _m.clip_by_value(as_tensor(y_true, y_pred.dtype), EPSILON, 1.0)
    y_pred = _m.clip_by_value(y_pred, EPSILON, 1.0)
    return _m.reduce_sum(y_true * _m.log(y_true / y_pred), -1)


mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
kld = KLD = kullback_leibler_divergence = kl_divergence


# ------------------------------------------------------------------ reduction and classes
_REDUCTIONS = ("sum_over_batch_size", "sum", "none", "auto", None)


def reduce_weighted(losses, sample_weight=None, reduction="sum_over_batch_size"):
    """Apply sample weights, then reduce: 'sum_over_batch_size' (mean over all elements, the
    default), 'sum', or 'none' (per-example values)."""
    if reduction not in _REDUCTIONS:
        raise ValueError(f"invalid loss reduction {reduction!r}; use one of "
                         "'sum_over_batch_size', 'sum', 'none'")
    if sample_weight is not None:
        sw = as_tensor(sample_weight, losses.dtype)
        while sw.ndim > losses.ndim and sw.shape[-1] == 1:
            sw = _s.squeeze(sw, [-1])
        losses = losses * sw
    if reduction in ("none", None):
        return losses
    total = _m.reduce_sum(losses)
    if reduction == "sum":
        return total
    if None in losses.shape:   # unknown dims (a traced step serving every batch size)
        return total / _m.maximum(_s.size(losses, losses.dtype), 1.0)
    n = int(np.prod(tuple(losses.shape), dtype=np.int64))
    return total / float(max(n, 1))


class Loss:
    """Base class: subclasses implement `call(y_true, y_pred)` -> per-example losses."""

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        if reduction not in _REDUCTIONS:
            raise ValueError(f"invalid loss reduction {reduction!r}")
        self.name = name or snake_case(type(self).__name__)
        self.reduction = reduction

    def call(self, y_true, y_pred):
        raise NotImplementedError

    def __call__(self, y_true, y_pred, sample_weight=None):
        return reduce_weighted(self.call(y_true, y_pred), sample_weight, self.reduction)

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def snake_case(name):
    """`MeanSquaredError` -> `mean_squared_error` (Keras's default names)."""
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")


class LossFunctionWrapper(Loss):
    """A `Loss` from a per-example function and its keyword arguments."""

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, **kwargs):
        super().__init__(name or fn.__name__, reduction)
        self.fn, self._fn_kwargs = fn, kwargs

    def call(self, y_true, y_pred):
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self):
        return dict(super().get_config(), **self._fn_kwargs)


class MeanSquaredError(LossFunctionWrapper):
    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_error"):
        super().__init__(mean_squared_error, reduction, name)


class MeanAbsoluteError(LossFunctionWrapper):
    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_error"):
        super().__init__(mean_absolute_error, reduction, name)


class MeanAbsolutePercentageError(LossFunctionWrapper):
    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_percentage_error"):
        super().__init__(mean_absolute_percentage_error, reduction, name)


class Huber(LossFunctionWrapper):
    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name="huber_loss"):
        super().__init__(huber, reduction, name, delta=delta)


class KLDivergence(LossFunctionWrapper):
    def __init__(self, reduction="sum_over_batch_size", name="kl_divergence"):
        super().__init__(kl_divergence, reduction, name)


class BinaryCrossentropy(LossFunctionWrapper):
    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="binary_crossentropy"):
        super().__init__(binary_crossentropy, reduction, name, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)
        self.from_logits = from_logits


class CategoricalCrossentropy(LossFunctionWrapper):
    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="categorical_crossentropy"):
        super().__init__(categorical_crossentropy, reduction, name, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)
        self.from_logits = from_logits


class SparseCategoricalCrossentropy(LossFunctionWrapper):
    def __init__(self, from_logits=False, ignore_class=None, reduction="sum_over_batch_size",
                 name="sparse_categorical_crossentropy"):
        super().__init__(sparse_categorical_crossentropy, reduction, name,
                         from_logits=from_logits, ignore_class=ignore_class)
        self.from_logits = from_logits


_BY_NAME = {
    "mean_squared_error": MeanSquaredError, "mse": MeanSquaredError,
    "mean_absolute_error": MeanAbsoluteError, "mae": MeanAbsoluteError,
    "mean_absolute_percentage_error": MeanAbsolutePercentageError,
    "mape": MeanAbsolutePercentageError,
    "huber": Huber, "huber_loss": Huber, "kl_divergence": KLDivergence, "kld": KLDivergence,
    "binary_crossentropy": BinaryCrossentropy,
    "categorical_crossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
}
_FN_TO_CLASS = {mean_squared_error: MeanSquaredError, mean_absolute_error: MeanAbsoluteError,
                binary_crossentropy: BinaryCrossentropy,
                categorical_crossentropy: CategoricalCrossentropy,
                sparse_categorical_crossentropy: SparseCategoricalCrossentropy,
                kl_divergence: KLDivergence, huber: Huber}


def get(identifier):
    """A `Loss` instance from a name ('mse'), a class name, a Loss, or a per-example function."""
    if identifier is None:
        return None
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
