"""Convolution and pooling: op-table entries (numpy reference impls) and their TF-named APIs.

Primitives (all NHWC, filters HWIO, explicit `pads` ((top, bottom), (left, right)) as attrs -
the APIs turn TF's 'SAME'/'VALID' into pads with TF's arithmetic):

* `conv2d(x, w)`, `conv2d_backprop_input(ct, w)`, `conv2d_backprop_filter(x, ct)`: a closed
  family - each one's VJP is written with the other two, so every order of derivative exists.
  All three are bilinear in their two inputs. `groups` (feature groups) gives depthwise
  convolution (groups = input channels).
* `max_pool2d(x)`, `max_pool2d_grad(x, g)` (scatter g to each window's argmax of x) and
  `max_pool2d_gather(x, v)` (pick v at each window's argmax of x): linear in the second input,
  x only selects positions.

conv1d, depthwise/separable conv, conv2d_transpose, avg pooling and the 1-D poolings are
compositions of these (average pooling is a depthwise convolution with a ones filter, scaled by
the number of non-padding cells in each window as TF's SAME padding does).

>>> import graphflow as tf
>>> x = tf.ones((1, 4, 4, 1)); w = tf.ones((3, 3, 1, 2))
>>> tf.nn.conv2d(x, w, strides=1, padding="VALID").shape
TensorShape([1, 2, 2, 2])
>>> tf.nn.max_pool2d(x, 2, 2, "SAME").shape
TensorShape([1, 2, 2, 1])
"""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..dispatch import bind
from ..tensor import constant, convert_args, to_tensor
from ..shapes import Dim, dmax, require_equal
from .registry import ANCHOR, BILINEAR, OTHER, Aval, defop, linear_in, op_error, same_dtype
from .registry import shapes_agree
from .math_ops import ones_like
from .shape_ops import reshape, transpose
from .creation import shape_tuple

_NO = {}


# ------------------------------------------------------------------ shared arithmetic
def _pad(x, pads, value=0):
    (pt, pb), (pl, pr) = pads
    if not (pt or pb or pl or pr):
        return x
    return np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)), constant_values=value)


def _windows(xp, ksize, strides, dilations):
    """(N, Hp, Wp, C) -> view (N, Ho, Wo, C, kh, kw) of the (dilated, strided) windows."""
    (kh, kw), (sh, sw), (dh, dw) = ksize, strides, dilations
    win = sliding_window_view(xp, ((kh - 1) * dh + 1, (kw - 1) * dw + 1), axis=(1, 2))
    return win[:, ::sh, ::sw, :, ::dh, ::dw]


def out_size(n, k, stride, dilation, pad):
    """Output length of a convolution/pooling over `n` cells (TF's formula)."""
    return (n + pad[0] + pad[1] - ((k - 1) * dilation + 1)) // stride + 1


