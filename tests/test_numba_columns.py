"""Column sums fused into row kernels (passes.fusion.column_join): a float reduce_sum over the
leading dims a row cluster keeps (layer norm's gamma/beta gradients) is added up in the row
kernel's last pass, so the data is read once; values equal the numpy executor's (NaN/inf/signed
zeros included), serial, chunked on the pool and with no helper threads.
"""
import numpy as np
import pytest

import graphflow as tf

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402
from test_numba_reductions import both as _both  # noqa: E402

pytestmark = pytest.mark.usefixtures("sync_compile_module")   # conftest: kernels compiled in the caller


def both(fn, *args):
    """test_numba_reductions.both (numba outputs, numpy-executor outputs, plan), every cluster
    compiled (none left on numpy)."""
    got, want, plan = _both(fn, *args)
    for s in plan.cluster_steps:
        assert s.why_numpy is None, s.why_numpy
    return got, want, plan


def close(got, want, rtol=2e-5):
    for a, b in zip(got, want):
        assert a.shape == b.shape and a.dtype == b.dtype
        finite = np.abs(b[np.isfinite(b)])
        scale = max(1.0, float(finite.max()) if finite.size else 1.0)
        np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol * scale, equal_nan=True)
        z = (a == 0) & (b == 0)
        np.testing.assert_array_equal(np.signbit(a[z]), np.signbit(b[z]))


def layernorm_fwd_bwd(x, w, gamma, beta):
    """tools/bench.py's layernorm_fwd_bwd: output and the gradients w.r.t. x, gamma, beta."""
    with tf.GradientTape() as t:
        t.watch([x, gamma, beta])
        mu = tf.reduce_mean(x, -1, keepdims=True)
        var = tf.reduce_mean(tf.square(x - mu), -1, keepdims=True)
        y = (x - mu) * tf.math.rsqrt(var + 1e-5) * gamma + beta
        loss = tf.reduce_sum(y * w)
    return [y] + t.gradient(loss, [x, gamma, beta])


def ln_inputs(rows, cols, seed=0, dtype=np.float32):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s).astype(dtype) for s in
            ((rows, cols), (rows, cols), (cols,), (cols,))]


def domain_kernels(plan, dom):
    return [s for s in plan.cluster_steps if tuple(s.info["domain"]) == dom]


def np_layernorm_fwd_bwd(x, w, gamma, beta):
    x, w, gamma, beta = (a.astype(np.float64) for a in (x, w, gamma, beta))
    n = x.shape[-1]
    mu = x.mean(-1, keepdims=True)
    xc = x - mu
    r = 1.0 / np.sqrt((xc * xc).mean(-1, keepdims=True) + 1e-5)
    xh = xc * r
    gxh = w * gamma
    gx = r / n * (n * gxh - gxh.sum(-1, keepdims=True) - xh * (gxh * xh).sum(-1, keepdims=True))
    return [xh * gamma + beta, gx, (w * xh).sum(0), w.sum(0)]


def test_layernorm_gradients_are_one_kernel_reading_the_data_once():
    """gamma's and beta's gradients (column sums of w * x_hat and of w) join the row kernel:
    one kernel over the (rows, cols) domain, no separate column-sum passes."""
    args = ln_inputs(6, 40)
    got, want, plan = both(layernorm_fwd_bwd, *args)
    close(got, want)
    close(got, [r.astype(np.float32) for r in np_layernorm_fwd_bwd(*args)], rtol=2e-5)
    ks = domain_kernels(plan, (6, 40))
    assert len(ks) == 1 and len(ks[0].spec.columns) == 2, plan.report()
    reasons = [r["reason"] for r in plan.graph.nx.graph["fusion"] if r["fused"]]
    assert any(r.startswith(("column:", "sibling column:")) for r in reasons)
    assert "cs0[qc]" in ks[0].source and "crow" in ks[0].source
    assert "columns: " in plan.report() and "in the last pass over each row" in plan.report()


