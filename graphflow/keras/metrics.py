"""Streaming metrics (`keras.metrics`): state lives in non-trainable Variables, so
`update_state` works both eagerly and inside a traced train step.

>>> from graphflow.keras import metrics
>>> m = metrics.SparseCategoricalAccuracy()
>>> m.update_state([1, 0], [[0.2, 0.8], [0.3, 0.7]])
>>> float(m.result())
0.5
>>> m.reset_state(); float(m.result())
0.0
"""
import warnings

import numpy as np

from .. import dtypes as _dt
from .. import state as _state
from ..ops import array_ops as _array_ops, math_ops as _m, shape_ops as _s
from ..tensor import Variable
from . import config as _config, initializers as _initializers, losses as _losses
from .losses import as_tensor, match_rank, prediction, snake_case


class Metric:
    """Base class: `update_state(...)`, `result()`, `reset_state()`; state in `variables`."""

    def __init__(self, name=None, dtype=None):
        self.name = name or snake_case(type(self).__name__)
        self.dtype = _dt.as_dtype(dtype or _dt.float32)
        self._variables = []

    def add_variable(self, shape=(), initializer="zeros", dtype=None, aggregation="sum",
                     name=None):
        """A non-trainable state variable (Keras 3's signature); `initializer` is a name, an
        initializer or a callable `(shape, dtype)`; reset_state restores its initial value."""
        dt = _dt.as_dtype(dtype or self.dtype)
        shape = tuple(int(d) for d in shape)
        if initializer in ("zeros", None):
            value = np.zeros(shape, dt.np)
        elif initializer == "ones":
            value = np.ones(shape, dt.np)
        else:
            out = _initializers.get(initializer)(shape, dtype=dt)
            value = np.asarray(out.numpy() if hasattr(out, "numpy") else out, dt.np)
        v = Variable(value, trainable=False, name=f"{self.name}/{name}")
        v._keras_initial = value.copy()
        self._variables.append(v)
        return v

    def add_weight(self, name=None, shape=(), initializer="zeros", dtype=None, **_):
        return self.add_variable(shape, initializer, dtype, name=name)

    @property
    def variables(self):
        return list(self._variables)

    weights = variables

    def update_state(self, *args, **kwargs):
        raise NotImplementedError

    def result(self):
        raise NotImplementedError

    def reset_state(self):
        for v in self._variables:
            v.assign(v._keras_initial)

    reset_states = reset_state

    def __call__(self, *args, **kwargs):
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"


def _divide_no_nan(a, b):
    safe = _m.where(_m.equal(b, 0.0), _m.ones_like(b), b)
    return _m.where(_m.equal(b, 0.0), _m.zeros_like(a), a / safe)


class Reduce(Metric):
    """Running sum (and count, for the mean) of values, with optional sample weights."""

    _mean = True

    def __init__(self, name=None, dtype=None):
        super().__init__(name, dtype)
        self.total = self.add_variable(name="total")
        if self._mean:
            self.count = self.add_variable(name="count")

    def update_state(self, values, sample_weight=None):
        values = as_tensor(values)
        if values.dtype != self.dtype:
            values = _m.cast(values, self.dtype)
        if sample_weight is None:
            total = _m.reduce_sum(values)
            count = _s.size(values, _dt.float32) if None in values.shape else \
                float(np.prod(tuple(values.shape), dtype=np.int64))   # unknown dims: run time
        else:   # as Keras: reduce values to the weights' rank, then a weighted sum
            sw = as_tensor(sample_weight, self.dtype)
            sw = match_rank(sw, values) if sw.ndim > values.ndim else sw
            if sw.ndim > values.ndim:
                raise ValueError(f"{self.name}: sample_weight of shape {sw.shape} does not fit "
                                 f"values of shape {values.shape}")
            if values.ndim > sw.ndim:
                values = _m.reduce_mean(values, list(range(sw.ndim, values.ndim)))
            sw = _s.broadcast_to(sw, tuple(values.shape))
            total = _m.reduce_sum(values * sw)
            count = _m.reduce_sum(sw)
        self.total.assign_add(total)
        if self._mean:
            self.count.assign_add(count)

    def result(self):
        if not self._mean:
            return _m.identity(self.total)
        return _divide_no_nan(self.total.read_value(), self.count.read_value())


class Mean(Reduce):
    """The (weighted) mean of all values seen."""


class Sum(Reduce):
    """The (weighted) sum of all values seen."""

    _mean = False


class MeanMetricWrapper(Mean):
    """Mean of `fn(y_true, y_pred, **kwargs)` over all examples seen."""

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        super().__init__(name or fn.__name__, dtype)
        self._fn, self._fn_kwargs = fn, kwargs

    def update_state(self, y_true, y_pred, sample_weight=None):
        super().update_state(self._fn(y_true, y_pred, **self._fn_kwargs), sample_weight)

    def get_config(self):
        return dict(super().get_config(), **self._fn_kwargs)


# ------------------------------------------------------------------ per-example functions
def accuracy(y_true, y_pred):
    """1.0 where y_pred equals y_true exactly."""
    y_pred = as_tensor(y_pred)
    y_true = match_rank(as_tensor(y_true, y_pred.dtype), y_pred)
    return _m.cast(_m.equal(y_true, y_pred), _dt.float32)


def binary_accuracy(y_true, y_pred, threshold=0.5):
    y_pred = prediction(y_pred)
    y_true = match_rank(as_tensor(y_true, y_pred.dtype), y_pred)
    hit = _m.equal(y_true, _m.cast(_m.greater(y_pred, threshold), y_pred.dtype))
    return _m.reduce_mean(_m.cast(hit, _dt.float32), -1)


def categorical_accuracy(y_true, y_pred):
    y_pred = prediction(y_pred)
    y_true = as_tensor(y_true)
    return _m.cast(_m.equal(_m.argmax(y_true, -1), _m.argmax(y_pred, -1)), _dt.float32)


