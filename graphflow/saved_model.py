"""`tf.saved_model.save` / `tf.saved_model.load`: a Module's variables and its traced
`@function` graphs, loadable without the Python class that made them.

`save(obj, export_dir, signatures=None)` walks `obj`'s object graph (as `tf.train.Checkpoint`
does), writes every Variable to `export_dir/variables/variables` (graphflow's checkpoint format)
and every traced concrete function of every `@function` attribute (methods and functions stored
on the objects; an `input_signature` function not traced yet is traced first) as its graph IR:
the networkx DiGraph with its node attributes, the parameters' specs and the output structure,
pickled with Variables as references (`export_dir/saved_model.pkl`). Loading accepts only the
graph IR's own types (numpy arrays, networkx graphs, graphflow IR classes): a file naming any
other Python object (which a pickle could call while loading) is refused. Custom gradients are
traced and saved as graphs; graphs holding other Python callables (`py_function`) cannot be
saved.

`load(export_dir)` rebuilds the objects (Modules with the same attribute names), Variables with
the saved values, and each function as a callable that runs the saved graphs (compiled, like a
`ConcreteFunction`; replayed op by op under a `GradientTape` or inside another `@function`, so
gradients flow through it). `signatures` maps names to keyword-only functions returning dicts
(`output_0`, ... for non-dict results), as TF's. The format is graphflow's own: TensorFlow
cannot read it, nor graphflow TF's SavedModels.

>>> import tempfile, graphflow as tf
>>> class Scale(tf.Module):
...     def __init__(self):
...         super().__init__()
...         self.v = tf.Variable(2.0)
...     @tf.function(input_signature=[tf.TensorSpec([], tf.float32)])
...     def __call__(self, x):
...         return x * self.v
>>> path = tempfile.mkdtemp()
>>> tf.saved_model.save(Scale(), path)
>>> loaded = tf.saved_model.load(path)
>>> float(loaded(tf.constant(3.0))), list(loaded.signatures)
(6.0, ['serving_default'])
"""
import functools
import inspect
import io
import itertools
import os
import pickle
import types
import warnings

import numpy as np

from . import dtypes as _dt, state as _state
from .custom_gradient import CUSTOM_GRADIENT
from .errors import LeakedTensorError
from .checkpoint import VALUE, collect, object_graph, read_values, write_values
from .function import AnyRankConcreteFunction, ConcreteFunction, Function
from .graph import Graph
from .module import Module
from .nest import flatten
from .ops.registry import CONSTANT, OPS, READ_VARIABLE
from .dispatch import bind
from .tensor import Tensor, TensorSpec, Variable, convert_to_tensor

__all__ = ["save", "load", "SaveOptions", "LoadOptions", "SAVED_MODEL_FILE",
           "contains_saved_model"]

FORMAT = "graphflow-saved-model-1"
SAVED_MODEL_FILE = "saved_model.pkl"

# tf.saved_model's constants (TF's values)
ASSETS_DIRECTORY, ASSETS_KEY, DEBUG_DIRECTORY = "assets", "saved_model_assets", "debug"
DEBUG_INFO_FILENAME_PB = "saved_model_debug_info.pb"
CLASSIFY_INPUTS, CLASSIFY_OUTPUT_CLASSES, CLASSIFY_OUTPUT_SCORES = "inputs", "classes", "scores"
CLASSIFY_METHOD_NAME = "tensorflow/serving/classify"
PREDICT_INPUTS, PREDICT_OUTPUTS = "inputs", "outputs"
PREDICT_METHOD_NAME = "tensorflow/serving/predict"
REGRESS_INPUTS, REGRESS_OUTPUTS = "inputs", "outputs"
REGRESS_METHOD_NAME = "tensorflow/serving/regress"
DEFAULT_SERVING_SIGNATURE_DEF_KEY = "serving_default"
SAVED_MODEL_FILENAME_PB, SAVED_MODEL_FILENAME_PBTXT = "saved_model.pb", "saved_model.pbtxt"
SAVED_MODEL_SCHEMA_VERSION = 1
SERVING, TRAINING, GPU, TPU = "serve", "train", "gpu", "tpu"
VARIABLES_DIRECTORY, VARIABLES_FILENAME = "variables", "variables"


