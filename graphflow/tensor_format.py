"""How `tf.print` and `tf.strings.format` write a tensor: TF's own summary format, not numpy's.

TF formats each element on its own (no column alignment): floats in the shortest of %.6g /
%.9g that reads back as the same float32 (%.15g / %.17g for float64), bools as 1 / 0, strings
quoted with C escapes, complex as `?`; each dimension longer than 2 * summarize shows its first
and last `summarize` entries around `...` (TF's `SummarizeArray` / `PrintOneDimV2`).

>>> import numpy as np
>>> summarize(np.float32([0.1, 1.123456789, 1e-8, 2.0]))
'[0.1 1.12345684 1e-08 2]'
>>> summarize(np.arange(20), 3)
'[0 1 2 ... 17 18 19]'
>>> print(summarize(np.float32([[1.5, -2.0], [3.0, 4.25]])))
[[1.5 -2]
 [3 4.25]]
"""
import numpy as np

_SHORT_ESCAPES = {ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): "\\t", ord('"'): '\\"',
                  ord("'"): "\\'", ord("\\"): "\\\\"}


def _float_text(x, short, long, kind):
    """TF's FloatToBuffer / DoubleToBuffer: %.{short}g if it reads back exactly, else %.{long}g."""
    text = "%.*g" % (short, x)
    if np.isfinite(x) and kind(text) != x:
        text = "%.*g" % (long, x)
    return text


def _escape(b):
    """absl::Utf8SafeCEscape: C escapes for quotes, backslash and control bytes; bytes >= 0x80
    (UTF-8) pass through."""
    out = []
    for c in b:
        if c in _SHORT_ESCAPES:
            out.append(_SHORT_ESCAPES[c])
        elif c < 0x20 or c == 0x7F:
            out.append("\\%03o" % c)
        else:
            out.append(chr(c))
    # bytes >= 0x80 were mapped to code points 0x80-0xFF: turn them back into their UTF-8 text
    return "".join(out).encode("latin-1").decode("utf-8", "replace")


def _element_formatter(dtype):
    if dtype.kind == "f":
        if dtype.itemsize == 8:
            return lambda v: _float_text(float(v), 15, 17, float)
        # float16 and bfloat16 print as the float32 they widen to
        return lambda v: _float_text(np.float32(v), 6, 9, np.float32)
    if dtype.kind == "b":
        return lambda v: "1" if v else "0"
    if dtype.kind in "iu":
        return lambda v: str(int(v))
    if dtype.kind in "OSU":
        return lambda v: '"' + _escape(v if isinstance(v, bytes) else str(v).encode()) + '"'
    return lambda v: "?"   # complex and other types: TF prints '?'


def summarize(value, summarize=3):
    """TF's print_v2 text of one tensor value (a numpy array or scalar); `summarize` entries
    at each end of every dimension (None: 3, -1: all)."""
    a = np.asarray(value)
    if summarize is None:
        summarize = 3
    fmt = _element_formatter(a.dtype)
    n = a.size
    limit = n if summarize < 0 else min(int(summarize), n)
    if a.ndim == 0:
        return fmt(a[()]) if limit else ""
    out = []
    _one_dim(a, 0, a.ndim, limit, fmt, out)
    return "".join(out)


def _spacing(dim, ndim, out):
    if dim == ndim - 1:
        out.append(" ")
    else:
        out.append("\n" * (ndim - dim - 1) + " " * (dim + 1))


def _one_dim(a, dim, ndim, ends, fmt, out):
    """TF's PrintOneDimV2 on `a`, dimension `dim` of the whole (an element once dim == ndim:
    an object array's entries are Python bytes, not 0-d arrays)."""
    if dim == ndim:
        out.append(fmt(a[()] if isinstance(a, np.ndarray) else a))
        return
    out.append("[")
    count = a.shape[0]
    for i in range(min(ends, count)):
        if i:
            _spacing(dim, ndim, out)
        _one_dim(a[i], dim + 1, ndim, ends, fmt, out)
    if count > 2 * ends:
        _spacing(dim, ndim, out)
        out.append("...")
    for i in range(max(ends, count - ends), count):
        _spacing(dim, ndim, out)
        _one_dim(a[i], dim + 1, ndim, ends, fmt, out)
    out.append("]")
