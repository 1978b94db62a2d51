"""A compiled while_loop split over batch rows (graphflow/backends/numba/loop_split.py): both
halves run at once and give the unsplit loop's values - RNN layers' forward and reverse time
loops (with masks, input gradients, go_backwards), gradients vs finite differences - and loops
whose rows are not independent are not split and say why.

Compiled in the caller (`sync_compile`); small shared shapes so the numba disk cache serves
reruns."""
import numpy as np
import pytest

import graphflow as tf
from graphflow import control_ops
from graphflow.backends.numba import loop as loop_lowering, loop_split
from graphflow.keras import recurrent as rnn
from test_loop_lowering import _loops
from test_recurrent import loss_and_gradients


@pytest.fixture
def sync_compile(monkeypatch, sync_compile):
    """Loops compiled in the caller (conftest's fixture); the halves always run at once (a
    split loop otherwise measures whether one thread runs it faster on this machine now)."""
    monkeypatch.setenv("GRAPHFLOW_PLAN_THREADS", "multi")


def _compiled(run, args, split=True):
    """run traced and called twice on the numba backend with loop splitting on (or the loops
    run step by step): (the second call's values, the loops' Subgraphs)."""
    old = loop_split.ENABLED, loop_lowering.ENABLED
    loop_split.ENABLED = loop_lowering.ENABLED = split
    try:
        f = tf.function(run)
        f(*args)
        out = [t.numpy() for t in f(*args)]
    finally:
        loop_split.ENABLED, loop_lowering.ENABLED = old
    return out, _loops(f, *args)


def _randomize(layer, rng):
    layer.set_weights([(rng.normal(size=w.shape) * 0.5).astype(w.dtype)
                       for w in layer.get_weights()])


# GRU (go_backwards) here; LSTM's split loops in test_masked_lstm_splits_its_mask_rows (the same
# cell with a mask, against numpy) and whole in test_loop_lowering (against its step-by-step
# loops): a third pair of LSTM loops cost a cold run ~10 s of compiling for no other code path
@pytest.mark.parametrize("cls,kw", [(rnn.GRU, {"go_backwards": True})], ids=["gru-backwards"])
def test_rnn_time_loops_split_over_rows_match_unsplit_and_numpy(cls, kw, sync_compile):
    """Outputs, states and the gradients for the inputs and the weights of a layer with
    return_sequences and return_state (batch 32: two halves of 16 rows): the split compiled
    loops, the loops run step by step and the numpy executor agree."""
    rng = np.random.default_rng(3)
    x = tf.constant(rng.normal(size=(32, 5, 3)).astype(np.float32))
    layer = cls(4, return_sequences=True, return_state=True, **kw)
    layer(x)
    _randomize(layer, rng)
    run = loss_and_gradients(layer, tf.constant(rng.normal(size=(32, 5, 4)).astype(np.float32)))
    got, sgs = _compiled(run, (x,), True)
    assert len(sgs) == 2   # the time loop and its reverse loop, both split
    for sg in sgs:
        assert sg.loop_lowering.startswith("one compiled loop per half of the batch rows "
                                           "(16+16)"), sg.loop_lowering
        (driver,) = [d for d in sg._drivers.values() if d is not None]
        assert all(half.runs >= 1 for half in driver.drivers)
    whole, sgs = _compiled(run, (x,), False)
    assert all(sg.loop_lowering == "loop lowering is off (loop.ENABLED)" for sg in sgs)
    ref = tf.function(run, jit_compile=False)(x)
    for a, b, c in zip(got, whole, ref):   # (the weights' gradients: two partial sums added,
        # float32 rounding relative to the largest of their terms)
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6 * max(1., np.abs(b).max()))
        np.testing.assert_allclose(a, c.numpy(), rtol=2e-5, atol=2e-6 * max(1., np.abs(b).max()))


def test_masked_lstm_splits_its_mask_rows(sync_compile):
    """A mask (a captured stack read row by row, split on its batch axis like the inputs):
    masked steps keep the states, in each half."""
    rng = np.random.default_rng(4)
    x = tf.constant(rng.normal(size=(20, 6, 3)).astype(np.float32))
    lengths = rng.integers(1, 7, size=20)
    mask = tf.constant(np.arange(6)[None, :] < lengths[:, None])
    layer = rnn.LSTM(4, return_sequences=True, return_state=True)
    layer(x)
    _randomize(layer, rng)

    def run(xt):
        with tf.GradientTape() as tape:
            tape.watch(xt)
            out = layer(xt, mask=mask)
            loss = tf.reduce_sum(out[0] ** 2) + tf.reduce_sum(out[2])
        return [loss, *out] + tape.gradient(loss, [xt] + layer.trainable_weights)

    got, sgs = _compiled(run, (x,), True)
    assert all("(10+10)" in sg.loop_lowering for sg in sgs), [sg.loop_lowering for sg in sgs]
    ref = tf.function(run, jit_compile=False)(x)
    for a, c in zip(got, ref):
        np.testing.assert_allclose(a, c.numpy(), rtol=2e-5, atol=2e-6)


