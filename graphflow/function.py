"""`@function`: trace a Python function into a graph once per input signature, then run the graph.

>>> import graphflow as tf
>>> @tf.function
... def f(x):
...     return tf.reduce_sum(x * x)
>>> print(f(tf.constant([1., 2.])).numpy())
5.0
>>> f.get_concrete_function(tf.constant([1., 2.])).graph.number_of_nodes() > 0
True

Notes for users: Python `print()` runs at trace time only; use `graphflow.print` to print on
every call. Python control flow on Python values is unrolled while tracing; tensor-dependent
control flow needs `graphflow.cond` / `graphflow.while_loop`. Every retrace is explained in
`f.retrace_log()` (which argument changed, from what to what, and where it was called).
Variables may be created on the first trace only (`if self.w is None: self.w = Variable(...)`);
as TF, a first trace that created Variables is traced once more with creation forbidden, so a
function creating a Variable on every call raises TF's ValueError ("tf.function only supports
singleton tf.Variables created on the first call") at once. An initial value computed inside
the trace (`tf.ones(shape)`, a random draw, even a value of the arguments) is evaluated once, at
trace time, as TF lifts initializers out of the function. Python numbers returned by the
function come back as tensors; `TensorSpec(shape=None)` (unknown rank) traces once per rank.
"""
import functools
import inspect
import threading
import time
import warnings
import weakref

import numpy as np

from . import autograph as _autograph
from . import graph as _graph
from . import shapes as _shapes
from . import state as _state
from .dtypes import as_dtype
from .errors import ArgumentMismatchError
from .tensor import SymbolicTensor, Tensor, TensorSpec, Variable, convert_to_tensor
from .nest import describe as describe_structure, flatten as _flatten_nested, structure
from .digraph import DiGraph
from .lazy import PausedGC, lazy_module

nx = lazy_module("networkx")   # imported at the first trace, not with graphflow


def flatten(v):
    """Arguments and results as a function sees them: composite values (RaggedTensor,
    SparseTensor) are their component tensors plus static structure, as in TF."""
    return _flatten_nested(v, expand_composites=True)


class _Config:
    run_functions_eagerly = False


CONFIG = _Config()
#: Callables `hook(concrete_function)` run before every execution of a traced graph; the
#: extension point for tools above this layer (`graphflow.summary.trace_on`). Empty: no cost
#: beyond one loop setup per call.
CALL_HOOKS = []
#: Visualizer entry point(s) `visualize(concrete_function, path=None, **kw) -> page` (graphflow.viz
#: adds its own on import); `ConcreteFunction.visualize` and `_repr_html_` use the last one.
VISUALIZERS = []
# TF's frequent-retracing warning: when 5 of the last 10 calls traced, at most twice per function
# (get_concrete_function's traces do not count, as in TF)
RETRACE_WARN_TRACES, RETRACE_WARN_CALLS, RETRACE_WARN_MAX = 5, 10, 2


def run_functions_eagerly(run_eagerly):
    """Debugging switch: run @function bodies as plain Python (eager), not as graphs."""
    CONFIG.run_functions_eagerly = bool(run_eagerly)


def functions_run_eagerly():
    """True if `run_functions_eagerly(True)` is in effect."""
    return CONFIG.run_functions_eagerly


# ------------------------------------------------------------------ signatures
def _arg_key(x):
    """The part of the trace cache key one argument contributes (a TensorSpec stands for any
    tensor it is compatible with: its None dims stay unknown in the trace)."""
    if isinstance(x, TensorSpec):
        if x.unknown_rank:
            raise ValueError(f"{x}: graphflow traces once per rank (every dim may be None, as in "
                             "TensorSpec([None, None])); give the rank to trace for")
        return ("Tensor", x.dtype.name, tuple(x.shape))
    if isinstance(x, Variable):
        return ("Variable", id(x), x.dtype.name, tuple(x.shape))
    if isinstance(x, (Tensor, np.ndarray)):
        dt = x.dtype.name if isinstance(x, Tensor) else np.dtype(x.dtype).name
        return ("Tensor", dt, tuple(x.shape))
    try:
        hash(x)
        return ("python", type(x).__name__, x)
    except TypeError:
        return ("object", type(x).__name__, id(x))


def _fast_key(args):
    """The (numpy dtype, shape) of each argument when every one is a plain Tensor, else None.

    Such a call's trace key (`Function._key`) depends on nothing else: it is bound by position
    (no keywords), a Tensor's key is its dtype and shape, and `_lookup` maps a key to the same
    ConcreteFunction for as long as the function lives (traces are only ever added), so the
    ConcreteFunction found once serves every later call with the same fast key.
    """
    key = []
    for x in args:
        if type(x) is not Tensor:
            return None
        v = x._value
        key.append((v.dtype, v.shape))
    return tuple(key)


def _nested_key(args):
    """`_fast_key` for arguments that are Tensors, numpy arrays (without an input_signature:
    passed as they are, as `_lookup` passes them) or tuples/lists of them, nested: (key, the
    arrays to pass) - the key is their types, lengths, dtypes and shapes in flatten order - or
    None for anything else.

    >>> import numpy as np, graphflow as tf
    >>> k, arrays = _nested_key(((tf.constant([1.]), np.zeros((2, 3))), tf.constant(2)))
    >>> k == _nested_key(((tf.ones(1), np.ones((2, 3))), tf.constant(5)))[0], len(arrays)
    (True, 3)
    """
    key, arrays = [], []
    stack = [args]
    while stack:
        x = stack.pop()
        t = type(x)
        if t is Tensor:
            v = x._value
            key.append((v.dtype, v.shape))
            arrays.append(v)
        elif t is np.ndarray:
            key.append(("ndarray", x.dtype, x.shape))
            arrays.append(np.array(x))   # (a copy, as _host_array: outputs never alias it)
        elif t is tuple or t is list:
            key.append((t, len(x)))
            stack.extend(reversed(x))
        else:
            return None
    return tuple(key), arrays


def _host_array(x):
    """The array a tensor argument contributes: a Tensor's value, or a copy of a numpy array (as
    `convert_to_tensor` copies in eager mode, so outputs never alias the caller's array)."""
    return x._value if isinstance(x, Tensor) else np.array(x)


def _output_array(o):
    # eager mode keeps 0-d values as numpy scalars; do the same for graph outputs (0-d strings
    # stay arrays: a Tensor's value has a shape)
    return o[()] if isinstance(o, np.ndarray) and o.ndim == 0 and o.dtype.kind != "O" else o


