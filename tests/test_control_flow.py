"""Control flow: cond, while_loop and print, eagerly and inside @function (values and gradients)."""
import os
import sys

import numpy as np
import pytest

import graphflow as tf

HERE = os.path.basename(__file__)


def fn(f):
    return tf.function(f, jit_compile=False)


def ops(cf):
    return [d["op"] for _, d in cf.graph.nodes(data=True)]


def first_line(f):
    return (f.python_function if isinstance(f, tf.Function) else f).__code__.co_firstlineno


# ------------------------------------------------------------------ cond
def test_cond_python_predicate_runs_one_branch_only():
    calls = []

    def true_fn():
        calls.append("t")
        return tf.constant(1.)

    def false_fn():
        calls.append("f")
        return tf.constant(2.)

    assert float(tf.cond(True, true_fn, false_fn)) == 1.0
    assert float(tf.cond(tf.constant(False), true_fn, false_fn)) == 2.0   # eager tensor
    assert calls == ["t", "f"]

    @fn
    def f(x, flag):
        return tf.cond(flag, lambda: tf.exp(x), lambda: tf.sin(x))

    x = tf.constant([0.5, 1.5])
    np.testing.assert_allclose(f(x, True).numpy(), np.exp(x.numpy()), rtol=1e-6)
    np.testing.assert_allclose(f(x, False).numpy(), np.sin(x.numpy()), rtol=1e-6)
    assert f.experimental_get_tracing_count() == 2
    graph_ops = ops(f.get_concrete_function(x, True))
    assert "exp" in graph_ops and "sin" not in graph_ops     # only the chosen branch is traced


def _cond_body(x):
    return tf.cond(tf.reduce_sum(x) > 0.,
                   lambda: (x * x, {"s": tf.reduce_sum(x)}),
                   lambda: (-x, {"s": tf.constant(0.)}))


def test_cond_tensor_predicate_values_both_ways_one_trace():
    f = fn(_cond_body)
    for arr in ([1., 2.], [-1., -2.], [3., -1.], [-3., 1.]):
        x = tf.constant(arr)
        (a, d), (ea, ed) = f(x), _cond_body(x)
        np.testing.assert_array_equal(a.numpy(), ea.numpy())
        assert float(d["s"]) == float(ed["s"])
    assert f.experimental_get_tracing_count() == 1
    graph_ops = ops(f.get_concrete_function(tf.constant([1., 2.])))
    assert graph_ops.count("cond") == 2 and "where" not in graph_ops   # one cond node per output


def _cond_grads(x):
    with tf.GradientTape() as t2:
        t2.watch(x)
        with tf.GradientTape() as t1:
            t1.watch(x)
            y = tf.cond(tf.reduce_max(x) > 1.,
                        lambda: tf.reduce_sum(tf.sin(x) * x ** 3),
                        lambda: tf.reduce_sum(tf.exp(0.5 * x)))
        g = t1.gradient(y, x)
        s = tf.reduce_sum(g * g)
    return y, g, t2.gradient(s, x)


@pytest.mark.parametrize("arr", [[0.3, 2.0, -1.0], [0.3, 0.5, -1.0]], ids=["true", "false"])
def test_cond_gradients_traced_equal_eager(arr):
    x = tf.constant(arr, tf.float64)
    for e, t in zip(_cond_grads(x), fn(_cond_grads)(x)):
        np.testing.assert_allclose(t.numpy(), e.numpy(), rtol=1e-12)


def test_cond_untaken_branch_nan_does_not_leak_into_gradient():
    def body(x):
        with tf.GradientTape() as t:
            t.watch(x)
            y = tf.cond(tf.reduce_min(x) > 0., lambda: tf.reduce_sum(tf.sqrt(x)),
                        lambda: tf.reduce_sum(x))
        return t.gradient(y, x)

    x = tf.constant([-1., 2.])
    np.testing.assert_array_equal(body(x).numpy(), [1., 1.])
    with np.errstate(invalid="ignore", divide="ignore"):
        np.testing.assert_array_equal(fn(body)(x).numpy(), [1., 1.])


