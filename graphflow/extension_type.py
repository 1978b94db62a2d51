"""`tf.experimental.ExtensionType`: user-defined composite values with typed fields.

A subclass declares its fields as class annotations (tensors, nested extension types, Python
scalars and strings, `tf.TensorShape`, `tf.DType`, and `typing.Tuple` / `Mapping` /
`Optional` / `Union` of those, defaults allowed). graphflow then gives it, as TF does:

* a generated `__init__` (or the class's own, which may set the fields; TF's "custom
  constructor"), after which every field is converted to its declared type (a `tf.Tensor`
  field takes anything `convert_to_tensor` takes, a `Mapping` becomes an immutable dict) or a
  TypeError names the field, then `__validate__` runs;
* immutability (AttributeError on setting a field later), `__repr__`, `__eq__` / `__ne__`
  (False for other types, shapes or static fields; else a boolean scalar tensor), `replace`;
* a nested `Spec` class (`MaskedTensor.Spec(values=tf.TensorSpec(...), mask=...)`,
  `tf.type_spec_from_value`), usable in `input_signature`;
* the composite protocol `_gf_components` that RaggedTensor uses: tensors are the components,
  everything else static structure, so `tf.function` arguments and results,
  `tf.nest.flatten(..., expand_composites=True)` and gradients through the fields just work.

`BatchableExtensionType` is accepted as an alias (graphflow's datasets stack components).

>>> import graphflow as tf
>>> class MaskedTensor(tf.experimental.ExtensionType):
...     values: tf.Tensor
...     mask: tf.Tensor
...     def __validate__(self):
...         assert self.mask.dtype.is_bool, "mask.dtype must be bool"
>>> mt = MaskedTensor(values=[1, 2, 3], mask=[True, True, False])
>>> mt.values.numpy(), mt.mask.dtype
(array([1, 2, 3], dtype=int32), tf.bool)
>>> bool(mt == mt), mt == MaskedTensor([1, 2], [True, False])
(True, False)
>>> tf.function(lambda m: MaskedTensor(m.values * 2, m.mask))(mt).values.numpy()
array([2, 4, 6], dtype=int32)
"""
import collections.abc as _abc
import inspect
import typing

import numpy as np

from . import dtypes as _dt
from .errors import user_source
from .nest import Components, Static, flatten as _flatten
from .tensor import Tensor, TensorShape, TensorSpec, Variable, convert_to_tensor
from .ops.math_ops import equal, logical_and, logical_not, reduce_all

__all__ = ["ExtensionType", "BatchableExtensionType", "ExtensionTypeSpec", "ImmutableDict"]

_NOTHING = object()


class ImmutableDict(_abc.Mapping):
    """A read-only dict (the value of a `Mapping` field).

    >>> d = ImmutableDict({"a": 1}); d["a"], len(d), dict(d)
    (1, 1, {'a': 1})
    """

    def __init__(self, *args, **kwargs):
        self._dict = dict(*args, **kwargs)

    def __getitem__(self, key):
        return self._dict[key]

    def __iter__(self):
        return iter(self._dict)

    def __len__(self):
        return len(self._dict)

    def __repr__(self):
        return f"ImmutableDict({self._dict!r})"

    def __eq__(self, other):
        return isinstance(other, _abc.Mapping) and dict(self) == dict(other)

    __hash__ = None


# ------------------------------------------------------------------ field types
def _type_name(t):
    return getattr(t, "__name__", None) or repr(t).replace("typing.", "")