def sparse_categorical_accuracy(y_true, y_pred):
    y_pred = prediction(y_pred)
    y_true = as_tensor(y_true)
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = _s.squeeze(y_true, [-1])
    if y_true.dtype.is_floating:
        y_true = _m.cast(y_true, _dt.int64)
    elif y_true.dtype != _dt.int64:
        y_true = _m.cast(y_true, _dt.int64)
    return _m.cast(_m.equal(y_true, _m.argmax(y_pred, -1)), _dt.float32)


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1.0 where the true class (one-hot y_true) is among the k largest predictions."""
    y_pred = prediction(y_pred)
    y_true = as_tensor(y_true, y_pred.dtype)
    true_score = _m.reduce_sum(y_true * y_pred, -1, keepdims=True)
    rank = _m.reduce_sum(_m.cast(_m.greater(y_pred, true_score), _dt.float32), -1)
    return _m.cast(_m.less(rank, float(k)), _dt.float32)


class Accuracy(MeanMetricWrapper):
    def __init__(self, name="accuracy", dtype=None):
        super().__init__(accuracy, name, dtype)


class BinaryAccuracy(MeanMetricWrapper):
    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        super().__init__(binary_accuracy, name, dtype, threshold=threshold)


class CategoricalAccuracy(MeanMetricWrapper):
    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(categorical_accuracy, name, dtype)


class SparseCategoricalAccuracy(MeanMetricWrapper):
    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(sparse_categorical_accuracy, name, dtype)


class TopKCategoricalAccuracy(MeanMetricWrapper):
    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        super().__init__(top_k_categorical_accuracy, name, dtype, k=k)


class MeanSquaredError(MeanMetricWrapper):
    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(_losses.mean_squared_error, name, dtype)


class MeanAbsoluteError(MeanMetricWrapper):
    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(_losses.mean_absolute_error, name, dtype)


class MeanAbsolutePercentageError(MeanMetricWrapper):
    def __init__(self, name="mean_absolute_percentage_error", dtype=None):
        super().__init__(_losses.mean_absolute_percentage_error, name, dtype)


class RootMeanSquaredError(Mean):
    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name, dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = prediction(y_pred)
        y_true = match_rank(as_tensor(y_true, y_pred.dtype), y_pred)
        super().update_state(_m.square(y_pred - y_true), sample_weight)

    def result(self):
        return _m.sqrt(super().result())


class BinaryCrossentropy(MeanMetricWrapper):
    def __init__(self, name="binary_crossentropy", dtype=None, from_logits=False,
                 label_smoothing=0.0):
        super().__init__(_losses.binary_crossentropy, name, dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing)


class CategoricalCrossentropy(MeanMetricWrapper):
    def __init__(self, name="categorical_crossentropy", dtype=None, from_logits=False,
                 label_smoothing=0.0):
        super().__init__(_losses.categorical_crossentropy, name, dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing)


class SparseCategoricalCrossentropy(MeanMetricWrapper):
    def __init__(self, name="sparse_categorical_crossentropy", dtype=None, from_logits=False):
        super().__init__(_losses.sparse_categorical_crossentropy, name, dtype,
                         from_logits=from_logits)


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5, from_sorted_ids=False):
    """1.0 where the integer label is among the k largest predictions (ties count as in, as
    TF's in_top_k); with from_sorted_ids=True y_pred holds class ids, best first.

    >>> [float(v) for v in sparse_top_k_categorical_accuracy([2, 1], [[0.1, 0.5, 0.4],
    ...                                                              [0.5, 0.2, 0.3]], k=2)]
    [1.0, 0.0]
    """
    y_pred = as_tensor(y_pred)
    y_true = as_tensor(y_true)
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = _s.squeeze(y_true, [-1])
    if from_sorted_ids:
        top = y_pred[..., :k]
        hit = _m.reduce_any(_m.equal(_s.expand_dims(_m.cast(y_true, top.dtype), -1), top), -1)
        return _m.cast(hit, _dt.float32)
    y_pred = prediction(y_pred)
    oh = _s.one_hot(_m.cast(y_true, _dt.int64), y_pred.shape[-1], dtype=y_pred.dtype)
    true_score = _m.reduce_sum(oh * y_pred, -1, keepdims=True)
    rank = _m.reduce_sum(_m.cast(_m.greater(y_pred, true_score), _dt.float32), -1)
    return _m.cast(_m.less(rank, float(k)), _dt.float32)


def cosine_similarity(y_true, y_pred, axis=-1):
    """sum(l2_normalize(y_true) * l2_normalize(y_pred), axis) (the metric's sign: 1 = same
    direction)."""
    return -_losses.cosine_similarity(y_true, y_pred, axis)


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None,
                 from_sorted_ids=False):
        super().__init__(sparse_top_k_categorical_accuracy, name, dtype, k=k)
        if from_sorted_ids:
            self._fn_kwargs["from_sorted_ids"] = True


def _wrapper_metric(class_name, fn, default_name, doc, **options):
    """A MeanMetricWrapper subclass `(name=default_name, dtype=None, **options)`."""
    def __init__(self, name=default_name, dtype=None, **kwargs):
        unknown = set(kwargs) - set(options)
        if unknown:
            raise TypeError(f"{class_name}: unexpected arguments {sorted(unknown)}")
        MeanMetricWrapper.__init__(self, fn, name, dtype, **dict(options, **kwargs))
    __init__.__signature__ = _losses.keyword_signature({"name": default_name, "dtype": None},
                                                       **options)
    return type(class_name, (MeanMetricWrapper,), {"__init__": __init__, "__doc__": doc,
                                                   "__module__": __name__})


MeanSquaredLogarithmicError = _wrapper_metric(
    "MeanSquaredLogarithmicError", _losses.mean_squared_logarithmic_error,
    "mean_squared_logarithmic_error", "Mean of the squared log(1 + x) errors.")
KLDivergence = _wrapper_metric("KLDivergence", _losses.kl_divergence, "kl_divergence",
                               "Mean Kullback-Leibler divergence per example.")
Poisson = _wrapper_metric("Poisson", _losses.poisson, "poisson", "Mean Poisson loss.")
Hinge = _wrapper_metric("Hinge", _losses.hinge, "hinge", "Mean hinge loss.")
SquaredHinge = _wrapper_metric("SquaredHinge", _losses.squared_hinge, "squared_hinge",
                               "Mean squared hinge loss.")
CategoricalHinge = _wrapper_metric("CategoricalHinge", _losses.categorical_hinge,
                                   "categorical_hinge", "Mean categorical hinge loss.")
LogCoshError = _wrapper_metric("LogCoshError", _losses.log_cosh, "logcosh",
                               "Mean log(cosh(error)).")
CosineSimilarity = _wrapper_metric(
    "CosineSimilarity", cosine_similarity, "cosine_similarity",
    """Mean cosine similarity along `axis` (1 = same direction).

    >>> m = CosineSimilarity(axis=1)
    >>> m.update_state([[0., 1.], [1., 1.]], [[1., 0.], [1., 1.]]); round(float(m.result()), 4)
    0.5
    """, axis=-1)



def pearson_correlation(y_true, y_pred, axis=-1):
    """Pearson correlation of `y_true` and `y_pred` along `axis` (Keras 3's
    `keras.metrics.pearson_correlation`): the mean product of the standardized values.

    >>> [round(float(v), 4) for v in pearson_correlation([[0, 1, 0.5], [1, 1, 0.2]],
    ...                                                  [[0.1, 0.9, 0.5], [1, 0.9, 0.2]])]
    [1.0, 0.9934]
    """
    y_pred = prediction(y_pred)
    y_true = match_rank(as_tensor(y_true, y_pred.dtype), y_pred)
    t = y_true - _m.reduce_mean(y_true, axis, keepdims=True)
    p = y_pred - _m.reduce_mean(y_pred, axis, keepdims=True)
    t = t / _m.reduce_std(t, axis, keepdims=True)
    p = p / _m.reduce_std(p, axis, keepdims=True)
    return _m.reduce_mean(t * p, axis)


def concordance_correlation(y_true, y_pred, axis=-1):
    """Lin's concordance correlation along `axis` as Keras 3 computes it
    (`keras.metrics.concordance_correlation`): mean(2 (y_true - mean(y_pred))
    (y_pred - mean(y_pred))) / (var(y_true) + var(y_pred) + (mean(y_true) - mean(y_pred))^2
    + epsilon). Keras centres y_true on the mean of y_pred in the numerator (Lin's formula
    uses mean(y_true)); graphflow keeps Keras' numbers.

    >>> [round(float(v), 4) for v in concordance_correlation([[0, 1, 0.5], [1, 1, 0.2]],
    ...                                                      [[0.1, 0.9, 0.5], [1, 0.9, 0.2]])]
    [0.9756, 0.9877]
    """
    y_pred = prediction(y_pred)
    y_true = match_rank(as_tensor(y_true, y_pred.dtype), y_pred)
    t_mean = _m.reduce_mean(y_true, axis, keepdims=True)
    p_mean = _m.reduce_mean(y_pred, axis, keepdims=True)
    var = _m.reduce_variance(y_true, axis, keepdims=True) + \
        _m.reduce_variance(y_pred, axis, keepdims=True)
    covar = (y_true - p_mean) * (y_pred - p_mean)
    norm = var + _m.square(t_mean - p_mean) + _config.epsilon()
    return _m.reduce_mean(2.0 * covar / norm, axis)


PearsonCorrelation = _wrapper_metric(
    "PearsonCorrelation", pearson_correlation, "pearson_correlation",
    """Mean Pearson correlation per example along `axis` (Keras 3's
    `keras.metrics.PearsonCorrelation`).

    >>> m = PearsonCorrelation()
    >>> m.update_state([[0, 1, 0.5], [1, 1, 0.2]], [[0.1, 0.9, 0.5], [1, 0.9, 0.2]])
    >>> round(float(m.result()), 4)
    0.9967
    """, axis=-1)
ConcordanceCorrelation = _wrapper_metric(
    "ConcordanceCorrelation", concordance_correlation, "concordance_correlation",
    """Mean concordance correlation per example along `axis` (Keras 3's
    `keras.metrics.ConcordanceCorrelation`, see `concordance_correlation`).

    >>> m = ConcordanceCorrelation()
    >>> m.update_state([[0, 1, 0.5], [1, 1, 0.2]], [[0.1, 0.9, 0.5], [1, 0.9, 0.2]])
    >>> round(float(m.result()), 4)
    0.9816
    """, axis=-1)


# ------------------------------------------------------------------ confusion-matrix metrics
NEG_INF = -1e10


def _thresholds(thresholds, default):
    """Keras' parse_init_thresholds: a float or a list of floats in [0, 1]."""
    if thresholds is None:
        return [float(default)]
    out = [float(t) for t in (thresholds if isinstance(thresholds, (list, tuple, np.ndarray))
                              else [thresholds])]
    for t in out:
        if not 0.0 <= t <= 1.0 and t != NEG_INF:
            raise ValueError(f"thresholds must be in [0, 1], got {t}")
    return out


def confusion_counts(y_true, y_pred, thresholds, top_k=None, class_id=None, sample_weight=None,
                     multi_label=False, label_weights=None):
    """Weighted true/false positive/negative counts at each threshold (Keras'
    update_confusion_matrix_variables): a prediction is positive where it is > the threshold,
    a label where it is true (nonzero). Returns {"tp", "fp", "tn", "fn"} of shape (T,), or
    (T, labels) with multi_label=True (counts per label, over the batch).

    >>> c = confusion_counts([0, 1, 1], [0.3, 0.6, 0.2], [0.25, 0.5])
    >>> c["tp"].numpy(), c["fp"].numpy()
    (array([1., 1.], dtype=float32), array([1., 0.], dtype=float32))
    """
    y_pred = prediction(y_pred)
    y_true = match_rank(as_tensor(y_true, y_pred.dtype), y_pred)
    if y_true.dtype != y_pred.dtype:
        y_true = _m.cast(y_true, y_pred.dtype)
    w = None
    if sample_weight is not None:
        w = as_tensor(sample_weight, y_pred.dtype)
        while w.ndim < y_pred.ndim:
            w = _s.expand_dims(w, -1)
        while w.ndim > y_pred.ndim and w.shape[-1] == 1:
            w = _s.squeeze(w, [-1])
        w = w * _m.ones_like(y_pred)   # broadcast to the predictions' shape
    if top_k is not None:
        _, idx = _array_ops.top_k(y_pred, k=int(top_k))
        mask = _m.reduce_sum(_s.one_hot(idx, y_pred.shape[-1], dtype=y_pred.dtype), -2)
        y_pred = y_pred * mask + NEG_INF * (1.0 - mask)
    if class_id is not None:
        if y_pred.ndim < 2:
            raise ValueError(f"class_id={class_id} needs predictions of shape (batch, classes), "
                             f"got {tuple(y_pred.shape)}")
        y_true, y_pred = y_true[..., class_id:class_id + 1], y_pred[..., class_id:class_id + 1]
        if w is not None:
            w = w[..., class_id:class_id + 1]
    if label_weights is not None and not multi_label:
        lw = as_tensor(label_weights, y_pred.dtype) * _m.ones_like(y_pred)
        w = lw if w is None else w * lw
    thr = as_tensor(np.asarray(thresholds, dtype=y_pred.dtype.np))
    if multi_label:   # (T, N, L): counts per label
        pred = _m.greater(_s.expand_dims(y_pred, 0), _s.reshape(thr, [-1, 1, 1]))
        label = _m.greater(_s.expand_dims(_m.abs(y_true), 0), 0.0)
        w = None if w is None else _s.expand_dims(w, 0)
    else:             # (T, P): every prediction of the batch
        pred = _m.greater(_s.reshape(y_pred, [1, -1]), _s.reshape(thr, [-1, 1]))
        label = _m.greater(_s.reshape(_m.abs(y_true), [1, -1]), 0.0)
        w = None if w is None else _s.reshape(w, [1, -1])
    pos, neg = _m.cast(pred, y_pred.dtype), 1.0 - _m.cast(pred, y_pred.dtype)
    lab, nlab = _m.cast(label, y_pred.dtype), 1.0 - _m.cast(label, y_pred.dtype)
    if w is not None:
        lab, nlab = lab * w, nlab * w
    return {"tp": _m.reduce_sum(lab * pos, 1), "fp": _m.reduce_sum(nlab * pos, 1),
            "tn": _m.reduce_sum(nlab * neg, 1), "fn": _m.reduce_sum(lab * neg, 1)}


class _Counts(Metric):
    """Confusion counts at thresholds, in variables named by Keras (true_positives, ...)."""

    _counts = ("tp", "fp", "tn", "fn")
    _VAR = {"tp": "true_positives", "fp": "false_positives", "tn": "true_negatives",
            "fn": "false_negatives"}

    def _add_counts(self, shape):
        for c in self._counts:
            setattr(self, self._VAR[c], self.add_variable(shape, name=self._VAR[c]))

    def _update_counts(self, y_true, y_pred, sample_weight=None, **kw):
        counts = confusion_counts(y_true, y_pred, self.thresholds, sample_weight=sample_weight,
                                  **kw)
        for c in self._counts:
            getattr(self, self._VAR[c]).assign_add(_m.cast(counts[c], self.dtype))

    def _value(self, c):
        return getattr(self, self._VAR[c]).read_value()


class _ConditionCount(_Counts):
    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(name, dtype)
        self.init_thresholds = thresholds
        self.thresholds = _thresholds(thresholds, 0.5)
        self.accumulator = self.add_variable((len(self.thresholds),), name="accumulator")

    def update_state(self, y_true, y_pred, sample_weight=None):
        counts = confusion_counts(y_true, y_pred, self.thresholds, sample_weight=sample_weight)
        self.accumulator.assign_add(_m.cast(counts[self._count], self.dtype))

    def result(self):
        acc = self.accumulator.read_value()
        return acc[0] if len(self.thresholds) == 1 else acc

    def get_config(self):
        return dict(super().get_config(), thresholds=self.init_thresholds)


class TruePositives(_ConditionCount):
    """The (weighted) number of true positives at each threshold.

    >>> m = TruePositives(); m.update_state([0, 1, 1, 1], [1, 0, 1, 1]); float(m.result())
    2.0
    """
    _count = "tp"


class FalsePositives(_ConditionCount):
    """The (weighted) number of false positives at each threshold."""
    _count = "fp"


class TrueNegatives(_ConditionCount):
    """The (weighted) number of true negatives at each threshold."""
    _count = "tn"


class FalseNegatives(_ConditionCount):
    """The (weighted) number of false negatives at each threshold."""
    _count = "fn"


class _PrecisionRecall(_Counts):
    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(name, dtype)
        self.init_thresholds, self.top_k, self.class_id = thresholds, top_k, class_id
        self.thresholds = _thresholds(thresholds, 0.5 if top_k is None else NEG_INF)
        self._add_counts((len(self.thresholds),))

    def update_state(self, y_true, y_pred, sample_weight=None):
        self._update_counts(y_true, y_pred, sample_weight, top_k=self.top_k,
                            class_id=self.class_id)

    def result(self):
        tp = self._value("tp")
        r = _divide_no_nan(tp, tp + self._value(self._other))
        return r[0] if len(self.thresholds) == 1 else r

    def get_config(self):
        return dict(super().get_config(), thresholds=self.init_thresholds, top_k=self.top_k,
                    class_id=self.class_id)


class Precision(_PrecisionRecall):
    """tp / (tp + fp); thresholds (one or a list), top_k, class_id as Keras.

    >>> m = Precision(top_k=1)
    >>> m.update_state([[0, 0, 1, 1]], [[1, 1, 0.5, 0]]); float(m.result())
    0.0
    """
    _counts, _other = ("tp", "fp"), "fp"


class Recall(_PrecisionRecall):
    """tp / (tp + fn); thresholds (one or a list), top_k, class_id as Keras.

    >>> m = Recall(thresholds=[0.5, 0.0])
    >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1]); m.result().numpy().round(4)
    array([0.6667, 0.6667], dtype=float32)
    """
    _counts, _other = ("tp", "fn"), "fn"


class _AtConstraint(_Counts):
    """Sensitivity/specificity/precision/recall at `num_thresholds` evenly spaced thresholds;
    the result is the best `dependent` value where `constrained` >= the given value."""

    def __init__(self, value, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(name, dtype)
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"{type(self).__name__}: `{self._constrained}` must be in the range "
                             f"[0, 1], got {value}")
        setattr(self, self._constrained, value)   # Keras' attribute (m.specificity, ...)
        if num_thresholds <= 0:
            raise ValueError(f"num_thresholds must be an integer > 0, got {num_thresholds}")
        self.value, self.num_thresholds, self.class_id = float(value), num_thresholds, class_id
        if num_thresholds == 1:
            self.thresholds = [0.5]
        else:
            self.thresholds = [0.0] + [(i + 1) / (num_thresholds - 1)
                                       for i in range(num_thresholds - 2)] + [1.0]
        self._add_counts((len(self.thresholds),))

    def update_state(self, y_true, y_pred, sample_weight=None):
        self._update_counts(y_true, y_pred, sample_weight, class_id=self.class_id)

    def _rates(self):
        tp, fp, tn, fn = (self._value(c) for c in ("tp", "fp", "tn", "fn"))
        return {"sensitivity": _divide_no_nan(tp, tp + fn), "recall": _divide_no_nan(tp, tp + fn),
                "specificity": _divide_no_nan(tn, tn + fp),
                "precision": _divide_no_nan(tp, tp + fp)}

    def result(self):
        r = self._rates()
        feasible = _m.greater_equal(r[self._constrained], self.value)
        best = _m.reduce_max(_m.where(feasible, r[self._dependent],
                                      _m.zeros_like(r[self._dependent])))
        return _m.maximum(best, 0.0)

    def get_config(self):
        return dict(super().get_config(), num_thresholds=self.num_thresholds,
                    class_id=self.class_id, **{self._constrained: self.value})


class SensitivityAtSpecificity(_AtConstraint):
    """The best sensitivity where the specificity is >= `specificity`.

    >>> m = SensitivityAtSpecificity(0.5)
    >>> m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8]); float(m.result())
    0.5
    """
    _dependent, _constrained = "sensitivity", "specificity"

    def __init__(self, specificity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(specificity, num_thresholds, class_id, name, dtype)


class SpecificityAtSensitivity(_AtConstraint):
    """The best specificity where the sensitivity is >= `sensitivity`."""
    _dependent, _constrained = "specificity", "sensitivity"

    def __init__(self, sensitivity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(sensitivity, num_thresholds, class_id, name, dtype)


class PrecisionAtRecall(_AtConstraint):
    """The best precision where the recall is >= `recall`."""
    _dependent, _constrained = "precision", "recall"

    def __init__(self, recall, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(recall, num_thresholds, class_id, name, dtype)


class RecallAtPrecision(_AtConstraint):
    """The best recall where the precision is >= `precision`."""
    _dependent, _constrained = "recall", "precision"

    def __init__(self, precision, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(precision, num_thresholds, class_id, name, dtype)


class AUC(_Counts):
    """Area under the ROC or PR curve from confusion counts at `num_thresholds` thresholds
    (Keras' AUC: Riemann sums with 'interpolation' / 'minoring' / 'majoring', and the
    interpolated PR-AUC of Davis & Goadrich); multi_label averages per-label AUCs.

    >>> m = AUC(num_thresholds=3)
    >>> m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9]); float(m.result())
    0.75
    """

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation",
                 name=None, dtype=None, thresholds=None, multi_label=False, num_labels=None,
                 label_weights=None, from_logits=False):
        super().__init__(name, dtype)
        curve = curve.upper() if isinstance(curve, str) else curve
        if curve not in ("ROC", "PR", "PRGAIN"):
            raise ValueError(f"AUC: invalid curve {curve!r}; expected 'ROC', 'PR' or 'PRGAIN'")
        summation_method = summation_method.lower()
        if summation_method not in ("interpolation", "minoring", "majoring"):
            raise ValueError(f"AUC: invalid summation_method {summation_method!r}")
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            thresholds = sorted(float(t) for t in thresholds)
            self.num_thresholds = len(thresholds) + 2
        else:
            if num_thresholds <= 1:
                raise ValueError(f"AUC: num_thresholds must be > 1, got {num_thresholds}")
            self.num_thresholds = int(num_thresholds)
            thresholds = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
        self._thresholds = [0.0 - _config.epsilon()] + thresholds + [1.0 + _config.epsilon()]
        self.curve, self.summation_method = curve, summation_method
        self.multi_label, self.num_labels = bool(multi_label), num_labels
        self.label_weights = None if label_weights is None else \
            np.asarray(label_weights, self.dtype.np)
        self._from_logits = from_logits
        self._built = False
        if not self.multi_label:
            if num_labels:
                raise ValueError("AUC: `num_labels` is needed only when `multi_label` is True")
            self._build(None)
        elif num_labels:
            self._build((None, num_labels))

    @property
    def thresholds(self):
        return list(self._thresholds)

    def _build(self, shape):
        if self.multi_label:
            if len(shape) != 2:
                raise ValueError(f"AUC(multi_label=True): predictions must have rank 2, got "
                                 f"shape {tuple(shape)}")
            self._num_labels = int(shape[1])
            self._add_counts((self.num_thresholds, self._num_labels))
        else:
            self._add_counts((self.num_thresholds,))
        self._built = True

    def build_for_shapes(self, y_true_shape, y_pred_shape):
        """Create the (per-label) count variables for predictions of `y_pred_shape` now."""
        if not self._built:
            self._build(y_pred_shape)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = prediction(y_pred)
        if not self._built:
            self._build(tuple(y_pred.shape))
        if self._from_logits:
            y_pred = _m.sigmoid(y_pred)
        self._update_counts(y_true, y_pred, sample_weight, multi_label=self.multi_label,
                            label_weights=None if self.multi_label else self.label_weights)

    def _by_label(self, terms):
        if not self.multi_label:
            return _m.reduce_sum(terms)
        per = _m.reduce_sum(terms, 0)
        if self.label_weights is None:
            return _m.reduce_mean(per)
        lw = as_tensor(self.label_weights)
        return _divide_no_nan(_m.reduce_sum(per * lw), _m.reduce_sum(lw))

    def _interpolate_pr_auc(self):
        tp, fp, fn = self._value("tp"), self._value("fp"), self._value("fn")
        n = self.num_thresholds
        dtp = tp[:n - 1] - tp[1:]
        p = tp + fp
        dp = p[:n - 1] - p[1:]
        slope = _divide_no_nan(dtp, _m.maximum(dp, 0.0))
        intercept = tp[1:] - slope * p[1:]
        both = _m.logical_and(_m.greater(p[:n - 1], 0.0), _m.greater(p[1:], 0.0))
        ratio = _m.where(both, _divide_no_nan(p[:n - 1], _m.maximum(p[1:], 0.0)),
                         _m.ones_like(p[1:]))
        inc = _divide_no_nan(slope * (dtp + intercept * _m.log(ratio)),
                             _m.maximum(tp[1:] + fn[1:], 0.0))
        return self._by_label(inc)

    def result(self):
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self._interpolate_pr_auc()
        tp, fp, tn, fn = (self._value(c) for c in ("tp", "fp", "tn", "fn"))
        recall = _divide_no_nan(tp, tp + fn)
        if self.curve == "ROC":
            x, y = _divide_no_nan(fp, fp + tn), recall
        elif self.curve == "PR":
            x, y = recall, _divide_no_nan(tp, tp + fp)
        else:   # PRGAIN
            scale = _divide_no_nan(tp + fn, tn + fp)
            zero = _m.equal(tp, 0.0)
            x = _m.maximum(_m.where(zero, _m.zeros_like(tp),
                                    1.0 - scale * _divide_no_nan(fn, tp)), 0.0)
            y = _m.where(zero, _m.ones_like(tp), 1.0 - scale * _divide_no_nan(fp, tp))
        n = self.num_thresholds
        if self.summation_method == "interpolation":
            heights = (y[:n - 1] + y[1:]) / 2.0
        elif self.summation_method == "minoring":
            heights = _m.minimum(y[:n - 1], y[1:])
        else:
            heights = _m.maximum(y[:n - 1], y[1:])
        return self._by_label((x[:n - 1] - x[1:]) * heights)

    def reset_state(self):
        if self._built:
            super().reset_state()

    def get_config(self):
        cfg = dict(super().get_config(), num_thresholds=self.num_thresholds, curve=self.curve,
                   summation_method=self.summation_method, multi_label=self.multi_label,
                   num_labels=self.num_labels,
                   label_weights=None if self.label_weights is None
                   else self.label_weights.tolist(), from_logits=self._from_logits)
        if self._init_from_thresholds:
            cfg["thresholds"] = self._thresholds[1:-1]
        return cfg


class FBetaScore(Metric):
    """F-beta score (per class, or averaged: 'micro', 'macro', 'weighted') of multi-label /
    one-hot predictions; without `threshold` the largest prediction of each row is the
    positive one (Keras' FBetaScore).

    >>> m = F1Score(average="micro", threshold=0.5)
    >>> m.update_state([[1, 0], [1, 1]], [[0.7, 0.2], [0.4, 0.9]]); round(float(m.result()), 4)
    0.8
    """

    def __init__(self, average=None, beta=1.0, threshold=None, name="fbeta_score", dtype=None):
        super().__init__(name, dtype)
        if average not in (None, "micro", "macro", "weighted"):
            raise ValueError(f"FBetaScore: invalid average {average!r}; expected None, 'micro', "
                             "'macro' or 'weighted'")
        if not isinstance(beta, float) or beta <= 0.0:
            raise ValueError(f"FBetaScore: beta must be a Python float > 0, got {beta!r}")
        if threshold is not None and (not isinstance(threshold, float)
                                      or not 0.0 < threshold <= 1.0):
            raise ValueError(f"FBetaScore: threshold must be a float in (0, 1], got "
                             f"{threshold!r}")
        self.average, self.beta, self.threshold = average, beta, threshold
        self.axis = None if average == "micro" else 0
        self._built = False

    def build_for_shapes(self, y_true_shape, y_pred_shape):
        """Create the count variables for predictions of shape (batch, classes)."""
        if self._built:
            return
        if len(y_pred_shape) != 2 or (y_true_shape is not None and len(y_true_shape) != 2):
            raise ValueError(f"{type(self).__name__} expects 2D inputs (batch_size, output_dim); "
                             f"got y_true.shape={y_true_shape}, y_pred.shape={y_pred_shape}")
        if y_pred_shape[-1] is None:
            raise ValueError(f"{type(self).__name__}: the last dim of y_pred must be known")
        shape = () if self.average == "micro" else (int(y_pred_shape[-1]),)
        for n in ("true_positives", "false_positives", "false_negatives",
                  "intermediate_weights"):
            setattr(self, n, self.add_variable(shape, name=n))
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = as_tensor(y_pred, self.dtype)
        y_true = as_tensor(y_true, self.dtype)
        self.build_for_shapes(tuple(y_true.shape), tuple(y_pred.shape))
        if self.threshold is None:
            top = _m.reduce_max(y_pred, -1, keepdims=True)
            pred = _m.logical_and(_m.greater_equal(y_pred, top), _m.greater(_m.abs(y_pred), 1e-9))
        else:
            pred = _m.greater(y_pred, self.threshold)
        pred = _m.cast(pred, self.dtype)
        sw = None if sample_weight is None else \
            _s.expand_dims(as_tensor(sample_weight, self.dtype), 1)

        def wsum(v):
            return _m.reduce_sum(v if sw is None else v * sw, self.axis)
        self.true_positives.assign_add(wsum(pred * y_true))
        self.false_positives.assign_add(wsum(pred * (1.0 - y_true)))
        self.false_negatives.assign_add(wsum((1.0 - pred) * y_true))
        self.intermediate_weights.assign_add(wsum(y_true))

    def result(self):
        if not self._built:
            return as_tensor(0.0)
        eps = _config.epsilon()
        tp = self.true_positives.read_value()
        precision = tp / (tp + self.false_positives.read_value() + eps)
        recall = tp / (tp + self.false_negatives.read_value() + eps)
        b2 = self.beta ** 2
        f = precision * recall / (b2 * precision + recall + eps) * (1.0 + b2)
        if self.average == "weighted":
            w = self.intermediate_weights.read_value()
            return _m.reduce_sum(f * (w / (_m.reduce_sum(w) + eps)))
        if self.average is not None:
            return _m.reduce_mean(f)
        return f

    def reset_state(self):
        if self._built:
            super().reset_state()

    def get_config(self):
        return dict(super().get_config(), average=self.average, beta=self.beta,
                    threshold=self.threshold)


class F1Score(FBetaScore):
    """FBetaScore with beta = 1."""

    def __init__(self, average=None, threshold=None, name="f1_score", dtype=None):
        super().__init__(average, 1.0, threshold, name, dtype)

    def get_config(self):
        cfg = super().get_config()
        del cfg["beta"]
        return cfg


class R2Score(Metric):
    """Coefficient of determination 1 - SS_res / SS_tot per output column, aggregated
    ('uniform_average', 'variance_weighted_average' or None); `num_regressors` > 0 gives the
    adjusted R^2 (Keras' R2Score).

    >>> m = R2Score()
    >>> m.update_state([[1.], [4.], [3.]], [[2.], [4.], [4.]]); round(float(m.result()), 4)
    0.5714
    """

    def __init__(self, class_aggregation="uniform_average", num_regressors=0, name="r2_score",
                 dtype=None):
        super().__init__(name, dtype)
        if class_aggregation not in (None, "uniform_average", "variance_weighted_average"):
            raise ValueError(f"R2Score: invalid class_aggregation {class_aggregation!r}")
        if num_regressors < 0:
            raise ValueError(f"R2Score: num_regressors must be >= 0, got {num_regressors}")
        self.class_aggregation, self.num_regressors = class_aggregation, num_regressors
        self.num_samples = self.add_variable(name="num_samples")
        self._built = False

    def build_for_shapes(self, y_true_shape, y_pred_shape):
        """Create the per-column sums for predictions of shape (batch, outputs)."""
        if self._built:
            return
        if len(y_pred_shape) != 2 or y_pred_shape[-1] is None:
            raise ValueError(f"R2Score expects 2D inputs (batch_size, output_dim) with a known "
                             f"output_dim; got y_pred.shape={y_pred_shape}")
        k = int(y_pred_shape[-1])
        for n in ("squared_sum", "sum", "total_mse", "count"):
            setattr(self, n, self.add_variable((k,), name=n))
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = as_tensor(y_pred, self.dtype)
        y_true = match_rank(as_tensor(y_true, self.dtype), y_pred)
        self.build_for_shapes(tuple(y_true.shape), tuple(y_pred.shape))
        sw = _m.ones_like(y_true)
        if sample_weight is not None:
            w = as_tensor(sample_weight, self.dtype)
            sw = (_s.expand_dims(w, 1) if w.ndim == 1 else w) * sw
        wy = y_true * sw
        self.sum.assign_add(_m.reduce_sum(wy, 0))
        self.squared_sum.assign_add(_m.reduce_sum(y_true * wy, 0))
        self.total_mse.assign_add(_m.reduce_sum(_m.square(y_true - y_pred) * sw, 0))
        self.count.assign_add(_m.reduce_sum(sw, 0))
        self.num_samples.assign_add(_m.cast(_s.size(y_true), self.dtype))

    def result(self):
        if not self._built:
            return as_tensor(0.0)
        s, c = self.sum.read_value(), self.count.read_value()
        total = self.squared_sum.read_value() - s * (s / c)
        raw = 1.0 - self.total_mse.read_value() / total
        raw = _m.where(_m.is_inf(raw), _m.zeros_like(raw), raw)
        if self.class_aggregation == "uniform_average":
            r2 = _m.reduce_mean(raw)
        elif self.class_aggregation == "variance_weighted_average":
            r2 = _m.reduce_sum(total * raw) / _m.reduce_sum(total)
        else:
            r2 = raw
        if self.num_regressors:
            eager = _state.current().graph is None
            n = float(self.num_samples.numpy()) if eager else None
            if n is not None and self.num_regressors >= n - 1:
                warnings.warn("R2Score: as many or more independent predictors than data points; "
                              "falling back to the standard R2 score", stacklevel=2)
            else:
                n_t = self.num_samples.read_value()
                r2 = 1.0 - (1.0 - r2) * (n_t - 1.0) / (n_t - float(self.num_regressors) - 1.0)
        return r2

    def reset_state(self):
        if self._built:
            super().reset_state()
        else:
            self.num_samples.assign(0.0)

    def get_config(self):
        return dict(super().get_config(), class_aggregation=self.class_aggregation,
                    num_regressors=self.num_regressors)


class IoU(Metric):
    """Intersection over union, averaged over `target_class_ids`, from a running
    (num_classes, num_classes) confusion matrix of integer class labels (or one-hot / scores
    with sparse_y_true / sparse_y_pred False: their argmax along `axis`).

    >>> m = IoU(num_classes=2, target_class_ids=[0])
    >>> m.update_state([0, 0, 1, 1], [0, 1, 0, 1]); round(float(m.result()), 4)
    0.3333
    """

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None,
                 sparse_y_true=True, sparse_y_pred=True, axis=-1):
        super().__init__(name, dtype or _dt.int32)   # Keras 3 counts in ints by default
        if max(target_class_ids) >= num_classes:
            raise ValueError(f"IoU: target class id {max(target_class_ids)} is out of range "
                             f"[0, {num_classes})")
        self.num_classes, self.target_class_ids = int(num_classes), list(target_class_ids)
        self.ignore_class, self.axis = ignore_class, axis
        self.sparse_y_true, self.sparse_y_pred = sparse_y_true, sparse_y_pred
        self.total_cm = self.add_variable((self.num_classes, self.num_classes),
                                          name="total_confusion_matrix")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = as_tensor(y_true), as_tensor(y_pred)
        if not self.sparse_y_true:
            y_true = _m.argmax(y_true, self.axis)
        if not self.sparse_y_pred:
            y_pred = _m.argmax(y_pred, self.axis)
        y_true = _s.reshape(_m.cast(y_true, _dt.int64), [-1])
        y_pred = _s.reshape(_m.cast(y_pred, _dt.int64), [-1])
        n = self.num_classes
        valid = _m.logical_and(
            _m.logical_and(_m.greater_equal(y_true, 0), _m.less(y_true, n)),
            _m.logical_and(_m.greater_equal(y_pred, 0), _m.less(y_pred, n)))
        if self.ignore_class is not None:
            valid = _m.logical_and(valid, _m.not_equal(y_true, self.ignore_class))
        w = _m.cast(valid, _dt.float32)
        if sample_weight is not None:
            sw = as_tensor(sample_weight)
            if sw.dtype.is_floating and not self.dtype.is_floating:
                warnings.warn(f"{self.name}: float sample weights are truncated to the metric's "
                              f"integer dtype {self.dtype.name} (as Keras); pass dtype='float32' "
                              "to keep fractions", stacklevel=2)
            sw = _m.cast(_m.cast(sw, self.dtype), _dt.float32)   # Keras' cast to the dtype
            w = w * _s.reshape(sw, [-1]) * _m.ones_like(w)
        zero = _m.zeros_like(y_true)
        t = _s.one_hot(_m.where(valid, y_true, zero), n, dtype=_dt.float32)
        p = _s.one_hot(_m.where(valid, y_pred, zero), n, dtype=_dt.float32)
        # cm[i, j] = sum of the weights of examples with label i predicted as j
        cm = _m.matmul(t * _s.expand_dims(w, -1), p, transpose_a=True)
        self.total_cm.assign_add(_m.cast(cm, self.dtype) if self.dtype != _dt.float32 else cm)

    def result(self):
        cm = _m.cast(self.total_cm.read_value(), _dt.float32)
        eye = as_tensor(np.eye(self.num_classes, dtype=np.float32))
        tp = _m.reduce_sum(cm * eye, 1)
        denom = _m.reduce_sum(cm, 0) + _m.reduce_sum(cm, 1) - tp
        ids = np.asarray(self.target_class_ids, np.int64)
        tp, denom = _s.gather(tp, ids), _s.gather(denom, ids)
        valid = _m.greater(denom, 1e-9)
        iou = _m.where(valid, tp / (denom + _config.epsilon()), _m.zeros_like(tp))
        return _m.reduce_sum(iou) / (_m.reduce_sum(_m.cast(valid, _dt.float32)) + _config.epsilon())

    def get_config(self):
        return dict(super().get_config(), num_classes=self.num_classes,
                    target_class_ids=self.target_class_ids, ignore_class=self.ignore_class,
                    sparse_y_true=self.sparse_y_true, sparse_y_pred=self.sparse_y_pred,
                    axis=self.axis)


class MeanIoU(IoU):
    """IoU averaged over all classes.

    >>> m = MeanIoU(num_classes=2)
    >>> m.update_state([0, 0, 1, 1], [0, 1, 0, 1]); round(float(m.result()), 4)
    0.3333
    """

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None, sparse_y_true=True,
                 sparse_y_pred=True, axis=-1):
        super().__init__(num_classes, list(range(num_classes)), name, dtype, ignore_class,
                         sparse_y_true, sparse_y_pred, axis)

    def get_config(self):
        cfg = super().get_config()
        del cfg["target_class_ids"]
        return cfg


class BinaryIoU(IoU):
    """IoU of thresholded predictions (>= threshold is class 1)."""

    def __init__(self, target_class_ids=(0, 1), threshold=0.5, name=None, dtype=None):
        super().__init__(2, list(target_class_ids), name, dtype)
        self.threshold = threshold

    def update_state(self, y_true, y_pred, sample_weight=None):
        pred = _m.cast(_m.greater_equal(prediction(y_pred), self.threshold), _dt.int64)
        super().update_state(y_true, pred, sample_weight)

    def get_config(self):
        return {"target_class_ids": self.target_class_ids, "threshold": self.threshold,
                "name": self.name, "dtype": self.dtype.name}


class OneHotIoU(IoU):
    """IoU of one-hot labels and per-class scores."""

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None,
                 sparse_y_pred=False, axis=-1):
        super().__init__(num_classes, target_class_ids, name, dtype, ignore_class, False,
                         sparse_y_pred, axis)

    def get_config(self):
        cfg = super().get_config()
        del cfg["sparse_y_true"]
        return cfg


class OneHotMeanIoU(MeanIoU):
    """MeanIoU of one-hot labels and per-class scores."""

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None, sparse_y_pred=False,
                 axis=-1):
        super().__init__(num_classes, name, dtype, ignore_class, False, sparse_y_pred, axis)

    def get_config(self):
        cfg = super().get_config()
        del cfg["sparse_y_true"]
        return cfg


