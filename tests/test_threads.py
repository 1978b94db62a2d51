"""The trace state is per thread (and per asyncio task): tracing a `@function` in one thread never
captures another thread's eager ops, and tapes / accumulators only see their own thread's ops.

Every wait is bounded, and every test body runs in a daemon thread joined with a timeout, so a
deadlock fails the test instead of hanging the suite.
"""
import asyncio
import collections
import sys
import threading

import numpy as np
import pytest

import graphflow as tf
from graphflow import state as _state
from graphflow.autodiff import ForwardAccumulator

TIMEOUT = 10.0   # seconds; the tests take a fraction of that


def run_bounded(fn, *args, timeout=TIMEOUT, name="worker"):
    """fn(*args) in a daemon thread; its result, or its exception re-raised; fails on timeout."""
    box = {}

    def body():
        try:
            box["value"] = fn(*args)
        except BaseException as e:   # noqa: BLE001 - handed to the test thread
            box["error"] = e

    t = threading.Thread(target=body, name=name, daemon=True)
    t.start()
    t.join(timeout)
    assert not t.is_alive(), f"{name} did not finish within {timeout} s (deadlock?)"
    if "error" in box:
        raise box["error"]
    return box.get("value")


def _is_eager(t):
    return type(t) is tf.Tensor and not hasattr(t, "_graph")


# ---------------------------------------------------------------- the case
def test_eager_op_in_another_thread_while_tracing():
    in_trace, release = threading.Event(), threading.Event()

    @tf.function(jit_compile=False)
    def f(x):
        y = x * 2.0
        in_trace.set()
        assert release.wait(TIMEOUT), "never released"
        return y + 1.0

    def thread_a():
        return f(tf.constant([1., 2.]))

    def thread_b():
        assert in_trace.wait(TIMEOUT), "thread A never started tracing"
        st = _state.current()
        assert st.graph is None and st.tapes == () and st.idle
        out = tf.constant([1., 2.]) * 3.0
        assert _is_eager(out), f"an eager op in thread B gave {type(out).__name__}"
        np.testing.assert_array_equal(out.numpy(), [3., 6.])
        return out

    box = {}
    a = threading.Thread(target=lambda: box.setdefault("a", thread_a()), daemon=True)
    a.start()
    try:
        b_out = run_bounded(thread_b, name="thread B")   # runs while A is inside the trace
        assert a.is_alive() and not release.is_set()     # (A was still tracing)
    finally:
        release.set()
        a.join(TIMEOUT)
    assert not a.is_alive(), "thread A did not finish"
    np.testing.assert_array_equal(box["a"].numpy(), [3., 5.])
    np.testing.assert_array_equal(b_out.numpy(), [3., 6.])

    # A's graph holds exactly A's ops: x * 2 + 1, nothing of B's `* 3`
    nodes = [d for _, d in f.get_concrete_function(tf.constant([1., 2.])).traced.nx.nodes(data=True)]
    ops = sorted(d["op"] for d in nodes)
    assert ops == ["add", "constant", "constant", "multiply", "parameter"], ops
    consts = sorted(float(d["attrs"]["value"]) for d in nodes if d["op"] == "constant")
    assert consts == [1.0, 2.0]
    assert f.experimental_get_tracing_count() == 1


def test_tape_and_accumulator_in_another_thread_while_tracing():
    """A tape / accumulator opened in thread B while A traces sees B's ops only, and A's graph
    gets no tangent or gradient nodes from them."""
    in_trace, release = threading.Event(), threading.Event()

    @tf.function(jit_compile=False)
    def f(x):
        in_trace.set()
        assert release.wait(TIMEOUT), "never released"
        return tf.sin(x)

    def thread_b():
        assert in_trace.wait(TIMEOUT)
        x = tf.constant([0.5, 1.0], tf.float64)
        with ForwardAccumulator(x, tf.constant([1., 1.], tf.float64)) as acc:
            with tf.GradientTape() as tape:
                tape.watch(x)
                y = tf.reduce_sum(tf.exp(x))
            g = tape.gradient(y, x)
        np.testing.assert_allclose(g.numpy(), np.exp([.5, 1.]))
        np.testing.assert_allclose(acc.jvp(g).numpy(), np.exp([.5, 1.]))
        return True

    a = threading.Thread(target=lambda: f(tf.constant([1., 2.])), daemon=True)
    a.start()
    try:
        assert run_bounded(thread_b, name="thread B")
    finally:
        release.set()
        a.join(TIMEOUT)
    assert not a.is_alive()
    nodes = [d for _, d in f.get_concrete_function(tf.constant([1., 2.])).traced.nx.nodes(data=True)]
    assert sorted(d["op"] for d in nodes) == ["parameter", "sin"]
    assert all(not d["tags"] for d in nodes)


