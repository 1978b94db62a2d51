"""keras.io code examples run unchanged with `from graphflow import keras` (downloads replaced
by generated data of the same shape and dtype): DCGAN overriding train_step (a dataset of
images alone), knowledge distillation (a `compute_loss` override without `training`), the
ModelCheckpoint / ReduceLROnPlateau / EarlyStopping callbacks of the timeseries examples,
the models of the VAE, image classification, timeseries, text, siamese and transformer
examples (parameter counts as Keras 3.15 printed them), image/text_dataset_from_directory
on generated files, and the "Working with preprocessing layers" guide's outputs. Expected
values are what Keras 3.15 (TF 2.21 backend) printed for the same code.
"""
import os
import re
import string

import numpy as np
import pytest

import graphflow as tf
from graphflow import keras
from graphflow.keras import layers, ops
from test_keras_guide_custom_fit import GAN as _GuideGAN

pytestmark = pytest.mark.usefixtures("keras_seeded")


def _counts(model):
    """(total, trainable, non-trainable) parameter counts, as summary() prints them."""
    tr = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    nt = sum(int(np.prod(w.shape)) for w in model.non_trainable_weights)
    return tr + nt, tr, nt


# ---- "DCGAN overriding Model.train_step" ---------------------------------------------------
class GAN(_GuideGAN):
    """The DCGAN example's GAN (its __init__ / metrics / compile as the custom-fit guide's;
    its train_step unchanged: it takes `real_images` as they come, no tuple unwrapping)."""

    def train_step(self, real_images):
        batch_size = ops.shape(real_images)[0]
        random_latent_vectors = keras.random.normal(
            shape=(batch_size, self.latent_dim), seed=self.seed_generator)
        generated_images = self.generator(random_latent_vectors)
        combined_images = ops.concatenate([generated_images, real_images], axis=0)
        labels = ops.concatenate([ops.ones((batch_size, 1)), ops.zeros((batch_size, 1))],
                                 axis=0)
        labels += 0.05 * tf.random.uniform(tf.shape(labels))
        with tf.GradientTape() as tape:
            predictions = self.discriminator(combined_images)
            d_loss = self.loss_fn(labels, predictions)
        grads = tape.gradient(d_loss, self.discriminator.trainable_weights)
        self.d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_weights))
        random_latent_vectors = keras.random.normal(
            shape=(batch_size, self.latent_dim), seed=self.seed_generator)
        misleading_labels = ops.zeros((batch_size, 1))
        with tf.GradientTape() as tape:
            predictions = self.discriminator(self.generator(random_latent_vectors))
            g_loss = self.loss_fn(misleading_labels, predictions)
        grads = tape.gradient(g_loss, self.generator.trainable_weights)
        self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_weights))
        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        return {"d_loss": self.d_loss_tracker.result(), "g_loss": self.g_loss_tracker.result()}


def test_dcgan_models_count_as_keras():
    discriminator = keras.Sequential([
        keras.Input(shape=(16, 16, 3)),
        layers.Conv2D(8, kernel_size=4, strides=2, padding="same"),
        layers.LeakyReLU(negative_slope=0.2),
        layers.Conv2D(16, kernel_size=4, strides=2, padding="same"),
        layers.LeakyReLU(negative_slope=0.2),
        layers.Flatten(),
        layers.Dropout(0.2),
        layers.Dense(1, activation="sigmoid")], name="discriminator")
    generator = keras.Sequential([
        keras.Input(shape=(8,)),
        layers.Dense(4 * 4 * 16),
        layers.Reshape((4, 4, 16)),
        layers.Conv2DTranspose(16, kernel_size=4, strides=2, padding="same"),
        layers.LeakyReLU(negative_slope=0.2),
        layers.Conv2DTranspose(8, kernel_size=4, strides=2, padding="same"),
        layers.LeakyReLU(negative_slope=0.2),
        layers.Conv2D(3, kernel_size=5, padding="same", activation="sigmoid")],
        name="generator")
    assert _counts(discriminator) == (2713, 2713, 0)
    assert _counts(generator) == (9075, 9075, 0)
    assert generator.output_shape == (None, 16, 16, 3)


@pytest.mark.parametrize("run_eagerly", [True, False])
def test_gan_train_step_gets_the_image_batch_of_a_dataset(run_eagerly):
    # Keras passes a dataset element as it is: a dataset of images alone gives the step the
    # image batch (graphflow passed `(images,)`: ops.shape(real_images)[0] was 1 and the
    # concatenate of generated and real images failed while tracing)
    latent_dim = 4
    discriminator = keras.Sequential([keras.Input((6,)), layers.Dense(8, activation="relu"),
                                      layers.Dense(1, activation="sigmoid")])
    generator = keras.Sequential([keras.Input((latent_dim,)), layers.Dense(6)])
    rng = np.random.RandomState(0)
    dataset = tf.data.Dataset.from_tensor_slices(
        rng.rand(24, 6).astype("float32")).batch(8)
    gan = GAN(discriminator=discriminator, generator=generator, latent_dim=latent_dim)
    gan.compile(d_optimizer=keras.optimizers.Adam(learning_rate=0.01),
                g_optimizer=keras.optimizers.Adam(learning_rate=0.01),
                loss_fn=keras.losses.BinaryCrossentropy())
    gan.run_eagerly = run_eagerly
    gan.jit_compile = False
    d_before = [w.copy() for w in discriminator.get_weights()]
    g_before = [w.copy() for w in generator.get_weights()]
    h = gan.fit(dataset, epochs=2, verbose=0)
    assert sorted(h.history) == ["d_loss", "g_loss"] and len(h.history["d_loss"]) == 2
    # both networks moved; BCE of a near-0.5 discriminator is ~log 2 at the start
    assert all(not np.allclose(a, b) for a, b in zip(d_before, discriminator.get_weights()))
    assert all(not np.allclose(a, b) for a, b in zip(g_before, generator.get_weights()))
    assert 0.3 < h.history["d_loss"][0] < 1.2 and 0.3 < h.history["g_loss"][0] < 1.5


