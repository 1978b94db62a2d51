"""More of TF's core API that guide code reaches for: the TF2 core initializers
(`tf.zeros_initializer`, `tf.random_normal_initializer`, ...), `tf.control_dependencies`,
`tf.grad_pass_through`, `tf.saturate_cast`, `tf.foldr`, `tf.tuple`, `tf.inside_function`,
`tf.get_current_name_scope`, and `tf.math.reciprocal_no_nan / unsorted_segment_sqrt_n /
approx_max_k / approx_min_k`. Compositions of existing ops.

>>> import graphflow as tf
>>> w_init = tf.random_normal_initializer(stddev=0.0)     # the Keras custom-layer guide's
>>> w_init(shape=(2, 3), dtype="float32").numpy().tolist()
[[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]
"""
import builtins
import contextlib

import numpy as np

from . import state as _state
from .custom_gradient import custom_gradient
from .dtypes import as_dtype
from .ops import array_ops as _a, math_ops as _m, random_ops as _r, segment_ops as _seg
from .ops import shape_ops as _s
from .ops.creation import fill, ones, zeros
from .tensor import SymbolicTensor, Tensor, Variable, constant, to_tensor  # noqa: F401

__all__ = ["constant_initializer", "zeros_initializer", "ones_initializer",
           "random_normal_initializer", "random_uniform_initializer", "control_dependencies",
           "grad_pass_through", "saturate_cast", "foldr", "tuple", "inside_function",
           "get_current_name_scope", "is_symbolic_tensor", "realdiv", "parallel_stack",
           "reciprocal_no_nan", "unsorted_segment_sqrt_n", "approx_max_k", "approx_min_k",
           "ExponentialMovingAverage", "AggregationMethod"]


# ------------------------------------------------------------------ TF2 core initializers
class _Initializer:
    """TF2's core initializer: `init(shape, dtype=tf.float32)` -> a Tensor; get_config /
    from_config for serialization. Keras layers accept them as initializers."""

    def __call__(self, shape, dtype=None, **kwargs):
        raise NotImplementedError

    def get_config(self):
        return dict(self._config)

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"{type(self).__name__}({self._config})"


def _dtype(dtype):
    return as_dtype(dtype if dtype is not None else "float32")


class zeros_initializer(_Initializer):   # noqa: N801 (TF's name)
    """Tensors of zeros.

    >>> zeros_initializer()((2,)).numpy()
    array([0., 0.], dtype=float32)
    """

    def __init__(self):
        self._config = {}

    def __call__(self, shape, dtype=None, **kwargs):
        return zeros(shape, _dtype(dtype))


class ones_initializer(_Initializer):   # noqa: N801
    """Tensors of ones.

    >>> ones_initializer()((2,), "int32").numpy()
    array([1, 1], dtype=int32)
    """

    def __init__(self):
        self._config = {}

    def __call__(self, shape, dtype=None, **kwargs):
        return ones(shape, _dtype(dtype))


class constant_initializer(_Initializer):   # noqa: N801
    """A scalar fills the shape; a list/array must have the shape's number of elements
    (reshaped to it), as TF.

    Without a dtype the tensor takes the value's own (Python ints give int32), as TF's.

    >>> constant_initializer([1., 2., 3., 4.])((2, 2)).numpy().tolist()
    [[1.0, 2.0], [3.0, 4.0]]
    >>> constant_initializer([1, 2])((2,)).dtype
    tf.int32
    """

    def __init__(self, value=0):
        self._config = {"value": value}
        self.value = value

    def __call__(self, shape, dtype=None, **kwargs):
        t = to_tensor(self.value)
        dt = t.dtype if dtype is None else _dtype(dtype)
        v = np.asarray(t.numpy())
        if v.ndim == 0:
            return fill(shape, v.astype(dt.np)[()])
        if v.size != int(np.prod(shape)):
            raise TypeError(f"constant_initializer: {v.size} values cannot fill shape "
                            f"{builtins.tuple(shape)}")
        return constant(v.reshape(builtins.tuple(shape)).astype(dt.np))


class random_normal_initializer(_Initializer):   # noqa: N801
    """Normal samples (mean 0, stddev 0.05 by default, as TF).

    >>> random_normal_initializer(mean=1.0, stddev=0.0)((2,)).numpy()
    array([1., 1.], dtype=float32)
    """

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self._config = {"mean": mean, "stddev": stddev, "seed": seed}
        self.mean, self.stddev, self.seed = mean, stddev, seed

    def __call__(self, shape, dtype=None, **kwargs):
        return _r.normal(shape, self.mean, self.stddev, dtype=_dtype(dtype), seed=self.seed)


