"""keras.ops.image: Keras 3's image operations (channels_last) on graphflow's image ops.

>>> import numpy as np
>>> from graphflow.keras.ops import image
>>> image.resize(np.ones((1, 4, 4, 3), "float32"), (2, 2)).shape
TensorShape([1, 2, 2, 3])
"""
from ...ops import array_ops as _a, image_ops as _im, image_extra_ops as _imx, math_ops as _m
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


def _box(size, a, b, target, name):
    if target is not None:
        if a is None and b is None:
            raise ValueError(f"keras.ops.image.{name}: give one of the two paddings/croppings "
                             "with a target size")
        extra = abs(target - size)   # the padding added or the cropping removed
        return (a, extra - a) if a is not None else (extra - b, b)
    return (a or 0, b or 0)


def _edges(images, top, left, bottom, right, target_height, target_width, data_format, name):
    """(x, channels_first, h, w, top, bottom, left, right) with the missing edge derived
    from the target size."""
    x = convert_to_tensor(images)
    cf = data_format == "channels_first"
    h, w = (x.shape[-2], x.shape[-1]) if cf else (x.shape[-3], x.shape[-2])
    t, b = _box(h, top, bottom, target_height, name)
    l_, r = _box(w, left, right, target_width, name)
    return x, cf, h, w, t, b, l_, r


def pad_images(images, top_padding=None, left_padding=None, bottom_padding=None,
               right_padding=None, target_height=None, target_width=None, data_format=None):
    """Zero-pad images (H, W, C) or (N, H, W, C) to a box."""
    x, cf, _, _, t, b, l_, r = _edges(images, top_padding, left_padding, bottom_padding,
                                      right_padding, target_height, target_width, data_format,
                                      "pad_images")
    pads = [[0, 0]] * (len(x.shape) - 3) + ([[0, 0], [t, b], [l_, r]] if cf else
                                            [[t, b], [l_, r], [0, 0]])
    return _a.pad(x, pads)


def crop_images(images, top_cropping=None, left_cropping=None, bottom_cropping=None,
                right_cropping=None, target_height=None, target_width=None, data_format=None):
    """Crop images (H, W, C) or (N, H, W, C) to a box."""
    x, cf, h, w, t, b, l_, r = _edges(images, top_cropping, left_cropping, bottom_cropping,
                                      right_cropping, target_height, target_width,
                                      data_format, "crop_images")
    if cf:
        return x[..., t:h - b, l_:w - r]
    return x[..., t:h - b, l_:w - r, :]


def extract_patches(images, size, strides=None, dilation_rate=1, padding="valid",
                    data_format=None):
    """Patches of `size` as channels: (N, H', W', size_h * size_w * C)."""
    x = _floating(images)
    if data_format == "channels_first":
        x = moveaxis(x, -3, -1)
    sz = [size, size] if isinstance(size, int) else list(size)
    st = sz if strides is None else ([strides] * 2 if isinstance(strides, int) else
                                     list(strides))
    rt = [dilation_rate] * 2 if isinstance(dilation_rate, int) else list(dilation_rate)
    single = len(x.shape) == 3
    if single:
        x = x[None]
    out = _imx.extract_patches(x, [1] + sz + [1], [1] + st + [1], [1] + rt + [1],
                               padding.upper())
    out = out[0] if single else out
    return moveaxis(out, -1, -3) if data_format == "channels_first" else out
