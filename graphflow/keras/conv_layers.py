"""Keras convolution, pooling and image-shaping layers (Keras 3 defaults: glorot_uniform kernels,
zero biases, padding='valid', channels_last).

>>> import graphflow as tf
>>> from graphflow.keras.conv_layers import Conv2D, MaxPooling2D
>>> conv = Conv2D(4, 3)
>>> conv(tf.ones((2, 8, 8, 1))).shape, conv.count_params()
(TensorShape([2, 6, 6, 4]), 40)
>>> MaxPooling2D()(tf.ones((2, 6, 6, 4))).shape
TensorShape([2, 3, 3, 4])
"""
import re

import numpy as np

from ..ops import conv_ops as _cv, math_ops as _m, shape_ops as _s
from ..tensor import TensorShape
from . import composite_values as _cvals
from . import activations as _act, constraints as _constraints, initializers as _init, \
    regularizers as _reg
from .input_spec import InputSpec
from .layers import Layer, configure_kernel_bias, unique_name
from .layers_extra import Cropping2D, UpSampling2D, ZeroPadding2D  # noqa: F401  (keras.layers)
from .layers_extra import standardize_data_format as _data_format


def _keras_name(cls):
    """Keras' default layer name: 'Conv2D' -> 'conv2d', 'MaxPooling2D' -> 'max_pooling2d'."""
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", cls.__name__)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", s).lower()


def _tuple(v, n, what):
    if isinstance(v, (int, np.integer)):
        return (int(v),) * n
    v = tuple(int(a) for a in v)
    if len(v) != n:
        raise ValueError(f"{what} must be an int or a tuple of {n} ints, got {v}")
    return v



