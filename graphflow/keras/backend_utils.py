"""Keras 3's dtype helpers of `keras.backend` (`standardize_dtype`, `result_type`,
`is_float_dtype`, `is_int_dtype`) and the small `keras.utils` helpers (`Config`, `get_uid`,
`is_keras_tensor`, `get_source_inputs`, `pack_x_y_sample_weight`/`unpack_x_y_sample_weight`,
`save_img`, `model_to_dot`).

`result_type` follows Keras' type-promotion lattice (JAX's, with Python `int`/`float` as weak
types) and the TensorFlow backend's 64-bit rule (int64 and float64 are kept; graphflow is
TF-shaped): the numbers match Keras 3 on its TensorFlow backend.

>>> from graphflow.keras import backend
>>> backend.result_type("int8", "uint8"), backend.result_type("float16", int)
('int16', 'float16')
"""
import collections
import copy
import difflib
import json
import pathlib
import warnings

from .. import dtypes as _dt
from ..nest import flatten
from . import config as _config
from .image_utils import array_to_img
from .layers import KerasTensor
from .models import pack_x_y_sample_weight as _pack, unpack_x_y_sample_weight as _unpack

ALLOWED_DTYPES = ("float16", "float32", "float64", "uint8", "uint16", "uint32", "uint64", "int8",
                  "int16", "int32", "int64", "bfloat16", "bool", "string", "float8_e4m3fn",
                  "float8_e5m2", "complex64", "complex128")
# the TensorFlow backend's mapping of Python types (int -> int64 there, as tf.constant(1, int64))
_PYTHON = {bool: "bool", int: "int64", float: "float32", str: "string", "int": "int64",
           complex: "complex128"}


def standardize_dtype(dtype):
    """A dtype's Keras name: None gives `floatx()`, Python types map to Keras' names, numpy
    and graphflow dtypes to their names; anything else raises ValueError.

    >>> standardize_dtype(None), standardize_dtype(float), standardize_dtype("int")
    ('float32', 'float32', 'int64')
    """
    if dtype is None:
        return _config.floatx()
    try:
        dtype = _PYTHON.get(dtype, dtype)
    except TypeError:     # unhashable
        pass
    if hasattr(dtype, "name"):
        dtype = dtype.name
    elif hasattr(dtype, "__name__"):
        dtype = dtype.__name__
    if dtype not in ALLOWED_DTYPES:
        raise ValueError(f"Invalid dtype: {dtype}")
    return dtype


def is_float_dtype(dtype):
    """True for float16/32/64 and bfloat16 (after `standardize_dtype`).

    >>> is_float_dtype("bfloat16"), is_float_dtype(int)
    (True, False)
    """
    dtype = standardize_dtype(dtype)
    return dtype.startswith("float") or dtype.startswith("bfloat")


def is_int_dtype(dtype):
    """True for the signed and unsigned integer dtypes (not bool).

    >>> is_int_dtype("uint8"), is_int_dtype("bool")
    (True, False)
    """
    dtype = standardize_dtype(dtype)
    return dtype.startswith("int") or dtype.startswith("uint")


# Keras' promotion lattice: each type and the types immediately above it ("int" and "float"
# are the weak types of Python scalars)
_LATTICE = {
    "bool": ["int"], "uint8": ["int16", "uint16"], "uint16": ["int32", "uint32"],
    "uint32": ["int64", "uint64"], "uint64": ["float"], "int": ["uint8", "int8", "complex64"],
    "int8": ["int16"], "int16": ["int32"], "int32": ["int64"], "int64": ["float"],
    "float": ["bfloat16", "float16"], "bfloat16": ["float32"], "float16": ["float32"],
    "float32": ["float64", "complex64"], "float64": ["complex128"],
    "complex64": ["complex128"], "complex128": []}


def _upper_bounds():
    ub = {n: {n} for n in _LATTICE}
    changed = True
    while changed:
        changed = False
        for n in _LATTICE:
            more = set().union(*(_LATTICE[b] for b in ub[n])) - ub[n]
            if more:
                ub[n] |= more
                changed = True
    return ub


_UB = _upper_bounds()
_TF_64_TO_32 = {"uint64": "uint32", "complex128": "complex64"}


def _least_upper_bound(nodes):
    for n in nodes:
        if n not in _UB:
            raise ValueError(f"dtype={n!r} is not a valid dtype for Keras type promotion.")
    common = set.intersection(*(_UB[n] for n in nodes))
    lub = (common & nodes) or {c for c in common if common <= _UB[c]}
    if len(lub) != 1:
        raise ValueError(f"Input dtypes {tuple(sorted(nodes))} have no available implicit dtype "
                         "promotion path. Try explicitly casting inputs to the desired output "
                         "type.")
    return lub.pop()


def _weak(dtype):
    if dtype == "bool":
        return dtype
    for kind in ("float", "int", "complex"):
        if kind in dtype:
            return kind
    raise ValueError(f"Invalid value for argument `dtype`: {dtype}")


