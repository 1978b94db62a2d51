"""Optional peer comparison for tools/bench.py: the reference workloads in PyTorch, JAX, TensorFlow.

Each peer that happens to be importable runs in its own subprocess (so its imports and thread
pools never meet graphflow's or another peer's), pinned to the same 2 cores with 2 compute threads
(and OMP_WAIT_POLICY=PASSIVE unless set: graphflow's numba pool does not spin either).
Every workload is timed there as a ratio against the same numpy baseline timed in that same
subprocess (the same baselines as tools/bench.py, both from tools/np_workloads.py; here the
repeats of a workload and of its baseline alternate and the ratio is the median of the per-repeat
ratios), so the columns stay comparable on a loaded machine. A child that exceeds its time budget (PEERS) is stopped; the
workloads it finished are kept. A framework that is not installed is skipped with a one-line
note: peers are never dependencies of graphflow or of its tests.

    python tools/bench.py --quick --peers     # graphflow table, then graphflow vs peers
    python tools/bench_peers.py --quick       # peers only
    python tools/bench_peers.py --only mlp_step --peer torch --peer jax

Columns (one subprocess each): torch (eager), torch.compile (skipped if compiling fails or
exceeds its time budget), jax (eager for the 2x2 add and grad of v*v, jax.jit otherwise),
tf (eager for the first two workloads, tf.function otherwise).
"""
import argparse
import importlib.util
import json
import os
import subprocess
import sys
import time

import numpy as np

_TOOLS = os.path.dirname(os.path.abspath(__file__))
if _TOOLS not in sys.path:      # np_workloads (numpy only: a child never imports graphflow)
    sys.path.insert(0, _TOOLS)
from np_workloads import (CHAIN_REFS, Config, chain_input, measure_pair, mlp_init,  # noqa: E402
                          np_chain, np_mlp_step, numpy_add_2x2)
from np_workloads import conv_init, np_conv_step  # noqa: E402
from np_workloads import CONV_FWD, conv_fwd_init, np_conv2d_ref, same_pads  # noqa: E402
from np_workloads import lstm_init, np_lstm_step  # noqa: E402
import tf_steps  # noqa: E402

#: workload names, in bench.py's order
PEER_WORKLOADS = ("eager_add_2x2", "eager_tape_square", "chain_fwd_4M", "chain_grad_4M",
                  "chain_grad2_4M", "mlp_step", "conv_step", "lstm_step") + tuple(CONV_FWD)

#: column -> (module that must be importable, child time budget in seconds)
PEERS = {
    "torch": ("torch", 600),
    "torch.compile": ("torch", 300),
    "jax": ("jax", 600),
    "tf": ("tensorflow", 600),
}

THREADS = 2
_TAG = "PEER_RESULT "


# ------------------------------------------------------------------------ per-framework builders
# Each returns {workload: factory}; factory() -> (fn, to_numpy) where fn() runs one
# operation to completion and to_numpy(result) gives its value for the correctness check.

