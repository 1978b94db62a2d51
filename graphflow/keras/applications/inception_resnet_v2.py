"""InceptionResNetV2 (Szegedy et al. 2017, "Inception-v4, Inception-ResNet and the Impact of
Residual Connections on Learning"), Keras 3's `keras.applications.inception_resnet_v2` with
its layer names (`mixed_5b`, `block35_1_mixed`, `block17_20_conv`, `conv_7b`, ...); default
input 299x299, at least 75x75; inputs scaled to [-1, 1] (`preprocess_input`, mode 'tf').

>>> import graphflow as tf
>>> m = tf.keras.applications.InceptionResNetV2(weights=None, input_shape=(75, 75, 3),
...                                             classes=2)
>>> tuple(m.output_shape), m.get_layer("block8_10_conv").kernel.shape
((None, 2), TensorShape([1, 1, 448, 2080]))
"""
from .. import layers as _layers
from . import imagenet_utils as _u

decode_predictions = _u.decode_predictions
preprocess_input = _u.preprocess_for("tf")


def conv2d_bn(x, filters, kernel_size, strides=1, padding="same", activation="relu",
              use_bias=False, name=None):
    """Conv2D, then (without bias) BatchNormalization without scale, then the activation."""
    x = _layers.Conv2D(filters, kernel_size, strides=strides, padding=padding,
                       use_bias=use_bias, name=name)(x)
    if not use_bias:
        x = _layers.BatchNormalization(axis=3, scale=False,
                                       name=None if name is None else f"{name}_bn")(x)
    if activation is not None:
        x = _layers.Activation(activation, name=None if name is None else f"{name}_ac")(x)
    return x


class CustomScaleLayer(_layers.Layer):
    """inputs[0] + inputs[1] * scale (the scaled residual of an Inception-ResNet block).

    >>> import numpy as np
    >>> CustomScaleLayer(0.5)([np.ones((1, 2), "float32"), np.ones((1, 2), "float32")]).numpy()
    array([[1.5, 1.5]], dtype=float32)
    """

    def __init__(self, scale, **kwargs):
        super().__init__(**kwargs)
        self.scale = scale

    def call(self, inputs):
        return inputs[0] + inputs[1] * self.scale

    def get_config(self):
        return dict(super().get_config(), scale=self.scale)


# per block type: branches as lists of (filters, kernel) convolutions from the block input
_BLOCKS = {"block35": [[(32, 1)], [(32, 1), (32, 3)], [(32, 1), (48, 3), (64, 3)]],
           "block17": [[(192, 1)], [(128, 1), (160, (1, 7)), (192, (7, 1))]],
           "block8": [[(192, 1)], [(192, 1), (224, (1, 3)), (256, (3, 1))]]}


def inception_resnet_block(x, scale, block_type, block_idx, activation="relu"):
    """Parallel conv branches, concatenated, projected back by a 1x1 conv (with bias) and
    added to the input scaled by `scale`, then `activation`."""
    if block_type not in _BLOCKS:
        raise ValueError('Unknown Inception-ResNet block type. Expects "block35", "block17" or '
                         f'"block8", but got: {block_type}')
    branches = []
    for convs in _BLOCKS[block_type]:
        b = x
        for filters, kernel in convs:
            b = conv2d_bn(b, filters, kernel)
        branches.append(b)
    name = f"{block_type}_{block_idx}"
    mixed = _layers.Concatenate(axis=3, name=f"{name}_mixed")(branches)
    up = conv2d_bn(mixed, x.shape[3], 1, activation=None, use_bias=True, name=f"{name}_conv")
    x = CustomScaleLayer(scale)([x, up])
    if activation is not None:
        x = _layers.Activation(activation, name=f"{name}_ac")(x)
    return x


def _features(img_input, include_top):
    x = conv2d_bn(img_input, 32, 3, strides=2, padding="valid")
    x = conv2d_bn(x, 32, 3, padding="valid")
    x = conv2d_bn(x, 64, 3)
    x = _layers.MaxPooling2D(3, strides=2)(x)
    x = conv2d_bn(x, 80, 1, padding="valid")
    x = conv2d_bn(x, 192, 3, padding="valid")
    x = _layers.MaxPooling2D(3, strides=2)(x)
    b0 = conv2d_bn(x, 96, 1)
    b1 = conv2d_bn(conv2d_bn(x, 48, 1), 64, 5)
    b2 = conv2d_bn(conv2d_bn(conv2d_bn(x, 64, 1), 96, 3), 96, 3)
    bp = conv2d_bn(_layers.AveragePooling2D(3, strides=1, padding="same")(x), 64, 1)
    x = _layers.Concatenate(axis=3, name="mixed_5b")([b0, b1, b2, bp])
    for i in range(1, 11):
        x = inception_resnet_block(x, scale=0.17, block_type="block35", block_idx=i)
    b0 = conv2d_bn(x, 384, 3, strides=2, padding="valid")
    b1 = conv2d_bn(conv2d_bn(conv2d_bn(x, 256, 1), 256, 3), 384, 3, strides=2, padding="valid")
    bp = _layers.MaxPooling2D(3, strides=2, padding="valid")(x)
    x = _layers.Concatenate(axis=3, name="mixed_6a")([b0, b1, bp])
    for i in range(1, 21):
        x = inception_resnet_block(x, scale=0.1, block_type="block17", block_idx=i)
    b0 = conv2d_bn(conv2d_bn(x, 256, 1), 384, 3, strides=2, padding="valid")
    b1 = conv2d_bn(conv2d_bn(x, 256, 1), 288, 3, strides=2, padding="valid")
    b2 = conv2d_bn(conv2d_bn(conv2d_bn(x, 256, 1), 288, 3), 320, 3, strides=2, padding="valid")
    bp = _layers.MaxPooling2D(3, strides=2, padding="valid")(x)
    x = _layers.Concatenate(axis=3, name="mixed_7a")([b0, b1, b2, bp])
    for i in range(1, 10):
        x = inception_resnet_block(x, scale=0.2, block_type="block8", block_idx=i)
    x = inception_resnet_block(x, scale=1.0, activation=None, block_type="block8", block_idx=10)
    return conv2d_bn(x, 1536, 1, name="conv_7b"), {"pool_name": "avg_pool"}


def InceptionResNetV2(include_top=True, weights="imagenet", input_tensor=None,
                      input_shape=None, pooling=None, classes=1000,
                      classifier_activation="softmax", name="inception_resnet_v2"):
    """InceptionResNetV2; `weights` None or a local file path (no downloads)."""
    return _u.build("InceptionResNetV2", _features, include_top=include_top, weights=weights,
                    input_tensor=input_tensor, input_shape=input_shape, pooling=pooling,
                    classes=classes, classifier_activation=classifier_activation, name=name,
                    default_size=299, min_size=75)
