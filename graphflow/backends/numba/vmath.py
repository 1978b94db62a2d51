"""Vectorizable float32 (and float64 exp/tanh/log) transcendental functions for fused loops.

numba lowers ``np.exp``/``np.log``/``np.tanh`` to scalar libm calls, which LLVM cannot
SIMD-vectorize (llvmlite from PyPI has no SVML).  The functions here use only float32
arithmetic, integer bit tricks and selects, and are ``inline='always'`` so that a fused
kernel calling ``vm.exp_f32(x[i])`` in a loop becomes one straight-line, vectorizable loop body.

Usage (what the code generator emits; the caller's flags are the ones that count)::

    @numba.njit(error_model='numpy', fastmath=vm.FASTMATH_FLAGS)
    def kernel(x, out):
        for i in range(x.shape[0]):
            out[i] = vm.tanh_f32(x[i])

Rules followed throughout (see shared/PERFORMANCE.md):
  * every constant is ``np.float32`` / ``np.int32`` (a bare Python float promotes to float64);
  * no branches on data: ``a if c else b`` on values already computed lowers to ``select``;
  * ``error_model='numpy'`` and fastmath *without* ``nnan``/``ninf`` (``FASTMATH_FLAGS``),
    so NaN/Inf semantics survive;
  * robust to ``reassoc``: inlining is done at numba-IR level, so the *caller's* fastmath
    flags apply.  Power-of-two scaling is done with integer ops on the exponent bits and no
    accuracy relies on error-compensation tricks such as ``(1 + x) - 1`` that reassociation
    would fold away.

Max error vs. float64 numpy rounded to float32, evaluated in a fastmath=FASTMATH_FLAGS loop,
checked exhaustively (every float32 with |x| in [2**-30, 128) -- 2**30 for log1p, 8 for erf,
16 for tanh; all positive floats for log) plus every 257th of all 2**32 bit patterns:

    exp 1 ulp, expm1 1, log 1, log1p 1, tanh 2, softplus 2, erf 2,
    sigmoid 3 (2 on all but 15 of 621M inputs).

tests/test_vmath.py asserts these bounds on every 4099th bit pattern, 200k values in [-20, 20]
and the special values.

On AVX-512 CPUs (`SCALEF`) exp_f32 (so sigmoid/softplus too) and exp_f64 scale by 2**n with
one vscalefps/vscalefpd (`llvm.ldexp`), the same bits as the integer-exponent versions
(`_exp_f32_bits`, `_exp_f64_bits`; tests compare them): per L1-resident loop of 4096 values,
exp_f32 1294 -> 1091 us, sigmoid_f32 1.89 -> 1.70 ms (x1000), exp_f64 2.50 -> 2.19 ms (x1000 of
2048), CPU time at load 5-8. Reductions:
`fmax_nn`/`fmin_nn` are the running max/min of a NaN-propagating float max/min reduction (with a
separate NaN flag; see there).

NaN in -> NaN out; infinities, overflow to inf and saturation to 0/+-1 are exact.
Subnormals: subnormal results are produced by gradual underflow (exp, sigmoid, softplus ...) and
subnormal inputs are handled (log scales them up first).  This assumes numba's default FP
environment (no FTZ/DAZ).  Lanes that really produce or consume subnormals run ~2x slower
(x86 microcode assists).  Other lanes create no subnormal temporaries, except squares of
inputs below ~1e-19 (tanh, erf, log1p).

float64: `exp_f64` (max 1 ulp of the correctly rounded value, subnormal results by gradual
underflow), `tanh_f64` (max 2 ulp, 1 on all but ~1e-4 of inputs; tanh(+-0) = +-0), `log_f64`
and `log1p_f64` (fdlibm's method, max 1 ulp; subnormal inputs handled), the
same scheme with 8 lanes per 512-bit vector instead of a scalar libm call per element
(tests/test_vmath_f64.py checks them against long double on every binade and the special
values). Measured: mlp2_fwd_f64 of tools/bench.py 1.26 -> 0.59 of numpy (load 4).

Caching: the functions are inlined at numba-IR level, so a kernel cached on disk does not notice
edits to this file; ``SOURCE_HASH`` (hash of this file) belongs in the code generator's cache key.
"""
import hashlib
import math

import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

__all__ = ['FASTMATH_FLAGS', 'FLOAT32_FUNCS', 'SOURCE_HASH', 'bitcast_f32_to_i32',
           'bitcast_i32_to_f32', 'exp_f32', 'expm1_f32', 'log_f32', 'log1p_f32', 'tanh_f32',
           'sigmoid_f32', 'softplus_f32', 'erf_f32', 'FLOAT64_FUNCS', 'bitcast_f64_to_i64',
           'bitcast_i64_to_f64', 'radd_', 'rmul_', 'fmax_nn', 'fmin_nn', 'nanbits_', 'exp_f64',
           'tanh_f64', 'log_f64', 'log1p_f64']

# fastmath without nnan/ninf: keeps NaN/Inf semantics, still allows FMA contraction etc.
FLAGS = {'nsz', 'arcp', 'contract', 'afn', 'reassoc'}
FASTMATH_FLAGS = FLAGS

with open(__file__, 'rb') as _fh:
    SOURCE_HASH = hashlib.sha256(_fh.read()).hexdigest()[:16]

_vm = numba.njit(inline='always', error_model='numpy', fastmath=FLAGS)


