"""Random op graphs (hypothesis): eager == traced graph == optimized graph (numpy executor), for
values and for first-order gradients.

A program is a few inputs whose shapes all broadcast together (drawn from the family
(a, b), (1, b), (a, 1), (b,), ()), followed by a random DAG of elementwise unary/binary ops,
reductions (keepdims, or to a scalar), reshape/transpose round trips, broadcast_to + matmul, and
where. Values stay in safe domains (log/sqrt of |x|+1, exp of tanh, division by |y|+1).
"""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import graphflow as tf
from graphflow.backends.numpy_exec import NumpyPlan
from graphflow.graph import verify

UNARY = {
    "neg": lambda x: -x,
    "abs": tf.abs,
    "exp": lambda x: tf.exp(tf.tanh(x)),
    "log": lambda x: tf.math.log(tf.abs(x) + 1.),
    "sqrt": lambda x: tf.sqrt(tf.abs(x) + 1.),
    "tanh": tf.tanh,
    "sigmoid": tf.sigmoid,
    "sin": tf.sin,
    "cos": tf.cos,
    "square": lambda x: tf.square(tf.tanh(x)),
    "relu": tf.nn.relu,
    "softplus": tf.math.softplus,
    "scale": lambda x: x * 0.5 + 1.0,
    "identity_ops": lambda x: -(-(x * 1.0 + 0.0)),     # simplify fodder
    "clip": lambda x: tf.clip_by_value(x, -1., 1.5),
    "cast_trip": lambda x: tf.cast(tf.cast(x, tf.float64), x.dtype),
    "concat_slice": lambda x: tf.concat([x, -x], axis=-1)[..., :x.shape[-1]] if x.ndim else x,
    "flip": lambda x: x[::-1] if x.ndim else x,
}
BINARY = {
    "add": lambda x, y: x + y,
    "sub": lambda x, y: x - y,
    "mul": lambda x, y: x * tf.tanh(y),
    "div": lambda x, y: x / (tf.abs(y) + 1.),
    "max": tf.maximum,
    "min": tf.minimum,
    "where": lambda x, y: tf.where(x > y, x, y * 0.5),
    "sqdiff": lambda x, y: tf.tanh(tf.math.squared_difference(x, y)),
    "pow": lambda x, y: tf.pow(tf.abs(x) + 1., tf.tanh(y)),
}
REDUCE = {
    "sum": tf.reduce_sum,
    "mean": tf.reduce_mean,
    "max": tf.reduce_max,
    "min": tf.reduce_min,
}


def family(a, b):
    return [(a, b), (1, b), (a, 1), (b,), ()]


@st.composite
def programs(draw):
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    a, b = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    shapes = family(a, b)
    n_in = draw(st.integers(1, 3))
    in_shapes = [draw(st.sampled_from(shapes)) for _ in range(n_in)]
    steps = []
    n_vals = n_in
    for _ in range(draw(st.integers(1, 12))):
        kind = draw(st.sampled_from(["unary", "unary", "binary", "binary", "reduce", "reshape",
                                     "transpose", "matmul"]))
        i = draw(st.integers(0, n_vals - 1))
        j = draw(st.integers(0, n_vals - 1))
        if kind == "unary":
            steps.append(("unary", draw(st.sampled_from(sorted(UNARY))), i))
        elif kind == "binary":
            steps.append(("binary", draw(st.sampled_from(sorted(BINARY))), i, j))
        elif kind == "reduce":
            steps.append(("reduce", draw(st.sampled_from(sorted(REDUCE))), i,
                          draw(st.sampled_from(["all", "last", "first"]))))
        else:
            steps.append((kind, i, j))
        n_vals += 1
    n_out = draw(st.integers(1, min(3, n_vals)))
    seed = draw(st.integers(0, 2 ** 16))
    return dict(dtype=dtype, a=a, b=b, in_shapes=in_shapes, steps=steps, n_out=n_out, seed=seed)


