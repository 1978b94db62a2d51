"""String, ragged and sparse tensor cells of TF's "Introduction to Tensors", "Ragged tensors",
"Working with sparse tensors" and "Unicode strings" guides; expected values are what the guides
print (or numpy)."""
import numpy as np
import pytest

import graphflow as tf


# ------------------------------------------------------------------ strings (tensor guide)
def test_string_tensors():
    scalar_string_tensor = tf.constant("Gray wolf")
    assert str(scalar_string_tensor) == "tf.Tensor(b'Gray wolf', shape=(), dtype=string)"
    tensor_of_strings = tf.constant(["Gray wolf", "Quick brown fox", "Lazy dog"])
    assert str(tensor_of_strings) == ("tf.Tensor([b'Gray wolf' b'Quick brown fox' b'Lazy dog'], "
                                      "shape=(3,), dtype=string)")
    assert repr(tf.constant("🥳👍")) == ("<tf.Tensor: shape=(), dtype=string, "
                                        "numpy=b'\\xf0\\x9f\\xa5\\xb3\\xf0\\x9f\\x91\\x8d'>")
    assert tf.constant("a").numpy() == b"a" and tensor_of_strings.dtype == tf.string
    assert str(tf.strings.split(scalar_string_tensor, sep=" ")) == (
        "tf.Tensor([b'Gray' b'wolf'], shape=(2,), dtype=string)")
    assert str(tf.strings.split(tensor_of_strings)) == (
        "<tf.RaggedTensor [[b'Gray', b'wolf'], [b'Quick', b'brown', b'fox'], [b'Lazy', b'dog']]>")
    text = tf.constant("1 10 100")
    assert str(tf.strings.to_number(tf.strings.split(text, " "))) == (
        "tf.Tensor([  1.  10. 100.], shape=(3,), dtype=float32)")
    byte_strings = tf.strings.bytes_split(tf.constant("Duck"))
    byte_ints = tf.io.decode_raw(tf.constant("Duck"), tf.uint8)
    assert str(byte_strings) == "tf.Tensor([b'D' b'u' b'c' b'k'], shape=(4,), dtype=string)"
    assert str(byte_ints) == "tf.Tensor([ 68 117  99 107], shape=(4,), dtype=uint8)"
    unicode_bytes = tf.constant("アヒル 🦆")
    unicode_char_bytes = tf.strings.unicode_split(unicode_bytes, "UTF-8")
    unicode_values = tf.strings.unicode_decode(unicode_bytes, "UTF-8")
    assert unicode_char_bytes.numpy().tolist() == [c.encode() for c in "アヒル 🦆"]
    assert str(unicode_values) == (
        "tf.Tensor([ 12450  12498  12523     32 129414], shape=(5,), dtype=int32)")


def test_string_ops_values():
    s = tf.constant(["Hello", "TensorFlow"])
    assert tf.strings.length(s).numpy().tolist() == [5, 10]
    assert tf.strings.upper(s).numpy().tolist() == [b"HELLO", b"TENSORFLOW"]
    assert tf.strings.lower(s).numpy().tolist() == [b"hello", b"tensorflow"]
    assert tf.strings.substr(s, 1, 3).numpy().tolist() == [b"ell", b"ens"]
    assert tf.strings.join([s, "!"], separator="").numpy().tolist() == [b"Hello!", b"TensorFlow!"]
    assert tf.strings.reduce_join(s, separator=" ").numpy() == b"Hello TensorFlow"
    assert tf.strings.as_string(tf.constant([1.5])).numpy().tolist() == [b"1.500000"]
    assert tf.strings.as_string(tf.constant([7])).numpy().tolist() == [b"7"]
    # the Unicode guide: lengths in bytes and characters
    thanks = u'Thanks 😊'.encode('UTF-8')
    assert int(tf.strings.length(thanks)) == 11
    assert int(tf.strings.length(thanks, unit='UTF8_CHAR')) == 8
    assert tf.strings.substr(thanks, pos=7, len=1, unit="UTF8_CHAR").numpy() == "😊".encode()
    assert tf.strings.unicode_encode([72, 105], "UTF-8").numpy() == b"Hi"
    with pytest.raises(ValueError, match="could not correctly convert string: x"):
        tf.strings.to_number(["1", "x"])
    with pytest.raises(tf.errors.InvalidArgumentError, match="string_upper"):   # a graph op now
        tf.function(lambda x: tf.strings.upper(x))(tf.constant(1.0))