def _describe(k):
    if k is None:
        return "absent"
    kind = k[0]
    if kind == "Tensor":
        return f"Tensor {k[1]}{list(k[2])}"
    if kind == "Variable":
        return f"Variable (id {k[1]:#x}) {k[2]}{list(k[3])}"
    if kind == "python":
        return f"Python {k[1]} {k[2]!r}"
    return f"{k[1]} object (id {k[2]:#x})"


class ConcreteFunction:
    """One traced signature: the graph as traced, the optimized graph and its executor.

    `graph` is the networkx.DiGraph of the optimized graph; `traced` and `optimized` are the
    `graphflow.graph.Graph` wrappers; `stages` lists (pass name, Graph) after each pass.
    `timings` says where making it went (seconds): 'trace' (running the Python function on
    symbolic tensors), 'passes' and 'executor' (the backend's plan; for numba also loading the
    kernels a warm start finds in the disk cache).
    """

    def __init__(self, fn, traced, structure, n_leaves, backend, trace_seconds):
        from .backends.plan_cache import Lookup
        self.function = fn
        self.traced = traced
        self.structure = structure
        self.trace_seconds = trace_seconds
        t0 = time.perf_counter()
        cached = Lookup(traced, backend)   # the on-disk plan cache (backends/plan_cache.py)
        if cached.hit is None:
            from .passes import run_pipeline
            self._stages = run_pipeline(traced)
            self.optimized, fused = self._stages[-1][1], None
        else:   # a warm start: the passes' and the backend's fusion's graphs from the disk
            self._stages = None   # (recomputed if asked for)
            self.optimized, fused = cached.hit
        self.backend = backend
        t1 = time.perf_counter()
        # (side: where the backend keeps what it learns about the plan, next to the entry)
        self._executor = _make_executor(self.optimized, backend, fused, cached.side_path)
        self.timings = {"trace": trace_seconds, "passes": t1 - t0,
                        "executor": time.perf_counter() - t1}
        self._fused = getattr(self._executor, "graph", None)
        if self._fused is self.optimized:
            self._fused = None
        cached.store(self.optimized, self._fused)

    @property
    def stages(self):
        """[(pass name, Graph)]: the traced graph, the graph after each pass, and the backend's
        fused clusters ('fuse'), for inspection (after a plan-cache hit the passes run again
        here, the first time they are asked for)."""
        if self._stages is None:   # (the last stage is the graph this trace runs)
            from .passes import run_pipeline
            stages = run_pipeline(self.traced)
            self._stages = stages[:-1] + [(stages[-1][0], self.optimized)]
        if self._fused is not None and self._stages[-1][1] is not self._fused:
            self._stages.append(("fuse", self._fused))
        return self._stages

    @property
    def graph(self):
        """The optimized graph's DiGraph, with TF's `as_graph_def()` (a `graph_def.FuncGraph`)."""
        g = self.optimized.nx
        if type(g) in (nx.DiGraph, DiGraph):   # (the light one: networkx is imported here)
            from .graph_def import FuncGraph   # here: its base class is networkx's (lazy)
            g.__class__ = FuncGraph   # same object and data, plus the inspection methods
        return g

    @property
    def structured_input_signature(self):
        """(positional argument specs, keyword-only argument specs), as TF: TensorSpecs for
        tensors, Python values as traced.

        >>> import graphflow as tf
        >>> tf.function(lambda x, k=2: x * k).get_concrete_function(
        ...     tf.constant([1., 2.])).structured_input_signature
        ((TensorSpec(shape=(2,), dtype=tf.float32, name='x'), 2), {})
        """
        args = getattr(self, "traced_arguments", None) or {}
        params = self.function._sig.parameters
        pos, kw = [], {}
        for name, v in args.items():
            if type(v) is TensorSpec and v.name is None:   # TF names a tensor by its argument
                v = TensorSpec(v.shape, v.dtype, name=name)
            p = params.get(name)
            if p is not None and p.kind == p.VAR_POSITIONAL:
                pos.extend(v)
            elif p is not None and p.kind == p.VAR_KEYWORD:
                kw.update(v)
            elif p is not None and p.kind == p.KEYWORD_ONLY:
                kw[name] = v
            else:
                pos.append(v)
        return tuple(pos), kw

    @property
    def structured_outputs(self):
        """The outputs' structure with the traced graph's symbolic tensors, as TF."""
        return self.structure(self.outputs)

    @property
    def inputs(self):
        """The traced graph's parameters as symbolic tensors, in argument order (TF's
        `ConcreteFunction.inputs`; captured variables are `captured_inputs`).

        >>> import graphflow as tf
        >>> tf.function(lambda x: x + 1.).get_concrete_function(tf.TensorSpec([None])).inputs
        [<tf.Tensor 'x:0' shape=(None,) dtype=float32>]
        """
        return self._symbolic(self.traced.params)

    @property
    def outputs(self):
        """The traced graph's outputs as a flat list of symbolic tensors (TF's)."""
        return self._symbolic(self.traced.outputs)

    @property
    def captured_inputs(self):
        """The Variables the function captures (TF lists their resource handles)."""
        return list(self.variables)

    def _symbolic(self, nodes):
        g = self.traced
        return [SymbolicTensor._make(g, n, g.nx.nodes[n]["shape"], g.nx.nodes[n]["dtype"])
                for n in nodes]

    @property
    def output_shapes(self):
        """The outputs' structure with their TensorShapes."""
        from .tensor import TensorShape
        g = self.traced
        return self.structure([TensorShape(g.nx.nodes[o]["shape"]) for o in g.outputs])

    @property
    def output_dtypes(self):
        """The outputs' structure with their dtypes, as TF.

        >>> import graphflow as tf
        >>> tf.function(lambda x: (x, x > 0)).get_concrete_function(tf.constant(1.)).output_dtypes
        (tf.float32, tf.bool)
        """
        from .dtypes import as_dtype
        g = self.traced
        return self.structure([as_dtype(g.nx.nodes[o]["dtype"]) for o in g.outputs])

    @property
    def variables(self):
        """The Variables the function reads or assigns (its captures), in first-use order.

        >>> import graphflow as tf
        >>> v = tf.Variable(2.)
        >>> [w is v for w in tf.function(lambda x: x * v).get_concrete_function(1.).variables]
        [True]
        """
        return tuple((getattr(self.traced, "variables", None) or {}).values())

    @property
    def trainable_variables(self):
        """`variables` that are trainable."""
        return tuple(v for v in self.variables if getattr(v, "trainable", True))

    def pretty_printed_signature(self, verbose=True):
        """TF 2.21's text of this trace: "Input Parameters / Output Type / Captures" (verbose)
        or "(args) -> outputs".

        >>> import graphflow as tf
        >>> cf = tf.function(lambda a, b=2: a * b).get_concrete_function(tf.constant(1.))
        >>> print(cf.pretty_printed_signature())
        Input Parameters:
          a (POSITIONAL_OR_KEYWORD): TensorSpec(shape=(), dtype=tf.float32, name=None)
          b (POSITIONAL_OR_KEYWORD): Literal[2]
        Output Type:
          TensorSpec(shape=(), dtype=tf.float32, name=None)
        Captures:
          None
        """
        params = self.function._sig.parameters
        args = [(name, params[name].kind.name if name in params else "POSITIONAL_OR_KEYWORD",
                 _type_text(v)) for name, v in (getattr(self, "traced_arguments", None)
                                                or {}).items()]
        g = self.traced
        out = _type_text(self.structure([TensorSpec(g.nx.nodes[o]["shape"],
                                                    g.nx.nodes[o]["dtype"])
                                         for o in g.outputs]))
        if not verbose:
            return "(" + ", ".join(f"{n}: {t}" for n, _, t in args) + f") -> {out}"
        caps = [f"  {v.name}: TensorSpec(shape={v.shape}, dtype={v.dtype!r}, name=None)"
                for v in g.variables.values()] if getattr(g, "variables", None) else []
        return ("Input Parameters:\n" + "".join(f"  {n} ({k}): {t}\n" for n, k, t in args)
                + f"Output Type:\n  {out}\nCaptures:\n" + ("\n".join(caps) or "  None"))

    def __str__(self):
        return "ConcreteFunction " + self.pretty_printed_signature()

    def __repr__(self):
        return f"<ConcreteFunction {self.pretty_printed_signature(verbose=False)} at " \
               f"0x{id(self):X}>"

    def pretty(self, stage=None):
        """Text dump of the optimized graph (or of a named pass stage, e.g. 'traced')."""
        if stage is None:
            return self.optimized.dump()
        for name, g in self.stages:
            if name == stage:
                return g.dump()
        raise KeyError(f"no stage {stage!r}; stages: {[n for n, _ in self.stages]}")

    def visualize(self, path=None, **kw):
        """This trace's graph page (every stage; see `graphflow.viz.render` for `stage`,
        `format`, `title`), written to `path` when given; shown inline in a notebook.

        >>> import graphflow as tf
        >>> @tf.function(jit_compile=False)
        ... def f(x):
        ...     return x * 2.0
        >>> f.get_concrete_function(tf.ones(2)).visualize().html.startswith("<!DOCTYPE html>")
        True
        """
        if not VISUALIZERS:
            raise ImportError("ConcreteFunction.visualize needs graphflow.viz (import it)")
        return VISUALIZERS[-1](self, path=path, **kw)

    def _repr_html_(self):
        return self.visualize()._repr_html_()

    def _call_flat(self, arrays):
        for hook in CALL_HOOKS:   # e.g. tf.summary.trace_on collecting executed graphs
            hook(self)
        outs = self._executor.run(arrays)
        return self.structure([Tensor._wrap(_output_array(o)) for o in outs])

    def __call__(self, *args, **kwargs):
        """Run this trace on arguments of its signature (bound like the Python function, so
        keywords work; shapes and dtypes are checked, as the graph was built for them). The
        trace's Python arguments are part of it: they may be left out, and must be the same."""
        traced = getattr(self, "traced_arguments", None)
        ba = (self.function._bind_args(args, kwargs) if traced is None else
              _bind_to_trace(self.function, traced, args, kwargs))
        leaves = [x for x in flatten(list(ba.arguments.values()))[0]
                  if isinstance(x, (Tensor, np.ndarray)) and not isinstance(x, SymbolicTensor)]
        params = self.traced.params
        if len(leaves) != len(params):
            raise TypeError(f"{self.function.name}: this concrete function takes {len(params)} "
                            f"tensors, the call passed {len(leaves)}")
        arrays = [_host_array(x) for x in leaves]
        for a, p in zip(arrays, params):
            d = self.traced.nx.nodes[p]
            if len(a.shape) != len(d["shape"]) or np.dtype(a.dtype) != d["dtype"] or any(
                    not isinstance(sd, _shapes.Dim) and sd != ad
                    for sd, ad in zip(d["shape"], a.shape)):
                raise ArgumentMismatchError(
                    f"{self.function.name}: argument `{d['attrs']['name']}` is "
                    f"{as_dtype(a.dtype).name}{list(a.shape)} but this concrete function was "
                    f"traced for {as_dtype(d['dtype']).name}{list(d['shape'])}; call the Function "
                    "instead "
                    "(it traces new signatures)")
        return self._call_flat(arrays)


