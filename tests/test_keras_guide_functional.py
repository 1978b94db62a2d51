"""Cells of the Keras guide "The Functional API" (keras-io guides/functional_api.py), run with
`import graphflow as tf; from graphflow import keras`. MNIST/CIFAR10 are replaced by small
generated arrays of the same shapes and VGG19 (a download) is left out; parameter counts are
what Keras 3.15 gives for the same cells."""
import numpy as np
import pytest

import graphflow as tf
from graphflow import keras
from graphflow.keras import layers
from conftest import summary_text


pytestmark = pytest.mark.usefixtures("keras_seeded")   # conftest: the same values every run


def _mnist_model():
    inputs = keras.Input(shape=(784,))
    dense = layers.Dense(64, activation="relu")
    x = dense(inputs)
    x = layers.Dense(64, activation="relu")(x)
    outputs = layers.Dense(10)(x)
    return keras.Model(inputs=inputs, outputs=outputs, name="mnist_model")


def test_inputs_layers_and_summary(tmp_path):
    inputs = keras.Input(shape=(784,))
    img_inputs = keras.Input(shape=(32, 32, 3))
    assert inputs.shape == (None, 784) and img_inputs.shape == (None, 32, 32, 3)
    assert inputs.dtype == "float32"
    model = _mnist_model()
    text = summary_text(model)
    # Keras 3.15: 55,050 params; layers input_layer, dense, dense_1, dense_2
    assert "Total params: 55,050" in text and 'Model: "mnist_model"' in text
    assert model.count_params() == 55050
    assert len(model.layers) == 4 and isinstance(model.layers[0], keras.InputLayer)
    keras.utils.plot_model(model, str(tmp_path / "my_first_model.png"))
    keras.utils.plot_model(model, str(tmp_path / "my_first_model_with_shape_info.png"),
                           show_shapes=True)
    from PIL import Image
    small = Image.open(tmp_path / "my_first_model.png")
    big = Image.open(tmp_path / "my_first_model_with_shape_info.png")
    assert big.size[1] > small.size[1] > 4 * 30   # four boxes in a column, taller with shapes


def _sce(y, logits):
    z = logits - logits.max(-1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(-1, keepdims=True))
    return -logp[np.arange(len(y)), y].mean()


