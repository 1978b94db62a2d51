"""Worker program for tests/test_distribute.py, started by `mpiexec -n N python` (not a test).

    python distribute_worker.py MODE OUT_DIR

MODE: "collectives" (each collective's value and gradient), "fit" (Keras fit under
MultiWorkerMirroredStrategy; rank 0 saves the weights, losses and predictions), "hang" (rank 1
stops answering: the others must fail with DeadlineExceededError), "kill" (rank 1 dies mid-fit),
"resume" (fit with Dropout and keras.callbacks.BackupAndRestore in OUT_DIR/backup; with KILL_AT=k
rank 1 kills itself at the start of epoch k; rank 0 saves the final weights).
"""
import json
import os
import sys
import time

import numpy as np


def data(n=48, d=5, seed=0):
    """The fixed data set and initial weights every run (1 or N workers) uses."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)).astype(np.float32)
    y = (x @ rng.normal(size=(d, 1)) + 0.1 * rng.normal(size=(n, 1))).astype(np.float32)
    return x, y


def dataset(tf):
    """The data as a tf.data pipeline (seeded shuffle: the same order on every worker)."""
    x, y = data()
    return tf.data.Dataset.from_tensor_slices((x, y)).shuffle(48, seed=3).batch(12)


def make_model(tf, d=5, dropout=0.0):
    tf.random.set_seed(1)
    model = tf.keras.Sequential([tf.keras.layers.Dense(8, activation="tanh", input_shape=(d,))] +
                                ([tf.keras.layers.Dropout(dropout)] if dropout else []) +
                                [tf.keras.layers.Dense(1)])
    model.compile(optimizer=tf.keras.optimizers.Adam(0.05), loss="mse", metrics=["mae"],
                  jit_compile=False)
    return model


def fit(tf, model, epochs=3, batch_size=12):
    x, y = data()
    hist = model.fit(x, y, batch_size=batch_size, epochs=epochs, shuffle=True, verbose=0)
    ev = model.evaluate(x, y, batch_size=10, verbose=0, return_dict=True)
    pred = model.predict(x, batch_size=10, verbose=0)
    return hist.history, ev, pred


def main(mode, out):
    import graphflow as tf
    from graphflow.ops import collective_ops as c
    timeout = float(os.environ.get("WORKER_TIMEOUT", "60"))
    strategy = tf.distribute.MultiWorkerMirroredStrategy(
        communication_options=tf.distribute.experimental.CommunicationOptions(
            timeout_seconds=timeout, bytes_per_pack=int(os.environ.get("BYTES_PER_PACK", "0"))))
    rank, size = strategy.worker_index, strategy.num_replicas_in_sync
    res = {"rank": rank, "size": size}
    if mode == "collectives":
        with strategy.scope():
            x = tf.constant(np.arange(4, dtype=np.float64) + 10 * rank)
            res["sum"] = c.all_reduce(x, "sum").numpy().tolist()
            res["mean"] = c.all_reduce(x, "mean").numpy().tolist()
            res["bcast"] = c.broadcast(x, root=1).numpy().tolist()
            res["gather"] = c.all_gather(tf.reshape(x, (2, 2))).numpy().tolist()
            res["scatter"] = c.reduce_scatter(tf.reshape(x, (2, 2))).numpy().tolist()
            res["to_root"] = c.reduce_to_root(x, root=0).numpy().tolist()
            # gradients: of sum over workers of (rank+1) * sum(f(x))
            w = float(rank + 1)
            for name, f in [("g_sum", lambda t: c.all_reduce(t, "sum")),
                            ("g_mean", lambda t: c.all_reduce(t, "mean")),
                            ("g_bcast", lambda t: c.broadcast(t, root=1)),
                            ("g_gather", lambda t: c.all_gather(tf.reshape(t, (2, 2))))]:
                with tf.GradientTape() as tape:
                    tape.watch(x)
                    loss = w * tf.reduce_sum(f(x) ** 2)
                res[name] = tape.gradient(loss, x).numpy().tolist()

            @tf.function
            def traced(t):
                return c.all_reduce(t * 2.0, "sum") + c.all_gather(t)[:4]
            res["traced"] = traced(x).numpy().tolist()
            res["reduce_mean_axis"] = float(strategy.reduce("mean", x, axis=0))
            res["dataset"] = [b.numpy().tolist() for b in strategy.experimental_distribute_dataset(
                [np.arange(6), np.arange(6, 10)])]
            # per-replica random streams, eager and traced; variables start as worker 0's
            tf.random.set_seed(7)
            draws = [tf.random.uniform((3,)), tf.random.normal((2,), seed=5),
                     tf.function(lambda: tf.random.uniform((2,)))()]
            res["random"] = [c.all_gather(tf.reshape(t, (1, -1))).numpy().tolist() for t in draws]
            v = tf.Variable(np.full(3, float(rank)))
            res["variable"] = c.all_gather(tf.reshape(v, (1, 3))).numpy().tolist()
    elif mode == "fit":
        with strategy.scope():
            model = make_model(tf)
        if os.environ.get("JIT") == "1":
            model.jit_compile = True
        history, ev, pred = fit(tf, model)
        res.update(history=history, evaluate=ev, pred=pred.tolist(),
                   weights=[w.tolist() for w in model.get_weights()])
        with strategy.scope():
            ds_model = make_model(tf)
        ds_model.fit(dataset(tf), epochs=2, verbose=0)   # each worker: its rows of each batch
        res.update(dataset_weights=[w.tolist() for w in ds_model.get_weights()],
                   dataset_evaluate=ds_model.evaluate(dataset(tf), verbose=0))
    elif mode == "resume":
        with strategy.scope():
            model = make_model(tf, dropout=0.5)
        kill_at = int(os.environ.get("KILL_AT", "-1"))

        class Kill(tf.keras.callbacks.Callback):
            def on_epoch_begin(self, epoch, logs=None):
                if epoch == kill_at and rank == 1:
                    os.kill(os.getpid(), 9)
        x, y = data()
        h = model.fit(x, y, batch_size=12, epochs=4, verbose=0, callbacks=[
            tf.keras.callbacks.BackupAndRestore(os.path.join(out, "backup")), Kill()])
        res.update(epochs=h.epoch, loss=h.history["loss"],
                   weights=[w.tolist() for w in model.get_weights()])
    elif mode in ("hang", "kill"):
        with strategy.scope():
            model = make_model(tf)
        x, y = data()
        model.fit(x, y, batch_size=12, epochs=1, verbose=0)   # both workers are up
        if rank == 1:
            if mode == "kill":
                os.kill(os.getpid(), 9)
            time.sleep(120)   # hang
        model.fit(x, y, batch_size=12, epochs=1, verbose=0)
    if rank == 0:
        with open(os.path.join(out, os.environ.get("OUT_NAME", f"{mode}.json")), "w") as f:
            json.dump(res, f)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
