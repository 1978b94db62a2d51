"""keras.io code examples run unchanged with `from graphflow import keras` (eleventh session):
PointNet's registered custom regularizer, ... (see each test's docstring). Values are checked
against numpy or against what Keras 3.15 (TF 2.21 backend) printed for the same code."""
import numpy as np
import pytest

import graphflow as tf
from graphflow import keras

layers = keras.layers
ops = keras.ops
pytestmark = pytest.mark.usefixtures("keras_seeded")


@pytest.fixture
def orthogonal_regularizer():
    """PointNet's OrthogonalRegularizer, code unchanged (registered under "MyLayers")."""
    @keras.saving.register_keras_serializable("MyLayers")
    class OrthogonalRegularizer(keras.regularizers.Regularizer):
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
            config = {}
            config.update({"num_features": self.num_features, "l2reg": self.l2reg})
            return config
    yield OrthogonalRegularizer
    keras.saving.get_custom_objects().pop("MyLayers>OrthogonalRegularizer", None)


def test_pointnet_registered_regularizer_serializes_and_reloads(orthogonal_regularizer, tmp_path):
    """keras.io "Point cloud classification with PointNet": a registered custom regularizer
    serializes as Keras 3.15 writes it (module None, registered name "MyLayers>..."; it was
    written as the built-in keras.regularizers.OrthogonalRegularizer and failed to load), a
    Dense layer's config carries that dict, and the model (T-net with Dot, Conv1D, activity
    regularizer) has Keras's parameter count and reloads with the same outputs and losses."""
    reg = orthogonal_regularizer(3)
    assert keras.regularizers.serialize(reg) == {
        "module": None, "class_name": "OrthogonalRegularizer",
        "config": {"num_features": 3, "l2reg": 0.001},
        "registered_name": "MyLayers>OrthogonalRegularizer"}       # Keras 3.15
    w = np.arange(18, dtype="float32").reshape(2, 9) / 10
    x = w.reshape(-1, 3, 3)
    xxt = np.tensordot(x, x, axes=(2, 2)).reshape(-1, 3, 3)
    np.testing.assert_allclose(float(reg(w)), 0.001 * np.sum((xxt - np.eye(3)) ** 2), rtol=1e-5)
    # a user's unregistered class: module None, its class name as the registered name
    class Plain(keras.constraints.Constraint):
        def __call__(self, w):
            return w
    dense = layers.Dense(2, kernel_regularizer=reg, kernel_constraint=Plain())
    cfg = dense.get_config()
    assert cfg["kernel_regularizer"]["registered_name"] == "MyLayers>OrthogonalRegularizer"
    assert cfg["kernel_constraint"] == {"module": None, "class_name": "Plain", "config": {},
                                        "registered_name": "Plain"}
    assert type(layers.Dense.from_config(
        {**cfg, "kernel_constraint": None}).kernel_regularizer) is orthogonal_regularizer

    def tnet(inputs, num_features):
        bias = keras.initializers.Constant(np.eye(num_features).flatten())
        reg = orthogonal_regularizer(num_features)
        x = layers.Conv1D(4, kernel_size=1, padding="valid")(inputs)
        x = layers.GlobalMaxPooling1D()(x)
        x = layers.Dense(num_features * num_features, kernel_initializer="zeros",
                         bias_initializer=bias, activity_regularizer=reg)(x)
        feat_T = layers.Reshape((num_features, num_features))(x)
        return layers.Dot(axes=(2, 1))([inputs, feat_T])

    inputs = keras.Input(shape=(6, 3))
    x = tnet(inputs, 3)
    x = layers.GlobalMaxPooling1D()(x)
    outputs = layers.Dense(2, activation="softmax")(x)
    model = keras.Model(inputs=inputs, outputs=outputs, name="pointnet")
    assert model.count_params() == 16 + 45 + 8     # conv 3*4+4, dense 4*9+9, head 3*2+2
    pts = np.random.RandomState(0).normal(size=(4, 6, 3)).astype("float32")
    model.compile(loss="sparse_categorical_crossentropy", optimizer="adam")
    model.fit(pts, np.array([0, 1, 0, 1]), epochs=1, verbose=0)   # moves the T-net off eye
    path = str(tmp_path / "pointnet.keras")
    model.save(path)
    again = keras.models.load_model(path)
    np.testing.assert_allclose(again.predict(pts, verbose=0), model.predict(pts, verbose=0),
                               rtol=1e-5, atol=1e-6)
    [r] = [l.activity_regularizer for l in again.layers
           if getattr(l, "activity_regularizer", None) is not None]
    assert type(r) is orthogonal_regularizer and (r.num_features, r.l2reg) == (3, 0.001)


