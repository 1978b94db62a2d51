"""Keras layers: the `Layer` base class and the common layers.

A layer builds itself (creates its weights) on its first call, from the input shape. Calls
work eagerly and inside `graphflow.function` traces alike; `training` propagates from an outer
call (a model) to the layers it calls. Calling a layer on the output of `keras.Input` builds a
functional model graph instead of computing.

>>> import graphflow as tf
>>> tf.keras.backend.clear_session()   # restart layer names at 'dense'
>>> layer = tf.keras.layers.Dense(3)
>>> layer(tf.ones((2, 4))).shape
TensorShape([2, 3])
>>> [w.name for w in layer.weights], [w.path for w in layer.weights]   # Keras 3 names
(['kernel', 'bias'], ['dense/kernel', 'dense/bias'])
"""
import contextlib
import contextvars
import importlib
import inspect
import warnings

import numpy as np

from .. import dtypes as _dt
from ..errors import user_source as _user_source
from .. import state as _state
from .. import graph as _graph
from ..module import Module
from ..shapes import Dim
from ..ops import math_ops as _m, nn_ops as _nn, random_ops as _r, shape_ops as _s
from ..ops import runtime_shape as _rts
from ..nest import flatten
from ..tensor import Tensor, TensorShape, Variable, convert_to_tensor
from . import composite_values as _cvals
from . import activations as _act, constraints as _constraints, initializers as _init, \
    regularizers as _reg
from . import mixed_precision as _mp
from .input_spec import InputSpec, assert_input_compatibility
from .naming import keras_dict, reset_names, snake_case, unique_name  # noqa: F401  (layers.unique_name: API)

_PLAIN = (str, int, float, bool, type(None))


def _init_arguments(cls, args, kwargs):
    """The arguments `cls(*args, **kwargs)` binds to its __init__ (defaults filled in, the
    `**kwargs` spread out), or None if one is not a plain value (Keras 3's auto-config)."""
    try:
        bound = inspect.signature(cls.__init__).bind(None, *args, **kwargs)
    except (TypeError, ValueError):
        return None
    bound.apply_defaults()
    out = {}
    for i, (k, v) in enumerate(bound.arguments.items()):
        param = bound.signature.parameters[k]
        if i == 0 or param.kind is param.VAR_POSITIONAL:
            continue
        if param.kind is param.VAR_KEYWORD:
            out.update(v)
        else:
            out[k] = v
    if not all(isinstance(v, _PLAIN) for v in flatten(out)[0]):
        return None
    return out


# ------------------------------------------------------------------ names and call context
# The `training` value of the enclosing layer call (per thread and asyncio task, like the trace
# state: a layer called in another thread must not inherit this call's mode).
_TRAINING = contextvars.ContextVar("graphflow_keras_training", default=None)
#: Keras 3's autocast scope: the compute dtype floating layer weights are read as inside the
#: call of a layer with a mixed dtype policy (None: read as stored); per thread as _TRAINING
_AUTOCAST = contextvars.ContextVar("graphflow_keras_autocast", default=None)
#: Keras' own name-scope path (layers being built or called, `keras.name_scope`): the prefix of
#: a weight's `path`. TF's `tf.name_scope` does not enter it (as with Keras 3 on TensorFlow).
_KERAS_PATH = contextvars.ContextVar("graphflow_keras_path", default=())
#: (batch size,) a layer's first-call output shape records while a model is built on stand-in
#: rows (fit's probe, Model.build's zeros): Keras 3's summary of a subclassed model shows the
#: first real batch's shape. () records the call's own batch size
BUILD_BATCH = contextvars.ContextVar("graphflow_keras_build_batch", default=())


@contextlib.contextmanager
def keras_path(name):
    """Open `name` on the Keras name-scope path (kept as is if it is the innermost already)."""
    path = _KERAS_PATH.get()
    if path[-1:] == (name,):
        yield
        return
    token = _KERAS_PATH.set(path + (name,))
    try:
        yield
    finally:
        _KERAS_PATH.reset(token)


@contextlib.contextmanager
def name_scope(name, **kwargs):
    """`keras.name_scope(name)` (Keras 3): a name scope for graph nodes, as `tf.name_scope`, that
    also prefixes the paths of the weights layers create inside it.

    >>> from graphflow import keras
    >>> with keras.name_scope("block"):
    ...     d = keras.layers.Dense(1, name="d")
    ...     d.build((None, 2))
    >>> d.kernel.path
    'block/d/kernel'
    """
    with _state.name_scope(name) as scope, keras_path(name):
        yield scope


_snake = snake_case


def _is_dtype_name(s):
    try:
        _dt.as_dtype(s)
        return True
    except (TypeError, ValueError, KeyError):
        return False


def _batchless(shape):
    """Shape with the batch dimension shown as None (Keras' convention), and a traced call's
    run-time dims (a `Dim`) as None too."""
    shape = tuple(None if isinstance(d, Dim) else d for d in shape)
    return TensorShape((None,) + shape[1:]) if shape else TensorShape(shape)


def _map(fn, x):
    leaves, rebuild = flatten(x)
    return rebuild([fn(v) for v in leaves])


# ------------------------------------------------------------------ symbolic (functional API)
class KerasVariable(Variable):
    """A layer weight (made by `add_weight`). Keras 3 names it by its own name - `kernel` - and
    gives the layer-qualified name as `path` (`dense/kernel`), where a tf.Variable's name is
    `dense/kernel:0`.

    >>> import graphflow as tf
    >>> d = tf.keras.layers.Dense(1, name="d")
    >>> d.build((None, 2)); d.kernel.name, d.kernel.path
    ('kernel', 'd/kernel')
    """

    @property
    def name(self):
        return self._name.rsplit("/", 1)[-1]

    @property
    def path(self):
        return self._name

    def __repr__(self):   # Keras 3's (no value while tracing)
        value = ""
        if _state.current().graph is None:
            v = np.asarray(self.numpy())
            value = f", value={v.item() if v.ndim == 0 else v}"
        return (f"<Variable path={self.path}, shape={tuple(self.shape)}, "
                f"dtype={self.dtype.name}{value}>")

    def _read(self):
        # inside a mixed-precision layer's call a float weight reads as the compute dtype
        # (Keras 3's autocasting); the cast is an op, so gradients reach the stored value
        t = super()._read()
        dt = _AUTOCAST.get()
        if dt is not None and dt != t.dtype and t.dtype.is_floating:
            t = _m.cast(t, dt)
        return t

    def _uncast(method):
        def update(self, *args, **kwargs):   # updates read the stored value, as stored
            token = _AUTOCAST.set(None)
            try:
                return method(self, *args, **kwargs)
            finally:
                _AUTOCAST.reset(token)
        update.__name__, update.__doc__ = method.__name__, method.__doc__
        return update

    def _own_dtype(self, value):
        """A floating value in the weight's dtype: Keras 3 converts what is assigned (a float16
        update of a float32 weight in a mixed-precision layer)."""
        if isinstance(value, Variable):
            value = value._read()
        if isinstance(value, Tensor) and value.dtype != self.dtype and \
                value.dtype.is_floating and self.dtype.is_floating:
            value = _m.cast(value, self.dtype)
        return value

    def assign(self, value, read_value=True):
        """Keras 3 returns the value assigned (a tensor), where tf.Variable gives its
        `_UnreadVariable`."""
        super().assign(self._own_dtype(value), read_value=False)
        return self._read() if read_value else None

    assign_add = _uncast(lambda self, delta, read_value=True:
                         Variable.assign_add(self, self._own_dtype(delta), read_value))
    assign_sub = _uncast(lambda self, delta, read_value=True:
                         Variable.assign_sub(self, self._own_dtype(delta), read_value))
    scatter_nd_update = _uncast(Variable.scatter_nd_update)
    scatter_nd_add = _uncast(Variable.scatter_nd_add)
    __setitem__ = _uncast(Variable.__setitem__)
    del _uncast


class KerasTensor:
    """A symbolic value in a functional model under construction: shape (batch dim None) and
    dtype, plus the layer call that produced it."""

    _keras_mask = None   # a KerasTensor: the mask Keras masking attaches to this value
    ragged = sparse = False   # a RaggedTensor / SparseTensor placeholder (composite_values)

    def __init__(self, shape, dtype, node=None, name=None):
        self.shape = TensorShape(shape)
        self.dtype = _dt.as_dtype(dtype)
        self._node = node           # the _Node that produced it (None for an Input)
        self._input_layer = None    # the InputLayer, for Inputs
        self.name = name

    @property
    def ndim(self):
        return len(self.shape)

    def __repr__(self):   # Keras 3's
        return (f"<KerasTensor shape={self.shape}, dtype={self.dtype.name}, "
                f"sparse={self.sparse}, ragged={self.ragged}, name={self.name}>")

    def __array__(self, *a, **k):
        raise TypeError("a KerasTensor (the output of keras.Input or of a layer called on one) is "
                        "a placeholder for building a functional model; it has no value. Pass "
                        "it to layers, then build `keras.Model(inputs, outputs)`.")

    def __tf_tensor__(self, dtype=None, name=None):
        """A TF op given a KerasTensor (`tf.math.argmax(keras.Input(...))`): Keras 3's
        ValueError (TF 2.21 raises it through this same conversion protocol)."""
        raise ValueError(
            "A KerasTensor cannot be used as input to a TensorFlow function. A KerasTensor is a "
            "symbolic placeholder for a shape and dtype, used when constructing Keras Functional "
            "models or Keras Functions. You can only use it as input to a Keras layer or a Keras "
            "operation (from the namespaces `keras.layers` and `keras.ops`). You are likely doing "
            "something like:\n\n```\nx = Input(...)\n...\ntf_fn(x)  # Invalid.\n```\n\n"
            "What you should do instead is wrap `tf_fn` in a layer:\n\n```\nclass "
            "MyLayer(Layer):\n    def call(self, x):\n        return tf_fn(x)\n\nx = "
            "MyLayer()(x)\n```\n")

    # Python operators record a keras.ops node of the functional graph (Keras 3), e.g.
    # `keras.Input((4,)) * 2 + 1`; the reflected forms swap the operands.
    def _binary(name, reflected=False):
        def method(self, other):
            from . import ops
            fn = getattr(ops, name)
            return fn(other, self) if reflected else fn(self, other)
        method.__name__ = f"__{'r' if reflected else ''}{name}__"
        return method

    def _unary(name):
        def method(self):
            from . import ops
            return getattr(ops, name)(self)
        method.__name__ = f"__{name}__"
        return method

    __add__, __radd__ = _binary("add"), _binary("add", True)
    __sub__, __rsub__ = _binary("subtract"), _binary("subtract", True)
    __mul__, __rmul__ = _binary("multiply"), _binary("multiply", True)
    __truediv__, __rtruediv__ = _binary("true_divide"), _binary("true_divide", True)
    __floordiv__, __rfloordiv__ = _binary("floor_divide"), _binary("floor_divide", True)
    __mod__, __rmod__ = _binary("mod"), _binary("mod", True)
    __pow__, __rpow__ = _binary("power"), _binary("power", True)
    __matmul__, __rmatmul__ = _binary("matmul"), _binary("matmul", True)
    __lt__, __le__ = _binary("less"), _binary("less_equal")
    __gt__, __ge__ = _binary("greater"), _binary("greater_equal")
    __ne__ = _binary("not_equal")   # (`==` stays identity, as Keras 3's)
    __and__, __rand__ = _binary("logical_and"), _binary("logical_and", True)
    __or__, __ror__ = _binary("logical_or"), _binary("logical_or", True)
    __xor__, __rxor__ = _binary("logical_xor"), _binary("logical_xor", True)
    __neg__, __abs__ = _unary("negative"), _unary("absolute")
    __invert__ = _unary("logical_not")
    __hash__ = object.__hash__

    def __round__(self, ndigits=None):
        from . import ops
        return ops.round(self, ndigits or 0)

    def __iter__(self):
        raise NotImplementedError("Iterating over a symbolic KerasTensor is not supported "
                                  "(unpack it with keras.ops.unstack or index it)")

    def __getitem__(self, key):
        """`x[1:, ..., None]`: a slicing node of the functional graph."""
        return apply_op(_getitem, (self, key), {}, op_name="get_item")

    def __bool__(self):
        raise TypeError("a KerasTensor has no truth value (it is a placeholder of a functional "
                        "model); use keras.ops.cond / where for data-dependent choices")

    del _binary, _unary


