"""Shared parts of the `keras.applications` builders: input-shape rules, the `weights` check,
the classifier / pooling top, and ImageNet `preprocess_input` / `decode_predictions`.

graphflow never downloads anything: `weights="imagenet"` raises, and `decode_predictions` needs
the ImageNet class index (`imagenet_class_index.json`) as a local file.

>>> import numpy as np
>>> preprocess_input(np.array([[[0., 127.5, 255.]]]), mode="tf")
array([[[-1.,  0.,  1.]]])
"""
import json
import os

import numpy as np

from .. import layers as _layers
from .. import config as _config
from ..backend_utils import get_source_inputs
from ..layers import KerasTensor
from ...ops import array_ops as _array_ops

CLASS_INDEX_FILE = "imagenet_class_index.json"


def check_weights(weights, family):
    """Reject what needs a download (`weights="imagenet"`) and a missing weights file.

    >>> check_weights(None, "ResNet50") is None
    True
    """
    if weights == "imagenet":
        raise ValueError(
            f"{family}(weights='imagenet'): pretrained ImageNet weights cannot be downloaded here "
            f"(graphflow never uses the network). Build the model with weights=None and load a "
            f"local file with `model.load_weights(path)` (a Keras 3 `.weights.h5` or `.keras` "
            f"file saved by Keras with the same architecture), or pass weights=<that path>.")
    if weights is not None and not os.path.exists(str(weights)):
        raise ValueError(f"{family}: the `weights` argument should be None (random "
                         f"initialization) or the path to a local weights file; got "
                         f"{weights!r}, which does not exist")


def input_shape_for(input_shape, input_tensor, default_size, min_size, include_top, family,
                    square=False):
    """The (rows, cols, channels) shape of the model's input, Keras' `obtain_input_shape` rules
    for channels_last: with `include_top` the spatial size must be known (default
    `default_size`); each given spatial size must be at least `min_size`.

    >>> input_shape_for(None, None, 224, 32, True, "VGG16")
    (224, 224, 3)
    >>> input_shape_for(None, None, 224, 32, False, "VGG16")
    (None, None, 3)
    """
    if _config.image_data_format() != "channels_last":
        raise ValueError(f"{family}: graphflow's keras.applications build channels_last models "
                         f"only; image_data_format() is {_config.image_data_format()!r}")
    if input_shape is None and input_tensor is not None:
        input_shape = tuple(input_tensor.shape[1:])
    if input_shape is None:
        return (default_size, default_size, 3) if include_top else (None, None, 3)
    input_shape = tuple(None if d is None else int(d) for d in input_shape)
    if len(input_shape) != 3:
        raise ValueError(f"{family}: `input_shape` must be a tuple of three integers "
                         f"(rows, cols, channels), got {input_shape}")
    for d in input_shape[:2]:
        if d is not None and d < min_size:
            raise ValueError(f"{family}: input size must be at least {min_size}x{min_size}; "
                             f"got input_shape={input_shape}")
    if include_top and None in input_shape[:2]:
        raise ValueError(f"{family}: with include_top=True the input's spatial size must be "
                         f"known; got input_shape={input_shape}")
    return input_shape


def name_rows(input_shape, input_tensor, include_top, weights, sizes, tensor_size=False):
    """The input rows a MobileNet's name shows (`mobilenetv2_0.35_32`), Keras' rule: the given
    `input_shape`'s rows; else the default size (224, or with `tensor_size` an `input_tensor`'s
    square size in `sizes`) when `include_top` needs a known size, else None; ImageNet
    weights of a size outside `sizes` (or non-square) fall back to 224.

    >>> name_rows((32, 32, 3), None, True, None, (96, 224)), name_rows(None, None, False, None, (224,))
    (32, None)
    """
    if input_shape is not None:
        rows, cols = input_shape[0], input_shape[1]
    else:
        rows = 224
        if tensor_size and input_tensor is not None:
            r, c = input_tensor.shape[1], input_tensor.shape[2]
            rows = r if r == c and r in sizes else 224
        rows = cols = rows if include_top else None
    if weights == "imagenet" and (rows != cols or rows not in sizes):
        rows = 224
    return rows


