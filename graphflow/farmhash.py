"""TF's string hashes, as Keras's `Hashing` and the lookups' extra OOV buckets use them:
`Fingerprint64` (FarmHash's farmhashna::Hash64; `tf.strings.to_hash_bucket_fast(s, n) ==
fingerprint64(s) % n`) and the keyed SipHash-2-4 of `to_hash_bucket_strong` (a `salt`). Pure
Python on 64-bit integers (masked), one value at a time.

>>> fingerprint64(b"")
11160318154034397263
"""
import struct

import numpy as np


_M = (1 << 64) - 1
K0, K1, K2 = 0xc3a5c85c97cb3127, 0xb492b66fbe98f273, 0x9ae16a3b2f90404f


def _f64(s, i):
    return struct.unpack_from("<Q", s, i)[0]


def _f32(s, i):
    return struct.unpack_from("<I", s, i)[0]


def _rot(v, shift):
    return v if shift == 0 else ((v >> shift) | (v << (64 - shift))) & _M


def _shift_mix(v):
    return v ^ (v >> 47)


def _len16(u, v, mul):
    a = ((u ^ v) * mul) & _M
    a ^= a >> 47
    b = ((v ^ a) * mul) & _M
    b ^= b >> 47
    return (b * mul) & _M


def _len0to16(s, n):
    if n >= 8:
        mul = K2 + n * 2
        a = (_f64(s, 0) + K2) & _M
        b = _f64(s, n - 8)
        c = (_rot(b, 37) * mul + a) & _M
        d = ((_rot(a, 25) + b) * mul) & _M
        return _len16(c, d, mul)
    if n >= 4:
        mul = K2 + n * 2
        return _len16((n + (_f32(s, 0) << 3)) & _M, _f32(s, n - 4), mul)
    if n > 0:
        a, b, c = s[0], s[n >> 1], s[n - 1]
        y = (a + (b << 8)) & 0xffffffff
        z = (n + (c << 2)) & 0xffffffff
        return (_shift_mix(((y * K2) ^ (z * K0)) & _M) * K2) & _M
    return K2


def _len17to32(s, n):
    mul = K2 + n * 2
    a = (_f64(s, 0) * K1) & _M
    b = _f64(s, 8)
    c = (_f64(s, n - 8) * mul) & _M
    d = (_f64(s, n - 16) * K2) & _M
    return _len16((_rot((a + b) & _M, 43) + _rot(c, 30) + d) & _M,
                  (a + _rot((b + K2) & _M, 18) + c) & _M, mul)


def _len33to64(s, n):
    mul = K2 + n * 2
    a = (_f64(s, 0) * K2) & _M
    b = _f64(s, 8)
    c = (_f64(s, n - 8) * mul) & _M
    d = (_f64(s, n - 16) * K2) & _M
    y = (_rot((a + b) & _M, 43) + _rot(c, 30) + d) & _M
    z = _len16(y, (a + _rot((b + K2) & _M, 18) + c) & _M, mul)
    e = (_f64(s, 16) * mul) & _M
    f = _f64(s, 24)
    g = ((y + _f64(s, n - 32)) * mul) & _M
    h = ((z + _f64(s, n - 24)) * mul) & _M
    return _len16((_rot((e + f) & _M, 43) + _rot(g, 30) + h) & _M,
                  (e + _rot((f + a) & _M, 18) + g) & _M, mul)


def _weak32(s, i, a, b):
    w, x, y, z = _f64(s, i), _f64(s, i + 8), _f64(s, i + 16), _f64(s, i + 24)
    a = (a + w) & _M
    b = _rot((b + a + z) & _M, 21)
    c = a
    a = (a + x + y) & _M
    b = (b + _rot(a, 44)) & _M
    return (a + z) & _M, (b + c) & _M


