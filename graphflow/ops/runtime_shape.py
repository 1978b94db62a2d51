"""Shapes that depend on values known only when the graph runs.

Inside `@function`, `tf.zeros(tf.stack([n, 2]))`, `tf.ones([n])`, `tf.fill([n, 3], v)`,
`tf.reshape(x, [n, -1])` and `tf.range(n)` with `n` a traced scalar (an argument, a loop
counter) cannot have their sizes at trace time. They become the ops below, whose outputs have
run-time dims: None in the graph's shapes (as TF prints them), the size each call computes.
Dims that are known (ints, or symbolic dims of the call's shapes such as `tf.shape(x)[0]`) stay
known: `tf.zeros(tf.stack([n, 2]))` has shape (None, 2), as TF's `constant_value_as_shape`
gives. Executors run these nodes on numpy (a compiled kernel needs its sizes when it is planned).

>>> import graphflow as tf
>>> @tf.function
... def f(n):
...     return tf.zeros(tf.stack([n, 2])), tf.range(n) * 2
>>> z, r = f(tf.constant(3))
>>> z.shape, r.numpy()
(TensorShape([3, 2]), array([0, 2, 4], dtype=int32))
"""
import numpy as np

from .. import dtypes as _dt
from ..dispatch import bind
from ..errors import InvalidArgumentError
from ..shapes import Dim
from ..tensor import SymbolicTensor, Tensor, to_tensor
from . import creation, math_ops
from .registry import OPS, VIA_VJP, Aval, defop, fmt_avals, linear_in

_OK = (int, np.integer, Dim)


def _known(d):
    return isinstance(d, _OK)


def _int_shape(v, opname):
    v = np.asarray(v)
    if v.ndim != 1 or v.dtype.kind not in "iu":
        raise InvalidArgumentError(f"{opname}: the shape must be a 1-D integer tensor, got "
                                   f"{v.dtype.name}{list(v.shape)}")
    return tuple(int(s) for s in v)


def _check_dims(opname, shape, dims):
    if len(shape) != len(dims) or any(_known(a) and isinstance(a, (int, np.integer)) and a != b
                                      for a, b in zip(shape, dims)):
        raise InvalidArgumentError(f"{opname}: the shape is {list(dims)} when the graph runs, "
                                   f"but {list(shape)} was known when tracing")


# ---------------------------------------------------------------- the ops
def _fill_impl(dims, value, *, shape):
    d = _int_shape(dims, "fill")
    if any(s < 0 for s in d):
        raise InvalidArgumentError(f"fill: dims {list(d)} must be non-negative")
    _check_dims("fill", shape, d)
    return np.full(d, value, np.asarray(value).dtype)


def _fill_rule(dims, value, *, shape):
    if len(dims.shape) != 1 or np.dtype(dims.dtype).kind not in "iu" or tuple(value.shape) != ():
        raise InvalidArgumentError(f"fill: needs a 1-D integer shape and a scalar value (inputs: "
                                   f"{fmt_avals([dims, value])})")
    return Aval(tuple(shape), value.dtype)


FILL = defop("runtime_fill", _fill_impl, _fill_rule,
             lambda i, o, g, shape: [None, math_ops.reduce_sum(g)], jvp=linear_in(1),
             doc="A tensor of the run-time shape `dims` (1-D int) filled with the scalar `value`; "
                 "attr `shape`: what is known of it when tracing (None: a run-time dim).")


def _reshape_impl(x, dims, *, shape):
    d = _int_shape(dims, "reshape")
    out = np.reshape(x, d)
    _check_dims("reshape", shape, out.shape)
    return out


def _reshape_rule(x, dims, *, shape):
    if len(dims.shape) != 1 or np.dtype(dims.dtype).kind not in "iu":
        raise InvalidArgumentError(f"reshape: needs a 1-D integer shape (inputs: "
                                   f"{fmt_avals([x, dims])})")
    return Aval(tuple(shape), x.dtype)


def _reshape_vjp(i, o, g, shape):
    return [reshape(g, shape_of(i[0])), None]


