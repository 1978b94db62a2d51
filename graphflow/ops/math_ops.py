"""Elementwise math, reductions, matmul and casts: the op table entries and their TF-named APIs.

>>> import graphflow as tf
>>> tf.reduce_sum(tf.constant([[1., 2.], [3., 4.]]), axis=0).numpy()
array([4., 6.], dtype=float32)
"""
import operator as _operator

import numpy as np

from .. import dtypes as _dt
from ..dispatch import binary_operator, bind
from ..tensor import OPERATORS, constant, convert_args, to_tensor
from . import shape_ops as _s
from ..errors import InvalidArgumentError
from ..shapes import Dim, is_static, prod as _dprod, require_equal
from .creation import ones  # noqa: F401  (used in doctests)
from .registry import (ANCHOR, BILINEAR, ELEMENTWISE, LINEAR, POINTWISE, REDUCTION, Aval,
                       broadcast_shapes, defop, elementwise_rule, linear_in, normalize_axis,
                       op_error, same_dtype, shapes_agree)
from .registry import OPS as _OPS

_NO = {}


def _api(op, doc):
    """Public wrapper for an elementwise op: converts arguments (weak scalars) and binds."""
    n = op.name

    def api(*args, name=None):
        return bind(op, convert_args(*args, op=n), _NO)
    api.__name__ = api.__qualname__ = n
    api.__doc__ = doc
    return api


# ------------------------------------------------------------------ complex convention
def _cj(x):
    """conj(x) for a complex x, else x itself (no node): VJPs of holomorphic ops multiply the
    cotangent by conj(f'(z)), TF's convention for complex gradients."""
    v = getattr(x, "_value", None)   # eager values: read numpy's kind, skip the DType lookup
    if (v.dtype.kind if v is not None else x.dtype.np.kind) != "c":
        return x
    return bind(_OPS["conj"], [x], _NO)


# ------------------------------------------------------------------ elementwise unary
def _unary(name, impl, vjp, kinds="f", doc="", arity=1, jvp=POINTWISE, **facts):
    op = defop(name, impl, elementwise_rule(name, kinds), vjp, jvp=jvp, kind=ELEMENTWISE,
               arity=arity, **facts)
    return op, _api(op, doc)


def _sigmoid(x):
    # stable in both tails: exp of a non-positive number only
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype)


def _softplus(x):
    return (np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))).astype(x.dtype)


def _erf(x):
    from scipy.special import erf   # vectorized (np.vectorize(math.erf) cost ~8 ms per 64K
    return np.asarray(erf(x), dtype=x.dtype)[()]   # values: a Keras gelu step's slowest op)


NEG, negative = _unary("negative", np.negative, lambda i, o, g: [-g], "fic",
                       "Elementwise -x.", involution=True, jvp=LINEAR,
                       dim_value=_operator.neg)
ABS, abs = _unary("abs", np.abs, lambda i, o, g: [g * sign(i[0])], "fi",
                  "Elementwise |x|.")
SIGN, sign = _unary("sign", np.sign, lambda i, o, g: [zeros_like(g)], "fi",
                    "Elementwise sign (-1, 0, 1); its gradient is zero.")
SQRT, sqrt = _unary("sqrt", np.sqrt, lambda i, o, g: [g / (_cj(o) * 2.0)], "fc",
                    doc="Elementwise square root.")
RSQRT, rsqrt = _unary("rsqrt", lambda x: (1 / np.sqrt(x)).astype(x.dtype),
                      lambda i, o, g: [g * (o * o * o) * -0.5],
                      doc="Elementwise 1/sqrt(x).")
EXP, exp = _unary("exp", np.exp, lambda i, o, g: [g * _cj(o)], "fc", doc="Elementwise e^x.")
LOG, log = _unary("log", np.log, lambda i, o, g: [g / _cj(i[0])], "fc",
                  doc="Elementwise natural logarithm.")
LOG1P, log1p = _unary("log1p", np.log1p, lambda i, o, g: [g / (i[0] + 1.0)],
                      doc="Elementwise log(1 + x), accurate for small x.")
TANH, tanh = _unary("tanh", np.tanh, lambda i, o, g: [g * _cj(1.0 - o * o)], "fc",
                    doc="Elementwise hyperbolic tangent.")
SIGMOID, sigmoid = _unary("sigmoid", _sigmoid, lambda i, o, g: [g * (o * (1.0 - o))], doc="Elementwise 1 / (1 + e^-x), stable in both tails.")
SOFTPLUS, softplus = _unary("softplus", _softplus, lambda i, o, g: [g * sigmoid(i[0])], doc="Elementwise log(1 + e^x), stable.")
RELU, relu = _unary("relu", lambda x: np.maximum(x, x.dtype.type(0)),
                    lambda i, o, g: [where(greater(i[0], 0), g, zeros_like(g))], "fi", "Elementwise max(x, 0).")
ERF, erf = _unary("erf", _erf, lambda i, o, g: [g * exp(-(i[0] * i[0])) * (2 / np.sqrt(np.pi))], doc="Elementwise Gauss error function.")
SIN, sin = _unary("sin", np.sin, lambda i, o, g: [g * _cj(cos(i[0]))], "fc", doc="Elementwise sine.")
COS, cos = _unary("cos", np.cos, lambda i, o, g: [-(g * _cj(sin(i[0])))], "fc",
                  doc="Elementwise cosine.")
