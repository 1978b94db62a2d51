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
import types as _types

from .api import convert, convert_cached, do_not_convert, report, to_code
from .tensor_array import TensorArray

experimental = _types.SimpleNamespace(do_not_convert=do_not_convert)

__all__ = ["convert", "convert_cached", "do_not_convert", "report", "to_code", "TensorArray",
           "experimental"]