# ---------------------------------------------------------------- many threads at once
N_THREADS, N_ITER = 4, 20
SHARED = tf.function(lambda x: tf.reduce_sum(tf.sin(x) * x), jit_compile=False)


def _make_traced(scale):
    @tf.function(jit_compile=False)
    def traced(x, v):
        with ForwardAccumulator(x, v) as acc:
            with tf.GradientTape() as tape:
                tape.watch(x)
                y = tf.reduce_sum(tf.sin(x) * x) * scale
            g = tape.gradient(y, x)
        return y, g, acc.jvp(y), acc.jvp(g)
    return traced


def _op_counts(nodes):
    return collections.Counter(d["op"] for d in nodes)


def _worker(k, barrier, ref_ops):
    """One thread: tracing, eager ops, tapes and accumulators, each checked against numpy."""
    barrier.wait(TIMEOUT)
    rng = np.random.default_rng(k)
    n = 2 + k % 2                  # threads 0/2 and 1/3 share SHARED's signatures
    for it in range(N_ITER):
        xv, vv = rng.standard_normal(n), rng.standard_normal(n)
        x, v = tf.constant(xv), tf.constant(vv)
        want_y = np.sum(np.sin(xv) * xv)
        want_g = np.cos(xv) * xv + np.sin(xv)

        # eager
        e = x * 3.0 + float(k)
        assert _is_eager(e)
        np.testing.assert_allclose(e.numpy(), xv * 3 + k, rtol=1e-15)

        # a Function shared by all threads (traced concurrently on first use)
        np.testing.assert_allclose(float(SHARED(x)), want_y, rtol=1e-12)

        # a fresh Function per iteration: traced here while the other threads run, with a
        # tape and an accumulator inside the trace
        scale = 1.001 + 0.01 * (k * N_ITER + it)
        traced = _make_traced(scale)
        y, g, jy, hv = traced(x, v)
        np.testing.assert_allclose(float(y), want_y * scale, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(g.numpy(), want_g * scale, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(float(jy), want_g @ vv * scale, rtol=1e-12, atol=1e-12)
        hdiag = 2 * np.cos(xv) - xv * np.sin(xv)
        np.testing.assert_allclose(hv.numpy(), hdiag * vv * scale, rtol=1e-12, atol=1e-12)
        # exactly this trace's ops: same op counts as the reference traced alone, and the only
        # constant is this iteration's scale (no other thread's `x * 3.0` etc.)
        nodes = [d for _, d in traced.get_concrete_function(x, v).traced.nx.nodes(data=True)]
        assert _op_counts(nodes) == ref_ops, f"thread {k}, iteration {it}: {_op_counts(nodes)}"
        consts = [float(d["attrs"]["value"]) for d in nodes if d["op"] == "constant"]
        assert consts == [scale], f"thread {k}: constants {consts} in my graph"

        # eager tape and accumulator
        with tf.GradientTape() as tape:
            tape.watch(x)
            with ForwardAccumulator(x, v) as acc:
                y = tf.reduce_sum(tf.sin(x) * x)
            jv = acc.jvp(y)
        np.testing.assert_allclose(float(jv), want_g @ vv, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(tape.gradient(jv, x).numpy(), hdiag * vv, rtol=1e-12,
                                   atol=1e-12)
        st = _state.current()
        assert st.graph is None and st.tapes == () and st.idle, f"thread {k}: leaked {st}"
    return k


# (concurrent first calls of SHARED may trace a signature twice and warn about retracing: see
# test_concurrent_first_calls_trace_a_signature_once)
def test_tracing_eager_tapes_and_accumulators_from_many_threads():
    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)   # switch threads often: more interleavings
    try:
        _many_threads()
    finally:
        sys.setswitchinterval(switch)


def _many_threads():
    barrier = threading.Barrier(N_THREADS)
    threads, results = [], {}
    # the reference trace, made alone (the op counts do not depend on the length of x)
    x = tf.constant([1., 2.], tf.float64)
    ref_ops = _op_counts(d for _, d in
                         _make_traced(0.5).get_concrete_function(x, x).traced.nx.nodes(data=True))

    def run(k):
        try:
            results[k] = _worker(k, barrier, ref_ops)
        except BaseException as e:   # noqa: BLE001
            results[k] = e
            barrier.abort()

    for k in range(N_THREADS):
        t = threading.Thread(target=run, args=(k,), name=f"worker-{k}", daemon=True)
        threads.append(t)
        t.start()
    for t in threads:
        t.join(4 * TIMEOUT)
    assert not any(t.is_alive() for t in threads), "a worker did not finish (deadlock?)"
    errors = {k: r for k, r in results.items() if isinstance(r, BaseException)}
    if errors:
        raise next(iter(errors.values()))
    assert results == {k: k for k in range(N_THREADS)}
    assert SHARED.experimental_get_tracing_count() == 2   # one per signature


def test_concurrent_first_calls_trace_a_signature_once():
    """First calls of one signature from two threads: one traces it (a lock, as TF's
    Function), the other waits and reuses the trace."""
    entered, second = [], threading.Event()
    barrier = threading.Barrier(2)

    @tf.function(jit_compile=False)
    def f(x):
        entered.append(threading.current_thread().name)
        if len(entered) == 1:
            second.wait(1.0)   # time for the other thread to enter the trace too, if it can
        else:
            second.set()
        return x * 2.0

    def call():
        barrier.wait(TIMEOUT)
        return f(tf.constant([1., 2.])).numpy()

    outs = [None, None]
    threads = [threading.Thread(target=lambda i=i: outs.__setitem__(i, call()), daemon=True)
               for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(TIMEOUT)
    assert not any(t.is_alive() for t in threads)
    for o in outs:
        np.testing.assert_array_equal(o, [2., 4.])
    assert f.experimental_get_tracing_count() == 1
    assert len(entered) == 1, f"traced {len(entered)} times: {f.retrace_log()}"


# ---------------------------------------------------------------- asyncio tasks
def test_asyncio_tasks_do_not_see_each_others_tapes():
    async def main():
        opened = {"a": asyncio.Event(), "b": asyncio.Event()}
        done = {"a": asyncio.Event(), "b": asyncio.Event()}
        shared = {}

        async def task(me, other, x, k):
            with tf.GradientTape(persistent=True) as tape:
                tape.watch(x)
                opened[me].set()
                await opened[other].wait()        # both tapes are open now
                assert _state.current().tapes == (tape,)
                y = tf.sin(x) * k
                await asyncio.sleep(0)            # let the other task run ops
                y = y * x
                assert _state.current().tapes == (tape,)
            shared[me] = (tape, x, y)
            done[me].set()
            await done[other].wait()
            g = tape.gradient(y, x)
            # my tape never saw the other task's ops
            _, ox, oy = shared[other]
            assert tape.gradient(oy, ox) is None
            return g

        async def forward_task(me, other, x, v):
            with ForwardAccumulator(x, v) as acc:
                opened[me].set()
                await opened[other].wait()
                assert _state.current().tapes == (acc,)
                y = tf.exp(x)
                await asyncio.sleep(0)
                y = y * x
            shared[me] = (acc, x, y)
            done[me].set()
            await done[other].wait()
            assert acc.jvp(shared["a"][2]) is None   # the tape task's value: not tracked here
            return acc.jvp(y)

        xa = tf.constant([0.3, 0.6], tf.float64)
        xb = tf.constant([0.2, -0.4], tf.float64)
        vb = tf.constant([1.0, 2.0], tf.float64)
        ga, jb = await asyncio.wait_for(
            asyncio.gather(task("a", "b", xa, 2.0), forward_task("b", "a", xb, vb)), TIMEOUT)
        assert _state.current().idle
        return ga, jb

    ga, jb = run_bounded(asyncio.run, main(), name="event loop")
    xa, xb = np.array([0.3, 0.6]), np.array([0.2, -0.4])
    np.testing.assert_allclose(ga.numpy(), 2 * (np.cos(xa) * xa + np.sin(xa)), rtol=1e-12)
    np.testing.assert_allclose(jb.numpy(), np.exp(xb) * (xb + 1) * [1, 2], rtol=1e-12)


def test_asyncio_two_tape_tasks():
    """Two tasks with tapes interleaving op by op: each gradient is its own."""
    async def task(x, k, n):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = x
            for _ in range(n):
                y = y * k
                await asyncio.sleep(0)
        return tape.gradient(y, x)

    async def main():
        x1, x2 = tf.constant(1.0, tf.float64), tf.constant(1.0, tf.float64)
        return await asyncio.wait_for(asyncio.gather(task(x1, 2.0, 5), task(x2, 3.0, 4)),
                                      TIMEOUT)

    g1, g2 = run_bounded(asyncio.run, main(), name="event loop")
    assert float(g1) == 32.0 and float(g2) == 81.0
