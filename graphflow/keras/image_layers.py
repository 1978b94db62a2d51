"""Keras 3 image preprocessing layers: Resizing, CenterCrop, RandomCrop, RandomContrast and
RandomBrightness. Inputs are images (H, W, C) or batches (N, H, W, C) (channels_first with
`data_format`); outputs are in the layer's dtype (float32).

As in Keras 3, the random layers transform when called directly (their `training` defaults to
True) and inside `fit`, and are the identity at inference (`predict`, `training=False`); the
random draws are graphflow random ops, so a traced training step draws new ones on every call.

>>> import numpy as np, graphflow as tf
>>> x = np.arange(48.0, dtype="float32").reshape(1, 6, 8, 1)
>>> tf.keras.layers.CenterCrop(2, 2)(x).numpy()[0, :, :, 0].tolist()
[[19.0, 20.0], [27.0, 28.0]]
>>> tf.keras.layers.Resizing(3, 4)(x).shape
TensorShape([1, 3, 4, 1])
"""
import numpy as np

from ..ops import array_ops as _a, conv_ops as _cv, creation as _c, image_extra_ops as _ie, \
    image_ops as _im, math_ops as _m
from ..ops import random_ops as _r, segment_ops as _seg, shape_ops as _s
from ..tensor import TensorShape, to_tensor
from . import config as _config
from .augmentation import on_nhwc_batch
from .layers import Layer
from .layers_extra import standardize_data_format


class _ImageLayer(Layer):
    """Plumbing: the float cast, unbatched and channels_first inputs; subclasses implement
    `_apply(x, training)` on a float NHWC batch."""

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format)

    def _hw_axes(self, ndim):
        return (ndim - 2, ndim - 1) if self.data_format == "channels_first" else \
            (ndim - 3, ndim - 2)

    def call(self, inputs, training=True):
        x = to_tensor(inputs)
        if x.dtype.name != self.dtype:
            x = _m.cast(x, self.dtype)
        return on_nhwc_batch(self, x, lambda b: self._apply(b, training))

    def _out_hw(self, h, w):
        return h, w

    def compute_output_shape(self, input_shape):
        s = list(input_shape)
        a, b = self._hw_axes(len(s))
        s[a], s[b] = self._out_hw(s[a], s[b])
        return TensorShape(s)

    def get_config(self):
        return dict(super().get_config(), data_format=self.data_format)


def _aspect_crop(h, w, th, tw):
    """Keras' centred crop box of the target aspect ratio: (top, left, height, width)."""
    ch = max(min(h, int(float(w * th) / tw)), 1)
    cw = max(min(w, int(float(h * tw) / th)), 1)
    return int(float(h - ch) / 2), int(float(w - cw) / 2), ch, cw


