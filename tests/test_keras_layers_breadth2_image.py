"""Color augmentation layers of keras/image_layers.py (RandomGrayscale, RandomInvert,
Solarization, AutoContrast, RandomHue, RandomSaturation) against Keras 3.15 outputs produced
offline (JAX backend, hard-coded) and numpy/colorsys references. As Keras 3, they transform when
called directly (training defaults to True) and are the identity with training=False
(AutoContrast, deterministic, always applies)."""
import colorsys

import numpy as np

import graphflow as tf

L = tf.keras.layers
X = (np.arange(36, dtype="float32").reshape(2, 2, 3, 3) * 37) % 256

KERAS_GRAY = [[30.155, 141.144, 72.677], [107.147, 188.952, 73.151],
              [184.14, 39.154, 150.143], [81.676, 116.146, 197.951]]   # Keras, per image row
KERAS_AC = [[[[0.0, 39.054, 96.872], [127.5, 166.554, 255.0], [255.0, 0.0, 48.436]],
             [[88.446, 127.5, 206.564], [215.946, 255.0, 0.0], [49.392, 88.446, 158.128]]],
            [[[166.554, 205.608, 255.0], [0.0, 39.054, 81.408], [127.5, 166.554, 214.296]],
             [[255.0, 0.0, 40.704], [88.446, 127.5, 173.592], [215.946, 255.0, 0.0]]]]  # Keras
KERAS_HUE = [[[[74.0, 0.0, 74.0], [185.0, 111.0, 185.0], [149.5, 222.0, 3.0]],
              [[151.0, 77.0, 151.0], [6.0, 225.0, 152.5], [117.0, 43.0, 117.0]]],
             [[[154.0, 228.0, 154.0], [9.0, 83.0, 9.0], [120.0, 194.0, 120.0]],
              [[84.5, 12.0, 231.0], [86.0, 160.0, 86.0], [234.0, 15.0, 87.5]]]]   # Keras


def test_grayscale_invert_solarize_match_keras():
    gray = L.RandomGrayscale(factor=1.0)
    y = gray(X).numpy()
    np.testing.assert_allclose(y.reshape(4, 3, 3), np.repeat(np.array(KERAS_GRAY)[..., None], 3,
                                                              -1), atol=2e-3)
    cf = L.RandomGrayscale(factor=1.0, data_format="channels_first")
    np.testing.assert_allclose(cf(X.transpose(0, 3, 1, 2)).numpy(), y.transpose(0, 3, 1, 2),
                               rtol=1e-6)
    assert np.array_equal(gray(X, training=False).numpy(), X)
    assert np.array_equal(L.RandomGrayscale(factor=0.0)(X).numpy(), X)
    inverted = 255.0 - X   # Keras: RandomInvert(factor=(1, 1)) and Solarization(threshold 0)
    np.testing.assert_array_equal(L.RandomInvert(factor=(1.0, 1.0))(X).numpy(), inverted)
    np.testing.assert_array_equal(L.Solarization(threshold_factor=(0, 0))(X).numpy(), inverted)
    assert np.array_equal(L.RandomInvert(factor=(1.0, 1.0))(X, training=False).numpy(), X)
    # factor=1.0 is (0, 1): about half the images inverted
    many = np.ones((400, 1, 1, 1), "float32")
    frac = float((L.RandomInvert(seed=4)(many).numpy() == 254.0).mean())
    assert 0.4 < frac < 0.6
    # solarization with an addition: v = clip(x + a); inverted where v >= threshold
    s = L.Solarization(addition_factor=(0.2, 0.2), threshold_factor=(1.0, 1.0), seed=3)
    y = s(X[:1]).numpy()
    assert ((y >= 0) & (y <= 255)).all()
    assert L.Solarization().get_config()["threshold_factor"] == (0, 0.0)


