"""Image ops: `resize` (TF 2's methods and half-pixel-centre arithmetic) and
`projective_transform` (the sampler behind Keras' RandomRotation/Translation/Zoom), as op-table
entries, plus the TF-named `tf.image` functions built on them.

`resize` is linear in its input: along each spatial axis it multiplies by an interpolation
matrix M (out x in) - one 1 per row for nearest, two weights per row for bilinear, a kernel's
taps for bicubic / area / lanczos / gaussian / mitchellcubic / antialiasing. Its VJP is
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
import math

import numpy as np

from ..dispatch import bind
from ..tensor import to_tensor
from .math_ops import cast
from .registry import LINEAR, OTHER, Aval, defop, op_error, same_dtype, shapes_agree
from .shape_ops import expand_dims, reshape, tile

METHODS = ("bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5", "gaussian",
           "mitchellcubic")
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


# TF's sampling kernels (tensorflow/core/kernels/image/sampling_kernels.h): (function of |x|,
# radius). Used by scale_and_translate: lanczos3/5, gaussian, mitchellcubic, and bilinear
# ("triangle") / bicubic ("keyscubic") / area ("box") with antialias=True.
def _lanczos(r):
    def k(x):
        with np.errstate(invalid="ignore", divide="ignore"):
            v = r * np.sin(np.pi * x) * np.sin(np.pi * x / r) / (np.pi * np.pi * x * x)
        return np.where(x > r, 0.0, np.where(x <= 1e-3, 1.0, v))
    return k, float(r)


def _keys_cubic(x, a=-0.5):
    return np.where(x >= 2.0, 0.0, np.where(
        x >= 1.0, ((a * x - 5 * a) * x + 8 * a) * x - 4 * a, ((a + 2) * x - (a + 3)) * x * x + 1))


def _mitchell(x):
    return np.where(x >= 2.0, 0.0, np.where(
        x >= 1.0, (((-7 / 18) * x + 2.0) * x - 10 / 3) * x + 16 / 9,
        (((7 / 6) * x - 2.0) * x) * x + 8 / 9))


KERNELS = {
    "lanczos3": _lanczos(3), "lanczos5": _lanczos(5),
    "gaussian": (lambda x: np.where(x >= 1.5, 0.0, np.exp(-x * x / (2 * 0.5 ** 2))), 1.5),
    "mitchellcubic": (_mitchell, 2.0), "keyscubic": (_keys_cubic, 2.0),
    "triangle": (lambda x: np.maximum(1.0 - x, 0.0), 1.0),
    "box": (lambda x: np.where(x < 0.5, 1.0, np.where(x == 0.5, 0.5, 0.0)), 1.0),
}
#: tf.image.resize(..., antialias=True) samples with these kernels (TF's resize_images_v2)
ANTIALIAS_KERNEL = {"bilinear": "triangle", "bicubic": "keyscubic", "lanczos3": "lanczos3",
                    "lanczos5": "lanczos5", "gaussian": "gaussian",
                    "mitchellcubic": "mitchellcubic"}


def _scale_and_translate_matrix(n_in, n_out, kernel, antialias):
    """TF's ScaleAndTranslate spans (scale = out / in, no translation): output pixel i samples
    at (i + 0.5) in / out; the kernel, widened by in / out when downsampling with antialias, is
    evaluated at the source pixel centres within its radius and the weights renormalized."""
    fn, radius = KERNELS[kernel]
    inv_scale = n_in / n_out
    ks = max(inv_scale, 1.0) if antialias else 1.0
    m = np.zeros((n_out, n_in))
    for i in range(n_out):
        sample = (i + 0.5) * inv_scale
        lo = min(max(int(math.ceil(sample - radius * ks - 0.5)), 0), n_in - 1)
        hi = min(max(int(math.floor(sample + radius * ks - 0.5)), 0), n_in - 1) + 1
        src = np.arange(lo, hi)
        w = fn(np.abs((src + 0.5 - sample) / ks))
        total = w.sum()
        if abs(total) >= 1000.0 * np.finfo(np.float32).tiny:
            m[i, lo:hi] = w / total
    return m


_CUBIC_TABLE = 1024


def _bicubic_matrix(n_in, n_out):
    """TF's ResizeBicubic (half-pixel centres): Keys' cubic (a = -0.5) from TF's 1025-entry
    coefficient table, the 4 taps around (i + 0.5) in / out - 0.5; taps outside the image get
    weight 0 and the rest are renormalized."""
    m = np.zeros((n_out, n_in))
    scale = np.float32(n_in / n_out)
    for i in range(n_out):
        src = float(np.float32((i + 0.5) * scale - 0.5))
        base = math.floor(src)
        off = int(np.rint((src - base) * _CUBIC_TABLE)) / _CUBIC_TABLE   # TF's table lookup
        taps = np.arange(base - 1, base + 3)
        w = _keys_cubic(np.abs(np.array([off + 1, off, 1 - off, 2 - off])))
        w = np.where((taps >= 0) & (taps < n_in), w, 0.0)
        if abs(w.sum()) >= 1000.0 * np.finfo(np.float32).tiny:
            w = w / w.sum()
        np.add.at(m, (i, np.clip(taps, 0, n_in - 1)), w)
    return m


def _area_matrix(n_in, n_out):
    """TF's ResizeArea: output pixel i averages the input over [i s, (i + 1) s), s = in / out,
    each input pixel weighted by its overlap with that box (indices clamped to the image)."""
    m = np.zeros((n_out, n_in))
    s = n_in / n_out
    for i in range(n_out):
        a, b = i * s, (i + 1) * s
        for j in range(int(math.floor(a)), int(math.ceil(b))):
            m[i, min(j, n_in - 1)] += (min(j + 1, b) - max(j, a)) / s
    return m


@functools.lru_cache(maxsize=256)
def interp_matrix(n_in, n_out, method, antialias=False):
    """The (n_out, n_in) interpolation matrix of one axis (float64, read-only).

    Bilinear (TF 2, half-pixel centres): source coordinate (i + 0.5) * in / out - 0.5, its two
    neighbours clamped to the axis, weights 1 - frac and frac. Bicubic and area follow TF's
    ResizeBicubic / ResizeArea; lanczos3/5, gaussian, mitchellcubic and every antialiased
    method follow TF's ScaleAndTranslate (see `KERNELS`).

    >>> interp_matrix(2, 4, "bicubic").round(4).tolist()[0]
    [1.0882, -0.0882]
    """
    m = np.zeros((n_out, n_in))
    rows = np.arange(n_out)
    if method == "nearest":
        m[rows, _nearest_index(n_in, n_out)] = 1.0
    elif antialias or method in KERNELS:
        m = _scale_and_translate_matrix(n_in, n_out, ANTIALIAS_KERNEL.get(method, method),
                                        antialias)
    elif method == "bicubic":
        m = _bicubic_matrix(n_in, n_out)
    elif method == "area":
        m = _area_matrix(n_in, n_out)
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


def _resize_impl(x, size, method, adjoint, antialias=False):
    n, h, w, c = x.shape
    ho, wo = size
    if method == "nearest" and not adjoint:    # a gather: exact for every dtype
        return np.ascontiguousarray(x[:, _nearest_index(h, ho)][:, :, _nearest_index(w, wo)])
    if adjoint:
        mh, mw = (interp_matrix(ho, h, method, antialias).T,
                  interp_matrix(wo, w, method, antialias).T)
    else:
        mh, mw = interp_matrix(h, ho, method, antialias), interp_matrix(w, wo, method, antialias)
    mh, mw = mh.astype(x.dtype), mw.astype(x.dtype)
    y = np.matmul(mh, x.reshape(n, h, w * c)).reshape(n, ho, w, c)      # rows
    return np.ascontiguousarray(np.matmul(mw, y), dtype=x.dtype)        # columns


def _resize_rule(x, size, method, adjoint, antialias=False):
    name = "resize"
    if len(x.shape) != 4:
        raise op_error(name, (x,), "the images must have rank 4 (NHWC)")
    if method not in METHODS:
        raise op_error(name, (x,), f"unknown method {method!r} (supported: {METHODS})")
    kinds = "fiu" if method == "nearest" and not adjoint else "f"
    dt = same_dtype(name, (x,), kinds)
    if len(size) != 2 or any(d is not None and d < 1 for d in size):   # None: at run time
        raise op_error(name, (x,), f"size must be 2 positive ints, got {size}")
    return Aval((x.shape[0],) + tuple(size) + (x.shape[3],), dt)


def _resize_vjp(i, o, g, size, method, adjoint, antialias=False):
    x = i[0]
    attrs = dict(method=method, adjoint=not adjoint, antialias=antialias)
    if not all(isinstance(d, (int, np.integer)) for d in x.shape[1:3]):   # run-time sizes
        from . import runtime_shape   # (same layer)
        hw = runtime_shape.shape_of(x)
        return [runtime_shape.bind_runtime_attrs(RESIZE.name, [g], attrs,
                                                 {"size": [hw[1], hw[2]]})]
    return [bind(RESIZE, [g], dict(size=tuple(x.shape[1:3]), **attrs))]


RESIZE = defop("resize", _resize_impl, _resize_rule, _resize_vjp, jvp=LINEAR, kind=OTHER,
               arity=1, doc="Resize NHWC images to `size` (TF 2's methods; one interpolation "
               "matrix per axis); adjoint=True applies the transposed interpolation (the VJP).")


def resize(images, size, method=ResizeMethod.BILINEAR, preserve_aspect_ratio=False,
           antialias=False, name=None):
    """Resize images (N, H, W, C) or (H, W, C) to `size` = (new_height, new_width).

    Methods 'bilinear' (default), 'nearest' (keeps the dtype), 'bicubic', 'area', 'lanczos3',
    'lanczos5', 'gaussian', 'mitchellcubic', with TF 2's half-pixel centres and TF's kernels;
    `antialias=True` widens the kernel when downsampling (TF's scale_and_translate; no effect
    for 'nearest' and 'area'). Every method but 'nearest' gives float32 for integer images,
    the input's dtype for float images. Each is linear, so gradients flow through all of them.

    >>> import graphflow as tf
    >>> resize(tf.ones((2, 3, 3, 1)), (6, 5)).shape
    TensorShape([2, 6, 5, 1])
    """
    x = to_tensor(images)
    method = getattr(method, "value", method)
    if method not in METHODS:
        raise ValueError(f"Resize method is not implemented: {method} "   # TF's ValueError
                         f"(image.resize supports {METHODS})")
    if x.ndim not in (3, 4):
        raise op_error("resize", (x,), "images must have rank 3 (HWC) or 4 (NHWC)")
    traced = _traced_size(size)
    size = traced if traced is not None else tuple(
        int(s) for s in (size.numpy() if hasattr(size, "numpy") else size))
    if len(size) != 2:
        raise ValueError(f"image.resize: size must be (new_height, new_width), got {size}")
    h, w = x.shape[-3:-1]
    if traced is not None and preserve_aspect_ratio:
        raise NotImplementedError("image.resize: preserve_aspect_ratio needs a size known "
                                  "while tracing")
    if preserve_aspect_ratio:        # TF: the largest size within `size` keeping the ratio
        scale = min(size[0] / h, size[1] / w)
        size = (max(int(round(h * scale)), 1), max(int(round(w * scale)), 1))
    batched = x.ndim == 4
    if not batched:
        x = expand_dims(x, 0)
    if method != "nearest" and not x.dtype.is_floating:
        x = cast(x, "float32")
    attrs = dict(size=size, method=method, adjoint=False)
    if antialias and method not in ("nearest", "area"):
        attrs["antialias"] = True
    if traced is not None:   # the size is known when the graph runs
        from . import runtime_shape   # (same layer)
        y = runtime_shape.bind_runtime_attrs(RESIZE.name, [x], {k: v for k, v in attrs.items()
                                                                if k != "size"}, {"size": size})
        return y if batched else y[0]
    y = bind(RESIZE, [x], attrs)
    return y if batched else reshape(y, tuple(y.shape[1:]))


def _traced_size(size):
    """[height, width] as two traced scalars if `size` holds a value known only when the graph
    runs, else None."""
    from .dynamic_index import is_traced   # (same layer)
    if is_traced(size):
        return [size[0], size[1]]
    if isinstance(size, (list, tuple)) and any(is_traced(v) for v in size):
        return list(size)
    return None


def _flip_input(image):
    """`image` as a tensor of rank 3 or 4, else TF's ValueError (_AssertAtLeast3DImage)."""
    x = to_tensor(image)
    if x.ndim < 3:
        raise ValueError(f"'image' (shape {tuple(x.shape)}) must be at least three-dimensional.")
    if x.ndim > 4:
        raise ValueError("'image' must have either 3 or 4 dimensions.")
    return x


def flip_left_right(image):
    """Reverse the width axis of (N, H, W, C) or (H, W, C) images."""
    x = _flip_input(image)
    return x[:, :, ::-1] if x.ndim == 4 else x[:, ::-1]


def flip_up_down(image):
    """Reverse the height axis of (N, H, W, C) or (H, W, C) images."""
    x = _flip_input(image)
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
