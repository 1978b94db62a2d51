"""Keras' legacy whole-model HDF5 files (`model.save('m.h5')`, `keras.models.load_model`), as
Keras 3.15's `legacy_h5_format`: graphflow's files round-trip (weights, config, compile
config; Keras' warning on save) and a file written by Keras 3.15 itself loads
(tests/data/keras_legacy_seq.h5: Dense(4, relu) -> BatchNormalization -> Dense(1) after one
fit step; Keras predicted -0.5255946 for ones((2, 3)); Keras also loads graphflow's files)."""
import os

import numpy as np
import pytest

import graphflow as tf

pytest.importorskip("h5py")
keras = tf.keras
DATA = os.path.join(os.path.dirname(__file__), "data", "keras_legacy_seq.h5")


def test_legacy_h5_round_trip(tmp_path):
    m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="relu"),
                          keras.layers.BatchNormalization(), keras.layers.Dense(1)])
    m.compile(optimizer="adam", loss="mse", metrics=["mae"], jit_compile=False)
    m.fit(np.ones((8, 3), np.float32), np.ones((8, 1), np.float32), verbose=0)
    path = str(tmp_path / "m.h5")
    with pytest.warns(UserWarning, match="HDF5 file via `model.save\\(\\)`.*legacy"):
        m.save(path)
    r = keras.models.load_model(path)
    x = np.random.default_rng(0).random((5, 3)).astype(np.float32)
    np.testing.assert_array_equal(r.predict(x, verbose=0), m.predict(x, verbose=0))
    for a, b in zip(r.get_weights(), m.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert type(r.optimizer).__name__ == "Adam" and r.loss == "mse"
    m.save_weights(str(tmp_path / "w.weights.h5"))
    os.rename(tmp_path / "w.weights.h5", tmp_path / "w.h5")
    with pytest.raises(ValueError, match="no model found"):   # a weights-only file
        keras.models.load_model(str(tmp_path / "w.h5"))
    with pytest.raises(FileNotFoundError):
        keras.models.load_model(str(tmp_path / "missing.h5"))


def test_keras_written_legacy_h5_loads():
    r = keras.models.load_model(DATA, compile=False)
    assert [type(ly).__name__ for ly in r.layers] == ["Dense", "BatchNormalization", "Dense"]
    np.testing.assert_allclose(r.predict(np.ones((2, 3), np.float32), verbose=0),
                               [[-0.5255946]] * 2, rtol=1e-6)
