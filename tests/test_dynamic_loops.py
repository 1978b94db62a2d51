"""Issue 11: TensorArrays that grow inside graph loops (`dynamic_size=True`), value-dependent
shapes inside @function (`tf.zeros([n])`, `tf.range(n)`, ... with a traced n) and
`tf.while_loop(shape_invariants=...)`: eagerly, on the numpy executor and on numba, against
TF 2.21's results (computed with TF, quoted below), the eager run and finite differences."""
import numpy as np
import pytest

import graphflow as tf
from graphflow.errors import InvalidArgumentError

MODES = [pytest.param(False, id="numpy"), pytest.param(None, id="numba")]   # jit_compile


def fib(n):   # TF's TensorArray docstring, with n a tensor
    ta = tf.TensorArray(tf.float32, size=0, dynamic_size=True)
    ta = ta.unstack([0., 1.])
    for i in range(2, n):
        ta = ta.write(i, ta.read(i - 1) + ta.read(i - 2))
    return ta.stack()


SHAPES = []


def squares(n):   # collecting values in a loop whose length is an argument
    ta = tf.TensorArray(tf.float32, size=0, dynamic_size=True)
    for i in tf.range(n):
        ta = ta.write(i, tf.cast(i, tf.float32) ** 2)
    SHAPES.append(tuple(ta.stack().shape))
    return ta.stack(), ta.size()


def dynamic_rnn(input_data, initial_state):   # the tf.function guide's RNN, any sequence length
    input_data = tf.transpose(input_data, [1, 0, 2])
    states = tf.TensorArray(input_data.dtype, size=0, dynamic_size=True)
    state = initial_state
    for i in tf.range(tf.shape(input_data)[0]):
        state = input_data[i] + state
        states = states.write(i, state)
    return tf.transpose(states.stack(), [1, 0, 2])


def rnn_loss(x):   # a growing array written twice at some steps (under a tensor `if`)
    n = tf.shape(x)[0]
    ta = tf.TensorArray(x.dtype, size=0, dynamic_size=True)
    s = tf.zeros([3], x.dtype)
    for i in tf.range(n):
        s = tf.tanh(s + x[i])
        ta = ta.write(i, s)
        if tf.reduce_sum(s) > 0.5:
            ta = ta.write(i, s * 2.0)
    st = ta.stack()
    return tf.reduce_sum(st * st * tf.range(1., tf.cast(n, x.dtype) + 1.)[:, None])


X = np.arange(12.).reshape(4, 3) * 0.1
# TF 2.21: tf.function(rnn_loss)(X as float32) and its gradient
TF_LOSS = 71.83671
TF_GRAD = np.array([[13.938069, 11.70699, 9.374038], [13.938069, 11.625114, 9.359275],
                    [10.569581, 7.3875713, 5.055236], [4.3504486, 3.018435, 2.237048]])


def _grad(f, x):
    with tf.GradientTape() as t:
        t.watch(x)
        y = f(x)
    return y, t.gradient(y, x)


@pytest.mark.parametrize("jit", MODES)
def test_fibonacci_with_a_tensor_bound_grows_the_array(jit):
    want = [0., 1., 1., 2., 3., 5., 8.]   # TF 2.21
    np.testing.assert_array_equal(fib(7).numpy(), want)
    f = tf.function(fib, jit_compile=jit)
    np.testing.assert_array_equal(f(tf.constant(7)).numpy(), want)
    np.testing.assert_array_equal(f(tf.constant(4)).numpy(), want[:4])


@pytest.mark.parametrize("jit", MODES)
def test_collected_values_have_a_run_time_length(jit):
    SHAPES.clear()
    f = tf.function(squares, jit_compile=jit)
    st, size = f(tf.constant(4))
    np.testing.assert_array_equal(st.numpy(), [0., 1., 4., 9.])   # TF 2.21
    assert int(size) == 4
    st, size = f(tf.constant(0))   # the same trace: an empty array
    assert st.shape == (0,) and int(size) == 0
    assert SHAPES == [(None,)]     # one trace; TF's static shape of the stack
    st, size = squares(tf.constant(3))
    np.testing.assert_array_equal(st.numpy(), [0., 1., 4.])


