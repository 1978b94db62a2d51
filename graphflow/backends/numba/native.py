"""Cached kernels as plain shared objects, loaded with ctypes: a warm start never imports numba.

numba's import (~0.13-0.25 s of Python) and its cache loader are most of a warm process's first
call. The compiler (the compiler process, `compile_worker.py`, or this process's compile thread)
therefore also writes each compiled kernel as a shared object with a plain C entry:

* the kernel's own optimized LLVM module (the IR numba's JIT compiled: the same machine code,
  bit for bit the same results) is emitted as position-independent object code and linked by
  the C compiler (``cc``) with a small generated C file whose ``gf_make()`` returns the kernel
  as a Python builtin function (vectorcall: ~0.5 us a call against ~1.9 us for numba's
  dispatcher, measured on a 5-argument kernel). It checks each array (exact ndarray, ndim,
  dtype, C-contiguous, aligned, writable for outputs) and raises TypeError like a dispatcher
  would, then calls the kernel with numba's native calling convention (status, return and
  exception slots, each array flattened to meminfo, parent, size, itemsize, data, shape and
  strides), with the GIL released (``nogil=True``). The file also carries the few runtime
  (NRT) functions the kernel's temporaries use, on malloc, numba's BLAS helpers for np.dot
  (``numba_xxgemm``/``gemv``/``dot``: through the gemm of the BLAS numpy loaded, whose address
  the loader sets - `blas_gemm`; numba's own helpers call scipy's, whose import costs ~1 s of a
  warm start; the two libraries' products may round differently) and stubs for the C helpers of numba's Python wrapper in the module (never
  called);
* beside it, a json holds the object's name and sha256: an object that does not match
  (truncated, corrupted) is deleted and the kernel rebuilt by the compiler process.

The files are ``gfk_<key>.<tag>.json`` naming ``gfk_<key>.<tag>.<sha256 prefix>.so``: the key
already hashes the source, numba's / llvmlite's /
Python's versions and the runtime modules; the tag adds this file's `NATIVE_VERSION`, numpy's
major version (the C side reads ndarray's struct), the machine and the CPU (model and feature
flags from /proc/cpuinfo) and numba's CPU settings. No C compiler, a free-threaded Python, a
kernel that returns values (loops) or runs numba's thread pool: no shared object, and the kernel
loads through numba as before (``GRAPHFLOW_NATIVE_KERNELS=0`` turns the shared objects off).

>>> from graphflow.backends.numba import native
>>> native.c_type_codes("float32"), set("lq") <= set(native.c_type_codes("int64"))
('f', True)
"""
import ctypes
import hashlib
import json
import os
import platform
import sys

import numpy as np

from ...lazy import lazy_module

# only a process that builds shared objects (the compiler process) imports these; one that
# loads them does not (subprocess: ~4 ms of a warm start; shutil with bz2 and lzma ~3 ms)
subprocess = lazy_module("subprocess")
tempfile = lazy_module("tempfile")
shutil = lazy_module("shutil")

#: changes whenever the C side (struct offsets, entry protocol, runtime shim) changes
NATIVE_VERSION = "gf-native-6"

ENABLED = os.environ.get("GRAPHFLOW_NATIVE_KERNELS", "1") not in ("", "0")

_tag = [None]


def tag():
    """What a shared object's name carries besides the kernel key (see the module doc)."""
    if _tag[0] is None:
        h = hashlib.sha256(NATIVE_VERSION.encode())
        h.update(f"{sys.version}|{getattr(sys, 'abiflags', '')}|{np.__version__.split('.')[0]}|"
                 f"{platform.machine()}".encode())
        try:
            with open("/proc/cpuinfo") as f:
                seen = set()
                for line in f:
                    k = line.split(":", 1)[0].strip()
                    if k in ("model name", "flags", "Features", "CPU part") and k not in seen:
                        seen.add(k)
                        h.update(line.encode())
        except OSError:
            h.update(platform.processor().encode())
        for var in ("NUMBA_CPU_NAME", "NUMBA_CPU_FEATURES", "NUMBA_OPT", "NUMBA_FASTMATH"):
            h.update(f"{var}={os.environ.get(var, '')}".encode())
        _tag[0] = h.hexdigest()[:12]
    return _tag[0]


