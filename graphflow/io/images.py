"""Image codecs of `tf.io` (also `tf.image.decode_*` / `encode_*`): PNG, JPEG, GIF and BMP bytes
to uint8 (PNG: also uint16) tensors [height, width, channels] and back, with Pillow (the
`keras` / `dev` extra; imported when first used).

>>> import graphflow as tf, numpy as np
>>> img = np.arange(24, dtype=np.uint8).reshape(2, 4, 3)
>>> png = tf.io.encode_png(img)
>>> bool((tf.io.decode_png(png).numpy() == img).all()), tf.io.decode_image(png).shape
(True, TensorShape([2, 4, 3]))
"""
import io as _pyio

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError, user_source
from ..tensor import Tensor, convert_to_tensor
from .files import as_bytes

__all__ = ["decode_png", "decode_jpeg", "decode_gif", "decode_bmp", "decode_image",
           "encode_png", "encode_jpeg", "extract_jpeg_shape", "is_jpeg"]

_MODES = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}


def _pil():
    try:
        from PIL import Image
    except ImportError:   # pragma: no cover - pillow is in the keras / dev extras
        raise ImportError("tf.io image decoding needs Pillow: pip install pillow") from None
    return Image


def _open(contents, what):
    Image = _pil()
    data = as_bytes(contents, what)
    try:
        img = Image.open(_pyio.BytesIO(data))
        img.load()
    except Exception as e:   # noqa: BLE001 - Pillow raises several kinds
        raise InvalidArgumentError(f"{what} (called at {user_source()}): cannot decode the "
                                   f"{len(data)} bytes as an image: {e}") from None
    return img, data


def _to_array(img, channels, what, dtype=_dt.uint8):
    if channels not in (0, 1, 2, 3, 4, None):
        raise InvalidArgumentError(f"{what}: channels must be 0, 1, 2, 3 or 4, got {channels}")
    if img.mode in ("I;16", "I;16B", "I") and dtype == _dt.uint16 and channels in (0, 1, None):
        arr = np.asarray(img).astype(np.uint16)
    else:
        if not channels:
            channels = {"L": 1, "LA": 2, "RGB": 3, "RGBA": 4, "1": 1}.get(
                img.mode, 4 if "A" in img.getbands() or "transparency" in img.info else 3)
        if channels == 1 and img.format == "PNG" and img.mode not in ("L", "1", "LA"):
            # TF decodes PNGs with libpng's rgb_to_gray at (0.299, 0.587): 15-bit fixed-point
            # weights (9797, 19234, 3737), truncated; Pillow's "L" rounds another way
            rgb = np.asarray(img.convert("RGB"), np.uint32)
            arr = ((9797 * rgb[..., 0] + 19234 * rgb[..., 1] + 3737 * rgb[..., 2])
                   >> 15).astype(np.uint8)
        else:
            arr = np.asarray(img.convert(_MODES[channels]), dtype=np.uint8)
        if dtype == _dt.uint16:
            arr = arr.astype(np.uint16) * 257
    if arr.ndim == 2:
        arr = arr[:, :, None]
    return convert_to_tensor(np.ascontiguousarray(arr), _dt.as_dtype(dtype))


def decode_png(contents, channels=0, dtype=_dt.uint8, name=None):
    """PNG bytes -> uint8 (or uint16) [height, width, channels]; `channels` 0 keeps the
    file's."""
    img, _ = _open(contents, "tf.io.decode_png")
    return _to_array(img, channels, "tf.io.decode_png", _dt.as_dtype(dtype))


