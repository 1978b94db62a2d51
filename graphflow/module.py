"""`tf.Module`: a named container of Variables and other Modules, and `tf.init_scope`.

A Module finds its state by walking its attributes (sorted by name, nested lists, tuples and
dicts included): `variables`, `trainable_variables`, `non_trainable_variables` and `submodules`
are tuples, in TF's order (a module's own attributes first, then each submodule's, depth first).
Keras layers and models are Modules too.

>>> import graphflow as tf
>>> class Scale(tf.Module):
...     def __init__(self, name=None):
...         super().__init__(name=name)
...         self.w = tf.Variable(2.0, name="w")
...         self.frozen = tf.Variable(1.0, trainable=False, name="frozen")
...     def __call__(self, x):
...         return self.w * x + self.frozen
>>> m = Scale(name="scale")
>>> float(m(3.0))
7.0
>>> [v.name for v in m.variables], [v.name for v in m.trainable_variables]
(['frozen:0', 'w:0'], ['w:0'])
"""
import contextlib
import functools
import re

from . import state as _state
from .tensor import Variable

__all__ = ["Module", "init_scope", "executing_eagerly"]

_CAMEL_TO_SNAKE = re.compile(r"((?<=[a-z0-9])[A-Z]|(?!^)[A-Z](?=[a-z]))")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def camel_to_snake(value):
    """TF's module-name rule: 'MyDenseLayer' -> 'my_dense_layer', 'MLP' -> 'mlp'.

    >>> camel_to_snake("MySequentialModule"), camel_to_snake("MLP")
    ('my_sequential_module', 'mlp')
    """
    return _CAMEL_TO_SNAKE.sub(r"_\1", value).lower()


def _is_variable(x):
    return isinstance(x, Variable)


def _is_trainable_variable(x):
    return isinstance(x, Variable) and x.trainable


def _is_non_trainable_variable(x):
    return isinstance(x, Variable) and not x.trainable


def _is_module(x):
    return isinstance(x, Module)


def _leaves_with_paths(value, path):
    """(path, leaf) pairs of a nested list/tuple/dict (dict keys sorted, as tf.nest does);
    Modules and Variables are leaves."""
    if isinstance(value, (Module, Variable)):
        yield path, value
    elif isinstance(value, dict):
        try:
            keys = sorted(value)
        except TypeError:
            keys = list(value)
        for k in keys:
            yield from _leaves_with_paths(value[k], path + (k,))
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            yield from _leaves_with_paths(v, path + (i,))
    else:
        yield path, value


def _flatten_module(module, recursive, predicate, attribute_traversal_key, with_path,
                    module_path=(), seen=None, stack=None):
    """TF's traversal: the module's own attributes in sorted order (each leaf once), then the
    submodules found, recursively (a module already on the stack is not entered again)."""
    seen = {id(module)} if seen is None else seen
    stack = [] if stack is None else stack
    if id(module) in stack:
        recursive = False
    submodules = []
    attrs = vars(module)
    for key in sorted(attrs, key=attribute_traversal_key):
        if key in module._TF_MODULE_IGNORED_PROPERTIES:
            continue
        for leaf_path, leaf in _leaves_with_paths(attrs[key], (key,)):
            if not with_path:
                if id(leaf) in seen:
                    continue
                seen.add(id(leaf))
            if predicate(leaf):
                yield (module_path + leaf_path, leaf) if with_path else leaf
            if recursive and isinstance(leaf, Module):
                submodules.append((module_path + leaf_path, leaf))
    stack.append(id(module))
    for sub_path, sub in submodules:
        yield from _flatten_module(sub, recursive, predicate, attribute_traversal_key, with_path,
                                   sub_path, seen, stack)
    stack.pop()


class _ModuleScope:
    """The name scope a Module captured when it was created (re-entered as an absolute scope,
    so `with module.name_scope:` gives the same names wherever it is used)."""

    def __init__(self, path):
        self._path = tuple(path)
        self._tokens = []

    @property
    def name(self):
        return "/".join(self._path) + "/"

    def __enter__(self):
        self._tokens.append(_state.push(scope=self._path))
        return self.name

    def __exit__(self, *exc):
        _state.pop(self._tokens.pop())
        return False

    def __repr__(self):
        return f"<name_scope {self.name!r}>"


