"""Cells of the Keras guide "Writing a training loop from scratch in TensorFlow" (keras-io
guides/writing_a_custom_training_loop_in_tensorflow.py, Keras 3), run with `import graphflow as
tf; import graphflow.keras as keras`. MNIST is replaced by generated uint8 "digits" of the same
shape (the guide feeds raw uint8 pixels to the model), with fewer samples and steps."""
import numpy as np
import pytest

import graphflow as tf
from graphflow import keras


pytestmark = pytest.mark.usefixtures("keras_seeded")   # conftest: the same values every run


def get_model():
    inputs = keras.Input(shape=(784,), name="digits")
    x1 = keras.layers.Dense(64, activation="relu")(inputs)
    x2 = keras.layers.Dense(64, activation="relu")(x1)
    outputs = keras.layers.Dense(10, name="predictions")(x2)
    model = keras.Model(inputs=inputs, outputs=outputs)
    return model


def _mnist_like():
    r = np.random.default_rng(0)
    y = r.integers(0, 10, 192).astype("uint8")
    protos = r.integers(0, 256, (10, 784))
    x = np.clip(protos[y] + r.integers(-40, 40, (192, 784)), 0, 255).astype("uint8")
    return x[:128], y[:128], x[128:], y[128:]


batch_size = 32
x_train, y_train, x_val, y_val = _mnist_like()


def _datasets():
    train_dataset = tf.data.Dataset.from_tensor_slices((x_train, y_train))
    train_dataset = train_dataset.shuffle(buffer_size=1024).batch(batch_size)
    val_dataset = tf.data.Dataset.from_tensor_slices((x_val, y_val))
    val_dataset = val_dataset.batch(batch_size)
    return train_dataset, val_dataset


def _sce_logits(y, logits):
    z = logits - logits.max(-1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(-1, keepdims=True))
    return -logp[np.arange(len(y)), y.astype(int)].mean()


def test_first_end_to_end_loop_with_uint8_pixels():
    keras.utils.set_random_seed(0)
    model = get_model()
    optimizer = keras.optimizers.Adam(learning_rate=1e-3)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    train_dataset, val_dataset = _datasets()
    first = None
    epochs = 3
    for epoch in range(epochs):
        for step, (x_batch_train, y_batch_train) in enumerate(train_dataset):
            before = [w.numpy() for w in model.trainable_weights]
            with tf.GradientTape() as tape:
                logits = model(x_batch_train, training=True)  # Logits for this minibatch
                loss_value = loss_fn(y_batch_train, logits)
            grads = tape.gradient(loss_value, model.trainable_weights)
            optimizer.apply(grads, model.trainable_weights)
            if first is None:
                first = float(loss_value)
                # uint8 pixels are cast to the layer's float32 (Keras 3)
                np.testing.assert_allclose(float(loss_value), _sce_logits(
                    y_batch_train.numpy(), _forward(before, x_batch_train.numpy())), rtol=1e-4)
    assert step == 3
    logits = model(x_train).numpy()
    assert _sce_logits(y_train, logits) < first


