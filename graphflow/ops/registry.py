"""The op table: every primitive is one `OpDef`, declared once with what it *means*.

An op declares its numpy implementation (the reference semantics), its shape/dtype rule, its VJP
and JVP (written in graphflow ops, so derivatives are differentiable again), its kind, its effects
and - open-ended - any further facts passes may ask about (`op.facts`, e.g. a reduction's
`monoid`). Structural ops (parameter, constant, read_variable, assign, print) are entries too, so
passes and backends ask the table, never an op name. How a backend lowers an op (the numba
backend's scalar code) lives in that backend, not here.

>>> from graphflow.ops.registry import OPS
>>> OPS["add"].kind, OPS["reduce_sum"].facts["monoid"], OPS["assign"].effects
('elementwise', 'sum', ('write',))
"""
import sys
from collections import namedtuple

import numpy as np

from ..errors import DTypeMismatchError, InvalidArgumentError
from ..indexing import index_from_spec
from .. import tensor_format as _tensor_format
from ..shapes import Dim, broadcast_dim, require_equal

#: Abstract value used by shape rules while tracing (numpy arrays have the same two fields).
Aval = namedtuple("Aval", "shape dtype")

# Kinds: what a pass may assume about an op's data flow.
ELEMENTWISE = "elementwise"   # out[i] = f(in_k[broadcast i]); fusable into loop kernels
REDUCTION = "reduction"       # combines the input over `axis` with a monoid (facts['monoid'])
ANCHOR = "anchor"             # heavy op a backend runs with a library call (matmul, conv)
SOURCE = "source"             # no value inputs: parameter, constant, variable read
EFFECT = "effect"             # exists for its side effect (assign, print)
CONTROL = "control"           # holds sub-graphs (cond, while_loop)
OTHER = "other"               # data movement and everything else (reshape, gather, ...)
KINDS = (ELEMENTWISE, REDUCTION, ANCHOR, SOURCE, EFFECT, CONTROL, OTHER)

# Effects: ordered against each other in program order; 'read' only against writes.
EFFECTS = ("read", "write", "io", "random", "collective")

OPS = {}


class Linear:
    """JVP rule of an op linear in the inputs at `positions` (all if None): the output tangent
    is the op itself applied to the tangents there (primals elsewhere), as JAX's `deflinear`."""
    __slots__ = ("positions",)

    def __init__(self, positions=None):
        self.positions = positions

    def __repr__(self):
        return "linear" if self.positions is None else f"linear{self.positions}"


class Bilinear:
    """JVP rule of an op bilinear in its two inputs (multiply, matmul):
    d op(a, b) = op(da, b) + op(a, db), as JAX's `defbilinear`."""
    __slots__ = ()

    def __repr__(self):
        return "bilinear"


class Pointwise:
    """JVP rule of an elementwise op, derived from its VJP: the Jacobian is diagonal, so the
    tangent of input k contributes `vjp(inputs, output, t_k)[k]` (the VJP multiplies by the
    same partial derivative the JVP needs); contributions add up."""
    __slots__ = ()

    def __repr__(self):
        return "pointwise"


class ViaVjp:
    """JVP rule derived from a differentiable VJP by linear transposition: J t is the gradient
    with respect to u of <vjp(u), t>. Costs a second-order pass; for ops with no simpler rule
    (cond, whose branches are sub-graphs)."""
    __slots__ = ()

    def __repr__(self):
        return "via-vjp"


LINEAR, BILINEAR, POINTWISE, VIA_VJP = Linear(), Bilinear(), Pointwise(), ViaVjp()


def linear_in(*positions):
    """JVP rule: linear in the inputs at `positions` (e.g. where's x and y, gather's params)."""
    return Linear(tuple(positions))


class OpDef:
    """One primitive op.

    impl(*arrays, **attrs) -> array         reference semantics (numpy)
    rule(*avals, **attrs) -> Aval           shape/dtype rule; avals have .shape (tuple) and .dtype
    vjp(inputs, output, ct, **attrs) -> [input cotangent or None]   in graphflow ops
    jvp(inputs, output, tangents, **attrs) -> output tangent or None (tangents: None = zero),
                                            or LINEAR / linear_in(...) / BILINEAR / POINTWISE /
                                            VIA_VJP (interpreted by graphflow.autodiff.forward)
    kind                                    one of KINDS
    effects                                 tuple of EFFECTS (empty for pure ops)
    nondiff_reason                          why there is no derivative (None if differentiable)
    facts                                   anything else passes may ask (open-ended)
    """

    __slots__ = ("name", "impl", "rule", "vjp", "jvp", "kind", "effects", "nondiff_reason",
                 "doc", "facts")

    def __init__(self, name, impl, rule, vjp=None, jvp=None, kind=OTHER, effects=(),
                 nondiff_reason=None, doc="", facts=None):
        self.name, self.impl, self.rule, self.vjp, self.jvp = name, impl, rule, vjp, jvp
        self.kind, self.effects = kind, tuple(effects)
        self.nondiff_reason = nondiff_reason
        self.doc = doc
        self.facts = dict(facts or {})

    @property
    def differentiable(self):
        return self.vjp is not None

    @property
    def stateful(self):
        """True if the op has an effect ordered in program order (anything but a plain read)."""
        return any(e != "read" for e in self.effects)

    def __repr__(self):
        return f"<op {self.name}>"