def test_custom_steps_receive_dataset_elements_as_keras_does():
    seen = {}

    class Probe(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(1)

        def call(self, x):
            return self.dense(x)

        def test_step(self, data):
            seen["test"] = type(data).__name__, len(data) if isinstance(data, tuple) else None
            return super().test_step(data)

        def predict_step(self, data):
            seen["predict"] = type(data).__name__, tuple(data.shape)
            return super().predict_step(data)

    m = Probe()
    m.compile(loss="mse", run_eagerly=True)
    x = np.arange(12, dtype="float32").reshape(6, 2)
    m.evaluate(tf.data.Dataset.from_tensor_slices((x, x[:, :1])).batch(3), verbose=0)
    assert seen["test"] == ("tuple", 2)
    p = m.predict(tf.data.Dataset.from_tensor_slices(x).batch(4), verbose=0)
    assert seen["predict"][1] == (2, 2) and p.shape == (6, 1)   # the last batch: x alone
    p2 = m.predict(x, batch_size=4, verbose=0)   # numpy: x alone too (Keras 3)
    assert seen["predict"][1] == (2, 2)
    np.testing.assert_allclose(p, p2)


# ---- "Knowledge Distillation" --------------------------------------------------------------
class Distiller(keras.Model):
    """The example's Distiller, code unchanged: its compute_loss has the older signature
    (`allow_empty`, no `training`), which Keras 3 calls without `training`."""

    def __init__(self, student, teacher):
        super().__init__()
        self.teacher = teacher
        self.student = student

    def compile(self, optimizer, metrics, student_loss_fn, distillation_loss_fn, alpha=0.1,
                temperature=3):
        super().compile(optimizer=optimizer, metrics=metrics)
        self.student_loss_fn = student_loss_fn
        self.distillation_loss_fn = distillation_loss_fn
        self.alpha = alpha
        self.temperature = temperature

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, allow_empty=False):
        teacher_pred = self.teacher(x, training=False)
        student_loss = self.student_loss_fn(y, y_pred)
        distillation_loss = self.distillation_loss_fn(
            ops.softmax(teacher_pred / self.temperature, axis=1),
            ops.softmax(y_pred / self.temperature, axis=1),
        ) * (self.temperature**2)
        loss = self.alpha * student_loss + (1 - self.alpha) * distillation_loss
        return loss

    def call(self, x):
        return self.student(x)


def _softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def test_distiller_fits_and_evaluates_to_its_loss():
    rng = np.random.RandomState(0)
    x = rng.rand(32, 6).astype("float32")
    y = (x[:, 0] * 3).astype("int64")
    teacher = keras.Sequential([keras.Input((6,)), layers.Dense(3)], name="teacher")
    student = keras.Sequential([keras.Input((6,)), layers.Dense(3)], name="student")
    student_scratch = keras.models.clone_model(student)
    assert student_scratch.count_params() == 21
    distiller = Distiller(student=student, teacher=teacher)
    distiller.compile(optimizer=keras.optimizers.Adam(),
                      metrics=[keras.metrics.SparseCategoricalAccuracy()],
                      student_loss_fn=keras.losses.SparseCategoricalCrossentropy(
                          from_logits=True),
                      distillation_loss_fn=keras.losses.KLDivergence(), alpha=0.1,
                      temperature=10)
    distiller.jit_compile = False
    h = distiller.fit(x, y, epochs=2, batch_size=16, verbose=0)
    assert sorted(h.history) == ["loss", "sparse_categorical_accuracy"]
    r = distiller.evaluate(x, y, batch_size=32, verbose=0, return_dict=True)
    assert list(r) == ["loss", "sparse_categorical_accuracy"]
    # the loss, by numpy
    s, t = student.predict(x, verbose=0), teacher.predict(x, verbose=0)
    ce = -np.log(_softmax(s)[np.arange(32), y]).mean()
    p, q = _softmax(t / 10), _softmax(s / 10)
    kl = (p * np.log(p / q)).sum(axis=1).mean() * 100
    np.testing.assert_allclose(r["loss"], 0.1 * ce + 0.9 * kl, rtol=1e-5)
    acc = (s.argmax(axis=1) == y).mean()
    np.testing.assert_allclose(r["sparse_categorical_accuracy"], acc)


