"""Bad input raises errors that name the op and the offending shapes / dtypes."""
import numpy as np
import pytest

import graphflow as tf
from graphflow.errors import InvalidArgumentError, OpError


def _message(fn):
    with pytest.raises(InvalidArgumentError) as ei:
        fn()
    assert isinstance(ei.value, (OpError, ValueError))
    return str(ei.value)


def test_add_shape_mismatch():
    msg = _message(lambda: tf.ones((2, 3)) + tf.ones((3, 2)))
    assert msg.startswith("add:") and "(2, 3)" in msg and "(3, 2)" in msg and "broadcast" in msg
    msg = _message(lambda: tf.add(tf.ones((2,)), tf.ones((3,))))
    assert msg.startswith("add:") and "(2,)" in msg and "(3,)" in msg
    # under a tape (no fast path) the same error
    x = tf.Variable(tf.ones((2,)))
    with tf.GradientTape():
        msg = _message(lambda: x * tf.ones((3,)))
    assert msg.startswith("multiply:") and "(2,)" in msg and "(3,)" in msg


def test_matmul_shape_mismatch():
    msg = _message(lambda: tf.matmul(tf.ones((2, 3)), tf.ones((2, 3))))
    assert msg.startswith("matmul:") and "(2, 3) float32, (2, 3) float32" in msg
    assert "3 vs 2" in msg
    msg = _message(lambda: tf.matmul(tf.ones((2, 3)), tf.ones((2, 3)), transpose_b=True,
                                     transpose_a=True))
    assert "transpose_a=True" in msg
    msg = _message(lambda: tf.ones((2, 3)) @ tf.ones((3,)))
    assert msg.startswith("matmul:") and "rank" in msg and "(3,)" in msg
    msg = _message(lambda: tf.matmul(tf.ones((2, 2, 3)), tf.ones((3, 3, 4))))
    assert "batch" in msg and "(2, 2, 3)" in msg and "(3, 3, 4)" in msg


def test_assign_with_wrong_shape():
    v = tf.Variable(tf.zeros((3, 1)), name="kernel")
    msg = _message(lambda: v.assign(tf.ones((1, 3))))
    assert msg.startswith("assign") and "'kernel:0'" in msg and "(3, 1)" in msg and "(1, 3)" in msg
    msg = _message(lambda: v[0].assign([1., 2.]))
    assert "slice" in msg and "(1,)" in msg and "(2,)" in msg
    msg = _message(lambda: v.assign_add(tf.ones((2,))))
    assert "(3, 1)" in msg and "(3, 2)" in msg   # v + delta broadcast to (3, 2)
    np.testing.assert_array_equal(v.numpy(), np.zeros((3, 1)))


def test_assign_with_wrong_dtype():
    v = tf.Variable([1, 2])
    msg = _message(lambda: v.assign(tf.constant([1., 2.])))
    assert "float32" in msg and "int32" in msg


@pytest.mark.parametrize("fn,name,dts", [
    (lambda: tf.constant(1.) + tf.constant(1., tf.float64), "add", ("float32", "float64")),
    (lambda: tf.constant([1.]) * tf.constant([1]), "multiply", ("float32", "int32")),
    (lambda: tf.maximum(tf.constant([1], tf.int64), tf.constant([1])), "maximum",
     ("int64", "int32")),
    (lambda: tf.concat([tf.ones((1, 2)), tf.ones((1, 2), tf.float64)], 0), "concat",
     ("float32", "float64")),
    (lambda: tf.where(tf.constant([True]), tf.constant([1.]), tf.constant([1])), "where",
     ("float32", "int32")),
    (lambda: tf.matmul(tf.ones((2, 2)), tf.ones((2, 2), tf.float16)), "matmul",
     ("float32", "float16")),
])
def test_mixed_dtypes(fn, name, dts):
    msg = _message(fn)
    assert msg.startswith(name + ":"), msg
    for d in dts:
        assert d in msg
    assert "cast" in msg


