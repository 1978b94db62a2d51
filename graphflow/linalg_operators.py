"""`tf.linalg.LinearOperator*`: matrices known by their structure (full, diagonal, identity,
scaled identity, lower triangular), with the commonly used methods - `to_dense`, `matmul`,
`matvec`, `solve`, `solvevec`, `determinant`, `log_abs_determinant`, `trace`, `diag_part`,
`adjoint`, `inverse`, `shape` - each computed the cheap way its structure allows (a diagonal
solve divides, a triangular one substitutes). Compositions of graphflow ops, so they trace and
differentiate. Batch dimensions lead, as TF's.

>>> import graphflow as tf
>>> op = tf.linalg.LinearOperatorDiag([1., 2., 4.])
>>> op.matvec([1., 1., 1.]).numpy(), float(op.determinant())
(array([1., 2., 4.], dtype=float32), 8.0)
"""
import numpy as np

from .ops import complex_ops as _cx, linalg_ops as _la, math_ops as _m, shape_ops as _s
from .ops.array_ops import reverse
from .ops.creation import eye
from .ops.matrix_functions import tridiagonal_matmul
from .tensor import OPERATORS, Tensor, TensorShape, Variable, to_tensor

__all__ = ["LinearOperator", "LinearOperatorFullMatrix", "LinearOperatorDiag",
           "LinearOperatorIdentity", "LinearOperatorScaledIdentity",
           "LinearOperatorLowerTriangular", "LinearOperatorComposition", "LinearOperatorBlockDiag",
           "LinearOperatorKronecker", "LinearOperatorLowRankUpdate", "LinearOperatorInversion",
           "LinearOperatorAdjoint", "LinearOperatorZeros", "LinearOperatorPermutation",
           "LinearOperatorToeplitz", "LinearOperatorTridiag", "LinearOperatorHouseholder"]


def _adj(x):
    return _la.adjoint(x)


class LinearOperator:
    """Base class: subclasses give `_shape`, `_to_dense` and may override the structured
    methods (`_matmul`, `_solve`, `_log_abs_det`, `_det`, `_diag_part`); the rest follow.

    >>> LinearOperatorFullMatrix([[1., 2.], [3., 4.]]).trace().numpy()
    np.float32(5.0)
    """

    def __init__(self, dtype, is_non_singular=None, is_self_adjoint=None,
                 is_positive_definite=None, is_square=None, name=None):
        self._dtype = dtype
        self.is_non_singular, self.is_self_adjoint = is_non_singular, is_self_adjoint
        self.is_positive_definite = is_positive_definite
        self._is_square = is_square
        self.name = name or type(self).__name__

    dtype = property(lambda self: self._dtype)

    @property
    def shape(self):
        """TensorShape: batch_shape + [range_dimension, domain_dimension]."""
        return TensorShape(self._shape())

    batch_shape = property(lambda self: TensorShape(self._shape()[:-2]))
    range_dimension = property(lambda self: self._shape()[-2])
    domain_dimension = property(lambda self: self._shape()[-1])
    tensor_rank = property(lambda self: len(self._shape()))

    @property
    def is_square(self):
        return self._shape()[-1] == self._shape()[-2] if self._is_square is None \
            else self._is_square

    def shape_tensor(self, name="shape_tensor"):
        return to_tensor(np.asarray(self._shape(), np.int32))

    def to_dense(self, name="to_dense"):
        """The operator as a dense matrix (batch of matrices)."""
        return self._to_dense()

    def matmul(self, x, adjoint=False, adjoint_arg=False, name="matmul"):
        """op(A) @ x, op = adjoint if `adjoint` (x adjointed first if `adjoint_arg`); `x` may
        be another LinearOperator (the product is then a full-matrix operator)."""
        if isinstance(x, LinearOperator):
            return LinearOperatorFullMatrix(self.matmul(x.to_dense(), adjoint, adjoint_arg))
        x = self._arg(x)
        return self._matmul(_adj(x) if adjoint_arg else x, adjoint)

    __matmul__ = matmul

    def matvec(self, x, adjoint=False, name="matvec"):
        """op(A) x for vectors x (batch of vectors)."""
        return self._matmul(_s.expand_dims(self._arg(x), -1), adjoint)[..., 0]

    def solve(self, rhs, adjoint=False, adjoint_arg=False, name="solve"):
        """X with op(A) X = rhs."""
        rhs = self._arg(rhs)
        return self._solve(_adj(rhs) if adjoint_arg else rhs, adjoint)

    def solvevec(self, rhs, adjoint=False, name="solve"):
        """x with op(A) x = rhs for vectors rhs."""
        return self._solve(_s.expand_dims(self._arg(rhs), -1), adjoint)[..., 0]

    def determinant(self, name="det"):
        self._check_square("determinant")
        return self._det()

    def log_abs_determinant(self, name="log_abs_det"):
        self._check_square("log_abs_determinant")
        return self._log_abs_det()

    def trace(self, name="trace"):
        return _m.reduce_sum(self.diag_part(), -1)

    def diag_part(self, name="diag_part"):
        return self._diag_part()

    def adjoint(self, name="adjoint"):
        """The adjoint (conjugate transpose) operator."""
        return LinearOperatorFullMatrix(_adj(self.to_dense()))

    H = property(adjoint)

    def inverse(self, name="inverse"):
        """The inverse operator (of a square, non-singular operator)."""
        self._check_square("inverse")
        return LinearOperatorFullMatrix(_la.inv(self.to_dense()))

    def add_to_tensor(self, x, name="add_to_tensor"):
        return self.to_dense() + self._arg(x)

    def __repr__(self):
        return f"<tf.linalg.{type(self).__name__} '{self.name}' shape={self.shape} " \
               f"dtype={self.dtype.name}>"

    def _arg(self, x):
        """A tensor argument as is; Python/numpy data converted to the operator's dtype."""
        return x if isinstance(x, (Tensor, Variable)) else to_tensor(x, self.dtype)

    # generic implementations through the dense matrix
    def _matmul(self, x, adjoint):
        return _m.matmul(_adj(self.to_dense()) if adjoint else self.to_dense(), x)

    def _solve(self, rhs, adjoint):
        return _la.solve(self.to_dense(), rhs, adjoint=adjoint)

    def _det(self):
        return _la.det(self.to_dense())

    def _log_abs_det(self):
        return _la.slogdet(self.to_dense())[1]

    def _diag_part(self):
        return _la.diag_part(self.to_dense())

    def _check_square(self, what):
        if not self.is_square:
            raise ValueError(f"{self.name}.{what}: the operator is not square "
                             f"(shape {self.shape})")