def test_split_loop_gradient_matches_finite_differences(sync_compile):
    """d/dw of a float64 tanh recurrence over 33 rows (halves of 16 and 17): the reverse loop's
    partial sums of w's gradient (h^T @ dz per half) add up to the finite differences'."""
    rng = np.random.default_rng(5)
    h0 = rng.normal(size=(33, 3))
    w0 = rng.normal(size=(3, 3)) * 0.7
    r = rng.normal(size=(33, 3))

    def loss(w):   # (a loop of known trip count, as the recurrent layers build theirs)
        _, h = control_ops.build_while(
            lambda t, h: t < 4, lambda t, h: (t + 1, tf.tanh(h @ w) + 0.5 * h),
            [tf.constant(0), tf.constant(h0)], "test", trip_count=4)
        return tf.reduce_sum(h * r)

    def run(w):
        with tf.GradientTape() as t:
            t.watch(w)
            v = loss(w)
        return [v, t.gradient(v, w)]

    (val, g), sgs = _compiled(run, (tf.constant(w0),), True)
    assert any("(16+17)" in sg.loop_lowering for sg in sgs), [sg.loop_lowering for sg in sgs]
    eps, fd = 1e-6, np.zeros_like(w0)
    for i in range(3):
        for j in range(3):
            d = np.zeros_like(w0)
            d[i, j] = eps
            fd[i, j] = (loss(tf.constant(w0 + d)).numpy() -
                        loss(tf.constant(w0 - d)).numpy()) / (2 * eps)
    np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(val, loss(tf.constant(w0)).numpy(), rtol=1e-12)


@pytest.mark.parametrize("body,cond,why", [
    (lambda t, h: (t + 1, h - tf.reduce_max(h, axis=0)), lambda t, h: t < 3,
     "reduces over the batch axis"),
    (lambda t, h: (t + 1, h - tf.tanh(tf.reduce_mean(h, axis=0))), lambda t, h: t < 3,
     "a partial sum combined with other values"),
    (lambda t, h: (t + 1, tf.tanh(tf.matmul(h, h, transpose_b=True))), lambda t, h: t < 3,
     "mixes batch rows"),
    (lambda t, h: (t + 1, h * 0.5), lambda t, h: tf.logical_and(t < 3, tf.reduce_sum(h) < 1e9),
     "a partial sum combined with other values"),
], ids=["batch-max", "batch-mean", "gram", "row-condition"])
def test_loops_mixing_rows_are_not_split_and_say_why(body, cond, why, sync_compile):
    """A body that mixes rows (a mean over the batch, a product across rows) or a condition
    that reads them: one whole compiled loop, the reason in `loop_lowering`, the same values."""
    h0 = tf.constant(np.random.default_rng(6).normal(size=(20, 20)))

    def run(h):
        return [control_ops.build_while(cond, body, [tf.constant(0), h], "test",
                                        trip_count=3)[1]]

    got, (sg,) = _compiled(run, (h0,), True)
    assert sg.loop_lowering.startswith("one compiled loop (rows not split") and \
        why in sg.loop_lowering, sg.loop_lowering
    np.testing.assert_allclose(got[0], run(h0)[0].numpy(), rtol=1e-12)


def test_loop_of_unknown_trip_count_is_not_split(sync_compile):
    """A tf.while_loop whose trip count is known only when it runs (its buffers grow as it
    goes): one whole compiled loop, and it says so."""
    h0 = tf.constant(np.ones((20, 4)))

    def run(h):
        return [tf.while_loop(lambda t, h: t < 3, lambda t, h: (t + 1, h * 0.5),
                              (tf.constant(0), h))[1]]

    got, (sg,) = _compiled(run, (h0,), True)
    assert "trip count is known only at run time" in sg.loop_lowering, sg.loop_lowering
    np.testing.assert_array_equal(got[0], np.full((20, 4), 0.125))