def model_input(input_tensor, input_shape):
    """The model's input: `input_tensor` (a Keras tensor) or a new `Input(input_shape)`."""
    if input_tensor is None:
        return _layers.Input(shape=input_shape)
    if not isinstance(input_tensor, KerasTensor):
        raise ValueError(f"`input_tensor` must be a Keras tensor (keras.Input(...)), got "
                         f"{type(input_tensor).__name__}")
    return input_tensor


def top(x, include_top, pooling, classes, classifier_activation, pool_name=None, head=None,
        final=None):
    """The classifier (`include_top`: `head(x, classes, classifier_activation)`, by default
    global average pooling and Dense 'predictions') or the optional global pooling of a feature
    extractor (`pooling` None / 'avg' / 'max'), then `final(x)` if given (ConvNeXt's
    LayerNormalization)."""
    if include_top:
        if head is not None:
            return head(x, classes, classifier_activation)
        x = _layers.GlobalAveragePooling2D(name=pool_name)(x)
        return _layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    if pooling == "avg":
        x = _layers.GlobalAveragePooling2D(name=pool_name)(x)
    elif pooling == "max":
        x = _layers.GlobalMaxPooling2D(name=pool_name and "max_pool")(x)
    elif pooling is not None:
        raise ValueError(f"`pooling` must be None, 'avg' or 'max', got {pooling!r}")
    return x if final is None else final(x)


def build(family, builder, *, include_top, weights, input_tensor, input_shape, pooling,
          classes, classifier_activation, name, default_size, min_size=32,
          require_flatten=None, **kwargs):
    """Run `builder(img_input, **kwargs) -> features` and wrap input, features and top in a
    functional Model (loading `weights` when it is a local path). `require_flatten` (default:
    `include_top`) asks for a known spatial input size; models whose classifier pools
    globally (MobileNetV3, ConvNeXt, EfficientNetV2) accept any size."""
    from ..models import Model
    check_weights(weights, family)
    shape = input_shape_for(input_shape, input_tensor, default_size, min_size,
                            include_top if require_flatten is None else require_flatten, family)
    img_input = model_input(input_tensor, shape)
    x, top_kwargs = builder(img_input, include_top=include_top, **kwargs)
    x = top(x, include_top, pooling, classes, classifier_activation, **top_kwargs)
    model = Model(source_inputs(img_input), x, name=name)
    if weights is not None:
        model.load_weights(weights)
    return model


def source_inputs(tensor):
    """The `keras.Input`s a Keras tensor is computed from (`keras.utils.get_source_inputs`):
    the model built on an intermediate `input_tensor` starts at them (one Input unwrapped).

    >>> import graphflow as tf
    >>> inp = tf.keras.Input((4,))
    >>> source_inputs(tf.keras.layers.Dense(2)(inp)) is inp
    True
    """
    found = get_source_inputs(tensor)
    return found[0] if len(found) == 1 else found