def fingerprint64(s):
    """TF's Fingerprint64 of bytes `s` (FarmHash farmhashna::Hash64), an unsigned 64-bit int.

    >>> fingerprint64(b"hello") % 10
    6
    """
    n = len(s)
    if n <= 16:
        return _len0to16(s, n)
    if n <= 32:
        return _len17to32(s, n)
    if n <= 64:
        return _len33to64(s, n)
    seed = 81
    x = seed
    y = (seed * K1 + 113) & _M
    z = (_shift_mix((y * K2 + 113) & _M) * K2) & _M
    v, w = (0, 0), (0, 0)
    x = (x * K2 + _f64(s, 0)) & _M
    end = ((n - 1) // 64) * 64
    last64 = end + ((n - 1) & 63) - 63
    i = 0
    while True:
        x = (_rot((x + y + v[0] + _f64(s, i + 8)) & _M, 37) * K1) & _M
        y = (_rot((y + v[1] + _f64(s, i + 48)) & _M, 42) * K1) & _M
        x ^= w[1]
        y = (y + v[0] + _f64(s, i + 40)) & _M
        z = (_rot((z + w[0]) & _M, 33) * K1) & _M
        v = _weak32(s, i, (v[1] * K1) & _M, (x + w[0]) & _M)
        w = _weak32(s, i + 32, (z + w[1]) & _M, (y + _f64(s, i + 16)) & _M)
        z, x = x, z
        i += 64
        if i == end:
            break
    mul = K1 + ((z & 0xff) << 1)
    i = last64
    w = ((w[0] + ((n - 1) & 63)) & _M, w[1])
    v = ((v[0] + w[0]) & _M, v[1])
    w = ((w[0] + v[0]) & _M, w[1])
    x = (_rot((x + y + v[0] + _f64(s, i + 8)) & _M, 37) * mul) & _M
    y = (_rot((y + v[1] + _f64(s, i + 48)) & _M, 42) * mul) & _M
    x ^= (w[1] * 9) & _M
    y = (y + v[0] * 9 + _f64(s, i + 40)) & _M
    z = (_rot((z + w[0]) & _M, 33) * mul) & _M
    v = _weak32(s, i, (v[1] * mul) & _M, (x + w[0]) & _M)
    w = _weak32(s, i + 32, (z + w[1]) & _M, (y + _f64(s, i + 16)) & _M)
    z, x = x, z
    return _len16((_len16(v[0], w[0], mul) + _shift_mix(y) * K0 + z) & _M,
                  (_len16(v[1], w[1], mul) + x) & _M, mul)


def hash_bucket_fast(values, num_buckets):
    """`tf.strings.to_hash_bucket_fast` on an array of bytes: fingerprint64 mod num_buckets.

    >>> hash_bucket_fast(np.array([b"a", b"b"], object), 5).tolist()
    [4, 2]
    """
    a = np.asarray(values, dtype=object)
    out = np.fromiter((fingerprint64(v) % num_buckets for v in a.ravel()), "int64", a.size)
    return out.reshape(a.shape)




def _rotl(x, b):
    return ((x << b) | (x >> (64 - b))) & _M


def siphash24(key, s):
    """SipHash-2-4 of bytes `s` with a 128-bit key given as two uint64 (k0, k1): TF's
    StrongKeyedHash, used by `tf.strings.to_hash_bucket_strong` (Keras's salted hashing).

    >>> siphash24((0x0706050403020100, 0x0f0e0d0c0b0a0908), bytes(range(15))) == 0xa129ca6149be45e5
    True
    """
    k0, k1 = key[0] & _M, key[1] & _M
    v0, v1 = k0 ^ 0x736f6d6570736575, k1 ^ 0x646f72616e646f6d
    v2, v3 = k0 ^ 0x6c7967656e657261, k1 ^ 0x7465646279746573

    def rounds(v0, v1, v2, v3, n):
        for _ in range(n):
            v0 = (v0 + v1) & _M
            v1 = _rotl(v1, 13) ^ v0
            v0 = _rotl(v0, 32)
            v2 = (v2 + v3) & _M
            v3 = _rotl(v3, 16) ^ v2
            v0 = (v0 + v3) & _M
            v3 = _rotl(v3, 21) ^ v0
            v2 = (v2 + v1) & _M
            v1 = _rotl(v1, 17) ^ v2
            v2 = _rotl(v2, 32)
        return v0, v1, v2, v3
    n = len(s)
    end = n - n % 8
    for i in range(0, end, 8):
        m = _f64(s, i)
        v3 ^= m
        v0, v1, v2, v3 = rounds(v0, v1, v2, v3, 2)
        v0 ^= m
    last = (n & 0xff) << 56
    for j, byte in enumerate(s[end:]):
        last |= byte << (8 * j)
    v3 ^= last
    v0, v1, v2, v3 = rounds(v0, v1, v2, v3, 2)
    v0 ^= last
    v2 ^= 0xff
    v0, v1, v2, v3 = rounds(v0, v1, v2, v3, 4)
    return v0 ^ v1 ^ v2 ^ v3


def hash_bucket_strong(values, num_buckets, key):
    """`tf.strings.to_hash_bucket_strong` on an array of bytes: SipHash-2-4(key) mod
    num_buckets."""
    a = np.asarray(values, dtype=object)
    out = np.fromiter((siphash24(key, v) % num_buckets for v in a.ravel()), "int64", a.size)
    return out.reshape(a.shape)


def fingerprint_cat64(fp1, fp2):
    """TF's FingerprintCat64: combines two fingerprints (the feature crosses' hash).

    >>> fingerprint_cat64(1, 2) == fingerprint_cat64(2, 1)
    False
    """
    mul = 0xc6a4a7935bd1e995
    r = fp1 ^ mul
    r ^= (_shift_mix((fp2 * mul) & _M) * mul) & _M
    r = (r * mul) & _M
    r = (_shift_mix(r) * mul) & _M
    return _shift_mix(r)


#: tf.sparse.cross_hashed's default hash key
CROSS_HASH_KEY = 0xDECAFCAFFE


def cross_hashed(columns, num_buckets):
    """`tf.sparse.cross_hashed` of dense columns with one value per row (strings hash with
    fingerprint64, integers are used as they are): an int64 array of buckets per row.

    >>> cross_hashed([np.array([b"a", b"b"], object), np.array([1, 2])], 10).shape
    (2,)
    """
    rows = []
    for values in zip(*[np.asarray(c).ravel() for c in columns]):
        h = CROSS_HASH_KEY
        for v in values:
            f = fingerprint64(v) if isinstance(v, bytes) else int(v) & _M
            h = fingerprint_cat64(h, f)
        rows.append(h % num_buckets)
    return np.asarray(rows, "int64")


def hash64(s, seed=0xDECAFCAFFE):
    """TF's legacy `Hash64` (a MurmurHash2-64 with TF's seed) of bytes `s`, the hash of
    `tf.strings.to_hash_bucket`.

    >>> hash64(b"hello") % 1000
    938
    """
    m, r, n = 0xc6a4a7935bd1e995, 47, len(s)
    h = (seed ^ (n * m)) & _M
    whole = n - n % 8
    for i in range(0, whole, 8):
        k = (struct.unpack_from("<Q", s, i)[0] * m) & _M
        k = ((k ^ (k >> r)) * m) & _M
        h = ((h ^ k) * m) & _M
    if n % 8:
        for j in range(n % 8 - 1, -1, -1):
            h ^= s[whole + j] << (8 * j)
        h = (h * m) & _M
    h = ((h ^ (h >> r)) * m) & _M
    return h ^ (h >> r)


def fingerprint_rows(a):
    """`tf.fingerprint(data)`: one Fingerprint64 per row (first dim) as 8 little-endian bytes
    (uint8, (rows, 8)). Numeric rows hash their raw bytes; a string row of one string hashes
    it, a longer row hashes the concatenation of its strings' fingerprints (as TF's kernel).

    >>> fingerprint_rows(np.array([b"hello"], object))[0].tolist()
    [232, 12, 56, 49, 169, 229, 139, 180]
    """
    a = np.asarray(a)
    rows = a.reshape(a.shape[0], -1) if a.ndim else a.reshape(1, 1)
    out = np.zeros((rows.shape[0], 8), np.uint8)
    for i, row in enumerate(rows):
        if a.dtype == object:
            fps = [fingerprint64(v if isinstance(v, bytes) else str(v).encode()) for v in row]
            fp = fps[0] if len(fps) == 1 else fingerprint64(
                b"".join(struct.pack("<Q", f) for f in fps))
        else:
            fp = fingerprint64(np.ascontiguousarray(row).tobytes())
        out[i] = np.frombuffer(struct.pack("<Q", fp), np.uint8)
    return out
