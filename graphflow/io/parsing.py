"""Parsing ops of `tf.io`: `tf.train.Example` records by a feature description
(`FixedLenFeature`, `VarLenFeature`, `FixedLenSequenceFeature`, `RaggedFeature`) with
`parse_single_example` / `parse_example`, and CSV records with `decode_csv`.

>>> import graphflow as tf
>>> ex = tf.train.Example(features=tf.train.Features(feature={
...     "a": tf.train.Feature(int64_list=tf.train.Int64List(value=[1, 2]))}))
>>> out = tf.io.parse_single_example(ex.SerializeToString(),
...                                  {"a": tf.io.FixedLenFeature([2], tf.int64),
...                                   "b": tf.io.FixedLenFeature([], tf.float32, default_value=0.5)})
>>> out["a"].numpy().tolist(), float(out["b"])
([1, 2], 0.5)
>>> [t.numpy().tolist() for t in tf.io.decode_csv(["1,x", "2,"], [[0], ["?"]])]
[[1, 2], [b'x', b'?']]
"""
import collections

import numpy as np

from .. import dtypes as _dt
from ..lazy import lazy_module
from ..errors import InvalidArgumentError, user_source

csv = lazy_module("csv")       # (at the first decode_csv)
from ..ragged import RaggedTensor
from ..sparse import SparseTensor
from ..tensor import Tensor, bytes_array, convert_to_tensor
from .proto import DecodeError, Example, Features, SequenceExample

__all__ = ["FixedLenFeature", "VarLenFeature", "FixedLenSequenceFeature", "RaggedFeature",
           "parse_example", "parse_single_example", "parse_single_sequence_example",
           "decode_csv", "split_csv_line",
           "convert_csv_field", "csv_defaults"]


class FixedLenFeature(collections.namedtuple("FixedLenFeature", "shape dtype default_value")):
    """A feature with a fixed number of values, parsed to a dense tensor of `shape`; without a
    `default_value` it is required."""

    def __new__(cls, shape, dtype, default_value=None):
        return super().__new__(cls, shape, dtype, default_value)


class VarLenFeature(collections.namedtuple("VarLenFeature", "dtype")):
    """A feature with any number of values, parsed to a `SparseTensor`."""


class FixedLenSequenceFeature(collections.namedtuple(
        "FixedLenSequenceFeature", "shape dtype allow_missing default_value")):
    """Any number of values in steps of `shape`, parsed to a dense [steps, *shape] tensor
    (padded with `default_value` across a batch)."""

    def __new__(cls, shape, dtype, allow_missing=False, default_value=None):
        return super().__new__(cls, shape, dtype, allow_missing, default_value)


class RaggedFeature(collections.namedtuple(
        "RaggedFeature", "dtype value_key partitions row_splits_dtype validate")):
    """Any number of values, parsed to a `RaggedTensor` row per example (no partitions)."""

    def __new__(cls, dtype, value_key=None, partitions=(), row_splits_dtype=_dt.int64,
                validate=False):
        if partitions:
            raise NotImplementedError("RaggedFeature: partitions are not implemented")
        return super().__new__(cls, dtype, value_key, partitions, row_splits_dtype, validate)


_KIND = {"float32": "float_list", "int64": "int64_list", "string": "bytes_list"}


def _shape(s):
    if s is None:
        return ()
    if isinstance(s, int):
        return (s,)
    return tuple(int(d) for d in (s.as_list() if hasattr(s, "as_list") else s))


def _serialized_list(serialized, what):
    v = serialized.numpy() if isinstance(serialized, Tensor) else serialized
    arr = np.asarray(v if not isinstance(v, (bytes, str)) else np.array(v, dtype=object),
                     dtype=object)
    return arr, [bytes(x) if not isinstance(x, str) else x.encode() for x in arr.reshape(-1)]


def _values_of(example, key, dtype, what, index):
    """The values of feature `key` in `example` as a numpy array of `dtype`, or None."""
    fmap = example.features.feature
    if key not in fmap:
        return None
    feat = fmap[key]
    kind = feat.WhichOneof("kind")
    if kind is None:
        return np.zeros(0, dtype.np) if dtype != _dt.string else np.empty(0, object)
    want = _KIND[dtype.name]
    if kind != want:
        raise InvalidArgumentError(
            f"{what}: feature {key!r} of example {index} holds {kind} values, but the feature "
            f"description asks for {dtype.name} ({want})")
    vals = getattr(feat, kind).value
    if dtype == _dt.string:
        out = np.empty(len(vals), dtype=object)
        out[:] = list(vals)
        return out
    return np.asarray(vals, dtype.np)