def test_cond_errors_name_the_line():
    @fn
    def not_scalar(x):
        return tf.cond(x > 0., lambda: x, lambda: -x)

    with pytest.raises(ValueError, match="scalar") as e:
        not_scalar(tf.constant([1., 2.]))
    assert f"{HERE}:{first_line(not_scalar) + 2}" in str(e.value)

    v = tf.Variable(0.)

    @fn
    def effect(x):
        return tf.cond(tf.reduce_sum(x) > 0., lambda: v.assign(1.).read_value(), lambda: x[0])

    # side effects inside a tensor-conditioned branch run when (and only when) it is taken
    assert float(effect(tf.constant([-1., 2.]))) == 1. and float(v.numpy()) == 1.
    v.assign(0.)
    assert float(effect(tf.constant([-3., 2.]))) == -3. and float(v.numpy()) == 0.

    @fn
    def mismatch(x):
        return tf.cond(tf.reduce_sum(x) > 0., lambda: (x, x), lambda: x)

    with pytest.raises(ValueError, match="true_fn returned 2 values but false_fn returned 1"):
        mismatch(tf.constant([1., 2.]))

    # `where` would broadcast a scalar branch silently: a result eager mode never gives
    @fn
    def shapes(x):
        return tf.cond(tf.reduce_sum(x) > 0., lambda: x, lambda: tf.reduce_sum(x))

    with pytest.raises(ValueError, match=r"float32\[2\] but false_fn's is float32\[\]") as e:
        shapes(tf.constant([1., 2.]))
    assert f"{HERE}:{first_line(shapes) + 2}" in str(e.value)

    @fn
    def keys(x):
        return tf.cond(tf.reduce_sum(x) > 0., lambda: {"a": x}, lambda: {"b": x})

    with pytest.raises(ValueError, match="same structure"):
        keys(tf.constant([1., 2.]))


def test_cond_python_numbers_take_the_tensor_branch_dtype():
    @fn
    def f(x):
        return tf.cond(tf.reduce_sum(x) > 0., lambda: (x[0], 1.0), lambda: (-x[0], x[1]))

    a, b = f(tf.constant([1., 2.], tf.float64))
    assert a.dtype == b.dtype == tf.float64 and float(b) == 1.0
    a, b = f(tf.constant([-1., -2.], tf.float64))
    assert float(a) == 1.0 and float(b) == -2.0


# ------------------------------------------------------------------ while_loop
def test_while_loop_python_condition_is_unrolled():
    @fn
    def f(x):
        return tf.while_loop(lambda i, x: i < 4, lambda i, x: (i + 1, x * 2.), (0, x))

    i, y = f(tf.constant([1., 3.]))
    assert i == 4                        # a Python int stays a Python value
    np.testing.assert_array_equal(y.numpy(), [16., 48.])
    assert ops(f.get_concrete_function(tf.constant([1., 3.]))).count("multiply") == 4

    @fn
    def capped(x):
        return tf.while_loop(lambda x: True, lambda x: x + 1., x, maximum_iterations=3)

    assert float(capped(tf.constant(0.))) == 3.0     # single loop var in, single value out
    lst = tf.while_loop(lambda a, b: a < 2, lambda a, b: [a + 1, b], [0, 5])
    assert lst == [2, 5] and isinstance(lst, list)


def _loop(x, n):
    i = tf.constant(0)
    return tf.while_loop(lambda i, x: i < n, lambda i, x: (i + 1, x * 1.5 + 1.),
                         (i, x), maximum_iterations=6)


@pytest.mark.parametrize("n", [0, 1, 4, 6, 20])
def test_while_loop_tensor_condition_equals_eager(n):
    f = fn(_loop)
    x = tf.constant([1., -2.])
    (ti, tx), (ei, ex) = f(x, tf.constant(n)), _loop(x, tf.constant(n))
    assert int(ti) == int(ei) == min(n, 6)
    np.testing.assert_allclose(tx.numpy(), ex.numpy(), rtol=1e-6)
    assert f.experimental_get_tracing_count() == 1


def test_while_loop_tensor_condition_on_values():
    def body(x):
        return tf.while_loop(lambda x: tf.reduce_sum(x) < 100., lambda x: x * 2., [x],
                             maximum_iterations=20)

    for arr in ([1., 2.], [30., 40.], [200., 1.]):
        x = tf.constant(arr)
        np.testing.assert_array_equal(fn(body)(x)[0].numpy(), body(x)[0].numpy())


def test_while_loop_gradients_traced_equal_eager():
    def body(x, n):
        with tf.GradientTape() as t:
            t.watch(x)
            _, y = tf.while_loop(lambda i, y: i < n, lambda i, y: (i + 1, tf.sin(y) * x),
                                 (tf.constant(0), x), maximum_iterations=5)
            loss = tf.reduce_sum(y)
        return loss, t.gradient(loss, x)

    x = tf.constant([0.5, 1.2], tf.float64)
    f = fn(body)
    for n in (0, 2, 5, 9):
        for e, t in zip(body(x, tf.constant(n)), f(x, tf.constant(n))):
            np.testing.assert_allclose(t.numpy(), e.numpy(), rtol=1e-12)


def _grow(x):
    return tf.while_loop(lambda x: tf.reduce_sum(x) < 100., lambda x: x * 2., [x])


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_while_loop_without_maximum_iterations_is_a_loop_node(backend):
    f = tf.function(_grow, jit_compile=False if backend == "numpy" else None)
    for arr in ([1., 2.], [30., 40.], [200., 1.], [1e-3, 0.]):
        x = tf.constant(arr)
        np.testing.assert_array_equal(f(x)[0].numpy(), _grow(x)[0].numpy())   # eager: Python
    assert f.experimental_get_tracing_count() == 1
    cf = f.get_concrete_function(tf.constant([1., 2.]))
    assert ops(cf).count("while_loop") == 1 and "multiply" not in ops(cf)   # not unrolled
    for _, g in cf.stages:
        tf.verify(g)


