"""tf.image.resize and projective transforms against TF-documented values and per-pixel numpy
loops; the Keras augmentation layers (identity at inference, Keras 3 transforms when training,
seeded); SpatialDropout2D; UpSampling2D bilinear; nn.bias_add's shape check."""
import math
import re

import numpy as np
import pytest

import graphflow as tf
from graphflow.errors import InvalidArgumentError

from conftest import check_grad

L = tf.keras.layers
R = np.random.default_rng(11)


# ------------------------------------------------------------------ resize
def test_resize_bilinear_matches_tf_documented_values():
    # tf.image.resize([[1, 2], [3, 4]], (4, 4)) (TF 2, half-pixel centres)
    x = np.array([[1., 2.], [3., 4.]], np.float32).reshape(1, 2, 2, 1)
    want = [[1., 1.25, 1.75, 2.], [1.5, 1.75, 2.25, 2.5],
            [2.5, 2.75, 3.25, 3.5], [3., 3.25, 3.75, 4.]]
    np.testing.assert_allclose(tf.image.resize(x, (4, 4)).numpy()[0, :, :, 0], want, atol=1e-6)
    # downsampling 4 -> 2 averages neighbour pairs (no antialias)
    x = np.arange(4.0).reshape(1, 1, 4, 1)
    np.testing.assert_allclose(tf.image.resize(x, (1, 2)).numpy().ravel(), [0.5, 2.5])


def test_resize_nearest_and_dtypes():
    x = np.arange(4, dtype=np.int32).reshape(1, 1, 4, 1)
    y = tf.image.resize(x, (1, 3), "nearest")            # floor((i + 0.5) * 4 / 3)
    assert y.dtype == tf.int32 and y.numpy().ravel().tolist() == [0, 2, 3]
    y = tf.image.resize(x, (2, 8), tf.image.ResizeMethod.NEAREST_NEIGHBOR)
    assert y.numpy()[0, :, :, 0].tolist() == [[0, 0, 1, 1, 2, 2, 3, 3]] * 2
    assert tf.image.resize(x, (1, 3)).dtype == tf.float32        # bilinear of ints: float32
    assert tf.image.resize(np.ones((3, 4, 2)), (6, 8)).shape == (6, 8, 2)   # unbatched
    with pytest.raises(ValueError, match="magic"):
        tf.image.resize(x, (2, 2), "magic")


def test_resize_is_differentiable_twice_and_traces():
    x = R.standard_normal((2, 3, 5, 2))
    check_grad(lambda t: tf.image.resize(t, (4, 2)) ** 2, [x])
    check_grad(lambda t: tf.image.resize(t, (7, 6), "nearest") ** 2, [x])
    f = tf.function(lambda t: tf.image.resize(t, (6, 4)))
    np.testing.assert_allclose(f(tf.constant(x)).numpy(), tf.image.resize(x, (6, 4)).numpy(),
                               atol=1e-12)


@pytest.mark.parametrize("method", ["nearest", "bilinear", "bicubic", "area"])
def test_resize_compiled_equals_numpy_executor(method, sync_compile):
    """The numba backend's resize loop (`backends/numba/resize.py`) and its adjoint (the
    gradient) against the numpy executor: up- and downsampling by odd factors, a 1x1 image,
    batch 1; float64 (to the last bits) and float32."""
    for dtype, tol in ((np.float64, 1e-12), (np.float32, 2e-6)):
        for xs, size in (((2, 5, 7, 3), (9, 4)), ((1, 1, 1, 2), (3, 2)), ((1, 6, 4, 1), (6, 8))):
            x = tf.constant(R.standard_normal(xs).astype(dtype))

            def f(x):
                with tf.GradientTape() as t:
                    t.watch(x)
                    y = tf.image.resize(x, size, method)
                    loss = tf.reduce_sum(y * y * y)
                return y, t.gradient(loss, x)
            fj, fn = tf.function(f), tf.function(f, jit_compile=False)
            fj(x)
            steps = re.findall(r"\] (\w+) +%\d+ resize ", fj.kernel_plan(x))
            assert steps == ["numba", "numba"], steps     # the resize and its adjoint
            for got, want in zip(fj(x), fn(x)):
                np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=tol, atol=tol)


