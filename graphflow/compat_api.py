"""Small TF names code reaches for besides the ops: `tf.compat`'s text and dimension helpers,
`tf.dtypes.saturate_cast`,
`tf.guarantee_const`, `tf.debugging`'s traceback-filtering switches.

>>> import graphflow as tf
>>> tf.compat.as_bytes("ab"), tf.compat.as_str(b"ab"), tf.compat.dimension_value(None)
(b'ab', 'ab', None)
"""
import numbers
import os
import types

import numpy as np

from . import dtypes as _dt
from .ops import ctc_ops as _ctc, math_ops as _m, shape_ops as _s
from .tensor import to_tensor

__all__ = ["as_bytes", "as_text", "as_str", "as_str_any", "path_to_str", "dimension_value",
           "dimension_at_index", "forward_compatible", "forward_compatibility_horizon",
           "saturate_cast", "guarantee_const",
           "traceback_filtering"]

bytes_or_text_types = (bytes, str)
complex_types = (numbers.Complex, np.number)
integral_types = (numbers.Integral, np.integer)
real_types = (numbers.Real, np.integer, np.floating)


def as_bytes(bytes_or_text, encoding="utf-8"):
    """`bytes_or_text` as bytes (text encoded).

    >>> as_bytes("é")
    b'\\xc3\\xa9'
    """
    if isinstance(bytes_or_text, bytearray):
        return bytes(bytes_or_text)
    if isinstance(bytes_or_text, str):
        return bytes_or_text.encode(encoding)
    if isinstance(bytes_or_text, bytes):
        return bytes_or_text
    raise TypeError(f"Expected binary or unicode string, got {bytes_or_text!r}")


def as_text(bytes_or_text, encoding="utf-8"):
    """`bytes_or_text` as str (bytes decoded).

    >>> as_text(b"x")
    'x'
    """
    if isinstance(bytes_or_text, str):
        return bytes_or_text
    if isinstance(bytes_or_text, bytes):
        return bytes_or_text.decode(encoding)
    raise TypeError(f"Expected binary or unicode string, got {bytes_or_text!r}")


as_str = as_text


def as_str_any(value, encoding="utf-8"):
    """str of any value (bytes decoded).

    >>> as_str_any(3)
    '3'
    """
    return as_str(value, encoding) if isinstance(value, bytes) else str(value)


def path_to_str(path):
    """A path-like object as str (other values unchanged).

    >>> path_to_str("a")
    'a'
    """
    return os.fspath(path) if isinstance(path, os.PathLike) else path


def dimension_value(dimension):
    """A dimension as an int (None when unknown).

    >>> dimension_value(3)
    3
    """
    if dimension is None or isinstance(dimension, int):
        return dimension
    return getattr(dimension, "value", dimension)


def dimension_at_index(shape, index):
    """Dimension `index` of a TensorShape (None if the rank is unknown).

    >>> import graphflow as tf
    >>> dimension_at_index(tf.TensorShape([3, None]), 0)
    3
    """
    return None if getattr(shape, "rank", 0) is None else shape[index]


def forward_compatible(year, month, day):
    """True: graphflow implements every TF graph-op version these checks guard."""
    return True


class forward_compatibility_horizon:
    """Context manager TF uses to test future op versions; nothing to switch here."""

    def __init__(self, year, month, day):
        self.date = (year, month, day)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def saturate_cast(value, dtype, name=None):
    """Cast with values clipped to `dtype`'s range first (no wrap-around), as TF.

    >>> import graphflow as tf
    >>> tf.dtypes.saturate_cast(tf.constant([300., -5.]), tf.uint8).numpy().tolist()
    [255, 0]
    """
    x = to_tensor(value)
    dt = _dt.as_dtype(dtype)
    numeric = x.dtype.is_integer or x.dtype.is_floating
    if numeric and (dt.is_integer or (dt.is_floating and x.dtype.is_floating
                                      and dt.size < x.dtype.size)):
        (lo, hi), (xlo, xhi) = _range(dt), _range(x.dtype)
        x = _m.clip_by_value(x, _m.cast(max(lo, xlo), x.dtype), _m.cast(min(hi, xhi), x.dtype))
    return _m.cast(x, dt)


def _range(dt):
    """(lowest, highest) of an integer or floating dtype, as floats."""
    info = np.iinfo(dt.np) if dt.is_integer else np.finfo(dt.np)
    return float(info.min), float(info.max)


def guarantee_const(input, name=None):   # noqa: A002
    """`input` unchanged (TF's hint that a value is constant; nothing to do here)."""
    return _m.identity(input)


traceback_filtering = {"enabled": True}