def test_while_loop_node_several_variables_and_captures():
    def body(x, n, scale):
        i, acc, s = tf.while_loop(
            lambda i, acc, s: tf.logical_and(i < n, tf.reduce_sum(tf.abs(acc)) < 1e6),
            lambda i, acc, s: (i + 1, acc * scale + x, s + tf.reduce_sum(x)),
            (tf.constant(0), tf.zeros_like(x), tf.constant(0.)))
        return i, acc, s

    f = fn(body)
    x = tf.constant([1., -2., 0.5])
    for n in (0, 1, 7, 1000):
        for t, e in zip(f(x, tf.constant(n), tf.constant(1.5)), body(x, tf.constant(n),
                                                                      tf.constant(1.5))):
            np.testing.assert_allclose(t.numpy(), e.numpy(), rtol=1e-6)
            assert t.dtype == e.dtype
    assert f.experimental_get_tracing_count() == 1
    assert ops(f.get_concrete_function(x, tf.constant(1), tf.constant(1.5))).count(
        "while_loop") == 3   # one node per loop variable (they share the sub-graphs)


def _newton_like(x, s):
    """A loop whose trip count depends on the data (no maximum_iterations)."""
    _, y = tf.while_loop(lambda i, y: tf.reduce_sum(y * y) < 50.,
                         lambda i, y: (i + 1, tf.sin(y) * s + y * 1.5), (tf.constant(0), x))
    return tf.reduce_sum(y * y)


def _first_and_second(x, s):
    with tf.GradientTape() as t2:
        t2.watch(x)
        with tf.GradientTape() as t1:
            t1.watch([x, s])
            loss = _newton_like(x, s)
        gx, gs = t1.gradient(loss, [x, s])
        z = tf.reduce_sum(gx * tf.constant([1., 2.], tf.float64))
    return loss, gx, gs, t2.gradient(z, x)


def _fd(f, x, eps=1e-6):
    x = np.asarray(x, np.float64)
    out = []
    for i in range(x.size):
        d = np.zeros_like(x)
        d.flat[i] = eps
        out.append((f(x + d) - f(x - d)) / (2 * eps))
    out = np.array(out)   # row i: d f / d x_i
    return out.reshape(x.shape) if out.ndim == 1 else out


