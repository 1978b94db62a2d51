"""Scans (op fact `scan_of`: cumsum) on the numba backend: a running value along the innermost
loop of a kernel of their own, equal to numpy's sequential float32/int32 sums."""
import numpy as np
import pytest

import graphflow as tf
from graphflow.backends.numba import SETTINGS
from graphflow.backends.numba.plan import NumbaPlan


@pytest.fixture(autouse=True, scope="module")
def _sync_compile():
    old = SETTINGS.sync_compile
    SETTINGS.sync_compile = True
    yield
    SETTINGS.sync_compile = old


def both(fn, x):
    fj, fn_ = tf.function(fn), tf.function(fn, jit_compile=False)
    xt = tf.constant(x)
    got, want = fj(xt), fn_(xt)
    plan = fj.get_concrete_function(xt)._executor
    assert isinstance(plan, NumbaPlan)
    for st in plan.cluster_steps:
        assert st.last_error is None, st.last_error
    return [np.asarray(a) for a in got], [np.asarray(b) for b in want], plan


def _fn(x):
    return [tf.math.cumsum(x, -1), tf.math.cumsum(x, -1, exclusive=True),
            tf.math.cumsum(x * 2, -1) + 1, tf.math.cumsum(x, 0),
            tf.math.cumsum(x, -1, reverse=True)]


@pytest.mark.parametrize("dtype", [np.float32, np.int32])
def test_cumsum_last_axis_is_a_scan_kernel_equal_to_numpy(dtype):
    """cumsum over the last axis (inclusive, exclusive, of a computed value) runs as scan
    kernels; other axes and reverse=True run on numpy; the values equal numpy's exactly
    (sequential sums, int32 wrapping around), NaN and inf propagate along the row."""
    rng = np.random.default_rng(41)
    if dtype == np.float32:
        x = rng.standard_normal((37, 300)).astype(np.float32)
        x[3, 10], x[4, 20], x[5, 30], x[5, 40] = np.nan, np.inf, np.inf, -np.inf
    else:
        x = rng.integers(-2**30, 2**30, (37, 300)).astype(np.int32)
    got, want, plan = both(_fn, x)
    kinds = [st.info["kind"] for st in plan.cluster_steps]
    assert kinds.count("scan") == 3, plan.report()
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