@pytest.mark.parametrize("jit", MODES)
def test_dynamic_rnn_over_sequences_of_any_length(jit):
    f = tf.function(dynamic_rnn, jit_compile=jit,
                    input_signature=[tf.TensorSpec([2, None, 4]), tf.TensorSpec([2, 4])])
    rng = np.random.default_rng(0)
    for t in (3, 5):
        x = tf.constant(rng.random((2, t, 4), np.float32))
        y = f(x, tf.zeros([2, 4]))
        np.testing.assert_allclose(y.numpy(), np.cumsum(x.numpy(), 1), rtol=1e-6)
        np.testing.assert_allclose(dynamic_rnn(x, tf.zeros([2, 4])).numpy(), y.numpy())
        # loss sum(y^2): d/dx_t = 2 * sum over s >= t of y_s
        _, g = _grad(lambda x: tf.reduce_sum(f(x, tf.zeros([2, 4])) ** 2), x)
        want = 2 * np.cumsum(y.numpy()[:, ::-1], 1)[:, ::-1]
        np.testing.assert_allclose(g.numpy(), want, rtol=1e-5)


@pytest.mark.parametrize("jit", MODES)
def test_gradient_through_a_growing_array_matches_tf_and_finite_differences(jit):
    x = tf.constant(X, tf.float32)
    ye, ge = _grad(rnn_loss, x)
    np.testing.assert_allclose(float(ye), TF_LOSS, rtol=1e-6)
    np.testing.assert_allclose(ge.numpy(), TF_GRAD, rtol=1e-5)
    f = tf.function(rnn_loss, jit_compile=jit, input_signature=[tf.TensorSpec([None, 3])])
    y, g = _grad(f, x)
    np.testing.assert_allclose(float(y), TF_LOSS, rtol=1e-6)
    np.testing.assert_allclose(g.numpy(), ge.numpy(), rtol=1e-6, atol=1e-6)

    # inside the function, float64, against central differences
    @tf.function(jit_compile=jit, input_signature=[tf.TensorSpec([None, 3], tf.float64)])
    def both(x):
        return _grad(rnn_loss, x)
    x64 = X + np.random.default_rng(1).normal(0, 0.05, X.shape)
    _, g = both(tf.constant(x64))
    eps, fd = 1e-6, np.zeros_like(x64)
    for k in np.ndindex(*x64.shape):
        d = np.zeros_like(x64)
        d[k] = eps
        fd[k] = (float(rnn_loss(tf.constant(x64 + d))) - float(rnn_loss(tf.constant(x64 - d)))) / (2 * eps)
    np.testing.assert_allclose(g.numpy(), fd, rtol=1e-6, atol=1e-6)
    # and a longer sequence through the same trace
    x6 = np.random.default_rng(2).normal(0, 0.3, (6, 3))
    np.testing.assert_allclose(both(tf.constant(x6))[1].numpy(),
                               _grad(rnn_loss, tf.constant(x6))[1].numpy(), rtol=1e-10)


def test_second_order_through_a_growing_array():
    def f(x):
        ta = tf.TensorArray(tf.float64, size=0, dynamic_size=True)
        s = x[0]
        for i in tf.range(tf.shape(x)[0]):
            s = tf.sin(s) * x[i]
            ta = ta.write(i, s)
        return tf.reduce_sum(ta.stack() ** 2)

    def hess_diag(fn, x):
        with tf.GradientTape() as t2:
            t2.watch(x)
            with tf.GradientTape() as t1:
                t1.watch(x)
                y = fn(x)
            g = t1.gradient(y, x)
            gs = tf.reduce_sum(g)
        return g, t2.gradient(gs, x)
    x = tf.constant([0.3, -0.7, 1.1, 0.5], tf.float64)
    ge, he = hess_diag(f, x)
    def traced(x):
        return hess_diag(f, x)
    g, h = tf.function(traced, jit_compile=False,
                       input_signature=[tf.TensorSpec([None], tf.float64)])(x)
    np.testing.assert_allclose(g.numpy(), ge.numpy(), rtol=1e-12)
    np.testing.assert_allclose(h.numpy(), he.numpy(), rtol=1e-10)
    # the row sums of the Hessian against differences of the eager gradient
    eps = 1e-6
    fd = (hess_diag(f, x + eps)[0].numpy() - hess_diag(f, x - eps)[0].numpy()) / (2 * eps)
    np.testing.assert_allclose(h.numpy(), fd, rtol=1e-5, atol=1e-6)


