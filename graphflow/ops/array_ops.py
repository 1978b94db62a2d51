"""Array ops beyond the basics: cumsum, sort/argsort/top_k, gather_nd/scatter_nd, einsum,
slice/reverse/roll/pad/repeat/meshgrid, sequence_mask, tensordot, boolean_mask, map_fn.

Primitives here: cumsum, argsort, take_along_axis / put_along_axis (sort's gather and its VJP),
gather_nd / scatter_nd, einsum. The rest are compositions of table ops.

>>> import graphflow as tf
>>> tf.math.cumsum(tf.constant([1, 2, 3])).numpy()
array([1, 3, 6], dtype=int32)
"""
import builtins as _builtins
import collections
import functools
import math as _math

import numpy as np

from .. import dtypes as _dt
from ..dispatch import bind
from ..tensor import OPERATORS, Tensor, constant, convert_args, to_tensor  # noqa: F401  (constant: doctests)
from . import math_ops as _m
from . import shape_ops as _s
from .registry import LINEAR, Aval, defop, linear_in, normalize_axis, op_error, same_dtype
from .registry import shapes_agree
from .dynamic_index import Window, dynamic_getitem, is_traced
from .scatter_rows import add_rows
from . import data_dependent as _dd
from ..shapes import broadcast_dim

_ASCII_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"   # (string's, unimported)
_NO = {}


# ------------------------------------------------------------------ cumsum
def _scan_impl(ufunc, identity):
    """numpy impl of a running `ufunc` along `axis` (`exclusive`: `identity` first)."""
    def impl(x, axis, exclusive, reverse):
        if reverse:
            x = np.flip(x, axis)
        c = ufunc.accumulate(x, axis=axis, dtype=x.dtype)
        if exclusive and c.shape[axis]:
            first = np.full_like(np.take(c, [0], axis), identity)
            c = np.concatenate([first, np.take(c, np.arange(c.shape[axis] - 1), axis)], axis)
        return np.flip(c, axis) if reverse else c
    return impl


CUMSUM = defop("cumsum", _scan_impl(np.add, 0),
               lambda x, axis, exclusive, reverse: Aval(tuple(x.shape), same_dtype("cumsum", (x,), "fiu")),
               lambda i, o, g, axis, exclusive, reverse: [cumsum(g, axis, exclusive, not reverse)],
               jvp=LINEAR, arity=1,
               scan_of="sum")    # fact: a running sum along `axis` (fusable as a scan loop)


def cumsum(x, axis=0, exclusive=False, reverse=False, name=None):
    """Cumulative sum along `axis` (`exclusive`: leave out the current entry; `reverse`: from the end).

    >>> cumsum(constant([1., 2., 3.]), exclusive=True, reverse=True).numpy()
    array([5., 3., 0.], dtype=float32)
    """
    x = to_tensor(x)
    axis = normalize_axis("cumsum", int(axis), x.ndim, (x,))[0]
    return bind(CUMSUM, [x], {"axis": axis, "exclusive": bool(exclusive), "reverse": bool(reverse)})


def _cumprod_vjp(i, o, g, axis, exclusive, reverse):
    """d/dx_i of sum_j g_j * y_j = sum over the later j of g_j * (the product up to j without
    x_i). Zeros are exact: with x' = x whose zeros are 1s, that product is P'_j / x'_i where no
    other zero precedes j, else 0, so the sum takes the j whose zero count up to them is 0 (for
    a nonzero x_i) or 1 (for a zero x_i). (P' may overflow/underflow where the true product does
    not, as with TF's division-based gradient; the masks are constants, so second derivatives
    w.r.t. an exact zero entry are not exact.)"""
    zero, xs, count, p = _cumprod_parts(i[0], axis, exclusive, reverse)
    gp = g * p
    none = _m.zeros_like(gp)

    def later_sum(k):       # sum of g_j * P'_j over the later j with k zeros up to them
        return cumsum(_m.where(_m.equal(count, k), gp, none), axis, exclusive, not reverse)
    return [_m.where(zero, later_sum(1), later_sum(0)) / xs]


def _cumprod_parts(x, axis, exclusive, reverse):
    """(x == 0, x with 1 for 0, the running count of zeros, the running product of the
    latter): the pieces of cumprod's exact derivatives."""
    zero = _m.equal(x, 0)
    xs = _m.where(zero, _m.ones_like(x), x)
    count = cumsum(_m.cast(zero, x.dtype), axis, exclusive, reverse)
    return zero, xs, count, cumprod(xs, axis, exclusive, reverse)


def _cumprod_jvp(i, o, t, axis, exclusive, reverse):
    """dy_j = sum over the earlier i of t_i * (the product up to j without x_i), zeros exact
    as in `_cumprod_vjp`: P'_j times the running sum of t / x' over the nonzero x_i where no
    zero precedes j, or over the zero x_i where exactly one does."""
    if t[0] is None:
        return None
    zero, xs, count, p = _cumprod_parts(i[0], axis, exclusive, reverse)
    r = t[0] / xs
    none = _m.zeros_like(r)
    nonzeros = cumsum(_m.where(zero, none, r), axis, exclusive, reverse)
    zeros = cumsum(_m.where(zero, r, none), axis, exclusive, reverse)
    return p * _m.where(_m.equal(count, 0), nonzeros,
                        _m.where(_m.equal(count, 1), zeros, _m.zeros_like(r)))


CUMPROD = defop("cumprod", _scan_impl(np.multiply, 1),
                lambda x, axis, exclusive, reverse: Aval(tuple(x.shape), same_dtype("cumprod", (x,), "fiu")),
                _cumprod_vjp, jvp=_cumprod_jvp, arity=1,
                scan_of="prod")   # fact: a running product along `axis` (fusable as a scan loop)