def enable_traceback_filtering():
    """TF's switch for hiding its frames in tracebacks (graphflow's errors already name the
    user's line); recorded only."""
    traceback_filtering["enabled"] = True


def disable_traceback_filtering():
    """See enable_traceback_filtering."""
    traceback_filtering["enabled"] = False


def is_traceback_filtering_enabled():
    """The switch's state (True by default, as TF)."""
    return traceback_filtering["enabled"]


# ---- tf.compat.v1: the v1 names TF2 guides and examples still call ----------------------------

#: v1 names whose TF 1 signature and meaning match the TF2 function of the same dotted path
#: (TF2 kept the positional order; v1-only keywords such as `parallel_iterations` are accepted
#: and ignored by the TF2 functions, which run in order).
V1_SAME = (
    "scan", "foldl", "foldr", "map_fn", "while_loop", "cond", "case", "switch_case",
    "boolean_mask", "gather_nd", "gather", "fill", "reshape", "transpose", "concat", "stack",
    "unstack", "squeeze", "expand_dims", "cast", "constant", "zeros", "ones", "zeros_like",
    "ones_like", "range", "tile", "shape", "size", "rank", "one_hot", "matmul", "add",
    "multiply", "subtract", "divide", "maximum", "minimum", "exp", "log", "sqrt", "square",
    "abs", "reverse", "identity", "stop_gradient", "clip_by_value", "equal", "not_equal",
    "less", "greater", "logical_and", "logical_or", "logical_not", "pad", "split", "slice",
    "einsum", "tensordot", "sigmoid", "tanh", "floor", "round", "sign", "pow", "where_v2",
    "convert_to_tensor", "function", "py_function", "numpy_function", "gradients",
    "GradientTape", "Variable", "TensorShape", "SparseTensor", "name_scope", "executing_eagerly",
    "get_logger", "print", "control_dependencies", "device", "dtypes", "float16", "float32",
    "float64", "int8", "int16", "int32", "int64", "uint8", "bool", "string", "sparse",
    "strings", "math", "image", "io", "linalg", "signal", "random_normal_initializer",
    "random_uniform_initializer", "constant_initializer", "zeros_initializer",
    "ones_initializer", "glorot_uniform_initializer", "glorot_normal_initializer")

#: v1 name -> the TF2 dotted path with the same meaning (renamed in TF2).
V1_RENAMED = {
    "random_normal": "random.normal", "random_uniform": "random.uniform",
    "truncated_normal": "random.truncated_normal", "set_random_seed": "random.set_seed",
    "random_shuffle": "random.shuffle", "multinomial": "random.categorical",
    "log_softmax": "nn.log_softmax", "to_float": None, "to_int32": None, "to_int64": None,
    "div": "math.divide", "mod": "math.floormod", "floordiv": "math.floordiv",
    "read_file": "io.read_file", "decode_png": "io.decode_png", "decode_jpeg": "io.decode_jpeg",
    "parse_single_example": "io.parse_single_example", "FixedLenFeature": "io.FixedLenFeature",
    "VarLenFeature": "io.VarLenFeature", "Print": "print",
    "global_norm": "linalg.global_norm", "sparse_to_dense": None,
    "enable_eager_execution": None, "enable_v2_behavior": None,
    "enable_resource_variables": None, "resource_variables_enabled": None,
}

#: TF2 behaviours the migration guide switches on one by one: always on here (no-ops).
V1_BEHAVIOURS = ("v2_behavior", "eager_execution", "resource_variables", "v2_tensorshape",
                 "control_flow_v2", "tensor_equality")

#: v1 names with no TF2 meaning here -> the TF2 way to say it (raised as NotImplementedError).
V1_REMOVED = {
    "disable_eager_execution": "graphflow is TF2-only (eager by default); trace with "
                               "tf.function instead of building a v1 graph",
    "disable_v2_behavior": "graphflow is TF2-only; trace with tf.function",
    "placeholder": "pass tensors as tf.function arguments (tf.TensorSpec in input_signature) "
                   "or use keras.Input",
    "placeholder_with_default": "give the tf.function argument a default value",
    "Session": "call a tf.function (or run eagerly) instead of Session.run",
    "InteractiveSession": "run eagerly",
    "get_variable": "create a tf.Variable (or a Keras layer's add_weight)",
    "variable_scope": "use tf.name_scope and tf.Variable / tf.Module",
    "global_variables_initializer": "tf.Variable is initialized when created",
    "local_variables_initializer": "tf.Variable is initialized when created",
    "initialize_all_variables": "tf.Variable is initialized when created",
    "train.Saver": "use tf.train.Checkpoint",
    "get_default_graph": "trace with tf.function and inspect get_concrete_function().graph",
    "reset_default_graph": "nothing to reset: graphflow has no default v1 graph",
    "get_collection": "keep Python references (a model's losses / trainable_variables)",
    "global_variables": "use tf.Module.variables or a Keras model's weights",
    "trainable_variables": "use tf.Module.trainable_variables or a Keras model's",
    "make_template": "track variables with tf.Module or Keras layers",
    "ConfigProto": "configure with tf.config (threading, devices)",
    "Saver": "use tf.train.Checkpoint",
    "train.get_or_create_global_step": "use the optimizer's `iterations`",
}

