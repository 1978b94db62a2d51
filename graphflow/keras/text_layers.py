"""Keras 3 lookup and text preprocessing layers: StringLookup, IntegerLookup and
TextVectorization (vocabularies set directly or learned with `adapt`; output modes 'int',
'one_hot', 'multi_hot', 'count', 'tf_idf'; `invert`).

The lookups run on numpy arrays in Python (a dict per vocabulary): eagerly at once, and inside
`@function` traces (a `fit` step, a functional model with a string `keras.Input`) as a
`numpy_function` node whose output shape is known from the input's (symbolic) shape. The
token ordering of `adapt` is Keras's: by count, ties broken by the token, both descending.

>>> import graphflow as tf
>>> lookup = tf.keras.layers.StringLookup(vocabulary=["a", "b", "c"])
>>> lookup(tf.constant([["a", "c"], ["d", "b"]])).numpy().tolist()
[[1, 3], [0, 2]]
>>> vec = tf.keras.layers.TextVectorization(output_sequence_length=4)
>>> vec.adapt(["The cat sat.", "the dog"])
>>> vec.get_vocabulary()
['', '[UNK]', np.str_('the'), np.str_('sat'), np.str_('dog'), np.str_('cat')]
>>> vec(["the cat ran"]).numpy().tolist()
[[2, 5, 1, 0]]
"""
import collections
import re

import numpy as np

from .. import dtypes as _dt
from .. import state as _state
from ..ops import math_ops as _m, shape_ops as _s
from ..ops.segment_ops import unsorted_segment_sum
from ..py_func import numpy_function
from ..ragged import RaggedTensor
from ..tensor import Tensor, TensorShape, TensorSpec, Variable, bytes_array, convert_to_tensor
from .layers import Layer
from ..farmhash import cross_hashed, hash_bucket_fast, hash_bucket_strong
from .preprocessing import encode_categorical

_MODES = ("int", "one_hot", "multi_hot", "count", "tf_idf")
#: Keras's DEFAULT_STRIP_REGEX (tf.strings.regex_replace in TextVectorization)
_PUNCTUATION = re.compile(rb'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']')


def _numpy(x):
    if isinstance(x, Variable):
        x = x.read_value()
    if isinstance(x, RaggedTensor):
        return x.to_list()
    return x.numpy() if isinstance(x, Tensor) else x


def _batches(data, steps):
    """The batches `adapt` reads: a Dataset or an iterable of batches (up to `steps`), or one
    array-like (a list, array or tensor)."""
    from ..data import Dataset
    if isinstance(data, Dataset):
        data = data.take(steps) if steps is not None else data
        for b in data:
            yield b[0] if isinstance(b, tuple) else b
    elif hasattr(data, "__iter__") and not isinstance(data, (list, tuple, np.ndarray, Tensor)):
        for i, b in enumerate(data):
            if steps is not None and i >= steps:
                break
            yield b
    else:
        yield data


class _OutputSpec:
    """A layer output's shape and dtype (for the functional API, without running the layer)."""

    def __init__(self, shape, dtype):
        self.shape, self.dtype = shape, dtype


def _salt(salt, what):
    """Keras's salt: an int (used twice) or two ints, the SipHash key; None: FarmHash."""
    if salt is None:
        return None
    if isinstance(salt, (tuple, list)) and len(salt) == 2:
        return [int(salt[0]), int(salt[1])]
    if isinstance(salt, (int, np.integer)):
        return [int(salt), int(salt)]
    raise ValueError(f"The `salt` argument for `{what}` can only be a tuple of size 2 integers, "
                     f"or a single integer. Received: salt={salt}.")


def _buckets(values, n, salt):
    """TF's to_hash_bucket_fast (salt None) or to_hash_bucket_strong(key=salt)."""
    return hash_bucket_fast(values, n) if salt is None else hash_bucket_strong(values, n, salt)


def _run(fn, inputs, shape, dtype):
    """`fn(numpy array) -> numpy array` on a tensor: at once when eager, else as a
    numpy_function node of output `shape` (may hold the input's symbolic dims; None: a size
    known only when it runs, e.g. a batch's longest row)."""
    if _state.current().graph is None:
        return convert_to_tensor(fn(inputs.numpy()))
    return numpy_function(fn, [inputs], TensorSpec(tuple(shape), dtype), _runtime_dims=True)


