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


def test_truncated_normal_is_tfs_philox_stream():
    # TF 2.21's values (TruncatedNormalDistribution: groups at counter + 256 g, |z| < 2 kept)
    z = tf.random.stateless_truncated_normal([5], seed=[1, 2]).numpy()
    np.testing.assert_allclose(z, [0.5441, 0.2074, 0.0736, 0.0464, 0.1682], atol=1e-4)
    z = tf.random.stateless_truncated_normal([7], seed=[7, 9]).numpy()
    np.testing.assert_allclose(z, [-0.7632, -0.4402, 0.1521, -1.0758, 0.2151, -0.329, 0.0091],
                               atol=1e-4)
    z = tf.random.stateless_truncated_normal([5], seed=[3, 4], dtype=tf.float64).numpy()
    np.testing.assert_allclose(z, [-0.3311, 0.0278, -0.3427, 0.7552, -0.5823], atol=1e-4)
    s = float(tf.reduce_sum(tf.random.stateless_truncated_normal([1000], seed=[7, 9])))
    assert abs(s - 12.4579) < 1e-3
    g = tf.random.Generator.from_seed(42)
    g.uniform([3]), g.normal([3])
    np.testing.assert_allclose(g.truncated_normal([3]).numpy(), [0.1752, 0.7111, 0.5488],
                               atol=1e-4)


def test_image_flips_as_tf():
    img = tf.reshape(tf.range(2 * 4 * 5 * 3, dtype=tf.float32), [2, 4, 5, 3]) / 120.
    # TF: a batch flips where round(u) == 1 (image 0 of seed [1, 2] flips, image 1 does not)
    out = tf.image.stateless_random_flip_left_right(img, seed=[1, 2])[:, 0, :, 0].numpy()
    np.testing.assert_allclose(out, [[0.1, 0.075, 0.05, 0.025, 0.], [0.5, 0.525, 0.55, 0.575, 0.6]],
                               atol=1e-6)
    with pytest.raises(ValueError, match="at least three-dimensional"):
        tf.image.flip_left_right(tf.ones([2, 2]))
    with pytest.raises(ValueError, match="Resize method is not implemented: foo"):
        tf.image.resize(img, [2, 2], method="foo")


def test_strings_as_tf():
    # ngrams: padding never wider than width - 1 (TF: no padded unigrams)
    out = tf.strings.ngrams(tf.constant(["a", "b", "c"]), (1, 3), separator="-",
                            pad_values=("<s>", "</s>"), padding_width=1)
    assert out.numpy().tolist() == [b"a", b"b", b"c", b"<s>-a-b", b"a-b-c", b"b-c-</s>"]
    assert tf.strings.upper(["héllo"], encoding="utf-8").numpy().tolist() == ["HÉLLO".encode()]
    assert tf.strings.upper(["héllo"]).numpy().tolist() == ["HéLLO".encode()]   # ASCII only
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.strings.substr(["ab", ""], 1, 3)
    # split / bytes_split of a rank-2 tensor or a RaggedTensor: one more ragged axis
    assert tf.strings.split(tf.ragged.constant([["a b", "c"], []])).to_list() == \
        [[[b"a", b"b"], [b"c"]], []]
    assert tf.strings.split(tf.constant([[["a b", "c"]]]), " ").to_list() == \
        [[[[b"a", b"b"], [b"c"]]]]
    assert tf.strings.bytes_split(tf.constant([["ab", "c"]])).to_list() == \
        [[[b"a", b"b"], [b"c"]]]
    # str mixed with non-ASCII bytes converts (numpy decoded the bytes as ASCII)
    assert tf.constant(["a", b"\xff"]).numpy().tolist() == [b"a", b"\xff"]