def usable():
    """Shared objects can be used by this process (switched on, a CPython with the GIL)."""
    return ENABLED and sys.implementation.name == "cpython" and "t" not in getattr(
        sys, "abiflags", "")


def paths(cache_dir, key):
    """(shared object or None, its json) of kernel `key` in `cache_dir`. The json names the
    object (``gfk_<key>.<tag>.<sha256 prefix>.so``) and is replaced atomically, last: two
    processes building the same kernel at once (their bytes differ: numba numbers its
    symbols per process) each write their own object, and the json that wins names its own."""
    meta = os.path.join(cache_dir, f"gfk_{key}.{tag()}.json")
    try:
        with open(meta) as f:
            name = json.load(f).get("so")
    except (OSError, ValueError, AttributeError):
        name = None
    ok = isinstance(name, str) and name.startswith(f"gfk_{key}.") and os.sep not in name
    return (os.path.join(cache_dir, name) if ok else None), meta


def present(cache_dir, key):
    """True if kernel `key` has a shared object (its json is written last)."""
    return usable() and os.path.exists(os.path.join(cache_dir, f"gfk_{key}.{tag()}.json"))


def _no_path(cache_dir, key):
    return os.path.join(cache_dir, f"gfk_{key}.{tag()}.{_SHIM_TAG}.nonative")


def mark_unbuildable(cache_dir, key, why):
    """Remember that kernel `key` cannot have a shared object here (why: one line)."""
    try:
        with open(_no_path(cache_dir, key), "w") as f:
            f.write(f"{why}\n")
    except OSError:
        pass


def unbuildable(cache_dir, key):
    """Why kernel `key` has no shared object on this machine, if a compiler said so; else None."""
    try:
        with open(_no_path(cache_dir, key)) as f:
            return f.read().strip() or "unknown"
    except OSError:
        return None


def c_type_codes(dtype):
    """The numpy type characters an array of `dtype` may carry (int64 is 'l' or 'q' on LP64)."""
    d = np.dtype(dtype)
    same = {c for c in np.typecodes["All"] if c not in "Mm" and np.dtype(c) == d}
    return "".join(sorted(same | {d.char}, key=lambda c: (c != d.char, c)))


#: every loaded kernel (a builtin function) -> (its shared object's path, the ctypes library)
_LOADED = {}


def origin(fn):
    """The shared object a kernel function was loaded from, or None (a numba dispatcher)."""
    try:
        return _LOADED.get(fn, (None,))[0]
    except TypeError:
        return None


def load(cache_dir, key, nargs):
    """Kernel `key` from `cache_dir` as a Python function called like its numba dispatcher
    (arguments checked, TypeError on a mismatch), or None (no shared object, or one that
    does not match its checksum or does not load: then deleted, so that it is built again)."""
    if not usable():
        return None
    so, meta = paths(cache_dir, key)
    try:
        with open(meta) as f:
            info = json.load(f)
        with open(so, "rb") as f:
            payload = f.read()
    except (OSError, ValueError, TypeError):     # TypeError: a json naming no object
        discard(cache_dir, key)                   # (if any): built again by the compiler
        return None
    try:
        if hashlib.sha256(payload).hexdigest() != info.get("sha256") or info.get("nargs") != nargs:
            raise OSError(f"{so}: checksum or arity does not match")
        gemm = blas_gemm() if info.get("blas") else None
        if info.get("blas") and gemm is None:
            return None             # (kept: loaded through numba, which calls scipy's BLAS)
        lib = ctypes.PyDLL(so)
        ctypes.c_void_p.in_dll(lib, "gf_ndarray_type").value = id(np.ndarray)
        if gemm is not None:
            ctypes.c_void_p.in_dll(lib, "gf_sgemm").value = gemm[0]
            ctypes.c_void_p.in_dll(lib, "gf_dgemm").value = gemm[1]
            ctypes.c_int.in_dll(lib, "gf_blas_int64").value = gemm[2]
        make = lib.gf_make
        make.argtypes, make.restype = [], ctypes.py_object
        fn = make()
    except (OSError, AttributeError, ValueError):
        discard(cache_dir, key)
        return None
    _LOADED[fn] = (so, lib)
    return fn


