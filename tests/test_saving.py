"""Keras 3 `.keras` / `.weights.h5` files both ways, and refusal of unsafe files.

The `tests/data/keras_*.keras` fixtures were written by real Keras 3 (see
tools/make_keras_fixtures.py for how); a round trip through Keras itself runs only when
`keras` is importable (never a dependency of the tests).
"""
import io
import json
import os
import pickle
import zipfile

import numpy as np
import pytest

import graphflow as tf

h5py = pytest.importorskip("h5py")
k = tf.keras
DATA = os.path.join(os.path.dirname(__file__), "data")


def _io(name):
    d = np.load(os.path.join(DATA, f"{name}_io.npz"), allow_pickle=False)
    xs = [d[n] for n in sorted(d.files) if n.startswith("x")]
    return (xs if len(xs) > 1 else xs[0]), d["y"]


@pytest.mark.parametrize("name", ["keras_seq", "keras_fn", "keras_cnn"])
def test_load_files_written_by_keras3(name):
    model = k.models.load_model(os.path.join(DATA, f"{name}.keras"))
    x, y = _io(name)
    np.testing.assert_allclose(model(x).numpy(), y, rtol=1e-5, atol=1e-6)


def test_keras3_optimizer_state_and_compile_config():
    model = k.models.load_model(os.path.join(DATA, "keras_seq.keras"))
    assert isinstance(model.optimizer, k.optimizers.Adam) and model.loss == "mse"
    with zipfile.ZipFile(os.path.join(DATA, "keras_seq.keras")) as z:
        h = h5py.File(io.BytesIO(z.read("model.weights.h5")), "r")
        want = [np.asarray(h["optimizer/vars"][str(i)]) for i in range(len(h["optimizer/vars"]))]
    got = [v.numpy() for v in model.optimizer.variables]
    assert int(got[0]) == int(want[0]) == 2          # 16 samples / batch 8, one epoch
    for g, w in zip(got[1:], want[1:]):
        np.testing.assert_allclose(g, w, rtol=1e-6)
    assert np.abs(got[2]).sum() > 0                   # a first moment, not fresh zeros


def test_load_keras3_weights_h5_into_graphflow_model():
    model = k.Sequential([k.Input((4,)), k.layers.Dense(5, activation="relu"), k.layers.Dense(2)])
    model.load_weights(os.path.join(DATA, "keras_seq.weights.h5"))
    x, y = _io("keras_seq")
    np.testing.assert_allclose(model(x).numpy(), y, rtol=1e-5, atol=1e-6)


def _functional():
    a, b = k.Input((4,), name="a"), k.Input((4,), name="b")
    s = k.layers.Add()([k.layers.Dense(3, activation="tanh")(a), k.layers.Dense(3)(b)])
    s = k.layers.BatchNormalization()(s)
    model = k.Model([a, b], k.layers.Dense(1, activation="sigmoid")(s))
    model.get_layer(index=-2).moving_mean.assign(np.array([0.1, -0.2, 0.3], "float32"))
    return model


