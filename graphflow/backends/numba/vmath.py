"""Vectorizable float32 transcendental functions for numba-fused elementwise loops.

numba lowers ``np.exp``/``np.log``/``np.tanh`` to scalar libm calls, which LLVM cannot
SIMD-vectorize (llvmlite from PyPI has no SVML).  The functions here use only float32
arithmetic, integer bit tricks and selects, and are ``inline='always'`` so that a fused
kernel calling ``vm.exp_f32(x[i])`` in a loop becomes one straight-line, vectorizable loop body.

Rules followed throughout (see shared/PERFORMANCE.md):
  * every constant is ``np.float32`` / ``np.int32`` (a bare Python float promotes to float64);
  * no branches on data: ``a if c else b`` on values already computed lowers to ``select``;
  * ``error_model='numpy'`` and fastmath *without* ``nnan``/``ninf`` (``FASTMATH_FLAGS``),
    so NaN/Inf semantics survive;
  * robust to ``reassoc``: inlining is done at numba-IR level, so the *caller's* fastmath
    flags apply.  Power-of-two scaling is done with integer ops on the exponent bits and no
    accuracy relies on error-compensation tricks such as ``(1 + x) - 1`` that reassociation
    would fold away.

Measured max error vs. float64 numpy rounded to float32, over every 4099th float32 bit pattern
(~1M values, both signs, all binades) plus 1M uniform values in [-20, 20] and special values,
evaluated inside a fastmath=FASTMATH_FLAGS loop (tests/test_vmath.py asserts these bounds):

    function   max ulp   bound asserted
    exp_f32       1          2
    expm1_f32     1          2
    log_f32       1          2
    log1p_f32     2          2
    sigmoid_f32   2          3
    softplus_f32  2          3
    tanh_f32      2          3
    erf_f32       2          3

Denormals: results that are subnormal are produced (gradual underflow) and subnormal inputs are
handled (log scales them up first), assuming the CPU runs without FTZ/DAZ, numba's default.
"""
import numpy as np
import numba
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

__all__ = ['FASTMATH_FLAGS', 'FLOAT32_FUNCS', 'bitcast_f32_to_i32', 'bitcast_i32_to_f32',
           'exp_f32', 'expm1_f32', 'log_f32', 'log1p_f32', 'tanh_f32', 'sigmoid_f32',
           'softplus_f32', 'erf_f32']

# fastmath without nnan/ninf: keeps NaN/Inf semantics, still allows FMA contraction etc.
FLAGS = {'nsz', 'arcp', 'contract', 'afn', 'reassoc'}
FASTMATH_FLAGS = FLAGS

_vm = numba.njit(inline='always', error_model='numpy', fastmath=FLAGS)


# ---------------------------------------------------------------------------------------------
# bitcasts: a plain LLVM bitcast, which the loop vectorizer handles (np.view on scalars is not)
@intrinsic
def bitcast_f32_to_i32(typingctx, x):
    """Reinterpret the bits of a float32 as int32."""
    if x != types.float32:
        return None

    def codegen(context, builder, sig, args):
        return builder.bitcast(args[0], ir.IntType(32))
    return types.int32(types.float32), codegen


@intrinsic
def bitcast_i32_to_f32(typingctx, x):
    """Reinterpret the bits of an int32 as float32."""
    if x != types.int32:
        return None

    def codegen(context, builder, sig, args):
        return builder.bitcast(args[0], ir.FloatType())
    return types.float32(types.int32), codegen


_f = np.float32
_i = np.int32

_ZERO, _HALF, _ONE, _TWO = _f(0.0), _f(0.5), _f(1.0), _f(2.0)
_INF, _NAN = _f(np.inf), _f(np.nan)
_FLT_MIN = _f(1.17549435e-38)
_TWO25 = _f(33554432.0)                    # 2**25: scales any subnormal into the normal range

# Cody-Waite split of ln2: _LN2_HI has few mantissa bits so n*_LN2_HI is exact for |n| <= 2**9
_LOG2E = _f(1.44269504088896341)
_LN2_HI = _f(0.693359375)
_LN2_LO = _f(-2.12194440e-4)
_EXP_XMAX = _f(88.72283172607421875)       # largest x with float32(exp(x)) finite
_EXP_XMIN = _f(-104.0)                     # exp(x) rounds to 0 below -103.972
_EXPM1_XMIN = _f(-18.0)                    # expm1(x) rounds to -1 below -17.33

