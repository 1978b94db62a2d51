"""Dense linear algebra primitives (batched over leading axes): inverse, determinant, solve,
Cholesky; their VJPs and JVPs are written in graphflow ops (so they differentiate again).

>>> import graphflow as tf
>>> tf.linalg.det(tf.constant([[2., 0.], [0., 3.]])).numpy()
np.float32(6.0)
"""
import numpy as np

from ..dispatch import bind
from ..tensor import constant, convert_args, to_tensor  # noqa: F401  (constant: doctests)
from . import complex_ops as _cx
from . import math_ops as _m
from . import shape_ops as _s
from .registry import ANCHOR, VIA_VJP, Aval, defop, op_error, same_dtype
from ..shapes import dmax, dmin, require_equal

_NO = {}


def _mT(x):
    return _s.transpose(x, list(range(x.ndim - 2)) + [x.ndim - 1, x.ndim - 2])


def _square_rule(name, out="same"):
    def rule(a):
        dt = same_dtype(name, (a,), "f")
        if len(a.shape) < 2 or not require_equal(a.shape[-1], a.shape[-2]):
            raise op_error(name, (a,), "needs square matrices in the last two axes")
        return Aval(tuple(a.shape) if out == "same" else tuple(a.shape[:-2]), dt)
    return rule


def _inv_impl(a):
    try:
        return np.linalg.inv(a).astype(a.dtype)
    except np.linalg.LinAlgError:
        raise ValueError("input is not invertible") from None


INV = defop("matrix_inverse", _inv_impl, _square_rule("matrix_inverse"),
            lambda i, o, g: [-_m.matmul(_m.matmul(o, g, transpose_a=True), o, transpose_b=True)],
            jvp=lambda i, o, t: None if t[0] is None else -_m.matmul(_m.matmul(o, t[0]), o),
            kind=ANCHOR, arity=1)


def inv(input, adjoint=False, name=None):
    """Inverse of each square matrix in the last two axes.

    >>> inv(constant([[2., 0.], [0., 4.]])).numpy()
    array([[0.5 , 0.  ],
           [0.  , 0.25]], dtype=float32)
    """
    a = to_tensor(input)
    out = bind(INV, [a], _NO)
    return _mT(out) if adjoint else out


def _det_vjp(i, o, g):
    return [_s.expand_dims(_s.expand_dims(g * o, -1), -1) * _mT(inv(i[0]))]


def _det_jvp(i, o, t):
    if t[0] is None:
        return None
    return o * _m.reduce_sum(_mT(inv(i[0])) * t[0], [-2, -1])


DET = defop("matrix_determinant", lambda a: np.asarray(np.linalg.det(a)).astype(a.dtype),
            _square_rule("matrix_determinant", "batch"), _det_vjp, jvp=_det_jvp, kind=ANCHOR, arity=1)


def det(input, name=None):
    """Determinant of each square matrix (its gradient needs an invertible matrix).

    >>> print(det(constant([[1., 2.], [3., 4.]])).numpy().round(4))
    -2.0
    """
    return bind(DET, [to_tensor(input)], _NO)


def _solve_rule(a, b):
    dt = same_dtype("matrix_solve", (a, b), "f")
    if len(a.shape) < 2 or not require_equal(a.shape[-1], a.shape[-2]) \
            or len(b.shape) != len(a.shape) or not require_equal(b.shape[-2], a.shape[-1]) \
            or not all([require_equal(p, q) for p, q in zip(b.shape[:-2], a.shape[:-2])]):
        raise op_error("matrix_solve", (a, b), "needs square matrices and right-hand sides [..., n, k]")
    return Aval(tuple(b.shape), dt)


def _solve_impl(a, b):
    try:
        return np.linalg.solve(a, b).astype(a.dtype)
    except np.linalg.LinAlgError:
        raise ValueError("input matrix is not invertible") from None


def _solve_vjp(i, o, g):
    gb = solve(_mT(i[0]), g)
    return [-_m.matmul(gb, o, transpose_b=True), gb]


