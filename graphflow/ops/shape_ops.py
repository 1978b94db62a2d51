"""Shape manipulation, indexing and gathering ops.

>>> import graphflow as tf
>>> tf.concat([tf.ones((1, 2)), tf.zeros((1, 2))], axis=0).shape
TensorShape([2, 2])
"""
import numpy as np

from .. import dtypes as _dt
from ..dispatch import bind
from ..tensor import OPERATORS, Tensor, Variable, constant, convert_args, convert_to_tensor, to_tensor
from ..tensor import has_traced_index
from .creation import ones, shape_tuple, zeros  # noqa: F401  (ones: used in doctests)
from ..indexing import index_from_spec, index_spec, sliced_shape
from .registry import LINEAR, OPS, Aval, defop, linear_in, normalize_axis, op_error, same_dtype
from .registry import SOURCE, broadcast_shapes
from ..errors import InvalidArgumentError
from .dynamic_index import dynamic_getitem
from .scatter_rows import add_rows
from ..shapes import Dim, checks_pending, dmax, prod as _dprod, require_differ, require_equal

_NO = {}


# ------------------------------------------------------------------ reshape / transpose
def _reshape_rule(x, shape):
    if not require_equal(_dprod(x.shape), _dprod(shape)):
        raise op_error("reshape", (x,), f"cannot reshape {_dprod(x.shape)} values into "
                       f"shape {tuple(shape)}")
    return Aval(tuple(shape), x.dtype)


RESHAPE = defop("reshape", lambda x, shape: np.reshape(x, shape), _reshape_rule,
                lambda i, o, g, shape: [reshape(g, i[0].shape)], arity=1, same_shape_noop=True,
                composes="outer", c_order_view=True, jvp=LINEAR, joins_dims=True)


def reshape(tensor, shape, name=None):
    """Reshape; one dimension may be -1.

    >>> reshape(constant([1, 2, 3, 4]), (2, -1)).shape
    TensorShape([2, 2])
    """
    x = to_tensor(tensor)
    from . import runtime_shape   # (same layer) a shape known when the graph runs: [n, -1]
    if runtime_shape.is_runtime(shape):
        return runtime_shape.reshape(x, shape)
    if isinstance(shape, (list, tuple)) and any(s is None for s in shape):
        return runtime_shape.reshape_like(x, shape)   # run-time sizes of x.shape (None)
    if any(d is None for d in x.shape):   # of a run-time size: -1 inferred, checked then
        return runtime_shape.reshape(x, shape)
    shape = list(shape_tuple(shape))
    if shape.count(-1) > 1:
        raise op_error("reshape", (x,), f"at most one -1 in shape {shape}")
    if -1 in shape:
        known = _dprod([s for s in shape if s != -1])
        n = _dprod(x.shape)
        if known == 0 or not require_equal(n % known, 0):   # unknown dims: checked at run time
            raise op_error("reshape", (x,), f"cannot reshape {n} values into shape {shape}")
        shape[shape.index(-1)] = n // known
    shape = tuple(shape)
    if tuple(x.shape) == shape and not checks_pending():   # (a node carries pending checks)
        return x
    return bind(RESHAPE, [x], {"shape": shape})


def _transpose_rule(x, perm):
    if sorted(perm) != list(range(len(x.shape))):
        raise op_error("transpose", (x,), f"perm {perm} is not a permutation of the axes")
    return Aval(tuple(x.shape[p] for p in perm), x.dtype)


TRANSPOSE = defop("transpose", lambda x, perm: np.transpose(x, perm), _transpose_rule,
                  lambda i, o, g, perm: [transpose(g, tuple(np.argsort(perm)))], arity=1, composes="perm", jvp=LINEAR)