def test_training_evaluation_inference_and_save(tmp_path):
    r = np.random.default_rng(0)
    x_train = r.random((320, 784)).astype("float32")
    y_train = (x_train[:, :10].argmax(1)).astype("int64")   # a learnable rule
    x_test, y_test = x_train[:64], y_train[:64]
    model = _mnist_model()
    model.compile(
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        optimizer=keras.optimizers.RMSprop(),
        metrics=["accuracy"],
    )
    history = model.fit(x_train, y_train, batch_size=64, epochs=2, validation_split=0.2,
                        verbose=0)
    assert sorted(history.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert history.history["loss"][1] < history.history["loss"][0]
    test_scores = model.evaluate(x_test, y_test, verbose=0)
    logits = model.predict(x_test, verbose=0)
    np.testing.assert_allclose(test_scores[0], _sce(y_test, logits), rtol=1e-4)
    np.testing.assert_allclose(test_scores[1], np.mean(logits.argmax(1) == y_test), rtol=1e-6)

    path = str(tmp_path / "path_to_my_model.keras")
    model.save(path)
    del model
    model = keras.models.load_model(path)
    np.testing.assert_allclose(model.predict(x_test, verbose=0), logits, rtol=1e-5, atol=1e-6)


def _encoder(name="img"):
    encoder_input = keras.Input(shape=(28, 28, 1), name=name)
    x = layers.Conv2D(16, 3, activation="relu")(encoder_input)
    x = layers.Conv2D(32, 3, activation="relu")(x)
    x = layers.MaxPooling2D(3)(x)
    x = layers.Conv2D(32, 3, activation="relu")(x)
    x = layers.Conv2D(16, 3, activation="relu")(x)
    encoder_output = layers.GlobalMaxPooling2D()(x)
    return encoder_input, encoder_output


def _decoder_layers(x):
    x = layers.Reshape((4, 4, 1))(x)
    x = layers.Conv2DTranspose(16, 3, activation="relu")(x)
    x = layers.Conv2DTranspose(32, 3, activation="relu")(x)
    x = layers.UpSampling2D(3)(x)
    x = layers.Conv2DTranspose(16, 3, activation="relu")(x)
    return layers.Conv2DTranspose(1, 3, activation="relu")(x)


def test_autoencoder_and_nested_models():
    encoder_input, encoder_output = _encoder()
    encoder = keras.Model(encoder_input, encoder_output, name="encoder")
    assert "Total params: 18,672" in summary_text(encoder)   # Keras 3.15
    decoder_output = _decoder_layers(encoder_output)
    autoencoder = keras.Model(encoder_input, decoder_output, name="autoencoder")
    # Keras 3.15: 28,241 params, output (None, 28, 28, 1), 13 layers
    assert autoencoder.count_params() == 28241
    assert autoencoder.output_shape == (None, 28, 28, 1) and len(autoencoder.layers) == 13

    # all models are callable, just like layers
    encoder_input, encoder_output = _encoder("original_img")
    encoder = keras.Model(encoder_input, encoder_output, name="encoder")
    decoder_input = keras.Input(shape=(16,), name="encoded_img")
    decoder = keras.Model(decoder_input, _decoder_layers(decoder_input), name="decoder")
    assert decoder.count_params() == 28241 - 18672
    autoencoder_input = keras.Input(shape=(28, 28, 1), name="img")
    encoded_img = encoder(autoencoder_input)
    decoded_img = decoder(encoded_img)
    autoencoder = keras.Model(autoencoder_input, decoded_img, name="autoencoder")
    assert autoencoder.count_params() == 28241 and len(autoencoder.layers) == 3
    x = np.random.default_rng(0).random((2, 28, 28, 1)).astype("float32")
    np.testing.assert_allclose(autoencoder(x).numpy(), decoder(encoder(x)).numpy(), rtol=1e-5,
                               atol=1e-6)


def test_ensemble_average():
    def get_model():
        inputs = keras.Input(shape=(128,))
        outputs = layers.Dense(1)(inputs)
        return keras.Model(inputs, outputs)

    model1 = get_model()
    model2 = get_model()
    model3 = get_model()
    inputs = keras.Input(shape=(128,))
    y1 = model1(inputs)
    y2 = model2(inputs)
    y3 = model3(inputs)
    outputs = layers.average([y1, y2, y3])
    ensemble_model = keras.Model(inputs=inputs, outputs=outputs)
    x = np.random.default_rng(0).random((4, 128)).astype("float32")
    ref = np.mean([m(x).numpy() for m in (model1, model2, model3)], axis=0)
    np.testing.assert_allclose(ensemble_model(x).numpy(), ref, rtol=1e-5, atol=1e-6)
    assert ensemble_model.count_params() == 3 * 129


def _ticket_model(num_words, num_tags, num_departments):
    title_input = keras.Input(shape=(None,), name="title")
    body_input = keras.Input(shape=(None,), name="body")
    tags_input = keras.Input(shape=(num_tags,), name="tags")
    title_features = layers.Embedding(num_words, 64)(title_input)
    body_features = layers.Embedding(num_words, 64)(body_input)
    title_features = layers.LSTM(128)(title_features)
    body_features = layers.LSTM(32)(body_features)
    x = layers.concatenate([title_features, body_features, tags_input])
    priority_pred = layers.Dense(1, name="priority")(x)
    department_pred = layers.Dense(num_departments, name="department")(x)
    return keras.Model(inputs=[title_input, body_input, tags_input],
                       outputs=[priority_pred, department_pred])


def test_multiple_inputs_and_outputs(tmp_path):
    num_tags = 12
    num_words = 10000
    num_departments = 4
    model = _ticket_model(num_words, num_tags, num_departments)
    assert model.count_params() == 1392097   # Keras 3.15
    keras.utils.plot_model(model, str(tmp_path / "multi_input_and_output_model.png"),
                           show_shapes=True)
    from graphflow.keras.plot import layer_graph
    names, edges = layer_graph(model)
    assert names[:3] == ["title", "body", "tags"]
    assert ("tags", [l.name for l in model.layers if isinstance(l, keras.layers.Concatenate)][0]
            ) in edges
    assert len(edges) == 9
    num_words = 500   # a smaller vocabulary to train fast
    model = _ticket_model(num_words, num_tags, num_departments)
    model.compile(
        optimizer=keras.optimizers.RMSprop(1e-3),
        loss=[
            keras.losses.BinaryCrossentropy(from_logits=True),
            keras.losses.CategoricalCrossentropy(from_logits=True),
        ],
        loss_weights=[1.0, 0.2],
    )
    model.compile(
        optimizer=keras.optimizers.RMSprop(1e-3),
        loss={
            "priority": keras.losses.BinaryCrossentropy(from_logits=True),
            "department": keras.losses.CategoricalCrossentropy(from_logits=True),
        },
        loss_weights={"priority": 1.0, "department": 0.2},
    )
    r = np.random.RandomState(0)
    n = 32   # the guide uses 1280 samples, bodies of 100 words
    title_data = r.randint(num_words, size=(n, 10))
    body_data = r.randint(num_words, size=(n, 6))
    tags_data = r.randint(2, size=(n, num_tags)).astype("float32")
    priority_targets = r.random_sample(size=(n, 1))
    dept_targets = r.randint(2, size=(n, num_departments))
    h = model.fit(
        {"title": title_data, "body": body_data, "tags": tags_data},
        {"priority": priority_targets, "department": dept_targets},
        epochs=2,
        batch_size=32,
        verbose=0,
    )
    # the weighted total against numpy on the trained model
    p, d = model.predict({"title": title_data, "body": body_data, "tags": tags_data}, verbose=0)
    bce = np.mean(np.maximum(p, 0) - p * priority_targets + np.log1p(np.exp(-np.abs(p))))
    z = d - d.max(-1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(-1, keepdims=True))
    cce = np.mean(-(dept_targets * logp).sum(-1))
    loss = model.evaluate({"title": title_data, "body": body_data, "tags": tags_data},
                          {"priority": priority_targets, "department": dept_targets},
                          verbose=0, return_dict=True)["loss"]
    np.testing.assert_allclose(loss, bce + 0.2 * cce, rtol=1e-4)
    assert len(h.history["loss"]) == 2


def test_toy_resnet():
    inputs = keras.Input(shape=(32, 32, 3), name="img")
    x = layers.Conv2D(32, 3, activation="relu")(inputs)
    x = layers.Conv2D(64, 3, activation="relu")(x)
    block_1_output = layers.MaxPooling2D(3)(x)
    x = layers.Conv2D(64, 3, activation="relu", padding="same")(block_1_output)
    x = layers.Conv2D(64, 3, activation="relu", padding="same")(x)
    block_2_output = layers.add([x, block_1_output])
    x = layers.Conv2D(64, 3, activation="relu", padding="same")(block_2_output)
    x = layers.Conv2D(64, 3, activation="relu", padding="same")(x)
    block_3_output = layers.add([x, block_2_output])
    x = layers.Conv2D(64, 3, activation="relu")(block_3_output)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dense(256, activation="relu")(x)
    x = layers.Dropout(0.5)(x)
    outputs = layers.Dense(10)(x)
    model = keras.Model(inputs, outputs, name="toy_resnet")
    # Keras 3.15: 223,242 params, 15 layers
    assert "Total params: 223,242" in summary_text(model) and len(model.layers) == 15
    r = np.random.default_rng(0)
    x_train = r.random((16, 32, 32, 3)).astype("float32")
    y_train = keras.utils.to_categorical(r.integers(0, 10, (16, 1)), 10)
    assert y_train.shape == (16, 10)
    model.compile(
        optimizer=keras.optimizers.RMSprop(1e-3),
        loss=keras.losses.CategoricalCrossentropy(from_logits=True),
        metrics=["acc"],
    )
    h = model.fit(x_train, y_train, batch_size=8, epochs=1, validation_split=0.25, verbose=0)
    assert sorted(h.history) == ["acc", "loss", "val_acc", "val_loss"]


def test_shared_layers():
    shared_embedding = layers.Embedding(1000, 128)
    text_input_a = keras.Input(shape=(None,), dtype="int32")
    text_input_b = keras.Input(shape=(None,), dtype="int32")
    encoded_input_a = shared_embedding(text_input_a)
    encoded_input_b = shared_embedding(text_input_b)
    assert encoded_input_a.shape == (None, None, 128)
    model = keras.Model([text_input_a, text_input_b], [encoded_input_a, encoded_input_b])
    assert len(model.weights) == 1
    a, b = model([np.array([[1, 2]]), np.array([[2, 3, 4]])])
    np.testing.assert_array_equal(a.numpy()[0, 1], b.numpy()[0, 0])


class CustomDense(layers.Layer):
    def __init__(self, units=32):
        super(CustomDense, self).__init__()
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

    def get_config(self):
        return {"units": self.units}


def test_custom_layer_and_from_config():
    inputs = keras.Input((4,))
    outputs = CustomDense(10)(inputs)
    model = keras.Model(inputs, outputs)
    config = model.get_config()
    new_model = keras.Model.from_config(config, custom_objects={"CustomDense": CustomDense})
    assert new_model.count_params() == 50 and new_model.output_shape == (None, 10)
    assert type(new_model.layers[1]) is CustomDense and new_model.layers[1].units == 10


units = 32
timesteps = 10
input_dim = 5
batch_size = 16


def test_mix_and_match_functional_model_inside_subclassed_layer():
    inputs = keras.Input((None, units))
    x = layers.GlobalAveragePooling1D()(inputs)
    outputs = layers.Dense(1)(x)
    model = keras.Model(inputs, outputs)

    class CustomRNN(layers.Layer):
        def __init__(self):
            super(CustomRNN, self).__init__()
            self.units = units
            self.projection_1 = layers.Dense(units=units, activation="tanh")
            self.projection_2 = layers.Dense(units=units, activation="tanh")
            # Our previously-defined Functional model
            self.classifier = model

        def call(self, inputs):
            outputs = []
            state = tf.zeros(shape=(inputs.shape[0], self.units))
            for t in range(inputs.shape[1]):
                x = inputs[:, t, :]
                h = self.projection_1(x)
                y = h + self.projection_2(state)
                state = y
                outputs.append(y)
            features = tf.stack(outputs, axis=1)
            self.features_shape = features.shape
            return self.classifier(features)

    rnn_model = CustomRNN()
    out = rnn_model(tf.zeros((1, timesteps, input_dim)))
    assert tuple(rnn_model.features_shape) == (1, 10, 32)   # the guide prints (1, 10, 32)
    assert out.shape == (1, 1)
    # zero inputs: every step is tanh(b1) + tanh(state @ W2 + b2); the mean goes to the Dense
    w1b = rnn_model.projection_1.bias.numpy()
    W2, b2 = rnn_model.projection_2.kernel.numpy(), rnn_model.projection_2.bias.numpy()
    state, ys = np.zeros((1, 32)), []
    for _ in range(timesteps):
        state = np.tanh(w1b) + np.tanh(state @ W2 + b2)
        ys.append(state)
    k, b = model.layers[-1].get_weights()
    np.testing.assert_allclose(out.numpy(), np.mean(ys, axis=0) @ k + b, rtol=1e-4, atol=1e-5)


def test_custom_rnn_in_functional_model_with_batch_shape():
    class CustomRNN(layers.Layer):
        def __init__(self):
            super(CustomRNN, self).__init__()
            self.units = units
            self.projection_1 = layers.Dense(units=units, activation="tanh")
            self.projection_2 = layers.Dense(units=units, activation="tanh")
            self.classifier = layers.Dense(1)

        def call(self, inputs):
            outputs = []
            state = tf.zeros(shape=(inputs.shape[0], self.units))
            for t in range(inputs.shape[1]):
                x = inputs[:, t, :]
                h = self.projection_1(x)
                y = h + self.projection_2(state)
                state = y
                outputs.append(y)
            features = tf.stack(outputs, axis=1)
            return self.classifier(features)

    inputs = keras.Input(batch_shape=(batch_size, timesteps, input_dim))
    x = layers.Conv1D(32, 3)(inputs)
    outputs = CustomRNN()(x)
    model = keras.Model(inputs, outputs)
    assert model.output_shape == (16, 8, 1)
    rnn_model = CustomRNN()
    _ = rnn_model(tf.zeros((1, 10, 5)))
    assert _.shape == (1, 10, 1)
    y = model(np.random.default_rng(0).random((16, 10, 5)).astype("float32"))
    assert y.shape == (16, 8, 1)


def test_unnamed_functional_model_is_named_and_shown_as_keras3_functional():
    # Keras 3: Model(inputs, outputs) is a `Functional` named "functional" (uniquified), and a
    # nested one appears in the outer summary as "<name> (Functional)"
    inner = _mnist_model()
    x = keras.Input(shape=(784,))
    outer = keras.Model(x, inner(x))
    assert outer.name.startswith("functional")
    text = summary_text(outer)
    assert "mnist_model (Functional)" in text and f'Model: "{outer.name}"' in text
    class Sub(keras.Model):
        def call(self, x):
            return x
    assert Sub().name.startswith("sub")