def _make_executor(graph, backend, fused=None, side=None):
    """The backend's plan of `graph` (`fused`: the numba backend's fused graph of it, from the
    plan cache; `side`: the cache entry's path without extension, for the backend's files)."""
    if graph.symbolic:   # unknown dims: one backend plan per concrete shape, bound per call
        from .evaluate import PerShapePlan
        return PerShapePlan(graph, lambda g: _make_executor(g, backend))
    if backend == "numba":
        try:
            from .backends.numba import NumbaPlan
        except ImportError:   # backend not available: the reference executor is always correct
            backend = "numpy"
        else:
            return NumbaPlan(graph, fused=fused, side=side)
    from .backends.numpy_exec import NumpyPlan
    return NumpyPlan(graph)


class Function:
    """A Python function compiled to graphs on first call per input signature (`tf.function`)."""

    def __init__(self, python_function, input_signature=None, jit_compile=None,
                 reduce_retracing=False, name=None, autograph=True, batch_dim=None,
                 autograph_options=None):
        self._python_fn = python_function
        self.autograph = autograph
        # AutoGraph: trace the converted source (Python if/while/for on tensors -> graph
        # control flow); the original runs when conversion is off or impossible
        conv = _autograph.convert_cached(python_function) if autograph else None
        if conv is not None and _autograph.uses_builtin_functions(autograph_options):
            conv = _autograph.with_builtin_functions(conv)
        self._fn = conv if conv is not None else python_function
        self._sig = inspect.signature(python_function)
        self.input_signature = (None if input_signature is None else   # a tuple, as TF's
                                tuple(s if isinstance(s, TensorSpec) or _composite_spec(s)
                                      or _nested_spec(s) else TensorSpec(*s)
                                      for s in input_signature))
        self.jit_compile = jit_compile
        self.reduce_retracing = reduce_retracing
        # a `graphflow.shapes.Dim` shared by the leading axis of every tensor argument (Keras'
        # steps: one trace serves every batch size, the ragged last batch included)
        self.batch_dim = batch_dim
        self.name = name or getattr(python_function, "__name__", "function")
        self._cache = {}     # trace key (shapes may hold None: unknown dims) -> ConcreteFunction
        self._alias = {}     # concrete call key -> the ConcreteFunction serving it
        # positional Tensor arguments' (numpy dtype, shape)s -> the ConcreteFunction `_lookup`
        # found for them (`_fast_key`): a repeated call skips binding and keying (~12 us)
        self._fast = {}
        self._keys = []
        self._log = []
        self._creating_traces = 0   # first traces that created Variables (each traced again)
        self._calls = 0          # calls so far (the retrace warning's window)
        self._traced_at = []     # the call number of each recent trace made by a call
        self._warned = 0
        self._bound = {}
        self._lock = threading.RLock()
        functools.update_wrapper(self, python_function)

    @property
    def python_function(self):
        return self._python_fn

    # methods: `@function` on a method binds per instance (each instance its own traces)
    def __get__(self, obj, objtype=None):
        if obj is None:
            return self
        f = self._bound.get(id(obj))
        if f is None:
            try:   # hold the instance weakly: its traces go away with it (no leak, no id reuse)
                ref = weakref.ref(obj)
            except TypeError:
                bound = functools.partial(self._fn, obj)
            else:
                fn = self._fn

                def bound(*args, **kwargs):
                    return fn(ref(), *args, **kwargs)
                weakref.finalize(obj, self._bound.pop, id(obj), None)
            f = Function(bound, self.input_signature, self.jit_compile, self.reduce_retracing,
                         self.name, autograph=False,   # self._fn is converted already
                         batch_dim=self.batch_dim)
            f._sig = inspect.signature(functools.partial(self._fn, obj))
            self._bound[id(obj)] = f
        return f

    @property
    def backend(self):
        return "numpy" if self.jit_compile is False else "numba"

    def _bind_args(self, args, kwargs):
        plain = self.__dict__.get("_plain")
        if plain is None or plain[0] is not self._sig:   # names of a plain positional signature
            ps = self._sig.parameters.values()
            plain = self._plain = (self._sig, tuple(p.name for p in ps) if all(
                p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in ps) else ())
        if not kwargs and plain[1] and len(args) == len(plain[1]):   # the common call: no
            return inspect.BoundArguments(self._sig, dict(zip(plain[1], args)))   # bind()
        try:
            ba = self._sig.bind(*args, **kwargs)
        except TypeError as e:
            raise TypeError(f"{self.name}(): {e}") from None
        ba.apply_defaults()
        return ba

    def _check_signature(self, args):
        """Validate the positional arguments against input_signature; returns them converted to
        tensors (so `f([1., 2.])` traces with a float tensor, not a Python list)."""
        spec = self.input_signature
        if len(args) != len(spec):
            raise TypeError(f"{self.name}: input_signature has {len(spec)} tensors but the call "
                            f"passed {len(args)} positional arguments")
        out = []
        for i, (a, s) in enumerate(zip(args, spec)):
            if _nested_spec(s):   # a structure of TensorSpecs: each leaf checked as one
                leaves = _flatten_up_to(s, a)
                if leaves is None:
                    raise TypeError(f"{self.name}: argument {i} ({_safe_repr(a)[:80]}) does not "
                                    f"match the structure of input_signature {s}")
                specs, rebuild = flatten(s)
                out.append(rebuild([self._check_signature_leaf(x, l, i)
                                    for x, l in zip(leaves, specs)]))
                continue
            if _composite_spec(s):   # e.g. RaggedTensorSpec: a trace per row partition
                if not (s._gf_check(a) if hasattr(s, "_gf_check") else   # ExtensionType
                        isinstance(a, s.value_type) and a.dtype == s.dtype):
                    raise TypeError(f"{self.name}: argument {i} ({_safe_repr(a)[:80]}) does not "
                                    f"match input_signature {s}")
                out.append(a)
                continue
            out.append(self._check_signature_leaf(a, s, i))
        return out

    def _check_signature_leaf(self, a, s, i):
        """Argument (or nested leaf) `a` at position `i` as a tensor matching TensorSpec `s`."""
        seen = self.__dict__.setdefault("_compatible", set())   # (position, dtype, shape) seen
        t = a if isinstance(a, (Tensor, Variable, TensorSpec)) else convert_to_tensor(a, s.dtype)
        v = getattr(t, "_value", None)   # an eager value: its array's dtype and shape
        k = (i, id(s), v.dtype, v.shape) if type(v) is np.ndarray else None
        if k is None or k not in seen:
            if not s.is_compatible_with(t):
                raise TypeError(f"{self.name}: argument {i} ({t.dtype.name}{list(t.shape)}) "
                                f"does not match input_signature {s}")
            if k is not None and len(seen) < 4096:
                seen.add(k)
        return t

    def _positional_names(self):
        """The names of the parameters that can be given by position, in order (the ones an
        input_signature describes)."""
        return [n for n, p in self._sig.parameters.items()
                if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]

    def _apply_signature(self, args, kwargs):
        """input_signature arguments given by keyword move to their positions, then are checked
        and converted (`f(x=[1., 2.])` works like `f([1., 2.])`)."""
        if kwargs:
            kwargs = dict(kwargs)
            args = list(args)
            for n in self._positional_names()[len(args):len(self.input_signature)]:
                if n not in kwargs:
                    break
                args.append(kwargs.pop(n))
        return self._check_signature(args), kwargs

    def _spec_keys(self):
        """{argument name: its trace key part} of the input_signature's tensors (their None
        dims stay unknown in the trace)."""
        sk = self.__dict__.get("_spec_key_cache")
        if sk is None:
            names = self._positional_names()
            parts = [None if _composite_spec(s) else
                     _NestedParts(("Tensor", l.dtype.name, tuple(l.shape))
                                  for l in flatten(s)[0]) if _nested_spec(s) else
                     s.dtype.name if s.unknown_rank else
                     (("Tensor", s.dtype.name, tuple(s.shape)),)
                     for s in self.input_signature or ()]   # unknown rank: a trace per rank
            # composite arguments are keyed as they flatten (their static structure included)
            sk = self._spec_key_cache = {n: p for n, p in zip(names, parts) if p is not None}
            var = [n for n, p in self._sig.parameters.items() if p.kind == p.VAR_POSITIONAL]
            if var and len(parts) > len(names):   # f(*args): the rest of the signature
                sk[var[0]] = _VarParts(parts[len(names):])
        return sk

    @staticmethod
    def _signature_key(part, v):
        """Trace key part of input_signature argument `v` (a Tensor, or a TensorSpec given to
        get_concrete_function); `part` is the spec's, or its dtype name for an unknown rank (a
        trace per rank, every dim unknown)."""
        if not isinstance(part, str):
            return part
        if isinstance(v, TensorSpec):
            return (_arg_key(v),)
        return (("Tensor", part, (None,) * v.ndim),)

    def _key(self, ba):
        sk = self._spec_keys()
        key = tuple((name, tuple(sk[name]), structure(v))
                    if name in sk and isinstance(sk[name], _NestedParts) else
                    (name, self._signature_key(sk[name], v), None)
                    if name in sk and isinstance(v, (Tensor, TensorSpec)) else
                    (name, tuple(lk for p, x in zip(sk[name], v)
                                 for lk in self._signature_key(p, x)), structure(v))
                    if name in sk and isinstance(sk[name], _VarParts) and len(v) == len(
                        sk[name]) and all(isinstance(x, (Tensor, TensorSpec)) for x in v) else
                    (name, tuple(_arg_key(x) for x in flatten(v)[0]), structure(v))
                    for name, v in ba.arguments.items())
        if self.batch_dim is not None:
            b = self.batch_dim
            key = tuple((name, tuple(("Tensor", lk[1], (b,) + tuple(lk[2][1:]))
                                     if lk[0] == "Tensor" and lk[2] else lk for lk in ks), st)
                        for name, ks, st in key)
        return key

    @staticmethod
    def _matches(pattern, key):
        """True if trace key `pattern` (tensor dims may be None: unknown) serves call `key`."""
        if len(pattern) != len(key):
            return False
        for (n1, ks1, st1), (n2, ks2, st2) in zip(pattern, key):
            if n1 != n2 or st1 != st2 or len(ks1) != len(ks2):
                return False
            for a, b in zip(ks1, ks2):
                if a == b:
                    continue
                if a[0] != "Tensor" or b[0] != "Tensor" or a[1] != b[1] or len(a[2]) != len(b[2]):
                    return False
                if any(da is not None and not isinstance(da, _shapes.Dim) and da != db
                       for da, db in zip(a[2], b[2])):
                    return False
        return True

    def _relax(self, key):
        """reduce_retracing (TF's rule): a trace key with the tensor dims that differ from an
        earlier trace's generalized to None, and a note for the retrace log; (None, '') if no
        earlier trace differs in tensor dims only."""
        for prev in reversed(self._keys):
            if len(prev) != len(key):
                continue
            out, notes, ok = [], [], True
            for (n1, ks1, st1), (n2, ks2, st2) in zip(prev, key):
                if n1 != n2 or st1 != st2 or len(ks1) != len(ks2):
                    ok = False
                    break
                leaves = []
                for i, (a, b) in enumerate(zip(ks1, ks2)):
                    if a == b:
                        leaves.append(b)
                        continue
                    if a[0] != "Tensor" or b[0] != "Tensor" or a[1] != b[1] \
                            or len(a[2]) != len(b[2]):
                        ok = False
                        break
                    dims = tuple(None if da != db else db for da, db in zip(a[2], b[2]))
                    axes = [j for j, d in enumerate(dims) if d is None and b[2][j] is not None]
                    where = f"`{n2}`" + (f"[{i}]" if len(ks2) > 1 else "")
                    notes.append(f"{where} dims {axes}")
                    leaves.append(("Tensor", b[1], dims))
                if not ok:
                    break
                out.append((n2, tuple(leaves), st2))
            if ok:
                return tuple(out), ("reduce_retracing: generalized " + ", ".join(notes)
                                    + " to None (unknown); this trace serves every size there")
        return None, ""

    def __call__(self, *args, **kwargs):
        self._calls += 1
        st = _state.current()
        if CONFIG.run_functions_eagerly or st.graph is not None:
            return self._fn(*args, **kwargs)   # nested in a trace: inline into the outer graph
        if st.tapes:
            # an outer eager tape must see the ops: run eagerly (same values, differentiable)
            return self._fn(*args, **kwargs)
        fk = None if kwargs else _fast_key(args)
        if fk is not None:
            cf = self._fast.get(fk)
            if cf is not None:
                return cf._call_flat([x._value for x in args])
        elif not kwargs and self.input_signature is None:   # e.g. Keras' (x, y) batches
            nk = _nested_key(args)
            if nk is not None:
                fk = nk[0]
                cf = self._fast.get(fk)
                if cf is not None:
                    return cf._call_flat(nk[1])
        cf, ba = self._lookup(args, kwargs, counted=True)
        leaves = [x for x in flatten(list(ba.arguments.values()))[0]
                  if isinstance(x, (Tensor, np.ndarray))]
        if fk is not None and len(self._fast) < 256:
            self._fast[fk] = cf
        return cf._call_flat([_host_array(x) for x in leaves])

    def _lookup(self, args, kwargs, counted=False):
        """(ConcreteFunction for these arguments, traced now if new; their bound arguments)."""
        if self.input_signature is not None:
            args, kwargs = self._apply_signature(args, kwargs)
        ba = self._bind_args(args, kwargs)
        key = self._key(ba)
        cf = self._cache.get(key) or self._alias.get(key)
        if cf is None:
            with self._lock:   # threads calling a new signature at once: one traces it
                cf = self._cache.get(key) or self._alias.get(key)
                if cf is None:
                    for pattern, c in self._cache.items():
                        if self._matches(pattern, key):
                            cf = c
                            break
                    else:
                        relaxed, note = self._relax(key) if self.reduce_retracing else (None, "")
                        cf = self._trace(ba, relaxed or key, note, counted)
                    if cf is not self._cache.get(key):
                        if len(self._alias) > 1024:
                            self._alias.clear()
                        self._alias[key] = cf
        return cf, ba

    def get_concrete_function(self, *args, **kwargs):
        """The ConcreteFunction for these arguments (traced now if needed). Arguments may be
        TensorSpecs; their None dims stay unknown in the graph:

        >>> import graphflow as tf
        >>> f = tf.function(lambda x: tf.reduce_sum(x, axis=1))
        >>> cf = f.get_concrete_function(tf.TensorSpec((None, 4)))
        >>> cf.graph.nodes[cf.optimized.outputs[0]]["shape"]
        (None,)
        """
        if any(_composite_spec(x) for x in flatten([args, kwargs])[0]) or (
                not args and not kwargs and self.input_signature is not None
                and any(_composite_spec(s) for s in self.input_signature)):
            raise ValueError(f"{self.name}: get_concrete_function() needs example arguments for "
                             "a composite spec (graphflow traces per row partition: pass a RaggedTensor)")
        if not args and not kwargs and self.input_signature is not None \
                and any(getattr(s, "unknown_rank", False) for s in self.input_signature):
            args = list(self.input_signature)
        if any(isinstance(x, TensorSpec) and x.unknown_rank for x in flatten([args, kwargs])[0]):
            return AnyRankConcreteFunction(self, self._bind_args(args, kwargs))
        if not args and not kwargs and self.input_signature is not None:
            args = [flatten(s)[1]([np.zeros([1 if d is None else d for d in l.shape], l.dtype.np)
                                   for l in flatten(s)[0]])
                    for s in self.input_signature]
        return self._lookup(args, kwargs)[0]

    def pretty_printed_concrete_signatures(self, verbose=True):
        """Every trace's `pretty_printed_signature` (TF 2.21's text), one after the other.

        >>> import graphflow as tf
        >>> double = tf.function(lambda a: a + a)
        >>> _ = double(tf.constant(1)); _ = double(tf.constant([1.5]))
        >>> print(double.pretty_printed_concrete_signatures(verbose=False))
        (a: TensorSpec(shape=(), dtype=tf.int32, name=None)) -> TensorSpec(shape=(), dtype=tf.int32, name=None)
        (a: TensorSpec(shape=(1,), dtype=tf.float32, name=None)) -> TensorSpec(shape=(1,), dtype=tf.float32, name=None)
        """
        sep = "\n\n" if verbose else "\n"
        return sep.join(cf.pretty_printed_signature(verbose) for cf in self._cache.values())

    def experimental_get_tracing_count(self):
        """Number of traces this function made (one graph serves every shape it matches); as in
        TF, a first trace that created Variables and was traced again counts twice."""
        return len(self._cache) + self._creating_traces

    def retrace_log(self):
        """One entry per trace: why it happened (which argument changed, from what to what)."""
        return list(self._log)

    def autograph_report(self):
        """Which `if`/`while`/`for` statements AutoGraph made graph control flow and which ran as
        Python while tracing, with line numbers (`graphflow.autograph.report`)."""
        return _autograph.report(self)

    def kernel_plan(self, *args, **kwargs):
        """The backend's report for the traced signature of these arguments."""
        cf = self.get_concrete_function(*args, **kwargs)
        ex = cf._executor
        return ex.report() if hasattr(ex, "report") else "numpy executor: one numpy call per node"

    # ---- tracing -------------------------------------------------------------
    def _explain(self, key, caller):
        if not self._keys:
            return f"first trace of {self.name} (called at {caller})"
        prev = self._keys[-1]
        diffs = []
        pd = {name: (ks, st) for name, ks, st in prev}
        for name, b, st in key:
            a, pst = pd.get(name, (None, None))
            if a == b and pst == st:
                continue
            if a is None or len(a) != len(b) or pst != st:
                diffs.append(f"argument `{name}` changed structure"
                             + ("" if a is None else f" from {describe_structure(pst)} "
                                f"to {describe_structure(st)}"))
                continue
            for i, (ka, kb) in enumerate(zip(a, b)):
                if ka != kb:
                    where = f"`{name}`" + (f"[{i}]" if len(b) > 1 else "")
                    diffs.append(f"argument {where} changed from {_describe(ka)} to {_describe(kb)}")
        return (f"retrace #{len(self._keys) + 1} of {self.name} (called at {caller}): "
                + "; ".join(diffs or ["new signature"]))

    def _suggest(self, key):
        """Tips for what changed between the previous signature and `key`."""
        prev = dict((name, (ks, st)) for name, ks, st in self._keys[-2]) if len(self._keys) > 1 \
            else {}
        kinds = set()
        for name, ks, st in key:
            pks, pst = prev.get(name, (None, None))
            if pks is None or pst != st or len(pks) != len(ks):
                kinds.add("structure")
                continue
            kinds |= {b[0] for a, b in zip(pks, ks) if a != b}
        tips = []
        if "python" in kinds:
            tips.append("pass changing Python numbers as tensors (graphflow.constant) so they "
                        "don't become part of the signature")
        if "Tensor" in kinds:
            tips.append("tensor shapes and dtypes are part of the signature: keep batch sizes "
                        "fixed (e.g. drop_remainder) and dtypes consistent")
        if "structure" in kinds:
            tips.append("keep the nesting (list/tuple/dict layout) of arguments the same")
        if "Variable" in kinds or "object" in kinds:
            tips.append("each Variable / Python object passed gets its own trace: capture it "
                        "instead of passing it, or reuse the same one")
        return "; ".join(tips)

    def _trace(self, ba, key, note="", counted=False):
        # no cyclic collections while tracing and planning: the new objects (nodes, attrs, the
        # plan) are not garbage (~15 collections, ~3 ms of the MLP step's ~40 ms warm first call)
        paused = PausedGC()
        try:
            return self._trace_paused(ba, key, note, counted)
        finally:
            paused.end()

    def _trace_paused(self, ba, key, note, counted):
        caller = _graph.user_source()
        why = self._explain(key, caller) + (f"; {note}" if note else "")
        t0 = time.perf_counter()
        first = not self._cache
        builder, out_leaves, out_rebuild, ids, consts = self._trace_once(ba, key, first)
        if first and builder.created_variables:
            # TF's rule: a first trace that created Variables is traced again, with creation
            # forbidden; a function that creates a Variable on every call fails here (its
            # variables must be singletons: created once, or outside the function)
            try:
                builder, out_leaves, out_rebuild, ids, consts = self._trace_once(ba, key, False)
                self._creating_traces += 1
            except _VariableCreatedAgain:
                raise ValueError(
                    f"{self.name}: tf.function only supports singleton tf.Variables created on "
                    "the first call. Make sure the tf.Variable is only created once or created "
                    f"outside tf.function (called at {caller}). See "
                    "https://www.tensorflow.org/guide/function#creating_tfvariables for more "
                    "information.") from None
        traced = builder.finish()
        structure = _structure(out_rebuild, len(out_leaves), consts)
        cf = ConcreteFunction(self, traced, structure, len(ids), self.backend,
                              time.perf_counter() - t0)
        sig = {}   # input_signature shapes (None dims) over the traced example's shapes
        if self.input_signature is not None:
            sig = {n: s for n, s in zip(self._positional_names(), self.input_signature)
                   if isinstance(s, TensorSpec) and not s.unknown_rank or _nested_spec(s)}
        cf.traced_arguments = _spec_arguments(ba.arguments, sig)
        self._cache[key] = cf
        self._keys.append(key)
        self._log.append(why)
        if counted and self._frequent_tracing():
            tip = self._suggest(key)
            warnings.warn(f"{len(self._traced_at)} out of the last "
                          f"{min(self._calls, RETRACE_WARN_CALLS)} calls to {self.name} triggered "
                          f"retracing ({self.name} has been traced {len(self._keys)} times). {why}."
                          + (f" Suggestion: {tip}." if tip else "")
                          + " Use input_signature or reduce_retracing=True to limit retracing.",
                          stacklevel=5)   # _trace_paused < _trace < _lookup < __call__ < user
        return cf

    def _frequent_tracing(self):
        """Record a call's trace; True when TF would warn of frequent retracing now."""
        self._traced_at.append(self._calls)
        while self._traced_at and self._traced_at[0] <= self._calls - RETRACE_WARN_CALLS:
            self._traced_at.pop(0)
        if len(self._traced_at) >= RETRACE_WARN_TRACES and self._warned < RETRACE_WARN_MAX:
            self._warned += 1
            return True
        return False

    def _trace_once(self, ba, key, allow_create):
        """Run the Python function on symbolic arguments: (builder, output leaves, their
        rebuild, output node ids, {leaf index: Python value returned as it is})."""
        _shapes.take_checks()   # none left over from a trace that failed half-way
        builder = _graph.GraphBuilder(self.name)
        builder.allow_variable_creation = allow_create
        if not allow_create and not self._cache:
            builder.on_variable_created = _refuse_variable
        leaves, rebuild = flatten(list(ba.arguments.values()))
        names = [n for n, v in ba.arguments.items() for _ in flatten(v)[0]]
        leaf_keys = [lk for _, ks, _ in key for lk in ks]
        sym, k = [], 0
        token = _state.push(graph=builder, tapes=(), adjoint=None)
        try:
            n_dims = 0
            for name, x, lk in zip(names, leaves, leaf_keys):
                if isinstance(x, (Tensor, np.ndarray, TensorSpec)):
                    shape = []
                    for d in lk[2]:   # None in the key: an unknown dim, a fresh symbol
                        if d is None:
                            d = _shapes.Dim(f"d{n_dims}")
                            n_dims += 1
                        shape.append(d)
                    dt = (x.dtype.np if isinstance(x, TensorSpec) else
                          x._value.dtype if isinstance(x, Tensor) else x.dtype)
                    sym.append(builder.parameter(k, name, tuple(shape), dt))
                    if not isinstance(x, TensorSpec):
                        builder.param_values[sym[-1]._node] = _host_array(x)
                    k += 1
                else:
                    sym.append(x)
            new_args = rebuild(sym)
            with _shapes.unifying() as unified:   # dims an equality check ties are one
                out = self._call_bound(ba, new_args)
            builder.dim_aliases = dict(unified.aliases)   # (verify re-runs rules with them)
            out_leaves, out_rebuild = flatten(out)
            ids, consts = [], {}
            for i, o in enumerate(out_leaves):
                if isinstance(o, Variable):
                    o = o._read()
                elif isinstance(o, _NUMBERS) and np.asarray(o).dtype.kind in "biufc":
                    o = convert_to_tensor(o)   # TF returns Python numbers/arrays as tensors
                if isinstance(o, Tensor):
                    ids.append(builder._node_of(o))
                else:
                    consts[i] = o
            builder.outputs = ids
        finally:
            _state.pop(token)
        return builder, out_leaves, out_rebuild, ids, consts

    def _call_bound(self, ba, new_args):
        vals = dict(zip(ba.arguments.keys(), new_args))
        args, kwargs = [], {}
        for name, p in self._sig.parameters.items():
            v = vals[name]
            if p.kind == p.VAR_POSITIONAL:
                args.extend(v)
            elif p.kind == p.VAR_KEYWORD:
                kwargs.update(v)
            elif p.kind == p.KEYWORD_ONLY:
                kwargs[name] = v
            else:
                args.append(v)
        return self._fn(*args, **kwargs)


