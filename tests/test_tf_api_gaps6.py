"""TF API gaps hit by TensorFlow guide code (round 6): tf.image.resize's other methods and
antialiasing, ... Values are checked against TF's own documented/tested outputs, numpy, or
Pillow (a dev extra)."""
import io
import logging
import os
import sys
import unittest

import numpy as np
import pytest

import graphflow as tf

# TF's image_ops_test.py (testResizeUp for resize_images_v2): a (1, 3, 2, 1) image -> (6, 4)
_UP_DATA = np.array([64, 32, 32, 64, 50, 100], np.float32).reshape(1, 3, 2, 1)
_UP_EXPECTED = {
    "bicubic": [70.1453, 59.0252, 36.9748, 25.8547, 59.3195, 53.3386, 41.4789, 35.4981,
                36.383, 41.285, 51.0051, 55.9071, 30.2232, 42.151, 65.8032, 77.731, 41.6492,
                55.823, 83.9288, 98.1026, 47.0363, 62.2744, 92.4903, 107.7284],
    "area": [64.0, 64.0, 32.0, 32.0, 64.0, 64.0, 32.0, 32.0, 32.0, 32.0, 64.0, 64.0, 32.0, 32.0,
             64.0, 64.0, 50.0, 50.0, 100.0, 100.0, 50.0, 50.0, 100.0, 100.0],
    "lanczos3": [75.8294, 59.6281, 38.4313, 22.23, 60.6851, 52.0037, 40.6454, 31.964, 35.8344,
                 41.0779, 47.9383, 53.1818, 24.6968, 43.0769, 67.1244, 85.5045, 35.7939,
                 56.4713, 83.5243, 104.2017, 44.8138, 65.1949, 91.8603, 112.2413],
    "lanczos5": [77.5699, 60.0223, 40.6694, 23.1219, 61.8253, 51.2369, 39.5593, 28.9709,
                 35.7438, 40.8875, 46.5604, 51.7041, 21.5942, 43.5299, 67.7223, 89.658, 32.1213,
                 56.784, 83.984, 108.6467, 44.5802, 66.183, 90.0082, 111.6109],
    "gaussian": [61.1087, 54.6926, 41.3074, 34.8913, 54.6926, 51.4168, 44.5832, 41.3074, 41.696,
                 45.2456, 52.6508, 56.2004, 39.4273, 47.0526, 62.9602, 70.5855, 47.3008,
                 57.3042, 78.173, 88.1764, 51.4771, 62.3638, 85.0752, 95.9619],
    "mitchellcubic": [66.0382, 56.6079, 39.3921, 29.9618, 56.7255, 51.9603, 43.2611, 38.4959,
                      39.1828, 43.4664, 51.2864, 55.57, 34.6287, 45.1812, 64.4458, 74.9983,
                      43.8523, 56.8078, 80.4594, 93.4149, 48.9943, 63.026, 88.6422, 102.6739],
}


@pytest.mark.parametrize("method", sorted(_UP_EXPECTED))
def test_resize_methods_match_tf(method):
    for dtype in (np.float32, np.uint8):   # integer images give float32, as TF
        y = tf.image.resize(_UP_DATA.astype(dtype), [6, 4], method)
        assert y.dtype == tf.float32
        np.testing.assert_allclose(y.numpy().ravel(), _UP_EXPECTED[method], atol=1e-4)


def test_resize_area_downsampling_averages_boxes():
    x = np.arange(36, dtype=np.float32).reshape(1, 6, 6, 1)
    y = tf.image.resize(x, (3, 2), tf.image.ResizeMethod.AREA).numpy()
    np.testing.assert_allclose(y, x.reshape(1, 3, 2, 2, 3, 1).mean(axis=(2, 4)), rtol=1e-6)


@pytest.mark.parametrize("method,pil", [("bilinear", "BILINEAR"), ("bicubic", "BICUBIC"),
                                        ("lanczos3", "LANCZOS")])
def test_resize_antialias_matches_pillow(method, pil):
    """TF's antialiased resize (scale_and_translate) and Pillow's resampling both widen the kernel
    by the downscale factor and renormalize its taps: the same numbers."""
    Image = pytest.importorskip("PIL.Image")
    x = np.random.default_rng(0).random((13, 17)).astype(np.float32)
    for size in [(5, 6), (20, 30)]:
        ref = np.asarray(Image.fromarray(x, "F").resize(size[::-1], getattr(Image, pil)))
        y = tf.image.resize(x[:, :, None], size, method, antialias=True).numpy()[:, :, 0]
        np.testing.assert_allclose(y, ref, atol=1e-6)


def test_resize_bicubic_gradient_is_adjoint_interpolation():
    x = tf.Variable(np.random.default_rng(1).random((1, 4, 3, 1)))
    w = np.random.default_rng(2).random((1, 7, 5, 1))
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(tf.image.resize(x, (7, 5), "bicubic") * w)
    g = tape.gradient(loss, x).numpy()
    from graphflow.ops.image_ops import interp_matrix
    mh, mw = interp_matrix(4, 7, "bicubic"), interp_matrix(3, 5, "bicubic")
    np.testing.assert_allclose(g[0, :, :, 0], mh.T @ w[0, :, :, 0] @ mw, rtol=1e-10)


# ------------------------------------------------------------------ tf.bitwise
def test_bitwise_namespace_values_and_no_gradient():
    a, b = tf.constant([5, 12, -3]), tf.constant([3, 10, 7])
    assert tf.bitwise.bitwise_and(a, b).numpy().tolist() == [1, 8, 5]
    assert tf.bitwise.bitwise_or(a, b).numpy().tolist() == [7, 14, -1]
    assert tf.bitwise.bitwise_xor(a, b).numpy().tolist() == [6, 6, -6]
    assert tf.bitwise.invert(tf.constant([0, 7], tf.uint8)).numpy().tolist() == [255, 248]
    assert tf.bitwise.left_shift(tf.constant([1], tf.int8), 7).numpy().tolist() == [-128]
    assert tf.bitwise.right_shift(tf.constant([-16]), 2).numpy().tolist() == [-4]
    f = tf.function(lambda x: tf.bitwise.bitwise_xor(x, 6))
    assert f(tf.constant([1, 2])).numpy().tolist() == [7, 4]
    with pytest.raises(tf.errors.InvalidArgumentError, match="bitwise_and"):
        tf.bitwise.bitwise_and(tf.constant([1.5]), tf.constant([2.5]))


