"""Regressions found by the differential test against TF 2.21 (tools/difftest.py).

Each case runs eagerly, under `tf.function(jit_compile=False)` (numpy executor) and under
`tf.function` (numba backend); the expected values are TF 2.21's (checked by running it).
"""
import numpy as np
import pytest

import graphflow as tf

MODES = ["eager", "numpy", "numba"]


def run(mode, f, *args):
    if mode == "numpy":
        f = tf.function(f, jit_compile=False)
    elif mode == "numba":
        f = tf.function(f)
    return f(*[tf.constant(a) for a in args])


def _grads(op):
    def f(x, y):
        with tf.GradientTape() as t:
            t.watch([x, y])
            z = op(x, y)
        return t.gradient(z, [x, y])
    return f


@pytest.mark.parametrize("mode", MODES)
def test_maximum_minimum_gradient_at_nan_goes_to_y(mode):
    # TF: x gets g where x >= y (min: x <= y), y gets the rest - also where a NaN makes both
    # comparisons false; graphflow sent the gradient nowhere there.
    x = np.array([np.nan, 1.0, 2.0, 3.0])
    y = np.array([0.0, np.nan, 2.0, 1.0])
    gx, gy = run(mode, _grads(tf.maximum), x, y)
    np.testing.assert_array_equal(gx.numpy(), [0, 0, 1, 1])
    np.testing.assert_array_equal(gy.numpy(), [1, 1, 0, 0])
    gx, gy = run(mode, _grads(tf.minimum), x, y)
    np.testing.assert_array_equal(gx.numpy(), [0, 0, 1, 0])
    np.testing.assert_array_equal(gy.numpy(), [1, 1, 0, 1])


@pytest.mark.parametrize("mode", MODES)
def test_reduction_over_no_axes_is_identity(mode):
    # TF: reduce_*(x, axis=[]) is x itself: -0.0 stays -0.0, and the gradient is g even where
    # the reduction's VJP weight would be inf/NaN (reduce_prod at inf gave NaN).
    x = np.array([-0.0, np.inf, 2.0], np.float32)

    def f(x):
        with tf.GradientTape() as t:
            t.watch(x)
            s = tf.reduce_sum(x, axis=[])
            p = tf.reduce_prod(x, axis=[])
        return s, p, t.gradient(p, x)
    s, p, g = run(mode, f, x)
    assert s.shape == (3,) and np.signbit(s.numpy()[0])
    np.testing.assert_array_equal(p.numpy(), x)
    np.testing.assert_array_equal(g.numpy(), [1, 1, 1])


@pytest.mark.parametrize("mode", MODES)
def test_round_of_integers_is_identity(mode):
    out = run(mode, tf.round, np.array([3, -2, 0], np.int32))
    assert out.dtype == tf.int32
    np.testing.assert_array_equal(out.numpy(), [3, -2, 0])


def test_lgamma_of_inf_is_inf():
    x = np.array([np.inf, -np.inf, 0.0, -1.0, 1.0], np.float64)
    np.testing.assert_array_equal(tf.math.lgamma(x).numpy(), [np.inf] * 4 + [0.0])


def test_integer_mod_by_zero_only_raises_for_a_nonempty_result():
    # TF: an empty broadcast result never divides; a real division by zero still raises
    a, b = np.zeros((0, 3), np.int32), np.array([1, 0, 2], np.int32)
    assert tf.math.floormod(a, b).shape == (0, 3)
    assert tf.math.floordiv(a, b).shape == (0, 3)
    with pytest.raises(tf.errors.InvalidArgumentError, match="mod"):
        tf.math.floormod(np.ones((2, 3), np.int32), b)


def test_math_l2_normalize():
    np.testing.assert_allclose(tf.math.l2_normalize([3.0, 4.0]).numpy(), [0.6, 0.8], rtol=1e-6)


def test_python_float_never_converts_to_an_int_tensor():
    # TF: `int_tensor * 2.0` raises TypeError (Cannot convert 2.0 to EagerTensor of dtype int32),
    # integral or not; Python ints still adopt the tensor's dtype, numpy values keep working
    i = tf.constant([1, 2, 3])
    for f in (lambda: i * 2.0, lambda: tf.maximum(i, 2.0), lambda: tf.constant(2.0, tf.int32)):
        with pytest.raises(TypeError, match="2.0.*int32"):
            f()
    with pytest.raises(tf.errors.InvalidArgumentError, match="multiply.*int32"):
        i * 2.0
    assert (i * 2).dtype == tf.int32
    np.testing.assert_array_equal((i + np.float64(2.0)).numpy(), [3, 4, 5])


