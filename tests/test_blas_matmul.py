"""The numba backend's matmul runner (graphflow/backends/numba/blas.py).

* `matmul_runner` against the op table's impl: transposes (BLAS transpose flags on views),
  broadcast batch dims, rank-2 with rank-3 operands, float32 and float64, the chunked path
  (forced on small shapes by lowering `SPLIT_GEMM`) and its epilogue callback covering every
  row exactly once;
* traced functions on the numba backend against the numpy executor, with the matmul's
  epilogue (scale, mask, softmax; bias, activation) fused per batch chunk;
* gradients of the compiled batched path against central finite differences (float64).
"""
import numpy as np
import pytest

import graphflow as tf
from graphflow.backends.numba import blas, codegen
from graphflow.backends.numba.parallel import ONE_THREAD, pool
from graphflow.ops.registry import OPS
from test_numba_backend import check_same

R = np.random.default_rng(11)


pytestmark = pytest.mark.usefixtures("sync_compile_module")   # conftest: kernels compiled in the caller


@pytest.fixture
def split_small(monkeypatch):
    """Every product takes the chunked path and every loop runs chunked (small shapes keep the
    tests fast)."""
    monkeypatch.setattr(blas, "SPLIT_GEMM", 1)
    monkeypatch.setattr(blas, "SPLIT_2D", 1)
    monkeypatch.setattr(blas, "MAX_CHUNKS", 3)
    monkeypatch.setattr(codegen, "PARALLEL_MIN_ELEMENTS", 0)
    monkeypatch.setattr(codegen, "PARALLEL_MIN_WORK", 0)


def _node(a_shape, b_shape, ta, tb, dtype):
    a = R.standard_normal(a_shape).astype(dtype)
    b = R.standard_normal(b_shape).astype(dtype)
    attrs = {"transpose_a": ta, "transpose_b": tb}
    want = OPS["matmul"].impl(a, b, **attrs)
    d = {"op": "matmul", "attrs": attrs, "dtype": want.dtype, "shape": want.shape}
    return a, b, d, want


