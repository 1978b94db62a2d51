"""Tensor (immutable), SymbolicTensor (a graph value while tracing) and Variable (mutable state).

>>> import graphflow as tf
>>> v = tf.Variable(tf.ones((3, 1)))
>>> v[0, 0].assign(3.)  # doctest: +ELLIPSIS
<tf.Variable 'UnreadVariable' shape=(3, 1) dtype=float32, numpy=...
"""
import enum

import numpy as np

from . import dtypes as _dt
from . import state as _state
from .errors import DTypeConversionError, InvalidArgumentError, OperatorNotAllowedInGraphError, user_source
from .indexing import index_spec, sliced_shape
from .ops.registry import ASSIGN
from .shapes import Dim

#: The operators of Tensor and Variable: name -> function(x, y) (or (x) / (x, idx)). The op
#: layer sits above this module and fills the table once at import (graphflow.ops); tensor.py
#: cannot import it. Looked up per call, so there is one definition of each operator.
OPERATORS = {}


class TensorShape:
    """TF's TensorShape: dims (ints, or None when unknown) with TF's helpers. Not a tuple, as
    TF's (`'%s' % shape` prints it), though it compares, hashes, indexes, iterates and
    concatenates (`+`) like one. Inside a trace an unknown dim is a symbolic
    `graphflow.shapes.Dim` (it prints as None and equals None).

    >>> s = TensorShape([2, None])
    >>> print('%s' % s, repr(s), s == (2, None), s + [3])
    (2, None) TensorShape([2, None]) True (2, None, 3)
    """

    __slots__ = ("_dims",)

    def __new__(cls, dims=()):
        if isinstance(dims, TensorShape):
            return dims
        t = object.__new__(cls)
        # None: the rank is unknown too (iterating sees no dims; rank, as_list, printing and
        # comparisons say "unknown")
        t._dims = None if dims is None else tuple(
            d if d is None or isinstance(d, Dim) else int(d) for d in dims)
        return t

    def __reduce__(self):
        return TensorShape, (self._dims,)

    @property
    def unknown_rank(self):
        return self._dims is None

    @property
    def rank(self):
        """The number of dims (None for `TensorShape(None)`).

        >>> TensorShape([2, None]).rank, TensorShape(None).rank
        (2, None)
        """
        return None if self._dims is None else len(self._dims)

    ndims = rank

    @property
    def dims(self):
        return None if self._dims is None else list(self._dims)

    def as_list(self):
        if self._dims is None:
            raise ValueError("as_list() is not defined on an unknown TensorShape.")
        return list(self._dims)

    def num_elements(self):
        return None if self._dims is None or None in self._dims else \
            int(np.prod(self._dims, dtype=np.int64))

    def is_fully_defined(self):
        return self._dims is not None and None not in self._dims

    def is_compatible_with(self, other):
        """Same rank, and equal dims wherever both are known (an unknown rank: any shape).

        >>> TensorShape([None, 2]).is_compatible_with((5, 2))
        True
        """
        other = TensorShape(other)
        if self._dims is None or other._dims is None:
            return True
        return len(self._dims) == len(other._dims) and all(
            a is None or b is None or a == b or isinstance(a, Dim) or isinstance(b, Dim)
            for a, b in zip(self._dims, other._dims))

    def assert_is_compatible_with(self, other):
        """ValueError unless `is_compatible_with(other)` (TF's message).

        >>> TensorShape([3]).assert_is_compatible_with([2])
        Traceback (most recent call last):
        ValueError: Shapes (3,) and (2,) are incompatible
        """
        if not self.is_compatible_with(other):
            raise ValueError(f"Shapes {self} and {TensorShape(other)} are incompatible")

    def merge_with(self, other):
        """The most specific shape compatible with both (ValueError if they are not).

        >>> TensorShape([None, 2]).merge_with([3, None])
        TensorShape([3, 2])
        """
        other = TensorShape(other)
        if not self.is_compatible_with(other):
            raise ValueError(f"Shapes {self} and {other} are not compatible")
        if self._dims is None or other._dims is None:
            return other if self._dims is None else self
        return TensorShape([b if a is None or isinstance(a, Dim) else a
                            for a, b in zip(self._dims, other._dims)])

    def most_specific_compatible_shape(self, other):
        """Known dims where both agree, else None (TF's).

        >>> TensorShape([2, 3]).most_specific_compatible_shape([2, 4])
        TensorShape([2, None])
        """
        other = TensorShape(other)
        if self._dims is None or other._dims is None or len(self._dims) != len(other._dims):
            return TensorShape(None)
        return TensorShape([a if a == b else None for a, b in zip(self._dims, other._dims)])

    def assert_has_rank(self, rank):
        """ValueError unless the shape has `rank` dims."""
        if self._dims is not None and len(self._dims) != rank:
            raise ValueError(f"Shape {self} must have rank {rank}")

    def with_rank(self, rank):
        """This shape, if it has (or may have) `rank` dims (TF's ValueError otherwise)."""
        if self._dims is None:
            return TensorShape([None] * rank)
        if len(self._dims) != rank:
            raise ValueError(f"Shape {self} must have rank {rank}")
        return self

    def concatenate(self, other):
        """The dims of this shape followed by those of `other` (TF's `concatenate`, also `+`).

        >>> TensorShape([2, None]).concatenate([3])
        TensorShape([2, None, 3])
        """
        other = TensorShape(other)
        if self._dims is None or other._dims is None:
            return TensorShape(None)
        return TensorShape(self._dims + other._dims)

    def __add__(self, other):
        return self.concatenate(other)

    def __radd__(self, other):
        return TensorShape(other).concatenate(self)

    # ---- the sequence protocol (an unknown rank: no dims) ----------------------
    def __len__(self):
        return 0 if self._dims is None else len(self._dims)

    def __iter__(self):
        return iter(() if self._dims is None else self._dims)

    def __getitem__(self, i):
        if self._dims is None:
            return TensorShape(None) if isinstance(i, slice) else None
        r = self._dims[i]
        return TensorShape(r) if isinstance(i, slice) else r

    def __contains__(self, d):
        return self._dims is not None and d in self._dims

    def __bool__(self):   # (as a tuple: a scalar's shape is falsy; TF's is truthy)
        return bool(self._dims)

    def index(self, d):
        return self._dims.index(d)

    def count(self, d):
        return self._dims.count(d)

    def __eq__(self, other):
        """Equal dims, also against a tuple or list (TF: `TensorShape([5, 3]) == [5, 3]`).

        >>> TensorShape([5, 3]) == [5, 3], TensorShape([None, 3]) != (None, 3)
        (True, False)
        """
        if isinstance(other, TensorShape):
            return self._dims == other._dims
        if isinstance(other, (tuple, list)):
            return self._dims is not None and self._dims == tuple(other)
        return NotImplemented

    def __ne__(self, other):
        eq = self.__eq__(other)
        return eq if eq is NotImplemented else not eq

    def __hash__(self):   # a tuple's, so shapes and tuples find each other in dicts
        return hash(self._dims)

    def __repr__(self):
        return "TensorShape(None)" if self._dims is None else \
            f"TensorShape({[None if isinstance(d, Dim) else d for d in self._dims]})"

    def __str__(self):
        if self._dims is None:
            return "<unknown>"
        return "(" + ", ".join("None" if d is None or isinstance(d, Dim) else str(d)
                              for d in self._dims) + (",)" if len(self._dims) == 1 else ")")