# ------------------------------------------------------------------ tf.print output streams
def test_print_to_file_url_stderr_and_logging(tmp_path, capsys, caplog):
    path = tmp_path / "out.txt"
    tf.print("x =", tf.constant([1, 2]), output_stream=f"file://{path}")

    @tf.function
    def f(x):
        tf.print("traced", x, output_stream=f"file://{path}")
        return x + 1
    f(tf.constant(1.0))
    f(tf.constant(2.0))
    assert path.read_text() == "x = [1 2]\ntraced 1\ntraced 2\n"
    tf.print("to stderr", tf.constant(3), output_stream=sys.stderr)
    assert capsys.readouterr().err == "to stderr 3\n"
    with caplog.at_level(logging.INFO, logger="tensorflow"):
        tf.print("logged", tf.constant(4), output_stream=tf.compat.v1.logging.info)
    assert [r.getMessage() for r in caplog.records] == ["logged 4"]
    with pytest.raises(ValueError, match="output_stream"):
        tf.print("x", output_stream=42)


# ------------------------------------------------------------------ tf.config.threading
def test_config_threading_maps_intra_op_to_the_backend_thread_count():
    from graphflow.backends.numba.threads import usable_cores
    before = os.environ.get("GRAPHFLOW_NUM_THREADS")
    try:
        tf.config.threading.set_intra_op_parallelism_threads(1)
        assert tf.config.threading.get_intra_op_parallelism_threads() == 1
        assert usable_cores() == 1
        tf.config.threading.set_inter_op_parallelism_threads(3)
        assert tf.config.threading.get_inter_op_parallelism_threads() == 3
        with pytest.raises(ValueError):
            tf.config.threading.set_intra_op_parallelism_threads(-1)
    finally:   # back to what the session had (env and BLAS cap together)
        tf.config.threading.set_intra_op_parallelism_threads(int(before or 0))
        tf.config.threading.set_inter_op_parallelism_threads(0)
    assert tf.config.threading.get_intra_op_parallelism_threads() == (int(before or 0))
    tf.config.experimental.enable_op_determinism()


# ------------------------------------------------------------------ tf.test
class _Guide(tf.test.TestCase):
    """The shape of a TF guide's test class (the "Testing" sections of the TF guides)."""

    def test_values(self):
        x = tf.constant([[1.0, 2.0], [3.0, 4.0]])
        self.assertAllClose(tf.square(x), [[1.0, 4.0], [9.0, 16.0]])
        self.assertAllClose({"a": x, "b": [x, 1.0]}, {"a": x.numpy(), "b": [x, 1.0]})
        self.assertAllEqual(tf.shape(x), [2, 2])
        self.assertAllEqual(tf.constant(["a", "b"]), [b"a", "b"])
        self.assertAllGreater(x, 0.5)
        self.assertAllLessEqual(x, 4.0)
        self.assertAllInRange(x, 1.0, 4.0)
        self.assertAllInSet(tf.constant([1, 2, 1]), {1, 2})
        self.assertNear(float(tf.reduce_sum(x)), 10.0, 1e-6)
        self.assertShapeEqual(np.zeros((2, 2)), x)
        self.assertDTypeEqual(x, np.float32)
        self.assertNotAllClose(x, x + 1.0)
        self.assertEqual(self.evaluate({"s": tf.reduce_sum(x)})["s"], 10.0)
        with self.assertRaisesOpError("Incompatible shapes|shape"):
            tf.constant([1.0, 2.0]) + tf.constant([1.0, 2.0, 3.0])
        with self.cached_session() as sess:
            self.assertEqual(sess.run(tf.constant(3)), 3)

    def test_failures_are_reported(self):
        with self.assertRaises(AssertionError):
            self.assertAllClose([1.0, 2.0], [1.0, 2.1])
        with self.assertRaises(AssertionError):
            self.assertAllEqual(tf.constant([1, 2]), [1, 2, 3])
        with self.assertRaises(AssertionError):
            self.assertAllGreater(tf.constant([1, 2]), 1)
        with self.assertRaises(AssertionError):
            self.assertNear(1.0, 1.1, 0.01)


def test_tf_test_case_runs_under_unittest():
    result = unittest.TextTestRunner(stream=io.StringIO()).run(
        unittest.defaultTestLoader.loadTestsFromTestCase(_Guide))
    assert result.wasSuccessful() and result.testsRun == 2, result.failures + result.errors
    assert tf.test.is_gpu_available() is False and tf.test.is_built_with_cuda() is False
    assert tf.test.gpu_device_name() == ""


def test_compute_gradient_matches_tf_docs():
    # tf.test.compute_gradient's doc example: f(x) = x * x at x = 2 -> ((4,), (4,))
    th, nu = tf.test.compute_gradient(lambda x: x * x, [tf.constant([2.0], tf.float64)])
    np.testing.assert_allclose(th[0], [[4.0]])
    np.testing.assert_allclose(nu[0], [[4.0]], rtol=1e-8)


# ------------------------------------------------------------------ tf.math.special
def test_special_functions_match_tf_doc_examples():
    # the examples of TF's tf.math.special docs
    np.testing.assert_allclose(tf.math.special.bessel_j0([0.5, 1., 2., 4.]).numpy(),
                               [0.93846981, 0.76519769, 0.22389078, -0.39714981], rtol=1e-6)
    np.testing.assert_allclose(tf.math.special.bessel_y1([0.5, 1., 2., 4.]).numpy(),
                               [-1.47147239, -0.78121282, -0.10703243, 0.39792571], rtol=1e-6)
    np.testing.assert_allclose(tf.math.special.bessel_k0([0.5, 1., 2., 4.]).numpy(),
                               [0.92441907, 0.42102444, 0.11389387, 0.01115968], rtol=1e-6)
    np.testing.assert_allclose(tf.math.special.fresnel_cos([-1., -0.1, 0.1, 1.]).numpy(),
                               [-0.7798934, -0.09999753, 0.09999753, 0.7798934], rtol=1e-6)
    assert tf.math.special.bessel_i1e is tf.math.bessel_i1e


