"""Keras 3 model files, both ways, with no code run on load.

`save_model(model, "m.keras")` writes Keras 3's zip layout: `config.json` (Keras 3 class names
and config keys: `{"module", "class_name", "config", "registered_name", "build_config",
"compile_config"}`), `metadata.json` and `model.weights.h5` (Keras 3's HDF5 layout:
`layers/<snake_case class name>[_<n>]/vars/<i>`, `optimizer/vars/<i>` with the iteration count,
the learning rate and each trainable variable's slots in order, `vars` for the model itself).
`load_model` reads such files written by Keras 3 or by graphflow. `save_weights` /
`load_weights` use the same HDF5 layout in a `.weights.h5` file.

Safety: no pickle anywhere. Classes are looked up by name among graphflow's Keras classes,
`custom_objects=` and classes registered with `register_keras_serializable`; the `module`
field of a config is never imported. `safe_mode=True` (the default) refuses serialized lambdas;
zip members are read into memory, never extracted, and absolute or `..` member names are
refused. HDF5 needs `h5py` (`pip install graphflow[keras]`).

>>> import os, tempfile, numpy as np, graphflow as tf
>>> model = tf.keras.Sequential([tf.keras.Input((3,)), tf.keras.layers.Dense(2)])
>>> path = os.path.join(tempfile.mkdtemp(), "m.keras")
>>> model.save(path)
>>> again = tf.keras.models.load_model(path)
>>> x = np.ones((1, 3), "float32")
>>> bool(np.allclose(again(x).numpy(), model(x).numpy()))
True
"""
import datetime
import inspect
import io
import json
import os
import re
import zipfile

import numpy as np

from .. import dtypes as _dt
from ..nest import flatten
from ..tensor import Tensor, Variable
from . import constraints as _constraints
from . import (activations as _act, initializers as _init, layers as _layers, losses as _losses,
               metrics as _metrics, models as _models, optimizers as _opt,
               regularizers as _reg)
from .layers import InputLayer, KerasTensor, Layer
from .naming import REGISTERED as _REGISTERED, SCOPES as _SCOPES, keras_dict

KERAS_VERSION = "3.15.1"   # the Keras version whose layout these files follow
_CONFIG, _METADATA, _WEIGHTS = "config.json", "metadata.json", "model.weights.h5"


class UnsafeFileError(ValueError):
    """A model file that would need code execution (a lambda, a pickle) or escapes its target."""


def _h5py():
    try:
        import h5py
    except ImportError:
        raise ImportError("Keras' HDF5 weight files need h5py: pip install h5py "
                          "(or graphflow[keras])") from None
    return h5py


# ------------------------------------------------------------------ registry
def register_keras_serializable(package="Custom", name=None):
    """Class decorator: make a custom layer/model loadable by its registered name
    `"<package>>(name)"` (as `keras.saving.register_keras_serializable`).

    >>> import graphflow as tf
    >>> @tf.keras.saving.register_keras_serializable(package="Demo")
    ... class Twice(tf.keras.layers.Layer):
    ...     def call(self, x):
    ...         return 2 * x
    >>> tf.keras.saving.get_registered_name(Twice)
    'Demo>Twice'
    """
    def decorate(cls):
        key = f"{package}>{name or cls.__name__}"
        _REGISTERED[key] = cls
        cls._registered_name = key
        return cls
    return decorate


def get_custom_objects():
    """The global registry of custom objects, by registered name (`"package>name"`) - the
    dict `register_keras_serializable` fills; clear it with `.clear()` (Keras 3)."""
    return _REGISTERED




class custom_object_scope:
    """`with custom_object_scope({"CustomLayer": CustomLayer}):` - loading and deserializing
    inside the block find these classes/functions by name (Keras 3's scope).

    >>> class Scoped(_layers.Layer):
    ...     pass
    >>> cfg = {"module": None, "class_name": "Scoped", "config": {}, "registered_name": None}
    >>> with custom_object_scope({"Scoped": Scoped}):
    ...     type(deserialize_keras_object(cfg)).__name__
    'Scoped'
    """

    def __init__(self, custom_objects=None, *more):
        self.custom_objects = dict(custom_objects or {})
        for d in more:
            self.custom_objects.update(d or {})

    def __enter__(self):
        _SCOPES.append(self.custom_objects)
        return self

    def __exit__(self, *exc):
        _SCOPES.remove(self.custom_objects)
        return False


CustomObjectScope = custom_object_scope


def get_registered_name(obj):
    """The registered name of a class (or instance's class) or function, else its name.

    >>> get_registered_name(len)
    'len'
    """
    if callable(obj) and not isinstance(obj, type) and hasattr(obj, "__name__"):
        return getattr(obj, "_registered_name", obj.__name__)     # a function
    cls = obj if isinstance(obj, type) else type(obj)
    return cls.__dict__.get("_registered_name", cls.__name__)


def get_registered_object(name, custom_objects=None, module_objects=None):
    """The class registered (or given in `custom_objects` / `module_objects`) under `name`,
    else None (Keras 3's `keras.saving.get_registered_object`).

    >>> @register_keras_serializable(package="Demo2")
    ... class Thrice(_layers.Layer):
    ...     pass
    >>> get_registered_object("Demo2>Thrice") is Thrice, get_registered_object("Demo2>None")
    (True, None)
    """
    for objs in (custom_objects, _REGISTERED, module_objects):
        if objs and name in objs:
            return objs[name]
    return None


