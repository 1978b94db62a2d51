"""keras.ops.image: Keras 3's image operations (channels_last) on graphflow's image ops.

>>> import numpy as np
>>> from graphflow.keras.ops import image
>>> image.resize(np.ones((1, 4, 4, 3), "float32"), (2, 2)).shape
TensorShape([1, 2, 2, 3])
"""
import itertools

import numpy as np

from ...ops import array_ops as _a, image_ops as _im, image_extra_ops as _imx, math_ops as _m
from ...ops import conv_ops as _cv, conv3d_ops as _c3, linalg_ops as _la, shape_ops as _s
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


# ---------------------------------------------------------------- Keras 3.15's newer image ops
def _batched(x, data_format, rank=4, name="image op"):
    """x as a channels_last batch, and a function taking results back to the caller's layout."""
    if len(x.shape) not in (rank - 1, rank):
        raise ValueError(f"keras.ops.image.{name}: expected rank {rank - 1} (single image) or "
                         f"rank {rank} (batch); got shape {tuple(x.shape)}")
    single = len(x.shape) == rank - 1
    x = x[None] if single else x
    first = data_format == "channels_first"
    if first:
        x = moveaxis(x, 1, -1)

    def back(y):
        y = moveaxis(y, -1, 1) if first else y
        return y[0] if single else y
    return x, back


def _gauss_1d(size, sigma, dtype):
    x = convert_to_tensor(np.arange(size, dtype=dtype.np) - (size - 1) / 2.0)
    k = _m.exp(-0.5 * _m.square(x / sigma))
    return k / _m.reduce_sum(k)


def _per_channel(x, kernel_hw, padding):
    """Each channel of channels_last `x` convolved with the 2-D `kernel_hw`."""
    c = x.shape[-1]
    k = _s.tile(_s.reshape(kernel_hw, tuple(kernel_hw.shape) + (1, 1)), [1, 1, c, 1])
    return _cv.depthwise_conv2d(x, k, 1, padding)


def gaussian_blur(images, kernel_size=(3, 3), sigma=(1.0, 1.0), data_format=None):
    """Blur each channel with a normalized Gaussian of `kernel_size` = (width, height) and
    `sigma` = (sigma_x, sigma_y), 'same' zero padding (Keras 3).

    >>> import numpy as np
    >>> img = np.zeros((5, 5, 1), "float32"); img[2, 2] = 1.0
    >>> round(float(gaussian_blur(img)[2, 2, 0]), 4)
    0.2042
    """
    x, back = _batched(_floating(images), data_format or "channels_last", name="gaussian_blur")
    sx, sy = (sigma, sigma) if not isinstance(sigma, (tuple, list)) else sigma
    kx = _gauss_1d(kernel_size[0], _m.cast(convert_to_tensor(sx), x.dtype), x.dtype)
    ky = _gauss_1d(kernel_size[1], _m.cast(convert_to_tensor(sy), x.dtype), x.dtype)
    return back(_per_channel(x, ky[:, None] * kx[None, :], "SAME"))


_SOBEL_X = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], "float64")


def sobel_edges(images, data_format=None):
    """Sobel gradients of each channel, stacked last as [dy, dx] (Keras 3; 'same' zero
    padding).

    >>> import numpy as np
    >>> img = np.tile(np.arange(4.0, dtype="float32"), (4, 1))[None, :, :, None]
    >>> sobel_edges(img)[0, 1, 1, 0].numpy().tolist()     # [dy, dx] of a ramp in x
    [0.0, 8.0]
    """
    x, back = _batched(_floating(images), data_format or "channels_last", name="sobel_edges")
    kx = convert_to_tensor(_SOBEL_X.astype(x.dtype.np))
    ky = convert_to_tensor(_SOBEL_X.T.astype(x.dtype.np))
    return _s.stack([back(_per_channel(x, ky, "SAME")), back(_per_channel(x, kx, "SAME"))], -1)


def _fix_index(index, size, mode):
    """scipy.ndimage / jax index rule for coordinates outside [0, size) (an int tensor)."""
    if mode == "nearest":
        return _m.clip_by_value(index, 0, size - 1)
    if mode == "wrap":
        return _m.floormod(index, size)
    if mode in ("mirror", "reflect"):
        def mirror(i, n):
            s = n - 1
            return _m.abs(_m.floormod(i + s, 2 * s) - s) if s > 0 else i * 0
        if mode == "mirror":
            return mirror(index, size)
        return _m.floordiv(mirror(2 * index + 1, 2 * size + 1) - 1, 2)
    return index


