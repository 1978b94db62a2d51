"""graphflow benchmarks, measured as ratios against a baseline timed in the same process.

Every workload is a function in `WORKLOADS` that returns `(graphflow_seconds, baseline_seconds)`
per operation (median over repeats); the ratio graphflow / baseline is compared with the target.
Comparing within one run keeps the numbers meaningful on a loaded machine (see
/work/shared/PERFORMANCE.md).

    python tools/bench.py                 # all workloads, 7 repeats each
    python tools/bench.py --quick         # 3 repeats, shorter timing runs
    python tools/bench.py --only eager_tape_square --json out.json
    python tools/bench.py --quick --peers # then the same workloads in PyTorch/JAX/TF, if installed

Adding a workload: write `def my_workload(cfg): ... return gf_seconds, base_seconds` (use
`paired(fn, baseline, cfg)`: their repeats alternate) and register it with
`@workload("name", target_ratio)`.
The numpy inputs, baselines and the timing (`measure_pair`) live in tools/np_workloads.py,
shared with tools/bench_peers.py.
A workload without a numpy baseline returns `None` as baseline_seconds; its target is then an
absolute time in seconds.
"""
import argparse
import contextlib
import json
import os
import platform
import statistics
import sys

import numpy as np

_TOOLS = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(_TOOLS, ".."))
if _TOOLS not in sys.path:      # np_workloads, bench_peers
    sys.path.insert(0, _TOOLS)
import graphflow as tf  # noqa: E402
import tf_steps  # noqa: E402
from np_workloads import (Config, chain_grad2_ref, chain_grad_ref, chain_input,  # noqa: E402
                          conv_init, lstm_init, measure_pair, mlp_init, np_chain,
                          np_conv_step, np_lstm_step, np_mlp_step, numpy_add_2x2)
from np_workloads import CONV_FWD, conv_fwd_init, np_conv2d_ref, same_pads  # noqa: E402

#: name -> (fn(cfg) -> (graphflow_seconds, baseline_seconds or None), target)
WORKLOADS = {}


def workload(name, target):
    """Register `fn(cfg) -> (graphflow_seconds, baseline_seconds)` under `name`."""
    def deco(fn):
        WORKLOADS[name] = (fn, target)
        return fn
    return deco


# ------------------------------------------------------------------------------ workloads
@workload("eager_add_2x2", 5.0)
def eager_add_2x2(cfg):
    """`a + b` on two 2x2 float32 tensors, eager, vs numpy's a + b on 2x2 arrays."""
    a = tf.ones((2, 2))
    b = tf.fill((2, 2), 2.0)
    assert (a + b).numpy().tolist() == [[3.0, 3.0], [3.0, 3.0]]
    return paired(lambda: a + b, numpy_add_2x2(), cfg)


@workload("eager_tape_square", 50.0)
def eager_tape_square(cfg):
    """`with GradientTape() as t: y = v * v` then `t.gradient(y, v)` on a scalar Variable,
    vs numpy's 2x2 add."""
    v = tf.Variable(3.0)
    GradientTape = tf.GradientTape

    def step():
        with GradientTape() as t:
            y = v * v
        return t.gradient(y, v)

    assert float(step()) == 6.0
    return paired(step, numpy_add_2x2(), cfg)


def paired(fn, base, cfg):
    """(seconds per call of fn, of its baseline): medians of alternating repeats (np_workloads'
    `measure_pair`), so that a load change between them does not skew the row's ratio."""
    return measure_pair(fn, base, cfg)[:2]


# ------------------------------------------------------------------------------ numba backend
def _wait_compiled():
    """Block until the numba backend has compiled every kernel requested so far."""
    try:
        from graphflow.backends.numba import wait_all
    except ImportError:
        return
    wait_all()


def chain(x):
    return tf.tanh(0.5 * x + 1) * tf.sigmoid(x) + x * x


def _chain_workload(cfg, fn, check=None):
    """Time traced `fn` on 4M float32 against numpy's eager chain expression (same process)."""
    x = chain_input()
    xt = tf.constant(x)
    f = tf.function(fn)
    out = f(xt)                      # traces; kernels compile in the background
    _wait_compiled()
    out = f(xt).numpy()
    if check is not None:
        ref = check(x.astype(np.float64))
        np.testing.assert_allclose(out, ref, rtol=2e-4, atol=2e-4 * np.abs(ref).max())
    return paired(lambda: f(xt), lambda: np_chain(x), cfg)


@workload("chain_fwd_4M", 0.20)
def chain_fwd_4m(cfg):
    """`tanh(0.5*x + 1) * sigmoid(x) + x*x` on 4M float32 in @function vs numpy eager."""
    return _chain_workload(cfg, chain, np_chain)


@workload("chain_grad_4M", 0.25)
def chain_grad_4m(cfg):
    """gradient of reduce_sum(chain(x)) (tape inside @function) vs numpy's eager forward."""
    def grad(x):
        with tf.GradientTape() as t:
            t.watch(x)
            y = tf.reduce_sum(chain(x))
        return t.gradient(y, x)
    return _chain_workload(cfg, grad, chain_grad_ref)


@workload("chain_grad2_4M", 0.35)
def chain_grad2_4m(cfg):
    """gradient of reduce_sum(gradient(reduce_sum(chain(x)))) (nested tapes) vs numpy forward."""
    def grad2(x):
        with tf.GradientTape() as t2:
            t2.watch(x)
            with tf.GradientTape() as t1:
                t1.watch(x)
                y = tf.reduce_sum(chain(x))
            g = t1.gradient(y, x)
            z = tf.reduce_sum(g)
        return t2.gradient(z, x)
    return _chain_workload(cfg, grad2, chain_grad2_ref)


def make_mlp_step(ws, bs, lr=0.1):
    """(variables, @function step(x, y) -> loss): one SGD step of the ReLU MLP."""
    return tf_steps.make_mlp_step(tf, ws, bs, lr)


@workload("mlp_step", 0.90)
def mlp_step(cfg):
    """One SGD step of a 784-256-256-10 ReLU MLP (batch 128) in one @function vs numpy."""
    ws, bs, x, y = mlp_init()
    params, step = make_mlp_step(ws, bs)
    xt, yt = tf.constant(x), tf.constant(y)
    ref_ws, ref_bs = [w.copy() for w in ws], [b.copy() for b in bs]
    first = float(step(xt, yt))
    _wait_compiled()
    ref = float(np_mlp_step(ref_ws, ref_bs, x, y))
    assert abs(first - ref) <= 1e-4 * max(1.0, abs(ref)), (first, ref)
    second = float(step(xt, yt))
    ref2 = float(np_mlp_step(ref_ws, ref_bs, x, y))
    assert abs(second - ref2) <= 1e-4 * max(1.0, abs(ref2)), (second, ref2)
    return paired(lambda: step(xt, yt), lambda: np_mlp_step(ws, bs, x, y), cfg)


