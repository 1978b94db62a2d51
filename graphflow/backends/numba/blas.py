"""BLAS products for the numba backend: how a plan runs `matmul` nodes, and numpy's own gemm
through ctypes (for accumulating into an existing buffer).

`matmul_runner(node)` is the call a plan step makes for a float matmul (a node step, or the
anchor of a cluster whose loop is the matmul's epilogue):

* transposes are views (``swapaxes``): numpy's matmul hands a transposed operand to BLAS as a
  transpose flag, no copy (measured: q @ k^T over 8 heads of 512x64 as fast from the view as
  from a contiguous copy);
* a big batched product (batch dims broadcast, as `np.matmul`) runs as one single-threaded
  gemm per batch chunk on the chunk pool (`parallel.pool`): both cores busy, no BLAS threads
  next to the pool's (OpenBLAS's own threads collapse on a loaded machine, see `blas_threads`);
  a big 2-D product likewise by chunks of rows of the output;
* `.fused(a, b, out, then, rows_per_image, images)`: the plan's fused-epilogue protocol (as
  conv's, `lowering.FUSED_EPILOGUE`): each chunk's epilogue kernel (`then(lo, hi)`) runs on the
  thread that computed the chunk right after its gemm, while the chunk is in cache - e.g. the
  scale, mask and the whole row softmax after one attention head's q k^T (1 MB of scores, in
  L2), instead of a separate pass over the 8 MB of all heads;
* small products run whole on one BLAS thread, other dtypes on the op table's impl.

numpy's BLAS, not scipy's: scipy bundles a second OpenBLAS whose idle threads would spin against
numpy's (measured: a 1.2 ms MLP step became 13 ms).

>>> d = {"op": "matmul", "dtype": np.dtype("float32"), "shape": (3, 2, 2),
...      "attrs": {"transpose_a": False, "transpose_b": True}}
>>> mm = matmul_runner(d)
>>> a = np.arange(12, dtype=np.float32).reshape(3, 2, 2)
>>> bool((mm(a, a) == a @ a.transpose(0, 2, 1)).all())
True
"""
import ctypes
import glob
import os

import numpy as np

from ...blas_threads import SINGLE_BLAS, SMALL_GEMM
from ...ops.math_ops import MATMUL
from ...ops.registry import OPS
from .parallel import ONE_THREAD, pool

_GEMMS = {}


def gemm(dtype):
    """`gemm(alpha, a, b, ta, tb, c)`: c (C-contiguous M x N) += alpha * op(a) @ op(b) for
    float32/float64 `dtype`, or None if numpy's BLAS does not export cblas gemm."""
    f = _GEMMS.get(dtype, False)     # (by the dtype itself: dtype.name costs ~3 us a call)
    if f is False:
        try:
            f = _load_gemm(np.dtype(dtype))
        except Exception:
            f = None
        _GEMMS[dtype] = f
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
        sa, sb = a.shape, b.shape
        fn(row_major, trans if ta else no_trans, trans if tb else no_trans, m, n,
           sa[0] if ta else sa[1], alpha, address(a), sa[1], address(b), sb[1], 1.0,
           address(c), n)
    return run


_char = ctypes.c_char


def address(x):
    """The address of C-contiguous array `x`'s first byte (for a C call): through the buffer
    protocol, ~4x cheaper than `x.ctypes.data` (which builds numpy's ctypes helper object each
    time); read-only arrays take `x.ctypes.data`.

    >>> x = np.zeros(3, np.float32)
    >>> address(x) == x.ctypes.data
    True
    >>> x.flags.writeable = False
    >>> address(x) == x.ctypes.data
    True
    """
    try:
        return ctypes.addressof(_char.from_buffer(x))
    except (TypeError, ValueError):      # read-only or empty
        return x.ctypes.data


#: at most this many chunks of a product on the chunk pool (about balanced on 2-4 cores while
#: each chunk's gemm stays big enough for BLAS's blocking)
MAX_CHUNKS = 8

#: a product of at least this many multiply-adds is split over the chunk pool (smaller ones:
#: one gemm on one BLAS thread; waking threads costs more than they save)
SPLIT_GEMM = SMALL_GEMM