def cumprod(x, axis=0, exclusive=False, reverse=False, name=None):
    """Cumulative product along `axis` (`exclusive`: leave out the current entry; `reverse`:
    from the end). One scan op, fused by the numba backend like cumsum; its gradient is exact
    where x has zeros.

    >>> cumprod(constant([1., 2., 3.])).numpy()
    array([1., 2., 6.], dtype=float32)
    """
    x = to_tensor(x)
    axis = normalize_axis("cumprod", int(axis), x.ndim, (x,))[0]
    return bind(CUMPROD, [x], {"axis": axis, "exclusive": bool(exclusive), "reverse": bool(reverse)})


# ------------------------------------------------------------------ sort / argsort / top_k
def _argsort_impl(x, axis, descending):
    key = -x if descending and x.dtype.kind == "f" else x
    if descending and x.dtype.kind != "f":
        idx = np.flip(np.argsort(np.flip(x, axis), axis=axis, kind="stable"), axis)
        idx = x.shape[axis] - 1 - idx
        return idx.astype(np.int32)
    return np.argsort(key, axis=axis, kind="stable").astype(np.int32)


ARGSORT = defop("argsort", _argsort_impl,
                lambda x, axis, descending: Aval(tuple(x.shape), np.dtype(np.int32)),
                nondiff_reason="argsort returns integer indices", arity=1)


def _along_rule(name):
    def rule(x, idx, axis):
        if np.dtype(idx.dtype).kind not in "iu" or len(idx.shape) != len(x.shape):
            raise op_error(name, (x, idx), "indices must be integers of the same rank")
        return Aval(tuple(idx.shape), x.dtype)
    return rule


def _full_index(idx, axis):
    ix = list(np.indices(idx.shape, sparse=True))
    ix[axis] = idx
    return tuple(ix)


def _put_along_impl(g, idx, shape, axis):
    z = np.zeros(shape, g.dtype)
    np.add.at(z, _full_index(idx, axis), g)
    return z


TAKE_ALONG = defop("take_along_axis", lambda x, idx, axis: np.take_along_axis(x, idx, axis),
                   _along_rule("take_along_axis"),
                   lambda i, o, g, axis: [put_along_axis(g, i[1], i[0].shape, axis), None],
                   jvp=linear_in(0), arity=2)
PUT_ALONG = defop("put_along_axis", _put_along_impl,
                  lambda g, idx, shape, axis: Aval(tuple(shape), g.dtype),
                  lambda i, o, g, shape, axis: [take_along_axis(g, i[1], axis), None],
                  jvp=linear_in(0), arity=2)


def take_along_axis(x, indices, axis):
    """x's entries at `indices` along `axis` (numpy's take_along_axis).

    >>> take_along_axis(constant([[1, 2, 3]]), constant([[2, 0]]), 1).numpy()
    array([[3, 1]], dtype=int32)
    """
    x, idx = to_tensor(x), to_tensor(indices)
    return bind(TAKE_ALONG, [x, idx], {"axis": normalize_axis("take_along_axis", axis, x.ndim, (x,))[0]})


def put_along_axis(updates, indices, shape, axis):
    """zeros(shape) with `updates` summed in at `indices` along `axis` (take_along_axis' VJP)."""
    return bind(PUT_ALONG, [to_tensor(updates), to_tensor(indices)],
                {"shape": tuple(shape), "axis": int(axis)})


def argsort(values, axis=-1, direction="ASCENDING", stable=False, name=None):
    """Indices that sort `values` along `axis` (stable), int32.

    >>> argsort(constant([1., 10., 26.9, 2.8, 166.32, 62.3])).numpy()
    array([0, 3, 1, 2, 5, 4], dtype=int32)
    """
    x = to_tensor(values)
    if direction not in ("ASCENDING", "DESCENDING"):
        raise ValueError(f"argsort: direction must be 'ASCENDING' or 'DESCENDING', got {direction!r}")
    axis = normalize_axis("argsort", axis, x.ndim, (x,))[0]
    return bind(ARGSORT, [x], {"axis": axis, "descending": direction == "DESCENDING"})


def sort(values, axis=-1, direction="ASCENDING", name=None):
    """`values` sorted along `axis`; the gradient flows back to the original positions.

    >>> sort(constant([1., 10., 26.9, 2.8, 166.32, 62.3]), direction="DESCENDING").numpy()
    array([166.32,  62.3 ,  26.9 ,  10.  ,   2.8 ,   1.  ], dtype=float32)
    """
    x = to_tensor(values)
    return take_along_axis(x, argsort(x, axis, direction), axis)


def _top_k_impl(x, k):
    """The first k of `argsort(x, -1, descending)` (ties: lower index first), without sorting
    whole rows when k is small: a partition finds each row's k-th largest value, the entries
    above it and the first ties at it are the top k, and only those k are sorted."""
    n = x.shape[-1]
    if x.dtype.kind != "f" or k == 0 or 4 * k >= n or np.isnan(x).any():
        return _argsort_impl(x, x.ndim - 1, True)[..., :k]
    kth = np.partition(x, n - k, axis=-1)[..., n - k:n - k + 1]
    keep = x >= kth
    extra = keep.sum(-1, keepdims=True, dtype=np.int32) - k
    if extra.any():         # rows with more ties at the k-th value than places: the first ones
        rows = np.nonzero(extra.reshape(-1))[0]
        xr, kr = x.reshape(-1, n)[rows], kth.reshape(-1, 1)[rows]
        tie = xr == kr
        above = (xr > kr).sum(-1, keepdims=True, dtype=np.int32)
        keep.reshape(-1, n)[rows] = (xr > kr) | (tie & (np.cumsum(tie, -1, dtype=np.int32)
                                                       <= k - above))
    idx = np.nonzero(keep.reshape(-1, n))[1].reshape(x.shape[:-1] + (k,))   # ascending per row
    order = np.argsort(-np.take_along_axis(x, idx, -1), axis=-1, kind="stable")
    return np.take_along_axis(idx, order, -1).astype(np.int32)


