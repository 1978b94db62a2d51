"""CTC decoding: `tf.nn.ctc_greedy_decoder`, `tf.nn.ctc_beam_search_decoder`,
`tf.nn.collapse_repeated`, `tf.nn.ctc_unique_labels` and the beam-search strategy of
`keras.ops.ctc_decode`.

Decoding is a discrete search with no gradient, run on numpy (as TF runs it in a CPU kernel).
The beam search is the CTC prefix beam search: every prefix keeps the log-probability of the
paths ending in a blank and of those ending in its last label, so repeated labels separated by
a blank stay apart and the score of a prefix is the summed probability of all its alignments
that survived the pruning to `beam_width` prefixes per step. With enough width it is exact;
TF's own pruning order can rank lower paths differently when the width cuts alignments.

The TF decoders return SparseTensors whose sizes depend on the values, so they run eagerly;
`keras.ops.ctc_decode` returns dense padded tensors and works inside `@function` too.

>>> import graphflow as tf, numpy as np
>>> logits = np.log(np.array([[[.1, .8, .1]], [[.1, .8, .1]], [[.8, .1, .1]]], np.float32))
>>> (decoded,), neg_sum = tf.nn.ctc_greedy_decoder(logits, [3], blank_index=0)
>>> decoded.values.numpy().tolist()     # "1 1 blank" collapses to [1]
[1]
"""
import numpy as np

from .errors import InvalidArgumentError
from .py_func import numpy_function
from .sparse import SparseTensor
from .tensor import SymbolicTensor, Tensor, TensorSpec, to_tensor

__all__ = ["ctc_greedy_decoder", "ctc_beam_search_decoder", "collapse_repeated",
           "ctc_unique_labels", "beam_search_decode"]


def _eager(op, *values):
    """Values as numpy arrays; a clear error when traced (the outputs' sizes are data-dependent)."""
    out = []
    for v in values:
        if isinstance(v, SymbolicTensor):
            raise InvalidArgumentError(
                f"tf.nn.{op}: its SparseTensor outputs have value-dependent sizes, so it runs "
                "eagerly only; inside @function use keras.ops.ctc_decode (dense, padded with -1) "
                "or wrap the call in tf.numpy_function")
        out.append(np.asarray(to_tensor(v)._value))   # Python ints -> int32, as TF
    return out


def _log_softmax(x):
    x = x.astype(np.float64)
    m = x.max(-1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(-1, keepdims=True))


def _blank(blank_index, num_classes, op):
    b = num_classes - 1 if blank_index is None else int(blank_index)
    b = b + num_classes if b < 0 else b
    if not 0 <= b < num_classes:
        raise InvalidArgumentError(f"tf.nn.{op}: blank_index {blank_index} is out of range for "
                                   f"{num_classes} classes")
    return b


def _sparse(paths, batch):
    """The rows `paths` (one list of labels per batch entry) as a SparseTensor (TF's layout)."""
    idx = [[b, i] for b, p in enumerate(paths) for i in range(len(p))]
    vals = [v for p in paths for v in p]
    width = max((len(p) for p in paths), default=0)
    return SparseTensor(np.asarray(idx, np.int64).reshape(-1, 2), np.asarray(vals, np.int64),
                        np.asarray([batch, width], np.int64))


def _lengths(sequence_length, batch, time, op):
    lens = np.broadcast_to(np.asarray(sequence_length, np.int64).reshape(-1), (batch,))
    if (lens < 0).any() or (lens > time).any():
        raise InvalidArgumentError(f"tf.nn.{op}: sequence_length {lens.tolist()} must be in "
                                   f"[0, {time}] (inputs have {time} time steps)")
    return lens


