"""keras.io guide code run unchanged: "Transfer learning & fine-tuning" (trainable / frozen
weights, nested freezing, a MobileNetV2 base, summary with optimizer and Trainable columns),
operators on KerasTensors as Keras 3 records them (operations of the model, not layers;
`summary()` rows 'add (Add)' and the 'Connected to' column), and the Keras 3.15 optimizers
Muon and ScheduleFreeAdamW. Expected values are what Keras 3.15 printed for the same code
(TF 2.21 backend, and the JAX backend where the TF backend differs: see the optimizer tests).
"""
import re

import numpy as np
import pytest

import graphflow as tf
from graphflow import keras
from conftest import summary_rows, summary_text

pytestmark = pytest.mark.usefixtures("keras_seeded")


def _counts(layer):
    return len(layer.weights), len(layer.trainable_weights), len(layer.non_trainable_weights)


# ---- "Transfer learning & fine-tuning" ----------------------------------------------------
def test_trainable_and_non_trainable_weights():
    layer = keras.layers.Dense(3)
    layer.build((None, 4))
    assert _counts(layer) == (2, 2, 0)
    bn = keras.layers.BatchNormalization()
    bn.build((None, 4))
    assert _counts(bn) == (4, 2, 2)
    layer = keras.layers.Dense(3)
    layer.build((None, 4))
    layer.trainable = False
    assert _counts(layer) == (2, 0, 2)