FLOOR, floor = _unary("floor", np.floor, lambda i, o, g: [zeros_like(g)],
                      doc="Elementwise floor; zero gradient.")
ROUND, _round = _unary("round", np.round, lambda i, o, g: [zeros_like(g)],
                       doc="Elementwise round half to even; zero gradient.")


def round(x, name=None):
    """Elementwise round half to even (integer tensors are returned unchanged, as TF); zero
    gradient.

    >>> round(constant([0.5, 1.5, -2.5])).numpy()
    array([ 0.,  2., -2.], dtype=float32)
    """
    x = to_tensor(x)
    return identity(x) if x.dtype.is_integer else _round(x)

# ------------------------------------------------------------------ elementwise binary
def _binary(name, impl, vjp, kinds="fiu", doc="", **facts):
    return _unary(name, impl, vjp, kinds, doc, arity=2, **facts)   # same table entry; wider default kinds


ADD = defop("add", np.add, elementwise_rule("add", "fiuc"), lambda i, o, g: [g, g], kind=ELEMENTWISE, arity=2, identity_element=0, jvp=LINEAR,
            dim_value=_operator.add)
SUB = defop("subtract", np.subtract, elementwise_rule("subtract", "fiuc"), lambda i, o, g: [g, -g], kind=ELEMENTWISE, arity=2, right_identity=0, jvp=LINEAR,
            dim_value=_operator.sub)
MUL = defop("multiply", np.multiply, elementwise_rule("multiply", "fiuc"),
            lambda i, o, g: [g * _cj(i[1]), g * _cj(i[0])], kind=ELEMENTWISE, arity=2, identity_element=1, jvp=BILINEAR,
            dim_value=_operator.mul)
# The fast path uses Python's operators: identical to the ufuncs on arrays, and numpy's scalar
# math on 0-d values (~15x cheaper than calling a ufunc on two numpy scalars).
add = binary_operator("add", _operator.add,
                      "x + y with broadcasting.\n\n>>> print(add(1., 2.).numpy())\n3.0")
subtract = binary_operator("subtract", _operator.sub, "x - y with broadcasting.")
multiply = binary_operator("multiply", _operator.mul, "x * y with broadcasting.")


DIV, _divide = _binary("divide", np.divide, lambda i, o, g: [g / _cj(i[1]), -(g * _cj(o)) / _cj(i[1])], "fc", "x / y (float).", right_identity=1)


def divide(x, y, name=None):
    """x / y; integer inputs are converted to a float first as TF's truediv does: float32 for
    (u)int8/int16, float64 for int32/int64.

    >>> print(divide(1., 4.).numpy())
    0.25
    """
    x, y = convert_args(x, y)
    if x.dtype.is_integer and y.dtype == x.dtype:
        ft = _dt.float32 if x.dtype.size <= 2 else _dt.float64
        x, y = cast(x, ft), cast(y, ft)
    return _divide(x, y)


truediv = divide
def _int_division(ufunc):
    """`ufunc` that raises on an integer division by zero (numpy returns 0; TF errors)."""
    def impl(x, y):
        if y.dtype.kind in "iu" and not np.all(y) and np.broadcast(x, y).size:
            raise ZeroDivisionError("integer division by zero")   # bind names the op
        return ufunc(x, y)
    return impl


FLOORDIV = defop("floordiv", _int_division(np.floor_divide), elementwise_rule("floordiv"),
                 nondiff_reason="floordiv is piecewise constant",
                 kind=ELEMENTWISE, arity=2, int_zero_division="raises",
                 dim_value=_operator.floordiv)
floordiv = _api(FLOORDIV, "Elementwise floor(x / y); not differentiable.")
MOD, mod = _binary("mod", _int_division(np.mod), lambda i, o, g: [g, -(g * floor(i[0] / i[1]))], doc="Elementwise x mod y with the sign of y (floormod).", int_zero_division="raises")
floormod = mod


def _pow_vjp(i, o, g):
    x, y = i
    gx = g * y * pow(x, y - 1.0) if y.dtype.is_floating else g * cast(y, x.dtype) * pow(x, y - 1)
    if not y.dtype.is_floating:
        return [gx, None]
    safe_log = log(where(greater(x, 0), x, ones_like(x)))
    return [gx, g * o * where(greater(x, 0), safe_log, zeros_like(x))]


POW, pow = _binary("pow", np.power, _pow_vjp, doc="Elementwise x ** y.")
MAXIMUM, maximum = _binary(
    "maximum", np.maximum,
    lambda i, o, g: [where(greater_equal(i[0], i[1]), g, zeros_like(g)),
                     where(greater_equal(i[0], i[1]), zeros_like(g), g)],
    doc="Elementwise max; ties send the gradient to x, and so as TF does, y gets the rest (also where "
        "a NaN makes both comparisons false).")
MINIMUM, minimum = _binary(
    "minimum", np.minimum,
    lambda i, o, g: [where(less_equal(i[0], i[1]), g, zeros_like(g)),
                     where(less_equal(i[0], i[1]), zeros_like(g), g)],
    doc="Elementwise min; ties send the gradient to x, y gets the rest (also at NaNs), as TF.")


def _cmp(name, impl, kinds="fiub"):
    kinds = kinds + "c" if name in ("equal", "not_equal") else kinds   # complex: ==, != only
    op = defop(name, impl, elementwise_rule(name, kinds, np.bool_), arity=2,
               nondiff_reason=f"{name} returns booleans", kind=ELEMENTWISE)
    return op, _api(op, f"Elementwise {name}, returns bool.")


