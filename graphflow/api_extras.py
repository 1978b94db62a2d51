"""Small TF API functions built on the autodiff core, control flow and the shape rules:
`tf.hessians`, `tf.ensure_shape`, `tf.recompute_grad`, `tf.switch_case`, `tf.case`,
`tf.no_op`, `tf.group`.

>>> import graphflow as tf
>>> @tf.function
... def h(x):
...     return tf.hessians(tf.reduce_sum(x ** 3), [x])[0]
>>> h(tf.constant([1., 2.])).numpy()
array([[ 6.,  0.],
       [ 0., 12.]], dtype=float32)
"""
import enum
import functools

import numpy as np

from . import state as _state
from .control_flow import cond, gradients
from .errors import InvalidArgumentError, user_source
from .nest import flatten
from .ops.math_ops import equal, identity, zeros_like
from .ops.shape_ops import reshape, stack
from .tensor import TensorShape, to_tensor

__all__ = ["hessians", "ensure_shape", "UnconnectedGradients", "recompute_grad", "switch_case",
           "case", "no_op", "group"]


class UnconnectedGradients(str, enum.Enum):
    """`tf.UnconnectedGradients`: what `gradient` returns for a source the target does not
    depend on. The members equal the strings the tape also accepts.

    >>> import graphflow as tf
    >>> x, y = tf.constant(1.0), tf.constant(2.0)
    >>> with tf.GradientTape() as t:
    ...     t.watch([x, y])
    ...     z = x * 3.0
    >>> t.gradient(z, y, unconnected_gradients=tf.UnconnectedGradients.ZERO).numpy()
    np.float32(0.0)
    """
    NONE = "none"
    ZERO = "zero"


def hessians(ys, xs, gate_gradients=False, aggregation_method=None, name="hessians"):
    """TF's `tf.hessians`: for each x in xs, the Hessian of sum(ys) with respect to x, of shape
    x.shape + x.shape (None where ys does not depend on x). A graph-level function like
    `tf.gradients`: it works inside `@function` (eagerly use nested GradientTapes and
    `tape.jacobian`). Built from `gradients` twice - one second-order pass per element of x.
    """
    if _state.current().graph is None:
        raise RuntimeError("tf.hessians only works inside @function (as tf.gradients); eagerly, "
                           "use nested GradientTapes: outer.jacobian(inner.gradient(y, x), x)")
    xs_l, _ = flatten(xs)
    grads = gradients(ys, list(xs_l))
    out = []
    for x, g in zip(xs_l, grads):
        if g is None:
            out.append(None)
            continue
        shape = tuple(x.shape)
        n = int(np.prod(shape, dtype=np.int64))
        flat = reshape(g, (n,))
        rows = [gradients(flat[i], [x])[0] for i in range(n)]
        rows = [zeros_like(x) if r is None else r for r in rows]   # (a gradient linear in x)
        out.append(reshape(stack(rows), shape + shape))
    return out


def ensure_shape(x, shape, name=None):
    """`x` unchanged if its shape is compatible with `shape` (None: any size), else an
    InvalidArgumentError naming both shapes and the user's line.

    >>> import graphflow as tf
    >>> tf.ensure_shape(tf.constant([1, 2]), [None]).numpy()
    array([1, 2], dtype=int32)
    """
    x = to_tensor(x)
    want = TensorShape(shape) if shape is not None else None
    if want is not None and not TensorShape(tuple(x.shape)).is_compatible_with(want):
        raise InvalidArgumentError(
            f"ensure_shape: shape of tensor {tuple(x.shape)} ({x.dtype.name}) is not compatible "
            f"with expected shape {list(want)} (at {user_source()})")
    return identity(x)


def recompute_grad(f):
    """`tf.recompute_grad`: `f` with the same values and gradients. (TF recomputes `f`'s
    activations in the backward pass to save memory; graphflow keeps them, so this only
    trades nothing - the results, first and higher order gradients are those of `f`.)

    >>> import graphflow as tf
    >>> g = tf.recompute_grad(lambda x: tf.sin(x) * x)
    >>> x = tf.constant(1.0)
    >>> with tf.GradientTape() as t:
    ...     t.watch(x)
    ...     y = g(x)
    >>> round(float(t.gradient(y, x)), 6) == round(float(np.cos(1.0) + np.sin(1.0)), 6)
    True
    """
    @functools.wraps(f)
    def inner(*args, **kwargs):
        return f(*args, **kwargs)
    return inner


def _static(v, kind):
    """`kind(v)` (int or bool) if `v` is known now (a Python value or an eager tensor), else
    None (a symbolic tensor while tracing)."""
    if isinstance(v, (int, bool, np.integer, np.bool_)):
        return kind(v)
    try:
        return kind(np.asarray(to_tensor(v).numpy()))
    except Exception:   # a symbolic tensor while tracing
        return None


