"""graphflow and its peers on one workload, timed in turns: the fair comparison on a loaded machine.

tools/bench_peers.py times each peer in its own subprocess, one after the other, as a ratio to a
numpy baseline; on a shared machine whose load changes by the minute (and where the numpy
baseline's own OpenBLAS threads suffer most from it) those ratios drift. Here every peer's
subprocess is started first and kept waiting on its stdin; then, round after round, graphflow
runs `--calls` steps in this process and each peer runs as many in its subprocess, one after the
other (in an order that rotates every round), so every column sees the same load. Reported: each column's median time per step, and the
median over rounds of graphflow's time / the peer's time (the ratio the issue's targets are stated
in: <= 1.0 means graphflow is at least as fast), and each column's median CPU time per step (the
process's, all its threads): on a loaded machine wall times follow the scheduler's share (a
process with more runnable threads gets more), CPU times the work done - also as graphflow's
CPU / the peer's - and the thread choice graphflow's plan made (its `threads:` line: one thread
or all cores, and the timings behind it).

    python tools/bench_side_by_side.py conv_step --peer-python /tmp/peervenv/bin/python
    python tools/bench_side_by_side.py mlp_step --peer torch --rounds 30
    git worktree add /tmp/before <commit> && python tools/bench_side_by_side.py conv_step \
        --baseline-tree /tmp/before      # a before/after column too

Caveat: a process whose BLAS threads spin after a call (OpenBLAS does for ~0.1 s) slows the
column measured right after it, rotation or not; for a before/after of graphflow versions whose
BLAS threading differs, also compare whole processes run one after the other.

Peer subprocesses are set up as tools/bench_peers.py does (2 compute threads, non-spinning
OpenMP); `--peer-python` names an interpreter (e.g. a separate virtualenv) that has the peers
installed, since they are never graphflow's dependencies.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

_TOOLS = os.path.dirname(os.path.abspath(__file__))
if _TOOLS not in sys.path:
    sys.path.insert(0, _TOOLS)
import bench_peers  # noqa: E402  (numpy only at import)

#: workloads with a graphflow builder here (bench.py's names)
WORKLOADS = ("mlp_step", "conv_step", "lstm_step")


def graphflow_step(name):
    """bench.py's step for `name` in this process: (its tf.function, its argument tensors)."""
    import bench
    import graphflow as tf
    from np_workloads import conv_init, mlp_init
    if name == "conv_step":
        ws, x, y = conv_init()
        _, step = bench.make_conv_step(ws)
    elif name == "lstm_step":
        from np_workloads import lstm_init
        k, rk, bias, x, y = lstm_init()
        _, step = bench.make_lstm_step(k, rk, bias, x.shape[2])
    else:
        ws, bs, x, y = mlp_init()
        _, step = bench.make_mlp_step(ws, bs)
    return step, (tf.constant(x), tf.constant(y))


def _graphflow(name):
    """A callable running one step of `name` (kernels compiled)."""
    import bench
    step, args = graphflow_step(name)
    step(*args)
    bench._wait_compiled()
    step(*args)

    def run():
        return step(*args)

    def threads():
        """The plan's thread choice (its `threads:` report line), '' if it makes none."""
        choice = getattr(step.get_concrete_function(*args)._executor, "blas_choice", None)
        return choice.describe() if choice is not None else ""
    run.threads = threads
    return run


def serve(peer, name):
    """Child: build `name` for `peer`, then for each stdin line N run N steps and print their
    times (seconds) as a JSON list. Peer "graphflow": graphflow as found on sys.path (another
    checkout via PYTHONPATH, see --baseline-tree)."""
    if peer == "graphflow":
        fn = _graphflow(name)
    else:
        builders = {"torch": lambda: bench_peers._torch_builders(False),
                    "torch.compile": lambda: bench_peers._torch_builders(True),
                    "tf": bench_peers._tf_builders, "jax": bench_peers._jax_builders}[peer]()
        fn, _ = builders[name]()
    fn()
    fn()
    print("READY", flush=True)
    for line in sys.stdin:
        print(json.dumps(_timed(fn, int(line))), flush=True)