@pytest.mark.parametrize("helpers", [None, 0])
def test_chunked_column_partials_match_numpy(monkeypatch, helpers):
    """A big row kernel runs in chunks of rows on the pool: each chunk writes its own partial
    column sums (combined after); with no helper threads one call writes one partial and the
    others keep the identity (0.)."""
    from graphflow.backends.numba import parallel
    if helpers is not None:
        monkeypatch.setattr(parallel, "_pool", parallel.ChunkPool(helpers))
    args = ln_inputs(1100, 384, seed=1)          # 422k values: chunked (several chunks)
    args[1][7, :] = -0.0                         # a row of -0. in w
    got, want, plan = both(layernorm_fwd_bwd, *args)
    (k,) = domain_kernels(plan, (1100, 384))
    assert k.parallel and "p" in k.call_source and "COMB" in k.call_source, k.call_source
    close(got, want, rtol=5e-5)
    ref = np_layernorm_fwd_bwd(*args)
    for a, b in zip(got[2:], ref[2:]):       # float32 blocks + float64: near the float64 sum
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5 * np.abs(b).max())


def test_column_specials_nan_inf_signed_zero():
    """A NaN or inf in a column gives numpy's NaN/inf; a column of -0. sums to +0. (numpy's
    x.sum(0)); float64
    columns accumulate without float32 blocks."""
    for dtype in (np.float32, np.float64):
        x = np.random.default_rng(3).standard_normal((70, 9)).astype(dtype)
        x[:, 0] = -0.0                       # a column of -0.: sum +0., as numpy's
        x[5, 1] = np.nan
        x[6, 2] = np.inf
        x[7, 3], x[8, 3] = np.inf, -np.inf   # inf - inf: NaN
        x[9, 4] = np.float32(3e38) if dtype == np.float32 else 1.7e308

        def fn(x):
            m = tf.reduce_max(x, -1, keepdims=True)
            y = tf.exp(tf.abs(x) - tf.abs(m))      # read back over the row
            return y, tf.reduce_sum(x, 0), tf.reduce_sum(y * x, 0, keepdims=True)
        got, want, plan = both(fn, x)
        (k,) = domain_kernels(plan, (70, 9))
        assert len(k.spec.columns) == 2, plan.report()
        close(got, want)
        assert not np.signbit(got[1][0]) and got[1][0] == 0
        assert np.isnan(got[1][1]) and got[1][2] == np.inf and np.isnan(got[1][3])


def test_columns_beside_plain_row_reductions():
    """Row reductions that nothing reads back (one pass per row) with column sums of the same
    product: row max/min and the column sums in one kernel."""
    x, w = (np.random.default_rng(s).standard_normal((130, 33)).astype(np.float32)
            for s in (7, 8))
    x[3, 4] = np.nan

    def fn(x, w):
        p = x * w
        return tf.reduce_max(p, 1), tf.reduce_min(tf.abs(p), -1, keepdims=True), \
            tf.reduce_sum(p, 0), tf.reduce_sum(w, 0)
    got, want, plan = both(fn, x, w)
    close(got, want)
    (k,) = domain_kernels(plan, (130, 33))
    assert len(k.spec.columns) == 2, plan.report()


def test_rank3_columns_over_two_leading_axes():
    """(B, T, C) layer norm: gamma's gradient sums axes (0, 1), the kept dims of the row
    kernel (merged into one loop dim)."""
    x, w = (np.random.default_rng(s).standard_normal((3, 5, 16)).astype(np.float32)
            for s in (4, 5))

    def fn(x, w):
        mu = tf.reduce_mean(x, -1, keepdims=True)
        xh = (x - mu) * tf.math.rsqrt(tf.reduce_mean(tf.square(x - mu), -1, keepdims=True)
                                      + 1e-5)
        return xh, tf.reduce_sum(w * xh, (0, 1)), tf.reduce_sum(w, [0, 1])
    got, want, plan = both(fn, x, w)
    close(got, want)
    ks = domain_kernels(plan, (3, 5, 16))
    assert len(ks) == 1 and len(ks[0].spec.columns) == 2, plan.report()


