"""The Transformer tutorial's greedy decoding loop (a tf.Module whose `__call__` runs a Python
`for` over tf.range with a TensorArray, an `if ...: break` on a one-element tensor, and a
variable first assigned in the body whose shape is known only at run time), traced under an
input_signature with an unknown length: as TF, it traces and gives the eager result."""
import numpy as np
import pytest

import graphflow as tf


class Decoder(tf.Module):
    """Greedy decoding with a toy 'model': the next id is (sum of the ids so far) mod 7."""

    def __call__(self, sentence, max_length=6):
        out = tf.TensorArray(dtype=tf.int64, size=0, dynamic_size=True)
        out = out.write(0, tf.constant([1], tf.int64))
        for i in tf.range(max_length):
            output = tf.transpose(out.stack())               # [1, i + 1]: length unknown in the graph
            logits = tf.one_hot((tf.reduce_sum(output, axis=-1, keepdims=True) +
                                 tf.reduce_sum(sentence)) % 7, 7)   # [1, 1, 7]
            predicted_id = tf.argmax(logits[:, -1:, :], axis=-1)   # [1, None] while tracing
            out = out.write(i + 1, predicted_id[0])           # [None] written into [1] elements
            if predicted_id == 0:                             # a one-element predicate
                break
        return tf.transpose(out.stack())


class Export(tf.Module):
    def __init__(self, decoder):
        self.decoder = decoder

    @tf.function(input_signature=[tf.TensorSpec(shape=[1, None], dtype=tf.int64)])
    def __call__(self, sentence):
        return self.decoder(sentence)


@pytest.mark.parametrize("ids", [[3, 1], [2, 2, 2], [6]])
def test_greedy_decode_loop_traced_matches_eager(ids):
    sentence = tf.constant([ids], tf.int64)
    eager = Decoder()(sentence).numpy()
    traced = Export(Decoder())(sentence).numpy()
    np.testing.assert_array_equal(traced, eager)
    # the loop really ran: ids follow the rule until a 0 or max_length
    seq = [1]
    for _ in range(6):
        seq.append((sum(seq) + sum(ids)) % 7)
        if seq[-1] == 0:
            break
    np.testing.assert_array_equal(eager, [seq])


def test_tensor_array_write_merges_compatible_shapes():
    ta = tf.TensorArray(tf.float32, size=2, element_shape=[None, 2])
    ta = ta.write(0, tf.ones([3, 2]))
    assert ta.element_shape == (3, 2)
    with pytest.raises(ValueError, match=r"value has shape \[4, 2\] but the elements have "
                                         r"shape \[3, 2\]"):
        ta.write(1, tf.ones([4, 2]))


def test_cond_takes_a_one_element_predicate():
    @tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
    def f(x):
        return tf.cond(tf.reduce_sum(x, keepdims=True) > 0, lambda: x * 2, lambda: -x)

    np.testing.assert_array_equal(f(tf.constant([1., 2.])).numpy(), [2., 4.])
    np.testing.assert_array_equal(f(tf.constant([-1., 0.])).numpy(), [1., 0.])

    @tf.function
    def g(x):
        return tf.cond(x > 0, lambda: x, lambda: -x)
    with pytest.raises(ValueError, match=r"cond: the predicate must be a scalar, got shape"):
        g(tf.constant([1., 2.]))


@tf.function
def _for_else(n):
    x = tf.constant(1)
    for _ in tf.range(n):
        x = x * 2
    else:
        x = x + 100
    return x


@tf.function
def _while_else(n):
    x = tf.constant(1)
    i = 0
    while i < n:
        x = x * 3
        i += 1
    else:
        x = x - 1
    return x


@tf.function
def _for_break_else(n):
    x = tf.constant(1)
    for i in tf.range(n):
        x = x * 2
        if i > 1:
            break
    else:
        x = x + 100
    return x


def test_loop_else_clauses_run_as_python():
    """A loop's else clause runs unless the loop was left by break (it was dropped silently
    when the function had no break/continue/nested return)."""
    assert int(_for_else(tf.constant(3))) == 108
    assert int(_while_else(tf.constant(2))) == 8
    assert int(_for_break_else(tf.constant(5))) == 8      # left by break: no else
    assert int(_for_break_else(tf.constant(2))) == 104    # ran out: else
