"""GradientTape: records eager (or traced) op applications and runs the shared autodiff core.

>>> import graphflow as tf
>>> x = tf.Variable(3.0)
>>> with tf.GradientTape() as tape:
...     y = tf.square(x)
>>> print(tape.gradient(y, x).numpy())
6.0
"""
import contextlib
import warnings

import numpy as np

from .autodiff import reverse
from . import state as _state
from .dispatch import wrap
from .nest import flatten
from .ops.math_ops import ones_like, zeros_like
from .ops.registry import shapes_agree
from .ops.shape_ops import reshape, stack
from .tensor import Tensor, Variable, convert_to_tensor, to_tensor

_LEAF_TYPES = (Tensor, Variable)
_Record, _READ = reverse.Record, reverse.READ
_ONES = {}   # numpy dtype -> scalar one (the seed of 0-d targets)
_current, _swap = _state.current, _state.swap
_is_float = reverse.is_floating


def _ones_seed(t):
    """`ones_like(t)`, the default seed. Eager and unrecordable (no active tape watches `t`):
    the eager value directly; else through the op, so outer tapes record it."""
    st = _state.current()
    if st.graph is None:
        k = id(t)
        for r in st.tapes:   # an active tape watching t records the seed op
            if k in getattr(r, "_watched", ()):
                return ones_like(t)
        v = t._value
        if v.ndim:
            return wrap(np.ones(v.shape, v.dtype))
        one = _ONES.get(v.dtype)   # numpy scalars are immutable: share one per dtype
        return wrap(one if one is not None else _ONES.setdefault(v.dtype, v.dtype.type(1)))
    return ones_like(t)


def _without(tapes, rec):
    if tapes and tapes[-1] is rec:   # the usual, nested case
        return tapes[:-1]
    return tuple(t for t in tapes if t is not rec)


