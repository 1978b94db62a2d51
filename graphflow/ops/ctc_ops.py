"""`tf.nn.ctc_loss`: the connectionist temporal classification loss (Graves et al. 2006), as a
composition of graphflow ops - the forward (alpha) recursion in log space over the label
sequence extended with blanks, vectorized over the batch and unrolled over the (static)
number of time steps - so its gradient (and higher orders) come from the ops' VJPs.

>>> import graphflow as tf, numpy as np
>>> logits = tf.zeros((2, 1, 3))            # T=2, batch 1, 3 classes: all paths equally likely
>>> loss = tf.nn.ctc_loss(tf.constant([[1]]), logits, [1], [2], blank_index=0)
>>> bool(abs(float(loss[0]) + np.log(3 / 9)) < 1e-6)   # paths "1 1", "0 1", "1 0"
True
"""
import numpy as np

from ..tensor import constant, to_tensor  # noqa: F401  (constant: doctests)
from . import array_ops as _a, math_ops as _m, shape_ops as _s
from .nn_ops import log_softmax

__all__ = ["ctc_loss"]

_NEG = -1e30   # log(0) that keeps logsumexp and its gradient finite


def _shift(x, k, fill):
    """x moved k places right along the last axis, `fill` entering on the left."""
    pad = _m.zeros_like(x[..., :k]) + fill
    return _s.concat([pad, x[..., :-k]], -1)


def _sparse_labels(sp):
    """(dense labels, label lengths) of SparseTensor labels, as graph ops (so traced code
    works): row b's length is its number of entries (TF's labels fill each row from 0)."""
    dims = list(sp._dims)   # ints, or symbolic dims while tracing (a run-time batch)
    if len(dims) != 2:
        raise ValueError(f"ctc_loss: SparseTensor labels must be 2-D (batch, max_label_length), "
                         f"got dense_shape {dims}")
    idx = _m.cast(sp.indices, "int32")
    dense = _a.scatter_nd(idx, _m.cast(sp.values, "int32"), dims)
    ones = _m.cast(_m.zeros_like(idx[:, 0]) + 1, "int32")
    return dense, _a.scatter_nd(idx[:, :1], ones, dims[:1])


def ctc_loss(labels, logits, label_length, logit_length, logits_time_major=True, unique=None,
             blank_index=None, name=None):
    """`tf.nn.ctc_loss`: per example, -log p(labels | logits) summed over all alignments.

    labels: (batch, max_label_length) int, padded past label_length (or a SparseTensor with
    label_length None); logits: (time, batch, classes) if logits_time_major else (batch,
    time, classes), unnormalized; label_length, logit_length: (batch,) ints; blank_index:
    the blank class (default 0, negative counts from the end, as TF).

    >>> loss = ctc_loss(constant([[1, 2]]), constant(np.zeros((3, 1, 3), "float32")), [2], [3])
    >>> round(float(loss[0]), 4)          # 5 of the 27 equally likely paths give "1 2"
    1.6864
    """
    if hasattr(labels, "indices") and hasattr(labels, "dense_shape"):   # a SparseTensor
        labels, label_length = _sparse_labels(labels)
    elif label_length is None:
        raise ValueError("ctc_loss: label_length is required for dense labels")
    x = to_tensor(logits)
    if not x.dtype.is_floating:
        x = _m.cast(x, "float32")
    if not logits_time_major:
        x = _s.transpose(x, [1, 0, 2])
    steps, batch, classes = x.shape
    blank = 0 if blank_index is None else int(blank_index) % classes
    lab = _m.cast(to_tensor(labels), "int32")
    lab_len = _m.cast(to_tensor(label_length), "int32")
    logit_len = _m.cast(to_tensor(logit_length), "int32")
    n_lab = lab.shape[1]   # an int, or (a max label length known when the graph runs) a Dim
    width = 2 * n_lab + 1
    wide = not isinstance(width, (int, np.integer)) or width > 2
    blanks = _m.zeros_like(lab) + blank
    ext = _s.concat([_s.reshape(_s.stack([blanks, lab], -1), (batch, 2 * n_lab)),
                     _m.zeros_like(lab_len[:, None]) + blank], 1)
    logp = log_softmax(x, -1)                                              # (T, B, C)
    lp = _a.take_along_axis(logp, _s.broadcast_to(_s.expand_dims(ext, 0),
                                                  (steps, batch, width)), 2)  # (T, B, S)
    pos = _a.cumsum(_m.zeros_like(ext) + 1, 1) - 1                          # (B, S): 0..S-1
    neg = _m.zeros_like(lp[0]) + _NEG
    skip = _m.logical_and(_m.not_equal(ext, blank),
                          _m.not_equal(ext, _s.concat([ext[:, :2] * 0 - 1, ext[:, :-2]], 1)
                                       if wide else ext * 0 - 1))
    start = _m.logical_or(_m.equal(pos, 0), _m.logical_and(
        _m.equal(pos, 1), _m.greater(lab_len[:, None], 0)))
    alpha = _m.where(start, lp[0], neg)
    for t in range(1, steps):
        stay, step = alpha, _shift(alpha, 1, _NEG)
        jump = _m.where(skip, _shift(alpha, 2, _NEG), neg) if wide else neg
        new = _m.reduce_logsumexp(_s.stack([stay, step, jump]), 0) + lp[t]
        alpha = _m.where(_m.less(t, logit_len)[:, None], new, alpha)
    last = 2 * lab_len                                                     # (B,)
    ends = _s.stack([last, _m.maximum(last - 1, 0)], 1)
    tail = _a.take_along_axis(alpha, ends, 1)
    tail = _m.where(_s.stack([_m.greater_equal(last, 0), _m.greater(last, 0)], 1), tail,
                    _m.zeros_like(tail) + _NEG)
    return -_m.reduce_logsumexp(tail, 1)
