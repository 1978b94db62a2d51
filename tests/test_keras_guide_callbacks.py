"""Cells of the Keras guide "Writing your own callbacks" (keras-io
guides/writing_your_own_callbacks.py), run with `import graphflow as tf; from graphflow import
keras`. MNIST is replaced by generated data of the same shape (no downloads); call orders and
log keys are what Keras 3.15 gives for the same cells."""
import numpy as np
import pytest

import graphflow as tf
from graphflow import keras


pytestmark = pytest.mark.usefixtures("keras_seeded")   # conftest: the same values every run


def get_model():
    model = keras.Sequential()
    model.add(keras.layers.Dense(1, input_dim=784))
    model.compile(
        optimizer=keras.optimizers.RMSprop(learning_rate=0.1),
        loss="mean_squared_error",
        metrics=["mean_absolute_error"],
    )
    return model


_r = np.random.default_rng(0)
x_train = _r.random((256, 784)).astype("float32")
y_train = _r.integers(0, 10, 256)
x_test = _r.random((256, 784)).astype("float32")
y_test = _r.integers(0, 10, 256)

_LOGS_ONLY = ["on_train_begin", "on_train_end", "on_test_begin", "on_test_end",
              "on_predict_begin", "on_predict_end"]
_WITH_INDEX = ["on_epoch_begin", "on_epoch_end", "on_train_batch_begin", "on_train_batch_end",
               "on_test_batch_begin", "on_test_batch_end", "on_predict_batch_begin",
               "on_predict_batch_end"]


def _recording_callback(rec):
    """The guide's CustomCallback: every hook reads `list(logs.keys())` (logs is never None)."""
    class CustomCallback(keras.callbacks.Callback):
        pass
    for name in _LOGS_ONLY:
        setattr(CustomCallback, name, (lambda n: lambda self, logs=None: rec.append(
            (n, list(logs.keys()))))(name))
    for name in _WITH_INDEX:
        setattr(CustomCallback, name, (lambda n: lambda self, i, logs=None: rec.append(
            (n, i, list(logs.keys()))))(name))
    return CustomCallback()


M = ["loss", "mean_absolute_error"]
VM = M + ["val_loss", "val_mean_absolute_error"]


def test_custom_callback_call_order_and_log_keys():
    rec = []
    model = get_model()
    model.fit(x_train, y_train, batch_size=128, epochs=1, verbose=0, validation_split=0.5,
              callbacks=[_recording_callback(rec)])
    # Keras 3.15 gives exactly this sequence (validation runs the fit callbacks' test hooks)
    assert rec == [("on_train_begin", []), ("on_epoch_begin", 0, []),
                   ("on_train_batch_begin", 0, []), ("on_train_batch_end", 0, M),
                   ("on_test_begin", []), ("on_test_batch_begin", 0, []),
                   ("on_test_batch_end", 0, M), ("on_test_end", M),
                   ("on_epoch_end", 0, VM), ("on_train_end", VM)]
    rec.clear()
    res = model.evaluate(x_test, y_test, batch_size=128, verbose=0,
                         callbacks=[_recording_callback(rec)])
    assert rec == [("on_test_begin", []), ("on_test_batch_begin", 0, []),
                   ("on_test_batch_end", 0, M), ("on_test_batch_begin", 1, []),
                   ("on_test_batch_end", 1, M), ("on_test_end", M)]
    # values against numpy
    k, b = model.get_weights()
    err = x_test @ k + b - y_test[:, None]
    np.testing.assert_allclose(res, [np.mean(err ** 2), np.mean(np.abs(err))], rtol=1e-4)
    rec.clear()
    res = model.predict(x_test, batch_size=128, callbacks=[_recording_callback(rec)], verbose=0)
    assert rec == [("on_predict_begin", []), ("on_predict_batch_begin", 0, []),
                   ("on_predict_batch_end", 0, ["outputs"]), ("on_predict_batch_begin", 1, []),
                   ("on_predict_batch_end", 1, ["outputs"]), ("on_predict_end", [])]
    np.testing.assert_allclose(res, x_test @ k + b, rtol=1e-4, atol=1e-4)