def contains_saved_model(export_dir):
    """Whether `export_dir` holds a SavedModel graphflow can load (its own format).

    >>> import tempfile
    >>> contains_saved_model(tempfile.mkdtemp())
    False
    """
    return os.path.isfile(os.path.join(os.fspath(export_dir), SAVED_MODEL_FILE))


#: ranks traced for a `TensorSpec(shape=None)` signature argument (graphflow graphs have a
#: known rank; TF's serve every rank)
ANY_RANK_TRACED = (0, 1, 2, 3, 4)


class _Out:
    """Placeholder of output `i` in a saved output structure."""

    def __init__(self, i):
        self.i = i


def _variables_path(export_dir):
    return os.path.join(export_dir, "variables", "variables")


# ------------------------------------------------------------------ save
def _concretes(f):
    """The traced ConcreteFunctions of Function `f` (an input_signature one is traced now; for
    an unknown-rank signature, for the ranks in ANY_RANK_TRACED)."""
    if not f._cache and f.input_signature is not None:
        _expand(f.get_concrete_function())
    return list(f._cache.values())


def _expand(cf):
    """A ConcreteFunction, or an AnyRankConcreteFunction's traces for the ranks in
    ANY_RANK_TRACED."""
    if not isinstance(cf, AnyRankConcreteFunction):
        return [cf]
    out = []
    with warnings.catch_warnings():   # tracing each rank is not a retracing problem
        warnings.simplefilter("ignore", UserWarning)
        for r in ANY_RANK_TRACED:
            args = {n: flatten(v)[1]([TensorSpec((None,) * r, x.dtype)
                                      if isinstance(x, TensorSpec) and x.unknown_rank else x
                                      for x in flatten(v)[0]])
                    for n, v in cf.traced_arguments.items()}
            out.append(cf.function.get_concrete_function(**args))
    return out


class _Pickler(pickle.Pickler):
    """Pickles Variables as references to their checkpoint keys."""

    def __init__(self, file, keys):
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.keys = keys

    def persistent_id(self, obj):
        if isinstance(obj, Variable):
            if id(obj) not in self.keys:   # captured, not reachable by attributes
                self.keys[id(obj)] = (f"_captured/{len(self.keys)}/{VALUE}", obj)
            return ("variable", self.keys[id(obj)][0])
        if isinstance(obj, _dt.DType):   # DTypes are singletons: compare by identity
            return ("dtype", obj.name)
        if _savable_method(obj):
            return None   # pickled by reducer_override
        if isinstance(obj, (types.FunctionType, types.MethodType, functools.partial)) and (
                getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)) \
                not in SAFE_FUNCTIONS:
            raise pickle.PicklingError(f"the Python function {obj!r} in a graph (py_function?)")
        return None

    def reducer_override(self, obj):
        if _savable_method(obj):
            o = obj.__self__
            return rebuild_method, (type(o).__module__, type(o).__name__, o.get_config(),
                                    o._method_state(), obj.__func__.__name__)
        return NotImplemented


def _savable_method(obj):
    """A bound method a graph may hold and a SavedModel keep: one of an object whose own class
    (not a subclass) sets `_graph_method_savable` (Keras' lookup layers, in numpy_function
    nodes): pickled as its class, `get_config()` and `_method_state()`, which `rebuild_method`
    makes it again from."""
    return isinstance(obj, types.MethodType) and \
        type(obj.__self__).__dict__.get("_graph_method_savable", False)