def _convert(value, ann, where):
    """`value` converted to annotation `ann`, or TypeError naming the field (`where`)."""
    if ann is typing.Any:
        return value
    origin, args = typing.get_origin(ann), typing.get_args(ann)
    if origin is typing.Union:
        if value is None and type(None) in args:
            return None
        errors = []
        for a in args:
            if a is type(None):
                continue
            try:
                return _convert(value, a, where)
            except (TypeError, ValueError) as e:
                errors.append(str(e))
        raise TypeError(f"{where}: expected {_type_name(ann)}, got {type(value).__name__!r}")
    if origin in (tuple, list, _abc.Sequence):
        if not isinstance(value, (tuple, list)):
            raise TypeError(f"{where}: expected 'tuple', got {type(value).__name__!r}")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_convert(v, args[0], f"{where}[{i}]") for i, v in enumerate(value))
        if args and len(args) != len(value):
            raise TypeError(f"{where}: expected a tuple of length {len(args)}, got "
                            f"{len(value)} values")
        return tuple(_convert(v, a, f"{where}[{i}]") for i, (v, a) in
                     enumerate(zip(value, args or (typing.Any,) * len(value))))
    if origin in (_abc.Mapping, dict, typing.Mapping):
        if not isinstance(value, _abc.Mapping):
            raise TypeError(f"{where}: expected 'Mapping', got {type(value).__name__!r}")
        kt, vt = args or (typing.Any, typing.Any)
        return ImmutableDict((_convert(k, kt, f"{where} key"),
                              _convert(v, vt, f"{where}[{k!r}]")) for k, v in value.items())
    if ann is Tensor:
        if isinstance(value, Tensor):
            return value
        try:
            return convert_to_tensor(value.read_value() if isinstance(value, Variable)
                                     else value)
        except (TypeError, ValueError) as e:
            raise TypeError(f"{where}: expected a Tensor, got {type(value).__name__!r} "
                            f"({e})") from None
    if ann is TensorShape:
        return value if isinstance(value, TensorShape) else TensorShape(value)
    if ann is _dt.DType:
        return _dt.as_dtype(value)
    if ann is float and isinstance(value, (int, float, np.floating, np.integer)) \
            and not isinstance(value, bool):
        return float(value)
    if isinstance(ann, type):
        if not isinstance(value, ann) or (ann is int and isinstance(value, bool)):
            raise TypeError(f"{where}: expected {_type_name(ann)!r}, got "
                            f"{type(value).__name__!r}")
        return value
    return value


def _components(v):
    """A field value as composite components: tensors and nested extension types stay (they
    are data), containers nest, anything else is static structure."""
    if isinstance(v, (Tensor, ExtensionType, TensorSpec, ExtensionTypeSpec)) or \
            hasattr(type(v), "_gf_components"):
        return v
    if isinstance(v, _abc.Mapping):
        return {k: _components(x) for k, x in v.items()}
    if isinstance(v, tuple) and any(not isinstance(_components(x), Static) for x in v):
        return tuple(_components(x) for x in v)
    return Static(v)


def _from_components(v):
    if isinstance(v, Static):
        return v.value
    if isinstance(v, dict):
        return ImmutableDict((k, _from_components(x)) for k, x in v.items())
    if isinstance(v, tuple):
        return tuple(_from_components(x) for x in v)
    return v


def _spec_of(v):
    """The spec of a field value: TensorSpec for a tensor, Spec for an extension type."""
    if isinstance(v, Tensor):
        return TensorSpec(tuple(v.shape), v.dtype)
    if isinstance(v, ExtensionType):
        return v._type_spec
    if isinstance(v, _abc.Mapping):
        return ImmutableDict((k, _spec_of(x)) for k, x in v.items())
    if isinstance(v, tuple):
        return tuple(_spec_of(x) for x in v)
    return v


def _field_spec(v):
    """A value given to a Spec's field: TensorSpecs, nested Specs and containers of them stay;
    a Mapping becomes immutable."""
    if isinstance(v, _abc.Mapping):
        return ImmutableDict((k, _field_spec(x)) for k, x in v.items())
    if isinstance(v, list):
        return tuple(_field_spec(x) for x in v)
    return v


def _compatible(spec, v):
    if isinstance(spec, TensorSpec):
        return isinstance(v, Tensor) and spec.is_compatible_with(v)
    if isinstance(spec, ExtensionTypeSpec):
        return spec.is_compatible_with(v)
    if isinstance(spec, _abc.Mapping):
        return isinstance(v, _abc.Mapping) and set(spec) == set(v) and \
            all(_compatible(spec[k], v[k]) for k in spec)
    if isinstance(spec, tuple):
        return isinstance(v, tuple) and len(spec) == len(v) and \
            all(_compatible(s, x) for s, x in zip(spec, v))
    return spec == v


