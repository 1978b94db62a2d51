"""InceptionV3 (Szegedy et al. 2016, "Rethinking the Inception Architecture"), Keras 3's
`keras.applications.inception_v3` with its layer names (`mixed0` .. `mixed10`); default input
299x299, at least 75x75; inputs scaled to [-1, 1] (`preprocess_input`, mode 'tf').

>>> import graphflow as tf
>>> m = tf.keras.applications.InceptionV3(weights=None, input_shape=(75, 75, 3), classes=3)
>>> tuple(m.output_shape), tuple(m.get_layer("mixed10").output.shape)
((None, 3), (None, 1, 1, 2048))
"""
from .. import layers as _layers
from . import imagenet_utils as _u

decode_predictions = _u.decode_predictions
preprocess_input = _u.preprocess_for("tf")


def conv2d_bn(x, filters, num_row, num_col, padding="same", strides=(1, 1), name=None):
    """Conv2D (no bias) -> BatchNormalization (no scale) -> relu, Keras' `conv2d_bn`."""
    x = _layers.Conv2D(filters, (num_row, num_col), strides=strides, padding=padding,
                       use_bias=False, name=None if name is None else name + "_conv")(x)
    x = _layers.BatchNormalization(axis=3, scale=False,
                                   name=None if name is None else name + "_bn")(x)
    return _layers.Activation("relu", name=name)(x)


def _avg_branch(x, filters):
    return conv2d_bn(_layers.AveragePooling2D((3, 3), strides=(1, 1), padding="same")(x),
                     filters, 1, 1)


def _block_35(x, pool_filters, name):
    """mixed0-2: 1x1, 5x5, double 3x3 and pooled branches."""
    b1 = conv2d_bn(x, 64, 1, 1)
    b5 = conv2d_bn(conv2d_bn(x, 48, 1, 1), 64, 5, 5)
    b3 = conv2d_bn(conv2d_bn(conv2d_bn(x, 64, 1, 1), 96, 3, 3), 96, 3, 3)
    return _layers.concatenate([b1, b5, b3, _avg_branch(x, pool_filters)], axis=3, name=name)


def _block_17(x, mid, name):
    """mixed4-7: 1x1, factorized 7x7, double factorized 7x7 and pooled branches."""
    b1 = conv2d_bn(x, 192, 1, 1)
    b7 = conv2d_bn(conv2d_bn(conv2d_bn(x, mid, 1, 1), mid, 1, 7), 192, 7, 1)
    d = conv2d_bn(x, mid, 1, 1)
    for filters, (r, c) in ((mid, (7, 1)), (mid, (1, 7)), (mid, (7, 1)), (192, (1, 7))):
        d = conv2d_bn(d, filters, r, c)
    return _layers.concatenate([b1, b7, d, _avg_branch(x, 192)], axis=3, name=name)


def _block_8(x, i):
    """mixed9-10: 1x1, split 3x3, double split 3x3 and pooled branches."""
    b1 = conv2d_bn(x, 320, 1, 1)
    b3 = conv2d_bn(x, 384, 1, 1)
    b3 = _layers.concatenate([conv2d_bn(b3, 384, 1, 3), conv2d_bn(b3, 384, 3, 1)], axis=3,
                             name=f"mixed9_{i}")
    d = conv2d_bn(conv2d_bn(x, 448, 1, 1), 384, 3, 3)
    d = _layers.concatenate([conv2d_bn(d, 384, 1, 3), conv2d_bn(d, 384, 3, 1)], axis=3)
    return _layers.concatenate([b1, b3, d, _avg_branch(x, 192)], axis=3, name=f"mixed{9 + i}")


def _features(img_input, include_top):
    x = conv2d_bn(img_input, 32, 3, 3, strides=(2, 2), padding="valid")
    x = conv2d_bn(x, 32, 3, 3, padding="valid")
    x = conv2d_bn(x, 64, 3, 3)
    x = _layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
    x = conv2d_bn(x, 80, 1, 1, padding="valid")
    x = conv2d_bn(x, 192, 3, 3, padding="valid")
    x = _layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
    for i, pool_filters in enumerate((32, 64, 64)):
        x = _block_35(x, pool_filters, f"mixed{i}")
    b3 = conv2d_bn(x, 384, 3, 3, strides=(2, 2), padding="valid")
    d = conv2d_bn(conv2d_bn(x, 64, 1, 1), 96, 3, 3)
    d = conv2d_bn(d, 96, 3, 3, strides=(2, 2), padding="valid")
    x = _layers.concatenate([b3, d, _layers.MaxPooling2D((3, 3), strides=(2, 2))(x)], axis=3,
                            name="mixed3")
    for i, mid in enumerate((128, 160, 160, 192)):
        x = _block_17(x, mid, f"mixed{4 + i}")
    b3 = conv2d_bn(conv2d_bn(x, 192, 1, 1), 320, 3, 3, strides=(2, 2), padding="valid")
    b7 = conv2d_bn(conv2d_bn(conv2d_bn(x, 192, 1, 1), 192, 1, 7), 192, 7, 1)
    b7 = conv2d_bn(b7, 192, 3, 3, strides=(2, 2), padding="valid")
    x = _layers.concatenate([b3, b7, _layers.MaxPooling2D((3, 3), strides=(2, 2))(x)], axis=3,
                            name="mixed8")
    for i in range(2):
        x = _block_8(x, i)
    return x, {"pool_name": "avg_pool"}


def InceptionV3(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
                pooling=None, classes=1000, classifier_activation="softmax",
                name="inception_v3"):
    """InceptionV3; `weights` None or a local file path (no downloads)."""
    return _u.build("InceptionV3", _features, include_top=include_top, weights=weights,
                    input_tensor=input_tensor, input_shape=input_shape, pooling=pooling,
                    classes=classes, classifier_activation=classifier_activation, name=name,
                    default_size=299, min_size=75)
