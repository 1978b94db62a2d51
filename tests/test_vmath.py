"""Accuracy and special values of graphflow.backends.numba.vmath over the whole float32 range.

Each function is evaluated the way the code generator uses it: inlined into an @njit loop
compiled with vm.FASTMATH_FLAGS.  The reference is float64 numpy rounded to float32.
"""
import math
import platform
import re

import numba
import numpy as np
import pytest

from graphflow.backends.numba import vmath as vm
from graphflow.backends.numba.rt import wide_vectors

# documented bounds, in ulp (the same numbers as in vmath's docstrings)
MAX_ULP = {'exp': 1, 'expm1': 1, 'log': 1, 'log1p': 1, 'tanh': 2, 'sigmoid': 3,
           'softplus': 2, 'erf': 2}
NAMES = sorted(MAX_ULP)

f32 = np.float32
_FI = np.finfo(np.float32)
_NEXT = lambda v, d: np.nextafter(f32(v), f32(d))  # noqa: E731
_SPECIAL = [0.0, np.inf, np.nan, 1.0, 2.0, 0.5,
            _FI.smallest_subnormal, np.uint32(0x007fffff).view(np.float32),  # subnormals
            _FI.tiny, _FI.max, 1e-30, 1e-20, 1e-10, 1e-5, 1e-3,
            88.72283172607421875, _NEXT(88.72283172607421875, np.inf),       # exp overflow
            103.97208, 103.972084, 104.0, 87.33654, 87.33655,                  # exp underflow
            17.32868, 18.0,                                                      # expm1 -> -1
            9.0, 9.01, 9.02, 10.0, 3.9, 3.92, 3.93, 4.0,                          # tanh/erf -> 1
            _NEXT(1.0, 0), _NEXT(1.0, 2), 0.29289323, 0.41421356, 0.70710677]


def _inputs():
    # every 4099th bit pattern: ~1M values spread over all binades, both signs, NaNs included
    bits = np.arange(0, 2**32, 4099, dtype=np.uint64).astype(np.uint32).view(np.float32)
    special = np.array(_SPECIAL, dtype=np.float32)
    dense = np.random.default_rng(0).uniform(-20, 20, 200_000).astype(np.float32)
    return np.concatenate([bits, special, -special, dense])


X = _inputs()
_KERNELS = {}


def _kernel(name):
    """The codegen-style loop for vm.<name>_f32 (512-bit vectors allowed, as in the generated
    kernels), compiled once per test session."""
    if name not in _KERNELS:
        fn = vm.FLOAT32_FUNCS[name]

        @numba.njit(error_model='numpy', fastmath=vm.FASTMATH_FLAGS)
        def k(x, out):
            wide_vectors()
            for i in range(x.shape[0]):
                out[i] = fn(x[i])
        _KERNELS[name] = k
    return _KERNELS[name]


def _run(name, x):
    out = np.empty_like(x)
    _kernel(name)(x, out)
    return out


def _erf64(x):
    try:
        from scipy.special import erf
        return erf(x)
    except ImportError:                       # math.erf on the values where erf is not +-1/NaN
        out = np.sign(x)
        m = np.abs(x) < 6
        out[m] = np.frompyfunc(math.erf, 1, 1)(x[m]).astype(np.float64)
        return out


def _reference(name, x):
    with np.errstate(all='ignore'):              # signalling NaNs, overflow in the cast back
        x = x.astype(np.float64)
        if name == 'sigmoid':
            e = np.exp(-np.abs(x))
            r = np.where(x >= 0, 1 / (1 + e), e / (1 + e))
        elif name == 'softplus':
            r = np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))
        elif name == 'erf':
            r = _erf64(x)
        else:
            r = getattr(np, name)(x)
        return r.astype(np.float32)