# ------------------------------------------------------------------ the base class
class ExtensionType:
    """Base class of user-defined composite types with typed, immutable fields (see the
    module docstring). Subclasses declare fields as annotations."""

    _gf_fields = ()          # ((name, annotation, default or _NOTHING), ...)
    _gf_kind = "ExtensionType"

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        hints = typing.get_type_hints(cls)
        fields = []
        for name, ann in hints.items():
            if name.startswith("_") or typing.get_origin(ann) is typing.ClassVar:
                continue
            default = _NOTHING
            for klass in cls.__mro__:
                if name in klass.__dict__:
                    default = klass.__dict__[name]
                    break
            fields.append((name, ann, default))
        cls._gf_fields = tuple(fields)
        cls._gf_kind = f"{cls.__module__}.{cls.__qualname__}"
        own_init = cls.__dict__.get("__init__")
        cls.__init__ = _wrap_init(own_init) if own_init is not None else _generated_init(cls)
        user_spec = cls.__dict__.get("Spec")
        cls.Spec = type(f"{cls.__name__}.Spec", (user_spec, ExtensionTypeSpec) if user_spec is not None
                        and not issubclass(user_spec, ExtensionTypeSpec)
                        else (ExtensionTypeSpec,),
                        {"value_type": cls, "__qualname__": f"{cls.__qualname__}.Spec",
                         "__module__": cls.__module__})

    def __setattr__(self, name, value):
        if not self.__dict__.get("_gf_constructing"):
            raise AttributeError(f"Cannot mutate attribute `{name}` outside the custom "
                                 "constructor of ExtensionType.")
        object.__setattr__(self, name, value)

    def __delattr__(self, name):
        if not self.__dict__.get("_gf_constructing"):
            raise AttributeError(f"Cannot mutate attribute `{name}` outside the custom "
                                 "constructor of ExtensionType.")
        object.__delattr__(self, name)

    def _gf_finish(self):
        """Convert every field to its declared type, then run `__validate__`."""
        cls = type(self)
        d = self.__dict__
        for name, ann, default in cls._gf_fields:
            if name not in d:
                if default is _NOTHING:
                    raise ValueError(f"{cls.__name__}: the custom constructor did not set "
                                     f"field {name!r} (at {user_source()})")
                d[name] = default
            d[name] = _convert(d[name], ann, name)
        d.pop("_gf_constructing", None)
        validate = getattr(self, "__validate__", None)
        if validate is not None:
            validate()

    @classmethod
    def _gf_build(cls, fields):
        """An instance from already-converted field values (no constructor, no validation:
        the components of a value that was validated when it was made)."""
        obj = object.__new__(cls)
        obj.__dict__.update(fields)
        return obj

    def _gf_components(self):
        """The fields' tensors (data) and everything else (static structure): how
        `@function` and `nest.flatten(expand_composites=True)` see an extension type."""
        cls = type(self)
        names = [n for n, _, _ in cls._gf_fields]
        parts = [_components(self.__dict__[n]) for n in names]

        def build(ps):
            if any(isinstance(x, (TensorSpec, np.ndarray)) for x in
                   _flatten(list(ps), expand_composites=True)[0]):
                return Components(cls._gf_kind, ps, build)
            return cls._gf_build({n: _from_components(p) for n, p in zip(names, ps)})
        return parts, build

    @property
    def _type_spec(self):
        """This value's `Spec` (`tf.type_spec_from_value`)."""
        cls = type(self)
        return cls.Spec._gf_make({n: _spec_of(self.__dict__[n]) for n, _, _ in cls._gf_fields})

    def replace(self, **changes):
        """A copy with some fields replaced (converted and validated as by the constructor;
        TF's `tf.experimental.ExtensionType` `replace`-by-construction idiom).

        >>> import graphflow as tf
        >>> class P(tf.experimental.ExtensionType):
        ...     x: tf.Tensor
        ...     n: int = 1
        >>> P(1.0).replace(n=2).n
        2
        """
        cls = type(self)
        obj = object.__new__(cls)
        obj.__dict__.update({n: self.__dict__[n] for n, _, _ in cls._gf_fields},
                            _gf_constructing=True)
        obj.__dict__.update(changes)
        obj._gf_finish()
        return obj

    def __repr__(self):
        fields = ", ".join(f"{n}={self.__dict__[n]!r}" for n, _, _ in type(self)._gf_fields)
        return f"{type(self).__name__}({fields})"

    def __eq__(self, other):
        if type(other) is not type(self):
            return False
        a = _flatten(self, expand_composites=True)[0]
        b = _flatten(other, expand_composites=True)[0]
        if len(a) != len(b):
            return False
        same = []
        for x, y in zip(a, b):
            if isinstance(x, Tensor) != isinstance(y, Tensor):
                return False
            if not isinstance(x, Tensor):
                if x != y:
                    return False
                continue
            if x.dtype != y.dtype or not TensorShape(x.shape).is_compatible_with(y.shape):
                return False
            same.append(reduce_all(equal(x, y)))
        out = same[0] if same else convert_to_tensor(True)
        for s in same[1:]:
            out = logical_and(out, s)
        return out

    def __ne__(self, other):
        eq = self.__eq__(other)
        return not eq if isinstance(eq, bool) else logical_not(eq)

    __hash__ = None


