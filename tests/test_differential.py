"""Differential testing: random programs from the op table, run eagerly, traced on the numpy
executor and traced on the numba backend, against a plain-numpy reference and finite differences.

A program is a few inputs (float32/float64/int32/bool, shapes of different ranks that broadcast
together, size-0 and size-1 dims) and a random sequence of ops: elementwise unary/binary ops
(ints, bools, comparisons, where, casts, clip), reductions over mixed axes with keepdims,
reshape/transpose/slicing/concat/stack, matmul, softmax/logsumexp/cumsum/argmax and gather.
Inputs may hold adversarial values: signed zeros, +-inf, NaN, overflow (exp of 100 in float32),
denormals.

Checks, per program and mode:
* values equal the numpy reference: exactly for ints and bools; floats within a tolerance by dtype,
  with NaN, +-inf and signed-zero positions equal. Elements where the reference itself is
  ambiguous are skipped: the sign of a zero produced by a max/min tie of +0 and -0 or by a sum,
  and values next to a discontinuity (floor, compare, mod, cast to int, argmax ties) of an input
  that an order-dependent sum rounds differently (a mask computed alongside the reference);
* first-order gradients and Hessian-vector products agree across the three modes, and (float64,
  finite inputs) equal central finite differences of the numpy reference (first order) and of
  the eager gradient (second order), unless the difference quotients show a kink.

The suite runs a seeded subset (hypothesis on eager + numpy executor, a few numba programs).
The large sweep runs offline:

    python tests/test_differential.py 500 [first_seed] [--modes eager,numpy,numba]
"""
import sys
import warnings

import numpy as np
import pytest

import graphflow as tf

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

F32, F64, I32, BOOL = np.dtype(np.float32), np.dtype(np.float64), np.dtype(np.int32), np.dtype(bool)
TF_DTYPES = {F32: tf.float32, F64: tf.float64, I32: tf.int32, BOOL: tf.bool,
             np.dtype(np.int64): tf.int64}
TINY = {F32: np.float32(1e-40), F64: np.float64(1e-310)}     # denormals
SPECIAL = [np.nan, -np.nan, np.inf, -np.inf, 0.0, -0.0, 100.0, -100.0, 89.0, 1.0, -1.0, 0.5]


# ----------------------------------------------------------------------------- drawing
class RngDraw:
    """Choices from a seeded numpy generator (the offline sweep and the seeded numba cases)."""

    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)

    def int(self, lo, hi):
        return int(self.rng.integers(lo, hi + 1))

    def pick(self, seq):
        return seq[self.int(0, len(seq) - 1)]

    def coin(self, p=0.5):
        return bool(self.rng.random() < p)

    def perm(self, n):
        return tuple(int(a) for a in self.rng.permutation(n))


class HypDraw(RngDraw):
    """The same choices drawn by hypothesis (shrinks to small programs)."""

    def __init__(self, data):
        self.data = data

    def int(self, lo, hi):
        return self.data.draw(st.integers(lo, hi))

    def coin(self, p=0.5):
        return self.data.draw(st.booleans())

    def perm(self, n):
        return tuple(self.data.draw(st.permutations(range(n))))


def _tol(dtype):
    return (2e-4, 1e-5) if dtype == F32 else (1e-9, 1e-12)


# ----------------------------------------------------------------------------- ambiguity
def _near(x, y, dtype):
    """Where x and y are within rounding noise of each other (order-dependent sums differ)."""
    rtol = 1e-4 if dtype == F32 else 1e-10
    with np.errstate(all="ignore"):
        return np.abs(x - y) <= rtol * (np.abs(x) + np.abs(y)) + rtol


def _zero(x):
    return (x == 0) if x.dtype.kind == "f" else np.zeros(x.shape, bool)


def _mixed_zero_pair(x, y):
    """maximum/minimum of +0 and -0: either sign is right."""
    if x.dtype.kind != "f":
        return np.zeros(np.broadcast_shapes(x.shape, y.shape), bool)
    return (x == 0) & (y == 0) & (np.signbit(x) != np.signbit(y))


def _anyred(m, axes, keepdims):
    return np.any(m, axis=axes, keepdims=keepdims)


# ----------------------------------------------------------------------------- the builder
class Program:
    """A random program: inputs, steps (label, tf function, numpy function, arguments, mask
    rule) and the numpy reference values with their ambiguity masks."""

    def __init__(self, d, smooth=False):
        self.d, self.smooth = d, smooth
        self.inputs, self.vals, self.masks, self.steps, self.labels = [], [], [], [], []
        self.np_fns = []       # the reference of each step (replayed for finite differences)
        self.has_sum = []      # value came (partly) through an order-dependent float sum

    # -- values
    def add_input(self, arr):
        self.inputs.append(arr)
        self.vals.append(arr)
        self.masks.append(np.zeros(arr.shape, bool))
        self.has_sum.append(False)
        self.labels.append(f"v{len(self.vals) - 1} = input {arr.dtype} {arr.shape}")

    def add(self, label, tf_fn, np_fn, args, mask_fn=None, sums=False):
        """Append `tf_fn(*vals[args])`; its reference `np_fn(*...)`; `mask_fn(masks, vals, out)`
        gives the ambiguous elements (default: elementwise OR of the broadcast input masks)."""
        ins = [self.vals[i] for i in args]
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = np.asarray(np_fn(*ins))
            ms = [self.masks[i] for i in args]
            m = mask_fn(ms, ins, out) if mask_fn else _or_broadcast(ms, out.shape)
        assert m.shape == out.shape, (label, m.shape, out.shape)
        self.vals.append(out)
        self.masks.append(m)
        self.has_sum.append(sums or any(self.has_sum[i] for i in args))
        self.steps.append((tf_fn, tuple(args)))
        self.np_fns.append(np_fn)
        n = len(self.vals) - 1
        self.labels.append(f"v{n} = {label.format(*[f'v{i}' for i in args])}"
                           f"  -> {out.dtype} {out.shape}")
        return n

    def pick(self, pred=lambda v: True):
        """A value index satisfying pred, biased to recent values (deeper programs)."""
        ok = [i for i, v in enumerate(self.vals) if pred(v)]
        if not ok:
            return None
        recent = ok[-3:]
        return self.d.pick(recent if self.d.coin(0.6) else ok)

    def run_tf(self, *xs):
        vals = list(xs)
        for fn, args in self.steps:
            vals.append(fn(*[vals[i] for i in args]))
        return [vals[i] for i in self.outputs]

    def describe(self):
        return "\n".join(self.labels + [f"outputs: {['v%d' % i for i in self.outputs]}"])


def _or_broadcast(ms, shape):
    out = np.zeros(shape, bool)
    for m in ms:
        out = out | np.broadcast_to(m, np.broadcast_shapes(m.shape, shape)).reshape(shape) \
            if m.size or not out.size else out
    return out


def _structural(p, label, tf_fn, np_fn, i):
    """Append a structural op of vals[i]; its mask is the same op applied to i's mask."""
    return p.add(label, tf_fn, np_fn, [i], lambda ms, ins, out: np.asarray(np_fn(ms[0])) != 0)


