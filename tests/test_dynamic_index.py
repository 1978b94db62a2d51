"""Indexing with traced bounds inside `@function` (TF's StridedSlice / Slice /
TensorStridedSliceUpdate with tensor bounds): `x[i, 1]`, `x[:n]`, `tf.slice(x, [i, 0], ...)`,
`tf.strided_slice` with tensor `end`, `v[i].assign(...)` - values against eager mode on the
numpy executor and on numba, the traced static shapes TF 2.21 gives, gradients to second
order against finite differences, run-time errors naming the op and the user's line.
"""
import numpy as np
import pytest

import graphflow as tf
from conftest import check_grad

MODES = [pytest.param(False, id="numpy"), pytest.param(None, id="numba")]   # jit_compile
X = np.arange(24.).reshape(4, 3, 2).astype(np.float32)

# (pattern, the static shape TF 2.21 traces for x: [4, 3, 2] float32, i: [] int32)
CASES = {
    "x[i, 1]": (lambda x, i: x[i, 1], (2,)),
    "x[-i]": (lambda x, i: x[-i], (3, 2)),
    "x[:i]": (lambda x, i: x[:i], (None, 3, 2)),
    "x[i:]": (lambda x, i: x[i:], (None, 3, 2)),
    "x[i:i+2]": (lambda x, i: x[i:i + 2], (None, 3, 2)),
    "x[:, :i]": (lambda x, i: x[:, :i], (4, None, 2)),
    "x[None, i, ::-1]": (lambda x, i: x[None, i, ::-1], (1, 3, 2)),
    "x[i::-1]": (lambda x, i: x[i::-1], (None, 3, 2)),
    "x[-i, ..., 1]": (lambda x, i: x[-i - 1, ..., 1], (3,)),
    "slice": (lambda x, i: tf.slice(x, [i, 0, 0], [2, 3, -1]), (2, 3, 2)),
    "slice_size_-1": (lambda x, i: tf.slice(x, [i, 0, 1], [-1, 2, 1]), (None, 2, 1)),
    "slice_stacked": (lambda x, i: tf.slice(x, tf.stack([i - 1, 1, 0]), [1, 2, 2]), (1, 2, 2)),
    "strided_slice": (lambda x, i: tf.strided_slice(x, [0, 0, 0], [i, 3, 2], [1, 2, 1]),
                      (None, 2, 2)),
}


@pytest.mark.parametrize("jit", MODES)
@pytest.mark.parametrize("name", list(CASES))
def test_traced_bounds_match_eager_and_tf_shapes(name, jit):
    fn, tf_shape = CASES[name]
    f = tf.function(fn, jit_compile=jit)
    cf = f.get_concrete_function(tf.TensorSpec([4, 3, 2], tf.float32), tf.TensorSpec([], tf.int32))
    assert tuple(cf.structured_outputs.shape) == tf_shape
    for i in (1, 2):
        want = fn(tf.constant(X), tf.constant(i)).numpy()   # eager: Python indexing
        got = f(tf.constant(X), tf.constant(i)).numpy()
        np.testing.assert_array_equal(got, want)


def test_numpy_semantics_of_negative_and_clamped_bounds():
    f = tf.function(lambda x, a, b: x[a:b])
    x = tf.constant(np.arange(6))
    for a, b in [(-2, 10), (4, 2), (-10, -3), (0, 0)]:
        np.testing.assert_array_equal(f(x, tf.constant(a), tf.constant(b)).numpy(),
                                      np.arange(6)[a:b])


@pytest.mark.parametrize("jit", MODES)
def test_loop_counter_indexing_and_variable_slice_assign(jit):
    v = tf.Variable(np.zeros((4, 3), np.float32))

    @tf.function(jit_compile=jit)
    def fill(x):
        s = tf.zeros([3])
        for i in tf.range(4):
            v[i].assign(x[i, :, 0] * tf.cast(i, tf.float32))
            v[i, 1].assign(x[i, 0, 1])
            s += x[i, :, 1] + x[i, 0, 0]
        v[2:, 2].assign(tf.ones([2]) * 7.)
        return s
    s = fill(tf.constant(X))
    want = np.zeros((4, 3), np.float32)
    for i in range(4):
        want[i] = X[i, :, 0] * i
        want[i, 1] = X[i, 0, 1]
    want[2:, 2] = 7.
    np.testing.assert_array_equal(v.numpy(), want)
    np.testing.assert_array_equal(s.numpy(), sum(X[i, :, 1] + X[i, 0, 0] for i in range(4)))