def _dtype(spec, key, what):
    dt = _dt.as_dtype(spec.dtype)
    if dt.name not in _KIND:
        raise InvalidArgumentError(f"{what}: feature {key!r} has dtype {dt.name}; Example "
                                   "features are float32, int64 or string")
    return dt


def _default(spec, dt, shape, key, what):
    if spec.default_value is None:
        return None
    d = np.asarray(spec.default_value.numpy() if isinstance(spec.default_value, Tensor)
                   else spec.default_value)
    if dt == _dt.string:
        d = bytes_array(d)
    else:
        d = d.astype(dt.np)
    size = int(np.prod(shape))
    if d.size == 1:
        return np.broadcast_to(d.reshape(()), shape).copy()
    if d.size != size:
        raise InvalidArgumentError(f"{what}: the default_value of feature {key!r} has "
                                   f"{d.size} values; its shape {list(shape)} needs {size}")
    return d.reshape(shape)


def _tensor(arr, dt):
    return convert_to_tensor(arr if dt != _dt.string else bytes_array(arr), dt)


def parse_example(serialized, features, example_names=None, name=None, _single=False):
    """Parse a batch (a 1-D string tensor) of serialized `tf.train.Example`s into a dict of
    tensors: `FixedLenFeature` -> dense [batch, *shape]; `VarLenFeature` -> SparseTensor
    [batch, max count]; `FixedLenSequenceFeature` -> dense [batch, max steps, *shape];
    `RaggedFeature` -> RaggedTensor [batch, None].

    >>> import graphflow as tf
    >>> def ex(v):
    ...     return tf.train.Example(features=tf.train.Features(feature={
    ...         "v": tf.train.Feature(float_list=tf.train.FloatList(value=v))})).SerializeToString()
    >>> out = tf.io.parse_example([ex([1.]), ex([2., 3.])], {"v": tf.io.VarLenFeature(tf.float32)})
    >>> out["v"].indices.numpy().tolist(), out["v"].values.numpy().tolist()
    ([[0, 0], [1, 0], [1, 1]], [1.0, 2.0, 3.0])
    """
    what = ("tf.io.parse_single_example" if _single else "tf.io.parse_example") + \
        f" (called at {user_source()})"
    arr, records = _serialized_list(serialized, what)
    if not _single and arr.ndim != 1:
        raise InvalidArgumentError(f"{what}: serialized must be a vector of strings, got shape "
                                   f"{list(arr.shape)} (use parse_single_example for a scalar)")
    examples = []
    for i, r in enumerate(records):
        try:
            examples.append(Example.FromString(r))
        except (DecodeError, UnicodeDecodeError) as e:
            raise InvalidArgumentError(f"{what}: could not parse example {i} as a "
                                       f"tf.train.Example: {e}") from None
    n = len(examples)
    out = {}
    for key, spec in features.items():
        dt = _dtype(spec, key, what)
        vals = [_values_of(e, key, dt, what, i) for i, e in enumerate(examples)]
        if isinstance(spec, FixedLenFeature):
            shape = _shape(spec.shape)
            size = int(np.prod(shape))
            default = _default(spec, dt, shape, key, what)
            rows = []
            for i, v in enumerate(vals):
                if v is None:
                    if default is None:
                        raise InvalidArgumentError(
                            f"{what}: feature {key!r} (data type: {dt.name}) is required but "
                            f"could not be found in example {i}")
                    rows.append(default)
                elif v.size != size:
                    raise InvalidArgumentError(
                        f"{what}: feature {key!r} of example {i} has {v.size} values; its "
                        f"FixedLenFeature shape {list(shape)} needs {size}")
                else:
                    rows.append(v.reshape(shape))
            stacked = np.stack(rows) if rows else np.zeros((0,) + shape, object if
                                                           dt == _dt.string else dt.np)
            out[key] = _tensor(stacked, dt)
        elif isinstance(spec, VarLenFeature):
            idx, values, longest = [], [], 0
            for i, v in enumerate(vals):
                m = 0 if v is None else v.size
                idx += [[i, j] for j in range(m)]
                if m:
                    values.append(v)
                longest = max(longest, m)
            allv = np.concatenate(values) if values else np.zeros(0, object if dt == _dt.string
                                                                  else dt.np)
            out[key] = SparseTensor(np.asarray(idx, np.int64).reshape(-1, 2), _tensor(allv, dt),
                                    [n, longest])
        elif isinstance(spec, FixedLenSequenceFeature):
            shape = _shape(spec.shape)
            size = max(int(np.prod(shape)), 1)
            pad = _default(spec, dt, shape, key, what) if spec.default_value is not None else \
                np.full(shape, b"" if dt == _dt.string else 0, object if dt == _dt.string
                        else dt.np)
            rows = []
            for i, v in enumerate(vals):
                if v is None:
                    if not spec.allow_missing:
                        raise InvalidArgumentError(
                            f"{what}: feature {key!r} (data type: {dt.name}) is required but "
                            f"could not be found in example {i} (FixedLenSequenceFeature "
                            "without allow_missing=True)")
                    v = pad.reshape(-1)[:0]
                if v.size % size:
                    raise InvalidArgumentError(
                        f"{what}: feature {key!r} of example {i} has {v.size} values, not a "
                        f"multiple of its step shape {list(shape)}")
                rows.append(v.reshape((-1,) + shape))
            steps = max([r.shape[0] for r in rows], default=0)
            full = np.empty((n, steps) + shape, object if dt == _dt.string else dt.np)
            full[...] = pad
            for i, r in enumerate(rows):
                full[i, :r.shape[0]] = r
            out[key] = _tensor(full, dt)
        elif isinstance(spec, RaggedFeature):
            rows = [np.zeros(0, object if dt == _dt.string else dt.np) if v is None else v
                    for v in vals]
            splits = np.concatenate([[0], np.cumsum([r.size for r in rows])]).astype(
                _dt.as_dtype(spec.row_splits_dtype).np)
            flat = np.concatenate(rows) if rows else rows
            out[key] = RaggedTensor.from_row_splits(_tensor(flat, dt), splits)
        else:
            raise TypeError(f"{what}: unsupported feature description for {key!r}: {spec!r}")
    return out


