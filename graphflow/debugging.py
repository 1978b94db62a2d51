"""`tf.debugging`: numeric checks and assertions.

* `check_numerics(x, message)`: an op (identity that raises InvalidArgumentError if `x` holds a
  NaN or an infinity); its gradient checks the cotangent the same way.
* `enable_check_numerics()` / `disable_check_numerics()`: while on, the first non-finite value
  produced by *any* op raises InvalidArgumentError naming the op and the user's source line -
  eager ops (checked in `graphflow.dispatch.bind`) and every node of `@function` graphs. For a
  gradient (adjoint) node the error also names the forward op it differentiates and that op's
  source line (TF and JAX only name an internal gradient op). While checking is on, graphs run
  on the reference evaluator (`graphflow.evaluate`), also for `jit_compile=True`: compiled
  kernels fuse many ops, so a per-op check needs the per-op executor.
* the `assert_*` family and `Assert`: eagerly (or while tracing, when every input is
  concrete: TF's static check) they raise InvalidArgumentError at once; on symbolic tensors
  inside `@function` they add an `assert` node that raises when the graph runs (named after the
  user's source line of the assertion). They return None.

>>> import graphflow as tf
>>> tf.debugging.check_numerics(tf.constant([1.0, 2.0]), "ok").numpy()
array([1., 2.], dtype=float32)
>>> try:
...     tf.debugging.check_numerics(tf.constant([1.0, float("nan")]), "bad x")
... except tf.errors.InvalidArgumentError as e:
...     print(str(e).split(" (")[0])
check_numerics: bad x: NaN in its float32[2] input
"""
import numpy as np

from . import dispatch as _dispatch
from .dispatch import bind
from .errors import InvalidArgumentError, user_source
from .evaluate import all_finite, describe_nonfinite
from . import state as _state
from .ops.registry import EFFECT, Aval, LINEAR, OTHER, defop, fmt_avals
from .tensor import SymbolicTensor, convert_to_tensor

__all__ = ["check_numerics", "enable_check_numerics", "disable_check_numerics",
           "assert_equal", "assert_less", "assert_greater", "assert_near", "assert_rank",
           "assert_shapes", "assert_all_finite"]


def _check_impl(x, message):
    if not all_finite(x):
        raise InvalidArgumentError(
            f"check_numerics: {message}: {describe_nonfinite(x).replace('output', 'input')}")
    return x


def _check_vjp(i, o, g, message):
    return [check_numerics(g, f"gradient of check_numerics({message!r})")]


CHECK_NUMERICS = defop(
    "check_numerics", _check_impl, lambda x, message: Aval(tuple(x.shape), x.dtype), _check_vjp,
    jvp=LINEAR, kind=OTHER, arity=1, checks=True,
    doc="identity that raises InvalidArgumentError on NaN/inf (a check: never folded away)")


def check_numerics(tensor, message, name=None):
    """`tensor` unchanged; raises InvalidArgumentError (with `message`) if it holds NaN or inf.

    >>> import graphflow as tf
    >>> x = tf.Variable([4.0])
    >>> with tf.GradientTape() as t:
    ...     y = tf.debugging.check_numerics(tf.sqrt(x), "sqrt")
    >>> t.gradient(y, x).numpy()
    array([0.25], dtype=float32)
    """
    x = convert_to_tensor(tensor)
    return bind(CHECK_NUMERICS, [x], {"message": str(message)})


# ------------------------------------------------------------------ global checking
def _eager_check(op, vals, val):
    if not all_finite(val):
        raise InvalidArgumentError(
            f"check_numerics: {op.name} at {user_source()} produced {describe_nonfinite(val)} "
            f"(inputs: {fmt_avals(vals)})")


def enable_check_numerics(stack_height_limit=30, path_length_limit=50):
    """Raise InvalidArgumentError at the first NaN/inf any op produces (eager and in graphs).

    >>> import graphflow as tf
    >>> tf.debugging.enable_check_numerics()
    >>> try:
    ...     tf.math.log(tf.constant([0.0]))
    ... except tf.errors.InvalidArgumentError as e:
    ...     print(str(e).split(" at ")[0])
    check_numerics: log
    >>> tf.debugging.disable_check_numerics()
    >>> tf.math.log(tf.constant([0.0])).numpy()
    array([-inf], dtype=float32)
    """
    if not _dispatch.NUMERICS_CHECKS:
        _dispatch.NUMERICS_CHECKS.append(_eager_check)


def disable_check_numerics():
    """Turn off `enable_check_numerics` (eager ops and graphs run unchecked again)."""
    _dispatch.NUMERICS_CHECKS.clear()


