"""Cells of the Keras guide "Customizing what happens in fit() with TensorFlow" (keras-io
guides/custom_train_step_in_tensorflow.py, Keras 3), run with `import graphflow as tf;
import graphflow.keras as keras`. MNIST is replaced by generated images, with fewer samples and
steps; values are checked against numpy and Keras 3.15's log keys."""
import numpy as np
import pytest

import graphflow as tf
from graphflow import keras
from graphflow.keras import layers


pytestmark = pytest.mark.usefixtures("keras_seeded")   # conftest: the same values every run


class CustomModel(keras.Model):
    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)  # Forward pass
            loss = self.compute_loss(y=y, y_pred=y_pred)
        trainable_vars = self.trainable_variables
        gradients = tape.gradient(loss, trainable_vars)
        self.optimizer.apply(gradients, trainable_vars)
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}


_r = np.random.default_rng(0)
x = _r.random((200, 32))
y = _r.random((200, 1))


def test_first_simple_example():
    inputs = keras.Input(shape=(32,))
    outputs = keras.layers.Dense(1)(inputs)
    model = CustomModel(inputs, outputs)
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    h = model.fit(x, y, epochs=3, verbose=0)
    # Keras 3.15: the logs are 'loss' and 'mae' (the compiled metrics' results, flattened)
    assert sorted(h.history) == ["loss", "mae"]
    assert h.history["loss"][2] < h.history["loss"][0]
    k, b = model.layers[-1].get_weights()
    p = x @ k + b
    res = model.evaluate(x, y, verbose=0, return_dict=True)
    np.testing.assert_allclose([res["loss"], res["mae"]],
                               [np.mean((p - y) ** 2), np.mean(np.abs(p - y))], rtol=1e-4)


class LowLevelModel(keras.Model):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.mae_metric = keras.metrics.MeanAbsoluteError(name="mae")
        self.loss_fn = keras.losses.MeanSquaredError()

    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)  # Forward pass
            loss = self.loss_fn(y, y_pred)
        trainable_vars = self.trainable_variables
        gradients = tape.gradient(loss, trainable_vars)
        self.optimizer.apply(gradients, trainable_vars)
        self.loss_tracker.update_state(loss)
        self.mae_metric.update_state(y, y_pred)
        return {
            "loss": self.loss_tracker.result(),
            "mae": self.mae_metric.result(),
        }

    @property
    def metrics(self):
        return [self.loss_tracker, self.mae_metric]


def test_going_lower_level():
    inputs = keras.Input(shape=(32,))
    outputs = keras.layers.Dense(1)(inputs)
    model = LowLevelModel(inputs, outputs)
    model.compile(optimizer="adam")
    batch_logs = []

    class Logs(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            batch_logs.append(logs["loss"])
    h = model.fit(x, y, epochs=5, verbose=0, batch_size=100, callbacks=[Logs()])
    assert sorted(h.history) == ["loss", "mae"] and len(h.history["loss"]) == 5
    # metrics listed in `metrics` are reset at each epoch: an epoch's first batch logs its own
    # loss, and the epoch's value is the running mean of its two batches only
    assert h.history["loss"][4] < h.history["loss"][0]
    assert h.history["loss"][4] == batch_logs[9]


class WeightedModel(keras.Model):
    def train_step(self, data):
        if len(data) == 3:
            x, y, sample_weight = data
        else:
            sample_weight = None
            x, y = data
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)  # Forward pass
            loss = self.compute_loss(y=y, y_pred=y_pred, sample_weight=sample_weight)
        trainable_vars = self.trainable_variables
        gradients = tape.gradient(loss, trainable_vars)
        self.optimizer.apply(gradients, trainable_vars)
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred, sample_weight=sample_weight)
        return {m.name: m.result() for m in self.metrics}


def test_sample_weight_and_class_weight():
    inputs = keras.Input(shape=(32,))
    outputs = keras.layers.Dense(1, kernel_initializer="zeros")(inputs)
    model = WeightedModel(inputs, outputs)
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse", metrics=["mae"])
    sw = _r.random((200, 1))
    h = model.fit(x[:50], y[:50], sample_weight=sw[:50], epochs=1, verbose=0, batch_size=50)
    # one step from zero weights: the weighted loss and mae of y against 0 (Keras: sum of
    # weighted per-sample losses over the batch size)
    np.testing.assert_allclose(h.history["loss"][0], np.mean(sw[:50, 0] * y[:50, 0] ** 2),
                               rtol=1e-5)
    # the guide's loop hands sample_weight to model.metrics[1], Keras 3's 'compile_metrics'
    # container, whose plain metrics ignore it: the unweighted mae (Keras 3.15 on TF prints it)
    np.testing.assert_allclose(h.history["mae"][0], np.mean(np.abs(y[:50, 0])), rtol=1e-5)
    assert list(h.history) == ["mae", "loss"]   # Keras 3's pythonify_logs order


class EvalModel(keras.Model):
    def test_step(self, data):
        x, y = data
        y_pred = self(x, training=False)
        loss = self.compute_loss(y=y, y_pred=y_pred)
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}