# ----------------------------------------------------------------------------- op catalogue
def _sigmoid(x):
    with np.errstate(all="ignore"):
        e = np.exp(-np.abs(x))
        return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype)


def _c(x, v):
    return x.dtype.type(v)


# name: (tf fn, numpy fn, smooth, smooth-domain variant or None)
UNARY_F = {
    "neg": (tf.negative, np.negative, True),
    "abs": (tf.abs, np.abs, False),
    "exp": (tf.exp, np.exp, True),
    "log": (tf.math.log, np.log, True),
    "sqrt": (tf.sqrt, np.sqrt, True),
    "tanh": (tf.tanh, np.tanh, True),
    "sigmoid": (tf.sigmoid, _sigmoid, True),
    "sin": (tf.sin, np.sin, True),
    "cos": (tf.cos, np.cos, True),
    "square": (tf.square, np.square, True),
    "relu": (tf.nn.relu, lambda x: np.maximum(x, _c(x, 0)), False),
    "softplus": (tf.math.softplus, lambda x: np.logaddexp(_c(x, 0), x), True),
    "log1p": (tf.math.log1p, np.log1p, True),
    "expm1": (tf.math.expm1, np.expm1, True),
    "sign": (tf.sign, lambda x: np.where(x == 0, _c(x, 0), np.sign(x)), False),
    "floor": (tf.floor, np.floor, False),
    "reciprocal": (tf.math.reciprocal, lambda x: _c(x, 1) / x, True),
}
# domain guards in smooth (finite-difference) programs: f(guard(x)) stays finite and smooth
GUARD = {"exp": "tanh", "expm1": "tanh", "log": "sq+", "sqrt": "sq+", "log1p": "sq",
         "reciprocal": "sq+", "square": "tanh"}

BINARY_F = {
    "add": (tf.add, np.add, True),
    "sub": (tf.subtract, np.subtract, True),
    "mul": (tf.multiply, np.multiply, True),
    "div": (tf.divide, np.divide, True),
    "maximum": (tf.maximum, np.maximum, False),
    "minimum": (tf.minimum, np.minimum, False),
    "pow": (tf.pow, np.power, True),
    "sqdiff": (tf.math.squared_difference, lambda x, y: np.square(x - y), True),
    "floormod": (tf.math.floormod, np.mod, False),
    "atan2": (tf.math.atan2, np.arctan2, True),
}
BINARY_I = {
    "add": (tf.add, np.add), "sub": (tf.subtract, np.subtract), "mul": (tf.multiply, np.multiply),
    "maximum": (tf.maximum, np.maximum), "minimum": (tf.minimum, np.minimum),
}
COMPARE = {"less": (tf.less, np.less), "less_equal": (tf.less_equal, np.less_equal),
           "greater": (tf.greater, np.greater), "equal": (tf.equal, np.equal),
           "not_equal": (tf.not_equal, np.not_equal)}
LOGICAL = {"and": (tf.logical_and, np.logical_and), "or": (tf.logical_or, np.logical_or),
           "xor": (tf.math.logical_xor, np.logical_xor)}


def _reduce_ref(kind, dtype):
    """numpy reductions with TF's results on empty slices (identity, mean of nothing is NaN)."""
    if kind == "sum":
        return lambda x, ax, kd: np.sum(x, axis=ax, keepdims=kd, dtype=dtype)
    if kind == "prod":
        return lambda x, ax, kd: np.prod(x, axis=ax, keepdims=kd, dtype=dtype)
    if kind == "mean":
        return lambda x, ax, kd: (np.sum(x, axis=ax, keepdims=kd, dtype=dtype)
                                  / dtype.type(max(x.size, 1) and _count(x, ax))).astype(dtype)
    if kind == "any":
        return lambda x, ax, kd: np.any(x, axis=ax, keepdims=kd)
    if kind == "all":
        return lambda x, ax, kd: np.all(x, axis=ax, keepdims=kd)
    lo = -np.inf if dtype.kind == "f" else np.iinfo(dtype).min
    hi = np.inf if dtype.kind == "f" else np.iinfo(dtype).max
    if kind == "max":
        return lambda x, ax, kd: np.max(x, axis=ax, keepdims=kd, initial=lo)
    if kind == "min":
        return lambda x, ax, kd: np.min(x, axis=ax, keepdims=kd, initial=hi)


def _count(x, ax):
    if ax is None:
        return x.size
    ax = (ax,) if isinstance(ax, int) else ax
    return int(np.prod([x.shape[a] for a in ax]))


TF_REDUCE = {"sum": tf.reduce_sum, "prod": tf.reduce_prod, "mean": tf.reduce_mean,
             "max": tf.reduce_max, "min": tf.reduce_min, "any": tf.reduce_any,
             "all": tf.reduce_all}


# ----------------------------------------------------------------------------- op generators
def _float_op(p, table, fallback):
    """(a float value, an op of `table`: name, tf fn, numpy fn); smooth programs take
    `fallback` instead of a non-smooth op."""
    i = p.pick(lambda v: v.dtype.kind == "f")
    name = p.d.pick(sorted(table))
    if p.smooth and not table[name][2]:
        name = fallback
    return i, name, table[name][0], table[name][1]


def _positive(p, i):
    """square(v) + 0.5: a domain guard of smooth programs."""
    return p.add("square({}) + 0.5", lambda x: tf.square(x) + 0.5,
                 lambda x: np.square(x) + _c(x, 0.5), [i])


def g_unary_float(p):
    i, name, tf_fn, np_fn = _float_op(p, UNARY_F, "tanh")
    if i is None:
        return
    if p.smooth and name in GUARD:
        g = GUARD[name]
        if g == "tanh":
            i = p.add("tanh({})", tf.tanh, np.tanh, [i])
        elif g == "sq":
            i = p.add("square({})", tf.square, np.square, [i])
        else:
            i = _positive(p, i)

    def mask(ms, ins, out):
        m = ms[0].copy()
        x = ins[0]
        if name == "relu":
            m |= (x == 0) & np.signbit(x)      # relu(-0.): max(-0., 0.) either zero
        if name in ("floor", "sign") and p.has_sum[i]:
            ref = np.round(x) if name == "floor" else np.zeros_like(x)
            m |= _near(x, ref, x.dtype)
        return m
    p.add(f"{name}({{}})", tf_fn, np_fn, [i], mask)


def _partner(p, i, same_dtype=True):
    """A value broadcast-compatible with vals[i] (same dtype), or i itself."""
    v = p.vals[i]

    def ok(w):
        if same_dtype and w.dtype != v.dtype:
            return False
        try:
            np.broadcast_shapes(v.shape, w.shape)
        except ValueError:
            return False
        return True
    j = p.pick(ok)
    return i if j is None else j


