"""Keras 3's `.weights.h5` layout for subclassed models: Keras 3.15 walks a model's attributes
by name (a Sequential's / functional model's `layers` first, private attributes last), so a
layer sits under the first attribute that reaches it (`blocks/dense`, `emb`,
`layers/dense_1`). tests/data/keras315_subclassed.weights.h5 was written by Keras 3.15 (TF
backend) for the model below (same code); its output on X was KERAS_OUT."""
import os

import numpy as np

from graphflow import keras

L = keras.layers
DATA = os.path.join(os.path.dirname(__file__), "data", "keras315_subclassed.weights.h5")
X = np.array([[0.1, 0.2, 0.3], [-1.0, 0.5, 2.0]], "float32")
KERAS_OUT = [[-0.6537730097770691, -0.08433599770069122],
             [0.7537040114402771, -0.0034890000242739916]]
KERAS_GROUPS = [
    "blocks", "blocks/dense", "blocks/dense/vars", "blocks/dense/vars/0", "blocks/dense/vars/1",
    "blocks/lin", "blocks/lin/vars", "blocks/lin/vars/0", "blocks/lin/vars/1",
    "blocks/lin/vars/2", "emb", "emb/vars", "layers", "layers/dense_1", "layers/dense_1/vars",
    "layers/dense_1/vars/0", "layers/dense_1/vars/1", "layers/layer_normalization",
    "layers/layer_normalization/vars", "layers/layer_normalization/vars/0",
    "layers/layer_normalization/vars/1", "layers/sequential", "layers/sequential/layers",
    "layers/sequential/layers/dense", "layers/sequential/layers/dense/vars",
    "layers/sequential/layers/dense/vars/0", "layers/sequential/layers/dense/vars/1",
    "layers/sequential/layers/dropout", "layers/sequential/layers/dropout/vars",
    "layers/sequential/vars", "vars"]


class Lin(L.Layer):
    def __init__(self, units, **kw):
        super().__init__(**kw)
        self.units = units

    def build(self, s):
        self.w = self.add_weight(shape=(s[-1], self.units), name="w")
        self.b = self.add_weight(shape=(self.units,), initializer="random_normal", name="b")
        self.count = self.add_weight(shape=(), initializer="ones", trainable=False,
                                     name="count")

    def call(self, x):
        return x @ self.w + self.b * self.count


class Net(keras.Model):
    def __init__(self):
        super().__init__()
        self.blocks = [L.Dense(4), Lin(3)]
        self.mapping = {"head": L.Dense(2)}
        self.norm = L.LayerNormalization(beta_initializer="random_normal")
        self.emb = L.Embedding(5, 2)
        self.seq = keras.Sequential([L.Dense(2), L.Dropout(0.1)])

    def call(self, x):
        for b in self.blocks:
            x = b(x)
        return self.seq(self.norm(self.mapping["head"](x)))


def test_keras_315_subclassed_weights_load_and_save_in_its_layout(tmp_path):
    import h5py
    m = Net()
    m(X)
    m.load_weights(DATA)
    np.testing.assert_allclose(m(X).numpy(), KERAS_OUT, rtol=1e-5, atol=1e-6)
    with h5py.File(DATA) as f:   # each variable came from its Keras path
        np.testing.assert_array_equal(m.blocks[1].w.numpy(), f["blocks/lin/vars/0"][()])
        np.testing.assert_array_equal(m.mapping["head"].kernel.numpy(),
                                      f["layers/dense_1/vars/0"][()])
    path = str(tmp_path / "back.weights.h5")
    m.save_weights(path)
    groups = []
    with h5py.File(path) as f:
        f.visit(groups.append)
    assert groups == KERAS_GROUPS