def ctc_greedy_decoder(inputs, sequence_length, merge_repeated=True, blank_index=None):
    """Best-path decoding of time-major `inputs` (max_time, batch, classes): the top class per
    step, repeats merged (unless `merge_repeated=False`), blanks (default: the last class)
    dropped. Returns ([SparseTensor (batch, max_len) of int64], neg_sum_logits (batch, 1)): the
    negated sum of each step's largest logit.

    >>> import graphflow as tf, numpy as np
    >>> x = np.log(np.array([[[.7, .2, .1]], [[.7, .2, .1]], [[.1, .1, .8]]], np.float32))
    >>> (d,), _ = tf.nn.ctc_greedy_decoder(x, [3])     # blank = class 2
    >>> d.values.numpy().tolist(), d.dense_shape.numpy().tolist()
    ([0], [1, 1])
    """
    x, = _eager("ctc_greedy_decoder", inputs)
    if x.ndim != 3:
        raise InvalidArgumentError(f"tf.nn.ctc_greedy_decoder: inputs must be (max_time, batch, "
                                   f"classes), got shape {x.shape}")
    T, B, C = x.shape
    blank = _blank(blank_index, C, "ctc_greedy_decoder")
    lens = _lengths(sequence_length, B, T, "ctc_greedy_decoder")
    best = x.argmax(-1)
    paths, neg = [], np.zeros((B, 1), x.dtype if x.dtype.kind == "f" else np.float32)
    for b in range(B):
        seq = best[:lens[b], b]
        neg[b, 0] = -x[:lens[b], b].max(-1).sum() if lens[b] else 0
        keep = seq != blank
        if merge_repeated:
            keep &= np.concatenate([[True], seq[1:] != seq[:-1]])
        paths.append(seq[keep].tolist())
    return [_sparse(paths, B)], to_tensor(neg)


def _prefix_beam(logp, blank, width):
    """CTC prefix beam search over log-probabilities (T, C): [(prefix tuple, log prob)], best
    first."""
    ninf = -np.inf
    beams = {(): (0.0, ninf)}   # prefix -> (log p ending in blank, log p ending in a label)
    labels = [c for c in range(logp.shape[1]) if c != blank]
    for row in logp:
        new = {}

        def add(prefix, slot, v):
            pb, pnb = new.get(prefix, (ninf, ninf))
            new[prefix] = (np.logaddexp(pb, v), pnb) if slot == 0 else (pb, np.logaddexp(pnb, v))
        for prefix, (pb, pnb) in beams.items():
            total = np.logaddexp(pb, pnb)
            add(prefix, 0, total + row[blank])
            for c in labels:
                if prefix and prefix[-1] == c:   # a repeat extends only after a blank
                    add(prefix, 1, pnb + row[c])
                    add(prefix + (c,), 1, pb + row[c])
                else:
                    add(prefix + (c,), 1, total + row[c])
        ranked = sorted(new.items(), key=lambda kv: -np.logaddexp(*kv[1]))
        beams = dict(ranked[:width])
    return [(p, float(np.logaddexp(*v))) for p, v in
            sorted(beams.items(), key=lambda kv: -np.logaddexp(*kv[1]))]


def _beams(logp, lens, blank, width, top, op):
    if top > width:
        raise InvalidArgumentError(f"{op}: top_paths ({top}) must be <= beam_width ({width})")
    out = []
    for b in range(logp.shape[0]):
        found = _prefix_beam(logp[b, :lens[b]], blank, width)[:top]
        found += [((), -np.inf)] * (top - len(found))
        out.append(found)
    return out


def ctc_beam_search_decoder(inputs, sequence_length, beam_width=100, top_paths=1):
    """Beam-search decoding of time-major logits (max_time, batch, classes), the last class
    being the blank. Returns ([top_paths SparseTensors (batch, max_len) of int64, best first],
    log_probabilities (batch, top_paths)).

    >>> import graphflow as tf, numpy as np
    >>> x = np.log(np.array([[[.6, .4, 0.]], [[.6, .4, 0.]]], np.float32) + 1e-9)
    >>> (d,), logp = tf.nn.ctc_beam_search_decoder(x, [2], beam_width=4)
    >>> d.values.numpy().tolist(), round(float(np.exp(logp[0, 0])), 2)   # 0 0 + 0 1 + 1 0 ...
    ([0], 0.36)
    """
    x, = _eager("ctc_beam_search_decoder", inputs)
    if x.ndim != 3:
        raise InvalidArgumentError(f"tf.nn.ctc_beam_search_decoder: inputs must be (max_time, "
                                   f"batch, classes), got shape {x.shape}")
    T, B, C = x.shape
    lens = _lengths(sequence_length, B, T, "ctc_beam_search_decoder")
    found = _beams(_log_softmax(np.moveaxis(x, 1, 0)), lens, C - 1, int(beam_width),
                   int(top_paths), "tf.nn.ctc_beam_search_decoder")
    decoded = [_sparse([list(found[b][k][0]) for b in range(B)], B) for k in range(top_paths)]
    logp = np.array([[s for _, s in row] for row in found], np.float32)
    return decoded, to_tensor(logp)