def _spec_arguments(arguments, signature=None):
    """The trace's arguments with tensors replaced by TensorSpecs (what a concrete function
    needs to bind calls, without keeping the traced call's arrays alive); an argument given by
    `signature` ({name: TensorSpec} of an input_signature) keeps that spec's shape."""
    out = {}
    for name, v in arguments.items():
        spec = (signature or {}).get(name)
        if spec is not None and isinstance(v, (Tensor, np.ndarray, TensorSpec)) \
                and not isinstance(v, Variable):
            out[name] = TensorSpec(spec.shape, v.dtype)
            continue
        leaves, rebuild = flatten(v)
        if spec is not None and _nested_spec(spec) and len(flatten(spec)[0]) == len(leaves):
            # (TF names a nested argument's tensors <argument>_<leaf index>)
            out[name] = rebuild([TensorSpec(s.shape, x.dtype, name=f"{name}_{j}") for j, (x, s)
                                 in enumerate(zip(leaves, flatten(spec)[0]))])
            continue
        out[name] = rebuild([TensorSpec(tuple(x.shape), x.dtype)
                             if isinstance(x, (Tensor, np.ndarray)) and not isinstance(x, Variable)
                             else x for x in leaves])
    return out


def _composite_spec(s):
    """True for a spec of a composite value (RaggedTensorSpec, SparseTensorSpec: they name it
    with `value_type`)."""
    return not isinstance(s, TensorSpec) and hasattr(s, "value_type")


