"""More of `tf.image` (the data augmentation tutorial's functions): dtype conversion, color
(grayscale, HSV, brightness, contrast, saturation, hue, gamma), geometry (crops, pads, rot90,
transpose), standardization, image gradients and metrics (total_variation, psnr, sobel_edges),
and the random / stateless-random augmentations. All compositions of graphflow ops, so they
trace and differentiate (in the image values) - except `adjust_contrast`, a primitive with no
gradient as TF's AdjustContrastv2; images are (H, W, C) or (N, H, W, C).

Random variants draw with `tf.random.uniform` (op seeds as TF); the `stateless_random_*`
variants are functions of their `seed` (two integers), as `tf.random.stateless_uniform`.

>>> import graphflow as tf
>>> img = tf.constant([[[255, 0, 0]]], dtype=tf.uint8)
>>> tf.image.convert_image_dtype(img, tf.float32).numpy().tolist()
[[[1.0, 0.0, 0.0]]]
>>> tf.image.rgb_to_grayscale(img).numpy().tolist()
[[[76]]]
"""
import math

import numpy as np

from .. import dtypes as _dt
from ..dispatch import bind
from ..tensor import Tensor, constant, to_tensor
from . import array_ops as _a, math_ops as _m, random_ops as _r, shape_ops as _s
from . import runtime_shape
from .conv_ops import avg_pool2d, depthwise_conv2d
from .dynamic_index import Window, dynamic_getitem
from .image_ops import flip_left_right, flip_up_down, resize
from .misc_ops import get_static_value, static_ints
from .nn_ops import check_labels
from .registry import Aval, defop, op_error

__all__ = ["convert_image_dtype", "rgb_to_grayscale", "grayscale_to_rgb", "rgb_to_hsv",
           "hsv_to_rgb", "adjust_brightness", "adjust_contrast", "adjust_gamma",
           "adjust_saturation", "adjust_hue", "central_crop", "crop_to_bounding_box",
           "pad_to_bounding_box", "resize_with_crop_or_pad", "resize_with_pad", "rot90",
           "transpose", "per_image_standardization", "total_variation", "image_gradients",
           "sobel_edges", "psnr", "ssim", "ssim_multiscale", "rgb_to_yiq", "yiq_to_rgb",
           "rgb_to_yuv", "yuv_to_rgb", "crop_and_resize", "non_max_suppression_padded",
           "combined_non_max_suppression", "draw_bounding_boxes",
           "sample_distorted_bounding_box", "stateless_sample_distorted_bounding_box",
           "random_flip_left_right", "random_flip_up_down",
           "random_brightness", "random_contrast", "random_saturation", "random_hue",
           "random_crop", "stateless_random_flip_left_right", "stateless_random_flip_up_down",
           "stateless_random_brightness", "stateless_random_contrast",
           "stateless_random_saturation", "stateless_random_hue", "stateless_random_crop",
           "extract_patches", "non_max_suppression", "non_max_suppression_with_scores"]


def _image(image, opname, channels=None):
    x = to_tensor(image)
    if x.ndim not in (3, 4):
        raise op_error(opname, (x,), "images must have rank 3 (H, W, C) or 4 (N, H, W, C)")
    if channels is not None and x.shape[-1] != channels:
        raise op_error(opname, (x,), f"the last dimension must be {channels} (channels)")
    return x


# ---------------------------------------------------------------- dtype conversion
def convert_image_dtype(image, dtype, saturate=False, name=None):
    """`tf.image.convert_image_dtype`: integer images hold [0, MAX], float images [0, 1];
    converting rescales (uint8 -> float divides by 255; float -> uint8 multiplies by 255.5 and
    truncates, as TF), float <-> float and int <-> int keep or shift the range.

    >>> convert_image_dtype(constant([0.5], dtype="float32"), "uint8").numpy()
    array([127], dtype=uint8)
    """
    x = to_tensor(image)
    dt = _dt.as_dtype(dtype)
    src = x.dtype
    if src == dt:
        return _m.identity(x)
    if src.is_integer and dt.is_integer:
        scale = (int(src.max) + 1) / (int(dt.max) + 1)
        y = _m.cast(x, _dt.float64) / scale
        return _m.cast(_m.floor(y), dt)
    if src.is_integer:   # int -> float
        return _m.cast(x, dt) * (1.0 / float(src.max))
    if dt.is_integer:    # float -> int
        y = x * (float(dt.max) + 0.5)
        if saturate:
            y = _m.clip_by_value(y, float(dt.min), float(dt.max))
        return _m.cast(y, dt)
    return _m.cast(x, dt)


def _to_float(x):
    return x if x.dtype.is_floating else convert_image_dtype(x, _dt.float32)


def _back(y, dtype):
    return y if y.dtype == dtype else convert_image_dtype(y, dtype, saturate=True)


# ---------------------------------------------------------------- color
_GRAY = [0.2989, 0.5870, 0.1140]


def rgb_to_grayscale(images, name=None):
    """Luma 0.2989 R + 0.5870 G + 0.1140 B, keeping a channel axis of 1 and the dtype."""
    x = _image(images, "rgb_to_grayscale", 3)
    f = _to_float(x)
    g = _m.reduce_sum(f * constant(np.array(_GRAY, f.dtype.np)), -1, keepdims=True)
    return _back(g, x.dtype)


def grayscale_to_rgb(images, name=None):
    """The single channel repeated three times.

    >>> grayscale_to_rgb(constant([[[0.5]]])).numpy().tolist()
    [[[0.5, 0.5, 0.5]]]
    """
    x = _image(images, "grayscale_to_rgb", 1)
    return _s.concat([x, x, x], -1)


# TF's colour-space kernels (image_ops_impl.py): out = images @ kernel on the last axis
_RGB_TO_YIQ = [[0.299, 0.59590059, 0.2115], [0.587, -0.27455667, -0.52273617],
               [0.114, -0.32134392, 0.31119955]]
_YIQ_TO_RGB = [[1, 1, 1], [0.95598634, -0.27201283, -1.10674021],
               [0.6208248, -0.64720424, 1.70423049]]
_RGB_TO_YUV = [[0.299, -0.14714119, 0.61497538], [0.587, -0.28886916, -0.51496512],
               [0.114, 0.43601035, -0.10001026]]
_YUV_TO_RGB = [[1, 1, 1], [0, -0.394642334, 2.03206185], [1.13988303, -0.58062185, 0]]


def _colour(images, kernel, opname):
    x = to_tensor(images)
    if x.ndim < 1 or x.shape[-1] != 3:
        raise op_error(opname, (x,), "the last dimension must be 3 (channels)")
    if not x.dtype.is_floating:
        raise op_error(opname, (x,), "needs float images (convert_image_dtype first)")
    return _a.tensordot(x, constant(np.asarray(kernel, x.dtype.np)), [[x.ndim - 1], [0]])


def rgb_to_yiq(images):
    """`tf.image.rgb_to_yiq`: RGB to YIQ (Y = 0.299 R + 0.587 G + 0.114 B), float images.

    >>> [round(float(v), 3) + 0.0 for v in rgb_to_yiq(constant([1., 1., 1.]))]
    [1.0, 0.0, 0.0]
    """
    return _colour(images, _RGB_TO_YIQ, "rgb_to_yiq")


def yiq_to_rgb(images):
    """`tf.image.yiq_to_rgb`: the inverse of rgb_to_yiq (to TF's 8-digit kernels).

    >>> [round(float(v), 3) for v in yiq_to_rgb(constant([1., 0., 0.]))]
    [1.0, 1.0, 1.0]
    """
    return _colour(images, _YIQ_TO_RGB, "yiq_to_rgb")