def test_autograph_does_not_convert_a_function_whose_source_file_changed(tmp_path, monkeypatch):
    # AutoGraph re-reads the source file: after an edit, the text at f's line is another
    # function; converting it ran that function with f's closure (seen when a harness file was
    # edited during a run). f runs as written instead.
    p = tmp_path / "gf_stale_src.py"
    p.write_text("def make(k):\n    def forward(x):\n        return x + k\n    return forward\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import gf_stale_src
    f = gf_stale_src.make(2.0)
    p.write_text("# new first line\ndef other(a, b, c):\n    return a\n")
    import linecache
    linecache.clearcache()
    assert tf.function(f, jit_compile=False)(tf.constant(1.0)).numpy() == 3.0


@pytest.mark.parametrize("mode", MODES)
def test_reduction_of_a_reduction_over_size_one_axes(mode):
    # numba: a fused cluster whose reduction reads another reduction's result directly (x of
    # shape (3, 1): both reduce axis 1) went to the single-pass generator: KeyError ('r', 0)
    x = np.array([[1.0], [-2.0], [3.5]], np.float32)

    def f(x):
        m = tf.reduce_mean(x, axis=1, keepdims=True)
        return tf.reduce_sum(m, 0) + tf.reduce_max(m, -1)[..., None]
    np.testing.assert_allclose(run(mode, f, x).numpy(), x.sum(0) + x, rtol=1e-6)
    out = run(mode, lambda x: tf.reduce_sum(tf.reduce_sum(x, 1, keepdims=True), 1), x)
    np.testing.assert_array_equal(out.numpy(), x[:, 0])
    # ... and in the multi-pass generator, when no node reads the inner reduction (KeyError 0)
    y = np.arange(4.0).reshape(4, 1)

    def g(y):
        m = tf.reduce_sum(tf.reduce_sum(y, 1, keepdims=True), 1, keepdims=True)
        return tf.exp(m - tf.reduce_max(m, 1, keepdims=True))
    np.testing.assert_allclose(run(mode, g, y).numpy(), np.ones((4, 1)))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sign_of_negative_zero_is_positive_zero(mode, dtype):
    # numpy/TF: sign(-0.) is 0.; numba's np.sign returned -0. in fused kernels
    x = np.array([-0.0, 0.0, 2.0, -3.0, np.nan, -np.inf], dtype)
    out = run(mode, lambda x: tf.sign(x) * 2.0, x).numpy()
    np.testing.assert_array_equal(out, [0, 0, 2, -2, np.nan, -2])
    assert not np.signbit(out[0])


@pytest.mark.parametrize("mode", MODES)
def test_linspace_is_differentiable_in_start_and_stop(mode):
    # TF: linspace = [start, start + i * (stop - start) / (num - 1), stop], differentiable;
    # graphflow's eager path computed it in numpy (zero gradient). Integers give float64.
    def f(a, b):
        with tf.GradientTape() as t:
            t.watch([a, b])
            y = tf.linspace(a, b, 5)
            loss = tf.reduce_sum(y * tf.constant([1.0, 2.0, 3.0, 4.0, 5.0]))
        return y, t.gradient(loss, [a, b])
    y, (ga, gb) = run(mode, f, np.float32(1.0), np.float32(3.0))
    np.testing.assert_allclose(y.numpy(), [1.0, 1.5, 2.0, 2.5, 3.0])
    assert float(ga) == 5.0 and float(gb) == 10.0
    assert tf.linspace(1, 3, 3).dtype == tf.float64 and tf.linspace(2.0, 1.0, 1).numpy() == [2.0]


@pytest.mark.parametrize("mode", MODES)
def test_bool_times_operator_is_logical_and(mode):
    # TF 2.21: `b * c` on bool tensors is logical_and (tf.multiply itself rejects bool)
    b, c = np.array([True, False, True]), np.array([True, True, False])
    np.testing.assert_array_equal(run(mode, lambda b, c: b * c, b, c).numpy(), b & c)
    with pytest.raises(tf.errors.InvalidArgumentError, match="multiply.*bool"):
        tf.multiply(b, c)


def test_compiler_process_submit_after_stop_is_refused_quietly():
    # at exit, stop() cleared the process while the background thread was queueing a compile:
    # "AttributeError: 'NoneType' object has no attribute 'stdin'" in graphflow-numba-compiler
    from graphflow.backends.numba import cache
    p = cache._CompilerProcess()
    p.stop()
    assert p.submit("/nonexistent.py", "gfk_x", []) is False and p.proc is None
