"""Keras 3 layers added after the first breadth pass: the `Convolution*` / `SeparableConvolution*`
aliases, RMSNormalization, SpatialDropout3D, adaptive average / max pooling (1-D, 2-D, 3-D;
PyTorch-style bins, as Keras 3), Pipeline and ReversibleEmbedding. Constructor signatures,
defaults, configs and weight shapes follow Keras 3.15.

>>> import numpy as np, graphflow as tf
>>> x = tf.constant(np.arange(7.0, dtype="float32").reshape(1, 7, 1))
>>> tf.keras.layers.AdaptiveAveragePooling1D(3)(x).numpy().ravel().tolist()   # bins [0,3) [2,5) [4,7)
[1.0, 3.0, 5.0]
>>> tf.keras.layers.Convolution2D is tf.keras.layers.Conv2D
True
"""
from ..ops import math_ops as _m, shape_ops as _s
from ..tensor import TensorShape
from .conv_extra import Conv1DTranspose, Conv3D, Conv3DTranspose, SeparableConv1D
from .conv_layers import Conv1D, Conv2D, Conv2DTranspose, SeparableConv2D
from .layers import Dropout, Embedding, Layer, deserialize, serialize, unique_name
from .layers_extra import standardize_data_format, standardize_tuple

# Keras 3's alias names: the same classes
Convolution1D, Convolution2D, Convolution3D = Conv1D, Conv2D, Conv3D
Convolution1DTranspose, Convolution2DTranspose = Conv1DTranspose, Conv2DTranspose
Convolution3DTranspose = Conv3DTranspose
SeparableConvolution1D, SeparableConvolution2D = SeparableConv1D, SeparableConv2D


class RMSNormalization(Layer):
    """Root-mean-square normalization (Keras 3): `x * rsqrt(mean(x^2, axis) + epsilon) * scale`
    with a learned `scale` (ones at first) over `axis`.

    >>> import graphflow as tf
    >>> layer = tf.keras.layers.RMSNormalization()
    >>> [round(float(v), 4) for v in layer(tf.constant([[3., 4.]])).numpy()[0]], layer.count_params()
    ([0.8485, 1.1314], 2)
    """

    def __init__(self, axis=-1, epsilon=1e-6, **kwargs):
        super().__init__(**kwargs)
        self.axis, self.epsilon = axis, float(epsilon)

    def _axes(self, rank):
        axes = [self.axis] if isinstance(self.axis, int) else list(self.axis)
        return sorted(int(a) % rank for a in axes)

    def build(self, input_shape):
        shape = tuple(input_shape)
        dims = tuple(shape[a] for a in self._axes(len(shape)))
        if any(d is None for d in dims):
            raise ValueError(f"RMSNormalization layer {self.name}: the normalized axes must be "
                             f"known, got input shape {shape}")
        self.scale = self.add_weight("scale", dims, initializer="ones")
        self.built = True

    def call(self, inputs):
        axes = self._axes(inputs.ndim)
        inv = _m.rsqrt(_m.reduce_mean(_m.square(inputs), axis=axes, keepdims=True)
                       + self.epsilon)
        bshape = [inputs.shape[a] if a in axes else 1 for a in range(inputs.ndim)]
        return inputs * inv * _s.reshape(self.scale, bshape)

    def compute_output_shape(self, input_shape):
        return TensorShape(input_shape)

    def get_config(self):
        axis = [self.axis] if isinstance(self.axis, int) else list(self.axis)
        return dict(super().get_config(), axis=axis, epsilon=self.epsilon)


class SpatialDropout3D(Dropout):
    """Dropout of whole 3-D feature maps: one keep/drop draw per example and channel (noise
    shape (batch, 1, 1, 1, channels), or (batch, channels, 1, 1, 1) for channels_first), only
    when training.

    >>> import graphflow as tf
    >>> layer = tf.keras.layers.SpatialDropout3D(0.5, seed=3)
    >>> y = layer(tf.ones((2, 2, 2, 2, 3)), training=True).numpy()
    >>> bool(((y == 0) | (y == 2)).all() and (y.min(axis=(1, 2, 3)) == y.max(axis=(1, 2, 3))).all())
    True
    """

    def __init__(self, rate, data_format=None, seed=None, name=None, dtype=None):
        super().__init__(rate, seed=seed, name=name or unique_name("spatial_dropout3d"),
                         dtype=dtype)
        self.data_format = standardize_data_format(data_format)

    def call(self, inputs, training=None):
        if inputs.ndim != 5:
            raise ValueError(f"SpatialDropout3D layer {self.name}: expected inputs of rank 5, "
                             f"got shape {tuple(inputs.shape)}")
        n = inputs.shape[0]
        self.noise_shape = ((n, inputs.shape[1], 1, 1, 1)
                            if self.data_format == "channels_first"
                            else (n, 1, 1, 1, inputs.shape[4]))
        return super().call(inputs, training=training)

    def compute_output_shape(self, input_shape):
        return TensorShape(input_shape)

    def get_config(self):
        return dict(super().get_config(), data_format=self.data_format)