# ------------------------------------------------------------------ assertions
# In a trace an assertion whose inputs are all concrete is checked at once (TF's static check);
# one on symbolic tensors becomes an `assert` io-effect node that raises when the graph runs.
_PREDS = {"==": np.equal, "<": np.less, ">": np.greater, "<=": np.less_equal,
          ">=": np.greater_equal, "!=": np.not_equal}


def _fail(what, message, detail, where=None):
    pre = f"{message}: " if message else ""
    raise InvalidArgumentError(f"{pre}{what} failed at {where or user_source()}: {detail}")


def _assert_impl(*vals, check, sym, message, where, tol=(), layout=()):
    """Run an assertion on values; `layout` lays out Assert's data (None = the next value)."""
    if sym == "all":
        if not bool(np.all(vals[0])):
            it = iter(vals[1:])
            shown = [str(next(it)) if d is None else d for d in layout]
            _fail(check, message, "assertion failed: " + " ".join(shown), where)
        return np.float32(0)
    a, b = vals
    ok = np.abs(a - b) <= tol[1] + tol[0] * np.abs(b) if sym == "near" else _PREDS[sym](a, b)
    if not np.all(ok):
        bad = np.argwhere(~np.broadcast_to(ok, np.broadcast_shapes(a.shape, b.shape)))
        _fail(check, message, f"condition x {'~=' if sym == 'near' else sym} y does not hold "
              f"for {len(bad)} element(s); x = {a.tolist()}, y = {b.tolist()}", where)
    return np.float32(0)


ASSERT = defop("assert", _assert_impl, lambda *xs, **attrs: Aval((), np.dtype(np.float32)),
               kind=EFFECT, effects=("io",), nondiff_reason="an assertion has no output value")


def _run_assert(tensors, **attrs):
    """Check now (eager, or every input concrete while tracing) or add an `assert` node."""
    ts = [convert_to_tensor(t) for t in tensors]
    g = _state.current().graph
    if g is not None and any(isinstance(t, SymbolicTensor) for t in ts):
        g.io_effect(ASSERT, ts, dict(attrs, where=user_source()))
        return None
    _assert_impl(*[np.asarray(t._value) for t in ts], where=user_source(), **attrs)
    return None


def _compare(name, x, y, message, sym, tol=()):
    return _run_assert([x, y], check=name, sym=sym, message=message, tol=tol)


def assert_equal(x, y, message=None, summarize=None, name=None):
    """Raise InvalidArgumentError unless x == y elementwise.

    >>> import graphflow as tf
    >>> tf.debugging.assert_equal(tf.constant([1, 2]), tf.constant([1, 2]))
    >>> try:
    ...     tf.debugging.assert_equal(tf.constant([1, 2]), tf.constant([1, 3]), message="m")
    ... except tf.errors.InvalidArgumentError as e:
    ...     print(str(e).split(" failed")[0])
    m: assert_equal
    """
    _compare("assert_equal", x, y, message, "==")


def assert_less(x, y, message=None, summarize=None, name=None):
    """Raise InvalidArgumentError unless x < y elementwise.

    >>> import graphflow as tf
    >>> tf.debugging.assert_less(tf.constant([1.0]), 2.0)
    """
    _compare("assert_less", x, y, message, "<")


def assert_greater(x, y, message=None, summarize=None, name=None):
    """Raise InvalidArgumentError unless x > y elementwise.

    >>> import graphflow as tf
    >>> tf.debugging.assert_greater(tf.constant([3.0]), 2.0)
    """
    _compare("assert_greater", x, y, message, ">")


def assert_near(x, y, rtol=None, atol=None, message=None, summarize=None, name=None):
    """Raise unless |x - y| <= atol + rtol * |y| elementwise (TF's defaults: 10 * eps of the
    dtype for both).

    >>> import graphflow as tf
    >>> tf.debugging.assert_near(tf.constant([1.0]), tf.constant([1.0000001]))
    """
    x, y = convert_to_tensor(x), convert_to_tensor(y)
    eps = np.finfo(x.dtype.np if x.dtype.np.kind == "f" else np.float64).eps
    rtol = float(10 * eps if rtol is None else rtol)
    atol = float(10 * eps if atol is None else atol)
    _compare("assert_near", x, y, message, "near", (rtol, atol))


def assert_all_finite(x, message, name=None):
    """Eager `check_numerics` (returns the checked tensor, like TF)."""
    return check_numerics(x, message)