def parse_single_example(serialized, features, example_names=None, name=None):
    """Parse one serialized `tf.train.Example` (a scalar string) into a dict of tensors, as
    `parse_example` without the batch dimension (a VarLenFeature gives a 1-D SparseTensor,
    a RaggedFeature a 1-D tensor).

    >>> import graphflow as tf
    >>> ex = tf.train.Example()
    >>> ex.features.feature["s"].bytes_list.value.append(b"cat")
    >>> tf.io.parse_single_example(ex.SerializeToString(),
    ...                            {"s": tf.io.FixedLenFeature([], tf.string)})["s"].numpy()
    b'cat'
    """
    arr, _ = _serialized_list(serialized, "tf.io.parse_single_example")
    if arr.size != 1 or arr.ndim > 1:
        raise InvalidArgumentError("tf.io.parse_single_example: serialized must be one string "
                                   f"(a scalar), got shape {list(arr.shape)}")
    batched = parse_example(arr.reshape(-1), features, _single=True)
    out = {}
    for key, v in batched.items():
        if isinstance(v, SparseTensor):
            out[key] = SparseTensor(v.indices.numpy()[:, 1:], v.values, v.dense_shape.numpy()[1:])
        elif isinstance(v, RaggedTensor):
            out[key] = v.flat_values if hasattr(v, "flat_values") else v.values
        else:
            out[key] = convert_to_tensor(v.numpy()[0], v.dtype)
    return out