@pytest.mark.parametrize("name,ref", [
    ("bessel_j0", "j0"), ("bessel_j1", "j1"), ("bessel_y0", "y0"), ("bessel_y1", "y1"),
    ("bessel_k0e", "k0e"), ("bessel_k1e", "k1e"), ("dawsn", "dawsn"), ("expint", "expi"),
    ("spence", "spence")])
def test_special_functions_match_scipy_over_their_ranges(name, ref):
    sc = pytest.importorskip("scipy.special")
    x = np.concatenate([np.linspace(-60, 60, 1201), np.geomspace(1e-8, 1e4, 200)])
    with np.errstate(all="ignore"):
        want = getattr(sc, ref)(x)
    got = getattr(tf.math.special, name)(x).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-11, atol=1e-14)


def test_incomplete_gamma_and_beta_match_scipy_and_differentiate_in_x():
    sc = pytest.importorskip("scipy.special")
    rng = np.random.default_rng(3)
    a, b = rng.uniform(0.1, 40, 400), rng.uniform(0.1, 40, 400)
    x, u = rng.uniform(0, 80, 400), rng.uniform(0, 1, 400)
    np.testing.assert_allclose(tf.math.igamma(a, x).numpy(), sc.gammainc(a, x), atol=1e-12)
    np.testing.assert_allclose(tf.math.igammac(a, x).numpy(), sc.gammaincc(a, x), atol=1e-12)
    np.testing.assert_allclose(tf.math.betainc(a, b, u).numpy(), sc.betainc(a, b, u), atol=1e-11)
    xt = tf.constant([0.5, 2.0], tf.float64)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        y = tf.math.igamma(3.0, xt)
    np.testing.assert_allclose(tape.gradient(y, xt).numpy(),
                               np.array([0.5, 2.0]) ** 2 * np.exp(-np.array([0.5, 2.0])) / 2)
    assert np.isnan(tf.math.igamma(-1.0, 1.0).numpy())
    # in a too (TF's IgammaGradA), vs Richardson-extrapolated differences of scipy
    at, xs = tf.constant([0.7, 3.0, 12.0, 30.0], tf.float64), np.array([0.4, 5.0, 11.0, 45.0])
    with tf.GradientTape() as tape:
        tape.watch(at)
        y = tf.reduce_sum(tf.math.igammac(at, xs))
    fd = lambda h: (sc.gammaincc(at.numpy() + h, xs) - sc.gammaincc(at.numpy() - h, xs)) / (2 * h)  # noqa: E731,E501
    np.testing.assert_allclose(tape.gradient(y, at).numpy(), (4 * fd(5e-6) - fd(1e-5)) / 3,
                               rtol=1e-7, atol=1e-12)


# ------------------------------------------------------------------ tf.linalg.expm, tf.image.ssim
def test_expm_matches_scipy_and_its_gradient_is_the_frechet_derivative():
    sl = pytest.importorskip("scipy.linalg")
    rng = np.random.default_rng(5)
    for scale in (0.01, 1.0, 20.0):      # no squaring, some, many
        a = rng.standard_normal((2, 4, 4)) * scale
        want = np.stack([sl.expm(m) for m in a])
        np.testing.assert_allclose(tf.linalg.expm(a).numpy(), want, rtol=1e-11,
                                   atol=1e-13 * np.abs(want).max())
    a = tf.constant(rng.standard_normal((3, 3)))
    g = rng.standard_normal((3, 3))
    with tf.GradientTape() as tape:
        tape.watch(a)
        y = tf.reduce_sum(tf.linalg.expm(a) * g)
    np.testing.assert_allclose(tape.gradient(y, a).numpy(),
                               sl.expm_frechet(a.numpy().T, g, compute_expm=False), rtol=1e-10)
    f = tf.function(lambda m: tf.linalg.expm(m))
    np.testing.assert_allclose(f(a).numpy(), sl.expm(a.numpy()), rtol=1e-12)


def _ssim_ref(x, y, max_val, size=11, sigma=1.5, k1=0.01, k2=0.03):
    """TF's SSIM formula with explicit windows (numpy, float64): per image and channel, then
    averaged over the positions and the channels; also the mean contrast-structure term."""
    c = np.arange(size) - (size - 1) / 2
    g = np.exp(-(c[:, None] ** 2 + c[None, :] ** 2) / (2 * sigma ** 2))
    g /= g.sum()
    win = lambda t: np.einsum("nhwcij,ij->nhwc", np.lib.stride_tricks.sliding_window_view(  # noqa
        t, (size, size), axis=(1, 2)), g)
    mx, my = win(x), win(y)
    sxx, syy, sxy = win(x * x) - mx ** 2, win(y * y) - my ** 2, win(x * y) - mx * my
    c1, c2 = (k1 * max_val) ** 2, (k2 * max_val) ** 2
    lum = (2 * mx * my + c1) / (mx ** 2 + my ** 2 + c1)
    cs = (2 * sxy + c2) / (sxx + syy + c2)
    return (lum * cs).mean(axis=(1, 2)), cs.mean(axis=(1, 2))


def test_ssim_matches_the_formula_for_float_and_uint8_images():
    rng = np.random.default_rng(6)
    x = rng.random((2, 20, 23, 3))
    y = np.clip(x + rng.normal(0, 0.1, x.shape), 0, 1)
    got = tf.image.ssim(x.astype(np.float32), y.astype(np.float32), 1.0).numpy()
    np.testing.assert_allclose(got, _ssim_ref(x, y, 1.0)[0].mean(-1), rtol=1e-5)
    xu, yu = (x * 255).round().astype(np.uint8), (y * 255).round().astype(np.uint8)
    np.testing.assert_allclose(tf.image.ssim(xu, yu, 255).numpy(),
                               _ssim_ref(xu / 255.0, yu / 255.0, 1.0)[0].mean(-1), rtol=1e-5)
    assert np.allclose(tf.image.ssim(x, x, 1.0).numpy(), 1.0)
    xv = tf.Variable(y)
    with tf.GradientTape() as tape:
        loss = -tf.reduce_sum(tf.image.ssim(xv, tf.constant(x), 1.0))
    step = tape.gradient(loss, xv)
    assert float(tf.reduce_sum(tf.image.ssim(y - 0.5 * step.numpy(), x, 1.0))) > -float(loss)
    with pytest.raises(tf.errors.InvalidArgumentError, match="filter_size"):
        tf.image.ssim(x[:, :8], y[:, :8], 1.0)