def _has_tensor(v):
    return any(isinstance(x, (Tensor, np.ndarray, TensorSpec)) for x in flatten(v)[0])


def _python_key(v):
    return tuple(_arg_key(x) for x in flatten(v)[0]), structure(v)


def _safe_repr(v):
    try:
        return repr(v)
    except Exception:   # e.g. a half-initialized object
        return f"<{type(v).__name__} object>"


def _bind_to_trace(fn, traced, args, kwargs):
    """Bind a concrete function's call against the arguments it was traced with: Python
    (non-tensor) arguments are baked into the graph, so they may be left out and, if given,
    must equal the traced ones (TF raises TypeError otherwise)."""
    tensor_names = [n for n, tv in traced.items() if _has_tensor(tv)]
    try:
        if len(args) == len(tensor_names) and len(args) < len(traced):
            # TF: positional arguments fill the tensor parameters (the Python ones are fixed)
            ba = fn._sig.bind_partial(**dict(zip(tensor_names, args)), **kwargs)
        else:
            ba = fn._sig.bind_partial(*args, **kwargs)
    except TypeError as e:
        raise TypeError(f"{fn.name}(): {e}") from None
    given, out = ba.arguments, {}
    for name, tv in traced.items():
        if name not in given:
            if _has_tensor(tv):
                raise TypeError(f"{fn.name}(): missing the tensor argument `{name}`")
            out[name] = tv
            continue
        v = given[name]
        if not _has_tensor(tv) and _python_key(v) != _python_key(tv):
            raise TypeError(f"{fn.name}(): this concrete function was traced with `{name}`="
                            f"{_safe_repr(tv)}, not {_safe_repr(v)} (Python arguments are part "
                            "of the trace: call the Function to trace the new value)")
        out[name] = v
    ba.arguments = out
    return ba