# ---------------------------------------------------------------------------------------------
# bitcasts: a plain LLVM bitcast, which the loop vectorizer handles (np.view on scalars is not)
def _bitcast(name, src, dst, lltype):
    def fn(typingctx, x):
        if x != src:
            return None

        def codegen(context, builder, sig, args):
            return builder.bitcast(args[0], lltype)
        return dst(src), codegen
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"Reinterpret the bits of a {src} as {dst}."
    return intrinsic(fn)


bitcast_f32_to_i32 = _bitcast("bitcast_f32_to_i32", types.float32, types.int32, ir.IntType(32))
bitcast_i32_to_f32 = _bitcast("bitcast_i32_to_f32", types.int32, types.float32, ir.FloatType())
bitcast_f64_to_i64 = _bitcast("bitcast_f64_to_i64", types.float64, types.int64, ir.IntType(64))
bitcast_i64_to_f64 = _bitcast("bitcast_i64_to_f64", types.int64, types.float64, ir.DoubleType())


# Exact-order arithmetic: instructions that already carry flags are skipped by numba's fastmath
# pass, so these get only 'contract' (fusing into an FMA just drops a rounding) and never
# 'reassoc'.  Used where the evaluation order is what makes the result accurate.
_STRICT = ('contract',)
_FLOATS = (types.float32, types.float64)


@intrinsic
def _fma_nr(typingctx, a, b, c):
    """a*b + c, not reassociable (float32 or float64)."""
    if not (a == b == c and a in _FLOATS):
        return None

    def codegen(context, builder, sig, args):
        return builder.fadd(builder.fmul(args[0], args[1], flags=_STRICT), args[2], flags=_STRICT)
    return a(a, a, a), codegen


def _float_binop(name, method, flags, doc):
    """An intrinsic `name(a, b)` of two same-type floats: one LLVM `method` ('fadd', 'fmul')
    instruction carrying exactly `flags`."""
    def fn(typingctx, a, b):
        if not (a == b and a in _FLOATS):
            return None

        def codegen(context, builder, sig, args):
            return getattr(builder, method)(args[0], args[1], flags=flags)
        return a(a, a), codegen
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    return intrinsic(fn)


_mul_nr = _float_binop("_mul_nr", "fmul", _STRICT, "a * b, not reassociable.")
_add_nr = _float_binop("_add_nr", "fadd", _STRICT, "a + b, not reassociable.")


# Reassociable accumulation: the one instruction of a float sum/product reduction that may be
# reordered ('reassoc' on it alone is what LLVM's loop vectorizer needs to keep several partial
# sums in vector lanes). The generated reduction kernels compile with the exact flags (no
# 'reassoc' anywhere else: with it, LLVM folds (x * 1.5) * 0.7 into x * 1.05 - finite where
# numpy's x * 1.5 overflows to inf) and accumulate with these.
_REASSOC = ('reassoc', 'contract')


radd_ = _float_binop("radd_", "fadd", _REASSOC, """acc + v for a float reduction's accumulator:
reorderable (so the loop vectorizes), nothing else in the kernel is. Example, in a kernel:
``s = radd_(s, np.float32(x[i]))``.""")
rmul_ = _float_binop("rmul_", "fmul", _REASSOC, """acc * v for a float product reduction's
accumulator (see `radd_`).""")


# NaN-propagating max/min reductions in 3 vector instructions per 16 values (vmaxps, an unordered
# compare, a mask OR) instead of the 7 of an integer-key reduction (rt.maxkey_f32): the running
# max is a compare + select carrying 'nnan' and 'nsz' (what LLVM's loop vectorizer needs to make
# it a vmaxps reduction), and NaN is tracked apart, `nan = nan | (x != x)` (an OR reduction,
# no flags), checked once after the loop: the result is NaN if any value was. A NaN reaching
# the flagged select only makes the running max meaningless, and that value is then unused.
# Memory-bound on one idle core either way; with both cores busy (another process on the
# sibling), 4M float32: 0.72 ms vs 0.80 ms with keys, numpy's x.max() 0.69 ms (CPU time).
_NNAN = ('nnan', 'nsz', 'contract')


def _nn_pick(name, cmp):
    def fn(typingctx, x, acc):
        if not (x == acc and x in _FLOATS):
            return None

        def codegen(context, builder, sig, args):
            c = builder.fcmp_ordered(cmp, args[0], args[1], flags=_NNAN)
            return builder.select(c, args[0], args[1], flags=_NNAN)
        return x(x, acc), codegen
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = (f"The running {name[1:4]} of a reduction without NaN: x if x {cmp} acc else "
                  "acc, a select LLVM vectorizes (NaN: see above; track it with x != x). "
                  f"Example, in a kernel: ``m = {name}(np.float32(x[i]), m)``.")
    return intrinsic(fn)


fmax_nn = _nn_pick("fmax_nn", ">")
fmin_nn = _nn_pick("fmin_nn", "<")


# The NaN test of such a reduction as a running integer max of |x|'s bits (vpand + vpmaxsd,
# int32 lanes as wide as the float's): a NaN is the only float whose |bits| exceed +inf's.
# `flag | (x != x)` kept an i1 per lane, which AVX2 narrows per vector (vcmpunordps,
# vextractf128, vpackssdw, vpor), and its compare shares FP0/FP1 with vmaxps: on this AMD
# Zen 3 (AVX2) an L2-resident float32 max ran 0.87 -> 0.67 of numpy's x.max() (CPU time).
# float64 has no vpmaxsq on AVX2 (a compare + blend instead; still 0.86 -> 0.72).
@intrinsic
def nanbits_(typingctx, m, x):
    """max(m, |x|'s bits as a signed int of x's width): after a loop, m > +inf's bits
    (0x7f800000, 0x7ff0000000000000; codegen.NAN_BITS_ABOVE) iff some x was NaN. m starts at
    0, an int32 for float32 x, an int64 for float64. Example, in a kernel:
    ``m = nanbits_(m, np.float32(x[i]))``; then ``m > 0x7f800000`` means NaN."""
    if x not in _FLOATS:
        return None
    it = types.int32 if x == types.float32 else types.int64
    if m != it:
        return None

    def codegen(context, builder, sig, args):
        acc, v = args
        bits = builder.bitcast(v, acc.type)
        a = builder.and_(bits, ir.Constant(acc.type, (1 << (acc.type.width - 1)) - 1))
        return builder.select(builder.icmp_signed(">", a, acc), a, acc)
    return it(it, x), codegen