def _shape_of(np_shape, _new=object.__new__):
    """TensorShape of a numpy shape (a tuple of Python ints) without re-validating each dim."""
    t = _new(TensorShape)
    t._dims = np_shape
    return t


_new = object.__new__
_BY_NP = _dt._BY_NP


class TensorSpec:
    """Shape and dtype of a function argument, for `@function(input_signature=...)`.
    `shape=None` is an unknown rank: any shape matches (`@function` then traces once per rank,
    with every dim unknown).

    >>> TensorSpec((None, 2), "float32")
    TensorSpec(shape=(None, 2), dtype=tf.float32, name=None)
    >>> TensorSpec(None).is_compatible_with(constant([[1., 2.]]))
    True
    """

    def __init__(self, shape, dtype=_dt.float32, name=None):
        self.unknown_rank = shape is None
        self.shape, self.dtype, self.name = TensorShape(shape), _dt.as_dtype(dtype), name

    @classmethod
    def from_tensor(cls, tensor, name=None):
        """The spec of `tensor`'s shape and dtype.

        >>> TensorSpec.from_tensor(constant([[1, 2]]))
        TensorSpec(shape=(1, 2), dtype=tf.int32, name=None)
        """
        return cls(tensor.shape, tensor.dtype, name)

    def is_compatible_with(self, x):
        return self.dtype == x.dtype and (self.unknown_rank
                                          or self.shape.is_compatible_with(x.shape))

    @property
    def value_type(self):
        """The Python type of the values this spec describes (TF's TypeSpec.value_type)."""
        return Tensor

    def is_subtype_of(self, other):
        """TF's TraceType: every tensor this spec admits `other` admits too (same dtype; other
        of unknown rank, or the same rank with each known dim equal).

        >>> TensorSpec([2, 3]).is_subtype_of(TensorSpec([None, 3]))
        True
        """
        if not isinstance(other, TensorSpec) or other.dtype != self.dtype:
            return False
        if other.unknown_rank or self.unknown_rank:
            return other.unknown_rank
        return len(self.shape) == len(other.shape) and all(
            b is None or a == b for a, b in zip(self.shape, other.shape))

    def most_specific_common_supertype(self, others):
        """TF's TraceType: the narrowest spec admitting this one and `others` (dims that differ
        become None, a rank that differs unknown; the name kept if all agree); None if a dtype
        differs.

        >>> TensorSpec([4, 3]).most_specific_common_supertype([TensorSpec([2, 3])])
        TensorSpec(shape=(None, 3), dtype=tf.float32, name=None)
        """
        specs = [self] + list(others)
        if any(not isinstance(o, TensorSpec) or o.dtype != self.dtype for o in specs):
            return None
        name = self.name if all(o.name == self.name for o in specs) else None
        if any(o.unknown_rank for o in specs) or len({len(o.shape) for o in specs}) > 1:
            return TensorSpec(None, self.dtype, name)
        return TensorSpec([d if all(o.shape[i] == d for o in specs) else None
                           for i, d in enumerate(self.shape)], self.dtype, name)

    def __eq__(self, o):
        return isinstance(o, TensorSpec) and (self.shape, self.dtype, self.unknown_rank) == \
            (o.shape, o.dtype, o.unknown_rank)

    def __hash__(self):
        return hash((self.shape, self.dtype, self.unknown_rank))

    def __repr__(self):
        shape = "<unknown>" if self.unknown_rank else self.shape
        return f"TensorSpec(shape={shape}, dtype={self.dtype!r}, name={self.name!r})"


