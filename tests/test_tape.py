"""GradientTape: persistence, nesting (higher order), watching rules, stop_recording, reset,
structured sources, output_gradients, unconnected gradients, jacobians, and explanations of
None gradients."""
import warnings

import numpy as np
import pytest

import graphflow as tf


def test_non_persistent_tape_allows_one_gradient_call():
    x = tf.Variable(3.)
    with tf.GradientTape() as tape:
        y = x * x
    assert float(tape.gradient(y, x)) == 6.
    with pytest.raises(RuntimeError, match="persistent"):
        tape.gradient(y, x)


def test_persistent_tape_allows_many_calls():
    x = tf.Variable(3.)
    with tf.GradientTape(persistent=True) as tape:
        y = x * x
        z = y * x
    assert float(tape.gradient(y, x)) == 6.
    assert float(tape.gradient(z, x)) == 27.
    assert float(tape.gradient(z, x)) == 27.
    np.testing.assert_allclose(tape.jacobian(z, x).numpy(), 27.)


def test_gradient_inside_the_with_block():
    x = tf.Variable(2.)
    with tf.GradientTape(persistent=True) as tape:
        y = x * x
        g = tape.gradient(y, x)
        z = y * 3.
    assert float(g) == 4.
    assert float(tape.gradient(z, x)) == 12.


def test_nested_tapes_second_and_third_order():
    x = tf.Variable(2.)
    with tf.GradientTape() as t3:
        with tf.GradientTape() as t2:
            with tf.GradientTape() as t1:
                y = x ** 3
            d1 = t1.gradient(y, x)
        d2 = t2.gradient(d1, x)
    d3 = t3.gradient(d2, x)
    assert float(d1) == 12. and float(d2) == 12. and float(d3) == 6.


def test_nested_tapes_vector_hessian_vector_product():
    x = tf.constant([1., 2., 3.], tf.float64)
    v = tf.constant([1., 0., -1.], tf.float64)
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = tf.reduce_sum(x * x * x) + x[0] * x[1]
        g = inner.gradient(y, x)
        gv = tf.reduce_sum(g * v)
    hv = outer.gradient(gv, x)
    H = np.diag(6 * x.numpy()) + np.array([[0, 1, 0], [1, 0, 0], [0, 0, 0]])
    np.testing.assert_allclose(hv.numpy(), H @ v.numpy())


def test_watch_constants_and_unwatched_constants():
    c = tf.constant([1., 2.])
    with tf.GradientTape() as tape:
        tape.watch(c)
        y = tf.reduce_sum(c * c)
    np.testing.assert_array_equal(tape.gradient(y, c).numpy(), [2., 4.])
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(c * c)
    assert tape.gradient(y, c) is None
    with tf.GradientTape() as tape:
        with pytest.raises(TypeError):
            tape.watch(3.0)


def test_watch_nested_structure():
    a, b = tf.constant(1.), tf.constant(2.)
    with tf.GradientTape() as tape:
        tape.watch({"a": a, "rest": [b]})
        y = a * b
    ga, gb = tape.gradient(y, [a, b])
    assert float(ga) == 2. and float(gb) == 1.


def test_watch_accessed_variables_false():
    x = tf.Variable(2.)
    w = tf.Variable(5.)
    with tf.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(w)
        y = x * w
    gx, gw = tape.gradient(y, [x, w])
    assert gx is None and float(gw) == 2.
    assert tape.watched_variables() == (w,)


def test_non_trainable_variables_are_not_watched():
    x = tf.Variable(2., trainable=False)
    w = tf.Variable(3.)
    with tf.GradientTape(persistent=True) as tape:
        y = x * w
    assert tape.gradient(y, x) is None and float(tape.gradient(y, w)) == 2.
    assert tape.watched_variables() == (w,)
    assert "non-trainable" in tape.explain(y, x)


def test_watched_variables_in_access_order():
    a, b, c = tf.Variable(1.), tf.Variable(2.), tf.Variable(3.)
    with tf.GradientTape() as tape:
        y = c * a + c
    assert tape.watched_variables() == (c, a)
    _ = b


