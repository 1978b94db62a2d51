"""ResNet50V2 / ResNet101V2 / ResNet152V2 (He et al. 2016, "Identity Mappings in Deep Residual
Networks": pre-activation bottleneck blocks), Keras 3's `keras.applications.resnet_v2` with
its layer names; inputs are scaled to [-1, 1] (`preprocess_input`, mode 'tf').

>>> import graphflow as tf
>>> m = tf.keras.applications.ResNet50V2(weights=None, input_shape=(32, 32, 3), classes=7)
>>> tuple(m.output_shape), m.get_layer("post_bn").name
((None, 7), 'post_bn')
"""
from . import imagenet_utils as _u
from .resnet import ResNet

decode_predictions = _u.decode_predictions
preprocess_input = _u.preprocess_for("tf")


def ResNet50V2(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
               pooling=None, classes=1000, classifier_activation="softmax", name="resnet50v2"):
    """ResNet50V2 (stages of 3, 4, 6, 3 pre-activation blocks); `weights` None or a local
    file path."""
    return ResNet((3, 4, 6, 3), "ResNet50V2", include_top, weights, input_tensor, input_shape,
                  pooling, classes, classifier_activation, name, preact=True)


def ResNet101V2(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
                pooling=None, classes=1000, classifier_activation="softmax",
                name="resnet101v2"):
    """ResNet101V2 (stages of 3, 4, 23, 3 pre-activation blocks)."""
    return ResNet((3, 4, 23, 3), "ResNet101V2", include_top, weights, input_tensor,
                  input_shape, pooling, classes, classifier_activation, name, preact=True)


def ResNet152V2(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
                pooling=None, classes=1000, classifier_activation="softmax",
                name="resnet152v2"):
    """ResNet152V2 (stages of 3, 8, 36, 3 pre-activation blocks)."""
    return ResNet((3, 8, 36, 3), "ResNet152V2", include_top, weights, input_tensor,
                  input_shape, pooling, classes, classifier_activation, name, preact=True)
