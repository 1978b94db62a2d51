"""3-D convolution and pooling, N-D `tf.nn.pool`, `max_pool_with_argmax` and morphological
`dilation2d` / `erosion2d`: compositions of the 2-D primitives of `conv_ops` and of
slices / maximum / where, so values, gradients (every order), forward-mode JVPs and the numba
kernels are those of the ops they are made of (DESIGN rule 1: keep the primitive set small).

* `conv3d`: one conv2d per depth tap of the filter on the (N*Do, H, W, C) fold of the
  input's strided depth view, summed; `conv3d_transpose`: one conv2d_transpose per depth tap,
  each placed at its depth offset.
* `max_pool3d` / `avg_pool3d`: 2-D pooling of every depth slice, then the depth windows.
* `pool` with dilations, `dilation2d`, `erosion2d`: a loop over the window's taps (strided
  slices of the padded input), never over batch, positions or channels.
* `max_pool_with_argmax`: max_pool2d's values; the flat index of each window's first maximum
  by a running strict-greater select over the taps.

Padding is TF's: 'SAME', 'VALID' or explicit [[0, 0], [lo, hi], ..., [0, 0]].

>>> import graphflow as tf
>>> tf.nn.conv3d(tf.ones((1, 3, 4, 4, 2)), tf.ones((2, 2, 2, 2, 5)), [1, 1, 1, 1, 1],
...              "VALID").shape
TensorShape([1, 2, 3, 3, 5])
>>> tf.nn.max_pool3d(tf.ones((1, 4, 4, 4, 1)), 2, 2, "SAME").shape
TensorShape([1, 2, 2, 2, 1])
"""
import itertools

import numpy as np

from ..errors import user_source
from ..shapes import Dim
from ..tensor import constant, convert_args, to_tensor
from .registry import op_error
from . import conv_ops as _cv
from .array_ops import pad
from .math_ops import cast, greater, maximum, minimum, where
from .shape_ops import gather, reshape
from .creation import range as _range, shape_tuple


# ------------------------------------------------------------------ arguments
def _ntuple(v, n, what, opname):
    """An int, or n ints, or n + 2 ints (TF's [1, ..., 1] form) -> n ints."""
    if v is None:
        return (1,) * n
    if isinstance(v, (int, np.integer)):
        return (int(v),) * n
    v = tuple(int(a) for a in v)
    if len(v) == n:
        return v
    if len(v) == n + 2:
        return v[1:-1]
    if len(v) == 1:
        return v * n
    raise ValueError(f"{opname}: {what} must be an int or a list of {n} (or {n + 2}) ints, got "
                     f"{list(v)} (at {user_source()})")


def axis_pads(padding, sizes, ksize, strides, dilations, opname):
    """TF padding ('SAME', 'VALID', or explicit pairs for every axis or only the spatial ones)
    -> one (lo, hi) pair per spatial axis.

    >>> axis_pads("SAME", (5, 4), (3, 2), (2, 1), (1, 1), "pool")
    ((1, 1), (0, 1))
    """
    n = len(ksize)
    if isinstance(padding, str):
        p = padding.upper()
        if p == "VALID":
            return ((0, 0),) * n
        if p == "SAME":
            return tuple(_cv.same_pads(sizes[a], ksize[a], strides[a], dilations[a])
                         for a in range(n))
        raise ValueError(f"{opname}: padding must be 'SAME', 'VALID' or explicit, got "
                         f"{padding!r} (at {user_source()})")
    p = [tuple(int(v) for v in pair) for pair in padding]
    if len(p) == n + 2:
        if p[0] != (0, 0) or p[-1] != (0, 0):
            raise ValueError(f"{opname}: explicit padding of the batch and channel axes must be "
                             f"0, got {padding} (at {user_source()})")
        p = p[1:-1]
    if len(p) != n or any(len(q) != 2 or min(q) < 0 for q in p):
        raise ValueError(f"{opname}: explicit padding needs {n} non-negative (lo, hi) pairs for "
                         f"the spatial axes, got {padding} (at {user_source()})")
    return tuple(p)


