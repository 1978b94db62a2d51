"""Train an LSTM on a generated sequence task: the "adding problem" (Hochreiter & Schmidhuber).

Each sequence is a list of (value, marker) pairs with values in [0, 1); exactly two steps are
marked and the target is the sum of their values. Sequences have random lengths and are padded
with zero rows at the end; a `Masking` layer tells the LSTM to skip the padding (its state is
carried over the padded steps, so padding does not change the answer). A model that ignores the
markers cannot beat predicting the mean (mean squared error ~0.17); the LSTM learns to pick the
marked values. Under `fit`, the time loop is one `while_loop` node in the traced graph, and its
gradient is a second while_loop running backwards over the recorded steps.

    python examples/lstm_sequence.py                 # numba backend (graphflow's default)
    python examples/lstm_sequence.py --numpy         # numpy executor (no compile time)
    python examples/lstm_sequence.py --epochs 20 --steps 30
"""
import argparse
import time

import numpy as np

import graphflow as tf


def adding_problem(n, steps, rng):
    """(x (n, steps, 2) float32, y (n, 1) float32, lengths): padded variable-length sequences."""
    lengths = rng.integers(steps // 2, steps + 1, size=n)
    x = np.zeros((n, steps, 2), np.float32)
    y = np.zeros((n, 1), np.float32)
    for i, length in enumerate(lengths):
        x[i, :length, 0] = rng.uniform(0.0, 1.0, size=length)
        x[i, :length, 0] += 1e-3   # a real step is never all zeros (that is the padding)
        a, b = rng.choice(length, size=2, replace=False)
        x[i, [a, b], 1] = 1.0
        y[i, 0] = x[i, a, 0] + x[i, b, 0]
    return x, y, lengths


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--steps", type=int, default=20, help="padded sequence length")
    ap.add_argument("--units", type=int, default=32)
    ap.add_argument("--numpy", action="store_true", help="numpy executor instead of numba")
    args = ap.parse_args()

    tf.random.set_seed(0)
    rng = np.random.default_rng(0)
    x, y, _ = adding_problem(3000, args.steps, rng)
    x_test, y_test, lengths = adding_problem(500, args.steps, rng)

    model = tf.keras.Sequential([
        tf.keras.layers.Masking(0.0),
        tf.keras.layers.LSTM(args.units),
        tf.keras.layers.Dense(1),
    ])
    model.compile(tf.keras.optimizers.Adam(0.01), "mse", jit_compile=not args.numpy)
    model(x[:2])
    model.summary()
    baseline = float(np.mean((y_test - y.mean()) ** 2))
    print(f"predicting the mean: test mse {baseline:.4f}")
    t0 = time.perf_counter()
    model.fit(x, y, batch_size=100, epochs=args.epochs, verbose=2)
    print(f"trained in {time.perf_counter() - t0:.1f} s")
    mse = model.evaluate(x_test, y_test, verbose=0)
    print(f"LSTM: test mse {mse:.4f} ({baseline / mse:.0f}x better than the mean)")
    # padding does not change the answer: the first test sequence, unpadded
    n = int(lengths[0])
    padded = float(model.predict(x_test[:1], verbose=0)[0, 0])
    alone = float(model.predict(x_test[:1, :n], verbose=0)[0, 0])
    print(f"first test sequence (length {n}): target {y_test[0, 0]:.3f}, prediction {padded:.3f} "
          f"(padded) / {alone:.3f} (unpadded)")


if __name__ == "__main__":
    main()