def same_pads(n, k, stride, dilation):
    """TF's SAME padding (before, after) along one axis: output ceil(n / stride), the extra
    cell (if odd) at the end."""
    eff = (k - 1) * dilation + 1
    out = (n + stride - 1) // stride
    total = dmax((out - 1) * stride + eff - n, 0)   # (symbolic for an unknown n)
    return (total // 2, total - total // 2)


def _out_hw(shape, ksize, strides, dilations, pads):
    return tuple(out_size(shape[1 + a], ksize[a], strides[a], dilations[a], pads[a])
                 for a in (0, 1))


def _at_least_one(opname, avals, dims, msg):
    """False if a known dim is < 1; an unknown one is checked when the graph runs."""
    return all([d >= 1 if not isinstance(d, Dim) else
                require_equal(dmax(d, 1), d, "equal", (opname, avals, msg)) for d in dims])


def _float_dtype(opname, avals):
    return same_dtype(opname, avals, "f")


def _check_rank4(opname, avals):
    for a in avals:
        if len(a.shape) != 4:
            raise op_error(opname, avals, "inputs must have rank 4 (NHWC input, HWIO filter)")


def _check_filter(opname, avals, c, wshape, groups):
    kh, kw, cg, o = wshape
    if groups < 1 or c % groups or o % groups:
        raise op_error(opname, avals, f"groups={groups} must divide the input channels ({c}) "
                       f"and the filter's output channels ({o})")
    if cg * groups != c:
        raise op_error(opname, avals, f"the filter expects {cg * groups} input channels "
                       f"({cg} per group x {groups} groups), the input has {c}")


def _im2col(win):
    """Windows (N, Ho, Wo, C, kh, kw) -> contiguous (N*Ho*Wo, kh*kw*C) rows (HWI order)."""
    n, ho, wo, c, kh, kw = win.shape
    return np.ascontiguousarray(win.transpose(0, 1, 2, 4, 5, 3)).reshape(n * ho * wo, kh * kw * c)


# ------------------------------------------------------------------ conv2d family
def _conv2d_impl(x, w, strides, pads, dilations, groups):
    kh, kw, cg, o = w.shape
    win = _windows(_pad(x, pads), (kh, kw), strides, dilations)      # N Ho Wo C kh kw
    n, ho, wo = win.shape[:3]
    if groups == 1:                # im2col + one matmul
        out = (_im2col(win) @ w.reshape(-1, o)).reshape(n, ho, wo, o)
    else:
        g = groups
        out = np.einsum("nhwgcij,ijcgo->nhwgo", win.reshape(n, ho, wo, g, cg, kh, kw),
                        w.reshape(kh, kw, cg, g, o // g), optimize=True).reshape(n, ho, wo, o)
    return np.ascontiguousarray(out, dtype=x.dtype)


def _conv2d_rule(x, w, strides, pads, dilations, groups):
    name = "conv2d"
    _check_rank4(name, (x, w))
    dt = _float_dtype(name, (x, w))
    _check_filter(name, (x, w), x.shape[3], tuple(w.shape), groups)
    ho, wo = _out_hw(tuple(x.shape), tuple(w.shape[:2]), strides, dilations, pads)
    if not _at_least_one(name, (x, w), (ho, wo), "the (dilated) filter is larger than the "
                         f"padded input (output would be {ho}x{wo})"):
        raise op_error(name, (x, w), f"the (dilated) filter is larger than the padded input "
                       f"(output would be {ho}x{wo})")
    return Aval((x.shape[0], ho, wo, w.shape[3]), dt)


def _conv2d_vjp(i, o, g, strides, pads, dilations, groups):
    x, w = i
    a = dict(strides=strides, pads=pads, dilations=dilations, groups=groups)
    return [bind(CONV2D_BACKPROP_INPUT, [g, w], dict(a, input_shape=tuple(x.shape))),
            bind(CONV2D_BACKPROP_FILTER, [x, g], dict(a, filter_shape=tuple(w.shape)))]


def _bi_impl(c, w, input_shape, strides, pads, dilations, groups):
    n, h, wd, ch = input_shape
    kh, kw, cg, o = w.shape
    ho, wo = c.shape[1:3]
    if groups == 1:                # one gemm per filter tap, added as it comes (no columns)
        c2 = c.reshape(-1, o)

        def tap(i, j):
            return (c2 @ w[i, j].T).reshape(n, ho, wo, ch)
    else:
        g = groups
        cols = np.einsum("nhwgo,ijcgo->nhwijgc", c.reshape(n, ho, wo, g, o // g),
                         w.reshape(kh, kw, cg, g, o // g), optimize=True)
        cols = cols.reshape(n, ho, wo, kh, kw, ch)

        def tap(i, j):
            return cols[:, :, :, i, j, :]
    (pt, pb), (pl, pr) = pads
    (sh, sw), (dh, dw) = strides, dilations
    xp = np.zeros((n, h + pt + pb, wd + pl + pr, ch), c.dtype)
    for i in range(kh):            # a loop over filter taps (col2im), not over batch/channels
        for j in range(kw):
            xp[:, i * dh:i * dh + sh * (ho - 1) + 1:sh,
               j * dw:j * dw + sw * (wo - 1) + 1:sw, :] += tap(i, j)
    return np.ascontiguousarray(xp[:, pt:pt + h, pl:pl + wd, :])


def _bi_rule(c, w, input_shape, strides, pads, dilations, groups):
    name = "conv2d_backprop_input"
    _check_rank4(name, (c, w))
    dt = _float_dtype(name, (c, w))
    if len(input_shape) != 4:
        raise op_error(name, (c, w), f"input_shape {input_shape} must have 4 entries (NHWC)")
    _check_filter(name, (c, w), input_shape[3], tuple(w.shape), groups)
    _check_cotangent(name, (c, w), input_shape, tuple(w.shape), c, strides, dilations, pads)
    return Aval(tuple(input_shape), dt)


def _check_cotangent(name, operands, xshape, fshape, c, strides, dilations, pads):
    """The cotangent `c` of a convolution gradient op must have the shape the convolution of
    an input of `xshape` by a filter of `fshape` gives (unknown dims: checked at run time)."""
    want = (xshape[0],) + _out_hw(tuple(xshape), tuple(fshape[:2]), strides, dilations,
                                  pads) + (fshape[3],)
    msg = f"a convolution of an input of shape {tuple(xshape)} gives shape {want}, not " \
          f"the cotangent's {tuple(c.shape)}"
    if not shapes_agree(name, operands, c.shape, want, msg):
        raise op_error(name, operands, msg)


def _bi_vjp(i, o, g, input_shape, strides, pads, dilations, groups):
    c, w = i
    a = dict(strides=strides, pads=pads, dilations=dilations, groups=groups)
    return [bind(CONV2D, [g, w], a),
            bind(CONV2D_BACKPROP_FILTER, [g, c], dict(a, filter_shape=tuple(w.shape)))]


def _bf_impl(x, c, filter_shape, strides, pads, dilations, groups):
    kh, kw, cg, o = filter_shape
    win = _windows(_pad(x, pads), (kh, kw), strides, dilations)      # N Ho Wo C kh kw
    n, ho, wo = win.shape[:3]
    if groups == 1:                # im2col; the BLAS here is ~20x slower for some product
        cols, c2 = _im2col(win), c.reshape(-1, o)    # orders: make the longer side the rows
        out = cols.T @ c2 if cols.shape[1] >= o else (c2.T @ cols).T
        out = out.reshape(kh, kw, cg, o)
    else:
        g = groups
        out = np.einsum("nhwgcij,nhwgo->ijcgo", win.reshape(n, ho, wo, g, cg, kh, kw),
                        c.reshape(n, ho, wo, g, o // g), optimize=True).reshape(kh, kw, cg, o)
    return np.ascontiguousarray(out, dtype=x.dtype)


def _bf_rule(x, c, filter_shape, strides, pads, dilations, groups):
    name = "conv2d_backprop_filter"
    _check_rank4(name, (x, c))
    dt = _float_dtype(name, (x, c))
    if len(filter_shape) != 4:
        raise op_error(name, (x, c), f"filter_shape {filter_shape} must have 4 entries (HWIO)")
    _check_filter(name, (x, c), x.shape[3], tuple(filter_shape), groups)
    _check_cotangent(name, (x, c), tuple(x.shape), tuple(filter_shape), c, strides, dilations,
                     pads)
    return Aval(tuple(filter_shape), dt)


def _bf_vjp(i, o, g, filter_shape, strides, pads, dilations, groups):
    x, c = i
    a = dict(strides=strides, pads=pads, dilations=dilations, groups=groups)
    return [bind(CONV2D_BACKPROP_INPUT, [c, g], dict(a, input_shape=tuple(x.shape))),
            bind(CONV2D, [x, g], a)]


CONV2D = defop("conv2d", _conv2d_impl, _conv2d_rule, _conv2d_vjp, jvp=BILINEAR, kind=ANCHOR,
               arity=2, doc="2-D convolution (cross-correlation), NHWC input, HWIO filter.")
CONV2D_BACKPROP_INPUT = defop(
    "conv2d_backprop_input", _bi_impl, _bi_rule, _bi_vjp, jvp=BILINEAR, kind=ANCHOR, arity=2,
    doc="The transpose of conv2d in its input (conv2d_transpose): cotangent, filter -> input.")
CONV2D_BACKPROP_FILTER = defop(
    "conv2d_backprop_filter", _bf_impl, _bf_rule, _bf_vjp, jvp=BILINEAR, kind=ANCHOR, arity=2,
    doc="The gradient of conv2d in its filter: input, cotangent -> filter.")


# ------------------------------------------------------------------ max pooling
def _fill_low(dtype):
    dtype = np.dtype(dtype)
    return -np.inf if dtype.kind == "f" else np.iinfo(dtype).min


def _taps(xp, ksize, strides, out_hw):
    """The strided (N, Ho, Wo, C) view of each window tap (i, j) of the padded input, in
    row-major tap order: pooling loops over the kh*kw taps, never over batch or channels."""
    (kh, kw), (sh, sw), (ho, wo) = ksize, strides, out_hw
    for i in range(kh):
        for j in range(kw):
            yield i * kw + j, xp[:, i:i + sh * (ho - 1) + 1:sh, j:j + sw * (wo - 1) + 1:sw, :]


def _tiled(x, ksize, strides, pads):
    """Non-overlapping windows tiling the input exactly (the usual 2x2/2 pool): the
    (N, Ho, kh, Wo, kw, C) reshape of x, a view; else None."""
    (kh, kw), (sh, sw) = ksize, strides
    n, h, w, c = x.shape
    if (kh, kw) != (sh, sw) or any(pads[0]) or any(pads[1]) or h % kh or w % kw:
        return None
    return x.reshape(n, h // kh, kh, w // kw, kw, c)


def _argmax_masks(x, ksize, strides, pads):
    """(t, mask) for each window tap t: mask (N, Ho, Wo, C) is True where tap t (i * kw + j)
    is the window's first maximum; tap 0 also where no tap equals the maximum (a NaN window),
    as the numba kernels' rule. Taps 1.. come first, tap 0 last.

    Built from the max over taps with three boolean passes per tap and no tap-index array
    (boolean-mask stores are ~10x slower than elementwise passes)."""
    xp = _pad(x, pads, _fill_low(x.dtype))
    taps = [v for _, v in _taps(xp, ksize, strides,
                                _out_hw(x.shape, ksize, strides, (1, 1), pads))]
    m = _max_pool_impl(x, ksize, strides, pads)
    first = np.equal(taps[0], m)
    taken = first.copy()
    for t in range(1, len(taps)):
        eq = np.equal(taps[t], m)
        np.greater(eq, taken, out=eq)          # equal to the max, and no earlier tap was
        taken |= eq
        yield t, eq
    yield 0, np.less_equal(taken, first, out=taken)     # tap 0's own maximum, or none


def _max_pool_impl(x, ksize, strides, pads):
    xp = _pad(x, pads, _fill_low(x.dtype))
    out = None       # a running maximum over the taps' strided views (faster than a windows
    for _, v in _taps(xp, ksize, strides, _out_hw(x.shape, ksize, strides, (1, 1), pads)):
        out = v.copy() if out is None else np.maximum(out, v, out=out)     # reduction)
    return out


def _pool_shape(name, avals, x, ksize, strides, pads):
    if len(x.shape) != 4:
        raise op_error(name, avals, "the input must have rank 4 (NHWC)")
    ho, wo = _out_hw(tuple(x.shape), ksize, strides, (1, 1), pads)
    if not _at_least_one(name, avals, (ho, wo), f"the pooling window {tuple(ksize)} is larger "
                         "than the padded input"):
        raise op_error(name, avals, f"the pooling window {tuple(ksize)} is larger than the "
                       f"padded input (output would be {ho}x{wo})")
    return (x.shape[0], ho, wo, x.shape[3])


def _max_pool_rule(x, ksize, strides, pads):
    dt = same_dtype("max_pool2d", (x,), "fi")
    return Aval(_pool_shape("max_pool2d", (x,), x, ksize, strides, pads), dt)


def _max_pool_vjp(i, o, g, ksize, strides, pads):
    return [bind(MAX_POOL2D_GRAD, [i[0], g], dict(ksize=ksize, strides=strides, pads=pads))]


def _max_pool_jvp(i, o, t, ksize, strides, pads):
    if t[0] is None:
        return None
    return bind(MAX_POOL2D_GATHER, [i[0], t[0]], dict(ksize=ksize, strides=strides, pads=pads))


def _max_pool_grad_impl(x, g, ksize, strides, pads):
    n, h, w, ch = x.shape
    (pt, pb), (pl, pr) = pads
    tiles = _tiled(x, ksize, strides, pads)
    if tiles is not None:
        return _tiled_max_pool_grad(tiles, g)
    xp = np.zeros((n, h + pt + pb, w + pl + pr, ch), g.dtype)
    views = dict(_taps(xp, ksize, strides, g.shape[1:3]))
    masks = dict(_argmax_masks(x, ksize, strides, pads))
    for t in range(len(masks)):        # in tap order: overlapping windows' sums as before
        views[t] += _masked(masks[t], g)
    return np.ascontiguousarray(xp[:, pt:pt + h, pl:pl + w, :])


def _masked(mask, g):
    """np.where(mask, g, 0) for a bool `mask` (broadcasting against `g`), bit for bit (NaN,
    inf and -0.0 of g kept where chosen, +0.0 elsewhere), as an AND of g's bits with the mask
    widened to all-ones/zeros: np.where with an unpredictable mask is ~4x slower (measured: 4.1
    vs 1.1 ms on (4, 64, 13, 13, 32) float32).

    >>> _masked(np.array([True, False]), np.array([-0.0, 2.0])).tolist()
    [-0.0, 0.0]
    """
    u = np.dtype(f"u{g.dtype.itemsize}")
    out = mask.view(np.uint8).astype(u)
    np.negative(out, out=out)                    # 1 -> all ones
    np.bitwise_and(out, g.view(u), out=out)
    return out.view(g.dtype)


def _tiled_max_pool_grad(tiles, g):
    """max_pool2d_grad for disjoint windows tiling x (`_tiled`: the (N, Ho, kh, Wo, kw, C) view
    of x): the taps moved to the front once (one strided copy), so the max, the first-maximum
    masks and the masked gradient are passes over contiguous (kh*kw, N, Ho, Wo, C) arrays
    (numpy's per-tap strided views loop over C-long rows: 2x slower at C=32), and the gradient
    moved back by one more copy. The same first-maximum/NaN rule as `_argmax_masks`."""
    n, ho, kh, wo, kw, c = tiles.shape
    xt = np.ascontiguousarray(tiles.transpose(2, 4, 0, 1, 3, 5)).reshape(kh * kw, n, ho, wo, c)
    m = xt[0].copy()
    for t in range(1, kh * kw):
        np.maximum(m, xt[t], out=m)
    masks = np.equal(xt, m)                      # (T, N, Ho, Wo, C)
    first = masks[0].copy()
    taken = masks[0]
    for t in range(1, kh * kw):
        np.greater(masks[t], taken, out=masks[t])    # equal to the max, no earlier tap was
        taken |= masks[t]
    np.less_equal(taken, first, out=masks[0])    # tap 0: its own maximum, or no tap's (NaN)
    gt = _masked(masks, g).reshape(kh, kw, n, ho, wo, c)
    return np.ascontiguousarray(gt.transpose(2, 3, 0, 4, 1, 5)).reshape(n, ho * kh, wo * kw, c)


def _max_pool_grad_rule(x, g, ksize, strides, pads):
    name = "max_pool2d_grad"
    want = _pool_shape(name, (x, g), x, ksize, strides, pads)
    msg = f"the cotangent must have the pooled shape {want}"
    if not shapes_agree(name, (x, g), g.shape, want, msg):
        raise op_error(name, (x, g), msg)
    return Aval(tuple(x.shape), same_dtype(name, (g,), "f"))


def _max_pool_grad_vjp(i, o, g, ksize, strides, pads):
    return [None, bind(MAX_POOL2D_GATHER, [i[0], g], dict(ksize=ksize, strides=strides,
                                                          pads=pads))]


def _max_pool_gather_impl(x, v, ksize, strides, pads):
    out = None
    views = dict(_taps(_pad(v, pads), ksize, strides,
                       _out_hw(x.shape, ksize, strides, (1, 1), pads)))
    for t, mask in _argmax_masks(x, ksize, strides, pads):
        if out is None:
            out = np.zeros(mask.shape, v.dtype)
        np.copyto(out, views[t], where=mask)
    return out


def _max_pool_gather_rule(x, v, ksize, strides, pads):
    name = "max_pool2d_gather"
    msg = "the values must have the shape of the pooled input"
    if not shapes_agree(name, (x, v), v.shape, x.shape, msg):
        raise op_error(name, (x, v), msg)
    return Aval(_pool_shape(name, (x, v), x, ksize, strides, pads),
                same_dtype(name, (v,), "f"))


def _max_pool_gather_vjp(i, o, g, ksize, strides, pads):
    return [None, bind(MAX_POOL2D_GRAD, [i[0], g], dict(ksize=ksize, strides=strides,
                                                        pads=pads))]


MAX_POOL2D = defop("max_pool2d", _max_pool_impl, _max_pool_rule, _max_pool_vjp,
                   jvp=_max_pool_jvp, kind=OTHER, arity=1,
                   doc="Max over each window (NHWC); ties: the first maximum gets the gradient.")
MAX_POOL2D_GRAD = defop(
    "max_pool2d_grad", _max_pool_grad_impl, _max_pool_grad_rule, _max_pool_grad_vjp,
    jvp=linear_in(1), kind=ANCHOR, arity=2,
    doc="Scatter g (pooled shape) to each window's argmax of x; linear in g.")
# (an anchor: computed by a backend's own kernel, the elementwise ops after it - the relu
# gradient of a conv-relu-pool block - fused as its epilogue)
MAX_POOL2D_GATHER = defop(
    "max_pool2d_gather", _max_pool_gather_impl, _max_pool_gather_rule, _max_pool_gather_vjp,
    jvp=linear_in(1), kind=OTHER, arity=2,
    doc="Pick v at each window's argmax of x (the tangent of max_pool2d); linear in v.")


# ------------------------------------------------------------------ argument handling
def _tuple_n(v, n, what, rank=None):
    """An int or a sequence of n (or of rank, TF's [1, s, s, 1] form) ints -> tuple of n."""
    if v is None:
        return (1,) * n
    if isinstance(v, (int, np.integer)):
        return (int(v),) * n
    v = [int(s) for s in v]
    if len(v) == 1:
        return (v[0],) * n
    if len(v) == n:
        return tuple(v)
    if rank is not None and len(v) == rank:
        return tuple(v[1:-1])
    raise ValueError(f"{what} must be an int or a list of {n} ints, got {v}")


def _pads(padding, in_hw, ksize, strides, dilations, what):
    """TF padding ('SAME', 'VALID', or explicit [[0, 0], [t, b], [l, r], [0, 0]]) -> pads."""
    if isinstance(padding, str):
        p = padding.upper()
        if p == "VALID":
            return ((0, 0), (0, 0))
        if p == "SAME":
            return tuple(same_pads(in_hw[a], ksize[a], strides[a], dilations[a]) for a in (0, 1))
        raise ValueError(f"{what}: padding must be 'SAME', 'VALID' or explicit, got {padding!r}")
    p = [tuple(int(v) for v in pair) for pair in padding]
    if len(p) == 4:
        if p[0] != (0, 0) or p[3] != (0, 0):
            raise ValueError(f"{what}: explicit padding of the batch and channel axes must be 0")
        p = p[1:3]
    if len(p) != 2 or any(len(q) != 2 or min(q) < 0 for q in p):
        raise ValueError(f"{what}: explicit padding must be [[0, 0], [top, bottom], "
                         f"[left, right], [0, 0]] with non-negative entries, got {padding}")
    return tuple(p)


def _nchw_in(x, data_format):
    if data_format in (None, "NHWC", "NWC", "channels_last"):
        return x, False
    if data_format in ("NCHW", "channels_first"):
        return transpose(x, (0, 2, 3, 1)), True
    raise ValueError(f"data_format must be 'NHWC' or 'NCHW', got {data_format!r}")


def _nchw_out(y, flip):
    return transpose(y, (0, 3, 1, 2)) if flip else y


def _conv(x, w, strides, padding, dilations, groups, what):
    if x.ndim != 4 or w.ndim != 4:
        raise op_error(what, (x, w), "needs a rank-4 input (NHWC) and a rank-4 filter (HWIO)")
    ksize = tuple(w.shape[:2])
    pads = _pads(padding, tuple(x.shape[1:3]), ksize, strides, dilations, what)
    return bind(CONV2D, [x, w], dict(strides=strides, pads=pads, dilations=dilations,
                                     groups=int(groups)))


# ------------------------------------------------------------------ public API
def conv2d(input, filters, strides=1, padding="VALID", data_format="NHWC", dilations=None,
           name=None):
    """2-D convolution: input (N, H, W, C), filters (kh, kw, C, O) -> (N, Ho, Wo, O).

    `padding` 'SAME' / 'VALID' or explicit [[0, 0], [t, b], [l, r], [0, 0]]; strides and
    dilations an int or a list of 2 (or 4) ints. C may be a multiple of the filter's input
    channels (grouped convolution, as TF).
    """
    x, w = convert_args(input, filters, op="conv2d")
    x, flip = _nchw_in(x, data_format)
    strides = _tuple_n(strides, 2, "strides", 4)
    dilations = _tuple_n(dilations, 2, "dilations", 4)
    groups = x.shape[3] // w.shape[2] if w.ndim == 4 and w.shape[2] else 1
    return _nchw_out(_conv(x, w, strides, padding, dilations, groups, "conv2d"), flip)


def conv1d(input, filters, stride=1, padding="VALID", data_format="NWC", dilations=None,
           name=None):
    """1-D convolution: input (N, W, C), filters (k, C, O) -> (N, Wo, O)."""
    x, w = convert_args(input, filters, op="conv1d")
    if x.ndim != 3 or w.ndim != 3:
        raise op_error("conv1d", (x, w), "needs a rank-3 input (NWC) and a rank-3 filter")
    if data_format == "NCW":
        x = transpose(x, (0, 2, 1))
    s = _tuple_n(stride, 1, "stride", 3)[0]
    d = _tuple_n(dilations, 1, "dilations", 3)[0]
    if not isinstance(padding, str):
        p = [tuple(q) for q in padding]
        padding = [(0, 0), (0, 0), p[-2] if len(p) == 3 else p[0], (0, 0)]
    y = conv2d(reshape(x, (x.shape[0], 1) + tuple(x.shape[1:])),
               reshape(w, (1,) + tuple(w.shape)), (1, s), padding, dilations=(1, d))
    y = reshape(y, (y.shape[0],) + tuple(y.shape[2:]))
    return transpose(y, (0, 2, 1)) if data_format == "NCW" else y


def depthwise_conv2d(input, filter, strides=1, padding="VALID", data_format=None, dilations=None,
                     name=None):
    """Depthwise 2-D convolution: filter (kh, kw, C, M) -> output channel c*M + m convolves
    input channel c with filter[..., c, m]."""
    x, w = convert_args(input, filter, op="depthwise_conv2d")
    x, flip = _nchw_in(x, data_format)
    if x.ndim != 4 or w.ndim != 4 or w.shape[2] != x.shape[3]:
        raise op_error("depthwise_conv2d", (x, w), "needs an NHWC input and a (kh, kw, C, M) "
                       "filter with C the input's channels")
    kh, kw, c, m = w.shape
    strides = _tuple_n(strides, 2, "strides", 4)
    dilations = _tuple_n(dilations, 2, "dilations", 4)
    wg = reshape(w, (kh, kw, 1, c * m))
    return _nchw_out(_conv(x, wg, strides, padding, dilations, c, "depthwise_conv2d"), flip)


def separable_conv2d(input, depthwise_filter, pointwise_filter, strides=1, padding="VALID",
                     data_format=None, dilations=None, name=None):
    """Depthwise convolution followed by a 1x1 convolution (pointwise_filter (1, 1, C*M, O))."""
    x, flip = _nchw_in(to_tensor(input), data_format)
    y = depthwise_conv2d(x, depthwise_filter, strides, padding, dilations=dilations)
    return _nchw_out(conv2d(y, pointwise_filter, 1, "VALID"), flip)


def conv2d_transpose(input, filters, output_shape, strides=1, padding="SAME", data_format="NHWC",
                     dilations=None, name=None):
    """The transpose (gradient) of conv2d: input (N, H, W, I), filters (kh, kw, O, I) ->
    `output_shape` (N, Ho, Wo, O)."""
    x, w = convert_args(input, filters, op="conv2d_transpose")
    x, flip = _nchw_in(x, data_format)
    out = list(shape_tuple(output_shape))   # (traced: tf.shape's dims stay symbolic)
    if flip:
        out = [out[0], out[2], out[3], out[1]]
    if x.ndim != 4 or w.ndim != 4 or len(out) != 4:
        raise op_error("conv2d_transpose", (x, w), "needs an NHWC input, a (kh, kw, O, I) filter "
                       "and a 4-entry output_shape")
    strides = _tuple_n(strides, 2, "strides", 4)
    dilations = _tuple_n(dilations, 2, "dilations", 4)
    pads = _pads(padding, tuple(out[1:3]), tuple(w.shape[:2]), strides, dilations,
                 "conv2d_transpose")
    y = bind(CONV2D_BACKPROP_INPUT, [x, w], dict(input_shape=tuple(out), strides=strides,
                                                 pads=pads, dilations=dilations, groups=1))
    return _nchw_out(y, flip)


def _backprop_args(opname, sizes, strides, dilations, data_format):
    """The static arguments of the TF 1 backprop functions: sizes (a list or 1-D tensor) as a
    tuple, strides and dilations as 2-tuples; NHWC only."""
    if data_format not in (None, "NHWC"):
        raise ValueError(f"{opname}: only data_format='NHWC' is supported")
    shape = shape_tuple(sizes)
    return (shape, _tuple_n(strides, 2, "strides", 4), _tuple_n(dilations, 2, "dilations", 4))


def conv2d_backprop_input(input_sizes, filters, out_backprop, strides=1, padding="VALID",
                          data_format="NHWC", dilations=None, name=None):
    """The gradient of conv2d in its input (TF 1's name): `input_sizes` (N, H, W, C), filters
    (kh, kw, C, O), out_backprop (N, Ho, Wo, O) -> (N, H, W, C)."""
    c, w = convert_args(out_backprop, filters, op="conv2d_backprop_input")
    shape, strides, dilations = _backprop_args("conv2d_backprop_input", input_sizes, strides,
                                               dilations, data_format)
    pads = _pads(padding, shape[1:3], tuple(w.shape[:2]), strides, dilations,
                 "conv2d_backprop_input")
    groups = shape[3] // w.shape[2] if w.ndim == 4 and w.shape[2] else 1
    return bind(CONV2D_BACKPROP_INPUT, [c, w], dict(input_shape=shape, strides=strides, pads=pads,
                                                    dilations=dilations, groups=groups))


def conv2d_backprop_filter(input, filter_sizes, out_backprop, strides=1, padding="VALID",
                           data_format="NHWC", dilations=None, name=None):
    """The gradient of conv2d in its filter (TF 1's name): input (N, H, W, C), `filter_sizes`
    (kh, kw, C, O), out_backprop (N, Ho, Wo, O) -> (kh, kw, C, O)."""
    x, c = convert_args(input, out_backprop, op="conv2d_backprop_filter")
    shape, strides, dilations = _backprop_args("conv2d_backprop_filter", filter_sizes, strides,
                                               dilations, data_format)
    pads = _pads(padding, tuple(x.shape[1:3]), shape[:2], strides, dilations,
                 "conv2d_backprop_filter")
    groups = x.shape[3] // shape[2] if x.ndim == 4 and shape[2] else 1
    return bind(CONV2D_BACKPROP_FILTER, [x, c], dict(filter_shape=shape, strides=strides,
                                                     pads=pads, dilations=dilations,
                                                     groups=groups))


def max_pool2d_grad(input, grad, ksize, strides=None, padding="VALID", name=None):
    """The gradient of max_pool2d: `grad` (pooled shape) sent to each window's first maximum
    of `input` (NHWC)."""
    x, g = convert_args(input, grad, op="max_pool2d_grad")
    ksize, strides, pads = _pool_args(x, ksize, strides, padding, "max_pool2d_grad")
    return bind(MAX_POOL2D_GRAD, [x, g], dict(ksize=ksize, strides=strides, pads=pads))


def max_pool2d_gather(input, values, ksize, strides=None, padding="VALID", name=None):
    """`values` (the input's shape) picked at each window's first maximum of `input`: the
    tangent of max_pool2d."""
    x, v = convert_args(input, values, op="max_pool2d_gather")
    ksize, strides, pads = _pool_args(x, ksize, strides, padding, "max_pool2d_gather")
    return bind(MAX_POOL2D_GATHER, [x, v], dict(ksize=ksize, strides=strides, pads=pads))


def conv1d_transpose(input, filters, output_shape, strides=1, padding="SAME", data_format="NWC",
                     dilations=None, name=None):
    """1-D conv2d_transpose: input (N, W, I), filters (k, O, I) -> output_shape (N, Wo, O)."""
    x, w = convert_args(input, filters, op="conv1d_transpose")
    n, wo, o = [int(s) for s in output_shape]
    s = _tuple_n(strides, 1, "strides", 3)[0]
    d = _tuple_n(dilations, 1, "dilations", 3)[0]
    y = conv2d_transpose(reshape(x, (x.shape[0], 1) + tuple(x.shape[1:])),
                         reshape(w, (1,) + tuple(w.shape)), (n, 1, wo, o), (1, s), padding,
                         dilations=(1, d))
    return reshape(y, (n, wo, o))


def _pool_args(x, ksize, strides, padding, what):
    if x.ndim != 4:
        raise op_error(what, (x,), "needs a rank-4 input (NHWC)")
    ksize = _tuple_n(ksize, 2, "ksize", 4)
    strides = _tuple_n(strides if strides is not None else ksize, 2, "strides", 4)
    if isinstance(padding, str):
        pads = _pads(padding, tuple(x.shape[1:3]), ksize, strides, (1, 1), what)
    else:
        pads = _pads(padding, None, ksize, strides, (1, 1), what)
    return ksize, strides, pads


def max_pool2d(input, ksize, strides=None, padding="VALID", data_format="NHWC", name=None):
    """Max pooling over (kh, kw) windows of an NHWC input (strides default to ksize)."""
    x, flip = _nchw_in(to_tensor(input), data_format)
    ksize, strides, pads = _pool_args(x, ksize, strides, padding, "max_pool2d")
    return _nchw_out(bind(MAX_POOL2D, [x], dict(ksize=ksize, strides=strides, pads=pads)), flip)


def avg_pool2d(input, ksize, strides=None, padding="VALID", data_format="NHWC", name=None):
    """Average pooling; with SAME padding each window averages its non-padding cells (TF).

    A composition: a depthwise convolution with a ones filter, times 1 / cell count."""
    x, flip = _nchw_in(to_tensor(input), data_format)
    if not x.dtype.is_floating:
        raise op_error("avg_pool2d", (x,), "needs a float input")
    ksize, strides, pads = _pool_args(x, ksize, strides, padding, "avg_pool2d")
    c = x.shape[3]
    ones = constant(np.ones(ksize + (1, c), x.dtype.np))
    y = bind(CONV2D, [x, ones], dict(strides=strides, pads=pads, dilations=(1, 1), groups=c))
    if any(isinstance(d, Dim) for d in x.shape[1:3]):   # unknown sizes: counts at run time
        counts = bind(CONV2D, [ones_like(x[:1, :, :, :1]), constant(np.ones(ksize + (1, 1),
                                                                         x.dtype.np))],
                      dict(strides=strides, pads=pads, dilations=(1, 1), groups=1))
        return _nchw_out(y / counts, flip)
    counts = _conv2d_impl(np.ones((1,) + tuple(x.shape[1:3]) + (1,)), np.ones(ksize + (1, 1)),
                          strides, pads, (1, 1), 1)
    return _nchw_out(y * constant((1.0 / counts).astype(x.dtype.np)), flip)


def _pool1d(pool, input, ksize, strides, padding, data_format, what):
    x = to_tensor(input)
    if x.ndim != 3:
        raise op_error(what, (x,), "needs a rank-3 input (NWC)")
    if data_format == "NCW":
        x = transpose(x, (0, 2, 1))
    k = _tuple_n(ksize, 1, "ksize", 3)[0]
    s = _tuple_n(strides if strides is not None else k, 1, "strides", 3)[0]
    y = pool(reshape(x, (x.shape[0], 1) + tuple(x.shape[1:])), (1, k), (1, s), padding)
    y = reshape(y, (y.shape[0],) + tuple(y.shape[2:]))
    return transpose(y, (0, 2, 1)) if data_format == "NCW" else y


def max_pool1d(input, ksize, strides=None, padding="VALID", data_format="NWC", name=None):
    """Max pooling over windows of an NWC input."""
    return _pool1d(max_pool2d, input, ksize, strides, padding, data_format, "max_pool1d")


def avg_pool1d(input, ksize, strides=None, padding="VALID", data_format="NWC", name=None):
    """Average pooling over windows of an NWC input (SAME: non-padding cells only)."""
    return _pool1d(avg_pool2d, input, ksize, strides, padding, data_format, "avg_pool1d")


def max_pool(input, ksize, strides=None, padding="VALID", data_format=None, name=None):
    """max_pool1d or max_pool2d by the input's rank."""
    x = to_tensor(input)
    if x.ndim == 3:
        return max_pool1d(x, ksize, strides, padding, data_format or "NWC")
    return max_pool2d(x, ksize, strides, padding, data_format or "NHWC")


def avg_pool(input, ksize, strides=None, padding="VALID", data_format=None, name=None):
    """avg_pool1d or avg_pool2d by the input's rank."""
    x = to_tensor(input)
    if x.ndim == 3:
        return avg_pool1d(x, ksize, strides, padding, data_format or "NWC")
    return avg_pool2d(x, ksize, strides, padding, data_format or "NHWC")


def to_channels_last(x, data_format):
    """`x` in channels_last layout (NWC/NHWC/NDHWC, the layout the conv ops take): a
    channels_first input has its channel axis moved last.

    >>> import numpy as np
    >>> to_channels_last(constant(np.zeros((2, 3, 5, 7))), "channels_first").shape
    TensorShape([2, 5, 7, 3])
    """
    if data_format == "channels_first":
        return transpose(x, (0,) + tuple(range(2, x.ndim)) + (1,))
    return x


def from_channels_last(y, data_format):
    """The inverse of `to_channels_last`: a channels_last result back in `data_format`."""
    if data_format == "channels_first":
        return transpose(y, (0, y.ndim - 1) + tuple(range(1, y.ndim - 1)))
    return y