RESHAPE = defop("runtime_reshape", _reshape_impl, _reshape_rule, _reshape_vjp,
                jvp=linear_in(0),
                doc="`x` reshaped to the run-time shape `dims` (one -1 allowed); attr `shape`: "
                    "what is known of the result when tracing (None: a run-time dim).")


def _range_impl(start, limit, delta, *, dtype, length):
    if delta == 0:
        raise InvalidArgumentError("range: delta must not be 0")
    return np.arange(start, limit, delta).astype(dtype)


def _range_rule(start, limit, delta, *, dtype, length):
    if any(tuple(a.shape) != () for a in (start, limit, delta)):
        raise InvalidArgumentError(f"range: start, limit and delta must be scalars (inputs: "
                                   f"{fmt_avals([start, limit, delta])})")
    return Aval((length,), np.dtype(dtype))


RANGE = defop("runtime_range", _range_impl, _range_rule,
              nondiff_reason="a sequence of numbers (TF's Range has no gradient)",
              doc="np.arange(start, limit, delta) of run-time bounds: a 1-D tensor of run-time "
                  "length (attr `length`: None, or the length when the bounds have values).")


def _shape_impl(x, *, dtype):
    return np.array(np.shape(x), dtype)


SHAPE = defop("runtime_shape", _shape_impl,
              lambda x, *, dtype: Aval((len(x.shape),), np.dtype(dtype)),
              nondiff_reason="a shape: integer sizes",
              doc="The shape of `x` read when the graph runs (`tf.shape` of a tensor with "
                  "run-time dims).")


def _sum_like_impl(g, like):
    lead = g.ndim - like.ndim
    axes = tuple(range(lead)) + tuple(i + lead for i, s in enumerate(like.shape)
                                      if s == 1 and g.shape[i + lead] != 1)
    return np.reshape(np.sum(g, axis=axes, dtype=g.dtype) if axes else g, like.shape)


def _sum_like_vjp(i, o, g):
    g0 = i[0]
    if any(d is None for d in g0.shape):
        return [math_ops.add(g, math_ops.zeros_like(g0)), None]
    from .shape_ops import broadcast_to   # (one layer)
    return [broadcast_to(g, tuple(g0.shape)), None]


SUM_LIKE = defop("sum_like", _sum_like_impl,
                 lambda g, like: Aval(tuple(like.shape), g.dtype), _sum_like_vjp,
                 jvp=linear_in(0),
                 doc="Cotangent `g` summed down to the shape of `like` (numpy broadcasting undone; "
                     "the gradient of a broadcast whose input has run-time sizes).")


def sum_like(g, like):
    """`g` summed over the axes broadcasting added or stretched to reach it from `like`'s
    shape, decided when the graph runs (`like`'s values are not read).

    >>> sum_like(to_tensor([[1., 2.], [3., 4.]]), to_tensor([[0., 0.]])).numpy()
    array([[4., 6.]], dtype=float32)
    """
    return bind(SUM_LIKE, [to_tensor(g), to_tensor(like)], {})


def _shaped_impl(like, *xs, op, attrs):
    return OPS[op].impl(*xs, shape=np.shape(like), **dict(attrs))


def _shaped_rule(like, *xs, op, attrs):
    return OPS[op].rule(*xs, shape=tuple(like.shape), **dict(attrs))


def _shaped_vjp(i, o, g, op, attrs):
    return [None] + list(OPS[op].vjp(list(i[1:]), o, g, shape=tuple(i[0].shape),
                                     **dict(attrs)))


SHAPED_LIKE = defop(
    "shaped_like", _shaped_impl, _shaped_rule, _shaped_vjp, jvp=linear_in(1),
    doc="`op(*xs, shape=like.shape, **attrs)` with the shape read from `like` when the graph "
        "runs: the gradient ops that take a `shape` attr (getitem_grad, scatter_add) for an "
        "input with run-time sizes. `op` must be linear in its first input.")


def shaped_like(like, op, xs, attrs):
    """`op(*xs, shape=like.shape, **attrs)`, the shape taken from `like` when the graph runs.

    >>> shaped_like(to_tensor([[0., 0.], [0., 0.]]), "getitem_grad", [to_tensor([5., 6.])],
    ...             {"spec": (("i", 1),)}).numpy()
    array([[0., 0.],
           [5., 6.]], dtype=float32)
    """
    return bind(SHAPED_LIKE, [to_tensor(like)] + [to_tensor(x) for x in xs],
                {"op": op, "attrs": tuple(sorted(attrs.items()))})