TOP_K = defop("top_k_indices", _top_k_impl,
              lambda x, k: Aval(tuple(x.shape[:-1]) + (k,), np.dtype(np.int32)),
              nondiff_reason="top_k's indices are integers", arity=1)

TopKV2 = collections.namedtuple("TopKV2", ["values", "indices"])


def top_k(input, k=1, sorted=True, name=None):
    """(values, indices) of the k largest entries along the last axis (ties: lower index first),
    as TF's namedtuple `TopKV2`.

    >>> v, i = top_k(constant([1., 5., 3.]), 2); v.numpy(), i.numpy()
    (array([5., 3.], dtype=float32), array([1, 2], dtype=int32))
    >>> top_k(constant([1., 5., 3.])).values.numpy()
    array([5.], dtype=float32)
    """
    x = to_tensor(input)
    k = int(k)
    if not 0 <= k <= (k if x.shape[-1] is None else x.shape[-1]):   # None: checked when it runs
        raise op_error("top_k", (x,), f"k={k} is out of range for a last axis of size {x.shape[-1]}")
    idx = bind(TOP_K, [x], {"k": k})
    return TopKV2(take_along_axis(x, idx, x.ndim - 1), idx)


# ------------------------------------------------------------------ gather_nd / scatter_nd
def _nd_index(idx, shape, opname):
    d = idx.shape[-1]
    for a in range(d):
        if idx.size and (idx[..., a].min() < 0 or idx[..., a].max() >= shape[a]):
            raise IndexError(f"{opname}: indices out of range [0, {shape[a]}) on axis {a}")
    return tuple(np.moveaxis(idx, -1, 0))


def _gather_nd_rule(p, idx):
    if np.dtype(idx.dtype).kind not in "iu" or not idx.shape or idx.shape[-1] > len(p.shape):
        raise op_error("gather_nd", (p, idx), "indices must be integers with a last axis no longer than params' rank")
    return Aval(tuple(idx.shape[:-1]) + tuple(p.shape[idx.shape[-1]:]), p.dtype)


def _scatter_nd_impl(u, idx, shape):
    z = np.zeros(shape, u.dtype)
    ix, d = _nd_index(idx, shape, "scatter_nd"), idx.shape[-1]
    if d == 0:   # empty index vectors: every update adds to the whole tensor
        np.add.at(z, ix, u)
        return z
    rows = z.reshape((-1,) + tuple(shape[d:]))   # (a view: z is fresh) one row per index vector
    add_rows(rows, np.ravel_multi_index(ix, tuple(shape[:d])), u)
    return z


def _scatter_nd_rule(u, idx, shape):
    want = tuple(idx.shape[:-1]) + tuple(shape[idx.shape[-1]:])
    msg = f"updates must have shape {want} for shape {tuple(shape)}"
    if np.dtype(idx.dtype).kind not in "iu" or not shapes_agree("scatter_nd", (u, idx), u.shape,
                                                                 want, msg):
        raise op_error("scatter_nd", (u, idx), msg)
    return Aval(tuple(shape), u.dtype)


GATHER_ND = defop("gather_nd", lambda p, idx: p[_nd_index(idx, p.shape, "gather_nd")], _gather_nd_rule,
                  lambda i, o, g: [scatter_nd(i[1], g, i[0].shape), None], jvp=linear_in(0), arity=2)
SCATTER_ND = defop("scatter_nd", _scatter_nd_impl, _scatter_nd_rule,
                   lambda i, o, g, shape: [gather_nd(g, i[1]), None], jvp=linear_in(0), arity=2)


def gather_nd(params, indices, batch_dims=0, name=None):
    """Slices of `params` at the index tuples in the last axis of `indices`.

    >>> gather_nd(constant([[1, 2], [3, 4]]), [[1, 0], [0, 1]]).numpy()
    array([3, 2], dtype=int32)
    """
    if batch_dims:
        raise NotImplementedError("gather_nd: batch_dims > 0 is not supported")
    p = to_tensor(params)
    idx = to_tensor(indices, None if isinstance(indices, Tensor) else _dt.int32)
    return bind(GATHER_ND, [p, idx], _NO)


def scatter_nd(indices, updates, shape, name=None):
    """zeros(shape) with `updates` added at `indices` (duplicates add up, as TF).

    >>> scatter_nd([[4], [3], [1], [7]], constant([9, 10, 11, 12]), [8]).numpy()
    array([ 0, 11,  0, 10,  9,  0,  0, 12], dtype=int32)
    """
    idx = to_tensor(indices, None if isinstance(indices, Tensor) else _dt.int32)
    shape = _s.shape_tuple(shape)   # unknown dims stay symbolic
    return bind(SCATTER_ND, [to_tensor(updates), idx], {"shape": shape})


def tensor_scatter_nd_update(tensor, indices, updates, name=None):
    """`tensor` with the entries at `indices` replaced by `updates` (unique indices).

    >>> tensor_scatter_nd_update(constant([1, 2, 3]), [[1]], constant([9])).numpy()
    array([1, 9, 3], dtype=int32)
    """
    t = to_tensor(tensor)
    u = to_tensor(updates, t.dtype)
    hit = _scatter_into(t, indices, _m.ones_like(u))
    return _m.where(_m.greater(hit, 0), _scatter_into(t, indices, u), t)


def _scatter_into(t, indices, updates):
    """scatter_nd(indices, updates, t.shape); t's run-time sizes (None) read when it runs."""
    if any(d is None for d in t.shape):
        from . import runtime_shape   # (same layer)
        idx = to_tensor(indices, None if isinstance(indices, Tensor) else _dt.int32)
        return runtime_shape.shaped_like(t, SCATTER_ND.name, [to_tensor(updates), idx], {})
    return scatter_nd(indices, updates, t.shape)


