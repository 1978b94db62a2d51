"""Forward-mode autodiff (`graphflow.autodiff.ForwardAccumulator`, `jvp`) in float64.

For every differentiable primitive of the op table (the cases of `test_gradients.GRAD_CASES`):

(a) the adjoint identity <J v, u> = <v, J^T u> between its JVP and its VJP;
(b) the JVP against central finite differences;
(c) the JVP traced inside `@function(jit_compile=False)` equals the eager one;
(d) forward-over-reverse Hessian-vector products (accumulator outside, tape inside) against
    central differences of the gradient - of the case's output squared, so the HVP goes through
    the JVP of the op's own VJP (for linear ops the plain HVP would be trivially zero).

Then the ForwardAccumulator API: nested structures, Variables, unconnected tangents, errors,
tangent tags in traced graphs, and nesting with accumulators and tapes (second derivatives).
"""
import zlib

import numpy as np
import pytest

import graphflow as tf
from graphflow.autodiff import ForwardAccumulator, jvp
from graphflow.errors import InvalidArgumentError
from graphflow.ops.registry import OPS

from conftest import Recorder
from test_gradients import GRAD_CASES

#: ops whose HVP is not checked, and why (none so far: the piecewise-constant ops sign, floor
#: and round only appear multiplied by x in their cases, where the second derivative is defined,
#: and zero, away from the jumps the inputs avoid).
SKIP_HVP = {}

PARAMS = [pytest.param(name, c, id=f"{name}-{c.id}" if c.id else name)
          for name, cs in GRAD_CASES.items() for c in cs]


def _list(out):
    return list(out) if isinstance(out, (list, tuple)) else [out]


def _np(t):
    return np.asarray(t.numpy(), np.float64)


def _rng(name, case, salt):
    # a stable seed per case (str hashes change between processes)
    return np.random.default_rng(zlib.crc32(f"{name}/{case.id}/{salt}".encode()))


def _dirs(rng, arrs):
    return [rng.standard_normal(np.shape(a)) for a in arrs]


def _close(a, n, rtol, what, atol=1e-8):
    a, n = np.asarray(a, np.float64), np.asarray(n, np.float64)
    assert a.shape == n.shape, f"{what}: shapes {a.shape} vs {n.shape}"
    tol = atol + rtol * np.maximum(np.maximum(np.abs(a), np.abs(n)), 1.0)
    bad = np.abs(a - n) > tol
    assert not bad.any(), f"{what}: analytic {a[bad]} vs numeric {n[bad]}"


def _total(terms):
    out = terms[0]
    for t in terms[1:]:
        out = out + t
    return out


def _consts(arrs):
    return [tf.constant(np.asarray(a, np.float64)) for a in arrs]


def _eager_jvp(f, xs, vs):
    ts = _consts(xs)
    with ForwardAccumulator(ts, _consts(vs)) as acc:
        outs = _list(f(*ts))
    tans = acc.jvp(outs, unconnected_gradients="zero")
    return outs, tans


def _value(f, xs):
    return [_np(o) for o in _list(f(*_consts(xs)))]


def _rtol(case):
    return max(case.rtol, 1e-6)


# ---------------------------------------------------------------- coverage
def test_every_differentiable_op_has_a_forward_case():
    diff = {n for n, op in OPS.items() if op.vjp is not None and op.kind != "source"}
    assert set(GRAD_CASES) == diff, (
        f"ops without a case: {sorted(diff - set(GRAD_CASES))}; "
        f"cases for non-differentiable ops: {sorted(set(GRAD_CASES) - diff)}")
    for n in diff:
        assert OPS[n].jvp is not None, f"differentiable op {n} declares no JVP"
    assert set(SKIP_HVP) <= diff


@pytest.mark.parametrize("name", sorted(GRAD_CASES))
def test_forward_cases_apply_their_op_with_a_tangent(name):
    """The op itself is applied to a value that carries a tangent (so its JVP rule runs)."""
    for c in GRAD_CASES[name]:
        ts = _consts(c.xs)
        with ForwardAccumulator(ts, _consts(_dirs(np.random.default_rng(0), c.xs))) as acc:
            with Recorder() as rec:
                c.f(*ts)
        hit = [r for r in rec.records if r[0].name == name
               and any(acc.jvp(a) is not None for a in r[1] if isinstance(a, tf.Tensor))]
        assert hit, f"case {c.id!r} of {name}: no application of {name} on a tangent-carrying input"


