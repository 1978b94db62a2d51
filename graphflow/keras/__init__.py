"""graphflow.keras: Keras' high-level API on graphflow.

>>> import numpy as np, graphflow as tf
>>> model = tf.keras.Sequential([
...     tf.keras.layers.Dense(8, activation="relu"),
...     tf.keras.layers.Dense(2, activation="softmax")])
>>> model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
...               metrics=["accuracy"], jit_compile=False)
>>> x = np.random.rand(16, 4).astype("float32"); y = (x[:, 0] > 0.5).astype("int32")
>>> hist = model.fit(x, y, epochs=1, batch_size=8, verbose=0)
>>> sorted(hist.history)
['accuracy', 'loss']
"""
import sys as _sys
import types as _types

import numpy as _np

from . import (activations, callbacks, initializers, layers, losses, metrics, models, optimizers,
               regularizers)
from . import saving
from . import config, constraints, data_utils, datasets, mixed_precision, preprocessing, tree
from .mixed_precision import DTypePolicy
from .mixed_precision import dtype_policies
from .layers import name_scope   # keras.name_scope (Keras 3): weight paths take it as a prefix
from . import ops, random
from .py_dataset import PyDataset as _PyDataset
from .image_utils import array_to_img as _array_to_img, img_to_array as _img_to_array
from . import directory_datasets as _dirds, feature_space as _feature_space
from .plot import plot_model as _plot_model
from . import backend_utils as _bu
from . import legacy_backend as _legacy_backend
from .layers import Input, InputLayer, KerasVariable as _KerasVariable, Layer
from .models import Model, Sequential
from ..tensor import Tensor as _Tensor, Variable as _Variable
from ..lazy import lazy_attributes as _lazy_attributes, register_namespaces as _register_namespaces

# keras.applications is imported on first use
__getattr__, __dir__ = _lazy_attributes(globals(), submodules=("applications",))


def Variable(initializer, shape=None, dtype=None, trainable=True, autocast=True,
             aggregation="none", name=None):
    """A Keras variable (Keras 3's `keras.Variable`): assigned to a layer attribute it is one of
    the layer's weights, where a raw `tf.Variable` is not. `initializer` is a value, or an
    initializer (name or callable) called with `shape` and `dtype`.

    >>> import graphflow as tf
    >>> v = tf.keras.Variable("ones", shape=(2,), name="scale"); v.numpy(), v.name
    (array([1., 1.], dtype=float32), 'scale')
    """
    from .. import dtypes as _dt
    from ..tensor import convert_to_tensor
    if callable(initializer) or isinstance(initializer, (str, dict)):
        if shape is None:
            raise ValueError("keras.Variable: an initializer needs a `shape`")
        dt = _dt.as_dtype(dtype or "float32")
        init = initializers.get(initializer)
        value = lambda: init(tuple(shape), dtype=dt)   # noqa: E731
    else:   # a value: without `dtype`, its own (a float64 array stays float64, as Keras 3)
        value = convert_to_tensor(initializer)
        dt = _dt.as_dtype(dtype) if dtype is not None else value.dtype
        value = _np.asarray(value.numpy(), dt.np)
    return _KerasVariable(value, trainable=trainable, name=name or layers.unique_name("variable"),
                          dtype=dt)


def _clear_session(free_memory=True):
    """Reset layer-name counters (the next Dense is 'dense' again)."""
    layers.reset_names()


def _set_random_seed(seed):
    """Seed graphflow's random ops, numpy and Python's `random` (Keras' utils.set_random_seed)."""
    import random as _random
    from ..ops import random_ops as _r
    _r.set_seed(seed)
    _np.random.seed(seed)
    _random.seed(seed)


def _to_categorical(y, num_classes=None, dtype="float64"):
    """One-hot encode integer class labels: numpy in, float64 numpy out; a tensor in, a
    float32 one_hot tensor out (Keras 3's two paths).

    >>> _to_categorical([0, 2]).dtype
    dtype('float64')
    """
    if isinstance(y, (_Tensor, _Variable)):
        if len(y.shape) > 1 and y.shape[-1] == 1:
            y = ops.squeeze(y, -1)
        return ops.one_hot(y, int(num_classes) if num_classes is not None else
                           int(_np.max(y.numpy())) + 1)
    y = _np.asarray(y, dtype="int64")
    shape = y.shape
    if shape and shape[-1] == 1 and len(shape) > 1:
        shape = shape[:-1]
    y = y.reshape(-1)
    n = int(num_classes) if num_classes is not None else int(y.max()) + 1
    out = _np.zeros((y.size, n), dtype=dtype)
    out[_np.arange(y.size), y] = 1
    return out.reshape(shape + (n,))


