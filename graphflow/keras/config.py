"""`keras.config`: global Keras settings (float type, fuzz factor, image data format,
unsafe deserialization, interactive logging, traceback filtering, the debugging caps on
epochs and steps per epoch that `fit`/`evaluate`/`predict` obey, flash attention).

>>> from graphflow.keras import config
>>> config.floatx(), config.epsilon(), config.image_data_format()
('float32', 1e-07, 'channels_last')

Losses, metrics and constraints read `epsilon()` when they run (a traced step keeps the value
of its trace, as in Keras). graphflow's layers compute in float32 whatever `set_floatx` says:
it records and validates the value for code that reads it back. Unsafe deserialization only
records the setting: graphflow never deserializes Python bytecode (Lambda layers from files
are refused either way).
"""
import os as _os
import warnings as _warnings

from .. import dtypes as _dt


def _env_int(name):
    value = _os.environ.get(name)
    return int(value) if value else None


_SETTINGS = {"floatx": "float32", "epsilon": 1e-7, "image_data_format": "channels_last",
             "unsafe_deserialization": False, "interactive_logging": True,
             "traceback_filtering": True, "dtype_policy": "float32",
             # Keras 3 reads these environment variables at import too
             "max_epochs": _env_int("KERAS_MAX_EPOCHS"),
             "max_steps_per_epoch": _env_int("KERAS_MAX_STEPS_PER_EPOCH"),
             "flash_attention": None}


def floatx():
    """The default float type name ('float32')."""
    return _SETTINGS["floatx"]


def set_floatx(value):
    """Set the default float type name: 'bfloat16', 'float16', 'float32' or 'float64'."""
    accepted = {"bfloat16", "float16", "float32", "float64"}
    if value not in accepted:
        raise ValueError(f"Unknown `floatx` value: {value}. Expected one of {accepted}")
    _SETTINGS["floatx"] = str(value)


def epsilon():
    """The fuzz factor (1e-7)."""
    return _SETTINGS["epsilon"]


def set_epsilon(value):
    """Set the fuzz factor."""
    _SETTINGS["epsilon"] = float(value)


def image_data_format():
    """'channels_last' (the default) or 'channels_first'."""
    return _SETTINGS["image_data_format"]


def set_image_data_format(data_format):
    """Set the image data format: 'channels_last' or 'channels_first'."""
    data_format = str(data_format).lower()
    if data_format not in {"channels_first", "channels_last"}:
        raise ValueError("The `data_format` argument must be one of {'channels_first', "
                         f"'channels_last'}}. Received: data_format={data_format}")
    _SETTINGS["image_data_format"] = data_format


def backend():
    """The backend's name."""
    return "graphflow"


def enable_unsafe_deserialization():
    """Record that unsafe deserialization is allowed (graphflow still never loads bytecode)."""
    _SETTINGS["unsafe_deserialization"] = True


def is_unsafe_deserialization_enabled():
    return _SETTINGS["unsafe_deserialization"]


def enable_interactive_logging():
    _SETTINGS["interactive_logging"] = True


def disable_interactive_logging():
    _SETTINGS["interactive_logging"] = False


def is_interactive_logging_enabled():
    return _SETTINGS["interactive_logging"]


def enable_traceback_filtering():
    _SETTINGS["traceback_filtering"] = True


def disable_traceback_filtering():
    _SETTINGS["traceback_filtering"] = False


def is_traceback_filtering_enabled():
    return _SETTINGS["traceback_filtering"]


def dtype_policy():
    """The global dtype policy, a `keras.DTypePolicy` (Keras 3's `keras.config.dtype_policy()`).

    >>> dtype_policy()
    <DTypePolicy "float32">
    """
    from .mixed_precision import DTypePolicy   # (the module above this one)
    return DTypePolicy(_SETTINGS["dtype_policy"])


