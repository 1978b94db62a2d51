"""The jit_compile=False executor chooses BLAS threads per plan as the numba plans do: a plan
with library products times its calls (both modes probed, then trials), one without has no
chooser; values do not depend on the mode."""
import numpy as np

import graphflow as tf
from graphflow.backends.numba.blas_choice import BlasChoice
from graphflow.blas_threads import SINGLE_BLAS


def _plan(f, *args):
    return f.get_concrete_function(*args)._executor


def test_plan_with_products_probes_both_modes_and_keeps_values():
    f = tf.function(lambda a, b: tf.nn.relu(a @ b), jit_compile=False)
    rs = np.random.RandomState(0)
    a, b = rs.randn(96, 64).astype("f4"), rs.randn(64, 80).astype("f4")
    want = np.maximum(a @ b, 0)
    plan = _plan(f, a, b)
    plan.choice = BlasChoice(busy=lambda: False)      # as on an idle machine
    for _ in range(4):
        np.testing.assert_allclose(f(a, b).numpy(), want, rtol=1e-5, atol=1e-5)
    assert plan.choice.calls == 4 and plan.choice.phase == 2   # probed: all cores, then one
    assert plan.choice.times[True] and plan.choice.times[False]
    assert "threads:" in f.kernel_plan(a, b)


def test_busy_machine_runs_on_one_blas_thread():
    depth = []

    def probe(x):
        depth.append(SINGLE_BLAS.depth)
        return x

    f = tf.function(lambda a: tf.numpy_function(probe, [a @ a], tf.float32), jit_compile=False)
    x = np.eye(8, dtype="f4")
    plan = _plan(f, x)
    plan.choice = BlasChoice(busy=lambda: True)       # no idle core: never all cores
    del depth[:]
    for _ in range(3):
        f(x)
    assert depth == [1, 1, 1]


def test_plan_without_products_has_no_chooser():
    f = tf.function(lambda a: tf.exp(a) + 1., jit_compile=False)
    assert _plan(f, np.ones(3, "f4")).choice is None


def test_eager_products_use_one_blas_thread_while_no_core_is_idle(monkeypatch):
    from graphflow import dispatch
    from graphflow.ops.registry import OPS
    depth, impl = [], OPS["matmul"].impl

    def probe(*a, **k):
        depth.append(SINGLE_BLAS.depth)
        return impl(*a, **k)
    monkeypatch.setattr(OPS["matmul"], "impl", probe)
    x = tf.constant(np.eye(3, dtype="f4"))
    for busy in (True, False):
        monkeypatch.setattr(dispatch, "busy_now", lambda b=busy: b)
        np.testing.assert_array_equal(tf.matmul(x, x).numpy(), np.eye(3))
    assert depth == [1, 0]
