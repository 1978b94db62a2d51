"""MobileNetV3Small / MobileNetV3Large (Howard et al. 2019, "Searching for MobileNetV3"),
Keras 3's `keras.applications.mobilenet_v3` with its layer names: inverted residual blocks
with squeeze-and-excitation and hard-swish, the input rescaled inside the model
(`include_preprocessing`, so `preprocess_input` is the identity).

>>> import graphflow as tf
>>> m = tf.keras.applications.MobileNetV3Small(weights=None, input_shape=(32, 32, 3),
...                                            classes=5)
>>> tuple(m.output_shape), m.get_layer("expanded_conv_squeeze_excite_mul").name
((None, 5), 'expanded_conv_squeeze_excite_mul')
"""
from .. import layers as _layers
from . import imagenet_utils as _u

decode_predictions = _u.decode_predictions


def preprocess_input(x, data_format=None):
    """The identity: MobileNetV3 models rescale their [0, 255] input themselves (Keras 3).

    >>> preprocess_input(3.0)
    3.0
    """
    return x


def _bn(name):
    return _layers.BatchNormalization(axis=-1, epsilon=1e-3, momentum=0.999, name=name)


def _relu(x):
    return _layers.ReLU()(x)


def _hard_sigmoid(x):
    # relu6(x + 3) / 6 as one layer: Keras writes ReLU(6)(x + 3) * (1 / 6), whose two
    # operators are not layers in Keras 3 (so its model.layers counts this as one layer)
    return _layers.Activation("hard_sigmoid")(x)


def _hard_swish(x):
    return _layers.Activation("hard_swish")(x)


def _se_block(inputs, filters, se_ratio, prefix):
    x = _layers.GlobalAveragePooling2D(keepdims=True, name=prefix + "squeeze_excite_avg_pool")(
        inputs)
    x = _layers.Conv2D(_u.make_divisible(filters * se_ratio, 8), kernel_size=1, padding="same",
                       name=prefix + "squeeze_excite_conv")(x)
    x = _layers.ReLU(name=prefix + "squeeze_excite_relu")(x)
    x = _layers.Conv2D(filters, kernel_size=1, padding="same",
                       name=prefix + "squeeze_excite_conv_1")(x)
    x = _hard_sigmoid(x)
    return _layers.Multiply(name=prefix + "squeeze_excite_mul")([inputs, x])


def _inverted_res_block(x, expansion, filters, kernel_size, stride, se_ratio, activation,
                        block_id):
    shortcut = x
    prefix = "expanded_conv_"
    infilters = x.shape[-1]
    if block_id:
        prefix = f"expanded_conv_{block_id}_"
        x = _layers.Conv2D(_u.make_divisible(infilters * expansion, 8), kernel_size=1,
                           padding="same", use_bias=False, name=prefix + "expand")(x)
        x = _bn(prefix + "expand_bn")(x)
        x = activation(x)
    if stride == 2:
        x = _layers.ZeroPadding2D(padding=_u.correct_pad(x, kernel_size),
                                  name=prefix + "depthwise_pad")(x)
    x = _layers.DepthwiseConv2D(kernel_size, strides=stride,
                                padding="same" if stride == 1 else "valid", use_bias=False,
                                name=prefix + "depthwise")(x)
    x = _bn(prefix + "depthwise_bn")(x)
    x = activation(x)
    if se_ratio:
        x = _se_block(x, _u.make_divisible(infilters * expansion, 8), se_ratio, prefix)
    x = _layers.Conv2D(filters, kernel_size=1, padding="same", use_bias=False,
                       name=prefix + "project")(x)
    x = _bn(prefix + "project_bn")(x)
    if stride == 1 and infilters == filters:
        x = _layers.Add(name=prefix + "add")([shortcut, x])
    return x


# (expansion, filters, kernel ('k': the model's kernel), stride, squeeze-excite, activation
# ('a': the model's activation, 'r': relu)) per block
_SMALL = [(1, 16, 3, 2, True, "r"), (72 / 16, 24, 3, 2, False, "r"),
          (88 / 24, 24, 3, 1, False, "r"), (4, 40, "k", 2, True, "a"), (6, 40, "k", 1, True, "a"),
          (6, 40, "k", 1, True, "a"), (3, 48, "k", 1, True, "a"), (3, 48, "k", 1, True, "a"),
          (6, 96, "k", 2, True, "a"), (6, 96, "k", 1, True, "a"), (6, 96, "k", 1, True, "a")]
