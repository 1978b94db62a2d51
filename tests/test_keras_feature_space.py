"""keras.utils.FeatureSpace (the keras.io structured-data example's flow): encoded values
equal Keras 3.15.1's on the same data (measured with TF 2.21's Keras), and a model built on
the encoded features trains and serves raw feature dicts."""
import numpy as np

import graphflow as tf
from graphflow import keras
from graphflow.keras.utils import FeatureSpace   # importable by module path, as in Keras


def test_encodings_equal_keras():
    fs = FeatureSpace({"x": "float_discretized", "i": "integer_categorical", "s": "string_hashed"},
                      crosses=[("i", "s")], output_mode="dict", num_discretization_bins=3,
                      hashing_dim=4, crossing_dim=5)
    d = {"x": np.array([0.5, 1.5, 2.5, 3.5], np.float32), "i": np.array([1, 2, 2, 3]),
         "s": np.array(["p", "q", "r", "p"])}
    fs.adapt(d)
    out = {k: np.asarray(v).tolist() for k, v in fs(d).items()}
    e = np.eye(5).tolist()
    assert out["i"] == [[0, 0, 0, 1], [0, 1, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]]
    assert out["i_X_s"] == [e[3][:5], e[1][:5], e[1][:5], e[1][:5]]
    assert out["s"] == [[0, 1, 0, 0]] * 4
    assert out["x"] == [[1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 0, 1]]
    assert sorted(fs.get_inputs()) == ["i", "s", "x"]
    one = FeatureSpace({"x": "float_normalized",
                        "c": FeatureSpace.string_categorical(num_oov_indices=0)})
    one.adapt({"x": np.array([1., 3.], np.float32), "c": np.array(["a", "b"])})
    assert one({"x": np.float32(1.), "c": "b"}).numpy().tolist() == [1.0, 0.0, -1.0]


def test_structured_data_flow_trains_and_serves_raw_dicts():
    rng = np.random.default_rng(0)
    n = 200
    data = {"sex": rng.integers(0, 2, n), "cp": rng.integers(0, 4, n),
            "thal": rng.choice(["normal", "fixed", "reversible"], n),
            "age": rng.uniform(30, 70, n).astype("float32"),
            "chol": rng.normal(240, 40, n).astype("float32")}
    target = ((data["cp"] == 3) | (data["thal"] == "fixed")).astype("int64")
    ds = tf.data.Dataset.from_tensor_slices((data, target)).batch(32)
    fs = FeatureSpace(
        features={"sex": FeatureSpace.integer_categorical(num_oov_indices=0),
                  "cp": FeatureSpace.integer_categorical(num_oov_indices=0),
                  "thal": FeatureSpace.string_categorical(num_oov_indices=0),
                  "age": FeatureSpace.float_discretized(num_bins=30),
                  "chol": FeatureSpace.float_normalized()},
        crosses=[FeatureSpace.cross(("sex", "age"), crossing_dim=64),
                 FeatureSpace.cross(("thal", "cp"), crossing_dim=16)], output_mode="concat")
    fs.adapt(ds.map(lambda x, _: x))
    x0 = fs(next(iter(ds))[0])
    assert x0.shape == (32, 2 + 4 + 3 + 30 + 1 + 64 + 16) and x0.dtype == tf.float32
    encoded = fs.get_encoded_features()
    h = keras.layers.Dense(16, activation="relu")(encoded)
    pred = keras.layers.Dense(1, activation="sigmoid")(h)
    training_model = keras.Model(inputs=encoded, outputs=pred)   # starts mid-graph
    training_model.compile(optimizer=keras.optimizers.Adam(0.02), loss="binary_crossentropy",
                           metrics=["accuracy"])
    training_model.fit(ds.map(lambda x, y: (fs(x), y)), epochs=20, verbose=0)
    assert training_model.evaluate(ds.map(lambda x, y: (fs(x), y)), verbose=0)[1] > 0.95
    inference_model = keras.Model(inputs=fs.get_inputs(), outputs=pred)
    sample = {"sex": 1, "cp": 3, "thal": "normal", "age": 60, "chol": 250}
    p = inference_model.predict({k: keras.ops.convert_to_tensor([v]) for k, v in sample.items()},
                                verbose=0)
    direct = training_model.predict(fs({k: np.array([v]) for k, v in sample.items()}), verbose=0)
    np.testing.assert_allclose(p, direct, rtol=1e-5)
    assert p[0, 0] > 0.5
