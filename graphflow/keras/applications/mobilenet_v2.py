"""MobileNetV2 (Sandler et al. 2018), Keras 3's `keras.applications.MobileNetV2` with the same
layer names, so weights saved by Keras load by name (`model.load_weights(path)`).

>>> import graphflow as tf
>>> m = tf.keras.applications.MobileNetV2(weights=None, input_shape=(32, 32, 3), alpha=0.35,
...                                       include_top=False, pooling="avg")
>>> tuple(m.output_shape)
(None, 1280)
"""
from .. import layers as _layers
from . import imagenet_utils as _u

decode_predictions = _u.decode_predictions

preprocess_input = _u.preprocess_for("tf")


def _bn(name):
    return _layers.BatchNormalization(axis=-1, epsilon=1e-3, momentum=0.999, name=name)


def _inverted_res_block(inputs, expansion, stride, alpha, filters, block_id):
    in_channels = inputs.shape[-1]
    pointwise_filters = _u.make_divisible(int(filters * alpha), 8)
    x = inputs
    prefix = f"block_{block_id}_"
    if block_id:
        x = _layers.Conv2D(expansion * in_channels, kernel_size=1, padding="same", use_bias=False,
                           name=prefix + "expand")(x)
        x = _bn(prefix + "expand_BN")(x)
        x = _layers.ReLU(6.0, name=prefix + "expand_relu")(x)
    else:
        prefix = "expanded_conv_"
    if stride == 2:
        x = _layers.ZeroPadding2D(padding=_u.correct_pad(x, 3), name=prefix + "pad")(x)
    x = _layers.DepthwiseConv2D(kernel_size=3, strides=stride, use_bias=False,
                                padding="same" if stride == 1 else "valid",
                                name=prefix + "depthwise")(x)
    x = _bn(prefix + "depthwise_BN")(x)
    x = _layers.ReLU(6.0, name=prefix + "depthwise_relu")(x)
    x = _layers.Conv2D(pointwise_filters, kernel_size=1, padding="same", use_bias=False,
                       name=prefix + "project")(x)
    x = _bn(prefix + "project_BN")(x)
    if in_channels == pointwise_filters and stride == 1:
        return _layers.Add(name=prefix + "add")([inputs, x])
    return x


# (filters, stride, expansion) of blocks 0..16
_BLOCKS = [(16, 1, 1), (24, 2, 6), (24, 1, 6), (32, 2, 6), (32, 1, 6), (32, 1, 6),
           (64, 2, 6), (64, 1, 6), (64, 1, 6), (64, 1, 6), (96, 1, 6), (96, 1, 6), (96, 1, 6),
           (160, 2, 6), (160, 1, 6), (160, 1, 6), (320, 1, 6)]


def _features(img_input, include_top, alpha):
    x = _layers.Conv2D(_u.make_divisible(32 * alpha, 8), kernel_size=3, strides=(2, 2),
                       padding="same", use_bias=False, name="Conv1")(img_input)
    x = _bn("bn_Conv1")(x)
    x = _layers.ReLU(6.0, name="Conv1_relu")(x)
    for block_id, (filters, stride, expansion) in enumerate(_BLOCKS):
        x = _inverted_res_block(x, expansion, stride, alpha, filters, block_id)
    last = _u.make_divisible(1280 * alpha, 8) if alpha > 1.0 else 1280
    x = _layers.Conv2D(last, kernel_size=1, use_bias=False, name="Conv_1")(x)
    x = _bn("Conv_1_bn")(x)
    return _layers.ReLU(6.0, name="out_relu")(x), {}


def MobileNetV2(input_shape=None, alpha=1.0, include_top=True, weights="imagenet",
                input_tensor=None, pooling=None, classes=1000,
                classifier_activation="softmax", name=None):
    """MobileNetV2 with width multiplier `alpha`; `weights` must be None or a local file path
    (no downloads). Default input 224x224x3; the model is named like Keras'
    (`mobilenetv2_1.00_224`).

    >>> import graphflow as tf
    >>> m = tf.keras.applications.MobileNetV2(weights=None, alpha=0.35, input_shape=(96, 96, 3))
    >>> m.name, m.get_layer("block_16_project").kernel.shape
    ('mobilenetv2_0.35_96', TensorShape([1, 1, 336, 112]))
    """
    rows = _u.name_rows(input_shape, input_tensor, include_top, weights,
                        (96, 128, 160, 192, 224), tensor_size=True)
    return _u.build("MobileNetV2", _features, include_top=include_top, weights=weights,
                    input_tensor=input_tensor, input_shape=input_shape, pooling=pooling,
                    classes=classes, classifier_activation=classifier_activation,
                    name=name or f"mobilenetv2_{alpha:0.2f}_{rows}", default_size=224,
                    alpha=alpha)