def test_negative_write_index_names_the_user_line():
    @tf.function(jit_compile=False)
    def f(n):
        ta = tf.TensorArray(tf.float32, size=0, dynamic_size=True)
        for i in tf.range(n):
            ta = ta.write(i - 1, 1.0)
        return ta.stack()
    with pytest.raises(InvalidArgumentError, match=r"tensor_array_write \(node \d+, traced at "
                       r"test_dynamic_loops.py:(\d+)\).*index -1 is negative") as e:
        f(tf.constant(2))
    line = test_negative_write_index_names_the_user_line.__code__.co_firstlineno + 5
    assert f"tensor_array_write (node" in str(e.value) and \
        f"test_dynamic_loops.py:{line})" in str(e.value)   # the write's line


# ---------------------------------------------------------------- value-dependent shapes
TRACED = []


def shaped(n, x):
    a = tf.zeros(tf.stack([n, 2]))
    b = tf.ones([n])
    c = tf.fill([n, 3], 2.5)
    d = tf.reshape(x, [n, -1])
    e = tf.range(n)
    TRACED.append([tuple(t.shape) for t in (a, b, c, d, e)])
    return a, b, c, d, e


@pytest.mark.parametrize("jit", MODES)
def test_value_dependent_shapes(jit):
    TRACED.clear()
    f = tf.function(shaped, jit_compile=jit)
    x = tf.range(12.)
    for n in (3, 4):
        outs = [o.numpy() for o in f(tf.constant(n), x)]
        want = [np.zeros((n, 2)), np.ones(n), np.full((n, 3), 2.5),
                np.arange(12.).reshape(n, -1), np.arange(n)]
        for o, w in zip(outs, want):
            np.testing.assert_array_equal(o, w)
        assert outs[-1].dtype == np.int32 and outs[0].dtype == np.float32
    # one trace; the static shapes TF 2.21 gives
    assert TRACED == [[(None, 2), (None,), (None, 3), (None, None), (None,)]]


@pytest.mark.parametrize("jit", MODES)
def test_value_dependent_shapes_are_differentiable(jit):
    def loss(v, x, n):
        filled = tf.fill([n, 3], v) * tf.cast(tf.range(3), tf.float64)
        rows = tf.reshape(x, [n, -1])
        pos = tf.cast(tf.range(n), tf.float64)[:, None]
        return tf.reduce_sum(filled) + tf.reduce_sum(tf.sin(rows) * pos) + tf.reduce_sum(
            tf.reduce_mean(rows * rows, axis=1))

    def grads(v, x, n):
        with tf.GradientTape() as t:
            t.watch([v, x])
            y = loss(v, x, n)
        return t.gradient(y, [v, x])
    f = tf.function(grads, jit_compile=jit)
    v = tf.constant(0.5, tf.float64)
    x = tf.constant(np.linspace(-1, 1, 12), tf.float64)
    for n in (3, 4):
        gv, gx = f(v, x, tf.constant(n))
        assert float(gv) == pytest.approx(n * 3.0)   # d/dv sum(v * [0, 1, 2]) over n rows
        m = 12 // n
        pos = np.repeat(np.arange(n), m)
        want = np.cos(x.numpy()) * pos + 2 * x.numpy() / m
        np.testing.assert_allclose(gx.numpy(), want, rtol=1e-12)


