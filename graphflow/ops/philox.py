"""TensorFlow's counter-based random numbers, bit for bit: Philox4x32-10 and the distributions
of TF's random kernels (core/lib/random/philox_random.h, random_distributions.h), in numpy.

A stream is a 128-bit counter and a 64-bit key; each Philox call maps (counter, key) to four
uint32 and the counter steps by one. An output of n values of a distribution that consumes
`per_call` values per Philox call takes calls counter, counter + 1, ... in order:

* uniform float32: 23 random mantissa bits of [1, 2) minus 1; float64: 52 bits from two words;
* normal: Box-Muller on pairs of uniforms (float32 in float32 arithmetic, as TF);
* uniform int32/int64 in [lo, hi): lo + bits % (hi - lo); full-range ints: the raw words.

`key_counter_from_seed` is TF's scrambling of a stateless op's two-integer seed; a
`tf.random.Generator`'s state is [counter low 64 bits, counter high 64 bits, key] and each
draw of n values advances the counter by 256 * n (TF's reservation per output).

>>> key, counter = key_counter_from_seed([1, 2])
>>> [round(float(v), 4) for v in sample("normal", key, counter, (3,), "float32")]
[0.5441, 0.2074, 0.0736]
"""
import math

import numpy as np

__all__ = ["philox", "key_counter_from_seed", "sample", "SUPPORTED", "calls_for", "unit_f64",
           "state_key_counter", "skip"]

_M0, _M1 = np.uint64(0xD2511F53), np.uint64(0xCD9E8D57)
_W0, _W1 = 0x9E3779B9, 0xBB67AE85
_MASK32 = np.uint64(0xFFFFFFFF)
_U32 = 1 << 32


def philox(counters, key):
    """Philox4x32-10 of the (4, n) uint32 `counters` under the 2-word `key`: (4, n) uint32."""
    c = [np.asarray(w, np.uint64) for w in counters]
    k0, k1 = int(key[0]) & 0xFFFFFFFF, int(key[1]) & 0xFFFFFFFF
    for r in range(10):
        p0, p1 = _M0 * c[0], _M1 * c[2]          # 32 x 32 -> 64-bit products (no overflow)
        hi0, lo0 = p0 >> np.uint64(32), p0 & _MASK32
        hi1, lo1 = p1 >> np.uint64(32), p1 & _MASK32
        c = [hi1 ^ c[1] ^ np.uint64(k0), lo1, hi0 ^ c[3] ^ np.uint64(k1), lo0]
        k0, k1 = (k0 + _W0) & 0xFFFFFFFF, (k1 + _W1) & 0xFFFFFFFF
    return np.stack(c).astype(np.uint32)


def _counters(counter, n):
    """The 128-bit counters counter, counter + 1, ..., counter + n - 1 as (4, n) uint32."""
    base = sum(int(w) << (32 * i) for i, w in enumerate(counter))
    base_lo = np.uint64(base & ((1 << 64) - 1))
    lo = base_lo + np.arange(n, dtype=np.uint64)               # wraps modulo 2**64
    hi = np.uint64((base >> 64) & ((1 << 64) - 1)) + (lo < base_lo).astype(np.uint64)
    return [(lo & _MASK32), (lo >> np.uint64(32)), (hi & _MASK32), (hi >> np.uint64(32))]


def key_counter_from_seed(seed):
    """TF's (key, counter) of a stateless op's seed [s0, s1] (GenerateKey in
    stateless_random_ops.cc): one Philox call on the seed under a fixed key."""
    s0, s1 = (int(v) & ((1 << 64) - 1) for v in np.asarray(seed).reshape(-1)[:2])
    words = [s0 & 0xFFFFFFFF, s0 >> 32, s1 & 0xFFFFFFFF, s1 >> 32]
    mix = philox([[w] for w in words], (0x3EC8F720, 0x02461E29))[:, 0]
    return (int(mix[0]), int(mix[1])), (0, 0, int(mix[2]), int(mix[3]))


