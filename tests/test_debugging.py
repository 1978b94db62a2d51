"""tf.debugging: check_numerics (op + gradient), enable_check_numerics (eager, numpy executor,
numba backend; adjoint nodes name their forward op and line), assert_*, sparse label checks."""
import numpy as np
import pytest

import graphflow as tf
from graphflow.errors import InvalidArgumentError


@pytest.fixture
def checking():
    tf.debugging.enable_check_numerics()
    try:
        yield
    finally:
        tf.debugging.disable_check_numerics()


def test_check_numerics_op_and_gradient():
    x = tf.Variable([4.0, 1.0])
    with tf.GradientTape() as t:
        y = tf.debugging.check_numerics(tf.sqrt(x), "sqrt of x")
    np.testing.assert_allclose(t.gradient(y, x).numpy(), [0.25, 0.5])
    with pytest.raises(InvalidArgumentError, match="sqrt of x: NaN"):
        tf.debugging.check_numerics(tf.constant([np.nan]), "sqrt of x")
    # the VJP checks the cotangent: an infinite upstream gradient is caught
    z = tf.Variable([0.0])
    with tf.GradientTape() as t:
        y = tf.sqrt(tf.debugging.check_numerics(z, "z"))
    with pytest.raises(InvalidArgumentError, match="gradient of check_numerics"):
        t.gradient(y, z)


def test_eager_check_names_op_and_line(checking):
    with pytest.raises(InvalidArgumentError, match=r"check_numerics: log at test_debugging.py:\d+ "
                       r"produced -inf"):
        tf.math.log(tf.constant([1.0, 0.0]))
    with pytest.raises(InvalidArgumentError, match="divide"):
        tf.constant([1.0]) / tf.constant([0.0])   # the operator fast path is off while checking


def test_disabled_by_default_and_after_disable(checking):
    tf.debugging.disable_check_numerics()
    assert np.isneginf(tf.math.log(tf.constant([0.0])).numpy()[0])


@pytest.mark.parametrize("jit", [False, True])
def test_graph_adjoint_node_names_forward_op(checking, jit):
    @tf.function(jit_compile=jit)
    def grad(x):
        with tf.GradientTape() as t:
            t.watch(x)
            y = tf.reduce_sum(tf.sqrt(x))   # FORWARD LINE
        return t.gradient(y, x)
    line = [i for i, l in enumerate(open(__file__), 1) if "# FORWARD LINE" in l and "[i" not in l][0]
    with pytest.raises(InvalidArgumentError) as e:
        grad(tf.constant([0.0, 1.0]))
    msg = str(e.value)
    assert "produced +inf" in msg and "gradient of sqrt" in msg, msg
    assert f"test_debugging.py:{line}" in msg, msg
    tf.debugging.disable_check_numerics()
    np.testing.assert_allclose(grad(tf.constant([0.0, 1.0])).numpy(), [np.inf, 0.5])


def test_asserts():
    tf.debugging.assert_equal(tf.constant([1, 2]), tf.constant([1, 2]))
    with pytest.raises(InvalidArgumentError, match="assert_equal"):
        tf.debugging.assert_equal(tf.constant([1, 2]), tf.constant([1, 3]))
    tf.debugging.assert_less(tf.constant([1.0]), 2.0)
    with pytest.raises(InvalidArgumentError, match="x < y"):
        tf.debugging.assert_less(tf.constant([3.0]), 2.0)
    with pytest.raises(InvalidArgumentError):
        tf.debugging.assert_greater(tf.constant([1.0]), 2.0)
    tf.debugging.assert_near(tf.constant([1.0]), tf.constant([1.0 + 1e-7]))
    with pytest.raises(InvalidArgumentError):
        tf.debugging.assert_near(tf.constant([1.0]), tf.constant([1.1]))
    tf.debugging.assert_rank(tf.zeros([2, 3]), 2)
    with pytest.raises(InvalidArgumentError, match="rank 2, got rank 1"):
        tf.debugging.assert_rank(tf.zeros([3]), 2)
    with pytest.raises(ValueError, match="dimension 'D'"):
        tf.debugging.assert_shapes([(tf.zeros([2, 3]), ("N", "D")), (tf.zeros([4]), ("D",))])


LABEL_MSG = r"label value of 3 .* valid range of \[0, 3\)"


