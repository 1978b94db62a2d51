"""The kernel cache: in memory per structure, on disk across processes, robust to damage.

Child processes get their own GRAPHFLOW_CACHE_DIR (a tmp dir) so the user's cache is untouched.
"""
import glob
import hashlib
import json
import os
import subprocess
import sys

import numpy as np

import graphflow as tf
from graphflow.backends.numba import STATS, cache

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

CHILD = r"""
import json, sys
sys.path.insert(0, {root!r})
import numpy as np
import graphflow as tf
from graphflow.backends.numba import STATS, SETTINGS
SETTINGS.sync_compile = True

@tf.function
def f(x, y):
    return tf.nn.relu(x * 2.0 - y) + tf.reduce_sum(y, 1, keepdims=True)

x = np.arange(12, dtype=np.float32).reshape(3, 4)
y = np.ones((3, 4), np.float32)
out = f(x, y)
plan = f.get_concrete_function(x, y)._executor
print("RESULT" + json.dumps({{"stats": dict(STATS), "origins": [k.origin for k in plan.kernels],
                             "states": [k.state for k in plan.kernels],
                             "out": out.numpy().tolist()}}))
"""
EXPECTED = (np.maximum(np.arange(12, dtype=np.float32).reshape(3, 4) * 2 - 1, 0) + 4).tolist()


