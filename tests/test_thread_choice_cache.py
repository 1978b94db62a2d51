"""A plan's thread choice kept with its plan-cache entry (blas_choice.save/load/seed,
NumbaPlan.keep_thread_choice): a warm start starts in the saved mode without probing, a record
from another core count is ignored, and the choice still adapts from there."""
import json
import os

import numpy as np
import pytest

import graphflow as tf
from graphflow.backends.numba import blas_choice
from graphflow.backends.numba import plan as plan_mod
from graphflow.backends.numba.blas_choice import BlasChoice
from test_numba_blas_choice import _IDLE as _idle, _drive


def test_a_seeded_choice_skips_the_probe_and_still_switches():
    c = BlasChoice(busy=_idle)
    c.seed({"single": False, "cost": {True: 0.002, False: 0.001}})
    assert c.phase == 2 and not c.single
    assert c.cost(False) == 0.001 and c.cost(True) == 0.002
    # the load arrived: all cores now cost 30 ms a call, one thread still 2 ms
    used = _drive(c, lambda single, i: 0.002 if single else 0.030, 40)
    assert used[0] is False              # the first call runs in the saved mode (no probe)
    assert c.single and sum(not u for u in used) <= 4     # back on one thread at once
    # reset() (the plan's kernels became ready) starts from the seed again
    c.reset()
    assert c.phase == 2 and not c.single and c.times[True] == [0.002]


def test_a_seeded_all_cores_choice_starts_on_one_thread_while_no_core_is_idle():
    c = BlasChoice(busy=lambda: True)
    c.seed({"single": False, "cost": {True: 0.002, False: 0.001}})
    assert c.single and c.phase == 2


def test_save_and_load_follow_the_core_count(tmp_path, monkeypatch):
    path = str(tmp_path / "p.threads")
    monkeypatch.setenv("GRAPHFLOW_NUM_THREADS", "2")
    c = BlasChoice(busy=_idle)
    _drive(c, lambda single, i: 0.004 if single else 0.001, 3)
    assert not c.single
    blas_choice.save(path, c.saved())
    got = blas_choice.load(path)
    assert got == {"single": False, "cost": {True: 0.004, False: 0.001}}
    monkeypatch.setenv("GRAPHFLOW_NUM_THREADS", "1")    # another core count: measure again
    assert blas_choice.load(path) is None
    monkeypatch.setenv("GRAPHFLOW_NUM_THREADS", "2")
    data = json.loads(open(path).read())
    data["cores"][1] += 1                                  # another machine's CPU count
    open(path, "w").write(json.dumps(data))
    assert blas_choice.load(path) is None
    open(path, "w").write("{not json")
    assert blas_choice.load(path) is None
    assert blas_choice.load(str(tmp_path / "missing.threads")) is None
    assert BlasChoice(busy=_idle).saved() is None          # nothing measured: nothing saved


def _mlp_step():
    rng = np.random.default_rng(3)
    w1 = tf.Variable(rng.standard_normal((256, 256)).astype(np.float32) * 0.05)
    w2 = tf.Variable(rng.standard_normal((256, 10)).astype(np.float32) * 0.05)

    @tf.function
    def step(x):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.matmul(tf.nn.relu(tf.matmul(x, w1)), w2) ** 2)
        g1, g2 = tape.gradient(loss, [w1, w2])
        w1.assign_sub(0.1 * g1)
        w2.assign_sub(0.1 * g2)
        return loss
    return step


def _calls(step, x, n):
    """n calls of `step`, all made from this one line (a trace's parameters record the line
    that called the function: part of the plan-cache key)."""
    return [float(step(x)) for _ in range(n)]


def test_a_warm_start_takes_the_saved_choice(tmp_path, monkeypatch):
    from graphflow.blas_threads import SINGLE_BLAS
    if not any(c.get_num_threads() > 1 for c in SINGLE_BLAS.controllers()):
        pytest.skip("BLAS runs on one thread here: no choice to make")
    monkeypatch.setenv("GRAPHFLOW_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("GRAPHFLOW_PLAN_CACHE", "1")
    monkeypatch.setattr(plan_mod, "_KEPT_CHOICES", {})
    x = np.random.default_rng(4).standard_normal((128, 256)).astype(np.float32)
    step = _mlp_step()
    first = _calls(step, x, 2)
    plan = step.get_concrete_function(x)._executor
    plan.wait()
    _calls(step, x, 6)
    assert plan.blas_choice is not None and plan.blas_choice.phase == 2
    # pretend this process measured all cores faster (the machine's load decides otherwise)
    plan.blas_choice.single = False
    plan.blas_choice.times = {True: [0.003], False: [0.001]}
    plan_mod._save_thread_choices()                 # (what the process does at its exit)
    (side,) = [f for f in os.listdir(tmp_path / "plans") if f.endswith(".threads")]
    assert json.loads((tmp_path / "plans" / side).read_text())["single"] is False

    again = _mlp_step()                             # same code: a plan-cache hit
    got = _calls(again, x, 2)
    np.testing.assert_allclose(got, first, rtol=1e-5)   # same values as the first process's
    choice = again.get_concrete_function(x)._executor.blas_choice
    assert choice is not None and choice.phase == 2 and choice.seeded is not None
    assert choice.seeded == {"single": False, "cost": {True: 0.003, False: 0.001}}


def test_a_saved_one_thread_choice_runs_the_first_call_on_one_thread(monkeypatch):
    from graphflow.blas_threads import SINGLE_BLAS
    monkeypatch.setattr(plan_mod, "no_idle_core", lambda: False)     # an idle machine
    rng = np.random.default_rng(8)
    a = rng.standard_normal((128, 256)).astype(np.float32)
    b = rng.standard_normal((256, 160)).astype(np.float32)
    f = tf.function(lambda x, w: tf.nn.relu(tf.matmul(x, w)) - 0.5)
    plan = f.get_concrete_function(a, b)._executor
    assert plan.blas_choice is not None and plan._first
    plan.blas_choice.seed({"single": True, "cost": {True: 0.001, False: 0.004}})
    depths, first = [], plan._calls[0]
    plan._calls[0] = lambda vals: (depths.append(SINGLE_BLAS.depth), first(vals))
    np.testing.assert_allclose(f(a, b).numpy(), np.maximum(a @ b, 0) - 0.5, rtol=1e-5, atol=1e-4)
    assert depths == [1]