def _generated_init(cls):
    params = [inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                default=inspect.Parameter.empty if d is _NOTHING else d)
              for n, _, d in cls._gf_fields]
    sig = inspect.Signature(params)

    def __init__(self, *args, **kwargs):
        bound = sig.bind(*args, **kwargs)
        bound.apply_defaults()
        self.__dict__.update(bound.arguments, _gf_constructing=True)
        self._gf_finish()
    __init__.__signature__ = inspect.Signature(
        [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)] + params)
    __init__.__doc__ = f"{cls.__name__}({', '.join(str(p) for p in params)})"
    return __init__


def _wrap_init(user_init):
    def __init__(self, *args, **kwargs):
        outer = "_gf_constructing" not in self.__dict__
        self.__dict__["_gf_constructing"] = True
        user_init(self, *args, **kwargs)
        if outer:
            self._gf_finish()
    __init__.__wrapped__ = user_init
    __init__.__doc__ = user_init.__doc__
    return __init__


# ------------------------------------------------------------------ specs
class ExtensionTypeSpec:
    """The type of an ExtensionType value: its fields with TensorSpecs for tensors (a class's
    `Spec`). `value_type` is the ExtensionType class.

    >>> import graphflow as tf
    >>> class M(tf.experimental.ExtensionType):
    ...     values: tf.Tensor
    >>> M.Spec(values=tf.TensorSpec([None], tf.float32))
    M.Spec(values=TensorSpec(shape=(None,), dtype=tf.float32, name=None))
    """

    value_type = None

    def __init__(self, *args, **kwargs):
        fields = self.value_type._gf_fields
        names = [n for n, _, _ in fields]
        given = dict(zip(names, args), **kwargs)
        for n, _, d in fields:
            if n not in given:
                if d is _NOTHING:
                    raise TypeError(f"{type(self).__qualname__}: missing field {n!r}")
                given[n] = d
        self._gf_make_into(given)

    @classmethod
    def _gf_make(cls, fields):
        obj = object.__new__(cls)
        obj._gf_make_into(fields)
        return obj

    def _gf_make_into(self, fields):
        object.__setattr__(self, "_gf_specs", {n: _field_spec(v) for n, v in fields.items()})

    def __setattr__(self, name, value):
        """A field's spec (a custom Spec's `__init__` sets them, as in TF's guide)."""
        if name in {n for n, _, _ in self.value_type._gf_fields}:
            self.__dict__.setdefault("_gf_specs", {})[name] = _field_spec(value)
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name):
        specs = self.__dict__.get("_gf_specs", {})
        if name in specs:
            return specs[name]
        raise AttributeError(f"{type(self).__qualname__} has no attribute {name!r}")

    def is_compatible_with(self, value):
        """True if `value` (an instance or a Spec) fits: same type, compatible shapes, same
        dtypes and static fields."""
        if isinstance(value, ExtensionTypeSpec):
            return type(value) is type(self) and all(
                _spec_compatible(s, value._gf_specs[n]) for n, s in self._gf_specs.items())
        return isinstance(value, self.value_type) and all(
            _compatible(s, value.__dict__[n]) for n, s in self._gf_specs.items())

    def _gf_check(self, value):
        """`input_signature` check of an argument (used by `tf.function`)."""
        return self.is_compatible_with(value)

    def _key(self):
        return tuple((n, _hashable(v)) for n, v in self._gf_specs.items())

    def __eq__(self, other):
        return type(other) is type(self) and self._key() == other._key()

    def __hash__(self):
        return hash((type(self).__qualname__, self._key()))

    def __repr__(self):
        fields = ", ".join(f"{n}={v!r}" for n, v in self._gf_specs.items())
        return f"{type(self).__qualname__}({fields})"