@workload("mlp_step_varying_batch", 0.90)
def mlp_step_varying_batch(cfg):
    """mlp_step with batch sizes cycling 64/128/100 through one trace (input_signature with an
    unknown batch dim) vs the numpy step on the same batches. Every size runs compiled from its
    first call on (kernels are shared across sizes); the per-call cost of binding the unknown
    dim is printed on stderr."""
    import itertools
    import time
    ws, bs, x, y = mlp_init()
    params, step = make_mlp_step(ws, bs)
    f = tf.function(step.python_function, input_signature=[
        tf.TensorSpec((None, x.shape[1])), tf.TensorSpec((None,), tf.int32)])
    batches = [(tf.constant(x[:n]), tf.constant(y[:n])) for n in (64, 128, 100)]
    ref_ws, ref_bs = [w.copy() for w in ws], [b.copy() for b in bs]
    for xt, yt in batches:   # one plan per size: the 2nd and 3rd sizes compile nothing new
        loss = float(f(xt, yt))
        ref = float(np_mlp_step(ref_ws, ref_bs, xt.numpy(), yt.numpy()))
        assert abs(loss - ref) <= 1e-4 * max(1.0, abs(ref)), (loss, ref)
        _wait_compiled()
    assert f.experimental_get_tracing_count() == 1
    ex = f.get_concrete_function(*batches[0])._executor
    arrays = [batches[0][0].numpy(), batches[0][1].numpy()]
    n = 20000
    t0 = time.perf_counter()
    for _ in range(n):
        ex.plans[tuple([a.shape for a in arrays])]   # (PerShapePlan.run's lookup)
    print(f"  mlp_step_varying_batch: binding the unknown dim costs "
          f"{(time.perf_counter() - t0) / n * 1e6:.2f} us per call", file=sys.stderr)
    cyc = itertools.cycle(batches)
    npb = itertools.cycle([(xt.numpy(), yt.numpy()) for xt, yt in batches])
    return paired(lambda: f(*next(cyc)), lambda: np_mlp_step(ws, bs, *next(npb)), cfg)


_FIRST_CALL_CHILD = r"""
import sys, time
sys.path.insert(0, {root!r})
sys.path.insert(0, {tools!r})
import bench
tf = bench.tf
ws, bs, x, y = bench.mlp_init()
params, step = bench.make_mlp_step(ws, bs)
xt, yt = tf.constant(x), tf.constant(y)
t0 = time.perf_counter()
loss = float(step(xt, yt))
t1 = time.perf_counter()
print("FIRST_CALL", t1 - t0, loss, flush=True)
bench._wait_compiled()              # leave a complete disk cache for the warm run
"""

_FRESH_RESULTS = {}


def _bytecode_cache(env):
    """Let the fresh-process children import from cached bytecode, as an installed package does.

    A Python that may not write bytecode (``PYTHONDONTWRITEBYTECODE=1``, as in some sandboxes)
    compiles every graphflow module from source at each start: measured 0.62-0.73 s of CPU for
    `import graphflow` against 0.27-0.39 s from bytecode. The children write and read it under
    ~/.cache/graphflow/pyc (``PYTHONPYCACHEPREFIX``; primed once here, untimed), so the figures
    are those of a normal installation. ``GF_BENCH_PYC=0`` keeps the environment as it is.
    """
    if os.environ.get("GF_BENCH_PYC", "1") == "0":
        return
    import subprocess
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.setdefault("PYTHONPYCACHEPREFIX",
                   os.path.join(os.path.expanduser("~"), ".cache", "graphflow", "pyc"))
    subprocess.run([sys.executable, "-c", "import graphflow, numba, "
                    "graphflow.backends.numba.rt, graphflow.backends.numba.plan"],
                   env=env, check=True, capture_output=True, cwd=os.path.dirname(_TOOLS))


class _BusyCore:
    """A child process spinning on one core while the block runs (the 'one other process busy'
    case); it is ended by its own handle afterwards."""

    def __enter__(self):
        import subprocess
        self.proc = subprocess.Popen([sys.executable, "-c", (   # (ends itself if orphaned)
            "import os\np = os.getppid()\nwhile os.getppid() == p:\n"
            "    for _ in range(100000): pass")])
        return self

    def __exit__(self, *exc):
        self.proc.kill()
        self.proc.wait()


def _fresh_process_runs(child, marker, busy=False):
    """{'cold'|'warm': the floats after `marker` in the output of `child` (a template filled
    with the repository and tools paths)} from two fresh processes sharing a new kernel cache:
    the first starts it empty, the second warm; with `busy`, while another process spins on a
    core (`_BusyCore`). Each child runs once per bench process; a TIMELINE line it prints goes
    to stderr."""
    key = marker + ("_BUSY" if busy else "")
    if key not in _FRESH_RESULTS:
        import subprocess
        import tempfile
        tools = os.path.dirname(os.path.abspath(__file__))
        code = child.format(root=os.path.dirname(tools), tools=tools)
        result = {}
        with tempfile.TemporaryDirectory(prefix="gf-cache-") as d:
            env = dict(os.environ, GRAPHFLOW_CACHE_DIR=d)
            env.pop("GRAPHFLOW_SYNC_COMPILE", None)
            _bytecode_cache(env)
            for run_name in ("cold", "warm"):
                with _BusyCore() if busy else contextlib.nullcontext():
                    out = subprocess.run([sys.executable, "-c", code], env=env, check=True,
                                         capture_output=True, text=True).stdout
                line = [s for s in out.splitlines() if s.startswith(marker)][0]
                result[run_name] = tuple(float(v) for v in line.split()[1:])
                for s in out.splitlines():
                    if s.startswith("TIMELINE"):
                        print(f"  {key.lower()} ({run_name}) timeline: {s[9:]}",
                              file=sys.stderr)
        _FRESH_RESULTS[key] = result
    return _FRESH_RESULTS[key]


def _first_call_times():
    """(cold, warm) seconds to the first result of the MLP step in fresh processes."""
    r = _fresh_process_runs(_FIRST_CALL_CHILD, "FIRST_CALL")
    return r["cold"][0], r["warm"][0]


@workload("mlp_first_call", 1.0)
def mlp_first_call(cfg):
    """Seconds from the first call of the MLP step to its result, fresh process, empty cache."""
    return _first_call_times()[0], None


@workload("mlp_first_call_warm", 0.3)
def mlp_first_call_warm(cfg):
    """Seconds from the first call of the MLP step to its result, fresh process, warm cache."""
    return _first_call_times()[1], None


_FIRST_100_CHILD = r"""
import time
t0, cpu0 = time.perf_counter(), time.process_time()
import sys
sys.path.insert(0, {root!r})
sys.path.insert(0, {tools!r})
import os
import graphflow as tf          # (what a user's script imports: not this harness's modules)
import np_workloads
import tf_steps
ws, bs, x, y = np_workloads.mlp_init()
params, step = tf_steps.make_mlp_step(tf, ws, bs)
if os.environ.get("GF_BENCH_NUMPY_EXECUTOR"):    # the baseline: the numpy executor alone
    step = tf.function(step.python_function, jit_compile=False)
xt, yt = tf.constant(x), tf.constant(y)
t_ready = time.perf_counter()
calls = []
for i in range(100):
    c0 = time.perf_counter()
    loss = float(step(xt, yt))
    calls.append(time.perf_counter() - c0)
t1, cpu1 = time.perf_counter(), time.process_time()
print("FIRST_100", t1 - t0, max(calls[1:]), sorted(calls[1:])[49], flush=True)
import bench
print("TIMELINE", bench.first_call_timeline(step, (xt, yt), t_ready - t0, calls)
      + f"; process CPU {{(cpu1 - cpu0) * 1e3:.0f}} ms", flush=True)
bench._wait_compiled()              # leave a complete disk cache for the warm run
"""


