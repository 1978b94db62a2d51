"""Recurrent layers (graphflow/keras/recurrent.py) against a numpy reference of the Keras 3
equations with the same weights; shapes, parameter counts, summary, gradients, a tiny fit."""
from collections import Counter

import numpy as np
import pytest

import graphflow as tf
from graphflow import keras
from graphflow.keras import recurrent as rnn


def sig(x):
    return 1.0 / (1.0 + np.exp(-x))


def ref_simple(x, k, rk, b, backwards=False):
    h = np.zeros((x.shape[0], rk.shape[0]))
    seq = []
    for t in (range(x.shape[1] - 1, -1, -1) if backwards else range(x.shape[1])):
        h = np.tanh(x[:, t] @ k + h @ rk + b)
        seq.append(h)
    return np.stack(seq, 1), [h]


def ref_lstm(x, k, rk, b, backwards=False):
    u = rk.shape[0]
    h = c = np.zeros((x.shape[0], u))
    seq = []
    for t in (range(x.shape[1] - 1, -1, -1) if backwards else range(x.shape[1])):
        z = x[:, t] @ k + h @ rk + b
        i, f, g, o = sig(z[:, :u]), sig(z[:, u:2 * u]), np.tanh(z[:, 2 * u:3 * u]), sig(z[:, 3 * u:])
        c = f * c + i * g
        h = o * np.tanh(c)
        seq.append(h)
    return np.stack(seq, 1), [h, c]


def ref_gru(x, k, rk, b, backwards=False):
    u = rk.shape[0]
    h = np.zeros((x.shape[0], u))
    seq = []
    for t in (range(x.shape[1] - 1, -1, -1) if backwards else range(x.shape[1])):
        mx = x[:, t] @ k + b[0]
        mh = h @ rk + b[1]
        z = sig(mx[:, :u] + mh[:, :u])
        r = sig(mx[:, u:2 * u] + mh[:, u:2 * u])
        hh = np.tanh(mx[:, 2 * u:] + r * mh[:, 2 * u:])
        h = z * h + (1 - z) * hh
        seq.append(h)
    return np.stack(seq, 1), [h]


CASES = [(rnn.SimpleRNN, ref_simple), (rnn.LSTM, ref_lstm), (rnn.GRU, ref_gru)]


def _randomize(layer, rng):
    """Random (non-default) weights, so every gate and bias position matters."""
    layer.set_weights([rng.normal(0, 0.5, w.shape) for w in layer.get_weights()])


@pytest.mark.parametrize("backwards", [False, True])
@pytest.mark.parametrize("cls,ref", CASES, ids=["simple_rnn", "lstm", "gru"])
def test_outputs_match_numpy_reference(cls, ref, backwards):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 4, 3))
    layer = cls(5, return_sequences=True, return_state=True, go_backwards=backwards,
                dtype="float64")
    layer(x)
    _randomize(layer, rng)
    out = layer(x)
    seq, states = ref(x, *layer.get_weights(), backwards=backwards)
    np.testing.assert_allclose(out[0].numpy(), seq, rtol=1e-12, atol=1e-12)
    assert len(out) == 1 + len(states)
    for got, want in zip(out[1:], states):
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-12, atol=1e-12)
    last = cls(5, go_backwards=backwards, dtype="float64")
    last(x)
    last.set_weights(layer.get_weights())
    np.testing.assert_allclose(last(x).numpy(), seq[:, -1], rtol=1e-12, atol=1e-12)
    # traced (unrolled) graph gives the same values
    traced = tf.function(lambda v: last(v), jit_compile=False)(tf.constant(x))
    np.testing.assert_allclose(traced.numpy(), seq[:, -1], rtol=1e-12, atol=1e-12)


def test_gru_reset_before_matches_reference():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 3, 2))
    layer = rnn.GRU(3, reset_after=False, dtype="float64")
    layer(x)
    _randomize(layer, rng)
    k, rk, b = layer.get_weights()
    assert b.shape == (9,)
    h = np.zeros((2, 3))
    for t in range(3):
        mx = x[:, t] @ k + b
        z = sig(mx[:, :3] + h @ rk[:, :3])
        r = sig(mx[:, 3:6] + h @ rk[:, 3:6])
        hh = np.tanh(mx[:, 6:] + (r * h) @ rk[:, 6:])
        h = z * h + (1 - z) * hh
    np.testing.assert_allclose(layer(x).numpy(), h, rtol=1e-12)
    assert layer.count_params() == 3 * 3 * (2 + 3 + 1)