def _spec_compatible(a, b):
    if isinstance(a, TensorSpec):
        return isinstance(b, TensorSpec) and a.dtype == b.dtype and \
            TensorShape(a.shape).is_compatible_with(b.shape)
    if isinstance(a, ExtensionTypeSpec):
        return a.is_compatible_with(b)
    return a == b


def _hashable(v):
    if isinstance(v, _abc.Mapping):
        return tuple(sorted((k, _hashable(x)) for k, x in v.items()))
    if isinstance(v, (tuple, list)):
        return tuple(_hashable(x) for x in v)
    if isinstance(v, TensorSpec):
        return ("TensorSpec", v.dtype.name, None if v.shape.rank is None
                else tuple(v.shape.as_list()))
    return v


class BatchableExtensionType(ExtensionType):
    """TF's batchable variant (usable in `tf.data`, `map_fn`, Keras); graphflow treats it as
    an ExtensionType (its datasets and map_fn stack the components)."""


# ------------------------------------------------------------------ API dispatch
# TF's `tf.experimental.dispatch_for_api` / `dispatch_for_unary_elementwise_apis` /
# `dispatch_for_binary_elementwise_apis`: a registered handler runs instead of a public API
# when the call's arguments match its type annotations and one of them is an ExtensionType.
# The API's entries in graphflow's public namespaces (the package and its `tf.math`-style
# namespace modules) are replaced by a dispatcher on the first registration, so unregistered
# APIs and calls without extension types cost nothing extra; graphflow's own modules keep
# calling the original functions.

UNARY_ELEMENTWISE_APIS = (
    "abs", "negative", "square", "sqrt", "exp", "log", "sin", "cos", "tan", "tanh", "sigmoid",
    "sign", "floor", "ceil", "round", "rsqrt", "identity", "ones_like", "zeros_like", "cast",
    "logical_not", "math.abs", "math.negative", "math.square", "math.sqrt", "math.exp",
    "math.log", "math.log1p", "math.expm1", "math.sin", "math.cos", "math.tan", "math.tanh",
    "math.asin", "math.acos", "math.atan", "math.sinh", "math.cosh", "math.asinh",
    "math.acosh", "math.atanh", "math.sigmoid", "math.sign", "math.floor", "math.ceil",
    "math.round", "math.rint", "math.rsqrt", "math.reciprocal", "math.erf", "math.erfc",
    "math.softplus", "math.logical_not", "math.is_nan", "math.is_inf", "math.is_finite",
    "math.lgamma", "math.digamma", "math.log_sigmoid", "math.real", "math.imag",
    "math.conj", "math.angle", "nn.relu", "nn.relu6", "nn.elu", "nn.selu", "nn.gelu",
    "nn.silu", "nn.swish", "nn.sigmoid", "nn.tanh", "nn.softplus", "nn.softsign",
    "nn.leaky_relu", "strings.length", "strings.lower", "strings.upper")
