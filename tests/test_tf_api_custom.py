"""tf.custom_gradient, tf.py_function / tf.numpy_function (issue 10): values against the TF
documentation's printed results, analytic derivatives and finite differences, in eager mode,
under tapes, inside @function on both executors, with tf.gradients and at second order."""
import numpy as np
import pytest

import graphflow as tf
from graphflow.errors import InvalidArgumentError

BACKENDS = [pytest.param(False, id="numpy"), pytest.param(None, id="numba")]


# ------------------------------------------------------------------ custom_gradient
@tf.custom_gradient
def clip_gradients(y):
    def backward(dy):
        return tf.clip_by_norm(dy, 0.5)
    return y, backward


@tf.custom_gradient
def log1pexp(x):
    e = tf.exp(x)

    def grad(upstream):
        return upstream * (1 - 1 / (1 + e))
    return tf.math.log(1 + e), grad


def test_guide_clip_gradients():
    # advanced autodiff guide: "calls backward, which clips 4 to 2" -> tf.Tensor(2.0, ...)
    v = tf.Variable(2.0)
    with tf.GradientTape() as t:
        output = clip_gradients(v * v)
    assert float(output) == 4.0
    assert float(t.gradient(output, v)) == 2.0


def test_log1pexp_stable_gradient_eager():
    # tf.custom_gradient docs: the gradient at x = 100 is 1.0 (the plain formula gives NaN)
    x = tf.constant(100.)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = log1pexp(x)
    assert float(tape.gradient(y, x)) == 1.0
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.math.log(1 + tf.exp(x))
    assert np.isnan(float(tape.gradient(y, x)))