#: a 2-D product (no batch) of fewer multiply-adds stays the plan's plain np.matmul call: the
#: runner's few µs per call made the MLP step (784-256-256-10, batch 128: 25M multiply-adds
#: per product) 5% slower (1.55 vs 1.47 ms, best of 5x20 interleaved, load 13)
SPLIT_2D = 1 << 26


def _split(a, b, out):
    """How `out = a @ b` (broadcast batch dims) splits into chunks along out's first axis:
    (n, slice_a, slice_b) with slice_x(lo, hi) the operand part chunk [lo, hi) reads."""
    if out.ndim == 2:           # rows of the output are rows of a; b is read whole
        return out.shape[0], (lambda lo, hi: a[lo:hi]), (lambda lo, hi: b)

    def cut(x):
        if x.ndim == out.ndim and x.shape[0] != 1:
            return lambda lo, hi: x[lo:hi]
        return lambda lo, hi: x         # broadcast along the first batch axis
    return out.shape[0], cut(a), cut(b)


def run_product(a, b, out, then=None, rows_per_image=1, images=None):
    """out[...] = a @ b (np.matmul semantics: batch dims broadcast; `a`, `b` may be transposed
    views); `then(lo, hi)` (optional) is called for each chunk of out's first axis [lo, hi)
    once it is done - rows [lo * rows_per_image, hi * rows_per_image) of the output viewed as
    (out.shape[0] * rows_per_image, -1) - on the thread that computed it. A product of
    SPLIT_GEMM multiply-adds or more runs by chunks of `images` (default: up to MAX_CHUNKS
    chunks) on the chunk pool with BLAS single-threaded; a smaller one whole on one BLAS thread.

    >>> a = np.arange(6.0).reshape(2, 3)
    >>> out = np.empty((2, 2))
    >>> _ = run_product(a, a.T, out, then=lambda lo, hi: print("rows", lo, hi))
    rows 0 2
    >>> out
    array([[ 5., 14.],
           [14., 50.]])
    """
    n, sa, sb = _split(a, b, out)
    macs = out.size * a.shape[-1]
    helpers = pool().helpers
    # one thread (no helper threads, or the plan chose one thread: `parallel.ONE_THREAD`): a
    # batched product still runs chunk by chunk, each chunk's epilogue while it is in cache
    serial = not helpers or ONE_THREAD.depth
    if macs < SPLIT_GEMM or n < 2 or (serial and out.ndim == 2):
        if macs < SPLIT_GEMM:
            with SINGLE_BLAS:
                np.matmul(a, b, out=out)
        else:                           # BLAS on its own threads (if any)
            np.matmul(a, b, out=out)
        if then is not None:        # the epilogue alone may still be worth all cores
            pool().run(then, n * rows_per_image, (images or n) * rows_per_image)
        return out
    if out.ndim == 2:
        # one chunk of rows per thread: each chunk's gemm packs all of b again (measured,
        # (512,1024)@(1024,1024) float32 at load 6: 8.7 ms in 2 chunks, 13.6 ms in 8)
        per = -(-n // (helpers + 1))
        rows = -(-per // images) * images if images else per
    else:
        rows = images or -(-n // MAX_CHUNKS)

    def chunk(lo, hi):
        np.matmul(sa(lo, hi), sb(lo, hi), out=out[lo:hi])
        if then is not None:
            then(lo * rows_per_image, hi * rows_per_image)
    with SINGLE_BLAS:
        if serial:
            for lo in range(0, n, rows):
                chunk(lo, min(n, lo + rows))
        else:
            pool().run(chunk, n, rows)
    return out


def _macs(d, in_shapes):
    """The multiply-adds of matmul node `d` with inputs of `in_shapes`, None if unknown."""
    a = tuple(in_shapes[0]) if in_shapes else ()
    if len(a) < 2:
        return None
    dims = tuple(d["shape"]) + ((a[-2] if d["attrs"]["transpose_a"] else a[-1]),)
    if not all(isinstance(v, (int, np.integer)) for v in dims):
        return None
    return int(np.prod(dims, dtype=np.int64))


def matmul_runner(d, in_shapes=None):
    """The call a plan makes for matmul node `d` (its attribute dict; `in_shapes`: its inputs'
    static shapes): `call(a, b)` -> the product, with `.fused(a, b, out, then, rows_per_image,
    images)` (see `run_product`). None for dtypes other than float32/float64 (the op table's
    impl runs them) and for 2-D products of fewer than SPLIT_2D multiply-adds (the plan's
    direct np.matmul call: a few µs less per product)."""
    if OPS[d["op"]] is not MATMUL:
        return None
    dt = np.dtype(d["dtype"])
    if dt.name not in ("float32", "float64"):
        return None
    if len(d["shape"]) == 2 and in_shapes is not None:
        macs = _macs(d, in_shapes)
        if macs is not None and macs < SPLIT_2D:
            return None
    ta, tb = d["attrs"]["transpose_a"], d["attrs"]["transpose_b"]
    impl = OPS[d["op"]].impl

    def views(a, b):
        if a.__class__ is not np.ndarray or b.__class__ is not np.ndarray or \
                a.dtype != dt or b.dtype != dt or a.ndim < 2 or b.ndim < 2:
            return None
        return (a.swapaxes(-1, -2) if ta else a), (b.swapaxes(-1, -2) if tb else b)

    def call(a, b):
        v = views(a, b)
        if v is None:
            return impl(a, b, ta, tb)
        a, b = v
        try:
            batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        except ValueError:
            return impl(a, b, False, False)     # numpy's own error message
        if a.shape[-1] != b.shape[-2]:
            return impl(a, b, False, False)
        out = np.empty(batch + (a.shape[-2], b.shape[-1]), dt)
        return run_product(a, b, out)

    def fused(a, b, out, then, rows_per_image, images):
        v = views(a, b)
        if v is None:
            out[...] = impl(a, b, ta, tb)
            then(0, out.shape[0] * rows_per_image)
            return out
        return run_product(v[0], v[1], out, then, rows_per_image, images)

    def into(a, b, out):
        """out[...] = the product, one BLAS thread (a chunk of a bigger job on the pool)."""
        v = views(a, b)
        with SINGLE_BLAS:
            if v is None:
                out[...] = impl(a, b, ta, tb)
            else:
                np.matmul(v[0], v[1], out=out)
    call.fused = fused
    call.into = into
    return call


def describe(d, in_shapes):
    """How a plan runs matmul node `d` with inputs of static `in_shapes` (for the kernel plan).

    >>> d = {"op": "matmul", "dtype": np.dtype("float32"), "shape": (8, 512, 512),
    ...      "attrs": {"transpose_a": False, "transpose_b": True}}
    >>> describe(d, [(8, 512, 64), (8, 512, 64)])
    'BLAS gemm per chunk of 1 of 8 batch entries on the chunk pool (BLAS single-threaded), b transposed by BLAS (no copy)'
    """
    if matmul_runner(d, in_shapes) is None:
        return "numpy/BLAS (np.matmul)"
    flags = [x for x, t in (("a", "transpose_a"), ("b", "transpose_b")) if d["attrs"][t]]
    tr = f", {' and '.join(flags)} transposed by BLAS (no copy)" if flags else ""
    shape = tuple(d["shape"])
    macs = _macs(d, in_shapes)
    if macs is None:
        return "BLAS gemm, by chunks on the chunk pool when big (shapes known at run time)" + tr
    if macs < SPLIT_GEMM or shape[0] < 2:
        return f"one BLAS gemm ({macs} multiply-adds{': one thread' if macs < SPLIT_GEMM else ''})" + tr
    if len(shape) == 2:
        return (f"BLAS gemm per chunk of {shape[0]} rows / {pool().helpers + 1} threads on the "
                "chunk pool (BLAS single-threaded)" + tr)
    return (f"BLAS gemm per chunk of {-(-shape[0] // MAX_CHUNKS)} of {shape[0]} batch entries "
            "on the chunk pool (BLAS single-threaded)" + tr)
