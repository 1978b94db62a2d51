"""The one dispatch: every op application goes through `bind`, in eager mode and while tracing.

eager:   check the shape/dtype rule, run the numpy impl, wrap a Tensor, record on active tapes;
tracing: add a node to the graph being built and return a symbolic tensor (recorded on tapes too,
         which is how `GradientTape` inside `@function` turns into the graph gradient pass).
"""
from .ops.registry import op_error
from .errors import InvalidArgumentError


class _State:
    __slots__ = ("graph", "tapes", "adjoint")

    def __init__(self):
        self.graph = None     # GraphBuilder while tracing, else None
        self.tapes = []       # active GradientTapes, innermost last
        self.adjoint = None   # (order, forward node id) tag while a VJP emits graph nodes


STATE = _State()


def bind(op, args, attrs):
    """Apply primitive `op` to Tensors `args` with static `attrs`; returns a Tensor."""
    g = STATE.graph
    if g is not None:
        out = g.add_op(op, args, attrs)
    else:
        vals = [a._value for a in args]
        op.rule(*vals, **attrs)  # raises a clear InvalidArgumentError naming op, shapes, dtypes
        try:
            val = op.impl(*vals, **attrs)
        except InvalidArgumentError:
            raise
        except Exception as e:  # a numpy error the rule did not foresee: still name the op
            raise op_error(op.name, vals, str(e)) from None
        out = Tensor._wrap(val)
    if STATE.tapes:
        for tape in STATE.tapes:
            tape._record(op, args, attrs, out)
    return out


Tensor = None  # set by tensor.py (which imports STATE from here)
