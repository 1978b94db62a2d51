"""keras.io code examples and guides run unchanged with `import graphflow as tf; from graphflow
import keras` (twelfth session; downloads replaced by generated data of the same dtypes and
shapes, sizes and epochs cut): see each test's docstring. Expected values are numpy
recomputations, invariants, or what Keras 3.15 (TF 2.21 backend) printed for the same code."""
import numpy as np
import pytest

import graphflow as tf
from graphflow import keras
from graphflow.keras import layers

pytestmark = pytest.mark.usefixtures("keras_seeded")


def _counts(model):
    """(total, trainable, non-trainable) parameter counts, as summary() prints them."""
    tr = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    nt = sum(int(np.prod(w.shape)) for w in model.non_trainable_weights)
    return tr + nt, tr, nt


# ---- "Node Classification with Graph Neural Networks" (examples/graph/gnn_citations.py) ------
def create_ffn(hidden_units, dropout_rate, name=None):
    fnn_layers = []
    for units in hidden_units:
        fnn_layers.append(layers.BatchNormalization())
        fnn_layers.append(layers.Dropout(dropout_rate))
        fnn_layers.append(layers.Dense(units, activation=tf.nn.gelu))
    return keras.Sequential(fnn_layers, name=name)


class GraphConvLayer(layers.Layer):
    def __init__(self, hidden_units, dropout_rate=0.2, aggregation_type="mean",
                 combination_type="concat", normalize=False, *args, **kwargs):
        super(GraphConvLayer, self).__init__(*args, **kwargs)
        self.aggregation_type = aggregation_type
        self.combination_type = combination_type
        self.normalize = normalize
        self.ffn_prepare = create_ffn(hidden_units, dropout_rate)
        self.update_fn = create_ffn(hidden_units, dropout_rate)

    def prepare(self, node_repesentations, weights=None):
        messages = self.ffn_prepare(node_repesentations)
        if weights is not None:
            messages = messages * tf.expand_dims(weights, -1)
        return messages

    def aggregate(self, node_indices, neighbour_messages):
        num_nodes = tf.math.reduce_max(node_indices) + 1
        if self.aggregation_type == "sum":
            aggregated_message = tf.math.unsorted_segment_sum(
                neighbour_messages, node_indices, num_segments=num_nodes)
        elif self.aggregation_type == "mean":
            aggregated_message = tf.math.unsorted_segment_mean(
                neighbour_messages, node_indices, num_segments=num_nodes)
        else:
            aggregated_message = tf.math.unsorted_segment_max(
                neighbour_messages, node_indices, num_segments=num_nodes)
        return aggregated_message

    def update(self, node_repesentations, aggregated_messages):
        h = tf.concat([node_repesentations, aggregated_messages], axis=1)
        node_embeddings = self.update_fn(h)
        if self.normalize:
            node_embeddings = tf.nn.l2_normalize(node_embeddings, axis=-1)
        return node_embeddings

    def call(self, inputs):
        node_repesentations, edges, edge_weights = inputs
        node_indices, neighbour_indices = edges[0], edges[1]
        neighbour_repesentations = tf.gather(node_repesentations, neighbour_indices)
        neighbour_messages = self.prepare(neighbour_repesentations, edge_weights)
        aggregated_messages = self.aggregate(node_indices, neighbour_messages)
        return self.update(node_repesentations, aggregated_messages)


class GNNNodeClassifier(tf.keras.Model):
    def __init__(self, graph_info, num_classes, hidden_units, aggregation_type="sum",
                 combination_type="concat", dropout_rate=0.2, normalize=True, *args, **kwargs):
        super(GNNNodeClassifier, self).__init__(*args, **kwargs)
        node_features, edges, edge_weights = graph_info
        self.node_features = node_features
        self.edges = edges
        self.edge_weights = edge_weights
        if self.edge_weights is None:
            self.edge_weights = tf.ones(shape=edges.shape[1])
        self.edge_weights = self.edge_weights / tf.math.reduce_sum(self.edge_weights)
        self.preprocess = create_ffn(hidden_units, dropout_rate, name="preprocess")
        self.conv1 = GraphConvLayer(hidden_units, dropout_rate, aggregation_type,
                                    combination_type, normalize, name="graph_conv1")
        self.conv2 = GraphConvLayer(hidden_units, dropout_rate, aggregation_type,
                                    combination_type, normalize, name="graph_conv2")
        self.postprocess = create_ffn(hidden_units, dropout_rate, name="postprocess")
        self.compute_logits = layers.Dense(units=num_classes, name="logits")

    def call(self, input_node_indices):
        x = self.preprocess(self.node_features)
        x1 = self.conv1((x, self.edges, self.edge_weights))
        x = x1 + x
        x2 = self.conv2((x, self.edges, self.edge_weights))
        x = x2 + x
        x = self.postprocess(x)
        node_embeddings = tf.gather(x, input_node_indices)
        return self.compute_logits(node_embeddings)


