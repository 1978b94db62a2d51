"""Guide and API-doc cells for issue 10's items (custom_gradient, Sequential feature extraction,
the functional guide's multi-input / multi-output model), with the values the text prints or
values recomputed with numpy."""
import numpy as np

import graphflow as tf

keras = tf.keras
layers = keras.layers


def test_custom_gradient_doc_bar():
    # tf.custom_gradient docs: z = x * y with grad (upstream * y, upstream * x)
    @tf.custom_gradient
    def bar(x, y):
        def grad(upstream):
            dz_dx = y
            dz_dy = x
            return upstream * dz_dx, upstream * dz_dy
        z = x * y
        return z, grad
    x = tf.constant(2.0, dtype=tf.float32)
    y = tf.constant(3.0, dtype=tf.float32)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        tape.watch(y)
        z = bar(x, y)
    assert float(z) == 6.0
    assert float(tape.gradient(z, x)) == 3.0
    assert float(tape.gradient(z, y)) == 2.0


def test_custom_gradient_doc_nested_second_order():
    # tf.custom_gradient docs: a custom first-order gradient whose own gradient is custom too
    # (here fused_op(x) = (x**3, 3 x**2), second order 6 x)
    calls = []

    @tf.custom_gradient
    def op_with_fused_backprop(x):
        y, x_grad = x ** 3, 3.0 * x ** 2

        def first_order_gradient(dy):
            @tf.custom_gradient
            def first_order_custom(unused_x):
                def second_order_and_transpose(ddy):
                    calls.append("second")
                    return ddy * 6.0 * x
                return x_grad, second_order_and_transpose
            return dy * first_order_custom(x)
        return y, first_order_gradient

    x = tf.constant([1.0, 2.0])
    with tf.GradientTape() as t2:
        t2.watch(x)
        with tf.GradientTape() as t1:
            t1.watch(x)
            y = op_with_fused_backprop(x)
        dy_dx = t1.gradient(y, x)
    d2y_dx2 = t2.gradient(dy_dx, x)
    np.testing.assert_array_equal(dy_dx.numpy(), [3.0, 12.0])
    np.testing.assert_array_equal(d2y_dx2.numpy(), [6.0, 12.0])
    assert calls == ["second"]


def test_sequential_guide_feature_extraction():
    # Sequential guide: features of every layer, and of one intermediate layer by name
    initial_model = keras.Sequential([
        keras.Input(shape=(250, 250, 3)),
        layers.Conv2D(4, 5, strides=2, activation="relu"),
        layers.Conv2D(4, 3, activation="relu", name="my_intermediate_layer"),
        layers.Conv2D(4, 3, activation="relu"),
    ])
    feature_extractor = keras.Model(inputs=initial_model.inputs,
                                    outputs=[layer.output for layer in initial_model.layers])
    x = tf.ones((1, 250, 250, 3))
    features = feature_extractor(x)
    assert [tuple(f.shape) for f in features] == [(1, 123, 123, 4), (1, 121, 121, 4),
                                                  (1, 119, 119, 4)]
    np.testing.assert_allclose(features[-1].numpy(), initial_model(x).numpy(), rtol=1e-5,
                               atol=1e-6)
    mid = keras.Model(inputs=initial_model.inputs,
                      outputs=initial_model.get_layer(name="my_intermediate_layer").output)
    np.testing.assert_allclose(mid(x).numpy(), features[1].numpy(), rtol=1e-6)


def _bce_logits(z, x):
    return np.mean(np.maximum(x, 0) - x * z + np.log1p(np.exp(-np.abs(x))))


def _cce_logits(y, x):
    z = x - x.max(-1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(-1, keepdims=True))
    return np.mean(-(y * logp).sum(-1))


def test_functional_guide_multi_input_multi_output_ticket_model():
    # functional API guide: "Models with multiple inputs and outputs" (sizes reduced)
    num_tags, num_words, num_departments = 12, 100, 4
    title_input = keras.Input(shape=(None,), name="title")
    body_input = keras.Input(shape=(None,), name="body")
    tags_input = keras.Input(shape=(num_tags,), name="tags")
    title_features = layers.LSTM(16)(layers.Embedding(num_words, 8)(title_input))
    body_features = layers.LSTM(4)(layers.Embedding(num_words, 8)(body_input))
    x = layers.concatenate([title_features, body_features, tags_input])
    priority_pred = layers.Dense(1, name="priority")(x)
    department_pred = layers.Dense(num_departments, name="department")(x)
    model = keras.Model(inputs=[title_input, body_input, tags_input],
                        outputs={"priority": priority_pred, "department": department_pred})
    model.compile(optimizer=keras.optimizers.RMSprop(1e-3),
                  loss={"priority": keras.losses.BinaryCrossentropy(from_logits=True),
                        "department": keras.losses.CategoricalCrossentropy(from_logits=True)},
                  loss_weights={"priority": 1.0, "department": 0.2})
    r = np.random.default_rng(3)
    data = {"title": r.integers(num_words, size=(64, 10)), "body": r.integers(num_words, size=(64, 20)),
            "tags": r.integers(2, size=(64, num_tags)).astype("float32")}
    targets = {"priority": r.random(size=(64, 1)).astype("float32"),
               "department": r.integers(2, size=(64, num_departments)).astype("float32")}
    pred = model(data)
    want = _bce_logits(targets["priority"], pred["priority"].numpy()) + \
        0.2 * _cce_logits(targets["department"], pred["department"].numpy())
    got = model.evaluate(data, targets, batch_size=64, verbose=0)
    # Keras 3.15: [loss, priority_loss, department_loss] (unweighted per-output losses)
    np.testing.assert_allclose(got, [want, _bce_logits(targets["priority"],
                                                       pred["priority"].numpy()),
                                     _cce_logits(targets["department"],
                                                 pred["department"].numpy())], rtol=1e-5)
    hist = model.fit(data, targets, epochs=2, batch_size=32, verbose=0)
    assert len(hist.history["loss"]) == 2 and np.all(np.isfinite(hist.history["loss"]))