def transpose(a, perm=None, conjugate=False, name=None):
    """Permute axes (reverse them by default).

    >>> transpose(ones((2, 3))).shape
    TensorShape([3, 2])
    """
    x = to_tensor(a)
    if perm is not None:
        perm = [int(p) for p in perm]
        if any(not -x.ndim <= p < x.ndim for p in perm):   # `%` would wrap them silently
            raise op_error("transpose", (x,), f"perm {perm} has an axis out of range for rank "
                           f"{x.ndim}")
    perm = tuple(range(x.ndim))[::-1] if perm is None else tuple(p % max(x.ndim, 1) for p in perm)
    if perm == tuple(range(x.ndim)):
        return x
    return bind(TRANSPOSE, [x], {"perm": perm})


def expand_dims(input, axis, name=None):
    """Insert a size-1 axis at `axis`."""
    x = to_tensor(input)
    axis = int(axis)
    if not -x.ndim - 1 <= axis <= x.ndim:
        raise op_error("expand_dims", (x,), f"axis {axis} out of range for rank {x.ndim}")
    shape = list(x.shape)
    shape.insert(axis % (x.ndim + 1), 1)
    return reshape(x, shape)


def squeeze(input, axis=None, name=None):
    """Remove size-1 axes (all of them, or those in `axis`)."""
    x = to_tensor(input)
    if axis is None:   # unknown dims stay (the rank is part of the graph): they must not be 1
        axes = [i for i, s in enumerate(x.shape) if s == 1]
        for a, s in enumerate(x.shape):
            if isinstance(s, Dim):
                require_differ(s, 1, ("squeeze", (x,), f"axis {a} (unknown while tracing, so "
                                      "kept) has size 1 at run time: pass axis= to squeeze it"))
    else:
        axes = normalize_axis("squeeze", axis, x.ndim, (x,))
        for a in axes:
            msg = f"cannot squeeze axis {a} of size {x.shape[a]}"
            if not require_equal(x.shape[a], 1, "equal", ("squeeze", (x,), msg)):
                raise op_error("squeeze", (x,), msg)
    return reshape(x, [s for i, s in enumerate(x.shape) if i not in axes])


# ------------------------------------------------------------------ broadcast_to / tile
def _bcast_rule(x, shape):
    try:
        out = broadcast_shapes("broadcast_to", (x, Aval(tuple(shape), x.dtype)))
    except InvalidArgumentError:
        out = None
    if out is None or len(out) != len(shape) or any(
            not (a == b or isinstance(b, Dim) and require_equal(a, b))
            for a, b in zip(out, shape)):
        raise op_error("broadcast_to", (x,), f"cannot broadcast to shape {tuple(shape)}")
    return Aval(tuple(shape), x.dtype)


BROADCAST_TO = defop("broadcast_to", lambda x, shape: np.broadcast_to(x, shape), _bcast_rule,
                     lambda i, o, g, shape: [g], arity=1, same_shape_noop=True, broadcast=True,
                     fold_limit=1024, jvp=LINEAR)   # autodiff's unbroadcast sums g back


def _sum_to_shape_impl(g, shape):
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(i + lead for i, s in enumerate(shape)
                                      if s == 1 and g.shape[i + lead] != 1)
    return np.reshape(np.sum(g, axis=axes, dtype=g.dtype) if axes else g, shape)


def _sum_to_shape_rule(g, shape):
    lead = len(g.shape) - len(shape)
    if lead < 0 or any(not isinstance(s, Dim) and not isinstance(t, Dim) and s not in (1, t)
                       for s, t in zip(shape, g.shape[lead:])):
        raise op_error("sum_to_shape", (g,), f"cannot sum to shape {tuple(shape)}")
    return Aval(tuple(shape), g.dtype)


# The transpose of broadcast_to: the gradient of a broadcast whose broadcast axes are known only
# at run time (an unknown dim that may be 1), e.g. x of shape (None, 3) + y of shape (4, 3).
SUM_TO_SHAPE = defop("sum_to_shape", _sum_to_shape_impl, _sum_to_shape_rule,
                     lambda i, o, g, shape: [broadcast_to(g, i[0].shape)], arity=1, jvp=LINEAR)