class LinearOperatorFullMatrix(LinearOperator):
    """A LinearOperator holding its (batch of) matrix.

    >>> op = LinearOperatorFullMatrix([[4., 1.], [2., 3.]])
    >>> op.solvevec([5., 5.]).numpy(), float(op.log_abs_determinant())
    (array([1., 1.], dtype=float32), 2.3025851249694824)
    """

    def __init__(self, matrix, is_non_singular=None, is_self_adjoint=None,
                 is_positive_definite=None, is_square=None, name="LinearOperatorFullMatrix"):
        self._matrix = to_tensor(matrix)
        if self._matrix.ndim < 2:
            raise ValueError(f"{name}: matrix must have rank >= 2, got shape "
                             f"{tuple(self._matrix.shape)}")
        super().__init__(self._matrix.dtype, is_non_singular, is_self_adjoint,
                         is_positive_definite, is_square, name)

    def _shape(self):
        return tuple(self._matrix.shape)

    def _to_dense(self):
        return self._matrix


class LinearOperatorDiag(LinearOperator):
    """A (batch of) diagonal matrix given by its diagonal: matmul scales rows, solve divides,
    the determinant is the product of the diagonal.

    >>> LinearOperatorDiag([2., 4.]).solvevec([1., 1.]).numpy()
    array([0.5 , 0.25], dtype=float32)
    """

    def __init__(self, diag, is_non_singular=None, is_self_adjoint=None,
                 is_positive_definite=None, is_square=True, name="LinearOperatorDiag"):
        self._diag = to_tensor(diag)
        if self._diag.ndim < 1:
            raise ValueError(f"{name}: diag must have rank >= 1")
        super().__init__(self._diag.dtype, is_non_singular, is_self_adjoint,
                         is_positive_definite, True, name)

    diag = property(lambda self: self._diag)

    def _shape(self):
        n = self._diag.shape[-1]
        return tuple(self._diag.shape) + (n,)

    def _to_dense(self):
        return _la.diag(self._diag)

    def _matmul(self, x, adjoint):
        d = _cx.conj(self._diag) if adjoint and self.dtype.is_complex else self._diag
        return _s.expand_dims(d, -1) * x

    def _solve(self, rhs, adjoint):
        d = _cx.conj(self._diag) if adjoint and self.dtype.is_complex else self._diag
        return rhs / _s.expand_dims(d, -1)

    def _det(self):
        return _m.reduce_prod(self._diag, -1)

    def _log_abs_det(self):
        return _m.reduce_sum(_m.log(_m.abs(self._diag)), -1)

    def _diag_part(self):
        return self._diag

    def inverse(self, name="inverse"):
        return LinearOperatorDiag(1.0 / self._diag)

    def adjoint(self, name="adjoint"):
        return LinearOperatorDiag(_cx.conj(self._diag) if self.dtype.is_complex else self._diag)


