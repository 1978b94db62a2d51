"""NASNet-A (Zoph et al., 2018), Keras 3's `keras.applications.NASNetMobile` /
`NASNetLarge` / `nasnet.NASNet` with the same cells and layer names (`stem_conv1`,
`normal_concat_0`, `reduction_concat_reduce_4`, ...), so weights saved by Keras load by name.
NASNetMobile's default input is 224x224x3, NASNetLarge's 331x331x3 (at least 32x32).

>>> import graphflow as tf
>>> m = tf.keras.applications.NASNetMobile(weights=None, input_shape=(32, 32, 3), classes=3)
>>> m.name, tuple(m.output_shape), m.count_params()
('nasnet_mobile', (None, 3), 4272887)
"""
from .. import layers as _layers
from . import imagenet_utils as _u

decode_predictions = _u.decode_predictions

preprocess_input = _u.preprocess_for("tf")


def _bn(name=None):
    return _layers.BatchNormalization(axis=-1, momentum=0.9997, epsilon=1e-3, name=name)


def _conv1x1(filters, name, strides=(1, 1)):
    return _layers.Conv2D(filters, (1, 1), strides=strides, padding="same", use_bias=False,
                          name=name, kernel_initializer="he_normal")


def _separable_conv_block(ip, filters, kernel_size=(3, 3), strides=(1, 1), block_id=None):
    """relu, separable conv (strided: after padding as Keras' correct_pad), BN, relu,
    separable conv, BN."""
    x = _layers.Activation("relu")(ip)
    pad = "same"
    if strides == (2, 2):
        x = _layers.ZeroPadding2D(padding=_u.correct_pad(x, kernel_size),
                                  name=f"separable_conv_1_pad_{block_id}")(x)
        pad = "valid"
    x = _layers.SeparableConv2D(filters, kernel_size, strides=strides, padding=pad,
                                use_bias=False, name=f"separable_conv_1_{block_id}")(x)
    x = _bn(f"separable_conv_1_bn_{block_id}")(x)
    x = _layers.Activation("relu")(x)
    x = _layers.SeparableConv2D(filters, kernel_size, padding="same", use_bias=False,
                                name=f"separable_conv_2_{block_id}")(x)
    return _bn(f"separable_conv_2_bn_{block_id}")(x)


