"""Smaller `tf.nn` functions built from graphflow ops: `isotonic_regression` (pool adjacent
violators on numpy for the segments, then segment means as ops, so gradients flow), the
approximate top-k (exact here: a valid answer at any recall target) and the legacy
`batch_norm_with_global_normalization`.

>>> import graphflow as tf
>>> out, seg = tf.nn.isotonic_regression([[3., 1., 2.]])
>>> out.numpy().tolist(), seg.numpy().tolist()
([[3.0, 1.5, 1.5]], [[0, 1, 1]])
"""
import numpy as np

from .ops import math_ops as _m, shape_ops as _s
from .ops.array_ops import top_k
from .ops.nn_ops import batch_normalization
from .ops.segment_ops import unsorted_segment_mean
from .py_func import numpy_function
from .tensor import TensorSpec, to_tensor

__all__ = ["isotonic_regression", "approx_max_k", "approx_min_k",
           "batch_norm_with_global_normalization"]


def _pav_segments(rows):
    """Per row of (n, m), the segment ids of the non-increasing least-squares fit (pool
    adjacent violators): equal ids share their mean."""
    out = np.zeros(rows.shape, np.int32)
    for r, y in enumerate(rows):
        blocks = []   # [sum, count, start]
        for i, v in enumerate(y.astype(np.float64)):
            blocks.append([v, 1, i])
            while len(blocks) > 1 and \
                    blocks[-2][0] / blocks[-2][1] < blocks[-1][0] / blocks[-1][1]:
                s, c, _ = blocks.pop()
                blocks[-1][0] += s
                blocks[-1][1] += c
        for k, (_, c, start) in enumerate(blocks):
            out[r, start:start + c] = k
    return out


def isotonic_regression(inputs, decreasing=True, axis=-1):
    """The least-squares monotone fit of every 1-D slice along `axis` (non-increasing if
    `decreasing`, else non-decreasing): (output, segments) where `segments` numbers the
    pooled runs (int32). The output is each run's mean, so its gradient averages the
    incoming gradient over the run.

    >>> import graphflow as tf
    >>> tf.nn.isotonic_regression([[1., 3., 4.]], decreasing=False)[0].numpy().tolist()
    [[1.0, 3.0, 4.0]]
    """
    x = to_tensor(inputs)
    if not x.dtype.is_floating:
        x = _m.cast(x, "float32")
    ax = axis % x.ndim
    moved = _s.transpose(x, [d for d in range(x.ndim) if d != ax] + [ax]) \
        if ax != x.ndim - 1 else x
    n = moved.shape[-1]
    flat = _s.reshape(moved, [-1, n])
    if not all(isinstance(d, int) for d in flat.shape):
        raise ValueError(f"isotonic_regression: needs a static shape, got {x.shape}")
    signed = flat if decreasing else -flat

    def segments(a):   # and global ids: row r's run k -> r * n + k
        seg = _pav_segments(a)
        return seg, seg + np.arange(a.shape[0], dtype=np.int32)[:, None] * n
    seg, ids = numpy_function(segments, [signed], [TensorSpec(flat.shape, "int32")] * 2,
                              stateful=False)
    flat_ids = _s.reshape(ids, [-1])
    means = unsorted_segment_mean(_s.reshape(flat, [-1]), flat_ids, flat.shape[0] * n)
    out = _s.reshape(_s.gather(means, flat_ids), moved.shape)
    seg = _s.reshape(seg, moved.shape)
    if ax != x.ndim - 1:
        back = list(range(ax)) + [x.ndim - 1] + list(range(ax, x.ndim - 1))
        out, seg = _s.transpose(out, back), _s.transpose(seg, back)
    return out, seg


def approx_max_k(operand, k, reduction_dimension=-1, recall_target=0.95,
                 reduction_input_size_override=-1, aggregate_to_topk=True, name=None):
    """The k largest values along the last axis and their int32 indices (exact here).

    >>> import graphflow as tf
    >>> v, i = tf.nn.approx_max_k(tf.constant([[1., 5., 3.]]), 2)
    >>> v.numpy().tolist(), i.numpy().tolist()
    ([[5.0, 3.0]], [[1, 2]])
    """
    if reduction_dimension not in (-1, to_tensor(operand).ndim - 1):
        raise NotImplementedError("approx_max_k: only the last dimension (as TF's CPU kernel)")
    return top_k(operand, k)


def approx_min_k(operand, k, reduction_dimension=-1, recall_target=0.95,
                 reduction_input_size_override=-1, aggregate_to_topk=True, name=None):
    """The k smallest values along the last axis and their int32 indices (exact here).

    >>> import graphflow as tf
    >>> tf.nn.approx_min_k(tf.constant([[4., 2., 6.]]), 2)[0].numpy().tolist()
    [[2.0, 4.0]]
    """
    if reduction_dimension not in (-1, to_tensor(operand).ndim - 1):
        raise NotImplementedError("approx_min_k: only the last dimension")
    values, indices = top_k(-to_tensor(operand), k)
    return -values, indices


def batch_norm_with_global_normalization(t=None, m=None, v=None, beta=None, gamma=None,
                                         variance_epsilon=None,
                                         scale_after_normalization=None, name=None,
                                         input=None, mean=None, variance=None):  # noqa: A002
    """The legacy batch norm: (t - m) / sqrt(v + eps) * gamma (if
    `scale_after_normalization`) + beta.

    >>> import graphflow as tf
    >>> tf.nn.batch_norm_with_global_normalization(
    ...     tf.constant([3.]), [1.], [1.], [0.5], [2.], 0., True).numpy().tolist()
    [4.5]
    """
    t = input if t is None else t
    m = mean if m is None else m
    v = variance if v is None else v
    return batch_normalization(t, m, v, beta, gamma if scale_after_normalization else None,
                               variance_epsilon)
