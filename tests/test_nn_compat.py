"""tf.nn.embedding_lookup_sparse / safe_embedding_lookup_sparse, embedding_lookup(max_norm),
isotonic_regression, approx_max_k/min_k and batch_norm_with_global_normalization against the
values TF 2.21 printed for the same inputs, with gradients."""
import numpy as np
import pytest

import graphflow as tf


def _params():
    return tf.constant(np.arange(12.).reshape(4, 3), tf.float32)


def test_embedding_lookup_sparse_combiners_match_tf():
    ids = tf.SparseTensor([[0, 0], [0, 1], [1, 0], [2, 0]], tf.constant([0, 2, 1, 1], tf.int64),
                          [3, 2])
    w = tf.SparseTensor([[0, 0], [0, 1], [1, 0], [2, 0]], tf.constant([1., 2., 3., 4.]), [3, 2])
    want = {("sum", True): [[12, 15, 18], [9, 12, 15], [12, 16, 20]],
            ("sum", False): [[6, 8, 10], [3, 4, 5], [3, 4, 5]],
            ("mean", True): [[4, 5, 6], [3, 4, 5], [3, 4, 5]],
            ("mean", False): [[3, 4, 5], [3, 4, 5], [3, 4, 5]],
            ("sqrtn", True): [[5.366563, 6.708204, 8.049845], [3, 4, 5], [3, 4, 5]],
            ("sqrtn", False): [[4.2426405, 5.656854, 7.071068], [3, 4, 5], [3, 4, 5]]}
    for (comb, weighted), v in want.items():
        got = tf.nn.embedding_lookup_sparse(_params(), ids, w if weighted else None,
                                            combiner=comb)
        np.testing.assert_allclose(got.numpy(), v, rtol=1e-6, err_msg=f"{comb} {weighted}")
    # trailing rows without ids are dropped; max_norm clips every embedding first (TF)
    sp = tf.SparseTensor([[0, 0], [2, 0]], tf.constant([1, 2], tf.int64), [4, 2])
    assert tf.nn.embedding_lookup_sparse(_params(), sp, None).numpy().tolist() == [
        [3, 4, 5], [0, 0, 0], [6, 7, 8]]
    two = tf.SparseTensor([[0, 0], [0, 1]], tf.constant([1, 2], tf.int64), [2, 2])
    np.testing.assert_allclose(
        tf.nn.embedding_lookup_sparse(_params(), two, None, max_norm=3.).numpy(),
        [[1.3737049, 1.7087216, 2.0437384]], rtol=1e-6)


def test_safe_embedding_lookup_sparse_matches_tf():
    sp = tf.SparseTensor([[0, 0], [0, 1], [2, 0]], tf.constant([0, -1, 3], tf.int64), [4, 2])
    assert tf.nn.safe_embedding_lookup_sparse(_params(), sp).numpy().tolist() == [
        [0, 1, 2], [0, 0, 0], [9, 10, 11], [0, 0, 0]]
    assert tf.nn.safe_embedding_lookup_sparse(_params(), sp, combiner="sum",
                                              default_id=1).numpy().tolist() == [
        [0, 1, 2], [3, 4, 5], [9, 10, 11], [3, 4, 5]]
    sp3 = tf.SparseTensor([[0, 0, 0], [1, 1, 0]], tf.constant([1, 3], tf.int64), [2, 2, 2])
    assert tf.nn.safe_embedding_lookup_sparse(_params(), sp3).numpy().tolist() == [
        [[3, 4, 5], [0, 0, 0]], [[0, 0, 0], [9, 10, 11]]]
    sp = tf.SparseTensor([[0, 0], [2, 0]], tf.constant([1, 2], tf.int64), [4, 2])
    w = tf.SparseTensor([[0, 0], [2, 0]], tf.constant([0.5, 2.]), [4, 2])
    assert tf.nn.safe_embedding_lookup_sparse(_params(), sp, w, combiner="sqrtn").numpy(
    ).tolist() == [[3, 4, 5], [0, 0, 0], [6, 7, 8], [0, 0, 0]]


