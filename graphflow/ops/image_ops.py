"""Image ops: `resize` (nearest / bilinear, TF 2's half-pixel-centre arithmetic) and
`projective_transform` (the sampler behind Keras' RandomRotation/Translation/Zoom), as op-table
entries, plus the TF-named `tf.image` functions built on them.

`resize` is linear in its input: along each spatial axis it multiplies by an interpolation
matrix M (out x in) - one 1 per row for nearest, two weights per row for bilinear. Its VJP is
the same op with `adjoint=True` (multiply by M^T), whose VJP is the forward op again, so every
order of derivative exists; the JVP is the op applied to the tangent (LINEAR).

>>> import graphflow as tf
>>> x = tf.constant([[[[0.], [1.]]]])                  # (1, 1, 2, 1)
>>> tf.image.resize(x, (1, 4)).numpy().ravel()         # bilinear, half-pixel centres
array([0.  , 0.25, 0.75, 1.  ], dtype=float32)
>>> tf.image.resize(x, (1, 4), "nearest").numpy().ravel()
array([0., 0., 1., 1.], dtype=float32)
"""
import functools

import numpy as np

from ..dispatch import bind
from ..tensor import to_tensor
from .math_ops import cast
from .registry import LINEAR, OTHER, Aval, defop, op_error, same_dtype, shapes_agree
from .shape_ops import expand_dims, reshape, tile

METHODS = ("bilinear", "nearest")
FILL_MODES = ("reflect", "wrap", "constant", "nearest")


class ResizeMethod:
    """Names of the resize methods (as TF's tf.image.ResizeMethod)."""
    BILINEAR = "bilinear"
    NEAREST_NEIGHBOR = "nearest"
    BICUBIC = "bicubic"
    AREA = "area"
    LANCZOS3 = "lanczos3"
    LANCZOS5 = "lanczos5"
    GAUSSIAN = "gaussian"
    MITCHELLCUBIC = "mitchellcubic"


# ------------------------------------------------------------------ resize
@functools.lru_cache(maxsize=256)
def _nearest_index(n_in, n_out):
    """TF 2 (half_pixel_centers): source cell of output cell i = floor((i + 0.5) * in / out)."""
    scale = n_in / n_out
    return np.minimum(np.floor((np.arange(n_out) + 0.5) * scale).astype(np.int64), n_in - 1)


@functools.lru_cache(maxsize=256)
def interp_matrix(n_in, n_out, method):
    """The (n_out, n_in) interpolation matrix of one axis (float64, read-only).

    Bilinear (TF 2, half-pixel centres): source coordinate (i + 0.5) * in / out - 0.5, its two
    neighbours clamped to the axis, weights 1 - frac and frac."""
    m = np.zeros((n_out, n_in))
    rows = np.arange(n_out)
    if method == "nearest":
        m[rows, _nearest_index(n_in, n_out)] = 1.0
    else:
        src = (rows + 0.5) * (n_in / n_out) - 0.5
        lo = np.floor(src)
        frac = src - lo
        lo_i = np.clip(lo.astype(np.int64), 0, n_in - 1)
        hi_i = np.clip(lo.astype(np.int64) + 1, 0, n_in - 1)
        np.add.at(m, (rows, lo_i), 1.0 - frac)
        np.add.at(m, (rows, hi_i), frac)
    m.flags.writeable = False
    return m


def _resize_impl(x, size, method, adjoint):
    n, h, w, c = x.shape
    ho, wo = size
    if method == "nearest" and not adjoint:    # a gather: exact for every dtype
        return np.ascontiguousarray(x[:, _nearest_index(h, ho)][:, :, _nearest_index(w, wo)])
    if adjoint:
        mh, mw = interp_matrix(ho, h, method).T, interp_matrix(wo, w, method).T
    else:
        mh, mw = interp_matrix(h, ho, method), interp_matrix(w, wo, method)
    mh, mw = mh.astype(x.dtype), mw.astype(x.dtype)
    y = np.matmul(mh, x.reshape(n, h, w * c)).reshape(n, ho, w, c)      # rows
    return np.ascontiguousarray(np.matmul(mw, y), dtype=x.dtype)        # columns