class LinearOperatorScaledIdentity(LinearOperator):
    """multiplier * I (num_rows x num_rows); a batch of multipliers gives a batch of
    operators.

    >>> float(LinearOperatorScaledIdentity(3, 2.0).determinant())
    8.0
    """

    def __init__(self, num_rows, multiplier, is_non_singular=None, is_self_adjoint=None,
                 is_positive_definite=None, is_square=True, assert_proper_shapes=False,
                 name="LinearOperatorScaledIdentity"):
        self._n = int(np.asarray(to_tensor(num_rows).numpy()))
        self._mult = to_tensor(multiplier)
        super().__init__(self._mult.dtype, is_non_singular, is_self_adjoint,
                         is_positive_definite, True, name)

    multiplier = property(lambda self: self._mult)

    def _shape(self):
        return tuple(self._mult.shape) + (self._n, self._n)

    def _m2(self):
        return _s.expand_dims(_s.expand_dims(self._mult, -1), -1)

    def _to_dense(self):
        return self._m2() * eye(self._n, dtype=self.dtype)

    def _matmul(self, x, adjoint):
        return self._m2() * x

    def _solve(self, rhs, adjoint):
        return rhs / self._m2()

    def _det(self):
        return _m.pow(self._mult, float(self._n))

    def _log_abs_det(self):
        return float(self._n) * _m.log(_m.abs(self._mult))

    def _diag_part(self):
        return _s.broadcast_to(_s.expand_dims(self._mult, -1), self._shape()[:-1])


class LinearOperatorIdentity(LinearOperatorScaledIdentity):
    """The identity (num_rows x num_rows, optional batch_shape): matmul and solve return their
    argument, the determinant is 1.

    >>> op = LinearOperatorIdentity(3)
    >>> op.shape, op.matvec([1., 2., 3.]).numpy()
    (TensorShape([3, 3]), array([1., 2., 3.], dtype=float32))
    """

    def __init__(self, num_rows, batch_shape=None, dtype=None, is_non_singular=True,
                 is_self_adjoint=True, is_positive_definite=True, is_square=True,
                 assert_proper_shapes=False, name="LinearOperatorIdentity"):
        shape = tuple(int(d) for d in (batch_shape or ()))
        ones = np.ones(shape, np.dtype(getattr(dtype, "np", dtype) or np.float32))
        super().__init__(num_rows, ones, name=name)
        self.is_non_singular = self.is_self_adjoint = self.is_positive_definite = True

    def _matmul(self, x, adjoint):
        return x if not self.batch_shape.rank else self._m2() * x

    def _solve(self, rhs, adjoint):
        return self._matmul(rhs, adjoint)


class LinearOperatorLowerTriangular(LinearOperator):
    """A lower triangular (batch of) matrix: the strictly upper part of `tril` is ignored;
    solve substitutes (triangular_solve), the determinant is the diagonal's product.

    >>> LinearOperatorLowerTriangular([[2., 9.], [1., 1.]]).to_dense().numpy().tolist()
    [[2.0, 0.0], [1.0, 1.0]]
    """

    def __init__(self, tril, is_non_singular=None, is_self_adjoint=None,
                 is_positive_definite=None, is_square=None,
                 name="LinearOperatorLowerTriangular"):
        self._tril = _la.band_part(to_tensor(tril), -1, 0)
        super().__init__(self._tril.dtype, is_non_singular, is_self_adjoint,
                         is_positive_definite, True, name)

    def _shape(self):
        return tuple(self._tril.shape)

    def _to_dense(self):
        return self._tril

    def _solve(self, rhs, adjoint):
        return _la.triangular_solve(self._tril, rhs, lower=True, adjoint=adjoint)

    def _det(self):
        return _m.reduce_prod(_la.diag_part(self._tril), -1)

    def _log_abs_det(self):
        return _m.reduce_sum(_m.log(_m.abs(_la.diag_part(self._tril))), -1)


