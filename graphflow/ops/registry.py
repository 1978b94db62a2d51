"""The op table: every primitive is one `OpDef`, declared once with all it needs.

An op declares its numpy implementation, its shape/dtype rule, its VJP (written in graphflow
ops, so gradients are differentiable again), and - for elementwise ops - the scalar expression
template the numba code generator inlines.

>>> from graphflow.ops.registry import OPS
>>> OPS["add"].template
'({0} + {1})'
"""
from collections import namedtuple

import numpy as np

from ..errors import InvalidArgumentError

#: Abstract value used by shape rules while tracing (numpy arrays have the same two fields).
Aval = namedtuple("Aval", "shape dtype")

ELEMENTWISE, REDUCTION, OTHER = "elementwise", "reduction", "other"

OPS = {}


class OpDef:
    """One primitive op.

    impl(*arrays, **attrs) -> array         reference semantics (numpy)
    rule(*avals, **attrs) -> Aval           shape/dtype rule; avals have .shape (tuple) and .dtype (np)
    vjp(inputs, output, ct, **attrs) -> [input cotangent or None]  in graphflow ops
    template                                scalar expression, e.g. "({0} * {1})" (elementwise only)
    """

    __slots__ = ("name", "impl", "rule", "vjp", "template", "kind", "stateful", "nondiff_reason",
                 "doc")

    def __init__(self, name, impl, rule, vjp=None, template=None, kind=OTHER, stateful=False,
                 nondiff_reason=None, doc=""):
        self.name, self.impl, self.rule, self.vjp = name, impl, rule, vjp
        self.template, self.kind, self.stateful = template, kind, stateful
        # Why this op has no gradient (shown by GradientTape's explanations); None if differentiable.
        self.nondiff_reason = nondiff_reason
        self.doc = doc

    @property
    def differentiable(self):
        return self.vjp is not None

    def __repr__(self):
        return f"<op {self.name}>"


def defop(name, impl, rule, vjp=None, **kw):
    """Register a primitive op in the table and return its OpDef."""
    if name in OPS:
        raise ValueError(f"op {name!r} registered twice")
    if vjp is None and kw.get("nondiff_reason") is None:
        raise ValueError(f"op {name!r} needs a vjp or a nondiff_reason")
    op = OpDef(name, impl, rule, vjp, **kw)
    OPS[name] = op
    return op


# ---------------------------------------------------------------- shared shape/dtype rules
def fmt_avals(avals):
    # avals may be numpy values, Avals, or Tensors (whose dtype is a DType wrapping .np)
    return ", ".join(f"{tuple(a.shape)} {np.dtype(getattr(a.dtype, 'np', a.dtype)).name}"
                     for a in avals)


def op_error(opname, avals, msg):
    """InvalidArgumentError "op: msg (inputs: shapes dtypes)"."""
    return InvalidArgumentError(f"{opname}: {msg} (inputs: {fmt_avals(avals)})")


def broadcast_shapes(opname, avals):
    """numpy broadcast of the avals' shapes, or an op_error naming them."""
    shapes = [a.shape for a in avals]
    s0 = shapes[0]
    if all(s == s0 for s in shapes):
        return tuple(s0)
    try:
        return np.broadcast_shapes(*shapes)
    except ValueError:
        raise op_error(opname, avals, "shapes are not broadcast-compatible") from None


def same_dtype(opname, avals, kinds=None):
    """The common dtype of avals (which must all agree, and be of numpy `kinds` if given)."""
    dt = avals[0].dtype
    for a in avals[1:]:
        if a.dtype != dt:
            raise op_error(opname, avals,
                           f"cannot mix dtypes {np.dtype(dt).name} and {np.dtype(a.dtype).name}; "
                           "use graphflow.cast to convert one of them")
    if kinds is not None and np.dtype(dt).kind not in kinds:
        raise op_error(opname, avals, f"dtype {np.dtype(dt).name} not supported (needs "
                       + {"f": "a float", "fi": "a number", "fiu": "a number", "b": "a bool",
                          "fiub": "any"}.get(kinds, kinds) + " dtype)")
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
