"""tf.nn.nce_loss / sampled_softmax_loss / compute_accidental_hits and tf.space_to_batch_nd /
batch_to_space / required_space_to_batch_paddings against the values TF 2.21 printed for the
same inputs; gradients against TF's and against finite differences; inside @function."""
import numpy as np
import pytest

import graphflow as tf


def _data():
    rng = np.random.default_rng(0)
    W = rng.normal(size=(10, 4)).astype("float32")
    b = rng.normal(size=(10,)).astype("float32")
    x = rng.normal(size=(3, 4)).astype("float32")
    labels = np.array([[1, 2], [3, 4], [5, 1]], np.int64)
    te = np.array([[0.17260243, 0.5642659], [0.3389569, 0.6375959], [0.25961235, 0.8536905]],
                  np.float32)
    se = np.array([0.39208815, 0.18439622, 0.6032865, 0.8417236], np.float32)
    sv = (tf.constant([1, 7, 3, 9], tf.int64), tf.constant(te), tf.constant(se))
    return W, b, x, labels, sv


def test_sampled_losses_match_tf():
    W, b, x, labels, sv = _data()
    kw = dict(num_sampled=4, num_classes=10, num_true=2, sampled_values=sv)
    np.testing.assert_allclose(tf.nn.nce_loss(W, b, labels, x, **kw).numpy(),
                               [12.271402, 18.247955, 14.007963], rtol=1e-5)
    np.testing.assert_allclose(tf.nn.sampled_softmax_loss(W, b, labels, x, **kw).numpy(),
                               [1.2039920, 2.4421308, 5.6744685], rtol=1e-5)
    np.testing.assert_allclose(
        tf.nn.nce_loss(W, b, labels, x, remove_accidental_hits=True, **kw).numpy(),
        [9.749893, 15.055571, 12.569021], rtol=1e-5)
    one = tf.nn.sampled_softmax_loss(W, b, labels[:, :1], x, 4, 10, num_true=1,
                                     sampled_values=(sv[0], sv[1][:, :1], sv[2]),
                                     remove_accidental_hits=False)
    np.testing.assert_allclose(one.numpy(), [1.0122244, 1.7380993, 5.7931685], rtol=1e-5)


def test_sampled_losses_gradients_match_tf_and_trace():
    W, b, x, labels, sv = _data()
    Wv, xv = tf.Variable(W), tf.Variable(x)
    with tf.GradientTape(persistent=True) as t:
        s1 = tf.reduce_sum(tf.nn.nce_loss(Wv, b, labels, xv, 4, 10, 2, sampled_values=sv))
        s2 = tf.reduce_sum(tf.nn.sampled_softmax_loss(Wv, b, labels, xv, 4, 10, 2,
                                                      sampled_values=sv))
    np.testing.assert_allclose(t.gradient(s1, xv).numpy()[0],
                               [-3.406383, -0.11523637, 0.5686481, 2.085494], rtol=1e-5)
    gW = tf.convert_to_tensor(t.gradient(s2, Wv)).numpy()
    np.testing.assert_allclose(gW[[0, 6, 8]], 0)                       # never looked up
    np.testing.assert_allclose(gW[1], [-0.00637525, 0.724753, 0.3922966, 0.735533],
                               rtol=1e-4, atol=1e-6)
    f = tf.function(lambda w, v: tf.nn.sampled_softmax_loss(w, b, labels, v, 4, 10, 2,
                                                            sampled_values=sv))
    np.testing.assert_allclose(f(W, x).numpy(), [1.2039920, 2.4421308, 5.6744685], rtol=1e-5)


def test_default_sampler_runs_and_hits_are_found():
    W, b, x, labels, _ = _data()
    loss = tf.nn.sampled_softmax_loss(W, b, labels, x, num_sampled=5, num_classes=10,
                                      num_true=2)
    assert loss.shape == (3,) and np.isfinite(loss.numpy()).all()
    i, ids, w = tf.nn.compute_accidental_hits(labels, [1, 7, 3, 9], 2)
    assert i.numpy().tolist() == [0, 1, 2] and ids.numpy().tolist() == [0, 2, 0]
    assert np.all(w.numpy() == -np.finfo(np.float32).max)


def test_space_to_batch_matches_tf_and_inverts():
    y = tf.space_to_batch(np.arange(16.).reshape(1, 4, 4, 1), [2, 2], [[0, 0], [0, 0]])
    assert y.numpy()[..., 0].tolist() == [[[0, 2], [8, 10]], [[1, 3], [9, 11]],
                                          [[4, 6], [12, 14]], [[5, 7], [13, 15]]]
    x = np.arange(2 * 3 * 5 * 2.).reshape(2, 3, 5, 2)
    y = tf.space_to_batch_nd(x, [2, 3], [[1, 0], [0, 1]])
    assert y.shape == (12, 2, 2, 2)
    assert y.numpy().ravel()[:20].tolist() == [0, 0, 0, 0, 10, 11, 16, 17, 0, 0, 0, 0, 40, 41,
                                               46, 47, 0, 0, 0, 0]
    np.testing.assert_array_equal(tf.batch_to_space(y, [2, 3], [[1, 0], [0, 1]]).numpy(), x)
    p, c = tf.required_space_to_batch_paddings([5, 7], [2, 3], base_paddings=[[1, 1], [0, 2]])
    assert p.numpy().tolist() == [[1, 2], [0, 2]] and c.numpy().tolist() == [[0, 1], [0, 0]]
    with pytest.raises(tf.errors.InvalidArgumentError, match="space_to_batch_nd.*divisible"):
        tf.space_to_batch(np.zeros((1, 5, 1)), [2], [[0, 0]])


def test_space_to_batch_gradients_first_and_second_order():
    rng = np.random.default_rng(1)
    x = tf.constant(rng.normal(size=(2, 3, 4, 1)))
    w = tf.constant(rng.normal(size=(8, 2, 3, 1)))

    def f(v):
        y = tf.space_to_batch_nd(v, [2, 2], [[1, 0], [1, 1]])
        z = tf.batch_to_space(y * y * w, [2, 2], [[1, 0], [1, 1]])
        return tf.reduce_sum(z * v)
    with tf.GradientTape() as t2:
        t2.watch(x)
        with tf.GradientTape() as t1:
            t1.watch(x)
            out = f(x)
        g = t1.gradient(out, x)
        gs = tf.reduce_sum(g * g)
    h = t2.gradient(gs, x).numpy()
    eps, xv = 1e-6, x.numpy()
    e = np.zeros_like(xv)
    e[1, 2, 3, 0] = eps
    fd = (float(f(tf.constant(xv + e))) - float(f(tf.constant(xv - e)))) / (2 * eps)
    np.testing.assert_allclose(g.numpy()[1, 2, 3, 0], fd, rtol=1e-6)

    def gsum(v):
        with tf.GradientTape() as t:
            t.watch(v)
            o = f(v)
        return float(tf.reduce_sum(t.gradient(o, v) ** 2))
    fd2 = (gsum(tf.constant(xv + e)) - gsum(tf.constant(xv - e))) / (2 * eps)
    np.testing.assert_allclose(h[1, 2, 3, 0], fd2, rtol=1e-5)