@pytest.mark.parametrize("backend", ["eager-op", "numpy", "numba"])
def test_while_loop_gradients_without_maximum_iterations_match_finite_differences(backend):
    x0, s0 = np.array([0.7, 1.1]), np.array([0.3, -0.2])
    s = tf.constant(s0)
    loss_np = lambda x: float(_newton_like(tf.constant(x), s))   # eager: a Python loop

    def grad_np(x):
        with tf.GradientTape() as t:
            xt = tf.constant(x)
            t.watch(xt)
            loss = _newton_like(xt, s)
        return t.gradient(loss, xt).numpy()

    if backend == "eager-op":   # the while_loop primitive run eagerly (a node, not Python)
        from graphflow import control_ops

        def run(x, s):
            with tf.GradientTape() as t:
                t.watch([x, s])
                _, y = control_ops.while_op(lambda i, y: tf.reduce_sum(y * y) < 50.,
                                            lambda i, y: (i + 1, tf.sin(y) * s + y * 1.5),
                                            [tf.constant(0), x])
                loss = tf.reduce_sum(y * y)
            return (loss,) + tuple(t.gradient(loss, [x, s]))
        loss, gx, gs = run(tf.constant(x0), s)
    else:
        f = tf.function(_first_and_second, jit_compile=False if backend == "numpy" else None)
        loss, gx, gs, hx = f(tf.constant(x0), s)
        assert ops(f.get_concrete_function(tf.constant(x0), s)).count("while_loop") >= 3
        hess = _fd(lambda x: grad_np(x) @ np.array([1., 2.]), x0, 1e-5)
        np.testing.assert_allclose(hx.numpy(), hess, rtol=1e-5)
    np.testing.assert_allclose(float(loss), loss_np(x0), rtol=1e-12)
    np.testing.assert_allclose(gx.numpy(), _fd(loss_np, x0), rtol=1e-6)
    np.testing.assert_allclose(
        gs.numpy(), _fd(lambda v: float(_newton_like(tf.constant(x0), tf.constant(v))), s0),
        rtol=1e-6)


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_while_loop_gradient_reads_saved_products_for_any_trip_count(backend):
    """A loop whose trip count is a tensor (unknown when tracing) and whose body multiplies by
    a matrix: the forward loop stacks the products for the reverse loop (loop_saved_read; no
    rows after zero trips), and first and second derivatives match finite differences."""
    rng = np.random.default_rng(5)
    x0, w0, v = rng.normal(size=(2, 3)), rng.normal(size=(3, 3)) * 0.6, rng.normal(size=(2, 3))

    def loss(x, w, n):
        _, y = tf.while_loop(lambda i, y: i < n,
                             lambda i, y: (i + 1, tf.tanh(y @ w) + 0.5 * y), (tf.constant(0), x))
        return tf.reduce_sum(y * y)

    def run(x, w, n):
        with tf.GradientTape() as outer:
            outer.watch(x)
            with tf.GradientTape() as t:
                t.watch([x, w])
                val = loss(x, w, n)
            gx, gw = t.gradient(val, [x, w])
            gv = tf.reduce_sum(gx * v)
        return val, gx, gw, outer.gradient(gv, x)

    f = tf.function(run, jit_compile=False if backend == "numpy" else None)
    for trips in (0, 1, 5):
        n = tf.constant(trips)
        val, gx, gw, hv = f(tf.constant(x0), tf.constant(w0), n)
        l_np = lambda x, w: float(loss(tf.constant(x), tf.constant(w), n))
        np.testing.assert_allclose(float(val), l_np(x0, w0), rtol=1e-12)
        np.testing.assert_allclose(gx.numpy(), _fd(lambda x: l_np(x, w0), x0), rtol=1e-6,
                                   atol=1e-9)
        np.testing.assert_allclose(gw.numpy(), _fd(lambda w: l_np(x0, w), w0), rtol=1e-6,
                                   atol=1e-9)
        g_np = lambda x: float(np.sum(run(tf.constant(x), tf.constant(w0), n)[1].numpy() * v))
        np.testing.assert_allclose(hv.numpy(), _fd(g_np, x0, 1e-5), rtol=1e-5, atol=1e-8)
    assert f.experimental_get_tracing_count() == 1
    bodies = [d["attrs"]["loop"].graphs[1] for _, d in
              f.get_concrete_function(tf.constant(x0), tf.constant(w0), n).graph.nodes(data=True)
              if d["op"] == "while_loop"]
    assert any(d["op"] == "loop_saved_read" for b in bodies for _, d in b.nx.nodes(data=True))


def test_while_loop_forward_mode_and_forward_over_reverse():
    x0, s0 = np.array([0.7, 1.1]), np.array([0.3, -0.2])
    s, v = tf.constant(s0), np.array([0.4, -1.3])

    @fn
    def jvp(x):
        with tf.autodiff.ForwardAccumulator(x, tf.constant(v)) as acc:
            loss = _newton_like(x, s)
        return acc.jvp(loss)

    @fn
    def hvp(x):   # forward over reverse: a Hessian-vector product
        with tf.autodiff.ForwardAccumulator(x, tf.constant(v)) as acc:
            with tf.GradientTape() as t:
                t.watch(x)
                loss = _newton_like(x, s)
            g = t.gradient(loss, x)
        return acc.jvp(g)

    loss_np = lambda x: float(_newton_like(tf.constant(x), s))
    np.testing.assert_allclose(float(jvp(tf.constant(x0))), _fd(loss_np, x0) @ v, rtol=1e-6)
    _, gx, _, _ = _first_and_second(tf.constant(x0), s)
    h = _fd(lambda x: _first_and_second(tf.constant(x), s)[1].numpy(), x0, 1e-5)
    np.testing.assert_allclose(hvp(tf.constant(x0)).numpy(), h.T @ v, rtol=1e-5)


def test_while_loop_gradient_zero_trips_and_integer_outputs():
    @fn
    def f(x):
        with tf.GradientTape() as t:
            t.watch(x)
            i, y = tf.while_loop(lambda i, y: tf.reduce_max(y) < 1., lambda i, y: (i + 1, y * 2.),
                                 (tf.constant(0), x))
            loss = tf.reduce_sum(y * y)
        return i, t.gradient(loss, x)

    for arr, trips in (([2., 3.], 0), ([0.3, 0.1], 2), ([0.01, 0.002], 7)):
        i, g = f(tf.constant(arr))
        assert int(i) == trips
        np.testing.assert_allclose(g.numpy(), 2 * np.array(arr) * 4. ** trips, rtol=1e-6)
    assert f.experimental_get_tracing_count() == 1