# ---- callbacks of the timeseries examples -------------------------------------------------
def test_model_checkpoint_messages_and_missing_monitor_as_keras(tmp_path, capsys):
    model = keras.Sequential([keras.Input((2,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", jit_compile=False)
    path = str(tmp_path / "model_checkpoint.weights.h5")
    cb = keras.callbacks.ModelCheckpoint(monitor="val_loss", filepath=path, verbose=1,
                                         save_weights_only=True, save_best_only=True)
    cb.set_model(model)
    cb.on_epoch_end(0, {"val_loss": 1.086142})
    cb.on_epoch_end(1, {"val_loss": 1.2})
    cb.on_epoch_end(2, {"val_loss": 0.5})
    out = capsys.readouterr().out
    # what Keras 3.15 printed for the weather example's callback
    assert out == (
        f"\nEpoch 1: val_loss improved from None to 1.08614, saving model to {path}\n"
        f"\nEpoch 1: finished saving model to {path}\n"
        f"\nEpoch 2: val_loss did not improve from 1.08614\n"
        f"\nEpoch 3: val_loss improved from 1.08614 to 0.50000, saving model to {path}\n"
        f"\nEpoch 3: finished saving model to {path}\n")
    assert os.path.exists(path)
    # Keras 3: without the monitored value it warns and saves anyway
    os.remove(path)
    with pytest.warns(UserWarning, match="Can save best model only with val_loss available"):
        cb.on_epoch_end(3, {"loss": 0.1})
    assert os.path.exists(path)
    capsys.readouterr()
    plain = keras.callbacks.ModelCheckpoint(str(tmp_path / "m_{epoch}.keras"), verbose=1)
    plain.set_model(model)
    plain.on_epoch_end(0, {"loss": 1.0})
    p = tmp_path / "m_1.keras"
    assert capsys.readouterr().out == (f"\nEpoch 1: saving model to {p}\n"
                                       f"\nEpoch 1: finished saving model to {p}\n")
    assert p.exists()


def test_timeseries_classification_example(tmp_path):
    rng = np.random.RandomState(0)
    x_train = rng.randn(48, 50, 1)
    y_train = (x_train[:, :25, 0].mean(axis=1) > 0).astype(int)
    num_classes = len(np.unique(y_train))

    def make_model(input_shape):
        input_layer = keras.layers.Input(input_shape)
        x = input_layer
        for _ in range(3):
            x = keras.layers.Conv1D(filters=16, kernel_size=3, padding="same")(x)
            x = keras.layers.BatchNormalization()(x)
            x = keras.layers.ReLU()(x)
        gap = keras.layers.GlobalAveragePooling1D()(x)
        output_layer = keras.layers.Dense(num_classes, activation="softmax")(gap)
        return keras.models.Model(inputs=input_layer, outputs=output_layer)

    model = make_model(input_shape=x_train.shape[1:])
    assert _counts(model) == (1858, 1762, 96)   # Keras 3.15's summary
    best = str(tmp_path / "best_model.keras")
    callbacks = [
        keras.callbacks.ModelCheckpoint(best, save_best_only=True, monitor="val_loss"),
        keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=1,
                                          min_lr=0.0001),
        keras.callbacks.EarlyStopping(monitor="val_loss", patience=50, verbose=1),
    ]
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["sparse_categorical_accuracy"], jit_compile=False)
    history = model.fit(x_train, y_train, batch_size=16, epochs=3, callbacks=callbacks,
                        validation_split=0.25, verbose=0)
    assert sorted(history.history) == ["learning_rate", "loss", "sparse_categorical_accuracy",
                                       "val_loss", "val_sparse_categorical_accuracy"]
    lrs = history.history["learning_rate"]
    assert lrs[0] == pytest.approx(0.001) and all(b in (a, a / 2) for a, b in zip(lrs, lrs[1:]))
    loaded = keras.models.load_model(best)
    assert loaded.count_params() == 1858
    vl = history.history["val_loss"]
    # the best epoch's model was kept
    np.testing.assert_allclose(loaded.evaluate(x_train[36:], y_train[36:], verbose=0)[0],
                               min(vl), rtol=1e-4)


# ---- model summaries of the examples, as Keras 3.15 counted them --------------------------
def _vae_models():
    from test_keras_guide_subclassing_k3 import Sampling   # the VAE example's layer

    encoder_inputs = keras.Input(shape=(28, 28, 1))
    x = layers.Conv2D(32, 3, activation="relu", strides=2, padding="same")(encoder_inputs)
    x = layers.Conv2D(64, 3, activation="relu", strides=2, padding="same")(x)
    x = layers.Flatten()(x)
    x = layers.Dense(16, activation="relu")(x)
    z_mean = layers.Dense(2, name="z_mean")(x)
    z_log_var = layers.Dense(2, name="z_log_var")(x)
    z = Sampling()([z_mean, z_log_var])
    encoder = keras.Model(encoder_inputs, [z_mean, z_log_var, z], name="encoder")
    latent_inputs = keras.Input(shape=(2,))
    x = layers.Dense(7 * 7 * 64, activation="relu")(latent_inputs)
    x = layers.Reshape((7, 7, 64))(x)
    x = layers.Conv2DTranspose(64, 3, activation="relu", strides=2, padding="same")(x)
    x = layers.Conv2DTranspose(32, 3, activation="relu", strides=2, padding="same")(x)
    decoder_outputs = layers.Conv2DTranspose(1, 3, activation="sigmoid", padding="same")(x)
    decoder = keras.Model(latent_inputs, decoder_outputs, name="decoder")
    return encoder, decoder


def _image_classification_model(input_shape, num_classes):
    inputs = keras.Input(shape=input_shape)
    x = layers.Rescaling(1.0 / 255)(inputs)
    x = layers.Conv2D(16, 3, strides=2, padding="same")(x)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)
    previous_block_activation = x
    for size in [32, 64]:
        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(size, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(size, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
        residual = layers.Conv2D(size, 1, strides=2, padding="same")(previous_block_activation)
        x = layers.add([x, residual])
        previous_block_activation = x
    x = layers.SeparableConv2D(128, 3, padding="same")(x)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)
    x = layers.GlobalAveragePooling2D()(x)
    units = 1 if num_classes == 2 else num_classes
    x = layers.Dropout(0.25)(x)
    outputs = layers.Dense(units, activation=None)(x)
    return keras.Model(inputs, outputs)


def test_vae_image_and_autoencoder_models_count_as_keras():
    encoder, decoder = _vae_models()
    assert _counts(encoder) == (69076, 69076, 0)
    assert _counts(decoder) == (65089, 65089, 0)
    assert [tuple(t.shape) for t in encoder.outputs] == [(None, 2)] * 3
    assert decoder.output_shape == (None, 28, 28, 1)
    model = _image_classification_model((32, 32, 3), 2)
    assert _counts(model) == (22641, 21969, 672)
    inp = layers.Input(shape=(28, 28, 1))
    x = layers.Conv2D(32, (3, 3), activation="relu", padding="same")(inp)
    x = layers.MaxPooling2D((2, 2), padding="same")(x)
    x = layers.Conv2D(32, (3, 3), activation="relu", padding="same")(x)
    x = layers.MaxPooling2D((2, 2), padding="same")(x)
    x = layers.Conv2DTranspose(32, (3, 3), strides=2, activation="relu", padding="same")(x)
    x = layers.Conv2DTranspose(32, (3, 3), strides=2, activation="relu", padding="same")(x)
    x = layers.Conv2D(1, (3, 3), activation="sigmoid", padding="same")(x)
    autoencoder = keras.Model(inp, x)
    assert _counts(autoencoder) == (28353, 28353, 0)
    assert autoencoder.output_shape == (None, 28, 28, 1)


def test_text_lstm_siamese_models_count_as_keras():
    inputs = keras.Input(shape=(None,), dtype="int64")
    x = layers.Embedding(50, 16)(inputs)
    x = layers.Dropout(0.5)(x)
    x = layers.Conv1D(32, 7, padding="valid", activation="relu", strides=3)(x)
    x = layers.Conv1D(32, 7, padding="valid", activation="relu", strides=3)(x)
    x = layers.GlobalMaxPooling1D()(x)
    x = layers.Dense(32, activation="relu")(x)
    x = layers.Dropout(0.5)(x)
    predictions = layers.Dense(1, activation="sigmoid", name="predictions")(x)
    assert _counts(keras.Model(inputs, predictions)) == (12705, 12705, 0)
    # character-level text generation; weather forecasting
    char = keras.Sequential([keras.Input(shape=(20, 28)), layers.LSTM(32),
                             layers.Dense(28, activation="softmax")])
    assert _counts(char) == (8732, 8732, 0)
    inputs = keras.layers.Input(shape=(12, 7))
    weather = keras.Model(inputs, keras.layers.Dense(1)(keras.layers.LSTM(32)(inputs)))
    assert _counts(weather) == (5153, 5153, 0)
    # siamese network with a contrastive loss
    inp = keras.layers.Input((28, 28, 1))
    x = keras.layers.BatchNormalization()(inp)
    x = keras.layers.Conv2D(4, (5, 5), activation="tanh")(x)
    x = keras.layers.AveragePooling2D(pool_size=(2, 2))(x)
    x = keras.layers.Conv2D(16, (5, 5), activation="tanh")(x)
    x = keras.layers.AveragePooling2D(pool_size=(2, 2))(x)
    x = keras.layers.Flatten()(x)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.Dense(10, activation="tanh")(x)
    embedding_network = keras.Model(inp, x)

    def euclidean_distance(vects):
        x, y = vects
        sum_square = ops.sum(ops.square(x - y), axis=1, keepdims=True)
        return ops.sqrt(ops.maximum(sum_square, keras.backend.epsilon()))

    input_1 = keras.layers.Input((28, 28, 1))
    input_2 = keras.layers.Input((28, 28, 1))
    merge_layer = keras.layers.Lambda(euclidean_distance, output_shape=(1,))(
        [embedding_network(input_1), embedding_network(input_2)])
    normal_layer = keras.layers.BatchNormalization()(merge_layer)
    output_layer = keras.layers.Dense(1, activation="sigmoid")(normal_layer)
    siamese = keras.Model(inputs=[input_1, input_2], outputs=output_layer)
    assert _counts(siamese) == (5324, 4808, 516)
    a = np.random.RandomState(0).rand(3, 28, 28, 1).astype("float32")
    e = embedding_network.predict(a, verbose=0)
    d = keras.Model([input_1, input_2], merge_layer).predict([a, a[::-1]], verbose=0)
    np.testing.assert_allclose(
        d[:, 0], np.sqrt(np.maximum(((e - e[::-1]) ** 2).sum(axis=1), 1e-7)), rtol=1e-5)


def test_sequential_models_count_functional_names_as_keras():
    # Keras 3 builds a Functional inside every Sequential that gets an input shape (from an
    # Input, build() or the first data), and that takes a "functional" name: the transformer
    # example's model, built after its TransformerBlock's feed-forward Sequential, is named
    # "functional_1" (graphflow named it "functional")
    from graphflow.keras.layers import unique_name
    base = unique_name("functional")
    n = int(base.rsplit("_", 1)[1]) if "_" in base else 0
    s = keras.Sequential([layers.Dense(2)])
    s(np.ones((1, 3)))
    keras.Sequential([keras.Input((3,)), layers.Dense(2)])
    keras.Sequential([layers.Dense(2)]).build((None, 4))
    keras.Sequential([layers.Dense(2)])   # never built: no Functional
    i = keras.Input((3,))
    m = keras.Model(i, layers.Dense(1)(i))
    assert m.name == f"functional_{n + 4}"


def test_transformer_text_classification_example():
    class TransformerBlock(layers.Layer):
        def __init__(self, embed_dim, num_heads, ff_dim, rate=0.1):
            super().__init__()
            self.att = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
            self.ffn = keras.Sequential([layers.Dense(ff_dim, activation="relu"),
                                         layers.Dense(embed_dim)])
            self.layernorm1 = layers.LayerNormalization(epsilon=1e-6)
            self.layernorm2 = layers.LayerNormalization(epsilon=1e-6)
            self.dropout1 = layers.Dropout(rate)
            self.dropout2 = layers.Dropout(rate)

        def call(self, inputs):
            attn_output = self.att(inputs, inputs)
            attn_output = self.dropout1(attn_output)
            out1 = self.layernorm1(inputs + attn_output)
            ffn_output = self.ffn(out1)
            ffn_output = self.dropout2(ffn_output)
            return self.layernorm2(out1 + ffn_output)

    class TokenAndPositionEmbedding(layers.Layer):
        def __init__(self, maxlen, vocab_size, embed_dim):
            super().__init__()
            self.token_emb = layers.Embedding(input_dim=vocab_size, output_dim=embed_dim)
            self.pos_emb = layers.Embedding(input_dim=maxlen, output_dim=embed_dim)

        def call(self, x):
            maxlen = ops.shape(x)[-1]
            positions = ops.arange(start=0, stop=maxlen, step=1)
            positions = self.pos_emb(positions)
            x = self.token_emb(x)
            return x + positions

    rng = np.random.RandomState(0)
    seqs = [list(rng.randint(1, 200, rng.randint(5, 30))) for _ in range(32)]
    y = np.array([int(np.mean(s) > 100) for s in seqs])
    x = keras.utils.pad_sequences(seqs, maxlen=20)
    assert x.shape == (32, 20) and x.dtype == np.int32
    for row, sq in zip(x, seqs):   # padded and truncated at the front ("pre")
        assert row.tolist() == [0] * (20 - len(sq[-20:])) + [int(v) for v in sq[-20:]]
    inputs = layers.Input(shape=(20,))
    h = TokenAndPositionEmbedding(20, 200, 32)(inputs)
    h = TransformerBlock(32, 2, 32)(h)
    h = layers.GlobalAveragePooling1D()(h)
    h = layers.Dropout(0.1)(h)
    h = layers.Dense(20, activation="relu")(h)
    h = layers.Dropout(0.1)(h)
    outputs = layers.Dense(2, activation="softmax")(h)
    model = keras.Model(inputs=inputs, outputs=outputs)
    assert model.name.startswith("functional_")   # as Keras ("functional_1" in a fresh run)
    assert _counts(model) == (18398, 18398, 0)
    assert [l.count_params() for l in model.layers[1:3]] == [7040, 10656]
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"], jit_compile=False)
    hist = model.fit(x, y, batch_size=32, epochs=3, verbose=0)
    assert hist.history["loss"][-1] < hist.history["loss"][0]


# ---- directory datasets on generated files -------------------------------------------------
def test_image_classification_from_scratch_data_pipeline(tmp_path):
    rng = np.random.RandomState(0)
    for cls in ("Cat", "Dog"):
        os.makedirs(tmp_path / "PetImages" / cls)
        for i in range(6):
            arr = (rng.rand(20 + i, 18, 3) * 255).astype("uint8")
            name = f"{i}.jpg" if i % 3 else f"{i}.png"
            keras.utils.save_img(str(tmp_path / "PetImages" / cls / name), arr)
    (tmp_path / "PetImages" / "Cat" / "bad.jpg").write_bytes(b"xxxx")
    # the example's filter: JPEGs without "JFIF" in their header are deleted
    num_skipped = 0
    for folder_name in ("Cat", "Dog"):
        folder_path = os.path.join(tmp_path, "PetImages", folder_name)
        for fname in os.listdir(folder_path):
            fpath = os.path.join(folder_path, fname)
            with open(fpath, "rb") as fobj:
                is_jfif = b"JFIF" in fobj.peek(10)
            if not is_jfif and not fname.endswith(".png"):
                num_skipped += 1
                os.remove(fpath)
    assert num_skipped == 1
    train_ds, val_ds = keras.utils.image_dataset_from_directory(
        str(tmp_path / "PetImages"), validation_split=0.25, subset="both", seed=1337,
        image_size=(16, 16), batch_size=4)
    assert train_ds.class_names == ["Cat", "Dog"]
    labels = np.concatenate([np.asarray(lb) for _, lb in train_ds] +
                            [np.asarray(lb) for _, lb in val_ds])
    assert sorted(labels.tolist()) == [0] * 6 + [1] * 6
    images, lbl = next(iter(train_ds))
    assert images.shape == (4, 16, 16, 3) and images.dtype == tf.float32
    assert lbl.dtype == tf.int32
    assert 0.0 <= float(tf.reduce_min(images)) and float(tf.reduce_max(images)) <= 255.0
    data_augmentation_layers = [layers.RandomFlip("horizontal"), layers.RandomRotation(0.1)]

    def data_augmentation(images):
        for layer in data_augmentation_layers:
            images = layer(images)
        return images

    aug = train_ds.map(lambda img, label: (data_augmentation(img), label),
                       num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)
    a, b = next(iter(aug))
    assert a.shape == (4, 16, 16, 3) and b.shape == (4,)
    img = keras.utils.load_img(str(tmp_path / "PetImages/Cat/1.jpg"), target_size=(16, 16))
    img_array = keras.ops.expand_dims(keras.utils.img_to_array(img), 0)
    assert tuple(img_array.shape) == (1, 16, 16, 3)


def test_text_classification_from_scratch(tmp_path):
    rng = np.random.RandomState(0)
    words = {"pos": ["great", "good", "fun"], "neg": ["bad", "awful", "boring"]}
    filler = ["the", "movie", "was", "and", "a", "film"]
    for label, ws in words.items():
        d = tmp_path / "aclImdb" / "train" / label
        os.makedirs(d)
        for i in range(10):
            toks = [ws[rng.randint(3)] if rng.rand() < 0.4 else filler[rng.randint(6)]
                    for _ in range(12)]
            (d / f"{i}_7.txt").write_text(" ".join(toks).capitalize() + ".<br /><br />End!")
    raw_train_ds = keras.utils.text_dataset_from_directory(
        str(tmp_path / "aclImdb/train"), batch_size=8, validation_split=0.2,
        subset="training", seed=1337)
    raw_val_ds = keras.utils.text_dataset_from_directory(
        str(tmp_path / "aclImdb/train"), batch_size=8, validation_split=0.2,
        subset="validation", seed=1337)
    assert int(raw_train_ds.cardinality()) == 2 and int(raw_val_ds.cardinality()) == 1
    text_batch, label_batch = next(iter(raw_train_ds))
    assert isinstance(text_batch.numpy()[0], bytes) and label_batch.dtype == tf.int32

    def custom_standardization(input_data):
        lowercase = tf.strings.lower(input_data)
        stripped_html = tf.strings.regex_replace(lowercase, "<br />", " ")
        return tf.strings.regex_replace(stripped_html, f"[{re.escape(string.punctuation)}]",
                                        "")

    vectorize_layer = keras.layers.TextVectorization(
        standardize=custom_standardization, max_tokens=50, output_mode="int",
        output_sequence_length=80)
    vectorize_layer.adapt(raw_train_ds.map(lambda x, y: x))
    voc = vectorize_layer.get_vocabulary()
    assert voc[:2] == ["", "[UNK]"] and "br" not in voc and "end" in voc
    got = vectorize_layer(["The movie was GREAT!<br />"]).numpy()[0]
    assert got[:6].tolist() == [voc.index(w) for w in ["the", "movie", "was", "great"]] + [0, 0]

    def vectorize_text(text, label):
        text = tf.expand_dims(text, -1)
        return vectorize_layer(text), label

    train_ds = raw_train_ds.map(vectorize_text).cache().prefetch(buffer_size=10)
    xb, yb = next(iter(train_ds))
    assert xb.shape == (8, 80) and xb.dtype == tf.int64 and yb.shape == (8,)
    inputs = keras.Input(shape=(None,), dtype="int64")
    x = layers.Embedding(50, 8)(inputs)
    x = layers.GlobalAveragePooling1D()(x)
    predictions = layers.Dense(1, activation="sigmoid", name="predictions")(x)
    model = keras.Model(inputs, predictions)
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"],
                  jit_compile=False)
    model.fit(train_ds, epochs=1, verbose=0)
    # the end-to-end model on raw strings
    inputs = keras.Input(shape=(1,), dtype="string")
    end_to_end_model = keras.Model(inputs, model(vectorize_layer(inputs)))
    end_to_end_model.compile(loss="binary_crossentropy", optimizer="adam",
                             metrics=["accuracy"], jit_compile=False)
    r = end_to_end_model.evaluate(raw_val_ds, verbose=0)
    want = model.evaluate(raw_val_ds.map(vectorize_text), verbose=0)
    np.testing.assert_allclose(r, want, rtol=1e-5)


# ---- "Working with preprocessing layers" --------------------------------------------------
def test_preprocessing_layers_guide_outputs_as_keras():
    vocab = ["a", "b", "c", "d"]
    data = tf.constant([["a", "c", "d"], ["d", "z", "b"]])
    want = {"one_hot": [[0, 1, 0, 0, 0], [0, 0, 0, 1, 0], [1, 0, 0, 0, 0]],
            "multi_hot": [[0, 1, 0, 1, 1], [1, 0, 1, 0, 1]],
            "count": [[0, 1, 0, 1, 1], [1, 0, 1, 0, 1]],
            "tf_idf": [[0.0, 0.5, 0.0, 2.0, 3.0], [1.625, 0.0, 1.0, 0.0, 3.0]]}
    for mode, w in want.items():
        kw = dict(idf_weights=[0.5, 1.0, 2.0, 3.0]) if mode == "tf_idf" else {}
        d = tf.constant(["a", "c", "z"]) if mode == "one_hot" else data
        np.testing.assert_allclose(
            layers.StringLookup(vocabulary=vocab, output_mode=mode, **kw)(d), w)
    inv = layers.StringLookup(vocabulary=vocab, invert=True)
    assert inv(tf.constant([[1, 3, 4], [4, 0, 2]])).numpy().tolist() == \
        [[b"a", b"c", b"d"], [b"d", b"[UNK]", b"b"]]
    two_oov = layers.StringLookup(vocabulary=vocab, num_oov_indices=2, mask_token="")
    assert two_oov(tf.constant([["a", "", "z"]])).numpy().tolist() == [[3, 0, 2]]
    il = layers.IntegerLookup(output_mode="multi_hot")
    il.adapt(np.array([[12, 1138, 42], [42, 1000, 36], [12, 12, 7]]))
    assert il.get_vocabulary() == [-1, 12, 42, 1138, 1000, 36, 7]
    assert il(np.array([[12, 7], [1000, 5]])).numpy().tolist() == \
        [[0, 1, 0, 0, 0, 0, 1], [1, 0, 0, 0, 1, 0, 0]]
    abc = tf.constant([["A"], ["B"], ["C"], ["D"], ["E"]])
    assert layers.Hashing(num_bins=3)(abc).numpy().ravel().tolist() == [1, 0, 1, 1, 2]
    assert layers.Hashing(num_bins=3, salt=133)(abc).numpy().ravel().tolist() == \
        [0, 0, 2, 1, 0]
    assert layers.Hashing(num_bins=3, mask_value="")(
        tf.constant([["A"], ["B"], [""], ["C"], ["D"]])).numpy().ravel().tolist() == \
        [1, 1, 0, 2, 2]
    x = np.array([[-1.5, 1.0, 3.4, .5], [0.0, 3.0, 1.3, 0.0]])
    disc = layers.Discretization(num_bins=4, epsilon=0.01)
    disc.adapt(x)
    np.testing.assert_allclose(disc.bin_boundaries, [0.0, 0.5, 1.3], rtol=1e-6)
    assert disc(x).numpy().tolist() == [[0, 2, 3, 2], [1, 3, 3, 1]]
    np.testing.assert_allclose(layers.Discretization(bin_boundaries=[0., 1., 2.],
                                                     output_mode="count")(x[:1]),
                               [[1, 1, 1, 1]])
    assert layers.HashedCrossing(num_bins=5)(
        (tf.constant([1, 2, 3]), tf.constant(["A", "B", "C"]))).numpy().tolist() == [2, 3, 3]
    adapt_data = tf.constant(["The Brain is wider than the Sky", "For put them side by side",
                              "The one the other will contain", "With ease and You beside"])
    tv = layers.TextVectorization(output_mode="tf_idf", ngrams=2)
    tv.adapt(adapt_data)
    np.testing.assert_allclose(
        tv(tf.constant(["The Brain is deeper than the sea"]))[0, :8],
        [5.4616, 1.6946, 0, 0, 0, 0, 0, 0], atol=1e-4)
    n = layers.Normalization(axis=None)
    n.adapt(np.array([[1., 2.], [3., 5.]]))
    np.testing.assert_allclose(n(np.array([[1., 2.]])), [[-1.1832, -0.5071]], atol=1e-4)
    n = layers.Normalization(mean=3., variance=2., invert=True)
    np.testing.assert_allclose(n(np.array([[1.], [-1.]], "float32")), [[4.4142], [1.5858]],
                               atol=1e-4)


# ---- "English-to-Spanish translation with a sequence-to-sequence Transformer" -------------
def test_attention_mask_of_any_dtype_is_cast_to_bool_as_keras():
    # the example's encoder passes `tf.cast(mask[:, tf.newaxis, :], "int32")`; graphflow
    # compared an int mask with 0.5 (a dtype error); Keras 3 casts it: nonzero attends
    m = layers.MultiHeadAttention(num_heads=2, key_dim=2)
    x = np.random.RandomState(0).rand(1, 3, 4).astype("float32")
    keep = np.array([[[1, 0, 1], [1, 1, 0], [0, 1, 1]]])
    _, want = m(x, x, attention_mask=keep.astype(bool), return_attention_scores=True)
    assert np.array_equal(np.asarray(want)[0] > 0, np.broadcast_to(keep[0] > 0, (2, 3, 3)))
    for mk in (keep.astype("int32"), np.where(keep > 0, [[[0.3, 1, 1]]], 0.0)):
        _, s = m(x, x, attention_mask=mk, return_attention_scores=True)
        np.testing.assert_allclose(s, want, rtol=1e-6)

    class TransformerEncoder(layers.Layer):   # the example's layer (tf.* ops)
        def __init__(self, embed_dim, dense_dim, num_heads, **kwargs):
            super().__init__(**kwargs)
            self.attention = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
            self.dense_proj = keras.Sequential([layers.Dense(dense_dim, activation="relu"),
                                                layers.Dense(embed_dim)])
            self.layernorm_1 = layers.LayerNormalization()
            self.layernorm_2 = layers.LayerNormalization()
            self.supports_masking = True

        def call(self, inputs, mask=None):
            if mask is not None:
                padding_mask = tf.cast(mask[:, tf.newaxis, :], dtype="int32")
            attention_output = self.attention(query=inputs, value=inputs, key=inputs,
                                              attention_mask=padding_mask)
            proj_input = self.layernorm_1(inputs + attention_output)
            proj_output = self.dense_proj(proj_input)
            return self.layernorm_2(proj_input + proj_output)

    inputs = keras.Input(shape=(None,), dtype="int64")
    emb = layers.Embedding(20, 8, mask_zero=True)
    enc = TransformerEncoder(8, 16, 2)
    model = keras.Model(inputs, enc(emb(inputs)))
    # embedding 20*8; attention 3*(8*2*8 + 2*8) + (2*8*8 + 8); dense 8*16+16 + 16*8+8; 2 norms
    assert _counts(model) == (1040, 1040, 0)
    tokens = np.array([[3, 5, 0, 0], [7, 0, 0, 0]])
    got = model.predict(tokens, verbose=0)
    # padded key positions take no part: changing the embedding of token 0 changes nothing
    w = emb.get_weights()[0]
    w[0] += 10.0
    emb.set_weights([w])
    np.testing.assert_allclose(model.predict(tokens, verbose=0)[:, :1], got[:, :1], rtol=1e-5,
                               atol=1e-6)


# ---- "Grad-CAM class activation visualization" ---------------------------------------------
def make_gradcam_heatmap(img_array, model, last_conv_layer_name, pred_index=None):
    """The example's function, code unchanged."""
    grad_model = keras.models.Model(
        model.inputs, [model.get_layer(last_conv_layer_name).output, model.output])
    with tf.GradientTape() as tape:
        last_conv_layer_output, preds = grad_model(img_array)
        if pred_index is None:
            pred_index = tf.argmax(preds[0])
        class_channel = preds[:, pred_index]
    grads = tape.gradient(class_channel, last_conv_layer_output)
    pooled_grads = tf.reduce_mean(grads, axis=(0, 1, 2))
    last_conv_layer_output = last_conv_layer_output[0]
    heatmap = last_conv_layer_output @ pooled_grads[..., tf.newaxis]
    heatmap = tf.squeeze(heatmap)
    heatmap = tf.maximum(heatmap, 0) / tf.math.reduce_max(heatmap)
    return heatmap.numpy()


@pytest.mark.parametrize("layer", ["dense", "conv"])
def test_gradcam_with_the_last_activation_removed(layer):
    # the example removes the softmax with `model.layers[-1].activation = None`; Keras 3's
    # Dense / Conv / EinsumDense then apply no activation (graphflow called None)
    inp = keras.Input((8, 8, 3))
    x = layers.Conv2D(4, 3, padding="same", activation="relu", name="last_conv")(inp)
    if layer == "conv":
        x = layers.Conv2D(3, 1, activation="softmax")(x)
        out = layers.GlobalAveragePooling2D()(x)
        head = -2
    else:
        x = layers.GlobalAveragePooling2D()(x)
        out = layers.Dense(3, activation="softmax", name="predictions")(x)
        head = -1
    model = keras.Model(inp, out)
    img = np.random.RandomState(0).rand(1, 8, 8, 3).astype("float32")
    model.layers[head].activation = None
    preds = model.predict(img, verbose=0)
    conv = keras.Model(inp, model.get_layer("last_conv").output).predict(img, verbose=0)[0]
    w, b = model.layers[head].get_weights()
    w = w.reshape(4, 3)
    np.testing.assert_allclose(preds[0], conv.mean(axis=(0, 1)) @ w + b, rtol=1e-5, atol=1e-6)
    heatmap = make_gradcam_heatmap(img, model, "last_conv")
    k = int(np.argmax(preds[0]))
    want = np.maximum(conv @ (w[:, k] / 64.0), 0)   # d(class)/d(conv) = w[:, k] / (8 * 8)
    np.testing.assert_allclose(heatmap, want / want.max(), rtol=1e-4, atol=1e-6)


# ---- "Conditional GAN" ----------------------------------------------------------------------
def test_repeat_along_an_axis_known_when_the_graph_runs():
    # the example's `ops.repeat(one_hot_labels[:, :, None, None], repeats=[size * size])`
    # inside train_step: the flattened length is 10 * batch, a run-time size
    f = tf.function(lambda v: ops.repeat(v[:, :, None, None], repeats=[3]),
                    input_signature=[tf.TensorSpec([None, 2], tf.float32)])
    x = np.arange(6, dtype="float32").reshape(3, 2)
    np.testing.assert_array_equal(f(x), np.repeat(x.ravel(), 3))
    g = tf.function(lambda v: ops.repeat(v, 2, axis=0),
                    input_signature=[tf.TensorSpec([None, 2], tf.float32)])
    np.testing.assert_array_equal(g(x), np.repeat(x, 2, axis=0))
    xv = tf.Variable(x)
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(f(xv) * np.arange(18, dtype="float32"))
    # d/dx_k of sum_j w_j x_{j // 3}: the three weights of x_k's copies
    np.testing.assert_allclose(tape.gradient(y, xv),
                               np.arange(18).reshape(6, 3).sum(axis=1).reshape(3, 2))


def test_conditional_gan_fits_on_images_and_one_hot_labels():
    image_size, num_classes, latent_dim = 4, 3, 2

    class ConditionalGAN(GAN):   # the example's train_step, code unchanged (compile: GAN's)
        def __init__(self, discriminator, generator, latent_dim):
            super().__init__(discriminator, generator, latent_dim)
            self.gen_loss_tracker = keras.metrics.Mean(name="generator_loss")
            self.disc_loss_tracker = keras.metrics.Mean(name="discriminator_loss")

        @property
        def metrics(self):
            return [self.gen_loss_tracker, self.disc_loss_tracker]

        def train_step(self, data):
            real_images, one_hot_labels = data
            image_one_hot_labels = one_hot_labels[:, :, None, None]
            image_one_hot_labels = ops.repeat(image_one_hot_labels,
                                              repeats=[image_size * image_size])
            image_one_hot_labels = ops.reshape(image_one_hot_labels,
                                               (-1, image_size, image_size, num_classes))
            batch_size = ops.shape(real_images)[0]
            random_latent_vectors = keras.random.normal(shape=(batch_size, self.latent_dim),
                                                        seed=self.seed_generator)
            random_vector_labels = ops.concatenate([random_latent_vectors, one_hot_labels],
                                                   axis=1)
            generated_images = self.generator(random_vector_labels)
            fake_image_and_labels = ops.concatenate([generated_images, image_one_hot_labels],
                                                    -1)
            real_image_and_labels = ops.concatenate([real_images, image_one_hot_labels], -1)
            combined_images = ops.concatenate([fake_image_and_labels, real_image_and_labels],
                                              axis=0)
            labels = ops.concatenate([ops.ones((batch_size, 1)), ops.zeros((batch_size, 1))],
                                     axis=0)
            with tf.GradientTape() as tape:
                predictions = self.discriminator(combined_images)
                d_loss = self.loss_fn(labels, predictions)
            grads = tape.gradient(d_loss, self.discriminator.trainable_weights)
            self.d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_weights))
            self.gen_loss_tracker.update_state(d_loss)
            self.disc_loss_tracker.update_state(d_loss)
            return {"g_loss": self.gen_loss_tracker.result(),
                    "d_loss": self.disc_loss_tracker.result()}

    discriminator = keras.Sequential([
        keras.layers.InputLayer((image_size, image_size, 1 + num_classes)),
        layers.Flatten(), layers.Dense(1)], name="discriminator")
    generator = keras.Sequential([
        keras.layers.InputLayer((latent_dim + num_classes,)),
        layers.Dense(image_size * image_size, activation="sigmoid"),
        layers.Reshape((image_size, image_size, 1))], name="generator")
    rng = np.random.RandomState(0)
    images = rng.rand(12, image_size, image_size, 1).astype("float32")
    all_labels = keras.utils.to_categorical(rng.randint(0, num_classes, 12), num_classes)
    dataset = tf.data.Dataset.from_tensor_slices((images, all_labels)).batch(5)
    cond_gan = ConditionalGAN(discriminator=discriminator, generator=generator,
                              latent_dim=latent_dim)
    cond_gan.compile(d_optimizer=keras.optimizers.Adam(learning_rate=0.01),
                     g_optimizer=keras.optimizers.Adam(learning_rate=0.01),
                     loss_fn=keras.losses.BinaryCrossentropy(from_logits=True))
    cond_gan.jit_compile = False
    before = discriminator.get_weights()[0].copy()
    h = cond_gan.fit(dataset, epochs=1, verbose=0)   # graphflow: the metrics probe failed
    assert sorted(h.history) == ["d_loss", "g_loss"] and np.isfinite(h.history["d_loss"][0])
    assert not np.allclose(before, discriminator.get_weights()[0])