def state_key_counter(state):
    """(key, counter) of a Generator state [counter lo, counter hi, key] (uint64 values)."""
    c0, c1, k = (int(v) & ((1 << 64) - 1) for v in state)
    return ((k & 0xFFFFFFFF, k >> 32),
            (c0 & 0xFFFFFFFF, c0 >> 32, c1 & 0xFFFFFFFF, c1 >> 32))


def skip(state, n):
    """A Generator state with its 128-bit counter advanced by `n`."""
    c0, c1, k = (int(v) & ((1 << 64) - 1) for v in state)
    c = ((c1 << 64) | c0) + int(n)
    return [c & ((1 << 64) - 1), (c >> 64) & ((1 << 64) - 1), k]


def _philox_block(lo, hi, k0, k1, buf):   # pragma: no cover (compiled by numba)
    """One Philox4x32-10 call on the 128-bit counter (lo, hi) under key (k0, k1), into buf's
    four words; `_block_kernel` compiles it (as this module's global, so the kernels that call
    it stay cacheable) for the kernels below."""
    m0, m1 = np.uint64(0xD2511F53), np.uint64(0xCD9E8D57)
    mask = np.uint64(0xFFFFFFFF)
    x0, x1 = lo & mask, lo >> np.uint64(32)
    x2, x3 = hi & mask, hi >> np.uint64(32)
    a, b = k0, k1
    for _ in range(10):
        p0, p1 = m0 * x0, m1 * x2
        x0, x1, x2, x3 = ((p1 >> np.uint64(32)) ^ x1 ^ a, p1 & mask,
                          (p0 >> np.uint64(32)) ^ x3 ^ b, p0 & mask)
        a = (a + np.uint64(0x9E3779B9)) & mask
        b = (b + np.uint64(0xBB67AE85)) & mask
    buf[0], buf[1], buf[2], buf[3] = x0, x1, x2, x3


def _block_kernel():
    global _philox_block
    if "block" not in _KERNEL:
        import numba
        _philox_block = _KERNEL["block"] = numba.njit(cache=True, nogil=True)(_philox_block)


def _philox_kernel():
    """Philox4x32-10 over consecutive 128-bit counters, compiled by numba (the numpy version
    above, `philox`, makes ~40 array passes; this is one loop)."""
    k = _KERNEL.get("philox")
    if k is None:
        import numba

        _block_kernel()

        @numba.njit(cache=True, nogil=True)
        def run(c0, c1, c2, c3, k0, k1, out):   # pragma: no cover (compiled)
            buf = np.empty(4, np.uint64)
            for i in range(out.shape[0]):
                # counter + i over 128 bits (c0..c3 are 32-bit words held in uint64)
                lo = (c1 << np.uint64(32) | c0) + np.uint64(i)
                hi = c3 << np.uint64(32) | c2
                if lo < np.uint64(i):
                    hi += np.uint64(1)
                _philox_block(lo, hi, k0, k1, buf)
                out[i, 0], out[i, 1], out[i, 2], out[i, 3] = buf[0], buf[1], buf[2], buf[3]
        k = _KERNEL["philox"] = run
    return k


def _words(key, counter, calls):
    """The uint32 words of `calls` Philox calls, call by call: (calls, 4)."""
    out = np.empty((calls, 4), np.uint32)
    if calls:
        _philox_kernel()(*(np.uint64(int(w) & 0xFFFFFFFF) for w in counter),
                         np.uint64(int(key[0]) & 0xFFFFFFFF),
                         np.uint64(int(key[1]) & 0xFFFFFFFF), out)
    return out


def _unit_f32(w):
    return ((np.uint32(127 << 23) | (w & np.uint32(0x7FFFFF))).view(np.float32)
            - np.float32(1.0))


