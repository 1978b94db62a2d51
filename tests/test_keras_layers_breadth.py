"""Keras 3 layers added for breadth (graphflow/keras/layers_extra.py): outputs, parameter counts,
output shapes and config keys against numbers produced offline by Keras 3.15 (JAX backend) with
the same inputs and weights (tests/data/keras_layers_breadth_ref.json), plus numpy references,
config round trips, masks, tracing and gradients."""
import json
import os

import numpy as np
import pytest

import graphflow as tf
from graphflow import keras
from graphflow.keras import layers as L

REF = json.load(open(os.path.join(os.path.dirname(__file__), "data",
                                  "keras_layers_breadth_ref.json")))


def X(*s):
    """The same inputs as the Keras reference script."""
    return np.asarray(np.random.default_rng(sum(s)).normal(size=s), "float32")


def _check(name, layer, x, weights=None, **kw):
    y = layer(x, **kw)
    if weights is not None:
        layer.set_weights(weights)
        y = layer(x, **kw)
    ys = y if isinstance(y, (list, tuple)) else [y]
    ref = REF[name]
    assert layer.count_params() == ref["params"], name
    assert [list(t.shape) for t in ys] == ref["shapes"], name
    for t, vals, total in zip(ys, ref["vals"], ref["sums"]):
        a = np.asarray(t.numpy(), "float64")
        np.testing.assert_allclose(a.ravel()[:12], vals, atol=2e-5, err_msg=name)
        np.testing.assert_allclose(a.sum(), total, rtol=1e-4, atol=1e-4, err_msg=name)
    assert sorted(layer.get_config()) == ref["cfg"], name
    return ys


X3 = X(2, 5, 4)
X5 = X(2, 3, 4, 5, 2)
TD_W = [np.linspace(-1, 1, 12).reshape(4, 3).astype("float32"), np.array([.1, .2, .3], "float32")]
Q, V, K = X(2, 3, 4), X(2, 5, 4), X(2, 5, 4) * 0.5
QM = np.array([[1, 1, 0], [1, 0, 1]], bool)
VM = np.array([[1, 1, 1, 0, 0], [1, 0, 1, 1, 1]], bool)