def sum_to_shape(g, shape):
    """Sum `g` over the axes numpy broadcasting added or stretched to reach its shape from
    `shape` (the transpose of `broadcast_to`; which axes is decided when the graph runs).

    >>> sum_to_shape(ones((2, 3)), (1, 3)).numpy()
    array([[2., 2., 2.]], dtype=float32)
    """
    g = to_tensor(g)
    shape = tuple(shape)
    if tuple(g.shape) == shape:
        return g
    return bind(SUM_TO_SHAPE, [g], {"shape": shape})


def broadcast_to(input, shape, name=None):
    """Broadcast to `shape` with numpy rules (inside @function `shape` may hold values known
    only when the graph runs, e.g. `tf.shape(y)` of a tensor with run-time sizes).

    >>> broadcast_to(constant([1, 2]), [2, 2]).numpy()
    array([[1, 2],
           [1, 2]], dtype=int32)
    """
    x = to_tensor(input)
    from . import runtime_shape   # (same layer)
    if runtime_shape.is_runtime(shape) or (isinstance(shape, (list, tuple)) and any(
            d is None for d in shape)):   # x against a block of the run-time shape
        if isinstance(shape, (list, tuple)) and any(d is None for d in shape):
            raise InvalidArgumentError(f"broadcast_to: the shape {list(shape)} has unknown "
                                       f"entries (None); pass tf.shape(...) of a tensor instead")
        block = runtime_shape.fill(shape, to_tensor(np.zeros((), x.dtype.np)))
        from . import math_ops   # (same layer)
        return math_ops.logical_or(x, block) if x.dtype == _dt.bool else math_ops.add(x, block)
    shape = shape_tuple(shape)
    if tuple(x.shape) == shape:
        return x
    return bind(BROADCAST_TO, [x], {"shape": shape})


def _tile_rule(x, multiples):
    if len(multiples) != len(x.shape):
        raise op_error("tile", (x,), f"multiples {multiples} must have one entry per axis")
    return Aval(tuple(None if s is None else s * m for s, m in zip(x.shape, multiples)),
                x.dtype)   # (None: a run-time size)


def _tile_vjp(i, o, g, multiples):
    x = i[0]
    inter = [d for m, s in zip(multiples, x.shape) for d in (m, s)]
    # reduce_sum is a math op (defined above this module): bind the table's primitive
    return [bind(OPS["reduce_sum"], [reshape(g, inter)],
                 {"axis": tuple(range(0, 2 * x.ndim, 2)), "keepdims": False})]


TILE = defop("tile", lambda x, multiples: np.tile(x, multiples), _tile_rule, _tile_vjp, arity=1, jvp=LINEAR)


def tile(input, multiples, name=None):
    """Repeat the tensor `multiples[i]` times along axis i.

    >>> tile(constant([[1, 2]]), [2, 1]).numpy()
    array([[1, 2],
           [1, 2]], dtype=int32)
    """
    x = to_tensor(input)
    from . import runtime_shape   # (same layer)
    if runtime_shape.is_runtime(multiples):   # traced counts: x broadcast against ones
        reps = [multiples[k] for k in range(x.ndim)]   # of shape [m0, 1, m1, 1, ...]
        inter = [v for k in range(x.ndim) for v in (1, x.shape[k])]
        ones_shape = [v for k in range(x.ndim) for v in (reps[k], 1)]
        big = runtime_shape.reshape_like(x, tuple(inter)) * runtime_shape.fill(
            ones_shape, to_tensor(np.ones((), x.dtype.np)))
        dims = runtime_shape.shape_of(x)
        return runtime_shape.reshape(big, [reps[k] * dims[k] for k in range(x.ndim)])
    return bind(TILE, [x], {"multiples": shape_tuple(multiples)})   # unknown dims stay symbolic


