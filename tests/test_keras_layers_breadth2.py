"""Keras 3 layers of the second breadth pass (keras/layers_extra2.py) and weight constraints on
PReLU / GroupNormalization / BatchNormalization / LayerNormalization / SeparableConv1D /
ConvLSTM. Expected numbers marked "Keras" were produced offline with Keras 3.15 (JAX backend)
and hard-coded here."""
import numpy as np
import pytest

import graphflow as tf

L = tf.keras.layers


def test_aliases_are_the_conv_classes():
    assert L.Convolution1D is L.Conv1D and L.Convolution2D is L.Conv2D
    assert L.Convolution3D is L.Conv3D and L.Convolution1DTranspose is L.Conv1DTranspose
    assert L.Convolution2DTranspose is L.Conv2DTranspose
    assert L.Convolution3DTranspose is L.Conv3DTranspose
    assert L.SeparableConvolution1D is L.SeparableConv1D
    assert L.SeparableConvolution2D is L.SeparableConv2D


def test_rms_normalization_matches_keras():
    x = np.arange(24, dtype="float32").reshape(2, 3, 4) / 7 - 1
    layer = L.RMSNormalization()
    y = layer(tf.constant(x)).numpy()
    keras = [[[-1.24722, -1.06904, -0.89087, -0.7127], [-1.60356, -1.06904, -0.53452, 0.0],
              [0.36515, 0.73029, 1.09544, 1.46059]],
             [[0.7581, 0.90972, 1.06134, 1.21296], [0.85232, 0.94703, 1.04173, 1.13643],
              [0.8939, 0.96266, 1.03142, 1.10018]]]   # Keras
    np.testing.assert_allclose(y, keras, atol=2e-5)
    ref = x / np.sqrt((x ** 2).mean(-1, keepdims=True) + 1e-6)
    np.testing.assert_allclose(y, ref, rtol=1e-5)
    assert layer.count_params() == 4 and layer.weights[0].shape == (4,)
    cfg = layer.get_config()
    assert cfg["axis"] == [-1] and cfg["epsilon"] == 1e-6
    assert L.RMSNormalization.from_config(cfg).epsilon == 1e-6
    assert tuple(layer.compute_output_shape((None, 3, 4))) == (None, 3, 4)


X1 = np.array([[[0.0, 1.0], [2.4622886, 4.1711674], [1.0628662, 3.103282],
                [0.27061749, 2.5495281], [4.9285269, 2.3986359], [4.9526196, 2.5844975],
                [0.28922844, 3.0624962]],
               [[0.90056229, 3.8001442], [1.7583389, 4.7725563], [2.8404694, 0.95995712],
                [4.1291161, 2.3461838], [0.60955429, 3.9177475], [2.2693825, 0.66318512],
                [4.0979691, 2.5726242]]], dtype="float32")


def test_adaptive_pooling_1d_matches_keras():
    avg = L.AdaptiveAveragePooling1D(3)(tf.constant(X1)).numpy()
    mx = L.AdaptiveMaxPooling1D(3)(tf.constant(X1)).numpy()
    np.testing.assert_allclose(avg, [[[1.17505, 2.75815], [2.08734, 2.68382], [3.39012, 2.68188]],
                                     [[1.83312, 3.17755], [2.52638, 2.40796],
                                      [2.32564, 2.38452]]], atol=2e-5)   # Keras
    np.testing.assert_allclose(mx, [[[2.46229, 4.17117], [4.92853, 3.10328], [4.95262, 3.0625]],
                                    [[2.84047, 4.77256], [4.12912, 3.91775],
                                     [4.09797, 3.91775]]], atol=2e-5)   # Keras