# Cephes expf polynomial: exp(r) = 1 + r + r^2 * P(r) on |r| <= ln2/2
_EP0, _EP1, _EP2 = _f(1.9875691500e-4), _f(1.3981999507e-3), _f(8.3334519073e-3)
_EP3, _EP4, _EP5 = _f(4.1665795894e-2), _f(1.6666665459e-1), _f(5.0000001201e-1)

# Cephes logf polynomial: log(1+f) = f - f^2/2 + f^3 * P(f) on sqrt(1/2)-1 <= f <= sqrt(2)-1
_LP0, _LP1, _LP2 = _f(7.0376836292e-2), _f(-1.1514610310e-1), _f(1.1676998740e-1)
_LP3, _LP4, _LP5 = _f(-1.2420140846e-1), _f(1.4249322787e-1), _f(-1.6668057665e-1)
_LP6, _LP7, _LP8 = _f(2.0000714765e-1), _f(-2.4999993993e-1), _f(3.3333331174e-1)
# adding this to the bits of m in [1,2) moves the mantissa split point from 1 to sqrt(1/2)
_SQRTH_SHIFT = _i(0x3f800000 - 0x3f3504f3)
_SQRTH_BITS = _i(0x3f3504f3)
_MANT_MASK = _i(0x007fffff)


# ---------------------------------------------------------------------------------------------
@_vm
def _exp_reduce(xc):
    """xc = n*ln2 + r, |r| <= ln2/2; returns (n as int32, expm1(r))."""
    n = np.floor(xc * _LOG2E + _HALF)
    ni = _i(n)
    # n*_LN2_HI is exact and so is the subtraction.  The low term multiplies float(int(n)):
    # with the same value n, `reassoc` would factor n*(_LN2_HI+_LN2_LO) and lose the split.
    r = (xc - n * _LN2_HI) - _f(ni) * _LN2_LO
    p = _EP0 * r + _EP1
    p = p * r + _EP2
    p = p * r + _EP3
    p = p * r + _EP4
    p = p * r + _EP5
    return ni, p * (r * r) + r


@_vm
def _scale_pow2(y, n):
    """y * 2**n for y in [0.7, 1.5], n in [-150, 128], overflow to inf handled by the caller.

    Normal results: add n to the exponent field (exact, integer-only, so fastmath reassociation
    cannot turn it into an overflowing 2**n factor).  Subnormal results (n <= -126): one
    correctly-rounded multiply (y/2) * 2**(n+1); 2**(n+1) is built as the subnormal bit
    pattern 1 << (n+150) and y/2 by decrementing y's exponent field.
    """
    yb = bitcast_f32_to_i32(y)
    normal = bitcast_i32_to_f32(_i(yb + (n << 23)))
    sub = bitcast_i32_to_f32(_i(yb - 0x00800000)) * bitcast_i32_to_f32(_i(1 << (n + 150)))
    return sub if n <= -126 else normal


@_vm
def exp_f32(x):
    """float32 exp, max error 1 ulp (subnormal results: gradual underflow).

    exp(+inf)=inf, exp(-inf)=0, exp(NaN)=NaN, x > 88.7228 -> inf, x < -103.97 -> 0.
    Example: exp_f32(np.float32(1.0)) -> 2.7182817 (float32)
    """
    x = _f(x)
    xc = x if x < _EXP_XMAX else _EXP_XMAX         # NaN-killing clamps: no NaN reaches fptosi
    xc = xc if xc > _EXP_XMIN else _EXP_XMIN
    n, em1 = _exp_reduce(xc)
    res = _scale_pow2(em1 + _ONE, n)
    res = _INF if x > _EXP_XMAX else res
    return res if x == x else x