def test_embedding_lookup_sparse_gradient_reaches_params():
    p = tf.Variable(_params())
    ids = tf.SparseTensor([[0, 0], [0, 1], [1, 0]], tf.constant([0, 2, 2], tf.int64), [2, 2])
    with tf.GradientTape() as t:
        loss = tf.reduce_sum(tf.nn.embedding_lookup_sparse(p, ids, None, combiner="mean"))
    g = tf.convert_to_tensor(t.gradient(loss, p)).numpy()
    np.testing.assert_allclose(g[:, 0], [0.5, 0, 1.5, 0])   # row 0: mean of 2; row 1: id 2


def test_isotonic_regression_matches_tf_and_its_gradient_averages_runs():
    out, seg = tf.nn.isotonic_regression(tf.constant([[3., 1., 2.], [1., 3., 4.]]))
    np.testing.assert_allclose(out.numpy(), [[3, 1.5, 1.5], [2.6666667] * 3], rtol=1e-6)
    assert seg.numpy().tolist() == [[0, 1, 1], [0, 0, 0]] and seg.dtype == tf.int32
    out, seg = tf.nn.isotonic_regression(tf.constant([[3., 1., 2.]]), decreasing=False)
    assert out.numpy().tolist() == [[2, 2, 2]] and seg.numpy().tolist() == [[0, 0, 1]]
    v = tf.Variable([[3., 1., 2., 5.]])
    with tf.GradientTape() as t:
        o, _ = tf.nn.isotonic_regression(v)
        loss = tf.reduce_sum(o * tf.constant([[1., 2., 3., 4.]]))
    np.testing.assert_allclose(t.gradient(loss, v).numpy(), [[1, 3, 3, 3]])
    f = tf.function(lambda a: tf.nn.isotonic_regression(a, axis=0)[0])
    np.testing.assert_allclose(f(tf.constant([[3., 1.], [1., 3.], [2., 4.]])).numpy(),
                               [[3, 2.6666667], [1.5, 2.6666667], [1.5, 2.6666667]], rtol=1e-6)


def test_approx_k_and_global_normalization_match_tf():
    v, i = tf.nn.approx_max_k(tf.constant([[1., 5., 3.], [4., 2., 6.]]), 2)
    assert v.numpy().tolist() == [[5, 3], [6, 4]] and i.numpy().tolist() == [[1, 2], [2, 0]]
    v, i = tf.nn.approx_min_k(tf.constant([[1., 5., 3.], [4., 2., 6.]]), 2)
    assert v.numpy().tolist() == [[1, 3], [2, 4]] and i.numpy().tolist() == [[0, 2], [1, 0]]
    x = tf.constant([[1., 2.], [3., 4.]])
    out = tf.nn.batch_norm_with_global_normalization(
        x, tf.constant([1., 2.]), tf.constant([1., 4.]), tf.constant([.5, .5]),
        tf.constant([2., 3.]), 0.001, True)
    np.testing.assert_allclose(out.numpy(), [[0.5, 0.5], [4.498002, 3.4996252]], rtol=1e-6)
    with pytest.raises(TypeError, match="SparseTensor"):
        tf.nn.embedding_lookup_sparse(_params(), [[0, 1]], None)


def test_edit_distance_matches_tf():
    h = tf.sparse.SparseTensor([[0, 0], [0, 1], [1, 0]], ["a", "b", "c"], [2, 2])
    t = tf.sparse.SparseTensor([[0, 0], [1, 0], [1, 1]], ["a", "c", "d"], [2, 2])
    assert tf.edit_distance(h, t).numpy().tolist() == [1.0, 0.5]
    assert tf.edit_distance(h, t, normalize=False).numpy().tolist() == [1.0, 1.0]
    h = tf.sparse.SparseTensor([[0, 0, 0], [1, 0, 0]], ["a", "b"], (2, 1, 1))
    t = tf.sparse.SparseTensor([[0, 1, 0], [1, 0, 0], [1, 0, 1], [1, 1, 0]],
                               ["a", "b", "c", "a"], (2, 2, 2))
    assert tf.edit_distance(h, t).numpy().tolist() == [[np.inf, 1.0], [0.5, 1.0]]
    with pytest.raises(tf.errors.InvalidArgumentError, match="edit_distance.*same rank"):
        tf.edit_distance(h, tf.sparse.SparseTensor([[0, 0]], ["a"], [1, 1]))