def unit_f64(hi, lo):
    """TF's Uint64ToDouble: 52 mantissa bits from the words (hi, lo) as a double in [0, 1)."""
    man = ((hi & np.uint32(0xFFFFF)).astype(np.uint64) << np.uint64(32)) | lo.astype(np.uint64)
    return ((np.uint64(1023) << np.uint64(52)) | man).view(np.float64) - 1.0


_KERNEL = {}


def _box_muller_kernel():
    """The Box-Muller loop compiled by numba (imported at the first normal draw): its
    math.log / sin / cos are the C library's, as TF's kernels call them - numpy's own
    vectorized float32 functions differ from those in the last bit for ~1/3 of the values."""
    k = _KERNEL.get("bm")
    if k is None:
        import numba

        @numba.njit(cache=True, nogil=True)
        def box_muller(u1, v1, out):   # pragma: no cover (compiled)
            for i in range(u1.shape[0]):
                u2 = math.sqrt(u1.dtype.type(-2.0) * math.log(u1[i]))
                out[2 * i] = math.sin(v1[i]) * u2
                out[2 * i + 1] = math.cos(v1[i]) * u2
        k = _KERNEL["bm"] = box_muller
    return k


def _box_muller(u1, v1):
    """(sin(v1) * r, cos(v1) * r) interleaved, r = sqrt(-2 log u1), in u1's precision."""
    out = np.empty(2 * u1.size, u1.dtype)
    _box_muller_kernel()(np.ascontiguousarray(u1.reshape(-1)),
                         np.ascontiguousarray(v1.reshape(-1)), out)
    return out


def _normal_f32(w):
    """TF's BoxMullerFloat on word pairs; 2 * pi * u in double, rounded (M_PI is a double)."""
    u1 = np.maximum(_unit_f32(w[:, 0::2]), np.float32(1e-7))
    v1 = (2.0 * np.pi * _unit_f32(w[:, 1::2]).astype(np.float64)).astype(np.float32)
    return _box_muller(u1, v1)


def _normal_f64(w):
    """TF's BoxMullerDouble on two word pairs per value pair."""
    u1 = np.maximum(unit_f64(w[:, 0], w[:, 1]), 1e-7)
    v1 = 2.0 * np.pi * unit_f64(w[:, 2], w[:, 3])
    return _box_muller(u1, v1)


