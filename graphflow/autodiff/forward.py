"""Forward-mode autodiff: `ForwardAccumulator` (TF's API) and a functional `jvp`.

An accumulator is a recorder of the trace state (like a GradientTape): `bind` shows it every op
application, and it computes the output's tangent from the inputs' tangents with the op's JVP
rule from the op table - written in graphflow ops, so it runs eagerly, adds tangent nodes to the
graph inside `@function` (tagged `{'adjoint': 1, 'forward': node, 'tangent': True}`), and is
itself differentiable: a GradientTape outside or inside the accumulator gives
reverse-over-forward or forward-over-reverse second derivatives (Hessian-vector products).
Only recorders entered before an accumulator (outer ones) see its tangent computation, as in
TF: an inner accumulator or tape does not differentiate an outer accumulator's JVPs.

The table's shared rules are interpreted here: LINEAR / linear_in(...) (the op applied to the
tangents), BILINEAR (product rule), POINTWISE (elementwise ops: from the VJP, whose Jacobian is
diagonal) and VIA_VJP (linear transposition of a differentiable VJP).

>>> import graphflow as tf
>>> x = tf.constant([1., 2.])
>>> with tf.autodiff.ForwardAccumulator(x, tf.constant([1., 0.])) as acc:
...     y = tf.reduce_sum(x * x)
>>> print(acc.jvp(y).numpy())
2.0
"""
from .. import state as _state
from ..dispatch import bind
from ..errors import InvalidArgumentError
from ..nest import flatten
from ..ops.math_ops import add, multiply, reduce_sum, zeros_like
from ..ops.registry import OPS, Bilinear, Linear, Pointwise, ViaVjp
from ..ops.shape_ops import broadcast_to
from ..tensor import Tensor, Variable, to_tensor
from .reverse import Record, backward, is_floating


def _sum(terms):
    terms = [t for t in terms if t is not None]
    if not terms:
        return None
    out = terms[0]
    for t in terms[1:]:
        out = add(out, t)
    return out


def _apply(op, args, attrs):
    return bind(op, list(args), attrs)


def tangent_of(op, args, attrs, out, tangents):
    """The tangent of `out = op(*args, **attrs)` given the inputs' tangents (None = zero);
    None if it is zero. Runs the op's JVP rule in graphflow ops."""
    rule = op.jvp
    if isinstance(rule, Linear):
        pos = range(len(args)) if rule.positions is None else rule.positions
        if all(tangents[k] is None for k in pos):
            return None
        ins = list(args)
        for k in pos:
            t = tangents[k]
            ins[k] = zeros_like(args[k]) if t is None else t
        return _apply(op, ins, attrs)
    if isinstance(rule, Bilinear):
        (a, b), (ta, tb) = args, tangents
        return _sum([None if ta is None else _apply(op, [ta, b], attrs),
                     None if tb is None else _apply(op, [a, tb], attrs)])
    if isinstance(rule, Pointwise):
        if out.dtype.is_complex:   # VJPs hold conj(f'(z)) (TF's convention): J t = conj(vjp(conj t))
            cj = OPS["conj"]
            return _sum([None if t is None else bind(cj, [op.vjp(args, out, bind(cj, [t], {}),
                                                                 **attrs)[k]], {})
                         for k, t in enumerate(tangents)])
        return _sum([None if t is None else op.vjp(args, out, t, **attrs)[k]
                     for k, t in enumerate(tangents)])
    if isinstance(rule, ViaVjp):
        return _transpose_vjp(op, args, attrs, out, tangents)
    return rule(args, out, tangents, **attrs)


def _transpose_vjp(op, args, attrs, out, tangents):
    """J t = d/du <vjp(u), t> at any u (the VJP is linear in u): one reverse pass over the
    VJP's own ops, recorded here."""
    u = zeros_like(out)
    records = []

    class _Rec:   # records the VJP's ops that depend on u, for the reverse pass
        _watched = {id(u)}

        @staticmethod
        def _record(op_, args_, attrs_, out_):
            if any(id(a) in _Rec._watched for a in args_):
                _Rec._watched.add(id(out_))
                records.append(Record(op_, args_, attrs_, out_))

        @staticmethod
        def _record_read(var, t):
            pass

        @staticmethod
        def _note_escape(t):
            pass

    st = _state.current()
    token = _state.push(tapes=st.tapes + (_Rec,))
    try:
        cts = op.vjp(args, out, u, **attrs)
        s = _sum([None if (t is None or c is None) else reduce_sum(multiply(c, t))
                  for c, t in zip(cts, tangents)])
    finally:
        _state.pop(token)
    if s is None:
        return None
    seed = zeros_like(s) + 1.0
    return backward(records, [s], [seed], [u])[0]