EQUAL, equal = _cmp("equal", np.equal)
NOT_EQUAL, not_equal = _cmp("not_equal", np.not_equal)
LESS, less = _cmp("less", np.less, "fiu")
LESS_EQUAL, less_equal = _cmp("less_equal", np.less_equal, "fiu")
GREATER, greater = _cmp("greater", np.greater, "fiu")
GREATER_EQUAL, greater_equal = _cmp("greater_equal", np.greater_equal, "fiu")
LOGICAL_AND, logical_and = _cmp("logical_and", np.logical_and, "b")
LOGICAL_OR, logical_or = _cmp("logical_or", np.logical_or, "b")
LOGICAL_NOT = defop("logical_not", np.logical_not, elementwise_rule("logical_not", "b"),
                    nondiff_reason="logical_not returns booleans",
                    kind=ELEMENTWISE, arity=1)
logical_not = _api(LOGICAL_NOT, "Elementwise not.")


def _where_rule(c, x, y):
    if np.dtype(c.dtype) != np.bool_:
        raise op_error("where", (c, x, y), "condition must be bool")
    dt = same_dtype("where", (x, y))
    return Aval(broadcast_shapes("where", (c, x, y)), dt)


WHERE = defop("where", np.where, _where_rule,
              lambda i, o, g: [None, where(i[0], g, zeros_like(g)), where(i[0], zeros_like(g), g)], kind=ELEMENTWISE, arity=3, jvp=linear_in(1, 2))


def where(condition, x=None, y=None, name=None):
    """Elementwise select: x where condition is True, else y (broadcasting).

    >>> where(constant([True, False]), 1., 2.).numpy()
    array([1., 2.], dtype=float32)
    """
    if x is None and y is None:
        raise NotImplementedError("where(condition) without x and y (index form) is not supported")
    c = to_tensor(condition)
    x, y = convert_args(x, y)
    return bind(WHERE, [c, x, y], _NO)


# ------------------------------------------------------------------ cast, identity, constants
def _cast_rule(x, dtype):
    return Aval(tuple(x.shape), np.dtype(dtype))


def _cast_vjp(i, o, g, dtype):
    x = i[0]
    if x.dtype.np.kind in "fc" and np.dtype(dtype).kind in "fc":
        return [cast(g, x.dtype)]   # real <-> complex: the real part goes back (TF)
    return [None]


def _cast_impl(x, dtype):
    x = np.asarray(x)
    if x.dtype.kind == "c" and np.dtype(dtype).kind != "c":
        x = x.real   # TF keeps the real part, silently (numpy warns ComplexWarning)
    return x.astype(dtype)


CAST = defop("cast", _cast_impl, _cast_rule, _cast_vjp, kind=ELEMENTWISE, arity=1, jvp=LINEAR,
             dim_value=lambda a: a)


def cast(x, dtype, name=None):
    """Convert to another dtype (float->int truncates toward zero, as TF does).

    >>> cast(constant([1.7, -1.7]), "int32").numpy()
    array([ 1, -1], dtype=int32)

    A SparseTensor keeps its indices and casts its values, as TF.
    """
    if hasattr(x, "with_values") and hasattr(x, "indices"):
        return x.with_values(cast(x.values, dtype))
    x = to_tensor(x)
    dt = _dt.as_dtype(dtype)
    if x.dtype == dt:
        return x
    return bind(CAST, [x], {"dtype": dt.np.name})


IDENTITY = defop("identity", lambda x: x, lambda x: Aval(tuple(x.shape), x.dtype),
                 lambda i, o, g: [g], kind=ELEMENTWISE, arity=1, copy=True, jvp=LINEAR)
STOP_GRADIENT = defop("stop_gradient", lambda x: x, lambda x: Aval(tuple(x.shape), x.dtype),
                      nondiff_reason="stop_gradient blocks gradients by design", kind=ELEMENTWISE, arity=1, copy=True)
ZEROS_LIKE = defop("zeros_like", np.zeros_like, lambda x: Aval(tuple(x.shape), x.dtype),
                   value_independent=True, fill_value=0, arity=1,
                   nondiff_reason="zeros_like does not depend on the values of its input", kind=ELEMENTWISE)
ONES_LIKE = defop("ones_like", np.ones_like, lambda x: Aval(tuple(x.shape), x.dtype),
                  value_independent=True, fill_value=1, arity=1,
                  nondiff_reason="ones_like does not depend on the values of its input", kind=ELEMENTWISE)


def identity(x, name=None):
    """A copy of x (gradient passes through)."""
    return bind(IDENTITY, [to_tensor(x)], _NO)


def stop_gradient(x, name=None):
    """x, but no gradient flows back through it."""
    return bind(STOP_GRADIENT, [to_tensor(x)], _NO)


def zeros_like(x, dtype=None, name=None):
    """Zeros with the shape (and dtype) of x."""
    out = bind(ZEROS_LIKE, [to_tensor(x)], _NO)
    return cast(out, dtype) if dtype is not None else out


def ones_like(x, dtype=None, name=None):
    """Ones with the shape (and dtype) of x."""
    out = bind(ONES_LIKE, [to_tensor(x)], _NO)
    return cast(out, dtype) if dtype is not None else out


# ------------------------------------------------------------------ compositions
def square(x, name=None):
    """x * x.

    >>> print(square(3.).numpy())
    9.0
    """
    x = to_tensor(x)
    return multiply(x, x)


