"""GradientTape: records eager (or traced) op applications and runs the shared autodiff core.

>>> import graphflow as tf
>>> x = tf.Variable(3.0)
>>> with tf.GradientTape() as tape:
...     y = tf.square(x)
>>> tape.gradient(y, x).numpy()
6.0
"""
import contextlib
import warnings

from . import autodiff
from .dispatch import STATE
from .errors import InvalidArgumentError
from .tensor import Tensor, Variable


def _flatten(x):
    """Nested list/tuple/dict -> (leaves, rebuild function)."""
    if isinstance(x, dict):
        keys = list(x)
        parts = [_flatten(x[k]) for k in keys]
        sizes = [len(p[0]) for p in parts]

        def rebuild(leaves):
            out, i = {}, 0
            for k, (_, rb), n in zip(keys, parts, sizes):
                out[k] = rb(leaves[i:i + n])
                i += n
            return type(x)(out) if type(x) is not dict else out
        return [l for p in parts for l in p[0]], rebuild
    if isinstance(x, (list, tuple)):
        parts = [_flatten(v) for v in x]
        sizes = [len(p[0]) for p in parts]

        def rebuild(leaves):
            out, i = [], 0
            for (_, rb), n in zip(parts, sizes):
                out.append(rb(leaves[i:i + n]))
                i += n
            return type(x)(out) if not hasattr(x, "_fields") else type(x)(*out)
        return [l for p in parts for l in p[0]], rebuild
    return [x], lambda leaves: leaves[0]


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

    # ---- context -------------------------------------------------------------
    def __enter__(self):
        STATE.tapes.append(self)
        self._active = True
        return self

    def __exit__(self, *exc):
        self._pause()
        self._active = False
        return False

    def _pause(self):
        if self in STATE.tapes:
            STATE.tapes.remove(self)

    @contextlib.contextmanager
    def stop_recording(self):
        """Ops inside this block are not recorded by this tape."""
        was = self in STATE.tapes
        self._pause()
        try:
            yield
        finally:
            if was:
                STATE.tapes.append(self)

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
                self._records.append(autodiff.Record(op, args, attrs, out))
                return

    def _record_read(self, var, t):
        vid = id(var)
        if vid not in self._watched:
            if not (self._watch_accessed and var.trainable):
                return
            self._watch_one(var)
        self._watched.add(id(t))
        self._records.append(autodiff.Record(autodiff.READ, (var,), {}, t))

    def _note_escape(self, t):
        if id(t) in self._watched:
            self._escaped.append(t)

    def _watch_one(self, x):
        self._watched.add(id(x))
        self._keep.append(x)
        if isinstance(x, Variable):
            self._variables[id(x)] = x

    def watch(self, tensor):
        """Watch a tensor (or Variable, or a nested structure of them)."""
        for x in _flatten(tensor)[0]:
            if not isinstance(x, (Tensor, Variable)):
                raise TypeError(f"GradientTape.watch: expected tensors or Variables, got "
                                f"{type(x).__name__}")
            self._watch_one(x)

    def watched_variables(self):
        """Variables watched so far, in the order first accessed."""
        return tuple(self._variables.values())

    # ---- gradients -----------------------------------------------------------
    def _check_use(self):
        if self._used and not self._persistent:
            raise RuntimeError("A non-persistent GradientTape can only be used to compute one set "
                               "of gradients (or jacobians); use GradientTape(persistent=True)")

    def _backward(self, targets, seeds, sources):
        was = self in STATE.tapes
        self._pause()   # the VJP ops are recorded by outer tapes only (that is higher order)
        try:
            order = None
            if STATE.graph is not None:
                order = STATE.graph.adjoint_order_for(targets)
            return autodiff.backward(self._records, targets, seeds, sources, order)
        finally:
            if was:
                STATE.tapes.append(self)

    def gradient(self, target, sources, output_gradients=None,
                 unconnected_gradients="none", explain=False):
        """d(sum of targets)/d(sources), with the structure of `sources`.

        `unconnected_gradients` is 'none' (TF's default) or 'zero'; `explain=True` warns with the
        reason for every None gradient.
        """
        from .ops.math_ops import ones_like, zeros_like
        from .ops.convert import to_tensor
        self._check_use()
        ts, _ = _flatten(target)
        srcs, rebuild = _flatten(sources)
        for i, s in enumerate(srcs):
            if not isinstance(s, (Tensor, Variable)):
                raise TypeError(f"GradientTape.gradient: source {i} is a {type(s).__name__}, "
                                "expected a tensor or Variable")
            if not s.dtype.is_floating:
                raise InvalidArgumentError(
                    f"GradientTape.gradient: source {i} has dtype {s.dtype.name} (shape "
                    f"{s.shape}); gradients are only defined for floating-point sources. "
                    "Cast it with graphflow.cast(x, graphflow.float32) before the computation.")
        ts = [t._read() if isinstance(t, Variable) else t for t in ts]
        for i, t in enumerate(ts):
            if not isinstance(t, Tensor):
                raise TypeError(f"GradientTape.gradient: target {i} is a {type(t).__name__}")
            if not t.dtype.is_floating:
                raise InvalidArgumentError(f"GradientTape.gradient: target {i} has dtype "
                                           f"{t.dtype.name}; it must be a float tensor")
        if output_gradients is None:
            seeds = [ones_like(t) for t in ts]
        else:
            seeds = [to_tensor(g, t.dtype) for g, t in zip(_flatten(output_gradients)[0], ts)]
        if unconnected_gradients not in ("none", "zero"):
            raise ValueError("unconnected_gradients must be 'none' or 'zero'")
        grads = self._backward(ts, seeds, srcs)
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
        reasons = [autodiff.explain_none(self._records, t, s, self._watched, self._escaped)
                   for t in ts]
        reasons = [r for r in reasons if r]
        return reasons[0] if len(reasons) == len(ts) and reasons else "connected"

    def explain(self, target, sources):
        """For each source: None if the gradient is connected, else the reason it is None."""
        ts = [t._read() if isinstance(t, Variable) else t for t in _flatten(target)[0]]
        srcs, rebuild = _flatten(sources)
        out = []
        for s in srcs:
            r = self._explain(ts, s)
            out.append(None if r == "connected" else r)
        return rebuild(out)

    def jacobian(self, target, sources, unconnected_gradients="none", **_):
        """d target[i...] / d source[j...]: shape target.shape + source.shape."""
        from .ops.shape_ops import reshape, stack
        from .ops.math_ops import zeros_like
        from .tensor import convert_to_tensor
        import numpy as np
        self._check_use()
        srcs, rebuild = _flatten(sources)
        t = target._read() if isinstance(target, Variable) else target
        n = int(np.prod(t.shape, dtype=np.int64))
        rows = [[] for _ in srcs]
        for k in range(n):
            e = np.zeros(n, t.dtype.np)
            e[k] = 1
            seed = convert_to_tensor(e.reshape(tuple(t.shape)))
            gs = self._backward([t], [seed], srcs)
            for j, (s, g) in enumerate(zip(srcs, gs)):
                rows[j].append(zeros_like(s) if g is None else g)
        self._used = True
        out = []
        for s, r in zip(srcs, rows):
            if n == 0:
                out.append(None)
                continue
            j = reshape(stack(r), tuple(t.shape) + tuple(s.shape))
            out.append(j)
        if not self._persistent:
            self._records = []
        return rebuild(out)

    def batch_jacobian(self, target, source, unconnected_gradients="none", **_):
        """Per-example Jacobians: target (b, ...) and source (b, ...) -> (b, t..., s...)."""
        from .ops.shape_ops import reshape, stack
        from .ops.math_ops import zeros_like
        from .tensor import convert_to_tensor
        import numpy as np
        self._check_use()
        t = target._read() if isinstance(target, Variable) else target
        b = t.shape[0]
        inner = tuple(t.shape[1:])
        m = int(np.prod(inner, dtype=np.int64))
        cols = []
        for k in range(m):   # examples are independent: one backward pass per target element
            e = np.zeros((b, m), t.dtype.np)
            e[:, k] = 1
            g, = self._backward([t], [convert_to_tensor(e.reshape((b,) + inner))], [source])
            cols.append(zeros_like(source) if g is None else g)
        self._used = True
        j = stack(cols, axis=1)
        if not self._persistent:
            self._records = []
        return reshape(j, (b,) + inner + tuple(source.shape[1:]))
