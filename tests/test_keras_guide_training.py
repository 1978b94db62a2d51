"""Cells of the Keras guide "Training & evaluation with the built-in methods" (keras-io
guides/training_with_built_in_methods.py), run with `import graphflow as tf; from graphflow
import keras`. MNIST is replaced by small generated data of the same shape, with fewer epochs;
results are checked against numpy recomputations and Keras 3.15's behaviour."""
import os

import numpy as np
import pytest

import graphflow as tf
from graphflow import keras
from graphflow.keras import layers


pytestmark = pytest.mark.usefixtures("keras_seeded")   # conftest: the same values every run


def _data():
    r = np.random.default_rng(0)
    x = r.random((448, 784)).astype("float32")
    y = x[:, :10].argmax(1).astype("float32")   # learnable labels 0..9
    return x[:320], y[:320], x[320:384], y[320:384], x[384:], y[384:]


x_train, y_train, x_val, y_val, x_test, y_test = _data()


def get_uncompiled_model():
    inputs = keras.Input(shape=(784,), name="digits")
    x = layers.Dense(64, activation="relu", name="dense_1")(inputs)
    x = layers.Dense(64, activation="relu", name="dense_2")(x)
    outputs = layers.Dense(10, activation="softmax", name="predictions")(x)
    model = keras.Model(inputs=inputs, outputs=outputs)
    return model


def get_compiled_model():
    model = get_uncompiled_model()
    model.compile(
        optimizer="rmsprop",
        loss="sparse_categorical_crossentropy",
        metrics=["sparse_categorical_accuracy"],
    )
    return model


def _sce_probs(y, p):
    p = np.clip(p, 1e-7, 1 - 1e-7)
    return -np.log(p[np.arange(len(y)), y.astype(int)]).mean()


def test_end_to_end_fit_evaluate_predict():
    model = get_uncompiled_model()
    model.compile(
        optimizer=keras.optimizers.RMSprop(),  # Optimizer
        loss=keras.losses.SparseCategoricalCrossentropy(),
        metrics=[keras.metrics.SparseCategoricalAccuracy()],
    )
    history = model.fit(x_train, y_train, batch_size=64, epochs=2,
                        validation_data=(x_val, y_val), verbose=0)
    # Keras 3.15 history keys
    assert sorted(history.history) == ["loss", "sparse_categorical_accuracy", "val_loss",
                                       "val_sparse_categorical_accuracy"]
    assert all(len(v) == 2 for v in history.history.values())
    results = model.evaluate(x_test, y_test, batch_size=128, verbose=0)
    p = model.predict(x_test, verbose=0)
    np.testing.assert_allclose(results, [_sce_probs(y_test, p), np.mean(p.argmax(1) == y_test)],
                               rtol=1e-4)
    predictions = model.predict(x_test[:3], verbose=0)
    assert predictions.shape == (3, 10)   # the guide prints (3, 10)
    np.testing.assert_allclose(predictions.sum(1), 1.0, rtol=1e-5)
    # string shortcuts
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy",
                  metrics=["sparse_categorical_accuracy"])
    assert model.evaluate(x_test, y_test, verbose=0, return_dict=True)[
        "sparse_categorical_accuracy"] == pytest.approx(np.mean(p.argmax(1) == y_test))


def custom_mean_squared_error(y_true, y_pred):
    return tf.math.reduce_mean(tf.square(y_true - y_pred))


class CustomMSE(keras.losses.Loss):
    def __init__(self, regularization_factor=0.1, name="custom_mse"):
        super().__init__(name=name)
        self.regularization_factor = regularization_factor

    def call(self, y_true, y_pred):
        mse = tf.math.reduce_mean(tf.square(y_true - y_pred))
        reg = tf.math.reduce_mean(tf.square(0.5 - y_pred))
        return mse + reg * self.regularization_factor