def _numpy_text(arr, is_repr=False):
    if np.ndim(arr) == 0:   # TF shows `numpy=3.0`, not numpy 2's `np.float32(3.0)`
        return str(np.asarray(arr)[()])
    text = repr(arr) if is_repr else str(arr)
    return "\n" + text if "\n" in text else text


def _binary(name):
    """(method, reflected method) calling the registered operator `name`."""
    def method(self, other):
        return OPERATORS[name](self, other)

    def reflected(self, other):
        return OPERATORS[name](other, self)
    method.__name__, reflected.__name__ = f"__{name}__", f"__r{name}__"
    return method, reflected


def _unary(name):
    def method(self):
        return OPERATORS[name](self)
    method.__name__ = f"__{name}__"
    return method


class _TensorLike:
    """Operators shared by Tensor and Variable; all of them go through the op table."""

    __slots__ = ()
    __array_priority__ = 100  # numpy defers `ndarray + tensor` to our reflected operators

    __add__, __radd__ = _binary("add")
    __sub__, __rsub__ = _binary("subtract")
    __mul__, __rmul__ = _binary("multiply")
    __truediv__, __rtruediv__ = _binary("divide")
    __floordiv__, __rfloordiv__ = _binary("floordiv")
    __mod__, __rmod__ = _binary("mod")
    __pow__, __rpow__ = _binary("pow")
    __matmul__, __rmatmul__ = _binary("matmul")
    __and__, __rand__ = _binary("logical_and")
    __or__, __ror__ = _binary("logical_or")
    __lt__ = _binary("less")[0]
    __le__ = _binary("less_equal")[0]
    __gt__ = _binary("greater")[0]
    __ge__ = _binary("greater_equal")[0]
    __neg__ = _unary("negative")
    __abs__ = _unary("abs")
    __invert__ = _unary("logical_not")

    def __pos__(self):
        return self

    # TF2: == and != are elementwise; tensors stay hashable by identity
    def __eq__(self, o): return False if o is None else OPERATORS["equal"](self, o)   # `t == None`
    def __ne__(self, o): return True if o is None else OPERATORS["not_equal"](self, o)
    __hash__ = object.__hash__

    def __getitem__(self, idx): return OPERATORS["getitem"](self, idx)

    # Tensor and Variable hold their value in `_value` (SymbolicTensor overrides these)
    @property
    def shape(self):
        return _shape_of(self._value.shape)   # numpy shapes are already tuples of ints

    @property
    def dtype(self):
        try:
            return _BY_NP[self._value.dtype]
        except KeyError:
            return _dt.from_numpy(self._value.dtype)   # raises the clear error

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def device(self):
        """The device holding the value (graphflow runs on the CPU; TF's name for it).

        >>> constant(1.).device
        '/job:localhost/replica:0/task:0/device:CPU:0'
        """
        return "/job:localhost/replica:0/task:0/device:CPU:0"

    def get_shape(self):
        return self.shape

    def set_shape(self, shape):
        """Check that the tensor's shape is compatible with `shape` (TF's `set_shape`; shapes
        here are already as specific as they can be, so nothing changes).

        >>> constant([1., 2.]).set_shape([None])
        """
        if not TensorShape(shape).is_compatible_with(self.shape):
            raise ValueError(f"set_shape: tensor shape {tuple(self.shape)} is not compatible "
                             f"with {tuple(TensorShape(shape))}")

    def __len__(self):
        if not self.shape:
            raise TypeError("len() of unsized object: scalar tensor")
        n = self.shape[0]
        if not isinstance(n, (int, np.integer)):   # TF's error (AutoGraph converts len())
            raise TypeError(f"len is not well defined for a symbolic Tensor of shape {self.shape} "
                            f"(at {user_source()}): its first dim is known when the function "
                            "runs; use tf.shape(x)[0]")
        return n

    def __iter__(self):
        if not self.shape:
            raise TypeError("iterating over a 0-d tensor is not allowed")
        n = self.shape[0]
        if not isinstance(n, (int, np.integer)):   # TF's error for an unknown dim in a trace
            raise OperatorNotAllowedInGraphError(
                "Cannot iterate over a tensor with unknown first dimension (its size is known "
                "when the function runs: use tf.unstack(x, num=) or a tf.while_loop over "
                "tf.shape(x)[0])")
        return (self[i] for i in range(n))


