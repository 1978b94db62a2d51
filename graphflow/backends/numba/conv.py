"""Hand-written numba kernels for convolution and max pooling (NHWC), with BLAS for the products.

The ops (`graphflow.ops.conv_ops`) keep their numpy reference implementations; this module is
how the numba backend computes them instead (`lowering.KERNELS` lists the ops, `runner(node)`
builds the call a plan step makes):

* ``conv2d``: per chunk of a few images (on the chunk pool), ONE numba call (`_IM2COL_GEMM`):
  block by block of a few images, im2col (padding, strides and dilations handled inline: no
  padded copy, no strided view copy) into a (images, Ho*Wo, kh*kw*C) scratch buffer of the
  thread (`_scratch`), then one BLAS sgemm/dgemm of those rows with the HWIO filter viewed as
  (kh*kw*C, O) straight into the output's rows (the columns are still in cache), called from
  inside numba (np.dot with an output: scipy's BLAS through numba's helper, or numpy's own from
  a shared object, `native.py`). A chunk thus holds the GIL only to start its call and its
  epilogue: the chunk pool's threads no longer take turns at Python-level calls between the
  im2col kernel, np.matmul and the epilogue of each block. BLAS runs single-threaded meanwhile
  (`SINGLE_BLAS`: the pool's threads are the parallelism; BLAS threads next to them
  oversubscribe the cores). A 1x1 stride-1 unpadded
  conv is one plain gemm of all the pixels (BLAS on its own threads). The bias add and
  activation after it are the cluster's fused epilogue (the fusion pass treats conv2d as an
  anchor, exactly like matmul); when only that epilogue reads the convolution's output, each
  chunk goes to a chunk-sized buffer of its thread, no full-size array (`AnchorScratch`). A
  block's columns and the output rows they make take at most `BLOCK_BYTES` (within L2). When
  the filter's shape is static (as in a plan), im2col and
  col2im are compiled with its kh, kw and channels as literal numbers (`_FIXED`).
* ``conv2d_backprop_input``: per batch chunk, one numba call (`_GEMM_COL2IM`): a gemm
  (cotangent @ filter^T) into a block's columns, then col2im (accumulating the overlapping
  windows), block by block. Like the forward it runs a fused epilogue per batch chunk (the
  layer below's relu mask and bias gradient), into a chunk buffer of the thread when only
  the epilogue reads it; so does a 1x1 convolution (forward or input gradient) with an
  epilogue: the gemm per batch chunk (`_pointwise_chunks`).
* ``conv2d_backprop_filter``: per batch chunk, one call of the forward's kernel (its mode 1):
  im2col a few images at a time (in cache) and columns^T @ cotangent into that chunk's partial
  sum (the chunks' partials added after). The forward's columns are
  not kept for it: whole columns (8.9 MB for 64x13x13x32 -> 3x3) no longer fit any cache, and
  writing them cost more than a second im2col block by block (one thread, forward + filter
  gradient: 7.6 -> 6.1 ms for that layer, 2.9 -> 2.6 ms for 64x28x28x1 -> 3x3x32).
* ``max_pool2d`` / ``max_pool2d_grad`` / ``max_pool2d_gather``: direct loops (window taps outer,
  channels inner: the inner loop is contiguous and vectorizes). The forward also writes each
  window's argmax tap (uint8, `POOL_TAPS`, kept for the run): the gradient of
  the same run scatters by it without reading the input again; otherwise the gradient finds
  each window's first maximum itself (NaN-propagating max, then the first tap equal to it - the
  numpy impl's rule) and scatters into the input's shape. A max pooling of a fused epilogue's
  output (conv + bias + relu) runs inside that plan step, batch chunk by batch chunk right after
  each chunk's epilogue, while its rows are in cache (`per_chunk`, `plan._ClusterStep.
  take_product`; the conv step: both pooling steps gone, ~0.6-1.9 ms less CPU per step).

Which per shape (measured, 2 cores, float32, batch 64, 3x3): im2col + gemm (per batch chunk,
single-threaded BLAS) is faster down to the
smallest reduction (C=1, a convnet's first layer: forward + filter gradient 13 ms vs 25 ms for
the direct loops, medians interleaved in one process at load 8; C=32: ~2x). Earlier, with BLAS
on its own threads next to the chunk pool, OpenBLAS collapsed on a loaded machine and direct
loops won for kh*kw*C <= 16; `DIRECT_MAX_K` keeps that switch (0 now: no ungrouped convolution
runs direct). A depthwise convolution with multiplier 1 and a static filter shape runs the row
kernels (`_DW_WALK`: taps outer, one flat loop over an output row). Direct loops compute every
other grouped convolution - also average
pooling, a depthwise convolution with a ones filter; a depthwise one (one input channel per
group) runs one contiguous loop over all channels per window tap (3x3 on 64x28x28x32, one
thread: 2.6 ms; the per-group loop it replaced took 80 ms). Non-float dtypes stay on the numpy
impl.

Tried and not adopted (one thread, CPU time, medians interleaved in one process, load 5-8):
* a direct C=1 forward with kh, kw, C literal and the output channels as the vectorized inner
  loop (each pixel's 9 inputs gathered once, a sum of 9 products per channel; no reassociation)
  for 64x28x28x1 -> 3x3x32: 1.21 ms vs 0.68 ms for blocked im2col + sgemm; its filter gradient
  (per pixel, 9 x 32 partial sums in memory) 2.5 ms vs 0.61 ms;
* Winograd F(2x2, 3x3) for 64x13x13x32 -> 3x3x64 (filter G g G^T in numpy, 0.06 ms; per block
  of images the input transform B^T d B, 16 sgemms (tiles x 32) @ (32 x 64), the output
  transform A^T m A): the 16 products take 1.45 ms (vs ~2.3 ms for the direct product's 285
  MFLOP; 151 MFLOP with the 11 -> 12 tile padding, K = 32 is less efficient), but the
  transforms in numba cost 0.9 + 1.1 ms (channel loops of 32 per tile: loop overhead, and LLVM
  vectorizes a loop only with few alias checks, so one output row per loop): 3.1-4.2 ms in all,
  0.9-1.0x im2col + gemm. Accuracy was no obstacle: max |error| / (|x| * |w|) 1.3e-7 (direct
  product 2.9e-7, float32). F(2x2, 3x3) of the input gradient would save less (205 vs 285
  MFLOP, 7x7 tiles of the padded cotangent).
* running the batch in 16 or 4 chunks instead of 8 (`MAX_CHUNKS`): conv step CPU 1.05x / 1.0x.

Kernels are generated module sources requested from the kernel cache (`cache.request`: compiled
in the background thread, kept on disk); until they are ready a node runs on the numpy impl, so
a plan never waits for the compiler. Big loops split over the batch on the chunk pool (serial
`nogil` kernels on batch slices, `parallel.pool`).

>>> import numpy as np
>>> from graphflow.backends.numba import conv
>>> d = {"op": "max_pool2d", "attrs": dict(ksize=(2, 2), strides=(2, 2), pads=((0, 0), (0, 0))),
...      "dtype": np.dtype("float32"), "shape": (1, 2, 2, 1)}
>>> f = conv.runner(d)
>>> f(np.arange(16, dtype=np.float32).reshape(1, 4, 4, 1))[0, :, :, 0]
array([[ 5.,  7.],
       [13., 15.]], dtype=float32)
"""
import importlib
import math
import textwrap
import threading

import numpy as np

from ...blas_threads import SINGLE_BLAS
from ...evaluate import run_count
from ...ops.conv_ops import out_size
from ...ops.registry import OPS
from . import cache, lowering, native
from .parallel import CHUNK_ELEMENTS, ONE_THREAD, pool

#: bump when a kernel's text changes meaning (part of every kernel's source, hence its key)
CONV_KERNELS_VERSION = "conv-kernels-8"

_HEAD = """# graphflow conv kernel (graphflow.backends.numba.conv; do not edit)
# {version} {name} {dtype}
import numpy as np
import numba


"""

_FLAGS = "@numba.njit(cache=True, nogil=True, error_model='numpy', boundscheck=False)"

# im2col and col2im walk each output row oy, then each tap row i of the windows (one input row),
# then the windows ox along it: a window inside the input row (dilation 1) copies/adds its kw*c
# contiguous values in one loop. `{shape}` sets kh, kw and c: the arguments (any filter), or
# literal numbers when the filter's shape is static (`_FIXED`: LLVM then unrolls the short
# copies - measured 64x28x28x1 -> 3x3 columns 0.76 -> 0.11 ms, 64x13x13x32 0.76 -> 0.47 ms)
_COLUMN_WALK = """
def kernel({args}, kh, kw, sh, sw, dh, dw, pt, pl):
    n, h, w, c = {image}.shape
{{shape}}
    ho = cols.shape[1]
    wo = cols.shape[2]
    span = kw * c
    k = kh * span
    x3 = {image}.reshape((n, h, w * c))
    c3 = cols.reshape((n, ho, wo * k))
    for b in range(n):
{per_image}
        for oy in range(ho):
            crow = c3[b, oy]
            for i in range(kh):
                iy = oy * sh - pt + i * dh
                if iy < 0 or iy >= h:
{row_outside}
                    continue
                xr = x3[b, iy]
                for ox in range(wo):
                    base = ox * k + i * span
                    ix0 = ox * sw - pl
                    if dw == 1 and ix0 >= 0 and ix0 + kw <= w:
                        off = ix0 * c
                        for e in range(span):
{window}
                        continue
                    for j in range(kw):
                        ix = ix0 + j * dw
                        bj = base + j * c
                        if ix >= 0 and ix < w:
                            for ch in range(c):
{tap}
{tap_outside}
"""


def _part(code, depth):
    """A code part of a kernel template, unindented then indented by `depth` spaces."""
    return textwrap.indent(textwrap.dedent(code).strip("\n"), " " * depth)


def _column_walk(args, image, window, tap, per_image="", row_outside="", tap_outside=""):
    """im2col's or col2im's source: `_COLUMN_WALK` with what a window inside the row does to
    its kw*c contiguous values (`window`: column e of the window row at `base`, input value at
    `off`), what one tap at (ix, ch) does (`tap`, column `bj + ch`) and the set-up parts; the
    `{shape}` line is left for `kernel_source`."""
    src = _COLUMN_WALK.format(
        args=args, image=image, per_image=_part(per_image, 8),
        row_outside=_part(row_outside, 20), window=_part(window, 28), tap=_part(tap, 32),
        tap_outside=_part(tap_outside, 24))
    return _FLAGS + "\n" + "\n".join(line for line in src.splitlines() if line.strip()) + "\n"


