"""numpy's own BLAS gemm through ctypes (for accumulating into an existing buffer).

numpy's BLAS, not scipy's: scipy bundles a second OpenBLAS whose idle threads would spin against
numpy's (measured: a 1.2 ms MLP step became 13 ms).
"""
import ctypes
import glob
import os

import numpy as np

_GEMMS = {}


def gemm(dtype):
    """`gemm(alpha, a, b, ta, tb, c)`: c (C-contiguous M x N) += alpha * op(a) @ op(b) for
    float32/float64 `dtype`, or None if numpy's BLAS does not export cblas gemm."""
    f = _GEMMS.get(dtype.name, False)
    if f is False:
        try:
            f = _load_gemm(dtype)
        except Exception:
            f = None
        _GEMMS[dtype.name] = f
    return f


def _load_gemm(dtype):
    base = os.path.dirname(os.path.dirname(os.path.abspath(np.__file__)))
    libs = glob.glob(os.path.join(base, "numpy.libs", "*openblas*.so*"))
    if not libs:
        return None
    lib = ctypes.CDLL(libs[0])
    letter = {"float32": "s", "float64": "d"}.get(dtype.name)
    if letter is None:
        return None
    for name, itype in ((f"scipy_cblas_{letter}gemm64_", ctypes.c_int64),
                        (f"cblas_{letter}gemm64_", ctypes.c_int64),
                        (f"scipy_cblas_{letter}gemm", ctypes.c_int),
                        (f"cblas_{letter}gemm", ctypes.c_int)):
        fn = getattr(lib, name, None)
        if fn is not None:
            break
    else:
        return None
    real = ctypes.c_float if letter == "s" else ctypes.c_double
    ptr = ctypes.c_void_p
    fn.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int, itype, itype, itype, real, ptr,
                   itype, ptr, itype, real, ptr, itype]
    fn.restype = None
    row_major, no_trans, trans = 101, 111, 112

    def run(alpha, a, b, ta, tb, c):
        """c (C-contiguous M x N) += alpha * op(a) @ op(b); a, b C-contiguous."""
        m, n = c.shape
        k = a.shape[0] if ta else a.shape[1]
        fn(row_major, trans if ta else no_trans, trans if tb else no_trans, m, n, k, alpha,
           a.ctypes.data, a.shape[1], b.ctypes.data, b.shape[1], 1.0, c.ctypes.data, n)
    return run