def _truncated_kernel():
    """TF's TruncatedNormalDistribution under FillPhiloxRandom, compiled by numba: output group
    g (4 float32 / 2 float64 values) reads Philox words one by one from counter + 256 g
    (TF's reservation per group), Box-Muller on word pairs (quads for float64), keeping the
    values with |z| < 2 until the group is full."""
    k = _KERNEL.get("tn")
    if k is None:
        import numba

        _block_kernel()

        @numba.njit(cache=True, nogil=True)
        def run(c0, c1, c2, c3, k0, k1, out, wide):   # pragma: no cover (compiled)
            group = 2 if wide else 4
            words = 4 if wide else 2                  # words per Box-Muller pair
            buf = np.empty(4, np.uint64)
            w = np.empty(4, np.uint64)
            base_lo = c1 << np.uint64(32) | c0
            base_hi = c3 << np.uint64(32) | c2
            eps32, two = np.float32(1e-7), 2.0
            for g in range((out.shape[0] + group - 1) // group):
                lo = base_lo + np.uint64(256 // (4 // group) * g)
                hi = base_hi + (np.uint64(1) if lo < base_lo else np.uint64(0))
                used = 4                               # words of buf consumed
                filled = 0
                while filled < group:
                    for j in range(words):
                        if used == 4:
                            _philox_block(lo, hi, k0, k1, buf)
                            lo += np.uint64(1)
                            if lo == np.uint64(0):
                                hi += np.uint64(1)
                            used = 0
                        w[j] = buf[used]
                        used += 1
                    if wide:
                        m1 = ((w[0] & np.uint64(0xFFFFF)) << np.uint64(32)) | w[1]
                        m2 = ((w[2] & np.uint64(0xFFFFF)) << np.uint64(32)) | w[3]
                        u1 = max(np.float64(m1) * 2.0 ** -52, 1e-7)
                        v1 = 2.0 * np.pi * (np.float64(m2) * 2.0 ** -52)
                        r = math.sqrt(-2.0 * math.log(u1))
                        f0, f1 = math.sin(v1) * r, math.cos(v1) * r
                    else:
                        u = np.float32(np.float64(w[0] & np.uint64(0x7FFFFF)) * 2.0 ** -23)
                        u = max(u, eps32)
                        v = np.float32(2.0 * np.pi
                                       * np.float64(w[1] & np.uint64(0x7FFFFF)) * 2.0 ** -23)
                        r32 = math.sqrt(np.float32(-2.0) * math.log(u))
                        f0, f1 = math.sin(v) * r32, math.cos(v) * r32
                    for f in (f0, f1):
                        if abs(f) < two and filled < group:
                            i = g * group + filled
                            if i < out.shape[0]:
                                out[i] = f
                            filled += 1
        k = _KERNEL["tn"] = run
    return k


def _truncated(key, counter, n, dtype):
    out = np.empty(n, dtype)
    if n:
        _truncated_kernel()(*(np.uint64(int(w) & 0xFFFFFFFF) for w in counter),
                            np.uint64(int(key[0]) & 0xFFFFFFFF),
                            np.uint64(int(key[1]) & 0xFFFFFFFF), out, dtype.itemsize == 8)
    return out


def _per_call(dist, dtype):
    wide = np.dtype(dtype).itemsize == 8
    return 2 if wide else 4


#: (distribution, dtype) pairs this module draws as TF does
SUPPORTED = {(d, t) for d in ("normal", "uniform", "truncated_normal")
             for t in ("float32", "float64")} | \
    {(d, t) for d in ("uniform_int", "full_int") for t in ("int32", "int64", "uint32",
                                                           "uint64")}


def calls_for(dist, dtype, n):
    """The number of Philox calls `n` values take."""
    k = _per_call(dist, dtype)
    return -(-int(n) // k)


def sample(dist, key, counter, shape, dtype, lo=None, hi=None):
    """`shape` values of `dist` ('normal', 'uniform', 'uniform_int' in [lo, hi), 'full_int')
    drawn from the Philox stream (key, counter) as TF's kernels draw them."""
    dtype = np.dtype(dtype)
    n = int(np.prod(shape, dtype=np.int64))
    if dist == "truncated_normal":
        return _truncated(key, counter, n, dtype).reshape(shape)
    w = _words(key, counter, calls_for(dist, dtype, n))      # (calls, 4)
    if dist == "uniform":
        if dtype == np.float32:
            out = _unit_f32(w.reshape(-1))
        else:
            out = unit_f64(w[:, 0::2].reshape(-1), w[:, 1::2].reshape(-1))
    elif dist == "normal":
        out = _normal_f32(w) if dtype == np.float32 else _normal_f64(w)
    elif dtype.itemsize == 4:     # one word per value (modular arithmetic in uint32)
        out = w.reshape(-1)
        if dist == "uniform_int":
            span = np.uint32((int(hi) - int(lo)) & 0xFFFFFFFF)
            out = np.uint32(int(lo) & 0xFFFFFFFF) + out % span
        out = out.view(dtype)
    else:                         # two words per value (modular arithmetic in uint64)
        out = w[:, 0::2].reshape(-1).astype(np.uint64) | \
            (w[:, 1::2].reshape(-1).astype(np.uint64) << np.uint64(32))
        if dist == "uniform_int":
            span = np.uint64((int(hi) - int(lo)) & ((1 << 64) - 1))
            out = np.uint64(int(lo) & ((1 << 64) - 1)) + out % span
        out = out.view(dtype)
    out = out[:n]
    return out.astype(dtype, copy=False).reshape(shape)