def test_frozen_layer_is_unchanged_by_fit_and_freezing_is_recursive():
    layer1 = keras.layers.Dense(3, activation="relu")
    layer2 = keras.layers.Dense(3, activation="sigmoid")
    model = keras.Sequential([keras.Input(shape=(3,)), layer1, layer2])
    layer1.trainable = False
    before = [w.copy() for w in layer1.get_weights()]
    before2 = [w.copy() for w in layer2.get_weights()]
    model.compile(optimizer="adam", loss="mse")
    model.fit(np.random.random((2, 3)), np.random.random((2, 3)), verbose=0)
    for a, b in zip(before, layer1.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert not np.allclose(before2[0], layer2.get_weights()[0])

    inner_model = keras.Sequential([keras.Input(shape=(3,)),
                                    keras.layers.Dense(3, activation="relu"),
                                    keras.layers.Dense(3, activation="relu")])
    model = keras.Sequential([keras.Input(shape=(3,)), inner_model,
                              keras.layers.Dense(3, activation="sigmoid")])
    model.trainable = False
    assert inner_model.trainable is False and inner_model.layers[0].trainable is False


def test_mobilenet_names_follow_keras():
    A = keras.applications
    assert A.MobileNet(weights=None, alpha=0.25, input_shape=(32, 32, 3)).name \
        == "mobilenet_0.25_32"
    assert A.MobileNetV2(weights=None, alpha=0.35, input_shape=(40, 32, 3)).name \
        == "mobilenetv2_0.35_40"
    # the rule for the other cases, as Keras 3.15 names them (building those is slow)
    from graphflow.keras.applications.imagenet_utils import name_rows
    v2 = (96, 128, 160, 192, 224)
    assert name_rows(None, keras.Input((48, 48, 3)), True, None, v2, tensor_size=True) == 224
    assert name_rows(None, keras.Input((96, 96, 3)), True, None, v2, tensor_size=True) == 96
    assert name_rows(None, keras.Input((48, 48, 3)), False, None, v2, tensor_size=True) is None
    assert name_rows((None, None, 3), None, False, None, (128, 160, 192, 224)) is None
    assert name_rows((40, 32, 3), None, True, "imagenet", v2) == 224


def test_transfer_learning_base_model_counts_as_keras():
    # the guide's recipe with a small MobileNetV2 base (Keras 3.15 printed these counts)
    base_model = keras.applications.MobileNetV2(weights=None, input_shape=(32, 32, 3),
                                                include_top=False, alpha=0.35)
    base_model.trainable = False
    inputs = keras.Input(shape=(32, 32, 3))
    x = keras.layers.Rescaling(scale=1 / 127.5, offset=-1)(inputs)
    x = base_model(x, training=False)
    x = keras.layers.GlobalAveragePooling2D()(x)
    x = keras.layers.Dropout(0.2)(x)
    outputs = keras.layers.Dense(1)(x)
    model = keras.Model(inputs, outputs)
    text = summary_text(model)
    assert "mobilenetv2_0.35_32" in text
    assert "Total params: 411,489 (1.57 MB)" in text
    assert "Trainable params: 1,281 (5.00 KB)" in text
    assert "Non-trainable params: 410,208 (1.56 MB)" in text
    assert "Connected to" not in text   # a chain: Keras 3 prints no connections
    assert (len(model.trainable_weights), len(model.non_trainable_weights)) == (2, 260)
    base_model.trainable = True
    text = summary_text(model)
    assert "Trainable params: 397,409 (1.52 MB)" in text
    assert "Non-trainable params: 14,080 (55.00 KB)" in text
    assert (len(model.trainable_weights), len(model.non_trainable_weights)) == (158, 104)


def test_summary_optimizer_params_and_trainable_column():
    frozen = keras.layers.Dense(2, name="frozen")
    model = keras.Sequential([keras.Input((3,)), frozen, keras.layers.Dropout(0.1, name="drop"),
                              keras.layers.Dense(2, name="head")])
    frozen.trainable = False
    model.compile(keras.optimizers.Adam(), "mse")
    assert "Optimizer params" not in summary_text(model)   # not built yet
    model.fit(np.ones((4, 3), "float32"), np.ones((4, 2), "float32"), verbose=0)
    text = summary_text(model)
    # Keras 3: iterations (int64) + learning_rate + Adam's 2 slots of the 6 trainable params
    assert "Optimizer params: 14 (60.00 B)" in text
    assert "Total params: 28 (116.00 B)" in text
    assert "Trainable params: 6 (24.00 B)" in text and "Non-trainable params: 8 (32.00 B)" in text
    lines = []
    model.summary(show_trainable=True, print_fn=lines.append)
    assert len(lines) == 1 and "┃ Trai" in lines[0]   # one call, as Keras 3 (which cuts "Trai…")
    rows = {r[0].split()[0]: r[-1] for r in summary_rows(lines[0])}
    assert rows == {"frozen": "N", "drop": "-", "head": "Y"}


def test_fine_tuning_a_frozen_base_then_unfreezing():
    """The guide's two phases on a small conv base: phase 1 trains the head only (base
    weights and BatchNorm statistics unchanged); after `trainable = True` and a recompile,
    fine-tuning moves the base weights, and the BatchNorm layer called with training=False
    keeps its statistics (the guide's inference mode; tf.keras 2 behaves so, while Keras
    3.15's functional call lets fit's training=True override the recorded False)."""
    r = np.random.default_rng(0)
    x = r.uniform(0, 255, (32, 8, 8, 3)).astype("float32")
    y = (x[..., 0].mean(axis=(1, 2)) > 127).astype("float32")
    b_in = keras.Input((8, 8, 3))
    h = keras.layers.Conv2D(4, 3, padding="same")(b_in)
    bn = keras.layers.BatchNormalization()
    h = keras.layers.GlobalAveragePooling2D()(keras.layers.ReLU()(bn(h)))
    base_model = keras.Model(b_in, h, name="base")
    base_model.trainable = False
    inputs = keras.Input((8, 8, 3))
    z = keras.layers.Rescaling(scale=1 / 127.5, offset=-1)(inputs)
    z = base_model(z, training=False)
    outputs = keras.layers.Dense(1)(keras.layers.Dropout(0.2)(z))
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(0.05),
                  loss=keras.losses.BinaryCrossentropy(from_logits=True),
                  metrics=[keras.metrics.BinaryAccuracy()])
    base_w = [w.copy() for w in base_model.get_weights()]
    ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(8)
    hist = model.fit(ds, epochs=3, validation_data=ds, verbose=0)
    assert sorted(hist.history) == ["binary_accuracy", "loss", "val_binary_accuracy",
                                    "val_loss"]
    for a, b in zip(base_w, base_model.get_weights()):
        np.testing.assert_array_equal(a, b)
    base_model.trainable = True
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss=keras.losses.BinaryCrossentropy(from_logits=True),
                  metrics=[keras.metrics.BinaryAccuracy()])
    mean = bn.moving_mean.numpy().copy()
    model.fit(ds, epochs=1, verbose=0)
    assert not np.allclose(base_w[0], base_model.get_weights()[0])
    np.testing.assert_array_equal(mean, bn.moving_mean.numpy())


