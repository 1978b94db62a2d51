"""Special functions, segment reductions and decompositions (issue 10): the examples of TF's API
pages run unchanged (values as the pages print them), identities the functions must satisfy,
and the same values traced in `@function` on both executors."""
import math

import numpy as np
import pytest

import graphflow as tf


def test_lgamma_api_page_example():
    x = tf.constant([0, 0.5, 1, 4.5, -4, -5.6])
    got = tf.math.lgamma(x).numpy()
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, [np.inf, 0.5723649, 0., 2.4537368, np.inf, -4.6477685],
                               rtol=1e-6)
    assert float(tf.math.lgamma(5.0)) == pytest.approx(3.1780539)   # log(4!)


def test_segment_api_page_examples():
    c = tf.constant([[1, 2, 3, 4], [4, 3, 2, 1], [5, 6, 7, 8]])
    np.testing.assert_array_equal(tf.math.segment_max(c, tf.constant([0, 0, 1])).numpy(),
                                  [[4, 3, 3, 4], [5, 6, 7, 8]])
    np.testing.assert_array_equal(tf.math.segment_sum(c, tf.constant([0, 0, 1])).numpy(),
                                  [[5, 5, 5, 5], [5, 6, 7, 8]])
    np.testing.assert_array_equal(tf.math.segment_min(c, tf.constant([0, 0, 1])).numpy(),
                                  [[1, 2, 2, 1], [5, 6, 7, 8]])
    cf = tf.constant([[1.0, 2, 3, 4], [4, 3, 2, 1], [5, 6, 7, 8]])
    np.testing.assert_allclose(tf.math.segment_mean(cf, tf.constant([0, 0, 1])).numpy(),
                               [[2.5, 2.5, 2.5, 2.5], [5, 6, 7, 8]])
    u = tf.constant([[1, 2, 3, 4], [5, 6, 7, 8], [4, 3, 2, 1]])
    np.testing.assert_array_equal(
        tf.math.unsorted_segment_sum(u, segment_ids=[0, 1, 0], num_segments=2).numpy(),
        [[5, 5, 5, 5], [5, 6, 7, 8]])
    np.testing.assert_array_equal(
        tf.math.unsorted_segment_max(u, segment_ids=[0, 1, 0], num_segments=2).numpy(),
        [[4, 3, 3, 4], [5, 6, 7, 8]])
    out = tf.math.unsorted_segment_max(tf.constant([1.0]), [0], 2).numpy()
    assert out[1] == np.finfo(np.float32).min   # empty: the lowest value (TF)
    with pytest.raises(tf.errors.InvalidArgumentError, match="sorted"):
        tf.math.segment_sum(c, tf.constant([1, 0, 1]))
    with pytest.raises(tf.errors.InvalidArgumentError, match="unsorted_segment_sum.*out of range"):
        tf.math.unsorted_segment_sum(c, [0, 5, 1], 2)


def test_special_function_identities():
    x = np.linspace(0.2, 7.0, 15)
    t = tf.constant(x)
    # digamma(x + 1) = digamma(x) + 1/x; polygamma(1, x + 1) = polygamma(1, x) - 1/x^2
    np.testing.assert_allclose(tf.math.digamma(t + 1.0).numpy(),
                               tf.math.digamma(t).numpy() + 1 / x, rtol=1e-13, atol=1e-13)
    one = tf.constant(1.0, tf.float64)
    np.testing.assert_allclose(tf.math.polygamma(one, t + 1.0).numpy(),
                               tf.math.polygamma(one, t).numpy() - 1 / x ** 2, rtol=1e-12)
    assert float(tf.math.digamma(tf.constant(1.0, tf.float64))) == pytest.approx(-0.5772156649015329, abs=1e-15)
    # erfinv inverts erf; erfc = 1 - erf, accurate far in the tail
    u = tf.constant(np.linspace(-0.999, 0.999, 21))
    np.testing.assert_allclose(tf.math.erf(tf.math.erfinv(u)).numpy(), u.numpy(), atol=1e-15)
    assert float(tf.math.erfc(tf.constant(10.0, tf.float64))) == pytest.approx(math.erfc(10.0), rel=1e-14)
    np.testing.assert_array_equal(tf.math.erfinv(tf.constant([-1.0, 1.0, 2.0])).numpy(),
                                  [-np.inf, np.inf, np.nan])