def g_binary_float(p):
    i, name, tf_fn, np_fn = _float_op(p, BINARY_F, "add")
    if i is None:
        return
    if not p.smooth and p.d.coin(0.25):    # a Python scalar operand (simplify/fold fodder)
        c = p.d.pick([0.0, -0.0, 1.0, -1.0, 2.0, 0.5, 100.0, 1e-40])
        left = p.d.coin()
        t = p.vals[i].dtype.type(c)
        p.add(f"{name}({c!r}, {{}})" if left else f"{name}({{}}, {c!r})",
              (lambda x: tf_fn(c, x)) if left else (lambda x: tf_fn(x, c)),
              (lambda x: np_fn(t, x)) if left else (lambda x: np_fn(x, t)), [i],
              lambda ms, ins, out: ms[0] | (_mixed_zero_pair(ins[0], t)
                                            if name in ("maximum", "minimum") else False))
        return
    j = _partner(p, i)
    if p.smooth and name in ("div", "pow", "atan2"):
        j = _positive(p, j)
        if name == "pow":
            i, j = j, p.add("tanh({})", tf.tanh, np.tanh, [i])

    def mask(ms, ins, out):
        m = _or_broadcast(ms, out.shape)
        x, y = ins
        if name in ("maximum", "minimum"):
            m |= np.broadcast_to(_mixed_zero_pair(x, y), out.shape)
        if name == "floormod" and (p.has_sum[i] or p.has_sum[j]):
            with np.errstate(all="ignore"):
                q = x / y
            m |= np.broadcast_to(_near(q, np.round(q), x.dtype), out.shape)
        return m
    p.add(f"{name}({{}}, {{}})", tf_fn, np_fn, [i, j], mask)


def g_int(p):
    i = p.pick(lambda v: v.dtype == I32)
    if i is None:
        return
    kind = p.d.pick(["binary", "binary", "floordiv", "floormod", "abs", "neg"])
    if kind in ("abs", "neg"):
        p.add(f"{kind}({{}})", getattr(tf, "abs" if kind == "abs" else "negative"),
              np.abs if kind == "abs" else np.negative, [i])
        return
    j = _partner(p, i)
    if kind == "binary":
        name = p.d.pick(sorted(BINARY_I))
        p.add(f"{name}({{}}, {{}})", *BINARY_I[name], [i, j])
        return
    # divisor without zeros (TF raises on an integer division by zero)
    j = p.add("where({0} == 0, 3, {0})", lambda y: tf.where(tf.equal(y, 0), 3, y),
              lambda y: np.where(y == 0, np.int32(3), y), [j])
    tf_fn, np_fn = (tf.math.floordiv, np.floor_divide) if kind == "floordiv" else \
        (tf.math.floormod, np.mod)
    p.add(f"{kind}({{}}, {{}})", tf_fn, np_fn, [i, j])


def g_compare(p):
    i = p.pick(lambda v: v.dtype != BOOL)
    if i is None:
        return
    j = _partner(p, i)
    name = p.d.pick(sorted(COMPARE))

    def mask(ms, ins, out):
        m = _or_broadcast(ms, out.shape)
        if ins[0].dtype.kind == "f" and (p.has_sum[i] or p.has_sum[j]):
            m |= np.broadcast_to(_near(ins[0], ins[1], ins[0].dtype), out.shape)
        return m
    p.add(f"{name}({{}}, {{}})", *COMPARE[name], [i, j], mask)


def g_logical(p):
    i = p.pick(lambda v: v.dtype == BOOL)
    if i is None:
        return g_compare(p)
    if p.d.coin(0.3):
        p.add("logical_not({})", tf.logical_not, np.logical_not, [i])
        return
    j = _partner(p, i)
    name = p.d.pick(sorted(LOGICAL))
    p.add(f"logical_{name}({{}}, {{}})", *LOGICAL[name], [i, j])


def g_where(p):
    c = p.pick(lambda v: v.dtype == BOOL)
    if c is None:
        return g_compare(p)
    x = _partner(p, c, same_dtype=False)
    if p.vals[x].dtype == BOOL:
        x = p.pick(lambda v: v.dtype != BOOL) or x
    try:
        np.broadcast_shapes(p.vals[c].shape, p.vals[x].shape)
    except ValueError:
        x = c
    y = _partner(p, x)
    try:
        np.broadcast_shapes(p.vals[c].shape, p.vals[x].shape, p.vals[y].shape)
    except ValueError:
        y = x
    p.add("where({}, {}, {})", tf.where, np.where, [c, x, y])


def g_cast(p):
    i = p.pick()
    src = p.vals[i].dtype
    if src == BOOL:
        dst = p.d.pick([F32, F64, I32])
    elif src == I32:
        dst = p.d.pick([F32, F64])
    else:
        dst = p.d.pick([F32, F64, I32, "trip"])
    if dst == "trip":
        other = F64 if src == F32 else F32
        p.add(f"cast(cast({{}}, {other}), {src})",
              lambda x: tf.cast(tf.cast(x, TF_DTYPES[other]), TF_DTYPES[src]),
              lambda x: x.astype(other).astype(src), [i])
        return
    if dst == I32 and src.kind == "f":
        # only finite, in-range values convert (TF leaves the rest implementation-defined)
        def mask(ms, ins, out):
            m = ms[0].copy()
            if p.has_sum[i]:
                m |= _near(ins[0], np.round(ins[0]), ins[0].dtype)
            return m
        p.add("cast(where(is_finite({0}), clip({0}, -1e3, 1e3), 0), int32)",
              lambda x: tf.cast(tf.where(tf.math.is_finite(x), tf.clip_by_value(x, -1e3, 1e3),
                                         tf.zeros_like(x)), tf.int32),
              lambda x: np.where(np.isfinite(x), np.clip(x, -1e3, 1e3), 0).astype(np.int32),
              [i], mask)
        return
    p.add(f"cast({{}}, {dst})", lambda x: tf.cast(x, TF_DTYPES[dst]),
          lambda x: x.astype(dst), [i])


def _axes(p, rank):
    """A random reduction axis spec: None, an int (maybe negative) or a tuple of distinct axes."""
    if rank == 0 or p.d.coin(0.2):
        return None
    axes = [a for a in range(rank) if p.d.coin()]
    if not axes:
        axes = [p.d.int(0, rank - 1)]
    axes = [a - rank if p.d.coin(0.3) else a for a in axes]
    return axes[0] if len(axes) == 1 and p.d.coin() else tuple(axes)


def _norm_axes(ax, rank):
    if ax is None:
        return tuple(range(rank))
    ax = (ax,) if isinstance(ax, int) else ax
    return tuple(sorted(a % rank for a in ax))


def g_reduce(p):
    i = p.pick()
    v = p.vals[i]
    if v.dtype == BOOL:
        kinds = ["any", "all"]
    elif v.dtype == I32:
        kinds = ["sum", "max", "min", "prod"]
    else:
        kinds = ["sum", "mean", "max", "min", "prod"] if not p.smooth else ["sum", "mean", "max"]
    kind = p.d.pick(kinds)
    ax = _axes(p, v.ndim)
    kd = p.d.coin()
    ref = _reduce_ref(kind, v.dtype)
    nax = _norm_axes(ax, v.ndim)

    def mask(ms, ins, out):
        m = _anyred(ms[0], nax, kd)
        x = ins[0]
        if x.dtype.kind == "f":
            if kind in ("max", "min"):      # a tie of +0 and -0
                pos = np.any((x == 0) & ~np.signbit(x), axis=nax, keepdims=kd)
                neg = np.any((x == 0) & np.signbit(x), axis=nax, keepdims=kd)
                m |= pos & neg & (out == 0)
            if kind in ("sum", "mean"):     # a zero sum's sign depends on order and start
                m |= out == 0
        return m
    p.add(f"reduce_{kind}({{}}, axis={ax}, keepdims={kd})",
          lambda x: TF_REDUCE[kind](x, axis=ax, keepdims=kd),
          lambda x: ref(x, nax, kd), [i], mask,
          sums=kind in ("sum", "mean", "prod") and v.dtype.kind == "f")


