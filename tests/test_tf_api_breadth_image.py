"""tf.image breadth (the data augmentation tutorial's functions): values against numpy /
colorsys / TF's documented formulas."""
import colorsys

import numpy as np
import pytest

import graphflow as tf

R = np.random.default_rng(3)
IMG8 = R.integers(0, 256, (5, 6, 3)).astype(np.uint8)
IMGF = R.uniform(0, 1, (2, 5, 6, 3)).astype(np.float32)


def test_convert_image_dtype_tf_scaling():
    f = tf.image.convert_image_dtype(IMG8, tf.float32).numpy()
    np.testing.assert_allclose(f, IMG8 / 255.0, rtol=1e-6)
    back = tf.image.convert_image_dtype(f, tf.uint8).numpy()
    np.testing.assert_array_equal(back, (f * 255.5).astype(np.uint8))
    np.testing.assert_array_equal(back, IMG8)   # round trip
    sat = tf.image.convert_image_dtype(np.array([1.5, -0.2], np.float32), tf.uint8,
                                       saturate=True).numpy()
    np.testing.assert_array_equal(sat, [255, 0])
    np.testing.assert_array_equal(
        tf.image.convert_image_dtype(np.array([1, 255], np.uint8), tf.int32).numpy(),
        np.array([1, 255]) << 23)


def test_color_conversions():
    gray = tf.image.rgb_to_grayscale(IMGF).numpy()
    np.testing.assert_allclose(gray[..., 0], IMGF @ np.array([0.2989, 0.5870, 0.1140]),
                               rtol=1e-5)
    assert tf.image.rgb_to_grayscale(IMG8).dtype == tf.uint8
    np.testing.assert_array_equal(tf.image.grayscale_to_rgb(gray).numpy(),
                                  np.repeat(gray, 3, -1))
    hsv = tf.image.rgb_to_hsv(IMGF).numpy()
    want = np.array([colorsys.rgb_to_hsv(*p) for p in IMGF.reshape(-1, 3)]).reshape(hsv.shape)
    np.testing.assert_allclose(hsv, want, atol=1e-5)
    np.testing.assert_allclose(tf.image.hsv_to_rgb(hsv).numpy(), IMGF, atol=1e-5)


