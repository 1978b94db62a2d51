"""File-reading datasets: `TextLineDataset`, `TFRecordDataset`, `FixedLengthRecordDataset`,
`CsvDataset` and `make_csv_dataset`, plus `tf.data.experimental.TFRecordWriter`.

`filenames` may be a string, a list of strings, a string tensor or a Dataset of file names;
files are read one after another (or `num_parallel_reads` at a time, interleaved one record
from each in turn, as TF). `compression_type` is "", "GZIP" or "ZLIB".

>>> import graphflow as tf, os, tempfile
>>> d = tempfile.mkdtemp()
>>> with open(os.path.join(d, "a.csv"), "w") as f:
...     _ = f.write("x,name\\n1,cat\\n2,dog\\n")
>>> [l.decode() for l in tf.data.TextLineDataset(os.path.join(d, "a.csv")).skip(1)
...  .as_numpy_iterator()]
['1,cat', '2,dog']
>>> [(int(x), n.numpy()) for x, n in tf.data.experimental.CsvDataset(
...     os.path.join(d, "a.csv"), [tf.int32, tf.string], header=True)]
[(1, b'cat'), (2, b'dog')]
"""
import collections
import os

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..io import files as _files
from ..io import parsing as _parsing
from ..io import tfrecord as _tfrecord
from ..tensor import Tensor, TensorSpec, bytes_array, convert_to_tensor
from .dataset import INFINITE_CARDINALITY, UNKNOWN_CARDINALITY, Dataset

__all__ = ["TextLineDataset", "TFRecordDataset", "FixedLengthRecordDataset", "CsvDataset",
           "make_csv_dataset", "TFRecordWriter", "make_batched_features_dataset",
           "parse_example_dataset"]


def _file_names(filenames, what):
    """A list of file paths (str) from the ways TF accepts them."""
    if isinstance(filenames, Dataset):
        return [_files.as_path(f, what) for f in filenames]
    if isinstance(filenames, Tensor):
        filenames = filenames.numpy()
    if isinstance(filenames, (str, bytes, os.PathLike)) or np.ndim(filenames) == 0:
        filenames = [filenames]
    names = [_files.as_path(f, what) for f in np.asarray(filenames, dtype=object).reshape(-1)]
    if not names:
        raise InvalidArgumentError(f"{what}: no file names given")
    return names


def _string(b):
    return convert_to_tensor(bytes_array(np.array(b, dtype=object)), _dt.string)


class _FileDataset(Dataset):
    """A dataset that reads its files with `records(path)`, one after another or interleaved
    `num_parallel_reads` at a time."""

    def __init__(self, filenames, what, records, spec, num_parallel_reads=None):
        names = _file_names(filenames, what)
        self._filenames = names
        if num_parallel_reads is None or int(num_parallel_reads) in (0, 1):
            def make():
                for n in names:
                    yield from records(n)
        else:
            cycle = os.cpu_count() or 1 if int(num_parallel_reads) < 0 else int(num_parallel_reads)
            inner = Dataset(lambda: iter(names), len(names)).interleave(
                lambda n: Dataset(lambda: records(n)), cycle_length=cycle, block_length=1)

            def make():
                return inner._make()
        super().__init__(make, UNKNOWN_CARDINALITY, spec)
        self._tf_class = type(self).__name__ + "V2"   # TF's class: TFRecordDatasetV2, ...


class TextLineDataset(_FileDataset):
    """The lines of text files, as scalar strings without their line ending ("\\n" or
    "\\r\\n"); a last line without a newline counts, an empty file has no lines.

    >>> import graphflow as tf, os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "t.txt")
    >>> tf.io.write_file(p, "a\\r\\nb\\n\\nc")
    >>> list(tf.data.TextLineDataset(p).as_numpy_iterator())
    [b'a', b'b', b'', b'c']
    """

    def __init__(self, filenames, compression_type=None, buffer_size=None,
                 num_parallel_reads=None, name=None):
        comp = _tfrecord.compression_of(compression_type)

        def records(path):
            data = _tfrecord.open_read(path, comp, "TextLineDataset")
            lines = data.split(b"\n")
            if lines and lines[-1] == b"":
                lines.pop()
            for line in lines:
                yield _string(line[:-1] if line.endswith(b"\r") else line)
        super().__init__(filenames, "TextLineDataset", records, TensorSpec((), _dt.string),
                         num_parallel_reads)