_LAST = {"NWC", "NHWC", "NDHWC", "channels_last", None}
_FIRST = {"NCW", "NCHW", "NCDHW", "channels_first"}


def _to_last(x, data_format, opname):
    if data_format in _LAST:
        return x, False
    if data_format in _FIRST:
        return _cv.to_channels_last(x, "channels_first"), True
    raise ValueError(f"{opname}: data_format must be channels-last (e.g. 'NDHWC') or "
                     f"channels-first (e.g. 'NCDHW'), got {data_format!r} (at {user_source()})")


def _from_last(y, flip):
    return _cv.from_channels_last(y, "channels_first" if flip else "channels_last")


def _check_rank(opname, xs, ranks, what):
    if any(x.ndim != r for x, r in zip(xs, ranks)):
        raise op_error(opname, xs, f"needs {what} (at {user_source()})")


def _static(opname, xs, n, what):
    if isinstance(n, Dim) or n is None:
        raise op_error(opname, xs, f"the {what} must be known while tracing, got {n} "
                       f"(at {user_source()})")
    return int(n)


def _out_len(opname, xs, n, k, stride, dilation, pads):
    out = _cv.out_size(n, k, stride, dilation, pads)
    if not isinstance(out, Dim) and out < 1:
        raise op_error(opname, xs, f"the (dilated) window of {k} taps is larger than the padded "
                       f"input of {n} + {pads[0]} + {pads[1]} cells (at {user_source()})")
    return out


def _fold(x):
    """(N, D, ...) -> (N*D, ...)."""
    return reshape(x, (-1,) + tuple(x.shape[2:]))


def _unfold(y, d):
    return reshape(y, (-1, d) + tuple(y.shape[1:]))


def _depth_taps(x, k, stride, dilation, out):
    """The `k` strided views x[:, i*dilation :: stride] (out steps each) along axis 1."""
    span = (out - 1) * stride + 1
    return [x[:, i * dilation:i * dilation + span:stride] for i in range(k)]


def _pad_axes(x, pads, value=0):
    if not any(lo or hi for lo, hi in pads):
        return x
    return pad(x, [[0, 0]] + [list(p) for p in pads] + [[0, 0]], constant_values=value)


def _lowest(dtype):
    dt = np.dtype(dtype)
    return -np.inf if dt.kind == "f" else int(np.iinfo(dt).min) // 2


# ------------------------------------------------------------------ 3-D convolution
def conv3d_nd(x, w, strides, pads, dilations):
    """conv3d of channels-last `x` by a (kd, kh, kw, C/groups, F) filter with explicit
    per-axis `pads` ((lo, hi) x 3): one conv2d per depth tap, summed.

    >>> import graphflow as tf
    >>> conv3d_nd(tf.ones((1, 3, 3, 3, 1)), tf.ones((3, 3, 3, 1, 1)), (1, 1, 1),
    ...           ((0, 0),) * 3, (1, 1, 1)).numpy().ravel().tolist()
    [27.0]
    """
    kd = int(w.shape[0])
    d = _static("conv3d", (x, w), x.shape[1], "input's depth")
    out = _out_len("conv3d", (x, w), d, kd, strides[0], dilations[0], pads[0])
    x = _pad_axes(x, (pads[0], (0, 0), (0, 0)))
    pads2 = [[0, 0], list(pads[1]), list(pads[2]), [0, 0]]
    y = None
    for i, xi in enumerate(_depth_taps(x, kd, strides[0], dilations[0], out)):
        yi = _cv.conv2d(_fold(xi), w[i], strides[1:], pads2, dilations=dilations[1:])
        y = yi if y is None else y + yi
    return _unfold(y, out)