def test_auto_contrast_matches_keras_in_both_ranges():
    ac = L.AutoContrast()
    np.testing.assert_allclose(ac(X).numpy(), KERAS_AC, atol=2e-3)
    np.testing.assert_allclose(ac(X, training=False).numpy(), KERAS_AC, atol=2e-3)
    unit = L.AutoContrast(value_range=(0, 1))(X / 255.0).numpy()
    np.testing.assert_allclose(unit, np.array(KERAS_AC) / 255.0, atol=2e-5)
    lo, hi = X.min(axis=(1, 2), keepdims=True), X.max(axis=(1, 2), keepdims=True)
    np.testing.assert_allclose(ac(X).numpy(), (X - lo) * 255.0 / (hi - lo), rtol=1e-5,
                               atol=1e-4)
    assert ac.get_config()["value_range"] == [0, 255]


def _hue_ref(img, delta):
    out = np.empty_like(img)
    for idx in np.ndindex(img.shape[:-1]):
        h, s, v = colorsys.rgb_to_hsv(*(img[idx] / 255.0))
        out[idx] = np.array(colorsys.hsv_to_rgb((h + delta) % 1.0, s, v)) * 255.0
    return out


def test_random_hue_matches_keras_and_colorsys():
    y = L.RandomHue(factor=(0.5, 0.5), seed=1)(X).numpy()   # shift +-0.25 per image
    for i in range(2):
        plus, minus = _hue_ref(X[i], 0.25), _hue_ref(X[i], -0.25)
        keras_sign = plus if i == 0 else minus   # the signs Keras drew
        np.testing.assert_allclose(keras_sign, KERAS_HUE[i], atol=1e-3)
        assert (np.allclose(y[i], plus, atol=1e-2) or np.allclose(y[i], minus, atol=1e-2)), i
    np.testing.assert_allclose(L.RandomHue(factor=(0.0, 0.0))(X).numpy(), X, atol=1e-3)
    assert np.array_equal(L.RandomHue(0.5)(X, training=False).numpy(), X)


def test_random_saturation_matches_keras():
    gray = L.RandomSaturation(factor=(0.0, 0.0))(X).numpy()   # Keras: each pixel -> its max
    np.testing.assert_allclose(gray, np.repeat(X.max(-1, keepdims=True), 3, -1), atol=1e-3)
    same = L.RandomSaturation(factor=(0.5, 0.5))(X).numpy()   # Keras: unchanged
    np.testing.assert_allclose(same, X, atol=1e-2)
    assert L.RandomSaturation(0.3).factor == (-0.3, 0.3)   # Keras's config
    assert np.array_equal(L.RandomSaturation(0.5)(X, training=False).numpy(), X)


def test_color_layers_in_a_model_are_identity_at_predict():
    inp = tf.keras.Input((2, 3, 3))
    out = L.RandomInvert(factor=(1.0, 1.0))(L.RandomGrayscale(factor=1.0)(inp))
    model = tf.keras.Model(inp, out)
    np.testing.assert_allclose(model.predict(X, verbose=0), X)


def test_degeneration_posterization_match_keras():
    deg = L.RandomColorDegeneration(factor=(0.5, 0.5))(X).numpy()
    np.testing.assert_allclose(deg[0, 0], [[15.078, 33.578, 52.078], [126.072, 144.572, 163.072],
                                           [147.338, 37.838, 56.338]], atol=2e-3)   # Keras
    gray = (X * np.array([0.2989, 0.587, 0.114], "float32")).sum(-1, keepdims=True)
    np.testing.assert_allclose(deg, X + 0.5 * (gray - X), rtol=1e-5, atol=1e-3)
    post = L.RandomPosterization(factor=(3, 3))(X).numpy()
    np.testing.assert_array_equal(post[0, 0], [[0, 32, 64], [96, 128, 160], [192, 0, 32]])
    np.testing.assert_array_equal(post, (X.astype(np.uint8) >> 5) << 5)
    unit = L.RandomPosterization(factor=(3, 3), value_range=(0, 1))(X / 255.0).numpy()
    np.testing.assert_allclose(unit[0, 0], [[0.0, 0.125, 0.251], [0.376, 0.502, 0.627],
                                            [0.753, 0.0, 0.125]], atol=1e-3)   # Keras
    drawn = L.RandomPosterization(factor=4, seed=2)(np.full((50, 1, 1, 1), 255.0, "float32"))
    assert set(np.unique(drawn.numpy())) <= {128.0, 192.0, 224.0}   # bits 1..3 (4 excluded)
    assert L.RandomPosterization(4).factor == (1, 4)
    assert L.RandomColorDegeneration(0.3).factor == (-0.3, 0.3)   # Keras's configs