def _solve_jvp(i, o, t):
    ta, tb = t
    rhs = None if tb is None else tb
    if ta is not None:
        rhs = -_m.matmul(ta, o) if rhs is None else rhs - _m.matmul(ta, o)
    return None if rhs is None else solve(i[0], rhs)


SOLVE = defop("matrix_solve", _solve_impl, _solve_rule, _solve_vjp, jvp=_solve_jvp, kind=ANCHOR, arity=2)


def solve(matrix, rhs, adjoint=False, name=None):
    """X with matrix @ X = rhs (rhs is [..., n, k]).

    >>> solve(constant([[2., 0.], [0., 4.]]), constant([[2.], [2.]])).numpy()
    array([[1. ],
           [0.5]], dtype=float32)
    """
    a, b = convert_args(matrix, rhs, op="matrix_solve")
    if adjoint:
        a = _mT(a)
    return bind(SOLVE, [a, b], _NO)


def _phi(x):
    """Lower triangle with the diagonal halved."""
    n = x.shape[-1]
    mask = np.tril(np.ones((n, n))) - 0.5 * np.eye(n)
    return x * to_tensor(mask, x.dtype)


def _chol_impl(a):
    """numpy's Cholesky; a matrix that is not positive definite gives NaN in its lower
    triangle as TF's CPU kernel does (TF 2.21 raises no error; its upper part is zero here)."""
    try:
        return np.linalg.cholesky(a).astype(a.dtype)
    except np.linalg.LinAlgError:
        pass
    flat = a.reshape((-1,) + a.shape[-2:])
    out = np.zeros_like(flat)
    nan_lower = np.where(np.tril(np.ones(a.shape[-2:], bool)), np.nan, 0).astype(a.dtype)
    for i, m in enumerate(flat):
        try:
            out[i] = np.linalg.cholesky(m)
        except np.linalg.LinAlgError:
            out[i] = nan_lower
    return out.reshape(a.shape)


def _chol_vjp(i, o, g):
    li = inv(o)
    p = _phi(_m.matmul(o, g, transpose_a=True))
    s = _m.matmul(_m.matmul(li, p, transpose_a=True), li)
    return [(s + _mT(s)) * 0.5]


def _chol_jvp(i, o, t):
    if t[0] is None:
        return None
    li = inv(o)
    sym = (t[0] + _mT(t[0])) * 0.5
    return _m.matmul(o, _phi(_m.matmul(_m.matmul(li, sym), li, transpose_b=True)))


CHOLESKY = defop("cholesky", _chol_impl, _square_rule("cholesky"), _chol_vjp, jvp=_chol_jvp,
                 kind=ANCHOR, arity=1)


def cholesky(input, name=None):
    """Lower-triangular L with L @ L^T = input (symmetric positive definite; the gradient is
    taken with respect to the symmetric part, as TF).

    >>> cholesky(constant([[4., 2.], [2., 5.]])).numpy()
    array([[2., 0.],
           [1., 2.]], dtype=float32)
    """
    return bind(CHOLESKY, [to_tensor(input)], _NO)


def trace(x, name=None):
    """Sum of the diagonal of each matrix in the last two axes.

    >>> print(trace(constant([[1., 2.], [3., 4.]])).numpy())
    5.0
    """
    x = to_tensor(x)
    n = min(x.shape[-2:])
    mask = np.eye(x.shape[-2], x.shape[-1])
    del n
    return _m.reduce_sum(x * to_tensor(mask, x.dtype), [-2, -1])


# ------------------------------------------------------------------ triangular_solve
def _tri_mask(n, lower, dtype):
    return to_tensor(np.tril(np.ones((n, n))) if lower else np.triu(np.ones((n, n))), dtype)


def _trisolve_impl(a, b, lower=True, adjoint=False):
    t = np.tril(a) if lower else np.triu(a)
    if adjoint:
        t = np.swapaxes(t, -1, -2)
    try:
        return np.linalg.solve(t, b).astype(a.dtype)
    except np.linalg.LinAlgError:
        raise ValueError("the triangular matrix is singular (a zero on its diagonal)") from None