def _builtin(module, class_name):
    """Classes graphflow has, by Keras' module and class name (the module is only a hint)."""
    spaces = {"layers": [_layers], "initializers": [_init], "regularizers": [_reg],
              "constraints": [_constraints],
              "optimizers": [_opt], "losses": [_losses], "metrics": [_metrics],
              "models": [_models]}
    part = (module or "").split(".")
    order = [spaces[p] for p in part if p in spaces] + list(spaces.values())
    for group in order:
        for mod in group:
            cls = getattr(mod, class_name, None)
            if isinstance(cls, type):
                return cls
    if class_name in ("Functional", "Model"):
        return _models.Model
    return None


def _lookup(cfg, custom_objects):
    name, reg = cfg.get("class_name"), cfg.get("registered_name")
    custom_objects = custom_objects or {}
    for objs in [custom_objects] + _SCOPES[::-1]:
        for key in (reg, name):
            if key and key in objs:
                return objs[key]
    for key in (reg, name):
        if key and key in _REGISTERED:
            return _REGISTERED[key]
    cls = _builtin(cfg.get("module"), name) if isinstance(name, str) else None
    if cls is None:
        raise TypeError(f"Could not locate class {name!r}. Make sure custom classes and "
                        "functions are decorated with "
                        "`@keras.saving.register_keras_serializable()`. If they are already "
                        "decorated, make sure they are all imported so that the decorator is "
                        f"run before trying to load them. Full object config: {cfg}")
    return cls