def test_own_evaluation_step():
    inputs = keras.Input(shape=(32,))
    outputs = keras.layers.Dense(1)(inputs)
    model = EvalModel(inputs, outputs)
    model.compile(loss="mse", metrics=["mae"])
    res = model.evaluate(x, y, verbose=0)
    k, b = model.layers[-1].get_weights()
    p = x @ k + b
    # the loss tracker gets one unweighted value per batch of 32 (the last has 8 samples): the
    # mean of the batch means; the compiled mae averages over samples
    batch_mse = [np.mean((p[i:i + 32] - y[i:i + 32]) ** 2) for i in range(0, 200, 32)]
    np.testing.assert_allclose(res, [np.mean(batch_mse), np.mean(np.abs(p - y))], rtol=1e-4)


class GAN(keras.Model):
    def __init__(self, discriminator, generator, latent_dim):
        super().__init__()
        self.discriminator = discriminator
        self.generator = generator
        self.latent_dim = latent_dim
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.seed_generator = keras.random.SeedGenerator(1337)

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker]

    def compile(self, d_optimizer, g_optimizer, loss_fn):
        super().compile()
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        self.loss_fn = loss_fn

    def train_step(self, real_images):
        if isinstance(real_images, tuple):
            real_images = real_images[0]
        batch_size = tf.shape(real_images)[0]
        random_latent_vectors = keras.random.normal(
            shape=(batch_size, self.latent_dim), seed=self.seed_generator
        )
        generated_images = self.generator(random_latent_vectors)
        combined_images = tf.concat([generated_images, real_images], axis=0)
        labels = tf.concat(
            [tf.ones((batch_size, 1)), tf.zeros((batch_size, 1))], axis=0
        )
        labels += 0.05 * keras.random.uniform(
            tf.shape(labels), seed=self.seed_generator
        )
        with tf.GradientTape() as tape:
            predictions = self.discriminator(combined_images)
            d_loss = self.loss_fn(labels, predictions)
        grads = tape.gradient(d_loss, self.discriminator.trainable_weights)
        self.d_optimizer.apply(grads, self.discriminator.trainable_weights)
        random_latent_vectors = keras.random.normal(
            shape=(batch_size, self.latent_dim), seed=self.seed_generator
        )
        misleading_labels = tf.zeros((batch_size, 1))
        with tf.GradientTape() as tape:
            predictions = self.discriminator(self.generator(random_latent_vectors))
            g_loss = self.loss_fn(misleading_labels, predictions)
        grads = tape.gradient(g_loss, self.generator.trainable_weights)
        self.g_optimizer.apply(grads, self.generator.trainable_weights)
        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        return {
            "d_loss": self.d_loss_tracker.result(),
            "g_loss": self.g_loss_tracker.result(),
        }


def _generator(latent_dim, transpose):
    up = ([layers.Conv2DTranspose(16, (4, 4), strides=(2, 2), padding="same")] if transpose
          else [layers.UpSampling2D(2), layers.Conv2D(16, 3, padding="same")])
    return keras.Sequential(
        [
            keras.Input(shape=(latent_dim,)),
            layers.Dense(7 * 7 * 16),
            layers.LeakyReLU(negative_slope=0.2),
            layers.Reshape((7, 7, 16)),
            *up,
            layers.LeakyReLU(negative_slope=0.2),
            *[type(l).from_config(l.get_config()) for l in up],
            layers.LeakyReLU(negative_slope=0.2),
            layers.Conv2D(1, (7, 7), padding="same", activation="sigmoid"),
        ],
        name="generator",
    )


def test_gan_with_fit_conv_transpose_generator():
    _run_gan(transpose=True)


def test_gan_with_fit():
    _run_gan(transpose=False)   # the guide's generator with UpSampling2D + Conv2D: see above


def _run_gan(transpose):
    discriminator = keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            layers.Conv2D(16, (3, 3), strides=(2, 2), padding="same"),
            layers.LeakyReLU(negative_slope=0.2),
            layers.Conv2D(32, (3, 3), strides=(2, 2), padding="same"),
            layers.LeakyReLU(negative_slope=0.2),
            layers.GlobalMaxPooling2D(),
            layers.Dense(1),
        ],
        name="discriminator",
    )   # the guide uses 64 and 128 filters
    latent_dim = 16
    generator = _generator(latent_dim, transpose)   # the guide: 128 filters, Conv2DTranspose
    batch_size = 8
    all_digits = np.random.default_rng(1).random((16, 28, 28, 1)).astype("float32")
    dataset = tf.data.Dataset.from_tensor_slices(all_digits)
    dataset = dataset.shuffle(buffer_size=1024).batch(batch_size)
    gan = GAN(discriminator=discriminator, generator=generator, latent_dim=latent_dim)
    gan.compile(
        d_optimizer=keras.optimizers.Adam(learning_rate=0.0003),
        g_optimizer=keras.optimizers.Adam(learning_rate=0.0003),
        loss_fn=keras.losses.BinaryCrossentropy(from_logits=True),
    )
    d0 = [w.numpy() for w in discriminator.trainable_weights]
    batch_logs = []

    class Logs(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            batch_logs.append(dict(logs))
    h = gan.fit(dataset.take(2), epochs=1, verbose=0, callbacks=[Logs()])
    assert sorted(h.history) == ["d_loss", "g_loss"]
    # the epoch value is the mean of the per-step losses (the trackers' running mean)
    assert len(batch_logs) == 2
    np.testing.assert_allclose(h.history["d_loss"][0], batch_logs[-1]["d_loss"], rtol=1e-6)
    assert 0.3 < h.history["d_loss"][0] < 1.5 and 0.3 < h.history["g_loss"][0] < 1.5
    assert all(not np.array_equal(a, w.numpy()) for a, w in
               zip(d0, discriminator.trainable_weights))