def test_while_loop_body_must_keep_shapes_error_names_the_line():
    @fn
    def f(x):
        return tf.while_loop(lambda x: tf.reduce_sum(x) < 100., lambda x: tf.concat([x, x], 0), x)

    with pytest.raises(ValueError, match=r"body returned float32\[4\] for loop variable 0, "
                       r"which entered as float32\[2\]") as e:
        f(tf.constant([1., 2.]))
    assert f"{HERE}:{first_line(f) + 2}" in str(e.value)

    @fn
    def g(x):
        return tf.while_loop(lambda x: x < 100., lambda x: x * 2., x)

    with pytest.raises(ValueError, match="condition must return a scalar") as e:
        g(tf.constant([1., 2.]))
    assert f"{HERE}:{first_line(g) + 2}" in str(e.value)


# ------------------------------------------------------------------ cond nodes
def _sqrt_or_neg(x):
    with tf.GradientTape() as t2:
        t2.watch(x)
        with tf.GradientTape() as t1:
            t1.watch(x)
            y = tf.cond(x > 0., lambda: tf.sqrt(x), lambda: -x)
        g = t1.gradient(y, x)
    return y, g, t2.gradient(g, x, unconnected_gradients="zero")


@pytest.mark.parametrize("backend", ["numpy", "numba"])
@pytest.mark.parametrize("x,expect", [(-4., (4., -1., 0.)), (4., (2., 0.25, -1 / 32.))])
def test_cond_untaken_branch_never_runs_first_and_second_order(backend, x, expect):
    f = tf.function(_sqrt_or_neg, jit_compile=False if backend == "numpy" else None)
    with np.errstate(all="raise"):     # the sqrt branch would warn (invalid) at x < 0
        out = [float(v) for v in f(tf.constant(x, tf.float64))]
    assert out == pytest.approx(expect, rel=1e-12)
    assert [float(v) for v in _sqrt_or_neg(tf.constant(x, tf.float64))] == pytest.approx(expect)


def test_cond_inside_default_backend_function():
    @tf.function
    def f(x, w):
        h = tf.matmul(x, w)
        y = tf.cond(tf.reduce_mean(h) > 0., lambda: tf.nn.relu(h) * 2. + 1., lambda: tf.tanh(h))
        return tf.reduce_sum(y * y)

    assert f.backend == "numba"
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 3)).astype(np.float32)
    for w in (np.abs(rng.standard_normal((3, 2))), -np.abs(rng.standard_normal((3, 2)))):
        w = tf.constant(w.astype(np.float32))
        x_ = tf.constant(np.abs(x))
        np.testing.assert_allclose(f(x_, w).numpy(), f.python_function(x_, w).numpy(), rtol=1e-5)
    assert "cond" in ops(f.get_concrete_function(x_, w))


def test_cond_reads_variables_in_the_outer_graph_and_gets_their_gradients():
    v = tf.Variable([1., 2.])
    w = tf.Variable(3.)

    def body(x):
        with tf.GradientTape() as t:
            y = tf.cond(tf.reduce_sum(x) > 0., lambda: tf.reduce_sum(v * x) * w,
                        lambda: tf.reduce_sum(v) - w)
        gv, gw = t.gradient(y, [v, w])
        v.assign_add(x)     # the read inside the branch happened before this assign
        return y, gv, gw

    f = fn(body)
    for arr in ([1., 1.], [-1., -3.]):
        v.assign([1., 2.])
        ty = f(tf.constant(arr))
        v.assign([1., 2.])
        ey = body(tf.constant(arr))
        for a, b in zip(ty, ey):
            np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6)
    assert f.experimental_get_tracing_count() == 1


def _nested(x, y):
    with tf.GradientTape(persistent=True) as t:
        t.watch([x, y])
        out = tf.cond(tf.reduce_sum(x) > 0.,
                      lambda: tf.cond(tf.reduce_sum(y) > 0., lambda: tf.reduce_sum(x * y * y),
                                      lambda: tf.reduce_sum(tf.sin(x) + y)),
                      lambda: tf.reduce_sum(x * x) - tf.reduce_sum(y))
    return [out] + t.gradient(out, [x, y])


@pytest.mark.parametrize("sx,sy", [(1, 1), (1, -1), (-1, 1)])
def test_nested_cond_captures_from_the_outermost_graph(sx, sy):
    x = tf.constant([0.5 * sx, 1. * sx], tf.float64)
    y = tf.constant([2. * sy, 0.3 * sy], tf.float64)
    for t, e in zip(fn(_nested)(x, y), _nested(x, y)):
        np.testing.assert_allclose(t.numpy(), e.numpy(), rtol=1e-12)


def test_cse_keeps_distinct_cond_nodes_and_merges_nothing_else_wrongly():
    @fn
    def f(x):
        p = tf.reduce_sum(x) > 0.
        a = tf.cond(p, lambda: x * 2., lambda: x)
        b = tf.cond(p, lambda: x * 3., lambda: x)     # same inputs, different branches
        return a, b

    a, b = f(tf.constant([1., 2.]))
    np.testing.assert_array_equal(a.numpy(), [2., 4.])
    np.testing.assert_array_equal(b.numpy(), [3., 6.])
    assert ops(f.get_concrete_function(tf.constant([1., 2.]))).count("cond") == 2


