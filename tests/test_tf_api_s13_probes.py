"""Small TF 2.21 parity fixes found by diffing probe scripts' output against TF's (session 13)."""
import graphflow as tf


def test_input_signature_is_a_tuple_as_tf():
    class M(tf.Module):
        def __init__(self):
            self.v = tf.Variable([1., 2.])

        @tf.function(input_signature=[tf.TensorSpec([2], tf.float32)])
        def __call__(self, x):
            return self.v * x

    m = M()
    assert m(tf.constant([3., 4.])).numpy().tolist() == [3., 8.]
    assert m.__call__.input_signature == (tf.TensorSpec(shape=(2,), dtype=tf.float32),)
    assert isinstance(m.__call__.input_signature, tuple)


def test_dtype_mismatch_is_a_type_error_while_tracing_and_invalid_argument_eagerly():
    """TF raises InvalidArgumentError for int32 + float32 eagerly and TypeError while tracing;
    graphflow's error is both, in both modes (the trace's re-raise keeps the error's kind)."""
    import pytest
    with pytest.raises(tf.errors.InvalidArgumentError, match="cannot mix dtypes int32 and float32"):
        tf.constant(1) + tf.constant(1.0)
    f = tf.function(lambda x, y: x + y)
    with pytest.raises(TypeError, match=r"cannot mix dtypes(.|\n)*while tracing"):
        f(tf.constant(1), tf.constant(1.0))
    with pytest.raises(ValueError, match="while tracing"):   # shapes: ValueError, as TF
        f(tf.ones((2, 3)), tf.ones((4, 5)))


def test_evaluate_builds_no_optimizer_slots_as_keras3():
    """The basic text classification tutorial's export model (compiled and evaluated, never
    trained): Keras 3 builds no optimizer there, so its summary has no 'Optimizer params'."""
    import numpy as np
    m = tf.keras.Sequential([tf.keras.Input((3,)), tf.keras.layers.Dense(1)])
    m.compile(loss="mse", optimizer="adam")
    assert m.optimizer.built is False
    m.evaluate(np.ones((4, 3)), np.ones((4, 1)), verbose=0)
    m.test_on_batch(np.ones((4, 3)), np.ones((4, 1)))
    assert m.optimizer.built is False and len(m.optimizer.variables) == 2
    lines = []
    m.summary(print_fn=lines.append)
    assert "Optimizer params" not in lines[0]
    m.fit(np.ones((4, 3)), np.ones((4, 1)), verbose=0)
    assert m.optimizer.built is True and len(m.optimizer.variables) == 6