def test_adjustments():
    np.testing.assert_allclose(tf.image.adjust_brightness(IMGF, 0.25).numpy(), IMGF + 0.25,
                               rtol=1e-6)
    b8 = tf.image.adjust_brightness(IMG8, 0.5).numpy()   # converts, adds, saturates back
    want = np.clip(IMG8 / 255.0 + 0.5, 0, 1) * 255.5
    np.testing.assert_array_equal(b8, np.clip(want, 0, 255).astype(np.uint8))
    mean = IMGF.mean(axis=(1, 2), keepdims=True)
    np.testing.assert_allclose(tf.image.adjust_contrast(IMGF, 1.7).numpy(),
                               (IMGF - mean) * 1.7 + mean, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(tf.image.adjust_gamma(IMGF, 2.0, 0.5).numpy(),
                               0.5 * IMGF ** 2, rtol=1e-5)
    sat = tf.image.adjust_saturation(IMGF, 0.5).numpy()
    hue = tf.image.adjust_hue(IMGF, 0.3).numpy()
    flat = IMGF.reshape(-1, 3)
    want_s, want_h = [], []
    for p in flat:
        h, s, v = colorsys.rgb_to_hsv(*p)
        want_s.append(colorsys.hsv_to_rgb(h, min(s * 0.5, 1.0), v))
        want_h.append(colorsys.hsv_to_rgb((h + 0.3) % 1.0, s, v))
    np.testing.assert_allclose(sat, np.reshape(want_s, sat.shape), atol=1e-5)
    np.testing.assert_allclose(hue, np.reshape(want_h, hue.shape), atol=1e-5)


def test_geometry():
    x = np.arange(2 * 7 * 6 * 1, dtype=np.float32).reshape(2, 7, 6, 1)
    np.testing.assert_array_equal(tf.image.crop_to_bounding_box(x, 1, 2, 3, 4).numpy(),
                                  x[:, 1:4, 2:6])
    p = tf.image.pad_to_bounding_box(x[0], 1, 2, 9, 10).numpy()
    assert p.shape == (9, 10, 1) and p.sum() == x[0].sum()
    np.testing.assert_array_equal(p[1:8, 2:8], x[0])
    np.testing.assert_array_equal(tf.image.central_crop(x, 0.5).numpy(), x[:, 1:6, 1:5])
    for th, tw in ((3, 8), (9, 2), (7, 6)):
        got = tf.image.resize_with_crop_or_pad(x, th, tw).numpy()
        assert got.shape == (2, th, tw, 1)
    np.testing.assert_array_equal(tf.image.resize_with_crop_or_pad(x, 3, 8).numpy()[:, :, 1:7],
                                  x[:, 2:5])
    for k in range(4):
        np.testing.assert_array_equal(tf.image.rot90(x, k).numpy(), np.rot90(x, k, axes=(1, 2)))
        np.testing.assert_array_equal(tf.image.rot90(x[0], k).numpy(), np.rot90(x[0], k))
    np.testing.assert_array_equal(tf.image.transpose(x).numpy(), x.transpose(0, 2, 1, 3))
    rp = tf.image.resize_with_pad(x, 14, 14).numpy()
    assert rp.shape == (2, 14, 14, 1)


def test_standardization_gradients_metrics():
    s = tf.image.per_image_standardization(IMG8).numpy()
    f = IMG8.astype(np.float64)
    np.testing.assert_allclose(s, (f - f.mean()) / max(f.std(), 1 / np.sqrt(f.size)),
                               rtol=1e-4, atol=1e-5)
    dy, dx = tf.image.image_gradients(IMGF)
    np.testing.assert_allclose(dy.numpy()[:, :-1], np.diff(IMGF, axis=1), rtol=1e-6)
    assert not dy.numpy()[:, -1].any() and not dx.numpy()[:, :, -1].any()
    tv = tf.image.total_variation(IMGF).numpy()
    np.testing.assert_allclose(tv, np.abs(np.diff(IMGF, axis=1)).sum((1, 2, 3))
                               + np.abs(np.diff(IMGF, axis=2)).sum((1, 2, 3)), rtol=1e-5)
    other = np.clip(IMGF + 0.05, 0, 1)
    mse = ((IMGF - other) ** 2).mean((1, 2, 3))
    np.testing.assert_allclose(tf.image.psnr(IMGF, other, 1.0).numpy(),
                               10 * np.log10(1.0 / mse), rtol=1e-4)
    edges = tf.image.sobel_edges(IMGF).numpy()
    pad = np.pad(IMGF, ((0, 0), (1, 1), (1, 1), (0, 0)), mode="reflect")
    ky = np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]], np.float64)
    want = np.zeros(IMGF.shape + (2,))
    for i in range(3):
        for j in range(3):
            win = pad[:, i:i + 5, j:j + 6]
            want[..., 0] += ky[i, j] * win
            want[..., 1] += ky.T[i, j] * win
    np.testing.assert_allclose(edges, want, rtol=1e-5, atol=1e-5)


def test_random_and_stateless_augmentations():
    seed = (3, 4)
    a = tf.image.stateless_random_brightness(IMGF, 0.5, seed).numpy()
    np.testing.assert_array_equal(a, tf.image.stateless_random_brightness(IMGF, 0.5, seed))
    delta = (a - IMGF).ravel()
    assert np.ptp(delta) < 1e-6 and abs(delta[0]) <= 0.5
    c = tf.image.stateless_random_contrast(IMGF, 0.2, 0.8, seed).numpy()
    mean = IMGF.mean(axis=(1, 2), keepdims=True)
    factor = ((c - mean) / (IMGF - mean)).ravel()
    assert 0.2 <= np.median(factor) < 0.8
    crop = tf.image.stateless_random_crop(IMGF[0], [3, 4, 3], seed).numpy()
    hits = [(i, j) for i in range(3) for j in range(3)
            if np.array_equal(IMGF[0, i:i + 3, j:j + 4], crop)]
    assert len(hits) == 1
    fl = tf.image.stateless_random_flip_left_right(IMGF, seed).numpy()
    for k in range(2):
        assert np.array_equal(fl[k], IMGF[k]) or np.array_equal(fl[k], IMGF[k, :, ::-1])
    tf.random.set_seed(0)
    flips = [np.array_equal(tf.image.random_flip_up_down(IMGF[0]).numpy(), IMGF[0, ::-1])
             for _ in range(40)]
    assert 8 < sum(flips) < 32
    sat = tf.image.random_saturation(IMGF, 0.5, 1.5).numpy()
    hue = tf.image.random_hue(IMGF, 0.2).numpy()
    assert sat.shape == hue.shape == IMGF.shape
    with pytest.raises(ValueError, match="upper must be > lower"):
        tf.image.random_contrast(IMGF, 0.5, 0.2)


