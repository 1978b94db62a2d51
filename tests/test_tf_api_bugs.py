"""Regression tests for the wrong values issue 10 lists (each against TF's documented result or
an exact reference)."""
import numpy as np
import pytest

import graphflow as tf
from graphflow.errors import InvalidArgumentError


def _grad(f, x, dtype=tf.float32):
    x = tf.constant(x, dtype)
    with tf.GradientTape() as t:
        t.watch(x)
        y = f(x)
    return y, t.gradient(y, x)


def test_reduce_prod_gradient_is_the_product_of_the_others():
    # TF multiplies exclusive products from both sides: no division, so zeros, inf and
    # overflow/underflow give the exact product of the other entries
    x = np.array([[0., 2., 3.], [0., 0., 1.], [np.inf, 2., 1.], [1e30, 1e30, 1e-30],
                  [1e-30, 1e-30, 3.]], np.float32)
    with np.errstate(all="ignore"):
        want = np.array([[np.prod(np.delete(r, i)) for i in range(3)] for r in x], np.float32)
        _, g = _grad(lambda v: tf.reduce_prod(v, axis=1), x)
    np.testing.assert_array_equal(g.numpy(), want)
    assert g.numpy()[2, 0] == 2.0 and g.numpy()[3, 0] == 1.0   # was NaN / off


