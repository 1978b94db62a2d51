"""Per-thread (and per-asyncio-task) trace state: which interpreter runs ops, and who watches.

The state is an immutable `TraceState` held in a `contextvars.ContextVar`: every thread starts
with the idle eager state, and asyncio tasks get their own copy, so one thread tracing a
`@function` never captures another thread's eager ops. Changes replace the whole state
(`push`/`pop` with a token, or `swap` for out-of-order exits such as a tape's `__exit__`).

Fields
    graph      the GraphBuilder that `bind` adds nodes to while tracing (None: eager)
    tapes      recorders watching every op, outermost first: GradientTapes and
               ForwardAccumulators (each pauses itself while it runs its own rules)
    adjoint    (order, forward node) tag for graph nodes a VJP/JVP emits, or None
    scope      the name scope path (tuple of str), recorded on every graph node
    idle       True when eager with no recorders: the operators' fast path may run

>>> current().idle
True
"""
import contextlib
import contextvars

__all__ = ["TraceState", "current", "push", "pop", "swap", "using", "IDLE"]


_new = object.__new__


class TraceState:
    __slots__ = ("graph", "tapes", "adjoint", "scope", "idle")

    def __init__(self, graph=None, tapes=(), adjoint=None, scope=()):
        self.graph, self.tapes, self.adjoint, self.scope = graph, tuple(tapes), adjoint, scope
        self.idle = graph is None and not self.tapes

    def replace(self, **changes):
        """A copy with some fields changed."""
        get = changes.get
        return TraceState(get("graph", self.graph), get("tapes", self.tapes),
                          get("adjoint", self.adjoint), get("scope", self.scope))

    def with_tapes(self, tapes):
        """A copy with other recorders (a tuple). The hot case - every GradientTape enters and
        leaves - so it skips __init__."""
        s = _new(TraceState)
        s.graph, s.tapes, s.adjoint, s.scope = self.graph, tapes, self.adjoint, self.scope
        s.idle = self.graph is None and not tapes
        return s

    def __repr__(self):
        return (f"TraceState(graph={self.graph!r}, tapes={len(self.tapes)}, "
                f"adjoint={self.adjoint}, scope={'/'.join(self.scope)!r})")


IDLE = TraceState()
_VAR = contextvars.ContextVar("graphflow_trace_state", default=IDLE)

#: The calling thread's (or task's) TraceState.
current = _VAR.get


def push(**changes):
    """Replace fields of the current state; returns a token for `pop` (strictly nested use)."""
    return _VAR.set(_VAR.get().replace(**changes))


def pop(token):
    """Restore the state from before the `push` that returned `token`."""
    _VAR.reset(token)


#: Make a state current without restoring it later (for exits that need not be strictly
#: nested, like a tape's); the ContextVar's own `set`, so no Python frame on the tape hot path.
swap = _VAR.set


@contextlib.contextmanager
def using(**changes):
    """Run a block with some fields of the state replaced.

    >>> with using(scope=("dense",)):
    ...     current().scope
    ('dense',)
    """
    token = push(**changes)
    try:
        yield current()
    finally:
        pop(token)


class name_scope:
    """TF's `tf.name_scope(name)`: graph nodes created inside record the scope path.

    >>> with name_scope("model"):
    ...     with name_scope("dense") as s:
    ...         s, current().scope
    ('model/dense/', ('model', 'dense'))
    """

    def __init__(self, name, default_name=None, values=None):
        name = name or default_name
        if not isinstance(name, str) or not name or "/" in name.strip("/"):
            raise ValueError(f"name_scope: invalid scope name {name!r} (a non-empty string "
                             "without '/')")
        self.name = name.strip("/")
        self._tokens = []

    def __enter__(self):
        scope = current().scope + (self.name,)
        self._tokens.append(push(scope=scope))
        return "/".join(scope) + "/"

    def __exit__(self, *exc):
        pop(self._tokens.pop())
        return False
