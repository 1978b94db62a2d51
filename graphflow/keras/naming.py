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