class _ShapeOnly:
    """A layer output's shape and dtype (dims that vary with the input's unknown dims are
    symbolic `Dim`s), for building the KerasTensor of a layer probed on zeros."""

    def __init__(self, shape, dtype, kind=None):
        self.shape, self.dtype, self.kind = shape, dtype, kind


class _Node:
    """One layer call in a functional graph."""

    def __init__(self, layer, inputs, kwargs, outputs):
        self.layer, self.inputs, self.kwargs, self.outputs = layer, inputs, kwargs, outputs
        # Keras 3's node index: this call's place among all the layer's symbolic calls (in
        # every model), as summary()'s 'Connected to' shows it ('lstm_1[1][0]')
        self.index = layer.__dict__.get("_symbolic_calls", 0)
        layer.__dict__["_symbolic_calls"] = self.index + 1


class _SupportsMasking:
    """`Layer.supports_masking`: True if the layer computes its output's mask from its input's
    (Keras 3's default: the layer overrides `compute_mask`); a subclass or an instance may set
    it. Read on a class too (a bool, not a property object)."""

    def __get__(self, obj, cls):
        v = None if obj is None else obj.__dict__.get("_supports_masking")
        return cls.compute_mask is not Layer.compute_mask if v is None else v

    def __set__(self, obj, value):
        obj.__dict__["_supports_masking"] = bool(value)


def arg_masks(layer, inputs, args, kwargs, mask_of):
    """Keras 3's rule for a call parameter `<name>_mask` (MultiHeadAttention's query/value/key
    masks): left None in a call with several tensor arguments, it gets `mask_of(tensor)` of the
    tensor argument `<name>` (the Keras mask that tensor carries). The `{name_mask: mask}`
    to add to the call's keyword arguments.

    >>> class Pair(Layer):
    ...     def call(self, a, b, b_mask=None):
    ...         return a
    >>> a, b = KerasTensor((1, 2), "float32"), KerasTensor((1, 2), "float32")
    >>> arg_masks(Pair(), a, (b,), {}, lambda t: "mask of b" if t is b else None)
    {'b_mask': 'mask of b'}
    """
    params = list(inspect.signature(layer.call).parameters)
    positional = params[:1 + len(args)]
    named = dict(zip(params, (inputs,) + tuple(args)))
    named.update((k, v) for k, v in kwargs.items() if k in params)
    tensors = {k: v for k, v in named.items() if isinstance(v, (Tensor, KerasTensor))}
    out = {}
    if len(tensors) < 2:
        return out
    for k, v in tensors.items():
        name = f"{k}_mask"
        if name in params and name not in positional and named.get(name) is None:
            m = mask_of(v)
            if m is not None:
                out[name] = m
    return out


def _mask_of(inputs):
    """The `_keras_mask` an input tensor carries (a list of them for a list of inputs, None if
    there is none)."""
    if isinstance(inputs, (list, tuple)):
        masks = [getattr(x, "_keras_mask", None) for x in inputs]
        return masks if any(m is not None for m in masks) else None
    return getattr(inputs, "_keras_mask", None)


def _is_symbolic(x):
    return any(isinstance(v, KerasTensor) for v in flatten(x)[0])


def serialize(layer):
    """A layer's Keras 3 config dict (module, class_name, config, registered_name):
    `keras.saving.serialize_keras_object` for layers."""
    from .saving import serialize_keras_object
    return serialize_keras_object(layer)


def deserialize(config, custom_objects=None):
    """The layer of a `serialize()` dict (custom classes from `custom_objects`, a
    `custom_object_scope` or the registry)."""
    from .saving import deserialize_keras_object
    return deserialize_keras_object(config, custom_objects=custom_objects)


def _first_functional_call(key, what, doc):
    """A Layer property for the inputs or outputs (`what`) of the layer's first call on
    KerasTensors, kept in the instance dict under `key` (settable, as Keras's)."""
    def get(self):
        v = self.__dict__.get(key)
        if v is None:
            raise AttributeError(f"Layer {self.name!r} has never been called on a keras.Input, "
                                 f"so it has no defined {what}")
        return v

    def set(self, value):
        self.__dict__[key] = value
    return property(get, set, doc=doc)


# ------------------------------------------------------------------ Layer
def _first_call_arg(layer):
    """The name of `layer.call`'s first positional parameter (its inputs), or None."""
    return next((n for n, p in inspect.signature(layer.call).parameters.items()
                 if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)), None)