def test_ssim_multiscale_matches_the_formula():
    rng = np.random.default_rng(7)
    x = rng.random((1, 45, 40, 1))
    y = np.clip(x + rng.normal(0, 0.05, x.shape), 0, 1)
    weights = (0.3, 0.3, 0.4)
    got = tf.image.ssim_multiscale(x, y, 1.0, power_factors=weights, filter_size=7).numpy()
    vals, a, b = [], x, y
    for k in range(3):
        if k:
            a, b = [np.pad(t, [(0, 0), (0, t.shape[1] % 2), (0, t.shape[2] % 2), (0, 0)],
                           mode="symmetric") for t in (a, b)]
            a, b = [t.reshape(1, t.shape[1] // 2, 2, t.shape[2] // 2, 2, 1).mean(axis=(2, 4))
                    for t in (a, b)]
        s, cs = _ssim_ref(a, b, 1.0, size=7)
        vals.append(np.maximum(cs, 0))
    vals[-1] = np.maximum(s, 0)
    want = np.prod([v ** w for v, w in zip(vals, weights)], axis=0).mean(-1)
    np.testing.assert_allclose(got, want, rtol=1e-10)


# ------------------------------------------------------------------ tf.IndexedSlices, tf.audio
def test_indexed_slices_densify_and_feed_optimizers():
    s = tf.IndexedSlices(tf.constant([[1., 2.], [3., 4.], [1., 1.]]), tf.constant([1, 3, 1]),
                         tf.constant([4, 2]))
    dense = np.array([[0, 0], [2, 3], [0, 0], [3, 4]], np.float32)   # repeated rows add (TF)
    np.testing.assert_array_equal(tf.convert_to_tensor(s).numpy(), dense)
    assert s.shape == (4, 2) and s.dtype == tf.float32
    np.testing.assert_array_equal((-s).values.numpy(), -s.values.numpy())
    assert float(tf.reduce_sum(s)) == dense.sum()
    v = tf.Variable(np.zeros((4, 2), np.float32))
    opt = tf.keras.optimizers.SGD(0.5)
    opt.apply_gradients([(s, v)])
    np.testing.assert_allclose(v.numpy(), -0.5 * dense)

    @tf.function
    def step(vals, idx):
        opt.apply_gradients([(tf.IndexedSlices(vals, idx, tf.constant([4, 2])), v)])
    step(tf.constant([[2., 2.]]), tf.constant([0]))
    np.testing.assert_allclose(v.numpy()[0], [-1., -1.])
    with pytest.raises(ValueError, match="dense_shape"):
        tf.convert_to_tensor(tf.IndexedSlices(tf.ones((1, 2)), tf.constant([0])))


def test_audio_wav_round_trip_and_tf_scaling(tmp_path):
    import wave
    pcm = np.array([[0, 100], [-32768, 32767], [16384, -16384]], "<i2")
    path = tmp_path / "a.wav"
    with wave.open(str(path), "wb") as w:       # a WAV file written by another program
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(22050)
        w.writeframes(pcm.tobytes())
    audio, rate = tf.audio.decode_wav(tf.io.read_file(str(path)))
    assert audio.dtype == tf.float32 and rate.dtype == tf.int32 and int(rate) == 22050
    np.testing.assert_array_equal(audio.numpy(), pcm / 32768.0)        # TF: int16 / 2^15
    mono, _ = tf.audio.decode_wav(tf.io.read_file(str(path)), desired_channels=1,
                                  desired_samples=5)
    np.testing.assert_array_equal(mono.numpy()[:, 0], np.r_[pcm[:, 0] / 32768.0, 0, 0])
    wav = tf.audio.encode_wav(tf.constant([[1.5], [-0.5], [0.25]]), 8000)   # 1.5 clamps
    with wave.open(io.BytesIO(wav.numpy()), "rb") as w:
        assert (w.getnchannels(), w.getframerate()) == (1, 8000)
        back = np.frombuffer(w.readframes(3), "<i2").tolist()
    assert back == [32767, -16384, 8192]
    with pytest.raises(tf.errors.InvalidArgumentError, match="decode_wav"):
        tf.audio.decode_wav(tf.constant(b"not a wav"))


# ------------------------------------------------------------------ tf.linalg.LinearOperator*
def _operators(rng):
    a = rng.standard_normal((2, 3, 3)) + 3 * np.eye(3)
    d = rng.uniform(0.5, 2.0, (2, 3)) * np.array([1, -1, 1])
    l = np.tril(a)
    return [(tf.linalg.LinearOperatorFullMatrix(a), a),
            (tf.linalg.LinearOperatorDiag(d), np.stack([np.diag(v) for v in d])),
            (tf.linalg.LinearOperatorLowerTriangular(a), l),
            (tf.linalg.LinearOperatorIdentity(3, batch_shape=[2], dtype=tf.float64),
             np.broadcast_to(np.eye(3), (2, 3, 3))),
            (tf.linalg.LinearOperatorScaledIdentity(3, np.array([2.0, -0.5])),
             np.array([2.0, -0.5])[:, None, None] * np.eye(3))]


@pytest.mark.parametrize("k", range(5))
def test_linear_operators_match_their_dense_matrices(k):
    rng = np.random.default_rng(8)
    op, m = _operators(rng)[k]
    x, v = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 3))
    mt = np.swapaxes(m, -1, -2)
    assert op.shape == (2, 3, 3) and op.batch_shape == (2,) and op.domain_dimension == 3
    np.testing.assert_allclose(op.to_dense().numpy(), m, rtol=1e-12)
    np.testing.assert_allclose(op.matmul(x).numpy(), m @ x, rtol=1e-12)
    np.testing.assert_allclose(op.matmul(x, adjoint=True).numpy(), mt @ x, rtol=1e-12)
    np.testing.assert_allclose(op.matmul(np.swapaxes(x, -1, -2), adjoint_arg=True).numpy(),
                               m @ x, rtol=1e-12)
    np.testing.assert_allclose(op.matvec(v).numpy(), np.einsum("bij,bj->bi", m, v), rtol=1e-12)
    np.testing.assert_allclose(op.solve(x).numpy(), np.linalg.solve(m, x), rtol=1e-10)
    np.testing.assert_allclose(op.solve(x, adjoint=True).numpy(), np.linalg.solve(mt, x),
                               rtol=1e-10)
    np.testing.assert_allclose(op.solvevec(v).numpy(), np.linalg.solve(m, v[..., None])[..., 0],
                               rtol=1e-10)
    np.testing.assert_allclose(op.determinant().numpy(), np.linalg.det(m), rtol=1e-10)
    np.testing.assert_allclose(op.log_abs_determinant().numpy(), np.linalg.slogdet(m)[1],
                               rtol=1e-10)
    np.testing.assert_allclose(op.trace().numpy(), np.trace(m, axis1=1, axis2=2), rtol=1e-12)
    np.testing.assert_allclose(op.inverse().to_dense().numpy(), np.linalg.inv(m), rtol=1e-10)
    np.testing.assert_allclose(op.adjoint().to_dense().numpy(), mt, rtol=1e-12)
    np.testing.assert_allclose((op @ x).numpy(), m @ x, rtol=1e-12)