def rgb_to_yuv(images):
    """`tf.image.rgb_to_yuv`: RGB to YUV (BT.601 weights), float images.

    >>> [round(float(v), 3) for v in rgb_to_yuv(constant([1., 0., 0.]))]
    [0.299, -0.147, 0.615]
    """
    return _colour(images, _RGB_TO_YUV, "rgb_to_yuv")


def yuv_to_rgb(images):
    """`tf.image.yuv_to_rgb`: the inverse of rgb_to_yuv.

    >>> [round(float(v), 3) + 0.0 for v in yuv_to_rgb(constant([0.5, 0., 0.]))]
    [0.5, 0.5, 0.5]
    """
    return _colour(images, _YUV_TO_RGB, "yuv_to_rgb")


def rgb_to_hsv(images, name=None):
    """RGB in [0, 1] to HSV (hue in [0, 1)), as TF.

    >>> [round(v, 4) for v in rgb_to_hsv(constant([[[0., 1., 0.]]])).numpy().ravel().tolist()]
    [0.3333, 1.0, 1.0]
    """
    x = _image(images, "rgb_to_hsv", 3)
    r, g, b = x[..., 0], x[..., 1], x[..., 2]
    v = _m.maximum(_m.maximum(r, g), b)
    mn = _m.minimum(_m.minimum(r, g), b)
    rng = v - mn
    zero = _m.zeros_like(v)
    safe_v = _m.where(_m.greater(v, 0.0), v, _m.ones_like(v))
    s = _m.where(_m.greater(v, 0.0), rng / safe_v, zero)
    safe = _m.where(_m.greater(rng, 0.0), rng, _m.ones_like(rng))
    h = _m.where(_m.equal(v, r), (g - b) / safe,
                 _m.where(_m.equal(v, g), 2.0 + (b - r) / safe, 4.0 + (r - g) / safe))
    h = h / 6.0
    h = _m.where(_m.greater(rng, 0.0), h - _m.floor(h), zero)
    return _s.stack([h, s, v], -1)


def hsv_to_rgb(images, name=None):
    """HSV (hue in [0, 1]) to RGB, as TF.

    >>> hsv_to_rgb(constant([[[0.3333333, 1., 1.]]])).numpy().round(3).tolist()
    [[[0.0, 1.0, 0.0]]]
    """
    x = _image(images, "hsv_to_rgb", 3)
    h, s, v = x[..., 0], x[..., 1], x[..., 2]
    c = s * v
    m = v - c
    dh = h * 6.0
    out = []
    for shift in (0.0, 4.0, 2.0):   # r, g, b: TF's piecewise-linear form
        t = _m.clip_by_value(_m.abs(_a_mod(dh + shift, 6.0) - 3.0) - 1.0, 0.0, 1.0)
        out.append(m + c * t)
    return _s.stack(out, -1)


def _a_mod(x, n):
    return x - _m.floor(x / n) * n


def adjust_brightness(image, delta):
    """image + delta (in the float range; integer images convert and saturate back).

    >>> [round(v, 3) for v in adjust_brightness(constant([[[0.1, 0.2, 0.3]]]), 0.1).numpy().ravel().tolist()]
    [0.2, 0.3, 0.4]
    """
    x = _image(image, "adjust_brightness")
    f = _to_float(x)
    return _back(f + _m.cast(to_tensor(delta), f.dtype), x.dtype)


def _contrast_impl(x, factor):
    mean = np.mean(x, axis=(-3, -2), keepdims=True, dtype=np.float64)
    y = ((x - mean) * np.float64(factor) + mean).astype(x.dtype)
    return y


def _contrast_rule(x, factor):
    if np.dtype(x.dtype).kind != "f" or len(x.shape) < 3 or tuple(factor.shape) != ():
        raise op_error("adjust_contrast", (x, factor), "needs float images of rank >= 3 and a "
                       "scalar contrast factor")
    return Aval(tuple(x.shape), np.dtype(x.dtype))


def _no_contrast_gradient(**attrs):
    raise LookupError("gradient registry has no entry for: AdjustContrastv2 (TF registers no "
                      "gradient for tf.image.adjust_contrast; graphflow follows it)")


ADJUST_CONTRAST = defop(
    "adjust_contrast", _contrast_impl, _contrast_rule,
    nondiff_reason="TF registers no gradient for AdjustContrastv2 (the autodiff guide shows "
                   "the LookupError)", gradient_error=_no_contrast_gradient)


def adjust_contrast(images, contrast_factor):
    """(x - mean) * contrast_factor + mean, the mean per image and channel over H and W. A
    primitive without a gradient, as TF's AdjustContrastv2 (a gradient through it raises
    LookupError, as the autodiff guide shows).

    >>> adjust_contrast(constant([[[1.], [3.]]]), 2.).numpy().ravel().tolist()
    [0.0, 4.0]
    """
    x = _image(images, "adjust_contrast")
    f = _to_float(x)
    factor = _m.cast(to_tensor(contrast_factor), f.dtype)
    return _back(bind(ADJUST_CONTRAST, [f, factor], {}), x.dtype)


def adjust_gamma(image, gamma=1, gain=1):
    """gain * image ** gamma (float range; integer images convert back).

    >>> adjust_gamma(constant([[[0.25]]]), 0.5).numpy().tolist()
    [[[0.5]]]
    """
    x = _image(image, "adjust_gamma")
    g = get_static_value(gamma)
    if g is not None and float(g) < 0:
        raise ValueError("adjust_gamma: gamma must be non-negative")
    f = _to_float(x)
    return _back(_m.cast(to_tensor(gain), f.dtype) * f ** _m.cast(to_tensor(gamma), f.dtype),
                 x.dtype)


def adjust_saturation(image, saturation_factor, name=None):
    """Scale the HSV saturation by `saturation_factor` (clipped to [0, 1])."""
    x = _image(image, "adjust_saturation", 3)
    f = _to_float(x)
    hsv = rgb_to_hsv(f)
    s = _m.clip_by_value(hsv[..., 1] * _m.cast(to_tensor(saturation_factor), f.dtype), 0.0, 1.0)
    return _back(hsv_to_rgb(_s.stack([hsv[..., 0], s, hsv[..., 2]], -1)), x.dtype)


def adjust_hue(image, delta, name=None):
    """Rotate the HSV hue by `delta` (in [-1, 1]; hue wraps around)."""
    x = _image(image, "adjust_hue", 3)
    f = _to_float(x)
    hsv = rgb_to_hsv(f)
    h = _a_mod(hsv[..., 0] + _m.cast(to_tensor(delta), f.dtype), 1.0)
    return _back(hsv_to_rgb(_s.stack([h, hsv[..., 1], hsv[..., 2]], -1)), x.dtype)


# ---------------------------------------------------------------- geometry
def _hw(x):
    return int(x.shape[-3]), int(x.shape[-2])


def _size_of(x, axis):
    """x.shape[axis] as an int when known, else the size read when the graph runs."""
    d = x.shape[axis]
    return int(d) if isinstance(d, (int, np.integer)) else _s.shape(x)[axis]


def _known(*vs):
    """True if every value is a Python/numpy int or a tensor with a value now."""
    return all(isinstance(v, (int, np.integer)) or isinstance(v, Tensor) and v._value is not None
               for v in vs)


def _max(a, b):
    return max(a, b) if _known(a, b) else _m.maximum(a, b)


