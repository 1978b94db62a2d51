"""Differential test: graphflow (eager / numpy executor / numba) against TensorFlow.

The same case code runs against both frameworks (graphflow's public API is TF's), so TF is the
reference for values, dtypes, shapes, errors, first-order gradients (VJP) and a second-order
Hessian-vector product (float64 cases).

    /tmp/peervenv/bin/python tools/difftest.py ref  [--programs N]   # TF results -> /tmp/difftest_ref.pkl
    .venv/bin/python        tools/difftest.py check [--modes eager,numpy,numba] [--only SUBSTR]

Not part of the test suite (it needs TF, and a full run takes minutes); regressions found with it
go to tests/test_*.py as small cases.
"""
import os
import pickle
import sys
import traceback

import numpy as np

REF = os.environ.get("DIFFTEST_REF", "/tmp/difftest_ref.pkl")

# ----------------------------------------------------------------------------- inputs

SPECIAL = [np.nan, np.inf, -np.inf, -0.0, 0.0, 1e30, -1e30, 1e-30, 1.0, -1.0, 0.5, 2.5, -2.5,
           3.0, -7.25, 1e-7]


def _rng(key):
    return np.random.default_rng(sum(ord(c) * 131 ** i for i, c in enumerate(key)) % (2 ** 32))


def gen(rng, shape, dtype, kind="normal"):
    """An input array of `shape`/`dtype`: kind normal | pos | special | big | small_int."""
    dtype = np.dtype(dtype)
    n = int(np.prod(shape))
    if dtype == np.bool_:
        return rng.random(shape) > 0.5
    if dtype.kind in "iu":
        lo, hi = (-6, 7) if kind != "pos" else (1, 7)
        if kind == "big":
            lo, hi = np.iinfo(dtype).min // 2, np.iinfo(dtype).max // 2
        return rng.integers(lo, hi, size=shape).astype(dtype)
    if kind == "pos":
        v = rng.uniform(0.2, 3.0, size=shape)
    elif kind == "special":
        v = np.array([SPECIAL[i % len(SPECIAL)] for i in rng.permutation(max(n, 1))[:n]],
                     np.float64).reshape(shape)
    elif kind == "big":
        v = rng.uniform(-1, 1, size=shape) * 10.0 ** rng.integers(-30, 30, size=shape)
    elif kind == "unit":
        v = rng.uniform(-0.95, 0.95, size=shape)
    else:
        v = rng.normal(size=shape) * 2
    with np.errstate(over="ignore"):
        return v.astype(dtype)


FLOATS = ["float32", "float64", "float16"]
ALLNUM = FLOATS + ["int32", "int64"]
SHAPES1 = [(3, 4), (), (0, 3), (1,), (2, 1, 3)]
PAIRS = [((3, 4), (3, 4)), ((3, 1), (1, 4)), ((2, 3), (3,)), ((), (2, 2)), ((2, 1, 3), (4, 1)),
         ((0, 3), (3,)), ((1,), ())]


class Case:
    def __init__(self, name, fn, inputs, grad=True):
        self.name, self.fn, self.inputs, self.grad = name, fn, inputs, grad


def _unary_cases(cases, name, fn, dtypes=FLOATS, kinds=("normal", "special", "big"), grad=True):
    for dt in dtypes:
        for kind in kinds:
            for shp in SHAPES1:
                r = _rng(f"{name}{dt}{kind}{shp}")
                cases.append(Case(f"{name}/{dt}/{kind}/{shp}", fn, [gen(r, shp, dt, kind)], grad))


def _binary_cases(cases, name, fn, dtypes=ALLNUM, kinds=("normal", "special"), grad=True):
    for dt in dtypes:
        for kind in kinds:
            if kind != "normal" and np.dtype(dt).kind != "f":
                kind = "big" if kind == "special" else kind
            for a, b in PAIRS:
                r = _rng(f"{name}{dt}{kind}{a}{b}")
                cases.append(Case(f"{name}/{dt}/{kind}/{a}x{b}", fn,
                                  [gen(r, a, dt, kind), gen(r, b, dt, kind)], grad))