# ------------------------------------------------------------------ concat / stack / split
def _concat_rule(*xs, axis):
    dt = same_dtype("concat", xs)
    r = len(xs[0].shape)
    if any(len(x.shape) != r for x in xs):
        raise op_error("concat", xs, "all inputs need the same rank")
    out = list(xs[0].shape)
    for x in xs[1:]:
        for d in range(r):
            if d != axis and not require_equal(x.shape[d], out[d]):
                raise op_error("concat", xs, f"dimension {d} differs")
        out[axis] = None if out[axis] is None or x.shape[axis] is None else \
            out[axis] + x.shape[axis]   # (None: a run-time size)
    return Aval(tuple(out), dt)


def _concat_vjp(i, o, g, axis):
    if any(x.shape[axis] is None for x in i):   # run-time sizes: the rows picked when it runs
        from . import runtime_shape
        outs, start = [], 0
        for x in i:
            n = runtime_shape.shape_of(x)[axis]
            outs.append(gather(g, runtime_shape.range_(start, start + n, 1, "int32"), axis=axis))
            start = start + n
        return outs
    outs, start = [], 0
    for x in i:
        n = x.shape[axis]
        outs.append(g[(slice(None),) * axis + (slice(start, start + n),)])
        start += n
    return outs


CONCAT = defop("concat", lambda *xs, axis: np.concatenate(xs, axis), _concat_rule, _concat_vjp, jvp=LINEAR,
               joins_dims=True)


def concat(values, axis, name=None):
    """Join tensors along an existing axis."""
    xs = convert_args(*values)
    if not xs:
        raise ValueError("concat: needs at least one tensor")
    if xs[0].ndim == 0:
        raise op_error("concat", xs, "cannot concatenate scalars (rank 0); use stack")
    axis = normalize_axis("concat", axis, xs[0].ndim, xs)[0]
    if len(xs) == 1:
        return xs[0]
    return bind(CONCAT, xs, {"axis": axis})


def stack(values, axis=0, name=None):
    """Join tensors along a new axis.

    >>> stack([constant(1.), constant(2.)]).numpy()
    array([1., 2.], dtype=float32)
    """
    xs = convert_args(*values)
    return concat([expand_dims(x, axis) for x in xs], axis)


def unstack(value, num=None, axis=0, name=None):
    """The slices of `value` along `axis`, as a list.

    >>> [t.numpy() for t in unstack(constant([1, 2]))]
    [np.int32(1), np.int32(2)]
    """
    x = to_tensor(value)
    axis = normalize_axis("unstack", axis, x.ndim, (x,))[0]
    n = x.shape[axis]
    if num is not None:
        msg = f"num={num} pieces do not match the size of axis {axis}"
        if not require_equal(n, int(num), "equal", ("unstack", (x,), msg)):
            raise op_error("unstack", (x,), msg)
        n = int(num)
    elif isinstance(n, Dim):   # TF's error: the number of outputs is part of the graph
        raise ValueError(f"Cannot infer argument `num` from shape {x.shape} (unstack of axis "
                         f"{axis}, unknown while tracing: pass num=)")
    return [x[(slice(None),) * axis + (k,)] for k in range(n)]