# ---------------------------------------------------------------- (a) adjoint identity
@pytest.mark.parametrize("name,case", PARAMS)
def test_jvp_vjp_adjoint_identity(name, case):
    rng = _rng(name, case, "adjoint")
    vs = _dirs(rng, case.xs)
    outs, tans = _eager_jvp(case.f, case.xs, vs)
    us = [rng.standard_normal(tuple(o.shape)) for o in outs]
    for o, t in zip(outs, tans):
        assert t.dtype == o.dtype and tuple(t.shape) == tuple(o.shape), \
            f"tangent {t.dtype}{t.shape} for output {o.dtype}{o.shape}"
    lhs = sum(float(np.sum(_np(t) * u)) for t, u in zip(tans, us))

    ts = _consts(case.xs)
    with tf.GradientTape() as tape:
        tape.watch(ts)
        outs2 = _list(case.f(*ts))
        y = _total([tf.reduce_sum(tf.cast(o, tf.float64) * tf.constant(u))
                    for o, u in zip(outs2, us)])
    gs = tape.gradient(y, ts, unconnected_gradients="zero")
    rhs = sum(float(np.sum(_np(g) * v)) for g, v in zip(gs, vs))
    tol = 1e-10 if case.rtol <= 1e-6 else 1e-5   # looser for the cases through float32
    assert abs(lhs - rhs) <= tol * max(1.0, abs(lhs), abs(rhs)), f"<Jv,u>={lhs} <v,J^T u>={rhs}"


# ---------------------------------------------------------------- (b) finite differences
@pytest.mark.parametrize("name,case", PARAMS)
def test_jvp_matches_finite_differences(name, case):
    vs = _dirs(_rng(name, case, "fd"), case.xs)
    _, tans = _eager_jvp(case.f, case.xs, vs)
    eps = case.eps or 1e-6
    hi = _value(case.f, [x + eps * v for x, v in zip(case.xs, vs)])
    lo = _value(case.f, [x - eps * v for x, v in zip(case.xs, vs)])
    for k, (t, h, l) in enumerate(zip(tans, hi, lo)):
        _close(_np(t), (h - l) / (2 * eps), _rtol(case), f"output {k}", atol=1e-7)


# ---------------------------------------------------------------- (c) graph mode
@pytest.mark.parametrize("name,case", PARAMS)
def test_jvp_in_function_equals_eager(name, case):
    vs = _dirs(_rng(name, case, "graph"), case.xs)
    outs, tans = _eager_jvp(case.f, case.xs, vs)

    @tf.function(jit_compile=False)
    def traced(xs, ts):
        with ForwardAccumulator(xs, ts) as acc:
            o = _list(case.f(*xs))
        return o, acc.jvp(o, unconnected_gradients="zero")

    gouts, gtans = traced(_consts(case.xs), _consts(vs))
    for o, go in zip(outs, gouts):
        np.testing.assert_allclose(_np(go), _np(o), rtol=1e-12, atol=1e-12)
    for t, gt in zip(tans, gtans):
        assert gt.dtype == t.dtype
        np.testing.assert_allclose(_np(gt), _np(t), rtol=1e-12, atol=1e-12)
    # the traced graph holds the tangent code, tagged as such
    cf = traced.get_concrete_function(_consts(case.xs), _consts(vs))
    tagged = [d for _, d in cf.traced.nx.nodes(data=True) if d["tags"].get("tangent")]
    assert tagged or all(not np.any(_np(t)) for t in tans)
    for d in tagged:
        assert d["tags"]["adjoint"] == 1 and "forward" in d["tags"]


# ---------------------------------------------------------------- (d) forward-over-reverse
def _grad(f, xs, rs):
    ts = _consts(xs)
    with tf.GradientTape() as tape:
        tape.watch(ts)
        y = _squared_projection(f, ts, rs)
    return [_np(g) for g in tape.gradient(y, ts, unconnected_gradients="zero")]


def _squared_projection(f, ts, rs):
    outs = [tf.cast(o, tf.float64) for o in _list(f(*ts))]
    return _total([tf.reduce_sum(tf.constant(r) * o * o) for o, r in zip(outs, rs)])