def test_lgamma_gradient_is_digamma_and_digamma_gradient_is_trigamma():
    x = tf.constant([0.5, 1.0, 3.5], tf.float64)
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = tf.math.lgamma(x)
        g = inner.gradient(y, x)
    h = outer.gradient(g, x)
    np.testing.assert_allclose(g.numpy(), tf.math.digamma(x).numpy())
    np.testing.assert_allclose(h.numpy(), [math.pi ** 2 / 2, math.pi ** 2 / 6,
                                           float(tf.math.polygamma(tf.constant(1.0, tf.float64),
                                                                   tf.constant(3.5, tf.float64)))])


def test_decompositions_reconstruct_and_match_numpy():
    rng = np.random.default_rng(3)
    a = rng.normal(size=(2, 4, 3))
    s, u, v = tf.linalg.svd(tf.constant(a))
    np.testing.assert_allclose(tf.matmul(u * s[:, None, :], v, transpose_b=True).numpy(), a,
                               atol=1e-12)
    np.testing.assert_allclose(s.numpy(), np.linalg.svd(a, compute_uv=False))
    s_full, u_full, v_full = tf.linalg.svd(tf.constant(a), full_matrices=True)
    assert u_full.shape == (2, 4, 4) and v_full.shape == (2, 3, 3)
    sym = a[0, :3] @ a[0, :3].T
    e, vec = tf.linalg.eigh(tf.constant(sym))
    np.testing.assert_allclose(e.numpy(), np.linalg.eigvalsh(sym))
    np.testing.assert_allclose(vec.numpy() @ np.diag(e.numpy()) @ vec.numpy().T, sym, atol=1e-12)
    # only the lower triangle is read (TF)
    np.testing.assert_allclose(tf.linalg.eigvalsh(tf.constant(np.tril(sym))).numpy(),
                               np.linalg.eigvalsh(sym))
    low = np.tril(sym) + 3 * np.eye(3)
    b = rng.normal(size=(3, 2))
    np.testing.assert_allclose(tf.linalg.triangular_solve(tf.constant(low + np.triu(sym, 1)),
                                                          tf.constant(b)).numpy(),
                               np.linalg.solve(low, b))
    with pytest.raises(tf.errors.InvalidArgumentError, match="svd"):
        tf.linalg.svd(tf.constant([1.0, 2.0]))


def test_eigh_gradient_of_the_largest_eigenvalue_is_its_projector():
    a = tf.constant([[2.0, 1.0], [1.0, 3.0]], tf.float64)
    with tf.GradientTape() as tape:
        tape.watch(a)
        top = tf.linalg.eigh(a)[0][-1]
    v = np.linalg.eigh(a.numpy())[1][:, -1]
    p = np.outer(v, v)
    # d lambda / dA = v v^T over symmetric A; TF's convention: the lower triangle carries it
    np.testing.assert_allclose(tape.gradient(top, a).numpy(), np.tril(p + p.T) - np.diag(np.diag(p)))


@pytest.mark.parametrize("jit", [False, None], ids=["numpy", "numba"])
def test_new_ops_traced_match_eager(jit):
    rng = np.random.default_rng(5)
    a = tf.constant(rng.normal(size=(3, 3)) + 3 * np.eye(3))
    d = tf.constant(rng.uniform(0.5, 3.0, size=(6, 2)))
    ids = tf.constant([0, 2, 1, 2, 0, 2])

    def f(a, d, ids):
        with tf.GradientTape() as tape:
            tape.watch([a, d])
            s = tf.linalg.svd(a)[0]
            e = tf.linalg.eigh(a + tf.transpose(a))[0]
            seg = tf.math.unsorted_segment_max(tf.math.lgamma(d) + tf.math.erfc(d), ids, 3)
            x = tf.linalg.triangular_solve(a, tf.math.digamma(d[:3]))
            loss = tf.reduce_sum(s * e) + tf.reduce_sum(seg * seg) + tf.reduce_sum(x)
        return [loss] + tape.gradient(loss, [a, d])

    want = f(a, d, ids)
    got = tf.function(f, jit_compile=jit)(a, d, ids)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.numpy(), w.numpy(), rtol=1e-10, atol=1e-12)


# ------------------------------------------------------------------ compositions
from conftest import check_grad  # noqa: E402

_R = np.random.default_rng(11)


@pytest.mark.parametrize("fn,ref,lo,hi", [
    (tf.math.asin, np.arcsin, -0.9, 0.9), (tf.math.acos, np.arccos, -0.9, 0.9),
    (tf.math.asinh, np.arcsinh, -3.0, 3.0), (tf.math.acosh, np.arccosh, 1.2, 4.0),
    (tf.math.atanh, np.arctanh, -0.9, 0.9)], ids=["asin", "acos", "asinh", "acosh", "atanh"])
