"""Keras 3 API details of issue 10: Sequential.inputs/outputs, per-output loss/metric dicts in
compile for multi-output functional models, custom objects through register_keras_serializable
and from_config(custom_objects=). Values against numpy."""
import numpy as np
import pytest

import graphflow as tf

keras = tf.keras


def test_sequential_inputs_outputs_feature_extractor():
    # Sequential guide: "Feature extraction with a Sequential model"
    initial_model = keras.Sequential([keras.Input(shape=(5,)),
                                      keras.layers.Dense(4, activation="relu", name="h"),
                                      keras.layers.Dense(3, name="out")])
    assert len(initial_model.inputs) == 1 and len(initial_model.outputs) == 1
    assert tuple(initial_model.inputs[0].shape) == (None, 5)
    assert tuple(initial_model.outputs[0].shape) == (None, 3)
    assert initial_model.output_names == ["out"]
    x = np.random.default_rng(0).normal(size=(2, 5)).astype("float32")
    extractor = keras.Model(inputs=initial_model.inputs, outputs=initial_model.outputs)
    out = extractor(x)
    out = out[0] if isinstance(out, (list, tuple)) else out
    np.testing.assert_allclose(out.numpy(), initial_model(x).numpy(), rtol=1e-6)
    k1, b1, k2, b2 = [w.numpy() for w in initial_model.weights]
    np.testing.assert_allclose(out.numpy(), np.maximum(x @ k1 + b1, 0) @ k2 + b2, rtol=1e-5,
                               atol=1e-6)
    # no new weights: the extractor shares the layers
    assert len(extractor.weights) == 4


def test_sequential_without_input_shape_has_no_inputs():
    m = keras.Sequential([keras.layers.Dense(2)])
    assert not hasattr(m, "inputs")
    with pytest.raises(AttributeError, match="no defined inputs"):
        m.outputs


def _two_output_model():
    inp = keras.Input(shape=(3,), name="x")
    h = keras.layers.Dense(4, activation="tanh", name="hidden")(inp)
    score = keras.layers.Dense(1, name="score")(h)
    cls = keras.layers.Dense(2, name="cls")(h)
    return keras.Model(inputs=inp, outputs=[score, cls])


def _data():
    r = np.random.default_rng(1)
    return (r.normal(size=(8, 3)).astype("float32"), r.normal(size=(8, 1)).astype("float32"),
            r.integers(0, 2, size=(8,)).astype("int32"))


def _sce(y, logits):
    z = logits - logits.max(-1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(-1, keepdims=True))
    return -logp[np.arange(len(y)), y].mean()


def test_per_output_loss_and_metric_dicts():
    model = _two_output_model()
    assert model.output_names == ["score", "cls"]
    model.compile(optimizer="sgd",
                  loss={"score": "mse",
                        "cls": keras.losses.SparseCategoricalCrossentropy(from_logits=True)},
                  loss_weights={"score": 2.0, "cls": 0.5},
                  metrics={"cls": ["accuracy"], "score": ["mae"]})
    x, y1, y2 = _data()
    res = model.evaluate(x, {"score": y1, "cls": y2}, verbose=0, return_dict=True)
    p1, p2 = [p.numpy() for p in model(x)]
    want = 2.0 * np.mean((p1 - y1) ** 2) + 0.5 * _sce(y2, p2)
    np.testing.assert_allclose(res["loss"], want, rtol=1e-5)
    np.testing.assert_allclose(res["score_mae"], np.mean(np.abs(p1 - y1)), rtol=1e-5)
    np.testing.assert_allclose(res["cls_accuracy"], np.mean(p2.argmax(-1) == y2), rtol=1e-6)
    # targets as a list in output order give the same
    res2 = model.evaluate(x, [y1, y2], verbose=0, return_dict=True)
    np.testing.assert_allclose(res2["loss"], res["loss"], rtol=1e-6)
    hist = model.fit(x, {"score": y1, "cls": y2}, epochs=2, batch_size=4, verbose=0)
    assert set(hist.history) == {"loss", "score_mae", "cls_accuracy", "score_loss", "cls_loss"}
    assert hist.history["loss"][1] < hist.history["loss"][0] + 1.0


def test_loss_dict_with_an_output_left_out_and_unknown_names():
    model = _two_output_model()
    model.compile(optimizer="sgd", loss={"score": "mse"})
    x, y1, y2 = _data()
    res = model.evaluate(x, {"score": y1}, verbose=0, return_dict=True)
    p1 = model(x)[0].numpy()
    np.testing.assert_allclose(res["loss"], np.mean((p1 - y1) ** 2), rtol=1e-5)
    bad = _two_output_model()
    bad.compile(optimizer="sgd", loss={"scores": "mse"})
    with pytest.raises(ValueError, match=r"\['scores'\].*\['score', 'cls'\]"):
        bad.evaluate(x, {"score": y1, "cls": y2}, verbose=0)


# ------------------------------------------------------------------ custom objects
class CustomDense(keras.layers.Layer):   # the functional API guide's layer: no **kwargs
    def __init__(self, units=32):
        super().__init__()
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units),
                                 initializer="random_normal", trainable=True)
        self.b = self.add_weight(shape=(self.units,), initializer="random_normal",
                                 trainable=True)

    def call(self, inputs):
        return tf.matmul(inputs, self.w) + self.b

    def get_config(self):
        return {"units": self.units}