@pytest.mark.parametrize("cls,count,n_states", [
    (rnn.SimpleRNN, lambda d, u: u * (d + u + 1), 1),
    (rnn.LSTM, lambda d, u: 4 * u * (d + u + 1), 2),
    (rnn.GRU, lambda d, u: 3 * u * (d + u + 2), 1)], ids=["simple_rnn", "lstm", "gru"])
def test_shapes_and_parameter_counts(cls, count, n_states):
    x = tf.ones((3, 7, 6))
    layer = cls(4)
    assert layer(x).shape == (3, 4)
    assert layer.count_params() == count(6, 4)
    seq = cls(4, return_sequences=True)(x)
    assert seq.shape == (3, 7, 4)
    out = cls(4, return_state=True)(x)
    assert isinstance(out, tuple) and len(out) == 1 + n_states   # as Keras 3
    assert all(o.shape == (3, 4) for o in out)
    k = {rnn.SimpleRNN: 4, rnn.LSTM: 16, rnn.GRU: 12}[cls]
    bias = (2, 12) if cls is rnn.GRU else (k,)
    assert [tuple(w.shape) for w in layer.weights] == [(6, k), (4, k), bias]   # Keras layout


def test_keras3_defaults():
    tf.random.set_seed(3)
    layer = rnn.LSTM(3)
    layer(tf.ones((1, 2, 4)))
    k, rk, b = layer.get_weights()
    np.testing.assert_allclose(rk @ rk.T, np.eye(3), atol=1e-5)   # (3, 12): orthonormal rows
    np.testing.assert_array_equal(b, [0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0])   # unit_forget_bias
    limit = np.sqrt(6 / (4 + 12))
    assert np.abs(k).max() <= limit
    assert rnn.LSTM(3).cell.activation is keras.activations.get("tanh")
    assert keras.layers.GRU(2).cell.reset_after
    assert keras.layers.LSTM is rnn.LSTM and keras.layers.SimpleRNNCell is rnn.SimpleRNNCell


def test_initial_state_and_rnn_wrapper_with_custom_cell():
    class MinimalCell(keras.layers.Layer):
        def __init__(self, units, **kw):
            super().__init__(**kw)
            self.units = self.state_size = units

        def build(self, input_shape):
            self.kernel = self.add_weight("kernel", (input_shape[-1], self.units))
            self.built = True

        def call(self, inputs, states):
            h = tf.matmul(inputs, self.kernel) + states[0]
            return h, [h]

    x = np.random.default_rng(2).normal(size=(2, 3, 4)).astype(np.float32)
    layer = rnn.RNN(MinimalCell(2), return_sequences=True)
    out = layer(x, initial_state=[tf.ones((2, 2))])
    k = layer.cell.kernel.numpy()
    np.testing.assert_allclose(out.numpy(), 1 + np.cumsum(x @ k, axis=1), rtol=1e-5)
    assert layer.count_params() == 8


def test_summary_shapes(capsys):
    model = keras.Sequential([keras.Input((5, 3)), rnn.LSTM(4, return_sequences=True),
                              rnn.GRU(2), keras.layers.Dense(1)])
    model.summary()
    text = capsys.readouterr().out
    assert "(None, 5, 4)" in text and "(None, 2)" in text
    assert model.count_params() == 4 * 4 * (3 + 4 + 1) + 3 * 2 * (4 + 2 + 2) + 3
    assert str(model.count_params()) in text


