"""ConvNeXtTiny / Small / Base / Large / XLarge (Liu et al. 2022, "A ConvNet for the 2020s"),
Keras 3's `keras.applications.convnext` with its layer names (`convnext_tiny_stem`,
`convnext_tiny_stage_0_block_0_depthwise_conv`, ...). The model normalizes its [0, 255]
input itself (`include_preprocessing`), so `preprocess_input` is the identity.

Keras ends each block with `inputs + layer(x)`, where `layer` is an identity (or stochastic
depth) layer and the `+` is an operation that Keras 3 does not list among the model's layers;
graphflow records every operator on Keras tensors as a layer, so here the block's residual
layer adds the shortcut itself - same weights, values and layer count as Keras.

>>> import graphflow as tf
>>> m = tf.keras.applications.ConvNeXtTiny(weights=None, input_shape=(32, 32, 3), classes=3)
>>> tuple(m.output_shape), m.get_layer("convnext_tiny_stage_3_block_2_layer_scale").gamma.shape
((None, 3), TensorShape([768]))
"""
import numpy as np

from .. import initializers as _init, layers as _layers
from ..models import Sequential
from ...ops import math_ops as _m, random_ops as _r
from . import imagenet_utils as _u

decode_predictions = _u.decode_predictions

MODEL_CONFIGS = {
    "tiny": {"depths": [3, 3, 9, 3], "projection_dims": [96, 192, 384, 768]},
    "small": {"depths": [3, 3, 27, 3], "projection_dims": [96, 192, 384, 768]},
    "base": {"depths": [3, 3, 27, 3], "projection_dims": [128, 256, 512, 1024]},
    "large": {"depths": [3, 3, 27, 3], "projection_dims": [192, 384, 768, 1536]},
    "xlarge": {"depths": [3, 3, 27, 3], "projection_dims": [256, 512, 1024, 2048]},
}


def preprocess_input(x, data_format=None):
    """The identity: ConvNeXt models normalize their input themselves (Keras 3).

    >>> preprocess_input(3.0)
    3.0
    """
    return x


class LayerScale(_layers.Layer):
    """x times a learned per-channel scale `gamma` (initialized to `init_values`).

    >>> import numpy as np
    >>> LayerScale(0.5, 2)(np.ones((1, 2), "float32")).numpy().tolist()
    [[0.5, 0.5]]
    """

    def __init__(self, init_values, projection_dim, **kwargs):
        super().__init__(**kwargs)
        self.init_values, self.projection_dim = init_values, projection_dim

    def build(self, input_shape):
        self.gamma = self.add_weight(shape=(self.projection_dim,),
                                     initializer=_init.Constant(self.init_values),
                                     trainable=True, name="gamma")
        super().build(input_shape)

    def call(self, x):
        return x * self.gamma

    def get_config(self):
        return dict(super().get_config(), init_values=self.init_values,
                    projection_dim=self.projection_dim)


class Residual(_layers.Layer):
    """`shortcut + branch`, the branch dropped per example with probability `drop_path_rate`
    while training (stochastic depth; 0: Keras' identity layer).

    >>> import numpy as np
    >>> Residual()([np.ones((1, 2), "float32"), np.ones((1, 2), "float32")]).numpy().tolist()
    [[2.0, 2.0]]
    """

    def __init__(self, drop_path_rate=0.0, **kwargs):
        super().__init__(**kwargs)
        self.drop_path_rate = float(drop_path_rate)

    def call(self, inputs, training=None):
        shortcut, x = inputs
        if training and self.drop_path_rate:
            keep = 1.0 - self.drop_path_rate
            shape = (x.shape[0],) + (1,) * (x.ndim - 1)
            keep_mask = _m.cast(_m.less(_r.uniform(shape, 0.0, 1.0, x.dtype), keep), x.dtype)
            x = x * keep_mask / keep
        return shortcut + x

    def get_config(self):
        return dict(super().get_config(), drop_path_rate=self.drop_path_rate)


def convnext_block(x, projection_dim, drop_path_rate=0.0, layer_scale_init_value=1e-6,
                   name=""):
    """7x7 depthwise conv, LayerNorm, 4x pointwise MLP with GELU, layer scale, residual."""
    inputs = x
    x = _layers.Conv2D(projection_dim, kernel_size=7, padding="same", groups=projection_dim,
                       name=f"{name}_depthwise_conv")(x)
    x = _layers.LayerNormalization(epsilon=1e-6, name=f"{name}_layernorm")(x)
    x = _layers.Dense(4 * projection_dim, name=f"{name}_pointwise_conv_1")(x)
    x = _layers.Activation("gelu", name=f"{name}_gelu")(x)
    x = _layers.Dense(projection_dim, name=f"{name}_pointwise_conv_2")(x)
    if layer_scale_init_value is not None:
        x = LayerScale(layer_scale_init_value, projection_dim, name=f"{name}_layer_scale")(x)
    suffix = "_stochastic_depth" if drop_path_rate else "_identity"
    return Residual(drop_path_rate, name=name + suffix)([inputs, x])