def ulp_distance(a, b):
    """|a - b| in float32 ulps; both NaN -> 0, NaN vs number -> inf."""
    def line(v):  # float32 bits -> monotonic integer line (-0 and +0 both map to 0)
        u = v.view(np.uint32).astype(np.int64)
        return np.where(u >= 0x80000000, 0x80000000 - u, u)
    d = np.abs(line(a) - line(b)).astype(np.float64)
    na, nb = np.isnan(a), np.isnan(b)
    d[na & nb] = 0
    d[na ^ nb] = np.inf
    return d


def test_ulp_distance():
    a = np.array([1.0, -0.0, np.nan, np.nan, 1.0, -1.0], dtype=np.float32)
    b = np.array([_NEXT(1.0, 2), 0.0, np.nan, 1.0, 1.0, _NEXT(-1.0, -2)], dtype=np.float32)
    assert ulp_distance(a, b).tolist() == [1, 0, 0, np.inf, 0, 1]
    tiny = np.array([_FI.smallest_subnormal], dtype=np.float32)
    assert ulp_distance(tiny, -tiny).tolist() == [2]


@pytest.mark.parametrize('name', NAMES)
def test_accuracy_whole_range(name):
    got, ref = _run(name, X), _reference(name, X)
    d = ulp_distance(got, ref)
    worst = int(np.argmax(d))
    assert d[worst] <= MAX_ULP[name], (
        f'{name}: {d[worst]} ulp at x={X[worst]!r}: got {got[worst]!r}, want {ref[worst]!r}')
    # NaN exactly where numpy has NaN; infinities exact (FLT_MAX is only 1 ulp from inf)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(ref))
    inf = np.isinf(ref) | np.isinf(got)
    np.testing.assert_array_equal(got[inf], ref[inf])


INF, NAN = np.inf, np.nan
SPECIAL_CASES = {
    'exp': [(INF, INF), (-INF, 0.0), (0.0, 1.0), (89.0, INF), (-104.0, 0.0),
            (88.72283172607421875, 3.4027985e38), (-103.97208, 1e-45)],
    'expm1': [(INF, INF), (-INF, -1.0), (0.0, 0.0), (-18.0, -1.0), (89.0, INF)],
    'log': [(0.0, -INF), (-0.0, -INF), (-1.0, NAN), (-INF, NAN), (INF, INF), (1.0, 0.0),
            (_FI.smallest_subnormal, -103.27893)],
    'log1p': [(-1.0, -INF), (-2.0, NAN), (-INF, NAN), (INF, INF), (0.0, 0.0), (1e-30, 1e-30)],
    'tanh': [(INF, 1.0), (-INF, -1.0), (9.1, 1.0), (-9.1, -1.0), (1e4, 1.0), (0.0, 0.0),
             (1e-30, 1e-30), (_FI.smallest_subnormal, _FI.smallest_subnormal)],
    'sigmoid': [(INF, 1.0), (-INF, 0.0), (0.0, 0.5), (-200.0, 0.0), (200.0, 1.0)],
    'softplus': [(INF, INF), (-INF, 0.0), (200.0, 200.0), (-200.0, 0.0)],
    'erf': [(INF, 1.0), (-INF, -1.0), (4.0, 1.0), (-4.0, -1.0), (0.0, 0.0), (1e-30, 1.1283792e-30)],
}


@pytest.mark.parametrize('name', NAMES)
def test_special_values(name):
    cases = SPECIAL_CASES[name] + [(NAN, NAN)]
    x = np.array([c[0] for c in cases], dtype=np.float32)
    want = np.array([c[1] for c in cases], dtype=np.float32)
    np.testing.assert_array_equal(_run(name, x), want)        # NaN == NaN for this assert


def test_scalar_calls_are_float32():
    """Usable outside a loop too, and no silent float64 promotion (one compile for all)."""
    @numba.njit(fastmath=vm.FASTMATH_FLAGS)
    def all_at(v):
        return (vm.erf_f32(v), vm.exp_f32(v), vm.expm1_f32(v), vm.log_f32(v), vm.log1p_f32(v),
                vm.sigmoid_f32(v), vm.softplus_f32(v), vm.tanh_f32(v))

    x = np.array([0.5], dtype=np.float32)
    got = all_at(x[0])
    assert all(t == numba.float32 for t in all_at.nopython_signatures[0].return_type)
    for name, v in zip(NAMES, got):                     # NAMES is sorted like the tuple
        assert ulp_distance(np.array([v], dtype=np.float32), _reference(name, x))[0] <= 2, name