class Tensor(_TensorLike):
    """An immutable n-dimensional array.

    >>> import graphflow as tf
    >>> print(tf.constant([[1., 2.]]) * 2)
    tf.Tensor([[2. 4.]], shape=(1, 2), dtype=float32)
    """

    __slots__ = ("_value", "_sliced", "_keras_mask", "__weakref__")   # Keras masking

    @classmethod
    def _wrap(cls, value):
        t = object.__new__(cls)
        t._value = value
        return t

    @property
    def ndim(self):
        return self._value.ndim

    def numpy(self):
        """The value as a numpy array (a copy-free read-only view; a numpy scalar for 0-d)."""
        self._escape()
        v = self._value
        if isinstance(v, np.ndarray):
            if v.ndim == 0:
                return v[()]   # a numpy scalar, as TF returns for 0-d tensors
            v = v.view()
            v.flags.writeable = False
        return v

    def _escape(self):
        """The value leaves graphflow (numpy / Python number): tapes note it for explanations."""
        for tape in _state.current().tapes:
            tape._note_escape(self)

    def __array__(self, dtype=None, copy=None):
        self._escape()
        a = np.asarray(self._value)
        return a.astype(dtype) if dtype is not None else a

    def __setitem__(self, idx, value):
        raise TypeError("'Tensor' object does not support item assignment: tensors are immutable. "
                        "Use a graphflow.Variable and `v[idx].assign(value)` for mutable state.")

    def assign(self, value):
        """Only slices of Variables (`v[0, 0].assign(3.)`) can be assigned."""
        ref = getattr(self, "_sliced", None)
        if ref is None:
            raise TypeError("tensors are immutable; only a slice of a Variable, like "
                            "`v[0, 0].assign(3.)`, can be assigned")
        var, idx = ref
        return var._assign_slice(idx, value)

    def _scalar(self, kind):
        if self._value.size != 1:
            raise TypeError(f"only single-element tensors can be converted to Python {kind.__name__}s "
                            f"(shape {self.shape})")
        self._escape()
        return kind(self._value.reshape(()))

    def __float__(self): return self._scalar(float)
    def __int__(self): return self._scalar(int)
    def __index__(self):
        if self._value.dtype.kind not in "iu":
            raise TypeError(f"only integer tensors can be used as an index, got {self.dtype.name}")
        return self._scalar(int)
    def __bool__(self):
        if self._value.size != 1:   # TF's EagerTensor raises numpy's ValueError here
            raise ValueError("The truth value of an array with more than one element is "
                             f"ambiguous. Use a.any() or a.all() (a tensor of shape {self.shape})")
        return self._scalar(bool)

    def __format__(self, spec):
        """As TF: the numpy value formatted (`f"{t}"` shows the array, not `tf.Tensor(...)`)."""
        if self._value.ndim == 0:
            return format(self._value.item(), spec)
        return format(self._value, spec)

    def __str__(self):
        return f"tf.Tensor({_numpy_text(self._value)}, shape={self.shape}, dtype={self.dtype.name})"

    def __repr__(self):
        return (f"<tf.Tensor: shape={self.shape}, dtype={self.dtype.name}, "
                f"numpy={_numpy_text(self._value, True)}>")

    def __reduce__(self):
        return (constant, (np.asarray(self._value),))


