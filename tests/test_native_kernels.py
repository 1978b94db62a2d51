"""Kernels as shared objects (`graphflow/backends/numba/native.py`): a warm start loads them with
ctypes and never imports numba; a damaged one is rebuilt; without a C compiler (or switched off)
kernels load through numba as before. Child processes use their own GRAPHFLOW_CACHE_DIR."""
import glob
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from graphflow.backends.numba import cache, native

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

CHILD = r"""
import json, sys
sys.path.insert(0, {root!r})
import numpy as np
import graphflow as tf
from graphflow.backends.numba import wait_all, STATS

rng = np.random.default_rng(0)
x = rng.standard_normal((33, 20)).astype(np.float32)
w = rng.standard_normal((20, 7)).astype(np.float32)

@tf.function
def f(x, w):        # an epilogue, a row reduction and a column reduction (np.empty inside)
    h = tf.nn.relu(tf.matmul(x, w) * 2.0 - 1.0)
    return h, tf.reduce_sum(h * h, 1), tf.reduce_max(tf.exp(x) - 1.0, 0)

ready0 = f.get_concrete_function(x, w)._executor.ready
outs = [f(x, w)]
wait_all()
outs += [f(x, w) for _ in range(3)]
plan = f.get_concrete_function(x, w)._executor
h = np.maximum((x @ w) * 2 - 1, 0)
ref = [h, (h * h).sum(1), (np.exp(x) - 1).max(0)]
print("RESULT" + json.dumps({{
    "ready0": ready0, "numba": "numba" in sys.modules, "stats": dict(STATS),
    "err": max(float(np.abs(o.numpy() - r).max()) for out in outs for o, r in zip(out, ref)),
    "fresh": [s.fresh for s in plan.cluster_steps],
    "native": [type(k.fn).__name__ == "builtin_function_or_method" for k in plan.kernels],
    "origins": [k.origin for k in plan.kernels],
    "report": "loaded as a shared object" in plan.report()}}))
"""