def _trisolve_rule(a, b, lower=True, adjoint=False):
    return _solve_rule(a, b)


def _trisolve_vjp(i, o, g, lower=True, adjoint=False):
    # TF's linalg_grad.py: gb = solve(A^H, g); gA = -gb c^H (or -c gb^H), in A's triangle
    gb = triangular_solve(i[0], g, lower=lower, adjoint=not adjoint)
    ga = -_m.matmul(o, gb, transpose_b=True) if adjoint else -_m.matmul(gb, o, transpose_b=True)
    return [ga * _tri_mask(i[0].shape[-1], lower, ga.dtype), gb]


def _trisolve_jvp(i, o, t, lower=True, adjoint=False):
    ta, tb = t
    rhs = tb
    if ta is not None:
        ta = ta * _tri_mask(i[0].shape[-1], lower, ta.dtype)
        d = -_m.matmul(_mT(ta) if adjoint else ta, o)
        rhs = d if rhs is None else rhs + d
    return None if rhs is None else triangular_solve(i[0], rhs, lower=lower, adjoint=adjoint)


TRISOLVE = defop("matrix_triangular_solve", _trisolve_impl, _trisolve_rule, _trisolve_vjp,
                 jvp=_trisolve_jvp, kind=ANCHOR, arity=2)


def triangular_solve(matrix, rhs, lower=True, adjoint=False, name=None):
    """X with T @ X = rhs, T the lower (or upper) triangle of `matrix` (the other entries are
    not read), or T^T @ X = rhs with adjoint=True.

    >>> triangular_solve(constant([[2., 0.], [1., 1.]]), constant([[2.], [3.]])).numpy()
    array([[1.],
           [2.]], dtype=float32)
    """
    a, b = convert_args(matrix, rhs, op="matrix_triangular_solve")
    return bind(TRISOLVE, [a, b], {"lower": bool(lower), "adjoint": bool(adjoint)})


# ------------------------------------------------------------------ eigh, svd
# Every primitive has one output: the decompositions return their factors packed into one
# array (eigh: row 0 = eigenvalues, rows 1.. = eigenvectors; svd: s, then U, then V stacked
# along axis -2), the public functions slice them apart, and the VJPs (TF's linalg_grad.py)
# read the cotangents of the pieces the same way.
def _offdiag_reciprocal(x):
    """1 / (x_j - x_i) at [i, j] off the diagonal, 0 on it (TF's f matrix)."""
    n = x.shape[-1]
    eye = to_tensor(np.eye(n), x.dtype)
    d = _s.expand_dims(x, -2) - _s.expand_dims(x, -1)
    return (1.0 - eye) / (d + eye)


def _diag(x):
    return _s.expand_dims(x, -2) * to_tensor(np.eye(x.shape[-1]), x.dtype)


def _eigh_impl(a):
    e, v = np.linalg.eigh(a, UPLO="L")
    return np.concatenate([e[..., None, :], v], axis=-2).astype(a.dtype)


def _eigh_rule(a):
    sq = _square_rule("self_adjoint_eig")(a)
    n = a.shape[-1]
    return Aval(tuple(a.shape[:-2]) + (n + 1, n), sq.dtype)


def _eigh_vjp(i, o, g):
    e, v = o[..., 0, :], o[..., 1:, :]
    ge, gv = g[..., 0, :], g[..., 1:, :]
    inner = _diag(ge) + _offdiag_reciprocal(e) * _m.matmul(v, gv, transpose_a=True)
    ga = _m.matmul(v, _m.matmul(inner, v, transpose_b=True))
    # the op reads the lower triangle only: the gradient lives there (diagonal counted once)
    return [_phi(ga + _mT(ga))]


EIGH = defop("self_adjoint_eig", _eigh_impl, _eigh_rule, _eigh_vjp, jvp=VIA_VJP, kind=ANCHOR,
             arity=1)