def _resize_rule(x, size, method, adjoint):
    name = "resize"
    if len(x.shape) != 4:
        raise op_error(name, (x,), "the images must have rank 4 (NHWC)")
    if method not in METHODS:
        raise op_error(name, (x,), f"unknown method {method!r} (supported: {METHODS})")
    kinds = "fiu" if method == "nearest" and not adjoint else "f"
    dt = same_dtype(name, (x,), kinds)
    if len(size) != 2 or min(size) < 1:
        raise op_error(name, (x,), f"size must be 2 positive ints, got {size}")
    return Aval((x.shape[0],) + tuple(size) + (x.shape[3],), dt)


def _resize_vjp(i, o, g, size, method, adjoint):
    x = i[0]
    return [bind(RESIZE, [g], dict(size=tuple(x.shape[1:3]), method=method,
                                   adjoint=not adjoint))]


RESIZE = defop("resize", _resize_impl, _resize_rule, _resize_vjp, jvp=LINEAR, kind=OTHER,
               arity=1, doc="Resize NHWC images to `size` (nearest / bilinear, TF 2 half-pixel "
               "centres); adjoint=True applies the transposed interpolation (the VJP).")


def resize(images, size, method=ResizeMethod.BILINEAR, preserve_aspect_ratio=False,
           antialias=False, name=None):
    """Resize images (N, H, W, C) or (H, W, C) to `size` = (new_height, new_width).

    Methods 'bilinear' (default; the result is float32 for integer images, the input's dtype for
    float images) and 'nearest' (keeps the dtype), with TF 2's half-pixel centres.

    >>> import graphflow as tf
    >>> resize(tf.ones((2, 3, 3, 1)), (6, 5)).shape
    TensorShape([2, 6, 5, 1])
    """
    x = to_tensor(images)
    method = getattr(method, "value", method)
    if method not in METHODS:
        raise NotImplementedError(f"image.resize: method {method!r} is not supported "
                                  f"(supported: {METHODS})")
    if x.ndim not in (3, 4):
        raise op_error("resize", (x,), "images must have rank 3 (HWC) or 4 (NHWC)")
    size = tuple(int(s) for s in (size.numpy() if hasattr(size, "numpy") else size))
    if len(size) != 2:
        raise ValueError(f"image.resize: size must be (new_height, new_width), got {size}")
    h, w = x.shape[-3:-1]
    if preserve_aspect_ratio:        # TF: the largest size within `size` keeping the ratio
        scale = min(size[0] / h, size[1] / w)
        size = (max(int(round(h * scale)), 1), max(int(round(w * scale)), 1))
    if antialias and method == "bilinear" and (size[0] < h or size[1] < w):
        raise NotImplementedError("image.resize: antialias=True when downsampling is not "
                                  "supported")
    batched = x.ndim == 4
    if not batched:
        x = expand_dims(x, 0)
    if method == "bilinear" and not x.dtype.is_floating:
        x = cast(x, "float32")
    y = bind(RESIZE, [x], dict(size=size, method=method, adjoint=False))
    return y if batched else reshape(y, tuple(y.shape[1:]))


def flip_left_right(image):
    """Reverse the width axis of (N, H, W, C) or (H, W, C) images."""
    x = to_tensor(image)
    return x[:, :, ::-1] if x.ndim == 4 else x[:, ::-1]


def flip_up_down(image):
    """Reverse the height axis of (N, H, W, C) or (H, W, C) images."""
    x = to_tensor(image)
    return x[:, ::-1] if x.ndim == 4 else x[::-1]


# ------------------------------------------------------------------ projective transform
def _map_coord(c, n, mode):
    """Out-of-range source coordinates per fill mode (TF's ImageProjectiveTransformV3)."""
    if mode == "constant":
        return c
    if n <= 1:
        return np.zeros_like(c)
    if mode == "nearest":
        return np.clip(c, 0, n - 1)
    if mode == "wrap":                       # a b c d | a b c d
        c = np.mod(c, n)
    else:                                    # reflect: d c b a | a b c d | d c b a
        c = np.mod(c, 2 * n)
        c = np.where(c >= n, 2 * n - 1 - c, c)
    return np.clip(c, 0, n - 1)


