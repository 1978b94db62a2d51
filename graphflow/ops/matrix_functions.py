"""`tf.linalg.expm`: the matrix exponential as an op-table entry (scaling and squaring with a
degree-13 Pade approximant, Higham 2005 - the algorithm TF's expm uses), batched over leading
axes. Its VJP is the Frechet derivative at A^T applied to the cotangent, read off the upper
right block of expm([[A^T, G], [0, A^T]]) - the op itself, so every order of derivative exists;
the JVP is the same block construction with the tangent.

>>> import graphflow as tf
>>> tf.linalg.expm(tf.constant([[0., 1.], [0., 0.]])).numpy()
array([[1., 1.],
       [0., 1.]], dtype=float32)
"""
import math

import numpy as np

from ..dispatch import bind
from ..shapes import require_equal
from ..tensor import constant, to_tensor  # noqa: F401  (constant: doctests)
from . import math_ops as _m
from . import shape_ops as _s
from .registry import ANCHOR, VIA_VJP, Aval, defop, op_error, same_dtype

__all__ = ["expm", "lu", "lu_reconstruct", "lu_solve", "lu_matrix_inverse", "sqrtm",
           "eig", "eigvals", "tridiagonal_matmul", "tridiagonal_solve"]

_PADE13 = (64764752532480000., 32382376266240000., 7771770303897600., 1187353796428800.,
           129060195264000., 10559470521600., 670442572800., 33522128640., 1323241920.,
           40840800., 960960., 16380., 182., 1.)
_THETA13 = 5.371920351148152


def _expm_one(a):
    """exp of one square float64 matrix."""
    n = a.shape[0]
    norm = np.abs(a).sum(axis=0).max() if n else 0.0
    s = max(0, int(math.ceil(math.log2(norm / _THETA13)))) if norm > _THETA13 else 0
    a = a / (2.0 ** s)
    b = _PADE13
    eye = np.eye(n)
    a2 = a @ a
    a4 = a2 @ a2
    a6 = a4 @ a2
    u = a @ (a6 @ (b[13] * a6 + b[11] * a4 + b[9] * a2) + b[7] * a6 + b[5] * a4 + b[3] * a2
             + b[1] * eye)
    v = a6 @ (b[12] * a6 + b[10] * a4 + b[8] * a2) + b[6] * a6 + b[4] * a4 + b[2] * a2 \
        + b[0] * eye
    r = np.linalg.solve(v - u, v + u)
    for _ in range(s):
        r = r @ r
    return r


def _expm_impl(a):
    a = np.asarray(a)
    flat = a.reshape((-1,) + a.shape[-2:]).astype(np.float64)
    out = np.empty_like(flat)
    for k in range(flat.shape[0]):
        if not np.all(np.isfinite(flat[k])):
            out[k] = np.nan
        else:
            out[k] = _expm_one(flat[k])
    return out.reshape(a.shape).astype(a.dtype)


def _expm_rule(a):
    dt = same_dtype("matrix_exponential", (a,), "f")
    if len(a.shape) < 2 or not require_equal(a.shape[-1], a.shape[-2]):
        raise op_error("matrix_exponential", (a,), "needs square matrices in the last two axes")
    return Aval(tuple(a.shape), dt)


def _mT(x):
    return _s.transpose(x, list(range(x.ndim - 2)) + [x.ndim - 1, x.ndim - 2])


def _block_frechet(a, e):
    """The Frechet derivative of exp at `a` in direction `e`: the upper right block of
    exp([[a, e], [0, a]])."""
    n = a.shape[-1]
    top = _s.concat([a, e], -1)
    bottom = _s.concat([_m.zeros_like(a), a], -1)
    big = bind(EXPM, [_s.concat([top, bottom], -2)], {})
    return big[..., :n, n:]


EXPM = defop("matrix_exponential", _expm_impl, _expm_rule,
             lambda i, o, g: [_block_frechet(_mT(i[0]), g)],
             jvp=lambda i, o, t: None if t[0] is None else _block_frechet(i[0], t[0]),
             kind=ANCHOR, arity=1, doc="Matrix exponential of the last two axes (Pade 13).")


