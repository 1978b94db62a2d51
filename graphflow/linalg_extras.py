"""`tf.linalg` / `tf.math` pieces of TF's linear-algebra guide and API beyond the op table:
`diag` / `diag_part` / `set_diag` with TF's `k` (one diagonal or a band k=(lo, hi)),
`num_rows` / `num_cols`, `padding_value` and `align` (MatrixDiagV3), `banded_triangular_solve`,
`logm`, and `tf.math.nextafter` / `tf.math.sobol_sample`. Compositions of existing ops
(gathers with constant index maps, triangular solves, matrix square roots), so they trace and
differentiate.

>>> import graphflow as tf
>>> tf.linalg.diag_part(tf.constant([[1., 2., 3.], [4., 5., 6.], [7., 8., 9.]]),
...                     k=(-1, 1)).numpy().tolist()
[[0.0, 2.0, 6.0], [1.0, 5.0, 9.0], [4.0, 8.0, 0.0]]
"""
import numpy as np

from . import dtypes as _dt
from .errors import InvalidArgumentError
from .ops import complex_ops as _cx, linalg_ops as _la, math_ops as _m, misc_ops as _misc
from .ops import shape_ops as _s
from .ops.matrix_functions import sqrtm
from .ops.segment_ops import known_value
from .tensor import Tensor, constant, to_tensor  # noqa: F401  (constant: doctests)

__all__ = ["diag", "diag_part", "set_diag", "banded_triangular_solve", "logm",
           "nextafter", "sobol_sample"]

_ALIGNS = ("RIGHT_LEFT", "LEFT_RIGHT", "LEFT_LEFT", "RIGHT_RIGHT")


def _band(k):
    k = np.asarray(k.numpy() if isinstance(k, Tensor) else k).reshape(-1)
    lo, hi = (int(k[0]), int(k[0])) if k.size == 1 else (int(k[0]), int(k[1]))
    if lo > hi:
        raise ValueError(f"tf.linalg diag: k=({lo}, {hi}): the lower diagonal must not be above "
                         "the upper one")
    return lo, hi


def _diag_len(d, m, n):
    """Length of diagonal d of an m x n matrix."""
    return max(0, min(m + min(d, 0), n - max(d, 0)))


def _slots(m, n, lo, hi, align, op):
    """[(diagonal row, slot, matrix row, matrix col)] of the band lo..hi of an m x n matrix in
    MatrixDiagV3's packed layout: diagonal hi first; a diagonal shorter than the longest one
    is padded on the side `align` says (superdiagonals by its first word, subdiagonals by
    its second)."""
    if align not in _ALIGNS:
        raise ValueError(f"tf.linalg.{op}: align must be one of {_ALIGNS}, got {align!r}")
    width = max(_diag_len(d, m, n) for d in range(lo, hi + 1))
    out = []
    for r, d in enumerate(range(hi, lo - 1, -1)):
        length = _diag_len(d, m, n)
        side = align.split("_")[0 if d >= 0 else 1]
        off = width - length if side == "RIGHT" else 0
        for j in range(length):
            i = j - min(d, 0)
            out.append((r, off + j, i, i + d))
    return out, width


def _pad(lead, value, dtype):
    """A [..., 1] column of `value` (the slot the index maps point at for padding)."""
    return _s.broadcast_to(_m.cast(to_tensor(value), dtype), lead + [1])


def diag_part(input, name="diag_part", k=0, padding_value=0, align="RIGHT_LEFT"):
    """The k-th diagonal of each matrix ([..., len]), or the band k=(lo, hi) as
    [..., hi - lo + 1, longest len] (diagonal hi first, shorter ones padded with
    `padding_value` as `align` says), as TF's `tf.linalg.diag_part`.

    >>> diag_part(constant([[1., 2.], [3., 4.]]), k=1).numpy().tolist()
    [2.0]
    """
    x = to_tensor(input)
    m, n = int(x.shape[-2]), int(x.shape[-1])
    lo, hi = _band(k)
    slots, width = _slots(m, n, lo, hi, align, "diag_part")
    pos = np.full((hi - lo + 1, width), m * n, np.int64)   # m * n: the padding slot
    for r, s, i, j in slots:
        pos[r, s] = i * n + j
    lead = [int(d) for d in x.shape[:-2]]
    flat = _s.concat([_s.reshape(x, lead + [m * n]), _pad(lead, padding_value, x.dtype)], -1)
    out = _s.gather(flat, constant(pos), axis=len(lead))
    return out[..., 0, :] if lo == hi else out