def test_graph_level_gradients_through_cond():
    @fn
    def f(x):
        y = tf.cond(tf.reduce_sum(x) > 0., lambda: tf.reduce_sum(x ** 3), lambda: tf.reduce_sum(x))
        return tf.gradients(y, x)

    np.testing.assert_allclose(f(tf.constant([1., 2.])).numpy(), [3., 12.])
    np.testing.assert_allclose(f(tf.constant([-1., -2.])).numpy(), [1., 1.])


def test_cond_node_runs_eagerly_as_an_op():
    from graphflow import control_ops
    x = tf.constant([4., 9.])
    with tf.GradientTape() as t:
        t.watch(x)
        y = control_ops.cond_op(tf.reduce_sum(x) > 0., lambda: tf.sqrt(x), lambda: -x)
    np.testing.assert_allclose(y.numpy(), [2., 3.])
    np.testing.assert_allclose(t.gradient(y, x).numpy(), [0.25, 1 / 6.])


# ------------------------------------------------------------------ print
def test_tf_print_runs_on_every_call_in_program_order(capsys):
    v = tf.Variable(1.)

    @fn
    def f(x):
        tf.print("before", v)
        v.assign_add(x)
        tf.print("after", v, "x =", x)
        return v.read_value()

    for k in (1., 2.):
        f(tf.constant(k))
    assert capsys.readouterr().out.splitlines() == [
        "before 1", "after 2 x = 1", "before 2", "after 4 x = 2"]
    assert f.experimental_get_tracing_count() == 1


def test_tf_print_eager_streams_and_braces(capsys):
    tf.print("a {literal}", tf.constant([1, 2]), sep="|")
    tf.print("err", tf.constant(1.5), output_stream=sys.stderr)
    tf.print("no newline", end="")
    cap = capsys.readouterr()
    assert cap.out == "a {literal}|[1 2]\nno newline"
    assert cap.err == "err 1.5\n"

    @fn
    def f(x):
        tf.print("{x}", x)
        return x

    f(tf.constant(2))
    assert capsys.readouterr().out == "{x} 2\n"


def test_tf_print_in_function_honours_output_stream_and_end():
    import io
    buf = io.StringIO()

    @tf.function(jit_compile=False)
    def f(x):
        tf.print("x =", x, output_stream=buf, end="!\n")
        return x

    f(tf.constant([1., 2.]))
    f(tf.constant([3., 4.]))
    assert buf.getvalue() == "x = [1 2]!\nx = [3 4]!\n"


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_assign_inside_while_loop_body_reads_previous_iteration(backend, capsys):
    v, w = tf.Variable(1.), tf.Variable(2.)

    @tf.function(jit_compile=False if backend == "numpy" else None)
    def f(n):
        def body(i):
            v.assign(v * 2. + w)     # reads the value the previous iteration assigned
            tf.print("it", i, v)
            return i + 1
        i, = tf.while_loop(lambda i: i < n, body, [tf.constant(0)])
        return i, v.read_value() + 0.   # read after the loop: ordered after it

    for n, want in ((3, [4, 10, 22]), (0, []), (1, [4])):   # TF prints 4, not 4.0
        v.assign(1.)
        i, after = f(tf.constant(n))
        assert int(i) == n and float(after) == (want[-1] if want else 1.) == v.numpy()
        assert capsys.readouterr().out == "".join(f"it {k} {x}\n" for k, x in enumerate(want))
    assert f.experimental_get_tracing_count() == 1
    assert ops(f.get_concrete_function(tf.constant(3))).count("while_loop") == 1


def test_autograph_loop_assigns_variable_and_gradient_through_it_is_refused():
    acc = tf.Variable(0.)

    @fn
    def total(x):
        for i in tf.range(tf.shape(x)[0]):
            acc.assign_add(x[i] * tf.cast(i + 1, tf.float32))
        return acc.read_value()

    acc.assign(0.)
    np.testing.assert_allclose(total(tf.constant([1., 2., 3.])).numpy(), 14.)
    np.testing.assert_allclose(acc.numpy(), 14.)

    @fn
    def grad(x):
        with tf.GradientTape() as t:
            t.watch(x)
            y = tf.while_loop(lambda y: tf.reduce_sum(y) < 10.,
                              lambda y: (acc.assign(acc + 1.), y * x + acc)[1], x)
        return t.gradient(y, x)
    with pytest.raises(NotImplementedError, match="assigns a Variable it reads"):
        grad(tf.constant([1.5, 2.]))