@_vm
def expm1_f32(x):
    """float32 expm1 = exp(x) - 1 accurate near 0, max error 1 ulp.

    expm1(+inf)=inf, expm1(-inf)=-1, expm1(NaN)=NaN.
    Example: expm1_f32(np.float32(1e-5)) -> 1.0000050e-05 (float32)
    """
    x = _f(x)
    xc = x if x < _EXP_XMAX else _EXP_XMAX
    xc = xc if xc > _EXPM1_XMIN else _EXPM1_XMIN
    n, em1 = _exp_reduce(xc)
    # n <= 24: 2^n*expm1(r) + (2^n - 1); both terms exact, one rounding in the sum
    nn = n if n < 24 else _i(24)
    t = bitcast_i32_to_f32(_i((nn + 127) << 23))
    small = t * em1 + (t - _ONE)
    # n > 24: the -1 is below half an ulp of exp(x); reuse exp's overflow-safe scaling
    big = _scale_pow2(em1 + _ONE, n) - _ONE
    res = small if n <= 24 else big
    res = _INF if x > _EXP_XMAX else res
    return res if x == x else x


@_vm
def _log_core(f, k):
    """k*ln2 + log(1+f) for f in [sqrt(1/2)-1, sqrt(2)-1] (Cephes logf)."""
    z = f * f
    p = _LP0 * f + _LP1
    p = p * f + _LP2
    p = p * f + _LP3
    p = p * f + _LP4
    p = p * f + _LP5
    p = p * f + _LP6
    p = p * f + _LP7
    p = p * f + _LP8
    y = p * f * z + k * _LN2_LO - _HALF * z
    return (f + y) + k * _LN2_HI


@_vm
def log_f32(x):
    """float32 natural log, max error 1 ulp, subnormal inputs handled.

    log(0)=-inf, log(x<0)=NaN, log(inf)=inf, log(NaN)=NaN.
    Example: log_f32(np.float32(2.0)) -> 0.6931472 (float32)
    """
    x = _f(x)
    sub = x < _FLT_MIN
    xs = x * _TWO25 if sub else x
    ix = bitcast_f32_to_i32(xs) + _SQRTH_SHIFT
    k = (ix >> 23) - 127 - (25 if sub else 0)
    f = bitcast_i32_to_f32(_i((ix & _MANT_MASK) + _SQRTH_BITS)) - _ONE   # exact (Sterbenz)
    res = _log_core(f, _f(k))
    res = res if x < _INF else x                    # inf -> inf, NaN -> NaN
    res = _NAN if x < _ZERO else res
    return -_INF if x == _ZERO else res


@_vm
def log1p_f32(x):
    """float32 log(1+x), max error 2 ulp.

    log1p(-1)=-inf, log1p(x<-1)=NaN, log1p(inf)=inf, log1p(NaN)=NaN.
    Example: log1p_f32(np.float32(1e-5)) -> 9.9999500e-06 (float32)
    """
    x = _f(x)
    u = _ONE + x
    iu = bitcast_f32_to_i32(u) + _SQRTH_SHIFT
    k = (iu >> 23) - 127                             # 1+x = 2^k * (1+f), 1+f in [sqrt.5, sqrt2)
    # f = (1+x)*2^-k - 1 = x*s + (s-1), s = 2^-k: x*s and s-1 are exact for -24 <= k <= 24,
    # so f gets a single rounding (no (1+x)-1 compensation that reassoc could fold away)
    kk = k if k < 24 else 24
    s = bitcast_i32_to_f32(_i((127 - kk) << 23))
    f = x * s + (s - _ONE)
    # k > 24: 1 is below half an ulp of x, so 1+x == x and its mantissa gives f exactly
    fm = bitcast_i32_to_f32(_i((iu & _MANT_MASK) + _SQRTH_BITS)) - _ONE
    f = f if k <= 24 else fm
    res = _log_core(f, _f(k))
    res = res if x < _INF else x
    res = _NAN if x < -_ONE else res
    return -_INF if x == -_ONE else res


# Eigen / XLA float tanh: odd/even rational approximation on [-9, 9]
_TA1, _TA3, _TA5 = _f(4.89352455891786e-03), _f(6.37261928875436e-04), _f(1.48572235717979e-05)
_TA7, _TA9 = _f(5.12229709037114e-08), _f(-8.60467152213735e-11)
_TA11, _TA13 = _f(2.00018790482477e-13), _f(-2.76076847742355e-16)
_TB0, _TB2 = _f(4.89352518554385e-03), _f(2.26843463243900e-03)
_TB4, _TB6 = _f(1.18534705686654e-04), _f(1.19825839466702e-06)
_TANH_CLAMP = _f(9.0)
_TANH_TINY = _f(0.0004)