def _min(a, b):
    return min(a, b) if _known(a, b) else _m.minimum(a, b)


def crop_to_bounding_box(image, offset_height, offset_width, target_height, target_width):
    """The (target_height, target_width) window at (offset_height, offset_width); inside
    @function the image's sizes and the box may be known only when the graph runs (a box
    that does not fit is then an error at run time).

    >>> crop_to_bounding_box(constant(np.arange(9.).reshape(3, 3, 1)), 1, 1, 2, 1).numpy().ravel()
    array([4., 7.])
    """
    x = _image(image, "crop_to_bounding_box")
    box = (offset_height, offset_width, target_height, target_width)
    if not _known(x.shape[-3], x.shape[-2], *box):
        return dynamic_getitem(x, (Ellipsis, Window(offset_height, target_height),
                                   Window(offset_width, target_width), slice(None)))
    h, w = _hw(x)
    oh, ow, th, tw = (int(v) for v in (offset_height, offset_width, target_height, target_width))
    if oh < 0 or ow < 0 or th <= 0 or tw <= 0 or oh + th > h or ow + tw > w:
        raise ValueError(f"crop_to_bounding_box: the box ({oh}, {ow}, {th}, {tw}) does not fit "
                         f"an image of height {h} and width {w}")
    return x[..., oh:oh + th, ow:ow + tw, :]


def pad_to_bounding_box(image, offset_height, offset_width, target_height, target_width):
    """Zero-pad to (target_height, target_width) with the image at the offset (sizes may be
    known only when the graph runs, as in crop_to_bounding_box).

    >>> pad_to_bounding_box(constant([[[1.]]]), 1, 0, 2, 2).numpy().ravel()
    array([0., 0., 1., 0.], dtype=float32)
    """
    x = _image(image, "pad_to_bounding_box")
    box = (offset_height, offset_width, target_height, target_width)
    if not _known(x.shape[-3], x.shape[-2], *box):
        oh, ow, th, tw = box
        h, w = _size_of(x, -3), _size_of(x, -2)
        pads = [[oh, th - oh - h], [ow, tw - ow - w], [0, 0]]
        y = _a.pad(x, ([[0, 0]] if x.ndim == 4 else []) + pads)
        return runtime_shape.reshape(y, ([_size_of(x, 0)] if x.ndim == 4 else []) +
                                     [th, tw, _size_of(x, -1)])   # the box's sizes if known
    h, w = _hw(x)
    oh, ow, th, tw = (int(v) for v in (offset_height, offset_width, target_height, target_width))
    if oh < 0 or ow < 0 or th - oh < h or tw - ow < w:
        raise ValueError(f"pad_to_bounding_box: an image of height {h} and width {w} at offset "
                         f"({oh}, {ow}) does not fit ({th}, {tw})")
    pads = [[oh, th - oh - h], [ow, tw - ow - w], [0, 0]]
    return _a.pad(x, ([[0, 0]] if x.ndim == 4 else []) + pads)


def central_crop(image, central_fraction):
    """The central `central_fraction` of the height and width (TF's rounding).

    >>> central_crop(constant(np.arange(16.).reshape(4, 4, 1)), 0.5).numpy()[..., 0].tolist()
    [[5.0, 6.0], [9.0, 10.0]]
    """
    x = _image(image, "central_crop")
    if not 0.0 < central_fraction <= 1.0:
        raise ValueError("central_crop: central_fraction must be within (0, 1]")
    if central_fraction == 1.0:
        return x
    if not _known(x.shape[-3], x.shape[-2]):   # TF's graph rounding: the fraction as float32
        h, w = (_m.cast(_s.shape(x)[a], _dt.float64) for a in (-3, -2))
        frac = float(np.float32(central_fraction))
        oh, ow = (_m.cast((d - d * frac) / 2, _dt.int32) for d in (h, w))
        return crop_to_bounding_box(x, oh, ow, _size_of(x, -3) - 2 * oh, _size_of(x, -2) - 2 * ow)
    h, w = _hw(x)
    oh = int((h - h * central_fraction) / 2)
    ow = int((w - w * central_fraction) / 2)
    return crop_to_bounding_box(x, oh, ow, h - 2 * oh, w - 2 * ow)