def _torch_builders(compiled):
    import torch
    import torch.nn.functional as F
    torch.set_num_threads(THREADS)
    try:
        torch.set_num_interop_threads(THREADS)
    except RuntimeError:
        pass
    comp = (lambda f: torch.compile(f)) if compiled else (lambda f: f)

    def chain(x):
        return torch.tanh(0.5 * x + 1) * torch.sigmoid(x) + x * x

    def x4m():
        return torch.from_numpy(chain_input())

    def add():
        a, b = torch.ones(2, 2), torch.full((2, 2), 2.0)
        return (lambda: a + b), lambda r: r.numpy()

    def tape():
        v = torch.tensor(3.0, requires_grad=True)

        def step():
            y = v * v
            return torch.autograd.grad(y, v)[0]
        return step, lambda r: r.detach().numpy()

    def fwd():
        x, f = x4m(), comp(chain)

        def run():
            with torch.no_grad():
                return f(x)
        return run, lambda r: r.numpy()

    def grad():
        x = x4m()
        if compiled:
            f = torch.compile(torch.func.grad(lambda x: chain(x).sum()))
            return (lambda: f(x)), lambda r: r.detach().numpy()
        x.requires_grad_(True)
        return (lambda: torch.autograd.grad(chain(x).sum(), x)[0]), lambda r: r.detach().numpy()

    def grad2():
        x = x4m()
        if compiled:
            g1 = torch.func.grad(lambda x: chain(x).sum())
            f = torch.compile(torch.func.grad(lambda x: g1(x).sum()))
            return (lambda: f(x)), lambda r: r.detach().numpy()
        x.requires_grad_(True)

        def run():
            g = torch.autograd.grad(chain(x).sum(), x, create_graph=True)[0]
            return torch.autograd.grad(g.sum(), x)[0]
        return run, lambda r: r.detach().numpy()

    def sgd(fwd_loss, params, lr, xt, yt):
        """(step, to_numpy): the loss, its gradients and one in-place SGD update."""
        def step():
            loss = fwd_loss(xt, yt)
            grads = torch.autograd.grad(loss, params)
            with torch.no_grad():
                torch._foreach_add_(params, grads, alpha=-lr)
            return loss
        return step, lambda r: r.detach().numpy()

    def mlp():
        ws, bs, x, y = mlp_init()
        params = []
        for w, b in zip(ws, bs):
            params += [torch.tensor(w, requires_grad=True), torch.tensor(b, requires_grad=True)]
        xt, yt = torch.from_numpy(x), torch.from_numpy(y).long()

        def forward(x, y):
            h = x
            for i in range(0, len(params), 2):
                h = h @ params[i] + params[i + 1]
                if i < len(params) - 2:
                    h = torch.relu(h)
            return F.cross_entropy(h, y)
        return sgd(comp(forward), params, 0.1, xt, yt)

    def convnet():
        """bench.py's conv_step: NHWC weights as given, run as NCHW (PyTorch's layout)."""
        ws, x, y = conv_init()
        w1, b1, w2, b2, w3, b3 = ws
        params = [torch.tensor(w1.transpose(3, 2, 0, 1).copy(), requires_grad=True),
                  torch.tensor(b1, requires_grad=True),
                  torch.tensor(w2.transpose(3, 2, 0, 1).copy(), requires_grad=True),
                  torch.tensor(b2, requires_grad=True),
                  torch.tensor(w3, requires_grad=True), torch.tensor(b3, requires_grad=True)]
        xt = torch.from_numpy(x.transpose(0, 3, 1, 2).copy())
        yt = torch.from_numpy(y).long()

        def forward(x, y):
            c1, d1, c2, d2, d, e = params
            h = F.max_pool2d(torch.relu(F.conv2d(x, c1, d1)), 2)
            h = F.max_pool2d(torch.relu(F.conv2d(h, c2, d2)), 2)
            h = h.permute(0, 2, 3, 1).reshape(h.shape[0], -1)     # NHWC flatten order
            return F.cross_entropy(h @ d + e, y)
        return sgd(comp(forward), params, 0.01, xt, yt)

    def lstm():
        """bench.py's lstm_step with torch.nn.LSTM (gate order i, f, g, o as Keras'; weights
        transposed, the Keras bias as bias_ih and a zero bias_hh)."""
        k, rk, bias, x, y = lstm_init()
        net = torch.nn.LSTM(k.shape[0], rk.shape[0], batch_first=True)
        with torch.no_grad():
            net.weight_ih_l0.copy_(torch.from_numpy(k.T.copy()))
            net.weight_hh_l0.copy_(torch.from_numpy(rk.T.copy()))
            net.bias_ih_l0.copy_(torch.from_numpy(bias))
            net.bias_hh_l0.zero_()
        params = list(net.parameters())
        xt, yt = torch.from_numpy(x), torch.from_numpy(y)

        def forward(x, y):
            _, (h, _) = net(x)
            return ((h[0] - y) ** 2).mean()
        return sgd(comp(forward), params, 0.01, xt, yt)

    def conv_fwd(name):
        """bench.py's conv2d_fwd row `name` as F.conv2d on NCHW (TF's SAME pads explicit)."""
        def factory():
            x, w = conv_fwd_init(name)
            _, k, _, s, padding = CONV_FWD[name]
            pads = [same_pads(x.shape[1 + a], k, s) if padding == "SAME" else (0, 0)
                    for a in (0, 1)]
            xt = torch.from_numpy(x.transpose(0, 3, 1, 2).copy())
            wt = torch.from_numpy(w.transpose(3, 2, 0, 1).copy())
            f = comp(lambda x: F.conv2d(F.pad(x, pads[1] + pads[0]), wt, stride=s))

            def run():
                with torch.no_grad():
                    return f(xt)
            return run, lambda r: r.numpy().transpose(0, 2, 3, 1)
        return factory

    eager = {"eager_add_2x2": add, "eager_tape_square": tape}
    return dict({} if compiled else eager, chain_fwd_4M=fwd, chain_grad_4M=grad,
                chain_grad2_4M=grad2, mlp_step=mlp, conv_step=convnet, lstm_step=lstm,
                **{n: conv_fwd(n) for n in CONV_FWD})


