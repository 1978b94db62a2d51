"""tf.sparse breadth: expand_dims, reshape, reset_shape, fill_empty_rows, maximum/minimum,
segment_sum/mean/sqrt_n, softmax, split, bincount, cross, mask. Expected values are what TF 2.21
printed for the same calls."""
import numpy as np
import pytest

import graphflow as tf


def coo(st):
    return (st.indices.numpy().tolist(), st.values.numpy().tolist(),
            st.dense_shape.numpy().tolist())


ST = tf.sparse.SparseTensor([[0, 1], [1, 0], [2, 3]], [1., 2., 3.], [3, 4])


def test_expand_dims_reshape_reset_shape():
    v = [1.0, 2.0, 3.0]
    assert coo(tf.sparse.expand_dims(ST, 0)) == ([[0, 0, 1], [0, 1, 0], [0, 2, 3]], v, [1, 3, 4])
    assert coo(tf.sparse.expand_dims(ST, -1)) == ([[0, 1, 0], [1, 0, 0], [2, 3, 0]], v, [3, 4, 1])
    assert coo(tf.sparse.expand_dims(ST, 1)) == ([[0, 0, 1], [1, 0, 0], [2, 0, 3]], v, [3, 1, 4])
    assert coo(tf.sparse.reshape(ST, [2, 6])) == ([[0, 1], [0, 4], [1, 5]], v, [2, 6])
    assert coo(tf.sparse.reshape(ST, [4, -1])) == ([[0, 1], [1, 1], [3, 2]], v, [4, 3])
    assert coo(tf.sparse.reshape(ST, [2, 3, 2])) == ([[0, 0, 1], [0, 2, 0], [1, 2, 1]], v,
                                                     [2, 3, 2])
    assert coo(tf.sparse.reset_shape(ST, [5, 6])) == ([[0, 1], [1, 0], [2, 3]], v, [5, 6])
    assert coo(tf.sparse.reset_shape(ST)) == ([[0, 1], [1, 0], [2, 3]], v, [3, 4])
    with pytest.raises(ValueError, match="reshape"):
        tf.sparse.reshape(ST, [5, 5])


def test_fill_empty_rows():
    st2 = tf.sparse.SparseTensor([[0, 1], [2, 0], [3, 2]], [5., 6., 7.], [5, 4])
    out, empty = tf.sparse.fill_empty_rows(st2, -1.)
    assert coo(out) == ([[0, 1], [1, 0], [2, 0], [3, 2], [4, 0]], [5., -1., 6., 7., -1.],
                        [5, 4])
    assert empty.numpy().tolist() == [False, True, False, False, True]


def test_maximum_minimum():
    a = tf.sparse.SparseTensor([[0, 0], [1, 1], [2, 2]], [1., -2., 3.], [3, 3])
    b = tf.sparse.SparseTensor([[0, 0], [1, 2], [2, 2]], [4., 5., -1.], [3, 3])
    idx = [[0, 0], [1, 1], [1, 2], [2, 2]]
    assert coo(tf.sparse.maximum(a, b)) == (idx, [4., 0., 5., 3.], [3, 3])
    assert coo(tf.sparse.minimum(a, b)) == (idx, [1., -2., 0., -1.], [3, 3])


def test_segment_reductions_and_gradient():
    data = tf.constant([[1., 2.], [3., 4.], [5., 6.], [7., 8.]])
    assert tf.sparse.segment_sum(data, [0, 1, 3, 2], [0, 0, 1, 1]).numpy().tolist() == \
        [[4., 6.], [12., 14.]]
    assert tf.sparse.segment_mean(data, [0, 1, 3], [0, 0, 2]).numpy().tolist() == \
        [[2., 3.], [0., 0.], [7., 8.]]
    np.testing.assert_allclose(tf.sparse.segment_sqrt_n(data, [0, 1, 3], [0, 0, 2]),
                               [[2.8284270763397217, 4.242640495300293], [0., 0.], [7., 8.]],
                               rtol=1e-6)
    assert tf.sparse.segment_sum(data, [0, 1], [0, 2], num_segments=4).numpy().tolist() == \
        [[1., 2.], [0., 0.], [3., 4.], [0., 0.]]
    v = tf.Variable(data)
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(tf.sparse.segment_mean(v, [0, 1, 1], [0, 0, 1]))
    assert tape.gradient(y, v).numpy().tolist() == [[.5, .5], [1.5, 1.5], [0., 0.], [0., 0.]]


def test_softmax():
    sm = tf.sparse.SparseTensor([[0, 0], [0, 2], [1, 1], [1, 2], [1, 3]], [1., 2., .5, .5, 3.],
                                [2, 4])
    i, v, d = coo(tf.sparse.softmax(sm))
    assert i == [[0, 0], [0, 2], [1, 1], [1, 2], [1, 3]] and d == [2, 4]
    np.testing.assert_allclose(v, [0.2689414322376251, 0.7310585975646973, 0.07050946354866028,
                                   0.07050946354866028, 0.8589810729026794], rtol=1e-6)
    sm3 = tf.sparse.SparseTensor([[0, 0, 0], [0, 0, 1], [1, 0, 0]], [1., 3., 2.], [2, 1, 2])
    np.testing.assert_allclose(coo(tf.sparse.softmax(sm3))[1],
                               [0.11920291185379028, 0.8807970285415649, 1.0], rtol=1e-6)