def test_char_seq2seq_inference_models_share_the_trained_layers(tmp_path):
    """keras.io "Character-level recurrent sequence-to-sequence": the trained model is saved,
    reloaded, and its layers rebuild an encoder model (from `model.layers[2].output`) and a
    step decoder (the LSTM called again on new Inputs). The decoder's summary names the LSTM's
    second call as Keras 3.15 does (`lstm_1[1][0]`: a layer's node index counts its calls in
    every model; was `[0][0]`), and decoding step by step equals the teacher-forced model."""
    from conftest import summary_text
    keras.backend.clear_session()   # the names Keras gives in a fresh process
    latent_dim, n_in, n_out = 4, 5, 6
    encoder_inputs = keras.Input(shape=(None, n_in))
    encoder = keras.layers.LSTM(latent_dim, return_state=True)
    encoder_outputs, state_h, state_c = encoder(encoder_inputs)
    decoder_inputs = keras.Input(shape=(None, n_out))
    decoder_lstm = keras.layers.LSTM(latent_dim, return_sequences=True, return_state=True)
    decoder_outputs, _, _ = decoder_lstm(decoder_inputs, initial_state=[state_h, state_c])
    decoder_outputs = keras.layers.Dense(n_out, activation="softmax")(decoder_outputs)
    model = keras.Model([encoder_inputs, decoder_inputs], decoder_outputs)
    model.save(str(tmp_path / "s2s.keras"))
    model = keras.models.load_model(str(tmp_path / "s2s.keras"))

    encoder_inputs = model.input[0]
    encoder_outputs, state_h_enc, state_c_enc = model.layers[2].output
    encoder_model = keras.Model(encoder_inputs, [state_h_enc, state_c_enc])
    decoder_inputs = model.input[1]
    decoder_states_inputs = [keras.Input(shape=(latent_dim,)), keras.Input(shape=(latent_dim,))]
    decoder_lstm = model.layers[3]
    decoder_outputs, state_h_dec, state_c_dec = decoder_lstm(
        decoder_inputs, initial_state=decoder_states_inputs)
    decoder_outputs = model.layers[4](decoder_outputs)
    decoder_model = keras.Model([decoder_inputs] + decoder_states_inputs,
                                [decoder_outputs] + [state_h_dec, state_c_dec])
    text = summary_text(decoder_model)
    assert "│ dense (Dense)       │ (None, None, 6)   │         30 │ lstm_1[1][0]      │" in text
    assert " Total params: 206 (824.00 B)" in text    # LSTM 4*4*(6+4+1) + Dense 4*6+6

    rng = np.random.RandomState(0)
    enc = rng.uniform(size=(2, 3, n_in)).astype("float32")
    dec = rng.uniform(size=(2, 4, n_out)).astype("float32")
    full = model.predict([enc, dec], verbose=0)
    states = encoder_model.predict(enc, verbose=0)
    steps = []
    for t in range(dec.shape[1]):
        out, h, c = decoder_model.predict([dec[:, t:t + 1]] + states, verbose=0)
        states = [h, c]
        steps.append(out[:, 0])
    np.testing.assert_allclose(np.stack(steps, 1), full, rtol=1e-5, atol=1e-6)


class TransformerEncoder(layers.Layer):
    """keras.io "English-to-Spanish translation with a sequence-to-sequence Transformer"."""
    def __init__(self, embed_dim, dense_dim, num_heads, **kwargs):
        super().__init__(**kwargs)
        self.embed_dim = embed_dim
        self.dense_dim = dense_dim
        self.num_heads = num_heads
        self.attention = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
        self.dense_proj = keras.Sequential(
            [layers.Dense(dense_dim, activation="relu"), layers.Dense(embed_dim)])
        self.layernorm_1 = layers.LayerNormalization()
        self.layernorm_2 = layers.LayerNormalization()
        self.supports_masking = True

    def call(self, inputs, mask=None):
        if mask is not None:
            padding_mask = ops.cast(mask[:, None, :], dtype="int32")
        else:
            padding_mask = None
        attention_output = self.attention(query=inputs, value=inputs, key=inputs,
                                          attention_mask=padding_mask)
        proj_input = self.layernorm_1(inputs + attention_output)
        proj_output = self.dense_proj(proj_input)
        return self.layernorm_2(proj_input + proj_output)


