"""Fused reductions on the numba backend against numpy (the reference evaluator).

* max/min reduce order-preserving integer keys (vectorizable); NaN must still win, +-inf and
  empty slices must behave as numpy's;
* every reduction pattern (axes, keepdims, fused producers, mixed reduction axes in one program)
  equals the numpy executor;
* regression: two producers with different reduction axes read by one elementwise node must not
  merge into one kernel (was a silent wrong gradient);
* argmax/argmin (index reductions, over any axis) and scans (cumsum along any axis, forward or reversed: a
  running value, or a row of them for an outer axis, in a kernel of its own) equal numpy's
  indices and sequential sums.
"""
import warnings

import numpy as np
import pytest

import graphflow as tf
from graphflow.backends.numba.plan import NumbaPlan

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402


pytestmark = pytest.mark.usefixtures("sync_compile_module")   # conftest: kernels compiled in the caller


def both(fn, *args):
    """(numba outputs, numpy-executor outputs, numba plan) of traced `fn`."""
    fj, fn_ = tf.function(fn), tf.function(fn, jit_compile=False)
    targs = [tf.constant(a) for a in args]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        got, want = fj(*targs), fn_(*targs)
    plan = fj.get_concrete_function(*targs)._executor
    assert isinstance(plan, NumbaPlan)
    got = got if isinstance(got, (list, tuple)) else [got]
    want = want if isinstance(want, (list, tuple)) else [want]
    for st_ in plan.cluster_steps:
        assert st_.last_error is None, st_.last_error
    return [np.asarray(a) for a in got], [np.asarray(b) for b in want], plan


def special(dtype, shape, seed):
    """Random values with NaN (both signs), +-inf rows and columns, signed zeros."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(dtype)
    flat = x.reshape(-1)
    flat[rng.integers(0, flat.size, 3)] = np.nan
    flat[rng.integers(0, flat.size, 1)] = -np.nan
    flat[rng.integers(0, flat.size, 2)] = np.inf
    flat[rng.integers(0, flat.size, 2)] = -np.inf
    flat[rng.integers(0, flat.size, 2)] = 0.0
    x[0] = -np.inf
    if x.ndim > 1:
        x[1, ...] = np.inf
    return x


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_max_min_keys_propagate_nan_and_inf(dtype):
    x = special(dtype, (5, 6, 7), 3)

    def fn(x):
        y = tf.abs(x) - 1.0
        outs = []
        for ax in (None, 0, 1, 2, (0, 2), (1, 2)):
            outs += [tf.reduce_max(y, ax), tf.reduce_min(x, ax, keepdims=True)]
        return outs
    got, want, plan = both(fn, x)
    assert plan.kernels
    for a, b in zip(got, want):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)          # NaN positions agree, values exact


def test_max_min_all_nan_all_inf_and_extremes():
    for vals in ([np.nan] * 9, [np.inf] * 9, [-np.inf] * 9,
                 [np.float32(3.4e38), -3.4e38, 1e-45, -1e-45, 0.0, -0.0, 1.0, 2.0, -5.0]):
        x = np.array(vals, np.float32).reshape(3, 3)
        got, want, _ = both(lambda x: [tf.reduce_max(x * 1.0, 1), tf.reduce_min(x * 1.0, 0),
                                       tf.reduce_max(x * 1.0)], x)
        for a, b in zip(got, want):
            np.testing.assert_array_equal(a, b)


def test_different_reduction_axes_never_share_a_kernel():
    """tanh(x) summed over axis 0 and sin(x) over axis 1, both read by one product (the
    differential test's minimal repro of a wrong gradient)."""
    x = (np.arange(9, dtype=np.float32).reshape(3, 3) / 7 - 0.5)

    def fn(x):
        t, s = tf.tanh(x), tf.sin(x)
        return tf.reduce_sum(t, 0), tf.reduce_sum(s, 1), t * s

    got, want, plan = both(fn, x)
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got[1], np.sin(x).sum(1), rtol=1e-5)
    for c in plan.graph.nx.graph["clusters"].values():
        axes = {plan.graph.nx.nodes[r]["attrs"]["axis"] for r in c["reductions"]}
        assert len(axes) <= 1, c


def test_gradient_with_mixed_axes_matches_numpy():
    x = np.linspace(-1.2, 1.3, 12, dtype=np.float32).reshape(3, 4)

    def fn(x):
        with tf.GradientTape() as t:
            t.watch(x)
            a = tf.reduce_sum(tf.tanh(x), 0)
            b = tf.reduce_sum(tf.sin(x), 1)
            y = tf.reduce_sum(a) * tf.reduce_sum(b) + tf.reduce_sum(tf.tanh(x) * tf.sin(x))
        return t.gradient(y, x)
    got, want, _ = both(fn, x)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-5, atol=1e-5)


def test_reduction_accuracy_large_mean():
    """float64 accumulation: 4M float32 values of mean 1000 sum to within numpy's error."""
    rng = np.random.default_rng(5)
    x = (1000.0 + rng.standard_normal(1 << 22)).astype(np.float32)
    exact = x.astype(np.float64).sum()
    got, want, _ = both(lambda x: tf.reduce_sum(x * 1.0), x)
    err = abs(float(got[0]) - exact) / exact
    assert err <= max(abs(float(want[0]) - exact) / exact, 2 ** -24)


# ------------------------------------------------------------------ hypothesis: patterns
AXES = [None, 0, 1, 2, -1, (0, 1), (0, 2), (1, 2)]
UNARY = [tf.tanh, tf.sin, tf.abs, lambda v: tf.exp(tf.clip_by_value(v, -20.0, 20.0)),
         tf.negative,
         # (appended: the ops whose signed zeros and overflow differed on numba once)
         tf.math.log1p, lambda v: tf.math.floormod(v, -1.5), lambda v: v * 1.5 * 0.7]
DATA = ["plain", "specials", "zeros", "overflow"]


def _mixed_data(kind, shape, seed):
    """float32 test data: normal values, NaN/inf (`special`), half of them -0., or with two
    values near float32's largest, of opposite signs (x * 1.5 overflows to +-inf, inf - inf
    is NaN; no partial sum of finite values can overflow, whose result - inf or NaN - would
    depend on the summation order: numpy's is pairwise, a kernel's is blocked)."""
    if kind == "specials":
        return special(np.float32, shape, seed)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(np.float32)
    if kind == "zeros":
        x[rng.random(shape) < 0.5] = -0.0
    elif kind == "overflow":
        flat = x.reshape(-1)
        i, j = rng.choice(flat.size, 2, replace=False)
        flat[i], flat[j] = 2.5e38, -2.5e38
    return x