def test_upsampling2d_nearest_gradient_sums_the_copies(sync_compile):
    """UpSampling2D's nearest repeats (tf.repeat with one count) broadcast, so the gradient is
    a sum over the copies (no gather / scatter-add): the block sums of the cotangent, compiled
    as on the numpy executor, with an unknown batch dimension."""
    layer = L.UpSampling2D((2, 3))
    w = R.standard_normal((2, 6, 12, 5)).astype(np.float32)

    def f(x):
        with tf.GradientTape() as t:
            t.watch(x)
            loss = tf.reduce_sum(layer(x) * w)
        return t.gradient(loss, x)
    sig = [tf.TensorSpec((None, 3, 4, 5))]
    fj, fn = (tf.function(f, input_signature=sig),
              tf.function(f, input_signature=sig, jit_compile=False))
    x = tf.constant(R.standard_normal((2, 3, 4, 5)).astype(np.float32))
    want = w.reshape(2, 3, 2, 4, 3, 5).sum((2, 4))
    np.testing.assert_allclose(fj(x).numpy(), want, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(fn(x).numpy(), want, rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(layer(x).numpy(), np.repeat(np.repeat(x.numpy(), 2, 1), 3, 2))
    assert not re.search(r"%\d+ (gather|scatter_add) ", fj.kernel_plan(x))


def test_resize_gradient_is_the_transposed_interpolation():
    # <resize(x), g> == <x, resize^T(g)>: the VJP is the exact adjoint
    x, g = R.standard_normal((1, 3, 4, 2)), R.standard_normal((1, 5, 7, 2))
    v = tf.Variable(x)
    with tf.GradientTape() as t:
        y = tf.reduce_sum(tf.image.resize(v, (5, 7)) * g)
    np.testing.assert_allclose(float(y), np.sum(x * t.gradient(y, v).numpy()), rtol=1e-12)


# ------------------------------------------------------------------ projective transform
def ref_transform(x, t, interpolation, fill_mode, fill_value=0.0):
    """Per-pixel loops over TF's ImageProjectiveTransformV3 semantics."""
    n, h, w, c = x.shape

    def coord(v, size):
        if fill_mode == "constant":
            return v
        if fill_mode == "nearest":
            return min(max(v, 0), size - 1)
        if fill_mode == "wrap":
            return min(max(v % size, 0), size - 1)
        v = v % (2 * size)
        return min(max(2 * size - 1 - v if v >= size else v, 0), size - 1)

    def read(b, yy, xx):
        if 0 <= yy <= h - 1 and 0 <= xx <= w - 1:
            return x[b, int(yy), int(xx)]
        return np.full(c, fill_value)

    out = np.zeros_like(x)
    for b in range(n):
        a0, a1, a2, b0, b1, b2, c0, c1 = t[b]
        for i in range(h):
            for j in range(w):
                k = c0 * j + c1 * i + 1
                sx, sy = coord((a0 * j + a1 * i + a2) / k, w), coord((b0 * j + b1 * i + b2) / k, h)
                if interpolation == "nearest":
                    out[b, i, j] = read(b, round(sy), round(sx))
                    continue
                y0, x0 = math.floor(sy), math.floor(sx)
                fy, fx = sy - y0, sx - x0
                out[b, i, j] = ((1 - fy) * ((1 - fx) * read(b, y0, x0) + fx * read(b, y0, x0 + 1))
                                + fy * ((1 - fx) * read(b, y0 + 1, x0)
                                        + fx * read(b, y0 + 1, x0 + 1)))
    return out


@pytest.mark.parametrize("fill_mode", ["reflect", "wrap", "constant", "nearest"])
@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
def test_transform_matches_loops(fill_mode, interpolation):
    x = R.standard_normal((2, 5, 6, 2))
    a = 0.7
    t = np.array([[math.cos(a), -math.sin(a), 1.3, math.sin(a), math.cos(a), -0.8, 0.01, 0.02],
                  [1.4, 0.0, -2.2, 0.0, 0.6, 1.1, 0.0, 0.0]])
    y = tf.image.transform(x, t, interpolation, fill_mode, fill_value=0.25)
    np.testing.assert_allclose(y.numpy(), ref_transform(x, t, interpolation, fill_mode, 0.25),
                               atol=1e-12)


# ------------------------------------------------------------------ augmentation layers
IMG = R.uniform(0, 1, (4, 6, 5, 3)).astype(np.float32)


@pytest.mark.parametrize("layer", [
    lambda: L.RandomFlip(seed=1), lambda: L.RandomTranslation(0.2, 0.3, seed=1),
    lambda: L.RandomZoom(0.3, seed=1), lambda: L.RandomRotation(0.2, seed=1),
    lambda: L.SpatialDropout2D(0.5, seed=1)])
def test_augmentation_is_identity_unless_training_and_seeded(layer):
    a, b = layer(), layer()
    np.testing.assert_array_equal(a(IMG).numpy(), IMG)
    np.testing.assert_array_equal(a(IMG, training=False).numpy(), IMG)
    tf.random.set_seed(5)
    ya = a(IMG, training=True).numpy()
    tf.random.set_seed(5)
    yb = b(IMG, training=True).numpy()
    np.testing.assert_array_equal(ya, yb)                 # same seed, same draws
    assert ya.shape == IMG.shape and not np.array_equal(ya, IMG)
    assert a.compute_output_shape(IMG.shape) == IMG.shape


def test_random_flip_flips_whole_images():
    x = R.uniform(0, 1, (32, 3, 4, 2)).astype(np.float32)
    y = L.RandomFlip("horizontal", seed=3)(x, training=True).numpy()
    flipped = [np.array_equal(y[i], x[i, :, ::-1]) for i in range(32)]
    same = [np.array_equal(y[i], x[i]) for i in range(32)]
    assert all(f or s for f, s in zip(flipped, same)) and 4 < sum(flipped) < 28
    y = L.RandomFlip("vertical", seed=3)(x, training=True).numpy()
    assert all(np.array_equal(y[i], x[i, ::-1]) or np.array_equal(y[i], x[i]) for i in range(32))


def test_random_translation_by_whole_pixels():
    x = R.uniform(0, 1, (2, 4, 5, 1)).astype(np.float32)
    y = L.RandomTranslation((0.5, 0.5), (0.0, 0.0), fill_mode="constant")(x, training=True)
    np.testing.assert_allclose(y.numpy()[:, 2:], x[:, :2], atol=1e-6)      # down by 2 rows
    np.testing.assert_allclose(y.numpy()[:, :2], 0.0, atol=1e-6)
    y = L.RandomTranslation((0.5, 0.5), 0.0)(x, training=True).numpy()     # reflect (Keras)
    np.testing.assert_allclose(y[:, :2], x[:, 1::-1], atol=1e-6)           # d c b a | a b c d


def test_random_rotation_half_turn_and_zoom():
    x = R.uniform(0, 1, (2, 5, 4, 3)).astype(np.float32)
    y = L.RandomRotation((0.5, 0.5))(x, training=True).numpy()              # 180 degrees
    np.testing.assert_allclose(y, x[:, ::-1, ::-1], atol=1e-5)
    y = L.RandomZoom((-0.5, -0.5), fill_mode="constant")(x, training=True).numpy()   # zoom in x2
    zx, zy = 0.5, 0.5
    t = np.array([[zx, 0, 1.5 * (1 - zx), 0, zy, 2.0 * (1 - zy), 0, 0]] * 2)
    np.testing.assert_allclose(y, ref_transform(x.astype(np.float64), t, "bilinear", "constant"),
                               atol=1e-5)


def test_augmentation_in_a_traced_step_draws_anew():
    layer = L.RandomRotation(0.25, seed=2)
    f = tf.function(lambda t: layer(t, training=True))
    a, b = f(tf.constant(IMG)).numpy(), f(tf.constant(IMG)).numpy()
    assert a.shape == IMG.shape and not np.array_equal(a, b)


def test_spatial_dropout_drops_whole_channels():
    x = np.ones((8, 3, 3, 16), np.float32)
    y = L.SpatialDropout2D(0.5, seed=4)(x, training=True).numpy()
    per_map = y.reshape(8, 9, 16)
    assert np.all(per_map.min(axis=1) == per_map.max(axis=1))              # constant maps
    assert set(np.unique(y)) <= {0.0, 2.0} and 0 < (y == 0).mean() < 1
    assert L.SpatialDropout2D(0.1).name.startswith("spatial_dropout2d")


def test_upsampling2d_bilinear_is_tf_resize():
    x = R.standard_normal((2, 3, 4, 2)).astype(np.float32)
    y = L.UpSampling2D((2, 3), interpolation="bilinear")(x)
    np.testing.assert_allclose(y.numpy(), tf.image.resize(x, (6, 12)).numpy(), atol=1e-6)
    assert y.shape == (2, 6, 12, 2)


def test_bias_add_checks_shapes():
    x = R.standard_normal((2, 3, 4))
    np.testing.assert_allclose(tf.nn.bias_add(x, np.arange(4.)).numpy(), x + np.arange(4.))
    np.testing.assert_allclose(tf.nn.bias_add(x, np.arange(3.), data_format="NCW").numpy(),
                               x + np.arange(3.)[:, None])
    with pytest.raises(InvalidArgumentError, match="bias_add"):
        tf.nn.bias_add(x, np.arange(3.))
    with pytest.raises(InvalidArgumentError, match="bias_add"):
        tf.nn.bias_add(x, np.ones((1, 4)))
