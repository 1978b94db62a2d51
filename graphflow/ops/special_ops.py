"""Special functions (TF's `tf.math.lgamma/digamma/polygamma/erfc/erfinv`): op table entries with
numpy implementations (float64 inside, then the input's dtype) and VJPs in graphflow ops, so
they differentiate again (lgamma' = digamma, digamma' = polygamma(1, .), polygamma(n, .)' =
polygamma(n + 1, .)). Elementwise in meaning; kind OTHER because the numba backend has no scalar
code for them (they run as one numpy call each, not fused).

>>> import graphflow as tf
>>> print(round(float(tf.math.lgamma(tf.constant(5.0))), 5))   # log(4!)
3.17805
"""
import math

import numpy as np

from ..dispatch import bind
from ..tensor import constant, convert_args, to_tensor  # noqa: F401  (constant: doctests)
from . import math_ops as _m
from .registry import OTHER, POINTWISE, defop, elementwise_rule

_NO = {}
_SQRT_PI = math.sqrt(math.pi)


def _f64(x):
    return np.asarray(x, np.float64)


def _out(y, x):
    y = np.asarray(y).astype(np.asarray(x).dtype)
    return y[()] if y.ndim == 0 else y


# Lanczos approximation (g = 7, 9 terms): |relative error| of Gamma below 1e-15 for x >= 0.5
_LANCZOS_G = 7.0
_LANCZOS = np.array([0.99999999999980993, 676.5203681218851, -1259.1392167224028,
                     771.32342877765313, -176.61502916214059, 12.507343278686905,
                     -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7])


def _lgamma64(x):
    """log|Gamma(x)| vectorized: Lanczos for x >= 0.5, reflection below; +inf at the poles
    0, -1, ... (as TF)."""
    x = _f64(x)
    bad = (x <= 0) & (x == np.floor(x))
    refl = x < 0.5
    z = np.where(bad, 1.0, np.where(refl, 1.0 - x, x)) - 1.0
    acc = np.full_like(z, _LANCZOS[0])
    for i in range(1, len(_LANCZOS)):
        acc = acc + _LANCZOS[i] / (z + i)
    t = z + _LANCZOS_G + 0.5
    with np.errstate(divide="ignore", invalid="ignore"):   # inf - inf at x = inf: set below
        res = 0.5 * math.log(2 * math.pi) + (z + 0.5) * np.log(t) - t + np.log(acc)
        xb = np.where(bad, 0.5, x)
        s = np.abs(np.sin(math.pi * (xb - np.round(xb))))   # exact reduction: sin has period pi
        res = np.where(refl, math.log(math.pi) - np.log(s) - res, res)
    res = np.where((x == 1.0) | (x == 2.0), 0.0, res)   # exact zeros (Gamma = 1), as TF
    return np.where(bad | (x == np.inf), np.inf, res)


def _lgamma(x):
    return _out(_lgamma64(x), x)


# Bernoulli numbers B2..B16 for the asymptotic series of digamma and the Hurwitz zeta
_B2K = np.array([1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510])
_SHIFT = 12.0   # the recurrences move arguments above this before the asymptotic series


def _digamma64(x):
    x = _f64(x)
    bad = (x <= 0) & (x == np.floor(x))    # poles: NaN (as TF)
    refl = x < 0.5                           # psi(x) = psi(1 - x) - pi / tan(pi x)
    y = np.where(refl, 1.0 - x, x)
    y = np.where(bad, 1.0, y)
    acc = np.zeros_like(y)
    while True:                              # psi(y) = psi(y + 1) - 1/y
        m = y < _SHIFT
        if not m.any():
            break
        acc = acc - np.where(m, 1.0 / y, 0.0)
        y = np.where(m, y + 1.0, y)
    inv2 = 1.0 / (y * y)
    series = np.zeros_like(y)
    for k in range(len(_B2K) - 1, -1, -1):   # sum_k B_2k / (2k y^2k)
        series = (series + _B2K[k] / (2 * (k + 1))) * inv2
    res = acc + np.log(y) - 0.5 / y - series
    with np.errstate(divide="ignore", invalid="ignore"):
        xb = np.where(bad, 0.5, x)
        res = np.where(refl, res - math.pi / np.tan(math.pi * (xb - np.round(xb))), res)
    return np.where(bad, np.nan, res)


