"""The JPEG-artefact augmentations of `tf.image` ("Data augmentation" guide):
`adjust_jpeg_quality`, `random_jpeg_quality`, `stateless_random_jpeg_quality` - the image
through a JPEG encode / decode round trip at a quality, as TF does it (uint8 with saturation,
libjpeg through Pillow, back to the input dtype). Eager, as the codecs.

>>> import graphflow as tf
>>> img = tf.fill([8, 8, 3], 0.5)
>>> out = adjust_jpeg_quality(img, 90)
>>> out.shape, out.dtype, round(float(tf.reduce_mean(out)), 2)
(TensorShape([8, 8, 3]), tf.float32, 0.5)
"""
import numpy as np

from . import dtypes as _dt
from .io import images as _io
from .ops import random_ops as _r
from .ops.image_extra_ops import convert_image_dtype
from .tensor import Tensor, to_tensor

__all__ = ["adjust_jpeg_quality", "random_jpeg_quality", "stateless_random_jpeg_quality"]


def adjust_jpeg_quality(image, jpeg_quality, dct_method="", name=None):
    """`image` ([h, w, c] or a batch; c of 1 or 3) encoded as JPEG at `jpeg_quality` (0-100)
    and decoded again, in the input's dtype (`tf.image.adjust_jpeg_quality`)."""
    x = to_tensor(image)
    q = int(jpeg_quality.numpy() if isinstance(jpeg_quality, Tensor) else jpeg_quality)
    if not 0 <= q <= 100:
        raise ValueError(f"tf.image.adjust_jpeg_quality: jpeg_quality must be in [0, 100], "
                         f"got {q}")
    if len(x.shape) not in (3, 4) or int(x.shape[-1]) not in (1, 3):
        raise ValueError(f"tf.image.adjust_jpeg_quality: expects [height, width, 1 or 3] images "
                         f"(or a batch of them), got shape {list(x.shape)}")
    u8 = np.asarray(convert_image_dtype(x, _dt.uint8, saturate=True))
    flat = u8.reshape((-1,) + u8.shape[-3:])
    out = np.stack([np.asarray(_io.decode_jpeg(_io.encode_jpeg(im, quality=q),
                                               channels=int(x.shape[-1]))) for im in flat])
    return convert_image_dtype(to_tensor(out.reshape(u8.shape)), x.dtype, saturate=True)


def random_jpeg_quality(image, min_jpeg_quality, max_jpeg_quality, seed=None, name=None):
    """adjust_jpeg_quality at a quality drawn from [min, max) (`tf.random.uniform`, op `seed`)."""
    q = _r.uniform([], int(min_jpeg_quality), int(max_jpeg_quality), _dt.int32, seed)
    return adjust_jpeg_quality(image, q)


def stateless_random_jpeg_quality(image, min_jpeg_quality, max_jpeg_quality, seed):
    """adjust_jpeg_quality at a quality drawn from [min, max) as a function of `seed`, as TF."""
    q = _r.stateless_uniform([], seed, int(min_jpeg_quality), int(max_jpeg_quality), _dt.int32)
    return adjust_jpeg_quality(image, q)
