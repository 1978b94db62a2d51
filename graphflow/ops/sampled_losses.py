"""Candidate-sampling losses: `tf.nn.nce_loss`, `tf.nn.sampled_softmax_loss` and
`tf.nn.compute_accidental_hits`, as TF computes them (`_compute_sampled_logits`): the logits of
the true classes and of `num_sampled` sampled classes from an embedding-style weight matrix,
each minus log(expected count) of its class under the sampler ("subtract log Q"), sampled
classes that are in fact true classes masked with -FLOAT_MAX. Everything is graphflow ops, so
the losses differentiate (w.r.t. weights, biases and inputs) and trace.

>>> import graphflow as tf, numpy as np
>>> w, b = tf.ones((10, 3)), tf.zeros((10,))
>>> sv = (tf.constant([7, 8], tf.int64), tf.constant([[0.5]]), tf.constant([0.5, 0.5]))
>>> loss = tf.nn.sampled_softmax_loss(w, b, [[1]], tf.ones((1, 3)), 2, 10, sampled_values=sv)
>>> round(float(loss[0]), 4)      # three equal logits: -log(1/3)
1.0986
"""
import numpy as np

from ..errors import InvalidArgumentError
from ..tensor import SymbolicTensor, to_tensor
from .math_ops import (cast, equal, log, matmul, reduce_any, reduce_sum, stop_gradient, where,
                       zeros_like, ones_like)
from .nn_ops import embedding_lookup, sigmoid_cross_entropy_with_logits, \
    softmax_cross_entropy_with_logits
from .random_ops import log_uniform_candidate_sampler
from .shape_ops import concat, expand_dims, reshape

__all__ = ["nce_loss", "sampled_softmax_loss", "compute_accidental_hits"]

_FLOAT_MAX = float(np.finfo(np.float32).max)


def compute_accidental_hits(true_classes, sampled_candidates, num_true, seed=None, name=None):
    """The (row, sampled position) pairs where a sampled candidate equals one of that row's
    true classes: (indices int32, ids int64, weights = -FLOAT_MAX). Eager only (the number of
    hits depends on the values).

    >>> import graphflow as tf
    >>> i, ids, w = tf.nn.compute_accidental_hits([[1, 2], [3, 4]], [2, 7, 3], 2)
    >>> i.numpy().tolist(), ids.numpy().tolist()
    ([0, 1], [0, 2])
    """
    t, s = to_tensor(true_classes, "int64"), to_tensor(sampled_candidates, "int64")
    if isinstance(t, SymbolicTensor) or isinstance(s, SymbolicTensor):
        raise InvalidArgumentError("compute_accidental_hits: the number of hits depends on the "
                                   "values, so it runs eagerly only (nce_loss and "
                                   "sampled_softmax_loss mask hits densely inside @function)")
    tv, sv = t.numpy().reshape(-1, int(num_true)), s.numpy().reshape(-1)
    rows, cols = np.nonzero((tv[:, :, None] == sv[None, None, :]).any(1))
    return (to_tensor(rows.astype(np.int32)), to_tensor(cols.astype(np.int64)),
            to_tensor(np.full(len(rows), -_FLOAT_MAX, np.float32)))