class ForwardAccumulator:
    """Computes Jacobian-vector products with forward mode (`tf.autodiff.ForwardAccumulator`).

    `primals` (tensors or Variables, possibly nested) get the `tangents` (same structure, shapes
    and dtypes); every op run inside the `with` block propagates them; `acc.jvp(t)` is the
    tangent of `t` (None if `t` does not depend on the primals, or zeros with
    `unconnected_gradients='zero'`).
    """

    def __init__(self, primals, tangents):
        ps, _ = flatten(primals)
        ts, _ = flatten(tangents)
        if len(ps) != len(ts):
            raise ValueError(f"ForwardAccumulator: {len(ps)} primals but {len(ts)} tangents")
        self._tangents = {}
        self._keep = []   # keeps primals and traced values alive so their ids stay unique
        for i, (p, t) in enumerate(zip(ps, ts)):
            if not isinstance(p, (Tensor, Variable)):
                raise TypeError(f"ForwardAccumulator: primal {i} is a {type(p).__name__}, "
                                "expected a tensor or Variable")
            if not p.dtype.is_floating:
                raise InvalidArgumentError(f"ForwardAccumulator: primal {i} has dtype "
                                           f"{p.dtype.name}; tangents need a float primal")
            t = to_tensor(t, p.dtype)
            if tuple(t.shape) != tuple(p.shape) or t.dtype != p.dtype:
                raise InvalidArgumentError(
                    f"ForwardAccumulator: tangent {i} is {t.dtype.name}{list(t.shape)} but its "
                    f"primal is {p.dtype.name}{list(p.shape)}")
            self._tangents[id(p)] = t
            self._keep.append(p)

    def __enter__(self):
        st = _state.current()
        _state.swap(st.replace(tapes=st.tapes + (self,)))
        return self

    def __exit__(self, *exc):
        st = _state.current()
        _state.swap(st.replace(tapes=tuple(r for r in st.tapes if r is not self)))
        return False

    # ---- the recorder protocol (called by dispatch / Variable / cond branches) --
    @property
    def _watched(self):
        """Ids of the values that carry a tangent (what recorders call "watched": a cond
        branch captures such eager values as inputs of the cond node, so the cond's JVP
        sees their tangents)."""
        return self._tangents

    def _record(self, op, args, attrs, out):
        tans = [self._tangents.get(id(a)) for a in args]
        if not any(t is not None for t in tans) or not is_floating(out):
            return
        if op.jvp is None:   # not differentiable (argmax, comparisons, random, ...)
            return
        st = _state.current()
        # Only the recorders entered before this one (outer tapes and accumulators) see the
        # tangent computation, as in TF: inner ones must not differentiate an outer
        # accumulator's JVPs (`inner.jvp(outer.jvp(y))` is None), else every accumulator
        # would also differentiate every other's rules and k nested ones cost O(k!) ops.
        tapes = st.tapes
        for i, r in enumerate(tapes):
            if r is self:
                tapes = tapes[:i]
                break
        changes = {"tapes": tapes}
        if st.graph is not None:   # tangent nodes are tagged like adjoint nodes
            changes["adjoint"] = (1, getattr(out, "_node", None), "tangent")
        token = _state.push(**changes)
        try:
            t = tangent_of(op, args, attrs, out, tans)
            if t is not None and tuple(t.shape) != tuple(out.shape):
                t = broadcast_to(t, out.shape)   # inputs broadcast: so does their tangent
        finally:
            _state.pop(token)
        if t is not None:
            self._tangents[id(out)] = t
            self._keep.append(out)

    def _record_read(self, var, t):
        tan = self._tangents.get(id(var))
        if tan is not None:
            self._tangents[id(t)] = tan
            self._keep.append(t)

    def _note_escape(self, t):
        pass

    # ---- results --------------------------------------------------------------
    def jvp(self, primals, unconnected_gradients="none"):
        """The tangent of each tensor in `primals` (same structure)."""
        if unconnected_gradients not in ("none", "zero"):
            raise ValueError("unconnected_gradients must be 'none' or 'zero'")
        leaves, rebuild = flatten(primals)
        out = []
        for p in leaves:
            t = self._tangents.get(id(p))
            if t is None and unconnected_gradients == "zero":
                t = zeros_like(p)
            out.append(t)
        return rebuild(out)


def jvp(fn, primals, tangents):
    """(fn(*primals), its tangent along `tangents`): forward mode as a function (JAX's `jvp`).

    >>> import graphflow as tf
    >>> y, t = jvp(lambda x: tf.sin(x), [tf.constant(0.)], [tf.constant(2.)])
    >>> float(y), float(t)
    (0.0, 2.0)
    """
    primals = [p if isinstance(p, (Tensor, Variable)) else to_tensor(p) for p in primals]
    with ForwardAccumulator(primals, tangents) as acc:
        out = fn(*primals)
    return out, acc.jvp(out, unconnected_gradients="zero")