class Module:
    """Base class of TF-style modules: a name, a name scope, and tracked state.

    `name` defaults to the class name in snake case and must be a Python identifier. Variables
    created inside `with self.name_scope:` (or in a method wrapped by
    `Module.with_name_scope`) are named '<module name>/<variable name>:0'.

    >>> import graphflow as tf
    >>> class Dense(tf.Module):
    ...     def __init__(self, n_in, n_out, name=None):
    ...         super().__init__(name=name)
    ...         with self.name_scope:
    ...             self.w = tf.Variable(tf.ones([n_in, n_out]), name="w")
    ...             self.b = tf.Variable(tf.zeros([n_out]), name="b")
    ...     def __call__(self, x):
    ...         return tf.matmul(x, self.w) + self.b
    >>> class MLP(tf.Module):
    ...     def __init__(self, name=None):
    ...         super().__init__(name=name)
    ...         self.layers = [Dense(3, 2, name="d1"), Dense(2, 1, name="d2")]
    >>> mlp = MLP()
    >>> mlp.name, [m.name for m in mlp.submodules]
    ('mlp', ['d1', 'd2'])
    >>> [v.name for v in mlp.trainable_variables]
    ['d1/b:0', 'd1/w:0', 'd2/b:0', 'd2/w:0']
    """

    #: attribute names the traversal skips
    _TF_MODULE_IGNORED_PROPERTIES = frozenset()

    def __init__(self, name=None):
        if name is None:
            name = camel_to_snake(type(self).__name__)
        elif not isinstance(name, str) or not _IDENTIFIER.match(name):
            raise ValueError(f"{name!r} is not a valid module name. Module names must be valid "
                             "Python identifiers (e.g. a valid class name).")
        self._name = name
        self._module_scope_path = _state.current().scope + (name,)

    @property
    def name(self):
        """The module's name (not unique: two modules of a class share it, as in TF)."""
        return self._name

    @property
    def name_scope(self):
        """A context manager opening this module's name scope."""
        path = self.__dict__.get("_module_scope_path") or (self.name,)
        return _ModuleScope(path)

    @property
    def variables(self):
        """All Variables of this module and its submodules (a tuple, each once)."""
        return tuple(self._flatten(predicate=_is_variable))

    @property
    def trainable_variables(self):
        """The Variables with `trainable=True`."""
        return tuple(self._flatten(predicate=_is_trainable_variable))

    @property
    def non_trainable_variables(self):
        """The Variables with `trainable=False`."""
        return tuple(self._flatten(predicate=_is_non_trainable_variable))

    @property
    def submodules(self):
        """All Modules reachable from this one (not itself), depth first."""
        return tuple(self._flatten(predicate=_is_module))

    def _flatten(self, recursive=True, predicate=None, attribute_traversal_key=None,
                 with_path=False, expand_composites=False):
        """The attribute leaves of this module (and of its submodules if `recursive`) that
        satisfy `predicate`; with `with_path`, (attribute path, leaf) pairs.

        >>> import graphflow as tf
        >>> m = tf.Module(name="m")
        >>> m.v = [tf.Variable(1.0, name="a")]
        >>> [(path, v.name) for path, v in m._flatten(predicate=lambda x: isinstance(x, tf.Variable),
        ...                                          with_path=True)]
        [(('v', 0), 'a:0')]
        """
        return _flatten_module(self, recursive, predicate or (lambda _: True),
                               attribute_traversal_key, with_path)

    @classmethod
    def with_name_scope(cls, method):
        """Decorator: run `method` inside the module's name scope.

        >>> import graphflow as tf
        >>> class Lazy(tf.Module):
        ...     @tf.Module.with_name_scope
        ...     def __call__(self, x):
        ...         if not hasattr(self, "w"):
        ...             self.w = tf.Variable(tf.ones([x.shape[1], 3]))
        ...         return tf.matmul(x, self.w)
        >>> m = Lazy()
        >>> m(tf.ones([1, 2])).shape, m.w.name
        (TensorShape([1, 3]), 'lazy/Variable:0')
        """
        @functools.wraps(method)
        def wrapped(self, *args, **kwargs):
            with self.name_scope:
                return method(self, *args, **kwargs)
        return wrapped

    def __repr__(self):
        return f"<{type(self).__module__}.{type(self).__name__} object named {self.name!r}>"


@contextlib.contextmanager
def init_scope():
    """Lift out of a `@function` being traced (and pause gradient tapes) for a block: code in
    it runs eagerly, as TF's `tf.init_scope()` (used to create state once, at trace time).

    >>> import graphflow as tf
    >>> seen = []
    >>> @tf.function
    ... def f(x):
    ...     with tf.init_scope():
    ...         seen.append(tf.executing_eagerly())
    ...     seen.append(tf.executing_eagerly())
    ...     return x + 1.0
    >>> float(f(tf.constant(1.0))), seen
    (2.0, [True, False])
    """
    with _state.using(graph=None, tapes=(), adjoint=None) as st:
        yield st


def executing_eagerly():
    """False while a `@function` is being traced, True otherwise (`tf.executing_eagerly()`).

    >>> executing_eagerly()
    True
    """
    return _state.current().graph is None