def _select(index, keys, fns, default):
    """cond chain: fns[i] where index == keys[i], else default (traced index)."""
    if not keys:
        return default()
    k, fn = keys[0], fns[0]
    return cond(equal(index, k), fn, lambda: _select(index, keys[1:], fns[1:], default))


def switch_case(branch_index, branch_fns, default=None, name="switch_case"):
    """`tf.switch_case`: run `branch_fns[branch_index]` (a list, a dict {int: fn} or (int, fn)
    pairs); an index with no branch runs `default` (the last branch if None), as TF. A traced
    index gives a chain of `cond`s (only the taken branch runs).

    >>> import graphflow as tf
    >>> fns = [lambda: tf.constant(10), lambda: tf.constant(20)]
    >>> int(tf.switch_case(tf.constant(1), fns)), int(tf.switch_case(7, fns))
    (20, 20)
    """
    if isinstance(branch_fns, dict):
        pairs = sorted(branch_fns.items())
    elif branch_fns and isinstance(branch_fns[0], (tuple, list)):
        pairs = sorted((int(k), fn) for k, fn in branch_fns)
    else:
        pairs = list(enumerate(branch_fns))
    if not pairs:
        raise ValueError("switch_case: branch_fns must not be empty")
    for _, fn in pairs:
        if not callable(fn):
            raise TypeError(f"switch_case: branch functions must be callable, got {fn!r}")
    default = pairs[-1][1] if default is None else default
    idx = _static(branch_index, int)
    if idx is not None:
        return dict(pairs).get(idx, default)()
    index = to_tensor(branch_index)
    return _select(index, [k for k, _ in pairs], [fn for _, fn in pairs], default)


def case(pred_fn_pairs, default=None, exclusive=False, strict=False, name="case"):
    """`tf.case`: the fn of the first (pred, fn) pair whose pred is True, else `default` (the
    last fn if None; eagerly an InvalidArgumentError when no pred holds then, as TF's
    run-time check). `exclusive=True` also checks that at most one pred holds (eagerly).

    >>> import graphflow as tf
    >>> x = tf.constant(3)
    >>> int(tf.case([(x < 2, lambda: tf.constant(1)), (x < 5, lambda: tf.constant(2))],
    ...             default=lambda: tf.constant(3)))
    2
    """
    pairs = list(pred_fn_pairs.items()) if isinstance(pred_fn_pairs, dict) else \
        list(pred_fn_pairs)
    if not pairs:
        if default is None:
            raise ValueError("case: pred_fn_pairs must not be empty without a default")
        return default()
    statics = [_static(p, bool) for p, _ in pairs]
    if all(s is not None for s in statics):
        true = [i for i, s in enumerate(statics) if s]
        if exclusive and len(true) > 1:
            raise InvalidArgumentError(f"case: more than one condition evaluated as True "
                                       f"(exclusive=True): pairs {true} (at {user_source()})")
        if true:
            return pairs[true[0]][1]()
        if default is None:
            raise InvalidArgumentError("case: none of the conditions evaluated as True and "
                                       f"there is no default (at {user_source()})")
        return default()
    default = pairs[-1][1] if default is None else default

    def chain(rest):
        if not rest:
            return default()
        (p, fn), tail = rest[0], rest[1:]
        return cond(p, fn, lambda: chain(tail))
    return chain(pairs)


def no_op(name=None):
    """`tf.no_op`: does nothing (graphflow orders effects itself; there is no op to return)."""
    return None


def group(*inputs, **kwargs):
    """`tf.group`: graphflow runs every effect in program order already; returns None."""
    return None


# ------------------------------------------------------------- tf.config.threading
_INTER_OP = [0]


def set_intra_op_parallelism_threads(num_threads):
    """`tf.config.threading.set_intra_op_parallelism_threads`: the threads one op may use. In
    graphflow that is the numba backend's chunk pool and BLAS: the count goes to
    GRAPHFLOW_NUM_THREADS (read when the backend's pool starts, as TF requires the call before
    the runtime is initialized) and caps BLAS now (threadpoolctl); 0 restores the default
    (every usable core).

    >>> set_intra_op_parallelism_threads(1); get_intra_op_parallelism_threads()
    1
    >>> set_intra_op_parallelism_threads(0); get_intra_op_parallelism_threads()
    0
    """
    import os
    n = int(num_threads)
    if n < 0:
        raise ValueError(f"set_intra_op_parallelism_threads: num_threads must be >= 0, got {n}")
    if n:
        os.environ["GRAPHFLOW_NUM_THREADS"] = str(n)
    else:
        os.environ.pop("GRAPHFLOW_NUM_THREADS", None)
    try:
        from threadpoolctl import threadpool_limits
        threadpool_limits(n or len(os.sched_getaffinity(0)), user_api="blas")
    except Exception:   # threadpoolctl missing or a BLAS it cannot drive: the pool cap stays
        pass