class _IndexLookup(Layer):
    """Keras's IndexLookup: the vocabulary, adapt and the index layout - [mask token (int
    mode)], `num_oov_indices` OOV indices, then the tokens."""
    _key_dtype = _dt.string

    @property
    def _ragged_flat_values(self):   # 'int' lookup of a RaggedTensor keeps its rows (as TF)
        return self.output_mode == "int"

    def __init__(self, max_tokens, num_oov_indices, mask_token, oov_token, vocabulary_dtype,
                 vocabulary=None, idf_weights=None, invert=False, output_mode="int",
                 sparse=False, pad_to_max_tokens=False, name=None, **kwargs):
        if max_tokens is not None and max_tokens <= 1:
            raise ValueError("If set, `max_tokens` must be greater than 1. Received: "
                             f"max_tokens={max_tokens}")
        if num_oov_indices < 0:
            raise ValueError("`num_oov_indices` must be greater than or equal to 0. Received: "
                             f"num_oov_indices={num_oov_indices}")
        if output_mode == "binary":
            output_mode = "multi_hot"
        if output_mode == "tf-idf":
            output_mode = "tf_idf"
        if output_mode not in _MODES:
            raise ValueError(f"{type(self).__name__}: output_mode must be one of {_MODES}, "
                             f"received: output_mode={output_mode!r}")
        if invert and output_mode != "int":
            raise ValueError("`output_mode` must be `'int'` when `invert` is true. Received: "
                             f"output_mode={output_mode}")
        if sparse:
            raise NotImplementedError(f"{type(self).__name__}: sparse=True is not supported")
        if idf_weights is not None and output_mode != "tf_idf":
            raise ValueError("`idf_weights` should only be set if `output_mode` is 'tf_idf'. "
                             f"Received: idf_weights={idf_weights} and "
                             f"output_mode={output_mode}")
        self._frozen_vocab_size = kwargs.pop("vocabulary_size", None)
        has_input = kwargs.pop("has_input_vocabulary", vocabulary is not None)
        kwargs.pop("dtype", None)
        super().__init__(name=name, **kwargs)
        self.max_tokens, self.num_oov_indices = max_tokens, int(num_oov_indices)
        self.mask_token, self.oov_token = mask_token, oov_token
        self.vocabulary_dtype = _dt.as_dtype(vocabulary_dtype).name
        self.invert, self.output_mode, self.sparse = bool(invert), output_mode, False
        self.pad_to_max_tokens = bool(pad_to_max_tokens)
        self.input_vocabulary = vocabulary if not isinstance(vocabulary, str) else None
        self.input_idf_weights = idf_weights
        self._has_input_vocabulary = has_input
        self._tokens, self.idf_weights, self._called = [], None, False
        if output_mode == "tf_idf" and vocabulary is not None and idf_weights is None:
            raise ValueError("When specifying the `vocabulary` argument, in TF-IDF output mode, "
                             "the `idf_weights` argument must also be provided.")
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)
        self.reset_state()
        self.built = True

    # ---- keys ---------------------------------------------------------------------------
    def _key(self, v):
        """A vocabulary entry as the lookup's key (bytes for strings, int for integers)."""
        if v is None:
            return None
        if self._key_dtype == _dt.string:
            return v.encode("utf-8") if isinstance(v, str) else bytes(v)
        return int(v)

    def _out(self, k):
        return k.decode("utf-8") if isinstance(k, bytes) else k

    # ---- the index layout ------------------------------------------------------------------
    def _oov_start_index(self):
        return 1 if self.mask_token is not None and self.output_mode == "int" else 0

    def _token_start_index(self):
        return self._oov_start_index() + self.num_oov_indices

    def vocabulary_size(self):
        """The vocabulary's size, with the mask and OOV indices.

        >>> StringLookup(vocabulary=["a", "b"]).vocabulary_size()
        3
        """
        return self._token_start_index() + len(self._tokens)

    def get_vocabulary(self, include_special_tokens=True):
        """The vocabulary in index order (with the mask and OOV tokens unless
        `include_special_tokens=False`)."""
        vocab = [self._out(t) for t in self._tokens]   # np.str_ / np.int64 tokens (Keras 3)
        vocab = [np.str_(t) if isinstance(t, str) else np.int64(t) if isinstance(t, int)
                 else t for t in vocab]
        if include_special_tokens:
            special = [self.oov_token] * self._token_start_index()
            if self.mask_token is not None and self.output_mode == "int":
                special[0] = self.mask_token
            vocab = special + vocab
        return vocab

    def set_vocabulary(self, vocabulary, idf_weights=None):
        """Set the vocabulary (a list, array or tensor, or a file with one token a line) and,
        for 'tf_idf', the IDF weights."""
        if isinstance(vocabulary, str):
            with open(vocabulary, "rb") as f:
                vocabulary = [line.rstrip(b"\r\n") for line in f]
        vocab = [self._key(v) for v in np.asarray(_numpy(vocabulary), dtype=object).ravel()]
        start = self._token_start_index()
        special = [self._key(self.mask_token)] * self._oov_start_index() + \
            [self._key(self.oov_token)] * self.num_oov_indices
        found_special = vocab[:start] == special
        tokens = vocab[start:] if found_special else vocab
        repeated = [t for t, c in collections.Counter(tokens).items() if c > 1]
        if repeated:
            raise ValueError(f"The passed vocabulary has at least one repeated term. Please "
                             f"uniquify your dataset. The repeated terms are "
                             f"{[self._out(t) for t in repeated]}")
        if self.mask_token is not None and self._key(self.mask_token) in tokens:
            raise ValueError(f"Found reserved mask token at unexpected location in "
                             f"`vocabulary`. Received: mask_token={self.mask_token}")
        if self.invert and self.oov_token is not None and self._key(self.oov_token) in tokens:
            raise ValueError("Found reserved OOV token at unexpected location in `vocabulary`.")
        if self.max_tokens is not None and len(tokens) + start > self.max_tokens:
            raise ValueError(f"Attempted to set a vocabulary larger than the maximum vocab size. "
                             f"Received vocabulary size is {len(tokens) + start}; "
                             f"`max_tokens` is {self.max_tokens}.")
        self._tokens = tokens
        if self.output_mode == "tf_idf":
            if idf_weights is None:
                raise ValueError("`idf_weights` must be set if output_mode is 'tf_idf'.")
            w = np.asarray(_numpy(idf_weights), "float32").ravel()
            if len(w) != len(vocab):
                raise ValueError(f"`idf_weights` must be the same length as vocabulary. "
                                 f"len(idf_weights) is {len(w)}; len(vocabulary) is {len(vocab)}")
            if not found_special:
                w = np.concatenate([np.full(start, w.mean(), "float32"), w])
            self._set_idf(w)
        self._has_input_vocabulary = True
        self._record_vocabulary_size()

    def _set_idf(self, w):
        if self.pad_to_max_tokens and self.max_tokens is not None:
            w = np.concatenate([w, np.zeros(self.max_tokens - len(w), "float32")])
        self.idf_weights = w.astype("float32")

    def _record_vocabulary_size(self):
        if self.output_mode != "int" and not self.pad_to_max_tokens and \
                self._frozen_vocab_size is not None and \
                self._frozen_vocab_size != self.vocabulary_size() and self._called:
            raise RuntimeError(f"When using `output_mode={self.output_mode}` and "
                               "`pad_to_max_tokens=False`, the vocabulary size cannot be changed "
                               f"after the layer is called. Old vocab size is "
                               f"{self._frozen_vocab_size}, new vocab size is "
                               f"{self.vocabulary_size()}")
        self._frozen_vocab_size = self.vocabulary_size()

    # ---- adapt ---------------------------------------------------------------------------
    def reset_state(self):
        self._counts, self._doc_counts, self._num_docs = collections.Counter(), \
            collections.Counter(), 0

    def _documents(self, batch):
        """The token lists (one per document) of an `adapt` batch (a RaggedTensor's rows are
        its documents, whatever their lengths)."""
        if isinstance(batch, RaggedTensor):
            return [[self._key(v) for v in np.ravel(np.asarray(row, dtype=object))]
                    for row in _numpy(batch)]
        a = np.asarray(_numpy(batch), dtype=object)
        if a.ndim == 0:
            a = a.reshape(1, 1)
        elif a.ndim == 1:
            a = a.reshape(1, -1) if self.output_mode == "tf_idf" else a.reshape(-1, 1)
        return [[self._key(v) for v in np.ravel(row)] for row in a]

    def update_state(self, data):
        """Count the tokens of one batch (what `adapt` does for each batch)."""
        if self._has_input_vocabulary:
            raise ValueError(f"Cannot adapt layer '{self.name}' after setting a static "
                             "vocabulary via `vocabulary` argument or `set_vocabulary()` method.")
        for doc in self._documents(data):
            self._counts.update(doc)
            if self.output_mode == "tf_idf":
                self._doc_counts.update(set(doc))
            self._num_docs += 1

    def finalize_state(self):
        """Build the vocabulary from the counts: by count, ties by the token (descending)."""
        if self._has_input_vocabulary or not self._counts:
            return
        for special in (self.mask_token, self.oov_token):
            if special is not None:
                self._counts.pop(self._key(special), None)
        items = sorted(self._counts.items(), key=lambda kv: (kv[1], kv[0]), reverse=True)
        if self.max_tokens:
            items = items[:self.max_tokens - self._token_start_index()]
        self._tokens = [t for t, _ in items]
        if self.output_mode == "tf_idf":
            docs = np.array([self._doc_counts[t] for t in self._tokens], "float64")
            idf = np.log(1 + self._num_docs / (1 + docs)).astype("float32")
            self._set_idf(np.concatenate(
                [np.full(self._token_start_index(), idf.mean() if len(idf) else 0, "float32"),
                 idf]))
        self.reset_state()
        self._record_vocabulary_size()

    def adapt(self, data, steps=None):
        """Learn the vocabulary from `data` (an array, list, tensor, Dataset or iterable of
        batches)."""
        self.reset_state()
        for batch in _batches(data, steps):
            self.update_state(batch)
        self.finalize_state()

    # ---- lookups -------------------------------------------------------------------------
    def _table(self):
        table = getattr(self, "_table_cache", None)
        if table is None or table[0] is not self._tokens:
            start = self._token_start_index()
            table = (self._tokens, {t: start + i for i, t in enumerate(self._tokens)})
            self._table_cache = table
        return table[1]

    def _lookup_values(self, values):
        """Indices (int64) of a flat list of keys."""
        table, mask = self._table(), self._key(self.mask_token) \
            if self.mask_token is not None else None
        oov_start, out = self._oov_start_index(), np.empty(len(values), "int64")
        missing = []
        for i, v in enumerate(values):
            if mask is not None and v == mask:
                out[i] = 0 if self.output_mode == "int" else -1   # -1: no one-hot entry
                continue
            j = table.get(v)
            if j is None:
                if self.num_oov_indices == 0:
                    missing.append(v)
                    j = -1
                elif self.num_oov_indices == 1:
                    j = oov_start
                elif isinstance(v, int):
                    j = oov_start + v % self.num_oov_indices
                else:   # TF's to_hash_bucket_fast / _strong, as Keras
                    j = oov_start + int(_buckets([v], self.num_oov_indices, self.salt)[0])
            out[i] = j
        if missing:
            raise ValueError(f"{type(self).__name__} {self.name}: when `num_oov_indices=0` all "
                             f"inputs should be in vocabulary, found OOV values "
                             f"{[self._out(v) for v in missing[:10]]}, consider setting "
                             "`num_oov_indices=1`.")
        return out

    def _invert_values(self, values):
        vocab = self.get_vocabulary()
        keys = [self._key(v) for v in vocab]
        if self.mask_token is not None:
            keys[0] = self._key(self.mask_token)
        oov = self._key(self.oov_token)
        return [keys[i] if 0 <= i < len(keys) and i >= self._token_start_index()
                or (i == 0 and self.mask_token is not None) else oov for i in values]

    # ---- a SavedModel keeps traced lookups (graphflow.saved_model.rebuild_method) ----------
    def _method_state(self):
        """The vocabulary (and IDF weights) a SavedModel restores into a layer rebuilt from its
        config, for the method a graph's numpy_function node holds."""
        idf = None if self.idf_weights is None else np.asarray(self.idf_weights).tolist()
        vocab = [t.item() if isinstance(t, np.generic) else t for t in self.get_vocabulary()]
        return {"vocabulary": vocab if self._tokens else None, "idf_weights": idf}

    def _restore_method_state(self, state):
        if state["vocabulary"] is not None:
            self.set_vocabulary(state["vocabulary"], state["idf_weights"])

    def _lookup_array(self, a):
        a = np.asarray(a)
        flat = a.ravel()
        if self.invert:
            out = self._invert_values([int(v) for v in flat])
            return (bytes_array(out) if self.vocabulary_dtype == "string"
                    else np.asarray(out, "int64")).reshape(a.shape)
        keys = [self._key(v) for v in flat]
        return self._lookup_values(keys).reshape(a.shape)

    def _convert_inputs(self, inputs):
        dt = _dt.int64 if (self.invert or self._key_dtype != _dt.string) else _dt.string
        if isinstance(inputs, RaggedTensor):   # (a multi_hot / count / tf_idf bag per row)
            return inputs.with_flat_values(self._convert_inputs(inputs.flat_values))
        if isinstance(inputs, Variable):
            inputs = inputs.read_value()
        if isinstance(inputs, Tensor):
            return _m.cast(inputs, dt) if dt != _dt.string and inputs.dtype != dt else inputs
        return convert_to_tensor(np.asarray(inputs, dtype=object if dt == _dt.string
                                            else "int64"), dt)

    def _depth(self):
        return self.max_tokens if self.pad_to_max_tokens else self.vocabulary_size()

    def call(self, inputs):
        if self.output_mode != "int" and not self.pad_to_max_tokens and not self._tokens:
            raise RuntimeError(f"When using `output_mode={self.output_mode}` and "
                               "`pad_to_max_tokens=False`, you must set the layer's vocabulary "
                               "before calling it. Either pass a `vocabulary` argument to the "
                               "layer, or call `adapt` with some sample data.")
        self._called = True
        out_dt = _dt.as_dtype(self.vocabulary_dtype) if self.invert else _dt.int64
        if isinstance(inputs, RaggedTensor):
            return self._encode_rows(inputs, out_dt)
        idx = _run(self._lookup_array, inputs, inputs.shape, out_dt)
        if self.output_mode == "int":
            return idx
        # Keras on TF: int64 counts / hots, float32 tf-idf
        out = encode_categorical(idx, "count" if self.output_mode == "tf_idf"
                                 else self.output_mode, self._depth(),
                                 "float32" if self.output_mode == "tf_idf" else "int64")
        if self.output_mode == "tf_idf":
            out = out * convert_to_tensor(self.idf_weights)
        return out

    def _encode_rows(self, inputs, out_dt):
        """multi_hot / count / tf_idf of a RaggedTensor of ragged rank 1 (e.g. each sample's
        variable-length list of labels): one bag of its row's tokens per row, as Keras on TF."""
        if self.output_mode not in ("multi_hot", "count", "tf_idf") or inputs.ragged_rank != 1:
            raise ValueError(f"{self.name}: a RaggedTensor input needs output_mode 'int', "
                             "'multi_hot', 'count' or 'tf_idf' (ragged rank 1); got "
                             f"output_mode={self.output_mode!r}, ragged rank {inputs.ragged_rank}")
        flat = inputs.flat_values
        idx = _run(self._lookup_array, flat, flat.shape, out_dt)
        dtype = "float32" if self.output_mode == "tf_idf" else "int64"
        out = unsorted_segment_sum(_s.one_hot(idx, self._depth(), dtype=dtype),
                                   inputs.value_rowids(), inputs.nrows())
        if self.output_mode == "multi_hot":
            return _m.minimum(out, _m.cast(1, out.dtype))
        if self.output_mode == "tf_idf":
            out = out * convert_to_tensor(self.idf_weights)
        return out

    def compute_output_shape(self, input_shape):
        s = tuple(input_shape)
        if self.output_mode == "int":
            return TensorShape(s)
        depth = self._depth()
        if self.output_mode == "one_hot" and s and s[-1] != 1:
            return TensorShape(s + (depth,))
        return TensorShape((s[0] if s else None, depth) if len(s) > 1 or
                           self.output_mode == "one_hot" else (depth,))

    def get_config(self):
        vocab = self.input_vocabulary
        if vocab is not None and not isinstance(vocab, (list, tuple)):
            vocab = [self._out(v) for v in np.asarray(_numpy(vocab), object).ravel()]
        idf = self.input_idf_weights
        if idf is not None:
            idf = np.asarray(_numpy(idf)).tolist()
        return dict(super().get_config(), invert=self.invert, max_tokens=self.max_tokens,
                    num_oov_indices=self.num_oov_indices, oov_token=self.oov_token,
                    mask_token=self.mask_token, output_mode=self.output_mode,
                    sparse=self.sparse, pad_to_max_tokens=self.pad_to_max_tokens,
                    vocabulary_dtype=self.vocabulary_dtype, idf_weights=idf,
                    vocabulary=None if vocab is None else list(vocab),
                    vocabulary_size=self._frozen_vocab_size)