@pytest.mark.parametrize("name,case", PARAMS)
def test_forward_over_reverse_hvp(name, case):
    if name in SKIP_HVP:
        pytest.skip(SKIP_HVP[name])
    rng = _rng(name, case, "hvp")
    vs = _dirs(rng, case.xs)
    rs = [rng.uniform(0.5, 1.5, o.shape) for o in _value(case.f, case.xs)]
    ts = _consts(case.xs)
    with ForwardAccumulator(ts, _consts(vs)) as acc:
        with tf.GradientTape() as tape:
            tape.watch(ts)
            y = _squared_projection(case.f, ts, rs)
        gs = tape.gradient(y, ts, unconnected_gradients="zero")
    hvs = acc.jvp(gs, unconnected_gradients="zero")
    def central(eps):
        hi = _grad(case.f, [x + eps * v for x, v in zip(case.xs, vs)], rs)
        lo = _grad(case.f, [x - eps * v for x, v in zip(case.xs, vs)], rs)
        return [(h - l) / (2 * eps) for h, l in zip(hi, lo)]

    if case.eps is None:
        numeric, rtol = central(1e-5), 1e-5
    else:   # cases through float32 need a wide step (1e-2): Richardson-extrapolate away its
        # O(eps**2) truncation error; float32 rounding of the gradient leaves noise ~1e-4
        wide, half = central(case.eps), central(case.eps / 2)
        numeric, rtol = [(4 * b - a) / 3 for a, b in zip(wide, half)], 10 * case.rtol
    for k, (hv, n) in enumerate(zip(hvs, numeric)):
        assert hv.dtype == tf.float64 and tuple(hv.shape) == np.shape(case.xs[k])
        _close(_np(hv), n, rtol, f"H v, input {k}", atol=1e-6)


# ---------------------------------------------------------------- the ForwardAccumulator API
def f64(x):
    return tf.constant(np.asarray(x, np.float64))


def test_jvp_function_returns_output_and_tangent():
    y, t = jvp(lambda a, b: a * tf.exp(b), [f64([1., 2.]), f64([0., 1.])],
               [f64([1., 0.]), f64([0., 1.])])
    np.testing.assert_allclose(y.numpy(), [1., 2. * np.e])
    np.testing.assert_allclose(t.numpy(), [1., 2. * np.e])
    # Python numbers as primals are converted; an unconnected output has a zero tangent
    y, t = jvp(lambda a: tf.zeros_like(a) + 1.0, [3.0], [1.0])
    assert float(y) == 1.0 and float(t) == 0.0


def test_nested_structures():
    x, y, z = f64([1., 2.]), f64(3.), f64([[0.5]])
    primals = {"a": x, "b": [y, (z,)]}
    tangents = {"a": f64([1., -1.]), "b": [f64(2.), (f64([[4.]]),)]}
    unrelated = f64(7.)
    with ForwardAccumulator(primals, tangents) as acc:
        p = x * y               # dp = dx*y + x*dy
        q = tf.reduce_sum(z)    # dq = dz
        r = unrelated * 2.0
    out = acc.jvp({"p": p, "rest": (q, [r, x])})
    assert set(out) == {"p", "rest"} and isinstance(out["rest"], tuple)
    np.testing.assert_allclose(out["p"].numpy(), [1 * 3 + 1 * 2, -1 * 3 + 2 * 2])
    np.testing.assert_allclose(out["rest"][0].numpy(), 4.)
    assert out["rest"][1][0] is None                       # r does not depend on the primals
    np.testing.assert_allclose(out["rest"][1][1].numpy(), [1., -1.])   # a primal's own tangent
    zero = acc.jvp([r], unconnected_gradients="zero")[0]
    assert zero.dtype == tf.float64 and tuple(zero.shape) == () and float(zero) == 0.0


def test_variables_as_primals():
    v = tf.Variable([1., 2.])
    w = tf.Variable(np.array([3., 4.]))    # not a primal
    with ForwardAccumulator(v, tf.constant([1., 0.5])) as acc:
        a = v * v                          # each read carries the tangent
        b = tf.reduce_sum(v.read_value())
        c = tf.cast(w * 2.0, tf.float32) * v
    np.testing.assert_allclose(acc.jvp(a).numpy(), [2., 2.])
    np.testing.assert_allclose(float(acc.jvp(b)), 1.5)
    np.testing.assert_allclose(acc.jvp(c).numpy(), [6., 4.])
    assert acc.jvp(a).dtype == tf.float32
    np.testing.assert_allclose(acc.jvp(v).numpy(), [1., 0.5])
    # a Variable assigned inside the block: later reads carry the tangent again (reads of the
    # primal), the assigned value itself is not tracked through the assign
    with ForwardAccumulator(v, tf.constant([1., 1.])) as acc2:
        v.assign(v * 3.0)
        d = v * 1.0
    np.testing.assert_allclose(d.numpy(), [3., 6.])
    np.testing.assert_allclose(acc2.jvp(d).numpy(), [1., 1.])