def eigh(tensor, name=None):
    """(eigenvalues ascending, eigenvectors as columns) of each symmetric matrix; only the lower
    triangle is read (TF). Gradients need distinct eigenvalues.

    >>> e, v = eigh(constant([[2., 1.], [1., 2.]])); e.numpy()
    array([1., 3.], dtype=float32)
    """
    p = bind(EIGH, [to_tensor(tensor)], _NO)
    return p[..., 0, :], p[..., 1:, :]


def eigvalsh(tensor, name=None):
    """Eigenvalues (ascending) of each symmetric matrix.

    >>> eigvalsh(constant([[2., 0.], [0., 1.]])).numpy()
    array([1., 2.], dtype=float32)
    """
    return eigh(tensor)[0]


def _svd_dims(shape, full_matrices):
    m, n = shape[-2], shape[-1]
    k = dmin(m, n)
    return m, n, k, (dmax(m, n) if full_matrices else k)


def _svd_impl(a, full_matrices=False):
    m, n, k, w = _svd_dims(a.shape, full_matrices)
    u, s, vh = np.linalg.svd(a, full_matrices=full_matrices)
    out = np.zeros(a.shape[:-2] + (1 + m + n, w), a.dtype)
    out[..., 0, :k] = s
    out[..., 1:1 + m, :u.shape[-1]] = u
    out[..., 1 + m:, :vh.shape[-2]] = np.swapaxes(vh, -1, -2)
    return out


def _svd_rule(a, full_matrices=False):
    dt = same_dtype("svd", (a,), "f")
    if len(a.shape) < 2:
        raise op_error("svd", (a,), "needs matrices [..., m, n]")
    m, n, k, w = _svd_dims(a.shape, full_matrices)
    return Aval(tuple(a.shape[:-2]) + (1 + m + n, w), dt)


def _tall_or_wide(op, a):
    """(m > n, m < n) of matrices `a` — the gradients' formulas differ, so (as in TF) an order
    undecidable while tracing is an error."""
    m, n = a.shape[-2], a.shape[-1]
    try:
        return m > n, m < n
    except TypeError:
        raise op_error(op, (a,), "the gradient needs to know at trace time whether the matrices "
                       "have more rows or more columns: give m and n in the input_signature"
                       ) from None


def _svd_vjp(i, o, g, full_matrices=False):
    m, n = i[0].shape[-2], i[0].shape[-1]
    k = dmin(m, n)
    tall, wide = _tall_or_wide("svd", i[0])
    if full_matrices and (tall or wide):
        raise NotImplementedError("svd: the gradient with full_matrices=True needs square "
                                  "matrices (use full_matrices=False)")
    s, u, v = o[..., 0, :k], o[..., 1:1 + m, :k], o[..., 1 + m:, :k]
    gs, gu, gv = g[..., 0, :k], g[..., 1:1 + m, :k], g[..., 1 + m:, :k]
    adjoint = tall   # TF: differentiate A^T = V S U^T instead, transpose at the end
    if adjoint:
        m, n, u, v, gu, gv = n, m, v, u, gv, gu
    # TF's _SvdGrad (full_matrices=False)
    f = _offdiag_reciprocal(s * s)
    s_mat = _diag(s)
    f_u = f * _m.matmul(u, gu, transpose_a=True)
    f_v = f * _m.matmul(v, gv, transpose_a=True)
    inner = _diag(gs) + _m.matmul(f_u + _mT(f_u), s_mat) + _m.matmul(s_mat, f_v + _mT(f_v))
    ga = _m.matmul(u, _m.matmul(inner, v, transpose_b=True))
    if tall or wide:
        gvt = _mT(gv)
        term2 = gvt - _m.matmul(_m.matmul(gvt, v), v, transpose_b=True)
        ga = ga + _m.matmul(u / _s.expand_dims(s, -2), term2)
    return [_mT(ga) if adjoint else ga]


