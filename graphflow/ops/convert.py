"""Argument conversion shared by all op wrappers (TF's weak typing of Python scalars)."""
from ..errors import InvalidArgumentError
from ..tensor import Tensor, Variable, convert_to_tensor


def to_tensor(x, dtype=None):
    """A Tensor as is, a Variable read, anything else converted (to `dtype` if given)."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, Variable):
        return x._read()
    return convert_to_tensor(x, dtype)


def to_tensors(*xs, op=None):
    """Convert op arguments. Python scalars, lists and numpy arrays take the dtype of the first
    tensor argument (so `x * 0.5` stays float32), as TF converts them; mixed tensor dtypes are
    left to the op's rule, which raises a clear error. `op` names the op in conversion errors."""
    dtype = None
    for x in xs:
        if isinstance(x, (Tensor, Variable)):
            dtype = x.dtype
            break
    try:
        return [to_tensor(x, dtype) for x in xs]
    except InvalidArgumentError as e:
        if op is None:
            raise
        raise InvalidArgumentError(f"{op}: {e}") from None