class Layer(Module):
    """Base class of all layers (a `tf.Module`).

    Subclasses implement `build(input_shape)` (create weights with `add_weight`) and
    `call(inputs, training=None)`. Layers and Variables assigned as attributes are tracked:
    their weights appear in `weights` / `trainable_weights`.
    """

    def __new__(cls, *args, **kwargs):
        # Keras 3's auto-config: a user layer that does not write get_config still gets its
        # constructor arguments in its config, if they are plain values (str, numbers, bools,
        # None, and lists / dicts of them)
        self = super().__new__(cls)
        self.__dict__["_auto_config"] = None if cls.__module__.startswith("graphflow.") \
            else _init_arguments(cls, args, kwargs)
        return self

    #: the InputSpec (or list of them) the first call argument must fit, or None (Keras 3)
    input_spec = None

    #: True for layers acting on each element of the innermost axes: a RaggedTensor input
    #: is handled by calling the layer on its flat values (keras/composite_values.py)
    _ragged_flat_values = False

    def __init_subclass__(cls, **kwargs):
        # Keras 3 wraps every build(): a layer built by calling build() directly (or from
        # build_from_config) is marked built, so it is not built again at its first call
        super().__init_subclass__(**kwargs)
        build = cls.__dict__.get("build")
        if build is None or getattr(build, "_marks_built", False):
            return

        def marked(self, *args, **kw):
            out = build(self, *args, **kw)
            self.built = True
            return out
        marked.__name__, marked.__qualname__, marked.__doc__ = (
            build.__name__, build.__qualname__, build.__doc__)
        marked.__wrapped__, marked._marks_built = build, True
        cls.build = marked

    def __init__(self, trainable=True, name=None, dtype=None, input_shape=None,
                 batch_input_shape=None, input_dim=None, batch_size=None, dynamic=False,
                 autocast=True, **kwargs):
        if kwargs:
            raise TypeError(f"{type(self).__name__}: unexpected keyword arguments {sorted(kwargs)}")
        self._name = name or unique_name(_snake(type(self).__name__))
        self._trainable = bool(trainable)
        if isinstance(dtype, dict):   # a Keras 3 DTypePolicy config (get_config()['dtype'])
            dtype = dtype.get("config", {}).get("name")
        # Keras 3's dtype policy (None: the global one): weights are created in its variable
        # dtype (_dtype), floating inputs cast to its compute dtype, weights autocast in call
        self._dtype_policy = _mp.global_policy() if dtype is None else _mp.DTypePolicy(dtype)
        if "bfloat16" in (self._dtype_policy.compute_dtype, self._dtype_policy.variable_dtype):
            raise NotImplementedError(f"{type(self).__name__}: dtype policy "
                                      f"{self._dtype_policy.name!r}: graphflow has no bfloat16 "
                                      "dtype (use 'mixed_float16')")
        self._dtype = _dt.as_dtype(self._dtype_policy.variable_dtype)
        self._compute_dtype = _dt.as_dtype(self._dtype_policy.compute_dtype)
        self.autocast = bool(autocast)
        self.built = False
        self._own_weights = []
        self._regularized = []
        self._call_losses = []
        self._input_shape_value = None
        self._output_shape_value = None
        self.activity_regularizer = None
        if input_dim is not None and input_shape is None:
            input_shape = (input_dim,)
        if input_shape is not None:   # Keras 3's advice (the RNN guide's LSTM(input_shape=...))
            warnings.warn("Do not pass an `input_shape`/`input_dim` argument to a layer. When "
                          "using Sequential models, prefer using an `Input(shape)` object as the "
                          "first layer in the model instead.", UserWarning, stacklevel=2)
        if batch_input_shape is not None:
            self._batch_input_shape = TensorShape(batch_input_shape)
        elif input_shape is not None:
            self._batch_input_shape = TensorShape((batch_size,) + tuple(input_shape))
        else:
            self._batch_input_shape = None
        params = inspect.signature(self.call).parameters
        self._call_takes_training = "training" in params or any(
            p.kind == p.VAR_KEYWORD for p in params.values())
        self._call_takes_mask = "mask" in params
        self._call_arg_masks = any(p.endswith("_mask") and p[:-5] in params for p in params)

    # ---- properties -----------------------------------------------------------
    @property
    def name(self):
        return self._name

    @property
    def dtype(self):
        return self._dtype.name

    @property
    def compute_dtype(self):
        return self._compute_dtype.name

    @property
    def variable_dtype(self):
        return self._dtype.name

    @property
    def dtype_policy(self):
        """The layer's `keras.DTypePolicy` (its `dtype` argument, else the global policy)."""
        return self._dtype_policy

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        """Sets this layer and, as in Keras 3, all its sublayers (freeze a whole model with
        one assignment; unfreeze it, then refreeze some layers, to fine-tune)."""
        self._trainable = bool(value)
        for sub in self._sublayers():
            sub.trainable = value

    @property
    def input_shape(self):
        if self._input_shape_value is None:
            raise AttributeError(f"layer {self.name} has not been called yet: no input shape")
        return self._input_shape_value

    @property
    def output_shape(self):
        if self._output_shape_value is None:
            raise AttributeError(f"layer {self.name} has not been called yet: no output shape")
        return self._output_shape_value

    # ---- tracking -------------------------------------------------------------
    def _tracked_values(self):
        for k, v in self.__dict__.items():
            if k in ("_keras_parent",):
                continue
            if isinstance(v, (list, tuple)):
                yield from v
            elif isinstance(v, dict) and k not in ("_regularized",):
                yield from v.values()
            else:
                yield v

    def _sublayers(self):
        """Directly tracked layers (attributes, lists/tuples/dicts of layers), in order."""
        seen, out = {id(self)}, []
        for v in self._tracked_values():
            if isinstance(v, Layer) and id(v) not in seen:
                seen.add(id(v))
                out.append(v)
        return out

    def _flatten_layers(self, include_self=True):
        seen, out = set(), []

        def walk(layer):
            if id(layer) in seen:
                return
            seen.add(id(layer))
            out.append(layer)
            for sub in layer._sublayers():
                walk(sub)
        walk(self)
        return out if include_self else out[1:]

    def _own_variables(self):
        # Keras 3: Keras variables (add_weight, keras.Variable) assigned to attributes are
        # weights; a raw tf.Variable attribute is not (TF 2.21's tf.keras leaves it out too)
        seen, out = set(), []
        for v in list(self._own_weights) + [v for v in self._tracked_values()
                                            if isinstance(v, KerasVariable)]:
            if id(v) not in seen:
                seen.add(id(v))
                out.append(v)
        return out

    @staticmethod
    def _dedupe(ws):
        seen, out = set(), []
        for w in ws:
            if id(w) not in seen:
                seen.add(id(w))
                out.append(w)
        return out

    @property
    def trainable_weights(self):
        if not self.trainable:
            return []
        out = [w for w in self._own_variables() if w.trainable]
        for sub in self._sublayers():
            out.extend(sub.trainable_weights)
        return self._dedupe(out)

    @property
    def non_trainable_weights(self):
        if not self.trainable:
            return self._dedupe(self._own_variables() +
                                [w for s in self._sublayers() for w in s.weights])
        out = [w for w in self._own_variables() if not w.trainable]
        for sub in self._sublayers():
            out.extend(sub.non_trainable_weights)
        return self._dedupe(out)

    @property
    def weights(self):
        """Own weights (trainable ones first, as created), then each sublayer's weights; the
        order does not change when layers are frozen (Keras 3)."""
        own = self._own_variables()
        return self._dedupe([w for w in own if w.trainable] + [w for w in own if not w.trainable]
                            + [w for s in self._sublayers() for w in s.weights])

    variables = weights
    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights

    @property
    def submodules(self):
        return self._flatten_layers(include_self=False)

    def count_params(self):
        """Number of scalars in all weights (the layer must be built)."""
        if not self.built:
            raise ValueError(f"You tried to call `count_params` on layer '{self.name}', but the "
                             "layer isn't built. Call it on data (or call `build`) first.")
        return int(sum(int(np.prod(tuple(w.shape), dtype=np.int64)) for w in self.weights))

    def get_weights(self):
        return [np.array(w.numpy()) for w in self.weights]

    def set_weights(self, weights):
        ws = self.weights
        if len(weights) != len(ws):
            raise ValueError(f"set_weights on layer '{self.name}': expected {len(ws)} arrays, "
                             f"got {len(weights)}")
        for w, value in zip(ws, weights):
            value = np.asarray(value)
            if tuple(value.shape) != tuple(w.shape):
                raise ValueError(f"set_weights: weight '{w.name}' has shape {tuple(w.shape)}, "
                                 f"the value has shape {value.shape}")
            w.assign(value.astype(w.dtype.np))

    # ---- weights ----------------------------------------------------------------
    def add_weight(self, name=None, shape=None, dtype=None, initializer=None, regularizer=None,
                   trainable=True, constraint=None, **_):
        """Create a weight Variable owned by this layer (initialized now). Keras 3's positional
        order `add_weight(shape, initializer, ...)` is accepted too."""
        if isinstance(name, (tuple, list, int)):   # Keras 3: shape first
            name, shape, initializer = None, name, (shape if initializer is None else initializer)
            if isinstance(dtype, str) and initializer is None and not _is_dtype_name(dtype):
                initializer, dtype = dtype, None
        shape = () if shape is None else tuple(int(d) for d in shape)
        dt = _dt.as_dtype(dtype or self._dtype)
        if initializer is None:
            initializer = "glorot_uniform" if dt.is_floating else "zeros"
        init = _init.get(initializer)
        name = name or f"variable_{len(self._own_weights)}"
        # Keras 3's path: the enclosing layers' names (a Sequential or subclassed model builds
        # its layers inside its own scope: 'sequential/dense/kernel'), then the layer's
        scope = _KERAS_PATH.get()
        scope = scope if scope[-1:] == (self.name,) else scope + (self.name,)
        # a layer first called inside a loop body or cond branch of a traced function (the
        # Actor-Critic tutorial's model) creates its weights in the function's own trace, as
        # Keras 3 lifts their initialization out (init_scope); eagerly if the loop is eager
        top = g = _state.current().graph
        while top is not None and hasattr(top, "parent"):
            top = top.parent
        lift = {} if top is g else {"graph": top, "tapes": (), "adjoint": None}
        with _state.using(scope=(), **lift), _r.own_streams():   # full name: no scope prefix
            # dtype by keyword, as Keras calls initializers (kernel_initializer=tf.random.normal)
            v = KerasVariable(lambda: init(shape, dtype=dt), trainable=trainable,
                              name="/".join(scope + (name,)), dtype=dt)
        # applied by the optimizer after each update; a weight named `kernel` takes the layer's
        # `kernel_constraint` (Keras' <weight>_constraint arguments) unless one is given
        v.constraint = _constraints.get(constraint if constraint is not None else
                                        getattr(self, f"{name}_constraint", None))
        self._own_weights.append(v)
        reg = _reg.get(regularizer)
        if reg is not None:
            self._regularized.append((v, reg))
        return v

    add_variable = add_weight

    # ---- losses -------------------------------------------------------------------
    def add_loss(self, loss):
        """Add a loss tensor (computed in `call`) to `layer.losses`."""
        self._call_losses.append(loss)

    @property
    def losses(self):
        """Losses added during the latest call plus weight-regularization penalties, of this
        layer and its sublayers (computed now, so inside a traced step they are graph values)."""
        out = list(self._call_losses)
        if self.trainable:
            out.extend(reg(v) for v, reg in self._regularized)
        for sub in self._sublayers():
            out.extend(sub.losses)
        return out

    # ---- building and calling -------------------------------------------------------
    def build(self, input_shape):
        """Create the layer's weights from the input shape (default: none)."""
        self.built = True

    def call(self, inputs, *args, **kwargs):
        return inputs

    def _convert_inputs(self, inputs):
        dt = self._compute_dtype

        def conv(x):
            if isinstance(x, Variable):
                x = x.read_value()
            # (autocast=False: floating tensors and arrays as given, as Keras 3)
            cast = dt.is_floating and self.autocast
            if isinstance(x, Tensor):
                if x.dtype.is_floating and x.dtype != dt and cast:
                    return _m.cast(x, dt)
                return x
            if isinstance(x, (np.ndarray, np.generic, list, float, int)) and not isinstance(x, bool):
                a = np.asarray(x)
                if a.dtype.kind == "f" and (cast or dt.is_floating and
                                            not isinstance(x, (np.ndarray, np.generic))):
                    a = a.astype(dt.np)
                return convert_to_tensor(a)
            return x
        if isinstance(inputs, (Tensor, Variable, np.ndarray)):
            return conv(inputs)
        leaves = flatten(inputs)[0]
        if isinstance(inputs, (list, tuple)) and leaves and all(
                isinstance(v, (int, float, np.number)) and not isinstance(v, bool) for v in leaves):
            return conv(np.asarray(inputs))   # nested lists of numbers: one tensor
        return _map(conv, inputs)

    def _maybe_build(self, inputs):
        shapes = _map(lambda t: TensorShape(t.shape) if hasattr(t, "shape") else None, inputs)
        if not self.built:
            with self._own_scope():   # Keras 3 builds in the layer's name scope
                self.build(shapes)
            self.built = True

    def _own_scope(self):
        """The layer's Keras name scope (Keras 3 opens it around build and call; weights
        created inside get paths '<enclosing layers>/<layer>/<weight>')."""
        return keras_path(self.name)

    def __call__(self, *args, **kwargs):
        with _r.own_streams():   # Keras' random layers: graphflow's streams (random_ops)
            return self._layer_call(*args, **kwargs)

    def _layer_call(self, *args, **kwargs):
        if args:
            inputs, args = args[0], args[1:]
        elif "inputs" in kwargs:
            inputs = kwargs.pop("inputs")
        elif _first_call_arg(self) in kwargs:   # Keras 3: layer(x=..., context=...)
            inputs = kwargs.pop(_first_call_arg(self))
        else:
            raise TypeError(f"{self.name}: call needs an input")
        if _is_symbolic((inputs, args, kwargs)):   # also call(targets, logits) on two Inputs
            if self.input_spec is not None:   # Keras 3 checks the first argument first
                assert_input_compatibility(self.input_spec, inputs, self.name)
            return self._symbolic_call(inputs, args, kwargs)
        if self._ragged_flat_values and _cvals.kind_of(inputs) == "ragged":
            return _cvals.on_flat_values(self, inputs, args, kwargs)
        mask = kwargs.pop("mask", None)
        if mask is None:   # Keras: a tensor carries its mask (`_keras_mask`) into the next layer
            mask = _mask_of(inputs)
        if mask is not None and self._call_takes_mask:
            kwargs["mask"] = mask
        training = kwargs.pop("training", None)
        if training is None:
            training = _TRAINING.get()
        inputs = self._convert_inputs(inputs)
        if self.input_spec is not None:   # (on the tensors a list or an array became)
            assert_input_compatibility(self.input_spec, inputs, self.name)
        if self._call_arg_masks:   # a tensor argument's Keras mask, as Keras 3 passes it
            kwargs.update(arg_masks(self, inputs, args, kwargs,
                                    lambda t: getattr(t, "_keras_mask", None)))
        if (args or kwargs) and self.autocast and self._compute_dtype.is_floating:
            # Keras 3 casts floating tensors among the other arguments too (attention's value)
            args, kwargs = _map(self._autocast_arg, (args, kwargs))
        building = not self.built
        if building:
            self._maybe_build(inputs)
            if self.input_spec is not None:   # (build may have narrowed it: Dense's last axis)
                assert_input_compatibility(self.input_spec, inputs, self.name)
        if training is not None and self._call_takes_training:
            kwargs["training"] = bool(training) if not isinstance(training, Tensor) else training
        self._call_losses = []
        token = _TRAINING.set(training)
        try:
            # every node of this call records the layer; weights built inside get its path
            with _state.name_scope(self.name), keras_path(self.name), self._autocast_scope():
                outputs = self.call(inputs, *args, **kwargs)
        finally:
            _TRAINING.reset(token)
        if self.activity_regularizer is not None:   # Keras 3: per output, over the batch size
            for out in flatten(outputs)[0]:
                if isinstance(out, Tensor):
                    loss = self.activity_regularizer(out)
                    if out.ndim > 0:   # (a run-time size in a traced step: PointNet's fit)
                        loss = _m.divide_no_nan(loss, _m.cast(_s.shape(out)[0], loss.dtype))
                    self.add_loss(loss)
        self._input_shape_value = _map(
            lambda t: _batchless(t.shape) if hasattr(t, "shape") else None, inputs)
        self._output_shape_value = _map(
            lambda t: _batchless(t.shape) if hasattr(t, "shape") else None, outputs)
        if building:   # the shapes of the call that built it, batch included (summary())
            b = BUILD_BATCH.get()
            self._built_output_shape = _map(
                lambda t: None if not hasattr(t, "shape") else TensorShape(t.shape)
                if not b or not t.shape else TensorShape(b + tuple(t.shape)[1:]), outputs)
        if mask is not None or type(self).compute_mask is not Layer.compute_mask:
            if self.supports_masking:   # (the default compute_mask of no mask is no mask)
                self._set_output_masks(inputs, outputs, mask)
        return outputs

    def _autocast_arg(self, x):
        if isinstance(x, np.ndarray) and x.dtype.kind == "f":
            return convert_to_tensor(x.astype(self._compute_dtype.np, copy=False))
        if isinstance(x, Tensor) and x.dtype.is_floating and x.dtype != self._compute_dtype:
            return _m.cast(x, self._compute_dtype)
        return x

    @contextlib.contextmanager
    def _autocast_scope(self):
        """Keras 3's autocast scope around `call`: a mixed policy's layer (or any layer inside
        an autocast scope) reads floating weights as its compute dtype; none for a layer with
        autocast=False or a non-float compute dtype."""
        outer, dt = _AUTOCAST.get(), self._compute_dtype
        if outer is None and dt == self._dtype:
            yield
            return
        token = _AUTOCAST.set(dt if self.autocast and dt.is_floating else None)
        try:
            yield
        finally:
            _AUTOCAST.reset(token)

    def _set_output_masks(self, inputs, outputs, mask):
        """Attach `compute_mask`'s result to the outputs as `_keras_mask` (unless they carry
        one already), so that the next layer receives it, as in Keras."""
        outs = [t for t in flatten(outputs)[0] if isinstance(t, Tensor)]
        if not outs or all(getattr(t, "_keras_mask", None) is not None for t in outs):
            return
        out_mask = self.compute_mask(inputs, mask)
        if out_mask is None:
            return
        for t, m in zip(outs, flatten(out_mask)[0] if len(outs) > 1 else [out_mask]):
            if m is not None and getattr(t, "_keras_mask", None) is None:
                t._keras_mask = m

    def _symbolic_call(self, inputs, args, kwargs):
        """Functional API: the output shapes come from the op rules - the layer (built from the
        input shapes) is traced once, in a throwaway graph, on inputs whose unknown dims are
        symbolic; a layer whose Python code needs concrete sizes runs once on a batch of zeros
        instead. The call is recorded as a graph node."""
        if _state.current().graph is not None:
            raise TypeError("functional models must be built outside graphflow.function")
        composite = any(getattr(v, "ragged", False) or getattr(v, "sparse", False)
                        for v in flatten((inputs, args, kwargs))[0])
        out = None if composite else self._traced_shapes(inputs, args, kwargs)
        if out is None:
            out = self._probed_shapes(inputs, args, kwargs)
        for layer in self._flatten_layers():   # a symbolic call keeps no losses (Keras 3: its
            layer._call_losses = []            # add_loss values die with the stateless trace)
        batch = None
        for kt in flatten((inputs, args, kwargs))[0]:
            if isinstance(kt, KerasTensor) and kt.shape and kt.shape[0] is not None:
                batch = kt.shape[0]
        node = _Node(self, inputs, dict(kwargs, _args=args), None)

        def sym(t, name=self.name):
            shape = tuple(None if isinstance(d, Dim) else d for d in t.shape)
            kt = KerasTensor((batch,) + shape[1:] if shape else shape, t.dtype, node, name=name)
            kind = getattr(t, "kind", None) or _cvals.kind_of(t)
            kt.ragged, kt.sparse = kind == "ragged", kind == "sparse"
            m = getattr(t, "_keras_mask", None)
            if m is not None and hasattr(m, "shape"):   # Keras masking, symbolically
                kt._keras_mask = sym(m, f"{name}_mask")
            return kt
        node.outputs = _map(sym, out)
        # the output shape summary() shows: this call's KerasTensors (as Keras 3's last inbound
        # node), not the probe run's or the trace's (a run-time dim there is a size or a Dim)
        self._output_shape_value = _map(lambda kt: TensorShape(kt.shape), node.outputs)
        self.__dict__.setdefault("_sym_output", node.outputs)   # `layer.output`: the first call
        self.__dict__.setdefault("_sym_input", inputs)          # `layer.input`: its inputs
        return node.outputs

    #: the sizes an unknown non-batch dim takes when a layer must run on zeros to find its
    #: output shapes (two sizes: an output dim that follows them is unknown too)
    _PROBE_SIZES = (7, 8)

    def _probed_shapes(self, inputs, args, kwargs):
        """Output shapes from running the layer on zeros (batch 1): unknown non-batch input
        dims take two probe sizes in turn, and output dims that differ between the runs are
        unknown (not 1, the size a single run would give them)."""
        kts = [v for v in flatten((inputs, args, kwargs))[0] if isinstance(v, KerasTensor)]
        unknown = any(d is None for kt in kts for d in tuple(kt.shape)[1:])

        def run(size):
            def zeros(kt):
                if kt.ragged or kt.sparse:
                    return _cvals.probe(kt, size)
                shape = tuple((1 if a == 0 else size) if d is None else d
                              for a, d in enumerate(kt.shape))
                if kt.dtype == _dt.string:   # empty strings (zeros are not strings)
                    return convert_to_tensor(np.full(shape, b"", object))
                z = convert_to_tensor(np.zeros(shape, kt.dtype.np))
                if kt._keras_mask is not None:   # a mask keeping every step
                    z._keras_mask = convert_to_tensor(np.ones(shape[:kt._keras_mask.ndim], bool))
                return z
            c = _map(lambda v: zeros(v) if isinstance(v, KerasTensor) else v,
                     (inputs, args, kwargs))
            return self(c[0], *c[1], **c[2])
        first = run(self._PROBE_SIZES[0])
        if not unknown:
            return first
        second = run(self._PROBE_SIZES[1])
        leaves, rebuild = flatten(first)
        marked = []
        for a, b in zip(leaves, flatten(second)[0]):
            if hasattr(a, "shape") and hasattr(b, "shape"):
                dims = tuple(da if da == db else Dim("probe")
                             for da, db in zip(tuple(a.shape), tuple(b.shape)))
                marked.append(_ShapeOnly(dims, a.dtype, _cvals.kind_of(a)))
            else:
                marked.append(a)
        return rebuild(marked)

    output = _first_functional_call(
        "_sym_output", "output",
        """The KerasTensor(s) this layer produced when first called on keras.Input values
        (Keras' `layer.output`, e.g. for feature extractors); AttributeError before that.""")
    input = _first_functional_call(
        "_sym_input", "input",
        """The KerasTensor(s) this layer was first called on in a functional graph (Keras'
        `layer.input`); AttributeError before that.

        >>> from graphflow import keras
        >>> x = keras.Input((4,))
        >>> d = keras.layers.Dense(2)
        >>> y = d(x)
        >>> d.input is x, d.output is y
        (True, True)
        """)

    def _traced_shapes(self, inputs, args, kwargs):
        """The layer's outputs (symbolic tensors: their shapes) traced on KerasTensor inputs,
        or None if the layer cannot be built or traced with unknown dims."""
        kts = [v for v in flatten((inputs, args, kwargs))[0] if isinstance(v, KerasTensor)]
        try:
            if not self.built:
                self._maybe_build(inputs)
        except Exception:
            return None
        builder = _graph.GraphBuilder(f"{self.name}_shapes")
        ids = {id(kt): i for i, kt in enumerate(kts)}
        n_params = [len(kts)]

        def param(kt):
            i = ids[id(kt)]
            shape = tuple((Dim("batch") if a == 0 else Dim(f"d{i}_{a}")) if d is None else d
                          for a, d in enumerate(kt.shape))
            p = builder.parameter(i, f"input_{i}", shape, kt.dtype.np)
            m = kt._keras_mask
            if m is not None:   # its mask: one more input, sharing the leading dims
                m_shape = tuple(shape[a] if d is None and a < len(shape) else
                                Dim(f"m{i}_{a}") if d is None else d
                                for a, d in enumerate(m.shape))
                p._keras_mask = builder.parameter(n_params[0], f"mask_{i}", m_shape, m.dtype.np)
                n_params[0] += 1
            return p
        # a symbolic trace that fails half-way through a build must not leave half the
        # weights behind (the concrete run that follows would create them twice)
        unbuilt = [(l, {k: v.copy() if isinstance(v, (list, dict, set)) else v
                        for k, v in l.__dict__.items()})
                   for l in self._flatten_layers() if not l.built]
        token = _state.push(graph=builder, tapes=(), adjoint=None)
        try:
            inputs, args, kwargs = _map(lambda v: param(v) if isinstance(v, KerasTensor) else v,
                                        (inputs, args, kwargs))
            return self(inputs, *args, **kwargs)
        except Exception:
            for layer, saved in unbuilt:
                layer.__dict__.clear()
                layer.__dict__.update(saved)
            return None
        finally:
            _state.pop(token)

    def compute_output_shape(self, input_shape):
        """Output shape for an input shape: from the op rules (the layer traced on symbolic
        unknown dims), or by running the layer on zeros if it needs concrete sizes."""
        out = self._traced_shapes(KerasTensor(input_shape, self._compute_dtype), (), {})
        if out is not None and hasattr(out, "shape"):
            return TensorShape(tuple(None if isinstance(d, Dim) else d for d in out.shape))
        shape = tuple(1 if d is None else d for d in input_shape)
        out = self(convert_to_tensor(np.zeros(shape, self._compute_dtype.np)))
        return _batchless(out.shape) if input_shape and input_shape[0] is None else out.shape

    supports_masking = _SupportsMasking()

    def compute_mask(self, inputs, mask=None):
        """The mask of this layer's output given its input's (Keras: `Sequential` propagates it
        and passes it as `mask=` to layers whose `call` takes one, e.g. the recurrent layers)."""
        return mask if self.supports_masking else None

    # ---- config and pickling ------------------------------------------------------------
    def get_config(self):
        """name, trainable and the dtype policy, as Keras 3 gives them; for a layer class
        written outside graphflow that does not write its own get_config, also the plain
        constructor arguments it was made with (Keras 3's auto-config):

        >>> Dense(2, name="d").get_config()["dtype"]["config"]
        {'name': 'float32'}
        """
        cfg = {"name": self.name}
        definer = next(k for k in type(self).__mro__ if "get_config" in k.__dict__)
        auto = self.__dict__.get("_auto_config")
        if auto is not None and definer.__name__ in ("Layer", "Model") and \
                definer.__module__.startswith("graphflow.keras."):
            cfg.update(auto)
        cfg.update({"trainable": self.trainable,
                    "dtype": {"module": "keras", "class_name": "DTypePolicy",
                              "config": {"name": self.dtype_policy.name},
                              "registered_name": None}})
        return cfg

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_call_losses"] = []   # values of the latest call (may belong to a finished trace)
        return state

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__module__}.{type(self).__name__} name={self.name}, built={self.built}>"


