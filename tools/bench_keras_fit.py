"""Per-step cost of Keras `fit` / `evaluate` / `predict` on small models, graphflow vs Keras 3 on
TF, and how much of a fit step is the training loop rather than the compiled step.

The same model source runs in one subprocess per framework (kept waiting on stdin, as in
tools/bench_keras_models.py); per round each process runs one `fit` epoch, one `evaluate` and
one `predict` over the data, then the bare compiled train step over the same batches (graphflow:
`model.train_function`; TF: `tf.function(model.train_step)` with the model's jit_compile), the
frameworks' order alternating. Reported per workload: median per-step wall / CPU ms of each, and
the loop's overhead = fit step - bare step (CPU). `--baseline-tree` adds graphflow from another
checkout (a `git worktree` of an older commit) as a third column: before/after under one load.

    python tools/bench_keras_fit.py --peer-python /tmp/peervenv/bin/python
    python tools/bench_keras_fit.py dense784_b32 --baseline-tree /tmp/old --rounds 3

Workloads: dense784_b32 (Dense 784-64-10, batch 32, Adam, accuracy), mlp2_b128 (a two-hidden-
layer MLP, batch 128, SGD), logreg (a logistic regression, batch 32), metrics3_val (accuracy, AUC,
Precision and a 20% validation split; its fit includes the validation pass), and with
`--steps-per-execution K` the same compiled with K (the bare column stays one step per call).
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
from bench_side_by_side import _medians, _popen  # noqa: E402

WORKLOADS = ("dense784_b32", "mlp2_b128", "logreg", "metrics3_val")


def _model(name, keras, samples, steps_per_execution=1):
    """(compiled model, x, y, batch size, fit keyword arguments) of workload `name`."""
    L = keras.layers
    rs = np.random.RandomState(0)
    spe = {"steps_per_execution": steps_per_execution}
    if name == "dense784_b32":
        x = rs.rand(samples, 784).astype("float32")
        y = rs.randint(0, 10, samples).astype("int32")
        m = keras.Sequential([keras.Input((784,)), L.Dense(64, activation="relu"), L.Dense(10)])
        m.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"], **spe)
        return m, x, y, 32, {}
    if name == "mlp2_b128":
        x = rs.rand(samples, 20).astype("float32")
        y = rs.randint(0, 2, (samples, 1)).astype("float32")
        m = keras.Sequential([keras.Input((20,)), L.Dense(32, activation="relu"),
                              L.Dense(32, activation="relu"), L.Dense(1)])
        m.compile("sgd", keras.losses.BinaryCrossentropy(from_logits=True), **spe)
        return m, x, y, 128, {}
    if name == "logreg":
        x = rs.rand(samples, 8).astype("float32")
        y = rs.randint(0, 2, (samples, 1)).astype("float32")
        m = keras.Sequential([keras.Input((8,)), L.Dense(1, activation="sigmoid")])
        m.compile("sgd", "binary_crossentropy", **spe)
        return m, x, y, 32, {}
    if name == "metrics3_val":
        x = rs.rand(samples, 16).astype("float32")
        y = rs.randint(0, 2, (samples, 1)).astype("float32")
        m = keras.Sequential([keras.Input((16,)), L.Dense(16, activation="relu"),
                              L.Dense(1, activation="sigmoid")])
        m.compile("adam", "binary_crossentropy", metrics=[
            "accuracy", keras.metrics.AUC(), keras.metrics.Precision()], **spe)
        return m, x, y, 32, {"validation_split": 0.2}
    raise SystemExit(f"unknown workload {name!r}: one of {', '.join(WORKLOADS)}")


def _per_step(fn, steps):
    c, t = time.process_time(), time.perf_counter()
    fn()
    return [(time.perf_counter() - t) / steps, (time.process_time() - c) / steps]


def serve(framework, name, samples, spe):
    """Child: build the workload and warm it up (graphflow: every kernel compiled), print READY;
    then per stdin line run one round and print {part: [wall, cpu] per step}."""
    if framework == "tf":
        import tensorflow as tf
        import keras
    else:
        import graphflow as tf
        from graphflow import keras
    m, x, y, bs, kw = _model(name, keras, samples, spe)
    n_fit = int(len(x) * (1 - kw.get("validation_split", 0.0)))
    steps, steps_all = -(-n_fit // bs), -(-len(x) // bs)
    batches = [(x[i:i + bs], y[i:i + bs]) for i in range(0, n_fit, bs)]
    if framework == "tf":
        batches = [(tf.constant(a), tf.constant(b)) for a, b in batches]
        bare = tf.function(m.train_step, jit_compile=m.jit_compile, reduce_retracing=True)
    else:
        bare = None

    def run_bare():
        f = bare or m.train_function
        for b in batches:
            f(b)

    def one_round():
        return {"fit": _per_step(lambda: m.fit(x, y, batch_size=bs, epochs=1, verbose=0, **kw),
                                 steps),
                "evaluate": _per_step(lambda: m.evaluate(x, y, batch_size=bs, verbose=0),
                                      steps_all),
                "predict": _per_step(lambda: m.predict(x, batch_size=bs, verbose=0), steps_all),
                "bare": _per_step(run_bare, steps)}
    small = slice(0, 4 * bs)
    m.fit(x[small], y[small], batch_size=bs, epochs=1, verbose=0, **kw)
    m.evaluate(x[small], y[small], batch_size=bs, verbose=0)
    m.predict(x[small], batch_size=bs, verbose=0)
    run_bare()
    if framework != "tf":
        import bench
        bench._wait_compiled()
    one_round()
    print("READY", flush=True)
    for _ in sys.stdin:
        print(json.dumps(one_round()), flush=True)


def _start(framework, name, a, tree=None):
    env = dict(os.environ)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if tree:
        env["PYTHONPATH"] = tree + os.pathsep + env.get("PYTHONPATH", "")
    python = a.peer_python if framework == "tf" else sys.executable
    return _popen([python, os.path.abspath(__file__), name, "--serve", framework,
                   "--samples", str(a.samples), "--steps-per-execution",
                   str(a.steps_per_execution)], env, cwd=tree)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("workloads", nargs="*", default=list(WORKLOADS))
    ap.add_argument("--serve", help=argparse.SUPPRESS)
    ap.add_argument("--peer-python", default=None,
                    help="an interpreter with TensorFlow and Keras 3 (none: graphflow only)")
    ap.add_argument("--baseline-tree", metavar="PATH",
                    help="also graphflow from this checkout, as column 'old'")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--samples", type=int, default=60000)
    ap.add_argument("--steps-per-execution", type=int, default=1)
    a = ap.parse_args(argv)
    if a.serve:
        return serve(a.serve, a.workloads[0], a.samples, a.steps_per_execution)
    print("ms per step, median of rounds (wall / CPU); overhead = fit - bare compiled step (CPU)")
    for name in a.workloads:
        procs = {"gf": _start("graphflow", name, a)}
        if a.baseline_tree:
            procs["old"] = _start("graphflow", name, a, a.baseline_tree)
        if a.peer_python:
            procs["tf"] = _start("tf", name, a)
        failed = [k for k, p in procs.items() if p is None]
        procs = {k: p for k, p in procs.items() if p is not None}
        times = {k: [] for k in procs}
        order = list(procs)
        for r in range(a.rounds):
            for k in (order if r % 2 == 0 else order[::-1]):
                procs[k].stdin.write("go\n")
                procs[k].stdin.flush()
                times[k].append(json.loads(procs[k].stdout.readline()))
        for p in procs.values():
            p.stdin.close()
            p.wait()
        load = os.getloadavg()[0]
        for k, rounds in times.items():
            med = {part: _medians([r[part] for r in rounds]) for part in rounds[0]}
            cells = "  ".join(f"{part} {w * 1e3:6.3f}/{c * 1e3:6.3f}" for part, (w, c) in
                              med.items())
            over = (med["fit"][1] - med["bare"][1]) * 1e3
            print(f"{name:<13} {k:<4} {cells}  overhead {over:6.3f}  load {load:.1f}",
                  flush=True)
        for k in failed:
            print(f"{name:<13} {k:<4} (the process failed to start)")


if __name__ == "__main__":
    main()
