"""More Keras 3 convolution and pooling layers: Conv1DTranspose, DepthwiseConv1D,
SeparableConv1D (the 2-D ops on a height-1 image), Conv3D and Conv3DTranspose (one 2-D
convolution per depth tap of the kernel, summed - so values, gradients and the numba kernels
are the 2-D ones; `tf.nn.conv3d` of ops/conv3d_ops.py), MaxPooling3D / AveragePooling3D
(2-D pooling, then the depth windows: `tf.nn.max_pool3d` / `avg_pool3d`) and
the global 3-D poolings. Weight shapes, names, defaults and configs follow Keras 3.

>>> import graphflow as tf
>>> conv = tf.keras.layers.Conv3D(4, 3)
>>> conv(tf.ones((2, 5, 6, 7, 3))).shape, conv.count_params()
(TensorShape([2, 3, 4, 5, 4]), 328)
>>> tf.keras.layers.MaxPooling3D()(tf.ones((1, 4, 4, 4, 2))).shape
TensorShape([1, 2, 2, 2, 2])
"""
import numpy as np

from ..ops import conv_ops as _cv, conv3d_ops as _c3, math_ops as _m, shape_ops as _s
from ..tensor import TensorShape
from . import activations as _act, constraints as _constraints, initializers as _init, \
    regularizers as _reg
from .conv_layers import build_weights, conv_length, deconv_length
from .layers import Layer, configure_kernel_bias, keras_object_config, unique_name
from .layers_extra import standardize_data_format, standardize_tuple


def _static(n, layer, what):
    if not isinstance(n, (int, np.integer)):
        raise ValueError(f"{type(layer).__name__} layer {layer.name}: the {what} of the input must "
                         f"be known, got {n}")
    return int(n)


def conv3d(x, kernel, strides, padding, dilations):
    """3-D convolution of an NDHWC input with a (kd, kh, kw, C/groups, F) kernel ('valid' or
    'same' as TF): `tf.nn.conv3d` (one conv2d per depth tap, summed).

    >>> import graphflow as tf
    >>> conv3d(tf.ones((1, 3, 3, 3, 1)), tf.ones((3, 3, 3, 1, 1)), (1, 1, 1), "valid",
    ...        (1, 1, 1)).numpy().ravel().tolist()
    [27.0]
    """
    return _c3.conv3d(x, kernel, strides, padding.upper(), dilations=dilations)


def conv3d_transpose(x, kernel, out_spatial, strides, padding, dilations):
    """The transpose of `conv3d` in its input: NDHWC input, (kd, kh, kw, F, C) kernel, output
    spatial size `out_spatial` (`tf.nn.conv3d_transpose`)."""
    out = (x.shape[0],) + tuple(out_spatial) + (kernel.shape[3],)
    return _c3.conv3d_transpose(x, kernel, out, strides, padding.upper(), dilations=dilations)


def _kernel_bias_config(layer, kernel="kernel"):
    obj = keras_object_config
    return {f"{kernel}_initializer": obj(getattr(layer, f"{kernel}_initializer"),
                                         "keras.initializers"),
            "bias_initializer": obj(layer.bias_initializer, "keras.initializers"),
            f"{kernel}_regularizer": obj(getattr(layer, f"{kernel}_regularizer"),
                                         "keras.regularizers"),
            "bias_regularizer": obj(layer.bias_regularizer, "keras.regularizers"),
            "activity_regularizer": obj(layer.activity_regularizer, "keras.regularizers"),
            f"{kernel}_constraint": None, "bias_constraint": None}