def _by_dims_impl(dims, *xs, op, attrs, shape):
    d = _int_shape(dims, op)
    if any(s < 0 for s in d):
        raise InvalidArgumentError(f"{op}: the shape {list(d)} must be non-negative")
    _check_dims(op, shape, d)
    return OPS[op].impl(*xs, shape=d, **dict(attrs))


def _by_dims_rule(dims, *xs, op, attrs, shape):
    if len(dims.shape) != 1 or np.dtype(dims.dtype).kind not in "iu":
        raise InvalidArgumentError(f"{op}: needs a 1-D integer shape (inputs: "
                                   f"{fmt_avals([dims, *xs])})")
    return OPS[op].rule(*xs, shape=tuple(shape), **dict(attrs))


_BY_DIMS_DOC = ("`op(*xs, shape=dims, **attrs)` with `dims` (1-D int) read when the graph runs: "
                "an op that takes a `shape` attr (random draws, stateless samples) of a traced "
                "size; attr `shape`: what is known of it when tracing (None: a run-time dim).")
BY_DIMS = defop("runtime_sized", _by_dims_impl, _by_dims_rule,
                nondiff_reason="the wrapped ops draw samples (no gradient in graphflow)",
                doc=_BY_DIMS_DOC)
BY_DIMS_RANDOM = defop("runtime_sized_random", _by_dims_impl, _by_dims_rule,
                       nondiff_reason="random draws do not depend on differentiable inputs",
                       effects=("random",), doc=_BY_DIMS_DOC + " Stateful: draws every call.")


def bind_sized(op, xs, attrs, shape):
    """`bind(op, xs, {**attrs, "shape": shape})`, or, when `shape` holds traced values, the op
    run with the shape read when the graph runs (`tf.random.normal([n, 2])` inside @function).

    >>> bind_sized("random_uniform", [], {"dtype": "float32", "seed": 1}, [2]).shape
    TensorShape([2])
    """
    if not is_runtime(shape):
        return bind(OPS[op], xs, {**attrs, "shape": creation.shape_tuple(shape)})
    dims = _partial(shape)
    if dims is None:
        raise InvalidArgumentError(f"{op}: the shape {shape} must have a known length")
    wrapper = BY_DIMS_RANDOM if "random" in OPS[op].effects else BY_DIMS
    return bind(wrapper, [shape_tensor(shape)] + list(xs),
                {"op": op, "attrs": tuple(sorted(attrs.items())), "shape": dims})


def _split(vals, names):
    """{attr: value} from the flat `vals`: names are (attr, n) pairs, n = 0 for a scalar attr,
    else the length of a tuple attr (e.g. a resize's size)."""
    out, k = {}, 0
    for name, n in names:
        if n == 0:
            out[name], k = vals[k], k + 1
        else:
            out[name], k = tuple(vals[k:k + n]), k + n
    return out


def _rt_attrs_impl(vals, *xs, op, attrs, names):
    v = [int(e) for e in np.asarray(vals).reshape(-1)]
    return OPS[op].impl(*xs, **dict(attrs), **_split(v, names))


def _rt_attrs_rule(vals, *xs, op, attrs, names):
    total = sum(max(n, 1) for _, n in names)
    if tuple(vals.shape) != (total,) or np.dtype(vals.dtype).kind not in "iu":
        raise InvalidArgumentError(f"{op}: {', '.join(n for n, _ in names)} must be integers "
                                   f"(inputs: {fmt_avals([vals, *xs])})")
    return OPS[op].rule(*xs, **dict(attrs), **_split([None] * total, names))


def _rt_attrs_vjp(i, o, g, op, attrs, names):
    vals = i[0]   # the op's VJP gets the values as traced scalars (it builds ops with them)
    total = sum(max(n, 1) for _, n in names)
    return [None] + list(OPS[op].vjp(list(i[1:]), o, g, **dict(attrs),
                                     **_split([vals[j] for j in range(total)], names)))


