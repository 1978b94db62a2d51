"""The one dispatch: every op application goes through `bind`, in eager mode and while tracing.

eager:   check the shape/dtype rule, run the numpy impl, wrap a Tensor, record on active tapes;
tracing: add a node to the graph being built and return a symbolic tensor (recorded on tapes too,
         which is how `GradientTape` inside `@function` turns into the graph gradient pass).
"""
from operator import attrgetter

from .ops.registry import op_error
from .errors import InvalidArgumentError


class _State:
    __slots__ = ("graph", "tapes", "adjoint")

    def __init__(self):
        self.graph = None     # GraphBuilder while tracing, else None
        self.tapes = []       # active GradientTapes, innermost last
        self.adjoint = None   # (order, forward node id) tag while a VJP emits graph nodes


STATE = _State()


_value_of = attrgetter("_value")
_new = object.__new__
_RULE_OK = set()   # (op, shape, dtype, ...) signatures of attribute-free ops whose rule passed


def _rule_passed(op, vals):
    """True if `op`'s rule already accepted inputs of these shapes/dtypes (rules are pure
    functions of shapes, dtypes and attrs); otherwise run it once and remember success.
    Only for 1- and 2-input ops without attrs (the eager hot path); caps the cache size."""
    try:
        if len(vals) == 2:
            a, b = vals
            key = (op, a.shape, a.dtype, b.shape, b.dtype)
        elif len(vals) == 1:
            a, = vals
            key = (op, a.shape, a.dtype)
        else:
            return False
    except AttributeError:   # not a numpy value: always run the rule
        return False
    if key in _RULE_OK:
        return True
    op.rule(*vals)
    if len(_RULE_OK) >= 4096:
        _RULE_OK.clear()
    _RULE_OK.add(key)
    return True


def bind(op, args, attrs):
    """Apply primitive `op` to Tensors `args` with static `attrs`; returns a Tensor."""
    g = STATE.graph
    if g is not None:
        out = g.add_op(op, args, attrs)
    else:
        vals = list(map(_value_of, args))
        if attrs or not _rule_passed(op, vals):
            op.rule(*vals, **attrs)  # raises a clear InvalidArgumentError naming op, shapes, dtypes
        try:
            val = op.impl(*vals, **attrs) if attrs else op.impl(*vals)
        except InvalidArgumentError:
            raise
        except Exception as e:  # a numpy error the rule did not foresee: still name the op
            raise op_error(op.name, vals, str(e)) from None
        out = _new(Tensor)   # = Tensor._wrap(val), inlined
        out._value = val
    if STATE.tapes:
        for tape in STATE.tapes:
            tape._record(op, args, attrs, out)
    return out


Tensor = None  # set by tensor.py (which imports STATE from here)