SVD = defop("svd", _svd_impl, _svd_rule, _svd_vjp, jvp=VIA_VJP, kind=ANCHOR, arity=1)


def svd(tensor, full_matrices=False, compute_uv=True, name=None):
    """Singular value decomposition A = U diag(s) V^T: returns (s, u, v) as TF (s descending),
    or s alone with compute_uv=False. Gradients need distinct non-zero singular values.

    >>> s, u, v = svd(constant([[3., 0.], [0., -2.]])); s.numpy()
    array([3., 2.], dtype=float32)
    """
    a = to_tensor(tensor)
    p = bind(SVD, [a], {"full_matrices": bool(full_matrices)})
    m, n = a.shape[-2], a.shape[-1]
    k = dmin(m, n)
    s = p[..., 0, :k]
    if not compute_uv:
        return s
    ku, kv = (m, n) if full_matrices else (k, k)
    return s, p[..., 1:1 + m, :ku], p[..., 1 + m:, :kv]


# ------------------------------------------------------------------ compositions
# (no primitives of their own: their gradients come from the ops they are made of)
def _eye_like(x, m, n):
    return to_tensor(np.eye(m, n), x.dtype)


def diag(diagonal, name=None):
    """Square matrices with `diagonal` ([..., n]) on the main diagonal (`tf.linalg.diag`, k=0).

    >>> diag(constant([1., 2.])).numpy()
    array([[1., 0.],
           [0., 2.]], dtype=float32)
    """
    d = to_tensor(diagonal)
    n = d.shape[-1]
    return _s.expand_dims(d, -1) * _eye_like(d, n, n)


def diag_part(input, name=None):
    """The main diagonal of each matrix ([..., min(m, n)]).

    >>> diag_part(constant([[1., 2.], [3., 4.]])).numpy()
    array([1., 4.], dtype=float32)
    """
    x = to_tensor(input)
    m, n = x.shape[-2], x.shape[-1]
    d = _m.reduce_sum(x * _eye_like(x, m, n), -1)
    return d if m <= n else d[..., :n]


def set_diag(input, diagonal, name=None):
    """`input` with its main diagonal replaced by `diagonal` ([..., min(m, n)]).

    >>> set_diag(constant([[1., 2.], [3., 4.]]), constant([0., 0.])).numpy()
    array([[0., 2.],
           [3., 0.]], dtype=float32)
    """
    x, d = convert_args(input, diagonal, op="set_diag")
    m, n = x.shape[-2], x.shape[-1]
    eye = _eye_like(x, m, n)
    placed = _s.expand_dims(d, -1) * eye if m <= n else _s.expand_dims(d, -2) * eye
    return x * (1.0 - eye) + placed


def band_part(input, num_lower, num_upper, name=None):
    """Entries within `num_lower` diagonals below and `num_upper` above the main one, zeros
    elsewhere (a negative count keeps that whole triangle), as TF's band_part.

    >>> band_part(constant([[1., 2., 3.], [4., 5., 6.], [7., 8., 9.]]), 0, -1).numpy()
    array([[1., 2., 3.],
           [0., 5., 6.],
           [0., 0., 9.]], dtype=float32)
    """
    x = to_tensor(input)
    m, n = x.shape[-2], x.shape[-1]
    i, j = np.arange(m)[:, None], np.arange(n)[None, :]
    keep = ((int(num_lower) < 0) | (i - j <= int(num_lower))) & \
        ((int(num_upper) < 0) | (j - i <= int(num_upper)))
    return _m.where(to_tensor(np.broadcast_to(keep, (m, n))), x, _m.zeros_like(x))


def adjoint(matrix, name=None):
    """Conjugate transpose of each matrix in the last two axes.

    >>> adjoint(constant([[1., 2.], [3., 4.]])).numpy()
    array([[1., 3.],
           [2., 4.]], dtype=float32)
    """
    x = to_tensor(matrix)
    t = _mT(x)
    return _cx.conj(t) if x.dtype.is_complex else t


