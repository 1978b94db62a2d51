"""Keras preprocessing layers: `Normalization` and `Discretization` (which learn statistics from
data with `adapt`) and `CategoryEncoding`.

>>> import numpy as np, graphflow as tf
>>> norm = tf.keras.layers.Normalization()
>>> norm.adapt(np.array([[1., 2.], [3., 6.]]))
>>> norm(np.array([[1., 2.]])).numpy()
array([[-1., -1.]], dtype=float32)
"""
import itertools
import types

import numpy as np

from ..ops import math_ops as _m, shape_ops as _s
from ..tensor import Tensor, Variable, convert_to_tensor
from .layers import Layer
from . import legacy_preprocessing as _legacy
from .data_utils import pad_sequences, timeseries_dataset_from_array   # noqa: F401
from .directory_datasets import image_dataset_from_directory, text_dataset_from_directory  # noqa: F401,E501
from .directory_datasets import load_img
from .image_utils import array_to_img, img_to_array
from .backend_utils import save_img as _save_img

# `keras.preprocessing.sequence` / `.text`: the namespaces Keras 3 (tf.keras) still has
sequence = types.ModuleType("keras.preprocessing.sequence")
sequence.__dict__.update(pad_sequences=pad_sequences, skipgrams=_legacy.skipgrams,
                         make_sampling_table=_legacy.make_sampling_table,
                         TimeseriesGenerator=_legacy.TimeseriesGenerator)


def smart_resize(x, size, interpolation="bilinear", data_format="channels_last",
                 backend_module=None):
    """Resize images to `size` without distorting them (Keras 3's
    `keras.preprocessing.image.smart_resize`): crop the largest centered box of the target's
    aspect ratio, then resize it. A numpy input gives a numpy array.

    >>> import numpy as np
    >>> img = np.arange(24, dtype="float32").reshape(4, 6, 1)
    >>> smart_resize(img, (2, 2), interpolation="nearest")[..., 0].tolist()   # of the center 4x4
    [[8.0, 10.0], [20.0, 22.0]]
    """
    from .ops import image as _image_ops
    if len(size) != 2:
        raise ValueError(f"smart_resize: expected `size` to be a tuple of 2 integers, got {size}")
    img = convert_to_tensor(x)
    if img.ndim not in (3, 4):
        raise ValueError(f"smart_resize: expected an image array with shape (height, width, "
                         f"channels) or a batch of them, got shape {tuple(img.shape)}")
    shape = tuple(img.shape)
    height, width = (shape[-3], shape[-2]) if data_format == "channels_last" else shape[-2:]
    th, tw = size
    crop_h = max(min(height, int(float(width * th) / tw)), 1)
    crop_w = max(min(width, int(float(height * tw) / th)), 1)
    h0, w0 = int(float(height - crop_h) / 2), int(float(width - crop_w) / 2)
    rows, cols = slice(h0, h0 + crop_h), slice(w0, w0 + crop_w)
    if data_format == "channels_last":
        img = img[..., rows, cols, :]
    else:
        img = img[..., rows, cols]
    out = _image_ops.resize(img, size=tuple(size), interpolation=interpolation,
                            data_format=data_format)
    return np.asarray(out.numpy()) if isinstance(x, np.ndarray) else out


image = types.ModuleType("keras.preprocessing.image")
image.__dict__.update(load_img=load_img, img_to_array=img_to_array, array_to_img=array_to_img,
                      save_img=_save_img, smart_resize=smart_resize)
text = types.ModuleType("keras.preprocessing.text")
text.__dict__.update({n: getattr(_legacy, n) for n in (
    "Tokenizer", "hashing_trick", "one_hot", "text_to_word_sequence", "tokenizer_from_json")})

#: Keras 3's `backend.epsilon()`: the floor of the standard deviation Normalization divides by
EPSILON = 1e-7


def _first(batch):
    """The features of a dataset element (an `(x, y)` tuple gives x)."""
    return batch[0] if isinstance(batch, tuple) else batch


def _as_tensor(x):
    return x if isinstance(x, Tensor) else convert_to_tensor(x)


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
    >>> features = Normalization()
    >>> features.adapt(np.array([[1., 10.], [3., 30.]]))
    >>> features.mean.numpy()   # the broadcast shape, as Keras 3
    array([[ 2., 20.]], dtype=float32)
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
        if isinstance(x, Tensor) and x.dtype != self._compute_dtype:   # Keras: to the compute dtype
            x = _m.cast(x, self._compute_dtype)
        return x

    def _statistics(self):
        if self.input_mean is not None:
            return self._fixed
        # read now, so a traced model sees the values of a later adapt()
        return (_s.reshape(self.adapt_mean.read_value(), self._broadcast_shape),
                _s.reshape(self.adapt_variance.read_value(), self._broadcast_shape))

    @property
    def mean(self):
        """The mean in the inputs' broadcast shape (Keras 3: the TF regression tutorial's
        `normalizer.mean.numpy()` gives shape (1, features)); None before `build`/`adapt`."""
        return None if not self.built else _as_tensor(self._statistics()[0])

    @property
    def variance(self):
        """The variance in the inputs' broadcast shape; None before `build`/`adapt`."""
        return None if not self.built else _as_tensor(self._statistics()[1])

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


