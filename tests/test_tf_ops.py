"""Issue 10 ops against values TensorFlow's documentation prints, and the op regressions of the
issue's bug list (each a test)."""
import numpy as np
import pytest

import graphflow as tf


def test_documented_values():
    # tf.slice docs
    t = tf.constant([[[1, 1, 1], [2, 2, 2]], [[3, 3, 3], [4, 4, 4]], [[5, 5, 5], [6, 6, 6]]])
    assert tf.slice(t, [1, 0, 0], [1, 1, 3]).numpy().tolist() == [[[3, 3, 3]]]
    assert tf.slice(t, [1, 0, 0], [1, 2, 3]).numpy().tolist() == [[[3, 3, 3], [4, 4, 4]]]
    # tf.math.cumsum docs
    x = tf.constant([2, 4, 6, 8])
    assert tf.math.cumsum(x).numpy().tolist() == [2, 6, 12, 20]
    assert tf.math.cumsum(x, exclusive=True).numpy().tolist() == [0, 2, 6, 12]
    assert tf.math.cumsum(x, reverse=True).numpy().tolist() == [20, 18, 14, 8]
    assert tf.math.cumprod(tf.constant([2., 4., 6., 8.])).numpy().tolist() == [2, 8, 48, 384]
    # tf.sort / argsort docs
    a = tf.constant([1, 10, 26.9, 2.8, 166.32, 62.3])
    np.testing.assert_allclose(tf.sort(a).numpy(), [1, 2.8, 10, 26.9, 62.3, 166.32], rtol=1e-6)
    assert tf.argsort(a).numpy().tolist() == [0, 3, 1, 2, 5, 4]
    # tf.gather_nd / tf.scatter_nd docs
    assert tf.gather_nd([[0, 1], [2, 3]], [[0, 0], [1, 1]]).numpy().tolist() == [0, 3]
    assert tf.scatter_nd([[4], [3], [1], [7]], tf.constant([9, 10, 11, 12]), [8]).numpy().tolist() \
        == [0, 11, 0, 10, 9, 0, 0, 12]
    assert tf.tensor_scatter_nd_update(tf.constant([1, 2, 3, 4, 5, 6, 7, 8]), [[4], [3], [1], [7]],
                                       tf.constant([9, 10, 11, 12])).numpy().tolist() \
        == [1, 11, 3, 10, 9, 6, 7, 12]
    # tf.math.is_* docs
    v = tf.constant([5.0, np.nan, 6.8, np.nan, np.inf])
    assert tf.math.is_nan(v).numpy().tolist() == [False, True, False, True, False]
    assert tf.math.is_inf(tf.constant([5.0, np.inf, 6.8, np.inf])).numpy().tolist() == [False, True, False, True]
    assert tf.math.is_finite(tf.constant([5.0, 4.8, 6.8, np.inf, np.nan])).numpy().tolist() \
        == [True, True, True, False, False]
    # tf.roll, tf.reverse, tf.repeat, tf.sequence_mask, tf.where(cond) docs
    assert tf.roll([0, 1, 2, 3, 4], shift=2, axis=0).numpy().tolist() == [3, 4, 0, 1, 2]
    assert tf.roll([[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]], shift=[1, -2], axis=[0, 1]).numpy().tolist() \
        == [[7, 8, 9, 5, 6], [2, 3, 4, 0, 1]]
    assert tf.repeat(["a", "b", "c"] if False else [1, 2, 3], repeats=[3, 1, 2], axis=0).numpy().tolist() \
        == [1, 1, 1, 2, 3, 3]
    assert tf.sequence_mask([1, 3, 2], 5).numpy().astype(int).tolist() == \
        [[1, 0, 0, 0, 0], [1, 1, 1, 0, 0], [1, 1, 0, 0, 0]]
    assert tf.where([True, False, False, True]).numpy().tolist() == [[0], [3]]
    # tf.pad docs (CONSTANT, REFLECT, SYMMETRIC)
    p = tf.constant([[1, 2, 3], [4, 5, 6]])
    pads = [[1, 1], [2, 2]]
    assert tf.pad(p, pads).numpy().tolist() == np.pad(p.numpy(), pads).tolist()
    assert tf.pad(p, pads, "REFLECT").numpy().tolist() == [
        [6, 5, 4, 5, 6, 5, 4], [3, 2, 1, 2, 3, 2, 1], [6, 5, 4, 5, 6, 5, 4], [3, 2, 1, 2, 3, 2, 1]]
    assert tf.pad(p, pads, "SYMMETRIC").numpy().tolist() == [
        [2, 1, 1, 2, 3, 3, 2], [2, 1, 1, 2, 3, 3, 2], [5, 4, 4, 5, 6, 6, 5], [5, 4, 4, 5, 6, 6, 5]]
    # tf.math.top_k, tf.unique, tf.boolean_mask docs
    vals, idx = tf.math.top_k([1, 5, 3, 4], k=2)
    assert vals.numpy().tolist() == [5, 4] and idx.numpy().tolist() == [1, 3]
    y, i = tf.unique([1, 1, 2, 4, 4, 4, 7, 8, 8])
    assert y.numpy().tolist() == [1, 2, 4, 7, 8] and i.numpy().tolist() == [0, 0, 1, 2, 2, 2, 3, 4, 4]
    assert tf.boolean_mask([0, 1, 2, 3], np.array([True, False, True, False])).numpy().tolist() == [0, 2]
    # einsum / tensordot / linalg against numpy
    a, b = np.arange(6.).reshape(2, 3), np.arange(12.).reshape(3, 4)
    np.testing.assert_allclose(tf.einsum("ij,jk->ik", a, b).numpy(), a @ b)
    np.testing.assert_allclose(tf.tensordot(a, b, 1).numpy(), a @ b)
    m = np.array([[4., 2.], [2., 3.]])
    np.testing.assert_allclose(tf.linalg.inv(m).numpy(), np.linalg.inv(m))
    np.testing.assert_allclose(tf.linalg.det(m).numpy(), 8.0)
    np.testing.assert_allclose(tf.linalg.cholesky(m).numpy(), np.linalg.cholesky(m))
    assert tf.__version__.startswith("2.")