acc = ACC = accuracy
mse = MSE = _losses.mean_squared_error
mae = MAE = _losses.mean_absolute_error

_BY_NAME = {
    "accuracy": Accuracy, "binary_accuracy": BinaryAccuracy,
    "categorical_accuracy": CategoricalAccuracy,
    "sparse_categorical_accuracy": SparseCategoricalAccuracy,
    "top_k_categorical_accuracy": TopKCategoricalAccuracy,
    "mean_squared_error": MeanSquaredError, "mse": MeanSquaredError,
    "mean_absolute_error": MeanAbsoluteError, "mae": MeanAbsoluteError,
    "mean_absolute_percentage_error": MeanAbsolutePercentageError,
    "mape": MeanAbsolutePercentageError,
    "root_mean_squared_error": RootMeanSquaredError, "rmse": RootMeanSquaredError,
    "binary_crossentropy": BinaryCrossentropy, "categorical_crossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
    "precision": Precision, "recall": Recall, "mean": Mean, "sum": Sum,
    "msle": MeanSquaredLogarithmicError, "kld": KLDivergence, "auc": AUC,
    "log_cosh": LogCoshError, "logcosh": LogCoshError,
}
_NO_REQUIRED_ARGS = [
    MeanSquaredLogarithmicError, KLDivergence, Poisson, Hinge, SquaredHinge, CategoricalHinge,
    LogCoshError, CosineSimilarity, SparseTopKCategoricalAccuracy, TruePositives, FalsePositives,
    TrueNegatives, FalseNegatives, AUC, FBetaScore, F1Score, R2Score, BinaryIoU,
    PearsonCorrelation, ConcordanceCorrelation]