def conv_length(n, k, stride, dilation, padding):
    """Output length of a convolution or pooling window (None stays None).

    >>> conv_length(9, 3, 2, 1, "valid"), conv_length(9, 3, 2, 1, "same")
    (4, 5)
    """
    if n is None:
        return None
    eff = (k - 1) * dilation + 1
    if padding in ("same", "causal"):
        return -(-n // stride)
    return (n - eff) // stride + 1


def deconv_length(n, k, stride, dilation, padding, output_padding=None):
    """Output length of a transposed convolution (Keras' deconv_output_length).

    >>> deconv_length(9, 3, 2, 1, "valid"), deconv_length(9, 4, 2, 1, "same")
    (19, 18)
    """
    if n is None:
        return None
    eff = k + (k - 1) * (dilation - 1)
    if output_padding is None:
        return n * stride + (max(eff - stride, 0) if padding == "valid" else 0)
    pad = eff // 2 if padding == "same" else 0
    return (n - 1) * stride + eff - 2 * pad + output_padding


def _shape_with(input_shape, data_format, spatial, channels):
    """Input shape with its spatial dims and channel count replaced."""
    shape = list(input_shape)
    if data_format == "channels_first":
        return TensorShape([shape[0], channels] + list(spatial))
    return TensorShape([shape[0]] + list(spatial) + [channels])


def _spatial(input_shape, data_format, rank):
    shape = tuple(input_shape)
    return shape[2:2 + rank] if data_format == "channels_first" else shape[1:1 + rank]


def _channels(input_shape, data_format):
    return tuple(input_shape)[1 if data_format == "channels_first" else -1]


def _epilogue(layer, y):
    """Bias, activation and the layer's data format, after any convolution (channels last)."""
    if layer.use_bias:
        y = y + layer.bias
    if layer.activation is not None:   # Keras 3: `layer.activation = None` is linear
        y = layer.activation(y)
    return _cv.from_channels_last(y, layer.data_format)


def _conv_spatial(layer, input_shape, rank):
    """The output's spatial extents of a (non-transposed) convolution layer."""
    return [conv_length(n, k, s, d, layer.padding) for n, k, s, d in
            zip(_spatial(input_shape, layer.data_format, rank), layer.kernel_size,
                layer.strides, layer.dilation_rate)]


def build_weights(layer, bias_size, *kernels):
    """The weight-building step every convolution layer shares: each kernel (weight name =
    attribute, shape, prefix of its `<prefix>_initializer/_regularizer/_constraint` options, or
    (name, shape) for 'kernel') added in order, then with `use_bias` a bias of `bias_size`;
    marks the layer built.

    >>> import graphflow as tf
    >>> layer = tf.keras.layers.Conv2D(4, 3, use_bias=False)
    >>> build_weights(layer, 4, ("kernel", (3, 3, 2, 4)))
    >>> [w.shape for w in layer.weights], layer.bias
    ([TensorShape([3, 3, 2, 4])], None)
    """
    for name, shape, *prefix in kernels:
        opt = prefix[0] if prefix else "kernel"
        setattr(layer, name, layer.add_weight(
            name, tuple(shape), initializer=getattr(layer, f"{opt}_initializer"),
            regularizer=getattr(layer, f"{opt}_regularizer"),
            constraint=getattr(layer, f"{opt}_constraint", None)))
    if layer.use_bias:
        layer.bias = layer.add_weight("bias", (bias_size,), initializer=layer.bias_initializer,
                                      regularizer=layer.bias_regularizer)
    layer.built = True


class _NamedLayer(Layer):
    def __init__(self, name=None, **kwargs):
        super().__init__(name=name or unique_name(_keras_name(type(self))), **kwargs)


# ------------------------------------------------------------------ convolutions
class _Conv(_NamedLayer):
    """Conv1D / Conv2D: `activation(conv(inputs, kernel) + bias)`, kernel (*kernel_size,
    in_channels // groups, filters)."""
    rank = 2

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(**kwargs)
        n = self.rank
        self.filters = int(filters)
        if self.filters <= 0:
            raise ValueError(f"{type(self).__name__}: filters must be positive, got {filters}")
        self.kernel_size = _tuple(kernel_size, n, "kernel_size")
        self.strides = _tuple(strides, n, "strides")
        self.dilation_rate = _tuple(dilation_rate, n, "dilation_rate")
        self.padding = str(padding).lower()
        allowed = ("valid", "same", "causal") if n == 1 else ("valid", "same")
        if self.padding not in allowed:
            raise ValueError(f"{type(self).__name__}: padding must be one of {allowed}, "
                             f"got {padding!r}")
        self.data_format = _data_format(data_format)
        self.groups = int(groups)
        self.input_spec = InputSpec(min_ndim=n + 2)
        if self.groups < 1 or self.filters % self.groups:
            raise ValueError(f"{type(self).__name__}: filters ({filters}) must be divisible by "
                             f"groups ({groups})")
        configure_kernel_bias(self, activation, use_bias, kernel_initializer, bias_initializer,
                              kernel_regularizer, bias_regularizer, activity_regularizer,
                              kernel_constraint, bias_constraint)

    def build(self, input_shape):
        if len(input_shape) != self.rank + 2:
            raise ValueError(f"{type(self).__name__} layer {self.name}: expected inputs of rank "
                             f"{self.rank + 2}, got shape {input_shape}")
        c = _channels(input_shape, self.data_format)
        if c is None:
            raise ValueError(f"{type(self).__name__} layer {self.name}: the channel dimension "
                             f"of the inputs must be known, got shape {input_shape}")
        if c % self.groups:
            raise ValueError(f"{type(self).__name__} layer {self.name}: input channels ({c}) "
                             f"must be divisible by groups ({self.groups})")
        build_weights(self, self.filters,
                      ("kernel", self.kernel_size + (c // self.groups, self.filters)))
        axis = 1 if self.data_format == "channels_first" else -1
        self.input_spec = InputSpec(min_ndim=self.rank + 2, axes={axis: int(c)})

    def _convolve(self, x, kernel):
        if self.rank == 1:
            padding = self.padding.upper()
            if self.padding == "causal":
                left = self.dilation_rate[0] * (self.kernel_size[0] - 1)
                padding = [[0, 0], [left, 0], [0, 0]]
            return _cv.conv1d(x, kernel, self.strides[0], padding,
                              dilations=self.dilation_rate[0])
        return _cv.conv2d(x, kernel, self.strides, self.padding.upper(),
                          dilations=self.dilation_rate)

    def convolution_op(self, inputs, kernel):
        """Keras 3's hook: the convolution alone (no bias, no activation) of `inputs`, in the
        layer's data format, with `kernel`. `call` goes through it, so a subclass may override
        it (e.g. to standardize the kernel) or call it from its own `call`."""
        y = self._convolve(_cv.to_channels_last(inputs, self.data_format), kernel)
        return _cv.from_channels_last(y, self.data_format)

    def call(self, inputs):
        y = self.convolution_op(inputs, self.kernel)
        return _epilogue(self, _cv.to_channels_last(y, self.data_format))

    def compute_output_shape(self, input_shape):
        spatial = _conv_spatial(self, input_shape, self.rank)
        return _shape_with(input_shape, self.data_format, spatial, self.filters)

    def get_config(self):
        return dict(super().get_config(), filters=self.filters, kernel_size=self.kernel_size,
                    strides=self.strides, padding=self.padding, data_format=self.data_format,
                    dilation_rate=self.dilation_rate, groups=self.groups,
                    activation=_act.serialize(self.activation), use_bias=self.use_bias)


class Conv1D(_Conv):
    """1-D convolution over (batch, steps, channels); padding 'valid', 'same' or 'causal'."""
    rank = 1


class Conv2D(_Conv):
    """2-D convolution over (batch, rows, cols, channels)."""
    rank = 2


class DepthwiseConv2D(_NamedLayer):
    """Depthwise 2-D convolution: each input channel convolved with its own
    `depth_multiplier` filters; kernel (kh, kw, channels, depth_multiplier)."""

    def __init__(self, kernel_size, strides=(1, 1), padding="valid", depth_multiplier=1,
                 data_format=None, dilation_rate=(1, 1), activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(**kwargs)
        self.kernel_size = _tuple(kernel_size, 2, "kernel_size")
        self.strides = _tuple(strides, 2, "strides")
        self.dilation_rate = _tuple(dilation_rate, 2, "dilation_rate")
        self.padding = str(padding).lower()
        if self.padding not in ("valid", "same"):
            raise ValueError(f"DepthwiseConv2D: padding must be 'valid' or 'same', got {padding!r}")
        self.depth_multiplier = int(depth_multiplier)
        self.data_format = _data_format(data_format)
        configure_kernel_bias(self, activation, use_bias, depthwise_initializer, bias_initializer,
                              depthwise_regularizer, bias_regularizer, activity_regularizer,
                              depthwise_constraint, bias_constraint, kernel="depthwise")

    def build(self, input_shape):
        if len(input_shape) != 4:
            raise ValueError(f"DepthwiseConv2D layer {self.name}: expected inputs of rank 4, "
                             f"got shape {input_shape}")
        c = _channels(input_shape, self.data_format)
        build_weights(self, c * self.depth_multiplier,
                      ("kernel", self.kernel_size + (c, self.depth_multiplier), "depthwise"))

    def call(self, inputs):
        y = _cv.depthwise_conv2d(_cv.to_channels_last(inputs, self.data_format), self.kernel, self.strides,
                                 self.padding.upper(), dilations=self.dilation_rate)
        return _epilogue(self, y)

    def compute_output_shape(self, input_shape):
        spatial = _conv_spatial(self, input_shape, 2)
        c = _channels(input_shape, self.data_format)
        return _shape_with(input_shape, self.data_format, spatial,
                           None if c is None else c * self.depth_multiplier)

    def get_config(self):
        return dict(super().get_config(), kernel_size=self.kernel_size, strides=self.strides,
                    padding=self.padding, depth_multiplier=self.depth_multiplier,
                    data_format=self.data_format, dilation_rate=self.dilation_rate,
                    activation=_act.serialize(self.activation), use_bias=self.use_bias)


class SeparableConv2D(_NamedLayer):
    """Depthwise convolution then a 1x1 (pointwise) convolution to `filters` channels:
    weights depthwise_kernel (kh, kw, C, M), pointwise_kernel (1, 1, C*M, filters), bias."""

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None,
                 dilation_rate=(1, 1), depth_multiplier=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None, pointwise_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, depthwise_constraint=None,
                 pointwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(**kwargs)
        self.filters = int(filters)
        self.kernel_size = _tuple(kernel_size, 2, "kernel_size")
        self.strides = _tuple(strides, 2, "strides")
        self.dilation_rate = _tuple(dilation_rate, 2, "dilation_rate")
        self.padding = str(padding).lower()
        if self.padding not in ("valid", "same"):
            raise ValueError(f"SeparableConv2D: padding must be 'valid' or 'same', got {padding!r}")
        self.depth_multiplier = int(depth_multiplier)
        self.data_format = _data_format(data_format)
        configure_kernel_bias(self, activation, use_bias, depthwise_initializer, bias_initializer,
                              depthwise_regularizer, bias_regularizer, activity_regularizer,
                              depthwise_constraint, bias_constraint, kernel="depthwise")
        del self.kernel         # (configure_kernel_bias's; this layer has two named kernels)
        self.pointwise_constraint = _constraints.get(pointwise_constraint)
        self.pointwise_initializer = _init.get(pointwise_initializer)
        self.pointwise_regularizer = _reg.get(pointwise_regularizer)
        self.depthwise_kernel = self.pointwise_kernel = None

    def build(self, input_shape):
        if len(input_shape) != 4:
            raise ValueError(f"SeparableConv2D layer {self.name}: expected inputs of rank 4, "
                             f"got shape {input_shape}")
        c = _channels(input_shape, self.data_format)
        m = self.depth_multiplier
        build_weights(self, self.filters,
                      ("depthwise_kernel", self.kernel_size + (c, m), "depthwise"),
                      ("pointwise_kernel", (1, 1, c * m, self.filters), "pointwise"))

    def call(self, inputs):
        y = _cv.separable_conv2d(_cv.to_channels_last(inputs, self.data_format), self.depthwise_kernel,
                                 self.pointwise_kernel, self.strides, self.padding.upper(),
                                 dilations=self.dilation_rate)
        return _epilogue(self, y)

    def compute_output_shape(self, input_shape):
        spatial = _conv_spatial(self, input_shape, 2)
        return _shape_with(input_shape, self.data_format, spatial, self.filters)

    def get_config(self):
        return dict(super().get_config(), filters=self.filters, kernel_size=self.kernel_size,
                    strides=self.strides, padding=self.padding, data_format=self.data_format,
                    dilation_rate=self.dilation_rate, depth_multiplier=self.depth_multiplier,
                    activation=_act.serialize(self.activation), use_bias=self.use_bias)


class Conv2DTranspose(_NamedLayer):
    """Transposed 2-D convolution (the gradient of Conv2D in its input); kernel
    (kh, kw, filters, in_channels); output size as Keras' deconv_output_length."""

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", output_padding=None,
                 data_format=None, dilation_rate=(1, 1), activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(**kwargs)
        self.filters = int(filters)
        self.kernel_size = _tuple(kernel_size, 2, "kernel_size")
        self.strides = _tuple(strides, 2, "strides")
        self.dilation_rate = _tuple(dilation_rate, 2, "dilation_rate")
        self.output_padding = None if output_padding is None else _tuple(output_padding, 2,
                                                                          "output_padding")
        if self.output_padding is not None and any(
                p >= s for p, s in zip(self.output_padding, self.strides)):
            raise ValueError(f"Conv2DTranspose: output_padding {self.output_padding} must be "
                             f"smaller than the strides {self.strides}")
        self.padding = str(padding).lower()
        if self.padding not in ("valid", "same"):
            raise ValueError(f"Conv2DTranspose: padding must be 'valid' or 'same', got {padding!r}")
        self.data_format = _data_format(data_format)
        configure_kernel_bias(self, activation, use_bias, kernel_initializer, bias_initializer,
                              kernel_regularizer, bias_regularizer, activity_regularizer,
                              kernel_constraint, bias_constraint)

    def build(self, input_shape):
        if len(input_shape) != 4:
            raise ValueError(f"Conv2DTranspose layer {self.name}: expected inputs of rank 4, "
                             f"got shape {input_shape}")
        c = _channels(input_shape, self.data_format)
        build_weights(self, self.filters, ("kernel", self.kernel_size + (self.filters, c)))

    def _spatial_out(self, spatial):
        op = self.output_padding or (None, None)
        return [deconv_length(n, k, s, d, self.padding, p) for n, k, s, d, p in
                zip(spatial, self.kernel_size, self.strides, self.dilation_rate, op)]

    def call(self, inputs):
        x = _cv.to_channels_last(inputs, self.data_format)
        h, w = self._spatial_out(tuple(x.shape[1:3]))
        y = _cv.conv2d_transpose(x, self.kernel, (x.shape[0], h, w, self.filters), self.strides,
                                 self.padding.upper(), dilations=self.dilation_rate)
        return _epilogue(self, y)

    def compute_output_shape(self, input_shape):
        spatial = self._spatial_out(_spatial(input_shape, self.data_format, 2))
        return _shape_with(input_shape, self.data_format, spatial, self.filters)

    def get_config(self):
        return dict(super().get_config(), filters=self.filters, kernel_size=self.kernel_size,
                    strides=self.strides, padding=self.padding,
                    output_padding=self.output_padding, data_format=self.data_format,
                    dilation_rate=self.dilation_rate, activation=_act.serialize(self.activation),
                    use_bias=self.use_bias)


# ------------------------------------------------------------------ pooling
class _Pool(_NamedLayer):
    rank = 2
    default_pool = (2, 2)

    def __init__(self, pool_size=None, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**kwargs)
        n = self.rank
        self.pool_size = _tuple(self.default_pool if pool_size is None else pool_size, n,
                                "pool_size")
        self.strides = self.pool_size if strides is None else _tuple(strides, n, "strides")
        self.padding = str(padding).lower()
        if self.padding not in ("valid", "same"):
            raise ValueError(f"{type(self).__name__}: padding must be 'valid' or 'same', "
                             f"got {padding!r}")
        self.data_format = _data_format(data_format)
        self.input_spec = InputSpec(ndim=n + 2)

    def call(self, inputs):
        x = _cv.to_channels_last(inputs, self.data_format)
        if self.rank == 1:
            y = self._pool1d(x, self.pool_size[0], self.strides[0], self.padding.upper())
        else:
            y = self._pool2d(x, self.pool_size, self.strides, self.padding.upper())
        return _cv.from_channels_last(y, self.data_format)

    def compute_output_shape(self, input_shape):
        spatial = [conv_length(n, k, s, 1, self.padding) for n, k, s in
                   zip(_spatial(input_shape, self.data_format, self.rank), self.pool_size,
                       self.strides)]
        return _shape_with(input_shape, self.data_format, spatial,
                           _channels(input_shape, self.data_format))

    def get_config(self):
        return dict(super().get_config(), pool_size=self.pool_size, strides=self.strides,
                    padding=self.padding, data_format=self.data_format)


class MaxPooling1D(_Pool):
    """Max over windows of `pool_size` steps (strides default to pool_size)."""
    rank, default_pool = 1, 2
    _pool1d = staticmethod(_cv.max_pool1d)


class MaxPooling2D(_Pool):
    """Max over (pool_size) windows (strides default to pool_size)."""
    _pool2d = staticmethod(_cv.max_pool2d)


class AveragePooling1D(_Pool):
    """Average over windows of `pool_size` steps ('same': non-padding cells only, as TF)."""
    rank, default_pool = 1, 2
    _pool1d = staticmethod(_cv.avg_pool1d)


class AveragePooling2D(_Pool):
    """Average over (pool_size) windows ('same': non-padding cells only, as TF)."""
    _pool2d = staticmethod(_cv.avg_pool2d)


MaxPool1D, MaxPool2D, AvgPool1D, AvgPool2D = MaxPooling1D, MaxPooling2D, AveragePooling1D, \
    AveragePooling2D


class _GlobalPool(_NamedLayer):
    rank = 2

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = _data_format(data_format)
        self.keepdims = bool(keepdims)

    def _axes(self):
        first = 2 if self.data_format == "channels_first" else 1
        return tuple(range(first, first + self.rank))

    def call(self, inputs):
        if inputs.ndim != self.rank + 2:
            raise ValueError(f"{type(self).__name__} layer {self.name}: expected inputs of rank "
                             f"{self.rank + 2}, got shape {inputs.shape}")
        if _cvals.kind_of(inputs) == "ragged":   # (batch, (steps), ...): each row's steps
            kind = "mean" if self._reduce is _m.reduce_mean else "max"
            return _cvals.ragged_reduce(kind, inputs, self._axes(), self.keepdims)
        return self._reduce(inputs, self._axes(), keepdims=self.keepdims)

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        axes = self._axes()
        if self.keepdims:
            return TensorShape([1 if i in axes else d for i, d in enumerate(shape)])
        return TensorShape([d for i, d in enumerate(shape) if i not in axes])

    def get_config(self):
        return dict(super().get_config(), data_format=self.data_format, keepdims=self.keepdims)


class GlobalAveragePooling1D(_GlobalPool):
    """Mean over the steps axis; with a mask (e.g. from `Embedding(mask_zero=True)`), over the
    kept steps only, as Keras 3 (the output has no mask)."""
    rank = 1
    supports_masking = True
    _reduce = staticmethod(_m.reduce_mean)

    def call(self, inputs, mask=None):
        if mask is None:
            return super().call(inputs)
        steps = self._axes()[0]
        m = _s.expand_dims(_m.cast(mask, inputs.dtype), 2 if steps == 1 else 1)
        return (_m.reduce_sum(inputs * m, steps, keepdims=self.keepdims)
                / _m.reduce_sum(m, steps, keepdims=self.keepdims))

    def compute_mask(self, inputs, mask=None):
        return None


class GlobalAveragePooling2D(_GlobalPool):
    """Mean over the two spatial axes."""
    _reduce = staticmethod(_m.reduce_mean)


class GlobalMaxPooling1D(_GlobalPool):
    """Max over the steps axis."""
    rank = 1
    _reduce = staticmethod(_m.reduce_max)


class GlobalMaxPooling2D(_GlobalPool):
    """Max over the two spatial axes."""
    _reduce = staticmethod(_m.reduce_max)


GlobalAvgPool1D, GlobalAvgPool2D, GlobalMaxPool1D, GlobalMaxPool2D = (
    GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalMaxPooling1D, GlobalMaxPooling2D)


# ------------------------------------------------------------------ shaping
# ZeroPadding2D, Cropping2D and UpSampling2D: the rank-N layers of layers_extra (imported above)


class Rescaling(_NamedLayer):
    """inputs * scale + offset (e.g. Rescaling(1 / 255) for images), in the layer's dtype."""
    supports_masking = True

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        self.scale, self.offset = scale, offset

    def call(self, inputs):
        x = inputs if inputs.dtype == self.dtype else _m.cast(inputs, self.dtype)
        return x * self.scale + self.offset

    def compute_output_shape(self, input_shape):
        return TensorShape(input_shape)

    def get_config(self):
        return dict(super().get_config(), scale=self.scale, offset=self.offset)
