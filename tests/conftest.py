"""Shared test helpers: an op recorder, a finite-difference gradient checker, and a guard that no
test leaves a tape active (a leaked tape would silently record every later test's ops)."""
import contextlib
import os

import numpy as np
import pytest

import graphflow as tf
from graphflow import state as _state

# the compiler process runs at nice 10 so a program's own steps come first (compile_worker.main);
# in the suite the host mostly *waits* for it (sync tests, wait_all, a plan's first compiled
# call), so on a machine shared with other jobs a niced compiler only stretches the run (seen:
# a cold run stalled minutes on one kernel at load 14); on an idle CI machine it changes nothing
os.environ.setdefault("GRAPHFLOW_COMPILE_NICE", "0")

# tests/data holds inputs (e.g. TF guide scripts that import tensorflow, run by the tests with
# graphflow in its place), not test modules: --doctest-modules must not import them
collect_ignore_glob = ["data/*"]


@pytest.fixture(autouse=True)
def _no_leaked_state():
    before = _state.current()
    yield
    leaked = [t for t in _state.current().tapes if t not in before.tapes]
    _state.swap(before)
    assert not leaked, f"test left {len(leaked)} tape(s) active"


class Recorder:
    """Sees every op application (`bind`) while active, via the tape protocol of `dispatch`.

    >>> with Recorder() as rec:
    ...     _ = tf.constant(1.) + 2.
    >>> [r[0].name for r in rec.records]
    ['add']
    """

    class _Everything:
        def __contains__(self, _):
            return True

        def add(self, _):
            pass

    _watched = _Everything()   # for code asking active tapes "do you watch this value?"

    def __init__(self):
        self.records = []   # (op, args, attrs, out)

    def __enter__(self):
        self._token = _state.push(tapes=_state.current().tapes + (self,))
        return self

    def __exit__(self, *exc):
        _state.pop(self._token)
        return False

    # the tape protocol used by dispatch / Tensor / Variable
    def _record(self, op, args, attrs, out):
        self.records.append((op, args, attrs, out))

    def _record_read(self, var, t):
        pass

    def _note_escape(self, t):
        pass

    def ops(self):
        return [r[0].name for r in self.records]


def as_f64(t):
    return t if t.dtype == tf.float64 else tf.cast(t, tf.float64)


def check_grad(f, xs, order=2, seed=0, eps=None, rtol=1e-6, atol=1e-8):
    """PyTensor-style verify_grad in float64.

    f(*tensors) -> tensor (or list of tensors). Projects the output(s) onto fixed random weights
    r to a scalar, then compares the directional derivative along a random direction v with a
    central difference. With order=2 it also differentiates <grad f, v> again (nested tape) and
    compares that along a second direction w with a central difference of <grad f, v>.
    Returns the list of first-order gradients (numpy arrays) for extra checks.
    """
    rng = np.random.default_rng(seed)
    xs = [np.asarray(x, np.float64) for x in xs]
    outs0 = f(*[tf.constant(x) for x in xs])
    outs0 = outs0 if isinstance(outs0, (list, tuple)) else [outs0]
    rs = [rng.uniform(0.5, 1.5, size=tuple(o.shape)) * rng.choice([-1, 1], size=tuple(o.shape))
          for o in outs0]
    vs = [rng.standard_normal(x.shape) for x in xs]
    ws = [rng.standard_normal(x.shape) for x in xs]

    def scalar(ts):
        outs = f(*ts)
        outs = outs if isinstance(outs, (list, tuple)) else [outs]
        total = tf.constant(0.0, tf.float64)
        for o, r in zip(outs, rs):
            total = total + tf.reduce_sum(as_f64(o) * tf.constant(r))
        return total

    def value(arrs):
        return float(scalar([tf.constant(a) for a in arrs]))

    def grads_at(arrs, tape_outer=None):
        ts = [tf.constant(a) for a in arrs]
        if tape_outer is not None:
            tape_outer.watch(ts)
        with tf.GradientTape() as tape:
            tape.watch(ts)
            y = scalar(ts)
        gs = tape.gradient(y, ts, unconnected_gradients="zero")
        return ts, gs

    def directional(arrs):
        _, gs = grads_at(arrs)
        return sum(float(np.sum(np.asarray(g) * v)) for g, v in zip(gs, vs))

    def close(a, n, what):
        assert abs(a - n) <= atol + rtol * max(abs(a), abs(n), 1.0), \
            f"{what}: analytic {a!r} vs numeric {n!r}"

    # ---- first order
    _, gs = grads_at(xs)
    for g, x in zip(gs, xs):
        assert g.dtype == tf.float64, f"gradient dtype {g.dtype} for a float64 source"
        assert tuple(g.shape) == x.shape, f"gradient shape {g.shape} vs source shape {x.shape}"
    e1 = eps or 1e-6
    analytic = sum(float(np.sum(np.asarray(g) * v)) for g, v in zip(gs, vs))
    numeric = (value([x + e1 * v for x, v in zip(xs, vs)])
               - value([x - e1 * v for x, v in zip(xs, vs)])) / (2 * e1)
    close(analytic, numeric, "first order")
    if order < 2:
        return [np.asarray(g) for g in gs]

    # ---- second order: d/dx <grad f(x), v> along w
    with tf.GradientTape() as outer:
        ts, g1 = grads_at(xs, outer)
        h = tf.constant(0.0, tf.float64)
        for g, v in zip(g1, vs):
            h = h + tf.reduce_sum(g * tf.constant(v))
    g2 = outer.gradient(h, ts, unconnected_gradients="zero")
    for g, x in zip(g2, xs):
        assert tuple(g.shape) == x.shape and g.dtype == tf.float64
    analytic2 = sum(float(np.sum(np.asarray(g) * w)) for g, w in zip(g2, ws))
    e2 = eps or 1e-5
    numeric2 = (directional([x + e2 * w for x, w in zip(xs, ws)])
                - directional([x - e2 * w for x, w in zip(xs, ws)])) / (2 * e2)
    close(analytic2, numeric2, "second order")
    return [np.asarray(g) for g in gs]


