"""Differences from TF 2.21 found by probing API families (image, signal, linalg, random,
...) against TF: each test pins what TF printed for the same call."""
import numpy as np
import pytest

import graphflow as tf

N = [[0., 2., 1.], [3., 1., 4.], [1., 5., 9.]]


def test_matmul_adjoint_flags():
    # TF: adjoint_a / adjoint_b were silently ignored (matmul swallowed unknown keywords)
    n = np.array(N, np.float32)
    assert tf.matmul(n, n, transpose_a=True, adjoint_b=True).numpy()[0].tolist() == [7., 7., 24.]
    c = tf.complex(tf.constant(n), tf.constant(n * 0.5))
    want = np.conj(c.numpy()).T @ c.numpy()
    np.testing.assert_allclose(tf.linalg.matmul(c, c, adjoint_a=True).numpy(), want, rtol=1e-5)
    assert tf.matmul(n, n, output_type=tf.float64).dtype == tf.float64
    with pytest.raises(ValueError, match="Only one of transpose_a and adjoint_a"):
        tf.matmul(n, n, transpose_a=True, adjoint_a=True)


def test_tridiagonal_solve_matrix_format_reads_three_diagonals():
    t = np.array(N, np.float32) + 10 * np.eye(3, dtype=np.float32)
    x = tf.linalg.tridiagonal_solve(t, [[1.], [2.], [3.]], diagonals_format="matrix")
    np.testing.assert_allclose(x.numpy().ravel(), [0.0771, 0.1143, 0.1278], atol=1e-4)


def test_cholesky_not_positive_definite_gives_nan():
    # TF 2.21's CPU kernel raises nothing: the failing matrix's lower triangle is NaN
    out = tf.linalg.cholesky(tf.constant([[[4., 2.], [2., 5.]], [[1., 2.], [2., 1.]]])).numpy()
    assert out[0].tolist() == [[2., 0.], [1., 2.]]
    assert np.isnan(out[1][np.tril_indices(2)]).all()