def tensor_scatter_nd_add(tensor, indices, updates, name=None):
    """`tensor` plus `updates` added at `indices`.

    >>> tensor_scatter_nd_add(constant([1, 2, 3]), [[1], [1]], constant([5, 5])).numpy()
    array([ 1, 12,  3], dtype=int32)
    """
    t = to_tensor(tensor)
    return t + _scatter_into(t, indices, to_tensor(updates, t.dtype))


# ------------------------------------------------------------------ einsum
def _parse_einsum(equation, n):
    eq = equation.replace(" ", "")
    if "." in eq:
        raise NotImplementedError(f"einsum: ellipsis ('...') is not supported: {equation!r}")
    if "->" in eq:
        ins, out = eq.split("->")
    else:
        ins = eq
        letters = ins.replace(",", "")
        out = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    subs = ins.split(",")
    if len(subs) != n:
        raise ValueError(f"einsum: equation {equation!r} names {len(subs)} operands, got {n}")
    return subs, out


def _einsum_rule(*xs, equation):
    subs, out = _parse_einsum(equation, len(xs))
    dt = same_dtype("einsum", xs, "fi")
    sizes = {}
    for s, x in zip(subs, xs):
        if len(s) != len(x.shape):
            raise op_error("einsum", xs, f"subscripts {s!r} do not match an operand of rank {len(x.shape)}")
        for c, d in zip(s, x.shape):
            prev = sizes.get(c, 1)
            if d is None or prev is None:   # a run-time size (None): numpy checks it per call
                sizes[c] = prev if d is None and prev not in (1, None) else (
                    None if d in (1, None) else d)
                continue
            r = broadcast_dim(prev, d)   # unknown dims: checked at run time
            if r is None:
                raise op_error("einsum", xs, f"index {c!r} has sizes {sizes[c]} and {d}")
            sizes[c] = r
    return Aval(tuple(sizes[c] for c in out), dt)


def _einsum_vjp(i, o, g, equation):
    subs, out = _parse_einsum(equation, len(i))
    grads = []
    for k, x in enumerate(i):
        sk = subs[k]
        if len(set(sk)) != len(sk):
            raise NotImplementedError(f"einsum gradient: repeated index in operand {sk!r} of {equation!r}")
        others = [s for j, s in enumerate(subs) if j != k]
        present = set(out).union(*others) if others else set(out)
        kept = "".join(c for c in sk if c in present)
        gk = einsum(",".join([out] + others) + "->" + kept, g, *[x2 for j, x2 in enumerate(i) if j != k])
        # indices where x has size 1 and another operand does not (numpy broadcasts them)
        gk = _s.sum_to_shape(gk, [x.shape[a] for a, c in enumerate(sk) if c in present])
        if kept != sk:
            gk = _s.reshape(gk, [x.shape[a] if c in present else 1 for a, c in enumerate(sk)])
        grads.append(_s.broadcast_to(gk, x.shape) if tuple(gk.shape) != tuple(x.shape) else gk)
    return grads


def _einsum_jvp(i, o, tangents, equation):
    out = None
    for k, t in enumerate(tangents):
        if t is None:
            continue
        term = einsum(equation, *[t if j == k else x for j, x in enumerate(i)])
        out = term if out is None else out + term
    return out


def _einsum_impl(*xs, equation):
    """numpy's einsum, with a two-operand contraction run as one (batched) BLAS matmul:
    `np.einsum` without `optimize` loops in C without BLAS (an attention score product took
    ~100x longer than the same `np.matmul`), and `optimize=True` re-plans on every call.
    Indices of one operand only and not in the output are summed first; batch indices stay
    separate dims, so np.matmul broadcasts them as einsum does. BLAS writes the product straight
    into a C-contiguous result in the output's index order where it can (`_EinsumPlan`)."""
    if len(xs) != 2:
        return np.einsum(equation, *xs, optimize=len(xs) > 2)
    a, b = xs
    p = _einsum_plan(equation, np.shape(a), np.shape(b))
    if p is None:
        return np.einsum(equation, *xs)
    if p.sum_a:
        a = a.sum(axis=p.sum_a, dtype=a.dtype)
    if p.sum_b:
        b = b.sum(axis=p.sum_b, dtype=b.dtype)
    a = a.transpose(p.perm_a).reshape(p.mat_a)
    b = b.transpose(p.perm_b).reshape(p.mat_b)
    if p.view is not None:
        dt = np.result_type(a, b)
        if dt.kind in "fc":
            res = np.empty(p.out_shape, dt)
            np.matmul(a, b, out=res.transpose(p.view).reshape(p.view_shape))
            return res
    return np.matmul(a, b).reshape(p.split).transpose(p.out_perm)


_EinsumPlan = collections.namedtuple(
    "_EinsumPlan", "sum_a sum_b perm_a perm_b mat_a mat_b out_shape view view_shape split out_perm")


