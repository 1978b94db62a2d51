"""Keras 3's image-augmentation layers (RandomFlip, RandomTranslation, RandomZoom,
RandomRotation) and spatial dropout. They change their inputs only when called with
`training=True` (as `fit` does) and are the identity otherwise; a `seed` makes the draws
reproducible (its own random stream). The random parameters are drawn by graphflow's random ops,
so a traced training step draws new ones on every call.

Rotation, translation and zoom build Keras' per-image projective transforms and sample with
`graphflow.image.transform` (fill modes reflect / wrap / constant / nearest; bilinear or nearest
interpolation, TF's ImageProjectiveTransformV3 arithmetic).

>>> import numpy as np, graphflow as tf
>>> from graphflow.keras.augmentation import RandomFlip
>>> x = np.arange(6.0, dtype="float32").reshape(1, 2, 3, 1)
>>> flip = RandomFlip("horizontal", seed=1)
>>> bool(np.array_equal(flip(x).numpy(), x))              # inference: identity
True
>>> y = flip(x, training=True).numpy()[0, :, :, 0]
>>> y.tolist() in ([[0., 1., 2.], [3., 4., 5.]], [[2., 1., 0.], [5., 4., 3.]])
True
"""
import math

import numpy as np

from ..ops import image_ops as _im, math_ops as _m, random_ops as _r, shape_ops as _s
from ..ops.creation import ones, zeros
from ..tensor import TensorShape, to_tensor
from .layers import Dropout, Layer, unique_name

_FILL_MODES = ("reflect", "wrap", "constant", "nearest")
_INTERPOLATIONS = ("bilinear", "nearest")


def _bounds(factor, what, lo=-1.0):
    """Keras factor: f -> (-f, f); (a, b) -> (a, b); checked to lie in [lo, 1]."""
    if isinstance(factor, (int, float, np.integer, np.floating)):
        f = float(factor)
        out = (-abs(f), abs(f))
    else:
        out = tuple(float(v) for v in factor)
        if len(out) != 2:
            raise ValueError(f"{what} must be a float or a tuple of 2 floats, got {factor}")
    if out[0] > out[1] or out[0] < lo or out[1] > 1.0:
        raise ValueError(f"{what} must lie in [{lo}, 1] with lower <= upper, got {factor}")
    return out


def on_nhwc_batch(layer, x, fn):
    """`fn` (on a batch of channels_last images) applied to images `x` of rank 3 or 4 in the
    layer's data_format; the result back in the input's layout.

    >>> import graphflow as tf
    >>> class L: name, data_format = "l", "channels_first"
    >>> on_nhwc_batch(L(), tf.ones((3, 4, 5)), lambda b: b[:, :2]).shape
    TensorShape([3, 2, 5])
    """
    if x.ndim not in (3, 4):
        raise ValueError(f"{type(layer).__name__} layer {layer.name}: expected images of rank 3 "
                         f"or 4 (batch), got shape {tuple(x.shape)}")
    batched = x.ndim == 4
    if not batched:
        x = _s.expand_dims(x, 0)
    first = layer.data_format == "channels_first"
    if first:
        x = _s.transpose(x, (0, 2, 3, 1))
    y = fn(x)
    if first:
        y = _s.transpose(y, (0, 3, 1, 2))
    return y if batched else _s.squeeze(y, 0)