# ------------------------------------------------------------------ ragged
def test_tensor_guide_ragged():
    ragged_list = [[0, 1, 2, 3], [4, 5], [6, 7, 8], [9]]
    with pytest.raises(ValueError):
        tf.constant(ragged_list)
    ragged_tensor = tf.ragged.constant(ragged_list)
    assert str(ragged_tensor) == "<tf.RaggedTensor [[0, 1, 2, 3], [4, 5], [6, 7, 8], [9]]>"
    assert str(ragged_tensor.shape) == "(4, None)"


def test_ragged_guide_overview():
    digits = tf.ragged.constant([[3, 1, 4, 1], [], [5, 9, 2], [6], []])
    words = tf.ragged.constant([["So", "long"], ["thanks", "for", "all", "the", "fish"]])
    assert str(tf.add(digits, 3)) == "<tf.RaggedTensor [[6, 4, 7, 4], [], [8, 12, 5], [9], []]>"
    m = tf.reduce_mean(digits, axis=1).numpy()
    np.testing.assert_allclose(m, [2.25, np.nan, 16 / 3, 6., np.nan])
    assert m.dtype == np.float64
    assert str(tf.concat([digits, [[5, 3]]], axis=0)) == (
        "<tf.RaggedTensor [[3, 1, 4, 1], [], [5, 9, 2], [6], [], [5, 3]]>")
    assert str(tf.strings.substr(words, 0, 2)) == (
        "<tf.RaggedTensor [[b'So', b'lo'], [b'th', b'fo', b'al', b'th', b'fi']]>")
    assert str(digits[0]) == "tf.Tensor([3 1 4 1], shape=(4,), dtype=int32)"
    assert str(digits[:, :2]) == "<tf.RaggedTensor [[3, 1], [], [5, 9], [6], []]>"
    assert str(digits[:, -2:]) == "<tf.RaggedTensor [[4, 1], [], [9, 2], [6], []]>"
    assert str(digits + 3) == "<tf.RaggedTensor [[6, 4, 7, 4], [], [8, 12, 5], [9], []]>"
    assert str(digits + tf.ragged.constant([[1, 2, 3, 4], [], [5, 6, 7], [8], []])) == (
        "<tf.RaggedTensor [[4, 3, 7, 5], [], [10, 15, 9], [14], []]>")
    times_two_plus_one = lambda x: x * 2 + 1
    assert str(tf.ragged.map_flat_values(times_two_plus_one, digits)) == (
        "<tf.RaggedTensor [[7, 3, 9, 3], [], [11, 19, 5], [13], []]>")
    assert digits.to_list() == [[3, 1, 4, 1], [], [5, 9, 2], [6], []]
    assert [r.tolist() for r in digits.numpy()] == [[3, 1, 4, 1], [], [5, 9, 2], [6], []]
    assert tf.reduce_sum(digits).numpy() == 31
    assert tf.reduce_max(digits, axis=0).numpy().tolist() == [6, 9, 4, 1]