class random_uniform_initializer(_Initializer):   # noqa: N801
    """Uniform samples in [minval, maxval) (-0.05, 0.05 by default, as TF).

    >>> x = random_uniform_initializer(0., 1., seed=1)((100,)).numpy()
    >>> bool((x >= 0).all() and (x < 1).all())
    True
    """

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        self._config = {"minval": minval, "maxval": maxval, "seed": seed}
        self.minval, self.maxval, self.seed = minval, maxval, seed

    def __call__(self, shape, dtype=None, **kwargs):
        return _r.uniform(shape, self.minval, self.maxval, dtype=_dtype(dtype), seed=self.seed)


# ------------------------------------------------------------------ graph-building helpers
def control_dependencies(control_inputs):
    """`tf.control_dependencies`: a context whose ops run after `control_inputs`. graphflow
    already runs a function's effects (assign, print, ...) in program order and its pure ops
    when their inputs are ready, so the context only has to accept the call (as TF 2 eagerly).

    >>> with control_dependencies([constant(1)]):
    ...     int(constant(2) + 1)
    3
    """
    return contextlib.nullcontext()


def grad_pass_through(f):
    """`tf.grad_pass_through`: f's forward value with an identity gradient (each input gets its
    output's cotangent), e.g. around a non-differentiable assignment or quantization.

    >>> import graphflow as tf
    >>> x = tf.constant(1.3)
    >>> with tf.GradientTape() as t:
    ...     t.watch(x)
    ...     y = grad_pass_through(tf.round)(x) * 3.0
    >>> float(t.gradient(y, x))
    3.0
    """
    @custom_gradient
    def passed(*args):
        def grad(*dys, variables=None):
            return (list(dys), [None] * len(variables)) if variables else list(dys)
        return f(*args), grad
    return passed


def saturate_cast(value, dtype, name=None):
    """`tf.saturate_cast`: cast with the values clamped to the target dtype's range first.

    >>> saturate_cast(constant([-5., 300.]), "uint8").numpy()
    array([  0, 255], dtype=uint8)
    """
    x = to_tensor(value)
    dt = as_dtype(dtype)
    if dt.is_integer or (dt.is_floating and x.dtype.is_floating and dt.max < x.dtype.max):
        lo, hi = max(float(dt.min), float(x.dtype.min)), min(float(dt.max), float(x.dtype.max))
        x = _m.clip_by_value(x, lo, hi)
    return _m.cast(x, dt)


def foldr(fn, elems, initializer=None, parallel_iterations=10, back_prop=True,
          swap_memory=False, name=None):
    """`tf.foldr`: fold `fn(acc, x)` over axis 0 from the right.

    >>> foldr(lambda a, x: a * 10 + x, constant([1, 2, 3])).numpy()
    np.int32(321)
    """
    return _a.foldl(fn, _a.reverse(to_tensor(elems), [0]), initializer)


def tuple(tensors, control_inputs=None, name=None):   # noqa: A001 (TF's name)
    """`tf.tuple`: the tensors (identities), available together.

    >>> [t.numpy() for t in tuple([constant(1), constant(2)])]
    [np.int32(1), np.int32(2)]
    """
    return [None if t is None else _m.identity(t) for t in tensors]


def inside_function():
    """True while a `tf.function` is being traced.

    >>> inside_function()
    False
    """
    return _state.current().graph is not None


def get_current_name_scope():
    """The current name scope path ('' at the top).

    >>> from graphflow import name_scope
    >>> with name_scope("outer"), name_scope("inner"):
    ...     get_current_name_scope()
    'outer/inner'
    """
    return "/".join(_state.current().scope)


def is_symbolic_tensor(tensor):
    """True for a tensor of a graph being traced (not an eager value).

    >>> is_symbolic_tensor(constant(1.0))
    False
    """
    return isinstance(tensor, SymbolicTensor)


def realdiv(x, y, name=None):
    """`tf.realdiv`: x / y for real (float) tensors.

    >>> realdiv(constant(3.0), 2.0).numpy()
    np.float32(1.5)
    """
    return _m.divide(x, y)


def parallel_stack(values, name="parallel_stack"):
    """`tf.parallel_stack`: `tf.stack` along a new first axis.

    >>> parallel_stack([constant([1, 2]), constant([3, 4])]).numpy().tolist()
    [[1, 2], [3, 4]]
    """
    return _s.stack(values, 0)


# ------------------------------------------------------------------ tf.math extras
def reciprocal_no_nan(x, name=None):
    """1 / x, and 0 where x is 0.

    >>> reciprocal_no_nan(constant([2., 0.])).numpy()
    array([0.5, 0. ], dtype=float32)
    """
    x = to_tensor(x)
    return _m.divide_no_nan(_m.ones_like(x), x)


def unsorted_segment_sqrt_n(data, segment_ids, num_segments, name=None):
    """Per-segment sums divided by sqrt(segment size) (empty segments give 0), as TF.

    >>> unsorted_segment_sqrt_n(constant([1., 3., 4.]), constant([0, 0, 1]), 3).numpy()
    array([2.828427, 4.      , 0.      ], dtype=float32)
    """
    data, ids = to_tensor(data), to_tensor(segment_ids)
    total = _seg.unsorted_segment_sum(data, ids, num_segments)
    count = _seg.unsorted_segment_sum(_m.cast(_m.ones_like(ids), data.dtype), ids, num_segments)
    count = _s.reshape(count, builtins.tuple(count.shape) + (1,) * (total.ndim - 1))
    return total / _m.sqrt(_m.maximum(count, _m.ones_like(count)))


