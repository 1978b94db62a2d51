"""`tf.nn.embedding_lookup_sparse` and `tf.nn.safe_embedding_lookup_sparse`: per row of a
SparseTensor of ids (optionally weighted), the sum / mean / sqrtn-weighted combination of the
looked-up embeddings - gathers and segment sums, so gradients reach `params` (and weights).

>>> import graphflow as tf, numpy as np
>>> params = tf.constant(np.arange(12.).reshape(4, 3), tf.float32)
>>> ids = tf.sparse.SparseTensor([[0, 0], [0, 1], [1, 0]], tf.constant([0, 2, 1], tf.int64),
...                              [2, 2])
>>> tf.nn.embedding_lookup_sparse(params, ids, None, combiner="sum").numpy().tolist()
[[6.0, 8.0, 10.0], [3.0, 4.0, 5.0]]
"""
import numpy as np

from .errors import InvalidArgumentError
from .ops import math_ops as _m, shape_ops as _s
from .ops.nn_ops import embedding_lookup
from .ops.segment_ops import unsorted_segment_sum
from .sparse import SparseTensor
from .tensor import SymbolicTensor, to_tensor

__all__ = ["embedding_lookup_sparse", "safe_embedding_lookup_sparse"]


def _check(sp_ids, sp_weights, combiner, op):
    if not isinstance(sp_ids, SparseTensor):
        raise TypeError(f"{op}: sp_ids must be a SparseTensor, got {type(sp_ids).__name__}")
    if sp_weights is not None and not isinstance(sp_weights, SparseTensor):
        raise TypeError(f"{op}: sp_weights must be a SparseTensor or None, got "
                        f"{type(sp_weights).__name__}")
    if combiner not in ("sum", "mean", "sqrtn"):
        raise ValueError(f"{op}: combiner must be 'sum', 'mean' or 'sqrtn', got {combiner!r}")


def _combine(params, rows, ids, weights, num_rows, combiner, max_norm):
    """Combine the embeddings of `ids` (with optional `weights`) by `rows` into `num_rows`."""
    emb = embedding_lookup(params, ids, max_norm=max_norm)
    if weights is None:
        weights = _m.ones_like(_m.cast(ids, emb.dtype))
    weights = _m.cast(weights, emb.dtype)
    shape = [-1] + [1] * (emb.ndim - 1)
    total = unsorted_segment_sum(emb * _s.reshape(weights, shape), rows, num_rows)
    if combiner == "sum":
        return total
    w = weights if combiner == "mean" else _m.square(weights)
    denom = unsorted_segment_sum(w, rows, num_rows)
    if combiner == "sqrtn":
        denom = _m.sqrt(denom)
    # rows without ids stay 0 (TF's segment ops give 0 there, not 0 / 0)
    safe = _m.where(_m.equal(denom, 0.0), _m.ones_like(denom), denom)
    return total / _s.reshape(safe, [-1] + [1] * (emb.ndim - 1))


def embedding_lookup_sparse(params, sp_ids, sp_weights, combiner="mean", max_norm=None,
                            name=None, allow_fast_lookup=False):
    """Per row of `sp_ids` (SparseTensor of int ids, rows = its first dim), the combination
    of `params[id]` (each scaled by the matching `sp_weights` value if given): "sum",
    "mean" (divided by the weights' sum) or "sqrtn" (by the root of their squares' sum).
    As TF, the output has max(row) + 1 rows (trailing rows without ids are dropped);
    `max_norm` clips each embedding first.

    >>> import graphflow as tf, numpy as np
    >>> p = tf.constant([[1., 0.], [0., 1.]])
    >>> ids = tf.sparse.SparseTensor([[0, 0], [0, 1]], tf.constant([0, 1], tf.int64), [1, 2])
    >>> w = tf.sparse.SparseTensor([[0, 0], [0, 1]], [3., 1.], [1, 2])
    >>> tf.nn.embedding_lookup_sparse(p, ids, w).numpy().tolist()   # (3 * e0 + e1) / 4
    [[0.75, 0.25]]
    """
    op = "embedding_lookup_sparse"
    _check(sp_ids, sp_weights, combiner, op)
    rows = sp_ids.indices[:, 0]
    if isinstance(rows, SymbolicTensor):
        n = sp_ids.dense_shape[0]
        try:
            num_rows = int(np.asarray(to_tensor(n).numpy()))
        except Exception:
            raise InvalidArgumentError(f"{op}: the number of rows must be known while "
                                       "tracing (a static dense_shape)") from None
    else:
        r = rows.numpy()
        num_rows = int(r.max()) + 1 if r.size else 0
    weights = None if sp_weights is None else sp_weights.values
    return _combine(params, rows, sp_ids.values, weights, num_rows, combiner, max_norm)


def safe_embedding_lookup_sparse(embedding_weights, sparse_ids, sparse_weights=None,
                                 combiner="mean", default_id=None, max_norm=None, name=None,
                                 allow_fast_lookup=False):
    """`embedding_lookup_sparse` that tolerates bad input, as TF: ids < 0 (and weights <= 0)
    are dropped, rows left empty give `params[default_id]` or zeros, and the output keeps
    every row of `sparse_ids` - with its leading dims if it has rank > 2.

    >>> import graphflow as tf, numpy as np
    >>> p = tf.constant([[1., 2.], [3., 4.]])
    >>> ids = tf.sparse.SparseTensor([[0, 0], [0, 1]], tf.constant([1, -1], tf.int64), [3, 2])
    >>> tf.nn.safe_embedding_lookup_sparse(p, ids).numpy().tolist()
    [[3.0, 4.0], [0.0, 0.0], [0.0, 0.0]]
    """
    op = "safe_embedding_lookup_sparse"
    _check(sparse_ids, sparse_weights, combiner, op)
    if isinstance(sparse_ids.indices, SymbolicTensor):
        raise InvalidArgumentError(f"{op}: pruning invalid ids depends on the values, so it "
                                   "runs eagerly only; use embedding_lookup_sparse in @function")
    shape = [int(d) for d in np.asarray(sparse_ids.dense_shape.numpy())]
    idx = sparse_ids.indices.numpy()
    ids = sparse_ids.values.numpy()
    keep = ids >= 0
    if sparse_weights is not None:
        keep &= sparse_weights.values.numpy() > 0
    sel = np.nonzero(keep)[0]
    # the leading dims flatten into rows (TF reshapes to 2-D and back)
    lead = shape[:-1]
    rows = np.ravel_multi_index(tuple(idx[sel, :-1].T), lead) if len(lead) > 1 else idx[sel, 0]
    num_rows = int(np.prod(lead))
    weights = None if sparse_weights is None else _s.gather(sparse_weights.values, sel)
    out = _combine(embedding_weights, to_tensor(rows.astype(np.int64)),
                   _s.gather(sparse_ids.values, sel), weights, num_rows, combiner, max_norm)
    if default_id is not None:
        empty = np.ones(num_rows, bool)
        empty[rows] = False
        fill = embedding_lookup(embedding_weights, [int(default_id)], max_norm=max_norm)
        mask = to_tensor(empty.reshape([-1] + [1] * (out.ndim - 1)))
        out = _m.where(mask, fill + _m.zeros_like(out), out)
    return _s.reshape(out, lead + list(out.shape[1:]))