def _assert_same_values(got, want):
    """Equal to numpy's within float32 rounding, NaN where numpy has NaN, the same infinities
    and the same sign of every zero."""
    for a, b in zip(got, want):
        assert a.shape == b.shape
        finite = np.abs(b[np.isfinite(b)])
        scale = max(1.0, float(finite.max()) if finite.size else 1.0)
        np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-5 * scale, equal_nan=True)
        np.testing.assert_array_equal(np.isposinf(a), np.isposinf(b))
        np.testing.assert_array_equal(np.isneginf(a), np.isneginf(b))
        z = (b == 0) & (a == 0)
        np.testing.assert_array_equal(np.signbit(a[z]), np.signbit(b[z]))


@st.composite
def reduce_programs(draw):
    steps = []
    for _ in range(draw(st.integers(2, 5))):
        steps.append((draw(st.sampled_from(range(len(UNARY)))),
                      draw(st.sampled_from(["reduce_sum", "reduce_max", "reduce_min",
                                            "reduce_mean"])),
                      draw(st.sampled_from(AXES)), draw(st.booleans())))
    return steps, draw(st.sampled_from(DATA))


@settings(max_examples=10, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(reduce_programs())
def test_random_mixed_axis_reductions_match_numpy(prog):
    """Producers reduced over different axes, all read by one product (the pattern that once
    merged two reduction axes into one kernel), on data with NaN/inf, signed zeros or values
    that overflow: numpy's values, infinities, NaNs and zero signs."""
    steps, data = prog
    x = _mixed_data(data, (3, 4, 5), 7)

    def fn(x):
        outs, prods = [], []
        for u, red, ax, keep in steps:
            v = UNARY[u](x)
            prods.append(v)
            outs.append(getattr(tf, red)(v, ax, keepdims=keep))
        prod = prods[0]
        for v in prods[1:]:
            prod = prod * v               # one elementwise node reading every producer
        return outs + [prod]
    got, want, _ = both(fn, x)
    _assert_same_values(got, want)


@pytest.mark.parametrize("data", DATA)
def test_mixed_axis_gradients_and_hvps_match_numpy(data):
    """Values, the gradient and a Hessian-vector product of a seeded program with three
    different reduction axes whose producers one product reads (once a silent wrong gradient on
    numba; at overflow, HVPs gave +-inf where numpy gives NaN), on each kind of data (hypothesis
    draws the forward programs above; this makes sure every data kind meets a gradient): the
    numpy executor's values, NaNs, infinities and zero signs."""
    rng = np.random.default_rng(40 + DATA.index(data))
    units = rng.permutation(len(UNARY))[:3]
    reds = rng.choice(["reduce_sum", "reduce_max", "reduce_min", "reduce_mean"], 3)
    axes = [AXES[k] for k in rng.permutation([1, 2, 7])]     # 0, 1, (1, 2) in some order
    x = _mixed_data(data, (3, 4, 5), 9)
    w = np.random.default_rng(10).standard_normal((3, 4, 5)).astype(np.float32)

    def fn(x, w):
        with tf.GradientTape() as t2:
            t2.watch(x)
            with tf.GradientTape() as t1:
                t1.watch(x)
                outs, prod = [], 1.0
                for u, red, ax in zip(units, reds, axes):
                    v = UNARY[u](x)
                    prod = prod * v
                    outs.append(getattr(tf, red)(v, ax))
                y = tf.add_n([tf.reduce_sum(o) for o in outs]) + tf.reduce_sum(prod)
            g = t1.gradient(y, x)
            gw = tf.reduce_sum(g * w)
        return outs + [prod, g, t2.gradient(gw, x)]
    got, want, _ = both(fn, x, w)
    _assert_same_values(got, want)


# ------------------------------------------------------------------ row-local passes
def _lse(x):
    m = tf.reduce_max(x, -1, keepdims=True)
    return tf.math.log(tf.reduce_sum(tf.exp(x - m), -1, keepdims=True)) + m


def _layernorm(x):
    mu = tf.reduce_mean(x, -1, keepdims=True)
    var = tf.reduce_mean(tf.square(x - mu), -1, keepdims=True)
    return (x - mu) * tf.math.rsqrt(var + 1e-5)


def _softmax_grad(x, w):
    with tf.GradientTape() as t:
        t.watch(x)
        y = tf.reduce_sum(tf.nn.softmax(x) * w)
    return t.gradient(y, x)


def _xent(x, w, sparse):
    """mean softmax cross-entropy (labels from w's row argmax) and its gradient w.r.t. x."""
    labels = tf.argmax(w, -1, output_type=tf.int32)
    with tf.GradientTape() as t:
        t.watch(x)
        if sparse:
            loss = tf.nn.sparse_softmax_cross_entropy_with_logits(labels, x)
        else:
            loss = tf.nn.softmax_cross_entropy_with_logits(tf.nn.softmax(w), x)
        loss = tf.reduce_mean(loss)
    return loss, t.gradient(loss, x)


def _layernorm_grad(x, w):
    with tf.GradientTape() as t:
        t.watch(x)
        y = tf.reduce_sum(_layernorm(x) * w)
    return t.gradient(y, x)


# name -> (fn, kernels at most over the (rows, cols) domain: each one pass group per row)
ROW_PATTERNS = {
    "softmax": (lambda x, w: tf.nn.softmax(x), 1),
    "log_softmax": (lambda x, w: tf.nn.log_softmax(x), 1),   # log(sum) is a row member
    "logsumexp": (lambda x, w: _lse(x), 1),                  # log(sum) + max: a row output
    "layernorm": (lambda x, w: _layernorm(x), 1),
    "layernorm_grad": (_layernorm_grad, 1),
    "softmax_grad": (_softmax_grad, 1),
    "sparse_xent_fwd_bwd": (lambda x, w: _xent(x, w, True), 1),
    "dense_xent_fwd_bwd": (lambda x, w: _xent(x, w, False), 1),   # with the labels' softmax
    "max_then_sum": (lambda x, w: [tf.reduce_sum(tf.abs(x - tf.reduce_max(x, (1, 2), True)),
                                                 (1, 2), True), x * 2.0], 2),
}


@pytest.mark.parametrize("name", sorted(ROW_PATTERNS))
@pytest.mark.parametrize("specials", [False, True])
def test_row_local_reduce_broadcast_reduce_matches_numpy(name, specials):
    """softmax-shaped graphs run as one kernel with passes over each row; values equal numpy's
    (NaN/inf rows included)."""
    fn, max_kernels = ROW_PATTERNS[name]
    rng = np.random.default_rng(4)
    shape = (6, 5, 7) if name == "max_then_sum" else (9, 33)
    x = special(np.float32, shape, 9) if specials else \
        rng.standard_normal(shape).astype(np.float32) * 4
    w = rng.standard_normal(shape).astype(np.float32)
    got, want, plan = both(fn, x, w)
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-5, equal_nan=True)
    if max_kernels is None:
        return
    g = plan.graph.nx
    # (the xent labels' argmax over w is a kernel of its own: not counted)
    big = [st for st in plan.cluster_steps if st.why_numpy is None and
           int(np.prod(st.info["domain"])) == x.size and
           not all(g.nodes[m]["op"] == "argmax" for m in st.members)]
    assert len(big) <= max_kernels, plan.report()
    passes = [c for c in g.graph["clusters"].values()
              if any(v in c["nodes"] for r in c["reductions"] for v in g.successors(r))]
    assert passes, "the reduction's reader did not join its cluster"


