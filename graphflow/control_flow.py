"""Control flow and graph-level utilities: cond, while_loop, print, gradients.

>>> import graphflow as tf
>>> @tf.function
... def f(x):
...     return tf.cond(tf.reduce_sum(x) > 0, lambda: x * 2.0, lambda: -x)
>>> f(tf.constant([1., 2.])).numpy()
array([2., 4.], dtype=float32)
"""
import numpy as np

from . import control_ops
from .autodiff import reverse
from . import state as _state
from .graph import user_source
from .nest import flatten
from .ops.math_ops import logical_and, ones_like, where, zeros_like
from .ops.shape_ops import reshape
from .ops.registry import EFFECT, OPS, PRINT, READ_VARIABLE, SOURCE
from .tensor import OPERATORS, SymbolicTensor, Tensor, Variable, to_tensor
from .lazy import lazy_module

pprint = lazy_module("pprint")     # (tf.print of a structure; it imports dataclasses)


def _symbolic(x):
    return isinstance(x, SymbolicTensor)


def _scalar_predicate(pred, src):
    """`pred` as a scalar. As TF's cond (which squeezes its predicate) a one-element tensor
    works: size-1 dims go, and dims of unknown size (e.g. argmax over a run-time length 1) are
    reshaped away, the graph checking at run time that one value remains."""
    dims = tuple(pred.shape)
    if dims == ():
        return pred
    if any(d is not None and d != 1 for d in dims):
        raise ValueError(f"cond: the predicate must be a scalar, got shape {pred.shape} "
                         f"(at {src})")
    return reshape(pred, ())


def cond(pred, true_fn=None, false_fn=None, name=None):
    """`true_fn()` if pred else `false_fn()`.

    Eagerly (or with a Python/known predicate) only the chosen branch runs. With a traced tensor
    predicate each branch is traced into its own sub-graph and the graph gets `cond` nodes (one
    per result, see `graphflow.control_ops`) that run only the taken branch - forward and
    backward: the gradient is again a cond, so a NaN/inf the untaken branch would produce never
    reaches values or gradients, and higher orders work. Branches must agree on structure,
    shapes and dtypes. They may assign Variables, print and draw random numbers (only the taken
    branch does, in program order); a gradient through a branch that draws random numbers
    raises an error (its replay would draw anew).
    """
    if not _symbolic(pred):
        return true_fn() if bool(pred) else false_fn()
    src = user_source()
    pred = _scalar_predicate(pred, src)
    outs, rebuild = control_ops.build_cond(pred, true_fn, false_fn, src)
    return rebuild(outs)


def while_loop(cond, body, loop_vars, shape_invariants=None, parallel_iterations=10,
               back_prop=True, swap_memory=False, maximum_iterations=None, name=None):
    """Repeat `loop_vars = body(*loop_vars)` while `cond(*loop_vars)`.

    Eagerly, or when the condition is known at trace time, this is a Python loop (unrolled in
    the graph). With a traced tensor condition:
      * without `maximum_iterations`: `while_loop` nodes whose condition and body are traced
        sub-graphs, run until the condition is False (any number of iterations). Gradients
        (first and higher order, reverse and forward mode) record the loop variables of every
        iteration and run a second loop backwards over them. The body may assign Variables
        (read afresh every iteration), print and draw random numbers (then it has no gradient);
      * with `maximum_iterations=N`: the loop is unrolled N times and iterations after the
        condition turns False keep the values unchanged (masked with `where`), which keeps it
        differentiable.
    Loop variables must keep their shapes and dtypes, except the None dims of
    `shape_invariants` (TF's: e.g. `tf.TensorShape([None, 2])` for a variable that grows).
    A `tf.TensorArray` may be a loop variable (carried as its buffer; `dynamic_size=True`
    ones grow, their row count a run-time size).
    """
    single = not isinstance(loop_vars, (list, tuple))
    vars_ = [loop_vars] if single else list(loop_vars)
    if _state.current().graph is None:   # eagerly TF's loop variables are tensors (traced,
        # a Python condition of Python values unrolls: they stay Python values there)
        vars_ = [to_tensor(v) if isinstance(v, (bool, int, float, np.generic, np.ndarray))
                 else v for v in vars_]

    def call(f, vs):
        out = f(*vs)
        return [out] if single else list(out) if isinstance(out, (list, tuple)) else [out]

    c = cond(*vars_)
    k = 0
    while not _symbolic(c):
        if not bool(c) or (maximum_iterations is not None and k >= maximum_iterations):
            return vars_[0] if single else type(loop_vars)(vars_)
        vars_ = call(body, vars_)
        k += 1
        c = cond(*vars_)
    if maximum_iterations is None:
        inv = [None] * len(vars_)   # TF's shape_invariants: None dims may change
        if shape_invariants is not None:
            inv = [None if s is None else tuple(s) for s in
                   ([shape_invariants] if single else list(shape_invariants))]
        if any(_is_array(v) for v in vars_):
            out = _while_with_arrays(cond, body, vars_, inv, call)
        else:
            out = control_ops.build_while(cond, body, [to_tensor(v) for v in vars_],
                                          user_source(), single, invariants=inv)
        return out[0] if single else type(loop_vars)(out)
    active = c
    for _ in range(int(maximum_iterations) - k):
        new = call(body, vars_)
        vars_ = [where(active, to_tensor(n), to_tensor(v)) for n, v in zip(new, vars_)]
        active = logical_and(active, cond(*vars_))
    return vars_[0] if single else type(loop_vars)(vars_)


