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
    return np.random.default_rng(abs(hash((name, case.id, salt))) % 2**32)


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
    eps = case.eps or 1e-5
    hi = _grad(case.f, [x + eps * v for x, v in zip(case.xs, vs)], rs)
    lo = _grad(case.f, [x - eps * v for x, v in zip(case.xs, vs)], rs)
    for k, (hv, h, l) in enumerate(zip(hvs, hi, lo)):
        assert hv.dtype == tf.float64 and tuple(hv.shape) == np.shape(case.xs[k])
        # (cases through float32 use a wide step, eps=1e-2: their central difference of the
        # gradient has an O(eps**2) truncation error near 1e-4)
        rtol = 1e-5 if case.rtol <= 1e-6 else 10 * case.rtol
        _close(_np(hv), (h - l) / (2 * eps), rtol, f"H v, input {k}", atol=1e-6)