def build(p):
    """The program as a Python function of its inputs (runs eagerly or traced)."""
    a, b = p["a"], p["b"]
    w = np.linspace(-1, 1, b * b).reshape(b, b).astype(p["dtype"])

    def f(*xs):
        vals = list(xs)
        for s in p["steps"]:
            kind = s[0]
            if kind == "unary":
                v = UNARY[s[1]](vals[s[2]])
            elif kind == "binary":
                v = BINARY[s[1]](vals[s[2]], vals[s[3]])
            elif kind == "reduce":
                x = vals[s[2]]
                if s[3] == "all" or x.ndim == 0:
                    v = REDUCE[s[1]](x)
                else:
                    v = REDUCE[s[1]](x, axis=-1 if s[3] == "last" else 0, keepdims=True)
            elif kind == "reshape":
                x = vals[s[1]]
                v = tf.reshape(tf.reshape(x, (-1,)), x.shape) + vals[s[2]]
            elif kind == "transpose":
                x = vals[s[1]]
                v = tf.transpose(tf.transpose(x)) if x.ndim else x
                v = v - vals[s[2]]
            else:   # matmul of the value broadcast to (a, b) with a fixed (b, b) matrix
                x = tf.broadcast_to(vals[s[1]], (a, b))
                v = tf.tanh(tf.matmul(x, tf.constant(w)) / float(b)) + vals[s[2]]
            vals.append(v)
        return vals[-p["n_out"]:]
    return f


def inputs(p):
    rng = np.random.default_rng(p["seed"])
    return [rng.uniform(-2, 2, size=s).astype(p["dtype"]) for s in p["in_shapes"]]


def tol(p):
    return dict(rtol=1e-5, atol=1e-5) if p["dtype"] == np.float32 else dict(rtol=1e-10, atol=1e-10)


def agree(xs, ys, p):
    assert len(xs) == len(ys)
    for x, y in zip(xs, ys):
        x, y = np.asarray(x), np.asarray(y)
        assert x.shape == y.shape and x.dtype == y.dtype, (x.shape, x.dtype, y.shape, y.dtype)
        np.testing.assert_allclose(x, y, **tol(p))