def squared_difference(x, y, name=None):
    """(x - y) ** 2 elementwise.

    >>> print(squared_difference(3., 1.).numpy())
    4.0
    """
    d = subtract(x, y)
    return d * d


def reciprocal(x, name=None):
    """1 / x elementwise (always a tensor, as in TF).

    >>> print(reciprocal(4.).numpy())
    0.25
    """
    x = to_tensor(x)
    return divide(ones_like(x), x)


def clip_by_value(t, clip_value_min, clip_value_max, name=None):
    """min(max(t, lo), hi).

    >>> clip_by_value(constant([-2., 0.5, 3.]), 0., 1.).numpy()
    array([0. , 0.5, 1. ], dtype=float32)
    """
    t = to_tensor(t)
    return minimum(maximum(t, clip_value_min), clip_value_max)


# ------------------------------------------------------------------ reductions
def _reduce_rule(name, kinds="fiu", out_dtype=None):
    def rule(x, axis, keepdims):
        same_dtype(name, (x,), kinds)
        shape = tuple(x.shape)
        axes = normalize_axis(name, axis, len(shape), (x,))
        if keepdims:
            out = tuple(1 if d in axes else s for d, s in enumerate(shape))
        else:
            out = tuple(s for d, s in enumerate(shape) if d not in axes)
        return Aval(out, np.dtype(out_dtype or x.dtype))
    return rule


def _keep(g, x, axis, keepdims):
    """Reshape a reduction's cotangent so it broadcasts against the input x."""
    if keepdims:
        return g
    if any(d is None for d in x.shape):   # run-time sizes: insert the reduced axes as 1s
        for a in sorted(a % len(x.shape) for a in axis):
            g = _s.expand_dims(g, a)
        return g
    shape = list(x.shape)
    for a in axis:
        shape[a] = 1
    return _s.reshape(g, shape)


def _sum_vjp(i, o, g, axis, keepdims):
    if any(d is None for d in i[0].shape):   # run-time sizes: broadcast against x itself
        return [add(_keep(g, i[0], axis, keepdims), zeros_like(i[0]))]
    return [_s.broadcast_to(_keep(g, i[0], axis, keepdims), i[0].shape)]


def _extreme_vjp(i, o, g, axis, keepdims):
    x = i[0]
    mask = cast(equal(x, _keep(o, x, axis, keepdims)), x.dtype)   # ties share the gradient
    count = reduce_sum(mask, axis=axis, keepdims=True)
    return [mask * (_keep(g, x, axis, keepdims) / count)]


def _exclusive_cumprod0(x):
    """Exclusive cumulative product along axis 0 of a 2-D x, by a Hillis-Steele scan: log2(n)
    multiplies of shifted copies (no division, so zeros, infs, overflow and underflow give
    what the products give)."""
    n = x.shape[0]
    p, k = x, 1
    while k < n:
        p = p * _s.concat([ones_like(p[:k]), p[:n - k]], 0)
        k *= 2
    return _s.concat([ones_like(p[:1]), p[:n - 1]], 0)


def _prod_vjp(i, o, g, axis, keepdims):
    # d prod / d x_i = product of the other entries = (exclusive product from the left) *
    # (exclusive product from the right), as TF computes it: only multiplies, so an inf/NaN in
    # the slice, overflow or underflow of the product do not leak into the other entries, and
    # second order differentiates the products again.
    x = i[0]
    shape = tuple(x.shape)
    if all(isinstance(d, int) for d in shape) and axis:
        rest = [a for a in range(len(shape)) if a not in axis]
        perm = list(axis) + rest
        n = int(np.prod([shape[a] for a in axis], dtype=np.int64))
        m = int(np.prod([shape[a] for a in rest], dtype=np.int64))
        if n > 0:
            xt = _s.reshape(_s.transpose(x, perm), (n, m))
            left = _exclusive_cumprod0(xt)
            right = _exclusive_cumprod0(xt[::-1])[::-1]
            others = _s.reshape(left * right, [shape[a] for a in perm])
            others = _s.transpose(others, [perm.index(a) for a in range(len(shape))])
            return [_keep(g, x, axis, keepdims) * others]
    # unknown sizes: no zero in the slice -> p / x_i; exactly one zero -> p_nonzero at the
    # zero, 0 elsewhere; two or more zeros -> 0
    is0 = equal(x, 0)
    x1 = where(is0, ones_like(x), x)
    p1 = reduce_prod(x1, axis, keepdims=True)                       # product of the non-zeros
    n0 = reduce_sum(cast(is0, x.dtype), axis, keepdims=True)        # zeros per slice
    one_zero = logical_and(equal(n0, 1.0), is0)
    other = where(equal(n0, 0.0), p1 / x1, where(one_zero, p1 * ones_like(x), zeros_like(x)))
    return [_keep(g, x, axis, keepdims) * other]


def _weighted_jvp(vjp):
    """JVP of a reduction whose VJP is `broadcast(g) * weight(x)` (max, min, prod): the tangent
    is the sum of tangent * weight over the reduced axes (the weight is the VJP at g = 1)."""
    def jvp(i, o, tangents, axis, keepdims):
        w = vjp(i, o, ones_like(o), axis=axis, keepdims=keepdims)[0]
        return reduce_sum(w * tangents[0], axis, keepdims)
    return jvp