def _features(img_input, include_top, depths, projection_dims, drop_path_rate,
              layer_scale_init_value, include_preprocessing, model_name):
    x = img_input
    if include_preprocessing and img_input.shape[-1] == 3:
        x = _layers.Normalization(
            mean=[0.485 * 255, 0.456 * 255, 0.406 * 255],
            variance=[(0.229 * 255) ** 2, (0.224 * 255) ** 2, (0.225 * 255) ** 2],
            name=f"{model_name}_prestem_normalization")(x)
    downsample = [Sequential([
        _layers.Conv2D(projection_dims[0], kernel_size=4, strides=4,
                       name=f"{model_name}_stem_conv"),
        _layers.LayerNormalization(epsilon=1e-6, name=f"{model_name}_stem_layernorm")],
        name=f"{model_name}_stem")]
    for i in range(3):
        downsample.append(Sequential([
            _layers.LayerNormalization(epsilon=1e-6,
                                       name=f"{model_name}_downsampling_layernorm_{i}"),
            _layers.Conv2D(projection_dims[i + 1], kernel_size=2, strides=2,
                           name=f"{model_name}_downsampling_conv_{i}")],
            name=f"{model_name}_downsampling_block_{i}"))
    rates = [float(r) for r in np.linspace(0.0, drop_path_rate, sum(depths))]
    cur = 0
    for i in range(4):
        x = downsample[i](x)
        for j in range(depths[i]):
            x = convnext_block(x, projection_dims[i], rates[cur + j], layer_scale_init_value,
                               name=f"{model_name}_stage_{i}_block_{j}")
        cur += depths[i]

    def head(x, classes, classifier_activation):
        x = _layers.GlobalAveragePooling2D(name=f"{model_name}_head_gap")(x)
        x = _layers.LayerNormalization(epsilon=1e-6, name=f"{model_name}_head_layernorm")(x)
        return _layers.Dense(classes, activation=classifier_activation,
                             name=f"{model_name}_head_dense")(x)
    return x, {"head": head, "final": lambda x: _layers.LayerNormalization(epsilon=1e-6)(x)}


def ConvNeXt(depths, projection_dims, drop_path_rate=0.0, layer_scale_init_value=1e-6,
             default_size=224, name="convnext", include_preprocessing=True, include_top=True,
             weights=None, input_tensor=None, input_shape=None, pooling=None, classes=1000,
             classifier_activation="softmax"):
    """A ConvNeXt with `depths` blocks of widths `projection_dims` in its four stages; without
    the classifier the (optionally pooled) features end in a LayerNormalization, as Keras."""
    return _u.build("ConvNeXt", _features, include_top=include_top, weights=weights,
                    input_tensor=input_tensor, input_shape=input_shape, pooling=pooling,
                    classes=classes, classifier_activation=classifier_activation, name=name,
                    default_size=default_size, depths=depths, projection_dims=projection_dims,
                    drop_path_rate=drop_path_rate,
                    layer_scale_init_value=layer_scale_init_value,
                    include_preprocessing=include_preprocessing, model_name=name)


def _variant(size):
    label = size.capitalize() if size != "xlarge" else "XLarge"

    def builder(include_top=True, include_preprocessing=True, weights="imagenet",
                input_tensor=None, input_shape=None, pooling=None, classes=1000,
                classifier_activation="softmax", name=f"convnext_{size}"):
        return ConvNeXt(MODEL_CONFIGS[size]["depths"], MODEL_CONFIGS[size]["projection_dims"],
                        name=name, include_preprocessing=include_preprocessing,
                        include_top=include_top, weights=weights, input_tensor=input_tensor,
                        input_shape=input_shape, pooling=pooling, classes=classes,
                        classifier_activation=classifier_activation)
    builder.__name__ = builder.__qualname__ = f"ConvNeXt{label}"
    builder.__doc__ = (f"ConvNeXt{label} (stages of {MODEL_CONFIGS[size]['depths']} blocks, "
                       f"widths {MODEL_CONFIGS[size]['projection_dims']}); default input "
                       "224x224; `weights` None or a local file path (no downloads).")
    return builder


ConvNeXtTiny = _variant("tiny")
ConvNeXtSmall = _variant("small")
ConvNeXtBase = _variant("base")
ConvNeXtLarge = _variant("large")
ConvNeXtXLarge = _variant("xlarge")
