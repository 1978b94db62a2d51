"""`tf.space_to_batch_nd` / `tf.batch_to_space` and their helper
`tf.required_space_to_batch_paddings`: pad, reshape and transpose (so they trace, run on every
backend and differentiate to any order through those ops' VJPs - no op of their own).

space_to_batch moves (b1 x ... x bM) blocks of the M spatial dims after the batch dim into the
batch dim: (N, H, W, C) with blocks (2, 2) -> (4N, H/2, W/2, C), batch index = (i1 * b2 + i2) * N
+ n for the block offset (i1, i2); batch_to_space is its inverse followed by a crop.

>>> import graphflow as tf, numpy as np
>>> x = np.arange(16.).reshape(1, 4, 4, 1)
>>> y = tf.space_to_batch(x, [2, 2], [[0, 0], [0, 0]])
>>> y.shape, y.numpy()[1, ..., 0].tolist()
(TensorShape([4, 2, 2, 1]), [[1.0, 3.0], [9.0, 11.0]])
>>> bool((tf.batch_to_space(y, [2, 2], [[0, 0], [0, 0]]).numpy() == x).all())
True
"""
import numpy as np

from ..tensor import to_tensor
from .array_ops import pad
from .registry import op_error
from .shape_ops import reshape, transpose

__all__ = ["space_to_batch_nd", "batch_to_space", "required_space_to_batch_paddings"]


def _static(v, what, op):
    try:
        return np.asarray(to_tensor(v).numpy(), np.int64)
    except Exception:   # symbolic: the block sizes and paddings fix the output shape
        raise op_error(op, (), f"{what} must be known while tracing (a Python/numpy value "
                               "or a constant)") from None


def _arguments(op, input, block_shape, pairs, what):   # noqa: A002
    """(tensor, block sizes, (M, 2) paddings or crops, shape) checked for `op`."""
    x = to_tensor(input)
    block = _static(block_shape, "block_shape", op).reshape(-1)
    m = len(block)
    edges = _static(pairs, what, op).reshape(m, 2)
    if x.ndim < m + 1 or (block < 1).any() or (edges < 0).any():
        raise op_error(op, (x,), f"needs rank > {m}, block_shape >= 1 and {what} >= 0; got "
                                 f"block_shape {block.tolist()}, {what} {edges.tolist()}")
    shape = list(x.shape)
    if any(not isinstance(d, int) for d in shape[1:1 + m]):
        raise op_error(op, (x,), f"the {m} spatial dims must be known, got shape {x.shape}")
    return x, block, edges, shape


def space_to_batch_nd(input, block_shape, paddings, name=None):   # noqa: A002
    """Zero-pad the M dims after the batch dim by `paddings` (M, 2), then move each
    `block_shape` block into the batch dim (TF's `tf.space_to_batch` / `space_to_batch_nd`).

    >>> import graphflow as tf, numpy as np
    >>> tf.space_to_batch(np.arange(6.).reshape(1, 6, 1), [3], [[0, 0]]).numpy()[..., 0].tolist()
    [[0.0, 3.0], [1.0, 4.0], [2.0, 5.0]]
    """
    op = "space_to_batch_nd"
    x, block, pads, shape = _arguments(op, input, block_shape, paddings, "paddings")
    m = len(block)
    padded = [shape[1 + i] + int(pads[i].sum()) for i in range(m)]
    if any(p % b for p, b in zip(padded, block)):
        raise op_error(op, (x,), f"padded spatial dims {padded} must be divisible by "
                                 f"block_shape {block.tolist()}")
    rest = shape[1 + m:]
    y = pad(x, [[0, 0]] + pads.tolist() + [[0, 0]] * len(rest))
    split = [-1 if shape[0] is None else shape[0]]
    for p, b in zip(padded, block):
        split += [p // int(b), int(b)]
    y = reshape(y, split + rest)
    # (N, s1, b1, ..., sM, bM, rest) -> (b1, ..., bM, N, s1, ..., sM, rest)
    perm = [2 + 2 * i for i in range(m)] + [0] + [1 + 2 * i for i in range(m)] + \
        list(range(1 + 2 * m, 1 + 2 * m + len(rest)))
    y = transpose(y, perm)
    return reshape(y, [-1] + [p // int(b) for p, b in zip(padded, block)] + rest)


def batch_to_space(input, block_shape, crops, name=None):   # noqa: A002
    """The inverse of `space_to_batch_nd`: move the `block_shape` blocks out of the batch dim
    back into the M dims after it, then crop them by `crops` (M, 2).

    >>> import graphflow as tf, numpy as np
    >>> y = tf.space_to_batch(np.arange(6.).reshape(1, 6, 1), [3], [[0, 0]])
    >>> tf.batch_to_space(y, [3], [[0, 1]]).numpy()[0, :, 0].tolist()
    [0.0, 1.0, 2.0, 3.0, 4.0]
    """
    op = "batch_to_space"
    x, block, crop, shape = _arguments(op, input, block_shape, crops, "crops")
    m = len(block)
    nb = int(np.prod(block))
    if isinstance(shape[0], int) and shape[0] % nb:
        raise op_error(op, (x,), f"the batch dim {shape[0]} must be divisible by the product "
                                 f"of block_shape {block.tolist()} ({nb})")
    sp, rest = shape[1:1 + m], shape[1 + m:]
    full = [s * int(b) for s, b in zip(sp, block)]
    if any(int(c.sum()) > f for c, f in zip(crop, full)):
        raise op_error(op, (x,), f"crops {crop.tolist()} exceed the spatial dims {full}")
    y = reshape(x, [int(b) for b in block] + [-1] + sp + rest)
    # (b1, ..., bM, N, s1, ..., sM, rest) -> (N, s1, b1, ..., sM, bM, rest)
    perm = [m]
    for i in range(m):
        perm += [m + 1 + i, i]
    perm += list(range(2 * m + 1, 2 * m + 1 + len(rest)))
    y = reshape(transpose(y, perm), [-1] + full + rest)
    index = (slice(None),) + tuple(slice(int(c[0]), f - int(c[1])) for c, f in zip(crop, full))
    return y[index]


def required_space_to_batch_paddings(input_shape, block_shape, base_paddings=None, name=None):
    """The (paddings, crops) that make the spatial `input_shape` divisible by `block_shape`
    after `base_paddings` (the extra padding goes at the end; crops remove it again).

    >>> import graphflow as tf
    >>> p, c = tf.required_space_to_batch_paddings([5, 7], [2, 3])
    >>> p.numpy().tolist(), c.numpy().tolist()
    ([[0, 1], [0, 2]], [[0, 1], [0, 2]])
    """
    op = "required_space_to_batch_paddings"
    shape = _static(input_shape, "input_shape", op).reshape(-1)
    block = _static(block_shape, "block_shape", op).reshape(-1)
    base = (np.zeros((len(block), 2), np.int64) if base_paddings is None else
            _static(base_paddings, "base_paddings", op).reshape(len(block), 2))
    full = shape + base[:, 0] + base[:, 1]
    extra = (block - full % block) % block
    paddings = np.stack([base[:, 0], base[:, 1] + extra], 1).astype(np.int32)
    crops = np.stack([np.zeros_like(extra), extra], 1).astype(np.int32)
    return to_tensor(paddings), to_tensor(crops)