@pytest.fixture
def keras_seeded():
    """Seed weights and random ops (`keras.utils.set_random_seed(0)`): the Keras guide modules
    use it for every test (`pytestmark`), so each cell gives the same values every run."""
    tf.keras.utils.set_random_seed(0)


def summary_text(model):
    """What `model.summary()` prints, as one string."""
    lines = []
    model.summary(print_fn=lambda s, **kw: lines.append(s))
    return "\n".join(lines)


def summary_rows(text):
    """The body rows of a Keras-3-style summary box table, as lists of cell texts (a cell
    wrapped over several lines joined with spaces): `[["dense (Dense)", "(None, 2)", "8"]]`."""
    rows, cur = [], None
    for line in text.splitlines():
        if line.startswith("│"):
            cells = [c.strip() for c in line.strip("│").split("│")]
            if cur is None:
                cur = cells
                rows.append(cur)
            else:
                cur[:] = [(a + " " + b).strip() for a, b in zip(cur, cells)]
        elif line.startswith(("├", "└")):
            cur = None
    return rows


@contextlib.contextmanager
def _sync_compiling():
    from graphflow.backends.numba import SETTINGS
    old = SETTINGS.sync_compile
    SETTINGS.sync_compile = True
    try:
        yield
    finally:
        SETTINGS.sync_compile = old


@pytest.fixture
def sync_compile():
    """numba kernels compiled in the caller, so a test sees compiled kernels from its first
    call (deterministic; the background compile path has tests of its own)."""
    with _sync_compiling():
        yield


@pytest.fixture(scope="module")
def sync_compile_module():
    """`sync_compile` for a whole module (`pytestmark = pytest.mark.usefixtures(...)`)."""
    with _sync_compiling():
        yield


# ---- optional report: numba kernels compiled per test file (GRAPHFLOW_TEST_COMPILES=1)
# A cold kernel cache makes CI's run slow mostly through distinct kernels (each ~0.1-0.3 s to
# compile); this shows which files bring them. Counts `STATS['compiled']` deltas per test (a
# background compile may land in the next test of the same file: attribution is per file).
_COMPILES = {}
_KERNELS = {}     # kernel key -> (the test that first requested it, Kernel)


def _compile_count():
    import sys
    cache = sys.modules.get("graphflow.backends.numba.cache")
    return cache.STATS["compiled"] if cache is not None else 0


if os.environ.get("GRAPHFLOW_TEST_COMPILES", "") not in ("", "0"):
    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(item, nextitem):
        import time
        c0, t0 = _compile_count(), time.perf_counter()
        yield
        f = item.nodeid.split("::")[0]
        n, t, k = _COMPILES.get(f, (0, 0.0, 0))
        _COMPILES[f] = (n + _compile_count() - c0, t + time.perf_counter() - t0, k + 1)
        import sys
        cache = sys.modules.get("graphflow.backends.numba.cache")
        for key, kern in list(getattr(cache, "_kernels", {}).items()):
            if key not in _KERNELS:     # first requested by this test (compiled by now or later)
                _KERNELS[key] = (item.nodeid, kern)

    def pytest_terminal_summary(terminalreporter):
        rows = sorted(_COMPILES.items(), key=lambda kv: -kv[1][1])
        terminalreporter.write_sep("=", "numba compiles and time per test file")
        for f, (n, t, k) in rows:
            terminalreporter.write_line(f"{t:8.1f} s {n:6d} compiles {k:5d} tests  {f}")
        terminalreporter.write_line(f"total {sum(v[1] for v in _COMPILES.values()):.1f} s, "
                                    f"{sum(v[0] for v in _COMPILES.values())} compiles")
        terminalreporter.write_sep("=", "slowest kernels (compile or load seconds, first test)")
        ks = sorted(_KERNELS.values(), key=lambda v: -(v[1].compile_seconds or 0))
        for nodeid, kern in ks[:40]:
            terminalreporter.write_line(f"{kern.compile_seconds or 0:7.2f} s {kern.origin} "
                                        f"{kern.compiler} {len(kern.source):7d} chars  {nodeid}")
