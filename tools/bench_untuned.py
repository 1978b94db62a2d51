"""The numba backend on workloads it was not tuned for, side by side (issue 8's theme).

For every workload of tools/untuned_workloads.py (an `@tf.function`, forward and/or forward +
backward, sized like real models) this checks the compiled graph against the numpy executor on
the same graph and against plain numpy, then times, in the same process and in alternating
repeats: graphflow compiled (numba), the numpy executor (`jit_compile=False`, as tools/bench.py's
`mlp_numpy_executor` gets it) and plain numpy; then TF (tf.function) and PyTorch (eager), each in
a subprocess started first and kept waiting on its stdin, timed right after graphflow's columns
so every column sees about the same load. Reported: ms per call and graphflow's ratio to each.

    python tools/bench_untuned.py                          # every workload, peers if installed
    python tools/bench_untuned.py --only cumprod_grad --peer-python /tmp/peervenv/bin/python
    python tools/bench_untuned.py --no-peers --json out.json
    python tools/bench_untuned.py --cpu      # process CPU time (all threads) instead of wall

On a loaded machine wall time mostly says how many threads a framework keeps runnable (two
get twice one's share of the cores); `--cpu` times the work itself (each peer its own process).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import timeit

import numpy as np

_TOOLS = os.path.dirname(os.path.abspath(__file__))
if _TOOLS not in sys.path:
    sys.path.insert(0, _TOOLS)
from np_workloads import Config, calibrate  # noqa: E402
from untuned_workloads import WORKLOADS  # noqa: E402

PEERS = ("tf", "torch")


def _np_list(out):
    out = out if isinstance(out, (list, tuple)) else [out]
    out = [o.detach() if hasattr(o, "detach") else o for o in out]     # torch
    return [np.asarray(o.numpy() if hasattr(o, "numpy") and not isinstance(o, np.ndarray) else o)
            for o in out]


def _close(got, want, rtol, what):
    """Assert each array of `got` matches `want` (rtol, atol scaled by the reference's size)."""
    assert len(got) == len(want), f"{what}: {len(got)} outputs, expected {len(want)}"
    for i, (a, b) in enumerate(zip(got, want)):
        a, b = np.asarray(a), np.asarray(b)
        assert a.shape == b.shape, f"{what}: output {i} shape {a.shape} vs {b.shape}"
        scale = float(np.abs(b).max()) if b.size else 0.0
        np.testing.assert_allclose(a.astype(np.float64), b.astype(np.float64), rtol=rtol,
                                   atol=rtol * scale, err_msg=f"{what}: output {i}")


def tf_callable(tf, w, arrays, **fn_kwargs):
    """(zero-argument callable running workload `w` traced with tf.function(**fn_kwargs) on
    fresh state, the tensors it passes) for `tf` = graphflow or TensorFlow."""
    if w.state:
        body, args = w.tf(tf, *[tf.constant(a) for a in arrays])
    else:
        args = [tf.constant(a) for a in arrays]

        def body(*ts):
            return w.tf(tf, *ts)
    f = tf.function(body, **fn_kwargs)
    return lambda: f(*args)


def torch_callable(torch, w, arrays):
    ts = [torch.from_numpy(a) for a in arrays]
    return lambda: w.torch(torch, *ts)


def timed(fns, cfg):
    """Median seconds per call of each callable, their repeats alternating (process CPU
    seconds with `cfg.cpu`)."""
    clock = time.process_time if getattr(cfg, "cpu", False) else time.perf_counter
    timers = [timeit.Timer(f, timer=clock) for f in fns]
    ns = [calibrate(t, cfg) for t in timers]
    runs = [[] for _ in fns]
    for _ in range(cfg.repeats):
        for t, n, r in zip(timers, ns, runs):
            r.append(t.timeit(n) / n)
    return [statistics.median(r) for r in runs]


# ------------------------------------------------------------------------ peer child
def serve(peer, cfg):
    """Child: for each stdin line (a workload name) build it for `peer`, check it against numpy,
    time it, print a JSON {"s": seconds} or {"error": text}."""
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = "2"
    if peer == "tf":
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        import tensorflow as fw
        fw.config.threading.set_intra_op_parallelism_threads(2)
        fw.config.threading.set_inter_op_parallelism_threads(2)
    else:
        import torch as fw
        fw.set_num_threads(2)
    print("READY", flush=True)
    for line in sys.stdin:
        name = line.strip()
        w = WORKLOADS[name]
        try:
            arrays = w.inputs(np.random.default_rng(0))
            run = (tf_callable(fw, w, arrays) if peer == "tf" else torch_callable(fw, w, arrays))
            _close(_np_list(run()), w.np(*arrays), max(w.rtol, 1e-9), f"{peer} {name}")
            if w.state:
                run = (tf_callable(fw, w, arrays) if peer == "tf" else run)
            run()
            res = {"s": timed([run], cfg)[0]}
        except Exception as e:  # noqa: BLE001 - reported, the table goes on
            res = {"error": f"{type(e).__name__}: {str(e)[:300]}"}
        print(json.dumps(res), flush=True)


def _start(peer, python, cfg):
    env = dict(os.environ, OMP_WAIT_POLICY="PASSIVE")
    p = subprocess.Popen([python, os.path.abspath(__file__), "--serve", peer,
                          "--repeats", str(cfg.repeats), "--min-time", str(cfg.min_time)]
                         + ["--cpu"] * bool(getattr(cfg, "cpu", False)),
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
    if not p.stdout.readline().startswith("READY"):
        p.kill()
        return None
    return p


# ------------------------------------------------------------------------ parent
def run_graphflow(name, cfg):
    """{"gf", "exec", "numpy": seconds} for one workload, after the correctness checks."""
    sys.path.insert(0, os.path.join(_TOOLS, ".."))
    import graphflow as tf
    from bench import _wait_compiled
    w = WORKLOADS[name]
    arrays = w.inputs(np.random.default_rng(0))
    want = w.np(*arrays)
    comp = tf_callable(tf, w, arrays)
    exe = tf_callable(tf, w, arrays, jit_compile=False)
    got_c = _np_list(comp())
    _wait_compiled()
    got_e = _np_list(exe())
    _close(got_e, want, max(w.rtol, 1e-9), f"numpy executor vs numpy, {name}")
    if w.state:     # a fresh state for the compiled check too
        comp = tf_callable(tf, w, arrays)
        got_c = _np_list(comp())
        _wait_compiled()
    else:
        got_c = _np_list(comp())
    _close(got_c, got_e, max(w.rtol / 4, 1e-10), f"compiled vs numpy executor, {name}")
    t_gf, t_ex, t_np = timed([comp, exe, lambda: w.np(*arrays)], cfg)
    return {"gf": t_gf, "exec": t_ex, "numpy": t_np}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", action="append", choices=list(WORKLOADS), metavar="NAME")
    ap.add_argument("--peer-python", default="/tmp/peervenv/bin/python")
    ap.add_argument("--no-peers", action="store_true")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--min-time", type=float, default=0.1)
    ap.add_argument("--json", metavar="PATH")
    ap.add_argument("--cpu", action="store_true", help="time process CPU, not wall")
    ap.add_argument("--serve", choices=PEERS, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    cfg = Config(args.repeats, args.min_time)
    cfg.cpu = args.cpu
    if args.serve:
        serve(args.serve, cfg)
        return 0
    peers = {}
    if not args.no_peers and os.path.exists(args.peer_python):
        for peer in PEERS:
            p = _start(peer, args.peer_python, cfg)
            if p is None:
                print(f"{peer}: could not start in {args.peer_python}")
            else:
                peers[peer] = p
    rows = []
    head = (f"{'workload':<28}{'gf ms' + ' cpu' * args.cpu:>9}{'/exec':>7}{'/numpy':>8}"
            + "".join(f"{'/' + p:>8}" for p in peers))
    print(head + "\n" + "-" * len(head), flush=True)
    for name in args.only or list(WORKLOADS):
        try:
            r = run_graphflow(name, cfg)
        except Exception as e:  # noqa: BLE001 - a mismatch is reported, the table goes on
            print(f"{name:<28} FAILED {type(e).__name__}: {str(e)[:400]}", flush=True)
            rows.append({"workload": name, "error": f"{type(e).__name__}: {e}"})
            continue
        for peer, p in peers.items():
            p.stdin.write(name + "\n")
            p.stdin.flush()
            res = json.loads(p.stdout.readline())
            r[peer] = res.get("s")
            if "error" in res:
                r[peer + "_error"] = res["error"]
        cols = [r["gf"] / r["exec"], r["gf"] / r["numpy"]] + [
            (r["gf"] / r[p] if r.get(p) else None) for p in peers]
        print(f"{name:<28}{r['gf'] * 1e3:>9.3f}"
              + "".join(f"{c:>8.2f}" if c is not None else f"{'err':>8}" for c in cols),
              flush=True)
        for p in peers:
            if r.get(p + "_error"):
                print(f"    {p}: {r[p + '_error']}")
        rows.append(dict(r, workload=name))
    for p in peers.values():
        p.stdin.close()
        p.wait()
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"load": os.getloadavg(), "clock": "cpu" if args.cpu else "wall",
                       "results": rows}, f, indent=2)
    print(f"load average {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
