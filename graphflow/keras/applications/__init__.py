"""keras.applications: the classic image-classification architectures, built with Keras 3's
signatures and layer names (so weights saved by Keras load by name). Weights are never
downloaded: build with `weights=None`, then `model.load_weights(local_path)`.

>>> import graphflow as tf
>>> m = tf.keras.applications.MobileNet(weights=None, alpha=0.25, input_shape=(32, 32, 3),
...                                     classes=10)
>>> tuple(m.output_shape), m.get_layer("conv_preds").name
((None, 10), 'conv_preds')
"""
from . import (densenet, efficientnet, imagenet_utils, mobilenet, mobilenet_v2, resnet, vgg16,
               vgg19, xception)
from .densenet import DenseNet121, DenseNet169, DenseNet201
from .efficientnet import (EfficientNetB0, EfficientNetB1, EfficientNetB2, EfficientNetB3,
                           EfficientNetB4, EfficientNetB5, EfficientNetB6, EfficientNetB7)
from .mobilenet import MobileNet
from .mobilenet_v2 import MobileNetV2
from .resnet import ResNet50, ResNet101, ResNet152
from .vgg16 import VGG16
from .vgg19 import VGG19
from .xception import Xception

resnet50 = resnet   # keras.applications.resnet50.preprocess_input, as Keras

__all__ = ["densenet", "efficientnet", "imagenet_utils", "mobilenet", "mobilenet_v2", "resnet",
           "resnet50", "vgg16", "vgg19", "xception", "DenseNet121", "DenseNet169", "DenseNet201",
           "EfficientNetB0", "EfficientNetB1", "EfficientNetB2", "EfficientNetB3",
           "EfficientNetB4", "EfficientNetB5", "EfficientNetB6", "EfficientNetB7", "MobileNet",
           "MobileNetV2", "ResNet50", "ResNet101", "ResNet152", "VGG16", "VGG19", "Xception"]