def test_ragged_guide_dispatch_broadcasting_and_conversions():
    digits = tf.ragged.constant([[3, 1, 4, 1], [], [5, 9, 2], [6], []])
    assert str(tf.tile(digits, [1, 2])) == (
        "<tf.RaggedTensor [[3, 1, 4, 1, 3, 1, 4, 1], [], [5, 9, 2, 5, 9, 2], [6, 6], []]>")
    assert str(tf.map_fn(tf.math.square, digits)) == (
        "<tf.RaggedTensor [[9, 1, 16, 1], [], [25, 81, 4], [36], []]>")
    x = tf.ragged.constant([[1, 2], [3], [4, 5, 6]])
    assert str(tf.concat([x, tf.reverse(x, [1])], 1)) == (
        "<tf.RaggedTensor [[1, 2, 2, 1], [3, 3], [4, 5, 6, 6, 5, 4]]>")
    # broadcasting (the guide's examples)
    x = tf.ragged.constant([[10, 87, 12], [19, 53], [12, 32]])
    assert str(x + [[1000], [2000], [3000]]) == (
        "<tf.RaggedTensor [[1010, 1087, 1012], [2019, 2053], [3012, 3032]]>")
    x = tf.ragged.constant([[[1, 2], [3, 4], [5, 6]], [[7, 8]]], ragged_rank=1)
    assert str(x + tf.constant([[10]])) == (   # TF 2.21 prints uniform inner rows wrapped
        "<tf.RaggedTensor [[[11, 12],\n  [13, 14],\n  [15, 16]], [[17, 18]]]>")
    x = tf.ragged.constant([[[[1], [2]], [], [[3]], [[4]]], [[[5], [6]], [[7]]]], ragged_rank=2)
    assert str(x + tf.constant([10, 20, 30])) == (
        "<tf.RaggedTensor [[[[11, 21, 31],\n   [12, 22, 32]], [], [[13, 23, 33]], [[14, 24, 34]]],"
        "\n [[[15, 25, 35],\n   [16, 26, 36]], [[17, 27, 37]]]]>")   # as TF 2.21 prints it
    with pytest.raises(tf.errors.InvalidArgumentError, match="ragged dimension"):
        tf.ragged.constant([[1, 2], [3, 4, 5, 6], [7]]) + tf.ones([3, 4], tf.int32)
    with pytest.raises(tf.errors.InvalidArgumentError, match="row partitions differ"):
        tf.ragged.constant([[1, 2, 3], [4], [5, 6]]) + tf.ragged.constant([[10, 20], [30, 40], [50]])
    # conversions and strings
    queries = tf.ragged.constant([['Who', 'is', 'Dan', 'Smith'], ['Pause'],
                                  ['Will', 'it', 'rain', 'later', 'today']])
    assert str(queries[1, 0]) == "tf.Tensor(b'Pause', shape=(), dtype=string)"
    assert str(queries[:, -1:]) == (   # as TF 2.21 prints it
        "<tf.RaggedTensor [[b'Smith'],\n [b'Pause'],\n [b'today']]>")
    st = tf.sparse.SparseTensor(indices=[[0, 0], [2, 0], [2, 1]], values=['a', 'b', 'c'],
                                dense_shape=[3, 3])
    assert str(tf.RaggedTensor.from_sparse(st)) == "<tf.RaggedTensor [[b'a'], [], [b'b', b'c']]>"
    assert tf.ragged.constant([["Hi"], ["How", "are", "you"]]).bounding_shape().numpy().tolist() \
        == [2, 3]
    ragged_x = tf.ragged.constant([["John"], ["a", "big", "dog"], ["my", "cat"]])
    ragged_y = tf.ragged.constant([["fell", "asleep"], ["barked"], ["is", "fuzzy"]])
    sparse_result = tf.sparse.concat(sp_inputs=[ragged_x.to_sparse(), ragged_y.to_sparse()],
                                     axis=1)
    assert tf.sparse.to_dense(sparse_result, '').numpy().tolist() == [
        [b'John', b'', b'', b'fell', b'asleep'], [b'a', b'big', b'dog', b'barked', b''],
        [b'my', b'cat', b'', b'is', b'fuzzy']]
    rt = tf.RaggedTensor.from_uniform_row_length(
        values=tf.RaggedTensor.from_row_splits(values=[10, 11, 12, 13, 14, 15, 16, 17, 18, 19],
                                               row_splits=[0, 3, 5, 9, 10]),
        uniform_row_length=2)
    assert str(rt) == (   # as TF 2.21 prints it
        "<tf.RaggedTensor [[[10, 11, 12], [13, 14]],\n [[15, 16, 17, 18], [19]]]>")
    assert "Shape: {}".format(rt.shape) == "Shape: (2, 2, None)" and rt.ragged_rank == 2