def decode_jpeg(contents, channels=0, ratio=1, fancy_upscaling=True,
                try_recover_truncated=False, acceptable_fraction=1, dct_method="", name=None):
    """JPEG bytes -> uint8 [height, width, channels] (libjpeg through Pillow; `ratio` 2, 4, 8
    downscales)."""
    img, _ = _open(contents, "tf.io.decode_jpeg")
    if int(ratio) > 1:
        img = img.resize((img.width // int(ratio), img.height // int(ratio)))
    return _to_array(img, channels, "tf.io.decode_jpeg")


def decode_bmp(contents, channels=0, name=None):
    """BMP bytes -> uint8 [height, width, channels]."""
    img, _ = _open(contents, "tf.io.decode_bmp")
    return _to_array(img, channels, "tf.io.decode_bmp")


def decode_gif(contents, name=None):
    """GIF bytes -> uint8 [frames, height, width, 3]."""
    img, _ = _open(contents, "tf.io.decode_gif")
    frames = []
    for i in range(getattr(img, "n_frames", 1)):
        img.seek(i)
        frames.append(np.asarray(img.convert("RGB"), dtype=np.uint8))
    return convert_to_tensor(np.stack(frames), _dt.uint8)


def decode_image(contents, channels=None, dtype=_dt.uint8, name=None, expand_animations=True):
    """Any of PNG, JPEG, GIF, BMP -> [height, width, channels] (a GIF: [frames, h, w, 3] unless
    `expand_animations=False`, then its first frame); a float `dtype` scales to [0, 1] as
    `tf.image.convert_image_dtype`."""
    img, _ = _open(contents, "tf.io.decode_image")
    dt = _dt.as_dtype(dtype)
    if img.format == "GIF":
        out = decode_gif(contents)
        if not expand_animations:
            out = convert_to_tensor(out.numpy()[0], _dt.uint8)
    else:
        out = _to_array(img, channels or 0, "tf.io.decode_image",
                        _dt.uint16 if dt == _dt.uint16 else _dt.uint8)
    if dt.is_floating:
        scale = 65535.0 if out.dtype == _dt.uint16 else 255.0
        return convert_to_tensor((out.numpy() / scale).astype(dt.np), dt)
    return out


def _image_array(image, what):
    arr = np.asarray(image.numpy() if isinstance(image, Tensor) else image)
    if arr.ndim != 3 or arr.shape[2] not in (1, 2, 3, 4):
        raise InvalidArgumentError(f"{what} (called at {user_source()}): image must be "
                                   f"[height, width, channels] with 1-4 channels, got shape "
                                   f"{list(arr.shape)}")
    return arr


def _bytes_tensor(data):
    out = np.empty((), dtype=object)
    out[()] = data
    return convert_to_tensor(out, _dt.string)


def encode_png(image, compression=-1, name=None):
    """uint8 / uint16 [height, width, channels] -> PNG bytes (a scalar string)."""
    Image = _pil()
    arr = _image_array(image, "tf.io.encode_png")
    if arr.dtype == np.uint16 and arr.shape[2] == 1:
        img = Image.fromarray(arr[:, :, 0].astype(np.uint16))
    else:
        if arr.dtype != np.uint8:
            raise InvalidArgumentError(f"tf.io.encode_png: image dtype must be uint8 (or uint16 "
                                       f"with one channel), got {arr.dtype}")
        img = Image.fromarray(arr[:, :, 0] if arr.shape[2] == 1 else arr,
                              None if arr.shape[2] != 2 else "LA")
    buf = _pyio.BytesIO()
    img.save(buf, format="PNG", compress_level=6 if compression < 0 else int(compression))
    return _bytes_tensor(buf.getvalue())


def encode_jpeg(image, format="", quality=95, progressive=False, optimize_size=False,
                chroma_downsampling=True, density_unit="in", x_density=300, y_density=300,
                xmp_metadata="", name=None):   # noqa: A002 (TF's argument name)
    """uint8 [height, width, 1 or 3] -> JPEG bytes (a scalar string)."""
    Image = _pil()
    arr = _image_array(image, "tf.io.encode_jpeg")
    if arr.dtype != np.uint8 or arr.shape[2] not in (1, 3):
        raise InvalidArgumentError(f"tf.io.encode_jpeg: needs a uint8 image with 1 or 3 "
                                   f"channels, got {arr.dtype} {list(arr.shape)}")
    img = Image.fromarray(arr[:, :, 0] if arr.shape[2] == 1 else arr)
    buf = _pyio.BytesIO()
    img.save(buf, format="JPEG", quality=int(quality), progressive=bool(progressive),
             optimize=bool(optimize_size), subsampling=2 if chroma_downsampling else 0)
    return _bytes_tensor(buf.getvalue())


def is_jpeg(contents, name=None):
    """Whether the bytes start with the JPEG signature."""
    return convert_to_tensor(np.bool_(as_bytes(contents, "tf.io.is_jpeg")[:3] == b"\xff\xd8\xff"))


def extract_jpeg_shape(contents, output_type=_dt.int32, name=None):
    """[height, width, channels] of JPEG bytes, without decoding the pixels."""
    img, _ = _open(contents, "tf.io.extract_jpeg_shape")
    return convert_to_tensor(np.array([img.height, img.width, len(img.getbands())],
                                      _dt.as_dtype(output_type).np), output_type)