def test_mixup_mixes_images_and_labels_with_the_same_weights():
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 255, size=(6, 2, 2, 3)).astype("float32")
    labels = np.eye(6, dtype="float32")
    out = L.MixUp(alpha=0.4, seed=3)({"images": x, "labels": labels})
    y, lab = out["images"].numpy(), out["labels"].numpy()
    # each label row: w on itself, 1 - w on its partner (1 on itself if paired with itself)
    for i in range(6):
        j = [k for k in range(6) if k != i and lab[i, k] > 0]
        partner = j[0] if j else i
        wi = lab[i, i]
        np.testing.assert_allclose(y[i], wi * x[i] + (1 - wi) * x[partner], rtol=1e-4,
                                   atol=1e-3)
    np.testing.assert_allclose(lab.sum(1), 1.0, rtol=1e-5)
    assert np.array_equal(L.MixUp()(x, training=False).numpy(), x)
    assert L.MixUp().get_config()["alpha"] == 0.2


def test_color_jitter_composes_in_keras_order():
    jit = L.RandomColorJitter(brightness_factor=(0.1, 0.1), saturation_factor=(0.0, 0.0))
    ref = np.repeat(np.clip(X + 25.5, 0, 255).max(-1, keepdims=True), 3, -1)
    np.testing.assert_allclose(jit(X).numpy(), ref, atol=1e-3)
    assert np.array_equal(jit(X, training=False).numpy(), X)
    cfg = L.RandomColorJitter(hue_factor=0.2).get_config()
    assert cfg["hue_factor"] == 0.2 and cfg["brightness_factor"] is None


def test_cutmix_pastes_a_box_of_the_partner_and_mixes_labels_by_area():
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 255, size=(5, 8, 6, 2)).astype("float32")
    labels = np.eye(5, dtype="float32")
    layer, changed = L.CutMix(seed=5), 0
    for _ in range(3):
        out = layer({"images": x, "labels": labels})
        y, lab = out["images"].numpy(), out["labels"].numpy()
        changed += int((y != x).any(-1).sum())
        _check_cutmix(x, y, lab)
    assert changed > 0
    assert np.array_equal(L.CutMix()(x, training=False).numpy(), x)
    assert L.CutMix().get_config()["factor"] == (0, 1.0)   # Keras's config


