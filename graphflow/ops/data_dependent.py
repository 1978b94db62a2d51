"""Ops whose output size depends on the input's values: `tf.where(condition)`,
`tf.boolean_mask`, `tf.unique` inside `@function` (segment ops and `tf.math.bincount` of
traced values: `graphflow.ops.segment_ops`).

Eagerly these run on the values. Traced, their outputs get run-time dims (None, as TF prints
them) computed each call; what follows runs on numpy like every node with run-time sizes
(`graphflow.ops.runtime_shape`). `boolean_mask` is a gather at the mask's true positions, so
it stays differentiable in the masked tensor.

>>> import graphflow as tf
>>> @tf.function
... def positives(x):
...     return tf.boolean_mask(x, x > 0)
>>> positives(tf.constant([1., -2., 3.])).numpy()
array([1., 3.], dtype=float32)
"""
import numpy as np

from ..dispatch import bind
from ..errors import InvalidArgumentError
from ..tensor import to_tensor
from .dynamic_index import is_traced
from .registry import Aval, defop, fmt_avals


def _where_rule(c):
    return Aval((None, len(c.shape)), np.dtype(np.int64))


WHERE_INDICES = defop(
    "where_indices", lambda c: np.argwhere(np.asarray(c) != 0).astype(np.int64), _where_rule,
    nondiff_reason="integer coordinates",
    doc="The int64 coordinates of the nonzero (True) entries of `c`, one row each, in row-major "
        "order (`tf.where(condition)`): a run-time number of rows.")


def _unique_parts(x):
    x = np.asarray(x)
    if x.ndim != 1:
        raise InvalidArgumentError(f"unique: the input must be 1-D, got shape {list(x.shape)}")
    _, first, inv = np.unique(x, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")   # first appearance, as TF orders them
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    return x[np.sort(first)], rank[inv.reshape(-1)]


def _unique_rule(x, *, out_idx=None):
    if len(x.shape) != 1:
        raise InvalidArgumentError(f"unique: the input must be 1-D (inputs: {fmt_avals([x])})")
    if out_idx is None:
        return Aval((None,), x.dtype)
    return Aval(tuple(x.shape), np.dtype(out_idx))


UNIQUE_VALUES = defop(
    "unique_values", lambda x: _unique_parts(x)[0], _unique_rule,
    nondiff_reason="a selection of distinct values (TF's Unique has no gradient)",
    doc="The distinct values of the 1-D `x` in order of first appearance (run-time length).")

UNIQUE_INDEX = defop(
    "unique_index", lambda x, *, out_idx: _unique_parts(x)[1].astype(out_idx), _unique_rule,
    nondiff_reason="integer positions",
    doc="For each entry of the 1-D `x`, the position of its value in `unique_values(x)`.")


def unique_parts(x, out_idx="int32"):
    """(unique values, index of each entry), eagerly on values, traced as two ops.

    >>> y, i = unique_parts(to_tensor([4, 4, 2, 4, 7]))
    >>> y.numpy(), i.numpy()
    (array([4, 2, 7], dtype=int32), array([0, 0, 1, 0, 2], dtype=int32))
    """
    x = to_tensor(x)
    if not is_traced(x):
        y, idx = _unique_parts(x.numpy())
        return to_tensor(y), to_tensor(idx.astype(out_idx))
    return bind(UNIQUE_VALUES, [x], {}), bind(UNIQUE_INDEX, [x], {"out_idx": np.dtype(out_idx).name})


def where_indices(condition):
    """The int64 coordinates of the True entries (`tf.where(condition)`).

    >>> where_indices(to_tensor([[True, False], [False, True]])).numpy()
    array([[0, 0],
           [1, 1]])
    """
    c = to_tensor(condition)
    if not is_traced(c):
        return to_tensor(np.argwhere(c.numpy() != 0).astype(np.int64))
    return bind(WHERE_INDICES, [c], {})


def boolean_mask(tensor, mask, axis=None):
    """The entries (slices) of `tensor` where `mask` is True: a gather along `axis`, so it is
    differentiable in `tensor`. The mask's shape must match `tensor`'s from `axis` on.

    >>> boolean_mask(to_tensor([[1, 2], [3, 4], [5, 6]]), to_tensor([True, False, True])).numpy()
    array([[1, 2],
           [5, 6]], dtype=int32)
    """
    from . import shape_ops   # (same layer)
    x, m = to_tensor(tensor), to_tensor(mask)
    axis = 0 if axis is None else int(axis) % max(x.ndim, 1)
    k = m.ndim
    if k == 0 or x.ndim < axis + k or any(
            a is not None and b is not None and a != b
            for a, b in zip(x.shape[axis:axis + k], m.shape)):
        raise InvalidArgumentError(f"boolean_mask: the mask's shape {list(m.shape)} must match "
                                   f"the tensor's shape {list(x.shape)} from axis {axis} on")
    flat_m = shape_ops.reshape(m, [-1])
    if k > 1:   # the masked axes as one
        rest = x.shape[axis:axis + k]
        n = int(np.prod(rest)) if all(isinstance(d, int) for d in rest) else -1
        x = shape_ops.reshape(x, list(x.shape[:axis]) + [n] + list(x.shape[axis + k:]))
    if not is_traced(flat_m):
        idx = to_tensor(np.flatnonzero(flat_m.numpy()).astype(np.int32))
    else:
        idx = bind(WHERE_INDICES, [flat_m], {})[:, 0]
    return shape_ops.gather(x, idx, axis=axis)