# ---- operators on KerasTensors -----------------------------------------------------------
def _operator_model():
    keras.backend.clear_session()   # fresh name counters: 'add', not 'add_1'
    a = keras.Input((4,), name="a")
    b = keras.Input((4,), name="b")
    x = a + b
    y = x * 2
    z = keras.layers.Dense(3, name="d")(y) - a[:, :3]
    w = keras.ops.concatenate([z, -z], axis=-1)
    v = keras.ops.mean(w, axis=-1, keepdims=True) ** 2
    return keras.Model([a, b], [w, v])


def test_operators_are_operations_not_layers():
    m = _operator_model()
    # Keras 3.15: model.layers holds Layers only, operations every node
    assert [l.name for l in m.layers] == ["a", "b", "d"]
    assert [o.name for o in m.operations] == ["a", "b", "add", "multiply", "d", "get_item",
                                              "subtract", "negative", "concatenate", "mean",
                                              "power"]
    m.set_weights([np.arange(12, dtype="float32").reshape(4, 3) / 10,
                   np.array([0.1, 0.2, 0.3], "float32")])
    xa = np.arange(8, dtype="float32").reshape(2, 4)
    w, v = m.predict([xa, np.ones((2, 4), "float32")], verbose=0)
    np.testing.assert_allclose(w[:, :3], [[12.1, 13.2, 14.3], [22.5, 26.8, 31.1]], rtol=1e-6)
    np.testing.assert_allclose(w[:, 3:], -w[:, :3])
    np.testing.assert_allclose(v, 0.0, atol=1e-12)


def test_summary_shows_op_classes_and_connections():
    text = summary_text(_operator_model())
    rows = {r[0]: r for r in summary_rows(text)}
    for row in ["add (Add)", "multiply (Multiply)", "get_item (GetItem)",
                "subtract (Subtract)", "negative (Negative)", "concatenate (Concatenate)",
                "mean (Mean)", "power (Power)", "d (Dense)"]:
        assert row in rows, row
    assert "Connected to" in text
    assert rows["add (Add)"][-1] == "a[0][0], b[0][0]"
    assert rows["d (Dense)"][-1] == "multiply[0][0]"
    assert "Total params: 15 (60.00 B)" in text