def test_columns_over_other_axes_or_read_back_stay_apart():
    """A max over the leading axis is no column; a column sum read back over the domain is
    computed in the row kernel but its reader runs after it, in another kernel."""
    x = np.random.default_rng(6).standard_normal((8, 12)).astype(np.float32)

    def fn(x):
        e = tf.exp(x - tf.reduce_max(x, -1, keepdims=True))
        c = tf.reduce_sum(e, 0)
        return tf.reduce_max(e, 0), e * c, c
    got, want, plan = both(fn, x)
    close(got, want)
    g = plan.graph.nx
    (k,) = [s for s in plan.cluster_steps if s.info["columns"]]
    assert [g.nodes[c]["op"] for c in k.info["columns"]] == ["reduce_sum"]
    for c in k.info["columns"]:
        assert not set(g.successors(c)) & set(k.info["nodes"])


# ------------------------------------------------------------------ hypothesis
UNARY = [tf.abs, tf.negative, tf.tanh, lambda v: v * 0.5 + 1.0, lambda v: tf.math.log1p(tf.abs(v))]


@st.composite
def column_programs(draw):
    """A row reduction read back over the full domain, then column sums (keepdims or not) of
    an input, of full-domain values and of their products, with special data."""
    return (draw(st.sampled_from(["reduce_sum", "reduce_max", "reduce_mean"])),
            draw(st.sampled_from(range(len(UNARY)))), draw(st.sampled_from(range(len(UNARY)))),
            draw(st.lists(st.tuples(st.integers(0, 2), st.booleans()), min_size=1, max_size=3)),
            draw(st.sampled_from(["plain", "specials", "zeros", "overflow"])))


@settings(max_examples=4, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(column_programs())
def test_random_column_programs_match_numpy(prog):
    red, u1, u2, cols, data = prog
    rng = np.random.default_rng(9)
    x = rng.standard_normal((67, 10)).astype(np.float32)
    if data == "specials":
        x[rng.random(x.shape) < 0.05] = np.nan
        x[rng.random(x.shape) < 0.05] = np.inf
        x[rng.random(x.shape) < 0.05] = -np.inf
    elif data == "zeros":
        x[rng.random(x.shape) < 0.5] = -0.0
    elif data == "overflow":
        x *= np.float32(3e37)

    def fn(x):
        r = getattr(tf, red)(x, -1, keepdims=True)
        v = UNARY[u1](x - r)
        z = UNARY[u2](v) * x
        outs = [v]
        for which, keep in cols:
            outs.append(tf.reduce_sum([x, v, z][which], 0, keepdims=keep))
        return outs
    got, want, plan = both(fn, x)
    close(got, want)
    (k,) = domain_kernels(plan, (67, 10))
    assert len(k.spec.columns) == len(set(cols)), plan.report()   # (equal sums: one node)


def test_columns_of_a_row_cluster_over_a_unit_axis():
    """Rows of one value (the row reduction's axis has extent 1, dropped from the loop): the
    column sum is a single value."""
    x = np.random.default_rng(10).standard_normal((8, 1)).astype(np.float32)

    def fn(x):
        e = tf.exp(x - tf.reduce_max(x, -1, keepdims=True))
        return e, tf.reduce_sum(e * x, 0)
    got, want, plan = both(fn, x)
    close(got, want)
    assert any(s.spec.columns for s in plan.cluster_steps), plan.report()


def test_column_read_back_over_a_unit_axis_stays_outside():
    """Over a unit row axis the row shape is the domain, so a reader of the column sum looked
    like a row member of the cluster (found by tools/difftest.py: the kernel generator failed
    with KeyError ('c', 0)); it runs after the cluster's last pass instead."""
    x = np.random.default_rng(11).standard_normal((3, 1))

    def fn(x):
        v = x - tf.reduce_mean(x, -1, keepdims=True)
        return tf.transpose(v - tf.reduce_sum(v, 0, keepdims=True))
    got, want, plan = _both(fn, x)
    close(got, want)
    xn = x - x.mean(-1, keepdims=True)
    np.testing.assert_allclose(got[0], (xn - xn.sum(0, keepdims=True)).T, rtol=1e-12)