def conv3d(input, filters, strides, padding, data_format="NDHWC", dilations=None, name=None):
    """3-D convolution (`tf.nn.conv3d`): input (N, D, H, W, C), filters (kd, kh, kw, C, F) ->
    (N, Do, Ho, Wo, F). strides / dilations: an int, 3 ints or TF's 5 ([1, sd, sh, sw, 1]).

    >>> import graphflow as tf
    >>> x = tf.reshape(tf.range(27.), (1, 3, 3, 3, 1))
    >>> tf.nn.conv3d(x, tf.ones((2, 2, 2, 1, 1)), [1, 1, 1, 1, 1], "VALID").numpy().ravel()
    array([ 52.,  60.,  76.,  84., 124., 132., 148., 156.], dtype=float32)
    """
    x, w = convert_args(input, filters, op="conv3d")
    x, flip = _to_last(x, data_format, "conv3d")
    _check_rank("conv3d", (x, w), (5, 5), "a rank-5 input (NDHWC) and a rank-5 filter "
                "(kd, kh, kw, C, F)")
    c, cf = x.shape[4], w.shape[3]
    if not isinstance(c, Dim) and (cf < 1 or c % cf):
        raise op_error("conv3d", (x, w), f"the input's {c} channels are not a multiple of the "
                       f"filter's {cf} input channels (at {user_source()})")
    strides = _ntuple(strides, 3, "strides", "conv3d")
    dilations = _ntuple(dilations, 3, "dilations", "conv3d")
    pads = axis_pads(padding, tuple(x.shape[1:4]), tuple(w.shape[:3]), strides, dilations,
                     "conv3d")
    return _from_last(conv3d_nd(x, w, strides, pads, dilations), flip)


def conv3d_transpose_nd(x, w, out_shape, strides, pads, dilations):
    """The transpose of `conv3d_nd` in its input: x (N, D, H, W, I), filter
    (kd, kh, kw, O, I), `out_shape` (N, Do, Ho, Wo, O); one conv2d_transpose per depth tap,
    each placed at its depth offset (the input's depth steps `stride` apart), then the pads
    cropped."""
    kd, (sd, dd) = int(w.shape[0]), (strides[0], dilations[0])
    d = _static("conv3d_transpose", (x, w), x.shape[1], "input's depth")
    od, oh, ow, f = out_shape[1:]
    od = _static("conv3d_transpose", (x, w), od, "output depth")
    want = _cv.out_size(od, kd, sd, dd, pads[0])
    if want != d:
        raise op_error("conv3d_transpose", (x, w), f"a conv3d of output_shape {tuple(out_shape)} "
                       f"gives depth {want}, not the input's {d} (at {user_source()})")
    xf = _fold(x)
    span = (d - 1) * sd + 1
    full = max(span + (kd - 1) * dd, pads[0][0] + od)
    pads2 = [[0, 0], list(pads[1]), list(pads[2]), [0, 0]]
    y = None
    for i in range(kd):
        yi = _cv.conv2d_transpose(xf, w[i], (xf.shape[0], oh, ow, f), strides[1:], pads2,
                                  dilations=dilations[1:])
        yi = _unfold(yi, d)
        if sd > 1:   # the depth steps `sd` apart: zeros between them
            yi = pad(reshape(yi, (-1, d, 1) + tuple(yi.shape[2:])),
                     [[0, 0], [0, 0], [0, sd - 1]] + [[0, 0]] * 3)
            yi = reshape(yi, (-1, d * sd) + tuple(yi.shape[3:]))[:, :span]
        yi = pad(yi, [[0, 0], [i * dd, full - span - i * dd]] + [[0, 0]] * 3)
        y = yi if y is None else y + yi
    lo = pads[0][0]
    return y[:, lo:lo + od]


