"""`tf.lookup`: key -> value tables (and the string hashing of `tf.strings.to_hash_bucket*`,
which shares the OOV hash). `StaticHashTable`, `StaticVocabularyTable` (out-of-vocabulary
keys hashed into extra buckets), `experimental.MutableHashTable`, with `KeyValueTensorInitializer`
and `TextFileInitializer`.

Lookups take dense tensors (any shape) or RaggedTensors (their flat values are looked up).
Eagerly they run in Python dicts; inside `@function` a lookup is a `tf.numpy_function` node that
runs at run time, so tables work in `Dataset.map` and traced functions alike (no gradient: keys
are strings or integers). The out-of-vocabulary bucket of a key is a fixed hash of its bytes
(FNV-1a, 64 bit), stable across runs and processes - not TF's Fingerprint64, so OOV bucket ids
differ from TF's.

>>> import graphflow as tf
>>> init = tf.lookup.KeyValueTensorInitializer(["emerson", "lake", "palmer"], [0, 1, 2],
...                                            value_dtype=tf.int64)
>>> table = tf.lookup.StaticHashTable(init, default_value=-1)
>>> table.lookup(tf.constant(["emerson", "lake", "tarkus"])).numpy()
array([ 0,  1, -1])
"""
import enum

import numpy as np

from . import dtypes as _dt
from .farmhash import fingerprint64, fingerprint_rows, hash64, siphash24
from .py_func import numpy_function
from .ragged import RaggedTensor
from .tensor import Tensor, TensorSpec, convert_to_tensor

__all__ = ["KeyValueTensorInitializer", "TextFileInitializer", "TextFileIndex",
           "StaticHashTable", "StaticVocabularyTable", "MutableHashTable"]
HASH_FUNCTIONS = ("to_hash_bucket_fast", "to_hash_bucket", "to_hash_bucket_strong")


def _key(v):
    """A hashable Python key for one numpy entry (strings as bytes)."""
    if isinstance(v, str):
        return v.encode()
    if isinstance(v, (bytes, np.bytes_)):
        return bytes(v)
    return v.item() if hasattr(v, "item") else v


def _values(t, dtype=None):
    if isinstance(t, (Tensor,)) or hasattr(t, "numpy"):
        t = t.numpy()
    arr = np.asarray(t, dtype=object if dtype == _dt.string else None)
    return arr


class KeyValueTensorInitializer:
    """Keys and values (1-D, same length) for a static table.

    >>> KeyValueTensorInitializer([1, 2], [10., 20.]).value_dtype
    tf.float32
    """

    def __init__(self, keys, values, key_dtype=None, value_dtype=None, name=None):
        k = keys if isinstance(keys, Tensor) else convert_to_tensor(keys, key_dtype)
        v = values if isinstance(values, Tensor) else convert_to_tensor(values, value_dtype)
        if key_dtype is not None and k.dtype != _dt.as_dtype(key_dtype):
            k = convert_to_tensor(k.numpy(), key_dtype)
        if value_dtype is not None and v.dtype != _dt.as_dtype(value_dtype):
            v = convert_to_tensor(v.numpy().astype(_dt.as_dtype(value_dtype).np), value_dtype)
        kv, vv = np.asarray(k.numpy()).reshape(-1), np.asarray(v.numpy()).reshape(-1)
        if kv.shape != vv.shape:
            raise ValueError(f"KeyValueTensorInitializer: {kv.size} keys but {vv.size} values")
        self.key_dtype, self.value_dtype = k.dtype, v.dtype
        self._pairs = [(_key(a), b) for a, b in zip(kv, vv)]


class TextFileIndex(enum.IntEnum):
    """Which part of a line a TextFileInitializer takes: the whole line or its number."""
    WHOLE_LINE = -2
    LINE_NUMBER = -1


class TextFileInitializer:
    """Keys and values from a text file: column `key_index` / `value_index` of each line split
    by `delimiter`, or the whole line (-2) or the line number (-1).

    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "vocab.txt")
    >>> _ = open(p, "w").write("a\\nb\\n")
    >>> t = StaticHashTable(TextFileInitializer(p, _dt.string, -2, _dt.int64, -1), -1)
    >>> t.lookup(convert_to_tensor(["b", "z"])).numpy()
    array([ 1, -1])
    """

    def __init__(self, filename, key_dtype, key_index, value_dtype, value_index, vocab_size=None,
                 delimiter="\t", name=None, value_index_offset=0):
        self.key_dtype, self.value_dtype = _dt.as_dtype(key_dtype), _dt.as_dtype(value_dtype)
        fn = filename.numpy().decode() if hasattr(filename, "numpy") else str(filename)
        with open(fn, "rb") as f:
            lines = f.read().decode("utf-8").splitlines()
        if vocab_size is not None:
            lines = lines[:int(vocab_size)]
        self._pairs = [(self._field(line, i, key_index, self.key_dtype, delimiter),
                        self._field(line, i, value_index, self.value_dtype, delimiter))
                       for i, line in enumerate(lines)]

    @staticmethod
    def _field(line, number, index, dtype, delimiter="\t"):
        if index == TextFileIndex.LINE_NUMBER:
            text = str(number)
        elif index == TextFileIndex.WHOLE_LINE:
            text = line
        else:
            text = line.split(delimiter)[index]
        if dtype == _dt.string:
            return text.encode()
        return dtype.np.type(text) if not dtype.is_integer else int(text)


