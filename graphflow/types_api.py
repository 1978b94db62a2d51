"""`tf.types.experimental`'s abstract types that user code subclasses or checks against:
`TraceType` (what a value contributes to a tf.function's trace key; the "Better performance
with tf.function" guide's custom FruitTraceType subclasses it), `SupportsTracingProtocol`,
`TracingContext`, `TensorLike`, and `Callable`. The function classes (`GenericFunction`,
`PolymorphicFunction`, `ConcreteFunction`) are graphflow's, added by the package.

>>> import graphflow as tf
>>> class Tag(tf.types.experimental.TraceType):
...     def __init__(self, v): self.v = v
...     def is_subtype_of(self, other): return self == other
...     def most_specific_common_supertype(self, others):
...         return self if all(self == o for o in others) else None
...     def placeholder_value(self, placeholder_context=None): return self.v
...     def __eq__(self, other): return isinstance(other, Tag) and other.v == self.v
...     def __hash__(self): return hash(self.v)
>>> Tag(1).is_subtype_of(Tag(1)), isinstance(tf.constant(1.), tf.types.experimental.TensorLike)
(True, True)
"""
import abc
import typing

import numpy as np

from .tensor import Tensor, Variable

__all__ = ["TraceType", "SupportsTracingProtocol", "TracingContext", "TensorLike", "Callable"]


class TraceType(abc.ABC):
    """TF's abstract trace type: a value's part of a trace key. Subclasses say when one type
    may use another's trace (`is_subtype_of`), the narrowest type covering several
    (`most_specific_common_supertype`), the value a trace sees (`placeholder_value`), and are
    hashable and comparable."""

    @abc.abstractmethod
    def is_subtype_of(self, other):
        """True if a trace made for `other` serves values of this type."""

    @abc.abstractmethod
    def most_specific_common_supertype(self, others):
        """The narrowest TraceType that this one and `others` are subtypes of (or None)."""

    def placeholder_value(self, placeholder_context=None):
        """The value the traced function sees for an argument of this type."""
        raise NotImplementedError(f"{type(self).__name__}.placeholder_value")

    @abc.abstractmethod
    def __eq__(self, other):
        """Equal trace types share a trace."""

    @abc.abstractmethod
    def __hash__(self):
        """Trace types are dict keys."""


@typing.runtime_checkable
class SupportsTracingProtocol(typing.Protocol):
    """A value that names its own TraceType (`__tf_tracing_type__(context)`)."""

    def __tf_tracing_type__(self, context):
        ...


class TracingContext:
    """What `__tf_tracing_type__` receives (TF's tracing context)."""


class _TensorLikeMeta(type):
    def __instancecheck__(cls, x):
        return isinstance(x, (Tensor, Variable, np.ndarray, np.generic, int, float, bool, str,
                              bytes, complex))


class TensorLike(metaclass=_TensorLikeMeta):
    """`isinstance(x, TensorLike)`: x converts to a tensor directly (a Tensor, Variable, numpy
    value or Python scalar / string), as TF's TensorLike union."""


Callable = typing.Callable