_f = np.float32
_i = np.int32

_ZERO, _NHALF, _ONE, _TWO = _f(0.0), _f(-0.5), _f(1.0), _f(2.0)
_INF, _NAN = _f(np.inf), _f(np.nan)
_FLT_MIN = _f(1.17549435e-38)
_TWO25 = _f(33554432.0)                    # 2**25: scales any subnormal into the normal range
_TWO_M64 = _f(5.421010862427522e-20)       # 2**-64

# Cody-Waite split of ln2: _LN2_HI has few mantissa bits so n*_LN2_HI is exact for |n| <= 2**9
_LOG2E = _f(1.44269504088896341)
_LN2_HI = _f(0.693359375)
_LN2_LO = _f(-2.12194440e-4)
_NLN2_HI, _NLN2_LO = -_LN2_HI, -_LN2_LO
_EXP_XMAX = _f(88.72283172607421875)       # largest x with float32(exp(x)) finite
_EXP_XMIN = _f(-104.0)                     # exp(x) rounds to 0 below -103.972
_EXP_SMALL = _f(-50.0)                     # exp_f32: below, scale by 2**64 then 2**-64
_EXP_CLAMP = _f(100.0)                     # exp_f32 (vscalefps): x above, exp is inf anyway
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
_LOG_BIAS, _LOG_BIAS_SUB = _i(127), _i(127 + 25)


# ---------------------------------------------------------------------------------------------
_SHIFT = _f(12582912.0)                    # 1.5 * 2**23: x*log2e + _SHIFT holds round(x*log2e)
_SHIFT_BITS = _i(0x4B400000)               # ... in its low mantissa bits
_SCALE64 = _i(64 << 23)                    # 64 in the exponent field


@_vm
def _exp_reduce(xc):
    """xc = n*ln2 + r, |r| <= ln2/2, n = round(xc / ln2); returns (tb, expm1(r)).

    tb are the bits of the round-to-integer shifter t = xc*log2e + 1.5*2**23, whose low bits
    hold n: n = tb - _SHIFT_BITS, and n << 23 = tb << 23 (the shifter's own bits shift out),
    with no float -> int conversion (fewer instructions per vector than floor + convert).
    """
    t = _fma_nr(xc, _LOG2E, _SHIFT)                 # strict: `reassoc` would cancel the shift
    n = _add_nr(t, -_SHIFT)                         # round(xc * log2e), exactly
    # n*_LN2_HI is exact and so is the subtraction; strict order, else `reassoc` factors
    # n*(_LN2_HI + _LN2_LO) into one rounded ln2: 5 ulp at |x| ~ 88
    r = _fma_nr(n, _NLN2_LO, _fma_nr(n, _NLN2_HI, xc))
    p = _EP0 * r + _EP1
    p = p * r + _EP2
    p = p * r + _EP3
    p = p * r + _EP4
    p = p * r + _EP5
    return bitcast_f32_to_i32(t), p * (r * r) + r


@_vm
def _exp_f32_bits(x):
    """float32 exp, max error 1 ulp (subnormal results: gradual underflow).

    exp(+inf)=inf, exp(-inf)=0, exp(NaN)=NaN, x > 88.7228 -> inf, x < -103.97 -> 0.
    Example: exp_f32(np.float32(1.0)) -> 2.7182817 (float32)

    The loop-body count matters here (AVX-512 issues two 512-bit ops per cycle, on ports 0
    and 5 only): n comes from the round-to-integer shifter (its bits give n << 23 directly, no
    float->int conversion), and the result is scaled by adding n to y's exponent bits; results
    below 2**-64 add n + 64 instead and are rounded once by a multiply with 2**-64 (gradual
    underflow, one rounding). Only the lower clamp is applied (a max instruction); overflow and
    NaN are one select at the end (`x * inf` where not x <= XMAX: inf, or the NaN itself), and
    the small-result test is one float compare on x: ~20 vector instructions per 16 values
    (~28 with both clamps, the integer test and two selects; ~30% faster in an L1 loop).
    """
    x = _f(x)
    xc = _EXP_XMIN if _EXP_XMIN > x else x          # x86 max: NaN passes (fixed at the end)
    tb, em1 = _exp_reduce(xc)
    y = em1 + _ONE                                  # exp(r) in [0.7, 1.5]
    nb = _i(tb << 23)                               # n << 23: _SHIFT's own bits shift out
    # x < -50: n < -72 + 1, so n + 64 keeps y * 2**(n+64) normal and exact; x >= -50: n >= -72,
    # y * 2**n is normal (which side an x near -50 takes does not matter: both are exact)
    small = x < _EXP_SMALL
    sb = _i(nb + _SCALE64) if small else nb
    res = bitcast_i32_to_f32(_i(bitcast_f32_to_i32(y) + sb))
    # below XMIN the result is 0: a zero operand keeps that multiply off x86's underflow
    # microcode assist (17x the time per vector: a causal mask's -1e9 scores in a softmax)
    res = res if _EXP_XMIN <= x else _ZERO
    res = res * _TWO_M64 if small else res          # the one rounding of a subnormal result
    return res if x <= _EXP_XMAX else x * _INF      # overflow -> inf; NaN -> NaN (its payload)