def rebuild_method(module, cls_name, config, state, method):
    """The bound method `method` of a graphflow Keras object whose class allows it
    (`_savable_method`), rebuilt from its config and state at load."""
    import importlib
    cls = getattr(importlib.import_module(module), cls_name, None) \
        if module.startswith("graphflow.keras.") else None
    if cls is None or not cls.__dict__.get("_graph_method_savable", False):
        raise pickle.UnpicklingError(f"tf.saved_model.load: refusing {module}.{cls_name}")
    obj = cls.from_config(config)
    obj._restore_method_state(state)
    return getattr(obj, method)


class SavedGradient:
    """A custom gradient (`tf.custom_gradient`'s grad_fn) as saved: its trace, replayed as ops
    when the loaded function is differentiated (so it is differentiable again)."""

    def __init__(self, record):
        self.record = record
        self._fn = None

    def __call__(self, index, ct):
        if self._fn is None:
            self._fn = RestoredConcreteFunction(self.record)
        return list(self._fn(ct))

    def __getstate__(self):
        return {"record": self.record, "_fn": None}

    def __repr__(self):
        return f"<saved custom gradient {self.record['name']}>"


def _grad_caller(grad, index):
    def call(ct):   # a closure, not default arguments: those would be traced arguments
        return list(grad(index, ct))
    return call


def _save_custom_gradients(g, name):
    """The graph's DiGraph with every custom_gradient node's grad_fn traced and saved as a
    `SavedGradient` (TF's experimental_custom_gradients=True)."""
    nodes = [n for n, d in g.nx.nodes(data=True) if d["op"] == CUSTOM_GRADIENT.name
             and not isinstance(d["attrs"]["grad"], SavedGradient)]
    if not nodes:
        return g.nx
    out = g.nx.copy()
    done = {}
    for n in nodes:
        d = out.nodes[n]
        grad, index = d["attrs"]["grad"], d["attrs"]["index"]
        if (id(grad), index) not in done:
            spec = TensorSpec([x if isinstance(x, int) else None for x in d["shape"]],
                              _dt.from_numpy(np.dtype(d["dtype"])))
            fn = Function(_grad_caller(grad, index), name=f"{name}_grad")
            try:
                gcf = fn.get_concrete_function(spec)
            except LeakedTensorError as e:
                raise ValueError(
                    f"tf.saved_model.save: the custom gradient {grad!r} in {name} uses tensors of "
                    f"the forward pass ({e}); graphflow saves custom gradients that depend on "
                    "their upstream gradient and the function's inputs only") from None
            done[(id(grad), index)] = SavedGradient(_graph_record(gcf, f"{name}_grad"))
        d["attrs"] = dict(d["attrs"], grad=done[(id(grad), index)])
    return out


def _graph_record(cf, name):
    g = cf.traced
    structure = cf.structure([_Out(i) for i in range(len(g.outputs))])
    sig = [(n, int(p.kind)) for n, p in cf.function._sig.parameters.items()]
    return {"name": name, "graph": {"name": g.name, "nx": _save_custom_gradients(g, name),
                                    "params": list(g.params),
                                    "outputs": list(g.outputs), "effects": list(g.effects),
                                    "variables": list(g.variables.values()),
                                    "dim_checks": list(g.dim_checks),
                                    "dim_aliases": dict(g.dim_aliases)},
            "structure": structure, "signature": sig, "arguments": cf.traced_arguments}


class SaveOptions:
    """Options of `save` (`tf.saved_model.SaveOptions`): graphflow saves custom gradients
    (`experimental_custom_gradients=True`, TF's default); other options are accepted and have
    no effect."""

    def __init__(self, namespace_whitelist=None, save_debug_info=False, function_aliases=None,
                 experimental_io_device=None, experimental_variable_policy=None,
                 experimental_custom_gradients=True, **kwargs):
        if not experimental_custom_gradients:
            raise NotImplementedError("SaveOptions(experimental_custom_gradients=False): "
                                      "graphflow always saves custom gradients")
        self.experimental_custom_gradients = True


class LoadOptions:
    """Options of `load` (`tf.saved_model.LoadOptions`); accepted, no effect."""

    def __init__(self, **kwargs):
        self.options = kwargs