def _transform_impl(x, t, interpolation, fill_mode, fill_value):
    n, h, w, ch = x.shape
    t = t.astype(np.float64)
    yy, xx = np.meshgrid(np.arange(h, dtype=np.float64), np.arange(w, dtype=np.float64),
                         indexing="ij")
    a0, a1, a2, b0, b1, b2, c0, c1 = (t[:, k, None, None] for k in range(8))
    k = c0 * xx + c1 * yy + 1.0
    sx = _map_coord((a0 * xx + a1 * yy + a2) / k, w, fill_mode)          # (n, h, w)
    sy = _map_coord((b0 * xx + b1 * yy + b2) / k, h, fill_mode)
    flat = x.reshape(n, h * w, ch)
    fill = x.dtype.type(fill_value)

    def read(iy, ix):                        # pixels at integer coordinates; fill outside
        inside = (iy >= 0) & (iy <= h - 1) & (ix >= 0) & (ix <= w - 1)
        idx = (np.clip(iy, 0, h - 1) * w + np.clip(ix, 0, w - 1)).astype(np.int64)
        v = np.take_along_axis(flat, idx.reshape(n, -1, 1), axis=1).reshape(n, h, w, ch)
        return np.where(inside[..., None], v, fill)

    if interpolation == "nearest":
        return np.ascontiguousarray(read(np.round(sy), np.round(sx)), dtype=x.dtype)
    y0, x0 = np.floor(sy), np.floor(sx)
    fy, fx = (sy - y0)[..., None], (sx - x0)[..., None]
    out = ((1 - fy) * ((1 - fx) * read(y0, x0) + fx * read(y0, x0 + 1))
           + fy * ((1 - fx) * read(y0 + 1, x0) + fx * read(y0 + 1, x0 + 1)))
    return np.ascontiguousarray(out, dtype=x.dtype)


def _transform_rule(x, t, interpolation, fill_mode, fill_value):
    name = "projective_transform"
    if len(x.shape) != 4:
        raise op_error(name, (x, t), "the images must have rank 4 (NHWC)")
    if not shapes_agree(name, (x, t), t.shape, (x.shape[0], 8), "transforms must have shape "
                        "(batch, 8)"):   # an unknown batch: checked at run time
        raise op_error(name, (x, t), "transforms must have shape (batch, 8)")
    if interpolation not in METHODS or fill_mode not in FILL_MODES:
        raise op_error(name, (x, t), f"interpolation must be one of {METHODS} and fill_mode one "
                       f"of {FILL_MODES}, got {interpolation!r}, {fill_mode!r}")
    same_dtype(name, (t,), "f")
    return Aval(tuple(x.shape), same_dtype(name, (x,), "f"))


PROJECTIVE_TRANSFORM = defop(
    "projective_transform", _transform_impl, _transform_rule, kind=OTHER, arity=2,
    nondiff_reason="a data-augmentation sampler applied to input images (Keras' random "
                   "image layers); no gradient flows through it",
    doc="Sample NHWC images at projectively transformed points (TF's "
        "ImageProjectiveTransformV3): transforms (N, 8) map output (x, y) to input "
        "((a0 x + a1 y + a2) / k, (b0 x + b1 y + b2) / k), k = c0 x + c1 y + 1.")


def transform(images, transforms, interpolation="bilinear", fill_mode="reflect", fill_value=0.0,
              name=None):
    """Apply projective transforms (N, 8) or (8,) to float images (N, H, W, C).

    >>> import graphflow as tf
    >>> img = tf.reshape(tf.range(4.), (1, 1, 4, 1))
    >>> shift = [1., 0., -1., 0., 1., 0., 0., 0.]       # output x reads input x - 1
    >>> transform(img, shift, fill_mode="constant").numpy().ravel()
    array([0., 0., 1., 2.], dtype=float32)
    """
    x = to_tensor(images)
    t = to_tensor(transforms)
    if t.dtype != x.dtype:
        t = cast(t, x.dtype)
    if t.ndim == 1:
        t = reshape(t, (1, 8))
        if x.shape[0] != 1:
            t = tile(t, (x.shape[0], 1))
    return bind(PROJECTIVE_TRANSFORM, [x, t], dict(interpolation=interpolation,
                                                   fill_mode=fill_mode,
                                                   fill_value=float(fill_value)))