def diag(diagonal, name="diag", k=0, num_rows=-1, num_cols=-1, padding_value=0,
         align="RIGHT_LEFT"):
    """Matrices with `diagonal` on diagonal k (or the band k=(lo, hi), diagonals packed as
    `diag_part` returns them) and `padding_value` elsewhere, as TF's `tf.linalg.diag`; the
    matrices are square (n + |k|) unless `num_rows` / `num_cols` say otherwise.

    >>> diag(constant([1., 2.]), k=1).numpy().tolist()
    [[0.0, 1.0, 0.0], [0.0, 0.0, 2.0], [0.0, 0.0, 0.0]]
    """
    d = to_tensor(diagonal)
    lo, hi = _band(k)
    if lo != hi:
        if d.shape[-2] != hi - lo + 1:
            raise ValueError(f"tf.linalg.diag: k=({lo}, {hi}) needs {hi - lo + 1} diagonals in "
                             f"axis -2, got diagonal of shape {list(d.shape)}")
    else:
        d = _s.expand_dims(d, -2)
    width = int(d.shape[-1])
    m, n = int(num_rows), int(num_cols)
    min_rows, min_cols = width - min(hi, 0), width + max(lo, 0)   # TF's MatrixDiagV3 sizes
    if m < 0 and n < 0:
        m = n = max(min_rows, min_cols)
    m, n = m if m >= 0 else min_rows, n if n >= 0 else min_cols
    slots, w = _slots(m, n, lo, hi, align, "diag")
    if w != width:
        raise InvalidArgumentError(f"tf.linalg.diag: diagonal of length {width} does not fit a {m}x{n} "
                         f"matrix's diagonals k=({lo}, {hi}) (longest {w})")
    ndiag = hi - lo + 1
    pos = np.full((m, n), ndiag * width, np.int64)
    for r, s, i, j in slots:
        pos[i, j] = r * width + s
    lead = [int(v) for v in d.shape[:-2]]
    flat = _s.concat([_s.reshape(d, lead + [ndiag * width]), _pad(lead, padding_value, d.dtype)],
                     -1)
    return _s.gather(flat, constant(pos), axis=len(lead))


def set_diag(input, diagonal, name="set_diag", k=0, align="RIGHT_LEFT"):
    """`input` with diagonal k (or the band k=(lo, hi)) replaced by `diagonal`, as TF's
    `tf.linalg.set_diag`.

    >>> set_diag(constant([[1., 2.], [3., 4.]]), constant([0.]), k=1).numpy().tolist()
    [[1.0, 0.0], [3.0, 4.0]]
    """
    x = to_tensor(input)
    m, n = int(x.shape[-2]), int(x.shape[-1])
    lo, hi = _band(k)
    mask = np.zeros((m, n), bool)
    for _, _, i, j in _slots(m, n, lo, hi, align, "set_diag")[0]:
        mask[i, j] = True
    placed = diag(_m.cast(to_tensor(diagonal), x.dtype), k=(lo, hi) if lo != hi else lo,
                  num_rows=m, num_cols=n, align=align)
    return _m.where(constant(mask), placed, x)


def banded_triangular_solve(bands, rhs, lower=True, adjoint=False, name=None):
    """X with A X = rhs for the banded triangular A whose K diagonals are the rows of `bands`
    ([..., K, M]; lower: the main diagonal first, then the subdiagonals; upper: the K-1-th
    superdiagonal first, the main diagonal last; 'LEFT_RIGHT' alignment), as TF's
    `tf.linalg.banded_triangular_solve`.

    >>> banded_triangular_solve(constant([[1., 2., 3.], [4., 5., 6.]]),
    ...                         constant([[1.], [2.], [3.]])).numpy().tolist()
    [[1.0], [-1.5], [4.0]]
    """
    b = to_tensor(bands)
    kk, mm = int(b.shape[-2]), int(b.shape[-1])
    band = (-(kk - 1), 0) if lower else (0, kk - 1)
    a = diag(b, k=band, num_rows=mm, num_cols=mm, align="LEFT_RIGHT") if kk > 1 else \
        diag(b[..., 0, :])
    return _la.triangular_solve(a, to_tensor(rhs, b.dtype), lower=lower, adjoint=adjoint)


def logm(input, name=None):
    """The principal matrix logarithm of complex matrices (`tf.linalg.logm`), by inverse
    scaling and squaring: square roots until the matrix is near I, then the series
    log A = 2 atanh((A - I)(A + I)^-1), scaled back. Computed in float64 on the real 2n x 2n
    form [[X, -Y], [Y, X]] of A = X + iY (an algebra homomorphism, so functions of A map
    over); needs no eigenvalues on the closed negative real axis.

    >>> import graphflow as tf
    >>> a = tf.complex(tf.constant([[2., 0.], [0., 3.]]), tf.zeros([2, 2]))
    >>> [round(v, 5) for v in tf.math.real(logm(a)).numpy().ravel().tolist()]
    [0.69315, 0.0, 0.0, 1.09861]
    """
    a = to_tensor(input)
    if not a.dtype.is_complex:
        raise TypeError(f"tf.linalg.logm: expects a complex64/complex128 tensor, got "
                        f"{a.dtype.name}{list(a.shape)} (as TF's MatrixLogarithm)")
    n = int(a.shape[-1])
    x, y = (_m.cast(f(a), _dt.float64) for f in (_cx.real, _cx.imag))
    big = _s.concat([_s.concat([x, -y], -1), _s.concat([y, x], -1)], -2)
    v = known_value(a)
    eye = constant(np.eye(2 * n))
    steps = 12
    if v is not None and v.size:   # enough square roots that ||A^(1/2^s) - I|| is small
        w = np.abs(np.log(np.abs(np.linalg.eigvals(v.astype(np.complex128))) + 1e-300)).max()
        steps = int(np.clip(np.ceil(np.log2(max(w, 1e-3) / 0.05)), 2, 40))
    for _ in range(steps):
        big = sqrtm(big)
    z = _m.matmul(big - eye, _la.inv(big + eye))
    z2, term, acc = _m.matmul(z, z), z, z
    for j in range(1, 12):
        term = _m.matmul(term, z2)
        acc = acc + term * (1.0 / (2 * j + 1))
    out = acc * float(2.0 ** (steps + 1))
    re, im = out[..., :n, :n], out[..., n:, :n]
    part = _dt.float32 if a.dtype == _dt.complex64 else _dt.float64
    return _cx.complex(_m.cast(re, part), _m.cast(im, part))