def g_reshape(p):
    i = p.pick()
    v = p.vals[i]
    shape = v.shape
    choice = p.d.pick(["flatten", "merge", "expand", "squeeze"])
    if choice == "flatten" or v.ndim < 2 and choice == "merge":
        new = (-1,) if v.size else (0,)
    elif choice == "merge":
        k = p.d.int(0, v.ndim - 2)
        new = shape[:k] + (shape[k] * shape[k + 1],) + shape[k + 2:]
    elif choice == "expand":
        k = p.d.int(0, v.ndim)
        new = shape[:k] + (1,) + shape[k:]
    else:
        new = tuple(s for s in shape if s != 1)
    _structural(p, f"reshape({{}}, {new})", lambda x: tf.reshape(x, new),
                lambda x: np.reshape(x, new), i)


def g_transpose(p):
    i = p.pick(lambda v: v.ndim >= 2)
    if i is None:
        return g_reshape(p)
    perm = p.d.perm(p.vals[i].ndim)
    _structural(p, f"transpose({{}}, {perm})", lambda x: tf.transpose(x, perm),
                lambda x: np.transpose(x, perm), i)


def g_slice(p):
    i = p.pick(lambda v: v.ndim >= 1)
    if i is None:
        return g_reshape(p)
    v = p.vals[i]
    idx = []
    for n in v.shape:
        kind = p.d.pick(["all", "range", "range", "index", "rev"])
        if kind == "index" and n > 0:
            idx.append(p.d.int(-n, n - 1))
        elif kind == "rev":
            idx.append(slice(None, None, -p.d.int(1, 2)))
        elif kind == "range" and p.d.coin(0.8) and n > 0:     # non-empty
            a = p.d.int(0, n - 1)
            b = p.d.int(a + 1, n)
            idx.append(slice(a - n if p.d.coin(0.3) else a, b, p.d.pick([1, 1, 2])))
        elif kind == "range":
            a, b = p.d.int(-n - 1, n + 1), p.d.int(-n - 1, n + 1)
            idx.append(slice(a, b, p.d.pick([1, 1, 2])))
        else:
            idx.append(slice(None))
    idx = tuple(idx)
    _structural(p, f"{{}}[{_fmt_index(idx)}]", lambda x: x[idx], lambda x: x[idx], i)


def _fmt_index(idx):
    def one(s):
        if isinstance(s, int):
            return str(s)
        return ":".join("" if a is None else str(a) for a in (s.start, s.stop, s.step))
    return ", ".join(one(s) for s in idx)


def g_concat(p):
    i = p.pick(lambda v: v.ndim >= 1)
    if i is None:
        return g_reshape(p)
    v = p.vals[i]
    stack = p.d.coin(0.35)
    ax = p.d.int(0, v.ndim if stack else v.ndim - 1)

    def ok(w):
        if w.dtype != v.dtype or w.ndim != v.ndim:
            return False
        return w.shape == v.shape if stack else \
            all(a == b for k, (a, b) in enumerate(zip(w.shape, v.shape)) if k != ax)
    j = p.pick(ok)
    j = i if j is None else j
    if stack:
        p.add(f"stack([{{}}, {{}}], axis={ax})", lambda x, y: tf.stack([x, y], axis=ax),
              lambda x, y: np.stack([x, y], axis=ax), [i, j],
              lambda ms, ins, out: np.stack(ms, axis=ax))
    else:
        p.add(f"concat([{{}}, {{}}], axis={ax})", lambda x, y: tf.concat([x, y], axis=ax),
              lambda x, y: np.concatenate([x, y], axis=ax), [i, j],
              lambda ms, ins, out: np.concatenate(ms, axis=ax))


def g_matmul(p):
    i = p.pick(lambda v: v.dtype.kind == "f" and v.ndim >= 1)
    if i is None:
        return g_unary_float(p)
    v = p.vals[i]
    if v.ndim == 1:
        i = _structural(p, "reshape({}, (1, -1))", lambda x: tf.reshape(x, (1, -1)),
                        lambda x: np.reshape(x, (1, -1)), i)
        v = p.vals[i]
    k = v.shape[-1]
    if p.d.coin(0.4):       # gram matrix of the value with itself
        perm = tuple(range(v.ndim - 2)) + (v.ndim - 1, v.ndim - 2)
        j = _structural(p, f"transpose({{}}, {perm})", lambda x: tf.transpose(x, perm),
                        lambda x: np.transpose(x, perm), i)
    else:
        n = p.d.int(0 if p.d.coin(0.1) else 1, 4)
        w = np.random.default_rng(p.d.int(0, 999)).standard_normal((k, n)).astype(v.dtype)
        j = p.pick(lambda u: u.shape == (k, n) and u.dtype == v.dtype)
        if j is None:
            j = p.add(f"constant {w.dtype} {w.shape}", lambda: tf.constant(w), lambda: w, [])

    def mask(ms, ins, out):
        a, b = ins
        ma = np.any(ms[0], axis=-1, keepdims=True) | np.zeros(out.shape[:-1] + (1,), bool)
        mb = np.any(ms[1], axis=-2, keepdims=True)
        m = np.broadcast_to(ma, out.shape) | np.broadcast_to(mb, out.shape)
        return m | (out == 0)
    p.add("matmul({}, {})", tf.matmul, np.matmul, [i, j], mask, sums=True)


def _softmax_ref(x, ax):
    m = np.max(x, axis=ax, keepdims=True, initial=-np.inf)
    e = np.exp(x - m)
    return (e / np.sum(e, axis=ax, keepdims=True)).astype(x.dtype)


def _lse_ref(x, ax, kd):
    raw = np.max(x, axis=ax, keepdims=True, initial=-np.inf)
    m = np.where(np.isfinite(raw), raw, x.dtype.type(0))
    out = np.log(np.sum(np.exp(x - m), axis=ax, keepdims=True)) + m
    return (out if kd else np.squeeze(out, axis=ax)).astype(x.dtype)


