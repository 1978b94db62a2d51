"""graphflow.keras: layers against numpy, losses against their formulas, optimizers against
hand-computed steps, and the compile/fit/evaluate/predict loop end to end.

All traced steps use `compile(jit_compile=False)` (numpy executor), so no numba compiles.
"""
import re

import numpy as np
import pytest

import graphflow as tf
from graphflow import keras

L = keras.layers


@pytest.fixture(autouse=True)
def _fresh():
    """Layer names from 'dense' again and a fixed seed; the global random state is restored
    afterwards so these tests don't change other test files' random streams."""
    from graphflow.ops import random_ops
    saved = dict(random_ops._GLOBAL), dict(random_ops._OP_STREAMS)
    keras.backend.clear_session()
    tf.random.set_seed(1234)
    yield
    random_ops._GLOBAL.update(saved[0])
    random_ops._OP_STREAMS.clear()
    random_ops._OP_STREAMS.update(saved[1])


def blobs(n=400, seed=0):
    """Two Gaussian blobs in 2-D (labels 0 / 1), shuffled."""
    rng = np.random.default_rng(seed)
    x = np.concatenate([rng.normal(-1.5, 1.0, (n // 2, 2)), rng.normal(1.5, 1.0, (n // 2, 2))])
    y = np.concatenate([np.zeros(n // 2), np.ones(n // 2)]).astype(np.int32)
    p = rng.permutation(n)
    return x[p].astype(np.float32), y[p]


def xor_data(n=512, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, (n, 2)).astype(np.float32)
    y = ((x[:, 0] > 0) ^ (x[:, 1] > 0)).astype(np.int32)
    return x, y


def np_softmax(z):
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


# ------------------------------------------------------------------ layers
def test_dense_forward_matches_numpy():
    layer = L.Dense(3, activation="relu")
    x = np.random.default_rng(0).normal(size=(5, 4)).astype(np.float32)
    y = layer(x)
    k, b = layer.kernel.numpy(), layer.bias.numpy()
    assert k.shape == (4, 3) and b.shape == (3,)
    np.testing.assert_allclose(y.numpy(), np.maximum(x @ k, 0), rtol=1e-6, atol=1e-6)
    layer.set_weights([np.arange(12, dtype=np.float32).reshape(4, 3) / 10, np.ones(3, np.float32)])
    np.testing.assert_allclose(layer(x).numpy(),
                               np.maximum(x @ (np.arange(12).reshape(4, 3) / 10) + 1, 0),
                               rtol=1e-5, atol=1e-5)
    # rank-3 inputs: applied to the last axis
    x3 = np.ones((2, 5, 4), np.float32)
    assert layer(x3).shape == (2, 5, 3)
    # float64 numpy input is cast to the layer dtype (float32), like Keras
    assert layer(x.astype(np.float64)).dtype == tf.float32


def test_layer_build_weights_names_and_trainable():
    d = L.Dense(2)
    assert not d.built and d.weights == []
    d(np.zeros((1, 3), np.float32))
    assert d.built
    assert [w.name for w in d.weights] == ["kernel", "bias"]   # Keras 3: name and path
    assert [w.path for w in d.weights] == ["dense/kernel", "dense/bias"]
    assert d.count_params() == 8
    assert L.Dense(1).name == "dense_1"
    d.trainable = False
    assert d.trainable_weights == [] and len(d.non_trainable_weights) == 2
    with pytest.raises(ValueError, match="isn't built"):
        L.Dense(1).count_params()


def test_flatten_reshape_activation_dropout():
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    assert L.Flatten()(x).shape == (2, 12)
    assert L.Reshape((4, 3))(x).shape == (2, 4, 3)
    np.testing.assert_allclose(L.Activation("tanh")(x).numpy(), np.tanh(x), rtol=1e-6)
    drop = L.Dropout(0.5)
    ones = np.ones((200, 50), np.float32)
    np.testing.assert_array_equal(drop(ones).numpy(), ones)           # inference: identity
    np.testing.assert_array_equal(drop(ones, training=False).numpy(), ones)
    out = drop(ones, training=True).numpy()
    assert set(np.unique(out)) <= {0.0, 2.0}                           # kept values scaled 1/(1-p)
    assert 0.45 < (out == 0).mean() < 0.55
    tf.random.set_seed(7)
    a = drop(ones, training=True).numpy()
    tf.random.set_seed(7)
    np.testing.assert_array_equal(a, drop(ones, training=True).numpy())


def test_activations_by_name_match_numpy():
    from math import erf
    x = np.linspace(-3, 3, 13).astype(np.float32)
    A = keras.activations
    np.testing.assert_allclose(A.get("relu")(x).numpy(), np.maximum(x, 0))
    np.testing.assert_allclose(A.get("sigmoid")(x).numpy(), 1 / (1 + np.exp(-x)), rtol=1e-6)
    np.testing.assert_allclose(A.get("tanh")(x).numpy(), np.tanh(x), rtol=1e-6)
    np.testing.assert_allclose(A.get("linear")(x), x)
    np.testing.assert_allclose(A.get("softmax")(x[None]).numpy(), np_softmax(x[None]), rtol=1e-6)
    gelu = 0.5 * x * (1 + np.array([erf(v / np.sqrt(2)) for v in x]))
    np.testing.assert_allclose(A.get("gelu")(x).numpy(), gelu, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="Unknown activation"):
        A.get("nope")


def test_initializers_statistics_and_seeding():
    I = keras.initializers
    w = I.get("glorot_uniform")((200, 300)).numpy()
    limit = np.sqrt(6 / 500)
    assert w.dtype == np.float32 and np.abs(w).max() <= limit and w.std() > 0.5 * limit / np.sqrt(3)
    h = I.get("he_normal")((400, 200)).numpy()
    assert abs(h.std() - np.sqrt(2 / 400)) < 0.1 * np.sqrt(2 / 400)
    assert np.abs(h).max() <= 2 * np.sqrt(2 / 400) / 0.87962566103423978 + 1e-6   # truncated
    np.testing.assert_array_equal(I.get("zeros")((2, 2)).numpy(), np.zeros((2, 2)))
    np.testing.assert_array_equal(I.get("ones")((3,)).numpy(), np.ones(3))
    r = I.get("random_normal")((1000,)).numpy()
    assert abs(r.std() - 0.05) < 0.01
    tf.random.set_seed(3)
    a = L.Dense(4)(np.ones((1, 3), np.float32)).numpy()
    tf.random.set_seed(3)
    np.testing.assert_array_equal(a, L.Dense(4)(np.ones((1, 3), np.float32)).numpy())


# ------------------------------------------------------------------ losses
def test_losses_match_numpy_formulas():
    rng = np.random.default_rng(0)
    yt = rng.normal(size=(6, 3)).astype(np.float32)
    yp = rng.normal(size=(6, 3)).astype(np.float32)
    Lo = keras.losses
    np.testing.assert_allclose(float(Lo.MeanSquaredError()(yt, yp)), np.mean((yt - yp) ** 2), rtol=1e-6)
    np.testing.assert_allclose(float(Lo.MeanAbsoluteError()(yt, yp)), np.mean(np.abs(yt - yp)), rtol=1e-6)
    np.testing.assert_allclose(Lo.mean_squared_error(yt, yp).numpy(), np.mean((yt - yp) ** 2, -1), rtol=1e-6)
    # binary cross-entropy on probabilities (clipped) and logits
    z = rng.normal(size=(6, 1)).astype(np.float32) * 3
    lab = (rng.uniform(size=(6, 1)) > 0.5).astype(np.float32)
    p = 1 / (1 + np.exp(-z))
    bce = -(lab * np.log(p) + (1 - lab) * np.log(1 - p)).mean()
    np.testing.assert_allclose(float(Lo.BinaryCrossentropy()(lab, p)), bce, rtol=1e-5)
    np.testing.assert_allclose(float(Lo.BinaryCrossentropy(from_logits=True)(lab, z)), bce, rtol=1e-5)
    # labels of shape (N,) against predictions (N, 1)
    np.testing.assert_allclose(float(Lo.BinaryCrossentropy()(lab[:, 0], p)), bce, rtol=1e-5)
    # probabilities are clipped to [1e-7, 1 - 1e-7] like Keras: finite for p = 0 or 1
    v = float(Lo.BinaryCrossentropy()([[1.0], [0.0]], [[0.0], [1.0]]))
    lo, hi = np.float32(1e-7), np.float32(1) - np.float32(1e-7)     # in float32, as Keras
    np.testing.assert_allclose(v, -(np.log(lo) + np.log(np.float32(1) - hi)) / 2, rtol=1e-5)
    # categorical and sparse categorical, probabilities and logits
    logits = rng.normal(size=(6, 4)).astype(np.float32) * 2
    cls = rng.integers(0, 4, size=6)
    onehot = np.eye(4, dtype=np.float32)[cls]
    probs = np_softmax(logits)
    ce = -np.log(probs[np.arange(6), cls]).mean()
    np.testing.assert_allclose(float(Lo.CategoricalCrossentropy()(onehot, probs)), ce, rtol=1e-5)
    np.testing.assert_allclose(float(Lo.CategoricalCrossentropy(from_logits=True)(onehot, logits)),
                               ce, rtol=1e-5)
    np.testing.assert_allclose(float(Lo.SparseCategoricalCrossentropy()(cls, probs)), ce, rtol=1e-5)
    np.testing.assert_allclose(float(Lo.SparseCategoricalCrossentropy(from_logits=True)(cls, logits)),
                               ce, rtol=1e-5)
    np.testing.assert_allclose(float(Lo.SparseCategoricalCrossentropy()(cls[:, None], probs)), ce, rtol=1e-5)
    np.testing.assert_allclose(float(Lo.get("sparse_categorical_crossentropy")(cls, probs)), ce, rtol=1e-5)
    # label smoothing
    ls = onehot * 0.9 + 0.1 / 4
    np.testing.assert_allclose(float(Lo.CategoricalCrossentropy(label_smoothing=0.1)(onehot, probs)),
                               -(ls * np.log(probs)).sum(-1).mean(), rtol=1e-5)


def test_loss_reductions_and_sample_weight():
    yt = np.array([[0.0], [1.0], [2.0], [3.0]], np.float32)
    yp = np.zeros((4, 1), np.float32)
    mse = keras.losses.MeanSquaredError
    per = np.array([0, 1, 4, 9], np.float32)
    np.testing.assert_allclose(mse(reduction="none")(yt, yp).numpy(), per)
    assert float(mse(reduction="sum")(yt, yp)) == 14.0
    w = np.array([1, 0, 0.5, 1], np.float32)
    # Keras: weighted sum divided by the number of elements
    np.testing.assert_allclose(float(mse()(yt, yp, sample_weight=w)), (per * w).sum() / 4)


def test_probability_losses_use_softmax_sigmoid_logits():
    """Softmax/sigmoid outputs of Keras activations carry their logits: the loss is exact even
    where clipping would saturate, and equals the from_logits value."""
    logits = tf.constant([[40.0, 0.0, -40.0], [0.0, 1.0, 2.0]])
    probs = keras.activations.softmax(logits)
    y = np.array([2, 1])
    exact = float(keras.losses.SparseCategoricalCrossentropy(from_logits=True)(y, logits))
    np.testing.assert_allclose(float(keras.losses.SparseCategoricalCrossentropy()(y, probs)),
                               exact, rtol=1e-5)
    assert exact > 40     # clipping at 1e-7 would have capped the first term at ~16.1
    # gradients flow through the stable form (no NaN from log(0))
    v = tf.Variable([[30.0, -30.0]])
    with tf.GradientTape() as tape:
        loss = keras.losses.binary_crossentropy([[0.0, 1.0]], keras.activations.sigmoid(v))
    g = tape.gradient(loss, v).numpy()
    assert np.all(np.isfinite(g)) and np.allclose(g, [[0.5, -0.5]], atol=1e-5)


# ------------------------------------------------------------------ optimizers
def _run_opt(opt, grads, w0, traced=False):
    v = tf.Variable(np.array(w0, np.float32))

    def step(g):
        opt.apply_gradients([(g, v)])
        return v.read_value()
    if traced:
        step = tf.function(step, jit_compile=False)
    out = []
    for g in grads:
        out.append(np.array(step(tf.constant(np.array(g, np.float32)))))
    return np.array(out)


GRADS = [[0.5, -1.0], [0.25, 2.0], [-1.0, 0.5]]


@pytest.mark.parametrize("traced", [False, True])
def test_sgd_momentum_nesterov_match_hand_computation(traced):
    lr, mu = 0.1, 0.9
    w, m = np.array([1.0, 2.0]), np.zeros(2)
    plain, mom, nest = [], [], []
    wp, wn, mn = w.copy(), w.copy(), np.zeros(2)
    for g in map(np.array, GRADS):
        wp = wp - lr * g
        plain.append(wp)
        m = mu * m - lr * g
        w = w + m
        mom.append(w)
        mn = mu * mn - lr * g
        wn = wn + mu * mn - lr * g
        nest.append(wn)
    O = keras.optimizers
    np.testing.assert_allclose(_run_opt(O.SGD(lr), GRADS, [1, 2], traced), plain, rtol=1e-6)
    np.testing.assert_allclose(_run_opt(O.SGD(lr, momentum=mu), GRADS, [1, 2], traced), mom, rtol=1e-6)
    np.testing.assert_allclose(_run_opt(O.SGD(lr, momentum=mu, nesterov=True), GRADS, [1, 2], traced),
                               nest, rtol=1e-6)


@pytest.mark.parametrize("traced", [False, True])
def test_adam_and_rmsprop_match_hand_computation(traced):
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-7
    w, m, v, ref = np.array([1.0, 2.0]), np.zeros(2), np.zeros(2), []
    for t, g in enumerate(map(np.array, GRADS), 1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        w = w - lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t) * m / (np.sqrt(v) + eps)
        ref.append(w)
    opt = keras.optimizers.Adam(lr)
    np.testing.assert_allclose(_run_opt(opt, GRADS, [1, 2], traced), ref, rtol=1e-5)
    assert int(opt.iterations.numpy()) == 3
    rho, w, s, ref = 0.9, np.array([1.0, 2.0]), np.zeros(2), []
    for g in map(np.array, GRADS):
        s = rho * s + (1 - rho) * g * g
        w = w - 0.01 * g / np.sqrt(s + eps)
        ref.append(w)
    np.testing.assert_allclose(_run_opt(keras.optimizers.RMSprop(0.01), GRADS, [1, 2], traced),
                               ref, rtol=1e-5)


def test_optimizer_learning_rate_variable_and_none_gradients():
    opt = keras.optimizers.SGD(0.5)
    v, u = tf.Variable(1.0), tf.Variable(5.0)
    step = tf.function(lambda: opt.apply_gradients([(tf.constant(1.0), v)]), jit_compile=False)
    step()
    opt.learning_rate = 0.25           # a Variable: the traced step sees the new value
    step()
    np.testing.assert_allclose(float(v), 1.0 - 0.5 - 0.25)
    assert step.experimental_get_tracing_count() == 1
    with pytest.warns(UserWarning, match="Gradients do not exist"):
        opt.apply_gradients([(None, u), (tf.constant(1.0), v)])
    assert float(u) == 5.0
    assert isinstance(keras.optimizers.get("adam"), keras.optimizers.Adam)


# ------------------------------------------------------------------ metrics
def test_metrics_update_result_reset():
    M = keras.metrics
    acc = M.SparseCategoricalAccuracy()
    acc.update_state([0, 1, 2], [[0.9, 0.1, 0], [0.2, 0.7, 0.1], [0.5, 0.4, 0.1]])
    np.testing.assert_allclose(float(acc.result()), 2 / 3, rtol=1e-6)
    acc.update_state([[1]], [[0.1, 0.9, 0]])
    np.testing.assert_allclose(float(acc.result()), 3 / 4, rtol=1e-6)
    acc.reset_state()
    assert float(acc.result()) == 0.0
    cat = M.CategoricalAccuracy()
    cat.update_state([[0, 1], [1, 0]], [[0.3, 0.7], [0.4, 0.6]])
    assert float(cat.result()) == 0.5
    b = M.BinaryAccuracy()
    b.update_state([1, 0, 1, 1], [[0.9], [0.6], [0.2], [0.7]])
    assert float(b.result()) == 0.5
    a = M.Accuracy()
    a.update_state([1, 2, 3], [1, 2, 4])
    np.testing.assert_allclose(float(a.result()), 2 / 3, rtol=1e-6)
    mean = M.Mean()
    mean.update_state([1.0, 2.0, 3.0])
    mean.update_state(10.0, sample_weight=2.0)
    np.testing.assert_allclose(float(mean.result()), (6 + 20) / 5)
    assert float(mean(4.0)) == pytest.approx((26 + 4) / 6)


def test_accuracy_string_resolves_like_keras():
    get = keras.metrics.get
    Lo = keras.losses
    assert isinstance(get("accuracy", Lo.get("sparse_categorical_crossentropy")),
                      keras.metrics.SparseCategoricalAccuracy)
    assert isinstance(get("accuracy", Lo.get("binary_crossentropy")), keras.metrics.BinaryAccuracy)
    assert isinstance(get("acc", Lo.CategoricalCrossentropy()), keras.metrics.CategoricalAccuracy)
    assert isinstance(get("accuracy", "mse", (8, 1), (8, 1)), keras.metrics.BinaryAccuracy)
    assert isinstance(get("accuracy", "mse", (8,), (8, 3)), keras.metrics.SparseCategoricalAccuracy)
    assert get("accuracy", "mse", (8, 3), (8, 3)).name == "accuracy"


# ------------------------------------------------------------------ training loop
def _mlp(out=2, act="softmax", hidden=16):
    return keras.Sequential([L.Dense(hidden, activation="relu"), L.Dense(out, activation=act)])


def test_fit_blobs_reaches_high_accuracy_and_history():
    x, y = blobs()
    model = _mlp()
    model.compile(optimizer=keras.optimizers.Adam(0.02), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"], jit_compile=False)
    hist = model.fit(x, y, batch_size=32, epochs=8, verbose=0, validation_split=0.25)
    assert set(hist.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert all(len(v) == 8 for v in hist.history.values())
    assert hist.epoch == list(range(8)) and model.history is hist
    assert hist.history["loss"][-1] < hist.history["loss"][0]
    assert hist.history["accuracy"][-1] > 0.95 and hist.history["val_accuracy"][-1] > 0.95
    # 300 training samples / 32: the last partial batch reuses the trace (unknown batch dim)
    assert model.train_function.experimental_get_tracing_count() == 1
    assert model.metrics_names == ["loss", "compile_metrics"]   # Keras 3's container


def test_fit_xor_with_sgd_momentum():
    x, y = xor_data()
    model = keras.Sequential([L.Dense(16, activation="tanh"), L.Dense(1, activation="sigmoid")])
    model.compile(optimizer=keras.optimizers.SGD(0.5, momentum=0.9), loss="binary_crossentropy",
                  metrics=["accuracy"], jit_compile=False)
    hist = model.fit(x, y, batch_size=64, epochs=25, verbose=0)
    assert isinstance(model.compiled_metrics.metrics[0], keras.metrics.BinaryAccuracy)
    assert hist.history["accuracy"][-1] > 0.9


def test_evaluate_predict_consistent():
    x, y = blobs(200)
    model = _mlp()
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"], jit_compile=False)
    model.fit(x, y, epochs=2, verbose=0)
    probs = model.predict(x, batch_size=64, verbose=0)
    assert isinstance(probs, np.ndarray) and probs.shape == (200, 2) and probs.dtype == np.float32
    np.testing.assert_allclose(probs, model(x).numpy(), rtol=1e-5, atol=1e-6)
    loss, acc = model.evaluate(x, y, batch_size=64, verbose=0)
    ref_loss = -np.mean(np.log(np.clip(probs[np.arange(200), y], 1e-7, 1)))
    np.testing.assert_allclose(loss, ref_loss, rtol=1e-4)
    np.testing.assert_allclose(acc, np.mean(probs.argmax(-1) == y), rtol=1e-6)
    d = model.evaluate(x, y, verbose=0, return_dict=True)
    assert set(d) == {"loss", "accuracy"}
    np.testing.assert_allclose(d["loss"], ref_loss, rtol=1e-4)
    # without metrics evaluate returns the scalar loss
    model.compile("sgd", "sparse_categorical_crossentropy", jit_compile=False)
    assert isinstance(model.evaluate(x, y, verbose=0), float)


def test_metrics_reset_between_epochs():
    x, y = blobs(100)
    seen = []
    model = _mlp()
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"], jit_compile=False)
    cb = keras.callbacks.LambdaCallback(on_epoch_end=lambda e, logs: seen.append(
        (float(model.metrics[0].count.numpy()),
         float(model.metrics[1].metrics[0].count.numpy()))))
    model.fit(x, y, batch_size=32, epochs=3, verbose=0, callbacks=[cb])
    # each epoch counts its own 100 samples only (the state is reset at every epoch start)
    assert seen == [(100.0, 100.0)] * 3
    # and evaluate starts from zero too
    model.evaluate(x[:10], y[:10], verbose=0)
    assert float(model.metrics[1].metrics[0].count.numpy()) == 10.0


def test_reproducible_and_eager_equals_traced():
    x, y = blobs(96)

    def run(run_eagerly):
        keras.backend.clear_session()
        tf.random.set_seed(42)
        model = keras.Sequential([L.Dense(8, activation="relu"), L.Dropout(0.2),
                                  L.Dense(2, activation="softmax")])
        model.compile(keras.optimizers.Adam(0.01), "sparse_categorical_crossentropy",
                      run_eagerly=run_eagerly, jit_compile=False)
        h = model.fit(x, y, batch_size=32, epochs=3, verbose=0, shuffle=True)
        return h.history["loss"], model.get_weights()
    l1, w1 = run(False)
    l2, w2 = run(False)
    l3, w3 = run(True)
    assert l1 == l2
    for a, b in zip(w1, w2):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(l1, l3, rtol=1e-4)
    for a, b in zip(w1, w3):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_subclassed_model_trains_and_summarizes(capsys):
    class MLP(keras.Model):
        def __init__(self):
            super().__init__()
            self.hidden = L.Dense(16, activation="relu")
            self.drop = L.Dropout(0.1)
            self.out = L.Dense(2)

        def call(self, inputs, training=None):
            return self.out(self.drop(self.hidden(inputs), training=training))
    model = MLP()
    model.summary()   # unbuilt: Keras 3 prints `?` and `0 (unbuilt)` rows
    assert capsys.readouterr().out.count("0 (unbuilt)") == 3
    x, y = blobs(200)
    model.compile(keras.optimizers.Adam(0.02),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"], jit_compile=False)
    hist = model.fit(x, y, epochs=5, verbose=0)
    assert hist.history["accuracy"][-1] > 0.9
    assert len(model.trainable_variables) == 4
    assert [l.name for l in model.layers] == ["dense", "dropout", "dense_1"]
    model.summary()
    out = capsys.readouterr().out
    assert 'Model: "mlp"' in out and "dense (Dense)" in out and "(None, 16)" in out
    assert "Trainable params: 82" in out and "Optimizer params: 166" in out   # Keras 3


def test_sequential_summary_and_input_shape(capsys):
    model = keras.Sequential([L.Dense(64, activation="relu", input_shape=(784,)), L.Dropout(0.2),
                              L.Dense(10)])
    assert model.built                   # input_shape given: built at construction, like Keras
    model.summary()
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == 'Model: "sequential"'
    # Keras 3's box table (rich): "│ dense (Dense)   │ (None, 64)   │   50,240 │"
    assert re.search(r"│ dense \(Dense\)\s+│ \(None, 64\)\s+│\s+50,240 │", out)
    assert re.search(r"│ dense_1 \(Dense\)\s+│ \(None, 10\)\s+│\s+650 │", out)
    assert "Total params: 50,890" in out and "Non-trainable params: 0" in out
    m2 = keras.Sequential([keras.Input(shape=(3,)), L.Dense(2)])
    assert m2.built and m2.count_params() == 8


def test_functional_model():
    inp = keras.Input(shape=(2,))
    h = L.Dense(8, activation="relu")(inp)
    h2 = L.Dense(8, activation="relu")(inp)
    out = L.Dense(2, activation="softmax")(L.Concatenate()([h, h2]))
    model = keras.Model(inputs=inp, outputs=out)
    assert out.shape == (None, 2)
    assert [type(l).__name__ for l in model.layers] == ["InputLayer", "Dense", "Dense",
                                                        "Concatenate", "Dense"]
    x, y = blobs(200)
    model.compile(keras.optimizers.Adam(0.02), "sparse_categorical_crossentropy",
                  metrics=["accuracy"], jit_compile=False)
    hist = model.fit(x, y, epochs=5, verbose=0)
    assert hist.history["accuracy"][-1] > 0.9
    assert model.predict(x[:7], verbose=0).shape == (7, 2)


def test_progress_output(capsys):
    x, y = blobs(64)
    model = _mlp()
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"], jit_compile=False)
    model.fit(x, y, batch_size=16, epochs=2, verbose=2, validation_data=(x, y))
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Epoch 1/2" and out[2] == "Epoch 2/2"
    # Keras 3.15's order: logs keys sorted
    assert re.fullmatch(r"4/4 - \d+s - \d+(ms|us|s)/step - accuracy: \d\.\d{4} - loss: "
                        r"\d\.\d{4} - val_accuracy: \d\.\d{4} - val_loss: \d\.\d{4}", out[1]), out[1]
    model.fit(x, y, batch_size=16, epochs=1, verbose=1)
    out = capsys.readouterr().out.splitlines()
    assert re.match(r"4/4 ━{20} \d+s \d+(ms|us|s)/step - accuracy: .* - loss: ", out[-1]), \
        out[-1]   # Keras 3's bar (plain: not a terminal)


def test_callbacks_early_stopping_and_lambda():
    x, y = blobs(64)
    model = _mlp()
    model.compile(keras.optimizers.SGD(0.0), "sparse_categorical_crossentropy", jit_compile=False)
    epochs = []
    hist = model.fit(x, y, epochs=20, verbose=0, validation_data=(x, y),
                     callbacks=[keras.callbacks.EarlyStopping(patience=2),
                                keras.callbacks.LambdaCallback(
                                    on_epoch_end=lambda e, logs: epochs.append(e))])
    # learning rate 0: val_loss never improves after the first epoch -> stop after patience
    assert len(hist.history["loss"]) == 3 and epochs == [0, 1, 2]


def test_batchnorm_regularizer_and_weights_roundtrip(tmp_path):
    x, y = blobs(128)
    model = keras.Sequential([
        L.Dense(8, kernel_regularizer=keras.regularizers.L2(0.01)),
        L.BatchNormalization(), L.Activation("relu"), L.Dense(2, activation="softmax")])
    model.compile(keras.optimizers.Adam(0.01), "sparse_categorical_crossentropy", jit_compile=False)
    model.fit(x, y, epochs=2, verbose=0)
    bn = model.layers[1]
    assert len(bn.trainable_weights) == 2 and len(bn.non_trainable_weights) == 2
    assert not np.allclose(bn.moving_mean.numpy(), 0)              # updated in the traced step
    assert len(model.losses) == 1 and float(model.losses[0]) > 0  # the L2 penalty
    ref = model.predict(x, verbose=0)
    path = tmp_path / "w.weights.h5"
    model.save_weights(str(path))
    for w in model.weights:
        w.assign(np.zeros(tuple(w.shape), np.float32))
    model.load_weights(str(path))
    np.testing.assert_allclose(model.predict(x, verbose=0), ref, rtol=1e-6)


def test_fit_regression_mse_and_train_on_batch():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(256, 3)).astype(np.float32)
    y = x @ np.array([[1.0], [-2.0], [0.5]], np.float32) + 0.3
    model = keras.Sequential([L.Dense(1)])
    model.compile(keras.optimizers.SGD(0.1), "mse", metrics=["mae"], jit_compile=False)
    hist = model.fit(x, y, epochs=20, batch_size=32, verbose=0)
    assert set(hist.history) == {"loss", "mae"}
    assert hist.history["loss"][-1] < 1e-3
    np.testing.assert_allclose(model.layers[0].kernel.numpy().ravel(), [1, -2, 0.5], atol=0.02)
    loss, mae = model.train_on_batch(x[:32], y[:32])
    assert loss < 1e-3 and mae < 0.05


def test_errors_are_clear():
    model = _mlp()
    with pytest.raises(RuntimeError, match="compile"):
        model.fit(np.zeros((4, 2)), np.zeros(4))
    model.compile("sgd", "sparse_categorical_crossentropy", jit_compile=False)
    with pytest.raises(ValueError, match="cardinality"):
        model.fit(np.zeros((4, 2)), np.zeros(5), verbose=0)
    with pytest.raises(ValueError, match="Unknown loss"):
        keras.losses.get("nope")
    with pytest.raises(ValueError, match="Unknown optimizer"):
        keras.optimizers.get("nope")


def test_custom_training_loop_builds_inside_first_trace():
    """TF2 guide style: layers and optimizer slots are created during the first trace of the
    user's tf.function; the partial last batch retraces without creating anything."""
    class Linear(L.Layer):
        def __init__(self, units):
            super().__init__()
            self.units = units

        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], self.units),
                                     initializer="random_normal", trainable=True)
            self.b = self.add_weight(shape=(self.units,), initializer="zeros", trainable=True)

        def call(self, inputs):
            return tf.matmul(inputs, self.w) + self.b

    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.blocks = [Linear(16), Linear(2)]

        def call(self, x):
            return self.blocks[1](tf.nn.relu(self.blocks[0](x)))

    model, opt = Net(), keras.optimizers.Adam(0.02)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    acc = keras.metrics.SparseCategoricalAccuracy()

    @tf.function(jit_compile=False)
    def train_step(x, y):
        with tf.GradientTape() as tape:
            logits = model(x, training=True)
            loss = loss_fn(y, logits)
        grads = tape.gradient(loss, model.trainable_weights)
        opt.apply_gradients(zip(grads, model.trainable_weights))
        acc.update_state(y, logits)
        return loss

    x, y = blobs(200)
    for _ in range(6):
        acc.reset_state()
        for i in range(0, 200, 64):
            train_step(x[i:i + 64], y[i:i + 64])
    # (two batch shapes; the first trace built the model and the optimizer's variables, so it
    # was traced again, which TF counts too)
    assert train_step.experimental_get_tracing_count() == 3
    assert len(model.trainable_weights) == 4 and int(opt.iterations.numpy()) == 24
    assert float(acc.result()) > 0.9


def test_keras2_style_custom_train_step():
    class Custom(keras.Model):
        def __init__(self):
            super().__init__()
            self.d1, self.d2 = L.Dense(16, activation="relu"), L.Dense(2)

        def call(self, x):
            return self.d2(self.d1(x))

        def train_step(self, data):
            x, y = data
            with tf.GradientTape() as tape:
                y_pred = self(x, training=True)
                loss = self.compiled_loss(y, y_pred, regularization_losses=self.losses)
            grads = tape.gradient(loss, self.trainable_variables)
            self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
            self.compiled_metrics.update_state(y, y_pred)
            return {m.name: m.result() for m in self.metrics}

    model = Custom()
    model.compile(keras.optimizers.Adam(0.02),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"], jit_compile=False)
    x, y = blobs(200)
    hist = model.fit(x, y, epochs=4, verbose=0)
    assert set(hist.history) == {"loss", "accuracy"}
    assert hist.history["loss"][-1] < hist.history["loss"][0]
    assert hist.history["accuracy"][-1] > 0.9


def test_save_and_load_model(tmp_path):
    x, y = blobs(64)
    model = _mlp()
    model.compile(keras.optimizers.Adam(0.01), "sparse_categorical_crossentropy",
                  metrics=["accuracy"], jit_compile=False)
    model.fit(x, y, epochs=2, verbose=0)
    path = str(tmp_path / "model.keras")
    model.save(path)
    restored = keras.models.load_model(path)
    np.testing.assert_allclose(restored.predict(x, verbose=0), model.predict(x, verbose=0))
    assert int(restored.optimizer.iterations.numpy()) == int(model.optimizer.iterations.numpy())
    # training continues identically from the restored optimizer state
    model.fit(x, y, epochs=1, verbose=0, shuffle=False)
    restored.fit(x, y, epochs=1, verbose=0, shuffle=False)
    for a, b in zip(model.get_weights(), restored.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_default_numba_backend_matches_numpy_executor(sync_compile):
    """The same fit on graphflow's default backend (numba) and on the numpy executor: identical
    histories, weights and predictions. Kernels compile in the caller (`sync_compile`: every
    step runs compiled; waiting for background kernels sat behind earlier tests' compile
    backlog for ~100 s of a cold suite - the background switch has tests in
    test_numba_backend)."""
    x, y = blobs(96)

    def run(jit_compile):
        keras.backend.clear_session()
        tf.random.set_seed(5)
        model = keras.Sequential([L.Dense(8, activation="relu"), L.Dropout(0.2),
                                  L.Dense(2, activation="softmax")])
        model.compile(keras.optimizers.Adam(0.01), "sparse_categorical_crossentropy",
                      metrics=["accuracy"], jit_compile=jit_compile)
        first = model.fit(x, y, batch_size=40, epochs=1, verbose=0).history
        rest = model.fit(x, y, batch_size=40, epochs=2, verbose=0, validation_data=(x, y)).history
        return first, rest, model.get_weights(), model.predict(x, verbose=0)
    ref, got = run(False), run(None)
    for a, b in zip(ref[:2], got[:2]):
        assert a.keys() == b.keys()
        for k in a:
            np.testing.assert_allclose(a[k], b[k], rtol=1e-5, atol=1e-6)
    for a, b in zip(ref[2], got[2]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ref[3], got[3], rtol=1e-5, atol=1e-6)