def get_intra_op_parallelism_threads():
    """`tf.config.threading.get_intra_op_parallelism_threads`: the count set (0: the default,
    every usable core), as TF (see the setter's example)."""
    import os
    return int(os.environ.get("GRAPHFLOW_NUM_THREADS", 0) or 0)


def set_inter_op_parallelism_threads(num_threads):
    """`tf.config.threading.set_inter_op_parallelism_threads`: recorded and returned by the
    getter; graphflow runs independent ops one after the other (in program order), so there is
    no inter-op pool to size.

    >>> set_inter_op_parallelism_threads(2); get_inter_op_parallelism_threads()
    2
    >>> set_inter_op_parallelism_threads(0)
    """
    n = int(num_threads)
    if n < 0:
        raise ValueError(f"set_inter_op_parallelism_threads: num_threads must be >= 0, got {n}")
    _INTER_OP[0] = n


def get_inter_op_parallelism_threads():
    """`tf.config.threading.get_inter_op_parallelism_threads` (0: the default; see the
    setter's example)."""
    return _INTER_OP[0]


# ------------------------------------------------------------- tf.compat.v1.logging
def _log_at(level):
    def log(msg, *args, **kwargs):
        import logging
        logging.getLogger("tensorflow").log(level, msg, *args, **kwargs)
    return log


def v1_logging_members():
    """The members of `tf.compat.v1.logging`: TF1's absl-style logging functions and levels on
    Python's "tensorflow" logger (usable as tf.print's output_stream).

    >>> sorted(v1_logging_members())[:4]
    ['DEBUG', 'ERROR', 'FATAL', 'INFO']
    """
    import logging
    logger = logging.getLogger("tensorflow")
    members = dict(DEBUG=logging.DEBUG, INFO=logging.INFO, WARN=logging.WARNING,
                   ERROR=logging.ERROR, FATAL=logging.FATAL,
                   set_verbosity=logger.setLevel, get_verbosity=logger.getEffectiveLevel)
    for name, level in (("debug", logging.DEBUG), ("info", logging.INFO),
                        ("warning", logging.WARNING), ("warn", logging.WARNING),
                        ("error", logging.ERROR), ("fatal", logging.FATAL)):
        fn = _log_at(level)
        fn.__name__ = fn.__qualname__ = name
        fn.__doc__ = f"Log a message at level {logging.getLevelName(level)} (\"tensorflow\")."
        members[name] = fn
    members["log"] = lambda level, msg, *a, **k: logger.log(level, msg, *a, **k)
    return members


# ------------------------------------------------------------- tf.config extras
_CONFIG = {"jit": False, "optimizer_options": {}, "soft_placement": True, "tf32": True}


def config_extras():
    """The remaining `tf.config` settings TF guides call, as (namespace, name, function)
    triples: `optimizer.set_jit` / `get_jit` (graphflow compiles traced functions with numba
    anyway), `optimizer.set/get_experimental_options`, soft device placement, TF32 switches,
    device details and memory info of the one CPU - settings are recorded and returned by the
    getters; they do not change how graphflow computes.

    >>> sorted(n for ns, n, f in config_extras() if ns == "optimizer")
    ['get_experimental_options', 'get_jit', 'set_experimental_options', 'set_jit']
    """
    def set_jit(enabled):
        _CONFIG["jit"] = enabled

    def set_experimental_options(options):
        _CONFIG["optimizer_options"].update(options)

    def set_soft_device_placement(enabled):
        _CONFIG["soft_placement"] = bool(enabled)

    def enable_tensor_float_32_execution(enabled):
        _CONFIG["tf32"] = bool(enabled)

    return [
        ("optimizer", "set_jit", set_jit), ("optimizer", "get_jit", lambda: _CONFIG["jit"]),
        ("optimizer", "set_experimental_options", set_experimental_options),
        ("optimizer", "get_experimental_options",
         lambda: dict(_CONFIG["optimizer_options"])),
        ("", "set_soft_device_placement", set_soft_device_placement),
        ("", "get_soft_device_placement", lambda: _CONFIG["soft_placement"]),
        ("experimental", "enable_tensor_float_32_execution", enable_tensor_float_32_execution),
        ("experimental", "tensor_float_32_execution_enabled", lambda: _CONFIG["tf32"]),
        ("experimental", "get_device_details", lambda device: {}),
        ("experimental", "get_memory_info", lambda device: {"current": 0, "peak": 0}),
        ("experimental", "reset_memory_stats", lambda device: None),
        ("experimental", "set_device_policy", lambda device_policy: None),
        ("experimental", "disable_mlir_graph_optimization", lambda: None),
        ("experimental", "enable_mlir_bridge", lambda: None),
    ]
