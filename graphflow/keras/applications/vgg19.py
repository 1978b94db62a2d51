"""VGG19, Keras 3's `keras.applications.VGG19` (the VGG16 builder with 2, 2, 4, 4, 4
convolutions per block).

>>> import graphflow as tf
>>> tf.keras.applications.VGG19(weights="imagenet")      # doctest: +ELLIPSIS
Traceback (most recent call last):
...
ValueError: VGG19(weights='imagenet'): pretrained ImageNet weights cannot be downloaded here ...
"""
from . import imagenet_utils as _u
from .vgg16 import preprocess_input, vgg

decode_predictions = _u.decode_predictions
__all__ = ["VGG19", "preprocess_input", "decode_predictions"]


def VGG19(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
          pooling=None, classes=1000, classifier_activation="softmax", name="vgg19"):
    """VGG19 (2, 2, 4, 4, 4 convolutions per block); `weights` None or a local file path."""
    return vgg((2, 2, 4, 4, 4), "VGG19", include_top, weights, input_tensor, input_shape,
               pooling, classes, classifier_activation, name)
