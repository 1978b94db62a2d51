"""Complex dtypes (issue 10): values from TF's API documentation, gradients by TF's convention
(dL/dx + i dL/dy for a real L of z = x + iy) against finite differences, in eager mode and in
@function on both executors."""
import numpy as np
import pytest

import graphflow as tf
from graphflow.errors import InvalidArgumentError


def test_doc_values():
    # tf.complex: real [2.25, 3.25], imag [4.75, 5.75] -> [2.25+4.75j, 3.25+5.75j]
    z = tf.complex(tf.constant([2.25, 3.25]), tf.constant([4.75, 5.75]))
    assert z.dtype == tf.complex64
    np.testing.assert_array_equal(z.numpy(), [2.25 + 4.75j, 3.25 + 5.75j])
    # tf.math.abs: [[-2.25 + 4.75j], [-3.25 + 5.75j]] -> [[5.25594902], [6.60492229]] (float64)
    x = tf.constant([[-2.25 + 4.75j], [-3.25 + 5.75j]])
    assert x.dtype == tf.complex128
    a = tf.abs(x)
    assert a.dtype == tf.float64
    np.testing.assert_allclose(a.numpy(), [[5.25594902], [6.60492229]], rtol=1e-7)
    np.testing.assert_array_equal(a.numpy(), np.abs(x.numpy()))
    # tf.math.real / imag / conj
    x = tf.constant([-2.25 + 4.75j, 3.25 + 5.75j])
    np.testing.assert_array_equal(tf.math.real(x).numpy(), [-2.25, 3.25])
    np.testing.assert_array_equal(tf.math.imag(x).numpy(), [4.75, 5.75])
    np.testing.assert_array_equal(tf.math.conj(x).numpy(), [-2.25 - 4.75j, 3.25 - 5.75j])
    np.testing.assert_allclose(tf.math.angle(x).numpy(), np.angle(x.numpy()), rtol=1e-12)
    # real inputs: real/conj are the identity, imag zeros (as TF)
    r = tf.constant([1.0, -2.0])
    assert tf.math.real(r) is r and tf.math.conj(r) is r
    np.testing.assert_array_equal(tf.math.imag(r).numpy(), [0.0, 0.0])


def test_elementwise_arithmetic_matches_numpy_and_mixes_python_scalars():
    a = np.array([1 + 2j, -0.5 + 0.25j], np.complex64)
    b = np.array([0.5 - 1j, 2 + 0j], np.complex64)
    ta, tb = tf.constant(a), tf.constant(b)
    for got, want in [(ta + tb, a + b), (ta - tb, a - b), (ta * tb, a * b), (ta / tb, a / b),
                      (-ta, -a), (tf.exp(ta), np.exp(a)), (tf.math.log(ta), np.log(a)),
                      (tf.sqrt(ta), np.sqrt(a)), (ta * 2.0, a * 2), (tf.reduce_sum(ta), a.sum()),
                      (tf.reduce_mean(ta), a.mean())]:
        assert got.dtype == tf.complex64
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-6)
    with pytest.raises(InvalidArgumentError, match="complex.*float32 or both float64"):
        tf.complex(tf.constant([1], tf.int32), tf.constant([2], tf.int32))


def _num_grad(f, x, y, eps=1e-6):
    gx, gy = np.zeros_like(x), np.zeros_like(y)
    for i in range(x.size):
        e = np.zeros_like(x)
        e[i] = eps
        gx[i] = (f(x + e, y) - f(x - e, y)) / (2 * eps)
        gy[i] = (f(x, y + e) - f(x, y - e)) / (2 * eps)
    return gx, gy


@pytest.mark.parametrize("jit", [pytest.param("eager"), pytest.param(False, id="numpy"),
                                 pytest.param(None, id="numba")])
def test_gradient_convention_against_finite_differences(jit):
    def loss_tf(z):
        w = z * z + tf.exp(z) / z - tf.math.conj(z) * 0.5
        return tf.reduce_sum(tf.math.real(w * tf.math.conj(w))) + tf.reduce_sum(tf.abs(z))

    def loss_np(x, y):
        z = x + 1j * y
        w = z * z + np.exp(z) / z - np.conj(z) * 0.5
        return np.sum(np.abs(w) ** 2) + np.sum(np.abs(z))

    def grads(z):
        with tf.GradientTape() as t:
            t.watch(z)
            L = loss_tf(z)
        return L, t.gradient(L, z)
    if jit != "eager":
        grads = tf.function(grads, jit_compile=jit)
    x, y = np.array([1.0, 2.0, -0.7]), np.array([0.5, -1.0, 0.3])
    L, g = grads(tf.constant(x + 1j * y))
    assert g.dtype == tf.complex128
    np.testing.assert_allclose(float(L), loss_np(x, y), rtol=1e-12)
    gx, gy = _num_grad(loss_np, x, y)
    np.testing.assert_allclose(g.numpy(), gx + 1j * gy, rtol=1e-6)