# ---- "Text generation with a miniature GPT" ------------------------------------------------
def test_loss_list_with_none_takes_targets_for_the_other_outputs():
    # the example compiles outputs [logits, x] with loss [loss_fn, None] and fits on (x, y):
    # Keras 3 gives y to the outputs that have a loss
    inputs = layers.Input(shape=(5,), dtype="int32")
    x = layers.Embedding(7, 4)(inputs)
    outputs = layers.Dense(7)(x)
    model = keras.Model(inputs=inputs, outputs=[outputs, x])
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    model.compile("adam", loss=[loss_fn, None], jit_compile=False)
    rng = np.random.RandomState(0)
    xs, ys = rng.randint(0, 7, (8, 5)), rng.randint(0, 7, (8, 5))
    r = model.evaluate(xs, ys, verbose=0, return_dict=True)
    assert list(r) == ["loss"]
    logits, _ = model.predict(xs, verbose=0)
    z = logits - logits.max(-1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(-1, keepdims=True))
    want = -np.take_along_axis(logp, ys[..., None], -1).mean()
    np.testing.assert_allclose(r["loss"], want, rtol=1e-5)
    h = model.fit(xs, ys, epochs=2, batch_size=8, verbose=0)
    assert list(h.history) == ["loss"] and h.history["loss"][1] < h.history["loss"][0]
    with pytest.raises(ValueError, match="2 outputs but 3 targets"):
        model.evaluate(xs, (ys, ys, ys), verbose=0)


