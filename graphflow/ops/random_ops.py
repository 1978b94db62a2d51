"""Random ops with TF's seeding: `set_seed` makes a program reproducible; an op seed picks its own
stream. Random draws are stateful graph nodes (a traced function draws anew on every call).

Seeded normal / uniform / truncated_normal draws (float32/64; integer uniform eagerly) give
TF's own values: TF's seed pair (`tf_seeds`: global and op seed, or the next seed of
random.Random(global seed) eagerly, the graph's count while tracing) names a Philox kernel
that continues its stream call after call (one per key eagerly, as TF's kernel cache; one per
node traced); set_seed resets them. Unseeded draws, other distributions, replicas > 0 and
Keras' layers (`own_streams`) keep graphflow's numpy streams.

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
import contextlib
import contextvars
import enum
import itertools
import random as _pyrandom
import weakref

import numpy as np

from .. import dtypes as _dt
from .. import state as _state
from ..errors import InvalidArgumentError
from ..tensor import to_tensor
from .collective_ops import current_communicator
from .creation import shape_tuple
from . import philox as _px
from .math_ops import cast, expm1, floor, log, log1p
from .registry import Aval, broadcast_shapes, defop, op_error
from .runtime_shape import bind_sized

_GLOBAL = {"seed": None, "rng": np.random.default_rng(), "op_seeds": _pyrandom.Random()}
_OP_STREAMS = {}
# TF's eager kernel cache of seeded stateful ops: (op, dtype, seed, seed2) -> the Philox
# blocks its kernel has reserved so far (tf.random.uniform([3], seed=1) twice continues one
# stream; set_seed clears it as TF clears its kernel cache)
_TF_KERNELS = {}
_MAXINT32 = 2 ** 31 - 1
_DEFAULT_GRAPH_SEED = 87654321
_GLOBAL_GENERATOR = {}   # "g" -> the Generator get_global_generator returns


def set_seed(seed):
    """Set the global seed: later random ops give the same sequence each run."""
    _GLOBAL["seed"] = None if seed is None else int(seed)
    _GLOBAL["rng"] = np.random.default_rng(seed)
    _GLOBAL["op_seeds"] = _pyrandom.Random(_GLOBAL["seed"])   # TF's context._rng
    _OP_STREAMS.clear()
    _TF_KERNELS.clear()
    _GLOBAL_GENERATOR.clear()


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
            "streams": {k: g.bit_generator.state for k, g in _OP_STREAMS.items()},
            "op_seeds": _GLOBAL["op_seeds"].getstate(), "kernels": dict(_TF_KERNELS)}


def set_state(state):
    """Restore the random streams `get_state` captured: later draws repeat the earlier ones."""
    _GLOBAL["seed"] = state["seed"]
    _GLOBAL["rng"] = np.random.default_rng()
    _GLOBAL["rng"].bit_generator.state = state["global"]
    _OP_STREAMS.clear()
    for k, st in state["streams"].items():
        g = _OP_STREAMS[k] = np.random.default_rng()
        g.bit_generator.state = st
    if "op_seeds" in state:
        _GLOBAL["op_seeds"].setstate(state["op_seeds"])
    _TF_KERNELS.clear()
    _TF_KERNELS.update(state.get("kernels", {}))


def tf_seeds(op_seed, graph=None):
    """TF's random_seed.get_seed: the (seed, seed2) attrs of a stateful random op, or None
    when neither a global nor an op seed is set. Under a global seed an op without its own
    takes, eagerly, the next seed of a Python `random.Random(global seed)`; while tracing
    `graph`, the graph's count of such ops so far (0, 1, ...), as TF.

    >>> set_seed(5); tf_seeds(1)
    (5, 1)
    >>> set_seed(None); tf_seeds(1)
    (87654321, 1)
    """
    g = _GLOBAL["seed"]
    if g is not None:
        if op_seed is None:
            if graph is None:
                op_seed = _GLOBAL["op_seeds"].randint(0, _MAXINT32)
            else:
                op_seed = _GRAPH_OP_SEEDS.get(graph, 0)
                _GRAPH_OP_SEEDS[graph] = op_seed + 1
        seeds = (g % _MAXINT32, int(op_seed) % _MAXINT32)
    elif op_seed is not None:
        seeds = (_DEFAULT_GRAPH_SEED, int(op_seed) % _MAXINT32)
    else:
        return None
    return (0, _MAXINT32) if seeds == (0, 0) else seeds


_GRAPH_OP_SEEDS = weakref.WeakKeyDictionary()   # traced graph -> its unseeded ops so far
_GRAPH_KERNELS = weakref.WeakKeyDictionary()    # traced graph -> its seeded draw nodes so far


_OWN_STREAMS = contextvars.ContextVar("graphflow_random_own_streams", default=False)


@contextlib.contextmanager
def own_streams():
    """Draws inside keep graphflow's own streams, not TF's stateful kernels: Keras' layers
    and weight initializers run in it (Keras 3 seeds them with SeedGenerators, so a layer
    draws alike eagerly and traced, whatever tf.random.set_seed's kernels would give).

    >>> with own_streams(): _seed_attr("uniform", "float32", 3)
    3
    """
    token = _OWN_STREAMS.set(True)
    try:
        yield
    finally:
        _OWN_STREAMS.reset(token)


def _seed_attr(dist, dtype, seed):
    """The seed attr of a stateful draw: TF's kernel (dist, dtype, seed, seed2) when TF's
    values are reproduced (eagerly one kernel per key, as TF's kernel cache; traced, one per
    node, named by its graph's name and its place among the graph's draws - so a retrace or
    a new model's train function resumes the stream get_state / set_state carried, which
    BackupAndRestore relies on, where TF would start a fresh kernel), else the op seed itself
    (graphflow's numpy streams: unseeded, replicas > 0, dtypes whose TF distribution is not
    reproduced)."""
    if current_communicator().rank or _OWN_STREAMS.get() or (
            (dist, np.dtype(dtype).name) not in _px.SUPPORTED and
            dist not in ("shuffle", "categorical")):
        return seed
    graph = _state.current().graph
    seeds = tf_seeds(seed, graph)
    if seeds is None:
        return seed
    key = (dist, np.dtype(dtype).name) + seeds
    if graph is None:
        return key
    k = _GRAPH_KERNELS.get(graph, 0)
    _GRAPH_KERNELS[graph] = k + 1
    return key + (getattr(graph, "name", None), k)


def _kernel_stream(kernel, blocks):
    """(key, counter) of TF's stateful kernel `kernel` (_seed_attr: key = seed, counter =
    seed2 << 64 plus what it reserved so far), which then reserves `blocks` more."""
    s, s2 = kernel[2], kernel[3]
    done = _TF_KERNELS.get(kernel, 0)
    _TF_KERNELS[kernel] = done + int(blocks)
    return ((s & 0xFFFFFFFF, s >> 32),
            (done & 0xFFFFFFFF, (done >> 32) & 0xFFFFFFFF, s2 & 0xFFFFFFFF, s2 >> 32))


def _tf_draw(kernel, shape, dtype, lo=None, hi=None):
    """The next values of TF's stateful kernel `kernel`: 256 blocks reserved per value."""
    key, counter = _kernel_stream(kernel, 256 * int(np.prod(shape, dtype=np.int64)))
    return _px.sample(kernel[0], key, counter, tuple(shape), dtype, lo, hi)