@pytest.mark.parametrize("jit", MODES)
def test_while_loop_shape_invariants(jit):
    @tf.function(jit_compile=jit)
    def f(k):   # TF's while_loop docstring: m doubles its rows every step
        i0, m0 = tf.constant(0), tf.ones([2, 2])
        return tf.while_loop(lambda i, m: i < k, lambda i, m: [i + 1, tf.concat([m, m], 0)],
                             [i0, m0], shape_invariants=[i0.shape, tf.TensorShape([None, 2])])[1]
    assert f(tf.constant(10)).shape == (2048, 2)
    assert f(tf.constant(2)).shape == (8, 2)
    with pytest.raises(ValueError, match="keep their shape"):
        tf.function(lambda: tf.while_loop(
            lambda i, m: i < tf.constant(3), lambda i, m: [i + 1, tf.concat([m, m], 0)],
            [tf.constant(0), tf.ones([2, 2])]))()


# ---------------------------------------------------------------- while_loop robustness
# loop bodies of several shapes (several variables, nested loops, a loop inside a tensor `if`,
# a tensor `if` inside a loop, a data-dependent trip count with break): the traced function on
# each executor against the same function run eagerly, first and second order; the eager
# gradient against central differences
def _multi(x, w):
    i, a, b = tf.constant(0), x, tf.reduce_sum(x) * 0.1
    while i < 4:
        a = tf.tanh(a @ w + b)
        b = b * 0.9 + tf.reduce_mean(a)
        i += 1
    return tf.reduce_sum(a * a) + b


def _nested(x, w):
    s = x
    for i in tf.range(3):
        t = s
        for j in tf.range(i + 1):
            t = tf.sin(t @ w) + t * 0.5
        s = s + 0.3 * t
    return tf.reduce_sum(s ** 2)


def _cond_in_loop(x, w):
    s, k = x, tf.constant(0)
    while k < 5:
        if tf.reduce_sum(s) > 0.:
            s = tf.tanh(s @ w)
        else:
            s = s * 1.5 - 0.2
        k += 1
    return tf.reduce_sum(s * tf.cos(s))


def _loop_in_cond(x, w):
    if tf.reduce_mean(x) > -10.:
        s = x
        for i in tf.range(3):
            s = tf.sin(s @ w) * tf.cast(i + 1, x.dtype)
    else:
        s = x * 2.
    return tf.reduce_sum(s * s)


def _until_small(x, w):
    y, n = x, tf.constant(0)
    while tf.norm(y) > 0.5:
        y = y * 0.7 + 0.01 * tf.tanh(y @ w)
        n += 1
        if n > 50:
            break
    return tf.reduce_sum(y * y) * tf.cast(n, x.dtype)


def _first_and_second(f, x, w, *rest):
    """f's value, its gradient in (x, w), and the gradient of a function of that gradient."""
    with tf.GradientTape() as t2:
        t2.watch([x, w])
        with tf.GradientTape() as t1:
            t1.watch([x, w])
            y = f(x, w, *rest)
        gx, gw = t1.gradient(y, [x, w])
        z = tf.reduce_sum(gx * gx) + tf.reduce_sum(gw * w)
    return [y, gx, gw] + t2.gradient(z, [x, w])


def _differences(f, x0, *rest, eps=1e-6):
    """Central differences of f(x, *rest) in x (float64)."""
    fd = np.zeros_like(x0)
    for k in np.ndindex(*x0.shape):
        d = np.zeros_like(x0)
        d[k] = eps
        fd[k] = (float(f(tf.constant(x0 + d), *rest)) - float(f(tf.constant(x0 - d), *rest))) / (2 * eps)
    return fd


def _check_traced(f, want, *args):
    """f's first and second order traced on each executor equal the eager ones."""
    def traced(*a):
        return _first_and_second(f, *a)
    for jit in (False, None):
        got = tf.function(traced, jit_compile=jit)(*args)
        for a, b in zip(got, want):
            np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-10, atol=1e-12)


_RNG = np.random.default_rng(0)
_X0, _W0 = _RNG.normal(0, 0.7, (2, 3)), _RNG.normal(0, 0.5, (3, 3))


@pytest.mark.parametrize("body", [_multi, _nested, _cond_in_loop, _loop_in_cond, _until_small],
                         ids=lambda f: f.__name__[1:])
def test_loop_gradients_match_eager_and_finite_differences(body):
    x, w = tf.constant(_X0), tf.constant(_W0)
    want = _first_and_second(body, x, w)
    np.testing.assert_allclose(want[1].numpy(), _differences(body, _X0, w), rtol=1e-6, atol=1e-8)
    _check_traced(body, want, x, w)