# ------------------------------------------------------------------ categorical encodings
def encode_categorical(indices, output_mode, depth, dtype, count_weights=None):
    """Keras 3's encoding of integer `indices` (< depth): 'int' (as they are), 'one_hot' (a
    trailing size-1 axis is replaced), 'multi_hot' (1 where an index occurs in the row) or
    'count' (occurrences per row, or the sum of `count_weights`).

    >>> from graphflow import constant
    >>> encode_categorical(constant([[0, 1, 1]]), "count", 3, "float32").numpy()
    array([[1., 2., 0.]], dtype=float32)
    """
    if output_mode == "int":
        return _m.cast(indices, dtype)
    x = indices if indices.ndim else _s.reshape(indices, (1,))
    if output_mode == "one_hot":
        if x.ndim > 1 and x.shape[-1] == 1:
            x = _s.reshape(x, tuple(x.shape[:-1]))
        return _s.one_hot(x, depth, dtype=dtype)
    axis = 1 if x.ndim > 1 else 0
    hot = _s.one_hot(x, depth, dtype=dtype if count_weights is None else count_weights.dtype)
    if output_mode == "multi_hot":
        return _m.reduce_max(hot, axis)
    if count_weights is not None:
        hot = hot * _s.expand_dims(count_weights, -1)
    return _m.reduce_sum(hot, axis)


def _check_mode(layer, mode, allowed):
    if mode not in allowed:
        raise ValueError(f"{type(layer).__name__} {layer.name}: unknown output_mode {mode!r}; "
                         f"expected one of {allowed}")


class CategoryEncoding(Layer):
    """Encode integer category indices (< num_tokens) as Keras 3: `output_mode` 'multi_hot'
    (default; 'binary' is its old name), 'one_hot' or 'count' (optionally weighted by
    `count_weights`).

    >>> import numpy as np
    >>> CategoryEncoding(num_tokens=4)(np.array([[0, 1], [1, 3]])).numpy()
    array([[1., 1., 0., 0.],
           [0., 1., 0., 1.]], dtype=float32)
    """

    def __init__(self, num_tokens=None, output_mode="multi_hot", sparse=False, **kwargs):
        super().__init__(**kwargs)
        output_mode = "multi_hot" if output_mode == "binary" else output_mode
        _check_mode(self, output_mode, ("count", "one_hot", "multi_hot"))
        if num_tokens is None or num_tokens < 1:
            raise ValueError(f"CategoryEncoding {self.name}: num_tokens must be set and >= 1 (use "
                             f"IntegerLookup if it is unknown). Received: num_tokens={num_tokens}")
        if sparse:
            raise NotImplementedError("CategoryEncoding: sparse outputs are not supported")
        self.num_tokens, self.output_mode, self.sparse = int(num_tokens), output_mode, False

    def _convert_inputs(self, inputs):
        x = super()._convert_inputs(inputs)
        return _m.cast(x, "int32") if isinstance(x, Tensor) and not x.dtype.is_integer else x

    def call(self, inputs, count_weights=None):
        if count_weights is not None:
            if self.output_mode != "count":
                raise ValueError(f"CategoryEncoding {self.name}: `count_weights` is not used when "
                                 f"`output_mode` is not 'count'. Received "
                                 f"`count_weights={count_weights}`.")
            count_weights = self._convert_inputs_float(count_weights)
        return encode_categorical(inputs, self.output_mode, self.num_tokens, self._compute_dtype,
                                  count_weights)

    def _convert_inputs_float(self, x):
        x = Layer._convert_inputs(self, x)
        return _m.cast(x, self._compute_dtype) if x.dtype != self._compute_dtype else x

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        if not shape:
            return (self.num_tokens,)
        if self.output_mode == "one_hot" and (shape[-1] != 1 or len(shape) == 1):
            return shape + (self.num_tokens,)
        return shape[:-1] + (self.num_tokens,)

    def get_config(self):
        return dict(super().get_config(), num_tokens=self.num_tokens,
                    output_mode=self.output_mode)


# Keras 3's approximate quantiles for Discretization.adapt (its summarize / merge / compress)
def _summarize(values, epsilon):
    values = np.sort(np.reshape(values, [-1]))
    step = max(np.size(values) / (1.0 / epsilon), 1)
    boundaries = values[int(step - 1)::int(step)]
    return np.stack([boundaries, np.ones_like(boundaries) * step])


