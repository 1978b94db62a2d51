"""`keras.tree`: Keras 3's functions on nested structures (lists, tuples, namedtuples and
dicts nest; dicts flatten in sorted key order; None and everything else are leaves), on top of
graphflow's `tf.nest` rules.

>>> from graphflow.keras import tree
>>> tree.map_structure(lambda a, b: a + b, {"x": 1, "y": [2]}, {"x": 10, "y": [20]})
{'x': 11, 'y': [22]}
>>> tree.flatten_with_path({"a": [1, 2], "b": 3})
[(('a', 0), 1), (('a', 1), 2), (('b',), 3)]
"""
import collections.abc as _abc

from ..nest_api import (assert_same_structure as _assert_same, flatten as _flatten,
                        is_nested as _is_nested, map_structure as _map, pack_sequence_as as _pack)


class MAP_TO_NONE:
    """Returned by `traverse`'s function: replace that sub-structure with None (a None result
    means "leave it as it is").

    >>> traverse(lambda x: MAP_TO_NONE if x == 2 else None, [1, 2])
    [1, None]
    """


def is_nested(structure):
    """True for a list, tuple or mapping."""
    return _is_nested(structure)


def flatten(structure):
    """The leaves, depth first (dicts in sorted key order)."""
    return _flatten(structure)


def pack_sequence_as(structure, flat_sequence, sequence_fn=None):
    """`flat_sequence` in the shape of `structure`."""
    return _pack(structure, list(flat_sequence))


def map_structure(func, *structures, none_is_leaf=True):
    """func applied leaf by leaf across structures of the same shape.

    >>> map_structure(lambda v: v * 2, [1, (2, 3)])
    [2, (4, 6)]
    """
    if not structures:
        raise ValueError("map_structure: pass at least one structure")
    return _map(func, *structures)


def assert_same_structure(a, b, check_types=None):
    """Raise ValueError / TypeError when a and b do not nest the same way."""
    _assert_same(a, b, check_types=True if check_types is None else check_types)


def _children(x):
    if isinstance(x, _abc.Mapping):
        keys = sorted(x)
        return keys, [x[k] for k in keys]
    return list(range(len(x))), list(x)


def flatten_with_path(structure):
    """(path, leaf) pairs: the path is the tuple of keys / indices leading to the leaf."""
    out = []

    def walk(x, path):
        if not _is_nested(x):
            out.append((path, x))
            return
        for k, c in zip(*_children(x)):
            walk(c, path + (k,))
    walk(structure, ())
    return out


def map_structure_up_to(shallow_structure, func, *structures):
    """func applied to the sub-structures of `structures` found at the leaves of
    `shallow_structure`.

    >>> map_structure_up_to((None, None), len, ([1, 2], [3]))
    (2, 1)
    """
    def walk(shallow, *xs):
        if not _is_nested(shallow):
            return func(*xs)
        keys, subs = _children(shallow)
        kids = [walk(s, *[x[k] for x in xs]) for k, s in zip(keys, subs)]
        return dict(zip(keys, kids)) if isinstance(shallow, _abc.Mapping) else \
            _rebuild(shallow, kids)
    return walk(shallow_structure, *structures)


def traverse(func, structure, top_down=True):
    """Keras 3's traverse: top_down calls func on every sub-structure first (a non-None
    result replaces it and stops the descent); bottom-up calls func on leaves, then on the
    rebuilt structures (None keeps the rebuilt value).

    >>> traverse(lambda x: x * 2 if isinstance(x, int) else None, [1, (2, 3)])
    [2, (4, 6)]
    """
    def down(x):
        r = func(x)
        if r is not None:
            return None if r is MAP_TO_NONE else r
        if not _is_nested(x):
            return x
        keys, kids = _children(x)
        new = [down(c) for c in kids]
        return dict(zip(keys, new)) if isinstance(x, _abc.Mapping) else _rebuild(x, new)

    def up(x):
        if _is_nested(x):
            keys, kids = _children(x)
            new = [up(c) for c in kids]
            x = dict(zip(keys, new)) if isinstance(x, _abc.Mapping) else _rebuild(x, new)
        r = func(x)
        return x if r is None else None if r is MAP_TO_NONE else r
    return down(structure) if top_down else up(structure)


def _rebuild(x, kids):
    if isinstance(x, tuple) and hasattr(type(x), "_fields"):
        return type(x)(*kids)
    return type(x)(kids)


def lists_to_tuples(structure):
    """Every list in `structure` as a tuple.

    >>> lists_to_tuples([1, [2, {"a": [3]}]])
    (1, (2, {'a': (3,)}))
    """
    def conv(x):
        if isinstance(x, list):
            return tuple(conv(c) for c in x)
        if isinstance(x, _abc.Mapping):
            return {k: conv(v) for k, v in x.items()}
        if isinstance(x, tuple):
            return _rebuild(x, [conv(c) for c in x])
        return x
    return conv(structure)


def assert_same_paths(a, b):
    """Raise ValueError when `a` and `b` do not have the same leaf paths (keys and indices;
    the container types may differ, unlike `assert_same_structure`).

    >>> assert_same_paths([0, 1], (2, 3))
    >>> assert_same_paths({"a": 1}, {"b": 1})
    Traceback (most recent call last):
    ...
    ValueError: `a` and `b` don't have the same paths.
    Paths in `a` missing in `b`:
    {('a',)}
    Paths in `b` missing in `a`:
    {('b',)}
    """
    a_paths = {p for p, _ in flatten_with_path(a)}
    b_paths = {p for p, _ in flatten_with_path(b)}
    if a_paths != b_paths:
        msg = "`a` and `b` don't have the same paths."
        if a_paths - b_paths:
            msg += f"\nPaths in `a` missing in `b`:\n{a_paths - b_paths}"
        if b_paths - a_paths:
            msg += f"\nPaths in `b` missing in `a`:\n{b_paths - a_paths}"
        raise ValueError(msg)


def _is_shape(x):
    return isinstance(x, (list, tuple)) and all(isinstance(e, (int, type(None))) for e in x)


def map_shape_structure(func, structure):
    """`map_structure` where a list or tuple of ints and Nones (a shape) is a leaf.

    >>> map_shape_structure(lambda s: (None,) + tuple(s), {"a": (3, 4), "b": [(2,), [5]]})
    {'a': (None, 3, 4), 'b': [(None, 2), (None, 5)]}
    """
    def walk(x):
        if _is_shape(x) or not _is_nested(x):
            return func(x)
        keys, kids = _children(x)
        new = [walk(c) for c in kids]
        return dict(zip(keys, new)) if isinstance(x, _abc.Mapping) else _rebuild(x, new)
    return walk(structure)
