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
        if not (skip_pkg and _in_package(fn)):
            return f"{os.path.basename(fn)}:{f.f_lineno}"
        f = f.f_back
    return "?"


_IN_PACKAGE = {}


def _in_package(filename):
    """Whether code from `filename` is graphflow's own, memoized per absolute file name: every
    traced node asks for its user's line (~7 frames each; `os.path.abspath` per frame was a
    quarter of the MLP step's trace)."""
    inside = _IN_PACKAGE.get(filename)
    if inside is None:
        inside = os.path.abspath(filename).startswith(_PKG_DIR)
        if os.path.isabs(filename):     # (a relative name depends on the working directory)
            if len(_IN_PACKAGE) >= 4096:    # (bounded: generated code may name many files)
                _IN_PACKAGE.clear()
            _IN_PACKAGE[filename] = inside
    return inside


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


#: TF's error codes (`tf.errors.OK` ... `tf.errors.UNAUTHENTICATED`, the gRPC status numbers)
(OK, CANCELLED, UNKNOWN, INVALID_ARGUMENT, DEADLINE_EXCEEDED, NOT_FOUND, ALREADY_EXISTS,
 PERMISSION_DENIED, RESOURCE_EXHAUSTED, FAILED_PRECONDITION, ABORTED, OUT_OF_RANGE, UNIMPLEMENTED,
 INTERNAL, UNAVAILABLE, DATA_LOSS, UNAUTHENTICATED) = range(17)
ERROR_CODES = ("OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
               "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
               "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
               "UNAUTHENTICATED")


class OpError(Exception):
    """Base of graphflow's op errors, with TF's attributes `message`, `error_code`, `node_def`
    and `op`. Constructed either TF's way, ``OpError(node_def, op, message, error_code)`` (a
    subclass: ``InvalidArgumentError(node_def, op, message)``), or graphflow's way with just the
    message, ``InvalidArgumentError("message")``.

    >>> e = InvalidArgumentError(None, None, "bad shape")
    >>> str(e), e.message, e.error_code, e.node_def, e.op
    ('bad shape', 'bad shape', 3, None, None)
    >>> OpError(None, None, "m", ABORTED).error_code
    10
    """
    code = UNKNOWN

    def __init__(self, *args, **kwargs):
        if len(args) >= 3 or kwargs:   # TF's signature: node_def, op, message[, error_code]
            names = ("node_def", "op", "message", "error_code")
            vals = dict(zip(names, args), **kwargs)
            self._node_def, self._op = vals.get("node_def"), vals.get("op")
            self._message = vals.get("message", "")
            code = vals.get("error_code") if type(self) is OpError else None
        else:
            self._node_def = self._op = None
            self._message = str(args[0]) if args else ""
            code = None
        self._error_code = type(self).code if code is None else int(code)
        Exception.__init__(self, self._message)

    def __str__(self):
        return self._message

    @property
    def message(self):
        """The error message."""
        return self._message

    @property
    def error_code(self):
        """TF's integer error code (`tf.errors.INVALID_ARGUMENT` is 3, ...)."""
        return self._error_code

    @property
    def node_def(self):
        """The failing node's definition (None: graphflow names the node in the message)."""
        return self._node_def

    @property
    def op(self):
        """The failing op (None when not known)."""
        return self._op


class InvalidArgumentError(OpError, ValueError):
    """An op got inputs of incompatible shapes, dtypes or values."""
    code = INVALID_ARGUMENT


class LeakedTensorError(InvalidArgumentError, TypeError):
    """A symbolic tensor of one traced function used in another (also a TypeError, which TF
    raises there and its function guide catches)."""


class ArgumentMismatchError(InvalidArgumentError, TypeError):
    """A concrete function called with a tensor of another dtype or shape than it was traced
    for (TF raises InvalidArgumentError; also a TypeError, as graphflow raised before)."""


class DTypeMismatchError(InvalidArgumentError, TypeError):
    """Operands of different dtypes, e.g. int32 + float32: TF raises InvalidArgumentError
    eagerly and TypeError while tracing; this is both. Its name is InvalidArgumentError (what
    scripts printing `type(e).__name__` print on TF, eagerly)."""

    def __reduce__(self):   # (pickled by that name: as the base class)
        return InvalidArgumentError, (self.message,)


DTypeMismatchError.__name__ = DTypeMismatchError.__qualname__ = "InvalidArgumentError"


class DTypeConversionError(InvalidArgumentError, TypeError):
    """A value that cannot take the requested dtype, e.g. the Python float 2.0 as int32 (TF
    raises TypeError there; also an InvalidArgumentError, as graphflow raised before)."""


class UnimplementedError(OpError, NotImplementedError):
    """An op or option graphflow does not implement."""
    code = UNIMPLEMENTED


class GraphError(Exception):
    """A graph breaks an IR invariant (raised by `graphflow.graph.verify`, also under -O)."""


class DeadlineExceededError(OpError, TimeoutError):
    """An operation did not finish in time (a collective whose peers died or hang)."""
    code = DEADLINE_EXCEEDED


class NotFoundError(OpError, FileNotFoundError):
    """A file or other named entity does not exist (TF's `tf.errors.NotFoundError`)."""
    code = NOT_FOUND


class DataLossError(OpError):
    """Unrecoverable data corruption, e.g. a TFRecord whose checksum does not match."""
    code = DATA_LOSS


class OutOfRangeError(OpError, IndexError):
    """Iteration past the end of the input (TF's `tf.errors.OutOfRangeError`)."""
    code = OUT_OF_RANGE


def _op_error(name, code, doc):
    return type(name, (OpError,), {"code": code, "__doc__": doc, "__module__": __name__})


CancelledError = _op_error("CancelledError", CANCELLED, "An operation or step was cancelled.")
UnknownError = _op_error("UnknownError", UNKNOWN, "An error of unknown kind.")
AlreadyExistsError = _op_error("AlreadyExistsError", ALREADY_EXISTS,
                               "An entity to be created already exists.")
PermissionDeniedError = _op_error("PermissionDeniedError", PERMISSION_DENIED,
                                  "The caller may not run the operation.")
ResourceExhaustedError = _op_error("ResourceExhaustedError", RESOURCE_EXHAUSTED,
                                   "Some resource (memory, a quota) ran out.")
FailedPreconditionError = _op_error("FailedPreconditionError", FAILED_PRECONDITION,
                                    "The system is not in a state the operation needs, "
                                    "e.g. an uninitialized variable.")
AbortedError = _op_error("AbortedError", ABORTED, "The operation was aborted (e.g. a "
                         "concurrent action).")
InternalError = _op_error("InternalError", INTERNAL, "An internal invariant broke.")
UnavailableError = _op_error("UnavailableError", UNAVAILABLE, "The runtime is unavailable.")
UnauthenticatedError = _op_error("UnauthenticatedError", UNAUTHENTICATED,
                                 "The request has no valid credentials.")


class OperatorNotAllowedInGraphError(TypeError):
    """A Python operator not allowed on a symbolic tensor while tracing (e.g. iterating one or
    using it as a Python bool); a TypeError, as TF's."""
