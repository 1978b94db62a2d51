"""EfficientNetB0..B7 (Tan & Le 2019), Keras 3's `keras.applications.efficientnet` with the same
layer names (`stem_conv`, `block1a_dwconv`, `block2b_se_excite`, `top_conv`, ...). The model
rescales and normalizes its input itself: feed RGB images in [0, 255].

>>> import graphflow as tf
>>> tf.keras.applications.EfficientNetB0(weights="imagenet")      # doctest: +ELLIPSIS
Traceback (most recent call last):
...
ValueError: EfficientNet(weights='imagenet'): pretrained ImageNet weights cannot be downloaded here ...
"""
import math

from .. import layers as _layers
from . import imagenet_utils as _u

decode_predictions = _u.decode_predictions

# (kernel_size, repeats, filters_in, filters_out, expand_ratio, strides) of the 7 stages;
# every block has id_skip and se_ratio 0.25
DEFAULT_BLOCKS_ARGS = [(3, 1, 32, 16, 1, 1), (3, 2, 16, 24, 6, 2), (5, 2, 24, 40, 6, 2),
                       (3, 3, 40, 80, 6, 2), (5, 3, 80, 112, 6, 1), (5, 4, 112, 192, 6, 2),
                       (3, 1, 192, 320, 6, 1)]
CONV_KERNEL_INITIALIZER = {"class_name": "VarianceScaling", "config": {
    "scale": 2.0, "mode": "fan_out", "distribution": "truncated_normal"}}
DENSE_KERNEL_INITIALIZER = {"class_name": "VarianceScaling", "config": {
    "scale": 1.0 / 3.0, "mode": "fan_out", "distribution": "uniform"}}


def preprocess_input(x, data_format=None):
    """The identity: EfficientNet models rescale and normalize their input themselves (Keras
    keeps this function for API compatibility).

    >>> preprocess_input(3.0)
    3.0
    """
    return x


def _conv(filters, kernel, name, **kwargs):
    return _layers.Conv2D(filters, kernel, padding=kwargs.pop("padding", "same"),
                          kernel_initializer=CONV_KERNEL_INITIALIZER, name=name, **kwargs)


def squeeze_excite(x, filters_se, activation, name):
    """Squeeze-and-excitation (EfficientNet v1 and v2): x scaled per channel by a sigmoid gate
    computed from its global average through a `filters_se`-wide bottleneck."""
    filters = x.shape[-1]
    se = _layers.GlobalAveragePooling2D(name=f"{name}se_squeeze")(x)
    se = _layers.Reshape((1, 1, filters), name=f"{name}se_reshape")(se)
    se = _conv(filters_se, 1, f"{name}se_reduce", activation=activation)(se)
    se = _conv(filters, 1, f"{name}se_expand", activation="sigmoid")(se)
    return _layers.multiply([x, se], name=f"{name}se_excite")


def block(inputs, activation="swish", drop_rate=0.0, name="", filters_in=32, filters_out=16,
          kernel_size=3, strides=1, expand_ratio=1, se_ratio=0.0, id_skip=True):
    """One MBConv block: 1x1 expansion, depthwise conv, squeeze-and-excitation, 1x1 projection,
    and (same shape) a dropped-path residual."""
    filters = filters_in * expand_ratio
    x = inputs
    if expand_ratio != 1:
        x = _conv(filters, 1, f"{name}expand_conv", use_bias=False)(x)
        x = _layers.BatchNormalization(axis=-1, name=f"{name}expand_bn")(x)
        x = _layers.Activation(activation, name=f"{name}expand_activation")(x)
    if strides == 2:
        x = _layers.ZeroPadding2D(padding=_u.correct_pad(x, kernel_size),
                                  name=f"{name}dwconv_pad")(x)
    x = _layers.DepthwiseConv2D(kernel_size, strides=strides,
                                padding="valid" if strides == 2 else "same", use_bias=False,
                                depthwise_initializer=CONV_KERNEL_INITIALIZER,
                                name=f"{name}dwconv")(x)
    x = _layers.BatchNormalization(axis=-1, name=f"{name}bn")(x)
    x = _layers.Activation(activation, name=f"{name}activation")(x)
    if 0 < se_ratio <= 1:
        x = squeeze_excite(x, max(1, int(filters_in * se_ratio)), activation, name)
    x = _conv(filters_out, 1, f"{name}project_conv", use_bias=False)(x)
    x = _layers.BatchNormalization(axis=-1, name=f"{name}project_bn")(x)
    if id_skip and strides == 1 and filters_in == filters_out:
        if drop_rate > 0:
            x = _layers.Dropout(drop_rate, noise_shape=(None, 1, 1, 1), name=f"{name}drop")(x)
        x = _layers.add([x, inputs], name=f"{name}add")
    return x


