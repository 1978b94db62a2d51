"""`tf.custom_gradient`: a function whose gradient is given by the user, in the one autodiff core.

`f(*x)` returns `(y, grad_fn)`. `f` runs normally (tapes keep recording its ops, as in TF, so
values it computes stay connected to `x` for higher orders); then every output `y_i` passes
through one `custom_gradient` node: `out_i = custom_gradient(y_i, *x, *variable reads)`, whose
value is `y_i` and whose VJP calls `grad_fn`. So tapes, the graph gradient pass
(`tf.gradients`) and forward mode (by transposing the VJP) all use the op table's ordinary
machinery; no second gradient implementation. The VJP gives `y_i` no cotangent, so gradients
reach `x` only through `grad_fn`. `grad_fn` is written in graphflow ops, so it is recorded by
outer tapes (second order works where it is differentiable). Once traced, the node is an
identity (`copy` fact) that `simplify` removes.

Variables read inside `f` are inputs too: `grad_fn(*upstream, variables=[...])` must then return
`(input_grads, variable_grads)`, as in TF.

>>> import graphflow as tf
>>> @tf.custom_gradient
... def clip_gradients(y):
...     def backward(dy):
...         return tf.clip_by_norm(dy, 0.5)
...     return y, backward
>>> v = tf.Variable(2.0)
>>> with tf.GradientTape() as t:
...     output = clip_gradients(v * v)
>>> float(t.gradient(output, v))
2.0
"""
import functools
import inspect

from . import state as _state
from .dispatch import bind
from .nest import flatten
from .ops.creation import zeros
from .ops.math_ops import cast
from .ops.registry import VIA_VJP, Aval, defop
from .tensor import Tensor, Variable, to_tensor

__all__ = ["custom_gradient", "CUSTOM_GRADIENT"]


class _VariableWatcher:
    """A recorder that only notes the Variables read while it is active (TF's VariableWatcher)."""
    _watched = frozenset()

    def __init__(self):
        self.reads = {}   # id(var) -> (var, the tensor read first)

    def _record(self, op, args, attrs, out):
        pass

    def _record_read(self, var, t):
        self.reads.setdefault(id(var), (var, t))

    def _note_escape(self, t):
        pass


class _Grad:
    """The gradient function of one custom_gradient call, shared by its output nodes.

    Holds the user's `grad_fn`, how many outputs/inputs/variables there are, and the outputs'
    shapes/dtypes (a node's VJP fills the other outputs' upstream gradients with zeros: a VJP
    is linear in the upstream gradient, so the per-output contributions add up to TF's single
    call). Compared and hashed by identity (CSE merges only nodes of the same call).
    """

    def __init__(self, fn, n_out, n_x, variables, out_avals, name):
        self.fn, self.n_out, self.n_x, self.variables = fn, n_out, n_x, list(variables)
        self.out_avals, self.name = out_avals, name

    def __call__(self, index, ct):
        ups = [ct] if self.n_out == 1 else [
            ct if i == index else zeros(a.shape, a.dtype) for i, a in enumerate(self.out_avals)]
        if self.variables:
            res = self.fn(*ups, variables=self.variables)
            if not (isinstance(res, (list, tuple)) and len(res) == 2):
                raise ValueError(f"custom_gradient {self.name}: f reads Variables, so its grad_fn "
                                 "must return (input_grads, variable_grads)")
            gx, gv = res
            gx, gv = _as_list(gx), _as_list(gv)
            if len(gv) != len(self.variables):
                raise ValueError(f"custom_gradient {self.name}: grad_fn returned {len(gv)} "
                                 f"variable gradients for {len(self.variables)} variables "
                                 f"({', '.join(v.name for v in self.variables)})")
        else:
            gx, gv = _as_list(self.fn(*ups)), []
        if len(gx) != self.n_x:
            raise ValueError(f"custom_gradient {self.name}: grad_fn returned {len(gx)} gradients "
                             f"for {self.n_x} inputs")
        return [None if g is None else to_tensor(g) for g in gx + gv]

    def __repr__(self):
        return f"<custom gradient of {self.name}>"