# ------------------------------------------------------------------ operators built from others
builtins_tuple = tuple


class _Dense(LinearOperator):
    """An operator known through a dense matrix computed from its parts."""

    def __init__(self, dense, name, **hints):
        self._matrix = to_tensor(dense)
        super().__init__(self._matrix.dtype, name=name, **hints)

    def _shape(self):
        return builtins_tuple(self._matrix.shape)

    def _to_dense(self):
        return self._matrix


class _OfSquareParts(_Dense):
    """An operator whose determinant is the product of its `operators`' determinants."""

    def _det(self):
        out = self.operators[0].determinant()
        for op in self.operators[1:]:
            out = out * op.determinant()
        return out

    def _log_abs_det(self):
        return _m.add_n([op.log_abs_determinant() for op in self.operators])


class LinearOperatorComposition(_OfSquareParts):
    """The product operators[0] @ operators[1] @ ...; its determinant is the product of
    theirs.

    >>> d = LinearOperatorDiag([2., 3.])
    >>> LinearOperatorComposition([d, d]).to_dense().numpy().tolist()
    [[4.0, 0.0], [0.0, 9.0]]
    """

    def __init__(self, operators, is_non_singular=None, is_self_adjoint=None,
                 is_positive_definite=None, is_square=None, name=None):
        self.operators = list(operators)
        dense = self.operators[-1].to_dense()
        for op in reversed(self.operators[:-1]):
            dense = op.matmul(dense)
        super().__init__(dense, name or "_o_".join(o.name for o in self.operators))


class LinearOperatorBlockDiag(_OfSquareParts):
    """The block-diagonal operator of square `operators` (determinant: product of theirs).

    >>> LinearOperatorBlockDiag([LinearOperatorDiag([2.]), LinearOperatorDiag([3.])]).shape
    TensorShape([2, 2])
    """

    def __init__(self, operators, is_non_singular=None, is_self_adjoint=None,
                 is_positive_definite=None, is_square=True, name="LinearOperatorBlockDiag"):
        self.operators = list(operators)
        sizes = [int(op.shape[-1]) for op in self.operators]
        rows = []
        for k, op in enumerate(self.operators):
            d = op.to_dense()
            lead = builtins_tuple(d.shape[:-2])
            rows.append(_s.concat([d if j == k else to_tensor(np.zeros(lead + (sizes[k], n)),
                                                              d.dtype)
                                   for j, n in enumerate(sizes)], -1))
        super().__init__(_s.concat(rows, -2), name)


class LinearOperatorKronecker(_Dense):
    """The Kronecker product operators[0] (x) operators[1] (x) ... (unbatched factors).

    >>> LinearOperatorKronecker([LinearOperatorDiag([1., 2.]),
    ...                          LinearOperatorDiag([1., 3.])]).diag_part().numpy().tolist()
    [1.0, 3.0, 2.0, 6.0]
    """

    def __init__(self, operators, is_non_singular=None, is_self_adjoint=None,
                 is_positive_definite=None, is_square=None, name=None):
        self.operators = list(operators)
        dense = self.operators[0].to_dense()
        for op in self.operators[1:]:
            b = op.to_dense()
            (p, q), (r, s) = dense.shape[-2:], b.shape[-2:]
            k = _s.expand_dims(_s.expand_dims(dense, -1), -3) * \
                _s.expand_dims(_s.expand_dims(b, -3), -2)          # (p, r, q, s)
            dense = _s.reshape(k, (p * r, q * s))
        super().__init__(dense, name or "_x_".join(o.name for o in self.operators))


