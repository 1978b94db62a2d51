"""Small Keras 3.15 behaviours found running TF tutorials ("Classification on imbalanced data",
"Simple audio recognition"): EarlyStopping(restore_best_weights=True) restores the best epoch's
weights at the end of training even when it did not stop early (and says so with verbose=1);
fit takes a single callback."""
import contextlib
import io

import numpy as np

import graphflow as tf
from graphflow import keras


def test_early_stopping_restores_best_weights_without_stopping():
    keras.utils.set_random_seed(1)
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(keras.optimizers.SGD(0.1), "mse")
    x = np.random.default_rng(0).normal(size=(16, 2)).astype("float32")
    y = x @ np.array([[1.0], [-2.0]], np.float32)
    seen = []
    keep = keras.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: seen.append([w.copy() for w in model.get_weights()]))
    # the loss falls every epoch, so with mode='max' the best epoch is the first
    stop = keras.callbacks.EarlyStopping(monitor="loss", mode="max", patience=10, verbose=1,
                                         restore_best_weights=True)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        h = model.fit(x, y, epochs=3, batch_size=16, verbose=0, callbacks=[keep, stop])
    assert len(h.history["loss"]) == 3 and h.history["loss"][2] < h.history["loss"][0]
    assert out.getvalue() == "Restoring model weights from the end of the best epoch: 1.\n"
    for w, best in zip(model.get_weights(), seen[0]):
        np.testing.assert_array_equal(w, best)
    assert not np.array_equal(seen[0][0], seen[2][0])


def test_fit_takes_a_single_callback():
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    epochs = []
    cb = keras.callbacks.LambdaCallback(on_epoch_end=lambda e, logs: epochs.append(e))
    model.fit(np.ones((4, 1)), np.ones((4, 1)), epochs=2, verbose=0, callbacks=cb)
    assert epochs == [0, 1]
    assert isinstance(tf.keras.callbacks.CallbackList(cb).callbacks, list)


def test_numpy_function_in_a_loop_body_without_shapes():
    # the Actor-Critic tutorial's env step (TF leaves the shapes unknown): since 177ec15 the
    # function's output shapes are learned from the loop's entry values
    @tf.function
    def run(n):
        s = tf.zeros([2])
        for _ in tf.range(n):
            s = tf.numpy_function(lambda a: a + 1, [s], tf.float32)
        return s
    np.testing.assert_array_equal(run(tf.constant(3)).numpy(), [3.0, 3.0])

    @tf.function
    def ok(n):
        s = tf.zeros([2])
        for _ in tf.range(n):
            s = tf.numpy_function(lambda a: a + 1, [s], tf.TensorSpec([2], tf.float32))
        return s
    np.testing.assert_array_equal(ok(tf.constant(3)).numpy(), [3.0, 3.0])
