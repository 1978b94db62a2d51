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
    cells = L.StackedRNNCells([L.LSTMCell(4), L.GRUCell(3)])
    assert (cells.state_size, cells.output_size) == ([[4, 4], 3], 3)   # Keras 3.15
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


def test_layer_metric_updated_in_call_is_logged():
    """keras.io "Endpoint layer pattern": a Metric attribute of a layer, updated in the layer's
    `call`, is one of `model.metrics` and is logged by fit / evaluate (Keras 3.15:
    history keys ['binary_accuracy', 'loss'], metrics ['loss', 'binary_accuracy'])."""
    class LogisticEndpoint(keras.layers.Layer):
        def __init__(self, name=None):
            super().__init__(name=name)
            self.loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)
            self.accuracy_fn = keras.metrics.BinaryAccuracy()

        def call(self, targets, logits, sample_weights=None):
            loss = self.loss_fn(targets, logits, sample_weights)
            self.add_loss(loss)
            self.accuracy_fn.update_state(targets, logits, sample_weights)
            return keras.ops.softmax(logits)

    inputs = keras.Input((5,), name="inputs")
    logits = keras.layers.Dense(1)(inputs)
    targets = keras.Input((1,), name="targets")
    sample_weights = keras.Input((1,), name="sample_weights")
    preds = LogisticEndpoint()(targets, logits, sample_weights)
    model = keras.Model([inputs, targets, sample_weights], preds)
    rng = np.random.default_rng(0)
    data = {"inputs": rng.normal(size=(32, 5)).astype("float32"),
            "targets": (rng.uniform(size=(32, 1)) > 0.5).astype("float32"),
            "sample_weights": rng.uniform(size=(32, 1)).astype("float32")}
    model.compile(keras.optimizers.Adam(1e-3))
    h = model.fit(data, epochs=2, batch_size=8, verbose=0)
    assert sorted(h.history) == ["binary_accuracy", "loss"]
    assert [m.name for m in model.metrics] == ["loss", "binary_accuracy"]
    for _ in range(2):   # reset between runs: the same value twice
        ev = model.evaluate(data, batch_size=8, verbose=0, return_dict=True)
        dense, = [l for l in model.layers if isinstance(l, keras.layers.Dense)]
        k, b = dense.get_weights()
        pred = (data["inputs"] @ k + b) > 0.5
        w = data["sample_weights"]
        want = float((w * (pred == (data["targets"] > 0.5))).sum() / w.sum())
        np.testing.assert_allclose(ev["binary_accuracy"], want, rtol=1e-5)


def test_variance_scaling_axes_as_keras_315():
    """Keras 3.15's VarianceScaling `input_axes` / `output_axes`: the fans are the products of
    those axes; the presets' configs carry them (a Keras 3.15 file's initializer loads)."""
    init = keras.initializers.VarianceScaling(2.0, "fan_out", "uniform", seed=1,
                                              input_axes=[0], output_axes=[1])
    w = init((30, 4, 50)).numpy()
    limit = np.sqrt(3 * 2.0 / 4)   # fan_out = shape[1]
    assert np.abs(w).max() <= limit and np.abs(w).max() > 0.9 * limit
    assert keras.initializers.HeNormal().get_config() == {
        "seed": None, "input_axes": None, "output_axes": None}
    back = keras.initializers.deserialize(keras.initializers.serialize(init))
    assert (back.input_axes, back.output_axes, back.mode) == ([0], [1], "fan_out")


def test_layer_normalization_keras_3_arguments():
    """Keras 3.15's LayerNormalization arguments: beta/gamma initializers and regularizers,
    rms_scaling (x / sqrt(var + eps) * gamma, no centring, no beta); the config as Keras's."""
    L = keras.layers
    x = np.array([[1.0, 2.0, 4.0], [0.5, -1.0, 3.0]], "float32")
    ln = L.LayerNormalization(rms_scaling=True, gamma_initializer=keras.initializers.Constant(2.0))
    want = 2.0 * x / np.sqrt(x.var(-1, keepdims=True) + 1e-3)
    np.testing.assert_allclose(ln(x).numpy(), want, rtol=1e-5)
    assert [w.name for w in ln.weights] == ["gamma"]   # Keras 3.15: one weight
    ln2 = L.LayerNormalization(beta_initializer=keras.initializers.Constant(0.5),
                               gamma_regularizer="l2")
    y = ln2(x).numpy()
    np.testing.assert_allclose(y.mean(-1), 0.5, atol=1e-5)
    np.testing.assert_allclose(float(ln2.losses[0]), 0.01 * 3, rtol=1e-5)   # l2(0.01)*sum(1)
    cfg = ln2.get_config()
    assert cfg["gamma_regularizer"] == {"module": "keras.regularizers", "class_name": "L2",
                                        "config": {"l2": 0.01}, "registered_name": None}
    assert {k for k in cfg} == {"name", "trainable", "dtype", "axis", "epsilon", "center",
                                "scale", "rms_scaling", "beta_initializer",
                                "gamma_initializer", "beta_regularizer", "gamma_regularizer",
                                "beta_constraint", "gamma_constraint"}   # Keras 3.15's keys
    back = L.LayerNormalization.from_config(cfg)
    back.build((None, 3))
    np.testing.assert_allclose(back.beta.numpy(), 0.5)


class Lin(keras.layers.Layer):
    """A user layer without get_config (Keras 3's auto-config gives its arguments)."""

    def __init__(self, units=32, act="relu", **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, shape):
        self.w = self.add_weight(shape=(shape[-1], self.units), name="w")

    def call(self, x):
        return x @ self.w


def test_auto_config_of_a_layer_without_get_config(tmp_path):
    """Keras 3's auto-config: a user layer that does not write get_config still gets its
    plain constructor arguments (defaults included) in its config, so from_config and a saved
    model rebuild it with them (Keras 3.15: `{'name': 'l', 'units': 5, 'act': 'relu', ...}`);
    a non-plain argument leaves them out."""
    cfg = Lin(5, name="l").get_config()
    assert {k: cfg[k] for k in ("name", "units", "act", "trainable")} == {
        "name": "l", "units": 5, "act": "relu", "trainable": True}
    assert Lin.from_config(Lin(7, act="tanh").get_config()).units == 7

    class Obj(keras.layers.Layer):
        def __init__(self, thing, **kwargs):
            super().__init__(**kwargs)
            self.thing = thing
    assert set(Obj(object()).get_config()) == {"name", "trainable", "dtype"}

    m = keras.Sequential([keras.Input((3,)), Lin(4)])
    path = str(tmp_path / "lin.keras")
    m.save(path)
    back = keras.models.load_model(path, custom_objects={"Lin": Lin})
    assert back.layers[0].units == 4
    x = np.ones((2, 3), "float32")
    np.testing.assert_allclose(back.predict(x, verbose=0), x @ m.layers[0].w.numpy(), rtol=1e-6)


def test_clone_model_with_an_unregistered_custom_layer():
    """Keras 3's clone_model rebuilds each layer from its own class: a custom layer needs no
    registration (its auto-config carries `units`); the clone has fresh weights."""
    i = keras.Input((2,))
    for m in (keras.Sequential([keras.Input((2,)), Lin(4)]), keras.Model(i, Lin(5)(i))):
        c = keras.models.clone_model(m)
        assert c.count_params() == m.count_params() and type(c.layers[-1]) is Lin
        assert not np.array_equal(c.layers[-1].w.numpy(), m.layers[-1].w.numpy())
