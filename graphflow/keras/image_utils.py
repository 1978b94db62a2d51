"""keras.utils.array_to_img / img_to_array: numpy (or tensor) images to PIL images and back,
as Keras 3 (needs Pillow).

>>> import numpy as np
>>> img = array_to_img(np.full((2, 3, 1), 0.5, "float32"))
>>> img.mode, img.size, img_to_array(img).shape
('L', (3, 2), (2, 3, 1))
"""
import numpy as np


def _pil_image():
    try:
        from PIL import Image
    except ImportError:
        raise ImportError("array_to_img / img_to_array need Pillow: pip install pillow") from None
    return Image


def array_to_img(x, data_format=None, scale=True, dtype=None):
    """A PIL image of a 3-D array (height, width, channels; 1, 3 or 4 channels). With `scale`,
    values are shifted and scaled to [0, 255] first (Keras 3's rule)."""
    Image = _pil_image()
    x = np.asarray(x.numpy() if hasattr(x, "numpy") else x, dtype=dtype or "float32")
    if x.ndim != 3:
        raise ValueError(f"array_to_img: expected an image array of rank 3 (single image), got "
                         f"shape {x.shape}")
    if data_format == "channels_first":
        x = x.transpose(1, 2, 0)
    if scale:
        x = x - np.min(x)
        x_max = np.max(x)
        if x_max != 0:
            x = x / x_max
        x = x * 255
    channels = x.shape[2]
    if channels == 4:
        return Image.fromarray(x.astype("uint8"), "RGBA")
    if channels == 3:
        return Image.fromarray(x.astype("uint8"), "RGB")
    if channels == 1:
        if np.max(x) > 255:   # 32-bit signed integer grayscale
            return Image.fromarray(x[:, :, 0].astype("int32"), "I")
        return Image.fromarray(x[:, :, 0].astype("uint8"), "L")
    raise ValueError(f"array_to_img: unsupported channel number {channels}")


def img_to_array(img, data_format=None, dtype=None):
    """The (height, width, channels) float32 array of a PIL image."""
    x = np.asarray(img, dtype=dtype or "float32")
    if x.ndim == 2:
        x = x[:, :, None]
    if data_format == "channels_first":
        x = x.transpose(2, 0, 1)
    return x
