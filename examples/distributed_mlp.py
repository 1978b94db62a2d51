"""Data-parallel training of a Keras MLP on several processes with tf.distribute (MPI).

The same script runs as one process or as N workers; each worker trains on its share of every
global batch, the gradients are all-reduced inside the one traced train step, and only worker 0
prints and writes. `BackupAndRestore` makes the job restartable: kill it (Ctrl-C, or kill one
worker) during training and start the same command again - it resumes at the last finished
epoch and ends with the same weights as an uninterrupted run.

    pip install -e '.[distributed]'                     # mpi4py + MPICH (brings mpiexec)
    python examples/distributed_mlp.py                  # one worker
    mpiexec -n 2 python examples/distributed_mlp.py     # two workers on this machine
    mpiexec -f hostfile -n 4 python examples/distributed_mlp.py   # across machines (MPICH)

Data: scikit-learn's bundled 8x8 digits if installed, else generated 10-class clusters.
"""
import argparse
import os
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import graphflow as tf  # noqa: E402


def load_data(seed=0):
    rng = np.random.default_rng(seed)
    try:
        from sklearn.datasets import load_digits
        x, y = load_digits(return_X_y=True)
        x = x / 16.0
    except ImportError:
        centers = rng.normal(0.0, 1.0, (10, 64))
        y = rng.integers(0, 10, 2000)
        x = centers[y] + rng.normal(0.0, 1.2, (2000, 64))
    order = rng.permutation(len(x))
    x, y = x[order].astype(np.float32), y[order].astype(np.int32)
    split = int(0.8 * len(x))
    return (x[:split], y[:split]), (x[split:], y[split:])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--batch-size", type=int, default=64, help="the global batch size")
    ap.add_argument("--backup-dir", default=os.path.join(tempfile.gettempdir(),
                                                         "graphflow_distributed_mlp_backup"))
    ap.add_argument("--timeout", type=float, default=120.0,
                    help="seconds a collective waits for the other workers before failing")
    args = ap.parse_args()

    strategy = tf.distribute.MultiWorkerMirroredStrategy(
        communication_options=tf.distribute.experimental.CommunicationOptions(
            timeout_seconds=args.timeout))
    chief = strategy.is_chief
    (x, y), (xt, yt) = load_data()
    if chief:
        print(f"{strategy.num_replicas_in_sync} worker(s); global batch {args.batch_size} = "
              f"{args.batch_size // strategy.num_replicas_in_sync} samples per worker per step")

    tf.random.set_seed(0)   # worker 0's initial weights are broadcast; dropout differs per worker
    with strategy.scope():
        model = tf.keras.Sequential([
            tf.keras.layers.Dense(128, activation="relu", input_shape=(64,)),
            tf.keras.layers.Dropout(0.2),
            tf.keras.layers.Dense(10)])
        model.compile(optimizer=tf.keras.optimizers.Adam(1e-3),
                      loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                      metrics=["accuracy"])
    model.fit(x, y, batch_size=args.batch_size, epochs=args.epochs, verbose=2 if chief else 0,
              callbacks=[tf.keras.callbacks.BackupAndRestore(args.backup_dir)])
    loss, acc = model.evaluate(xt, yt, batch_size=256, verbose=0)   # over all workers' shards
    if chief:
        print(f"test loss {loss:.4f}, test accuracy {acc:.3f}")


if __name__ == "__main__":
    main()
