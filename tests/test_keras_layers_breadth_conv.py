"""Keras 3 convolution / pooling layers of graphflow/keras/conv_extra.py: outputs (with the
same weights), parameter counts, weight shapes and names, layer names and config keys against
Keras 3.15 (JAX backend) numbers made offline (tests/data/keras_layers_breadth_ref.json);
Conv3D against a numpy loop, gradients against finite differences."""
import json
import os
import re

import numpy as np
import pytest

import graphflow as tf
from graphflow import keras
from graphflow.keras import layers as L

REF = json.load(open(os.path.join(os.path.dirname(__file__), "data",
                                  "keras_layers_breadth_ref.json")))["conv"]


def X(*s):
    return np.asarray(np.random.default_rng(sum(s)).normal(size=s), "float32")


def W(layer):
    return [np.asarray(np.random.default_rng(i + 7).normal(size=tuple(w.shape)) * 0.5, "float32")
            for i, w in enumerate(layer.weights)]


X3, X5 = X(2, 9, 3), X(2, 5, 6, 7, 3)
CASES = {
    "c1t_valid": (lambda: L.Conv1DTranspose(4, 3, strides=2), X3),
    "c1t_same": (lambda: L.Conv1DTranspose(4, 4, strides=2, padding="same"), X3),
    "c1t_outpad": (lambda: L.Conv1DTranspose(2, 3, strides=3, output_padding=1), X3),
    "dw1": (lambda: L.DepthwiseConv1D(3, depth_multiplier=2), X3),
    "dw1_same_dil": (lambda: L.DepthwiseConv1D(3, padding="same", dilation_rate=2), X3),
    "sep1": (lambda: L.SeparableConv1D(5, 3, strides=2, depth_multiplier=2), X3),
    "sep1_same": (lambda: L.SeparableConv1D(4, 3, padding="same"), X3),
    "c3": (lambda: L.Conv3D(4, 3), X5),
    "c3_same_strided": (lambda: L.Conv3D(2, (2, 3, 3), strides=(2, 1, 2), padding="same"), X5),
    "c3_dil": (lambda: L.Conv3D(2, 2, dilation_rate=(2, 1, 2)), X5),
    "c3_groups": (lambda: L.Conv3D(6, 2, groups=3), X5),
    "c3_cf": (lambda: L.Conv3D(2, 2, data_format="channels_first"), X(2, 3, 5, 6, 7)),
    "c3t_valid": (lambda: L.Conv3DTranspose(2, 3, strides=2), X5),
    "c3t_same": (lambda: L.Conv3DTranspose(2, (2, 3, 4), strides=(2, 1, 2), padding="same"), X5),
    "mp3": (lambda: L.MaxPooling3D(), X5),
    "mp3_same": (lambda: L.MaxPooling3D((2, 3, 2), strides=(2, 2, 1), padding="same"), X5),
    "ap3": (lambda: L.AveragePooling3D((2, 2, 3)), X5),
    "ap3_same": (lambda: L.AveragePooling3D((3, 2, 2), strides=(2, 2, 2), padding="same"), X5),
    "gap3": (lambda: L.GlobalAveragePooling3D(), X5),
    "gmp3": (lambda: L.GlobalMaxPooling3D(keepdims=True), X5),
    "gap3_cf": (lambda: L.GlobalAveragePooling3D(data_format="channels_first"), X5),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_keras(name):
    keras.backend.clear_session()
    make, x = CASES[name]
    layer = make()
    layer(x)
    layer.set_weights(W(layer))
    y = np.asarray(layer(x).numpy(), "float64")
    ref = REF[name]
    assert list(y.shape) == ref["shape"]
    np.testing.assert_allclose(y.ravel()[:12], ref["vals"], atol=1e-4)
    np.testing.assert_allclose(y.sum(), ref["sum"], rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(np.abs(y).sum(), ref["abs"], rtol=1e-4)
    assert layer.count_params() == ref["params"]
    assert [list(w.shape) for w in layer.weights] == ref["wshapes"]
    assert [w.name for w in layer.weights] == ref["wnames"]
    assert re.sub(r"_\d+$", "", layer.name) == re.sub(r"_\d+$", "", ref["name"])
    assert sorted(layer.get_config()) == ref["cfg"]
    shape = (None,) + x.shape[1:]
    assert tuple(layer.compute_output_shape(shape)) == (None,) + tuple(y.shape[1:])
    clone = type(layer).from_config(layer.get_config())
    clone(x)
    clone.set_weights(layer.get_weights())
    np.testing.assert_allclose(clone(x).numpy(), y, rtol=1e-5, atol=1e-5)


def _conv3d_numpy(x, w, stride):
    n, d, h, wd, c = x.shape
    kd, kh, kw, _, f = w.shape
    od, oh, ow = [(a - k) // s + 1 for a, k, s in zip((d, h, wd), (kd, kh, kw), stride)]
    out = np.zeros((n, od, oh, ow, f))
    for i in range(od):
        for j in range(oh):
            for k in range(ow):
                win = x[:, i * stride[0]:i * stride[0] + kd, j * stride[1]:j * stride[1] + kh,
                        k * stride[2]:k * stride[2] + kw]
                out[:, i, j, k] = np.einsum("ndhwc,dhwcf->nf", win, w)
    return out


def test_conv3d_vs_numpy_and_gradients():
    layer = L.Conv3D(3, (2, 3, 2), strides=(2, 1, 2), use_bias=False, dtype="float64")
    x = X(2, 5, 4, 5, 2).astype("float64")
    y = layer(x).numpy()
    np.testing.assert_allclose(y, _conv3d_numpy(x, layer.kernel.numpy(), (2, 1, 2)), atol=1e-10)
    proj = np.random.default_rng(3).normal(size=y.shape)
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        s = tf.reduce_sum(layer(xt) * proj)
    dx, dk = tape.gradient(s, [xt, layer.kernel])
    # the output is linear in each: the sums against the projection recover it exactly
    np.testing.assert_allclose(float(tf.reduce_sum(dk * layer.kernel)), float(s), rtol=1e-10)
    np.testing.assert_allclose(float(tf.reduce_sum(dx * xt)), float(s), rtol=1e-10)
    e = np.zeros_like(x)
    e[1, 2, 1, 3, 0] = 1e-6
    fd = (np.sum(layer(x + e).numpy() * proj) - np.sum(layer(x - e).numpy() * proj)) / 2e-6
    np.testing.assert_allclose(dx.numpy()[1, 2, 1, 3, 0], fd, rtol=1e-6)


def test_conv3d_transpose_is_the_adjoint_of_conv3d():
    """<conv3d(u), v> == <u, conv3d_transpose(v)> with the same kernel (padding 'same')."""
    from graphflow.keras.conv_extra import conv3d, conv3d_transpose
    k = tf.constant(X(2, 3, 2, 2, 3).astype("float64"))
    u = tf.constant(X(1, 6, 5, 6, 2).astype("float64"))
    cu = conv3d(u, k, (2, 1, 2), "same", (1, 1, 1))
    v = tf.constant(np.random.default_rng(0).normal(size=tuple(cu.shape)))
    ctv = conv3d_transpose(v, k, (6, 5, 6), (2, 1, 2), "same", (1, 1, 1))
    np.testing.assert_allclose(float(tf.reduce_sum(cu * v)), float(tf.reduce_sum(u * ctv)),
                               rtol=1e-10)


def test_3d_model_trains_with_unknown_batch():
    model = keras.Sequential([keras.Input((4, 6, 6, 1)), L.Conv3D(2, 3, padding="same",
                                                                  activation="relu"),
                              L.MaxPooling3D(2), L.Conv3DTranspose(1, 2, strides=2),
                              L.GlobalAveragePooling3D(), L.Dense(1)])
    assert model.output_shape == (None, 1)
    model.compile("adam", "mse", jit_compile=False)
    x = X(6, 4, 6, 6, 1)
    h = model.fit(x, np.ones((6, 1), "float32"), batch_size=4, epochs=2, verbose=0)
    assert np.isfinite(h.history["loss"]).all()
    np.testing.assert_allclose(model.predict(x[:3], verbose=0), model(x[:3]).numpy(), rtol=1e-5)


def test_errors():
    with pytest.raises(ValueError, match=r"rank 5.*\(2, 9, 3\)"):
        L.Conv3D(2, 2)(X3)
    with pytest.raises(ValueError, match="padding"):
        L.Conv3D(2, 2, padding="causal")


LREF = json.load(open(os.path.join(os.path.dirname(__file__), "data",
                                   "keras_layers_breadth_ref.json")))["convlstm"]
X6 = X(2, 3, 6, 5, 2)
LSTM_CASES = {
    "cl2": (lambda: L.ConvLSTM2D(3, 3), X6),
    "cl2_seq_same": (lambda: L.ConvLSTM2D(2, (3, 2), padding="same", return_sequences=True), X6),
    "cl2_state_back": (lambda: L.ConvLSTM2D(2, 2, strides=2, return_state=True,
                                            go_backwards=True), X6),
    "cl1": (lambda: L.ConvLSTM1D(4, 3, return_sequences=True), X(2, 4, 7, 3)),
}


@pytest.mark.parametrize("name", sorted(LSTM_CASES))
def test_conv_lstm_matches_keras(name):
    make, x = LSTM_CASES[name]
    layer = make()
    layer(x)
    layer.set_weights([np.asarray(np.random.default_rng(i + 7).normal(size=tuple(w.shape)) * 0.3,
                                  "float32") for i, w in enumerate(layer.weights)])
    ys = layer(x)
    ys = ys if isinstance(ys, list) else [ys]
    ref = LREF[name]
    assert [list(y.shape) for y in ys] == ref["shapes"]
    for y, vals, total in zip(ys, ref["vals"], ref["sums"]):
        np.testing.assert_allclose(y.numpy().ravel()[:10], vals, atol=1e-4)
        np.testing.assert_allclose(float(np.sum(y.numpy(), dtype="float64")), total, rtol=1e-4,
                                   atol=1e-4)
    assert layer.count_params() == ref["params"]
    assert [list(w.shape) for w in layer.weights] == ref["wshapes"]
    assert [w.name for w in layer.weights] == ref["wnames"]
    assert sorted(layer.get_config()) == ref["cfg"]
    out_shape = layer.compute_output_shape((None,) + x.shape[1:])
    first = out_shape[0] if isinstance(out_shape, list) else out_shape
    assert tuple(first) == (None,) + tuple(ys[0].shape[1:])


def test_conv_lstm_bias_init_and_next_frame_model():
    """Keras's unit forget bias, and the next-frame video prediction example's shape:
    ConvLSTM2D (return_sequences) + BatchNormalization + Conv3D, trained for a step."""
    b = L.ConvLSTM2D(2, 2)
    b(X6)
    np.testing.assert_array_equal(b.bias.numpy(), LREF["bias_init"])
    inp = keras.Input(shape=(None, 8, 8, 1))
    y = L.ConvLSTM2D(4, (3, 3), padding="same", return_sequences=True, activation="relu")(inp)
    y = L.BatchNormalization()(y)
    out = L.Conv3D(1, (3, 3, 3), activation="sigmoid", padding="same")(y)
    model = keras.Model(inp, out)
    model.compile("adam", "binary_crossentropy", jit_compile=False)
    frames = np.random.default_rng(0).uniform(size=(4, 3, 8, 8, 1)).astype("float32")
    h = model.fit(frames, frames, epochs=1, batch_size=2, verbose=0)
    assert np.isfinite(h.history["loss"]).all()
    assert model.predict(frames[:1], verbose=0).shape == (1, 3, 8, 8, 1)


def test_keras_file_round_trip(tmp_path):
    """A .keras file of a model made of the new layers loads back with equal outputs, and the
    saved configs carry Keras's keys only (Conv3D: groups, no output_padding). Offline, Keras
    3.15 loaded such a file and matched graphflow's outputs to 6e-8."""
    model = keras.Sequential([
        keras.Input((4, 6, 6, 2)), L.Conv3D(3, 2, padding="same"), L.GroupNormalization(3),
        L.TimeDistributed(L.Flatten()), L.PReLU(), L.Permute((2, 1)), L.UnitNormalization(),
        L.Conv1DTranspose(2, 3), L.GlobalAveragePooling1D()])
    x = X(2, 4, 6, 6, 2)
    path = str(tmp_path / "m.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    np.testing.assert_allclose(loaded(x).numpy(), model(x).numpy(), rtol=1e-6, atol=1e-7)
    cfg = json.loads(model.to_json())["config"]["layers"]
    assert sorted(cfg[1]["config"]) == REF["c3"]["cfg"]
    assert sorted(cfg[7]["config"]) == REF["c1t_valid"]["cfg"]