# ------------------------------------------------------------------ input
class InputLayer(Layer):
    """The entry point of a functional model (created by `keras.Input`); identity when called."""

    def __init__(self, input_shape=None, batch_size=None, dtype=None, name=None, shape=None,
                 batch_shape=None, ragged=False, sparse=False, **kwargs):
        shape = shape if shape is not None else input_shape
        super().__init__(name=name, dtype=dtype, **kwargs)
        if batch_shape is None:
            batch_shape = (batch_size,) + tuple(shape or ())
        self._batch_input_shape = TensorShape(batch_shape)
        self.built = True
        self._input_shape_value = self._output_shape_value = TensorShape(batch_shape)
        self.output = KerasTensor(batch_shape, self._dtype, None, name=self.name)
        self.output._input_layer = self
        self.output.ragged, self.output.sparse = bool(ragged), bool(sparse)

    def call(self, inputs):
        return inputs


def Input(shape=None, batch_size=None, dtype=None, name=None, batch_shape=None, **kwargs):
    """A symbolic input for the functional API: `x = keras.Input(shape=(784,))`."""
    if shape is None and batch_shape is None:
        raise ValueError("keras.Input needs a shape (without the batch dimension)")
    layer = InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, name=name,
                       batch_shape=batch_shape, **kwargs)
    return layer.output