def first_call_timeline(step, args, before, calls):
    """One line: where a fresh process's first calls of `step` went (ms): the start (Python,
    imports, setting up the inputs), the first call's trace / passes / plan (for numba: with
    numba's import and the kernels a warm start loads) / its run, and the other calls."""
    cf = step.get_concrete_function(*args)
    t = dict(getattr(cf, "timings", {}))
    parts = [("start+imports", before), ("trace", t.get("trace")), ("passes", t.get("passes")),
             ("plan", t.get("executor"))]
    try:
        from graphflow.backends.numba import cache
        ks = {k.key: k for k in getattr(cf._executor, "kernels", [])
              if k.compile_seconds is not None and k.compiler != "process"}
        setup = cache.SETUP_SECONDS[0]
        loads = sum(k.compile_seconds for k in ks.values() if k.origin == "disk")
        parts += [("(numba import+setup", setup),        # within the first kernel's load
                  ("kernel loads)", max(0.0, loads - (setup or 0.0)) if ks else None)]
    except ImportError:
        pass
    known = sum(v for name, v in parts[1:4] if v is not None)
    parts += [("first run", calls[0] - known if t else None), ("calls 2-100", sum(calls[1:]))]
    pc = sys.modules.get("graphflow.backends.plan_cache")
    hits = pc.STATS["hits"] if pc is not None else 0
    return ", ".join(f"{name} {v * 1e3:.0f}" if v is not None else f"{name} -"
                     for name, v in parts) + " ms" + (
        f"; plan cache hits {hits}" if hits else "; no plan cache hit") + (
        "; numba imported" if "numba" in sys.modules else "; numba not imported") + (
        ", networkx imported" if "networkx" in sys.modules else ", networkx not imported") + (
        _threads_line(cf))


def _threads_line(cf):
    """'; ' + the plan's thread choice (one thread / all cores, its trials) after the calls: a
    first 100 spent on one thread while the steady state runs on all cores shows here."""
    choice = getattr(getattr(cf, "_executor", None), "blas_choice", None)
    return "; " + choice.describe() if choice is not None else ""


def _numpy_executor_100():
    """(total, slowest, median call) of the same 100 steps on the numpy executor alone, in a
    fresh process: the calls made while kernels load must not be slower than these."""
    import subprocess
    tools = os.path.dirname(os.path.abspath(__file__))
    code = _FIRST_100_CHILD.format(root=os.path.dirname(tools), tools=tools)
    env = dict(os.environ, GF_BENCH_NUMPY_EXECUTOR="1")
    _bytecode_cache(env)
    out = subprocess.run([sys.executable, "-c", code], env=env, check=True,
                         capture_output=True, text=True).stdout
    line = [s for s in out.splitlines() if s.startswith("FIRST_100")][0]
    return tuple(float(v) for v in line.split()[1:])

def _first_100_times():
    """{'cold'|'warm': (seconds for import + first 100 mlp_step calls, slowest call after the
    first)} in fresh processes, with an empty and then a warm kernel cache."""
    first = "FIRST_100" not in _FRESH_RESULTS
    result = _fresh_process_runs(_FIRST_100_CHILD, "FIRST_100")
    if first:
        runs = dict(result, **{"numpy executor alone": _numpy_executor_100()})
        for run_name, (total, slowest, median) in runs.items():
            print(f"  mlp_first_100_steps ({run_name}): {total:.3f} s, slowest call after the "
                  f"first {slowest * 1e3:.1f} ms, median {median * 1e3:.2f} ms", file=sys.stderr)
    return result


@workload("mlp_first_100_steps", 0.8)
def mlp_first_100_steps(cfg):
    """Wall time of the first 100 mlp_step calls in a fresh process, import included, with an
    empty kernel cache (target 0.8 s; the slowest single call is printed on stderr)."""
    return _first_100_times()["cold"][0], None


@workload("mlp_first_100_steps_warm", 0.3)
def mlp_first_100_steps_warm(cfg):
    """The same with a warm kernel cache (target 0.3 s)."""
    return _first_100_times()["warm"][0], None


@workload("mlp_first_100_steps_busy", 1.2)
def mlp_first_100_steps_busy(cfg):
    """mlp_first_100_steps (empty cache) while another process spins on one core (target 1.5x
    the quiet target)."""
    return _fresh_process_runs(_FIRST_100_CHILD, "FIRST_100", busy=True)["cold"][0], None


@workload("mlp_first_100_steps_warm_busy", 0.45)
def mlp_first_100_steps_warm_busy(cfg):
    """mlp_first_100_steps_warm while another process spins on one core (target 1.5x)."""
    return _fresh_process_runs(_FIRST_100_CHILD, "FIRST_100", busy=True)["warm"][0], None


@workload("mlp_trace", 0.2)
def mlp_trace(cfg):
    """Seconds to trace the mlp_step function into a graph and run the passes (no compiling)."""
    import time
    ws, bs, x, y = mlp_init()
    _, step = make_mlp_step(ws, bs)
    xt, yt = tf.constant(x), tf.constant(y)
    times = []
    for _ in range(cfg.repeats):
        f = tf.function(step.python_function, jit_compile=False)
        t0 = time.perf_counter()
        f.get_concrete_function(xt, yt)
        times.append(time.perf_counter() - t0)
    return statistics.median(times), None


@workload("mlp_numpy_executor", 1.0)
def mlp_numpy_executor(cfg):
    """mlp_step on the numpy executor (jit_compile=False) vs the same Python step run eagerly:
    the executor's per-call overhead must stay below eager execution's."""
    ws, bs, x, y = mlp_init()
    _, step = make_mlp_step(ws, bs)
    xt, yt = tf.constant(x), tf.constant(y)
    graph_step = tf.function(step.python_function, jit_compile=False)
    graph_step(xt, yt)
    return paired(lambda: graph_step(xt, yt), lambda: step.python_function(xt, yt), cfg)


def make_conv_step(ws, lr=0.01):
    """(variables, @function step(x, y) -> loss): one SGD step of Conv32-Pool-Conv64-Pool-Dense10
    (sparse softmax cross-entropy), written with tf.nn ops."""
    return tf_steps.make_conv_step(tf, ws, lr)