# ------------------------------------------------------------------ split full reductions
@pytest.mark.parametrize("dtype", [np.float32, np.int32])
def test_split_full_reductions_match_numpy(dtype):
    """Full reductions big enough to run on all cores reduce each chunk into a partial result and
    combine the partials after (split-reduce): same values as numpy, NaN/inf still win, and an
    elementwise output computed in the same kernel is complete."""
    rng = np.random.default_rng(11)
    if dtype == np.float32:
        x = special(np.float32, (2048, 1024), 3)
        clean = rng.standard_normal((2048, 1024)).astype(np.float32) + 100.0
    else:
        x = rng.integers(-1000, 1000, (2048, 1024)).astype(np.int32)
        clean = x

    def fn(x):
        y = tf.abs(x) * 2
        return y, tf.reduce_max(y), tf.reduce_min(x), tf.reduce_sum(x)
    got, want, plan = both(fn, clean)
    assert any(st.parallel and st.split for st in plan.cluster_steps), plan.report()
    assert "split-reduce" in plan.report()
    np.testing.assert_array_equal(got[0], want[0])
    for a, b in zip(got[1:3], want[1:3]):
        assert a.shape == b.shape == () and a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)
    exact = clean.astype(np.float64).sum()
    assert abs(float(got[3]) - exact) <= max(abs(float(want[3]) - exact), 1e-6 * abs(exact))
    if dtype == np.float32:      # NaN anywhere wins max/min; sum of NaN data is NaN
        got, want, _ = both(fn, x)
        for a, b in zip(got, want):
            np.testing.assert_array_equal(a, b)


def test_split_reductions_one_chunk_and_chunked_agree(monkeypatch):
    """A split reduction on one thread makes one kernel call writing the result itself (the
    same value the chunked path gives when the pool runs one chunk: the other partials are the
    identity); on all cores each chunk writes a partial, combined after. Both paths forced here
    (whatever the load): max bit for bit, sums within float32 rounding of the float64 sum, NaN
    and inf propagating."""
    from graphflow.backends.numba import parallel, plan as plan_mod
    pool = parallel.ChunkPool(1)
    runs = []
    real_run = pool.run
    monkeypatch.setattr(pool, "run", lambda fn, n, chunk=parallel.CHUNK_ELEMENTS: (
        runs.append(pool.serial(n, chunk)), real_run(fn, n, chunk))[1])
    monkeypatch.setattr(parallel, "_pool", pool)
    monkeypatch.setattr(plan_mod, "_chunk_pool", lambda: pool)
    monkeypatch.setattr(plan_mod, "no_idle_core", lambda: False)
    monkeypatch.setenv("GRAPHFLOW_PLAN_THREADS", "multi")
    x = special(np.float32, (4100, 1024), 5)
    fn = lambda x: [tf.reduce_sum(x * 2.0), tf.reduce_sum(x, 0), tf.reduce_max(x * 2.0)]  # noqa
    clean = np.random.default_rng(13).standard_normal((4100, 1024)).astype(np.float32)
    for data in (clean, x):
        got, want, plan = both(fn, data)
        assert sum(st.split is not None for st in plan.cluster_steps) == 2, plan.report()
        assert runs and not any(runs), "the chunked path did not run"
        with parallel.ONE_THREAD:
            one = [np.asarray(v) for v in tf.function(fn)(tf.constant(data))]
        np.testing.assert_array_equal(got[2], one[2])
        np.testing.assert_array_equal(got[2], want[2])
        exact = [(data.astype(np.float64) * 2).sum(), data.astype(np.float64).sum(0)]
        for a, b, e in zip(got[:2], one[:2], exact):
            np.testing.assert_array_equal(np.isnan(a), np.isnan(e))
            np.testing.assert_array_equal(np.isnan(b), np.isnan(e))
            ok = ~np.isnan(e)
            for v in (a, b):        # a few float32 roundings of partial sums at most
                np.testing.assert_allclose(np.asarray(v)[ok], np.asarray(e)[ok], rtol=1e-6,
                                           atol=1e-6 * np.abs(data).max() * 64)


def test_split_reduction_without_helper_threads(monkeypatch):
    """On one usable core the chunk pool runs every chunk in one call: the partials it does not
    write hold the monoid's identity, so the combined result is still exact."""
    from graphflow.backends.numba import parallel
    monkeypatch.setattr(parallel, "_pool", parallel.ChunkPool(0))
    x = np.random.default_rng(12).standard_normal((2050, 1024)).astype(np.float32)
    got, want, plan = both(lambda x: [tf.reduce_max(x), tf.reduce_min(x)], x)
    assert any(st.split for st in plan.cluster_steps)
    for a, b in zip(got, want):
        np.testing.assert_array_equal(a, b)



@pytest.mark.parametrize("dtype", [np.float32, np.int32])
def test_split_column_reductions_match_numpy(dtype):
    """Column reductions (axis 0 of (N, C): bias/scale gradients) big enough for all cores: each
    chunk of rows reduces into its own partial row, the rows are combined after; same values as
    numpy for sum/max/min/mean (integers exact; float sums within numpy's error of float64),
    NaN/inf still win, an odd row count (a short last chunk) included."""
    rng = np.random.default_rng(13)
    if dtype == np.float32:
        x = rng.standard_normal((4099, 1024)).astype(np.float32) + 10.0
    else:
        x = rng.integers(-1000, 1000, (4099, 1024)).astype(np.int32)

    def fn(x):
        return (tf.reduce_sum(x, 0), tf.reduce_max(x, axis=0), tf.reduce_min(x, 0),
                tf.reduce_mean(x, 0, keepdims=True))
    got, want, plan = both(fn, x)
    assert sum(st.split == "leading" for st in plan.cluster_steps) >= 1, plan.report()
    assert "partial row per chunk" in plan.report()
    for a, b in zip(got, want):
        assert a.shape == b.shape and a.dtype == b.dtype
    for a, b in zip(got[1:3], want[1:3]):
        np.testing.assert_array_equal(a, b)
    if dtype == np.int32:
        np.testing.assert_array_equal(got[0], want[0])
        np.testing.assert_array_equal(got[3], want[3])
    else:
        exact = x.astype(np.float64).sum(0)
        err, ref_err = np.abs(got[0] - exact), np.abs(want[0] - exact)
        assert (err <= np.maximum(ref_err, 1e-6 * np.abs(exact))).all()
        mean = exact / x.shape[0]
        err, ref_err = np.abs(got[3][0] - mean), np.abs(want[3][0] - mean)
        assert (err <= np.maximum(ref_err, 1e-6 * np.abs(mean))).all()
        bad = x.copy()
        bad[5, 3], bad[4000, 7], bad[2000, 9] = np.nan, np.inf, -np.inf
        got, want, _ = both(fn, bad)
        for a, b in zip(got, want):     # NaN and +-inf exactly where numpy has them
            np.testing.assert_allclose(a, b, rtol=1e-5)


