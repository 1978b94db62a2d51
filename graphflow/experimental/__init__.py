"""`tf.experimental`: `tf.experimental.numpy` (a thin NumPy-style alias set over graphflow ops).

>>> import graphflow as tf
>>> tf.experimental.numpy.arange(3).numpy()
array([0, 1, 2])
"""
from . import numpy  # noqa: A004 (TF's name)
from ..extension_type import BatchableExtensionType, ExtensionType, ExtensionTypeSpec
from ..extension_type import dispatch_for_api, dispatch_for_binary_elementwise_apis
from ..extension_type import dispatch_for_unary_elementwise_apis, unregister_dispatch_for
from ..lazy import lazy_attributes


def _optional():
    from ..data.experimental_ops import Optional   # here: tf.data loads at first use
    return Optional


def _dtensor():   # (not in graphflow: its names raise NotImplementedError)
    import importlib   # (`from . import` would ask this module's __getattr__ again)
    return importlib.import_module(__name__ + ".dtensor")


__getattr__, __dir__ = lazy_attributes(globals(), table={"Optional": _optional,
                                                         "dtensor": _dtensor})

__all__ = ["numpy", "ExtensionType", "BatchableExtensionType", "ExtensionTypeSpec",
           "dispatch_for_api", "dispatch_for_unary_elementwise_apis",
           "dispatch_for_binary_elementwise_apis", "unregister_dispatch_for", "Optional"]