def child(script, cache_dir, **env_extra):
    """Run `script` in a fresh process with its own cache dir; its RESULT json."""
    env = dict(os.environ, GRAPHFLOW_CACHE_DIR=str(cache_dir), **env_extra)
    for v in ("GRAPHFLOW_SYNC_COMPILE", "GRAPHFLOW_COMPILE_PROCESS", "GRAPHFLOW_NATIVE_KERNELS"):
        if v not in env_extra:
            env.pop(v, None)
    out = subprocess.run([sys.executable, "-c", script.format(root=ROOT)], env=env,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads([s for s in out.stdout.splitlines() if s.startswith("RESULT")][-1][6:])


def run(cache_dir, **env_extra):
    res = child(CHILD, cache_dir, **env_extra)
    assert res["err"] < 1e-3, res
    assert res["fresh"] and all(res["fresh"]), res      # the last call ran the kernels
    return res


def objects(d):
    return sorted(glob.glob(os.path.join(str(d), "kernels", "gfk_*.so")))


needs_cc = pytest.mark.skipif(native.compiler() is None or not native.usable(),
                              reason="no C compiler (kernels load through numba)")


@needs_cc
def test_warm_start_loads_shared_objects_without_numba_and_rebuilds_damaged_ones(tmp_path):
    cold = run(tmp_path)
    assert cold["numba"] is False       # the compiler process compiled; this one loaded .so files
    assert all(cold["native"]) and set(cold["origins"]) == {"compiled"}
    sos = objects(tmp_path)
    assert len(sos) >= 2
    warm = run(tmp_path)
    assert warm["ready0"] and warm["numba"] is False, warm
    assert all(warm["native"]) and set(warm["origins"]) == {"disk"} and warm["report"]
    assert warm["stats"]["native_loads"] == len(sos)
    # damage one shared object: its checksum fails, it is deleted, the compiler process builds
    # it again (from numba's cache) and values stay right meanwhile
    with open(sos[0], "r+b") as fh:
        fh.seek(200)
        fh.write(b"\xff" * 64)
    damaged = run(tmp_path)
    assert damaged["numba"] is False and all(damaged["native"]), damaged
    again = run(tmp_path)
    assert again["numba"] is False and again["stats"]["native_loads"] == len(sos)


@needs_cc
def test_without_a_c_compiler_kernels_load_through_numba(tmp_path):
    cold = run(tmp_path, CC="/nonexistent/cc")
    assert not objects(tmp_path)
    marks = glob.glob(os.path.join(str(tmp_path), "kernels", "*.nonative"))
    assert marks and all("no C compiler" in open(m).read() for m in marks)
    warm = run(tmp_path, CC="/nonexistent/cc")
    assert warm["ready0"] and warm["numba"] is True and not any(warm["native"])
    assert not warm["report"]
    assert set(warm["origins"]) == {"disk"}
    off = run(tmp_path / "off", GRAPHFLOW_NATIVE_KERNELS="0")      # switched off: the same
    assert not objects(tmp_path / "off") and not any(off["native"])
    assert cold["err"] < 1e-3


def test_the_tag_changes_with_the_native_version_and_numbas_cpu_settings(monkeypatch):
    native._tag[0] = None
    base = native.tag()
    monkeypatch.setenv("NUMBA_CPU_NAME", "generic")
    native._tag[0] = None
    assert native.tag() != base
    monkeypatch.delenv("NUMBA_CPU_NAME")
    monkeypatch.setattr(native, "NATIVE_VERSION", "gf-native-test")
    native._tag[0] = None
    assert native.tag() != base
    monkeypatch.undo()
    native._tag[0] = None
    assert native.tag() == base
    assert native.paths("/c", "k") == (None, f"/c/gfk_k.{base}.json")


def test_the_kernel_key_changes_with_numbas_version(monkeypatch):
    import importlib.metadata as md
    assert cache._dist_version("numba") == md.version("numba")   # read from the dist-info name
    assert cache._dist_version("llvmlite") == md.version("llvmlite")
    key = cache.kernel_key("def kernel(): pass", [("i",)])
    real = cache._dist_version
    monkeypatch.setattr(cache, "_dist_version", lambda n: "0.0.1" if n == "numba" else real(n))
    monkeypatch.setattr(cache, "_salt", None)
    assert cache.kernel_key("def kernel(): pass", [("i",)]) != key
    monkeypatch.undo()
    cache._salt = None
    assert cache.kernel_key("def kernel(): pass", [("i",)]) == key


KERNEL = '''
import numpy as np
import numba

@numba.njit(error_model='numpy', cache=False, nogil=True)
def kernel(n0, n1, a0, s1, f2, o0, r0):
    acc = np.empty(n1, np.float64)
    for q in range(n1):
        acc[q] = 0.0
    for i0 in range(n0):
        for i1 in range(n1):
            v = np.float32(a0[i0, i1] * s1) if f2 else a0[i0, i1]
            o0[i0, i1] = v
            acc[i1] += v
    for q in range(n1):
        r0[q] = np.float32(acc[q])
'''
TYPES = [("i",), ("i",), ("a", "float32", 2, True), ("s", "float32"), ("s", "bool"),
         ("a", "float32", 2, False), ("a", "float32", 1, False)]


@needs_cc
def test_a_shared_object_checks_its_arguments_like_numbas_dispatcher(tmp_path):
    from graphflow.backends.numba.compile_worker import numba_signature
    ns = {}
    exec(KERNEL, ns)
    sig = numba_signature(TYPES)
    ns["kernel"].compile(sig)
    assert native.build(ns["kernel"], sig, TYPES, str(tmp_path), "testkey", KERNEL), native.build.why
    first = native.paths(str(tmp_path), "testkey")[0]
    # a second build (as by another process at the same time) writes its own object; the json
    # written last names its own, and the pair matches
    assert native.build(ns["kernel"], sig, TYPES, str(tmp_path), "testkey", KERNEL)
    fn = native.load(str(tmp_path), "testkey", len(TYPES))
    assert native.origin(fn) == native.paths(str(tmp_path), "testkey")[0]
    assert os.path.exists(first)
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    o, r = np.empty((3, 4), np.float32), np.empty(4, np.float32)
    assert fn(3, 4, a, 0.5, True, o, r) is None
    np.testing.assert_array_equal(o, a * np.float32(0.5))
    np.testing.assert_allclose(r, (a * 0.5).sum(0))
    fn(3, 4, a, np.float32(2), np.bool_(False), o, r)
    np.testing.assert_array_equal(o, a)
    bad = [(a.astype(np.float64), o, r, "argument 2"), (a.T, o, r, "argument 2"),
           (a[:, ::2], o, r, "argument 2"), (a, o[None], r, "argument 5"),
           (a, o, np.empty(4, np.float32)[::-1], "argument 6")]
    ro = np.empty((3, 4), np.float32)
    ro.flags.writeable = False
    bad.append((a, ro, r, "writable"))
    for x, y, z, msg in bad:
        with pytest.raises(TypeError, match=msg):
            fn(3, 4, x, 0.5, True, y, z)
    with pytest.raises(TypeError, match="takes 7 arguments"):
        fn(3, 4, a)
    with pytest.raises(TypeError):
        fn(3, "four", a, 0.5, True, o, r)
    # a truncated object does not load: deleted, the caller falls back (written as a new file:
    # truncating the one this process has mapped would crash it, as it would any program)
    so, meta = native.paths(str(tmp_path), "testkey")
    with open(so, "rb") as fh:
        head = fh.read(100)
    with open(so + ".tmp", "wb") as fh:
        fh.write(head)
    os.replace(so + ".tmp", so)
    assert native.load(str(tmp_path), "testkey", len(TYPES)) is None
    assert not os.path.exists(so) and not os.path.exists(meta)


CONV_CHILD = r"""
import json, sys
sys.path.insert(0, {root!r})
import numpy as np
import graphflow as tf
from graphflow.backends.numba import wait_all

rng = np.random.default_rng(1)
x = rng.standard_normal((4, 9, 9, 3)).astype(np.float32)
k = rng.standard_normal((3, 3, 3, 5)).astype(np.float32)
f = tf.function(lambda x, k: tf.nn.relu(tf.nn.conv2d(x, k, 1, "VALID")))
g = tf.function(lambda x, k: tf.nn.relu(tf.nn.conv2d(x, k, 1, "VALID")), jit_compile=False)
f(x, k)
wait_all()
print("RESULT" + json.dumps({{"err": float(np.abs(f(x, k).numpy() - g(x, k).numpy()).max())}}))
"""


def test_a_kernel_that_calls_numbas_c_helpers_is_not_stubbed(tmp_path):
    # im2col reshapes its arrays, which calls numba's `numba_attempt_nocopy_reshape`: such a
    # kernel must load through numba (a stub in its shared object made every call fail)
    res = child(CONV_CHILD, tmp_path)
    assert res["err"] < 1e-4, res
    if native.compiler() is not None:
        why = [open(p).read() for p in glob.glob(str(tmp_path / "kernels" / "*.nonative"))]
        assert any("numba_attempt_nocopy_reshape" in w for w in why), why
