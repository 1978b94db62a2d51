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
from . import (convnext, efficientnet_v2, inception_resnet_v2, inception_v3, mobilenet_v3,
               resnet_v2)
from . import nasnet
from .nasnet import NASNetLarge, NASNetMobile
from .convnext import (ConvNeXtBase, ConvNeXtLarge, ConvNeXtSmall, ConvNeXtTiny,
                       ConvNeXtXLarge)
from .densenet import DenseNet121, DenseNet169, DenseNet201
from .efficientnet import (EfficientNetB0, EfficientNetB1, EfficientNetB2, EfficientNetB3,
                           EfficientNetB4, EfficientNetB5, EfficientNetB6, EfficientNetB7)
from .mobilenet import MobileNet
from .mobilenet_v2 import MobileNetV2
from .efficientnet_v2 import (EfficientNetV2B0, EfficientNetV2B1, EfficientNetV2B2,
                              EfficientNetV2B3, EfficientNetV2L, EfficientNetV2M, EfficientNetV2S)
from .inception_resnet_v2 import InceptionResNetV2
from .inception_v3 import InceptionV3
from .mobilenet_v3 import MobileNetV3Large, MobileNetV3Small
from .resnet_v2 import ResNet50V2, ResNet101V2, ResNet152V2
from .resnet import ResNet50, ResNet101, ResNet152
from .vgg16 import VGG16
from .vgg19 import VGG19
from .xception import Xception

resnet50 = resnet   # keras.applications.resnet50.preprocess_input, as Keras

__all__ = ["densenet", "efficientnet", "imagenet_utils", "mobilenet", "mobilenet_v2", "resnet",
           "resnet50", "vgg16", "vgg19", "xception", "DenseNet121", "DenseNet169", "DenseNet201",
           "EfficientNetB0", "EfficientNetB1", "EfficientNetB2", "EfficientNetB3",
           "EfficientNetB4", "EfficientNetB5", "EfficientNetB6", "EfficientNetB7", "MobileNet",
           "MobileNetV2", "ResNet50", "ResNet101", "ResNet152", "VGG16", "VGG19", "Xception",
           "convnext", "ConvNeXtTiny", "ConvNeXtSmall", "ConvNeXtBase", "ConvNeXtLarge",
           "ConvNeXtXLarge", "efficientnet_v2", "EfficientNetV2B0", "EfficientNetV2B1", "EfficientNetV2B2",
           "EfficientNetV2B3", "EfficientNetV2S", "EfficientNetV2M", "EfficientNetV2L",
           "inception_resnet_v2", "InceptionResNetV2", "inception_v3", "InceptionV3", "mobilenet_v3", "resnet_v2", "MobileNetV3Large", "MobileNetV3Small", "ResNet50V2",
           "ResNet101V2", "ResNet152V2", "nasnet", "NASNetMobile", "NASNetLarge"]