def g_rowwise(p):
    i = p.pick(lambda v: v.ndim >= 1 and v.dtype != BOOL)
    if i is None:
        return g_reduce(p)
    v = p.vals[i]
    ax = p.d.int(-v.ndim, v.ndim - 1)
    kind = p.d.pick(["softmax", "logsumexp", "cumsum", "argmax"] if v.dtype.kind == "f"
                    else ["cumsum", "argmax"])
    if p.smooth and kind == "argmax":
        kind = "softmax"
    a = ax % v.ndim

    def along(ms, ins, out, near_ties=False):
        m = np.any(ms[0], axis=a, keepdims=True)
        return np.broadcast_to(m, ms[0].shape)

    if kind == "softmax":
        p.add(f"softmax({{}}, axis={ax})", lambda x: tf.nn.softmax(x, axis=ax),
              lambda x: _softmax_ref(x, a), [i], along, sums=True)
    elif kind == "logsumexp":
        kd = p.d.coin()
        p.add(f"reduce_logsumexp({{}}, axis={ax}, keepdims={kd})",
              lambda x: tf.math.reduce_logsumexp(x, axis=ax, keepdims=kd),
              lambda x: _lse_ref(x, a, kd), [i],
              lambda ms, ins, out: _anyred(ms[0], a, kd), sums=True)
    elif kind == "cumsum":
        excl, rev = p.d.coin(0.3), p.d.coin(0.3)

        def ref(x):
            y = np.flip(x, a) if rev else x
            c = np.cumsum(y, axis=a, dtype=x.dtype)
            if excl:
                c = np.concatenate([np.zeros_like(np.take(c, [0], axis=a)),
                                    np.take(c, range(c.shape[a] - 1), axis=a)], axis=a) \
                    if c.shape[a] else c
            return np.flip(c, a) if rev else c

        def mask(ms, ins, out):
            m = ref(ms[0].astype(np.int32)) > 0
            return m | (out == 0) if out.dtype.kind == "f" else m
        p.add(f"cumsum({{}}, axis={ax}, exclusive={excl}, reverse={rev})",
              lambda x: tf.math.cumsum(x, axis=ax, exclusive=excl, reverse=rev), ref, [i],
              mask, sums=v.dtype.kind == "f")
    else:
        if v.shape[a] == 0:
            return
        name = p.d.pick(["argmax", "argmin"])
        np_fn = np.argmax if name == "argmax" else np.argmin

        def mask(ms, ins, out):
            x = ins[0]
            m = np.any(ms[0], axis=a)
            if x.dtype.kind == "f" and p.has_sum[i]:   # near-ties an order-dependent sum breaks
                best = np.take_along_axis(x, np.expand_dims(out, a), axis=a)
                with np.errstate(all="ignore"):
                    close = _near(x, best, x.dtype) & ~np.isnan(x)
                m |= np.sum(close, axis=a) > 1
            return m
        p.add(f"{name}({{}}, axis={ax})", lambda x: getattr(tf, name)(x, axis=ax),
              lambda x: np_fn(x, axis=a).astype(np.int64), [i], mask)


def g_gather(p):
    i = p.pick(lambda v: v.ndim >= 1)
    if i is None:
        return g_reshape(p)
    v = p.vals[i]
    ax = p.d.int(0, v.ndim - 1)
    n = v.shape[ax]
    rank = p.d.int(0, 2)
    ishape = tuple(p.d.int(0 if n == 0 else 1, 3) for _ in range(rank))
    if n == 0:
        ishape = tuple(0 for _ in ishape) if rank else None
        if ishape is None:
            return
    idx = np.random.default_rng(p.d.int(0, 999)).integers(0, max(n, 1), size=ishape) \
        .astype(np.int32)
    _structural(p, f"gather({{}}, {idx.tolist()}, axis={ax})",
                lambda x: tf.gather(x, tf.constant(idx), axis=ax),
                lambda x: np.take(x, idx, axis=ax), i)


def g_clip(p):
    i = p.pick(lambda v: v.dtype != BOOL)
    if i is None:
        return
    v = p.vals[i]
    lo = p.d.pick([-2.0, -1.0, -0.5])
    hi = p.d.pick([0.5, 1.0, 3.0])
    if v.dtype.kind in "iu":
        lo, hi = int(lo * 2), int(hi * 2)
    lo_, hi_ = v.dtype.type(lo), v.dtype.type(hi)
    p.add(f"clip_by_value({{}}, {lo}, {hi})", lambda x: tf.clip_by_value(x, lo, hi),
          lambda x: np.minimum(np.maximum(x, lo_), hi_), [i])


GENERATORS = {
    "unary": (g_unary_float, 6), "binary": (g_binary_float, 6), "int": (g_int, 2),
    "compare": (g_compare, 2), "logical": (g_logical, 1), "where": (g_where, 2),
    "cast": (g_cast, 2), "reduce": (g_reduce, 4), "reshape": (g_reshape, 1),
    "transpose": (g_transpose, 1), "slice": (g_slice, 2), "concat": (g_concat, 1),
    "matmul": (g_matmul, 2), "rowwise": (g_rowwise, 3), "gather": (g_gather, 1),
    "clip": (g_clip, 1),
}
SMOOTH_KINDS = ["unary", "binary", "reduce", "reshape", "transpose", "slice", "concat", "matmul",
                "rowwise", "gather"]


# ----------------------------------------------------------------------------- programs
def _input(d, shape, dtype, special):
    rng = np.random.default_rng(d.int(0, 2 ** 31))
    if dtype == BOOL:
        return rng.random(shape) > 0.5
    if dtype == I32:
        big = special and d.coin(0.3)
        lo, hi = (-2 ** 31, 2 ** 31 - 1) if big else (-5, 6)
        return rng.integers(lo, hi, size=shape, endpoint=False).astype(np.int32)
    x = (rng.standard_normal(shape) * 1.5).astype(dtype)
    if special and x.size:
        flat = x.reshape(-1)
        k = rng.integers(1, flat.size + 1)
        pos = rng.integers(0, flat.size, size=k)
        pool = SPECIAL + [TINY[dtype], -TINY[dtype]]
        flat[pos] = np.array([pool[t] for t in rng.integers(0, len(pool), size=k)], dtype)
    return x


def make_program(d, smooth=None, max_steps=10, big=True):
    """Draw a program. smooth=True: float64, finite inputs and smooth ops (finite differences);
    big: sometimes inputs of 300K values (loops split over cores; slow for the test suite)."""
    if smooth is None:
        smooth = d.coin(0.3)
    p = Program(d, smooth)
    fdt = F64 if smooth else d.pick([F32, F64])
    special = not smooth and d.coin(0.75)
    dims = [d.pick([0, 1, 2, 3, 4]) if d.coin(0.15) else d.int(1, 4) for _ in range(3)]
    if d.coin(0.12):      # kernel block edges (sum blocks of 1024, column blocks of 64)
        dims[d.int(1, 2)] = d.pick([63, 64, 65, 127, 129, 1023, 1024, 1025, 2049])
    elif big and d.coin(0.04):    # loops split over cores (200K elements and more)
        dims = [2, 300, 520]
    for _ in range(d.int(1, 3)):
        rank = d.int(0, 3)
        shape = tuple(1 if d.coin(0.25) else dims[3 - rank + k] for k in range(rank))
        dtype = fdt if smooth or d.coin(0.75) else d.pick([I32, BOOL])
        p.add_input(_input(d, shape, dtype, special))
    if not any(v.dtype.kind == "f" for v in p.vals) and d.coin(0.7):
        p.add_input(_input(d, p.vals[0].shape, fdt, special))
    kinds = SMOOTH_KINDS if smooth else sorted(GENERATORS)
    weights = np.array([GENERATORS[k][1] for k in kinds], float)
    for _ in range(d.int(1, max_steps)):
        k = d.pick([k for k, w in zip(kinds, weights) for _ in range(int(w))])
        GENERATORS[k][0](p)
    used = {i for _, args in p.steps for i in args}
    sinks = [i for i in range(len(p.inputs), len(p.vals)) if i not in used]
    p.outputs = (sinks or [len(p.vals) - 1])[-4:]
    p.fdt = fdt
    return p


