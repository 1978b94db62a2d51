"""The numba plan's compiled step code kept next to its plan-cache entry (<key>.steps): a warm
start's plan compiles none of its generated steps and computes what the numpy executor does; a
damaged or foreign file is ignored."""
import builtins
import os

import numpy as np
import pytest

import graphflow as tf
from graphflow.backends.numba import plan as plan_mod


@pytest.fixture
def cache_on(tmp_path, monkeypatch):
    monkeypatch.setenv("GRAPHFLOW_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("GRAPHFLOW_PLAN_CACHE", "1")
    monkeypatch.setattr(plan_mod, "_KEPT_CHOICES", {})
    return tmp_path


def _make(jit_compile=None):
    rng = np.random.default_rng(5)
    w = tf.Variable(rng.standard_normal((6, 4)).astype(np.float32))
    b = tf.Variable(np.zeros(4, np.float32))

    @tf.function(jit_compile=jit_compile)
    def step(x, y):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
                labels=y, logits=tf.nn.relu(tf.matmul(x, w)) + b))
        gw, gb = tape.gradient(loss, [w, b])
        w.assign_sub(0.5 * gw)
        b.assign_sub(0.5 * gb)
        return loss
    return (w, b), step


def _data():
    rng = np.random.default_rng(6)
    return (rng.standard_normal((8, 6)).astype(np.float32),
            rng.integers(0, 4, 8).astype(np.int32))


def _train(step, n=4):
    """n calls, all from this one line (part of the plan-cache key)."""
    x, y = _data()
    return [float(step(x, y)) for _ in range(n)]


def _no_step_compiles(monkeypatch):
    real = builtins.compile

    def compile(src, filename, *a, **k):
        assert filename != "<graphflow-numba-step>", "a warm start compiled a step"
        return real(src, filename, *a, **k)
    monkeypatch.setattr(builtins, "compile", compile)


def test_a_warm_start_reads_its_compiled_steps(cache_on, monkeypatch):
    (w0, b0), eager_step = _make(jit_compile=False)            # the numpy executor
    want = _train(eager_step)
    _, cold = _make()
    np.testing.assert_allclose(_train(cold), want, rtol=1e-5)
    (side,) = [f for f in os.listdir(cache_on / "plans") if f.endswith(".steps")]
    n_steps = len(cold.get_concrete_function(*_data())._executor.steps)
    monkeypatch.setattr(plan_mod, "_STEP_CODE", {})            # as in a fresh process
    _no_step_compiles(monkeypatch)
    (w, b), warm = _make()
    np.testing.assert_allclose(_train(warm), want, rtol=1e-5)
    assert len(plan_mod._STEP_CODE) >= n_steps // 2            # read from the file
    np.testing.assert_allclose(w.numpy(), w0.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(b.numpy(), b0.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("damage", ["truncate", "other python", "not code"])
def test_a_damaged_steps_file_is_ignored(cache_on, monkeypatch, damage):
    _, cold = _make()
    want = _train(cold)
    (side,) = [cache_on / "plans" / f for f in os.listdir(cache_on / "plans")
               if f.endswith(".steps")]
    blob = side.read_bytes()
    head = plan_mod._STEP_CODE_FORMAT
    side.write_bytes({"truncate": blob[:len(head) + 10],
                      "other python": b"gf-step-code-1\n2.7.18\n" + blob[len(head):],
                      "not code": head + __import__("marshal").dumps({"def call": 1})}[damage])
    monkeypatch.setattr(plan_mod, "_STEP_CODE", {})
    assert plan_mod._load_step_code(str(side)) == set()
    _, warm = _make()
    np.testing.assert_allclose(_train(warm), want, rtol=1e-5)
    assert plan_mod._load_step_code(str(side))           # written again, readable
