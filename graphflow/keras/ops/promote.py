"""The dtype rule the keras.ops float functions share: integer and boolean inputs compute in
float32 (Keras' floatx), floating and complex inputs keep their dtype.

>>> floating([1, 2]).dtype.name
'float32'
"""
from ...ops import math_ops as _m
from ...tensor import convert_to_tensor


def floating(x):
    """`x` as a tensor, integers and booleans cast to float32."""
    x = convert_to_tensor(x)
    return x if x.dtype.is_floating or x.dtype.is_complex else _m.cast(x, "float32")


def _kind(dt):
    return "b" if dt.name == "bool" else ("f" if dt.is_floating else
                                          ("c" if dt.is_complex else "i"))


def binary(x1, x2):
    """Two operands in one dtype, as Keras 3 promotes them: a Python scalar takes the other
    operand's dtype (a float with an integer tensor gives float32); two tensors of different
    kinds take the floating (or complex) one's dtype; same kinds take the wider one.

    >>> a, b = binary(convert_to_tensor([1, 2]), 0.5)
    >>> a.dtype.name, b.dtype.name
    ('float32', 'float32')
    """
    weak1 = isinstance(x1, (int, float, bool)) and not hasattr(x1, "dtype")
    weak2 = isinstance(x2, (int, float, bool)) and not hasattr(x2, "dtype")
    if weak1 and weak2:
        return convert_to_tensor(x1), convert_to_tensor(x2)
    if weak1 or weak2:
        t = convert_to_tensor(x2 if weak1 else x1)
        s = x1 if weak1 else x2
        dt = t.dtype
        if isinstance(s, float) and _kind(dt) in "bi":
            dt = "float32"
        elif isinstance(s, int) and not isinstance(s, bool) and _kind(dt) == "b":
            dt = "int32"
        t = _m.cast(t, dt) if t.dtype != dt else t
        s = convert_to_tensor(s, dtype=dt)
        return (s, t) if weak1 else (t, s)
    a, b = convert_to_tensor(x1), convert_to_tensor(x2)
    if a.dtype == b.dtype:
        return a, b
    order = "bifc"
    ka, kb = _kind(a.dtype), _kind(b.dtype)
    if ka != kb:
        dt = a.dtype if order.index(ka) > order.index(kb) else b.dtype
    else:
        dt = a.dtype if a.dtype.size >= b.dtype.size else b.dtype
    return (_m.cast(a, dt) if a.dtype != dt else a), (_m.cast(b, dt) if b.dtype != dt else b)