class PositionalEmbedding(layers.Layer):
    def __init__(self, sequence_length, vocab_size, embed_dim, **kwargs):
        super().__init__(**kwargs)
        self.token_embeddings = layers.Embedding(input_dim=vocab_size, output_dim=embed_dim)
        self.position_embeddings = layers.Embedding(input_dim=sequence_length,
                                                    output_dim=embed_dim)

    def call(self, inputs):
        length = ops.shape(inputs)[-1]
        positions = ops.arange(0, length, 1)
        embedded_tokens = self.token_embeddings(inputs)
        embedded_positions = self.position_embeddings(positions)
        return embedded_tokens + embedded_positions

    def compute_mask(self, inputs, mask=None):
        return ops.not_equal(inputs, 0)


class TransformerDecoder(layers.Layer):
    def __init__(self, embed_dim, latent_dim, num_heads, **kwargs):
        super().__init__(**kwargs)
        self.attention_1 = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
        self.attention_2 = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
        self.dense_proj = keras.Sequential(
            [layers.Dense(latent_dim, activation="relu"), layers.Dense(embed_dim)])
        self.layernorm_1 = layers.LayerNormalization()
        self.layernorm_2 = layers.LayerNormalization()
        self.layernorm_3 = layers.LayerNormalization()
        self.supports_masking = True

    def call(self, inputs, mask=None):
        inputs, encoder_outputs = inputs
        causal_mask = self.get_causal_attention_mask(inputs)
        if mask is None:
            inputs_padding_mask, encoder_outputs_padding_mask = None, None
        else:
            inputs_padding_mask, encoder_outputs_padding_mask = mask
        attention_output_1 = self.attention_1(query=inputs, value=inputs, key=inputs,
                                              attention_mask=causal_mask,
                                              query_mask=inputs_padding_mask)
        out_1 = self.layernorm_1(inputs + attention_output_1)
        attention_output_2 = self.attention_2(query=out_1, value=encoder_outputs,
                                              key=encoder_outputs,
                                              query_mask=inputs_padding_mask,
                                              key_mask=encoder_outputs_padding_mask)
        out_2 = self.layernorm_2(out_1 + attention_output_2)
        proj_output = self.dense_proj(out_2)
        return self.layernorm_3(out_2 + proj_output)

    def get_causal_attention_mask(self, inputs):
        input_shape = ops.shape(inputs)
        batch_size, sequence_length = input_shape[0], input_shape[1]
        i = ops.arange(sequence_length)[:, None]
        j = ops.arange(sequence_length)
        mask = ops.cast(i >= j, dtype="int32")
        mask = ops.reshape(mask, (1, input_shape[1], input_shape[1]))
        mult = ops.concatenate([ops.expand_dims(batch_size, -1), ops.convert_to_tensor([1, 1])],
                               axis=0)
        return ops.tile(mask, mult)