class SymbolicValueError(TypeError, AttributeError):
    """The value of a symbolic tensor was asked for while tracing: a TypeError, and an
    AttributeError as TF raises for `.numpy()` of a graph tensor (guides catch either)."""


class SymbolicTensor(Tensor):
    """The output of a graph node while a function is being traced; it has no value yet."""

    __slots__ = ("_graph", "_node", "_shape", "_dtype")

    @classmethod
    def _make(cls, graph, node, shape, dtype):
        t = object.__new__(cls)
        t._value = None
        t._graph, t._node, t._shape, t._dtype = graph, node, tuple(shape), np.dtype(dtype)
        return t

    @property
    def shape(self):
        return TensorShape(self._shape)

    @property
    def dtype(self):
        return _dt.from_numpy(self._dtype)

    @property
    def ndim(self):
        return len(self._shape)

    def _no_value(self, what):
        return SymbolicValueError(
            f"{what} at {user_source()} of a symbolic tensor (node {self._node}, op "
            f"{self._graph.op_name(self._node)}, "
            f"created at {self._graph.source(self._node)}): inside @function tensors have no value "
            "at trace time. For tensor-dependent control flow use graphflow.cond / "
            "graphflow.while_loop; to print each call use graphflow.print; or call "
            "graphflow.config.run_functions_eagerly(True) to debug.")

    def numpy(self):
        raise self._no_value(".numpy()")

    def __array__(self, dtype=None, copy=None):
        raise self._no_value("converting to a numpy array")

    def __bool__(self):
        raise self._no_value("using as a Python bool (if/while/and/or)")

    def __float__(self):
        raise self._no_value("float()")

    def __int__(self):
        raise self._no_value("int()")

    __index__ = __int__

    def __format__(self, spec):
        return format(str(self), spec)

    def __str__(self):
        return (f"Tensor(\"{self._graph.tensor_name(self._node)}\", shape={self.shape}, "
                f"dtype={self.dtype.name})")

    def __repr__(self):   # TF's graph-tensor repr (in lists, structures, the REPL)
        return (f"<tf.Tensor '{self._graph.tensor_name(self._node)}' shape={self.shape} "
                f"dtype={self.dtype.name}>")

    def __reduce__(self):
        raise self._no_value("pickling")


#: Callables `hook(variable)` run after every `Variable` is created: the extension point for layers
#: above (`graphflow.distribute` gives a variable created in a strategy's scope worker 0's
#: initial value). Empty: no cost beyond one loop setup per variable.
VARIABLE_CREATED_HOOKS = []


class VariableSynchronization(enum.Enum):
    """TF's `tf.VariableSynchronization` (when replicas' copies of a variable are synced)."""
    AUTO = 0
    NONE = 1
    ON_WRITE = 2
    ON_READ = 3


class VariableAggregation(enum.Enum):
    """TF's `tf.VariableAggregation` (how replicas' updates of a variable are combined)."""
    NONE = 0
    SUM = 1
    MEAN = 2
    ONLY_FIRST_REPLICA = 3