def conv3d_transpose(input, filters, output_shape, strides, padding="SAME",
                     data_format="NDHWC", dilations=None, name=None):
    """The transpose (gradient) of conv3d (`tf.nn.conv3d_transpose`): input (N, D, H, W, I),
    filters (kd, kh, kw, O, I) -> `output_shape` (N, Do, Ho, Wo, O).

    >>> import graphflow as tf
    >>> y = tf.nn.conv3d_transpose(tf.ones((1, 2, 2, 2, 1)), tf.ones((2, 2, 2, 3, 1)),
    ...                            [1, 4, 4, 4, 3], 2, "SAME")
    >>> y.shape, float(tf.reduce_sum(y))
    (TensorShape([1, 4, 4, 4, 3]), 192.0)
    """
    x, w = convert_args(input, filters, op="conv3d_transpose")
    x, flip = _to_last(x, data_format, "conv3d_transpose")
    out = list(shape_tuple(output_shape))
    if flip and len(out) == 5:
        out = [out[0], out[2], out[3], out[4], out[1]]
    _check_rank("conv3d_transpose", (x, w), (5, 5), "a rank-5 input (NDHWC) and a rank-5 "
                "filter (kd, kh, kw, O, I)")
    if len(out) != 5 or (not isinstance(out[4], Dim) and out[4] != w.shape[3]):
        raise op_error("conv3d_transpose", (x, w), f"output_shape {out} must have 5 entries, "
                       f"the last the filter's {w.shape[3]} output channels (at {user_source()})")
    strides = _ntuple(strides, 3, "strides", "conv3d_transpose")
    dilations = _ntuple(dilations, 3, "dilations", "conv3d_transpose")
    pads = axis_pads(padding, tuple(out[1:4]), tuple(w.shape[:3]), strides, dilations,
                     "conv3d_transpose")
    return _from_last(conv3d_transpose_nd(x, w, out, strides, pads, dilations), flip)


# ------------------------------------------------------------------ 3-D pooling
def pool3d_nd(x, kind, ksize, strides, pads):
    """Max ('MAX') or average ('AVG') pooling of channels-last 5-D `x` with explicit pads:
    the 2-D pooling of every depth slice, then the depth windows (averages over non-padding
    cells only, as TF)."""
    opname = "max_pool3d" if kind == "MAX" else "avg_pool3d"
    d = _static(opname, (x,), x.shape[1], "input's depth")
    k, s = ksize[0], strides[0]
    out = _out_len(opname, (x,), d, k, s, 1, pads[0])
    pool2d = _cv.max_pool2d if kind == "MAX" else _cv.avg_pool2d
    y = _unfold(pool2d(_fold(x), ksize[1:], strides[1:], [[0, 0], list(pads[1]),
                                                           list(pads[2]), [0, 0]]), d)
    y = _pad_axes(y, (pads[0], (0, 0), (0, 0)), _lowest(y.dtype.np) if kind == "MAX" else 0)
    taps = _depth_taps(y, k, s, 1, out)
    acc = taps[0]
    for t in taps[1:]:
        acc = maximum(acc, t) if kind == "MAX" else acc + t
    if kind == "MAX":
        return acc
    lo = pads[0][0]     # non-padding cells per depth window (the 2-D part averaged its own)
    counts = [max(0, min(j * s - lo + k, d) - max(j * s - lo, 0)) for j in range(out)]
    return acc * constant((1.0 / np.asarray(counts, np.float64)).astype(y.dtype.np)
                          .reshape(1, out, 1, 1, 1))


def _pool3d(kind, input, ksize, strides, padding, data_format, opname):
    x, flip = _to_last(to_tensor(input), data_format, opname)
    _check_rank(opname, (x,), (5,), "a rank-5 input (NDHWC)")
    if kind == "AVG" and not x.dtype.is_floating:
        raise op_error(opname, (x,), f"needs a float input (at {user_source()})")
    ksize = _ntuple(ksize, 3, "ksize", opname)
    strides = _ntuple(strides, 3, "strides", opname)
    pads = axis_pads(padding, tuple(x.shape[1:4]), ksize, strides, (1, 1, 1), opname)
    return _from_last(pool3d_nd(x, kind, ksize, strides, pads), flip)


def max_pool3d(input, ksize, strides, padding, data_format="NDHWC", name=None):
    """Max pooling over (kd, kh, kw) windows of an NDHWC input (`tf.nn.max_pool3d`).

    >>> import graphflow as tf
    >>> x = tf.reshape(tf.range(8.), (1, 2, 2, 2, 1))
    >>> tf.nn.max_pool3d(x, 2, 1, "SAME").numpy().ravel().tolist()
    [7.0, 7.0, 7.0, 7.0, 7.0, 7.0, 7.0, 7.0]
    """
    return _pool3d("MAX", input, ksize, strides, padding, data_format, "max_pool3d")