class _Table:
    """Shared lookup machinery: `_find(keys array) -> values array`."""
    key_dtype = value_dtype = None

    def _find(self, arr):
        raise NotImplementedError

    def _out(self, values):
        if self.value_dtype == _dt.string:
            out = np.empty(len(values), object)
            out[:] = values
            return out
        return np.asarray(values, self.value_dtype.np)

    def lookup(self, keys, name=None):
        """The value of each key (a tensor shaped like `keys`; RaggedTensors keep their rows)."""
        if isinstance(keys, RaggedTensor):
            return keys.with_flat_values(self.lookup(keys.flat_values))
        k = keys if isinstance(keys, Tensor) else convert_to_tensor(keys, self.key_dtype)

        def run(arr):
            flat = np.asarray(arr, object if arr.dtype == object else None).reshape(-1)
            return self._out([self._find(_key(v)) for v in flat]).reshape(np.shape(arr))
        try:
            return convert_to_tensor(run(k.numpy()), self.value_dtype)
        except Exception:   # a symbolic tensor while tracing: look up at run time
            return numpy_function(run, [k], TensorSpec(k.shape, self.value_dtype))

    def __getitem__(self, keys):
        return self.lookup(keys)


class StaticHashTable(_Table):
    """An immutable table from an initializer; missing keys give `default_value`."""

    def __init__(self, initializer, default_value, name=None, experimental_is_anonymous=False):
        self.key_dtype, self.value_dtype = initializer.key_dtype, initializer.value_dtype
        self._map = dict(initializer._pairs)
        self.default_value = np.asarray(getattr(default_value, "numpy", lambda: default_value)())
        self._default = _key(self.default_value) if self.value_dtype == _dt.string else \
            self.default_value.astype(self.value_dtype.np)[()]

    def _find(self, k):
        return self._map.get(k, self._default)

    def size(self, name=None):
        """The number of entries (int64)."""
        return convert_to_tensor(np.int64(len(self._map)))

    def export(self, name=None):
        """(keys, values) tensors."""
        ks, vs = list(self._map), list(self._map.values())
        keys = np.empty(len(ks), object) if self.key_dtype == _dt.string else \
            np.asarray(ks, self.key_dtype.np)
        if self.key_dtype == _dt.string:
            keys[:] = ks
        return convert_to_tensor(keys, self.key_dtype), convert_to_tensor(self._out(vs),
                                                                          self.value_dtype)


class StaticVocabularyTable(_Table):
    """Keys -> int64 ids: vocabulary keys map to their values, others to
    vocab_size + Fingerprint64(key) % num_oov_buckets (integer keys as decimal strings), as TF.

    >>> init = KeyValueTensorInitializer(["a", "b"], [0, 1], value_dtype=_dt.int64)
    >>> ids = StaticVocabularyTable(init, num_oov_buckets=3).lookup(convert_to_tensor(["b", "zz"]))
    >>> int(ids[0]), 2 <= int(ids[1]) < 5
    (1, True)
    """

    def __init__(self, initializer, num_oov_buckets, lookup_key_dtype=None, name=None,
                 experimental_is_anonymous=False):
        if int(num_oov_buckets) <= 0:
            raise ValueError("StaticVocabularyTable: num_oov_buckets must be > 0")
        self.key_dtype = initializer.key_dtype if lookup_key_dtype is None else \
            _dt.as_dtype(lookup_key_dtype)
        self.value_dtype = _dt.int64
        self._map = {k: int(v) for k, v in initializer._pairs}
        self._n, self._oov = len(self._map), int(num_oov_buckets)

    def _find(self, k):
        v = self._map.get(k)
        if v is not None:
            return v
        data = k if isinstance(k, bytes) else str(k).encode()   # TF: ints as decimal strings
        return self._n + fingerprint64(data) % self._oov

    def size(self, name=None):
        """Vocabulary size plus the OOV buckets (int64)."""
        return convert_to_tensor(np.int64(self._n + self._oov))


