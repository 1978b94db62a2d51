"""Xception (Chollet 2017), Keras 3's `keras.applications.Xception` with the same layer names
(`block1_conv1`, `block2_sepconv1`, ...). Default input 299x299x3, at least 71x71.

>>> import graphflow as tf
>>> tf.keras.applications.Xception(weights="imagenet")      # doctest: +ELLIPSIS
Traceback (most recent call last):
...
ValueError: Xception(weights='imagenet'): pretrained ImageNet weights cannot be downloaded here ...
"""
from .. import layers as _layers
from . import imagenet_utils as _u

decode_predictions = _u.decode_predictions

preprocess_input = _u.preprocess_for("tf")


def _sep_bn(x, filters, name, act_before=None):
    if act_before:
        x = _layers.Activation("relu", name=act_before)(x)
    x = _layers.SeparableConv2D(filters, (3, 3), padding="same", use_bias=False, name=name)(x)
    return _layers.BatchNormalization(axis=-1, name=name + "_bn")(x)


def _down_block(x, filters, block, first_act=True):
    """Two separable convolutions and a strided max pool, plus a strided 1x1 shortcut."""
    residual = _layers.Conv2D(filters[1], (1, 1), strides=(2, 2), padding="same",
                              use_bias=False)(x)
    residual = _layers.BatchNormalization(axis=-1)(residual)
    p = f"block{block}_"
    x = _sep_bn(x, filters[0], p + "sepconv1", first_act and p + "sepconv1_act")
    x = _sep_bn(x, filters[1], p + "sepconv2", p + "sepconv2_act")
    x = _layers.MaxPooling2D((3, 3), strides=(2, 2), padding="same", name=p + "pool")(x)
    return _layers.add([x, residual])


def _features(img_input, include_top):
    x = _layers.Conv2D(32, (3, 3), strides=(2, 2), use_bias=False, name="block1_conv1")(img_input)
    x = _layers.BatchNormalization(axis=-1, name="block1_conv1_bn")(x)
    x = _layers.Activation("relu", name="block1_conv1_act")(x)
    x = _layers.Conv2D(64, (3, 3), use_bias=False, name="block1_conv2")(x)
    x = _layers.BatchNormalization(axis=-1, name="block1_conv2_bn")(x)
    x = _layers.Activation("relu", name="block1_conv2_act")(x)
    x = _down_block(x, (128, 128), 2, first_act=False)
    x = _down_block(x, (256, 256), 3)
    x = _down_block(x, (728, 728), 4)
    for i in range(8):                                  # middle flow
        residual = x
        p = f"block{i + 5}_"
        for j in (1, 2, 3):
            x = _sep_bn(x, 728, f"{p}sepconv{j}", f"{p}sepconv{j}_act")
        x = _layers.add([x, residual])
    x = _down_block(x, (728, 1024), 13)                 # exit flow
    x = _sep_bn(x, 1536, "block14_sepconv1")
    x = _layers.Activation("relu", name="block14_sepconv1_act")(x)
    x = _sep_bn(x, 2048, "block14_sepconv2")
    return _layers.Activation("relu", name="block14_sepconv2_act")(x), {"pool_name": "avg_pool"}


def Xception(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
             pooling=None, classes=1000, classifier_activation="softmax", name="xception"):
    """Xception; `weights` None or a local file path (no downloads)."""
    return _u.build("Xception", _features, include_top=include_top, weights=weights,
                    input_tensor=input_tensor, input_shape=input_shape, pooling=pooling,
                    classes=classes, classifier_activation=classifier_activation, name=name,
                    default_size=299, min_size=71)