RUNTIME_ATTRS = defop(
    "runtime_attrs", _rt_attrs_impl, _rt_attrs_rule, _rt_attrs_vjp, jvp=VIA_VJP,
    doc="`op(*xs, **attrs)` with integer attrs (or tuples of ints) read from `vals` when the "
        "graph runs (e.g. a segment sum's num_segments computed in the graph, a resize to a "
        "traced size); their sizes in the result are run-time dims (None). The op's VJP "
        "receives them as traced scalars.")


def bind_runtime_attrs(op, xs, attrs, runtime):
    """`bind(op, xs, {**attrs, **runtime})` where `runtime` maps integer attrs (or tuple
    attrs, as lists) to traced scalars known when the graph runs.

    >>> bind_runtime_attrs("unsorted_segment_sum", [to_tensor([1., 2.]), to_tensor([1, 1])], {},
    ...                    {"num_segments": to_tensor(2)}).numpy()
    array([0., 3.], dtype=float32)
    """
    names, flat = [], []
    for k in sorted(runtime):
        v = runtime[k]
        parts = list(v) if isinstance(v, (list, tuple)) else [v]
        names.append((k, len(parts) if isinstance(v, (list, tuple)) else 0))
        flat += [math_ops.cast(to_tensor(e), _dt.int64) for e in parts]
    return bind(RUNTIME_ATTRS, [_stack(flat)] + [to_tensor(x) for x in xs],
                {"op": op, "attrs": tuple(sorted(attrs.items())), "names": tuple(names)})


def _stack(ts):
    from .shape_ops import stack   # (one layer)
    return stack(ts)


# ---------------------------------------------------------------- what is known when tracing
def _node_partial(nx, n):
    """What is known of the 1-D shape value that node n computes (int / Dim / None each)."""
    d = nx.nodes[n]
    known = creation.node_dims(nx, n)
    if known is not None:
        return known if isinstance(known, tuple) else (known,)
    if d["op"] == SHAPE.name:
        return tuple(s if _known(s) else None for s in nx.nodes[d["inputs"][0]]["shape"])
    if "joins_dims" in OPS[d["op"]].facts and len(d["shape"]) <= 1:
        out = ()
        for u in d["inputs"]:
            out += _node_partial(nx, u)
        if len(out) == (d["shape"][0] if d["shape"] else 1):
            return out
    k = d["shape"][0] if d["shape"] else 1
    return (None,) * k if isinstance(k, (int, np.integer)) else None


def _partial(t):
    """What is known of the dims a shape argument holds, or None if its rank is unknown."""
    if isinstance(t, SymbolicTensor):
        return _node_partial(t._graph.nx, t._node)
    if isinstance(t, Tensor):
        v = t.numpy()
        return tuple(int(s) for s in np.reshape(v, -1))
    if isinstance(t, _OK):
        return (t,)
    out = ()
    for e in t:
        out += _partial(e) if isinstance(e, Tensor) else (e,)
    return out


def is_runtime(shape):
    """True if a shape argument holds a traced value that is not a dim known when the call's
    shapes are (so the result's size is known only when the graph runs).

    >>> is_runtime([2, 3]), is_runtime(to_tensor([2, 3]))
    (False, False)
    """
    if isinstance(shape, SymbolicTensor):
        d = creation.traced_dims(shape)
        return d is None or any(e is None for e in (d if isinstance(d, tuple) else (d,)))
    if isinstance(shape, (list, tuple)):
        return any(is_runtime(e) for e in shape)
    return False


def shape_tensor(shape):
    """A shape argument as a 1-D int32 tensor (traced parts computed when the graph runs).

    >>> shape_tensor([2, to_tensor(3)]).numpy()
    array([2, 3], dtype=int32)
    """
    from .shape_ops import dims_value, stack   # (one layer: shape_ops imports this module's users)
    if isinstance(shape, Tensor):
        t = shape if shape.dtype == _dt.int32 else math_ops.cast(shape, _dt.int32)
        return t if t.ndim == 1 else stack([t])
    parts = [dims_value(e) if isinstance(e, Dim) else
             math_ops.cast(e, _dt.int32) if isinstance(e, Tensor) else to_tensor(np.int32(e))
             for e in shape]
    return stack(parts) if parts else to_tensor(np.zeros((0,), np.int32))


