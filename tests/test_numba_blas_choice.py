"""The numba plan's BLAS thread choice (graphflow.backends.numba.blas_choice): the mode that
measures faster wins, a losing trial costs ever less, and the plan's results do not depend on it."""
import os

import numpy as np
import pytest

import graphflow as tf
from graphflow.backends.numba import blas_choice
from graphflow.backends.numba.blas_choice import BlasChoice


def _IDLE():
    return False        # an idle machine: trials on all cores are never skipped


def _drive(choice, cost, calls):
    """Run `calls` calls whose time is cost(single, i); the list of modes used."""
    used = []
    for i in range(calls):
        single = choice.begin()
        used.append(single)
        choice.end(single, cost(single, i))
    return used


def test_loaded_machine_picks_one_thread_and_trials_get_rarer():
    c = BlasChoice(busy=_IDLE)
    used = _drive(c, lambda single, i: 0.005 if single else 0.250, 2000)
    assert used[:2] == [False, True] and c.single
    trials = [i for i, s in enumerate(used[2:]) if not s]
    gaps = np.diff(trials)
    assert len(trials) <= 10 and all(b >= a for a, b in zip(gaps, gaps[1:]))
    assert gaps[-1] >= 256


def test_quiet_machine_keeps_blas_threads():
    c = BlasChoice(busy=_IDLE)
    used = _drive(c, lambda single, i: 0.0013 if single else 0.0010, 300)
    # trials of the losing mode cost ~TRIAL_BUDGET of the time (the probe's call aside)
    assert not c.single and 0.0003 * (sum(used) - 1) <= 0.015 * 0.001 * 300


def test_trials_follow_a_load_that_went_away():
    # all cores 5 ms under load (one thread 2 ms), then 1.2 ms once the load is gone: a fast
    # trial is retried on the next calls until the mode's window holds only such calls
    c = BlasChoice(busy=_IDLE)
    _drive(c, lambda single, i: 0.002 if single else 0.005, 300)
    assert c.single
    used = _drive(c, lambda single, i: 0.002 if single else 0.0012, 300)
    assert not c.single and used.index(False) < 200
    assert used[-100:].count(True) <= 5


def test_rare_stalls_count_and_load_changes_are_followed():
    # BLAS's threads: 1 ms, but a 100 ms stall every 4th call -> mean 26 ms > one thread's 2 ms
    c = BlasChoice(busy=_IDLE)
    _drive(c, lambda single, i: 0.002 if single else (0.1 if i % 4 == 3 else 0.001), 200)
    assert c.single
    # the load goes away: one thread stays at 2 ms, BLAS's threads now 1 ms: a trial switches
    _drive(c, lambda single, i: 0.002 if single else 0.001, 3000)
    assert not c.single and c.switches >= 2


def test_fixed_setting(monkeypatch):
    monkeypatch.setenv("GRAPHFLOW_PLAN_THREADS", "single")
    c = BlasChoice(busy=_IDLE)
    assert _drive(c, lambda single, i: 1.0 if single else 0.001, 50) == [True] * 50
    assert "GRAPHFLOW_PLAN_THREADS" in c.describe()


def test_plan_with_big_matmul_chooses_and_results_match():
    from graphflow.blas_threads import SINGLE_BLAS
    if not any(c.get_num_threads() > 1 for c in SINGLE_BLAS.controllers()):
        pytest.skip("BLAS runs on one thread here: no choice to make")
    rng = np.random.default_rng(0)
    a = rng.standard_normal((128, 256)).astype(np.float32)
    b = rng.standard_normal((256, 160)).astype(np.float32)       # 5.2M multiply-adds

    @tf.function
    def f(x, w):
        return tf.nn.relu(tf.matmul(x, w)) + 1.0
    want = np.maximum(a @ b, 0) + 1
    np.testing.assert_allclose(f(a, b).numpy(), want, rtol=1e-5, atol=1e-4)
    cf = f.get_concrete_function(a, b)
    plan = cf._executor
    plan.wait()   # the choice starts once the kernels run (a cold compile may take a while)
    for _ in range(12):
        np.testing.assert_allclose(f(a, b).numpy(), want, rtol=1e-5, atol=1e-4)
    assert plan.blas_choice is not None and plan.blas_choice.phase == 2
    assert "threads:" in plan.report()
    small = tf.function(lambda x, w: tf.matmul(x, w))
    small(a[:4, :8], b[:8, :4])
    assert small.get_concrete_function(a[:4, :8], b[:8, :4])._executor.blas_choice is None
    assert blas_choice.FIRST_INTERVAL <= blas_choice.MAX_INTERVAL


