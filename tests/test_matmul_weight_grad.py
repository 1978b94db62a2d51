"""The gradient of a rank-2 matmul operand that a rank-3+ operand's batch dims broadcast (a
dense layer on (batch, time, features)) is one product over all rows, not one per batch entry
summed after: same values, eager and traced, with transpose_b, an unknown batch dim, and
second order."""
import numpy as np
import pytest

import graphflow as tf
from conftest import check_grad


@pytest.mark.parametrize("transpose_b", [False, True])
def test_values_and_second_order(transpose_b):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((2, 3, 3, 4))
    b = rng.standard_normal((5, 4) if transpose_b else (4, 5))
    check_grad(lambda a, b: tf.matmul(a, b, transpose_b=transpose_b), [a, b])


def test_unknown_batch_dim_one_product():
    rng = np.random.default_rng(1)
    a, w = rng.standard_normal((6, 7, 4)), rng.standard_normal((6, 7, 5))
    b = rng.standard_normal((4, 5))

    @tf.function(input_signature=[tf.TensorSpec([None, 7, 4], tf.float64),
                                  tf.TensorSpec([4, 5], tf.float64),
                                  tf.TensorSpec([None, 7, 5], tf.float64)])
    def f(a, b, w):
        with tf.GradientTape() as t:
            t.watch(b)
            loss = tf.reduce_sum(tf.matmul(a, b) * w)
        return t.gradient(loss, b)
    np.testing.assert_allclose(f(a, b, w).numpy(), np.einsum("bik,bin->kn", a, w), rtol=1e-12)
    g = f.get_concrete_function().optimized.nx
    assert [tuple(d["shape"]) for _, d in g.nodes(data=True) if d["op"] == "matmul"] == [(4, 5)]
