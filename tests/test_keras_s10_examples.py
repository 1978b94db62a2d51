"""keras.io code run unchanged with `from graphflow import keras` (tenth session): stacked RNN
cells' return_state structure, and more keras.io examples (see each test's docstring), with
values checked against numpy or Keras 3.15's own results."""
import numpy as np
import pytest

import graphflow as tf
from graphflow import keras

pytestmark = pytest.mark.usefixtures("keras_seeded")


def test_stacked_cells_return_state_structure_as_keras_3():
    """Keras 3.15: `RNN([LSTMCell(4), GRUCell(3)], return_state=True)` on a keras.Input gives
    `(output, [h1, c1], h2)` (one entry per cell; a single-state cell's is its tensor) and the
    model's flat outputs are shaped [(None, 3), (None, 4), (None, 4), (None, 3)]."""
    L = keras.layers
    inp = keras.Input((5, 3))
    out, (h1, c1), h2 = L.RNN([L.LSTMCell(4), L.GRUCell(3)], return_state=True)(inp)
    head = L.Dense(1)(h2)                  # a state is a tensor a layer takes
    m = keras.Model(inp, [out, h1, c1, h2, head])
    assert [tuple(t.shape) for t in m.outputs] == [(None, 3), (None, 4), (None, 4), (None, 3),
                                                   (None, 1)]
    x = np.linspace(-1, 1, 30, dtype="float32").reshape(2, 5, 3)
    o, a, c, b, y = m.predict(x, verbose=0)
    np.testing.assert_allclose(o, b, rtol=1e-6)   # a GRU's output is its state
    # the LSTM layer alone (same weights) gives the first cell's final states
    lstm = L.RNN(L.LSTMCell(4), return_state=True)
    lstm(x)
    lstm.set_weights(m.layers[1].get_weights()[:3])
    _, h_ref, c_ref = lstm(x)
    np.testing.assert_allclose(a, h_ref.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(c, c_ref.numpy(), rtol=1e-5, atol=1e-6)
    w, bias = m.layers[-1].get_weights()
    np.testing.assert_allclose(y, b @ w + bias, rtol=1e-5, atol=1e-6)


def test_custom_get_config_kept_as_written(tmp_path):
    """keras.io "Customizing Saving and Serialization": a layer whose `get_config` returns only
    its own arguments (and whose __init__ takes no base kwargs) - Keras 3.15 stores exactly that
    dict, and the model saves and loads (Sequential and functional) with the same outputs."""
    class Scale(keras.layers.Layer):
        def __init__(self, factor):
            super().__init__()
            self.factor = factor

        def call(self, x):
            return x * self.factor

        def get_config(self):
            return {"factor": self.factor}

    x = np.arange(6, dtype="float32").reshape(2, 3)
    seq = keras.Sequential([keras.Input((3,)), Scale(2.0), keras.layers.Dense(2)])
    assert seq.get_config()["layers"][1]["config"] == {"factor": 2.0}   # Keras 3.15
    inp = keras.Input((3,))
    fun = keras.Model(inp, keras.layers.Dense(2)(Scale(3.0)(inp)))
    for m, factor in ((seq, 2.0), (fun, 3.0)):
        path = str(tmp_path / "m.keras")
        m.save(path)
        back = keras.models.load_model(path, custom_objects={"Scale": Scale})
        k, b = m.layers[-1].get_weights()
        np.testing.assert_allclose(back.predict(x, verbose=0), factor * x @ k + b, rtol=1e-5)
