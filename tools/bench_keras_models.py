"""Keras models graphflow was not tuned for, trained with the same code on graphflow and on TF.

Each workload is one Keras model (the same source for both: `tf` / `keras` are graphflow's or
TensorFlow's) trained with `train_on_batch`; the time per step is measured in turns as
tools/bench_side_by_side.py does (each framework in its own subprocess, kept waiting on its
stdin; per round graphflow then TF run `--calls` steps, the order alternating), after warm-up
(graphflow: every kernel compiled). Reported per workload: median wall and CPU time per step,
graphflow / TF ratios of both, and the time of the first call in each process (trace, plan and -
for graphflow - the numpy executor running while kernels compile in the background).

    python tools/bench_keras_models.py --peer-python /tmp/peervenv/bin/python
    python tools/bench_keras_models.py --only transformer --rounds 6

Workloads: mlp_bn (Dense/BatchNorm/Dropout/gelu, AdamW), transformer (Embedding,
MultiHeadAttention, LayerNorm, GlobalAveragePooling1D), gru (Embedding + GRU), resnet (Conv2D,
BatchNorm, residual adds, GlobalAveragePooling2D), sepconv (SeparableConv2D, DepthwiseConv2D,
Conv2DTranspose, GlobalMaxPooling2D), conv1d (text CNN), lstm2 (stacked LSTMs), autoencoder
(strided Conv2D + Conv2DTranspose), xception (the book's Xception-style blocks: BatchNorm,
SeparableConv2D, strided max pooling, 1x1 residuals), segment (a small U-Net: UpSampling2D
nearest and bilinear, skip concatenations, per-pixel classes), big_softmax (a 10000-way output
layer).
"""
import argparse
import json
import os
import sys
import time

import numpy as np

_TOOLS = os.path.dirname(os.path.abspath(__file__))
if _TOOLS not in sys.path:
    sys.path.insert(0, _TOOLS)
from bench_side_by_side import _medians, _popen, _timed  # noqa: E402