# ------------------------------------------------------------------ serialization
def _snake_case(name):
    """Keras' to_snake_case: 'BatchNormalization' -> 'batch_normalization', 'Conv2D' -> 'conv2d'."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def _obj(module, cls_name, config, registered=None):
    return {"module": module, "class_name": cls_name, "config": config,
            "registered_name": registered}


def _dtype_policy(name):
    return _obj("keras", "DTypePolicy", {"name": name})


def _jsonable(v, key=""):
    """A config value as Keras 3 writes it."""
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    if isinstance(v, (np.integer, np.floating, np.bool_)):
        return v.item()
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, dict):
        return {k: _jsonable(x, k) for k, x in v.items()}
    if isinstance(v, _dt.DType):
        return v.name
    for kind, module in ((_init.Initializer, "keras.initializers"),
                         (_reg.Regularizer, "keras.regularizers"),
                         (_constraints.Constraint, "keras.constraints")):
        if isinstance(v, kind):
            return keras_dict(v, module, _jsonable(v.get_config()))
    if isinstance(v, Layer):
        return serialize_keras_object(v)
    if callable(v):
        name = getattr(v, "__name__", "")
        registered = getattr(v, "_registered_name", None)
        if registered is not None:   # Keras 3's form of a registered function
            return _obj("builtins", "function", registered, "function")
        if name == "<lambda>":   # (a named function, local too, is stored by its name)
            raise ValueError(f"cannot save {key or 'a value'}={v!r}: a lambda is Python code, "
                             "which a .keras file does not hold safely; use a named "
                             "activation or a registered custom layer")
        if v in _losses_and_metrics_functions():   # keras.losses.poisson, keras.metrics.acc
            return _obj("builtins", "function", name, "function")
        return _act.serialize(v)
    if hasattr(v, "get_config"):
        return _obj("keras", type(v).__name__, _jsonable(v.get_config()))
    if hasattr(v, "as_list"):
        return _jsonable(v.as_list())
    try:
        return [_jsonable(x) for x in v]
    except TypeError:
        raise ValueError(f"cannot serialize config value {key}={v!r}") from None


def _init_params(cls):
    """Constructor parameter names along the MRO (until an __init__ without **kwargs)."""
    names = []
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        params = inspect.signature(init).parameters
        names += [p for p, v in params.items() if p != "self" and v.kind not in
                  (v.VAR_KEYWORD, v.VAR_POSITIONAL) and p not in names]
        if not any(v.kind == v.VAR_KEYWORD for v in params.values()):
            break
    return names


_BASE_SKIP = {"input_shape", "batch_input_shape", "input_dim", "batch_size", "dynamic", "dtype",
              "name", "trainable", "autocast"}


def _required_params(cls):
    """The parameters of `cls.__init__` without a default value."""
    params = inspect.signature(cls.__init__).parameters.values()
    return {p.name for p in params if p.default is p.empty
            and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)}


def layer_config(layer):
    """A layer's Keras 3 config: its constructor arguments read back from same-named attributes,
    overridden by its `get_config()`."""
    if isinstance(layer, _layers.Lambda):
        raise ValueError(f"cannot save Lambda layer {layer.name!r}: its function is Python code, "
                         "which Keras only stores as unsafe bytecode; write a registered custom "
                         "layer instead")
    cfg = {"name": layer.name, "trainable": layer.trainable,
           "dtype": _dtype_policy(layer.dtype_policy.name)}
    if isinstance(layer, InputLayer):
        return {"batch_shape": list(layer._batch_input_shape), "dtype": layer.dtype,
                "sparse": False, "name": layer.name}
    required = _required_params(type(layer))
    for p in _init_params(type(layer)):
        # a base argument a layer requires itself (Embedding's input_dim) is part of its config
        if (p in _BASE_SKIP and p not in required) or p.startswith("_"):
            continue
        if p in layer.__dict__ and not isinstance(layer.__dict__[p], (Variable, Tensor)):
            cfg[p] = layer.__dict__[p]
    own = layer.get_config()
    definer = next(k for k in type(layer).__mro__ if "get_config" in k.__dict__)
    if not definer.__module__.startswith("graphflow."):
        # a get_config written in user code is the config, as it is (Keras 3): one that
        # leaves out the base keys gets none added (its __init__ may not take them)
        if "dtype" in own:
            own["dtype"] = cfg["dtype"]
        return {k: _jsonable(v, k) for k, v in own.items()}
    own.pop("dtype", None)
    cfg.update(own)
    return {k: _jsonable(v, k) for k, v in cfg.items()}


def serialize_keras_object(obj):
    """The Keras 3 dict of a layer, model, optimizer, loss or metric."""
    if isinstance(obj, _models.Model):
        return _model_object(obj)
    if isinstance(obj, Layer):   # a registered custom layer has no Keras module (Keras 3)
        out = _obj(None if _registered(obj) else "keras.layers", type(obj).__name__,
                   layer_config(obj), _registered(obj))
        shape = obj._input_shape_value
        own = obj.get_build_config() if hasattr(obj, "get_build_config") else None
        if own:   # a layer built from several shapes (MultiHeadAttention: `shapes_dict`)
            out["build_config"] = _jsonable(own)
        elif obj.built and shape is not None and not isinstance(obj, InputLayer):
            out["build_config"] = {"input_shape": _jsonable(shape)}
        return out
    if isinstance(obj, _opt.Optimizer):
        return _obj("keras.optimizers", type(obj).__name__, _jsonable(obj.get_config()),
                    _registered(obj))
    if isinstance(obj, (str, type(None))):
        return obj
    if isinstance(obj, (_init.Initializer, _reg.Regularizer, _constraints.Constraint)) or \
            callable(obj) and \
            not isinstance(obj, (_metrics.Metric, _losses.Loss)):
        return _jsonable(obj)
    kind = "keras.metrics" if isinstance(obj, _metrics.Metric) else "keras.losses"
    return _obj(kind, type(obj).__name__, _jsonable(obj.get_config()), _registered(obj))


def _registered(obj):
    return type(obj).__dict__.get("_registered_name")


def _history_map(model):
    """id(KerasTensor) -> [layer name, node index, tensor index] for a functional model."""
    hist, counts = {}, {}
    for t in flatten_leaves(model._fn_inputs):
        hist[id(t)] = [t._input_layer.name, 0, 0]
    for node in model._fn_nodes:
        i = counts.get(id(node.layer), 0)
        counts[id(node.layer)] = i + 1
        for j, t in enumerate(flatten_leaves(node.outputs)):
            hist[id(t)] = [node.layer.name, i, j]
        node._index = i
    return hist


def flatten_leaves(x):
    return flatten(x)[0]


def _encode_args(x, hist):
    if isinstance(x, KerasTensor):
        return {"class_name": "__keras_tensor__",
                "config": {"shape": _jsonable(x.shape), "dtype": _dt.as_dtype(x.dtype).name,
                           "keras_history": hist[id(x)]}}
    if isinstance(x, (list, tuple)):
        return [_encode_args(v, hist) for v in x]
    if isinstance(x, dict):
        return {k: _encode_args(v, hist) for k, v in x.items()}
    return _jsonable(x)


def _model_object(model):
    base = {"name": model.name, "trainable": model.trainable,
            "dtype": _dtype_policy(model.dtype_policy.name)}
    if isinstance(model, _models.Sequential):
        layers = []
        if model._seq_input_shape is not None:
            dt = model._seq_input_dtype or _dt.float32
            layers.append(_obj("keras.layers", "InputLayer", {
                "batch_shape": _jsonable(model._seq_input_shape), "dtype": _dt.as_dtype(dt).name,
                "sparse": False, "name": "input_layer"}))
        layers += [serialize_keras_object(l) for l in model.layers]
        cfg = dict(base, layers=layers)
        shape = model._seq_input_shape
        if shape is None and model.built and model._input_shape_value is not None:
            shape = [None] + list(model._input_shape_value)[1:]   # built from the first data
        out = _obj("keras", "Sequential", cfg)
        if shape is not None:
            cfg["build_input_shape"] = _jsonable(shape)
            out["build_config"] = {"input_shape": cfg["build_input_shape"]}
    elif model._functional:
        hist = _history_map(model)
        nodes_of = {}
        for node in model._fn_nodes:
            kwargs = dict(node.kwargs)
            extra = kwargs.pop("_args", ())
            nodes_of.setdefault(id(node.layer), []).append(
                {"args": _encode_args([node.inputs, *extra], hist),
                 "kwargs": _encode_args(kwargs, hist)})
        layers = []
        for l in model.operations:
            d = serialize_keras_object(l)
            d["name"] = l.name
            d["inbound_nodes"] = nodes_of.get(id(l), [])
            layers.append(d)

        def ends(struct):
            leaves = [hist[id(t)] for t in flatten_leaves(struct)]
            return leaves[0] if isinstance(struct, KerasTensor) else leaves
        cfg = dict(base, layers=layers, input_layers=ends(model._fn_inputs),
                   output_layers=ends(model._fn_outputs))
        out = _obj("keras.src.models.functional", "Functional", cfg, "Functional")
        out["build_config"] = {"input_shape": None}   # (Keras 3 writes it so)
    else:   # a subclassed model: its registered class rebuilds it from get_config()
        reg = _registered(model)
        if reg is None:
            raise ValueError(f"cannot save subclassed model {type(model).__name__}: register it "
                             "with @keras.saving.register_keras_serializable() (and give it "
                             "get_config/from_config if its constructor takes arguments)")
        cfg = dict(base, **{k: v for k, v in model.get_config().items() if k not in base})
        out = _obj(type(model).__module__, type(model).__name__, _jsonable(cfg), reg)
        if model._input_shape_value is not None:
            out["build_config"] = {"input_shape": _jsonable(model._input_shape_value)}
    cc = model.get_compile_config() if model._is_compiled else None
    if cc is not None:   # Keras 3: whatever get_compile_config gives, serialized
        out["compile_config"] = {k: serialize_keras_object(v)
                                 if isinstance(v, _opt.Optimizer) else _jsonable(v)
                                 for k, v in cc.items()}
    return out


def default_compile_config(model):
    """`Model.get_compile_config()`'s default: the compile() arguments as Keras 3 saves
    them."""
    return {"optimizer": serialize_keras_object(model.optimizer),
            "loss": _jsonable_loss(model.loss),
            "metrics": _compiled_metrics_config(model.compiled_metrics),
            "loss_weights": _jsonable(model.compiled_loss._weights),
            "weighted_metrics": None, "run_eagerly": model._run_eagerly,
            "steps_per_execution": getattr(model, "steps_per_execution", 1),
            "jit_compile": model.jit_compile is not False}


def compile_from_default_config(model, cc):
    """`Model.compile_from_config()`'s default: compile with the saved arguments (custom
    objects from the enclosing custom_object_scope / registry)."""
    opt = _value(cc.get("optimizer"), None) \
        if isinstance(cc.get("optimizer"), dict) else cc.get("optimizer") or "rmsprop"
    model.compile(optimizer=opt, loss=_value(cc.get("loss"), None),
                  metrics=_value(cc.get("metrics"), None),
                  loss_weights=cc.get("loss_weights"), jit_compile=cc.get("jit_compile", None),
                  steps_per_execution=cc.get("steps_per_execution") or 1)


def _compiled_metrics_config(container):
    """compile(metrics=...) as given: a list, or a dict per output name (Keras 3)."""
    per_output = getattr(container, "_per_output", None)
    if per_output is not None:
        return {k: _jsonable_loss(v if isinstance(v, (list, tuple)) else [v])
                for k, v in per_output.items()}
    return [_jsonable_loss(m) for m in container._specs] or None


def _jsonable_loss(v):
    if v is None or isinstance(v, str):
        return v
    if isinstance(v, (list, tuple)):
        return [_jsonable_loss(x) for x in v]
    if isinstance(v, dict):
        return {k: _jsonable_loss(x) for k, x in v.items()}
    if inspect.isfunction(v):
        return _jsonable(v)
    return serialize_keras_object(v)


# ------------------------------------------------------------------ deserialization
_IGNORABLE = {"sparse", "ragged", "optional", "quantization_config", "lora_rank", "lora_alpha",
              "kernel_constraint", "bias_constraint", "use_ema", "ema_momentum",
              "ema_overwrite_frequency", "loss_scale_factor", "gradient_accumulation_steps",
              "input_axes", "output_axes", "synchronized", "beta_constraint", "gamma_constraint",
              "embeddings_constraint", "mask_zero", "depthwise_constraint",
              "pointwise_constraint", "renorm", "renorm_clipping", "renorm_momentum",
              "rms_scaling", "data_format", "reduction", "activity_regularizer"}


def _check_safe(cfg, safe_mode, where="config"):
    """Refuse serialized Python code anywhere in a config (Keras' safe_mode)."""
    if isinstance(cfg, dict):
        if cfg.get("class_name") in ("__lambda__", "__bytes__") or \
                (cfg.get("class_name") == "Lambda" and _has_code(cfg.get("config", {}))):
            raise UnsafeFileError(
                f"{where}: the file holds serialized Python code ({cfg.get('class_name')} "
                f"{cfg.get('config', {}).get('name', '')!r}). Loading it would run that code; "
                "graphflow never deserializes bytecode (safe_mode="
                f"{safe_mode}). Rebuild the layer as a registered custom layer.")
        for k, v in cfg.items():
            _check_safe(v, safe_mode, where)
    elif isinstance(cfg, list):
        for v in cfg:
            _check_safe(v, safe_mode, where)


def _has_code(cfg):
    fn = cfg.get("function") if isinstance(cfg, dict) else None
    return fn is not None


def _value(v, custom_objects):
    """Turn nested Keras object dicts back into graphflow objects."""
    if isinstance(v, dict) and "class_name" in v and "config" in v:
        if v["class_name"] == "DTypePolicy":
            return v["config"]["name"]
        if v["class_name"] == "function" and isinstance(v["config"], str):
            return _function(v["config"], custom_objects)
        cls = _lookup(v, custom_objects)
        return _construct(cls, v["config"], custom_objects)
    if isinstance(v, list):
        return [_value(x, custom_objects) for x in v]
    if isinstance(v, dict):   # per-output losses / metrics: {output name: object}
        return {k: _value(x, custom_objects) for k, x in v.items()}
    return v


def _losses_and_metrics_functions():
    """The per-example loss and metric functions Keras saves by name."""
    return set(_losses.LOSS_FUNCTIONS) | set(_metrics.METRIC_FUNCTIONS)


def _function(name, custom_objects):
    """A function saved by name (`"package>name"` when registered): from `custom_objects`,
    a custom_object_scope, the registry, or the built-in activations."""
    short = name.split(">")[-1]
    for objs in [custom_objects or {}] + _SCOPES[::-1] + [_REGISTERED]:
        for key in (name, short):
            if key in objs:
                return objs[key]
    fn = {f.__name__: f for f in _losses_and_metrics_functions()}.get(short)
    if fn is not None:
        return fn
    try:
        return _act.get(short)
    except ValueError:
        raise ValueError(f"Could not locate function {name!r}: pass it in `custom_objects=` or "
                         "register it with `keras.saving.register_keras_serializable`") from None


def _construct(cls, config, custom_objects):
    if isinstance(cls, type) and issubclass(cls, _models.Model) and "layers" in config:
        return _model_from_config(cls, config, custom_objects)
    accepted = _init_params(cls)
    # base layer arguments (name, trainable, dtype, ...) reach Layer.__init__ only through a
    # chain of **kwargs; a custom layer whose __init__ takes just its own arguments (the guides'
    # CustomDense(units)) gets only those
    has_var_kw = issubclass(cls, Layer) and "name" in accepted
    kwargs, raw = {}, {}   # raw: the config's own values, for a class's own from_config
    for k, v in config.items():
        raw_v, v = v, _value(v, custom_objects)
        if k == "dtype" and isinstance(v, dict):
            v = v.get("config", {}).get("name")
        if k in accepted or (has_var_kw and k in _BASE_SKIP | {"batch_shape"}):
            kwargs[k], raw[k] = v, raw_v
        elif k in _IGNORABLE or v is None or v is False or (k in _BASE_SKIP and not has_var_kw):
            continue
        else:
            raise ValueError(f"{cls.__name__}: the file sets {k}={v!r}, which graphflow's "
                             f"{cls.__name__} does not support (it accepts {sorted(accepted)})")
    if isinstance(cls, type) and issubclass(cls, Layer):
        if issubclass(cls, InputLayer):
            kwargs.pop("trainable", None)
        kwargs = {k: (tuple(v) if isinstance(v, list) and k.endswith(("shape", "size",
                                                                          "strides", "rate"))
                      else v) for k, v in kwargs.items()}
        from_config = getattr(cls, "from_config", None)
        if from_config is not None and from_config.__func__ is not Layer.from_config.__func__:
            # Keras 3 hands a class's own from_config the config as saved: nested layers stay
            # config dicts, which it deserializes itself (keras.layers.deserialize)
            raw = {k: kwargs[k] if not isinstance(raw[k], dict) or "class_name" not in raw[k]
                   or raw[k].get("class_name") in ("DTypePolicy", "function") else raw[k]
                   for k in kwargs}
            with custom_object_scope(custom_objects):
                return from_config(raw)
    return cls(**kwargs)


def _model_from_config(cls, config, custom_objects):
    layer_cfgs = config["layers"]
    if cls is _models.Sequential or issubclass(cls, _models.Sequential):
        model = cls(name=config.get("name"))
        for lc in layer_cfgs:
            model.add(_built(_value(lc, custom_objects), lc, from_shape=False))
        if not model.built and config.get("build_input_shape"):
            model.build(tuple(config["build_input_shape"]))
        return model
    # functional: rebuild the layer graph node by node from inbound_nodes
    layers = {lc["config"]["name"] if "name" not in lc else lc["name"]:
              _value({k: v for k, v in lc.items() if k not in ("inbound_nodes",)},
                     custom_objects) for lc in layer_cfgs}
    outputs = {}
    for name, layer in layers.items():
        if isinstance(layer, InputLayer):
            outputs[(name, 0)] = [layer.output]
    pending = [(lc["name"] if "name" in lc else lc["config"]["name"], i, node)
               for lc in layer_cfgs for i, node in enumerate(lc.get("inbound_nodes", []))]

    def decode(x):
        if isinstance(x, dict) and x.get("class_name") == "__keras_tensor__":
            lname, ni, ti = x["config"]["keras_history"]
            return outputs[(lname, ni)][ti]
        if isinstance(x, list):
            return [decode(v) for v in x]
        if isinstance(x, dict):
            return {k: decode(v) for k, v in x.items()}
        return x

    def ready(x):
        if isinstance(x, dict) and x.get("class_name") == "__keras_tensor__":
            lname, ni, _ = x["config"]["keras_history"]
            return (lname, ni) in outputs
        if isinstance(x, list):
            return all(ready(v) for v in x)
        if isinstance(x, dict):
            return all(ready(v) for v in x.values())
        return True
    while pending:
        progressed = False
        for item in list(pending):
            name, i, node = item
            if not (ready(node.get("args", [])) and ready(node.get("kwargs", {}))):
                continue
            args, kwargs = decode(node.get("args", [])), decode(node.get("kwargs", {}))
            out = layers[name](*args, **kwargs)
            outputs[(name, i)] = flatten_leaves(out)
            pending.remove(item)
            progressed = True
        if not progressed:
            raise ValueError(f"functional config: layers {[p[0] for p in pending]} have inputs "
                             "that no layer produces")

    def ends(spec):
        if spec and isinstance(spec[0], str):
            return outputs[(spec[0], spec[1])][spec[2]]
        return [ends(s) for s in spec]
    return _models.Model(ends(config["input_layers"]), ends(config["output_layers"]),
                         name=config.get("name"))


def model_from_config(cls, config, custom_objects=None):
    """`Model.from_config` / `Sequential.from_config` (Keras 3): a functional or Sequential
    config (it lists `layers`) rebuilds the layer graph, looking custom classes up in
    `custom_objects`, then the registry; any other config is `cls(**config)` (a subclassed
    model's own get_config)."""
    seq = isinstance(cls, type) and issubclass(cls, _models.Sequential)
    functional = "layers" in config and "input_layers" in config and (
        cls is _models.Model or cls.__init__ is _models.Model.__init__)
    if (seq and "layers" in config) or functional:
        return _model_from_config(cls, config, custom_objects)
    try:
        return cls(**config)
    except TypeError as e:
        raise TypeError(f"{cls.__name__}.from_config: {e}. A subclassed model whose __init__ "
                        "does not take its get_config() entries needs its own from_config") from None


def deserialize_keras_object(config, custom_objects=None, safe_mode=True):
    """Build a graphflow object (layer, model, optimizer, ...) from a Keras 3 config dict.
    Plain values come back as they are (a string naming a custom object: that object), lists
    element by element, as Keras 3."""
    if config is None or isinstance(config, (bool, int, float, str)):
        found = (custom_objects or {}).get(config) if isinstance(config, str) else None
        return config if found is None else found
    if isinstance(config, (list, tuple)):
        return [deserialize_keras_object(c, custom_objects, safe_mode) for c in config]
    _check_safe(config, safe_mode)
    if config.get("class_name") == "function" and isinstance(config.get("config"), str):
        return _function(config["config"], custom_objects)
    cls = _lookup(config, custom_objects)
    return _built(_construct(cls, config.get("config", {}), custom_objects), config)


def _built(obj, config, from_shape=True):
    """`obj` built from its saved `build_config` (its own build_from_config if it has one),
    as Keras 3 does after constructing a layer; `from_shape=False` leaves layers without
    build_from_config to be built by their model."""
    bc = config.get("build_config")
    if isinstance(obj, Layer) and not obj.built and bc and hasattr(obj, "build_from_config"):
        obj.build_from_config(bc)
    elif isinstance(obj, Layer) and not obj.built and bc and bc.get("input_shape") is not None \
            and from_shape:
        shape = bc["input_shape"]
        if isinstance(obj, _models.Model):
            obj.build(tuple(shape))
        else:
            obj.compute_output_shape(tuple(shape))
    return obj


# ------------------------------------------------------------------ weights (HDF5)
def _own_vars(layer):
    vs = layer._own_variables()
    return [v for v in vs if v.trainable] + [v for v in vs if not v.trainable]


_BASE_ATTRS = {}


def _skipped_attrs(layer):
    """The attributes Keras 3's walk skips: those of a bare Layer (and a functional model's
    `operations`); a subclassed model's own (`layers`, user attributes) are walked."""
    if not _BASE_ATTRS:
        _BASE_ATTRS["layer"] = frozenset(dir(Layer(name="_gf_saving_base")))
    skip = _BASE_ATTRS["layer"]
    if layer.__dict__.get("_functional") or isinstance(layer, _models.Sequential):
        skip = skip | {"operations", "_operations", "layers"}
    return skip


def _child_layers(layer):
    """(attribute, Layer or list of Layers) in Keras 3's `_walk_saveable` order: a
    Sequential's / functional model's `layers` first, then every other attribute by name,
    private ones last; the first path that reaches a layer is its path."""
    subs = []
    if layer.__dict__.get("_functional") or isinstance(layer, _models.Sequential):
        subs.append(("layers", layer.layers))
    skip = _skipped_attrs(layer)
    names = sorted((n for n in set(dir(type(layer))) | set(vars(layer))
                    if not n.startswith("__") and n not in skip),
                   key=lambda n: "~" + n if n.startswith("_") else n)
    for n in names:
        v = layer.__dict__[n] if n in layer.__dict__ else \
            getattr(type(layer), n, None)
        if isinstance(v, property):
            try:
                v = getattr(layer, n)
            except Exception:   # noqa: BLE001 -- as Keras: an attribute that fails is skipped
                continue
        if isinstance(v, dict):
            v = list(v.values())
        if isinstance(v, Layer) or (isinstance(v, (list, tuple)) and v and
                                    any(isinstance(x, Layer) for x in v)):
            subs.append((n, v))
    return subs


def _walk(layer, path, out, seen, layers=None):
    """Keras 3's `_save_state` walk: path -> list of Variables (own variables at path/vars);
    `layers` (if given) gets path -> layer (the path its assets are stored under)."""
    if id(layer) in seen:
        return
    seen.add(id(layer))
    out[path + "vars"] = (layer.name, _own_vars(layer))
    if layers is not None:
        layers[path.rstrip("/")] = layer
    for attr, child in _child_layers(layer):
        if isinstance(child, Layer):
            _walk(child, f"{path}{attr}/", out, seen, layers)
            continue
        used = {}
        for c in child:
            if not isinstance(c, Layer):
                continue
            name = _snake_case(type(c).__name__)   # (counted for visited layers too, as Keras)
            if name in used:
                used[name] += 1
                name = f"{name}_{used[name]}"
            else:
                used[name] = 0
            _walk(c, f"{path}{attr}/{name}/", out, seen, layers)


def _asset_layers(model, method):
    """(path, layer) of the layers (the model too) that define `method` ('save_assets' /
    'load_assets'), by Keras 3's walk: their files live under `assets/<path>/` in the file."""
    layers = {}
    _walk(model, "", {}, set(), layers)
    return [(p, l) for p, l in layers.items() if callable(getattr(l, method, None))]


def _save_assets(model, z):
    """Keras 3's `save_assets(dir_path)` of each layer that has it, into `assets/<path>/`."""
    import tempfile
    for path, layer in _asset_layers(model, "save_assets"):
        with tempfile.TemporaryDirectory() as d:
            layer.save_assets(d)
            for root, _, files in os.walk(d):
                for f in sorted(files):
                    rel = os.path.relpath(os.path.join(root, f), d).replace(os.sep, "/")
                    z.write(os.path.join(root, f), "/".join(
                        p for p in ("assets", path, rel) if p))


def _load_assets(model, z):
    """Each layer's `load_assets(dir_path)`, given a directory holding its `assets/<path>/`
    files (the archive's member names were checked by _open_zip)."""
    import tempfile
    if not any(n.startswith("assets/") for n in z.namelist()):
        return   # a file without assets: no load_assets call (Keras 3)
    for path, layer in _asset_layers(model, "load_assets"):
        prefix = "/".join(p for p in ("assets", path) if p) + "/"
        with tempfile.TemporaryDirectory() as d:
            for n in z.namelist():
                rest = n[len(prefix):]
                if n.startswith(prefix) and rest and not n.endswith("/"):
                    target = os.path.join(d, *rest.split("/"))
                    os.makedirs(os.path.dirname(target), exist_ok=True)
                    with open(target, "wb") as fh:
                        fh.write(z.read(n))
            layer.load_assets(d)


def _model_vars(model):
    out = {}
    _walk(model, "", out, set())
    if isinstance(model, _models.Sequential) and model._seq_input_shape is None:
        pass
    if model.optimizer is not None and getattr(model.optimizer, "built", False):
        out["optimizer/vars"] = (model.optimizer.name, list(model.optimizer.variables))
    return out


def _write_h5(model, f):
    h5 = _h5py()
    with h5.File(f, "w") as h:
        for path, (name, vs) in _model_vars(model).items():
            g = h.require_group(path)
            g.attrs["name"] = name
            for i, v in enumerate(vs):
                g.create_dataset(str(i), data=np.asarray(v.numpy()))


def _read_h5(model, f, where):
    h5 = _h5py()
    try:
        h = h5.File(f, "r")
    except Exception as e:   # noqa: BLE001 -- any failure to open means a bad file
        raise ValueError(f"{where}: not a readable HDF5 weights file ({type(e).__name__}: "
                         f"{e})") from None
    with h:
        targets = _model_vars(model)
        if model.optimizer is not None and "optimizer/vars" in h and \
                "optimizer/vars" not in targets:
            model.optimizer.build(model.trainable_variables)
            targets["optimizer/vars"] = (model.optimizer.name, list(model.optimizer.variables))
        for path, (name, vs) in targets.items():
            if not vs:
                continue
            if path not in h:
                raise ValueError(f"{where}: no weights for layer {name!r} (expected group "
                                 f"{path!r}; the file has {_groups(h)})")
            g = h[path]
            if len(g) != len(vs):
                raise ValueError(f"{where}: layer {name!r} expects {len(vs)} variables, the file "
                                 f"has {len(g)} in {path!r}")
            for i, v in enumerate(vs):
                try:
                    value = np.asarray(g[str(i)][()])
                except Exception as e:   # noqa: BLE001
                    raise ValueError(f"{where}: cannot read {path}/{i}: {e}") from None
                if value.shape != tuple(v.shape):
                    raise ValueError(f"{where}: {path}/{i} ({v.name}) has shape {value.shape} in "
                                     f"the file, the model's variable has {tuple(v.shape)}")
                v.assign(value.astype(v.dtype.np))


def _groups(h):
    out = []
    h.visit(lambda n: out.append(n) if n.endswith("vars") else None)
    return out


def save_weights(model, filepath, overwrite=True):
    """Write the model's (and its built optimizer's) variables in Keras 3's `.weights.h5`
    layout."""
    if not str(filepath).endswith(".weights.h5"):
        raise ValueError(f"save_weights: the filename must end in `.weights.h5` (Keras 3), got "
                         f"{filepath!r}")
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(filepath)
    _write_h5(model, filepath)


def load_weights(model, filepath):
    """Read a Keras 3 `.weights.h5` file (or the weights of a `.keras` file) into `model`."""
    if str(filepath).endswith(".keras"):
        with _open_zip(filepath) as z:
            return _read_h5(model, io.BytesIO(_member(z, _WEIGHTS, filepath)), filepath)
    if not os.path.exists(filepath):
        raise FileNotFoundError(filepath)
    _read_h5(model, filepath, filepath)


# ------------------------------------------------------------------ legacy .h5 files
_LEGACY_WARNING = (
    "You are saving your model as an HDF5 file via `model.save()` or "
    "`keras.saving.save_model(model)`. This file format is considered legacy. We recommend "
    "using instead the native Keras format, e.g. `model.save('my_model.keras')` or "
    "`keras.saving.save_model(model, 'my_model.keras')`. ")


def _is_legacy_h5(filepath):
    return str(filepath).endswith((".h5", ".hdf5")) and \
        not str(filepath).endswith(".weights.h5")


def _layer_weights(layer):
    """A layer's variables in the legacy file's order: trainable, then non-trainable."""
    return list(layer.trainable_weights) + list(layer.non_trainable_weights)


def _save_legacy_h5(model, filepath):
    """Keras' legacy whole-model HDF5 file (as Keras 3's `legacy_h5_format`): the model config
    and the compile config as JSON attributes, each layer's weights in a group `model_weights/
    <layer>` whose `weight_names` lists the variables' paths. (No optimizer state.)"""
    import warnings
    h5 = _h5py()
    warnings.warn(_LEGACY_WARNING, stacklevel=3)
    cfg = serialize_keras_object(model)
    with h5.File(filepath, "w") as f:
        f.attrs["backend"] = "tensorflow"
        f.attrs["keras_version"] = KERAS_VERSION
        f.attrs["model_config"] = json.dumps({"class_name": cfg["class_name"],
                                              "config": cfg["config"]})
        if cfg.get("compile_config"):
            f.attrs["training_config"] = json.dumps(cfg["compile_config"])
        g = f.create_group("model_weights")
        g.attrs["backend"] = "tensorflow"
        g.attrs["keras_version"] = KERAS_VERSION
        g.attrs["layer_names"] = [ly.name.encode("utf8") for ly in model.layers]
        for ly in model.layers:
            lg = g.create_group(ly.name)
            vs = _layer_weights(ly)
            names = [str(getattr(v, "path", None) or f"{ly.name}/{v.name}") for v in vs]
            lg.attrs["weight_names"] = [n.encode("utf8") for n in names]
            for n, v in zip(names, vs):
                lg.create_dataset(n, data=np.asarray(v.numpy()))


def _load_legacy_h5(filepath, custom_objects, compile, safe_mode):
    h5 = _h5py()
    if not os.path.exists(filepath):
        raise FileNotFoundError(f"File not found: filepath={filepath}")
    try:
        f = h5.File(filepath, "r")
    except OSError as e:
        raise ValueError(f"{filepath}: not a readable HDF5 file ({e})") from None
    with f:
        if "model_config" not in f.attrs:
            raise ValueError(f"{filepath}: no model found in this HDF5 file (no 'model_config' "
                             "attribute: a weights-only file? use model.load_weights)")
        config = json.loads(f.attrs["model_config"])
        _check_safe(config, safe_mode, filepath)
        model = deserialize_keras_object(config, custom_objects, safe_mode)
        g = f["model_weights"] if "model_weights" in f else f
        for raw in g.attrs.get("layer_names", []):
            name = raw.decode("utf8") if isinstance(raw, bytes) else str(raw)
            lg = g[name]
            names = [n.decode("utf8") if isinstance(n, bytes) else str(n)
                     for n in lg.attrs.get("weight_names", [])]
            if not names:
                continue
            vs = _layer_weights(model.get_layer(name))
            if len(vs) != len(names):
                raise ValueError(f"{filepath}: layer {name!r} expects {len(vs)} weights, the file "
                                 f"has {len(names)}")
            for v, n in zip(vs, names):
                value = np.asarray(lg[n])
                if tuple(value.shape) != tuple(v.shape):
                    raise ValueError(f"{filepath}: {n} has shape {value.shape} in the file but "
                                     f"the layer's variable has shape {tuple(v.shape)}")
                v.assign(value)
        cc = f.attrs.get("training_config")
    if compile and cc:
        cc = json.loads(cc)
        with custom_object_scope(custom_objects or {}):
            if "optimizer_config" in cc:   # Keras' own legacy training config
                model.compile(optimizer=deserialize_keras_object(cc["optimizer_config"],
                                                                 custom_objects),
                              loss=cc.get("loss"), metrics=cc.get("metrics"),
                              loss_weights=cc.get("loss_weights"),
                              weighted_metrics=cc.get("weighted_metrics"))
            else:
                model.compile_from_config(cc)
    return model


# ------------------------------------------------------------------ .keras files
def save_model(model, filepath, overwrite=True):
    """Write a Keras 3 `.keras` file (config.json, metadata.json, model.weights.h5), or Keras'
    legacy HDF5 file for a name ending in `.h5` / `.hdf5` (with Keras' warning)."""
    filepath = os.fspath(filepath)
    if _is_legacy_h5(filepath):
        if not overwrite and os.path.exists(filepath):
            raise FileExistsError(filepath)
        return _save_legacy_h5(model, filepath)
    if not filepath.endswith(".keras"):
        raise ValueError("Invalid filepath extension for saving. Please add either a `.keras` "
                         "extension for the native Keras format (recommended) or a `.h5` "
                         "extension. Use `model.export(filepath)` if you want to export a "
                         "SavedModel for use with TFLite/TFServing/etc. "
                         f"Received: filepath={filepath}.")   # (Keras 3.15's words)
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(filepath)
    config = serialize_keras_object(model)
    meta = {"keras_version": KERAS_VERSION,
            "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S"),
            "producer": "graphflow"}
    buf = io.BytesIO()
    _write_h5(model, buf)
    with zipfile.ZipFile(filepath, "w") as z:
        z.writestr(_METADATA, json.dumps(meta))
        z.writestr(_CONFIG, json.dumps(config))
        z.writestr(_WEIGHTS, buf.getvalue())
        _save_assets(model, z)


