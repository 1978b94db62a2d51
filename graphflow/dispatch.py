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
or Variables, eager, with tapes recording it as `bind` would) and `wrap`.
"""
from operator import attrgetter

from . import state as _state
from .errors import InvalidArgumentError
from .blas_threads import SINGLE_BLAS, busy_now
from .ops.registry import OPS, op_error, runs_blas
from .tensor import Tensor, Variable, convert_args

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
            if runs_blas(op) and busy_now():
                with SINGLE_BLAS:   # no idle core: more BLAS threads only wait (see blas_threads)
                    val = op.impl(*vals, **attrs)
            else:
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

    Fast path: two eager Tensors (or Variables, read first as `convert_args` would) of the same
    float dtype run `pyop` (Python's operator: identical to the ufunc on arrays, and numpy's
    cheap scalar math on 0-d values) and skip conversion and rule lookup; active tapes and
    forward accumulators record the application just as `bind` would hand it to them. Anything
    else - tracing, numerics checks, broadcasting errors, conversions - takes the full `bind`.
    """
    op = OPS[name]

    def api(x, y, name=None):
        st = _current()
        if st.graph is None and not NUMERICS_CHECKS:
            if type(x) is Variable:   # eager read (recorded by the tapes), as convert_args does
                x = x._read()
            if type(y) is Variable:
                y = y._read()
            if type(x) is Tensor and type(y) is Tensor:
                xv, yv = x._value, y._value
                if xv.dtype is yv.dtype and xv.dtype.kind == "f":
                    try:
                        val = pyop(xv, yv)
                    except ValueError:   # e.g. shapes that do not broadcast: bind says so
                        pass
                    else:
                        r = _new(Tensor)
                        r._value = val
                        for rec in st.tapes:   # recorders see it exactly as through bind
                            rec._record(op, [x, y], NO_ATTRS, r)
                        return r
        return bind(op, convert_args(x, y, op=op.name), NO_ATTRS)
    api.__name__ = api.__qualname__ = op.name
    api.__doc__ = doc
    return api