@workload("conv_step", 1.0)
def conv_step(cfg):
    """One SGD step of the issue-12 convnet (batch 64, 28x28x1) in one @function vs the same
    step in numpy (im2col + matmul, hand-written backward pass)."""
    ws, x, y = conv_init()
    params, step = make_conv_step(ws)
    xt, yt = tf.constant(x), tf.constant(y)
    ref_ws = [w.copy() for w in ws]
    first = float(step(xt, yt))
    _wait_compiled()
    ref = float(np_conv_step(ref_ws, x, y))
    assert abs(first - ref) <= 1e-4 * max(1.0, abs(ref)), (first, ref)
    return paired(lambda: step(xt, yt), lambda: np_conv_step(ws, x, y), cfg)


def make_lstm_step(k, rk, bias, features, lr=0.01):
    """(params, step): a Keras LSTM with these weights and its @function SGD step on
    mean((h_T - y)^2) (the lstm_step workload; also tools/bench_side_by_side.py's)."""
    return tf_steps.make_lstm_step(tf, k, rk, bias, features, lr)


@workload("lstm_step", 1.0)
def lstm_step(cfg):
    """One SGD step of a Keras LSTM (batch 64, 100 steps, 32 features, 64 units; loss on the
    last h) in one @function - the time loop is one while_loop node, its gradient a reverse
    while_loop over the recorded steps; on the numba backend each loop runs as one compiled numba
    function, backends/numba/loop.py - vs the same step in numpy (hand-written BPTT).
    (graphflow.control_ops.HOIST_LOOP_GEMMS = True makes x_t @ kernel one gemm before the loop
    and the kernels' gradients gemms after the reverse loop; off by default, see there.)
    Peers: torch.nn.LSTM and a Keras LSTM in TF in bench_peers.py / bench_side_by_side.py."""
    k, rk, bias, x, y = lstm_init()
    _, step = make_lstm_step(k, rk, bias, x.shape[2])
    xt, yt = tf.constant(x), tf.constant(y)
    ref = [a.copy() for a in (k, rk, bias)]
    first = float(step(xt, yt))
    _wait_compiled()
    want = float(np_lstm_step(*ref, x, y))
    assert abs(first - want) <= 1e-4 * max(1.0, abs(want)), (first, want)
    second, want2 = float(step(xt, yt)), float(np_lstm_step(*ref, x, y))
    assert abs(second - want2) <= 1e-4 * max(1.0, abs(want2)), (second, want2)
    return paired(lambda: step(xt, yt), lambda: np_lstm_step(k, rk, bias, x, y), cfg)


def _conv_fwd_workload(cfg, name):
    """conv2d alone on np_workloads.CONV_FWD[name] vs numpy's sliding_window_view + tensordot
    (the same inputs and reference as the peers' rows in bench_peers.py)."""
    _, _, _, stride, padding = CONV_FWD[name]
    x, w = conv_fwd_init(name)

    def gf(x, w):
        return tf.nn.conv2d(x, w, stride, padding)
    return _ratio_workload(cfg, gf, lambda x, w: np_conv2d_ref(x, w, stride, padding), x, w,
                           rtol=1e-4)


@workload("conv2d_fwd_3x3_28x28x32", 1.0)
def conv2d_fwd_3x3(cfg):
    """conv2d alone: 3x3, 32 -> 64 channels on 64x28x28x32 (SAME) vs numpy's
    sliding_window_view + tensordot."""
    return _conv_fwd_workload(cfg, "conv2d_fwd_3x3_28x28x32")


@workload("conv2d_fwd_1x1_14x14x128", 1.0)
def conv2d_fwd_1x1(cfg):
    """conv2d alone: 1x1, 128 -> 128 channels on 64x14x14x128 vs the numpy reference."""
    return _conv_fwd_workload(cfg, "conv2d_fwd_1x1_14x14x128")


@workload("conv2d_fwd_5x5_s2", 1.0)
def conv2d_fwd_5x5_s2(cfg):
    """conv2d alone: 5x5 stride 2, 16 -> 32 channels on 64x28x28x16 (SAME) vs the numpy
    reference."""
    return _conv_fwd_workload(cfg, "conv2d_fwd_5x5_s2")


def _np_depthwise_ref(x, w):
    """numpy's SAME stride-1 depthwise convolution (multiplier 1): sliding_window_view + einsum."""
    from numpy.lib.stride_tricks import sliding_window_view
    kh, kw = w.shape[:2]
    pads = [same_pads(x.shape[1 + a], w.shape[a], 1) for a in (0, 1)]
    win = sliding_window_view(np.pad(x, [(0, 0), pads[0], pads[1], (0, 0)]), (kh, kw),
                              axis=(1, 2))
    return np.einsum("bhwcij,ijc->bhwc", win, w[:, :, :, 0], optimize=True)