def resize_with_crop_or_pad(image, target_height, target_width):
    """Center-crop and/or zero-pad to (target_height, target_width), as TF.

    >>> resize_with_crop_or_pad(constant(np.ones((2, 4, 1))), 4, 2).numpy()[..., 0].tolist()
    [[0.0, 0.0], [1.0, 1.0], [1.0, 1.0], [0.0, 0.0]]
    """
    x = _image(image, "resize_with_crop_or_pad")
    h, w = _size_of(x, -3), _size_of(x, -2)
    th, tw = ((int(v) if _known(v) else v) for v in (target_height, target_width))
    hd, wd = th - h, tw - w
    x = crop_to_bounding_box(x, _max(-hd // 2, 0), _max(-wd // 2, 0), _min(th, h), _min(tw, w))
    return pad_to_bounding_box(x, _max(hd // 2, 0), _max(wd // 2, 0), th, tw)


def resize_with_pad(image, target_height, target_width, method="bilinear", antialias=False):
    """Resize keeping the aspect ratio, then zero-pad to (target_height, target_width)."""
    x = _image(image, "resize_with_pad")
    h, w = _hw(x)
    th, tw = int(target_height), int(target_width)
    f32 = np.float32   # TF computes the sizes and the padding in float32, from the unfloored
    ratio = max(f32(w) / f32(tw), f32(h) / f32(th))   # resized sizes
    fh, fw = f32(h) / ratio, f32(w) / ratio
    y = resize(x, (int(math.floor(fh)), int(math.floor(fw))), method=method)
    return pad_to_bounding_box(y, max(int(math.floor((f32(th) - fh) / 2)), 0),
                               max(int(math.floor((f32(tw) - fw) / 2)), 0), th, tw)


def rot90(image, k=1, name=None):
    """Rotate by k * 90 degrees counter-clockwise (numpy.rot90 over H, W).

    >>> rot90(constant([[[1], [2]], [[3], [4]]])).numpy()[..., 0].tolist()
    [[2, 4], [1, 3]]
    """
    x = _image(image, "rot90")
    k = int(k) % 4
    hw = (1, 2) if x.ndim == 4 else (0, 1)
    perm = list(range(x.ndim))
    perm[hw[0]], perm[hw[1]] = perm[hw[1]], perm[hw[0]]
    for _ in range(k):
        x = _s.transpose(_a.reverse(x, [hw[1]]), perm)
    return x


def transpose(image, name=None):
    """Swap height and width."""
    x = _image(image, "transpose")
    perm = [0, 2, 1, 3] if x.ndim == 4 else [1, 0, 2]
    return _s.transpose(x, perm)


# ---------------------------------------------------------------- statistics and metrics
def per_image_standardization(image):
    """(x - mean) / max(stddev, 1 / sqrt(N)) per image (N = H * W * C), float32 for integer
    images.

    >>> per_image_standardization(constant([[[1.], [3.]]])).numpy().ravel().tolist()
    [-1.0, 1.0]
    """
    x = _image(image, "per_image_standardization")
    f = x if x.dtype.is_floating else _m.cast(x, _dt.float32)
    mean = _m.reduce_mean(f, [-3, -2, -1], keepdims=True)
    std = _m.sqrt(_m.reduce_mean(_m.square(f - mean), [-3, -2, -1], keepdims=True))
    if _known(*f.shape[-3:]):
        n = float(np.prod([int(d) for d in f.shape[-3:]]))
        return (f - mean) / _m.maximum(std, 1.0 / math.sqrt(n))
    n = _m.cast(_m.reduce_prod(_s.shape(f)[-3:]), f.dtype)   # pixels known when it runs
    return (f - mean) / _m.maximum(std, 1.0 / _m.sqrt(n))


def image_gradients(image):
    """(dy, dx): forward differences along height and width, zero in the last row / column.

    >>> dy, dx = image_gradients(constant(np.arange(4.).reshape(1, 2, 2, 1)))
    >>> dy.numpy().ravel().tolist(), dx.numpy().ravel().tolist()
    ([2.0, 2.0, 0.0, 0.0], [1.0, 0.0, 1.0, 0.0])
    """
    x = to_tensor(image)
    if x.ndim != 4:
        raise op_error("image_gradients", (x,), "needs a 4-D (N, H, W, C) image batch")
    dy = _s.concat([x[:, 1:] - x[:, :-1], _m.zeros_like(x[:, :1])], 1)
    dx = _s.concat([x[:, :, 1:] - x[:, :, :-1], _m.zeros_like(x[:, :, :1])], 2)
    return dy, dx


def total_variation(images, name=None):
    """Sum of absolute differences of neighbouring pixels (per image for a batch).

    >>> float(total_variation(constant([[[0.], [1.]], [[3.], [3.]]])))
    6.0
    """
    x = _image(images, "total_variation")
    axes = [-3, -2, -1]
    dh = _m.reduce_sum(_m.abs(x[..., 1:, :, :] - x[..., :-1, :, :]), axes)
    dw = _m.reduce_sum(_m.abs(x[..., :, 1:, :] - x[..., :, :-1, :]), axes)
    return dh + dw


def psnr(a, b, max_val, name=None):
    """Peak signal-to-noise ratio per image: 10 log10(max_val^2 / MSE) (float32).

    >>> round(float(psnr(constant([[[0.], [1.]]]), constant([[[0.], [0.5]]]), 1.0)), 4)
    9.0309
    """
    x, y = _image(a, "psnr"), _image(b, "psnr")
    xf, yf = _m.cast(_to_float(x), _dt.float32), _m.cast(_to_float(y), _dt.float32)
    mv = _m.cast(to_tensor(max_val), _dt.float32)
    if not x.dtype.is_floating:
        mv = mv / float(x.dtype.max)
    mse = _m.reduce_mean(_m.square(xf - yf), [-3, -2, -1])
    return 20.0 * _m.log(mv) / math.log(10.0) - 10.0 * _m.log(mse) / math.log(10.0)


def _gauss_kernel(size, sigma, channels):
    """TF's _fspecial_gauss: a normalized size x size Gaussian (softmax of -r^2 / 2 sigma^2),
    one copy per channel for a depthwise convolution."""
    c = np.arange(size, dtype=np.float64) - (size - 1) / 2.0
    g = -0.5 * (c[None, :] ** 2 + c[:, None] ** 2) / (sigma * sigma)
    g = np.exp(g - g.max())
    return np.tile((g / g.sum())[:, :, None, None], (1, 1, channels, 1))


def _ssim_per_channel(x, y, max_val, filter_size, filter_sigma, k1, k2, opname):
    """(SSIM, contrast-structure) per channel, averaged over height and width (TF's
    _ssim_per_channel; compensation 1.0 as TF, to match MATLAB's MS-SSIM)."""
    h, w, ch = x.shape[-3:]
    if min(h, w) < filter_size:
        raise op_error(opname, (x, y), f"the images ({h}x{w}) must be at least "
                                       f"filter_size={filter_size} in height and width")
    kernel = constant(_gauss_kernel(filter_size, filter_sigma, ch).astype(x.dtype.np))
    lead = tuple(x.shape[:-3])

    def reducer(t):
        r = depthwise_conv2d(_s.reshape(t, (-1, h, w, ch)), kernel, 1, "VALID")
        return _s.reshape(r, lead + tuple(r.shape[1:]))
    c1, c2 = (k1 * max_val) ** 2, (k2 * max_val) ** 2
    mx, my = reducer(x), reducer(y)
    num0 = mx * my * 2.0
    den0 = _m.square(mx) + _m.square(my)
    luminance = (num0 + c1) / (den0 + c1)
    num1 = reducer(x * y) * 2.0
    den1 = reducer(_m.square(x) + _m.square(y))
    cs = (num1 - num0 + c2) / (den1 - den0 + c2)
    return _m.reduce_mean(luminance * cs, [-3, -2]), _m.reduce_mean(cs, [-3, -2])


def _ssim_inputs(img1, img2, max_val, opname):
    x, y = _image(img1, opname), _image(img2, opname)
    if tuple(x.shape) != tuple(y.shape):
        raise op_error(opname, (x, y), "the two images must have the same shape")
    mv = float(np.asarray(get_static_value(to_tensor(max_val))))
    if not x.dtype.is_floating:        # TF converts both images and max_val to [0, 1] floats
        mv = mv / float(x.dtype.max)
    return _to_float(x), _to_float(y), mv


def ssim(img1, img2, max_val, filter_size=11, filter_sigma=1.5, k1=0.01, k2=0.03,
         return_index_map=False):
    """`tf.image.ssim`: the structural similarity of two (batches of) images, per image
    (averaged over the channels), with TF's 11x11 Gaussian window (sigma 1.5) and constants;
    differentiable (a composition of depthwise convolutions).

    >>> x = constant(np.linspace(0., 1., 12 * 12).reshape(12, 12, 1).astype("float32"))
    >>> float(ssim(x, x, 1.0))
    1.0
    """
    x, y, mv = _ssim_inputs(img1, img2, max_val, "ssim")
    if return_index_map:
        raise NotImplementedError("ssim: return_index_map=True is not supported")
    s, _ = _ssim_per_channel(x, y, mv, int(filter_size), float(filter_sigma), k1, k2, "ssim")
    return _m.reduce_mean(s, [-1])


_MS_SSIM_WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)


def ssim_multiscale(img1, img2, max_val, power_factors=_MS_SSIM_WEIGHTS, filter_size=11,
                    filter_sigma=1.5, k1=0.01, k2=0.03):
    """`tf.image.ssim_multiscale`: MS-SSIM - contrast-structure at each of len(power_factors)
    scales (2x2 average pooling between scales, odd sizes padded symmetrically, as TF) and SSIM
    at the coarsest, combined as a weighted geometric mean.

    >>> x = constant(np.random.default_rng(0).random((1, 32, 32, 1)).astype("float32"))
    >>> float(ssim_multiscale(x, x, 1.0, power_factors=(0.5, 0.5), filter_size=5)[0])
    1.0
    """
    x, y, mv = _ssim_inputs(img1, img2, max_val, "ssim_multiscale")
    mcs = []
    for k in range(len(power_factors)):
        if k:
            pair = []
            for t in (x, y):
                lead, (h, w, ch) = tuple(t.shape[:-3]), t.shape[-3:]
                t = _s.reshape(t, (-1, h, w, ch))
                if h % 2 or w % 2:
                    t = _a.pad(t, [[0, 0], [0, h % 2], [0, w % 2], [0, 0]], mode="SYMMETRIC")
                t = avg_pool2d(t, 2, 2, "VALID")
                pair.append(_s.reshape(t, lead + tuple(t.shape[1:])))
            x, y = pair
        s, cs = _ssim_per_channel(x, y, mv, int(filter_size), float(filter_sigma), k1, k2,
                                  "ssim_multiscale")
        mcs.append(_m.relu(cs))
    vals = _s.stack(mcs[:-1] + [_m.relu(s)], axis=-1)
    weights = constant(np.asarray(power_factors, x.dtype.np))
    return _m.reduce_mean(_m.reduce_prod(_m.pow(vals, weights), [-1]), [-1])


def _crop_axis(lo, hi, n_in, n_out, method):
    """(n_out, n_in) sampling matrix of one box edge pair (normalized coordinates, TF's
    CropAndResize: in = lo (n_in - 1) + i (hi - lo) (n_in - 1) / (n_out - 1)) and the mask of
    samples inside the image."""
    i = np.arange(n_out)
    src = lo * (n_in - 1) + i * (hi - lo) * (n_in - 1) / (n_out - 1) if n_out > 1 else \
        np.full(n_out, 0.5 * (lo + hi) * (n_in - 1))
    inside = (src >= 0) & (src <= n_in - 1)
    m = np.zeros((n_out, n_in))
    if method == "nearest":
        m[i[inside], np.round(src[inside]).astype(int)] = 1.0
    else:
        top = np.floor(src).astype(int)
        frac = src - top
        for r in i[inside]:
            m[r, top[r]] += 1.0 - frac[r]
            if frac[r] > 0:
                m[r, min(top[r] + 1, n_in - 1)] += frac[r]
    return m, inside


def crop_and_resize(image, boxes, box_indices, crop_size, method="bilinear",
                    extrapolation_value=0.0, name=None):
    """`tf.image.crop_and_resize`: for each box [y1, x1, y2, x2] (normalized; y2 < y1 flips)
    of image box_indices[b], a crop_size (h, w) sample of that region (bilinear or nearest,
    TF's CropAndResize coordinates); samples outside the image are extrapolation_value. The
    output (num_boxes, h, w, C) is float32 (float64 for float64 images) and differentiable in
    the image. The boxes must be known values (eager, or constants while tracing).

    >>> img = constant(np.arange(16., dtype="float32").reshape(1, 4, 4, 1))
    >>> crop_and_resize(img, [[0., 0., 1., 1.]], [0], (2, 2))[0, :, :, 0].numpy().tolist()
    [[0.0, 3.0], [12.0, 15.0]]
    """
    x = _image(image, "crop_and_resize")
    if x.ndim != 4:
        raise op_error("crop_and_resize", (x,), "image must be 4-D (batch, height, width, C)")
    b = get_static_value(to_tensor(boxes))
    idx = get_static_value(to_tensor(box_indices))
    if b is None or idx is None:
        raise NotImplementedError("crop_and_resize: the boxes and box_indices must be known "
                                  "values (eager tensors or constants), not computed in a trace")
    b, idx = np.asarray(b, np.float64).reshape(-1, 4), np.asarray(idx).reshape(-1)
    if len(b) != len(idx):
        raise op_error("crop_and_resize", (x,), f"{len(b)} boxes but {len(idx)} box_indices")
    ch, cw = (int(v) for v in np.asarray(get_static_value(to_tensor(crop_size))).ravel())
    h, w = x.shape[1:3]
    xf = x if x.dtype in (_dt.float32, _dt.float64) else _m.cast(x, _dt.float32)
    crops = []
    for (y1, x1, y2, x2), k in zip(b, idx):
        my, iny = _crop_axis(y1, y2, h, ch, method)
        mx, inx = _crop_axis(x1, x2, w, cw, method)
        my, mx = constant(my.astype(xf.dtype.np)), constant(mx.astype(xf.dtype.np))
        crop = _a.einsum("ih,hwc,jw->ijc", my, xf[int(k)], mx)
        outside = ~(iny[:, None] & inx[None, :])
        if outside.any() and extrapolation_value:
            crop = crop + constant((outside * float(extrapolation_value))[:, :, None]
                                   .astype(xf.dtype.np))
        crops.append(crop)
    if not crops:
        return _m.cast(constant(np.zeros((0, ch, cw, x.shape[3]))), xf.dtype)
    return _s.stack(crops, 0)


def sobel_edges(image):
    """Sobel filter responses (N, H, W, C, 2): [..., 0] vertical (dy), [..., 1] horizontal
    (dx), with REFLECT padding, as TF.

    >>> sobel_edges(constant(np.arange(9.).reshape(1, 3, 3, 1)))[0, 1, 1, 0].numpy().tolist()
    [24.0, 8.0]
    """
    x = to_tensor(image)
    if x.ndim != 4:
        raise op_error("sobel_edges", (x,), "needs a 4-D (N, H, W, C) image batch")
    p = _a.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]], mode="REFLECT")
    h, w = _hw(x)

    def win(i, j):
        return p[:, i:i + h, j:j + w, :]
    ky = [[-1, -2, -1], [0, 0, 0], [1, 2, 1]]
    out = []
    for k in (ky, np.transpose(ky).tolist()):
        acc = None
        for i in range(3):
            for j in range(3):
                if k[i][j]:
                    t = win(i, j) * float(k[i][j])
                    acc = t if acc is None else acc + t
        out.append(acc)
    return _s.stack(out, -1)


