"""`tf.experimental`: `tf.experimental.numpy` (a thin NumPy-style alias set over graphflow ops).

>>> import graphflow as tf
>>> tf.experimental.numpy.arange(3).numpy()
array([0, 1, 2])
"""
from . import numpy  # noqa: A004 (TF's name)
from ..extension_type import BatchableExtensionType, ExtensionType, ExtensionTypeSpec
from ..extension_type import dispatch_for_api, dispatch_for_binary_elementwise_apis
from ..extension_type import dispatch_for_unary_elementwise_apis, unregister_dispatch_for
from ..data.experimental_ops import Optional

__all__ = ["numpy", "ExtensionType", "BatchableExtensionType", "ExtensionTypeSpec",
           "dispatch_for_api", "dispatch_for_unary_elementwise_apis",
           "dispatch_for_binary_elementwise_apis", "unregister_dispatch_for", "Optional"]