class Resizing(_ImageLayer):
    """Resize images to (height, width) ('bilinear' or 'nearest', half-pixel centres as Keras'
    backends); `crop_to_aspect_ratio` first takes the largest centred crop of the target
    aspect ratio, `pad_to_aspect_ratio` pads (with `fill_value`) to it instead.

    >>> import graphflow as tf
    >>> tf.keras.layers.Resizing(2, 2)(tf.ones((4, 4, 3))).shape
    TensorShape([2, 2, 3])
    """

    def __init__(self, height, width, interpolation="bilinear", crop_to_aspect_ratio=False,
                 pad_to_aspect_ratio=False, fill_mode="constant", fill_value=0.0,
                 antialias=False, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.height, self.width = int(height), int(width)
        if interpolation not in ("bilinear", "nearest"):
            raise NotImplementedError(f"Resizing: interpolation {interpolation!r} is not "
                                      "supported (supported: 'bilinear', 'nearest')")
        if fill_mode != "constant":
            raise ValueError("Invalid value for argument `fill_mode`. Only `'constant'` is "
                             f"supported. Received: fill_mode={fill_mode}")
        if pad_to_aspect_ratio and crop_to_aspect_ratio:
            raise ValueError("Only one of `pad_to_aspect_ratio` & `crop_to_aspect_ratio` can be "
                             "`True`.")
        self.interpolation = interpolation
        self.crop_to_aspect_ratio = bool(crop_to_aspect_ratio)
        self.pad_to_aspect_ratio = bool(pad_to_aspect_ratio)
        self.fill_mode, self.fill_value = fill_mode, fill_value
        self.antialias = bool(antialias)

    def _apply(self, x, training):
        h, w = x.shape[1], x.shape[2]
        th, tw = self.height, self.width
        if self.crop_to_aspect_ratio:
            top, left, ch, cw = _aspect_crop(h, w, th, tw)
            x = x[:, top:top + ch, left:left + cw]
        elif self.pad_to_aspect_ratio:
            ph, pw = max(h, int(float(w * th) / tw)), max(w, int(float(h * tw) / th))
            top, left = int(float(ph - h) / 2), int(float(pw - w) / 2)
            if top > 0 or left > 0:
                x = _a.pad(x, [[0, 0], [top, top], [left, left], [0, 0]],
                           constant_values=self.fill_value)
        if tuple(x.shape[1:3]) == (th, tw):
            return x
        return _im.resize(x, (th, tw), method=self.interpolation, antialias=self.antialias)

    def _out_hw(self, h, w):
        return self.height, self.width

    def get_config(self):
        return dict(super().get_config(), height=self.height, width=self.width,
                    interpolation=self.interpolation,
                    crop_to_aspect_ratio=self.crop_to_aspect_ratio,
                    pad_to_aspect_ratio=self.pad_to_aspect_ratio, fill_mode=self.fill_mode,
                    fill_value=self.fill_value, antialias=self.antialias)


class CenterCrop(_ImageLayer):
    """The centred (height, width) crop of each image; an image smaller than that along an
    axis is instead cropped to the target aspect ratio and resized (Keras' smart_resize).

    >>> import graphflow as tf
    >>> tf.keras.layers.CenterCrop(4, 10)(tf.ones((2, 6, 8, 1))).shape
    TensorShape([2, 4, 10, 1])
    """

    def __init__(self, height, width, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.height, self.width = int(height), int(width)

    def _apply(self, x, training):
        h, w = x.shape[1], x.shape[2]
        th, tw = self.height, self.width
        if h >= th and w >= tw:
            top, left = (h - th) // 2, (w - tw) // 2
            return x[:, top:top + th, left:left + tw]
        top, left, ch, cw = _aspect_crop(h, w, th, tw)
        return _im.resize(x[:, top:top + ch, left:left + cw], (th, tw))

    def _out_hw(self, h, w):
        return self.height, self.width

    def get_config(self):
        return dict(super().get_config(), height=self.height, width=self.width)


class RandomCrop(_ImageLayer):
    """When training, crop a random (height, width) window (one offset for the batch, as
    Keras); for an image not larger than that on both axes, Keras 3.15 slices (height, width)
    from the corner of the centred crop of the target aspect ratio and resizes what it gets. At inference the images pass through unchanged (Keras 3.15).

    >>> import graphflow as tf
    >>> tf.keras.layers.RandomCrop(4, 4, seed=1)(tf.ones((2, 6, 8, 1))).shape
    TensorShape([2, 4, 4, 1])
    """

    def __init__(self, height, width, seed=None, data_format=None, name=None, **kwargs):
        super().__init__(data_format=data_format, name=name, **kwargs)
        self.height, self.width = int(height), int(width)
        self.seed = seed if seed is not None else int(np.random.randint(1, 1e9))

    def _apply(self, x, training):
        if not training:
            return x
        h, w = x.shape[1], x.shape[2]
        th, tw = self.height, self.width
        if not (isinstance(h, (int, np.integer)) and isinstance(w, (int, np.integer))):
            raise ValueError("RandomCrop requires the input to have a fully defined height and "
                             f"width. Received: images.shape={tuple(x.shape)}")
        if h > th and w > tw:
            top = _m.cast(_r.uniform((), 0.0, float(h - th + 1), seed=self.seed), "int32")
            left = _m.cast(_r.uniform((), 0.0, float(w - tw + 1), seed=self.seed), "int32")
            x = _s.gather(x, top + _c.range(th), axis=1)
            return _s.gather(x, left + _c.range(tw), axis=2)
        top, left, _, _ = _aspect_crop(h, w, th, tw)
        x = x[:, top:top + th, left:left + tw]   # Keras slices the target size from there
        return x if tuple(x.shape[1:3]) == (th, tw) else _im.resize(x, (th, tw))

    def _out_hw(self, h, w):
        return self.height, self.width

    def get_config(self):
        return dict(super().get_config(), height=self.height, width=self.width, seed=self.seed)


def _factor(factor, bounds, what):
    """Keras 3's `_set_factor`: a number f -> (max(-|f|, lo), |f|); a pair -> sorted."""
    msg = (f"The `factor` argument should be a number (or a list of two numbers) in the range "
           f"[{bounds[0]}, {bounds[1]}]. Received: factor={factor}")
    if isinstance(factor, (tuple, list)):
        if len(factor) != 2 or factor[0] > bounds[1] or factor[1] < bounds[0]:
            raise ValueError(f"{what}: {msg}")
        return tuple(sorted(factor))
    if isinstance(factor, (int, float, np.integer, np.floating)):
        if factor < bounds[0] or factor > bounds[1]:
            raise ValueError(f"{what}: {msg}")
        f = abs(factor)
        return (max(-f, bounds[0]), f)
    raise ValueError(f"{what}: {msg}")


class _RandomColor(_ImageLayer):
    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(**kwargs)
        self.factor = _factor(factor, self._BOUNDS, type(self).__name__)
        if not isinstance(value_range, (tuple, list)) or len(value_range) != 2:
            raise ValueError(f"{type(self).__name__}: value_range must be a tuple or list of "
                             f"two numbers, got {value_range}")
        self.value_range = value_range
        self.seed = seed

    def _per_image(self, x, lo, hi):
        return _r.uniform(_s.stack([_s.shape(x)[0], 1, 1, 1]) if not isinstance(
            x.shape[0], (int, np.integer)) else (x.shape[0], 1, 1, 1), lo, hi, dtype=x.dtype,
            seed=self.seed)

    def get_config(self):
        return dict(super().get_config(), factor=self.factor, value_range=self.value_range,
                    seed=self.seed)


class RandomContrast(_RandomColor):
    """When training, scale each image's deviation from its per-channel mean by a random
    factor in [1 - factor[0], 1 + factor[1]] (Keras 3's bounds: a number f gives (0, f)), then
    clip to `value_range`.

    >>> import graphflow as tf
    >>> tf.keras.layers.RandomContrast(0.5)(tf.ones((2, 2, 1)), training=False).shape
    TensorShape([2, 2, 1])
    """
    _BOUNDS = (0, 1)

    def _apply(self, x, training):
        if not training:
            return x
        f = self._per_image(x, 1.0 - self.factor[0], 1.0 + self.factor[1])
        mean = _m.reduce_mean(x, axis=[1, 2], keepdims=True)
        y = (x - mean) * f + mean
        return _m.clip_by_value(y, float(self.value_range[0]), float(self.value_range[1]))


class RandomBrightness(_RandomColor):
    """When training, add a random delta in [factor[0], factor[1]] times the value range's
    width to each image, then clip to `value_range`.

    >>> import graphflow as tf
    >>> tf.keras.layers.RandomBrightness(0.2).factor
    (-0.2, 0.2)
    """
    _BOUNDS = (-1, 1)

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(factor, value_range, seed, **kwargs)
        self.value_range = sorted(value_range)

    def _apply(self, x, training):
        if not training:
            return x
        lo, hi = self.value_range
        delta = self._per_image(x, self.factor[0], self.factor[1]) * float(hi - lo)
        return _m.clip_by_value(x + delta, float(lo), float(hi))


# ------------------------------------------------------------------ color augmentations
def check_value_range(layer, value_range):
    """Keras' value_range check: a tuple / list of two numbers, returned sorted."""
    if not isinstance(value_range, (tuple, list)) or len(value_range) != 2:
        raise ValueError(f"{type(layer).__name__}: value_range must be a tuple or list of two "
                         f"numbers, got {value_range}")
    return sorted(value_range)


def to_range(x, src, dst):
    """Keras' `_transform_value_range`: values of x mapped linearly from `src` to `dst`.

    >>> import graphflow as tf
    >>> to_range(tf.constant([0., 127.5, 255.]), (0, 255), (0, 1)).numpy().tolist()
    [0.0, 0.5, 1.0]
    """
    if tuple(src) == tuple(dst):
        return x
    y = (x - float(src[0])) / float(src[1] - src[0])
    return y * float(dst[1] - dst[0]) + float(dst[0])


def _per_image_uniform(layer, x, lo, hi):
    n = x.shape[0]
    shape = (n, 1, 1, 1) if isinstance(n, (int, np.integer)) else \
        _s.stack([_s.shape(x)[0], 1, 1, 1])
    return _r.uniform(shape, lo, hi, dtype=x.dtype, seed=layer.seed)


class RandomGrayscale(_ImageLayer):
    """When training (the default when called directly, as Keras 3), replace each image by
    its grayscale version (0.2989 R + 0.587 G + 0.114 B in every channel) with probability
    `factor`.

    >>> import graphflow as tf
    >>> y = tf.keras.layers.RandomGrayscale(factor=1.0)(tf.constant([[[[0., 7., 14.]]]]))
    >>> [round(float(v), 4) for v in y.numpy().ravel()]
    [5.705, 5.705, 5.705]
    """

    def __init__(self, factor=0.5, data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        if factor < 0 or factor > 1:
            raise ValueError(f"`factor` should be between 0 and 1. Received: factor={factor}")
        self.factor, self.seed = factor, seed

    def _apply(self, x, training):
        if not training:
            return x
        gray = _ie.rgb_to_grayscale(x)
        apply = _m.less(_per_image_uniform(self, x, 0.0, 1.0), float(self.factor))
        return _m.where(apply, gray + _m.zeros_like(x), x)

    def get_config(self):
        return dict(super().get_config(), factor=self.factor, seed=self.seed)


class RandomInvert(_RandomColor):
    """When training, invert each image (`value_range[1] - x`) when a uniform draw is below a
    probability drawn from `factor` (Keras 3: factor=1.0 gives (0, 1), so half the images).

    >>> import graphflow as tf
    >>> inv = tf.keras.layers.RandomInvert(factor=(1.0, 1.0))
    >>> inv(tf.constant([[[[0., 55.]]]])).numpy().ravel().tolist()
    [255.0, 200.0]
    """
    _BOUNDS = (0, 1)

    def __init__(self, factor=1.0, value_range=(0, 255), seed=None, data_format=None,
                 **kwargs):
        super().__init__(factor, value_range, seed, data_format=data_format, **kwargs)

    def _apply(self, x, training):
        if not training:
            return x
        p = _per_image_uniform(self, x, float(self.factor[0]), float(self.factor[1]))
        apply = _m.less(_per_image_uniform(self, x, 0.0, 1.0), p)
        return _m.where(apply, float(self.value_range[1]) - x, x)


class Solarization(_ImageLayer):
    """When training, per image (values mapped to [0, 255]): add a random `addition`, clip to
    [0, 255], and invert (255 - v) the values at or above a random `threshold` (Keras 3's draws:
    addition ~ U(addition_factor[0], 255 * addition_factor[1]), threshold likewise).

    >>> import graphflow as tf
    >>> sol = tf.keras.layers.Solarization(threshold_factor=(0, 0))
    >>> sol(tf.constant([[[[0., 100.]]]])).numpy().ravel().tolist()
    [255.0, 155.0]
    """

    def __init__(self, addition_factor=0.0, threshold_factor=0.0, value_range=(0, 255),
                 seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.addition_factor = self._unit_factor(addition_factor, "addition_factor")
        self.threshold_factor = self._unit_factor(threshold_factor, "threshold_factor")
        self.value_range = check_value_range(self, value_range)

    @staticmethod
    def _unit_factor(factor, what):
        vals = list(factor) if isinstance(factor, (tuple, list)) else [0, factor]
        if len(vals) != 2 or any(not 0 <= v <= 1 for v in vals):
            raise ValueError("The `factor` argument should be a number (or a list of two "
                             f"numbers) in the range [0.0, 1.0]. Received: {what}={factor}")
        return tuple(sorted(vals))

    def _apply(self, x, training):
        if not training:
            return x
        add = _per_image_uniform(self, x, float(self.addition_factor[0]),
                                 float(self.addition_factor[1]) * 255.0)
        thr = _per_image_uniform(self, x, float(self.threshold_factor[0]),
                                 float(self.threshold_factor[1]) * 255.0)
        v = _m.clip_by_value(to_range(x, self.value_range, (0, 255)) + add, 0.0, 255.0)
        v = _m.where(_m.less(v, thr), v, 255.0 - v)
        return to_range(v, (0, 255), self.value_range)

    def get_config(self):
        return dict(super().get_config(), addition_factor=self.addition_factor,
                    threshold_factor=self.threshold_factor, value_range=self.value_range,
                    seed=self.seed)


class AutoContrast(_ImageLayer):
    """Stretch each image's channels to the full value range: per image and channel,
    (x - min) * 255 / (max - min) on values mapped to [0, 255] (Keras 3; applied in training
    and inference; a constant channel, 0/0, is left as it was).

    >>> import graphflow as tf
    >>> tf.keras.layers.AutoContrast()(tf.constant([[[[10.], [20.], [30.]]]])).numpy().ravel().tolist()
    [0.0, 127.5, 255.0]
    """

    def __init__(self, value_range=(0, 255), **kwargs):
        super().__init__(**kwargs)
        self.value_range = check_value_range(self, value_range)

    def _apply(self, x, training):
        v = to_range(x, self.value_range, (0, 255))
        low = _m.reduce_min(v, axis=[1, 2], keepdims=True)
        high = _m.reduce_max(v, axis=[1, 2], keepdims=True)
        scale = 255.0 / (high - low)
        y = _m.clip_by_value(v * scale - low * scale, 0.0, 255.0)
        y = to_range(y, (0, 255), self.value_range)
        return _m.where(_m.is_nan(y), x, y)

    def get_config(self):
        return dict(super().get_config(), value_range=self.value_range)


class RandomHue(_RandomColor):
    """When training, shift each image's hue by ±U(factor) / 2 (a random sign; hue wraps in
    [0, 1]) in HSV space of the values mapped to [0, 1], then back and clipped (Keras 3).

    >>> import graphflow as tf
    >>> tf.keras.layers.RandomHue(0.5).factor
    (0, 0.5)
    """
    _BOUNDS = (0, 1)

    def _apply(self, x, training):
        if not training:
            return x
        sign = _m.where(_m.greater(_per_image_uniform(self, x, 0.0, 1.0), 0.5), -1.0, 1.0)
        delta = sign * _per_image_uniform(self, x, float(self.factor[0]),
                                          float(self.factor[1])) * 0.5
        hsv = _ie.rgb_to_hsv(to_range(x, self.value_range, (0, 1)))
        h = hsv[..., 0] + delta[..., 0]
        h = _m.where(_m.greater(h, 1.0), h - 1.0, h)
        h = _m.where(_m.less(h, 0.0), h + 1.0, h)
        rgb = _ie.hsv_to_rgb(_s.stack([h, hsv[..., 1], hsv[..., 2]], -1))
        return to_range(_m.clip_by_value(rgb, 0.0, 1.0), (0, 1), self.value_range)


class RandomSaturation(_RandomColor):
    """When training, multiply each image's HSV saturation by f / (1 - f + epsilon) for
    f ~ U(factor) (Keras 3: 0.5 keeps it, 1 gives full saturation, 0 grayscale), clipped to
    `value_range` as Keras does.

    >>> import graphflow as tf
    >>> tf.keras.layers.RandomSaturation(0.5).factor   # Keras 3's bounds: (-1, 1)
    (-0.5, 0.5)
    """
    _BOUNDS = (-1, 1)

    def _apply(self, x, training):
        if not training:
            return x
        f = _per_image_uniform(self, x, float(self.factor[0]), float(self.factor[1]))
        f = f / (1.0 - f + _config.epsilon())   # read when run, as Keras
        hsv = _ie.rgb_to_hsv(x)
        s = _m.clip_by_value(hsv[..., 1] * f[..., 0], float(self.value_range[0]),
                             float(self.value_range[1]))
        return _ie.hsv_to_rgb(_s.stack([hsv[..., 0], s, hsv[..., 2]], -1))


class RandomColorDegeneration(_RandomColor):
    """When training, blend each image toward its grayscale version by f ~ U(factor)
    (`x + f * (gray - x)`, clipped to `value_range`; Keras 3).

    >>> import graphflow as tf
    >>> layer = tf.keras.layers.RandomColorDegeneration(factor=(1.0, 1.0))
    >>> [round(float(v), 3) for v in layer(tf.constant([[[[0., 7., 14.]]]])).numpy().ravel()]
    [5.705, 5.705, 5.705]
    """
    _BOUNDS = (-1, 1)

    def _apply(self, x, training):
        if not training:
            return x
        f = _per_image_uniform(self, x, float(self.factor[0]), float(self.factor[1]))
        y = x + f * (_ie.rgb_to_grayscale(x) - x)
        return _m.clip_by_value(y, float(self.value_range[0]), float(self.value_range[1]))


class RandomPosterization(_RandomColor):
    """When training, keep `bits` high bits of each 8-bit value (values mapped to [0, 255] and
    truncated), bits drawn per image in [factor[0], factor[1]) (one value when equal; Keras 3:
    a number f gives (1, f)).

    >>> import graphflow as tf
    >>> tf.keras.layers.RandomPosterization(factor=(2, 2))(tf.constant([[[[200.]]]])).numpy().item()
    192.0
    """
    _BOUNDS = (1, 8)

    def _apply(self, x, training):
        if not training:
            return x
        lo, hi = (int(f) for f in self.factor)
        bits = float(lo) if lo == hi else _m.floor(_per_image_uniform(self, x, float(lo),
                                                                      float(hi)))
        step = 2.0 ** (8 - bits) if isinstance(bits, float) else \
            _m.round(_m.exp((8.0 - bits) * float(np.log(2.0))))
        v = _m.floor(to_range(x, self.value_range, (0, 255)))
        return to_range(_m.floor(v / step) * step, (0, 255), self.value_range)


def beta_draw(n, alpha, dtype, seed):
    """n draws of Beta(alpha, alpha) as g1 / (g1 + g2) of two Gamma(alpha) draws; when both
    underflow to 0 (a tiny alpha: the mass is at 0 and 1) a fair coin picks 0 or 1.

    >>> import graphflow as tf
    >>> b = beta_draw(1000, 0.001, "float32", 1).numpy()
    >>> bool(((b < 0.01) | (b > 0.99)).mean() > 0.95), bool(0.3 < (b > 0.5).mean() < 0.7)
    (True, True)
    """
    g1 = _r.gamma((n,), alpha, dtype=dtype, seed=seed)
    g2 = _r.gamma((n,), alpha, dtype=dtype, seed=seed)
    total = g1 + g2
    coin = _m.cast(_m.less(_r.uniform((n,), 0.0, 1.0, dtype=dtype, seed=seed), 0.5), dtype)
    return _m.where(_m.greater(total, 0.0),
                    g1 / _m.where(_m.greater(total, 0.0), total, _m.ones_like(total)), coin)


def mixed_labels(inputs, images, weights, perm, dtype):
    """The dict `inputs` with `images`, and its "labels" (if any) mixed as Keras' MixUp /
    CutMix do: `w * y + (1 - w) * y[perm]` with one weight per example."""
    out = dict(inputs, images=images)
    if "labels" in inputs:
        lab = _m.cast(to_tensor(inputs["labels"]), dtype)
        wl = _s.reshape(weights, (-1, 1))
        out["labels"] = wl * lab + (1.0 - wl) * _s.gather(lab, perm)
    return out


class MixUp(_ImageLayer):
    """When training, mix each image with another of the batch (a random permutation):
    `w * x + (1 - w) * x[perm]` with w ~ Beta(alpha, alpha) per image (Keras 3); a dict
    {"images", "labels"} mixes the labels with the same weights.

    >>> import numpy as np, graphflow as tf
    >>> out = tf.keras.layers.MixUp(seed=1)({"images": np.ones((4, 2, 2, 3), "float32"),
    ...                                      "labels": np.eye(4, dtype="float32")})
    >>> bool(np.allclose(out["images"].numpy(), 1.0)), np.allclose(out["labels"].numpy().sum(1), 1)
    (True, True)
    """

    def __init__(self, alpha=0.2, data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.alpha, self.seed = float(alpha), seed

    def _convert_inputs(self, inputs):
        return inputs if isinstance(inputs, dict) else super()._convert_inputs(inputs)

    def _draw(self, n):
        return beta_draw(n, self.alpha, self.dtype, self.seed), \
            _r.shuffle(_c.range(n), seed=self.seed)

    def call(self, inputs, training=True):
        images = inputs["images"] if isinstance(inputs, dict) else inputs
        x = to_tensor(images)
        if x.dtype.name != self.dtype:
            x = _m.cast(x, self.dtype)
        if not training:
            return dict(inputs, images=x) if isinstance(inputs, dict) else x
        n = x.shape[0] if x.ndim == 4 else 1
        w, perm = self._draw(n)

        def mix(b):
            wb = _s.reshape(w, (-1, 1, 1, 1))
            return wb * b + (1.0 - wb) * _s.gather(b, perm)
        y = on_nhwc_batch(self, x, mix)
        if not isinstance(inputs, dict):
            return y
        return mixed_labels(inputs, y, w, perm, self.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return dict(super().get_config(), alpha=self.alpha, seed=self.seed)


def random_boxes(n, h, w, width_ratio, height_ratio, dtype, seed):
    """Keras 3's CutMix / RandomErasing boxes: per image a box of (ratio * side) at a uniform
    position; returns the (n, h, w) mask of the pixels with
    start <= index < end on both axes and the (n, 1, 1) corner tensors x0, x1, y0, y1.

    >>> import graphflow as tf
    >>> m, _ = random_boxes(2, 4, 4, tf.constant([1., 1.]), tf.constant([.5, .5]), "float32", 1)
    >>> m.numpy().sum(axis=(1, 2)).tolist()   # full width, half the height
    [8, 8]
    """
    def bounds(length, ratio):
        crop = ratio * float(length)
        start = _r.uniform((n,), 0.0, 1.0, dtype=dtype, seed=seed) * (float(length) - crop)
        return _s.reshape(start, (-1, 1, 1)), _s.reshape(start + crop, (-1, 1, 1))
    x0, x1 = bounds(w, width_ratio)
    y0, y1 = bounds(h, height_ratio)
    gy, gx = np.meshgrid(np.arange(h, dtype=dtype), np.arange(w, dtype=dtype), indexing="ij")
    inside = _m.logical_and(_m.logical_and(_m.greater_equal(gx, x0), _m.less(gx, x1)),
                            _m.logical_and(_m.greater_equal(gy, y0), _m.less(gy, y1)))
    return inside, (x0, x1, y0, y1)


class CutMix(_ImageLayer):
    """When training, paste a random box of another image of the batch (a random permutation)
    into each image; with a dict {"images", "labels"} the labels mix by the kept area
    `w * y + (1 - w) * y[perm]` (Keras 3: box side ratio sqrt(1 - lam) with lam ~ Beta(a, a),
    a ~ U(factor)). Unbatched images are left unchanged.

    >>> import numpy as np, graphflow as tf
    >>> out = tf.keras.layers.CutMix(seed=1)({"images": np.ones((4, 8, 8, 3), "float32"),
    ...                                       "labels": np.eye(4, dtype="float32")})
    >>> out["images"].shape, bool(np.allclose(out["labels"].numpy().sum(1), 1))
    (TensorShape([4, 8, 8, 3]), True)
    """

    def __init__(self, factor=1.0, seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.factor = _factor(factor, (0, 1), "CutMix")
        self.seed = seed

    def _convert_inputs(self, inputs):
        return inputs if isinstance(inputs, dict) else super()._convert_inputs(inputs)

    def call(self, inputs, training=True):
        images = inputs["images"] if isinstance(inputs, dict) else inputs
        x = to_tensor(images)
        if x.dtype.name != self.dtype:
            x = _m.cast(x, self.dtype)
        if not training or x.ndim != 4:
            return dict(inputs, images=x) if isinstance(inputs, dict) else x
        first = self.data_format == "channels_first"
        n = x.shape[0]
        h, w = (x.shape[2], x.shape[3]) if first else (x.shape[1], x.shape[2])
        dt, seed = self.dtype, self.seed
        alpha = _r.uniform((), float(self.factor[0]), float(self.factor[1]), dtype=dt,
                           seed=seed) + 1e-6
        ratio = _m.sqrt(1.0 - beta_draw(n, alpha, dt, seed))
        inside, (x0, x1, y0, y1) = random_boxes(n, h, w, ratio, ratio, dt, seed)
        mask = _s.expand_dims(inside, 1 if first else -1)
        perm = _r.shuffle(_c.range(n), seed=seed)
        y = _m.where(mask, _s.gather(x, perm), x)
        if not isinstance(inputs, dict):
            return y
        return mixed_labels(inputs, y, 1.0 - (x1 - x0) * (y1 - y0) / float(h * w), perm, dt)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return dict(super().get_config(), factor=self.factor, seed=self.seed)


class RandomColorJitter(_ImageLayer):
    """When training, RandomBrightness, RandomContrast, RandomSaturation and RandomHue in that
    order, each only if its factor is given (Keras 3).

    >>> import numpy as np, graphflow as tf
    >>> jit = tf.keras.layers.RandomColorJitter(brightness_factor=(0.1, 0.1))
    >>> jit(np.full((1, 1, 1, 3), 100.0, "float32")).numpy().ravel().tolist()   # + 0.1 * 255
    [125.5, 125.5, 125.5]
    """

    def __init__(self, value_range=(0, 255), brightness_factor=None, contrast_factor=None,
                 saturation_factor=None, hue_factor=None, seed=None, data_format=None,
                 **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.value_range, self.seed = value_range, seed
        self.brightness_factor, self.contrast_factor = brightness_factor, contrast_factor
        self.saturation_factor, self.hue_factor = saturation_factor, hue_factor
        self._jitter = [cls(f, value_range=value_range, seed=seed)
                        for cls, f in ((RandomBrightness, brightness_factor),
                                       (RandomContrast, contrast_factor),
                                       (RandomSaturation, saturation_factor),
                                       (RandomHue, hue_factor)) if f is not None]

    def _apply(self, x, training):
        if not training:
            return x
        for layer in self._jitter:
            x = layer._apply(x, True)
        return x

    def get_config(self):
        return dict(super().get_config(), value_range=self.value_range,
                    brightness_factor=self.brightness_factor,
                    contrast_factor=self.contrast_factor,
                    saturation_factor=self.saturation_factor, hue_factor=self.hue_factor,
                    seed=self.seed)


class RandomErasing(_ImageLayer):
    """When training, erase a random box of each image with probability drawn from `factor`
    (Keras 3: box sides sqrt(U(scale)) of the image's, filled with `fill_value` (a number or
    one per channel) or, by default, normal noise times value_range[1], clipped to the range).

    >>> import numpy as np, graphflow as tf
    >>> er = tf.keras.layers.RandomErasing(factor=(1.0, 1.0), scale=(0.25, 0.25), fill_value=0)
    >>> int((er(np.ones((1, 8, 8, 1), "float32")).numpy() == 0).sum())   # a 4 x 4 box
    16
    """

    def __init__(self, factor=1.0, scale=(0.02, 0.33), fill_value=None, value_range=(0, 255),
                 seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.factor = _factor(factor, (0, 1), "RandomErasing")
        self.scale = _factor(scale, (0, 1), "RandomErasing scale")
        if fill_value is not None and not (
                isinstance(fill_value, (int, float)) or
                (isinstance(fill_value, (tuple, list)) and len(fill_value) == 3)):
            raise ValueError("The `fill_value` argument should be a number (or a list of three "
                             f"numbers). Received: fill_value={fill_value}")
        self.fill_value, self.value_range, self.seed = fill_value, value_range, seed

    def _apply(self, x, training):
        if not training:
            return x
        n, h, w = x.shape[0], x.shape[1], x.shape[2]
        dt, seed = self.dtype, self.seed
        side = _m.sqrt(_r.uniform((n, 2), float(self.scale[0]), float(self.scale[1]), dtype=dt,
                                  seed=seed))
        inside, _ = random_boxes(n, h, w, side[:, 0], side[:, 1], dt, seed)
        p = _r.uniform((n,), float(self.factor[0]), float(self.factor[1]), dtype=dt, seed=seed)
        apply = _m.less(_r.uniform((n,), 0.0, 1.0, dtype=dt, seed=seed), p)
        mask = _m.logical_and(_s.expand_dims(inside, -1), _s.reshape(apply, (-1, 1, 1, 1)))
        if self.fill_value is None:
            fill = _r.normal(tuple(x.shape), dtype=dt, seed=seed) * float(self.value_range[1])
        else:
            fill = _m.zeros_like(x) + np.asarray(self.fill_value, dt)
        fill = _m.clip_by_value(fill, float(self.value_range[0]), float(self.value_range[1]))
        return _m.where(mask, fill, x)

    def get_config(self):
        return dict(super().get_config(), factor=self.factor, scale=self.scale,
                    fill_value=self.fill_value, value_range=self.value_range, seed=self.seed)


class RandomSharpness(_RandomColor):
    """When training, blend each image with its 3x3-smoothed version (kernel 1/13 around,
    5/13 center, zero 'same' padding): `x + (1 - 2f) * (smooth - x)`, f ~ U(factor), clipped
    to `value_range` (Keras 3: f = 0.5 keeps the image, 0 blurs, 1 sharpens).

    >>> import numpy as np, graphflow as tf
    >>> x = np.full((1, 3, 3, 1), 13.0, "float32")
    >>> tf.keras.layers.RandomSharpness((0.0, 0.0))(x).numpy()[0, 1, 1, 0].item()   # blurred
    13.0
    """
    _BOUNDS = (0, 1)

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(factor, value_range, seed, data_format=data_format, **kwargs)
        self.value_range = check_value_range(self, value_range)

    def _apply(self, x, training):
        if not training:
            return x
        f = _per_image_uniform(self, x, float(self.factor[0]), float(self.factor[1])) * 2.0
        a, b = 1.0 / 13.0, 5.0 / 13.0
        k = np.array([[a, a, a], [a, b, a], [a, a, a]], self.dtype)[:, :, None, None]
        kernel = np.tile(k, (1, 1, int(x.shape[-1]), 1))
        smooth = _cv.depthwise_conv2d(x, kernel, (1, 1, 1, 1), "SAME")
        y = x + (1.0 - f) * (smooth - x)
        return _m.clip_by_value(y, float(self.value_range[0]), float(self.value_range[1]))


class Equalization(_ImageLayer):
    """Histogram equalization per channel (Keras 3: one `bins`-bin histogram of the channel
    over the whole batch, values mapped to [0, 255]; lookup table round((cdf - cdf_min) * 255 /
    (n - cdf_min)); a channel with at most one occupied bin is kept). Applied when called
    directly and in training, the identity with training=False.

    >>> import numpy as np, graphflow as tf
    >>> x = np.array([0., 0., 64., 128.], "float32").reshape(1, 2, 2, 1)
    >>> tf.keras.layers.Equalization()(x).numpy().ravel().tolist()
    [0.0, 0.0, 128.0, 255.0]
    """

    def __init__(self, value_range=(0, 255), bins=256, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.value_range, self.bins = check_value_range(self, value_range), int(bins)

    def _equalize(self, ch):
        nb = self.bins
        v = to_range(ch, self.value_range, (0, 255))
        idx = _m.cast(_m.clip_by_value(_m.cast(v * ((nb - 1) / 255.0), "int32"), 0, nb - 1),
                      "int32")
        flat = _s.reshape(idx, [-1])
        hist = _seg.unsorted_segment_sum(_m.ones_like(flat, dtype=self.dtype), flat, nb)
        cdf = _a.cumsum(hist)
        big = float(np.finfo(self.dtype).max)
        cdf_min = _m.reduce_min(_m.where(_m.greater(cdf, 0.0), cdf, big))
        den = cdf[-1] - cdf_min
        den = _m.where(_m.equal(den, 0.0), 1.0, den)
        lut = _m.clip_by_value(_m.round((cdf - cdf_min) * 255.0 / den), 0.0, 255.0)
        eq = _s.gather(lut, idx)
        occupied = _m.reduce_sum(_m.cast(_m.greater(hist, 0.0), "int32"))
        out = _m.where(_m.less_equal(occupied, 1), v, eq)
        return to_range(out, (0, 255), self.value_range)

    def _apply(self, x, training):
        if not training:
            return x
        return _s.stack([self._equalize(x[..., c]) for c in range(int(x.shape[-1]))], -1)

    def get_config(self):
        return dict(super().get_config(), value_range=self.value_range, bins=self.bins)


class RandomGaussianBlur(_RandomColor):
    """When training, blur each image, with probability drawn from `factor`, by a
    `kernel_size` Gaussian (zero 'same' padding) of sigmas (sy, sx) ~ U(sigma) + 1e-6 drawn
    once per batch, then clip to `value_range` (Keras 3).

    >>> import numpy as np, graphflow as tf
    >>> blur = tf.keras.layers.RandomGaussianBlur(factor=(1.0, 1.0), sigma=(1.0, 1.0))
    >>> round(float(blur(np.full((1, 5, 5, 1), 9.0, "float32")).numpy()[0, 2, 2, 0]), 3)
    9.0
    """
    _BOUNDS = (0, 1)

    def __init__(self, factor=1.0, kernel_size=3, sigma=1.0, value_range=(0, 255),
                 data_format=None, seed=None, **kwargs):
        super().__init__(factor, value_range, seed, data_format=data_format, **kwargs)
        sizes = tuple(kernel_size) if isinstance(kernel_size, (tuple, list)) else \
            (kernel_size, kernel_size)
        if len(sizes) != 2 or any(int(k) % 2 == 0 for k in sizes):
            raise ValueError(f"kernel_size must be an odd number. Received: "
                             f"kernel_size={kernel_size}")
        self.kernel_size = tuple(int(k) for k in sizes)
        self.sigma = _factor(sigma, (0, 1), "RandomGaussianBlur sigma")

    def _apply(self, x, training):
        if not training:
            return x
        dt = self.dtype
        sig = _r.uniform((2,), float(self.sigma[0]), float(self.sigma[1]), dtype=dt,
                         seed=self.seed) + 1e-6

        def kernel1d(size, s):
            t = np.arange(size, dtype=dt) - (size - 1) / 2.0
            k = _m.exp(-(t * t) / (2.0 * s * s))
            return k / _m.reduce_sum(k)
        ky = kernel1d(self.kernel_size[0], sig[0])
        kx = kernel1d(self.kernel_size[1], sig[1])
        k2 = _s.reshape(ky, (-1, 1)) * _s.reshape(kx, (1, -1))
        c = int(x.shape[-1])
        kernel = _s.tile(_s.reshape(k2, (self.kernel_size[0], self.kernel_size[1], 1, 1)),
                         (1, 1, c, 1))
        blurred = _cv.depthwise_conv2d(x, kernel, (1, 1, 1, 1), "SAME")
        p = _per_image_uniform(self, x, float(self.factor[0]), float(self.factor[1]))
        apply = _m.less(_per_image_uniform(self, x, 0.0, 1.0), p)
        y = _m.where(apply, blurred, x)
        return _m.clip_by_value(y, float(self.value_range[0]), float(self.value_range[1]))

    def get_config(self):
        return dict(super().get_config(), kernel_size=self.kernel_size, sigma=self.sigma)