def avg_pool3d(input, ksize, strides, padding, data_format="NDHWC", name=None):
    """Average pooling over (kd, kh, kw) windows of an NDHWC input (`tf.nn.avg_pool3d`);
    with SAME padding each window averages its non-padding cells.

    >>> import graphflow as tf
    >>> x = tf.reshape(tf.range(8.), (1, 2, 2, 2, 1))
    >>> tf.nn.avg_pool3d(x, 2, 2, "VALID").numpy().ravel().tolist()
    [3.5]
    """
    return _pool3d("AVG", input, ksize, strides, padding, data_format, "avg_pool3d")


# ------------------------------------------------------------------ N-D pooling by taps
def _tap_slices(ksize, strides, dilations, outs):
    """(tap, index) for every tap of the window: the strided slices of the padded input."""
    for tap in itertools.product(*[range(k) for k in ksize]):
        yield tap, (slice(None),) + tuple(
            slice(t * d, t * d + s * (o - 1) + 1, s)
            for t, s, d, o in zip(tap, strides, dilations, outs)) + (slice(None),)


def _outs(opname, xs, sizes, ksize, strides, dilations, pads):
    return [_out_len(opname, xs, _static(opname, xs, n, "spatial size"), k, s, d, p)
            for n, k, s, d, p in zip(sizes, ksize, strides, dilations, pads)]


def pool_taps(x, kind, ksize, strides, dilations, pads):
    """Max / average pooling of channels-last `x` with any window, strides, dilations and
    explicit pads, as a loop over the window's taps (averages over non-padding cells).

    >>> import graphflow as tf
    >>> pool_taps(tf.reshape(tf.range(5.), (1, 5, 1)), "MAX", (2,), (1,), (2,),
    ...           ((0, 0),)).numpy().ravel().tolist()
    [2.0, 3.0, 4.0]
    """
    opname = "pool"
    outs = _outs(opname, (x,), tuple(x.shape[1:-1]), ksize, strides, dilations, pads)
    xp = _pad_axes(x, pads, _lowest(x.dtype.np) if kind == "MAX" else 0)
    acc = None
    for _, idx in _tap_slices(ksize, strides, dilations, outs):
        v = xp[idx]
        acc = v if acc is None else maximum(acc, v) if kind == "MAX" else acc + v
    if kind == "MAX":
        return acc
    ones = np.pad(np.ones((1,) + tuple(int(n) for n in x.shape[1:-1]) + (1,)),
                  [(0, 0)] + [tuple(p) for p in pads] + [(0, 0)])
    counts = sum(ones[idx] for _, idx in _tap_slices(ksize, strides, dilations, outs))
    return acc * constant((1.0 / counts).astype(x.dtype.np))


_POOL_BY_RANK = {("MAX", 1): _cv.max_pool1d, ("MAX", 2): _cv.max_pool2d,
                 ("AVG", 1): _cv.avg_pool1d, ("AVG", 2): _cv.avg_pool2d,
                 ("MAX", 3): max_pool3d, ("AVG", 3): avg_pool3d}