def test_gradient_matches_finite_differences():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(2, 3, 2))
    for cls in (rnn.SimpleRNN, rnn.LSTM, rnn.GRU):
        layer = cls(2, dtype="float64")
        layer(x)
        _randomize(layer, rng)
        xt = tf.constant(x)

        def loss():
            return tf.reduce_sum(layer(xt) ** 2)
        with tf.GradientTape() as tape:
            tape.watch(xt)
            value = loss()
        grads = tape.gradient(value, [xt] + layer.trainable_weights)
        # weights: central differences on the kernel's first entries and the whole bias
        for w, g in zip(layer.trainable_weights, grads[1:]):
            base = w.numpy().copy()
            flat = base.reshape(-1)
            for j in range(min(flat.size, 5)):
                eps = 1e-6
                plus, minus = flat.copy(), flat.copy()
                plus[j] += eps
                minus[j] -= eps
                w.assign(plus.reshape(base.shape))
                fp = loss().numpy()
                w.assign(minus.reshape(base.shape))
                fm = loss().numpy()
                w.assign(base)
                np.testing.assert_allclose(g.numpy().reshape(-1)[j], (fp - fm) / (2 * eps),
                                           rtol=1e-5, atol=1e-8)
        # input
        gx = grads[0].numpy()
        for idx in [(0, 0, 0), (1, 2, 1), (0, 1, 1)]:
            d = np.zeros_like(x)
            d[idx] = 1e-6
            fd = (tf.reduce_sum(layer(tf.constant(x + d)) ** 2).numpy()
                  - tf.reduce_sum(layer(tf.constant(x - d)) ** 2).numpy()) / 2e-6
            np.testing.assert_allclose(gx[idx], fd, rtol=1e-5, atol=1e-8)


def test_second_order_through_traced_lstm():
    """d/dx of (d loss / dx . v), traced: matches finite differences of the first gradient."""
    rng = np.random.default_rng(5)
    x = rng.normal(size=(1, 2, 2))
    layer = rnn.LSTM(2, dtype="float64")
    layer(x)
    _randomize(layer, rng)
    v = rng.normal(size=x.shape)

    def grad(xv):
        xt = tf.constant(xv)
        with tf.GradientTape() as tape:
            tape.watch(xt)
            y = tf.reduce_sum(layer(xt) ** 2)
        return tape.gradient(y, xt)

    @tf.function(jit_compile=False)
    def hvp(xt):
        with tf.GradientTape() as outer:
            outer.watch(xt)
            with tf.GradientTape() as inner:
                inner.watch(xt)
                y = tf.reduce_sum(layer(xt) ** 2)
            g = inner.gradient(y, xt)
            gv = tf.reduce_sum(g * tf.constant(v))
        return outer.gradient(gv, xt)
    got = hvp(tf.constant(x)).numpy()
    eps = 1e-6
    fd = (grad(x + eps * v).numpy() - grad(x - eps * v).numpy()) / (2 * eps)
    np.testing.assert_allclose(got, fd, rtol=1e-5, atol=1e-8)


def test_lstm_model_trains_on_sequence_sign_task():
    """Embedding + LSTM + Dense learns the sign of a sequence's sum of +-1 tokens."""
    tf.random.set_seed(0)
    rng = np.random.default_rng(0)
    tokens = rng.integers(0, 2, size=(128, 5))           # 0 -> -1, 1 -> +1
    y = (tokens.sum(1) * 2 - 5 > 0).astype(np.float32)  # odd length: no ties
    model = keras.Sequential([keras.layers.Embedding(2, 4), rnn.LSTM(8),
                              keras.layers.Dense(1, activation="sigmoid")])
    model.compile(keras.optimizers.Adam(0.05), "binary_crossentropy", metrics=["accuracy"],
                  jit_compile=False)
    hist = model.fit(tokens, y, batch_size=32, epochs=6, verbose=0)
    loss = hist.history["loss"]
    assert loss[-1] < 0.6 * loss[0], loss
    assert hist.history["accuracy"][-1] > 0.8


def loss_and_gradients(layer, r):
    """run(x) -> [loss, *layer(x), d loss / d x, d loss / d weights] for a layer with
    return_sequences and return_state: loss = sum(sequence * r) + sum(last state ** 2) (also
    tests/test_loop_lowering.py's)."""
    def run(xt):
        with tf.GradientTape() as tape:
            tape.watch(xt)
            out = layer(xt)
            loss = tf.reduce_sum(out[0] * r) + tf.reduce_sum(out[-1] ** 2)
        return [loss, *out] + tape.gradient(loss, [xt] + layer.trainable_weights)
    return run


# every cell on the numpy executor; the numba backend's plan on one, SimpleRNN's (the cell
# test_loop_lowering / test_loop_split do not compile; LSTM's and GRU's loops are compiled and
# checked there): a cold run's first call runs while the loops compile in the background, and
# each cell queued a pair of float64 loop kernels (seconds to tens of seconds of the compiler)
@pytest.mark.parametrize("cls,backend", [
    (rnn.SimpleRNN, "numpy"), (rnn.LSTM, "numpy"), (rnn.GRU, "numpy"), (rnn.SimpleRNN, "numba")],
    ids=["simple-numpy", "lstm-numpy", "gru-numpy", "simple-numba"])