def _normalize(x, axis=-1, order=2):
    """keras.utils.normalize (Keras 3): a numpy array by numpy (a zero norm leaves zeros),
    anything else - a tensor, also a traced one in a custom loss - by keras.ops.nn.normalize."""
    if not isinstance(x, _np.ndarray):
        return ops.nn.normalize(x, axis=axis, order=order)
    norm = _np.linalg.norm(x, order, axis, keepdims=True)
    return x / _np.where(norm == 0, 1, norm)


def _get_value(x):
    """numpy value of a Variable / tensor / number (tf.keras.backend.get_value)."""
    return x.numpy() if hasattr(x, "numpy") else _np.asarray(x)


def _set_value(x, value):
    """Assign `value` to the Variable `x` (tf.keras.backend.set_value)."""
    x.assign(_np.asarray(value, dtype=x.dtype.np))


def _random_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """tf.keras.backend.random_normal: a normal sample of `shape` (traced inside fit)."""
    from ..ops import random_ops as _r
    return _r.normal(shape, mean=mean, stddev=stddev, dtype=dtype or "float32", seed=seed)


backend = _types.ModuleType("graphflow.keras.backend")
# tf.keras.backend keeps Keras 2's functions (K.mean, K.int_shape, ...) next to Keras 3's
backend.__dict__.update({_n: getattr(_legacy_backend, _n) for _n in _legacy_backend.__all__})
backend.__dict__.update(clear_session=_clear_session, floatx=config.floatx,
                        set_floatx=config.set_floatx, epsilon=config.epsilon,
                        set_epsilon=config.set_epsilon,
                        image_data_format=config.image_data_format,
                        set_image_data_format=config.set_image_data_format,
                        backend=lambda: "graphflow",
                        get_value=_get_value, set_value=_set_value,
                        random_normal=_random_normal, get_uid=_bu.get_uid,
                        is_float_dtype=_bu.is_float_dtype, is_int_dtype=_bu.is_int_dtype,
                        is_keras_tensor=_bu.is_keras_tensor, result_type=_bu.result_type,
                        standardize_dtype=_bu.standardize_dtype)
utils = _types.ModuleType("graphflow.keras.utils")
utils.__dict__.update(to_categorical=_to_categorical, set_random_seed=_set_random_seed,
                      normalize=_normalize, PyDataset=_PyDataset, Sequence=_PyDataset,
                      custom_object_scope=saving.custom_object_scope,
                      CustomObjectScope=saving.custom_object_scope,
                      get_custom_objects=saving.get_custom_objects,
                      register_keras_serializable=saving.register_keras_serializable,
                      array_to_img=_array_to_img, img_to_array=_img_to_array,
                      load_img=_dirds.load_img,
                      image_dataset_from_directory=_dirds.image_dataset_from_directory,
                      text_dataset_from_directory=_dirds.text_dataset_from_directory,
                      audio_dataset_from_directory=_dirds.audio_dataset_from_directory,
                      FeatureSpace=_feature_space.FeatureSpace,
                      plot_model=_plot_model, pad_sequences=data_utils.pad_sequences,
                      timeseries_dataset_from_array=data_utils.timeseries_dataset_from_array,
                      split_dataset=data_utils.split_dataset, Progbar=callbacks.Progbar,
                      serialize_keras_object=saving.serialize_keras_object,
                      deserialize_keras_object=saving.deserialize_keras_object,
                      Config=_bu.Config, clear_session=_clear_session,
                      is_keras_tensor=_bu.is_keras_tensor,
                      get_source_inputs=_bu.get_source_inputs, save_img=_bu.save_img,
                      pack_x_y_sample_weight=_bu.pack_x_y_sample_weight,
                      unpack_x_y_sample_weight=_bu.unpack_x_y_sample_weight,
                      standardize_dtype=_bu.standardize_dtype, model_to_dot=_bu.model_to_dot,
                      get_registered_name=saving.get_registered_name,
                      get_registered_object=saving.get_registered_object,
                      disable_interactive_logging=config.disable_interactive_logging,
                      enable_interactive_logging=config.enable_interactive_logging,
                      is_interactive_logging_enabled=config.is_interactive_logging_enabled)

utils.get_file = datasets.get_file
for _name in datasets.__all__[1:]:   # `from keras.datasets import mnist` / `...datasets.mnist`
    _sys.modules.setdefault(f"{__name__}.datasets.{_name}", getattr(datasets, _name))

# `from keras.utils import FeatureSpace` / `from tensorflow.keras.backend import ...`: the two
# namespaces without a module file are importable by name too
_sys.modules.setdefault(backend.__name__, backend)
_sys.modules.setdefault(utils.__name__, utils)
# ... and so are the others (`from keras.optimizers.schedules import ExponentialDecay`)
_register_namespaces(_sys.modules[__name__])

__all__ = ["activations", "backend", "callbacks", "config", "constraints", "datasets", "mixed_precision", "initializers", "layers", "losses", "metrics",
           "models", "ops", "optimizers", "preprocessing", "random", "regularizers", "saving", "tree", "utils", "Input", "InputLayer", "Layer", "Model", "Variable",
           "Sequential"]