_IM2COL = _column_walk(
    "x, cols", "x", "crow[base + e] = xr[off + e]", "crow[bj + ch] = xr[ix * c + ch]",
    row_outside="""
        for ox in range(wo):
            base = ox * k + i * span
            for e in range(span):
                crow[base + e] = 0""",
    tap_outside="""
        else:
            for ch in range(c):
                crow[bj + ch] = 0""")

_COL2IM = _column_walk(
    "cols, xg", "xg", "xr[off + e] += crow[base + e]", "xr[ix * c + ch] += crow[bj + ch]",
    per_image="""
        for y in range(h):
            for e in range(w * c):
                x3[b, y, e] = 0""")



def _helper(source, name):
    """Kernel `source` as a helper function `name` of another kernel's module (one call for a
    chunk: the columns and the product inside one GIL-free numba call)."""
    return source.replace("def kernel(", f"def {name}(", 1)


# one batch chunk of a convolution or of its filter gradient as ONE numba call (no GIL between
# the column and BLAS parts: the chunk pool's threads scale), a few images at a time (`cols`
# holds one block of `cols.shape[0]` images, still in cache for the product): im2col, then the
# product by BLAS sgemm/dgemm from inside numba (np.dot with an output: numba's `numba_xxgemm`,
# scipy's cython BLAS - or numpy's, in a shared object (`native.py`) - single-threaded while the
# pool runs). `grad` 0: c (rows, O) = columns @ b, the forward (b: the (kh*kw*C, O) filter);
# 1: c (kh*kw*C, O) = columns^T @ b summed over the blocks, the filter gradient (b: the
# cotangent's (rows, O); `tmp`: a block's product). One kernel per filter shape serves both.
_IM2COL_GEMM = _helper(_IM2COL, "im2col") + "\n\n" + _FLAGS + """
def kernel(x, b, cols, c, tmp, grad, kh, kw, sh, sw, dh, dw, pt, pl):
    n = x.shape[0]
    ib = cols.shape[0]
    p = cols.shape[1] * cols.shape[2]
    k = cols.shape[3]
    o = c.shape[1]
    for b0 in range(0, n, ib):
        b1 = min(n, b0 + ib)
        cb = cols[:b1 - b0]
        im2col(x[b0:b1], cb, kh, kw, sh, sw, dh, dw, pt, pl)
        c2 = cb.reshape(((b1 - b0) * p, k))
        if grad == 0:
            np.dot(c2, b, c[b0 * p:b1 * p])
        elif b0 == 0:
            np.dot(c2.T, b[b0 * p:b1 * p], c)
        else:
            np.dot(c2.T, b[b0 * p:b1 * p], tmp)
            for i in range(k):
                for q in range(o):
                    c[i, q] += tmp[i, q]
"""

# the input gradient of a batch chunk: cotangent @ filter^T into a block's columns, col2im
_GEMM_COL2IM = _helper(_COL2IM, "col2im") + "\n\n" + _FLAGS + """
def kernel(ct, w2, cols, xg, kh, kw, sh, sw, dh, dw, pt, pl):
    n = ct.shape[0]
    ib = cols.shape[0]
    p = cols.shape[1] * cols.shape[2]
    k = w2.shape[0]
    c2 = ct.reshape((n * p, w2.shape[1]))
    w2t = w2.T
    for b0 in range(0, n, ib):
        b1 = min(n, b0 + ib)
        cb = cols[:b1 - b0]
        np.dot(c2[b0 * p:b1 * p], w2t, cb.reshape(((b1 - b0) * p, k)))
        col2im(cb, xg[b0:b1], kh, kw, sh, sw, dh, dw, pt, pl)
"""

#: kernels whose source takes the filter's (kh, kw, c) as literal numbers when they are static
_FIXED = ("im2col_gemm", "gemm_col2im")

_MAXPOOL = _FLAGS + """
def kernel(x, out, kh, kw, sh, sw, pt, pl, low):
    n, h, w, c = x.shape
    ho = out.shape[1]
    wo = out.shape[2]
    for b in range(n):
        for oy in range(ho):
            for ox in range(wo):
                for ch in range(c):
                    out[b, oy, ox, ch] = low
                for i in range(kh):
                    iy = oy * sh - pt + i
                    if iy < 0 or iy >= h:
                        continue
                    for j in range(kw):
                        ix = ox * sw - pl + j
                        if ix < 0 or ix >= w:
                            continue
                        for ch in range(c):
                            v = x[b, iy, ix, ch]
                            m = out[b, oy, ox, ch]
                            out[b, oy, ox, ch] = v if (v > m or v != v) and m == m else m
"""

# the first maximum of each window of x at (b, oy, ox), per channel, into best/arg (a tap index
# i * kw + j), in one pass over the taps in order: padding cells count as `low`; a later tap wins
# only if strictly greater (ties: the first); a NaN wins and sends the gradient to tap 0 (the
# numpy impl's rule: NaN max, no tap equal to it)
# In these loops every array value is loaded before the selects (`a = arg[ch]` ... `if up else
# a`): a load inside a conditional expression (`... if up else arg[ch]`) stays a branch (LLVM may
# not speculate a load numba does not mark dereferenceable) and the channel loop did not
# vectorize - measured max_pool2d 2x2 of a relu output 64x26x26x32 5.7 -> 1.0 ms, 64x11x11x64
# 1.50 -> 0.28 ms (one thread, medians of 20, load ~6; the ties of relu's zeros made the
# branches unpredictable).
_ARGMAX = """
                for ch in range(c):
                    best[ch] = low
                    arg[ch] = 0
                for i in range(kh):
                    iy = oy * sh - pt + i
                    for j in range(kw):
                        ix = ox * sw - pl + j
                        t = i * kw + j
                        if iy < 0 or iy >= h or ix < 0 or ix >= w:
                            continue
                        if t == 0:
                            for ch in range(c):
                                xv = x[b, iy, ix, ch]
                                best[ch] = xv
                        else:
                            for ch in range(c):
                                xv = x[b, iy, ix, ch]
                                m = best[ch]
                                a = arg[ch]
                                up = (xv > m) | ((xv != xv) & (m == m))
                                best[ch] = xv if up else m
                                arg[ch] = (t if xv == xv else 0) if up else a
"""

# the same for a window at (b, oy, ox) that lies inside the input (no padding, no bounds checks):
# rows as 1-D views, contiguous channel loops (they vectorize); y0, x0: its top-left cell
_ARGMAX_INSIDE = """
                    y0 = oy * sh
                    x0 = ox * sw
                    xr = x[b, y0, x0]
                    for ch in range(c):
                        best[ch] = xr[ch]
                        arg[ch] = 0
                    for t in range(1, kh * kw):
                        xr = x[b, y0 + t // kw, x0 + t % kw]
                        for ch in range(c):
                            xv = xr[ch]
                            m = best[ch]
                            a = arg[ch]
                            up = (xv > m) | ((xv != xv) & (m == m))
                            best[ch] = xv if up else m
                            arg[ch] = (t if xv == xv else 0) if up else a
"""

_MAXPOOL_GRAD = _FLAGS + """
def kernel(x, g, out, kh, kw, sh, sw, pt, pl, low):
    n, h, w, c = x.shape
    ho = g.shape[1]
    wo = g.shape[2]
    best = np.empty(c, x.dtype)
    arg = np.empty(c, np.int64)
    if kh == sh and kw == sw and pt == 0 and pl == 0 and ho * kh == h and wo * kw == w:
        # windows tile the input: every cell is written once (g at the argmax, else 0) - no
        # zero fill, no scatter
        for b in range(n):
            for oy in range(ho):
                for ox in range(wo):""" + _ARGMAX_INSIDE + """
                    gr = g[b, oy, ox]
                    for t in range(kh * kw):
                        orow = out[b, y0 + t // kw, x0 + t % kw]
                        for ch in range(c):
                            orow[ch] = gr[ch] if arg[ch] == t else 0
        return
    for b in range(n):
        for y in range(h):
            for xx in range(w):
                for ch in range(c):
                    out[b, y, xx, ch] = 0
        for oy in range(ho):
            for ox in range(wo):""" + _ARGMAX + """
                for ch in range(c):
                    t = arg[ch]
                    iy = oy * sh - pt + t // kw
                    ix = ox * sw - pl + t % kw
                    if iy >= 0 and iy < h and ix >= 0 and ix < w:
                        out[b, iy, ix, ch] += g[b, oy, ox, ch]
"""

_MAXPOOL_GATHER = _FLAGS + """
def kernel(x, v, out, kh, kw, sh, sw, pt, pl, low):
    n, h, w, c = x.shape
    ho = out.shape[1]
    wo = out.shape[2]
    best = np.empty(c, x.dtype)
    arg = np.empty(c, np.int64)
    for b in range(n):
        for oy in range(ho):
            for ox in range(wo):""" + _ARGMAX + """
                for ch in range(c):
                    t = arg[ch]
                    iy = oy * sh - pt + t // kw
                    ix = ox * sw - pl + t % kw
                    if iy >= 0 and iy < h and ix >= 0 and ix < w:
                        out[b, oy, ox, ch] = v[b, iy, ix, ch]
                    else:
                        out[b, oy, ox, ch] = 0
"""