def _model(name, tf, keras):
    """(model compiled, x, y) of workload `name` built with the given framework."""
    L = keras.layers
    rs = np.random.RandomState(0)
    sce = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    if name == "mlp_bn":
        x, y = rs.randn(128, 256).astype("float32"), rs.randint(0, 10, 128).astype("int32")
        m = keras.Sequential([keras.Input((256,)), L.Dense(512), L.BatchNormalization(),
                              L.Activation("relu"), L.Dropout(0.3),
                              L.Dense(256, activation="gelu"), L.Dense(10)])
        m.compile(keras.optimizers.AdamW(1e-3), sce)
    elif name == "transformer":
        x, y = rs.randint(0, 1000, (32, 64)).astype("int32"), rs.randint(0, 2, 32).astype("int32")
        inp = keras.Input((64,), dtype="int32")
        h = L.Embedding(1000, 64)(inp)
        h = L.LayerNormalization()(h + L.MultiHeadAttention(num_heads=4, key_dim=16)(h, h))
        f = L.Dense(64)(L.Dense(128, activation="relu")(h))
        h = L.GlobalAveragePooling1D()(L.LayerNormalization()(h + f))
        m = keras.Model(inp, L.Dense(2)(h))
        m.compile(keras.optimizers.Adam(1e-3), sce)
    elif name == "gru":
        x, y = rs.randint(0, 1000, (32, 50)).astype("int32"), rs.randint(0, 2, 32).astype("int32")
        m = keras.Sequential([keras.Input((50,), dtype="int32"), L.Embedding(1000, 32),
                              L.GRU(64), L.Dense(1)])
        m.compile("rmsprop", keras.losses.BinaryCrossentropy(from_logits=True))
    elif name == "resnet":
        x, y = rs.rand(32, 32, 32, 3).astype("float32"), rs.randint(0, 10, 32).astype("int32")
        inp = keras.Input((32, 32, 3))
        h = L.Activation("relu")(L.BatchNormalization()(L.Conv2D(32, 3, padding="same")(inp)))
        for f in (32, 64):
            s = L.Conv2D(f, 1, strides=2)(h)
            h = L.Conv2D(f, 3, strides=2, padding="same")(h)
            h = L.Activation("relu")(L.BatchNormalization()(h))
            h = L.BatchNormalization()(L.Conv2D(f, 3, padding="same")(h))
            h = L.Activation("relu")(L.add([h, s]))
        m = keras.Model(inp, L.Dense(10)(L.GlobalAveragePooling2D()(h)))
        m.compile(keras.optimizers.Adam(1e-3), sce)
    elif name == "sepconv":
        x, y = rs.rand(32, 64, 64, 3).astype("float32"), rs.randint(0, 2, 32).astype("int32")
        inp = keras.Input((64, 64, 3))
        h = L.Conv2D(16, 3, strides=2, padding="same", activation="relu")(inp)
        h = L.SeparableConv2D(32, 3, padding="same", activation="relu")(h)
        h = L.MaxPooling2D(3, strides=2, padding="same")(h)
        h = L.DepthwiseConv2D(3, padding="same")(h)
        h = L.Conv2DTranspose(16, 3, strides=2, padding="same")(h)
        m = keras.Model(inp, L.Dense(1)(L.GlobalMaxPooling2D()(h)))
        m.compile("adam", keras.losses.BinaryCrossentropy(from_logits=True))
    elif name == "conv1d":
        x, y = rs.randint(0, 5000, (32, 200)).astype("int32"), rs.randint(0, 2, 32).astype("int32")
        m = keras.Sequential([keras.Input((200,), dtype="int32"), L.Embedding(5000, 64),
                              L.Conv1D(64, 5, activation="relu"), L.MaxPooling1D(2),
                              L.Conv1D(64, 5, activation="relu"), L.GlobalMaxPooling1D(),
                              L.Dense(1)])
        m.compile("adam", keras.losses.BinaryCrossentropy(from_logits=True))
    elif name == "lstm2":
        x, y = rs.randn(32, 40, 16).astype("float32"), rs.randn(32, 1).astype("float32")
        m = keras.Sequential([keras.Input((40, 16)), L.LSTM(64, return_sequences=True),
                              L.LSTM(32), L.Dense(1)])
        m.compile("adam", "mse")
    elif name == "autoencoder":
        x = rs.rand(32, 28, 28, 1).astype("float32")
        y = x
        m = keras.Sequential([
            keras.Input((28, 28, 1)),
            L.Conv2D(16, 3, activation="relu", padding="same", strides=2),
            L.Conv2D(8, 3, activation="relu", padding="same", strides=2),
            L.Conv2DTranspose(8, 3, strides=2, activation="relu", padding="same"),
            L.Conv2DTranspose(16, 3, strides=2, activation="relu", padding="same"),
            L.Conv2D(1, 3, activation="sigmoid", padding="same")])
        m.compile("adam", "binary_crossentropy")
    elif name == "xception":
        # the book's Xception-style blocks: BatchNorm + relu + SeparableConv2D twice, strided
        # max pooling, a strided 1x1 residual
        x, y = rs.rand(16, 64, 64, 3).astype("float32"), rs.randint(0, 2, 16).astype("int32")
        inp = keras.Input((64, 64, 3))
        h = L.Conv2D(32, 5, use_bias=False)(L.Rescaling(1.0 / 255)(inp))
        for size in (32, 64):
            r = h
            for _ in range(2):
                h = L.Activation("relu")(L.BatchNormalization()(h))
                h = L.SeparableConv2D(size, 3, padding="same", use_bias=False)(h)
            h = L.MaxPooling2D(3, strides=2, padding="same")(h)
            h = L.add([h, L.Conv2D(size, 1, strides=2, padding="same", use_bias=False)(r)])
        h = L.Dropout(0.5)(L.GlobalAveragePooling2D()(h))
        m = keras.Model(inp, L.Dense(1)(h))
        m.compile("rmsprop", keras.losses.BinaryCrossentropy(from_logits=True))
    elif name == "segment":
        # a small U-Net: per-pixel classes, UpSampling2D (nearest and bilinear), skip
        # concatenations, a 1x1 head
        x = rs.rand(16, 64, 64, 3).astype("float32")
        y = rs.randint(0, 3, (16, 64, 64)).astype("int32")
        inp = keras.Input((64, 64, 3))
        c1 = L.Conv2D(16, 3, padding="same", activation="relu")(inp)
        c2 = L.Conv2D(32, 3, padding="same", activation="relu")(L.MaxPooling2D(2)(c1))
        b = L.SeparableConv2D(64, 3, padding="same", activation="relu")(L.MaxPooling2D(2)(c2))
        d2 = L.Conv2D(32, 3, padding="same", activation="relu")(
            L.Concatenate()([L.UpSampling2D(2)(b), c2]))
        d1 = L.Conv2D(16, 3, padding="same", activation="relu")(
            L.Concatenate()([L.UpSampling2D(2, interpolation="bilinear")(d2), c1]))
        m = keras.Model(inp, L.Conv2D(3, 1)(d1))
        m.compile("adam", sce)
    elif name == "big_softmax":
        x, y = rs.randn(64, 256).astype("float32"), rs.randint(0, 10000, 64).astype("int32")
        m = keras.Sequential([keras.Input((256,)), L.Dense(512, activation="relu"),
                              L.Dense(10000)])
        m.compile("adam", sce)
    else:
        raise SystemExit(f"unknown workload {name!r}: one of {', '.join(WORKLOADS)}")
    return m, x, y


