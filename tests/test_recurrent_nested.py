"""RNN(cell) with nested inputs, states and outputs ("Working with RNNs": a cell over a tuple of
sequences with states of any shape), eagerly and as one traced loop, against a numpy loop."""
import numpy as np
import pytest

import graphflow as tf
from graphflow import keras


class NestedCell(keras.layers.Layer):   # the Keras guide's cell
    def __init__(self, unit_1, unit_2, unit_3, **kwargs):
        self.unit_1, self.unit_2, self.unit_3 = unit_1, unit_2, unit_3
        self.state_size = [tf.TensorShape([unit_1]), tf.TensorShape([unit_2, unit_3])]
        self.output_size = [tf.TensorShape([unit_1]), tf.TensorShape([unit_2, unit_3])]
        super().__init__(**kwargs)

    def build(self, input_shapes):
        i1, i2, i3 = input_shapes[0][1], input_shapes[1][1], input_shapes[1][2]
        self.kernel_1 = self.add_weight(shape=(i1, self.unit_1), initializer="uniform",
                                        name="kernel_1")
        self.kernel_2_3 = self.add_weight(shape=(i2, i3, self.unit_2, self.unit_3),
                                          initializer="uniform", name="kernel_2_3")

    def call(self, inputs, states):
        input_1, input_2 = tf.nest.flatten(inputs)
        s1, s2 = states
        output_1 = tf.matmul(input_1, self.kernel_1)
        output_2_3 = tf.einsum("bij,ijkl->bkl", input_2, self.kernel_2_3)
        return (output_1, output_2_3), (s1 + output_1, s2 + output_2_3)


def numpy_run(cell, a, b):
    # (in float64: float32 sums of these mixed-sign products cancel near zero, where two
    # summation orders - numpy's einsum loop, BLAS - differ by more than rtol alone allows)
    a, b = a.astype(np.float64), b.astype(np.float64)
    k1, k23 = cell.kernel_1.numpy().astype(np.float64), cell.kernel_2_3.numpy().astype(np.float64)
    s1 = np.zeros((a.shape[0], k1.shape[1]))
    s2 = np.zeros((a.shape[0],) + k23.shape[2:])
    outs = []
    for t in range(a.shape[1]):
        o1, o23 = a[:, t] @ k1, np.einsum("bij,ijkl->bkl", b[:, t], k23)
        s1, s2 = s1 + o1, s2 + o23
        outs.append((o1, o23))
    return outs, (s1, s2)


@pytest.mark.parametrize("traced", [False, True])
def test_nested_cell_matches_numpy(traced):
    rng = np.random.default_rng(0)
    a = rng.random((4, 5, 3)).astype(np.float32)
    b = rng.random((4, 5, 2, 3)).astype(np.float32)
    cell = NestedCell(2, 3, 4)
    rnn = keras.layers.RNN(cell, return_sequences=True, return_state=True)
    call = tf.function(lambda x, y: rnn((x, y))) if traced else (lambda x, y: rnn((x, y)))
    (seq1, seq23), s1, s2 = call(tf.constant(a), tf.constant(b))
    outs, (w1, w2) = numpy_run(cell, a, b)
    tol = dict(rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(seq1.numpy(), np.stack([o[0] for o in outs], 1), **tol)
    np.testing.assert_allclose(seq23.numpy(), np.stack([o[1] for o in outs], 1), **tol)
    np.testing.assert_allclose(s1.numpy(), w1, **tol)
    np.testing.assert_allclose(s2.numpy(), w2, **tol)


def test_nested_cell_in_a_functional_model_trains():
    cell = NestedCell(2, 3, 4)
    in_1, in_2 = keras.Input((None, 3)), keras.Input((None, 2, 3))
    outputs = keras.layers.RNN(cell)((in_1, in_2))
    model = keras.Model([in_1, in_2], outputs)
    assert [tuple(o.shape) for o in model.outputs] == [(None, 2), (None, 3, 4)]
    model.compile(optimizer="adam", loss="mse")
    rng = np.random.default_rng(1)
    x = [rng.random((16, 5, 3)), rng.random((16, 5, 2, 3))]
    y = [rng.random((16, 2)), rng.random((16, 3, 4))]
    w0 = cell.kernel_1.numpy().copy()
    hist = model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    assert np.all(np.isfinite(hist.history["loss"])) and not np.allclose(cell.kernel_1.numpy(), w0)
    with pytest.raises(ValueError, match="Invalid `metrics`"):   # as Keras 3
        model.compile(optimizer="adam", loss="mse", metrics=["accuracy"])
        model.fit(x, y, batch_size=8, verbose=0)