def save(obj, export_dir, signatures=None, options=None):
    """Save `obj`'s variables and traced `@function`s to `export_dir` (see the module doc).

    `signatures`: a Function with an input_signature, a concrete function, or a dict of name ->
    either; by default the one `@function` attribute of `obj` itself with an input_signature and
    outputs, if exactly one, becomes `serving_default` (as TF).
    """
    export_dir = os.fspath(export_dir)
    _, variables, _, nodes = object_graph(obj)
    keys = {id(v): (k, v) for k, v in collect(obj, states=False).items()}
    objects, found = {}, []   # path -> {"name", "attrs": {attr: ref}, "functions"}
    for path, o in nodes:
        rec = objects[path] = {"name": getattr(o, "name", None) if isinstance(o, Module) else None,
                               "attrs": {}, "functions": {}}
        names = set(vars(o)) | {n for c in type(o).__mro__ for n, a in vars(c).items()
                                if isinstance(a, Function)}
        for n in sorted(names):
            a = vars(o)[n] if n in vars(o) else getattr(o, n, None)
            if isinstance(a, Function):
                cfs = _concretes(a)
                rec["functions"][n] = [_graph_record(cf, f"{path}/{n}") for cf in cfs]
                # TF's default signature: a function of the root object with an input_signature
                # and outputs (one returning nothing cannot serve a signature)
                if a.input_signature is not None and not path and \
                        all(cf.traced.outputs for cf in cfs):
                    found.append(rec["functions"][n])
    refs = [(vpath, f"{vpath}/{VALUE}") for vpath, _ in variables]
    refs += [(path, ("object", path)) for path in objects if path]
    for path, ref in refs:   # each under its nearest object ('layers/0' of a list attribute)
        parts = path.split("/")
        k = max(i for i in range(len(parts)) if "/".join(parts[:i]) in objects)
        objects["/".join(parts[:k])]["attrs"]["/".join(parts[k:])] = ref
    default = getattr(obj, "_default_save_signature", None) if signatures is None and \
        not found else None   # (a Keras model's: its call on its inputs' specs)
    if default is not None:
        sigs = {"serving_default": [_graph_record(cf, "signature/serving_default")
                                    for cf in _concretes(default)]}
    elif signatures is None:
        sigs = {"serving_default": found[0]} if len(found) == 1 else {}
    else:
        if not isinstance(signatures, dict):
            signatures = {"serving_default": signatures}
        sigs = {}
        for k, s in signatures.items():
            cfs = (_concretes(s) if isinstance(s, Function) else _expand(s))
            sigs[k] = [_graph_record(cf, f"signature/{k}") for cf in cfs]
    buf = io.BytesIO()
    pk = _Pickler(buf, keys)
    try:
        pk.dump({"format": FORMAT, "objects": objects, "signatures": sigs})
    except (pickle.PicklingError, AttributeError, TypeError) as e:
        raise ValueError(f"tf.saved_model.save: a traced graph holds a Python object that "
                         f"cannot be saved ({e}); functions using py_function/custom_gradient "
                         "closures cannot be saved") from None
    os.makedirs(export_dir, exist_ok=True)
    values = {k: v.numpy() for k, v in keys.values()}
    write_values(_variables_path(export_dir), values)
    meta = {k: (v.name, bool(v.trainable)) for k, v in keys.values()}
    with open(os.path.join(export_dir, SAVED_MODEL_FILE), "wb") as f:
        pickle.dump({"format": FORMAT, "variables": meta}, f)
        f.write(buf.getvalue())


# ------------------------------------------------------------------ load
#: what a SavedModel file may name (anything else is refused: a pickle could otherwise call any
#: Python function while loading): classes of the graph IR's modules, and these functions
IR_MODULES = frozenset({
    "graphflow.graph", "graphflow.control_ops", "graphflow.shapes", "graphflow.indexing",
    "graphflow.tensor", "graphflow.ops.registry", "graphflow.saved_model", "graphflow.evaluate",
    "graphflow.backends.numba.plan", "graphflow.digraph", "graphflow.py_func",
    "networkx.classes.digraph",
    "networkx.classes.graph",
    "networkx.classes.coreviews", "networkx.classes.reportviews"})