SETTINGS = settings(max_examples=40, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(programs())
def test_random_graph_eager_traced_optimized_agree(p):
    f = build(p)
    arrays = inputs(p)
    tensors = [tf.constant(x) for x in arrays]
    eager = [t.numpy() for t in f(*tensors)]
    traced_fn = tf.function(f, jit_compile=False)
    out = [t.numpy() for t in traced_fn(*tensors)]
    cf = traced_fn.get_concrete_function(*tensors)
    for _, g in cf.stages:
        verify(g)
    agree(out, eager, p)
    agree(NumpyPlan(cf.traced).run(arrays), eager, p)
    agree(NumpyPlan(cf.optimized).run(arrays), eager, p)
    assert cf.graph.number_of_nodes() <= cf.traced.nx.number_of_nodes()


@SETTINGS
@given(programs())
def test_random_graph_gradients_eager_traced_optimized_agree(p):
    f = build(p)
    arrays = inputs(p)

    def grads(*xs):
        with tf.GradientTape() as tape:
            tape.watch(list(xs))
            total = tf.add_n([tf.reduce_sum(o) for o in f(*xs)]) if hasattr(tf, "add_n") \
                else sum(tf.reduce_sum(o) for o in f(*xs))
        return [total] + list(tape.gradient(total, list(xs), unconnected_gradients="zero"))

    tensors = [tf.constant(x) for x in arrays]
    eager = [t.numpy() for t in grads(*tensors)]
    traced_fn = tf.function(grads, jit_compile=False)
    out = [t.numpy() for t in traced_fn(*tensors)]
    cf = traced_fn.get_concrete_function(*tensors)
    for _, g in cf.stages:
        verify(g)
    agree(out, eager, p)
    agree(NumpyPlan(cf.traced).run(arrays), eager, p)


@settings(max_examples=20, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(programs())
def test_random_graph_second_order_eager_equals_traced(p):
    f = build(p)
    arrays = inputs(p)

    def hess_vec(*xs):
        xs = list(xs)
        with tf.GradientTape() as outer:
            outer.watch(xs)
            with tf.GradientTape() as inner:
                inner.watch(xs)
                total = sum(tf.reduce_sum(o) for o in f(*xs))
            g1 = inner.gradient(total, xs, unconnected_gradients="zero")
            s = sum(tf.reduce_sum(g * tf.sin(x)) for g, x in zip(g1, xs))
        return list(g1) + list(outer.gradient(s, xs, unconnected_gradients="zero"))

    tensors = [tf.constant(x) for x in arrays]
    eager = [t.numpy() for t in hess_vec(*tensors)]
    traced_fn = tf.function(hess_vec, jit_compile=False)
    agree([t.numpy() for t in traced_fn(*tensors)], eager, p)
    cf = traced_fn.get_concrete_function(*tensors)
    for _, g in cf.stages:
        verify(g)
    orders = {d["tags"].get("adjoint") for _, d in cf.traced.nx.nodes(data=True)}
    assert 1 in orders


# ------------------------------------------------------------------ programs with variables
@st.composite
def effect_programs(draw):
    n_vars = draw(st.integers(1, 2))
    steps = []
    n_vals = 1           # value 0: the argument x (shape (3,))
    for _ in range(draw(st.integers(1, 10))):
        kind = draw(st.sampled_from(["read", "assign", "assign_add", "assign_sub", "slice",
                                     "compute", "print"]))
        k = draw(st.integers(0, n_vars - 1))
        i = draw(st.integers(0, n_vals - 1))
        steps.append((kind, k, i, draw(st.integers(0, 2))))
        if kind in ("read", "compute"):
            n_vals += 1
    n_out = draw(st.integers(0, min(3, n_vals)))
    return dict(n_vars=n_vars, steps=steps, n_out=n_out)


def run_effects(p, x, vs):
    vals = [x]
    for kind, k, i, j in p["steps"]:
        v = vs[k]
        if kind == "read":
            vals.append(v.read_value() * 1.5)
        elif kind == "compute":
            vals.append(tf.tanh(vals[i] + v))
        elif kind == "assign":
            v.assign(vals[i] * 0.5)
        elif kind == "assign_add":
            v.assign_add(vals[i])
        elif kind == "assign_sub":
            v.assign_sub(tf.sin(vals[i]))
        elif kind == "slice":
            v[j].assign(vals[i][j] + 1.)
        else:
            tf.print("v", v, "value", vals[i])
    return vals[len(vals) - p["n_out"]:] if p["n_out"] else None


@settings(max_examples=40, deadline=None, derandomize=True)
@given(effect_programs())
def test_random_effect_programs_eager_equals_traced(p):
    import contextlib
    import io
    x = tf.constant([0.5, -1.0, 2.0])
    init = [np.array([1., 2., 3.], np.float32) * (k + 1) for k in range(p["n_vars"])]
    ve = [tf.Variable(a) for a in init]
    vt = [tf.Variable(a) for a in init]
    f = tf.function(run_effects, jit_compile=False)
    for _ in range(2):    # twice: the graph must read the values the first call left behind
        out_e, out_t = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out_e):
            e = run_effects(p, x, ve)
        with contextlib.redirect_stdout(out_t):
            t = f(p, x, vt)
        assert out_t.getvalue() == out_e.getvalue()
        if e is None:
            assert t is None
        else:
            for a, b in zip(e, t):
                np.testing.assert_allclose(b.numpy(), a.numpy(), rtol=1e-6, atol=1e-6)
        for a, b in zip(ve, vt):
            np.testing.assert_allclose(b.numpy(), a.numpy(), rtol=1e-6, atol=1e-6)
    assert f.experimental_get_tracing_count() == 1
    for _, g in f.get_concrete_function(p, x, vt).stages:
        verify(g)
