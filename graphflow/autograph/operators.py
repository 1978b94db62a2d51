"""AutoGraph's runtime operators: what converted code calls (as `ag__.<name>`).

Each operator looks at its condition or iterable: a Python value (or an eager tensor) runs the
statement as plain Python - so Python-valued conditions keep exact Python semantics (evaluated,
or unrolled, at trace time) as in TF - while a traced tensor turns it into graph control flow:
`if` -> `cond` nodes, `while`/`for` over a tensor or `tf.range` -> one `while_loop` node.
"""
import builtins
import contextvars
import functools
import sys
import inspect

import numpy as np

from .. import control_flow, control_ops
from .. import state as _state
from ..errors import user_source
from ..ops import creation, math_ops, shape_ops
from ..tensor import SymbolicTensor, Tensor, Variable, to_tensor
from .dataset_loop import DatasetLoop
from .tensor_array import TensorArray


class Undefined:
    """The value of a variable before its first assignment (in converted code)."""

    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def _fail(self, *a, **k):
        raise UnboundLocalError(f"local variable '{self.name}' is used before it is assigned "
                                f"(at {user_source()})")

    __getattr__ = __call__ = __bool__ = __add__ = __radd__ = __sub__ = __mul__ = __getitem__ = \
        __iter__ = __len__ = __float__ = __int__ = __neg__ = __truediv__ = _fail

    def __repr__(self):
        return f"<undefined {self.name}>"


# True while a loop body is traced once to learn the shapes of variables it first assigns
_PROBING = contextvars.ContextVar("graphflow_autograph_probing", default=False)


def retval(v):
    return None if isinstance(v, Undefined) else v


def _is_tensor_cond(x):
    return isinstance(x, SymbolicTensor)


# ------------------------------------------------------------------ expressions
def not_(x):
    return math_ops.logical_not(x) if _is_tensor_cond(x) else not x


def and_(*fns):
    v = fns[0]()
    for f in fns[1:]:
        if _is_tensor_cond(v):
            v = math_ops.logical_and(v, f())
        elif not v:
            return v
        else:
            v = f()
    return v


def or_(*fns):
    v = fns[0]()
    for f in fns[1:]:
        if _is_tensor_cond(v):
            v = math_ops.logical_or(v, f())
        elif v:
            return v
        else:
            v = f()
    return v


#: What AutoGraph did with each converted statement it ran, for `report`:
#: (file, line) -> {"statement": "if"/"while"/"for"/"x if c else y", "runs": {outcome text}}
REPORT = {}


def _note(frame, lineno, statement, outcome):
    """Record how the statement at `lineno` of the converted code in `frame` ran."""
    if lineno is None or _PROBING.get():
        return
    e = REPORT.setdefault((frame.f_code.co_filename, lineno),
                          {"statement": statement, "runs": {}})
    e["runs"][outcome] = None   # (a dict: insertion-ordered set)


def if_exp(test, body, orelse, lineno=None):
    if _is_tensor_cond(test):
        _note(sys._getframe(1), lineno, "x if c else y", "graph: cond nodes (tensor condition)")
        return control_flow.cond(test, body, orelse)
    _note(sys._getframe(1), lineno, "x if c else y",
          "Python: the condition is a Python value (evaluated while tracing)")
    return body() if test else orelse()


# ------------------------------------------------------------------ calls
def _library(f):
    mod = getattr(f, "__module__", None) or ""
    return (mod.split(".")[0] in ("graphflow", "numpy", "numba", "networkx", "builtins",
                                  "functools", "math", "typing", "collections", "abc")
            or mod.startswith("_") and mod != "__main__")   # (a script's functions convert)


def print_(*objects, sep=" ", end="\n", file=None, flush=False):
    """AutoGraph's `print` with `Feature.BUILTIN_FUNCTIONS` (as TF's): with a tensor among the
    arguments it prints every time the graph runs, tensors as their values (`tf.print`);
    otherwise it is Python's print, which runs once, while tracing."""
    if any(isinstance(o, (Tensor, Variable)) for o in objects):
        return control_flow.print(*objects, output_stream=file, sep=sep, end=end)
    return builtins.print(*objects, sep=sep, end=end, file=file, flush=flush)


def len_(s):
    """AutoGraph's `len`: a traced tensor whose first dim is known only when the graph runs
    gives `tf.shape(s)[0]` (as TF's converted `len`); known lengths stay Python ints."""
    if isinstance(s, SymbolicTensor):
        if not s.shape:
            raise ValueError(f"len of a scalar tensor (at {user_source()}): len() needs rank >= 1")
        d = s.shape[0]
        return int(d) if isinstance(d, (int, np.integer)) else shape_ops.shape(s)[0]
    return builtins.len(s)