def test_while_loop_sub_graphs_run_on_the_numba_backend_with_it():
    from graphflow.backends.numba.plan import NumbaPlan
    f = tf.function(_grow)   # default backend: numba
    np.testing.assert_array_equal(f(tf.constant([1., 2.]))[0].numpy(), [64., 128.])
    loops = {id(d["attrs"]["loop"]): d["attrs"]["loop"] for g in
             [f.get_concrete_function(tf.constant([1., 2.])).graph]
             for _, d in g.nodes(data=True) if d["op"] == "while_loop"}
    assert len(loops) == 1
    sg, = loops.values()
    numba_copy = sg.with_backend(NumbaPlan)
    assert numba_copy is not sg and sg.with_backend(NumbaPlan) is numba_copy   # one per backend
    assert numba_copy._plans is not None and all(isinstance(p, NumbaPlan)
                                                  for p in numba_copy.plans())


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_random_draws_inside_loop_bodies_and_branches(backend):
    def walk(n):
        x = tf.zeros([3])
        i = tf.constant(0)
        while i < n:                       # AutoGraph: one while_loop node
            x = x + tf.random.normal([3])
            if tf.reduce_sum(x) > 100.:    # a cond whose branch draws too
                x = x - tf.random.uniform([3])
            i += 1
        return x

    f = tf.function(walk, jit_compile=False if backend == "numpy" else None)
    tf.random.set_seed(7)
    want = walk(tf.constant(5)).numpy()     # eager: every draw a new op seed (TF's values)
    np.testing.assert_allclose(want, [-3.5918, -2.9248, 1.2204], atol=1e-4)
    tf.random.set_seed(7)
    got = f(tf.constant(5)).numpy()         # traced: one node's stream over the iterations
    np.testing.assert_allclose(got, [-0.1597, 0.0040, -3.9432], atol=1e-4)   # TF 2.21's
    assert not np.allclose(f(tf.constant(5)).numpy(), got)   # a new draw on every call
    assert f.experimental_get_tracing_count() == 1
    assert "while_loop" in ops(f.get_concrete_function(tf.constant(5)))

    def grad(x):
        with tf.GradientTape() as t:
            t.watch(x)
            y = tf.while_loop(lambda y: tf.reduce_sum(y) < 10.,
                              lambda y: y * x + tf.random.uniform([2]), x)
        return y, t.gradient(y, x)
    # the forward loop keeps its draws and the reverse loop reads them (as TF's while_v2 keeps
    # its intermediates): the gradient for the same draws - the traced node's TF stream, seeds
    # (7, 0), 2 values per iteration (256 Philox blocks reserved per value), replayed by hand
    from graphflow.ops import philox
    tf.random.set_seed(7)
    got = [t.numpy() for t in fn(grad)(tf.constant([1.5, 2.]))]
    x = np.array([1.5, 2.], np.float32)
    y, dy, k = x.copy(), np.ones(2, np.float32), 0
    while y.sum() < 10.:
        u = philox.sample("uniform", (7, 0), (512 * k, 0, 0, 0), (2,), "float32")
        y, dy, k = y * x + u, dy * x + y, k + 1
    np.testing.assert_allclose(got[0], y, rtol=1e-6)
    np.testing.assert_allclose(got[1], dy, rtol=1e-5)


def test_one_reverse_loop_for_all_outputs_of_a_loop():
    def loss(a, b, n):
        i, x, y = tf.while_loop(lambda i, x, y: i < n,
                                lambda i, x, y: (i + 1, x * y + 1., tf.sin(x) + y),
                                (tf.constant(0), a, b))
        return tf.reduce_sum(x * 2.) + tf.reduce_sum(y * y)

    @fn
    def grad(a, b, n):
        with tf.GradientTape() as t:
            t.watch([a, b])
            value = loss(a, b, n)
        return t.gradient(value, [a, b])

    a0, b0, n = np.array([0.3, -0.2]), np.array([0.5, 0.1]), tf.constant(4)
    ga, gb = [g.numpy() for g in grad(tf.constant(a0), tf.constant(b0), n)]
    with tf.GradientTape() as t:   # eager: the Python loop
        a, b = tf.constant(a0), tf.constant(b0)
        t.watch([a, b])
        value = loss(a, b, n)
    want = t.gradient(value, [a, b])
    np.testing.assert_allclose(ga, want[0].numpy(), rtol=1e-12)
    np.testing.assert_allclose(gb, want[1].numpy(), rtol=1e-12)
    g = grad.get_concrete_function(tf.constant(a0), tf.constant(b0), n).graph
    loops = {id(d["attrs"]["loop"]) for _, d in g.nodes(data=True) if d["op"] == "while_loop"}
    assert len(loops) == 2   # the forward loop and one reverse loop (not one per output)


def _rnn_loop(xs, w, u, h0, steps, known):
    """A plain RNN as a while_loop: h = tanh(x_t @ w + h @ u); loss on the last h. `known`: the
    trip count is known when tracing (as for the Keras RNN layers)."""
    from graphflow.control_ops import build_while, history_read
    from graphflow.tensor import to_tensor
    _, h = build_while(lambda t, h: t < steps,
                       lambda t, h: (t + 1, tf.tanh(history_read(xs, t) @ w + h @ u)),
                       [to_tensor(np.int32(0)), h0], "test", trip_count=steps if known else None)
    return tf.reduce_sum(h * h)