def test_traced_time_loop_is_one_while_node_with_eager_values_and_gradients(cls, backend):
    rng = np.random.default_rng(7)
    x = tf.constant(rng.normal(size=(2, 6, 3)))
    layer = cls(4, return_sequences=True, return_state=True, go_backwards=True,
                dtype="float64")
    layer(x)
    _randomize(layer, rng)
    run = loss_and_gradients(layer, tf.constant(rng.normal(size=(2, 6, 4))))

    want = run(x)   # eager: a Python loop over the steps
    f = tf.function(run, jit_compile=False if backend == "numpy" else None)
    got = f(x)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.numpy(), w.numpy(), rtol=1e-10, atol=1e-12)
    graph_ops = [d["op"] for _, d in f.get_concrete_function(x).graph.nodes(data=True)]
    assert "while_loop" in graph_ops
    # not unrolled: the recurrent matmuls are in the loop bodies; outside are only the hoisted
    # input projections (all steps' x_t @ kernel as one matmul) and their gradients
    assert graph_ops.count("matmul") <= 5


def test_lstm_gradient_loop_reads_saved_products_and_joins_the_gate_cotangents():
    """The reverse loop reads the forward loop's x_t @ kernel and h @ recurrent_kernel results
    (loop_saved_read) instead of recomputing them, and joins the four gates' cotangents with one
    concat (no zeros-sized scatter per gate); the gradients equal the eager loop's."""
    rng = np.random.default_rng(3)
    x = tf.constant(rng.normal(size=(3, 5, 2)))
    layer = rnn.LSTM(4, dtype="float64")
    layer(x)
    _randomize(layer, rng)

    def run(xt):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(tf.sin(layer(xt)))
        return tape.gradient(loss, layer.trainable_weights)

    want = run(x)
    # (the numpy executor: the graph is the point here; on numba this test's first call ran
    # on numpy anyway while a cold cache compiled two float64 loops nothing called again)
    f = tf.function(run, jit_compile=False)
    for g, w in zip(f(x), want):
        np.testing.assert_allclose(g.numpy(), w.numpy(), rtol=1e-10, atol=1e-12)
    loops = {id(d["attrs"]["loop"]): d["attrs"]["loop"] for _, d in
             f.get_concrete_function(x).graph.nodes(data=True) if d["op"] == "while_loop"}
    bodies = [Counter(d["op"] for _, d in sg.graphs[1].nx.nodes(data=True))
              for sg in loops.values()]
    fwd, rev = sorted(bodies, key=lambda c: c["loop_saved_read"])
    assert fwd["matmul"] == 2 and rev["loop_saved_read"] == 2
    assert rev["concat"] == 1 and rev["getitem_grad"] == 0
    assert rev["matmul"] <= 4   # dh, the kernels' gradients (and dx): no forward product


def test_lstm_gradient_with_unknown_batch_reads_saved_products_per_shape():
    """One trace with an unknown batch dim serves two batch sizes; the saved products' stacks
    take each call's shape, and the gradients equal the eager loop's."""
    rng = np.random.default_rng(4)
    layer = rnn.LSTM(3, dtype="float64")
    layer(tf.zeros((1, 4, 2), tf.float64))
    _randomize(layer, rng)

    def run(xt):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(layer(xt) ** 2)
        return tape.gradient(loss, layer.trainable_weights)

    f = tf.function(run, input_signature=[tf.TensorSpec((None, 4, 2), tf.float64)],
                    jit_compile=False)   # (numpy executor: see the test above)
    for b in (2, 5):
        x = tf.constant(rng.normal(size=(b, 4, 2)))
        for g, w in zip(f(x), run(x)):
            np.testing.assert_allclose(g.numpy(), w.numpy(), rtol=1e-10, atol=1e-12)
    assert f.experimental_get_tracing_count() == 1