def test_split_column_reduction_without_helper_threads(monkeypatch):
    """One usable core: the column partials the single call does not write hold the identity."""
    from graphflow.backends.numba import parallel
    monkeypatch.setattr(parallel, "_pool", parallel.ChunkPool(0))
    x = np.random.default_rng(14).standard_normal((4100, 1024)).astype(np.float32)
    got, want, plan = both(lambda x: [tf.reduce_max(x, 0), tf.reduce_sum(x * 2.0, 0)], x)
    assert any(st.split == "leading" for st in plan.cluster_steps), plan.report()
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_allclose(got[1], want[1], rtol=1e-5, atol=1e-3)

# ------------------------------------------------------------------ hypothesis: row programs
ROW_UNARY = [tf.abs, tf.negative, lambda v: tf.math.log(tf.abs(v) + 1.0), tf.tanh,
             lambda v: v * 0.5 + 1.0]
ROW_REDUCE = ["reduce_sum", "reduce_max", "reduce_min", "reduce_mean"]


@st.composite
def row_programs(draw):
    """reduce (trailing axes, keepdims or not: then reshaped back) -> row-level ops ->
    full-domain readers -> another reduction; several chained."""
    steps = []
    for _ in range(draw(st.integers(1, 3))):
        steps.append((draw(st.sampled_from(ROW_REDUCE)), draw(st.sampled_from([-1, (1, 2)])),
                      draw(st.booleans()), draw(st.sampled_from(range(len(ROW_UNARY)))),
                      draw(st.sampled_from(range(len(ROW_UNARY)))),
                      # a non-keepdims result: the row op before the reshape (a row member
                      # over the reduction's own shape) or after it
                      draw(st.booleans())))
    return steps, draw(st.sampled_from(["plain", "specials", "zeros", "overflow"]))


@settings(max_examples=8, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(row_programs())
def test_random_row_programs_match_numpy(prog):
    """Row members (ops over the reduced row shape between passes), row outputs and reshapes of
    non-keepdims reductions give numpy's values, NaN/inf/signed zeros included."""
    steps, data = prog
    rng = np.random.default_rng(21)
    x = rng.standard_normal((4, 3, 6)).astype(np.float32)
    if data == "specials":
        x = special(np.float32, (4, 3, 6), 22)
    elif data == "zeros":
        x[rng.random(x.shape) < 0.5] = -0.0
    elif data == "overflow":
        x *= np.float32(3e37)

    def fn(x):
        outs, v = [], x
        for red, ax, keep, u_row, u_full, flat_first in steps:
            r = getattr(tf, red)(v, ax, keepdims=keep)
            if not keep and flat_first:
                r = ROW_UNARY[u_row](r)
            if not keep:
                r = tf.reshape(r, (4, 1, 1) if ax == (1, 2) else (4, 3, 1))
            if keep or not flat_first:
                r = ROW_UNARY[u_row](r)
            outs.append(r)                        # a row output
            v = ROW_UNARY[u_full](v - r) * v       # read back over the full domain
        outs.append(v)
        return outs
    got, want, plan = both(fn, x)
    for a, b in zip(got, want):
        assert a.shape == b.shape
        finite = np.abs(b[np.isfinite(b)])
        scale = max(1.0, float(finite.max()) if finite.size else 1.0)
        np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-5 * scale, equal_nan=True)
        z = (b == 0) & (a == 0)
        np.testing.assert_array_equal(np.signbit(a[z]), np.signbit(b[z]))


def test_signed_zeros_and_ties_match_numpy():
    """-0. survives kernels as in numpy: no 'nsz' fast-math flag (-(x - x) is -0.),
    tanh(-0.) and log1p(-0.) are -0., mod(0., -1.) is -0., and maximum/minimum/relu return
    the second operand on ties as numpy does (maximum(-0., 0.) is 0.)."""
    x = np.array([-0.0, 0.0, -1.0, 2.0, np.nan, -np.inf] * 11, np.float32)
    z = np.zeros_like(x)

    def fn(x, z):
        return [tf.tanh(x), tf.math.log1p(x), tf.math.floormod(x * 0.0, -1.0),
                tf.math.floormod(x, 1.5), tf.nn.relu(x), tf.maximum(x, z), tf.maximum(z, x),
                tf.minimum(x, z), tf.minimum(z, x), -(x - x) * 2.0, tf.sin(x) * -1.0]
    got, want, plan = both(fn, x, z)
    assert plan.kernels
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=0, equal_nan=True)  # tanh: 2 ulp
        nan = np.isnan(b)
        np.testing.assert_array_equal(np.signbit(a[~nan]), np.signbit(b[~nan]))


def test_row_values_broadcast_into_a_bigger_domain_stay_outside():
    """A row member read by a node over a bigger domain (here (2, rows, cols)) is written out;
    that node runs in its own loop, never in the row cluster's."""
    rng = np.random.default_rng(23)
    x = rng.standard_normal((3, 5)).astype(np.float32)
    z = rng.standard_normal((2, 3, 5)).astype(np.float32)

    def fn(x, z):
        r = tf.math.log(tf.reduce_sum(tf.exp(x), -1, keepdims=True))
        return [x - r, r + z, tf.reduce_sum(r * z, -1)]
    got, want, plan = both(fn, x, z)
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=2e-6, atol=2e-6)
    for c in plan.graph.nx.graph["clusters"].values():
        shapes = {tuple(plan.graph.nx.nodes[m]["shape"]) for m in c["nodes"]}
        assert (2, 3, 5) not in shapes or c["domain"] == (2, 3, 5), c


# ------------------------------------------------------------------ reductions of transposes
@pytest.mark.parametrize("perm,axes,keepdims", [
    ((1, 0, 2), (1,), False), ((2, 0, 1), (0,), True), ((2, 0, 1), (1,), False),
    ((2, 1, 0), (0, 2), True), ((1, 2, 0), (2,), False), ((2, 1, 0), (0, 1, 2), False)])
