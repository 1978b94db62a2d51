"""ResNet50 / ResNet101 / ResNet152 (He et al. 2015, v1 bottleneck blocks), Keras 3's
`keras.applications.resnet` with the same layer names (`conv2_block1_1_conv`, ...), and the
pre-activation v2 blocks `keras.applications.resnet_v2` builds on (see resnet_v2.py).

>>> import graphflow as tf
>>> tf.keras.applications.ResNet50(weights="imagenet")      # doctest: +ELLIPSIS
Traceback (most recent call last):
...
ValueError: ResNet50(weights='imagenet'): pretrained ImageNet weights cannot be downloaded here ...
"""
from .. import layers as _layers
from . import imagenet_utils as _u

decode_predictions = _u.decode_predictions

preprocess_input = _u.preprocess_for("caffe")


def _bn(name):
    return _layers.BatchNormalization(axis=-1, epsilon=1.001e-5, name=name)


def residual_block_v1(x, filters, kernel_size=3, stride=1, conv_shortcut=True, name=None):
    """One bottleneck block: 1x1 (stride) -> kxk -> 1x1 (4 * filters), plus the shortcut."""
    if conv_shortcut:
        shortcut = _layers.Conv2D(4 * filters, 1, strides=stride, name=name + "_0_conv")(x)
        shortcut = _bn(name + "_0_bn")(shortcut)
    else:
        shortcut = x
    x = _layers.Conv2D(filters, 1, strides=stride, name=name + "_1_conv")(x)
    x = _bn(name + "_1_bn")(x)
    x = _layers.Activation("relu", name=name + "_1_relu")(x)
    x = _layers.Conv2D(filters, kernel_size, padding="same", name=name + "_2_conv")(x)
    x = _bn(name + "_2_bn")(x)
    x = _layers.Activation("relu", name=name + "_2_relu")(x)
    x = _layers.Conv2D(4 * filters, 1, name=name + "_3_conv")(x)
    x = _bn(name + "_3_bn")(x)
    x = _layers.Add(name=name + "_add")([shortcut, x])
    return _layers.Activation("relu", name=name + "_out")(x)


def stack_residual_blocks_v1(x, filters, blocks, stride1=2, name=None):
    """`blocks` bottleneck blocks, the first with a projection shortcut and stride `stride1`."""
    x = residual_block_v1(x, filters, stride=stride1, name=name + "_block1")
    for i in range(2, blocks + 1):
        x = residual_block_v1(x, filters, conv_shortcut=False, name=f"{name}_block{i}")
    return x


def residual_block_v2(x, filters, kernel_size=3, stride=1, conv_shortcut=False, name=None):
    """One pre-activation bottleneck block (He et al. 2016): BN-relu first, then 1x1 -> kxk
    (stride) -> 1x1 (4 * filters); the shortcut is a 1x1 conv of the pre-activation, or the
    input (max-pooled 1x1 with the stride when strided)."""
    preact = _bn(name + "_preact_bn")(x)
    preact = _layers.Activation("relu", name=name + "_preact_relu")(preact)
    if conv_shortcut:
        shortcut = _layers.Conv2D(4 * filters, 1, strides=stride, name=name + "_0_conv")(preact)
    else:
        shortcut = _layers.MaxPooling2D(1, strides=stride)(x) if stride > 1 else x
    x = _layers.Conv2D(filters, 1, strides=1, use_bias=False, name=name + "_1_conv")(preact)
    x = _bn(name + "_1_bn")(x)
    x = _layers.Activation("relu", name=name + "_1_relu")(x)
    x = _layers.ZeroPadding2D(padding=((1, 1), (1, 1)), name=name + "_2_pad")(x)
    x = _layers.Conv2D(filters, kernel_size, strides=stride, use_bias=False,
                       name=name + "_2_conv")(x)
    x = _bn(name + "_2_bn")(x)
    x = _layers.Activation("relu", name=name + "_2_relu")(x)
    x = _layers.Conv2D(4 * filters, 1, name=name + "_3_conv")(x)
    return _layers.Add(name=name + "_out")([shortcut, x])


def stack_residual_blocks_v2(x, filters, blocks, stride1=2, name=None):
    """`blocks` pre-activation blocks: the first with a projection shortcut, the last strided
    by `stride1` (Keras' v2 layout)."""
    x = residual_block_v2(x, filters, conv_shortcut=True, name=name + "_block1")
    for i in range(2, blocks):
        x = residual_block_v2(x, filters, name=f"{name}_block{i}")
    return residual_block_v2(x, filters, stride=stride1, name=f"{name}_block{blocks}")


def _features(img_input, include_top, stacks, preact=False):
    """The ResNet stem, the four stages and (v2) the final BN-relu."""
    x = _layers.ZeroPadding2D(padding=((3, 3), (3, 3)), name="conv1_pad")(img_input)
    x = _layers.Conv2D(64, 7, strides=2, name="conv1_conv")(x)
    if not preact:
        x = _bn("conv1_bn")(x)
        x = _layers.Activation("relu", name="conv1_relu")(x)
    x = _layers.ZeroPadding2D(padding=((1, 1), (1, 1)), name="pool1_pad")(x)
    x = _layers.MaxPooling2D(3, strides=2, name="pool1_pool")(x)
    for i, (filters, blocks) in enumerate(stacks):
        if preact:   # v2: the last stage keeps its resolution, the others halve at their end
            x = stack_residual_blocks_v2(x, filters, blocks, name=f"conv{i + 2}",
                                         stride1=1 if i == len(stacks) - 1 else 2)
        else:
            x = stack_residual_blocks_v1(x, filters, blocks, stride1=1 if i == 0 else 2,
                                         name=f"conv{i + 2}")
    if preact:
        x = _bn("post_bn")(x)
        x = _layers.Activation("relu", name="post_relu")(x)
    return x, {"pool_name": "avg_pool"}


def ResNet(blocks, model_name, include_top=True, weights="imagenet", input_tensor=None,
           input_shape=None, pooling=None, classes=1000, classifier_activation="softmax",
           name=None, preact=False):
    """A ResNet with `blocks` bottleneck blocks in its four stages (filters 64..512): v1, or
    v2 (pre-activation) with `preact`."""
    stacks = list(zip((64, 128, 256, 512), blocks))
    return _u.build(model_name, _features, include_top=include_top, weights=weights,
                    input_tensor=input_tensor, input_shape=input_shape, pooling=pooling,
                    classes=classes, classifier_activation=classifier_activation,
                    name=name or model_name.lower(), default_size=224, stacks=stacks,
                    preact=preact)


def ResNet50(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
             pooling=None, classes=1000, classifier_activation="softmax", name="resnet50"):
    """ResNet50 (stages of 3, 4, 6, 3 blocks); `weights` None or a local file path.
    """
    return ResNet((3, 4, 6, 3), "ResNet50", include_top, weights, input_tensor, input_shape,
                  pooling, classes, classifier_activation, name)


def ResNet101(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
              pooling=None, classes=1000, classifier_activation="softmax", name="resnet101"):
    """ResNet101 (stages of 3, 4, 23, 3 blocks); `weights` None or a local file path."""
    return ResNet((3, 4, 23, 3), "ResNet101", include_top, weights, input_tensor, input_shape,
                  pooling, classes, classifier_activation, name)


def ResNet152(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
              pooling=None, classes=1000, classifier_activation="softmax", name="resnet152"):
    """ResNet152 (stages of 3, 8, 36, 3 blocks); `weights` None or a local file path."""
    return ResNet((3, 8, 36, 3), "ResNet152", include_top, weights, input_tensor, input_shape,
                  pooling, classes, classifier_activation, name)