def assert_rank(x, rank, message=None, name=None):
    """Raise InvalidArgumentError unless `x` has rank `rank`.

    >>> import graphflow as tf
    >>> tf.debugging.assert_rank(tf.zeros([2, 3]), 2)
    """
    r = len(convert_to_tensor(x).shape)
    if r != int(rank):
        _fail("assert_rank", message, f"expected rank {int(rank)}, got rank {r} "
              f"(shape {list(convert_to_tensor(x).shape)})")


def assert_shapes(shapes, data=None, summarize=None, message=None, name=None):
    """Check shapes against symbolic dims shared between tensors (TF's `assert_shapes`):
    `shapes` is a list of (tensor, dims); a dim is an int, a name (must agree everywhere) or
    None/'.' (anything); a str dims such as 'NHW' names one dim per letter.

    >>> import graphflow as tf
    >>> x, y = tf.zeros([2, 3]), tf.zeros([3])
    >>> tf.debugging.assert_shapes([(x, ("N", "D")), (y, ("D",))])
    >>> try:
    ...     tf.debugging.assert_shapes([(x, ("N", "D")), (tf.zeros([4]), ("D",))])
    ... except ValueError as e:
    ...     print("dimension 'D'" in str(e))
    True
    """
    known = {}
    items = shapes.items() if isinstance(shapes, dict) else shapes
    for k, (t, dims) in enumerate(items):
        shape = list(convert_to_tensor(t).shape)
        dims = list(dims)
        if len(shape) != len(dims):
            raise ValueError(f"{message + ': ' if message else ''}assert_shapes at "
                             f"{user_source()}: tensor {k} has shape {shape}, expected rank "
                             f"{len(dims)} ({dims})")
        for i, (s, d) in enumerate(zip(shape, dims)):
            if d is None or d == ".":
                continue
            if isinstance(d, str):
                if d in known and known[d] != s:
                    raise ValueError(
                        f"{message + ': ' if message else ''}assert_shapes at {user_source()}: "
                        f"dimension {d!r} is {known[d]} elsewhere but {s} in tensor {k} "
                        f"(shape {shape})")
                known[d] = s
            elif int(d) != s:
                raise ValueError(f"{message + ': ' if message else ''}assert_shapes at "
                                 f"{user_source()}: tensor {k} has shape {shape}, dim {i} "
                                 f"should be {int(d)}")


# ------------------------------------------------------------------ more of tf.debugging
def assert_greater_equal(x, y, message=None, summarize=None, name=None):
    """Raise InvalidArgumentError unless x >= y elementwise.

    >>> assert_greater_equal(convert_to_tensor([2, 3]), 2)
    """
    _compare("assert_greater_equal", x, y, message, ">=")


def assert_less_equal(x, y, message=None, summarize=None, name=None):
    """Raise InvalidArgumentError unless x <= y elementwise.

    >>> assert_less_equal(convert_to_tensor([1, 2]), 2)
    """
    _compare("assert_less_equal", x, y, message, "<=")


def assert_none_equal(x, y, message=None, summarize=None, name=None):
    """Raise InvalidArgumentError unless x != y elementwise.

    >>> assert_none_equal(convert_to_tensor([1, 2]), convert_to_tensor([2, 1]))
    """
    _compare("assert_none_equal", x, y, message, "!=")


def _sign_check(name, sym):
    opname = name

    def check(x, message=None, summarize=None, name=None):
        _compare(opname, x, 0, message, sym)
    check.__name__ = check.__qualname__ = name
    check.__doc__ = (f"Raise InvalidArgumentError unless every element of x is {sym} 0.\n\n"
                     f"    >>> {name}(convert_to_tensor([{'-' if '<' in sym else ''}1.0]))\n")
    return check


assert_positive = _sign_check("assert_positive", ">")
assert_negative = _sign_check("assert_negative", "<")
assert_non_negative = _sign_check("assert_non_negative", ">=")
assert_non_positive = _sign_check("assert_non_positive", "<=")


def assert_integer(x, message=None, name=None):
    """Raise TypeError unless x has an integer dtype (a static check, as TF).

    >>> assert_integer(convert_to_tensor([1]))
    """
    dt = convert_to_tensor(x).dtype
    if not dt.is_integer:
        raise TypeError(f"{message + ': ' if message else ''}assert_integer at "
                        f"{user_source()}: expected an integer dtype, got {dt.name}")


def assert_type(tensor, tf_type, message=None, name=None):
    """Raise TypeError unless the tensor has dtype tf_type (static, as TF).

    >>> import graphflow as tf
    >>> tf.debugging.assert_type(tf.constant(1.0), tf.float32)
    """
    from .dtypes import as_dtype
    dt = convert_to_tensor(tensor).dtype
    if dt != as_dtype(tf_type):
        raise TypeError(f"{message + ': ' if message else ''}assert_type at {user_source()}: "
                        f"expected dtype {as_dtype(tf_type).name}, got {dt.name}")