def test_gradients_through_traced_slices_second_order():
    def loss(x, u):
        i = tf.cast(tf.reduce_sum(tf.ones_like(u)), tf.int32) - 2   # 1, traced in the graph
        y = x[i:, 1] ** 3 + tf.reduce_sum(tf.slice(x, [i, 0], [2, 2]) ** 2)
        z = tf.tensor_scatter_nd_update(x, [[0]], [u]) if False else x
        return tf.reduce_sum(tf.sin(y)) + tf.reduce_sum(z[i - 1] * u)
    R = np.random.default_rng(0)
    check_grad(tf.function(loss), [R.normal(size=(4, 3)), R.normal(size=3)])


def test_runtime_errors_name_the_op_shapes_and_line():
    f = tf.function(lambda x, i: x[i, 1])
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"(?s)dynamic_getitem.*test_dynamic_index.py.*index 5 is out of "
                             r"bounds for axis 0 with size 4"):
        f(tf.constant(X), tf.constant(5))
    g = tf.function(lambda x, i: tf.slice(x, [i, 0, 0], [2, 3, 2]))
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"begin 3 and size 2 are out of bounds"):
        g(tf.constant(X), tf.constant(3))
    v = tf.Variable(np.zeros((3, 2), np.float32))
    h = tf.function(lambda i: v[i:].assign(tf.ones([2, 2])))
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"slice has shape \[1, 2\] but the "
                                                              r"value has shape \[2, 2\]"):
        h(tf.constant(2))
    with pytest.raises(TypeError, match="integer scalars"):
        tf.function(lambda x, j: x[j, 0])(tf.constant(X), tf.constant(1.))


def test_einsum_and_slices_of_a_run_time_sized_tensor():
    @tf.function(jit_compile=False)
    def f(n):
        ta = tf.TensorArray(tf.float32, size=0, dynamic_size=True)
        for i in tf.range(n):
            ta = ta.write(i, tf.range(3, dtype=tf.float32) + tf.cast(i, tf.float32))
        x = ta.stack()   # shape (None, 3): its rows are known only when the graph runs
        return tf.einsum("ij,kj->ik", x, x), x[1:tf.shape(x)[0] - 1]
    xs = np.arange(3)[None, :] + np.arange(4)[:, None]
    gram, mid = f(tf.constant(4))
    np.testing.assert_array_equal(gram.numpy(), xs @ xs.T)
    np.testing.assert_array_equal(mid.numpy(), xs[1:3])


def test_loops_reading_rows_by_a_traced_index_compile_to_one_loop(sync_compile):
    """`for i in tf.range(n): ... x[i] ...` (and windows, negative indices, the reverse loop of
    the gradient writing rows back) runs as one compiled numba loop, equal to the numpy
    executor; an index out of range is still TF's error."""
    def body(x, w):
        s = tf.zeros([3], x.dtype)
        for i in tf.range(tf.shape(x)[0] - 1):
            s = tf.tanh(s * w + x[i] + x[-i - 1] * x[i, 1]) + tf.slice(x, [i, 0], [2, 3])[1]
        return tf.reduce_sum(s * s)

    def loss_and_grad(x, w):
        with tf.GradientTape() as t:
            t.watch([x, w])
            y = body(x, w)
        return [y] + t.gradient(y, [x, w])
    R = np.random.default_rng(3)
    x, w = R.normal(size=(6, 3)), R.normal(size=3)
    fast = tf.function(loss_and_grad)
    ref = tf.function(loss_and_grad, jit_compile=False)(x, w)
    got = fast(x, w)
    for a, b in zip(got, ref):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-10)
    plan = fast.kernel_plan(x, w)
    loops = [ln for ln in plan.splitlines() if ln.strip().startswith("loop:")]
    assert len(loops) >= 2 and all("one compiled loop" in ln for ln in loops), plan
    bad = tf.function(lambda x, n: tf.reduce_sum(tf.map_fn(lambda i: x[i], tf.range(n),
                                                            fn_output_signature=tf.float64)))
    with pytest.raises(tf.errors.InvalidArgumentError, match="out of bounds"):
        bad(tf.constant(x), tf.constant(8))


def test_tensor_array_of_a_static_size_written_in_a_compiled_loop(sync_compile):
    """A TensorArray(size=n) written row by row in `for i in tf.range(n)` is one zeros node
    (not n), and the loop (with constants among its arguments) compiles and equals numpy."""
    def f(x):
        ta = tf.TensorArray(tf.float32, size=5)
        s = tf.zeros([3])
        for i in tf.range(tf.shape(x)[0]):
            s = tf.tanh(s + x[i])
            ta = ta.write(i, s)
        return ta.stack()
    x = tf.constant(np.random.default_rng(4).normal(size=(5, 3)).astype(np.float32))
    fast = tf.function(f)
    np.testing.assert_allclose(fast(x).numpy(), tf.function(f, jit_compile=False)(x).numpy(),
                               rtol=1e-5)   # (float32 tanh: vmath's is within 2 ulp of numpy's)
    assert len(fast.get_concrete_function(x).graph.nodes) < 40
    assert "one compiled loop" in fast.kernel_plan(x)