def _host_has_avx512():
    """True when kernels compile for this machine's CPU and it has AVX-512F (vscalefps)."""
    import os

    import llvmlite.binding as ll
    if os.environ.get("NUMBA_CPU_NAME") or os.environ.get("NUMBA_CPU_FEATURES"):
        return False            # portable kernels: no instruction the generic target lacks
    try:
        return bool(ll.get_host_cpu_features().get("avx512f", False))
    except Exception:           # (llvmlite without host feature detection)
        return False


#: exp_f32 scales with one vscalefps (llvm.ldexp) where the CPU has AVX-512 (elsewhere
#: LLVM expands a vector ldexp into scalar calls)
SCALEF = _host_has_avx512()


@intrinsic
def _ldexp(typingctx, y, n):
    """y * 2**n rounded once, float32 y with int32 n or float64 y with int64 n (llvm.ldexp: one
    vscalefps/vscalefpd per vector on AVX-512)."""
    if not ((y, n) in ((types.float32, types.int32), (types.float64, types.int64))):
        return None

    def codegen(context, builder, sig, args):
        lty = ir.FloatType() if y == types.float32 else ir.DoubleType()
        name = f"llvm.ldexp.{'f32' if y == types.float32 else 'f64'}.i32"
        fn = builder.module.globals.get(name) or ir.Function(
            builder.module, ir.FunctionType(lty, [lty, ir.IntType(32)]), name)
        e = args[1] if n == types.int32 else builder.trunc(args[1], ir.IntType(32))
        return builder.call(fn, [args[0], e])
    return y(y, n), codegen


@_vm
def _exp_f32_scalef(x):
    """float32 exp as `_exp_f32_bits` with the scaling by 2**n in one instruction: vscalefps
    rounds y * 2**n once (subnormal results: gradual underflow; the same bits as
    `_exp_f32_bits` on every 257th float32 bit pattern), instead of adding n to y's exponent
    bits with a second path for results below 2**-64. 33 instead of 36 instructions per loop
    iteration of 16 values; an L1-resident exp loop 1294 -> 1091 us (CPU time, load 8).
    Below XMIN y is made 0 first (no underflow microcode assist, as `_exp_f32_bits`).
    Overflow needs no test of its own: x is clamped to at most `_EXP_CLAMP` (a NaN passes both
    clamps), so n <= 144 and vscalefps rounds y * 2**n to inf for every x > XMAX (n = 128 there
    has r > 0, y >= 1; n > 128 has y >= 0.7), bit for bit the former `x * inf` select (checked on
    every 97th float32 above 80): one max instead of a compare, a multiply and a blend, an
    L2-resident exp loop 19.4 -> 17.8 us per 64K values (thread CPU, median of 41, load 8.8)."""
    x = _f(x)
    xc = _EXP_XMIN if _EXP_XMIN > x else x          # x86 max / min: NaN passes
    xc = _EXP_CLAMP if xc > _EXP_CLAMP else xc
    tb, em1 = _exp_reduce(xc)
    y = em1 + _ONE                                  # exp(r) in [0.7, 1.5]
    y = _ZERO if x < _EXP_XMIN else y               # (NaN: not below, stays NaN)
    return _ldexp(y, _i(tb - _SHIFT_BITS))          # inf above XMAX; NaN keeps its payload


@_vm
def _exp_nonpos_scalef(x):
    """`_exp_f32_scalef` for x <= 0 or NaN (sigmoid's and softplus' exp(-|x|)): without its
    overflow test (3 instructions); a NaN passes the clamp and the scaling unchanged."""
    xc = _EXP_XMIN if _EXP_XMIN > x else x          # x86 max: NaN passes
    tb, em1 = _exp_reduce(xc)
    y = em1 + _ONE                                  # exp(r) in [0.7, 1.5]
    y = _ZERO if x < _EXP_XMIN else y               # (NaN: not below, stays NaN)
    return _ldexp(y, _i(tb - _SHIFT_BITS))          # n: the shifter's low bits


exp_f32 = _exp_f32_scalef if SCALEF else _exp_f32_bits
#: exp of x <= 0 or NaN
_exp_nonpos = _exp_nonpos_scalef if SCALEF else _exp_f32_bits


@_vm
def expm1_f32(x):
    """float32 expm1 = exp(x) - 1 accurate near 0, max error 1 ulp.

    expm1(+inf)=inf, expm1(-inf)=-1, expm1(NaN)=NaN.
    Example: expm1_f32(np.float32(1e-5)) -> 1.000005e-05 (float32)
    """
    x = _f(x)
    xc = x if x < _EXP_XMAX else _EXP_XMAX
    xc = xc if xc > _EXPM1_XMIN else _EXPM1_XMIN
    tb, em1 = _exp_reduce(xc)
    n = _i(tb - _SHIFT_BITS)
    # n <= 24: 2^n*expm1(r) + (2^n - 1); both terms exact, one rounding in the sum
    nn = n if n < 24 else _i(24)
    t = bitcast_i32_to_f32(_i(_i(nn + _LOG_BIAS) << 23))
    small = _fma_nr(t, em1, t - _ONE)
    # n > 24: the -1 is below half an ulp of exp(x) = (1 + expm1(r)) * 2**n, always normal here
    big = bitcast_i32_to_f32(_i(bitcast_f32_to_i32(em1 + _ONE) + _i(tb << 23))) - _ONE
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
    y = _fma_nr(k, _LN2_LO, p * f * z)
    y = _fma_nr(_NHALF, z, y)
    return _fma_nr(k, _LN2_HI, _add_nr(f, y))        # small terms first, k*ln2_hi last