for _cls in _NO_REQUIRED_ARGS + list(set(_BY_NAME.values())):
    _BY_NAME.setdefault(snake_case(_cls.__name__), _cls)
    _BY_NAME.setdefault(_cls.__name__, _cls)
_ALL_CLASSES = {c.__name__: c for c in list(_BY_NAME.values()) + [
    IoU, MeanIoU, OneHotIoU, OneHotMeanIoU, SensitivityAtSpecificity, SpecificityAtSensitivity,
    PrecisionAtRecall, RecallAtPrecision, Metric, MeanMetricWrapper]}
_FN_TO_CLASS = {accuracy: Accuracy, binary_accuracy: BinaryAccuracy,
                categorical_accuracy: CategoricalAccuracy,
                sparse_categorical_accuracy: SparseCategoricalAccuracy,
                _losses.mean_squared_error: MeanSquaredError,
                _losses.mean_absolute_error: MeanAbsoluteError,
                _losses.mean_absolute_percentage_error: MeanAbsolutePercentageError,
                _losses.mean_squared_logarithmic_error: MeanSquaredLogarithmicError,
                _losses.kl_divergence: KLDivergence, _losses.poisson: Poisson,
                _losses.hinge: Hinge, _losses.squared_hinge: SquaredHinge,
                _losses.categorical_hinge: CategoricalHinge, _losses.log_cosh: LogCoshError,
                cosine_similarity: CosineSimilarity,
                top_k_categorical_accuracy: TopKCategoricalAccuracy,
                sparse_top_k_categorical_accuracy: SparseTopKCategoricalAccuracy,
                pearson_correlation: PearsonCorrelation,
                concordance_correlation: ConcordanceCorrelation}