def pool(input, window_shape, pooling_type, strides=None, padding="VALID", data_format=None,
         dilations=None, name=None):
    """N-D max or average pooling (`tf.nn.pool`): `pooling_type` 'MAX' or 'AVG', a window of
    1, 2 or 3 dims, optional strides (default 1) or dilations (with strides 1 and VALID or
    explicit padding, as TF).

    >>> import graphflow as tf
    >>> x = tf.reshape(tf.range(6.), (1, 6, 1))
    >>> tf.nn.pool(x, [2], "AVG", strides=[2]).numpy().ravel().tolist()
    [0.5, 2.5, 4.5]
    >>> tf.nn.pool(x, [2], "MAX", dilations=[2]).numpy().ravel().tolist()
    [2.0, 3.0, 4.0, 5.0]
    """
    kind = str(pooling_type).upper()
    if kind not in ("MAX", "AVG"):
        raise ValueError(f"pool: pooling_type must be 'MAX' or 'AVG', got {pooling_type!r} "
                         f"(at {user_source()})")
    n = len(window_shape)
    if n not in (1, 2, 3):
        raise ValueError(f"pool: window_shape must have 1, 2 or 3 entries, got {window_shape} "
                         f"(at {user_source()})")
    x = to_tensor(input)
    ksize = _ntuple(window_shape, n, "window_shape", "pool")
    strides = _ntuple(strides, n, "strides", "pool")
    dilations = _ntuple(dilations, n, "dilations", "pool")
    if any(d > 1 for d in dilations) and any(s > 1 for s in strides):
        raise ValueError(f"pool: strides {list(strides)} > 1 together with dilations "
                         f"{list(dilations)} > 1 are not supported (as TF) (at {user_source()})")
    if any(d > 1 for d in dilations) and str(padding).upper() == "SAME":
        raise ValueError(f"pool: 'SAME' padding with dilations {list(dilations)} > 1 is not "
                         f"supported (as TF) (at {user_source()})")
    if x.ndim != n + 2:
        raise op_error("pool", (x,), f"a window of {n} dims needs an input of rank {n + 2} "
                       f"(at {user_source()})")
    if all(d == 1 for d in dilations):
        fmt = data_format or {1: "NWC", 2: "NHWC", 3: "NDHWC"}[n]
        return _POOL_BY_RANK[kind, n](x, ksize, strides, padding, data_format=fmt)
    x, flip = _to_last(x, data_format, "pool")
    if kind == "AVG" and not x.dtype.is_floating:
        raise op_error("pool", (x,), f"average pooling needs a float input (at {user_source()})")
    pads = axis_pads(padding, tuple(x.shape[1:-1]), ksize, strides, dilations, "pool")
    return _from_last(pool_taps(x, kind, ksize, strides, dilations, pads), flip)


# ------------------------------------------------------------------ max_pool_with_argmax
def max_pool_with_argmax(input, ksize, strides, padding, data_format="NHWC",
                         output_dtype="int64", include_batch_in_index=False, name=None):
    """(max_pool2d values, argmax) (`tf.nn.max_pool_with_argmax`): the argmax of each window
    is the flat index ((y * W + x) * C + c) of its first maximum, plus b * H * W * C with
    `include_batch_in_index`.

    >>> import graphflow as tf
    >>> x = tf.constant([[[[1.], [5.]], [[7.], [2.]]]])
    >>> v, i = tf.nn.max_pool_with_argmax(x, 2, 2, "VALID")
    >>> v.numpy().ravel().tolist(), i.numpy().ravel().tolist()
    ([7.0], [2])
    """
    opname = "max_pool_with_argmax"
    if data_format not in (None, "NHWC"):
        raise ValueError(f"{opname}: only data_format='NHWC' is supported (as TF), got "
                         f"{data_format!r} (at {user_source()})")
    x = to_tensor(input)
    _check_rank(opname, (x,), (4,), "a rank-4 input (NHWC)")
    ksize = _ntuple(ksize, 2, "ksize", opname)
    strides = _ntuple(strides, 2, "strides", opname)
    h, w, c = (_static(opname, (x,), n, "input's height, width and channels")
               for n in x.shape[1:])
    pads = axis_pads(padding, (h, w), ksize, strides, (1, 1), opname)
    values = _cv.max_pool2d(x, ksize, strides, [[0, 0]] + [list(p) for p in pads] + [[0, 0]])
    outs = _outs(opname, (x,), (h, w), ksize, strides, (1, 1), pads)
    xp = _pad_axes(x, pads, _lowest(x.dtype.np))
    flat = np.pad(np.arange(h * w * c, dtype=np.int64).reshape(1, h, w, c),
                  [(0, 0)] + [tuple(p) for p in pads] + [(0, 0)], constant_values=-1)
    best = index = None
    for _, idx in _tap_slices(ksize, strides, (1, 1), outs):
        v, i = xp[idx], constant(flat[idx])
        if best is None:
            best, index = v, i
        else:
            up = greater(v, best)
            best, index = where(up, v, best), where(up, i, index)
    batch = reshape(cast(_range(x.shape[0]), "int64"), (-1, 1, 1, 1))   # (also broadcasts a
    index = index + batch * (h * w * c if include_batch_in_index else 0)  # one-tap window)
    return values, cast(index, output_dtype)