# ------------------------------------------------------------------ core layers
def keras_object_config(obj, module):
    """An initializer's / regularizer's Keras 3 dict ({module, class_name, config,
    registered_name}); None for None; a plain function as it is.

    >>> keras_object_config(_init.get("zeros"), "keras.initializers")["class_name"]
    'Zeros'
    """
    if obj is None or not hasattr(obj, "get_config"):
        return obj
    return keras_dict(obj, module)


def configure_kernel_bias(layer, activation, use_bias, kernel_initializer, bias_initializer,
                          kernel_regularizer, bias_regularizer, activity_regularizer,
                          kernel_constraint=None, bias_constraint=None, kernel="kernel"):
    """The weight options Dense and the convolution layers share, under Keras's argument
    names; `kernel` prefixes the kernel's options ('depthwise' for DepthwiseConv2D).

    >>> d = Dense(2, activation="relu", kernel_regularizer="l2")
    >>> d.use_bias, d.kernel, type(d.kernel_regularizer).__name__
    (True, None, 'L2')
    """
    setattr(layer, f"{kernel}_constraint", _constraints.get(kernel_constraint))
    layer.bias_constraint = _constraints.get(bias_constraint)
    layer.activation = _act.get(activation)
    layer.use_bias = bool(use_bias)
    setattr(layer, f"{kernel}_initializer", _init.get(kernel_initializer))
    layer.bias_initializer = _init.get(bias_initializer)
    setattr(layer, f"{kernel}_regularizer", _reg.get(kernel_regularizer))
    layer.bias_regularizer = _reg.get(bias_regularizer)
    layer.activity_regularizer = _reg.get(activity_regularizer)
    layer.kernel = layer.bias = None


class Dense(Layer):
    """`activation(inputs @ kernel + bias)`; the kernel is (input_dim, units)."""

    supports_masking = True   # Keras 3: the input's mask passes through
    _ragged_flat_values = True

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 quantization_config=None, **kwargs):
        super().__init__(**kwargs)
        self.quantization_config = unquantized(self, quantization_config)
        self.units = int(units)
        if self.units <= 0:
            raise ValueError(f"Dense: units must be positive, got {units}")
        self.input_spec = InputSpec(min_ndim=2)
        configure_kernel_bias(self, activation, use_bias, kernel_initializer, bias_initializer,
                              kernel_regularizer, bias_regularizer, activity_regularizer,
                              kernel_constraint, bias_constraint)

    def _convert_inputs(self, inputs):
        x = super()._convert_inputs(inputs)
        # Keras 3's matmul promotes integer inputs with the float kernel (a uint8 image batch
        # works): cast them to the compute dtype
        if isinstance(x, Tensor) and (x.dtype.is_integer or x.dtype.is_bool) and \
                self._compute_dtype.is_floating:
            x = _m.cast(x, self._compute_dtype)
        return x

    def build(self, input_shape):
        last = input_shape[-1]
        if last is None:
            raise ValueError(f"Dense layer {self.name}: the last dimension of the inputs must be "
                             f"known, got shape {input_shape}")
        self.kernel = self.add_weight("kernel", (last, self.units), initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer)
        self.input_spec = InputSpec(min_ndim=2, axes={-1: int(last)})
        if self.use_bias:
            self.bias = self.add_weight("bias", (self.units,), initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer)
        self.built = True

    def call(self, inputs):
        x = inputs
        if x.shape[-1] != self.kernel.shape[0]:
            raise ValueError(f"Dense layer {self.name}: expected inputs with last dimension "
                             f"{self.kernel.shape[0]}, got shape {x.shape}")
        if _cvals.kind_of(x) == "sparse":
            y = _cvals.dense_matmul(x, self.kernel)
        elif x.ndim == 2:
            y = _m.matmul(x, self.kernel)   # (here: the viz shows Dense.call as its frame)
        else:
            lead = tuple(x.shape[:-1])
            y = _m.matmul(_s.reshape(x, (-1, x.shape[-1])), self.kernel)
            if None in lead:   # run-time sizes: x's own (reshape would read y's: their product)
                sizes = _rts.shape_of(x)
                lead = [sizes[i] if d is None else d for i, d in enumerate(lead)]
                y = _s.reshape(y, _rts.shape_tensor(lead + [self.units]))
            else:
                y = _s.reshape(y, lead + (self.units,))
        if self.use_bias:
            y = y + self.bias
        # Keras 3: `layer.activation = None` is linear (Grad-CAM's `model.layers[-1]...`)
        return y if self.activation is None else self.activation(y)

    def get_config(self):
        """Keras 3's Dense config (initializers and regularizers as Keras object dicts)."""
        return dict(super().get_config(), units=self.units,
                    activation=_act.serialize(self.activation), use_bias=self.use_bias,
                    kernel_initializer=keras_object_config(self.kernel_initializer,
                                                           "keras.initializers"),
                    bias_initializer=keras_object_config(self.bias_initializer,
                                                         "keras.initializers"),
                    kernel_regularizer=keras_object_config(self.kernel_regularizer,
                                                           "keras.regularizers"),
                    bias_regularizer=keras_object_config(self.bias_regularizer,
                                                         "keras.regularizers"),
                    kernel_constraint=keras_object_config(self.kernel_constraint,
                                                          "keras.constraints"),
                    bias_constraint=keras_object_config(self.bias_constraint,
                                                        "keras.constraints"),
                    quantization_config=None)


def unquantized(layer, quantization_config):
    """None (Keras 3.15's `quantization_config` of an unquantized layer); graphflow does not
    quantize layers, so any other value is an error naming the layer.

    >>> unquantized(Dense(1), None) is None
    True
    """
    if quantization_config is not None:
        raise NotImplementedError(f"{type(layer).__name__} {layer.name!r}: quantization_config="
                                  f"{quantization_config!r}: graphflow does not quantize layers")
    return None