def test_linear_operator_gradient_and_tracing():
    d = tf.Variable([1.0, 2.0, 4.0])
    with tf.GradientTape() as tape:
        y = tf.linalg.LinearOperatorDiag(d).log_abs_determinant()
    np.testing.assert_allclose(tape.gradient(y, d).numpy(), [1.0, 0.5, 0.25])
    f = tf.function(lambda m, b: tf.linalg.LinearOperatorLowerTriangular(m).solvevec(b))
    np.testing.assert_allclose(f(tf.constant([[2., 0.], [1., 1.]]), tf.constant([2., 3.])).numpy(),
                               [1., 2.])
    with pytest.raises(ValueError, match="not square"):
        tf.linalg.LinearOperatorFullMatrix(np.ones((2, 3))).determinant()


# ------------------------------------------------------------------ core extras
def test_core_initializers_in_the_custom_layer_guide_pattern():
    class Linear(tf.keras.layers.Layer):
        def __init__(self, units=4, input_dim=3):
            super().__init__()
            w_init = tf.random_normal_initializer()
            self.w = tf.Variable(initial_value=w_init(shape=(input_dim, units), dtype="float32"),
                                 trainable=True)
            b_init = tf.zeros_initializer()
            self.b = tf.Variable(initial_value=b_init(shape=(units,), dtype="float32"),
                                 trainable=True)
            self.c = self.add_weight(shape=(units,), initializer=tf.constant_initializer(0.5))

        def call(self, inputs):
            return tf.matmul(inputs, self.w) + self.b + self.c

    tf.random.set_seed(0)
    layer = Linear()
    x = np.ones((2, 3), np.float32)
    np.testing.assert_allclose(layer(x).numpy(), x @ layer.w.numpy() + 0.5, rtol=1e-6)
    w = tf.random_normal_initializer(mean=1.0, stddev=0.05, seed=3)((4000,)).numpy()
    assert abs(w.mean() - 1.0) < 0.005 and abs(w.std() - 0.05) < 0.005
    u = tf.random_uniform_initializer(seed=3)((4000,), tf.float64).numpy()
    assert u.dtype == np.float64 and -0.05 <= u.min() and u.max() < 0.05
    assert tf.ones_initializer()((2,), tf.int32).numpy().tolist() == [1, 1]
    assert tf.random_normal_initializer.from_config(
        tf.random_normal_initializer(stddev=2.0).get_config()).stddev == 2.0


def test_core_extras_values():
    x = tf.constant(1.3)
    with tf.GradientTape() as t:
        t.watch(x)
        y = tf.grad_pass_through(tf.round)(x) ** 2
    assert float(y) == 1.0 and float(t.gradient(y, x)) == 2.0     # d(r^2)/dr, passed through
    assert tf.saturate_cast(tf.constant([-1.5, 70000.]), tf.int16).numpy().tolist() == \
        [-1, 32767]
    assert int(tf.foldr(lambda a, v: a - v, tf.constant([1, 2, 10]))) == 7   # 10 - 2 - 1
    with tf.control_dependencies([tf.constant(1)]):
        assert int(tf.identity(tf.constant(4))) == 4

    seen = []

    @tf.function
    def f(v):
        with tf.name_scope("blk"):
            seen.append((tf.inside_function(), tf.get_current_name_scope()))
            return v * 2
    f(tf.constant(1.0))
    assert seen == [(True, "blk")] and not tf.inside_function()
    np.testing.assert_allclose(tf.math.unsorted_segment_sqrt_n(
        tf.constant([[1., 2.], [3., 4.], [5., 6.]]), tf.constant([1, 1, 0]), 3).numpy(),
        [[5., 6.], [4 / np.sqrt(2), 6 / np.sqrt(2)], [0., 0.]], rtol=1e-6)
    vals, idx = tf.math.approx_min_k(tf.constant([[3., 1.], [0., 2.], [5., -1.]]), 2,
                                     reduction_dimension=0)
    assert vals.numpy().tolist() == [[0., -1.], [3., 1.]] and idx.numpy().tolist() == [[1, 2],
                                                                                       [0, 0]]
    assert tf.math.reciprocal_no_nan(tf.constant([4., 0.])).numpy().tolist() == [0.25, 0.]
    assert float(tf.acos(tf.constant(1.0))) == 0.0 and tf.realdiv(3., 2.).numpy() == 1.5