def set_dtype_policy(policy):
    """Set the global dtype policy (a name such as 'mixed_float16' or a DTypePolicy): the
    policy of layers created afterwards without a dtype (keras.mixed_precision)."""
    name = getattr(policy, "name", policy)
    if not isinstance(name, str):
        raise TypeError(f"set_dtype_policy: a policy name or DTypePolicy, got {policy!r}")
    if name not in ("mixed_float16", "mixed_bfloat16"):
        try:
            name = _dt.as_dtype(name).name
        except (TypeError, ValueError, KeyError):
            raise ValueError(f"Cannot convert {name!r} to a mixed precision DTypePolicy. Valid "
                             "policies include 'mixed_float16', 'mixed_bfloat16', and the name "
                             "of any float dtype such as 'float32'.") from None
    _SETTINGS["dtype_policy"] = name


def set_max_epochs(max_epochs):
    """Cap the number of epochs of every `fit` (None: no cap), for quick debugging runs; the
    `KERAS_MAX_EPOCHS` environment variable sets it too (Keras 3).

    >>> set_max_epochs(2); max_epochs()
    2
    >>> set_max_epochs(None)
    """
    _SETTINGS["max_epochs"] = None if max_epochs is None else int(max_epochs)


def max_epochs():
    """The cap `set_max_epochs` set (None: no cap).

    >>> max_epochs() is None
    True
    """
    return _SETTINGS["max_epochs"]


def set_max_steps_per_epoch(max_steps_per_epoch):
    """Cap the number of steps of each epoch of `fit`, and of `evaluate` and `predict` (None:
    no cap); the `KERAS_MAX_STEPS_PER_EPOCH` environment variable sets it too (Keras 3).

    >>> set_max_steps_per_epoch(3); max_steps_per_epoch()
    3
    >>> set_max_steps_per_epoch(None)
    """
    _SETTINGS["max_steps_per_epoch"] = None if max_steps_per_epoch is None \
        else int(max_steps_per_epoch)


def max_steps_per_epoch():
    """The cap `set_max_steps_per_epoch` set (None: no cap).

    >>> max_steps_per_epoch() is None
    True
    """
    return _SETTINGS["max_steps_per_epoch"]


def capped_epochs(epochs):
    """`epochs` limited by `max_epochs()` (with Keras' warning when it cuts).

    >>> capped_epochs(5)
    5
    """
    cap = _SETTINGS["max_epochs"]
    if cap and cap < epochs:
        _warnings.warn(f"Limiting epochs to {cap}", stacklevel=3)
        return cap
    return epochs


def capped_steps(steps):
    """`steps` (None: the whole data) limited by `max_steps_per_epoch()`, as Keras'
    EpochIterator does.

    >>> capped_steps(None) is None
    True
    """
    cap = _SETTINGS["max_steps_per_epoch"]
    if cap and (not steps or cap < steps):
        _warnings.warn(f"Limiting steps_per_epoch to {cap}", stacklevel=3)
        return cap
    return steps


def enable_flash_attention():
    """Let attention use a flash kernel where one exists (Keras 3). graphflow has no flash
    kernel: the setting is recorded and read back, results are unchanged.

    >>> enable_flash_attention(); is_flash_attention_enabled() is None
    True
    """
    _SETTINGS["flash_attention"] = None


def disable_flash_attention():
    """Never use a flash attention kernel (Keras 3).

    >>> disable_flash_attention(); is_flash_attention_enabled()
    False
    >>> enable_flash_attention()
    """
    _SETTINGS["flash_attention"] = False


def is_flash_attention_enabled():
    """None (the default, and after `enable_flash_attention`: use it when supported) or False,
    as Keras 3 reports.

    >>> is_flash_attention_enabled() is None
    True
    """
    return _SETTINGS["flash_attention"]


def is_nnx_enabled():
    """False: JAX's NNX is not part of graphflow (Keras 3's `keras.config.is_nnx_enabled`).

    >>> is_nnx_enabled()
    False
    """
    return False


def set_backend(backend):
    """Keras 3 switches backends here; graphflow is its own backend, so only 'graphflow'
    is accepted.

    >>> set_backend("graphflow")
    """
    if backend != "graphflow":
        raise ValueError(f"keras.config.set_backend({backend!r}): this Keras runs on graphflow "
                         "only; its backend is 'graphflow'")