@_vm
def log_f32(x):
    """float32 natural log, max error 1 ulp, subnormal inputs handled.

    log(0)=-inf, log(x<0)=NaN, log(inf)=inf, log(NaN)=NaN.
    Example: log_f32(np.float32(2.0)) -> 0.6931472 (float32)
    """
    x = _f(x)
    sub = x < _FLT_MIN
    xs = x * _TWO25 if sub else x
    ix = _i(bitcast_f32_to_i32(xs) + _SQRTH_SHIFT)
    k = _i(_i(ix >> 23) - (_LOG_BIAS_SUB if sub else _LOG_BIAS))
    f = bitcast_i32_to_f32(_i(_i(ix & _MANT_MASK) + _SQRTH_BITS)) - _ONE   # exact (Sterbenz)
    res = _log_core(f, _f(k))
    res = res if x < _INF else x                    # inf -> inf, NaN -> NaN
    res = _NAN if x < _ZERO else res
    return -_INF if x == _ZERO else res


@_vm
def log1p_f32(x):
    """float32 log(1+x), accurate near 0, max error 1 ulp.

    log1p(-1)=-inf, log1p(x<-1)=NaN, log1p(inf)=inf, log1p(NaN)=NaN.
    Example: log1p_f32(np.float32(1e-5)) -> 9.99995e-06 (float32)
    """
    x = _f(x)
    u = _ONE + x
    iu = _i(bitcast_f32_to_i32(u) + _SQRTH_SHIFT)
    k = _i(_i(iu >> 23) - _LOG_BIAS)                 # 1+x = 2^k * (1+f), 1+f in [sqrt.5, sqrt2)
    # f = (1+x)*2^-k - 1 = x*s + (s-1), s = 2^-k: x*s and s-1 are exact for -24 <= k <= 24,
    # so f gets a single rounding (no (1+x)-1 compensation that reassoc could fold away)
    kk = k if k < 24 else _i(24)
    s = bitcast_i32_to_f32(_i(_i(_LOG_BIAS - kk) << 23))
    f = _fma_nr(x, s, s - _ONE)
    # k > 24: 1 is below half an ulp of x, so 1+x == x and its mantissa gives f exactly
    fm = bitcast_i32_to_f32(_i(_i(iu & _MANT_MASK) + _SQRTH_BITS)) - _ONE
    f = f if k <= 24 else fm
    res = _log_core(f, _f(k))
    res = res if x < _INF else x
    res = _NAN if x < -_ONE else res
    res = x if x == _ZERO else res                  # log1p(-0) = -0, as numpy
    return -_INF if x == -_ONE else res


_TANH_CLAMP = _f(10.0)                     # tanh(x) rounds to +-1 for |x| > 9.01


@_vm
def tanh_f32(x):
    """float32 tanh = expm1(2x) / (expm1(2x) + 2), max error 2 ulp.

    Exact +-1 for |x| >= 9.1, tanh(x) = x for tiny x; tanh(+-inf)=+-1, tanh(NaN)=NaN.
    Example: tanh_f32(np.float32(0.5)) -> 0.46211714 (float32, 1 ulp below 0.46211717)
    """
    x = _f(x)
    # x86 min/max order: a NaN passes both clamps (its garbage result is replaced at the end);
    # two plain vminps/vmaxps (NaN-killing selects became 5 compare/blend instructions)
    xc = _TANH_CLAMP if _TANH_CLAMP < x else x
    xc = -_TANH_CLAMP if -_TANH_CLAMP > xc else xc
    tb, em1 = _exp_reduce(xc + xc)                  # 2x = n*ln2 + r, |n| <= 29
    n = _i(tb - _SHIFT_BITS)
    t = bitcast_i32_to_f32(_i(_i(n + _LOG_BIAS) << 23))
    e = _fma_nr(t, em1, t - _ONE)                   # expm1(2x), accurate near 0
    res = e / (e + _TWO)                            # at |x| = 10, e + 2 rounds to e: exact +-1
    # one ordered not-equal compare: tanh(+-0) = +-0 as numpy, NaN -> NaN
    return res if (x < _ZERO or x > _ZERO) else x


@_vm
def sigmoid_f32(x):
    """float32 logistic 1/(1+exp(-x)), stable for all x, max error 3 ulp (2 nearly always).

    sigmoid(-inf)=0, sigmoid(inf)=1, sigmoid(NaN)=NaN.
    Example: sigmoid_f32(np.float32(0.0)) -> 0.5 (float32)
    """
    x = _f(x)
    e = _exp_nonpos(-abs(x))                         # in (0, 1]: never overflows
    # sigmoid(|x|) = 1/(1+e), sigmoid(-|x|) = e/(1+e): one division either way (NaN: x>=0 false)
    return (_ONE if x >= _ZERO else e) / (_ONE + e)