# ------------------------------------------------------------------ adaptive pooling
def adaptive_bins(length, size):
    """PyTorch / Keras 3 adaptive-pooling bins: bin i covers [floor(i*L/n), ceil((i+1)*L/n)).

    >>> adaptive_bins(7, 3)
    [(0, 3), (2, 5), (4, 7)]
    """
    return [(i * length // size, -(-(i + 1) * length // size)) for i in range(size)]


class _AdaptivePooling(Layer):
    rank, keras_name, reduce = None, None, None

    def __init__(self, output_size, data_format=None, **kwargs):
        kwargs.setdefault("name", unique_name(self.keras_name))
        super().__init__(**kwargs)
        self.output_size = standardize_tuple(output_size, self.rank, "output_size")
        self.data_format = standardize_data_format(data_format)

    def _spatial(self, ndim):
        return list(range(2, ndim)) if self.data_format == "channels_first" else \
            list(range(1, ndim - 1))

    def call(self, inputs):
        if inputs.ndim != self.rank + 2:
            raise ValueError(f"{type(self).__name__} layer {self.name}: expected inputs of rank "
                             f"{self.rank + 2}, got shape {tuple(inputs.shape)}")
        x = inputs
        for axis, size in zip(self._spatial(inputs.ndim), self.output_size):
            length = x.shape[axis]
            if length is None or not isinstance(length, int):
                raise ValueError(f"{type(self).__name__} layer {self.name}: spatial dims must be "
                                 f"known, got input shape {tuple(inputs.shape)}")
            pieces = []
            for lo, hi in adaptive_bins(length, size):
                idx = [slice(None)] * x.ndim
                idx[axis] = slice(lo, hi)
                pieces.append(self.reduce(x[tuple(idx)], axis=axis, keepdims=True))
            x = _s.concat(pieces, axis)
        return x

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        for axis, size in zip(self._spatial(len(shape)), self.output_size):
            shape[axis] = size
        return TensorShape(shape)

    def get_config(self):
        return dict(super().get_config(), output_size=self.output_size,
                    data_format=self.data_format)


def _adaptive(name, rank, kind):
    reduce = _m.reduce_mean if kind == "average" else _m.reduce_max
    doc = (f"Adaptive {kind} pooling over {rank} spatial dim(s) to `output_size` (Keras 3; "
           "bin i of a length-L axis covers [floor(i*L/n), ceil((i+1)*L/n))).\n\n"
           f"    >>> import graphflow as tf\n"
           f"    >>> tf.keras.layers.{name}(2)(tf.ones((1,{' 4,' * rank} 3))).shape\n"
           f"    TensorShape([1,{' 2,' * rank} 3])\n")
    return type(name, (_AdaptivePooling,), {
        "rank": rank, "keras_name": "adaptive_" + kind + "_pooling" + f"{rank}d",
        "reduce": staticmethod(reduce), "__doc__": doc, "__module__": __name__})


AdaptiveAveragePooling1D = _adaptive("AdaptiveAveragePooling1D", 1, "average")
AdaptiveAveragePooling2D = _adaptive("AdaptiveAveragePooling2D", 2, "average")
AdaptiveAveragePooling3D = _adaptive("AdaptiveAveragePooling3D", 3, "average")
AdaptiveMaxPooling1D = _adaptive("AdaptiveMaxPooling1D", 1, "max")
AdaptiveMaxPooling2D = _adaptive("AdaptiveMaxPooling2D", 2, "max")
AdaptiveMaxPooling3D = _adaptive("AdaptiveMaxPooling3D", 3, "max")


# ------------------------------------------------------------------ Pipeline
class Pipeline(Layer):
    """Apply a list of (preprocessing) layers in turn (Keras 3's `Pipeline`; unlike a
    Sequential model it is a layer and passes `training` (default True) on to each layer).

    >>> import graphflow as tf
    >>> p = tf.keras.layers.Pipeline([tf.keras.layers.Rescaling(2.0),
    ...                               tf.keras.layers.Rescaling(1.0, offset=1.0)])
    >>> p(tf.constant([1., 2.])).numpy().tolist()
    [3.0, 5.0]
    """

    def __init__(self, layers, name=None):
        super().__init__(name=name or unique_name("pipeline"))
        self._pipeline_layers = list(layers)

    @property
    def layers(self):
        return self._pipeline_layers

    def call(self, inputs, training=True):
        x = inputs
        for layer in self._pipeline_layers:
            try:
                x = layer(x, training=training)
            except TypeError as e:   # a layer whose call takes no `training`
                if "training" not in str(e):
                    raise
                x = layer(x)
        return x

    def compute_output_shape(self, input_shape):
        for layer in self._pipeline_layers:
            input_shape = layer.compute_output_shape(input_shape)
        return input_shape

    def get_config(self):
        return {"layers": [serialize(layer) for layer in self._pipeline_layers],
                "name": self.name}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["layers"] = [deserialize(c) for c in config["layers"]]
        return cls(**config)


# ------------------------------------------------------------------ ReversibleEmbedding
class ReversibleEmbedding(Embedding):
    """An Embedding that can also map hidden states back to vocabulary logits
    (`layer(h, reverse=True)` = `h @ embeddings.T`, or `h @ reverse_embeddings` with
    `tie_weights=False`), optionally soft-capped: `tanh(logits / cap) * cap` (Keras 3).

    >>> import numpy as np, graphflow as tf
    >>> emb = tf.keras.layers.ReversibleEmbedding(4, 2, embeddings_initializer="ones")
    >>> emb(tf.constant([[1, 3]])).shape, emb(tf.ones((1, 2)), reverse=True).numpy().tolist()
    (TensorShape([1, 2, 2]), [[2.0, 2.0, 2.0, 2.0]])
    """

    def __init__(self, input_dim, output_dim, tie_weights=True,
                 embeddings_initializer="uniform", embeddings_regularizer=None,
                 embeddings_constraint=None, mask_zero=False, reverse_dtype=None,
                 logit_soft_cap=None, **kwargs):
        super().__init__(input_dim, output_dim, embeddings_initializer=embeddings_initializer,
                         embeddings_regularizer=embeddings_regularizer,
                         embeddings_constraint=embeddings_constraint, mask_zero=mask_zero,
                         **kwargs)
        self.tie_weights, self.reverse_dtype = bool(tie_weights), reverse_dtype
        self.logit_soft_cap = logit_soft_cap
        self.reverse_embeddings_constraint = self.embeddings_constraint

    def build(self, input_shape=None):
        super().build(input_shape)
        if not self.tie_weights:
            self.reverse_embeddings = self.add_weight(
                "reverse_embeddings", (self.output_dim, self.input_dim),
                initializer=self.embeddings_initializer, regularizer=self.embeddings_regularizer)
        self.built = True

    def call(self, inputs, reverse=False):
        if not reverse:
            return super().call(inputs)
        kernel = (_s.transpose(self.embeddings) if self.tie_weights
                  else self.reverse_embeddings)
        if self.reverse_dtype is not None:
            inputs, kernel = _m.cast(inputs, self.reverse_dtype), _m.cast(kernel,
                                                                         self.reverse_dtype)
        logits = _m.matmul(inputs, kernel)
        if self.logit_soft_cap is not None:
            cap = float(self.logit_soft_cap)
            logits = _m.tanh(logits / cap) * cap
        return logits

    def compute_output_shape(self, input_shape, reverse=False):
        if reverse:
            return TensorShape(tuple(input_shape)[:-1] + (self.input_dim,))
        return TensorShape(tuple(input_shape) + (self.output_dim,))

    def get_config(self):
        return dict(super().get_config(), tie_weights=self.tie_weights,
                    reverse_dtype=self.reverse_dtype, logit_soft_cap=self.logit_soft_cap)