def test_stop_recording():
    x = tf.Variable(2.)
    with tf.GradientTape() as tape:
        y = x * x
        with tape.stop_recording():
            z = x * x * x
        total = y + z
    assert float(tape.gradient(total, x)) == 4.   # z is a constant to the tape


def test_stop_recording_keeps_outer_tapes_recording():
    x = tf.Variable(2.)
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            with inner.stop_recording():
                y = x * x
    assert inner.gradient(y, x) is None
    assert float(outer.gradient(y, x)) == 4.


def test_reset():
    x = tf.Variable(2.)
    with tf.GradientTape() as tape:
        y = x * x * 100.
        tape.reset()
        z = x * x * x
    assert float(tape.gradient(z, x)) == 12.
    c = tf.constant(1.)
    with tf.GradientTape() as tape:
        tape.watch(c)
        tape.reset()          # also forgets what was watched
        y = c * 2.
    assert tape.gradient(y, c) is None


def test_gradient_structures():
    a, b = tf.Variable(1.), tf.Variable(2.)
    with tf.GradientTape() as tape:
        y = a * b
    g = tape.gradient(y, {"a": a, "b": [b, (a,)]})
    assert set(g) == {"a", "b"}
    assert float(g["a"]) == 2. and float(g["b"][0]) == 1.
    assert isinstance(g["b"][1], tuple) and float(g["b"][1][0]) == 2.
    with tf.GradientTape() as tape:
        y = a * b
    ga, gb = tape.gradient(y, (a, b))
    assert float(ga) == 2. and float(gb) == 1.


def test_multiple_targets_are_summed():
    x = tf.Variable(3.)
    with tf.GradientTape() as tape:
        y1, y2 = x * x, x * 2.
    assert float(tape.gradient([y1, y2], x)) == 8.
    with tf.GradientTape() as tape:
        y = {"p": x * x, "q": [x]}
    assert float(tape.gradient(y, x)) == 7.


def test_target_is_source():
    c = tf.constant([1., 2.])
    with tf.GradientTape() as tape:
        tape.watch(c)
    np.testing.assert_array_equal(tape.gradient(c, c).numpy(), [1., 1.])


def test_output_gradients():
    c = tf.constant([1., 2.])
    with tf.GradientTape() as tape:
        tape.watch(c)
        y = c * c
    g = tape.gradient(y, c, output_gradients=tf.constant([10., 100.]))
    np.testing.assert_array_equal(g.numpy(), [20., 400.])
    with tf.GradientTape() as tape:
        tape.watch(c)
        y1, y2 = c * 3., tf.reduce_sum(c)
    g = tape.gradient([y1, y2], c, output_gradients=[tf.constant([1., 2.]), 10.])
    np.testing.assert_array_equal(g.numpy(), [13., 16.])
    with tf.GradientTape() as tape:
        tape.watch(c)
        y = c * c
    with pytest.raises(ValueError, match=r"output_gradients.*\(3,\).*\(2,\)|\(2,\).*\(3,\)"):
        tape.gradient(y, c, output_gradients=tf.ones(3))


def test_unconnected_gradients():
    x, w = tf.Variable([1., 2.]), tf.Variable(3.)
    with tf.GradientTape(persistent=True) as tape:
        y = tf.reduce_sum(x * 2.)
    assert tape.gradient(y, w) is None
    assert tape.gradient(y, w, unconnected_gradients="none") is None
    z = tape.gradient(y, [x, w], unconnected_gradients="zero")
    np.testing.assert_array_equal(z[0].numpy(), [2., 2.])
    assert z[1].dtype == tf.float32 and z[1].shape == () and float(z[1]) == 0.
    with pytest.raises(ValueError):
        tape.gradient(y, w, unconnected_gradients="bogus")


def test_non_scalar_target_gives_gradient_of_sum():
    x = tf.constant([[1., 2.], [3., 4.]])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * x
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), 2 * x.numpy())


