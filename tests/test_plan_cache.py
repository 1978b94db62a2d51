"""The on-disk plan cache (`graphflow/backends/plan_cache.py`): a second trace of the same graph
(another Function object, or another process) takes the optimized and fused graphs from disk,
binds them to its own Variables and computes the same values; damaged entries, source changes
and graphs holding other objects fall back to the passes."""
import glob
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import graphflow as tf
from graphflow.backends import plan_cache

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture
def cache_on(tmp_path, monkeypatch):
    monkeypatch.setenv("GRAPHFLOW_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("GRAPHFLOW_PLAN_CACHE", "1")
    return tmp_path


def make_step(seed, jit_compile):
    """(variables, one SGD step of a small ReLU regression) - the same source lines each time,
    so two calls give graphs of the same structure over different Variables."""
    rng = np.random.default_rng(seed)
    w = tf.Variable(rng.standard_normal((5, 4)).astype(np.float32))
    b = tf.Variable(np.zeros(4, np.float32))

    @tf.function(jit_compile=jit_compile)
    def step(x, y):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean((tf.nn.relu(tf.matmul(x, w) + b) - y) ** 2)
        gw, gb = tape.gradient(loss, [w, b])
        w.assign_sub(0.1 * gw)
        b.assign_sub(0.1 * gb)
        return loss
    return (w, b), step


def reference(w, b, x, y, steps):
    """The same steps in numpy: (losses, w, b)."""
    w, b, losses = w.copy(), b.copy(), []
    for _ in range(steps):
        z = x @ w + b
        h = np.maximum(z, 0)
        losses.append(np.mean((h - y) ** 2))
        g = 2 * (h - y) / h.size * (z > 0)
        w, b = w - 0.1 * (x.T @ g), b - 0.1 * g.sum(0)
    return losses, w, b


def train(seed, jit_compile, steps=3):
    """(variables, step, losses of `steps` calls): every trace is made from this one line (a
    parameter node records the line that called the function)."""
    x, y = data()
    variables, step = make_step(seed, jit_compile)
    return variables, step, [float(step(x, y)) for _ in range(steps)]


def data():
    rng = np.random.default_rng(7)
    return (rng.standard_normal((8, 5)).astype(np.float32),
            rng.standard_normal((8, 4)).astype(np.float32))


@pytest.mark.parametrize("jit_compile", [False, None])
def test_a_second_trace_hits_and_updates_its_own_variables(cache_on, jit_compile):
    x, y = data()
    s0 = dict(plan_cache.STATS)
    (w1, b1), step1, losses1 = train(0, jit_compile)
    assert plan_cache.STATS["stores"] == s0["stores"] + 1, plan_cache.STATS
    assert len(glob.glob(str(cache_on / "plans" / "*.plan"))) == 1
    w1_after = w1.numpy()
    rng = np.random.default_rng(1)      # make_step(1)'s initial values
    w2_0, b2_0 = rng.standard_normal((5, 4)).astype(np.float32), np.zeros(4, np.float32)
    (w2, b2), step2, losses2 = train(1, jit_compile)    # other Variables, other values
    assert plan_cache.STATS["hits"] == s0["hits"] + 1, plan_cache.STATS
    ref, rw, rb = reference(w2_0, b2_0, x, y, 3)
    np.testing.assert_allclose(losses2, ref, rtol=1e-5)
    np.testing.assert_allclose(w2.numpy(), rw, rtol=1e-5, atol=1e-6)   # its own Variables...
    np.testing.assert_allclose(b2.numpy(), rb, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(w1.numpy(), w1_after)                # ...not the first ones
    np.testing.assert_allclose(losses1, reference(
        np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32),
        np.zeros(4, np.float32), x, y, 3)[0], rtol=1e-5)
    # the stages are there on a hit too (the passes run again when asked for)
    cf1, cf2 = step1.get_concrete_function(x, y), step2.get_concrete_function(x, y)
    assert [n for n, _ in cf2.stages] == [n for n, _ in cf1.stages]
    assert cf2.stages[-1][1] is (cf2.optimized if jit_compile is False else
                                 cf2._executor.graph)
    assert cf2.pretty() == cf1.pretty()


def test_a_hit_skips_the_numba_lowering_too(cache_on, monkeypatch):
    from graphflow.backends.numba import plan as numba_plan
    calls = []
    real = numba_plan.lower_cluster
    monkeypatch.setattr(numba_plan, "lower_cluster", lambda *a, **k: calls.append(1) or real(
        *a, **k))
    x, y = data()
    _, step1, losses1 = train(0, None)
    cold = len(calls)
    assert cold > 0
    _, step2, losses2 = train(0, None)           # the same values: the same losses
    assert len(calls) == cold                    # kernel specs and sources from the entry
    np.testing.assert_allclose(losses2, losses1, rtol=1e-6)
    p1, p2 = step1.get_concrete_function(x, y)._executor, step2.get_concrete_function(x, y)._executor
    assert [getattr(st, "source", None) for st in p2.cluster_steps] == [
        getattr(st, "source", None) for st in p1.cluster_steps]
    # dtypes load as numpy's singletons (the backend compares them by identity): the in-place
    # SGD updates run after a hit as they do after the passes
    for g in (step2.get_concrete_function(x, y).optimized, p2.graph):
        assert all(d["dtype"] is np.dtype(d["dtype"].str) for _, d in g.nx.nodes(data=True))
    runs1 = [st.inplace_runs for st in p1.cluster_steps if st.inplace is not None]
    runs2 = [st.inplace_runs for st in p2.cluster_steps if st.inplace is not None]
    assert runs1 and runs2 == runs1 and all(runs1), (runs1, runs2)


def test_a_damaged_entry_is_deleted_and_the_passes_run(cache_on):
    x, y = data()
    train(0, False, steps=1)
    (path,) = glob.glob(str(cache_on / "plans" / "*.plan"))
    for damage in (lambda b: b[:len(b) // 2],                            # truncated
                   lambda b: b[:-10] + b"\xff" * 10,                     # flipped bytes
                   lambda b: b"not a plan"):
        with open(path, "rb") as f:
            blob = f.read()
        with open(path, "wb") as f:
            f.write(damage(blob))
        s0 = dict(plan_cache.STATS)
        _, _, (loss,) = train(3, False, steps=1)
        assert plan_cache.STATS["corrupt"] == s0["corrupt"] + 1
        assert plan_cache.STATS["stores"] == s0["stores"] + 1      # written again, whole
        w0 = np.random.default_rng(3).standard_normal((5, 4)).astype(np.float32)
        np.testing.assert_allclose(loss, reference(w0, np.zeros(4, np.float32), x, y, 1)[0][0],
                                   rtol=1e-5)
        assert os.path.exists(path)


def test_the_key_follows_the_graph_the_sources_and_the_settings(cache_on, tmp_path,
                                                                monkeypatch):
    x, y = data()
    _, step = make_step(0, False)
    traced = step.get_concrete_function(x, y).traced
    key, variables = plan_cache.structure_key(traced, "numpy")
    assert len(variables) == 2 and key == plan_cache.structure_key(traced, "numpy")[0]
    assert key != plan_cache.structure_key(traced, "numba")[0]
    # a constant's value is part of the graph
    g = traced.copy()
    c = next(n for n, d in g.nx.nodes(data=True) if d["op"] == "constant")
    g.nx.nodes[c]["attrs"] = dict(g.nx.nodes[c]["attrs"],
                                  value=np.asarray(g.nx.nodes[c]["attrs"]["value"]) + 1)
    assert plan_cache.structure_key(g, "numpy")[0] != key
    # graphflow's sources (size and modification time of every file) and GRAPHFLOW_* settings
    src = tmp_path / "pkg"
    (src / "sub").mkdir(parents=True)
    (src / "a.py").write_text("x = 1\n")
    (src / "sub" / "b.py").write_text("y = 2\n")
    d0 = plan_cache.source_digest(str(src))
    os.utime(src / "sub" / "b.py", ns=(1, 1))
    d1 = plan_cache.source_digest(str(src))
    (src / "a.py").write_text("x = 10\n")
    assert len({d0, d1, plan_cache.source_digest(str(src))}) == 3
    monkeypatch.setattr(plan_cache, "_FINGERPRINT", [None])
    monkeypatch.setenv("GRAPHFLOW_SOMETHING", "1")
    assert plan_cache.structure_key(traced, "numpy")[0] != key


def test_graphs_holding_other_objects_are_not_cached(cache_on):
    f = tf.function(lambda x: tf.numpy_function(lambda a: a * 2, [x], tf.float32) + 1.0,
                    jit_compile=False)
    s0 = dict(plan_cache.STATS)
    np.testing.assert_allclose(f(tf.constant([1.0, 2.0])).numpy(), [3.0, 5.0])
    assert plan_cache.STATS["uncacheable"] == s0["uncacheable"] + 1
    assert "PyFunc" in plan_cache.STATS["why"], plan_cache.STATS["why"]
    assert not glob.glob(str(cache_on / "plans" / "*.plan"))


def test_off_under_pytest_unless_asked(monkeypatch):
    monkeypatch.delenv("GRAPHFLOW_PLAN_CACHE", raising=False)
    assert not plan_cache.enabled()
    monkeypatch.setenv("GRAPHFLOW_PLAN_CACHE", "1")
    assert plan_cache.enabled()


CHILD = r"""
import json, sys
sys.path.insert(0, {root!r})
sys.path.insert(0, {tests!r})
import numpy as np
import graphflow as tf
from graphflow.backends import plan_cache
from graphflow.backends.numba import wait_all
from test_plan_cache import data, train
x, y = data()
(w, b), step, losses = train(0, None)
wait_all()
print("RESULT" + json.dumps({{"losses": losses, "stats": plan_cache.STATS,
                             "fingerprint": plan_cache.fingerprint(),
                             "w": w.numpy().tolist(),
                             "passes": step.get_concrete_function(x, y).timings["passes"]}}))
"""


def test_a_warm_process_hits(tmp_path):
    env = dict(os.environ, GRAPHFLOW_CACHE_DIR=str(tmp_path), GRAPHFLOW_PLAN_CACHE="1")
    code = CHILD.format(root=ROOT, tests=os.path.join(ROOT, "tests"))
    runs = []
    # (a source file edited meanwhile - a working tree others edit - changes the fingerprint:
    # then the next pair of runs counts)
    while len(runs) < 2 or runs[-1]["fingerprint"] != runs[-2]["fingerprint"] and len(runs) < 4:
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                             text=True, timeout=300)
        assert out.returncode == 0, out.stderr[-3000:]
        runs.append(json.loads([s for s in out.stdout.splitlines()
                                if s.startswith("RESULT")][-1][6:]))
    cold, warm = runs[-2:]
    assert cold["stats"]["stores"] == 1 and cold["stats"]["hits"] == 0, cold
    assert warm["stats"]["hits"] == 1 and warm["stats"]["stores"] == 0, warm
    # (the cold process ran its first calls on numpy while the kernels compiled: last bits)
    np.testing.assert_allclose(warm["losses"], cold["losses"], rtol=1e-5)
    np.testing.assert_allclose(warm["w"], cold["w"], rtol=1e-5, atol=1e-6)


def test_ops_of_one_factory_do_not_share_an_entry(cache_on):
    # reduce_max and reduce_sum share an impl's qualname (`_red.<locals>.fn`): two one-line
    # graphs traced from the same source line once got the same key (reduce_sum gave the max)
    x = tf.constant(np.arange(6.0).reshape(2, 3))
    fm = tf.function(lambda a: tf.reduce_max(a)); fs = tf.function(lambda a: tf.reduce_sum(a))  # noqa: E702
    assert float(fm(x)) == 5.0 and float(fs(x)) == 15.0