def result_type(*dtypes):
    """The dtype Keras 3 gives an operation on values of these dtypes (its promotion lattice;
    Python `int` / `float` are weak: they take the other operand's kind and width; no
    arguments give `floatx()`).

    >>> result_type("int32", "float32"), result_type("bool", int), result_type()
    ('float32', 'int32', 'float32')
    """
    if not dtypes:
        return _config.floatx()
    if any(d in ("float8_e4m3fn", "float8_e5m2") for d in dtypes):
        raise ValueError("There is no implicit conversions from float8 dtypes to others. You "
                         f"must cast it internally. Received: {dtypes}")
    weak = [d is int or d is float for d in dtypes]
    names = [standardize_dtype(_config.floatx() if d is None else d) for d in dtypes]
    if len(names) == 1:
        out, out_weak = names[0], weak[0]
    elif len(set(names)) == 1 and not all(weak):
        out, out_weak = names[0], False
    elif all(weak):
        out, out_weak = _least_upper_bound(set(names)), True
    else:
        out = _least_upper_bound({_weak(n) if w else n for n, w in zip(names, weak)})
        out_weak = out in ("int", "float")
    if out != "bool" and out_weak:     # a weak result takes floatx's width
        bits = _config.floatx()[-2:]
        out = f"int{bits}" if out[0] == "i" else f"uint{bits}" if out[0] == "u" else \
            f"float{bits}"
    return _TF_64_TO_32.get(out, out)


# ------------------------------------------------------------------------------ keras.utils
_UIDS = collections.defaultdict(int)


def get_uid(prefix=""):
    """1, 2, 3, ... for successive calls with the same prefix (Keras' name counter).

    >>> get_uid("doc_example"), get_uid("doc_example")
    (1, 2)
    """
    _UIDS[prefix] += 1
    return _UIDS[prefix]


def is_keras_tensor(x):
    """True for a symbolic Keras tensor (from `keras.Input` or a layer called on one).

    >>> import graphflow as tf
    >>> is_keras_tensor(tf.keras.Input((2,))), is_keras_tensor(tf.constant(1.0))
    (True, False)
    """
    return isinstance(x, KerasTensor)


def get_source_inputs(tensor):
    """The `keras.Input` tensors a Keras tensor was computed from, in first-reached order
    (a tensor with no layer history is its own source).

    >>> import graphflow as tf
    >>> a, b = tf.keras.Input((2,), name="a"), tf.keras.Input((2,), name="b")
    >>> y = tf.keras.layers.Add()([a, tf.keras.layers.Dense(2)(b)])
    >>> [t is a or t is b for t in get_source_inputs(y)], get_source_inputs(y)[0] is a
    ([True, True], True)
    """
    out, seen, stack = [], set(), [tensor]
    while stack:
        t = stack.pop()
        if id(t) in seen:
            continue
        seen.add(id(t))
        node = getattr(t, "_node", None)
        if node is None:
            out.append(t)
            continue
        parents = [p for p in flatten((node.inputs, node.kwargs))[0] if isinstance(p, KerasTensor)]
        stack.extend(reversed(parents))
    return out


def unpack_x_y_sample_weight(data):
    """(x, y, sample_weight) from `x`, `(x,)`, `(x, y)` or `(x, y, sample_weight)` (a list
    counts as a tuple), Nones for what is missing - for custom `train_step`s.

    >>> unpack_x_y_sample_weight((1, 2)), unpack_x_y_sample_weight([1, 2, 3])
    ((1, 2, None), (1, 2, 3))
    """
    data = tuple(data) if isinstance(data, list) else data
    if isinstance(data, tuple) and len(data) > 3:
        raise ValueError("Data is expected to be in format `x`, `(x,)`, `(x, y)`, or "
                         f"`(x, y, sample_weight)`, found: {data}")
    return tuple(_unpack(data))


def pack_x_y_sample_weight(x, y=None, sample_weight=None):
    """The tuple `Model.fit` uses: `x` (a tuple/list `x` as `(x,)`), `(x, y)` or
    `(x, y, sample_weight)`.

    >>> pack_x_y_sample_weight(1), pack_x_y_sample_weight([1, 2]), pack_x_y_sample_weight(1, 2)
    (1, ([1, 2],), (1, 2))
    """
    return _pack(x, y, sample_weight)


