"""EfficientNetV2B0..B3, S, M, L (Tan & Le 2021, "EfficientNetV2: Smaller Models and Faster
Training"), Keras 3's `keras.applications.efficientnet_v2` with its layer names
(`stem_conv`, `block1a_project_conv`, `block4a_se_excite`, `top_conv`, ...): fused-MBConv
stages, then MBConv stages with squeeze-and-excitation. The model rescales (and for B0-B3
normalizes) its [0, 255] input itself (`include_preprocessing`), so `preprocess_input` is the
identity.

>>> import graphflow as tf
>>> m = tf.keras.applications.EfficientNetV2B0(weights=None, input_shape=(32, 32, 3),
...                                            classes=4)
>>> m.name, tuple(m.output_shape)
('efficientnetv2-b0', (None, 4))
"""
import math

from .. import layers as _layers
from . import imagenet_utils as _u
from .efficientnet import CONV_KERNEL_INITIALIZER, classifier_head, squeeze_excite

decode_predictions = _u.decode_predictions

# per stage: (kernel_size, num_repeat, input_filters, output_filters, expand_ratio, se_ratio,
# strides, conv_type (1: fused MBConv, 0: MBConv)), as Keras' DEFAULT_BLOCKS_ARGS
_B = [(3, 1, 32, 16, 1, 0, 1, 1), (3, 2, 16, 32, 4, 0, 2, 1), (3, 2, 32, 48, 4, 0, 2, 1),
      (3, 3, 48, 96, 4, 0.25, 2, 0), (3, 5, 96, 112, 6, 0.25, 1, 0),
      (3, 8, 112, 192, 6, 0.25, 2, 0)]
DEFAULT_BLOCKS_ARGS = {
    "efficientnetv2-s": [(3, 2, 24, 24, 1, 0, 1, 1), (3, 4, 24, 48, 4, 0, 2, 1),
                         (3, 4, 48, 64, 4, 0, 2, 1), (3, 6, 64, 128, 4, 0.25, 2, 0),
                         (3, 9, 128, 160, 6, 0.25, 1, 0), (3, 15, 160, 256, 6, 0.25, 2, 0)],
    "efficientnetv2-m": [(3, 3, 24, 24, 1, 0, 1, 1), (3, 5, 24, 48, 4, 0, 2, 1),
                         (3, 5, 48, 80, 4, 0, 2, 1), (3, 7, 80, 160, 4, 0.25, 2, 0),
                         (3, 14, 160, 176, 6, 0.25, 1, 0), (3, 18, 176, 304, 6, 0.25, 2, 0),
                         (3, 5, 304, 512, 6, 0.25, 1, 0)],
    "efficientnetv2-l": [(3, 4, 32, 32, 1, 0, 1, 1), (3, 7, 32, 64, 4, 0, 2, 1),
                         (3, 7, 64, 96, 4, 0, 2, 1), (3, 10, 96, 192, 4, 0.25, 2, 0),
                         (3, 19, 192, 224, 6, 0.25, 1, 0), (3, 25, 224, 384, 6, 0.25, 2, 0),
                         (3, 7, 384, 640, 6, 0.25, 1, 0)],
    "efficientnetv2-b0": _B, "efficientnetv2-b1": _B, "efficientnetv2-b2": _B,
    "efficientnetv2-b3": _B}


def preprocess_input(x, data_format=None):
    """The identity: EfficientNetV2 models rescale their input themselves (Keras 3).

    >>> preprocess_input(3.0)
    3.0
    """
    return x


