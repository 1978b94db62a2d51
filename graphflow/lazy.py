"""Imports deferred to first use, so that `import graphflow` stays cheap.

`lazy_module(name)` is a stand-in for a module that is imported when one of its attributes is
first read (networkx: ~100 ms of a ~215 ms `import graphflow` on a quiet machine, needed only
once a function is traced). After that first read the stand-in holds the module's attributes
itself, so later reads cost what a module's do. The real module is imported through the normal
import system (thread-safe, registered in `sys.modules` as usual); the stand-in is never put in
`sys.modules`, so other code importing the module gets the real one.

`lazy_attributes(module_globals, table)` gives a package the PEP 562 `__getattr__` and
`__dir__` for attributes whose submodule is imported on first access (`tf.keras`, `tf.data`):
the value is then stored in the package's namespace, so later reads are plain lookups.

>>> json = lazy_module("json")
>>> json.dumps([1, 2])
'[1, 2]'
"""
import functools
import gc
import importlib
import os
import sys
import types


class LazyModule(types.ModuleType):
    """A module imported when one of its attributes is first read (see `lazy_module`)."""

    def __getattr__(self, attr):
        real = importlib.import_module(self.__name__)
        self.__dict__.update(real.__dict__)
        return getattr(real, attr)

    def __dir__(self):
        return dir(importlib.import_module(self.__name__))

    def __repr__(self):
        state = "loaded" if "__file__" in self.__dict__ else "not loaded yet"
        return f"<lazy module {self.__name__!r} ({state})>"


def lazy_module(name):
    """The module `name` if it is imported already, else a `LazyModule` standing for it.

    >>> lazy_module("sys") is sys
    True
    """
    mod = sys.modules.get(name)
    return mod if mod is not None else LazyModule(name)


def lazy_attributes(module_globals, submodules=(), table=None):
    """(`__getattr__`, `__dir__`) for a package (PEP 562) whose attributes are computed on first
    access: each name in `submodules` is the package's submodule of that name, imported then;
    `table` maps other names to functions of no arguments returning their value. The value is
    stored in `module_globals`, so later reads are plain lookups.

    >>> ns = {"__name__": "json"}
    >>> ns["__getattr__"], ns["__dir__"] = lazy_attributes(ns, ["decoder"], {"answer": lambda: 42})
    >>> ns["__getattr__"]("answer"), ns["answer"], ns["__getattr__"]("decoder").__name__
    (42, 42, 'json.decoder')
    >>> sorted(n for n in ns["__dir__"]() if not n.startswith("_"))
    ['answer', 'decoder']
    """
    package = module_globals["__name__"]
    makers = dict(table or {})
    for name in submodules:
        makers[name] = functools.partial(importlib.import_module, f"{package}.{name}")

    def __getattr__(name):
        make = makers.get(name)
        if make is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = make()
        module_globals[name] = value
        return value

    def __dir__():
        return sorted(set(module_globals) | set(makers))
    return __getattr__, __dir__


class Namespace(types.ModuleType):
    """A TF-style namespace (`tf.math`, `tf.image`, ...): a module object holding functions
    gathered from several graphflow modules, some of which are imported only when first needed.

    `defer(make)` adds the members that `make()` returns (a dict) on the first read of a name the
    namespace does not hold yet, or on `dir()`: e.g. `tf.image.decode_png` imports the image
    codecs then, `tf.image.resize` never does. Deferred members are applied in the order they
    were deferred, each overriding what was there, as `__dict__.update` calls in that order would.
    Names present from the start are plain module attributes (no cost on access).

    >>> ns = Namespace("demo", a=1)
    >>> ns.defer(lambda: {"b": 2})
    >>> "b" in ns.__dict__, ns.b, "b" in ns.__dict__, [n for n in dir(ns) if n[0] != "_"]
    (False, 2, True, ['a', 'b'])
    >>> ns.c
    Traceback (most recent call last):
    ...
    AttributeError: module 'graphflow.demo' has no attribute 'c'
    """

    def __init__(self, name, **members):
        super().__init__(f"graphflow.{name}")
        self.__dict__.update(members)
        self.__dict__["_deferred_members"] = []

    def defer(self, make):
        self.__dict__["_deferred_members"].append(make)

    def resolve(self):
        """Apply every deferred group now (imports the modules they come from)."""
        pending = self.__dict__["_deferred_members"]
        while pending:
            self.__dict__.update(pending.pop(0)())

    def __getattr__(self, attr):
        if not attr.startswith("__") and self.__dict__.get("_deferred_members"):
            self.resolve()
            if attr in self.__dict__:
                return self.__dict__[attr]
        raise AttributeError(f"module {self.__name__!r} has no attribute {attr!r}")

    def __dir__(self):
        self.resolve()
        return [n for n in super().__dir__() if n != "_deferred_members"]


