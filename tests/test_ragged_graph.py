"""RaggedTensor ops as graph ops at static row partitions: they trace through @function (the
partition is part of the trace key), differentiate, and agree with numpy row by row; composite
arguments (RaggedTensor, SparseTensor) flatten to their components."""
import numpy as np
import pytest

import graphflow as tf
from graphflow.nest import flatten

ROWS = [[3., 1., 4., 1.], [], [5., 9., 2.], [6.], []]


def rt():
    return tf.ragged.constant(ROWS)


def np_rows(x):
    return [np.asarray(r, np.float32) for r in x]


@pytest.mark.parametrize("kind,fn,empty", [
    ("reduce_sum", np.sum, 0.), ("reduce_prod", np.prod, 1.),
    ("reduce_max", np.max, np.finfo(np.float32).min),
    ("reduce_min", np.min, np.finfo(np.float32).max), ("reduce_mean", np.mean, np.nan)])
def test_row_reductions_match_numpy_eager_and_traced(kind, fn, empty):
    want = [fn(r) if len(r) else empty for r in np_rows(ROWS)]
    op = getattr(tf, kind)
    np.testing.assert_allclose(op(rt(), axis=1).numpy(), want, rtol=1e-6)
    np.testing.assert_allclose(tf.function(lambda x: op(x, axis=1))(rt()).numpy(), want,
                               rtol=1e-6)
    cols = [[r[j] for r in ROWS if len(r) > j] for j in range(4)]
    np.testing.assert_allclose(op(rt(), axis=0).numpy(), [fn(c) for c in cols], rtol=1e-6)
    np.testing.assert_allclose(op(rt()).numpy(), fn(np.concatenate(np_rows(ROWS))), rtol=1e-6)


def test_rank3_reductions_over_each_axis_as_tf():
    x = tf.ragged.constant([[[1, 2], [3]], [[4]], []])
    assert tf.reduce_sum(x, axis=2).to_list() == [[3, 3], [4], []]
    assert tf.reduce_sum(x, axis=1).to_list() == [[4, 2], [4], []]
    assert tf.reduce_sum(x, axis=0).to_list() == [[5, 2], [3]]
    assert tf.reduce_max(x, axis=[1, 2]).numpy().tolist() == [3, 4, np.iinfo(np.int32).min]
    assert int(tf.reduce_sum(x)) == 10


def test_reduction_gradient_flows_to_the_flat_values():
    x = rt()
    w = tf.constant([1., 0., 100., 1000., 0.])   # empty rows' max is the lowest float
    with tf.GradientTape() as t:
        t.watch(x.flat_values)
        y = tf.reduce_sum(tf.reduce_max(x, axis=1) * w) + tf.reduce_sum(x.to_tensor())
    g = t.gradient(y, x.flat_values).numpy()
    np.testing.assert_allclose(g, [1, 1, 2, 1, 1, 101, 1, 1001])   # argmax taps + to_tensor


def test_function_takes_and_returns_ragged_and_retraces_per_partition():
    calls = []

    @tf.function
    def palindrome(x, axis):
        calls.append(1)
        return tf.concat([x, tf.reverse(x, [axis])], axis)

    out = palindrome(rt(), axis=1)
    assert out.to_list() == [r + r[::-1] for r in ROWS]
    assert palindrome(rt(), axis=0).to_list() == ROWS + ROWS[::-1]
    palindrome(rt() * 2., axis=1)   # same partition: no new trace
    assert len(calls) == 2
    other = tf.ragged.constant([[1.], [2., 3.]])
    assert palindrome(other, axis=1).to_list() == [[1., 1.], [2., 3., 3., 2.]]
    assert len(calls) == 3


def test_input_signature_with_ragged_spec_checks_dtype():
    f = tf.function(lambda x: x * 2,
                    input_signature=[tf.RaggedTensorSpec(shape=[None, None], dtype=tf.int32)])
    assert f(tf.ragged.constant([[1, 2], [3]])).to_list() == [[2, 4], [6]]
    with pytest.raises(TypeError, match="input_signature"):
        f(tf.ragged.constant([[1.], [2.]]))


def test_traced_to_tensor_gather_tile_mask_match_eager():
    def body(x):
        return (x.to_tensor(default_value=-1.), tf.gather(x, [2, 0]), tf.tile(x, [2, 2]),
                tf.ragged.boolean_mask(x, tf.ragged.constant([[True, False, True, False], [],
                                                              [True, True, False], [True], []])))
    eager = body(rt())
    traced = tf.function(body)(rt())
    np.testing.assert_array_equal(eager[0].numpy(), traced[0].numpy())
    np.testing.assert_array_equal(eager[0].numpy()[1], [-1.] * 4)
    for e, g in zip(eager[1:], traced[1:]):
        assert e.to_list() == g.to_list()
    assert eager[3].to_list() == [[3., 4.], [], [5., 9.], [6.], []]


