"""Keras 3.15 API breadth (third round): activations, losses, metrics, utils, backend, config
and tree names Keras 3 has. Expected numbers come from real Keras 3.15.1 (JAX backend), run
offline and hard-coded here."""
import numpy as np
import pytest

import graphflow as tf
from graphflow import keras
from conftest import check_grad

A = keras.activations
X = np.array([-2.5, -1.0, -0.3, 0.0, 0.4, 1.0, 3.0], "float32")

# keras.activations.<name>(X) in Keras 3.15.1
ACT = {
    "celu": [-0.9179149866104126, -0.6321205496788025, -0.25918176770210266, 0.0, 0.4, 1.0, 3.0],
    "hard_shrink": [-2.5, -1.0, 0.0, 0.0, 0.0, 1.0, 3.0],
    "hard_silu": [-0.2083333432674408, -0.3333333432674408, -0.13500000536441803, 0.0,
                  0.22666668891906738, 0.6666666865348816, 3.0],
    "hard_tanh": [-1.0, -1.0, -0.3, 0.0, 0.4, 1.0, 1.0],
    "log_sigmoid": [-2.578889846801758, -1.3132617473602295, -0.8543552756309509,
                    -0.6931471824645996, -0.5130152702331543, -0.3132616877555847,
                    -0.04858735203742981],
    "mish": [-0.19681617617607117, -0.3034014403820038, -0.15113317966461182, 0.0,
             0.2890305519104004, 0.8650984764099121, 2.9865355491638184],
    "soft_shrink": [-2.0, -0.5, 0.0, 0.0, 0.0, 0.5, 2.5],
    "sparse_plus": [0.0, 0.0, 0.1224999949336052, 0.25, 0.4899999797344208, 1.0, 3.0],
    "sparse_sigmoid": [0.0, 0.0, 0.35, 0.5, 0.7, 1.0, 1.0],
    "squareplus": [0.35078108310699463, 0.6180340051651001, 0.8611874580383301, 1.0,
                   1.2198039293289185, 1.6180340051651, 3.3027756214141846],
    "tanh_shrink": [-1.5133856534957886, -0.23840582370758057, -0.008687406778335571, 0.0,
                    0.020051002502441406, 0.23840582370758057, 2.0049452781677246],
}


@pytest.mark.parametrize("name", sorted(ACT))
def test_activation_values_as_keras(name):
    fn = getattr(A, name)
    np.testing.assert_allclose(fn(tf.constant(X)).numpy(), ACT[name], rtol=1e-5, atol=1e-6)
    assert A.get(name) is fn and A.deserialize(name) is fn and A.serialize(fn) == name


def test_activation_aliases_threshold_glu_sparsemax():
    assert A.get("hard_swish") is A.hard_silu and A.hard_swish is A.hard_silu
    np.testing.assert_allclose(A.threshold(tf.constant(X), 0.2, -7.0).numpy(),
                               [-7, -7, -7, -7, 0.4, 1.0, 3.0], rtol=1e-6)
    m = np.array([[0.5, 1.5, -1.0, 2.0], [0.1, 0.2, 0.3, 0.4]], "float32")
    np.testing.assert_allclose(A.glu(tf.constant(m)).numpy(),
                               [[0.13447071611881256, 1.3211956024169922],
                                [0.0574442520737648, 0.11973752826452255]], rtol=1e-5)
    # sparsemax is the Euclidean projection onto the simplex (Martins & Astudillo 2016).
    # NOTE Keras 3.15's own sparsemax returns [[0,0,0,0],[0,0,0,0]] here (its threshold sums
    # the cumulative sums); graphflow returns the projection, which sums to 1.
    np.testing.assert_allclose(A.sparsemax(tf.constant(m)).numpy(),
                               [[0, 0.25, 0, 0.75], [0.1, 0.2, 0.3, 0.4]], atol=1e-6)


def test_activation_deserialize_dict_and_registered():
    cfg = {"module": "keras.activations", "class_name": "function", "config": "celu",
           "registered_name": "function"}
    assert A.deserialize(cfg) is A.celu

    def twice(x):
        return x * 2.0
    assert A.deserialize("twice", custom_objects={"twice": twice}) is twice
    with pytest.raises(ValueError, match="nope"):
        A.deserialize("nope")


@pytest.mark.parametrize("name", ["mish", "celu", "squareplus", "log_sigmoid", "tanh_shrink"])
def test_activation_gradients(name):
    fn = getattr(A, name)
    check_grad(lambda x: fn(x), [np.array([-1.3, -0.2, 0.45, 2.1])])


def test_activation_layer_by_name():
    layer = keras.layers.Dense(3, activation="mish", kernel_initializer="ones")
    out = layer(np.array([[0.1, 0.2]], "float32")).numpy()
    np.testing.assert_allclose(out, [[0.3 * np.tanh(np.log1p(np.exp(0.3)))] * 3], rtol=1e-6)