def test_map_fn_eager_and_traced_with_gradient():
    x = tf.Variable([1., 2., 3.])

    @tf.function
    def f():
        return tf.reduce_sum(tf.map_fn(lambda t: t * t, x))
    with tf.GradientTape() as tape:
        y = f()
    assert float(y) == 14.0
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [2., 4., 6.])
    np.testing.assert_allclose(tf.map_fn(lambda t: t + 1, tf.constant([1, 2])).numpy(), [2, 3])


# ------------------------------------------------------------------ bug list regressions
def test_fill_and_linspace_inside_function():
    @tf.function
    def f(v, a):
        return tf.fill([2, 2], v), tf.linspace(a, a + 1.0, 3)
    fv, lv = f(tf.constant(2.5), tf.constant(1.0))
    np.testing.assert_array_equal(fv.numpy(), np.full((2, 2), 2.5, np.float32))
    np.testing.assert_allclose(lv.numpy(), [1., 1.5, 2.])


def test_relu6_gradient_is_zero_at_0_and_6():
    x = tf.Variable([0., 3., 6., 7.])
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(tf.nn.relu6(x))
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), [0., 1., 0., 0.])


def test_elu_large_x_gradient_finite_and_tiny_x_precise():
    x = tf.Variable([1000., -1e-8])
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(tf.nn.elu(x))
    g = tape.gradient(y, x).numpy()
    assert np.all(np.isfinite(g)) and g[0] == 1.0
    assert tf.nn.elu(tf.constant(-1e-8)).numpy() == np.float32(np.expm1(np.float32(-1e-8)))
