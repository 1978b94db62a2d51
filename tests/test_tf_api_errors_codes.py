"""tf.errors: TF's error codes and the full OpError hierarchy (values as TF 2.21 prints them)."""
import pytest

import graphflow as tf

TF_CODES = {"OK": 0, "CANCELLED": 1, "UNKNOWN": 2, "INVALID_ARGUMENT": 3, "DEADLINE_EXCEEDED": 4,
            "NOT_FOUND": 5, "ALREADY_EXISTS": 6, "PERMISSION_DENIED": 7, "RESOURCE_EXHAUSTED": 8,
            "FAILED_PRECONDITION": 9, "ABORTED": 10, "OUT_OF_RANGE": 11, "UNIMPLEMENTED": 12,
            "INTERNAL": 13, "UNAVAILABLE": 14, "DATA_LOSS": 15, "UNAUTHENTICATED": 16}
TF_CLASSES = {"CancelledError": 1, "UnknownError": 2, "InvalidArgumentError": 3,
              "DeadlineExceededError": 4, "NotFoundError": 5, "AlreadyExistsError": 6,
              "PermissionDeniedError": 7, "ResourceExhaustedError": 8,
              "FailedPreconditionError": 9, "AbortedError": 10, "OutOfRangeError": 11,
              "UnimplementedError": 12, "InternalError": 13, "UnavailableError": 14,
              "DataLossError": 15, "UnauthenticatedError": 16}


def test_error_codes_are_tfs():
    assert {n: getattr(tf.errors, n) for n in TF_CODES} == TF_CODES


@pytest.mark.parametrize("name,code", sorted(TF_CLASSES.items()))
def test_op_error_subclasses_tf_signature(name, code):
    cls = getattr(tf.errors, name)
    assert issubclass(cls, tf.errors.OpError)
    e = cls(None, None, "boom")                 # TF's (node_def, op, message)
    assert (str(e), e.message, e.error_code, e.node_def, e.op) == ("boom", "boom", code, None, None)
    with pytest.raises(tf.errors.OpError, match="boom"):
        raise e


def test_op_error_base_and_graphflow_style():
    e = tf.errors.OpError(None, None, "m", tf.errors.ABORTED)
    assert (e.error_code, str(e)) == (10, "m")
    # a subclass ignores an extra code argument (TF: UnknownError(None, None, "m", 7) has code 2)
    assert tf.errors.UnknownError(None, None, "m", 7).error_code == 2
    e = tf.errors.NotFoundError("no such file")   # graphflow's one-argument form
    assert (str(e), e.error_code) == ("no such file", 5)
    assert isinstance(e, FileNotFoundError)
    assert issubclass(tf.errors.OperatorNotAllowedInGraphError, TypeError)


def test_raised_op_error_carries_code():
    with pytest.raises(tf.errors.InvalidArgumentError) as info:
        tf.constant([1, 2]) + tf.constant([1, 2, 3])
    assert info.value.error_code == tf.errors.INVALID_ARGUMENT
    assert info.value.message.startswith("add: shapes are not broadcast-compatible")
