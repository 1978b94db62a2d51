"""Keras 3 lookup and text layers (graphflow/keras/text_layers.py): outputs, vocabularies,
vocabulary sizes and config keys against Keras 3.15.1 on TF 2.21 (numbers made offline from
the same inputs: tests/data/keras_layers_breadth_ref.json), plus use in tf.data pipelines,
traced functions and models."""
import json
import os

import numpy as np
import pytest

import graphflow as tf
from graphflow import keras
from graphflow.keras import layers as L

REF = json.load(open(os.path.join(os.path.dirname(__file__), "data",
                                  "keras_layers_breadth_ref.json")))["text"]
TEXTS = ["The cat sat on the mat.", "The dog ate my homework!", "cat, dog & cat: friends?",
         "  a  b\tc "]
A = np.array

CASES = {
    "sl_adapt": (lambda: L.StringLookup(), A([["b", "a", "zz"], ["c", "b", "b"]]),
                 A([["b", "a"], ["b", "c"], ["a", "d"], ["e", "b"]])),
    "sl_mask": (lambda: L.StringLookup(mask_token="[MASK]", vocabulary=["a", "b", "c"]),
                A([["a", "[MASK]", "x"]]), None),
    "sl_mask_multi": (lambda: L.StringLookup(mask_token="", vocabulary=["a", "b", "c"],
                                             output_mode="multi_hot"),
                      A([["a", "", "x"], ["c", "c", "b"]]), None),
    "sl_count": (lambda: L.StringLookup(vocabulary=["a", "b", "c"], output_mode="count"),
                 A([["a", "a", "x"], ["c", "c", "b"]]), None),
    "sl_onehot": (lambda: L.StringLookup(vocabulary=["a", "b", "c"], output_mode="one_hot"),
                  A(["a", "x", "c"]), None),
    "sl_tfidf": (lambda: L.StringLookup(output_mode="tf_idf"),
                 A([["a", "a", "x"], ["c", "c", "b"]]),
                 A([["a", "b", "a"], ["b", "c", "d"], ["a", "a", "a"]])),
    "sl_invert": (lambda: L.StringLookup(vocabulary=["a", "b", "c"], invert=True),
                  A([[1, 3, 0, 7]]), None),
    "sl_max": (lambda: L.StringLookup(max_tokens=3), A(["a", "b", "c", "d"]),
               A(["d", "d", "c", "c", "b", "a", "a"])),
    "il": (lambda: L.IntegerLookup(vocabulary=[12, 36, 1138, 42]),
           A([[12, 1138, 42], [42, 1000, 36]]), None),
    "il_adapt": (lambda: L.IntegerLookup(), A([[7, 3, 5, 99]]), A([3, 3, 5, 7, 7, 7, 1])),
    "il_oov2": (lambda: L.IntegerLookup(vocabulary=[12, 36], num_oov_indices=2, mask_token=0),
                A([[12, 0, 7, 8, 36]]), None),
    "il_multi": (lambda: L.IntegerLookup(vocabulary=[12, 36, 42], output_mode="multi_hot",
                                         num_oov_indices=0), A([[12, 42], [36, 36]]), None),
    "il_invert": (lambda: L.IntegerLookup(vocabulary=[12, 36, 42], invert=True),
                  A([[0, 1, 3, 9]]), None),
    "tv_int": (lambda: L.TextVectorization(), A(TEXTS), A(TEXTS)),
    "tv_seq": (lambda: L.TextVectorization(output_sequence_length=4, max_tokens=6),
               A(TEXTS)[:, None], A(TEXTS)),
    "tv_ngrams": (lambda: L.TextVectorization(ngrams=2, max_tokens=12), A(TEXTS[:2]), A(TEXTS)),
    "tv_multi": (lambda: L.TextVectorization(output_mode="multi_hot", max_tokens=8), A(TEXTS),
                 A(TEXTS)),
    "tv_count": (lambda: L.TextVectorization(output_mode="count", standardize="lower"),
                 A(TEXTS), A(TEXTS)),
    "tv_tfidf": (lambda: L.TextVectorization(output_mode="tf_idf"), A(TEXTS), A(TEXTS)),
    "tv_char": (lambda: L.TextVectorization(split="character", standardize=None,
                                            output_sequence_length=6),
                A(["abca", "Bd"]), A(["abca", "Bd"])),
    "tv_vocab": (lambda: L.TextVectorization(vocabulary=["the", "cat", "dog"],
                                             output_sequence_length=5), A(TEXTS), None),
}