# ---------------------------------------------------------------- random augmentations
def _flip_mask(x, u):
    """TF's _random_flip: one image flips where u < 0.5; a batch (u of shape (N,)) where
    round(u) is 1, i.e. u > 0.5 (the opposite halves: TF's own asymmetry)."""
    if x.ndim == 4:
        return _s.reshape(_m.greater(u, 0.5), [-1, 1, 1, 1])
    return _m.less(u, 0.5)


def _random_flip(image, seed, flip, stateless, opname):
    x = _image(image, opname)
    shape = [x.shape[0]] if x.ndim == 4 else []
    u = (_r.stateless_uniform(shape, seed) if stateless else _r.uniform(shape, seed=seed))
    return _m.where(_flip_mask(x, u), flip(x), x)


def random_flip_left_right(image, seed=None):
    """Each image mirrored left-right with probability 1/2."""
    return _random_flip(image, seed, flip_left_right, False, "random_flip_left_right")


def random_flip_up_down(image, seed=None):
    """Each image flipped upside down with probability 1/2."""
    return _random_flip(image, seed, flip_up_down, False, "random_flip_up_down")


def stateless_random_flip_left_right(image, seed):
    """As random_flip_left_right, a function of `seed` (two integers)."""
    return _random_flip(image, seed, flip_left_right, True, "stateless_random_flip_left_right")


def stateless_random_flip_up_down(image, seed):
    """As random_flip_up_down, a function of `seed` (two integers)."""
    return _random_flip(image, seed, flip_up_down, True, "stateless_random_flip_up_down")


def _factor(lo, hi, seed, stateless):
    if stateless:
        return _r.stateless_uniform([], seed, minval=lo, maxval=hi)
    return _r.uniform([], lo, hi, seed=seed)


def _check_range(lower, upper, opname, min_lower=0.0):
    if upper <= lower:
        raise ValueError(f"{opname}: upper must be > lower, got {lower}, {upper}")
    if lower < min_lower:
        raise ValueError(f"{opname}: lower must be non-negative, got {lower}")


def _delta_pair(adjust, what, limit=None):
    """random_<what> and stateless_random_<what>: `adjust` by a delta drawn from
    [-max_delta, max_delta) (max_delta in [0, limit])."""
    def check(max_delta, opname):
        if max_delta < 0 or (limit is not None and max_delta > limit):
            raise ValueError(f"{opname}: max_delta must be in [0, {limit}]" if limit is not None
                             else f"{opname}: max_delta must be non-negative")

    def random_fn(image, max_delta, seed=None):
        check(max_delta, f"random_{what}")
        return adjust(image, _factor(-max_delta, max_delta, seed, False))

    def stateless_fn(image, max_delta, seed):
        check(max_delta, f"stateless_random_{what}")
        return adjust(image, _factor(-max_delta, max_delta, seed, True))
    return _named(random_fn, stateless_fn, what, "a delta drawn from [-max_delta, max_delta)")