def test_operator_node_names_as_keras():
    keras.backend.clear_session()
    x = keras.Input((4,))
    outs = [x / 2, 2 / x, x // 2, x % 2, 2 ** x, abs(x), x < 1, x >= 1, x != 1,
            (x > 0) & (x < 1), ~(x > 0), (x > 0) | (x < 1), (x > 0) ^ (x < 1), round(x)]
    m = keras.Model(x, outs)
    from graphflow.keras.models import _class_label
    got = {(o.name, _class_label(o)) for o in m.operations[1:]}
    # Keras 3.15's names and classes for the same expressions (order aside)
    assert got == {("true_divide", "TrueDivide"), ("true_divide_1", "TrueDivide"),
                   ("floor_divide", "FloorDivide"), ("mod", "Mod"), ("power", "Power"),
                   ("absolute", "Absolute"), ("less", "Less"), ("greater_equal", "GreaterEqual"),
                   ("not_equal", "NotEqual"), ("greater", "Greater"), ("less_1", "Less"),
                   ("logical_and", "LogicalAnd"), ("greater_1", "Greater"),
                   ("logical_not", "LogicalNot"), ("greater_2", "Greater"), ("less_2", "Less"),
                   ("logical_or", "LogicalOr"), ("greater_3", "Greater"), ("less_3", "Less"),
                   ("logical_xor", "LogicalXor"), ("round", "Round")}
    xv = np.array([[-1.5, 0.5, 1.0, 2.5]], "float32")
    got = m.predict(xv, verbose=0)
    want = [xv / 2, 2 / xv, xv // 2, xv % 2, 2 ** xv, abs(xv), xv < 1, xv >= 1, xv != 1,
            (xv > 0) & (xv < 1), ~(xv > 0), (xv > 0) | (xv < 1), (xv > 0) ^ (xv < 1),
            np.round(xv)]
    for g, w in zip(got, want):
        np.testing.assert_allclose(np.asarray(g, w.dtype), w, rtol=1e-6)
    with pytest.raises(NotImplementedError, match="Iterating"):
        iter(x)


def test_operator_model_round_trips_through_keras_file(tmp_path):
    m = _operator_model()
    m.save(tmp_path / "ops.keras")
    loaded = keras.models.load_model(tmp_path / "ops.keras")
    assert [o.name for o in loaded.operations] == [o.name for o in m.operations]
    assert [l.name for l in loaded.layers] == ["a", "b", "d"]
    xs = [np.arange(8, dtype="float32").reshape(2, 4), np.ones((2, 4), "float32")]
    for g, w in zip(loaded.predict(xs, verbose=0), m.predict(xs, verbose=0)):
        np.testing.assert_allclose(g, w, rtol=1e-6)


def test_logical_ops_take_numbers_as_keras():
    ops = keras.ops
    assert ops.logical_and([0.0, 1.0, 2.0], [1.0, 1.0, 0.0]).numpy().tolist() == \
        [False, True, False]
    assert ops.logical_not([0.0, 2.0]).numpy().tolist() == [True, False]
    assert ops.logical_or(0, [0.0, 3.0]).numpy().tolist() == [False, True]


# ---- Keras 3.15's Muon and ScheduleFreeAdamW -----------------------------------------------
def _three_steps(opt):
    r = np.random.RandomState(0)
    w = keras.Variable(r.normal(size=(3, 5)).astype("float32"), name="kernel")
    b = keras.Variable(r.normal(size=(5,)).astype("float32"), name="bias")
    e = keras.Variable(r.normal(size=(4, 2)).astype("float32"), name="embeddings")
    for _ in range(3):
        gs = [r.normal(size=tuple(v.shape)).astype("float32") for v in (w, b, e)]
        opt.apply_gradients(zip([tf.constant(g) for g in gs], [w, b, e]))
    return [v.numpy() for v in (w, b, e)]


# Keras 3.15 (JAX backend) after the same three steps. The TF backend's ScheduleFreeAdamW
# differs by ~0.01: there `momentum.value`, read as "momentum_old" before the update, is a
# live reference to the variable, so it sees the new momentum (a backend quirk; the JAX
# backend follows the algorithm as written).
_SF = [[[1.611519, 0.225869, 0.914301, 2.231925, 2.075348],
        [-0.891748, 1.169823, -0.192714, -0.228807, 0.299693],
        [0.325923, 1.416849, 0.925291, 0.163847, 0.500229]],
       [0.213181, 1.445998, 0.037786, 0.430915, -0.935993],
       [[-2.368636, 0.780511], [1.024684, -0.795016], [2.402641, -1.46333],
        [-0.020216, -0.226066]]]