def _values(y):
    a = y.numpy()
    if a.dtype == object:
        return [v.decode() for v in a.ravel()]
    return a.ravel().tolist()


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_keras(name):
    make, x, data = CASES[name]
    layer = make()
    if data is not None:
        layer.adapt(data)
    y = layer(x)
    ref = REF[name]
    assert list(y.shape) == ref["shape"]
    if ref["dtype"] == "string":
        assert _values(y) == ref["vals"]
    else:
        assert y.dtype.name == ref["dtype"]
        np.testing.assert_allclose(_values(y), ref["vals"], rtol=1e-6)
    assert [str(v) for v in layer.get_vocabulary()] == ref["vocab"]
    assert layer.vocabulary_size() == ref["size"]
    assert sorted(layer.get_config()) == ref["cfg"]


@pytest.mark.parametrize("name", ["sl_mask", "il", "tv_vocab", "sl_invert"])
def test_config_round_trip(name):
    make, x, _ = CASES[name]
    layer = make()
    clone = type(layer).from_config(json.loads(json.dumps(layer.get_config())))
    assert clone.get_config() == layer.get_config()
    np.testing.assert_array_equal(clone(x).numpy(), layer(x).numpy())


def test_text_vectorization_in_dataset_map_and_model():
    """The Keras text-classification pattern: adapt on a Dataset of strings, vectorize in
    `map`, train on the indices, then an end-to-end model on raw strings."""
    texts = ["good movie", "bad movie", "very good", "very bad film", "good good", "bad"]
    labels = np.array([1, 0, 1, 0, 1, 0], "float32")
    raw = tf.data.Dataset.from_tensor_slices((texts, labels)).batch(3)
    vec = L.TextVectorization(max_tokens=20, output_sequence_length=4)
    vec.adapt(raw.map(lambda t, y: t))
    ds = raw.map(lambda t, y: (vec(t), y))
    x0, _ = next(iter(ds))
    np.testing.assert_array_equal(x0.numpy(), vec(texts[:3]).numpy())
    assert x0.dtype == tf.int64 and x0.shape == (3, 4)
    model = keras.Sequential([keras.Input((4,), dtype="int64"), L.Embedding(20, 4),
                              L.GlobalAveragePooling1D(), L.Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy", jit_compile=False)
    model.fit(ds, epochs=2, verbose=0)
    inputs = keras.Input(shape=(1,), dtype="string")
    end_to_end = keras.Model(inputs, model(vec(inputs)))
    p = end_to_end.predict(np.array(texts)[:, None], verbose=0)
    np.testing.assert_allclose(p, model.predict(vec(texts).numpy(), verbose=0), rtol=1e-5)


def test_lookups_trace_with_unknown_batch():
    lookup = L.StringLookup(vocabulary=["a", "b"])
    f = tf.function(lambda s: lookup(s), input_signature=[tf.TensorSpec([None], tf.string)])
    assert f(tf.constant(["b", "q", "a"])).numpy().tolist() == [2, 0, 1]
    assert f(tf.constant(["a"])).numpy().tolist() == [1]
    il = L.IntegerLookup(vocabulary=[5, 6], output_mode="multi_hot")
    g = tf.function(lambda v: il(v), input_signature=[tf.TensorSpec([None, 2], tf.int64)])
    np.testing.assert_array_equal(g(tf.constant([[5, 9], [6, 6]], tf.int64)).numpy(),
                                  [[1, 1, 0], [0, 0, 1]])   # [OOV, 5, 6]


def test_custom_standardize_and_ragged():
    def standardize(t):
        return tf.strings.regex_replace(tf.strings.lower(t), "<br />", " ")
    vec = L.TextVectorization(standardize=standardize, vocabulary=["a", "b"], ragged=True)
    out = vec(["A<br />b", "b b b"])
    assert out.to_list() == [[2, 3], [3, 3, 3]]


def test_errors():
    with pytest.raises(ValueError, match="found OOV values \\['x'\\]"):
        L.StringLookup(vocabulary=["a"], num_oov_indices=0)(["x"])
    with pytest.raises(RuntimeError, match="vocabulary before calling"):
        L.StringLookup(output_mode="multi_hot")(["x"])
    with pytest.raises(ValueError, match="repeated"):
        L.StringLookup(vocabulary=["a", "a"])
    with pytest.raises(ValueError, match="output_sequence_length"):
        L.TextVectorization(output_mode="count", output_sequence_length=3)


def test_fingerprint64_matches_tf():
    """TF 2.21's to_hash_bucket_fast for strings of every length class of FarmHash (0-300
    bytes), reduced modulo four bucket counts."""
    from graphflow.farmhash import fingerprint64
    ref = json.load(open(os.path.join(os.path.dirname(__file__), "data",
                                      "keras_layers_breadth_ref.json")))["farmhash"]
    strs = [bytes.fromhex(h) for h in ref["strs"]]
    for p in ("2147483647", "1000003", "997", "3"):
        assert [fingerprint64(s) % int(p) for s in strs] == ref[p]


HREF = json.load(open(os.path.join(os.path.dirname(__file__), "data",
                                   "keras_layers_breadth_ref.json")))["hashing"]
WORDS = A([["the", "cat"], ["sat", ""], ["on", "mat"]])
HASH_CASES = {
    "h_int": (lambda: L.Hashing(num_bins=7), WORDS),
    "h_mask": (lambda: L.Hashing(num_bins=5, mask_value=""), WORDS),
    "h_ints": (lambda: L.Hashing(num_bins=11), A([[1, 22, -3], [400, 5, 0]])),
    "h_multi": (lambda: L.Hashing(num_bins=6, output_mode="multi_hot"), WORDS),
    "h_count": (lambda: L.Hashing(num_bins=4, output_mode="count"), WORDS),
    "h_onehot": (lambda: L.Hashing(num_bins=4, output_mode="one_hot"), A([["a"], ["b"], ["c"]])),
    "sl_oov3": (lambda: L.StringLookup(vocabulary=["a", "b"], num_oov_indices=3),
                A([["a", "x", "yy", "b", "zzz", "w"]])),
}


@pytest.mark.parametrize("name", sorted(HASH_CASES))
def test_hashing_matches_keras(name):
    make, x = HASH_CASES[name]
    layer = make()
    y = layer(x)
    ref = HREF[name]
    assert list(y.shape) == ref["shape"] and y.dtype.name == ref["dtype"]
    assert y.numpy().ravel().tolist() == ref["vals"]
    assert sorted(layer.get_config()) == ref["cfg"]
    assert layer.get_config()["dtype"]["config"]["name"] == ref["cfgdtype"]
    clone = type(layer).from_config(layer.get_config())
    np.testing.assert_array_equal(clone(x).numpy(), y.numpy())
    f = tf.function(lambda v: layer(v))
    np.testing.assert_array_equal(f(tf.constant(x)).numpy(), y.numpy())


def test_siphash_and_salted_hashing_match_tf():
    """to_hash_bucket_strong (SipHash-2-4) vs TF 2.21, and Keras's salted Hashing /
    StringLookup (the preprocessing guide's `Hashing(num_bins=64, salt=1337)`)."""
    from graphflow.farmhash import siphash24
    ref = json.load(open(os.path.join(os.path.dirname(__file__), "data",
                                      "keras_layers_breadth_ref.json")))
    sip = ref["siphash"]
    strs = [bytes.fromhex(h) for h in sip["strs"]]
    for key in ([1337, 1337], [0, 0], [123456789, 987654321]):
        assert [siphash24(key, s) % 2147483647 for s in strs] == sip[str(key)]
    salted = ref["salted"]
    h = L.Hashing(num_bins=64, salt=1337)
    data = np.array(salted["h_salt"]["data"]).reshape(-1, 1)
    assert h(data).numpy().ravel().tolist() == salted["h_salt"]["vals"]
    assert h.get_config()["salt"] == salted["h_salt"]["cfg"]
    h2 = L.Hashing(num_bins=5, salt=(3, 9), mask_value="")
    assert h2(A([["a", ""], ["bb", "ccc"]])).numpy().ravel().tolist() == salted["h_salt2"]["vals"]
    sl = L.StringLookup(vocabulary=["a"], num_oov_indices=4, salt=7)
    assert sl(A(["a", "x", "yy", "zzz", "w"])).numpy().tolist() == salted["sl_salt"]["vals"]
    assert sl.get_config()["salt"] == salted["sl_salt"]["cfg"]


def test_hashed_crossing_matches_keras():
    ref = json.load(open(os.path.join(os.path.dirname(__file__), "data",
                                      "keras_layers_breadth_ref.json")))["crossing"]
    a, b = A(["A", "B", "A", "C", "Z"]), A([101, 101, 102, 5, -3])
    c = A(["x", "y", "x", "y", "z"])
    cases = {"hc_str_int": (dict(num_bins=5), (a, b)),
             "hc_str_str": (dict(num_bins=1000), (a[:, None], c[:, None])),
             "hc_onehot": (dict(num_bins=4, output_mode="one_hot"), (a, c)),
             "hc_three": (dict(num_bins=97), [a, b, c])}
    for name, (kw, x) in cases.items():
        layer = L.HashedCrossing(**kw)
        y = layer(x)
        r = ref[name]
        assert list(y.shape) == r["shape"] and y.dtype.name == r["dtype"], name
        assert y.numpy().ravel().tolist() == r["vals"], name
        cfg = layer.get_config()
        assert {k: v for k, v in cfg.items() if k != "name"} == \
            {k: v for k, v in r["cfg"].items() if k != "name"}
        assert L.HashedCrossing.from_config(cfg).get_config() == cfg
    f = tf.function(lambda u, v: L.HashedCrossing(num_bins=5)((u, v)),
                    input_signature=[tf.TensorSpec([None], tf.string),
                                     tf.TensorSpec([None], tf.int64)])
    assert f(tf.constant(a), tf.constant(b, tf.int64)).numpy().tolist() == \
        ref["hc_str_int"]["vals"]


def test_preprocessing_guide_text_cells():
    """The Keras 'Working with preprocessing layers' guide's text cells, unchanged: int
    output (the guide prints [[2 19 14 1 9 2 1]]), an end-to-end model on a string Input
    without an output length, and tf-idf bigrams (the guide's 5.461647, 1.6945957)."""
    adapt_data = tf.constant(["The Brain is wider than the Sky", "For put them side by side",
                              "The one the other will contain", "With ease and You beside"])
    text_vectorizer = L.TextVectorization(output_mode="int")
    text_vectorizer.adapt(adapt_data)
    assert text_vectorizer(["The Brain is deeper than the sea"]).numpy().tolist() == \
        [[2, 19, 14, 1, 9, 2, 1]]
    inputs = keras.Input(shape=(None,), dtype="int64")
    x = L.Embedding(input_dim=text_vectorizer.vocabulary_size(), output_dim=16)(inputs)
    x = L.GRU(8)(x)
    model = keras.Model(inputs, L.Dense(1)(x))
    train = tf.data.Dataset.from_tensor_slices(
        (["The Brain is deeper than the sea", "for if they are held Blue to Blue"], [1, 0]))
    train = train.batch(2).map(lambda x, y: (text_vectorizer(x), y))
    model.compile(optimizer="rmsprop", loss="mse")
    model.fit(train, verbose=0)
    inputs = keras.Input(shape=(1,), dtype="string")
    x = text_vectorizer(inputs)
    assert tuple(x.shape) == (None, None)
    end_to_end = keras.Model(inputs, model(x))
    test_data = tf.constant(["The one the other will absorb"])
    np.testing.assert_allclose(end_to_end(test_data).numpy(),
                               model(text_vectorizer(test_data)).numpy(), rtol=1e-6)
    tfidf = L.TextVectorization(output_mode="tf_idf", ngrams=2)
    tfidf.adapt(adapt_data)
    np.testing.assert_allclose(tfidf(["The Brain is deeper than the sea"]).numpy()[0, :2],
                               [5.461647, 1.6945957], rtol=1e-6)
