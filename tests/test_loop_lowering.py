"""A while_loop as one compiled numba function (graphflow/backends/numba/loop.py): the same
values as the loop run step by step (the same kernels; gemms on scipy's BLAS), as the numpy
executor and as the eager loop; gradients through it (the forward loop's recorded histories and
saved products come out of the compiled loop too), unknown trip counts (growing buffers), and
the loops it leaves step by step say why.

The compiled loops compile in the caller here (`sync_compile`); the shapes are small and shared
so the numba disk cache serves reruns."""
import re

import numpy as np
import pytest

import graphflow as tf
from graphflow import control_ops
from graphflow.backends.numba import cache, loop as loop_lowering
from graphflow.keras import recurrent as rnn
from test_recurrent import loss_and_gradients


@pytest.fixture
def sync_compile():
    old = cache.SETTINGS.sync_compile
    cache.SETTINGS.sync_compile = True
    yield
    cache.SETTINGS.sync_compile = old


def _loops(f, *args):
    """The numba copies of the while_loop Subgraphs of f's graph for `args`."""
    from graphflow.backends.numba.plan import NumbaPlan
    sgs = {id(d["attrs"]["loop"]): d["attrs"]["loop"] for _, d in
           f.get_concrete_function(*args).graph.nodes(data=True) if d["op"] == "while_loop"}
    return [sg.with_backend(NumbaPlan) for sg in sgs.values()]


def _run_all(make, args, step_by_step=False):
    """make() -> a fresh traced function; its results on the numba backend (step by step or as
    compiled loops), after a first call that builds the plans and compiles the loops."""
    old = loop_lowering.ENABLED
    loop_lowering.ENABLED = not step_by_step
    try:
        f = make(None)
        f(*args)
        out = [t.numpy() for t in f(*args)]
    finally:
        loop_lowering.ENABLED = old
    return f, out


# LSTM's loops whole here; GRU's (go_backwards) are compiled by the same emitter, per half of
# the rows, in test_loop_split (against the step-by-step loops and numpy too): compiling GRU's
# forward and reverse loops whole as well cost a cold run ~15 s of CPU for no other code path
@pytest.mark.parametrize("cls", [rnn.LSTM], ids=["lstm"])
def test_rnn_gradient_step_as_compiled_loops_matches_step_by_step_and_numpy(cls, sync_compile):
    rng = np.random.default_rng(11)
    x = tf.constant(rng.normal(size=(3, 7, 2)).astype(np.float32))
    layer = cls(5, return_sequences=True, return_state=True)
    layer(x)
    layer.set_weights([(rng.normal(size=w.shape) * 0.5).astype(np.float32)
                       for w in layer.get_weights()])
    run = loss_and_gradients(layer, tf.constant(rng.normal(size=(3, 7, 5)).astype(np.float32)))

    def make(jit):
        return tf.function(run, jit_compile=jit)

    f, got = _run_all(make, (x,))
    sgs = _loops(f, x)
    assert len(sgs) == 2   # the time loop and its reverse loop
    for sg in sgs:
        assert sg.loop_lowering.startswith("one compiled loop"), sg.loop_lowering
        assert sum(d.runs for d in sg._drivers.values() if d is not None) >= 1
    if cls is rnn.LSTM:   # the generated loops: the kernels' sources inlined, one time loop
        srcs = [d.source for sg in sgs for d in sg._drivers.values() if d is not None]
        fwd = [s for s in srcs if "S0[k]" in s][0]   # the forward loop saves its products,
        # computed by BLAS straight into their rows
        assert re.search(r"(b\d+) = S0\[k\]\n +np\.dot\([^\n]*, \1\)", fwd)
        assert "def kernel_0(" in fwd and "while True:" in fwd and "H0[k] = v0" in fwd
        report = f.get_concrete_function(x)._executor.report()   # the kernel plan says so too
        assert "loop:    one compiled loop" in report
    _, steps = _run_all(make, (x,), step_by_step=True)
    for a, b in zip(got, steps):   # the same kernels; numba's gemm is scipy's BLAS
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    ref = tf.function(run, jit_compile=False)(x)   # the numpy executor
    eager = run(x)
    for a, b, c in zip(got, ref, eager):
        np.testing.assert_allclose(a, b.numpy(), rtol=2e-5, atol=2e-6)
        np.testing.assert_allclose(a, c.numpy(), rtol=2e-5, atol=2e-6)