@workload("depthwise_conv2d_3x3_28x28x32", 1.0)
def depthwise_conv2d_3x3(cfg):
    """depthwise_conv2d alone: 3x3, multiplier 1 on 64x28x28x32 (SAME; the direct kernel's
    contiguous channel loop) vs numpy's sliding_window_view + einsum."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 28, 28, 32)).astype(np.float32)
    w = (rng.standard_normal((3, 3, 32, 1)) * 0.1).astype(np.float32)

    def gf(x, w):
        return tf.nn.depthwise_conv2d(x, w, (1, 1, 1, 1), "SAME")
    return _ratio_workload(cfg, gf, _np_depthwise_ref, x, w, rtol=1e-4)


_CONV_FIRST_100_CHILD = _FIRST_100_CHILD.replace(
    "ws, bs, x, y = np_workloads.mlp_init()\nparams, step = tf_steps.make_mlp_step(tf, ws, bs)",
    "ws, x, y = np_workloads.conv_init()\n"
    "params, step = tf_steps.make_conv_step(tf, ws)").replace(
    "print(\"FIRST_100\", t1 - t0, max(calls[1:]), sorted(calls[1:])[49], flush=True)",
    # also: this process's CPU seconds, and the call after which every kernel was ready (0:
    # none; the calls before ran partly on numpy): under load the compiler process (nice 10)
    # may not finish within the 100 calls
    "import resource\nru = resource.getrusage(resource.RUSAGE_SELF)\n"
    # and how many kernels failed (a plan counts them as ready: they run on numpy)
    "failed = sum(k.state == 'failed' for k in "
    "step.get_concrete_function(xt, yt)._executor.kernels)\n"
    "print(\"FIRST_100\", t1 - t0, max(calls[1:]), sorted(calls[1:])[49], "
    "ru.ru_utime + ru.ru_stime, ready_at, failed, flush=True)").replace(
    "    calls.append(time.perf_counter() - c0)\n",
    "    calls.append(time.perf_counter() - c0)\n"
    "    if not ready_at and step.get_concrete_function(xt, yt)._executor.ready:\n"
    "        ready_at = i + 1\n").replace(
    "calls = []\n", "calls = []\nready_at = 0\n").replace("FIRST_100", "CONV_FIRST_100")


def _conv_first_100_times():
    first = "CONV_FIRST_100" not in _FRESH_RESULTS
    result = _fresh_process_runs(_CONV_FIRST_100_CHILD, "CONV_FIRST_100")
    if first:
        for run_name, (total, slowest, median, cpu, ready_at, failed) in result.items():
            print(f"  conv_first_100_steps ({run_name}): {total:.3f} s ({cpu:.2f} s CPU in the "
                  f"process), slowest call after the first {slowest * 1e3:.1f} ms, median "
                  f"{median * 1e3:.1f} ms; " + (f"every kernel ready after call {ready_at:.0f}"
                                                if ready_at else "kernels still compiling")
                  + (f"; {failed:.0f} kernels FAILED (they run on numpy)" if failed else ""),
                  file=sys.stderr)
    return result


@workload("conv_first_100_steps", 6.0)
def conv_first_100_steps(cfg):
    """Wall time of the first 100 conv_step calls in a fresh process, import included, with an
    empty kernel cache (the slowest single call is printed on stderr)."""
    return _conv_first_100_times()["cold"][0], None


@workload("conv_first_100_steps_warm", 4.0)
def conv_first_100_steps_warm(cfg):
    """The same with a warm kernel cache."""
    return _conv_first_100_times()["warm"][0], None


# ------------------------------------------------------------------------------ driver
# ------------------------------------------------------------------------------ issue 8 shapes
def _ratio_workload(cfg, gf_fn, np_fn, *arrays, rtol=2e-4):
    """Time traced `gf_fn` (numba backend, compiled) vs `np_fn` on the same float32 arrays."""
    f = tf.function(gf_fn)
    targs = [tf.constant(a) for a in arrays]
    f(*targs)
    _wait_compiled()
    got = f(*targs)
    got = got if isinstance(got, (list, tuple)) else [got]
    want = np_fn(*arrays)
    want = want if isinstance(want, (list, tuple)) else [want]
    for a, b in zip(got, want):
        np.testing.assert_allclose(np.asarray(a), b, rtol=rtol, atol=rtol * np.abs(b).max())
    out = paired(lambda: f(*targs), lambda: np_fn(*arrays), cfg)
    # which threads the plan ran on decides these memory-bound rows: say so (stderr)
    lines = f.kernel_plan(*targs).splitlines()
    print("  " + "; ".join(ln.strip() for ln in lines if ln.startswith("threads:")
                           or ln.strip().startswith("kernel:")), file=sys.stderr)
    return out


def _rows():
    return np.random.default_rng(0).standard_normal((4096, 1024)).astype(np.float32)


def _np_softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


@workload("row_max_4096x1024", 0.60)
def row_max(cfg):
    """reduce_max(x, axis=1) on (4096, 1024) float32 vs x.max(1)."""
    return _ratio_workload(cfg, lambda x: tf.reduce_max(x, 1), lambda x: x.max(1), _rows())


@workload("reduce_max_4M", 0.60)
def reduce_max_4m(cfg):
    """reduce_max over all 4M values vs x.max()."""
    return _ratio_workload(cfg, tf.reduce_max, lambda x: x.max(), _rows())


@workload("reduce_sum_4M", 0.60)
def reduce_sum_4m(cfg):
    """reduce_sum over all 4M values vs np.sum."""
    return _ratio_workload(cfg, tf.reduce_sum, np.sum, _rows())


@workload("softmax_4096x1024", 0.40)
def softmax_rows(cfg):
    """nn.softmax(x, axis=-1) vs numpy's stable softmax."""
    return _ratio_workload(cfg, tf.nn.softmax, _np_softmax, _rows())


@workload("softmax_grad_4096x1024", 0.45)
def softmax_grad_rows(cfg):
    """gradient of reduce_sum(softmax(x) * w) w.r.t. x vs numpy's hand-written gradient."""
    def gf(x, w):
        with tf.GradientTape() as t:
            t.watch(x)
            y = tf.reduce_sum(tf.nn.softmax(x) * w)
        return t.gradient(y, x)

    def ref(x, w):
        s = _np_softmax(x)
        g = s * w
        return g - s * g.sum(-1, keepdims=True)
    w = np.random.default_rng(1).standard_normal((4096, 1024)).astype(np.float32)
    return _ratio_workload(cfg, gf, ref, _rows(), w)


@workload("logsumexp_rows_4096x1024", 0.45)
def logsumexp_rows(cfg):
    """row-wise log-sum-exp (reduce_max, subtract, exp, reduce_sum, log) vs numpy."""
    def gf(x):
        m = tf.reduce_max(x, -1, keepdims=True)
        return tf.math.log(tf.reduce_sum(tf.exp(x - m), -1, keepdims=True)) + m

    def ref(x):
        m = x.max(-1, keepdims=True)
        return np.log(np.exp(x - m).sum(-1, keepdims=True)) + m
    return _ratio_workload(cfg, gf, ref, _rows())


@workload("exp_4M", 0.35)
def exp_4m(cfg):
    """exp(x) on 4M float32 vs np.exp."""
    return _ratio_workload(cfg, tf.exp, np.exp, _rows())


@workload("softmax_xent_fwd_bwd", 0.40)
def softmax_xent(cfg):
    """sparse softmax cross-entropy on (4096, 1024) logits, int labels: mean loss and its
    gradient w.r.t. the logits, vs numpy's hand-written forward and backward."""
    labels = np.random.default_rng(2).integers(0, 1024, 4096).astype(np.int32)

    def gf(x, y):
        with tf.GradientTape() as t:
            t.watch(x)
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(y, x))
        return loss, t.gradient(loss, x)

    def ref(x, y):
        m = x.max(-1, keepdims=True)
        e = np.exp(x - m)
        s = e.sum(-1, keepdims=True)
        rows = np.arange(len(y))
        loss = np.mean(np.log(s[:, 0]) + m[:, 0] - x[rows, y])
        g = e / s
        g[rows, y] -= 1
        return loss, g / len(y)
    return _ratio_workload(cfg, gf, ref, _rows(), labels)


@workload("layernorm_fwd_bwd", 0.40)
def layernorm(cfg):
    """layer normalization over the last axis of (4096, 1024) with scale and offset: output
    and the gradients of reduce_sum(out * w) w.r.t. x, scale and offset, vs numpy."""
    rng = np.random.default_rng(3)
    w = rng.standard_normal((4096, 1024)).astype(np.float32)
    gamma = rng.standard_normal(1024).astype(np.float32)
    beta = rng.standard_normal(1024).astype(np.float32)

    def gf(x, w, gamma, beta):
        with tf.GradientTape() as t:
            t.watch([x, gamma, beta])
            mu = tf.reduce_mean(x, -1, keepdims=True)
            var = tf.reduce_mean(tf.square(x - mu), -1, keepdims=True)
            y = (x - mu) * tf.math.rsqrt(var + 1e-5) * gamma + beta
            loss = tf.reduce_sum(y * w)
        return [y] + t.gradient(loss, [x, gamma, beta])

    def ref(x, w, gamma, beta):
        n = x.shape[-1]
        mu = x.mean(-1, keepdims=True)
        xc = x - mu
        r = 1.0 / np.sqrt((xc * xc).mean(-1, keepdims=True) + np.float32(1e-5))
        xh = xc * r
        y = xh * gamma + beta
        gxh = w * gamma
        gx = r / n * (n * gxh - gxh.sum(-1, keepdims=True)
                      - xh * (gxh * xh).sum(-1, keepdims=True))
        return [y, gx, (w * xh).sum(0), w.sum(0)]
    return _ratio_workload(cfg, gf, ref, _rows(), w, gamma, beta, rtol=2e-3)


