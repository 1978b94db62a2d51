"""The per-call path of a compiled step: BLAS thread switches, raw gemm calls, in-place updates.

Values are checked against numpy; the thread counts against threadpoolctl's own view.
"""
import numpy as np
import pytest

import graphflow as tf
from graphflow.backends.numba import blas
from graphflow.blas_threads import SINGLE_BLAS, lib_controllers

pytestmark = pytest.mark.usefixtures("sync_compile_module")   # conftest: kernels compiled in the caller


def _blas_ctls():
    return [c for c in lib_controllers() if c.user_api == "blas"]


def test_single_blas_switch_is_counted_nested_and_restored():
    ctls = _blas_ctls()
    if not ctls:
        pytest.skip("threadpoolctl sees no BLAS library")
    saved = [c.get_num_threads() for c in ctls]
    try:
        for c in ctls:
            c.set_num_threads(2)
        with SINGLE_BLAS:
            assert [c.get_num_threads() for c in ctls] == [1] * len(ctls)
            with SINGLE_BLAS:
                assert [c.get_num_threads() for c in ctls] == [1] * len(ctls)
            # the inner exit keeps one thread while the outer user is inside
            assert [c.get_num_threads() for c in ctls] == [1] * len(ctls)
            a = np.arange(6.0).reshape(2, 3)
            np.testing.assert_array_equal(a @ a.T, [[5.0, 14.0], [14.0, 50.0]])
        assert [c.get_num_threads() for c in ctls] == [2] * len(ctls)
        assert SINGLE_BLAS.depth == 0
        # a count set by the user between switches is what the next exit restores
        for c in ctls:
            c.set_num_threads(1)
        with SINGLE_BLAS:
            pass
        assert [c.get_num_threads() for c in ctls] == [1] * len(ctls)
    finally:
        for c, k in zip(ctls, saved):
            c.set_num_threads(k)


def test_raw_gemm_accumulates_like_numpy_for_every_transpose_and_dtype():
    rng = np.random.default_rng(0)
    for dtype in (np.float32, np.float64):
        mm = blas.gemm(np.dtype(dtype))
        if mm is None:
            pytest.skip("numpy's BLAS exports no cblas gemm")
        for ta in (False, True):
            for tb in (False, True):
                a = rng.standard_normal((5, 3) if ta else (3, 5)).astype(dtype)
                b = rng.standard_normal((4, 5) if tb else (5, 4)).astype(dtype)
                a.flags.writeable = False          # e.g. a caller's constant: read-only
                c = rng.standard_normal((3, 4)).astype(dtype)
                want = c - 0.25 * ((a.T if ta else a) @ (b.T if tb else b))
                mm(-0.25, a, b, ta, tb, c)
                np.testing.assert_allclose(c, want, rtol=1e-5 if dtype == np.float32 else 1e-12)


def test_address_is_the_first_byte_for_views_and_read_only_arrays():
    x = np.arange(12, dtype=np.float32).reshape(3, 4)
    for v in (x, x[1:], x[2:, :]):
        assert blas.address(v) == v.ctypes.data
    r = x.copy()
    r.flags.writeable = False
    assert blas.address(r) == r.ctypes.data
    e = np.zeros(0, np.float32)                 # no byte to point at: numpy's own address
    assert blas.address(e) == e.ctypes.data


def test_inplace_update_with_a_read_only_input_matches_numpy():
    """The SGD update `w -= c * x^T @ d` in place by the raw gemm, with the caller's x
    read-only (its address through `x.ctypes.data`): values as numpy's, three calls in a row."""
    rng = np.random.default_rng(3)
    w0 = rng.standard_normal((64, 32)).astype(np.float32)
    w = tf.Variable(w0)
    xa = rng.standard_normal((16, 64)).astype(np.float32)
    xa.flags.writeable = False
    d = tf.constant(rng.standard_normal((16, 32)).astype(np.float32))

    @tf.function
    def sgd(x, d):
        w.assign_sub(0.1 * tf.matmul(x, d, transpose_a=True))
        return tf.reduce_sum(w)

    ref = w0.astype(np.float64)
    for _ in range(3):
        total = sgd(tf.constant(xa), d)
        ref = ref - 0.1 * (xa.astype(np.float64).T @ d.numpy().astype(np.float64))
        np.testing.assert_allclose(w.numpy(), ref, rtol=1e-4, atol=1e-4)
        np.testing.assert_allclose(float(total), ref.sum(), rtol=1e-4, atol=1e-2)
    plan = sgd.get_concrete_function(tf.constant(xa), d)._executor
    steps = [s for s in plan.cluster_steps if s.inplace is not None]
    assert steps and steps[0].inplace_runs >= 2


