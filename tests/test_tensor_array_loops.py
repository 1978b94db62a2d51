"""A TensorArray filled in a graph loop costs O(rows), not O(rows^2): each write is one
`dynamic_setitem` row write, done in place by the compiled loop (numba backend,
`loop._Emitter.plan_inplace`), its gradient needs no history of the buffer (only linear ops read
it: `control_ops._values_needed`), and the rows `x[i]` a loop reads get their cotangents row by
row (`control_ops._row_read`), not as a full-size accumulator per step.

Values are checked against the eager loop, the numpy executor and central finite differences
(float64); the compiled loops compile in the caller (`sync_compile`), small shapes."""
import numpy as np

import graphflow as tf
from test_loop_lowering import _loops, sync_compile  # noqa: F401 (a fixture)

N, D = 9, 4


def fill(x):
    """Each row of the array: a recurrence over x's rows; a row also rewritten from its
    old value (a read, then a write of the same row: the read must see the old row)."""
    with tf.GradientTape() as t:
        t.watch(x)
        ta = tf.TensorArray(tf.float64, size=N)
        s = tf.zeros([D], tf.float64)
        for i in tf.range(N):
            s = tf.tanh(s + x[i] * x[N - 1 - i])
            ta = ta.write(i, s)
            j = tf.maximum(i - 1, 0)
            ta = ta.write(j, ta.read(j) * 2.0 + s)
        y = tf.reduce_sum(ta.stack() ** 2)
    return y, t.gradient(y, x)


def _fd(xv, eps=1e-6):
    g = np.zeros_like(xv)
    for k in range(xv.size):
        e = np.zeros_like(xv)
        e.flat[k] = eps
        g.flat[k] = (float(fill(tf.constant(xv + e))[0]) -
                     float(fill(tf.constant(xv - e))[0])) / (2 * eps)
    return g


def test_tensor_array_loop_compiled_in_place_matches_eager_numpy_and_fd(sync_compile):
    x = tf.constant(np.random.default_rng(3).normal(size=(N, D)) * 0.5)
    f = tf.function(fill)
    f(x)
    y, g = f(x)
    ye, ge = fill(x)
    yn, gn = tf.function(fill, jit_compile=False)(x)
    for a, b in ((y, ye), (y, yn), (g, ge), (g, gn)):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(g.numpy(), _fd(x.numpy()), rtol=1e-6, atol=1e-7)
    sgs = _loops(f, x)
    assert len(sgs) == 2   # the loop and its reverse loop, both compiled
    for sg in sgs:
        assert sg.loop_lowering.startswith("one compiled loop"), sg.loop_lowering
        assert sum(d.runs for d in sg._drivers.values() if d is not None) >= 1
    fwd = [sg for sg in sgs if any(len(a.shape) == 2 for a in sg.out_avals)][0]
    buf = [j for j, a in enumerate(fwd.out_avals) if tuple(a.shape) == (N, D)]
    assert buf and not set(buf) & set(fwd.record)   # no history of the buffer is kept
    src = [d.source for d in fwd._drivers.values() if d is not None][0]
    assert f"    v{buf[0]} = v{buf[0]}.copy()" in src   # copied once on entry, then in place:
    writes = [ln.strip() for ln in src.splitlines() if "] = " in ln and "H" not in ln]
    assert writes and not any(".copy()" in w for w in writes)


def test_in_place_loop_leaves_the_callers_arrays_alone(sync_compile):
    """The array a TensorArray starts from (unstack of an input) is the loop's initial value:
    written in place inside the compiled loop, the caller's array must stay as it was."""
    @tf.function
    def f(x):
        ta = tf.TensorArray(tf.float32, size=N).unstack(x)
        for i in tf.range(N):
            ta = ta.write(i, ta.read(i) * 3.0 + 1.0)
        return ta.stack(), x + 0.0

    xv = np.arange(N * D, dtype=np.float32).reshape(N, D)
    x = tf.constant(xv)
    for _ in range(3):   # traced, then compiled loop runs: the same results every call
        out, again = f(x)
        np.testing.assert_array_equal(out.numpy(), xv * 3 + 1)
        np.testing.assert_array_equal(again.numpy(), xv)
        np.testing.assert_array_equal(x.numpy(), xv)


