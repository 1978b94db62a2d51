"""keras.layers.Normalization against Keras 3.15 (reference values in
tests/data/keras_attention_ref.npz: `norm/*` from `Normalization(axis=(1, 2)).adapt(x)` and
`norm_inv/y` from `Normalization(mean=[1., 2.], variance=[4., 9.], invert=True)(ones((2, 2)))`)."""
import os

import numpy as np
import pytest

import graphflow as tf
from conftest import summary_text

pytestmark = pytest.mark.usefixtures("keras_seeded")

REF = np.load(os.path.join(os.path.dirname(__file__), "data", "keras_attention_ref.npz"))


def test_adapt_multi_axis_matches_keras():
    layer = tf.keras.layers.Normalization(axis=(1, 2))
    x = REF["norm/x"]
    layer.adapt(x)
    np.testing.assert_allclose(layer.adapt_mean.numpy(), REF["norm/mean"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(layer.adapt_variance.numpy(), REF["norm/var"], rtol=1e-5)
    np.testing.assert_allclose(layer(x).numpy(), REF["norm/y"], rtol=1e-5, atol=1e-5)
    assert [(w.name, tuple(w.shape), w.trainable) for w in layer.weights] == [
        ("mean", (2, 3), False), ("variance", (2, 3), False), ("count", (), False)]
    assert layer.count_params() == 13


def test_formula_epsilon_and_invert():
    # Keras 3: (x - mean) / max(sqrt(var), 1e-7); a zero variance divides by 1e-7
    layer = tf.keras.layers.Normalization(mean=[1., 2.], variance=[4., 0.])
    np.testing.assert_allclose(layer(np.array([[3., 2.5]])).numpy(), [[1.0, 0.5 / 1e-7]],
                               rtol=1e-5)
    inv = tf.keras.layers.Normalization(mean=[1., 2.], variance=[4., 9.], invert=True)
    np.testing.assert_allclose(inv(np.ones((2, 2), np.float32)).numpy(), REF["norm_inv/y"])
    assert inv.weights == [] and inv.get_config()["mean"] == [1.0, 2.0]
    cfg = inv.get_config()
    assert (cfg["axis"], cfg["invert"], cfg["variance"]) == ((-1,), True, [4.0, 9.0])
    assert tf.keras.layers.Normalization().get_config()["mean"] is None
    # round trip: normalize then invert gives the input back
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32) * 3 + 1
    n = tf.keras.layers.Normalization()
    n.adapt(x)
    back = tf.keras.layers.Normalization(mean=n.adapt_mean.numpy(),
                                         variance=n.adapt_variance.numpy(), invert=True)
    np.testing.assert_allclose(back(n(x)).numpy(), x, rtol=1e-5, atol=1e-5)


def test_adapt_sources_agree():
    x = np.random.default_rng(1).standard_normal((10, 3)).astype(np.float32) * [1, 2, 3] + 5
    expect_mean, expect_var = x.mean(0), x.var(0)
    sources = {"array": x, "tensor": tf.constant(x),
               "batched": tf.data.Dataset.from_tensor_slices(x).batch(3),   # uneven batches
               "unbatched": tf.data.Dataset.from_tensor_slices(x),   # Keras batches it by 128
               "pairs": tf.data.Dataset.from_tensor_slices((x, x[:, :1])).batch(4),
               "list": [x[:4], x[4:]]}
    for name, data in sources.items():
        layer = tf.keras.layers.Normalization()
        layer.adapt(data)
        np.testing.assert_allclose(layer.adapt_mean.numpy(), expect_mean, rtol=1e-5,
                                   err_msg=name)
        np.testing.assert_allclose(layer.adapt_variance.numpy(), expect_var, rtol=1e-4,
                                   err_msg=name)
    scalar = tf.keras.layers.Normalization(axis=None)
    scalar.adapt(x)
    np.testing.assert_allclose(scalar.adapt_mean.numpy(), x.mean(), rtol=1e-5)


def test_in_functional_model_fit_and_trace():
    rng = np.random.default_rng(2)
    x = (rng.standard_normal((32, 3)) * [1, 10, 100] + [0, 5, -50]).astype(np.float32)
    y = (x @ np.array([[1.], [0.1], [0.01]])).astype(np.float32)
    norm = tf.keras.layers.Normalization()
    norm.adapt(x)
    inp = tf.keras.Input((3,))
    model = tf.keras.Model(inp, tf.keras.layers.Dense(1)(norm(inp)))
    text = summary_text(model)
    assert "Non-trainable params: 7" in text and "Trainable params: 4" in text
    model.compile(tf.keras.optimizers.SGD(0.1), "mse")
    loss0 = model.evaluate(x, y, verbose=0)
    model.fit(x, y, epochs=20, batch_size=8, verbose=0)
    assert model.evaluate(x, y, verbose=0) < 0.05 * loss0
    np.testing.assert_allclose(norm.adapt_mean.numpy(), x.mean(0), rtol=1e-5)   # not trained
    # a traced call reads the statistics at run time: a later adapt() is seen without retracing
    f = tf.function(lambda t: norm(t))
    f(x[:2])
    norm.adapt(x * 2)
    np.testing.assert_allclose(f(x[:2]).numpy(), (x[:2] - 2 * x.mean(0)) / (2 * x.std(0)),
                               rtol=1e-4, atol=1e-4)


def test_errors():
    with pytest.raises(ValueError, match="both `mean` and `variance`"):
        tf.keras.layers.Normalization(mean=1.)
    layer = tf.keras.layers.Normalization()
    layer.adapt(np.ones((4, 3)))
    with pytest.raises(ValueError, match="incompatible shape"):
        layer.adapt(np.ones((4, 2)))


# Keras 3.15.1 (JAX backend) printed these; adapt() there needs TensorFlow, so its
# update_state/finalize_state (the same summary code) made the adapted boundaries
def test_discretization_matches_keras():
    d = tf.keras.layers.Discretization(bin_boundaries=[0., 1., 2.])
    y = d(np.array([[-1.5, 1.0, 3.4, .5], [0.0, 3.0, 1.3, 0.0]]))
    assert y.dtype == tf.int32
    np.testing.assert_array_equal(y.numpy(), [[0, 2, 3, 1], [1, 3, 2, 1]])
    data = np.random.default_rng(0).standard_normal((1000,)).astype("float32")
    d = tf.keras.layers.Discretization(num_bins=5)
    d.adapt(data)
    np.testing.assert_allclose(d.bin_boundaries, [-0.8496066927909851, -0.3048001825809479,
                                                  0.17602071166038513, 0.7710492014884949],
                               rtol=1e-6)
    np.testing.assert_array_equal(d(np.array([[-1., 0.5]])).numpy(), [[0, 3]])
    cfg = d.get_config()
    assert (cfg["num_bins"], cfg["epsilon"], cfg["output_mode"], cfg["dtype"]) == \
        (5, 0.01, "int", "float32")
    assert tf.keras.layers.Discretization.from_config(cfg).bin_boundaries == d.bin_boundaries
    batched = tf.keras.layers.Discretization(num_bins=5)   # two batches: merged summaries
    batched.adapt(tf.data.Dataset.from_tensor_slices(data).batch(300).take(1).concatenate(
        tf.data.Dataset.from_tensors(data[300:])))
    np.testing.assert_allclose(batched.bin_boundaries, [-0.8302938938140869, -0.30652379989624023,
                                                        0.2019093781709671, 0.7778904438018799],
                               rtol=1e-6)
    one_hot = tf.keras.layers.Discretization(bin_boundaries=[0., 1.], output_mode="one_hot")
    np.testing.assert_array_equal(one_hot(np.array([[-1.], [0.5], [3.]])).numpy(), np.eye(3))
    multi = tf.keras.layers.Discretization(bin_boundaries=[0., 1.], output_mode="multi_hot")
    np.testing.assert_array_equal(multi(np.array([[-1., 3.], [0.5, .6]])).numpy(),
                                  [[1, 0, 1], [0, 1, 0]])
    f = tf.function(lambda x: multi(x))   # traced: the same
    np.testing.assert_array_equal(f(np.array([[-1., 3.], [0.5, .6]])).numpy(),
                                  [[1, 0, 1], [0, 1, 0]])


def test_category_encoding_matches_keras():
    x = np.array([[0, 1], [0, 0], [1, 2], [3, 1]])
    one = tf.keras.layers.CategoryEncoding(num_tokens=4, output_mode="one_hot")
    np.testing.assert_array_equal(one(np.array([3, 2, 0, 1])).numpy(), np.eye(4)[[3, 2, 0, 1]])
    multi = tf.keras.layers.CategoryEncoding(num_tokens=4)
    y = multi(x)
    assert y.dtype == tf.float32
    np.testing.assert_array_equal(y.numpy(), [[1, 1, 0, 0], [1, 0, 0, 0], [0, 1, 1, 0],
                                              [0, 1, 0, 1]])
    count = tf.keras.layers.CategoryEncoding(num_tokens=4, output_mode="count")
    w = np.array([[.1, .2], [.1, .1], [.2, .3], [.4, .2]])
    np.testing.assert_allclose(count(x, count_weights=w).numpy(),
                               [[.1, .2, 0, 0], [.2, 0, 0, 0], [0, .2, .3, 0], [0, .2, 0, .4]],
                               rtol=1e-6)
    np.testing.assert_array_equal(count(np.array([[0, 1, 1], [0, 0, 3]])).numpy(),
                                  [[1, 2, 0, 0], [2, 0, 0, 1]])
    assert {k: count.get_config()[k] for k in ("num_tokens", "output_mode")} == \
        {"num_tokens": 4, "output_mode": "count"}
    assert count.count_params() == 0
    with pytest.raises(ValueError, match="count_weights"):
        multi(x, count_weights=w)
    # in a model: Input -> CategoryEncoding -> Dense trains
    inp = tf.keras.Input((2,), dtype="int32")
    model = tf.keras.Model(inp, tf.keras.layers.Dense(1)(multi(inp)))
    model.compile(tf.keras.optimizers.Adam(0.1), "mse")
    target = np.array([[1.], [2.], [3.], [4.]], np.float32)
    loss0 = model.evaluate(x, target, verbose=0)
    model.fit(x, target, epochs=60, verbose=0)
    assert model.evaluate(x, target, verbose=0) < 0.05 * loss0


def test_regression_tutorial_one_feature():
    """TF's basic regression tutorial: a Normalization(input_shape=[1], axis=None) adapted to a
    1-D feature column, then Dense(1), fitted on the 1-D column itself (Keras 3 gives the data
    the model's trailing axis of size 1)."""
    rng = np.random.default_rng(3)
    hp = rng.uniform(50, 200, 64)
    target = (40 - 0.15 * hp + rng.normal(0, 1, 64)).astype(np.float32)
    normalizer = tf.keras.layers.Normalization(input_shape=[1], axis=None)
    normalizer.adapt(hp)
    np.testing.assert_allclose(normalizer.mean.numpy(), [hp.mean()], rtol=1e-6)
    model = tf.keras.Sequential([normalizer, tf.keras.layers.Dense(units=1)])
    assert model.predict(hp[:10], verbose=0).shape == (10, 1)
    model.compile(optimizer=tf.keras.optimizers.SGD(learning_rate=0.1),
                  loss="mean_squared_error")
    model.fit(hp, target, epochs=40, verbose=0)
    # the least-squares line through the data
    slope, intercept = np.polyfit(hp, target, 1)
    np.testing.assert_allclose(model.predict(np.array([100., 150.]), verbose=0)[:, 0],
                               intercept + slope * np.array([100., 150.]), atol=0.5)