def _tf_shuffle(key, counter, value):
    """TF's RandomShuffle of `value`'s rows from the Philox stream (key, counter)."""
    v = np.asarray(value)
    return v[_tf_permutation(_px.sample("full_int", key, counter, (v.shape[0],), np.uint32),
                             v.shape[0])]


def _tf_categorical(key, counter, logits, num_samples, dtype):
    """TF's Multinomial (one shard): rows in turn take Philox doubles from (key, counter)."""
    n = int(np.shape(logits)[0]) * int(num_samples)
    w = _px.sample("full_int", key, counter, (2 * n,), np.uint32)
    return _categorical_from(_px.unit_f64(w[0::2], w[1::2]).reshape(-1, int(num_samples)),
                             logits, dtype)


def _tf_draw_other(kernel, dtype, params, shape):
    """TF's stateful RandomShuffle (reserves ceil(n / 4) blocks) or Multinomial (256 blocks per
    double: 2 per sample, samples rounded up to 4, per row) at kernel `kernel`."""
    v = np.asarray(params[0])
    if kernel[0] == "shuffle":
        if v.ndim == 0:
            return v
        return _tf_shuffle(*_kernel_stream(kernel, (v.shape[0] + 3) // 4), v)
    s = int(shape[0])
    key, counter = _kernel_stream(kernel, 256 * 2 * v.shape[0] * (-(-s // 4) * 4))
    return _tf_categorical(key, counter, v, s, dtype)


def _stateful_impl(numpy_draw):
    """A stateful op's impl: TF's kernel stream for a tuple seed attr, else numpy's."""
    def impl(shape, dtype, seed):
        if isinstance(seed, tuple):
            return _tf_draw(seed, shape, np.dtype(dtype))
        return numpy_draw(shape, dtype, seed)
    return impl


def _rule(shape, dtype, seed, **_):
    return Aval(tuple(shape), np.dtype(dtype))


NORMAL = defop("random_normal", _stateful_impl(
               lambda shape, dtype, seed: _rng(seed).standard_normal(shape).astype(dtype)),
               _rule, nondiff_reason="random draws do not depend on differentiable inputs",
               effects=("random",))
UNIFORM = defop("random_uniform", _stateful_impl(
                lambda shape, dtype, seed: _rng(seed).random(shape).astype(dtype)),
                _rule, nondiff_reason="random draws do not depend on differentiable inputs",
                effects=("random",))


def normal(shape, mean=0.0, stddev=1.0, dtype=_dt.float32, seed=None, name=None):
    """Samples from N(mean, stddev^2).

    >>> normal((3, 1)).shape
    TensorShape([3, 1])
    """
    dt = _dt.as_dtype(dtype)
    z = bind_sized(NORMAL.name, [], {"dtype": dt.np.name,
                                     "seed": _seed_attr("normal", dt.np, seed)}, shape)
    return z * stddev + mean if (stddev != 1.0 or mean != 0.0) else z


def uniform(shape, minval=0, maxval=None, dtype=_dt.float32, seed=None, name=None):
    """Samples from U[minval, maxval) (maxval defaults to 1 for floats)."""
    dt = _dt.as_dtype(dtype)
    if dt.is_integer:
        if maxval is None:
            raise ValueError("random.uniform: integer dtypes need maxval")
        kernel = _seed_attr("uniform_int", dt.np, seed) \
            if _state.current().graph is None and np.ndim(minval) == 0 and \
            np.ndim(maxval) == 0 else None          # eagerly: TF's RandomUniformInt values
        if isinstance(kernel, tuple):
            return to_tensor(_tf_draw(kernel, shape_tuple(shape), dt.np, minval, maxval))
        u = bind_sized(UNIFORM.name, [], {"dtype": "float64", "seed": seed}, shape)
        return cast(floor(u * float(maxval - minval) + float(minval)), dt)
    maxval = 1.0 if maxval is None else maxval
    u = bind_sized(UNIFORM.name, [], {"dtype": dt.np.name,
                                      "seed": _seed_attr("uniform", dt.np, seed)}, shape)
    return u * (maxval - minval) + minval if (minval != 0 or maxval != 1.0) else u


def _truncated(shape, dtype, seed):
    rng, z = _rng(seed), None
    z = rng.standard_normal(shape)
    bad = np.abs(z) > 2
    while bad.any():  # redraw outside two standard deviations, as TF does
        z[bad] = rng.standard_normal(int(bad.sum()))
        bad = np.abs(z) > 2
    return z.astype(dtype)


TRUNCATED = defop("random_truncated_normal", _stateful_impl(_truncated), _rule,
                  nondiff_reason="random draws do not depend on differentiable inputs",
                  effects=("random",))


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=_dt.float32, seed=None, name=None):
    """Samples from N(mean, stddev^2), redrawn when beyond two standard deviations."""
    dt = _dt.as_dtype(dtype)
    z = bind_sized(TRUNCATED.name, [], {"dtype": dt.np.name,
                                        "seed": _seed_attr("truncated_normal", dt.np, seed)},
                   shape)
    return z * stddev + mean if (stddev != 1.0 or mean != 0.0) else z


# ---------------------------------------------------------------- more distributions (TF's
# tf.random.categorical / shuffle / gamma / poisson, stateless_* and tf.random.Generator).
# One table of samplers, (rng, sample_shape, dtype, *params) -> array, shared by two
# primitives: `random_draw` (stateful: the global/op-seed streams or a Generator's own stream)
# and `stateless_random` (pure: the stream is a function of its seed tensor only).
def _to_dtype(v, dtype):
    v = np.asarray(v).astype(dtype)
    return v[()] if v.ndim == 0 else v


def _s_truncated(rng, shape, dtype):
    z = rng.standard_normal(shape)
    bad = np.abs(z) > 2
    while bad.any():   # redraw outside two standard deviations, as TF does
        z[bad] = rng.standard_normal(int(bad.sum()))
        bad = np.abs(z) > 2
    return _to_dtype(z, dtype)


_U64 = (1 << 64) - 1


def _s_uniform_int(rng, shape, dtype, minval, maxval):
    return _to_dtype(rng.integers(int(minval), int(maxval), size=shape, dtype=np.int64), dtype)


def _s_full_int(rng, shape, dtype):
    info = np.iinfo(dtype)
    return _to_dtype(rng.integers(info.min, info.max, size=shape, dtype=dtype, endpoint=True),
                     dtype)


def _s_categorical(rng, shape, dtype, logits):
    lg = np.asarray(logits)
    return _categorical_from(rng.random((lg.shape[0],) + tuple(shape)) if lg.ndim == 2 else None,
                             lg, dtype)


def _categorical_from(u, logits, dtype):
    """TF's multinomial sampling of uniform doubles u (batch, samples): per row the running
    sum of exp(logit - max finite logit) over the finite logits, each sample the first class
    whose sum exceeds u * total."""
    lg = np.asarray(logits)
    if lg.ndim != 2:
        raise InvalidArgumentError(
            f"random.categorical: logits must be 2-D [batch_size, num_classes], got shape "
            f"{lg.shape}")
    finite = np.isfinite(lg)
    mx = np.where(finite, lg, -np.inf).max(axis=1, keepdims=True) if lg.shape[1] else lg[:, :1]
    p = np.where(finite, np.exp(lg.astype(np.float64) - mx.astype(np.float64)), 0.0)
    cdf = np.cumsum(p, axis=1)
    out = np.stack([np.searchsorted(c, ui * c[-1], side="right") for c, ui in zip(cdf, u)]) \
        if lg.shape[0] else np.zeros((0,) + u.shape[1:], np.int64)
    return _to_dtype(np.minimum(out, lg.shape[1] - 1), dtype)


def _s_gamma(rng, shape, dtype, alpha, beta):
    a, b = np.broadcast_arrays(np.asarray(alpha, np.float64), np.asarray(beta, np.float64))
    return _to_dtype(rng.standard_gamma(a, size=tuple(shape) + a.shape) / b, dtype)


def _s_poisson(rng, shape, dtype, lam):
    lam = np.asarray(lam, np.float64)
    return _to_dtype(rng.poisson(lam, size=tuple(shape) + lam.shape), dtype)


def _s_binomial(rng, shape, dtype, counts, probs):
    c = np.broadcast_to(np.asarray(counts, np.float64), shape)
    p = np.broadcast_to(np.asarray(probs, np.float64), shape)
    return _to_dtype(rng.binomial(c.astype(np.int64), p, size=shape), dtype)


def _s_shuffle(rng, shape, dtype, value):
    v = np.asarray(value)
    return v if v.ndim == 0 else v[rng.permutation(v.shape[0])]


def _s_fold_in(rng, shape, dtype, data):
    k = rng.integers(0, _U64, size=2, dtype=np.uint64, endpoint=True)
    sub = np.random.Philox(key=[int(k[0]) ^ (int(data) & _U64), int(k[1])])
    return _s_full_int(np.random.Generator(sub), shape, dtype)


def _s_candidates(rng, shape, dtype, range_max, unique, log_uniform):
    """`shape[0] - 1` candidate classes in [0, range_max) and, last, the number of tries
    (TF's candidate samplers: log-uniform (Zipfian) or uniform; unique = without repeats)."""
    n, r = shape[0] - 1, int(range_max)
    if unique and n > r:
        raise InvalidArgumentError(f"candidate sampler: cannot draw {n} unique candidates from "
                                   f"range_max {r}")

    def draw(k):
        if log_uniform:
            v = np.floor(np.exp(rng.random(k) * np.log(r + 1.0))).astype(np.int64) - 1
            return np.clip(v, 0, r - 1)
        return rng.integers(0, r, size=k)
    if not unique:
        return np.concatenate([draw(n), [n]]).astype(dtype)
    out, seen, tries = [], set(), 0
    while len(out) < n:
        for v in draw(max(2 * n, 16)):
            if len(out) == n:
                break
            tries += 1
            if v not in seen:
                seen.add(int(v))
                out.append(int(v))
    return np.asarray(out + [tries], dtype)


_SAMPLERS = {
    "normal": lambda rng, shape, dtype: _to_dtype(rng.standard_normal(shape), dtype),
    "uniform": lambda rng, shape, dtype: _to_dtype(rng.random(shape), dtype),
    "truncated_normal": _s_truncated, "uniform_int": _s_uniform_int, "full_int": _s_full_int,
    "categorical": _s_categorical, "gamma": _s_gamma, "poisson": _s_poisson,
    "binomial": _s_binomial, "shuffle": _s_shuffle, "fold_in": _s_fold_in,
    "candidates": _s_candidates,
}


def _sample_rule(opname, dist, shape, dtype, params):
    """Output Aval of a sampler: the sample shape, then the parameters' batch shape."""
    if dist not in _SAMPLERS:
        raise op_error(opname, params, f"unknown distribution {dist!r}")
    shape = tuple(shape)
    if dist == "categorical":
        if len(params[0].shape) != 2:
            raise op_error(opname, params, "logits must be 2-D [batch_size, num_classes]")
        return Aval((params[0].shape[0],) + shape, np.dtype(dtype))
    if dist == "gamma":
        return Aval(shape + tuple(broadcast_shapes(opname, params)), np.dtype(dtype))
    if dist == "poisson":
        return Aval(shape + tuple(params[0].shape), np.dtype(dtype))
    if dist == "shuffle":
        return Aval(tuple(params[0].shape), params[0].dtype)
    return Aval(shape, np.dtype(dtype))


# id -> Generator (a draw node's attr names the id). Strong references: a traced function may
# draw from a Generator that nothing else holds any more (one created while tracing).
_GENERATORS = {}


def _draw_impl(*params, dist, shape, dtype, seed, generator):
    if generator is not None:
        return _GENERATORS[generator]._sample(dist, tuple(shape), np.dtype(dtype), params)
    if isinstance(seed, tuple):   # TF's kernel (_seed_attr)
        return _tf_draw_other(seed, np.dtype(dtype), params, shape)
    rng = _rng(seed)
    return _SAMPLERS[dist](rng, tuple(shape), np.dtype(dtype), *params)


def _draw_rule(*params, dist, shape, dtype, seed, generator):
    return _sample_rule("random_draw", dist, shape, dtype, params)


DRAW = defop("random_draw", _draw_impl, _draw_rule, effects=("random",),
             nondiff_reason="random draws (categorical, shuffle, gamma, poisson, Generator "
                            "draws): graphflow has no reparameterization gradients")

def _philox(seed):
    """The numpy Philox stream that a stateless op's seed (two integers) names."""
    s = np.asarray(seed).reshape(-1)
    if s.shape[0] != 2:
        raise InvalidArgumentError(f"stateless random ops: seed must have shape [2], not "
                                   f"{np.shape(seed)}")
    return np.random.Generator(np.random.Philox(key=[int(s[0]) & _U64, int(s[1]) & _U64]))


def _tf_permutation(words, n):
    """TF's RandomShuffle of 0..n-1: for i = 0, 1, ...: swap i with i + word_i % (n - i)."""
    perm = np.arange(n)
    for i in range(n - 1):
        j = i + int(words[i]) % (n - i)
        perm[i], perm[j] = perm[j], perm[i]
    return perm


def _stateless_impl(seed, *params, dist, shape, dtype):
    if dist == "shuffle" and np.ndim(params[0]) and np.shape(params[0])[0] < 2 ** 32:
        # TF's StatelessShuffle: one 32-bit draw per position, in turn
        _philox(seed)
        return _tf_shuffle(*_px.key_counter_from_seed(seed), params[0])
    if dist == "categorical":   # TF's StatelessMultinomial (one shard: rows draw in turn)
        _philox(seed)
        return _tf_categorical(*_px.key_counter_from_seed(seed), params[0], shape[0], dtype)
    if (dist, np.dtype(dtype).name) in _px.SUPPORTED:   # TF's Philox values, bit for bit
        _philox(seed)   # (checks the seed's shape)
        key, counter = _px.key_counter_from_seed(seed)
        return _px.sample(dist, key, counter, tuple(shape), dtype,
                          *[np.asarray(p).reshape(-1)[0] for p in params])
    return _SAMPLERS[dist](_philox(seed), tuple(shape), np.dtype(dtype), *params)


def _stateless_rule(seed, *params, dist, shape, dtype):
    if np.dtype(seed.dtype).kind not in "iu" or len(seed.shape) != 1 or \
            (isinstance(seed.shape[0], int) and seed.shape[0] != 2):
        raise op_error("stateless_random", (seed,) + params,
                       "seed must be an integer tensor of shape [2]")
    return _sample_rule("stateless_random", dist, shape, dtype, params)


STATELESS = defop("stateless_random", _stateless_impl, _stateless_rule,
                  nondiff_reason="a pure function of an integer seed; samples have no "
                                 "gradient in graphflow")


def _draw(dist, shape, dtype, params=(), seed=None, generator=None):
    if generator is None and dist in ("shuffle", "categorical"):
        seed = _seed_attr(dist, dtype, seed)
    return bind_sized(DRAW.name, [to_tensor(p) for p in params],
                      {"dist": dist, "dtype": np.dtype(dtype).name, "seed": seed,
                       "generator": generator}, shape)


def _seed_tensor(seed):
    s = to_tensor(seed)
    if s.dtype.np.kind not in "iu":
        raise ValueError(f"stateless random ops: seed must be an integer tensor of shape [2], "
                         f"got {s.dtype.name}")
    return s


def _stateless(dist, shape, seed, dtype, params=()):
    return bind_sized(STATELESS.name, [_seed_tensor(seed)] + [to_tensor(p) for p in params],
                      {"dist": dist, "dtype": np.dtype(dtype).name}, shape)


def _scale_shift(z, mean, stddev):
    return z * stddev + mean if (_is_const(stddev, 1) is False or _is_const(mean, 0) is False) \
        else z


def _is_const(v, c):
    return isinstance(v, (int, float)) and v == c


def _uniform_from(unit, int_draw, dt, minval, maxval, opname):
    """U[minval, maxval): floats from the unit draw `unit()`, integers from `int_draw(lo, hi)`."""
    if dt.is_integer:
        if maxval is None:
            if minval not in (0, None):
                raise ValueError(f"{opname}: integer dtypes need both minval and maxval")
            return None
        return int_draw(minval, maxval)
    maxval = 1.0 if maxval is None else maxval
    minval = 0.0 if minval is None else minval
    u = unit()
    return u if (_is_const(minval, 0) and _is_const(maxval, 1)) else \
        u * (to_tensor(maxval, dt) - to_tensor(minval, dt)) + to_tensor(minval, dt)


def categorical(logits, num_samples, dtype=None, seed=None, name=None):
    """`tf.random.categorical`: `num_samples` class indices per row of the 2-D `logits`
    (unnormalized log-probabilities), int64 unless `dtype` says otherwise.

    >>> s = categorical([[0., -1e9]], 5)
    >>> s.shape, s.dtype, s.numpy().tolist()
    (TensorShape([1, 5]), tf.int64, [[0, 0, 0, 0, 0]])
    """
    return _draw("categorical", (int(num_samples),), _dt.as_dtype(dtype or _dt.int64).np,
                 [logits], seed)


def shuffle(value, seed=None, name=None):
    """`tf.random.shuffle`: `value` with its first dimension randomly permuted.

    >>> sorted(shuffle([3, 1, 2]).numpy().tolist())
    [1, 2, 3]
    """
    v = to_tensor(value)
    return _draw("shuffle", (), v.dtype.np, [v], seed)


def gamma(shape, alpha, beta=None, dtype=_dt.float32, seed=None, name=None):
    """`tf.random.gamma`: Gamma(alpha, beta) samples (beta is the rate), of shape
    `shape + broadcast(alpha, beta).shape`.

    >>> gamma([4], [1., 2.]).shape
    TensorShape([4, 2])
    """
    dt = _dt.as_dtype(dtype)
    return _draw("gamma", shape, dt.np, [to_tensor(alpha, dt), to_tensor(1.0 if beta is None
                                                                          else beta, dt)], seed)


def poisson(shape, lam, dtype=_dt.float32, seed=None, name=None):
    """`tf.random.poisson`: Poisson(lam) samples of shape `shape + lam.shape`.

    >>> poisson([3], [1.5, 4.0], dtype="int32").dtype
    tf.int32
    """
    return _draw("poisson", shape, _dt.as_dtype(dtype).np, [to_tensor(lam, _dt.float32)], seed)


# ---------------------------------------------------------------- stateless
def stateless_normal(shape, seed, mean=0.0, stddev=1.0, dtype=_dt.float32, name=None, alg=None):
    """`tf.random.stateless_normal`: the same `seed` (two integers) gives the same values.

    >>> a = stateless_normal([2, 3], seed=[1, 2])
    >>> bool((a.numpy() == stateless_normal([2, 3], seed=[1, 2]).numpy()).all()), a.dtype
    (True, tf.float32)
    """
    return _scale_shift(_stateless("normal", shape, seed, _dt.as_dtype(dtype).np), mean, stddev)


def stateless_truncated_normal(shape, seed, mean=0.0, stddev=1.0, dtype=_dt.float32, name=None,
                               alg=None):
    """`tf.random.stateless_truncated_normal`: normal samples redrawn beyond two standard
    deviations; a function of `seed`.

    >>> bool(abs(stateless_truncated_normal([100], [3, 4]).numpy()).max() <= 2.0)
    True
    """
    return _scale_shift(_stateless("truncated_normal", shape, seed, _dt.as_dtype(dtype).np),
                        mean, stddev)


def stateless_uniform(shape, seed, minval=0, maxval=None, dtype=_dt.float32, name=None,
                      alg=None):
    """`tf.random.stateless_uniform`: U[minval, maxval) as a function of `seed`; integer dtypes
    need both bounds, or neither (then the dtype's full range).

    >>> stateless_uniform([4], seed=[7, 0], minval=0, maxval=10, dtype="int32").dtype
    tf.int32
    """
    dt = _dt.as_dtype(dtype)
    out = _uniform_from(lambda: _stateless("uniform", shape, seed, dt.np),
                        lambda lo, hi: _stateless("uniform_int", shape, seed, dt.np,
                                                  [to_tensor(lo, dt), to_tensor(hi, dt)]),
                        dt, minval, maxval, "stateless_uniform")
    return _stateless("full_int", shape, seed, dt.np) if out is None else out


def stateless_categorical(logits, num_samples, seed, dtype=_dt.int64, name=None):
    """`tf.random.stateless_categorical`: as `categorical`, a function of `seed`.

    >>> stateless_categorical([[-1e9, 0.]], 3, seed=[1, 1]).numpy().tolist()
    [[1, 1, 1]]
    """
    return _stateless("categorical", (int(num_samples),), seed, _dt.as_dtype(dtype).np, [logits])


def stateless_binomial(shape, seed, counts, probs, output_dtype=_dt.int32, name=None):
    """`tf.random.stateless_binomial`: Binomial(counts, probs) (broadcast to `shape`).

    >>> v = stateless_binomial([3], seed=[1, 2], counts=[10., 20., 30.], probs=0.5).numpy()
    >>> bool(((v >= 0) & (v <= [10, 20, 30])).all())
    True
    """
    dt = _dt.as_dtype(output_dtype).np
    return _stateless("binomial", shape, seed, dt, [to_tensor(counts, _dt.float32),
                                                    to_tensor(probs, _dt.float32)])


def stateless_gamma(shape, seed, alpha, beta=None, dtype=_dt.float32, name=None):
    """`tf.random.stateless_gamma`: as `gamma`, a function of `seed`.

    >>> stateless_gamma([2], seed=[1, 2], alpha=[1., 3., 5.]).shape
    TensorShape([2, 3])
    """
    dt = _dt.as_dtype(dtype)
    return _stateless("gamma", shape, seed, dt.np, [to_tensor(alpha, dt),
                                                    to_tensor(1.0 if beta is None else beta, dt)])


def stateless_poisson(shape, seed, lam, dtype=_dt.int32, name=None):
    """`tf.random.stateless_poisson`: as `poisson`, a function of `seed`.

    >>> stateless_poisson([5], seed=[1, 2], lam=3.).dtype
    tf.int32
    """
    return _stateless("poisson", shape, seed, _dt.as_dtype(dtype).np,
                      [to_tensor(lam, _dt.float32)])


def stateless_split(seed, num=2, alg=None):
    """`tf.random.experimental.stateless_split`: `num` new seeds (shape [num, 2], the seed's
    dtype) derived from `seed`: TF's full-range stateless uniform integers, the same values.

    >>> stateless_split([1, 2], 3).numpy().tolist()[0]
    [1105988140, 1738052849]
    """
    s = _seed_tensor(seed)
    return _stateless("full_int", (int(num), 2), s, s.dtype.np)


def stateless_fold_in(seed, data, alg=None):
    """`tf.random.experimental.stateless_fold_in`: a new seed (int64, shape [2]) from `seed` and
    an integer `data`.

    >>> stateless_fold_in([1, 2], 7).numpy().tolist()
    [1105988140, 7]
    """
    d = to_tensor(data)   # TF: [a full-range integer of data's dtype drawn from seed, data]
    from .shape_ops import stack
    return stack([_stateless("full_int", (), seed, d.dtype.np), d])


# ---------------------------------------------------------------- tf.random.Generator
class Algorithm(enum.Enum):
    """`tf.random.Algorithm`: the bit generator a Generator uses (graphflow: numpy's Philox for
    all of them; the names are accepted for TF code)."""
    PHILOX = 1
    THREEFRY = 2
    AUTO_SELECT = 3


class Generator:
    """`tf.random.Generator`: a random stream of its own, independent of the global seed -
    TF's Philox stream, the same numbers as TF: the state is TF's [counter low 64 bits,
    counter high 64 bits, key] (int64 [3]) and every draw of n values advances the counter by
    256 * n. normal / uniform / uniform_full_int draws are TF's bit for bit; other
    distributions draw from numpy's Philox at the same state. Draws inside `@function` are
    stateful graph nodes (each call of the traced function draws anew).

    >>> g = Generator.from_seed(1)
    >>> [round(float(v), 4) for v in g.normal([3]).numpy()]   # TF 2.21: 0.4384 -0.5344 -0.0771
    [0.4384, -0.5344, -0.0771]
    >>> g.state.numpy().tolist()
    [769, 0, 0]
    >>> len(g.split(3)), g.uniform([2], 0, 10, dtype="int64").dtype
    (3, tf.int64)
    """
    _count = itertools.count()

    def __init__(self, copy_from=None, state=None, alg=None):
        self._id = next(Generator._count)
        _GENERATORS[self._id] = self
        self.algorithm = (alg if isinstance(alg, Algorithm) else
                          Algorithm[alg.upper()] if isinstance(alg, str) and
                          alg.upper() in Algorithm.__members__ else Algorithm.PHILOX).value
        if copy_from is not None:
            self._state = list(copy_from._state)
        elif state is not None:
            self.reset(state)
        else:   # TF: a non-deterministic state
            self._state = [int(v) for v in np.random.default_rng().integers(
                0, _U64, size=3, dtype=np.uint64, endpoint=True)]

    @classmethod
    def from_seed(cls, seed, alg=None):
        """A generator whose stream is a function of `seed` (an integer): TF's state
        [seed, 0, 0] (the seed's 64-bit chunks, low first)."""
        g = cls(alg=alg)
        g.reset_from_seed(seed)
        return g

    @classmethod
    def from_non_deterministic_state(cls, alg=None):
        """A generator seeded from the operating system's entropy."""
        return cls(alg=alg)

    @classmethod
    def from_state(cls, state, alg=None):
        """A generator at the given `state` (as `.state` returns it)."""
        return cls(state=state, alg=alg)

    def reset_from_seed(self, seed):
        """Restart the stream from `seed`."""
        seed = int(seed)
        self._state = [(seed >> (64 * i)) & _U64 for i in range(3)]

    def reset(self, state):
        """Restart the stream from a `.state` value (int64 [3])."""
        st = np.asarray(getattr(state, "numpy", lambda: state)(), np.int64).reshape(-1)
        if st.shape[0] != 3:
            raise ValueError(f"Generator: a Philox state has 3 int64 entries (counter low, "
                             f"counter high, key), got shape {st.shape}")
        self._state = [int(v) for v in st.view(np.uint64)]

    @property
    def state(self):
        """The stream's position: int64 [3], TF's Philox state. `Generator.from_state(g.state)`
        continues exactly where `g` is."""
        return to_tensor(self._checkpoint_state())

    # a tf.train.Checkpoint saves and restores the stream position (graphflow.checkpoint)
    CHECKPOINT_KEY = ".ATTRIBUTES/GENERATOR_STATE"

    def _checkpoint_state(self):
        return np.array(self._state, np.uint64).view(np.int64)

    def _restore_checkpoint_state(self, value):
        self.reset(value)

    def _sample(self, dist, shape, dtype, params):
        """Values of `dist` at the current state; the counter then moves past them."""
        n = int(np.prod(shape, dtype=np.int64))
        key, counter = _px.state_key_counter(self._state)
        if (dist, np.dtype(dtype).name) in _px.SUPPORTED:
            out = _px.sample(dist, key, counter, shape, dtype,
                             *[np.asarray(p).reshape(-1)[0] for p in params])
        else:
            c = sum(int(w) << (32 * i) for i, w in enumerate(counter))
            bg = np.random.Philox(counter=[(c >> (64 * i)) & _U64 for i in range(4)],
                                  key=[self._state[2], 0])
            out = _SAMPLERS[dist](np.random.Generator(bg), shape, np.dtype(dtype), *params)
        self._state = _px.skip(self._state, 256 * max(n, 1))
        return out

    def _draw(self, dist, shape, dtype, params=()):
        return _draw(dist, shape, dtype, params, generator=self._id)

    def normal(self, shape, mean=0.0, stddev=1.0, dtype=_dt.float32, name=None):
        """Normal samples from this generator."""
        return _scale_shift(self._draw("normal", shape, _dt.as_dtype(dtype).np), mean, stddev)

    def truncated_normal(self, shape, mean=0.0, stddev=1.0, dtype=_dt.float32, name=None):
        """Normal samples redrawn beyond two standard deviations."""
        return _scale_shift(self._draw("truncated_normal", shape, _dt.as_dtype(dtype).np), mean,
                            stddev)

    def uniform(self, shape, minval=0, maxval=None, dtype=_dt.float32, name=None):
        """U[minval, maxval); integer dtypes need both bounds."""
        dt = _dt.as_dtype(dtype)
        out = _uniform_from(lambda: self._draw("uniform", shape, dt.np),
                            lambda lo, hi: self._draw("uniform_int", shape, dt.np,
                                                      [to_tensor(lo, dt), to_tensor(hi, dt)]),
                            dt, minval, maxval, "Generator.uniform")
        if out is None:
            raise ValueError("Generator.uniform: integer dtypes need maxval (or use "
                             "uniform_full_int)")
        return out

    def uniform_full_int(self, shape, dtype=_dt.uint64, name=None):
        """Integers over the dtype's whole range."""
        return self._draw("full_int", shape, _dt.as_dtype(dtype).np)

    def binomial(self, shape, counts, probs, dtype=_dt.int32, name=None):
        """Binomial(counts, probs) samples (broadcast to `shape`)."""
        return self._draw("binomial", shape, _dt.as_dtype(dtype).np,
                          [to_tensor(counts, _dt.float32), to_tensor(probs, _dt.float32)])

    def make_seeds(self, count=1):
        """`count` seeds for stateless ops: int64 [2, count], TF's [keys; zeros]."""
        keys = self._sample("full_int", (int(count),), np.dtype(np.int64), ())
        return to_tensor(np.stack([keys, np.zeros_like(keys)]))

    def split(self, count=1):
        """`count` new generators with TF's states [0, 0, key], the keys drawn from (and
        advancing) this one."""
        keys = self._sample("full_int", (int(count),), np.dtype(np.int64), ())
        return [Generator(state=[0, 0, int(k)], alg=Algorithm(self.algorithm)) for k in keys]

    def skip(self, delta):
        """Advance the stream as if `delta` numbers had been drawn (TF: the counter moves by
        256 * delta)."""
        self._state = _px.skip(self._state, 256 * int(delta))


def get_global_generator():
    """`tf.random.get_global_generator`: the process-wide Generator (seeded from the global
    seed when `set_seed` was called, otherwise from entropy).

    >>> get_global_generator() is get_global_generator()
    True
    """
    g = _GLOBAL_GENERATOR.get("g")
    if g is None:
        g = _GLOBAL_GENERATOR["g"] = (Generator.from_non_deterministic_state()
                                      if _GLOBAL["seed"] is None
                                      else Generator.from_seed(_GLOBAL["seed"]))
    return g


def set_global_generator(generator):
    """`tf.random.set_global_generator`: make `generator` the process-wide one."""
    _GLOBAL_GENERATOR["g"] = generator


# ---------------------------------------------------------------- candidate samplers
def _candidate_sampler(true_classes, num_true, num_sampled, unique, range_max, seed, log_uniform):
    n, r = int(num_sampled), int(range_max)
    drawn = _draw("candidates", (n + 1,), np.int64,
                  [to_tensor(np.int64(r)), to_tensor(bool(unique)), to_tensor(bool(log_uniform))],
                  seed)
    sampled, tries = drawn[:n], cast(drawn[n], _dt.float32)
    true = to_tensor(true_classes, _dt.int64)
    if true.ndim != 2 or (isinstance(true.shape[1], int) and true.shape[1] != int(num_true)):
        raise ValueError(f"candidate sampler: true_classes must be [batch_size, num_true="
                         f"{num_true}], got shape {tuple(true.shape)}")

    def prob(k):
        kf = cast(k, _dt.float32)
        if log_uniform:
            return (log(kf + 2.0) - log(kf + 1.0)) / float(np.log(r + 1.0))
        return kf * 0.0 + 1.0 / r

    def expected(p):
        if unique:
            return -expm1(tries * log1p(-p))
        return p * float(n)
    return sampled, expected(prob(true)), expected(prob(sampled))


def log_uniform_candidate_sampler(true_classes, num_true, num_sampled, unique, range_max,
                                  seed=None, name=None):
    """`tf.random.log_uniform_candidate_sampler`: `num_sampled` classes from the log-uniform
    (Zipfian) distribution P(k) = log((k + 2) / (k + 1)) / log(range_max + 1) - without repeats
    if `unique` - and the expected counts of the true and sampled classes (TF's formulas).

    >>> s, t, e = log_uniform_candidate_sampler([[3]], 1, 4, True, 10)
    >>> s.shape, s.dtype, t.shape, e.shape, len(set(s.numpy().tolist()))
    (TensorShape([4]), tf.int64, TensorShape([1, 1]), TensorShape([4]), 4)
    """
    return _candidate_sampler(true_classes, num_true, num_sampled, unique, range_max, seed, True)


def uniform_candidate_sampler(true_classes, num_true, num_sampled, unique, range_max, seed=None,
                              name=None):
    """`tf.random.uniform_candidate_sampler`: as the log-uniform one, with P(k) = 1/range_max.

    >>> uniform_candidate_sampler([[0, 1]], 2, 3, False, 5)[0].shape
    TensorShape([3])
    """
    return _candidate_sampler(true_classes, num_true, num_sampled, unique, range_max, seed, False)


def stateless_shuffle(value, seed, alg=None, name=None):
    """`tf.random.experimental.stateless_shuffle`: `value` with its first dimension permuted,
    as a function of `seed`.

    >>> stateless_shuffle([1, 2, 3, 4], seed=[5, 6]).numpy().tolist() == stateless_shuffle(
    ...     [1, 2, 3, 4], seed=[5, 6]).numpy().tolist()
    True
    """
    v = to_tensor(value)
    return _stateless("shuffle", (), seed, v.dtype.np, [v])


def create_rng_state(seed, alg):
    """`tf.random.create_rng_state`: the state (int64 [3], TF's Philox layout) of a
    Generator started from `seed`.

    >>> create_rng_state(1, "philox").tolist()
    [1, 0, 0]
    """
    return Generator.from_seed(int(seed), alg=alg)._checkpoint_state().copy()