def test_seq2seq_transformer_masks_as_keras():
    """The English-to-Spanish Transformer (its code, smaller sizes) with Keras 3.15's weights
    (tests/data/keras315_s2s_transformer.npz, written by Keras 3.15 / TF 2.21 for the same
    model) gives Keras's outputs at every step, padded ones included: a custom layer's call
    passes the Keras mask its tensors carry to MultiHeadAttention's value/key masks (Keras 3
    fills `<arg>_mask` from the tensor arguments of a call with several; before, only a
    functional model's nodes did, so the encoder's padded steps differed by 0.9), and the
    query's mask is the one the query carries (the decoder's cross-attention passes
    `query_mask=` for an unmasked query, which Keras 3.15 does not apply)."""
    import os
    ref = np.load(os.path.join(os.path.dirname(__file__), "data", "keras315_s2s_transformer.npz"))
    embed_dim, latent_dim, num_heads, vocab_size, sequence_length = 4, 8, 2, 12, 5
    encoder_inputs = keras.Input(shape=(None,), dtype="int64", name="encoder_inputs")
    x = PositionalEmbedding(sequence_length, vocab_size, embed_dim)(encoder_inputs)
    encoder_outputs = TransformerEncoder(embed_dim, latent_dim, num_heads)(x)
    encoder = keras.Model(encoder_inputs, encoder_outputs)
    decoder_inputs = keras.Input(shape=(None,), dtype="int64", name="decoder_inputs")
    encoded_seq_inputs = keras.Input(shape=(None, embed_dim), name="decoder_state_inputs")
    x = PositionalEmbedding(sequence_length, vocab_size, embed_dim)(decoder_inputs)
    x = TransformerDecoder(embed_dim, latent_dim, num_heads)([x, encoded_seq_inputs])
    x = layers.Dropout(0.5)(x)
    decoder_outputs = layers.Dense(vocab_size, activation="softmax")(x)
    decoder = keras.Model([decoder_inputs, encoded_seq_inputs], decoder_outputs)
    decoder_outputs = decoder([decoder_inputs, encoder_outputs])
    transformer = keras.Model([encoder_inputs, decoder_inputs], decoder_outputs,
                              name="transformer")
    assert transformer.count_params() == 856                   # Keras 3.15
    transformer.set_weights([ref[f"arr_{i}"] for i in range(len(transformer.weights))])
    np.testing.assert_allclose(encoder.predict(ref["src"], verbose=0), ref["enc"],
                               rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(transformer.predict([ref["src"], ref["tgt"]], verbose=0),
                               ref["out"], rtol=1e-5, atol=1e-6)


def test_supervised_contrastive_loss_in_a_traced_step():
    """keras.io "Supervised Contrastive Learning": a Loss whose `__call__` normalizes the batch's
    embeddings with `keras.utils.normalize` (numpy-only before: it failed inside the traced
    step) and takes a sparse cross-entropy over the batch-by-batch similarities (the class
    count is the run-time batch size: one_hot needed a number). evaluate() on one batch equals
    numpy's loss of the predicted embeddings; the Sequential built from its first KerasTensor
    counts an InputLayer name as Keras 3.15 (the projection model's input is input_layer_2)."""
    keras.backend.clear_session()

    class SupervisedContrastiveLoss(keras.losses.Loss):
        def __init__(self, temperature=1, name=None):
            super().__init__(name=name)
            self.temperature = temperature

        def __call__(self, labels, feature_vectors, sample_weight=None):
            feature_vectors_normalized = keras.utils.normalize(feature_vectors, axis=1, order=2)
            logits = keras.ops.divide(
                keras.ops.matmul(feature_vectors_normalized,
                                 keras.ops.transpose(feature_vectors_normalized)),
                self.temperature)
            return keras.ops.mean(keras.losses.sparse_categorical_crossentropy(
                keras.ops.squeeze(labels), logits, from_logits=True))

    v = np.array([[3.0, 4.0], [1.0, 0.0]], "float32")
    np.testing.assert_allclose(keras.utils.normalize(v, axis=0, order=1),
                               [[0.75, 1.0], [0.25, 0.0]])          # numpy in, numpy out
    np.testing.assert_allclose(float(SupervisedContrastiveLoss(0.5)(np.array([[0], [1]]), v)),
                               np.log1p(np.exp(-0.8)), rtol=1e-6)   # Keras 3.15: 0.3711

    inputs = keras.Input(shape=(3,))
    features = keras.Sequential([layers.Dense(4, activation="relu")])(inputs)   # no Input
    encoder = keras.Model(inputs, features)
    proj_in = keras.Input(shape=(3,))
    model = keras.Model(proj_in, layers.Dense(2)(encoder(proj_in)))
    assert model.layers[0].name == "input_layer_2"       # Keras 3.15 (input_layer_1: Sequential)
    model.compile(optimizer="adam", loss=SupervisedContrastiveLoss(0.1))
    rng = np.random.RandomState(0)
    x = rng.normal(size=(6, 3)).astype("float32")
    y = np.array([[0], [1], [0], [2], [1], [2]])
    loss = model.evaluate(x, y, batch_size=6, verbose=0)
    f = model.predict(x, verbose=0)
    f = f / np.maximum(np.linalg.norm(f, axis=1, keepdims=True), 1e-12)
    logits = f @ f.T / 0.1
    logp = logits - np.log(np.exp(logits - logits.max(1, keepdims=True)).sum(1, keepdims=True)) \
        - logits.max(1, keepdims=True)
    np.testing.assert_allclose(loss, -logp[np.arange(6), y[:, 0]].mean(), rtol=1e-4)
    h = model.fit(x, y, batch_size=3, epochs=2, verbose=0)
    assert np.isfinite(h.history["loss"]).all()


def test_saving_guide_custom_function_in_scope_and_assets(tmp_path):
    """keras.io "Customizing Saving and Serialization": a plain function as an activation is
    written as Keras 3.15 writes it (`{"module": "builtins", "class_name": "function",
    "config": "custom_fn", "registered_name": "function"}`, was the bare name) and found in a
    `custom_object_scope` (Model.from_config failed: unknown activation); a layer's
    `save_assets` / `load_assets` (were never called) store its files under
    `assets/<layer path>/` in the .keras file, as Keras 3.15's archive lists them."""
    import os
    import zipfile
    keras.backend.clear_session()

    class CustomLayer(keras.layers.Layer):
        def __init__(self, sublayer, **kwargs):
            super().__init__(**kwargs)
            self.sublayer = sublayer

        def call(self, x):
            return self.sublayer(x)

        def get_config(self):
            base_config = super().get_config()
            config = {"sublayer": keras.saving.serialize_keras_object(self.sublayer)}
            return {**base_config, **config}

        @classmethod
        def from_config(cls, config):
            sublayer_config = config.pop("sublayer")
            sublayer = keras.saving.deserialize_keras_object(sublayer_config)
            return cls(sublayer, **config)

    def custom_fn(x):
        return x ** 2

    inputs = keras.Input((4,))
    outputs = CustomLayer(keras.layers.Dense(3))(inputs)
    outputs = keras.layers.Activation(custom_fn)(outputs)
    model = keras.Model(inputs, outputs)
    config = model.get_config()
    assert config["layers"][2]["config"]["activation"] == {
        "module": "builtins", "class_name": "function", "config": "custom_fn",
        "registered_name": "function"}
    custom_objects = {"CustomLayer": CustomLayer, "custom_fn": custom_fn}
    with keras.saving.custom_object_scope(custom_objects):
        new_model = keras.Model.from_config(config)
    assert [type(l).__name__ for l in new_model.layers] == ["InputLayer", "CustomLayer",
                                                            "Activation"]
    assert new_model.layers[2].activation is custom_fn
    new_model.set_weights(model.get_weights())
    x = np.linspace(-1, 1, 8, dtype="float32").reshape(2, 4)
    w, b = model.get_weights()
    np.testing.assert_allclose(new_model.predict(x, verbose=0), (x @ w + b) ** 2, rtol=1e-5)

    class AssetLayer(keras.layers.Layer):
        def __init__(self, vocab=None, **kwargs):
            super().__init__(**kwargs)
            self.vocab = list(vocab or [])

        def call(self, x):
            return x * len(self.vocab)

        def save_assets(self, dir_path):
            with open(os.path.join(dir_path, "vocab.txt"), "w") as f:
                f.write("\n".join(self.vocab))

        def load_assets(self, dir_path):
            with open(os.path.join(dir_path, "vocab.txt")) as f:
                self.vocab = f.read().split("\n")

        def get_config(self):
            return {**super().get_config()}      # the vocabulary travels as an asset

    inputs = keras.Input((2,))
    m = keras.Model(inputs, AssetLayer(["a", "b", "c"])(inputs))
    path = str(tmp_path / "assets.keras")
    m.save(path)
    assert sorted(zipfile.ZipFile(path).namelist()) == [          # Keras 3.15's archive
        "assets/layers/asset_layer/vocab.txt", "config.json", "metadata.json",
        "model.weights.h5"]
    r = keras.models.load_model(path, custom_objects={"AssetLayer": AssetLayer})
    assert r.layers[1].vocab == ["a", "b", "c"]
    np.testing.assert_allclose(r.predict(np.ones((1, 2)), verbose=0), [[3.0, 3.0]])