class Activation(Layer):
    supports_masking = True   # Keras 3: the input's mask passes through

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = _act.get(activation)

    def call(self, inputs):
        return self.activation(inputs)


class ReLU(Layer):
    supports_masking = True   # Keras 3: the input's mask passes through

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        self.max_value, self.negative_slope, self.threshold = max_value, negative_slope, threshold

    def call(self, inputs):
        return _act.relu(inputs, self.negative_slope, self.max_value, self.threshold)


class LeakyReLU(Layer):
    supports_masking = True   # Keras 3: the input's mask passes through

    def __init__(self, negative_slope=0.3, alpha=None, **kwargs):
        super().__init__(**kwargs)
        self.negative_slope = negative_slope if alpha is None else alpha

    def call(self, inputs):
        return _nn.leaky_relu(inputs, self.negative_slope)


class Softmax(Layer):
    """softmax over `axis`; where `mask` is False the input counts as -1e9 and the output is 0
    (Keras 3)."""
    supports_masking = True

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis

    def call(self, inputs, mask=None):
        if mask is None:
            return _act.softmax(inputs, self.axis)
        mask = _m.cast(mask, _dt.bool) if not mask.dtype == _dt.bool else mask
        x = _m.where(mask, inputs, _m.cast(-1e9, inputs.dtype))
        out = _act.softmax(x, self.axis)
        return _m.where(mask, out, _m.zeros_like(out))


class Flatten(Layer):
    """Flatten all but the batch dimension: (N, a, b) -> (N, a*b); (N,) -> (N, 1)."""

    input_spec = InputSpec(min_ndim=1)

    def call(self, inputs):
        if inputs.ndim == 0:
            raise ValueError("Flatten needs inputs with a batch dimension")
        if inputs.ndim == 1:
            return _s.expand_dims(inputs, -1)
        rest = tuple(inputs.shape[1:])   # -1 for the batch: any batch size, as in Keras
        return _s.reshape(inputs, (-1, int(np.prod(rest))) if None not in rest
                          else (inputs.shape[0], -1))


class Reshape(Layer):
    """Reshape all but the batch dimension to `target_shape` (one entry may be -1)."""

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        self.target_shape = tuple(int(d) for d in target_shape)

    def call(self, inputs):
        if -1 in self.target_shape:
            return _s.reshape(inputs, (inputs.shape[0],) + self.target_shape)
        return _s.reshape(inputs, (-1,) + self.target_shape)   # any batch size


class Dropout(Layer):
    """Zero a `rate` fraction of the inputs (scaling the rest by 1/(1-rate)), only when called
    with training=True (as `fit` does); identity otherwise."""
    supports_masking = True

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0.0 <= float(rate) < 1.0:
            raise ValueError(f"Dropout: rate must be in [0, 1), got {rate}")
        self.rate, self.noise_shape, self.seed = float(rate), noise_shape, seed

    def call(self, inputs, training=None):
        if not training or self.rate == 0.0:
            return inputs
        shape = tuple(inputs.shape)
        if self.noise_shape is not None:
            shape = tuple(s if n is None else n for s, n in zip(shape, self.noise_shape))
        u = _r.uniform(shape, dtype=inputs.dtype, seed=self.seed)
        keep = _m.cast(_m.greater_equal(u, self.rate), inputs.dtype)
        return inputs * keep * (1.0 / (1.0 - self.rate))

    def get_config(self):
        return dict(super().get_config(), rate=self.rate, seed=self.seed)


class GaussianNoise(Layer):
    """Add N(0, stddev^2) noise when training."""

    supports_masking = True   # Keras 3: the input's mask passes through

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.stddev, self.seed = float(stddev), seed

    def call(self, inputs, training=None):
        if not training:
            return inputs
        return inputs + _r.normal(tuple(inputs.shape), 0.0, self.stddev, inputs.dtype, self.seed)


def _getitem(x, key):
    return x[key]


class _Slot:
    """Where a KerasTensor stood in an op node's (args, kwargs)."""


class OpLayer(Layer):
    """A `keras.ops` function (or a Python operator) applied to KerasTensors: one weightless
    node of a functional model (Keras 3 records op calls so; tf.keras had TFOpLambda). Built by
    `apply_op`; its call puts the real tensors back where the KerasTensors were and calls `fn`.

    >>> from graphflow import keras
    >>> x = keras.Input((3,))
    >>> y = keras.ops.expand_dims(x, -1) * 2.0 + 1.0
    >>> y.shape, type(y._node.layer).__name__, y._node.layer.name.startswith("add")
    (TensorShape([None, 3, 1]), 'OpLayer', True)
    """

    _op_node = True   # an operation of the model, not one of its `layers` (Keras 3)

    def __init__(self, fn, args=(), kwargs=None, op_name=None, **kw):
        self.op_name = op_name or getattr(fn, "__name__", "op")
        kw.setdefault("name", unique_name(self.op_name))
        super().__init__(**kw)
        self.fn = fn
        leaves, self._rebuild = flatten((tuple(args), dict(kwargs or {})))
        self._slots = [i for i, v in enumerate(leaves) if isinstance(v, KerasTensor)]
        self._template = [_Slot if isinstance(v, KerasTensor) else v for v in leaves]
        self.built = True

    def _convert_inputs(self, inputs):
        return [v if isinstance(v, Tensor) else convert_to_tensor(v) for v in inputs]

    def _op_path(self):
        """`fn` as a name `from_config` can find: 'get_item' or '<keras.ops module>.<name>'."""
        if self.fn is _getitem:
            return "get_item"
        from . import ops
        for sub in ("numpy", "nn", "core", "linalg", "image"):
            for name, v in vars(getattr(ops, sub)).items():
                if not name.startswith("_") and (v is self.fn or
                                                 getattr(v, "__wrapped__", None) is self.fn):
                    return f"{sub}.{name}"
        return None

    def get_config(self):
        """The op by name and its arguments, KerasTensors marked; an op or argument JSON can
        not hold (a function of your own, a tensor constant, ...) is a ValueError naming the
        op, rather than a model that loads without it.

        >>> from graphflow import keras
        >>> y = keras.ops.sum(keras.Input((3,)), axis=-1)
        >>> cfg = y._node.layer.get_config()
        >>> cfg["fn"], cfg["args"], cfg["kwargs"]
        ('numpy.sum', [{'__keras_tensor__': 0}], {'axis': -1})
        """
        path = self._op_path()
        if path is None:
            raise ValueError(f"cannot save the functional-model op node {self.name!r}: its "
                             f"function {getattr(self.fn, '__qualname__', self.fn)!r} is not a "
                             "keras.ops function; wrap it in a registered custom Layer instead")
        slots = iter(range(len(self._slots)))

        def enc(v):
            if v is _Slot:
                return {"__keras_tensor__": next(slots)}
            if v is None or isinstance(v, (bool, int, float, str)):
                return v
            if isinstance(v, (np.integer, np.floating, np.bool_)):
                return v.item()
            if isinstance(v, tuple) and not hasattr(v, "_fields"):
                return {"__tuple__": [enc(x) for x in v]}
            if isinstance(v, list):
                return [enc(x) for x in v]
            if isinstance(v, dict) and all(isinstance(k, str) for k in v):
                return {k: enc(x) for k, x in v.items()}
            if isinstance(v, slice):
                return {"__slice__": [enc(v.start), enc(v.stop), enc(v.step)]}
            if v is Ellipsis:
                return {"__ellipsis__": True}
            if isinstance(v, _dt.DType):
                return v.name
            raise ValueError(f"cannot save the functional-model op node {self.name!r} "
                             f"(keras.ops {path}): an argument of type {type(v).__name__} has "
                             "no JSON form (pass such values as keras.Input or weights of a "
                             "custom Layer instead)")
        args, kwargs = self._rebuild(self._template)
        return dict(super().get_config(), fn=path, args=[enc(a) for a in args],
                    kwargs={k: enc(v) for k, v in kwargs.items()})

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        path, args, kwargs = config.pop("fn"), config.pop("args"), config.pop("kwargs")
        if path == "get_item":
            fn = _getitem
        else:
            from . import ops
            sub, name = path.split(".")
            fn = getattr(getattr(ops, sub), name)
        kts = {}

        def dec(v):
            if isinstance(v, list):
                return [dec(x) for x in v]
            if not isinstance(v, dict):
                return v
            if "__keras_tensor__" in v:   # a stand-in KerasTensor: only its position counts
                return kts.setdefault(v["__keras_tensor__"], KerasTensor((), _dt.float32))
            if "__tuple__" in v:
                return tuple(dec(x) for x in v["__tuple__"])
            if "__slice__" in v:
                return slice(*dec(v["__slice__"]))
            if "__ellipsis__" in v:
                return Ellipsis
            return {k: dec(x) for k, x in v.items()}
        config.setdefault("op_name", "get_item" if fn is _getitem else fn.__name__)
        return cls(fn, tuple(dec(a) for a in args), dec(kwargs), **config)

    def call(self, inputs):
        leaves = list(self._template)
        for i, t in zip(self._slots, inputs):
            leaves[i] = t
        args, kwargs = self._rebuild(leaves)
        return self.fn(*args, **kwargs)


def apply_op(fn, args, kwargs, op_name=None):
    """`fn(*args, **kwargs)` with KerasTensors among the (nested) arguments, as an `OpLayer`
    node of the functional graph: its KerasTensor output(s).

    >>> from graphflow import keras
    >>> from graphflow.keras.layers import apply_op
    >>> x = keras.Input((4, 2))
    >>> apply_op(keras.ops.sum, (x,), {"axis": -1}).shape
    TensorShape([None, 4])
    """
    kts = [v for v in flatten((args, kwargs))[0] if isinstance(v, KerasTensor)]
    layer = OpLayer(fn, args, kwargs, op_name=op_name)
    try:
        return layer(kts)
    except Exception as e:   # the op's own error names the probe shapes: add the real ones
        e.add_note(f"while recording keras.ops {layer.op_name} on KerasTensors of shapes "
                   f"{[tuple(kt.shape) for kt in kts]} (dtypes "
                   f"{[kt.dtype.name for kt in kts]}) at {_user_source()}")
        raise