def _jax_builders():
    import jax
    import jax.numpy as jnp

    def ready(f):
        return lambda *a: jax.block_until_ready(f(*a))

    def chain(x):
        return jnp.tanh(0.5 * x + 1) * jax.nn.sigmoid(x) + x * x

    def x4m():
        return jnp.asarray(chain_input())

    def add():
        a, b = jnp.ones((2, 2), jnp.float32), jnp.full((2, 2), 2.0, jnp.float32)
        return (lambda: (a + b).block_until_ready()), np.asarray

    def tape():
        v = jnp.float32(3.0)
        g = jax.grad(lambda v: v * v)           # eager: no jit, like a tape
        return (lambda: g(v).block_until_ready()), np.asarray

    def jitted(fn):
        def factory():
            x, f = x4m(), ready(jax.jit(fn))
            return (lambda: f(x)), np.asarray
        return factory

    g1 = jax.grad(lambda x: chain(x).sum())
    g2 = jax.grad(lambda x: g1(x).sum())

    def mlp():
        ws, bs, x, y = mlp_init()
        params = []
        for w, b in zip(ws, bs):
            params += [jnp.asarray(w), jnp.asarray(b)]
        xj, yj = jnp.asarray(x), jnp.asarray(y)

        def loss_fn(params, x, y):
            h = x
            for i in range(0, len(params), 2):
                h = h @ params[i] + params[i + 1]
                if i < len(params) - 2:
                    h = jax.nn.relu(h)
            logp = jax.nn.log_softmax(h)
            return -jnp.mean(jnp.take_along_axis(logp, y[:, None], axis=1))

        @jax.jit
        def sgd(params, x, y):
            loss, grads = jax.value_and_grad(loss_fn)(params, x, y)
            return [p - 0.1 * g for p, g in zip(params, grads)], loss

        state = [params]

        def step():
            state[0], loss = sgd(state[0], xj, yj)
            return loss.block_until_ready()
        return step, np.asarray

    return {"eager_add_2x2": add, "eager_tape_square": tape, "chain_fwd_4M": jitted(chain),
            "chain_grad_4M": jitted(g1), "chain_grad2_4M": jitted(g2), "mlp_step": mlp}