def test_a_plan_of_small_products_switches_blas_once_per_call():
    """Every product small (the tiny MLP step): the whole call runs with BLAS on one thread
    (one switch, `plan.small_products`), the generated matmul calls switch no more, and the
    values are the numpy executor's. A plan with a big product keeps per-product switches."""
    rng = np.random.default_rng(5)
    ws = [tf.Variable(rng.standard_normal(s).astype(np.float32) * 0.3)
          for s in ((16, 16), (16, 4))]
    x = tf.constant(rng.standard_normal((8, 16)).astype(np.float32))

    def step(x):
        h = tf.nn.relu(tf.matmul(x, ws[0]))
        loss = tf.reduce_sum(tf.square(tf.matmul(h, ws[1])))
        g0, g1 = tf.gradients(loss, ws)
        ws[0].assign_sub(0.01 * g0)
        ws[1].assign_sub(0.01 * g1)
        return loss

    start = [w.numpy().copy() for w in ws]
    f, ref = tf.function(step), tf.function(step, jit_compile=False)
    got = [float(f(x)) for _ in range(3)]
    after = [w.numpy().copy() for w in ws]
    for w, v in zip(ws, start):
        w.assign(v)
    want = [float(ref(x)) for _ in range(3)]
    np.testing.assert_allclose(got, want, rtol=1e-5)
    for w, v in zip(ws, after):
        np.testing.assert_allclose(w.numpy(), v, rtol=1e-5, atol=1e-6)
    plan = f.get_concrete_function(x)._executor
    assert plan.small_products and plan.blas_choice is None
    products = [st.call.__globals__["MM"] for st in plan.steps
                if "MM" in getattr(st.call, "__globals__", {})]
    assert products and all(mm is np.matmul for mm in products)   # no switch of their own
    depths = []
    first = plan._calls[0]
    plan._calls[0] = lambda vals: (depths.append(SINGLE_BLAS.depth), first(vals))
    try:
        f(x)
    finally:
        plan._calls[0] = first
    assert depths == [1] and SINGLE_BLAS.depth == 0

    big = tf.function(lambda a: tf.matmul(tf.matmul(a, a), a))
    a = tf.constant(np.ones((256, 256), np.float32))
    np.testing.assert_allclose(big(a).numpy(), np.full((256, 256), 256.0 ** 2), rtol=1e-6)
    assert not big.get_concrete_function(a)._executor.small_products


