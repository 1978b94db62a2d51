"""DenseNet121 / 169 / 201 (Huang et al. 2017), Keras 3's `keras.applications.densenet` with the
same layer names (`conv2_block1_0_bn`, `pool2_conv`, ...).

>>> import graphflow as tf
>>> tf.keras.applications.DenseNet121(weights="imagenet")      # doctest: +ELLIPSIS
Traceback (most recent call last):
...
ValueError: DenseNet(weights='imagenet'): pretrained ImageNet weights cannot be downloaded here ...
"""
from .. import layers as _layers
from . import imagenet_utils as _u

decode_predictions = _u.decode_predictions

preprocess_input = _u.preprocess_for("torch")


def _bn(name):
    return _layers.BatchNormalization(axis=-1, epsilon=1.001e-5, name=name)


def conv_block(x, growth_rate, name):
    """BN-ReLU-1x1 conv (4 * growth_rate) - BN-ReLU-3x3 conv (growth_rate), concatenated to x."""
    x1 = _bn(f"{name}_0_bn")(x)
    x1 = _layers.Activation("relu", name=f"{name}_0_relu")(x1)
    x1 = _layers.Conv2D(4 * growth_rate, 1, use_bias=False, name=f"{name}_1_conv")(x1)
    x1 = _bn(f"{name}_1_bn")(x1)
    x1 = _layers.Activation("relu", name=f"{name}_1_relu")(x1)
    x1 = _layers.Conv2D(growth_rate, 3, padding="same", use_bias=False,
                        name=f"{name}_2_conv")(x1)
    return _layers.Concatenate(axis=-1, name=f"{name}_concat")([x, x1])


def dense_block(x, blocks, name):
    """`blocks` conv blocks of growth rate 32."""
    for i in range(blocks):
        x = conv_block(x, 32, name=f"{name}_block{i + 1}")
    return x


def transition_block(x, reduction, name):
    """BN-ReLU-1x1 conv to `reduction` of the channels, then 2x2 average pooling."""
    x = _bn(f"{name}_bn")(x)
    x = _layers.Activation("relu", name=f"{name}_relu")(x)
    x = _layers.Conv2D(int(x.shape[-1] * reduction), 1, use_bias=False, name=f"{name}_conv")(x)
    return _layers.AveragePooling2D(2, strides=2, name=f"{name}_pool")(x)


def _features(img_input, include_top, blocks):
    x = _layers.ZeroPadding2D(padding=((3, 3), (3, 3)))(img_input)
    x = _layers.Conv2D(64, 7, strides=2, use_bias=False, name="conv1_conv")(x)
    x = _bn("conv1_bn")(x)
    x = _layers.Activation("relu", name="conv1_relu")(x)
    x = _layers.ZeroPadding2D(padding=((1, 1), (1, 1)))(x)
    x = _layers.MaxPooling2D(3, strides=2, name="pool1")(x)
    for i, n in enumerate(blocks):
        x = dense_block(x, n, name=f"conv{i + 2}")
        if i < len(blocks) - 1:
            x = transition_block(x, 0.5, name=f"pool{i + 2}")
    x = _bn("bn")(x)
    return _layers.Activation("relu", name="relu")(x), {"pool_name": "avg_pool"}


def DenseNet(blocks, include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
             pooling=None, classes=1000, classifier_activation="softmax", name="densenet"):
    """A DenseNet with `blocks[i]` conv blocks in dense block i (growth rate 32)."""
    return _u.build("DenseNet", _features, include_top=include_top, weights=weights,
                    input_tensor=input_tensor, input_shape=input_shape, pooling=pooling,
                    classes=classes, classifier_activation=classifier_activation, name=name,
                    default_size=224, blocks=list(blocks))


def DenseNet121(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
                pooling=None, classes=1000, classifier_activation="softmax", name="densenet121"):
    """DenseNet121 (6, 12, 24, 16 blocks); `weights` None or a local file path."""
    return DenseNet([6, 12, 24, 16], include_top, weights, input_tensor, input_shape, pooling,
                    classes, classifier_activation, name)


def DenseNet169(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
                pooling=None, classes=1000, classifier_activation="softmax", name="densenet169"):
    """DenseNet169 (6, 12, 32, 32 blocks); `weights` None or a local file path."""
    return DenseNet([6, 12, 32, 32], include_top, weights, input_tensor, input_shape, pooling,
                    classes, classifier_activation, name)


def DenseNet201(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
                pooling=None, classes=1000, classifier_activation="softmax", name="densenet201"):
    """DenseNet201 (6, 12, 48, 32 blocks); `weights` None or a local file path."""
    return DenseNet([6, 12, 48, 32], include_top, weights, input_tensor, input_shape, pooling,
                    classes, classifier_activation, name)
