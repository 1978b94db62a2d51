"""Cells of the Keras guide "The Sequential model" (keras-io guides/sequential_model.py), run
unchanged with `import graphflow as tf; from graphflow import keras`. Expected values are what
Keras 3.15 gives for the same cell (noted per test)."""
import numpy as np
import pytest

import graphflow as tf
from graphflow import keras
from graphflow.keras import layers
from conftest import summary_text


pytestmark = pytest.mark.usefixtures("keras_seeded")   # conftest: the same values every run


def test_sequential_equals_chained_layers():
    model = keras.Sequential(
        [
            layers.Dense(2, activation="relu", name="layer1"),
            layers.Dense(3, activation="relu", name="layer2"),
            layers.Dense(4, name="layer3"),
        ]
    )
    x = tf.ones((3, 3))
    y = model(x)
    layer1 = layers.Dense(2, activation="relu", name="layer1")
    layer2 = layers.Dense(3, activation="relu", name="layer2")
    layer3 = layers.Dense(4, name="layer3")
    x = tf.ones((3, 3))
    y2 = layer3(layer2(layer1(x)))
    assert y.shape == (3, 4) and y2.shape == (3, 4)
    # same computation: copy the weights over and compare
    for src, dst in zip(model.layers, [layer1, layer2, layer3]):
        dst.set_weights(src.get_weights())
    np.testing.assert_allclose(layer3(layer2(layer1(x))).numpy(), y.numpy(), rtol=1e-6)
    k1, b1, k2, b2, k3, b3 = model.get_weights()
    h = np.maximum(np.maximum(np.ones((3, 3)) @ k1 + b1, 0) @ k2 + b2, 0) @ k3 + b3
    np.testing.assert_allclose(y.numpy(), h, rtol=1e-5, atol=1e-6)


def test_layers_add_pop_and_name():
    model = keras.Sequential([layers.Dense(2, activation="relu"), layers.Dense(3, activation="relu"),
                              layers.Dense(4)])
    assert len(model.layers) == 3 and all(isinstance(l, layers.Dense) for l in model.layers)
    model = keras.Sequential()
    model.add(layers.Dense(2, activation="relu"))
    model.add(layers.Dense(3, activation="relu"))
    model.add(layers.Dense(4))
    model.pop()
    assert len(model.layers) == 2  # the guide prints 2
    model = keras.Sequential(name="my_sequential")
    model.add(layers.Dense(2, activation="relu", name="layer1"))
    model.add(layers.Dense(3, activation="relu", name="layer2"))
    model.add(layers.Dense(4, name="layer3"))
    assert model.name == "my_sequential"
    assert [l.name for l in model.layers] == ["layer1", "layer2", "layer3"]


def test_weights_created_on_first_call():
    layer = layers.Dense(3)
    assert layer.weights == []  # Empty
    x = tf.ones((1, 4))
    y = layer(x)
    assert [tuple(w.shape) for w in layer.weights] == [(4, 3), (3,)]
    # Keras 3: weight names are 'kernel', 'bias'
    assert [w.name for w in layer.weights] == ["kernel", "bias"]

    model = keras.Sequential([layers.Dense(2, activation="relu"), layers.Dense(3, activation="relu"),
                              layers.Dense(4)])
    x = tf.ones((1, 4))
    y = model(x)
    assert len(model.weights) == 6  # the guide prints 6
    text = summary_text(model)
    # Keras 3.15: Total params: 35 (10 + 9 + 16)
    assert "Total params: 35" in text
    assert model.count_params() == 35


def test_input_object_and_input_shape():
    model = keras.Sequential()
    model.add(keras.Input(shape=(4,)))
    model.add(layers.Dense(2, activation="relu"))
    text = summary_text(model)
    assert "Total params: 10" in text
    # the Input object is not part of model.layers (Keras 3.15: [<Dense name=dense_3, built=True>])
    assert len(model.layers) == 1 and isinstance(model.layers[0], layers.Dense)
    assert model.layers[0].built

    model = keras.Sequential()
    model.add(layers.Dense(2, activation="relu", input_shape=(4,)))
    assert model.count_params() == 10 and model.built
    assert "Total params: 10" in summary_text(model)