def _adjust_block(p, ip, filters, block_id=None):
    """The previous cell's output `p` brought to `ip`'s spatial size (two offset strided
    1x1 paths, concatenated) or to `filters` channels (a 1x1 projection)."""
    if p is None:
        return ip
    if p.shape[-2] != ip.shape[-2]:
        p = _layers.Activation("relu", name=f"adjust_relu_1_{block_id}")(p)
        p1 = _layers.AveragePooling2D((1, 1), strides=(2, 2), padding="valid",
                                      name=f"adjust_avg_pool_1_{block_id}")(p)
        p1 = _conv1x1(filters // 2, f"adjust_conv_1_{block_id}")(p1)
        p2 = _layers.ZeroPadding2D(padding=((0, 1), (0, 1)))(p)
        p2 = _layers.Cropping2D(cropping=((1, 0), (1, 0)))(p2)
        p2 = _layers.AveragePooling2D((1, 1), strides=(2, 2), padding="valid",
                                      name=f"adjust_avg_pool_2_{block_id}")(p2)
        p2 = _conv1x1(filters // 2, f"adjust_conv_2_{block_id}")(p2)
        p = _layers.concatenate([p1, p2], axis=-1)
        return _bn(f"adjust_bn_{block_id}")(p)
    if p.shape[-1] != filters:
        p = _layers.Activation("relu")(p)
        p = _conv1x1(filters, f"adjust_conv_projection_{block_id}")(p)
        return _bn(f"adjust_bn_{block_id}")(p)
    return p


def _avg3(name, strides=(1, 1), padding="same"):
    return _layers.AveragePooling2D((3, 3), strides=strides, padding=padding, name=name)


def _normal_a_cell(ip, p, filters, block_id=None):
    p = _adjust_block(p, ip, filters, block_id)
    h = _layers.Activation("relu")(ip)
    h = _conv1x1(filters, f"normal_conv_1_{block_id}")(h)
    h = _bn(f"normal_bn_1_{block_id}")(h)
    sep = _separable_conv_block
    x1 = _layers.add([sep(h, filters, (5, 5), block_id=f"normal_left1_{block_id}"),
                      sep(p, filters, block_id=f"normal_right1_{block_id}")],
                     name=f"normal_add_1_{block_id}")
    x2 = _layers.add([sep(p, filters, (5, 5), block_id=f"normal_left2_{block_id}"),
                      sep(p, filters, (3, 3), block_id=f"normal_right2_{block_id}")],
                     name=f"normal_add_2_{block_id}")
    x3 = _layers.add([_avg3(f"normal_left3_{block_id}")(h), p],
                     name=f"normal_add_3_{block_id}")
    x4 = _layers.add([_avg3(f"normal_left4_{block_id}")(p),
                      _avg3(f"normal_right4_{block_id}")(p)], name=f"normal_add_4_{block_id}")
    x5 = _layers.add([sep(h, filters, block_id=f"normal_left5_{block_id}"), h],
                     name=f"normal_add_5_{block_id}")
    x = _layers.concatenate([p, x1, x2, x3, x4, x5], axis=-1,
                            name=f"normal_concat_{block_id}")
    return x, ip


def _reduction_a_cell(ip, p, filters, block_id=None):
    p = _adjust_block(p, ip, filters, block_id)
    h = _layers.Activation("relu")(ip)
    h = _conv1x1(filters, f"reduction_conv_1_{block_id}")(h)
    h = _bn(f"reduction_bn_1_{block_id}")(h)
    h3 = _layers.ZeroPadding2D(padding=_u.correct_pad(h, 3),
                               name=f"reduction_pad_1_{block_id}")(h)
    sep, s2 = _separable_conv_block, (2, 2)
    x1 = _layers.add([sep(h, filters, (5, 5), s2, f"reduction_left1_{block_id}"),
                      sep(p, filters, (7, 7), s2, f"reduction_right1_{block_id}")],
                     name=f"reduction_add_1_{block_id}")
    x2 = _layers.add([_layers.MaxPooling2D((3, 3), strides=s2, padding="valid",
                                           name=f"reduction_left2_{block_id}")(h3),
                      sep(p, filters, (7, 7), s2, f"reduction_right2_{block_id}")],
                     name=f"reduction_add_2_{block_id}")
    x3 = _layers.add([_avg3(f"reduction_left3_{block_id}", s2, "valid")(h3),
                      sep(p, filters, (5, 5), s2, f"reduction_right3_{block_id}")],
                     name=f"reduction_add3_{block_id}")
    x4 = _layers.add([x2, _avg3(f"reduction_left4_{block_id}")(x1)])
    x5 = _layers.add([sep(x1, filters, (3, 3), block_id=f"reduction_left4_{block_id}"),
                      _layers.MaxPooling2D((3, 3), strides=s2, padding="valid",
                                           name=f"reduction_right5_{block_id}")(h3)],
                     name=f"reduction_add4_{block_id}")
    x = _layers.concatenate([x2, x3, x4, x5], axis=-1, name=f"reduction_concat_{block_id}")
    return x, ip


def _features(img_input, include_top, penultimate_filters, num_blocks, stem_block_filters,
              skip_reduction, filter_multiplier):
    if penultimate_filters % (24 * filter_multiplier ** 2) != 0:
        raise ValueError("NASNet: for NASNet-A models `penultimate_filters` must be a multiple "
                         f"of 24 * filter_multiplier ** 2; got {penultimate_filters}")
    filters = penultimate_filters // 24
    x = _layers.Conv2D(stem_block_filters, (3, 3), strides=(2, 2), padding="valid",
                       use_bias=False, name="stem_conv1",
                       kernel_initializer="he_normal")(img_input)
    x = _bn("stem_bn1")(x)
    x, p = _reduction_a_cell(x, None, filters // filter_multiplier ** 2, block_id="stem_1")
    x, p = _reduction_a_cell(x, p, filters // filter_multiplier, block_id="stem_2")
    for stage in range(3):
        width = filters * filter_multiplier ** stage
        if stage:
            x, p0 = _reduction_a_cell(x, p, width, block_id=f"reduce_{stage * num_blocks}")
            p = p0 if not skip_reduction else p
        for i in range(num_blocks):
            x, p = _normal_a_cell(x, p, width, block_id=f"{stage * num_blocks + i + (stage > 0)}")
    return _layers.Activation("relu")(x), {}


def NASNet(input_shape=None, penultimate_filters=4032, num_blocks=6, stem_block_filters=96,
           skip_reduction=True, filter_multiplier=2, include_top=True, weights="imagenet",
           input_tensor=None, pooling=None, classes=1000, default_size=None,
           classifier_activation="softmax", name="NASNet"):
    """A NASNet-A model of `num_blocks` normal cells per stage (Keras 3's
    `keras.applications.nasnet.NASNet`); `weights` None or a local file path."""
    default_size = 331 if default_size is None else default_size
    return _u.build("NASNet", _features, include_top=include_top, weights=weights,
                    input_tensor=input_tensor, input_shape=input_shape, pooling=pooling,
                    classes=classes, classifier_activation=classifier_activation, name=name,
                    default_size=default_size, penultimate_filters=penultimate_filters,
                    num_blocks=num_blocks, stem_block_filters=stem_block_filters,
                    skip_reduction=skip_reduction, filter_multiplier=filter_multiplier)


def NASNetMobile(input_shape=None, include_top=True, weights="imagenet", input_tensor=None,
                 pooling=None, classes=1000, classifier_activation="softmax",
                 name="nasnet_mobile"):
    """NASNet-A Mobile (4 @ 1056): default input 224x224x3, also without the top."""
    if not include_top and input_shape is None:
        input_shape = (224, 224, 3)
    return NASNet(input_shape, penultimate_filters=1056, num_blocks=4, stem_block_filters=32,
                  skip_reduction=False, filter_multiplier=2, include_top=include_top,
                  weights=weights, input_tensor=input_tensor, pooling=pooling, classes=classes,
                  default_size=224, classifier_activation=classifier_activation, name=name)


def NASNetLarge(input_shape=None, include_top=True, weights="imagenet", input_tensor=None,
                pooling=None, classes=1000, classifier_activation="softmax",
                name="nasnet_large"):
    """NASNet-A Large (6 @ 4032): default input 331x331x3."""
    return NASNet(input_shape, penultimate_filters=4032, num_blocks=6, stem_block_filters=96,
                  skip_reduction=True, filter_multiplier=2, include_top=include_top,
                  weights=weights, input_tensor=input_tensor, pooling=pooling, classes=classes,
                  default_size=331, classifier_activation=classifier_activation, name=name)