def matvec(a, b, transpose_a=False, adjoint_a=False, name=None):
    """Matrix times vector: a [..., m, n] @ b [..., n] -> [..., m].

    >>> matvec(constant([[1., 2.], [3., 4.]]), constant([1., 1.])).numpy()
    array([3., 7.], dtype=float32)
    """
    a, b = convert_args(a, b, op="matvec")
    if adjoint_a:
        a = adjoint(a)
    return _s.squeeze(_m.matmul(a, _s.expand_dims(b, -1), transpose_a=transpose_a), -1)


def logdet(matrix, name=None):
    """log det of each Hermitian positive-definite matrix, 2 sum(log(diag(cholesky))) (no
    overflow where det itself would).

    >>> print(round(float(logdet(constant([[4., 0.], [0., 9.]]))), 4))
    3.5835
    """
    return 2.0 * _m.reduce_sum(_m.log(diag_part(cholesky(matrix))), -1)


def slogdet(input, name=None):
    """(sign, log|det|) of each square matrix (computed from det: may overflow for huge
    determinants, where TF's LU-based version does not).

    >>> s, l = slogdet(constant([[0., 2.], [3., 0.]])); print(s.numpy(), l.numpy().round(4))
    -1.0 1.7918
    """
    d = det(input)
    return _m.sign(d), _m.log(_m.abs(d))


def cholesky_solve(chol, rhs, name=None):
    """X with A X = rhs, given A's Cholesky factor L (A = L L^T): two triangular solves.

    >>> cholesky_solve(constant([[2., 0.], [1., 1.]]), constant([[4.], [3.]])).numpy()
    array([[0.5],
           [1. ]], dtype=float32)
    """
    y = triangular_solve(chol, rhs, lower=True)
    return triangular_solve(chol, y, lower=True, adjoint=True)


def lstsq(matrix, rhs, l2_regularizer=0.0, fast=True, name=None):
    """Least-squares solutions of matrix @ X ~= rhs (TF's fast path: regularized normal
    equations solved with a Cholesky factorization; matrix [..., m, n], rhs [..., m, k]).

    >>> lstsq(constant([[1., 0.], [0., 1.], [1., 1.]]), constant([[1.], [2.], [3.]])).numpy().round(4)
    array([[1.],
           [2.]], dtype=float32)
    """
    a, b = convert_args(matrix, rhs, op="lstsq")
    m, n = a.shape[-2], a.shape[-1]
    lam = float(l2_regularizer)
    if m >= n:
        gram = _m.matmul(a, a, transpose_a=True) + lam * _eye_like(a, n, n)
        return cholesky_solve(cholesky(gram), _m.matmul(a, b, transpose_a=True))
    gram = _m.matmul(a, a, transpose_b=True) + lam * _eye_like(a, m, m)
    return _m.matmul(a, cholesky_solve(cholesky(gram), b), transpose_a=True)


def pinv(a, rcond=None, validate_args=False, name=None):
    """Moore-Penrose pseudo-inverse via the SVD; singular values at most rcond * max(s) count
    as zero (default rcond: 10 * max(m, n) * eps, as TF).

    >>> pinv(constant([[2., 0.], [0., 0.]])).numpy()
    array([[0.5, 0. ],
           [0. , 0. ]], dtype=float32)
    """
    x = to_tensor(a)
    m, n = x.shape[-2], x.shape[-1]
    if rcond is None:
        rcond = 10.0 * max(m, n) * np.finfo(x.dtype.np).eps
    s, u, v = svd(x)
    cutoff = float(rcond) * _m.reduce_max(s, -1, keepdims=True)
    big = _m.greater(s, cutoff)
    s_inv = _m.where(big, 1.0 / _m.where(big, s, _m.ones_like(s)), _m.zeros_like(s))
    return _m.matmul(v * _s.expand_dims(s_inv, -2), u, transpose_b=True)