class GradientTape:
    """Record operations for automatic differentiation (TF's `tf.GradientTape`).

    Non-persistent tapes allow one `gradient` call. Nest tapes for higher-order derivatives.
    When a gradient comes back None, `tape.explain(target, source)` (or `gradient(...,
    explain=True)`, which warns) says why: unwatched source, non-differentiable op, `.numpy()`.
    """

    def __init__(self, persistent=False, watch_accessed_variables=True):
        self._persistent = persistent
        self._watch_accessed = watch_accessed_variables
        self._records = []
        self._watched = set()
        self._keep = []       # keeps watched objects alive so their ids stay unique
        self._variables = {}
        self._escaped = []
        self._used = False
        self._active = False
        self._prev = self._mine = None   # the state before __enter__, and the one it set

    # ---- context -------------------------------------------------------------
    def __enter__(self):
        self._prev = prev = _current()
        self._mine = mine = prev.with_tapes(prev.tapes + (self,))
        _swap(mine)
        self._active = True
        return self

    def __exit__(self, *exc):
        st = _current()
        if st is self._mine:   # nested use: back to the state before __enter__
            _swap(self._prev)
        else:                  # exited out of order: only this tape leaves
            _swap(st.with_tapes(_without(st.tapes, self)))
        self._prev = self._mine = None
        self._active = False
        return False

    @contextlib.contextmanager
    def stop_recording(self):
        """Ops inside this block are not recorded by this tape."""
        token = _state.push(tapes=_without(_state.current().tapes, self))
        try:
            yield
        finally:
            _state.pop(token)

    def reset(self):
        """Forget everything recorded so far (the tape stays active)."""
        self._records, self._watched, self._keep = [], set(), []
        self._variables, self._escaped, self._used = {}, [], False

    # ---- recording (called by dispatch) --------------------------------------
    def _record(self, op, args, attrs, out):
        w = self._watched
        for a in args:
            if id(a) in w:
                w.add(id(out))
                self._records.append(_Record(op, args, attrs, out))
                return

    def _record_read(self, var, t):
        w = self._watched
        if id(var) not in w:
            if not (self._watch_accessed and var.trainable):
                return
            self._watch_one(var)
        w.add(id(t))
        self._records.append(_Record(_READ, (var,), {}, t))

    def _note_escape(self, t):
        if id(t) in self._watched or (isinstance(t, Variable) and self._watch_accessed
                                      and t.trainable):
            self._escaped.append(t)

    def _watch_one(self, x):
        self._watched.add(id(x))
        self._keep.append(x)
        if isinstance(x, Variable):
            self._variables[id(x)] = x

    def watch(self, tensor):
        """Watch a tensor (or Variable, or a nested structure of them)."""
        for x in flatten(tensor)[0]:
            if not isinstance(x, (Tensor, Variable)):
                raise TypeError(f"GradientTape.watch: expected tensors or Variables, got "
                                f"{type(x).__name__}")
            if not _is_float(x):   # TF's warning; its gradients will be None
                warnings.warn("The dtype of the watched tensor must be floating (e.g. "
                              f"tf.float32), got tf.{x.dtype.name}", stacklevel=2)
            self._watch_one(x)

    def _target(self, t):
        """A Variable given as a target is read; the read is recorded on this tape even after
        the `with` block, so `gradient(v, v)` is 1 as in TF."""
        if not isinstance(t, Variable):
            return t
        r = t._read()
        if self not in _state.current().tapes:
            self._record_read(t, r)
        return r

    def watched_variables(self):
        """Variables watched so far, in the order first accessed."""
        return tuple(self._variables.values())

    # ---- gradients -----------------------------------------------------------
    def _check_use(self):
        if self._used and not self._persistent:
            raise RuntimeError("A non-persistent GradientTape can only be used to compute one set "
                               "of gradients (or jacobians); use GradientTape(persistent=True)")

    def _backward(self, targets, seeds, sources):
        st = _state.current()
        # the VJP ops are recorded by outer tapes only (higher order)
        token = _state.push(tapes=_without(st.tapes, self)) if self in st.tapes else None
        try:
            order = None
            if st.graph is not None:
                order = st.graph.adjoint_order_for(targets)
            return reverse.backward(self._records, targets, seeds, sources, order)
        finally:
            if token is not None:
                _state.pop(token)

    def gradient(self, target, sources, output_gradients=None,
                 unconnected_gradients="none", explain=False):
        """d(sum of targets)/d(sources), with the structure of `sources`.

        `unconnected_gradients` is 'none' (TF's default) or 'zero'; `explain=True` warns with the
        reason for every None gradient.
        """
        self._check_use()
        if (type(target) is Tensor and output_gradients is None and not explain
                and unconnected_gradients == "none" and isinstance(sources, _LEAF_TYPES)
                and _is_float(target) and _is_float(sources)):
            # Fast path for the common case: one eager target, one source, default options
            # (the general path below gives the same result, with structure and error handling).
            g, = self._backward([target], [_ones_seed(target)], [sources])
            self._used = True
            if not self._persistent:
                self._records = []
            return g
        ts, _ = flatten(target)
        srcs, rebuild = flatten(sources)
        for i, s in enumerate(srcs):
            if not isinstance(s, (Tensor, Variable)):
                raise TypeError(f"GradientTape.gradient: source {i} is a {type(s).__name__}, "
                                "expected a tensor or Variable")
        for i, t in enumerate(ts):
            if isinstance(t, Variable):
                t = ts[i] = self._target(t)
            if not isinstance(t, Tensor):
                raise TypeError(f"GradientTape.gradient: target {i} is a {type(t).__name__}")
        if output_gradients is None:
            seeds = list(map(_ones_seed, ts))
        else:
            gs = flatten(output_gradients)[0]
            if len(gs) != len(ts):
                raise ValueError(f"GradientTape.gradient: {len(gs)} output_gradients for "
                                 f"{len(ts)} targets")
            seeds = [to_tensor(g, t.dtype) for g, t in zip(gs, ts)]
            for i, (g, t) in enumerate(zip(seeds, ts)):
                if not shapes_agree("GradientTape.gradient", (g, t), g.shape, t.shape,
                                    f"output_gradients[{i}] must have target {i}'s shape"):
                    raise ValueError(f"GradientTape.gradient: output_gradients[{i}] has shape "
                                     f"{g.shape} but target {i} has shape {t.shape}")
        if unconnected_gradients not in ("none", "zero"):
            raise ValueError("unconnected_gradients must be 'none' or 'zero'")
        # as TF: integer/bool sources get None (watch warned), integer targets contribute nothing
        keep = [i for i, t in enumerate(ts) if _is_float(t)]
        grads = (self._backward([ts[i] for i in keep], [seeds[i] for i in keep], srcs) if keep
                 else [None] * len(srcs))
        grads = [g if _is_float(s) else None for g, s in zip(grads, srcs)]
        if explain:
            for s, g in zip(srcs, grads):
                if g is None:
                    warnings.warn("gradient is None: " + self._explain(ts, s), stacklevel=2)
        if unconnected_gradients == "zero":
            grads = [zeros_like(s) if g is None else g for s, g in zip(srcs, grads)]
        self._used = True
        if not self._persistent:
            self._records = []
        return rebuild(grads)

    def _explain(self, ts, s):
        if not _is_float(s):
            return (f"the source has dtype {s.dtype.name} (shape {s.shape}): gradients are only "
                    "defined for floating-point sources; cast it with "
                    "graphflow.cast(x, graphflow.float32) before the computation")
        reasons = [f"the target has dtype {t.dtype.name}: integer/bool targets carry no gradient"
                   if not _is_float(t) else
                   reverse.explain_none(self._records, t, s, self._watched, self._escaped,
                                        self._watch_accessed) for t in ts]
        reasons = [r for r in reasons if r]
        return reasons[0] if len(reasons) == len(ts) and reasons else "connected"

    def explain(self, target, sources):
        """For each source: None if the gradient is connected, else the reason it is None."""
        ts = [self._target(t) for t in flatten(target)[0]]
        srcs, rebuild = flatten(sources)
        out = []
        for s in srcs:
            r = self._explain(ts, s)
            out.append(None if r == "connected" else r)
        return rebuild(out)

    def jacobian(self, target, sources, unconnected_gradients="none", **_):
        """d target[i...] / d source[j...]: shape target.shape + source.shape."""
        self._check_use()
        if unconnected_gradients not in ("none", "zero"):
            raise ValueError("unconnected_gradients must be 'none' or 'zero'")
        srcs, rebuild = flatten(sources)
        t = self._target(target)
        n = int(np.prod(t.shape, dtype=np.int64))
        rows = [[] for _ in srcs]
        connected = [False] * len(srcs)
        for k in range(n):
            e = np.zeros(n, t.dtype.np)
            e[k] = 1
            seed = convert_to_tensor(e.reshape(tuple(t.shape)))
            gs = self._backward([t], [seed], srcs)
            for j, (s, g) in enumerate(zip(srcs, gs)):
                connected[j] = connected[j] or g is not None
                rows[j].append(zeros_like(s) if g is None else g)
        self._used = True
        out = []
        for s, r, c in zip(srcs, rows, connected):
            if n == 0 or (not c and unconnected_gradients == "none"):
                out.append(None)
                continue
            j = reshape(stack(r), tuple(t.shape) + tuple(s.shape))
            out.append(j)
        if not self._persistent:
            self._records = []
        return rebuild(out)

    def batch_jacobian(self, target, source, unconnected_gradients="none", **_):
        """Per-example Jacobians: target (b, ...) and source (b, ...) -> (b, t..., s...)."""
        self._check_use()
        t = self._target(target)
        b = t.shape[0]
        inner = tuple(t.shape[1:])
        m = int(np.prod(inner, dtype=np.int64))
        cols, connected = [], False
        for k in range(m):   # examples are independent: one backward pass per target element
            e = np.zeros((b, m), t.dtype.np)
            e[:, k] = 1
            g, = self._backward([t], [convert_to_tensor(e.reshape((b,) + inner))], [source])
            connected = connected or g is not None
            cols.append(zeros_like(source) if g is None else g)
        self._used = True
        if not connected and unconnected_gradients == "none":
            if not self._persistent:
                self._records = []
            return None
        j = stack(cols, axis=1)
        if not self._persistent:
            self._records = []
        return reshape(j, (b,) + inner + tuple(source.shape[1:]))
