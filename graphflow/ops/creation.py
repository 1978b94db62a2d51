"""Tensor creation: ones, zeros, fill, eye, range, linspace (constants; folded into traced graphs).

>>> import graphflow as tf
>>> tf.range(3).numpy(), tf.eye(2).dtype
(array([0, 1, 2], dtype=int32), tf.float32)
"""
import numpy as np

from .. import dtypes as _dt
from ..ops.registry import CONSTANT, OPS, op_error
from ..shapes import Dim, dmax as _dmax
from ..tensor import Tensor, convert_to_tensor
from .dynamic_index import is_traced


def _traced_dims(t):
    """The dims a traced shape value holds (`graphflow.shape(x)` while tracing, or a constant,
    or those put together by reshape/expand_dims/stack/concat, e.g. `tf.stack([b, 10])` with
    `b = tf.shape(x)[0]`), else None."""
    g = getattr(t, "_graph", None)
    return None if g is None else _node_dims(g.nx, t._node)


def traced_dims(t):
    """The dims a traced shape value holds (see `shape_tuple`), else None.

    >>> traced_dims(convert_to_tensor([2, 3]))
    """
    return _traced_dims(t)


def node_dims(nx, n):
    """The dims the value of node `n` of a graph's networkx DiGraph holds, else None."""
    return _node_dims(nx, n)


def _node_dims(nx, n):
    d = nx.nodes[n]
    op = OPS[d["op"]]
    if op is CONSTANT:
        v = d["attrs"]["value"]
        if v.dtype.kind not in "iu":
            return None
        return tuple(int(s) for s in v.reshape(-1)) if v.ndim else int(v)
    if "value_of_dims" in op.facts:
        return d["attrs"]["dims"]
    # facts of the table: `joins_dims` (reshape, concat: tf.stack([n, 10])), `selects_dims`
    # (indexing: tf.shape(x)[0]) and `dim_value` (scalar int arithmetic: n + 1, n // 2, -n,
    # cast(n)) carry dims through shape values
    pick = op.facts.get("selects_dims")
    if pick is not None and len(d["shape"]) <= 1 and np.dtype(d["dtype"]).kind in "iu":
        src = _node_dims(nx, d["inputs"][0])
        if not isinstance(src, tuple):
            return None
        r = pick(src, **d["attrs"])
        return tuple(r.tolist()) if r.ndim else r.item()
    joins, f = "joins_dims" in op.facts, op.facts.get("dim_value")
    if (joins or f) and len(d["shape"]) <= 1 and np.dtype(d["dtype"]).kind in "iu":
        args = [_node_dims(nx, u) for u in d["inputs"]]
        if any(a is None for a in args):
            return None
        if joins:
            flat = tuple(x for a in args for x in (a if isinstance(a, tuple) else (a,)))
            return flat if d["shape"] else (flat[0] if len(flat) == 1 else None)
        try:
            if d["shape"]:   # elementwise over a shape vector: tf.cast(tf.shape(x), tf.int64)
                n = d["shape"][0]
                cols = [a if isinstance(a, tuple) else (a,) * n for a in args]
                if not isinstance(n, int) or any(len(c) != n for c in cols):
                    return None
                return tuple(f(*e) for e in zip(*cols))
            if any(isinstance(a, tuple) for a in args):
                return None
            return f(*args)
        except (TypeError, ZeroDivisionError):
            return None
    return None


def shape_tuple(shape):
    """A shape argument (int, sequence or 1-D tensor) as a tuple of ints; while tracing,
    unknown dims (`graphflow.shapes.Dim`) stay symbolic.

    >>> shape_tuple(3), shape_tuple([2, 1])
    ((3,), (2, 1))
    """
    if isinstance(shape, Tensor):
        dims = _traced_dims(shape)
        if dims is not None:
            return tuple(dims) if isinstance(dims, tuple) else (dims,)
        shape = shape.numpy()
    if isinstance(shape, (int, np.integer, Dim)):
        shape = (shape,)
    return tuple(s if isinstance(s, Dim) else
                 _scalar_dim(s) if isinstance(s, Tensor) else int(s) for s in shape)


def _scalar_dim(t):
    d = _traced_dims(t)
    return int(t) if d is None else d