def test_reduction_of_a_transpose_reads_the_input_in_place(perm, axes, keepdims):
    """reduce(transpose(x, perm), axes) reduces x over the permuted axes (simplify), so the
    kernel needs no transposed copy; the kept axes are transposed after only if their order
    changed. Values (NaN, inf, signed zeros) equal numpy's on the transposed array."""
    x = special(np.float32, (6, 7, 8), 11)

    def fn(x):
        xt = tf.transpose(x, perm)
        return [tf.reduce_sum(tf.abs(xt) * 0.5, axes, keepdims=keepdims),
                tf.reduce_max(xt, axes, keepdims=keepdims)]
    got, want, plan = both(fn, x)
    xt = np.transpose(x, perm)
    refs = [np.sum(np.abs(xt) * np.float32(0.5), axis=axes, keepdims=keepdims),
            np.max(xt, axis=axes, keepdims=keepdims)]
    for a, b, r in zip(got, want, refs):
        assert a.shape == b.shape == r.shape
        np.testing.assert_allclose(a, r, rtol=1e-5)
        np.testing.assert_allclose(b, r, rtol=1e-5)
    g = plan.graph.nx
    # no reduction reads a transpose (reduce_max reads x itself)
    assert not [n for n in g if g.nodes[n]["op"].startswith("reduce_") and
                g.nodes[g.nodes[n]["inputs"][0]]["op"] == "transpose"]


@pytest.mark.parametrize("shape,perm", [((300, 517), (1, 0)), ((3, 260, 300), (0, 2, 1)),
                                        ((260, 3, 300), (2, 1, 0))])
def test_transposed_operand_copied_by_tiles_matches_numpy(shape, perm):
    """A kernel operand that is a transposed view is made C-contiguous tile by tile (sizes not
    multiples of the tile; NaN/inf/signed zeros pass through the copy)."""
    x = special(np.float32, shape, 13)

    def fn(x):
        return tf.transpose(x, perm) * 2.0 + 1.0
    got, want, plan = both(fn, x)
    ref = np.transpose(x, perm) * np.float32(2) + np.float32(1)
    assert plan.kernels
    np.testing.assert_array_equal(got[0], ref)
    np.testing.assert_array_equal(want[0], ref)


# ------------------------------------------------------------------ float32 blockwise sums
def _rel_err(got, exact):
    return np.max(np.abs(np.asarray(got, np.float64) - exact) / np.abs(exact))


@pytest.mark.parametrize("shape,axis", [((10_000_019,), None), ((4, 1 << 20), 1),
                                        ((1 << 16, 33), 0), ((3, 1 << 15, 17), 1),
                                        ((2, 4099, 3, 5), (1, 2))])
def test_float32_blockwise_sums_stay_within_numpy_error(shape, axis):
    """float32 sums accumulate in float32 blocks (codegen.SUM_BLOCK values of a row,
    COLUMN_BLOCK rows of a column reduction) flushed into float64. Adversarial data: a large
    mean (1000) with small noise and a long reduction (10M values, rows of 1M, columns of 64K):
    the error against a float64 reference stays within numpy's (pairwise for rows; one by one
    for x.sum(0)) - and below ~64 ulps of the sum, however long the reduction."""
    rng = np.random.default_rng(21)
    x = (1000.0 + rng.standard_normal(shape)).astype(np.float32)
    exact = x.astype(np.float64).sum(axis=axis)
    got, _, plan = both(lambda x: tf.reduce_sum(x, axis), x)
    assert plan.kernels
    err, np_err = _rel_err(got[0], exact), _rel_err(x.sum(axis=axis), exact)
    assert err <= max(np_err, 64 * 2.0 ** -24), (err, np_err)
    # a single-threaded run (one kernel call over everything, no per-chunk partials)
    from graphflow.backends.numba.parallel import ONE_THREAD
    with ONE_THREAD:
        got1, _, _ = both(lambda x: tf.reduce_sum(x, axis), x)
    assert _rel_err(got1[0], exact) <= max(np_err, 64 * 2.0 ** -24)