#: (Fortran sgemm, dgemm symbol, 64-bit integers) as BLAS builds name them, most specific first
_GEMM_SYMBOLS = (("scipy_sgemm_64_", "scipy_dgemm_64_", 1), ("sgemm_64_", "dgemm_64_", 1),
                 ("scipy_sgemm_", "scipy_dgemm_", 0), ("sgemm_", "dgemm_", 0))
_GEMM = []


def blas_gemm():
    """(sgemm address, dgemm address, 1 if its integers are 64-bit) of the BLAS numpy loaded
    (found among threadpoolctl's BLAS libraries: numpy's first), for kernels calling BLAS (the
    shim's `numba_xxgemm`: the same library `SINGLE_BLAS` controls, and no scipy import at a warm
    start - ~1 s); None when none is found (such kernels then load through numba).

    >>> g = blas_gemm(); g is None or (g[0] > 0 and g[1] > 0 and g[2] in (0, 1))
    True
    """
    if not _GEMM:
        from ...blas_threads import lib_controllers
        found = None
        libs = [c.filepath for c in lib_controllers() if c.user_api == "blas"]
        libs.sort(key=lambda f: not os.path.basename(os.path.dirname(f)).startswith("numpy"))
        for path in libs:
            try:
                lib = ctypes.CDLL(path)
            except OSError:
                continue
            for s_name, d_name, wide in _GEMM_SYMBOLS:
                if hasattr(lib, s_name) and hasattr(lib, d_name):
                    found = (ctypes.cast(getattr(lib, s_name), ctypes.c_void_p).value,
                             ctypes.cast(getattr(lib, d_name), ctypes.c_void_p).value, wide)
                    break
            if found:
                break
        _GEMM.append(found)
    return _GEMM[0]


def discard(cache_dir, key):
    """Delete kernel `key`'s shared object and json (a broken pair)."""
    for p in paths(cache_dir, key):
        try:
            if p is not None:
                os.unlink(p)
        except OSError:
            pass


# ------------------------------------------------------------------------------ building
def compiler():
    """The C compiler used to link shared objects ($CC, else cc/gcc/clang on PATH), or None."""
    cc = os.environ.get("CC")
    if cc:
        return shutil.which(cc)
    for name in ("cc", "gcc", "clang"):
        p = shutil.which(name)
        if p:
            return p
    return None


_C_SCALAR = {"float32": "float", "float64": "double", "bool": "unsigned char",
             "int8": "signed char", "uint8": "unsigned char", "int16": "short",
             "uint16": "unsigned short", "int32": "int", "uint32": "unsigned int",
             "int64": "long long", "uint64": "unsigned long long"}


def _scalar_c(dtype):
    """(C parameter type of numba's native argument, how gf_call reads it from a Python object)
    for a scalar argument; None for a dtype without one."""
    d = np.dtype(dtype)
    ctype = _C_SCALAR.get(d.name)
    if ctype is None:
        return None
    if d.kind == "f":
        return ctype, f"({ctype})PyFloat_AsDouble({{}})"
    if d.kind == "b":
        return ctype, f"({ctype})(PyObject_IsTrue({{}}) == 1)"
    return ctype, f"({ctype})PyLong_AsLongLong({{}})"