# ---- "Point cloud classification with PointNet" ---------------------------------------------
class OrthogonalRegularizer(keras.regularizers.Regularizer):
    """The example's regularizer, code unchanged."""

    def __init__(self, num_features, l2reg=0.001):
        self.num_features = num_features
        self.l2reg = l2reg
        self.eye = ops.eye(num_features)

    def __call__(self, x):
        x = ops.reshape(x, (-1, self.num_features, self.num_features))
        xxt = ops.tensordot(x, x, axes=(2, 2))
        xxt = ops.reshape(xxt, (-1, self.num_features, self.num_features))
        return ops.sum(self.l2reg * ops.square(xxt - self.eye))

    def get_config(self):
        config = super().get_config()
        config.update({"num_features": self.num_features, "l2reg_strength": self.l2reg})
        return config


def test_activity_regularizer_in_a_traced_fit_divides_by_the_run_time_batch():
    x = np.random.RandomState(1).rand(2, 9).astype("float32")
    assert round(float(OrthogonalRegularizer(3)(x)), 5) == 0.01085   # Keras 3.15 printed
    inputs = keras.Input(shape=(4,))
    bias = keras.initializers.Constant(np.eye(3).flatten())
    dense = layers.Dense(9, kernel_initializer="zeros", bias_initializer=bias,
                         activity_regularizer=OrthogonalRegularizer(3))
    outputs = layers.Dense(1)(layers.Flatten()(layers.Reshape((3, 3))(dense(inputs))))
    model = keras.Model(inputs, outputs)
    rng = np.random.RandomState(0)
    xs, ys = rng.rand(6, 4).astype("float32"), rng.rand(6, 1).astype("float32")
    model(xs)
    # eager: the regularizer over the batch, divided by the batch size (Keras 3)
    out = dense(xs).numpy().reshape(-1, 3, 3)
    xxt = np.tensordot(out, out, axes=(2, 2)).reshape(-1, 3, 3)
    want = (0.001 * (xxt - np.eye(3)) ** 2).sum() / 6
    np.testing.assert_allclose(float(sum(model.losses)), want, rtol=1e-5)
    model.compile(optimizer="sgd", loss="mse", jit_compile=False)
    # traced (the batch is a run-time size): graphflow raised on the static batch dim
    r = model.evaluate(xs, ys, batch_size=6, verbose=0)
    mse = float(((model.predict(xs, verbose=0) - ys) ** 2).mean())
    np.testing.assert_allclose(r, mse + want, rtol=1e-5)
    h = model.fit(xs, ys, batch_size=3, epochs=1, verbose=0)
    assert np.isfinite(h.history["loss"][0])