def _type_text(v):
    """TF 2.21's text of a traced argument or output: TensorSpecs, Tuple/List/Dict[...] of
    them, Literal[python value]."""
    if isinstance(v, TensorSpec):
        return repr(TensorSpec(v.shape, v.dtype))
    if isinstance(v, tuple):
        return "Tuple[" + ", ".join(_type_text(x) for x in v) + "]"
    if isinstance(v, list):
        return "List[" + ", ".join(_type_text(x) for x in v) + "]"
    if isinstance(v, dict):
        return "Dict[" + ", ".join(f"[{k!r}, {_type_text(x)}]" for k, x in v.items()) + "]"
    return f"Literal[{v!r}]"


class AnyRankConcreteFunction:
    """What `get_concrete_function` returns for a `TensorSpec(shape=None)` argument. TF builds
    one graph for every rank; graphflow's graphs have a known rank, so this traces once per rank
    a call brings (every dim unknown) and runs that trace. Python arguments are fixed as for a
    ConcreteFunction.

    >>> import graphflow as tf
    >>> square = tf.function(lambda a, b: a ** b).get_concrete_function(
    ...     a=tf.TensorSpec(None, tf.float32), b=2)
    >>> print(square(tf.constant(10.0)).numpy(), square(tf.constant([1., 3.])).numpy())
    100.0 [1. 9.]
    """

    def __init__(self, fn, ba):
        self.function, self.traced_arguments = fn, dict(ba.arguments)
        self._by_rank = {}

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.traced_arguments.items())
        return f"<AnyRankConcreteFunction {self.function.name}({args})>"

    def __call__(self, *args, **kwargs):
        ba = _bind_to_trace(self.function, self.traced_arguments, args, kwargs)
        specs, ranks = {}, []
        for name, tv in self.traced_arguments.items():
            tleaves = flatten(tv)[0]
            vleaves, rebuild = flatten(ba.arguments[name])
            if len(tleaves) != len(vleaves):
                raise TypeError(f"{self.function.name}(): argument `{name}` changed structure")
            leaves = []
            for t, v in zip(tleaves, vleaves):
                if isinstance(t, TensorSpec):
                    v = v if isinstance(v, Tensor) else convert_to_tensor(v, t.dtype)
                    if not t.is_compatible_with(v):
                        raise ArgumentMismatchError(
                            f"{self.function.name}(): argument `{name}` is "
                            f"{v.dtype.name}{list(v.shape)}, not {t}")
                    ranks.append(v.ndim)
                    v = TensorSpec((None,) * v.ndim if t.unknown_rank else t.shape, t.dtype)
                leaves.append(v)
            specs[name] = rebuild(leaves)
        cf = self._by_rank.get(tuple(ranks))
        if cf is None:
            sba = self.function._sig.bind_partial()
            sba.arguments = specs
            cf = self._by_rank[tuple(ranks)] = self.function.get_concrete_function(
                *sba.args, **sba.kwargs)
        return cf(*ba.args, **ba.kwargs)