def _red(name, impl, vjp, monoid, jvp=None, kinds="fiu"):
    def fn(x, axis, keepdims):
        out = impl(x, axis=axis, keepdims=keepdims)
        return out if out.dtype == x.dtype else out.astype(x.dtype)  # numpy sums int32 as int64
    return defop(name, fn, _reduce_rule(name, kinds), vjp, jvp=jvp, kind=REDUCTION, monoid=monoid,
                 arity=1)


SUM = _red("reduce_sum", np.sum, _sum_vjp, "sum", LINEAR, kinds="fiuc")
def _empty_ok(np_reduce, lowest):
    """max (lowest=True) / min of an empty slice give the identity: -inf/+inf for floats, the
    integer limits for ints, as in TF (numpy would raise)."""
    def impl(x, axis, keepdims):
        if np.size(x):
            return np_reduce(x, axis=axis, keepdims=keepdims)
        if x.dtype.kind == "f":
            init = -np.inf if lowest else np.inf
        else:
            init = np.iinfo(x.dtype).min if lowest else np.iinfo(x.dtype).max
        return np_reduce(x, axis=axis, keepdims=keepdims, initial=init)
    return impl


MAX = _red("reduce_max", _empty_ok(np.max, True), _extreme_vjp, "max",
           _weighted_jvp(_extreme_vjp))
MIN = _red("reduce_min", _empty_ok(np.min, False), _extreme_vjp, "min",
           _weighted_jvp(_extreme_vjp))
PROD = _red("reduce_prod", np.prod, _prod_vjp, "prod", _weighted_jvp(_prod_vjp))


def _reduce(op, x, axis, keepdims):
    x = to_tensor(x)
    axes = normalize_axis(op.name, axis, x.ndim, (x,))
    if not axes:   # nothing to reduce (axis=[] or a scalar): x itself, as TF (keeps -0.0, and
        return identity(x)   # the gradient is g even where the VJP's weight would be inf/NaN)
    return bind(op, [x], {"axis": axes, "keepdims": bool(keepdims)})


def reduce_sum(input_tensor, axis=None, keepdims=False, name=None):
    """Sum over `axis` (all axes if None).

    >>> reduce_sum(constant([[1, 2], [3, 4]]), axis=1).numpy()
    array([3, 7], dtype=int32)
    """
    return _reduce(SUM, input_tensor, axis, keepdims)


def reduce_max(input_tensor, axis=None, keepdims=False, name=None):
    """Maximum over `axis`; the gradient is shared equally among ties."""
    return _reduce(MAX, input_tensor, axis, keepdims)


def reduce_min(input_tensor, axis=None, keepdims=False, name=None):
    """Minimum over `axis`; the gradient is shared equally among ties."""
    return _reduce(MIN, input_tensor, axis, keepdims)


def reduce_prod(input_tensor, axis=None, keepdims=False, name=None):
    """Product over `axis`. The gradient is exact with zeros in the input (product of the other
    entries, no division by zero); second derivatives are exact away from zeros and finite
    (but not exact) at inputs that contain zeros, as in TF.
    """
    return _reduce(PROD, input_tensor, axis, keepdims)


def reduce_mean(input_tensor, axis=None, keepdims=False, name=None):
    """Mean over `axis`; integer inputs give an integer mean truncated toward zero, as in TF.

    >>> print(reduce_mean(constant([1., 2., 3., 4.])).numpy())
    2.5
    """
    x = to_tensor(input_tensor)
    axes = normalize_axis("reduce_mean", axis, x.ndim, (x,))
    runtime = any(x.shape[a] is None for a in axes)   # sizes known when the graph runs
    n = Dim("n") if runtime else _dprod([x.shape[a] for a in axes])
    s = reduce_sum(x, axes, keepdims)
    if isinstance(n, Dim):   # unknown count: a `dims` node, bound when the graph runs
        nt = _s.dims_value(n, x.dtype) if not runtime else reduce_prod(
            cast(_s.gather(_s.shape(x), list(axes)), x.dtype))
        if x.dtype.is_integer:
            return sign(s) * floordiv(abs(s), nt) if x.dtype.np.kind == "i" else floordiv(s, nt)
        return s * (1.0 / nt)
    if x.dtype.is_integer:
        if x.dtype.np.kind == "i":   # truncate toward zero (TF's C++ division), not floor
            return sign(s) * floordiv(abs(s), max(n, 1))
        return floordiv(s, max(n, 1))
    return s * (1.0 / n) if n else s / 0.0


def _require_float(name, x):
    if not x.dtype.is_floating:
        raise TypeError(f"{name}: input must be a float tensor, got {x.dtype.name} (shape "
                        f"{x.shape}); cast it first, e.g. graphflow.cast(x, graphflow.float32)")


def reduce_variance(input_tensor, axis=None, keepdims=False, name=None):
    """Variance over `axis` (float inputs only, as in TF).

    >>> print(reduce_variance(constant([1., 2., 3., 4.])).numpy())
    1.25
    """
    x = to_tensor(input_tensor)
    _require_float("reduce_variance", x)
    m = reduce_mean(x, axis, keepdims=True)
    return reduce_mean(square(x - m), axis, keepdims)


def reduce_std(input_tensor, axis=None, keepdims=False, name=None):
    """Standard deviation over `axis` (float inputs only, as in TF)."""
    _require_float("reduce_std", to_tensor(input_tensor))
    return sqrt(reduce_variance(input_tensor, axis, keepdims))


