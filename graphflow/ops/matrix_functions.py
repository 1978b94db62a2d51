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
from .registry import ANCHOR, Aval, defop, op_error, same_dtype

__all__ = ["expm"]

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