def _ref_masked(cls, x, w, dp, rdp):
    """The Keras 3 step equations with the input mask on x_t and the recurrent mask on the h that
    multiplies the recurrent kernel (the same masks at every step)."""
    k, rk, b = w
    u = rk.shape[0]
    h = c = np.zeros((x.shape[0], u))
    seq = []
    for t in range(x.shape[1]):
        xt, hr = x[:, t] * dp, h * rdp
        if cls is rnn.LSTM:
            z = xt @ k + hr @ rk + b
            i, f, g, o = (sig(z[:, :u]), sig(z[:, u:2 * u]), np.tanh(z[:, 2 * u:3 * u]),
                          sig(z[:, 3 * u:]))
            c = f * c + i * g
            h = o * np.tanh(c)
        else:
            mx, mh = xt @ k + b[0], hr @ rk + b[1]
            z = sig(mx[:, :u] + mh[:, :u])
            r = sig(mx[:, u:2 * u] + mh[:, u:2 * u])
            h = z * h + (1 - z) * np.tanh(mx[:, 2 * u:] + r * mh[:, 2 * u:])
        seq.append(h)
    return np.stack(seq, 1)


@pytest.mark.parametrize("traced", [False, True])
@pytest.mark.parametrize("cls", [rnn.LSTM, rnn.GRU], ids=["lstm", "gru"])
def test_dropout_and_recurrent_dropout_masks_follow_keras(cls, traced):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(16, 5, 3))
    layer = cls(4, dropout=0.5, recurrent_dropout=0.25, return_sequences=True, dtype="float64",
                seed=1)
    plain = cls(4, return_sequences=True, dtype="float64")
    layer(x), plain(x)
    _randomize(layer, rng)
    plain.set_weights(layer.get_weights())
    seen = []
    make = layer.cell.make_masks

    def record(*a):
        make(*a)
        seen.append(layer.cell.masks)
    layer.cell.make_masks = record

    def call(v):   # the output and this call's masks (graph values when traced)
        out = layer(v, training=True)
        return [out] + list(seen[-1])
    if traced:
        call = tf.function(call, jit_compile=False)
    out, dp, rdp = [t.numpy() for t in call(tf.constant(x))]
    assert dp.shape == (16, 3) and rdp.shape == (16, 4)
    assert set(np.unique(dp)) <= {0.0, 2.0} and set(np.unique(rdp)) <= {0.0, 1 / 0.75}
    assert 0.2 < (dp == 0).mean() < 0.8 and 0.0 < (rdp == 0).mean() < 0.6
    np.testing.assert_allclose(out, _ref_masked(cls, x, layer.get_weights(), dp, rdp),
                               rtol=1e-12, atol=1e-12)
    # inference (training=False, the default) ignores dropout; masks never leak out of a call
    np.testing.assert_allclose(layer(x).numpy(), plain(x).numpy(), rtol=1e-12)
    assert layer.cell.masks == (None, None)
    assert layer.get_config()["dropout"] == 0.5 and layer.get_config()["recurrent_dropout"] == 0.25


def _ref_lstm_masked(x, m, k, rk, b, zero_output=False):
    """ref_lstm where a False mask entry keeps the states and repeats the previous output."""
    u = rk.shape[0]
    h = c = out = np.zeros((x.shape[0], u))
    seq = []
    for t in range(x.shape[1]):
        z = x[:, t] @ k + h @ rk + b
        i, f, g, o = sig(z[:, :u]), sig(z[:, u:2 * u]), np.tanh(z[:, 2 * u:3 * u]), sig(z[:, 3 * u:])
        c_new = f * c + i * g
        h_new = o * np.tanh(c_new)
        mt = m[:, t:t + 1]
        h, c = np.where(mt, h_new, h), np.where(mt, c_new, c)
        out = np.where(mt, h_new, 0. if zero_output else out)
        seq.append(out)
    return np.stack(seq, 1), h, c