class Variable(_TensorLike):
    """Mutable state: a tensor value that `assign`, `assign_add`, `assign_sub` replace.

    >>> import graphflow as tf
    >>> v = tf.Variable(3.0)
    >>> print(v.assign_add(1.0).numpy())
    4.0
    """

    def __init__(self, initial_value=None, trainable=True, name=None, dtype=None, shape=None, *,
                 validate_shape=True, caching_device=None, constraint=None,
                 synchronization=None, aggregation=None, import_scope=None,
                 experimental_enable_variable_lifting=True):
        # TF's distribution options (synchronization, aggregation) are kept for code that reads
        # them back; one process holds one copy, so they change nothing here
        self.synchronization, self.aggregation = synchronization, aggregation
        self.constraint = constraint
        if initial_value is None:
            raise ValueError("Variable needs an initial_value")
        if callable(initial_value):
            initial_value = initial_value()
        g = _state.current().graph
        if g is not None:
            g.on_variable_created(self)
            initial_value = g.lift(initial_value)   # traced value: computed now
            with _state.using(graph=None, tapes=(), adjoint=None):
                t = convert_to_tensor(initial_value, dtype)
        else:
            t = convert_to_tensor(initial_value, dtype)
        self._value = np.array(t._value)   # own copy: assign never aliases user arrays
        self.trainable = bool(trainable)
        scope = _state.current().scope   # TF: a Variable's name includes the name scope
        self._name = "/".join(scope + ((name or "Variable"),))
        for hook in VARIABLE_CREATED_HOOKS:
            hook(self)

    # ---- reading ---------------------------------------------------------------
    def _read(self):
        """A Tensor with the current value; in a trace, a read node ordered after earlier assigns."""
        st = _state.current()
        if st.graph is not None:
            t = st.graph.read_variable(self)
        else:   # READ_VARIABLE's semantics, inlined: the hottest op of every training step
            t = _new(Tensor)
            v = self._value
            # 0-d: a numpy scalar, like every other 0-d Tensor (numpy's scalar math is much cheaper)
            t._value = v if v.ndim else v[()]
        for tape in st.tapes:
            tape._record_read(self, t)
        return t

    def read_value(self):
        return OPERATORS["identity"](self._read())

    value = read_value

    def numpy(self):
        st = _state.current()
        if st.graph is not None:
            raise TypeError("Variable.numpy() inside @function: the value is only known when the "
                            "function runs; use the variable in graphflow ops instead")
        for tape in st.tapes:
            tape._note_escape(self)
        v = self._value.view()
        v.flags.writeable = False
        return v if v.ndim else v[()]

    def __array__(self, dtype=None, copy=None):
        return np.asarray(self.numpy(), dtype=dtype)

    @property
    def name(self):
        return self._name + ":0"

    # ---- writing ---------------------------------------------------------------
    def _check_value(self, value, shape, what):
        t = convert_to_tensor(value, self.dtype) if not isinstance(value, (Tensor, Variable)) else value
        if isinstance(t, Variable):
            t = t._read()
        if t.dtype != self.dtype:
            raise InvalidArgumentError(f"{what}: cannot assign a {t.dtype.name} value to variable "
                                       f"'{self.name}' of dtype {self.dtype.name}")
        if tuple(t.shape) != tuple(shape):
            raise InvalidArgumentError(f"{what}: shape mismatch: variable '{self.name}' has shape "
                                       f"{TensorShape(shape)} but the value has shape {t.shape}")
        return t

    def assign(self, value, read_value=True):
        """Replace the value (same shape and dtype). Returns TF's `_UnreadVariable` (this
        variable, read when used; None with `read_value=False`)."""
        t = self._check_value(value, self._value.shape, "assign")
        self._write(t, None)
        return _UnreadVariable(self) if read_value else None

    def _write(self, t, spec):
        """The assign effect: a graph node while tracing, else ASSIGN's implementation."""
        g = _state.current().graph
        if g is not None:
            g.assign_variable(self, t, spec)
        else:
            ASSIGN.impl(t._value, var=self, spec=spec)
        return self

    def assign_add(self, delta, read_value=True):
        return self.assign(self._read() + delta)

    def assign_sub(self, delta, read_value=True):
        return self.assign(self._read() - delta)

    def scatter_nd_update(self, indices, updates, name=None):
        """Assign `updates` at `indices` (as `tf.tensor_scatter_nd_update` of the value).

        >>> v = Variable([1., 2., 3., 4.])
        >>> v.scatter_nd_update([[1], [3]], [9., 10.]).numpy()
        array([ 1.,  9.,  3., 10.], dtype=float32)
        """
        return self.assign(OPERATORS["tensor_scatter_nd_update"](self._read(), indices, updates))

    def scatter_nd_add(self, indices, updates, name=None):
        """Add `updates` at `indices` (duplicates add up)."""
        return self.assign(OPERATORS["tensor_scatter_nd_add"](self._read(), indices, updates))

    def scatter_nd_sub(self, indices, updates, name=None):
        """Subtract `updates` at `indices` (duplicates add up)."""
        return self.scatter_nd_add(indices, -convert_to_tensor(updates, self.dtype))

    def _assign_slice(self, idx, value):
        if has_traced_index(idx):   # v[i, 1].assign(x) in a graph: i known when it runs
            value = value._read() if isinstance(value, Variable) else value
            return self.assign(OPERATORS["dynamic_setitem"](self._read(), idx, value))
        spec = index_spec(idx)
        shape = sliced_shape(self._value.shape, spec)
        t = self._check_value(value, shape, "assign to a slice")
        self._write(t, spec)
        return _UnreadVariable(self)

    def __getitem__(self, idx):
        out = OPERATORS["getitem"](self._read(), idx)
        out._sliced = (self, idx)
        return out

    def __setitem__(self, idx, value):
        raise TypeError("use `v[idx].assign(value)` to assign to a slice of a Variable")

    # ---- conversions -----------------------------------------------------------
    def __float__(self): return float(self._read())
    def __int__(self): return int(self._read())
    def __bool__(self): return bool(self._read())
    def __format__(self, spec): return format(self._read(), spec)

    def __repr__(self):
        if _state.current().graph is not None:
            return f"<tf.Variable '{self.name}' shape={self.shape} dtype={self.dtype.name}>"
        return (f"<tf.Variable '{self.name}' shape={self.shape} dtype={self.dtype.name}, "
                f"numpy={_numpy_text(self.numpy(), True)}>")