def test_variables_as_primals_inside_function():
    v = tf.Variable(np.array([1., 2.]))

    @tf.function(jit_compile=False)
    def f(x, t):
        with ForwardAccumulator([x, v], [t, tf.ones_like(t)]) as acc:
            y = tf.sin(x) * v
        return y, acc.jvp(y)

    x, t = f64([0.3, 0.4]), f64([1., 2.])
    y, ty = f(x, t)
    np.testing.assert_allclose(y.numpy(), np.sin([.3, .4]) * [1, 2])
    np.testing.assert_allclose(ty.numpy(), np.cos([.3, .4]) * [1, 2] * [1, 2] + np.sin([.3, .4]))
    v.assign([2., 2.])   # the graph reads the variable when it runs
    np.testing.assert_allclose(f(x, t)[1].numpy(),
                               np.cos([.3, .4]) * [1, 2] * 2 + np.sin([.3, .4]))


def test_unconnected_tangents():
    x, k = f64([1., 2.]), f64([5., 6.])
    with ForwardAccumulator(x, f64([1., 1.])) as acc:
        y = k * 2.0                             # no dependence
        i = tf.argmax(x * 3.0)                  # integer output: no tangent
        s = tf.stop_gradient(x) * 2.0           # cut
        e = tf.cast(x > 1.5, tf.float64) * k    # a comparison is piecewise constant
    before = x * 1.0                            # after the block: not tracked
    for t in (y, i, s, e, before):
        assert acc.jvp(t) is None
    z = acc.jvp([y, s, e, before], unconnected_gradients="zero")
    for t in z:
        assert t.dtype == tf.float64 and tuple(t.shape) == (2,)
        np.testing.assert_array_equal(t.numpy(), [0., 0.])
    zi = acc.jvp(i, unconnected_gradients="zero")
    assert tuple(zi.shape) == () and zi.dtype == i.dtype
    with pytest.raises(ValueError, match="unconnected_gradients"):
        acc.jvp(y, unconnected_gradients="nan")


def test_primal_computed_before_the_accumulator_is_not_a_primal_of_later_ops():
    x = f64([1., 2.])
    y = x * 2.0
    with ForwardAccumulator(x, f64([1., 0.])) as acc:
        z = y * y            # y was computed before: it carries no tangent
        w = x * y
    assert acc.jvp(z) is None
    np.testing.assert_allclose(acc.jvp(w).numpy(), [2., 0.])


@pytest.mark.parametrize("primals,tangents,exc,msg", [
    (f64([1., 2.]), tf.constant([1., 2.]), InvalidArgumentError,
     r"tangent 0 is float32\[2\] but its primal is float64\[2\]"),
    (f64([1., 2.]), f64([1., 2., 3.]), InvalidArgumentError,
     r"tangent 0 is float64\[3\] but its primal is float64\[2\]"),
    ([f64(1.), f64([1., 2.])], [f64(1.), f64([[1., 2.]])], InvalidArgumentError,
     r"tangent 1 is float64\[1, 2\] but its primal is float64\[2\]"),
    (f64([1., 2.]), tf.constant([1, 2]), InvalidArgumentError,
     r"tangent 0 is int32\[2\] but its primal is float64\[2\]"),
    ([f64(1.), f64(2.)], [f64(1.)], ValueError, "2 primals but 1 tangents"),
    (tf.constant([1, 2]), tf.constant([1, 2]), InvalidArgumentError,
     "primal 0 has dtype int32; tangents need a float primal"),
    (np.ones(2), np.ones(2), TypeError, "primal 0 is a ndarray, expected a tensor or Variable"),
], ids=["dtype", "shape", "shape-second", "int-tangent", "count", "int-primal", "numpy-primal"])
def test_shape_and_dtype_errors(primals, tangents, exc, msg):
    with pytest.raises(exc, match=msg):
        ForwardAccumulator(primals, tangents)


def test_numpy_and_python_tangents_are_converted():
    x = f64([1., 2.])
    with ForwardAccumulator(x, np.array([1., 3.])) as acc:
        y = x * x
    np.testing.assert_allclose(acc.jvp(y).numpy(), [2., 12.])
    s = tf.constant(2.0)
    with ForwardAccumulator(s, 1.0) as acc:
        y = s * s
    assert acc.jvp(y).dtype == tf.float32 and float(acc.jvp(y)) == 4.0


