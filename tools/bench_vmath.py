"""Benchmark graphflow.backends.numba.vmath against numpy and numba's scalar-libm loops.

For 4M float32 values (then float64 for vmath's float64 functions), median of 7 runs, single
thread:
  vmath : @njit loop calling vm.<name>_f32 / _f64 (what the fused-kernel code generator emits)
  numpy : numpy's (SIMD) ufunc into a preallocated output, or the usual numpy expression
  libm  : @njit loop calling np.exp/np.log/math.erf... (numba lowers these to scalar libm calls)
A second table repeats this on 32K values that stay in L2 cache (ns per value): at 4M all three
columns are close to memory-bound, the in-cache numbers show the arithmetic cost that matters
once several ops are fused into one pass.
It also reports whether the vmath loop was SIMD-vectorized (packed *ps/*pd instructions on x/y/zmm).

    python3 tools/bench_vmath.py
"""
import math
import os
import re
import sys
import time

import numba
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
from graphflow.backends.numba import vmath as vm  # noqa: E402

N, REPEATS = 4_000_000, 7
N_CACHE, CALLS_CACHE = 32_768, 50
FM = vm.FASTMATH_FLAGS
f32 = np.float32


def loop_kernel(fn):
    @numba.njit(error_model='numpy', fastmath=FM)
    def k(x, out):
        for i in range(x.shape[0]):
            out[i] = fn(x[i])
    return k


# scalar reference implementations: numba turns these into scalar libm calls
@numba.njit(inline='always', fastmath=FM)
def _sigmoid_libm(v):
    return f32(1.0) / (f32(1.0) + np.exp(-v))


@numba.njit(inline='always', fastmath=FM)
def _softplus_libm(v):
    return max(v, f32(0.0)) + np.log1p(np.exp(-abs(v)))


@numba.njit(inline='always', fastmath=FM)
def _erf_libm(v):
    return f32(math.erf(v))


LIBM = {
    'exp': numba.njit(inline='always')(lambda v: np.exp(v)),
    'expm1': numba.njit(inline='always')(lambda v: np.expm1(v)),
    'log': numba.njit(inline='always')(lambda v: np.log(v)),
    'log1p': numba.njit(inline='always')(lambda v: np.log1p(v)),
    'tanh': numba.njit(inline='always')(lambda v: np.tanh(v)),
    'sigmoid': _sigmoid_libm,
    'softplus': _softplus_libm,
    'erf': _erf_libm,
}


def _np_erf():
    try:
        from scipy.special import erf
        return lambda x, out: erf(x, out=out)
    except ImportError:
        return None


NUMPY = {
    'exp': lambda x, out: np.exp(x, out=out),
    'expm1': lambda x, out: np.expm1(x, out=out),
    'log': lambda x, out: np.log(x, out=out),
    'log1p': lambda x, out: np.log1p(x, out=out),
    'tanh': lambda x, out: np.tanh(x, out=out),
    'sigmoid': lambda x, out: np.divide(1, 1 + np.exp(-x), out=out),
    'softplus': lambda x, out: np.logaddexp(f32(0), x, out=out),
    'erf': _np_erf(),
}

RANGES = {'exp': (-80, 80), 'expm1': (-10, 10), 'log': (1e-3, 1e3), 'log1p': (-0.9, 100),
          'tanh': (-5, 5), 'sigmoid': (-20, 20), 'softplus': (-20, 20), 'erf': (-4, 4)}


def median_ms(f, *args, calls=1):
    f(*args)                                   # warm up / compile
    ts = []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        for _ in range(calls):
            f(*args)
        ts.append((time.perf_counter() - t0) / calls)
    return 1e3 * float(np.median(ts))


def vectorized(kernel):
    asm = kernel.inspect_asm(kernel.signatures[0])
    m = re.findall(r'\bv?(?:fmadd\w*|mul|add|sub|div)p[sd]\s+[^\n]*%(x|y|z)mm', asm)
    return max(m, key='xyz'.index) + 'mm' if m else 'no'


def table(n, calls, unit, scale, funcs=vm.FLOAT32_FUNCS, dtype=f32):
    rng = np.random.default_rng(0)
    print(f"\n{n:,} {np.dtype(dtype).name}, median of {REPEATS}, {unit}")
    print(f"{'op':9s} {'vmath':>8s} {'numpy':>8s} {'libm':>8s} {'vs numpy':>9s} {'vs libm':>8s}"
          "  simd")
    for name, fn in funcs.items():
        lo, hi = RANGES[name]
        x = rng.uniform(lo, hi, n).astype(dtype)
        out = np.empty_like(x)
        kv, kl = KERNELS[fn]
        tv = median_ms(kv, x, out, calls=calls) * scale
        tl = median_ms(kl, x, out, calls=calls) * scale
        tn = float('nan')
        if NUMPY[name]:
            tn = median_ms(NUMPY[name], x, out, calls=calls) * scale
        print(f"{name:9s} {tv:8.3f} {tn:8.3f} {tl:8.3f} {tn / tv:8.1f}x {tl / tv:7.1f}x  "
              f"{vectorized(kv)}")


KERNELS = {}


def main():
    print(f"numba {numba.__version__}, numpy {np.__version__}; serial loops, fastmath={sorted(FM)}")
    for name, fn in list(vm.FLOAT32_FUNCS.items()) + list(vm.FLOAT64_FUNCS.items()):
        KERNELS[fn] = loop_kernel(fn), loop_kernel(LIBM[name])
    table(N, 1, 'ms per call', 1.0)
    table(N_CACHE, CALLS_CACHE, 'ns per value (in cache)', 1e6 / N_CACHE)
    table(N, 1, 'ms per call', 1.0, vm.FLOAT64_FUNCS, np.float64)
    table(N_CACHE, CALLS_CACHE, 'ns per value (in cache)', 1e6 / N_CACHE, vm.FLOAT64_FUNCS,
          np.float64)


if __name__ == '__main__':
    main()