@functools.lru_cache(maxsize=1024)
def _einsum_plan(equation, sa_shape, sb_shape):
    """How `_einsum_impl` runs a two-operand `equation` on operands of these shapes (worked out
    once per equation and shapes: ~18 us of Python per call otherwise), or None for np.einsum
    (a repeated index, a size-1 contracted index broadcast). `view`: the permutation of the
    C-contiguous result (indices `out`) that makes it the batched product's (batch, free of a,
    free of b) array, None where that view cannot hold the product's matrices (an operand's
    free indices not adjacent and in order in `out`): then matmul's result is transposed."""
    subs, out = _parse_einsum(equation, 2)
    if any(len(set(s)) != len(s) for s in subs + [out]):
        return None
    (sa, sb) = subs
    sum_a = tuple(i for i, c in enumerate(sa) if c not in sb + out)
    sa_shape = tuple(n for i, n in enumerate(sa_shape) if i not in sum_a)
    sa = "".join(c for i, c in enumerate(sa) if i not in sum_a)
    sum_b = tuple(i for i, c in enumerate(sb) if c not in sa + out)
    sb_shape = tuple(n for i, n in enumerate(sb_shape) if i not in sum_b)
    sb = "".join(c for i, c in enumerate(sb) if i not in sum_b)
    batch = [c for c in sa if c in sb and c in out]
    contract = [c for c in sa if c in sb and c not in out]
    fa = [c for c in sa if c not in sb]
    fb = [c for c in sb if c not in sa]
    size_a, size_b = dict(zip(sa, sa_shape)), dict(zip(sb, sb_shape))
    if any(size_a[c] != size_b[c] for c in contract):
        return None
    perm_a = tuple(sa.index(c) for c in batch + fa + contract)
    perm_b = tuple(sb.index(c) for c in batch + contract + fb)
    da, db = tuple(size_a[c] for c in fa), tuple(size_b[c] for c in fb)
    k = _math.prod(size_a[c] for c in contract)
    bshape = np.broadcast_shapes(tuple(size_a[c] for c in batch), tuple(size_b[c] for c in batch))
    mat_a = tuple(size_a[c] for c in batch) + (_math.prod(da), k)
    mat_b = tuple(size_b[c] for c in batch) + (k, _math.prod(db))
    order = batch + fa + fb
    sizes = dict(zip(order, bshape + da + db))
    out_shape = tuple(sizes[c] for c in out)
    view = tuple(out.index(c) for c in order)
    view_shape = bshape + (_math.prod(da), _math.prod(db))
    # (whether the permuted result reshapes to the product's shape without a copy depends on
    # the shapes only: tried on a stand-in with the result's C-order strides, no memory read)
    strides, step = [], 1
    for n in reversed(out_shape):
        strides.insert(0, step)
        step *= max(n, 1)
    stand_in = np.lib.stride_tricks.as_strided(np.empty(1, np.uint8), out_shape, strides)
    try:
        stand_in.transpose(view).reshape(view_shape, copy=False)
    except (ValueError, TypeError):     # (TypeError: numpy < 2.1 has no copy=; the old way)
        view = None
    return _EinsumPlan(sum_a, sum_b, perm_a, perm_b, mat_a, mat_b, out_shape, view, view_shape,
                       bshape + da + db, tuple(order.index(c) for c in out))


EINSUM = defop("einsum", _einsum_impl, _einsum_rule, _einsum_vjp, jvp=_einsum_jvp, blas=True)


def _expand_ellipsis(eq, xs):
    """`eq` with each `...` spelled out in unused letters (right-aligned across operands, as
    numpy), and operands whose ellipsis dims are 1 against a larger size broadcast to it."""
    lhs, arrow, rhs = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(xs):
        raise ValueError(f"einsum: the equation {eq!r} names {len(terms)} operands, "
                         f"got {len(xs)}")
    pool = [c for c in _ASCII_LETTERS if c not in eq]
    ranks = [x.ndim - len(t.replace("...", "")) if "..." in t else 0 for t, x in zip(terms, xs)]
    if min(ranks) < 0:
        raise ValueError(f"einsum: an operand of {eq!r} has fewer dims than its indices "
                         f"(shapes {[tuple(x.shape) for x in xs]})")
    m = max(ranks)
    ell = "".join(pool[:m])
    size = {}   # each ellipsis letter's size: the largest static one (others 1 broadcast)
    for t, x, r in zip(terms, xs, ranks):
        for k, c in enumerate(ell[m - r:]):
            d = x.shape[t.index("...") + k]
            if isinstance(d, int) and d != 1:
                size[c] = d
    out_xs = []
    for t, x, r in zip(terms, xs, ranks):
        if "..." in t and r:
            pre = t.index("...")
            shape = list(x.shape)
            for k, c in enumerate(ell[m - r:]):
                if shape[pre + k] == 1 and size.get(c, 1) != 1:
                    shape[pre + k] = size[c]
            if shape != list(x.shape):
                x = _s.broadcast_to(x, shape)
        out_xs.append(x)
    terms = [t.replace("...", ell[m - r:]) for t, r in zip(terms, ranks)]
    if arrow:
        out = rhs.replace("...", ell)
    else:   # implicit output: the ellipsis dims, then the indices that appear once, sorted
        counts = collections.Counter("".join(terms))
        out = ell + "".join(sorted(c for c, k in counts.items() if k == 1 and c not in ell))
    return ",".join(terms) + "->" + out, out_xs


def einsum(equation, *inputs, name=None, **_):
    """Einstein summation over named indices; `...` stands for the leading dims (broadcast as
    numpy). Gradients need no repeated index within one operand.

    >>> einsum("ij,jk->ik", constant([[1., 2.]]), constant([[3.], [4.]])).numpy()
    array([[11.]], dtype=float32)
    >>> einsum("...ij,...jk->...ik", constant(np.ones((2, 1, 3))), constant(np.ones((3, 4)))).shape
    TensorShape([2, 1, 4])
    """
    xs = convert_args(*inputs, op="einsum")
    eq = equation.replace(" ", "")
    if "..." in eq:
        eq, xs = _expand_ellipsis(eq, xs)
    return bind(EINSUM, xs, {"equation": eq})