def test_float32_blockwise_sums_keep_signed_zero_nan_and_inf():
    """The blocks start from +0. (numpy's sums start from the identity 0.: a sum of -0.s is
    +0.), NaN and inf propagate, and
    sizes around the block edges (1023, 1024, 1025, 2049 values per row; 63/64/65 rows)."""
    for n in (1023, 1024, 1025, 2049):
        x = np.full((3, n), -0.0, np.float32)
        x[1, n // 2] = np.inf
        x[2, -1] = np.nan
        got, want, _ = both(lambda x: [tf.reduce_sum(x, 1), tf.reduce_sum(x)], x)
        for a, b in zip(got, want):
            np.testing.assert_array_equal(a, b)
            np.testing.assert_array_equal(np.signbit(a), np.signbit(b))
        assert got[0][0] == 0 and not np.signbit(got[0][0])   # numpy's x.sum(1) of -0.s: +0.
    for rows in (63, 64, 65, 129):
        x = special(np.float32, (rows, 40), rows)
        got, want, _ = both(lambda x: tf.reduce_sum(x, 0), x)
        np.testing.assert_array_equal(got[0], want[0])
        np.testing.assert_allclose(got[0], x.astype(np.float64).sum(0), rtol=1e-5)


@pytest.mark.parametrize("n", [1023, 1025, 2049])
def test_row_pass_kernels_sum_in_blocks(n):
    """The row-local pass kernels (softmax, log-sum-exp, layer norm) sum float32 blockwise too:
    rows around the block edges, with NaN/inf/signed zeros, equal the numpy executor; a row of
    mean 1000 keeps its mean to within a float32 rounding of the float64 reference."""
    x = special(np.float32, (4, n), n)
    x[2] = 1000.0 + np.random.default_rng(n).standard_normal(n).astype(np.float32)
    got, want, _ = both(lambda x: [tf.nn.softmax(x), _lse(x), tf.reduce_mean(x, 1, True),
                                   _layernorm(x)], x)
    other = [0, 1, 3]                  # rows of moderate values: as numpy's to float32 rounding
    for a, b in zip(got, want):
        np.testing.assert_allclose(a[other], b[other], rtol=1e-5, atol=1e-5, equal_nan=True)
    # the mean-1000 row: layer norm divides the mean's rounding (an ulp of 1000 = 6e-5) by
    # the row's std (~1): within a few of those ulps of the float64 result, as numpy's is
    x64 = x[2].astype(np.float64)
    ln64 = (x64 - x64.mean()) / np.sqrt(((x64 - x64.mean()) ** 2).mean() + 1e-5)
    ulp = float(np.spacing(np.float32(1000)))
    for out, ref in ((got[2][2, 0], x64.mean()), (got[0][2], np.exp(x64 - x64.max()) / np.exp(
            x64 - x64.max()).sum()), (got[3][2], ln64)):
        assert np.max(np.abs(out - ref)) <= 8 * ulp
    assert abs(float(got[2][2, 0]) - x64.mean()) <= 2 * ulp


@pytest.mark.parametrize("n", [1000, 1023, 4096, 5000])
def test_row_sums_within_numpy_ulps(n):
    """256 rows of mean 1000: the blockwise float32 row sums (the block's vectorized part and
    its remainder summed separately) are as close to the float64 sum as numpy's pairwise sums,
    counted in ulps of the result."""
    x = (1000.0 + np.random.default_rng(n).standard_normal((256, n))).astype(np.float32)
    got, _, _ = both(lambda x: tf.reduce_sum(x, 1), x)
    exact = x.astype(np.float64).sum(1)
    ulp = np.spacing(exact.astype(np.float32)).astype(np.float64)
    ours = np.abs(got[0].astype(np.float64) - exact) / ulp
    numpys = np.abs(x.sum(1).astype(np.float64) - exact) / ulp
    assert ours.mean() <= numpys.mean() + 0.25 and ours.max() <= max(numpys.max(), 2.0), (
        ours.mean(), ours.max(), numpys.mean(), numpys.max())


def test_reduction_over_unit_axes_compiles():
    """Reducing only axes of extent 1 (no reduced loop dim left after the unit dims are
    dropped): each value is its own reduction - the kernel compiled (its accumulator was never
    initialized: the compile failed and the cluster ran on numpy)."""
    x = special(np.float32, (6, 1, 5), 17)

    def fn(x):
        return [tf.reduce_sum(tf.exp(x), axis=1), tf.reduce_max(x * 2.0, 1, keepdims=True),
                tf.reduce_min(x - 1.0, (1,)), tf.reduce_prod(x + 0.5, 1)]
    got, want, plan = both(fn, x)
    assert all(k.state == "ready" for k in plan.kernels), [k.error for k in plan.kernels]
    np.testing.assert_allclose(got[0], want[0], rtol=2e-7)     # exp: within 1 ulp
    for a, b in zip(got[1:], want[1:]):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("dtype", [np.float32, np.int32])
def test_middle_axis_reductions_run_chunked_and_match_numpy(dtype):
    """A reduction over an inner axis that keeps the outermost one (axis 1 of a rank-3 tensor,
    axes 1 and 3 of a rank-4 one) runs in chunks of the outer dim on all cores: each chunk
    writes its own rows of the (n0, rest) result; same values as numpy (odd outer extent: a
    short last chunk), NaN and inf still win max/min."""
    rng = np.random.default_rng(21)
    shape = (67, 256, 257)
    if dtype == np.float32:
        x = rng.standard_normal(shape).astype(np.float32) + 3.0
        x[5, 7, 9] = np.nan
        x[60, :, 3] = np.inf
    else:
        x = rng.integers(-1000, 1000, shape).astype(np.int32)

    def fn(x):
        return (tf.reduce_sum(x, 1), tf.reduce_max(x, 1), tf.reduce_min(x, 1, keepdims=True),
                tf.reduce_mean(x, 1), tf.reduce_max(tf.reshape(x, (67, 16, 16, 257)), [1, 3]))
    got, want, plan = both(fn, x)
    assert any(st.parallel and st.spec.reductions for st in plan.cluster_steps), plan.report()
    for a, b in zip(got, want):
        assert a.shape == b.shape and a.dtype == b.dtype
    for a, b in zip(got[1:3] + got[4:], want[1:3] + want[4:]):
        np.testing.assert_array_equal(a, b)
    if dtype == np.int32:
        np.testing.assert_array_equal(got[0], want[0])
    else:
        exact = x.astype(np.float64)
        for a, b in ((got[0], exact.sum(1)), (got[3], exact.mean(1))):
            fin = np.isfinite(b)
            np.testing.assert_allclose(a[fin], b[fin], rtol=2e-6)
            np.testing.assert_array_equal(np.isnan(a), np.isnan(b))


def _argdata(rng, shape):
    x = special(np.float32, shape, 3)
    x[2] = -1.0
    x[2, 5], x[2, 9] = -0.0, 0.0          # -0. ties 0.: the first wins (numpy compares floats)
    x[3] = 1.0
    x[3, 0], x[3, 7] = 0.0, -0.0
    x[4, 10], x[4, 20] = np.nan, -np.nan  # the first NaN wins
    x[5, 3] = x[5, 11] = np.float32(50)   # ties: the first
    return x


def test_argmax_argmin_fuse_and_match_numpy():
    """argmax/argmin over the last axis are fused reductions (a vectorized best-key pass, then
    a vectorized pass for the first index holding it); with producers, beside other reductions,
    read back after a softmax in the same cluster (the row-pass kernel), over a 1-D vector, on
    ints and bools; a lone argmax over axis 0 is a kernel too (numpy's copies the input
    transposed). Same indices and dtypes as numpy: first maximum, first NaN, -0. equal to 0.,
    rows of -inf/inf."""
    rng = np.random.default_rng(31)
    x = _argdata(rng, (37, 300))

    def fn(x):
        return [tf.argmax(x, 1), tf.argmin(x, -1, output_type=tf.int32),
                tf.argmax(x * 2.0 + 1.0, -1), tf.reduce_max(x, 1),
                tf.argmax(tf.nn.softmax(x), 1), tf.argmax(x, 0)]
    got, want, plan = both(fn, x)
    g = plan.graph.nx
    fused = [g.nodes[m]["op"] for st in plan.cluster_steps for m in st.members]
    assert fused.count("argmax") == 4 and "argmin" in fused, plan.report()
    # the argmax after the softmax (a row-pass kernel) is a vectorized best key and a second
    # vectorized pass for its index, not a scalar select loop (4x slower than the softmax alone)
    row_pass = [st.source for st in plan.cluster_steps if "exp_f32" in (st.source or "")]
    assert row_pass and all("abest" in src and "ak" not in src for src in row_pass), plan.report()
    for a, b in zip(got, want):
        assert a.shape == b.shape and a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)
    for xs in (rng.integers(-5, 5, (33, 129)).astype(np.int32),
               rng.integers(0, 2, (33, 129)).astype(bool), _argdata(rng, (8, 301))[4]):
        got, want, _ = both(lambda x: [tf.argmax(x, -1), tf.argmin(x, -1)], xs)
        for a, b in zip(got, want):
            assert a.shape == b.shape and a.dtype == b.dtype
            np.testing.assert_array_equal(a, b)


def test_big_row_argmax_runs_chunked_and_matches_numpy():
    """A big row argmax runs in chunks of rows on all cores (never split along the row), of a
    computed value and alone (a lone one of an input too: numpy's runs on one core); a small
    lone argmax of an input runs on numpy (nothing to fuse, one core is enough)."""
    x = _argdata(np.random.default_rng(32), (4099, 1024))
    x[7, 1000] = np.nan                   # a NaN in the row's last chunk, after a bigger value
    x[8], x[8, 1023] = -np.inf, np.nan    # -inf then one NaN: the NaN's index
    x[9] = np.inf                         # all +inf: index 0
    for fn, lone in ((lambda x: [tf.argmax(x * 2.0, 1), tf.argmin(x[:5], 1)], False),
                     (lambda x: tf.argmax(x, 1), True)):
        got, want, plan = both(fn, x)
        assert any(getattr(st, "parallel", False) and not st.split
                   for st in plan.cluster_steps), plan.report()
        assert lone != ("a lone argmin over the last axis, too small for all cores: numpy's own "
                        "is as fast" in plan.report())
        for a, b in zip(got, want):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, bool])