class LinearOperatorLowRankUpdate(_Dense):
    """base_operator + U diag(diag_update) V^H (V = U if not given; diag_update = 1 if not).

    >>> LinearOperatorLowRankUpdate(LinearOperatorIdentity(2), [[1.], [1.]]).to_dense().numpy()
    array([[2., 1.],
           [1., 2.]], dtype=float32)
    """

    def __init__(self, base_operator, u, diag_update=None, v=None, is_diag_update_positive=None,
                 is_non_singular=None, is_self_adjoint=None, is_positive_definite=None,
                 is_square=None, name="LinearOperatorLowRankUpdate"):
        u = to_tensor(u)
        v = u if v is None else to_tensor(v)
        if diag_update is not None:
            u = u * _s.expand_dims(to_tensor(diag_update), -2)
        super().__init__(base_operator.to_dense() + _m.matmul(u, _adj(v)), name)


class LinearOperatorInversion(_Dense):
    """The inverse of a square, non-singular operator.

    >>> LinearOperatorInversion(LinearOperatorDiag([2., 4.])).matvec([1., 1.]).numpy()
    array([0.5 , 0.25], dtype=float32)
    """

    def __init__(self, operator, is_non_singular=None, is_self_adjoint=None,
                 is_positive_definite=None, is_square=None, name=None):
        self.operator = operator
        super().__init__(_la.inv(operator.to_dense()), name or operator.name + "_inv")

    def _solve(self, rhs, adjoint):
        return self.operator.matmul(rhs, adjoint=adjoint)

    def _log_abs_det(self):
        return -self.operator.log_abs_determinant()


class LinearOperatorAdjoint(_Dense):
    """The adjoint (conjugate transpose) of an operator.

    >>> LinearOperatorAdjoint(LinearOperatorFullMatrix([[1., 2.], [3., 4.]])).to_dense().numpy()
    array([[1., 3.],
           [2., 4.]], dtype=float32)
    """

    def __init__(self, operator, is_non_singular=None, is_self_adjoint=None,
                 is_positive_definite=None, is_square=None, name=None):
        self.operator = operator
        super().__init__(_adj(operator.to_dense()), name or operator.name + "_adjoint")


class LinearOperatorZeros(_Dense):
    """The zero operator (num_rows x num_columns, optional batch_shape).

    >>> LinearOperatorZeros(2, 3).matvec([1., 1., 1.]).numpy()
    array([0., 0.], dtype=float32)
    """

    def __init__(self, num_rows, num_columns=None, batch_shape=None, dtype=None,
                 is_non_singular=False, is_self_adjoint=True, is_positive_definite=False,
                 is_square=True, assert_proper_shapes=False, name="LinearOperatorZeros"):
        cols = num_rows if num_columns is None else num_columns
        shape = builtins_tuple(int(d) for d in (batch_shape or ())) + (int(num_rows), int(cols))
        dt = np.dtype(getattr(dtype, "np", dtype) or np.float32)
        super().__init__(np.zeros(shape, dt), name)


class LinearOperatorPermutation(_Dense):
    """The permutation matrix P with P[i, perm[i]] = 1 (so P x = x[perm]).

    >>> LinearOperatorPermutation([2, 0, 1]).matvec([10., 20., 30.]).numpy()
    array([30., 10., 20.], dtype=float32)
    """

    def __init__(self, perm, dtype=None, is_non_singular=None, is_self_adjoint=None,
                 is_positive_definite=None, is_square=None, name="LinearOperatorPermutation"):
        p = np.asarray(to_tensor(perm).numpy())
        dt = np.dtype(getattr(dtype, "np", dtype) or np.float32)
        super().__init__((p[..., :, None] == np.arange(p.shape[-1])).astype(dt), name)


class LinearOperatorToeplitz(_Dense):
    """The Toeplitz matrix with first column `col` and first row `row` (row[0] ignored).

    >>> LinearOperatorToeplitz([1., 2.], [1., 3.]).to_dense().numpy().tolist()
    [[1.0, 3.0], [2.0, 1.0]]
    """

    def __init__(self, col, row, is_non_singular=None, is_self_adjoint=None,
                 is_positive_definite=None, is_square=None, name="LinearOperatorToeplitz"):
        col, row = to_tensor(col), to_tensor(row)
        n = col.shape[-1]
        both = _s.concat([reverse(row[..., 1:], [-1]), col], -1)      # row[n-1..1], col[0..n-1]
        idx = (n - 1) + np.arange(n)[:, None] - np.arange(n)[None, :]
        super().__init__(_s.gather(both, to_tensor(idx.astype(np.int32)), axis=-1), name)