def _filled(shape, value, dtype):
    """A tensor of `shape` filled with `value`: a constant, or - unknown dims - a broadcast."""
    from . import runtime_shape   # the layer's run-time sizes: only for traced values
    if runtime_shape.is_runtime(shape):   # a size known when the graph runs (tf.zeros([n]))
        return runtime_shape.fill(shape, convert_to_tensor(np.asarray(value, dtype)))
    dims = shape_tuple(shape)
    if any(isinstance(d, Dim) for d in dims):
        from .shape_ops import broadcast_to   # the layer above; only for unknown dims
        return broadcast_to(convert_to_tensor(np.asarray(value, dtype)), dims)
    return convert_to_tensor(np.full(dims, value, dtype))


def zeros(shape, dtype=_dt.float32, name=None):
    """A tensor of zeros (float32 by default)."""
    return _filled(shape, 0, _dt.as_dtype(dtype).np)


def ones(shape, dtype=_dt.float32, name=None):
    """A tensor of ones (float32 by default).

    >>> print(ones((2, 1)))
    tf.Tensor(
    [[1.]
     [1.]], shape=(2, 1), dtype=float32)
    """
    return _filled(shape, 1, _dt.as_dtype(dtype).np)


def fill(dims, value, name=None):
    """A tensor of `dims` filled with `value` (dtype from the value, as TF); `value` may be a
    symbolic tensor inside @function (then it is a broadcast, differentiable in `value`).

    >>> fill([2], 9).numpy()
    array([9, 9], dtype=int32)
    """
    v = convert_to_tensor(value)
    from . import runtime_shape   # the layer's run-time sizes: only for traced values
    if runtime_shape.is_runtime(dims):   # a size known when the graph runs (tf.fill([n], v))
        return runtime_shape.fill(dims, v)
    if v._value is None:   # symbolic: broadcast it
        from .shape_ops import broadcast_to
        return broadcast_to(v, shape_tuple(dims))
    return _filled(dims, np.asarray(v._value), v.dtype.np)


def eye(num_rows, num_columns=None, batch_shape=None, dtype=_dt.float32, name=None):
    """Identity matrix (optionally batched); inside @function the sizes may be traced scalars.

    >>> eye(2, 3).numpy()
    array([[1., 0., 0.],
           [0., 1., 0.]], dtype=float32)
    """
    if is_traced(num_rows) or is_traced(num_columns):   # sizes known when the graph runs
        from .math_ops import cast, equal
        from .shape_ops import expand_dims
        cols = num_rows if num_columns is None else num_columns
        m = cast(equal(expand_dims(range(num_rows), 1), expand_dims(range(cols), 0)), dtype)
        if batch_shape:
            from .shape_ops import reshape
            m = m * reshape(_filled(tuple(batch_shape), 1, _dt.as_dtype(dtype).np),
                            list(batch_shape) + [1, 1])
        return m
    m = np.eye(num_rows, num_columns, dtype=_dt.as_dtype(dtype).np)
    if batch_shape:
        m = np.broadcast_to(m, tuple(batch_shape) + m.shape).copy()
    return convert_to_tensor(m)


def range(start, limit=None, delta=1, dtype=None, name="range"):
    """Like Python's range; int32 for int arguments, float32 if any is a float, and a tensor
    argument's dtype when it is wider (int64, float64), as TF infers it. While tracing,
    bounds that are run-time dims (`tf.range(tf.shape(x)[-1])`, positions of a sequence of
    unknown length) give a tensor of run-time length; other value-dependent bounds are an error.

    >>> range(np.int64(5)).dtype, range(convert_to_tensor(3.0, "float64")).dtype
    (tf.int64, tf.float64)
    >>> range(2, 8, 3).numpy()
    array([2, 5], dtype=int32)
    """
    if limit is None:
        start, limit = 0, start
    if any(isinstance(v, Tensor) and getattr(v, "_graph", None) is not None
           for v in (start, limit, delta)):
        return _traced_range(start, limit, delta, dtype)
    vals = [float(v) if isinstance(v, Tensor) and v.dtype.is_floating else v
            for v in (start, limit, delta)]
    dt = _dt.as_dtype(dtype) if dtype is not None else _range_dtype(start, limit, delta)
    return convert_to_tensor(np.arange(*[np.asarray(v).item() if isinstance(v, Tensor) else v
                                         for v in vals]).astype(dt.np))