def save_img(path, x, data_format=None, file_format=None, scale=True, **kwargs):
    """Save an image array (height, width, channels) to `path` (a file name or a file object,
    then pass `file_format`), rescaled to [0, 255] when `scale` (Keras 3; needs Pillow).

    >>> import numpy as np, os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "x.png")
    >>> save_img(path, np.zeros((2, 3, 3), "float32")); os.path.getsize(path) > 0
    True
    """
    data_format = data_format or _config.image_data_format()
    if file_format is None and isinstance(path, (str, pathlib.Path)):
        file_format = pathlib.Path(path).suffix[1:].lower()
    if file_format and file_format.lower() == "jpg":
        file_format = "jpeg"
    img = array_to_img(x, data_format=data_format, scale=scale)
    if img.mode == "RGBA" and file_format == "jpeg":
        warnings.warn("The JPEG format does not support RGBA images, converting to RGB.")
        img = img.convert("RGB")
    img.save(path, format=file_format, **kwargs)


class Config:
    """A dict with attribute access that can be frozen (Keras 3's `keras.utils.Config`).

    >>> c = Config(learning_rate=0.1)
    >>> c.seed = 3; c["momentum"] = 0.9
    >>> c.learning_rate, sorted(c), c.to_json()
    (0.1, ['learning_rate', 'momentum', 'seed'], '{"learning_rate": 0.1, "seed": 3, "momentum": 0.9}')
    >>> c.freeze(); c.seed = 4
    Traceback (most recent call last):
    ...
    ValueError: Cannot mutate attribute(s) because the config is frozen.
    """
    __attrs__ = None

    def __init__(self, **kwargs):
        self._config = kwargs
        self._frozen = False
        self.__attrs__ = set(dir(self))

    @property
    def frozen(self):
        return self._frozen

    def freeze(self):
        self._frozen = True

    def unfreeze(self):
        self._frozen = False

    def _raise_if_frozen(self):
        if self._frozen:
            raise ValueError("Cannot mutate attribute(s) because the config is frozen.")

    def as_dict(self):
        return copy.copy(self._config)

    def to_json(self):
        return json.dumps(self._config)

    def keys(self):
        return self._config.keys()

    def values(self):
        return self._config.values()

    def items(self):
        return self._config.items()

    def pop(self, *args):
        self._raise_if_frozen()
        return self._config.pop(*args)

    def update(self, *args, **kwargs):
        self._raise_if_frozen()
        return self._config.update(*args, **kwargs)

    def get(self, keyname, value=None):
        return self._config.get(keyname, value)

    def __setattr__(self, name, value):
        attrs = object.__getattribute__(self, "__attrs__")
        if attrs is None or name in attrs:
            return object.__setattr__(self, name, value)
        self._raise_if_frozen()
        self._config[name] = value

    def __getattr__(self, name):
        attrs = object.__getattribute__(self, "__attrs__")
        if attrs is None or name in attrs:
            return object.__getattribute__(self, name)
        if name in self._config:
            return self._config[name]
        msg = f"Unknown attribute: '{name}'."
        close = difflib.get_close_matches(name, self._config.keys(), n=1, cutoff=0.7)
        if close:
            msg += f" Did you mean '{close[0]}'?"
        raise AttributeError(msg)

    def __setitem__(self, key, item):
        self._raise_if_frozen()
        self._config[key] = item

    def __getitem__(self, key):
        return self._config[key]

    def __delitem__(self, key):
        self._raise_if_frozen()
        del self._config[key]

    def __contains__(self, item):
        return item in self._config

    def __iter__(self):
        return iter(sorted(self._config))

    def __len__(self):
        return len(self._config)

    def __repr__(self):
        return f"<Config {self._config}>"


def model_to_dot(model, show_shapes=False, show_dtype=False, show_layer_names=True,
                 rankdir="TB", expand_nested=False, dpi=200, subgraph=False,
                 show_layer_activations=False, show_trainable=False, **kwargs):
    """A `pydot.Dot` graph of the model's layers (one node per layer, edges along tensors);
    needs the `pydot` package, else ImportError as in Keras. `keras.utils.plot_model` draws
    the same graph without pydot.

    >>> import graphflow as tf
    >>> model = tf.keras.Sequential([tf.keras.Input((2,)), tf.keras.layers.Dense(1)])
    >>> try:
    ...     ok = model_to_dot(model) is not None
    ... except ImportError as e:      # without pydot, Keras' message
    ...     ok = "You must install pydot (`pip install pydot`)" in str(e)
    >>> ok
    True
    """
    from .plot import layer_graph   # plot imports models, as this module does
    if not model.built:
        raise ValueError("This model has not yet been built. Build the model first by calling "
                         "`build()` or by calling the model on a batch of data.")
    try:
        import pydot
    except ImportError:
        raise ImportError("You must install pydot (`pip install pydot`) for model_to_dot to "
                          "work.") from None
    dot = pydot.Cluster(style="dashed", graph_name=model.name) if subgraph else pydot.Dot()
    dot.set("rankdir", rankdir)
    dot.set("dpi", dpi)
    dot.set_node_defaults(shape="record")
    names, edges = layer_graph(model)
    for name in names:
        dot.add_node(pydot.Node(name, label=name if show_layer_names else ""))
    for src, dst in edges:
        dot.add_edge(pydot.Edge(src, dst))
    return dot
