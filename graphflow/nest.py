"""Nested structures of values (lists, tuples, namedtuples, dicts), as `tf.nest` sees them.

>>> leaves, rebuild = flatten({"a": [1, 2], "b": (3,)})
>>> leaves, rebuild([10, 20, 30])
([1, 2, 3], {'a': [10, 20], 'b': (30,)})
"""


def _first(leaves):
    return leaves[0]


def flatten(x, expand_composites=False):
    """Nested list/tuple/dict -> (leaves, rebuild function); anything else is a leaf. With
    `expand_composites`, a composite value (one with `_gf_components`, e.g. a RaggedTensor)
    contributes its component leaves instead, as TF's `expand_composites=True`."""
    if expand_composites and hasattr(type(x), "_gf_components"):
        comps, build = x._gf_components()
        leaves, rebuild_comps = flatten(list(comps), True)
        return leaves, lambda ls: build(rebuild_comps(ls))
    if isinstance(x, dict):
        keys = list(x)
        parts = [flatten(x[k], expand_composites) for k in keys]
        sizes = [len(p[0]) for p in parts]

        def rebuild(leaves):
            out, i = {}, 0
            for k, (_, rb), n in zip(keys, parts, sizes):
                out[k] = rb(leaves[i:i + n])
                i += n
            return type(x)(out) if type(x) is not dict else out
        return [leaf for p in parts for leaf in p[0]], rebuild
    if isinstance(x, (list, tuple)):
        parts = [flatten(v, expand_composites) for v in x]
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
    if hasattr(type(v), "_gf_components"):   # a composite: its type and its parts' nesting
        return ("composite", getattr(v, "_gf_kind", type(v).__name__),
                structure(list(v._gf_components()[0])))
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


class Static:
    """A value that is part of a composite's structure rather than data (e.g. ragged row
    splits): a hashable leaf compared by value, so a trace keyed by it retraces when it changes.

    >>> import numpy as np
    >>> Static(np.array([0, 2])) == Static(np.array([0, 2])), Static((3, 4)).value
    (True, (3, 4))
    """

    __slots__ = ("value", "_key")

    def __init__(self, value):
        self.value = value
        v = value
        self._key = (v.dtype.str, v.shape, v.tobytes()) if hasattr(v, "tobytes") else v

    def __hash__(self):
        return hash(self._key)

    def __eq__(self, other):
        return isinstance(other, Static) and self._key == other._key

    def __repr__(self):
        v = self.value
        return f"Static({v.tolist() if hasattr(v, 'tolist') else v!r})"


class Components:
    """A composite value's parts when they are not values (e.g. the TensorSpecs a traced
    signature keeps): it flattens like the composite it stands for.

    >>> c = Components("RaggedTensor", [1, Static((0, 1))], list)
    >>> flatten(c, expand_composites=True)[0], structure(c)[1]
    ([1, Static((0, 1))], 'RaggedTensor')
    """

    def __init__(self, kind, parts, build):
        self._gf_kind, self.parts, self._build = kind, list(parts), build

    def _gf_components(self):
        return self.parts, self._build

    def __repr__(self):
        return f"<{self._gf_kind} parts {self.parts}>"
