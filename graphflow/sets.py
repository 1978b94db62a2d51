"""`tf.sets`: set operations along the last axis of dense or sparse tensors, batched over the
leading axes. As TF, results are SparseTensors of shape batch_shape + [largest set size] whose
rows hold each set's elements in ascending order; `size` counts the distinct elements of each
row. Eager only (the index sets are computed in numpy), as graphflow's other index-set
`tf.sparse` ops.

>>> import graphflow as tf
>>> a = tf.constant([[1, 2, 3], [4, 5, 6]])
>>> b = tf.constant([[2, 3, 9], [9, 9, 9]])
>>> tf.sparse.to_dense(tf.sets.intersection(a, b)).numpy()
array([[2, 3],
       [0, 0]], dtype=int32)
>>> tf.sets.size(tf.sets.union(a, b)).numpy()
array([4, 4], dtype=int32)
"""
import numpy as np

from . import dtypes as _dt
from .sparse import SparseTensor
from .tensor import Tensor, convert_to_tensor

__all__ = ["intersection", "union", "difference", "size"]


def _rows(x, opname):
    """(batch shape, dtype, {batch index: [elements]}) of a dense or sparse set tensor."""
    if isinstance(x, SparseTensor):
        idx = np.asarray(x.indices.numpy())
        vals = x.values.numpy()
        shape = tuple(x.shape)
        rows = {}
        for i, v in zip(idx, vals):
            rows.setdefault(tuple(int(k) for k in i[:-1]), []).append(v)
        return shape[:-1], x.values.dtype, rows
    t = x if isinstance(x, Tensor) else convert_to_tensor(x)
    v = t.numpy()
    if v.ndim < 1:
        raise ValueError(f"sets.{opname}: inputs must have rank >= 1 (sets along the last "
                         f"axis), got shape {v.shape}")
    batch = v.shape[:-1]
    return batch, t.dtype, {i: list(v[i]) for i in np.ndindex(*batch)}


def _check_dtype(dt, opname):
    if not (dt.is_integer or dt == _dt.string):
        raise TypeError(f"sets.{opname}: elements must be integers or strings, got {dt.name}")


def _to_sparse(batch, dtype, sets):
    """The SparseTensor of sorted sets (dict batch index -> python set)."""
    width = max([len(s) for s in sets.values()], default=0)
    indices, values = [], []
    for b in np.ndindex(*batch):
        for j, v in enumerate(sorted(sets.get(b, ()))):
            indices.append(list(b) + [j])
            values.append(v)
    rank = len(batch) + 1
    ind = np.asarray(indices, np.int64).reshape(-1, rank)
    vals = np.empty(len(values), dtype.np) if dtype == _dt.string else \
        np.asarray(values, dtype.np).reshape(-1)
    if dtype == _dt.string:
        vals[:] = values
    return SparseTensor(ind, convert_to_tensor(vals, dtype), list(batch) + [width])


def _binary(a, b, opname, combine):
    ba, dta, ra = _rows(a, opname)
    bb, dtb, rb = _rows(b, opname)
    _check_dtype(dta, opname)
    if dta != dtb:
        raise TypeError(f"sets.{opname}: a and b must have the same dtype, got {dta.name} and "
                        f"{dtb.name}")
    if tuple(ba) != tuple(bb):
        raise ValueError(f"sets.{opname}: a and b must have the same batch shape (all but the "
                         f"last axis), got {list(ba)} and {list(bb)}")
    sets = {i: combine(set(ra.get(i, ())), set(rb.get(i, ()))) for i in np.ndindex(*ba)}
    return _to_sparse(ba, dta, sets)


def intersection(a, b, validate_indices=True):
    """`tf.sets.intersection`: per row, the elements in both a and b.

    >>> intersection([[1, 2]], [[2, 5]]).values.numpy()
    array([2], dtype=int32)
    """
    return _binary(a, b, "intersection", set.__and__)


def union(a, b, validate_indices=True):
    """`tf.sets.union`: per row, the elements in a or b.

    >>> union([[1, 2]], [[2, 5]]).values.numpy()
    array([1, 2, 5], dtype=int32)
    """
    return _binary(a, b, "union", set.__or__)


def difference(a, b, aminusb=True, validate_indices=True):
    """`tf.sets.difference`: per row, the elements of a not in b (of b not in a if not
    `aminusb`).

    >>> difference([[1, 2]], [[2, 5]]).values.numpy(), difference([[1, 2]], [[2, 5]], False).values.numpy()
    (array([1], dtype=int32), array([5], dtype=int32))
    """
    return _binary(a, b, "difference",
                   set.__sub__ if aminusb else (lambda x, y: y - x))


def size(a, validate_indices=True):
    """`tf.sets.size`: the number of distinct elements of each row (int32, batch shape).

    >>> size([[1, 1, 2], [3, 4, 5]]).numpy()
    array([2, 3], dtype=int32)
    """
    batch, dt, rows = _rows(a, "size")
    _check_dtype(dt, "size")
    out = np.zeros(batch, np.int32)
    for i in np.ndindex(*batch):
        out[i] = len(set(rows.get(i, ())))
    return convert_to_tensor(out)
