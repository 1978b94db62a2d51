"""Reduction kernels read their data as several memory streams (`backends/numba/streams.py`):
the rewrite of the outer loop is exact - full, row, column and arg reductions and softmax passes
equal the numpy executor bit for bit, with NaN/+-inf anywhere (each stream's rows, the
remainder rows), for row counts below, at and above a multiple of the streams - and it leaves
alone the kernels where streams would change what is computed."""
import numpy as np
import pytest

import graphflow as tf
from graphflow.backends.numba.streams import STREAMS, interleave
from test_numba_reductions import both, special

pytestmark = pytest.mark.usefixtures("sync_compile_module")


def _programs(x):
    m = tf.reduce_max(x, -1, keepdims=True)
    e = tf.exp(x - m)
    return [tf.reduce_max(x), tf.reduce_min(x * 2.0), tf.reduce_max(x, -1), tf.reduce_min(x, -1),
            tf.reduce_max(x, 0), tf.reduce_min(tf.abs(x), 0), tf.argmax(x, 0),
            tf.argmax(x, -1), tf.argmin(x, -1), tf.reduce_any(x > 1.0, -1),
            tf.reduce_sum(tf.cast(x > 0, tf.int32)), tf.reduce_prod(x[:, :3], -1),
            tf.reduce_sum(tf.abs(x), -1), e / tf.reduce_sum(e, -1, keepdims=True)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_streamed_reductions_equal_the_numpy_executor(dtype):
    for rows in (2, STREAMS - 1, 2 * STREAMS, 4 * STREAMS + 3):
        x = special(dtype, (rows, 37), rows)
        got, want, plan = both(_programs, x)
        for a, b in zip(got[:-3], want[:-3]):
            np.testing.assert_array_equal(a, b)
        for a, b in zip(got[-3:], want[-3:]):      # (float sums/products: the order)
            np.testing.assert_allclose(a, b, rtol=2e-6, equal_nan=True)
    srcs = "\n".join(k.source for k in plan.kernels)
    assert "_s1" in srcs, srcs                      # some kernel did stream
    # NaN only in a later stream's rows / only in the remainder rows: found there alone
    x = np.random.default_rng(5).standard_normal((4 * STREAMS + 3, 37)).astype(dtype)
    for r in (STREAMS + 1, 3 * STREAMS + 2, 4 * STREAMS + 2):
        y = x.copy()
        y[r, 11] = np.nan
        got, want, _ = both(lambda t: [tf.reduce_max(t, -1), tf.reduce_max(t),
                                       tf.argmax(t, -1), tf.reduce_max(t, 0)], y)
        for a, b in zip(got, want):
            np.testing.assert_array_equal(a, b)


def test_streams_keep_what_is_not_exact():
    carried = """def kernel(n0, a0, r0):
    acc0 = 0.0
    for i0 in range(n0):
        acc0 = acc0 * 0.5 + a0[i0]
    r0[0] = acc0
"""
    scratch = """def kernel(n0, n1, a0, t0, r0):
    for i0 in range(n0):
        for i1 in range(n1):
            t0[i1] = a0[i0, i1]
        r0[i0] = t0[0]
"""
    last = """def kernel(n0, a0, r0):
    for i0 in range(n0):
        x0 = a0[i0]
    r0[0] = x0
"""
    colsum = """def kernel(n0, n1, a0, r0):
    acc0 = np.zeros(n1)
    for i0 in range(n0):
        for i1 in range(n1):
            acc0[i1] = radd_(acc0[i1], a0[i0, i1])
    for q in range(n1):
        r0[q] = acc0[q]
"""
    for src in (carried, scratch, last, colsum):   # (colsum: the rows' order matters)
        assert interleave(src) is None, src
    blocks = """def kernel(n0, n1, a0, r0):
    for i0 in range(n0):
        acc0 = 0.0
        for c1 in range(n1):
            for j1 in range(c1):
                acc0 = radd_(acc0, a0[i0, j1])
        r0[i0] = acc0
"""
    assert interleave(blocks) is None      # nothing to jam: left as it was