def _cora_like(num_papers=120, num_feat=40, num_classes=7, num_edges=300):
    rs = np.random.RandomState(0)
    subjects = rs.randint(0, num_classes, num_papers)
    feats = (rs.rand(num_papers, num_feat) < 0.3).astype("int64")   # pandas' to_numpy(): int64
    edges = np.stack([rs.randint(0, num_papers, num_edges), rs.randint(0, num_papers, num_edges)])
    return subjects, feats, edges


def test_gnn_citations_baseline_takes_int64_features_and_the_gnn_swaps_its_graph():
    """The baseline (functional, float32 Input) is fitted on the papers' int64 word vectors:
    Keras 3 converts data to each Input's dtype before the first layer (was 'multiply: cannot
    mix dtypes int64 and float32' in BatchNormalization). The GNN model keeps its graph as
    attributes and predicts after the graph is replaced by a bigger
    one. Parameter counts as Keras 3.15 printed them for these sizes."""
    subjects, feats, edges = _cora_like()
    hidden_units, num_classes, num_features = [32, 32], 7, 40
    inputs = layers.Input(shape=(num_features,), name="input_features")
    x = create_ffn(hidden_units, 0.5, name=f"ffn_block1")(inputs)
    for block_idx in range(4):
        x1 = create_ffn(hidden_units, 0.5, name=f"ffn_block{block_idx + 2}")(x)
        x = layers.Add(name=f"skip_connection{block_idx + 2}")([x, x1])
    logits = layers.Dense(num_classes, name="logits")(x)
    baseline = keras.Model(inputs=inputs, outputs=logits, name="baseline")
    assert _counts(baseline) == (12359, 11703, 656)                     # Keras 3.15
    baseline.compile(optimizer=keras.optimizers.Adam(0.01),
                     loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                     metrics=[keras.metrics.SparseCategoricalAccuracy(name="acc")])
    h = baseline.fit(x=feats[:64], y=subjects[:64], epochs=1, batch_size=32, verbose=0)
    assert sorted(h.history) == ["acc", "loss"] and np.isfinite(h.history["loss"][0])
    np.testing.assert_array_equal(baseline.predict(feats[:5], verbose=0),
                                  baseline.predict(feats[:5].astype("float32"), verbose=0))
    assert baseline(feats[:2]).dtype == tf.float32

    graph_info = (tf.cast(feats, dtype=tf.dtypes.float32), edges, tf.ones(shape=edges.shape[1]))
    gnn_model = GNNNodeClassifier(graph_info=graph_info, num_classes=num_classes,
                                  hidden_units=hidden_units, dropout_rate=0.5, name="gnn_model")
    assert gnn_model(np.array([1, 10, 100])).shape == (3, 7)
    assert _counts(gnn_model) == (17031, 16119, 912)                    # Keras 3.15
    new_features = np.concatenate([gnn_model.node_features, np.ones((7, 40), "float32")])
    new_edges = np.concatenate([edges, [[120 + i for i in range(7)], list(range(7))]], axis=1)
    gnn_model.node_features, gnn_model.edges = new_features, new_edges
    gnn_model.edge_weights = tf.ones(shape=new_edges.shape[1])
    new_ids = tf.convert_to_tensor([120 + i for i in range(7)])
    got = gnn_model.predict(new_ids, verbose=0)
    np.testing.assert_allclose(got, gnn_model(new_ids, training=False).numpy(), rtol=1e-5,
                               atol=1e-5)


