"""The "NumPy API on TensorFlow" guide's cells with `import graphflow as tf`; values as TF 2.21
printed them. NumPy behavior is process-wide (as in TF), so each test undoes it afterwards."""
import numpy as np
import pytest

import graphflow as tf
from graphflow.experimental import numpy as tnp_mod

tnp = tf.experimental.numpy


@pytest.fixture
def numpy_behavior():
    tnp.experimental_enable_numpy_behavior()
    yield
    tnp_mod._disable_numpy_behavior()


def test_methods_and_promotion(numpy_behavior):
    ones = tnp.ones([5, 3], dtype=tnp.float32)
    assert (ones.shape, ones.ndim, ones.dtype) == ((5, 3), 2, tf.float32)
    assert isinstance(ones, tf.Tensor)
    assert ones.T.shape == (3, 5) and ones.reshape(-1).shape == (15,)
    values = [tnp.asarray(1, dtype=d) for d in (tnp.int32, tnp.int64, tnp.float32, tnp.float64)]
    got = ["%s + %s => %s" % (a.dtype.name, b.dtype.name, (a + b).dtype.name)
           for i, a in enumerate(values) for b in values[i + 1:]]
    assert got == ["int32 + int64 => int64", "int32 + float32 => float64",
                   "int32 + float64 => float64", "int64 + float32 => float64",
                   "int64 + float64 => float64", "float32 + float64 => float64"]
    assert (tnp.asarray(1).dtype.name, tnp.asarray(1.).dtype.name) == ("int64", "float64")
    x = tf.constant([[1, 2], [3, 4]])
    assert x.T.numpy().tolist() == [[1, 3], [2, 4]]
    assert x.reshape(4, 1).shape == (4, 1) and x.ravel().numpy().tolist() == [1, 2, 3, 4]
    assert x.clip(2, 3).numpy().tolist() == [[2, 2], [3, 3]]
    assert x.transpose().numpy().tolist() == [[1, 3], [2, 4]] and x.tolist() == [[1, 2], [3, 4]]
    assert x.astype(tnp.float32).dtype == tf.float32 and x.size == 4
    # TF: int32 tensor + 1.5 -> float64; float32 tensor * 2 -> float32; int32 * int64 -> int64
    assert (tf.constant([1, 2]) + 1.5).dtype == tf.float64
    assert (tf.constant([1., 2.]) * 2).dtype == tf.float32
    assert (tf.constant([1, 2], tf.int32) * tf.constant(2, tf.int64)).dtype == tf.int64
    assert (tf.constant(["a"]) + tf.constant(["b"])).numpy().tolist() == [b"ab"]


def test_prefer_float32(numpy_behavior):
    tnp.experimental_enable_numpy_behavior(prefer_float32=True)
    assert tnp.asarray(1.).dtype == tf.float32 and tnp.add(1., 2.).dtype == tf.float32
    tnp.experimental_enable_numpy_behavior(prefer_float32=False)
    assert tnp.asarray(1.).dtype == tf.float64 and tnp.add(1., 2.).dtype == tf.float64


def test_broadcasting_and_indexing(numpy_behavior):
    x, y, z = tnp.ones([2, 3]), tnp.ones([3]), tnp.ones([1, 2, 1])
    assert (x + y + z).shape == (1, 2, 3)
    x = tnp.arange(24).reshape(2, 3, 4)
    assert x[1, tnp.newaxis, 1:3, ...].numpy().tolist() == [[[16, 17, 18, 19],
                                                             [20, 21, 22, 23]]]
    assert x[:, (True, False, True)].numpy().tolist() == [[[0, 1, 2, 3], [8, 9, 10, 11]],
                                                          [[12, 13, 14, 15], [20, 21, 22, 23]]]
    assert x[1, (0, 0, 1), tnp.asarray([0, 1, 1])].numpy().tolist() == [12, 13, 17]
    with pytest.raises(TypeError):
        tnp.arange(6)[1] = -1
    # advanced indexing differentiates (a gather)
    v = tf.Variable([1., 2., 3.])
    with tf.GradientTape() as tape:
        s = tnp.sum(v[[0, 0, 2]] * tnp.asarray([1., 2., 3.], dtype=tnp.float32))
    assert tape.gradient(s, v).numpy().tolist() == [3., 0., 3.]


def test_behavior_is_undone():
    assert not hasattr(tf.constant([1]), "T")
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.ones([], tf.int32) + tf.ones([], tf.float32)


def test_model_gradients_and_function(numpy_behavior):
    class Model:
        def __init__(self):
            self.weights = None

        def predict(self, inputs):
            if self.weights is None:
                size = inputs.shape[1]
                stddev = tnp.sqrt(size).astype(tnp.float32)
                w1 = tnp.random.randn(size, 64).astype(tnp.float32) / stddev
                bias = tnp.random.randn(64).astype(tnp.float32)
                w2 = tnp.random.randn(64, 2).astype(tnp.float32) / 8
                self.weights = (w1, bias, w2)
            else:
                w1, bias, w2 = self.weights
            y = tnp.matmul(inputs, w1) + bias
            y = tnp.maximum(y, 0)
            return tnp.matmul(y, w2)

    tnp.random.seed(1)
    model = Model()
    out = model.predict(tnp.ones([2, 32], dtype=tnp.float32))
    assert out.shape == (2, 2) and out.dtype == tf.float32
    inputs = tnp.random.randn(4, 32).astype(tnp.float32)
    labels = tnp.random.randn(4, 2).astype(tnp.float32)
    with tf.GradientTape() as tape:
        tape.watch(model.weights)
        loss = tnp.sum(tnp.square(model.predict(inputs) - labels))
    grads = tape.gradient(loss, model.weights)
    assert [g.shape for g in grads] == [w.shape for w in model.weights]
    w1, b, w2 = (np.asarray(w, np.float64) for w in model.weights)
    xi, la = np.asarray(inputs, np.float64), np.asarray(labels, np.float64)
    h = xi @ w1 + b
    d = 2 * (np.maximum(h, 0) @ w2 - la)
    np.testing.assert_allclose(grads[2], np.maximum(h, 0).T @ d, rtol=2e-4, atol=1e-4)
    compiled = tf.function(model.predict)
    np.testing.assert_allclose(compiled(inputs), model.predict(inputs), rtol=1e-5, atol=1e-6)