def beam_search_decode(inputs, sequence_lengths, beam_width=100, top_paths=1, mask_index=0):
    """`keras.ops.ctc_decode(..., strategy="beam_search")`: batch-major logits (batch, time,
    classes) -> (decoded (top_paths, batch, time) int32 padded with -1, log-probabilities
    (batch, top_paths)); `mask_index` is the blank. Runs as a `numpy_function` node, so it
    works inside `@function` (no gradient, as Keras's).

    >>> import graphflow as tf, numpy as np
    >>> x = np.log(np.array([[[.1, .9], [.9, .1], [.1, .9]]], np.float32))
    >>> d, s = beam_search_decode(x, [3], beam_width=4)
    >>> d.numpy()[0].tolist()           # "1 blank 1" keeps both labels
    [[1, 1, -1]]
    """
    x = to_tensor(inputs)
    if x.shape.rank != 3:
        raise InvalidArgumentError(f"keras.ops.ctc_decode: inputs must be (batch, time, "
                                   f"classes), got shape {x.shape}")
    B, T, C = x.shape
    width, top, blank = int(beam_width), int(top_paths), int(mask_index)

    def run(xv, lens):
        lens = _lengths(lens, xv.shape[0], xv.shape[1], "ctc_decode")
        found = _beams(_log_softmax(xv), lens, blank, width, top, "keras.ops.ctc_decode")
        dec = np.full((top, xv.shape[0], xv.shape[1]), -1, np.int32)
        for b, row in enumerate(found):
            for k, (p, _) in enumerate(row):
                dec[k, b, :len(p)] = p
        return dec, np.array([[s for _, s in row] for row in found], np.float32)
    return numpy_function(run, [x, to_tensor(sequence_lengths)],
                          [TensorSpec((top, B, T), "int32"), TensorSpec((B, top), "float32")],
                          stateful=False)


def collapse_repeated(labels, seq_length, name=None):
    """Merge runs of equal labels: returns (labels with runs merged, padded with 0 to the
    longest result, new lengths).

    >>> import graphflow as tf
    >>> out, n = tf.nn.collapse_repeated([[1, 1, 2, 2, 3], [4, 4, 4, 0, 0]], [5, 3])
    >>> out.numpy().tolist(), n.numpy().tolist()
    ([[1, 2, 3], [4, 0, 0]], [3, 1])
    """
    lab, lens = _eager("collapse_repeated", labels, seq_length)
    rows = []
    for b in range(lab.shape[0]):
        seq = lab[b, :int(lens[b])]
        rows.append(seq[np.concatenate([[True], seq[1:] != seq[:-1]])] if len(seq) else seq)
    width = max((len(r) for r in rows), default=0)
    out = np.zeros((lab.shape[0], width), lab.dtype)
    for b, r in enumerate(rows):
        out[b, :len(r)] = r
    return to_tensor(out), to_tensor(np.array([len(r) for r in rows], np.int32))


def ctc_unique_labels(labels, name=None):
    """Per row, the distinct labels in order of first appearance (padded with 0, int64) and
    each label's index into them (int32), as `tf.unique` row by row.

    >>> import graphflow as tf
    >>> u, i = tf.nn.ctc_unique_labels([[3, 4, 4, 3]])
    >>> u.numpy().tolist(), i.numpy().tolist()
    ([[3, 4, 0, 0]], [[0, 1, 1, 0]])
    """
    lab, = _eager("ctc_unique_labels", labels)
    uniq = np.zeros(lab.shape, np.int64)
    idx = np.zeros(lab.shape, np.int32)
    for b, row in enumerate(lab):
        seen = {}
        for j, v in enumerate(row.tolist()):
            idx[b, j] = seen.setdefault(v, len(seen))
        uniq[b, :len(seen)] = list(seen)
    return to_tensor(uniq), to_tensor(idx)
