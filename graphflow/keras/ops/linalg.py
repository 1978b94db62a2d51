"""keras.ops.linalg: Keras 3's linear algebra on graphflow's linalg ops.

>>> import numpy as np
>>> from graphflow.keras.ops import linalg
>>> a = np.array([[4.0, 1.0], [1.0, 3.0]], "float32")
>>> x = linalg.solve(a, np.array([[1.0], [2.0]], "float32"))
>>> [round(float(v), 4) for v in x.numpy().ravel()]
[0.0909, 0.6364]
"""
from ...ops import linalg_ops as _la, math_ops as _m, misc_ops as _mo, shape_ops as _s
from ...py_func import numpy_function as _numpy_function
from ...tensor import convert_to_tensor
import numpy as np
from .numpy import norm  # noqa: F401  (keras.ops.linalg.norm)
from .promote import floating as _floating


def cholesky(x, upper=False):
    """Lower (or upper) Cholesky factor."""
    low = _la.cholesky(_floating(x))
    return _la.adjoint(low) if upper else low


def cholesky_inverse(x, upper=False):
    """Inverse of A from its Cholesky factor."""
    low = _floating(x)
    low = _la.adjoint(low) if upper else low
    n = low.shape[-1]
    eye = _m.cast(convert_to_tensor(np.eye(n)), low.dtype)
    return _la.cholesky_solve(low, eye + _m.zeros_like(low))


def det(x):
    """Determinant."""
    return _la.det(_floating(x))


def inv(x):
    """Matrix inverse."""
    return _la.inv(_floating(x))


def solve(a, b):
    """x with a @ x = b."""
    return _la.solve(_floating(a), _floating(b))


def solve_triangular(a, b, lower=False):
    """x with a @ x = b for triangular a."""
    return _la.triangular_solve(_floating(a), _floating(b), lower=lower)


def lstsq(a, b, rcond=None):
    """Least-squares x minimizing |a x - b|."""
    b = _floating(b)
    vec = len(b.shape) == 1
    out = _m.matmul(_la.pinv(_floating(a), rcond=rcond), _s.expand_dims(b, -1) if vec else b)
    return _s.squeeze(out, [-1]) if vec else out


def qr(x, mode="reduced"):
    """(q, r) factors."""
    return _la.qr(_floating(x), full_matrices=(mode == "complete"))


def svd(x, full_matrices=True, compute_uv=True):
    """(u, s, vh) like numpy (vh, not v as tf.linalg.svd returns), or s."""
    x = _floating(x)
    if not compute_uv:
        return _la.svd(x, full_matrices=full_matrices, compute_uv=False)
    s, u, v = _la.svd(x, full_matrices=full_matrices)
    return u, s, _la.adjoint(v)


def eigh(x):
    """(eigenvalues ascending, eigenvectors) of a symmetric matrix."""
    return _la.eigh(_floating(x))


def slogdet(x):
    """(sign, log|det|)."""
    return _la.slogdet(_floating(x))


def logdet(x):
    """log det of a positive definite matrix."""
    return _la.logdet(_floating(x))


def pinv(x, rcond=None):
    """Moore-Penrose pseudo-inverse."""
    return _la.pinv(_floating(x), rcond=rcond)


def matrix_rank(x, tol=None):
    """The numerical rank."""
    return _mo.matrix_rank(_floating(x), tol=tol)


def eig(x):
    """(eigenvalues, eigenvectors) of a general square matrix, complex (computed by numpy
    as a numpy-function node; no gradient)."""
    x = _floating(x)
    ct = "complex64" if x.dtype.name == "float32" else "complex128"

    def f(a):
        w, v = np.linalg.eig(a)
        return w.astype(ct), v.astype(ct)
    return tuple(_numpy_function(f, [x], [ct, ct], stateful=False))


def lu_factor(x):
    """(lu, pivots) as scipy.linalg.lu_factor: the packed L (unit diagonal) and U factors and
    0-based row pivots (computed by numpy as a numpy-function node; no gradient)."""
    x = _floating(x)

    def f(a):
        a = np.array(a, dtype=np.float64)
        n = a.shape[-1]
        piv = np.zeros(a.shape[:-1], "int32")
        for b in np.ndindex(a.shape[:-2]):
            m = a[b]
            for k in range(n):
                p = k + int(np.argmax(np.abs(m[k:, k])))
                piv[b + (k,)] = p
                if p != k:
                    m[[k, p]] = m[[p, k]]
                if m[k, k] != 0:
                    m[k + 1:, k] /= m[k, k]
                    m[k + 1:, k + 1:] -= np.outer(m[k + 1:, k], m[k, k + 1:])
        return a.astype(x.dtype.name), piv
    lu, piv = _numpy_function(f, [x], [x.dtype.name, "int32"], stateful=False)
    return lu, piv