def _is_array(v):
    """A loop variable that is carried as one tensor (a tf.TensorArray: `_as_tensor` /
    `_with_tensor`, its buffer; `dynamic_size` ones grow)."""
    return hasattr(v, "_as_tensor") and hasattr(v, "_with_tensor")


def _while_with_arrays(cond, body, vars_, inv, call):
    """while_loop whose variables include TensorArrays: each is carried as its buffer (rows a
    run-time size when it grows); an array not written before the loop learns its element
    shape from one trial trace of the body, as AutoGraph's loops do."""
    if any(_is_array(v) and v.element_shape is None for v in vars_):
        probe = [v._probe_copy() if _is_array(v) else v for v in vars_]
        _, out = control_ops.trace_branch(lambda: call(body, probe), "loop_probe")
        vars_ = [v._init_like(o) if _is_array(v) and _is_array(o) else v
                 for v, o in zip(vars_, out)]
    kinds = [_is_array(v) for v in vars_]
    flat = [v._as_tensor() if k else to_tensor(v) for v, k in zip(vars_, kinds)]
    inv = [(None,) + tuple(t.shape)[1:] if k and v.dynamic_size else i
           for v, k, t, i in zip(vars_, kinds, flat, inv)]

    def full(ts):
        return [v._with_tensor(t) if k else t for v, k, t in zip(vars_, kinds, ts)]

    def flat_body(*ts):
        return [o._as_tensor() if k else o for o, k in zip(call(body, full(ts)), kinds)]
    out = control_ops.build_while(lambda *ts: cond(*full(ts)), flat_body, flat, user_source(),
                                  invariants=inv)
    return full(out)


class _FileSink:
    """tf.print's "file://path" output stream: each line is appended to the file (as TF)."""

    def __init__(self, path):
        self.path = path

    def write(self, text):
        with open(self.path, "a") as f:
            f.write(text)

    def __repr__(self):
        return f"file://{self.path}"


class _LogSink:
    """tf.print's logging output streams (`logging.info`, `tf.compat.v1.logging.warning`, ...):
    each printed line is one log record (without the trailing newline)."""

    def __init__(self, log):
        self.log = log

    def write(self, text):
        self.log(text[:-1] if text.endswith("\n") else text)

    def __repr__(self):
        return f"log({getattr(self.log, '__name__', self.log)})"


def output_sink(stream):
    """The object tf.print writes to for TF's `output_stream` values: None (the sys.stdout of
    the moment), a file-like object (sys.stdout, sys.stderr, ...), a "file://path" string, or a
    logging function (logging.info, tf.compat.v1.logging.error, ...).

    >>> output_sink("file:///tmp/out.txt")
    file:///tmp/out.txt
    """
    if stream is None or hasattr(stream, "write"):
        return stream
    if isinstance(stream, str):
        if stream.startswith("file://"):
            return _FileSink(stream[len("file://"):])
        import sys
        if stream in ("stdout", "stderr"):
            return getattr(sys, stream)
    elif callable(stream):
        return _LogSink(stream)
    raise ValueError(f"print: output_stream {stream!r} is not a stream, a 'file://path' string "
                     f"or a logging function (at {user_source()})")


