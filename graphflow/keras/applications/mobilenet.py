"""MobileNet v1 (Howard et al. 2017), Keras 3's `keras.applications.MobileNet` with the same
layer names (`conv1`, `conv_dw_1`, `conv_pw_1`, ..., `conv_preds`).

>>> import graphflow as tf
>>> m = tf.keras.applications.MobileNet(weights=None, alpha=0.25, input_shape=(32, 32, 3),
...                                     include_top=False)
>>> tuple(m.output_shape)
(None, 1, 1, 256)
"""
import functools

from .. import layers as _layers
from . import imagenet_utils as _u

decode_predictions = _u.decode_predictions

preprocess_input = _u.preprocess_for("tf")


def _depthwise_conv_block(inputs, pointwise_conv_filters, alpha, depth_multiplier=1,
                          strides=(1, 1), block_id=1):
    strides = (strides, strides) if isinstance(strides, int) else tuple(strides)
    x = inputs
    if strides != (1, 1):
        x = _layers.ZeroPadding2D(((0, 1), (0, 1)), name=f"conv_pad_{block_id}")(x)
    x = _layers.DepthwiseConv2D((3, 3), padding="same" if strides == (1, 1) else "valid",
                                depth_multiplier=depth_multiplier, strides=strides,
                                use_bias=False, name=f"conv_dw_{block_id}")(x)
    x = _layers.BatchNormalization(axis=-1, name=f"conv_dw_{block_id}_bn")(x)
    x = _layers.ReLU(6.0, name=f"conv_dw_{block_id}_relu")(x)
    x = _layers.Conv2D(int(pointwise_conv_filters * alpha), (1, 1), padding="same",
                       use_bias=False, name=f"conv_pw_{block_id}")(x)
    x = _layers.BatchNormalization(axis=-1, name=f"conv_pw_{block_id}_bn")(x)
    return _layers.ReLU(6.0, name=f"conv_pw_{block_id}_relu")(x)


def _head(x, classes, classifier_activation, dropout):
    x = _layers.GlobalAveragePooling2D(keepdims=True)(x)
    x = _layers.Dropout(dropout, name="dropout")(x)
    x = _layers.Conv2D(classes, (1, 1), padding="same", name="conv_preds")(x)
    x = _layers.Reshape((classes,), name="reshape_2")(x)
    return _layers.Activation(classifier_activation, name="predictions")(x)


# (pointwise filters, stride) of blocks 1..13
_BLOCKS = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2)] + [(512, 1)] * 5 \
    + [(1024, 2), (1024, 1)]


def _features(img_input, include_top, alpha, depth_multiplier, dropout):
    x = _layers.Conv2D(int(32 * alpha), (3, 3), padding="same", use_bias=False, strides=(2, 2),
                       name="conv1")(img_input)
    x = _layers.BatchNormalization(axis=-1, name="conv1_bn")(x)
    x = _layers.ReLU(6.0, name="conv1_relu")(x)
    for block_id, (filters, stride) in enumerate(_BLOCKS, start=1):
        x = _depthwise_conv_block(x, filters, alpha, depth_multiplier, strides=stride,
                                  block_id=block_id)
    return x, {"head": functools.partial(_head, dropout=dropout)}


def MobileNet(input_shape=None, alpha=1.0, depth_multiplier=1, dropout=1e-3, include_top=True,
              weights="imagenet", input_tensor=None, pooling=None, classes=1000,
              classifier_activation="softmax", name=None):
    """MobileNet v1 with width multiplier `alpha`; `weights` None or a local file path.
    Named like Keras' model (`mobilenet_1.00_224`).

    >>> import graphflow as tf
    >>> tf.keras.applications.MobileNet(weights=None, alpha=0.25, input_shape=(32, 32, 3)).name
    'mobilenet_0.25_32'
    """
    rows = _u.name_rows(input_shape, input_tensor, include_top, weights, (128, 160, 192, 224))
    return _u.build("MobileNet", _features, include_top=include_top, weights=weights,
                    input_tensor=input_tensor, input_shape=input_shape, pooling=pooling,
                    classes=classes, classifier_activation=classifier_activation,
                    name=name or f"mobilenet_{alpha:0.2f}_{rows}", default_size=224,
                    alpha=alpha, depth_multiplier=depth_multiplier, dropout=dropout)