# ---- "Text classification with Switch Transformer" -------------------------------------------
class TokenAndPositionEmbedding(layers.Layer):
    def __init__(self, maxlen, vocab_size, embed_dim):
        super(TokenAndPositionEmbedding, self).__init__()
        self.token_emb = layers.Embedding(input_dim=vocab_size, output_dim=embed_dim)
        self.pos_emb = layers.Embedding(input_dim=maxlen, output_dim=embed_dim)

    def call(self, x):
        maxlen = tf.shape(x)[-1]
        positions = tf.range(start=0, limit=maxlen, delta=1)
        positions = self.pos_emb(positions)
        x = self.token_emb(x)
        return x + positions


def load_balanced_loss(router_probs, expert_mask):
    num_experts = tf.shape(expert_mask)[-1]
    density = tf.reduce_mean(expert_mask, axis=0)
    density_proxy = tf.reduce_mean(router_probs, axis=0)
    loss = tf.reduce_mean(density_proxy * density) * tf.cast((num_experts**2), tf.dtypes.float32)
    return loss


class Router(layers.Layer):
    def __init__(self, num_experts, expert_capacity):
        self.num_experts = num_experts            # (set before Layer.__init__, as written)
        self.route = layers.Dense(units=num_experts)
        self.expert_capacity = expert_capacity
        super(Router, self).__init__()

    def call(self, inputs, training=False):
        router_logits = self.route(inputs)
        if training:
            router_logits += tf.random.uniform(shape=router_logits.shape, minval=0.9, maxval=1.1)
        router_probs = keras.activations.softmax(router_logits, axis=-1)
        expert_gate, expert_index = tf.math.top_k(router_probs, k=1)
        expert_mask = tf.one_hot(expert_index, depth=self.num_experts)
        aux_loss = load_balanced_loss(router_probs, expert_mask)
        self.add_loss(aux_loss)
        position_in_expert = tf.cast(
            tf.math.cumsum(expert_mask, axis=0) * expert_mask, tf.dtypes.int32)
        expert_mask *= tf.cast(tf.math.less(
            tf.cast(position_in_expert, tf.dtypes.int32), self.expert_capacity),
            tf.dtypes.float32)
        expert_mask_flat = tf.reduce_sum(expert_mask, axis=-1)
        expert_gate *= expert_mask_flat
        combined_tensor = tf.expand_dims(
            expert_gate * expert_mask_flat
            * tf.squeeze(tf.one_hot(expert_index, depth=self.num_experts), 1),
            -1) * tf.squeeze(tf.one_hot(position_in_expert, depth=self.expert_capacity), 1)
        dispatch_tensor = tf.cast(combined_tensor, tf.dtypes.float32)
        return dispatch_tensor, combined_tensor


SWITCH_TOKENS, SWITCH_BATCH = 6, 4
num_tokens_per_batch = SWITCH_TOKENS * SWITCH_BATCH


class Switch(layers.Layer):
    def __init__(self, num_experts, embed_dim, num_tokens_per_batch, capacity_factor=1):
        self.num_experts = num_experts
        self.embed_dim = embed_dim
        self.experts = [keras.Sequential([layers.Dense(embed_dim, activation="relu"),
                                          layers.Dense(embed_dim)])
                        for _ in range(num_experts)]
        self.expert_capacity = num_tokens_per_batch // self.num_experts
        self.router = Router(self.num_experts, self.expert_capacity)
        super(Switch, self).__init__()

    def call(self, inputs):
        batch_size = tf.shape(inputs)[0]
        num_tokens_per_example = tf.shape(inputs)[1]
        inputs = tf.reshape(inputs, [num_tokens_per_batch, self.embed_dim])
        dispatch_tensor, combine_tensor = self.router(inputs)
        expert_inputs = tf.einsum("ab,acd->cdb", inputs, dispatch_tensor)
        expert_inputs = tf.reshape(
            expert_inputs, [self.num_experts, self.expert_capacity, self.embed_dim])
        expert_input_list = tf.unstack(expert_inputs, axis=0)
        expert_output_list = [self.experts[idx](expert_input)
                              for idx, expert_input in enumerate(expert_input_list)]
        expert_outputs = tf.stack(expert_output_list, axis=1)
        expert_outputs_combined = tf.einsum("abc,xba->xc", expert_outputs, combine_tensor)
        outputs = tf.reshape(expert_outputs_combined,
                             [batch_size, num_tokens_per_example, self.embed_dim])
        return outputs