_FILL_MODES = ("constant", "nearest", "wrap", "mirror", "reflect")


def _sample(inputs, coords, order, fill_mode, fill_value):
    """Interpolate `inputs` at `coords` (one array per input axis, all of one shape): order 0
    rounds half away from zero, order 1 is multilinear; `fill_mode` maps indices outside the
    input (constant: `fill_value`). An integer numpy coordinate is an exact index (one tap)."""
    shape = tuple(inputs.shape)
    flat = _s.reshape(inputs, [-1])
    taps = []                                           # per axis: [(index, weight), ...]
    for c, n in zip(coords, shape):
        if isinstance(c, np.ndarray) and c.dtype.kind in "iu":
            taps.append([(convert_to_tensor(c.astype("int32")), None)])
            continue
        c = _m.cast(convert_to_tensor(c), inputs.dtype)
        if order == 0:
            idx = _m.cast(_m.sign(c) * _m.floor(_m.abs(c) + 0.5), "int32")
            taps.append([(idx, None)])
        else:
            lo = _m.floor(c)
            frac = c - lo
            lo = _m.cast(lo, "int32")
            taps.append([(lo, 1.0 - frac), (lo + 1, frac)])
    out = None
    for combo in itertools.product(*taps):
        flat_idx, weight, valid = 0, None, None
        stride = 1
        for (idx, w), n, st in zip(combo, shape, _strides(shape)):
            fixed = _fix_index(idx, n, fill_mode)
            if fill_mode == "constant":
                ok = _m.logical_and(_m.greater_equal(idx, 0), _m.less(idx, n))
                valid = ok if valid is None else _m.logical_and(valid, ok)
                fixed = _m.clip_by_value(fixed, 0, n - 1)
            flat_idx = flat_idx + fixed * st
            if w is not None:
                weight = w if weight is None else weight * w
        val = _s.gather(flat, flat_idx)
        if valid is not None:
            val = _m.where(valid, val, _m.zeros_like(val) + fill_value)
        val = val if weight is None else val * weight
        out = val if out is None else out + val
    return out


def _strides(shape):
    out, acc = [], 1
    for n in reversed(shape):
        out.append(acc)
        acc *= n
    return out[::-1]


def map_coordinates(inputs, coordinates, order, fill_mode="constant", fill_value=0):
    """`inputs` interpolated at `coordinates` (Keras 3 / scipy.ndimage.map_coordinates):
    `coordinates[d]` holds the position along axis d of every output element; `order` 0
    (nearest) or 1 (linear); `fill_mode` constant / nearest / wrap / mirror / reflect.

    >>> import numpy as np
    >>> x = np.arange(4.0, dtype="float32")
    >>> map_coordinates(x, [np.array([0.5, 2.25, 3.5])], 1).numpy().tolist()
    [0.5, 2.25, 1.5]
    """
    x = convert_to_tensor(inputs)
    if isinstance(coordinates, (list, tuple)):
        coords = [c if isinstance(c, np.ndarray) else convert_to_tensor(c) for c in coordinates]
    else:
        c = convert_to_tensor(coordinates)
        coords = [c[i] for i in range(c.shape[0])]
    if len(coords) != len(x.shape):
        raise ValueError("keras.ops.image.map_coordinates: the first dim of `coordinates` must "
                         f"be the rank of `inputs` ({len(x.shape)}); got {len(coords)}")
    if fill_mode not in _FILL_MODES:
        raise ValueError(f"keras.ops.image.map_coordinates: `fill_mode` must be one of "
                         f"{_FILL_MODES}; got {fill_mode!r}")
    if order not in (0, 1):
        raise ValueError(f"keras.ops.image.map_coordinates: `order` must be 0 or 1; got {order}")
    is_int = not (x.dtype.is_floating or x.dtype.is_complex)
    xf = _m.cast(x, "float32") if is_int else x
    out = _sample(xf, coords, order, fill_mode, fill_value)
    if is_int:
        out = _m.cast(_m.sign(out) * _m.floor(_m.abs(out) + 0.5), x.dtype)
    return out


_INTERP = {"nearest": 0, "bilinear": 1}


def _check_interp(interpolation, fill_mode, name):
    if interpolation not in _INTERP:
        raise ValueError(f"keras.ops.image.{name}: `interpolation` must be one of "
                         f"{set(_INTERP)}; got {interpolation!r}")
    if fill_mode not in _FILL_MODES:
        raise ValueError(f"keras.ops.image.{name}: `fill_mode` must be one of "
                         f"{_FILL_MODES}; got {fill_mode!r}")