# a shape, b shape, transpose_a, transpose_b
PRODUCTS = [
    ((7, 5), (5, 6), False, False),
    ((5, 7), (5, 6), True, False),              # transpose_a: rows of a^T are columns of a
    ((7, 5), (6, 5), False, True),
    ((5, 7), (6, 5), True, True),
    ((4, 7, 5), (4, 5, 6), False, False),
    ((4, 7, 5), (4, 6, 5), False, True),        # q k^T
    ((4, 5, 7), (4, 5, 6), True, False),
    ((1, 7, 5), (3, 5, 6), False, False),       # broadcast batch: a's 1
    ((3, 7, 5), (1, 5, 6), False, False),       # b's 1
    ((7, 5), (3, 5, 6), False, False),          # rank 2 with rank 3
    ((3, 7, 5), (5, 6), False, False),
    ((2, 1, 7, 5), (3, 6, 5), False, True),     # (2, 1) with (3,): batch (2, 3)
    ((2, 3, 5, 7), (2, 3, 5, 6), True, False),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("a_shape,b_shape,ta,tb", PRODUCTS)
@pytest.mark.parametrize("split", [False, True])
def test_runner_matches_impl(a_shape, b_shape, ta, tb, dtype, split, monkeypatch):
    if split:
        monkeypatch.setattr(blas, "SPLIT_GEMM", 1)
        monkeypatch.setattr(blas, "MAX_CHUNKS", 3)
    a, b, d, want = _node(a_shape, b_shape, ta, tb, dtype)
    got = blas.matmul_runner(d)(a, b)
    assert got.shape == want.shape and got.dtype == want.dtype
    tol = 1e-5 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


@pytest.mark.parametrize("a_shape,b_shape,ta,tb", [PRODUCTS[1], PRODUCTS[5], PRODUCTS[7],
                                                   PRODUCTS[11]])
@pytest.mark.parametrize("one_thread", [False, True])
def test_fused_epilogue_sees_every_row_once(a_shape, b_shape, ta, tb, one_thread, split_small):
    """Every row once, after its product; on one thread (`ONE_THREAD`) a batched product
    still runs chunk by chunk (each chunk's epilogue while it is in cache)."""
    a, b, d, want = _node(a_shape, b_shape, ta, tb, "float64")
    out = np.full(want.shape, np.nan)
    rows_per_image = int(np.prod(want.shape[1:-1], dtype=np.int64))   # rows of (-1, n)
    seen = np.zeros(want.shape[0] * rows_per_image, int)
    flat = out.reshape(-1, want.shape[-1])

    calls = []

    def then(lo, hi):
        assert not np.isnan(flat[lo:hi]).any()     # the chunk's product is done
        seen[lo:hi] += 1
        calls.append(lo)
    if one_thread:
        with ONE_THREAD:
            blas.matmul_runner(d).fused(a, b, out, then, rows_per_image, 1)
    else:
        blas.matmul_runner(d).fused(a, b, out, then, rows_per_image, 1)
    assert (seen == 1).all()
    if len(want.shape) > 2 and (one_thread or pool().helpers):
        assert len(calls) == want.shape[0]          # one call per batch entry (images=1)
    np.testing.assert_allclose(out, want, rtol=1e-12, atol=1e-12)


def test_other_dtypes_use_the_impl():
    d = {"op": "matmul", "attrs": {"transpose_a": False, "transpose_b": False},
         "dtype": np.dtype("int32"), "shape": (2, 2)}
    assert blas.matmul_runner(d) is None
    d32 = dict(d, dtype=np.dtype("float32"))
    a = np.arange(4, dtype=np.float64).reshape(2, 2)      # a float64 value: the impl runs it
    got = blas.matmul_runner(d32)(a, a)
    np.testing.assert_array_equal(got, a @ a)


def _attention(q, k, v, mask):
    s = tf.matmul(q, k, transpose_b=True) * 0.25 + mask
    return tf.matmul(tf.nn.softmax(s, -1), v)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_attention_epilogue_fused_per_head(dtype, split_small):
    q, k, v = (R.standard_normal((3, 9, 4)).astype(dtype) for _ in range(3))
    mask = np.triu(np.full((9, 9), -1e9, dtype), 1)
    plan = check_same(_attention, q, k, v, mask)
    st = plan.cluster_steps[0]
    assert "AFZ(" in st.call_source          # the softmax runs per head after its gemm
    assert "per chunk" in plan.report()
    # and the product with v per head after its softmax, in the same step
    assert st.follow is not None and len(plan.steps) == 1 and "then:" in plan.report()


@pytest.mark.parametrize("v_shape", [(3, 9, 5), (1, 9, 5), (9, 5)])
def test_product_after_the_epilogue_broadcast_and_transposed(v_shape, split_small):
    q, k = (R.standard_normal((3, 9, 4)) for _ in range(2))
    v = R.standard_normal(v_shape)

    def f(q, k, v):
        p = tf.nn.softmax(tf.matmul(q, k, transpose_b=True), -1)
        return tf.matmul(p, v), tf.matmul(p, v, transpose_a=True), p
    plan = check_same(f, q, k, v)
    assert any(st.follow is not None for st in plan.cluster_steps)


def test_product_after_the_epilogue_before_the_kernel_is_ready(split_small, monkeypatch):
    """While the kernel compiles the step runs on numpy, the taken product included."""
    q, k, v = (R.standard_normal((3, 9, 4)) for _ in range(3))
    mask = np.zeros((9, 9))
    fj = tf.function(_attention)
    args = [tf.constant(x) for x in (q, k, v, mask)]
    want = fj(*args).numpy()
    plan = fj.get_concrete_function(*args)._executor
    st = plan.cluster_steps[0]
    assert st.follow is not None
    monkeypatch.setattr(st.kernel, "fn", None)
    np.testing.assert_allclose(fj(*args).numpy(), want, rtol=1e-12)
    assert not st.fresh


def test_dense_bias_gelu_and_transpose_a(split_small):
    x = R.standard_normal((6, 10)).astype(np.float32)
    w = R.standard_normal((6, 5)).astype(np.float32)
    b = R.standard_normal(5).astype(np.float32)

    def f(x, w, b):
        h = tf.nn.gelu(tf.matmul(x, w, transpose_a=True) + b)
        return h, tf.reduce_sum(h, axis=1)
    plan = check_same(f, x, w, b)
    assert "AFZ(" in plan.cluster_steps[0].call_source     # gelu per row chunk


def test_broadcast_batch_in_a_traced_function(split_small):
    a = R.standard_normal((2, 1, 5, 4))
    b = R.standard_normal((3, 6, 4))
    check_same(lambda a, b: tf.nn.relu(tf.matmul(a, b, transpose_b=True)) * 2.0, a, b)


def test_gradient_of_batched_attention_matches_finite_differences(split_small):
    q, k, v = (R.standard_normal((2, 5, 3)) for _ in range(3))
    mask = np.triu(np.full((5, 5), -1e9), 1)
    w = R.standard_normal((2, 5, 3))

    @tf.function
    def loss_and_grads(q, k, v):
        with tf.GradientTape() as t:
            t.watch([q, k, v])
            loss = tf.reduce_sum(_attention(q, k, v, mask) * w)
        return [loss] + t.gradient(loss, [q, k, v])

    def loss_np(q, k, v):
        s = q @ k.transpose(0, 2, 1) * 0.25 + mask
        p = np.exp(s - s.max(-1, keepdims=True))
        p /= p.sum(-1, keepdims=True)
        return float(np.sum((p @ v) * w))
    vals = [np.asarray(r) for r in loss_and_grads(*(tf.constant(x) for x in (q, k, v)))]
    assert vals[0] == pytest.approx(loss_np(q, k, v), rel=1e-12)
    eps = 1e-6
    for i, x in enumerate((q, k, v)):
        num = np.zeros_like(x)
        for j in np.ndindex(x.shape):
            xp, xm = x.copy(), x.copy()
            xp[j] += eps
            xm[j] -= eps
            args_p = [xp if m == i else y for m, y in enumerate((q, k, v))]
            args_m = [xm if m == i else y for m, y in enumerate((q, k, v))]
            num[j] = (loss_np(*args_p) - loss_np(*args_m)) / (2 * eps)
        np.testing.assert_allclose(vals[i + 1], num, rtol=1e-6, atol=1e-7)


def test_small_2d_products_keep_the_direct_call():
    """Below SPLIT_2D a 2-D product is the plan's plain np.matmul call (no runner)."""
    d = {"op": "matmul", "attrs": {"transpose_a": False, "transpose_b": False},
         "dtype": np.dtype("float32"), "shape": (128, 256)}
    assert blas.matmul_runner(d, [(128, 784), (784, 256)]) is None
    assert blas.matmul_runner(d) is not None          # shapes unknown: the runner
    assert blas.matmul_runner(dict(d, shape=(4096, 4096)), [(4096, 4096)] * 2) is not None