# ------------------------------------------------------------------ colour spaces, crop_and_resize
def test_yiq_yuv_round_trips_and_luma():
    x = np.random.default_rng(9).random((2, 5, 4, 3)).astype(np.float32)
    for fwd, back in ((tf.image.rgb_to_yiq, tf.image.yiq_to_rgb),
                      (tf.image.rgb_to_yuv, tf.image.yuv_to_rgb)):
        y = fwd(x).numpy()
        np.testing.assert_allclose(y[..., 0], x @ [0.299, 0.587, 0.114], rtol=1e-5)
        np.testing.assert_allclose(back(y).numpy(), x, atol=1e-4)   # TF's 8-digit kernels
    with pytest.raises(tf.errors.InvalidArgumentError, match="rgb_to_yuv"):
        tf.image.rgb_to_yuv(np.ones((2, 2), np.float32))


def _crop_ref(img, box, size, extrap):
    """TF's CropAndResize, one output pixel at a time (bilinear)."""
    h, w = img.shape[:2]
    y1, x1, y2, x2 = np.asarray(box, np.float64)
    out = np.zeros(size + (img.shape[2],))
    for i in range(size[0]):
        yy = y1 * (h - 1) + i * (y2 - y1) * (h - 1) / (size[0] - 1)
        for j in range(size[1]):
            xx = x1 * (w - 1) + j * (x2 - x1) * (w - 1) / (size[1] - 1)
            if not (0 <= yy <= h - 1 and 0 <= xx <= w - 1):
                out[i, j] = extrap
                continue
            t, lft = int(np.floor(yy)), int(np.floor(xx))
            b, r = min(t + 1, h - 1), min(lft + 1, w - 1)
            dy, dx = yy - t, xx - lft
            top = img[t, lft] + (img[t, r] - img[t, lft]) * dx
            bot = img[b, lft] + (img[b, r] - img[b, lft]) * dx
            out[i, j] = top + (bot - top) * dy
    return out


def test_crop_and_resize_matches_tf_formula_and_differentiates():
    img = np.random.default_rng(10).random((2, 6, 7, 2))
    boxes = np.array([[0.1, 0.2, 0.8, 0.9], [0.9, 0.0, 0.2, 0.5], [-0.2, 0.3, 0.6, 1.4]],
                     np.float32)     # float32, as TF's boxes
    out = tf.image.crop_and_resize(img, boxes, [1, 0, 1], (4, 5), extrapolation_value=-1.0)
    assert out.shape == (3, 4, 5, 2) and out.dtype == tf.float64
    for k, (box, i) in enumerate(zip(boxes, [1, 0, 1])):
        np.testing.assert_allclose(out.numpy()[k], _crop_ref(img[i], box, (4, 5), -1.0),
                                   rtol=1e-12)
    same = tf.image.crop_and_resize(img, [[0., 0., 1., 1.]], [0], (6, 7))
    np.testing.assert_allclose(same.numpy()[0], img[0], rtol=1e-12)
    x = tf.constant(img)
    with tf.GradientTape() as tape:
        tape.watch(x)
        s = tf.reduce_sum(tf.image.crop_and_resize(x, boxes[:1], [1], (3, 3)))
    g = tape.gradient(s, x).numpy()
    assert g[0].sum() == 0 and abs(g[1].sum() - 9 * 2) < 1e-9     # weights of each sample sum to 1


def test_exponential_moving_average_eager_and_traced():
    v = tf.Variable([1.0, 2.0])
    ema = tf.train.ExponentialMovingAverage(0.5)

    @tf.function
    def step(x):
        v.assign(x)
        ema.apply([v])
    for x in ([3.0, 4.0], [5.0, 6.0]):
        step(tf.constant(x))
    # shadow starts at v's value when first applied ([1, 2], at trace time), then averages
    np.testing.assert_allclose(ema.average(v).numpy(), [3.5, 4.5])
    assert ema.average_name(v).endswith("/ExponentialMovingAverage")
    w = tf.Variable(0.0)
    ema2 = tf.train.ExponentialMovingAverage(0.99, num_updates=0)   # decay min(.99, 1/10)
    ema2.apply([w])
    w.assign(10.0)
    ema2.apply([w])
    np.testing.assert_allclose(float(ema2.average(w)), 9.0, rtol=1e-6)
    assert tf.optimizers.Adam is tf.keras.optimizers.Adam and tf.losses.Huber is \
        tf.keras.losses.Huber and tf.metrics.Mean is tf.keras.metrics.Mean


def test_lu_family_and_sqrtm_match_scipy():
    sl = pytest.importorskip("scipy.linalg")
    rng = np.random.default_rng(11)
    a = rng.standard_normal((3, 5, 5))
    f, p = tf.linalg.lu(a)
    assert p.dtype == tf.int32
    for k in range(3):
        perm_mat, low, up = sl.lu(a[k])          # a = P L U, so a[p] = L U
        np.testing.assert_allclose(np.tril(f.numpy()[k], -1) + np.eye(5), low, atol=1e-12)
        np.testing.assert_allclose(np.triu(f.numpy()[k]), up, atol=1e-12)
        assert p.numpy()[k].tolist() == np.argmax(perm_mat, axis=0).tolist()
    np.testing.assert_allclose(tf.linalg.lu_reconstruct(f, p).numpy(), a, atol=1e-13)
    b = rng.standard_normal((3, 5, 2))
    np.testing.assert_allclose(tf.linalg.lu_solve(f, p, b).numpy(), np.linalg.solve(a, b),
                               rtol=1e-10)
    np.testing.assert_allclose(tf.linalg.lu_matrix_inverse(f, p).numpy(), np.linalg.inv(a),
                               rtol=1e-10)
    s = rng.standard_normal((4, 4))
    s = s @ s.T + 4 * np.eye(4)
    np.testing.assert_allclose(tf.linalg.sqrtm(s).numpy(), sl.sqrtm(s), rtol=1e-12)