def _grid(b, h, w, c):
    """Integer index grids (B, H, W, C) of the batch and channel axes, and float rows/cols."""
    bb, hh, ww, cc = np.meshgrid(np.arange(b), np.arange(h), np.arange(w), np.arange(c),
                                 indexing="ij")
    return bb, cc, hh.astype("float32"), ww.astype("float32")


def affine_transform(images, transform, interpolation="bilinear", fill_mode="constant",
                     fill_value=0, data_format=None):
    """Sample each image at the affine map of its output pixels: `transform` [a0, a1, a2, b0,
    b1, b2, c0, c1] (one row per image, or one for all) sends output (x, y) to input
    (a0 x + a1 y + a2, b0 x + b1 y + b2), as Keras 3 (c0, c1 shift by the channel index
    there, as Keras' JAX code does).

    >>> import numpy as np
    >>> img = np.arange(9.0, dtype="float32").reshape(3, 3, 1)
    >>> affine_transform(img, [1, 0, 1, 0, 1, 0, 0, 0])[:, :, 0].numpy().tolist()   # shift
    [[1.0, 2.0, 0.0], [4.0, 5.0, 0.0], [7.0, 8.0, 0.0]]
    """
    _check_interp(interpolation, fill_mode, "affine_transform")
    x, back = _batched(_floating(images), data_format or "channels_last",
                       name="affine_transform")
    t = _m.cast(convert_to_tensor(transform), x.dtype)
    if len(t.shape) not in (1, 2):
        raise ValueError("keras.ops.image.affine_transform: `transform` must be (8,) or "
                         f"(batch, 8); got shape {tuple(t.shape)}")
    b, h, w, c = x.shape
    t = _s.broadcast_to(_s.reshape(t, [-1, 8]), [b, 8])
    col = [_s.reshape(t[:, i], [b, 1, 1, 1]) for i in range(8)]
    bb, cc, hh, ww = _grid(b, h, w, c)
    chan = cc.astype("float32")
    rows = col[3] * ww + col[4] * hh + col[5] + col[6] * chan
    cols = col[0] * ww + col[1] * hh + col[2] + col[7] * chan
    out = _sample(x, [bb, rows, cols, cc], _INTERP[interpolation], fill_mode, fill_value)
    return back(out)


def _homography(start_points, end_points):
    """The 8 projective coefficients mapping end points to start points (Keras'
    compute_homography_matrix), per batch entry."""
    s = _m.cast(convert_to_tensor(start_points), "float32")
    e = _m.cast(convert_to_tensor(end_points), "float32")
    sx, sy, ex, ey = s[..., 0], s[..., 1], e[..., 0], e[..., 1]
    zeros, ones = _m.zeros_like(ex), _m.ones_like(ex)
    x_rows = _s.stack([ex, ey, ones, zeros, zeros, zeros, -sx * ex, -sx * ey], -1)
    y_rows = _s.stack([zeros, zeros, zeros, ex, ey, ones, -sy * ex, -sy * ey], -1)
    a = _s.concat([x_rows, y_rows], 1)
    rhs = _s.expand_dims(_s.concat([sx, sy], -1), -1)
    return _la.solve(a, rhs)[..., 0]


def perspective_transform(images, start_points, end_points, interpolation="bilinear",
                          fill_value=0, data_format=None):
    """Warp each image by the perspective map taking its 4 `start_points` (x, y) to
    `end_points`: every output pixel samples the input at the inverse map, outside pixels
    take `fill_value` (Keras 3).

    >>> import numpy as np
    >>> img = np.arange(16.0, dtype="float32").reshape(4, 4, 1)
    >>> pts = np.array([[0, 0], [3, 0], [0, 3], [3, 3]], "float32")
    >>> bool(np.allclose(perspective_transform(img, pts, pts).numpy(), img, atol=1e-4))
    True
    """
    _check_interp(interpolation, "constant", "perspective_transform")
    x, back = _batched(_floating(images), data_format or "channels_last",
                       name="perspective_transform")
    sp, ep = convert_to_tensor(start_points), convert_to_tensor(end_points)
    for p, what in ((sp, "start_points"), (ep, "end_points")):
        if tuple(p.shape[-2:]) != (4, 2) or len(p.shape) not in (2, 3):
            raise ValueError(f"keras.ops.image.perspective_transform: `{what}` must be (4, 2) "
                             f"or (N, 4, 2); got shape {tuple(p.shape)}")
    if tuple(sp.shape) != tuple(ep.shape):
        raise ValueError("keras.ops.image.perspective_transform: start_points and end_points "
                         f"must have the same shape; got {tuple(sp.shape)} and "
                         f"{tuple(ep.shape)}")
    sp, ep = (sp[None], ep[None]) if len(sp.shape) == 2 else (sp, ep)
    b, h, w, c = x.shape
    t = _s.broadcast_to(_m.cast(_homography(sp, ep), x.dtype), [b, 8])
    col = [_s.reshape(t[:, i], [b, 1, 1, 1]) for i in range(8)]
    bb, cc, hh, ww = _grid(b, h, w, c)
    denom = col[6] * ww + col[7] * hh + 1.0
    cols = (col[0] * ww + col[1] * hh + col[2]) / denom
    rows = (col[3] * ww + col[4] * hh + col[5]) / denom
    return back(_sample(x, [bb, rows, cols, cc], _INTERP[interpolation], "constant",
                        fill_value))