class LossAndErrorPrintingCallback(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.lines = []

    def on_train_batch_end(self, batch, logs=None):
        self.lines.append("For batch {}, loss is {:7.2f}.".format(batch, logs["loss"]))

    def on_test_batch_end(self, batch, logs=None):
        self.lines.append("For batch {}, loss is {:7.2f}.".format(batch, logs["loss"]))

    def on_epoch_end(self, epoch, logs=None):
        self.lines.append(
            "The average loss for epoch {} is {:7.2f} "
            "and mean absolute error is {:7.2f}.".format(
                epoch, logs["loss"], logs["mean_absolute_error"]
            )
        )


def test_logs_dict_values():
    model = get_model()
    cb = LossAndErrorPrintingCallback()
    h = model.fit(x_train, y_train, batch_size=128, epochs=2, verbose=0, callbacks=[cb],
                  shuffle=False)
    assert len(cb.lines) == 2 + 1 + 2 + 1
    assert cb.lines[2].startswith("The average loss for epoch 0 is")
    # the epoch log is the running mean over the epoch's batches
    assert f"{h.history['loss'][0]:7.2f}" in cb.lines[2]
    cb2 = LossAndErrorPrintingCallback()
    res = model.evaluate(x_test, y_test, batch_size=128, verbose=0, callbacks=[cb2])
    assert [l[:13] for l in cb2.lines] == ["For batch 0, ", "For batch 1, "]
    assert f"{res[0]:7.2f}" in cb2.lines[-1]


class EarlyStoppingAtMinLoss(keras.callbacks.Callback):
    """Stop training when the loss is at its min, i.e. the loss stops decreasing."""

    def __init__(self, patience=0):
        super().__init__()
        self.patience = patience
        self.best_weights = None

    def on_train_begin(self, logs=None):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = np.inf

    def on_epoch_end(self, epoch, logs=None):
        current = logs.get("loss")
        if np.less(current, self.best):
            self.best = current
            self.wait = 0
            self.best_weights = self.model.get_weights()
        else:
            self.wait += 1
            if self.wait >= self.patience:
                self.stopped_epoch = epoch
                self.model.stop_training = True
                self.model.set_weights(self.best_weights)

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0:
            self.message = "Epoch %05d: early stopping" % (self.stopped_epoch + 1)


def test_early_stopping_at_min_loss():
    model = get_model()
    stopper = EarlyStoppingAtMinLoss()
    h = model.fit(x_train, y_train, batch_size=64, steps_per_epoch=2, epochs=30, verbose=0,
                  callbacks=[LossAndErrorPrintingCallback(), stopper])
    losses = h.history["loss"]
    # RMSprop(0.1) on this data diverges/oscillates: training stops at the first epoch whose
    # loss is not below the best, and the best epoch's weights are restored
    n = len(losses)
    assert n < 30 and stopper.stopped_epoch == n - 1
    assert all(losses[i + 1] < losses[i] for i in range(n - 2)) and losses[-1] >= losses[-2]
    assert stopper.best == min(losses)
    for a, b in zip(model.get_weights(), stopper.best_weights):
        np.testing.assert_array_equal(a, b)


LR_SCHEDULE = [
    # (epoch to start, learning rate) tuples
    (3, 0.05),
    (6, 0.01),
    (9, 0.005),
    (12, 0.001),
]


def lr_schedule(epoch, lr):
    """Helper function to retrieve the scheduled learning rate based on epoch."""
    if epoch < LR_SCHEDULE[0][0] or epoch > LR_SCHEDULE[-1][0]:
        return lr
    for i in range(len(LR_SCHEDULE)):
        if epoch == LR_SCHEDULE[i][0]:
            return LR_SCHEDULE[i][1]
    return lr


class CustomLearningRateScheduler(keras.callbacks.Callback):
    """tf.keras version of the guide: backend.get_value/set_value and `optimizer.lr`."""

    def __init__(self, schedule):
        super().__init__()
        self.schedule = schedule
        self.seen = []

    def on_epoch_begin(self, epoch, logs=None):
        if not hasattr(self.model.optimizer, "lr"):
            raise ValueError('Optimizer must have a "lr" attribute.')
        lr = float(tf.keras.backend.get_value(self.model.optimizer.learning_rate))
        scheduled_lr = self.schedule(epoch, lr)
        tf.keras.backend.set_value(self.model.optimizer.lr, scheduled_lr)
        self.seen.append("\nEpoch %05d: Learning rate is %6.4f." % (epoch, scheduled_lr))


class CustomLearningRateSchedulerK3(keras.callbacks.Callback):
    """Keras 3 version of the guide: reads and sets `optimizer.learning_rate`."""

    def __init__(self, schedule):
        super().__init__()
        self.schedule = schedule
        self.seen = []

    def on_epoch_begin(self, epoch, logs=None):
        if not hasattr(self.model.optimizer, "learning_rate"):
            raise ValueError('Optimizer must have a "learning_rate" attribute.')
        lr = self.model.optimizer.learning_rate
        scheduled_lr = self.schedule(epoch, lr)
        self.model.optimizer.learning_rate = scheduled_lr
        self.seen.append(float(np.array(self.model.optimizer.learning_rate)))


def test_learning_rate_scheduling():
    expected = [0.1] * 3 + [0.05] * 3 + [0.01] * 3 + [0.005] * 3 + [0.001] * 3
    for cls in (CustomLearningRateScheduler, CustomLearningRateSchedulerK3):
        model = get_model()
        sched = cls(lr_schedule)
        model.fit(x_train, y_train, batch_size=64, steps_per_epoch=1, epochs=15, verbose=0,
                  callbacks=[LossAndErrorPrintingCallback(), sched])
        if cls is CustomLearningRateScheduler:
            assert sched.seen[3] == "\nEpoch 00003: Learning rate is 0.0500."
        else:
            np.testing.assert_allclose(sched.seen, expected, rtol=1e-6)
        np.testing.assert_allclose(float(np.array(model.optimizer.learning_rate)), 0.001,
                                   rtol=1e-6)