def parse_single_sequence_example(serialized, context_features=None, sequence_features=None,
                                  example_name=None, name=None):
    """Parse one serialized `tf.train.SequenceExample` into (context dict, sequence dict):
    context features as in `parse_single_example`; per sequence feature (a FeatureList of
    steps) a `FixedLenSequenceFeature` gives a dense [steps, *shape] tensor and a
    `VarLenFeature` a SparseTensor [steps, longest step].

    >>> import graphflow as tf
    >>> se = tf.train.SequenceExample()
    >>> se.context.feature["id"].int64_list.value.append(7)
    >>> for tok in [[1, 2], [3]]:
    ...     se.feature_lists.feature_list["tok"].feature.add().int64_list.value.extend(tok)
    >>> ctx, seq = tf.io.parse_single_sequence_example(
    ...     se.SerializeToString(), {"id": tf.io.FixedLenFeature([], tf.int64)},
    ...     {"tok": tf.io.VarLenFeature(tf.int64)})
    >>> int(ctx["id"]), tf.sparse.to_dense(seq["tok"]).numpy().tolist()
    (7, [[1, 2], [3, 0]])
    """
    what = f"tf.io.parse_single_sequence_example (called at {user_source()})"
    arr, records = _serialized_list(serialized, what)
    if len(records) != 1:
        raise InvalidArgumentError(f"{what}: serialized must be one string, got shape "
                                   f"{list(arr.shape)}")
    try:
        se = SequenceExample.FromString(records[0])
    except (DecodeError, UnicodeDecodeError) as e:
        raise InvalidArgumentError(f"{what}: could not parse a tf.train.SequenceExample: {e}") \
            from None
    context = {}
    if context_features:
        ctx = Example(features=se.context).SerializeToString()
        context = parse_single_example(ctx, context_features)
    sequences = {}
    lists = se.feature_lists.feature_list
    for key, spec in (sequence_features or {}).items():
        dt = _dtype(spec, key, what)
        steps = []
        if key in lists:
            for t, feat in enumerate(lists[key].feature):
                steps.append(_values_of(Example(features=Features(feature={key: feat})), key,
                                        dt, what, t))
        elif isinstance(spec, FixedLenSequenceFeature) and not spec.allow_missing:
            raise InvalidArgumentError(f"{what}: sequence feature {key!r} (data type: "
                                       f"{dt.name}) is required but could not be found")
        empty = np.zeros(0, object if dt == _dt.string else dt.np)
        if isinstance(spec, VarLenFeature):
            idx = [[t, j] for t, v in enumerate(steps) for j in range(v.size)]
            longest = max([v.size for v in steps], default=0)
            vals = np.concatenate(steps) if steps else empty
            sequences[key] = SparseTensor(np.asarray(idx, np.int64).reshape(-1, 2),
                                          _tensor(vals, dt), [len(steps), longest])
        elif isinstance(spec, FixedLenSequenceFeature):
            shape = _shape(spec.shape)
            size = int(np.prod(shape))
            for t, v in enumerate(steps):
                if v.size != size:
                    raise InvalidArgumentError(f"{what}: step {t} of sequence feature {key!r} "
                                               f"has {v.size} values; its shape {list(shape)} "
                                               f"needs {size}")
            full = np.stack([v.reshape(shape) for v in steps]) if steps else \
                empty.reshape((0,) + shape)
            sequences[key] = _tensor(full, dt)
        else:
            raise TypeError(f"{what}: sequence feature {key!r} must be a "
                            f"FixedLenSequenceFeature or VarLenFeature, got {spec!r}")
    return context, sequences


# ------------------------------------------------------------------------------------ CSV
def split_csv_line(line, field_delim=",", use_quote_delim=True, what="tf.io.decode_csv"):
    """The fields of one CSV record (bytes) as a list of bytes; quotes ("...", with "" for a
    quote inside) are removed when `use_quote_delim`."""
    text = line.decode("utf-8") if isinstance(line, bytes) else line
    delim = field_delim.decode() if isinstance(field_delim, bytes) else field_delim
    if use_quote_delim:
        try:
            rows = list(csv.reader([text], delimiter=delim, quotechar='"', strict=True))
        except csv.Error as e:
            raise InvalidArgumentError(f"{what}: malformed CSV record {line!r}: {e}") from None
        fields = rows[0] if rows else [""]
    else:
        fields = text.split(delim)
    return [f.encode("utf-8") for f in fields]