def test_loop_with_metrics_eager_and_tf_function():
    keras.utils.set_random_seed(0)
    model = get_model()
    optimizer = keras.optimizers.Adam(learning_rate=1e-3)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    train_acc_metric = keras.metrics.SparseCategoricalAccuracy()
    val_acc_metric = keras.metrics.SparseCategoricalAccuracy()
    train_dataset, val_dataset = _datasets()
    epochs = 2
    for epoch in range(epochs):
        for step, (x_batch_train, y_batch_train) in enumerate(train_dataset):
            with tf.GradientTape() as tape:
                logits = model(x_batch_train, training=True)
                loss_value = loss_fn(y_batch_train, logits)
            grads = tape.gradient(loss_value, model.trainable_weights)
            optimizer.apply(grads, model.trainable_weights)
            train_acc_metric.update_state(y_batch_train, logits)
        train_acc = train_acc_metric.result()
        train_acc_metric.reset_state()
        assert float(train_acc_metric.result()) == 0.0
        for x_batch_val, y_batch_val in val_dataset:
            val_logits = model(x_batch_val, training=False)
            val_acc_metric.update_state(y_batch_val, val_logits)
        val_acc = val_acc_metric.result()
        val_acc_metric.reset_state()
    np.testing.assert_allclose(float(val_acc), np.mean(model(x_val).numpy().argmax(1) == y_val),
                               rtol=1e-6)

    @tf.function
    def train_step(x, y):
        with tf.GradientTape() as tape:
            logits = model(x, training=True)
            loss_value = loss_fn(y, logits)
        grads = tape.gradient(loss_value, model.trainable_weights)
        optimizer.apply(grads, model.trainable_weights)
        train_acc_metric.update_state(y, logits)
        return loss_value

    @tf.function
    def test_step(x, y):
        val_logits = model(x, training=False)
        val_acc_metric.update_state(y, val_logits)

    # the traced step gives the eager step's values: compare one step on copies of the state
    xb, yb = next(iter(train_dataset))
    before = [w.numpy() for w in model.trainable_weights]
    loss_value = train_step(xb, yb)
    np.testing.assert_allclose(float(loss_value), _sce_logits(   # (a loss near 0 has only
        yb.numpy(), _forward(before, xb.numpy())), rtol=1e-4, atol=1e-7)   # float32's absolute
    # precision: 4e-5 differed by 7e-9 in one CI run)
    for epoch in range(2):
        for step, (x_batch_train, y_batch_train) in enumerate(train_dataset):
            loss_value = train_step(x_batch_train, y_batch_train)
        train_acc_metric.reset_state()
        for x_batch_val, y_batch_val in val_dataset:
            test_step(x_batch_val, y_batch_val)
        val_acc = val_acc_metric.result()
        val_acc_metric.reset_state()
    np.testing.assert_allclose(float(val_acc), np.mean(model(x_val).numpy().argmax(1) == y_val),
                               rtol=1e-6)


def _forward(ws, x):
    h = np.maximum(x.astype("float32") @ ws[0] + ws[1], 0)
    h = np.maximum(h @ ws[2] + ws[3], 0)
    return h @ ws[4] + ws[5]


class ActivityRegularizationLayer(keras.layers.Layer):
    def call(self, inputs):
        self.add_loss(1e-2 * tf.reduce_sum(inputs))
        return inputs


def test_losses_tracked_by_the_model():
    inputs = keras.Input(shape=(784,), name="digits")
    x = keras.layers.Dense(64, activation="relu")(inputs)
    x = ActivityRegularizationLayer()(x)
    x = keras.layers.Dense(64, activation="relu")(x)
    outputs = keras.layers.Dense(10, name="predictions")(x)
    model = keras.Model(inputs=inputs, outputs=outputs)
    optimizer = keras.optimizers.Adam(learning_rate=1e-3)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    train_acc_metric = keras.metrics.SparseCategoricalAccuracy()

    @tf.function
    def train_step(x, y):
        with tf.GradientTape() as tape:
            logits = model(x, training=True)
            loss_value = loss_fn(y, logits)
            # Add any extra losses created during the forward pass.
            loss_value += sum(model.losses)
        grads = tape.gradient(loss_value, model.trainable_weights)
        optimizer.apply(grads, model.trainable_weights)
        train_acc_metric.update_state(y, logits)
        return loss_value

    xb, yb = x_train[:32] / 255.0, y_train[:32]
    ws = [w.numpy() for w in model.trainable_weights]
    loss = train_step(xb.astype("float32"), yb)
    h1 = np.maximum(xb.astype("float32") @ ws[0] + ws[1], 0)
    np.testing.assert_allclose(float(loss), _sce_logits(yb, _forward(ws, xb)) + 1e-2 * h1.sum(),
                               rtol=1e-4)


