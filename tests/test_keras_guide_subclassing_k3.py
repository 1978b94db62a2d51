"""The Keras 3 edition of the guide "Making new layers and models via subclassing" (keras-io
guides/making_new_layers_and_models_via_subclassing.py, written with `keras.ops` and
`keras.random`), run with `from graphflow import keras; from graphflow.keras import ops`.
MNIST is replaced by generated data (no downloads), with fewer steps."""
import numpy as np
import pytest

from graphflow import keras
from graphflow.keras import layers, ops


pytestmark = pytest.mark.usefixtures("keras_seeded")   # conftest: the same values every run


class Linear(keras.layers.Layer):
    def __init__(self, units=32, input_dim=32):
        super().__init__()
        self.w = self.add_weight(shape=(input_dim, units), initializer="random_normal",
                                 trainable=True)
        self.b = self.add_weight(shape=(units,), initializer="zeros", trainable=True)

    def call(self, inputs):
        return ops.matmul(inputs, self.w) + self.b


class ComputeSum(keras.layers.Layer):
    def __init__(self, input_dim):
        super().__init__()
        self.total = self.add_weight(initializer="zeros", shape=(input_dim,), trainable=False)

    def call(self, inputs):
        self.total.assign_add(ops.sum(inputs, axis=0))
        return self.total


def test_layers_with_ops():
    x = ops.ones((2, 2))
    linear_layer = Linear(4, 2)
    y = linear_layer(x)
    np.testing.assert_allclose(ops.convert_to_numpy(y),
                               np.ones((2, 2)) @ ops.convert_to_numpy(linear_layer.w), rtol=1e-6)
    assert linear_layer.weights == [linear_layer.w, linear_layer.b]
    my_sum = ComputeSum(2)
    assert ops.convert_to_numpy(my_sum(x)).tolist() == [2.0, 2.0]
    assert ops.convert_to_numpy(my_sum(x)).tolist() == [4.0, 4.0]
    assert (len(my_sum.weights), len(my_sum.non_trainable_weights),
            my_sum.trainable_weights) == (1, 1, [])


class ActivityRegularizationLayer(keras.layers.Layer):
    def __init__(self, rate=1e-2):
        super().__init__()
        self.rate = rate

    def call(self, inputs):
        self.add_loss(self.rate * ops.mean(inputs))
        return inputs


def test_add_loss_with_ops():
    layer = ActivityRegularizationLayer()
    _ = layer(ops.ones((1, 1)) * 3)
    np.testing.assert_allclose(float(layer.losses[0]), 0.03, rtol=1e-6)
    inputs = keras.Input(shape=(3,))
    model = keras.Model(inputs, ActivityRegularizationLayer()(inputs))
    model.compile(optimizer="adam")
    x = np.random.default_rng(0).random((2, 3))
    h = model.fit(x, np.zeros((2, 3)), verbose=0)
    np.testing.assert_allclose(h.history["loss"][0], 1e-2 * x.mean(), rtol=1e-5)


class CustomDropout(keras.layers.Layer):
    def __init__(self, rate, **kwargs):
        super().__init__(**kwargs)
        self.rate = rate
        self.seed_generator = keras.random.SeedGenerator(1337)

    def call(self, inputs, training=None):
        if training:
            return keras.random.dropout(inputs, rate=self.rate, seed=self.seed_generator)
        return inputs


def test_custom_dropout_with_seed_generator():
    layer = CustomDropout(0.5)
    x = ops.ones((100, 40))
    np.testing.assert_array_equal(ops.convert_to_numpy(layer(x)), np.ones((100, 40)))
    a = ops.convert_to_numpy(layer(x, training=True))
    b = ops.convert_to_numpy(layer(x, training=True))
    assert set(np.unique(a)) <= {0.0, 2.0} and 0.4 < (a == 0).mean() < 0.6
    assert not np.array_equal(a, b)   # the generator's stream advances


class Sampling(layers.Layer):
    """Uses (z_mean, z_log_var) to sample z, the vector encoding a digit."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seed_generator = keras.random.SeedGenerator(1337)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        batch = ops.shape(z_mean)[0]
        dim = ops.shape(z_mean)[1]
        epsilon = keras.random.normal(shape=(batch, dim), seed=self.seed_generator)
        return z_mean + ops.exp(0.5 * z_log_var) * epsilon


class Encoder(layers.Layer):
    def __init__(self, latent_dim=32, intermediate_dim=64, name="encoder", **kwargs):
        super().__init__(name=name, **kwargs)
        self.dense_proj = layers.Dense(intermediate_dim, activation="relu")
        self.dense_mean = layers.Dense(latent_dim)
        self.dense_log_var = layers.Dense(latent_dim)
        self.sampling = Sampling()

    def call(self, inputs):
        x = self.dense_proj(inputs)
        z_mean = self.dense_mean(x)
        z_log_var = self.dense_log_var(x)
        z = self.sampling((z_mean, z_log_var))
        return z_mean, z_log_var, z


class Decoder(layers.Layer):
    def __init__(self, original_dim, intermediate_dim=64, name="decoder", **kwargs):
        super().__init__(name=name, **kwargs)
        self.dense_proj = layers.Dense(intermediate_dim, activation="relu")
        self.dense_output = layers.Dense(original_dim, activation="sigmoid")

    def call(self, inputs):
        x = self.dense_proj(inputs)
        return self.dense_output(x)


class VariationalAutoEncoder(keras.Model):
    def __init__(self, original_dim, intermediate_dim=64, latent_dim=32, name="autoencoder",
                 **kwargs):
        super().__init__(name=name, **kwargs)
        self.original_dim = original_dim
        self.encoder = Encoder(latent_dim=latent_dim, intermediate_dim=intermediate_dim)
        self.decoder = Decoder(original_dim, intermediate_dim=intermediate_dim)

    def call(self, inputs):
        z_mean, z_log_var, z = self.encoder(inputs)
        reconstructed = self.decoder(z)
        kl_loss = -0.5 * ops.mean(z_log_var - ops.square(z_mean) - ops.exp(z_log_var) + 1)
        self.add_loss(kl_loss)
        return reconstructed


def test_vae_fit_with_ops_and_seed_generator():
    r = np.random.default_rng(0)
    protos = r.random((4, 64)).astype("float32")
    x_train = np.clip(protos[r.integers(0, 4, 256)] + 0.05 * r.normal(size=(256, 64)), 0, 1
                      ).astype("float32")
    vae = VariationalAutoEncoder(64, 32, 8)
    optimizer = keras.optimizers.Adam(learning_rate=1e-3)
    vae.compile(optimizer, loss=keras.losses.MeanSquaredError())
    h = vae.fit(x_train, x_train, epochs=3, batch_size=64, verbose=0)
    assert h.history["loss"][-1] < h.history["loss"][0]
    # the sampling layer draws anew in every traced step: two predictions differ
    a, b = vae.predict(x_train[:4], verbose=0), vae.predict(x_train[:4], verbose=0)
    assert a.shape == (4, 64) and not np.array_equal(a, b)