# ------------------------------------------------------------------ issue 8: untuned shapes
# Workloads nobody tuned the compiler for (float32, ratios against numpy in the same process);
# the targets leave room for a loaded 2-core machine.
@workload("gelu_4096x1024", 0.35)
def gelu_rows(cfg):
    """tf.nn.gelu(x, approximate=True) vs numpy's tanh formula."""
    def ref(x):
        c = np.float32(np.sqrt(2 / np.pi))
        return np.float32(0.5) * x * (1 + np.tanh(c * (x + np.float32(0.044715) * x * x * x)))
    return _ratio_workload(cfg, lambda x: tf.nn.gelu(x, approximate=True), ref, _rows())


@workload("batchnorm_train_fwd_bwd", 0.55)
def batchnorm_train(cfg):
    """training batch norm on (16384, 256): moments over axis 0, output and the gradients of
    reduce_sum(y * w) w.r.t. x, gamma and beta, vs numpy's hand-written forward and backward."""
    rng = np.random.default_rng(6)
    x = rng.standard_normal((16384, 256)).astype(np.float32)
    w = rng.standard_normal((16384, 256)).astype(np.float32)
    g, b = (rng.standard_normal(256).astype(np.float32) for _ in range(2))

    def gf(x, w, g, b):
        with tf.GradientTape() as t:
            t.watch([x, g, b])
            mu, var = tf.nn.moments(x, axes=[0])
            y = tf.nn.batch_normalization(x, mu, var, b, g, 1e-3)
            loss = tf.reduce_sum(y * w)
        return [y] + t.gradient(loss, [x, g, b])

    def ref(x, w, g, b):
        n = x.shape[0]
        xc = x - x.mean(0)
        r = np.float32(1) / np.sqrt((xc * xc).mean(0) + np.float32(1e-3))
        xh = xc * r
        gxh = w * g
        gx = r / n * (n * gxh - gxh.sum(0) - xh * (gxh * xh).sum(0))
        return [xh * g + b, gx, (w * xh).sum(0), w.sum(0)]
    return _ratio_workload(cfg, gf, ref, x, w, g, b, rtol=3e-3)


@workload("l2_normalize_rows", 0.45)
def l2_normalize_rows(cfg):
    """tf.math.l2_normalize(x, axis=-1) on (4096, 1024) vs numpy."""
    def ref(x):
        return x / np.sqrt(np.maximum((x * x).sum(-1, keepdims=True), np.float32(1e-12)))
    return _ratio_workload(cfg, lambda x: tf.math.l2_normalize(x, axis=-1), ref, _rows())


@workload("clip_where_4M", 0.30)
def clip_where(cfg):
    """where(x > 0, clip_by_value(2x, -1, 1), x*x - 0.5) on 4M values vs numpy."""
    def gf(x):
        return tf.where(x > 0, tf.clip_by_value(2.0 * x, -1.0, 1.0), x * x - 0.5)

    def ref(x):
        return np.where(x > 0, np.clip(np.float32(2) * x, -1, 1), x * x - np.float32(0.5))
    return _ratio_workload(cfg, gf, ref, _rows())


@workload("transpose_reduce", 1.0)
def transpose_reduce(cfg):
    """reduce_sum(transpose(x), axis=1) on (4096, 1024) vs x.T.sum(1) (a column sum: the
    reduction reads x in place instead of a transposed copy)."""
    return _ratio_workload(cfg, lambda x: tf.reduce_sum(tf.transpose(x), 1),
                           lambda x: x.T.sum(1), _rows(), rtol=1e-4)


@workload("col_sum_1024x4096", 0.9)
def col_sum(cfg):
    """reduce_sum(x, axis=0) on (1024, 4096) vs x.sum(0)."""
    x = np.random.default_rng(4).standard_normal((1024, 4096)).astype(np.float32)
    return _ratio_workload(cfg, lambda x: tf.reduce_sum(x, 0), lambda x: x.sum(0), x, rtol=1e-4)


@workload("moments_rows", 0.45)
def moments_rows(cfg):
    """tf.nn.moments(x, axes=[1]) on (4096, 1024) (mean and variance) vs numpy."""
    def ref(x):
        m = x.mean(1)
        return [m, ((x - m[:, None]) ** 2).mean(1)]
    return _ratio_workload(cfg, lambda x: list(tf.nn.moments(x, axes=[1])), ref, _rows(),
                           rtol=1e-4)


@workload("masked_attention", 0.60)
def masked_attention(cfg):
    """softmax(q k^T / 8 + causal mask) v over 8 heads of 512 x 64 vs numpy."""
    rng = np.random.default_rng(7)
    q, k, v = (rng.standard_normal((8, 512, 64)).astype(np.float32) for _ in range(3))
    mask = np.triu(np.full((512, 512), -1e9, np.float32), 1)

    def gf(q, k, v, mask):
        s = tf.matmul(q, k, transpose_b=True) * (1.0 / 8.0) + mask
        return tf.matmul(tf.nn.softmax(s, -1), v)

    def ref(q, k, v, mask):
        s = q @ k.transpose(0, 2, 1) * np.float32(1 / 8) + mask
        return _np_softmax(s) @ v
    return _ratio_workload(cfg, gf, ref, q, k, v, mask, rtol=1e-3)


_GELU_C = np.float32(np.sqrt(2 / np.pi))


def _np_gelu_fwd_bwd(x, w, b, t):
    """numpy: y = gelu_tanh(x @ w + b), loss = sum(y * t) and its gradients w.r.t. x, w, b."""
    h = x @ w + b
    u = np.tanh(_GELU_C * (h + np.float32(0.044715) * h ** 3))
    y = np.float32(0.5) * h * (1 + u)
    dh = t * (np.float32(0.5) * (1 + u) + np.float32(0.5) * h * (1 - u * u) * _GELU_C
              * (1 + np.float32(3 * 0.044715) * h * h))
    return [np.sum(y * t), dh @ w.T, x.T @ dh, dh.sum(0)]


@workload("dense_gelu_fwd_bwd", 0.90)
def dense_gelu_fwd_bwd(cfg):
    """gelu(x @ w + b) (tanh approximation), x (512, 1024), w (1024, 1024), float32: the loss
    sum(y * t) and its gradients w.r.t. x, w and b, vs numpy's hand-written backward (three
    products either way: the floor is BLAS)."""
    rng = np.random.default_rng(9)
    x = rng.standard_normal((512, 1024)).astype(np.float32)
    w = (rng.standard_normal((1024, 1024)) / 32).astype(np.float32)
    b = rng.standard_normal(1024).astype(np.float32)
    t = rng.standard_normal((512, 1024)).astype(np.float32)

    def gf(x, w, b, t):
        with tf.GradientTape() as tape:
            tape.watch([x, w, b])
            loss = tf.reduce_sum(tf.nn.gelu(tf.matmul(x, w) + b, approximate=True) * t)
        return [loss] + tape.gradient(loss, [x, w, b])
    return _ratio_workload(cfg, gf, _np_gelu_fwd_bwd, x, w, b, t, rtol=1e-3)