class TFRecordDataset(_FileDataset):
    """The records of TFRecord files, as scalar strings (checksums verified: a corrupted
    record raises `tf.errors.DataLossError`).

    >>> import graphflow as tf, os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "r.tfrecord")
    >>> with tf.io.TFRecordWriter(p) as w:
    ...     w.write(b"first"); w.write(b"second")
    >>> list(tf.data.TFRecordDataset([p]).as_numpy_iterator())
    [b'first', b'second']
    """

    def __init__(self, filenames, compression_type=None, buffer_size=None,
                 num_parallel_reads=None, name=None):
        comp = _tfrecord.compression_of(compression_type)

        def records(path):
            for r in _tfrecord.read_records(path, comp):
                yield _string(r)
        super().__init__(filenames, "TFRecordDataset", records, TensorSpec((), _dt.string),
                         num_parallel_reads)


class FixedLengthRecordDataset(_FileDataset):
    """Records of `record_bytes` bytes from binary files (after `header_bytes`, before
    `footer_bytes`), as scalar strings.

    >>> import graphflow as tf, os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "r.bin")
    >>> tf.io.write_file(p, b"HHabcdefF")
    >>> list(tf.data.FixedLengthRecordDataset(p, 3, header_bytes=2, footer_bytes=1)
    ...      .as_numpy_iterator())
    [b'abc', b'def']
    """

    def __init__(self, filenames, record_bytes, header_bytes=None, footer_bytes=None,
                 buffer_size=None, compression_type=None, num_parallel_reads=None, name=None):
        comp = _tfrecord.compression_of(compression_type)
        size, head, foot = int(record_bytes), int(header_bytes or 0), int(footer_bytes or 0)

        def records(path):
            data = _tfrecord.open_read(path, comp, "FixedLengthRecordDataset")
            body = data[head:len(data) - foot]
            if len(body) % size:
                raise InvalidArgumentError(
                    f"FixedLengthRecordDataset: {path} has {len(body)} bytes between header and "
                    f"footer, not a multiple of record_bytes={size}")
            for i in range(0, len(body), size):
                yield _string(body[i:i + size])
        super().__init__(filenames, "FixedLengthRecordDataset", records,
                         TensorSpec((), _dt.string), num_parallel_reads)


def _csv_records(path, comp, header, what):
    data = _tfrecord.open_read(path, comp, what)
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    lines = [line[:-1] if line.endswith(b"\r") else line for line in lines]
    return lines[1:] if header else lines


class CsvDataset(_FileDataset):
    """The records of CSV files as tuples of scalars, one per column (or per `select_cols`),
    typed by `record_defaults`: per column a dtype (required) or a default value (used for
    empty fields and `na_value`). `header=True` skips each file's first line; empty lines are
    skipped.

    >>> import graphflow as tf, os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "m.csv")
    >>> tf.io.write_file(p, "1,2,3,4\\n,5,,6\\n")
    >>> [tuple(int(v) for v in r) for r in tf.data.experimental.CsvDataset(
    ...     p, [[0]] * 2, select_cols=[1, 3])]
    [(2, 4), (5, 6)]
    """

    def __init__(self, filenames, record_defaults, compression_type=None, buffer_size=None,
                 header=False, field_delim=",", use_quote_delim=True, na_value="",
                 select_cols=None, exclude_cols=None, name=None):
        what = "CsvDataset"
        comp = _tfrecord.compression_of(compression_type)
        dts, defaults = _parsing.csv_defaults(record_defaults, what)
        if select_cols is not None and exclude_cols is not None:
            raise ValueError("CsvDataset: give select_cols or exclude_cols, not both")
        select = None if select_cols is None else [int(c) for c in select_cols]
        exclude = None if exclude_cols is None else {int(c) for c in exclude_cols}

        def records(path):
            for line in _csv_records(path, comp, header, what):
                if not line.strip():
                    continue
                fields = _parsing.split_csv_line(line, field_delim, use_quote_delim, what)
                if select is not None:
                    if select and select[-1] >= len(fields):
                        raise InvalidArgumentError(f"{what}: record {line!r} of {path} has "
                                                   f"{len(fields)} fields; select_cols asks "
                                                   f"for column {select[-1]}")
                    fields = [fields[c] for c in select]
                elif exclude is not None:
                    fields = [f for c, f in enumerate(fields) if c not in exclude]
                if len(fields) != len(dts):
                    raise InvalidArgumentError(f"{what}: expect {len(dts)} fields but have "
                                               f"{len(fields)} in record {line!r} of {path}")
                out = []
                for c, (f, dt, d) in enumerate(zip(fields, dts, defaults)):
                    v = _parsing.convert_csv_field(f, dt, d, c, line, na_value, what)
                    out.append(_string(v) if dt == _dt.string else
                               convert_to_tensor(np.asarray(v, dt.np), dt))
                yield tuple(out)
        super().__init__(filenames, what, records, tuple(TensorSpec((), dt) for dt in dts))


_INFER = [(_dt.int32, lambda s: np.iinfo(np.int32).min <= int(s) <= np.iinfo(np.int32).max),
          (_dt.int64, lambda s: np.iinfo(np.int64).min <= int(s) <= np.iinfo(np.int64).max),
          (_dt.float32, lambda s: abs(float(s)) <= np.finfo(np.float32).max),
          (_dt.float64, lambda s: float(s) is not None),
          (_dt.string, lambda s: True)]


