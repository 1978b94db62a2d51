"""Keras 3 image preprocessing layers (graphflow/keras/image_layers.py): values, shapes and
config keys against Keras 3.15 numbers (tests/data/keras_layers_breadth_ref.json, made
offline with the JAX backend from the same inputs), numpy references for the random layers'
formulas, and their behaviour in and out of training."""
import json
import os

import numpy as np
import pytest

import graphflow as tf
from graphflow import keras
from graphflow.keras import layers as L

REF = json.load(open(os.path.join(os.path.dirname(__file__), "data",
                                  "keras_layers_breadth_ref.json")))["image"]


def X(*s):
    return np.asarray(np.random.default_rng(sum(s)).uniform(0, 255, size=s), "float32")


IMG = X(2, 6, 8, 3)
CASES = {
    "resize_bilinear_down": (lambda: L.Resizing(3, 5), IMG, {}),
    "resize_bilinear_up": (lambda: L.Resizing(9, 11), IMG, {}),
    "resize_nearest": (lambda: L.Resizing(4, 5, interpolation="nearest"), IMG, {}),
    "resize_nearest_up": (lambda: L.Resizing(9, 13, interpolation="nearest"), IMG, {}),
    "resize_crop": (lambda: L.Resizing(4, 4, crop_to_aspect_ratio=True), IMG, {}),
    "resize_pad": (lambda: L.Resizing(4, 4, pad_to_aspect_ratio=True, fill_value=7.0), IMG, {}),
    "resize_pad_w": (lambda: L.Resizing(2, 8, pad_to_aspect_ratio=True), IMG, {}),
    "resize_single_cf": (lambda: L.Resizing(3, 4, data_format="channels_first"), X(3, 6, 8), {}),
    "center": (lambda: L.CenterCrop(3, 5), IMG, {}),
    "center_small": (lambda: L.CenterCrop(4, 10), IMG, {}),
    "randcrop_small": (lambda: L.RandomCrop(8, 4, seed=1), IMG, {}),
    "randcrop_inference": (lambda: L.RandomCrop(4, 4, seed=1), IMG, dict(training=False)),
    "contrast_inference": (lambda: L.RandomContrast(0.5), IMG, dict(training=False)),
    "bright_inference": (lambda: L.RandomBrightness(0.5), IMG, dict(training=False)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_keras(name):
    make, x, kw = CASES[name]
    layer = make()
    y = np.asarray(layer(x, **kw).numpy(), "float64")
    ref = REF[name]
    assert list(y.shape) == ref["shape"]
    np.testing.assert_allclose(y.ravel()[:16], ref["vals"], atol=2e-3)
    np.testing.assert_allclose(y.sum(), ref["sum"], rtol=1e-5)
    assert sorted(layer.get_config()) == ref["cfg"]
    clone = type(layer).from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    if "inference" not in name and "randcrop" not in name:
        shape = (None,) + x.shape[1:] if x.ndim == 4 else x.shape
        assert tuple(layer.compute_output_shape(shape)) == \
            ((None,) + y.shape[1:] if x.ndim == 4 else y.shape)


def test_random_crop_training_windows():
    x = np.arange(2 * 6 * 8, dtype="float32").reshape(2, 6, 8, 1)
    layer = L.RandomCrop(4, 5, seed=3)
    seen = set()
    for _ in range(12):
        y = layer(x).numpy()   # called directly: training (Keras 3)
        assert y.shape == (2, 4, 5, 1)
        top, left = divmod(int(y[0, 0, 0, 0]), 8)
        np.testing.assert_array_equal(y, x[:, top:top + 4, left:left + 5])
        seen.add((top, left))
    assert len(seen) > 1 and all(t <= 2 and l <= 3 for t, l in seen)


def test_random_contrast_and_brightness_formulas():
    x = X(3, 5, 4, 2)
    y = L.RandomContrast(0.4, seed=5)(x).numpy()
    mean = x.mean(axis=(1, 2), keepdims=True)
    # per image one factor: (y - mean) / (x - mean) is constant where nothing is clipped
    for i in range(3):
        ok = (y[i] > 0) & (y[i] < 255)
        ratio = ((y[i] - mean[i]) / (x[i] - mean[i]))[ok]
        assert np.ptp(ratio) < 1e-3 and 1.0 - 1e-4 <= ratio[0] <= 1.4 + 1e-4
    assert y.min() >= 0 and y.max() <= 255
    b = L.RandomBrightness((-0.2, 0.3), value_range=(0, 1), seed=2)
    z = x / 255.0
    w = b(z).numpy()
    for i in range(3):
        ok = (w[i] > 0) & (w[i] < 1)
        d = (w[i] - z[i])[ok]
        assert np.ptp(d) < 1e-5 and -0.2 - 1e-6 <= d[0] <= 0.3 + 1e-6
    assert w.min() >= 0 and w.max() <= 1


def test_random_layers_identity_in_predict_and_run_in_fit():
    model = keras.Sequential([keras.Input((6, 8, 3)), L.RandomCrop(4, 4, seed=1),
                              L.RandomContrast(0.2, seed=1), L.RandomBrightness(0.1, seed=1),
                              L.Resizing(4, 4), L.Flatten(), L.Dense(1)])
    # predict: RandomCrop passes the 6x8 image through, Resizing makes it 4x4
    p = model.predict(IMG, verbose=0)
    d = model.layers[-1]
    ref = L.Resizing(4, 4)(IMG).numpy().reshape(2, -1) @ d.kernel.numpy() + d.bias.numpy()
    np.testing.assert_allclose(p, ref, rtol=1e-4, atol=1e-3)
    model.compile("sgd", "mse", jit_compile=False)
    h = model.fit(IMG / 255.0, np.zeros((2, 1), "float32"), epochs=2, verbose=0)
    assert np.isfinite(h.history["loss"]).all()


def test_resizing_is_differentiable_and_traces():
    layer = L.Resizing(3, 5)
    x = tf.constant(IMG)
    with tf.GradientTape() as tape:
        tape.watch(x)
        s = tf.reduce_sum(layer(x))
    g = tape.gradient(s, x).numpy()
    # bilinear weights of each output pixel sum to 1: the input gradient sums to 3 * 5 * 2 * 3
    np.testing.assert_allclose(g.sum(), 3 * 5 * 2 * 3, rtol=1e-5)
    f = tf.function(lambda v: layer(v))
    np.testing.assert_allclose(f(x).numpy(), layer(x).numpy(), atol=1e-4)


def test_errors():
    with pytest.raises(ValueError, match=r"rank 3 or 4.*\(6, 8\)"):
        L.CenterCrop(2, 2)(np.ones((6, 8), "float32"))
    with pytest.raises(ValueError, match="factor"):
        L.RandomContrast(1.5)
    with pytest.raises(ValueError, match="Only one of"):
        L.Resizing(2, 2, crop_to_aspect_ratio=True, pad_to_aspect_ratio=True)