# TF converts builtins (print -> a run-time print) only with the optional feature
# BUILTIN_FUNCTIONS; by default `print` stays Python's and runs while tracing
_BUILTINS = contextvars.ContextVar("graphflow_autograph_builtins", default=False)


def with_builtin_functions(f):
    """`f` with AutoGraph's optional BUILTIN_FUNCTIONS feature on while it runs (its `print`
    calls, and those of the user functions it calls, print at run time)."""
    @functools.wraps(f)
    def run(*args, **kwargs):
        tok = _BUILTINS.set(True)
        try:
            return f(*args, **kwargs)
        finally:
            _BUILTINS.reset(tok)
    return run


def converted_call(f):
    """`f` converted (user functions that are not library code nor `do_not_convert`), else f;
    Python's `print` becomes `print_` with the BUILTIN_FUNCTIONS feature."""
    from .api import convert_cached   # noqa: the api module imports this one (same package)
    if f is builtins.print:
        return print_ if _BUILTINS.get() else f
    if f is builtins.len:
        return len_
    if inspect.ismethod(f) and inspect.isfunction(f.__func__) and not _library(f.__func__):
        g = convert_cached(f.__func__)
        return f if g is None else g.__get__(f.__self__)
    if inspect.isfunction(f) and not _library(f) and f.__name__ != "<lambda>":
        g = convert_cached(f)
        return f if g is None else g
    call = getattr(type(f), "__call__", None)
    if inspect.isfunction(call) and not _library(call):   # a callable object (tf.Module): as TF,
        g = convert_cached(call)                         # its user-written __call__ converts
        return f if g is None else g.__get__(f)
    return f


# ------------------------------------------------------------------ if
def _tensorizable(v):
    return isinstance(v, (Tensor, Variable, bool, int, float, np.generic))


def _probe_pick(a, b):
    """The branch value a loop's trial trace keeps: a defined one, and of two TensorArrays the
    one that was written (its element shape known: a write under `if`, or before a `break`)."""
    if isinstance(a, Undefined):
        return b
    if isinstance(a, TensorArray) and isinstance(b, TensorArray) and a.element_shape is None:
        return b
    return a


def if_stmt(test, true_fn, false_fn, vars_, names, lineno=None):
    """`if test:` with the statement's assigned variables `vars_` (named `names`)."""
    if not _is_tensor_cond(test):
        _note(sys._getframe(1), lineno, "if",
              "Python: the condition is a Python value (evaluated while tracing)")
        return true_fn(*vars_) if test else false_fn(*vars_)
    _note(sys._getframe(1), lineno, "if", "graph: cond nodes (tensor condition)")
    if _PROBING.get():   # only shapes/dtypes matter: take each variable from a branch defining it
        return tuple(_probe_pick(a, b) for a, b in zip(true_fn(*vars_), false_fn(*vars_)))
    src = user_source()
    seen = {}

    def split(out, branch):
        out = list(out)
        kinds = []
        for n, v in zip(names, out):
            kinds.append("undef" if isinstance(v, Undefined) else
                         "ta" if isinstance(v, TensorArray) else
                         "tensor" if _tensorizable(v) else "python")
        if branch == "true":
            seen["kinds"], seen["out"] = kinds, out
        else:
            for n, a, b, va, vb in zip(names, seen["kinds"], kinds, seen["out"], out):
                if (a == "undef") != (b == "undef"):
                    which = "else" if a != "undef" else "if"
                    if n == "retval_":
                        raise ValueError(
                            f"a return statement inside a tensor-dependent `if` (line {lineno}, "
                            f"at {src}) needs a return on the other branch too: the function "
                            "must return a value on every path of a converted condition")
                    raise ValueError(f"'{n}' must also be initialized in the {which} branch "
                                     f"(tensor-dependent `if` at line {lineno}, {src})")
                if a == "python" or b == "python":
                    if va is not vb:
                        raise ValueError(
                            f"'{n}' is a Python value ({type(va).__name__}) that the branches of "
                            f"a tensor-dependent `if` (line {lineno}, {src}) set differently; "
                            "only tensors can depend on a tensor condition")
        flat = []
        for k, v in zip(kinds, out):
            if k == "tensor":
                flat.append(v)
            elif k == "ta":
                flat.append(v._as_tensor())
        return flat

    res = control_flow.cond(test, lambda: split(true_fn(*vars_), "true"),
                            lambda: split(false_fn(*vars_), "false"))
    res = list(res) if isinstance(res, (list, tuple)) else [res]
    out, it = [], iter(res)
    for k, v in zip(seen["kinds"], seen["out"]):
        if k == "tensor":
            out.append(next(it))
        elif k == "ta":
            out.append(v._with_tensor(next(it)))
        else:
            out.append(v)
    return tuple(out)


