"""Keras 3 constraints, utils (pad_sequences, timeseries_dataset_from_array, split_dataset,
Progbar, serialize_keras_object), config, tree, CSVLogger, the Identity initializer and
OrthogonalRegularizer: values against Keras 3.15 (hard-coded) or numpy references."""
import csv
import io
import os

import numpy as np
import pytest

import graphflow as tf

K = tf.keras
W = np.array([[3.0, 0.1, -1.0], [4.0, 0.2, 2.0]], "float32")
# from Keras 3.15 (JAX backend), produced offline
KERAS = {'constraints': {'MaxNorm': [[1.2000000476837158, 0.09999995678663254, -0.8944271802902222], [1.600000023841858, 0.19999991357326508, 1.7888543605804443]], 'MaxNorm_axis1': [[1.422313928604126, 0.04741046577692032, -0.474104642868042], [1.3403011560440063, 0.06701505929231644, 0.6701505780220032]], 'UnitNorm': [[0.6000000238418579, 0.44721338152885437, -0.4472135901451111], [0.800000011920929, 0.8944267630577087, 0.8944271802902222]], 'NonNeg': [[3.0, 0.10000000149011612, 0.0], [4.0, 0.20000000298023224, 2.0]], 'MinMaxNorm': [[1.3199999332427979, 0.1865246742963791, -0.6130495071411133], [1.7599999904632568, 0.3730493485927582, 1.2260990142822266]]}, 'ortho': [0.20310835540294647, 0.21223798394203186], 'identity': [[1.5, 0.0, 0.0], [0.0, 1.5, 0.0]], 'pad': {'default': [[1, 2, 3, 4], [0, 0, 5, 6], [0, 0, 0, 0], [0, 0, 0, 7]], 'post_post_3': [[1, 2, 3], [5, 6, -1], [-1, -1, -1], [7, -1, -1]], 'pre_post_2_float': [[1.0, 2.0], [5.0, 6.0], [0.5, 0.5], [0.5, 7.0]]}}


def test_constraints_match_keras():
    C = K.constraints
    made = {"MaxNorm": C.MaxNorm(2.0), "MaxNorm_axis1": C.MaxNorm(1.5, axis=1),
            "UnitNorm": C.UnitNorm(), "NonNeg": C.NonNeg(),
            "MinMaxNorm": C.MinMaxNorm(0.5, 1.0, rate=0.7)}
    for name, c in made.items():
        np.testing.assert_allclose(c(W).numpy(), KERAS["constraints"][name], rtol=1e-5,
                                   atol=1e-6, err_msg=name)
        again = C.deserialize(C.serialize(c))
        assert type(again) is type(c) and again.get_config() == c.get_config()
    assert type(C.get("max_norm")) is C.MaxNorm and type(C.get("UnitNorm")) is C.UnitNorm
    assert C.get(None) is None