def _topk_along(operand, k, dim, sign):
    x = to_tensor(operand)
    dim = dim % x.ndim
    perm = [i for i in range(x.ndim) if i != dim] + [dim]
    back = list(np.argsort(perm))
    vals, idx = _a.top_k(_s.transpose(x, perm) * sign if sign < 0 else _s.transpose(x, perm), k)
    if sign < 0:
        vals = -vals
    return _s.transpose(vals, back), _s.transpose(idx, back)


def approx_max_k(operand, k, reduction_dimension=-1, recall_target=0.95,
                 reduction_input_size_override=-1, aggregate_to_topk=True, name=None):
    """`tf.math.approx_max_k`: (values, indices) of the k largest along reduction_dimension -
    exact here (TF's approximation targets TPUs; on CPU it is exact too).

    >>> approx_max_k(constant([[1., 5., 3.]]), 2)[0].numpy()
    array([[5., 3.]], dtype=float32)
    """
    return _topk_along(operand, k, reduction_dimension, 1)


def approx_min_k(operand, k, reduction_dimension=-1, recall_target=0.95,
                 reduction_input_size_override=-1, aggregate_to_topk=True, name=None):
    """`tf.math.approx_min_k`: (values, indices) of the k smallest along reduction_dimension.

    >>> approx_min_k(constant([[1., 5., 3.]]), 2)[1].numpy()
    array([[0, 2]], dtype=int32)
    """
    return _topk_along(operand, k, reduction_dimension, -1)


# ------------------------------------------------------------------ tf.train / tf.*
class AggregationMethod:
    """`tf.AggregationMethod`: how gradients of one tensor are summed (graphflow always adds
    them with one add_n; the names are accepted by `tf.gradients`).

    >>> AggregationMethod.DEFAULT == AggregationMethod.ADD_N
    True
    """
    ADD_N = 0
    DEFAULT = ADD_N
    EXPERIMENTAL_TREE = 1
    EXPERIMENTAL_ACCUMULATE_N = 2


class ExponentialMovingAverage:
    """`tf.train.ExponentialMovingAverage`: shadow copies of variables that track their
    exponential moving average: `apply(var_list)` updates each shadow by
    shadow -= (1 - decay) (shadow - var), with decay = min(decay, (1 + n) / (10 + n)) when
    `num_updates` n is given; `average(var)` is the shadow Variable (created by the first
    apply, holding the variable's value then). Works eagerly and inside tf.function.

    >>> import graphflow as tf
    >>> v = tf.Variable(0.0)
    >>> ema = tf.train.ExponentialMovingAverage(decay=0.9)
    >>> ema.apply([v])
    >>> _ = v.assign(10.0)
    >>> ema.apply([v])
    >>> round(float(ema.average(v).numpy()), 5)     # 0 + (10 - 0) * (1 - 0.9)
    1.0
    """

    def __init__(self, decay, num_updates=None, zero_debias=False,
                 name="ExponentialMovingAverage"):
        if zero_debias:
            raise NotImplementedError("ExponentialMovingAverage: zero_debias=True is not "
                                      "supported")
        self._decay, self._num_updates, self._name = decay, num_updates, name
        self._averages = {}

    name = property(lambda self: self._name)

    def _decay_value(self):
        if self._num_updates is None:
            return self._decay
        n = _m.cast(to_tensor(self._num_updates), "float32")
        return _m.minimum(self._decay, (1.0 + n) / (10.0 + n))

    def apply(self, var_list=None):
        """Create the shadows of new variables, then update every shadow."""
        if var_list is None:
            raise ValueError("ExponentialMovingAverage.apply: pass the variables (TF 2 has no "
                             "global variable collection)")
        decay = self._decay_value()
        for v in var_list:
            shadow = self._averages.get(id(v))
            if shadow is None:   # created once (a trace's first run), from var's value then
                with _state.using(graph=None):
                    shadow = Variable(np.array(v.numpy()), trainable=False,
                                      name=self.average_name(v))
                self._averages[id(v)] = (shadow, v)
            else:
                shadow = shadow[0]
            shadow.assign_sub((shadow.read_value() - _m.cast(v.read_value(), shadow.dtype))
                              * _m.cast(1.0 - to_tensor(decay), shadow.dtype))

    def average(self, var):
        """The shadow Variable of `var` (None before apply saw it)."""
        entry = self._averages.get(id(var))
        return None if entry is None else entry[0]

    def average_name(self, var):
        """The shadow's name: "<var name>/ExponentialMovingAverage"."""
        return f"{getattr(var, 'name', 'variable').split(':')[0]}/{self._name}"
