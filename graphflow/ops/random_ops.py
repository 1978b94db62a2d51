"""Random ops with TF's seeding: `set_seed` makes a program reproducible; an op seed picks its own
stream. Random draws are stateful graph nodes (a traced function draws anew on every call).

Per-replica streams: inside a distribution strategy's scope (`graphflow.distribute`), worker r > 0
draws from its own streams, derived from (global seed, op seed, r); worker 0 draws exactly what a
single process would. So dropout and augmentation differ across replicas, reproducibly, while a
one-worker run is unchanged. `get_state` / `set_state` capture and restore every stream
(`keras.callbacks.BackupAndRestore` uses them to resume a run with identical draws).

>>> import graphflow as tf
>>> tf.random.set_seed(0); a = tf.random.normal((2,))
>>> tf.random.set_seed(0); bool(tf.reduce_all(a == tf.random.normal((2,))))
True
"""
import numpy as np

from .. import dtypes as _dt
from ..dispatch import bind
from .collective_ops import current_communicator
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
    replica = current_communicator().rank
    if seed is None and replica == 0:
        return _GLOBAL["rng"]
    # op seed: its own reproducible stream; worker r > 0: its own stream per (global, op) seed
    key = (_GLOBAL["seed"], seed) if replica == 0 else (_GLOBAL["seed"], seed, replica)
    if key not in _OP_STREAMS:
        if replica and key[0] is None and seed is None:   # unseeded: fresh entropy, as worker 0
            _OP_STREAMS[key] = np.random.default_rng()
        else:
            g = 0 if key[0] is None else key[0] + 1
            _OP_STREAMS[key] = np.random.default_rng(
                [g, seed] if replica == 0 else
                [g, 0 if seed is None else seed + 1, _REPLICA_TAG, replica])
    return _OP_STREAMS[key]


_REPLICA_TAG = 0x5EED   # keeps replica streams apart from any (global seed, op seed) pair


def get_state():
    """A copy of every random stream's state (the global one, and one per op seed and
    replica), for `set_state`.

    >>> set_seed(5); s = get_state(); a = uniform((2,)).numpy()
    >>> set_state(s); bool((uniform((2,)).numpy() == a).all())
    True
    """
    return {"seed": _GLOBAL["seed"], "global": _GLOBAL["rng"].bit_generator.state,
            "streams": {k: g.bit_generator.state for k, g in _OP_STREAMS.items()}}


def set_state(state):
    """Restore the random streams `get_state` captured: later draws repeat the earlier ones."""
    _GLOBAL["seed"] = state["seed"]
    _GLOBAL["rng"] = np.random.default_rng()
    _GLOBAL["rng"].bit_generator.state = state["global"]
    _OP_STREAMS.clear()
    for k, st in state["streams"].items():
        g = _OP_STREAMS[k] = np.random.default_rng()
        g.bit_generator.state = st


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