def _range_pair(adjust, what):
    """random_<what> and stateless_random_<what>: `adjust` by a factor drawn from
    [lower, upper)."""
    def random_fn(image, lower, upper, seed=None):
        _check_range(lower, upper, f"random_{what}")
        return adjust(image, _factor(lower, upper, seed, False))

    def stateless_fn(image, lower, upper, seed):
        _check_range(lower, upper, f"stateless_random_{what}")
        return adjust(image, _factor(lower, upper, seed, True))
    return _named(random_fn, stateless_fn, what, "a factor drawn from [lower, upper)")


def _named(random_fn, stateless_fn, what, drawn):
    random_fn.__name__ = random_fn.__qualname__ = f"random_{what}"
    stateless_fn.__name__ = stateless_fn.__qualname__ = f"stateless_random_{what}"
    random_fn.__doc__ = f"adjust_{what} by {drawn} (tf.random.uniform, op `seed`)."
    stateless_fn.__doc__ = f"As random_{what}, a function of `seed` (two integers)."
    return random_fn, stateless_fn


random_brightness, stateless_random_brightness = _delta_pair(adjust_brightness, "brightness")
random_hue, stateless_random_hue = _delta_pair(adjust_hue, "hue", 0.5)
random_contrast, stateless_random_contrast = _range_pair(adjust_contrast, "contrast")
random_saturation, stateless_random_saturation = _range_pair(adjust_saturation, "saturation")


def _random_crop(value, size, seed, stateless):
    x = to_tensor(value)
    size = static_ints(size, "size", "random_crop")
    shape = [_size_of(x, a) for a in range(x.ndim)]
    if len(size) != len(shape) or any(s > d for s, d in zip(size, shape) if _known(d)):
        raise ValueError(f"random_crop: size {size} must have the rank of the value and fit "
                         f"its shape {shape}")
    if _known(*shape):
        limits = constant(np.array([d - s + 1 for d, s in zip(shape, size)], np.int32))
    else:   # sizes known when the graph runs (a window larger than them: an error then)
        limits = _s.stack([_m.cast(check_labels(_m.cast(d - s, _dt.int32), 1 << 30,
                                                "random_crop"), _dt.int32) + 1
                           for d, s in zip(shape, size)])
    top = np.iinfo(np.int32).max   # TF: int32 draws below int32 max, modulo the room left
    if stateless:
        u = _r.stateless_uniform([len(shape)], seed, maxval=top, dtype=_dt.int32)
    else:
        u = _r.uniform([len(shape)], maxval=top, dtype=_dt.int32, seed=seed)
    return _dynamic_slice(x, _m.floormod(u, limits), size)


def _dynamic_slice(x, offsets, size):
    """x[offsets : offsets + size] with run-time offsets: a gather along each axis."""
    for ax, n in enumerate(size):
        idx = offsets[ax] + _m.cast(constant(np.arange(n, dtype=np.int32)), _dt.int32)
        x = _s.gather(x, idx, axis=ax)
    return x


def random_crop(value, size, seed=None, name=None):
    """A random window of shape `size` (every axis) of `value`.

    >>> random_crop(constant(np.arange(10)), [4]).shape
    TensorShape([4])
    """
    return _random_crop(value, size, seed, False)


def stateless_random_crop(value, size, seed, name=None):
    """As random_crop, a function of `seed`."""
    return _random_crop(value, size, seed, True)


# ---------------------------------------------------------------- patches, boxes
def _pair(v, opname, what):
    v = static_ints(v, what, opname)
    if len(v) != 4 or v[0] != 1 or v[3] != 1:
        raise ValueError(f"{opname}: {what} must be [1, rows, cols, 1], got {v}")
    return v[1], v[2]