def test_jacobian_matches_numpy():
    xv = np.array([1., 2., 3.])
    A = np.array([[1., 2., 0.], [0., -1., 4.]])
    x = tf.constant(xv)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = tf.matmul(tf.constant(A), tf.reshape(x * x, (3, 1)))   # (2, 1)
    j = tape.jacobian(y, x)
    assert j.shape == (2, 1, 3)
    np.testing.assert_allclose(j.numpy(), (A * 2 * xv)[:, None, :])
    # w.r.t. several sources and a 2-D source
    W = tf.constant(np.arange(6.).reshape(2, 3))
    with tf.GradientTape(persistent=True) as tape:
        tape.watch([W, x])
        y = tf.linalg.matvec(W, x) if hasattr(tf.linalg, "matvec") else \
            tf.reshape(tf.matmul(W, tf.reshape(x, (3, 1))), (2,))
    jW, jx = tape.jacobian(y, [W, x])
    assert jW.shape == (2, 2, 3) and jx.shape == (2, 3)
    expected_jW = np.zeros((2, 2, 3))
    expected_jW[0, 0], expected_jW[1, 1] = xv, xv
    np.testing.assert_allclose(jW.numpy(), expected_jW)
    np.testing.assert_allclose(jx.numpy(), W.numpy())


def test_jacobian_of_scalar_and_unconnected():
    x = tf.Variable([1., 2.])
    w = tf.Variable(1.)
    with tf.GradientTape(persistent=True) as tape:
        y = tf.reduce_sum(x ** 2)
    np.testing.assert_allclose(tape.jacobian(y, x).numpy(), [2., 4.])
    assert tape.jacobian(y, w) is None
    assert float(tape.jacobian(y, w, unconnected_gradients="zero")) == 0.


def test_batch_jacobian_matches_numpy():
    xv = np.arange(6.).reshape(3, 2)
    x = tf.constant(xv)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.concat([x * x, tf.reduce_sum(x, axis=1, keepdims=True)], axis=1)  # (3, 3)
    j = tape.batch_jacobian(y, x)
    assert j.shape == (3, 3, 2)
    expected = np.stack([np.vstack([np.diag(2 * xv[b]), np.ones((1, 2))]) for b in range(3)])
    np.testing.assert_allclose(j.numpy(), expected)


def test_jacobian_is_differentiable():
    x = tf.constant([1., 2.], tf.float64)
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = x * x * x
        j = inner.jacobian(y, x)          # diag(3 x^2)
        s = tf.reduce_sum(j)
    np.testing.assert_allclose(outer.gradient(s, x).numpy(), 6 * x.numpy())


def test_gradient_of_int_source_or_target_is_none_as_tf():
    # TF 2.21 (checked): watching an int tensor warns; int sources get None, int targets
    # contribute nothing
    i = tf.constant([1, 2])
    v, x = tf.Variable(2), tf.Variable(2.0)
    with tf.GradientTape(persistent=True) as tape:
        with pytest.warns(UserWarning, match="must be floating.*int32"):
            tape.watch(i)
        y = tf.cast(i, tf.float32) * 2.
        z, w = v * v, x * x
        k = tf.cast(x, tf.int32)
    assert tape.gradient(y, i) is None
    assert tape.gradient(z, v) is None
    gv, gx = tape.gradient(w, [v, x])
    assert gv is None and gx.numpy() == 4.0
    assert tape.gradient(k, x) is None
    assert tape.gradient([w, k], x).numpy() == 4.0


def test_tape_does_not_record_when_inactive():
    x = tf.Variable(2.)
    with tf.GradientTape() as tape:
        pass
    y = x * x
    assert tape.gradient(y, x) is None


# ------------------------------------------------------------------ explaining None gradients
def _explained(build):
    c = tf.constant([1., 2., 3.])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(c)
        y = build(c)
    assert tape.gradient(y, c) is None
    return tape, y, c