def reduce_logsumexp(input_tensor, axis=None, keepdims=False, name=None):
    """log(sum(exp(x))) computed stably by subtracting the max."""
    x = to_tensor(input_tensor)
    m = stop_gradient(reduce_max(x, axis, keepdims=True))
    m = where(less(abs(m), np.inf), m, zeros_like(m))   # all -inf (or inf) slice: no nan, as TF
    out = log(reduce_sum(exp(x - m), axis, keepdims=True)) + m
    return out if keepdims else _s.squeeze(out, normalize_axis("reduce_logsumexp", axis, x.ndim))


def _arg_rule(name):
    def rule(x, axis, output_type):
        shape = tuple(x.shape)
        axes = normalize_axis(name, axis, len(shape), (x,))
        return Aval(tuple(s for d, s in enumerate(shape) if d != axes[0]), np.dtype(output_type))
    return rule


ARGMAX = defop("argmax", lambda x, axis, output_type: np.argmax(x, axis).astype(output_type),
               _arg_rule("argmax"), nondiff_reason="argmax returns integer indices", arity=1,
               arg_of="max")     # fact: the index of the first max along `axis` (fusable)
ARGMIN = defop("argmin", lambda x, axis, output_type: np.argmin(x, axis).astype(output_type),
               _arg_rule("argmin"), nondiff_reason="argmin returns integer indices", arity=1,
               arg_of="min")


def argmax(input, axis=None, output_type=_dt.int64, name=None):
    """Index of the largest value along `axis` (default 0), as TF (int64 by default)."""
    x = to_tensor(input)
    return bind(ARGMAX, [x], {"axis": normalize_axis("argmax", 0 if axis is None else axis, x.ndim)[0],
                              "output_type": _dt.as_dtype(output_type).np.name})


def argmin(input, axis=None, output_type=_dt.int64, name=None):
    """Index of the smallest value along `axis` (default 0)."""
    x = to_tensor(input)
    return bind(ARGMIN, [x], {"axis": normalize_axis("argmin", 0 if axis is None else axis, x.ndim)[0],
                              "output_type": _dt.as_dtype(output_type).np.name})


# ------------------------------------------------------------------ matmul
def _matmul_impl(a, b, transpose_a, transpose_b):
    if transpose_a:
        a = np.swapaxes(a, -1, -2)
    if transpose_b:
        b = np.swapaxes(b, -1, -2)
    return np.matmul(a, b)


def _matmul_rule(a, b, transpose_a, transpose_b):
    dt = same_dtype("matmul", (a, b), "fic")
    sa, sb = tuple(a.shape), tuple(b.shape)
    if len(sa) < 2 or len(sb) < 2:
        raise op_error("matmul", (a, b), "both inputs need rank >= 2")
    m, ka = (sa[-1], sa[-2]) if transpose_a else (sa[-2], sa[-1])
    kb, n = (sb[-1], sb[-2]) if transpose_b else (sb[-2], sb[-1])
    if not require_equal(ka, kb):   # unknown dims: checked when the graph runs
        raise op_error("matmul", (a, b), f"inner dimensions differ: {ka} vs {kb}"
                       + (f" (transpose_a={transpose_a}, transpose_b={transpose_b})"
                          if transpose_a or transpose_b else ""))
    try:
        batch = (np.broadcast_shapes(sa[:-2], sb[:-2]) if is_static(sa + sb) else
                 broadcast_shapes("matmul", (Aval(sa[:-2], dt), Aval(sb[:-2], dt))))
    except (ValueError, InvalidArgumentError):
        raise op_error("matmul", (a, b), "batch dimensions are not broadcast-compatible") from None
    return Aval(tuple(batch) + (m, n), dt)


def _matmul_vjp(i, o, g, transpose_a, transpose_b):
    a, b = _cj(i[0]), _cj(i[1])   # complex: dA = g conj(B)^T, dB = conj(A)^T g
    folded = _folded_weight_grad(a, b, g, transpose_a, transpose_b)
    if not transpose_a and not transpose_b:
        return [matmul(g, b, transpose_b=True),
                folded if folded is not None else matmul(a, g, transpose_a=True)]
    if transpose_a and not transpose_b:
        return [matmul(b, g, transpose_b=True), matmul(a, g)]
    if not transpose_a and transpose_b:
        return [matmul(g, b), folded if folded is not None else matmul(g, a, transpose_a=True)]
    return [matmul(b, g, transpose_a=True, transpose_b=True),
            matmul(g, a, transpose_a=True, transpose_b=True)]


def _folded_weight_grad(a, b, g, transpose_a, transpose_b):
    """The gradient of a rank-2 `b` that `a`'s batch dims broadcast (a Dense layer on a
    (batch, time, features) input) as ONE product over all rows, a (rows, K)^T (rows, N): the
    batched form made a (K, N) product per batch entry (each with a short contraction) and
    summed them after. None when `a` is transposed (its rows are not contiguous), `b` is not
    rank 2, `a` has no batch dims or its last dim is unknown."""
    k = a.shape[-1]
    if transpose_a or len(b.shape) != 2 or len(a.shape) < 3 or not is_static((k, g.shape[-1])):
        return None
    a2, g2 = _s.reshape(a, (-1, k)), _s.reshape(g, (-1, g.shape[-1]))
    return matmul(g2, a2, transpose_a=True) if transpose_b else matmul(a2, g2, transpose_a=True)


MATMUL = defop("matmul", _matmul_impl, _matmul_rule, _matmul_vjp, kind=ANCHOR, arity=2, jvp=BILINEAR)


