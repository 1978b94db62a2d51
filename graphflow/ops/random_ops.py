"""Random ops with TF's seeding: `set_seed` makes a program reproducible; an op seed picks its own
stream. Random draws are stateful graph nodes (a traced function draws anew on every call).

>>> import graphflow as tf
>>> tf.random.set_seed(0); a = tf.random.normal((2,))
>>> tf.random.set_seed(0); bool(tf.reduce_all(a == tf.random.normal((2,))))
True
"""
import numpy as np

from .. import dtypes as _dt
from ..dispatch import bind
from .creation import shape_tuple
from .math_ops import cast, floor
from .registry import Aval, defop

_GLOBAL = {"seed": None, "rng": np.random.default_rng()}
_OP_STREAMS = {}


def set_seed(seed):
    """Set the global seed: later random ops give the same sequence each run."""
    _GLOBAL["seed"] = None if seed is None else int(seed)
    _GLOBAL["rng"] = np.random.default_rng(seed)
    _OP_STREAMS.clear()


def _rng(seed):
    if seed is None:
        return _GLOBAL["rng"]
    key = (_GLOBAL["seed"], seed)   # op seed: its own reproducible stream
    if key not in _OP_STREAMS:
        _OP_STREAMS[key] = np.random.default_rng([0 if key[0] is None else key[0] + 1, seed])
    return _OP_STREAMS[key]


def _rule(shape, dtype, seed, **_):
    return Aval(tuple(shape), np.dtype(dtype))


NORMAL = defop("random_normal",
               lambda shape, dtype, seed: _rng(seed).standard_normal(shape).astype(dtype),
               _rule, nondiff_reason="random draws do not depend on differentiable inputs",
               effects=("random",))
UNIFORM = defop("random_uniform",
                lambda shape, dtype, seed: _rng(seed).random(shape).astype(dtype),
                _rule, nondiff_reason="random draws do not depend on differentiable inputs",
                effects=("random",))


def normal(shape, mean=0.0, stddev=1.0, dtype=_dt.float32, seed=None, name=None):
    """Samples from N(mean, stddev^2).

    >>> normal((3, 1)).shape
    TensorShape([3, 1])
    """
    dt = _dt.as_dtype(dtype)
    z = bind(NORMAL, [], {"shape": shape_tuple(shape), "dtype": dt.np.name, "seed": seed})
    return z * stddev + mean if (stddev != 1.0 or mean != 0.0) else z


def uniform(shape, minval=0, maxval=None, dtype=_dt.float32, seed=None, name=None):
    """Samples from U[minval, maxval) (maxval defaults to 1 for floats)."""
    dt = _dt.as_dtype(dtype)
    if dt.is_integer:
        if maxval is None:
            raise ValueError("random.uniform: integer dtypes need maxval")
        u = bind(UNIFORM, [], {"shape": shape_tuple(shape), "dtype": "float64", "seed": seed})
        return cast(floor(u * float(maxval - minval) + float(minval)), dt)
    maxval = 1.0 if maxval is None else maxval
    u = bind(UNIFORM, [], {"shape": shape_tuple(shape), "dtype": dt.np.name, "seed": seed})
    return u * (maxval - minval) + minval if (minval != 0 or maxval != 1.0) else u


def _truncated(shape, dtype, seed):
    rng, z = _rng(seed), None
    z = rng.standard_normal(shape)
    bad = np.abs(z) > 2
    while bad.any():  # redraw outside two standard deviations, as TF does
        z[bad] = rng.standard_normal(int(bad.sum()))
        bad = np.abs(z) > 2
    return z.astype(dtype)


TRUNCATED = defop("random_truncated_normal", _truncated, _rule,
                  nondiff_reason="random draws do not depend on differentiable inputs",
                  effects=("random",))


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=_dt.float32, seed=None, name=None):
    """Samples from N(mean, stddev^2), redrawn when beyond two standard deviations."""
    dt = _dt.as_dtype(dtype)
    z = bind(TRUNCATED, [], {"shape": shape_tuple(shape), "dtype": dt.np.name, "seed": seed})
    return z * stddev + mean if (stddev != 1.0 or mean != 0.0) else z