class Lambda(Layer):
    """Wrap an arbitrary function of the inputs as a layer (no weights), as Keras 3:
    `arguments` are extra keyword arguments of the function, `mask` a function
    `(inputs, mask) -> mask` or a fixed output mask, `output_shape` what `compute_output_shape`
    gives (a shape, or a function of the input shape).

    >>> Lambda(lambda x, k: x * k, arguments={"k": 3.})(np.ones((1, 2), np.float32)).numpy()
    array([[3., 3.]], dtype=float32)
    """

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        self.function = function
        self.arguments = dict(arguments or {})
        self._lambda_output_shape, self.mask = output_shape, mask
        self.supports_masking = mask is not None
        params = inspect.signature(function).parameters
        self._fn_takes_mask = "mask" in params
        self._fn_takes_training = "training" in params

    def call(self, inputs, mask=None, training=None):
        kw = dict(self.arguments)
        if self._fn_takes_mask:
            kw["mask"] = mask
        if self._fn_takes_training:
            kw["training"] = training
        return self.function(inputs, **kw)

    def compute_mask(self, inputs, mask=None):
        return self.mask(inputs, mask) if callable(self.mask) else self.mask

    def compute_output_shape(self, input_shape):
        if self._lambda_output_shape is None:
            return super().compute_output_shape(input_shape)
        if callable(self._lambda_output_shape):
            return TensorShape(self._lambda_output_shape(input_shape))
        return TensorShape((input_shape[0],) + tuple(self._lambda_output_shape))


class Embedding(Layer):
    """Integer indices (N, ...) -> vectors (N, ..., output_dim) from a trainable table."""

    _ragged_flat_values = True

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform",
                 embeddings_regularizer=None, embeddings_constraint=None, mask_zero=False,
                 weights=None, quantization_config=None, activity_regularizer=None, **kwargs):
        kwargs.pop("input_length", None)
        super().__init__(**kwargs)
        self.activity_regularizer = _reg.get(activity_regularizer)
        self.quantization_config = unquantized(self, quantization_config)
        self._initial_weights = weights   # Keras 3: the table's starting values
        self.input_dim, self.output_dim = int(input_dim), int(output_dim)
        self.mask_zero = bool(mask_zero)   # index 0 is padding: the output mask is inputs != 0
        self.embeddings_initializer = _init.RandomUniform() \
            if embeddings_initializer == "uniform" else _init.get(embeddings_initializer)
        self.embeddings_regularizer = _reg.get(embeddings_regularizer)
        self.embeddings_constraint = _constraints.get(embeddings_constraint)

    def _convert_inputs(self, inputs):
        if isinstance(inputs, (Tensor, Variable)):
            return convert_to_tensor(inputs)
        return convert_to_tensor(np.asarray(inputs))

    def build(self, input_shape):
        self.embeddings = self.add_weight("embeddings", (self.input_dim, self.output_dim),
                                          initializer=self.embeddings_initializer,
                                          regularizer=self.embeddings_regularizer)
        self.built = True
        if self._initial_weights is not None:
            self.set_weights(self._initial_weights)
            self._initial_weights = None

    def call(self, inputs):
        idx = inputs if inputs.dtype.is_integer else _m.cast(inputs, _dt.int32)
        return _s.gather(self.embeddings, idx)

    def get_config(self):
        """Keras 3.15's Embedding config (initializer, regularizers, constraint as Keras object
        dicts).

        >>> Embedding(5, 2).get_config()["quantization_config"] is None
        True
        """
        return dict(super().get_config(), input_dim=self.input_dim, output_dim=self.output_dim,
                    embeddings_initializer=keras_object_config(self.embeddings_initializer,
                                                               "keras.initializers"),
                    embeddings_regularizer=keras_object_config(self.embeddings_regularizer,
                                                               "keras.regularizers"),
                    activity_regularizer=keras_object_config(self.activity_regularizer,
                                                             "keras.regularizers"),
                    embeddings_constraint=keras_object_config(self.embeddings_constraint,
                                                              "keras.constraints"),
                    mask_zero=self.mask_zero, quantization_config=None)

    def compute_mask(self, inputs, mask=None):
        if not self.mask_zero:
            return None
        return _m.not_equal(convert_to_tensor(inputs), 0)


class BatchNormalization(Layer):
    """Normalize with batch statistics when training (updating moving averages), with the moving
    averages at inference: gamma * (x - mean) / sqrt(var + epsilon) + beta."""

    supports_masking = True   # Keras 3: the input's mask passes through

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones",
                 moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_constraint=None, gamma_constraint=None, **kwargs):
        super().__init__(**kwargs)
        # add_weight applies `<weight>_constraint`
        self.beta_constraint = _constraints.get(beta_constraint)
        self.gamma_constraint = _constraints.get(gamma_constraint)
        self.axis, self.momentum, self.epsilon = axis, float(momentum), float(epsilon)
        self.center, self.scale = bool(center), bool(scale)
        self._inits = (beta_initializer, gamma_initializer, moving_mean_initializer,
                       moving_variance_initializer)

    def build(self, input_shape):
        rank = len(input_shape)
        self._axis = self.axis % rank
        dim = input_shape[self._axis]
        bi, gi, mi, vi = self._inits
        self.gamma = self.add_weight("gamma", (dim,), initializer=gi) if self.scale else None
        self.beta = self.add_weight("beta", (dim,), initializer=bi) if self.center else None
        self.moving_mean = self.add_weight("moving_mean", (dim,), initializer=mi, trainable=False)
        self.moving_variance = self.add_weight("moving_variance", (dim,), initializer=vi,
                                               trainable=False)
        self.built = True

    def call(self, inputs, training=None):
        if inputs.dtype == _dt.float16:   # Keras 3: computed in float32 (a float16
            token = _AUTOCAST.set(None)   # variance overflows)
            try:
                return _m.cast(self.call(_m.cast(inputs, _dt.float32), training), inputs.dtype)
            finally:
                _AUTOCAST.reset(token)
        rank = inputs.ndim
        reduce_axes = [a for a in range(rank) if a != self._axis]
        shape = [1] * rank
        shape[self._axis] = inputs.shape[self._axis]
        if training and self.trainable:
            mean, var = _nn.moments(inputs, reduce_axes)
            m = self.momentum
            self.moving_mean.assign(self.moving_mean.read_value() * m + _m.stop_gradient(mean) * (1 - m))
            self.moving_variance.assign(self.moving_variance.read_value() * m
                                        + _m.stop_gradient(var) * (1 - m))
        else:
            mean, var = self.moving_mean.read_value(), self.moving_variance.read_value()
        inv = _m.rsqrt(var + self.epsilon)
        if self.gamma is not None:
            inv = inv * self.gamma
        offset = -mean * inv
        if self.beta is not None:
            offset = offset + self.beta
        return inputs * _s.reshape(inv, shape) + _s.reshape(offset, shape)


class LayerNormalization(Layer):
    """Normalize each example over `axis` (default the last): gamma * (x - mean)/sqrt(var + eps) + beta."""

    supports_masking = True   # Keras 3: the input's mask passes through

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True, rms_scaling=False,
                 beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None,
                 **kwargs):
        super().__init__(**kwargs)
        self.beta_constraint = _constraints.get(beta_constraint)   # add_weight applies them
        self.gamma_constraint = _constraints.get(gamma_constraint)
        self.beta_initializer = _init.get(beta_initializer)
        self.gamma_initializer = _init.get(gamma_initializer)
        self.beta_regularizer = _reg.get(beta_regularizer)
        self.gamma_regularizer = _reg.get(gamma_regularizer)
        self.axis, self.epsilon, self.center, self.scale = axis, float(epsilon), center, scale
        self.rms_scaling = bool(rms_scaling)   # Keras 3: x / sqrt(var + eps) * gamma, no beta

    def build(self, input_shape):
        rank = len(input_shape)
        axes = [self.axis] if isinstance(self.axis, int) else list(self.axis)
        self._axes = sorted(a % rank for a in axes)
        pshape = tuple(input_shape[a] for a in self._axes)
        self.gamma = self.add_weight("gamma", pshape, initializer=self.gamma_initializer,
                                     regularizer=self.gamma_regularizer) \
            if self.scale or self.rms_scaling else None
        self.beta = self.add_weight("beta", pshape, initializer=self.beta_initializer,
                                    regularizer=self.beta_regularizer) \
            if self.center and not self.rms_scaling else None
        self.built = True

    def call(self, inputs):
        mean, var = _nn.moments(inputs, self._axes, keepdims=True)
        if self.rms_scaling:   # (Keras 3's deprecated option: not centred)
            mean = _m.zeros_like(mean)
        y = (inputs - mean) * _m.rsqrt(var + self.epsilon)
        bshape = [inputs.shape[a] if a in self._axes else 1 for a in range(inputs.ndim)]
        if self.gamma is not None:
            y = y * _s.reshape(self.gamma, bshape)
        if self.beta is not None:
            y = y + _s.reshape(self.beta, bshape)
        return y

    def get_config(self):
        """Keras 3's LayerNormalization config.

        >>> sorted(LayerNormalization(rms_scaling=True).get_config())[:4]
        ['axis', 'beta_constraint', 'beta_initializer', 'beta_regularizer']
        """
        cfg = dict(super().get_config(), axis=self.axis, epsilon=self.epsilon,
                   center=self.center, scale=self.scale, rms_scaling=self.rms_scaling)
        for w in ("beta", "gamma"):
            for kind, module in (("initializer", "keras.initializers"),
                                 ("regularizer", "keras.regularizers"),
                                 ("constraint", "keras.constraints")):
                cfg[f"{w}_{kind}"] = keras_object_config(getattr(self, f"{w}_{kind}"), module)
        return cfg


# ------------------------------------------------------------------ merging layers
class _Merge(Layer):
    def _convert_inputs(self, inputs):
        if not isinstance(inputs, (list, tuple)) or len(inputs) < 2:
            raise ValueError(f"{type(self).__name__} layer needs a list of at least 2 inputs")
        return [super(_Merge, self)._convert_inputs(x) for x in inputs]

    def _input_masks(self, inputs, mask):
        """The inputs' masks as a list (None if no mask was given), checked."""
        if mask is None:
            return None
        if not isinstance(mask, (list, tuple)) or len(mask) != len(inputs):
            raise ValueError(f"{type(self).__name__}: `mask` must be a list of one mask per "
                             f"input ({len(inputs)}), got {mask!r}")
        return list(mask)

    def compute_mask(self, inputs, mask=None):
        """Keras 3: a step is kept where any input keeps it (None if an input has no mask)."""
        mask = self._input_masks(inputs, mask)
        if mask is None or any(m is None for m in mask):
            return None
        out = mask[0]
        for m in mask[1:]:
            out = _m.logical_or(out, m)
        return out


