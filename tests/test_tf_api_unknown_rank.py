"""`tf.TensorShape(None)` (unknown rank) and ConcreteFunction's variables/output_dtypes, as TF 2.21
prints them (expected values copied from TF's output for the same code)."""
import pytest

import graphflow as tf


def test_unknown_rank_shape_as_tf():
    s = tf.TensorShape(None)
    assert (repr(s), str(s), s.rank, s.ndims, s.dims) == ("TensorShape(None)", "<unknown>",
                                                         None, None, None)
    assert not s.is_fully_defined() and s.num_elements() is None
    assert s.is_compatible_with([1, 2]) and tf.TensorShape([3]).is_compatible_with(s)
    assert s == tf.TensorShape(None) and s != tf.TensorShape([]) and tf.TensorShape([]) != s
    assert s.merge_with([1, None]) == [1, None] and tf.TensorShape([2]).merge_with(s) == [2]
    assert tf.TensorShape([1]).concatenate(s).rank is None
    with pytest.raises(ValueError, match="unknown TensorShape"):
        s.as_list()
    assert str(tf.TensorSpec(None, tf.float32)) == \
        "TensorSpec(shape=<unknown>, dtype=tf.float32, name=None)"
    assert str(tf.TensorShape([None, 3])) == "(None, 3)"


def test_concrete_function_variables_and_output_dtypes():
    v, w = tf.Variable(2.0), tf.Variable(1.0, trainable=False)

    @tf.function
    def f(x):
        return x * v + w, x > 0

    cf = f.get_concrete_function(tf.TensorSpec([], tf.float32))
    assert [x is v for x in cf.variables] == [True, False] and cf.variables[1] is w
    assert cf.trainable_variables == (v,)
    assert cf.output_dtypes == (tf.float32, tf.bool)
    assert cf(tf.constant(3.0))[0].numpy() == 7.0