# max pooling that also writes each window's argmax tap (uint8; the same first-maximum rule as
# the gradient's): the gradient of the same run then scatters by it without reading x again
_MAXPOOL_ARG = _FLAGS + """
def kernel(x, out, taps, kh, kw, sh, sw, pt, pl, low):
    n, h, w, c = x.shape
    ho = out.shape[1]
    wo = out.shape[2]
    # the output rows and columns whose windows lie inside the input: [oy0, oy1) x [ox0, ox1)
    # (all of them without padding; a 'SAME' pooling's border windows are the rest)
    oy0 = min(ho, -(-pt // sh))
    oy1 = max(oy0, min(ho, (h - kh + pt) // sh + 1))
    ox0 = min(wo, -(-pl // sw))
    ox1 = max(ox0, min(wo, (w - kw + pl) // sw + 1))
    best = np.empty(c, x.dtype)
    arg = np.empty(c, np.int64)
    for b in range(n):
        for oy in range(ho):
            inner = oy >= oy0 and oy < oy1
            if inner and ox1 > ox0:
                # the windows inside the input: the row's at a time, tap by tap (the first tap
                # copied, each later one compared in place; branch-free selects over
                # contiguous channels vectorize) - measured 64x26x26x32 2x2: 1.00 -> 0.60 ms
                # per pixel, one thread; 'SAME' 3x3 stride 2 on 32x32x32x32, where all windows
                # ran per pixel before: 1.34 -> 1.20 ms (medians of 30, load ~10)
                y0 = oy * sh - pt
                orow = out[b, oy]
                trow = taps[b, oy]
                xr = x[b, y0]
                for ox in range(ox0, ox1):
                    xs = xr[ox * sw - pl]
                    od = orow[ox]
                    td = trow[ox]
                    for ch in range(c):
                        od[ch] = xs[ch]
                        td[ch] = 0
                for t in range(1, kh * kw):
                    xr = x[b, y0 + t // kw]
                    j = t % kw - pl
                    tt = np.uint8(t)
                    for ox in range(ox0, ox1):
                        xs = xr[ox * sw + j]
                        od = orow[ox]
                        td = trow[ox]
                        for ch in range(c):
                            xv = xs[ch]
                            m = od[ch]
                            tc = td[ch]
                            up = (xv > m) | ((xv != xv) & (m == m))
                            od[ch] = xv if up else m
                            td[ch] = (tt if xv == xv else np.uint8(0)) if up else tc
            for ox in range(wo):
                if inner and ox >= ox0 and ox < ox1:
                    continue""" + _ARGMAX + """
                for ch in range(c):
                    out[b, oy, ox, ch] = best[ch]
                    taps[b, oy, ox, ch] = arg[ch]
"""

_MAXPOOL_GRAD_ARG = _FLAGS + """
def kernel(taps, g, out, kh, kw, sh, sw, pt, pl, low):
    n, h, w, c = out.shape
    ho = g.shape[1]
    wo = g.shape[2]
    if kh == sh and kw == sw and pt == 0 and pl == 0 and ho * kh <= h and wo * kw <= w:
        # windows do not overlap: every cell written once (g at the argmax, else 0; the cells
        # past the last window, e.g. the 11th row of 11 pooled by 2, zeroed) - no zero fill,
        # no scatter; a whole output row at a time, tap by tap (contiguous channel loops)
        for b in range(n):
            for oy in range(ho):
                grow = g[b, oy]
                trow = taps[b, oy]
                for t in range(kh * kw):
                    orow = out[b, oy * kh + t // kw]
                    j = t % kw
                    tt = np.uint8(t)
                    for ox in range(wo):
                        od = orow[ox * kw + j]
                        gs = grow[ox]
                        ts = trow[ox]
                        for ch in range(c):
                            od[ch] = gs[ch] if ts[ch] == tt else 0
                for i in range(kh):
                    orow = out[b, oy * kh + i]
                    for ix in range(wo * kw, w):
                        for ch in range(c):
                            orow[ix, ch] = 0
            for iy in range(ho * kh, h):
                for ix in range(w):
                    for ch in range(c):
                        out[b, iy, ix, ch] = 0
        return
    for b in range(n):
        for y in range(h):
            for xx in range(w):
                for ch in range(c):
                    out[b, y, xx, ch] = 0
        # overlapping windows: each window's taps in order (bounds checked once per tap), the
        # channels whose argmax is that tap adding their gradient - a contiguous channel loop
        # that vectorizes, not a division per value (+0 added elsewhere: the sums start at +0
        # and never become -0, so the values and their order are the scatter's). Measured 3x3
        # stride 2 on 32x32x32x32: 1.26 -> 0.92 ms, stride 1 on 8x30x30x32 0.93 -> 0.52 (one
        # thread, medians of 30, load ~10; 16 channels 0.62 -> 0.71)
        for oy in range(ho):
            for ox in range(wo):
                gs = g[b, oy, ox]
                ts = taps[b, oy, ox]
                for t in range(kh * kw):
                    iy = oy * sh - pt + t // kw
                    ix = ox * sw - pl + t % kw
                    if iy < 0 or iy >= h or ix < 0 or ix >= w:
                        continue
                    od = out[b, iy, ix]
                    tt = np.uint8(t)
                    for ch in range(c):
                        gv = gs[ch]
                        tv = ts[ch]
                        ov = od[ch]
                        od[ch] = ov + (gv if tv == tt else np.float32(0))
"""

# direct convolutions (no columns): every grouped (depthwise) convolution, and an ungrouped one
# with a reduction kh*kw*C of at most DIRECT_MAX_K. The forward, filter-gradient and
# input-gradient kernels walk the same window loop nest - each output pixel (b, oy, ox), each
# tap (i, j) of its window that lies inside the input, each channel ch (of group gi) of the input
# row `xr` at (b, iy, ix) - and differ only in their set-up and in what one tap does
# (`_window_walk` fills those parts into `_WINDOW_WALK`); the inner loops run over output
# channels (contiguous: they vectorize).
_FAST = ("@numba.njit(cache=True, nogil=True, error_model='numpy', boundscheck=False, "
         "fastmath={'reassoc', 'contract', 'nsz'})")

_WINDOW_WALK = """
def kernel({args}, sh, sw, dh, dw, pt, pl, groups):
    n, h, wd, c = {rows}.shape
    kh, kw, cg, o = {filter_shape}
    og = o // groups
    src = np.arange(o) // max(og, 1)    # each output channel's input channel (depthwise)
    ho = {pixels}.shape[1]
    wo = {pixels}.shape[2]
{setup}
    for b in range(n):
{per_image}
        for oy in range(ho):
            for ox in range(wo):
{per_pixel}
                for i in range(kh):
                    iy = oy * sh - pt + i * dh
                    if iy < 0 or iy >= h:
                        continue
                    for j in range(kw):
                        ix = ox * sw - pl + j * dw
                        if ix < 0 or ix >= wd:
                            continue
                        xr = {rows}[b, iy, ix]
                        if groups == 1:     # (a loop with a variable start: ~5x slower)
                            for ch in range(cg):
{dense}
                            continue
                        if cg == 1 and og == 1:     # depthwise, one output per channel
{depthwise}
                            continue
                        if cg == 1:                 # depthwise, og outputs per channel
{depthwise_m}
                            continue
                        for gi in range(groups):
                            for ch in range(cg):
{grouped}
"""


def _window_walk(args, rows, filter_shape, pixels, tap, depthwise, setup="", per_image="",
                 per_pixel=""):
    """A direct-convolution kernel's source: `_WINDOW_WALK` with these parts (`rows`: the NHWC
    array whose row at each tap is `xr`, `pixels`: the array with the output's spatial shape;
    code parts unindented). `tap` is what one tap does for input channel `{c}` with the output
    channels `{n}` of its group (`{gs}`: that slice of a 1-D row, `{g}`: the same as a last
    index): written once, filled in for the ungrouped loop (the whole rows) and the grouped one.
    `depthwise`: what one tap does for every channel at once when each group is one input and
    one output channel (a depthwise convolution with multiplier 1, average pooling): one
    contiguous loop over the channels (it vectorizes; the grouped loop's per-channel slices cost
    ~80 ms for a 3x3 depthwise convolution of 64x28x28x32, this loop 2.6 ms, one thread);
    output channel q reads input channel `{x}`: q itself, or `src[q]` for `og` outputs per
    input channel (no slices, no division; multiplier 2 on 64x28x28x16: 37 -> 11 ms)."""
    dense = tap.format(c="ch", n="o", gs="", g="")
    grouped = tap.format(c="gi * cg + ch", n="og", gs="[gi * og:gi * og + og]",
                         g=", gi * og:gi * og + og")
    return _FAST + _WINDOW_WALK.format(
        args=args, rows=rows, filter_shape=filter_shape, pixels=pixels,
        setup=_part(setup, 4), per_image=_part(per_image, 8), per_pixel=_part(per_pixel, 16),
        dense=_part(dense, 32), grouped=_part(grouped, 32),
        depthwise=_part(depthwise.format(x="q"), 28),
        depthwise_m=_part(depthwise.format(x="src[q]"), 28))


_DIRECT_FWD = _window_walk(
    "x, w, out", "x", "w.shape", "out",
    per_pixel="""
        orow = out[b, oy, ox]
        for q in range(o):
            orow[q] = 0""",
    tap="""
        xv = xr[{c}]
        wr = w[i, j, ch{g}]
        og_row = orow{gs}
        for q in range({n}):
            og_row[q] += xv * wr[q]""",
    depthwise="""
        wr = w[i, j, 0]
        for q in range(o):
            orow[q] += xr[{x}] * wr[q]""")

# the filter gradient of a batch slice into its own partial sum part[0] (summed by the caller)
_DIRECT_BF = _window_walk(
    "x, ct, part", "x", "part.shape[1:]", "ct",
    setup="""
        for i in range(kh):
            for j in range(kw):
                for ch in range(cg):
                    for q in range(o):
                        part[0, i, j, ch, q] = 0""",
    per_pixel="cr = ct[b, oy, ox]",
    tap="""
        xv = xr[{c}]
        crg = cr{gs}
        pr = part[0, i, j, ch{g}]
        for q in range({n}):
            pr[q] += xv * crg[q]""",
    depthwise="""
        pr = part[0, i, j, 0]
        for q in range(o):
            pr[q] += xr[{x}] * cr[q]""")

_DIRECT_BI = _window_walk(
    "ct, w, xg", "xg", "w.shape", "ct",
    per_image="""
        for y in range(h):
            for x in range(wd):
                for ch in range(c):
                    xg[b, y, x, ch] = 0""",
    per_pixel="cr = ct[b, oy, ox]",
    tap="""
        crg = cr{gs}
        wr = w[i, j, ch{g}]
        acc = xr[{c}]
        for q in range({n}):
            acc += crg[q] * wr[q]
        xr[{c}] = acc""",
    depthwise="""
        wr = w[i, j, 0]
        for q in range(o):
            xr[{x}] += cr[q] * wr[q]""")