SAFE_FUNCTIONS = frozenset({
    ("graphflow.shapes", "_rebuild"), ("numpy", "dtype"), ("numpy", "ndarray"),
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
    ("numpy.core.numeric", "_frombuffer"), ("numpy._core.numeric", "_frombuffer"),
    ("itertools", "count"), ("builtins", "set"), ("builtins", "frozenset"),
    ("builtins", "slice"), ("builtins", "complex"), ("builtins", "range"),
    ("builtins", "Ellipsis"), ("graphflow.saved_model", "rebuild_method")})


class _Unpickler(pickle.Unpickler):
    """Loads a SavedModel's graphs: Variables and DTypes by reference, and only the graph IR's
    own types (`IR_MODULES`, `SAFE_FUNCTIONS`)."""

    def __init__(self, file, variables):
        super().__init__(file)
        self.variables = variables

    def find_class(self, module, name):
        obj = None
        if (module, name) in SAFE_FUNCTIONS or module.startswith("numpy.dtypes"):
            obj = super().find_class(module, name)
        elif module in IR_MODULES and "." not in name:
            obj = super().find_class(module, name)
            if not isinstance(obj, type):
                obj = None
        if obj is None:
            raise pickle.UnpicklingError(
                f"tf.saved_model.load: refusing {module}.{name}: a SavedModel holds graph IR "
                "types only (this one would run other Python code while loading)")
        return obj

    def persistent_load(self, pid):
        return self.variables[pid[1]] if pid[0] == "variable" else _dt.as_dtype(pid[1])


_KINDS = {int(k): k for k in (inspect.Parameter.POSITIONAL_ONLY,
                               inspect.Parameter.POSITIONAL_OR_KEYWORD,
                               inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.KEYWORD_ONLY,
                               inspect.Parameter.VAR_KEYWORD)}


class _SavedSignature:
    """What a restored concrete function binds calls with (a Function's name and signature)."""

    def __init__(self, name, params):
        self.name = name
        self._sig = inspect.Signature([inspect.Parameter(n, _KINDS[k]) for n, k in params])

    def _bind_args(self, args, kwargs):
        ba = self._sig.bind(*args, **kwargs)
        ba.apply_defaults()
        return ba


def _rebuild_graph(rec):
    g = Graph(rec["name"])
    g.nx, g.params, g.outputs = rec["nx"], rec["params"], rec["outputs"]
    g.effects, g.dim_checks = rec["effects"], rec["dim_checks"]
    g.dim_aliases = rec.get("dim_aliases", {})   # (graphflow.shapes.unifying)
    g.variables = {id(v): v for v in rec["variables"]}
    g._ids = itertools.count(max(g.nx.nodes, default=-1) + 1)
    return g


