"""Row scatter-add (ops/scatter_rows.py) equals np.add.at on both its paths (the sparse
one-hot product for wide float rows, np.add.at otherwise), and the ops built on it agree."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import graphflow as tf
from graphflow.ops import scatter_rows


@pytest.fixture(params=["sparse", "add.at"])
def path(request, monkeypatch):
    if request.param == "sparse":   # small cases take the sparse path too
        monkeypatch.setattr(scatter_rows, "MIN_VALUES", 0)
        monkeypatch.setattr(scatter_rows, "MIN_WIDTH", 1)
    return request.param


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # (set once per path)
@given(n=st.integers(1, 9), m=st.integers(0, 30), tail=st.lists(st.integers(1, 4), max_size=2),
       dtype=st.sampled_from(["f4", "f8", "i4", "c8"]))
def test_add_rows_equals_add_at(path, n, m, tail, dtype):
    rs = np.random.RandomState(n * 31 + m)
    idx = rs.randint(0, n, m)
    rows = (rs.randn(m, *tail) * 4).astype(dtype)
    want = np.ones((n, *tail), dtype)
    np.add.at(want, idx, rows)
    out = np.ones((n, *tail), dtype)
    scatter_rows.add_rows(out, idx, rows)
    np.testing.assert_allclose(out, want, rtol=1e-6, atol=1e-6)


def test_embedding_gradient_and_segment_sum_values():
    rs = np.random.RandomState(0)
    table = tf.Variable(rs.randn(300, 64).astype("f4"))
    ids = rs.randint(0, 300, (32, 20))
    g = rs.randn(32, 20, 64).astype("f4")
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(tf.gather(table, ids) * g)
    want = np.zeros((300, 64), "f4")
    np.add.at(want, ids, g)
    np.testing.assert_allclose(tf.convert_to_tensor(tape.gradient(loss, table)).numpy(), want,
                               rtol=1e-5, atol=1e-5)
    seg = tf.math.unsorted_segment_sum(g.reshape(-1, 64), ids.reshape(-1), 300).numpy()
    np.testing.assert_allclose(seg, want, rtol=1e-5, atol=1e-5)
    upd = tf.scatter_nd(ids.reshape(-1, 1), g.reshape(-1, 64), [300, 64]).numpy()
    np.testing.assert_allclose(upd, want, rtol=1e-5, atol=1e-5)


@pytest.mark.usefixtures("sync_compile")
@pytest.mark.parametrize("dt,it", [("f4", "int32"), ("f8", "int64")])
def test_numba_scatter_kernel_equals_numpy_executor(dt, it):
    """The numba backend's scatter loop (backends/numba/scatter.py) against the numpy executor:
    an embedding gradient whose cotangent is a broadcast (mean pooling: the plan passes the view,
    not a copy), a segment sum with dropped (negative) ids, a few repeated indices."""
    rs = np.random.RandomState(1)
    table = rs.randn(50, 16).astype(dt)
    ids = rs.randint(0, 50, (12, 5)).astype(it)
    ids[0, :3] = 7                                      # repeats within one row of ids
    seg = rs.randint(-2, 20, 40).astype(it)             # negative ids are dropped
    data = rs.randn(40, 16).astype(dt)
    y = rs.randn(12, 16).astype(dt)

    def fn(table, ids, seg, data, y):
        with tf.GradientTape() as tape:
            tape.watch(table)
            loss = tf.reduce_sum(tf.reduce_mean(tf.gather(table, ids), 1) * y)
        return [tf.convert_to_tensor(tape.gradient(loss, table)),
                tf.math.unsorted_segment_sum(data * 2.0, seg, 20)]
    args = [tf.constant(a) for a in (table, ids, seg, data, y)]
    comp, ref = tf.function(fn), tf.function(fn, jit_compile=False)
    comp(*args)
    plan = comp.kernel_plan(*args)
    assert "numba  %" in plan and "scatter_add" in plan and "a broadcast alone" in plan, plan
    want = np.zeros((50, 16), dt)
    np.add.at(want, ids, np.repeat(y[:, None] / 5, 5, 1))
    got, exe = [g.numpy() for g in comp(*args)], [g.numpy() for g in ref(*args)]
    np.testing.assert_allclose(exe[0], want, rtol=1e-5, atol=1e-6)
    for a, b in zip(got, exe):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