def test_eig_and_tridiagonal_ops():
    rng = np.random.default_rng(12)
    a = rng.standard_normal((2, 4, 4)).astype(np.float32)
    e, v = tf.linalg.eig(a)
    assert e.dtype == tf.complex64 and v.shape == (2, 4, 4)
    np.testing.assert_allclose(a @ v.numpy(), v.numpy() * e.numpy()[:, None, :], atol=1e-4)
    np.testing.assert_allclose(np.sort_complex(tf.linalg.eigvals(a).numpy()[0]),
                               np.sort_complex(np.linalg.eigvals(a[0])), rtol=1e-4)
    sup, main, sub = rng.standard_normal((3, 2, 5))
    main = main + 4.0
    dense = np.stack([np.diag(main[b]) + np.diag(sup[b, :-1], 1) + np.diag(sub[b, 1:], -1)
                      for b in range(2)])
    compact = np.stack([sup, main, sub], axis=1)
    rhs = rng.standard_normal((2, 5, 3))
    np.testing.assert_allclose(tf.linalg.tridiagonal_matmul(compact, rhs).numpy(), dense @ rhs,
                               rtol=1e-12)
    np.testing.assert_allclose(tf.linalg.tridiagonal_solve(compact, rhs).numpy(),
                               np.linalg.solve(dense, rhs), rtol=1e-10)
    np.testing.assert_allclose(
        tf.linalg.tridiagonal_solve((sup, main, sub), rhs[..., 0], "sequence").numpy(),
        np.linalg.solve(dense, rhs[..., :1])[..., 0], rtol=1e-10)


def test_more_debugging_asserts_and_config_switches():
    tf.debugging.assert_positive(tf.constant([1., 2.]))
    tf.debugging.assert_non_negative(tf.constant([0, 2]))
    tf.debugging.assert_greater_equal(tf.constant([2, 2]), 2)
    tf.debugging.assert_rank_at_least(tf.zeros((2, 3)), 1)
    tf.debugging.assert_rank_in(tf.zeros((2, 3)), [1, 2])
    tf.debugging.assert_integer(tf.constant([1]))
    tf.debugging.assert_type(tf.constant([1.0]), tf.float32)
    assert tf.debugging.assert_same_float_dtype([tf.constant(1.0)]) == tf.float32
    assert tf.debugging.is_numeric_tensor(tf.constant(1)) and \
        not tf.debugging.is_numeric_tensor(tf.constant("a"))
    for bad in (lambda: tf.debugging.assert_positive(tf.constant([1., 0.]), message="pos"),
                lambda: tf.debugging.assert_less_equal(tf.constant([3]), 2),
                lambda: tf.debugging.assert_none_equal(tf.constant([1, 2]), tf.constant([0, 2])),
                lambda: tf.debugging.Assert(tf.constant(False), ["x is", tf.constant(3)])):
        with pytest.raises(tf.errors.InvalidArgumentError, match="failed at"):
            bad()
    with pytest.raises(TypeError):
        tf.debugging.assert_integer(tf.constant([1.0]))
    with pytest.raises(ValueError):
        tf.debugging.assert_scalar(tf.zeros(2))
    tf.config.optimizer.set_jit(True)
    assert tf.config.optimizer.get_jit() is True
    tf.config.optimizer.set_jit(False)
    tf.config.optimizer.set_experimental_options({"layout_optimizer": False})
    assert tf.config.optimizer.get_experimental_options()["layout_optimizer"] is False
    tf.debugging.set_log_device_placement(True)
    assert tf.debugging.get_log_device_placement()
    tf.debugging.set_log_device_placement(False)


# ------------------------------------------------------------------ tf.nn.ctc_loss
def _ctc_brute(logits, label, blank):
    """-log sum over every alignment (length T path) that collapses to label."""
    import itertools
    t_steps, classes = logits.shape
    logp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    total = 0.0
    for path in itertools.product(range(classes), repeat=t_steps):
        out, prev = [], None
        for c in path:
            if c != prev and c != blank:
                out.append(c)
            prev = c
        if out == list(label):
            total += np.exp(sum(logp[t, c] for t, c in enumerate(path)))
    return -np.log(total)


def test_ctc_loss_matches_brute_force_and_differentiates():
    rng = np.random.default_rng(13)
    logits = rng.standard_normal((3, 5, 3))          # batch-major (B, T, C)
    labels = np.array([[1, 1], [2, 0], [1, 2]])
    label_length, logit_length = np.array([2, 1, 2]), np.array([5, 4, 3])
    for blank in (0, 2):
        got = tf.nn.ctc_loss(labels if blank == 0 else np.where(labels == 2, 0, labels),
                             tf.constant(logits), label_length, logit_length,
                             logits_time_major=False, blank_index=blank).numpy()
        for b in range(3):
            lab = labels[b, :label_length[b]]
            lab = lab if blank == 0 else np.where(lab == 2, 0, lab)
            want = _ctc_brute(logits[b, :logit_length[b]], lab, blank)
            np.testing.assert_allclose(got[b], want, rtol=1e-10)
    x = tf.constant(logits)
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = tf.reduce_sum(tf.nn.ctc_loss(labels, x, label_length, logit_length,
                                            logits_time_major=False))
    g = tape.gradient(loss, x).numpy()
    eps, k = 1e-6, (1, 2, 0)
    xp, xm = logits.copy(), logits.copy()
    xp[k] += eps
    xm[k] -= eps
    f = lambda v: float(tf.reduce_sum(tf.nn.ctc_loss(  # noqa: E731
        labels, tf.constant(v), label_length, logit_length, logits_time_major=False)))
    np.testing.assert_allclose(g[k], (f(xp) - f(xm)) / (2 * eps), rtol=1e-6)
    assert np.all(g[1, 4] == 0)        # past example 1's logit_length: no gradient