def _rnn_fd_ref(xs, w, u, h0):
    def loss(w, u):
        h = h0
        for t in range(xs.shape[0]):
            h = np.tanh(xs[t] @ w + h @ u)
        return np.sum(h * h)
    return loss


@pytest.mark.parametrize("known", [True, False], ids=["trips-known", "trips-unknown"])
@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_loop_hoists_row_matmuls_and_defers_weight_gradients(backend, known, monkeypatch):
    """x_t @ w (a row of a captured sequence times a captured matrix) runs as one matmul before
    the loop; the gradient of the right-multiplied u is one A^T @ G after the reverse loop (and
    w's too, through the hoisted matmul); values and first/second order gradients are unchanged."""
    from graphflow import control_ops
    from graphflow.control_ops import Subgraphs
    monkeypatch.setattr(control_ops, "HOIST_LOOP_GEMMS", True)
    rng = np.random.default_rng(3)
    xs0, w0, u0 = rng.normal(size=(5, 2, 3)), rng.normal(size=(3, 4)) * .5, \
        rng.normal(size=(4, 4)) * .5
    h00 = rng.normal(size=(2, 4))
    xs, h0 = tf.constant(xs0), tf.constant(h00)

    def run(w, u):
        with tf.GradientTape() as t2:
            t2.watch(u)
            with tf.GradientTape() as t1:
                t1.watch([w, u])
                loss = _rnn_loop(xs, w, u, h0, 5, known)
            gw, gu = t1.gradient(loss, [w, u])
            z = tf.reduce_sum(gu)
        return loss, gw, gu, t2.gradient(z, u)

    f = tf.function(run, jit_compile=False if backend == "numpy" else None)
    w, u = tf.constant(w0), tf.constant(u0)
    got = f(w, u)
    ref = _rnn_fd_ref(xs0, w0, u0, h00)
    np.testing.assert_allclose(got[0].numpy(), ref(w0, u0), rtol=1e-12)
    np.testing.assert_allclose(got[1].numpy(), _fd(lambda a: ref(a.reshape(3, 4), u0), w0)
                               .reshape(3, 4), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(got[2].numpy(), _fd(lambda a: ref(w0, a.reshape(4, 4)), u0)
                               .reshape(4, 4), rtol=1e-6, atol=1e-8)
    want2 = tf.function(run, jit_compile=False)(w, u)[3] if backend == "numba" else None
    eager = run(w, u)   # eager: the loop node runs at once, its VJP too
    for g, e in zip(got, eager):
        np.testing.assert_allclose(g.numpy(), e.numpy(), rtol=1e-9, atol=1e-12)
    if want2 is not None:
        np.testing.assert_allclose(got[3].numpy(), want2.numpy(), rtol=1e-9)
    # structure: the forward body multiplies by u only (x_t @ w hoisted), the first reverse
    # loop's body has one matmul (the cotangent through h @ u; u's gradient is deferred)
    g = f.get_concrete_function(w, u).graph
    loops = {}
    for _, d in g.nodes(data=True):
        sg = d["attrs"].get("loop")
        if isinstance(sg, Subgraphs):
            loops[id(sg)] = sg

    def matmuls(sg):
        body = sg.graphs[1].nx
        live = [n for n in body.nodes if body.out_degree(n) or n in sg.graphs[1].outputs]
        return sum(body.nodes[n]["op"] == "matmul" for n in live)
    counts = sorted(matmuls(sg) for sg in loops.values())
    fwd = [sg for sg in loops.values() if sg.graphs[1].nx.number_of_nodes() ==
           min(s.graphs[1].nx.number_of_nodes() for s in loops.values())][0]
    assert matmuls(fwd) == 1, counts
    rev = sorted(loops.values(), key=lambda s: s.graphs[1].nx.number_of_nodes())[1]
    if known:   # (an unknown trip count keeps the per-step h @ u recompute and u's gemm)
        assert matmuls(rev) == 1, counts


def test_history_scatter_distinct_and_repeated_rows():
    from graphflow.control_ops import history_scatter
    h = tf.zeros([4, 2])
    rows = tf.constant([[1., 2.], [3., 4.], [5., 6.]])
    np.testing.assert_array_equal(history_scatter(h, tf.constant([3, 0, 1]), rows).numpy(),
                                  [[3, 4], [5, 6], [0, 0], [1, 2]])
    np.testing.assert_array_equal(history_scatter(h, tf.constant([1, -3, 2]), rows).numpy(),
                                  [[0, 0], [4, 6], [5, 6], [0, 0]])