def tensordot(a, b, axes, name=None):
    """Sum over the given axes of a and b (an int n: last n of a with first n of b).

    >>> tensordot(constant([[1., 2.], [3., 4.]]), constant([1., 1.]), 1).numpy()
    array([3., 7.], dtype=float32)
    """
    a, b = convert_args(a, b, op="tensordot")
    if np.ndim(axes) == 0:
        n = int(axes)
        ax_a, ax_b = list(_builtins.range(a.ndim - n, a.ndim)), list(_builtins.range(n))
    else:
        ax_a, ax_b = axes
        ax_a = [int(v) % a.ndim for v in np.atleast_1d(ax_a)]
        ax_b = [int(v) % b.ndim for v in np.atleast_1d(ax_b)]
    letters = iter(_ASCII_LETTERS)
    sa = [next(letters) for _ in _builtins.range(a.ndim)]
    sb = [next(letters) for _ in _builtins.range(b.ndim)]
    for i, j in zip(ax_a, ax_b):
        sb[j] = sa[i]
    out = [c for k, c in enumerate(sa) if k not in ax_a] + [c for k, c in enumerate(sb) if k not in ax_b]
    return einsum("".join(sa) + "," + "".join(sb) + "->" + "".join(out), a, b)


# ------------------------------------------------------------------ slicing compositions
def slice(input_, begin, size, name=None):
    """The block of `input_` starting at `begin` with `size` (-1: to the end).

    >>> slice(constant([[1, 2, 3], [4, 5, 6]]), [1, 0], [1, 2]).numpy()
    array([[4, 5]], dtype=int32)
    """
    x = to_tensor(input_)
    if is_traced(begin) or is_traced(size) or any(is_traced(v) for v in list(
            begin if isinstance(begin, (list, tuple)) else []) + list(
            size if isinstance(size, (list, tuple)) else [])):   # bounds known when it runs
        if len(begin) != x.ndim or len(size) != x.ndim:
            raise op_error("slice", (x,), f"begin and size need one entry per axis, got "
                           f"{len(begin)} and {len(size)}")
        return dynamic_getitem(x, tuple(Window(begin[k], size[k]) for k in _builtins.range(x.ndim)))
    begin = [int(v) for v in (begin.numpy() if isinstance(begin, Tensor) else np.atleast_1d(begin))]
    size = [int(v) for v in (size.numpy() if isinstance(size, Tensor) else np.atleast_1d(size))]
    if len(begin) != x.ndim or len(size) != x.ndim:
        raise op_error("slice", (x,), f"begin {begin} and size {size} need one entry per axis")
    idx = []
    for b, s, d in zip(begin, size, x.shape):
        e = d if s == -1 else b + s
        if not 0 <= b <= e <= d:
            raise op_error("slice", (x,), f"begin {begin} / size {size} out of bounds")
        idx.append(_builtins.slice(b, e))
    return x[tuple(idx)]


def reverse(tensor, axis, name=None):
    """Reverse the entries along each axis in `axis`.

    >>> reverse(constant([[1, 2], [3, 4]]), [1]).numpy()
    array([[2, 1],
           [4, 3]], dtype=int32)
    """
    x = to_tensor(tensor)
    axes = normalize_axis("reverse", list(np.atleast_1d(axis)), x.ndim, (x,))
    return x[tuple(_builtins.slice(None, None, -1) if a in axes else _builtins.slice(None)
                   for a in _builtins.range(x.ndim))]


def roll(input, shift, axis, name=None):
    """Shift entries cyclically along `axis` (lists of shifts and axes allowed).

    >>> roll(constant([0, 1, 2, 3, 4]), 2, 0).numpy()
    array([3, 4, 0, 1, 2], dtype=int32)
    """
    x = to_tensor(input)
    if is_traced(shift) or isinstance(shift, (list, tuple)) and any(is_traced(v) for v in shift):
        # shifts known when the graph runs: gather at (i - shift) mod n along each axis
        shifts = shift if isinstance(shift, (list, tuple)) else (
            [shift] if np.ndim(axis) == 0 else [shift[k] for k in _builtins.range(len(axis))])
        for s, a in zip(shifts, np.atleast_1d(axis)):
            a = normalize_axis("roll", int(a), x.ndim, (x,))[0]
            n = x.shape[a] if x.shape[a] is not None else _rts_shape(x)[a]
            n = _m.cast(n, _dt.int32)
            idx = _m.floormod(_rts_range(n) - _m.cast(s, _dt.int32), _m.maximum(n, 1))
            x = _s.gather(x, idx, axis=a)
        return x
    shifts, axes = np.atleast_1d(shift), np.atleast_1d(axis)
    total = {}
    for s, a in zip(shifts, axes):
        a = normalize_axis("roll", int(a), x.ndim, (x,))[0]
        total[a] = total.get(a, 0) + int(s)
    for a, s in total.items():
        n = x.shape[a]
        s = s % n if n else 0
        if s:
            pre = (_builtins.slice(None),) * a
            x = _s.concat([x[pre + (_builtins.slice(n - s, None),)], x[pre + (_builtins.slice(0, n - s),)]], a)
    return x