# ---------------------------------------------------------------- more growing-array forms
def _explicit_while(n):   # a TensorArray as a tf.while_loop variable (TF's API, no AutoGraph)
    ta = tf.TensorArray(tf.int32, size=0, dynamic_size=True)
    _, ta = tf.while_loop(lambda i, ta: i < n, lambda i, ta: (i + 1, ta.write(i, i * i)),
                          [tf.constant(0), ta])
    return ta.stack()


def _nested_writes(n):
    ta = tf.TensorArray(tf.float32, size=0, dynamic_size=True)
    k = 0
    for i in tf.range(n):
        for j in tf.range(i):
            ta = ta.write(k, tf.cast(i * 10 + j, tf.float32))
            k += 1
    return ta.stack(), ta.size()


def _write_then_break(n):   # the only write is before a tensor-dependent break
    ta = tf.TensorArray(tf.float32, size=0, dynamic_size=True)
    for i in tf.range(n):
        if i > 3:
            break
        ta = ta.write(i, tf.cast(i, tf.float32))
    return ta.stack()


def _read_back(n):
    ta = tf.TensorArray(tf.float32, size=1, dynamic_size=True)
    ta = ta.write(0, 1.0)
    for i in tf.range(1, n):
        ta = ta.write(i, ta.read(i - 1) * 2.0 + tf.cast(ta.size(), tf.float32))
    return ta.stack(), ta.gather([0, 2])


def _rows_concat(n):
    ta = tf.TensorArray(tf.float32, size=0, dynamic_size=True, element_shape=[2])
    for i in tf.range(n):
        ta = ta.write(i, tf.fill([2], tf.cast(i, tf.float32)))
    return ta.concat(), ta.stack()


@pytest.mark.parametrize("fn,n,want", [
    (_explicit_while, 5, [[0, 1, 4, 9, 16]]),
    (_nested_writes, 4, [[10., 20., 21., 30., 31., 32.], 6]),
    (_write_then_break, 10, [[0., 1., 2., 3.]]),
    (_read_back, 5, [[1., 3., 8., 19., 42.], [1., 8.]]),
    (_rows_concat, 3, [[0., 0., 1., 1., 2., 2.], [[0., 0.], [1., 1.], [2., 2.]]]),
], ids=lambda v: v.__name__[1:] if callable(v) else None)
def test_growing_array_forms_match_eager(fn, n, want):
    for f in (fn, tf.function(fn, jit_compile=False), tf.function(fn)):
        out = f(tf.constant(n))
        out = out if isinstance(out, (list, tuple)) else [out]
        assert [np.asarray(t.numpy()).tolist() for t in out] == want


def _grown_by_concat(x, n):
    out = tf.zeros([0], tf.float64)
    s = x
    for i in tf.range(n):
        tf.autograph.experimental.set_loop_options(
            shape_invariants=[(out, tf.TensorShape([None]))])
        s = tf.sin(s) * 1.3
        out = tf.concat([out, tf.reshape(s, [1])], 0)
    return tf.reduce_sum(out * tf.cast(tf.range(1, n + 1), tf.float64)), out


@pytest.mark.parametrize("jit", MODES)
def test_set_loop_options_shape_invariants_let_a_tensor_grow(jit):
    def grad(x, n):
        with tf.GradientTape() as t:
            t.watch(x)
            y, out = _grown_by_concat(x, n)
        return y, out, t.gradient(y, x)
    x = tf.constant(0.7, tf.float64)
    f = tf.function(grad, jit_compile=jit)
    for n in (4, 1):
        want = grad(x, tf.constant(n))
        got = f(x, tf.constant(n))
        assert got[1].shape == (n,)
        for a, b in zip(got, want):
            np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12)
    eps = 1e-6
    fd = (float(_grown_by_concat(x + eps, 4)[0]) - float(_grown_by_concat(x - eps, 4)[0])) / (2 * eps)
    np.testing.assert_allclose(float(f(x, tf.constant(4))[2]), fd, rtol=1e-6)

    @tf.function
    def without(n):   # TF's error, with TF's hint
        out = tf.zeros([0])
        for i in tf.range(n):
            out = tf.concat([out, [1.0]], 0)
        return out
    with pytest.raises(ValueError, match=r"'out' has shape \[0\] before the loop, but shape \[1\] "
                                         r"after one iteration.*set_loop_options"):
        without(tf.constant(2))