# depthwise convolutions with multiplier 1 (each output channel reads its own input channel:
# MobileNet's / Xception's depthwise layers), output row by output row: the taps outer, then
# one flat loop over the row's (output pixel, channel) values whose tap lies inside the input
# (a stride-1 row: Wo*C contiguous values, the filter tap tiled along the row once per call in
# `wt`) - no per-pixel bounds checks, no C-long loop per pixel and tap as the window walk
# (`_DIRECT_*`) makes; the output row (or the filter gradient's per-tap row sums, `acc`) stays
# in L1. `{row}` is what one tap does for the row values [lo, hi) (x row offset `xo`, filter
# row `wv`, its x row `rv`, output row `pv`: views from index 0); a strided row runs it per
# pixel. Measured (one thread, CPU time, medians of 30 interleaved, load ~6, 3x3 'SAME' on
# 32x32x32x16, the sepconv model of tools/bench_keras_models.py): forward 1.46 -> 1.08 ms, input
# gradient 1.33 -> 1.18, filter gradient 1.38 -> 1.16 (8-wide FMA loops; the window walk's
# C-long loops per pixel and tap run 16 wide once per pixel). Indexing a row at a loop index
# plus an offset instead of a view made the loops scalar (wraparound checks): 7x slower
_DW_WALK = """
def kernel({args}, wt, sh, sw, dh, dw, pt, pl):
    n = {pixels}.shape[0]
    ho = {pixels}.shape[1]
    wo = {pixels}.shape[2]
    h = {rows}.shape[1]
    wd = {rows}.shape[2]
    c = {rows}.shape[3]
    kh = wt.shape[0] // {kw}
    kw = {kw}
    p3 = {pixels}.reshape((n, ho, wo * c))
    r3 = {rows}.reshape((n, h, wd * c))
{setup}
    for b in range(n):
{per_image}
        for oy in range(ho):
            prow = p3[b, oy]
{per_row}
            for i in range(kh):
                iy = oy * sh - pt + i * dh
                if iy < 0 or iy >= h:
                    continue
                rrow = r3[b, iy]
                for j in range(kw):
                    off = j * dw - pl
                    lo = max(0, -(off // sw))
                    hi = min(wo, (wd - 1 - off) // sw + 1)
                    if hi <= lo:
                        continue
                    # views from index 0 (a loop index plus an offset needs wraparound
                    # checks: no SIMD, measured 7x slower)
                    if sw == 1:
                        pv = prow[lo * c:hi * c]
                        wv = wt[i * kw + j, lo * c:hi * c]
                        rv = rrow[(lo + off) * c:(hi + off) * c]
                        for e in range(pv.shape[0]):
{row1}
                    else:
                        for ox in range(lo, hi):
                            pv = prow[ox * c:ox * c + c]
                            wv = wt[i * kw + j, ox * c:ox * c + c]
                            rv = rrow[(ox * sw + off) * c:(ox * sw + off) * c + c]
                            for e in range(c):
{row2}
{finish}
"""


def _dw_walk(args, rows, pixels, kw, row, setup="", per_image="", per_row="", finish=""):
    """A multiplier-1 depthwise kernel's source: `_DW_WALK` with what one tap does to row value
    `e` (`row`) and the set-up parts (code unindented)."""
    return _FAST + _DW_WALK.format(args=args, rows=rows, pixels=pixels, kw=kw,
                                   row1=_part(row, 28), row2=_part(row, 32),
                           setup=_part(setup, 4), per_image=_part(per_image, 8),
                           per_row=_part(per_row, 12), finish=_part(finish, 4))


# wt: (kh*kw, Wo*C), each tap's filter row tiled along an output row (filled here)
_DW_TILE = """
for t in range(wt.shape[0]):
    for ox in range(wo):
        for q in range(c):
            wt[t, ox * c + q] = w[t // kw, t % kw, 0, q]"""

_DW_FWD = _dw_walk("x, w, out", "x", "out", "w.shape[1]", "pv[e] += rv[e] * wv[e]",
                   setup=_DW_TILE, per_row="""
                       for e in range(wo * c):
                           prow[e] = 0""")

_DW_BI = _dw_walk("ct, w, xg", "xg", "ct", "w.shape[1]", "rv[e] += pv[e] * wv[e]",
                  setup=_DW_TILE, per_image="""
                      for y in range(h):
                          for e in range(wd * c):
                              r3[b, y, e] = 0""")

# the filter gradient of a batch slice into part[0] (kh, kw, 1, C): per tap, a row of sums per
# (output pixel, channel) in `wt` (used as the accumulator), added up over the pixels at the end
_DW_BF = _dw_walk("x, ct, part", "x", "ct", "part.shape[2]", "wv[e] += rv[e] * pv[e]",
                  setup="""
                      for t in range(wt.shape[0]):
                          for e in range(wo * c):
                              wt[t, e] = 0""", finish="""
                      for t in range(wt.shape[0]):
                          for q in range(c):
                              acc = wt[t, q]
                              for ox in range(1, wo):
                                  acc += wt[t, ox * c + q]
                              part[0, t // kw, t % kw, 0, q] = acc""")

# convolutions with few output channels (`NARROW_MAX_O`: a segmentation or autoencoder head's
# 1-3 channel output), all three directions: im2col writes kh*kw*C columns per pixel only for a
# gemm of N = O, which is then a matrix-vector product - the columns cost more than the product
# (3x3 'SAME' on 32x28x28x16 -> 1: forward 2.6 ms CPU as im2col + gemm vs 0.8 ms so, one
# thread, medians of 30, load ~7). Per output pixel and channel q, each tap row i of its window
# meets the filter's row wt[q, i] (the filter as (O, kh, kw*C)): a window inside the input row
# (dilation 1) is kw*C contiguous values, one loop over both (it vectorizes: a dot product
# forward, an axpy for the gradients); a border or dilated window runs tap by tap the same way
# (`rs`, `ws`: the C values of one tap). `{op}` is what one pair of values does; `{rows}` the
# NHWC array with the window rows, `{pixels}` the one with the output's spatial shape.
_NARROW_WALK = """
def kernel({args}, sh, sw, dh, dw, pt, pl):
{setup}
    n = {pixels}.shape[0]
    ho = {pixels}.shape[1]
    wo = {pixels}.shape[2]
    h = {rows}.shape[1]
    wd = {rows}.shape[2]
    c = {rows}.shape[3]
    o = wt.shape[0]
    kh = wt.shape[1]
    span = wt.shape[2]
    kw = span // c
    r3 = {rows}.reshape((n, h, wd * c))
    for b in range(n):
{per_image}
        for oy in range(ho):
            for ox in range(wo):
                ix0 = ox * sw - pl
                inside = dw == 1 and ix0 >= 0 and ix0 + kw <= wd
                for q in range(o):
{per_q}
                    for i in range(kh):
                        iy = oy * sh - pt + i * dh
                        if iy < 0 or iy >= h:
                            continue
                        rr = r3[b, iy]
                        wr = wt[q, i]
                        if inside:
                            rs = rr[ix0 * c:ix0 * c + span]
                            ws = wr
                            for e in range(span):
                                {op}
                            continue
                        for j in range(kw):
                            ix = ix0 + j * dw
                            if ix >= 0 and ix < wd:
                                rs = rr[ix * c:ix * c + c]
                                ws = wr[j * c:j * c + c]
                                for e in range(c):
                                    {op}
{after_q}
"""


def _narrow_walk(args, rows, pixels, op, setup="", per_image="", per_q="", after_q=""):
    """A narrow-output kernel's source: `_NARROW_WALK` with these parts (unindented)."""
    return _FAST + _NARROW_WALK.format(
        args=args, rows=rows, pixels=pixels, op=op, setup=_part(setup, 4),
        per_image=_part(per_image, 8), per_q=_part(per_q, 20), after_q=_part(after_q, 20))


_NARROW_FWD = _narrow_walk(
    "x, wt, out", "x", "out", "acc += rs[e] * ws[e]",
    setup="zero = np.zeros(1, out.dtype)[0]",
    per_q="acc = zero", after_q="out[b, oy, ox, q] = acc")

_NARROW_BI = _narrow_walk(
    "ct, wt, xg", "xg", "ct", "rs[e] += g * ws[e]",
    per_image="""
        for y in range(h):
            for e in range(wd * c):
                r3[b, y, e] = 0""",
    per_q="g = ct[b, oy, ox, q]")

# the filter gradient of a batch slice into its own partial sum part[0] (as (O, kh, kw*C))
_NARROW_BF = _narrow_walk(
    "x, ct, part", "x", "ct", "ws[e] += g * rs[e]",
    setup="""
        wt = part[0]
        for q in range(wt.shape[0]):
            for i in range(wt.shape[1]):
                for e in range(wt.shape[2]):
                    wt[q, i, e] = 0""",
    per_q="g = ct[b, oy, ox, q]")

_BODIES = {"maxpool": (_MAXPOOL, (True, False), 6),
           "maxpool_grad": (_MAXPOOL_GRAD, (True, True, False), 6),
           "maxpool_gather": (_MAXPOOL_GATHER, (True, True, False), 6),
           "maxpool_arg": (_MAXPOOL_ARG, (True, False, False), 6),
           "maxpool_grad_arg": (_MAXPOOL_GRAD_ARG, (True, True, False), 6),
           "direct_fwd": (_DIRECT_FWD, (True, True, False), 7),
           "direct_bf": (_DIRECT_BF, (True, True, False), 7),
           "direct_bi": (_DIRECT_BI, (True, True, False), 7),
           "dw_fwd": (_DW_FWD, (True, True, False, False), 6),
           "dw_bi": (_DW_BI, (True, True, False, False), 6),
           "dw_bf": (_DW_BF, (True, True, False, False), 6),
           "im2col_gemm": (_IM2COL_GEMM, (True, True, False, False, False), 9),
           "gemm_col2im": (_GEMM_COL2IM, (True, True, False, False), 8),
           "narrow_fwd": (_NARROW_FWD, (True, True, False), 6),
           "narrow_bi": (_NARROW_BI, (True, True, False), 6),
           "narrow_bf": (_NARROW_BF, (True, True, False), 6)}