class StringLookup(_IndexLookup):
    """Map strings to integer indices through a vocabulary (Keras 3's StringLookup): index 0
    is the OOV token '[UNK]' (after the mask token, if any), then the vocabulary; `invert=True`
    maps indices back to strings.

    >>> import graphflow as tf
    >>> layer = tf.keras.layers.StringLookup()
    >>> layer.adapt([["b", "a"], ["b", "c"]])
    >>> layer.get_vocabulary(), layer(["c", "x"]).numpy().tolist()
    (['[UNK]', np.str_('b'), np.str_('c'), np.str_('a')], [2, 0])
    >>> inv = tf.keras.layers.StringLookup(vocabulary=layer.get_vocabulary(), invert=True)
    >>> inv(tf.constant([1, 3])).numpy().tolist()
    [b'b', b'a']
    """
    _graph_method_savable = True   # (see _IndexLookup._method_state)

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token="[UNK]",
                 vocabulary=None, idf_weights=None, invert=False, output_mode="int",
                 pad_to_max_tokens=False, sparse=False, encoding="utf-8", name=None, salt=None,
                 oov_method="floormod", **kwargs):
        self.encoding, self.salt, self.oov_method = encoding, _salt(salt, "StringLookup"), \
            oov_method
        kwargs.pop("vocabulary_dtype", None)
        super().__init__(max_tokens=max_tokens, num_oov_indices=num_oov_indices,
                         mask_token=mask_token, oov_token=oov_token, vocabulary_dtype="string",
                         vocabulary=vocabulary, idf_weights=idf_weights, invert=invert,
                         output_mode=output_mode, sparse=sparse,
                         pad_to_max_tokens=pad_to_max_tokens, name=name, **kwargs)

    def get_config(self):
        cfg = dict(super().get_config(), encoding=self.encoding, salt=self.salt,
                   oov_method=self.oov_method)
        cfg.pop("vocabulary_dtype")
        return cfg