def assert_scalar(tensor, message=None, name=None):
    """Raise ValueError unless the tensor is a scalar (rank 0); returns it.

    >>> assert_scalar(convert_to_tensor(3)).numpy()
    np.int32(3)
    """
    t = convert_to_tensor(tensor)
    if t.ndim != 0:
        raise ValueError(f"{message + ': ' if message else ''}assert_scalar at {user_source()}: "
                         f"expected a scalar, got shape {list(t.shape)}")
    return t


def assert_rank_at_least(x, rank, message=None, name=None):
    """Raise InvalidArgumentError unless x has rank >= rank.

    >>> assert_rank_at_least(convert_to_tensor([[1]]), 1)
    """
    r = len(convert_to_tensor(x).shape)
    if r < int(rank):
        _fail("assert_rank_at_least", message, f"expected rank >= {int(rank)}, got {r}")


def assert_rank_in(x, ranks, message=None, name=None):
    """Raise InvalidArgumentError unless x's rank is one of ranks.

    >>> assert_rank_in(convert_to_tensor([1]), [1, 2])
    """
    r = len(convert_to_tensor(x).shape)
    if r not in [int(k) for k in ranks]:
        _fail("assert_rank_in", message, f"expected a rank in {list(ranks)}, got {r}")


def assert_same_float_dtype(tensors=None, dtype=None):
    """The common float dtype of tensors (and dtype); ValueError if they differ or are not
    float (as TF).

    >>> assert_same_float_dtype([convert_to_tensor(1.0)]).name
    'float32'
    """
    from .dtypes import as_dtype, float32
    dts = {convert_to_tensor(t).dtype for t in (tensors or [])}
    if dtype is not None:
        dts.add(as_dtype(dtype))
    if len(dts) > 1 or any(not d.is_floating for d in dts):
        raise ValueError(f"assert_same_float_dtype: expected one float dtype, got "
                         f"{sorted(d.name for d in dts)}")
    return dts.pop() if dts else float32


def assert_proper_iterable(values):
    """Raise TypeError if values is a tensor, array or string rather than an iterable of
    values (as TF).

    >>> assert_proper_iterable([1, 2])
    """
    import collections.abc
    if isinstance(values, (str, bytes, np.ndarray)) or hasattr(values, "dtype") or \
            not isinstance(values, collections.abc.Iterable):
        raise TypeError(f"Expected argument 'values' to be a 'proper' iterable, got "
                        f"{type(values).__name__}")


def is_numeric_tensor(tensor):
    """True for a tensor of a numeric (not string/bool) dtype.

    >>> is_numeric_tensor(convert_to_tensor([1.0])), is_numeric_tensor(convert_to_tensor([True]))
    (True, False)
    """
    from .tensor import Tensor
    return isinstance(tensor, Tensor) and tensor.dtype.np.kind in "fiuc"


def Assert(condition, data, summarize=None, name=None):   # noqa: N802 (TF's name)
    """`tf.debugging.Assert`: raise InvalidArgumentError showing `data` when condition is
    false (at once, or when the graph runs inside `@function`).

    >>> import graphflow as tf
    >>> tf.debugging.Assert(tf.constant(True), ["never shown"])
    >>> @tf.function
    ... def f(x):
    ...     tf.debugging.Assert(tf.reduce_all(x > 0), ["x:", x])
    ...     return x
    >>> try:
    ...     f(tf.constant([1.0, -2.0]))
    ... except tf.errors.InvalidArgumentError as e:
    ...     print("assertion failed: x: [ 1. -2.]" in str(e))
    True
    """
    tensors = [d for d in data if hasattr(d, "shape")]
    layout = tuple(None if hasattr(d, "shape") else str(d) for d in data)
    _run_assert([convert_to_tensor(condition, dtype="bool")] + tensors, check="Assert",
                sym="all", message=None, layout=layout)


_LOG_PLACEMENT = [False]


def set_log_device_placement(enabled):
    """`tf.debugging.set_log_device_placement`: recorded (graphflow places every op on the
    CPU; nothing is logged).

    >>> set_log_device_placement(True); get_log_device_placement()
    True
    >>> set_log_device_placement(False)
    """
    _LOG_PLACEMENT[0] = bool(enabled)


def get_log_device_placement():
    """Whether set_log_device_placement(True) was called last (see its example)."""
    return _LOG_PLACEMENT[0]