# ----------------------------------------------------------------------------- running
def _fn(mode, f):
    if mode == "eager":
        return f
    return tf.function(f, jit_compile=False) if mode == "numpy" else tf.function(f)


STATS = {"kernels": 0, "programs": 0}


def _call(mode, f, arrays):
    fn = _fn(mode, f)
    args = [tf.constant(a) for a in arrays]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with np.errstate(all="ignore"):
            out = fn(*args)
    if mode == "numba":      # a kernel that failed and fell back to numpy hides a backend bug
        plan = fn.get_concrete_function(*args)._executor
        for step in getattr(plan, "cluster_steps", ()):
            assert step.last_error is None, f"numba kernel failed: {step.last_error}"
        STATS["kernels"] += len(getattr(plan, "kernels", ()))
    return [np.asarray(o) for o in out]


def compare(got, want, mask, what, dtype, scale_free=False, signed_zeros=True):
    """got == want up to dtype tolerance; NaN/inf/signed-zero positions equal; mask: skip."""
    assert got.shape == want.shape and got.dtype == want.dtype, \
        f"{what}: got {got.dtype}{got.shape}, want {want.dtype}{want.shape}"
    keep = ~np.broadcast_to(mask, want.shape)
    g, w = got[keep], want[keep]
    if w.dtype.kind != "f":
        bad = g != w
        assert not bad.any(), f"{what}: {g[bad][:5]} != {w[bad][:5]}"
        return
    rtol, atol = _tol(dtype if dtype.kind == "f" else w.dtype)
    nan_g, nan_w = np.isnan(g), np.isnan(w)
    assert (nan_g == nan_w).all(), f"{what}: NaN at different places: got {g}, want {w}"
    inf_w = np.isinf(w)
    big = np.finfo(w.dtype).max / 4
    ok_inf = (g[inf_w] == w[inf_w]) | ((np.abs(g[inf_w]) > big) & (np.sign(g[inf_w]) ==
                                                                       np.sign(w[inf_w])))
    assert ok_inf.all(), f"{what}: infinities differ: got {g[inf_w]}, want {w[inf_w]}"
    inf_g = np.isinf(g) & ~inf_w
    assert (np.abs(w[inf_g]) > big).all(), f"{what}: got inf where {w[inf_g]}"
    fin = np.isfinite(w) & np.isfinite(g)
    gf, wf = g[fin].astype(np.float64), w[fin].astype(np.float64)
    scale = 1.0 if scale_free else max(1.0, float(np.max(np.abs(wf), initial=0.0)))
    err = np.abs(gf - wf)
    lim = atol * scale + rtol * np.abs(wf)
    assert (err <= lim).all(), f"{what}: max error {np.max(err - lim)} over tolerance: " \
        f"got {gf[err > lim][:5]}, want {wf[err > lim][:5]}"
    z = (w == 0) & (g == 0) & signed_zeros
    assert (np.signbit(g[z]) == np.signbit(w[z])).all(), \
        f"{what}: signed zeros differ: got {g[z]}, want {w[z]}"


def check_values(p, modes):
    """Each mode's outputs equal the numpy reference."""
    want = [p.vals[i] for i in p.outputs]
    masks = [p.masks[i] for i in p.outputs]
    for mode in modes:
        got = _call(mode, p.run_tf, p.inputs)
        for k, (g, w, m) in enumerate(zip(got, want, masks)):
            compare(g, w, m, f"{mode} output {k} (v{p.outputs[k]})", p.fdt)


def _diff_setup(p):
    """Float outputs, float inputs, and fixed random weights/directions for the gradient."""
    fin = [k for k, x in enumerate(p.inputs) if x.dtype.kind == "f"]
    fout = [k for k, i in enumerate(p.outputs) if p.vals[i].dtype.kind == "f"]
    rng = np.random.default_rng(len(p.labels))
    rs = [rng.uniform(0.5, 1.5, p.vals[p.outputs[k]].shape) for k in fout]
    vs = [rng.standard_normal(p.inputs[k].shape) for k in fin]
    ws = [rng.standard_normal(p.inputs[k].shape) for k in fin]
    return fin, fout, rs, vs, ws


def grad_program(p):
    """f(*inputs) -> [scalar, grads..., hvps...] of sum_k <out_k, r_k> w.r.t. the float inputs."""
    fin, fout, rs, vs, ws = _diff_setup(p)

    def scalar(xs):
        outs = p.run_tf(*xs)
        total = tf.constant(0.0, tf.float64)
        for k, r in zip(fout, rs):
            total = total + tf.reduce_sum(tf.cast(outs[k], tf.float64) * tf.constant(r))
        return total

    def f(*xs):
        xs = list(xs)
        wrt = [xs[k] for k in fin]
        with tf.GradientTape() as outer:
            outer.watch(wrt)
            with tf.GradientTape() as inner:
                inner.watch(wrt)
                s = scalar(xs)
            g = inner.gradient(s, wrt, unconnected_gradients="zero")
            h = tf.constant(0.0, tf.float64)
            for gk, v in zip(g, vs):
                h = h + tf.reduce_sum(tf.cast(gk, tf.float64) * tf.constant(v))
        hv = outer.gradient(h, wrt, unconnected_gradients="zero")
        return [s] + list(g) + list(hv)
    return f, fin, fout, rs, vs, ws


def check_gradients(p, modes, fd=True):
    """Gradients and HVPs agree across modes; in smooth float64 programs also with finite
    differences of the numpy reference (first order) and of the eager gradient (second)."""
    f, fin, fout, rs, vs, ws = grad_program(p)
    if not fin or not fout:
        return
    clean = not any(p.masks[i].any() for i in range(len(p.vals)))
    res = {m: _call(m, f, p.inputs) for m in modes}
    base = res[modes[0]]
    for m in modes[1:]:
        if not clean:
            break
        for k, (a, b) in enumerate(zip(res[m], base)):
            compare(a, b, np.zeros(b.shape, bool), f"gradient part {k}: {m} vs {modes[0]}",
                    p.fdt, signed_zeros=False)     # (a gradient's zero sign is unspecified)
    if not (fd and p.smooth and clean and "eager" in res):
        return
    g = res["eager"][1:1 + len(fin)]
    hv = res["eager"][1 + len(fin):]
    if not all(np.isfinite(a).all() for a in [res["eager"][0]] + g + hv):
        return

    def ref_scalar(arrays):
        vals = list(p.inputs)
        for k, a in zip(fin, arrays):
            vals[k] = a
        q = _replay(p, vals)
        return sum(float(np.sum(q[p.outputs[k]].astype(np.float64) * r)) for k, r in zip(fout, rs))

    xs = [p.inputs[k] for k in fin]
    analytic = sum(float(np.sum(a * v)) for a, v in zip(g, vs))
    _fd_close(lambda e: (ref_scalar([x + e * v for x, v in zip(xs, vs)])
                         - ref_scalar([x - e * v for x, v in zip(xs, vs)])) / (2 * e),
              analytic, 1e-6, "first order vs finite differences")
    eg = f                               # eager gradient at perturbed points, along v

    def directional(arrays):
        vals = list(p.inputs)
        for k, a in zip(fin, arrays):
            vals[k] = a
        out = _call("eager", eg, vals)[1:1 + len(fin)]
        return sum(float(np.sum(a * v)) for a, v in zip(out, vs))
    analytic2 = sum(float(np.sum(a * w)) for a, w in zip(hv, ws))
    _fd_close(lambda e: (directional([x + e * w for x, w in zip(xs, ws)])
                         - directional([x - e * w for x, w in zip(xs, ws)])) / (2 * e),
              analytic2, 1e-5, "second order vs finite differences")


