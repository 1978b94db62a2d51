"""Operands that are slices of a bigger array, read in place by fused kernels.

`x[:, 512:] * x[:, :512]` used to copy each slice C-contiguous before the kernel (two extra
passes over the data); the kernel now reads x with the slice's starts added to its loop
indices (`lower_cluster.slice_in_place`). Values must equal numpy's, on the compiled path,
on the numpy fallback that runs while the kernel compiles, in chunks on all cores and on
one thread.
"""
import numpy as np
import pytest

import graphflow as tf
from graphflow.backends.numba import SETTINGS
from graphflow.backends.numba.parallel import ONE_THREAD
# (the autouse fixture compiles kernels synchronously in this module too)
from test_numba_reductions import both as run

pytestmark = pytest.mark.usefixtures("sync_compile_module")   # conftest: kernels compiled in the caller


def data(shape, seed=0):
    x = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    flat = x.reshape(-1)
    flat[7], flat[-3], flat[11] = np.nan, np.inf, -0.0
    return x


def in_place(plan):
    """Source lines of the kernels that read an operand with an offset."""
    return [ln for st in plan.cluster_steps for ln in st.source.splitlines() if " + " in ln
            and "= a" in ln and "[i" in ln]


CASES = {
    # name: (fn, input shape, expected: some operand read in place)
    "halves": (lambda x: x[:, :8] * x[:, 8:], (6, 16), True),
    "gates": (lambda x: [tf.sigmoid(g) * tf.tanh(h) for g, h in
                         [tf.split(x, 4, axis=1)[:2]]] + [tf.split(x, 4, axis=1)[3] + 1.0],
              (5, 32), True),
    "middle_3d": (lambda x: tf.exp(x[:, 1:3, :]) - x[:, 3:5, :], (4, 6, 5), True),
    "two_dims": (lambda x: x[:, 2:5, 1:4] * 2.0 + x[:, 0:3, 0:3], (3, 7, 6), True),
    "broadcast_row": (lambda x: x[:, 4:] + x[0, :4], (5, 8), True),
    "row_sum": (lambda x: tf.reduce_sum(x[:, 3:9] * x[:, 3:9], 1), (7, 12), True),
    "col_max": (lambda x: tf.reduce_max(x[:, 2:6] - 1.0, 0), (9, 8), True),
    "softmax_of_slice": (lambda x: tf.nn.softmax(x[:, 4:]), (6, 20), True),
    "leading_rows": (lambda x: x[2:5] * 3.0, (8, 4), False),    # contiguous anyway
    "outer_offset": (lambda x: x[1:4, :3] * 3.0, (8, 5), False),   # chunked dim starts at 1
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_slices_read_in_place_match_numpy(name):
    fn, shape, expect = CASES[name]
    x = data(shape, len(name))
    got, want, plan = run(fn, x)
    assert plan.kernels
    for a, b in zip(got, want):
        assert a.shape == b.shape and a.dtype == b.dtype
        np.testing.assert_allclose(a, b, rtol=2e-6, atol=1e-6)
    assert bool(in_place(plan)) == expect, [st.source for st in plan.cluster_steps]


def test_slices_big_enough_for_chunks_and_on_one_thread():
    """Chunked on the pool (tanh: worth running on all cores), then inside ONE_THREAD."""
    x = data((2048, 256), 3)

    def fn(x):
        return tf.tanh(x[:, :128]) * tf.exp(x[:, 128:] * 0.1)
    ref = np.tanh(x[:, :128]) * np.exp(x[:, 128:] * np.float32(0.1))
    got, _, plan = run(fn, x)
    np.testing.assert_allclose(got[0], ref, rtol=2e-6, atol=1e-6)
    assert in_place(plan)
    with ONE_THREAD:
        got, _, _ = run(fn, x)
    np.testing.assert_allclose(got[0], ref, rtol=2e-6, atol=1e-6)


def test_slices_on_the_numpy_fallback_while_compiling(monkeypatch):
    """Before its kernel is ready the cluster runs on numpy, computing the slice itself."""
    monkeypatch.setattr(SETTINGS, "sync_compile", False)
    x = data((6, 10), 5)
    f = tf.function(lambda x: x[:, 1:6] * x[:, 5:])
    got = np.asarray(f(tf.constant(x)))
    np.testing.assert_allclose(got, x[:, 1:6] * x[:, 5:], rtol=1e-6)


# ------------------------------------------------------------------ hypothesis: layouts
hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

PERMS = [(0, 1, 2), (1, 0, 2), (0, 2, 1), (2, 1, 0), (1, 2, 0), (2, 0, 1)]
UNARY = [tf.tanh, tf.abs, lambda v: v * 2.0 - 1.0, tf.negative]
REDUCE = [None, "reduce_sum", "reduce_max", "reduce_min"]
AXES = [None, 0, 1, 2, (0, 1), (0, 2), (1, 2)]


@st.composite
def layout_programs(draw):
    steps = []
    for _ in range(draw(st.integers(1, 3))):
        ax = draw(st.integers(0, 2))
        lo = draw(st.integers(0, 3))
        hi = draw(st.integers(lo + 1, 5))
        steps.append((draw(st.sampled_from(range(len(PERMS)))), (ax, lo, hi),
                      draw(st.sampled_from(range(len(UNARY)))), draw(st.sampled_from(REDUCE)),
                      draw(st.sampled_from(AXES)), draw(st.booleans())))
    return steps


@settings(max_examples=5, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(layout_programs())
def test_random_slices_and_transposes_match_numpy(prog):
    """Random programs: a slice of x along one axis, transposed, through an elementwise op,
    maybe reduced over random axes (NaN/inf/signed zeros in x): the numba backend (slices read
    in place, reductions of transposes rewritten, transposed operands copied by tiles) equals
    the numpy executor."""
    x = data((5, 6, 7), 9)

    def fn(x):
        outs = []
        for p, (ax, lo, hi), u, red, axes, keep in prog:
            idx = [slice(None)] * 3
            idx[ax] = slice(lo, hi)
            v = UNARY[u](tf.transpose(x[tuple(idx)], PERMS[p]))
            outs.append(v if red is None else getattr(tf, red)(v, axes, keepdims=keep))
        return outs
    got, want, _ = run(fn, x)
    for a, b in zip(got, want):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-5, equal_nan=True)