def test_switch_transformer_fits_with_a_fixed_token_count_and_its_router_loss():
    """keras.io "Text classification with Switch Transformer" (smaller sizes; `training=False`
    default on the block's call as Keras 3 requires): the Switch layer reshapes to a fixed
    number of tokens per batch, so the model runs on whole batches only - fit builds it on
    its first batch (it probed 2 samples: 'cannot reshape 240 values into (24, 8)'). The
    router's add_loss joins the loss in fit and evaluate (none is left from building the model:
    the probe's was), and the experts' weights count."""
    vocab_size, embed_dim, num_experts = 30, 8, 2
    switch = Switch(num_experts, embed_dim, num_tokens_per_batch)
    att = layers.MultiHeadAttention(num_heads=2, key_dim=embed_dim)
    inputs = layers.Input(shape=(SWITCH_TOKENS,))
    x = TokenAndPositionEmbedding(SWITCH_TOKENS, vocab_size, embed_dim)(inputs)
    x = layers.LayerNormalization(epsilon=1e-6)(x + att(x, x))
    x = layers.LayerNormalization(epsilon=1e-6)(x + switch(x))
    x = layers.GlobalAveragePooling1D()(x)
    outputs = layers.Dense(2, activation="softmax")(x)
    classifier = keras.Model(inputs=inputs, outputs=outputs)
    assert classifier.losses == []   # Keras 3.15: no losses kept from the symbolic calls
    assert len(switch.trainable_weights) == 2 + 4 * num_experts    # router + experts
    rs = np.random.RandomState(0)
    x_train = keras.preprocessing.sequence.pad_sequences(
        [list(rs.randint(1, vocab_size, rs.randint(2, 9))) for _ in range(8)],
        maxlen=SWITCH_TOKENS)
    y_train = rs.randint(0, 2, 8)
    classifier.compile(optimizer=keras.optimizers.Adam(0.001),
                       loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    h = classifier.fit(x_train, y_train, batch_size=SWITCH_BATCH, epochs=1, verbose=0)
    assert sorted(h.history) == ["accuracy", "loss"] and np.isfinite(h.history["loss"][0])
    xb, yb = x_train[:SWITCH_BATCH], y_train[:SWITCH_BATCH]
    loss, _ = classifier.evaluate(xb, yb, batch_size=SWITCH_BATCH, verbose=0)
    probs = classifier(xb, training=False)
    [aux] = classifier.losses
    ce = -np.mean(np.log(probs.numpy()[np.arange(SWITCH_BATCH), yb]))
    np.testing.assert_allclose(loss, ce + float(aux), rtol=1e-5)
    assert float(aux) >= 1.0 - 1e-6     # E * sum(density * proxy) / E: 1 when balanced


# ---- "Image classification with modern MLP models" (FNet block) --------------------------------
class FNetLayer(layers.Layer):
    def __init__(self, num_patches, embedding_dim, dropout_rate, *args, **kwargs):
        super(FNetLayer, self).__init__(*args, **kwargs)
        self.ffn = keras.Sequential([layers.Dense(units=embedding_dim),
                                     layers.Activation("gelu"),     # (was tfa.layers.GELU)
                                     layers.Dropout(rate=dropout_rate),
                                     layers.Dense(units=embedding_dim)])
        self.normalize1 = layers.LayerNormalization(epsilon=1e-6)
        self.normalize2 = layers.LayerNormalization(epsilon=1e-6)

    def call(self, inputs):
        x = tf.cast(tf.signal.fft2d(tf.cast(inputs, dtype=tf.dtypes.complex64)),
                    dtype=tf.dtypes.float32)
        x = x + inputs
        x = self.normalize1(x)
        x_ffn = self.ffn(x)
        x = x + x_ffn
        return self.normalize2(x)


def test_fnet_block_keeps_the_real_part_of_its_fourier_transform_silently():
    """The MLP-models example's FNet block casts fft2d's complex result to float32: TF keeps
    the real part without a warning (numpy's astype warned ComplexWarning on every call)."""
    import warnings
    x = np.random.RandomState(0).normal(size=(2, 4, 8)).astype("float32")
    layer = FNetLayer(4, 8, 0.2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = layer(x).numpy()
    f = np.fft.fft2(x).real + x
    f = (f - f.mean(-1, keepdims=True)) / np.sqrt(f.var(-1, keepdims=True) + 1e-6)
    h = layer.ffn(f).numpy() + f
    want = (h - h.mean(-1, keepdims=True)) / np.sqrt(h.var(-1, keepdims=True) + 1e-6)
    np.testing.assert_allclose(out, want, rtol=1e-4, atol=1e-4)


def test_addition_rnn_trains_on_boolean_one_hot_arrays():
    """keras.io "Sequence to sequence learning for performing number addition" (a smaller
    LSTM): its questions and answers are boolean one-hot arrays. A float32 Input receives the
    booleans as 0/1 floats (Keras 3 converts data to the Input's dtype), so the model and the
    categorical cross-entropy give what float data gives."""
    rs = np.random.RandomState(0)
    x = np.eye(12, dtype=bool)[rs.randint(0, 12, (16, 7))]
    y = np.eye(12, dtype=bool)[rs.randint(0, 12, (16, 4))]
    model = keras.Sequential()
    model.add(layers.Input((7, 12)))
    model.add(layers.Lambda(lambda t: t * 2.0 - 1.0))        # needs numbers, not booleans
    model.add(layers.LSTM(8))
    model.add(layers.RepeatVector(4))
    model.add(layers.LSTM(8, return_sequences=True))
    model.add(layers.Dense(12, activation="softmax"))
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    np.testing.assert_array_equal(model.predict(x, verbose=0),
                                  model.predict(x.astype("float32"), verbose=0))
    before = model.evaluate(x.astype("float32"), y.astype("float32"), verbose=0)
    assert model.evaluate(x, y, verbose=0) == pytest.approx(before, rel=1e-6)
    h = model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert np.isfinite(h.history["loss"][0])


def test_mixup_example_imports_tf_submodules_and_mixes_a_zipped_dataset():
    """keras.io "MixUp augmentation for image classification" (Keras 3 edition) imports
    `from tensorflow.random import gamma as tf_random_gamma` and `from tensorflow import data
    as tf_data`: graphflow's namespaces are importable modules as TF's are (was
    ModuleNotFoundError: No module named 'graphflow.random'); so are `graphflow.compat.v1`,
    `graphflow.keras.optimizers.schedules` and `graphflow.data.experimental`.
    The mapped, zipped dataset mixes images and one-hot labels with the same weights."""
    import importlib
    from graphflow import data as tf_data
    from graphflow.random import gamma as tf_random_gamma
    assert importlib.import_module("graphflow.compat.v1") is tf.compat.v1
    assert importlib.import_module("graphflow.math").reduce_sum is tf.math.reduce_sum
    # Keras' API modules too, and those of packages imported later (graphflow.data)
    from graphflow.keras.optimizers.schedules import ExponentialDecay
    from graphflow.keras.preprocessing.sequence import pad_sequences
    from graphflow.data.experimental import AUTOTUNE
    assert ExponentialDecay is keras.optimizers.schedules.ExponentialDecay
    assert pad_sequences is keras.preprocessing.sequence.pad_sequences
    assert AUTOTUNE == tf.data.AUTOTUNE
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("graphflow.keras.no_such_module")

    def sample_beta_distribution(size, concentration_0=0.2, concentration_1=0.2):
        gamma_1_sample = tf_random_gamma(shape=[size], alpha=concentration_1)
        gamma_2_sample = tf_random_gamma(shape=[size], alpha=concentration_0)
        return gamma_1_sample / (gamma_1_sample + gamma_2_sample)

    def mix_up(ds_one, ds_two, alpha=0.2):
        images_one, labels_one = ds_one
        images_two, labels_two = ds_two
        batch_size = keras.ops.shape(images_one)[0]
        l = sample_beta_distribution(batch_size, alpha, alpha)
        x_l = keras.ops.reshape(l, (batch_size, 1, 1, 1))
        y_l = keras.ops.reshape(l, (batch_size, 1))
        images = images_one * x_l + images_two * (1 - x_l)
        labels = labels_one * y_l + labels_two * (1 - y_l)
        return (images, labels)

    rs = np.random.RandomState(0)
    x = rs.rand(12, 4, 4, 1).astype("float32")
    y = keras.ops.one_hot(rs.randint(0, 3, 12), 3)
    one = tf_data.Dataset.from_tensor_slices((x, y)).shuffle(100).batch(4)
    two = tf_data.Dataset.from_tensor_slices((x, y)).shuffle(100).batch(4)
    train_ds_mu = tf_data.Dataset.zip((one, two)).map(
        lambda ds_one, ds_two: mix_up(ds_one, ds_two, alpha=0.2),
        num_parallel_calls=tf_data.AUTOTUNE)
    batches = list(train_ds_mu)
    assert len(batches) == 3
    for images, labels in batches:
        assert images.shape == (4, 4, 4, 1) and labels.shape == (4, 3)
        np.testing.assert_allclose(labels.numpy().sum(axis=1), 1.0, rtol=1e-5)
        assert images.numpy().min() >= 0 and images.numpy().max() <= 1


def test_fit_evaluate_predict_take_python_generators_as_keras():
    """Keras 3 takes a Python generator of (x, y) batches in fit/evaluate/predict (its
    GeneratorDataAdapter; graphflow raised 'training data must have a batch dimension'): the
    first two batches are read ahead and every pass yields them, then what is left - so a
    finite generator gives later epochs those two batches only (Keras 3.15 ran the same
    three epochs and the same evaluate values as on the arrays)."""
    rs = np.random.RandomState(0)
    x = rs.normal(size=(40, 5)).astype("float32")
    yi = (x[:, 0] > 0).astype("int64")
    m = keras.Sequential([keras.Input((5,)), keras.layers.Dense(2, activation="softmax")])
    m.set_weights([np.array([[-0.3, 0.5], [0.2, -0.1], [0.7, 0.4], [-0.6, 0.1], [0.3, 0.9]],
                            "float32"), np.zeros(2, "float32")])
    m.compile(optimizer=keras.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy",
              metrics=["accuracy"])

    def gen():
        for i in range(0, 40, 10):
            yield x[i:i + 10], yi[i:i + 10]
    want = m.evaluate(x, yi, batch_size=10, verbose=0)
    np.testing.assert_allclose(m.evaluate(gen(), verbose=0), want, rtol=1e-6)
    h = m.fit(gen(), epochs=3, verbose=0)
    assert h.epoch == [0, 1, 2] and len(h.history["loss"]) == 3
    pred = m.predict(((x[i:i + 10],) for i in range(0, 40, 10)), verbose=0)
    np.testing.assert_allclose(pred, m.predict(x, verbose=0), rtol=1e-6)

    def forever():
        while True:
            yield from gen()
    h = m.fit(forever(), epochs=2, steps_per_epoch=3, verbose=0)
    assert h.epoch == [0, 1]


def test_lookup_layers_adapt_to_and_encode_ragged_label_lists():
    """keras.io "Large-scale multi-label text classification": StringLookup(output_mode=
    "multi_hot") adapts to a RaggedTensor of each paper's subject terms and encodes one bag per
    row (adapt failed: "'bytes' object cannot be interpreted as an integer"; the call could not
    convert a RaggedTensor). Values as Keras 3.15 printed them; IntegerLookup's learned
    vocabulary is np.int64 as in Keras."""
    terms = [["cs.LG"], ["cs.LG", "stat.ML"], ["cs.CV", "cs.LG"], ["stat.ML"], ["cs.CV"],
             ["cs.LG", "cs.AI"]]
    lookup = layers.StringLookup(output_mode="multi_hot")
    lookup.adapt(tf.ragged.constant(terms))
    assert lookup.get_vocabulary() == ["[UNK]", "cs.LG", "stat.ML", "cs.CV", "cs.AI"]
    assert lookup([["cs.LG", "stat.ML"]]).numpy().tolist() == [[0, 1, 1, 0, 0]]
    assert lookup(tf.ragged.constant(terms)).numpy().tolist()[:3] == [
        [0, 1, 0, 0, 0], [0, 1, 1, 0, 0], [0, 1, 0, 1, 0]]
    r = tf.ragged.constant([["a"], ["a", "b", "a"], [], ["c", "zz"]])
    count = layers.StringLookup(output_mode="count")
    count.adapt(tf.ragged.constant([["a", "b"], ["a"], ["c", "a", "b"]]))
    out = count(r)
    assert out.dtype == tf.int64
    assert out.numpy().tolist() == [[0, 1, 0, 0], [0, 2, 1, 0], [0, 0, 0, 0], [1, 0, 0, 1]]
    idf = layers.StringLookup(output_mode="tf_idf")
    idf.adapt(tf.ragged.constant([["a", "b"], ["a"], ["c", "a", "b", "b"]]))
    np.testing.assert_allclose(idf(r).numpy(), [[0, 0, 0.55962, 0], [0, 0.69315, 1.11923, 0],
                                                [0, 0, 0, 0], [0.72302, 0, 0, 0.91629]],
                               atol=1e-5)                                  # Keras 3.15
    ints = layers.IntegerLookup(output_mode="multi_hot")
    ints.adapt(tf.ragged.constant([[3, 5], [5], [7, 5]]))
    vocab = ints.get_vocabulary()
    assert vocab == [-1, 5, 7, 3] and type(vocab[1]) is np.int64
    assert ints(tf.ragged.constant([[5, 9], [], [3, 3, 7]])).numpy().tolist() == [
        [1, 1, 0, 0], [0, 0, 0, 0], [0, 0, 1, 1]]


def test_conv_layers_expose_convolution_op_as_keras():
    """keras.io "Customizing the convolution operation of a Conv2D layer": subclasses override
    `convolution_op(inputs, kernel)` or call it from `call` (graphflow's Conv layers had no
    such method: AttributeError). Conv2D's call goes through the override (bias and
    activation after it); Conv1D (channels_first too) and Conv3D have it as well."""
    class StandardizedConv2DWithOverride(layers.Conv2D):
        def convolution_op(self, inputs, kernel):
            mean, var = tf.nn.moments(kernel, axes=[0, 1, 2], keepdims=True)
            return tf.nn.conv2d(inputs, (kernel - mean) / tf.sqrt(var + 1e-10),
                                padding="VALID", strides=list(self.strides),
                                name=self.__class__.__name__)

    class StandardizedConv2DWithCall(layers.Conv2D):
        def call(self, inputs):
            mean, var = tf.nn.moments(self.kernel, axes=[0, 1, 2], keepdims=True)
            result = self.convolution_op(inputs, (self.kernel - mean) / tf.sqrt(var + 1e-10))
            if self.use_bias:
                result = result + self.bias
            return result

    x = np.random.RandomState(0).rand(2, 6, 6, 2).astype("float32")
    a = StandardizedConv2DWithOverride(3, 3, activation="relu", bias_initializer="ones")
    b = StandardizedConv2DWithCall(3, 3)
    ya, yb = a(x).numpy(), b(x).numpy()
    for layer, y, relu in ((a, ya, True), (b, yb, False)):
        k = layer.kernel.numpy()
        ks = (k - k.mean((0, 1, 2))) / np.sqrt(k.var((0, 1, 2)) + 1e-10)
        want = tf.nn.conv2d(x, ks, 1, "VALID").numpy() + layer.bias.numpy()
        np.testing.assert_allclose(y, np.maximum(want, 0) if relu else want,
                                   rtol=1e-4, atol=1e-5)
    c1 = layers.Conv1D(2, 3, data_format="channels_first")
    xc = np.random.RandomState(1).rand(2, 4, 7).astype("float32")       # (batch, channels, steps)
    c1(xc)
    twice = c1.convolution_op(xc, c1.kernel * 2.0).numpy()
    np.testing.assert_allclose(twice, 2 * (c1(xc).numpy() - c1.bias.numpy()[:, None]),
                               rtol=1e-5, atol=1e-6)

    class Halved3D(layers.Conv3D):
        def convolution_op(self, inputs, kernel):
            return super().convolution_op(inputs, kernel * 0.5)
    x3 = np.random.RandomState(2).rand(1, 4, 4, 4, 1).astype("float32")
    h, plain = Halved3D(2, 2, use_bias=False), layers.Conv3D(2, 2, use_bias=False)
    plain.build(x3.shape)
    h.build(x3.shape)
    h.set_weights(plain.get_weights())
    np.testing.assert_allclose(h(x3).numpy(), 0.5 * plain(x3).numpy(), rtol=1e-5, atol=1e-6)
