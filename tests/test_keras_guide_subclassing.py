"""Cells of the Keras guide "Making new layers and models via subclassing" (keras-io
guides/making_new_layers_and_models_via_subclassing.py), run with `import graphflow as tf;
from graphflow import keras`. MNIST is replaced by generated data (no downloads), with fewer
steps; expected values are the guide's printed values, numpy, or Keras 3.15's output."""
import numpy as np
import pytest

import graphflow as tf
from graphflow import keras
from graphflow.keras import layers


pytestmark = pytest.mark.usefixtures("keras_seeded")   # conftest: the same values every run


class Linear(keras.layers.Layer):
    def __init__(self, units=32, input_dim=32):
        super().__init__()
        self.w = self.add_weight(
            shape=(input_dim, units), initializer="random_normal", trainable=True
        )
        self.b = self.add_weight(shape=(units,), initializer="zeros", trainable=True)

    def call(self, inputs):
        return tf.matmul(inputs, self.w) + self.b


def test_linear_layer_weights_in_init():
    x = tf.ones((2, 2))
    linear_layer = Linear(4, 2)
    y = linear_layer(x)
    assert y.shape == (2, 4)
    np.testing.assert_allclose(y.numpy(), np.ones((2, 2)) @ linear_layer.w.numpy(), rtol=1e-6)
    assert linear_layer.weights == [linear_layer.w, linear_layer.b]
    # random_normal: stddev 0.05
    assert np.abs(linear_layer.w.numpy()).max() < 0.5


class ComputeSum(keras.layers.Layer):
    def __init__(self, input_dim):
        super().__init__()
        self.total = self.add_weight(
            initializer="zeros", shape=(input_dim,), trainable=False
        )

    def call(self, inputs):
        self.total.assign_add(tf.reduce_sum(inputs, axis=0))
        return self.total


def test_non_trainable_weight():
    x = tf.ones((2, 2))
    my_sum = ComputeSum(2)
    y = my_sum(x)
    assert y.numpy().tolist() == [2.0, 2.0]  # the guide prints [2. 2.]
    y = my_sum(x)
    assert y.numpy().tolist() == [4.0, 4.0]  # then [4. 4.]
    assert len(my_sum.weights) == 1
    assert len(my_sum.non_trainable_weights) == 1
    assert my_sum.trainable_weights == []


class LazyLinear(keras.layers.Layer):
    def __init__(self, units=32):
        super().__init__()
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(
            shape=(input_shape[-1], self.units),
            initializer="random_normal",
            trainable=True,
        )
        self.b = self.add_weight(
            shape=(self.units,), initializer="random_normal", trainable=True
        )

    def call(self, inputs):
        return tf.matmul(inputs, self.w) + self.b


class MLPBlock(keras.layers.Layer):
    def __init__(self):
        super().__init__()
        self.linear_1 = LazyLinear(32)
        self.linear_2 = LazyLinear(32)
        self.linear_3 = LazyLinear(1)

    def call(self, inputs):
        x = self.linear_1(inputs)
        x = tf.nn.relu(x)
        x = self.linear_2(x)
        x = tf.nn.relu(x)
        return self.linear_3(x)


def test_build_and_recursive_composition():
    linear_layer = LazyLinear(32)
    assert linear_layer.weights == []
    y = linear_layer(tf.ones((2, 2)))
    assert [tuple(w.shape) for w in linear_layer.weights] == [(2, 32), (32,)]
    mlp = MLPBlock()
    y = mlp(tf.ones(shape=(3, 64)))
    assert y.shape == (3, 1)
    assert len(mlp.weights) == 6  # the guide prints 6
    assert len(mlp.trainable_weights) == 6
    w = [v.numpy() for v in mlp.weights]
    h = np.maximum(np.ones((3, 64)) @ w[0] + w[1], 0)
    h = np.maximum(h @ w[2] + w[3], 0)
    np.testing.assert_allclose(y.numpy(), h @ w[4] + w[5], rtol=1e-5, atol=1e-6)


class ActivityRegularizationLayer(keras.layers.Layer):
    def __init__(self, rate=1e-2):
        super().__init__()
        self.rate = rate

    def call(self, inputs):
        self.add_loss(self.rate * tf.reduce_mean(inputs))
        return inputs