def _check_cutmix(x, y, lab):
    assert np.isfinite(lab).all()
    np.testing.assert_allclose(lab.sum(1), 1.0, rtol=1e-5)
    for i in range(5):
        others = [k for k in range(5) if k != i and lab[i, k] > 0]
        if not others:   # paired with itself: unchanged
            np.testing.assert_array_equal(y[i], x[i])
            continue
        j = others[0]
        pasted = (y[i] == x[j]).all(-1) & ~(y[i] == x[i]).all(-1)
        assert ((y[i] == x[i]) | (y[i] == x[j])).all()
        rows, cols = np.nonzero(pasted)
        if rows.size:   # a rectangle
            box = pasted[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
            assert box.all()
            # the label weight is the kept fraction of the (continuous) box: within a pixel row
            # / column of the pixel count
            area = 1 - lab[i, i]
            assert abs(area * 48 - box.size) <= (box.shape[0] + box.shape[1] + 1), (i, area)


def test_random_erasing_boxes_and_fills():
    er = L.RandomErasing(factor=(1.0, 1.0), scale=(0.25, 0.25), fill_value=0, seed=1)
    y = er(np.ones((3, 8, 8, 1), "float32")).numpy()
    assert (y == 0).sum(axis=(1, 2, 3)).tolist() == [16, 16, 16]   # Keras: [16, 16, 16]
    for img in y[..., 0]:
        rows, cols = np.nonzero(img == 0)
        assert np.ptp(rows) == 3 and np.ptp(cols) == 3   # one 4 x 4 box
    per_channel = L.RandomErasing(factor=(1.0, 1.0), scale=(0.25, 0.25),
                                  fill_value=(10, 20, 300), seed=2)
    y = per_channel(np.ones((1, 8, 8, 3), "float32")).numpy().reshape(-1, 3)
    assert sorted(map(tuple, np.unique(y, axis=0).tolist())) == [(1, 1, 1), (10, 20, 255)]
    noise = L.RandomErasing(factor=(1.0, 1.0), scale=(0.25, 0.25), seed=3)
    y = noise(np.full((2, 8, 8, 1), 7.0, "float32")).numpy()
    assert ((y == 7) | ((y >= 0) & (y <= 255))).all() and (y != 7).sum() > 8
    assert np.array_equal(L.RandomErasing(factor=0.0)(np.ones((2, 4, 4, 1), "float32")).numpy(),
                          np.ones((2, 4, 4, 1)))
    assert np.array_equal(er(np.ones((1, 4, 4, 1), "float32"), training=False).numpy(),
                          np.ones((1, 4, 4, 1)))
    cfg = L.RandomErasing().get_config()
    assert cfg["factor"] == (0, 1.0) and cfg["scale"] == (0.02, 0.33)


SHEAR_IMG = np.arange(25, dtype="float32").reshape(5, 5, 1) * 3
KERAS_SHEAR_X = [  # Keras: x_factor=(0.5, 0.5), constant fill, the two signs
    [0.0, 3.0, 6.0, 9.0, 12.0, 7.5, 16.5, 19.5, 22.5, 25.5, 0.0, 30.0, 33.0, 36.0, 39.0, 0.0,
     22.5, 46.5, 49.5, 52.5, 0.0, 0.0, 60.0, 63.0, 66.0],
    [0.0, 3.0, 6.0, 9.0, 12.0, 16.5, 19.5, 22.5, 25.5, 13.5, 33.0, 36.0, 39.0, 42.0, 0.0, 49.5,
     52.5, 55.5, 28.5, 0.0, 66.0, 69.0, 72.0, 0.0, 0.0]]
KERAS_SHEAR_Y = [  # Keras: y_factor=(0.4, 0.4), nearest, constant fill, the two signs
    [0.0, 3.0, 0.0, 0.0, 0.0, 15.0, 18.0, 6.0, 9.0, 0.0, 30.0, 33.0, 21.0, 24.0, 12.0, 45.0,
     48.0, 36.0, 39.0, 27.0, 60.0, 63.0, 51.0, 54.0, 42.0],
    [0.0, 3.0, 21.0, 24.0, 42.0, 15.0, 18.0, 36.0, 39.0, 57.0, 30.0, 33.0, 51.0, 54.0, 72.0,
     45.0, 48.0, 66.0, 69.0, 0.0, 60.0, 63.0, 0.0, 0.0, 0.0]]


def test_random_shear_matches_keras_both_signs():
    x = np.repeat(SHEAR_IMG[None], 12, 0)
    for layer, ref in ((L.RandomShear(x_factor=(0.5, 0.5), fill_mode="constant", seed=1),
                        KERAS_SHEAR_X),
                       (L.RandomShear(y_factor=(0.4, 0.4), interpolation="nearest",
                                      fill_mode="constant", seed=2), KERAS_SHEAR_Y)):
        y = layer(x).numpy().reshape(12, -1)
        seen = set()
        for row in y:
            hits = [k for k, r in enumerate(ref) if np.allclose(row, r, atol=1e-3)]
            assert hits, row.tolist()
            seen.update(hits)
        assert seen == {0, 1}   # both signs drawn among 12 images
        assert np.array_equal(layer(x, training=False).numpy(), x)
    cfg = L.RandomShear(0.3, 0.2).get_config()
    assert cfg["x_factor"] == (-0.3, 0.3) and cfg["y_factor"] == (-0.2, 0.2)
    assert cfg["fill_mode"] == "reflect" and cfg["interpolation"] == "bilinear"


def test_random_sharpness_matches_keras():
    blur = L.RandomSharpness((0.0, 0.0))(X).numpy()
    np.testing.assert_allclose(blur[0], [[[28.923, 51.692, 54.769], [83.462, 92.231, 101.0],
                                          [111.692, 36.0, 39.077]],
                                         [[52.615, 75.385, 78.462], [107.154, 115.923, 45.923],
                                          [56.615, 59.692, 62.769]]], atol=2e-3)   # Keras
    sharp = L.RandomSharpness((1.0, 1.0))(X).numpy()
    np.testing.assert_allclose(sharp[1], [[[223.692, 255.0, 255.0], [0.0, 19.154, 84.385],
                                           [171.385, 222.615, 255.0]],
                                          [[255.0, 0.0, 42.923], [84.231, 149.462, 214.692],
                                           [255.0, 255.0, 0.0]]], atol=2e-3)   # Keras
    np.testing.assert_allclose(L.RandomSharpness((0.5, 0.5))(X).numpy(), X, atol=1e-3)
    assert np.array_equal(L.RandomSharpness(0.3)(X, training=False).numpy(), X)
    assert L.RandomSharpness(0.3).get_config()["factor"] == (0, 0.3)


def test_equalization_matches_keras():
    eq = L.Equalization()
    np.testing.assert_array_equal(
        eq(X).numpy(),
        [[[[0, 46, 93], [116, 162, 209], [232, 0, 46]], [[70, 116, 162], [185, 232, 0],
                                                         [46, 93, 139]]],
         [[[162, 209, 255], [23, 70, 116], [139, 185, 232]],
          [[255, 23, 70], [93, 139, 185], [209, 255, 23]]]])   # Keras
    eq8 = L.Equalization(bins=8, value_range=(0, 1))(X / 255.0).numpy()
    np.testing.assert_allclose(eq8[0, 0], [[0.0, 0.2, 0.4], [0.502, 0.698, 0.902],
                                           [1.0, 0.0, 0.2]], atol=1e-3)   # Keras
    flat = np.full((1, 2, 2, 1), 9.0, "float32")   # one occupied bin: kept
    np.testing.assert_array_equal(eq(flat).numpy(), flat)
    assert np.array_equal(eq(X, training=False).numpy(), X)
    assert eq.get_config()["value_range"] == [0, 255] and eq.get_config()["bins"] == 256


X5 = (np.arange(40, dtype="float32").reshape(2, 5, 4, 1) * 23) % 256
KERAS_BLUR3 = [[22.88, 41.911, 58.607, 50.089], [73.089, 115.0, 138.0, 110.571],
               [88.942, 136.838, 159.838, 126.425], [71.755, 113.162, 136.162, 109.237],
               [45.293, 72.786, 89.483, 72.503]]   # Keras, image 0, sigma 1, kernel 3
KERAS_BLUR5 = [[149.369, 185.207, 184.344, 41.648], [62.569, 90.257, 110.274, 97.774],
               [120.367, 152.063, 153.598, 152.7], [178.063, 198.1, 62.732, 54.996],
               [65.68, 88.698, 87.789, 92.014]]   # Keras, image 1, sigma 0.5, kernel 5


def test_random_gaussian_blur_matches_keras():
    y = L.RandomGaussianBlur(factor=(1.0, 1.0), sigma=(1.0, 1.0))(X5).numpy()
    np.testing.assert_allclose(y[0, ..., 0], KERAS_BLUR3, atol=2e-3)
    y5 = L.RandomGaussianBlur(factor=(1.0, 1.0), kernel_size=5, sigma=(0.5, 0.5))(X5).numpy()
    np.testing.assert_allclose(y5[1, ..., 0], KERAS_BLUR5, atol=2e-3)
    assert np.array_equal(L.RandomGaussianBlur()(X5, training=False).numpy(), X5)
    cfg = L.RandomGaussianBlur().get_config()
    assert cfg["kernel_size"] == (3, 3) and cfg["sigma"] == (0, 1.0) and cfg["factor"] == (0, 1.0)
