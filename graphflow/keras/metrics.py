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
import numpy as np

from .. import dtypes as _dt
from ..ops import math_ops as _m, shape_ops as _s
from ..tensor import Variable
from . import losses as _losses
from .losses import as_tensor, match_rank, prediction, snake_case


class Metric:
    """Base class: `update_state(...)`, `result()`, `reset_state()`; state in `variables`."""

    def __init__(self, name=None, dtype=None):
        self.name = name or snake_case(type(self).__name__)
        self.dtype = _dt.as_dtype(dtype or _dt.float32)
        self._variables = []

    def add_variable(self, shape=(), initializer="zeros", dtype=None, name=None):
        dt = _dt.as_dtype(dtype or self.dtype)
        init = np.zeros if initializer in ("zeros", None) else np.ones
        v = Variable(init(tuple(shape), dt.np), trainable=False, name=f"{self.name}/{name}")
        v._keras_initial = init(tuple(shape), dt.np)
        self._variables.append(v)
        return v

    def add_weight(self, name=None, shape=(), initializer="zeros", dtype=None, **_):
        return self.add_variable(shape, initializer, dtype, name)

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


class _Confusion(Metric):
    """Binary true/false positive counts at a threshold (Precision, Recall)."""

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(name, dtype)
        self.thresholds = 0.5 if thresholds is None else float(thresholds)
        self.true_positives = self.add_variable(name="true_positives")
        self.false_positives = self.add_variable(name="false_positives")
        self.false_negatives = self.add_variable(name="false_negatives")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = prediction(y_pred)
        y_true = match_rank(as_tensor(y_true, y_pred.dtype), y_pred)
        pred = _m.cast(_m.greater(y_pred, self.thresholds), self.dtype)
        true = _m.cast(_m.greater(y_true, 0.5), self.dtype)
        w = 1.0 if sample_weight is None else match_rank(as_tensor(sample_weight, self.dtype), pred)
        self.true_positives.assign_add(_m.reduce_sum(pred * true * w))
        self.false_positives.assign_add(_m.reduce_sum(pred * (1.0 - true) * w))
        self.false_negatives.assign_add(_m.reduce_sum((1.0 - pred) * true * w))


class Precision(_Confusion):
    def result(self):
        tp = self.true_positives.read_value()
        return _divide_no_nan(tp, tp + self.false_positives.read_value())


class Recall(_Confusion):
    def result(self):
        tp = self.true_positives.read_value()
        return _divide_no_nan(tp, tp + self.false_negatives.read_value())


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
}
_FN_TO_CLASS = {accuracy: Accuracy, binary_accuracy: BinaryAccuracy,
                categorical_accuracy: CategoricalAccuracy,
                sparse_categorical_accuracy: SparseCategoricalAccuracy,
                _losses.mean_squared_error: MeanSquaredError,
                _losses.mean_absolute_error: MeanAbsoluteError}


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
    if isinstance(identifier, Metric):
        return identifier
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