#: array ranks other than 4, by kernel: one per array argument
_NDIMS = {"direct_bf": (4, 4, 5), "dw_fwd": (4, 4, 4, 2), "dw_bi": (4, 4, 4, 2),
          "dw_bf": (4, 4, 5, 2), "im2col_gemm": (4, 2, 4, 2, 2), "gemm_col2im": (4, 2, 4, 4),
          "narrow_fwd": (4, 3, 4), "narrow_bi": (4, 3, 4), "narrow_bf": (4, 4, 4)}
_FLOATS = ("float32", "float64")
#: kernels with a uint8 array of argmax taps: its argument position
_TAPS_ARG = {"maxpool_arg": 2, "maxpool_grad_arg": 0}


def kernel_source(name, dtype, fixed=None):
    """The module source of kernel `name` for `dtype` (its text is its cache key); `fixed`:
    a filter's static (kh, kw, c) for the kernels in `_FIXED` (the source then holds them as
    numbers; the same arguments are still passed)."""
    body = _BODIES[name][0]
    head = _HEAD.format(version=CONV_KERNELS_VERSION, name=name, dtype=dtype)
    if name in _FIXED:
        shape = "    pass"
        if fixed is not None:
            kh, kw, c = map(int, fixed)
            head = head.rstrip("\n") + f"\n# fixed kh={kh} kw={kw} c={c}\n\n\n"
            shape = f"    kh = {kh}\n    kw = {kw}\n    c = {c}"
        body = body.replace("{shape}", shape)
    return head + body


def _fixed(wshape):
    """A filter shape's (kh, kw, c) when static, else None."""
    if wshape is None or len(wshape) < 3:
        return None
    dims = tuple(wshape)[:3]
    return dims if all(isinstance(v, (int, np.integer)) for v in dims) else None


def request(name, dtype, sync=None, fixed=None):
    """The cache's Kernel for `name` on `dtype` arrays (compiled in the background); `fixed`:
    see `kernel_source`."""
    _, readonly, nints = _BODIES[name]
    taps = _TAPS_ARG.get(name)        # the argmax-tap array's position (uint8)
    ndims = _NDIMS.get(name, (4,) * len(readonly))
    types = [("a", "uint8" if j == taps else dtype, ndims[j], ro)
             for j, ro in enumerate(readonly)] + [("i",)] * nints
    if name.startswith("maxpool"):
        types.append(("s", dtype))
    return cache.request(kernel_source(name, dtype, fixed), types, sync)


#: at most this many batch chunks per kernel call: each chunk costs a hand-over between
#: threads, which on a loaded machine (a helper thread descheduled) can take milliseconds
MAX_CHUNKS = 8


