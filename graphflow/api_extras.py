"""Small TF API functions built on the autodiff core and the shape rules: `tf.hessians` and
`tf.ensure_shape`.

>>> import graphflow as tf
>>> @tf.function
... def h(x):
...     return tf.hessians(tf.reduce_sum(x ** 3), [x])[0]
>>> h(tf.constant([1., 2.])).numpy()
array([[ 6.,  0.],
       [ 0., 12.]], dtype=float32)
"""
import enum

import numpy as np

from . import state as _state
from .control_flow import gradients
from .errors import InvalidArgumentError, user_source
from .nest import flatten
from .ops.math_ops import identity, zeros_like
from .ops.shape_ops import reshape, stack
from .tensor import TensorShape, to_tensor

__all__ = ["hessians", "ensure_shape", "UnconnectedGradients"]


class UnconnectedGradients(str, enum.Enum):
    """`tf.UnconnectedGradients`: what `gradient` returns for a source the target does not
    depend on. The members equal the strings the tape also accepts.

    >>> import graphflow as tf
    >>> x, y = tf.constant(1.0), tf.constant(2.0)
    >>> with tf.GradientTape() as t:
    ...     t.watch([x, y])
    ...     z = x * 3.0
    >>> t.gradient(z, y, unconnected_gradients=tf.UnconnectedGradients.ZERO).numpy()
    np.float32(0.0)
    """
    NONE = "none"
    ZERO = "zero"


def hessians(ys, xs, gate_gradients=False, aggregation_method=None, name="hessians"):
    """TF's `tf.hessians`: for each x in xs, the Hessian of sum(ys) with respect to x, of shape
    x.shape + x.shape (None where ys does not depend on x). A graph-level function like
    `tf.gradients`: it works inside `@function` (eagerly use nested GradientTapes and
    `tape.jacobian`). Built from `gradients` twice - one second-order pass per element of x.
    """
    if _state.current().graph is None:
        raise RuntimeError("tf.hessians only works inside @function (as tf.gradients); eagerly, "
                           "use nested GradientTapes: outer.jacobian(inner.gradient(y, x), x)")
    xs_l, _ = flatten(xs)
    grads = gradients(ys, list(xs_l))
    out = []
    for x, g in zip(xs_l, grads):
        if g is None:
            out.append(None)
            continue
        shape = tuple(x.shape)
        n = int(np.prod(shape, dtype=np.int64))
        flat = reshape(g, (n,))
        rows = [gradients(flat[i], [x])[0] for i in range(n)]
        rows = [zeros_like(x) if r is None else r for r in rows]   # (a gradient linear in x)
        out.append(reshape(stack(rows), shape + shape))
    return out


def ensure_shape(x, shape, name=None):
    """`x` unchanged if its shape is compatible with `shape` (None: any size), else an
    InvalidArgumentError naming both shapes and the user's line.

    >>> import graphflow as tf
    >>> tf.ensure_shape(tf.constant([1, 2]), [None]).numpy()
    array([1, 2], dtype=int32)
    """
    x = to_tensor(x)
    want = TensorShape(shape) if shape is not None else None
    if want is not None and not TensorShape(tuple(x.shape)).is_compatible_with(want):
        raise InvalidArgumentError(
            f"ensure_shape: shape of tensor {tuple(x.shape)} ({x.dtype.name}) is not compatible "
            f"with expected shape {list(want)} (at {user_source()})")
    return identity(x)