#: the per-example metric functions (saved by name in Keras files)
METRIC_FUNCTIONS = tuple(_FN_TO_CLASS)
msle = MSLE = _losses.mean_squared_logarithmic_error
kld = KLD = kl_divergence = _losses.kl_divergence
poisson, hinge, squared_hinge = _losses.poisson, _losses.hinge, _losses.squared_hinge
categorical_hinge, log_cosh, logcosh = _losses.categorical_hinge, _losses.log_cosh, _losses.log_cosh
binary_crossentropy = _losses.binary_crossentropy
categorical_crossentropy = _losses.categorical_crossentropy
sparse_categorical_crossentropy = _losses.sparse_categorical_crossentropy
mean_squared_error, mean_absolute_error = _losses.mean_squared_error, _losses.mean_absolute_error
mean_absolute_percentage_error = mape = MAPE = _losses.mean_absolute_percentage_error
mean_squared_logarithmic_error = _losses.mean_squared_logarithmic_error
huber = _losses.huber
binary_focal_crossentropy = _losses.binary_focal_crossentropy
categorical_focal_crossentropy = _losses.categorical_focal_crossentropy


def accuracy_for(loss, y_true_shape=None, y_pred_shape=None):
    """The accuracy metric Keras picks for the string 'accuracy': by the loss when it says
    (binary / categorical / sparse categorical cross-entropy), else by the label and prediction
    shapes (last dim 1 -> binary; labels of lower rank or with last dim 1 -> sparse)."""
    name = getattr(loss, "name", None) or getattr(loss, "__name__", None) or str(loss)
    fn = getattr(loss, "fn", None)
    if fn is _losses.binary_crossentropy or "binary_crossentropy" in name:
        return BinaryAccuracy
    if fn is _losses.sparse_categorical_crossentropy or "sparse_categorical" in name:
        return SparseCategoricalAccuracy
    if fn is _losses.categorical_crossentropy or "categorical_crossentropy" in name:
        return CategoricalAccuracy
    if y_pred_shape is not None and len(y_pred_shape) and y_pred_shape[-1] == 1:
        return BinaryAccuracy
    if y_true_shape is not None and y_pred_shape is not None and (
            len(y_true_shape) < len(y_pred_shape)
            or (len(y_true_shape) and y_true_shape[-1] == 1 and y_pred_shape[-1] != 1)):
        return SparseCategoricalAccuracy
    return CategoricalAccuracy