def test_inverse_trig_values_and_gradients(fn, ref, lo, hi):
    x = _R.uniform(lo, hi, size=(3, 4))
    np.testing.assert_allclose(fn(tf.constant(x)).numpy(), ref(x), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(fn(tf.constant(x, tf.float32)).numpy(), ref(x).astype(np.float32),
                               rtol=2e-6, atol=1e-6)
    check_grad(fn, [x])


def test_asinh_is_odd_and_exact_near_zero():
    x = np.array([-1e-10, 0.0, 1e-10, -50.0, 50.0])
    np.testing.assert_allclose(tf.math.asinh(tf.constant(x)).numpy(), np.arcsinh(x), rtol=1e-15)
    check_grad(tf.math.asinh, [np.array([0.0, 1e-3])])   # gradient 1 at exactly 0


def test_linalg_compositions_match_numpy():
    a = _R.normal(size=(4, 3))
    b = _R.normal(size=(4, 2))
    spd = a.T @ a + np.eye(3)
    t = tf.constant
    np.testing.assert_allclose(tf.linalg.lstsq(t(a), t(b)).numpy(),
                               np.linalg.lstsq(a, b, rcond=None)[0], atol=1e-12)
    np.testing.assert_allclose(tf.linalg.lstsq(t(a.T), t(b[:3])).numpy(),
                               np.linalg.lstsq(a.T, b[:3], rcond=None)[0], atol=1e-12)
    np.testing.assert_allclose(tf.linalg.pinv(t(a)).numpy(), np.linalg.pinv(a), atol=1e-12)
    np.testing.assert_allclose(tf.linalg.logdet(t(spd)).numpy(), np.linalg.slogdet(spd)[1])
    sign, logabs = tf.linalg.slogdet(t(a[:3]))
    np.testing.assert_allclose([sign.numpy(), logabs.numpy()], np.linalg.slogdet(a[:3]))
    np.testing.assert_allclose(tf.linalg.cholesky_solve(tf.linalg.cholesky(t(spd)), t(b[:3])).numpy(),
                               np.linalg.solve(spd, b[:3]))
    np.testing.assert_array_equal(tf.linalg.band_part(t(a), 1, 0).numpy(), np.tril(np.triu(a, -1)))
    np.testing.assert_array_equal(tf.linalg.band_part(t(a), -1, 0).numpy(), np.tril(a))
    np.testing.assert_array_equal(tf.linalg.diag_part(t(a)).numpy(), np.diag(a))
    np.testing.assert_array_equal(tf.linalg.diag_part(t(a.T)).numpy(), np.diag(a.T))
    want = a.copy()
    np.fill_diagonal(want, [1., 2., 3.])
    np.testing.assert_array_equal(tf.linalg.set_diag(t(a), [1., 2., 3.]).numpy(), want)
    np.testing.assert_array_equal(tf.linalg.diag(t([1., 2.])).numpy(), np.diag([1., 2.]))
    np.testing.assert_allclose(tf.linalg.matvec(t(a), t(a[0])).numpy(), a @ a[0])
    np.testing.assert_allclose(tf.linalg.cross(t(a[:, :3]), t(b[:, :1] * a[:, ::-1])).numpy(),
                               np.cross(a[:, :3], b[:, :1] * a[:, ::-1]))
    assert float(tf.linalg.global_norm([t(a), None, t(b)])) == pytest.approx(
        np.sqrt((a ** 2).sum() + (b ** 2).sum()))
    assert tf.math.count_nonzero(t([[0, 1], [2, 0]]), axis=1).numpy().tolist() == [1, 1]


def test_linalg_composition_gradients():
    a = _R.normal(size=(4, 3))
    b = _R.normal(size=(4, 2))
    spd = a.T @ a + np.eye(3)
    check_grad(lambda x, y: tf.linalg.lstsq(x, y), [a, b])
    check_grad(tf.linalg.pinv, [a])
    check_grad(lambda x: tf.linalg.logdet(x @ tf.transpose(x) + tf.eye(3, dtype=tf.float64)),
               [a[:3]])
    check_grad(lambda x: tf.linalg.band_part(x, 0, 1) * x, [a])
    check_grad(lambda x, y: tf.linalg.cross(x, y), [a[:, :3], b[:, :1] * a])
    # cholesky's gradient is taken over symmetric inputs (TF): differentiate through sym(x)
    check_grad(lambda x: tf.linalg.cholesky_solve(
        tf.linalg.cholesky((x + tf.transpose(x)) * 0.5), tf.constant(b[:3])), [spd])


def test_special_functions_match_scipy_over_wide_ranges():
    sps = pytest.importorskip("scipy.special")
    x = np.linspace(-30.3, 60.0, 20001)
    x = x[np.abs(x - np.round(x)) > 1e-3]                 # away from the poles
    big = np.array([1e-300, 1e-8, 0.5, 171.5, 1e5, 1e10])
    for fn, ref, xs in [(tf.math.lgamma, sps.gammaln, np.concatenate([x, big])),
                        (tf.math.digamma, sps.digamma, np.concatenate([x, big])),
                        (tf.math.erfc, sps.erfc, np.linspace(-6, 26, 2001))]:
        got, want = fn(tf.constant(xs)).numpy(), ref(xs)
        # near the roots of lgamma and digamma the error is absolute (~1e-15)
        np.testing.assert_allclose(got, want, rtol=2e-13, atol=1e-14, err_msg=fn.__name__)
    u = np.concatenate([np.linspace(-0.999999, 0.999999, 20001), [1e-300, -1e-17, 0.5]])
    np.testing.assert_allclose(tf.math.erfinv(tf.constant(u)).numpy(), sps.erfinv(u), rtol=1e-14)
    pos = np.linspace(0.05, 40.0, 2001)
    for sx in (1.5, 3.0, 12.0, 30.0):
        np.testing.assert_allclose(tf.math.zeta(sx, tf.constant(pos)).numpy(), sps.zeta(sx, pos),
                                   rtol=1e-13)
    for n in (1, 2, 4, 15):
        np.testing.assert_allclose(
            tf.math.polygamma(tf.constant(float(n), tf.float64), tf.constant(pos)).numpy(),
            sps.polygamma(n, pos), rtol=1e-13)


@pytest.mark.parametrize("ord_, axis", [("euclidean", None), (1, None), (np.inf, 1), (3, 0),
                                        ("fro", (0, 1)), (1, (0, 1)), (np.inf, (1, 0)),
                                        (2, (0, 1))])
def test_norm_orders_and_axes_as_numpy_with_gradients(ord_, axis):
    from conftest import check_grad
    x = np.array([[1.5, -2.0, 0.7], [0.3, 2.5, -1.1]])
    got = tf.norm(x, ord=ord_, axis=axis).numpy()
    flat = axis is None
    want = np.linalg.norm(x.ravel() if flat else x, ord=2 if ord_ == "euclidean" else ord_,
                          axis=None if flat else axis)
    np.testing.assert_allclose(got, want, rtol=1e-12)
    kept = tf.norm(x, ord=ord_, axis=axis, keepdims=True).shape
    assert kept == ((1, 1) if flat else np.linalg.norm(x, ord=ord_, axis=axis, keepdims=True).shape)
    check_grad(lambda t: tf.norm(t, ord=ord_, axis=axis), [x], order=1 if ord_ == np.inf else 2)


def test_norm_rejects_what_tf_rejects():
    with pytest.raises(ValueError, match="'fro' is not supported for a vector"):
        tf.norm(np.ones(3), ord="fro")
    with pytest.raises(ValueError, match="matrix norm"):
        tf.norm(np.ones((2, 2)), ord=3, axis=[0, 1])


@pytest.mark.parametrize("eq, sa, sb", [
    ("...ij,...jk->...ik", (2, 1, 2, 3), (3, 3, 2)), ("...ij,jk", (2, 2, 3), (3, 2)),
    ("b...d,bd->b...", (2, 3, 2), (2, 2)), ("...i,...i", (2, 3), (2, 3)), ("i...->...", (3, 2), None)])
def test_einsum_ellipsis_as_numpy_with_gradients(eq, sa, sb):
    from conftest import check_grad
    rng = np.random.RandomState(1)
    xs = [rng.randn(*sa)] + ([rng.randn(*sb)] if sb else [])
    np.testing.assert_allclose(tf.einsum(eq, *xs).numpy(), np.einsum(eq, *xs), rtol=1e-12)
    check_grad(lambda *t: tf.einsum(eq, *t), xs)
    f = tf.function(lambda *t: tf.einsum(eq, *t), input_signature=[
        tf.TensorSpec((None,) + x.shape[1:], tf.float64) for x in xs])
    if eq.startswith("..."):   # an unknown leading dim inside the ellipsis: one trace
        np.testing.assert_allclose(f(*xs).numpy(), np.einsum(eq, *xs), rtol=1e-12)