_C_HEAD = r"""
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
typedef struct _object PyObject;
typedef struct { intptr_t rc; void *tp; char *data; int nd; intptr_t *dims; intptr_t *strides;
                 void *base; void *descr; int flags; } gf_array;            /* PyArrayObject */
typedef struct { intptr_t rc; void *tp; void *typeobj; char kind; char type; char byteorder;
               } gf_descr;                                                  /* PyArray_Descr */
extern PyObject _Py_NoneStruct;
extern PyObject *PyExc_TypeError, *PyExc_RuntimeError;
extern double PyFloat_AsDouble(PyObject *);
extern long long PyLong_AsLongLong(PyObject *);
extern int PyObject_IsTrue(PyObject *);
extern PyObject *PyErr_Occurred(void);
extern PyObject *PyErr_Format(PyObject *, const char *, ...);
extern void PyErr_SetString(PyObject *, const char *);
extern void *PyEval_SaveThread(void);
extern void PyEval_RestoreThread(void *);
extern int PyGILState_Ensure(void);
extern void PyGILState_Release(int);
extern void Py_IncRef(PyObject *);
extern PyObject *PyCFunction_NewEx(void *, PyObject *, PyObject *);
typedef struct { const char *ml_name; void *ml_meth; int ml_flags; const char *ml_doc; }
    gf_methoddef;                                                           /* PyMethodDef */

void *gf_ndarray_type = 0;          /* set by the loader: id(numpy.ndarray) */
static __thread int gf_raised = 0;

/* numba's runtime (NRT) functions the kernel's temporaries use, on malloc/free */
typedef void (*gf_dtor)(void *, size_t, void *);
typedef struct { size_t refct; gf_dtor dtor; void *dtor_info; void *data; size_t size;
                 void *external_allocator; } gf_meminfo;
void *NRT_MemInfo_alloc_aligned(size_t size, unsigned align) {
    char *base = malloc(sizeof(gf_meminfo) + size + 2 * (size_t)align);
    if (!base) return NULL;
    gf_meminfo *mi = (gf_meminfo *)base;
    size_t p = (size_t)(base + sizeof(gf_meminfo)), r = align ? p % align : 0;
    mi->refct = 1; mi->dtor = NULL; mi->dtor_info = NULL;
    mi->data = (void *)(p + (r ? align - r : 0)); mi->size = size; mi->external_allocator = NULL;
    return mi;
}
void *NRT_MemInfo_alloc_safe_aligned(size_t size, unsigned align) {
    return NRT_MemInfo_alloc_aligned(size, align);
}
void NRT_MemInfo_call_dtor(gf_meminfo *mi) {
    if (mi->dtor) mi->dtor(mi->data, mi->size, mi->dtor_info);
    free(mi);
}
void NRT_Free(void *p) { free(p); }
/* the exception path of the cfunc: remember it; gf_call raises after the kernel returns */
void numba_gil_ensure(int *state) { gf_raised = 1; *state = PyGILState_Ensure(); }
void numba_gil_release(int *state) { PyGILState_Release(*state); }
void *numba_unpickle(const char *a, int n, const char *h) { return NULL; }
void *numba_runtime_build_excinfo_struct(void *a, void *b) { return NULL; }
void *numba_do_raise(void *e) {
    PyErr_SetString(PyExc_RuntimeError, "graphflow native kernel raised");
    return NULL;
}

/* numba's BLAS helper (np.dot with an output, conv.py's kernels): the Fortran sgemm/dgemm of the
   BLAS numpy loaded (numba's own helper calls scipy's), set by the loader with its integer width */
void *gf_sgemm = 0, *gf_dgemm = 0;
int gf_blas_int64 = 0;
typedef void (*gf_gemm32)(char *, char *, int *, int *, int *, void *, void *, int *, void *,
                          int *, void *, void *, int *);
typedef void (*gf_gemm64)(char *, char *, long long *, long long *, long long *, void *, void *,
                          long long *, void *, long long *, void *, void *, long long *);
int numba_xxgemm(char kind, char ta, char tb, intptr_t m, intptr_t n, intptr_t k, void *alpha,
                 void *a, intptr_t lda, void *b, intptr_t ldb, void *beta, void *c,
                 intptr_t ldc) {
    void *f = kind == 's' ? gf_sgemm : kind == 'd' ? gf_dgemm : NULL;
    if (!f) return -1;      /* (numba's code then raises: the loader always sets them) */
    if (gf_blas_int64) {
        long long M = m, N = n, K = k, A = lda, B = ldb, C = ldc;
        ((gf_gemm64)f)(&ta, &tb, &M, &N, &K, alpha, a, &A, b, &B, beta, c, &C);
    } else {
        int M = (int)m, N = (int)n, K = (int)k, A = (int)lda, B = (int)ldb, C = (int)ldc;
        ((gf_gemm32)f)(&ta, &tb, &M, &N, &K, alpha, a, &A, b, &B, beta, c, &C);
    }
    return 0;
}
/* numba's matrix-vector and dot helpers (np.dot picks them for a product with one row or
   column), through the same gemm: y = alpha op(A) x + beta y, and *r = x . y */
int numba_xxgemv(char kind, char trans, intptr_t m, intptr_t n, void *alpha, void *a,
                 intptr_t lda, void *x, void *beta, void *y) {
    if (trans == 'n' || trans == 'N')
        return numba_xxgemm(kind, 'n', 'n', m, 1, n, alpha, a, lda, x, n > 1 ? n : 1, beta, y,
                            m > 1 ? m : 1);
    return numba_xxgemm(kind, 't', 'n', n, 1, m, alpha, a, lda, x, m > 1 ? m : 1, beta, y,
                        n > 1 ? n : 1);
}
int numba_xxdot(char kind, char conjugate, intptr_t n, void *dx, void *dy, void *result) {
    float fs[2] = {1.0f, 0.0f};
    double ds[2] = {1.0, 0.0};
    void *one = kind == 's' ? (void *)&fs[0] : (void *)&ds[0];
    void *zero = kind == 's' ? (void *)&fs[1] : (void *)&ds[1];
    if (kind != 's' && kind != 'd') return -1;
    return numba_xxgemm(kind, 't', 'n', 1, 1, n, one, dx, n > 1 ? n : 1, dy, n > 1 ? n : 1,
                        zero, result, 1);
}

/* numba's reshape helper (numba/_helperlib.c, itself numpy's _attempt_nocopy_reshape; BSD): a
   kernel that reshapes an array calls it. 1 and the new strides if no copy is needed, else 0 */
int numba_attempt_nocopy_reshape(intptr_t nd, const intptr_t *dims, const intptr_t *strides,
                                 intptr_t newnd, const intptr_t *newdims, intptr_t *newstrides,
                                 intptr_t itemsize, int is_f_order) {
    intptr_t olddims[64], oldstrides[64], np_, op, last_stride;
    int oldnd = 0, oi, oj, ok, ni, nj, nk;
    if (nd > 64) return 0;
    for (oi = 0; oi < nd; oi++)          /* axes of length 1 do not matter */
        if (dims[oi] != 1) { olddims[oldnd] = dims[oi]; oldstrides[oldnd] = strides[oi]; oldnd++; }
    np_ = 1;
    for (ni = 0; ni < newnd; ni++) np_ *= newdims[ni];
    op = 1;
    for (oi = 0; oi < oldnd; oi++) op *= olddims[oi];
    if (np_ != op) return 0;
    if (np_ == 0) {                      /* empty: any strides will do */
        for (ni = 0; ni < newnd; ni++) newstrides[ni] = itemsize;
        return 1;
    }
    oi = 0; oj = 1; ni = 0; nj = 1;
    while (ni < newnd && oi < oldnd) {
        np_ = newdims[ni];
        op = olddims[oi];
        while (np_ != op) {
            if (np_ < op) np_ *= newdims[nj++];
            else op *= olddims[oj++];
        }
        for (ok = oi; ok < oj - 1; ok++) {
            if (is_f_order) { if (oldstrides[ok + 1] != olddims[ok] * oldstrides[ok]) return 0; }
            else if (oldstrides[ok] != olddims[ok + 1] * oldstrides[ok + 1]) return 0;
        }
        if (is_f_order) {
            newstrides[ni] = oldstrides[oi];
            for (nk = ni + 1; nk < nj; nk++) newstrides[nk] = newstrides[nk - 1] * newdims[nk - 1];
        } else {
            newstrides[nj - 1] = oldstrides[oj - 1];
            for (nk = nj - 1; nk > ni; nk--) newstrides[nk - 1] = newstrides[nk] * newdims[nk];
        }
        ni = nj++;
        oi = oj++;
    }
    last_stride = ni >= 1 ? newstrides[ni - 1] : itemsize;
    if (is_f_order) last_stride *= newdims[ni - 1];
    for (nk = ni; nk < newnd; nk++) newstrides[nk] = last_stride;
    return 1;
}

static int gf_check(PyObject *o, int i, int nd, const char *codes, int writable) {
    gf_array *a = (gf_array *)o;
    if (a->tp == gf_ndarray_type && a->nd == nd && (a->flags & 0x101) == 0x101
            && (!writable || (a->flags & 0x400))) {
        gf_descr *d = (gf_descr *)a->descr;
        if (d->byteorder != '>') {
            for (const char *c = codes; *c; c++)
                if (*c == d->type) return 0;
        }
    }
    PyErr_Format(PyExc_TypeError, "graphflow native kernel %s: argument %d is not a "
                 "C-contiguous aligned%s %d-d numpy array of type code '%c'",
                 GF_KEY, i, writable ? " writable" : "", nd, codes[0]);
    return -1;
}
"""