def test_functional_from_config_with_custom_objects():
    # functional API guide: "Extend the API using custom layers"
    inputs = keras.Input((4,))
    outputs = CustomDense(10)(inputs)
    model = keras.Model(inputs, outputs)
    config = model.get_config()
    assert [l["class_name"] for l in config["layers"]] == ["InputLayer", "CustomDense"]
    new_model = keras.Model.from_config(config, custom_objects={"CustomDense": CustomDense})
    assert isinstance(new_model.layers[1], CustomDense) and new_model.layers[1].units == 10
    new_model.set_weights(model.get_weights())
    x = np.random.default_rng(2).normal(size=(3, 4)).astype("float32")
    np.testing.assert_allclose(new_model(x).numpy(), model(x).numpy(), rtol=1e-6)
    with pytest.raises(TypeError, match="Could not locate class 'CustomDense'"):   # Keras 3's
        keras.Model.from_config(config)


@keras.saving.register_keras_serializable(package="Issue10")
class Scale(keras.layers.Layer):
    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def call(self, x):
        return x * self.factor

    def get_config(self):
        config = super().get_config()
        config.update({"factor": self.factor})
        return config


def test_registered_layer_roundtrips_through_sequential_config():
    assert keras.saving.get_registered_name(Scale) == "Issue10>Scale"
    assert keras.saving.get_registered_object("Issue10>Scale") is Scale
    assert keras.saving.get_registered_object("Issue10>Nope") is None
    m = keras.Sequential([keras.Input(shape=(3,)), Scale(3.0, name="sc"),
                          keras.layers.Dense(2, name="d")])
    m2 = keras.Sequential.from_config(m.get_config())   # no custom_objects: the registry
    assert isinstance(m2.layers[0], Scale) and m2.layers[0].factor == 3.0
    assert [l.name for l in m2.layers] == ["sc", "d"]
    m2.set_weights(m.get_weights())
    x = np.arange(6, dtype="float32").reshape(2, 3)
    k, b = [w.numpy() for w in m.weights]
    np.testing.assert_allclose(m2(x).numpy(), (3.0 * x) @ k + b, rtol=1e-6)


def test_subclassed_model_from_config_calls_the_constructor():
    class Net(keras.Model):
        def __init__(self, hidden=3, **kwargs):
            super().__init__(**kwargs)
            self.hidden = hidden
            self.d = keras.layers.Dense(hidden)

        def call(self, x):
            return self.d(x)

        def get_config(self):
            return {"hidden": self.hidden}
    n = Net.from_config(Net(5).get_config())
    assert isinstance(n, Net) and n.hidden == 5
    assert n(np.ones((1, 2), "float32")).shape == (1, 5)


def test_per_output_compile_dicts_survive_save_and_load(tmp_path):
    model = _two_output_model()
    model.compile(optimizer="sgd",
                  loss={"score": "mse",
                        "cls": keras.losses.SparseCategoricalCrossentropy(from_logits=True)},
                  loss_weights={"score": 2.0, "cls": 0.5},
                  metrics={"cls": ["accuracy"], "score": ["mae"]})
    x, y1, y2 = _data()
    want = model.evaluate(x, {"score": y1, "cls": y2}, verbose=0, return_dict=True)
    path = str(tmp_path / "two.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    got = loaded.evaluate(x, {"score": y1, "cls": y2}, verbose=0, return_dict=True)
    assert set(got) == set(want)
    for k in want:
        np.testing.assert_allclose(got[k], want[k], rtol=1e-6)


def test_keras_variable_attribute_is_a_weight_raw_tf_variable_is_not():
    # Keras 3 (and TF 2.21's tf.keras): only Keras variables are tracked as layer weights
    class L(tf.keras.layers.Layer):
        def __init__(self):
            super().__init__()
            self.scale = tf.keras.Variable([1.0, 2.0], name="scale")
            self.raw = tf.Variable(3.0)
            self.k = tf.keras.Variable("zeros", shape=(2,), trainable=False, name="k")

        def call(self, x):
            return x * self.scale * self.raw + self.k
    layer = L()
    np.testing.assert_array_equal(layer(tf.ones((1, 2))).numpy(), [[3.0, 6.0]])
    assert [w.name for w in layer.trainable_weights] == ["scale"]
    assert [w.name for w in layer.non_trainable_weights] == ["k"]


def test_dot_layer_as_keras_3():
    # shapes/values checked against Keras 3.15 (jax): batch dot products along `axes`
    rng = np.random.RandomState(0)
    x, y = rng.rand(4, 5, 3).astype("float32"), rng.rand(4, 5, 6).astype("float32")
    out = tf.keras.layers.Dot(axes=1)([x, y]).numpy()
    np.testing.assert_allclose(out, np.einsum("bdn,bdm->bnm", x, y), rtol=1e-5)
    x2 = rng.rand(4, 3, 5).astype("float32")
    np.testing.assert_allclose(tf.keras.layers.Dot(axes=(2, 1))([x2, x2.transpose(0, 2, 1)]),
                               x2 @ x2.transpose(0, 2, 1), rtol=1e-5)
    a, b = tf.keras.Input((5,)), tf.keras.Input((5,))
    model = tf.keras.Model([a, b], tf.keras.layers.dot([a, b], axes=1, normalize=True))
    xa, xb = rng.rand(3, 5).astype("float32"), rng.rand(3, 5).astype("float32")
    cos = (xa * xb).sum(1) / np.linalg.norm(xa, axis=1) / np.linalg.norm(xb, axis=1)
    np.testing.assert_allclose(model.predict([xa, xb], verbose=0)[:, 0], cos, rtol=1e-5)
    assert tf.keras.layers.Dot(axes=1).get_config()["axes"] == 1