def test_arg_reductions_over_outer_axes_match_numpy(dtype):
    """argmax/argmin over a leading or middle axis (a best value and its index per kept
    position, selects over the innermost kept dim), alone and of a fused producer: numpy's
    indices and dtypes (first maximum, first NaN, -0. ties 0., columns of -inf/inf); a middle
    axis keeps the outermost dim, so a big one runs chunked."""
    rng = np.random.default_rng(33)
    if dtype in (np.float32, np.float64):
        x = _argdata(rng, (6, 41, 37)).astype(dtype)
    elif dtype is bool:
        x = rng.integers(0, 2, (6, 41, 37)).astype(bool)
    else:
        x = rng.integers(-5, 5, (6, 41, 37)).astype(np.int32)

    def fn(x):
        y = x if dtype is bool else x * 2 + 1
        return [tf.argmax(x, 0), tf.argmin(x, 1), tf.argmax(y, 1, output_type=tf.int32),
                tf.argmin(y, 0), tf.argmax(x[:, 0], 0)]
    got, want, plan = both(fn, x)
    g = plan.graph.nx
    fused = [g.nodes[m]["op"] for st in plan.cluster_steps for m in st.members]
    assert fused.count("argmax") + fused.count("argmin") == 5, plan.report()
    for a, b in zip(got, want):
        assert a.shape == b.shape and a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)
    big = _argdata(rng, (16, 512, 520))
    got, want, plan = both(lambda x: [tf.argmax(x * 2.0, 1), tf.argmin(x, 0)], big)
    assert any(st.parallel for st in plan.cluster_steps), plan.report()
    for a, b in zip(got, want):
        np.testing.assert_array_equal(a, b)


@st.composite
def arg_programs(draw):
    steps = [(draw(st.sampled_from(range(len(UNARY)))), draw(st.sampled_from(["argmax", "argmin"])),
              draw(st.sampled_from([-1, 2, 1, 0])), draw(st.sampled_from([None, 2, (1, 2)])))
             for _ in range(draw(st.integers(1, 3)))]
    return steps, draw(st.booleans())


@settings(max_examples=4, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(arg_programs())
def test_random_arg_reductions_with_other_reductions_match_numpy(prog):
    """argmax/argmin of fused producers next to sums over the same or other axes (NaN, inf,
    signed zeros and ties in the data): the indices equal numpy's, the sums its values."""
    steps, specials = prog
    x = special(np.float32, (3, 4, 37), 17) if specials else \
        np.round(np.random.default_rng(18).standard_normal((3, 4, 37)), 1).astype(np.float32)

    def fn(x):
        outs = []
        for u, arg, ax, sax in steps:
            v = UNARY[u](x)
            outs += [getattr(tf, arg)(v, ax), tf.reduce_sum(v, sax)]
        return outs
    got, want, _ = both(fn, x)
    for a, b in zip(got, want):
        assert a.shape == b.shape and a.dtype == b.dtype
        if a.dtype.kind == "i":
            np.testing.assert_array_equal(a, b)
        else:
            np.testing.assert_allclose(a, b, rtol=2e-5, atol=1e-4, equal_nan=True)


# ------------------------------------------------------------------ scans (cumsum)
def _scans(x):
    return [tf.math.cumsum(x, -1), tf.math.cumsum(x, -1, exclusive=True),
            tf.math.cumsum(x * 2, -1) + 1, tf.math.cumsum(x, 0),
            tf.math.cumsum(x, -1, reverse=True)]


@pytest.mark.parametrize("dtype", [np.float32, np.int32])
def test_cumsum_last_axis_is_a_scan_kernel_equal_to_numpy(dtype):
    """cumsum (inclusive, exclusive, of a computed value, along axis 0, reversed) runs as scan
    kernels; the values equal numpy's exactly (sequential sums, int32 wrapping around), NaN and
    inf propagate along the row."""
    rng = np.random.default_rng(41)
    if dtype == np.float32:
        x = rng.standard_normal((37, 300)).astype(np.float32)
        x[3, 10], x[4, 20], x[5, 30], x[5, 40] = np.nan, np.inf, np.inf, -np.inf
    else:
        x = rng.integers(-2**30, 2**30, (37, 300)).astype(np.int32)
    got, want, plan = both(_scans, x)
    kinds = [st.info["kind"] for st in plan.cluster_steps]
    assert kinds.count("scan") == 5, plan.report()
    assert "scan: runs alone in its own loop" in plan.report()
    for a, b in zip(got, want):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)


def test_big_cumsum_rows_run_chunked_and_a_vector_runs_serial():
    """Rows of a big scan are chunked on all cores; a 1-D scan (the scan axis is the only
    loop) is never split."""
    x = np.random.default_rng(42).standard_normal((4099, 1024)).astype(np.float32)
    got, want, plan = both(lambda x: [tf.math.cumsum(x, 1), tf.math.cumsum(x[0], 0)], x)
    steps = {st.info["domain"]: st for st in plan.cluster_steps}
    assert steps[(4099, 1024)].parallel and not steps[(1024,)].parallel, plan.report()
    for a, b in zip(got, want):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("dtype", [np.float32, np.int32])
def test_cumsum_any_axis_exclusive_reverse_equal_numpy(dtype):
    """Every axis of a rank-3 tensor, with exclusive and reverse, as scan kernels equal to numpy
    bit for bit (a row of running sums for an outer axis); NaN/inf/-0. propagate along it."""
    rng = np.random.default_rng(43)
    if dtype == np.float32:
        x = rng.standard_normal((6, 7, 33)).astype(np.float32)
        x[1, 2, 3], x[2, 3, 4], x[3, 0, 5], x[4, 0, 5] = np.nan, np.inf, -np.inf, np.inf
        x[:, :, 6] = -0.0
    else:
        x = rng.integers(-2**30, 2**30, (6, 7, 33)).astype(np.int32)
    combos = [(a, e, r) for a in (0, 1, 2) for e in (False, True) for r in (False, True)]
    got, want, plan = both(lambda x: [tf.math.cumsum(x, a, exclusive=e, reverse=r)
                                      for a, e, r in combos], x)
    assert [st.info["kind"] for st in plan.cluster_steps].count("scan") == len(combos)
    for (a, e, r), g, w in zip(combos, got, want):
        assert g.dtype == w.dtype, (a, e, r)
        np.testing.assert_array_equal(g, w, err_msg=str((a, e, r)))
        if dtype == np.float32:         # signed zeros too (a column of -0.: sums of -0.)
            np.testing.assert_array_equal(np.signbit(g), np.signbit(w), err_msg=str((a, e, r)))