def test_graphflow_round_trip_layout_and_values(tmp_path):
    model = k.Sequential([k.Input((4,)), k.layers.Dense(5, activation="relu"),
                          k.layers.Dropout(0.5), k.layers.Dense(2)])
    model.compile(optimizer="adam", loss="mse", jit_compile=False)
    rng = np.random.default_rng(1)
    model.fit(rng.normal(size=(16, 4)), rng.normal(size=(16, 2)), epochs=1, batch_size=8,
              verbose=0)
    path = str(tmp_path / "m.keras")
    model.save(path)
    with zipfile.ZipFile(path) as z:
        assert sorted(z.namelist()) == ["config.json", "metadata.json", "model.weights.h5"]
        cfg = json.loads(z.read("config.json"))
        h = h5py.File(io.BytesIO(z.read("model.weights.h5")), "r")
        # Keras 3's layout: container name = snake_case class name + counter
        assert h["layers/dense/vars"].attrs["name"] == model.layers[0].name
        assert h["layers/dense_1/vars/0"].shape == (5, 2)
        assert len(h["optimizer/vars"]) == 2 + 2 * 4   # iterations, lr, (m, v) per variable
    assert cfg["class_name"] == "Sequential"
    assert [l["class_name"] for l in cfg["config"]["layers"]] == \
        ["InputLayer", "Dense", "Dropout", "Dense"]
    dense = cfg["config"]["layers"][1]["config"]
    assert dense["units"] == 5 and dense["activation"] == "relu"
    assert dense["kernel_initializer"]["class_name"] == "GlorotUniform"
    assert cfg["compile_config"]["optimizer"]["class_name"] == "Adam"
    again = k.models.load_model(path)
    x = rng.normal(size=(3, 4)).astype("float32")
    np.testing.assert_allclose(again(x).numpy(), model(x).numpy(), rtol=1e-6)
    assert int(again.optimizer.iterations.numpy()) == 2
    for a, b in zip(again.optimizer.variables, model.optimizer.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_functional_round_trip_and_weights_h5(tmp_path):
    model = _functional()
    x = [np.random.default_rng(2).normal(size=(3, 4)).astype("float32")] * 2
    model.save(str(tmp_path / "f.keras"))
    again = k.models.load_model(str(tmp_path / "f.keras"))
    np.testing.assert_allclose(again(x).numpy(), model(x).numpy(), rtol=1e-6)
    model.save_weights(str(tmp_path / "f.weights.h5"))
    fresh = _functional()
    fresh.load_weights(str(tmp_path / "f.weights.h5"))
    np.testing.assert_allclose(fresh(x).numpy(), model(x).numpy(), rtol=1e-6)
    with pytest.raises(ValueError, match=r"\.weights\.h5"):
        model.save_weights(str(tmp_path / "f.npz"))
    with pytest.raises(ValueError, match=r"\.keras"):   # (.h5: Keras' legacy file, see
        model.save(str(tmp_path / "f.npz"))             # test_keras_legacy_h5.py)


def test_custom_objects_and_registry(tmp_path):
    class Scale(k.layers.Layer):
        def __init__(self, factor=2.0, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def call(self, x):
            return x * self.factor

    model = k.Sequential([k.Input((2,)), Scale(3.0)])
    path = str(tmp_path / "c.keras")
    model.save(path)
    with pytest.raises(TypeError, match="Could not locate class 'Scale'"):   # Keras 3's
        k.models.load_model(path)
    again = k.models.load_model(path, custom_objects={"Scale": Scale})
    np.testing.assert_allclose(again(np.ones((1, 2), "float32")).numpy(), [[3.0, 3.0]])


# ------------------------------------------------------------------ malicious files
class _Boom:
    def __reduce__(self):
        return (os.system, ("touch /tmp/graphflow_pwned_by_pickle",))


def _zip(path, members):
    with zipfile.ZipFile(path, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)


def _good_members():
    with zipfile.ZipFile(os.path.join(DATA, "keras_seq.keras")) as z:
        return {n: z.read(n) for n in z.namelist()}


def test_refuses_pickle_payload(tmp_path):
    path = tmp_path / "evil.keras"
    path.write_bytes(pickle.dumps(_Boom()))
    with pytest.raises(ValueError, match="not a Keras 3"):
        k.models.load_model(str(path))
    assert not os.path.exists("/tmp/graphflow_pwned_by_pickle")


def test_refuses_lambda_layer(tmp_path):
    m = _good_members()
    cfg = json.loads(m["config.json"])
    cfg["config"]["layers"].insert(1, {
        "module": "keras.layers", "class_name": "Lambda", "registered_name": None,
        "config": {"name": "lam", "function": {"class_name": "__lambda__", "config": {
            "code": "4wEAAAAAAAAA", "defaults": None, "closure": None}}}})
    m["config.json"] = json.dumps(cfg)
    path = str(tmp_path / "lambda.keras")
    _zip(path, m)
    for safe in (True, False):
        with pytest.raises(ValueError, match="serialized Python code"):
            k.models.load_model(path, safe_mode=safe)
    with pytest.raises(ValueError, match="Lambda"):
        k.Sequential([k.Input((2,)), k.layers.Lambda(lambda x: x)]).save(
            str(tmp_path / "l2.keras"))


def test_refuses_path_traversal_member(tmp_path):
    m = _good_members()
    m["../../escaped.txt"] = b"x"
    target = tmp_path / "sub"
    target.mkdir()
    path = str(target / "trav.keras")
    _zip(path, m)
    before = set(os.listdir(tmp_path))
    with pytest.raises(ValueError, match="outside the archive"):
        k.models.load_model(path)
    assert set(os.listdir(tmp_path)) == before and os.listdir(target) == ["trav.keras"]


def test_refuses_corrupt_hdf5(tmp_path):
    m = _good_members()
    m["model.weights.h5"] = m["model.weights.h5"][:300]
    path = str(tmp_path / "trunc.keras")
    _zip(path, m)
    with pytest.raises(ValueError, match="HDF5"):
        k.models.load_model(path)
    bad = tmp_path / "bad.weights.h5"
    bad.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 40)
    model = k.Sequential([k.Input((4,)), k.layers.Dense(5), k.layers.Dense(2)])
    with pytest.raises(ValueError, match="HDF5"):
        model.load_weights(str(bad))


def test_module_field_is_never_imported(tmp_path):
    m = _good_members()
    cfg = json.loads(m["config.json"])
    cfg["config"]["layers"][1]["module"] = "os"
    cfg["config"]["layers"][1]["class_name"] = "system"
    m["config.json"] = json.dumps(cfg)
    path = str(tmp_path / "mod.keras")
    _zip(path, m)
    with pytest.raises(TypeError, match="Could not locate class 'system'"):   # (no import)
        k.models.load_model(path)


# ------------------------------------------------------------------ through real Keras
def test_round_trip_through_real_keras(tmp_path):
    keras = pytest.importorskip("keras")
    model = _functional()
    x = [np.random.default_rng(3).normal(size=(3, 4)).astype("float32")] * 2
    path = str(tmp_path / "to_keras.keras")
    model.save(path)
    km = keras.models.load_model(path)
    np.testing.assert_allclose(np.asarray(km.predict(x, verbose=0)), model(x).numpy(),
                               rtol=1e-5, atol=1e-6)
    back = str(tmp_path / "from_keras.keras")
    km.save(back)
    np.testing.assert_allclose(k.models.load_model(back)(x).numpy(), model(x).numpy(),
                               rtol=1e-5, atol=1e-6)


def test_embedding_lstm_masking_round_trip(tmp_path):
    # Embedding's required input_dim is part of its config (a base-layer argument elsewhere)
    m = k.Sequential([k.Input((5,), dtype="int32"), k.layers.Embedding(10, 3, mask_zero=True),
                      k.layers.LSTM(4), k.layers.Dense(2)])
    path = str(tmp_path / "emb.keras")
    m.save(path)
    cfg = json.loads(zipfile.ZipFile(path).read("config.json"))["config"]["layers"]
    assert cfg[1]["config"]["input_dim"] == 10 and cfg[1]["config"]["mask_zero"] is True
    x = np.array([[1, 2, 3, 0, 0], [4, 5, 0, 0, 0]])
    np.testing.assert_array_equal(k.models.load_model(path)(x).numpy(), m(x).numpy())