def _tf_builders():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf
    tf.config.threading.set_intra_op_parallelism_threads(THREADS)
    tf.config.threading.set_inter_op_parallelism_threads(THREADS)

    def chain(x):
        return tf.tanh(0.5 * x + 1) * tf.sigmoid(x) + x * x

    def x4m():
        return tf.constant(chain_input())

    def add():
        a, b = tf.ones((2, 2)), tf.fill((2, 2), 2.0)
        return (lambda: a + b), lambda r: r.numpy()

    def tape():
        v = tf.Variable(3.0)

        def step():
            with tf.GradientTape() as t:
                y = v * v
            return t.gradient(y, v)
        return step, lambda r: r.numpy()

    def grad(x):
        with tf.GradientTape() as t:
            t.watch(x)
            y = tf.reduce_sum(chain(x))
        return t.gradient(y, x)

    def grad2(x):
        with tf.GradientTape() as t2:
            t2.watch(x)
            with tf.GradientTape() as t1:
                t1.watch(x)
                y = tf.reduce_sum(chain(x))
            z = tf.reduce_sum(t1.gradient(y, x))
        return t2.gradient(z, x)

    def traced(fn):
        def factory():
            x, f = x4m(), tf.function(fn)
            return (lambda: f(x)), lambda r: r.numpy()
        return factory

    def mlp():
        ws, bs, x, y = mlp_init()
        _, step = tf_steps.make_mlp_step(tf, ws, bs)
        xt, yt = tf.constant(x), tf.constant(y)
        return (lambda: step(xt, yt)), lambda r: r.numpy()

    def convnet():
        ws, x, y = conv_init()
        _, step = tf_steps.make_conv_step(tf, ws)
        xt, yt = tf.constant(x), tf.constant(y)
        return (lambda: step(xt, yt)), lambda r: r.numpy()

    def lstm():
        """bench.py's lstm_step: a Keras LSTM in a tf.function train step."""
        k, rk, bias, x, y = lstm_init()
        _, step = tf_steps.make_lstm_step(tf, k, rk, bias, x.shape[2])
        xt, yt = tf.constant(x), tf.constant(y)
        return (lambda: step(xt, yt)), lambda r: r.numpy()

    def conv_fwd(name):
        """bench.py's conv2d_fwd row `name`: tf.nn.conv2d in a tf.function."""
        def factory():
            x, w = conv_fwd_init(name)
            _, _, _, s, padding = CONV_FWD[name]
            xt, wt = tf.constant(x), tf.constant(w)
            f = tf.function(lambda x: tf.nn.conv2d(x, wt, s, padding))
            return (lambda: f(xt)), lambda r: r.numpy()
        return factory

    return dict({"eager_add_2x2": add, "eager_tape_square": tape, "chain_fwd_4M": traced(chain),
                 "chain_grad_4M": traced(grad), "chain_grad2_4M": traced(grad2),
                 "mlp_step": mlp, "conv_step": convnet, "lstm_step": lstm},
                **{n: conv_fwd(n) for n in CONV_FWD})


# ------------------------------------------------------------------------ child process
def _pin_threads():
    """Before any framework import: 2 cores, 2 threads for every BLAS/OpenMP pool."""
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(THREADS)
    try:
        cpus = sorted(os.sched_getaffinity(0))[:THREADS]
        os.sched_setaffinity(0, cpus)
    except (AttributeError, OSError):
        pass


def _check(name, out):
    """Assert a peer computed the same thing as the numpy reference."""
    if name in ("eager_add_2x2",):
        np.testing.assert_allclose(out, np.full((2, 2), 3.0))
    elif name == "eager_tape_square":
        np.testing.assert_allclose(out, 6.0)
    elif name in CHAIN_REFS:
        ref = CHAIN_REFS[name](chain_input(np.float64))
        np.testing.assert_allclose(out, ref, rtol=2e-4, atol=2e-4 * np.abs(ref).max())
    elif name == "mlp_step":
        ws, bs, x, y = mlp_init()
        ref = float(np_mlp_step(ws, bs, x, y))
        assert abs(float(out) - ref) <= 1e-4 * max(1.0, abs(ref)), (float(out), ref)
    elif name == "conv_step":
        ws, x, y = conv_init()
        ref = float(np_conv_step(ws, x, y))
        assert abs(float(out) - ref) <= 1e-4 * max(1.0, abs(ref)), (float(out), ref)
    elif name == "lstm_step":
        ref = float(np_lstm_step(*lstm_init()))
        assert abs(float(out) - ref) <= 1e-4 * max(1.0, abs(ref)), (float(out), ref)
    elif name in CONV_FWD:
        _, _, _, s, padding = CONV_FWD[name]
        ref = np_conv2d_ref(*conv_fwd_init(name), s, padding)
        np.testing.assert_allclose(out, ref, rtol=1e-4, atol=1e-4 * np.abs(ref).max())