#: v1 optimizers (tf.compat.v1.train.*Optimizer) -> their Keras replacement.
V1_OPTIMIZERS = {"GradientDescentOptimizer": "SGD", "MomentumOptimizer": "SGD(momentum=...)",
                 "AdamOptimizer": "Adam", "RMSPropOptimizer": "RMSprop",
                 "AdagradOptimizer": "Adagrad", "AdadeltaOptimizer": "Adadelta",
                 "FtrlOptimizer": "Ftrl"}


def _v1_where(tf_where):
    def where(condition, x=None, y=None, name=None):
        if x is None and y is None:
            return tf_where(condition)
        c, x, y = to_tensor(condition), to_tensor(x), to_tensor(y)
        if c.ndim == 1 and x.ndim > 1:   # TF 1: a 1-D condition picks whole rows
            c = _s.reshape(c, (-1,) + (1,) * (x.ndim - 1))
        return tf_where(c, x, y)
    where.__doc__ = ("`tf.compat.v1.where`: as tf.where, except that a 1-D `condition` with "
                     "higher-rank `x` and `y` picks whole rows (TF2 would broadcast it against "
                     "the last axis).")
    return where


def _cast_to(dtype):
    def cast(x, name=None):
        return _m.cast(x, dtype)
    cast.__doc__ = f"v1 `to_...`: `x` cast to {dtype} (TF2: tf.cast)."
    return cast


def enable_eager_execution(config=None, device_policy=None, execution_mode=None):
    """v1 switch; graphflow always runs eagerly outside tf.function, so nothing to do.

    >>> enable_eager_execution()
    """


def v1_removed(name, replacement):
    """The stand-in for v1 name `name` that TF2 dropped: calling it raises NotImplementedError
    naming the TF2 way.

    >>> v1_removed("placeholder", "use keras.Input")()
    Traceback (most recent call last):
    ...
    NotImplementedError: tf.compat.v1.placeholder: not available in graphflow (TF2 only): use keras.Input
    """
    def removed(*args, **kwargs):
        raise NotImplementedError(f"tf.compat.v1.{name}: not available in graphflow (TF2 "
                                  f"only): {replacement}")
    removed.__name__ = name.rsplit(".", 1)[-1]
    removed.__doc__ = f"Not in TF2: {replacement}."
    return removed


def _v1_reduce(fn):
    def reduce(input_tensor, axis=None, keepdims=None, name=None, reduction_indices=None,
               keep_dims=None):
        if axis is None:
            axis = reduction_indices
        keep = keepdims if keepdims is not None else bool(keep_dims)
        return fn(input_tensor, axis=axis, keepdims=keep)
    reduce.__doc__ = (f"v1 `{fn.__name__}`: also accepts `reduction_indices` and `keep_dims` "
                      f"(TF2: tf.{fn.__name__}).")
    return reduce


def _v1_arg(fn):
    def arg(input, axis=None, name=None, dimension=None, output_type="int64"):  # noqa: A002
        return fn(input, axis=dimension if axis is None else axis, output_type=output_type)
    arg.__doc__ = f"v1 `{fn.__name__}`: also accepts `dimension` (TF2: tf.{fn.__name__})."
    return arg


def v1_ctc_loss(labels, inputs=None, sequence_length=None, preprocess_collapse_repeated=False,
                ctc_merge_repeated=True, ignore_longer_outputs_than_inputs=False,
                time_major=True, logits=None):
    """`tf.compat.v1.nn.ctc_loss`: CTC loss per example with SparseTensor `labels` (values in
    [0, num_classes - 1)), `inputs` logits (time, batch, num_classes) (batch-major if not
    time_major), `sequence_length` (batch,) and the blank the LAST class, as TF 1.

    >>> import graphflow as tf, numpy as np
    >>> lab = tf.SparseTensor([[0, 0], [0, 1]], tf.constant([0, 1]), [1, 2])
    >>> round(float(v1_ctc_loss(lab, tf.zeros((3, 1, 3)), [3])[0]), 4)
    1.6864
    """
    if preprocess_collapse_repeated or not ctc_merge_repeated:
        raise NotImplementedError(
            "tf.compat.v1.nn.ctc_loss: only preprocess_collapse_repeated=False, "
            "ctc_merge_repeated=True (the CTC loss of tf.nn.ctc_loss) is implemented; got "
            f"preprocess_collapse_repeated={preprocess_collapse_repeated}, "
            f"ctc_merge_repeated={ctc_merge_repeated}")
    if not (hasattr(labels, "indices") and hasattr(labels, "dense_shape")):
        raise TypeError(f"tf.compat.v1.nn.ctc_loss: labels must be a SparseTensor (v1), got "
                        f"{type(labels).__name__}; for dense labels use tf.nn.ctc_loss")
    x = logits if inputs is None else inputs
    return _ctc.ctc_loss(labels, x, None, sequence_length, logits_time_major=time_major,
                    blank_index=-1)


