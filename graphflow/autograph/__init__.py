"""AutoGraph: Python `if`/`while`/`for` on tensors inside `@function` become graph control flow.

`@graphflow.function` converts the decorated function (and the user functions it calls) from
source, like TF: a condition that is a traced tensor builds `cond` / `while_loop` nodes, a
Python condition runs as Python at trace time. `autograph=False` or `do_not_convert` opt out.

>>> import graphflow as tf
>>> @tf.function
... def collatz_steps(n):
...     steps = 0
...     while n > 1:
...         n = n // 2 if n % 2 == 0 else 3 * n + 1
...         steps += 1
...     return steps
>>> int(collatz_steps(tf.constant(27)))
111
"""
import enum as _enum
import types as _types

from .api import convert, convert_cached, do_not_convert, report, to_code
from .operators import set_loop_options, with_builtin_functions
from .tensor_array import TensorArray
from . import map_loop  # noqa: F401  (map_fn over run-time lengths: OPERATORS['map_fn_loop'])
from . import scan_loop  # noqa: F401  (scan/fold over run-time lengths: OPERATORS['scan_loop'])


class Feature(_enum.Enum):
    """AutoGraph's optional features (`tf.autograph.experimental.Feature`). graphflow acts on
    BUILTIN_FUNCTIONS (`print` with tensor arguments prints at run time, as `tf.print`) and
    ALL; the others are accepted (their conversions are always on or have no counterpart).
    """
    ALL = "ALL"
    AUTO_CONTROL_DEPS = "AUTO_CONTROL_DEPS"
    ASSERT_STATEMENTS = "ASSERT_STATEMENTS"
    BUILTIN_FUNCTIONS = "BUILTIN_FUNCTIONS"
    EQUALITY_OPERATORS = "EQUALITY_OPERATORS"
    LISTS = "LISTS"
    NAME_SCOPES = "NAME_SCOPES"


def uses_builtin_functions(options):
    """True if `experimental_autograph_options` (a Feature or a tuple of them) turns on
    BUILTIN_FUNCTIONS.

    >>> uses_builtin_functions((Feature.LISTS,)), uses_builtin_functions(Feature.ALL)
    (False, True)
    """
    opts = options if isinstance(options, (tuple, list, set)) else (options,)
    return any(o in (Feature.ALL, Feature.BUILTIN_FUNCTIONS) for o in opts)


experimental = _types.SimpleNamespace(do_not_convert=do_not_convert, Feature=Feature,
                                      set_loop_options=set_loop_options)

__all__ = ["convert", "convert_cached", "do_not_convert", "report", "to_code", "TensorArray",
           "experimental", "Feature", "uses_builtin_functions", "with_builtin_functions"]