def _features(img_input, include_top, width_coefficient, depth_coefficient, drop_connect_rate,
              depth_divisor, activation, dropout_rate):
    def round_filters(filters):
        return _u.make_divisible(filters * width_coefficient, depth_divisor)

    def round_repeats(repeats):
        return int(math.ceil(depth_coefficient * repeats))

    x = _layers.Rescaling(1.0 / 255.0)(img_input)
    x = _layers.Normalization(axis=-1)(x)
    x = _layers.ZeroPadding2D(padding=_u.correct_pad(x, 3), name="stem_conv_pad")(x)
    x = _conv(round_filters(32), 3, "stem_conv", strides=2, padding="valid", use_bias=False)(x)
    x = _layers.BatchNormalization(axis=-1, name="stem_bn")(x)
    x = _layers.Activation(activation, name="stem_activation")(x)
    total = float(sum(round_repeats(a[1]) for a in DEFAULT_BLOCKS_ARGS))
    b = 0
    for i, (kernel, repeats, f_in, f_out, expand, strides) in enumerate(DEFAULT_BLOCKS_ARGS):
        f_in, f_out = round_filters(f_in), round_filters(f_out)
        for j in range(round_repeats(repeats)):
            x = block(x, activation, drop_connect_rate * b / total, name=f"block{i + 1}{chr(j + 97)}_",
                      filters_in=f_in if j == 0 else f_out, filters_out=f_out,
                      kernel_size=kernel, strides=strides if j == 0 else 1,
                      expand_ratio=expand, se_ratio=0.25, id_skip=True)
            b += 1
    x = _conv(round_filters(1280), 1, "top_conv", use_bias=False)(x)
    x = _layers.BatchNormalization(axis=-1, name="top_bn")(x)
    x = _layers.Activation(activation, name="top_activation")(x)
    return x, {"pool_name": "avg_pool", "head": classifier_head(dropout_rate)}


def classifier_head(dropout_rate):
    """EfficientNet's (v1 and v2) classifier: global average pooling, dropout, Dense
    'predictions' - as a `head(x, classes, classifier_activation)` for `imagenet_utils.top`."""
    def head(x, classes, classifier_activation):
        x = _layers.GlobalAveragePooling2D(name="avg_pool")(x)
        if dropout_rate > 0:
            x = _layers.Dropout(dropout_rate, name="top_dropout")(x)
        return _layers.Dense(classes, activation=classifier_activation,
                             kernel_initializer=DENSE_KERNEL_INITIALIZER, name="predictions")(x)
    return head


def EfficientNet(width_coefficient, depth_coefficient, default_size, dropout_rate=0.2,
                 drop_connect_rate=0.2, depth_divisor=8, activation="swish", name="efficientnet",
                 include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
                 pooling=None, classes=1000, classifier_activation="softmax"):
    """An EfficientNet scaled by `width_coefficient` (channels) and `depth_coefficient`
    (blocks per stage)."""
    return _u.build("EfficientNet", _features, include_top=include_top, weights=weights,
                    input_tensor=input_tensor, input_shape=input_shape, pooling=pooling,
                    classes=classes, classifier_activation=classifier_activation, name=name,
                    default_size=default_size, width_coefficient=width_coefficient,
                    depth_coefficient=depth_coefficient, drop_connect_rate=drop_connect_rate,
                    depth_divisor=depth_divisor, activation=activation,
                    dropout_rate=dropout_rate)


def _variant(label, width, depth, size, dropout):
    def builder(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
                pooling=None, classes=1000, classifier_activation="softmax",
                name=f"efficientnet{label.lower()}"):
        return EfficientNet(width, depth, size, dropout, name=name, include_top=include_top,
                            weights=weights, input_tensor=input_tensor, input_shape=input_shape,
                            pooling=pooling, classes=classes,
                            classifier_activation=classifier_activation)
    builder.__name__ = builder.__qualname__ = f"EfficientNet{label}"
    builder.__doc__ = (f"EfficientNet{label} (width {width}, depth {depth}, default input "
                       f"{size}x{size}); `weights` None or a local file path (no downloads).")
    return builder


EfficientNetB0 = _variant("B0", 1.0, 1.0, 224, 0.2)
EfficientNetB1 = _variant("B1", 1.0, 1.1, 240, 0.2)
EfficientNetB2 = _variant("B2", 1.1, 1.2, 260, 0.3)
EfficientNetB3 = _variant("B3", 1.2, 1.4, 300, 0.3)
EfficientNetB4 = _variant("B4", 1.4, 1.8, 380, 0.4)
EfficientNetB5 = _variant("B5", 1.6, 2.2, 456, 0.4)
EfficientNetB6 = _variant("B6", 1.8, 2.6, 528, 0.5)
EfficientNetB7 = _variant("B7", 2.0, 3.1, 600, 0.5)