def get(identifier, loss=None, y_true_shape=None, y_pred_shape=None):
    """A Metric instance from a name, class, instance or per-example function. 'accuracy' /
    'acc' resolve by the loss and shapes like Keras; the metric is named as the string given."""
    m = _resolve(identifier, loss, y_true_shape, y_pred_shape)
    build = getattr(m, "build_for_shapes", None)
    if build is not None and y_pred_shape is not None:
        build(y_true_shape, y_pred_shape)   # create shape-dependent state outside any trace
    return m


def _resolve(identifier, loss, y_true_shape, y_pred_shape):
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return identifier()
    if isinstance(identifier, str):
        if identifier in ("accuracy", "acc"):
            return accuracy_for(loss, y_true_shape, y_pred_shape)(name=identifier)
        if identifier in ("crossentropy", "ce"):
            cls = accuracy_for(loss, y_true_shape, y_pred_shape)
            ce = {BinaryAccuracy: BinaryCrossentropy, CategoricalAccuracy: CategoricalCrossentropy,
                  SparseCategoricalAccuracy: SparseCategoricalCrossentropy}[cls]
            return ce(name=identifier)
        for key in (identifier, identifier.lower(), snake_case(identifier)):
            if key in _BY_NAME:
                return _BY_NAME[key](name=identifier)
        raise ValueError(f"Unknown metric: {identifier!r}. Known: {sorted(_BY_NAME)}")
    if identifier in _FN_TO_CLASS:
        return _FN_TO_CLASS[identifier]()
    if callable(identifier):
        return MeanMetricWrapper(identifier, getattr(identifier, "__name__", "metric"))
    raise TypeError(f"Could not interpret metric identifier: {identifier!r}")


