"""Keras preprocessing layers that learn statistics from data with `adapt`: `Normalization`.

>>> import numpy as np, graphflow as tf
>>> norm = tf.keras.layers.Normalization()
>>> norm.adapt(np.array([[1., 2.], [3., 6.]]))
>>> norm(np.array([[1., 2.]])).numpy()
array([[-1., -1.]], dtype=float32)
"""
import itertools

import numpy as np

from ..ops import math_ops as _m, shape_ops as _s
from ..tensor import Tensor, Variable
from .layers import Layer

#: Keras 3's `backend.epsilon()`: the floor of the standard deviation Normalization divides by
EPSILON = 1e-7


def _first(batch):
    """The features of a dataset element (an `(x, y)` tuple gives x)."""
    return batch[0] if isinstance(batch, tuple) else batch


def _as_array(x):
    if isinstance(x, Variable):
        x = x.read_value()
    return x.numpy() if isinstance(x, Tensor) else np.asarray(x)


class Normalization(Layer):
    """Shift and scale inputs to mean 0 and variance 1 per feature, as Keras 3:
    `(x - mean) / max(sqrt(variance), 1e-7)` (`invert=True`: `mean + x * max(sqrt(var), 1e-7)`).

    `axis` names the feature axes that keep their own statistics (default the last; `None`:
    one scalar mean). The mean and variance come from `mean=`/`variance=` or from `adapt(data)`,
    which stores them in the non-trainable weights `mean`, `variance` (and Keras' unused
    `count`), so they are saved with the model and read by traced calls.

    >>> import numpy as np
    >>> layer = Normalization(axis=None)
    >>> layer.adapt(np.array([0., 2., 4.]))
    >>> [w.name for w in layer.weights], layer.count_params()
    (['mean', 'variance', 'count'], 3)
    >>> Normalization(mean=2., variance=4.)(np.array([[4.]])).numpy()
    array([[1.]], dtype=float32)
    """
    supports_masking = True

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        self.axis = () if axis is None else (axis,) if isinstance(axis, int) else tuple(axis)
        self.input_mean, self.input_variance, self.invert = mean, variance, bool(invert)
        if (mean is None) != (variance is None):
            raise ValueError("Normalization: when setting values directly, both `mean` and "
                             f"`variance` must be set. Received: mean={mean} and "
                             f"variance={variance}")
        if mean is not None:
            if np.shape(mean) != np.shape(variance):
                raise ValueError("Normalization: `mean` and `variance` must have the same shape. "
                                 f"Received: mean shape {np.shape(mean)} and variance shape "
                                 f"{np.shape(variance)}")
            if np.ndim(mean) > len(self.axis):
                raise ValueError("Normalization: the rank of `mean` must be less than or equal to "
                                 f"the number of axes ({len(self.axis)}). Received: mean shape "
                                 f"{np.shape(mean)} for axis {self.axis}")
        self.adapt_mean = self.adapt_variance = self.count = None
        self._build_input_shape = None

    def build(self, input_shape):
        shape = tuple(None if d is None else int(d) for d in input_shape)
        ndim = len(shape)
        if any(a < -ndim or a >= ndim for a in self.axis):
            raise ValueError(f"Normalization {self.name}: all `axis` values must be in the range "
                             f"[-ndim, ndim). Received inputs with ndim={ndim}, while "
                             f"axis={self.axis}")
        self._build_input_shape = shape
        self._keep_axis = tuple(sorted(a % ndim for a in self.axis))
        for d in self._keep_axis:
            if shape[d] is None:
                raise ValueError(f"Normalization {self.name}: all `axis` values to be kept must "
                                 f"have a known shape. Received axis={self.axis}, "
                                 f"inputs.shape={shape}, with unknown axis at index {d}")
        self._reduce_axis = tuple(d for d in range(ndim) if d not in self._keep_axis)
        self._broadcast_shape = tuple(shape[d] if d in self._keep_axis else 1
                                      for d in range(ndim))
        self._mean_and_var_shape = tuple(shape[d] for d in self._keep_axis)
        if self.input_mean is None:
            self.adapt_mean = self.add_weight("mean", self._mean_and_var_shape,
                                              initializer="zeros", trainable=False)
            self.adapt_variance = self.add_weight("variance", self._mean_and_var_shape,
                                                  initializer="ones", trainable=False)
            # Keras keeps it for old saved models (adapt leaves it 0); int64 as its TF backend
            self.count = self.add_weight("count", (), dtype="int64", initializer="zeros",
                                         trainable=False)
        else:
            # the given statistics align with the kept axes from the right, then broadcast
            mean, var = (np.asarray(v, np.float64) for v in (self.input_mean, self.input_variance))
            expanded = [1] * ndim
            for i in range(1, mean.ndim + 1):
                expanded[self._keep_axis[-i]] = mean.shape[-i]
            self._fixed = tuple(np.broadcast_to(v.reshape(expanded), self._broadcast_shape)
                                .astype(self._dtype.np) for v in (mean, var))
        self.built = True

    def adapt(self, data):
        """Compute the per-feature mean and variance of `data` (over every axis but `axis`)
        and store them: a numpy array or tensor, a `tf.data.Dataset` (of batches; a dataset of
        rank-1 elements is batched by 128, as Keras) or an iterable of batches (`(x, y)`
        elements use x). Batches are combined exactly (Keras' pooled-variance update).

        >>> layer = Normalization()
        >>> layer.adapt([np.array([[0.], [2.]]), np.array([[4.]])])   # two batches
        >>> layer.adapt_mean.numpy(), layer.adapt_variance.numpy()
        (array([2.], dtype=float32), array([2.6666667], dtype=float32))
        """
        if isinstance(data, (np.ndarray, Tensor, Variable)):
            batches, single = None, _as_array(data)
            shape = single.shape
        elif hasattr(data, "element_spec") and hasattr(data, "batch"):
            spec = _first(data.element_spec)
            if len(tuple(spec.shape)) == 1:
                data = data.batch(128)
            batches = (_as_array(_first(b)) for b in data)
            first = next(batches, None)
            if first is None:
                raise ValueError(f"Normalization {self.name}: adapt() received an empty dataset")
            batches, shape = itertools.chain([first], batches), first.shape
        elif hasattr(data, "__iter__"):
            it = iter(data)
            first = next(it, None)
            if first is None:
                raise ValueError(f"Normalization {self.name}: adapt() received an empty iterable "
                                 "(no batches). Pass a non-empty iterable of arrays or tensors, "
                                 "e.g. layer.adapt([x]).")
            first = _as_array(_first(first))
            batches = itertools.chain([first], (_as_array(_first(b)) for b in it))
            shape = first.shape
        else:
            raise TypeError(f"Normalization {self.name}: unsupported data type {type(data)}; "
                            "adapt supports numpy arrays, tensors, tf.data.Dataset and iterables "
                            "of batches")
        if not self.built:
            self.build(shape)
        else:
            self._check_shape(shape)
        if self.input_mean is not None:
            raise ValueError(f"Normalization {self.name}: adapt() cannot change the `mean` and "
                             "`variance` given to the constructor")
        if batches is None:
            x = single.astype(np.float64)
            mean, var = x.mean(axis=self._reduce_axis), x.var(axis=self._reduce_axis)
        else:
            mean = var = np.zeros(self._mean_and_var_shape)
            total = 0
            for b in batches:
                self._check_shape(b.shape)
                b = b.astype(np.float64)
                n = int(np.prod([b.shape[d] for d in self._reduce_axis], dtype=np.int64))
                total += n
                w = n / total
                new_mean = mean * (1 - w) + b.mean(axis=self._reduce_axis) * w
                # the lack-of-fit sum of squares: each part's variance about the new mean
                var = ((var + (mean - new_mean) ** 2) * (1 - w)
                       + (b.var(axis=self._reduce_axis)
                          + (b.mean(axis=self._reduce_axis) - new_mean) ** 2) * w)
                mean = new_mean
        self.adapt_mean.assign(np.asarray(mean, self.adapt_mean.dtype.np))
        self.adapt_variance.assign(np.asarray(var, self.adapt_variance.dtype.np))

    def _check_shape(self, shape):
        for d in self._keep_axis:
            if len(shape) != len(self._build_input_shape) or shape[d] != self._build_input_shape[d]:
                raise ValueError(f"Normalization {self.name}: the layer was built with "
                                 f"input_shape={self._build_input_shape}, but adapt() got data "
                                 f"with an incompatible shape, data.shape={tuple(shape)}")

    def _convert_inputs(self, inputs):
        x = super()._convert_inputs(inputs)
        if isinstance(x, Tensor) and x.dtype != self._dtype:   # Keras: to the compute dtype
            x = _m.cast(x, self._dtype)
        return x

    def _statistics(self):
        if self.input_mean is not None:
            return self._fixed
        # read now, so a traced model sees the values of a later adapt()
        return (_s.reshape(self.adapt_mean.read_value(), self._broadcast_shape),
                _s.reshape(self.adapt_variance.read_value(), self._broadcast_shape))

    def call(self, inputs):
        mean, var = self._statistics()
        std = _m.maximum(_m.sqrt(var), EPSILON)
        if self.invert:
            return mean + inputs * std
        return (inputs - mean) / std

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        """Keras 3's config: `axis` as a tuple, the constructor's mean/variance as lists (None
        when adapted)."""
        return dict(super().get_config(), axis=self.axis, invert=self.invert,
                    mean=np.array(self.input_mean).tolist(),
                    variance=np.array(self.input_variance).tolist())