def test_constraints_applied_after_each_update_in_fit():
    C = K.constraints
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 3)).astype("float32")
    y = x @ np.array([[3.0], [-4.0], [2.0]], "float32")
    seen = []

    class Record(K.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append(np.linalg.norm(self.model.layers[0].kernel.numpy(), axis=0))

    model = K.Sequential([K.Input((3,)),
                          K.layers.Dense(4, kernel_constraint=C.MaxNorm(1.0),
                                         bias_constraint="non_neg"),
                          K.layers.Dense(1, kernel_constraint=C.UnitNorm())])
    model.compile(optimizer=K.optimizers.SGD(0.1), loss="mse")
    model.fit(x, y, epochs=2, batch_size=16, verbose=0, callbacks=[Record()])
    assert len(seen) == 8 and max(n.max() for n in seen) <= 1.0 + 1e-5
    assert (model.layers[0].bias.numpy() >= 0).all()
    np.testing.assert_allclose(np.linalg.norm(model.layers[1].kernel.numpy(), axis=0), 1.0,
                               rtol=1e-5)
    cfg = model.layers[0].get_config()["kernel_constraint"]
    assert cfg["class_name"] == "MaxNorm" and cfg["config"]["max_value"] == 1.0
    # a custom train loop: the optimizer applies the variable's constraint too
    emb = K.layers.Embedding(5, 2, embeddings_constraint=C.NonNeg())
    emb(np.array([[1, 2]]))
    K.optimizers.SGD(1.0).apply_gradients([(tf.ones((5, 2)), emb.embeddings)])
    assert (emb.embeddings.numpy() >= 0).all()
    conv = K.layers.Conv2D(2, 3, kernel_constraint=C.MaxNorm(0.1, axis=[0, 1, 2]))
    conv(np.zeros((1, 5, 5, 1), "float32"))
    K.optimizers.SGD(1.0).apply_gradients([(tf.ones(conv.kernel.shape), conv.kernel)])
    assert np.sqrt((conv.kernel.numpy() ** 2).sum((0, 1, 2))).max() <= 0.1 + 1e-6


def test_identity_and_orthogonal_regularizer():
    np.testing.assert_allclose(K.initializers.Identity(1.5)((2, 3)).numpy(), KERAS["identity"])
    assert type(K.initializers.get("identity")) is K.initializers.Identity
    with pytest.raises(ValueError, match="2D"):
        K.initializers.Identity()((2, 2, 2))
    r = K.regularizers
    wt = tf.constant(W.T)
    np.testing.assert_allclose(float(r.OrthogonalRegularizer(0.3)(wt)), KERAS["ortho"][0],
                               rtol=1e-5)
    np.testing.assert_allclose(float(r.OrthogonalRegularizer(0.3, mode="columns")(wt)),
                               KERAS["ortho"][1], rtol=1e-5)
    d = K.layers.Dense(3, kernel_regularizer=r.OrthogonalRegularizer(0.5))
    d(np.ones((1, 4), "float32"))
    k = d.kernel.numpy()
    n = k / np.linalg.norm(k, axis=1, keepdims=True)
    p = n @ n.T
    ref = 0.5 * 0.5 * np.abs(p - np.diag(np.diag(p))).sum() / (4 * 3 / 2)
    np.testing.assert_allclose(float(sum(d.losses)), ref, rtol=1e-5)


def test_pad_sequences_match_keras():
    seqs = [[1, 2, 3, 4], [5, 6], [], [7]]
    ps = K.utils.pad_sequences
    np.testing.assert_array_equal(ps(seqs), KERAS["pad"]["default"])
    np.testing.assert_array_equal(ps(seqs, maxlen=3, padding="post", truncating="post", value=-1),
                                  KERAS["pad"]["post_post_3"])
    out = ps(seqs, maxlen=2, truncating="post", dtype="float32", value=0.5)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, KERAS["pad"]["pre_post_2_float"])
    assert K.preprocessing.sequence.pad_sequences is ps
    vec = ps([np.ones((2, 3)), np.ones((1, 3))])          # samples with a trailing shape
    assert vec.shape == (2, 2, 3) and vec[1, 0].sum() == 0
    with pytest.raises(ValueError, match="padding"):
        ps(seqs, padding="middle")


def test_timeseries_dataset_from_array_against_numpy():
    data = np.arange(20).reshape(10, 2)
    t = np.arange(10) * 10
    ds = K.utils.timeseries_dataset_from_array(data, t, sequence_length=3, sequence_stride=2,
                                               sampling_rate=2, batch_size=2, start_index=1,
                                               end_index=9)
    got = [(x.numpy(), y.numpy()) for x, y in ds]
    # Keras 3's rule: windows start at start_index + p, p = 0, stride, ... < num_seqs
    num_seqs = 9 - 1 - (3 - 1) * 2
    starts = 1 + np.arange(0, num_seqs, 2)
    xs = np.stack([data[s + np.arange(3) * 2] for s in starts])
    assert int(ds.cardinality()) == len(got) == 1 and len(starts) == 2
    np.testing.assert_array_equal(np.concatenate([g[0] for g in got]), xs)
    np.testing.assert_array_equal(np.concatenate([g[1] for g in got]), t[starts])
    single = [x.numpy().tolist() for x in
              K.utils.timeseries_dataset_from_array(data[:, 0], None, 4, batch_size=None)]
    assert single == [list(range(2 * i, 2 * i + 8, 2)) for i in range(7)]
    shuf = K.utils.timeseries_dataset_from_array(data, None, 3, batch_size=None, shuffle=True,
                                                  seed=3)
    firsts = sorted(int(x.numpy()[0, 0]) for x in shuf)
    assert firsts == [2 * i for i in range(8)]
    with pytest.raises(ValueError, match="sequence_stride"):
        K.utils.timeseries_dataset_from_array(data, None, 3, sequence_stride=0)
    # trains a model directly
    series = np.sin(np.arange(200) / 5).astype("float32")
    ds = K.utils.timeseries_dataset_from_array(series[:-5, None], series[5:], 10, batch_size=32)
    m = K.Sequential([K.Input((10, 1)), K.layers.Flatten(), K.layers.Dense(1)])
    m.compile(optimizer=K.optimizers.Adam(0.05), loss="mse")
    h = m.fit(ds, epochs=3, verbose=0).history["loss"]
    assert h[-1] < h[0]


def test_split_dataset():
    left, right = K.utils.split_dataset(np.arange(10), left_size=0.3)
    assert [int(v) for v in left] == [0, 1, 2] and [int(v) for v in right] == list(range(3, 10))
    left, right = K.utils.split_dataset((np.arange(7), np.arange(7) * 2), right_size=2)
    assert [(int(a), int(b)) for a, b in right] == [(5, 10), (6, 12)]
    ds = tf.data.Dataset.from_tensor_slices({"x": np.arange(6.0), "y": np.arange(6)})
    left, right = K.utils.split_dataset(ds, left_size=4, shuffle=True, seed=1)
    xs = sorted(float(e["x"]) for e in left) + sorted(float(e["x"]) for e in right)
    assert sorted(xs) == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0] and int(left.cardinality()) == 4
    with pytest.raises(ValueError, match="larger"):
        K.utils.split_dataset(np.arange(4), left_size=3, right_size=3)


