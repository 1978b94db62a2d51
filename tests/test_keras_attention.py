"""keras.layers.MultiHeadAttention / EinsumDense against Keras 3.15.

tests/data/keras_attention_ref.npz was made with Keras 3.15.1 (JAX backend): for each case a
layer `keras.layers.MultiHeadAttention(**CASES[tag])` called on random q/v(/k) as
`m(q, v, key=k, return_attention_scores=True, **call)` -> `<tag>/o`, `<tag>/s`, and without the
scores -> `<tag>/o2`, with its weights (in `m.weights` order) as `<tag>/w<i>`.
"""
import os

import numpy as np
import pytest

import graphflow as tf
from conftest import check_grad, summary_text

pytestmark = pytest.mark.usefixtures("keras_seeded")

REF = np.load(os.path.join(os.path.dirname(__file__), "data", "keras_attention_ref.npz"))
CASES = {
    "self": dict(num_heads=2, key_dim=3),
    "cross_key": dict(num_heads=3, key_dim=2, value_dim=4, output_shape=6),
    "mask": dict(num_heads=2, key_dim=2),   # a random mask, one fully masked query row
    "causal": dict(num_heads=2, key_dim=2, use_bias=False),
    "axes2d": dict(num_heads=2, key_dim=2, attention_axes=(2, 3)),   # rank-5 inputs
}
KERAS_PATHS = ["query/kernel", "query/bias", "key/kernel", "key/bias", "value/kernel",
               "value/bias", "attention_output/kernel", "attention_output/bias"]


def _case(tag):
    m = tf.keras.layers.MultiHeadAttention(**CASES[tag])
    get = lambda k: REF[f"{tag}/{k}"] if f"{tag}/{k}" in REF else None   # noqa: E731
    call = {k.rsplit("/", 1)[1]: REF[k] for k in REF if k.startswith(f"{tag}/call/")}
    call = {k: (bool(v) if v.ndim == 0 else v) for k, v in call.items()}
    q, v, k = get("q"), get("v"), get("k")
    m.build(q.shape, v.shape, None if k is None else k.shape)
    m.set_weights([REF[f"{tag}/w{i}"] for i in range(len(m.weights))])
    return m, q, v, k, call


