"""Image resizing as a numba loop: how the numba backend computes `resize` (tf.image.resize,
Keras's UpSampling2D(interpolation='bilinear') and Resizing) and its adjoint (the gradient).

The op table's impl applies one interpolation matrix per axis (`image_ops.interp_matrix`) as
two dense products, the second a batch of (Wo x W) @ (W x C) products per output row: for
UpSampling2D's 2x bilinear of 16x32x32x32 float32 (the segment model of
tools/bench_keras_models.py) 4.7 ms forward, 5.5 ms its adjoint (CPU, load ~15), a numpy step
in a compiled plan. Every method's matrix has few nonzeros per row (bilinear 2, bicubic 4,
nearest 1; an adjoint of an upsampling by s about s + 1), so each output pixel here sums its
few taps (the matrices' nonzeros per row, padded with weight 0): per output row, its row taps
`hi`/`hw` summed into one input row (contiguous loops over W*C), then each output pixel's column
taps `wi`/`ww` of that row over contiguous channels; batch chunks on the chunk pool. A method
with more than `MAX_TAPS` taps per output pixel (a big area or antialiased downsampling) keeps
the impl. Values: rows then columns as the impl, each sum in tap order (nearest: exact).
Measured (one thread each, CPU, medians of 20, load ~13; the impl with BLAS on one thread),
2x of 16x32x32x32 float32: bilinear forward 3.0 vs 5.7 ms, adjoint 2.0 vs 5.2; nearest 1.5 vs
4.0, adjoint 1.3 vs 4.3 (summing all the taps per pixel instead: bilinear 4.0-4.7 / 3.7-3.9).

>>> import numpy as np
>>> d = {"op": "resize", "attrs": dict(size=(2, 4), method="bilinear", adjoint=False,
...      antialias=False), "dtype": np.dtype("float32"), "shape": (1, 2, 4, 1)}
>>> f = runner(d)
>>> f(np.array([[[[0.], [4.]]]], np.float32))[0, 0, :, 0]
array([0., 1., 3., 4.], dtype=float32)
"""
import functools

import numpy as np

from ...ops.image_ops import interp_matrix
from ...ops.registry import OPS
from . import cache
from .conv import batched

#: bump when the kernel's text changes meaning (part of its source, hence its key)
RESIZE_KERNELS_VERSION = "resize-kernels-2"

_SOURCE = """# graphflow resize kernel (graphflow.backends.numba.resize; do not edit)
# {version}
import numpy as np
import numba


@numba.njit(cache=True, nogil=True, error_model='numpy', boundscheck=False)
def kernel(x, hi, hw, wi, ww, out):
    n, h, w, c = x.shape
    ho = out.shape[1]
    wo = out.shape[2]
    th = hi.shape[1]
    tw = wi.shape[1]
    x3 = x.reshape((n, h, w * c))
    o3 = out.reshape((n, ho, wo * c))
    tr = np.empty(w * c, x.dtype)
    for b in range(n):
        for oy in range(ho):
            # the output row's input row: its row taps summed, one contiguous loop each
            for e in range(w * c):
                tr[e] = 0
            for a in range(th):
                wy = hw[oy, a]
                if wy != 0:
                    xr = x3[b, hi[oy, a]]
                    for e in range(w * c):
                        tr[e] += wy * xr[e]
            # then each output pixel's column taps of it
            orow = o3[b, oy]
            for ox in range(wo):
                od = orow[ox * c:ox * c + c]
                for ch in range(c):
                    od[ch] = 0
                for t in range(tw):
                    wt = ww[ox, t]
                    if wt != 0:
                        ts = tr[wi[ox, t] * c:wi[ox, t] * c + c]
                        for ch in range(c):
                            od[ch] += wt * ts[ch]
"""

#: at most this many taps per output pixel (row taps x column taps) run the loop
MAX_TAPS = 16


@functools.lru_cache(maxsize=128)
def taps(n_in, n_out, method, adjoint, antialias, dtype):
    """One axis's interpolation as (indices, weights), both (n_out, T): each output's nonzero
    taps (padded with index 0, weight 0), T the most of any output; the adjoint's are those
    of the transposed matrix of the forward resize n_out -> n_in.

    >>> taps(2, 4, "bilinear", False, False, "float32")[1].tolist()
    [[1.0, 0.0], [0.75, 0.25], [0.25, 0.75], [1.0, 0.0]]
    """
    m = interp_matrix(n_out, n_in, method, antialias).T if adjoint else \
        interp_matrix(n_in, n_out, method, antialias)
    nz = m != 0
    t = max(1, int(nz.sum(1).max()))
    idx = np.zeros((n_out, t), np.int64)
    wts = np.zeros((n_out, t), dtype)
    for i in range(n_out):
        cols = np.flatnonzero(nz[i])
        idx[i, :len(cols)] = cols
        wts[i, :len(cols)] = m[i, cols]
    idx.flags.writeable = wts.flags.writeable = False
    return idx, wts


def covers(d):
    """Whether `runner(d)` computes node `d`: a float `resize` to a static size."""
    size = d["attrs"].get("size") if d["op"] == "resize" else None
    return (size is not None and np.dtype(d["dtype"]).name in ("float32", "float64")
            and len(size) == 2 and all(isinstance(s, (int, np.integer)) for s in size))


def runner(d):
    """The call computing `resize` node `d` with the loop above (the op table's impl until it
    is compiled, and for what it does not cover), or None for other ops and dtypes. `.kernels`
    lists the cache entries it uses."""
    if not covers(d):
        return None
    dt, a, size = np.dtype(d["dtype"]), d["attrs"], d["attrs"]["size"]
    impl = OPS["resize"].impl
    k = cache.request(_SOURCE.format(version=RESIZE_KERNELS_VERSION),
                      [("a", dt.name, 4, True), ("a", "int64", 2, True), ("a", dt.name, 2, True),
                       ("a", "int64", 2, True), ("a", dt.name, 2, True), ("a", dt.name, 4, False)])
    ho, wo = int(size[0]), int(size[1])
    how = (a["method"], bool(a["adjoint"]), bool(a.get("antialias", False)), dt.name)

    def call(x):
        n, h, w, c = x.shape
        if k.fn is None or x.dtype != dt or not x.size:
            return impl(x, **a)
        hi, hw = taps(h, ho, *how)
        wi, ww = taps(w, wo, *how)
        if hi.shape[1] * wi.shape[1] > MAX_TAPS:
            return impl(x, **a)
        out = np.empty((n, ho, wo, c), dt)
        batched(k.fn, ho * wo * c * hi.shape[1] * wi.shape[1], [np.ascontiguousarray(x)],
                 hi, hw, wi, ww, out, sliced_after=(out,))
        return out
    call.kernels = [k]
    return call