# ---------------------------------------------------------------- every op over run-time sizes
#: op cases whose inputs cannot have a run-time leading size (None): their shape rules or
#: compositions compute with it (a clear error at trace time for those going through a rule)
RUNTIME_UNSUPPORTED = {"conv2d", "conv2d_backprop_input", "einsum", "fft", "getitem",
                       "projective_transform", "qr", "svd", "unsorted_segment_sum"}
RUNTIME_GRAD_UNSUPPORTED = RUNTIME_UNSUPPORTED | {
    "conv2d_backprop_filter", "custom_gradient", "gather_nd", "lu", "matrix_exponential",
    "sum_to_shape", "take_along_axis", "tile"}


def _runtime_rows(xs, ks):
    """Each input with its leading size made a run-time size (None in the graph)."""
    from graphflow.ops import runtime_shape
    return [runtime_shape.reshape(x, tf.concat([tf.reshape(k, [1]), tf.constant(
        np.array(list(x.shape[1:]), np.int32))], 0)) if x.ndim >= 1 else x
        for x, k in zip(xs, ks)]


def _lengths(xs):
    return [tf.constant(np.int32(np.shape(x)[0] if np.ndim(x) else 0)) for x in xs]


def test_every_op_case_runs_with_run_time_leading_sizes():
    import test_ops_table as T
    failed, n = {}, 0
    for case in [getattr(c, "values", [c])[0] for c in T.ALL]:
        if not any(np.ndim(x) >= 1 for x in case.inputs) or "random" in case.op:
            continue
        ins = [T._to_tensor(x) for x in case.inputs]
        want = case.api(*ins)
        m = len(ins)
        f = tf.function(lambda *a: case.api(*_runtime_rows(a[:m], a[m:])), jit_compile=False,
                        autograph=False)
        n += 1
        try:
            got = f(*ins, *_lengths(case.inputs))
            for a, b in zip(*[v if isinstance(v, (list, tuple)) else [v] for v in (got, want)]):
                a, b = np.asarray(a.numpy()), np.asarray(b.numpy())
                if a.dtype.kind in "OSU":
                    np.testing.assert_array_equal(a, b)
                else:
                    np.testing.assert_allclose(a.astype(complex), b.astype(complex), rtol=1e-5,
                                               atol=1e-6)
        except (TypeError, KeyError, tf.errors.InvalidArgumentError) as e:
            failed.setdefault(case.op, str(e))
    assert n > 300
    assert set(failed) <= RUNTIME_UNSUPPORTED, {k: failed[k] for k in set(failed) - RUNTIME_UNSUPPORTED}


def test_every_gradient_case_runs_with_run_time_leading_sizes():
    import test_gradients as T
    failed, n = {}, 0
    for op, cases in T.GRAD_CASES.items():
        for c in cases:
            xs = [np.asarray(x) for x in c.xs]
            if not any(x.ndim >= 1 for x in xs) or op in RUNTIME_GRAD_UNSUPPORTED:
                continue

            def fn(*a, c=c, m=len(xs)):
                vs = list(a[:m])
                with tf.GradientTape() as t:
                    t.watch(vs)
                    s = tf.reduce_sum(tf.square(c.f(*_runtime_rows(vs, a[m:]))))
                return [s] + [tf.zeros_like(v) if g is None else g
                              for g, v in zip(t.gradient(s, vs), vs)]
            ins = [tf.constant(x) for x in xs]
            n += 1
            try:
                got = tf.function(fn, jit_compile=False, autograph=False)(*ins, *_lengths(xs))
                for a, b in zip(got, fn(*ins, *_lengths(xs))):
                    np.testing.assert_allclose(np.asarray(a.numpy(), float),
                                               np.asarray(b.numpy(), float), rtol=1e-5, atol=1e-6)
            except (TypeError, KeyError, tf.errors.InvalidArgumentError, AssertionError) as e:
                failed.setdefault(op, str(e))
    assert n > 170
    assert not failed, failed