def test_custom_losses():
    model = get_uncompiled_model()
    model.compile(optimizer=keras.optimizers.Adam(), loss=custom_mean_squared_error)
    # We need to one-hot encode the labels to use MSE (the guide passes its float32 labels:
    # see test_one_hot_of_float_labels)
    y_train_one_hot = tf.one_hot(y_train.astype("int64"), depth=10)
    assert y_train_one_hot.shape == (320, 10)
    model.fit(x_train, y_train_one_hot, batch_size=64, epochs=1, verbose=0)
    p = model.predict(x_val, verbose=0)
    oh = np.eye(10)[y_val.astype(int)]
    np.testing.assert_allclose(model.evaluate(x_val, np.eye(10, dtype="float32")[
        y_val.astype(int)], verbose=0), np.mean((oh - p) ** 2), rtol=1e-4)

    model = get_uncompiled_model()
    model.compile(optimizer=keras.optimizers.Adam(), loss=CustomMSE())
    model.fit(x_train, y_train_one_hot, batch_size=64, epochs=1, verbose=0)
    p = model.predict(x_val, verbose=0)
    np.testing.assert_allclose(
        model.evaluate(x_val, oh.astype("float32"), verbose=0),
        np.mean((oh - p) ** 2) + 0.1 * np.mean((0.5 - p) ** 2), rtol=1e-4)


def test_one_hot_of_float_labels():
    y_train_one_hot = tf.one_hot(y_train, depth=10)
    np.testing.assert_array_equal(y_train_one_hot.numpy(), np.eye(10)[y_train.astype(int)])