def test_numpy_interop():
    x = tnp.ones([2]) + np.ones([2])
    assert isinstance(x, tf.Tensor) and x.numpy().tolist() == [2., 2.]
    s = np.sum(tnp.ones([2, 3]))
    assert float(s) == 6.0 and isinstance(s, np.floating)
    assert isinstance(np.exp(tnp.ones([2])), np.ndarray)
    assert np.asarray(tnp.arange(3)).tolist() == [0, 1, 2]


def test_tnp_random_namespace():
    assert {n for n in dir(tnp.random) if not n.startswith("_")} >= {
        "poisson", "rand", "randint", "randn", "random", "seed", "standard_normal", "uniform"}
    tnp.random.seed(3)
    a = tnp.random.randn(3).numpy()
    tnp.random.seed(3)
    assert tnp.random.randn(3).numpy().tolist() == a.tolist()
    # TF: randint int64, uniform float64
    assert tnp.random.randint(0, 5, size=3).dtype == tf.int64
    assert tnp.random.uniform(1, 2, size=(2,)).dtype == tf.float64
    p = tnp.random.poisson(3.0, size=(20000,))
    assert p.dtype == tf.int64 and abs(float(np.mean(p)) - 3.0) < 0.1
    r = tnp.random.random((2000,)).numpy()
    assert r.dtype == np.float64 and 0 <= r.min() and r.max() < 1 and abs(r.mean() - .5) < .05


def test_guide_device_cells():
    ones = tnp.ones([5, 3], dtype=tnp.float32)
    assert ones.device == "/job:localhost/replica:0/task:0/device:CPU:0"   # TF 2.21 on CPU
    assert tf.Variable(1.).device == ones.device


def test_guide_jacobian_vectorized_map_and_keras(numpy_behavior):
    """The guide's batch_jacobian, tf.function, vectorized_map and Keras cells (shapes as TF
    prints them; per-example gradients checked against single-example ones)."""
    tnp.random.seed(0)
    w1 = tnp.random.randn(32, 8).astype(tnp.float32) / 4
    bias = tnp.random.randn(8).astype(tnp.float32)
    w2 = tnp.random.randn(8, 2).astype(tnp.float32) / 8
    weights = (w1, bias, w2)

    def predict(inputs):
        return tnp.matmul(tnp.maximum(tnp.matmul(inputs, w1) + bias, 0), w2)

    def compute_gradients(inputs, labels):
        with tf.GradientTape() as tape:
            tape.watch(weights)
            loss = tnp.sum(tnp.square(predict(inputs) - labels))
        return tape.gradient(loss, weights)

    inp = tnp.ones([16, 32], tnp.float32)
    with tf.GradientTape() as tape:
        tape.watch(inp)
        out = predict(inp)
    assert (out.shape, tape.batch_jacobian(out, inp).shape) == ((16, 2), (16, 2, 32))
    inputs = tnp.random.randn(6, 32).astype(tnp.float32)
    labels = tnp.random.randn(6, 2).astype(tnp.float32)
    eager = compute_gradients(inputs, labels)
    for a, b in zip(tf.function(compute_gradients)(inputs, labels), eager):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)

    @tf.function
    def per_example(inputs, labels):
        def one(arg):
            i, la = arg
            return compute_gradients(tnp.expand_dims(i, 0), tnp.expand_dims(la, 0))
        return tf.vectorized_map(one, (inputs, labels))
    pe = per_example(inputs, labels)
    assert [p.shape for p in pe] == [(6, 32, 8), (6, 8), (6, 8, 2)]
    g3 = compute_gradients(inputs[3:4], labels[3:4])
    for p, g in zip(pe, g3):
        np.testing.assert_allclose(p[3], g, rtol=1e-5, atol=1e-5)

    class ProjectionLayer(tf.keras.layers.Layer):
        def __init__(self, units):
            super().__init__()
            self._units = units

        def build(self, input_shape):
            stddev = tnp.sqrt(self._units).astype(tnp.float32)
            init = tnp.random.randn(input_shape[1], self._units).astype(tnp.float32) / stddev
            self.w = tf.Variable(init, trainable=True)

        def call(self, inputs):
            return tnp.matmul(inputs, self.w)
    model = tf.keras.Sequential([tf.keras.layers.Dense(5), ProjectionLayer(2)])
    x = tnp.random.randn(3, 2).astype(tnp.float32)
    y = tnp.random.randn(3, 2).astype(tnp.float32)
    model.compile("adam", loss="mean_squared_error")
    model.fit(x, y, epochs=2, verbose=0)
    assert model.predict(x, verbose=0).shape == (3, 2)


def test_numpy_functions_call_the_methods(numpy_behavior):
    x = tf.constant([[1., 2.], [3., 4.]])   # np.mean(t) calls t.mean(axis=, dtype=, out=)
    assert np.asarray(np.mean(x, axis=0)).tolist() == [2., 3.]
    assert float(np.max(x)) == 4.0 and np.asarray(np.min(x, axis=1)).tolist() == [1., 3.]
    assert np.asarray(np.mean(x, axis=1, keepdims=True)).shape == (2, 1)