class OuterLayer(keras.layers.Layer):
    def __init__(self):
        super().__init__()
        self.activity_reg = ActivityRegularizationLayer(1e-2)

    def call(self, inputs):
        return self.activity_reg(inputs)


class OuterLayerWithKernelRegularizer(keras.layers.Layer):
    def __init__(self):
        super().__init__()
        self.dense = keras.layers.Dense(
            32, kernel_regularizer=keras.regularizers.l2(1e-3)
        )

    def call(self, inputs):
        return self.dense(inputs)


def test_add_loss_and_regularizer_losses():
    layer = OuterLayer()
    assert len(layer.losses) == 0
    _ = layer(tf.zeros(1, 1))
    assert len(layer.losses) == 1
    _ = layer(tf.zeros(1, 1))
    assert len(layer.losses) == 1
    _ = layer(2 * tf.ones((2, 2)))
    np.testing.assert_allclose(float(layer.losses[0]), 0.02, rtol=1e-6)

    layer = OuterLayerWithKernelRegularizer()
    _ = layer(tf.zeros((1, 1)))
    assert len(layer.losses) == 1
    # This is `1e-3 * sum(layer.dense.kernel ** 2)`
    np.testing.assert_allclose(float(layer.losses[0]),
                               1e-3 * np.sum(layer.dense.kernel.numpy() ** 2), rtol=1e-5)


def test_add_loss_with_fit_and_compile_without_loss():
    inputs = keras.Input(shape=(3,))
    outputs = ActivityRegularizationLayer()(inputs)
    model = keras.Model(inputs, outputs)
    r = np.random.default_rng(0)
    x, y = r.random((2, 3)), r.random((2, 3))
    model.compile(optimizer="adam", loss="mse")
    h = model.fit(x, y, verbose=0)
    # loss = mse + 1e-2 * mean(inputs) (the model has no weights)
    np.testing.assert_allclose(h.history["loss"][0], np.mean((x - y) ** 2) + 1e-2 * x.mean(),
                               rtol=1e-5)
    model.compile(optimizer="adam")
    x2 = r.random((2, 3))
    h = model.fit(x2, r.random((2, 3)), verbose=0)
    np.testing.assert_allclose(h.history["loss"][0], 1e-2 * x2.mean(), rtol=1e-5)


class ConfigLinear(keras.layers.Layer):
    def __init__(self, units=32):
        super().__init__()
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units),
                                 initializer="random_normal", trainable=True)
        self.b = self.add_weight(shape=(self.units,), initializer="random_normal",
                                 trainable=True)

    def call(self, inputs):
        return tf.matmul(inputs, self.w) + self.b

    def get_config(self):
        return {"units": self.units}


class KwLinear(keras.layers.Layer):
    def __init__(self, units=32, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units),
                                 initializer="random_normal", trainable=True)
        self.b = self.add_weight(shape=(self.units,), initializer="random_normal",
                                 trainable=True)

    def call(self, inputs):
        return tf.matmul(inputs, self.w) + self.b

    def get_config(self):
        config = super().get_config()
        config.update({"units": self.units})
        return config


def test_serialization_get_config_from_config():
    layer = ConfigLinear(64)
    config = layer.get_config()
    assert config == {"units": 64}
    new_layer = ConfigLinear.from_config(config)
    assert new_layer.units == 64

    layer = KwLinear(64, name="linear")
    config = layer.get_config()
    # Keras 3.15: {'name': 'linear', 'trainable': True, 'dtype': {'module': 'keras',
    #   'class_name': 'DTypePolicy', 'config': {'name': 'float32'}, 'registered_name': None},
    #   'units': 64}
    assert config == {"name": "linear", "trainable": True,
                      "dtype": {"module": "keras", "class_name": "DTypePolicy",
                                "config": {"name": "float32"}, "registered_name": None},
                      "units": 64}
    new_layer = KwLinear.from_config(config)
    assert new_layer.units == 64 and new_layer.name == "linear"


class CustomDropout(keras.layers.Layer):
    def __init__(self, rate, **kwargs):
        super().__init__(**kwargs)
        self.rate = rate

    def call(self, inputs, training=False):
        if training:
            return tf.nn.dropout(inputs, rate=self.rate)
        return inputs