def elastic_transform(images, alpha=20.0, sigma=5.0, interpolation="bilinear",
                      fill_mode="reflect", fill_value=0.0, seed=None, data_format=None):
    """Elastic distortion: each pixel samples the input at its position plus `alpha` times a
    Gaussian-smoothed (`sigma`) random normal displacement field (Keras 3; the random
    numbers are graphflow's, so values differ from Keras' for the same seed; an int `seed`
    repeats its field).

    >>> import numpy as np
    >>> img = np.ones((8, 8, 1), "float32")
    >>> bool(np.allclose(elastic_transform(img, seed=1).numpy(), 1.0))   # flat stays flat
    True
    """
    from ...ops import random_ops as _r
    _check_interp(interpolation, fill_mode, "elastic_transform")
    x, back = _batched(_floating(images), data_format or "channels_last",
                       name="elastic_transform")
    b, h, w, c = x.shape
    size = int(6 * float(sigma)) | 1
    if hasattr(seed, "next"):                       # a keras.random.SeedGenerator
        seed = seed.next()
    if seed is not None and not isinstance(seed, int):
        seed = int(np.asarray(getattr(seed, "numpy", lambda: seed)()).ravel()[0])
    fields = []
    for k in range(2):      # an int seed gives the same field every call, as in Keras
        noise = (_r.normal((b, h, w, 1), 0.0, 1.0, x.dtype) if seed is None else
                 _r.stateless_normal((b, h, w, 1), [seed, k], dtype=x.dtype)) * float(sigma)
        fields.append(gaussian_blur(noise, (size, size), (sigma, sigma))[..., 0])
    bb, cc, hh, ww = _grid(b, h, w, c)
    rows = hh + alpha * _s.expand_dims(fields[1], -1)
    cols = ww + alpha * _s.expand_dims(fields[0], -1)
    return back(_sample(x, [bb, rows, cols, cc], _INTERP[interpolation], fill_mode,
                        fill_value))


def extract_patches_3d(volumes, size, strides=None, dilation_rate=1, padding="valid",
                       data_format=None):
    """Patches of `size` (depth, height, width) of 5-D volumes as channels:
    (N, D', H', W', size_d * size_h * size_w * C), Keras 3's identity-kernel 3-D convolution.

    >>> import numpy as np
    >>> extract_patches_3d(np.ones((1, 4, 4, 4, 2), "float32"), 2).shape
    TensorShape([1, 2, 2, 2, 16])
    """
    size = (size,) * 3 if isinstance(size, int) else tuple(size)
    if len(size) != 3:
        raise TypeError("keras.ops.image.extract_patches_3d: `size` must be an int or a tuple "
                        f"of length 3; got {size}")
    strides = size if strides is None else strides
    x = _floating(volumes)
    cin = x.shape[1] if data_format == "channels_first" else x.shape[-1]
    out_dim = int(np.prod(size)) * cin
    kernel = convert_to_tensor(np.eye(out_dim, dtype=x.dtype.np).reshape(size + (cin, out_dim)))
    single = len(x.shape) == 4
    x = x[None] if single else x
    first = data_format == "channels_first"
    x = moveaxis(x, 1, -1) if first else x
    triple = (lambda v: [v] * 3 if isinstance(v, int) else list(v))
    out = _c3.conv3d(x, kernel, [1] + triple(strides) + [1], padding.upper(),
                     dilations=[1] + triple(dilation_rate) + [1])
    out = moveaxis(out, -1, 1) if first else out
    return out[0] if single else out


