"""The per-call path of a traced function: a repeated call with plain Tensors skips binding and
keying (`function._fast_key`) and still runs the trace its arguments select."""
import numpy as np
import pytest

import graphflow as tf
from graphflow.function import _fast_key


@pytest.mark.filterwarnings("ignore:.*has been traced")
def test_repeated_tensor_calls_take_the_fast_path_and_keep_tracing_rules():
    @tf.function(jit_compile=False)
    def f(x, y):
        return x * 2.0 + y

    a = tf.constant(np.arange(6, dtype=np.float32).reshape(2, 3))
    b = tf.ones((2, 3))
    assert _fast_key((a, b)) == ((np.dtype(np.float32), (2, 3)),) * 2
    for _ in range(3):
        np.testing.assert_array_equal(f(a, b).numpy(), a.numpy() * 2 + 1)
    assert f.experimental_get_tracing_count() == 1 and len(f._fast) == 1
    c = tf.constant(np.arange(4, dtype=np.float32))          # another shape: a new trace
    np.testing.assert_array_equal(f(c, c).numpy(), np.arange(4) * 3)
    d = tf.constant(np.arange(6, dtype=np.float64).reshape(2, 3))   # another dtype too
    np.testing.assert_array_equal(f(d, d).numpy(), d.numpy() * 3)
    assert f.experimental_get_tracing_count() == 3
    # values change between calls with the same signature
    np.testing.assert_array_equal(f(b, a).numpy(), 2 + a.numpy())
    # keywords, Python values and numpy arrays take the full path (and are keyed by it)
    np.testing.assert_array_equal(f(x=a, y=b).numpy(), a.numpy() * 2 + 1)
    np.testing.assert_array_equal(f(a, 1.0).numpy(), a.numpy() * 2 + 1)
    np.testing.assert_array_equal(f(a, 2.0).numpy(), a.numpy() * 2 + 2)
    assert f.experimental_get_tracing_count() == 5
    assert _fast_key((a, 1.0)) is None and _fast_key((a, a.numpy())) is None
    assert _fast_key((tf.Variable([1.0]),)) is None


def test_the_fast_path_respects_an_outer_tape_and_relaxed_traces():
    @tf.function(reduce_retracing=True, jit_compile=False)
    def g(x):
        return tf.reduce_sum(x * x)

    for n in (2, 3, 4, 3, 2):
        x = tf.constant(np.arange(n, dtype=np.float32))
        assert float(g(x)) == float((np.arange(n) ** 2).sum())
    assert g.experimental_get_tracing_count() == 2      # 2, then one relaxed trace for the rest
    x = tf.constant([1.0, 2.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = g(x)
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), [2.0, 4.0])


def test_eager_binary_operators_on_variables_under_tapes_record_as_bind_does():
    """`v * v`, `v + x`, `x - v` on Variables and Tensors under tapes take dispatch's operator
    fast path (no conversion, no rule lookup): first and second derivatives, forward-mode
    tangents and broadcasting stay those of the general path."""
    v = tf.Variable(3.0)
    w = tf.Variable(np.array([1.0, 2.0], np.float32))
    x = tf.constant(np.array([[0.5, -1.0], [2.0, 4.0]], np.float32))
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            y = v * v * v              # d/dv = 3v^2 = 27, d2/dv2 = 6v = 18
        g = inner.gradient(y, v)
    assert float(y) == 27.0 and float(g) == 27.0
    assert float(outer.gradient(g, v)) == 18.0
    with tf.GradientTape(persistent=True) as t:
        z = tf.reduce_sum((w + x) * (x - w))   # = sum(x^2 - w^2): d/dw = -2w per row, summed
    np.testing.assert_allclose(t.gradient(z, w).numpy(), [-4.0, -8.0])
    np.testing.assert_allclose(t.gradient(z, x).numpy(), 2 * x.numpy())
    assert [r.op.name for r in t._records[:3]] == ["read_variable", "add", "read_variable"]
    with tf.autodiff.ForwardAccumulator(v, tf.constant(1.0)) as acc:
        y = v * v - v
    assert float(acc.jvp(y)) == 5.0               # 2v - 1
    with pytest.raises(tf.errors.InvalidArgumentError, match="multiply"):
        with tf.GradientTape():
            w * tf.ones((3,))                     # shapes that do not broadcast: bind's error