def test_no_choice_when_blas_has_one_thread():
    from graphflow.blas_threads import SINGLE_BLAS
    rng = np.random.default_rng(1)
    a = rng.standard_normal((128, 256)).astype(np.float32)
    b = rng.standard_normal((256, 160)).astype(np.float32)
    f = tf.function(lambda x, w: tf.matmul(x, w) * 2.0)
    with SINGLE_BLAS:         # BLAS is on one thread from the plan's first ready call on
        f(a, b)
        plan = f.get_concrete_function(a, b)._executor
        plan.wait()
        plan._blas_ready = False
        SINGLE_BLAS.depth, depth = 0, SINGLE_BLAS.depth     # as if it were the process setting
        try:
            for _ in range(3):
                np.testing.assert_allclose(f(a, b).numpy(), 2 * (a @ b), rtol=1e-5, atol=1e-4)
        finally:
            SINGLE_BLAS.depth = depth
    assert plan.blas_choice is None and "threads:" not in plan.report()


@pytest.mark.parametrize("mode", ["single", "multi"])
def test_chunk_pool_kernels_give_the_same_values_on_one_thread(monkeypatch, mode):
    """A plan whose kernels run on the chunk pool (elementwise and split reduction) computes
    the same values on one thread (`parallel.ONE_THREAD`) as on all cores."""
    monkeypatch.setenv("GRAPHFLOW_PLAN_THREADS", mode)
    x = np.random.default_rng(2).standard_normal(1 << 19).astype(np.float32)
    want = np.exp(x.astype(np.float64))             # vmath's exp is within 1 ulp of it

    @tf.function
    def f(v):
        return tf.exp(v), tf.reduce_sum(tf.tanh(v))
    for _ in range(3):   # before the kernels are ready these run numpy's float32 exp (2 ulp)
        e, s = f(x)
        np.testing.assert_allclose(e.numpy(), want, rtol=2.5e-7)
        np.testing.assert_allclose(float(s), np.tanh(x.astype(np.float64)).sum(), rtol=1e-5)
    plan = f.get_concrete_function(x)._executor
    plan.wait()
    e, s = f(x)
    np.testing.assert_allclose(e.numpy(), want, rtol=1.2e-7)
    if any(getattr(st, "parallel", False) for st in plan.cluster_steps):
        assert plan.blas_choice is not None and plan.blas_choice.single == (mode == "single")


def test_no_call_on_all_cores_while_no_core_is_idle():
    """While other threads take the cores, neither the probe nor a trial runs on all cores
    (each would wait for a time slice: 25-130 ms against ~1.5 ms for the MLP step on a loaded
    2-core machine); once a core is idle again, the trials resume and a faster mode wins."""
    load = [True]
    c = BlasChoice(busy=lambda: load[0])
    used = _drive(c, lambda single, i: 0.002 if single else 0.001, 200)
    assert all(used) and c.single and c.skipped >= 200 // blas_choice.FIRST_INTERVAL - 1
    assert c.interval == blas_choice.FIRST_INTERVAL      # skipped trials do not count as lost
    load[0] = False
    used = _drive(c, lambda single, i: 0.002 if single else 0.001, 40)
    assert not c.single and not all(used)
    assert "skipped: no idle core" in c.describe()