# ------------------------------------------------------------------ morphology
def _morphology(x, f, strides, pads, dilations, opname, erode=False):
    """max over taps of x + f (dilation), or min over taps of x - reflected f (erosion)."""
    kh, kw = (int(k) for k in f.shape[:2])
    outs = _outs(opname, (x, f), tuple(x.shape[1:3]), (kh, kw), strides, dilations, pads)
    xp = _pad_axes(x, pads, -_lowest(x.dtype.np) if erode else _lowest(x.dtype.np))
    acc = None
    for (i, j), idx in _tap_slices((kh, kw), strides, dilations, outs):
        v = xp[idx] - f[kh - 1 - i, kw - 1 - j] if erode else xp[idx] + f[i, j]
        acc = v if acc is None else minimum(acc, v) if erode else maximum(acc, v)
    return acc


def _morph(opname, x, f, strides, padding, data_format, dilations, erode=False):
    """dilation2d / erosion2d: argument checks, TF's padding, then `_morphology`."""
    x, f = convert_args(x, f, op=opname)
    if data_format not in (None, "NHWC"):
        raise ValueError(f"{opname}: only data_format='NHWC' is supported (as TF), got "
                         f"{data_format!r} (at {user_source()})")
    _check_rank(opname, (x, f), (4, 3), "a rank-4 input (NHWC) and a rank-3 filter "
                "(kh, kw, C)")
    if not isinstance(x.shape[3], Dim) and x.shape[3] != f.shape[2]:
        raise op_error(opname, (x, f), f"the filter's {f.shape[2]} channels differ from the "
                       f"input's {x.shape[3]} (at {user_source()})")
    strides = _ntuple(strides, 2, "strides", opname)
    dilations = _ntuple(dilations, 2, "dilations", opname)
    pads = axis_pads(padding, tuple(x.shape[1:3]), tuple(f.shape[:2]), strides, dilations,
                     opname)
    return _morphology(x, f, strides, pads, dilations, opname, erode)


def dilation2d(input, filters, strides, padding, data_format="NHWC", dilations=None,
               name=None):
    """Grayscale morphological dilation (`tf.nn.dilation2d`): out[b, y, x, c] = max over
    taps (dy, dx) of input[b, sy*y + ry*dy, sx*x + rx*dx, c] + filters[dy, dx, c]
    (padding cells never win).

    >>> import graphflow as tf
    >>> x = tf.reshape(tf.range(4.), (1, 4, 1, 1))
    >>> tf.nn.dilation2d(x, tf.zeros((2, 1, 1)), 1, "VALID", "NHWC", 1).numpy().ravel()
    array([1., 2., 3.], dtype=float32)
    """
    return _morph("dilation2d", input, filters, strides, padding, data_format, dilations)


def erosion2d(value, filters, strides, padding, data_format="NHWC", dilations=None,
              name=None):
    """Grayscale morphological erosion (`tf.nn.erosion2d`): out[b, y, x, c] = min over taps
    (dy, dx) of value[b, sy*y + ry*dy, sx*x + rx*dx, c] - filters[kh-1-dy, kw-1-dx, c]: TF's
    values (the negated dilation of -value by the reflected filters).

    >>> import graphflow as tf
    >>> x = tf.reshape(tf.range(4.), (1, 4, 1, 1))
    >>> tf.nn.erosion2d(x, tf.zeros((2, 1, 1)), 1, "VALID", "NHWC", 1).numpy().ravel()
    array([0., 1., 2.], dtype=float32)
    """
    return _morph("erosion2d", value, filters, strides, padding, data_format, dilations,
                  erode=True)