class RestoredConcreteFunction:
    """One saved trace: runs its graph compiled (a ConcreteFunction), or op by op in the
    current mode under a tape or inside a trace (gradients flow through it)."""

    def __init__(self, rec):
        self.name = rec["name"]
        self.graph_ir = _rebuild_graph(rec["graph"])
        self.structured_input_arguments = rec["arguments"]
        self._template = rec["structure"]
        stub = _SavedSignature(self.name.rpartition("/")[2], rec["signature"])
        n = len(self.graph_ir.outputs)
        self._cf = ConcreteFunction(stub, self.graph_ir, self._rebuild, n, "numba", 0.0)
        self._cf.traced_arguments = rec["arguments"]
        self._stub = stub

    def _rebuild(self, tensors):
        leaves, rebuild = flatten(self._template)
        return rebuild([tensors[x.i] if isinstance(x, _Out) else x for x in leaves])

    @property
    def graph(self):
        return self._cf.graph

    @property
    def structured_outputs(self):
        g = self.graph_ir
        specs = [TensorSpec(g.nx.nodes[o]["shape"], g.nx.nodes[o]["dtype"]) for o in g.outputs]
        return self._rebuild(specs)

    def bind(self, args, kwargs):
        """The call's arguments in trace order, tensors converted to the traced dtypes; raises
        TypeError if they do not fit this trace."""
        try:
            ba = self._stub._sig.bind_partial(*args, **kwargs)
        except TypeError as e:
            raise TypeError(f"{self._stub.name}(): {e}") from None
        out = {}
        for name, tv in self.structured_input_arguments.items():
            tleaves, rebuild = flatten(tv)
            if name not in ba.arguments:
                if any(isinstance(x, TensorSpec) for x in tleaves):
                    raise TypeError(f"{self._stub.name}(): missing argument `{name}`")
                out[name] = tv
                continue
            vleaves = flatten(ba.arguments[name])[0]
            if len(vleaves) != len(tleaves):
                raise TypeError(f"{self._stub.name}(): argument `{name}` changed structure")
            leaves = []
            for t, v in zip(tleaves, vleaves):
                if isinstance(t, TensorSpec):
                    v = v if isinstance(v, (Tensor, Variable)) else convert_to_tensor(v, t.dtype)
                    if not t.is_compatible_with(v):
                        raise TypeError(f"{self._stub.name}(): argument `{name}` is "
                                        f"{v.dtype.name}{list(v.shape)}, the saved trace takes {t}")
                elif not (v is t or v == t):
                    raise TypeError(f"{self._stub.name}(): traced with `{name}`={t!r}, not {v!r}")
                leaves.append(v)
            out[name] = rebuild(leaves)
        return out

    def __call__(self, *args, **kwargs):
        bound = self.bind(args, kwargs)
        st = _state.current()
        if st.graph is None and not st.tapes:
            return self._cf(**bound)
        leaves = [x for x in flatten(list(bound.values()))[0] if isinstance(x, Tensor)]
        return self._rebuild(_run_ops(self.graph_ir, leaves))


def _run_ops(g, args):
    """Graph `g`'s nodes applied as ops (`bind`) in the current mode, effects (assign, print)
    included in program order, Variables read where the graph reads them: a tape records them
    (gradients reach the Variables), a trace inlines them. (`control_ops.replay` skips effects:
    its graphs' effects ran already.)"""
    vals = dict(zip(g.params, args))
    for n in g.topo():
        d = g.nx.nodes[n]
        if n in vals:
            continue
        if d["op"] == READ_VARIABLE.name:
            vals[n] = d["attrs"]["var"].read_value()   # a read the tape records
        elif d["op"] == CONSTANT.name:
            vals[n] = convert_to_tensor(d["attrs"]["value"])
        else:
            vals[n] = bind(OPS[d["op"]], [vals[u] for u in d["inputs"]], d["attrs"])
    return [vals[o] for o in g.outputs]


class RestoredFunction:
    """A loaded `@function`: calls go to the first saved trace their arguments fit."""

    def __init__(self, name, concretes):
        self.name = name
        self.concrete_functions = list(concretes)

    def __call__(self, *args, **kwargs):
        errors = []
        for cf in self.concrete_functions:
            try:
                cf.bind(args, kwargs)
            except TypeError as e:
                errors.append(str(e))
                continue
            return cf(*args, **kwargs)
        raise TypeError(f"{self.name}: the arguments fit none of the {len(errors)} saved traces "
                        "(a loaded function cannot trace new signatures): " + "; ".join(errors))

    def get_concrete_function(self, *args, **kwargs):
        """The saved trace these arguments (or TensorSpecs) fit."""
        for cf in self.concrete_functions:
            try:
                cf.bind(args, kwargs)
            except TypeError:
                continue
            return cf
        raise ValueError(f"{self.name}: no saved trace for these arguments")