@pytest.mark.parametrize("tag", sorted(CASES))
def test_matches_keras(tag):
    m, q, v, k, call = _case(tag)
    out, scores = m(q, v, key=k, return_attention_scores=True, **call)
    np.testing.assert_allclose(out.numpy(), REF[f"{tag}/o"], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(scores.numpy(), REF[f"{tag}/s"], rtol=1e-5, atol=1e-5)
    # without the scores Keras takes its fused path, where a fully masked row ("mask") gets
    # uniform weights (zeros above); "cross_key" (value_dim != key_dim) raises on that path in
    # Keras 3.15, so its o2 is the scores path's output
    np.testing.assert_allclose(m(q, v, key=k, **call).numpy(), REF[f"{tag}/o2"],
                               rtol=1e-5, atol=1e-5)
    # traced: the same values from a graphflow.function
    f = tf.function(lambda q, v: m(q, v, key=k, **call))
    np.testing.assert_allclose(f(q, v).numpy(), REF[f"{tag}/o2"], rtol=1e-5, atol=1e-5)


def test_weights_config_and_params_as_keras():
    m, q, v, k, _ = _case("self")
    assert [w.path for w in m.weights] == [f"{m.name}/{p}" for p in KERAS_PATHS]
    assert [tuple(w.shape) for w in m.weights] == [(5, 2, 3), (2, 3), (5, 2, 3), (2, 3),
                                                   (5, 2, 3), (2, 3), (2, 3, 5), (5,)]
    assert m.count_params() == 143   # Keras 3.15: 143 (summary of a (4, 5) self-attention)
    cfg = m.get_config()
    assert {k: cfg[k] for k in ("num_heads", "key_dim", "value_dim", "dropout", "use_bias",
                                "output_shape", "attention_axes", "seed")} == dict(
        num_heads=2, key_dim=3, value_dim=3, dropout=0.0, use_bias=True, output_shape=None,
        attention_axes=(1,), seed=None)
    assert cfg["kernel_initializer"]["class_name"] == "GlorotUniform"
    again = tf.keras.layers.MultiHeadAttention.from_config(
        dict(cfg, name="copy", attention_axes=None))
    again.build(q.shape, v.shape)
    again.set_weights(m.get_weights())
    np.testing.assert_allclose(again(q, v).numpy(), m(q, v).numpy(), rtol=1e-6)
    m2, *_ = _case("cross_key")
    assert m2.get_config()["output_shape"] == (6,) and m2.count_params() == 252


def test_functional_model_summary_and_fit():
    inp = tf.keras.Input((4, 5))
    x = tf.keras.layers.MultiHeadAttention(2, 3, dropout=0.5)(inp, inp)
    out = tf.keras.layers.Dense(1)(tf.keras.layers.GlobalAveragePooling1D()(x))
    model = tf.keras.Model(inp, out)
    assert "143" in summary_text(model) and model.count_params() == 143 + 6
    rng = np.random.default_rng(0)
    xs, ys = rng.standard_normal((8, 4, 5)).astype("float32"), rng.standard_normal((8, 1))
    model.compile(tf.keras.optimizers.SGD(0.1), "mse")
    before = [w.numpy().copy() for w in model.trainable_weights]
    loss0 = model.evaluate(xs, ys, verbose=0)
    model.fit(xs, ys, epochs=3, batch_size=8, verbose=0)
    moved = [w.path for a, w in zip(before, model.trainable_weights) if not np.allclose(a, w.numpy())]
    # all but the key bias: softmax ignores a shift shared by all key positions (zero gradient)
    assert [w.path for w in model.trainable_weights if w.path not in moved] == \
        [model.layers[1].name + "/key/bias"]
    assert model.evaluate(xs, ys, verbose=0) < loss0


def test_dropout_on_attention_probabilities_only_when_training():
    m = tf.keras.layers.MultiHeadAttention(1, 2, dropout=0.5, seed=1)
    x = np.random.default_rng(0).standard_normal((2, 6, 3)).astype("float32")
    _, s = m(x, x, return_attention_scores=True)   # inference: no dropout
    np.testing.assert_allclose(s.numpy().sum(-1), 1.0, rtol=1e-6)
    a = m(x, x).numpy()
    np.testing.assert_allclose(m(x, x, training=False).numpy(), a)
    assert not np.allclose(m(x, x, training=True).numpy(), a)


def test_masks_follow_keras_rule():
    m = tf.keras.layers.MultiHeadAttention(2, 2)
    x = np.random.default_rng(1).standard_normal((1, 3, 4)).astype("float32")
    value_mask = np.array([[True, True, False]])
    _, s = m(x, x, value_mask=value_mask, return_attention_scores=True)
    assert np.all(s.numpy()[..., 2] == 0) and np.allclose(s.numpy().sum(-1), 1, rtol=1e-6)
    # a float mask keeps positions > 0.5, combined with the causal mask
    fmask = np.array([[[1., 0., 1.], [1., 1., 1.], [0., 1., 1.]]], np.float32)
    _, s = m(x, x, attention_mask=fmask, use_causal_mask=True, return_attention_scores=True)
    keep = (fmask > 0.5) & np.tril(np.ones((3, 3), bool))
    assert np.all((s.numpy()[0] > 0) == keep[0])


def test_gradients_match_finite_differences():
    m = tf.keras.layers.MultiHeadAttention(2, 2, dtype="float64")
    rng = np.random.default_rng(2)
    q, v, k = (rng.standard_normal(s) for s in ((1, 2, 3), (1, 3, 3), (1, 3, 2)))
    mask = np.array([[[True, False, True], [True, True, False]]])
    m.build(q.shape, v.shape, k.shape)
    check_grad(lambda q, v, k: m(q, v, key=k, attention_mask=mask), [q, v, k], order=2)
    g = check_grad(lambda q: m(q, v, key=k, attention_mask=mask,
                               return_attention_scores=True)[1], [q], order=1)
    assert g[0].shape == q.shape


def test_weight_gradients_and_numba():
    m = tf.keras.layers.MultiHeadAttention(2, 3)
    x = np.random.default_rng(3).standard_normal((2, 4, 5)).astype("float32")
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(m(x, x) ** 2)
    grads = tape.gradient(loss, m.trainable_weights)
    assert all(g is not None and g.shape == w.shape for g, w in zip(grads, m.trainable_weights))
    # value check of one kernel entry by central difference (float32: loose)
    w = m.trainable_weights[0]
    base = w.numpy().copy()
    eps = 1e-2
    vals = []
    for d in (eps, -eps):
        b = base.copy()
        b[1, 0, 2] += d
        w.assign(b)
        vals.append(float(tf.reduce_sum(m(x, x) ** 2)))
    w.assign(base)
    np.testing.assert_allclose(grads[0].numpy()[1, 0, 2], (vals[0] - vals[1]) / (2 * eps),
                               rtol=2e-2)
    f = tf.function(lambda x: m(x, x), jit_compile=True)
    np.testing.assert_allclose(f(x).numpy(), m(x, x).numpy(), rtol=1e-5, atol=1e-6)


def test_einsum_dense():
    layer = tf.keras.layers.EinsumDense("abc,cde->abde", output_shape=(None, 2, 3),
                                        bias_axes="de", activation="relu")
    x = np.random.default_rng(4).standard_normal((2, 4, 5)).astype("float32")
    y = layer(x)
    k, b = layer.get_weights()
    assert k.shape == (5, 2, 3) and b.shape == (2, 3)
    np.testing.assert_allclose(y.numpy(), np.maximum(np.einsum("abc,cde->abde", x, k) + b, 0),
                               rtol=1e-5, atol=1e-6)
    assert layer.get_config()["equation"] == "abc,cde->abde"


def test_errors_name_the_layer():
    with pytest.raises(ValueError, match="num_heads"):
        tf.keras.layers.MultiHeadAttention(0, 2)
    m = tf.keras.layers.MultiHeadAttention(1, 2)
    with pytest.raises(ValueError, match="value` and `key"):
        m(np.ones((1, 2, 3)), np.ones((1, 4, 3)), key=np.ones((1, 5, 3)))


def test_causal_mask_with_unknown_lengths():
    """A transformer decoder traced once for any sequence length: the causal mask comes from the
    scores' run-time shape (Keras' cumsum rule), same values as the eager call."""
    m = tf.keras.layers.MultiHeadAttention(2, 4)
    f = tf.function(lambda x: m(query=x, value=x, key=x, use_causal_mask=True),
                    input_signature=[tf.TensorSpec((None, None, 8))])
    rng = np.random.default_rng(5)
    for steps in (3, 5):
        x = rng.standard_normal((2, steps, 8)).astype(np.float32)
        np.testing.assert_allclose(f(x).numpy(), m(x, x, use_causal_mask=True).numpy(),
                                   rtol=1e-5, atol=1e-6)
    # only the causal part of the scores is nonzero
    x = rng.standard_normal((1, 4, 8)).astype(np.float32)
    _, s = m(x, x, use_causal_mask=True, return_attention_scores=True)
    assert np.all((s.numpy()[0] > 0) == np.tril(np.ones((4, 4), bool)))


def test_keras_file_loads_and_round_trips(tmp_path):
    """tests/data/keras_mha.keras: written by Keras 3.15.1 (JAX) - Normalization adapted to
    random data, MultiHeadAttention(2, 3, output_shape=6)(h, h, use_causal_mask=True), Dense(1);
    keras_mha_io.npz holds Keras' predictions. The weights land in Keras' groups
    (`query_dense/vars`, ...) and the build config is Keras' `shapes_dict`."""
    data = os.path.join(os.path.dirname(__file__), "data")
    io = np.load(os.path.join(data, "keras_mha_io.npz"))
    model = tf.keras.models.load_model(os.path.join(data, "keras_mha.keras"))
    np.testing.assert_allclose(model(io["x"]).numpy(), io["y"], rtol=1e-5, atol=1e-6)
    mha = model.layers[2]
    assert mha.get_build_config() == {"shapes_dict": {"query_shape": [None, 4, 5],
                                                      "value_shape": [None, 4, 5]}}
    path = str(tmp_path / "again.keras")
    model.save(path)
    again = tf.keras.models.load_model(path)
    np.testing.assert_allclose(again(io["x"]).numpy(), io["y"], rtol=1e-5, atol=1e-6)


def test_embedding_mask_is_the_query_mask():
    """Keras 3.15 (keras_mha_mask.npz): Input(5, int32) -> Embedding(7, 4, mask_zero=True) ->
    MultiHeadAttention(2, 3)(e, e): the padding steps' mask masks their query rows (keys stay
    visible), with Keras' weights; arrays arr_0.. are the model's weights."""
    ref = np.load(os.path.join(os.path.dirname(__file__), "data", "keras_mha_mask.npz"))
    inp = tf.keras.Input((5,), dtype="int32")
    e = tf.keras.layers.Embedding(7, 4, mask_zero=True)(inp)
    model = tf.keras.Model(inp, tf.keras.layers.MultiHeadAttention(2, 3)(e, e))
    model.set_weights([ref[f"arr_{i}"] for i in range(len(model.weights))])
    np.testing.assert_allclose(model(ref["x"]).numpy(), ref["y"], rtol=1e-5, atol=1e-6)
