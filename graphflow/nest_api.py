"""`tf.nest`: TF's public functions on nested structures - `flatten`, `pack_sequence_as`,
`map_structure`, `assert_same_structure`, `is_nested` - with TF's rules: lists, tuples,
namedtuples and mappings nest (mappings flatten in sorted key order and are rebuilt in their
own order); everything else - tensors, arrays, strings, None, sets - is a leaf.

(`graphflow.nest` is the package's internal helper, whose `flatten` also returns a rebuild
function; this module is what `tf.nest` shows.)

>>> import graphflow as tf
>>> tf.nest.flatten({"b": [1, 2], "a": (3, None)})
[3, None, 1, 2]
>>> tf.nest.map_structure(lambda v: v * 10, {"x": 1, "y": [2, (3,)]})
{'x': 10, 'y': [20, (30,)]}
>>> tf.nest.pack_sequence_as(((0, 0), [0]), ["a", "b", "c"])
(('a', 'b'), ['c'])

`expand_composites=True` splits ExtensionType values into their fields' tensors, a
RaggedTensor into its flat_values and row_splits, a SparseTensor into indices, values and
dense_shape (as TF).
"""
import collections.abc as _abc

from .nest import Static

__all__ = ["flatten", "pack_sequence_as", "map_structure", "assert_same_structure", "is_nested"]


def _is_namedtuple(x):
    return isinstance(x, tuple) and hasattr(type(x), "_fields")


def is_nested(seq):
    """True if `seq` is a list, tuple (incl. namedtuple) or mapping - something `tf.nest`
    descends into; False for tensors, arrays, strings, numbers, None and sets.

    >>> is_nested([1]), is_nested({"a": 1}), is_nested("ab"), is_nested(None)
    (True, True, False, False)
    """
    return isinstance(seq, (list, tuple, _abc.Mapping))


def _sorted_keys(d):
    try:
        return sorted(d)
    except TypeError:
        raise TypeError("nest only supports dicts with sortable keys.") from None


def _children(x):
    """The direct children of a nested value, in flattening order."""
    if isinstance(x, _abc.Mapping):
        return [x[k] for k in _sorted_keys(x)]
    return list(x)


def _is_extension(x, expand):
    """An ExtensionType value that `expand_composites=True` splits into its tensors."""
    return expand and hasattr(type(x), "_gf_fields")


def _tensor_components(x, expand):
    """(component tensors, rebuild) of a RaggedTensor (flat_values, then each row_splits) or a
    SparseTensor (indices, values, dense_shape) - TF's `_to_components` order - when
    `expand_composites`; else None (duck-typed: nest sits below ragged and sparse)."""
    if not expand:
        return None
    t = type(x)
    if hasattr(x, "nested_row_splits") and hasattr(x, "flat_values"):
        return ([x.flat_values] + list(x.nested_row_splits),
                lambda c: t.from_nested_row_splits(c[0], c[1:]))
    if hasattr(x, "indices") and hasattr(x, "dense_shape") and hasattr(x, "values"):
        return [x.indices, x.values, x.dense_shape], lambda c: t(c[0], c[1], c[2])
    return None


def flatten(structure, expand_composites=False):
    """The leaves of `structure`, depth first (mappings in sorted key order); a leaf gives
    `[leaf]`. With `expand_composites`, an ExtensionType gives its fields' tensors.

    >>> flatten([1, (2, [3]), {"z": 4, "a": 5}])
    [1, 2, 3, 5, 4]
    >>> flatten(None)
    [None]
    """
    out = []

    def walk(x, in_ext=False):
        comps = _tensor_components(x, expand_composites)
        if comps is not None:
            out.extend(comps[0])
        elif _is_extension(x, expand_composites):
            for p in x._gf_components()[0]:
                walk(p, True)
        elif in_ext and isinstance(x, Static):   # static fields are not components
            return
        elif is_nested(x):
            for c in _children(x):
                walk(c, in_ext)
        else:
            out.append(x)
    walk(structure)
    return out


def _rebuild(template, children):
    """A value shaped like the nested `template` holding `children` (in flattening order)."""
    if isinstance(template, _abc.Mapping):
        by_key = dict(zip(_sorted_keys(template), children))
        items = [(k, by_key[k]) for k in template]   # the mapping's own order
        if type(template) is dict:
            return dict(items)
        if isinstance(template, _abc.MutableMapping) and hasattr(template, "default_factory"):
            out = type(template)(template.default_factory)
            out.update(items)
            return out
        return type(template)(items)
    if _is_namedtuple(template):
        return type(template)(*children)
    return type(template)(children)