def _open_zip(filepath):
    if not zipfile.is_zipfile(filepath):
        raise UnsafeFileError(f"{filepath}: not a Keras 3 `.keras` file (a zip archive). "
                              "graphflow does not load pickled or other executable formats.")
    z = zipfile.ZipFile(filepath)
    for n in z.namelist():
        parts = n.replace("\\", "/").split("/")
        if n.startswith(("/", "\\")) or ".." in parts or re.match(r"^[A-Za-z]:", n):
            z.close()
            raise UnsafeFileError(f"{filepath}: zip member {n!r} points outside the archive; "
                                  "refusing to read this file")
    return z


def _member(z, name, filepath):
    try:
        return z.read(name)
    except KeyError:
        raise ValueError(f"{filepath}: the .keras file has no {name} (members: "
                         f"{z.namelist()})") from None
    except (zipfile.BadZipFile, OSError) as e:
        raise ValueError(f"{filepath}: corrupt member {name}: {e}") from None


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Load a `.keras` file written by Keras 3 or by graphflow. Nothing in the file is run:
    classes come from graphflow, `custom_objects` or the registry, and serialized lambdas are
    refused."""
    filepath = os.fspath(filepath)
    if _is_legacy_h5(filepath):
        return _load_legacy_h5(filepath, custom_objects, compile, safe_mode)
    with _open_zip(filepath) as z:
        try:
            config = json.loads(_member(z, _CONFIG, filepath))
        except json.JSONDecodeError as e:
            raise ValueError(f"{filepath}: config.json is not valid JSON ({e})") from None
        weights = _member(z, _WEIGHTS, filepath)
        _check_safe(config, safe_mode, filepath)
        model = deserialize_keras_object(
            {k: v for k, v in config.items() if k != "compile_config"}, custom_objects,
            safe_mode)
        cc = config.get("compile_config")
        if compile and cc:
            with custom_object_scope(custom_objects or {}):
                model.compile_from_config(cc)
        _read_h5(model, io.BytesIO(weights), filepath)
        _load_assets(model, z)   # after the variables, as Keras 3
    return model
