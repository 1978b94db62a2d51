"""`tf.keras.backend`'s Keras 2 functions (K.mean, K.batch_dot, K.rnn, K.ctc_batch_cost, ...):
89 calls whose printed values equal what TF 2.21 printed (tests/data/tf_guides/
keras_legacy_backend.py + .tf_output.txt), and gradients through them."""
import numpy as np

import graphflow as tf
from test_tf_guides_output import check_guide


def test_legacy_backend_values_match_tf(tmp_path):
    check_guide("keras_legacy_backend", tmp_path)


def test_legacy_backend_functions_trace_and_differentiate():
    K = tf.keras.backend
    w = tf.Variable(np.array([[0.5, -1.0], [2.0, 0.25]], np.float32))

    @tf.function
    def loss(x):
        with tf.GradientTape() as t:
            h = K.relu(K.dot(x, w))
            v = K.mean(K.square(h - K.clip(h, 0.0, 1.0))) + K.sum(K.batch_dot(h, h, axes=1))
        return v, t.gradient(v, w)

    x = np.array([[1.0, 2.0], [3.0, -1.0]], np.float32)
    v, g = loss(tf.constant(x))
    with tf.GradientTape() as t:   # the same value eagerly through core ops
        h = tf.nn.relu(tf.matmul(x, w))
        e = tf.reduce_mean(tf.square(h - tf.clip_by_value(h, 0.0, 1.0))) + tf.reduce_sum(h * h)
    np.testing.assert_allclose(v.numpy(), e.numpy(), rtol=1e-6)
    np.testing.assert_allclose(g.numpy(), t.gradient(e, w).numpy(), rtol=1e-6)