def test_loop_of_unknown_trip_count_grows_its_histories(sync_compile):
    """A tf.while_loop whose trip count is a tensor: the compiled loop's history and saved
    buffers start small and grow (0, 1, 5 and 40 trips); values, gradients and the second
    derivative equal the step-by-step loop's and the numpy executor's."""
    rng = np.random.default_rng(5)
    x0, w0, v = rng.normal(size=(2, 3)), rng.normal(size=(3, 3)) * 0.6, rng.normal(size=(2, 3))

    def run(x, w, n):
        with tf.GradientTape() as outer:
            outer.watch(x)
            with tf.GradientTape() as t:
                t.watch([x, w])
                _, y = tf.while_loop(lambda i, y: i < n,
                                     lambda i, y: (i + 1, tf.tanh(y @ w) + 0.5 * y),
                                     (tf.constant(0), x))
                val = tf.reduce_sum(y * y)
            gx, gw = t.gradient(val, [x, w])
            gv = tf.reduce_sum(gx * v)
        return val, gx, gw, outer.gradient(gv, x)

    ref = tf.function(run, jit_compile=False)
    for trips in (0, 1, 5, 40):
        args = (tf.constant(x0), tf.constant(w0), tf.constant(trips))
        f, got = _run_all(lambda jit: tf.function(run), args)
        _, steps = _run_all(lambda jit: tf.function(run), args, step_by_step=True)
        for a, b, c in zip(got, steps, ref(*args)):
            np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-14)
            np.testing.assert_allclose(a, c.numpy(), rtol=1e-12, atol=1e-12)
    compiled = [sg for sg in _loops(f, *args) if sg.loop_lowering.startswith("one compiled loop")]
    assert len(compiled) >= 2   # the forward loop and its reverse loop at least


def test_loop_not_lowered_says_why_and_runs_step_by_step(sync_compile):
    """A body with an op the loop lowering has no code for (sort's argsort) runs step by step,
    with the reason; the result is the same."""
    def run(x):
        return tf.while_loop(lambda i, y: i < 3, lambda i, y: (i + 1, tf.sort(y) * 0.5),
                             (tf.constant(0), x))[1]

    x = tf.constant([3., 1., 2.])
    f = tf.function(run)
    f(x)
    np.testing.assert_allclose(f(x).numpy(), run(x).numpy())
    (sg,) = _loops(f, x)
    assert "argsort" in sg.loop_lowering and "no numba lowering" in sg.loop_lowering


def test_loop_with_infinite_and_nan_constants(sync_compile):
    """Constants baked into the compiled loop's source (inf, -inf, nan) keep their values."""
    def run(x):
        return tf.while_loop(
            lambda i, y: i < 4,
            lambda i, y: (i + 1, tf.minimum(tf.maximum(y * 2., -np.inf), np.inf)
                          + tf.where(y > 1e30, np.nan, 0.) + tf.where(y < -50., -np.inf, 0.)),
            (tf.constant(0), x))[1]

    x = tf.constant([1., -3.5, 1e30, -40.], dtype=tf.float32)
    f = tf.function(run)
    f(x)
    (sg,) = _loops(f, x)
    assert sg.loop_lowering.startswith("one compiled loop"), sg.loop_lowering
    got = f(x).numpy()
    assert sum(d.runs for d in sg._drivers.values() if d is not None) >= 1
    np.testing.assert_array_equal(got, run(x).numpy())
    assert np.isnan(got[2]) and got[3] == -np.inf and got[1] == -56.