def runs_blas(op):
    """True if `op`'s numpy impl runs BLAS/LAPACK products: its kind is ANCHOR or it has the
    fact `blas=True` (einsum). Executors choose BLAS threads around such ops.

    >>> runs_blas(OPS["matmul"]), runs_blas(OPS["add"])
    (True, False)
    """
    return op.kind == ANCHOR or bool(op.facts.get("blas"))


def defop(name, impl, rule, vjp=None, *, jvp=None, kind=OTHER, effects=(), nondiff_reason=None,
          doc="", **facts):
    """Register a primitive op in the table and return its OpDef.

    Differentiable ops need both a `vjp` and a `jvp`; others state a `nondiff_reason`.
    Extra keyword arguments are facts for passes (`monoid=`, `value_independent=`, ...).
    """
    if name in OPS:
        raise ValueError(f"op {name!r} registered twice")
    if kind not in KINDS:
        raise ValueError(f"op {name!r}: unknown kind {kind!r}")
    bad = set(effects) - set(EFFECTS)
    if bad:
        raise ValueError(f"op {name!r}: unknown effects {sorted(bad)}")
    if (vjp is None or jvp is None) and nondiff_reason is None:
        raise ValueError(f"op {name!r} needs a vjp and a jvp, or a nondiff_reason")
    op = OpDef(name, impl, rule, vjp, jvp, kind, effects, nondiff_reason, doc, facts)
    OPS[name] = op
    return op


# ---------------------------------------------------------------- structural ops
def _same(x):
    return Aval(tuple(x.shape), x.dtype)


def _no_rule(opname):
    def rule(*avals, **attrs):
        raise InvalidArgumentError(f"{opname}: a structural op; its node carries shape and dtype")
    return rule


def _read_impl(var):
    return var._value


def _assign_impl(value, var, spec):
    """Store `value` into `var` (copy-on-write, so values read earlier keep theirs)."""
    if spec is None:
        var._value = np.array(value, dtype=var._value.dtype)
    else:
        new = var._value.copy()
        new[index_from_spec(spec)] = value
        var._value = new


def _print_impl(*values, fmt, stream=None, end="\n", summarize=None):
    """Write one `graphflow.print` line, each value in TF's summary format; the stream is
    looked up at run time (sys.stdout of the moment, so pytest's capsys and redirect_stdout
    see it)."""
    out = sys.stdout if stream is None else stream
    out.write(fmt.format(*[_tensor_format.summarize(v, summarize) for v in values]) + end)


def _write_summary_impl(data, step, *, writer, kind, tag, extra):
    """Write one `tf.summary` record through graphflow.summary's writer. The op lives here so
    the op table is whole after `import graphflow` (graphflow.summary loads lazily)."""
    writer.write(kind, tag, np.asarray(data), int(step), dict(extra))
    return np.float32(0)


PARAMETER = defop("parameter", None, _no_rule("parameter"), kind=SOURCE, arity=0,
                  nondiff_reason="a graph input (gradients reach it as a source)")
CONSTANT = defop("constant", lambda value: value, _no_rule("constant"), kind=SOURCE, arity=0,
                 nondiff_reason="a constant")
READ_VARIABLE = defop("read_variable", _read_impl, lambda var: Aval(tuple(var.shape), var.dtype.np),
                      lambda i, o, g: [g], jvp=LINEAR, kind=SOURCE, effects=("read",), arity=0)
ASSIGN = defop("assign", _assign_impl, lambda value, var, spec: Aval((), value.dtype),
               kind=EFFECT, effects=("write",), arity=1,
               nondiff_reason="assign changes a Variable; it has no output value")