#: the runtime functions the C file defines
_SHIM = {"NRT_MemInfo_alloc_aligned", "NRT_MemInfo_alloc_safe_aligned", "NRT_MemInfo_call_dtor",
         "NRT_Free", "numba_gil_ensure", "numba_gil_release", "numba_unpickle",
         "numba_runtime_build_excinfo_struct", "numba_do_raise", "numba_attempt_nocopy_reshape",
         "numba_xxgemm", "numba_xxgemv", "numba_xxdot"}

#: in the name of a kernel's "no shared object" marker: a marker written when the shim lacked a
#: helper the kernel calls is not read by a shim that has it (the kernel is tried again)
_SHIM_TAG = hashlib.sha256(" ".join(sorted(_SHIM)).encode()).hexdigest()[:8]


def c_source(arg_types, symbol, key, nogil=True):
    """The C file linked with the kernel's object code: the runtime shim and `gf_make()`, which
    returns the kernel as a Python builtin function (vectorcall: no ctypes on the call path).

    `gf_call` calls the kernel's own compiled function with numba's native calling convention
    (``int status = kernel(retptr, excinfo, args...)``, each array flattened to meminfo, parent,
    nitems, itemsize, data, its shape and its strides), as numba's dispatcher does after
    unboxing, so the machine code is the one numba's JIT runs."""
    checks, reads, call, proto = [], [], [], ["void *", "void *"]
    n = len(arg_types)
    for i, t in enumerate(arg_types):
        if t[0] == "i":
            reads.append(f"long long v{i} = PyLong_AsLongLong(x[{i}]);")
            call.append(f"v{i}")
            proto.append("long long")
        elif t[0] == "s":
            ctype, read = _scalar_c(t[1])
            reads.append(f"{ctype} v{i} = {read.format(f'x[{i}]')};")
            call.append(f"v{i}")
            proto.append(ctype)
        else:
            nd, size = t[2], np.dtype(t[1]).itemsize
            checks.append(f"if (gf_check(x[{i}], {i}, {nd}, \"{c_type_codes(t[1])}\", "
                          f"{0 if t[3] else 1})) return NULL;")
            reads.append(f"gf_array *v{i} = (gf_array *)x[{i}];")
            items = " * ".join(f"(long long)v{i}->dims[{j}]" for j in range(nd)) or "1LL"
            call += ["NULL", "NULL", items, f"{size}LL", f"v{i}->data"]
            call += [f"(long long)v{i}->dims[{j}]" for j in range(nd)]
            call += [f"(long long)v{i}->strides[{j}]" for j in range(nd)]
            proto += ["void *", "void *", "long long", "long long", "void *"]
            proto += ["long long"] * (2 * nd)
    body = "\n    ".join(checks + reads)
    scalars = any(t[0] != "a" for t in arg_types)
    return (f"#define GF_KEY \"{key}\"\n" + _C_HEAD +
            f"extern int gf_entry({', '.join(proto)}) __asm__(\"{symbol}\");\n"
            f"static PyObject *gf_call(PyObject *self, PyObject *const *x, intptr_t n) {{\n"
            f"    if (n != {n}) {{ PyErr_Format(PyExc_TypeError, \"graphflow native kernel \" "
            f"GF_KEY \" takes {n} arguments (%d given)\", (int)n); return NULL; }}\n"
            f"    {body}\n"
            + ("    if (PyErr_Occurred()) return NULL;\n" if scalars else "")
            + "    long long ret[8] = {0};\n    void *exc = NULL;\n    int status;\n"
            + ("    void *save = PyEval_SaveThread();\n" if nogil else "")
            + f"    status = gf_entry(ret, &exc, {', '.join(call)});\n"
            + ("    PyEval_RestoreThread(save);\n" if nogil else "")
            + "    if (status != 0) { PyErr_SetString(PyExc_RuntimeError, \"graphflow native "
              "kernel \" GF_KEY \" raised (e.g. an allocation failed)\"); return NULL; }\n"
              "    Py_IncRef(&_Py_NoneStruct);\n"
              "    return &_Py_NoneStruct;\n"
              "}\n"
              "static gf_methoddef gf_def = {\"gf_kernel_\" GF_KEY, (void *)gf_call, 0x0080, NULL};\n"
              "PyObject *gf_make(void) { return PyCFunction_NewEx(&gf_def, NULL, NULL); }\n")