def matmul(a, b, transpose_a=False, transpose_b=False, adjoint_a=False, adjoint_b=False,
           a_is_sparse=False, b_is_sparse=False, output_type=None, grad_a=False, grad_b=False,
           name=None):
    """Matrix product of the last two axes, batched over the leading ones (broadcast);
    adjoint_a / adjoint_b transpose and conjugate (TF: at most one flag per operand).

    >>> matmul(ones((2, 3)), ones((3, 4))).shape
    TensorShape([2, 4])
    """
    a, b = convert_args(a, b, op="matmul")
    if adjoint_a or adjoint_b or output_type is not None:   # the rare path, off the hot one
        for side, t, adj in (("a", transpose_a, adjoint_a), ("b", transpose_b, adjoint_b)):
            if t and adj:
                raise ValueError(f"Only one of transpose_{side} and adjoint_{side} can be True.")
        a, b = (_cj(a) if adjoint_a else a), (_cj(b) if adjoint_b else b)
        out = matmul(a, b, transpose_a or adjoint_a, transpose_b or adjoint_b)
        return out if output_type is None else cast(out, output_type)
    return bind(MATMUL, [a, b], {"transpose_a": bool(transpose_a), "transpose_b": bool(transpose_b)})


def tensordot(a, b, axes, name=None):
    """Not implemented: raises NotImplementedError (use matmul with reshape)."""
    raise NotImplementedError("tensordot is not implemented yet; use matmul with reshape")


def reduce_all(input_tensor, axis=None, keepdims=False, name=None):
    """Logical and over `axis` (True over an empty axis, as TF).

    >>> print(reduce_all(constant([True, False])).numpy())
    False
    """
    return cast(reduce_prod(cast(input_tensor, _dt.int32), axis, keepdims), _dt.bool)


def reduce_any(input_tensor, axis=None, keepdims=False, name=None):
    """Logical or over `axis` (False over an empty axis, as TF)."""
    return cast(reduce_sum(cast(input_tensor, _dt.int32), axis, keepdims), _dt.bool)


def _mul_operator(x, y):
    """`x * y`: as TF's operator, logical_and when a tensor operand is bool (tf.multiply itself
    rejects bool)."""
    try:   # numbers first: the hot path pays nothing for the bool check
        return multiply(x, y)
    except InvalidArgumentError:   # multiply's rule rejects bool (its dtype check comes first)
        if not any(getattr(t, "dtype", None) == _dt.bool for t in (x, y)):
            raise
    return logical_and(x, y)


# Tensor's operators are these functions (tensor.py sits below the ops and cannot import them)
OPERATORS.update(
    add=add, subtract=subtract, multiply=_mul_operator, divide=divide, floordiv=floordiv, mod=mod,
    pow=pow, matmul=matmul, logical_and=logical_and, logical_or=logical_or,
    logical_not=logical_not, less=less, less_equal=less_equal, greater=greater,
    greater_equal=greater_equal, equal=equal, not_equal=not_equal, negative=negative, abs=abs,
    identity=identity)


# ------------------------------------------------------------------ more elementwise math
EXPM1, expm1 = _unary("expm1", np.expm1, lambda i, o, g: [g * (o + 1.0)],
                      doc="Elementwise e^x - 1, accurate for small x.\n\n"
                          ">>> print(expm1(constant(0.)).numpy())\n0.0")
ATAN, atan = _unary("atan", np.arctan, lambda i, o, g: [g / (i[0] * i[0] + 1.0)],
                    doc="Elementwise arctangent.\n\n>>> print(atan(constant(0.)).numpy())\n0.0")


def _atan2_vjp(i, o, g):
    y, x = i
    r2 = y * y + x * x
    return [g * x / r2, -(g * y) / r2]


ATAN2, atan2 = _binary("atan2", np.arctan2, _atan2_vjp, "f",
                       "Elementwise angle of the point (x, y): atan2(y, x).\n\n"
                       ">>> print(atan2(constant(1.), constant(1.)).numpy().round(4))\n0.7854")


def tan(x, name=None):
    """sin(x) / cos(x).

    >>> print(tan(constant(0.)).numpy())
    0.0
    """
    x = to_tensor(x)
    return sin(x) / cos(x)


def sinh(x, name=None):
    """(e^x - e^-x) / 2 (via expm1: accurate near 0).

    >>> print(sinh(constant(0.)).numpy())
    0.0
    """
    x = to_tensor(x)
    return (expm1(x) - expm1(-x)) * 0.5


def cosh(x, name=None):
    """(e^x + e^-x) / 2.

    >>> print(cosh(constant(0.)).numpy())
    1.0
    """
    x = to_tensor(x)
    return (exp(x) + exp(-x)) * 0.5


def ceil(x, name=None):
    """Smallest integer >= x elementwise (-floor(-x)); zero gradient.

    >>> ceil(constant([1.2, -1.2])).numpy()
    array([ 2., -1.], dtype=float32)
    """
    return -floor(-to_tensor(x))


def log_sigmoid(x, name=None):
    """log(sigmoid(x)) = -softplus(-x), stable in both tails.

    >>> print(log_sigmoid(constant(0.)).numpy().round(4))
    -0.6931
    """
    return -softplus(-to_tensor(x))


def is_nan(x, name=None):
    """True where x is NaN.

    >>> is_nan(constant([1., np.nan, np.inf])).numpy()
    array([False,  True, False])
    """
    x = to_tensor(x)
    return not_equal(x, x)