def expm(input, name=None):
    """`tf.linalg.expm`: the matrix exponential of each square matrix in the last two axes.

    >>> round(float(expm(constant([[1.]], dtype="float64"))[0, 0]), 12)   # e
    2.718281828459
    """
    x = to_tensor(input)
    if not x.dtype.is_floating:
        raise op_error("matrix_exponential", (x,), "needs a float dtype")
    return bind(EXPM, [x], {})


# ------------------------------------------------------------------ LU
# One output per primitive: the LU op packs the factors and the row permutation as
# (..., n + 1, n) - rows :n the packed L\U (unit lower L below the diagonal, U on and above),
# row n the permutation as floats - and `lu` slices them apart (as eigh / svd do).
def _lu_impl(a):
    a = np.asarray(a)
    n = a.shape[-1]
    flat = a.reshape((-1, n, n)).astype(np.float64)
    out = np.empty((flat.shape[0], n + 1, n))
    for b in range(flat.shape[0]):
        lu, perm = flat[b].copy(), np.arange(n)
        for k in range(n):
            p = k + int(np.argmax(np.abs(lu[k:, k])))
            if p != k:
                lu[[k, p]] = lu[[p, k]]
                perm[[k, p]] = perm[[p, k]]
            if lu[k, k] != 0:
                lu[k + 1:, k] /= lu[k, k]
                lu[k + 1:, k + 1:] -= np.outer(lu[k + 1:, k], lu[k, k + 1:])
        out[b, :n], out[b, n] = lu, perm
    return out.reshape(a.shape[:-2] + (n + 1, n)).astype(a.dtype)


def _lu_rule(a):
    dt = same_dtype("lu", (a,), "f")
    if len(a.shape) < 2 or not require_equal(a.shape[-1], a.shape[-2]):
        raise op_error("lu", (a,), "needs square matrices in the last two axes")
    return Aval(tuple(a.shape[:-2]) + (a.shape[-1] + 1, a.shape[-1]), dt)


def _unpack_lu(packed):
    from .linalg_ops import band_part, set_diag
    n = packed.shape[-1]
    lu = packed[..., :n, :]
    lower = set_diag(band_part(lu, -1, 0), _m.ones_like(lu[..., 0, :]))
    return lu, lower, band_part(lu, 0, -1), packed[..., n, :]


def _rows(x, order):
    """x[..., order[k], :] for each k: the rows of x in `order` (a float permutation)."""
    from .array_ops import take_along_axis
    idx = _m.cast(order, "int32")
    idx = _s.broadcast_to(_s.expand_dims(idx, -1), tuple(x.shape))
    return take_along_axis(x, idx, x.ndim - 2)


def _lu_vjp(i, o, g):
    """A[perm] = L U; B-bar = L^-H (tril_-1(L^H L-bar) + triu(U-bar U^H)) U^-H, then the rows
    go back through the inverse permutation."""
    from .array_ops import argsort
    from .linalg_ops import band_part, set_diag, triangular_solve
    _, lower, upper, perm = _unpack_lu(o)
    n = o.shape[-1]
    gl = g[..., :n, :]
    strict = lambda x: set_diag(band_part(x, -1, 0), _m.zeros_like(x[..., 0, :]))  # noqa: E731
    middle = strict(_m.matmul(lower, strict(gl), transpose_a=True)) + \
        band_part(_m.matmul(band_part(gl, 0, -1), upper, transpose_b=True), 0, -1)
    x = triangular_solve(lower, middle, lower=True, adjoint=True)            # L^-H middle
    x = _mT(triangular_solve(upper, _mT(x), lower=False, adjoint=False))     # ... U^-H
    return [_rows(x, _m.cast(argsort(perm), o.dtype))]


LU = defop("lu", _lu_impl, _lu_rule, _lu_vjp, jvp=VIA_VJP, kind=ANCHOR, arity=1,
           doc="LU with partial pivoting, packed with its row permutation (see `lu`).")