def _patch_index(n_in, k, s, r, padding):
    """(indices [n_out, k] into the padded axis, pad_before, pad_after) for one axis."""
    eff = (k - 1) * r + 1
    if padding == "VALID":
        n_out = max(0, (n_in - eff) // s + 1)
        before = after = 0
    else:
        n_out = -(-n_in // s)
        total = max((n_out - 1) * s + eff - n_in, 0)
        before, after = total // 2, total - total // 2
    idx = np.arange(n_out)[:, None] * s + np.arange(k)[None, :] * r
    return idx.astype(np.int32), before, after


def extract_patches(images, sizes, strides, rates, padding, name=None):
    """`tf.image.extract_patches`: the (rows x cols) patches of each image, flattened in
    (row, col, channel) order into the depth: (N, out_rows, out_cols, rows * cols * C)
    (padding 'VALID' or 'SAME'; zero padding, as TF). A gather, so differentiable.

    >>> x = constant(np.arange(16.).reshape(1, 4, 4, 1), dtype="float32")
    >>> extract_patches(x, [1, 2, 2, 1], [1, 2, 2, 1], [1, 1, 1, 1], "VALID")[0, 1, 0].numpy()
    array([ 8.,  9., 12., 13.], dtype=float32)
    """
    x = to_tensor(images)
    if x.ndim != 4:
        raise op_error("extract_patches", (x,), "needs 4-D (N, H, W, C) images")
    padding = padding.upper()
    if padding not in ("VALID", "SAME"):
        raise ValueError(f"extract_patches: padding must be 'VALID' or 'SAME', got {padding!r}")
    (kh, kw), (sh, sw), (rh, rw) = (_pair(sizes, "extract_patches", "sizes"),
                                    _pair(strides, "extract_patches", "strides"),
                                    _pair(rates, "extract_patches", "rates"))
    h, w = _hw(x)
    ih, pt, pb = _patch_index(h, kh, sh, rh, padding)
    iw, pl, pr = _patch_index(w, kw, sw, rw, padding)
    if pt or pb or pl or pr:
        x = _a.pad(x, [[0, 0], [pt, pb], [pl, pr], [0, 0]])
    c = int(x.shape[-1])
    y = _s.gather(x, constant(ih), axis=1)         # (N, oh, kh, W, C)
    y = _s.gather(y, constant(iw), axis=3)         # (N, oh, kh, ow, kw, C)
    y = _s.transpose(y, [0, 1, 3, 2, 4, 5])        # (N, oh, ow, kh, kw, C)
    return _s.reshape(y, [-1, ih.shape[0], iw.shape[0], kh * kw * c])


def _iou(box, boxes):
    y1, x1, y2, x2 = np.minimum(box[0], box[2]), np.minimum(box[1], box[3]), \
        np.maximum(box[0], box[2]), np.maximum(box[1], box[3])
    by1, bx1 = np.minimum(boxes[:, 0], boxes[:, 2]), np.minimum(boxes[:, 1], boxes[:, 3])
    by2, bx2 = np.maximum(boxes[:, 0], boxes[:, 2]), np.maximum(boxes[:, 1], boxes[:, 3])
    inter = np.clip(np.minimum(y2, by2) - np.maximum(y1, by1), 0, None) * \
        np.clip(np.minimum(x2, bx2) - np.maximum(x1, bx1), 0, None)
    union = (y2 - y1) * (x2 - x1) + (by2 - by1) * (bx2 - bx1) - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(union > 0, inter / union, 0.0)


def _nms(boxes, scores, max_output_size, iou_threshold, score_threshold):
    b = np.asarray(get_static_value(boxes), np.float64)
    s = np.asarray(get_static_value(scores), np.float64)
    if b.ndim != 2 or b.shape[1] != 4 or s.shape != (b.shape[0],):
        raise ValueError(f"non_max_suppression: boxes must be [N, 4] and scores [N], got "
                         f"{b.shape} and {s.shape}")
    order = [i for i in np.argsort(-s, kind="stable") if s[i] > score_threshold]
    keep = []
    for i in order:
        if len(keep) >= int(max_output_size):
            break
        if not keep or (_iou(b[i], b[keep]) <= iou_threshold).all():
            keep.append(int(i))
    return keep, s


def non_max_suppression(boxes, scores, max_output_size, iou_threshold=0.5,
                        score_threshold=float("-inf"), name=None):
    """`tf.image.non_max_suppression`: indices (int32) of at most `max_output_size` boxes
    [y1, x1, y2, x2] in decreasing score order, dropping any box whose IoU with a kept one is
    above `iou_threshold` (computed eagerly: the indices do not depend differentiably on
    anything).

    >>> non_max_suppression([[0, 0, 1, 1], [0, 0.1, 1, 1.1], [0, 2, 1, 3]], [0.9, 0.8, 0.7],
    ...                     3).numpy()
    array([0, 2], dtype=int32)
    """
    keep, _ = _nms(boxes, scores, max_output_size, iou_threshold, score_threshold)
    return constant(np.asarray(keep, np.int32))


def non_max_suppression_with_scores(boxes, scores, max_output_size, iou_threshold=0.5,
                                    score_threshold=float("-inf"), soft_nms_sigma=0.0,
                                    name=None):
    """(selected indices, their scores): non_max_suppression (hard NMS; soft_nms_sigma must be
    0)."""
    if soft_nms_sigma:
        raise NotImplementedError("non_max_suppression_with_scores: soft NMS is not supported")
    keep, s = _nms(boxes, scores, max_output_size, iou_threshold, score_threshold)
    sc = to_tensor(scores)
    return constant(np.asarray(keep, np.int32)), constant(s[keep].astype(sc.dtype.np))


def non_max_suppression_padded(boxes, scores, max_output_size, iou_threshold=0.5,
                               score_threshold=float("-inf"), pad_to_max_output_size=False,
                               name=None, sorted_input=False, canonicalized_coordinates=False,
                               tile_size=512):
    """`tf.image.non_max_suppression_padded`: (selected indices, number valid); boxes [N, 4]
    or a batch [B, N, 4]; with pad_to_max_output_size the indices are zero-padded to
    max_output_size.

    >>> idx, n = non_max_suppression_padded([[0, 0, 1, 1], [0, 0.1, 1, 1.1], [0, 2, 1, 3]],
    ...                                     [0.9, 0.8, 0.7], 3, pad_to_max_output_size=True)
    >>> idx.numpy().tolist(), int(n)
    ([0, 2, 0], 2)
    """
    b = np.asarray(get_static_value(to_tensor(boxes)), np.float64)
    s = np.asarray(get_static_value(to_tensor(scores)), np.float64)
    batched = b.ndim == 3
    bb, ss = (b, s) if batched else (b[None], s[None])
    idx, counts = [], []
    for k in range(len(bb)):
        keep, _ = _nms(bb[k], ss[k], max_output_size, iou_threshold, score_threshold)
        counts.append(len(keep))
        idx.append(keep)
    width = int(max_output_size) if pad_to_max_output_size else max(counts + [0])
    out = np.zeros((len(idx), width), np.int32)
    for k, keep in enumerate(idx):
        out[k, :len(keep)] = keep[:width]
    counts = np.asarray(counts, np.int32)
    return (constant(out), constant(counts)) if batched else \
        (constant(out[0]), constant(counts[0]))


def combined_non_max_suppression(boxes, scores, max_output_size_per_class, max_total_size,
                                 iou_threshold=0.5, score_threshold=float("-inf"),
                                 pad_per_class=False, clip_boxes=True, name=None):
    """`tf.image.combined_non_max_suppression`: per image, NMS for each class (boxes
    [B, N, q, 4] with q = 1 shared by all classes or q = classes; scores [B, N, classes]),
    then the best max_total_size detections over all classes, zero-padded. Returns the
    namedtuple (nmsed_boxes, nmsed_scores, nmsed_classes, valid_detections), as TF.

    >>> out = combined_non_max_suppression([[[[0., 0., 1., 1.]], [[0., 0., .9, 1.]]]],
    ...                                    [[[0.9, 0.2], [0.8, 0.7]]], 1, 2)
    >>> out.nmsed_scores.numpy().tolist(), out.nmsed_classes.numpy().tolist()
    ([[0.8999999761581421, 0.699999988079071]], [[0.0, 1.0]])
    """
    import collections
    b = np.asarray(get_static_value(to_tensor(boxes)), np.float64)
    s = np.asarray(get_static_value(to_tensor(scores)), np.float64)
    if b.ndim != 4 or b.shape[-1] != 4 or s.ndim != 3:
        raise ValueError(f"combined_non_max_suppression: boxes must be [B, N, q, 4] and scores "
                         f"[B, N, classes], got {b.shape} and {s.shape}")
    batch, classes = s.shape[0], s.shape[2]
    total = int(max_total_size)
    if pad_per_class:
        total = min(total, int(max_output_size_per_class) * classes)
    out_b, out_s = np.zeros((batch, total, 4)), np.zeros((batch, total))
    out_c, valid = np.zeros((batch, total)), np.zeros(batch, np.int32)
    for k in range(batch):
        found = []
        for c in range(classes):
            bc = b[k, :, c if b.shape[2] > 1 else 0]
            keep, _ = _nms(bc, s[k, :, c], max_output_size_per_class, iou_threshold,
                           score_threshold)
            found += [(s[k, i, c], c, bc[i]) for i in keep]
        found.sort(key=lambda f: -f[0])    # stable: ties keep class order
        found = found[:total]
        valid[k] = len(found)
        for j, (sc, c, box) in enumerate(found):
            out_b[k, j] = np.clip(box, 0.0, 1.0) if clip_boxes else box
            out_s[k, j], out_c[k, j] = sc, c
    result = collections.namedtuple("CombinedNonMaxSuppression", [
        "nmsed_boxes", "nmsed_scores", "nmsed_classes", "valid_detections"])
    return result(constant(out_b.astype(np.float32)), constant(out_s.astype(np.float32)),
                  constant(out_c.astype(np.float32)), constant(valid))


def draw_bounding_boxes(images, boxes, colors, name=None):
    """`tf.image.draw_bounding_boxes`: a copy of images [B, H, W, D] with the outline of each
    box [y1, x1, y2, x2] (normalized) of boxes [B, N, 4] drawn in colors[n % len(colors)] (the
    first D components of each color), with TF's pixel rounding (truncation of coordinate *
    (size - 1)) and clipping; sides outside the image are not drawn.

    >>> img = draw_bounding_boxes(np.zeros((1, 4, 4, 1), "float32"), [[[0., 0., 1., 1.]]],
    ...                           [[1., 0., 0., 1.]])
    >>> img.numpy()[0, :, :, 0].astype(int).tolist()
    [[1, 1, 1, 1], [1, 0, 0, 1], [1, 0, 0, 1], [1, 1, 1, 1]]
    """
    x = to_tensor(images)
    canvas = np.array(x.numpy(), copy=True)
    bx = np.asarray(get_static_value(to_tensor(boxes)), np.float32)
    cols = np.asarray(get_static_value(to_tensor(colors)), np.float32)
    cols = cols.reshape(-1, cols.shape[-1] if cols.ndim else 1)   # [num_colors, channels]
    if canvas.ndim != 4 or bx.ndim != 3 or bx.shape[-1] != 4:
        raise ValueError(f"draw_bounding_boxes: images must be [B, H, W, D] and boxes "
                         f"[B, N, 4], got {canvas.shape} and {bx.shape}")
    _, h, w, depth = canvas.shape
    if cols.shape[1] < depth:   # TF's DrawBoundingBoxesV2 check
        raise op_error("draw_bounding_boxes", (x,),
                       f"colors must have equal or more channels than the image ({depth}), "
                       f"got colors of shape {list(cols.shape)}")
    for k in range(canvas.shape[0]):
        for n, (y1, x1, y2, x2) in enumerate(bx[k]):
            color = cols[n % len(cols)][:depth].astype(canvas.dtype)
            r0, r1 = int(y1 * (h - 1)), int(y2 * (h - 1))
            c0, c1 = int(x1 * (w - 1)), int(x2 * (w - 1))
            if r0 > r1 or c0 > c1 or r1 < 0 or c1 < 0 or r0 >= h or c0 >= w:
                continue
            rr0, rr1, cc0, cc1 = max(r0, 0), min(r1, h - 1), max(c0, 0), min(c1, w - 1)
            if r0 >= 0:
                canvas[k, r0, cc0:cc1 + 1] = color
            if r1 < h:
                canvas[k, r1, cc0:cc1 + 1] = color
            if c0 >= 0:
                canvas[k, rr0:rr1 + 1, c0] = color
            if c1 < w:
                canvas[k, rr0:rr1 + 1, c1] = color
    return constant(canvas)


def _random_crop_rect(rng, h, w, area_range, aspect):
    """TF's GenerateRandomCrop: a (y, x, height, width) crop with the aspect ratio whose area is
    within area_range of the image, or None."""
    min_area, max_area = area_range[0] * w * h, area_range[1] * w * h
    height = int(np.rint(math.sqrt(min_area / aspect)))
    max_height = int(np.rint(math.sqrt(max_area / aspect)))
    if np.rint(max_height * aspect) > w:
        max_height = int((w + 0.5 - 1e-7) / aspect)
        if np.rint(max_height * aspect) > w:
            max_height -= 1
    max_height = min(max_height, h)
    height = min(height, max_height)
    if height < max_height:
        height += int(rng.integers(0, max_height - height + 1))
    width = int(np.rint(height * aspect))
    area = width * height
    if area < min_area:
        height += 1
        width = int(np.rint(height * aspect))
        area = width * height
    if area < min_area:
        return None
    if area > max_area:
        height -= 1
        width = int(np.rint(height * aspect))
        area = width * height
    if area < min_area or area > max_area or width > w or height > h or width <= 0 or \
            height <= 0:
        return None
    y = int(rng.integers(0, h - height)) if height < h else 0
    x = int(rng.integers(0, w - width)) if width < w else 0
    return y, x, height, width


def _sample_box(rng, image_size, bounding_boxes, min_object_covered, aspect_ratio_range,
                area_range, max_attempts, use_image_if_no_bounding_boxes):
    h, w = (int(v) for v in np.asarray(get_static_value(to_tensor(image_size))).ravel()[:2])
    boxes = np.asarray(get_static_value(to_tensor(bounding_boxes)), np.float64).reshape(-1, 4)
    if not len(boxes):
        if not use_image_if_no_bounding_boxes:
            raise ValueError("sample_distorted_bounding_box: no bounding boxes given; pass "
                             "use_image_if_no_bounding_boxes=True to use the whole image")
        boxes = np.array([[0.0, 0.0, 1.0, 1.0]])
    px = boxes * [h, w, h, w]
    area = (px[:, 2] - px[:, 0]) * (px[:, 3] - px[:, 1])
    cover = float(np.asarray(get_static_value(to_tensor(min_object_covered))))
    rect = None
    for _ in range(int(max_attempts)):
        crop = _random_crop_rect(rng, h, w, area_range,
                                 rng.uniform(aspect_ratio_range[0], aspect_ratio_range[1]))
        if crop is None:
            continue
        y, x, ch, cw = crop
        inter = np.clip(np.minimum(px[:, 2], y + ch) - np.maximum(px[:, 0], y), 0, None) * \
            np.clip(np.minimum(px[:, 3], x + cw) - np.maximum(px[:, 1], x), 0, None)
        with np.errstate(invalid="ignore", divide="ignore"):
            if np.any(inter / area >= cover):
                rect = crop
                break
    y, x, ch, cw = rect if rect is not None else (0, 0, h, w)
    return (constant(np.array([y, x, 0], np.int32)), constant(np.array([ch, cw, -1], np.int32)),
            constant(np.array([[[y / h, x / w, (y + ch) / h, (x + cw) / w]]], np.float32)))


def sample_distorted_bounding_box(image_size, bounding_boxes, seed=0, min_object_covered=0.1,
                                  aspect_ratio_range=(0.75, 1.33), area_range=(0.05, 1.0),
                                  max_attempts=100, use_image_if_no_bounding_boxes=False,
                                  name=None):
    """`tf.image.sample_distorted_bounding_box`: (begin, size, bboxes) of a random crop - its
    aspect ratio drawn from aspect_ratio_range, its area within area_range of the image, and
    covering at least min_object_covered of one of bounding_boxes (TF's algorithm; after
    max_attempts the whole image). Feed begin/size to tf.slice. (The random stream is
    graphflow's, not TF's: the same distribution, other draws.)

    >>> b, s, box = sample_distorted_bounding_box([40, 60, 3], [[[0., 0., 1., 1.]]], seed=1)
    >>> bool(0.05 * 2400 <= int(s[0]) * int(s[1]) <= 2400), int(s[2])
    (True, -1)
    """
    draw = _r.uniform((2,), 0, 2 ** 31 - 1, dtype=_dt.int64, seed=seed or None).numpy()
    rng = np.random.default_rng([int(v) for v in draw])   # graphflow's seeding (global + op)
    return _sample_box(rng, image_size, bounding_boxes, min_object_covered, aspect_ratio_range,
                       area_range, max_attempts, use_image_if_no_bounding_boxes)


def stateless_sample_distorted_bounding_box(image_size, bounding_boxes, seed,
                                            min_object_covered=0.1,
                                            aspect_ratio_range=(0.75, 1.33),
                                            area_range=(0.05, 1.0), max_attempts=100,
                                            use_image_if_no_bounding_boxes=False, name=None):
    """`tf.image.stateless_sample_distorted_bounding_box`: sample_distorted_bounding_box with
    the draws fixed by the seed pair (same seed, same crop).

    >>> a = stateless_sample_distorted_bounding_box([40, 60, 3], [[[0., 0., 1., 1.]]], [1, 2])
    >>> b = stateless_sample_distorted_bounding_box([40, 60, 3], [[[0., 0., 1., 1.]]], [1, 2])
    >>> a[1].numpy().tolist() == b[1].numpy().tolist()
    True
    """
    pair = [int(v) for v in np.asarray(get_static_value(to_tensor(seed))).ravel()]
    return _sample_box(np.random.default_rng(pair), image_size, bounding_boxes,
                       min_object_covered, aspect_ratio_range, area_range, max_attempts,
                       use_image_if_no_bounding_boxes)