def test_a_mask_computed_while_tracing_is_a_clear_error():
    f = tf.function(lambda x: tf.ragged.boolean_mask(x, x > 2.))
    assert f.python_function(rt()).to_list() == [[3., 4.], [], [5., 9.], [6.], []]
    with pytest.raises(TypeError, match="boolean_mask.*known while tracing"):
        f(rt())


def test_boolean_mask_of_dense_data_with_dense_mask():
    out = tf.ragged.boolean_mask(tf.constant([[1, 2], [3, 4]]),
                                 tf.constant([[True, False], [True, True]]))
    assert out.to_list() == [[1], [3, 4]]


def test_sparse_tensor_through_function():
    sp = tf.sparse.SparseTensor(indices=[[0, 0], [1, 2]], values=[1., 2.], dense_shape=[3, 4])

    @tf.function
    def f(s, d):
        return tf.sparse.sparse_dense_matmul(s, d), s
    prod, back = f(sp, tf.ones((4, 2)))
    np.testing.assert_array_equal(prod.numpy(), [[1, 1], [2, 2], [0, 0]])
    assert isinstance(back, tf.sparse.SparseTensor) and back.values.numpy().tolist() == [1., 2.]


def test_flatten_expands_composites_only_when_asked():
    x = rt()
    assert flatten([x])[0] == [x]
    leaves, rebuild = flatten([x], expand_composites=True)
    assert len(leaves) == 2 and leaves[0] is x.flat_values
    assert rebuild(leaves)[0].to_list() == ROWS


def test_unsorted_segment_min_of_integers_has_no_overflow():
    out = tf.math.unsorted_segment_min(tf.constant([1, 2, 3, np.iinfo(np.int32).min]),
                                       tf.constant([0, 0, 2, 0]), 4)
    big = np.iinfo(np.int32).max
    assert out.numpy().tolist() == [np.iinfo(np.int32).min, big, 3, big]


def test_shape_size_rank_and_like_of_ragged_as_tf():
    s = tf.shape(rt())
    assert repr(s) == "<DynamicRaggedShape lengths=[5, (4, 0, 3, 1, 0)] num_row_partitions=1>"
    assert int(s[0]) == 5 and s.rank == 2
    with pytest.raises(ValueError, match="not uniform"):
        s[1]
    assert int(tf.size(rt())) == 8 and int(tf.rank(rt())) == 2
    assert tf.ones_like(rt()).to_list() == [[1.] * len(r) for r in ROWS]
    x3 = tf.ragged.constant([[[1, 2], [3]], [[4]]])
    assert x3.row_lengths(axis=2).to_list() == [[2, 1], [1]]
    assert tf.ragged.segment_ids_to_row_splits([0, 0, 2]).numpy().tolist() == [0, 2, 2, 3]
    assert tf.ragged.row_splits_to_segment_ids([0, 2, 2, 3]).numpy().tolist() == [0, 0, 2]


def test_ragged_guide_bigram_embedding_matches_numpy():
    queries = tf.ragged.constant([["Who", "is", "Dan", "Smith"], ["Pause"],
                                  ["Will", "it", "rain", "later", "today"]])
    table = tf.Variable(np.arange(64 * 3, dtype=np.float32).reshape(64, 3) % 7)
    words = tf.strings.to_hash_bucket_fast(queries, 64)
    bigrams = tf.strings.join([queries[:, :-1], queries[:, 1:]], separator="+")
    assert bigrams.to_list()[0] == [b"Who+is", b"is+Dan", b"Dan+Smith"]
    assert bigrams.to_list()[1] == []
    emb = tf.concat([tf.nn.embedding_lookup(table, words),
                     tf.nn.embedding_lookup(table, tf.strings.to_hash_bucket_fast(bigrams, 64))],
                    axis=1)
    got = tf.reduce_mean(emb, axis=1).numpy()
    t = table.numpy()
    for i, (w, b) in enumerate(zip(words.to_list(),
                                   tf.strings.to_hash_bucket_fast(bigrams, 64).to_list())):
        np.testing.assert_allclose(got[i], t[w + b].mean(0), rtol=1e-6)
    assert tf.strings.reduce_join(queries, axis=1, separator=" ").numpy().tolist()[1] == b"Pause"


def test_concrete_function_of_a_ragged_spec_is_a_clear_error():
    f = tf.function(lambda x: x + 1)
    with pytest.raises(ValueError, match="row partition"):
        f.get_concrete_function(tf.RaggedTensorSpec(shape=[None, None], dtype=tf.int32))


def test_the_traced_mask_error_names_the_users_line():
    f = tf.function(lambda x: tf.ragged.boolean_mask(x, x > 2.))
    with pytest.raises(TypeError, match=r"test_ragged_graph\.py:\d+"):
        f(rt())