def _baseline(name):
    """The numpy baseline bench.py uses for `name`, as a callable."""
    if name in ("eager_add_2x2", "eager_tape_square"):
        return numpy_add_2x2()
    if name in CHAIN_REFS:
        x = chain_input()
        return lambda: np_chain(x)
    if name == "conv_step":
        ws, x, y = conv_init()
        return lambda: np_conv_step(ws, x, y)
    if name == "lstm_step":
        k, rk, bias, x, y = lstm_init()
        return lambda: np_lstm_step(k, rk, bias, x, y)
    if name in CONV_FWD:
        x, w = conv_fwd_init(name)
        _, _, _, s, padding = CONV_FWD[name]
        return lambda: np_conv2d_ref(x, w, s, padding)
    ws, bs, x, y = mlp_init()
    return lambda: np_mlp_step(ws, bs, x, y)


def child(peer, names, cfg):
    _pin_threads()
    import warnings
    warnings.filterwarnings("ignore")
    t0 = time.perf_counter()
    if peer in ("torch", "torch.compile"):
        builders = _torch_builders(compiled=peer == "torch.compile")
        import torch
        version = torch.__version__
    elif peer == "jax":
        builders = _jax_builders()
        import jax
        version = jax.__version__
    elif peer == "tf":
        builders = _tf_builders()
        import tensorflow
        version = tensorflow.__version__
    else:
        raise SystemExit(f"unknown peer {peer}")
    print(_TAG + json.dumps({"version": version, "import_s": time.perf_counter() - t0}),
          flush=True)
    for name in names:
        if name not in builders:         # e.g. the eager rows for torch.compile
            continue
        res = {"workload": name}
        try:
            fn, to_np = builders[name]()
            t1 = time.perf_counter()
            out = fn()                   # traces / compiles
            res["first_s"] = time.perf_counter() - t1
            _check(name, to_np(out))
            res["seconds"], res["baseline_seconds"], res["ratio"] = measure_pair(
                fn, _baseline(name), cfg)
        except Exception as e:          # a peer failing one workload must not hide the others
            res["error"] = f"{type(e).__name__}: {str(e).splitlines()[0][:160] if str(e) else ''}"
        print(_TAG + json.dumps(res), flush=True)


# ------------------------------------------------------------------------ parent
def available_peers(wanted=None):
    """(runnable columns, one-line notes for the skipped ones). Does not import the peers."""
    run, notes = [], []
    for col, (mod, _) in PEERS.items():
        if wanted and col not in wanted:
            continue
        if importlib.util.find_spec(mod) is None:
            notes.append(f"{col}: skipped ({mod} is not installed)")
        else:
            run.append(col)
    return run, notes


def run_peer(peer, names, cfg):
    """Run one peer's subprocess; returns (meta, {workload: result}). Survives timeouts/crashes."""
    budget = PEERS[peer][1]
    cmd = [sys.executable, os.path.abspath(__file__), "--child", peer,
           "--repeats", str(cfg.repeats), "--min-time", str(cfg.min_time)]
    for n in names:
        cmd += ["--only", n]
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(THREADS)
    # graphflow's numba backend uses the non-spinning 'workqueue' layer; the fair equivalent for
    # torch's/TF's OpenMP pools on a shared 2-core machine is not to spin either (spinning
    # OpenMP threads measured 3-5x slower here when another process held a core).
    env.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    note = None
    try:
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=budget)
        out = proc.stdout
        if proc.returncode != 0:
            err = (proc.stderr.strip().splitlines() or ["?"])[-1]
            note = f"exited with {proc.returncode}: {err[:160]}"
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
        note = f"stopped after its {budget} s budget"
    meta, results = {}, {}
    for line in out.splitlines():
        if line.startswith(_TAG):
            d = json.loads(line[len(_TAG):])
            if "workload" in d:
                results[d["workload"]] = d
            else:
                meta = d
    if note:
        meta["note"] = note
    return meta, results