def test_ragged_constructors():
    for rt in [tf.RaggedTensor.from_value_rowids(values=[3, 1, 4, 1, 5, 9, 2],
                                                 value_rowids=[0, 0, 0, 0, 2, 2, 3]),
               tf.RaggedTensor.from_row_lengths(values=[3, 1, 4, 1, 5, 9, 2],
                                                row_lengths=[4, 0, 2, 1]),
               tf.RaggedTensor.from_row_splits(values=[3, 1, 4, 1, 5, 9, 2],
                                               row_splits=[0, 4, 4, 6, 7])]:
        assert str(rt) == "<tf.RaggedTensor [[3, 1, 4, 1], [], [5, 9], [2]]>"
        assert rt.row_lengths().numpy().tolist() == [4, 0, 2, 1]
        np.testing.assert_array_equal(rt.to_tensor().numpy(),
                                      [[3, 1, 4, 1], [0, 0, 0, 0], [5, 9, 0, 0], [2, 0, 0, 0]])
    assert tf.RaggedTensor.from_tensor([[1, 2, 0], [3, 0, 0]], padding=0).to_list() == [[1, 2], [3]]
    nested = tf.ragged.constant([[[1, 2], [3]], [], [[4]]])
    assert nested.ragged_rank == 2 and str(nested.shape) == "(3, None, None)"
    assert nested[0].to_list() == [[1, 2], [3]]
    np.testing.assert_array_equal(nested.to_tensor().numpy().shape, (3, 2, 2))
    with pytest.raises(ValueError, match="row_splits"):
        tf.RaggedTensor.from_row_splits([1, 2], [0, 3])
    assert str(tf.concat([tf.ragged.constant([[1], [2, 3]]), tf.ragged.constant([[4], []])], 1)) \
        == "<tf.RaggedTensor [[1, 4],\n [2, 3]]>"   # TF 2.21: equal-length rows wrapped


# ------------------------------------------------------------------ sparse
def test_tensor_guide_sparse():
    sparse_tensor = tf.sparse.SparseTensor(indices=[[0, 0], [1, 2]], values=[1, 2],
                                           dense_shape=[3, 4])
    assert str(sparse_tensor) == (
        "SparseTensor(indices=tf.Tensor(\n[[0 0]\n [1 2]], shape=(2, 2), dtype=int64), "
        "values=tf.Tensor([1 2], shape=(2,), dtype=int32), "
        "dense_shape=tf.Tensor([3 4], shape=(2,), dtype=int64))")
    assert str(tf.sparse.to_dense(sparse_tensor)) == (
        "tf.Tensor(\n[[1 0 0 0]\n [0 0 2 0]\n [0 0 0 0]], shape=(3, 4), dtype=int32)")


