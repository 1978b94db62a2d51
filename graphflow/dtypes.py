"""TensorFlow-style dtype objects.

>>> import graphflow as tf
>>> tf.float32, tf.as_dtype("int32").is_integer
(tf.float32, True)
"""
import builtins

import numpy as np


class DType:
    """A tensor element type; wraps a numpy dtype and compares equal to its name."""

    __slots__ = ("name", "np")

    def __init__(self, name, np_dtype):
        self.name = name
        self.np = np.dtype(np_dtype)

    @property
    def as_numpy_dtype(self):
        return self.np.type

    @property
    def is_floating(self):
        return self.np.kind == "f"

    @property
    def is_integer(self):
        return self.np.kind in "iu"

    @property
    def is_complex(self):
        return self.np.kind == "c"

    @property
    def real_dtype(self):
        """The dtype of the real and imaginary parts (complex64 -> float32); self otherwise."""
        return {"complex64": float32, "complex128": float64}.get(self.name, self)

    @property
    def is_bool(self):
        return self.np.kind == "b"

    @property
    def base_dtype(self):
        return self

    @property
    def size(self):
        return self.np.itemsize

    def _check_range(self):
        if self.is_bool:
            raise TypeError(f"Cannot find the minimum/maximum value of {self!r}")

    @property
    def min(self):
        """Smallest representable value (TypeError for bool, as TF)."""
        self._check_range()
        return np.finfo(self.np).min if self.is_floating else np.iinfo(self.np).min

    @property
    def max(self):
        """Largest representable value (TypeError for bool, as TF)."""
        self._check_range()
        return np.finfo(self.np).max if self.is_floating else np.iinfo(self.np).max

    @property
    def limits(self):
        """TF's image intensity range (min, max) of the dtype, the negative part clipped:
        (0, max) for integers, (0, 1) for float32/float64, (0, True) for bool; ValueError for
        the others (float16 too), as TF 2.21.

        >>> as_dtype("int8").limits, as_dtype("float32").limits
        ((0, 127), (0, 1))
        """
        if self.is_bool:
            return (0, True)
        if self.name in ("float32", "float64"):
            return (0, 1)
        if self.is_integer:
            return (0, int(np.iinfo(self.np).max))
        raise ValueError(f"{self} does not have defined limits.")

    def __repr__(self):
        return f"tf.{self.name}"

    def __str__(self):
        """As TF prints a dtype: `print(tf.float32)` shows <dtype: 'float32'>."""
        return f"<dtype: '{self.name}'>"

    def __eq__(self, other):
        if isinstance(other, DType):
            return self is other
        try:
            return as_dtype(other) is self
        except TypeError:
            return False

    def __hash__(self):
        return hash(self.name)


float16 = DType("float16", np.float16)
float32 = DType("float32", np.float32)
float64 = DType("float64", np.float64)
int8 = DType("int8", np.int8)
int16 = DType("int16", np.int16)
int32 = DType("int32", np.int32)
int64 = DType("int64", np.int64)
uint8 = DType("uint8", np.uint8)
uint16 = DType("uint16", np.uint16)
uint32 = DType("uint32", np.uint32)
uint64 = DType("uint64", np.uint64)
complex64 = DType("complex64", np.complex64)
complex128 = DType("complex128", np.complex128)
bool = DType("bool", np.bool_)  # noqa: A001 - TF's public name
#: byte strings: numpy object arrays of Python `bytes` (eager ops in `graphflow.strings`)
string = DType("string", np.object_)
half, double = float16, float64

_ALL = [float16, float32, float64, int8, int16, int32, int64, uint8, bool, complex64, complex128,
        string, uint16, uint32, uint64]
_BY_NP = {d.np: d for d in _ALL}
_BY_NAME = {d.name: d for d in _ALL}
_BY_NAME.update(half=float16, double=float64, float=float32)
#: TF's DataType enum (types.proto): tf.as_dtype(1) is float32
_BY_ENUM = {1: float32, 2: float64, 3: int32, 4: uint8, 5: int16, 6: int8, 7: string, 8: complex64,
            9: int64, 10: bool, 18: complex128, 19: float16, 17: uint16, 22: uint32, 23: uint64}


def as_dtype(x):
    """Return the DType for a DType, name, numpy dtype or Python type.

    >>> as_dtype("float32") is float32
    True
    """
    if isinstance(x, DType):
        return x
    if isinstance(x, str):
        try:
            return _BY_NAME[x]
        except KeyError:
            raise TypeError(f"unknown dtype {x!r}; known: {sorted(_BY_NAME)}") from None
    if x is float:
        return float32
    if x is int:
        return int32
    if x is builtins.bool:
        return bool
    if x is complex:
        return complex128
    if isinstance(x, int) and not isinstance(x, builtins.bool):   # TF's DataType enum values
        try:
            return _BY_ENUM[x]
        except KeyError:
            raise TypeError(f"{x} is not a TF DataType enum value graphflow supports "
                            f"({sorted(_BY_ENUM)})") from None
    try:
        return _BY_NP[np.dtype(x)]
    except (TypeError, KeyError):
        raise TypeError(f"cannot interpret {x!r} as a graphflow dtype") from None


def from_numpy(np_dtype):
    """DType of a numpy dtype (fast path used on every tensor)."""
    try:
        return _BY_NP[np_dtype]
    except KeyError:
        raise TypeError(f"numpy dtype {np_dtype} has no graphflow equivalent") from None
