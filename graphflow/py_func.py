"""`tf.py_function` and `tf.numpy_function`: Python code as an op that runs at run time.

Each call site is one `PyFunc` (the Python function, its output dtypes and shapes) and one node
per output (`index` attr; the op table's primitives have a single output). The nodes are effects
(`io`): they keep their program order, are never folded, merged or dropped, and run in every
executor - the numba backend runs them as numpy nodes (the op's impl, a plain Python call). The
outputs of one call share a memo of the last run (same input arrays, no plan run in between), so
`func` runs once per call however many outputs it has.

* `numpy_function(func, inp, Tout)` passes numpy arrays; it has no gradient (as in TF).
* `py_function(func, inp, Tout)` passes eager Tensors and is differentiable: its VJP is again a
  `py_function` that re-runs `func` under a GradientTape at run time and returns the gradients
  with respect to the inputs - so second order (a tape over that) works too.

Output shapes: given by `Tout` as `tf.TensorSpec`s, or - inside `@function` - learned by running
`func` once at trace time on the values of the call being traced - in a loop body, on the
loop's entry values (graphflow needs static shapes; TF leaves them unknown). A run that returns another shape than traced raises an error
naming the op. Eagerly, `func` simply runs once per call.

>>> import graphflow as tf
>>> import numpy as np
>>> tf.numpy_function(lambda x: np.sort(x)[::-1].copy(), [tf.constant([2., 3., 1.])],
...                   tf.float32).numpy()
array([3., 2., 1.], dtype=float32)
"""
import numpy as np

from . import state as _state
from .dispatch import bind
from .errors import InvalidArgumentError
from .evaluate import run_count as _runs
from .graph import user_source
from .nest import flatten
from .ops.math_ops import zeros_like
from .ops.registry import Aval, VIA_VJP, defop
from .tape import GradientTape
from .tensor import SymbolicTensor, Tensor, TensorSpec, Variable, bytes_array, to_tensor
from . import dtypes as _dt

__all__ = ["py_function", "numpy_function", "PY_FUNCTION", "NUMPY_FUNCTION"]


class PyFunc:
    """One call site of py_function / numpy_function: `func`, output dtypes, output avals
    (filled when known), whether `func` gets Tensors (py_function) or numpy arrays, and the memo
    of the last run. Compared and hashed by identity."""

    def __init__(self, func, dtypes, avals, tensors, source):
        self.func, self.dtypes, self.avals = func, list(dtypes), avals
        self.tensors, self.source = tensors, source
        self._memo = None

    @property
    def name(self):
        return getattr(self.func, "__name__", type(self.func).__name__)

    def run(self, args):
        """func's results on numpy `args`, as numpy arrays of the declared dtypes (memoized for
        the outputs of one call)."""
        m = self._memo
        if m is not None and m[0] == _runs() and len(m[1]) == len(args) and \
                all(a is b for a, b in zip(m[1], args)):
            return m[2]
        out = self._call(args)
        self._memo = (_runs(), tuple(args), out)
        return out

    def _call(self, args):
        with _state.using(graph=None, tapes=(), adjoint=None):
            xs = [Tensor._wrap(np.asarray(a)) for a in args] if self.tensors else \
                [np.asarray(a) for a in args]
            res = self.func(*xs)
            vals = [] if res is None else flatten(res)[0] if isinstance(res, (list, tuple)) \
                else [res]
            if len(vals) != len(self.dtypes):
                raise InvalidArgumentError(
                    f"{self.kind} {self.name} (traced at {self.source}): the function returned "
                    f"{len(vals)} values, Tout declares {len(self.dtypes)}")
            out = []
            for i, (v, dt) in enumerate(zip(vals, self.dtypes)):
                raw = v.numpy() if isinstance(v, (Tensor, Variable)) else v
                a = bytes_array(np.array(raw, dtype=object)) if dt == _dt.string and not \
                    isinstance(raw, np.ndarray) else np.asarray(raw)   # (S drops trailing NULs)
                if a.dtype != dt.np:
                    if a.dtype.kind in "fc" and dt.np.kind in "iub" and a.size:
                        raise InvalidArgumentError(
                            f"{self.kind} {self.name} (traced at {self.source}): output {i} "
                            f"has dtype {a.dtype.name}, Tout declares {dt.name}")
                    a = a.astype(dt.np)
                if self.avals is not None:
                    want = tuple(self.avals[i].shape)
                    if len(want) != a.ndim or any(isinstance(w, int) and w != s
                                                  for w, s in zip(want, a.shape)):
                        raise InvalidArgumentError(
                            f"{self.kind} {self.name} (traced at {self.source}): output {i} has "
                            f"shape {a.shape}, but it was traced with shape {want} (give Tout as "
                            "tf.TensorSpec with None dims, or keep the shape)")
                out.append(a)
            return out

    @property
    def kind(self):
        return "py_function" if self.tensors else "numpy_function"

    def __getstate__(self):   # (a SavedModel keeps one whose func it can rebuild: no memo)
        return dict(self.__dict__, _memo=None)

    def __repr__(self):
        return f"<{self.kind} {self.name}>"


def _impl(*xs, fn, index):
    if index is None:   # no outputs: the node exists for func's effects
        fn.run(xs)
        return np.float32(0)
    return fn.run(xs)[index]


def _rule(*avals, fn, index):
    if index is None:
        return Aval((), np.dtype(np.float32))
    return fn.avals[index]


