"""numpy_function inside traced loops (the Actor-Critic tutorial's env_step): output shapes are
learned from the loop's entry values, random draws feeding it stay draws, and a loop gradient
reads the values the forward loop got (no second Python call, no redraw) - TF keeps them too."""
import numpy as np

import graphflow as tf


def test_numpy_function_in_a_tensor_loop_learns_shapes_from_the_entry_values():
    calls = []

    def step(s):
        calls.append(1)
        return (s * 0.5 + 1.0).astype(np.float32), np.int32(len(calls))

    @tf.function
    def run(s0, n):
        ta = tf.TensorArray(tf.int32, size=0, dynamic_size=True)
        s = s0
        for t in tf.range(n):
            s, k = tf.numpy_function(step, [s], Tout=[tf.float32, tf.int32])
            ta = ta.write(t, k)
        return s, ta.stack()

    s, ks = run(tf.constant([2.0, 4.0]), tf.constant(3))
    want = np.array([2.0, 4.0])
    for _ in range(3):
        want = want * 0.5 + 1.0
    np.testing.assert_allclose(s.numpy(), want)
    assert ks.shape == (3,) and list(np.diff(ks.numpy())) == [1, 1]


def test_random_draw_feeding_numpy_function_is_drawn_on_every_call():
    @tf.function
    def f():
        return tf.numpy_function(lambda a: a * 1, [tf.random.normal([3])], tf.float32)
    assert not np.allclose(f().numpy(), f().numpy())


def test_loop_gradient_reads_the_forward_draws_and_python_results():
    calls = []

    def noise(x):
        calls.append(1)
        return np.float32(0.25) * np.ones_like(x)

    def loss(w, seed_run):
        with tf.GradientTape() as tape:
            tape.watch(w)
            y = w
            for _ in tf.range(3):
                u = tf.random.uniform([2])
                y = y * w + u + tf.numpy_function(noise, [y], tf.float32)
            total = tf.reduce_sum(y)
        return total, tape.gradient(total, w)

    w = tf.constant([0.5, 1.5])
    tf.random.set_seed(3)
    want = [t.numpy() for t in loss(w, 0)]          # eager: a Python loop
    n_eager = len(calls)
    assert want[0].shape == () and want[1].shape == (2,)
    f = tf.function(loss)
    tf.random.set_seed(3)
    got = [t.numpy() for t in f(w, 0)]
    # the traced draws are one node's TF stream (seeds (3, 0), as TF: not the eager op seeds),
    # 2 values per iteration: replay them by hand with the gradient they imply
    from graphflow.ops import philox
    y, dy = w.numpy(), np.ones(2, np.float32)
    for k in range(3):
        u = philox.sample("uniform", (3, 0), (512 * k, 0, 0, 0), (2,), "float32")
        y, dy = y * w.numpy() + u + np.float32(0.25), dy * w.numpy() + y
    np.testing.assert_allclose(got[0], y.sum(), rtol=1e-5)
    np.testing.assert_allclose(got[1], dy, rtol=1e-5)
    # a call of the traced function runs `noise` once per iteration, never again for the
    # gradient (its first call also ran it while tracing, to learn its output shape)
    before = len(calls)
    f(w, 0)
    assert n_eager == 3 and len(calls) - before == 3