@_vm
def tanh_f32(x):
    """float32 tanh (Eigen/XLA rational approximation), max error 2 ulp.

    Returns exactly +-1 for |x| >= 9, x itself for |x| < 4e-4; tanh(NaN)=NaN.
    Example: tanh_f32(np.float32(0.5)) -> 0.46211717 (float32)
    """
    x = _f(x)
    xc = x if x < _TANH_CLAMP else _TANH_CLAMP      # NaN passes both clamps
    xc = xc if xc > -_TANH_CLAMP else -_TANH_CLAMP
    x2 = xc * xc
    p = x2 * _TA13 + _TA11
    p = p * x2 + _TA9
    p = p * x2 + _TA7
    p = p * x2 + _TA5
    p = p * x2 + _TA3
    p = p * x2 + _TA1
    q = x2 * _TB6 + _TB4
    q = q * x2 + _TB2
    q = q * x2 + _TB0
    res = xc * p / q
    res = res if res < _ONE else _ONE               # the rational overshoots 1 slightly near 9
    res = res if res > -_ONE else -_ONE
    return x if abs(x) < _TANH_TINY else res


@_vm
def sigmoid_f32(x):
    """float32 logistic 1/(1+exp(-x)), stable for all x, max error 2 ulp.

    sigmoid(-inf)=0, sigmoid(inf)=1, sigmoid(NaN)=NaN.
    Example: sigmoid_f32(np.float32(0.0)) -> 0.5 (float32)
    """
    x = _f(x)
    e = exp_f32(-abs(x))                             # in (0, 1]: never overflows
    r = _ONE / (_ONE + e)                            # sigmoid(|x|)
    return r if x >= _ZERO else e * r                # sigmoid(-|x|) = e / (1 + e)


@_vm
def softplus_f32(x):
    """float32 softplus log(1+exp(x)) = max(x,0) + log1p(exp(-|x|)), max error 2 ulp.

    softplus(-inf)=0, softplus(inf)=inf, softplus(NaN)=NaN.
    Example: softplus_f32(np.float32(0.0)) -> 0.6931472 (float32)
    """
    x = _f(x)
    m = x if x > _ZERO else _ZERO
    return m + log1p_f32(exp_f32(-abs(x)))          # NaN propagates through exp/log1p


# Eigen float erf: odd/even rational approximation on [-4, 4]
_EA1, _EA3 = _f(-1.60960333262415e-02), _f(-2.95459980854025e-03)
_EA5, _EA7 = _f(-7.34990630326855e-04), _f(-5.69250639462346e-05)
_EA9, _EA11 = _f(-2.10102402082508e-06), _f(2.77068142495902e-08)
_EA13 = _f(-2.72614225801306e-10)
_EB0, _EB2 = _f(-1.42647390514189e-02), _f(-7.37332916720468e-03)
_EB4, _EB6 = _f(-1.68282697438203e-03), _f(-2.13374055278905e-04)
_EB8 = _f(-1.45660718464996e-05)
_ERF_CLAMP = _f(4.0)


@_vm
def erf_f32(x):
    """float32 erf (Eigen rational approximation), max error 2 ulp.

    Returns exactly +-1 for |x| >= 4; erf(NaN)=NaN.
    Example: erf_f32(np.float32(0.5)) -> 0.5204999 (float32)
    """
    x = _f(x)
    xc = x if x < _ERF_CLAMP else _ERF_CLAMP
    xc = xc if xc > -_ERF_CLAMP else -_ERF_CLAMP
    x2 = xc * xc
    p = x2 * _EA13 + _EA11
    p = p * x2 + _EA9
    p = p * x2 + _EA7
    p = p * x2 + _EA5
    p = p * x2 + _EA3
    p = p * x2 + _EA1
    q = x2 * _EB8 + _EB6
    q = q * x2 + _EB4
    q = q * x2 + _EB2
    q = q * x2 + _EB0
    res = xc * p / q
    res = res if res < _ONE else _ONE
    return res if res > -_ONE else -_ONE


FLOAT32_FUNCS = {
    'exp': exp_f32,
    'expm1': expm1_f32,
    'log': log_f32,
    'log1p': log1p_f32,
    'tanh': tanh_f32,
    'sigmoid': sigmoid_f32,
    'softplus': softplus_f32,
    'erf': erf_f32,
}