CASES = {
    "prelu": (lambda: L.PReLU(shared_axes=[1]), X3,
              [np.linspace(-1, 1, 4).reshape(1, 4).astype("float32")], {}),
    "elu": (lambda: L.ELU(alpha=0.5), X3, None, {}),
    "permute": (lambda: L.Permute((2, 1)), X3, None, {}),
    "repeat": (lambda: L.RepeatVector(3), X(2, 4), None, {}),
    "zp1": (lambda: L.ZeroPadding1D((1, 2)), X3, None, {}),
    "crop1": (lambda: L.Cropping1D((1, 2)), X3, None, {}),
    "up1": (lambda: L.UpSampling1D(3), X3, None, {}),
    "zp3": (lambda: L.ZeroPadding3D(((1, 0), (0, 2), (1, 1))), X5, None, {}),
    "crop3": (lambda: L.Cropping3D(((1, 0), (0, 2), (1, 1))), X5, None, {}),
    "up3": (lambda: L.UpSampling3D((2, 1, 3)), X5, None, {}),
    "zp3cf": (lambda: L.ZeroPadding3D(1, data_format="channels_first"), X5, None, {}),
    "gn": (lambda: L.GroupNormalization(groups=2), X(2, 3, 4),
           [np.linspace(0.5, 2, 4).astype("float32"), np.linspace(-1, 1, 4).astype("float32")],
           {}),
    "gn_axis1": (lambda: L.GroupNormalization(groups=-1, axis=1), X(2, 3, 4), None, {}),
    "unit": (lambda: L.UnitNormalization(axis=[1, 2]), X3, None, {}),
    "td": (lambda: L.TimeDistributed(L.Dense(3)), X3, TD_W, {}),
    "att": (lambda: L.Attention(), [Q, V], None, {}),
    "att_scale_concat": (lambda: L.Attention(use_scale=True, score_mode="concat"), [Q, V, K],
                         [np.array(0.7, "float32"), np.array(1.3, "float32")], {}),
    "att_mask_scores": (lambda: L.Attention(), [Q, V, K], None,
                        dict(mask=[QM, VM], return_attention_scores=True)),
    "att_causal": (lambda: L.Attention(), [X(2, 4, 4), X(2, 4, 4)], None,
                   dict(use_causal_mask=True)),
    "addatt": (lambda: L.AdditiveAttention(), [Q, V, K],
               [np.linspace(-1, 1, 4).astype("float32")], {}),
    "addatt_mask": (lambda: L.AdditiveAttention(use_scale=False), [Q, V], None,
                    dict(mask=[QM, VM])),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_keras(name):
    make, x, w, kw = CASES[name]
    _check(name, make(), x, w, **kw)


@pytest.mark.parametrize("name", sorted(CASES))
def test_config_round_trip_and_output_shape(name):
    make, x, w, kw = CASES[name]
    layer = make()
    y = layer(x, **kw)
    y = y[0] if isinstance(y, (list, tuple)) else y
    clone = type(layer).from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    if w is not None:
        clone(x, **kw)
        clone.set_weights(layer.get_weights())
    y2 = clone(x, **kw)
    y2 = y2[0] if isinstance(y2, (list, tuple)) else y2
    np.testing.assert_allclose(y2.numpy(), y.numpy(), rtol=1e-6, atol=1e-6)
    if isinstance(x, list):
        in_shape = [(None,) + np.shape(a)[1:] for a in x]
    else:
        in_shape = (None,) + np.shape(x)[1:]
    assert tuple(layer.compute_output_shape(in_shape)) == (None,) + tuple(y.shape)[1:]


def test_activity_regularization_loss_matches_keras():
    ar = L.ActivityRegularization(l1=0.1, l2=0.2)
    ar(X3)
    np.testing.assert_allclose(float(ar.losses[0]), REF["actreg_loss"], rtol=1e-5)
    # Keras: (l1 * sum|x| + l2 * sum x^2) / batch size
    want = (0.1 * np.abs(X3).sum() + 0.2 * (X3 ** 2).sum()) / X3.shape[0]
    np.testing.assert_allclose(float(ar.losses[0]), want, rtol=1e-5)


def test_group_normalization_vs_numpy_and_gradient():
    x = X(3, 4, 6)
    gn = L.GroupNormalization(groups=3, epsilon=1e-3)
    y = gn(x).numpy()
    g = x.reshape(3, 4, 3, 2)
    mean = g.mean(axis=(1, 3), keepdims=True)
    var = g.var(axis=(1, 3), keepdims=True)
    np.testing.assert_allclose(y, ((g - mean) / np.sqrt(var + 1e-3)).reshape(x.shape),
                               atol=1e-5)
    xt = tf.constant(x.astype("float64"))
    gn64 = L.GroupNormalization(groups=3, dtype="float64")
    proj = np.random.default_rng(1).normal(size=x.shape)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        out = tf.reduce_sum(gn64(xt) * proj)
    dx, dgamma = tape.gradient(out, [xt, gn64.gamma])
    eps, e = 1e-6, np.zeros_like(x, "float64")
    e[1, 2, 3] = 1

    def f(v):
        return float(tf.reduce_sum(gn64(tf.constant(v)) * proj))
    x64 = x.astype("float64")
    fd = (f(x64 + eps * e) - f(x64 - eps * e)) / (2 * eps)
    np.testing.assert_allclose(dx.numpy()[1, 2, 3], fd, rtol=1e-5)
    assert dgamma.shape == (6,)


def test_group_normalization_unknown_dims_traced():
    gn = L.GroupNormalization(groups=2)
    f = tf.function(lambda x: gn(x), input_signature=[tf.TensorSpec([None, None, 4])])
    x = X(2, 3, 4)
    np.testing.assert_allclose(f(tf.constant(x)).numpy(), gn(x).numpy(), atol=1e-6)
    x = X(1, 5, 4)
    np.testing.assert_allclose(f(tf.constant(x)).numpy(), gn(x).numpy(), atol=1e-6)


def test_prelu_gradients_and_values():
    p = L.PReLU(alpha_initializer=keras.initializers.Constant(0.25))
    x = tf.constant([[-2.0, 3.0], [1.0, -4.0]])
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(p(x))
    (da,) = tape.gradient(y, [p.alpha])
    np.testing.assert_allclose(p(x).numpy(), [[-0.5, 3.0], [1.0, -1.0]])
    np.testing.assert_allclose(da.numpy(), [-2.0, -4.0])   # d/dalpha = -relu(-x), summed


def test_attention_vs_numpy_with_masks():
    att = L.Attention(use_scale=True)
    out, w = att([Q, V, K], mask=[QM, VM], return_attention_scores=True)
    scores = np.einsum("bqd,bkd->bqk", Q, K) * 1.0
    scores = np.where(VM[:, None, :], scores, scores - 1e9)
    e = np.exp(scores - scores.max(-1, keepdims=True))
    p = e / e.sum(-1, keepdims=True)
    np.testing.assert_allclose(w.numpy(), p, atol=1e-6)
    np.testing.assert_allclose(out.numpy(), np.einsum("bqk,bkd->bqd", p, V) * QM[..., None],
                               atol=1e-5)
    assert att.compute_mask([Q, V], [QM, VM]) is QM
    assert [v.name for v in att.weights] == ["scale"]


def test_attention_causal_mask_traced_with_unknown_length():
    att = L.Attention()
    sig = [tf.TensorSpec([None, None, 4]), tf.TensorSpec([None, None, 4])]
    f = tf.function(lambda q, v: att([q, v], use_causal_mask=True), input_signature=sig)
    for t in (3, 5):
        q, v = X(2, t, 4), X(2, t, 4) + 1
        np.testing.assert_allclose(f(tf.constant(q), tf.constant(v)).numpy(),
                                   att([q, v], use_causal_mask=True).numpy(), atol=1e-5)


def test_attention_gradient_matches_finite_differences():
    att = L.AdditiveAttention(dtype="float64")
    q, v = Q.astype("float64"), V.astype("float64")
    att([q, v])
    scale = att.scale
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(att([q, v]) ** 2)
    (g,) = tape.gradient(y, [scale])
    base = scale.numpy().copy()
    eps, fd = 1e-6, []
    for i in range(4):
        vals = []
        for s in (eps, -eps):
            d = base.copy()
            d[i] += s
            scale.assign(d)
            vals.append(float(tf.reduce_sum(att([q, v]) ** 2)))
        fd.append((vals[0] - vals[1]) / (2 * eps))
    scale.assign(base)
    np.testing.assert_allclose(g.numpy(), fd, rtol=1e-5, atol=1e-8)


def test_time_distributed_in_models_and_summary_counts():
    keras.backend.clear_session()
    inputs = keras.Input(shape=(10, 8, 8, 3))
    conv = L.TimeDistributed(L.Conv2D(4, 3))
    y = conv(inputs)
    assert tuple(y.shape) == (None, 10, 6, 6, 4)
    model = keras.Sequential([keras.Input((6, 4)), L.TimeDistributed(L.Dense(5)),
                              L.Permute((2, 1)), L.Flatten(), L.Dense(1)])
    # Keras: TimeDistributed(Dense(5)) on 4 features = 25, Dense(30 -> 1) = 31
    assert model.count_params() == 56
    x = X(8, 6, 4)
    yb = model(x).numpy()
    td = model.layers[0].layer
    ref = (x @ td.kernel.numpy() + td.bias.numpy()).transpose(0, 2, 1).reshape(8, -1)
    d = model.layers[-1]
    np.testing.assert_allclose(yb, ref @ d.kernel.numpy() + d.bias.numpy(), atol=1e-5)
    model.compile("adam", "mse", jit_compile=False)
    h = model.fit(x, np.ones((8, 1), "float32"), epochs=2, verbose=0)
    assert np.isfinite(h.history["loss"]).all()
    assert h.history["loss"][1] < h.history["loss"][0]


def test_time_distributed_passes_mask_and_training():
    class Probe(keras.layers.Layer):
        def call(self, x, training=None, mask=None):
            self.seen = (training, None if mask is None else tuple(mask.shape))
            return x * 2.0
    probe = Probe()
    td = L.TimeDistributed(probe)
    mask = np.ones((2, 5), bool)
    y = td(X3, training=True, mask=mask)
    assert probe.seen == (True, (10,))
    np.testing.assert_allclose(y.numpy(), 2 * X3)
    assert td.compute_mask(X3, mask) is mask


def test_time_distributed_serializes_the_inner_layer():
    td = L.TimeDistributed(L.Dense(3, activation="relu"), name="td")
    td(X3)
    cfg = keras.layers.serialize(td)
    assert cfg["config"]["layer"]["class_name"] == "Dense"
    clone = keras.layers.deserialize(cfg)
    assert isinstance(clone.layer, L.Dense) and clone.layer.units == 3


def test_dropout_variants_train_only():
    x = np.ones((200, 50), "float32")
    for layer in (L.GaussianDropout(0.3, seed=1), L.AlphaDropout(0.3, seed=1)):
        np.testing.assert_array_equal(layer(x).numpy(), x)
        y = layer(x, training=True).numpy()
        assert not np.allclose(y, x)
    y = L.GaussianDropout(0.3, seed=2)(x, training=True).numpy()
    assert abs(y.mean() - 1.0) < 0.02 and abs(y.std() - np.sqrt(0.3 / 0.7)) < 0.03
    # AlphaDropout keeps the mean and variance of SELU-normalized inputs
    z = np.random.default_rng(0).normal(size=(400, 100)).astype("float32")
    y = L.AlphaDropout(0.2, seed=3)(z, training=True).numpy()
    assert abs(y.mean()) < 0.03 and abs(y.std() - 1.0) < 0.03
    alpha_p = -1.6732632423543772 * 1.0507009873554805
    a = ((1 - 0.2) * (1 + 0.2 * alpha_p ** 2)) ** -0.5
    dropped = np.isclose(y, a * alpha_p - a * alpha_p * 0.2, atol=1e-5)
    assert 0.17 < dropped.mean() < 0.23


def test_errors_name_the_layer_and_shapes():
    with pytest.raises(ValueError, match="groups"):
        L.GroupNormalization(groups=3)(X3)
    with pytest.raises(ValueError, match="Permute"):
        L.Permute((2, 3))
    with pytest.raises(ValueError, match=r"rank 2.*\(2, 5, 4\)"):
        L.RepeatVector(2)(X3)
    with pytest.raises(ValueError, match="list of inputs"):
        L.Attention()(X3)
    with pytest.raises(ValueError, match="smaller than the input length"):
        L.Cropping1D((3, 3))(X3)


def test_input_spec_and_identity():
    spec = L.InputSpec(shape=(None, 3))
    assert spec.ndim == 2 and L.InputSpec.from_config(spec.get_config()).shape == (None, 3)
    np.testing.assert_array_equal(L.Identity()(X3).numpy(), X3)
    assert issubclass(L.TimeDistributed, L.Wrapper)


def test_spectral_normalization_matches_keras():
    ref = REF["spectral"]
    x = np.asarray(np.random.default_rng(3).normal(size=(4, 3)), "float32")
    sn = L.SpectralNormalization(L.Dense(5), power_iterations=2)
    sn(x)
    assert [w.name for w in sn.weights] == ref["names"]
    assert sn.count_params() == ref["params"] and sorted(sn.get_config()) == ref["cfg"]
    sn.set_weights([np.linspace(-2, 3, 15).reshape(3, 5), np.linspace(-1, 1, 5).reshape(1, 5),
                    np.linspace(0, 1, 5)])
    for key, kw in (("y1", dict(training=True)), ("y2", dict(training=True)), ("y3", {})):
        np.testing.assert_allclose(sn(x, **kw).numpy().ravel(), ref[key], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(sn.vector_u.numpy().ravel(), ref["u"], rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(sn.layer.kernel.numpy().ravel(), ref["kernel"], rtol=1e-5)
    clone = keras.layers.deserialize(keras.layers.serialize(sn))
    assert clone.power_iterations == 2 and isinstance(clone.layer, L.Dense)


def test_default_names_are_keras_names():
    keras.backend.clear_session()
    made = [L.UpSampling1D(), L.ZeroPadding3D(), L.Cropping1D(), L.PReLU(), L.ELU(),
            L.TimeDistributed(L.Identity()), L.GroupNormalization(), L.SpatialDropout1D(0.1)]
    # Keras 3.15's names for the same constructions (to_snake_case of the class name)
    assert [m.name for m in made] == ["up_sampling1d", "zero_padding3d", "cropping1d", "p_re_lu",
                                      "elu", "time_distributed", "group_normalization",
                                      "spatial_dropout1d"]


def test_supports_masking_as_keras():
    """Keras 3.15's `supports_masking` for these layers (True passes the mask on)."""
    want = {"Identity": True, "ELU": True, "PReLU": True, "GaussianDropout": True,
            "AlphaDropout": True, "ActivityRegularization": True, "GroupNormalization": True,
            "UnitNormalization": True, "TimeDistributed": True, "Permute": False,
            "RepeatVector": False, "ZeroPadding1D": False, "Cropping1D": False,
            "UpSampling1D": False}
    assert {n: getattr(L, n).supports_masking for n in want} == want
    emb = L.Embedding(10, 4, mask_zero=True)
    x = np.array([[1, 2, 0]])
    mask = emb.compute_mask(x)
    assert L.PReLU().compute_mask(emb(x), mask) is mask
    assert L.Permute((2, 1)).compute_mask(emb(x), mask) is None