class _ConvBase(Layer):
    """The shared options of the layers here: kernel_size / strides / dilation_rate of
    `rank` entries, padding, data_format and Keras's default name."""
    rank = 1
    keras_name = "conv"
    paddings = ("valid", "same")

    def __init__(self, kernel_size, strides, padding, data_format, dilation_rate, name=None,
                 **kwargs):
        super().__init__(name=name or unique_name(self.keras_name), **kwargs)
        n = self.rank
        self.kernel_size = standardize_tuple(kernel_size, n, "kernel_size")
        self.strides = standardize_tuple(strides, n, "strides")
        self.dilation_rate = standardize_tuple(dilation_rate, n, "dilation_rate")
        self.padding = str(padding).lower()
        if self.padding not in self.paddings:
            raise ValueError(f"{type(self).__name__}: padding must be one of {self.paddings}, "
                             f"got {padding!r}")
        self.data_format = standardize_data_format(data_format)

    def _channels(self, input_shape):
        s = tuple(input_shape)
        if len(s) != self.rank + 2:
            raise ValueError(f"{type(self).__name__} layer {self.name}: expected inputs of rank "
                             f"{self.rank + 2}, got shape {input_shape}")
        c = s[1 if self.data_format == "channels_first" else -1]
        if c is None:
            raise ValueError(f"{type(self).__name__} layer {self.name}: the channel dimension "
                             f"of the inputs must be known, got shape {input_shape}")
        return c

    def _spatial(self, input_shape):
        s = tuple(input_shape)
        return s[2:] if self.data_format == "channels_first" else s[1:-1]

    def _out_spatial(self, spatial):
        return [conv_length(n, k, s, d, self.padding) for n, k, s, d in
                zip(spatial, self.kernel_size, self.strides, self.dilation_rate)]

    def _out_channels(self, c):
        return self.filters

    def compute_output_shape(self, input_shape):
        s = tuple(input_shape)
        spatial = self._out_spatial(self._spatial(s))
        c = self._out_channels(s[1 if self.data_format == "channels_first" else -1])
        return TensorShape([s[0], c] + spatial if self.data_format == "channels_first"
                           else [s[0]] + spatial + [c])

    def call(self, inputs):
        y = self._forward(_cv.to_channels_last(inputs, self.data_format))
        if self.use_bias:
            y = y + self.bias
        if self.activation is not None:   # Keras 3: `layer.activation = None` is linear
            y = self.activation(y)
        return _cv.from_channels_last(y, self.data_format)

    def get_config(self):
        return dict(super().get_config(), kernel_size=self.kernel_size, strides=self.strides,
                    padding=self.padding, data_format=self.data_format,
                    dilation_rate=self.dilation_rate, activation=_act.serialize(self.activation),
                    use_bias=self.use_bias)


