"""keras.ops.image: Keras 3's image operations (channels_last) on graphflow's image ops.

>>> import numpy as np
>>> from graphflow.keras.ops import image
>>> image.resize(np.ones((1, 4, 4, 3), "float32"), (2, 2)).shape
TensorShape([1, 2, 2, 3])
"""
from ...ops import image_ops as _im, image_extra_ops as _imx, math_ops as _m
from ...tensor import convert_to_tensor
from .numpy import moveaxis
from .promote import floating as _floating


def resize(images, size, interpolation="bilinear", antialias=False, crop_to_aspect_ratio=False,
           pad_to_aspect_ratio=False, fill_mode="constant", fill_value=0.0, data_format=None):
    """Resize to `size` (height, width)."""
    x = _floating(images)
    if data_format == "channels_first":
        x = moveaxis(x, -3, -1)
    out = _im.resize(x, list(size), method=interpolation, antialias=antialias)
    return moveaxis(out, -1, -3) if data_format == "channels_first" else out


def rgb_to_grayscale(images, data_format=None):
    """Luma (0.2989 R + 0.587 G + 0.114 B) with a trailing channel axis of 1."""
    x = _floating(images)
    w = convert_to_tensor([0.2989, 0.5870, 0.1140], dtype=x.dtype)
    axis = -3 if data_format == "channels_first" else -1
    xs = moveaxis(x, axis, -1)
    out = _m.reduce_sum(xs * w, axis=-1, keepdims=True)
    return moveaxis(out, -1, axis)


def rgb_to_hsv(images, data_format=None):
    """RGB in [0, 1] to HSV."""
    return _imx.rgb_to_hsv(_floating(images))


def hsv_to_rgb(images, data_format=None):
    """HSV to RGB in [0, 1]."""
    return _imx.hsv_to_rgb(_floating(images))