def _as_list(g):
    if isinstance(g, (list, tuple)):
        return list(g)
    return [g]


def _impl(y, *xs, grad, index):
    return y


def _rule(y, *xs, grad, index):
    return Aval(tuple(y.shape), y.dtype)


def _vjp(inputs, out, ct, grad, index):
    gs = grad(index, ct)
    return [None] + [None if g is None or not x.dtype.is_floating else
                     (g if g.dtype == x.dtype else cast(g, x.dtype))
                     for g, x in zip(gs, inputs[1:])]


CUSTOM_GRADIENT = defop(
    "custom_gradient", _impl, _rule, _vjp, jvp=VIA_VJP, copy=True,
    doc="Output `y` (input 0) unchanged; its VJP is the user's grad_fn (attr `grad`) giving the "
        "cotangents of the other inputs (the function's inputs and the Variables it read).")


def _call(f, args, kwargs):
    watcher = _VariableWatcher()
    st = _state.current()
    token = _state.push(tapes=st.tapes + (watcher,))
    try:
        result, grad_fn = f(*args, **kwargs)
    finally:
        _state.pop(token)
    xs = [a for a in flatten(list(args))[0] if isinstance(a, (Tensor, Variable))]
    xs = [x._read() if isinstance(x, Variable) else x for x in xs]
    arg_ids = {id(a) for a in flatten(list(args))[0]}
    var_reads = [(v, t) for v, t in watcher.reads.values() if id(v) not in arg_ids]
    params = inspect.signature(grad_fn).parameters if callable(grad_fn) else {}
    wants_vars = "variables" in params or any(
        p.kind == inspect.Parameter.VAR_KEYWORD for p in params.values())
    name = getattr(f, "__name__", "f")
    trainable = [(v, t) for v, t in var_reads if v.trainable]
    if trainable and not wants_vars:
        raise TypeError(f"custom_gradient {name}: f reads the Variable(s) "
                        f"{', '.join(v.name for v, _ in trainable)}, so its grad_fn needs a "
                        "`variables` keyword argument and must return (input_grads, "
                        "variable_grads) (TF's rule)")
    var_reads = trainable
    ys, rebuild = flatten(result)
    ys = [to_tensor(y) for y in ys]
    grad = _Grad(grad_fn, len(ys), len(xs), [v for v, _ in var_reads],
                 [Aval(tuple(y.shape), y.dtype.np) for y in ys], name)
    ins = xs + [t for _, t in var_reads]
    outs = [bind(CUSTOM_GRADIENT, [y] + ins, {"grad": grad, "index": i}) for i, y in enumerate(ys)]
    return rebuild(outs)


def custom_gradient(f=None):
    """Decorator: `f(*x) -> (y, grad_fn)`; the result behaves as `y` with gradient `grad_fn`.

    `grad_fn(*upstream)` returns one gradient per (flattened) tensor input of `f`
    (`grad_fn(*upstream, variables=None)` returning `(input_grads, variable_grads)` if `f`
    reads trainable Variables). Works eagerly, under tapes, inside `@function` and with
    `tf.gradients`; `grad_fn` written in graphflow ops is differentiated again for higher
    orders. With several outputs, `grad_fn` is called once per output with zeros for the
    others' upstream gradients (a VJP is linear in them; the results are summed).

    >>> import graphflow as tf
    >>> @tf.custom_gradient
    ... def log1pexp(x):
    ...     e = tf.exp(x)
    ...     def grad(upstream):
    ...         return upstream * (1 - 1 / (1 + e))
    ...     return tf.math.log(1 + e), grad
    >>> x = tf.constant(100.)
    >>> with tf.GradientTape() as tape:
    ...     tape.watch(x)
    ...     y = log1pexp(x)
    >>> float(tape.gradient(y, x))
    1.0
    """
    if f is None:
        return custom_gradient

    def decorated(*args, **kwargs):
        return _call(f, args, kwargs)
    # name and doc of f, but this module's __module__: AutoGraph treats it as library code
    return functools.update_wrapper(decorated, f, assigned=("__name__", "__qualname__", "__doc__"))