def nextafter(x1, x2, name=None):
    """The next representable float after x1 towards x2, elementwise (`tf.math.nextafter`;
    float32 / float64; no gradient, as TF's NextAfter).

    >>> import graphflow as tf
    >>> float(nextafter(tf.constant(1., tf.float64), 2.) - 1.)
    2.220446049250313e-16
    """
    a = to_tensor(x1)
    b = to_tensor(x2, a.dtype)
    if a.dtype not in (_dt.float32, _dt.float64):
        raise TypeError(f"tf.math.nextafter: expects float32/float64, got {a.dtype.name}")
    it = _dt.int32 if a.dtype == _dt.float32 else _dt.int64
    bits = _misc.bitcast(a, it)
    up = _m.equal(_m.greater(b, a), _m.greater_equal(a, _m.zeros_like(a)))   # away from 0?
    step = _m.where(up, _m.ones_like(bits), -_m.ones_like(bits))
    moved = _misc.bitcast(bits + step, a.dtype)
    tiny = _misc.bitcast(_m.ones_like(bits), a.dtype)   # the smallest subnormal
    from_zero = _m.where(_m.greater(b, a), tiny, -tiny)
    out = _m.where(_m.equal(a, _m.zeros_like(a)), from_zero, moved)
    out = _m.where(_m.equal(a, b), b, out)
    nan = _m.logical_or(_m.not_equal(a, a), _m.not_equal(b, b))
    return _m.where(nan, a + b, out)


# Joe & Kuo's new-joe-kuo-6.21201 direction numbers (dimensions 2..16): (s, a, m_1..m_s)
_JOE_KUO = [(1, 0, (1,)), (2, 1, (1, 3)), (3, 1, (1, 3, 1)), (3, 2, (1, 1, 1)),
            (4, 1, (1, 1, 3, 3)), (4, 4, (1, 3, 5, 13)), (5, 2, (1, 1, 5, 5, 17)),
            (5, 4, (1, 1, 5, 5, 5)), (5, 7, (1, 1, 7, 11, 19)), (5, 11, (1, 1, 5, 1, 1)),
            (5, 13, (1, 1, 1, 3, 11)), (5, 14, (1, 3, 5, 5, 31)), (6, 1, (1, 3, 3, 9, 7, 49)),
            (6, 13, (1, 1, 1, 15, 21, 21)), (6, 16, (1, 3, 1, 13, 27, 49))]


def _directions(dim, bits=32):
    v = np.zeros((dim, bits), np.uint64)
    v[0] = [1 << (bits - 1 - i) for i in range(bits)]
    for d in range(1, dim):
        s, a, m = _JOE_KUO[d - 1]
        for i in range(bits):
            if i < s:
                v[d, i] = m[i] << (bits - 1 - i)
            else:
                x = v[d, i - s] ^ (v[d, i - s] >> np.uint64(s))
                for k in range(1, s):
                    if (a >> (s - 1 - k)) & 1:
                        x ^= v[d, i - k]
                v[d, i] = x
    return v


def sobol_sample(dim, num_results, skip=0, dtype=_dt.float32, name=None):
    """Points num `skip`+1 .. `skip`+`num_results` of the Sobol sequence in [0, 1)^dim (Joe &
    Kuo direction numbers, Gray-code order; the all-zero first point is skipped, as TF's
    `tf.math.sobol_sample`); up to 16 dimensions.

    >>> sobol_sample(2, 3).numpy().tolist()
    [[0.5, 0.5], [0.75, 0.25], [0.25, 0.75]]
    """
    dim, num, skip = int(dim), int(num_results), int(skip)
    if not 1 <= dim <= len(_JOE_KUO) + 1:
        raise ValueError(f"tf.math.sobol_sample: dim={dim}; graphflow has direction numbers "
                         f"for 1..{len(_JOE_KUO) + 1} dimensions")
    v = _directions(dim)
    x = np.zeros(dim, np.uint64)
    out = np.empty((num, dim), np.float64)
    for i in range(1, skip + num + 1):   # Gray code: flip the lowest zero bit of i - 1
        c = (~(i - 1) & i).bit_length() - 1
        x ^= v[:, c]
        if i > skip:
            out[i - skip - 1] = x / 2.0 ** 32
    return constant(out, _dt.as_dtype(dtype))