@pytest.mark.parametrize("zero_output", [False, True])
@pytest.mark.parametrize("traced", [False, True])
def test_lstm_mask_argument_keeps_states_on_masked_steps(traced, zero_output):
    rng = np.random.default_rng(11)
    x = rng.normal(size=(3, 5, 2))
    m = np.array([[1, 1, 1, 0, 0], [0, 0, 1, 1, 1], [1, 0, 1, 0, 1]], bool)
    layer = rnn.LSTM(4, return_sequences=True, return_state=True, dtype="float64",
                     zero_output_for_mask=zero_output)
    layer(x)
    _randomize(layer, rng)
    call = lambda v, mm: layer(v, mask=mm)   # noqa: E731
    if traced:
        call = tf.function(call, jit_compile=False)
    seq, h, c = [t.numpy() for t in call(tf.constant(x), tf.constant(m))]
    want = _ref_lstm_masked(x, m, *layer.get_weights(), zero_output=zero_output)
    for got, w in zip((seq, h, c), want):
        np.testing.assert_allclose(got, w, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("first", ["embedding", "masking"])
def test_padded_sequences_in_sequential_give_the_unpadded_result(first):
    """Keras' promise: with Embedding(mask_zero=True) or Masking, padding does not change the
    result (right padding: the last state is that of the last real step; left padding: the
    initial zero state is carried over the pads)."""
    rng = np.random.default_rng(2)
    tokens = np.array([[3, 1, 4, 0, 0, 0], [0, 0, 2, 7, 1, 8], [5, 9, 2, 6, 5, 3]])
    if first == "embedding":
        front = [keras.layers.Embedding(10, 3, mask_zero=True)]
    else:
        table = rng.normal(size=(10, 3))
        table[0] = 0.
        front = [keras.layers.Lambda(lambda t: tf.gather(tf.constant(table), t)),
                 rnn.Masking(0.0)]
    model = keras.Sequential(front + [rnn.GRU(4), keras.layers.Dense(1)])
    model(tokens)
    out = model(tokens).numpy()
    np.testing.assert_allclose(model.predict(tokens, verbose=0), out, rtol=1e-5)   # traced
    for row, real in ((0, [3, 1, 4]), (1, [2, 7, 1, 8]), (2, list(tokens[2]))):
        alone = model(np.array([real])).numpy()
        np.testing.assert_allclose(out[row], alone[0], rtol=1e-5, atol=1e-6)
    assert not np.allclose(model(np.array([[3, 1, 4, 2, 2, 2]])).numpy(), out[0])   # not masked


def test_bidirectional_concat_and_merge_modes_match_two_references():
    rng = np.random.default_rng(9)
    x = rng.normal(size=(2, 4, 3))
    bi = rnn.Bidirectional(rnn.LSTM(5, return_sequences=True, dtype="float64"))
    bi(x)
    _randomize(bi, rng)
    w = bi.get_weights()
    assert len(w) == 6 and bi.count_params() == 2 * 4 * 5 * (3 + 5 + 1)
    assert bi.forward_layer.name.startswith("forward_") and \
        bi.backward_layer.name.startswith("backward_")
    fw, _ = ref_lstm(x, *w[:3])
    bw, _ = ref_lstm(x, *w[3:], backwards=True)
    bw = bw[:, ::-1]   # back in time order
    np.testing.assert_allclose(bi(x).numpy(), np.concatenate([fw, bw], -1), rtol=1e-12)
    traced = tf.function(lambda v: bi(v), jit_compile=False)(tf.constant(x))
    np.testing.assert_allclose(traced.numpy(), np.concatenate([fw, bw], -1), rtol=1e-12)
    for mode, f in (("sum", np.add), ("mul", np.multiply), ("ave", lambda a, b: (a + b) / 2)):
        other = rnn.Bidirectional(rnn.LSTM(5, return_sequences=True, dtype="float64"),
                                  merge_mode=mode)
        other(x)
        other.set_weights(w)
        np.testing.assert_allclose(other(x).numpy(), f(fw, bw), rtol=1e-12)
    last = rnn.Bidirectional(rnn.GRU(2, return_state=True, dtype="float64"), merge_mode=None)
    out_f, out_b, h_f, h_b = last(x)
    np.testing.assert_allclose(out_f.numpy(), h_f.numpy())
    np.testing.assert_allclose(out_b.numpy(), h_b.numpy())
    np.testing.assert_allclose(h_f.numpy(), ref_gru(x, *last.get_weights()[:3])[1][0],
                               rtol=1e-12)
    np.testing.assert_allclose(h_b.numpy(), ref_gru(x, *last.get_weights()[3:],
                                                    backwards=True)[1][0], rtol=1e-12)
    with pytest.raises(ValueError, match="merge_mode"):
        rnn.Bidirectional(rnn.LSTM(2), merge_mode="max")


def test_bidirectional_trains_with_masked_embeddings():
    tf.random.set_seed(1)
    rng = np.random.default_rng(1)
    lengths = rng.integers(2, 7, size=96)
    tokens = np.zeros((96, 6), np.int64)
    for i, n in enumerate(lengths):
        tokens[i, :n] = rng.integers(1, 3, size=n)   # 1 -> -1, 2 -> +1, 0 = padding
    y = ((2 * tokens - 3) * (tokens > 0)).sum(1) > 0
    model = keras.Sequential([keras.layers.Embedding(3, 4, mask_zero=True),
                              rnn.Bidirectional(rnn.LSTM(6)),
                              keras.layers.Dense(1, activation="sigmoid")])
    model.compile(keras.optimizers.Adam(0.05), "binary_crossentropy", metrics=["accuracy"],
                  jit_compile=False)
    hist = model.fit(tokens, y.astype(np.float32), batch_size=32, epochs=8, verbose=0)
    assert hist.history["loss"][-1] < 0.6 * hist.history["loss"][0], hist.history["loss"]


@pytest.mark.parametrize("traced", [False, True])
def test_stateful_lstm_continues_from_the_previous_call(traced):
    rng = np.random.default_rng(21)
    x = rng.normal(size=(2, 6, 3))
    whole = rnn.LSTM(4, return_sequences=True, dtype="float64")
    whole(x)
    _randomize(whole, rng)
    layer = rnn.LSTM(4, return_sequences=True, stateful=True, dtype="float64")
    layer(x[:, :3])
    layer.set_weights(whole.get_weights())
    layer.reset_state()
    assert len(layer.weights) == 3 and [tuple(v.shape) for v in layer.states] == [(2, 4)] * 2
    call = tf.function(lambda v: layer(v), jit_compile=False) if traced else layer
    first = call(tf.constant(x[:, :3])).numpy()
    second = call(tf.constant(x[:, 3:])).numpy()
    want = whole(x).numpy()
    np.testing.assert_allclose(np.concatenate([first, second], 1), want, rtol=1e-12)
    np.testing.assert_allclose(layer.states[0].numpy(), want[:, -1], rtol=1e-12)
    layer.reset_state()
    np.testing.assert_allclose(call(tf.constant(x[:, :3])).numpy(), want[:, :3], rtol=1e-12)
    assert layer.get_config()["stateful"] is True
    with pytest.raises(ValueError, match="stateful=True needs a static batch size"):
        rnn.LSTM(2, stateful=True).build((None, 3, 2))


@pytest.mark.parametrize("traced", [False, True])
def test_stacked_cells_equal_the_layers_one_after_the_other(traced):
    rng = np.random.default_rng(8)
    x = rng.normal(size=(2, 5, 3))
    stacked = rnn.RNN([rnn.LSTMCell(4, dtype="float64"), rnn.GRUCell(3, dtype="float64")],
                      return_sequences=True, return_state=True, dtype="float64")
    stacked(x)
    _randomize(stacked, rng)
    w = stacked.get_weights()
    assert len(w) == 6 and isinstance(stacked.cell, rnn.StackedRNNCells)
    call = tf.function(lambda v: stacked(v), jit_compile=False) if traced else stacked
    seq, (h1, c1), h2 = tf.nest.map_structure(lambda t: t.numpy(), call(tf.constant(x)))
    # (Keras 3's structure: one entry per cell, the LSTM's [h, c] a list)
    mid, (h1_ref, c1_ref) = ref_lstm(x, *w[:3])
    want, (h2_ref,) = ref_gru(mid, *w[3:])
    for got, ref in ((seq, want), (h1, h1_ref), (c1, c1_ref), (h2, h2_ref)):
        np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-12)