def test_training_argument():
    layer = CustomDropout(0.5)
    x = tf.ones((200, 50))
    np.testing.assert_array_equal(layer(x).numpy(), np.ones((200, 50)))
    y = layer(x, training=True).numpy()
    assert set(np.unique(y)) <= {0.0, 2.0}
    assert 0.4 < (y == 0).mean() < 0.6
    # fit passes training=True: inside a model the layer drops
    inputs = keras.Input(shape=(50,))
    model = keras.Model(inputs, CustomDropout(0.5)(inputs))
    np.testing.assert_array_equal(model(np.ones((4, 50), "float32")).numpy(), np.ones((4, 50)))


class Sampling(layers.Layer):
    """Uses (z_mean, z_log_var) to sample z, the vector encoding a digit."""

    def call(self, inputs):
        z_mean, z_log_var = inputs
        batch = tf.shape(z_mean)[0]
        dim = tf.shape(z_mean)[1]
        epsilon = keras.backend.random_normal(shape=(batch, dim))
        return z_mean + tf.exp(0.5 * z_log_var) * epsilon


class Encoder(layers.Layer):
    """Maps MNIST digits to a triplet (z_mean, z_log_var, z)."""

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
    """Converts z, the encoded digit vector, back into a readable digit."""

    def __init__(self, original_dim, intermediate_dim=64, name="decoder", **kwargs):
        super().__init__(name=name, **kwargs)
        self.dense_proj = layers.Dense(intermediate_dim, activation="relu")
        self.dense_output = layers.Dense(original_dim, activation="sigmoid")

    def call(self, inputs):
        x = self.dense_proj(inputs)
        return self.dense_output(x)


class VariationalAutoEncoder(keras.Model):
    """Combines the encoder and decoder into an end-to-end model for training."""

    def __init__(self, original_dim, intermediate_dim=64, latent_dim=32, name="autoencoder",
                 **kwargs):
        super().__init__(name=name, **kwargs)
        self.original_dim = original_dim
        self.encoder = Encoder(latent_dim=latent_dim, intermediate_dim=intermediate_dim)
        self.decoder = Decoder(original_dim, intermediate_dim=intermediate_dim)

    def call(self, inputs):
        z_mean, z_log_var, z = self.encoder(inputs)
        reconstructed = self.decoder(z)
        # Add KL divergence regularization loss.
        kl_loss = -0.5 * tf.reduce_mean(
            z_log_var - tf.square(z_mean) - tf.exp(z_log_var) + 1
        )
        self.add_loss(kl_loss)
        return reconstructed


def _digits():
    # stands in for MNIST: 256 "images" of 64 pixels in [0, 1] with structure to learn
    r = np.random.default_rng(0)
    protos = r.random((4, 64)).astype("float32")
    return np.clip(protos[r.integers(0, 4, 256)] + 0.05 * r.normal(size=(256, 64)), 0, 1
                   ).astype("float32")


def test_vae_custom_training_loop():
    x_train = _digits()
    original_dim = 64
    vae = VariationalAutoEncoder(original_dim, 32, 8)
    optimizer = keras.optimizers.Adam(learning_rate=1e-3)
    mse_loss_fn = keras.losses.MeanSquaredError()
    loss_metric = keras.metrics.Mean()
    train_dataset = tf.data.Dataset.from_tensor_slices(x_train)
    train_dataset = train_dataset.shuffle(buffer_size=1024).batch(64)
    epoch_means = []
    for epoch in range(3):
        for step, x_batch_train in enumerate(train_dataset):
            with tf.GradientTape() as tape:
                reconstructed = vae(x_batch_train)
                loss = mse_loss_fn(x_batch_train, reconstructed)
                loss += sum(vae.losses)  # Add KLD regularization loss
            grads = tape.gradient(loss, vae.trainable_weights)
            optimizer.apply_gradients(zip(grads, vae.trainable_weights))
            loss_metric(loss)
        epoch_means.append(float(loss_metric.result()))
    assert step == 3
    assert len(vae.losses) == 1
    assert len(vae.trainable_weights) == 10   # 5 Dense layers
    assert epoch_means[-1] < epoch_means[0]


def test_vae_fit():
    x_train = _digits()
    vae = VariationalAutoEncoder(64, 32, 8)
    optimizer = keras.optimizers.Adam(learning_rate=1e-3)
    vae.compile(optimizer, loss=keras.losses.MeanSquaredError())
    h = vae.fit(x_train, x_train, epochs=3, batch_size=64, verbose=0)
    assert h.history["loss"][-1] < h.history["loss"][0]