def pad(tensor, paddings, mode="CONSTANT", constant_values=0, name=None):
    """Pad with `constant_values` (mode CONSTANT), or mirror (REFLECT / SYMMETRIC).

    >>> pad(constant([[1, 2]]), [[1, 0], [0, 1]]).numpy()
    array([[0, 0, 0],
           [1, 2, 0]], dtype=int32)
    """
    x = to_tensor(tensor)
    if _traced_pads(paddings):
        return _pad_traced(x, paddings, mode, constant_values)
    pads = np.asarray(paddings.numpy() if isinstance(paddings, Tensor) else paddings, np.int64)
    if pads.shape != (x.ndim, 2) or (pads < 0).any():
        raise op_error("pad", (x,), f"paddings {pads.tolist()} must be [rank, 2] non-negative")
    mode = mode.upper()
    for a in _builtins.range(x.ndim):
        lo, hi = int(pads[a, 0]), int(pads[a, 1])
        if not lo and not hi:
            continue
        pre = (_builtins.slice(None),) * a
        n = x.shape[a]
        if mode == "CONSTANT":
            def block(k):
                shp = list(x.shape)
                shp[a] = k
                return _s.broadcast_to(to_tensor(constant_values, x.dtype), shp)
            parts = [block(lo)] if lo else []
            parts.append(x)
            parts += [block(hi)] if hi else []
        elif mode in ("REFLECT", "SYMMETRIC"):
            o = 1 if mode == "REFLECT" else 0
            if lo > n - o or hi > n - o:
                raise op_error("pad", (x,), f"{mode} padding of {max(lo, hi)} is too large for axis {a} of size {n}")
            parts = ([x[pre + (_builtins.slice(lo - 1 + o, o - 1 if o - 1 >= 0 else None, -1),)]] if lo else [])
            parts.append(x)
            if hi:
                stop = n - 1 - o - hi
                parts.append(x[pre + (_builtins.slice(n - 1 - o, stop if stop >= 0 else None, -1),)])
        else:
            raise ValueError(f"pad: unknown mode {mode!r}")
        x = _s.concat(parts, a)
    return x


def _rts_shape(x):
    from . import runtime_shape   # (same layer)
    return runtime_shape.shape_of(x)


def _rts_range(n):
    from .creation import range as _range   # (same layer)
    return _range(n)


def _traced_pads(p):
    if is_traced(p):
        return True
    return isinstance(p, (list, tuple)) and any(
        is_traced(v) for row in p for v in (row if isinstance(row, (list, tuple)) else [row]))


def _pad_traced(x, paddings, mode, constant_values):
    """`pad` with paddings known when the graph runs (CONSTANT mode): each axis joined with
    blocks of the fill value of run-time length."""
    from . import runtime_shape   # (same layer)
    if mode.upper() != "CONSTANT":
        raise op_error("pad", (x,), f"{mode} padding needs paddings known while tracing")
    c = to_tensor(constant_values, x.dtype)
    for a in _builtins.range(x.ndim):
        parts = []
        for k in (0, 1):
            n = _m.cast(paddings[a][k], _dt.int32)
            shp = [n if j == a else runtime_shape.shape_of(x)[j] if x.shape[j] is None
                   else x.shape[j] for j in _builtins.range(x.ndim)]
            parts.append(runtime_shape.fill(shp, c))
        x = _s.concat([parts[0], x, parts[1]], a)
    return x


def repeat(input, repeats, axis=None, name=None):
    """Repeat each entry `repeats` times along `axis` (flattened if None).

    >>> repeat(constant([1, 2]), 2, 0).numpy()
    array([1, 1, 2, 2], dtype=int32)
    """
    x = to_tensor(input)
    if axis is None:
        x, axis = _s.reshape(x, [-1]), 0
    axis = normalize_axis("repeat", axis, x.ndim, (x,))[0]
    n = x.shape[axis]
    if is_traced(repeats) or not isinstance(n, (int, np.integer)):
        # row k repeats[k] times: the rows of sequence_mask(repeats)'s Trues (also for an axis
        # whose length is known only when the graph runs, e.g. Keras's conditional GAN)
        r = _m.cast(repeats, _dt.int32)
        n = n if isinstance(n, (int, np.integer)) else _rts_shape(x)[axis]
        if r.ndim == 0 or (r.ndim == 1 and r.shape[0] == 1):   # one count for every row
            r = _s.reshape(r, []) * _m.ones_like(_s.reshape(_rts_range(n), [-1]), _dt.int32)
        return _s.gather(x, _dd.where_indices(sequence_mask(r))[:, 0], axis=axis)
    reps = np.broadcast_to(np.asarray(repeats.numpy() if isinstance(repeats, Tensor) else repeats), (x.shape[axis],))
    k = int(reps[0]) if reps.size else 0
    if k >= 1 and (reps == k).all() and (x.dtype.is_floating or x.dtype.is_integer):
        # every row k times (UpSampling's repeats): a broadcast multiply by ones, so that the
        # gradient is a sum over the k copies (compiled loops), not a scatter-add of the rows
        ones = constant(np.ones((k,) + (1,) * (x.ndim - axis - 1), x.dtype.np))
        return _s.reshape(_s.expand_dims(x, axis + 1) * ones,
                          tuple(x.shape[:axis]) + (n * k,) + tuple(x.shape[axis + 1:]))
    return _s.gather(x, np.repeat(np.arange(x.shape[axis]), reps).astype(np.int32), axis=axis)


def meshgrid(*args, indexing="xy", **kwargs):
    """Coordinate grids from 1-D tensors (indexing 'xy' or 'ij').

    >>> [g.numpy().tolist() for g in meshgrid(constant([1, 2]), constant([3, 4, 5]))][0]
    [[1, 2], [1, 2], [1, 2]]
    """
    xs = [_s.reshape(to_tensor(a), [-1]) for a in args]
    n = len(xs)
    shape = [x.shape[0] for x in xs]
    if indexing == "xy" and n >= 2:
        shape[0], shape[1] = shape[1], shape[0]
    if any(d is None for d in shape):   # run-time lengths: read when the graph runs
        shape = [_rts_shape(x)[0] if d is None else d for x, d in zip(
            ([xs[1], xs[0]] + xs[2:]) if indexing == "xy" and n >= 2 else xs, shape)]
    outs = []
    for k, x in enumerate(xs):
        pos = k
        if indexing == "xy" and n >= 2 and k < 2:
            pos = 1 - k
        s = [1] * n
        s[pos] = x.shape[0]
        outs.append(_s.broadcast_to(_s.reshape(x, s), shape))
    return outs


