"""Keras 3's automatic object names, shared by layers and optimizers (one per-process counter
per base name, as Keras' `auto_name`/`uniquify`; reset by `keras.backend.clear_session()`).

>>> reset_names()
>>> snake_case("RMSprop"), unique_name("doc_obj"), unique_name("doc_obj")
('rm_sprop', 'doc_obj', 'doc_obj_1')
"""
import collections
import re

_NAME_COUNTS = collections.defaultdict(int)


def unique_name(base):
    """'dense', then 'dense_1', 'dense_2', ... (reset by `keras.backend.clear_session()`)."""
    n = _NAME_COUNTS[base]
    _NAME_COUNTS[base] += 1
    return base if n == 0 else f"{base}_{n}"


def reset_names():
    """Every base name starts again ('dense', not 'dense_3')."""
    _NAME_COUNTS.clear()


def snake_case(name):
    """Keras's default name of a class (to_snake_case): 'BatchNormalization' ->
    'batch_normalization', 'UpSampling1D' -> 'up_sampling1d', 'PReLU' -> 'p_re_lu',
    'AdamW' -> 'adam_w'.

    >>> snake_case("UpSampling1D"), snake_case("SimpleRNN"), snake_case("PReLU")
    ('up_sampling1d', 'simple_rnn', 'p_re_lu')
    """
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


# ------------------------------------------------------------------ custom objects
REGISTERED = {}   # "package>Name" -> class or function (keras.saving.register_keras_serializable)
SCOPES = []       # the dicts of the custom_object_scope blocks being run, innermost last


def custom_object(cfg, custom_objects=None):
    """The user's class (or function) a Keras 3 config dict names - found in `custom_objects`,
    the open custom_object_scope blocks, then the registry, by registered name or class name -
    else None (a built-in name is its module's business).

    >>> class Scale:
    ...     pass
    >>> custom_object({"class_name": "Scale", "registered_name": "Scale"}, {"Scale": Scale}) is Scale
    True
    """
    if not isinstance(cfg, dict):
        return None
    keys = [k for k in (cfg.get("registered_name"), cfg.get("class_name"))
            if isinstance(k, str)]
    for objs in [custom_objects or {}] + SCOPES[::-1] + [REGISTERED]:
        for key in keys:
            if key in objs:
                return objs[key]
    return None


def keras_dict(obj, module, config=None):
    """Keras 3's `{"module", "class_name", "config", "registered_name"}` of an initializer,
    regularizer or constraint: a built-in class is under its Keras module with no registered
    name; a user's class has module None and its registered name ("package>Name" if
    registered, else its class name), as `keras.saving.serialize_keras_object` writes it.

    >>> class Mine:
    ...     def get_config(self):
    ...         return {"a": 1}
    >>> Mine.__module__ = "__main__"     # as a class in the user's script
    >>> keras_dict(Mine(), "keras.regularizers")
    {'module': None, 'class_name': 'Mine', 'config': {'a': 1}, 'registered_name': 'Mine'}
    """
    cls = type(obj)
    config = obj.get_config() if config is None else config
    if cls.__module__.startswith("graphflow."):
        return {"module": module, "class_name": cls.__name__, "config": config,
                "registered_name": None}
    return {"module": None, "class_name": cls.__name__, "config": config,
            "registered_name": cls.__dict__.get("_registered_name", cls.__name__)}