def cross(a, b, name=None):
    """Cross product of 3-vectors along the last axis.

    >>> cross(constant([1., 0., 0.]), constant([0., 1., 0.])).numpy()
    array([0., 0., 1.], dtype=float32)
    """
    a, b = convert_args(a, b, op="cross")
    if a.shape[-1] != 3 or b.shape[-1] != 3:
        raise op_error("cross", (a, b), "needs 3-vectors in the last axis")
    return _s.stack([a[..., 1] * b[..., 2] - a[..., 2] * b[..., 1],
                     a[..., 2] * b[..., 0] - a[..., 0] * b[..., 2],
                     a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0]], -1)


def norm(tensor, ord="euclidean", axis=None, keepdims=False, name=None):
    """TF's `tf.norm` / `tf.linalg.norm`: a vector norm over all entries (axis=None) or along
    one axis - ord 'euclidean' (= 2), 1, np.inf or any p > 0 - or a matrix norm over a 2-tuple
    of axes - 'euclidean'/'fro' (Frobenius), 1 (max column sum), np.inf (max row sum), 2 (the
    largest singular value).

    >>> float(norm(constant([3.0, -4.0]))), float(norm(constant([3.0, -4.0]), ord=1))
    (5.0, 7.0)
    >>> float(norm(constant([[1., -2.], [3., 4.]]), ord=np.inf, axis=[-2, -1]))
    7.0
    """
    x = to_tensor(tensor)
    axes = None if axis is None else tuple(int(a) for a in np.atleast_1d(axis))
    matrix = axes is not None and len(axes) == 2
    if axes is not None and len(axes) not in (1, 2):
        raise ValueError(f"norm: axis must be None, an int or a 2-tuple of ints, got {axis!r}")
    p = ord
    ok = p in ("euclidean", "fro", 1, 2, np.inf) if matrix else (
        p == "euclidean" or (not isinstance(p, str) and float(p) > 0))
    if not ok:
        raise ValueError(f"norm: ord={ord!r} is not supported for a "
                         f"{'matrix' if matrix else 'vector'} norm (TF: vector norms take "
                         "'euclidean', 1, 2, np.inf or any p > 0; matrix norms 'euclidean', "
                         "'fro', 1, 2, np.inf)")
    a = _cx.abs(x) if x.dtype.is_complex else x
    if not matrix:
        ax = None if axes is None else axes[0]
        if p in ("euclidean", 2):
            return _m.sqrt(_m.reduce_sum(_m.square(a), axis=ax, keepdims=keepdims))
        if p == 1:
            return _m.reduce_sum(_m.abs(a), axis=ax, keepdims=keepdims)
        if p == np.inf:
            return _m.reduce_max(_m.abs(a), axis=ax, keepdims=keepdims)
        pw = _m.pow(_m.abs(a), float(p))
        return _m.pow(_m.reduce_sum(pw, axis=ax, keepdims=keepdims), 1.0 / float(p))
    r0, r1 = (ax_ % x.ndim for ax_ in axes)
    if r0 == r1:
        raise ValueError(f"norm: the two matrix axes are the same ({axis!r})")
    if p in ("euclidean", "fro"):
        return _m.sqrt(_m.reduce_sum(_m.square(a), axis=[r0, r1], keepdims=keepdims))
    if p == 2:   # the largest singular value of the matrices on axes (r0, r1)
        rest = [i for i in range(x.ndim) if i not in (r0, r1)]
        s = svd(_s.transpose(a, rest + [r0, r1]), compute_uv=False)[..., 0]
        if keepdims:
            for i in sorted((r0, r1)):
                s = _s.expand_dims(s, i)
        return s
    rows, cols = (r0, r1) if p == 1 else (r1, r0)   # 1: sum over rows, then max over columns
    out = _m.reduce_max(_m.reduce_sum(_m.abs(a), axis=rows, keepdims=True), axis=cols,
                        keepdims=True)
    return out if keepdims else _s.squeeze(out, axis=sorted((r0, r1)))