class _RandomImageLayer(Layer):
    """Shared plumbing: channels_first/last and unbatched (rank-3) inputs, the float cast, and
    the training switch; subclasses implement `_augment(x)` on a float NHWC batch."""

    def __init__(self, seed=None, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.data_format = data_format or "channels_last"
        if self.data_format not in ("channels_last", "channels_first"):
            raise ValueError(f"{type(self).__name__}: data_format must be 'channels_last' or "
                             f"'channels_first', got {data_format!r}")

    def call(self, inputs, training=None):
        x = to_tensor(inputs)
        if x.dtype.name != self.dtype:
            x = _m.cast(x, self.dtype)
        if not training:
            return x
        return on_nhwc_batch(self, x, self._augment)

    def _uniform(self, n, lo, hi):
        return _r.uniform((n,), lo, hi, dtype=self.dtype, seed=self.seed)

    def compute_output_shape(self, input_shape):
        return TensorShape(input_shape)

    def get_config(self):
        return dict(super().get_config(), seed=self.seed, data_format=self.data_format)


class RandomFlip(_RandomImageLayer):
    """Flip each image left-right and/or up-down, each with probability 1/2 (mode
    'horizontal', 'vertical' or 'horizontal_and_vertical', the default)."""

    def __init__(self, mode="horizontal_and_vertical", seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        if mode not in ("horizontal", "vertical", "horizontal_and_vertical"):
            raise ValueError(f"RandomFlip: mode must be 'horizontal', 'vertical' or "
                             f"'horizontal_and_vertical', got {mode!r}")
        self.mode = mode

    def _augment(self, x):
        n = x.shape[0]
        if self.mode in ("horizontal", "horizontal_and_vertical"):
            flip = _s.reshape(_m.less(self._uniform(n, 0.0, 1.0), 0.5), (n, 1, 1, 1))
            x = _m.where(flip, x[:, :, ::-1], x)
        if self.mode in ("vertical", "horizontal_and_vertical"):
            flip = _s.reshape(_m.less(self._uniform(n, 0.0, 1.0), 0.5), (n, 1, 1, 1))
            x = _m.where(flip, x[:, ::-1], x)
        return x

    def get_config(self):
        return dict(super().get_config(), mode=self.mode)


class _Transformed(_RandomImageLayer):
    """A random projective transform per image, sampled with fill_mode / interpolation."""

    def __init__(self, fill_mode="reflect", interpolation="bilinear", seed=None, fill_value=0.0,
                 data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        if fill_mode not in _FILL_MODES:
            raise NotImplementedError(f"{type(self).__name__}: unknown fill_mode {fill_mode!r}, "
                                      f"expected one of {_FILL_MODES}")
        if interpolation not in _INTERPOLATIONS:
            raise NotImplementedError(f"{type(self).__name__}: unknown interpolation "
                                      f"{interpolation!r}, expected one of {_INTERPOLATIONS}")
        self.fill_mode, self.interpolation = fill_mode, interpolation
        self.fill_value = float(fill_value)

    def _augment(self, x):
        n, h, w = x.shape[:3]
        t = _s.stack(self._transform(n, float(h), float(w)), axis=1)        # (n, 8)
        return _im.transform(x, t, self.interpolation, self.fill_mode, self.fill_value)

    def _consts(self, n):
        return zeros((n,), self.dtype), ones((n,), self.dtype)

    def get_config(self):
        return dict(super().get_config(), fill_mode=self.fill_mode,
                    interpolation=self.interpolation, fill_value=self.fill_value)


class RandomTranslation(_Transformed):
    """Shift each image by a random fraction of its height and width: `height_factor` f gives
    shifts in [-f, f] * height (a pair (a, b): [a, b]); positive moves the content down/right."""

    def __init__(self, height_factor, width_factor, fill_mode="reflect",
                 interpolation="bilinear", seed=None, fill_value=0.0, data_format=None, **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.height_factor, self.width_factor = height_factor, width_factor
        self._h = _bounds(height_factor, "RandomTranslation height_factor")
        self._w = _bounds(width_factor, "RandomTranslation width_factor")

    def _transform(self, n, h, w):
        dy = self._uniform(n, *self._h) * h
        dx = self._uniform(n, *self._w) * w
        z, o = self._consts(n)
        return [o, z, -dx, z, o, -dy, z, z]

    def get_config(self):
        return dict(super().get_config(), height_factor=self.height_factor,
                    width_factor=self.width_factor)


class RandomZoom(_Transformed):
    """Zoom each image by a random factor: `height_factor` f draws the height zoom from
    1 + [-f, f] (positive zooms out, negative in); `width_factor` likewise, or None to keep the
    aspect ratio (the height zoom for both axes)."""

    def __init__(self, height_factor, width_factor=None, fill_mode="reflect",
                 interpolation="bilinear", seed=None, fill_value=0.0, data_format=None, **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.height_factor, self.width_factor = height_factor, width_factor
        self._h = _bounds(height_factor, "RandomZoom height_factor")
        self._w = None if width_factor is None else _bounds(width_factor,
                                                            "RandomZoom width_factor")

    def _transform(self, n, h, w):
        zy = self._uniform(n, 1.0 + self._h[0], 1.0 + self._h[1])
        zx = zy if self._w is None else self._uniform(n, 1.0 + self._w[0], 1.0 + self._w[1])
        z, _ = self._consts(n)
        return [zx, z, (w - 1.0) / 2.0 * (1.0 - zx), z, zy, (h - 1.0) / 2.0 * (1.0 - zy), z, z]

    def get_config(self):
        return dict(super().get_config(), height_factor=self.height_factor,
                    width_factor=self.width_factor)


class RandomRotation(_Transformed):
    """Rotate each image about its centre by a random angle: `factor` f draws the angle from
    [-f, f] * 2 pi (a pair (a, b): [a, b] * 2 pi); positive turns counter-clockwise."""

    def __init__(self, factor, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.factor = factor
        self._f = _bounds(factor, "RandomRotation factor")

    def _transform(self, n, h, w):
        angle = self._uniform(n, *self._f) * (2.0 * math.pi)
        c, s = _m.cos(angle), _m.sin(angle)
        x_off = ((w - 1.0) - (c * (w - 1.0) - s * (h - 1.0))) / 2.0
        y_off = ((h - 1.0) - (s * (w - 1.0) + c * (h - 1.0))) / 2.0
        z, _ = self._consts(n)
        return [c, -s, x_off, s, c, y_off, z, z]

    def get_config(self):
        return dict(super().get_config(), factor=self.factor)


class RandomShear(_Transformed):
    """Shear each image by a random factor (Keras 3): x' = x + sx * y, y' = y + sy * x about
    the top-left corner, sx ~ U(x_factor), sy ~ U(y_factor) and one random sign per image.
    Unlike the older layers here it transforms when called directly (Keras 3.15's
    `training=True` default) and is the identity with training=False.

    >>> import numpy as np, graphflow as tf
    >>> sh = tf.keras.layers.RandomShear(y_factor=(0.4, 0.4), interpolation="nearest",
    ...                                  fill_mode="constant")
    >>> sh(np.ones((1, 5, 5, 1), "float32"), training=False).shape
    TensorShape([1, 5, 5, 1])
    """

    def __init__(self, x_factor=0.0, y_factor=0.0, interpolation="bilinear",
                 fill_mode="reflect", fill_value=0.0, data_format=None, seed=None, **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.x_factor = _bounds(x_factor, "RandomShear x_factor")
        self.y_factor = _bounds(y_factor, "RandomShear y_factor")

    def call(self, inputs, training=True):
        return super().call(inputs, training=training)

    def _transform(self, n, h, w):
        sign = _m.where(_m.greater(self._uniform(n, 0.0, 1.0), 0.5), -1.0, 1.0)
        sy = self._uniform(n, *self.y_factor) * sign
        sx = self._uniform(n, *self.x_factor) * sign
        z, o = self._consts(n)
        return [o, sx, z, sy, o, z, z, z]

    def get_config(self):
        return dict(super().get_config(), x_factor=self.x_factor, y_factor=self.y_factor)


class SpatialDropout1D(Dropout):
    """Dropout of whole channels of (batch, steps, channels) inputs (one draw per example and
    channel), only when training."""

    def __init__(self, rate, seed=None, name=None, **kwargs):
        super().__init__(rate, seed=seed, name=name or unique_name("spatial_dropout1d"),
                         **kwargs)

    def call(self, inputs, training=None):
        self.noise_shape = (inputs.shape[0], 1, inputs.shape[2])
        return super().call(inputs, training=training)


class SpatialDropout2D(Dropout):
    """Dropout of whole feature maps: one keep/drop draw per example and channel (Keras'
    noise shape (batch, 1, 1, channels), or (batch, channels, 1, 1) for channels_first),
    only when training."""

    def __init__(self, rate, data_format=None, seed=None, name=None, **kwargs):
        super().__init__(rate, seed=seed, name=name or unique_name("spatial_dropout2d"),
                         **kwargs)
        self.data_format = data_format or "channels_last"

    def call(self, inputs, training=None):
        if inputs.ndim != 4:
            raise ValueError(f"SpatialDropout2D layer {self.name}: expected inputs of rank 4, "
                             f"got shape {tuple(inputs.shape)}")
        n = inputs.shape[0]
        self.noise_shape = ((n, inputs.shape[1], 1, 1) if self.data_format == "channels_first"
                            else (n, 1, 1, inputs.shape[3]))
        return super().call(inputs, training=training)

    def get_config(self):
        return dict(super().get_config(), data_format=self.data_format)
