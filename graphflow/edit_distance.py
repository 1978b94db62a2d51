"""`tf.edit_distance`: the Levenshtein distance between the sequences of two SparseTensors.

Both tensors group their values by every index but the last (the position in the sequence);
the output has the groups' shape (the larger dense_shape of the two, last dim dropped). With
`normalize` the distance is divided by the truth's length; as TF, a group with hypothesis but
no truth gives inf (normalized) and a group present in neither gives 0. Eager: the groups
depend on the indices' values.

>>> import graphflow as tf
>>> h = tf.sparse.SparseTensor([[0, 0], [0, 1]], ["a", "b"], [1, 2])
>>> t = tf.sparse.SparseTensor([[0, 0], [0, 1], [0, 2]], ["a", "c", "b"], [1, 3])
>>> tf.edit_distance(h, t, normalize=False).numpy().tolist()
[1.0]
"""
import numpy as np

from .errors import InvalidArgumentError
from .sparse import SparseTensor
from .tensor import SymbolicTensor, to_tensor

__all__ = ["edit_distance"]


def _levenshtein(a, b):
    prev = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        cur = [i]
        for j, y in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != y)))
        prev = cur
    return prev[-1]


def _groups(sp):
    idx, vals = sp.indices.numpy(), sp.values.numpy()
    order = np.lexsort(idx.T[::-1]) if len(idx) else np.arange(0)
    out = {}
    for k in order:
        out.setdefault(tuple(idx[k, :-1].tolist()), []).append(vals[k])
    return out


def edit_distance(hypothesis, truth, normalize=True, name="edit_distance"):
    """Levenshtein distance per group of `hypothesis` vs `truth` (SparseTensors of the same
    rank and dtype), float32; normalized by the truth's length if `normalize`.

    >>> import graphflow as tf
    >>> h = tf.sparse.SparseTensor([[0, 0, 0], [1, 0, 0]], ["a", "b"], (2, 1, 1))
    >>> t = tf.sparse.SparseTensor([[0, 1, 0], [1, 0, 0], [1, 0, 1], [1, 1, 0]],
    ...                            ["a", "b", "c", "a"], (2, 2, 2))
    >>> tf.edit_distance(h, t).numpy().tolist()
    [[inf, 1.0], [0.5, 1.0]]
    """
    for what, sp in (("hypothesis", hypothesis), ("truth", truth)):
        if not isinstance(sp, SparseTensor):
            raise TypeError(f"edit_distance: {what} must be a SparseTensor, got "
                            f"{type(sp).__name__}")
        if isinstance(sp.indices, SymbolicTensor):
            raise InvalidArgumentError("edit_distance: the sequences depend on the indices' "
                                       "values, so it runs eagerly only")
    hs, ts = (np.asarray(s.dense_shape.numpy()) for s in (hypothesis, truth))
    if len(hs) != len(ts) or hypothesis.values.dtype != truth.values.dtype:
        raise InvalidArgumentError(
            f"edit_distance: hypothesis and truth must have the same rank and dtype, got "
            f"rank {len(hs)} {hypothesis.values.dtype.name} and rank {len(ts)} "
            f"{truth.values.dtype.name}")
    shape = np.maximum(hs, ts)[:-1]
    out = np.zeros(tuple(int(d) for d in shape), np.float32)
    hg, tg = _groups(hypothesis), _groups(truth)
    for key in set(hg) | set(tg):
        h, t = hg.get(key, []), tg.get(key, [])
        d = float(_levenshtein(h, t))
        if normalize:
            d = d / len(t) if t else (np.inf if h else 0.0)
        out[key] = d
    return to_tensor(out)