@pytest.mark.parametrize("jit", BACKENDS)
def test_log1pexp_in_function(jit):
    @tf.function(jit_compile=jit)
    def grads(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = log1pexp(x)
        return tape.gradient(y, x), tf.gradients(log1pexp(x), [x])[0]
    for x, want in [(100., 1.0), (0., 0.5), (-3., 1 / (1 + np.exp(3.)))]:
        a, b = grads(tf.constant(x))
        np.testing.assert_allclose([float(a), float(b)], [want, want], rtol=1e-6)


def test_custom_gradient_second_order_differentiates_grad_fn():
    # d2/dx2 log(1+e^x) = sigmoid'(x); grad_fn's ops see e = exp(x) connected to x
    for x0 in (0.5, -1.0, 3.0):
        x = tf.constant(x0, tf.float64)
        with tf.GradientTape() as t2:
            t2.watch(x)
            with tf.GradientTape() as t1:
                t1.watch(x)
                y = log1pexp(x)
            g = t1.gradient(y, x)
        s = 1 / (1 + np.exp(-x0))
        np.testing.assert_allclose(float(g), s, rtol=1e-12)
        np.testing.assert_allclose(float(t2.gradient(g, x)), s * (1 - s), rtol=1e-9, atol=1e-300)


@pytest.mark.parametrize("jit", BACKENDS)
def test_custom_gradient_second_order_in_function(jit):
    @tf.function(jit_compile=jit)
    def hess(x):
        with tf.GradientTape() as t2:
            t2.watch(x)
            with tf.GradientTape() as t1:
                t1.watch(x)
                y = log1pexp(x)
            g = t1.gradient(y, x)
        return t2.gradient(g, x)
    s = 1 / (1 + np.exp(-0.3))
    np.testing.assert_allclose(float(hess(tf.constant(0.3, tf.float64))), s * (1 - s), rtol=1e-9)


def test_custom_gradient_with_variables_doc_example():
    # tf.custom_gradient docs: poly = x + 1, dpoly/dx = [1 1 1], dpoly/dweights = [6 3]
    weights = tf.Variable(tf.ones([2]))

    @tf.custom_gradient
    def linear_poly(x):
        poly = weights[1] * x + weights[0]

        def grad_fn(dpoly, variables):
            assert len(variables) == 1 and variables[0] is weights
            grad_xs = dpoly * weights[1]
            dy_dw = dpoly * tf.stack([x ** 1, x ** 0])
            return grad_xs, [tf.reduce_sum(tf.reshape(dy_dw, [2, -1]), axis=1)]
        return poly, grad_fn

    x = tf.constant([1., 2., 3.])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        poly = linear_poly(x)
    np.testing.assert_array_equal(poly.numpy(), [2., 3., 4.])
    np.testing.assert_array_equal(tape.gradient(poly, x).numpy(), [1., 1., 1.])
    np.testing.assert_array_equal(tape.gradient(poly, weights).numpy(), [6., 3.])

    @tf.function
    def traced(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            poly = linear_poly(x)
        return tape.gradient(poly, [x, weights])
    gx, gw = traced(x)
    np.testing.assert_array_equal(gx.numpy(), [1., 1., 1.])
    np.testing.assert_array_equal(gw.numpy(), [6., 3.])


def test_custom_gradient_reading_a_variable_needs_variables_argument():
    w = tf.Variable(2.0)

    @tf.custom_gradient
    def f(x):
        return w * x, lambda dy: dy * w
    with pytest.raises(TypeError, match="variables"):
        f(tf.constant(1.0))


def test_custom_gradient_overrides_inner_ops_and_multi_output():
    @tf.custom_gradient
    def f(a, b):
        def grad(dp, ds):   # deliberately not the true gradient: it is what the tape uses
            return 10. * dp + ds, 100. * dp
        return (a * b, a + b), grad
    a, b = tf.constant(2.0), tf.constant(3.0)
    with tf.GradientTape() as tape:
        tape.watch([a, b])
        p, s = f(a, b)
        z = 2. * p + 5. * s
    ga, gb = tape.gradient(z, [a, b])
    assert (float(ga), float(gb)) == (25., 200.)


def test_custom_gradient_forward_mode():
    x = tf.constant([0.5, 100.], tf.float64)
    with tf.autodiff.ForwardAccumulator(x, tf.constant([1., 1.], tf.float64)) as acc:
        y = log1pexp(x)
    s = 1 / (1 + np.exp(-x.numpy()))
    np.testing.assert_allclose(acc.jvp(y).numpy(), s, rtol=1e-12)


def test_custom_gradient_node_is_removed_after_tracing():
    @tf.function
    def f(x):
        return clip_gradients(x * 2.0)
    cf = f.get_concrete_function(tf.constant(1.0))
    assert "custom_gradient" not in [d["op"] for _, d in cf.optimized.nx.nodes(data=True)]
    assert float(f(tf.constant(1.5))) == 3.0


# ------------------------------------------------------------------ py_function / numpy_function
def test_py_function_eager_value_gradient_second_order():
    calls = []

    def cube(v):
        calls.append(1)
        return v * v * v
    x = tf.constant(2.0)
    with tf.GradientTape() as t2:
        t2.watch(x)
        with tf.GradientTape() as t1:
            t1.watch(x)
            y = tf.py_function(cube, [x], tf.float32)
        g = t1.gradient(y, x)
    assert (float(y), float(g), float(t2.gradient(g, x))) == (8.0, 12.0, 12.0)
    assert len(calls) == 3   # forward, gradient, second-order gradient


@pytest.mark.parametrize("jit", BACKENDS)
def test_py_function_in_function_runs_every_call(jit):
    calls = []

    def f(v):
        calls.append(v.numpy().copy())   # eager Tensors inside, at run time
        return tf.sin(v) * 2.0

    @tf.function(jit_compile=jit)
    def step(x):
        with tf.GradientTape() as t:
            t.watch(x)
            y = tf.py_function(f, [x], tf.float64)
            z = tf.reduce_sum(y * x)
        return z, t.gradient(z, x)
    for x0 in ([0.1, 0.2], [1.0, -2.0]):
        x = np.array(x0)
        n = len(calls)
        z, g = step(tf.constant(x))
        np.testing.assert_allclose(float(z), np.sum(2 * np.sin(x) * x), rtol=1e-12)
        np.testing.assert_allclose(g.numpy(), 2 * np.sin(x) + 2 * np.cos(x) * x, rtol=1e-12)
        np.testing.assert_array_equal(calls[-1], x)
    n = len(calls)
    step(tf.constant(np.array([3.0, 4.0])))
    assert len(calls) == n + 2   # forward + gradient run, no retrace


@pytest.mark.parametrize("jit", BACKENDS)
def test_numpy_function_multi_output_and_int(jit):
    calls = []

    def f(v):
        calls.append(1)
        assert isinstance(v, np.ndarray)
        return v + 1, (v * 2).astype(np.int64)

    @tf.function(jit_compile=jit)
    def h(x):
        a, b = tf.numpy_function(f, [x], [tf.float32, tf.int32])
        return a * 2.0, b
    x = tf.constant([1.5, 2.0])
    h(x)
    n = len(calls)
    a, b = h(tf.constant([0.5, 1.0]))
    assert len(calls) == n + 1   # one call per run for both outputs
    np.testing.assert_array_equal(a.numpy(), [3., 4.])
    assert b.dtype == tf.int32 and list(b.numpy()) == [1, 2]


def test_numpy_function_without_outputs_runs_for_effect():
    seen = []

    @tf.function
    def f(x):
        r = tf.numpy_function(lambda v: seen.append(float(v)), [x], None)
        assert r is None
        return x + 1.0
    f(tf.constant(1.0))
    seen.clear()
    f(tf.constant(2.0))
    f(tf.constant(3.0))
    assert seen == [2.0, 3.0]


def test_numpy_function_has_no_gradient_and_says_why():
    x = tf.constant(1.0)
    with tf.GradientTape(persistent=True) as t:
        t.watch(x)
        y = tf.numpy_function(lambda v: v * 2, [x], tf.float32)
    assert t.gradient(y, x) is None
    assert "numpy_function" in t.explain(y, x)


def test_py_function_tensorspec_tout_skips_the_trace_run_and_checks_shapes():
    calls = []

    def f(v):
        calls.append(1)
        return tf.concat([v, v], 0)

    @tf.function
    def g(x):
        return tf.py_function(f, [x], tf.TensorSpec([4], tf.float32))
    g.get_concrete_function(tf.constant([1., 2.]))
    assert calls == []
    np.testing.assert_array_equal(g(tf.constant([1., 2.])).numpy(), [1., 2., 1., 2.])

    @tf.function
    def bad(x):
        return tf.py_function(f, [x], tf.TensorSpec([3], tf.float32))
    with pytest.raises(InvalidArgumentError, match=r"py_function f .*shape \(4,\)"):
        bad(tf.constant([1., 2.]))


# ------------------------------------------------------------------ hessians / ensure_shape
@pytest.mark.parametrize("jit", BACKENDS)
def test_hessians_match_analytic(jit):
    a = np.array([[2., 1.], [1., 3.]])

    @tf.function(jit_compile=jit)
    def h(x, y):
        ax = tf.reshape(tf.matmul(tf.constant(a), tf.reshape(x, (2, 1))), (2,))
        f = tf.reduce_sum(x ** 3) * y + 0.5 * tf.reduce_sum(x * ax)
        return tf.hessians(f, [x, y])
    x = np.array([1.0, -2.0])
    hx, hy = h(tf.constant(x), tf.constant(2.0, tf.float64))
    np.testing.assert_allclose(hx.numpy(), np.diag(6 * x * 2.0) + a, rtol=1e-12)
    assert hy.shape == () and float(hy) == 0.0


def test_hessians_outside_function_raises():
    with pytest.raises(RuntimeError, match="hessians"):
        tf.hessians(tf.constant(1.0), [tf.constant(1.0)])


def test_ensure_shape():
    x = tf.constant([[1., 2.]])
    np.testing.assert_array_equal(tf.ensure_shape(x, [None, 2]).numpy(), [[1., 2.]])
    with pytest.raises(InvalidArgumentError, match=r"ensure_shape.*\(1, 2\).*\[3\]"):
        tf.ensure_shape(x, [3])

    @tf.function
    def f(x):
        return tf.ensure_shape(x, [2]) * 2.0
    assert f(tf.constant([1., 2.])).numpy().tolist() == [2., 4.]
    with pytest.raises(ValueError, match="ensure_shape"):
        f(tf.constant([1., 2., 3.]))


def test_py_function_and_numpy_function_in_dataset_map():
    # tf.data guide pattern: arbitrary Python inside a traced Dataset.map
    ds = tf.data.Dataset.range(4).map(lambda i: tf.py_function(lambda v: v * 2, [i], tf.int64))
    assert [int(x) for x in ds] == [0, 2, 4, 6]
    ds = tf.data.Dataset.from_tensor_slices(np.arange(6.0).reshape(3, 2)).map(
        lambda x: tf.numpy_function(lambda a: a[::-1].copy(), [x], tf.float64))
    np.testing.assert_array_equal(np.stack([x.numpy() for x in ds]), [[1., 0.], [3., 2.], [5., 4.]])


def test_unconnected_gradients_enum():
    x, y = tf.constant([1.0, 2.0]), tf.constant(3.0)
    with tf.GradientTape(persistent=True) as t:
        t.watch([x, y])
        z = tf.reduce_sum(x * x)
    assert t.gradient(z, y, unconnected_gradients=tf.UnconnectedGradients.NONE) is None
    g = t.gradient(z, [x, y], unconnected_gradients=tf.UnconnectedGradients.ZERO)
    assert g[0].numpy().tolist() == [2.0, 4.0] and float(g[1]) == 0.0


@tf.custom_gradient
def _grad_reverse(x):
    return tf.identity(x), lambda dy: -dy


class _GradReverse(tf.keras.layers.Layer):
    def call(self, x):
        return _grad_reverse(x)


@pytest.mark.parametrize("jit", BACKENDS)
def test_custom_gradient_layer_in_a_traced_fit(jit):
    # a gradient-reversal layer: the same SGD step as without it, with the opposite sign
    keras = tf.keras
    x, y = np.ones((4, 3), "float32"), np.zeros((4, 1), "float32")
    ks = []
    for extra in ([_GradReverse()], []):
        m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(
            1, use_bias=False, kernel_initializer="ones")] + extra)
        m.compile(keras.optimizers.SGD(0.1), "mse", jit_compile=jit)
        m.fit(x, y, epochs=1, batch_size=4, verbose=0)
        ks.append(m.weights[0].numpy().ravel())
    # d mse / d k = 2 * (3 - 0) * 1 = 6 per entry; SGD(0.1): 1 - 0.6 = 0.4, reversed 1.6
    np.testing.assert_allclose(ks[1], [0.4] * 3, rtol=1e-6)
    np.testing.assert_allclose(ks[0], [1.6] * 3, rtol=1e-6)