def test_batch_major_sequence_read_by_column_gets_row_cotangents(sync_compile):
    """`x[:, t]` (and `x[:, t, :]`) of a batch-major sequence in a tf.range loop: the reverse
    loop carries one (batch, features) cotangent per step, scattered along axis 1 after the
    loop (not a zeros-like-x accumulator per step); values and gradients as eager, the numpy
    executor and finite differences."""
    T, B, F = 6, 2, 3
    rng = np.random.default_rng(7)
    w = tf.constant(rng.normal(size=(F, F)) * 0.4)

    def run(x):
        with tf.GradientTape() as t:
            t.watch(x)
            ta = tf.TensorArray(tf.float64, size=T)
            h = tf.zeros([B, F], tf.float64)
            for i in tf.range(T):
                h = tf.tanh(x[:, i] * 0.5 + h @ w + x[:, T - 1 - i, :])
                ta = ta.write(i, h)
            y = tf.reduce_sum(ta.stack() ** 2)
        return y, t.gradient(y, x)

    x = tf.constant(rng.normal(size=(B, T, F)))
    f = tf.function(run)
    f(x)
    y, g = f(x)
    for ref in (run(x), tf.function(run, jit_compile=False)(x)):
        np.testing.assert_allclose(y.numpy(), ref[0].numpy(), rtol=1e-12)
        np.testing.assert_allclose(g.numpy(), ref[1].numpy(), rtol=1e-12, atol=1e-13)
    xv, eps, fd = x.numpy(), 1e-6, np.zeros((B, T, F))
    for k in range(xv.size):
        e = np.zeros_like(xv)
        e.flat[k] = eps
        fd.flat[k] = (float(run(tf.constant(xv + e))[0]) -
                      float(run(tf.constant(xv - e))[0])) / (2 * eps)
    np.testing.assert_allclose(g.numpy(), fd, rtol=1e-6, atol=1e-7)
    rev = [sg for sg in _loops(f, x) if sg.n_vars > 3][0]   # the reverse loop
    assert not any(tuple(a.shape) == (B, T, F) for a in rev.out_avals[:rev.n_vars])


def test_growing_writes_append_in_place_yet_every_value_stays_immutable():
    """A dynamic_size write just past the end of the latest buffer fills a row of its larger
    storage (amortized O(row) appends); a second write from the same older buffer, or a write
    inside the rows, copies - no value ever changes after it was made."""
    from graphflow.autograph.tensor_array import tensor_array_write
    b0 = tensor_array_write(np.zeros((0, 2), np.float32), 0, np.float32([1, 1]))
    b1 = tensor_array_write(b0, 1, np.float32([2, 2]))
    b2 = tensor_array_write(b1, 2, np.float32([3, 3]))
    assert np.shares_memory(b0.numpy(), b2.numpy())   # (appended in place)
    other = tensor_array_write(b0, 1, np.float32([7, 7]))   # a branch from an older value
    inner = tensor_array_write(b2, 0, np.float32([9, 9]))
    far = tensor_array_write(b2, 6, np.float32([5, 5]))      # skipped rows are zeros
    np.testing.assert_array_equal(b0.numpy(), [[1, 1]])
    np.testing.assert_array_equal(b1.numpy(), [[1, 1], [2, 2]])
    np.testing.assert_array_equal(b2.numpy(), [[1, 1], [2, 2], [3, 3]])
    np.testing.assert_array_equal(other.numpy(), [[1, 1], [7, 7]])
    np.testing.assert_array_equal(inner.numpy(), [[9, 9], [2, 2], [3, 3]])
    np.testing.assert_array_equal(far.numpy(), [[1, 1], [2, 2], [3, 3]] + [[0, 0]] * 3 +
                                  [[5, 5]])
    assert not np.shares_memory(other.numpy(), b1.numpy())
