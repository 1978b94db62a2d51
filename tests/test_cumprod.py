"""cumprod is one scan op (running product along an axis), fused by the numba backend like
cumsum; it was an unrolled chain of slices and multiplies (a (4096, 256) gradient took 4.9 s
compiled, ~2000 nodes). Its exact derivatives must hold where x has zeros (the VJP and JVP mask
by the running zero count instead of dividing by the zero)."""
import numpy as np
import pytest

import graphflow as tf
from conftest import check_grad
from test_numba_reductions import both

FLAGS = [dict(), dict(exclusive=True), dict(reverse=True), dict(exclusive=True, reverse=True)]
#: zeros first, last, twice in a row and alone, negatives
X = np.array([[2., 0., 3., 0., 5.], [1., -2., 3., 4., .5], [0., 0., 1., 2., 3.],
              [-1.5, 2., 0., 1., 0.]])


def np_cumprod(x, axis, exclusive=False, reverse=False):
    x = np.flip(x, axis) if reverse else x
    if exclusive:
        x = np.concatenate([np.ones_like(np.take(x, [0], axis)),
                            np.take(x, np.arange(x.shape[axis] - 1), axis)], axis)
    c = np.cumprod(x, axis)
    return np.flip(c, axis) if reverse else c


@pytest.mark.parametrize("kw", FLAGS)
@pytest.mark.parametrize("axis", [0, 1])
def test_values_match_numpy(kw, axis):
    got = tf.math.cumprod(tf.constant(X), axis, **kw).numpy()
    np.testing.assert_array_equal(got, np_cumprod(X, axis, **kw))


@pytest.mark.parametrize("kw", FLAGS)
def test_gradients(kw):
    """vs central differences in float64: first order exact where x has zeros; second order
    where it has none (at an exact zero the VJP's zero masks are constants, so the derivative
    of the gradient w.r.t. that zero is not; TF's gradient there is NaN)."""
    check_grad(lambda x: tf.math.cumprod(x, 1, **kw), [X], order=1)
    check_grad(lambda x: tf.math.cumprod(x, 1, **kw), [np.where(X == 0, 0.7, X)], order=2)


@pytest.mark.parametrize("kw", [FLAGS[0], FLAGS[3]])
def test_jvp_at_zeros(kw):
    x, v = tf.constant(X), tf.constant(np.cos(np.arange(X.size)).reshape(X.shape))
    with tf.autodiff.ForwardAccumulator(x, v) as acc:
        y = tf.math.cumprod(x, 1, **kw)
    e = 1e-6
    want = (np_cumprod(X + e * v.numpy(), 1, **kw) - np_cumprod(X - e * v.numpy(), 1, **kw)) / 2e-6
    np.testing.assert_allclose(acc.jvp(y).numpy(), want, atol=1e-8)


@pytest.mark.usefixtures("sync_compile")
def test_compiled_scan_equals_numpy_executor():
    """Forward and gradient (inclusive along the rows, exclusive-reversed along the columns):
    the numba scan kernels, not numpy, and the same values as the numpy executor."""
    rng = np.random.default_rng(0)
    x = rng.uniform(0.5, 1.5, (64, 48)).astype(np.float32)
    x[3, 5] = x[7, 0] = x[7, 9] = 0.0
    x[9, 2] = -np.inf
    w = rng.standard_normal((64, 48)).astype(np.float32)

    def f(x, w):
        with tf.GradientTape() as t:
            t.watch(x)
            a = tf.math.cumprod(x, 1)
            b = tf.math.cumprod(x, 0, exclusive=True, reverse=True)
            loss = tf.reduce_sum(a * w) + tf.reduce_sum(b * w)
        return [a, b, t.gradient(loss, x)]
    got, want, plan = both(f, x, w)
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5 * np.nanmax(np.abs(b[np.isfinite(b)])),
                                   equal_nan=True)
    assert all(s.why_numpy is None for s in plan.cluster_steps)
    assert len(plan.cluster_steps) < 20        # one kernel per scan, not a node per column