def test_callbacks_guide_log_keys():
    # Keras guide "writing your own callbacks": every hook gets a logs dict ({} when empty)
    out = []

    class CustomCallback(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            out.append(f"Starting training; got log keys: {list(logs.keys())}")

        def on_train_end(self, logs=None):
            out.append(f"Stop training; got log keys: {list(logs.keys())}")

        def on_epoch_begin(self, epoch, logs=None):
            out.append(f"Start epoch {epoch} of training; got log keys: {list(logs.keys())}")

        def on_epoch_end(self, epoch, logs=None):
            out.append(f"End epoch {epoch} of training; got log keys: {list(logs.keys())}")

        def on_test_begin(self, logs=None):
            out.append(f"Start testing; got log keys: {list(logs.keys())}")

        def on_test_end(self, logs=None):
            out.append(f"Stop testing; got log keys: {list(logs.keys())}")

        def on_predict_begin(self, logs=None):
            out.append(f"Start predicting; got log keys: {list(logs.keys())}")

        def on_predict_end(self, logs=None):
            out.append(f"Stop predicting; got log keys: {list(logs.keys())}")

        def on_train_batch_begin(self, batch, logs=None):
            out.append(f"...Training: start of batch {batch}; got log keys: {list(logs.keys())}")

        def on_train_batch_end(self, batch, logs=None):
            out.append(f"...Training: end of batch {batch}; got log keys: {list(logs.keys())}")

        def on_test_batch_begin(self, batch, logs=None):
            out.append(f"...Evaluating: start of batch {batch}; got log keys: {list(logs.keys())}")

        def on_test_batch_end(self, batch, logs=None):
            out.append(f"...Evaluating: end of batch {batch}; got log keys: {list(logs.keys())}")

        def on_predict_batch_begin(self, batch, logs=None):
            out.append(f"...Predicting: start of batch {batch}; got log keys: {list(logs.keys())}")

        def on_predict_batch_end(self, batch, logs=None):
            out.append(f"...Predicting: end of batch {batch}; got log keys: {list(logs.keys())}")

    model = keras.Sequential([keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=0.1),
                  loss="mean_squared_error", metrics=["mean_absolute_error"])
    x = np.random.default_rng(4).random((8, 784)).astype("float32")
    y = np.random.default_rng(5).random((8,)).astype("float32")
    model.fit(x, y, batch_size=4, epochs=1, verbose=0, validation_split=0.0,
              callbacks=[CustomCallback()])
    model.evaluate(x, y, batch_size=8, verbose=0, callbacks=[CustomCallback()])
    model.predict(x, batch_size=8, verbose=0, callbacks=[CustomCallback()])
    m = "['loss', 'mean_absolute_error']"
    assert out == [
        "Starting training; got log keys: []",
        "Start epoch 0 of training; got log keys: []",
        "...Training: start of batch 0; got log keys: []",
        f"...Training: end of batch 0; got log keys: {m}",
        "...Training: start of batch 1; got log keys: []",
        f"...Training: end of batch 1; got log keys: {m}",
        f"End epoch 0 of training; got log keys: {m}",
        f"Stop training; got log keys: {m}",
        "Start testing; got log keys: []",
        "...Evaluating: start of batch 0; got log keys: []",
        f"...Evaluating: end of batch 0; got log keys: {m}",
        f"Stop testing; got log keys: {m}",
        "Start predicting; got log keys: []",
        "...Predicting: start of batch 0; got log keys: []",
        "...Predicting: end of batch 0; got log keys: ['outputs']",
        "Stop predicting; got log keys: []",
    ]


def test_variable_guide_device_placement_cells():
    # guide/variable "Placing variables and tensors": run on the CPU whatever the device name
    with tf.device('CPU:0'):
        # Create some tensors
        a = tf.Variable([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
        b = tf.constant([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
        c = tf.matmul(a, b)
    np.testing.assert_allclose(c.numpy(), [[22., 28.], [49., 64.]])
    with tf.device('CPU:0'):
        a = tf.Variable([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
        b = tf.Variable([[1.0, 2.0, 3.0]])
    with tf.device('GPU:0'):
        # Element-wise multiply
        k = a * b
    np.testing.assert_allclose(k.numpy(), [[1., 4., 9.], [4., 10., 18.]])
    # guide/basics: no GPU here, so the guide's else branch
    assert not tf.config.list_physical_devices('GPU')
    assert [d.device_type for d in tf.config.list_physical_devices()] == ["CPU"]
