"""Train a small MLP with graphflow.keras, the way a TF2/Keras tutorial does.

Data: scikit-learn's bundled 8x8 digits (1,797 images, no download) if scikit-learn is
installed, else a generated 10-class problem (Gaussian clusters in 64-D). Prints the model
summary, the per-epoch progress, and the final test accuracy.

    python examples/keras_mlp.py                 # numba backend (graphflow's default)
    python examples/keras_mlp.py --numpy         # numpy executor (no compile time)
    python examples/keras_mlp.py --epochs 30
"""
import argparse
import time

import numpy as np

import graphflow as tf


def load_data(seed=0):
    """(x_train, y_train), (x_test, y_test), description; features scaled to [0, 1]."""
    rng = np.random.default_rng(seed)
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        n, d, k = 2000, 64, 10
        centers = rng.normal(0.0, 1.0, (k, d))
        y = rng.integers(0, k, n)
        x = centers[y] + rng.normal(0.0, 1.2, (n, d))
        x = (x - x.min()) / (x.max() - x.min())
        what = "generated data (scikit-learn not installed): 10 Gaussian clusters in 64-D"
    else:
        digits = load_digits()
        x, y = digits.data / 16.0, digits.target
        what = "scikit-learn digits (8x8 images, 10 classes)"
    order = rng.permutation(len(x))
    x, y = x[order].astype(np.float32), y[order].astype(np.int32)
    split = int(0.8 * len(x))
    return (x[:split], y[:split]), (x[split:], y[split:]), what


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--numpy", action="store_true", help="run traced steps on the numpy executor")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    tf.keras.utils.set_random_seed(args.seed)
    (x_train, y_train), (x_test, y_test), what = load_data(args.seed)
    print(f"data: {what}; train {x_train.shape}, test {x_test.shape}")

    model = tf.keras.Sequential([
        tf.keras.layers.Dense(128, activation="relu", input_shape=(x_train.shape[1],)),
        tf.keras.layers.Dropout(0.2),
        tf.keras.layers.Dense(64, activation="relu"),
        tf.keras.layers.Dense(10, activation="softmax"),
    ])
    model.summary()
    model.compile(optimizer=tf.keras.optimizers.Adam(learning_rate=1e-3),
                  loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"],
                  jit_compile=False if args.numpy else None)

    t0 = time.perf_counter()
    history = model.fit(x_train, y_train, batch_size=args.batch_size, epochs=args.epochs,
                        validation_split=0.1, verbose=2)
    seconds = time.perf_counter() - t0
    test_loss, test_acc = model.evaluate(x_test, y_test, verbose=0)
    probs = model.predict(x_test, verbose=0)
    assert np.isclose(np.mean(probs.argmax(-1) == y_test), test_acc)

    print(f"trained {len(history.epoch)} epochs in {seconds:.1f} s "
          f"({model.train_function.experimental_get_tracing_count()} traces of the train step)")
    print(f"final test loss: {test_loss:.4f}")
    print(f"final test accuracy: {test_acc:.4f}")


if __name__ == "__main__":
    main()