def _called_from(module, name):
    """Names of the functions `name` calls in `module`, directly or through functions the
    module defines."""
    funcs = {f.name: f for f in module.functions}
    seen, todo, out = {name}, [name], set()
    while todo:
        f = funcs.get(todo.pop())
        if f is None or f.is_declaration:
            continue
        for block in f.blocks:
            for ins in block.instructions:
                if ins.opcode not in ("call", "invoke"):
                    continue
                callee = list(ins.operands)[-1].name
                if callee and callee not in seen:
                    seen.add(callee)
                    out.add(callee)
                    todo.append(callee)
    return out


def build(disp, sig, arg_types, cache_dir, key, source="", recompile=None):
    """Write kernel `key`'s shared object (the numba dispatcher `disp`, compiled for `sig`) into
    `cache_dir`; the path, or None when this kernel or machine cannot have one (the reason is
    then in `build.why`). Runs where numba is imported (the compiler process).
    A kernel numba loaded from its own cache has no LLVM module to link (only machine code inside
    numba's JIT): `recompile()` then gives a dispatcher compiled afresh (cache off)."""
    build.why = None
    if not usable():
        build.why = "native kernels are off"
        return None
    if "parallel=True" in source:
        build.why = "a parallel kernel (numba's thread pool)"
        return None
    cc = compiler()
    if cc is None:
        build.why = "no C compiler"
        return None
    import llvmlite.binding as ll
    from numba.core import types
    sig = tuple(sig)
    if any(t[0] == "s" and _scalar_c(t[1]) is None for t in arg_types):
        build.why = "a scalar argument of a dtype without a C type here"
        return None
    cres = disp.overloads[sig]
    if cres.signature.return_type != types.none:
        build.why = "the kernel returns values"
        return None
    try:    # numba loaded it from its cache: only machine code inside the JIT, no module
        defined = not cres.library._final_module.get_function(
            cres.fndesc.llvm_func_name).is_declaration
    except (NameError, AttributeError, RuntimeError):
        defined = False
    if not defined:
        if recompile is None:
            build.why = "the kernel came from numba's cache (no LLVM module to link)"
            return None
        cres = recompile().overloads[sig]
    lib = cres.library
    cg = lib.codegen
    tm = ll.Target.from_triple(ll.get_process_triple()).create_target_machine(
        cpu=cg._get_host_cpu_name(), features=cg._get_host_cpu_features(), opt=3,
        reloc="pic", codemodel="default")
    obj = tm.emit_object(lib._final_module)     # codegen only: the IR numba's JIT compiled
    symbol = cres.fndesc.llvm_func_name
    # the module's Python wrapper (never called here) needs numba's C helpers: stubs for every
    # function neither this process (Python, libc, libm) nor the shim provides
    proc = ctypes.CDLL(None)
    stubs = sorted(f.name for f in lib._final_module.functions
                   if f.is_declaration and not f.name.startswith("llvm.")
                   and f.name not in _SHIM and not hasattr(proc, f.name))
    # a stub is only safe where the kernel itself never calls it (e.g. numba's reshape helper,
    # `numba_attempt_nocopy_reshape`, is called by kernels that reshape: a stub returning 0
    # would make every such call fail)
    needed = sorted(set(stubs) & _called_from(lib._final_module, symbol))
    if needed:
        build.why = f"the kernel calls numba's C helpers {needed}"
        return None
    meta = paths(cache_dir, key)[1]
    blas = bool({"numba_xxgemm", "numba_xxgemv", "numba_xxdot"} & _called_from(
        lib._final_module, symbol))
    with tempfile.TemporaryDirectory(prefix="gf-native-", dir=cache_dir) as d:
        with open(os.path.join(d, "k.o"), "wb") as f:
            f.write(obj)
        with open(os.path.join(d, "entry.c"), "w") as f:
            f.write(c_source(arg_types, symbol, key, "nogil=True" in source) + "".join(
                f"void *gf_stub_{i}(void) __asm__(\"{name}\");\n"
                f"void *gf_stub_{i}(void) {{ return 0; }}\n" for i, name in enumerate(stubs)))
        out = os.path.join(d, "k.so")
        r = subprocess.run([cc, "-shared", "-fPIC", "-O1", "-Wl,-Bsymbolic", "-o", out,
                            os.path.join(d, "entry.c"), os.path.join(d, "k.o"), "-lm"],
                           capture_output=True, text=True)
        if r.returncode:
            build.why = f"{os.path.basename(cc)} failed: {r.stderr.strip()[:300]}"
            return None
        try:
            ctypes.PyDLL(out).gf_make       # every symbol resolves in this Python
        except (OSError, AttributeError) as e:
            build.why = f"does not load: {e}"
            return None
        with open(out, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        name = f"gfk_{key}.{tag()}.{digest[:12]}.so"
        os.replace(out, os.path.join(cache_dir, name))
    tmp = f"{meta}.{os.getpid()}.tmp"
    with open(tmp, "w") as f:
        json.dump({"so": name, "sha256": digest, "nargs": len(arg_types), "blas": blas}, f)
    os.replace(tmp, meta)
    return os.path.join(cache_dir, name)


build.why = None