class Add(_Merge):
    def call(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = out + x
        return out


class Subtract(_Merge):
    def call(self, inputs):
        if len(inputs) != 2:
            raise ValueError("Subtract needs exactly 2 inputs")
        return inputs[0] - inputs[1]


class Multiply(_Merge):
    def call(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = out * x
        return out


class Average(_Merge):
    def call(self, inputs):
        return Add.call(self, inputs) * (1.0 / len(inputs))


class Maximum(_Merge):
    def call(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = _m.maximum(out, x)
        return out


class Concatenate(_Merge):
    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis

    def call(self, inputs):
        return _s.concat(list(inputs), self.axis)

    def compute_mask(self, inputs, mask=None):
        """Keras 3: the inputs' masks (all-True for an unmasked input) joined along `axis`,
        then a step is kept where any of its features is."""
        mask = self._input_masks(inputs, mask)
        if mask is None or all(m is None for m in mask):
            return None
        full = []
        for x, m in zip(inputs, mask):
            if m is None:
                m = _m.not_equal(_m.ones_like(x, _dt.int8), 0)
            elif m.ndim < x.ndim:
                m = _m.logical_or(_s.expand_dims(m, -1), _m.not_equal(_m.zeros_like(x, _dt.int8), 0))
            full.append(m)
        return _m.reduce_any(_s.concat(full, self.axis), axis=-1)


def add(inputs, **kwargs):
    return Add(**kwargs)(inputs)


def concatenate(inputs, axis=-1, **kwargs):
    return Concatenate(axis=axis, **kwargs)(inputs)


class Minimum(_Merge):
    def call(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = _m.minimum(out, x)
        return out


def subtract(inputs, **kwargs):
    """Functional form of `Subtract`: `inputs[0] - inputs[1]`."""
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    """Functional form of `Multiply`: the elementwise product of the inputs."""
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    """Functional form of `Average`: the elementwise mean of the inputs.

    >>> import graphflow as tf
    >>> tf.keras.layers.average([tf.constant([1., 2.]), tf.constant([3., 6.])]).numpy().tolist()
    [2.0, 4.0]
    """
    return Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    """Functional form of `Maximum`: the elementwise maximum of the inputs."""
    return Maximum(**kwargs)(inputs)


def minimum(inputs, **kwargs):
    """Functional form of `Minimum`: the elementwise minimum of the inputs."""
    return Minimum(**kwargs)(inputs)


class Dot(_Merge):
    """The dot product of two samples along `axes` (Keras' `Dot`): (batch, d) x (batch, d) ->
    (batch, 1); (batch, n, d) x (batch, m, d) with axes=2 -> (batch, n, m). `normalize=True`
    L2-normalizes along the axes first (cosine proximity).

    >>> import graphflow as tf
    >>> x, y = tf.constant([[1., 2.], [3., 4.]]), tf.constant([[5., 6.], [7., 8.]])
    >>> tf.keras.layers.Dot(axes=1)([x, y]).numpy().tolist()
    [[17.0], [53.0]]
    """

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        self.axes, self.normalize = axes, normalize

    def call(self, inputs):
        if len(inputs) != 2:
            raise ValueError(f"Dot layer {self.name} needs exactly 2 inputs, got {len(inputs)}")
        x, y = inputs
        axes = (self.axes, self.axes) if isinstance(self.axes, int) else tuple(self.axes)
        ax, ay = [a % t.ndim for a, t in zip(axes, (x, y))]
        if x.ndim not in (2, 3) or y.ndim != x.ndim or ax == 0 or ay == 0:
            raise ValueError(f"Dot layer {self.name}: needs two inputs of rank 2 or 3 and axes "
                             f"other than the batch axis, got shapes {tuple(x.shape)}, "
                             f"{tuple(y.shape)} and axes={self.axes}")
        if self.normalize:
            x, y = _nn.l2_normalize(x, axis=ax), _nn.l2_normalize(y, axis=ay)
        if x.ndim == 2:
            return _m.reduce_sum(x * y, axis=1, keepdims=True)
        if ax == 1:   # contract x's last axis and y's middle one: a batched matmul
            x = _s.transpose(x, [0, 2, 1])
        if ay == 2:
            y = _s.transpose(y, [0, 2, 1])
        return _m.matmul(x, y)

    def get_config(self):
        return dict(super().get_config(), axes=self.axes, normalize=self.normalize)


def dot(inputs, axes, normalize=False, **kwargs):
    """Functional form of `Dot`."""
    return Dot(axes=axes, normalize=normalize, **kwargs)(inputs)


# ------------------------------------------------------------------ layers of other modules
#: Convolution, pooling and image-shaping layers live in keras/conv_layers.py, which imports
#: this module; they are exported here lazily (PEP 562) so `keras.layers.Conv2D` works.
CONV_LAYER_NAMES = (
    "Conv1D", "Conv2D", "DepthwiseConv2D", "SeparableConv2D", "Conv2DTranspose", "MaxPooling1D",
    "MaxPooling2D", "AveragePooling1D", "AveragePooling2D", "MaxPool1D", "MaxPool2D", "AvgPool1D",
    "AvgPool2D", "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalMaxPooling1D",
    "GlobalMaxPooling2D", "GlobalAvgPool1D", "GlobalAvgPool2D", "GlobalMaxPool1D",
    "GlobalMaxPool2D", "ZeroPadding2D", "Cropping2D", "UpSampling2D", "Rescaling")


#: The random image layers and spatial dropout live in keras/augmentation.py (same scheme).
AUGMENTATION_LAYER_NAMES = ("RandomFlip", "RandomTranslation", "RandomZoom", "RandomRotation",
                            "SpatialDropout1D", "SpatialDropout2D", "RandomShear")


#: Keras 3 aliases, RMSNormalization, SpatialDropout3D, adaptive pooling, Pipeline and
#: ReversibleEmbedding live in keras/layers_extra2.py (same scheme).
EXTRA2_LAYER_NAMES = (
    "Convolution1D", "Convolution2D", "Convolution3D", "Convolution1DTranspose",
    "Convolution2DTranspose", "Convolution3DTranspose", "SeparableConvolution1D",
    "SeparableConvolution2D", "RMSNormalization", "SpatialDropout3D",
    "AdaptiveAveragePooling1D", "AdaptiveAveragePooling2D", "AdaptiveAveragePooling3D",
    "AdaptiveMaxPooling1D", "AdaptiveMaxPooling2D", "AdaptiveMaxPooling3D", "Pipeline",
    "ReversibleEmbedding")

#: Recurrent layers and cells live in keras/recurrent.py (same scheme).
RECURRENT_LAYER_NAMES = ("SimpleRNN", "LSTM", "GRU", "RNN", "SimpleRNNCell", "LSTMCell", "GRUCell",
                         "Masking", "Bidirectional", "StackedRNNCells")


#: Statistics-learning preprocessing layers live in keras/preprocessing.py, attention layers in
#: keras/attention.py (same scheme).
PREPROCESSING_LAYER_NAMES = ("Normalization", "Discretization", "CategoryEncoding")
ATTENTION_LAYER_NAMES = ("MultiHeadAttention", "EinsumDense")

#: More core layers (wrappers, reshaping, normalization, attention, ...) live in
#: keras/layers_extra.py (same scheme).
EXTRA_LAYER_NAMES = (
    "InputSpec", "Identity", "ELU", "PReLU", "GaussianDropout", "AlphaDropout",
    "ActivityRegularization", "Permute", "RepeatVector", "ZeroPadding1D", "ZeroPadding3D",
    "Cropping1D", "Cropping3D", "UpSampling1D", "UpSampling3D", "GroupNormalization",
    "UnitNormalization", "Wrapper", "TimeDistributed", "Attention", "AdditiveAttention",
    "SpectralNormalization")
#: Image preprocessing layers (resizing, cropping, contrast, brightness): keras/image_layers.py.
IMAGE_LAYER_NAMES = ("Resizing", "CenterCrop", "RandomCrop", "RandomContrast",
                     "RandomBrightness", "RandomGrayscale", "RandomInvert", "Solarization",
                     "AutoContrast", "RandomHue", "RandomSaturation", "RandomColorDegeneration",
                     "RandomPosterization", "MixUp", "CutMix", "RandomColorJitter",
                     "RandomErasing", "RandomSharpness", "Equalization", "RandomGaussianBlur")
#: Lookup and text layers: keras/text_layers.py.
TEXT_LAYER_NAMES = ("StringLookup", "IntegerLookup", "TextVectorization", "Hashing",
                    "HashedCrossing")
#: 1-D transposed / depthwise / separable and 3-D convolutions and poolings:
#: keras/conv_extra.py.
CONV_EXTRA_LAYER_NAMES = (
    "Conv1DTranspose", "DepthwiseConv1D", "SeparableConv1D", "Conv3D", "Conv3DTranspose",
    "MaxPooling3D", "AveragePooling3D", "MaxPool3D", "AvgPool3D", "GlobalAveragePooling3D",
    "GlobalMaxPooling3D", "GlobalAvgPool3D", "GlobalMaxPool3D", "ConvLSTM1D", "ConvLSTM2D",
    "ConvLSTM3D")


#: module (in graphflow.keras) -> the layer names it exports through this module
LAZY_LAYER_MODULES = {
    "layers_extra": EXTRA_LAYER_NAMES, "image_layers": IMAGE_LAYER_NAMES,
    "text_layers": TEXT_LAYER_NAMES, "conv_extra": CONV_EXTRA_LAYER_NAMES,
    "preprocessing": PREPROCESSING_LAYER_NAMES, "attention": ATTENTION_LAYER_NAMES,
    "recurrent": RECURRENT_LAYER_NAMES, "conv_layers": CONV_LAYER_NAMES,
    "augmentation": AUGMENTATION_LAYER_NAMES, "layers_extra2": EXTRA2_LAYER_NAMES,
    "attention_extra": ("GroupQueryAttention",), "audio_layers": ("MelSpectrogram",)}


def __getattr__(name):
    for module, names in LAZY_LAYER_MODULES.items():
        if name in names:
            return getattr(importlib.import_module(f"{__package__}.{module}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()).union(*LAZY_LAYER_MODULES.values()))
