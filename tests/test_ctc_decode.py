"""CTC decoders against the values TF 2.21 / Keras 3.15 (JAX backend) print for the same
inputs, and the prefix beam search against brute-force enumeration of all alignments."""
import itertools

import numpy as np
import pytest

import graphflow as tf
from graphflow import keras


def _logits():
    return np.random.default_rng(0).normal(size=(6, 2, 4)).astype("float32")   # (T, B, C)


def _rows(sp):
    return sp.indices.numpy().tolist(), sp.values.numpy().tolist(), sp.dense_shape.numpy().tolist()


def test_greedy_decoder_matches_tf():
    (d,), neg = tf.nn.ctc_greedy_decoder(_logits(), [6, 4])
    assert _rows(d) == ([[0, 0], [0, 1], [0, 2], [1, 0], [1, 1]], [2, 0, 1, 2, 1], [2, 3])
    np.testing.assert_allclose(neg.numpy(), [[-4.682501792907715], [-2.6718668937683105]],
                               rtol=1e-6)
    (d,), _ = tf.nn.ctc_greedy_decoder(_logits(), [6, 4], merge_repeated=False, blank_index=0)
    assert _rows(d)[1:] == ([2, 3, 3, 1, 1, 2, 1, 1, 1], [2, 5])


def test_beam_search_decoder_matches_tf_top_paths():
    dec, logp = tf.nn.ctc_beam_search_decoder(_logits(), [6, 4], beam_width=10, top_paths=3)
    assert _rows(dec[0]) == ([[0, 0], [0, 1], [0, 2], [1, 0], [1, 1]], [2, 0, 1, 2, 1], [2, 3])
    assert _rows(dec[1])[1] == [2, 0, 2, 1]
    # TF 2.21: [[-2.8323, -3.1290, -3.7601], [-1.4859, -1.9488, -2.5318]]; its third path for
    # the first row ([2, 1]) is a pruning artefact: [0, 1] is more likely (exact sum -3.5909)
    np.testing.assert_allclose(logp.numpy()[:, :2], [[-2.8323283, -3.1289966],
                                                    [-1.4859186, -1.9488180]], rtol=1e-5)
    np.testing.assert_allclose(logp.numpy()[1, 2], -2.5317953, rtol=1e-5)


def _exact(logp, blank):
    """log P(labelling) summed over all T-step alignments (brute force)."""
    T, C = logp.shape
    out = {}
    for path in itertools.product(range(C), repeat=T):
        lab = tuple(c for i, c in enumerate(path) if c != blank and (i == 0 or c != path[i - 1]))
        out[lab] = np.logaddexp(out.get(lab, -np.inf), sum(logp[t, c] for t, c in enumerate(path)))
    return sorted(out.items(), key=lambda kv: -kv[1])


def test_beam_search_is_exact_with_a_wide_beam():
    x = np.random.default_rng(3).normal(size=(5, 1, 3))
    dec, logp = tf.nn.ctc_beam_search_decoder(x, [5], beam_width=200, top_paths=4)
    z = x[:, 0] - np.log(np.exp(x[:, 0]).sum(-1, keepdims=True))
    want = _exact(z, blank=2)[:4]
    assert [tuple(d.values.numpy().tolist()) for d in dec] == [w[0] for w in want]
    np.testing.assert_allclose(logp.numpy()[0], [w[1] for w in want], rtol=1e-5)


def test_keras_beam_search_matches_keras_and_runs_in_function():
    x = np.transpose(_logits(), (1, 0, 2))
    d, s = keras.ops.ctc_decode(x, [6, 4], strategy="beam_search", beam_width=10, top_paths=3)
    assert d.numpy().tolist() == [
        [[2, 3, 1, -1, -1, -1], [2, 1, -1, -1, -1, -1]],
        [[2, 3, 2, -1, -1, -1], [3, 1, -1, -1, -1, -1]],
        [[3, 2, 1, -1, -1, -1], [2, 1, 3, -1, -1, -1]]]
    np.testing.assert_allclose(s.numpy(), [[-3.0857079, -3.5056670, -3.6177523],
                                           [-2.0910771, -2.1182148, -2.5306242]], rtol=1e-5)
    f = tf.function(lambda v: keras.ops.ctc_decode(v, [6, 4], strategy="beam_search",
                                                   beam_width=10, top_paths=3))
    d2, s2 = f(x)
    assert np.array_equal(d2.numpy(), d.numpy())
    np.testing.assert_allclose(s2.numpy(), s.numpy())


def test_collapse_repeated_and_unique_labels_match_tf():
    out, n = tf.nn.collapse_repeated([[1, 1, 2, 2, 3], [4, 4, 4, 0, 0]], [5, 3])
    assert out.numpy().tolist() == [[1, 2, 3], [4, 0, 0]] and out.dtype == tf.int32
    assert n.numpy().tolist() == [3, 1]
    u, i = tf.nn.ctc_unique_labels([[3, 4, 4, 3], [1, 1, 1, 0]])
    assert u.numpy().tolist() == [[3, 4, 0, 0], [1, 0, 0, 0]] and u.dtype == tf.int64
    assert i.numpy().tolist() == [[0, 1, 1, 0], [0, 0, 0, 1]]


def test_decoder_errors_name_the_op():
    with pytest.raises(tf.errors.InvalidArgumentError, match="ctc_greedy_decoder.*sequence_length"):
        tf.nn.ctc_greedy_decoder(_logits(), [7, 4])
    with pytest.raises(tf.errors.InvalidArgumentError, match="top_paths"):
        tf.nn.ctc_beam_search_decoder(_logits(), [6, 4], beam_width=2, top_paths=3)
    f = tf.function(lambda v: tf.nn.ctc_greedy_decoder(v, [6, 4]))
    with pytest.raises(tf.errors.InvalidArgumentError, match="eagerly only"):
        f(_logits())