@_vm
def softplus_f32(x):
    """float32 softplus log(1+exp(x)) = max(x,0) + log1p(exp(-|x|)), max error 2 ulp.

    softplus(-inf)=0, softplus(inf)=inf, softplus(NaN)=NaN.
    Example: softplus_f32(np.float32(0.0)) -> 0.6931472 (float32)
    """
    x = _f(x)
    m = x if x > _ZERO else _ZERO
    e = _exp_nonpos(-abs(x))                        # in [0, 1]
    # log1p(e) for e in [0, 1]: log1p_f32's k <= 24 path alone (1 + e = 2^k (1 + f), k = 0
    # or 1), none of its special-value selects: the same bits, ~15 fewer vector instructions
    iu = _i(bitcast_f32_to_i32(_ONE + e) + _SQRTH_SHIFT)
    k = _i(_i(iu >> 23) - _LOG_BIAS)
    s = bitcast_i32_to_f32(_i(_i(_LOG_BIAS - k) << 23))
    res = m + _log_core(_fma_nr(e, s, s - _ONE), _f(k))
    return res if x == x else x                     # NaN -> NaN


# erf: two minimax polynomials (fitted for this module, float32-rounded coefficients)
#   |x| < 1:         erf(x) = x * P(x^2), P(0) = float32(2/sqrt(pi)) so tiny x rounds right
#   1 <= |x| < 3.92: erf(x) = 1 - Q(|x| - c), Q ~ erfc: absolute error 2.9e-8 (erf >= 0.84)
#   |x| >= 3.92:     erf(x) = +-1 (exactly, as float32 rounding of erf gives)
_ERF_P = tuple(_f(c) for c in (1.12837923, -0.376130342, 0.112881653, -0.0270437766,
                               0.00554679567, -0.00111420103, 0.000181476353))
_ERF_Q = tuple(_f(c) for c in (0.00050438242, -0.00266138813, 0.00654748548, -0.00984873716,
                               0.00991832837, -0.00680471538, 0.00296479464, -0.000460922951,
                               -0.000392212009, 0.000301880325, -5.15546926e-05,
                               -2.54639363e-05, 9.12461019e-06))
_EP_0, _EP_1, _EP_2, _EP_3, _EP_4, _EP_5, _EP_6 = _ERF_P
(_EQ_0, _EQ_1, _EQ_2, _EQ_3, _EQ_4, _EQ_5, _EQ_6, _EQ_7, _EQ_8, _EQ_9, _EQ_10, _EQ_11,
 _EQ_12) = _ERF_Q
_ERF_SPLIT = _f(1.0)
_ERF_ONE = _f(3.919205904)                 # smallest float32 whose erf rounds to 1
_ERF_CENTER = _f(2.4596028)


@_vm
def erf_f32(x):
    """float32 erf (two minimax polynomials, no division), max error 2 ulp.

    Exact +-1 for |x| >= 3.9192; erf(+-inf)=+-1, erf(NaN)=NaN.
    Example: erf_f32(np.float32(0.5)) -> 0.5204999 (float32)
    """
    x = _f(x)
    s = x * x
    p = _EP_6 * s + _EP_5
    p = p * s + _EP_4
    p = p * s + _EP_3
    p = p * s + _EP_2
    p = p * s + _EP_1
    p = p * s + _EP_0
    small = _mul_nr(x, p)                           # exact-order: x*p is the last rounding
    a = abs(x)
    a = _ERF_ONE if a > _ERF_ONE else a             # keeps the polynomial in range; NaN passes
    u = a - _ERF_CENTER
    q = _EQ_12 * u + _EQ_11
    q = q * u + _EQ_10
    q = q * u + _EQ_9
    q = q * u + _EQ_8
    q = q * u + _EQ_7
    q = q * u + _EQ_6
    q = q * u + _EQ_5
    q = q * u + _EQ_4
    q = q * u + _EQ_3
    q = q * u + _EQ_2
    q = q * u + _EQ_1
    q = q * u + _EQ_0
    big = _ONE if a >= _ERF_ONE else _ONE - q
    big = -big if x < _ZERO else big
    return small if a < _ERF_SPLIT else big


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


# ------------------------------------------------------------------------------ float64
# The same scheme in double precision (8 lanes per 512-bit vector): Cody-Waite reduction
# x = n*ln2 + r, |r| <= ln2/2, with fdlibm's split of ln2 (ln2_hi has 32 significant bits, so
# n*ln2_hi and x - n*ln2_hi are exact), then exp(r) - 1 = r + r^2 * Q(r), Q the Taylor
# polynomial of degree 11 (truncation error r^14/14! < 4.2e-18, 1/27 ulp of exp(r)).
_d = np.float64
_l = np.int64
_D_ONE, _D_TWO, _D_ZERO = _d(1.0), _d(2.0), _d(0.0)
_D_INF = _d(np.inf)
_D_LOG2E = _d(1.4426950408889634)
_D_SHIFT = _d(6755399441055744.0)          # 1.5 * 2**52: t = x*log2e + _D_SHIFT holds n
_D_SHIFT_BITS = _l(0x4338000000000000)
_D_NLN2_HI = _d(-6.93147180369123816490e-01)
_D_NLN2_LO = _d(-1.90821492927058770002e-10)
_D_EXP_XMAX = _d(709.782712893384)         # largest x with float64 exp(x) finite
_D_EXP_XMIN = _d(-746.0)                   # exp(x) rounds to 0 below -745.1332
_D_EXP_SMALL = _d(-700.0)                  # exp_f64: below, scale by 2**128 then 2**-128
_D_EXP_CLAMP = _d(720.0)                   # exp_f64 (vscalefpd): x above, exp is inf anyway
_D_SCALE128 = _l(128 << 52)
_D_TWO_M128 = _d(2.0 ** -128)
_D_BIAS = _l(1023)
_D_SIGN = _l(-0x8000000000000000)
_DQ = tuple(_d(1.0 / math.factorial(k)) for k in range(2, 14))
_DQ2, _DQ3, _DQ4, _DQ5, _DQ6, _DQ7, _DQ8, _DQ9, _DQ10, _DQ11, _DQ12, _DQ13 = _DQ
_D_TANH_CLAMP = _d(20.0)                   # tanh(x) rounds to +-1 for |x| > 19.07
# tanh for |x| < 0.625: expm1(y), y = 2|x| < 1.25, straight from its Taylor series up to
# y^21/21! (truncation < 1.2e-19 of the result): no reduction, so no cancellation in
# 2^n * expm1(r) + (2^n - 1), which gave 3 ulp near |x| = 0.2
_D_TANH_DIRECT = _d(1.25)
_DT = tuple(_d(1.0 / math.factorial(k)) for k in range(2, 22))


