"""Data-parallel scaling of the tools/bench.py MLP (784-256-256-10 ReLU, SGD) over MPI workers.

For 1 and 2 workers (`mpiexec -n N`), one traced step per worker with the gradient all-reduce
inside it (graphflow.distribute, the mechanism Keras `fit` uses), this reports:

- samples/s of the whole job (global batch x steps / wall time between two barriers);
- weak scaling: 128 samples per worker (global batch 128 x N); strong scaling: a global batch
  of 128 split over the N workers;
- the communication share of a step: the time spent inside the collectives (measured by a
  communicator wrapper around MPI's, so it includes waiting for the slower worker) over the
  step time, per worker; and the same all-reduce timed alone after a barrier (the transfer
  itself, without the waiting).

Every worker is limited to one thread (NUMBA_NUM_THREADS, OMP/OPENBLAS/MKL threads = 1) so N
workers use N cores; on a machine with fewer free cores than workers the figures say so.

    python tools/bench_distributed.py                   # 1 and 2 workers, weak and strong
    python tools/bench_distributed.py --steps 50 --json out.json
    python tools/bench_distributed.py --workers 1 2 4   # (more workers than cores: contention)
    python tools/bench_distributed.py --numpy           # numpy executor (no numba compiles)
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import time

import numpy as np

_TOOLS = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(_TOOLS, ".."))
if _TOOLS not in sys.path:
    sys.path.insert(0, _TOOLS)

THREAD_VARS = ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


# ------------------------------------------------------------------ worker side
def timed_communicator(inner):
    """A communicator that forwards to `inner` and adds the seconds spent in each collective
    to `.seconds` (the collectives inside a traced step call it at run time)."""
    from graphflow.ops.collective_ops import Communicator

    class Timed(Communicator):
        def __init__(self):
            self.inner, self.rank, self.size, self.seconds, self.calls = inner, inner.rank, \
                inner.size, 0.0, 0

        def _timed(self, name, *args):
            t0 = time.perf_counter()
            try:
                return getattr(self.inner, name)(*args)
            finally:
                self.seconds += time.perf_counter() - t0
                self.calls += 1

        def all_reduce(self, x, reduction):
            return self._timed("all_reduce", x, reduction)

        def broadcast(self, x, root):
            return self._timed("broadcast", x, root)

        def reduce_to_root(self, x, root):
            return self._timed("reduce_to_root", x, root)

        def all_gather(self, x):
            return self._timed("all_gather", x)

        def reduce_scatter(self, x):
            return self._timed("reduce_scatter", x)

        def bcast_object(self, obj, root=0):
            return self.inner.bcast_object(obj, root)

        def allgather_object(self, obj):
            return self.inner.allgather_object(obj)

        def barrier(self):
            self.inner.barrier()
    return Timed()


def worker(mode, steps, warmup, jit=True):
    import graphflow as tf
    from graphflow.distribute import strategy as ds
    from np_workloads import MLP_SIZES, mlp_init
    size = ds.launched_size()
    comm = tf.distribute.MPICommunicator() if size > 1 else tf.distribute.SingleProcessCommunicator()
    timed = timed_communicator(comm)
    strategy = tf.distribute.MultiWorkerMirroredStrategy(communicator=timed)
    rank = strategy.worker_index
    local = 128 if mode == "weak" else 128 // size
    rng = np.random.default_rng(rank)
    x = tf.constant(rng.standard_normal((local, MLP_SIZES[0])).astype(np.float32))
    y = tf.constant(rng.integers(0, MLP_SIZES[-1], local).astype(np.int32))
    ws, bs, _, _ = mlp_init()
    with strategy.scope():
        params = []
        for w, b in zip(ws, bs):
            params += [tf.Variable(w), tf.Variable(b)]   # worker 0's values on every worker

        @tf.function(jit_compile=None if jit else False)
        def step(x, y):
            with tf.GradientTape() as tape:
                h = x
                for i in range(0, len(params), 2):
                    h = tf.matmul(h, params[i]) + params[i + 1]
                    if i < len(params) - 2:
                        h = tf.nn.relu(h)
                loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(y, h))
            grads = ds.aggregate_gradients(tape.gradient(loss, params), local)   # one all-reduce
            for p, g in zip(params, grads):
                p.assign_sub(0.1 * g)
            return loss

        for _ in range(warmup):
            step(x, y)
        try:
            from graphflow.backends.numba import wait_all
            wait_all()
        except ImportError:
            pass
        for _ in range(3):
            step(x, y)
        timed.barrier()
        timed.seconds, timed.calls = 0.0, 0
        t0 = time.perf_counter()
        for _ in range(steps):
            loss = step(x, y)
        float(loss)
        timed.barrier()
        wall = time.perf_counter() - t0
    comm_s = timed.seconds
    # the same all-reduce alone (all workers ready): its transfer time, apart from waiting
    flat = np.zeros(sum(int(np.prod(p.shape)) for p in params) + 1, np.float32)
    alone = []
    for _ in range(10):
        timed.barrier()
        t = time.perf_counter()
        comm.all_reduce(flat, "sum")
        alone.append(time.perf_counter() - t)
    stats = timed.allgather_object({"comm": comm_s, "wall": wall, "calls": timed.calls})
    # the weights must agree on every worker after the steps
    digest = float(sum(np.asarray(p.numpy(), np.float64).sum() for p in params))
    digests = timed.allgather_object(digest)
    if rank == 0:
        print("RESULT " + json.dumps({
            "mode": mode, "workers": size, "per_worker_batch": local, "global_batch": local * size,
            "steps": steps, "wall_s": wall, "backend": "numba" if jit else "numpy", "samples_per_s": local * size * steps / wall,
            "step_ms": 1e3 * wall / steps,
            "comm_share": [s["comm"] / s["wall"] for s in stats],
            "collectives_per_step": stats[0]["calls"] / steps,
            "all_reduce_alone_ms": 1e3 * float(np.median(alone)), "message_bytes": flat.nbytes,
            "weights_agree": bool(np.ptp(digests) <= 1e-6 * max(1.0, abs(digests[0])))}),
            flush=True)


# ------------------------------------------------------------------ launcher side
def mpiexec():
    exe = shutil.which("mpiexec") or os.path.join(os.path.dirname(sys.executable), "mpiexec")
    if not os.path.exists(exe):
        sys.exit("bench_distributed: mpiexec not found; pip install 'graphflow[distributed]'")
    return exe


def launch(n, mode, steps, warmup, jit=True):
    env = dict(os.environ, **{v: "1" for v in THREAD_VARS})
    for var in ("PMI_SIZE", "PMI_RANK", "OMPI_COMM_WORLD_SIZE", "PMIX_SIZE"):
        env.pop(var, None)
    cmd = [mpiexec(), "-n", str(n), sys.executable, os.path.abspath(__file__), "--worker", mode,
           "--steps", str(steps), "--warmup", str(warmup)] + ([] if jit else ["--numpy"])
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900)
    for line in p.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    raise RuntimeError(f"{' '.join(cmd)} failed:\n{p.stdout}\n{p.stderr}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--modes", nargs="+", default=["weak", "strong"], choices=["weak", "strong"])
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--json")
    ap.add_argument("--numpy", action="store_true", help="numpy executor instead of numba")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        return worker(args.worker, args.steps, args.warmup, not args.numpy)
    cores = os.cpu_count()
    try:
        load = os.getloadavg()[0]
    except OSError:
        load = float("nan")
    print(f"MLP 784-256-256-10 SGD, {args.steps} timed steps, one thread per worker, "
          f"{'numpy executor' if args.numpy else 'numba backend'}; "
          f"{cores} cores, load average {load:.1f} before the runs")
    rows = []
    for mode in args.modes:
        base = None
        for n in args.workers:
            r = launch(n, mode, args.steps, args.warmup, not args.numpy)
            base = base or r["samples_per_s"]
            r["speedup"] = r["samples_per_s"] / base
            rows.append(r)
            share = ", ".join(f"{s:.0%}" for s in r["comm_share"])
            print(f"{mode:6s} workers={n} global batch={r['global_batch']:4d}: "
                  f"{r['samples_per_s']:8.0f} samples/s  step {r['step_ms']:6.1f} ms  "
                  f"speedup {r['speedup']:.2f}x  communication share {share} "
                  f"({r['collectives_per_step']:.0f} collective(s)/step; the "
                  f"{r['message_bytes'] / 1e6:.1f} MB all-reduce alone: "
                  f"{r['all_reduce_alone_ms']:.2f} ms)  "
                  f"weights agree: {r['weights_agree']}", flush=True)
    if cores is not None and max(args.workers) > cores:
        print(f"note: {max(args.workers)} workers on {cores} cores: the workers share cores")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"cores": cores, "load": load, "rows": rows}, f, indent=1)


if __name__ == "__main__":
    main()