def test_add_summary_debugging_workflow():
    model = keras.Sequential()
    model.add(keras.Input(shape=(250, 250, 3)))  # 250x250 RGB images
    model.add(layers.Conv2D(32, 5, strides=2, activation="relu"))
    model.add(layers.Conv2D(32, 3, activation="relu"))
    model.add(layers.MaxPooling2D(3))
    text = summary_text(model)
    # Keras 3.15: output (None, 40, 40, 32), 11680 params
    assert "(None, 40, 40, 32)" in text and "Total params: 11,680" in text
    assert model.output_shape == (None, 40, 40, 32)
    model.add(layers.Conv2D(32, 3, activation="relu"))
    model.add(layers.Conv2D(32, 3, activation="relu"))
    model.add(layers.MaxPooling2D(3))
    model.add(layers.Conv2D(32, 3, activation="relu"))
    model.add(layers.Conv2D(32, 3, activation="relu"))
    model.add(layers.MaxPooling2D(2))
    assert model.output_shape == (None, 4, 4, 32) and model.count_params() == 48672
    model.add(layers.GlobalMaxPooling2D())
    model.add(layers.Dense(10))
    assert model.output_shape == (None, 10) and model.count_params() == 49002


def test_feature_extraction():
    initial_model = keras.Sequential(
        [
            keras.Input(shape=(250, 250, 3)),
            layers.Conv2D(32, 5, strides=2, activation="relu"),
            layers.Conv2D(32, 3, activation="relu"),
            layers.Conv2D(32, 3, activation="relu"),
        ]
    )
    feature_extractor = keras.Model(
        inputs=initial_model.inputs,
        outputs=[layer.output for layer in initial_model.layers],
    )
    x = tf.ones((1, 250, 250, 3))
    features = feature_extractor(x)
    # Keras 3.15: [(1, 123, 123, 32), (1, 121, 121, 32), (1, 119, 119, 32)]
    assert [tuple(f.shape) for f in features] == [(1, 123, 123, 32), (1, 121, 121, 32),
                                                 (1, 119, 119, 32)]
    np.testing.assert_allclose(features[-1].numpy(), initial_model(x).numpy(), rtol=1e-5,
                               atol=1e-6)

    initial_model = keras.Sequential(
        [
            keras.Input(shape=(250, 250, 3)),
            layers.Conv2D(32, 5, strides=2, activation="relu"),
            layers.Conv2D(32, 3, activation="relu", name="my_intermediate_layer"),
            layers.Conv2D(32, 3, activation="relu"),
        ]
    )
    feature_extractor = keras.Model(
        inputs=initial_model.inputs,
        outputs=initial_model.get_layer(name="my_intermediate_layer").output,
    )
    x = tf.ones((1, 250, 250, 3))
    features = feature_extractor(x)
    assert tuple(features.shape) == (1, 121, 121, 32)
    assert len(feature_extractor.weights) == 4


def test_transfer_learning_freeze_all_but_last():
    model = keras.Sequential([
        keras.Input(shape=(784,)),
        layers.Dense(32, activation='relu'),
        layers.Dense(32, activation='relu'),
        layers.Dense(32, activation='relu'),
        layers.Dense(10),
    ])
    before = model.get_weights()
    for layer in model.layers[:-1]:
        layer.trainable = False
    assert len(model.trainable_weights) == 2 and len(model.non_trainable_weights) == 6
    # Keras 3: get_weights() order is unchanged by freezing
    assert all(a.shape == b.shape for a, b in zip(before, model.get_weights()))
    model.compile(optimizer="sgd", loss="mse")
    r = np.random.default_rng(0)
    model.fit(r.random((16, 784)).astype("float32"), r.random((16, 10)).astype("float32"),
              epochs=1, batch_size=8, verbose=0)
    after = model.get_weights()
    for a, b in zip(before[:6], after[:6]):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(before[6], after[6])


def test_stack_frozen_base_model():
    base_model = keras.Sequential([keras.Input(shape=(8,)), layers.Dense(4, activation="relu")])
    base_model.trainable = False
    model = keras.Sequential([
        base_model,
        layers.Dense(3),
    ])
    assert len(model.trainable_weights) == 2 and len(model.non_trainable_weights) == 2
    assert model(np.ones((2, 8), "float32")).shape == (2, 3)