def op_cases():
    c = []
    U = _unary_cases
    U(c, "negative", lambda tf, x: tf.negative(x), ALLNUM)
    U(c, "abs", lambda tf, x: tf.abs(x), ALLNUM)
    U(c, "sign", lambda tf, x: tf.sign(x), ALLNUM)
    U(c, "sqrt", lambda tf, x: tf.sqrt(x))
    U(c, "rsqrt", lambda tf, x: tf.math.rsqrt(x))
    U(c, "square", lambda tf, x: tf.square(x), ALLNUM)
    U(c, "exp", lambda tf, x: tf.exp(x))
    U(c, "expm1", lambda tf, x: tf.math.expm1(x))
    U(c, "log", lambda tf, x: tf.math.log(x))
    U(c, "log1p", lambda tf, x: tf.math.log1p(x))
    U(c, "tanh", lambda tf, x: tf.tanh(x))
    U(c, "sigmoid", lambda tf, x: tf.sigmoid(x))
    U(c, "softplus", lambda tf, x: tf.math.softplus(x))
    U(c, "relu", lambda tf, x: tf.nn.relu(x), ALLNUM)
    U(c, "erf", lambda tf, x: tf.math.erf(x))
    U(c, "erfc", lambda tf, x: tf.math.erfc(x))
    U(c, "erfinv", lambda tf, x: tf.math.erfinv(x), kinds=("unit", "special"))
    U(c, "sin", lambda tf, x: tf.sin(x))
    U(c, "cos", lambda tf, x: tf.cos(x))
    U(c, "atan", lambda tf, x: tf.math.atan(x))
    U(c, "floor", lambda tf, x: tf.floor(x))
    U(c, "ceil", lambda tf, x: tf.math.ceil(x))
    U(c, "round", lambda tf, x: tf.round(x), ALLNUM)
    U(c, "lgamma", lambda tf, x: tf.math.lgamma(x), kinds=("pos", "special"))
    U(c, "digamma", lambda tf, x: tf.math.digamma(x), kinds=("pos", "special"))
    U(c, "identity", lambda tf, x: tf.identity(x), ALLNUM + ["bool"], kinds=("normal",))
    U(c, "zeros_like", lambda tf, x: tf.zeros_like(x), ALLNUM + ["bool"], kinds=("normal",))
    U(c, "ones_like", lambda tf, x: tf.ones_like(x), ALLNUM, kinds=("normal",))
    U(c, "logical_not", lambda tf, x: tf.logical_not(x), ["bool"], kinds=("normal",))
    U(c, "reciprocal", lambda tf, x: tf.math.reciprocal(x))
    U(c, "sinh", lambda tf, x: tf.math.sinh(x))
    U(c, "cosh", lambda tf, x: tf.math.cosh(x))
    U(c, "tan", lambda tf, x: tf.math.tan(x))
    U(c, "is_nan", lambda tf, x: tf.math.is_nan(x), kinds=("special",))
    U(c, "is_finite", lambda tf, x: tf.math.is_finite(x), kinds=("special",))
    U(c, "softmax", lambda tf, x: tf.nn.softmax(x), ["float32", "float64"])
    U(c, "log_softmax", lambda tf, x: tf.nn.log_softmax(x), ["float32", "float64"])
    U(c, "elu", lambda tf, x: tf.nn.elu(x), ["float32", "float64"])
    U(c, "selu", lambda tf, x: tf.nn.selu(x), ["float32", "float64"])
    U(c, "gelu", lambda tf, x: tf.nn.gelu(x), ["float32", "float64"])
    U(c, "relu6", lambda tf, x: tf.nn.relu6(x), ["float32", "float64"])
    U(c, "leaky_relu", lambda tf, x: tf.nn.leaky_relu(x), ["float32", "float64"])
    U(c, "swish", lambda tf, x: tf.nn.silu(x), ["float32", "float64"])
    U(c, "l2_normalize", lambda tf, x: tf.math.l2_normalize(x, -1), ["float32", "float64"])
    U(c, "cast_i32", lambda tf, x: tf.cast(x, tf.int32), ALLNUM + ["bool"], kinds=("normal", "big"))
    U(c, "cast_f32", lambda tf, x: tf.cast(x, tf.float32), ALLNUM + ["bool"])
    U(c, "cast_bool", lambda tf, x: tf.cast(x, tf.bool), ALLNUM, kinds=("normal", "special"))
    U(c, "cast_f16", lambda tf, x: tf.cast(x, tf.float16), ["float32", "float64", "int32"],
      kinds=("normal", "big"))
    U(c, "scalar_add", lambda tf, x: x + 2, ALLNUM)
    U(c, "scalar_radd_f", lambda tf, x: 1.5 + x, ALLNUM)
    U(c, "scalar_mul_f", lambda tf, x: x * 0.5, ALLNUM)
    U(c, "scalar_rsub", lambda tf, x: 3 - x, ALLNUM)
    U(c, "scalar_div", lambda tf, x: x / 2, ALLNUM)
    U(c, "scalar_rdiv", lambda tf, x: 2 / x, ALLNUM)
    U(c, "scalar_floordiv", lambda tf, x: x // 3, ALLNUM)
    U(c, "scalar_mod", lambda tf, x: x % 3, ALLNUM)
    U(c, "scalar_mod_neg", lambda tf, x: x % -3, ALLNUM)
    U(c, "scalar_pow2", lambda tf, x: x ** 2, ALLNUM)
    U(c, "scalar_pow_half", lambda tf, x: x ** 0.5, FLOATS)
    U(c, "scalar_rpow", lambda tf, x: 2.0 ** x, FLOATS)
    U(c, "scalar_lt", lambda tf, x: x < 1, ALLNUM)
    U(c, "scalar_eq", lambda tf, x: tf.equal(x, 0), ALLNUM)
    U(c, "neg_op", lambda tf, x: -x, ALLNUM)
    U(c, "abs_op", lambda tf, x: abs(x), ALLNUM)
    U(c, "clip", lambda tf, x: tf.clip_by_value(x, -1.0, 2.0), FLOATS)
    U(c, "squared_difference1", lambda tf, x: tf.math.squared_difference(x, 1.0), FLOATS)

    B = _binary_cases
    B(c, "add", lambda tf, a, b: tf.add(a, b))
    B(c, "subtract", lambda tf, a, b: tf.subtract(a, b))
    B(c, "multiply", lambda tf, a, b: tf.multiply(a, b))
    B(c, "divide", lambda tf, a, b: tf.divide(a, b))
    B(c, "truediv_op", lambda tf, a, b: a / b)
    B(c, "floordiv", lambda tf, a, b: tf.math.floordiv(a, b))
    B(c, "mod", lambda tf, a, b: tf.math.mod(a, b))
    B(c, "floormod_op", lambda tf, a, b: a % b)
    B(c, "pow", lambda tf, a, b: tf.pow(a, b))
    B(c, "maximum", lambda tf, a, b: tf.maximum(a, b))
    B(c, "minimum", lambda tf, a, b: tf.minimum(a, b))
    B(c, "atan2", lambda tf, a, b: tf.math.atan2(a, b), FLOATS)
    B(c, "squared_difference", lambda tf, a, b: tf.math.squared_difference(a, b))
    B(c, "divide_no_nan", lambda tf, a, b: tf.math.divide_no_nan(a, b), FLOATS)
    B(c, "xlogy", lambda tf, a, b: tf.math.xlogy(a, b), FLOATS)
    for nm in ["equal", "not_equal", "less", "less_equal", "greater", "greater_equal"]:
        B(c, nm, lambda tf, a, b, nm=nm: getattr(tf, nm)(a, b), ALLNUM)
    B(c, "logical_and", lambda tf, a, b: tf.logical_and(a, b), ["bool"], ("normal",))
    B(c, "logical_or", lambda tf, a, b: tf.logical_or(a, b), ["bool"], ("normal",))
    B(c, "mixed_add_err", lambda tf, a, b: tf.add(a, tf.cast(b, tf.int32)), FLOATS, ("normal",))
    B(c, "mixed_mul_op_err", lambda tf, a, b: a * tf.cast(b, tf.float64), ["float32", "int32"],
      ("normal",))

    # dtype promotion: TF never promotes two tensors; Python scalars take the tensor's dtype
    promo = {
        "i32+1.5": lambda tf, i, f, h, d, b: i + 1.5,
        "i32*2.0": lambda tf, i, f, h, d, b: i * 2.0,
        "1.5-i32": lambda tf, i, f, h, d, b: 1.5 - i,
        "f32+np.f64": lambda tf, i, f, h, d, b: f + np.float64(1.5),
        "np.f64*f32": lambda tf, i, f, h, d, b: np.float64(1.5) * f,
        "f32+np.i64": lambda tf, i, f, h, d, b: f + np.int64(2),
        "i32+np.i64": lambda tf, i, f, h, d, b: i + np.int64(2),
        "f32+nparr64": lambda tf, i, f, h, d, b: f + np.ones(3, np.float64),
        "f16+1e5": lambda tf, i, f, h, d, b: h + 1e5,
        "i32+2**40": lambda tf, i, f, h, d, b: i + 2 ** 40,
        "f32+True": lambda tf, i, f, h, d, b: f + True,
        "f32+list": lambda tf, i, f, h, d, b: tf.add(f, [1, 2, 3]),
        "i32+list_f": lambda tf, i, f, h, d, b: i + [1.5, 2.0, 0.0],
        "b+b": lambda tf, i, f, h, d, b: tf.add(b, b),
        "b*2": lambda tf, i, f, h, d, b: b * 2,
        "add_i32_f32": lambda tf, i, f, h, d, b: tf.add(i, f),
        "mul_f32_f64": lambda tf, i, f, h, d, b: f * d,
        "sub_f16_f32": lambda tf, i, f, h, d, b: h - f,
        "max_f32_1": lambda tf, i, f, h, d, b: tf.maximum(f, 1),
        "max_i32_1.5": lambda tf, i, f, h, d, b: tf.maximum(i, 1.5),
        "where_f32_1": lambda tf, i, f, h, d, b: tf.where(b, f, 1),
        "where_f32_f64": lambda tf, i, f, h, d, b: tf.where(b, f, d),
        "concat_f32_f64": lambda tf, i, f, h, d, b: tf.concat([f, d], 0),
        "stack_i32_f32": lambda tf, i, f, h, d, b: tf.stack([i, f]),
        "matmul_f32_f64": lambda tf, i, f, h, d, b: tf.matmul(f[None], d[:, None]),
        "pow_i32_neg": lambda tf, i, f, h, d, b: tf.pow(i, -1),
        "pow_i32_2": lambda tf, i, f, h, d, b: i ** 2,
        "pow_i32_half": lambda tf, i, f, h, d, b: i ** 0.5,
        "rpow_2_i32": lambda tf, i, f, h, d, b: 2 ** i,
        "i32/i32": lambda tf, i, f, h, d, b: i / i,
        "i32/2.5": lambda tf, i, f, h, d, b: i / 2.5,
        "f16/2": lambda tf, i, f, h, d, b: h / 2,
        "i32//0": lambda tf, i, f, h, d, b: i // 0,
        "f32//0": lambda tf, i, f, h, d, b: f // 0,
        "f32%0": lambda tf, i, f, h, d, b: f % 0,
        "i32<1.5": lambda tf, i, f, h, d, b: i < 1.5,
        "f32==f64": lambda tf, i, f, h, d, b: tf.equal(f, d),
        "f32==None": lambda tf, i, f, h, d, b: f == None,  # noqa: E711
        "and_i32": lambda tf, i, f, h, d, b: tf.logical_and(b, i),
        "b&True": lambda tf, i, f, h, d, b: b & True,
        "neg_b": lambda tf, i, f, h, d, b: -b,
        "abs_b": lambda tf, i, f, h, d, b: tf.abs(b),
        "sum_b": lambda tf, i, f, h, d, b: tf.reduce_sum(b),
        "mean_i32": lambda tf, i, f, h, d, b: tf.reduce_mean(i),
        "sum_f16": lambda tf, i, f, h, d, b: tf.reduce_sum(h * 30000.0),
        "mean_f16": lambda tf, i, f, h, d, b: tf.reduce_mean(h * 30000.0),
        "argmax_b": lambda tf, i, f, h, d, b: tf.argmax(b),
        "cast_f_i_neg": lambda tf, i, f, h, d, b: tf.cast(f * 1e10, tf.int32),
        "cast_nan_i": lambda tf, i, f, h, d, b: tf.cast(f / 0.0, tf.int64),
        "sqrt_i32": lambda tf, i, f, h, d, b: tf.sqrt(i),
        "exp_i32": lambda tf, i, f, h, d, b: tf.exp(i),
        "sign_b": lambda tf, i, f, h, d, b: tf.sign(b),
        "clip_i32_f": lambda tf, i, f, h, d, b: tf.clip_by_value(i, 0.5, 2.5),
        "clip_f32_i": lambda tf, i, f, h, d, b: tf.clip_by_value(f, 0, 1),
        "one_hot_f": lambda tf, i, f, h, d, b: tf.one_hot(f, 3),
        "gather_f_idx": lambda tf, i, f, h, d, b: tf.gather(f, f),
        "range_mixed": lambda tf, i, f, h, d, b: tf.range(0, 3.5, 1),
        "range_i": lambda tf, i, f, h, d, b: tf.range(5),
        "fill_f": lambda tf, i, f, h, d, b: tf.fill([2], 1.5),
        "zeros_i": lambda tf, i, f, h, d, b: tf.zeros([2], tf.int32) + 1,
        "constant_list": lambda tf, i, f, h, d, b: tf.constant([1, 2.5]),
        "constant_i64": lambda tf, i, f, h, d, b: tf.constant(2 ** 40),
        "constant_big_f": lambda tf, i, f, h, d, b: tf.constant(1e300),
        "constant_dt": lambda tf, i, f, h, d, b: tf.constant([1.7, -1.7], tf.int32),
        "convert_np_f64": lambda tf, i, f, h, d, b: tf.convert_to_tensor(np.ones(2)),
        "convert_dtype": lambda tf, i, f, h, d, b: tf.convert_to_tensor(1, tf.float32),
        "add_n_mixed": lambda tf, i, f, h, d, b: tf.add_n([f, d]),
        "einsum_mixed": lambda tf, i, f, h, d, b: tf.einsum("i,i->", f, d),
    }
    pr = _rng("promo")
    pin = [np.array([1, -2, 3], np.int32), np.array([0.5, -1.5, 2.0], np.float32),
           np.array([0.5, -1.5, 2.0], np.float16), np.array([0.25, 1.0, -3.0]),
           np.array([True, False, True])]
    for k, fn in promo.items():
        c.append(Case(f"promo/{k}", fn, pin, grad=False))

    # where / select
    for dt in ALLNUM:
        for a, b in PAIRS:
            r = _rng(f"where{dt}{a}{b}")
            cond = gen(r, a, "bool")
            c.append(Case(f"where/{dt}/{a}x{b}", lambda tf, cnd, x, y: tf.where(cnd, x, y),
                          [cond, gen(r, a, dt, "special"), gen(r, b, dt, "special")]))
            c.append(Case(f"where_scalar/{dt}/{a}", lambda tf, cnd, x: tf.where(cnd, x, 0),
                          [cond, gen(r, a, dt)]))

    # reductions
    red_shapes = [(2, 3, 4), (3,), (0, 3), (1, 1), (4, 0)]
    axes = [None, 0, -1, (0, -1), 1, (), [1, 0]]
    reds = {"reduce_sum": ALLNUM, "reduce_mean": ALLNUM, "reduce_max": ALLNUM,
            "reduce_min": ALLNUM, "reduce_prod": ALLNUM, "reduce_logsumexp": FLOATS,
            "reduce_std": ["float32", "float64"], "reduce_variance": ["float32", "float64"],
            "reduce_euclidean_norm": ["float32", "float64"]}
    for nm, dts in reds.items():
        for dt in dts:
            for shp in red_shapes:
                for ax in axes:
                    for kd in (False, True):
                        if ax is not None and not isinstance(ax, int) and len(shp) < 2:
                            continue
                        if isinstance(ax, int) and ax >= len(shp):
                            continue
                        for kind in ("normal", "special"):
                            r = _rng(f"{nm}{dt}{shp}{ax}{kd}{kind}")
                            c.append(Case(
                                f"{nm}/{dt}/{kind}/{shp}/ax={ax}/kd={kd}",
                                lambda tf, x, nm=nm, ax=ax, kd=kd: getattr(tf.math, nm)(
                                    x, axis=ax, keepdims=kd),
                                [gen(r, shp, dt, kind)]))
    for nm in ("reduce_any", "reduce_all"):
        for shp in red_shapes:
            for ax in (None, 0, -1):
                if ax is not None and len(shp) < 1:
                    continue
                r = _rng(f"{nm}{shp}{ax}")
                c.append(Case(f"{nm}/{shp}/ax={ax}",
                              lambda tf, x, nm=nm, ax=ax: getattr(tf.math, nm)(x, axis=ax),
                              [gen(r, shp, "bool")]))
    for nm in ("argmax", "argmin"):
        for dt in ALLNUM:
            for shp, ax in [((3, 4), 0), ((3, 4), 1), ((3, 4), -1), ((5,), 0), ((2, 3, 4), 1)]:
                for kind in ("normal", "special"):
                    r = _rng(f"{nm}{dt}{shp}{ax}{kind}")
                    c.append(Case(f"{nm}/{dt}/{kind}/{shp}/ax={ax}",
                                  lambda tf, x, nm=nm, ax=ax: getattr(tf, nm)(x, ax),
                                  [gen(r, shp, dt, kind)]))
    for dt in ALLNUM:
        for shp, ax in [((3, 4), 0), ((3, 4), 1), ((3, 4), -1), ((5,), 0), ((2, 0), 1)]:
            for ex in (False, True):
                for rv in (False, True):
                    r = _rng(f"cumsum{dt}{shp}{ax}{ex}{rv}")
                    c.append(Case(f"cumsum/{dt}/{shp}/ax={ax}/ex={ex}/rev={rv}",
                                  lambda tf, x, ax=ax, ex=ex, rv=rv: tf.math.cumsum(
                                      x, ax, exclusive=ex, reverse=rv), [gen(r, shp, dt)]))
                    c.append(Case(f"cumprod/{dt}/{shp}/ax={ax}/ex={ex}/rev={rv}",
                                  lambda tf, x, ax=ax, ex=ex, rv=rv: tf.math.cumprod(
                                      x, ax, exclusive=ex, reverse=rv), [gen(r, shp, dt)]))
    for dt in ["float32", "float64", "int32"]:
        for d in ("ASCENDING", "DESCENDING"):
            r = _rng(f"sort{dt}{d}")
            c.append(Case(f"sort/{dt}/{d}", lambda tf, x, d=d: tf.sort(x, direction=d),
                          [gen(r, (3, 5), dt)]))
            c.append(Case(f"argsort/{dt}/{d}", lambda tf, x, d=d: tf.argsort(
                x, direction=d, stable=True), [gen(r, (3, 5), dt)]))

    # matmul / einsum / linalg
    mm = [((2, 3), (3, 4), {}), ((3, 2), (3, 4), {"transpose_a": True}),
          ((2, 3), (4, 3), {"transpose_b": True}), ((5, 2, 3), (5, 3, 4), {}),
          ((0, 3), (3, 4), {}), ((2, 0), (0, 4), {}), ((1, 1), (1, 1), {})]
    for dt in ["float32", "float64", "int32", "float16"]:
        for a, b, kw in mm:
            for kind in ("normal", "special"):
                r = _rng(f"mm{dt}{a}{b}{kw}{kind}")
                c.append(Case(f"matmul/{dt}/{kind}/{a}x{b}/{kw}",
                              lambda tf, x, y, kw=kw: tf.matmul(x, y, **kw),
                              [gen(r, a, dt, kind), gen(r, b, dt, kind)]))
    for eq, shapes in [("ij,jk->ik", [(2, 3), (3, 4)]), ("ij->ji", [(2, 3)]), ("ii->i", [(3, 3)]),
                       ("bij,bjk->bik", [(2, 2, 3), (2, 3, 2)]), ("ij,ij->", [(2, 3), (2, 3)]),
                       ("i,j->ij", [(3,), (2,)]), ("...ij,jk->...ik", [(2, 2, 3), (3, 2)])]:
        for dt in ["float32", "float64"]:
            r = _rng(f"einsum{eq}{dt}")
            c.append(Case(f"einsum/{eq}/{dt}", lambda tf, *xs, eq=eq: tf.einsum(eq, *xs),
                          [gen(r, s, dt) for s in shapes]))
    for dt in ["float32", "float64"]:
        r = _rng(f"linalg{dt}")
        a = gen(r, (3, 3), dt)
        spd = (a @ a.T + 3 * np.eye(3)).astype(dt)
        c.append(Case(f"inv/{dt}", lambda tf, x: tf.linalg.inv(x), [spd]))
        c.append(Case(f"det/{dt}", lambda tf, x: tf.linalg.det(x), [a]))
        c.append(Case(f"solve/{dt}", lambda tf, x, y: tf.linalg.solve(x, y),
                      [spd, gen(r, (3, 2), dt)]))
        c.append(Case(f"cholesky/{dt}", lambda tf, x: tf.linalg.cholesky(x), [spd]))
        c.append(Case(f"trisolve/{dt}", lambda tf, x, y: tf.linalg.triangular_solve(x, y),
                      [np.tril(spd), gen(r, (3, 2), dt)]))
        c.append(Case(f"logdet/{dt}", lambda tf, x: tf.linalg.logdet(x), [spd]))
        c.append(Case(f"trace/{dt}", lambda tf, x: tf.linalg.trace(x), [a]))
        c.append(Case(f"diag_part/{dt}", lambda tf, x: tf.linalg.diag_part(x), [a]))
        c.append(Case(f"norm/{dt}", lambda tf, x: tf.norm(x), [a]))
        c.append(Case(f"norm_ax/{dt}", lambda tf, x: tf.norm(x, axis=-1, keepdims=True), [a]))

    # shape ops
    for dt in ["float32", "int32", "float64", "bool"]:
        r = _rng(f"shape{dt}")
        x = gen(r, (2, 3, 4), dt)
        g = dt != "bool"
        S = lambda n, f, *xs: c.append(Case(f"{n}/{dt}", f, [x, *xs], g))  # noqa: E731
        S("reshape", lambda tf, x: tf.reshape(x, (6, -1)))
        S("reshape0", lambda tf, x: tf.reshape(x[:0], (0, 4)))
        S("transpose", lambda tf, x: tf.transpose(x, [2, 0, 1]))
        S("transpose_def", lambda tf, x: tf.transpose(x))
        S("expand", lambda tf, x: tf.expand_dims(x, -2))
        S("squeeze", lambda tf, x: tf.squeeze(x[:1, :, :1]))
        S("squeeze_ax", lambda tf, x: tf.squeeze(x[:1, :, :1], -1))
        S("broadcast_to", lambda tf, x: tf.broadcast_to(x[:, :1], (5, 2, 3, 4)))
        S("tile", lambda tf, x: tf.tile(x, [1, 2, 1]))
        S("concat", lambda tf, x: tf.concat([x, x[:, :1]], axis=1))
        S("concat_neg", lambda tf, x: tf.concat([x, x[..., :2]], axis=-1))
        S("concat_empty", lambda tf, x: tf.concat([x[:0], x], axis=0))
        S("stack", lambda tf, x: tf.stack([x[0], x[1]], axis=-1))
        S("unstack", lambda tf, x: tf.unstack(x, axis=1)[2])
        S("split", lambda tf, x: tf.split(x, [1, 3], axis=-1)[1])
        S("split_n", lambda tf, x: tf.split(x, 2, axis=0)[0])
        for idx in [(1,), (-1,), (slice(1, 3),), (slice(None, None, -1),),
                    (Ellipsis, slice(None, None, -2)), (None, 0), (0, 1, -1), (slice(5, 9),),
                    (slice(-2, None), slice(None, None, 2)), (slice(None), 2, None),
                    (slice(3, 1),), (Ellipsis, 0, None)]:
            S(f"getitem{idx!r}", lambda tf, x, idx=idx: x[idx])
        S("gather", lambda tf, x: tf.gather(x, [2, 0, 0], axis=1))
        S("gather_neg", lambda tf, x: tf.gather(x, [3, 1], axis=-1))
        S("gather_2d", lambda tf, x: tf.gather(x, [[1, 0], [1, 1]]))
        S("gather_nd", lambda tf, x: tf.gather_nd(x, [[0, 1], [1, 2]]))
        S("reverse", lambda tf, x: tf.reverse(x, [1, -1]))
        S("roll", lambda tf, x: tf.roll(x, 2, axis=-1))
        S("pad", lambda tf, x: tf.pad(x, [[1, 0], [0, 2], [1, 1]]))
        S("slice", lambda tf, x: tf.slice(x, [0, 1, 1], [2, -1, 2]))
        S("boolean_mask", lambda tf, x: tf.boolean_mask(x, [True, False]))
        S("repeat", lambda tf, x: tf.repeat(x, 2, axis=1))
        S("shape", lambda tf, x: tf.shape(x))
        S("size", lambda tf, x: tf.size(x))
        S("rank", lambda tf, x: tf.rank(x))
    for dt in ["int32", "int64"]:
        r = _rng(f"onehot{dt}")
        i = np.array([[0, 2], [3, -1]], dt)
        c.append(Case(f"one_hot/{dt}", lambda tf, i: tf.one_hot(i, 3), [i]))
        c.append(Case(f"one_hot_ax0/{dt}", lambda tf, i: tf.one_hot(i, 3, axis=0), [i]))
        c.append(Case(f"one_hot_f64/{dt}", lambda tf, i: tf.one_hot(
            i, 3, on_value=2.0, off_value=-1.0, dtype=tf.float64), [i]))
    for dt in ["float32", "float64"]:
        r = _rng(f"seg{dt}")
        d = gen(r, (5, 2), dt)
        ids = np.array([0, 2, 0, 1, 2], np.int32)
        for nm in ("unsorted_segment_sum", "unsorted_segment_max", "unsorted_segment_prod",
                   "unsorted_segment_min", "unsorted_segment_mean"):
            c.append(Case(f"{nm}/{dt}", lambda tf, d, nm=nm: getattr(tf.math, nm)(
                d, ids, 4), [d]))
        c.append(Case(f"segment_sum/{dt}", lambda tf, d: tf.math.segment_sum(
            d, np.array([0, 0, 1, 1, 3], np.int32)), [d]))
        c.append(Case(f"searchsorted/{dt}", lambda tf, s, v: tf.searchsorted(s, v),
                      [np.sort(gen(r, (2, 5), dt)), gen(r, (2, 3), dt)]))
        c.append(Case(f"take_along_axis/{dt}", lambda tf, x: tf.experimental.numpy.take_along_axis(
            x, np.array([[1, 0], [0, 0], [1, 1]]), 1), [gen(r, (3, 2), dt)]))
        c.append(Case(f"scatter_nd/{dt}", lambda tf, u: tf.scatter_nd(
            np.array([[1], [0], [1]], np.int32), u, [3, 2]), [gen(r, (3, 2), dt)]))
        c.append(Case(f"tensor_scatter_update/{dt}", lambda tf, x, u: tf.tensor_scatter_nd_update(
            x, np.array([[1], [0]], np.int32), u), [gen(r, (3, 2), dt), gen(r, (2, 2), dt)]))
        c.append(Case(f"add_n/{dt}", lambda tf, a, b: tf.add_n([a, b, a]),
                      [gen(r, (2, 3), dt), gen(r, (2, 3), dt)]))
        c.append(Case(f"sce/{dt}", lambda tf, l, lab: tf.nn.softmax_cross_entropy_with_logits(
            lab, l), [gen(r, (3, 4), dt), np.eye(4, dtype=dt)[[0, 3, 1]]]))
        c.append(Case(f"ssce/{dt}", lambda tf, l: tf.nn.sparse_softmax_cross_entropy_with_logits(
            np.array([0, 3, 1], np.int32), l), [gen(r, (3, 4), dt)]))
        c.append(Case(f"sigce/{dt}", lambda tf, l, z: tf.nn.sigmoid_cross_entropy_with_logits(
            z, l), [gen(r, (3, 4), dt), (gen(r, (3, 4), dt) > 0).astype(dt)]))
        c.append(Case(f"moments/{dt}", lambda tf, x: tf.nn.moments(x, [0]), [gen(r, (4, 3), dt)]))
        c.append(Case(f"conv2d/{dt}", lambda tf, x, w: tf.nn.conv2d(x, w, 2, "SAME"),
                      [gen(r, (2, 5, 5, 3), dt), gen(r, (3, 3, 3, 2), dt)]))
        c.append(Case(f"conv2d_valid/{dt}", lambda tf, x, w: tf.nn.conv2d(x, w, 1, "VALID"),
                      [gen(r, (1, 4, 5, 2), dt), gen(r, (2, 3, 2, 2), dt)]))
        c.append(Case(f"max_pool/{dt}", lambda tf, x: tf.nn.max_pool2d(x, 2, 2, "VALID"),
                      [gen(r, (2, 4, 4, 3), dt)]))
        c.append(Case(f"max_pool_same/{dt}", lambda tf, x: tf.nn.max_pool2d(x, 3, 2, "SAME"),
                      [gen(r, (1, 5, 5, 2), dt)]))
        c.append(Case(f"avg_pool/{dt}", lambda tf, x: tf.nn.avg_pool2d(x, 2, 2, "SAME"),
                      [gen(r, (1, 5, 5, 2), dt)]))
    # control flow, batched/broadcast matmul, more APIs
    for dt in ["float32", "float64"]:
        r = _rng(f"extra{dt}")
        x, y = gen(r, (3, 4), dt), gen(r, (4,), dt)
        X = lambda n, f, *xs: c.append(Case(f"{n}/{dt}", f, list(xs)))  # noqa: E731
        X("cond_true", lambda tf, x: tf.cond(tf.reduce_sum(x) > -100.0, lambda: tf.sin(x) * x,
                                              lambda: x * 2.0), x)
        X("cond_false", lambda tf, x: tf.cond(tf.reduce_sum(x) > 100.0, lambda: tf.sin(x) * x,
                                               lambda: x * 2.0), x)
        X("while", lambda tf, x: tf.while_loop(lambda i, v: i < 3, lambda i, v: (
            i + 1, tf.tanh(v) * 1.5 + tf.reduce_mean(v, 0)), [tf.constant(0), x])[1], x)
        X("while_shrink", lambda tf, x: tf.while_loop(lambda v: tf.reduce_sum(tf.abs(v)) > 1.0,
                                                      lambda v: v * 0.5, [x])[0], x)
        X("map_fn", lambda tf, x: tf.map_fn(lambda r: tf.reduce_sum(r * r), x), x)
        X("scan", lambda tf, x: tf.scan(lambda a, r: a * 0.5 + r, x), x)
        X("foldl", lambda tf, x: tf.foldl(lambda a, r: a + tf.sin(r), x), x)
        X("matmul_bcast", lambda tf, a, b: tf.matmul(a, b), gen(r, (2, 1, 2, 3), dt),
          gen(r, (4, 3, 2), dt))
        X("matvec", lambda tf, a, v: tf.linalg.matvec(a, v), x, y)
        X("tensordot", lambda tf, a, b: tf.tensordot(a, b, 1), x, y)
        X("tensordot_ax", lambda tf, a, b: tf.tensordot(a, b, [[1], [0]]), x, gen(r, (4, 2), dt))
        X("outer_einsum", lambda tf, a, b: tf.einsum("ij,k->ijk", a, b), x, y)
        X("getitem_stride_grad", lambda tf, a: a[::2, 1::2] * a[1:, :2][:2], x)
        X("gather_grad_dup", lambda tf, a: tf.gather(a, [0, 0, 2, 1, 0]) * 2.0, x)
        X("stack_unstack", lambda tf, a: tf.stack(tf.unstack(a, axis=1)[::-1], axis=0), x)
        X("split_concat", lambda tf, a: tf.concat(tf.split(a, 2, axis=1)[::-1], 0), x)
        X("norm_fro", lambda tf, a: tf.norm(a, ord="fro", axis=[0, 1]), x)
        X("norm_1", lambda tf, a: tf.norm(a, ord=1, axis=1), x)
        X("cumsum_grad", lambda tf, a: tf.math.cumsum(a * a, axis=1, reverse=True), x)
        X("logsumexp_ax", lambda tf, a: tf.reduce_logsumexp(a, axis=0, keepdims=True), x)
        X("softmax_ax0", lambda tf, a: tf.nn.softmax(a, axis=0), x)
        X("bias_add", lambda tf, a, b: tf.nn.bias_add(a, b), x, y)
        X("linspace", lambda tf, a: tf.linspace(a[0, 0], a[1, 1], 5), x)
        X("range_like", lambda tf, a: a[0] * tf.cast(tf.range(4), a.dtype), x)
        X("clip_norm", lambda tf, a: tf.clip_by_norm(a, 1.0), x)
        X("relu_x_where", lambda tf, a: tf.where(a > 0, a * a, tf.zeros_like(a)), x)
        X("squared_norm", lambda tf, a: tf.reduce_sum(tf.square(a), axis=-1) ** 0.5, x)
        X("pow_frac", lambda tf, a: tf.pow(tf.abs(a) + 0.1, 1.7), x)
        X("sqrt_of_sum", lambda tf, a: tf.sqrt(tf.reduce_sum(a * a) + 1e-3), x)
        X("dropout_like", lambda tf, a: a * tf.cast(a > 0.0, a.dtype), x)
    for dt in ["int32", "int64"]:
        r = _rng(f"intdiv{dt}")
        a, b = gen(r, (3, 4), dt), gen(r, (3, 4), dt, "pos") * np.where(gen(r, (3, 4), "bool"), 1, -1).astype(dt)
        for nm in ("floordiv", "floormod", "truncatediv", "truncatemod"):
            c.append(Case(f"intdiv_{nm}/{dt}", lambda tf, a, b, nm=nm: getattr(tf.math, nm)(a, b),
                          [a, b]))
        c.append(Case(f"int_mean/{dt}", lambda tf, a: tf.reduce_mean(a, axis=1), [a]))
        c.append(Case(f"int_abs_min/{dt}", lambda tf, a: tf.abs(a * 0 + np.iinfo(dt).min), [a]))
        c.append(Case(f"int_pow/{dt}", lambda tf, a: tf.pow(a, 3), [a]))
        c.append(Case(f"int_div_scalar/{dt}", lambda tf, a: a / 4, [a]))
    return c


# ----------------------------------------------------------------------------- random programs

def program_case(seed):
    """A random program of 3-12 ops over two float inputs; returns a Case."""
    r = np.random.default_rng(seed)
    dt = ["float32", "float64"][seed % 2]
    ops = []
    n_ops = int(r.integers(3, 13))
    for _ in range(n_ops):
        ops.append((int(r.integers(0, 14)), int(r.integers(0, 1 << 30))))
    shapes = [(3, 4), (4,), (1, 4), (3, 1), (2, 3, 4)]
    sa, sb = shapes[int(r.integers(0, 5))], shapes[int(r.integers(0, 5))]
    kind = "special" if seed % 7 == 3 else "normal"
    xa, xb = gen(r, sa, dt, kind), gen(r, sb, dt)

    def prog(tf, a, b):
        vals = [a, b]
        for code, s in ops:
            rr = np.random.default_rng(s)
            pick = lambda: vals[int(rr.integers(0, len(vals)))]  # noqa: E731
            x, y = pick(), pick()
            rank = len(x.shape)
            try:
                if code == 0:
                    v = [tf.add, tf.multiply, tf.subtract, tf.maximum][int(rr.integers(0, 4))](x, y)
                elif code == 1:
                    v = [tf.tanh, tf.sin, tf.exp, tf.abs, tf.square, tf.nn.relu, tf.sigmoid][
                        int(rr.integers(0, 7))](x)
                elif code == 2:
                    ax = int(rr.integers(-rank, rank)) if rank else None
                    v = [tf.reduce_sum, tf.reduce_max, tf.reduce_mean][int(rr.integers(0, 3))](
                        x, axis=ax, keepdims=bool(rr.integers(0, 2)))
                elif code == 3:
                    v = tf.transpose(x) if rank >= 2 else tf.reshape(x, (-1, 1))
                elif code == 4:
                    v = tf.reshape(x, (-1,))
                elif code == 5 and rank >= 1:
                    v = tf.matmul(tf.reshape(x, (-1, x.shape[-1])),
                                  tf.transpose(tf.reshape(x, (-1, x.shape[-1]))))
                elif code == 6 and rank >= 1:
                    v = x[::-1] if rr.integers(0, 2) else x[..., :1]
                elif code == 7:
                    v = tf.where(x > 0.1, x, y * 0.5)
                elif code == 8 and rank >= 1:
                    v = tf.concat([x, x * 2.0], axis=int(rr.integers(-rank, rank)))
                elif code == 9:
                    v = x * 3.0 + 1.0
                elif code == 10:
                    v = x - tf.reduce_mean(x, axis=-1, keepdims=True) if rank else x / 2.0
                elif code == 11:
                    v = tf.reduce_sum(x, axis=0) + tf.reduce_max(x, axis=-1)[..., None] \
                        if rank == 2 else tf.reduce_sum(x * x)
                elif code == 12 and rank >= 2:
                    v = tf.nn.softmax(x, axis=int(rr.integers(-rank, rank)))
                elif code == 13:
                    v = tf.math.log(tf.abs(x) + 1.0) / (1.0 + tf.reduce_sum(tf.abs(y)))
                else:
                    v = -x
            except Exception:  # incompatible broadcast: skip the op (deterministically)
                v = x
            if len(v.shape) > 4:
                v = tf.reshape(v, (-1,))
            vals.append(v)
        return vals[-1] + tf.reduce_sum(vals[-2]) * 0.5 if len(vals) > 3 else vals[-1]

    return Case(f"program/{seed}/{dt}", prog, [xa, xb])


def fusion_case(seed):
    """A random chain of reductions (any axis, keepdims or not), broadcasts back and elementwise
    ops over shapes with size-1 dims: what the numba backend fuses into one kernel."""
    r = np.random.default_rng(10_000 + seed)
    dt = ["float32", "float64"][seed % 2]
    shapes = [(3, 1), (1, 4), (2, 3, 4), (3, 4), (1, 1), (4, 1, 2), (2, 1, 3, 1)]
    shp = shapes[int(r.integers(0, len(shapes)))]
    steps = [(int(r.integers(0, 8)), int(r.integers(0, 1 << 30))) for _ in range(int(r.integers(2, 8)))]
    x0 = gen(r, shp, dt, "special" if seed % 5 == 4 else "normal")

    def prog(tf, x):
        v = x
        for code, s in steps:
            rr = np.random.default_rng(s)
            nd = len(v.shape)
            ax = int(rr.integers(-nd, nd)) if nd else None
            red = [tf.reduce_sum, tf.reduce_max, tf.reduce_min, tf.reduce_mean][int(rr.integers(0, 4))]
            if code == 0:
                v = red(v, axis=ax, keepdims=bool(rr.integers(0, 2)))
            elif code == 1:
                v = v - red(v, axis=ax, keepdims=True)
            elif code == 2:
                e = tf.exp(v - tf.reduce_max(v, axis=ax, keepdims=True))
                v = e / tf.reduce_sum(e, axis=ax, keepdims=True)
            elif code == 3:
                v = [tf.tanh, tf.sigmoid, tf.square, tf.abs, tf.nn.relu][int(rr.integers(0, 5))](v)
            elif code == 4:
                v = tf.reshape(v, (-1,)) if rr.integers(0, 2) else tf.expand_dims(v, int(rr.integers(0, nd + 1)))
            elif code == 5 and nd >= 2:
                v = tf.transpose(v)
            elif code == 6:
                v = v * red(v, axis=ax, keepdims=True) + red(v * v, axis=ax, keepdims=True)
            else:
                v = red(red(v, axis=ax, keepdims=True), axis=ax, keepdims=bool(rr.integers(0, 2)))
        return v

    return Case(f"fusion/{seed}/{dt}/{shp}", prog, [x0])


# ----------------------------------------------------------------------------- running

def _cotangent(shape, dtype):
    n = int(np.prod(shape))
    return (np.cos(np.arange(n) * 0.7 + 0.3) + 0.5).reshape(shape).astype(dtype)


def _flat(out):
    if isinstance(out, (list, tuple)):
        return list(out)
    return [out]


def run_case(tf, case, mode):
    """-> dict(out=[arrays], grads=[arrays|None], hvp=[...]) or dict(error=...)."""
    res = {}
    xs = [tf.constant(x) for x in case.inputs]

    def forward(*xs):
        return _flat(case.fn(tf, *xs))

    wrap = (lambda f: f) if mode == "eager" else (
        (lambda f: tf.function(f, jit_compile=False)) if mode == "numpy" else tf.function)
    try:
        outs = wrap(forward)(*xs)
        res["out"] = [np.asarray(o.numpy() if hasattr(o, "numpy") else o) for o in outs]
    except Exception as e:
        return {"error": f"{type(e).__name__}: {str(e)[:300]}"}
    if not case.grad:
        return res
    fl = [i for i, x in enumerate(case.inputs) if np.asarray(x).dtype.kind == "f"]
    diff_outs = [i for i, o in enumerate(res["out"]) if o.dtype.kind == "f"]
    if not fl or not diff_outs:
        return res
    ws = [tf.constant(_cotangent(res["out"][i].shape, res["out"][i].dtype)) for i in diff_outs]
    vs = [tf.constant(_cotangent(np.shape(case.inputs[i]), np.asarray(case.inputs[i]).dtype)[
        ::-1] if np.ndim(case.inputs[i]) else _cotangent((), case.inputs[i].dtype)) for i in fl]
    want_hvp = all(np.asarray(case.inputs[i]).dtype == np.float64 for i in fl)

    def grads(*args):
        xs_, ws_ = list(args[:len(xs)]), args[len(xs):len(xs) + len(ws)]
        vs_ = args[len(xs) + len(ws):]
        with tf.GradientTape(persistent=True) as t2:
            for i in fl:
                t2.watch(xs_[i])
            with tf.GradientTape() as t1:
                for i in fl:
                    t1.watch(xs_[i])
                outs = forward(*xs_)
                loss = tf.add_n([tf.reduce_sum(tf.cast(outs[i], w.dtype) * w)
                                 for i, w in zip(diff_outs, ws_)]) if len(ws_) > 1 else \
                    tf.reduce_sum(outs[diff_outs[0]] * ws_[0])
            g = t1.gradient(loss, [xs_[i] for i in fl])
            if want_hvp:
                terms = [tf.reduce_sum(gi * v) for gi, v in zip(g, vs_) if gi is not None]
                s = tf.add_n(terms) if terms else None
        h = (t2.gradient(s, [xs_[i] for i in fl]) if want_hvp and s is not None else [])
        g = [tf.zeros_like(xs_[i]) if gi is None else gi for i, gi in zip(fl, g)]
        h = [tf.zeros_like(xs_[i]) if hi is None else hi for i, hi in zip(fl, h)]
        return g, h

    try:
        g, h = wrap(grads)(*xs, *ws, *vs)
        res["grads"] = [np.asarray(x.numpy()) for x in g]
        res["hvp"] = [np.asarray(x.numpy()) for x in h]
    except Exception as e:
        res["grad_error"] = f"{type(e).__name__}: {str(e)[:300]}"
    return res


def all_cases(n_programs):
    return (op_cases() + [program_case(s) for s in range(n_programs)]
            + [fusion_case(s) for s in range(n_programs)])


TOL = {"float16": (1e-2, 1e-2), "float32": (2e-5, 1e-5), "float64": (1e-11, 1e-12)}


def compare(a, b, what, loose=1.0):
    """'' if equal (value, dtype, shape, NaN, inf, signed zero), else a description."""
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype != b.dtype:
        return f"{what}: dtype {a.dtype} (want {b.dtype})"
    if a.shape != b.shape:
        return f"{what}: shape {a.shape} (want {b.shape})"
    if a.dtype.kind == "f":
        rtol, atol = TOL.get(str(a.dtype), (1e-5, 1e-6))
        rtol, atol = rtol * loose, atol * loose
        an, bn = np.isnan(a), np.isnan(b)
        if (an != bn).any():
            i = np.argwhere(an != bn)[0]
            return f"{what}: NaN mismatch at {tuple(i)}: {a[tuple(i)]} (want {b[tuple(i)]})"
        ai, bi = np.isinf(a), np.isinf(b)
        if (ai != bi).any() or (a[ai] != b[ai]).any():
            i = np.argwhere((ai != bi) | (ai & (a != b)))[0]
            return f"{what}: inf mismatch at {tuple(i)}: {a[tuple(i)]} (want {b[tuple(i)]})"
        fin = ~(an | ai)
        with np.errstate(all="ignore"):
            af, bf = a[fin].astype(np.float64), b[fin].astype(np.float64)
            bad = np.abs(af - bf) > atol + rtol * np.abs(bf)
        if bad.any():
            j = np.argmax(np.abs(af - bf) - rtol * np.abs(bf))
            return f"{what}: value {af[j]!r} (want {bf[j]!r}), {bad.sum()}/{bad.size} differ"
        z = (a == 0) & (b == 0)
        if (np.signbit(a[z]) != np.signbit(b[z])).any():
            return f"{what}: signed zero mismatch"
        return ""
    if not np.array_equal(a, b):
        i = np.argwhere(a != b)[0] if a.shape else ()
        return f"{what}: value {a[tuple(i)]!r} (want {b[tuple(i)]!r})"
    return ""


def diff(got, want, loose=1.0):
    if "error" in want:
        return "" if "error" in got else f"TF raises ({want['error'][:120]}) but graphflow gives a value"
    if "error" in got:
        return f"graphflow raises {got['error'][:300]}"
    msgs = []
    if len(got["out"]) != len(want["out"]):
        return f"{len(got['out'])} outputs (want {len(want['out'])})"
    for k, (a, b) in enumerate(zip(got["out"], want["out"])):
        m = compare(a, b, f"out{k}", loose)
        if m:
            msgs.append(m)
    if msgs:
        return "; ".join(msgs)
    if "grad_error" in want and "grad_error" not in got:
        return ""  # graphflow differentiates where TF does not: not a wrong value
    if "grad_error" in got and "grad_error" not in want and "grads" in want:
        return f"gradient raises {got['grad_error'][:300]}"
    for key in ("grads", "hvp"):
        for k, (a, b) in enumerate(zip(got.get(key, []), want.get(key, []))):
            m = compare(a, b, f"{key}{k}", loose * (10 if key == "grads" else 1e3))
            if m:
                msgs.append(m)
    return "; ".join(msgs)


def main(argv):
    mode = argv[0]
    n_prog = int(argv[argv.index("--programs") + 1]) if "--programs" in argv else 150
    only = argv[argv.index("--only") + 1] if "--only" in argv else ""
    if mode == "ref":
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        import tensorflow as tf
        tf.config.run_functions_eagerly(False)
        out = {}
        for c in all_cases(n_prog):
            if only in c.name:
                out[c.name] = run_case(tf, c, "eager")
        with open(REF, "wb") as f:
            pickle.dump(out, f)
        print(len(out), "reference results ->", REF)
        return
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    import warnings
    warnings.filterwarnings("ignore")
    import graphflow as tf
    with open(REF, "rb") as f:
        ref = pickle.load(f)
    modes = (argv[argv.index("--modes") + 1] if "--modes" in argv else "eager,numpy,numba").split(",")
    if mode == "show":   # show NAME: inputs, TF's result and graphflow's (eager)
        c = {c.name: c for c in all_cases(n_prog)}[argv[1]]
        np.set_printoptions(precision=17)
        print("inputs:", *c.inputs, sep="\n")
        print("TF:", ref[c.name])
        print("graphflow:", run_case(tf, c, modes[0]))
        return
    counts, bad = {m: 0 for m in modes}, []
    every = int(argv[argv.index("--sample") + 1]) if "--sample" in argv else 1
    offset = int(argv[argv.index("--offset") + 1]) if "--offset" in argv else 0
    for k, c in enumerate(all_cases(n_prog)):
        if only not in c.name or c.name not in ref:
            continue
        if every > 1 and k % every != offset and not c.name.startswith(("program/", "fusion/")):
            continue
        for m in modes:
            counts[m] += 1
            try:
                got = run_case(tf, c, m)
            except Exception:
                got = {"error": "harness: " + traceback.format_exc()[-300:]}
            msg = diff(got, ref[c.name])
            if msg:
                bad.append((c.name, m, msg))
                print(f"[{m}] {c.name}: {msg}", flush=True)
    print("cases per mode:", counts, " discrepancies:", len(bad))


if __name__ == "__main__":
    main(sys.argv[1:])
