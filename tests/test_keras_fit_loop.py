"""Keras fit / evaluate / predict's loop: steps_per_execution, batch hooks and their logs, the
progress bar's lines (values vs the one-step-per-call loop; numpy executor: no compiles)."""
import io
import re
import contextlib

import numpy as np

import graphflow as tf
from graphflow import keras


def _data(n=150):
    rs = np.random.RandomState(0)
    return rs.rand(n, 6).astype("float32"), rs.randint(0, 3, n).astype("int32")


def _model(steps_per_execution=1):
    keras.utils.set_random_seed(3)
    m = keras.Sequential([keras.Input((6,)), keras.layers.Dense(8, activation="relu"),
                          keras.layers.Dense(3)])
    m.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True),
              metrics=["accuracy"], steps_per_execution=steps_per_execution, jit_compile=False)
    return m


class _Batches(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.ends, self.logs = [], []

    def on_train_batch_end(self, batch, logs=None):
        self.ends.append(batch)
        self.logs.append(logs)


def test_steps_per_execution_matches_one_step_per_call():
    x, y = _data()
    runs = []
    for k in (1, 3):
        m, cb = _model(k), _Batches()
        h = m.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0, callbacks=[cb],
                  validation_split=0.2)
        runs.append((h.history, [w.numpy() for w in m.weights],
                     m.evaluate(x, y, batch_size=16, verbose=0),
                     m.predict(x, batch_size=16, verbose=0), cb.ends))
    (h1, w1, e1, p1, b1), (h3, w3, e3, p3, b3) = runs
    assert h1 == h3 and e1 == e3
    for a, b in zip(w1, w3):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(p1, p3, rtol=1e-6, atol=1e-7)
    assert p3.shape == (150, 3)
    # 120 samples: 7 full batches and one of 8 -> runs [0-2], [3-5], then 6 and 7 one by one
    assert b1[:8] == list(range(8)) and b3[:4] == [2, 5, 6, 7]
    assert m.get_compile_config()["steps_per_execution"] == 3


def test_batch_hooks_get_float_logs_and_old_names():
    x, y = _data(64)
    m, cb = _model(), _Batches()
    seen = []

    class Old(keras.callbacks.Callback):   # Keras 2's name: on_batch_end
        def on_batch_end(self, batch, logs=None):
            seen.append(batch)

    lam = keras.callbacks.LambdaCallback(on_batch_begin=lambda b, logs: seen.append(-1 - b))
    m.fit(x, y, batch_size=16, epochs=1, verbose=0, callbacks=[cb, Old(), lam])
    assert cb.ends == [0, 1, 2, 3] and sorted(seen) == [-4, -3, -2, -1, 0, 1, 2, 3]
    assert all(type(v) is float for logs in cb.logs for v in logs.values())
    assert sorted(cb.logs[-1]) == ["accuracy", "loss"]


def test_progress_bar_lines():
    x, y = _data(64)
    m = _model()
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        m.fit(x, y, batch_size=16, epochs=2, verbose=1)
        m.evaluate(x, y, batch_size=16, verbose=1)
        m.predict(x, batch_size=16, verbose=1)
    lines = out.getvalue().splitlines()
    step = r"\d+(s|ms|us)/step"
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2"
    assert re.fullmatch(r"4/4 ━{20} \d+s " + step +
                        r" - accuracy: \d\.\d{4} - loss: \d\.\d{4}", lines[1]), lines[1]
    assert re.fullmatch(r"4/4 ━{20} \d+s " + step +
                        r" - accuracy: \d\.\d{4} - loss: \d\.\d{4}", lines[4]), lines[4]
    assert re.fullmatch(r"4/4 ━{20} \d+s " + step, lines[5]), lines[5]


def test_subclassed_summary_shows_first_call_shapes():
    """Keras 3.15: a subclassed model's rows show each layer's output shape for the input it
    was built on, batch dim included: fit's batch size if every batch has it (else None; not
    the rows fit probes the model with), a call on data, the batch dim given to build(); '?'
    for a layer without a build() of its own (TF 2.21 printed these)."""
    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.d1, self.d2 = keras.layers.Dense(4), keras.layers.Dense(2)

        def call(self, x):
            return self.d2(self.d1(x))

    def rows(m):
        out = []
        m.summary(print_fn=out.append)
        return [line.split("│")[2].strip() for line in "".join(out).splitlines()
                if "(Dense)" in line]
    m = Net()
    m.compile("sgd", "mse", jit_compile=False)
    m.fit(np.ones((8, 3), "float32"), np.ones((8, 2), "float32"), batch_size=4, verbose=0)
    assert rows(m) == ["(4, 4)", "(4, 2)"]
    m = Net()
    m.compile("sgd", "mse", jit_compile=False)
    m.fit(np.ones((10, 3), "float32"), np.ones((10, 2), "float32"), batch_size=4, verbose=0)
    assert rows(m) == ["(None, 4)", "(None, 2)"]
    m = Net()
    m(np.ones((5, 3), "float32"))
    m(np.ones((7, 3), "float32"))
    assert rows(m) == ["(5, 4)", "(5, 2)"]
    m = Net()
    m.build((None, 3))
    assert rows(m) == ["(None, 4)", "(None, 2)"]
    seq = keras.Sequential([keras.layers.Dense(4), keras.layers.Dense(2)])
    seq(np.ones((5, 3), "float32"))   # Keras 3: an InputLayer of the data's batch shape
    assert rows(seq) == ["(5, 4)", "(5, 2)"]

    class WithDropout(Net):
        def __init__(self):
            super().__init__()
            self.drop = keras.layers.Dropout(0.5)

        def call(self, x):
            return self.d2(self.drop(self.d1(x)))
    m = WithDropout()
    m(np.ones((5, 3), "float32"))
    out = []
    m.summary(print_fn=out.append)
    assert [line.split("│")[2].strip() for line in "".join(out).splitlines()
            if "(Dropout)" in line] == ["?"]


def test_progbar_logger_subclass_hook_runs_every_batch():
    x, y = _data(64)
    m, seen = _model(), []

    class Counting(keras.callbacks.ProgbarLogger):
        def on_train_batch_end(self, batch, logs=None):
            seen.append((batch, sorted(logs)))

    m.fit(x, y, batch_size=16, epochs=1, verbose=0, callbacks=[Counting()])
    assert seen == [(b, ["accuracy", "loss"]) for b in range(4)]