def serialize(metric):
    """A Metric as Keras 3's config dict (a metric function as its name record).

    >>> serialize(AUC(num_thresholds=3))["config"]["num_thresholds"]
    3
    """
    if isinstance(metric, Metric):
        return {"module": "keras.metrics", "class_name": type(metric).__name__,
                "config": metric.get_config(), "registered_name": None}
    if callable(metric):
        return {"module": "builtins", "class_name": "function",
                "config": metric.__name__, "registered_name": "function"}
    return metric


def deserialize(config, custom_objects=None):
    """A Metric from `serialize`'s dict (or a metric function from its name).

    >>> type(deserialize(serialize(F1Score(average="macro")))).__name__
    'F1Score'
    """
    custom_objects = custom_objects or {}
    if isinstance(config, str):
        if config in custom_objects:
            return custom_objects[config]
        fn = globals().get(config)
        if fn in _FN_TO_CLASS:   # a metric function by name (Keras 3 returns the function)
            return fn
        return get(config)
    name, cfg = config.get("class_name"), dict(config.get("config", {}))
    if name == "function":
        return deserialize(cfg if isinstance(cfg, str) else cfg.get("name"), custom_objects)
    cls = custom_objects.get(name) or _ALL_CLASSES.get(name)
    if cls is None:
        raise ValueError(f"Unknown metric class {name!r}; pass it in custom_objects")
    if hasattr(cls, "from_config"):
        return cls.from_config(cfg)
    return cls(**cfg)