_SF_WARMUP_WD = [[[1.644458, 0.272483, 0.954541, 2.25973, 2.005923],
                  [-0.932599, 1.109379, -0.141223, -0.177206, 0.345935],
                  [0.273484, 1.352291, 0.866868, 0.112155, 0.44551]],
                 [0.260388, 1.381082, -0.011156, 0.377455, -0.877325],
                 [[-2.393936, 0.723011], [0.965399, -0.737046], [2.329046, -1.499018],
                  [-0.070653, -0.174202]]]
# Muon: the same on both backends; bias and embeddings take AdamW steps
_MUON = [[[1.703188, 0.333697, 0.985194, 2.22207, 1.921674],
          [-0.945139, 0.977759, -0.134848, -0.177345, 0.374928],
          [0.203577, 1.418297, 0.813699, 0.125449, 0.472649]],
         [0.094394, 1.481055, 0.083155, 0.520823, -0.998331],
         [[-2.259893, 0.806496], [1.138749, -0.889117], [2.449199, -1.385282],
          [0.00028, -0.228689]]]
_MUON_PLAIN = [[[1.64169, 0.243333, 0.999518, 2.162135, 1.97444],
                [-0.850078, 0.974913, -0.093376, -0.281731, 0.338025],
                [0.27427, 1.410748, 0.903987, 0.182505, 0.552983]],
               [0.213834, 1.486671, -0.060879, 0.416758, -0.925701],
               [[-2.358208, 0.659214], [0.976217, -0.763424], [2.312073, -1.477628],
                [-0.014152, -0.133305]]]
_MUON_EXCLUDED_KERNEL = [[[1.508459, 0.130382, 0.89925, 2.164551, 2.162619],
                          [-0.77242, 1.236753, -0.176888, -0.349155, 0.206783],
                          [0.384784, 1.46423, 1.03569, 0.266552, 0.596189]]]


@pytest.mark.parametrize("make, want", [
    (lambda O: O.ScheduleFreeAdamW(learning_rate=0.1), _SF),
    (lambda O: O.ScheduleFreeAdamW(learning_rate=0.1, warmup_steps=2, weight_decay=0.1),
     _SF_WARMUP_WD),
    (lambda O: O.Muon(learning_rate=0.1), _MUON),
    (lambda O: O.Muon(learning_rate=0.1, nesterov=False, rms_rate=None,
                      exclude_embeddings=False, adam_lr_ratio=0.5), _MUON_PLAIN),
    (lambda O: O.Muon(learning_rate=0.1, exclude_layers=["kern"]), _MUON_EXCLUDED_KERNEL),
])
def test_new_optimizers_match_keras(make, want):
    got = _three_steps(make(keras.optimizers))
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, np.array(w, "float32"), atol=2e-6)


def test_new_optimizers_config_round_trip_and_training():
    for opt in (keras.optimizers.Muon(learning_rate=0.02, exclude_layers=["bias"], ns_steps=3),
                keras.optimizers.ScheduleFreeAdamW(learning_rate=0.01, warmup_steps=5)):
        cfg = keras.optimizers.serialize(opt)
        back = keras.optimizers.deserialize(cfg)
        assert type(back) is type(opt) and back.get_config() == opt.get_config()
    assert re.fullmatch(r"muon(_\d+)?", keras.optimizers.get("muon").name)   # uniquified (Keras 3)
    r = np.random.default_rng(1)
    x = r.normal(size=(64, 6)).astype("float32")
    y = x @ r.normal(size=(6, 2)).astype("float32")
    for opt in (keras.optimizers.Muon(learning_rate=0.05),
                keras.optimizers.ScheduleFreeAdamW(learning_rate=0.05)):
        model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(8),
                                  keras.layers.Dense(2)])
        model.compile(opt, "mse")
        first = model.evaluate(x, y, verbose=0)
        model.fit(x, y, epochs=15, batch_size=16, verbose=0)
        assert model.evaluate(x, y, verbose=0) < 0.2 * first