#: returned values converted to tensors (TF: "returns Python numbers as tensors"); None, strings
#: and other objects are returned as they are
_NUMBERS = (bool, int, float, complex, np.generic, np.ndarray)


class _VariableCreatedAgain(Exception):
    pass


def _refuse_variable(var):
    raise _VariableCreatedAgain()


def _structure(rebuild, n, consts):
    """Map the executor's flat outputs back into the function's return structure."""
    def build(tensors):
        it = iter(tensors)
        leaves = [consts[i] if i in consts else next(it) for i in range(n)]
        return rebuild(leaves)
    return build


class _VarParts(tuple):
    """The trace key parts of the input_signature tensors that a `*args` parameter takes."""


class _NestedParts(tuple):
    """The trace key parts of a nested input_signature entry's TensorSpecs, in flatten order."""


def _flatten_up_to(spec, value):
    """`value`'s parts where nested TensorSpec structure `spec` has its TensorSpecs (a leaf
    may be Python data, e.g. a nested list), in flatten order; None if the structures differ."""
    if isinstance(spec, TensorSpec):
        return [value]
    if isinstance(spec, dict):
        if not isinstance(value, dict) or set(value) != set(spec):
            return None
        keys = list(spec)   # (the order `flatten` takes a dict's entries in)
        spec, value = [spec[k] for k in keys], [value[k] for k in keys]
    elif not isinstance(value, (tuple, list)) or len(value) != len(spec):
        return None
    out = []
    for s, v in zip(spec, value):
        part = _flatten_up_to(s, v)
        if part is None:
            return None
        out += part
    return out