def _compress(summary, epsilon):
    if summary.shape[1] * epsilon < 1:
        return summary
    percents = epsilon + np.arange(0.0, 1.0, epsilon)
    cum = summary[1].cumsum()
    cum_pct = cum / cum[-1]
    bins = np.interp(percents, cum_pct, summary[0])
    cum = np.interp(percents, cum_pct, cum)
    return np.stack((bins, cum - np.concatenate((np.array([0]), cum[:-1])))).astype("float32")


class Discretization(Layer):
    """Bucket numbers by `bin_boundaries` (x < b[0] -> 0, b[i-1] <= x < b[i] -> i, as
    `np.digitize`), or by `num_bins` approximate quantiles learned with `adapt` (Keras 3's
    summary with relative error `epsilon`); `output_mode` 'int' (int32), 'one_hot',
    'multi_hot' or 'count'.

    >>> import numpy as np
    >>> Discretization(bin_boundaries=[0., 1., 2.])(np.array([[-1.5, 1.0, 3.4, .5]])).numpy()
    array([[0, 2, 3, 1]], dtype=int32)
    >>> d = Discretization(num_bins=4)
    >>> d.adapt(np.array([[-1.5, 1.0, 3.4, .5], [0.0, 3.0, 1.3, 0.0]]))
    >>> np.round(d.bin_boundaries, 6).tolist()
    [0.0, 0.5, 1.3]
    """

    def __init__(self, bin_boundaries=None, num_bins=None, epsilon=0.01, output_mode="int",
                 sparse=False, dtype=None, name=None, **kwargs):
        super().__init__(name=name, dtype=dtype, **kwargs)
        _check_mode(self, output_mode, ("int", "one_hot", "multi_hot", "count"))
        if sparse:
            raise NotImplementedError("Discretization: sparse outputs are not supported")
        if num_bins is not None and num_bins < 0:
            raise ValueError("`num_bins` must be greater than or equal to 0. "
                             f"Received: `num_bins={num_bins}`")
        if (num_bins is None) == (bin_boundaries is None):
            raise ValueError(f"Discretization {self.name}: set exactly one of `num_bins` and "
                             f"`bin_boundaries`. Received: `num_bins={num_bins}` and "
                             f"`bin_boundaries={bin_boundaries}`")
        self.bin_boundaries = None if bin_boundaries is None else list(bin_boundaries)
        self.num_bins, self.epsilon, self.output_mode = num_bins, epsilon, output_mode
        self.sparse = False
        self._summary = None if self.bin_boundaries else np.array([[], []], "float32")

    def adapt(self, data, steps=None):
        """Learn `num_bins - 1` boundaries: the approximate quantiles of all values in `data`
        (an array or tensor, a `tf.data.Dataset` or an iterable of batches)."""
        if self.num_bins is None:
            raise ValueError("Cannot adapt a Discretization layer that has been initialized with "
                             "`bin_boundaries`, use `num_bins` instead.")
        if isinstance(data, (np.ndarray, Tensor, Variable)) or not hasattr(data, "__iter__"):
            batches = [data]
        else:
            batches = itertools.islice(data, steps) if steps is not None else data
        summary = np.array([[], []], "float32")
        for b in batches:
            b = _as_array(_first(b)).astype("float32")
            merged = np.concatenate((_summarize(b, self.epsilon), summary), axis=1)
            summary = _compress(np.take(merged, np.argsort(merged[0]), axis=1), self.epsilon)
        self._summary = summary
        self.bin_boundaries = _compress(summary, 1.0 / self.num_bins)[0, :-1].tolist()

    def call(self, inputs):
        if self.bin_boundaries is None:
            raise ValueError("You need to either pass the `bin_boundaries` argument at "
                             "construction time or call `adapt(dataset)` before you can start "
                             "using the `Discretization` layer.")
        x = inputs if inputs.dtype.is_floating else _m.cast(inputs, "float32")
        bounds = np.asarray(self.bin_boundaries, x.dtype.np)
        # the number of boundaries <= x (np.digitize's index), a comparison per boundary
        idx = _m.reduce_sum(_m.cast(_m.greater_equal(_s.expand_dims(x, -1), bounds), "int32"),
                            -1) if bounds.size else _m.cast(x * 0, "int32")
        return encode_categorical(idx, self.output_mode, len(self.bin_boundaries) + 1,
                                  "int32" if self.output_mode == "int" else self._compute_dtype)

    def get_config(self):
        """Keras 3's config (its own keys: no `trainable`, the dtype as a name)."""
        return {"bin_boundaries": self.bin_boundaries, "num_bins": self.num_bins,
                "epsilon": self.epsilon, "output_mode": self.output_mode, "sparse": False,
                "name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        bounds = config.pop("bin_boundaries", None) if config.get("num_bins") is not None \
            else None
        layer = cls(**config)
        if bounds is not None:   # adapted: both set in the config (Keras 3)
            layer.bin_boundaries = list(bounds)
        return layer