def test_gan_training_loop(tmp_path):
    discriminator = keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            keras.layers.Conv2D(64, (3, 3), strides=(2, 2), padding="same"),
            keras.layers.LeakyReLU(negative_slope=0.2),
            keras.layers.Conv2D(128, (3, 3), strides=(2, 2), padding="same"),
            keras.layers.LeakyReLU(negative_slope=0.2),
            keras.layers.GlobalMaxPooling2D(),
            keras.layers.Dense(1),
        ],
        name="discriminator",
    )
    lines = []
    discriminator.summary(print_fn=lambda s, **kw: lines.append(s))
    assert "Total params: 74,625" in "\n".join(lines)   # Keras 3.15 (and 1,339,905 below)
    latent_dim = 128
    generator = keras.Sequential(
        [
            keras.Input(shape=(latent_dim,)),
            keras.layers.Dense(7 * 7 * 128),
            keras.layers.LeakyReLU(negative_slope=0.2),
            keras.layers.Reshape((7, 7, 128)),
            keras.layers.Conv2DTranspose(128, (4, 4), strides=(2, 2), padding="same"),
            keras.layers.LeakyReLU(negative_slope=0.2),
            keras.layers.Conv2DTranspose(128, (4, 4), strides=(2, 2), padding="same"),
            keras.layers.LeakyReLU(negative_slope=0.2),
            keras.layers.Conv2D(1, (7, 7), padding="same", activation="sigmoid"),
        ],
        name="generator",
    )
    assert generator.count_params() == 1339905 and generator.output_shape == (None, 28, 28, 1)
    d_optimizer = keras.optimizers.Adam(learning_rate=0.0003)
    g_optimizer = keras.optimizers.Adam(learning_rate=0.0004)
    loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)
    batch_size = 4   # the guide uses 64

    @tf.function
    def train_step(real_images):
        random_latent_vectors = tf.random.normal(shape=(batch_size, latent_dim))
        generated_images = generator(random_latent_vectors)
        combined_images = tf.concat([generated_images, real_images], axis=0)
        labels = tf.concat(
            [tf.ones((batch_size, 1)), tf.zeros((real_images.shape[0], 1))], axis=0
        )
        labels += 0.05 * tf.random.uniform(labels.shape)
        with tf.GradientTape() as tape:
            predictions = discriminator(combined_images)
            d_loss = loss_fn(labels, predictions)
        grads = tape.gradient(d_loss, discriminator.trainable_weights)
        d_optimizer.apply(grads, discriminator.trainable_weights)
        random_latent_vectors = tf.random.normal(shape=(batch_size, latent_dim))
        misleading_labels = tf.zeros((batch_size, 1))
        with tf.GradientTape() as tape:
            predictions = discriminator(generator(random_latent_vectors))
            g_loss = loss_fn(misleading_labels, predictions)
        grads = tape.gradient(g_loss, generator.trainable_weights)
        g_optimizer.apply(grads, generator.trainable_weights)
        return d_loss, g_loss, generated_images

    all_digits = _mnist_like()[0][:4].astype("float32") / 255.0   # one step
    all_digits = np.reshape(all_digits, (-1, 28, 28, 1))
    dataset = tf.data.Dataset.from_tensor_slices(all_digits)
    dataset = dataset.shuffle(buffer_size=1024).batch(batch_size)
    d0 = [w.numpy() for w in discriminator.trainable_weights]
    g0 = [w.numpy() for w in generator.trainable_weights]
    for step, real_images in enumerate(dataset):
        d_loss, g_loss, generated_images = train_step(real_images)
        assert generated_images.shape == (4, 28, 28, 1)
        assert np.isfinite(float(d_loss)) and float(d_loss) > 0 and float(g_loss) > 0
        if step % 100 == 0:
            # Save one generated image
            img = keras.utils.array_to_img(generated_images[0] * 255.0, scale=False)
            img.save(str(tmp_path / f"generated_img_{step}.png"))
            assert img.size == (28, 28) and img.mode == "L"
            np.testing.assert_array_equal(
                keras.utils.img_to_array(img)[..., 0],
                (generated_images[0].numpy()[..., 0] * 255.0).astype("uint8"))
        if step > 10:
            break
    assert step == 0
    # both optimizers moved their own model's weights
    assert all(not np.array_equal(a, w.numpy()) for a, w in
               zip(d0, discriminator.trainable_weights))
    assert all(not np.array_equal(a, w.numpy()) for a, w in zip(g0, generator.trainable_weights))
    g = generated_images.numpy()
    assert g.min() >= 0.0 and g.max() <= 1.0
