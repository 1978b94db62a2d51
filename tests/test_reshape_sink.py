"""simplify: an elementwise op of a reshape's output whose other operands vary only along the
trailing dims the reshape keeps (a bias, a scalar) runs before the reshape, on its input (a Keras
Dense layer on a rank-3 input: reshape(matmul) + b, relu -> the product's epilogue). Values and
gradients equal the traced graph's (numpy executor) and numpy's, with static and unknown batch."""
import numpy as np

import graphflow as tf
from graphflow.backends.numpy_exec import NumpyPlan
from graphflow.graph import verify

RS = np.random.RandomState(0)
X = RS.randn(4, 5, 6).astype(np.float32)
W = RS.randn(6, 7).astype(np.float32)
B = RS.randn(7).astype(np.float32)


def _ops_reading(graph, op):
    """{op name of each node reading an `op` node}."""
    g = graph.nx
    return {g.nodes[v]["op"] for n, d in g.nodes(data=True) if d["op"] == op
            for v in g.successors(n)}


def dense3(x, w, b):
    n = tf.shape(x)[0]
    h = tf.reshape(tf.matmul(tf.reshape(x, (-1, 6)), w), (n, 5, 7))
    return tf.nn.relu(h + b) * 2.0


def test_bias_and_activation_move_before_the_reshape():
    f = tf.function(dense3, jit_compile=False)
    cf = f.get_concrete_function(X, W, B)
    opt = cf.stages[-1][1]
    verify(opt)
    assert _ops_reading(opt, "matmul") == {"add"}         # was: the reshape
    ref = NumpyPlan(cf.traced).run([X, W, B])[0]
    got = NumpyPlan(opt).run([X, W, B])[0]
    want = np.maximum((X.reshape(20, 6) @ W).reshape(4, 5, 7) + B, 0) * 2
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(got, ref)


def test_compiled_gradients_with_unknown_batch_equal_numpy():
    spec = [tf.TensorSpec((None, 5, 6), tf.float32), tf.TensorSpec((6, 7), tf.float32),
            tf.TensorSpec((7,), tf.float32)]

    def loss_grads(x, w, b):
        with tf.GradientTape() as t:
            t.watch([w, b])
            loss = tf.reduce_sum(tf.sin(dense3(x, w, b)))
        return [loss] + t.gradient(loss, [w, b])
    fc = tf.function(loss_grads, input_signature=spec)
    fn = tf.function(loss_grads, input_signature=spec, jit_compile=False)
    for batch in (4, 3):
        x = X[:batch]
        h = (x.reshape(-1, 6) @ W).reshape(batch, 5, 7) + B
        y = np.maximum(h, 0) * 2
        dh = np.cos(y) * 2 * (h > 0)
        want = [np.sin(y).sum(), x.reshape(-1, 6).T @ dh.reshape(-1, 7), dh.sum((0, 1))]
        for f in (fc, fn):
            got = [np.asarray(v) for v in f(x, W, B)]
            for g_, w_ in zip(got, want):
                np.testing.assert_allclose(g_, w_, rtol=1e-4, atol=1e-4)


def test_operands_along_a_split_dim_keep_the_reshape():
    c = RS.randn(5, 1).astype(np.float32)       # varies along a dim the reshape splits off
    o = RS.randn(1, 1, 7).astype(np.float32)    # leading 1s: reshaped to (7,) before it

    def f(x, w, b, c, o):
        h = tf.reshape(tf.matmul(tf.reshape(x, (20, 6)), w), (4, 5, 7))
        return (h + o) * c + b
    tfn = tf.function(f, jit_compile=False)
    cf = tfn.get_concrete_function(X, W, B, c, o)
    opt = cf.stages[-1][1]
    verify(opt)
    assert _ops_reading(opt, "matmul") == {"add"}
    want = ((X.reshape(20, 6) @ W).reshape(4, 5, 7) + o) * c + B
    for g in (cf.traced, opt):
        np.testing.assert_allclose(NumpyPlan(g).run([X, W, B, c, o])[0], want, rtol=1e-5,
                                   atol=1e-5)
    np.testing.assert_allclose(tf.function(f)(X, W, B, c, o), want, rtol=1e-5, atol=1e-5)


def test_reshape_of_a_parameter_is_left_alone():
    def f(x, b):
        return tf.reshape(x, (20, 6)) + b[:6]
    cf = tf.function(f, jit_compile=False).get_concrete_function(X, B)
    assert _ops_reading(cf.stages[-1][1], "parameter") >= {"reshape"}