def _range_dtype(*args):
    """TF's inferred dtype of `range`: the widest of int32 < int64 < float32 < float64 over the
    arguments (a Python int counts as int32, a float as float32)."""
    order = [_dt.int32, _dt.int64, _dt.float32, _dt.float64]
    found = [a.dtype if isinstance(a, Tensor) else _dt.as_dtype(a.dtype) if isinstance(a, np.generic)
             else _dt.float32 if isinstance(a, float) else _dt.int32 for a in args]
    return max(found, key=lambda d: order.index(d) if d in order else 0)


def _traced_range(start, limit, delta, dtype):
    """`range` of traced bounds that hold dims: start + delta * [0, 1, ..., n - 1] with the
    length n a (symbolic) dim, known when the graph runs."""
    from .array_ops import cumsum          # the layers above: only for traced bounds
    from .math_ops import add, cast, multiply
    args = [convert_to_tensor(v) for v in (start, limit, delta)]
    dims = [_traced_dims(a) if a.ndim == 0 and a.dtype.is_integer else None for a in args]
    if any(d is None for d in dims):   # value-dependent bounds: a run-time length
        from . import runtime_shape
        return runtime_shape.range_(*args, dtype if dtype is not None else
                                    _range_dtype(start, limit, delta))
    s, l, d = dims
    if isinstance(d, Dim) or d == 0:
        raise op_error("range", args, f"delta must be a non-zero Python int here, got {d}")
    n = (l - s + d - 1) // d if d > 0 else (s - l - d - 1) // (-d)
    n = _dmax(n, 0)   # an int when decidable, else a run-time max
    dt = _dt.as_dtype(dtype) if dtype is not None else _range_dtype(start, limit, delta)
    iota = cumsum(_filled((n,), 1, dt.np), exclusive=True)
    return add(cast(args[0], dt), multiply(iota, cast(args[2], dt)))


def linspace(start, stop, num, name=None, axis=0):
    """`num` evenly spaced values from start to stop inclusive (float32 for Python floats,
    float64 for integers, as TF).

    Scalar start/stop are computed as TF does - [start, start + i * (stop - start) / (num - 1)
    for 0 < i < num - 1, stop] - in graphflow ops, so the result is differentiable in start
    and stop, eagerly and inside @function.

    >>> linspace(0., 1., 5).numpy()
    array([0.  , 0.25, 0.5 , 0.75, 1.  ], dtype=float32)
    """
    s = convert_to_tensor(start)
    e = convert_to_tensor(stop)
    dt = s.dtype if s.dtype.is_floating else _dt.float64   # integers: float64, as TF 2.21
    if s.ndim == 0 and e.ndim == 0 and axis in (0, -1) and is_traced(num):
        from .math_ops import add, cast, divide, maximum, multiply, subtract, where, equal
        s = s if s.dtype == dt else _cast(s, dt)
        e = e if e.dtype == dt else _cast(e, dt)
        n = cast(num, _dt.int32)   # a run-time count: s + i * (e - s) / (n - 1), the last = e
        i = cast(range(n), dt)
        step = divide(subtract(e, s), cast(maximum(n - 1, 1), dt))
        vals = add(s, multiply(step, i))
        return where(equal(i, cast(n - 1, dt)) & (n > 1), e + 0 * vals, vals)
    if s.ndim == 0 and e.ndim == 0 and axis in (0, -1):
        from .math_ops import add, multiply, subtract, divide
        from .shape_ops import concat, reshape
        n = int(num)
        s = s if s.dtype == dt else _cast(s, dt)
        e = e if e.dtype == dt else _cast(e, dt)
        if n <= 1:
            return reshape(s, (1,))[:max(n, 0)]
        step = divide(subtract(e, s), convert_to_tensor(n - 1, dt))
        inner = add(s, multiply(step, convert_to_tensor(np.arange(1, n - 1), dt)))
        return concat([reshape(s, (1,)), inner, reshape(e, (1,))], 0)
    if s._value is None or e._value is None:   # symbolic start/stop inside @function
        raise NotImplementedError("linspace: symbolic start/stop must be scalars (axis 0)")
    return convert_to_tensor(np.linspace(float(s), float(e), int(num), axis=axis).astype(dt.np))


def _cast(x, dt):
    from .math_ops import cast
    return cast(x, dt)