def _grad_runner(fn, index, n_in):
    """A function for py_function: (*inputs, upstream) -> gradients of output `index` of fn with
    respect to the float inputs, by running fn under a tape (None -> zeros)."""
    def grad(*args):
        xs, ct = list(args[:n_in]), args[n_in]
        diff = [x for x in xs if x.dtype.is_floating]
        with GradientTape() as tape:
            tape.watch(diff)
            outs = fn.func(*xs)
        outs = flatten(outs)[0] if isinstance(outs, (list, tuple)) else [outs]
        gs = tape.gradient(to_tensor(outs[index]), diff, output_gradients=ct)
        return [zeros_like(x) if g is None else g for x, g in zip(diff, gs)]
    grad.__name__ = f"{fn.name}_grad"
    return grad


def _vjp(inputs, out, ct, fn, index):
    if index is None:
        return [None] * len(inputs)
    floats = [k for k, x in enumerate(inputs) if x.dtype.is_floating]
    if not floats:
        return [None] * len(inputs)
    gfn = PyFunc(_grad_runner(fn, index, len(inputs)), [inputs[k].dtype for k in floats],
                 [Aval(tuple(inputs[k].shape), inputs[k].dtype.np) for k in floats], True,
                 fn.source)
    gs = _bind_all(PY_FUNCTION, gfn, list(inputs) + [ct])
    cts = [None] * len(inputs)
    for k, g in zip(floats, gs):
        cts[k] = g
    return cts


PY_FUNCTION = defop(
    "py_function", _impl, _rule, _vjp, jvp=VIA_VJP, effects=("io",),
    doc="Run a Python function on eager Tensors at run time; output `index` of its results. "
        "Differentiable: the VJP runs the function again under a GradientTape.")
NUMPY_FUNCTION = defop(
    "numpy_function", _impl, _rule, effects=("io",),
    nondiff_reason="numpy_function runs numpy code graphflow cannot differentiate "
                   "(use py_function for a gradient)",
    doc="Run a Python function on numpy arrays at run time; output `index` of its results.")


def _bind_all(op, fn, xs):
    if not fn.dtypes:
        bind(op, xs, {"fn": fn, "index": None})
        return []
    return [bind(op, xs, {"fn": fn, "index": i}) for i in range(len(fn.dtypes))]


def _apply(op, func, inp, Tout, tensors, runtime_dims=False):
    src = user_source()
    single = Tout is not None and not isinstance(Tout, (list, tuple))
    touts = [] if Tout is None else [Tout] if single else list(Tout)
    specs = [t if isinstance(t, TensorSpec) else None for t in touts]
    dtypes = [t.dtype if isinstance(t, TensorSpec) else _dt.as_dtype(t) for t in touts]
    xs = [to_tensor(x) for x in (flatten(list(inp))[0] if isinstance(inp, (list, tuple))
                                 else [inp])]
    avals = None
    if all(s is not None for s in specs):
        avals = [Aval(tuple(s.shape.as_list() if hasattr(s.shape, "as_list") else s.shape),
                      d.np) for s, d in zip(specs, dtypes)]
        if any(d is None for a in avals for d in a.shape) and not runtime_dims:
            avals = None   # unknown dims: learn them from a run (else: sizes known when it runs)
    fn = PyFunc(func, dtypes, avals, tensors, src)
    g = _state.current().graph
    if fn.avals is None:
        if g is None:   # eager: run now (the memo makes the nodes reuse this run)
            vals = fn.run([x._value for x in xs])
        else:           # traced: run once on the traced call's values to learn the shapes
            try:
                vals = [np.asarray(g.lift(x, freeze=False).numpy()) if isinstance(x, SymbolicTensor)
                        else np.asarray(x._value) for x in xs]
            except ValueError:
                raise ValueError(f"{op.name} {fn.name} at {src}: its output shapes are not known "
                                 "while tracing (graphflow learns them by running it on the "
                                 "traced call's values, but its inputs are known only when the "
                                 "graph runs: a loop variable, or an argument of "
                                 "get_concrete_function); give Tout as tf.TensorSpec(shape, "
                                 "dtype)") from None
            vals = fn._call(vals)
        fn.avals = [Aval(tuple(v.shape), v.dtype) for v in vals]
    outs = _bind_all(op, fn, xs)
    if Tout is None:
        return None
    return outs[0] if single else outs


def py_function(func=None, inp=None, Tout=None, name=None):
    """Run `func(*inp)` (Python, on eager Tensors) as an op: eagerly at once, inside
    `@function` every time the function runs. `Tout`: a dtype (one result), a list of dtypes,
    or `tf.TensorSpec`s (fixing the output shapes). Differentiable through a GradientTape.

    >>> import graphflow as tf
    >>> x = tf.constant(3.0)
    >>> with tf.GradientTape() as t:
    ...     t.watch(x)
    ...     y = tf.py_function(lambda v: v * v, [x], tf.float32)
    >>> float(y), float(t.gradient(y, x))
    (9.0, 6.0)
    """
    if func is None:   # decorator form: @tf.py_function(Tout=...)
        return lambda f: (lambda *args: py_function(f, list(args), Tout))
    return _apply(PY_FUNCTION, func, inp, Tout, True)


def numpy_function(func=None, inp=None, Tout=None, stateful=True, name=None, *,
                   _runtime_dims=False):
    """Run `func(*inp)` on numpy arrays as an op (eagerly at once, inside `@function` at run
    time); no gradient. `Tout` as in `py_function`.

    >>> import graphflow as tf
    >>> float(tf.numpy_function(lambda a: a.sum(), [tf.constant([1., 2.])], tf.float32))
    3.0
    """
    if func is None:
        return lambda f: (lambda *args: numpy_function(f, list(args), Tout, stateful))
    # (_runtime_dims: Tout's None dims stay sizes known only when the graph runs, as TF's,
    # instead of being learned from the traced call's values - graphflow's default, which
    # gives static shapes to the ops after it)
    return _apply(NUMPY_FUNCTION, func, inp, Tout, False, _runtime_dims)
