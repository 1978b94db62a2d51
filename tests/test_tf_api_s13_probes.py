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