def test_stateful_random_ops_draw_tfs_values():
    # TF 2.21: seeds = (global, op) or (87654321, op); an op without a seed under a global one
    # takes random.Random(global).randint; each (op, dtype, seeds) kernel continues its stream
    tf.random.set_seed(5)
    np.testing.assert_allclose(tf.random.uniform([3]).numpy(), [0.6264, 0.5298, 0.7585],
                               atol=1e-4)
    np.testing.assert_allclose(tf.random.uniform([3]).numpy(), [0.7017, 0.0434, 0.5605],
                               atol=1e-4)
    np.testing.assert_allclose(tf.random.normal([3], seed=1).numpy(), [-1.3769, -0.0126, -0.1695],
                               atol=1e-4)
    np.testing.assert_allclose(tf.random.normal([3], seed=1).numpy(), [0.3868, -0.4637, -0.8797],
                               atol=1e-4)
    np.testing.assert_allclose(tf.random.truncated_normal([3], seed=3).numpy(),
                               [-1.4617, -0.5902, 0.4928], atol=1e-4)
    assert tf.random.uniform([4], 0, 10, dtype=tf.int32, seed=4).numpy().tolist() == [2, 6, 9, 8]
    tf.random.set_seed(5)   # clears the kernels, as TF's cache
    np.testing.assert_allclose(tf.random.uniform([3]).numpy(), [0.6264, 0.5298, 0.7585],
                               atol=1e-4)

    @tf.function
    def f():
        return tf.random.uniform([2], seed=1)
    np.testing.assert_allclose(f().numpy(), [0.3875, 0.7485], atol=1e-4)   # a fresh node kernel
    np.testing.assert_allclose(f().numpy(), [0.9647, 0.2686], atol=1e-4)

    tf.random.set_seed(11)

    @tf.function
    def g():   # traced: unseeded ops take op seeds 0, 1, ... of their graph
        return tf.random.uniform([2]), tf.random.normal([2])
    u, n = g()
    np.testing.assert_allclose(u.numpy(), [0.7766, 0.8988], atol=1e-4)
    np.testing.assert_allclose(n.numpy(), [0.9575, 0.1737], atol=1e-4)
    tf.random.set_seed(5)   # dropout: a uniform draw (seeds (5, 3)) kept where >= rate
    assert tf.nn.dropout(tf.ones([8]), 0.5, seed=3).numpy().tolist() == \
        [0., 2., 2., 0., 0., 2., 2., 2.]
    tf.random.set_seed(None)


def test_sparse_reductions_to_sparse_division_and_binary_bincount():
    sp = tf.sparse.SparseTensor([[0, 1], [0, 2], [2, 2]], [1., -1., 3.], [3, 4])
    r = tf.sparse.reduce_sum(sp, axis=1, output_is_sparse=True)   # was a dense tensor
    assert r.indices.numpy().tolist() == [[0], [2]] and r.values.numpy().tolist() == [0., 3.]
    assert r.dense_shape.numpy().tolist() == [3]
    r = tf.sparse.reduce_sum(sp, axis=0, keepdims=True, output_is_sparse=True)
    assert r.indices.numpy().tolist() == [[0, 1], [0, 2]] and r.values.numpy().tolist() == [1., 2.]
    r = tf.sparse.reduce_max(sp, axis=1, output_is_sparse=True)
    assert r.values.numpy().tolist() == [1., 3.]
    assert (sp / 2.).values.numpy().tolist() == [0.5, -0.5, 1.5]             # was a TypeError
    assert tf.math.bincount([1, 1, 3], binary_output=True).numpy().tolist() == [0, 1, 0, 1]
    assert tf.math.bincount([[1, 2], [2, 2]], axis=-1, binary_output=True).numpy().tolist() == \
        [[0, 1, 1], [0, 0, 1]]
    with pytest.raises(ValueError, match="mutually exclusive"):
        tf.math.bincount([1], weights=[1.], binary_output=True)


def test_tnp_matmul_vectors_allclose_angle():
    tnp = tf.experimental.numpy
    a = np.arange(24.).reshape(2, 3, 4)
    for x, y in [(a[0, 0], a[0, 0]), (a[0, :, 0], a), (a, a[0, 0]), (a[0], a[0, 0])]:
        np.testing.assert_allclose(tnp.matmul(x, y).numpy(), np.matmul(x, y))   # raised
    r = tnp.allclose([1.], [1.])
    assert isinstance(r, tf.Tensor) and r.dtype == tf.bool and bool(r)      # TF: a bool tensor
    np.testing.assert_allclose(tnp.angle([1j], deg=True).numpy(), [90.])


def test_draw_bounding_boxes_colors_of_the_image_depth():
    img = tf.reshape(tf.range(2 * 4 * 5 * 3, dtype=tf.float32), [2, 4, 5, 3]) / 120.
    out = tf.image.draw_bounding_boxes(img, [[[0., 0., 0.5, 0.5]]] * 2, [[1., 0., 0.]])
    np.testing.assert_allclose(out[0, :2, :, 0].numpy(),   # TF 2.21 (3-channel colors raised)
                               [[1., 1., 1., 0.075, 0.1], [1., 1., 1., 0.2, 0.225]], atol=1e-6)
    with pytest.raises(tf.errors.InvalidArgumentError, match="more channels"):
        tf.image.draw_bounding_boxes(img, [[[0., 0., 0.5, 0.5]]] * 2, [[1., 0.]])