def test_progbar_keras_api():
    out = io.StringIO()
    bar = K.utils.Progbar(3, stream=out, interactive=False, unit_name="sample")
    bar.update(1, [("loss", 3.0)])
    bar.add(2, [("loss", 0.0)])          # mean over the 3 steps: (3 * 1 + 0 * 2) / 3
    line = out.getvalue().strip()
    assert line.startswith("3/3 ━━━━━━━━━━━━━━━━━━━━ ") and "loss: 1.0000" in line and "/sample" in line


def test_csv_logger(tmp_path):
    path = os.path.join(tmp_path, "log.csv")
    x = np.ones((8, 2), "float32")
    y = np.ones((8, 1), "float32")
    m = K.Sequential([K.Input((2,)), K.layers.Dense(1)])
    m.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    h = m.fit(x, y, epochs=2, validation_split=0.25, verbose=0,
              callbacks=[K.callbacks.CSVLogger(path)])
    rows = list(csv.reader(open(path)))
    assert rows[0] == ["epoch", "loss", "mae", "val_loss", "val_mae"]
    assert [r[0] for r in rows[1:]] == ["0", "1"]
    np.testing.assert_allclose([float(r[1]) for r in rows[1:]], h.history["loss"], rtol=1e-6)
    m.fit(x, y, epochs=1, verbose=0, callbacks=[K.callbacks.CSVLogger(path, separator=";",
                                                                    append=True)])
    lines = open(path).read().splitlines()
    assert len(lines) == 4 and lines[-1].startswith("0;") and lines[-1].endswith(";NA;NA")


def test_config_and_tree():
    c = K.config
    assert (c.floatx(), c.epsilon(), c.image_data_format()) == ("float32", 1e-7, "channels_last")
    c.set_image_data_format("channels_first")
    try:
        assert K.backend.image_data_format() == "channels_first"
    finally:
        c.set_image_data_format("channels_last")
    with pytest.raises(ValueError, match="floatx"):
        c.set_floatx("float8")
    c.enable_unsafe_deserialization()
    assert c.is_unsafe_deserialization_enabled()
    t = K.tree
    s = {"b": [1, (2, 3)], "a": 4}
    assert t.flatten(s) == [4, 1, 2, 3]
    assert t.map_structure(lambda v: v + 1, s) == {"b": [2, (3, 4)], "a": 5}
    assert t.pack_sequence_as(s, [9, 8, 7, 6]) == {"a": 9, "b": [8, (7, 6)]}
    assert t.is_nested([]) and not t.is_nested(np.zeros(2))
    with pytest.raises((ValueError, TypeError)):
        t.assert_same_structure([1, 2], [1, [2]])
    assert t.lists_to_tuples(s) == {"b": (1, (2, 3)), "a": 4}
    assert t.map_structure_up_to([None, None], sum, [[1, 2], [3]]) == [3, 3]


def test_serialize_keras_object_round_trips():
    u = K.utils
    for obj in [K.constraints.MaxNorm(3), K.losses.CategoricalFocalCrossentropy(gamma=3.0),
                K.metrics.AUC(num_thresholds=5), K.optimizers.Ftrl(0.1),
                K.initializers.Identity(2.0), K.regularizers.OrthogonalRegularizer(0.1)]:
        cfg = u.serialize_keras_object(obj)
        back = u.deserialize_keras_object(cfg)
        assert type(back) is type(obj) and cfg == u.serialize_keras_object(back)
    assert u.deserialize_keras_object(u.serialize_keras_object(K.losses.poisson)) is \
        K.losses.poisson


def test_set_epsilon_reaches_losses_metrics_constraints():
    c = K.config
    try:
        c.set_epsilon(1e-3)
        # probabilities clipped to [eps, 1 - eps]: -log(1e-3) for a certain miss
        np.testing.assert_allclose(float(K.losses.binary_crossentropy([[1.0]], [[0.0]])[0]),
                                   -np.log(1e-3), rtol=1e-5)
        np.testing.assert_allclose(K.constraints.UnitNorm()(np.array([[0.0], [0.0]])).numpy(),
                                   [[0.0], [0.0]])
        np.testing.assert_allclose(float(K.losses.poisson([[1.0]], [[0.0]])[0]), -np.log(1e-3),
                                   rtol=1e-5)
    finally:
        c.set_epsilon(1e-7)
    np.testing.assert_allclose(float(K.losses.binary_crossentropy([[1.0]], [[0.0]])[0]),
                               -np.log(1e-7), rtol=1e-4)