def v1_members(root):
    """The `tf.compat.v1` members: `root` (the graphflow package) supplies the TF2 functions the
    v1 names alias; v1-only spellings and clear errors for what TF2 removed come from here.

    >>> import graphflow as tf
    >>> tf.compat.v1.reduce_sum([[1, 2]], reduction_indices=1, keep_dims=True).numpy().tolist()
    [[3]]
    >>> tf.compat.v1.where([True, False], [[1, 2], [3, 4]], [[0, 0], [0, 0]]).numpy().tolist()
    [[1, 2], [0, 0]]
    """
    def get(path):
        obj = root
        for part in path.split("."):
            obj = getattr(obj, part)
        return obj
    out = {n: get(n) for n in V1_SAME if _has(root, n)}
    for n, path in V1_RENAMED.items():
        if path is not None and _has(root, path):
            out[n] = get(path)
    out.update(to_float=_cast_to("float32"), to_int32=_cast_to("int32"),
               to_int64=_cast_to("int64"), where=_v1_where(root.where),
               resource_variables_enabled=lambda: True,
               argmax=_v1_arg(root.argmax), argmin=_v1_arg(root.argmin))
    for n in ("reduce_sum", "reduce_mean", "reduce_max", "reduce_min", "reduce_prod",
              "reduce_any", "reduce_all", "reduce_logsumexp"):
        out[n] = _v1_reduce(getattr(root, n))
    for b in V1_BEHAVIOURS:
        out[f"enable_{b}"] = enable_eager_execution
        out.setdefault(f"disable_{b}", v1_removed(f"disable_{b}", "graphflow has TF2 "
                                                  "behaviour only (trace with tf.function)"))
    for n, why in V1_REMOVED.items():
        if "." not in n:
            out[n] = v1_removed(n, why)
    nn = dict(vars(root.nn))
    nn.update(ctc_loss=v1_ctc_loss)
    train = {n.split(".")[1]: v1_removed(n, why) for n, why in V1_REMOVED.items()
             if n.startswith("train.")}
    train.update({n: v1_removed(f"train.{n}", f"use tf.keras.optimizers.{k}")
                  for n, k in V1_OPTIMIZERS.items()})
    out.update(layers=_V1Layers("graphflow.compat.v1.layers"))
    for n in ("Checkpoint", "CheckpointManager", "latest_checkpoint",
              "ExponentialMovingAverage"):
        if _has(root.train, n):
            train[n] = getattr(root.train, n)
    return out, nn, train


class _V1Layers(types.ModuleType):
    """`tf.compat.v1.layers`: the v1 functional layers (dense, conv2d, ...) are gone in TF2;
    each name raises, naming its Keras layer.

    >>> import graphflow as tf
    >>> tf.compat.v1.layers.conv2d
    Traceback (most recent call last):
    ...
    NotImplementedError: tf.compat.v1.layers.conv2d: not available in graphflow (TF2 only): use tf.keras.layers.Conv2D
    """

    def __getattr__(self, name):
        if name.startswith("_"):   # probes (hasattr(m, "__wrapped__"), ...) stay plain misses
            raise AttributeError(name)
        keras_name = {"conv1d": "Conv1D", "conv2d": "Conv2D", "conv3d": "Conv3D",
                      "conv2d_transpose": "Conv2DTranspose", "max_pooling2d": "MaxPooling2D",
                      "average_pooling2d": "AveragePooling2D",
                      "batch_normalization": "BatchNormalization"}.get(
            name, "".join(w.capitalize() for w in name.split("_")))
        raise NotImplementedError(f"tf.compat.v1.layers.{name}: not available in graphflow "
                                  f"(TF2 only): use tf.keras.layers.{keras_name}")


def _has(root, path):
    obj = root
    for part in path.split("."):
        if not hasattr(obj, part):
            return False
        obj = getattr(obj, part)
    return True