def test_split():
    st = tf.sparse.SparseTensor([[0, 0], [0, 4], [1, 1], [1, 5], [0, 2]], [1, 2, 3, 4, 5], [2, 7])
    parts = tf.sparse.split(sp_input=st, num_split=3, axis=1)
    assert [coo(p) for p in parts] == [([[0, 0], [1, 1], [0, 2]], [1, 3, 5], [2, 3]),
                                       ([[0, 1]], [2], [2, 2]), ([[1, 0]], [4], [2, 2])]
    parts = tf.sparse.split(sp_input=ST, num_split=2, axis=0)
    assert [coo(p) for p in parts] == [([[0, 1], [1, 0]], [1., 2.], [2, 4]),
                                       ([[0, 3]], [3.], [1, 4])]


def test_bincount():
    st = tf.sparse.SparseTensor([[0, 0], [0, 1], [1, 0], [1, 2]], [1, 3, 1, 1], [2, 4])
    assert coo(tf.sparse.bincount(st)) == ([[1], [3]], [3, 1], [4])
    assert coo(tf.sparse.bincount(st, axis=-1)) == ([[0, 1], [0, 3], [1, 1]], [1, 1, 2], [2, 4])
    assert coo(tf.sparse.bincount(tf.constant([1, 2, 2, 5]), weights=tf.constant(
        [.5, 1., 2., 3.]), minlength=7)) == ([[1], [2], [5]], [.5, 3., 3.], [7])
    assert coo(tf.sparse.bincount(tf.constant([[1, 2, 2], [0, 0, 4]]), axis=-1,
                                  binary_output=True)) == (
        [[0, 1], [0, 2], [1, 0], [1, 4]], [1, 1, 1, 1], [2, 5])
    assert coo(tf.sparse.bincount(tf.constant([3, 3, 1]), maxlength=3)) == ([[1]], [1], [3])


def test_cross_and_mask():
    c = tf.sparse.cross([tf.constant([["a"], ["b"]]),
                         tf.sparse.SparseTensor([[0, 0], [1, 0], [1, 1]], ["d", "e", "f"],
                                                [2, 2])])
    assert coo(c) == ([[0, 0], [1, 0], [1, 1]], [b"d_X_a", b"e_X_b", b"f_X_b"], [2, 2])
    c = tf.sparse.cross([tf.constant([["a", "b"], ["c", "d"]]), tf.constant([["x"], ["y"]])],
                        separator="-")
    assert coo(c) == ([[0, 0], [0, 1], [1, 0], [1, 1]], [b"a-x", b"b-x", b"c-y", b"d-y"], [2, 2])
    m = tf.sparse.mask(tf.IndexedSlices(tf.constant([[1., 2.], [3., 4.], [5., 6.]]),
                                        tf.constant([0, 4, 7]), tf.constant([10, 2])),
                       tf.constant([4]))
    assert (m.values.numpy().tolist(), m.indices.numpy().tolist(),
            m.dense_shape.numpy().tolist()) == ([[1., 2.], [5., 6.]], [0, 7], [10, 2])


def test_cross_hashed():
    sp = tf.sparse.SparseTensor([[0, 0], [1, 0], [1, 1]], ["d", "e", "f"], [2, 2])
    r = tf.sparse.cross_hashed([tf.constant([["a", "b"], ["c", "d"]]), sp], num_buckets=1000)
    assert coo(r) == ([[0, 0], [0, 1], [1, 0], [1, 1], [1, 2], [1, 3]],
                      [791, 349, 193, 94, 185, 484], [2, 4])
    ab, xy = tf.constant([["a"], ["b"]]), tf.constant([["x"], ["y"]])
    assert coo(tf.sparse.cross_hashed([ab, xy]))[1] == [1484974617627318892, 5470948523078679805]
    assert coo(tf.sparse.cross_hashed([ab, xy], num_buckets=50, hash_key=7))[1] == [8, 13]
    ints = tf.constant([[3], [4]], tf.int64)
    assert coo(tf.sparse.cross_hashed([ints, xy], num_buckets=100))[1] == [19, 1]
    assert coo(tf.sparse.cross([ints, xy]))[1] == [b"3_X_x", b"4_X_y"]


def test_sampled_addmm():
    m1 = tf.constant([[1., 2., 3.], [4., 5., 6.]])
    m2 = tf.Variable([[7., 8.], [9., 10.], [11., 12.]])
    with tf.GradientTape() as tape:
        i, v, d = tf.sparse.sampled_addmm(tf.constant([[0, 0], [1, 1]]), tf.constant([0.5, 0.3]),
                                          tf.constant([2, 2]), m1, m2, alpha=0.75, beta=0.25)
        y = tf.reduce_sum(v)
    assert (i.numpy().tolist(), d.numpy().tolist()) == ([[0, 0], [1, 1]], [2, 2])
    np.testing.assert_allclose(v, [43.625, 115.57499694824219], rtol=1e-6)   # TF 2.21
    # d/dm2 of 0.75 * (row0 . col0 + row1 . col1)
    np.testing.assert_allclose(tape.gradient(y, m2), [[0.75, 3.], [1.5, 3.75], [2.25, 4.5]])