def test_exports():
    assert vm.FASTMATH_FLAGS == {'nsz', 'arcp', 'contract', 'afn', 'reassoc'}
    assert set(MAX_ULP) <= set(vm.FLOAT32_FUNCS)
    for name, fn in vm.FLOAT32_FUNCS.items():
        assert getattr(vm, f'{name}_f32') is fn


@pytest.mark.skipif(platform.machine().lower() not in ('x86_64', 'amd64'), reason='x86 asm check')
@pytest.mark.parametrize('name', ['exp', 'log', 'tanh', 'erf'])
def test_loop_is_simd_vectorized(name):
    k = _kernel(name)
    if not k.signatures:
        _run(name, X[:64])
    asm = k.inspect_asm(k.signatures[0])
    assert not re.search(r'call\w*\s+[^\n]*\b(exp|log|tanh|erf)\w*f\b', asm), 'libm call in loop'
    assert re.search(r'\bv?(fmadd\w*|mul|add)ps\s+[^\n]*%[xyz]mm', asm), 'no packed float32 math'


@pytest.mark.skipif(platform.machine().lower() not in ('x86_64', 'amd64'), reason='x86 asm check')
def test_kernels_use_512_bit_vectors_on_avx512():
    """`rt.wide_vectors()` lifts LLVM's prefer-256-bit on AVX-512 CPUs for that kernel only."""
    import llvmlite.binding as ll
    k = _kernel('exp')
    if not k.signatures:
        _run('exp', X[:64])
    asm = k.inspect_asm(k.signatures[0])
    if '+avx512f' in ll.get_host_cpu_features().flatten():
        assert re.search(r'\bv\w+ps\s+[^\n]*%zmm', asm), 'no 512-bit packed float32 math'

    @numba.njit(error_model='numpy', fastmath=vm.FASTMATH_FLAGS)
    def narrow(x, out):
        for i in range(x.shape[0]):
            out[i] = vm.exp_f32(x[i])
    out = np.empty_like(X)
    narrow(X, out)
    np.testing.assert_array_equal(out.view(np.int32), _run('exp', X).view(np.int32))