BINARY_ELEMENTWISE_APIS = (
    "add", "subtract", "multiply", "divide", "truediv", "floordiv", "maximum", "minimum",
    "pow", "equal", "not_equal", "greater", "greater_equal", "less", "less_equal",
    "logical_and", "logical_or", "squared_difference", "math.add", "math.subtract",
    "math.multiply", "math.divide", "math.truediv", "math.floordiv", "math.floormod",
    "math.mod", "math.maximum", "math.minimum", "math.pow", "math.equal", "math.not_equal",
    "math.greater", "math.greater_equal", "math.less", "math.less_equal",
    "math.logical_and", "math.logical_or", "math.logical_xor", "math.squared_difference",
    "math.atan2", "math.xdivy", "math.xlogy", "math.divide_no_nan", "math.multiply_no_nan")

_TARGETS = {}        # id(original api) -> [(kind, matcher, handler)]
_DISPATCHERS = {}    # id(original api) -> its dispatcher


def _matches(value, ann):
    """`value` is of type annotation `ann` (classes, Union/Optional, List/Sequence/Tuple)."""
    if ann is typing.Any or ann is inspect.Parameter.empty:
        return True
    origin, args = typing.get_origin(ann), typing.get_args(ann)
    if origin is typing.Union:
        return any(_matches(value, a) for a in args)
    if origin in (list, tuple, _abc.Sequence, typing.List, typing.Sequence):
        if not isinstance(value, (list, tuple)):
            return False
        elem = args[0] if args else typing.Any
        return all(_matches(v, elem) for v in value)
    if ann is type(None) or ann is None:
        return value is None
    if isinstance(ann, type):
        return isinstance(value, ann)
    return False


def _has_extension(values):
    return any(isinstance(v, ExtensionType) or isinstance(v, (list, tuple)) and
               any(isinstance(x, ExtensionType) for x in v) for v in values)


def _public_namespaces():
    """The package and its namespace modules (`tf.math`, `tf.nn`, ...: modules that are not
    files), where a dispatcher replaces an API."""
    import sys
    pkg = sys.modules.get("graphflow")
    if pkg is None:
        return []
    out, todo = [], [pkg]
    while todo:
        ns = todo.pop()
        if callable(getattr(type(ns), "resolve", None)):   # (lazy.Namespace: all members now)
            ns.resolve()
        out.append(ns)
        todo.extend(v for k, v in vars(ns).items()
                    if isinstance(v, type(pkg)) and v.__name__.startswith("graphflow.")
                    and getattr(v, "__file__", None) is None   # (namespaces are in
                    and v not in out and v not in todo)         # sys.modules too: bb1656e)
    return out


def _original(api):
    return getattr(api, "_gf_dispatch_original", api)


def _dispatcher(api):
    """The dispatching version of `api`, put in place of `api` in the public namespaces."""
    api = _original(api)
    disp = _DISPATCHERS.get(id(api))
    if disp is not None:
        return disp
    name = getattr(api, "__name__", "api")

    def dispatcher(*args, **kwargs):
        targets = _TARGETS.get(id(api))
        if targets and _has_extension(args + tuple(kwargs.values())):
            hits = [t for t in targets if t[1](args, kwargs)]
            if len(hits) > 1:
                raise ValueError(f"Multiple dispatch targets that were registered with "
                                 f"tf.dispatch_for ({hits[0][2]} and {hits[1][2]}) match the "
                                 f"arguments to {name}")
            if hits:
                kind, _, handler = hits[0]
                if kind == "api":
                    return handler(*args, **kwargs)
                n = 1 if kind == "unary" else 2
                rest = args[n:]
                return handler(lambda *xs: dispatcher(*xs, *rest, **kwargs), *args[:n])
        return api(*args, **kwargs)
    dispatcher.__name__, dispatcher.__qualname__ = name, getattr(api, "__qualname__", name)
    dispatcher.__doc__, dispatcher.__wrapped__ = api.__doc__, api
    dispatcher._gf_dispatch_original = api
    _DISPATCHERS[id(api)] = dispatcher
    for ns in _public_namespaces():
        for k, v in list(vars(ns).items()):
            if v is api:
                setattr(ns, k, dispatcher)
    return dispatcher