WORKLOADS = ("mlp_bn", "transformer", "gru", "resnet", "sepconv", "conv1d", "lstm2",
             "autoencoder", "xception", "segment", "big_softmax")


def serve(framework, name):
    """Child: build the workload, run its first call (timed) and warm-up, print READY and the
    first call's seconds; then for each stdin line N run N steps and print their timings."""
    if framework == "tf":
        import tensorflow as tf
        keras = tf.keras
    else:
        import graphflow as tf
        from graphflow import keras
    m, x, y = _model(name, tf, keras)
    t0 = time.perf_counter()
    m.train_on_batch(x, y)
    first = time.perf_counter() - t0
    if framework != "tf":
        import bench
        bench._wait_compiled()
    for _ in range(3):
        m.train_on_batch(x, y)
    print("READY", json.dumps(first), flush=True)
    for line in sys.stdin:
        print(json.dumps(_timed(lambda: m.train_on_batch(x, y), int(line))), flush=True)


def _start(framework, name, python):
    env = dict(os.environ)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return _popen([python, os.path.abspath(__file__), name, "--serve", framework], env)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("workloads", nargs="*", default=list(WORKLOADS))
    ap.add_argument("--serve", help=argparse.SUPPRESS)
    ap.add_argument("--peer-python", default=sys.executable,
                    help="an interpreter with TensorFlow installed")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--calls", type=int, default=10)
    a = ap.parse_args(argv)
    if a.serve:
        return serve(a.serve, a.workloads[0])
    print(f"{'workload':<12} {'gf ms':>8} {'tf ms':>8} {'wall x':>7} {'gf cpu':>8} {'tf cpu':>8} "
          f"{'cpu x':>6} {'gf 1st s':>9} {'tf 1st s':>9}  load")
    for name in a.workloads:
        procs = {"graphflow": _start("graphflow", name, sys.executable),
                 "tf": _start("tf", name, a.peer_python)}
        if procs["tf"] is None or procs["graphflow"] is None:
            print(f"{name:<12} (a process failed to start: is TensorFlow installed for "
                  f"{a.peer_python}?)")
            for p in procs.values():
                if p is not None:
                    p.kill()
            continue
        times = {k: [] for k in procs}
        for r in range(a.rounds):
            for k in (("graphflow", "tf") if r % 2 == 0 else ("tf", "graphflow")):
                procs[k].stdin.write(f"{a.calls}\n")
                procs[k].stdin.flush()
                times[k] += json.loads(procs[k].stdout.readline())
        first = {k: json.loads(p.ready_line.split(None, 1)[1]) for k, p in procs.items()}
        for p in procs.values():
            p.stdin.close()
            p.wait()
        (gw, gc), (tw, tc) = _medians(times["graphflow"]), _medians(times["tf"])
        print(f"{name:<12} {gw * 1e3:8.2f} {tw * 1e3:8.2f} {gw / tw:7.2f} {gc * 1e3:8.2f} "
              f"{tc * 1e3:8.2f} {gc / tc:6.2f} {first['graphflow']:9.2f} "
              f"{first['tf']:9.2f}  {os.getloadavg()[0]:.1f}", flush=True)


if __name__ == "__main__":
    main()