WRITE_SUMMARY = defop("write_summary", _write_summary_impl,
                      lambda *xs, **attrs: Aval((), np.dtype(np.float32)), kind=EFFECT,
                      effects=("io",), nondiff_reason="a summary has no output value")
PRINT = defop("print", _print_impl, lambda *xs, **attrs: Aval((), np.dtype(np.float32)), kind=EFFECT,
              effects=("io",), nondiff_reason="print has no output value")


# ---------------------------------------------------------------- shared shape/dtype rules
def fmt_avals(avals):
    # avals may be numpy values, Avals, or Tensors (whose dtype is a DType wrapping .np)
    return ", ".join(f"{tuple(a.shape)} {np.dtype(getattr(a.dtype, 'np', a.dtype)).name}"
                     for a in avals)


def op_error(opname, avals, msg, cls=InvalidArgumentError):
    """InvalidArgumentError (or subclass `cls`) "op: msg (inputs: shapes dtypes)"."""
    return cls(f"{opname}: {msg} (inputs: {fmt_avals(avals)})")


def broadcast_shapes(opname, avals):
    """numpy broadcast of the avals' shapes, or an op_error naming them."""
    shapes = [a.shape for a in avals]
    s0 = shapes[0]
    if all(s == s0 for s in shapes):
        return tuple(s0)
    if any(isinstance(d, Dim) or d is None for s in shapes for d in s):
        return _broadcast_symbolic(opname, avals, shapes)
    try:
        return np.broadcast_shapes(*shapes)
    except ValueError:
        raise op_error(opname, avals, "shapes are not broadcast-compatible") from None


def _broadcast_symbolic(opname, avals, shapes):
    """Broadcast with unknown dims (`graphflow.shapes.broadcast_dim`: pairs it cannot decide
    are checked at run time)."""
    n = max(len(s) for s in shapes)
    out = []
    for i in range(n):
        r = 1
        for s in shapes:
            if i - n + len(s) >= 0:
                d = s[i - n + len(s)]
                if r is None or d is None:   # a run-time size (None): a known n > 1 wins
                    k = d if r is None else r
                    r = k if isinstance(k, (int, np.integer)) and k != 1 else None
                    continue
                r = broadcast_dim(r, d)
                if r is None:
                    raise op_error(opname, avals, "shapes are not broadcast-compatible")
        out.append(r)
    return tuple(out)


def shapes_agree(opname, avals, s1, s2, msg="shapes must agree"):
    """True if shapes `s1` and `s2` may be equal: same rank, known dims equal; pairs involving
    unknown dims are checked at run time, failing with op_error(opname, avals, msg) (for
    compositions that compare shapes in Python before binding ops)."""
    s1, s2 = tuple(s1), tuple(s2)
    if len(s1) != len(s2):
        return False
    return all([require_equal(a, b, "equal", (opname, tuple(avals), msg))
                for a, b in zip(s1, s2)])


def same_dtype(opname, avals, kinds=None):
    """The common dtype of avals (which must all agree, and be of numpy `kinds` if given)."""
    dt = avals[0].dtype
    for a in avals[1:]:
        if a.dtype != dt:
            raise op_error(opname, avals,
                           f"cannot mix dtypes {np.dtype(dt).name} and {np.dtype(a.dtype).name}; "
                           "use graphflow.cast to convert one of them", DTypeMismatchError)
    if kinds is not None and np.dtype(dt).kind not in kinds:
        raise op_error(opname, avals, f"dtype {np.dtype(dt).name} not supported (needs "
                       + {"f": "a float", "fi": "a float or signed integer", "fiu": "a number", "b": "a bool",
                          "fiub": "any", "fc": "a float or complex",
                          "fic": "a float, complex or signed integer",
                          "fiuc": "a number"}.get(kinds, kinds) + " dtype)")
    return np.dtype(dt)


def elementwise_rule(name, kinds="fiu", out_dtype=None):
    """Rule for n-ary elementwise ops: same dtypes, broadcast shapes."""
    def rule(*avals, **attrs):
        dt = same_dtype(name, avals, kinds)
        return Aval(broadcast_shapes(name, avals), np.dtype(out_dtype) if out_dtype else dt)
    return rule


def normalize_axis(opname, axis, ndim, avals=()):
    """Axis argument -> sorted tuple of non-negative ints (None = all axes)."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if np.ndim(axis) == 0 else tuple(axis)
    out = []
    for a in axes:
        a = int(a)
        if not -ndim <= a < max(ndim, 1):
            raise op_error(opname, avals, f"axis {a} out of range for rank {ndim}")
        out.append(a % max(ndim, 1))
    return tuple(sorted(set(out)))