class _Kernel(_ConvBase):
    """One `kernel` and a bias (Conv3D and the transposed convolutions)."""
    transpose = False

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, output_padding=None, **kwargs):
        super().__init__(kernel_size, strides, padding, data_format, dilation_rate, **kwargs)
        # groups / output_padding: only a convolution's / a transpose's constructor argument
        # (private, so that saving does not give a layer the other's)
        self.filters, self._groups = int(filters), int(groups)
        if self.filters <= 0 or self.groups < 1 or self.filters % self.groups:
            raise ValueError(f"{type(self).__name__}: filters ({filters}) must be positive and "
                             f"divisible by groups ({groups})")
        self._output_padding = None if output_padding is None else standardize_tuple(
            output_padding, self.rank, "output_padding", allow_zero=True)
        if self.output_padding is not None and any(
                p >= s for p, s in zip(self.output_padding, self.strides)):
            raise ValueError(f"{type(self).__name__}: output_padding {self.output_padding} must "
                             f"be smaller than the strides {self.strides}")
        configure_kernel_bias(self, activation, use_bias, kernel_initializer, bias_initializer,
                              kernel_regularizer, bias_regularizer, activity_regularizer,
                              kernel_constraint, bias_constraint)

    @property
    def groups(self):
        return self._groups

    @property
    def output_padding(self):
        return self._output_padding

    def build(self, input_shape):
        c = self._channels(input_shape)
        if c % self.groups:
            raise ValueError(f"{type(self).__name__} layer {self.name}: input channels ({c}) "
                             f"must be divisible by groups ({self.groups})")
        shape = self.kernel_size + ((self.filters, c) if self.transpose
                                    else (c // self.groups, self.filters))
        build_weights(self, self.filters, ("kernel", shape))

    def _out_spatial(self, spatial):
        if not self.transpose:
            return super()._out_spatial(spatial)
        op = self.output_padding or (None,) * self.rank
        return [deconv_length(n, k, s, d, self.padding, p) for n, k, s, d, p in
                zip(spatial, self.kernel_size, self.strides, self.dilation_rate, op)]

    def get_config(self):
        cfg = dict(super().get_config(), filters=self.filters, **_kernel_bias_config(self))
        if self.transpose:
            cfg["output_padding"] = self.output_padding
        else:
            cfg["groups"] = self.groups
        return cfg


class Conv3D(_Kernel):
    """3-D convolution over (batch, depth, rows, cols, channels); kernel
    (kd, kh, kw, channels // groups, filters)."""
    rank, keras_name = 3, "conv3d"

    def __init__(self, filters, kernel_size, strides=(1, 1, 1), padding="valid",
                 data_format=None, dilation_rate=(1, 1, 1), groups=1, activation=None,
                 use_bias=True, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate,
                         groups, activation, use_bias, kernel_initializer, bias_initializer,
                         kernel_regularizer, bias_regularizer, activity_regularizer,
                         kernel_constraint, bias_constraint, **kwargs)

    def _forward(self, x):
        x = self.convolution_op(_cv.from_channels_last(x, self.data_format), self.kernel)
        return _cv.to_channels_last(x, self.data_format)

    def convolution_op(self, inputs, kernel):
        """Keras 3's hook (as Conv2D's): the convolution alone of `inputs` (in the layer's
        data format) with `kernel`; a subclass may override it."""
        x = _cv.to_channels_last(inputs, self.data_format)
        _static(x.shape[1], self, "depth")
        y = conv3d(x, kernel, self.strides, self.padding, self.dilation_rate)
        return _cv.from_channels_last(y, self.data_format)


class Conv3DTranspose(_Kernel):
    """Transposed 3-D convolution; kernel (kd, kh, kw, filters, channels); output sizes as
    Keras's."""
    rank, keras_name, transpose = 3, "conv3d_transpose", True

    def __init__(self, filters, kernel_size, strides=(1, 1, 1), padding="valid",
                 data_format=None, dilation_rate=(1, 1, 1), activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, output_padding=None, **kwargs):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate, 1,
                         activation, use_bias, kernel_initializer, bias_initializer,
                         kernel_regularizer, bias_regularizer, activity_regularizer,
                         kernel_constraint, bias_constraint, output_padding, **kwargs)

    def _forward(self, x):
        _static(x.shape[1], self, "depth")
        out = self._out_spatial(tuple(x.shape[1:4]))
        return conv3d_transpose(x, self.kernel, out, self.strides, self.padding,
                                self.dilation_rate)


class Conv1DTranspose(_Kernel):
    """Transposed 1-D convolution over (batch, steps, channels); kernel (k, filters,
    channels)."""
    rank, keras_name, transpose = 1, "conv1d_transpose", True

    def __init__(self, filters, kernel_size, strides=1, padding="valid", output_padding=None,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate, 1,
                         activation, use_bias, kernel_initializer, bias_initializer,
                         kernel_regularizer, bias_regularizer, activity_regularizer,
                         kernel_constraint, bias_constraint, output_padding, **kwargs)

    def _forward(self, x):
        (w,) = self._out_spatial((x.shape[1],))
        y = _cv.conv2d_transpose(_s.expand_dims(x, 1), _s.expand_dims(self.kernel, 0),
                                 (x.shape[0], 1, w, self.filters), (1, self.strides[0]),
                                 self.padding.upper(), dilations=(1, self.dilation_rate[0]))
        return _s.squeeze(y, 1)


class DepthwiseConv1D(_ConvBase):
    """Depthwise 1-D convolution: each input channel convolved with its own
    `depth_multiplier` filters; kernel (k, channels, depth_multiplier)."""
    keras_name = "depthwise_conv1d"

    def __init__(self, kernel_size, strides=1, padding="valid", depth_multiplier=1,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(kernel_size, strides, padding, data_format, dilation_rate, **kwargs)
        self.depth_multiplier = int(depth_multiplier)
        configure_kernel_bias(self, activation, use_bias, depthwise_initializer, bias_initializer,
                              depthwise_regularizer, bias_regularizer, activity_regularizer,
                              depthwise_constraint, bias_constraint, kernel="depthwise")

    def build(self, input_shape):
        c = self._channels(input_shape)
        build_weights(self, c * self.depth_multiplier,
                      ("kernel", self.kernel_size + (c, self.depth_multiplier), "depthwise"))

    def _out_channels(self, c):
        return None if c is None else c * self.depth_multiplier

    def _forward(self, x):
        y = _cv.depthwise_conv2d(_s.expand_dims(x, 1), _s.expand_dims(self.kernel, 0),
                                 (1, self.strides[0]), self.padding.upper(),
                                 dilations=(1, self.dilation_rate[0]))
        return _s.squeeze(y, 1)

    def get_config(self):
        return dict(super().get_config(), depth_multiplier=self.depth_multiplier,
                    **_kernel_bias_config(self, "depthwise"))


class SeparableConv1D(_ConvBase):
    """Depthwise 1-D convolution then a pointwise (1x1) one to `filters` channels: weights
    depthwise_kernel (k, C, M), pointwise_kernel (1, C*M, filters), bias."""
    keras_name = "separable_conv1d"

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, depth_multiplier=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None, pointwise_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, depthwise_constraint=None,
                 pointwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(kernel_size, strides, padding, data_format, dilation_rate, **kwargs)
        self.filters, self.depth_multiplier = int(filters), int(depth_multiplier)
        self.pointwise_constraint = _constraints.get(pointwise_constraint)   # add_weight applies it
        configure_kernel_bias(self, activation, use_bias, depthwise_initializer, bias_initializer,
                              depthwise_regularizer, bias_regularizer, activity_regularizer,
                              depthwise_constraint, bias_constraint, kernel="depthwise")
        self.pointwise_initializer = _init.get(pointwise_initializer)
        self.pointwise_regularizer = _reg.get(pointwise_regularizer)

    def build(self, input_shape):
        c, m = self._channels(input_shape), self.depth_multiplier
        build_weights(self, self.filters,
                      ("depthwise_kernel", self.kernel_size + (c, m), "depthwise"),
                      ("pointwise_kernel", (1, c * m, self.filters), "pointwise"))

    def _forward(self, x):
        y = _cv.separable_conv2d(_s.expand_dims(x, 1), _s.expand_dims(self.depthwise_kernel, 0),
                                 _s.expand_dims(self.pointwise_kernel, 0), (1, self.strides[0]),
                                 self.padding.upper(), dilations=(1, self.dilation_rate[0]))
        return _s.squeeze(y, 1)

    def get_config(self):
        cfg = dict(super().get_config(), filters=self.filters,
                   depth_multiplier=self.depth_multiplier,
                   **_kernel_bias_config(self, "depthwise"))
        cfg.update(pointwise_initializer=keras_object_config(self.pointwise_initializer,
                                                             "keras.initializers"),
                   pointwise_regularizer=keras_object_config(self.pointwise_regularizer,
                                                             "keras.regularizers"),
                   pointwise_constraint=keras_object_config(self.pointwise_constraint,
                                                            "keras.constraints"))
        return cfg


# ------------------------------------------------------------------ 3-D pooling
class _Pool3D(Layer):
    keras_name = "pooling3d"

    def __init__(self, pool_size=(2, 2, 2), strides=None, padding="valid", data_format=None,
                 name=None, **kwargs):
        super().__init__(name=name or unique_name(self.keras_name), **kwargs)
        self.pool_size = standardize_tuple(pool_size, 3, "pool_size")
        self.strides = self.pool_size if strides is None else standardize_tuple(strides, 3,
                                                                                "strides")
        self.padding = str(padding).lower()
        if self.padding not in ("valid", "same"):
            raise ValueError(f"{type(self).__name__}: padding must be 'valid' or 'same', "
                             f"got {padding!r}")
        self.data_format = standardize_data_format(data_format)

    def call(self, inputs):
        x = _cv.to_channels_last(inputs, self.data_format)
        if x.ndim != 5:
            raise ValueError(f"{type(self).__name__} layer {self.name}: expected inputs of rank "
                             f"5, got shape {tuple(x.shape)}")
        _static(x.shape[1], self, "depth")
        pads = _c3.axis_pads(self.padding.upper(), tuple(x.shape[1:4]), self.pool_size,
                             self.strides, (1, 1, 1), self.keras_name)
        return _cv.from_channels_last(_c3.pool3d_nd(x, self.kind, self.pool_size, self.strides,
                                                    pads), self.data_format)

    def compute_output_shape(self, input_shape):
        sh = tuple(input_shape)
        first = self.data_format == "channels_first"
        spatial = [conv_length(n, k, s, 1, self.padding) for n, k, s in
                   zip(sh[2:] if first else sh[1:-1], self.pool_size, self.strides)]
        return TensorShape([sh[0], sh[1]] + spatial if first else [sh[0]] + spatial + [sh[-1]])

    def get_config(self):
        return dict(super().get_config(), pool_size=self.pool_size, strides=self.strides,
                    padding=self.padding, data_format=self.data_format)


class MaxPooling3D(_Pool3D):
    """Max over (pool_size) windows of a 5-D input (strides default to pool_size)."""
    keras_name, kind = "max_pooling3d", "MAX"


class AveragePooling3D(_Pool3D):
    """Average over (pool_size) windows of a 5-D input ('same': non-padding cells only)."""
    keras_name, kind = "average_pooling3d", "AVG"


class _GlobalPool3D(Layer):
    keras_name = "global_pooling3d"

    def __init__(self, data_format=None, keepdims=False, name=None, **kwargs):
        super().__init__(name=name or unique_name(self.keras_name), **kwargs)
        self.data_format = standardize_data_format(data_format)
        self.keepdims = bool(keepdims)

    def _axes(self):
        return [2, 3, 4] if self.data_format == "channels_first" else [1, 2, 3]

    def call(self, inputs):
        if inputs.ndim != 5:
            raise ValueError(f"{type(self).__name__} layer {self.name}: expected inputs of rank "
                             f"5, got shape {tuple(inputs.shape)}")
        return self._reduce(inputs, axis=self._axes(), keepdims=self.keepdims)

    def compute_output_shape(self, input_shape):
        s = list(input_shape)
        if self.keepdims:
            return TensorShape([1 if a in self._axes() else d for a, d in enumerate(s)])
        return TensorShape([d for a, d in enumerate(s) if a not in self._axes()])

    def get_config(self):
        return dict(super().get_config(), data_format=self.data_format, keepdims=self.keepdims)


class GlobalAveragePooling3D(_GlobalPool3D):
    """Mean over the three spatial axes."""
    keras_name = "global_average_pooling3d"
    _reduce = staticmethod(_m.reduce_mean)


class GlobalMaxPooling3D(_GlobalPool3D):
    """Max over the three spatial axes."""
    keras_name = "global_max_pooling3d"
    _reduce = staticmethod(_m.reduce_max)


MaxPool3D, AvgPool3D = MaxPooling3D, AveragePooling3D
GlobalAvgPool3D, GlobalMaxPool3D = GlobalAveragePooling3D, GlobalMaxPooling3D


# ------------------------------------------------------------------ convolutional LSTM
class _ConvLSTM(Layer):
    """ConvLSTM1D/2D/3D (Keras 3): an LSTM whose input and recurrent transformations are
    convolutions. Gates i, f, c, o (Keras's order) from conv(x_t, kernel) + bias (strides,
    padding, dilation of the layer) + conv(h, recurrent_kernel) (stride 1, 'same'); weights
    kernel (*k, C, 4F), recurrent_kernel (*k, F, 4F), bias (4F; unit_forget_bias puts ones in
    the forget gate's). The time loop is unrolled (static sequence length)."""
    rank = 2
    keras_name = "conv_lstm"

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, activation="tanh", recurrent_activation="sigmoid",
                 use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, zero_output_for_mask=False,
                 name=None, **kwargs):
        super().__init__(name=name or unique_name(self.keras_name), **kwargs)
        self.unroll, self.zero_output_for_mask = bool(unroll), bool(zero_output_for_mask)
        if dropout or recurrent_dropout or stateful:
            raise NotImplementedError(f"{type(self).__name__}: dropout, recurrent_dropout and "
                                      "stateful are not supported")
        self.recurrent_constraint = _constraints.get(recurrent_constraint)   # add_weight applies it
        n = self.rank
        self.filters = int(filters)
        self.kernel_size = standardize_tuple(kernel_size, n, "kernel_size")
        self.strides = standardize_tuple(strides, n, "strides")
        self.dilation_rate = standardize_tuple(dilation_rate, n, "dilation_rate")
        self.padding = str(padding).lower()
        if self.padding not in ("valid", "same"):
            raise ValueError(f"{type(self).__name__}: padding must be 'valid' or 'same', "
                             f"got {padding!r}")
        self.data_format = standardize_data_format(data_format)
        configure_kernel_bias(self, activation, use_bias, kernel_initializer, bias_initializer,
                              kernel_regularizer, bias_regularizer, activity_regularizer,
                              kernel_constraint, bias_constraint)
        self.recurrent_activation = _act.get(recurrent_activation)
        self.recurrent_initializer = _init.get(recurrent_initializer)
        self.recurrent_regularizer = _reg.get(recurrent_regularizer)
        self.unit_forget_bias = bool(unit_forget_bias)
        self.dropout, self.recurrent_dropout, self.seed = 0.0, 0.0, seed
        self.return_sequences, self.return_state = bool(return_sequences), bool(return_state)
        self.go_backwards, self.stateful = bool(go_backwards), False

    def build(self, input_shape):
        s = tuple(input_shape)
        if len(s) != self.rank + 3:
            raise ValueError(f"{type(self).__name__} layer {self.name}: expected inputs of rank "
                             f"{self.rank + 3} (batch, time, ...), got shape {input_shape}")
        c = s[2] if self.data_format == "channels_first" else s[-1]
        spatial = s[3:] if self.data_format == "channels_first" else s[2:-1]
        if c is None or None in spatial:
            raise ValueError("ConvLSTM layers only support static input shapes for the spatial "
                             f"and channel dimensions. Received input_shape={input_shape}")
        f = self.filters
        self.kernel = self.add_weight("kernel", self.kernel_size + (c, 4 * f),
                                      initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer)
        self.recurrent_kernel = self.add_weight("recurrent_kernel", self.kernel_size + (f, 4 * f),
                                                initializer=self.recurrent_initializer,
                                                regularizer=self.recurrent_regularizer,
                                                constraint=self.recurrent_constraint)
        if self.use_bias:
            init = self.bias_initializer
            if self.unit_forget_bias:
                base = init

                def init(shape, dtype=None):   # noqa: F811 - Keras's unit-forget bias
                    return np.concatenate([np.asarray(base((f,), dtype=dtype)), np.ones(f),
                                           np.asarray(base((2 * f,), dtype=dtype))]).astype(
                                               getattr(dtype, "np", "float32"))
            self.bias = self.add_weight("bias", (4 * f,), initializer=init,
                                        regularizer=self.bias_regularizer)
        self.built = True

    def _conv(self, x, w, strides, padding, dilations):
        if self.rank == 1:
            return _cv.conv1d(x, w, strides[0], padding.upper(), dilations=dilations[0])
        if self.rank == 2:
            return _cv.conv2d(x, w, strides, padding.upper(), dilations=dilations)
        return conv3d(x, w, strides, padding, dilations)

    def call(self, inputs, initial_state=None, mask=None, training=None):
        if mask is not None:
            raise NotImplementedError(f"{type(self).__name__}: masks are not supported")
        x = inputs
        if self.data_format == "channels_first":   # (N, T, C, ...) -> (N, T, ..., C)
            x = _s.transpose(x, (0, 1) + tuple(range(3, x.ndim)) + (2,))
        t = _static(x.shape[1], self, "number of timesteps")
        f = self.filters
        ks = _s.split(self.kernel, 4, axis=self.rank + 1)
        rks = _s.split(self.recurrent_kernel, 4, axis=self.rank + 1)
        bs = _s.split(self.bias, 4) if self.use_bias else [None] * 4
        ones = (1,) * self.rank
        h = c = None
        if initial_state is not None:
            h, c = [_cv.to_channels_last(v, self.data_format) for v in initial_state]
        outputs = []
        for step in (range(t - 1, -1, -1) if self.go_backwards else range(t)):
            xt = x[:, step]
            gates = []
            for g in range(4):
                z = self._conv(xt, ks[g], self.strides, self.padding, self.dilation_rate)
                if bs[g] is not None:
                    z = z + bs[g]
                if h is not None:
                    z = z + self._conv(h, rks[g], ones, "same", ones)
                gates.append(z)
            i = self.recurrent_activation(gates[0])
            fg = self.recurrent_activation(gates[1])
            cand = i * self.activation(gates[2])
            c = cand if c is None else fg * c + cand
            h = self.recurrent_activation(gates[3]) * self.activation(c)
            outputs.append(h)
        out = _s.stack(outputs, axis=1) if self.return_sequences else h
        if self.data_format == "channels_first":
            out = _s.transpose(out, (0, 1, out.ndim - 1) + tuple(range(2, out.ndim - 1))) \
                if self.return_sequences else _cv.from_channels_last(out, self.data_format)
        if self.return_state:
            return [out, _cv.from_channels_last(h, self.data_format), _cv.from_channels_last(c, self.data_format)]
        return out

    def compute_output_shape(self, input_shape):
        s = tuple(input_shape)
        first = self.data_format == "channels_first"
        spatial = [conv_length(n, k, st, d, self.padding) for n, k, st, d in
                   zip(s[3:] if first else s[2:-1], self.kernel_size, self.strides,
                       self.dilation_rate)]
        step = [self.filters] + spatial if first else spatial + [self.filters]
        out = TensorShape([s[0], s[1]] + step if self.return_sequences else [s[0]] + step)
        if self.return_state:
            state = TensorShape([s[0]] + step)
            return [out, state, state]
        return out

    def get_config(self):
        obj = keras_object_config
        return dict(super().get_config(), filters=self.filters, kernel_size=self.kernel_size,
                    strides=self.strides, padding=self.padding, data_format=self.data_format,
                    dilation_rate=self.dilation_rate, activation=_act.serialize(self.activation),
                    recurrent_activation=_act.serialize(self.recurrent_activation),
                    use_bias=self.use_bias, unit_forget_bias=self.unit_forget_bias,
                    recurrent_initializer=obj(self.recurrent_initializer, "keras.initializers"),
                    recurrent_regularizer=obj(self.recurrent_regularizer, "keras.regularizers"),
                    recurrent_constraint=obj(self.recurrent_constraint, "keras.constraints"),
                    dropout=self.dropout,
                    recurrent_dropout=self.recurrent_dropout, seed=self.seed,
                    return_sequences=self.return_sequences, return_state=self.return_state,
                    go_backwards=self.go_backwards, stateful=self.stateful, unroll=self.unroll,
                    zero_output_for_mask=self.zero_output_for_mask, **_kernel_bias_config(self))


class ConvLSTM1D(_ConvLSTM):
    """Convolutional LSTM over (batch, time, steps, channels)."""
    rank, keras_name = 1, "conv_lstm1d"


class ConvLSTM2D(_ConvLSTM):
    """Convolutional LSTM over (batch, time, rows, cols, channels).

    >>> import graphflow as tf
    >>> layer = tf.keras.layers.ConvLSTM2D(4, 3, padding="same", return_sequences=True)
    >>> layer(tf.ones((2, 3, 5, 5, 1))).shape, layer.count_params()
    (TensorShape([2, 3, 5, 5, 4]), 736)
    """
    rank, keras_name = 2, "conv_lstm2d"


class ConvLSTM3D(_ConvLSTM):
    """Convolutional LSTM over (batch, time, depth, rows, cols, channels)."""
    rank, keras_name = 3, "conv_lstm3d"