class _UnreadVariable(Variable):
    """What `assign` returns (TF's `_UnreadVariable`): the assigned variable under the name
    'UnreadVariable'; reads, writes and state are the variable's own.

    >>> import graphflow as tf
    >>> tf.Variable(1.).assign(2.)
    <tf.Variable 'UnreadVariable' shape=() dtype=float32, numpy=2.0>
    """

    def __init__(self, parent):   # (no Variable.__init__: the state stays the parent's)
        object.__setattr__(self, "_parent", parent)

    def __getattr__(self, name):
        return getattr(self._parent, name)

    def __setattr__(self, name, value):
        setattr(self._parent, name, value)

    @property
    def name(self):
        return "UnreadVariable"

    def _read(self):
        return self._parent._read()

    def _write(self, t, spec):
        return self._parent._write(t, spec)

    def numpy(self):
        return self._parent.numpy()


def has_traced_index(idx):
    """True if an index holds a tensor without a value (a traced scalar)."""
    for k in idx if isinstance(idx, tuple) else (idx,):
        for v in (k.start, k.stop, k.step) if isinstance(k, slice) else (k,):
            if isinstance(v, Tensor) and v._value is None:
                return True
    return False


# ------------------------------------------------------------------------- conversion
def bytes_array(a, what=None):
    """Object array of Python `bytes` from an array of str/bytes (str encoded as UTF-8).

    >>> bytes_array(np.array(["a", "é"])).tolist()
    [b'a', b'\\xc3\\xa9']
    """
    a = np.asarray(a)
    out = np.empty(a.shape, dtype=object)
    for idx, v in np.ndenumerate(a):
        if isinstance(v, str):
            v = v.encode("utf-8")
        elif not isinstance(v, bytes):
            raise TypeError(f"cannot convert {type(what).__name__} {what!r} to a tensor: "
                            f"{type(v).__name__} {v!r} among strings")
        out[idx] = bytes(v)
    return out


def _python_dtype(x):
    """TF's default dtypes for Python data: float -> float32, int -> int32, bool -> bool."""
    try:
        a = np.asarray(x)
    except UnicodeDecodeError:   # str mixed with non-ASCII bytes: numpy decodes them as ASCII
        a = np.asarray(x, dtype=object)
    except ValueError as e:   # numpy: "inhomogeneous shape"; TF's words
        if "inhomogeneous" not in str(e):
            raise
        raise ValueError("Can't convert non-rectangular Python sequence to Tensor.") from None
    k = a.dtype.kind
    if k == "f":
        return a, _dt.float32
    if k in "iu":
        if a.size and (a.max() > 2**31 - 1 or a.min() < -2**31):
            return a, _dt.int64
        return a, _dt.int32
    if k == "b":
        return a, _dt.bool
    if k == "c":   # TF: Python complex -> complex128
        return a, _dt.complex128
    if k in "USO":   # strings: an object array of UTF-8 encoded bytes (dtype tf.string)
        if k == "S" and not isinstance(x, np.ndarray):   # numpy's S dtype drops trailing NULs
            a = np.array(x, dtype=object)
        return bytes_array(a, x), _dt.string
    raise TypeError(f"cannot convert {type(x).__name__} {x!r} to a tensor (numpy dtype {a.dtype})")