class CategoricalTruePositives(keras.metrics.Metric):
    def __init__(self, name="categorical_true_positives", **kwargs):
        super(CategoricalTruePositives, self).__init__(name=name, **kwargs)
        self.true_positives = self.add_weight(name="ctp", initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = tf.reshape(tf.argmax(y_pred, axis=1), shape=(-1, 1))
        values = tf.cast(y_true, "int32") == tf.cast(y_pred, "int32")
        values = tf.cast(values, "float32")
        if sample_weight is not None:
            sample_weight = tf.cast(sample_weight, "float32")
            values = tf.multiply(values, sample_weight)
        self.true_positives.assign_add(tf.reduce_sum(values))

    def result(self):
        return self.true_positives

    def reset_state(self):
        # The state of the metric will be reset at the start of each epoch.
        self.true_positives.assign(0.0)


def test_custom_metric():
    model = get_uncompiled_model()
    model.compile(
        optimizer=keras.optimizers.RMSprop(learning_rate=1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(),
        metrics=[CategoricalTruePositives()],
    )
    h = model.fit(x_train, y_train, batch_size=64, epochs=3, verbose=0)
    assert sorted(h.history) == ["categorical_true_positives", "loss"]
    # evaluate: the metric sums over all batches (y_true (n,) against (n, 1) broadcasts, as in
    # the guide: every pair (i, j) with y_i == argmax_j counts)
    res = model.evaluate(x_test, y_test, batch_size=64, verbose=0, return_dict=True)
    p = model.predict(x_test, verbose=0).argmax(1)
    expected = float((y_test[None, :].astype(int) == p[:, None]).sum())
    assert res["categorical_true_positives"] == pytest.approx(expected)


class ActivityRegularizationLayer(layers.Layer):
    def call(self, inputs):
        self.add_loss(tf.reduce_sum(inputs) * 0.1)
        return inputs  # Pass-through layer.


def test_add_loss_in_functional_model():
    inputs = keras.Input(shape=(784,), name="digits")
    x = layers.Dense(64, activation="relu", name="dense_1")(inputs)
    x = ActivityRegularizationLayer()(x)
    x = layers.Dense(64, activation="relu", name="dense_2")(x)
    outputs = layers.Dense(10, name="predictions")(x)
    model = keras.Model(inputs=inputs, outputs=outputs)
    model.compile(
        optimizer=keras.optimizers.RMSprop(learning_rate=1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    xb, yb = x_test[:64], y_test[:64]
    loss = model.evaluate(xb, yb, batch_size=64, verbose=0)
    k1, b1 = model.get_layer("dense_1").get_weights()
    h1 = np.maximum(xb @ k1 + b1, 0)
    logits = model.predict(xb, verbose=0)
    z = logits - logits.max(1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(1, keepdims=True))
    # The displayed loss is much higher than before due to the regularization component
    np.testing.assert_allclose(loss, -logp[np.arange(64), yb.astype(int)].mean()
                               + 0.1 * h1.sum(), rtol=1e-4)
    model.fit(x_train, y_train, batch_size=64, epochs=1, verbose=0)


class LogisticEndpoint(keras.layers.Layer):
    def __init__(self, name=None):
        super().__init__(name=name)
        self.loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)

    def call(self, targets, logits, sample_weights=None):
        # Compute the training-time loss value and add it
        # to the layer using `self.add_loss()`.
        loss = self.loss_fn(targets, logits, sample_weights)
        self.add_loss(loss)
        # Return the inference-time prediction tensor (for `.predict()`).
        return tf.nn.softmax(logits)


def test_logistic_endpoint_compiled_without_loss():
    inputs = keras.Input(shape=(3,), name="inputs")
    targets = keras.Input(shape=(10,), name="targets")
    logits = keras.layers.Dense(10)(inputs)
    predictions = LogisticEndpoint(name="predictions")(logits, targets)
    model = keras.Model(inputs=[inputs, targets], outputs=predictions)
    model.compile(optimizer="adam")  # No loss argument!
    r = np.random.default_rng(0)
    data = {
        "inputs": r.random((3, 3)),
        "targets": r.random((3, 10)),
    }
    k, b = model.layers[2].get_weights() if model.layers[2].weights else \
        model.layers[1].get_weights()
    lg = data["inputs"] @ k + b
    t = data["targets"]
    # the guide calls the layer as (logits, targets) on call(targets, logits): the "targets"
    # argument gets the logits - the loss is BCE(y_true=logits, y_pred_logits=targets)
    bce = np.mean(np.maximum(t, 0) - t * lg + np.log1p(np.exp(-np.abs(t))))
    h = model.fit(data, verbose=0)
    np.testing.assert_allclose(h.history["loss"][0], bce, rtol=1e-4)


def test_validation_split():
    model = get_compiled_model()
    h = model.fit(x_train, y_train, batch_size=64, validation_split=0.2, epochs=1, verbose=0,
                  shuffle=False)
    # the last 20% of the samples, before any shuffling
    p = model.predict(x_train[256:], verbose=0)
    np.testing.assert_allclose(h.history["val_loss"][0], _sce_probs(y_train[256:], p), rtol=1e-4)


def test_datasets_fit_evaluate_steps_and_validation():
    model = get_compiled_model()
    train_dataset = tf.data.Dataset.from_tensor_slices((x_train, y_train))
    train_dataset = train_dataset.shuffle(buffer_size=1024).batch(64)
    test_dataset = tf.data.Dataset.from_tensor_slices((x_test, y_test))
    test_dataset = test_dataset.batch(64)
    h = model.fit(train_dataset, epochs=3, verbose=0)
    assert len(h.history["loss"]) == 3
    result = model.evaluate(test_dataset, verbose=0)
    d = dict(zip(model.metrics_names, result))
    # Keras 3.15 names the second entry 'compile_metrics' (its metrics container)
    assert list(d) == ["loss", "compile_metrics"]
    np.testing.assert_allclose(result, model.evaluate(x_test, y_test, verbose=0), rtol=1e-5)

    # steps_per_epoch: the dataset is not reset, later epochs draw the next batches
    model = get_compiled_model()
    train_dataset = tf.data.Dataset.from_tensor_slices((x_train, y_train))
    train_dataset = train_dataset.shuffle(buffer_size=1024).batch(64)
    seen = []

    class Count(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append(batch)
    model.fit(train_dataset, epochs=3, steps_per_epoch=2, verbose=0, callbacks=[Count()])
    # 5 batches in all: the third epoch runs out of data after one step (Keras stops there)
    assert seen == [0, 1, 0, 1, 0]

    model = get_compiled_model()
    val_dataset = tf.data.Dataset.from_tensor_slices((x_val, y_val)).batch(16)
    h = model.fit(train_dataset, epochs=1, validation_data=val_dataset, verbose=0)
    np.testing.assert_allclose(h.history["val_loss"][0],
                               _sce_probs(y_val, model.predict(x_val, verbose=0)), rtol=1e-4)
    h = model.fit(train_dataset, epochs=1, validation_data=val_dataset, validation_steps=2,
                  verbose=0)
    np.testing.assert_allclose(h.history["val_loss"][0],
                               _sce_probs(y_val[:32], model.predict(x_val[:32], verbose=0)),
                               rtol=1e-4)


def test_py_dataset_input():
    class MnistPyDataset(keras.utils.PyDataset):
        def __init__(self, x_set, y_set, batch_size, **kwargs):
            super().__init__(**kwargs)
            self.x, self.y = x_set, y_set
            self.batch_size = batch_size

        def __len__(self):
            return int(np.ceil(len(self.x) / float(self.batch_size)))

        def __getitem__(self, idx):
            low = idx * self.batch_size
            high = min(low + self.batch_size, len(self.x))
            return self.x[low:high], self.y[low:high]

    model = get_compiled_model()
    ds = MnistPyDataset(x_train, y_train, batch_size=64)
    h = model.fit(ds, epochs=2, verbose=0)
    assert len(h.history["loss"]) == 2
    res = model.evaluate(MnistPyDataset(x_test, y_test, 32), verbose=0)
    np.testing.assert_allclose(res, model.evaluate(x_test, y_test, verbose=0), rtol=1e-5)


class_weight = {0: 1.0, 1: 1.0, 2: 1.0, 3: 1.0, 4: 1.0,
                # Set weight "2" for class "5", making this class 2x more important
                5: 2.0, 6: 1.0, 7: 1.0, 8: 1.0, 9: 1.0}


def test_class_and_sample_weights():
    # one step from equal weights: class_weight, sample_weight and a weighted Dataset agree
    def one_step(**kw):
        keras.utils.set_random_seed(1)
        model = get_compiled_model()
        model.fit(x_train[:64], y_train[:64], batch_size=64, epochs=1, verbose=0,
                  shuffle=False, **kw)
        return model.get_weights()

    w_cls = one_step(class_weight=class_weight)
    sample_weight = np.ones(shape=(64,))
    sample_weight[y_train[:64] == 5] = 2.0
    w_sw = one_step(sample_weight=sample_weight)
    for a, b in zip(w_cls, w_sw):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)
    w_plain = one_step()
    assert any(not np.allclose(a, b) for a, b in zip(w_plain, w_sw))

    keras.utils.set_random_seed(1)
    model = get_compiled_model()
    train_dataset = tf.data.Dataset.from_tensor_slices(
        (x_train[:64], y_train[:64], sample_weight)).batch(64)
    model.fit(train_dataset, epochs=1, verbose=0)
    for a, b in zip(model.get_weights(), w_sw):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)


def _two_io_model(timesteps=None):
    image_input = keras.Input(shape=(32, 32, 3), name="img_input")
    timeseries_input = keras.Input(shape=(timesteps, 10), name="ts_input")
    x1 = layers.Conv2D(3, 3)(image_input)
    x1 = layers.GlobalMaxPooling2D()(x1)
    x2 = layers.Conv1D(3, 3)(timeseries_input)
    x2 = layers.GlobalMaxPooling1D()(x2)
    x = layers.concatenate([x1, x2])
    score_output = layers.Dense(1, name="score_output")(x)
    class_output = layers.Dense(5, name="class_output")(x)
    return keras.Model(inputs=[image_input, timeseries_input],
                       outputs=[score_output, class_output])


def test_multi_io_model_with_unknown_timesteps():
    # Conv1D on (None, 10): the output length is unknown (None), not 1
    model = _two_io_model()
    assert model.output_shape == [(None, 1), (None, 5)]
    conv1d = [l for l in model.layers if isinstance(l, keras.layers.Conv1D)][0]
    assert conv1d.output.shape == (None, None, 3)


def test_multi_input_multi_output(tmp_path):
    model = _two_io_model()
    keras.utils.plot_model(model, str(tmp_path / "multi_input_and_output_model.png"),
                           show_shapes=True)
    assert (tmp_path / "multi_input_and_output_model.png").stat().st_size > 0
    r = np.random.RandomState(0)
    img_data = r.random_sample(size=(20, 32, 32, 3))
    ts_data = r.random_sample(size=(20, 20, 10))
    score_targets = r.random_sample(size=(20, 1))
    class_targets = r.random_sample(size=(20, 5))
    model.compile(optimizer=keras.optimizers.RMSprop(1e-3),
                  loss=[keras.losses.MeanSquaredError(), keras.losses.CategoricalCrossentropy()])
    model.compile(
        optimizer=keras.optimizers.RMSprop(1e-3),
        loss=[keras.losses.MeanSquaredError(), keras.losses.CategoricalCrossentropy()],
        metrics=[
            [keras.metrics.MeanAbsolutePercentageError(), keras.metrics.MeanAbsoluteError()],
            [keras.metrics.CategoricalAccuracy()],
        ],
    )
    model.compile(
        optimizer=keras.optimizers.RMSprop(1e-3),
        loss={
            "score_output": keras.losses.MeanSquaredError(),
            "class_output": keras.losses.CategoricalCrossentropy(),
        },
        metrics={
            "score_output": [
                keras.metrics.MeanAbsolutePercentageError(),
                keras.metrics.MeanAbsoluteError(),
            ],
            "class_output": [keras.metrics.CategoricalAccuracy()],
        },
        loss_weights={"score_output": 2.0, "class_output": 1.0},
    )
    res = model.evaluate([img_data, ts_data], [score_targets, class_targets], verbose=0,
                         return_dict=True, batch_size=20)
    s, c = model.predict([img_data, ts_data], verbose=0)
    # Keras 3.15 keys for this compile (checked against keras 3.15.1: per-output losses too)
    assert sorted(res) == ["class_output_categorical_accuracy", "class_output_loss", "loss",
                           "score_output_loss", "score_output_mean_absolute_error",
                           "score_output_mean_absolute_percentage_error"]
    mse = np.mean((s - score_targets) ** 2)
    pc = np.clip(c / c.sum(-1, keepdims=True), 1e-7, 1 - 1e-7)
    cce = np.mean(-(class_targets * np.log(pc)).sum(-1))
    np.testing.assert_allclose(res["loss"], 2 * mse + cce, rtol=1e-4)
    np.testing.assert_allclose(res["score_output_mean_absolute_error"],
                               np.mean(np.abs(s - score_targets)), rtol=1e-4)
    np.testing.assert_allclose(res["score_output_mean_absolute_percentage_error"],
                               100 * np.mean(np.abs((s - score_targets) / score_targets)),
                               rtol=1e-4)
    np.testing.assert_allclose(res["class_output_categorical_accuracy"],
                               np.mean(c.argmax(1) == class_targets.argmax(1)), rtol=1e-6)

    # no loss for some outputs
    model.compile(optimizer=keras.optimizers.RMSprop(1e-3),
                  loss=[None, keras.losses.CategoricalCrossentropy()])
    np.testing.assert_allclose(model.evaluate([img_data, ts_data], [score_targets, class_targets],
                                              verbose=0, batch_size=20), cce, rtol=1e-4)
    model.compile(optimizer=keras.optimizers.RMSprop(1e-3),
                  loss={"class_output": keras.losses.CategoricalCrossentropy()})
    np.testing.assert_allclose(model.evaluate(
        {"img_input": img_data, "ts_input": ts_data},
        {"score_output": score_targets, "class_output": class_targets}, verbose=0,
        batch_size=20), cce, rtol=1e-4)

    model.compile(optimizer=keras.optimizers.RMSprop(1e-3),
                  loss=[keras.losses.MeanSquaredError(), keras.losses.CategoricalCrossentropy()])
    model.fit([img_data, ts_data], [score_targets, class_targets], batch_size=32, epochs=1,
              verbose=0)
    model.fit({"img_input": img_data, "ts_input": ts_data},
              {"score_output": score_targets, "class_output": class_targets},
              batch_size=32, epochs=1, verbose=0)
    train_dataset = tf.data.Dataset.from_tensor_slices(
        ({"img_input": img_data, "ts_input": ts_data},
         {"score_output": score_targets, "class_output": class_targets}))
    train_dataset = train_dataset.shuffle(buffer_size=1024).batch(64)
    h = model.fit(train_dataset, epochs=1, verbose=0)
    assert len(h.history["loss"]) == 1


def test_early_stopping_callback():
    model = get_compiled_model()
    callbacks = [keras.callbacks.EarlyStopping(monitor="val_loss", min_delta=1e-2, patience=2,
                                               verbose=0)]
    h = model.fit(x_train, y_train, epochs=20, batch_size=64, callbacks=callbacks,
                  validation_split=0.2, verbose=0)
    v = h.history["val_loss"]
    # stops after 2 epochs without an improvement of at least 1e-2 on the best so far
    best, wait, stop = np.inf, 0, None
    for i, x in enumerate(v):
        if x < best - 1e-2:
            best, wait = x, 0
        else:
            wait += 1
            if wait >= 2:
                stop = i
                break
    assert stop is None and len(v) == 20 or len(v) == stop + 1


class LossHistory(keras.callbacks.Callback):
    def on_train_begin(self, logs):
        self.per_batch_losses = []

    def on_batch_end(self, batch, logs):
        self.per_batch_losses.append(logs.get("loss"))


def test_loss_history_on_batch_end():
    model = get_compiled_model()
    cb = LossHistory()
    model.fit(x_train, y_train, epochs=1, batch_size=64, callbacks=[cb], verbose=0)
    assert len(cb.per_batch_losses) == 5


def test_model_checkpoint_and_restore(tmp_path):
    model = get_compiled_model()
    callbacks = [keras.callbacks.ModelCheckpoint(
        filepath=str(tmp_path / "mymodel_{epoch}.keras"), save_best_only=True,
        monitor="val_loss", verbose=0)]
    h = model.fit(x_train, y_train, epochs=2, batch_size=64, callbacks=callbacks,
                  validation_split=0.2, verbose=0)
    saved = sorted(os.listdir(tmp_path))
    v = h.history["val_loss"]
    assert saved == (["mymodel_1.keras", "mymodel_2.keras"] if v[1] < v[0]
                     else ["mymodel_1.keras"])

    checkpoint_dir = str(tmp_path / "ckpt")
    if not os.path.exists(checkpoint_dir):
        os.makedirs(checkpoint_dir)

    def make_or_restore_model():
        checkpoints = [checkpoint_dir + "/" + name for name in os.listdir(checkpoint_dir)]
        if checkpoints:
            latest_checkpoint = max(checkpoints, key=os.path.getctime)
            return keras.models.load_model(latest_checkpoint)
        return get_compiled_model()

    model = make_or_restore_model()
    callbacks = [keras.callbacks.ModelCheckpoint(
        filepath=checkpoint_dir + "/ckpt-loss={loss:.2f}.keras", save_freq=2)]
    model.fit(x_train, y_train, epochs=1, callbacks=callbacks, verbose=0)   # 10 batches
    names = os.listdir(checkpoint_dir)
    assert len(names) >= 1 and all(n.startswith("ckpt-loss=") for n in names)
    restored = make_or_restore_model()
    assert restored.count_params() == model.count_params()


def test_learning_rate_schedule():
    initial_learning_rate = 0.1
    lr_schedule = keras.optimizers.schedules.ExponentialDecay(
        initial_learning_rate, decay_steps=100000, decay_rate=0.96, staircase=True)
    optimizer = keras.optimizers.RMSprop(learning_rate=lr_schedule)
    np.testing.assert_allclose(float(lr_schedule(100000)), 0.096, rtol=1e-6)
    np.testing.assert_allclose(float(lr_schedule(99999)), 0.1, rtol=1e-6)
    np.testing.assert_allclose(float(np.array(optimizer.learning_rate)), 0.1, rtol=1e-6)


def test_tensorboard_callback(tmp_path):
    cb = keras.callbacks.TensorBoard(log_dir=str(tmp_path / "logs"), histogram_freq=0,
                                     embeddings_freq=0, update_freq="epoch")
    model = get_compiled_model()
    model.fit(x_train[:64], y_train[:64], epochs=1, callbacks=[cb], verbose=0)
    assert os.listdir(tmp_path / "logs")


def test_multi_output_fit_reports_each_outputs_unweighted_loss_as_keras_3():
    import graphflow as tf
    keras, layers = tf.keras, tf.keras.layers
    inp = keras.Input(shape=(4,), name="x")
    h = layers.Dense(3)(inp)
    model = keras.Model(inp, [layers.Dense(1, name="score")(h), layers.Dense(2, name="cls")(h)])
    model.compile(optimizer="sgd", loss={"score": "mse", "cls": "mae"},
                  loss_weights={"score": 2.0, "cls": 1.0})
    rng = np.random.default_rng(0)
    x, ys = rng.random((16, 4)), [rng.random((16, 1)), rng.random((16, 2))]
    hist = model.fit(x, ys, batch_size=16, epochs=1, verbose=0)
    assert sorted(hist.history) == ["cls_loss", "loss", "score_loss"]
    r = model.evaluate(x, ys, verbose=0, return_dict=True)
    p = model.predict(x, verbose=0)
    mse, mae = np.mean((p[0] - ys[0]) ** 2), np.mean(np.abs(p[1] - ys[1]))
    np.testing.assert_allclose([r["score_loss"], r["cls_loss"], r["loss"]],
                               [mse, mae, 2 * mse + mae], rtol=1e-5)
