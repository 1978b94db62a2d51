"""Produces the checked-in Keras 3 fixtures in tests/data/ (run once, by hand, NOT by the tests):

    python3 -m venv /tmp/kenv && /tmp/kenv/bin/pip install keras jax[cpu] h5py
    KERAS_BACKEND=jax /tmp/kenv/bin/python tools/make_keras_fixtures.py

(Keras 3.15.1 on the JAX CPU backend.) For each model it writes `<name>.keras` (Model.save) and
`<name>_io.npz` (inputs `x0`, `x1`, ... and Keras' prediction `y`); `keras_seq.weights.h5` is
Model.save_weights of the Sequential model.
"""
import os

os.environ.setdefault("KERAS_BACKEND", "jax")
import keras  # noqa: E402
import numpy as np  # noqa: E402

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data")
keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)


def save(name, model, xs):
    model.save(os.path.join(HERE, f"{name}.keras"))
    y = model.predict(xs if len(xs) > 1 else xs[0], verbose=0)
    np.savez(os.path.join(HERE, f"{name}_io.npz"), y=y, **{f"x{i}": x for i, x in enumerate(xs)})


# Sequential, compiled and trained one epoch (so the file holds Adam's state)
seq = keras.Sequential([keras.Input((4,)), keras.layers.Dense(5, activation="relu"),
                        keras.layers.Dense(2)])
seq.compile(optimizer="adam", loss="mse")
seq.fit(rng.normal(size=(16, 4)).astype("float32"), rng.normal(size=(16, 2)).astype("float32"),
        epochs=1, batch_size=8, verbose=0)
save("keras_seq", seq, [rng.normal(size=(3, 4)).astype("float32")])
seq.save_weights(os.path.join(HERE, "keras_seq.weights.h5"))

# Functional with two inputs, a merge and batch normalization (moving stats made non-trivial)
a, b = keras.Input((4,), name="a"), keras.Input((4,), name="b")
s = keras.layers.Add()([keras.layers.Dense(3, activation="tanh")(a), keras.layers.Dense(3)(b)])
s = keras.layers.BatchNormalization()(s)
fn = keras.Model([a, b], keras.layers.Dense(1, activation="sigmoid")(s))
bn = fn.layers[-2]
bn.moving_mean.assign(np.array([0.1, -0.2, 0.3], "float32"))
bn.moving_variance.assign(np.array([1.5, 0.5, 2.0], "float32"))
save("keras_fn", fn, [rng.normal(size=(3, 4)).astype("float32") for _ in range(2)])

# A small convnet
cnn = keras.Sequential([keras.Input((6, 6, 2)), keras.layers.Conv2D(3, 3, activation="relu"),
                        keras.layers.MaxPooling2D(2), keras.layers.Flatten(),
                        keras.layers.Dense(2, activation="softmax")])
save("keras_cnn", cnn, [rng.normal(size=(2, 6, 6, 2)).astype("float32")])