def test_holomorphic_gradient_is_conjugate_derivative_and_second_order():
    # TF: for f holomorphic and upstream 1, gradient = conj(f'(z)); f = z**3 -> conj(3 z^2)
    z0 = np.array([1 + 1j, -0.5 + 2j])
    z = tf.constant(z0)
    with tf.GradientTape() as t2:
        t2.watch(z)
        with tf.GradientTape() as t1:
            t1.watch(z)
            f = z * z * z
        g = t1.gradient(f, z)
        s = tf.reduce_sum(tf.math.real(g))
    np.testing.assert_allclose(g.numpy(), np.conj(3 * z0 ** 2), rtol=1e-12)
    # d/dx + i d/dy of Re(conj(3 z^2)) = Re(3 z^2) -> 6 conj(z)
    np.testing.assert_allclose(t2.gradient(s, z).numpy(), 6 * np.conj(z0), rtol=1e-12)


def test_forward_mode_through_complex_ops():
    x = tf.constant([0.3, -1.2], tf.float64)
    with tf.autodiff.ForwardAccumulator(x, tf.constant([1.0, 1.0], tf.float64)) as acc:
        y = tf.abs(tf.exp(tf.complex(x, 2.0 * x)))   # = exp(x)
    np.testing.assert_allclose(acc.jvp(y).numpy(), np.exp(x.numpy()), rtol=1e-12)


@pytest.mark.parametrize("jit", [pytest.param("eager"), pytest.param(False, id="numpy"),
                                 pytest.param(None, id="numba")])
def test_matmul_trig_cast_gradients(jit):
    a = np.array([[1 + 2j, 0.5 - 1j], [2j, 3]], np.complex128)
    b = np.array([[1 - 1j], [2 + 0.5j]], np.complex128)
    r = np.array([0.3, -0.7])

    def f(A, B, R):
        with tf.GradientTape() as tape:
            tape.watch([A, B, R])
            L = tf.reduce_sum(tf.abs(tf.matmul(A, B)) ** 2) \
                + tf.reduce_sum(tf.math.real(tf.sin(A) * tf.tanh(A) + tf.cos(A))) \
                + tf.reduce_sum(tf.math.imag(tf.cast(R, tf.complex128) * B[:, 0] * 1j))
        return L, tape.gradient(L, [A, B, R])
    if jit != "eager":
        f = tf.function(f, jit_compile=jit)
    L, (ga, gb, gr) = f(tf.constant(a), tf.constant(b), tf.constant(r))

    def lnp(a, b, r):
        return (np.sum(np.abs(a @ b) ** 2) + np.sum(np.real(np.sin(a) * np.tanh(a) + np.cos(a)))
                + np.sum(np.imag(r * b[:, 0] * 1j)))
    np.testing.assert_allclose(float(L), lnp(a, b, r), rtol=1e-12)
    eps = 1e-6

    def num(x, which):
        g = np.zeros_like(x)
        for idx in np.ndindex(x.shape):
            for unit in ((1.0, 1j) if x.dtype.kind == "c" else (1.0,)):
                e = np.zeros_like(x)
                e[idx] = eps * unit
                args = [a, b, r]
                hi, lo = list(args), list(args)
                hi[which], lo[which] = x + e, x - e
                d = (lnp(*hi) - lnp(*lo)) / (2 * eps)
                g[idx] += d * (1 if unit == 1.0 else 1j)
        return g
    np.testing.assert_allclose(ga.numpy(), num(a, 0), rtol=1e-6)
    np.testing.assert_allclose(gb.numpy(), num(b, 1), rtol=1e-6)
    assert gr.dtype == tf.float64
    np.testing.assert_allclose(gr.numpy(), num(r, 2), rtol=1e-6)


def test_complex_equality():
    z = tf.constant([1 + 1j, 2 - 1j])
    assert tf.equal(z, tf.constant([1 + 1j, 2 + 1j])).numpy().tolist() == [True, False]
    assert tf.not_equal(z, z).numpy().tolist() == [False, False]