def _nested_spec(s):
    """True for an input_signature entry that is a structure (tuple/list/dict) of TensorSpecs,
    e.g. a dataset's element_spec."""
    if not isinstance(s, (tuple, list, dict)):
        return False
    leaves = flatten(s)[0]
    return bool(leaves) and all(isinstance(l, TensorSpec) for l in leaves)


def function(func=None, input_signature=None, autograph=True, jit_compile=None,
             reduce_retracing=False, experimental_relax_shapes=None, name=None, batch_dim=None,
             experimental_autograph_options=None, **_):
    """Decorator: trace `func` into a graph per input signature (TF's `tf.function`).

    Unknown dims serve many shapes with one trace: None in `input_signature` (or in a TensorSpec
    passed to `get_concrete_function`); `reduce_retracing=True` generalizes the dims that
    changed after a second shape (TF's rule); `batch_dim` (a `graphflow.shapes.Dim`, a graphflow
    extension Keras uses) makes the leading axis of every tensor argument that one unknown dim.

    `jit_compile=False` runs graphs on the numpy executor; otherwise the numba backend is used.
    AutoGraph leaves `print` as Python's (it runs while tracing), as TF does; with
    `experimental_autograph_options=tf.autograph.experimental.Feature.BUILTIN_FUNCTIONS` a
    `print` of tensors prints their values every time the graph runs.
    """
    def wrap(f):
        return Function(f, input_signature, jit_compile,
                        reduce_retracing or bool(experimental_relax_shapes), name, autograph,
                        batch_dim=batch_dim, autograph_options=experimental_autograph_options)
    return wrap(func) if func is not None else wrap
