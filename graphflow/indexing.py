"""Basic numpy indices (ints, slices, None, Ellipsis) as hashable specs: graph attributes and
Variable slice assignment share them.

>>> spec = index_spec((0, slice(1, None)))
>>> spec, index_from_spec(spec), sliced_shape((3, 4), spec)
((('i', 0), ('s', 1, None, None)), (0, slice(1, None, None)), (3,))
"""
import operator

import numpy as np

from .shapes import Dim, dmax, dmin, require_equal


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
    return v if v is None or isinstance(v, Dim) else operator.index(v)


_INDEX_OF = {}   # spec -> index: a node's spec is converted once, not at every run


def index_from_spec(spec):
    """The numpy index a spec stands for (memoized per spec: getitem runs it per call, e.g. an
    RNN's gate slices at every step)."""
    try:
        return _INDEX_OF[spec]
    except KeyError:
        pass
    except TypeError:   # (an unhashable spec)
        return _index_from_spec(spec)
    index = _index_from_spec(spec)
    if len(_INDEX_OF) < 65536 and all(type(v) in (str, int, type(None)) for s in spec for v in s):
        _INDEX_OF[spec] = index   # (ints only: unknown dims are compared symbolically)
    return index


def _index_from_spec(spec):
    out = []
    for s in spec:
        kind = s[0]
        out.append(slice(*s[1:]) if kind == "s" else None if kind == "n" else
                   Ellipsis if kind == "e" else s[1])
    return tuple(out)


def sliced_shape(shape, spec):
    """The shape of `array_of(shape)[spec]`, computed on a zero-stride view (no data); with
    unknown dims (`graphflow.shapes.Dim`), symbolically.

    >>> from graphflow.shapes import Dim
    >>> b = Dim("b")
    >>> [str(d) for d in sliced_shape((b, 4), index_spec((slice(1, None), 0)))]
    ['b - 1']
    """
    if any(isinstance(d, Dim) or d is None for d in shape) or any(
            isinstance(v, Dim) for k in spec if k[0] == "s" for v in k[1:]):
        return _symbolic_sliced_shape(tuple(shape), spec)
    dummy = np.lib.stride_tricks.as_strided(np.zeros(1, np.int8), tuple(shape), (0,) * len(shape))
    return dummy[index_from_spec(spec)].shape


def _symbolic_sliced_shape(shape, spec):
    consumed = sum(1 for k in spec if k[0] in "is")
    if sum(1 for k in spec if k[0] == "e") > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    if consumed > len(shape):
        raise IndexError(f"too many indices for a rank-{len(shape)} value")
    out, axis = [], 0
    for k in spec:
        if k[0] == "n":
            out.append(1)
        elif k[0] == "e":
            n = len(shape) - consumed
            out.extend(shape[axis:axis + n])
            axis += n
        elif k[0] == "i":
            d, i = shape[axis], k[1]
            if d is not None and not isinstance(d, Dim) and not -d <= i < d:
                raise IndexError(f"index {i} is out of bounds for axis {axis} with size {d}")
            axis += 1
        else:
            d = shape[axis]
            out.append(None if d is None else   # (a run-time size: its slice's too)
                       len(range(*slice(*k[1:]).indices(d))) if not isinstance(d, Dim)
                       and not any(isinstance(v, Dim) for v in k[1:]) else _slice_len(d, *k[1:]))
            axis += 1
    return tuple(out) + tuple(shape[axis:])


def _slice_len(d, start, stop, step):
    """Length of `range(d)[start:stop:step]` when d or a bound is an unknown dim (symbolic;
    bounds clamped as numpy does, a `min`/`max` dim where that is undecided). A bound that is
    an unknown dim (e.g. `x[:x.shape[0] // 2]`, or split's offsets) must not be negative when
    the graph runs (checked then): numpy would count it from the end."""
    step = 1 if step is None else step
    if step == 0:
        raise ValueError("slice step cannot be zero")
    last = d if step > 0 else d - 1    # positions run over [0, d) forwards, [-1, d - 1] back
    first = 0 if step > 0 else -1

    def clamp(v, default):
        if v is None:
            return default
        if isinstance(v, Dim):
            require_equal(dmax(v, 0), v)
            return dmin(v, last)
        return dmin(v, last) if v >= 0 else dmax(d + v, first)
    lo, hi = clamp(start, 0 if step > 0 else d - 1), clamp(stop, d if step > 0 else -1)
    n = dmax(hi - lo if step > 0 else lo - hi, 0)
    step = abs(step)
    return n if step == 1 else (n + step - 1) // step