def test_adaptive_pooling_2d_3d_match_keras_and_numpy():
    x2 = (np.arange(35, dtype="float32").reshape(1, 5, 7, 1) ** 1.5) % 11
    layer = L.AdaptiveAveragePooling2D((2, 3))
    avg = layer(tf.constant(x2)).numpy()
    np.testing.assert_allclose(avg[0, ..., 0], [[4.16156, 6.39895, 4.93676],
                                                [5.65043, 6.4752, 4.26025]], atol=2e-5)  # Keras
    mx = L.AdaptiveMaxPooling2D((2, 3))(tf.constant(x2)).numpy()
    np.testing.assert_allclose(mx[0, ..., 0], [[9.0, 10.36753, 10.36753],
                                               [10.31676, 10.36753, 10.36753]], atol=2e-5)
    m3 = L.AdaptiveMaxPooling3D(2)(tf.constant(x2.reshape(1, 5, 7, 1, 1))).numpy()
    np.testing.assert_allclose(m3.ravel(), [9.62278, 9.62278, 10.36753, 10.36753, 10.31676,
                                            10.31676, 10.36753, 10.36753], atol=2e-5)  # Keras
    cf = L.AdaptiveAveragePooling3D((2, 3, 1), data_format="channels_first")
    a3 = cf(tf.constant(x2.reshape(1, 1, 5, 7, 1))).numpy()
    np.testing.assert_allclose(a3[0, 0, ..., 0], avg[0, ..., 0], rtol=1e-6)
    # numpy reference with the PyTorch bins [floor(iL/n), ceil((i+1)L/n))
    rows, cols = [(0, 3), (2, 5)], [(0, 3), (2, 5), (4, 7)]
    ref = [[x2[0, a:b, c:d, 0].mean() for c, d in cols] for a, b in rows]
    np.testing.assert_allclose(avg[0, ..., 0], ref, rtol=1e-6)
    assert layer.get_config()["output_size"] == (2, 3)
    assert layer.get_config()["data_format"] == "channels_last"
    assert tuple(layer.compute_output_shape((None, 5, 7, 4))) == (None, 2, 3, 4)
    assert tuple(cf.compute_output_shape((None, 4, 5, 7, 9))) == (None, 4, 2, 3, 1)
    assert layer.count_params() == 0


def test_adaptive_pooling_gradient_is_bin_average():
    x = tf.constant(np.ones((1, 7, 1), "float32"))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_sum(L.AdaptiveAveragePooling1D(3)(x))
    g = tape.gradient(y, x).numpy().ravel()
    # positions 2 and 4 sit in two bins of 3
    np.testing.assert_allclose(g, [1 / 3, 1 / 3, 2 / 3, 1 / 3, 2 / 3, 1 / 3, 1 / 3], rtol=1e-6)


def test_spatial_dropout3d_drops_whole_maps_only_when_training():
    x = np.ones((4, 2, 3, 2, 5), "float32")
    layer = L.SpatialDropout3D(0.5, seed=1)
    assert np.array_equal(layer(x).numpy(), x)
    y = layer(x, training=True).numpy()
    assert set(np.unique(y)) <= {0.0, 2.0}
    assert (y.min(axis=(1, 2, 3)) == y.max(axis=(1, 2, 3))).all()
    cf = L.SpatialDropout3D(0.5, data_format="channels_first", seed=2)
    y = cf(x, training=True).numpy()
    assert (y.min(axis=(2, 3, 4)) == y.max(axis=(2, 3, 4))).all()
    assert cf.get_config()["data_format"] == "channels_first"
    with pytest.raises(ValueError, match="rank 5"):
        layer(np.ones((2, 3, 4, 5), "float32"), training=True)


def test_pipeline_chains_layers_and_round_trips():
    p = L.Pipeline([L.Rescaling(2.0), L.Rescaling(1.0, offset=1.0)], name="pp")
    np.testing.assert_allclose(p(tf.constant([1.0, 2.0])).numpy(), [3.0, 5.0])
    assert len(p.layers) == 2
    cfg = p.get_config()
    assert cfg["name"] == "pp" and len(cfg["layers"]) == 2
    q = L.Pipeline.from_config(cfg)
    np.testing.assert_allclose(q(tf.constant([1.0])).numpy(), [3.0])
    # training defaults to True (Keras 3): a random layer inside is active
    d = L.Pipeline([L.Dropout(0.5, seed=1)])
    y = d(tf.ones((200,))).numpy()
    assert (y == 0).any() and (y == 2).any()
    assert np.array_equal(d(tf.ones((5,)), training=False).numpy(), np.ones(5))