def _fd_close(quotient, analytic, eps, what):
    n1 = quotient(eps)
    if abs(analytic - n1) <= 1e-5 * max(1.0, abs(analytic), abs(n1)):
        return
    n2 = quotient(eps / 4)          # a kink (relu, max, abs...) makes the quotients disagree
    if abs(n1 - n2) > 1e-4 * max(1.0, abs(n1)):
        return
    if abs(analytic - n2) <= 1e-5 * max(1.0, abs(analytic), abs(n2)):
        return                      # (n1's truncation or rounding error on big sums)
    raise AssertionError(f"{what}: analytic {analytic!r} vs numeric {n1!r} / {n2!r}")


def _replay(p, inputs):
    vals = list(inputs)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for (fn, args), np_fn in zip(p.steps, p.np_fns):
            vals.append(np.asarray(np_fn(*[vals[i] for i in args])))
    return vals


def check(p, modes=("eager", "numpy", "numba")):
    modes = list(modes)
    try:
        check_values(p, modes)
        check_gradients(p, modes)
    except AssertionError as e:
        raise AssertionError(f"{e}\nprogram:\n{p.describe()}") from None


# ----------------------------------------------------------------------------- the tests
@settings(max_examples=60, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(st.data())
def test_random_programs_eager_and_numpy_executor(data):
    check(make_program(HypDraw(data), big=False), modes=("eager", "numpy"))


NUMBA_SEEDS = [2, 19, 43, 50]   # small, varied (specials, reductions, softmax...)


@pytest.mark.usefixtures("sync_compile")
@pytest.mark.parametrize("seed", NUMBA_SEEDS)
def test_seeded_programs_on_all_three_modes(seed):
    check(make_program(RngDraw(seed)))


# ----------------------------------------------------------------------------- special grid
GRID = [np.nan, np.inf, -np.inf, 0.0, -0.0, 100.0, -100.0, 89.0, -88.7, 1e-40, -1e-40, 1.0, -1.0,
        0.5, 3e38, -3e38, 2.5, -3.0, 1e-7, 20.0]
CONSTS = [0.0, -0.0, 1.0, -1.0, 2.0]


def _grid_program(dtype, binary=True):
    """Every catalogue op at once on the special values: unary ops plain, of -x and as
    `op(x) + 0.` / `op(x) * 1.` / `op(x) - 0.` (simplify fodder), binary ops on the outer
    product of the grid with itself and with scalar constants on either side. Returns
    (fn, inputs, numpy outputs, indices of the smooth plain outputs)."""
    x = np.array(GRID, dtype)
    a, b = x[:, None], x[None, :]
    t = dtype.type
    tf_parts, np_parts, smooth = [], [], []

    def add(tf_fn, np_fn, is_smooth, plain=False):
        if is_smooth and plain:     # (the gradient check: plain forms, fewer numba compiles)
            smooth.append(len(tf_parts))
        tf_parts.append(tf_fn)
        np_parts.append(np_fn)
    for name, (tf_fn, np_fn, sm) in sorted(UNARY_F.items()):
        add(lambda x, a, b, f=tf_fn: f(x), lambda f=np_fn: f(x), sm, True)
        add(lambda x, a, b, f=tf_fn: f(-x), lambda f=np_fn: f(-x), sm)
        for c in (0.0, -0.0):
            add(lambda x, a, b, f=tf_fn, c=c: f(x) + c, lambda f=np_fn, c=c: f(x) + t(c), sm)
            add(lambda x, a, b, f=tf_fn, c=c: f(x) - c, lambda f=np_fn, c=c: f(x) - t(c), sm)
        add(lambda x, a, b, f=tf_fn: f(x) * 1.0, lambda f=np_fn: f(x) * t(1), sm)
    for name, (tf_fn, np_fn, sm) in sorted(BINARY_F.items()) if binary else ():
        add(lambda x, a, b, f=tf_fn: f(a, b), lambda f=np_fn: f(a, b), sm, True)
        for c in CONSTS:
            add(lambda x, a, b, f=tf_fn, c=c: f(x, c), lambda f=np_fn, c=c: f(x, t(c)), sm)
            add(lambda x, a, b, f=tf_fn, c=c: f(c, x), lambda f=np_fn, c=c: f(t(c), x), sm)
    with np.errstate(all="ignore"):
        want = [np.asarray(f()) for f in np_parts]

    def fn(x, a, b):
        return [f(x, a, b) for f in tf_parts]
    return fn, [x, a, b], want, smooth


@pytest.mark.usefixtures("sync_compile")
@pytest.mark.parametrize("mode,dtype,binary", [
    ("eager", F32, True), ("eager", F64, True), ("numpy", F32, True), ("numpy", F64, True),
    ("numba", F32, False)])     # (the whole grid on numba compiles for minutes: offline sweep)
def test_special_value_grid_values_and_gradients(mode, dtype, binary):
    """Each catalogue op on signed zeros, +-inf, NaN, overflow, denormals: values equal numpy's
    (NaN/inf/signed-zero positions exactly), and the first-order gradient and the HVP of the
    smooth outputs agree with eager (NaN/inf positions exactly)."""
    _grid_check(mode, dtype, binary)


def _grid_check(mode, dtype, binary):
    fn, args, want, smooth = _grid_program(dtype, binary)
    got = _call(mode, fn, args)
    for k, (g, w) in enumerate(zip(got, want)):
        compare(g, w, np.zeros(w.shape, bool), f"{mode} grid output {k}", dtype, scale_free=True)
    if mode == "eager":
        return
    rng = np.random.default_rng(0)
    rs = [rng.uniform(0.5, 1.5, want[k].shape) for k in smooth]

    def grads(x, a, b):
        with tf.GradientTape() as outer:
            outer.watch([x, a, b])
            with tf.GradientTape() as inner:
                inner.watch([x, a, b])
                outs = fn(x, a, b)
                s = tf.add_n([tf.reduce_sum(tf.cast(outs[k], tf.float64) * r)
                              for k, r in zip(smooth, rs)])
            g = inner.gradient(s, [x, a, b], unconnected_gradients="zero")
            h = tf.add_n([tf.reduce_sum(gk * 0.75) for gk in g])
        return g + outer.gradient(h, [x, a, b], unconnected_gradients="zero")
    for k, (g, w) in enumerate(zip(_call(mode, grads, args), _call("eager", grads, args))):
        compare(g, w, np.zeros(w.shape, bool), f"{mode} grid gradient {k}", dtype,
                scale_free=True, signed_zeros=False)


# ----------------------------------------------------------------------------- regressions
@pytest.mark.usefixtures("sync_compile")
@pytest.mark.parametrize("mode", ["numpy", "numba"])
def test_adding_zero_keeps_ieee_signed_zeros_in_graphs(mode):
    # simplify rewrote x + 0. to x, so tanh(-0.) + 0. gave -0. in graphs (numpy/eager: +0.);
    # x + -0., x - 0., x * 1. and x / 1. are exact identities and still go
    x = np.array([-0.0, 0.0, -1.5, np.nan], np.float32)

    def f(x):
        t = tf.tanh(x)
        return [t + 0.0, 0.0 + t, t + -0.0, t - 0.0, t - -0.0, t * 1.0, t / 1.0]
    want = [np.tanh(x) + s for s in (0.0, 0.0)] + [np.tanh(x)] * 4
    want.insert(4, np.tanh(x) - np.float32(-0.0))
    got = _call(mode, f, [x])
    for g, w in zip(got, want):
        np.testing.assert_array_equal(np.signbit(g), np.signbit(w))
        np.testing.assert_allclose(g, w, rtol=1e-6)      # (numba's float32 tanh: 1 ulp)
    cf = tf.function(f, jit_compile=False).get_concrete_function(tf.constant(x))
    ops = [d["op"] for _, d in cf.graph.nodes(data=True)]
    assert ops.count("add") == 2 and ops.count("subtract") == 1, ops   # t + 0., 0. + t, t - -0.
    i = tf.function(lambda k: k + 0, jit_compile=False).get_concrete_function(tf.constant([1]))
    assert [d["op"] for _, d in i.graph.nodes(data=True)] == ["parameter"]


@pytest.mark.usefixtures("sync_compile")
def test_constant_products_overflow_as_numpy_on_numba():
    # kernels without reductions compile without fastmath 'reassoc' (rt.EXACT_KERNEL_FLAGS):
    # LLVM folded (x * 1.5) * 0.7 into x * 1.05, finite where numpy's x * 1.5 overflows
    x = np.array([3e38, 1.0], np.float32)
    got = _call("numba", lambda x: [(x * 1.5) * 0.7], [x])[0]
    np.testing.assert_array_equal(got, [np.inf, np.float32(1.5) * np.float32(0.7)])


# ----------------------------------------------------------------------------- misuse
def _misuse_cases(seed):
    """Random bad calls: (op name, fn, args, fragments the message must hold)."""
    rng = np.random.default_rng(seed)
    a, b, c = (int(n) for n in rng.integers(2, 6, 3))
    x = np.ones((a, b), np.float32)
    return [
        ("add", lambda x, y: x + y, [x, np.ones((b + 1,), np.float32)],
         [f"({a}, {b}) float32", f"({b + 1},) float32"]),
        ("matmul", lambda x, y: tf.matmul(x, y), [x, np.ones((b + 1, c), np.float32)],
         [f"({a}, {b}) float32", f"({b + 1}, {c}) float32"]),
        ("concat", lambda x, y: tf.concat([x, y], axis=0), [x, np.ones((a, b + 1), np.float32)],
         [f"({a}, {b}) float32", f"({a}, {b + 1}) float32"]),
        ("bitwise_and", lambda x, y: tf.bitwise.bitwise_and(x, y), [x, x], ["float32"]),
        ("gather", lambda x, i: tf.gather(x * 2.0, i) + 1.0,
         [x, np.array([0, a], np.int32)], [f"[0, {a})", f"({a}, {b}) float32"]),
        ("gather", lambda x, i: tf.gather(x, i, axis=1),
         [x, np.array([-1], np.int32)], [f"[0, {b})", "(1,) int32"]),
    ]


def _user_frame(exc):
    """file:line of the innermost traceback frame outside graphflow."""
    import os
    import traceback
    import graphflow
    root = os.path.dirname(graphflow.__file__)
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if not f.filename.startswith(root)]
    return frames[-1] if frames else None