def _hurwitz_zeta64(s, q):
    """zeta(s, q) = sum_k (q + k)^-s for integer s >= 2 and real q (poles at q = 0, -1, ...:
    +inf)."""
    s, q = np.broadcast_arrays(_f64(s), _f64(q))
    bad = (q <= 0) & (q == np.floor(q))
    y = np.where(bad, 1.0, q)
    acc = np.zeros_like(y)
    shift = np.maximum(_SHIFT, np.where(np.isfinite(s), s, 0.0) + 12.0)   # the series converges
    while True:                                                        # for y well above s
        m = y < shift
        if not m.any():
            break
        acc = acc + np.where(m, y ** -s, 0.0)
        y = np.where(m, y + 1.0, y)
    # Euler-Maclaurin tail: y^(1-s)/(s-1) + y^-s/2 + sum_k B_2k/(2k)! s(s+1)..(s+2k-2) y^(-s-2k+1)
    tail = y ** (1.0 - s) / (s - 1.0) + 0.5 * y ** -s
    term = s * y ** (-s - 1.0)               # s y^(-s-1): k = 1 factor before B2/2!
    fact = 2.0
    for k in range(1, len(_B2K) + 1):
        tail = tail + _B2K[k - 1] / fact * term
        term = term * (s + 2 * k - 1) * (s + 2 * k) / (y * y)
        fact = fact * (2 * k + 1) * (2 * k + 2)
    return np.where(bad, np.inf, acc + tail)


def _digamma(x):
    return _out(_digamma64(x), x)


def _polygamma(a, x):
    a64, x64 = np.broadcast_arrays(_f64(a), _f64(x))
    n = np.round(a64)
    if np.any(n != a64) or np.any(a64 < 0):
        raise ValueError("polygamma: the order `a` must hold non-negative integers")
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        fact = np.vectorize(lambda k: float(math.factorial(int(k))), otypes=[np.float64])(n) \
            if n.size else n
        sign = np.where(n % 2 == 1, 1.0, -1.0)        # (-1)^(n+1)
        res = sign * fact * _hurwitz_zeta64(n + 1.0, x64)
        if np.any(n == 0):
            res = np.where(n == 0, _digamma64(x64), res)
    return _out(res, x)


def _erfc(x):
    return _out(np.asarray(np.frompyfunc(math.erfc, 1, 1)(_f64(x)), np.float64), x)


def _erfinv(x):
    x64 = _f64(x)
    a = np.abs(x64)
    with np.errstate(divide="ignore", invalid="ignore"):
        # Giles' single-precision approximation, then Newton steps
        w = -np.log((1.0 - a) * (1.0 + a))
        w1 = w - 2.5
        p1 = 2.81022636e-08
        for c in (3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,
                  -0.00125372503, -0.00417768164, 0.246640727, 1.50140941):
            p1 = c + p1 * w1
        w2 = np.sqrt(w) - 3.0
        p2 = -0.000200214257
        for c in (0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
                  -0.0076224613, 0.00943887047, 1.00167406, 2.83297682):
            p2 = c + p2 * w2
        y = np.where(w < 5.0, p1, p2) * a
        erf, erfc = np.frompyfunc(math.erf, 1, 1), np.frompyfunc(math.erfc, 1, 1)
        ok = a < 1.0
        small = a < 0.5   # residual erf(y) - a, from erf near 0 and from erfc in the tail
        for _ in range(3):
            ys = np.where(ok, y, 0.0)
            r = np.empty_like(ys)
            r[small] = np.asarray(erf(ys[small]), np.float64) - a[small]
            r[~small] = (1.0 - a[~small]) - np.asarray(erfc(ys[~small]), np.float64)
            y = np.where(ok, ys - r / (2.0 / _SQRT_PI * np.exp(-ys * ys)), y)
        y = np.where(a == 1.0, np.inf, np.where(a > 1.0, np.nan, y))
    return _out(np.copysign(y, x64), x)


