"""Basic numpy indices (ints, slices, None, Ellipsis) as hashable specs: graph attributes and
Variable slice assignment share them.

>>> spec = index_spec((0, slice(1, None)))
>>> spec, index_from_spec(spec), sliced_shape((3, 4), spec)
((('i', 0), ('s', 1, None, None)), (0, slice(1, None, None)), (3,))
"""
import operator

import numpy as np


def index_spec(idx):
    """A hashable description of a basic index. Integers may be anything with `__index__`
    (numpy ints, 0-d integer tensors with a value)."""
    if not isinstance(idx, tuple):
        idx = (idx,)
    spec = []
    for k in idx:
        if isinstance(k, slice):
            spec.append(("s", _int_or_none(k.start), _int_or_none(k.stop), _int_or_none(k.step)))
        elif k is None:
            spec.append(("n",))
        elif k is Ellipsis:
            spec.append(("e",))
        else:
            try:
                spec.append(("i", operator.index(k)))
            except TypeError:
                raise TypeError(f"unsupported index {k!r}: use ints, slices, None, ... "
                                "or graphflow.gather for tensor indices") from None
    return tuple(spec)


def _int_or_none(v):
    return None if v is None else operator.index(v)


def index_from_spec(spec):
    """The numpy index a spec stands for."""
    out = []
    for s in spec:
        kind = s[0]
        out.append(slice(*s[1:]) if kind == "s" else None if kind == "n" else
                   Ellipsis if kind == "e" else s[1])
    return tuple(out)


def sliced_shape(shape, spec):
    """The shape of `array_of(shape)[spec]`, computed on a zero-stride view (no data)."""
    dummy = np.lib.stride_tricks.as_strided(np.zeros(1, np.int8), tuple(shape), (0,) * len(shape))
    return dummy[index_from_spec(spec)].shape