def register_namespaces(package, depth=3):
    """Put the package's API namespaces - `Namespace`s, module objects and SimpleNamespaces
    reachable by attribute (`graphflow.random`, `graphflow.compat.v1`,
    `graphflow.keras.optimizers.schedules`, ...) - in `sys.modules` under their dotted paths,
    as TF's and Keras' API modules are: `from tensorflow.random import gamma`, `import
    tensorflow.compat.v1 as tf` or `from tensorflow.keras.optimizers.schedules import
    ExponentialDecay` then work with graphflow in their place. Entries already there (real
    modules) stay; aliases of real modules (`np`, `tf`) are left out; deferred members stay
    deferred (only `vars()` is read).

    >>> import sys, graphflow
    >>> sys.modules["graphflow.random"] is graphflow.random
    True
    """
    def walk(obj, path, depth):
        for name, value in list(vars(obj).items()):
            if name.startswith("_") or not isinstance(value, (types.ModuleType,
                                                                types.SimpleNamespace)):
                continue
            full = f"{path}.{name}"
            own = getattr(value, "__name__", None) if isinstance(value, types.ModuleType) \
                else None
            if own is not None and own != full and sys.modules.get(own) is value:
                continue   # another real module (numpy, the package itself)
            if sys.modules.setdefault(full, value) is value and depth > 1:
                walk(value, full, depth - 1)
    walk(package, package.__name__, depth)
    if not any(isinstance(f, _APIModuleFinder) for f in sys.meta_path):
        sys.meta_path.append(_APIModuleFinder())


class _APIModuleFinder:
    """Imports `graphflow.<package>.<name>` when the package (e.g. `graphflow.data`, imported
    after `register_namespaces` ran) holds an API module object under that name
    (`from tensorflow.data.experimental import AUTOTUNE`). Consulted after the regular finders;
    the import returns the object itself."""

    def find_spec(self, fullname, path=None, target=None):
        parent, _, name = fullname.rpartition(".")
        package = sys.modules.get(parent)
        if not fullname.startswith("graphflow.") or package is None or name.startswith("_"):
            return None
        value = getattr(package, name, None)
        if not isinstance(value, (types.ModuleType, types.SimpleNamespace)):
            return None
        import importlib.util
        return importlib.util.spec_from_loader(fullname, self._Loader(value))

    class _Loader:
        def __init__(self, value):
            self.value = value

        def create_module(self, spec):
            return self.value

        def exec_module(self, module):
            pass


class PausedGC:
    """Python's cyclic garbage collector off from construction until `end()` (or until this
    object is freed, e.g. when a package import that made it fails), then on again if it was on.

    `end(freeze=True)` also moves every object alive now to the collector's permanent generation
    (`gc.freeze`), which later collections never scan: for the end of `import graphflow`, whose
    ~28,000 objects (modules, functions, classes, the op table) live as long as the process. A
    pause alone only defers their scanning: the first collections after it walk them all
    (measured after the import: a gen-1 collection ~6 ms, a full one 7-10 ms; after the freeze
    0.0 ms), and a fresh process pays that during its first steps. Frozen objects are still
    freed by reference counting; only a reference cycle among them is never collected.
    ``GRAPHFLOW_GC_FREEZE=0`` keeps them in the normal generations.

    >>> gc.isenabled()
    True
    >>> paused = PausedGC(); gc.isenabled()
    False
    >>> paused.end(); gc.isenabled()
    True
    """

    def __init__(self):
        self.was_enabled = gc.isenabled()
        gc.disable()

    def end(self, freeze=False):
        if freeze and os.environ.get("GRAPHFLOW_GC_FREEZE", "1") not in ("", "0"):
            gc.freeze()
        if self.was_enabled:
            self.was_enabled = False
            gc.enable()

    def __del__(self):
        self.end()