# ------------------------------------------------------------------ loops
def _as_state(v):
    if isinstance(v, Variable):
        return v
    if isinstance(v, (bool, int, float, np.generic, Tensor)):
        return to_tensor(v)
    return v


_LOOP_OPTIONS = contextvars.ContextVar("graphflow_autograph_loop_options", default=None)


def set_loop_options(parallel_iterations=None, swap_memory=None, maximum_iterations=None,
                     shape_invariants=None):
    """TF's `tf.autograph.experimental.set_loop_options`, called inside the body of a converted
    loop: `shape_invariants=[(var, shape)]` lets the None dims of `shape` change between
    iterations (a tensor that grows). The other options are accepted and have no effect here.
    Outside a loop that becomes a graph loop it does nothing, as in TF.

    >>> import graphflow as tf
    >>> @tf.function
    ... def f(n):
    ...     out = tf.zeros([0])
    ...     for i in tf.range(n):
    ...         tf.autograph.experimental.set_loop_options(
    ...             shape_invariants=[(out, tf.TensorShape([None]))])
    ...         out = tf.concat([out, [tf.cast(i, tf.float32)]], 0)
    ...     return out
    >>> f(tf.constant(3)).numpy()
    array([0., 1., 2.], dtype=float32)
    """
    rec = _LOOP_OPTIONS.get()
    if rec is not None and shape_invariants:
        rec.extend((t, tuple(None if d is None else d for d in shape))
                   for t, shape in shape_invariants)


class _NewInvariants(Exception):
    """Raised out of a loop body's trace when set_loop_options gave shape invariants the
    loop was not traced with (the loop is traced again with them)."""

    def __init__(self, shapes):
        super().__init__(shapes)
        self.shapes = shapes