def print(*inputs, output_stream=None, sep=" ", end="\n", summarize=None, name=None):
    """Print tensors every time the code runs (inside @function too, unlike Python's print).

    As TF's: tensors print in TF's summary format (`graphflow.tensor_format`: the first and
    last `summarize` entries of each dimension, default 3, -1 for all); Python values and
    structures holding tensors (lists, dicts) print as `pprint.pformat` writes them, with each
    tensor's text in its place. `output_stream` defaults to the sys.stdout of the moment (so
    pytest's capsys and contextlib.redirect_stdout see it); it may also be sys.stderr,
    "file:///path" (appended to) or a logging function (see `output_sink`).

    >>> import graphflow as tf
    >>> tf.print("x:", tf.range(10), {"a": tf.constant([1.5, 2.0])})
    x: [0 1 2 ... 7 8 9] {'a': [1.5 2]}
    """
    output_stream = output_sink(output_stream)
    fmt, tensors = print_template(inputs, sep)
    g = _state.current().graph
    if g is not None:
        g.print_effect(tensors, fmt, output_stream, end, summarize)
    else:   # the op's implementation, as the graph executors run it
        PRINT.impl(*[t._value for t in tensors], fmt=fmt, stream=output_stream, end=end,
                   summarize=summarize)
    return None


def print_template(inputs, sep=" "):
    """(str.format template, tensors) for tf.print's inputs, as TF's print_v2 builds it: a
    Python string is its own text, any other input is `pprint.pformat` of its structure with
    each tensor leaf as a `{}` placeholder.

    >>> import graphflow as tf
    >>> print_template(["n =", [tf.constant(1), 2.5], "{x}"])[0]
    'n = [{}, 2.5] {{x}}'
    """
    def is_tensor(leaf):
        return isinstance(leaf, (Tensor, Variable))

    def holding(x, holder):   # x's structure, each tensor leaf replaced by `holder`
        leaves, rebuild = flatten(x)
        return rebuild([holder if is_tensor(leaf) else leaf for leaf in leaves])
    # TF's placeholder: "{}" (digits appended while the tensor-free text holds it) - short, so
    # pprint wraps a structure of tensors where TF's does
    free = " ".join(pprint.pformat(holding(x, "")) for x in inputs)
    marker, k = "{}", 0
    while marker in free:
        marker, k = marker + str(k % 10), k + 1
    texts, tensors = [], []
    for x in inputs:
        if isinstance(x, str):
            texts.append(x)
            continue
        tensors += [to_tensor(leaf) for leaf in flatten(x)[0] if is_tensor(leaf)]
        texts.append(pprint.pformat(holding(x, marker)))
    parts = sep.join(texts).replace(repr(marker), marker).split(marker)
    return "{}".join(p.replace("{", "{{").replace("}", "}}") for p in parts), tensors


def gradients(ys, xs, grad_ys=None, unconnected_gradients="none"):
    """Graph-level gradient pass (TF1's `tf.gradients`): d(sum ys)/d xs inside a traced function.

    Uses the same autodiff core as GradientTape, fed with the graph's nodes instead of a tape.
    """
    g = _state.current().graph
    if g is None:
        raise RuntimeError("graphflow.gradients only works inside @function; use GradientTape "
                           "in eager mode")
    syms = {}

    def sym(n):
        if n not in syms:
            syms[n] = g._sym(n)
        return syms[n]

    ys_l, _ = flatten(ys)
    xs_l, rebuild = flatten(xs)
    records = []
    for n in g.topo():
        d = g.nx.nodes[n]
        if d["op"] == READ_VARIABLE.name:   # recorded with the Variable as its input
            records.append(reverse.Record(READ_VARIABLE, (d["attrs"]["var"],), {}, sym(n)))
        elif OPS[d["op"]].kind not in (SOURCE, EFFECT):
            records.append(reverse.Record(OPS[d["op"]], tuple(sym(u) for u in d["inputs"]),
                                           d["attrs"], sym(n)))
    targets = [sym(y._node) for y in (to_tensor(y) for y in ys_l)]
    sources = [x if isinstance(x, Variable) else sym(x._node) for x in xs_l]
    seeds = ([ones_like(t) for t in targets] if grad_ys is None else
             [to_tensor(s) for s in flatten(grad_ys)[0]])
    grads = reverse.backward(records, targets, seeds, sources, g.adjoint_order_for(targets))
    if unconnected_gradients == "zero":
        grads = [zeros_like(s) if r is None else r for s, r in zip(sources, grads)]
    return rebuild(grads)


# the ops layer below reaches the loop through the operator table (linalg conjugate_gradient)
OPERATORS.update(while_loop=while_loop)
