"""Accuracy, special values and SIMD code of vmath's float64 exp, tanh, log and log1p
(`exp_f64`, ...), which the numba backend's float64 kernels use instead of scalar libm calls.

The functions run the way the generated kernels use them: inlined into one @njit loop compiled
with the kernels' flags (`rt.KERNEL_FLAGS`) and 512-bit vectors allowed. The reference is the
correctly rounded value, from numpy's long double (x87 80-bit: 11 more mantissa bits) where the
platform has one, else numpy's float64 result with one more ulp allowed.
"""
import platform
import re

import numba
import numpy as np
import pytest

import graphflow as tf
from graphflow.backends.numba import vmath as vm
from graphflow.backends.numba.rt import KERNEL_FLAGS, wide_vectors

#: documented bounds in ulp of the correctly rounded result (vmath's docstrings)
MAX_ULP = {"exp": 1, "tanh": 2, "log": 1, "log1p": 1}
_EXTENDED = np.finfo(np.longdouble).nmant >= 63
_TINY = np.finfo(np.float64).smallest_subnormal


@numba.njit(error_model="numpy", fastmath=KERNEL_FLAGS)
def _all(x, e, t, lg, l1):
    wide_vectors()
    for i in range(x.shape[0]):
        e[i] = vm.exp_f64(x[i])
        t[i] = vm.tanh_f64(x[i])
        lg[i] = vm.log_f64(x[i])
        l1[i] = vm.log1p_f64(x[i])


def run(x):
    """(exp, tanh, log, log1p) of x by vmath, elementwise, from one compiled loop."""
    x = np.ascontiguousarray(x, np.float64)
    outs = [np.empty_like(x) for _ in range(4)]
    _all(x, *outs)
    return outs


def ulp_distance(a, b):
    """|a - b| in float64 ulps (-0 and +0 are 0 apart); both NaN -> 0, NaN vs number -> inf."""
    def line(v):
        u = v.view(np.int64)
        return np.where(u < 0, np.int64(-2**63) - u, u)
    la, lb = line(a), line(b)
    with np.errstate(over="ignore"):        # (the unsigned difference wraps back into range)
        d = np.where(la >= lb, la - lb, lb - la).view(np.uint64).astype(np.float64)
    na, nb = np.isnan(a), np.isnan(b)
    d[na & nb] = 0
    d[na ^ nb] = np.inf
    return d


def reference(name, x):
    f = getattr(np, name)
    with np.errstate(all="ignore"):
        if _EXTENDED:
            return f(x.astype(np.longdouble)).astype(np.float64), 0
        return f(x), 1


def inputs():
    rng = np.random.default_rng(0)
    bits = rng.integers(0, 2**64, 300_000, dtype=np.uint64).view(np.float64)  # every binade
    return np.concatenate([bits, rng.uniform(-750, 712, 300_000), rng.uniform(-20, 20, 300_000),
                           rng.uniform(-1, 1, 200_000), rng.standard_normal(100_000) * 1e-3,
                           rng.uniform(0.5, 2, 100_000), np.abs(bits[:100_000])])


def test_ulp_distance():
    a = np.array([1.0, -0.0, np.nan, np.nan, 1.0])
    b = np.array([np.nextafter(1.0, 2.0), 0.0, np.nan, 1.0, 1.0])
    assert ulp_distance(a, b).tolist() == [1, 0, 0, np.inf, 0]
    assert ulp_distance(np.array([_TINY]), np.array([-_TINY])).tolist() == [2]


def test_accuracy_wide_range():
    x = inputs()
    got = dict(zip(("exp", "tanh", "log", "log1p"), run(x)))
    for name, bound in MAX_ULP.items():
        want, extra = reference(name, x)
        d = ulp_distance(got[name], want)
        worst = int(np.argmax(d))
        assert d[worst] <= bound + extra, (
            f"{name}_f64: {d[worst]} ulp at x={x[worst]!r}: got {got[name][worst]!r}, "
            f"want {want[worst]!r}")
        np.testing.assert_array_equal(np.isnan(got[name]), np.isnan(want))
        inf = np.isinf(want) | np.isinf(got[name])
        np.testing.assert_array_equal(got[name][inf], want[inf])
    # tanh: 2 ulp is rare (one rounding more than libm's in e / (e + 2))
    d = ulp_distance(got["tanh"], reference("tanh", x)[0])
    assert np.mean(d > 1) < 1e-3