def convert_to_tensor(value, dtype=None, dtype_hint=None, name=None, *, strict_kinds=False):
    """Turn a Tensor, Variable, numpy array or (nested) Python data into a Tensor.

    `strict_kinds` (tf.constant's rule): a Python number never becomes a bool (a bool does
    become a number), a string never a number nor a number a string - TF's TypeError. Ops
    converting a Python operand stay lenient (graphflow's numpy-style ops, keras.ops among
    them, compare bools with 0).

    >>> convert_to_tensor([1, 2]).dtype
    tf.int32
    """
    if isinstance(value, Tensor):
        if dtype is not None and _dt.as_dtype(dtype) != value.dtype:
            raise InvalidArgumentError(f"convert_to_tensor: requested dtype {_dt.as_dtype(dtype).name} "
                                       f"for a tensor of dtype {value.dtype.name}")
        return value
    if isinstance(value, Variable):
        return convert_to_tensor(value._read(), dtype)
    if hasattr(type(value), "__tf_tensor__"):   # TF's conversion protocol (tf.IndexedSlices)
        return value.__tf_tensor__(dtype, name)
    if isinstance(value, (list, tuple)) and any(isinstance(v, _TensorLike) for v in _flat(value)):
        return OPERATORS["stack"]([convert_to_tensor(v, dtype) for v in value])
    if isinstance(value, (np.ndarray, np.generic)) and value.dtype.kind in "fiubc":
        src = value
        target = _dt.as_dtype(dtype) if dtype is not None else _dt.from_numpy(value.dtype)
    else:
        src, default = _python_dtype(value)
        target = _dt.as_dtype(dtype or dtype_hint or default)
        if dtype is None and dtype_hint is not None and default.is_floating and not target.is_floating:
            target = default
        if strict_kinds and dtype is not None and src.size and \
                not isinstance(value, (np.ndarray, np.generic)) and (
                    (target is _dt.bool and default is not _dt.bool)
                    or (target is _dt.string) != (default is _dt.string)):
            raise DTypeConversionError(f"Cannot convert {value!r} to EagerTensor of dtype "
                                       f"{target.name}")
    if src.dtype.kind == "f" and target.is_integer and src.size:   # ([] is numpy's float64)
        if not isinstance(value, (np.ndarray, np.generic)):   # TF: never for Python floats
            raise DTypeConversionError(f"cannot convert {value!r} to a tensor of dtype "
                                       f"{target.name} (a Python float never converts to an "
                                       "integer dtype, as in TF; cast explicitly)")
        if not np.all(np.isfinite(src)) or np.any(src != np.round(src)):
            raise InvalidArgumentError(f"cannot convert {value!r} to a tensor of dtype {target.name} "
                                       "without losing the fractional part")
    if src.dtype.kind in "iu" and target.is_integer and src.dtype != target.np and src.size and (
            src.min() < target.min or src.max() > target.max):   # numpy would wrap around
        raise InvalidArgumentError(f"cannot convert {value!r} to a tensor of dtype {target.name}: "
                                   f"values outside [{target.min}, {target.max}]")
    arr = np.array(src, dtype=target.np)
    g = _state.current().graph
    if g is not None:
        return g.constant(arr)
    return Tensor._wrap(arr if arr.ndim or target is _dt.string else arr[()])


def _flat(xs):
    for x in xs:
        if isinstance(x, (list, tuple)):
            yield from _flat(x)
        else:
            yield x


def constant(value, dtype=None, shape=None, name=None):
    """A constant tensor.

    >>> constant(3.).dtype, constant([[1, 2]]).shape
    (tf.float32, TensorShape([1, 2]))
    """
    if isinstance(value, (Tensor, Variable)):
        value = np.asarray(value)
    if shape is not None and _state.current().graph is not None:   # reshape, then add the node
        with _state.using(graph=None, tapes=(), adjoint=None):
            return convert_to_tensor(constant(value, dtype, shape)._value)
    t = convert_to_tensor(value, dtype, strict_kinds=True)
    if shape is not None:
        shape = tuple(shape)
        if t.shape != shape:
            arr = np.asarray(t._value)
            if arr.size == 1:
                arr = np.broadcast_to(arr.reshape(()), shape).copy()
            elif arr.size == int(np.prod(shape)):
                arr = arr.reshape(shape)
            else:
                raise InvalidArgumentError(f"constant: {arr.size} values do not fill shape {shape}")
            t = convert_to_tensor(arr)
    return t


def is_tensor(x):
    """True for graphflow Tensors and Variables.

    >>> is_tensor(constant(1.)), is_tensor(1.)
    (True, False)
    """
    return isinstance(x, (Tensor, Variable))


def to_tensor(x, dtype=None):
    """A Tensor as is, a Variable read, anything else converted (to `dtype` if given).

    >>> to_tensor(2).dtype
    tf.int32
    """
    if isinstance(x, Tensor):
        return x
    if isinstance(x, Variable):
        return x._read()
    return convert_to_tensor(x, dtype)


def convert_args(*xs, op=None):
    """Convert op arguments. Python scalars, lists and numpy arrays take the dtype of the first
    tensor argument (so `x * 0.5` stays float32), as TF converts them; mixed tensor dtypes are
    left to the op's rule, which raises a clear error. `op` names the op in conversion errors.

    >>> [t.dtype for t in convert_args(constant(1., dtype="float64"), 2)]
    [tf.float64, tf.float64]
    """
    dtype = None
    for x in xs:
        if isinstance(x, (Tensor, Variable)):
            dtype = x.dtype
            break
    try:
        if dtype is None and xs:   # no tensor: the first value's dtype converts the rest (TF's
            first = to_tensor(xs[0])   # args_to_matching_eager: tf.maximum(0., [1, -1]) is float)
            return [first] + [to_tensor(x, first.dtype) for x in xs[1:]]
        return [to_tensor(x, dtype) for x in xs]
    except InvalidArgumentError as e:
        if op is None:
            raise
        raise type(e)(f"{op}: {e}") from None