@_vm
def _exp_reduce_f64(xc):
    """xc = n*ln2 + r; returns (bits of the shifter t, whose low bits hold n; expm1(r))."""
    t = _fma_nr(xc, _D_LOG2E, _D_SHIFT)
    n = _add_nr(t, -_D_SHIFT)
    r = _fma_nr(n, _D_NLN2_LO, _fma_nr(n, _D_NLN2_HI, xc))
    q = _DQ13 * r + _DQ12
    q = q * r + _DQ11
    q = q * r + _DQ10
    q = q * r + _DQ9
    q = q * r + _DQ8
    q = q * r + _DQ7
    q = q * r + _DQ6
    q = q * r + _DQ5
    q = q * r + _DQ4
    q = q * r + _DQ3
    q = q * r + _DQ2
    return bitcast_f64_to_i64(t), _fma_nr(r * r, q, r)


@_vm
def _exp_f64_bits(x):
    """float64 exp, max error 1 ulp (subnormal results: gradual underflow, one rounding).

    exp(+inf)=inf, exp(-inf)=0, exp(NaN)=NaN, x > 709.7827 -> inf, x < -745.1332 -> 0.
    Example: exp_f64(1.0) -> 2.718281828459045

    As exp_f32: n from the shifter's bits, the scaling an integer add to y's exponent bits,
    results below 2**-1010 scaled by 2**128 and rounded once by a multiply with 2**-128.
    """
    x = _d(x)
    xc = _D_EXP_XMIN if _D_EXP_XMIN > x else x
    tb, em1 = _exp_reduce_f64(xc)
    y = em1 + _D_ONE
    nb = _l(tb << 52)
    small = x < _D_EXP_SMALL
    sb = _l(nb + _D_SCALE128) if small else nb
    res = bitcast_i64_to_f64(_l(bitcast_f64_to_i64(y) + sb))
    res = res if _D_EXP_XMIN <= x else _D_ZERO
    res = res * _D_TWO_M128 if small else res
    return res if x <= _D_EXP_XMAX else x * _D_INF


@_vm
def _exp_f64_scalef(x):
    """`_exp_f64_bits` with the scaling by 2**n in one vscalefpd (as `_exp_f32_scalef`; the same
    bits on the values tests/test_vmath_f64.py checks). Overflow as in `_exp_f32_scalef`: x
    clamped to at most `_D_EXP_CLAMP` (n <= 1039), vscalefpd rounds y * 2**n to inf above
    XMAX; no compare-multiply-blend."""
    x = _d(x)
    xc = _D_EXP_XMIN if _D_EXP_XMIN > x else x      # NaN passes both clamps
    xc = _D_EXP_CLAMP if xc > _D_EXP_CLAMP else xc
    tb, em1 = _exp_reduce_f64(xc)
    y = em1 + _D_ONE
    y = _D_ZERO if x < _D_EXP_XMIN else y           # (NaN: not below, stays NaN)
    return _ldexp(y, _l(tb - _D_SHIFT_BITS))


exp_f64 = _exp_f64_scalef if SCALEF else _exp_f64_bits


@_vm
def _expm1_small_f64(xc):
    """expm1(xc) for 0 <= xc <= 40 (n <= 58): 2^n * expm1(r) + (2^n - 1), one rounding of
    exact terms for n <= 53; above, the -1 is below half an ulp anyway."""
    tb, em1 = _exp_reduce_f64(xc)
    n = _l(tb - _D_SHIFT_BITS)
    t = bitcast_i64_to_f64(_l(_l(n + _D_BIAS) << 52))
    return _fma_nr(t, em1, t - _D_ONE)


@_vm
def tanh_f64(x):
    """float64 tanh = sign(x) * e / (e + 2), e = expm1(2|x|), max error 2 ulp (vs the
    correctly rounded value; 1 ulp on all but ~1 in 10^4 inputs).

    Exact +-1 for |x| >= 19.1, tanh(x) = x for tiny x, tanh(+-0) = +-0, tanh(+-inf) = +-1,
    tanh(NaN) = NaN.
    Example: tanh_f64(0.5) -> 0.46211715726000974
    """
    x = _d(x)
    a = abs(x)
    a = _D_TANH_CLAMP if _D_TANH_CLAMP < a else a   # a NaN passes (replaced at the end)
    y = a + a
    q = _DT[19] * y + _DT[18]
    q = q * y + _DT[17]
    q = q * y + _DT[16]
    q = q * y + _DT[15]
    q = q * y + _DT[14]
    q = q * y + _DT[13]
    q = q * y + _DT[12]
    q = q * y + _DT[11]
    q = q * y + _DT[10]
    q = q * y + _DT[9]
    q = q * y + _DT[8]
    q = q * y + _DT[7]
    q = q * y + _DT[6]
    q = q * y + _DT[5]
    q = q * y + _DT[4]
    q = q * y + _DT[3]
    q = q * y + _DT[2]
    q = q * y + _DT[1]
    q = q * y + _DT[0]
    e = _fma_nr(y * y, q, y) if y < _D_TANH_DIRECT else _expm1_small_f64(y)
    res = e / (e + _D_TWO)                          # e >= 0: the division loses nothing
    res = bitcast_i64_to_f64(_l(bitcast_f64_to_i64(res) | _l(bitcast_f64_to_i64(x) & _D_SIGN)))
    return res if x == x else x