def test_busy_reads_the_running_count(monkeypatch):
    """busy(): other runnable threads (the reader excluded) against the usable cores."""
    monkeypatch.setenv("GRAPHFLOW_NUM_THREADS", "2")
    monkeypatch.setattr(blas_choice, "os", _FakeOs(cpu_count=2))
    for running, want in ((1, False), (2, True), (5, True)):
        monkeypatch.setattr(blas_choice, "others_running", lambda r=running: r - 1)
        assert blas_choice.busy() is want
    monkeypatch.setattr(blas_choice, "others_running", lambda: None)   # no /proc: never busy
    assert blas_choice.busy() is False
    monkeypatch.setenv("GRAPHFLOW_NUM_THREADS", "8")
    monkeypatch.setattr(blas_choice, "os", _FakeOs(cpu_count=8))
    monkeypatch.setattr(blas_choice, "others_running", lambda: 3)
    assert blas_choice.busy() is False
    # 2 of a 64-CPU machine's cores: 40 runnable threads put ~1.25 on them (busy), 20 ~0.6 (not)
    monkeypatch.setenv("GRAPHFLOW_NUM_THREADS", "2")
    monkeypatch.setattr(blas_choice, "os", _FakeOs(cpu_count=64))
    for running, want in ((20, False), (40, True)):
        monkeypatch.setattr(blas_choice, "others_running", lambda r=running: r)
        assert blas_choice.busy() is want


def test_own_runnable_threads_are_not_others():
    """others_running() leaves this process's own runnable threads out (e.g. OpenBLAS's idle
    workers spinning after a threaded product): a thread of ours inside a long numpy call (the
    GIL released: runnable) shows in own_running(), not as another process's thread."""
    import threading
    from graphflow import blas_threads
    if not os.path.exists("/proc/self/task"):
        pytest.skip("no /proc")
    x = np.ones(1 << 20, np.float32)
    stop, seen = threading.Event(), []
    started = threading.Event()

    def spin():
        started.set()
        while not stop.is_set():
            np.sqrt(x, out=x)
    t = threading.Thread(target=spin, daemon=True)
    t.start()
    try:
        started.wait(5)
        for _ in range(200):
            seen.append(blas_threads.own_running())
            if seen[-1] >= 2:
                break
    finally:
        stop.set()
        t.join(5)
    assert max(seen) >= 2 and min(seen) >= 1
    real = blas_threads.own_running
    blas_threads.own_running = lambda: 1 << 20     # everything runnable is ours: none others
    try:
        assert blas_threads.others_running() in (0, None)
    finally:
        blas_threads.own_running = real


class _FakeOs:
    def __init__(self, cpu_count):
        self.n = cpu_count

    def cpu_count(self):
        return self.n

    def __getattr__(self, name):
        return getattr(os, name)


@pytest.mark.parametrize("busy", [True, False])
def test_first_call_runs_on_one_thread_while_no_core_is_idle(monkeypatch, busy):
    """A plan's first call (before any timing) uses one thread when no core is idle, and all
    of BLAS's threads otherwise; the values are the same."""
    from graphflow.backends.numba import plan as plan_mod
    from graphflow.blas_threads import SINGLE_BLAS
    monkeypatch.setattr(plan_mod, "no_idle_core", lambda: busy)
    rng = np.random.default_rng(3)
    a = rng.standard_normal((128, 256)).astype(np.float32)
    b = rng.standard_normal((256, 160)).astype(np.float32)
    f = tf.function(lambda x, w: tf.nn.relu(tf.matmul(x, w)) - 0.5)
    plan = f.get_concrete_function(a, b)._executor
    assert plan.blas_choice is not None and plan._first
    depths, first = [], plan._calls[0]
    plan._calls[0] = lambda vals: (depths.append(SINGLE_BLAS.depth), first(vals))
    np.testing.assert_allclose(f(a, b).numpy(), np.maximum(a @ b, 0) - 0.5, rtol=1e-5, atol=1e-4)
    assert depths == [1 if busy else 0]