def test_kept_output_buffers_never_alias_what_a_caller_or_variable_holds():
    """A cluster step writes its internal outputs into last call's buffers only while nothing
    else references them: values returned, views the caller keeps of them, and values assigned
    to variables stay as they were when later calls run; every call equals the numpy
    executor."""
    rng = np.random.default_rng(7)
    v = tf.Variable(np.zeros((4, 6), np.float32))
    x0 = rng.standard_normal((4, 6)).astype(np.float32)

    def f(x):
        h = tf.tanh(x * 2.0) + 1.0          # internal value (kept buffer)
        s = tf.reduce_sum(h * h, axis=1)    # internal reduction (kept buffer)
        v.assign(h * 0.5)                   # a value a variable takes (never a kept buffer)
        return tf.exp(-h) * s[:, None], tf.reshape(h, (24,))   # returned: a view of h

    fc, fr = tf.function(f), tf.function(f, jit_compile=False)
    plan = fc.get_concrete_function(tf.constant(x0))._executor
    assert any("KEPT[" in getattr(st, "call_source", "") for st in plan.cluster_steps)
    outs, held = [], []
    for i in range(4):
        x = tf.constant(x0 + i)
        a, hv = fc(x)
        want_a, want_h = fr(x)
        np.testing.assert_allclose(a.numpy(), want_a.numpy(), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(hv.numpy(), want_h.numpy(), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(v.numpy(), want_h.numpy().reshape(4, 6) * 0.5, rtol=1e-5,
                                   atol=1e-6)
        outs.append((a, hv, a.numpy().copy(), hv.numpy().copy()))
        held.append((v.numpy(), v.numpy().copy()))
    for a, hv, a0, h0 in outs:                       # later calls did not write into them
        np.testing.assert_array_equal(a.numpy(), a0)
        np.testing.assert_array_equal(hv.numpy(), h0)
    for arr, copy in held:
        np.testing.assert_array_equal(arr, copy)


def test_kept_output_buffers_under_concurrent_calls():
    """Calls of one compiled function from several threads at once: each call's values are its
    own (a kept buffer is taken by one call at a time)."""
    import threading
    rng = np.random.default_rng(8)

    @tf.function
    def f(x):
        h = tf.sin(x) * 3.0 + x
        return tf.reduce_sum(h * h, axis=1) + tf.reduce_max(h, axis=1)

    xs = [rng.standard_normal((64, 32)).astype(np.float32) for _ in range(4)]

    def want(x):
        h = np.sin(x) * 3.0 + x
        return (h * h).sum(1) + h.max(1)
    f(tf.constant(xs[0]))
    plan = f.get_concrete_function(tf.constant(xs[0]))._executor
    assert any("KEPT[" in getattr(st, "call_source", "") for st in plan.cluster_steps)
    errors = []

    def worker(x):
        try:
            for _ in range(30):
                np.testing.assert_allclose(f(tf.constant(x)).numpy(), want(x), rtol=1e-4,
                                           atol=1e-4)
        except Exception as e:        # pragma: no cover - reported below
            errors.append(e)
    threads = [threading.Thread(target=worker, args=(x,)) for x in xs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[0]


def test_numpy_node_steps_call_the_op_table_impl_with_bound_attributes():
    """A plan's numpy node steps (ops with attributes: variable reads, one_hot, transpose,
    the label check) call the op table's impl directly, attributes bound in the generated
    source: values as the numpy executor's, and an error still names the op and the line."""
    v = tf.Variable(np.arange(6, dtype=np.float32).reshape(2, 3))

    def f(labels, x):
        oh = tf.one_hot(labels, 3, on_value=2.0, off_value=-1.0)
        loss = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=x)
        return tf.transpose(oh) + tf.reduce_sum(v), loss

    fc, fr = tf.function(f), tf.function(f, jit_compile=False)
    labels = tf.constant(np.array([0, 2], np.int32))
    x = tf.constant(np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 2.0]], np.float32))
    for a, b in zip(fc(labels, x), fr(labels, x)):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-6)
    plan = fc.get_concrete_function(labels, x)._executor
    direct = [st for st in plan.steps if st.kind == "node" and "IMPL" in st.call.__globals__]
    assert {st.d["op"] for st in direct} >= {"read_variable", "check_labels"}
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"check_labels .*traced at .*label value of 7"):
        fc(tf.constant(np.array([0, 7], np.int32)), x)


def test_outputs_over_keep_bytes_are_allocated_fresh(monkeypatch):
    """An internal output bigger than KEEP_BYTES is not kept between calls (a kept buffer
    stays allocated for as long as the plan lives)."""
    from graphflow.backends.numba import plan as plan_mod

    def f(x):
        h = tf.tanh(x) * 2.0
        return tf.reduce_sum(h * h, axis=0) + tf.reduce_max(h, axis=0)

    x = np.linspace(-2, 2, 64, dtype=np.float32).reshape(4, 16)
    h = np.tanh(x) * 2
    kept = []
    for cap in (plan_mod.KEEP_BYTES, 16 * 4 - 1):       # below one (16,) float32 output
        monkeypatch.setattr(plan_mod, "KEEP_BYTES", cap)
        fc = tf.function(f)
        np.testing.assert_allclose(fc(tf.constant(x)).numpy(), (h * h).sum(0) + h.max(0),
                                   rtol=1e-5)
        plan = fc.get_concrete_function(tf.constant(x))._executor
        kept.append(any("KEPT[" in getattr(st, "call_source", "") for st in plan.cluster_steps))
    assert kept == [True, False]