def _infer_type(value, na_value, prev):
    """TF's CSV type inference: the first of int32, int64, float32, float64, string that
    parses this value and every earlier one."""
    if value in (b"", na_value):
        return prev
    start = 0 if prev is None else [d for d, _ in _INFER].index(prev)
    for dt, ok in _INFER[start:]:
        try:
            if ok(value):
                return dt
        except ValueError:
            continue
    return _dt.string


def make_csv_dataset(file_pattern, batch_size, column_names=None, column_defaults=None,
                     label_name=None, select_columns=None, field_delim=",",
                     use_quote_delim=True, na_value="", header=True, num_epochs=None,
                     shuffle=True, shuffle_buffer_size=10000, shuffle_seed=None,
                     prefetch_buffer_size=None, num_parallel_reads=None, sloppy=False,
                     num_rows_for_inference=100, compression_type=None, ignore_errors=False,
                     encoding="utf-8"):
    """Batches of CSV records as `(features, label)` (or just `features` without
    `label_name`): `features` an OrderedDict of column name -> tensor [batch]. Column names
    come from the header (or `column_names`), dtypes from `column_defaults` or are inferred
    from the first rows as TF does (int32, int64, float32, float64, string). Records are
    shuffled (`shuffle`) and repeated `num_epochs` times (None: forever; then the last,
    partial batch is dropped, as TF).

    >>> import graphflow as tf, os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "t.csv")
    >>> tf.io.write_file(p, "survived,fare,class\\n0,7.25,Third\\n1,71.3,First\\n")
    >>> feats, label = next(iter(tf.data.experimental.make_csv_dataset(
    ...     p, batch_size=2, label_name="survived", shuffle=False, num_epochs=1)))
    >>> list(feats), feats["fare"].numpy().tolist(), label.numpy().tolist()
    (['fare', 'class'], [7.25, 71.30000305175781], [0, 1])
    """
    what = "make_csv_dataset"
    comp = _tfrecord.compression_of(compression_type)
    names = sorted(n.decode() for n in _files.matching_files(file_pattern).numpy().tolist())
    if not names:
        raise InvalidArgumentError(f"{what}: no files match {file_pattern!r}")
    na = na_value.encode() if isinstance(na_value, str) else na_value
    first = _csv_records(names[0], comp, False, what)
    if column_names is None:
        if not header:
            raise ValueError(f"{what}: without a header, column_names must be given")
        column_names = [f.decode(encoding) for f in
                        _parsing.split_csv_line(first[0], field_delim, use_quote_delim, what)]
    column_names = list(column_names)
    if len(set(column_names)) != len(column_names):
        raise ValueError(f"{what}: column names must be unique, got {column_names}")
    cols = list(range(len(column_names)))
    if select_columns is not None:
        sel = list(select_columns)
        if all(isinstance(c, (int, np.integer)) for c in sel):
            cols = sorted(int(c) for c in sel)
        else:
            missing = [c for c in sel if c not in column_names]
            if missing:
                raise ValueError(f"{what}: select_columns {missing} are not columns "
                                 f"{column_names}")
            cols = sorted(column_names.index(c) for c in sel)
    picked = [column_names[c] for c in cols]
    if label_name is not None and label_name not in picked:
        raise ValueError(f"{what}: label_name {label_name!r} is not among the columns {picked}")
    if column_defaults is None:
        types = [None] * len(cols)
        rows = first[1:] if header else first
        for line in rows[:num_rows_for_inference]:
            fields = _parsing.split_csv_line(line, field_delim, use_quote_delim, what)
            for j, c in enumerate(cols):
                if c < len(fields):
                    types[j] = _infer_type(fields[c], na, types[j])
        column_defaults = [t if t is not None else _dt.string for t in types]
    elif select_columns is not None and len(column_defaults) == len(column_names):
        column_defaults = [column_defaults[c] for c in cols]
    # inferred columns are required (as TF); a value default fills empty fields
    files = Dataset.from_tensor_slices(_string(np.array(names, dtype=object)))
    if shuffle:
        files = files.shuffle(len(names), seed=shuffle_seed)
    cycle = 1 if num_parallel_reads is None else int(num_parallel_reads)
    ds = files.interleave(
        lambda f: CsvDataset(f, column_defaults, comp, header=header, field_delim=field_delim,
                             use_quote_delim=use_quote_delim, na_value=na_value,
                             select_cols=cols),
        cycle_length=max(cycle, 1))
    if ignore_errors:
        ds = ds.ignore_errors()
    if shuffle:
        ds = ds.shuffle(shuffle_buffer_size, seed=shuffle_seed)
    if num_epochs != 1:
        ds = ds.repeat(num_epochs)
    ds = ds.batch(batch_size, drop_remainder=num_epochs is None)

    def to_dict(*columns):
        feats = collections.OrderedDict(zip(picked, columns))
        if label_name is None:
            return feats
        label = feats.pop(label_name)
        return feats, label

    def make():
        for batch in ds._make():
            yield to_dict(*batch)
    card = INFINITE_CARDINALITY if num_epochs is None else UNKNOWN_CARDINALITY
    return Dataset(make, card, lambda: to_dict(*ds.element_spec))   # batch dim None unless
    #                                                                  batches drop remainders


