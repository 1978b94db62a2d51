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
x = rng.standard_normal((4, 9, 9, 8)).astype(np.float32)
k = rng.standard_normal((3, 3, 8, 5)).astype(np.float32)

def loss_and_grads(x, k):       # im2col forward, col2im and the filter product backward
    with tf.GradientTape() as tape:
        tape.watch([x, k])
        loss = tf.reduce_sum(tf.nn.relu(tf.nn.conv2d(x, k, 1, "VALID")) ** 2)
    return [loss] + tape.gradient(loss, [x, k])

f = tf.function(loss_and_grads)
g = tf.function(loss_and_grads, jit_compile=False)
x, k = tf.constant(x), tf.constant(k)
ready0 = f.get_concrete_function(x, k)._executor.ready
f(x, k)
wait_all()
plan = f.get_concrete_function(x, k)._executor
print("RESULT" + json.dumps({{
    "err": max(float(np.abs(a.numpy() - b.numpy()).max() / np.abs(b.numpy()).max())
               for a, b in zip(f(x, k), g(x, k))),
    "ready0": ready0, "numba": "numba" in sys.modules,
    "native": [type(kk.fn).__name__ == "builtin_function_or_method" for kk in plan.kernels]}}))
"""


def test_a_kernel_that_reshapes_has_a_shared_object_with_numbas_reshape_helper(tmp_path):
    # im2col/col2im reshape their arrays, which calls numba's `numba_attempt_nocopy_reshape`:
    # the shim defines it (a stub returning 0 made every such call fail), so a warm process
    # loads conv kernels as shared objects too, never importing numba, with the same values
    cold = child(CONV_CHILD, tmp_path)
    assert cold["err"] < 1e-5, cold
    if native.compiler() is None or not native.usable():
        return
    assert not glob.glob(str(tmp_path / "kernels" / "*.nonative")), "some kernel has no .so"
    warm = child(CONV_CHILD, tmp_path)
    assert warm["err"] < 1e-5 and warm["ready0"] and warm["numba"] is False, warm
    assert warm["native"] and all(warm["native"]), warm


@needs_cc
def test_the_shims_reshape_helper_gives_numpys_strides(tmp_path):
    # the C function alone (built from the shim's source), against numpy's no-copy reshape:
    # 1 and numpy's strides when numpy returns a view, 0 when numpy has to copy
    import ctypes
    src = tmp_path / "shim.c"
    src.write_text('#define GF_KEY "test"\n' + native._C_HEAD)
    so = tmp_path / "shim.so"
    subprocess.run([native.compiler(), "-shared", "-fPIC", "-O1", "-o", str(so), str(src)],
                   check=True, capture_output=True)
    fn = ctypes.PyDLL(str(so)).numba_attempt_nocopy_reshape
    arr = ctypes.c_ssize_t * 8
    fn.restype = ctypes.c_int
    fn.argtypes = [ctypes.c_ssize_t, arr, arr, ctypes.c_ssize_t, arr, arr, ctypes.c_ssize_t,
                   ctypes.c_int]
    base = np.zeros((4, 6, 10), np.float32)
    cases = [(base, (24, 10)), (base, (4, 60)), (base, (240,)), (base, (2, 2, 1, 6, 10, 1)),
             (base[:, :3], (12, 10)), (base[:, :3], (4, 30)), (base.transpose(1, 0, 2), (24, 10)),
             (base.transpose(1, 0, 2), (6, 40)), (base[::2], (2, 60)), (base[:, :, ::2], (24, 5)),
             (base[:, :, ::2], (4, 30)), (base[:0], (0, 7)), (base[:1], (6, 10))]
    for a, shape in cases:
        out = arr()
        ok = fn(a.ndim, arr(*a.shape), arr(*a.strides), len(shape), arr(*shape), out,
                a.itemsize, 0)
        view = a.reshape(shape)
        assert ok == int(np.shares_memory(view, a) or a.size == 0), (a.shape, a.strides, shape)
        if ok and a.size:
            assert tuple(out[:len(shape)]) == view.strides, (a.shape, a.strides, shape)


@needs_cc
def test_the_shims_blas_helpers_match_numpy(tmp_path):
    # numba's np.dot calls `numba_xxgemm` (and, for a product with one row or column,
    # `numba_xxgemv` / `numba_xxdot`): the shim's versions call the gemm of numpy's own BLAS
    # (`native.blas_gemm`, set by the loader). Each against numpy, float32 and float64, with
    # transposes, a leading dimension larger than the rows, beta = 1 and a one-element product
    import ctypes
    gemm = native.blas_gemm()
    if gemm is None:
        pytest.skip("no BLAS gemm symbol found (such kernels load through numba)")
    src = tmp_path / "shim.c"
    src.write_text('#define GF_KEY "test"\n' + native._C_HEAD)
    so = tmp_path / "shim.so"
    subprocess.run([native.compiler(), "-shared", "-fPIC", "-O1", "-o", str(so), str(src)],
                   check=True, capture_output=True)
    lib = ctypes.PyDLL(str(so))
    ctypes.c_void_p.in_dll(lib, "gf_sgemm").value = gemm[0]
    ctypes.c_void_p.in_dll(lib, "gf_dgemm").value = gemm[1]
    ctypes.c_int.in_dll(lib, "gf_blas_int64").value = gemm[2]
    c, p, ssz = ctypes.c_char, ctypes.c_void_p, ctypes.c_ssize_t
    lib.numba_xxgemm.argtypes = [c, c, c, ssz, ssz, ssz, p, p, ssz, p, ssz, p, p, ssz]
    lib.numba_xxgemv.argtypes = [c, c, ssz, ssz, p, p, ssz, p, p, p]
    lib.numba_xxdot.argtypes = [c, c, ssz, p, p, p]
    rng = np.random.default_rng(3)
    for dt, kind in ((np.float32, b"s"), (np.float64, b"d")):
        one, zero = np.ones(1, dt), np.zeros(1, dt)
        ptr = lambda a: a.ctypes.data          # noqa: E731
        # BLAS is column-major: C-order out (5x4) = a (5x9) @ b (9x4) is, column-major,
        # out^T (4x5) = b^T (4x9) a^T (9x5) - numba passes its operands the same way
        a = rng.standard_normal((5, 9)).astype(dt)
        b = rng.standard_normal((9, 4)).astype(dt)
        out = np.zeros((5, 4), dt)
        assert lib.numba_xxgemm(kind, b"n", b"n", 4, 5, 9, ptr(one), ptr(b), 4, ptr(a), 9,
                                ptr(zero), ptr(out), 4) == 0
        np.testing.assert_allclose(out, a @ b, rtol=1e-5)
        at = np.ascontiguousarray(a.T)                       # a as a transposed operand
        acc = np.ones((5, 4), dt)
        assert lib.numba_xxgemm(kind, b"n", b"t", 4, 5, 9, ptr(one), ptr(b), 4, ptr(at), 5,
                                ptr(one), ptr(acc), 4) == 0
        np.testing.assert_allclose(acc, a @ b + 1, rtol=1e-5)
        wide = rng.standard_normal((9, 7)).astype(dt)       # leading dimension 7 > 4 columns
        out[...] = 0
        assert lib.numba_xxgemm(kind, b"n", b"n", 4, 5, 9, ptr(one), ptr(wide), 7, ptr(a), 9,
                                ptr(zero), ptr(out), 4) == 0
        np.testing.assert_allclose(out, a @ wide[:, :4], rtol=1e-5)
        x, y = rng.standard_normal(9).astype(dt), np.zeros(5, dt)
        # C-order a (5x9) is column-major (9x5): a @ x is its transpose times x
        assert lib.numba_xxgemv(kind, b"t", 9, 5, ptr(one), ptr(a), 9, ptr(x), ptr(zero),
                                ptr(y)) == 0
        np.testing.assert_allclose(y, a @ x, rtol=1e-5)
        z = rng.standard_normal(5).astype(dt)
        y2 = np.zeros(9, dt)
        assert lib.numba_xxgemv(kind, b"n", 9, 5, ptr(one), ptr(a), 9, ptr(z), ptr(zero),
                                ptr(y2)) == 0
        np.testing.assert_allclose(y2, z @ a, rtol=1e-5)
        r = np.zeros(1, dt)
        assert lib.numba_xxdot(kind, b"\0", 9, ptr(x), ptr(b[:, 0].copy()), ptr(r)) == 0
        np.testing.assert_allclose(r[0], x @ b[:, 0], rtol=1e-5)
        assert lib.numba_xxdot(kind, b"\0", 1, ptr(x), ptr(x), ptr(r)) == 0
        np.testing.assert_allclose(r[0], x[0] * x[0], rtol=1e-6)