def test_augmentation_is_differentiable_and_traces():
    x = tf.Variable(IMGF)
    with tf.GradientTape() as t:
        y = tf.reduce_sum(tf.image.adjust_brightness(tf.image.rot90(x), 0.5) ** 2)
    np.testing.assert_allclose(t.gradient(y, x).numpy(), 2 * (IMGF + 0.5), rtol=1e-6)
    # TF registers no gradient for AdjustContrastv2: the autodiff guide's cell
    image, delta = tf.Variable([[[0.5, 0.0, 0.0]]]), tf.Variable(0.1)
    with tf.GradientTape() as tape:
        new_image = tf.image.adjust_contrast(image, delta)
    with pytest.raises(LookupError, match="AdjustContrastv2"):
        tape.gradient(new_image, [image, delta])

    @tf.function
    def aug(img, seed):
        img = tf.image.resize_with_crop_or_pad(img, 7, 8)
        img = tf.image.stateless_random_crop(img, [4, 4, 3], seed)
        return tf.image.stateless_random_brightness(img, 0.2, seed)
    s = tf.constant([1, 2])
    np.testing.assert_array_equal(aug(IMGF[0], s).numpy(), aug(IMGF[0], s).numpy())
    assert aug(IMGF[0], s).shape == (4, 4, 3)


def _patches_ref(x, k, s, r, padding):
    n, h, w, c = x.shape
    eff = [(k[i] - 1) * r[i] + 1 for i in range(2)]
    if padding == "VALID":
        out = [(d - e) // st + 1 for d, e, st in zip((h, w), eff, s)]
        pads = [(0, 0), (0, 0)]
    else:
        out = [-(-d // st) for d, st in zip((h, w), s)]
        tot = [max((o - 1) * st + e - d, 0) for o, st, e, d in zip(out, s, eff, (h, w))]
        pads = [(t // 2, t - t // 2) for t in tot]
    xp = np.pad(x, ((0, 0), pads[0], pads[1], (0, 0)))
    res = np.zeros((n, out[0], out[1], k[0] * k[1] * c), x.dtype)
    for i in range(out[0]):
        for j in range(out[1]):
            patch = xp[:, i * s[0]:i * s[0] + eff[0]:r[0], j * s[1]:j * s[1] + eff[1]:r[1]]
            res[:, i, j] = patch.reshape(n, -1)
    return res


@pytest.mark.parametrize("k,s,r,padding", [((2, 3), (1, 2), (1, 1), "VALID"),
                                           ((3, 2), (2, 2), (1, 2), "SAME"),
                                           ((2, 2), (3, 1), (2, 1), "VALID")])
def test_extract_patches_matches_reference(k, s, r, padding):
    x = R.standard_normal((2, 7, 6, 3)).astype(np.float32)
    got = tf.image.extract_patches(x, [1, *k, 1], [1, *s, 1], [1, *r, 1], padding).numpy()
    np.testing.assert_array_equal(got, _patches_ref(x, k, s, r, padding))


def test_extract_patches_gradient_counts_overlaps():
    x = tf.Variable(np.ones((1, 4, 4, 1), np.float32))
    with tf.GradientTape() as t:
        y = tf.reduce_sum(tf.image.extract_patches(x, [1, 3, 3, 1], [1, 1, 1, 1], [1, 1, 1, 1],
                                                   "VALID"))
    want = np.array([[1, 2, 2, 1], [2, 4, 4, 2], [2, 4, 4, 2], [1, 2, 2, 1]], np.float32)
    np.testing.assert_array_equal(t.gradient(y, x).numpy()[0, ..., 0], want)


def test_non_max_suppression():
    boxes = np.array([[0, 0, 1, 1], [0, 0.1, 1, 1.1], [0, -0.1, 1, 0.9], [0, 10, 1, 11],
                      [0, 10.1, 1, 11.1], [0, 100, 1, 101]], np.float32)   # TF's example
    scores = np.array([0.9, 0.75, 0.6, 0.95, 0.5, 0.3], np.float32)
    sel = tf.image.non_max_suppression(boxes, scores, 3, iou_threshold=0.5).numpy()
    assert sel.tolist() == [3, 0, 5]
    idx, sc = tf.image.non_max_suppression_with_scores(boxes, scores, 10, 0.5,
                                                       score_threshold=0.4)
    assert idx.numpy().tolist() == [3, 0] and np.allclose(sc.numpy(), [0.95, 0.9])