def _unary(name, impl, vjp):
    return defop(name, impl, elementwise_rule(name, "f"), vjp, jvp=POINTWISE, kind=OTHER,
                 arity=1, elementwise=True)


LGAMMA = _unary("lgamma", _lgamma, lambda i, o, g: [g * digamma(i[0])])
DIGAMMA = _unary("digamma", _digamma,
                 lambda i, o, g: [g * polygamma(_m.ones_like(i[0]), i[0])])
POLYGAMMA = defop("polygamma", _polygamma, elementwise_rule("polygamma", "f"),
                  lambda i, o, g: [None, g * polygamma(i[0] + 1.0, i[1])], jvp=POINTWISE,
                  kind=OTHER, arity=2, elementwise=True)
ERFC = _unary("erfc", _erfc,
              lambda i, o, g: [-(g * _m.exp(-(i[0] * i[0])) * (2.0 / _SQRT_PI))])
ERFINV = _unary("erfinv", _erfinv, lambda i, o, g: [g * _m.exp(o * o) * (_SQRT_PI / 2.0)])


def lgamma(x, name=None):
    """log |Gamma(x)| elementwise (+inf at the poles 0, -1, ...); gradient digamma(x).

    >>> lgamma(constant([1., 0.5])).numpy().round(5)
    array([0.     , 0.57236], dtype=float32)
    """
    return bind(LGAMMA, [to_tensor(x)], _NO)


def digamma(x, name=None):
    """The digamma function psi(x) = d/dx log Gamma(x) elementwise (NaN at 0, -1, ...).

    >>> print(round(float(digamma(constant(1.0))), 6))   # -Euler's gamma
    -0.577216
    """
    return bind(DIGAMMA, [to_tensor(x)], _NO)


def polygamma(a, x, name=None):
    """The n-th derivative of digamma, psi^(a)(x), for integer orders a >= 0 (given in x's
    float dtype, as TF); differentiable in x only.

    >>> print(round(float(polygamma(1.0, 1.0)), 6))   # pi^2 / 6
    1.644934
    """
    a, x = convert_args(a, x, op="polygamma")
    return bind(POLYGAMMA, [a, x], _NO)


def erfc(x, name=None):
    """1 - erf(x) elementwise, accurate where erf(x) is close to 1.

    >>> print(float(erfc(constant(0.0))))
    1.0
    """
    return bind(ERFC, [to_tensor(x)], _NO)


def erfinv(x, name=None):
    """Inverse of erf on (-1, 1) elementwise (+-inf at +-1, NaN outside).

    >>> print(round(float(erfinv(constant(0.5))), 6))
    0.476936
    """
    return bind(ERFINV, [to_tensor(x)], _NO)


def _zeta(x, q):
    s64, q64 = np.broadcast_arrays(_f64(x), _f64(q))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        res = _hurwitz_zeta64(s64, q64)
        res = np.where(s64 == 1.0, np.inf, np.where(s64 < 1.0, np.nan, res))
        # a non-positive q: defined for integer s only (poles at q = 0, -1, ...: +inf)
        res = np.where((q64 <= 0) & (s64 != np.floor(s64)), np.nan, res)
    return _out(res, q)


ZETA = defop("zeta", _zeta, elementwise_rule("zeta", "f"),
             lambda i, o, g: [None, -(g * i[0] * zeta(i[0] + 1.0, i[1]))], jvp=POINTWISE,
             kind=OTHER, arity=2, elementwise=True)


def zeta(x, q, name=None):
    """Hurwitz zeta function sum_k (q + k)^-x (x > 1); differentiable in q (d/dq = -x zeta(x+1,
    q)), as TF.

    >>> print(round(float(zeta(2.0, 1.0)), 6))   # pi^2 / 6
    1.644934
    """
    x, q = convert_args(x, q, op="zeta")
    return bind(ZETA, [x, q], _NO)