def test_sparse_guide():
    st1 = tf.sparse.SparseTensor(indices=[[0, 3], [2, 4]], values=[10, 20], dense_shape=[3, 10])

    def pprint_sparse_tensor(st):
        s = "<SparseTensor shape=%s \n values={" % (st.dense_shape.numpy().tolist(),)
        for (index, value) in zip(st.indices, st.values):
            s += f"\n  %s: %s" % (index.numpy().tolist(), value.numpy().tolist())
        return s + "}>"
    assert pprint_sparse_tensor(st1) == (
        "<SparseTensor shape=[3, 10] \n values={\n  [0, 3]: 10\n  [2, 4]: 20}>")
    st2 = tf.sparse.from_dense([[1, 0, 0, 8], [0, 0, 0, 0], [0, 0, 3, 0]])
    assert pprint_sparse_tensor(st2) == (
        "<SparseTensor shape=[3, 4] \n values={\n  [0, 0]: 1\n  [0, 3]: 8\n  [2, 2]: 3}>")
    st3 = tf.sparse.to_dense(st2)
    np.testing.assert_array_equal(st3.numpy(), [[1, 0, 0, 8], [0, 0, 0, 0], [0, 0, 3, 0]])
    st_a = tf.sparse.SparseTensor(indices=[[0, 2], [3, 4]], values=[31, 2], dense_shape=[4, 10])
    st_b = tf.sparse.SparseTensor(indices=[[0, 2], [3, 0]], values=[56, 38], dense_shape=[4, 10])
    st_sum = tf.sparse.add(st_a, st_b)
    assert pprint_sparse_tensor(st_sum) == (
        "<SparseTensor shape=[4, 10] \n values={\n  [0, 2]: 87\n  [3, 0]: 38\n  [3, 4]: 2}>")
    st_c = tf.sparse.SparseTensor(indices=([0, 1], [1, 0], [1, 1]), values=[13, 15, 17],
                                  dense_shape=(2, 2))
    mb = tf.constant([[4], [6]])
    product = tf.sparse.sparse_dense_matmul(st_c, mb)
    assert str(product) == "tf.Tensor(\n[[ 78]\n [162]], shape=(2, 1), dtype=int32)"
    sparse_pattern_A = tf.sparse.SparseTensor(indices=[[2, 4], [3, 3], [3, 4], [4, 3], [4, 4],
                                                       [5, 4]],
                                              values=[1, 1, 1, 1, 1, 1], dense_shape=[8, 5])
    sparse_pattern_B = tf.sparse.SparseTensor(indices=[[0, 2], [1, 1], [1, 3], [2, 0], [2, 4],
                                                       [2, 5], [3, 5], [4, 5], [5, 0], [5, 4],
                                                       [5, 5], [6, 1], [6, 3], [7, 2]],
                                              values=[1] * 14, dense_shape=[8, 6])
    sparse_pattern_C = tf.sparse.SparseTensor(indices=[[3, 0], [4, 0]], values=[1, 1],
                                              dense_shape=[8, 6])
    sparse_patterns_list = [sparse_pattern_A, sparse_pattern_B, sparse_pattern_C]
    sparse_pattern = tf.sparse.concat(axis=1, sp_inputs=sparse_patterns_list)
    dense = tf.sparse.to_dense(sparse_pattern).numpy()
    want = np.concatenate([tf.sparse.to_dense(s).numpy() for s in sparse_patterns_list], 1)
    np.testing.assert_array_equal(dense, want)
    sparse_slice_A = tf.sparse.slice(sparse_pattern_A, start=[0, 0], size=[8, 5])
    sparse_slice_B = tf.sparse.slice(sparse_pattern_B, start=[0, 5], size=[8, 6])
    assert tf.sparse.to_dense(sparse_slice_A).shape == (8, 5)
    np.testing.assert_array_equal(tf.sparse.to_dense(sparse_slice_B).numpy(),
                                  tf.sparse.to_dense(sparse_pattern_B).numpy()[:, 5:])
    st2_plus_1 = tf.sparse.map_values(tf.add, st2, 1)
    assert st2_plus_1.values.numpy().tolist() == [2, 9, 4]
    # a slice past the end is empty (TF: shape (8, 0))
    sparse_slice_C = tf.sparse.slice(sparse_pattern_C, start=[0, 10], size=[8, 6])
    assert tf.sparse.to_dense(sparse_slice_C).shape == (8, 0)

    @tf.function
    def f(x, y):
        return tf.sparse.sparse_dense_matmul(x, y)
    a = tf.sparse.SparseTensor(indices=[[0, 3], [2, 4]], values=[15, 25], dense_shape=[3, 10])
    b = tf.sparse.to_dense(tf.sparse.transpose(a))
    assert str(f(a, b)) == ("tf.Tensor(\n[[225   0   0]\n [  0   0   0]\n [  0   0 625]], "
                            "shape=(3, 3), dtype=int32)")
    # stored values only, unlike the dense reduction
    assert str(tf.sparse.reduce_max(tf.sparse.from_dense([-5, 0, -3]))) == (
        "tf.Tensor(-3, shape=(), dtype=int32)")
    assert str(tf.math.reduce_max([-5, 0, -3])) == "tf.Tensor(0, shape=(), dtype=int32)"


def test_sparse_ops_differentiable_and_traced():
    st = tf.sparse.SparseTensor([[0, 1], [2, 0]], tf.constant([2.0, 3.0]), [3, 2])
    w = tf.Variable([[1.0, 2.0], [3.0, 4.0]])
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(tf.sparse.sparse_dense_matmul(st, w))
    dense = tf.sparse.to_dense(st).numpy()
    np.testing.assert_allclose(float(y), (dense @ w.numpy()).sum())
    np.testing.assert_allclose(tape.gradient(y, w).numpy(), dense.T @ np.ones((3, 2)))

    @tf.function
    def f(values, b):
        return tf.sparse.sparse_dense_matmul(tf.sparse.SparseTensor([[0, 1], [2, 0]], values,
                                                                    [3, 2]), b)
    np.testing.assert_allclose(f(tf.constant([2.0, 3.0]), w).numpy(), dense @ w.numpy())
    np.testing.assert_array_equal(
        tf.sparse.to_dense(st, default_value=-1.0).numpy(), np.where(dense == 0, -1, dense))
