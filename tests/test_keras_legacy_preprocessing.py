"""keras.preprocessing.sequence / .text (Keras 3's legacy utilities, used by TF's word2vec
tutorial) against what TF 2.21's tf.keras printed for the same calls."""
import random

import numpy as np

import graphflow as tf

S = tf.keras.preprocessing.sequence
T = tf.keras.preprocessing.text


def test_sampling_table_and_skipgrams_match_keras():
    np.testing.assert_allclose(S.make_sampling_table(10), [
        0.003152, 0.003152, 0.005476, 0.007416, 0.009128, 0.010684, 0.012124, 0.013472,
        0.014745, 0.015956], atol=1e-6)
    couples, labels = S.skipgrams([1, 2, 3, 4, 5], vocabulary_size=6, window_size=2,
                                  negative_samples=0, shuffle=False)
    assert couples == [[1, 2], [1, 3], [2, 1], [2, 3], [2, 4], [3, 1], [3, 2], [3, 4], [3, 5],
                       [4, 2], [4, 3], [4, 5], [5, 3], [5, 4]] and labels == [1] * 14
    random.seed(1)   # Keras draws with Python's random: the same seeds give TF's pairs
    couples, labels = S.skipgrams([1, 2, 3, 4], vocabulary_size=6, window_size=1,
                                  negative_samples=1.0, shuffle=True, seed=3)
    assert couples == [[2, 1], [3, 4], [3, 2], [1, 2], [2, 4], [2, 1], [3, 4], [4, 3], [2, 3],
                       [4, 4], [1, 4], [3, 2]]
    assert labels == [1, 0, 0, 1, 0, 0, 1, 1, 1, 0, 0, 1]


def test_tokenizer_matches_keras():
    assert T.text_to_word_sequence("Hello, World! This is   a test.") == [
        "hello", "world", "this", "is", "a", "test"]
    assert T.hashing_trick("a b c a", 5, hash_function="md5") == [2, 4, 4, 2]
    tok = T.Tokenizer(num_words=4, oov_token="<unk>")
    tok.fit_on_texts(["the cat sat", "the dog sat down", "the end"])
    assert tok.word_index == {"<unk>": 1, "the": 2, "sat": 3, "cat": 4, "dog": 5, "down": 6,
                              "end": 7}
    assert list(tok.word_counts.items()) == [("the", 3), ("cat", 1), ("sat", 2), ("dog", 1),
                                             ("down", 1), ("end", 1)]
    assert tok.texts_to_sequences(["the cat ate", "down dog"]) == [[2, 1, 1], [1, 1]]
    assert tok.texts_to_matrix(["the cat ate", "down dog"]).tolist() == [[0, 1, 1, 0],
                                                                         [0, 1, 0, 0]]
    np.testing.assert_allclose(tok.texts_to_matrix(["the cat ate", "down dog"], mode="tfidf"),
                               [[0, 2.3472, 0.55962, 0], [0, 2.3472, 0, 0]], atol=1e-4)
    assert tok.sequences_to_texts([[1, 2, 3]]) == ["<unk> the sat"]
    again = T.tokenizer_from_json(tok.to_json())
    assert again.word_index == tok.word_index
    assert again.texts_to_sequences(["the dog"]) == tok.texts_to_sequences(["the dog"])


def test_timeseries_generator_batches_and_fits():
    g = S.TimeseriesGenerator(np.arange(10), np.arange(10), length=3, batch_size=2)
    assert len(g) == 4
    x, y = g[0]
    assert x.tolist() == [[0, 1, 2], [1, 2, 3]] and y.tolist() == [3, 4]
    assert g[3][0].tolist() == [[6, 7, 8]] and g[3][1].tolist() == [9]
    data = np.random.default_rng(0).normal(size=(40, 2)).astype("float32")
    gen = S.TimeseriesGenerator(data, data[:, :1], length=4, batch_size=8)
    model = tf.keras.Sequential([tf.keras.Input((4, 2)), tf.keras.layers.Flatten(),
                                 tf.keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    hist = model.fit(gen, epochs=2, verbose=0)
    assert len(hist.history["loss"]) == 2 and np.isfinite(hist.history["loss"]).all()