def _api_matcher(handler, signatures):
    sig = inspect.signature(handler)
    checks = [dict(s) for s in signatures] or [
        {n: p.annotation for n, p in sig.parameters.items()
         if p.annotation is not inspect.Parameter.empty}]
    if not any(checks):
        raise ValueError(f"dispatch_for_api: {handler.__name__} has no type annotations and no "
                         f"signature was given (at {user_source()})")

    def match(args, kwargs):
        try:
            bound = sig.bind(*args, **kwargs).arguments
        except TypeError:
            return False
        return any(all(n in bound and _matches(bound[n], a) for n, a in c.items())
                   for c in checks)
    return match


def dispatch_for_api(api, *signatures):
    """Decorator: `handler` runs instead of `api` when the call's arguments match the
    handler's type annotations (or one of the `signatures` dicts {param: type}); the handler
    takes the API's parameters (TF's `tf.experimental.dispatch_for_api`).

    >>> import graphflow as tf
    >>> class Pair(tf.experimental.ExtensionType):
    ...     a: tf.Tensor
    ...     b: tf.Tensor
    >>> @tf.experimental.dispatch_for_api(tf.math.reduce_sum)
    ... def pair_sum(input_tensor: Pair, axis=None, keepdims=False, name=None):
    ...     return tf.reduce_sum(input_tensor.a, axis) + tf.reduce_sum(input_tensor.b, axis)
    >>> float(tf.math.reduce_sum(Pair([1., 2.], [3., 4.])))
    10.0
    >>> tf.experimental.unregister_dispatch_for(pair_sum)
    """
    def register(handler):
        disp = _dispatcher(api)
        _TARGETS.setdefault(id(_original(disp)), []).append(
            ("api", _api_matcher(handler, signatures), handler))
        return handler
    return register


def _elementwise(kind, names, types):
    n = len(types)

    def match(args, kwargs):
        return len(args) >= n and all(_matches(a, t) for a, t in zip(args, types))

    def register(handler):
        done = set()
        for full in names:
            for api in _lookup_api(full):
                key = id(_original(_dispatcher(api)))
                if key not in done:     # (tf.abs and tf.math.abs are one function)
                    done.add(key)
                    _TARGETS.setdefault(key, []).append((kind, match, handler))
        return handler
    return register


def _lookup_api(full):
    import sys
    pkg = sys.modules.get("graphflow")
    obj = pkg
    for part in full.split("."):
        obj = getattr(obj, part, None) if obj is not None else None
    return [obj] if callable(obj) else []


def dispatch_for_unary_elementwise_apis(x_type):
    """Decorator: `handler(api_func, x)` runs for every unary elementwise API (tf.abs,
    tf.math.exp, tf.nn.relu, tf.ones_like, tf.cast, ...) called with an `x` of `x_type`;
    `api_func` is the API with the call's other arguments bound.

    >>> import graphflow as tf
    >>> class Box(tf.experimental.ExtensionType):
    ...     v: tf.Tensor
    >>> @tf.experimental.dispatch_for_unary_elementwise_apis(Box)
    ... def box_unary(api_func, x):
    ...     return Box(api_func(x.v))
    >>> tf.abs(Box([-1., 2.])).v.numpy()
    array([1., 2.], dtype=float32)
    >>> tf.experimental.unregister_dispatch_for(box_unary)
    """
    return _elementwise("unary", UNARY_ELEMENTWISE_APIS, (x_type,))


def dispatch_for_binary_elementwise_apis(x_type, y_type):
    """Decorator: `handler(api_func, x, y)` runs for every binary elementwise API (tf.add,
    tf.math.maximum, tf.equal, ...) called with x of `x_type` and y of `y_type` (one of them
    an ExtensionType)."""
    return _elementwise("binary", BINARY_ELEMENTWISE_APIS, (x_type, y_type))


def unregister_dispatch_for(dispatch_target):
    """Remove a handler registered by the `dispatch_for_*` decorators (the APIs' dispatchers
    stay in place and call the original API)."""
    found = False
    for targets in _TARGETS.values():
        keep = [t for t in targets if t[2] is not dispatch_target]
        found |= len(keep) != len(targets)
        targets[:] = keep
    if not found:
        raise ValueError(f"Function {dispatch_target} was not registered using a "
                         "`dispatch_for_*` decorator.")