def pack_sequence_as(structure, flat_sequence, expand_composites=False):
    """`flat_sequence` packed into the nesting of `structure` (the inverse of `flatten`).

    >>> pack_sequence_as({"b": 0, "a": [0, 0]}, [1, 2, 3])
    {'b': 3, 'a': [1, 2]}
    """
    flat = list(flat_sequence) if is_nested(flat_sequence) else None
    if flat is None:
        raise TypeError(f"Attempted to pack value:\n  {flat_sequence!r}\ninto a structure, but "
                        "found incompatible type `{type(flat_sequence).__name__}` instead.")
    if not is_nested(structure) and not _is_extension(structure, expand_composites) and \
            _tensor_components(structure, expand_composites) is None:
        if len(flat) != 1:
            raise ValueError(f"The target structure is of type `{type(structure).__name__}`\n  "
                             f"{structure!r}\nHowever the input is a sequence "
                             f"({type(flat_sequence).__name__}) of length {len(flat)}.\n  "
                             f"{flat_sequence!r}\nnest cannot guarantee that it is safe to map "
                             "one to the other.")
        return flat[0]
    n_leaves = len(flatten(structure, expand_composites))
    if n_leaves != len(flat):
        raise ValueError(
            f"Could not pack sequence. Structure had {n_leaves} atoms, but flat_sequence had "
            f"{len(flat)} items.  Structure: {structure!r}, flat_sequence: {flat!r}.")
    pos = [0]

    def pack(s, in_ext=False):
        comps = _tensor_components(s, expand_composites)
        if comps is not None:
            pos[0] += len(comps[0])
            return comps[1](flat[pos[0] - len(comps[0]):pos[0]])
        if _is_extension(s, expand_composites):
            parts, build = s._gf_components()
            return build([pack(p, True) for p in parts])
        if in_ext and isinstance(s, Static):
            return s
        if not is_nested(s):
            v = flat[pos[0]]
            pos[0] += 1
            return v
        return _rebuild(s, [pack(c, in_ext) for c in _children(s)])
    return pack(structure)


def _type_name(x):
    return type(x).__name__


def _same_type(a, b):
    if type(a) is type(b):
        return True
    if _is_namedtuple(a) and _is_namedtuple(b):   # same name and fields count as one type (TF)
        return type(a).__name__ == type(b).__name__ and type(a)._fields == type(b)._fields
    return isinstance(a, _abc.Mapping) and isinstance(b, _abc.Mapping)


class _Dot:   # a leaf of TF's "Entire first structure" outline
    def __repr__(self):
        return "."


_DOT = _Dot()


def assert_same_structure(nest1, nest2, check_types=True, expand_composites=False):
    """Raise ValueError if the two structures nest differently (kinds, lengths, dict keys), or
    TypeError if `check_types` and a pair of containers differ in type (list vs tuple).

    >>> assert_same_structure([1, (2, 3)], ["a", ("b", "c")])
    >>> assert_same_structure([1, 2], (1, 2))
    Traceback (most recent call last):
    ...
    TypeError: The two structures don't have the same sequence type. Input structure has type <class 'list'>, while shallow structure has type <class 'tuple'>.
    """
    def shown(x):   # TF's rendering of a structure in these messages
        return f"type={type(x).__name__} str={x}"

    def fail(detail):
        dots = [map_structure(lambda _: _DOT, n, check_types=False) for n in (nest1, nest2)]
        raise ValueError("The two structures don't have the same nested structure.\n\n"
                         f"First structure: {shown(nest1)}\n\nSecond structure: "
                         f"{shown(nest2)}\n\nMore specifically: {detail}\n"
                         f"Entire first structure:\n{dots[0]}\nEntire second structure:\n"
                         f"{dots[1]}")

    def walk(a, b):
        na, nb = is_nested(a), is_nested(b)
        if na != nb:
            fail(f"Substructure \"{shown(a)}\" is a sequence, while substructure "
                 f"\"{shown(b)}\" is not" if na else f"Substructure \"{shown(b)}\" is a "
                 f"sequence, while substructure \"{shown(a)}\" is not")
        if not na:
            return
        if check_types and not _same_type(a, b):
            raise TypeError("The two structures don't have the same sequence type. Input "
                            f"structure has type {type(a)}, while shallow structure has type "
                            f"{type(b)}.")
        if isinstance(a, _abc.Mapping) != isinstance(b, _abc.Mapping):
            fail(f"{_type_name(a)} and {_type_name(b)} are different kinds of containers")
        if isinstance(a, _abc.Mapping) and set(a) != set(b):
            fail(f"The two dictionaries don't have the same set of keys. First structure has "
                 f"keys {shown(sorted(a, key=repr))}, while second structure has keys "
                 f"{shown(sorted(b, key=repr))}")
        ca, cb = _children(a), _children(b)
        if len(ca) != len(cb):
            fail(f"The two structures don't have the same number of elements. First "
                 f"structure: {shown(a)}. Second structure: {shown(b)}")
        for x, y in zip(ca, cb):
            walk(x, y)
    walk(nest1, nest2)


def map_structure(func, *structure, **kwargs):
    """`func` applied to the leaves of the structures (which must nest alike), packed into the
    first structure's nesting. Keyword `check_types` (default True) as `assert_same_structure`.

    >>> map_structure(lambda a, b: a + b, (1, [2]), (10, [20]))
    (11, [22])
    """
    if not callable(func):
        raise TypeError(f"func must be callable, got: {func!r}")
    if not structure:
        raise ValueError("Must provide at least one structure")
    check_types = kwargs.pop("check_types", True)
    expand = kwargs.pop("expand_composites", False)
    if kwargs:
        raise ValueError(f"Only valid keyword arguments are `check_types` and "
                         f"`expand_composites`, not: `{sorted(kwargs)}`")
    for other in structure[1:]:
        assert_same_structure(structure[0], other, check_types=check_types)
    flats = [flatten(s, expand) for s in structure]
    return pack_sequence_as(structure[0], [func(*leaves) for leaves in zip(*flats)], expand)
