"""TextVectorization without `output_sequence_length` inside traced steps (fit / predict): each
batch is padded to its own longest row, a length known only when the step runs - as TF's
"Text classification with an RNN" tutorial does with Embedding(mask_zero=True) and a
Bidirectional LSTM. Checked: the traced step's vectorization equals the eager one, masked
predictions do not depend on the padding length, training lowers the loss."""
import numpy as np

import graphflow as tf

WORDS = ["good", "bad", "movie", "great", "awful", "plot", "acting", "fine", "boring", "fun"]


def _data():
    rng = np.random.default_rng(0)
    texts = [" ".join(rng.choice(WORDS, size=rng.integers(2, 9))) for _ in range(48)]
    labels = np.array([int("good" in t or "great" in t) for t in texts], np.int64)
    return texts, labels


def test_traced_vectorization_pads_each_batch_to_its_longest_row():
    texts, _ = _data()
    enc = tf.keras.layers.TextVectorization(max_tokens=50)
    enc.adapt(texts)
    f = tf.function(lambda t: enc(t))
    for batch in (texts[:5], texts[5:7], ["fun"]):
        got = f(tf.constant(batch)).numpy()
        want = enc(tf.constant(batch)).numpy()
        assert got.shape == (len(batch), max(len(t.split()) for t in batch))
        np.testing.assert_array_equal(got, want)


def test_rnn_text_classifier_fits_and_masks_padding():
    tf.keras.utils.set_random_seed(3)
    texts, labels = _data()
    ds = tf.data.Dataset.from_tensor_slices((texts, labels)).batch(16)
    enc = tf.keras.layers.TextVectorization(max_tokens=50)
    enc.adapt(ds.map(lambda text, label: text))
    model = tf.keras.Sequential([
        enc,
        tf.keras.layers.Embedding(len(enc.get_vocabulary()), 8, mask_zero=True),
        tf.keras.layers.Bidirectional(tf.keras.layers.LSTM(8)),
        tf.keras.layers.Dense(1)])
    model.compile(loss=tf.keras.losses.BinaryCrossentropy(from_logits=True),
                  optimizer=tf.keras.optimizers.Adam(2e-2), jit_compile=False)
    loss = model.fit(ds, epochs=6, verbose=0).history["loss"]
    assert loss[-1] < 0.8 * loss[0], loss
    short = ["good movie", "awful plot"]
    alone = model.predict(tf.constant(short), verbose=0)          # padded to 2 tokens
    mixed = model.predict(tf.constant(short + ["fun fun fun boring bad acting fine"]),
                          verbose=0)[:2]                             # padded to 7 tokens
    np.testing.assert_allclose(alone, mixed, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(alone, model(tf.constant(short)).numpy(), rtol=1e-5, atol=1e-6)
