"""`keras.config`: global Keras settings (float type, fuzz factor, image data format,
unsafe deserialization, interactive logging, traceback filtering).

>>> from graphflow.keras import config
>>> config.floatx(), config.epsilon(), config.image_data_format()
('float32', 1e-07, 'channels_last')

Losses, metrics and constraints read `epsilon()` when they run (a traced step keeps the value
of its trace, as in Keras). graphflow's layers compute in float32 whatever `set_floatx` says:
it records and validates the value for code that reads it back. Unsafe deserialization only
records the setting: graphflow never deserializes Python bytecode (Lambda layers from files
are refused either way).
"""
_SETTINGS = {"floatx": "float32", "epsilon": 1e-7, "image_data_format": "channels_last",
             "unsafe_deserialization": False, "interactive_logging": True,
             "traceback_filtering": True, "dtype_policy": "float32"}


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
    """The global dtype policy's name ('float32')."""
    return _SETTINGS["dtype_policy"]


def set_dtype_policy(policy):
    """Only 'float32' computes as asked; other policies raise (graphflow has no mixed
    precision)."""
    name = getattr(policy, "name", policy)
    if name != "float32":
        raise NotImplementedError(f"set_dtype_policy({name!r}): graphflow computes in float32 "
                                  "only (no mixed precision)")
    _SETTINGS["dtype_policy"] = name
