"""The one dispatch: every op application goes through `bind`.

`bind(op, args, attrs)` hands the primitive to the current interpreter of this thread's trace
state (`graphflow.state`):

* eager (no graph being built): check the op's shape/dtype rule (a passed check is
  remembered per shapes/dtypes), run its numpy impl, wrap a Tensor;
* graph building (`state.graph`, a GraphBuilder): add a node, return a symbolic tensor.

Then every recorder of the state sees the application (outermost first): GradientTapes record
it (which is how a tape inside `@function` becomes the graph gradient pass), ForwardAccumulators
compute the output's tangent with the op's JVP rule. A recorder pauses itself while it runs its
own rules, so only the others see those ops (nesting gives higher orders).

The eager fast paths live here too: `binary_operator` (`a + b` on two same-dtype float tensors
with nothing recording) and `wrap`.
"""
from operator import attrgetter

from . import state as _state
from .errors import InvalidArgumentError
from .ops.registry import OPS, op_error
from .tensor import Tensor, convert_args

_value_of = attrgetter("_value")
_new = object.__new__
_current = _state.current
_RULE_OK = set()   # (op, shape, dtype, ...) signatures of attribute-free ops whose rule passed
NO_ATTRS = {}
#: Numerics checkers (graphflow.debugging.enable_check_numerics appends one; empty = off): each
#: is called as `check(op, input_values, output_value)` after every eager op, and graph executors
#: check every node's output while this list is non-empty.
NUMERICS_CHECKS = []


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


def wrap(value):
    """An eager Tensor holding `value` (a numpy array, or a numpy scalar for 0-d)."""
    out = _new(Tensor)
    out._value = value
    return out


def bind(op, args, attrs):
    """Apply primitive `op` to Tensors `args` with static `attrs`; returns a Tensor."""
    st = _current()
    g = st.graph
    if g is not None:
        out = g.add_op(op, args, attrs)
    else:   # the eager interpreter, inline: it is the hot path of every eager op
        vals = list(map(_value_of, args))
        if attrs or not _rule_passed(op, vals):
            op.rule(*vals, **attrs)
        try:
            val = op.impl(*vals, **attrs) if attrs else op.impl(*vals)
        except InvalidArgumentError:
            raise
        except Exception as e:   # a numpy error the rule did not foresee: still name the op
            raise op_error(op.name, vals, str(e)) from None
        if NUMERICS_CHECKS:
            NUMERICS_CHECKS[0](op, vals, val)
        out = _new(Tensor)
        out._value = val
    for rec in st.tapes:
        rec._record(op, args, attrs, out)
    return out


def binary_operator(name, pyop, doc=None):
    """The public function of binary op `name` (`graphflow.add`, `Tensor.__add__`, ...).

    Fast path: two eager Tensors of the same float dtype with nothing recording run `pyop`
    (Python's operator: identical to the ufunc on arrays, and numpy's cheap scalar math on 0-d
    values) and skip conversion and rule lookup; anything else - tapes, tracing, broadcasting
    errors, conversions - takes the full `bind`.
    """
    op = OPS[name]

    def api(x, y, name=None):
        if type(x) is Tensor and type(y) is Tensor and _current().idle and not NUMERICS_CHECKS:
            xv, yv = x._value, y._value
            if xv.dtype is yv.dtype and xv.dtype.kind == "f":
                try:
                    r = _new(Tensor)
                    r._value = pyop(xv, yv)
                    return r
                except ValueError:
                    pass
        return bind(op, convert_args(x, y, op=op.name), NO_ATTRS)
    api.__name__ = api.__qualname__ = op.name
    api.__doc__ = doc
    return api
