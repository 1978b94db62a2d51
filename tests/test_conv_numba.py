"""The numba backend's convolution and pooling kernels (graphflow/backends/numba/conv.py).

* each kernel-backed op (`lowering.KERNELS`) against its numpy reference impl on odd geometry:
  strides larger than the kernel, padding larger than the input, 1x1 images, batch 1, channel 1,
  dilations, the direct and the im2col + gemm paths, 1x1 (gemm-only) convolutions, ties and NaN
  in max pooling;
* a conv net step traced on the numba backend against the numpy executor;
* gradients of the compiled path against central finite differences (float64).

Kernels compile in the caller (`sync_compile`) and are shared by every test through the kernel
cache: one compile per kernel and dtype.
"""
import sys
import types

import numpy as np
import pytest

import graphflow as tf
from graphflow.backends.numba import conv, lowering, wait_all
from graphflow.backends.numba.plan import NumbaPlan
from graphflow.ops import conv_ops as C
from graphflow.ops.registry import OPS

R = np.random.default_rng(7)


pytestmark = pytest.mark.usefixtures("sync_compile_module")   # conftest: kernels compiled in the caller


def run_both(op, attrs, *xs, tol=1e-5, in_shapes=None):
    """The op by its kernels (compiled) and by the numpy impl; they must agree. `in_shapes`:
    the inputs' static shapes as a plan passes them (a static filter shape: kernels with it as
    literal numbers)."""
    want = OPS[op].impl(*xs, **attrs)
    d = {"op": op, "attrs": attrs, "dtype": want.dtype, "shape": want.shape}
    f = conv.runner(d, in_shapes)
    assert f is not None and f.kernels
    assert all(k.state == "ready" for k in f.kernels), [k.error for k in f.kernels]
    got = f(*xs)
    assert got.shape == want.shape and got.dtype == want.dtype, (got.shape, want.shape)
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol, err_msg=op)
    return got