# ---- logs and small utilities ------------------------------------------------------------
def test_history_and_logs_keys_sorted_as_keras():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy",
                  metrics=["accuracy", "sparse_categorical_accuracy"])
    x = np.random.RandomState(0).normal(size=(8, 3)).astype("float32")
    y = np.arange(8) % 2
    seen = []

    class Keys(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append(list(logs))
    hist = model.fit(x, y, epochs=1, verbose=0, validation_split=0.25, callbacks=[Keys()])
    # Keras 3.15 prints exactly these orders (its logs dicts have sorted keys)
    assert list(hist.history) == ["accuracy", "loss", "sparse_categorical_accuracy",
                                  "val_accuracy", "val_loss", "val_sparse_categorical_accuracy"]
    assert seen[0] == ["accuracy", "loss", "sparse_categorical_accuracy"]
    res = model.evaluate(x, y, verbose=0, return_dict=True)
    assert list(res) == ["accuracy", "loss", "sparse_categorical_accuracy"]
    listed = model.evaluate(x, y, verbose=0)   # the list stays in metrics_names order
    assert listed[0] == pytest.approx(res["loss"], rel=1e-6)

    class Custom(keras.Model):
        def train_step(self, data):
            return {"zeta": 1.0, "alpha": 2.0, "mid": 3.0}
    m = Custom(model.inputs, model.outputs)
    m.compile("sgd")
    assert list(m.fit(x, y, verbose=0).history) == ["alpha", "mid", "zeta"]


def test_smart_resize_as_keras():
    smart_resize = keras.preprocessing.image.smart_resize
    img = np.arange(24, dtype="float32").reshape(4, 6, 1)
    out = smart_resize(img, (3, 5))
    assert isinstance(out, np.ndarray)
    # Keras 3.15: the centered 4x6 -> 3x5 crop is the whole image here, bilinear resize
    np.testing.assert_allclose(out[..., 0], [[0.1, 1.3, 2.5, 3.7, 4.9],
                                             [6.1, 7.3, 8.5, 9.7, 10.9],
                                             [12.1, 13.3, 14.5, 15.7, 16.9]], rtol=1e-5)
    assert smart_resize(img, (2, 2), interpolation="nearest")[..., 0].tolist() == \
        [[8.0, 10.0], [20.0, 22.0]]
    x = np.random.RandomState(0).uniform(size=(2, 7, 5, 3)).astype("float32")
    assert smart_resize(x, (4, 4)).shape == (2, 4, 4, 3)
    assert float(smart_resize(x, (4, 4)).sum()) == pytest.approx(47.0594, abs=1e-3)
    assert keras.preprocessing.image.save_img is keras.utils.save_img


def test_multi_optimizer_matches_keras():
    O = keras.optimizers
    i = keras.Input((3,))
    m = keras.Model(i, keras.layers.Dense(1, name="dec")(keras.layers.Dense(2, name="enc")(i)))
    r = np.random.RandomState(0)
    m.set_weights([r.normal(size=w.shape).astype("float32") for w in m.get_weights()])
    opt = O.MultiOptimizer(O.OptimizerMap(O.SGD(0.1), {"enc/.*": O.Adam(0.05)}))
    m.compile(opt, "mse")
    x = r.normal(size=(16, 3)).astype("float32")
    y = r.normal(size=(16, 1)).astype("float32")
    m.fit(x, y, epochs=2, batch_size=8, verbose=0, shuffle=False)
    # Keras 3.15 (TF backend), the same program: Adam on enc/*, SGD on the rest
    want = [[[1.6598, 0.46568], [1.08754, 2.05847], [1.73947, -0.80214]], [1.02313, -0.27907],
            [[0.0456], [0.09292]], [-0.20656]]
    for g, w in zip(m.get_weights(), want):
        np.testing.assert_allclose(g, w, atol=2e-5)
    assert int(opt.iterations.numpy()) == 4
    assert [int(o.iterations.numpy()) for o in opt.optimizers] == [4, 4]
    assert len(opt.variables) == 10   # as Keras: 2 own, Adam 2 + 4 slots, SGD 2
    with pytest.raises(AttributeError, match="sub-optimizers"):
        opt.learning_rate
    back = O.deserialize(O.serialize(opt))
    assert [type(o).__name__ for o in back.optimizers] == ["Adam", "SGD"]
    with pytest.raises(ValueError, match="Multiple|multiple"):
        O.OptimizerMap(O.SGD(), {"a.*": O.Adam(), ".*b": O.Adam()})["ab"]


def test_dtype_policies_namespace():
    D = keras.dtype_policies
    p = D.get("mixed_float16")
    assert (type(p).__name__, p.name, p.compute_dtype, p.variable_dtype) == \
        ("DTypePolicy", "mixed_float16", "float16", "float32")
    # Keras 3.15's dict
    assert D.serialize(p) == {"module": "keras", "class_name": "DTypePolicy",
                              "config": {"name": "mixed_float16"}, "registered_name": None}
    assert D.deserialize(D.serialize(p)) == p and D.get("float16").name == "float16"
    assert type(D.FloatDTypePolicy("float32")).__name__ == "FloatDTypePolicy"
    assert D.get(None).name == "float32"


def test_weight_paths_as_keras():
    keras.backend.clear_session()
    i = keras.Input((3,))
    m = keras.Model(i, keras.layers.Dense(1, name="dec")(keras.layers.Dense(2, name="enc")(i)))
    assert [v.path for v in m.trainable_variables] == ["enc/kernel", "enc/bias", "dec/kernel",
                                                       "dec/bias"]
    s = keras.Sequential([keras.layers.Dense(2, name="enc")])
    s.build((None, 3))
    assert [v.path for v in s.weights] == ["sequential/enc/kernel", "sequential/enc/bias"]
    d = keras.layers.Dense(2, name="x")
    d.build((None, 3))
    assert [v.path for v in d.weights] == ["x/kernel", "x/bias"]

    class M(keras.Model):
        def __init__(self):
            super().__init__(name="mm")
            self.a = keras.layers.Dense(2, name="a")
            self.mha = keras.layers.MultiHeadAttention(2, 2, name="att")

        def call(self, x):
            return self.a(x) + self.mha(x[:, None], x[:, None])[:, 0, :2]
    mm = M()
    mm(keras.ops.ones((1, 3)))
    # Keras 3.15's paths for the same code
    assert [v.path for v in mm.weights] == [
        "mm/a/kernel", "mm/a/bias", "mm/att/query/kernel", "mm/att/query/bias",
        "mm/att/key/kernel", "mm/att/key/bias", "mm/att/value/kernel", "mm/att/value/bias",
        "mm/att/attention_output/kernel", "mm/att/attention_output/bias"]
    s = keras.Sequential([keras.Input((3,)), keras.Sequential(
        [keras.layers.Dense(2, name="inner_d")], name="inner")], name="outer")
    assert [v.path for v in s.weights] == ["outer/inner/inner_d/kernel",
                                           "outer/inner/inner_d/bias"]
    with keras.name_scope("user"):
        d = keras.layers.Dense(2, name="y")
        d.build((None, 3))
    assert [v.path for v in d.weights] == ["user/y/kernel", "user/y/bias"]
    # an OptimizerMap pattern written against Keras' paths selects the same variables
    omap = keras.optimizers.OptimizerMap(keras.optimizers.SGD(), {"mm/att/.*":
                                                                  keras.optimizers.Adam()})
    assert [type(omap(v)).__name__ for v in mm.weights[1:4]] == ["SGD", "Adam", "Adam"]