def lu(input, output_idx_type="int32", name=None):
    """`tf.linalg.lu`: (lu, p) with input[p] = L U - L unit lower triangular (below the
    diagonal of `lu`), U upper triangular (on and above it); partial pivoting, as TF.
    Differentiable in the input.

    >>> f, p = lu(constant([[1., 2.], [4., 4.]]))
    >>> f.numpy().tolist(), p.numpy().tolist()
    ([[4.0, 4.0], [0.25, 1.0]], [1, 0])
    """
    x = to_tensor(input)
    packed = bind(LU, [x], {})
    n = x.shape[-1]
    return packed[..., :n, :], _m.cast(packed[..., n, :], output_idx_type)


def lu_reconstruct(lower_upper, perm, validate_args=False, name=None):
    """`tf.linalg.lu_reconstruct`: the matrix whose `lu` is (lower_upper, perm).

    >>> a = constant([[1., 2.], [3., 4.]])
    >>> lu_reconstruct(*lu(a)).numpy().tolist()
    [[1.0, 2.0], [3.0, 4.0]]
    """
    from .array_ops import argsort
    packed = to_tensor(lower_upper)
    _, lower, upper, _ = _unpack_lu(_s.concat([packed, _s.expand_dims(
        _m.cast(perm, packed.dtype), -2)], -2))
    return _rows(_m.matmul(lower, upper), _m.cast(argsort(to_tensor(perm)), packed.dtype))


def lu_solve(lower_upper, perm, rhs, validate_args=False, name=None):
    """`tf.linalg.lu_solve`: X with A X = rhs, from A's (lower_upper, perm).

    >>> a = constant([[1., 2.], [4., 4.]])
    >>> lu_solve(*lu(a), constant([[5.], [12.]])).numpy().tolist()
    [[1.0], [2.0]]
    """
    from .linalg_ops import set_diag, triangular_solve
    packed, rhs = to_tensor(lower_upper), to_tensor(rhs)
    y = _rows(rhs, _m.cast(to_tensor(perm), rhs.dtype))
    lower = set_diag(packed, _m.ones_like(packed[..., 0, :]))
    y = triangular_solve(lower, y, lower=True)
    return triangular_solve(packed, y, lower=False)


def lu_matrix_inverse(lower_upper, perm, validate_args=False, name=None):
    """`tf.linalg.lu_matrix_inverse`: A^-1 from A's (lower_upper, perm).

    >>> lu_matrix_inverse(*lu(constant([[2., 0.], [0., 4.]]))).numpy().tolist()
    [[0.5, 0.0], [0.0, 0.25]]
    """
    from .creation import eye
    packed = to_tensor(lower_upper)
    n = packed.shape[-1]
    return lu_solve(packed, perm, _s.broadcast_to(eye(n, dtype=packed.dtype),
                                                  tuple(packed.shape)))


def sqrtm(input, name=None):
    """`tf.linalg.sqrtm`: the principal square root X (X @ X = input) by the Denman-Beavers
    iteration (for matrices without eigenvalues on the closed negative real axis); a
    composition of inverses, so it differentiates.

    >>> sqrtm(constant([[4., 0.], [0., 9.]], dtype="float64")).numpy().tolist()
    [[2.0, 0.0], [0.0, 3.0]]
    """
    from .creation import eye
    from .linalg_ops import inv
    y = to_tensor(input)
    z = _s.broadcast_to(eye(y.shape[-1], dtype=y.dtype), tuple(y.shape))
    for _ in range(30 if y.dtype == "float64" else 20):
        y, z = (y + inv(z)) * 0.5, (z + inv(y)) * 0.5
    return y


# ------------------------------------------------------------------ eig
def _eig_impl(a):
    a = np.asarray(a)
    ct = np.complex64 if a.dtype in (np.float32, np.complex64) else np.complex128
    e, v = np.linalg.eig(a)
    return np.concatenate([e[..., None, :], v], axis=-2).astype(ct)


def _eig_rule(a):
    dt = same_dtype("eig", (a,), "fc")
    if len(a.shape) < 2 or not require_equal(a.shape[-1], a.shape[-2]):
        raise op_error("eig", (a,), "needs square matrices in the last two axes")
    ct = np.complex64 if np.dtype(dt) in (np.float32, np.complex64) else np.complex128
    return Aval(tuple(a.shape[:-2]) + (a.shape[-1] + 1, a.shape[-1]), np.dtype(ct))