# (N, H, W, C), (kh, kw, O), strides, dilations, pads
CONV_GEOMETRY = [
    ((2, 7, 6, 3), (3, 2, 4), (1, 2), (1, 1), ((1, 2), (0, 1))),     # im2col (K = 18)
    ((2, 6, 5, 8), (3, 3, 5), (1, 1), (1, 1), ((1, 1), (1, 1))),     # im2col + gemm (K = 72)
    ((3, 5, 5, 6), (1, 1, 3), (1, 1), (1, 1), ((0, 0), (0, 0))),     # 1x1: the gemm alone
    ((1, 6, 7, 2), (2, 3, 2), (2, 1), (2, 1), ((3, 3), (2, 2))),     # direct, dilated, padded
    ((1, 1, 1, 1), (3, 3, 2), (3, 3), (1, 1), ((1, 1), (1, 1))),     # 1x1 image, batch 1, C 1
    ((2, 9, 9, 40), (1, 1, 3), (4, 4), (1, 1), ((0, 0), (0, 0))),    # stride > kernel (gemm)
    ((1, 2, 2, 1), (2, 2, 1), (5, 5), (1, 1), ((4, 4), (4, 4))),     # padding > input
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("xs, ws, strides, dil, pads", CONV_GEOMETRY)
def test_conv_kernels_match_numpy(xs, ws, strides, dil, pads, dtype):
    x = R.standard_normal(xs).astype(dtype)
    kh, kw, o = ws
    w = R.standard_normal((kh, kw, xs[3], o)).astype(dtype)
    a = dict(strides=strides, pads=pads, dilations=dil, groups=1)
    y = run_both("conv2d", a, x, w)
    ct = R.standard_normal(y.shape).astype(dtype)
    run_both("conv2d_backprop_input", dict(a, input_shape=x.shape), ct, w)
    run_both("conv2d_backprop_filter", dict(a, filter_shape=w.shape), x, ct)


@pytest.mark.parametrize("xs, ws, strides, dil, pads", CONV_GEOMETRY)
def test_conv_kernels_with_the_static_filter_shape_match_numpy(xs, ws, strides, dil, pads):
    """With the filter's static shape (as in a plan) im2col/col2im hold kh, kw, c as literal
    numbers in their source: the same values as the numpy impl on every geometry."""
    x = R.standard_normal(xs).astype(np.float32)
    kh, kw, o = ws
    w = R.standard_normal((kh, kw, xs[3], o)).astype(np.float32)
    a = dict(strides=strides, pads=pads, dilations=dil, groups=1)
    y = run_both("conv2d", a, x, w, in_shapes=[x.shape, w.shape])
    ct = R.standard_normal(y.shape).astype(np.float32)
    f = conv.runner({"op": "conv2d_backprop_input", "attrs": dict(a, input_shape=x.shape),
                     "dtype": np.dtype("float32"), "shape": x.shape}, [ct.shape, w.shape])
    if (kh, kw) != (1, 1):      # a 1x1 convolution is a gemm alone (no columns)
        assert f"# fixed kh={kh} kw={kw} c={xs[3]}" in f.kernels[0].source
    run_both("conv2d_backprop_input", dict(a, input_shape=x.shape), ct, w,
             in_shapes=[ct.shape, w.shape])
    run_both("conv2d_backprop_filter", dict(a, filter_shape=w.shape), x, ct,
             in_shapes=[x.shape, ct.shape])


POOL_GEOMETRY = [
    ((2, 6, 6, 3), (2, 2), (2, 2), ((0, 0), (0, 0))),     # the usual tiling 2x2/2
    ((2, 7, 5, 2), (3, 2), (1, 2), ((1, 1), (0, 1))),     # overlapping, padded
    ((1, 3, 3, 1), (2, 2), (3, 3), ((2, 2), (2, 2))),     # stride > window, all-padding windows
    ((1, 1, 1, 4), (1, 1), (1, 1), ((0, 0), (0, 0))),     # 1x1 image
    ((2, 7, 6, 3), (3, 3), (2, 1), ((0, 0), (0, 0))),     # overlapping, all windows inside
    ((1, 5, 5, 2), (2, 2), (2, 2), ((0, 0), (0, 0))),     # 2x2/2 on an odd size (VALID)
    ((2, 8, 7, 5), (3, 2), (3, 2), ((0, 0), (0, 0))),     # non-overlapping, rows+cols left over
    ((3, 4, 9, 1), (1, 3), (2, 4), ((0, 0), (0, 0))),     # stride > window, nothing padded
    # 'SAME' with interior windows (a row at a time) and border ones (per pixel): 3x3/2 padded
    # after, and padded on all sides
    ((2, 9, 8, 4), (3, 3), (2, 2), ((1, 1), (0, 1))),
    ((1, 10, 9, 3), (3, 2), (1, 2), ((1, 1), (1, 1))),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("xs, k, s, pads", POOL_GEOMETRY)
def test_pool_kernels_match_numpy(xs, k, s, pads, dtype):
    x = np.round(R.standard_normal(xs) * 2).astype(dtype)      # many ties
    a = dict(ksize=k, strides=s, pads=pads)
    y = run_both("max_pool2d", a, x)
    g = R.standard_normal(y.shape).astype(dtype)
    run_both("max_pool2d_grad", a, x, g)
    run_both("max_pool2d_gather", a, x, R.standard_normal(x.shape).astype(dtype))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("xs, k, s, pads", POOL_GEOMETRY)
def test_pool_gradient_by_the_forwards_argmax_taps(xs, k, s, pads, dtype):
    """The gradient of the run whose forward pooled the same input scatters by the forward's
    argmax taps (POOL_TAPS); in a later run it finds them again: both equal the numpy impl
    (ties, NaN and -inf included)."""
    from graphflow.evaluate import note_run
    x = np.round(R.standard_normal(xs) * 2).astype(dtype)      # many ties
    x.reshape(-1)[::7] = np.nan
    x.reshape(-1)[3::11] = -np.inf
    a = dict(ksize=k, strides=s, pads=pads)
    key = conv._pool_key(*conv._pool_geometry(a), np.dtype(dtype))
    note_run()
    y = run_both("max_pool2d", a, x)
    g = R.standard_normal(y.shape).astype(dtype)
    assert conv.POOL_TAPS.get(key, x) is not None
    by_taps = run_both("max_pool2d_grad", a, x, g)
    note_run()
    assert conv.POOL_TAPS.get(key, x) is None
    np.testing.assert_array_equal(run_both("max_pool2d_grad", a, x, g), by_taps)
    # the kernel finding the maxima again was requested by that call (not up front)
    assert conv.request("maxpool_grad", np.dtype(dtype).name).state == "ready"


def test_pool_gradient_without_taps_runs_numpy_while_its_kernel_compiles(monkeypatch):
    """A max-pool gradient whose forward made no taps in this run asks for the kernel finding
    the maxima again only then; until it is compiled that call (plain and fused with an
    epilogue) runs the numpy impl."""
    from graphflow.evaluate import note_run
    real = conv.request
    pending = types.SimpleNamespace(fn=None, state="pending")
    monkeypatch.setattr(conv, "request", lambda name, dt, sync=None:
                        pending if name == "maxpool_grad" else real(name, dt, sync))
    x = np.round(R.standard_normal((4, 6, 6, 3)) * 2).astype(np.float32)
    a = dict(ksize=(2, 2), strides=(2, 2), pads=((0, 0), (0, 0)))
    g = R.standard_normal((4, 3, 3, 3)).astype(np.float32)
    want = OPS["max_pool2d_grad"].impl(x, g, **a)
    d = {"op": "max_pool2d_grad", "attrs": a, "dtype": want.dtype, "shape": want.shape}
    f = conv.runner(d)
    assert [k.state for k in f.kernels] == ["ready"]       # the taps kernel only
    note_run()
    np.testing.assert_array_equal(f(x, g), want)
    out, rows = np.empty_like(want), []
    f.fused(x, g, out, lambda lo, hi: rows.append((lo, hi)), 36, 2)
    np.testing.assert_array_equal(out, want)
    assert sorted(rows) == [(0, 72), (72, 144)]


def test_pool_ties_nan_and_inf_follow_the_reference():
    """Ties: the first maximum gets the gradient; a NaN window max propagates and sends the
    gradient to tap 0; -inf inputs next to -inf padding pick the padding (the impl's rule)."""
    x = np.zeros((1, 4, 4, 2), np.float32)
    x[0, 1, 1, 0] = np.nan
    x[0, 2:, 2:, 1] = -np.inf
    x[0, 0, 2, 1] = 5.0
    a = dict(ksize=(2, 2), strides=(2, 2), pads=((0, 0), (0, 0)))
    y = run_both("max_pool2d", a, x)
    assert np.isnan(y[0, 0, 0, 0]) and y[0, 1, 1, 1] == -np.inf
    g = np.arange(1, 9, dtype=np.float32).reshape(1, 2, 2, 2)
    run_both("max_pool2d_grad", a, x, g)
    a = dict(ksize=(3, 3), strides=(2, 2), pads=((1, 1), (1, 1)))
    y = run_both("max_pool2d", a, x)
    run_both("max_pool2d_grad", a, x, R.standard_normal(y.shape).astype(np.float32))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("xs, kh, kw, groups, o, strides, pads", [
    ((2, 6, 5, 4), 3, 3, 4, 8, (1, 1), ((1, 1), (1, 1))),      # depthwise, multiplier 2
    ((1, 5, 7, 6), 2, 3, 2, 4, (2, 1), ((0, 1), (2, 0))),      # 2 groups of 3 -> 2 channels
    # depthwise, multiplier 1 (one contiguous loop over the channels): padded; stride 2 with an
    # odd size; a 1x1 image with padding larger than it (stride > kernel); channels 1
    ((2, 6, 5, 4), 3, 3, 4, 4, (1, 1), ((1, 1), (1, 1))),
    ((1, 7, 7, 5), 3, 3, 5, 5, (2, 2), ((1, 1), (1, 1))),
    ((1, 1, 1, 3), 3, 3, 3, 3, (4, 4), ((2, 2), (2, 2))),
    ((3, 4, 3, 1), 2, 2, 1, 1, (1, 1), ((0, 0), (0, 0))),
    ((2, 5, 6, 3), 3, 2, 3, 9, (2, 3), ((2, 0), (1, 1))),      # multiplier 3, strided, padded
])
def test_grouped_conv_kernels_match_numpy(xs, kh, kw, groups, o, strides, pads, dtype):
    x = R.standard_normal(xs).astype(dtype)
    w = R.standard_normal((kh, kw, xs[3] // groups, o)).astype(dtype)
    a = dict(strides=strides, pads=pads, dilations=(1, 1), groups=groups)
    y = run_both("conv2d", a, x, w)
    ct = R.standard_normal(y.shape).astype(dtype)
    run_both("conv2d_backprop_input", dict(a, input_shape=x.shape), ct, w)
    run_both("conv2d_backprop_filter", dict(a, filter_shape=w.shape), x, ct)
    # the filter's shape static (as in a plan): multiplier 1 takes the row kernels (`_DW_WALK`)
    run_both("conv2d", a, x, w, in_shapes=[x.shape, w.shape])
    run_both("conv2d_backprop_input", dict(a, input_shape=x.shape), ct, w,
             in_shapes=[ct.shape, w.shape])


@pytest.mark.parametrize("xs, k, strides, dil, pads", [
    ((3, 9, 8, 5), (3, 3), (1, 1), (1, 1), ((1, 1), (1, 1))),     # 'SAME'
    ((2, 9, 11, 3), (3, 2), (1, 1), (2, 3), ((2, 1), (3, 0))),    # dilated, uneven padding
    ((2, 9, 10, 4), (3, 3), (2, 3), (1, 2), ((1, 0), (2, 2))),    # strided rows
    ((1, 1, 1, 2), (3, 3), (4, 4), (1, 1), ((2, 2), (2, 2))),     # padding > 1x1 image
    ((2, 4, 5, 1), (2, 2), (1, 1), (1, 1), ((0, 0), (0, 0))),     # one channel (ungrouped)
    ((1, 3, 3, 2), (3, 3), (1, 5), (1, 1), ((4, 4), (4, 4))),     # taps wholly outside a row
])
def test_depthwise_row_kernels_match_numpy(xs, k, strides, dil, pads):
    """The multiplier-1 depthwise kernels (`conv._DW_WALK`: taps outer, one flat loop over an
    output row's pixels and channels) against the numpy impl: forward, input and filter
    gradients, float64 and float32."""
    c = xs[3]
    for dtype in (np.float64, np.float32):
        x = R.standard_normal(xs).astype(dtype)
        w = R.standard_normal(k + (1, c)).astype(dtype)
        a = dict(strides=strides, pads=pads, dilations=dil, groups=c)
        shapes = [x.shape, w.shape]
        y = run_both("conv2d", a, x, w, in_shapes=shapes)
        ct = R.standard_normal(y.shape).astype(dtype)
        run_both("conv2d_backprop_input", dict(a, input_shape=x.shape), ct, w,
                 in_shapes=[ct.shape, w.shape])
        run_both("conv2d_backprop_filter", dict(a, filter_shape=w.shape), x, ct,
                 in_shapes=[x.shape, ct.shape])
        d = {"op": "conv2d", "attrs": a, "dtype": x.dtype, "shape": y.shape}
        assert any("dw_fwd" in kk.source[:200] for kk in conv.runner(d, shapes).kernels) == (
            c > 1)


# (N, H, W, C), (kh, kw, O), strides, dilations, pads: at most 2 output channels, at least 8
# input channels (`conv.NARROW_MAX_O`, `NARROW_MIN_C`)
NARROW_GEOMETRY = [
    ((2, 7, 6, 8), (3, 3, 1), (1, 1), (1, 1), ((1, 1), (1, 1))),     # 'SAME'
    ((1, 5, 6, 9), (3, 2, 2), (2, 3), (1, 1), ((1, 2), (0, 1))),     # stride > kernel, batch 1
    ((2, 1, 1, 8), (3, 3, 1), (1, 1), (1, 1), ((1, 1), (1, 1))),     # 1x1 image
    ((1, 3, 3, 8), (2, 2, 2), (5, 5), (1, 1), ((4, 4), (4, 4))),     # padding > input
    ((2, 9, 8, 10), (3, 3, 2), (2, 1), (2, 3), ((2, 1), (3, 0))),    # dilated and strided
    ((2, 6, 6, 8), (1, 1, 1), (2, 2), (1, 1), ((0, 0), (0, 0))),     # 1x1, strided
    ((16, 12, 12, 16), (3, 3, 2), (1, 1), (1, 1), ((1, 1), (1, 1))),  # several batch chunks
]


@pytest.mark.parametrize("xs, ws, strides, dil, pads", NARROW_GEOMETRY)
def test_narrow_output_kernels_match_numpy(xs, ws, strides, dil, pads):
    """Convolutions with one or two output channels (`conv._NARROW_WALK`: no im2col columns)
    against the numpy impl: forward, input and filter gradients, float64 and float32."""
    kh, kw, o = ws
    for dtype in (np.float64, np.float32):
        x = R.standard_normal(xs).astype(dtype)
        w = R.standard_normal((kh, kw, xs[3], o)).astype(dtype)
        a = dict(strides=strides, pads=pads, dilations=dil, groups=1)
        y = run_both("conv2d", a, x, w, tol=2e-4, in_shapes=[x.shape, w.shape])
        ct = R.standard_normal(y.shape).astype(dtype)
        run_both("conv2d_backprop_input", dict(a, input_shape=x.shape), ct, w, tol=2e-4,
                 in_shapes=[ct.shape, w.shape])
        run_both("conv2d_backprop_filter", dict(a, filter_shape=w.shape), x, ct, tol=2e-4,
                 in_shapes=[x.shape, ct.shape])
        d = {"op": "conv2d", "attrs": a, "dtype": x.dtype, "shape": y.shape}
        assert "narrow_fwd" in conv.runner(d, [x.shape, w.shape]).kernels[0].source[:200]


@pytest.mark.parametrize("n", [16, 13])
def test_gemm_chunks_and_columns_block_by_block(n):
    """A batch big enough to split into gemm chunks on the chunk pool (BLAS single-threaded
    meanwhile, its thread count restored after), with im2col blocks of a few images (here 2 of
    each chunk's; an odd batch: a chunk's last block has one image) in all three convolutions,
    each chunk one numba call that loops over its blocks; a later run on an input changed in
    place uses the new values (nothing of the forward is kept)."""
    from graphflow.evaluate import note_run
    x = R.standard_normal((n, 10, 10, 8)).astype(np.float32)
    w = R.standard_normal((3, 3, 8, 7)).astype(np.float32)
    a = dict(strides=(1, 1), pads=((0, 0), (0, 0)), dilations=(1, 1), groups=1)
    assert conv._gemm_rows(n, 8 * 8 * 72 * 8) < n or not conv.pool().helpers
    # (by library: the switch may take on scipy's BLAS at a numba-loaded kernel's first call)
    blas = {c.filepath: c.get_num_threads() for c in conv.SINGLE_BLAS.controllers()}
    for block in (conv.BLOCK_BYTES, 2 * 8 * 8 * 72 * 4):
        conv_block = conv.BLOCK_BYTES
        conv.BLOCK_BYTES = block
        try:
            note_run()
            y = run_both("conv2d", a, x, w, tol=1e-4)
            ct = R.standard_normal(y.shape).astype(np.float32)
            # float32 sums of 1,024 products in another order (per-chunk partial sums)
            run_both("conv2d_backprop_filter", dict(a, filter_shape=w.shape), x, ct, tol=2e-4)
            run_both("conv2d_backprop_input", dict(a, input_shape=x.shape), ct, w, tol=2e-4)
            note_run()
            x2 = x * 2
            run_both("conv2d_backprop_filter", dict(a, filter_shape=w.shape), x2, ct, tol=4e-4)
        finally:
            conv.BLOCK_BYTES = conv_block
    after = {c.filepath: c.get_num_threads() for c in conv.SINGLE_BLAS.controllers()}
    assert {p: after[p] for p in blas} == blas


@pytest.mark.parametrize("xs, ws, strides, dil, pads", [CONV_GEOMETRY[0], CONV_GEOMETRY[3],
                                                        CONV_GEOMETRY[6]])
def test_direct_loops_for_ungrouped_convs(monkeypatch, xs, ws, strides, dil, pads):
    """The direct loops' ungrouped path (used below `DIRECT_MAX_K`, 0 by default)."""
    monkeypatch.setattr(conv, "DIRECT_MAX_K", 64)
    test_conv_kernels_match_numpy(xs, ws, strides, dil, pads, np.float32)


def test_epilogue_fused_per_batch_chunk_equals_numpy_executor():
    """bias + activation after a conv2d run per batch chunk of the anchor (several chunks:
    batch 16), for the im2col, the 1x1 (gemm alone), the grouped (direct) and the narrow
    (one output channel) convolution."""
    x = tf.constant(R.standard_normal((16, 10, 10, 8)).astype(np.float32))
    w3 = tf.constant(R.standard_normal((3, 3, 8, 7)).astype(np.float32))
    w1 = tf.constant(R.standard_normal((1, 1, 8, 5)).astype(np.float32))
    wd = tf.constant(R.standard_normal((3, 3, 8, 2)).astype(np.float32))
    wn = tf.constant(R.standard_normal((3, 3, 8, 1)).astype(np.float32))
    b = tf.constant(R.standard_normal(7).astype(np.float32))

    def f(x):
        a = tf.nn.relu(tf.nn.conv2d(x, w3, 1, "SAME") + b)
        c = tf.tanh(tf.nn.conv2d(x, w1, 1, "VALID") * 0.5)
        d = tf.nn.relu(tf.nn.depthwise_conv2d(x, wd, (1, 1, 1, 1), "VALID") - 0.1)
        e = tf.sigmoid(tf.nn.conv2d(x, wn, 1, "SAME") + 0.5)    # one output channel
        return a, c, d, e
    fj, fn = tf.function(f), tf.function(f, jit_compile=False)
    fj(x)
    fj.get_concrete_function(x)._executor.wait()   # (this plan's kernels, not the backlog)
    report = fj.kernel_plan(x)
    assert report.count("run on each batch chunk as the anchor finishes it") == 4, report
    for got, want in zip(fj(x), fn(x)):
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-4, atol=1e-4)


def test_fused_chunks_run_in_order_on_one_thread():
    """On one thread a job with an epilogue still runs chunk by chunk (each chunk's epilogue
    then reads rows still in cache); one without runs as one call."""
    from graphflow.backends.numba.parallel import ONE_THREAD
    seen = []
    with ONE_THREAD:
        conv._chunked(lambda lo, hi: seen.append((lo, hi)), 10, 4, fused=True)
        assert seen == [(0, 4), (4, 8), (8, 10)]
        seen.clear()
        conv._chunked(lambda lo, hi: seen.append((lo, hi)), 10, 4)
        assert seen == [(0, 10)]


def _conv_relu_pool_args():
    """x (16, 9, 9, 3), a 3x3 filter into 6 channels and their bias (constants)."""
    return tuple(tf.constant(R.standard_normal(s).astype(np.float32))
                 for s in ((16, 9, 9, 3), (3, 3, 3, 6), (6,)))


def test_epilogue_per_batch_chunk_on_one_thread_equals_numpy_executor():
    """The fused epilogues (bias + activation; the max-pool gradient with the relu mask and the
    bias gradient's per-chunk partial sums) when the plan runs on one thread."""
    from graphflow.backends.numba.parallel import ONE_THREAD
    x, w, b = _conv_relu_pool_args()

    def f(x, w, b):
        with tf.GradientTape() as t:
            t.watch([w, b])
            y = tf.nn.max_pool2d(tf.nn.relu(tf.nn.conv2d(x, w, 1, "VALID") + b), 2, 2, "VALID")
            loss = tf.reduce_sum(y * y)
        return (y,) + tuple(t.gradient(loss, [w, b]))
    fj, fn = tf.function(f), tf.function(f, jit_compile=False)
    fj(x, w, b)
    fj.get_concrete_function(x, w, b)._executor.wait()
    with ONE_THREAD:
        got = fj(x, w, b)
    for g, want in zip(got, fn(x, w, b)):
        np.testing.assert_allclose(g.numpy(), want.numpy(), rtol=1e-4, atol=1e-3)


def test_max_pool_runs_inside_the_conv_epilogue_per_batch_chunk(monkeypatch):
    """conv + bias + relu, then max pooling (overlapping 3x3/2 windows, SAME padding, batch 13:
    uneven chunks): the pooling runs batch chunk by batch chunk inside the conv's epilogue step
    (no step of its own); values and gradients (by the taps kept per chunk) equal the numpy
    executor's, on all cores and on one thread; a pooling runner whose kernel is not ready
    pools the whole input after the last chunk."""
    from graphflow.backends.numba.parallel import ONE_THREAD
    x = tf.constant(R.standard_normal((13, 9, 9, 3)).astype(np.float32))
    w = tf.constant(R.standard_normal((3, 3, 3, 6)).astype(np.float32))
    b = tf.constant(R.standard_normal(6).astype(np.float32))

    def f(x, w, b):
        with tf.GradientTape() as t:
            t.watch([x, w, b])
            h = tf.nn.relu(tf.nn.conv2d(x, w, 1, "SAME") + b)
            y = tf.nn.max_pool2d(h, 3, 2, "SAME")
            loss = tf.reduce_sum(y * y)
        return (y,) + tuple(t.gradient(loss, [x, w, b]))
    fj, fn = tf.function(f), tf.function(f, jit_compile=False)
    fj(x, w, b)
    fj.get_concrete_function(x, w, b)._executor.wait()
    report = fj.kernel_plan(x, w, b)
    assert "max_pool2d of each batch chunk of" in report, report
    assert not any(line.split()[1:2] == ["numba"] and "max_pool2d " in line
                   for line in report.splitlines() if line.startswith("[")), report
    want = [v.numpy() for v in fn(x, w, b)]
    for mode in ("all cores", "one thread"):
        if mode == "one thread":
            with ONE_THREAD:
                got = fj(x, w, b)
        else:
            got = fj(x, w, b)
        for g, v in zip(got, want):
            np.testing.assert_allclose(g.numpy(), v, rtol=1e-4, atol=1e-3, err_msg=mode)
    # the runner's kernel not ready: nothing per chunk, the numpy impl in finish()
    d = {"op": "max_pool2d", "attrs": dict(ksize=(3, 3), strides=(2, 2), pads=((1, 1), (1, 1))),
         "dtype": np.dtype("float32"), "shape": (13, 5, 5, 6)}
    run = conv.runner(d)
    h = R.standard_normal((13, 9, 9, 6)).astype(np.float32)
    ready = run.per_chunk(h)
    for lo, hi in ((0, 7), (7, 13)):
        ready[0](lo, hi)
    np.testing.assert_array_equal(ready[1](), OPS["max_pool2d"].impl(h, **d["attrs"]))
    monkeypatch.setattr(run.kernels[0], "fn", None)
    chunk, finish = run.per_chunk(h)
    chunk(0, 13)
    np.testing.assert_array_equal(finish(), OPS["max_pool2d"].impl(h, **d["attrs"]))


def test_runner_declines_what_it_does_not_compute():
    base = {"attrs": dict(strides=(1, 1), pads=((0, 0), (0, 0)), dilations=(1, 1), groups=2),
            "dtype": np.dtype("float32"), "shape": (1, 2, 2, 2), "op": "conv2d"}
    assert conv.runner(dict(base, op="add")) is None                   # not a conv op
    ints = {"op": "max_pool2d", "attrs": dict(ksize=(2, 2), strides=(2, 2),
                                              pads=((0, 0), (0, 0))),
            "dtype": np.dtype("int32"), "shape": (1, 1, 1, 1)}
    assert conv.runner(ints) is None                                   # integer pooling
    # every op of lowering.KERNELS has its runner and every runner an op
    assert sorted(lowering.KERNELS.values()) == sorted(conv._RUNNERS)
    assert lowering.FUSED_EPILOGUE <= set(lowering.KERNELS)


# ------------------------------------------------------------------ traced on the numba backend
def _net(dtype):
    f = lambda *s: tf.Variable(R.normal(0, 0.3, s).astype(dtype))   # noqa: E731
    return [f(3, 3, 1, 4), f(4), f(3, 3, 4, 6), f(6), f(12, 3)]


def _loss(params, x, y):
    w1, b1, w2, b2, w3 = params
    h = tf.nn.relu(tf.nn.conv2d(x, w1, 1, "SAME") + b1)
    h = tf.nn.max_pool2d(h, 2, 2, "VALID")
    h = tf.nn.relu(tf.nn.conv2d(h, w2, (2, 1), "VALID") + b2)     # im2col path (K = 36)
    h = tf.nn.max_pool2d(h, (1, 2), (1, 2), "SAME")
    logits = tf.matmul(tf.reshape(h, (h.shape[0], -1)), w3)
    return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(y, logits))


def _step_fn(params):
    def step(x, y):
        with tf.GradientTape() as tape:
            loss = _loss(params, x, y)
        return [loss] + tape.gradient(loss, params)
    return step


def test_conv_step_numba_equals_numpy_executor():
    params = _net(np.float32)
    x = tf.constant(R.uniform(0, 1, (3, 10, 8, 1)).astype(np.float32))
    y = tf.constant(np.array([0, 2, 1], np.int32))
    step = _step_fn(params)
    fj, fn = tf.function(step), tf.function(step, jit_compile=False)
    got, want = fj(x, y), fn(x, y)
    plan = fj.get_concrete_function(x, y)._executor
    assert isinstance(plan, NumbaPlan)
    plan.wait()
    assert all(k.state == "ready" for k in plan.kernels), [k.error for k in plan.kernels]
    names = {k.source.splitlines()[1].split()[2] for k in plan.kernels
             if k.source.startswith("# graphflow conv kernel")}
    assert {"im2col_gemm", "maxpool_arg", "maxpool_grad_arg", "gemm_col2im"} <= names
    assert "maxpool_grad" not in names       # each gradient has its forward's taps
    report = fj.kernel_plan(x, y)       # says how each conv/pool node runs
    assert "conv2d: numba im2col + BLAS gemm (kh*kw*C = 9)" in report
    assert "conv2d: numba im2col + BLAS gemm (kh*kw*C = 36)" in report
    assert "columns made again block by block" in report
    assert "the loop is its epilogue, run on each batch chunk as the anchor finishes it" in report
    assert "max_pool2d_grad" in report and "windows do not overlap" in report
    got = fj(x, y)       # all kernels compiled now
    for a, b in zip(got, want):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=2e-5, atol=2e-6)


@pytest.mark.parametrize("groups", [1, 4])      # im2col + gemm, direct (grouped)
def test_filter_gradient_on_one_thread(groups):
    """Inside ONE_THREAD the chunk pool runs every chunk in one call: the filter gradient's
    per-chunk partial sums must still add up (they were left uninitialized)."""
    from graphflow.backends.numba.parallel import ONE_THREAD
    x = R.standard_normal((16, 9, 9, 8)).astype(np.float32)
    ct = R.standard_normal((16, 7, 7, 8)).astype(np.float32)
    a = dict(strides=(1, 1), pads=((0, 0), (0, 0)), dilations=(1, 1), groups=groups,
             filter_shape=(3, 3, 8 // groups, 8))
    with ONE_THREAD:
        run_both("conv2d_backprop_filter", a, x, ct, tol=1e-4)


@pytest.mark.parametrize("mode", ["single", "multi"])
def test_conv_plan_chooses_its_threads_and_values_match(monkeypatch, mode):
    """A plan with conv kernels times its calls on one thread against all cores (`blas_choice`);
    either way (fixed here by GRAPHFLOW_PLAN_THREADS) its values equal the numpy executor's
    (batch 16: the fused anchors run 8 batch chunks, in one call on one thread)."""
    monkeypatch.setenv("GRAPHFLOW_PLAN_THREADS", mode)
    params = _net(np.float32)
    x = tf.constant(R.uniform(0, 1, (16, 10, 8, 1)).astype(np.float32))
    y = tf.constant(R.integers(0, 3, 16).astype(np.int32))
    fj, fn = tf.function(_step_fn(params)), tf.function(_step_fn(params), jit_compile=False)
    want = fn(x, y)
    fj(x, y)
    plan = fj.get_concrete_function(x, y)._executor
    plan.wait()
    for _ in range(2):
        got = fj(x, y)
    if conv.pool().helpers:      # (one core: nothing to choose)
        assert plan.blas_choice is not None and plan.blas_choice.single == (mode == "single")
    for a, b in zip(got, want):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=2e-5, atol=2e-6)


def test_calls_run_on_one_thread_while_a_kernel_compiles(monkeypatch):
    """While a kernel of the plan is still compiling, its calls (after the first) run with BLAS
    and the chunk pool on one thread (the compiler process needs the other core), with the same
    values; once every kernel is ready they run on all cores again."""
    from graphflow.backends.numba.parallel import ONE_THREAD
    from graphflow.blas_threads import SINGLE_BLAS
    params = _net(np.float32)
    x = tf.constant(R.uniform(0, 1, (4, 10, 8, 1)).astype(np.float32))
    y = tf.constant(np.array([0, 2, 1, 1], np.int32))
    fj, fn = tf.function(_step_fn(params)), tf.function(_step_fn(params), jit_compile=False)
    want = fn(x, y)
    fj(x, y)
    plan = fj.get_concrete_function(x, y)._executor
    plan.wait()
    monkeypatch.setattr(plan.kernels[0], "state", "compiling")     # as if still compiling
    plan._pending = True
    seen, first = [], plan._calls[0]
    plan._calls[0] = lambda vals: (seen.append((SINGLE_BLAS.depth, ONE_THREAD.depth)),
                                   first(vals))
    pending = fj(x, y)
    monkeypatch.undo()
    # a conv plan times its calls on all cores against one thread (`blas_choice`); left out
    # here, where the machine's load would decide
    assert plan.blas_choice is not None
    plan.blas_choice = None
    ready = fj(x, y)
    # (on all cores a conv plan keeps BLAS on one thread: the chunk pool is the parallelism)
    assert seen == [(1, 1), (1, 0)] and not plan._pending
    for a, b, c in zip(pending, ready, want):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(a.numpy(), c.numpy(), rtol=2e-5, atol=2e-6)


def test_compiled_gradients_match_finite_differences():
    """float64: d loss / d (input, every weight) of the compiled step vs central differences
    of the compiled loss along a random direction."""
    params = _net(np.float64)
    x0 = R.uniform(0, 1, (2, 10, 8, 1))
    y = tf.constant(np.array([1, 2], np.int32))

    @tf.function
    def loss_and_grads(x, y):
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = _loss(params, x, y)
        return [loss] + tape.gradient(loss, [x] + params)

    @tf.function
    def loss_at(x, y):
        return _loss(params, x, y)

    loss_and_grads(tf.constant(x0), y)
    loss_at(tf.constant(x0), y)
    wait_all()
    out = loss_and_grads(tf.constant(x0), y)
    grads = [g.numpy() for g in out[1:]]
    values = [x0] + [p.numpy() for p in params]
    eps = 1e-6
    for i, g in enumerate(grads):
        v = R.standard_normal(g.shape)

        def at(t):
            vals = [a.copy() for a in values]
            vals[i] = vals[i] + t * v
            for p, a in zip(params, vals[1:]):
                p.assign(a)
            return float(loss_at(tf.constant(vals[0]), y))
        fd = (at(eps) - at(-eps)) / (2 * eps)
        at(0.0)
        np.testing.assert_allclose(np.sum(g * v), fd, rtol=1e-6, atol=1e-8, err_msg=f"input {i}")


def test_depthwise_separable_and_avg_pool_numba_equals_numpy_executor():
    x = tf.constant(R.standard_normal((2, 7, 6, 3)).astype(np.float32))
    dw = tf.Variable(R.standard_normal((3, 3, 3, 2)).astype(np.float32))
    pw = tf.Variable(R.standard_normal((1, 1, 6, 4)).astype(np.float32))

    def step(x):
        with tf.GradientTape() as tape:
            h = tf.nn.separable_conv2d(x, dw, pw, 1, "SAME")
            h = tf.nn.avg_pool2d(tf.nn.relu(h), 3, 2, "SAME")
            loss = tf.reduce_sum(h * h)
        return [loss] + tape.gradient(loss, [dw, pw])

    fj, fn = tf.function(step), tf.function(step, jit_compile=False)
    fj(x)
    fj.get_concrete_function(x)._executor.wait()
    plan = fj.get_concrete_function(x)._executor
    assert all(k.state == "ready" for k in plan.kernels), [k.error for k in plan.kernels]
    assert "direct numba loop (3 groups)" in fj.kernel_plan(x)
    for a, b in zip(fj(x), fn(x)):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=2e-5, atol=2e-5)


@pytest.mark.parametrize("multiplier", [1, 2])
def test_compiled_depthwise_gradients_match_finite_differences(multiplier):
    """float64, the depthwise kernels (one loop over the channels, or input channel src[q] of
    output channel q): d loss / d (input, filter) of the compiled function vs central
    differences of the compiled loss along a random direction; strided, padded (SAME), odd
    sizes."""
    x0 = R.standard_normal((2, 7, 6, 3))
    w0 = R.standard_normal((3, 3, 3, multiplier))
    c = tf.constant(R.standard_normal((2, 4, 3, 3 * multiplier)))

    def loss(x, w):
        return tf.reduce_sum(tf.tanh(tf.nn.depthwise_conv2d(x, w, (1, 2, 2, 1), "SAME")) * c)

    @tf.function
    def grads(x, w):
        with tf.GradientTape() as tape:
            tape.watch([x, w])
            y = loss(x, w)
        return tape.gradient(y, [x, w])
    at = tf.function(loss)
    grads(tf.constant(x0), tf.constant(w0))
    at(tf.constant(x0), tf.constant(w0))
    wait_all()
    assert "direct numba loop (3 groups)" in at.kernel_plan(tf.constant(x0), tf.constant(w0))
    gx, gw = [g.numpy() for g in grads(tf.constant(x0), tf.constant(w0))]
    eps = 1e-6
    for i, g in enumerate((gx, gw)):
        v = R.standard_normal(g.shape)
        step = [np.zeros_like(x0), np.zeros_like(w0)]
        step[i] = eps * v
        fd = (float(at(tf.constant(x0 + step[0]), tf.constant(w0 + step[1])))
              - float(at(tf.constant(x0 - step[0]), tf.constant(w0 - step[1])))) / (2 * eps)
        np.testing.assert_allclose(np.sum(g * v), fd, rtol=1e-6, atol=1e-8, err_msg=f"input {i}")


def test_unknown_batch_dim_one_trace_two_batch_sizes():
    """The kernels take their shapes from the values: a signature with an unknown batch dim
    runs batches of 3 and 5 on one trace, equal to the numpy executor."""
    w = tf.Variable(R.standard_normal((3, 3, 2, 4)).astype(np.float32))

    def f(x):
        with tf.GradientTape() as t:
            t.watch(x)
            h = tf.nn.max_pool2d(tf.nn.relu(tf.nn.conv2d(x, w, 1, "SAME")), 2, 2, "VALID")
            loss = tf.reduce_sum(h * h)
        return [h] + t.gradient(loss, [x, w])

    spec = [tf.TensorSpec((None, 6, 6, 2), tf.float32)]
    fj = tf.function(f, input_signature=spec)
    fn = tf.function(f, input_signature=spec, jit_compile=False)
    for n in (3, 5):
        x = tf.constant(R.uniform(-1, 1, (n, 6, 6, 2)).astype(np.float32))
        fj(x)
        fj.get_concrete_function(x)._executor.wait()
        for a, b in zip(fj(x), fn(x)):
            assert a.shape == b.shape
            np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=2e-5, atol=2e-5)
    assert fj.experimental_get_tracing_count() == 1


