"""TensorFlow-style error classes (subclass the matching Python builtins so `except ValueError`
works), and `user_source`: the user's line that errors name."""
import os
import sys

_PKG_DIR = os.path.dirname(os.path.abspath(__file__))


def user_source(skip_pkg=True):
    """file:line of the innermost stack frame outside the graphflow package.

    >>> user_source().startswith("<doctest")
    True
    """
    f = sys._getframe(1)
    while f is not None:
        fn = f.f_code.co_filename
        if not (skip_pkg and os.path.abspath(fn).startswith(_PKG_DIR)):
            return f"{os.path.basename(fn)}:{f.f_lineno}"
        f = f.f_back
    return "?"


_APP_DIRS = tuple(os.path.join(_PKG_DIR, d) + os.sep for d in ("keras", "distribute", "data"))


def library_frame():
    """'file:line Qual.name' of the innermost stack frame in graphflow's application packages
    (keras, distribute, data) -- e.g. ``layers.py:120 Dense.call`` for a node a Keras layer
    adds -- or None outside them. Node sources keep it beside the user's line.

    >>> library_frame() is None
    True
    """
    f = sys._getframe(1)
    while f is not None:
        fn = f.f_code.co_filename
        if fn.startswith(_APP_DIRS):
            name = getattr(f.f_code, "co_qualname", f.f_code.co_name)
            return f"{os.path.basename(fn)}:{f.f_lineno} {name}"
        f = f.f_back
    return None


class OpError(Exception):
    """Base of graphflow's op errors."""


class InvalidArgumentError(OpError, ValueError):
    """An op got inputs of incompatible shapes, dtypes or values."""


class LeakedTensorError(InvalidArgumentError, TypeError):
    """A symbolic tensor of one traced function used in another (also a TypeError, which TF
    raises there and its function guide catches)."""


class ArgumentMismatchError(InvalidArgumentError, TypeError):
    """A concrete function called with a tensor of another dtype or shape than it was traced
    for (TF raises InvalidArgumentError; also a TypeError, as graphflow raised before)."""


class DTypeConversionError(InvalidArgumentError, TypeError):
    """A value that cannot take the requested dtype, e.g. the Python float 2.0 as int32 (TF
    raises TypeError there; also an InvalidArgumentError, as graphflow raised before)."""


class UnimplementedError(OpError, NotImplementedError):
    """An op or option graphflow does not implement."""


class GraphError(Exception):
    """A graph breaks an IR invariant (raised by `graphflow.graph.verify`, also under -O)."""


class DeadlineExceededError(OpError, TimeoutError):
    """An operation did not finish in time (a collective whose peers died or hang)."""


class NotFoundError(OpError, FileNotFoundError):
    """A file or other named entity does not exist (TF's `tf.errors.NotFoundError`)."""


class DataLossError(OpError):
    """Unrecoverable data corruption, e.g. a TFRecord whose checksum does not match."""


class OutOfRangeError(OpError, IndexError):
    """Iteration past the end of the input (TF's `tf.errors.OutOfRangeError`)."""