@pytest.mark.parametrize("mode", ["eager", "numpy", "numba"])
def test_sparse_label_out_of_range(mode):
    logits = tf.constant(np.zeros((2, 3), np.float32))
    labels = tf.constant([0, 3])
    f = tf.nn.sparse_softmax_cross_entropy_with_logits
    if mode != "eager":
        f = tf.function(f, jit_compile=(mode == "numba"))
    with pytest.raises(InvalidArgumentError, match=LABEL_MSG):
        f(labels, logits)
    np.testing.assert_allclose(f(tf.constant([0, 2]), logits).numpy(), [np.log(3)] * 2, rtol=1e-6)
    loss = tf.keras.losses.SparseCategoricalCrossentropy()
    with pytest.raises(InvalidArgumentError, match=LABEL_MSG):
        loss(labels, tf.constant(np.full((2, 3), 1 / 3, np.float32)))


def test_sparse_label_out_of_range_in_fit():
    model = tf.keras.Sequential([tf.keras.layers.Dense(3)])
    model.compile("sgd", tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    x = np.zeros((4, 2), np.float32)
    with pytest.raises(InvalidArgumentError, match=r"label value of 5 .* \[0, 3\)"):
        model.fit(x, np.array([0, 1, 5, 2]), epochs=1, verbose=0)


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning")
def test_terminate_on_nan_stops_fit_at_the_first_bad_batch(capsys):
    # a learning rate of 1e30 makes the loss overflow after the first update
    x = np.linspace(-1, 1, 64, dtype=np.float32).reshape(32, 2)
    y = x.sum(1, keepdims=True) * 100
    m = tf.keras.Sequential([tf.keras.Input((2,)), tf.keras.layers.Dense(1)])
    m.compile(tf.keras.optimizers.SGD(1e30), "mse", jit_compile=False)
    seen = []
    cb = tf.keras.callbacks.LambdaCallback(
        on_train_batch_end=lambda b, logs: seen.append(logs["loss"]))
    hist = m.fit(x, y, epochs=5, batch_size=4, verbose=0,
                 callbacks=[cb, tf.keras.callbacks.TerminateOnNaN()])
    assert np.isfinite(seen[0]) and not np.isfinite(seen[-1])
    assert all(np.isfinite(seen[:-1])) and len(seen) < 8     # stopped inside epoch 1
    assert len(hist.history["loss"]) == 1
    assert "Invalid loss, terminating training" in capsys.readouterr().out


@pytest.mark.parametrize("jit", [False, True])
def test_assertions_on_symbolic_tensors_raise_when_the_graph_runs(jit):
    """TF: an assert_* on traced tensors is an op that fails at run time (not at trace time),
    also inside a graph loop, and passes values through unchanged when it holds."""
    @tf.function(jit_compile=jit)
    def f(x):
        tf.debugging.assert_positive(x, message="x must be positive")
        tf.debugging.assert_less(x, 10.0)
        for i in tf.range(2):
            tf.debugging.assert_near(x * 1.0, x)
        tf.debugging.Assert(tf.reduce_all(x < 5.0), ["too big:", x])
        return tf.sqrt(x)

    np.testing.assert_allclose(f(tf.constant([1.0, 4.0])).numpy(), [1.0, 2.0])
    with pytest.raises(InvalidArgumentError, match=r"x must be positive.*assert_positive"
                       r".*test_debugging.py:\d+.*x > y does not hold for 1 element"):
        f(tf.constant([1.0, -4.0]))
    with pytest.raises(InvalidArgumentError, match=r"assert_less failed.*x = \[1.0, 12.0\]"):
        f(tf.constant([1.0, 12.0]))
    with pytest.raises(InvalidArgumentError, match=r"assertion failed: too big: \[1. 6.\]"):
        f(tf.constant([1.0, 6.0]))
    np.testing.assert_allclose(f(tf.constant([0.25])).numpy(), [0.5])   # still usable


def test_assertion_on_concrete_values_checks_while_tracing():
    """All inputs known while tracing (a Python number, a captured eager tensor): TF's static
    check raises during the trace."""
    c = tf.constant([-1.0])

    @tf.function
    def g(x):
        tf.debugging.assert_non_negative(c)
        return x

    with pytest.raises(InvalidArgumentError, match="assert_non_negative failed"):
        g(tf.constant(1.0))