_LARGE = [(1, 16, 3, 1, False, "r"), (4, 24, 3, 2, False, "r"), (3, 24, 3, 1, False, "r"),
          (3, 40, "k", 2, True, "r"), (3, 40, "k", 1, True, "r"), (3, 40, "k", 1, True, "r"),
          (6, 80, 3, 2, False, "a"), (2.5, 80, 3, 1, False, "a"), (2.3, 80, 3, 1, False, "a"),
          (2.3, 80, 3, 1, False, "a"), (6, 112, 3, 1, True, "a"), (6, 112, 3, 1, True, "a"),
          (6, 160, "k", 2, True, "a"), (6, 160, "k", 1, True, "a"), (6, 160, "k", 1, True, "a")]


def _features(img_input, include_top, blocks, last_point_ch, alpha, minimalistic,
              include_preprocessing, dropout_rate):
    kernel, activation, se_ratio = (3, _relu, None) if minimalistic else (5, _hard_swish, 0.25)
    x = img_input
    if include_preprocessing:
        x = _layers.Rescaling(scale=1.0 / 127.5, offset=-1.0)(x)
    x = _layers.Conv2D(16, kernel_size=3, strides=(2, 2), padding="same", use_bias=False,
                       name="conv")(x)
    x = _bn("conv_bn")(x)
    x = activation(x)
    for block_id, (expansion, filters, k, stride, se, act) in enumerate(blocks):
        x = _inverted_res_block(x, expansion, _u.make_divisible(filters * alpha, 8),
                                kernel if k == "k" else k, stride, se_ratio if se else None,
                                activation if act == "a" else _relu, block_id)
    last_conv_ch = _u.make_divisible(x.shape[-1] * 6, 8)
    if alpha > 1.0:
        last_point_ch = _u.make_divisible(last_point_ch * alpha, 8)
    x = _layers.Conv2D(last_conv_ch, kernel_size=1, padding="same", use_bias=False,
                       name="conv_1")(x)
    x = _bn("conv_1_bn")(x)
    x = activation(x)

    def head(x, classes, classifier_activation):
        x = _layers.GlobalAveragePooling2D(keepdims=True)(x)
        x = _layers.Conv2D(last_point_ch, kernel_size=1, padding="same", use_bias=True,
                           name="conv_2")(x)
        x = activation(x)
        if dropout_rate > 0:
            x = _layers.Dropout(dropout_rate)(x)
        x = _layers.Conv2D(classes, kernel_size=1, padding="same", name="logits")(x)
        x = _layers.Flatten()(x)
        return _layers.Activation(activation=classifier_activation, name="predictions")(x)
    return x, {"pool_name": "avg_pool", "head": head}


def _mobilenet_v3(family, blocks, last_point_ch, input_shape, alpha, minimalistic, include_top,
                  weights, input_tensor, classes, pooling, dropout_rate, classifier_activation,
                  include_preprocessing, name):
    return _u.build(family, _features, include_top=include_top, weights=weights,
                    input_tensor=input_tensor, input_shape=input_shape, pooling=pooling,
                    classes=classes, classifier_activation=classifier_activation, name=name,
                    default_size=None, require_flatten=False, blocks=blocks,
                    last_point_ch=last_point_ch, alpha=alpha, minimalistic=minimalistic,
                    include_preprocessing=include_preprocessing, dropout_rate=dropout_rate)


def MobileNetV3Small(input_shape=None, alpha=1.0, minimalistic=False, include_top=True,
                     weights="imagenet", input_tensor=None, classes=1000, pooling=None,
                     dropout_rate=0.2, classifier_activation="softmax",
                     include_preprocessing=True, name="MobileNetV3Small"):
    """MobileNetV3Small with width multiplier `alpha` (`minimalistic`: 3x3 kernels, relu, no
    squeeze-excite); any input size of at least 32x32 (default (None, None, 3)); `weights`
    None or a local file path."""
    return _mobilenet_v3("MobileNetV3Small", _SMALL, 1024, input_shape, alpha, minimalistic,
                         include_top, weights, input_tensor, classes, pooling, dropout_rate,
                         classifier_activation, include_preprocessing, name)


def MobileNetV3Large(input_shape=None, alpha=1.0, minimalistic=False, include_top=True,
                     weights="imagenet", input_tensor=None, classes=1000, pooling=None,
                     dropout_rate=0.2, classifier_activation="softmax",
                     include_preprocessing=True, name="MobileNetV3Large"):
    """MobileNetV3Large with width multiplier `alpha` (see `MobileNetV3Small`)."""
    return _mobilenet_v3("MobileNetV3Large", _LARGE, 1280, input_shape, alpha, minimalistic,
                         include_top, weights, input_tensor, classes, pooling, dropout_rate,
                         classifier_activation, include_preprocessing, name)