@pytest.mark.usefixtures("sync_compile")
@pytest.mark.parametrize("mode", ["eager", "numpy", "numba"])
def test_misuse_errors_name_the_op_shapes_dtypes_and_user_line(mode):
    """TF raises InvalidArgumentError (on CPU also for out-of-range gather indices); the message
    names the op and the inputs' shapes and dtypes, and points at the user's line: the message
    for traced code, the traceback's innermost non-graphflow frame for eager code."""
    import inspect
    for seed in range(2):
        for name, fn, args, frags in _misuse_cases(seed):
            line = inspect.getsourcelines(fn)[1]
            with pytest.raises(tf.errors.InvalidArgumentError) as ei:
                _fn(mode, fn)(*[tf.constant(v) for v in args])
            msg = str(ei.value)
            assert msg.startswith(name) and all(f in msg for f in frags), (mode, msg)
            if mode == "eager":
                fr = _user_frame(ei.value)
                assert fr.filename == __file__ and fr.lineno == line, (fr, line)
            else:
                assert f"test_differential.py:{line}" in msg, (line, msg)


# ----------------------------------------------------------------------------- offline sweep
def sweep(n, first=0, modes=("eager", "numpy", "numba")):
    from graphflow.backends.numba import SETTINGS
    SETTINGS.sync_compile = True
    fails = []
    for dtype in (F32, F64):
        try:
            _grid_check("numba", dtype, True)
        except AssertionError as e:
            fails.append((f"grid {dtype}", str(e)))
            print(f"--- grid {dtype}\n{e}\n", flush=True)
    for seed in range(first, first + n):
        if (seed - first) % 50 == 0:
            print(f"seed {seed}: {len(fails)} failed so far", flush=True)
        try:
            p = make_program(RngDraw(seed))
        except Exception as e:          # a generator bug: report, go on
            fails.append((seed, f"generator: {type(e).__name__}: {e}"))
            print(f"--- seed {seed}\n{fails[-1][1]}\n", flush=True)
            continue
        try:
            check(p, modes)
        except Exception as e:
            msg = f"{type(e).__name__}: {e}"
            fails.append((seed, msg))
            print(f"--- seed {seed}\n{msg}\n", flush=True)
    print(f"kernels run: {STATS['kernels']}")
    print(f"{len(fails)} of {n} programs failed: seeds {[s for s, _ in fails]}")
    return fails


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    modes = ("eager", "numpy", "numba")
    for a in sys.argv[1:]:
        if a.startswith("--modes="):
            modes = tuple(a.split("=", 1)[1].split(","))
    sweep(int(args[0]) if args else 100, int(args[1]) if len(args) > 1 else 0, modes)