class IntegerLookup(_IndexLookup):
    """Map integers to contiguous indices through a vocabulary (Keras 3's IntegerLookup): OOV
    values (token -1) get index 0, or - with several OOV indices - `value mod
    num_oov_indices`.

    >>> import graphflow as tf
    >>> layer = tf.keras.layers.IntegerLookup(vocabulary=[12, 36, 1138, 42])
    >>> layer(tf.constant([[12, 1138, 42], [42, 1000, 36]])).numpy().tolist()
    [[1, 3, 4], [4, 0, 2]]
    """
    _graph_method_savable = True   # (see _IndexLookup._method_state)
    _key_dtype = _dt.int64

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token=-1,
                 vocabulary=None, vocabulary_dtype="int64", idf_weights=None, invert=False,
                 output_mode="int", sparse=False, pad_to_max_tokens=False,
                 oov_method="floormod", salt=None, name=None, **kwargs):
        if vocabulary_dtype != "int64":
            raise ValueError("Only `vocabulary_dtype='int64'` is supported at this time. "
                             f"Received: vocabulary_dtype={vocabulary_dtype}")
        if oov_method != "floormod":
            raise NotImplementedError("IntegerLookup: only oov_method='floormod' is supported")
        self.oov_method, self.salt = oov_method, _salt(salt, "IntegerLookup")
        super().__init__(max_tokens=max_tokens, num_oov_indices=num_oov_indices,
                         mask_token=mask_token, oov_token=oov_token, vocabulary_dtype="int64",
                         vocabulary=vocabulary, idf_weights=idf_weights, invert=invert,
                         output_mode=output_mode, sparse=sparse,
                         pad_to_max_tokens=pad_to_max_tokens, name=name, **kwargs)

    def get_config(self):
        return dict(super().get_config(), oov_method=self.oov_method, salt=self.salt)