_ST_KERNELS = {"linear": "triangle", "bilinear": "triangle", "trilinear": "triangle",
               "triangle": "triangle", "cubic": "keyscubic", "bicubic": "keyscubic",
               "tricubic": "keyscubic", "lanczos3": "lanczos3", "lanczos5": "lanczos5"}


def _st_matrix(n_in, n_out, scale, translation, kernel, antialias):
    """JAX's scale_and_translate weights (n_in, n_out): output i samples the input at
    (i + 0.5 - translation) / scale - 0.5; the kernel widens by 1 / scale when downsampling
    with antialias; columns are renormalized and zeroed where the sample is outside."""
    fn = _im.KERNELS[kernel][0]
    inv = 1.0 / scale
    ks = max(inv, 1.0) if antialias else 1.0
    sample = (np.arange(n_out) + 0.5) * inv - translation * inv - 0.5
    wts = fn(np.abs(sample[None, :] - np.arange(n_in)[:, None]) / ks)
    total = wts.sum(0, keepdims=True)
    wts = np.where(np.abs(total) > 1000.0 * np.finfo(np.float32).eps,
                   wts / np.where(total != 0, total, 1), 0.0)
    return np.where(((sample >= -0.5) & (sample <= n_in - 0.5))[None, :], wts, 0.0)


def scale_and_translate(images, output_shape, scale, translation, spatial_dims, method,
                        antialias=True):
    """Resample `images` to `output_shape`, scaling and translating the `spatial_dims` (JAX's
    `jax.image.scale_and_translate`, Keras 3): output pixel i of a dim samples the input at
    (i + 0.5 - translation) / scale - 0.5 with the `method` kernel (linear, cubic, lanczos3,
    lanczos5). `scale` and `translation` must be known values (not traced).

    >>> import numpy as np
    >>> x = np.array([0.0, 1.0, 2.0, 3.0], "float32")
    >>> [round(v, 4) for v in scale_and_translate(x, (2,), [0.5], [0.0], [0], "linear").numpy().tolist()]
    [0.7143, 2.2857]
    """
    if method not in _ST_KERNELS:
        raise ValueError(f"keras.ops.image.scale_and_translate: `method` must be one of "
                         f"{sorted(_ST_KERNELS)}; got {method!r}")
    x = _floating(images)
    scale = np.asarray(getattr(scale, "numpy", lambda: scale)(), "float64").reshape(-1)
    translation = np.asarray(getattr(translation, "numpy", lambda: translation)(),
                             "float64").reshape(-1)
    for k, d in enumerate(spatial_dims):
        m = _st_matrix(x.shape[d], int(output_shape[d]), float(scale[k]),
                       float(translation[k]), _ST_KERNELS[method], antialias)
        moved = moveaxis(x, d, -1)
        moved = _m.matmul(moved[..., None, :], convert_to_tensor(m.astype(x.dtype.np)))[..., 0, :]
        x = moveaxis(moved, -1, d)
    return x


def ssim(image1, image2, max_val=1.0, filter_size=11, filter_sigma=1.5, k1=0.01, k2=0.03,
         data_format=None):
    """Structural similarity of two images (or batches: one value per image), Keras 3's
    formula: an 11x11 Gaussian window ('valid'), the SSIM map averaged per channel, then
    over channels.

    >>> import numpy as np
    >>> a = np.random.RandomState(0).rand(16, 16, 3).astype("float32")
    >>> round(float(ssim(a, a)), 6)
    1.0
    """
    x = _floating(image1)
    y = _m.cast(convert_to_tensor(image2), x.dtype)
    x, back = _batched(x, data_format or "channels_last", name="ssim")
    y, _ = _batched(y, data_format or "channels_last", name="ssim")
    g = _gauss_1d(filter_size, _m.cast(convert_to_tensor(filter_sigma), x.dtype), x.dtype)
    win = g[:, None] * g[None, :]

    def blur(t):
        return _per_channel(t, win, "VALID")
    c1, c2 = (k1 * max_val) ** 2, (k2 * max_val) ** 2
    mu1, mu2 = blur(x), blur(y)
    s1 = blur(x * x) - mu1 * mu1
    s2 = blur(y * y) - mu2 * mu2
    s12 = blur(x * y) - mu1 * mu2
    ssim_map = (2.0 * mu1 * mu2 + c1) * (2.0 * s12 + c2) / \
        ((mu1 * mu1 + mu2 * mu2 + c1) * (s1 + s2 + c2))
    per_image = _m.reduce_mean(_m.reduce_mean(ssim_map, [1, 2]), -1)
    return per_image[0] if len(convert_to_tensor(image1).shape) == 3 else per_image