@workload("batched_matmul_bcast", 0.80)
def batched_matmul_bcast(cfg):
    """relu(x @ w + b) with a rank-3 x (32, 256, 256) and a shared rank-2 w (256, 512) (batch
    dims broadcast), then transpose_a: h^T @ x per batch entry, float32, vs numpy."""
    rng = np.random.default_rng(10)
    x = rng.standard_normal((32, 256, 256)).astype(np.float32)
    w = (rng.standard_normal((256, 512)) / 16).astype(np.float32)
    b = rng.standard_normal(512).astype(np.float32)

    def gf(x, w, b):
        h = tf.nn.relu(tf.matmul(x, w) + b)
        return tf.matmul(h, x, transpose_a=True)

    def ref(x, w, b):
        h = np.maximum(x @ w + b, 0)
        return h.transpose(0, 2, 1) @ x
    return _ratio_workload(cfg, gf, ref, x, w, b, rtol=1e-3)


@workload("mlp2_fwd_f64", 0.90)
def mlp2_fwd_f64(cfg):
    """A 2-layer MLP forward in float64: tanh(x @ w1 + b1) @ w2 + b2, x (1024, 512),
    w1 (512, 1024), w2 (1024, 256), vs numpy."""
    rng = np.random.default_rng(11)
    x = rng.standard_normal((1024, 512))
    w1 = rng.standard_normal((512, 1024)) / 23
    b1 = rng.standard_normal(1024)
    w2 = rng.standard_normal((1024, 256)) / 32
    b2 = rng.standard_normal(256)

    def gf(x, w1, b1, w2, b2):
        return tf.matmul(tf.tanh(tf.matmul(x, w1) + b1), w2) + b2

    def ref(x, w1, b1, w2, b2):
        return np.tanh(x @ w1 + b1) @ w2 + b2
    return _ratio_workload(cfg, gf, ref, x, w1, b1, w2, b2, rtol=1e-9)


@workload("sigmoid_xent_fwd_bwd", 0.50)
def sigmoid_xent(cfg):
    """mean sigmoid cross-entropy on (4096, 1024) logits with 0/1 labels and its gradient
    w.r.t. the logits, vs numpy's stable forward and hand-written backward."""
    y = (np.random.default_rng(8).uniform(size=(4096, 1024)) > 0.5).astype(np.float32)

    def gf(x, y):
        with tf.GradientTape() as t:
            t.watch(x)
            loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=y, logits=x))
        return [loss, t.gradient(loss, x)]

    def ref(x, y):
        loss = np.mean(np.maximum(x, 0) - x * y + np.log1p(np.exp(-np.abs(x))))
        return [loss, (np.float32(1) / (1 + np.exp(-x)) - y) / np.float32(x.size)]
    return _ratio_workload(cfg, gf, ref, _rows(), y, rtol=1e-3)


# ------------------------------------------------------------------------------ untuned shapes
# workloads the compiler was not tuned for (issue 8: "fast on what it was not tuned for")
@workload("cumsum_rows_4096x1024", 0.7)
def cumsum_rows(cfg):
    """tf.math.cumsum(x, axis=1) on (4096, 1024) vs np.cumsum(x, 1)."""
    return _ratio_workload(cfg, lambda x: tf.math.cumsum(x, axis=1), lambda x: np.cumsum(x, 1),
                           _rows(), rtol=1e-4)


@workload("cumsum_cols_4096x1024", 0.7)
def cumsum_cols(cfg):
    """tf.math.cumsum(x, axis=0) on (4096, 1024) vs np.cumsum(x, 0) (a scan along the outer
    axis: the kernel keeps a row of running sums)."""
    return _ratio_workload(cfg, lambda x: tf.math.cumsum(x, axis=0), lambda x: np.cumsum(x, 0),
                           _rows(), rtol=1e-4)


@workload("cumsum_cols_reverse_grad", 0.7)
def cumsum_cols_reverse_grad(cfg):
    """the gradient of reduce_sum(cumsum(x, axis=0) * w) w.r.t. x on (4096, 1024) (a reversed
    scan of w along axis 0) vs numpy's flip / cumsum / flip."""
    def gf(x, w):
        with tf.GradientTape() as t:
            t.watch(x)
            y = tf.reduce_sum(tf.math.cumsum(x, axis=0) * w)
        return t.gradient(y, x)

    w = np.random.default_rng(4).standard_normal((4096, 1024)).astype(np.float32)
    return _ratio_workload(cfg, gf, lambda x, w: np.flip(np.cumsum(np.flip(w, 0), 0), 0),
                           _rows(), w, rtol=1e-4)


@workload("argmax_rows_4096x1024", 0.7)
def argmax_rows(cfg):
    """tf.argmax(x, axis=1) on (4096, 1024) vs x.argmax(1)."""
    return _ratio_workload(cfg, lambda x: tf.argmax(x, 1), lambda x: x.argmax(1), _rows())


@workload("argmax_cols_4096x1024", 0.7)
def argmax_cols(cfg):
    """tf.argmax(x, axis=0) on (4096, 1024) vs x.argmax(0) (numpy copies x transposed)."""
    return _ratio_workload(cfg, lambda x: tf.argmax(x, 0), lambda x: x.argmax(0), _rows())


@workload("softmax_argmax_4096x1024", 0.45)
def softmax_argmax(cfg):
    """nn.softmax(x, axis=-1) and the argmax of each softmax row (predictions and predicted
    classes, one row-pass kernel) vs numpy's stable softmax and its argmax."""
    def ref(x):
        s = _np_softmax(x)
        return [s, s.argmax(-1)]
    return _ratio_workload(cfg, lambda x: [tf.nn.softmax(x), tf.argmax(tf.nn.softmax(x), -1)],
                           ref, _rows())


@workload("mean_mid_64x256x256", 0.7)
def mean_mid(cfg):
    """reduce_mean(x, axis=1) of a rank-3 (64, 256, 256) tensor (a middle axis) vs x.mean(1)."""
    x = np.random.default_rng(5).standard_normal((64, 256, 256)).astype(np.float32)
    return _ratio_workload(cfg, lambda x: tf.reduce_mean(x, 1), lambda x: x.mean(1), x,
                           rtol=1e-4)


@workload("where_chain_4M", 0.7)
def where_chain(cfg):
    """tf.where((x > 0) & (k % 3 == 0), 2 * x, -x) with int32 k, on 4M values, vs numpy."""
    x = _rows()
    k = np.arange(x.size, dtype=np.int32).reshape(x.shape)

    def gf(x, k):
        return tf.where(tf.logical_and(x > 0, k % 3 == 0), 2.0 * x, -x)

    def ref(x, k):
        return np.where((x > 0) & (k % 3 == 0), np.float32(2) * x, -x)
    return _ratio_workload(cfg, gf, ref, x, k)


