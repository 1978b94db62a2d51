"""Dense linear algebra primitives (batched over leading axes): inverse, determinant, solve,
Cholesky; their VJPs and JVPs are written in graphflow ops (so they differentiate again).

>>> import graphflow as tf
>>> tf.linalg.det(tf.constant([[2., 0.], [0., 3.]])).numpy()
np.float32(6.0)
"""
import numpy as np

from ..dispatch import bind
from ..tensor import constant, convert_args, to_tensor  # noqa: F401  (constant: doctests)
from . import math_ops as _m
from . import shape_ops as _s
from .registry import ANCHOR, Aval, defop, op_error, same_dtype
from ..shapes import require_equal

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
    try:
        return np.linalg.cholesky(a).astype(a.dtype)
    except np.linalg.LinAlgError:
        raise ValueError("Cholesky decomposition was not successful: the input is not "
                         "symmetric positive definite") from None


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