def csv_defaults(record_defaults, what):
    """(dtypes, default values (None for a required column)) of `record_defaults`: per column a
    DType (required), or a value / one-element list / tensor (its default; empty: required)."""
    dts, defaults = [], []
    for i, d in enumerate(record_defaults):
        if isinstance(d, (_dt.DType, type)) or (isinstance(d, str) and d in (
                "int32", "int64", "float32", "float64", "string")):
            dts.append(_dt.as_dtype(d))
            defaults.append(None)
            continue
        t = d if isinstance(d, Tensor) else convert_to_tensor(d)
        v = np.asarray(t.numpy()).reshape(-1)
        if v.size > 1:
            raise InvalidArgumentError(f"{what}: record_defaults[{i}] must have at most one "
                                       f"value, got {v.size}")
        if t.dtype.name not in ("int32", "int64", "float32", "float64", "string"):
            raise InvalidArgumentError(f"{what}: record_defaults[{i}] has dtype {t.dtype.name}; "
                                       "CSV columns are int32, int64, float32, float64 or string")
        dts.append(t.dtype)
        defaults.append(v[0] if v.size else None)
    return dts, defaults


def convert_csv_field(field, dt, default, col, line, na_value, what):
    """One CSV field (bytes) as a value of `dt` (the default when empty or `na_value`)."""
    na = na_value.encode() if isinstance(na_value, str) else na_value
    if field == b"" or (na and field == na):
        if default is None:
            raise InvalidArgumentError(f"{what}: field {col} is required but missing in record "
                                       f"{line!r}")
        return default
    try:
        if dt == _dt.string:
            return field
        if dt.name in ("int32", "int64"):
            v = int(field)
            info = np.iinfo(dt.np)
            if not info.min <= v <= info.max:
                raise ValueError(f"out of range for {dt.name}")
            return v
        return float(field)
    except ValueError:
        raise InvalidArgumentError(f"{what}: field {col} in record {line!r} is not a valid "
                                   f"{dt.name}: {field!r}") from None


def decode_csv(records, record_defaults, field_delim=",", use_quote_delim=True, name=None,
               na_value="", select_cols=None):
    """Parse CSV records (a string tensor of any shape) into one tensor per column, each of
    the records' shape, with the dtype of its `record_defaults` entry (a value, or an empty
    list for a required column); `select_cols` picks the (sorted) columns to return.

    >>> import graphflow as tf
    >>> a, b = tf.io.decode_csv(tf.constant(['1,"x,y"', '2,z']), [tf.int32, tf.string])
    >>> a.numpy().tolist(), b.numpy().tolist()
    ([1, 2], [b'x,y', b'z'])
    """
    what = f"tf.io.decode_csv (called at {user_source()})"
    arr = np.asarray(records.numpy() if isinstance(records, Tensor) else
                     bytes_array(np.asarray(records, dtype=object)), dtype=object)
    dts, defaults = csv_defaults(record_defaults, what)
    if select_cols is not None:
        select_cols = [int(c) for c in select_cols]
        if sorted(set(select_cols)) != select_cols:
            raise InvalidArgumentError(f"{what}: select_cols must be sorted and unique, got "
                                       f"{select_cols}")
        if len(select_cols) != len(dts):
            raise InvalidArgumentError(f"{what}: {len(select_cols)} select_cols but "
                                       f"{len(dts)} record_defaults")
    cols = [np.empty(arr.shape, dtype=object) for _ in dts]
    for idx, line in np.ndenumerate(arr):
        fields = split_csv_line(line, field_delim, use_quote_delim, what)
        if select_cols is not None:
            if select_cols and select_cols[-1] >= len(fields):
                raise InvalidArgumentError(f"{what}: record {line!r} has {len(fields)} fields; "
                                           f"select_cols asks for column {select_cols[-1]}")
            fields = [fields[c] for c in select_cols]
        elif len(fields) != len(dts):
            raise InvalidArgumentError(f"{what}: expect {len(dts)} fields but have "
                                       f"{len(fields)} in record {line!r}")
        for c, (f, dt, d) in enumerate(zip(fields, dts, defaults)):
            cols[c][idx] = convert_csv_field(f, dt, d, c, line, na_value, what)
    return [convert_to_tensor(bytes_array(c) if dt == _dt.string else c.astype(dt.np), dt)
            for c, dt in zip(cols, dts)]