EIG = defop("eig", _eig_impl, _eig_rule, kind=ANCHOR, arity=1,
            nondiff_reason="its VJP needs complex matrix solves, which graphflow's linalg ops "
                           "do not support (use eigh for symmetric matrices: differentiable)",
            doc="Eigenvalues (row 0) and unit eigenvectors (rows 1..) of general matrices.")


def eig(tensor, name=None):
    """`tf.linalg.eig`: (eigenvalues, eigenvectors) of general square matrices, complex
    (complex64 for float32 input); eigenvector k is column k, of unit norm. Not
    differentiable (see `eigh` for symmetric matrices).

    >>> e, v = eig(constant([[2., 0.], [0., 3.]]))
    >>> e.numpy().tolist()
    [(2+0j), (3+0j)]
    """
    packed = bind(EIG, [to_tensor(tensor)], {})
    return packed[..., 0, :], packed[..., 1:, :]


def eigvals(tensor, name=None):
    """`tf.linalg.eigvals`: the (complex) eigenvalues of general square matrices.

    >>> eigvals(constant([[0., -1.], [1., 0.]])).numpy().tolist()
    [1j, -1j]
    """
    return eig(tensor)[0]


# ------------------------------------------------------------------ tridiagonal
def _tridiagonal_dense(diagonals, diagonals_format, opname):
    """The dense (..., M, M) matrix of TF's tridiagonal formats: 'compact' (..., 3, M) rows
    superdiagonal (last entry ignored), diagonal, subdiagonal (first entry ignored);
    'sequence' (super, diag, sub) likewise; 'matrix': its three diagonals (TF reads only
    those, the other entries are ignored)."""
    from .linalg_ops import band_part, diag
    if diagonals_format == "matrix":
        return band_part(to_tensor(diagonals), 1, 1)
    if diagonals_format == "compact":
        d = to_tensor(diagonals)
        sup, main, sub = d[..., 0, :], d[..., 1, :], d[..., 2, :]
    elif diagonals_format == "sequence":
        sup, main, sub = (to_tensor(t) for t in diagonals)
    else:
        raise ValueError(f"{opname}: diagonals_format must be 'compact', 'sequence' or "
                         f"'matrix', got {diagonals_format!r}")
    m = main.shape[-1]
    shift_up = constant(np.eye(m, k=1, dtype=main.dtype.np))     # [i, i + 1]
    shift_down = constant(np.eye(m, k=-1, dtype=main.dtype.np))  # [i, i - 1]
    return diag(main) + _s.expand_dims(sup, -1) * shift_up + _s.expand_dims(sub, -1) * shift_down


def tridiagonal_matmul(diagonals, rhs, diagonals_format="compact", name=None):
    """`tf.linalg.tridiagonal_matmul`: T @ rhs for a tridiagonal T given by its diagonals.

    >>> tridiagonal_matmul(constant([[1., 1., 0.], [2., 2., 2.], [0., 1., 1.]]),
    ...                    constant([[1.], [1.], [1.]])).numpy().ravel().tolist()
    [3.0, 4.0, 3.0]
    """
    return _m.matmul(_tridiagonal_dense(diagonals, diagonals_format, "tridiagonal_matmul"),
                     to_tensor(rhs))


def tridiagonal_solve(diagonals, rhs, diagonals_format="compact", transpose_rhs=False,
                      conjugate_rhs=False, name=None, partial_pivoting=True,
                      perturb_singular=False):
    """`tf.linalg.tridiagonal_solve`: X with T X = rhs (a vector rhs (..., M) gives a vector),
    T tridiagonal; by a dense solve, so it differentiates in the diagonals and rhs.

    >>> tridiagonal_solve(constant([[1., 1., 0.], [2., 2., 2.], [0., 1., 1.]]),
    ...                   constant([3., 4., 3.])).numpy().round(6).tolist()
    [1.0, 1.0, 1.0]
    """
    from .linalg_ops import solve
    t = _tridiagonal_dense(diagonals, diagonals_format, "tridiagonal_solve")
    b = to_tensor(rhs)
    if transpose_rhs:
        b = _mT(b)
    if b.ndim == t.ndim - 1:
        return solve(t, _s.expand_dims(b, -1))[..., 0]
    return solve(t, b)