def run_peers(names=None, cfg=None, wanted=None, log=print):
    """Run every importable peer on `names`; returns {column: (meta, results)} and prints notes."""
    names = [n for n in (names or PEER_WORKLOADS) if n in PEER_WORKLOADS]
    cfg = cfg or Config()
    if not names:
        log("peers: none of the selected workloads has a peer version")
        return {}
    cols, notes = available_peers(wanted)
    for n in notes:
        log(n)
    out = {}
    for col in cols:
        t0 = time.perf_counter()
        meta, res = run_peer(col, names, cfg)
        out[col] = (meta, res)
        extra = f"; {meta['note']}" if meta.get("note") else ""
        log(f"{col} {meta.get('version', '?')}: ran in {time.perf_counter() - t0:.0f} s{extra}")
    return out


def _cells(peer_results, gf, names, cols):
    """{(workload, column): (ratio text, time text)}; plus error lines."""
    cells, errors = {}, []
    for n in names:
        for c in cols:
            r = gf.get(n) if c == "graphflow" else peer_results[c][1].get(n)
            if r is None:
                cells[n, c] = ("-", "-")
            elif "error" in r:
                cells[n, c] = ("error", "-")
                errors.append(f"{c} {n}: {r['error']}")
            elif c == "graphflow":
                cells[n, c] = (f"{r['ratio']:.2f}",
                               f"{_us(r['graphflow_us'])} [{_us(r['baseline_us'])}]")
            else:
                cells[n, c] = (f"{r['ratio']:.2f}", f"{_us(r['seconds'] * 1e6)} "
                               f"[{_us(r['baseline_seconds'] * 1e6)}]")
    return cells, errors


def _us(x):
    return f"{x:.3g} µs" if x < 1000 else f"{x / 1000:.3g} ms"


def print_table(peer_results, graphflow_rows=None, names=None):
    """One table: workload x framework ratios against each process's own numpy baseline."""
    gf = {r["workload"]: r for r in (graphflow_rows or []) if r.get("ratio") is not None}
    names = [n for n in (names or PEER_WORKLOADS) if n in PEER_WORKLOADS]
    cols = (["graphflow"] if gf else []) + list(peer_results)
    if not names or not cols:
        return
    cells, errors = _cells(peer_results, gf, names, cols)
    vers = {c: m.get("version", "") for c, (m, _) in peer_results.items()}
    for k, title in ((0, "ratio to the numpy baseline timed in the same process (lower is "
                          "faster; numpy's 2x2 add for the two eager rows)"),
                     (1, "time per op [that process's numpy baseline]")):
        width = {c: max(len(c), *(len(cells[n, c][k]) for n in names)) + 2 for c in cols}
        print()
        print(title)
        nw = max(20, *(len(n) + 1 for n in names))
        head = f"{'workload':<{nw}}" + "".join(f"{c:>{width[c]}}" for c in cols)
        print(head)
        print("-" * len(head))
        for n in names:
            print(f"{n:<{nw}}" + "".join(f"{cells[n, c][k]:>{width[c]}}" for c in cols))
    if vers:
        print("versions: " + ", ".join(f"{c} {v}" for c, v in vers.items()))
    for e in errors:
        print("  " + e)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="3 repeats of shorter timing runs")
    p.add_argument("--only", action="append", metavar="NAME", choices=PEER_WORKLOADS)
    p.add_argument("--peer", action="append", choices=list(PEERS), help="run only this peer")
    p.add_argument("--repeats", type=int, default=None)
    p.add_argument("--min-time", type=float, default=None)
    p.add_argument("--json", metavar="PATH", help="also write the results as JSON here")
    p.add_argument("--child", choices=list(PEERS), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    cfg = Config(repeats=args.repeats or (3 if args.quick else 7),
                 min_time=args.min_time or (0.05 if args.quick else 0.2))
    names = args.only or list(PEER_WORKLOADS)
    if args.child:
        child(args.child, names, cfg)
        return 0
    res = run_peers(names, cfg, args.peer)
    print_table(res, names=names)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({c: {"meta": m, "results": r} for c, (m, r) in res.items()}, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
