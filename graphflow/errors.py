"""TensorFlow-style error classes (subclass the matching Python builtins so `except ValueError` works)."""


class OpError(Exception):
    """Base of graphflow's op errors."""


class InvalidArgumentError(OpError, ValueError):
    """An op got inputs of incompatible shapes, dtypes or values."""


class UnimplementedError(OpError, NotImplementedError):
    """An op or option graphflow does not implement."""


class GraphError(Exception):
    """A graph breaks an IR invariant (raised by `graphflow.graph.verify`, also under -O)."""