def correct_pad(inputs, kernel_size):
    """The ZeroPadding2D padding that makes a strided 'valid' convolution of `kernel_size` act
    like TF's 'same' one (Keras' `imagenet_utils.correct_pad`)."""
    k = (kernel_size, kernel_size) if isinstance(kernel_size, int) else tuple(kernel_size)
    rows, cols = inputs.shape[1], inputs.shape[2]
    adjust = (1, 1) if rows is None else (1 - rows % 2, 1 - cols % 2)
    correct = (k[0] // 2, k[1] // 2)
    return ((correct[0] - adjust[0], correct[0]), (correct[1] - adjust[1], correct[1]))


def make_divisible(v, divisor, min_value=None):
    """`v` rounded to a multiple of `divisor`, never below 90% of `v` (MobileNet channel counts).

    >>> make_divisible(32 * 0.35, 8), make_divisible(1280 * 1.4, 8)
    (16, 1792)
    """
    min_value = min_value or divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


_MEAN = {"torch": [0.485, 0.456, 0.406], "caffe": [103.939, 116.779, 123.68]}
_STD = {"torch": [0.229, 0.224, 0.225]}


def preprocess_input(x, data_format=None, mode="caffe"):
    """Keras' ImageNet preprocessing of RGB images in [0, 255], channels last:
    'caffe' - RGB to BGR, minus the ImageNet BGR mean; 'tf' - scaled to [-1, 1];
    'torch' - scaled to [0, 1], minus mean, over std (per channel). A numpy array gives a new
    float array (integer input becomes float32); a tensor gives a tensor.

    >>> import numpy as np
    >>> preprocess_input(np.full((1, 1, 3), 255.0), mode="caffe")
    array([[[151.061, 138.221, 131.32 ]]])
    """
    if mode not in ("caffe", "tf", "torch"):
        raise ValueError(f"preprocess_input: `mode` must be 'caffe', 'tf' or 'torch', got "
                         f"{mode!r}")
    data_format = data_format or _config.image_data_format()
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f"preprocess_input: unknown data_format {data_format!r}")
    is_numpy = not hasattr(x, "numpy") or isinstance(x, np.ndarray)
    if is_numpy:
        x = np.asarray(x)
        x = x.astype(_config.floatx() if not np.issubdtype(x.dtype, np.floating) else x.dtype,
                     copy=True)
    if mode == "tf":
        return x / 127.5 - 1.0
    first = data_format == "channels_first"
    if mode == "torch":
        x = x / 255.0
        mean, std = _MEAN["torch"], _STD["torch"]
    else:
        axis = x.ndim - 3 if first else x.ndim - 1     # RGB -> BGR
        x = np.flip(x, axis) if is_numpy else _array_ops.reverse(x, [axis])
        mean, std = _MEAN["caffe"], None
    shape = (3, 1, 1) if first else (3,)
    mean = np.asarray(mean, dtype=getattr(x, "dtype", np.float32) if is_numpy else "float32")
    x = x - mean.reshape(shape)
    if std is not None:
        x = x / np.asarray(std, dtype=mean.dtype).reshape(shape)
    return x


_MODE_DOC = {"caffe": "RGB to BGR, minus the ImageNet BGR mean", "tf": "scaled to [-1, 1]",
             "torch": "scaled to [0, 1], minus the ImageNet mean, over its std (per channel)"}


def preprocess_for(mode):
    """The `preprocess_input(x, data_format=None)` of a model family using `mode`.

    >>> preprocess_for("tf")(np.array([0.0, 255.0]))
    array([-1.,  1.])
    """
    def preprocess(x, data_format=None):
        return preprocess_input(x, data_format=data_format, mode=mode)
    preprocess.__name__ = preprocess.__qualname__ = "preprocess_input"
    preprocess.__doc__ = (f"Preprocess RGB images in [0, 255] (mode {mode!r}): {_MODE_DOC[mode]}."
                          f" numpy in, numpy out; a tensor gives a tensor.")
    return preprocess


def decode_predictions(preds, top=5, class_index_path=None):
    """The `top` (class_id, class_name, score) triples of each row of ImageNet predictions
    (batch, 1000). The class names come from `imagenet_class_index.json`, which Keras
    downloads: here it must be a local file, `class_index_path` or the environment variable
    GRAPHFLOW_IMAGENET_CLASS_INDEX.

    >>> decode_predictions(np.zeros((1, 1000)))       # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: decode_predictions: the ImageNet class index ...
    """
    preds = np.asarray(getattr(preds, "numpy", lambda: preds)())
    if preds.ndim != 2 or preds.shape[1] != 1000:
        raise ValueError(f"decode_predictions expects a batch of predictions (i.e. a 2D array "
                         f"of shape (samples, 1000)); got an array of shape {preds.shape}")
    path = class_index_path or os.environ.get("GRAPHFLOW_IMAGENET_CLASS_INDEX")
    if not path or not os.path.exists(path):
        raise ValueError(
            f"decode_predictions: the ImageNet class index ({CLASS_INDEX_FILE}) cannot be "
            f"downloaded here (graphflow never uses the network); pass "
            f"class_index_path=<local copy of {CLASS_INDEX_FILE}> or set "
            f"GRAPHFLOW_IMAGENET_CLASS_INDEX" + (f" (no file at {path!r})" if path else ""))
    with open(path) as f:
        index = json.load(f)
    out = []
    for row in preds:
        ids = row.argsort()[-top:][::-1]
        out.append([tuple(index[str(i)]) + (row[i],) for i in ids])
    return out