def test_recurrent_models_save_and_load_as_keras_files(tmp_path):
    rng = np.random.default_rng(4)
    x = rng.normal(size=(3, 5, 2)).astype(np.float32)
    x[0, 3:] = 0.0   # padding, masked
    model = keras.Sequential([
        rnn.Masking(0.0),
        rnn.Bidirectional(rnn.LSTM(4, return_sequences=True, dropout=0.1)),
        rnn.Bidirectional(rnn.GRU(3, reset_after=False), merge_mode="sum"),
        keras.layers.Dense(1)])
    want = model(x).numpy()
    cfg = model.layers[1].get_config()
    assert cfg["merge_mode"] == "concat" and cfg["layer"]["class_name"] == "LSTM"
    assert cfg["backward_layer"]["config"]["go_backwards"] is True
    lstm_cfg = cfg["layer"]["config"]
    assert "cell" not in lstm_cfg and lstm_cfg["dropout"] == 0.1 and lstm_cfg["units"] == 4
    path = str(tmp_path / "rnn.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    np.testing.assert_array_equal(loaded(x).numpy(), want)
    assert [type(l).__name__ for l in loaded.layers] == ["Masking", "Bidirectional",
                                                         "Bidirectional", "Dense"]
    assert loaded.layers[2].merge_mode == "sum" and not loaded.layers[2].forward_layer.cell.reset_after


def test_functional_model_propagates_the_embedding_mask():
    tokens = np.array([[4, 2, 0, 0], [1, 3, 3, 2]])
    inp = keras.Input((4,), dtype="int32")
    h = keras.layers.Embedding(5, 3, mask_zero=True)(inp)
    h = keras.layers.Dropout(0.5)(h)            # passes the mask on
    out = keras.layers.Dense(1)(rnn.LSTM(3)(h))
    model = keras.Model(inp, out)
    got = model(tokens).numpy()
    np.testing.assert_allclose(got[0], model(tokens[:1, :2]).numpy()[0], rtol=1e-5, atol=1e-6)
    assert not np.allclose(got[0], model(np.array([[4, 2, 1, 1]])).numpy()[0])


def test_rnn_in_a_function_generalized_over_the_time_axis():
    """reduce_retracing generalizes the time axis to a symbolic dim after the second length:
    the layer's time loop reads its trip count when the graph runs (was: a Dim compared as a
    number), equal to the eager layer at every length."""
    gru = keras.layers.GRU(4, return_sequences=True)
    gru(np.zeros((1, 2, 3), "float32"))

    @tf.function(reduce_retracing=True)
    def f(x):
        return gru(x)

    for steps in [2, 3, 5]:
        x = np.random.default_rng(steps).normal(size=(2, steps, 3)).astype("float32")
        np.testing.assert_allclose(f(x).numpy(), gru(x).numpy(), rtol=1e-5, atol=1e-6)
    assert f.experimental_get_tracing_count() == 2


def test_dense_after_an_rnn_over_unknown_batch_and_time():
    """input_signature (None, None, 3): the Dense on the GRU's rank-3 output reshapes its
    product back with the input's run-time sizes (was: the product's flattened size read as the
    time axis - 'cannot reshape 12 values into (2, 4, 3)')."""
    gru, dense = keras.layers.GRU(4, return_sequences=True), keras.layers.Dense(3)
    dense(gru(np.zeros((1, 2, 3), "float32")))

    @tf.function(input_signature=[tf.TensorSpec([None, None, 3])])
    def f(x):
        return dense(gru(x))

    for steps in [2, 5]:
        x = np.random.default_rng(steps).normal(size=(2, steps, 3)).astype("float32")
        np.testing.assert_allclose(f(x).numpy(), dense(gru(x)).numpy(), rtol=1e-5, atol=1e-6)


def test_fit_over_batches_of_varying_length_traces_twice():
    """Keras 3 makes its train function with reduce_retracing=True: batches padded to each
    batch's longest sequence run on one generalized trace after the second length (was a trace
    and a compile per length), with the same losses as eager steps."""
    def model(traced):
        keras.utils.set_random_seed(0)
        inp = keras.Input((None,), dtype="int32")
        h = keras.layers.Embedding(30, 8, mask_zero=True)(inp)
        h = keras.layers.GRU(6, return_sequences=True)(h)
        m = keras.Model(inp, keras.layers.Dense(30)(h))
        m.compile("sgd", keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  run_eagerly=not traced)
        return m

    rng = np.random.default_rng(0)
    batches = [rng.integers(0, 30, size=(4, n)).astype("int32") for n in (3, 5, 4, 6)]
    losses = {}
    for traced in (True, False):
        m = model(traced)
        losses[traced] = [float(m.train_on_batch(b, b)) for b in batches]
    np.testing.assert_allclose(losses[True], losses[False], rtol=1e-5)
    m = model(True)
    for b in batches:
        m.train_on_batch(b, b)
    assert m.train_function.experimental_get_tracing_count() == 2