def is_inf(x, name=None):
    """True where x is +inf or -inf.

    >>> is_inf(constant([1., np.nan, -np.inf])).numpy()
    array([False, False,  True])
    """
    x = to_tensor(x)
    return equal(abs(x), np.inf)


def is_finite(x, name=None):
    """True where x is neither NaN nor infinite.

    >>> is_finite(constant([1., np.nan, np.inf])).numpy()
    array([ True, False, False])
    """
    x = to_tensor(x)
    return less(abs(x), np.inf)


def xlogy(x, y, name=None):
    """x * log(y), and 0 where x == 0 (also where y == 0); gradients stay finite there.

    >>> xlogy(constant([0., 2.]), constant([0., 1.])).numpy()
    array([0., 0.], dtype=float32)
    """
    x, y = convert_args(x, y, op="xlogy")
    x0 = equal(x, 0)
    safe_y = where(x0, ones_like(y), y)
    return where(x0, zeros_like(x * y), x * log(safe_y))


def divide_no_nan(x, y, name=None):
    """x / y, and 0 where y == 0.

    >>> divide_no_nan(constant([1., 1.]), constant([0., 2.])).numpy()
    array([0. , 0.5], dtype=float32)
    """
    x, y = convert_args(x, y, op="divide_no_nan")
    y0 = equal(y, 0)
    safe_y = where(y0, ones_like(y), y)
    return where(y0, zeros_like(x * y), x / safe_y)


def logical_xor(x, y, name=None):
    """Elementwise exclusive or of bools.

    >>> logical_xor(constant([True, True]), constant([True, False])).numpy()
    array([False,  True])
    """
    x, y = convert_args(x, y, op="logical_xor")
    return logical_and(logical_or(x, y), logical_not(logical_and(x, y)))


def add_n(inputs, name=None):
    """Elementwise sum of a list of same-shaped tensors.

    >>> add_n([constant([1., 2.]), constant([3., 4.])]).numpy()
    array([4., 6.], dtype=float32)
    """
    xs = convert_args(*inputs, op="add_n")
    if not xs:
        raise ValueError("add_n: needs at least one tensor")
    for x in xs[1:]:
        if not shapes_agree("add_n", xs, x.shape, xs[0].shape, "all inputs need the same shape"):
            raise op_error("add_n", xs, "all inputs need the same shape")
    out = xs[0]
    for x in xs[1:]:
        out = out + x
    return out


def reduce_euclidean_norm(input_tensor, axis=None, keepdims=False, name=None):
    """sqrt(sum(x**2)) over `axis`.

    >>> print(reduce_euclidean_norm(constant([3., 4.])).numpy())
    5.0
    """
    x = to_tensor(input_tensor)
    return sqrt(reduce_sum(x * x, axis, keepdims))


# ------------------------------------------------------------------ inverse trig / hyperbolic
# compositions of primitives (their gradients come out of the chain rule, second order too)
def asin(x, name=None):
    """Elementwise arcsine, atan2(x, sqrt(1 - x^2)) (NaN outside [-1, 1]).

    >>> print(asin(constant(1.0)).numpy().round(4))
    1.5708
    """
    x = to_tensor(x)
    return atan2(x, sqrt((1.0 - x) * (1.0 + x)))


def acos(x, name=None):
    """Elementwise arccosine, atan2(sqrt(1 - x^2), x).

    >>> print(acos(constant(1.0)).numpy())
    0.0
    """
    x = to_tensor(x)
    return atan2(sqrt((1.0 - x) * (1.0 + x)), x)


def asinh(x, name=None):
    """Elementwise inverse hyperbolic sine, sign(x) log(|x| + sqrt(x^2 + 1)) (odd, no
    cancellation for negative x).

    >>> print(asinh(constant(0.0)).numpy())
    0.0
    """
    x = to_tensor(x)
    neg = less(x, zeros_like(x))
    a = where(neg, -x, x)              # |x| whose gradient at 0 is 1 (abs' is 0 there)
    r = log1p(a + a * a / (sqrt(a * a + 1.0) + 1.0))
    return where(neg, -r, r)


def acosh(x, name=None):
    """Elementwise inverse hyperbolic cosine, log(x + sqrt(x^2 - 1)) for x >= 1.

    >>> print(acosh(constant(1.0)).numpy())
    0.0
    """
    x = to_tensor(x)
    return log(x + sqrt((x - 1.0) * (x + 1.0)))


def atanh(x, name=None):
    """Elementwise inverse hyperbolic tangent, log1p(2x / (1 - x)) / 2 (+-inf at +-1).

    >>> print(atanh(constant(0.0)).numpy())
    0.0
    """
    x = to_tensor(x)
    return log1p(2.0 * x / (1.0 - x)) * 0.5


def count_nonzero(input, axis=None, keepdims=False, dtype=_dt.int64, name=None):
    """Number of non-zero entries (along `axis`), int64 as TF.

    >>> print(count_nonzero(constant([[0, 1], [2, 0]])).numpy())
    2
    """
    x = to_tensor(input)
    if x.dtype == _dt.string:   # TF: the strings that are not "" (its zero of tf.string)
        from ..strings import length   # (strings sits above the ops)
        nz = cast(greater(length(x), 0), dtype)
    else:
        nz = cast(not_equal(x, zeros_like(x)), dtype)
    return reduce_sum(nz, axis=axis, keepdims=keepdims)
