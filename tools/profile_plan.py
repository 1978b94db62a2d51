"""Where a compiled step's time goes: wall and CPU time per step of its numba kernel plan.

Runs a bench.py step workload (conv_step, mlp_step or lstm_step) with every kernel compiled,
then `--steps` more calls with each plan step timed: wall time (perf_counter) and the process's
CPU time (user + system: the chunk pool's and BLAS's threads included), both per call of the
whole workload, plus the page faults per call; steps below `--min-ms` are left out. With
`--hot`, each step is also rerun 10 times in a row on the same values (warm caches, reused
memory): a large in-sequence/hot gap points at memory (cache misses, fresh pages) rather than
at the kernel. `--plan` prints the kernel plan first.

    python tools/profile_plan.py conv_step
    python tools/profile_plan.py conv_step --hot --steps 60

CPU time above wall time means the step ran on several threads; CPU time far above the sum of
the kernels' own work has meant idle BLAS threads spinning (perf: `blas_thread_server`).
"""
import argparse
import os
import resource
import statistics
import sys
import time

_TOOLS = os.path.dirname(os.path.abspath(__file__))
if _TOOLS not in sys.path:
    sys.path.insert(0, _TOOLS)
import bench  # noqa: E402
from bench_side_by_side import WORKLOADS, graphflow_step  # noqa: E402


def _usage():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime, r.ru_minflt


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("workload", nargs="?", default="conv_step")
    p.add_argument("--steps", type=int, default=40)
    p.add_argument("--min-ms", type=float, default=0.2)
    p.add_argument("--hot", action="store_true")
    p.add_argument("--plan", action="store_true")
    a = p.parse_args(argv)
    if a.workload not in WORKLOADS:
        raise SystemExit(f"unknown workload {a.workload!r}: one of {', '.join(WORKLOADS)}")
    step, args = graphflow_step(a.workload)
    step(*args)
    bench._wait_compiled()
    for _ in range(3):
        step(*args)
    plan = step.get_concrete_function(*args)._executor
    if not hasattr(plan, "_calls"):
        raise SystemExit("not a numba plan (GRAPHFLOW backend set to numpy?)")
    if a.plan:
        print(plan.report())
    failed = [k for k in plan.kernels if k.state == "failed"]
    if failed:      # a plan counts them as ready; their steps run on numpy
        print(f"WARNING: {len(failed)} of {len(plan.kernels)} kernels FAILED and run on numpy "
              f"(first: {failed[0].error})")
    calls = list(plan._calls)
    wall, cpu, faults = [0.0] * len(calls), [0.0] * len(calls), [0] * len(calls)
    captured = {}

    def timed(i, call):
        def run(vals):
            c0, f0 = _usage()
            t0 = time.perf_counter()
            call(vals)
            wall[i] += time.perf_counter() - t0
            c1, f1 = _usage()
            cpu[i] += c1 - c0
            faults[i] += f1 - f0
            captured["vals"] = vals
        return run
    plan._calls = [timed(i, c) for i, c in enumerate(calls)]
    totals = []
    c0, f0 = _usage()
    for _ in range(a.steps):
        t0 = time.perf_counter()
        step(*args)
        totals.append(time.perf_counter() - t0)
    c1, f1 = _usage()
    plan._calls = calls
    n = a.steps
    print(f"{a.workload}: {n} calls, wall median {statistics.median(totals) * 1e3:.2f} ms "
          f"(best {min(totals) * 1e3:.2f}), CPU {(c1 - c0) / n * 1e3:.2f} ms, "
          f"{(f1 - f0) / n:.0f} page faults per call; load {os.getloadavg()[0]:.2f}")
    print(f"{'step':>6} {'wall ms':>8} {'cpu ms':>7} {'faults':>7}" + (
        f" {'hot ms':>7}" if a.hot else "") + "  what")
    for i, st in enumerate(plan.steps):
        if max(wall[i], cpu[i]) / n * 1e3 < a.min_ms:
            continue
        hot = ""
        if a.hot:
            ts = []
            for _ in range(10):
                t0 = time.perf_counter()
                calls[i](captured["vals"])
                ts.append(time.perf_counter() - t0)
            hot = f" {statistics.median(ts) * 1e3:7.2f}"
        print(f"{'[' + str(i) + ']':>6} {wall[i] / n * 1e3:8.2f} {cpu[i] / n * 1e3:7.2f} "
              f"{faults[i] / n:7.0f}{hot}  {st.describe().splitlines()[0][:100]}")
    print(f"{'sum':>6} {sum(wall) / n * 1e3:8.2f} {sum(cpu) / n * 1e3:7.2f} "
          f"{sum(faults) / n:7.0f}")


if __name__ == "__main__":
    main()