def test_reversible_embedding():
    e = L.ReversibleEmbedding(10, 4, tie_weights=False, logit_soft_cap=2.0)
    ids = tf.constant([[1, 3]])
    out = e(ids).numpy()
    emb, rev = [w.numpy() for w in e.weights]
    np.testing.assert_allclose(out, emb[[[1, 3]]])
    h = np.random.default_rng(0).normal(size=(2, 4)).astype("float32")
    logits = e(tf.constant(h), reverse=True).numpy()
    np.testing.assert_allclose(logits, np.tanh(h @ rev / 2.0) * 2.0, rtol=1e-5, atol=1e-6)
    assert e.count_params() == 80   # Keras: 40 + 40
    tied = L.ReversibleEmbedding(10, 4)
    tied(ids)
    assert tied.count_params() == 40
    np.testing.assert_allclose(tied(tf.constant(h), reverse=True).numpy(),
                               h @ tied.embeddings.numpy().T, rtol=1e-5, atol=1e-6)
    cfg = e.get_config()
    assert cfg["tie_weights"] is False and cfg["logit_soft_cap"] == 2.0
    assert tuple(e.compute_output_shape((None, 4), reverse=True)) == (None, 10)


def _one_sgd_step(layer, x, scale=100.0):
    opt = tf.keras.optimizers.SGD(1.0)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(layer(x, training=True) * scale)
    grads = tape.gradient(loss, layer.trainable_weights)
    opt.apply_gradients(zip(grads, layer.trainable_weights))


def test_constraints_are_applied_after_updates():
    nonneg = tf.keras.constraints.NonNeg()
    x = tf.constant(np.linspace(-1, 1, 12, dtype="float32").reshape(3, 4))
    p = L.PReLU(alpha_initializer="ones", alpha_constraint=nonneg)
    _one_sgd_step(p, x, -100.0)   # pushes alpha below 0
    assert (p.alpha.numpy() >= 0).all() and (p.alpha.numpy() == 0).any()
    assert p.get_config()["alpha_constraint"]["class_name"] == "NonNeg"
    for layer in (L.GroupNormalization(groups=2, gamma_constraint=nonneg,
                                       beta_constraint=nonneg),
                  L.LayerNormalization(gamma_constraint=nonneg, beta_constraint=nonneg),
                  L.BatchNormalization(gamma_constraint=nonneg, beta_constraint=nonneg)):
        _one_sgd_step(layer, x)   # pushes beta below 0
        assert (layer.beta.numpy() == 0).all(), type(layer).__name__
        assert (layer.gamma.numpy() >= 0).all(), type(layer).__name__
    cfg = L.GroupNormalization(groups=2, beta_constraint="non_neg").get_config()
    assert cfg["beta_constraint"]["class_name"] == "NonNeg"


def test_separable_and_convlstm_accept_constraints():
    mn = tf.keras.constraints.MaxNorm(0.1, axis=[0, 1])
    sep = L.SeparableConv1D(3, 2, pointwise_constraint=mn)
    x = tf.constant(np.random.default_rng(1).normal(size=(2, 5, 2)).astype("float32"))
    _one_sgd_step(sep, x)
    norms = np.sqrt((sep.pointwise_kernel.numpy() ** 2).sum(axis=(0, 1)))
    assert (norms <= 0.1 + 1e-5).all()
    assert sep.get_config()["pointwise_constraint"]["class_name"] == "MaxNorm"
    lstm = L.ConvLSTM1D(2, 2, recurrent_constraint="non_neg")
    assert lstm.get_config()["recurrent_constraint"]["class_name"] == "NonNeg"
    lstm(tf.ones((1, 2, 4, 1)))
    assert lstm.recurrent_kernel.constraint is not None


def test_depthwise_constraints_reach_the_kernels():
    nonneg = tf.keras.constraints.NonNeg()
    x1 = tf.constant(np.random.default_rng(2).normal(size=(2, 5, 2)).astype("float32"))
    x2 = tf.constant(np.random.default_rng(3).normal(size=(2, 4, 4, 2)).astype("float32"))
    for layer, x, attr in ((L.DepthwiseConv1D(2, depthwise_constraint=nonneg), x1, "kernel"),
                           (L.DepthwiseConv2D(2, depthwise_constraint=nonneg), x2, "kernel"),
                           (L.SeparableConv1D(2, 2, depthwise_constraint=nonneg), x1,
                            "depthwise_kernel"),
                           (L.SeparableConv2D(2, 2, depthwise_constraint=nonneg,
                                              pointwise_constraint=nonneg), x2,
                            "depthwise_kernel")):
        layer(x)
        getattr(layer, attr).assign(-np.abs(getattr(layer, attr).numpy()) - 1.0)
        _one_sgd_step(layer, x, 1e-3)
        assert (getattr(layer, attr).numpy() == 0).all(), type(layer).__name__