class SignatureFunction(RestoredFunction):
    """A serving signature: keyword arguments (or, as TF 2.21 takes them, positional ones in
    the signature's argument order), a dict of outputs (`output_0`, ... when the function
    returned no dict)."""

    def __call__(self, *args, **kwargs):
        if args:
            names = [n for n in dict(self.concrete_functions[0].structured_input_arguments)
                     if n not in kwargs]
            if len(args) > len(names):
                raise TypeError(f"signature function takes {len(names)} arguments "
                                f"({', '.join(names)}), got {len(args)} positional")
            kwargs = dict(zip(names, args), **kwargs)
        out = super().__call__(**kwargs)
        return self._as_dict(out)

    @staticmethod
    def _as_dict(out):
        if isinstance(out, dict):
            return out
        return {f"output_{i}": t for i, t in enumerate(flatten(out)[0])}

    @property
    def structured_outputs(self):
        return _named_specs(self._as_dict(self.concrete_functions[0].structured_outputs))

    @property
    def structured_input_signature(self):
        return ((), _named_specs(dict(self.concrete_functions[0].structured_input_arguments)))


def _named_specs(specs):
    """{key: spec}, each unnamed TensorSpec named by its key (TF's signature specs are)."""
    return {k: TensorSpec(v.shape, v.dtype, name=k)
            if isinstance(v, TensorSpec) and not getattr(v, "name", None) else v
            for k, v in specs.items()}


class _UserObject(Module):   # (TF's class name for a loaded object)
    """A restored object: its Variables, sub-objects and functions under the saved names."""

    def __init__(self, name=None):
        super().__init__(name=name)

    def __call__(self, *args, **kwargs):
        fn = self.__dict__.get("__call__")
        if fn is None:
            raise TypeError(f"the loaded object {self.name!r} has no saved __call__")
        return fn(*args, **kwargs)


def load(export_dir, tags=None, options=None):
    """The object saved at `export_dir` by `save` (see the module doc)."""
    export_dir = os.fspath(export_dir)
    path = os.path.join(export_dir, SAVED_MODEL_FILE)
    if not os.path.exists(path):
        raise FileNotFoundError(f"no graphflow SavedModel at {export_dir!r} (expected "
                                f"{SAVED_MODEL_FILE}; graphflow cannot read TensorFlow's "
                                "saved_model.pb)")
    values = read_values(_variables_path(export_dir))
    with open(path, "rb") as f:
        head = _Unpickler(f, {}).load()
        if head.get("format") != FORMAT:
            raise ValueError(f"{export_dir}: unknown SavedModel format {head.get('format')!r}")
        variables = {k: Variable(values[k], name=n.split(":")[0], trainable=t)
                     for k, (n, t) in head["variables"].items()}
        body = _Unpickler(f, variables).load()
    objects = body["objects"]
    made = {p: _UserObject(name=rec["name"] if rec["name"] and rec["name"].isidentifier() else None)
            for p, rec in objects.items()}
    for p, rec in objects.items():
        o = made[p]
        for attr, ref in sorted(rec["attrs"].items()):
            target = made[ref[1]] if isinstance(ref, tuple) else variables[ref]
            _set_path(o, attr, target)
        for n, recs in rec["functions"].items():
            object.__setattr__(o, n, RestoredFunction(n, [RestoredConcreteFunction(r)
                                                          for r in recs]))
    root = made[""]
    root.signatures = {k: SignatureFunction(k, [RestoredConcreteFunction(r) for r in recs])
                       for k, recs in body["signatures"].items()}
    return root


def _set_path(obj, attr, value):
    """Attribute `attr` of a restored object; 'layers/0' (a saved list) becomes a list."""
    if "/" not in attr:
        setattr(obj, attr, value)
        return
    head, _, rest = attr.partition("/")
    cur = getattr(obj, head, None)
    if cur is None:
        cur = [] if rest.split("/")[0].isdigit() else {}
        setattr(obj, head, cur)
    key = rest.split("/")[0]
    if isinstance(cur, list):
        i = int(key)
        cur.extend([None] * (i + 1 - len(cur)))
        if "/" in rest:
            raise NotImplementedError("nested containers in a loaded object")
        cur[i] = value
    else:
        cur[key] = value
