"""VGG16 (Simonyan & Zisserman 2014), Keras 3's `keras.applications.VGG16` with the same layer
names (`block1_conv1`, ..., `fc1`, `fc2`, `predictions`); `vgg19` reuses the builder.

>>> import graphflow as tf
>>> tf.keras.applications.VGG16(weights="imagenet")      # doctest: +ELLIPSIS
Traceback (most recent call last):
...
ValueError: VGG16(weights='imagenet'): pretrained ImageNet weights cannot be downloaded here ...
"""
from .. import layers as _layers
from . import imagenet_utils as _u

decode_predictions = _u.decode_predictions

preprocess_input = _u.preprocess_for("caffe")


def _head(x, classes, classifier_activation):
    x = _layers.Flatten(name="flatten")(x)
    x = _layers.Dense(4096, activation="relu", name="fc1")(x)
    x = _layers.Dense(4096, activation="relu", name="fc2")(x)
    return _layers.Dense(classes, activation=classifier_activation, name="predictions")(x)


def _features(img_input, include_top, convs):
    x = img_input
    for block, (filters, n) in enumerate(zip((64, 128, 256, 512, 512), convs), start=1):
        for i in range(1, n + 1):
            x = _layers.Conv2D(filters, (3, 3), activation="relu", padding="same",
                               name=f"block{block}_conv{i}")(x)
        x = _layers.MaxPooling2D((2, 2), strides=(2, 2), name=f"block{block}_pool")(x)
    return x, {"head": _head}


def vgg(convs, family, include_top, weights, input_tensor, input_shape, pooling, classes,
        classifier_activation, name):
    """A VGG net with `convs[b]` 3x3 convolutions in block b+1 (filters 64..512)."""
    return _u.build(family, _features, include_top=include_top, weights=weights,
                    input_tensor=input_tensor, input_shape=input_shape, pooling=pooling,
                    classes=classes, classifier_activation=classifier_activation, name=name,
                    default_size=224, convs=convs)


def VGG16(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
          pooling=None, classes=1000, classifier_activation="softmax", name="vgg16"):
    """VGG16 (2, 2, 3, 3, 3 convolutions per block); `weights` None or a local file path.
    """
    return vgg((2, 2, 3, 3, 3), "VGG16", include_top, weights, input_tensor, input_shape,
               pooling, classes, classifier_activation, name)
