"""Nested structures of values (lists, tuples, namedtuples, dicts), as `tf.nest` sees them.

>>> leaves, rebuild = flatten({"a": [1, 2], "b": (3,)})
>>> leaves, rebuild([10, 20, 30])
([1, 2, 3], {'a': [10, 20], 'b': (30,)})
"""


def _first(leaves):
    return leaves[0]


def flatten(x):
    """Nested list/tuple/dict -> (leaves, rebuild function); anything else is a leaf."""
    if isinstance(x, dict):
        keys = list(x)
        parts = [flatten(x[k]) for k in keys]
        sizes = [len(p[0]) for p in parts]

        def rebuild(leaves):
            out, i = {}, 0
            for k, (_, rb), n in zip(keys, parts, sizes):
                out[k] = rb(leaves[i:i + n])
                i += n
            return type(x)(out) if type(x) is not dict else out
        return [leaf for p in parts for leaf in p[0]], rebuild
    if isinstance(x, (list, tuple)):
        parts = [flatten(v) for v in x]
        sizes = [len(p[0]) for p in parts]

        def rebuild(leaves):
            out, i = [], 0
            for (_, rb), n in zip(parts, sizes):
                out.append(rb(leaves[i:i + n]))
                i += n
            return type(x)(out) if not hasattr(x, "_fields") else type(x)(*out)
        return [leaf for p in parts for leaf in p[0]], rebuild
    return [x], _first


def structure(v):
    """The nesting of `v` (container types, lengths, dict keys); leaves are None. Two values
    with equal structures flatten alike.

    >>> structure([1, {"a": 2}])
    ('seq', 'list', (None, ('dict', 'dict', (('a', None),))))
    """
    if isinstance(v, dict):
        return ("dict", type(v).__name__, tuple((k, structure(x)) for k, x in v.items()))
    if isinstance(v, (list, tuple)):
        return ("seq", type(v).__name__, tuple(structure(x) for x in v))
    return None


def describe(st):
    """Words for a `structure`.

    >>> describe(structure({"a": 1}))
    "dict with keys ['a']"
    """
    if st is None:
        return "a single value"
    kind, name, items = st
    if kind == "dict":
        return f"{name} with keys {[k for k, _ in items]}"
    return f"{name} of length {len(items)}"
