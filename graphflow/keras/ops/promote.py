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