def _start(peer, name, python, tree=None):
    env = dict(os.environ)
    if tree is not None:     # graphflow from another checkout, its tools/ for bench.py
        env["PYTHONPATH"] = os.pathsep.join([tree, os.path.join(tree, "tools")])
        env.pop("OPENBLAS_NUM_THREADS", None)
        return _popen([python, os.path.join(_TOOLS, "bench_side_by_side.py"), name,
                       "--serve", "graphflow"], env, cwd=tree)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(bench_peers.THREADS)
    env.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return _popen([python, os.path.abspath(__file__), name, "--serve", peer], env)


def _popen(cmd, env, cwd=None):
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env,
                         cwd=cwd)
    line = p.stdout.readline()
    if not line.startswith("READY"):
        p.kill()
        return None
    p.ready_line = line   # (what the child said with it)
    return p


def _timed(fn, n):
    """[wall seconds, process CPU seconds] of each of n calls of fn."""
    ts = []
    for _ in range(n):
        c = time.process_time()
        t = time.perf_counter()
        fn()
        ts.append((time.perf_counter() - t, time.process_time() - c))
    return ts


def _medians(ts):
    """(median wall, median CPU) of `_timed`'s pairs."""
    return tuple(statistics.median(v) for v in zip(*ts))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("workload", choices=WORKLOADS)
    ap.add_argument("--peer", action="append", choices=list(bench_peers.PEERS))
    ap.add_argument("--peer-python", default=sys.executable)
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--calls", type=int, default=3, help="steps per column per round")
    ap.add_argument("--baseline-tree", metavar="PATH",
                    help="also graphflow from this checkout (e.g. a `git worktree` of an older "
                         "commit) in a subprocess: a before/after column under the same load")
    ap.add_argument("--serve", choices=list(bench_peers.PEERS) + ["graphflow"],
                    help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.serve:
        serve(args.serve, args.workload)
        return 0
    peers = {}
    for peer in args.peer or ["torch", "tf"]:
        p = _start(peer, args.workload, args.peer_python)
        if p is None:
            print(f"{peer}: could not start (not installed in {args.peer_python}?)")
        else:
            peers[peer] = p
    if args.baseline_tree:
        p = _start("graphflow", args.workload, sys.executable, args.baseline_tree)
        if p is None:
            print(f"graphflow from {args.baseline_tree}: could not start")
        else:
            peers["baseline"] = p
    gf = _graphflow(args.workload)
    times = {c: [] for c in ["graphflow", *peers]}
    cpus = {c: [] for c in times}
    ratios = {c: [] for c in peers}
    cols = list(times)
    for r in range(args.rounds):
        # the order rotates every round: a column's leftovers (e.g. OpenBLAS threads that spin
        # ~0.1 s after a call) hit each other column equally often
        now = {}
        for c in cols[r % len(cols):] + cols[:r % len(cols)]:
            if c == "graphflow":
                now[c] = _medians(_timed(gf, args.calls))
            else:
                peers[c].stdin.write(f"{args.calls}\n")
                peers[c].stdin.flush()
                now[c] = _medians(json.loads(peers[c].stdout.readline()))
        for c, (v, cpu) in now.items():
            times[c].append(v)
            cpus[c].append(cpu)
            if c != "graphflow":
                ratios[c].append(now["graphflow"][0] / v)
    for p in peers.values():
        p.stdin.close()
        p.wait()
    print(f"{args.workload}: {args.rounds} rounds of {args.calls} steps per column, in turns")
    for c, v in times.items():
        extra = ("" if c == "graphflow" else
                 f"   graphflow/{c} = {statistics.median(ratios[c]):.2f} "
                 f"(rounds {min(ratios[c]):.2f}-{max(ratios[c]):.2f}; CPU "
                 f"{statistics.median(cpus['graphflow']) / statistics.median(cpus[c]):.2f})")
        print(f"  {c:14s} median {statistics.median(v) * 1e3:8.2f} ms  "
              f"best round {min(v) * 1e3:8.2f} ms  CPU {statistics.median(cpus[c]) * 1e3:7.2f} ms"
              f"{extra}")
    print("  load: " + " ".join(f"{v:.2f}" for v in os.getloadavg()))
    if gf.threads():
        print("  graphflow plan " + gf.threads())
    return 0


if __name__ == "__main__":
    sys.exit(main())