def round_filters(filters, width_coefficient, min_depth=8, depth_divisor=8):
    """`filters * width_coefficient` rounded to a multiple of `depth_divisor` (at least
    `min_depth`).

    >>> round_filters(32, 1.1), round_filters(1280, 1.2)
    (32, 1536)
    """
    filters *= width_coefficient
    return int(max(min_depth or depth_divisor,
                   int(filters + depth_divisor / 2) // depth_divisor * depth_divisor))


def _conv(filters, kernel, name, **kwargs):
    return _layers.Conv2D(filters, kernel, padding="same", use_bias=False,
                          kernel_initializer=CONV_KERNEL_INITIALIZER, name=name, **kwargs)


def _bn(name, momentum):
    return _layers.BatchNormalization(axis=-1, momentum=momentum, name=name)


def mb_conv_block(inputs, input_filters, output_filters, expand_ratio=1, kernel_size=3,
                  strides=1, se_ratio=0.0, bn_momentum=0.9, activation="swish",
                  survival_probability=0.8, name="", fused=False):
    """One MBConv block (1x1 expansion, depthwise conv, squeeze-excite, 1x1 projection) or,
    `fused`, one fused-MBConv block (a full kxk expansion conv replaces expansion + depthwise);
    a dropped-path residual when the shape is kept."""
    filters = input_filters * expand_ratio
    x = inputs
    if expand_ratio != 1:
        x = _conv(filters, kernel_size if fused else 1, f"{name}expand_conv",
                  strides=strides if fused else 1)(x)
        x = _bn(f"{name}expand_bn", bn_momentum)(x)
        x = _layers.Activation(activation, name=f"{name}expand_activation")(x)
    if not fused:
        x = _layers.DepthwiseConv2D(kernel_size, strides=strides, padding="same",
                                    use_bias=False, depthwise_initializer=CONV_KERNEL_INITIALIZER,
                                    name=f"{name}dwconv2")(x)
        x = _bn(f"{name}bn", bn_momentum)(x)
        x = _layers.Activation(activation, name=f"{name}activation")(x)
    if 0 < se_ratio <= 1:
        x = squeeze_excite(x, max(1, int(input_filters * se_ratio)), activation, name)
    fused_alone = fused and expand_ratio == 1     # the projection is the block's only conv
    x = _conv(output_filters, kernel_size if fused_alone else 1, f"{name}project_conv",
              strides=strides if fused_alone else 1)(x)
    x = _bn(f"{name}project_bn", bn_momentum)(x)
    if fused_alone:
        x = _layers.Activation(activation, name=f"{name}project_activation")(x)
    if strides == 1 and input_filters == output_filters:
        if survival_probability:
            x = _layers.Dropout(survival_probability, noise_shape=(None, 1, 1, 1),
                                name=f"{name}drop")(x)
        x = _layers.add([x, inputs], name=f"{name}add")
    return x


def _features(img_input, include_top, blocks_args, width_coefficient, depth_coefficient,
              dropout_rate, drop_connect_rate, bn_momentum, activation, include_preprocessing,
              model_name):
    def rf(filters):
        return round_filters(filters, width_coefficient)

    x = img_input
    if include_preprocessing:
        if model_name.split("-")[-1].startswith("b") and img_input.shape[-1] == 3:
            x = _layers.Rescaling(scale=1.0 / 255)(x)
            x = _layers.Normalization(mean=[0.485, 0.456, 0.406],
                                      variance=[0.229 ** 2, 0.224 ** 2, 0.225 ** 2], axis=3)(x)
        else:
            x = _layers.Rescaling(scale=1.0 / 128.0, offset=-1)(x)
    x = _conv(rf(blocks_args[0][2]), 3, "stem_conv", strides=2)(x)
    x = _bn("stem_bn", bn_momentum)(x)
    x = _layers.Activation(activation, name="stem_activation")(x)
    total = float(sum(a[1] for a in blocks_args))
    b = 0
    for i, (kernel, repeats, f_in, f_out, expand, se, strides, conv_type) in \
            enumerate(blocks_args):
        f_in, f_out = rf(f_in), rf(f_out)
        for j in range(int(math.ceil(depth_coefficient * repeats))):
            x = mb_conv_block(x, f_in if j == 0 else f_out, f_out, expand, kernel,
                              strides if j == 0 else 1, se, bn_momentum, activation,
                              drop_connect_rate * b / total, f"block{i + 1}{chr(j + 97)}_",
                              fused=conv_type == 1)
            b += 1
    x = _conv(rf(1280), 1, "top_conv")(x)
    x = _bn("top_bn", bn_momentum)(x)
    x = _layers.Activation(activation, name="top_activation")(x)
    return x, {"pool_name": "avg_pool", "head": classifier_head(dropout_rate)}


def EfficientNetV2(width_coefficient, depth_coefficient, default_size, dropout_rate=0.2,
                   drop_connect_rate=0.2, depth_divisor=8, min_depth=8, bn_momentum=0.9,
                   activation="swish", blocks_args="default", name="efficientnetv2",
                   include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
                   pooling=None, classes=1000, classifier_activation="softmax",
                   include_preprocessing=True):
    """An EfficientNetV2 of `blocks_args` stages ('default': the ones of `name`) scaled by
    `width_coefficient` and `depth_coefficient`."""
    if blocks_args == "default":
        blocks_args = DEFAULT_BLOCKS_ARGS[name]
    return _u.build("EfficientNetV2", _features, include_top=include_top, weights=weights,
                    input_tensor=input_tensor, input_shape=input_shape, pooling=pooling,
                    classes=classes, classifier_activation=classifier_activation, name=name,
                    default_size=default_size, blocks_args=blocks_args,
                    width_coefficient=width_coefficient, depth_coefficient=depth_coefficient,
                    dropout_rate=dropout_rate, drop_connect_rate=drop_connect_rate,
                    bn_momentum=bn_momentum, activation=activation,
                    include_preprocessing=include_preprocessing, model_name=name)


def _variant(label, width, depth, size):
    def builder(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
                pooling=None, classes=1000, classifier_activation="softmax",
                include_preprocessing=True, name=f"efficientnetv2-{label.lower()}"):
        return EfficientNetV2(width, depth, size, name=name, include_top=include_top,
                              weights=weights, input_tensor=input_tensor,
                              input_shape=input_shape, pooling=pooling, classes=classes,
                              classifier_activation=classifier_activation,
                              include_preprocessing=include_preprocessing)
    builder.__name__ = builder.__qualname__ = f"EfficientNetV2{label}"
    builder.__doc__ = (f"EfficientNetV2{label} (width {width}, depth {depth}, default input "
                       f"{size}x{size}); `weights` None or a local file path (no downloads).")
    return builder


EfficientNetV2B0 = _variant("B0", 1.0, 1.0, 224)
EfficientNetV2B1 = _variant("B1", 1.0, 1.1, 240)
EfficientNetV2B2 = _variant("B2", 1.1, 1.2, 260)
EfficientNetV2B3 = _variant("B3", 1.2, 1.4, 300)
EfficientNetV2S = _variant("S", 1.0, 1.0, 384)
EfficientNetV2M = _variant("M", 1.0, 1.0, 480)
EfficientNetV2L = _variant("L", 1.0, 1.0, 480)
