"""Calls whose arguments are tuples/lists of Tensors and numpy arrays (Keras' (x, y) batches, a
dataset map's element) reuse the trace found for the same structure, dtypes and shapes without
binding them again: same results as the first call, new shapes/dtypes/structures still trace,
numpy inputs are copied (outputs never alias them)."""
import numpy as np

import graphflow as tf


def test_nested_arguments_reuse_their_trace_and_keep_values():
    traces = []

    @tf.function(jit_compile=False)
    def f(batch):
        traces.append(1)
        (x, w), y = batch
        return tf.reduce_sum(x * w, axis=1) + tf.cast(y, x.dtype)

    rs = np.random.RandomState(0)
    for _ in range(3):
        x, w, y = rs.randn(4, 3).astype("f4"), tf.constant(rs.randn(3).astype("f4")), \
            rs.randint(0, 5, 4).astype("i4")
        np.testing.assert_allclose(f(((x, w), y)).numpy(), (x * w.numpy()).sum(1) + y, rtol=1e-6)
    assert len(traces) == 1
    f(((rs.randn(2, 3).astype("f4"), w), y[:2]))            # another shape: a new trace
    f([[rs.randn(2, 3).astype("f4"), w], y[:2]])             # lists: another structure
    f(((rs.randn(2, 3), tf.constant(np.ones(3))), y[:2]))    # float64: another dtype
    assert len(traces) == 4


def test_numpy_arguments_are_copied_on_the_fast_path():
    f = tf.function(lambda t: tf.identity(t[0]), jit_compile=False)
    a = np.arange(3.0)
    f((a, a))
    out = f((a, a))
    a[:] = -1
    np.testing.assert_array_equal(out.numpy(), [0.0, 1.0, 2.0])


def test_input_signature_trace_keeps_the_signature_shapes():
    """get_concrete_function() without arguments traces on a stand-in of size 1 per unknown
    dim; its signature still says None (and a saved model accepts any size)."""
    f = tf.function(lambda x: x * 2., input_signature=[tf.TensorSpec([None, 3], tf.float32)])
    cf = f.get_concrete_function()
    (spec,), _ = cf.structured_input_signature
    assert tuple(spec.shape) == (None, 3)
    np.testing.assert_array_equal(cf(tf.ones([4, 3])).numpy(), np.full((4, 3), 2.0))