@workload("cumprod_grad_4096x256", 0.9)
def cumprod_grad(cfg):
    """tf.math.cumprod(x, axis=1) on (4096, 256) and the gradient of sum(cumprod * w) (one scan
    kernel each way; was an unrolled slice/multiply chain: 4.9 s a call) vs numpy's cumprod and
    its division-based gradient."""
    rng = np.random.default_rng(12)
    x = rng.uniform(0.9, 1.1, (4096, 256)).astype(np.float32)
    w = rng.standard_normal((4096, 256)).astype(np.float32)

    def gf(x, w):
        with tf.GradientTape() as t:
            t.watch(x)
            c = tf.math.cumprod(x, axis=1)
            loss = tf.reduce_sum(c * w)
        return [c, t.gradient(loss, x)]

    def ref(x, w):
        c = np.cumprod(x, 1)
        return [c, np.flip(np.cumsum(np.flip(c * w, 1), 1), 1) / x]
    return _ratio_workload(cfg, gf, ref, x, w, rtol=1e-3)


@workload("top_k_8_4096x1024", 1.0)
def top_k_rows(cfg):
    """tf.math.top_k(x, 8) on (4096, 1024) rows (values and indices) vs numpy's argpartition
    and a sort of the 8 (graphflow's ties are TF's: lower index first)."""
    def ref(x):
        part = np.argpartition(-x, 7, axis=1)[:, :8]
        idx = np.take_along_axis(part, np.argsort(-np.take_along_axis(x, part, 1), 1), 1)
        return [np.take_along_axis(x, idx, 1), idx.astype(np.int32)]
    return _ratio_workload(cfg, lambda x: list(tf.math.top_k(x, 8)), ref, _rows())


@workload("int_div_mod_4096x1024", 0.5)
def int_div_mod(cfg):
    """int32 (4096, 1024): (a*3 + b) // b % 13 + |a - b| and its row sums (integer division by
    a graph input: fused, the divisor checked for zeros first) vs numpy."""
    rng = np.random.default_rng(13)
    a = rng.integers(-1000, 1000, (4096, 1024)).astype(np.int32)
    b = rng.integers(1, 50, (4096, 1024)).astype(np.int32)

    def gf(a, b):
        c = tf.math.floormod(tf.math.floordiv(a * 3 + b, b), 13) + tf.abs(a - b)
        return [c, tf.reduce_sum(c, 1)]

    def ref(a, b):
        c = (a * 3 + b) // b % 13 + np.abs(a - b)
        return [c, c.sum(1, dtype=np.int32)]
    return _ratio_workload(cfg, gf, ref, a, b)


@workload("shape_ops_grad_1024", 0.9)
def shape_ops_grad(cfg):
    """tools/untuned_workloads.py's shape_ops_grad: concat / split / transpose / pad / crop /
    tile on (1024, 512) and the gradient (the crop of pad's VJP simplifies away) vs numpy's
    forward and hand-written gradient."""
    import untuned_workloads
    w = untuned_workloads.WORKLOADS["shape_ops_grad"]
    return _ratio_workload(cfg, lambda *a: w.tf(tf, *a), w.np,
                           *w.inputs(np.random.default_rng(0)), rtol=1e-5)


@workload("dense_rank3_weight_grad", 1.0)
def dense_rank3_weight_grad(cfg):
    """the gradient w.r.t. w (512, 512) of sum(matmul(x, w) * t) with x (16, 256, 512): one
    product over all 4096 rows (it was 16 per-batch products summed after) vs numpy's
    x.reshape(-1, 512).T @ t.reshape(-1, 512)."""
    rng = np.random.default_rng(14)
    x, t = (rng.standard_normal((16, 256, 512)).astype(np.float32) for _ in range(2))
    w = (rng.standard_normal((512, 512)) / 23).astype(np.float32)

    def gf(x, w, t):
        with tf.GradientTape() as tape:
            tape.watch(w)
            loss = tf.reduce_sum(tf.matmul(x, w) * t)
        return tape.gradient(loss, w)
    return _ratio_workload(cfg, gf, lambda x, w, t: x.reshape(-1, 512).T @ t.reshape(-1, 512),
                           x, w, t, rtol=1e-3)


def run(names, cfg):
    rows = []
    for name in names:
        fn, target = WORKLOADS[name]
        gf, base = fn(cfg)
        if base is None:
            ratio, ok = None, gf <= target
        else:
            ratio = gf / base
            ok = ratio <= target
        rows.append({"workload": name, "graphflow_us": gf * 1e6,
                     "baseline_us": None if base is None else base * 1e6,
                     "ratio": ratio, "target": target, "pass": bool(ok)})
    return rows


def _fmt(x, spec):
    width = "".join(c for c in spec.split(".")[0] if c.isdigit())
    return format("-", ">" + width) if x is None else format(x, spec)


def print_table(rows):
    head = f"{'workload':<22} {'graphflow µs':>14} {'baseline µs':>12} {'ratio':>8} {'target':>8}  result"
    print(head)
    print("-" * len(head))
    for r in rows:
        tgt = f"≤{r['target']:g}" + ("" if r["ratio"] is not None else " s")
        print(f"{r['workload']:<22} {r['graphflow_us']:>14.3f} {_fmt(r['baseline_us'], '>12.3f')} "
              f"{_fmt(r['ratio'], '>8.2f')} {tgt:>8}  {'PASS' if r['pass'] else 'MISS'}")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="3 repeats of shorter timing runs")
    p.add_argument("--only", action="append", metavar="NAME",
                   help="run only this workload (repeatable); known: " + ", ".join(WORKLOADS))
    p.add_argument("--repeats", type=int, default=None, help="timeit repeats (default 7, quick 3)")
    p.add_argument("--json", metavar="PATH", help="also write the results as JSON here")
    p.add_argument("--peers", action="store_true",
                   help="then run the workloads in each installed peer framework (PyTorch, JAX, "
                        "TensorFlow; one subprocess each, see tools/bench_peers.py) and print "
                        "one table of ratios")
    args = p.parse_args(argv)
    names = args.only or list(WORKLOADS)
    unknown = [n for n in names if n not in WORKLOADS]
    if unknown:
        p.error(f"unknown workload(s) {', '.join(unknown)}; known: {', '.join(WORKLOADS)}")
    cfg = Config(repeats=args.repeats or (3 if args.quick else 7),
                 min_time=0.05 if args.quick else 0.2)
    rows = run(names, cfg)
    print_table(rows)
    peers = None
    if args.peers:
        import bench_peers              # tools/ is on sys.path (see the imports above)
        print()
        peers = bench_peers.run_peers(names, bench_peers.Config(cfg.repeats, cfg.min_time))
        bench_peers.print_table(peers, rows, names)
    if args.json:
        meta = {"python": platform.python_version(), "numpy": np.__version__,
                "machine": platform.machine(), "repeats": cfg.repeats, "quick": args.quick}
        out = {"meta": meta, "results": rows}
        if peers is not None:
            out["peers"] = {c: {"meta": m, "results": r} for c, (m, r) in peers.items()}
        with open(args.json, "w") as f:
            json.dump(out, f, indent=2)
        print(f"wrote {args.json}")
    return 0 if all(r["pass"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