# ------------------------------------------------------------------ TextVectorization
class TextVectorization(Layer):
    """Strings -> token indices (or multi-hot / count / tf-idf vectors): standardize
    ('lower_and_strip_punctuation', 'lower', 'strip_punctuation', None or a callable on a
    string tensor), split ('whitespace', 'character', None or a callable), optional n-grams,
    then a StringLookup with mask token '' (index 0: padding) and '[UNK]' (index 1). In 'int'
    mode each row is padded with 0 / cut to `output_sequence_length` (or padded to the longest
    row of the batch; `ragged=True` gives a RaggedTensor instead).

    >>> import graphflow as tf
    >>> vec = tf.keras.layers.TextVectorization(output_mode="multi_hot",
    ...                                         vocabulary=["a", "b"])
    >>> vec(["b b c"]).numpy().tolist()   # [OOV, a, b] (int64, as Keras on TF)
    [[1, 0, 1]]
    """

    def __init__(self, max_tokens=None, standardize="lower_and_strip_punctuation",
                 split="whitespace", ngrams=None, output_mode="int", output_sequence_length=None,
                 pad_to_max_tokens=False, vocabulary=None, idf_weights=None, sparse=False,
                 ragged=False, encoding="utf-8", name=None, **kwargs):
        for arg, value, allowed in (
                ("standardize", standardize, ("lower_and_strip_punctuation", "lower",
                                              "strip_punctuation")),
                ("split", split, ("whitespace", "character"))):
            if value is not None and not callable(value) and value not in allowed:
                raise ValueError(f"TextVectorization: unknown value for `{arg}`: {value!r}; "
                                 f"expected one of {allowed}, None or a callable")
        output_mode = {"binary": "multi_hot", "tf-idf": "tf_idf"}.get(output_mode, output_mode)
        if output_mode not in _MODES:
            raise ValueError(f"TextVectorization: output_mode must be one of {_MODES}, "
                             f"received: output_mode={output_mode!r}")
        if not (ngrams is None or isinstance(ngrams, int) or
                isinstance(ngrams, tuple) and all(isinstance(n, int) for n in ngrams)):
            raise ValueError("`ngrams` must be None, an integer, or a tuple of integers. "
                             f"Received: ngrams={ngrams}")
        if output_mode == "int" and not (output_sequence_length is None or
                                         isinstance(output_sequence_length, int)):
            raise ValueError("`output_sequence_length` must be either None or an integer when "
                             f"`output_mode` is 'int'. Received: output_sequence_length="
                             f"{output_sequence_length}")
        if output_mode != "int" and output_sequence_length is not None:
            raise ValueError("`output_sequence_length` must not be set if `output_mode` is not "
                             f"'int'. Received output_sequence_length={output_sequence_length}.")
        if ragged and output_mode != "int":
            raise ValueError("`ragged` must not be true if `output_mode` is not 'int'.")
        has_input = kwargs.pop("has_input_vocabulary", vocabulary is not None)
        vocabulary_size = kwargs.pop("vocabulary_size", None)
        kwargs.pop("dtype", None)
        super().__init__(name=name, **kwargs)
        self._standardize, self._split, self._ngrams_arg = standardize, split, ngrams
        self._ngrams = tuple(range(1, ngrams + 1)) if isinstance(ngrams, int) else ngrams
        self._output_mode, self._output_sequence_length = output_mode, output_sequence_length
        self._ragged, self._encoding = bool(ragged), encoding
        self._lookup_layer = StringLookup(
            max_tokens=max_tokens, vocabulary=vocabulary, idf_weights=idf_weights,
            pad_to_max_tokens=pad_to_max_tokens, mask_token="", output_mode=output_mode,
            sparse=sparse, has_input_vocabulary=has_input, encoding=encoding,
            vocabulary_size=vocabulary_size, name=f"{self.name}_lookup")
        self.built = True

    # ---- vocabulary ------------------------------------------------------------------------
    def get_vocabulary(self, include_special_tokens=True):
        """The vocabulary in index order ('' and '[UNK]' first unless
        include_special_tokens=False)."""
        return self._lookup_layer.get_vocabulary(include_special_tokens)

    def vocabulary_size(self):
        """The vocabulary's size, with the padding and OOV tokens."""
        return self._lookup_layer.vocabulary_size()

    def set_vocabulary(self, vocabulary, idf_weights=None):
        """Set the vocabulary (and, for 'tf_idf', the IDF weights) directly."""
        self._lookup_layer.set_vocabulary(vocabulary, idf_weights)

    _graph_method_savable = True   # (see _IndexLookup._method_state)

    def _method_state(self):
        return self._lookup_layer._method_state()

    def _restore_method_state(self, state):
        self._lookup_layer._restore_method_state(state)

    def adapt(self, data, batch_size=None, steps=None):
        """Learn the vocabulary from strings (an array, list, tensor, Dataset or iterable of
        batches): the tokens after standardize / split / n-grams, most frequent first."""
        self.reset_state()
        for batch in _batches(data, steps):
            self.update_state(batch)
        self.finalize_state()

    def update_state(self, data):
        lk = self._lookup_layer
        if lk._has_input_vocabulary:
            raise ValueError(f"Cannot adapt layer '{self.name}' after setting a static "
                             "vocabulary via `vocabulary` argument or `set_vocabulary()` method.")
        for doc in self._token_lists(np.asarray(_numpy(data), dtype=object)):
            lk._counts.update(doc)
            if self._output_mode == "tf_idf":
                lk._doc_counts.update(set(doc))
            lk._num_docs += 1

    def finalize_state(self):
        self._lookup_layer.finalize_state()

    def reset_state(self):
        self._lookup_layer.reset_state()

    # ---- preprocessing (numpy, Python strings) ---------------------------------------------
    def _standardized(self, a):
        """Standardize an object array of bytes."""
        mode = self._standardize
        if mode in ("lower", "lower_and_strip_punctuation"):   # ASCII, as tf.strings.lower
            a = np.asarray([v.lower() for v in a.ravel()], object).reshape(a.shape)
        if mode in ("strip_punctuation", "lower_and_strip_punctuation"):
            a = np.asarray([_PUNCTUATION.sub(b"", v) for v in a.ravel()], object).reshape(a.shape)
        if callable(mode):
            a = np.asarray(_numpy(mode(convert_to_tensor(a, _dt.string))), object)
        return a

    def _token_lists(self, a):
        """The token lists (bytes) of a batch of strings (rank 0, 1 or (batch, 1))."""
        a = bytes_array(a) if a.dtype != object or a.size and not isinstance(
            a.ravel()[0], bytes) else a
        if a.ndim == 0:
            a = a.reshape(1)
        a = self._standardized(a)
        if self._split is None:
            rows = [list(np.ravel(r)) for r in (a if a.ndim > 1 else a.reshape(-1, 1))]
        else:
            if a.ndim > 1:
                if a.shape[-1] != 1:
                    raise ValueError("When using `TextVectorization` to tokenize strings, the "
                                     "input rank must be 1 or the last shape dimension must be "
                                     f"1. Received: inputs.shape={a.shape} with rank={a.ndim}")
                a = a.reshape(a.shape[:-1])
            if self._split == "whitespace":
                rows = [v.split() for v in a.ravel()]
            elif self._split == "character":
                rows = [[c.encode("utf-8") for c in v.decode("utf-8")] for v in a.ravel()]
            else:
                out = self._split(convert_to_tensor(a, _dt.string))
                rows = [[bytes(t) for t in r] for r in _numpy(out)]
        if self._ngrams:
            rows = [[b" ".join(r[i:i + n]) for n in self._ngrams
                     for i in range(len(r) - n + 1)] for r in rows]
        return rows

    def _vectorize(self, a):
        lk = self._lookup_layer
        rows = self._token_lists(np.asarray(a, dtype=object))
        idx = [lk._lookup_values(r) if r else np.zeros(0, "int64") for r in rows]
        if self._output_mode == "int":
            if self._ragged:
                return idx
            n = self._output_sequence_length
            if n is None:
                n = max([len(r) for r in idx] + [0])
            out = np.zeros((len(idx), n), "int64")
            for i, r in enumerate(idx):
                out[i, :min(n, len(r))] = r[:n]
            return out
        depth = lk._depth()
        out = np.zeros((len(idx), depth), "float32" if self._output_mode == "tf_idf" else "int64")
        for i, r in enumerate(idx):
            r = r[(r >= 0) & (r < depth)]
            if self._output_mode == "multi_hot":
                out[i, r] = 1
            elif self._output_mode == "one_hot":
                out[i, r[:1]] = 1
            else:
                np.add.at(out[i], r, 1)
        if self._output_mode == "tf_idf":
            out *= lk.idf_weights[:depth]
        return out

    def _convert_inputs(self, inputs):
        if isinstance(inputs, Tensor):
            return inputs
        return convert_to_tensor(np.asarray(_numpy(inputs), dtype=object), _dt.string)

    def call(self, inputs):
        lk = self._lookup_layer
        if self._output_mode != "int" and not lk.pad_to_max_tokens and not lk._tokens:
            raise RuntimeError(f"When using `output_mode={self._output_mode}` and "
                               "`pad_to_max_tokens=False`, you must set the layer's vocabulary "
                               "before calling it. Either pass a `vocabulary` argument to the "
                               "layer, or call `adapt` with some sample data.")
        batch = inputs.shape[0] if inputs.ndim else 1
        if self._ragged:
            if _state.current().graph is not None:
                raise NotImplementedError("TextVectorization(ragged=True) runs eagerly only")
            rows = self._vectorize(inputs.numpy())
            return RaggedTensor.from_row_lengths(
                np.concatenate(rows + [np.zeros(0, "int64")]), [len(r) for r in rows])
        if self._output_mode == "int":
            # (no output_sequence_length: the batch's longest row, a size known when it runs)
            shape = (batch, self._output_sequence_length)
            return _run(self._vectorize, inputs, shape, _dt.int64)
        return _run(self._vectorize, inputs, (batch, lk._depth()),
                    _dt.float32 if self._output_mode == "tf_idf" else _dt.int64)

    def _traced_shapes(self, inputs, args, kwargs):
        """The functional API's output: (batch, output_sequence_length or None) int64, or
        (batch, vocabulary size) - from the config, without running the layer."""
        out = self.compute_output_shape(inputs.shape)
        dtype = _dt.int64 if self._output_mode == "int" or self._output_mode != "tf_idf" \
            else _dt.float32
        return _OutputSpec(tuple(out), dtype)

    def compute_output_shape(self, input_shape):
        batch = tuple(input_shape)[0] if len(tuple(input_shape)) else None
        if self._output_mode == "int":
            return TensorShape((batch, self._output_sequence_length))
        return TensorShape((batch, self._lookup_layer._depth()))

    def get_config(self):
        lk = self._lookup_layer
        vocab = lk.get_config()["vocabulary"]
        return dict(super().get_config(), max_tokens=lk.max_tokens, standardize=self._standardize,
                    split=self._split, ngrams=self._ngrams_arg, output_mode=self._output_mode,
                    output_sequence_length=self._output_sequence_length,
                    pad_to_max_tokens=lk.pad_to_max_tokens, sparse=lk.sparse,
                    ragged=self._ragged, vocabulary=vocab,
                    idf_weights=lk.get_config()["idf_weights"], encoding=self._encoding,
                    vocabulary_size=self.vocabulary_size())

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("ngrams"), list):
            config["ngrams"] = tuple(config["ngrams"])
        return cls(**config)