def split(value, num_or_size_splits, axis=0, num=None, name=None):
    """Split into equal pieces (an int) or pieces of given sizes (a list; one size may be -1).

    >>> [t.shape[0] for t in split(ones((5, 2)), [2, -1])]
    [2, 3]
    """
    x = to_tensor(value)
    axis = normalize_axis("split", axis, x.ndim, (x,))[0]
    n = x.shape[axis]
    if np.ndim(num_or_size_splits) == 0:   # an int, numpy int or scalar tensor
        num_or_size_splits = int(num_or_size_splits)
        if num_or_size_splits <= 0 or not require_equal(n % num_or_size_splits, 0):
            raise op_error("split", (x,), f"axis {axis} of size {n} is not divisible into "
                           f"{num_or_size_splits} pieces")
        sizes = [n // num_or_size_splits] * num_or_size_splits
    else:
        sizes = given = [int(s) for s in num_or_size_splits]
        if sizes.count(-1) > 1:
            raise op_error("split", (x,), f"sizes {sizes}: at most one size may be -1")
        if -1 in sizes:
            sizes = list(sizes)
            sizes[sizes.index(-1)] = n - (sum(sizes) + 1)
        msg = f"sizes {given} do not add up to the size of axis {axis}" + (
            "" if isinstance(n, Dim) else f" ({n})")
        ctx = ("split", (x,), msg)   # unknown dims: checked when the graph runs
        if any(not isinstance(s, Dim) and s < 0 for s in sizes) or not all(
                [require_equal(sum(sizes), n, "equal", ctx)]
                + [require_equal(dmax(s, 0), s, "equal", ctx) for s in sizes if isinstance(s, Dim)]):
            raise op_error("split", (x,), msg)
    outs, start = [], 0
    for s in sizes:
        piece = x[(slice(None),) * axis + (slice(start, start + s),)]
        if piece.shape[axis] != s:   # unknown sizes: the slice's clamped length is s here
            piece = reshape(piece, tuple(x.shape)[:axis] + (s,) + tuple(x.shape)[axis + 1:])
        outs.append(piece)
        start += s
    return outs


# ------------------------------------------------------------------ indexing
def _getitem_rule(x, spec):
    try:
        return Aval(sliced_shape(x.shape, spec), x.dtype)
    except (IndexError, ValueError) as e:   # ValueError: slice step zero
        raise op_error("getitem", (x,), f"index {index_from_spec(spec)} invalid: {e}") from None


def _slice_tiles(specs, shape):
    """(axis, [(start, stop, spec)] by start) if every spec slices one and the same axis with unit
    step and static bounds (all other axes whole) and the slices do not overlap; else None."""
    axis, tiles = None, []
    for spec in specs:
        if len(spec) != len(shape) or any(s[0] != "s" for s in spec):
            return None
        own = [a for a, s in enumerate(spec) if tuple(s[1:]) != (None, None, None)]
        if len(own) != 1 or axis not in (None, own[0]):
            return None
        axis = own[0]
        _, start, stop, step = spec[axis]
        n = shape[axis]
        start, stop = (0 if start is None else start), (n if stop is None else stop)
        if step not in (None, 1) or not all(isinstance(v, (int, np.integer)) and 0 <= v <= n
                                            for v in (n, start, stop)):
            return None
        tiles.append((int(start), int(stop), spec))
    tiles.sort(key=lambda t: t[0])
    if any(b[0] < a[1] for a, b in zip(tiles, tiles[1:])):
        return None
    return axis, tiles


def _getitem_group_vjp(inputs, cts, spec=None, needed=None):
    """The VJP of all getitems of one tensor at once (`cts`: spec -> cotangent; the autodiff
    core groups them, fact `vjp_group`): slices of one axis (a split, an RNN's gates) get their
    cotangents joined by one concat (zeros in the gaps), not a zeros-sized scatter per slice
    summed up; other indexings get the sum of their getitem_grads."""
    shape = inputs[0].shape
    tiles = _slice_tiles(list(cts), tuple(shape)) if len(cts) > 1 and not any(
        d is None for d in shape) else None
    if tiles is None:
        out = None
        for sp, g in cts.items():
            part = getitem_grad(g, shape, sp, inputs[0])
            out = part if out is None else out + part
        return [out]
    axis, parts, pos = tiles[0], [], 0
    for start, stop, sp in tiles[1] + [(shape[axis], shape[axis], None)]:
        if start > pos:
            gap = list(shape)
            gap[axis] = start - pos
            parts.append(zeros(tuple(gap), inputs[0].dtype))
        if sp is not None:
            parts.append(cts[sp])
        pos = stop
    return [concat(parts, axis)]


_GETITEM_GROUP = ("getitem",)   # every getitem of one tensor is in one VJP group

def _getitem_impl(x, spec):
    r = np.asarray(x)[index_from_spec(spec)]
    # one element of a string (object) array is the bytes object itself: keep it an array
    return r if isinstance(r, (np.ndarray, np.generic)) else np.asarray(r, dtype=object)


GETITEM = defop("getitem", _getitem_impl, _getitem_rule,
                lambda i, o, g, spec: [getitem_grad(g, i[0].shape, spec, i[0])], arity=1, jvp=LINEAR,
                vjp_group=lambda spec: (_GETITEM_GROUP, spec), group_vjp=_getitem_group_vjp,
                selects_dims=lambda dims, spec: _getitem_impl(np.array(dims, object), spec),
                selects_at="spec")     # fact: the output is input[attrs["spec"]]


def _getitem_grad_impl(g, shape, spec):
    z = np.zeros(shape, g.dtype)
    z[index_from_spec(spec)] = g
    return z


GETITEM_GRAD = defop("getitem_grad", _getitem_grad_impl,
                     lambda g, shape, spec: Aval(tuple(shape), g.dtype),
                     lambda i, o, g, shape, spec: [g[index_from_spec(spec)]], arity=1, jvp=LINEAR,
                     embeds_at="spec")  # fact: the output is zeros with input at [attrs["spec"]]


def getitem_grad(g, shape, spec, like=None):
    """Scatter g into zeros of `shape` at the basic index `spec` (the VJP of getitem); `like`:
    the indexed tensor, whose run-time sizes (None in `shape`) are read when the graph runs."""
    if like is not None and any(d is None for d in shape):
        from . import runtime_shape   # (same layer)
        return runtime_shape.shaped_like(like, GETITEM_GRAD.name, [g], {"spec": spec})
    return bind(GETITEM_GRAD, [to_tensor(g)], {"shape": tuple(shape), "spec": spec})


def getitem(x, idx):
    """`x[idx]` for basic indices; a 1-D/any integer tensor index gathers along axis 0; a
    boolean array or tensor is a mask (tf.boolean_mask, as TF).

    >>> getitem(to_tensor([[1, 2], [3, 4], [5, 6]]), np.array([True, False, True])).numpy()
    array([[1, 2],
           [5, 6]], dtype=int32)
    """
    x = to_tensor(x)
    if isinstance(idx, (Tensor, np.ndarray)) and np.dtype(
            idx.dtype.np if isinstance(idx, Tensor) else idx.dtype) == np.bool_:
        from . import data_dependent   # (same layer) TF: x[bool mask] is tf.boolean_mask
        return data_dependent.boolean_mask(x, idx)
    if isinstance(idx, Tensor) and idx.ndim > 0 or isinstance(idx, (list, np.ndarray)):
        return gather(x, idx)
    if isinstance(idx, Tensor) and idx._value is None:
        if idx.ndim == 0 and np.dtype(idx.dtype.np).kind in "iu":   # x[i]: negative i counts
            return dynamic_getitem(x, idx)                          # from the end, as TF's
        return gather(x, idx)
    dims = _dims_of(x)
    if dims is not None and isinstance(idx, (int, np.integer, slice)):   # tf.shape(x)[0]
        return dims_value(dims[idx], x.dtype)   # (raises IndexError out of range, as a tuple)
    if has_traced_index(idx):   # x[i, 1], x[:n] with traced scalars: bounds read when the graph runs
        return dynamic_getitem(x, idx)
    spec = index_spec(idx)
    return bind(GETITEM, [x], {"spec": spec})


def _dims_of(t):
    """The dims a traced `dims` node holds (`graphflow.shape(x)` in a trace), else None."""
    g = getattr(t, "_graph", None)
    if g is None:
        return None
    d = g.nx.nodes[t._node]
    return d["attrs"]["dims"] if d["op"] == DIMS.name else None


# ------------------------------------------------------------------ gather / one_hot
def _gather_rule(p, idx, axis):
    if np.dtype(idx.dtype).kind not in "iu":
        raise op_error("gather", (p, idx), "indices must be integers")
    s = tuple(p.shape)
    return Aval(s[:axis] + tuple(idx.shape) + s[axis + 1:], p.dtype)


def _gather_impl(p, idx, axis):
    n = p.shape[axis]
    if idx.size and (idx.min() < 0 or idx.max() >= n):   # TF (CPU): no negative indices either
        raise IndexError(f"indices out of range [0, {n}) on axis {axis}")
    return np.take(p, idx, axis=axis)


GATHER = defop("gather", _gather_impl, _gather_rule,
               lambda i, o, g, axis: [scatter_add(g, i[1], i[0].shape, axis, i[0]), None], arity=2, jvp=linear_in(0))


def _scatter_impl(g, idx, shape, axis):
    z = np.zeros(shape, g.dtype)
    zm = np.moveaxis(z, axis, 0)
    gm = np.moveaxis(g, list(range(axis, axis + idx.ndim)), list(range(idx.ndim)))
    add_rows(zm, idx, gm)
    return z


SCATTER_ADD = defop("scatter_add", _scatter_impl,
                    lambda g, idx, shape, axis: Aval(tuple(shape), g.dtype),
                    lambda i, o, g, shape, axis: [gather(g, i[1], axis=axis), None], arity=2, jvp=linear_in(0))


def scatter_add(updates, indices, shape, axis=0, like=None):
    """zeros(shape) with `updates` summed in at `indices` along `axis` (the VJP of gather);
    `like`: the gathered tensor, whose run-time sizes (None in `shape`) are read when it runs."""
    if like is not None and any(d is None for d in shape):
        from . import runtime_shape   # (same layer)
        return runtime_shape.shaped_like(like, SCATTER_ADD.name, [updates, indices],
                                         {"axis": int(axis)})
    return bind(SCATTER_ADD, [to_tensor(updates), to_tensor(indices)],
                {"shape": tuple(shape), "axis": int(axis)})


def gather(params, indices, axis=None, batch_dims=0, name=None):
    """Pick slices of `params` along `axis` at integer `indices`.

    >>> gather(constant([10, 20, 30]), [2, 0]).numpy()
    array([30, 10], dtype=int32)
    """
    if batch_dims:
        raise NotImplementedError("gather: batch_dims is not supported")
    p = to_tensor(params)
    idx = to_tensor(indices, _dt.int32 if not isinstance(indices, Tensor) else None)
    axis = normalize_axis("gather", 0 if axis is None else axis, p.ndim, (p,))[0]
    return bind(GATHER, [p, idx], {"axis": axis})


def _one_hot_impl(idx, depth, on, off, axis, dtype):
    eye = (np.arange(depth) == idx[..., None])
    out = eye.astype(dtype) if (on, off) == (1, 0) else np.where(eye, on, off).astype(dtype)
    return np.moveaxis(out, -1, axis) if axis != -1 else out


def _one_hot_rule(idx, depth, on, off, axis, dtype):
    if np.dtype(idx.dtype).kind not in "iu":
        raise op_error("one_hot", (idx,), "indices must be integers")
    shape = list(idx.shape)
    shape.insert(axis if axis != -1 else len(shape), depth)
    return Aval(tuple(shape), np.dtype(dtype))


ONE_HOT = defop("one_hot", _one_hot_impl, _one_hot_rule,
                nondiff_reason="one_hot takes integer indices", arity=1, elementwise_over_output_axis=-1)


def one_hot(indices, depth, on_value=None, off_value=None, axis=None, dtype=None, name=None):
    """One-hot encode integer indices. The dtype is `dtype`, else that of `on_value`/`off_value`
    (as TF infers it), else float32.

    >>> one_hot([0, 2], 3).numpy()
    array([[1., 0., 0.],
           [0., 0., 1.]], dtype=float32)

    Float numpy arrays / Python lists are truncated to int64 indices as TF converts them (the
    Keras training guide's float labels); a float Tensor is an error, as in TF.
    """
    if not isinstance(indices, (Tensor, Variable)):
        arr = np.asarray(indices)
        if arr.dtype.kind == "f":
            indices = arr.astype(np.int64)
    idx = to_tensor(indices)
    if dtype is None:
        given = [v for v in (on_value, off_value) if v is not None]
        dtype = to_tensor(given[0]).dtype if given else _dt.float32
    dt = _dt.as_dtype(dtype)
    if axis is not None and not -1 <= int(axis) <= idx.ndim:   # as TF: -1 or 0..rank
        raise op_error("one_hot", (idx,), f"axis {axis} must be -1 or in [0, {idx.ndim}]")
    if isinstance(depth, Tensor) and depth._value is None:   # traced depth: compare with a range
        from . import creation, math_ops   # (same layer)
        hot = math_ops.equal(expand_dims(math_ops.cast(idx, _dt.int64), -1),
                             creation.range(math_ops.cast(depth, _dt.int64)))
        on = to_tensor(1 if on_value is None else on_value, dt)
        off = to_tensor(0 if off_value is None else off_value, dt)
        out = math_ops.where(hot, on, off)
        if axis is not None and int(axis) != -1:
            out = transpose(out, list(range(int(axis))) + [idx.ndim] +
                            list(range(int(axis), idx.ndim)))
        return out
    return bind(ONE_HOT, [idx], {"depth": int(depth),
                                 "on": 1 if on_value is None else float(on_value),
                                 "off": 0 if off_value is None else float(off_value),
                                 "axis": -1 if axis is None else int(axis), "dtype": dt.np.name})


# ------------------------------------------------------------------ shapes as values
def _dims_rule(*, dims, dtype):
    return Aval((len(dims),) if isinstance(dims, tuple) else (), np.dtype(dtype))


def _dims_impl(*, dims, dtype):
    return np.array(dims, dtype=dtype)


DIMS = defop("dims", _dims_impl, _dims_rule, kind=SOURCE, arity=0,
             value_of_dims=lambda attrs: _dims_impl(**attrs),
             nondiff_reason="a shape: integer sizes known when the function runs",
             doc="the value of (possibly unknown) dims: a tuple -> 1-D, one dim -> 0-d")


def dims_value(dims, dtype=_dt.int32):
    """A tensor holding `dims` (a tuple -> 1-D, one dim -> scalar); unknown dims
    (`graphflow.shapes.Dim`) make it a `dims` node whose value is bound when the graph runs,
    known ones a constant.

    >>> dims_value((2, 3)).numpy()
    array([2, 3], dtype=int32)
    """
    dt = _dt.as_dtype(dtype)
    if isinstance(dims, Dim) or (isinstance(dims, tuple) and any(isinstance(d, Dim) for d in dims)):
        return bind(DIMS, [], {"dims": dims, "dtype": dt.np.name})
    return convert_to_tensor(np.array(dims, dtype=dt.np), dt)


def shape(input, out_type=_dt.int32, name=None):
    """The shape as an int32 tensor; while tracing, unknown dims are bound when the graph
    runs (one trace serves every batch size).

    >>> shape(ones((2, 3))).numpy()
    array([2, 3], dtype=int32)
    """
    x = to_tensor(input)
    if any(d is None for d in x.shape):   # a run-time size (graphflow.ops.runtime_shape)
        from . import runtime_shape
        return runtime_shape.shape_of(x, out_type)
    return dims_value(tuple(x.shape), out_type)


def size(input, out_type=_dt.int32, name=None):
    """Number of elements, as an int32 tensor (bound at run time for unknown dims).

    >>> size(ones((2, 3))).numpy()
    np.int32(6)
    """
    x = to_tensor(input)
    if any(d is None for d in x.shape):   # run-time sizes: the product of the shape it runs with
        from . import math_ops, runtime_shape   # (same layer)
        return math_ops.reduce_prod(runtime_shape.shape_of(x, out_type))
    return dims_value(_dprod(x.shape), out_type)


def rank(input, name=None):
    """Number of dimensions (static), as an int32 tensor."""
    return convert_to_tensor(to_tensor(input).ndim)


OPERATORS.update(getitem=getitem, stack=stack)   # x[idx]; lists of tensors in convert_to_tensor