def sequence_mask(lengths, maxlen=None, dtype=_dt.bool, name=None):
    """mask[..., j] = j < lengths[...].

    >>> sequence_mask(constant([1, 3]), 4).numpy().astype(int)
    array([[1, 0, 0, 0],
           [1, 1, 1, 0]])
    """
    ln = to_tensor(lengths)
    if is_traced(ln) and maxlen is None:   # the longest, known when the graph runs
        maxlen = _m.reduce_max(ln)
    if maxlen is None:
        maxlen = int(np.max(ln.numpy())) if ln.shape else int(ln.numpy())
    if is_traced(maxlen):
        from .creation import range as _range
        r = _range(_m.cast(maxlen, ln.dtype))
    else:
        r = to_tensor(np.arange(int(maxlen)), ln.dtype)
    m = _m.less(r, _s.expand_dims(ln, -1))
    return m if _dt.as_dtype(dtype) == _dt.bool else _m.cast(m, dtype)


# ------------------------------------------------------------------ data-dependent shapes
def boolean_mask(tensor, mask, axis=None, name=None):
    """The entries (slices) of `tensor` where `mask` is True; a gather, so it is differentiable.
    Inside @function the result has a run-time leading size (None).

    >>> boolean_mask(constant([1, 2, 3]), constant([True, False, True])).numpy()
    array([1, 3], dtype=int32)
    """
    return _dd.boolean_mask(tensor, mask, axis)


def where_indices(condition):
    """The int64 coordinates of the True entries (`tf.where(condition)`).

    >>> where_indices(constant([[True, False], [False, True]])).numpy()
    array([[0, 0],
           [1, 1]])
    """
    return _dd.where_indices(condition)


Unique = collections.namedtuple("Unique", ["y", "idx"])


def unique(x, out_idx=_dt.int32, name=None):
    """(y, idx): the unique values in order of first appearance and each entry's index in y,
    as TF's namedtuple `Unique`.

    >>> y, i = unique(constant([1, 1, 2, 4, 4, 4, 7, 8, 8])); y.numpy(), i.numpy()
    (array([1, 2, 4, 7, 8], dtype=int32), array([0, 0, 1, 2, 2, 2, 3, 4, 4], dtype=int32))
    """
    return Unique(*_dd.unique_parts(x, _dt.as_dtype(out_idx).np.name))


# ------------------------------------------------------------------ map_fn
def map_fn(fn, elems, dtype=None, fn_output_signature=None, parallel_iterations=None,
           back_prop=True, swap_memory=False, infer_shape=True, name=None):
    """Apply `fn` to each slice along axis 0 of `elems` (a tensor or a nest of tensors) and stack.
    Runs as an unrolled Python loop over the static length of axis 0, eagerly and when traced
    (each step becomes graph nodes), so gradients work in both.

    >>> map_fn(lambda t: t * t, constant([1., 2., 3.])).numpy()
    array([1., 4., 9.], dtype=float32)
    """
    flat, pack = _flatten_simple(elems)
    flat = [to_tensor(e) for e in flat]
    n = flat[0].shape[0]
    if not isinstance(n, (int, np.integer)):   # a run-time length: a graph loop, as TF's
        return OPERATORS["map_fn_loop"](fn, pack(flat), fn_output_signature or dtype)
    outs = [fn(pack([e[k] for e in flat])) for k in _builtins.range(n)]
    if not outs:
        raise op_error("map_fn", flat, "cannot map over an empty axis 0 (output shape unknown)")
    _, pack_out = _flatten_simple(outs[0])
    cols = list(zip(*[_flatten_simple(o)[0] for o in outs]))
    return pack_out([_s.stack(list(c)) for c in cols])


def _flatten_simple(x):
    """(leaves, rebuild) for a tensor, a tuple/list or a dict of tensors (one level)."""
    if isinstance(x, dict):
        keys = list(x)
        return [x[k] for k in keys], lambda vs: dict(zip(keys, vs))
    if isinstance(x, (tuple, list)):
        return list(x), lambda vs: type(x)(vs)
    return [x], lambda vs: vs[0]


vectorized_map = map_fn


def foldl(fn, elems, initializer=None, name=None, **_):
    """Fold `fn(acc, x)` over axis 0 from the left (unrolled over the static length).

    >>> print(foldl(lambda a, x: a + x, constant([1, 2, 3])).numpy())
    6
    """
    x = to_tensor(elems)
    if not isinstance(x.shape[0], (int, np.integer)):   # a run-time length: a graph loop
        return OPERATORS["scan_loop"](fn, x, initializer, fold=True)
    items = [x[k] for k in _builtins.range(x.shape[0])]
    acc = items.pop(0) if initializer is None else initializer
    for it in items:
        acc = fn(acc, it)
    return acc


def scan(fn, elems, initializer=None, reverse=False, name=None, **_):
    """Running `fn(acc, x)` over axis 0, stacking every accumulator (unrolled; single tensors).

    >>> scan(lambda a, x: a + x, constant([1, 2, 3, 4])).numpy()
    array([ 1,  3,  6, 10], dtype=int32)
    """
    x = to_tensor(elems)
    if not isinstance(x.shape[0], (int, np.integer)):   # a run-time length: a graph loop
        return OPERATORS["scan_loop"](fn, x, initializer, reverse)
    items = [x[k] for k in _builtins.range(x.shape[0])]
    if reverse:
        items = items[::-1]
    outs = []
    acc = initializer
    for k, it in enumerate(items):
        acc = it if acc is None and k == 0 else fn(acc, it)
        outs.append(acc)
    if reverse:
        outs = outs[::-1]
    return _s.stack(outs)


# Variable.scatter_nd_update / scatter_nd_add (tensor.py sits below this layer)
OPERATORS.update(tensor_scatter_nd_update=tensor_scatter_nd_update,
                 tensor_scatter_nd_add=tensor_scatter_nd_add)