# ------------------------------------------------------------------ Hashing
def _as_string(a):
    """TF's as_string of an integer array (floats are cast to int64 first, as Keras)."""
    a = np.asarray(a)
    if a.dtype.kind == "f":
        a = a.astype("int64")
    if a.dtype.kind in "iu":
        return np.asarray([str(int(v)).encode() for v in a.ravel()], object).reshape(a.shape)
    return bytes_array(a) if a.dtype != object else a


class Hashing(Layer):
    """Hash strings or integers into `num_bins` bins with TF's fingerprint (the same bins as
    Keras on TF): bin = fingerprint64(value) % num_bins; with `mask_value`, that value gets bin
    0 and the others hash into bins 1..num_bins-1. Output modes 'int' (int64 bins),
    'one_hot', 'multi_hot', 'count'. With a `salt` the hash is TF's keyed SipHash-2-4
    (to_hash_bucket_strong), as Keras.

    >>> import graphflow as tf
    >>> data = [["A"], ["B"], ["C"], ["D"], ["E"]]    # the examples of Keras's docs
    >>> tf.keras.layers.Hashing(num_bins=3)(data).numpy().ravel().tolist()
    [1, 0, 1, 1, 2]
    >>> data = [["A"], ["B"], [""], ["C"], ["D"]]
    >>> tf.keras.layers.Hashing(num_bins=3, mask_value="")(data).numpy().ravel().tolist()
    [1, 1, 0, 2, 2]
    """

    def __init__(self, num_bins, mask_value=None, salt=None, output_mode="int", sparse=False,
                 **kwargs):
        if kwargs.get("dtype") is None:
            kwargs["dtype"] = "int64" if output_mode == "int" else "float32"
        super().__init__(**kwargs)
        if num_bins is None or num_bins <= 0:
            raise ValueError("The `num_bins` for `Hashing` cannot be `None` or non-positive "
                             f"values. Received: num_bins={num_bins}.")
        if output_mode not in ("int", "one_hot", "multi_hot", "count"):
            raise ValueError("Invalid value for argument `output_mode`. Expected one of ('int', "
                             f"'one_hot', 'multi_hot', 'count'). Received: "
                             f"output_mode={output_mode}")
        if sparse:
            raise NotImplementedError("Hashing: sparse=True is not supported")
        self.num_bins, self.mask_value, self.salt = int(num_bins), mask_value, _salt(salt,
                                                                                     "Hashing")
        self.output_mode, self.sparse, self.strong_hash = output_mode, False, salt is not None

    def _convert_inputs(self, inputs):
        if isinstance(inputs, Variable):
            inputs = inputs.read_value()
        if isinstance(inputs, Tensor):
            return inputs
        a = np.asarray(inputs)
        return convert_to_tensor(bytes_array(a) if a.dtype.kind in "USO" else a)

    def _bins(self, a):
        a = np.asarray(a)
        bins, mask = self.num_bins, None
        if self.mask_value is not None and bins > 1:
            bins -= 1
            m = self.mask_value
            mask = a == (m.encode() if isinstance(m, str) and a.dtype == object else m)
        out = _buckets(_as_string(a), bins, self.salt)
        if mask is not None:
            out = np.where(mask, 0, out + 1)
        return out.astype("int64")

    def call(self, inputs):
        x = inputs
        if self.output_mode == "one_hot" and x.ndim and x.shape[-1] == 1:
            x = x[..., 0]
        idx = _run(self._bins, x, x.shape, _dt.int64)
        return encode_categorical(idx, self.output_mode, self.num_bins, self.dtype)

    def compute_output_shape(self, input_shape):
        s = tuple(input_shape)
        if self.output_mode == "int":
            return TensorShape(s)
        return TensorShape(s[:-1] + (self.num_bins,) if s else (self.num_bins,))

    def get_config(self):
        return dict(super().get_config(), num_bins=self.num_bins, salt=self.salt,
                    mask_value=self.mask_value, output_mode=self.output_mode,
                    sparse=self.sparse)


