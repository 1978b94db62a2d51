"""Shapes known only when the graph runs, inside `@function`: value-dependent outputs
(`tf.boolean_mask`, `tf.where(c)`, `tf.unique`, `tf.math.bincount`) and sizes given by traced
scalars (`tf.random.uniform([n, 2])`, `tf.eye(n)`, `tf.linspace(.., n)`, `tf.tile`,
`tf.pad`, `tf.one_hot(.., n)`, `tf.sequence_mask(.., n)`, `tf.repeat`), and what follows them
(reductions, matmul, softmax, sort, concat, gather...). Values against eager mode on the numpy
executor and on numba; traced static shapes as TF 2.21 prints them; gradients vs finite
differences; errors at run time.
"""
import numpy as np
import pytest

import graphflow as tf
from conftest import check_grad

MODES = [pytest.param(False, id="numpy"), pytest.param(None, id="numba")]   # jit_compile
X = np.arange(12.).reshape(4, 3).astype(np.float32)


def masked(x):
    return tf.boolean_mask(x, x[:, 0] > 2.)


# name: (fn(x, n), the static shape TF 2.21 traces for x: [4, 3] float32, n: [] int32)
CASES = {
    "boolean_mask": (lambda x, n: masked(x), (None, 3)),
    "where": (lambda x, n: tf.where(x > 4.), (None, 2)),
    "unique": (lambda x, n: tf.unique(tf.cast(tf.reshape(x, [-1]), tf.int32) // 3)[0], (None,)),
    "unique_idx": (lambda x, n: tf.unique(tf.cast(tf.reshape(x, [-1]), tf.int32) // 3)[1], (12,)),
    "bincount": (lambda x, n: tf.math.bincount(tf.cast(x, tf.int32) // 2), (None,)),
    "random_shape": (lambda x, n: tf.shape(tf.random.uniform([n, 2])), (2,)),
    "eye": (lambda x, n: tf.eye(n), (None, None)),
    "linspace": (lambda x, n: tf.linspace(0., 1., n), (None,)),
    "tile": (lambda x, n: tf.tile(x, [n, 1]), (None, 3)),
    "pad": (lambda x, n: tf.pad(x, [[0, n], [1, 0]]), (None, 4)),
    "one_hot": (lambda x, n: tf.one_hot([0, 2], n), (2, None)),
    "sequence_mask": (lambda x, n: tf.sequence_mask([1, 2], n), (2, None)),
    "repeat": (lambda x, n: tf.repeat(x, n, axis=0), (None, 3)),
    "size": (lambda x, n: tf.size(tf.boolean_mask(x, x > 3.)), ()),
    "mean": (lambda x, n: tf.reduce_mean(tf.boolean_mask(x, x > 3.)), ()),
    "concat": (lambda x, n: tf.concat([masked(x), x], 0), (None, 3)),
    "matmul": (lambda x, n: tf.matmul(masked(x), x, transpose_b=True), (None, 4)),
    "cumsum": (lambda x, n: tf.cumsum(masked(x), axis=0), (None, 3)),
    "argmax": (lambda x, n: tf.argmax(masked(x), axis=0), (3,)),
    "softmax": (lambda x, n: tf.nn.softmax(masked(x)), (None, 3)),
    "transpose": (lambda x, n: tf.transpose(masked(x)), (3, None)),
    "sort": (lambda x, n: tf.sort(tf.boolean_mask(x, x > 3.), direction="DESCENDING"), (None,)),
    "segment_sum": (lambda x, n: tf.math.unsorted_segment_sum(masked(x), [0, 1, 0], 2), (2, 3)),
    "zeros_like": (lambda x, n: tf.zeros_like(masked(x)), (None, 3)),
}


@pytest.mark.parametrize("jit", MODES)
def test_value_dependent_shapes_match_eager_and_tf(jit):
    x, n = tf.constant(X), tf.constant(3)
    for name, (fn, tf_shape) in CASES.items():
        f = tf.function(fn, jit_compile=jit)
        cf = f.get_concrete_function(tf.TensorSpec([4, 3], tf.float32),
                                     tf.TensorSpec([], tf.int32))
        assert tuple(cf.structured_outputs.shape) == tf_shape, name
        got = f(x, n)
        if name == "random_shape":
            np.testing.assert_array_equal(got.numpy(), [3, 2])
            continue
        np.testing.assert_allclose(got.numpy(), fn(x, n).numpy(), rtol=1e-6, err_msg=name)


def test_spot_values_as_tf_prints_them():
    f = tf.function(lambda x: (tf.where(x > 8.), tf.math.bincount(tf.cast(x, tf.int32) // 4,
                                                                   minlength=5),
                               tf.linspace(0., 1., tf.size(tf.boolean_mask(x, x > 8.)))))
    w, b, ls = f(tf.constant(X))
    np.testing.assert_array_equal(w.numpy(), [[3, 0], [3, 1], [3, 2]])
    assert w.dtype == tf.int64
    np.testing.assert_array_equal(b.numpy(), [4, 4, 4, 0, 0])
    np.testing.assert_allclose(ls.numpy(), [0., .5, 1.])
    seq = tf.function(lambda ln: tf.sequence_mask(ln))(tf.constant([1, 3]))   # maxlen = max
    np.testing.assert_array_equal(seq.numpy(), [[True, False, False], [True, True, True]])


def test_gradients_through_masks_and_weighted_bincount():
    def loss(x, w):
        kept = tf.boolean_mask(x, x[:, 0] > 0.)
        ids = tf.cast(tf.abs(tf.sign(w)), tf.int32) * tf.constant([0, 2, 2, 5])   # traced values
        counts = tf.math.bincount(ids, weights=tf.sin(w), maxlength=4)
        return tf.reduce_sum(tf.exp(kept)) * tf.reduce_sum(counts * counts)
    x = np.array([[1., 2.], [-1., 0.5], [0.3, -0.2]])
    check_grad(tf.function(loss), [x, np.array([0.1, 0.4, -0.3, 0.8])])


def test_bincount_of_negative_values_is_an_error_at_run_time():
    f = tf.function(lambda a: tf.math.bincount(a))
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"bincount: received a label value of -2 .* outside the valid range"):
        f(tf.constant([1, -2]))


@pytest.mark.parametrize("jit", MODES)
def test_segment_ops_with_traced_counts(jit):
    f = tf.function(lambda x, ids, n: (tf.math.segment_max(x, ids),
                                       tf.math.unsorted_segment_sum(x, ids, n),
                                       tf.math.unsorted_segment_mean(x, ids, n + 1),
                                       tf.math.segment_min(x, ids)), jit_compile=jit)
    cf = f.get_concrete_function(tf.TensorSpec([4, 3]), tf.TensorSpec([4], tf.int32),
                                 tf.TensorSpec([], tf.int32))
    assert [tuple(o.shape) for o in cf.structured_outputs] == [(None, 3)] * 4   # as TF 2.21
    ids = tf.constant([0, 0, 2, 2])
    got = f(tf.constant(X), ids, tf.constant(3))
    want = (tf.math.segment_max(X, ids), tf.math.unsorted_segment_sum(X, ids, 3),
            tf.math.unsorted_segment_mean(X, ids, 4), tf.math.segment_min(X, ids))
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g.numpy(), w.numpy())


def test_segment_gradients_with_traced_counts_second_order():
    def loss(x):
        ids = tf.cast(tf.reduce_sum(tf.ones_like(x[:, :1]), 1), tf.int32) * tf.constant([0, 1, 1, 2])
        n = tf.reduce_max(ids) + 1
        return (tf.math.unsorted_segment_max(tf.sin(x), ids, n) ** 2,
                tf.math.segment_sum(x * x, ids))
    check_grad(tf.function(loss), [np.random.default_rng(1).normal(size=(4, 2))])


def test_autograph_len_and_loops_over_run_time_lengths():
    def rows_sum(x):
        kept = masked(x)
        s = tf.constant(0.)
        for i in tf.range(len(kept)):        # len(): tf.shape(kept)[0], as TF's AutoGraph
            s += kept[i, 0]
        return s, len(kept) * 2

    def over_rows(x):                         # x's first dim is unknown (input_signature)
        s = tf.constant(0.)
        for row in x:
            s += tf.reduce_sum(row)
        return s
    s, n2 = tf.function(rows_sum)(tf.constant(X))
    assert float(s) == 18. and int(n2) == 6
    f = tf.function(over_rows, input_signature=[tf.TensorSpec([None, 3], tf.float32)])
    assert float(f(tf.constant(X))) == 66.
    with pytest.raises(tf.errors.OperatorNotAllowedInGraphError, match="unknown first dimension"):
        tf.function(lambda x: [r for r in masked(x)])(tf.constant(X))