def _max_min_nan_of(dtype):
    """(max, min) of x as the fused kernels reduce floats: fmax_nn/fmin_nn plus nanbits_ (the
    running max of the values' |bits|: above +inf's, a NaN was seen)."""
    it = np.int32 if np.dtype(dtype).itemsize == 4 else np.int64
    inf_bits = it(np.array(np.inf, dtype).view(it))

    @numba.njit(error_model='numpy', fastmath={'contract'})
    def max_min_nan(x):
        wide_vectors()
        hi, lo, nan = x[0], x[0], it(0)
        for i in range(x.shape[0]):
            v = x[i]
            hi = vm.fmax_nn(v, hi)
            lo = vm.fmin_nn(v, lo)
            nan = vm.nanbits_(nan, v)
        return (x[0] * np.nan, x[0] * np.nan) if nan > inf_bits else (hi, lo)
    return max_min_nan


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_max_min_with_a_nan_flag_vectorize_and_propagate_nan(dtype):
    """fmax_nn/fmin_nn: a NaN at any position (every lane of the vector body, the remainder)
    gives NaN; +-inf and extremes as numpy's; the loop is packed vmaxps/vminps (x86)."""
    _max_min_nan = _max_min_nan_of(dtype)
    rng = np.random.default_rng(3)
    x = rng.standard_normal(203).astype(dtype)
    assert _max_min_nan(x) == (x.max(), x.min())
    for i in range(x.size):
        y = x.copy()
        y[i] = np.nan if i % 2 else -np.nan
        hi, lo = _max_min_nan(y)
        assert np.isnan(hi) and np.isnan(lo), i
    y = x.copy()
    y[[5, 150]] = np.inf, -np.inf
    assert _max_min_nan(y) == (np.inf, -np.inf)
    assert _max_min_nan(np.full(70, -np.inf, dtype)) == (-np.inf, -np.inf)
    # every NaN bit pattern (signalling, quiet, all payload bits, either sign) counts
    w, m = (32, 23) if dtype == np.float32 else (64, 52)
    inf = ((1 << (w - 1)) - 1) >> m << m
    for p in [inf + 1, inf | (1 << (m - 1)), (1 << (w - 1)) - 1]:
        for bits in (p, p | (1 << (w - 1))):
            y = x.copy()
            y[77] = np.array(bits, np.uint32 if w == 32 else np.uint64).view(dtype)
            assert np.isnan(_max_min_nan(y)[0]), hex(bits)
    info = np.finfo(dtype)
    y = x.copy()
    y[[3, 90, 91]] = info.max, -info.max, info.smallest_subnormal
    assert _max_min_nan(y) == (y.max(), y.min())
    if platform.machine().lower() in ('x86_64', 'amd64'):
        asm = _max_min_nan.inspect_asm(_max_min_nan.signatures[-1])
        sfx = 'ps' if dtype == np.float32 else 'pd'
        assert re.search(rf'\bvmax{sfx}\s+[^\n]*%[yz]mm', asm), 'no packed max'
        assert re.search(rf'\bvmin{sfx}\s+[^\n]*%[yz]mm', asm), 'no packed min'
        # the NaN test stays in vector lanes (an i1 flag was narrowed per vector on AVX2)
        assert 'vpackssdw' not in asm and 'vpacksswb' not in asm, 'NaN flag narrowed'



def _exp_both_of(bits, scalef):
    @numba.njit(error_model='numpy', fastmath=vm.FASTMATH_FLAGS)
    def both(x, a, b):
        wide_vectors()
        for i in range(x.shape[0]):
            a[i] = bits(x[i])
            b[i] = scalef(x[i])
    return both


def _exp_cases(dtype):
    """Every 4099th bit pattern (float32) or 400k random ones (float64), the specials, the
    gradual-underflow range and the overflow edge."""
    if dtype == np.float32:
        return np.concatenate([_inputs(), np.linspace(-110, -80, 30001, dtype=np.float32),
                               np.linspace(80, 90, 10001, dtype=np.float32)])
    rng = np.random.default_rng(1)
    pats = rng.integers(0, 2**63, 200_000, dtype=np.int64).view(np.float64)
    return np.concatenate([pats, -pats, np.linspace(-760, -690, 200_001),
                           np.linspace(700, 712, 20_001), rng.uniform(-50, 50, 100_000),
                           [0.0, -0.0, np.inf, -np.inf, np.nan, 709.782712893384,
                            709.7827128933841, -745.1332191019411, -745.1332191019412]])


@pytest.mark.skipif(not vm.SCALEF, reason='no AVX-512 (vscalefps/pd) on this CPU')
@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_exp_scalef_gives_the_same_bits(dtype):
    """exp_f32/exp_f64 with the 2**n scaling in one vscalefps/vscalefpd (AVX-512) equal the
    integer-bits versions bit for bit (NaN payloads aside); the loop uses vscalef."""
    sfx, ity = ('f32', np.int32) if dtype == np.float32 else ('f64', np.int64)
    both = _exp_both_of(getattr(vm, f'_exp_{sfx}_bits'), getattr(vm, f'_exp_{sfx}_scalef'))
    x = _exp_cases(dtype)
    a, b = np.empty_like(x), np.empty_like(x)
    both(x, a, b)
    nan = np.isnan(a)
    np.testing.assert_array_equal(np.isnan(b), nan)
    np.testing.assert_array_equal(a[~nan].view(ity), b[~nan].view(ity))
    op = 'vscalefps' if dtype == np.float32 else 'vscalefpd'
    assert op in both.inspect_asm(both.signatures[0])