def test_chunks_and_blocks_are_split_evenly(monkeypatch):
    """Batch chunks (`_rows`) and im2col blocks (`_block`: the buffer a chunk's kernel call
    fills block after block) of equal size: 64 images with room for 40 per chunk are two chunks
    of 32; 8 images with room for 7 per block are two blocks of 4 sharing one buffer."""
    assert conv._rows(64, conv.CHUNK_ELEMENTS // 40) == 32
    assert conv._rows(64, 1) == 64 and conv._rows(1, 10 ** 9) == 1
    assert conv._rows(63, conv.CHUNK_ELEMENTS // 40) == 32     # 32 + 31
    per = (3, 2, 5)
    monkeypatch.setattr(conv, "BLOCK_BYTES", 7 * 30 * 4)
    assert conv._block(8, per, np.dtype("float32")).shape == (4, 3, 2, 5)
    # 3 of float64 fit: 5 -> blocks of 3 + 2 in a buffer of 3, not 3 + 2 + 0
    assert conv._block(5, per, np.dtype("float64")).shape == (3, 3, 2, 5)
    assert conv._block(1, per, np.dtype("float64")).shape == (1, 3, 2, 5)


def test_thread_configuration_while_another_thread_imports_numba(monkeypatch):
    """A warm start loads kernels from shared objects on the caller's thread while the compile
    thread may be importing numba: `threads.configure` then sees a numba module without its
    `config` yet. It used to raise there, which failed every kernel loaded in that window (the
    conv step's warm first 100 calls ran 13 of 18 kernels on numpy); it must leave the threading
    layer to the importer's own set-up and still return the core count."""
    from graphflow.backends.numba import threads
    monkeypatch.setitem(sys.modules, "numba", types.ModuleType("numba"))   # mid-import
    monkeypatch.delenv("NUMBA_THREADING_LAYER", raising=False)
    assert threads.configure() == threads.usable_cores()


def test_each_batch_chunk_is_one_kernel_call(monkeypatch):
    """A convolution, its input gradient and its filter gradient make ONE numba call per batch
    chunk (columns and the BLAS product inside it: no GIL between them, so the chunk pool's
    threads overlap), however many im2col blocks a chunk has; values as the numpy impl."""
    x = R.standard_normal((12, 9, 9, 6)).astype(np.float32)
    w = R.standard_normal((3, 3, 6, 5)).astype(np.float32)
    a = dict(strides=(1, 1), pads=((1, 1), (1, 1)), dilations=(1, 1), groups=1)
    monkeypatch.setattr(conv, "BLOCK_BYTES", 2 * 9 * 9 * 54 * 4)     # 2 images per block
    monkeypatch.setattr(conv, "_gemm_rows", lambda n, per_image: 4)  # chunks of 4 images
    ct = R.standard_normal((12, 9, 9, 5)).astype(np.float32)
    for op, attrs, args in [("conv2d", a, (x, w)),
                            ("conv2d_backprop_input", dict(a, input_shape=x.shape), (ct, w)),
                            ("conv2d_backprop_filter", dict(a, filter_shape=w.shape), (x, ct))]:
        want = OPS[op].impl(*args, **attrs)
        f = conv.runner({"op": op, "attrs": attrs, "dtype": want.dtype, "shape": want.shape},
                        [args[0].shape, args[1].shape])
        (k,) = f.kernels
        assert k.state == "ready", k.error
        calls = []
        fn = k.fn

        def counted(*xs):
            calls.append(xs[0].shape[0])
            return fn(*xs)
        monkeypatch.setattr(k, "fn", counted)
        got = f(*args)
        monkeypatch.setattr(k, "fn", fn)
        np.testing.assert_allclose(got, want, rtol=2e-4, atol=2e-4, err_msg=op)
        assert sorted(calls) == [4, 4, 4] or (not conv.pool().helpers and calls == [12]), (
            op, calls)


def test_blocks_count_the_product_rows_too(monkeypatch):
    """An im2col/col2im block's bytes count its columns and the product rows they meet (the
    output's or the cotangent's channels per pixel): a 3x3 convolution of one input channel
    into 32 has 9 columns but 32 output values per pixel - blocks sized by the columns alone
    held 3.6x the bytes meant (the conv step's first layer: 8 images per block, measured
    slower than 4)."""
    per = (3, 2, 5)
    monkeypatch.setattr(conv, "BLOCK_BYTES", 7 * 30 * 4)
    assert conv._block(8, per, np.dtype("float32")).shape == (4, 3, 2, 5)        # 7 fit
    assert conv._block(8, per, np.dtype("float32"), 5).shape == (3, 3, 2, 5)     # 3 fit
    assert conv._block(8, per, np.dtype("float32"), 10 ** 6).shape == (1, 3, 2, 5)
    # the conv step's first layer at the default size: blocks of 4 of a chunk's 8 images
    monkeypatch.setattr(conv, "BLOCK_BYTES", 1 << 19)
    assert conv._block(8, (26, 26, 9), np.dtype("float32"), 32).shape[0] == 4


def test_blas_switch_controls_the_blas_a_kernel_loads(monkeypatch):
    """A kernel loaded through numba calls scipy's BLAS (numba's helper), a library apart from
    numpy's. `_blas_for` puts it under `SINGLE_BLAS` also when the switch was never used
    before and the process's library scan (shared, cached) predates scipy's BLAS: that scan
    had left scipy's BLAS on all its threads inside every chunk (their spinning measured up
    to 8x one thread's CPU time for a conv layer)."""
    pytest.importorskip("threadpoolctl")
    pytest.importorskip("scipy.linalg.cython_blas")
    from threadpoolctl import ThreadpoolController

    from graphflow import blas_threads
    every = list(ThreadpoolController().lib_controllers)
    numpy_libs = np.__file__.rsplit("/", 2)[0] + "/numpy"     # numpy/ and numpy.libs/
    later = [c.filepath for c in every
             if c.user_api == "blas" and not c.filepath.startswith(numpy_libs)]
    if not later:
        pytest.skip("scipy shares numpy's BLAS here")
    scanned_before = [c for c in every if c.filepath not in later]
    monkeypatch.setattr(blas_threads, "_LIBS", [scanned_before])
    fresh = blas_threads._SingleThreadedBlas()
    monkeypatch.setattr(conv, "SINGLE_BLAS", fresh)
    monkeypatch.setattr(conv, "_BLAS_READY", set())
    conv._blas_for(types.SimpleNamespace(fn=lambda: None))     # a numba-loaded kernel
    known = {c.filepath for c in fresh.controllers()}
    assert set(later) <= known, (later, known)
    with fresh:
        assert all(get() == 1 for get, _ in fresh.switches)


def test_an_anchor_output_only_its_epilogue_reads_stays_chunk_sized(monkeypatch):
    """A fused anchor whose output only the epilogue reads (conv -> bias -> relu) computes each
    batch chunk into a buffer of its thread (`conv.AnchorScratch`), no full-size array: values
    as the numpy executor on the chunked path, the 1x1 (one gemm: the whole output) path, on
    one thread, and while the kernels compile (numpy impl: the whole output); an anchor
    output read elsewhere (here also returned) stays full-size."""
    from graphflow.backends.numba.parallel import ONE_THREAD
    x, w, b = _conv_relu_pool_args()
    w1 = tf.constant(R.standard_normal((1, 1, 3, 4)).astype(np.float32))
    w2 = tf.constant(R.standard_normal((3, 3, 3, 5)).astype(np.float32))

    def f(x, w, b):
        with tf.GradientTape() as t:
            t.watch([w, b])
            y = tf.nn.max_pool2d(tf.nn.relu(tf.nn.conv2d(x, w, 1, "VALID") + b), 2, 2, "VALID")
            z = tf.nn.relu(tf.nn.conv2d(x, w1, 1, "VALID") - 0.1)      # 1x1: whole()
            raw = tf.nn.conv2d(x, w2, 1, "SAME")                         # also returned
            loss = tf.reduce_sum(y * y) + tf.reduce_sum(z)
        return (y, z, tf.tanh(raw), raw) + tuple(t.gradient(loss, [w, b]))
    fj, fn = tf.function(f), tf.function(f, jit_compile=False)
    fj(x, w, b)
    fj.get_concrete_function(x, w, b)._executor.wait()
    report = fj.kernel_plan(x, w, b)
    # three conv anchors and the max-pool gradient (its loop chunked with the anchor whatever
    # its size) fused per batch chunk; the one whose output is also returned keeps a full-size
    # output
    assert report.count("run on each batch chunk as the anchor finishes it") == 4, report
    assert report.count("the chunk in a buffer of the thread") == 3, report
    want = [v.numpy() for v in fn(x, w, b)]
    with ONE_THREAD:
        one = fj(x, w, b)
    for got in (fj(x, w, b), one):
        for g, v in zip(got, want):
            np.testing.assert_allclose(g.numpy(), v, rtol=1e-4, atol=1e-3)
    # kernels not ready: the runner's numpy impl writes the whole output (AnchorScratch.whole)
    plan = fj.get_concrete_function(x, w, b)._executor
    for k in plan.kernels:
        if "conv kernel" in k.source[:60]:
            monkeypatch.setattr(k, "fn", None)
    for g, v in zip(fj(x, w, b), want):
        np.testing.assert_allclose(g.numpy(), v, rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize("second", ["3x3", "1x1", "depthwise"])
def test_input_gradient_with_its_epilogue_per_batch_chunk(second):
    """conv2d_backprop_input runs the epilogue after it (the relu mask of the layer below and
    that layer's bias gradient, per-chunk partial sums) per batch chunk, on the thread that
    computed the chunk (`lowering.FUSED_EPILOGUE`), for the col2im, the 1x1 (gemm alone) and
    the depthwise (direct) input gradient: values as the numpy executor, on all cores and on
    one thread, batch 13 (uneven chunks; a loop big enough to be split in chunks)."""
    from graphflow.backends.numba.parallel import ONE_THREAD
    x = tf.constant(R.standard_normal((13, 32, 31, 3)).astype(np.float32))
    w1 = tf.constant(R.standard_normal((3, 3, 3, 24)).astype(np.float32))
    b1 = tf.constant(R.standard_normal(24).astype(np.float32))
    w2 = tf.constant(R.standard_normal(
        {"3x3": (3, 3, 24, 5), "1x1": (1, 1, 24, 5), "depthwise": (3, 3, 24, 1)}[second]
    ).astype(np.float32))

    def f(x, w1, b1, w2):
        with tf.GradientTape() as t:
            t.watch([w1, b1])
            h = tf.nn.relu(tf.nn.conv2d(x, w1, 1, "SAME") + b1)
            y = (tf.nn.depthwise_conv2d(h, w2, (1, 1, 1, 1), "SAME") if second == "depthwise"
                 else tf.nn.conv2d(h, w2, 1, "SAME"))
            loss = tf.reduce_sum(y * y)
        return tuple(t.gradient(loss, [w1, b1]))
    fj, fn = tf.function(f), tf.function(f, jit_compile=False)
    fj(x, w1, b1, w2)
    fj.get_concrete_function(x, w1, b1, w2)._executor.wait()
    report = fj.kernel_plan(x, w1, b1, w2)
    fused_bi = [s for s in report.split("\n[") if "anchor:  %" in s and
                "conv2d_backprop_input" in s.split("anchor:")[1].split("\n")[0]]
    assert fused_bi and "as the anchor finishes it" in fused_bi[0], report
    want = [v.numpy() for v in fn(x, w1, b1, w2)]
    with ONE_THREAD:
        one = fj(x, w1, b1, w2)
    for got in (fj(x, w1, b1, w2), one):
        for g, v in zip(got, want):
            # (float32 sums of ~1e5-sized terms: an absolute tolerance by the largest)
            np.testing.assert_allclose(g.numpy(), v, rtol=1e-4, atol=1e-5 * np.abs(v).max())
