"""Small TF names code reaches for besides the ops: `tf.compat`'s text and dimension helpers,
`tf.dtypes.saturate_cast`,
`tf.guarantee_const`, `tf.debugging`'s traceback-filtering switches.

>>> import graphflow as tf
>>> tf.compat.as_bytes("ab"), tf.compat.as_str(b"ab"), tf.compat.dimension_value(None)
(b'ab', 'ab', None)
"""
import numbers
import os

import numpy as np

from . import dtypes as _dt
from .ops import math_ops as _m
from .tensor import to_tensor

__all__ = ["as_bytes", "as_text", "as_str", "as_str_any", "path_to_str", "dimension_value",
           "dimension_at_index", "forward_compatible", "forward_compatibility_horizon",
           "saturate_cast", "guarantee_const",
           "traceback_filtering"]

bytes_or_text_types = (bytes, str)
complex_types = (numbers.Complex, np.number)
integral_types = (numbers.Integral, np.integer)
real_types = (numbers.Real, np.integer, np.floating)


def as_bytes(bytes_or_text, encoding="utf-8"):
    """`bytes_or_text` as bytes (text encoded).

    >>> as_bytes("é")
    b'\\xc3\\xa9'
    """
    if isinstance(bytes_or_text, bytearray):
        return bytes(bytes_or_text)
    if isinstance(bytes_or_text, str):
        return bytes_or_text.encode(encoding)
    if isinstance(bytes_or_text, bytes):
        return bytes_or_text
    raise TypeError(f"Expected binary or unicode string, got {bytes_or_text!r}")


def as_text(bytes_or_text, encoding="utf-8"):
    """`bytes_or_text` as str (bytes decoded).

    >>> as_text(b"x")
    'x'
    """
    if isinstance(bytes_or_text, str):
        return bytes_or_text
    if isinstance(bytes_or_text, bytes):
        return bytes_or_text.decode(encoding)
    raise TypeError(f"Expected binary or unicode string, got {bytes_or_text!r}")


as_str = as_text


def as_str_any(value, encoding="utf-8"):
    """str of any value (bytes decoded).

    >>> as_str_any(3)
    '3'
    """
    return as_str(value, encoding) if isinstance(value, bytes) else str(value)


def path_to_str(path):
    """A path-like object as str (other values unchanged).

    >>> path_to_str("a")
    'a'
    """
    return os.fspath(path) if isinstance(path, os.PathLike) else path


def dimension_value(dimension):
    """A dimension as an int (None when unknown).

    >>> dimension_value(3)
    3
    """
    if dimension is None or isinstance(dimension, int):
        return dimension
    return getattr(dimension, "value", dimension)


def dimension_at_index(shape, index):
    """Dimension `index` of a TensorShape (None if the rank is unknown).

    >>> import graphflow as tf
    >>> dimension_at_index(tf.TensorShape([3, None]), 0)
    3
    """
    return None if getattr(shape, "rank", 0) is None else shape[index]


def forward_compatible(year, month, day):
    """True: graphflow implements every TF graph-op version these checks guard."""
    return True


class forward_compatibility_horizon:
    """Context manager TF uses to test future op versions; nothing to switch here."""

    def __init__(self, year, month, day):
        self.date = (year, month, day)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def saturate_cast(value, dtype, name=None):
    """Cast with values clipped to `dtype`'s range first (no wrap-around), as TF.

    >>> import graphflow as tf
    >>> tf.dtypes.saturate_cast(tf.constant([300., -5.]), tf.uint8).numpy().tolist()
    [255, 0]
    """
    x = to_tensor(value)
    dt = _dt.as_dtype(dtype)
    numeric = x.dtype.is_integer or x.dtype.is_floating
    if numeric and (dt.is_integer or (dt.is_floating and x.dtype.is_floating
                                      and dt.size < x.dtype.size)):
        (lo, hi), (xlo, xhi) = _range(dt), _range(x.dtype)
        x = _m.clip_by_value(x, _m.cast(max(lo, xlo), x.dtype), _m.cast(min(hi, xhi), x.dtype))
    return _m.cast(x, dt)


def _range(dt):
    """(lowest, highest) of an integer or floating dtype, as floats."""
    info = np.iinfo(dt.np) if dt.is_integer else np.finfo(dt.np)
    return float(info.min), float(info.max)


def guarantee_const(input, name=None):   # noqa: A002
    """`input` unchanged (TF's hint that a value is constant; nothing to do here)."""
    return _m.identity(input)


traceback_filtering = {"enabled": True}


def enable_traceback_filtering():
    """TF's switch for hiding its frames in tracebacks (graphflow's errors already name the
    user's line); recorded only."""
    traceback_filtering["enabled"] = True


def disable_traceback_filtering():
    """See enable_traceback_filtering."""
    traceback_filtering["enabled"] = False


def is_traceback_filtering_enabled():
    """The switch's state (True by default, as TF)."""
    return traceback_filtering["enabled"]