def test_composite_linear_operators():
    sl = pytest.importorskip("scipy.linalg")
    rng = np.random.default_rng(14)
    a, b = rng.standard_normal((3, 3)) + 3 * np.eye(3), rng.standard_normal((2, 2)) + 3 * np.eye(2)
    A, B = tf.linalg.LinearOperatorFullMatrix(a), tf.linalg.LinearOperatorFullMatrix(b)
    comp = tf.linalg.LinearOperatorComposition([A, A])
    np.testing.assert_allclose(comp.to_dense().numpy(), a @ a, rtol=1e-12)
    np.testing.assert_allclose(comp.determinant().numpy(), np.linalg.det(a) ** 2, rtol=1e-10)
    block = tf.linalg.LinearOperatorBlockDiag([A, B])
    np.testing.assert_allclose(block.to_dense().numpy(), sl.block_diag(a, b))
    np.testing.assert_allclose(block.log_abs_determinant().numpy(),
                               np.linalg.slogdet(sl.block_diag(a, b))[1], rtol=1e-10)
    np.testing.assert_allclose(tf.linalg.LinearOperatorKronecker([A, B]).to_dense().numpy(),
                               np.kron(a, b), rtol=1e-12)
    u, d = rng.standard_normal((3, 2)), np.array([2.0, 3.0])
    np.testing.assert_allclose(tf.linalg.LinearOperatorLowRankUpdate(A, u, d).to_dense().numpy(),
                               a + u @ np.diag(d) @ u.T, rtol=1e-12)
    inv = tf.linalg.LinearOperatorInversion(A)
    np.testing.assert_allclose(inv.to_dense().numpy(), np.linalg.inv(a), rtol=1e-10)
    np.testing.assert_allclose(inv.solvevec([1., 2., 3.]).numpy(), a @ [1., 2., 3.], rtol=1e-12)
    np.testing.assert_allclose(tf.linalg.LinearOperatorAdjoint(A).to_dense().numpy(), a.T)
    # TF's doc example: [0, 2, 1] swaps the last two rows
    np.testing.assert_array_equal(tf.linalg.LinearOperatorPermutation([0, 2, 1]).to_dense(),
                                  [[1., 0., 0.], [0., 0., 1.], [0., 1., 0.]])
    np.testing.assert_allclose(
        tf.linalg.LinearOperatorToeplitz([1., 2., 3.], [1., 4., 5.]).to_dense().numpy(),
        sl.toeplitz([1., 2., 3.], [1., 4., 5.]))
    v = np.array([1., 2., 2.])
    h = tf.linalg.LinearOperatorHouseholder(v)
    np.testing.assert_allclose(h.to_dense().numpy(), np.eye(3) - 2 * np.outer(v, v) / 9,
                               atol=1e-7)
    assert tf.linalg.LinearOperatorZeros(2, batch_shape=[3]).shape == (3, 2, 2)
    np.testing.assert_allclose(tf.linalg.LinearOperatorTridiag(
        np.array([[1., 1., 0.], [2., 2., 2.], [0., 1., 1.]])).to_dense().numpy(),
        [[2., 1., 0.], [1., 2., 1.], [0., 1., 2.]])


def test_detection_helpers_nms_padded_combined_and_drawing():
    boxes = np.array([[0, 0, 1, 1], [0, 0.1, 1, 1.1], [0, 2, 1, 3], [0, 2.05, 1, 3]], np.float32)
    idx, n = tf.image.non_max_suppression_padded(np.stack([boxes, boxes]),
                                                 np.array([[.9, .8, .7, .6], [.1, .8, .7, .9]]),
                                                 4, pad_to_max_output_size=True)
    assert idx.numpy().tolist() == [[0, 2, 0, 0], [3, 1, 0, 0]] and n.numpy().tolist() == [2, 2]
    scores = np.array([[[0.9, 0.1], [0.8, 0.7], [0.3, 0.6], [0.2, 0.05]]], np.float32)
    out = tf.image.combined_non_max_suppression(boxes[None, :, None, :] / 4, scores, 2, 3,
                                                iou_threshold=0.5, score_threshold=0.08)
    # class 0 keeps boxes 0 (0.9) and 2 (0.3); class 1 keeps 1 (0.7) and 2 (0.6); best 3 overall
    np.testing.assert_allclose(out.nmsed_scores.numpy(), [[0.9, 0.7, 0.6]])
    assert out.nmsed_classes.numpy().tolist() == [[0., 1., 1.]]
    np.testing.assert_allclose(out.nmsed_boxes.numpy()[0, 1], boxes[1] / 4)
    assert out.valid_detections.numpy().tolist() == [3]
    img = tf.image.draw_bounding_boxes(np.zeros((1, 5, 6, 3), np.float32),
                                       [[[0.25, 0.2, 2.0, 0.6], [0.5, 0.5, 0.1, 0.9]]],
                                       [[1., 0.5, 0., 1.]])
    red = img.numpy()[0, :, :, 0]
    want = np.zeros((5, 6))
    want[1, 1:4] = 1           # top side; the bottom side (row 8) is outside: not drawn
    want[1:5, 1] = want[1:5, 3] = 1       # left and right sides, clipped to the image
    np.testing.assert_array_equal(red, want)       # the second box has y2 < y1: skipped
    np.testing.assert_array_equal(img.numpy()[0, 1, 1], [1., 0.5, 0.])


def test_sample_distorted_bounding_box_respects_its_constraints():
    box = np.array([[[0.1, 0.2, 0.5, 0.6]]], np.float32)
    tf.random.set_seed(3)
    covered = []
    for k in range(30):
        begin, size, crop = tf.image.sample_distorted_bounding_box(
            [50, 80, 3], box, min_object_covered=0.5, aspect_ratio_range=(0.5, 2.0),
            area_range=(0.1, 0.8))
        (y, x, _), (h, w, c) = begin.numpy(), size.numpy()
        assert c == -1 and 0 <= y and y + h <= 50 and 0 <= x and x + w <= 80
        if (y, x, h, w) == (0, 0, 50, 80):        # the fallback after max_attempts
            continue
        assert 0.1 * 4000 - 80 <= h * w <= 0.8 * 4000 + 80 and 0.45 <= w / h <= 2.2
        inter = max(0, min(25, y + h) - max(5, y)) * max(0, min(48, x + w) - max(16, x))
        covered.append(inter / (20 * 32))
        np.testing.assert_allclose(crop.numpy()[0, 0], [y / 50, x / 80, (y + h) / 50,
                                                        (x + w) / 80], rtol=1e-6)
    assert len(covered) > 20 and min(covered) >= 0.5
    sliced = tf.slice(tf.zeros((50, 80, 3)), begin, size)
    assert sliced.shape == (size.numpy()[0], size.numpy()[1], 3)
    a = tf.image.stateless_sample_distorted_bounding_box([50, 80, 3], box, [4, 5])
    b = tf.image.stateless_sample_distorted_bounding_box([50, 80, 3], box, [4, 5])
    assert a[0].numpy().tolist() == b[0].numpy().tolist()