def global_norm(t_list, name=None):
    """sqrt of the sum of squares of every entry of every tensor in `t_list` (None skipped).

    >>> print(global_norm([constant([3.]), constant([[4.]])]).numpy())
    5.0
    """
    ts = [to_tensor(t) for t in t_list if t is not None]
    total = _m.reduce_sum(ts[0] * ts[0])
    for t in ts[1:]:
        total = total + _m.reduce_sum(t * t)
    return _m.sqrt(total)


# ------------------------------------------------------------------ qr
# packed like eigh/svd: rows 0..m-1 hold Q, rows m.. hold R (both padded to a common width)
def _qr_dims(shape, full_matrices):
    m, n = shape[-2], shape[-1]
    k = dmin(m, n)
    kq = m if full_matrices else k
    return m, n, kq, dmax(kq, n)


def _qr_impl(a, full_matrices=False):
    m, n, kq, w = _qr_dims(a.shape, full_matrices)
    q, r = np.linalg.qr(a, mode="complete" if full_matrices else "reduced")
    out = np.zeros(a.shape[:-2] + (m + kq, w), a.dtype)
    out[..., :m, :kq] = q
    out[..., m:, :n] = r
    return out


def _qr_rule(a, full_matrices=False):
    dt = same_dtype("qr", (a,), "f")
    if len(a.shape) < 2:
        raise op_error("qr", (a,), "needs matrices [..., m, n]")
    m, n, kq, w = _qr_dims(a.shape, full_matrices)
    return Aval(tuple(a.shape[:-2]) + (m + kq, w), dt)


def _tri_right(x, r):
    """x @ inv(r)^T for upper-triangular r (TF's _TriangularSolve in linalg_grad.py)."""
    return _mT(triangular_solve(r, _mT(x), lower=False))


def _qr_grad_deep(q, r, dq, dr):
    # TF's _QrGradSquareAndDeepMatrices (m >= n, reduced)
    qdq = _m.matmul(q, dq, transpose_a=True)
    rdr = _m.matmul(r, dr, transpose_b=True)
    low = band_part(qdq - _mT(qdq) + rdr - _mT(rdr), -1, 0)
    return _m.matmul(q, dr + _tri_right(low, r)) + _tri_right(dq - _m.matmul(q, qdq), r)


def _qr_vjp(i, o, g, full_matrices=False):
    m, n = i[0].shape[-2], i[0].shape[-1]
    k = dmin(m, n)
    tall, wide = _tall_or_wide("qr", i[0])
    if full_matrices and tall:
        raise NotImplementedError("qr: no gradient with full_matrices=True and more rows than "
                                  "columns (as TF)")
    q, r = o[..., :m, :k], o[..., m:, :n]
    dq, dr = g[..., :m, :k], g[..., m:, :n]
    if not wide:
        return [_qr_grad_deep(q, r, dq, dr)]
    # TF: split a = [x, y], r = [u, v] and reduce to the square case
    y, u = i[0][..., :, m:], r[..., :, :m]
    dv, du = dr[..., :, m:], dr[..., :, :m]
    dx = _qr_grad_deep(q, u, dq + _m.matmul(y, dv, transpose_b=True), du)
    return [_s.concat([dx, _m.matmul(q, dv)], -1)]


QR = defop("qr", _qr_impl, _qr_rule, _qr_vjp, jvp=VIA_VJP, kind=ANCHOR, arity=1)


def qr(input, full_matrices=False, name=None):
    """(q, r) with input = q @ r, q orthonormal columns, r upper triangular (LAPACK's signs);
    gradients as TF's (not for full_matrices with more rows than columns).

    >>> q, r = qr(constant([[3., 0.], [4., 5.]])); print(abs(r.numpy()).round(4))
    [[5. 4.]
     [0. 3.]]
    """
    a = to_tensor(input)
    p = bind(QR, [a], {"full_matrices": bool(full_matrices)})
    m, n, kq, _ = _qr_dims(a.shape, full_matrices)
    return p[..., :m, :kq], p[..., m:, :n]