def make_batched_features_dataset(file_pattern, batch_size, features, reader=None,
                                  label_key=None, reader_args=None, num_epochs=None,
                                  shuffle=True, shuffle_buffer_size=10000, shuffle_seed=None,
                                  prefetch_buffer_size=None, reader_num_threads=None,
                                  parser_num_threads=None, sloppy_ordering=False,
                                  drop_final_batch=False):
    """Batches of `tf.train.Example`s from TFRecord files parsed by the feature description
    `features` (a dict, as `tf.io.parse_example`): dicts of [batch, ...] tensors, or
    `(features, label)` with `label_key`. Files and records are shuffled unless
    `shuffle=False`; `num_epochs=None` repeats forever.

    >>> import graphflow as tf, os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "e.tfrecord")
    >>> with tf.io.TFRecordWriter(p) as w:
    ...     for i in range(3):
    ...         ex = tf.train.Example()
    ...         ex.features.feature["x"].float_list.value.append(i / 2)
    ...         ex.features.feature["y"].int64_list.value.append(i)
    ...         w.write(ex.SerializeToString())
    >>> ds = tf.data.experimental.make_batched_features_dataset(
    ...     p, 2, {"x": tf.io.FixedLenFeature([], tf.float32),
    ...            "y": tf.io.FixedLenFeature([], tf.int64)}, label_key="y", num_epochs=1,
    ...     shuffle=False)
    >>> [(f["x"].numpy().tolist(), y.numpy().tolist()) for f, y in ds]
    [([0.0, 0.5], [0, 1]), ([1.0], [2])]
    """
    names = sorted(n.decode() for n in _files.matching_files(file_pattern).numpy().tolist())
    if not names:
        raise InvalidArgumentError(f"make_batched_features_dataset: no files match "
                                   f"{file_pattern!r}")
    reader = TFRecordDataset if reader is None else reader
    files = Dataset.from_tensor_slices(_string(np.array(names, dtype=object)))
    if shuffle:
        files = files.shuffle(len(names), seed=shuffle_seed)
    ds = files.interleave(lambda f: reader(f, *(reader_args or [])),
                          cycle_length=int(reader_num_threads or 1))
    if shuffle:
        ds = ds.shuffle(shuffle_buffer_size, seed=shuffle_seed)
    if num_epochs != 1:
        ds = ds.repeat(num_epochs)
    ds = ds.batch(batch_size, drop_remainder=drop_final_batch).map(
        lambda serialized: _parsing.parse_example(serialized, features))
    if label_key is not None:
        if label_key not in features:
            raise ValueError(f"make_batched_features_dataset: label_key {label_key!r} is not "
                             f"a key of features {sorted(features)}")
        ds = ds.map(lambda parsed: ({k: v for k, v in parsed.items() if k != label_key},
                                    parsed[label_key]))
    return ds


def parse_example_dataset(features, num_parallel_calls=1, deterministic=None):
    """`tf.data.experimental.parse_example_dataset`: a transformation for `Dataset.apply` that
    parses batches of serialized Examples with `tf.io.parse_example`."""
    return lambda ds: ds.map(lambda serialized: _parsing.parse_example(serialized, features))


class TFRecordWriter:
    """`tf.data.experimental.TFRecordWriter(filename, compression_type=None)`:
    `write(dataset)` writes a dataset of scalar strings as a TFRecord file.

    >>> import graphflow as tf, os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "w.tfrecord")
    >>> tf.data.experimental.TFRecordWriter(p).write(tf.data.Dataset.from_tensor_slices(["a", "b"]))
    >>> list(tf.data.TFRecordDataset(p).as_numpy_iterator())
    [b'a', b'b']
    """

    def __init__(self, filename, compression_type=None):
        self._path = filename
        self._comp = _tfrecord.compression_of(compression_type)

    def write(self, dataset):
        with _tfrecord.TFRecordWriter(self._path, self._comp) as w:
            for e in dataset:
                if not isinstance(e, Tensor) or e.dtype != _dt.string or e.shape.rank != 0:
                    raise TypeError("TFRecordWriter.write: the dataset must hold scalar "
                                    f"strings, got {e!r}")
                w.write(e.numpy())