def _rows(n, per_image):
    """Images per chunk: about CHUNK_ELEMENTS of work, in at most MAX_CHUNKS chunks of equal
    size (64 images with room for 40: two chunks of 32, not 40 + 24 - the threads finish
    together)."""
    rows = max(1, CHUNK_ELEMENTS // max(1, per_image), -(-n // MAX_CHUNKS))
    return -(-n // -(-n // rows)) if n > 0 else rows


def batched(fn, per_image, arrays, *rest, sliced_after=()):
    """fn(*[a[lo:hi] for a in arrays], *rest) over batch chunks on the chunk pool; the arrays
    in `sliced_after` (which must also be in `rest`) are cut to the same batch rows."""
    n = arrays[0].shape[0]
    rows = _rows(n, per_image)
    if n <= rows:
        fn(*arrays, *rest)
        return
    cut = [any(r is a for a in sliced_after) for r in rest]

    def chunk(lo, hi):
        fn(*[a[lo:hi] for a in arrays], *[r[lo:hi] if c else r for r, c in zip(rest, cut)])
    pool().run(chunk, n, rows)


def _c(a, dt):
    if a.__class__ is np.ndarray and a.dtype == dt and a.flags.c_contiguous:
        return a
    return np.ascontiguousarray(a, dt)


def _geometry(a):
    (sh, sw), (dh, dw), ((pt, _), (pl, _)) = a["strides"], a["dilations"], a["pads"]
    return sh, sw, dh, dw, pt, pl, int(a.get("groups", 1))


def _pointwise(a, kh, kw):
    """A 1x1, stride-1, unpadded convolution: the gemm alone."""
    return (kh, kw) == (1, 1) and tuple(a["strides"]) == (1, 1) and not any(
        a["pads"][0]) and not any(a["pads"][1])


def _with_kernels(fast, kernels, impl, attrs, fused=False):
    """The call: `fast` once every kernel is compiled, the numpy impl until then (and for a
    kernel that failed to compile). `fused`: also `call.fused(*xs, out, then, rows_per_image,
    images)`, which computes into `out` (of the node's shape and dtype) in chunks of `images`
    batch entries and calls `then(lo, hi)` for each chunk as soon as it is done, on the thread
    that computed it, with rows [lo, hi) of the output viewed as (batch * rows_per_image, -1):
    a fused epilogue (e.g. bias + relu) reads a chunk while it is still in cache; the chunk
    k = lo // (images * rows_per_image) may keep per-chunk partial sums. A runner whose `fast`
    has `per_chunk` (max pooling) gets `call.per_chunk(x) -> (chunk(lo, hi), finish())`: run
    per batch chunk of `x` inside the fused epilogue producing it (`plan._ClusterStep.
    take_product`), finish() returns the result."""
    def call(*xs):
        for k in kernels:
            if k.fn is None:
                return impl(*xs, **attrs)
        return fast(*xs)
    call.kernels = kernels
    if fused:
        def fused_call(*args):
            *xs, out, then, rows_per_image, images = args
            for k in kernels:
                if k.fn is None:
                    out = _whole(out)
                    out[...] = impl(*xs, **attrs)
                    pool().run(then, out.shape[0] * rows_per_image, images * rows_per_image)
                    return out
            return fast(*xs, out=out, then=then, rows_per_image=rows_per_image, images=images)
        fused_call.chunk_scratch = True     # `out` may be an AnchorScratch
        call.fused = fused_call
    if hasattr(fast, "per_chunk"):
        def per_chunk(x):
            # batch chunk by batch chunk as a producer writes them (`fast.per_chunk`); on the
            # numpy impl (kernels compiling) all at once by finish()
            if all(k.fn is not None for k in kernels):
                made = fast.per_chunk(x)
                if made is not None:
                    return made
            return _nothing, lambda: call(x)
        call.per_chunk = per_chunk
    return call


def _nothing(lo, hi):
    pass


#: the largest reduction (kh*kw*C) of an ungrouped convolution convolved directly; above it
#: im2col + gemm. Measured (float32, batch 64, 28x28x1 -> 3x3x32, forward + filter gradient,
#: medians of 20 interleaved, load 8): direct 25.5 ms, im2col + gemm 13.3 ms (best 19.7 vs 7.9).
#: Before the gemms ran per batch chunk on single-threaded BLAS, direct loops won up to 16.
#: Tried again for the C=1 first layer (one thread, CPU time, medians of 30 interleaved): these
#: loops with kh, kw, C, O as literal numbers 3.9 ms vs im2col + gemm 1.1 ms (filter gradient
#: 4.5 vs 1.4); output-row-at-a-time loops 4.5 vs 1.2; even a plain numba (P,9)x(9,32) product
#: 1.4 ms vs OpenBLAS 0.63 (literal sizes: 3.7 ms - LLVM unrolls the 32-wide loop fully and then
#: vectorizes nothing). BLAS stays.
DIRECT_MAX_K = 0


def _direct(kh, kw, c, groups=1):
    """Direct loops for a small reduction and for every grouped (depthwise) convolution."""
    return groups > 1 or kh * kw * c <= DIRECT_MAX_K


def _pair(name_direct, name_cols, dt, wshape, groups):
    """The kernels a convolution with filter shape `wshape` needs: (direct, columns), the
    unneeded one None (both when the filter's shape is not static)."""
    known = wshape is not None and all(isinstance(v, (int, np.integer)) for v in wshape[:3])
    use_direct = known and _direct(*wshape[:3], groups)
    return (request(name_direct, dt.name) if use_direct or not known else None,
            request(name_cols, dt.name, fixed=_fixed(wshape)) if not use_direct else None)


def _depthwise(name, dt, wshape, groups):
    """The multiplier-1 depthwise kernel `name` (`_DW_WALK`) when the filter's static shape
    `wshape` is (kh, kw, 1, groups), else None (the window walk computes it)."""
    ok = (groups > 1 and wshape is not None and len(wshape) == 4
          and all(isinstance(v, (int, np.integer)) for v in wshape)
          and wshape[2] == 1 and wshape[3] == groups)
    return request(name, dt.name) if ok else None


#: a convolution with at most NARROW_MAX_O output channels and at least NARROW_MIN_C input
#: channels runs as `_NARROW_WALK`, not im2col + gemm. Measured (CPU ms narrow / im2col + gemm,
#: batch 32, 3x3 'SAME', fwd / input grad / filter grad, medians, load ~8): C=16 28x28 O=1
#: 1.3/3.0 1.0/2.5 1.0/3.4, O=2 2.3/2.6 1.7/2.9 2.4/3.3, O=4 6.2/3.5 (loses); C=64 14x14 O=1
#: 0.43/2.1 0.49/1.5 0.42/2.3; C=3 64x64 O=1 2.7/2.5 (even: a window row of 9 values is too
#: short a loop), O=2 4.8/2.4
NARROW_MAX_O = 2
NARROW_MIN_C = 8


def _narrow_ok(wshape, groups, a):
    """Whether an ungrouped convolution with static filter shape `wshape` has few enough
    output channels for the narrow kernels (a pointwise one stays one gemm)."""
    return (groups == 1 and wshape is not None and len(wshape) == 4
            and all(isinstance(v, (int, np.integer)) for v in wshape)
            and 0 < wshape[3] <= NARROW_MAX_O and wshape[2] >= NARROW_MIN_C
            and not _pointwise(a, wshape[0], wshape[1]))


def _narrow(name, dt, wshape, groups, a):
    """The narrow-output kernel `name` when `_narrow_ok`, else None."""
    return request(name, dt.name) if _narrow_ok(wshape, groups, a) else None


def _narrow_filter(w, dt):
    """The (kh, kw, C, O) filter as the narrow kernels read it: (O, kh, kw*C), contiguous."""
    kh, kw, ci, o = w.shape
    return np.ascontiguousarray(np.asarray(w, dt).reshape(kh, kw * ci, o).transpose(2, 0, 1))


def _narrow_chunks(kernel, a, b, out, n, per_image, geometry, then, rows_per_image, images):
    """kernel(a[lo:hi], b, out[lo:hi], *geometry) over batch chunks, each chunk's fused
    epilogue `then` right after it."""
    def chunk(lo, hi):
        kernel.fn(a[lo:hi], b, out[lo:hi], *geometry)
        if then is not None:
            then(lo * rows_per_image, hi * rows_per_image)
    _chunked(chunk, n, images or _rows(n, per_image), then is not None)
    return out


def _direct_call(direct, dwise, a, b, out, taps, row, geometry, groups, dt):
    """One batch slice of a direct convolution kernel (the forward's, or a gradient's: `a`,
    `b`, `out` its arrays): the depthwise one when there is one (`dwise`; its scratch of
    `taps` x `row` values - Wo*C - this thread's) or the window walk (`direct`)."""
    if dwise is not None:
        dwise.fn(a, b, out, _scratch("dw_rows", (taps, row), dt), *geometry)
    else:
        direct.fn(a, b, out, *geometry, groups)


#: an im2col/col2im block's columns and the product rows they meet (the output's or the
#: cotangent's) take at most this many bytes (within the L2 cache, 2 MB per core here: a
#: block's columns are still in cache for its gemm, its output rows for the epilogue). Measured
#: (one thread, chunks of 8 images, medians of 12 interleaved, load ~7): 64x28x28x1 -> 3x3x32
#: forward 0.82 ms in blocks of 8 images (columns alone counted, 1 MB: the 32 output channels,
#: 3.6x the 9 columns' bytes, were not) vs 0.68 in blocks of 4, its filter gradient 1.05 vs
#: 0.61; 64x13x13x32 -> 3x3x64 the same from 2 to 8 images per block
BLOCK_BYTES = 1 << 19


def _block_images(per_image_bytes):
    """Images per im2col/col2im block."""
    return max(1, BLOCK_BYTES // max(1, per_image_bytes))


_SCRATCH = threading.local()


#: scratch buffers up to this size are kept per thread (a larger one, e.g. one big image's
#: columns, is made for the call and freed)
SCRATCH_BYTES = 8 << 20


def _scratch(name, shape, dt):
    """This thread's reusable buffer `name` of `shape` (uninitialized): a batch chunk's columns
    or block product, kept for the next chunk and call instead of a new array each time.

    >>> a = _scratch("doc", (2, 3), np.dtype("float32")); a[...] = 1
    >>> b = _scratch("doc", (3,), np.dtype("float32")); np.shares_memory(a, b), b.shape
    (True, (3,))
    """
    size = math.prod(shape)     # (np.prod: ~10x the cost; ~60 calls per conv step)
    if size * dt.itemsize > SCRATCH_BYTES:
        return np.empty(shape, dt)
    bufs = _SCRATCH.__dict__
    buf = bufs.get((name, dt))
    if buf is None or buf.size < size:
        buf = bufs[(name, dt)] = np.empty(max(size, 1), dt)
    return buf[:size].reshape(shape)


def _block(images, per_image, dt, channels=0):
    """The columns buffer of one im2col/col2im block for a chunk of `images` images, this
    thread's scratch: at most `_block_images` images, split evenly (a chunk of 8 images with
    room for 7 makes two blocks of 4, not 7 + 1: a one-image gemm is the least efficient); a
    kernel fills it block after block (it stays in cache). `per_image`: (Ho, Wo, kh*kw*C);
    `channels`: those of the product's other rows per pixel (the output's or the cotangent's),
    counted in the block's bytes too."""
    ho, wo, k = per_image
    nb = -(-images // _block_images(ho * wo * (k + channels) * dt.itemsize))
    return _scratch("cols", (-(-images // nb),) + tuple(per_image), dt)


class AnchorScratch:
    """A fused anchor's output that only its own epilogue reads (`plan._ClusterStep`): instead
    of a full-size array, each batch chunk is computed into a chunk-sized buffer of the thread
    running it, which that thread's epilogue then reads (`rows`) while it is in cache - a conv
    step's first layer wrote and read back 5.5 MB of convolution output and 5.5 MB of pooling
    gradient per step (one thread, medians of 30 interleaved calls at load ~6: 4.7% less CPU
    per step for the conv step's three such anchors). The runners write chunk `[lo:hi]` of it
    (images); a path that writes the whole output at once takes `whole()` (a full array, read
    by `rows` for the rest of the call). One object per call.

    >>> a = AnchorScratch((4, 2, 3), np.dtype("float32"))
    >>> a[2:4][...] = 1
    >>> float(a.rows(4, 8, (3,)).sum())     # images 2-3: rows 4-8 of the (8, 3) view
    12.0
    """

    __slots__ = ("shape", "dtype", "size", "full", "bufs")

    def __init__(self, shape, dtype):
        self.shape, self.dtype = tuple(shape), np.dtype(dtype)
        self.size = math.prod(self.shape)
        self.full = None
        self.bufs = {}

    def __getitem__(self, images):
        if self.full is not None:
            return self.full[images]
        shape = (images.stop - images.start,) + self.shape[1:]
        buf = _scratch("anchor", shape, self.dtype)
        self.bufs[threading.get_ident()] = buf      # (a big one is not kept by _scratch)
        return buf

    def rows(self, lo, hi, tail):
        """Rows [lo, hi) of the output viewed as (-1,) + tail: the buffer this thread's last
        chunk was written into (the epilogue runs right after its chunk, on its thread)."""
        if self.full is not None:
            return self.full.reshape((-1,) + tail)[lo:hi]
        return self.bufs[threading.get_ident()].reshape((hi - lo,) + tail)

    def whole(self):
        """A full-size array for the whole output (then read by `rows`)."""
        if self.full is None:
            self.full = np.empty(self.shape, self.dtype)
        return self.full


def _whole(out):
    """`out` as an array of the whole output (an `AnchorScratch` made full-size)."""
    return out.whole() if out.__class__ is AnchorScratch else out


def _blas_for(kernel):
    """Before a numba kernel calling BLAS runs: a kernel loaded through numba calls scipy's BLAS
    (numba's `numba_xxgemm`), a library apart from numpy's; import it now and let `SINGLE_BLAS`
    control its threads too (else inside a chunk pool job it would start its own threads)."""
    fn = kernel.fn
    if fn in _BLAS_READY:
        return
    if native.origin(fn) is None:
        try:        # what numba's helper loads at the kernel's first product
            importlib.import_module("scipy.linalg.cython_blas")
        except ImportError:     # (then numba could not have compiled the kernel)
            pass
        # the libraries known so far first: `refresh` adds only libraries loaded since, and
        # does nothing before the switch's first use - which then took the process's first
        # scan of libraries (made before scipy's was loaded) and left scipy's BLAS on all its
        # threads inside every chunk (its threads spinning: conv 64x28x28x1 -> 3x3x32 one
        # thread 1.0 ms, 8 ms with them, depending on the load)
        SINGLE_BLAS.controllers()
        SINGLE_BLAS.refresh()
    _BLAS_READY.add(fn)


_BLAS_READY = set()


def _partials(shape, dt):
    """Per-chunk partial sums (summed after), zeros: the chunk pool may run several chunks in
    one call (inside `ONE_THREAD`, or without helper threads: fn(0, n)), which then writes only
    the first partial - uninitialized others made the filter gradient garbage."""
    return np.zeros(shape, dt)


def _gemm_rows(n, per_image):
    """Images per gemm chunk (all of them without helper threads)."""
    return _rows(n, per_image) if pool().helpers else n


def _chunked(chunk, n, rows, fused=False):
    """chunk(lo, hi) over batch rows [0, n), `rows` at a time, on the chunk pool. On one thread
    (`ONE_THREAD`, no helpers) a `fused` job (one with an epilogue) still runs chunk by chunk,
    in order: each chunk's epilogue then reads output rows still in cache, not a whole output
    that no longer fits it (one thread, the conv step: conv 64x28x28x1 -> 3x3x32 + bias/relu
    and the max-pool gradient + relu mask over 64x26x26x32, see tests/test_conv_numba.py)."""
    if n <= rows:
        chunk(0, n)
    elif fused and (ONE_THREAD.depth or not pool().helpers):
        for lo in range(0, n, rows):
            chunk(lo, min(n, lo + rows))
    else:
        pool().run(chunk, n, rows)


def _gemm_chunks(chunk, n, per_image, rows=None, fused=False):
    """chunk(lo, hi) (an im2col/gemm/col2im on batch rows [lo, hi)) over the batch on the chunk
    pool, `rows` images at a time (default: by `per_image`, the work per image), BLAS
    single-threaded meanwhile; one chunk: called directly (BLAS keeps its threads). `fused`:
    see `_chunked`."""
    rows = rows or _gemm_rows(n, per_image)
    if n <= rows:
        chunk(0, n)
        return
    with SINGLE_BLAS:
        _chunked(chunk, n, rows, fused)


class _RunMemo:
    """What a forward kernel made from its input, kept for the gradient of the same run: the
    backward op reads the same input array, so within one plan run (`evaluate.run_count()`) an
    entry keyed by the geometry and the input's identity (the memo holds the array, so its id
    stays unique) is still valid. `POOL_TAPS`: max_pool2d's argmax taps for its gradient (which
    then scatters without reading the input again). At most `limit` bytes per thread, `largest`
    per entry; entries of older runs are dropped."""

    def __init__(self, limit=64 << 20, largest=16 << 20):
        self.local = threading.local()
        self.limit = limit
        self.largest = largest

    def _entries(self):
        run = run_count()
        loc = self.local
        if getattr(loc, "run", None) != run:
            loc.run, loc.entries, loc.bytes = run, {}, 0
        return loc

    def put(self, key, x, cols):
        loc = self._entries()
        if loc.bytes + cols.nbytes <= self.limit:
            loc.entries[key + (id(x),)] = (x, cols)
            loc.bytes += cols.nbytes

    def get(self, key, x):
        hit = self._entries().entries.get(key + (id(x),))
        return hit[1] if hit is not None and hit[0] is x else None


#: uint8 argmax taps: a quarter of the pooled output's float32 bytes
POOL_TAPS = _RunMemo(limit=16 << 20, largest=8 << 20)


def _pointwise_chunks(x, w2, out, then, rows_per_image, images):
    """A pointwise (1x1, stride 1, unpadded) convolution with a fused epilogue, or its input
    gradient (`w2` then the filter's transpose): per batch chunk, the chunk's pixels @ `w2`
    into its rows of `out` (an `AnchorScratch`: a buffer of the thread) and `then` on them
    right after, while they are in cache; the chunks on the chunk pool, BLAS single-threaded.
    One gemm of all the pixels, then the epilogue over a full-size output, read the output
    back from memory (sepconv of tools/bench_keras_models.py: 32768 x 16 @ 16 x 32 + bias,
    relu: one thread, CPU time, medians of 30 interleaved, load 7: 2.36 ms -> 1.49 ms)."""
    n, c, o = x.shape[0], x.shape[-1], w2.shape[1]
    per_image = x[0].size // c      # pixels per image

    def chunk(lo, hi):
        np.matmul(x[lo:hi].reshape(-1, c), w2, out=out[lo:hi].reshape(-1, o))
        then(lo * rows_per_image, hi * rows_per_image)
    _gemm_chunks(chunk, n, per_image * c * (o + 1), images, True)


def _conv2d(d, impl, dt, in_shapes):
    a = d["attrs"]
    sh, sw, dh, dw, pt, pl, groups = _geometry(a)
    narrow = _narrow("narrow_fwd", dt, in_shapes and in_shapes[1], groups, a)
    direct, cols_gemm = (None, None) if narrow else _pair(
        "direct_fwd", "im2col_gemm", dt, in_shapes and in_shapes[1], groups)
    dwise = _depthwise("dw_fwd", dt, in_shapes and in_shapes[1], groups)
    if dwise is not None:
        direct = None
    geometry = (sh, sw, dh, dw, pt, pl)

    def fast(x, w, out=None, then=None, rows_per_image=1, images=None):
        kh, kw, ci, o = w.shape
        # shapes from the values (the node's static shape may have unknown dims)
        ho = out_size(x.shape[1], kh, sh, dh, a["pads"][0])
        wo = out_size(x.shape[2], kw, sw, dw, a["pads"][1])
        n = x.shape[0]
        if out is None:
            out = np.empty((n, ho, wo, o), dt)
        x = _c(x, dt)
        if narrow is not None:
            return _narrow_chunks(narrow, x, _narrow_filter(w, dt), out, n,
                                  ho * wo * o * kh * kw * ci, geometry, then, rows_per_image,
                                  images)
        if _direct(kh, kw, ci, groups):
            w = _c(w, dt)

            def chunk(lo, hi):
                _direct_call(direct, dwise, x[lo:hi], w, out[lo:hi], kh * kw, wo * o, geometry,
                             groups, dt)
                if then is not None:
                    then(lo * rows_per_image, hi * rows_per_image)
            _chunked(chunk, n, images or _rows(n, ho * wo * o * kh * kw * ci), then is not None)
            return out
        w2 = _c(w, dt).reshape(kh * kw * ci, o)
        c = x.shape[3]
        if _pointwise(a, kh, kw):
            if then is None:    # a plain gemm of all the pixels (BLAS on its own threads)
                out = _whole(out)
                np.matmul(x.reshape(-1, c), w2, out=out.reshape(-1, o))
                return out
            _pointwise_chunks(x, w2, out, then, rows_per_image, images)
            return out
        k = kh * kw * c
        if not out.size or not k:
            out = _whole(out)
            out[...] = impl(x, w, **a)
            if then is not None:
                then(0, n * rows_per_image)
            return out
        _blas_for(cols_gemm)

        def chunk(lo, hi):
            # im2col and gemm of a few images at a time in one numba call: the columns are
            # still in cache for the gemm, the output rows for the epilogue (`then`)
            cols_gemm.fn(x[lo:hi], w2, _block(hi - lo, (ho, wo, k), dt, o),
                         out[lo:hi].reshape(-1, o), _scratch("tmp", (1, 1), dt), 0,
                         kh, kw, sh, sw, dh, dw, pt, pl)
            if then is not None:
                then(lo * rows_per_image, hi * rows_per_image)
        _gemm_chunks(chunk, n, ho * wo * k * (o + 1), images, then is not None)
        return out
    return fast, [k for k in (narrow, direct, dwise, cols_gemm) if k is not None]


def _backprop_input(d, impl, dt, in_shapes):
    a = d["attrs"]
    sh, sw, dh, dw, pt, pl, groups = _geometry(a)
    _, h, wd, c = a["input_shape"]     # the batch: from the cotangent
    narrow = _narrow("narrow_bi", dt, in_shapes and in_shapes[1], groups, a)
    direct, gemm_cols = (None, None) if narrow else _pair(
        "direct_bi", "gemm_col2im", dt, in_shapes and in_shapes[1], groups)
    dwise = _depthwise("dw_bi", dt, in_shapes and in_shapes[1], groups)
    if dwise is not None:
        direct = None
    geometry = (sh, sw, dh, dw, pt, pl)

    def fast(ct, w, out=None, then=None, rows_per_image=1, images=None):
        # `out`, `then`...: a fused epilogue (`_with_kernels`), as the forward's
        kh, kw, ci, o = w.shape
        ct = _c(ct, dt)
        n = ct.shape[0]
        xg = np.empty((n, h, wd, c), dt) if out is None else out
        if narrow is not None:
            return _narrow_chunks(narrow, ct, _narrow_filter(w, dt), xg, n,
                                  ct[0].size * kh * kw * ci, geometry, then, rows_per_image,
                                  images)
        if _direct(kh, kw, ci, groups):
            w = _c(w, dt)
            def chunk(lo, hi):
                _direct_call(direct, dwise, ct[lo:hi], w, xg[lo:hi], kh * kw,
                             ct.shape[2] * o, geometry, groups, dt)
                if then is not None:
                    then(lo * rows_per_image, hi * rows_per_image)
            _chunked(chunk, n, images or _rows(n, ct[0].size * kh * kw * ci), then is not None)
            return xg
        w2 = _c(w, dt).reshape(kh * kw * ci, o)
        ho, wo = ct.shape[1:3]
        if _pointwise(a, kh, kw):
            if then is None:
                return (ct.reshape(-1, o) @ w2.T).reshape(n, h, wd, c)
            _pointwise_chunks(ct, w2.T, xg, then, rows_per_image, images)
            return xg
        k = kh * kw * c
        if not ct.size or not k or not n * h * wd * c:
            xg = _whole(xg)
            xg[...] = impl(ct, w, **a)
            if then is not None:
                then(0, n * rows_per_image)
            return xg
        _blas_for(gemm_cols)

        def chunk(lo, hi):     # gemm and col2im of a few images at a time, one numba call
            gemm_cols.fn(ct[lo:hi], w2, _block(hi - lo, (ho, wo, k), dt, o), xg[lo:hi],
                         kh, kw, sh, sw, dh, dw, pt, pl)
            if then is not None:
                then(lo * rows_per_image, hi * rows_per_image)
        _gemm_chunks(chunk, n, ho * wo * k * (o + 1), images, then is not None)
        return xg
    return fast, [k for k in (narrow, direct, dwise, gemm_cols) if k is not None]


def _backprop_filter(d, impl, dt, in_shapes):
    a = d["attrs"]
    sh, sw, dh, dw, pt, pl, groups = _geometry(a)
    kh, kw, ci, o = a["filter_shape"]
    if _narrow_ok((kh, kw, ci, o), groups, a):
        k = request("narrow_bf", dt.name)
        geometry = (sh, sw, dh, dw, pt, pl)

        def fast(x, ct):
            x, ct = _c(x, dt), _c(ct, dt)
            n = x.shape[0]
            rows = _rows(n, ct[0].size * kh * kw * ci)
            parts = _partials((-(-n // rows), o, kh, kw * ci), dt)

            def chunk(lo, hi):
                k.fn(x[lo:hi], ct[lo:hi], parts[lo // rows:lo // rows + 1], *geometry)
            if len(parts) == 1:
                chunk(0, n)
            else:
                pool().run(chunk, n, rows)
            part = parts[0] if len(parts) == 1 else parts.sum(0)
            return np.ascontiguousarray(part.reshape(o, kh, kw, ci).transpose(1, 2, 3, 0))
        return fast, [k]
    if _direct(kh, kw, ci, groups):
        dwise = _depthwise("dw_bf", dt, (kh, kw, ci, o), groups)
        k = request("direct_bf", dt.name) if dwise is None else None
        geometry = (sh, sw, dh, dw, pt, pl)

        def fast(x, ct):
            x, ct = _c(x, dt), _c(ct, dt)
            n = x.shape[0]
            rows = _rows(n, ct[0].size * kh * kw * ci)
            parts = _partials((-(-n // rows), kh, kw, ci, o), dt)

            def chunk(lo, hi):
                _direct_call(k, dwise, x[lo:hi], ct[lo:hi], parts[lo // rows:lo // rows + 1],
                             kh * kw, ct.shape[2] * o, geometry, groups, dt)
            if len(parts) == 1:
                chunk(0, n)
                return parts[0]
            pool().run(chunk, n, rows)
            return parts.sum(0)
        return fast, [k or dwise]
    cols_gemm = request("im2col_gemm", dt.name, fixed=(kh, kw, ci))   # the forward's
    pointwise = _pointwise(a, kh, kw)

    def fast(x, ct):
        x = _c(x, dt)
        n, h, wd, c = x.shape
        ho, wo = ct.shape[1:3]
        kk = kh * kw * c
        c2 = _c(ct, dt).reshape(n, ho * wo, o)
        if pointwise:       # a plain gemm of all the pixels (BLAS on its own threads)
            return np.dot(x.reshape(-1, c).T, c2.reshape(-1, o)).reshape(kh, kw, ci, o)
        if not n * ho * wo or not kk or not o:
            return impl(x, ct, **a)
        _blas_for(cols_gemm)
        rows = _gemm_rows(n, ho * wo * kk * (o + 1))
        parts = _partials((-(-n // rows), kk, o), dt)

        def chunk(lo, hi):
            # im2col and columns^T @ cotangent of a few images at a time, one numba call, into
            # this chunk's partial sum (columns^T @ g is the faster order - one thread, per
            # chunk: K=9, 32 channels 108 vs 139 us as (g^T @ columns)^T; K=27 140 vs 200 us;
            # K=288, 64 channels 295 vs 306)
            cols_gemm.fn(x[lo:hi], c2[lo:hi].reshape(-1, o),
                         _block(hi - lo, (ho, wo, kk), dt, o), parts[lo // rows],
                         _scratch("tmp", (kk, o), dt), 1, kh, kw, sh, sw, dh, dw, pt, pl)
        _gemm_chunks(chunk, n, ho * wo * kk * (o + 1))
        out = parts[0] if len(parts) == 1 else parts.sum(0)
        return out.reshape(kh, kw, ci, o)
    return fast, [cols_gemm]


def _pool_geometry(a):
    (kh, kw), (sh, sw), ((pt, _), (pl, _)) = a["ksize"], a["strides"], a["pads"]
    return kh, kw, sh, sw, pt, pl


def _pooled(xshape, a):
    """The pooled shape of an input of shape `xshape`."""
    return (xshape[0],) + tuple(out_size(xshape[1 + ax], a["ksize"][ax], a["strides"][ax], 1,
                                         a["pads"][ax]) for ax in (0, 1)) + (xshape[3],)


def _pool_key(kh, kw, sh, sw, pt, pl, dt):
    return ("pool", kh, kw, sh, sw, pt, pl, dt.name)


def _max_pool(d, impl, dt, in_shapes):
    kh, kw, sh, sw, pt, pl = _pool_geometry(d["attrs"])
    # the argmax taps fit uint8 below 256 taps (always, for any usual window)
    k = request("maxpool_arg" if kh * kw < 256 else "maxpool", dt.name)
    key = _pool_key(kh, kw, sh, sw, pt, pl, dt)
    low = dt.type(-np.inf)

    def fast(x):
        x = _c(x, dt)
        out = np.empty(_pooled(x.shape, d["attrs"]), dt)
        if kh * kw >= 256:
            batched(k.fn, out[0].size * kh * kw, (x, out), kh, kw, sh, sw, pt, pl, low)
            return out
        taps = np.empty(out.shape, np.uint8)
        batched(k.fn, out[0].size * kh * kw, (x, out, taps), kh, kw, sh, sw, pt, pl, low)
        if taps.nbytes <= POOL_TAPS.largest:
            POOL_TAPS.put(key, x, taps)
        return out

    def per_chunk(x):
        """(chunk(lo, hi), finish()) for an `x` still being computed: chunk pools images
        [lo, hi) (once they are written), finish() returns the output after the last chunk and
        keeps the taps for the gradient; None if `x` is not the array the kernel reads."""
        if x.__class__ is not np.ndarray or x.dtype != dt or not x.flags.c_contiguous:
            return None
        out = np.empty(_pooled(x.shape, d["attrs"]), dt)
        taps = np.empty(out.shape, np.uint8) if kh * kw < 256 else None

        def chunk(lo, hi):
            if taps is None:
                k.fn(x[lo:hi], out[lo:hi], kh, kw, sh, sw, pt, pl, low)
            else:
                k.fn(x[lo:hi], out[lo:hi], taps[lo:hi], kh, kw, sh, sw, pt, pl, low)

        def finish():
            if taps is not None and taps.nbytes <= POOL_TAPS.largest:
                POOL_TAPS.put(key, x, taps)
            return out
        return chunk, finish
    fast.per_chunk = per_chunk
    return fast, [k]


def _max_pool_grad(d, impl, dt, in_shapes):
    kh, kw, sh, sw, pt, pl = _pool_geometry(d["attrs"])
    ka = request("maxpool_grad_arg", dt.name) if kh * kw < 256 else None
    # the kernel finding the maxima again serves a gradient whose forward did not run in the same
    # call (or kept no taps): with taps it is requested at the first such call, not compiled up
    # front for every plan (~0.9 s of the compiler's ~6 s for the issue-12 conv step)
    found = [request("maxpool_grad", dt.name) if ka is None else None]
    key = _pool_key(kh, kw, sh, sw, pt, pl, dt)
    low = dt.type(-np.inf)

    def fast(x, g, out=None, then=None, rows_per_image=1, images=None):
        g, x = _c(g, dt), _c(x, dt)
        n = x.shape[0]
        taps = POOL_TAPS.get(key, x) if ka is not None else None   # the forward's argmax
        if taps is None:
            if found[0] is None:
                found[0] = request("maxpool_grad", dt.name)
            if found[0].fn is None:             # compiling: numpy meanwhile
                r = impl(x, g, **d["attrs"])
                if out is None:
                    return r
                out = _whole(out)
                out[...] = r
                if then is not None:
                    pool().run(then, n * rows_per_image, (images or n) * rows_per_image)
                return out
        k = found[0]
        if out is None:
            out = np.empty(x.shape, dt)

        def chunk(lo, hi):
            if taps is not None:
                ka.fn(taps[lo:hi], g[lo:hi], out[lo:hi], kh, kw, sh, sw, pt, pl, low)
            else:
                k.fn(x[lo:hi], g[lo:hi], out[lo:hi], kh, kw, sh, sw, pt, pl, low)
            if then is not None:
                then(lo * rows_per_image, hi * rows_per_image)
        _chunked(chunk, n, images or _rows(n, math.prod(g.shape[1:]) * kh * kw * 2),
                 then is not None)
        return out
    return fast, [ka] if ka is not None else found


def _max_pool_gather(d, impl, dt, in_shapes):
    kh, kw, sh, sw, pt, pl = _pool_geometry(d["attrs"])
    k = request("maxpool_gather", dt.name)
    low = dt.type(-np.inf)

    def fast(x, v):
        out = np.empty(_pooled(x.shape, d["attrs"]), dt)
        batched(k.fn, out[0].size * kh * kw * 2, (_c(x, dt), _c(v, dt), out), kh, kw, sh, sw,
                 pt, pl, low)
        return out
    return fast, [k]


def whole_gemm(d, in_shapes):
    """Whether node `d` (a conv kernel op) may run as one gemm of all its pixels on BLAS's own
    threads: a pointwise convolution (1x1, stride 1, unpadded) too wide for the direct loops
    (the runners test `_direct` first), unless an epilogue takes it in chunks."""
    kind, a = lowering.KERNELS.get(d["op"]), d["attrs"]
    if kind is None or kind.startswith("max_pool"):
        return False
    wshape = in_shapes[1] if kind != "backprop_filter" else a["filter_shape"]
    kh, kw, ci = tuple(wshape)[:3]
    return not _direct(kh, kw, ci, a.get("groups", 1)) and _pointwise(a, kh, kw)


def describe(d, in_shapes, fn=None):
    """How the backend computes node `d` with inputs of `in_shapes` (for the kernel plan);
    `fn`: its runner (its kernels' states are reported)."""
    kind, a = lowering.KERNELS.get(d["op"]), d["attrs"]   # the runner's name
    if kind.startswith("max_pool"):
        how = "direct numba loop (windows do not overlap: no scatter with the taps)" if (
            kind == "max_pool_grad" and tuple(a["ksize"]) == tuple(a["strides"])
            and not any(a["pads"][0]) and not any(a["pads"][1])) else "direct numba loop"
        if kind == "max_pool":
            how += ", keeping each window's argmax tap for the gradient"
        elif kind == "max_pool_grad":
            how += ", by the forward's argmax taps when this run made them (else found again)"
    else:
        wshape = in_shapes[1] if kind != "backprop_filter" else a["filter_shape"]
        kh, kw, ci = tuple(wshape)[:3]
        groups = a.get("groups", 1)
        if groups > 1:
            how = f"direct numba loop ({groups} groups)"
        elif _direct(kh, kw, ci):
            how = f"direct numba loop (kh*kw*C = {kh * kw * ci} <= {DIRECT_MAX_K})"
        elif _narrow_ok(tuple(wshape), groups, a):
            how = (f"direct numba loop over window rows ({wshape[3]} output channels <= "
                   f"{NARROW_MAX_O}: no im2col columns)")
        elif _pointwise(a, kh, kw):
            how = "BLAS gemm alone (1x1, stride 1, no padding)"
        elif kind == "backprop_input":
            how = (f"BLAS gemm + numba col2im (kh*kw*C = {kh * kw * ci}), one numba call per "
                   "batch chunk (BLAS inside it, single-threaded)")
        elif kind == "backprop_filter":
            how = (f"numba im2col + BLAS gemm (kh*kw*C = {kh * kw * ci}), one numba call per "
                   "batch chunk (BLAS inside it, single-threaded), columns made again block "
                   "by block")
        else:
            how = (f"numba im2col + BLAS gemm (kh*kw*C = {kh * kw * ci}), one numba call per "
                   "batch chunk (BLAS inside it, single-threaded)")
    ks = getattr(fn, "kernels", None)
    if ks is None:
        return f"{how}: not used (runs the numpy impl)"
    states = ", ".join(sorted({k.state for k in ks}))
    return f"{how}; kernels {states}"


# by runner name (`lowering.KERNELS` says which op each serves)
_RUNNERS = {"conv2d": _conv2d, "backprop_input": _backprop_input,
            "backprop_filter": _backprop_filter, "max_pool": _max_pool,
            "max_pool_grad": _max_pool_grad, "max_pool_gather": _max_pool_gather}


def runner(d, in_shapes=None):
    """The callable computing node `d` (a graph node's attribute dict; `in_shapes` its inputs'
    static shapes, which pick the kernels a convolution needs) with this module's kernels, or
    None when they do not apply (another op, a non-float dtype); it runs the op table's numpy
    impl until its kernels are compiled. `.kernels` lists the cache entries it uses."""
    make = _RUNNERS.get(lowering.KERNELS.get(d["op"]))
    dt = np.dtype(d["dtype"])
    if make is None or dt.name not in _FLOATS:
        return None
    fast, kernels = make(d, OPS[d["op"]].impl, dt, in_shapes)
    return _with_kernels(fast, kernels, OPS[d["op"]].impl, d["attrs"],
                         d["op"] in lowering.FUSED_EPILOGUE)