@pytest.mark.parametrize("fn,name,frag", [
    (lambda: tf.sqrt(tf.constant([4])), "sqrt", "int32"),
    (lambda: tf.logical_and(tf.constant([1.]), tf.constant([1.])), "logical_and", "float32"),
    (lambda: tf.reshape(tf.ones((2, 2)), (3,)), "reshape", "(2, 2)"),
    (lambda: tf.reshape(tf.ones((2, 2)), (-1, 3)), "reshape", "(2, 2)"),
    (lambda: tf.transpose(tf.ones((2, 3)), [0, 0]), "transpose", "(2, 3)"),
    (lambda: tf.broadcast_to(tf.ones((3,)), (2, 2)), "broadcast_to", "(2, 2)"),
    (lambda: tf.tile(tf.ones((3,)), [2, 2]), "tile", "(3,)"),
    (lambda: tf.concat([tf.ones((2, 2)), tf.ones((2, 3))], 0), "concat", "(2, 3)"),
    (lambda: tf.reduce_sum(tf.ones((3,)), axis=3), "reduce_sum", "(3,)"),
    (lambda: tf.split(tf.ones((5,)), 2), "split", "(5,)"),
    (lambda: tf.squeeze(tf.ones((2, 3)), 0), "squeeze", "(2, 3)"),
    (lambda: tf.gather(tf.ones((2, 2)), [5]), "gather", "(2, 2)"),
    (lambda: tf.gather(tf.ones((2, 2)), tf.constant([0.])), "gather", "float32"),
    (lambda: tf.one_hot(tf.constant([1.]), 2), "one_hot", "float32"),
    (lambda: tf.ones((2, 2))[3], "getitem", "(2, 2)"),
    (lambda: tf.where(tf.constant([1.]), 1., 2.), "where", "bool"),
    (lambda: tf.nn.softmax_cross_entropy_with_logits(tf.ones((2, 3)), tf.ones((2, 4))),
     "softmax_cross_entropy_with_logits", "(2, 4)"),
    (lambda: tf.nn.sparse_softmax_cross_entropy_with_logits(tf.constant([0, 1, 2]),
                                                            tf.ones((2, 4))),
     "sparse_softmax_cross_entropy_with_logits", "(3,)"),
])
def test_other_bad_inputs_name_the_op(fn, name, frag):
    msg = _message(fn)
    assert msg.startswith(name + ":"), msg
    assert frag in msg, msg


def test_gradient_of_int_source_is_none_and_explained():
    i = tf.constant([1, 2, 3])
    with tf.GradientTape() as tape:
        with pytest.warns(UserWarning, match="int32"):
            tape.watch(i)
        y = tf.reduce_sum(tf.cast(i, tf.float32))
    with pytest.warns(UserWarning) as w:   # None as TF; explain=True says why
        assert tape.gradient(y, i, explain=True) is None
    msg = str(w[-1].message)
    assert "int32" in msg and "(3,)" in msg and "cast" in msg


def test_gradient_of_int_target_is_none_and_explained():
    x = tf.Variable(1.)
    with tf.GradientTape() as tape:
        y = tf.cast(x, tf.int32)
    with pytest.warns(UserWarning, match="target has dtype int32"):
        assert tape.gradient(y, x, explain=True) is None


def test_gradient_with_bad_sources_and_targets():
    x = tf.Variable(1.)
    with tf.GradientTape(persistent=True) as tape:
        y = x * 2.
    with pytest.raises(TypeError, match="source 0"):
        tape.gradient(y, 3.0)
    with pytest.raises(TypeError, match="target 0"):
        tape.gradient(np.float32(1.), x)


def test_python_conversion_errors():
    with pytest.raises((TypeError, ValueError), match="0.5"):
        tf.constant([1, 2]) + 0.5
    with pytest.raises(TypeError):
        tf.constant(object())


# ============================================================== review regressions
def test_gather_rejects_negative_indices_as_tf():
    msg = _message(lambda: tf.gather(tf.constant([1, 2, 3]), [-1]))
    assert "gather" in msg and "[0, 3)" in msg


def test_split_sizes_must_be_valid():
    x = tf.ones((3,))
    assert "split" in _message(lambda: tf.split(x, [5, -1]))       # -1 would be -2
    assert "at most one" in _message(lambda: tf.split(x, [-1, -1]))
    assert "split" in _message(lambda: tf.split(x, 0))
    assert [t.shape[0] for t in tf.split(x, [1, -1])] == [1, 2]


def test_transpose_perm_out_of_range_is_an_error_not_wrapped():
    msg = _message(lambda: tf.transpose(tf.ones((2, 3)), [0, 3]))
    assert "transpose" in msg and "(2, 3) float32" in msg
    assert tf.transpose(tf.ones((2, 3)), [-1, 0]).shape == (3, 2)


def test_concat_of_scalars_and_zero_step_slice_name_the_op():
    assert "concat" in _message(lambda: tf.concat([tf.constant(1.), tf.constant(2.)], 0))
    assert "getitem" in _message(lambda: tf.constant([1, 2, 3])[::0])


def test_integer_division_by_zero_raises():
    msg = _message(lambda: tf.constant([1]) // tf.constant([0]))
    assert "floordiv" in msg and "division by zero" in msg
    assert "mod" in _message(lambda: tf.constant([1]) % 0)

    @tf.function(jit_compile=False)
    def f(x, y):
        return x // y
    msg = _message(lambda: f(tf.constant([1]), tf.constant([0])))
    assert "floordiv" in msg and "test_errors.py" in msg


def test_sigmoid_cross_entropy_needs_equal_shapes():
    msg = _message(lambda: tf.nn.sigmoid_cross_entropy_with_logits(labels=tf.ones((2, 1)),
                                                                   logits=tf.ones((2,))))
    assert "same shape" in msg and "(2, 1) float32" in msg


def test_one_hot_axis_out_of_range():
    # the shape rule and the numpy impl disagreed for axis < -1
    assert "one_hot" in _message(lambda: tf.one_hot([[0, 1]], 2, axis=-2))
    assert tf.one_hot([[0, 1]], 2, axis=0).shape == (2, 1, 2)
