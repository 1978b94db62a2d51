"""Keras masking as in the "Understanding masking & padding" guide: a layer's output carries
its mask (`_keras_mask`), the next layer receives it as `mask=`, layers that support masking
pass it on (or compute a new one), in eager calls, Sequential and functional models (where
KerasTensors carry symbolic masks)."""
import numpy as np
import pytest

import graphflow as tf
from graphflow import keras
from graphflow.keras import layers, ops

RAW = [[711, 632, 71], [73, 8, 3215, 55, 927], [83, 91, 1, 645, 1253, 927]]
PADDED = keras.utils.pad_sequences(RAW, padding="post")
KEEP = PADDED != 0


class TemporalSoftmax(layers.Layer):   # the guide's layer: needs the mask
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        assert mask is not None
        m = ops.expand_dims(ops.cast(mask, "float32"), -1)
        e = ops.exp(inputs) * m
        return e / ops.sum(e, axis=1, keepdims=True)


class TemporalSplit(layers.Layer):
    def call(self, inputs):
        return ops.split(inputs, 2, axis=1)

    def compute_mask(self, inputs, mask=None):
        return None if mask is None else ops.split(mask, 2, axis=1)


def test_embedding_and_masking_layers_attach_their_mask():
    out = layers.Embedding(input_dim=5000, output_dim=4, mask_zero=True)(PADDED)
    np.testing.assert_array_equal(out._keras_mask.numpy(), KEEP)
    x = ops.cast(ops.tile(ops.expand_dims(PADDED, -1), [1, 1, 3]), "float32")
    np.testing.assert_array_equal(layers.Masking()(x)._keras_mask.numpy(), KEEP)
    first, second = TemporalSplit()(layers.Masking()(x))
    np.testing.assert_array_equal(first._keras_mask.numpy(), KEEP[:, :3])
    np.testing.assert_array_equal(second._keras_mask.numpy(), KEEP[:, 3:])


def test_mask_flows_through_dense_into_a_layer_that_takes_it_eager_and_functional():
    emb = layers.Embedding(input_dim=5000, output_dim=4, mask_zero=True)
    dense = layers.Dense(1)
    soft = TemporalSoftmax()
    eager = soft(dense(emb(PADDED))).numpy()[..., 0]
    inputs = keras.Input(shape=(None,), dtype="int32")
    h = dense(emb(inputs))
    assert h._keras_mask is not None and h._keras_mask.dtype == tf.bool
    model = keras.Model(inputs, soft(h))
    got = model(PADDED).numpy()[..., 0]
    np.testing.assert_allclose(got, eager, rtol=1e-6)
    logits = dense(emb(PADDED)).numpy()[..., 0]
    want = np.where(KEEP, np.exp(logits), 0)
    np.testing.assert_allclose(got, want / want.sum(1, keepdims=True), rtol=1e-5)


def test_softmax_layer_masks_positions():
    x = tf.constant([[1., 2., 3.], [1., 1., 1.]])
    mask = tf.constant([[True, True, False], [True, False, False]])
    out = layers.Softmax()(x, mask=mask).numpy()
    e = np.exp([1., 2.])
    np.testing.assert_allclose(out[0], [*(e / e.sum()), 0.], rtol=1e-6)
    np.testing.assert_allclose(out[1], [1., 0., 0.], rtol=1e-6)


def test_merge_layers_combine_masks_as_keras():
    a = layers.Masking()(tf.constant([[[1.], [0.], [2.]]]))
    b = layers.Masking()(tf.constant([[[0.], [0.], [3.]]]))
    np.testing.assert_array_equal(layers.Add()([a, b])._keras_mask.numpy(), [[True, False, True]])
    c = tf.constant([[[5.], [5.], [5.]]])   # no mask: all kept
    out = layers.Concatenate(axis=1)([a, c])
    np.testing.assert_array_equal(out._keras_mask.numpy(), [[True, False, True] + [True] * 3])


def test_lambda_arguments_mask_and_output_shape():
    lam = layers.Lambda(lambda x, k: x * k, arguments={"k": 2.},
                        mask=lambda inputs, mask: ops.not_equal(inputs[..., 0], 0.),
                        output_shape=(3, 1))
    out = lam(tf.constant([[[1.], [0.], [2.]]]))
    np.testing.assert_array_equal(out.numpy()[0, :, 0], [2., 0., 4.])
    np.testing.assert_array_equal(out._keras_mask.numpy(), [[True, False, True]])
    assert tuple(lam.compute_output_shape((None, 3, 1))) == (None, 3, 1)


def test_masked_lstm_ignores_padding_in_sequential_and_functional():
    emb = layers.Embedding(input_dim=5000, output_dim=4, mask_zero=True)
    lstm = layers.LSTM(3)
    seq = keras.Sequential([emb, lstm])
    full = seq(PADDED).numpy()
    alone = lstm(emb(np.array([RAW[0]]))).numpy()   # the first row without its padding
    np.testing.assert_allclose(full[0], alone[0], rtol=1e-5, atol=1e-6)
    inputs = keras.Input(shape=(None,), dtype="int32")
    model = keras.Model(inputs, lstm(emb(inputs)))
    np.testing.assert_allclose(model(PADDED).numpy(), full, rtol=1e-5, atol=1e-6)


def test_unbuilt_model_summary_prints_like_keras_3(capsys):
    model = keras.Sequential([layers.Embedding(1000, 8), layers.LSTM(4), layers.Dense(2)])
    model.summary()
    out = capsys.readouterr().out
    assert out.count("0 (unbuilt)") == 3 and "Total params: 0" in out
    with pytest.raises(ValueError):
        model.count_params()


def test_trainable_false_freezes_nested_models_recursively_as_keras_3():
    inner = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(3), layers.Dense(3)])
    model = keras.Sequential([keras.Input(shape=(3,)), inner, layers.Dense(1)])
    model.trainable = False
    assert not inner.trainable and not inner.layers[0].trainable
    assert model.trainable_weights == []
    model.trainable = True
    inner.layers[0].trainable = False   # fine-tuning: unfreeze all, refreeze some
    assert len(model.trainable_weights) == 4


def test_global_average_pooling_1d_averages_the_kept_steps():
    emb = layers.Embedding(input_dim=5000, output_dim=3, mask_zero=True)
    out = layers.GlobalAveragePooling1D()(emb(PADDED))
    vecs = emb(PADDED).numpy()
    want = np.stack([vecs[i][KEEP[i]].mean(0) for i in range(3)])
    np.testing.assert_allclose(out.numpy(), want, rtol=1e-6)
    assert getattr(out, "_keras_mask", None) is None