def fill(shape, value):
    """`value` (a scalar) in a tensor of a run-time shape (`tf.fill`, `tf.zeros`, `tf.ones`
    inside @function with a traced size).

    >>> fill([2], to_tensor(7.0)).numpy()
    array([7., 7.], dtype=float32)
    """
    dims = _partial(shape)
    st = shape_tensor(shape)
    if dims is None:
        raise InvalidArgumentError(f"fill: the shape {st} must have a known length")
    return bind(FILL, [st, to_tensor(value)], {"shape": dims})


def reshape(x, shape):
    """`x` reshaped to a run-time shape (`tf.reshape(x, [n, -1])` with `n` traced).

    >>> reshape(to_tensor([1, 2, 3, 4]), [to_tensor(2), -1]).numpy()
    array([[1, 2],
           [3, 4]], dtype=int32)
    """
    x = to_tensor(x)
    dims = _partial(shape)
    st = shape_tensor(shape)
    if dims is None:
        raise InvalidArgumentError(f"reshape: the shape {st} must have a known length")
    dims = list(dims)
    if -1 in dims:   # the inferred dim: known if the rest and x's size are
        rest = [s for s in dims if s != -1]
        known_rest = all(isinstance(s, (int, np.integer)) for s in rest) and \
            all(isinstance(s, (int, np.integer)) for s in x.shape)
        dims[dims.index(-1)] = int(np.prod(x.shape)) // max(int(np.prod(rest)), 1) \
            if known_rest else None
    return bind(RESHAPE, [x, st], {"shape": tuple(dims)})


def reshape_like(x, shape):
    """`x` reshaped to `shape`, whose None entries are x's run-time sizes in order (the k-th
    None is x's k-th None dim): what expand_dims, squeeze and gradients ask of a tensor with
    run-time dims (its static shape with axes inserted or removed).

    >>> reshape_like(to_tensor([[1, 2]]), (2, 1)).shape
    TensorShape([2, 1])
    """
    x = to_tensor(x)
    mine = [a for a, d in enumerate(x.shape) if d is None]
    want = [d for d in shape if d is None]
    if len(want) != len(mine):
        raise InvalidArgumentError(
            f"reshape: cannot tell the run-time sizes (None) of {list(shape)} from the input's "
            f"shape {list(x.shape)}; pass the sizes as a tensor (tf.shape(x))")
    if not mine:
        from .shape_ops import reshape as static_reshape   # (one layer)
        return static_reshape(x, shape)
    from .shape_ops import gather   # (one layer)
    sizes = iter(range(len(mine)))
    dyn = gather(shape_of(x), mine)
    parts = [dyn[next(sizes)] if d is None else d for d in shape]
    return bind(RESHAPE, [x, shape_tensor(parts)], {"shape": tuple(shape)})


def range_(start, limit, delta, dtype):
    """`tf.range` of traced bounds: a 1-D tensor of run-time length.

    >>> range_(to_tensor(1), to_tensor(7), to_tensor(2), "int32").numpy()
    array([1, 3, 5], dtype=int32)
    """
    dt = _dt.as_dtype(dtype)
    args = [math_ops.cast(to_tensor(v), dt) for v in (start, limit, delta)]
    length = None if any(isinstance(a, SymbolicTensor) for a in args) else \
        len(np.arange(*[a.numpy() for a in args]))
    return bind(RANGE, args, {"dtype": dt.np.name, "length": length})


def shape_of(x, dtype=_dt.int32):
    """The shape of `x` as a tensor: a constant when known, read at run time otherwise.

    >>> shape_of(to_tensor([[1, 2]])).numpy()
    array([1, 2], dtype=int32)
    """
    from .shape_ops import shape   # (one layer)
    x = to_tensor(x)
    if any(s is None for s in x.shape):
        return bind(SHAPE, [x], {"dtype": _dt.as_dtype(dtype).np.name})
    return shape(x, dtype)
