"""Keras 3.15 names and configs: optimizer auto-names (snake-cased class name, uniquified per
process: 'sgd', 'sgd_1', 'rm_sprop', 'adam_w') and their variables' names, LSTM/GRU cell names
inside Bidirectional, `quantization_config: None` in Dense / EinsumDense / Embedding configs.
Expected values: what Keras 3.15.1 (TF 2.21 backend) printed for the same code."""
import numpy as np
import pytest

from graphflow import keras

# Keras 3.15.1, fresh process: [class, .name, get_config()["name"]]
KERAS_OPT_NAMES = [["SGD", "sgd", "sgd"], ["SGD", "sgd_1", "sgd_1"], ["RMSprop", "rm_sprop", "rm_sprop"], ["AdamW", "adam_w", "adam_w"], ["Adam", "adam", "adam"], ["Adam", "adam_1", "adam_1"], ["Adagrad", "adagrad", "adagrad"], ["Adadelta", "adadelta", "adadelta"], ["Adamax", "adamax", "adamax"], ["Nadam", "nadam", "nadam"], ["Ftrl", "ftrl", "ftrl"], ["Lion", "lion", "lion"], ["Lamb", "lamb", "lamb"], ["Muon", "muon", "muon"], ["LossScaleOptimizer", "loss_scale_optimizer", "loss_scale_optimizer"]]
KERAS_RMSPROP_VARS = ["rm_sprop_1/iteration", "rm_sprop_1/learning_rate", "rm_sprop_1/sequential_dense_kernel_velocity", "rm_sprop_1/sequential_dense_bias_velocity"]   # model.compile("rmsprop") after the above
KERAS_ADAMW_VARS = ["adam_w_1/iteration", "adam_w_1/learning_rate", "adam_w_1/sequential_1_dense_1_kernel_momentum", "adam_w_1/sequential_1_dense_1_kernel_velocity", "adam_w_1/sequential_1_dense_1_bias_momentum", "adam_w_1/sequential_1_dense_1_bias_velocity"]
KERAS_CONFIGS = {"dense": {"name": "dense", "trainable": True, "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": None}, "units": 3, "activation": "linear", "use_bias": True, "kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform", "config": {"seed": None, "input_axes": None, "output_axes": None}, "registered_name": None}, "bias_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": {}, "registered_name": None}, "kernel_regularizer": None, "bias_regularizer": None, "kernel_constraint": None, "bias_constraint": None, "quantization_config": None}, "einsum": {"name": "einsum_dense", "trainable": True, "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": None}, "output_shape": [3], "equation": "ab,bc->ac", "activation": "linear", "bias_axes": None, "kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform", "config": {"seed": None, "input_axes": None, "output_axes": None}, "registered_name": None}, "bias_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": {}, "registered_name": None}, "kernel_regularizer": None, "bias_regularizer": None, "activity_regularizer": None, "kernel_constraint": None, "bias_constraint": None, "quantization_config": None}, "embedding": {"name": "embedding", "trainable": True, "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": None}, "input_dim": 5, "output_dim": 2, "embeddings_initializer": {"module": "keras.initializers", "class_name": "RandomUniform", "config": {"seed": None, "minval": -0.05, "maxval": 0.05}, "registered_name": None}, "embeddings_regularizer": {"module": "keras.regularizers", "class_name": "L2", "config": {"l2": 0.01}, "registered_name": None}, "activity_regularizer": None, "embeddings_constraint": None, "mask_zero": True, "quantization_config": None}}


def test_optimizer_auto_names_match_keras():
    keras.backend.clear_session()   # Keras: resets the per-process name counters
    got = []
    for cls_name, _, _ in KERAS_OPT_NAMES:
        cls = getattr(keras.optimizers, cls_name)
        o = cls(keras.optimizers.SGD(name="inner")) if cls_name == "LossScaleOptimizer" else cls()
        got.append([cls_name, o.name, o.get_config()["name"]])
    assert got == KERAS_OPT_NAMES
    assert keras.optimizers.Adam(name="custom").name == "custom"   # given names stay as given
    assert keras.optimizers.Adam(name="custom").name == "custom"
    m = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    m.compile(optimizer="rmsprop", loss="mse")
    m.optimizer.build(m.trainable_variables)
    assert [v.name.split(":")[0] for v in m.optimizer.variables] == KERAS_RMSPROP_VARS
    m2 = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    m2.compile(optimizer=keras.optimizers.AdamW(), loss="mse")
    m2.optimizer.build(m2.trainable_variables)
    assert [v.name.split(":")[0] for v in m2.optimizer.variables] == KERAS_ADAMW_VARS
    # the serialized optimizer round-trips its name
    back = keras.optimizers.deserialize(keras.optimizers.serialize(m2.optimizer))
    assert back.name == "adam_w_1"


def test_bidirectional_cells_named_as_keras():
    keras.backend.clear_session()
    b = keras.layers.Bidirectional(keras.layers.LSTM(4, return_sequences=True))
    b(np.zeros((1, 3, 2), "float32"))
    # Keras 3.15: forward_lstm backward_lstm lstm_cell lstm_cell, and these weight paths
    assert (b.forward_layer.name, b.backward_layer.name, b.forward_layer.cell.name,
            b.backward_layer.cell.name) == ("forward_lstm", "backward_lstm", "lstm_cell",
                                            "lstm_cell")
    assert [w.path for w in b.weights] == [
        f"bidirectional/{d}_lstm/lstm_cell/{k}" for d in ("forward", "backward")
        for k in ("kernel", "recurrent_kernel", "bias")]
    assert keras.layers.GRU(2).cell.name == "gru_cell"
    assert keras.layers.SimpleRNN(2).cell.name == "simple_rnn_cell"


def test_dense_einsum_embedding_configs_match_keras():
    keras.backend.clear_session()
    d = keras.layers.Dense(3)
    d.build((None, 2))
    e = keras.layers.EinsumDense("ab,bc->ac", output_shape=3)
    e.build((None, 2))
    m = keras.layers.Embedding(5, 2, mask_zero=True, embeddings_regularizer="l2")
    for key, layer in [("dense", d), ("einsum", e), ("embedding", m)]:
        cfg = layer.get_config()
        assert cfg == KERAS_CONFIGS[key] and list(cfg) == list(KERAS_CONFIGS[key])
        back = type(layer).from_config(cfg)
        assert back.get_config() == cfg
    with pytest.raises(NotImplementedError, match="Dense 'q': quantization_config"):
        keras.layers.Dense(2, name="q", quantization_config={"mode": "int8"})
