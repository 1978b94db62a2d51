"""String splits inside @function (graphflow/ragged_traced.py): their rows are known only when
the graph runs; the traced results equal the eager ones, StringLookup maps their values, and
the text-generation tutorial's one-step sampler traces (it raised 'string ops run eagerly
only')."""
import numpy as np
import pytest

import graphflow as tf

S = tf.constant(["Gray wolf", "", "Quick brown fox", "🥳 ok"])
SPLITS = {
    "unicode_split": lambda s: tf.strings.unicode_split(s, "UTF-8"),
    "unicode_decode": lambda s: tf.strings.unicode_decode(s, "UTF-8"),
    "bytes_split": lambda s: tf.strings.bytes_split(s),
    "split": lambda s: tf.strings.split(s),
    "split_sep": lambda s: tf.strings.split(s, sep="o"),
}


@pytest.mark.parametrize("name", sorted(SPLITS))
def test_traced_split_equals_eager(name):
    fn = SPLITS[name]
    eager = fn(S)

    @tf.function
    def parts(s):
        r = fn(s)
        return r.to_tensor(), r.row_lengths(), r.nrows(), r.row_splits

    dense, lengths, nrows, splits = parts(S)
    np.testing.assert_array_equal(dense.numpy(), eager.to_tensor().numpy())
    np.testing.assert_array_equal(lengths.numpy(), eager.row_lengths().numpy())
    assert int(nrows) == 4
    np.testing.assert_array_equal(splits.numpy(), eager.row_splits.numpy())
    # returned as a whole: a RaggedTensor again
    assert tf.function(fn)(S).to_list() == eager.to_list()


def test_traced_split_of_a_scalar_is_a_vector_and_shapes_are_unknown():
    @tf.function
    def f(s):
        r = tf.strings.unicode_split(s, "UTF-8")
        assert r.shape.as_list() == [None]
        return r
    np.testing.assert_array_equal(f(tf.constant("añb")).numpy(), [b"a", "ñ".encode(), b"b"])

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
    def g(s):
        r = tf.strings.bytes_split(s)
        assert r.shape.as_list() == [None, None]
        return r.to_tensor(default_value="#")
    np.testing.assert_array_equal(g(tf.constant(["ab", "c"])).numpy(), [[b"a", b"b"], [b"c", b"#"]])


def test_unsupported_methods_name_what_works():
    @tf.function
    def f(s):
        return tf.strings.bytes_split(s)[0]
    with pytest.raises(NotImplementedError, match=r"known only when the graph runs.*to_tensor"):
        f(tf.constant(["ab"]))


def test_text_generation_one_step_sampler_traces():
    """The tutorial's OneStep.generate_one_step: split the prompt, look the characters up,
    run a GRU model with state, sample, look the id back up."""
    vocab = sorted(set("hello world"))
    ids_from_chars = tf.keras.layers.StringLookup(vocabulary=vocab, mask_token=None)
    chars_from_ids = tf.keras.layers.StringLookup(
        vocabulary=ids_from_chars.get_vocabulary(), invert=True, mask_token=None)
    n = len(ids_from_chars.get_vocabulary())
    emb = tf.keras.layers.Embedding(n, 4)
    gru = tf.keras.layers.GRU(6, return_sequences=True, return_state=True)
    dense = tf.keras.layers.Dense(n)

    @tf.function
    def step(inputs, states=None):
        input_ids = ids_from_chars(tf.strings.unicode_split(inputs, "UTF-8")).to_tensor()
        x = emb(input_ids)
        if states is None:
            x, states = gru(x)
        else:
            x, states = gru(x, initial_state=states)
        logits = dense(x)[:, -1, :]
        predicted = tf.argmax(logits, axis=-1)
        return chars_from_ids(predicted), states, input_ids

    chars, states, ids = step(tf.constant(["hel", "wo"]))
    want = ids_from_chars(tf.strings.unicode_split(tf.constant(["hel", "wo"]), "UTF-8"))
    np.testing.assert_array_equal(ids.numpy(), want.to_tensor().numpy())
    assert chars.shape == (2,) and chars.dtype == tf.string and states.shape == (2, 6)
    x, s = gru(emb(want.to_tensor()))
    eager = chars_from_ids(tf.argmax(dense(x)[:, -1, :], axis=-1))
    np.testing.assert_array_equal(chars.numpy(), eager.numpy())
    chars2, _, _ = step(chars, states)
    assert chars2.shape == (2,)


def test_traced_lookups_and_splits_save_and_load(tmp_path):
    """A tf.Module whose @function splits strings and uses StringLookup (both ways) and an
    adapted TextVectorization saves with tf.saved_model and loads with the same results (the
    layers' methods, held by numpy_function nodes, are rebuilt from config and vocabulary)."""
    ids = tf.keras.layers.StringLookup(vocabulary=list("abc"), mask_token=None)
    inv = tf.keras.layers.StringLookup(vocabulary=ids.get_vocabulary(), invert=True,
                                       mask_token=None)
    tv = tf.keras.layers.TextVectorization(max_tokens=10, output_sequence_length=4)
    tv.adapt(["a b", "b c d"])

    class M(tf.Module):
        def __init__(self):
            self.w = tf.Variable(1, dtype=tf.int64)

        @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
        def f(self, s):
            i = ids(tf.strings.unicode_split(s, "UTF-8")).to_tensor() + self.w
            return inv(i), tv(s)

    m = M()
    s = tf.constant(["ab", "c d"])
    want = [t.numpy() for t in m.f(s)]
    tf.saved_model.save(m, str(tmp_path / "m"))
    r = tf.saved_model.load(str(tmp_path / "m"))
    got = [t.numpy() for t in r.f(s)]
    for a, b in zip(got, want):
        np.testing.assert_array_equal(a, b)
    # ids + 1 (the padding 0 too): a=1 b=2 c=3, 4 is out of range
    np.testing.assert_array_equal(want[0], [[b"b", b"c", b"a"], [b"[UNK]", b"a", b"a"]])