# log: fdlibm's e_log.c, x = 2^k (1 + f) with 1 + f in [sqrt(1/2), sqrt(2)), s = f / (2 + f),
# log(1 + f) = f - (f^2/2 - s (f^2/2 + R(s^2))), R of degree 14 in s; the final sums in
# strict order (with `reassoc` LLVM could regroup them and lose the small terms)
_D_LG1, _D_LG2, _D_LG3 = _d(6.666666666666735130e-01), _d(3.999999999940941908e-01), \
    _d(2.857142874366239149e-01)
_D_LG4, _D_LG5, _D_LG6 = _d(2.222219843214978396e-01), _d(1.818357216161805012e-01), \
    _d(1.531383769920937332e-01)
_D_LG7 = _d(1.479819860511658591e-01)
_D_LN2_HI, _D_LN2_LO = -_D_NLN2_HI, -_D_NLN2_LO
_D_HALF = _d(0.5)
_D_TWO54 = _d(2.0 ** 54)                   # scales a subnormal into the normal range
_D_MIN_NORMAL = _d(2.2250738585072014e-308)
_D_SQRTH_BITS = _l(0x3fe6a09e667f3bcd)     # the bits of sqrt(1/2)
_D_SQRTH_SHIFT = _l(0x3ff0000000000000 - 0x3fe6a09e667f3bcd)
_D_MANT = _l(0x000fffffffffffff)
_D_NAN = _d(np.nan)


@_vm
def _log_core_f64(f, k):
    """k*ln2 + log(1+f) for f in [sqrt(1/2)-1, sqrt(2)-1], k a float64 integer."""
    s = f / (_D_TWO + f)
    z = s * s
    w = z * z
    t1 = w * (_D_LG2 + w * (_D_LG4 + w * _D_LG6))
    t2 = z * (_D_LG1 + w * (_D_LG3 + w * (_D_LG5 + w * _D_LG7)))
    r = _add_nr(t2, t1)
    hfsq = _mul_nr(_D_HALF, _mul_nr(f, f))
    lo = _fma_nr(s, _add_nr(hfsq, r), _mul_nr(k, _D_LN2_LO))
    return _fma_nr(k, _D_LN2_HI, -_add_nr(_add_nr(hfsq, -lo), -f))


@_vm
def log_f64(x):
    """float64 natural log, max error 1 ulp, subnormal inputs handled.

    log(+-0)=-inf, log(x<0)=NaN, log(inf)=inf, log(NaN)=NaN, log(1)=0.
    Example: log_f64(2.0) -> 0.6931471805599453
    """
    x = _d(x)
    sub = x < _D_MIN_NORMAL
    xs = x * _D_TWO54 if sub else x
    ix = _l(bitcast_f64_to_i64(xs) + _D_SQRTH_SHIFT)
    k = _l(_l(ix >> 52) - (_l(1023 + 54) if sub else _D_BIAS))
    f = bitcast_i64_to_f64(_l(_l(ix & _D_MANT) + _D_SQRTH_BITS)) - _D_ONE   # exact
    res = _log_core_f64(f, _d(k))
    res = res if x < _D_INF else x                  # inf -> inf, NaN -> NaN
    res = _D_NAN if x < _D_ZERO else res
    return -_D_INF if x == _D_ZERO else res


@_vm
def log1p_f64(x):
    """float64 log(1+x), accurate near 0, max error 1 ulp.

    log1p(-1)=-inf, log1p(x<-1)=NaN, log1p(inf)=inf, log1p(NaN)=NaN, log1p(-0)=-0.
    Example: log1p_f64(1e-10) -> 9.9999999995e-11
    """
    x = _d(x)
    u = _D_ONE + x
    iu = _l(bitcast_f64_to_i64(u) + _D_SQRTH_SHIFT)
    k = _l(_l(iu >> 52) - _D_BIAS)          # 1+x = 2^k (1+f), 1+f in [sqrt(1/2), sqrt(2))
    # f = (1+x) 2^-k - 1 = x s + (s - 1), s = 2^-k: both terms exact for -53 <= k <= 53, one
    # rounding (as log1p_f32); above, 1 is below half an ulp of x and u's mantissa gives f
    kk = k if k < 53 else _l(53)
    sc = bitcast_i64_to_f64(_l(_l(_D_BIAS - kk) << 52))
    f = _fma_nr(x, sc, sc - _D_ONE)
    fm = bitcast_i64_to_f64(_l(_l(iu & _D_MANT) + _D_SQRTH_BITS)) - _D_ONE
    f = f if k <= 53 else fm
    res = _log_core_f64(f, _d(k))
    res = res if x < _D_INF else x
    res = _D_NAN if x < -_D_ONE else res
    res = x if x == _D_ZERO else res                # log1p(-0) = -0
    return -_D_INF if x == -_D_ONE else res


FLOAT64_FUNCS = {
    'exp': exp_f64,
    'tanh': tanh_f64,
    'log': log_f64,
    'log1p': log1p_f64,
}