# ------------------------------------------------------------------ fractional pooling
def _pooling_sequence(n, out, rng, pseudo_random):
    """TF's cumulative pooling boundaries (out + 1 of them, 0 first, n last): intervals of
    n // out or n // out + 1 cells, the longer ones at random places (or, pseudo-random,
    ceil(alpha * (i + u)) for one uniform u)."""
    if n % out == 0:
        return np.arange(out + 1, dtype=np.int64) * (n // out)
    if pseudo_random:
        alpha = n / out
        u = rng.random()
        seq = np.ceil(alpha * (np.arange(out + 1) + u)).astype(np.int64)
        seq = seq - seq[0]
        seq[-1] = n
        return seq
    lengths = np.full(out, n // out, np.int64)
    lengths[rng.permutation(out)[:n % out]] += 1
    return np.concatenate([[0], np.cumsum(lengths)])


def _fractional_pool(kind, value, pooling_ratio, pseudo_random, overlapping, seed, opname):
    x = to_tensor(value)
    _check_rank(opname, (x,), (4,), "a rank-4 input (NHWC)")
    ratio = [float(r) for r in pooling_ratio]
    if len(ratio) != 4 or ratio[0] != 1.0 or ratio[3] != 1.0 or min(ratio) < 1.0:
        raise ValueError(f"{opname}: pooling_ratio must be [1.0, r_h, r_w, 1.0] with ratios "
                         f">= 1, got {list(pooling_ratio)} (at {user_source()})")
    if kind == "AVG" and not x.dtype.is_floating:
        raise op_error(opname, (x,), f"needs a float input (at {user_source()})")
    rng = np.random.default_rng(None if not seed else int(seed))
    out, seqs = x, []
    for axis in (1, 2):
        n = _static(opname, (x,), x.shape[axis], "input's height and width")
        m = int(np.floor(n / ratio[axis]))
        if m < 1:
            raise op_error(opname, (x,), f"pooling_ratio {ratio[axis]} leaves no output along "
                           f"axis {axis} of size {n} (at {user_source()})")
        seq = _pooling_sequence(n, m, rng, pseudo_random)
        seqs.append(seq)
        starts = seq[:-1]
        ends = np.minimum(seq[1:] + (1 if overlapping else 0), n)        # exclusive
        size = ends - starts
        acc = None
        for k in range(int(size.max())):
            idx = constant(np.minimum(starts + k, ends - 1))
            v = gather(out, idx, axis=axis)
            if kind == "AVG":
                keep = (k < size).astype(x.dtype.np).reshape((-1,) + (1,) * (3 - axis))
                v = v * constant(keep)
            acc = v if acc is None else maximum(acc, v) if kind == "MAX" else acc + v
        if kind == "AVG":
            acc = acc * constant((1.0 / size).astype(x.dtype.np).reshape((-1,) + (1,) * (3 - axis)))
        out = acc
    return out, constant(seqs[0]), constant(seqs[1])


def fractional_max_pool(value, pooling_ratio, pseudo_random=False, overlapping=False, seed=0,
                        name=None):
    """Fractional max pooling (`tf.nn.fractional_max_pool`): (output, row_pooling_sequence,
    col_pooling_sequence). The output is floor(size / ratio) along height and width; the
    windows are the intervals between consecutive boundaries of the random pooling sequences
    (with `overlapping`, each window includes its end boundary). `seed` 0: a new random
    sequence each call, as TF; the sequences are TF's kind, not TF's random numbers.

    >>> import graphflow as tf
    >>> x = tf.reshape(tf.range(16.), (1, 4, 4, 1))
    >>> y, rows, cols = tf.nn.fractional_max_pool(x, [1.0, 2.0, 2.0, 1.0])
    >>> y.numpy().ravel().tolist(), rows.numpy().tolist()
    ([5.0, 7.0, 13.0, 15.0], [0, 2, 4])
    """
    return _fractional_pool("MAX", value, pooling_ratio, pseudo_random, overlapping, seed,
                            "fractional_max_pool")


def fractional_avg_pool(value, pooling_ratio, pseudo_random=False, overlapping=False, seed=0,
                        name=None):
    """Fractional average pooling (`tf.nn.fractional_avg_pool`): as `fractional_max_pool`, the
    mean of each window.

    >>> import graphflow as tf
    >>> x = tf.reshape(tf.range(16.), (1, 4, 4, 1))
    >>> tf.nn.fractional_avg_pool(x, [1.0, 2.0, 2.0, 1.0])[0].numpy().ravel().tolist()
    [2.5, 4.5, 10.5, 12.5]
    """
    return _fractional_pool("AVG", value, pooling_ratio, pseudo_random, overlapping, seed,
                            "fractional_avg_pool")