def test_explain_connected_is_none():
    c = tf.constant([1., 2.])
    with tf.GradientTape() as tape:
        tape.watch(c)
        z = c * 2.
    assert tape.explain(z, c) is None
    assert tape.explain(z, [c, c]) == [None, None]


def test_explain_unwatched_source():
    x = tf.constant(1.)
    with tf.GradientTape() as tape:
        y = x * 2.
    reason = tape.explain(y, x)
    assert "not watched" in reason and "watch" in reason


def test_explain_argmax():
    tape, y, c = _explained(lambda c: tf.cast(tf.argmax(c), tf.float32) * 2.)
    assert "argmax" in tape.explain(y, c)


def test_explain_integer_cast():
    tape, y, c = _explained(lambda c: tf.cast(tf.cast(c, tf.int32), tf.float32))
    reason = tape.explain(y, c)
    assert "cast" in reason and "int32" in reason


def test_explain_stop_gradient():
    tape, y, c = _explained(lambda c: tf.stop_gradient(c) * 2.)
    assert "stop_gradient" in tape.explain(y, c)


def test_explain_numpy_escape():
    tape, y, c = _explained(lambda c: tf.constant((c * c).numpy()) * 2.)
    assert ".numpy()" in tape.explain(y, c)


def test_explain_structures_and_warning():
    c = tf.constant([1., 2.])
    d = tf.constant(3.)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch([c, d])
        y = tf.reduce_sum(c) + tf.stop_gradient(d)
        y2 = tf.reduce_sum(c * c)
    reasons = tape.explain(y, {"c": c, "d": d})
    assert reasons["c"] is None and "stop_gradient" in reasons["d"]
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        gc, gd = tape.gradient(y, [c, d], explain=True)
    assert gd is None and gc is not None
    msgs = [str(m.message) for m in w]
    assert len(msgs) == 1 and "stop_gradient" in msgs[0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # connected gradients do not warn
        tape.gradient(y2, c, explain=True)


@pytest.mark.parametrize("build", [
    lambda c, v: tf.constant(np.asarray(c * c)) * 2.,
    lambda c, v: tf.constant(float(c[0])) * 2.,
    lambda c, v: tf.constant([x.numpy() for x in c]),
], ids=["asarray", "float", "numpy-per-element"])
def test_explain_other_escapes(build):
    c = tf.constant([1., 2., 3.])
    with tf.GradientTape() as tape:
        tape.watch(c)
        y = build(c, None)
    assert ".numpy()" in tape.explain(y, c)


def test_explain_variable_escapes_and_unused_variable():
    v, unused = tf.Variable([1., 2.]), tf.Variable(0.)
    with tf.GradientTape() as tape:
        y = tf.constant(v.numpy()) * 2.
    assert ".numpy()" in tape.explain(y, v)
    reason = tape.explain(y, unused)
    assert "never read" in reason and "Variable:0" in reason
    with tf.GradientTape(watch_accessed_variables=False) as tape:
        y = v * 2.
    assert "not watched" in tape.explain(y, v)


def test_gradient_with_respect_to_intermediate_tensor():
    x = tf.Variable(3.)
    with tf.GradientTape(persistent=True) as tape:
        y = x * 2.
        z = y * y
    assert float(tape.gradient(z, y)) == 12.
    gy, gx = tape.gradient(z, [y, x])
    assert float(gy) == 12. and float(gx) == 24.


def test_watching_a_non_trainable_variable_explicitly():
    v = tf.Variable(2., trainable=False)
    with tf.GradientTape() as tape:
        tape.watch(v)
        y = v * v * v
    assert float(tape.gradient(y, v)) == 12.


def test_reads_after_assign_inside_tape():
    v = tf.Variable(2.)
    with tf.GradientTape() as tape:
        a = v * 1.
        v.assign(5.)
        b = v * 3.            # reads the new value; assign itself carries no gradient
        y = a + b
    assert float(y) == 17.
    assert float(tape.gradient(y, v)) == 4.