def run_child(cache_dir, wait=True):
    env = dict(os.environ, GRAPHFLOW_CACHE_DIR=str(cache_dir))
    env.pop("GRAPHFLOW_SYNC_COMPILE", None)
    p = subprocess.Popen([sys.executable, "-c", CHILD.format(root=ROOT)], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return p if not wait else finish(p)


def finish(p):
    out, err = p.communicate(timeout=300)
    assert p.returncode == 0, err[-3000:]
    line = [s for s in out.splitlines() if s.startswith("RESULT")][-1]
    res = json.loads(line[len("RESULT"):])
    assert res["out"] == EXPECTED
    assert res["states"] and all(s == "ready" for s in res["states"])
    return res


def kernel_files(d):
    return glob.glob(os.path.join(str(d), "kernels", "gfk_*.py"))


def numba_files(d):
    return glob.glob(os.path.join(str(d), "kernels", "__pycache__", "gfk_*.nb*"))


def test_disk_cache_is_reused_by_a_new_process(tmp_path):
    first = run_child(tmp_path)
    assert set(first["origins"]) == {"compiled"} and first["stats"].get("compiled", 0) >= 1
    assert kernel_files(tmp_path) and numba_files(tmp_path)
    second = run_child(tmp_path)
    assert set(second["origins"]) == {"disk"}
    assert second["stats"].get("compiled", 0) == 0
    assert second["stats"]["disk_hits"] == len(second["origins"])


def test_truncated_cache_files_are_recompiled(tmp_path):
    run_child(tmp_path)
    for f in numba_files(tmp_path):              # truncate numba's index and data files
        with open(f, "r+b") as fh:
            fh.truncate(max(1, os.path.getsize(f) // 3))
    res = run_child(tmp_path)
    assert set(res["origins"]) == {"compiled"} and res["stats"].get("recovered", 0) >= 1
    for f in kernel_files(tmp_path):             # truncate the generated sources
        with open(f, "r+") as fh:
            fh.truncate(40)
    res = run_child(tmp_path)
    assert res["stats"].get("recovered", 0) >= 1
    res = run_child(tmp_path)                    # repaired: a clean disk hit again
    assert set(res["origins"]) == {"disk"}


def test_concurrent_processes_share_one_cache(tmp_path):
    procs = [run_child(tmp_path, wait=False) for _ in range(2)]
    for p in procs:
        finish(p)
    assert not glob.glob(os.path.join(str(tmp_path), "kernels", ".tmp-*"))
    res = run_child(tmp_path)
    assert set(res["origins"]) == {"disk"}


def test_same_structure_shares_one_kernel_in_memory(sync_compile):
    def f1(a, b):
        return tf.tanh(a) * b + 3.0

    def f2(u, v):                     # same structure, other names, other constant value
        return tf.tanh(u) * v + 5.0

    x = tf.constant(np.linspace(-1, 1, 10).astype(np.float32))
    g1, g2 = tf.function(f1), tf.function(f2)
    r1 = g1(x, x)
    hits = STATS["memory_hits"]
    compiled = STATS["compiled"] + STATS["disk_hits"]
    r2 = g2(x, x)
    k1 = g1.get_concrete_function(x, x)._executor.kernels
    k2 = g2.get_concrete_function(x, x)._executor.kernels
    assert [k.key for k in k1] == [k.key for k in k2] and k1[0] is k2[0]
    assert STATS["memory_hits"] == hits + 1
    assert STATS["compiled"] + STATS["disk_hits"] == compiled
    np.testing.assert_allclose(r2.numpy() - r1.numpy(), 2.0, rtol=1e-6)


def test_key_ignores_shapes_but_not_structure():
    from graphflow.backends.numba.codegen import KernelSpec, KNode, Operand, generate
    a = KernelSpec(1, None, [Operand("a", "float32", (True,))],
                   [KNode("exp", [("in", 0)], {}, "float32", "float32")], [0], [], False)
    b = KernelSpec(1, None, [Operand("a", "float64", (True,))],
                   [KNode("exp", [("in", 0)], {}, "float64", "float64")], [0], [], False)
    sa, sb = generate(a), generate(b)
    assert cache.kernel_key(sa) == cache.kernel_key(generate(a))
    assert cache.kernel_key(sa) != cache.kernel_key(sb)
    assert "exp_f32" in sa and "exp_f64" in sb          # vmath for float32 and for float64
    assert "np.float32(" in sa


_WARNINGS_CHILD = r"""
import warnings
import graphflow as tf
from graphflow.backends.numba.cache import pending

before = list(warnings.filters)

@tf.function
def f(x):
    return tf.tanh(x) * tf.exp(-x) + tf.sigmoid(x * 3.0)

f(tf.ones(8))                     # returns on numpy; the kernel compiles in the background
missed = leaked = rounds = 0
while pending() or rounds < 50:   # warning-filter churn in the main thread meanwhile
    rounds += 1
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        warnings.warn("probe")
    missed += len(w) != 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
    leaked += warnings.filters[:1] == [("error", None, Warning, None, 0)]
# numba's own compile-time filters (NumbaWarning 'always', an np.long 'ignore') may stay; every
# filter of ours must still be there and no 'error' filter may have leaked
kept = all(f in warnings.filters for f in before)
no_error = all(f[0] != "error" for f in warnings.filters)
print("RESULT", rounds, missed, leaked, kept and no_error)
"""


def test_background_compile_leaves_the_main_threads_warning_filters_alone(tmp_path):
    env = dict(os.environ, GRAPHFLOW_CACHE_DIR=str(tmp_path))
    env.pop("GRAPHFLOW_SYNC_COMPILE", None)
    out = subprocess.run([sys.executable, "-c", _WARNINGS_CHILD], env=env, check=True,
                         capture_output=True, text=True, timeout=300).stdout
    rounds, missed, leaked, same = out.split("RESULT")[1].split()
    assert int(rounds) >= 50
    assert (int(missed), int(leaked), same) == (0, 0, "True"), out


ASYNC_CHILD = r"""
import json, sys
sys.path.insert(0, {root!r})
import numpy as np
import graphflow as tf
from graphflow.backends.numba import wait_all

@tf.function
def f(x, y):
    return tf.nn.relu(x * 2.0 - y) + tf.reduce_sum(y, 1, keepdims=True)

x = np.arange(12, dtype=np.float32).reshape(3, 4)
y = np.ones((3, 4), np.float32)
ready0 = f.get_concrete_function(x, y)._executor.ready
first = f(x, y).numpy().tolist()          # runs on numpy while the kernels are made
wait_all()
plan = f.get_concrete_function(x, y)._executor
out = f(x, y).numpy().tolist()
print("RESULT" + json.dumps({{
    "ready0": ready0, "first": first, "out": out, "fresh": [s.fresh for s in plan.cluster_steps],
    "origins": [k.origin for k in plan.kernels], "where": [k.compiler for k in plan.kernels],
    "process_errors": [k.process_error for k in plan.kernels],
    "registries_loaded": "numba.np.polynomial.polynomial_core" in sys.modules}}))
"""


def test_background_misses_compile_in_a_process_and_hits_load_without_registries(tmp_path):
    """Background compiles run in the compiler process (`compile_worker.py`: this process only
    loads the result from the disk cache), and a warm start loads every cached kernel before the
    first call (`cache.load_now`) without numba's lowering registries (`cache._load_cached`);
    values equal numpy's either way."""
    def run():
        env = dict(os.environ, GRAPHFLOW_CACHE_DIR=str(tmp_path))
        env.pop("GRAPHFLOW_SYNC_COMPILE", None)
        env.pop("GRAPHFLOW_COMPILE_PROCESS", None)
        out = subprocess.run([sys.executable, "-c", ASYNC_CHILD.format(root=ROOT)], env=env,
                             capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, out.stderr[-3000:]
        line = [s for s in out.stdout.splitlines() if s.startswith("RESULT")][-1]
        res = json.loads(line[len("RESULT"):])
        assert res["first"] == EXPECTED and res["out"] == EXPECTED
        assert res["fresh"] and all(res["fresh"])       # the last call ran the kernels
        return res
    cold = run()
    assert set(cold["origins"]) == {"compiled"}, cold
    assert set(cold["where"]) == {"process"} and not any(cold["process_errors"])
    assert not cold["ready0"]
    warm = run()
    assert set(warm["origins"]) == {"disk"}
    assert not warm["registries_loaded"]
    assert warm["ready0"]       # a warm start loads every kernel before the first call


SHORTCUT_CHILD = r"""
import json, sys
sys.path.insert(0, {root!r})
import numpy as np
import graphflow as tf
from graphflow.backends.numba import STATS, SETTINGS, wait_all

rng = np.random.default_rng(0)
x = rng.standard_normal((64, 96)).astype(np.float32)
w = rng.standard_normal((96, 80)).astype(np.float32)

@tf.function
def f(x, w):        # a product with an epilogue and a reduction: kernels that call np.empty
    h = tf.nn.relu(tf.matmul(x, w))
    return h, tf.reduce_sum(h * h, 1), tf.reduce_max(tf.exp(x) - 1.0, 0)

h, s, e = f(x, w)
wait_all()
h, s, e = f(x, w)
plan = f.get_concrete_function(x, w)._executor
SETTINGS.sync_compile = True            # then compile a new kernel here, next to what was loaded

@tf.function
def g(v):
    for _ in range({c}):                   # a new kernel structure in every run
        v = tf.sin(v)
    return tf.reduce_max(v, 0)
m = g(x)
ref = x.astype(np.float64)
for _ in range({c}):
    ref = np.sin(ref)
ref = ref.max(0)
print("RESULT" + json.dumps({{
    "stats": dict(STATS), "origins": [k.origin for k in plan.kernels],
    "arrayobj": "numba.np.arrayobj" in sys.modules,
    "h_err": float(np.abs(h.numpy() - np.maximum(x @ w, 0)).max()),
    "s_err": float(np.abs(s.numpy() - (np.maximum(x @ w, 0) ** 2).sum(1)).max()),
    "m_err": float(np.abs(m.numpy() - ref).max()),
    "e_err": float(np.abs(e.numpy() - (np.exp(x) - 1).max(0)).max()),
    "g_origin": [k.origin for k in g.get_concrete_function(x)._executor.kernels]}}))
"""


def test_warm_start_loads_the_runtime_and_skips_helper_modules(tmp_path):
    """A warm start loads numba's runtime functions (NRT) from object code an earlier process
    wrote, and rebuilds helper environments without importing their modules
    (`cache._install_load_shortcuts`); kernels compiled afterwards in the same process still
    work; a damaged NRT file is compiled again and rewritten. (This is numba's loader: the
    path of kernels without a shared object, `native.py`, which is switched off here.)"""
    runs = []

    def run():
        env = dict(os.environ, GRAPHFLOW_CACHE_DIR=str(tmp_path), GRAPHFLOW_NATIVE_KERNELS="0")
        env.pop("GRAPHFLOW_SYNC_COMPILE", None)
        runs.append(len(runs) + 1)
        code = SHORTCUT_CHILD.format(root=ROOT, c=runs[-1])
        out = subprocess.run([sys.executable, "-c", code], env=env,
                             capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, out.stderr[-3000:]
        res = json.loads([s for s in out.stdout.splitlines() if s.startswith("RESULT")][-1][6:])
        assert res["h_err"] < 1e-3 and res["s_err"] < 1e-2 and res["m_err"] < 1e-5, res
        assert res["e_err"] < 1e-4, res
        return res
    nrt = lambda: glob.glob(os.path.join(str(tmp_path), "kernels", "nrt_*.bin"))  # noqa: E731
    run()                                        # cold: the kernels and the NRT file written
    assert len(nrt()) == 1
    warm = run()
    assert set(warm["origins"]) == {"disk"} and warm["stats"].get("nrt_loaded") == 1
    assert warm["stats"].get("lazy_envs", 0) >= 1 and warm["g_origin"] == ["compiled"]
    with open(nrt()[0], "r+b") as fh:            # damage it: compiled again, then loaded again
        fh.seek(100)
        fh.write(b"\0" * 64)
    damaged = run()
    assert damaged["stats"].get("nrt_loaded", 0) == 0 and damaged["stats"].get("recovered", 0) >= 1
    with open(nrt()[0], "rb") as fh:             # rewritten whole: its checksum matches again
        digest, payload = fh.read(32), fh.read()
    assert hashlib.sha256(payload).digest() == digest


def test_a_hung_compiler_process_times_out_and_is_killed(tmp_path, monkeypatch):
    # a compiler process that never answers must not block the host forever: after TIMEOUT the
    # process is killed and the kernel falls back to the compile thread (the caller's path)
    fake = tmp_path / "hung_worker.py"
    fake.write_text("import sys, time\ndef main():\n    sys.stdin.readline()\n    time.sleep(600)\n")
    monkeypatch.setattr(cache, "_WORKER_PATH", str(fake))
    proc = cache._CompilerProcess()
    proc.TIMEOUT = 0.5
    assert proc.submit(str(tmp_path / "k.py"), "k", [])
    err = proc.result()
    assert err is not None and "no answer from the compiler process" in err
    assert proc.broken and proc.proc.wait(timeout=10) is not None
    assert not proc.submit(str(tmp_path / "k.py"), "k", [])   # later kernels: the thread