class HashedCrossing(Layer):
    """Cross two or more categorical features by hashing their combination into `num_bins`
    bins (TF's `tf.sparse.cross_hashed`: the same bins as Keras on TF). Inputs: a list of
    tensors of shape (), (batch,) or (batch, 1), strings or integers; output the bins
    (int64, the inputs' shape) or, with output_mode='one_hot', their one-hot vectors.

    >>> import graphflow as tf
    >>> layer = tf.keras.layers.HashedCrossing(num_bins=5)
    >>> layer((["A", "B", "A", "C", "Z"], [101, 101, 102, 5, -3])).numpy().tolist()
    [1, 4, 3, 4, 0]
    """

    def __init__(self, num_bins, output_mode="int", sparse=False, name=None, dtype=None,
                 **kwargs):
        if output_mode == "int" and dtype is None:
            dtype = "int64"
        super().__init__(name=name, dtype=dtype, **kwargs)
        if output_mode not in ("int", "one_hot"):
            raise ValueError("Invalid value for argument `output_mode`. Expected one of "
                             f"('int', 'one_hot'). Received: output_mode={output_mode}")
        if sparse:
            raise NotImplementedError("HashedCrossing: sparse=True is not supported")
        self.num_bins, self.output_mode, self.sparse = int(num_bins), output_mode, False

    def _convert_inputs(self, inputs):
        if not isinstance(inputs, (list, tuple)) or len(inputs) < 2:
            raise ValueError("`HashedCrossing` should be called on a list or tuple of at least "
                             f"two inputs. Received: inputs={inputs}")
        out = []
        for x in inputs:
            if isinstance(x, Variable):
                x = x.read_value()
            if not isinstance(x, Tensor):
                a = np.asarray(x)
                x = convert_to_tensor(bytes_array(a) if a.dtype.kind in "USO" else a)
            out.append(x)
        shape = tuple(out[0].shape)
        def differ(other):   # unknown (symbolic) dims may differ
            return len(other) != len(shape) or any(
                isinstance(p, int) and isinstance(q, int) and p != q for p, q in zip(other, shape))
        if len(shape) > 2 or (len(shape) == 2 and shape[-1] != 1) or \
                any(differ(tuple(x.shape)) for x in out[1:]):
            raise ValueError("All `HashedCrossing` inputs should have equal shape `()`, "
                             f"`(batch_size)` or `(batch_size, 1)`. Received shapes "
                             f"{[tuple(x.shape) for x in out]}")
        return out

    def call(self, inputs):
        shape = inputs[0].shape
        bins = self.num_bins

        def cross(*arrays):
            return cross_hashed(arrays, bins).reshape(np.shape(arrays[0]))
        if _state.current().graph is None:
            idx = convert_to_tensor(cross(*[x.numpy() for x in inputs]))
        else:
            idx = numpy_function(cross, list(inputs), TensorSpec(tuple(shape), _dt.int64))
        if self.output_mode == "int":
            return idx
        return encode_categorical(idx, "one_hot", bins, self.dtype)

    def compute_output_shape(self, input_shape):
        s = tuple(input_shape[0])
        if self.output_mode == "int":
            return TensorShape(s)
        return TensorShape((s[:-1] if s and s[-1] == 1 else s) + (self.num_bins,))

    def get_config(self):
        return {"num_bins": self.num_bins, "output_mode": self.output_mode,
                "sparse": self.sparse, "name": self.name, "dtype": self.dtype}