def _tensor_loop(test_fn, body_fn, vars_, names, lineno, src):
    """Run the loop as one while_loop node over the tensor-valued variables."""
    vars_ = list(vars_)
    sized = {}   # undefined variables whose probed shape has unknown dims: i -> that shape
    undefined = [i for i, v in enumerate(vars_) if isinstance(v, Undefined)]
    if undefined or any(isinstance(v, TensorArray) and v._buf is None for v in vars_):
        # values first assigned in the loop: one trial trace of the body tells their
        # shapes/dtypes; they start as zeros (as TF does)
        probe_vars = [v._probe_copy() if isinstance(v, TensorArray) else v for v in vars_]
        tok = _PROBING.set(True)
        try:
            b, out = control_ops.trace_branch(lambda: list(body_fn(*probe_vars)), "loop_probe")
        finally:
            _PROBING.reset(tok)
        for i, (v, o) in enumerate(zip(vars_, out)):
            if isinstance(v, Undefined) and isinstance(o, (Tensor, bool, int, float)):
                o = to_tensor(o)
                shape = tuple(o.shape)
                if any(d is None for d in shape):
                    # sizes known only when the body runs (a read of unknown rows): no rows to
                    # start with, the unknown dims the loop's shape invariant
                    sized[i] = shape
                    shape = tuple(0 if d is None else d for d in shape)
                vars_[i] = creation.zeros(shape, o.dtype)
            elif isinstance(v, TensorArray) and v._buf is None and isinstance(o, TensorArray):
                vars_[i] = v._init_like(o)
    kinds = []
    for v in vars_:
        kinds.append("undef" if isinstance(v, Undefined) else "ta" if isinstance(v, TensorArray)
                     else "tensor" if isinstance(v, (Tensor, Variable, bool, int, float,
                                                     np.generic)) else "python")
    entry = [(_as_state(v)._as_tensor() if k == "ta" else to_tensor(_as_state(v)))
             if k in ("tensor", "ta") else v for k, v in zip(kinds, vars_)]
    pos = [i for i, k in enumerate(kinds) if k in ("tensor", "ta")]
    # a growing TensorArray's buffer: its number of rows is the loop's run-time shape invariant
    inv = [(None,) + tuple(e.shape)[1:] if k == "ta" and v.dynamic_size else sized.get(i)
           for i, (k, v, e) in enumerate(zip(kinds, vars_, entry))]

    def full(flat):
        vals = list(vars_)
        for i, t in zip(pos, flat):
            vals[i] = vars_[i]._with_tensor(t) if kinds[i] == "ta" else t
        return vals

    def cond(*flat):
        return test_fn(*full(flat))

    def body(*flat):
        rec, ins = [], full(flat)
        tok = _LOOP_OPTIONS.set(rec)
        try:
            out = list(body_fn(*ins))
        finally:
            _LOOP_OPTIONS.reset(tok)
        new = {j: shape for t, shape in rec for j, (k, v) in enumerate(zip(kinds, ins))
               if k == "tensor" and v is t and inv[j] != shape}
        if new:
            raise _NewInvariants(new)
        res = []
        for i, (n, k, v, o) in enumerate(zip(names, kinds, vars_, out)):
            if k == "undef":
                continue
            if k == "python":
                if o is not v:
                    raise ValueError(
                        f"'{n}' is a Python {type(v).__name__} that changes inside a "
                        f"tensor-dependent loop (line {lineno}, {src}); only tensors can be "
                        "loop variables (use a TensorArray to collect values)")
                continue
            if isinstance(o, Undefined):
                raise ValueError(f"'{n}' is deleted or undefined in the loop body (line "
                                 f"{lineno}, {src})")
            t = o._as_tensor() if isinstance(o, TensorArray) else to_tensor(
                o, entry[i].dtype if not isinstance(o, Tensor) else None)
            e = entry[i]
            if i in undefined and len(t.shape) == len(e.shape) and tuple(t.shape) != tuple(
                    e.shape) and (inv[i] is None or any(a is not None and a != b
                                                         for a, b in zip(inv[i], t.shape))):
                # first assigned in the body (TF would not carry it at all): its start is a
                # placeholder, so the dims the probe knew but the body does not are relaxed
                raise _NewInvariants({i: tuple(a if a == b else None
                                               for a, b in zip(e.shape, t.shape))})
            if t.dtype != e.dtype:
                raise TypeError(f"'{n}' has dtype {e.dtype.name} before the loop, but dtype "
                                f"{t.dtype.name} after one iteration (loop at line {lineno}, "
                                f"{src}); loop variables must keep their dtype")
            if tuple(t.shape) != tuple(e.shape) and not (
                    inv[i] is not None and len(t.shape) == len(inv[i]) and all(
                        a is None or a == b for a, b in zip(inv[i], t.shape))):
                raise ValueError(f"'{n}' has shape {list(e.shape)} before the loop, but shape "
                                 f"{list(t.shape)} after one iteration (loop at line {lineno}, "
                                 f"{src}); loop variables must keep their shape. Use "
                                 "tf.autograph.experimental.set_loop_options to set shape "
                                 "invariants (as TF)")
            res.append(t)
        return res

    flat = [entry[i] for i in pos]
    while True:
        try:
            outs = control_ops.build_while(cond, body, flat, src,
                                           invariants=[inv[i] for i in pos]) if flat else []
            break
        except _NewInvariants as e:   # set_loop_options(shape_invariants=...): trace again
            for j, shape in e.shapes.items():
                if len(shape) != len(entry[j].shape):
                    raise ValueError(
                        f"set_loop_options: the shape invariant {list(shape)} of '{names[j]}' "
                        f"has another rank than its value {list(entry[j].shape)} (loop at line "
                        f"{lineno}, {src})") from None
                inv[j] = shape
    return tuple(full(outs))


def while_stmt(test_fn, body_fn, vars_, names, lineno=None):
    """`while test:` over the loop's assigned variables."""
    vars_ = tuple(vars_)
    frame, k = sys._getframe(1), 0
    while True:
        t = test_fn(*vars_)
        if _is_tensor_cond(t):
            _note(frame, lineno, "while", "graph: one while_loop node (tensor condition)" + (
                f", after {k} iteration(s) unrolled while the condition was a Python value"
                if k else ""))
            return _tensor_loop(test_fn, body_fn, vars_, names, lineno, user_source())
        if not t:
            _note(frame, lineno, "while", f"Python: the condition is a Python value; {k} "
                  "iteration(s) unrolled while tracing")
            return vars_
        vars_ = tuple(body_fn(*vars_))
        k += 1