@pytest.mark.parametrize("axis", [None, 0, (0, 2), -1])
def test_reduce_prod_gradient_axes_and_second_order(axis):
    x = np.random.default_rng(0).uniform(0.5, 1.5, (3, 2, 4))
    x[1, 1, 2] = 0.0
    xt = tf.constant(x)
    with tf.GradientTape() as t2:
        t2.watch(xt)
        with tf.GradientTape() as t1:
            t1.watch(xt)
            y = tf.reduce_sum(tf.reduce_prod(xt, axis=axis) ** 2)
        g = t1.gradient(y, xt)
        s = tf.reduce_sum(g * tf.sin(xt))
    h = t2.gradient(s, xt).numpy()
    eps = 1e-6

    def gnum(v):
        with tf.GradientTape() as t:
            vt = tf.constant(v)
            t.watch(vt)
            yy = tf.reduce_sum(tf.reduce_prod(vt, axis=axis) ** 2)
        return t.gradient(yy, vt).numpy()

    def sval(v):
        return np.sum(gnum(v) * np.sin(v))
    num_g = np.zeros_like(x)
    num_h = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[idx] = eps
        num_g[idx] = (np.sum(np.prod(x + e, axis=axis) ** 2)
                      - np.sum(np.prod(x - e, axis=axis) ** 2)) / (2 * eps)
        num_h[idx] = (sval(x + e) - sval(x - e)) / (2 * eps)
    np.testing.assert_allclose(g.numpy(), num_g, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(h, num_h, rtol=1e-5, atol=1e-6)


def test_sigmoid_cross_entropy_gradient_at_zero_logits_is_half_minus_label():
    z = tf.constant([1., 0., 0.3])
    y, g = _grad(lambda l: tf.nn.sigmoid_cross_entropy_with_logits(labels=z, logits=l),
                 [0., 0., 0.])
    np.testing.assert_allclose(y.numpy(), np.log(2.0) * np.ones(3), rtol=1e-6)
    np.testing.assert_allclose(g.numpy(), [-0.5, 0.5, 0.2], rtol=1e-6)
    # and everywhere else sigmoid(x) - z, finite at the extremes
    x = np.array([-100., -3., 2., 100.], np.float32)
    zz = tf.constant([0., 1., 0.5, 1.])
    y, g = _grad(lambda l: tf.nn.sigmoid_cross_entropy_with_logits(labels=zz, logits=l), x)
    np.testing.assert_allclose(g.numpy(), 1 / (1 + np.exp(-x.astype(np.float64))) - zz.numpy(),
                               rtol=1e-6, atol=1e-7)
    assert np.isfinite(y.numpy()).all()


def test_sparse_softmax_cross_entropy_with_a_minus_inf_logit():
    logits = np.array([[0., -np.inf, 1.], [2., 0., -np.inf]], np.float32)
    labels = tf.constant([0, 1])
    y, g = _grad(lambda l: tf.nn.sparse_softmax_cross_entropy_with_logits(labels, l), logits)
    with np.errstate(divide="ignore"):
        p = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    np.testing.assert_allclose(y.numpy(), [-np.log(p[0, 0]), -np.log(p[1, 1])], rtol=1e-6)
    np.testing.assert_allclose(g.numpy(), p - np.eye(3)[[0, 1]], rtol=1e-6, atol=1e-7)

    @tf.function
    def traced(l):
        return tf.nn.sparse_softmax_cross_entropy_with_logits(labels, l)
    np.testing.assert_allclose(traced(tf.constant(logits)).numpy(), y.numpy(), rtol=1e-6)


@pytest.mark.parametrize("fn", [tf.negative, tf.abs], ids=["negative", "abs"])
def test_uint8_negative_abs_say_unsigned_is_unsupported(fn):
    # TF's Neg and Abs kernels have no unsigned types; the message must not claim uint8 is
    # not a number
    with pytest.raises(InvalidArgumentError, match=r"uint8 not supported \(needs a float(, "
                                                   r"complex)? or signed integer dtype\)"):
        fn(tf.constant([1, 200], tf.uint8))
    np.testing.assert_array_equal(fn(tf.constant([1, -7], tf.int8)).numpy(),
                                  fn.__name__ == "abs" and [1, 7] or [-1, 7])


def test_python_values_take_the_first_arguments_dtype():
    # TF (args_to_matching_eager): with no tensor among the arguments, the first value's dtype
    # converts the others
    r = tf.multiply(np.array([1., 2.]), 42)
    assert r.dtype == tf.float64 and r.numpy().tolist() == [42., 84.]
    r = tf.maximum(0., [1, -1])
    assert r.dtype == tf.float32 and r.numpy().tolist() == [1., 0.]
    assert tf.add(2, tf.constant(1.5)).dtype == tf.float32   # a tensor still decides
    with pytest.raises(InvalidArgumentError, match="2.5.*int32"):
        tf.add(1, 2.5)


def test_dtype_given_as_tf_enum_number():
    # TF's DataType enum: 1 float32, 3 int32, 9 int64, 18 complex128
    z = tf.zeros(1, 1)
    assert z.dtype == tf.float32 and z.numpy().tolist() == [0.0]
    assert [tf.as_dtype(n) for n in (1, 3, 9, 18)] == [tf.float32, tf.int32, tf.int64,
                                                       tf.complex128]
    assert tf.as_dtype(7) == tf.string   # DT_STRING
    with pytest.raises(TypeError, match="enum"):
        tf.as_dtype(14)   # DT_BFLOAT16


def test_initializer_callables_get_dtype_by_keyword():
    # Keras calls initializers as init(shape, dtype=...): tf.random.normal / tf.zeros work
    tf.random.set_seed(0)
    d = tf.keras.layers.Dense(3, kernel_initializer=tf.random.normal, bias_initializer=tf.zeros)
    y = d(np.ones((1, 2), "float32"))
    assert d.kernel.dtype == tf.float32 and d.kernel.shape == (2, 3)
    np.testing.assert_array_equal(d.bias.numpy(), np.zeros(3, np.float32))
    np.testing.assert_allclose(y.numpy(), d.kernel.numpy().sum(0, keepdims=True), rtol=1e-6)


def test_dense_casts_integer_inputs_to_its_compute_dtype():
    # training-loop guide: uint8 MNIST rows fed straight to Dense (Keras 3's matmul promotes)
    keras = tf.keras
    inputs = keras.Input(shape=(6,))
    model = keras.Model(inputs, keras.layers.Dense(3, name="predictions")(inputs))
    xb = np.random.default_rng(0).integers(0, 255, (4, 6)).astype(np.uint8)
    k, b = [w.numpy() for w in model.weights]
    want = xb.astype(np.float32) @ k + b
    out = model(xb, training=True)
    assert out.dtype == tf.float32
    np.testing.assert_allclose(out.numpy(), want, rtol=1e-5)

    @tf.function
    def step(x):
        with tf.GradientTape() as tape:
            y = tf.reduce_sum(model(x, training=True))
        return y, tape.gradient(y, model.trainable_weights)
    y, (gk, gb) = step(xb)
    np.testing.assert_allclose(float(y), want.sum(), rtol=1e-5)
    np.testing.assert_allclose(gk.numpy(), np.repeat(xb.astype(np.float32).sum(0)[:, None], 3, 1),
                               rtol=1e-6)


def test_leaked_symbolic_tensor_raises_attribute_and_type_error():
    # tf.function guide ("leaking tensors"): TF's graph tensor has no .numpy (AttributeError);
    # graphflow's message says where the tensor was made, and is a TypeError too
    leak = []

    @tf.function
    def f(x):
        leak.append(x * 2.0)
        return x
    f(tf.constant(1.0))
    with pytest.raises(AttributeError, match=r"\.numpy\(\).*symbolic tensor"):
        leak[0].numpy()
    with pytest.raises(TypeError):
        float(leak[0])