def test_tangent_nodes_are_tagged_in_the_traced_graph():
    @tf.function(jit_compile=False)
    def f(x, t):
        y0 = tf.exp(x)                       # before the accumulator: plain forward code
        with ForwardAccumulator(x, t) as acc:
            y = tf.sin(x) * x
        return y0, y, acc.jvp(y)

    x, t = f64([0.3, 0.4]), f64([1., 2.])
    _, y, ty = f(x, t)
    np.testing.assert_allclose(ty.numpy(), (np.cos([.3, .4]) * [.3, .4] + np.sin([.3, .4]))
                               * [1, 2])
    nodes = dict(f.get_concrete_function(x, t).traced.nx.nodes(data=True))
    tangent = {n for n, d in nodes.items() if d["tags"].get("tangent")}
    forward = {n for n, d in nodes.items() if not d["tags"]}
    assert tangent and forward
    by_op = {d["op"] for n, d in nodes.items() if n in tangent}
    assert {"cos", "multiply", "add"} <= by_op          # cos(x)*t*x + sin(x)*t
    for n in tangent:
        tags = nodes[n]["tags"]
        assert tags["adjoint"] == 1 and tags["tangent"] is True
        assert tags["forward"] in forward and nodes[tags["forward"]]["op"] in ("sin", "multiply")
    assert not any(nodes[n]["op"] == "exp" for n in tangent)
    # without an accumulator, nothing is tagged
    g = tf.function(lambda x: tf.sin(x) * x, jit_compile=False)
    assert all(not d["tags"] for _, d in g.get_concrete_function(x).traced.nx.nodes(data=True))


def _f(x):
    return tf.reduce_sum(tf.exp(x) * tf.sin(x[::-1]) + x * x * x)


def _hess_np(x):
    """Hessian of _f: diagonal terms of exp(x_i) sin(x_{n-1-i}) + x^3, plus the mixed ones."""
    n = len(x)
    h = np.zeros((n, n))
    for i in range(n):
        j = n - 1 - i
        # d2/dxi2 of exp(xi) sin(xj) and mixed d2/dxi dxj
        if i == j:
            h[i, i] += np.exp(x[i]) * (np.sin(x[i]) + 2 * np.cos(x[i]) - np.sin(x[i]))
        else:
            h[i, i] += np.exp(x[i]) * np.sin(x[j])
            h[j, j] += -np.exp(x[i]) * np.sin(x[j])
            h[i, j] += np.exp(x[i]) * np.cos(x[j])
            h[j, i] += np.exp(x[i]) * np.cos(x[j])
        h[i, i] += 6 * x[i]
    return h


X3 = np.array([0.3, -0.7, 1.1])
V3, W3 = np.array([1., 2., -1.]), np.array([0.5, -1., 2.])


def test_hessian_reference_is_right():
    eps = 1e-5
    ts = lambda x: tape_grad(_f, x)   # noqa: E731
    num = np.stack([(ts(X3 + eps * e) - ts(X3 - eps * e)) / (2 * eps) for e in np.eye(3)])
    np.testing.assert_allclose(_hess_np(X3), num, rtol=1e-6, atol=1e-8)


def tape_grad(f, x):
    t = f64(x)
    with tf.GradientTape() as tape:
        tape.watch(t)
        y = f(t)
    return tape.gradient(y, t).numpy()


def test_forward_over_forward_second_derivative():
    x = f64(X3)
    with ForwardAccumulator(x, f64(V3)) as outer:
        with ForwardAccumulator(x, f64(W3)) as inner:
            y = _f(x)
        dy = inner.jvp(y)            # J w, computed while `outer` watches
    d2 = outer.jvp(dy)               # v^T H w
    assert outer.jvp(y) is not None  # the outer one sees the primal computation too
    np.testing.assert_allclose(float(dy), tape_grad(_f, X3) @ W3, rtol=1e-12)
    np.testing.assert_allclose(float(d2), V3 @ _hess_np(X3) @ W3, rtol=1e-12)
    assert inner.jvp(outer.jvp(y)) is None   # the outer tangent was computed after `inner` ended


def test_forward_over_forward_scalar_third_derivative():
    x = f64(0.7)
    one = f64(1.)
    with ForwardAccumulator(x, one) as a3:
        with ForwardAccumulator(x, one) as a2:
            with ForwardAccumulator(x, one) as a1:
                y = tf.sin(x) * tf.exp(x)
            d1 = a1.jvp(y)
        d2 = a2.jvp(d1)
    d3 = a3.jvp(d2)
    np.testing.assert_allclose(float(d3), np.exp(.7) * (2 * np.cos(.7) - 2 * np.sin(.7)),
                               rtol=1e-12)