def _sampled_logits(weights, biases, labels, inputs, num_sampled, num_classes, num_true,
                    sampled_values, subtract_log_q, remove_accidental_hits, seed, op):
    if isinstance(weights, (list, tuple)):
        if len(weights) != 1:
            raise NotImplementedError(f"{op}: sharded weights (a list) are not supported")
        weights = weights[0]
    w, b, x = to_tensor(weights), to_tensor(biases), to_tensor(inputs)
    labels = cast(to_tensor(labels), "int64")
    if labels.ndim == 1:
        labels = expand_dims(labels, 1)
    if x.ndim != 2 or w.ndim != 2 or labels.ndim != 2 or labels.shape[1] != int(num_true):
        raise InvalidArgumentError(
            f"{op}: expects weights [num_classes, dim], inputs [batch, dim] and labels "
            f"[batch, num_true={num_true}]; got weights {w.shape}, inputs {x.shape}, "
            f"labels {labels.shape}")
    if sampled_values is None:
        sampled_values = log_uniform_candidate_sampler(labels, num_true, num_sampled, True,
                                                       num_classes, seed=seed)
    sampled, true_expected, sampled_expected = (stop_gradient(to_tensor(v))
                                                for v in sampled_values)
    sampled = cast(sampled, "int64")
    dim = x.shape[1]
    true_w = reshape(embedding_lookup(w, reshape(labels, [-1])), [-1, int(num_true), dim])
    true_b = reshape(embedding_lookup(b, reshape(labels, [-1])), [-1, int(num_true)])
    true_logits = reduce_sum(expand_dims(x, 1) * true_w, -1) + true_b
    sampled_logits = matmul(x, embedding_lookup(w, sampled), transpose_b=True) + \
        embedding_lookup(b, sampled)
    if remove_accidental_hits:   # TF adds -FLOAT_MAX at the hits; the same, densely
        hit = reduce_any(equal(expand_dims(labels, 2), reshape(sampled, [1, 1, -1])), 1)
        sampled_logits = sampled_logits + where(hit, zeros_like(sampled_logits) - _FLOAT_MAX,
                                                zeros_like(sampled_logits))
    if subtract_log_q:
        true_logits = true_logits - log(cast(true_expected, true_logits.dtype))
        sampled_logits = sampled_logits - log(cast(sampled_expected, sampled_logits.dtype))
    logits = concat([true_logits, sampled_logits], 1)
    targets = concat([ones_like(true_logits) / float(num_true), zeros_like(sampled_logits)], 1)
    return logits, targets


def nce_loss(weights, biases, labels, inputs, num_sampled, num_classes, num_true=1,
             sampled_values=None, remove_accidental_hits=False, name="nce_loss"):
    """Noise-contrastive estimation loss per example (batch,): sigmoid cross-entropy of the
    true classes against 1/num_true and of `num_sampled` sampled classes against 0, summed.
    `sampled_values` = (sampled, true_expected_count, sampled_expected_count) as the
    candidate samplers return; by default a log-uniform sampler draws them.

    >>> import graphflow as tf
    >>> sv = (tf.constant([3], tf.int64), tf.constant([[1.]]), tf.constant([1.]))
    >>> l = tf.nn.nce_loss(tf.zeros((5, 2)), tf.zeros(5), [[0]], tf.ones((1, 2)), 1, 5,
    ...                    sampled_values=sv)
    >>> round(float(l[0]), 4)          # 2 * log(2): both logits 0
    1.3863
    """
    logits, targets = _sampled_logits(weights, biases, labels, inputs, num_sampled,
                                      num_classes, num_true, sampled_values, True,
                                      remove_accidental_hits, None, "nce_loss")
    return reduce_sum(sigmoid_cross_entropy_with_logits(labels=targets, logits=logits), 1)


def sampled_softmax_loss(weights, biases, labels, inputs, num_sampled, num_classes, num_true=1,
                         sampled_values=None, remove_accidental_hits=True, seed=None,
                         name="sampled_softmax_loss"):
    """Softmax cross-entropy over the true classes and `num_sampled` sampled classes only
    (a cheap estimate of the full softmax loss for large `num_classes`), per example.

    >>> import graphflow as tf
    >>> sv = (tf.constant([3], tf.int64), tf.constant([[1.]]), tf.constant([1.]))
    >>> l = tf.nn.sampled_softmax_loss(tf.zeros((5, 2)), tf.zeros(5), [[0]], tf.ones((1, 2)),
    ...                                1, 5, sampled_values=sv)
    >>> round(float(l[0]), 4)          # two equal logits: log(2)
    0.6931
    """
    logits, targets = _sampled_logits(weights, biases, labels, inputs, num_sampled,
                                      num_classes, num_true, sampled_values, True,
                                      remove_accidental_hits, seed, "sampled_softmax_loss")
    return softmax_cross_entropy_with_logits(labels=stop_gradient(targets), logits=logits)