# ---- "Working with RNNs": performance section ----------------------------------------------
def test_input_shape_argument_warns_as_keras_and_still_sets_the_input():
    msg = "Do not pass an `input_shape`/`input_dim` argument to a layer"
    with pytest.warns(UserWarning, match=msg):
        lstm_layer = keras.layers.LSTM(4, input_shape=(None, 3))
    with pytest.warns(UserWarning, match=msg):
        cell_rnn = keras.layers.RNN(keras.layers.LSTMCell(4), input_shape=(None, 3))
    with pytest.warns(UserWarning, match=msg):
        dense = keras.layers.Dense(2, input_dim=4)
    model = keras.models.Sequential([lstm_layer, keras.layers.Dense(2)])
    # Keras 3: the model's input shape keeps the unknown time dim (graphflow said 1)
    assert model.input_shape == (None, None, 3) and model.output_shape == (None, 2)
    assert model.count_params() == 4 * 4 * (3 + 4 + 1) + 4 * 2 + 2
    other = keras.models.Sequential([cell_rnn, keras.layers.Dense(2)])
    other.set_weights(model.get_weights())
    x = np.random.RandomState(0).rand(2, 5, 3).astype("float32")
    np.testing.assert_allclose(other.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-5)
    assert keras.models.Sequential([dense]).input_shape == (None, 4)
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
        keras.layers.Dense(2, batch_input_shape=(None, 3))