def test_big_cumsum_inner_axis_runs_chunked_and_outer_axis_serial():
    """A scan along a middle axis is chunked over the outer one; along the outermost loop dim
    it runs serial (the running row goes through every chunk). Its gradient (a reversed scan)
    matches numpy too."""
    x = np.random.default_rng(44).standard_normal((64, 512, 130)).astype(np.float32)

    def fn(x):
        with tf.GradientTape() as t:
            t.watch(x)
            c = tf.math.cumsum(x, 1)
            y = tf.reduce_sum(tf.math.cumsum(x, 0) * x) + tf.reduce_sum(c * c)
        return [c, tf.math.cumsum(x, 0), t.gradient(y, x)]
    got, want, plan = both(fn, x)
    scans = {st.spec.nodes[0].attrs["axis"]: st for st in plan.cluster_steps
             if st.info["kind"] == "scan" and not st.spec.nodes[0].attrs["reverse"]}
    assert scans[1].parallel and not scans[0].parallel, plan.report()
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_array_equal(got[1], want[1])
    np.testing.assert_allclose(got[2], want[2], rtol=1e-4, atol=1e-3)


@st.composite
def scan_programs(draw):
    steps = [(draw(st.sampled_from(range(len(UNARY)))), draw(st.sampled_from([0, 1, 2, -1])),
              draw(st.booleans()), draw(st.booleans()), draw(st.sampled_from([None, 0, 2])))
             for _ in range(draw(st.integers(1, 3)))]
    return steps, draw(st.booleans())


@settings(max_examples=4, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(scan_programs())
def test_random_scans_with_reductions_match_numpy(prog):
    """cumsum of fused producers along any axis (exclusive, reversed), read by reductions over
    the same or other axes and by an elementwise op (NaN, inf, signed zeros in the data): all
    within float32 rounding of numpy's (the producers use vmath: 1-2 ulp), NaN where numpy's."""
    steps, specials = prog
    x = special(np.float32, (3, 4, 37), 19) if specials else \
        np.round(np.random.default_rng(20).standard_normal((3, 4, 37)), 1).astype(np.float32)

    def fn(x):
        outs = []
        for u, ax, ex, rev, rax in steps:
            c = tf.math.cumsum(UNARY[u](x), ax, exclusive=ex, reverse=rev)
            outs += [c, tf.reduce_sum(c * c, rax), tf.abs(c) + 1.0]
        return outs
    got, want, _ = both(fn, x)
    for a, b in zip(got, want):
        assert a.shape == b.shape and a.dtype == b.dtype
        np.testing.assert_allclose(a, b, rtol=2e-5, atol=1e-4, equal_nan=True)


def test_row_reduction_epilogues_without_keepdims_join_the_kernel():
    """An elementwise op on a row reduction without keepdims - reduce_any's cast, reduce_mean's
    scaling, norm's sqrt, chained - is computed once per row in the reduction's kernel (one
    kernel, no second loop over the (N,) result); one that reads an outside (N,) operand, or a
    full-domain reader of such a value (it broadcasts along the last axis: x * mean(x, 1) of a
    square x), stays outside. Values (NaN, -0. rows) equal the numpy executor's."""
    x = special(np.float32, (48, 48), 51)
    x[5] = -0.0
    b = np.random.default_rng(52).standard_normal(48).astype(np.float32)
    one = {"any": lambda x, b: tf.reduce_any(x > 1.0, 1),
           "mean": lambda x, b: tf.reduce_mean(x, 1),
           "norm_scaled": lambda x, b: tf.sqrt(tf.reduce_sum(x * x, 1)) * 0.5 + 1.0}
    two = {"outside_operand": lambda x, b: tf.reduce_mean(x, 1) + b,
           "square_broadcast": lambda x, b: [tf.reduce_mean(x, 1), x * tf.reduce_mean(x, 1)]}
    for name, fn in list(one.items()) + list(two.items()):
        got, want, plan = both(fn, x, b)
        assert len(plan.cluster_steps) == (1 if name in one else 2), (name, plan.report())
        for a, w in zip(got, want):
            assert a.shape == w.shape and a.dtype == w.dtype
            np.testing.assert_allclose(a, w, rtol=1e-5, atol=1e-5, equal_nan=True)
            z = (a == 0) & (w == 0)
            np.testing.assert_array_equal(np.signbit(a[z]), np.signbit(w[z]))


# ------------------------------------------------------------------ float max/min on floats
def _nan_rows(dtype, n=1000):
    """Rows long enough for the vector loop (16 lanes x 4) and its remainder: a NaN in a lane
    of the vector body, one (negative) in the remainder, one first, all -inf, all NaN, +inf
    with NaN after it, signed zeros only, and plain values."""
    rng = np.random.default_rng(11)
    x = rng.standard_normal((9, n)).astype(dtype)
    x[0, 37] = np.nan
    x[1, n - 1] = -np.nan
    x[2, 0] = np.nan
    x[3] = -np.inf
    x[4] = np.nan
    x[5, 3], x[5, 700] = np.inf, np.nan
    x[6] = np.where(rng.random(n) < 0.5, -0.0, 0.0)
    x[7, 500] = -np.inf
    return x


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_float_max_min_on_floats_with_a_nan_flag(dtype):
    """Scalar float max/min accumulators (full and row reductions, arg reductions' best value,
    a softmax-shaped kernel's row max) run on floats with vmath.fmax_nn/fmin_nn (vmaxps) and
    a NaN flag ORed alongside: NaN anywhere in a row - any lane of the vector body, the
    remainder, -nan - gives NaN (argmax/argmin: the first NaN), as numpy's."""
    x = _nan_rows(dtype)

    def fn(x):
        m = tf.reduce_max(x, 1, keepdims=True)
        return [tf.reduce_max(x, 1), tf.reduce_min(x, 1), tf.reduce_max(x), tf.reduce_min(x[3:5]),
                tf.argmax(x, 1), tf.argmin(x, 1),
                tf.math.log(tf.reduce_sum(tf.exp(x - m), 1)) + m[:, 0]]
    got, want, plan = both(fn, x)
    for a, b in zip(got[:-1], want[:-1]):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(got[-1], want[-1], rtol=4e-7, equal_nan=True)  # (sum order)
    np.testing.assert_array_equal(got[0][:6], [np.nan] * 3 + [-np.inf] + [np.nan] * 2)
    np.testing.assert_array_equal(got[4][[0, 1, 2, 4, 5]], [37, 999, 0, 0, 700])
    srcs = "\n".join(k.source for k in plan.kernels)
    assert "fmax_nn(" in srcs and "fmin_nn(" in srcs and "maxkey_" not in srcs, srcs
