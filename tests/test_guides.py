"""Cells of the TensorFlow / Keras guides, with the values the guides and API docs print."""
import numpy as np

import graphflow as tf
from graphflow import keras


def test_mape_loss_and_metric_keras_doc_values():
    # keras.io losses API: y_true=[[2., 1.], [2., 3.]], y_pred=[[1., 1.], [1., 0.]] -> 50.0
    y_true = np.array([[2., 1.], [2., 3.]], np.float32)
    y_pred = np.array([[1., 1.], [1., 0.]], np.float32)
    mape = keras.losses.MeanAbsolutePercentageError()
    np.testing.assert_allclose(float(mape(y_true, y_pred)), 50.0, rtol=1e-6)
    np.testing.assert_allclose(keras.losses.get("mape")(y_true, y_pred).numpy(), 50.0, rtol=1e-6)
    # metrics API: update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]]) -> 250000000.0
    m = keras.metrics.MeanAbsolutePercentageError()
    m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
    np.testing.assert_allclose(float(m.result()), 250000000.0, rtol=1e-6)


def test_merge_functions():
    a, b = tf.constant([[1., 5.]]), tf.constant([[3., 2.]])
    L = keras.layers
    assert L.average([a, b]).numpy().tolist() == [[2.0, 3.5]]
    assert L.maximum([a, b]).numpy().tolist() == [[3.0, 5.0]]
    assert L.minimum([a, b]).numpy().tolist() == [[1.0, 2.0]]
    assert L.subtract([a, b]).numpy().tolist() == [[-2.0, 3.0]]
    assert L.multiply([a, b]).numpy().tolist() == [[3.0, 10.0]]
    # functional API (keras guide "functional": a model that averages its branches)
    inp = keras.Input(shape=(2,))
    out = L.average([L.Dense(1, kernel_initializer="ones")(inp),
                     L.Dense(1, kernel_initializer="zeros")(inp)])
    model = keras.Model(inp, out)
    np.testing.assert_allclose(model(np.array([[1., 2.]], np.float32)).numpy(), [[1.5]])


def test_custom_train_step_with_optimizer_apply():
    # keras guide "customizing what happens in fit" (Keras 3): self.optimizer.apply(grads, vars)
    class CustomModel(keras.Model):
        def train_step(self, data):
            x, y = data
            with tf.GradientTape() as tape:
                y_pred = self(x, training=True)
                loss = tf.reduce_mean(tf.square(y - y_pred))
            grads = tape.gradient(loss, self.trainable_variables)
            self.optimizer.apply(grads, self.trainable_variables)
            self.loss_tracker.update_state(loss)
            return {"loss": self.loss_tracker.result()}

        @property
        def metrics(self):
            return [self.loss_tracker]

    inputs = keras.Input(shape=(3,))
    outputs = keras.layers.Dense(1, kernel_initializer="zeros")(inputs)
    model = CustomModel(inputs, outputs)
    model.loss_tracker = keras.metrics.Mean(name="loss")
    model.compile(optimizer=keras.optimizers.SGD(0.1), jit_compile=False)
    x = np.ones((4, 3), np.float32)
    y = np.full((4, 1), 2.0, np.float32)
    h = model.fit(x, y, batch_size=4, epochs=1, verbose=0, shuffle=False)
    # one SGD step from zero weights: loss 4; grad of kernel = -4 per entry, of bias = -4
    assert h.history["loss"] == [4.0]
    np.testing.assert_allclose(model.layers[-1].kernel.numpy(), np.full((3, 1), 0.4), rtol=1e-6)
    np.testing.assert_allclose(model.layers[-1].bias.numpy(), [0.4], rtol=1e-6)


def test_optimizer_apply_defaults_to_built_variables():
    v, w = tf.Variable([1.0, 2.0]), tf.Variable(3.0)
    opt = keras.optimizers.SGD(learning_rate=0.5)
    opt.build([v, w])
    opt.apply([tf.constant([2.0, 2.0]), tf.constant(4.0)])
    np.testing.assert_allclose(v.numpy(), [0.0, 1.0])
    assert float(w.numpy()) == 1.0