def _dataset_loop(loop, extra_test, body_fn, vars_, names, lineno):
    """`for x in dataset` as one while_loop over (element number, "element exists", *vars_):
    each run starts a new pass over the dataset (`dataset_loop_start`) and fetches the elements
    inside the body, so their shapes may differ between iterations."""
    epoch = loop.bind_start()

    def test(i, has, *vs):
        return and_(lambda: has, lambda: True if extra_test is None else extra_test(*vs))

    def body(i, has, *vs):
        out = tuple(body_fn(loop.bind_element(epoch, i), *vs))
        return (i + 1, loop.bind_has(epoch, i + 1)) + out
    start = to_tensor(np.int64(0))
    return _tensor_loop(test, body, (start, loop.bind_has(epoch, start)) + vars_,
                        ("<iterate>", "<has_next>") + tuple(names), lineno, user_source())[2:]


class RangeIter:
    """`tf.range(start, limit, delta)` with traced bounds, iterated by a converted `for`."""

    def __init__(self, start, limit, delta):
        self.start, self.limit, self.delta = start, limit, delta


def range_iter(f, *args, **kwargs):
    """The iterable of a `for` statement whose iterable is a call (`tf.range` special-cased)."""
    # (Python's range over a traced bound is tf.range, as TF's AutoGraph converts it)
    if f in (creation.range, builtins.range) and any(isinstance(a, SymbolicTensor)
                                                     for a in args) and not kwargs:
        start, limit, delta = (0, args[0], 1) if len(args) == 1 else (tuple(args) + (1,))[:3]
        return RangeIter(*[to_tensor(v) if not isinstance(v, Tensor) else v
                           for v in (start, limit, delta)])
    iterated = args[:1] if f is builtins.enumerate else args
    if f in (builtins.enumerate, builtins.zip) and args and _state.current().graph is not None \
            and all(getattr(a, "__graph_loop__", False) for a in iterated):
        # as TF's AutoGraph: enumerate(ds) -> ds.enumerate(), zip(ds1, ds2) -> Dataset.zip
        # (a run-time loop over the dataset instead of a Python iteration unrolled while tracing)
        if f is builtins.enumerate:
            return args[0].enumerate(*args[1:], **kwargs)
        if not kwargs:
            return type(args[0]).zip(tuple(args))
    return converted_call(f)(*args, **kwargs)


def for_stmt(iterable, extra_test, body_fn, vars_, names, lineno=None):
    """`for target in iterable:` over the loop's assigned variables."""
    vars_ = tuple(vars_)
    frame = sys._getframe(1)
    if isinstance(iterable, RangeIter):
        _note(frame, lineno, "for", "graph: one while_loop node over tf.range (tensor bounds)")
        r = iterable
        dt = math_ops.cast
        start, limit, delta = r.start, dt(r.limit, r.start.dtype), dt(r.delta, r.start.dtype)

        def test(i, *vs):
            more = math_ops.where(delta > 0, i < limit, i > limit)
            return and_(lambda: more, lambda: True if extra_test is None else extra_test(*vs))

        def body(i, *vs):
            return (i + delta,) + tuple(body_fn(i, *vs))
        return _tensor_loop(test, body, (start,) + vars_, ("<iterate>",) + tuple(names), lineno,
                            user_source())[1:]
    if isinstance(iterable, SymbolicTensor):
        _note(frame, lineno, "for", "graph: one while_loop node over the tensor's first axis")
        x = iterable
        if not x.shape or not isinstance(x.shape[0], (int, np.integer)):   # None / unknown dim
            n = shape_ops.shape(x)[0]
        else:
            n = int(x.shape[0])

        def test(i, *vs):
            return and_(lambda: i < n, lambda: True if extra_test is None else extra_test(*vs))

        def body(i, *vs):
            return (i + 1,) + tuple(body_fn(x[i], *vs))
        return _tensor_loop(test, body, (to_tensor(0),) + vars_, ("<iterate>",) + tuple(names),
                            lineno, user_source())[1:]
    if getattr(iterable, "__graph_loop__", False) and _state.current().graph is not None:
        loop = DatasetLoop.of(iterable, user_source())
        if loop is not None:
            _note(frame, lineno, "for", "graph: one while_loop node over the dataset (iterated "
                  "anew at every run)")
            return _dataset_loop(loop, extra_test, body_fn, vars_, names, lineno)
    _note(frame, lineno, "for", f"Python: iterates a Python {type(iterable).__name__} "
          "(unrolled while tracing)")
    for item in iterable:
        if extra_test is not None:
            t = extra_test(*vars_)
            if _is_tensor_cond(t):
                raise NotImplementedError(
                    f"a break/return depending on a tensor inside a Python `for` loop (line "
                    f"{lineno}, {user_source()}) is not supported; iterate over a tensor or "
                    "tf.range instead")
            if not t:
                break
        vars_ = tuple(body_fn(item, *vars_))
    return vars_
