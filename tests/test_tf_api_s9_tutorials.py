"""TF tutorials' code (tensorflow.org/tutorials: tests/data/tf_guides/tut_*.py, downloads
replaced by generated data of the same shape and dtype, small sizes) run unchanged with
`import graphflow as tf`: every printed line equals what TF 2.21 + Keras 3.15 printed
(tests/data/tf_guides/tut_*.tf_output.txt), numbers within float32 rounding. The scripts print
what is deterministic: shapes, dtypes, reprs, exact values of deterministic computations, and
"the loss went down" rather than losses of a random initialization."""
import numpy as np
import pytest

import graphflow as tf
from test_tf_guides_output import check_guide


@pytest.mark.parametrize("name", ["tut_custom_training", "tut_word2vec", "tut_time_series", "tut_dcgan", "tut_transformer",
                                  "tut_cvae_autoencoder", "tut_text_generation",
                                  "tut_text_classification", "tut_checkpoint", "tut_structured_data",
                                  "tut_overfit", "tut_load_images", "tut_classification_save_load",
                                  "tut_data_augmentation"])
def test_tutorial_output_matches_tf(name, tmp_path):
    check_guide(name, tmp_path)


def test_string_lookup_of_ragged_keeps_rows_and_inverts():
    # the text-generation tutorial's cells; values as TF 2.21 printed them
    chars = tf.strings.unicode_split(['abcdefg', 'xyz'], input_encoding='UTF-8')
    ids_from_chars = tf.keras.layers.StringLookup(vocabulary=list("acdefyz"), mask_token=None)
    ids = ids_from_chars(chars)
    assert isinstance(ids, tf.RaggedTensor)
    assert ids.to_list() == [[1, 0, 2, 3, 4, 5, 0], [0, 6, 7]]
    chars_from_ids = tf.keras.layers.StringLookup(
        vocabulary=ids_from_chars.get_vocabulary(), invert=True, mask_token=None)
    assert tf.strings.reduce_join(chars_from_ids(ids), axis=-1).numpy().tolist() == \
        [b'a[UNK]cdef[UNK]', b'[UNK]yz']
    # Keras 3 returns the learned tokens as np.str_
    assert [type(t) for t in ids_from_chars.get_vocabulary()[:2]] == [str, np.str_]


def test_ragged_repr_and_numpy_as_tf():
    assert str(tf.ragged.constant([[1, 2], [3, 4]])) == "<tf.RaggedTensor [[1, 2],\n [3, 4]]>"
    assert str(tf.ragged.constant([[1.5, 2.25], [3.]])) == "<tf.RaggedTensor [[1.5, 2.25], [3.0]]>"
    assert str(tf.ragged.constant([[], []])) == "<tf.RaggedTensor [[], []]>"
    a = tf.ragged.constant([[1, 2], [3]]).numpy()
    assert a.dtype == object and [r.tolist() for r in a] == [[1, 2], [3]]
    assert tf.ragged.constant([[1, 2], [3, 4]]).numpy().tolist() == [[1, 2], [3, 4]]


def test_rnn_get_initial_state_keras3():
    x = tf.ones((3, 5, 2))
    gru = tf.keras.layers.GRU(4, return_sequences=True, return_state=True)
    st = gru.get_initial_state(tf.shape(x)[0])
    assert [tuple(s.shape) for s in st] == [(3, 4)] and not np.any(st[0].numpy())
    out, h = gru(x, initial_state=st)
    out2, h2 = gru(x)
    np.testing.assert_array_equal(h.numpy(), h2.numpy())
    assert [tuple(s.shape) for s in tf.keras.layers.LSTM(2).get_initial_state(5)] == [(5, 2)] * 2
    f = tf.function(lambda x: gru.get_initial_state(tf.shape(x)[0])[0])
    assert f(x).shape == (3, 4)


def test_layer_called_with_keyword_inputs():
    class Cross(tf.keras.layers.Layer):
        def call(self, x, context):
            return x * 2.0 + context
    out = Cross()(x=tf.constant([1.0, 2.0]), context=tf.constant([10.0, 20.0]))
    assert out.numpy().tolist() == [12.0, 24.0]


def test_boolean_array_index_is_a_mask():
    # TF: x[bool ndarray or tensor] is tf.boolean_mask (the autoencoder tutorial's
    # train_data[train_labels]); values as TF 2.21
    x = tf.reshape(tf.range(12.), (4, 3))
    m = np.array([True, False, True, False])
    assert x[m].numpy().tolist() == [[0., 1., 2.], [6., 7., 8.]]
    assert x[tf.constant(m)].numpy().tolist() == [[0., 1., 2.], [6., 7., 8.]]
    m2 = np.array([[True, False, True], [False] * 3, [True] * 3, [False] * 3])
    assert x[m2].numpy().tolist() == [0., 2., 6., 7., 8.]
    assert tf.Variable(x)[m].shape == (2, 3)
    assert tf.function(lambda x, m: x[m])(x, tf.constant(m)).numpy().tolist() == \
        [[0., 1., 2.], [6., 7., 8.]]
    with tf.GradientTape() as t:
        t.watch(x)
        y = tf.reduce_sum(x[m] * 2.0)
    assert t.gradient(y, x).numpy().tolist() == [[2.] * 3, [0.] * 3, [2.] * 3, [0.] * 3]


def test_map_over_strings_element_spec_keeps_unknown_dims():
    # TF traces the map function with the input spec: the batch dim stays None (as TF 2.21
    # printed for the text-classification tutorial's vectorize_text), a fixed length stays
    ds = tf.data.Dataset.from_tensor_slices((["a b", "c", "d e f"], [1, 0, 1])).batch(2)
    vec = tf.keras.layers.TextVectorization(output_sequence_length=4)
    vec.adapt(["a b c d e f"])

    def f(text, label):
        print("traced")   # the stand-in runs print nothing
        return vec(tf.expand_dims(text, -1)), label
    mapped = ds.map(f)
    assert str(mapped.element_spec) == (
        "(TensorSpec(shape=(None, 4), dtype=tf.int64, name=None), "
        "TensorSpec(shape=(None,), dtype=tf.int32, name=None))")
    ids = {w: i for i, w in enumerate(vec.get_vocabulary())}
    assert [x.numpy().tolist() for x, _ in mapped] == [
        [[ids["a"], ids["b"], 0, 0], [ids["c"], 0, 0, 0]], [[ids["d"], ids["e"], ids["f"], 0]]]
    assert str(ds.map(lambda t, y: tf.strings.length(t)).element_spec) == \
        "TensorSpec(shape=(None,), dtype=tf.int32, name=None)"


def test_functional_dict_inputs_match_by_key_not_order():
    # the structured-data tutorial: a Model({name: Input}) fed dicts whose keys come in the
    # CSV's column order, not the model's
    a = tf.keras.Input(shape=(1,), name="a")
    b = tf.keras.Input(shape=(1,), name="b", dtype="string")
    look = tf.keras.layers.StringLookup(vocabulary=["x", "y"])
    model = tf.keras.Model({"a": a, "b": b}, [tf.keras.layers.Rescaling(10.0)(a), look(b)])
    ra, rb = model({"b": tf.constant([["y"], ["z"]]), "a": tf.constant([[1.0], [2.0]])})
    assert ra.numpy().tolist() == [[10.0], [20.0]] and rb.numpy().tolist() == [[2], [0]]