def test_stateless_categorical_is_tfs():
    # TF's StatelessMultinomial: rows draw doubles in turn from the seed's Philox stream
    out = tf.random.stateless_categorical(tf.math.log([[0.5, 0.5], [0.1, 0.9]]), 5, seed=[1, 2])
    assert out.numpy().tolist() == [[1, 1, 0, 1, 1], [1, 1, 1, 1, 1]] and out.dtype == tf.int64
    out = tf.random.stateless_categorical([[1., 2., 3., -np.inf], [0., 0., 0., 0.],
                                           [-1., 5., np.inf, 0.]], 7, seed=[3, 4], dtype=tf.int32)
    assert out.numpy().tolist() == [[2, 2, 1, 2, 2, 2, 1], [0, 2, 1, 0, 2, 3, 0],
                                    [1, 1, 1, 1, 1, 1, 1]]
    assert int(tf.reduce_sum(tf.random.stateless_categorical(tf.zeros([8, 10]), 50,
                                                             seed=[5, 6]))) == 1707


def test_stateless_shuffle_is_tfs():
    sh = tf.random.experimental.stateless_shuffle
    assert sh(tf.range(6), seed=[1, 2]).numpy().tolist() == [4, 5, 0, 3, 1, 2]
    assert sh(tf.reshape(tf.range(12.), [4, 3]), seed=[3, -2])[:, 0].numpy().tolist() == \
        [0., 6., 9., 3.]
    assert sh(tf.range(100), seed=[9, 9])[:10].numpy().tolist() == \
        [43, 44, 7, 72, 42, 28, 5, 34, 53, 38]


def test_stateful_shuffle_and_categorical_are_tfs():
    # RandomShuffle reserves ceil(n / 4) Philox blocks a call, Multinomial 256 per double
    tf.random.set_seed(5)
    sh = [tf.random.shuffle(tf.range(8), seed=2).numpy().tolist() for _ in range(2)]
    assert sh == [[3, 7, 5, 4, 1, 2, 6, 0], [3, 0, 4, 2, 7, 6, 1, 5]]
    tf.random.set_seed(5)
    assert tf.random.categorical([[0., 1., 2.]], 6, seed=2).numpy().tolist() == \
        [[1, 1, 1, 2, 2, 0]]
    assert tf.random.categorical([[0., 1., 2.], [1., 1., 1.]], 6, seed=2).numpy().tolist() == \
        [[2, 2, 2, 0, 2, 2], [1, 0, 2, 2, 0, 2]]
    tf.random.set_seed(None)


def test_ragged_expand_dims_and_gather_nd():
    r = tf.ragged.constant([[1, 2, 3], [], [4, 5]])
    assert tuple(tf.expand_dims(r, 1).shape) == (3, 1, None)          # raised (TypeError)
    assert tuple(tf.expand_dims(r, -1).shape) == (3, None, 1)
    assert tf.expand_dims(r, 0).to_list() == [[[1, 2, 3], [], [4, 5]]]
    assert tf.gather_nd(r, [[0, 1], [2, 0]]).numpy().tolist() == [2, 4]
    assert tf.gather_nd(r, [[2], [0]]).to_list() == [[4, 5], [1, 2, 3]]
    assert tf.gather_nd(r, [[[0, 1]], [[2, 0]]]).numpy().tolist() == [[2], [4]]


def test_count_nonzero_strings_and_ragged_constant_depth_error():
    assert int(tf.math.count_nonzero(["", "a"])) == 1    # TF: "" is tf.string's zero (raised)
    assert tf.math.count_nonzero([["", "a"], ["b", "c"]], axis=1).numpy().tolist() == [1, 2]
    with pytest.raises(ValueError, match="same nesting depth"):   # was a TypeError
        tf.ragged.constant([[1, [2]]])


def test_linalg_experimental_conjugate_gradient():
    a = tf.constant([[4., 1., 2.], [1., 3., 0.5], [2., 0.5, 5.]])
    op = tf.linalg.LinearOperatorFullMatrix(a, is_self_adjoint=True, is_positive_definite=True)
    cg = tf.linalg.experimental.conjugate_gradient   # (was missing)
    s = cg(op, tf.constant([1., 2., 3.]))
    assert type(s).__name__ == "CGState" and int(s.i) == 3
    np.testing.assert_allclose(s.x.numpy(), [-0.2216, 0.6364, 0.625], atol=1e-4)   # TF 2.21's
    x = cg(op, tf.constant([[1., 2., 3.], [0., 1., 0.]]), max_iter=2).x
    np.testing.assert_allclose(x.numpy(), [[-0.2119, 0.6505, 0.6119], [-0.0619, 0.3591, -0.031]],
                               atol=1e-4)
    assert int(cg(op, tf.constant([1., 2., 3.]), x=tf.constant([1., 0., 0.]), tol=0.1).i) == 2