class MutableHashTable(_Table):
    """`tf.lookup.experimental.MutableHashTable`: insert / remove / lookup / export.

    >>> t = MutableHashTable(_dt.string, _dt.int64, default_value=-1)
    >>> t.insert(convert_to_tensor(["a", "b"]), convert_to_tensor([1, 2], _dt.int64))
    >>> t.lookup(convert_to_tensor(["b", "c"])).numpy()
    array([ 2, -1])
    """

    def __init__(self, key_dtype, value_dtype, default_value, name="MutableHashTable",
                 checkpoint=True, experimental_is_anonymous=False):
        self.key_dtype, self.value_dtype = _dt.as_dtype(key_dtype), _dt.as_dtype(value_dtype)
        self._map = {}
        dv = np.asarray(getattr(default_value, "numpy", lambda: default_value)())
        self._default = _key(dv) if self.value_dtype == _dt.string else \
            dv.astype(self.value_dtype.np)[()]

    def _find(self, k):
        return self._map.get(k, self._default)

    def insert(self, keys, values, name=None):
        """Add or overwrite entries."""
        ks = _values(keys, self.key_dtype).reshape(-1)
        vs = _values(values, self.value_dtype).reshape(-1)
        for a, b in zip(ks, vs):
            self._map[_key(a)] = _key(b) if self.value_dtype == _dt.string else b

    def remove(self, keys, name=None):
        """Drop entries (missing keys are ignored)."""
        for a in _values(keys, self.key_dtype).reshape(-1):
            self._map.pop(_key(a), None)

    def size(self, name=None):
        """The number of entries (int64)."""
        return convert_to_tensor(np.int64(len(self._map)))

    def export(self, name=None):
        """(keys, values) tensors."""
        return StaticHashTable.export(self)


def _hash_buckets(input, num_buckets, opname, hash_fn=fingerprint64):   # noqa: A002
    if isinstance(input, RaggedTensor):
        return input.with_flat_values(_hash_buckets(input.flat_values, num_buckets, opname,
                                                    hash_fn))
    t = input if isinstance(input, Tensor) else convert_to_tensor(input, _dt.string)
    if t.dtype != _dt.string:
        raise TypeError(f"strings.{opname}: needs a string tensor, got {t.dtype.name}")
    n = int(num_buckets)
    if n < 1:
        raise ValueError(f"strings.{opname}: num_buckets must be >= 1, got {n}")

    def run(arr):
        flat = np.asarray(arr, object).reshape(-1)
        out = np.array([hash_fn(_key(v)) % n for v in flat], np.uint64).astype(np.int64)
        return out.reshape(np.shape(arr))
    try:
        return convert_to_tensor(run(t.numpy()), _dt.int64)
    except Exception:   # a symbolic tensor while tracing: hash at run time
        return numpy_function(run, [t], TensorSpec(t.shape, _dt.int64))


def fingerprint(data, method="farmhash64", name=None):
    """`tf.fingerprint`: a Fingerprint64 per row of `data` (its first dim) as 8 little-endian
    bytes, uint8 (rows, 8) - the same bytes as TF (numeric rows hash their raw bytes).

    >>> fingerprint(convert_to_tensor(["hello"])).numpy().tolist()
    [[232, 12, 56, 49, 169, 229, 139, 180]]
    """
    if method != "farmhash64":
        raise ValueError(f"fingerprint: method must be 'farmhash64', got {method!r}")
    t = data if isinstance(data, Tensor) else convert_to_tensor(data)
    if t.shape.rank == 0:
        raise ValueError("fingerprint: data must have rank >= 1, got a scalar")
    try:
        return convert_to_tensor(fingerprint_rows(t.numpy()), _dt.uint8)
    except Exception:   # traced: hash at run time
        return numpy_function(fingerprint_rows, [t], TensorSpec((t.shape[0], 8), _dt.uint8))


def to_hash_bucket_fast(input, num_buckets, name=None):   # noqa: A002
    """`tf.strings.to_hash_bucket_fast`: each string's bucket in [0, num_buckets), int64:
    TF's Fingerprint64 of its bytes modulo num_buckets (the same buckets as TF). Dense or
    ragged input.

    >>> to_hash_bucket_fast(convert_to_tensor(["hello", "world"]), 1000).numpy().tolist()
    [296, 598]
    """
    return _hash_buckets(input, num_buckets, "to_hash_bucket_fast")


def to_hash_bucket(string_tensor, num_buckets, name=None):
    """`tf.strings.to_hash_bucket`: as to_hash_bucket_fast with TF's legacy Hash64.

    >>> to_hash_bucket(convert_to_tensor(["hello", "world"]), 1000).numpy().tolist()
    [938, 861]
    """
    return _hash_buckets(string_tensor, num_buckets, "to_hash_bucket", hash64)


def to_hash_bucket_strong(input, num_buckets, key, name=None):   # noqa: A002
    """`tf.strings.to_hash_bucket_strong`: as to_hash_bucket_fast with the keyed SipHash-2-4
    (`key`: two integers), as TF.

    >>> to_hash_bucket_strong(convert_to_tensor(["hello", "world"]), 1000, [1, 2]).numpy().tolist()
    [622, 990]
    """
    k = tuple(int(v) for v in np.asarray(key).reshape(-1))
    if len(k) != 2:
        raise ValueError("strings.to_hash_bucket_strong: key must be two integers")
    return _hash_buckets(input, num_buckets, "to_hash_bucket_strong",
                         lambda b: siphash24(k, b))