class LinearOperatorTridiag(_Dense):
    """A tridiagonal operator from TF's 'compact', 'sequence' or 'matrix' diagonals.

    >>> LinearOperatorTridiag([[5., 0.], [1., 2.], [0., 7.]]).to_dense().numpy().tolist()
    [[1.0, 5.0], [7.0, 2.0]]
    """

    def __init__(self, diagonals, diagonals_format="compact", is_non_singular=None,
                 is_self_adjoint=None, is_positive_definite=None, is_square=None,
                 name="LinearOperatorTridiag"):
        self._format, self._diagonals = diagonals_format, diagonals
        d = to_tensor(diagonals[1] if diagonals_format == "sequence" else diagonals)
        n = d.shape[-1]
        eye_n = to_tensor(np.eye(n), d.dtype)
        super().__init__(tridiagonal_matmul(diagonals, eye_n, diagonals_format), name)


class LinearOperatorHouseholder(_Dense):
    """The reflection I - 2 v v^H / (v^H v) about the hyperplane orthogonal to v.

    >>> LinearOperatorHouseholder([0., 1.]).matvec([3., 4.]).numpy()
    array([ 3., -4.], dtype=float32)
    """

    def __init__(self, reflection_axis, is_non_singular=None, is_self_adjoint=None,
                 is_positive_definite=None, is_square=None, name="LinearOperatorHouseholder"):
        v = to_tensor(reflection_axis)
        n = v.shape[-1]
        outer = _s.expand_dims(v, -1) * _s.expand_dims(v, -2)
        vv = _s.expand_dims(_s.expand_dims(_m.reduce_sum(v * v, -1), -1), -1)
        super().__init__(eye(n, dtype=v.dtype) - 2.0 * outer / vv, name)


def conjugate_gradient(operator, rhs, preconditioner=None, x=None, tol=1e-5, max_iter=20,
                       name="conjugate_gradient"):
    """`tf.linalg.experimental.conjugate_gradient`: solve operator @ x = rhs for a self-adjoint
    positive definite LinearOperator by TF's (preconditioned) conjugate gradient loop, until
    every residual norm is <= tol * |rhs| or `max_iter` steps; a CGState (i, x, r, p, gamma).

    >>> op = LinearOperatorFullMatrix(np.array([[4., 1.], [1., 3.]], np.float32))
    >>> [round(float(v), 4) for v in conjugate_gradient(op, np.array([1., 2.], np.float32)).x]
    [0.0909, 0.6364]
    """
    import collections
    from .ops.creation import zeros
    from .tensor import constant
    state_t = collections.namedtuple("CGState", ["i", "x", "r", "p", "gamma"])
    rhs = to_tensor(rhs)

    def dot(a, b):
        return _m.reduce_sum(_cx.conj(a) * b if a.dtype.is_complex else a * b, axis=-1)

    def apply(op, v):
        return op.matvec(v)

    batch = tuple(np.broadcast_shapes(tuple(rhs.shape[:-1]), tuple(operator.batch_shape)))
    r0 = _s.broadcast_to(rhs, list(batch) + [rhs.shape[-1]])
    tol = tol * _la.norm(r0, axis=-1)
    if x is None:
        x = zeros(r0.shape, rhs.dtype)
    else:
        r0 = rhs - apply(operator, to_tensor(x))
    p0 = r0 if preconditioner is None else apply(preconditioner, r0)

    def cond(i, x, r, p, gamma):
        return _m.logical_and(i < max_iter,
                              _m.reduce_any(_la.norm(r, axis=-1) > tol))

    def body(i, x, r, p, gamma):
        z = apply(operator, p)
        alpha = gamma / dot(p, z)
        x = x + _s.expand_dims(alpha, -1) * p
        r = r - _s.expand_dims(alpha, -1) * z
        q = r if preconditioner is None else apply(preconditioner, r)
        new_gamma = dot(r, q)
        p = q + _s.expand_dims(new_gamma / gamma, -1) * p
        return i + 1, x, r, p, new_gamma

    out = OPERATORS["while_loop"](cond, body, [constant(0), x, r0, p0, dot(r0, p0)])
    return state_t(*out)