# ---------------------------------------------------------------- random loop bodies
def _random_body(seed):
    """A loop body over (a (2,3), b (3,), s ()) with captures w (3,3), x (2,3): 2-4 steps drawn
    from products, reductions, a cond, a nested while_loop, where, scalar updates."""
    steps = np.random.default_rng(seed).integers(0, 8, size=int(
        np.random.default_rng(seed + 100).integers(2, 5)))

    def body(a, b, s, w, x):
        for k in steps:
            if k == 0:
                a = tf.tanh(a @ w + b)
            elif k == 1:
                b = b * 0.8 + 0.1 * tf.reduce_sum(a, axis=0)
            elif k == 2:
                s = s * 0.5 + tf.reduce_mean(tf.sin(a))
            elif k == 3:
                a = tf.cond(tf.reduce_sum(a) > 0., lambda: a * 0.9 + x * 0.1,
                            lambda: tf.sin(a) + 0.1)
            elif k == 4:
                a = a + s * x
            elif k == 5:
                a = tf.while_loop(lambda j, a: j < 2, lambda j, a: (j + 1, tf.sin(a * 1.1)),
                                  [tf.constant(0), a])[1]
            elif k == 6:
                b = tf.where(b > 0., b * 1.1, b * 0.9)
            else:
                s = s + tf.reduce_sum(b * b) * 0.01
        return a, b, s
    return body


def _random_loop(body):
    def f(x, w, n):
        _, a, b, s = tf.while_loop(
            lambda i, a, b, s: i < n, lambda i, a, b, s: (i + 1,) + tuple(body(a, b, s, w, x)),
            [tf.constant(0), x, tf.reduce_sum(w, axis=0) * 0.1, tf.reduce_sum(x) * 0.1])
        return tf.reduce_sum(a * a) + tf.reduce_sum(b) + s
    return f


@pytest.mark.parametrize("seed", range(4))
def test_random_loop_bodies_first_and_second_order(seed):
    f = _random_loop(_random_body(seed))
    rng = np.random.default_rng(1)
    x0, w0 = rng.normal(0, 0.5, (2, 3)), rng.normal(0, 0.5, (3, 3))
    x, w, n = tf.constant(x0), tf.constant(w0), tf.constant(3)
    want = _first_and_second(f, x, w, n)
    np.testing.assert_allclose(want[1].numpy(), _differences(f, x0, w, n), rtol=1e-6, atol=1e-8)
    _check_traced(f, want, x, w, n)


def _traced_size(n, x):   # size= an argument
    ta = tf.TensorArray(tf.float32, size=n)
    for i in tf.range(n):
        ta = ta.write(i, x * tf.cast(i, tf.float32))
    return ta.stack(), ta.size()


def _size_of_shape(x):   # size= a run-time dim; rows never written stack as zeros (TF 2.21)
    ta = tf.TensorArray(tf.float32, size=tf.shape(x)[0], element_shape=[3])
    for i in tf.range(1, tf.shape(x)[0], 2):
        ta = ta.write(i, x[i] * 2.)
    return ta.stack()


@pytest.mark.parametrize("jit", MODES)
def test_tensor_array_of_a_traced_size(jit):
    x = tf.constant([1., 2.])
    for n in (3, 0):
        st, size = tf.function(_traced_size, jit_compile=jit)(tf.constant(n), x)
        want = np.arange(n)[:, None] * x.numpy()
        np.testing.assert_array_equal(st.numpy(), want.reshape(n, 2))
        assert int(size) == n
    f = tf.function(_size_of_shape, jit_compile=jit, input_signature=[tf.TensorSpec([None, 3])])
    np.testing.assert_array_equal(f(tf.ones([4, 3])).numpy(), [[0] * 3, [2] * 3, [0] * 3, [2] * 3])
    np.testing.assert_array_equal(f(tf.ones([1, 3])).numpy(), [[0] * 3])