def test_forward_over_reverse_hvp_of_a_function():
    x = f64(X3)
    with ForwardAccumulator(x, f64(V3)) as acc:
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = _f(x)
        g = tape.gradient(y, x)
    np.testing.assert_allclose(acc.jvp(g).numpy(), _hess_np(X3) @ V3, rtol=1e-12)


def test_reverse_over_forward_hvp_of_a_function():
    x = f64(X3)
    with tf.GradientTape() as tape:
        tape.watch(x)
        with ForwardAccumulator(x, f64(V3)) as acc:
            y = _f(x)
        jv = acc.jvp(y)            # <grad f, v>, recorded by the tape
    np.testing.assert_allclose(tape.gradient(jv, x).numpy(), _hess_np(X3) @ V3, rtol=1e-12)


def test_hvps_inside_function():
    @tf.function(jit_compile=False)
    def hvps(x, v):
        with ForwardAccumulator(x, v) as acc:
            with tf.GradientTape() as tape:
                tape.watch(x)
                y = _f(x)
            g = tape.gradient(y, x)
        fwd_over_rev = acc.jvp(g)
        with tf.GradientTape() as tape:
            tape.watch(x)
            with ForwardAccumulator(x, v) as acc:
                y = _f(x)
            jv = acc.jvp(y)
        return fwd_over_rev, tape.gradient(jv, x)

    a, b = hvps(f64(X3), f64(V3))
    np.testing.assert_allclose(a.numpy(), _hess_np(X3) @ V3, rtol=1e-12)
    np.testing.assert_allclose(b.numpy(), _hess_np(X3) @ V3, rtol=1e-12)


def test_accumulator_state_is_restored_on_error():
    from graphflow import state as _state
    before = _state.current().tapes
    x = f64([1., 2.])
    with pytest.raises(InvalidArgumentError):
        with ForwardAccumulator(x, f64([1., 1.])):
            x + f64([1., 2., 3.])
    assert _state.current().tapes == before


def test_cond_with_eager_predicate_under_an_accumulator():
    """cond branches capture values carrying a tangent (the accumulator's `_watched`), so
    the tangent flows through the cond node."""
    from graphflow import control_ops
    x = f64([0.5, 1.0])
    with ForwardAccumulator(x, f64([1., 2.])) as acc:
        y = control_ops.cond_op(tf.constant(True), lambda: tf.sin(x), lambda: x)
    np.testing.assert_allclose(acc.jvp(y).numpy(), np.cos([.5, 1.]) * [1, 2])


def test_inner_recorders_do_not_see_an_outer_accumulators_tangents():
    """As in TF, only recorders entered before an accumulator see its JVP computation: an inner
    tape records the primal ops only (the outer accumulator still sees the tape's gradient ops,
    which is what forward-over-reverse needs)."""
    x = f64(X3)
    with ForwardAccumulator(x, f64(V3)) as acc:
        with tf.GradientTape(persistent=True) as tape:
            tape.watch(x)
            y = _f(x)
        assert tape.gradient(acc.jvp(y), x) is None
        g = tape.gradient(y, x)
    np.testing.assert_allclose(acc.jvp(g).numpy(), _hess_np(X3) @ V3, rtol=1e-12)


def test_nested_accumulators_cost_grows_geometrically_not_factorially():
    """Each accumulator differentiates the primal ops and the JVPs of the accumulators inside
    it only, so k nested accumulators cost about 3**k ops here (each one seeing every other's
    rules would be O(k!))."""
    import contextlib
    x = f64(0.7)
    counts = []
    for k in (1, 2, 3, 4, 5):
        with Recorder() as rec, contextlib.ExitStack() as stack:
            accs = [stack.enter_context(ForwardAccumulator(x, f64(1.))) for _ in range(k)]
            d = tf.sin(x) * tf.exp(x)
            for a in reversed(accs):   # innermost first: d^k/dx^k
                d = a.jvp(d)
        counts.append(len(rec.records))
        # d^k/dx^k of e^x sin x = 2^(k/2) e^x sin(x + k pi/4)
        np.testing.assert_allclose(float(d), 2 ** (k / 2) * np.exp(.7) * np.sin(.7 + k * np.pi / 4),
                                   rtol=1e-12)
    ratios = [b / a for a, b in zip(counts, counts[1:])]
    assert max(ratios) < 4, counts