INF, NAN = np.inf, np.nan
SPECIAL = [  # (x, exp(x), tanh(x)), bit-exact (signed zeros included)
    (0.0, 1.0, 0.0), (-0.0, 1.0, -0.0), (INF, INF, 1.0), (-INF, 0.0, -1.0),
    (_TINY, 1.0, _TINY), (-_TINY, 1.0, -_TINY), (1e-310, 1.0, 1e-310), (1e-300, 1.0, 1e-300),
    (709.782712893384, 1.7976931348622732e308, 1.0),                # the largest finite exp
    (np.nextafter(709.782712893384, INF), INF, 1.0),                # overflow
    (-745.1332191019411, _TINY, -1.0),                              # the smallest subnormal
    (-745.1332191019412, 0.0, -1.0), (-746.0, 0.0, -1.0), (-1e300, 0.0, -1.0),
    (-708.5, np.exp(-708.5), -1.0),                                 # a subnormal result
    (19.1, np.exp(19.1), 1.0), (-19.1, np.exp(-19.1), -1.0),        # tanh rounds to +-1
]
SPECIAL_LOG = [  # (x, log(x), log1p(x)); NaN compared as NaN
    (0.0, -INF, 0.0), (-0.0, -INF, -0.0), (1.0, 0.0, np.log1p(1.0)), (-1.0, NAN, -INF),
    (-2.0, NAN, NAN), (INF, INF, INF), (-INF, NAN, NAN), (_TINY, np.log(_TINY), _TINY),
    (-_TINY, NAN, -_TINY), (1e-310, np.log(1e-310), 1e-310), (1e300, np.log(1e300),
                                                                np.log1p(1e300)),
    (2.0 ** 53, np.log(2.0 ** 53), np.log1p(2.0 ** 53)), (1e-17, np.log(1e-17), 1e-17),
]


def test_special_values():
    x, want_e, want_t = (np.array(c) for c in zip(*SPECIAL))
    e, t, _, _ = run(x)
    np.testing.assert_array_equal(e.view(np.int64), want_e.view(np.int64))
    np.testing.assert_array_equal(t.view(np.int64), want_t.view(np.int64))
    assert all(np.isnan(v).all() for v in run(np.array([NAN, -NAN])))
    x, want_l, want_l1 = (np.array(c) for c in zip(*SPECIAL_LOG))
    _, _, lg, l1 = run(x)
    for got, want in ((lg, want_l), (l1, want_l1)):
        np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
        ok = ~np.isnan(want)
        np.testing.assert_array_equal(got[ok].view(np.int64), want[ok].view(np.int64))


@pytest.mark.skipif(platform.machine().lower() not in ("x86_64", "amd64"), reason="x86 asm")
def test_loop_is_simd_vectorized():
    if not _all.signatures:
        run(np.ones(4))
    asm = _all.inspect_asm(_all.signatures[0])
    assert not re.search(r"call\w*\s+[^\n]*\b(exp|tanh|log|log1p)\b", asm), "libm call in loop"
    assert re.search(r"\bv(fmadd\w*|mul|add)pd\s+[^\n]*%[yz]mm", asm), "no packed float64 math"


def test_float64_graph_compiled_matches_numpy(sync_compile):
    """A float64 chain through the numba backend (vmath's exp/tanh/log/log1p, rt's sigmoid and
    softplus on them) against the numpy executor, with signed zeros, infinities, NaN and
    overflow in the data."""
    def fn(x):
        return (tf.tanh(x) * tf.exp(-x * x) + tf.sigmoid(x), tf.exp(x), tf.tanh(x),
                tf.math.log(x), tf.math.log1p(x), tf.nn.softplus(x))

    x = np.random.default_rng(3).uniform(-30, 30, 4099)
    x[:12] = [0.0, -0.0, INF, -INF, NAN, 710.0, -746.0, 1e-310, -1e-310, 19.1, -19.1, 0.25]
    f = tf.function(fn)
    got = [np.asarray(v) for v in f(tf.constant(x))]
    plan = f.get_concrete_function(tf.constant(x))._executor
    src = "\n".join(k.source for k in plan.kernels)     # vmath's functions, no libm calls
    assert all(f"{n}_f64(" in src for n in ("exp", "tanh", "log", "log1p")), src
    assert not re.search(r"np\.(exp|tanh|log|log1p)\(", src), src
    want = [np.asarray(v) for v in tf.function(fn, jit_compile=False)(tf.constant(x))]
    for g, w in zip(got, want):
        np.testing.assert_array_equal(np.isnan(g), np.isnan(w))
    # the chain: FMA contraction and cancellation in the sum (test_numba_backend's tolerance)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-12, atol=1e-13)
    # exp and tanh alone: within their bounds of numpy's (libm's, <= 1 ulp) results
    assert ulp_distance(got[1], want[1]).max() <= MAX_ULP["exp"] + 1
    assert ulp_distance(got[2], want[2]).max() <= MAX_ULP["tanh"] + 1
    assert ulp_distance(got[3], want[3]).max() <= MAX_ULP["log"] + 1
    assert ulp_distance(got[4], want[4]).max() <= MAX_ULP["log1p"] + 1
    np.testing.assert_allclose(got[5], want[5], rtol=1e-15, atol=0)
    # signed zeros as numpy: tanh(-0.) is -0.
    assert np.signbit(got[2][1]) and not np.signbit(got[2][0])
