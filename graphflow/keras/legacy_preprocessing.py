"""`keras.preprocessing.sequence` / `keras.preprocessing.text`'s legacy utilities, as Keras 3
still ships them (`tf.keras.preprocessing`): `skipgrams`, `make_sampling_table`,
`TimeseriesGenerator`, `Tokenizer`, `text_to_word_sequence`, `one_hot`, `hashing_trick`,
`tokenizer_from_json`. Plain Python/numpy with Keras's own algorithms, so seeded results (the
`random` module, as Keras uses it) and word indices are the same as Keras's - the word2vec
tutorial's skip-gram pairs included.

>>> import graphflow as tf
>>> tok = tf.keras.preprocessing.text.Tokenizer(oov_token="<unk>")
>>> tok.fit_on_texts(["the cat sat", "the dog sat down"])
>>> tok.texts_to_sequences(["the cat ate"])
[[2, 4, 1]]
"""
import collections
import hashlib
import json
import random

import numpy as np

from .py_dataset import PyDataset

__all__ = ["make_sampling_table", "skipgrams", "TimeseriesGenerator", "text_to_word_sequence",
           "one_hot", "hashing_trick", "Tokenizer", "tokenizer_from_json"]

_FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'


# ------------------------------------------------------------------ sequence
def make_sampling_table(size, sampling_factor=1e-5):
    """Word2vec's probability of keeping the word of frequency rank i (Zipf's law), for
    `skipgrams(sampling_table=...)`.

    >>> make_sampling_table(3).round(6).tolist()
    [0.003152, 0.003152, 0.005476]
    """
    gamma = 0.577
    rank = np.arange(size)
    rank[0] = 1
    inv_fq = rank * (np.log(rank) + gamma) + 0.5 - 1.0 / (12.0 * rank)
    f = sampling_factor * inv_fq
    return np.minimum(1.0, f / np.sqrt(f))


def skipgrams(sequence, vocabulary_size, window_size=4, negative_samples=1.0, shuffle=True,
              categorical=False, sampling_table=None, seed=None):
    """(couples, labels): every (word, context word) pair within `window_size` labelled 1,
    plus `negative_samples` times as many (word, random word) pairs labelled 0; index 0 is
    skipped (padding). Shuffled with Python's `random` (seeded by `seed`), as Keras.

    >>> skipgrams([1, 2, 3], 4, window_size=1, negative_samples=0, shuffle=False)
    ([[1, 2], [2, 1], [2, 3], [3, 2]], [1, 1, 1, 1])
    """
    couples, labels = [], []
    for i, wi in enumerate(sequence):
        if not wi:
            continue
        if sampling_table is not None and sampling_table[wi] < random.random():
            continue
        for j in range(max(0, i - window_size), min(len(sequence), i + window_size + 1)):
            if j != i and sequence[j]:
                couples.append([wi, sequence[j]])
                labels.append([0, 1] if categorical else 1)
    if negative_samples > 0:
        n = int(len(labels) * negative_samples)
        words = [c[0] for c in couples]
        random.shuffle(words)
        couples += [[words[i % len(words)], random.randint(1, vocabulary_size - 1)]
                    for i in range(n)]
        labels += [[1, 0] if categorical else 0] * n
    if shuffle:
        if seed is None:
            seed = random.randint(0, int(10e6))
        random.seed(seed)
        random.shuffle(couples)
        random.seed(seed)
        random.shuffle(labels)
    return couples, labels


class TimeseriesGenerator(PyDataset):
    """Batches of (windows of `length` past steps, the target at the next step) from
    equally spaced data, as a PyDataset (`model.fit(generator)` works).

    >>> g = TimeseriesGenerator(np.arange(10), np.arange(10), length=3, batch_size=2)
    >>> len(g), [a.tolist() for a in g[0]]
    (4, [[[0, 1, 2], [1, 2, 3]], [3, 4]])
    """

    def __init__(self, data, targets, length, sampling_rate=1, stride=1, start_index=0,
                 end_index=None, shuffle=False, reverse=False, batch_size=128, **kwargs):
        super().__init__(**kwargs)
        if len(data) != len(targets):
            raise ValueError(f"TimeseriesGenerator: data ({len(data)}) and targets "
                             f"({len(targets)}) must have the same length")
        self.data, self.targets, self.length = data, targets, length
        self.sampling_rate, self.stride = sampling_rate, stride
        self.start_index = start_index + length
        self.end_index = len(data) - 1 if end_index is None else end_index
        self.shuffle, self.reverse, self.batch_size = shuffle, reverse, batch_size
        if self.start_index > self.end_index:
            raise ValueError(f"TimeseriesGenerator: start_index + length ({self.start_index}) "
                             f"> end_index ({self.end_index}): no sample")

    def __len__(self):
        return (self.end_index - self.start_index + self.batch_size * self.stride) // (
            self.batch_size * self.stride)

    def __getitem__(self, index):
        if self.shuffle:
            rows = np.random.randint(self.start_index, self.end_index + 1, size=self.batch_size)
        else:
            i = self.start_index + self.batch_size * self.stride * index
            rows = np.arange(i, min(i + self.batch_size * self.stride, self.end_index + 1),
                             self.stride)
        samples = np.array([self.data[r - self.length:r:self.sampling_rate] for r in rows])
        targets = np.array([self.targets[r] for r in rows])
        return (samples[:, ::-1, ...] if self.reverse else samples), targets


# ------------------------------------------------------------------ text
def text_to_word_sequence(input_text, filters=_FILTERS, lower=True, split=" "):
    """Words of a text: lower-cased, `filters` characters turned into separators.

    >>> text_to_word_sequence("Hello, World!  Again")
    ['hello', 'world', 'again']
    """
    if lower:
        input_text = input_text.lower()
    input_text = input_text.translate(str.maketrans({c: split for c in filters}))
    return [w for w in input_text.split(split) if w]


def hashing_trick(text, n, hash_function=None, filters=_FILTERS, lower=True, split=" ",
                  analyzer=None):
    """Each word's index in [1, n): `hash_function(word) % (n - 1) + 1` (Python's `hash` by
    default - salted per process unless PYTHONHASHSEED is set -, or "md5").

    >>> hashing_trick("a b a", 5, hash_function="md5")
    [2, 4, 2]
    """
    if hash_function is None:
        hash_function = hash
    elif hash_function == "md5":
        def hash_function(w):
            return int(hashlib.md5(w.encode()).hexdigest(), 16)
    seq = text_to_word_sequence(text, filters, lower, split) if analyzer is None else \
        analyzer(text)
    return [hash_function(w) % (n - 1) + 1 for w in seq]


def one_hot(input_text, n, filters=_FILTERS, lower=True, split=" ", analyzer=None):
    """`hashing_trick` with Python's `hash` (Keras's legacy one_hot: word indices, not
    one-hot vectors)."""
    return hashing_trick(input_text, n, hash, filters, lower, split, analyzer)


class Tokenizer:
    """Keras's legacy text tokenizer: `fit_on_texts` counts words (index 1 = most frequent,
    after `oov_token` if given), `texts_to_sequences` / `texts_to_matrix` (binary, count,
    freq, tfidf) / `sequences_to_texts`, JSON round trip.

    >>> t = Tokenizer(num_words=3)
    >>> t.fit_on_texts(["a a b", "b c"]); t.texts_to_matrix(["a c"]).tolist()
    [[0.0, 1.0, 0.0]]
    """

    def __init__(self, num_words=None, filters=_FILTERS, lower=True, split=" ",
                 char_level=False, oov_token=None, analyzer=None, **kwargs):
        if "nb_words" in kwargs:
            num_words = kwargs.pop("nb_words")
        document_count = kwargs.pop("document_count", 0)
        if kwargs:
            raise TypeError(f"Tokenizer: unrecognized keyword arguments {sorted(kwargs)}")
        self.word_counts = collections.OrderedDict()
        self.word_docs = collections.defaultdict(int)
        self.filters, self.split, self.lower = filters, split, lower
        self.num_words, self.document_count = num_words, document_count
        self.char_level, self.oov_token, self.analyzer = char_level, oov_token, analyzer
        self.index_docs = collections.defaultdict(int)
        self.word_index, self.index_word = {}, {}

    def _words(self, text):
        if self.char_level or isinstance(text, list):
            if self.lower:
                text = [t.lower() for t in text] if isinstance(text, list) else text.lower()
            return text
        if self.analyzer is None:
            return text_to_word_sequence(text, self.filters, self.lower, self.split)
        return self.analyzer(text)

    def fit_on_texts(self, texts):
        """Count the words of `texts` (strings, or lists of words) and (re)build word_index."""
        for text in texts:
            self.document_count += 1
            seq = self._words(text)
            for w in seq:
                self.word_counts[w] = self.word_counts.get(w, 0) + 1
            for w in set(seq):
                self.word_docs[w] += 1
        counts = sorted(self.word_counts.items(), key=lambda x: x[1], reverse=True)
        vocab = ([] if self.oov_token is None else [self.oov_token]) + [w for w, _ in counts]
        self.word_index = dict(zip(vocab, range(1, len(vocab) + 1)))
        self.index_word = {i: w for w, i in self.word_index.items()}
        for w, c in list(self.word_docs.items()):
            self.index_docs[self.word_index[w]] = c

    def fit_on_sequences(self, sequences):
        """Count document frequencies of already-indexed sequences (for tfidf)."""
        self.document_count += len(sequences)
        for seq in sequences:
            for i in set(seq):
                self.index_docs[i] += 1

    def texts_to_sequences_generator(self, texts):
        oov = self.word_index.get(self.oov_token)
        for text in texts:
            vect = []
            for w in self._words(text):
                i = self.word_index.get(w)
                if i is not None:
                    if self.num_words and i >= self.num_words:
                        if oov is not None:
                            vect.append(oov)
                    else:
                        vect.append(i)
                elif self.oov_token is not None:
                    vect.append(oov)
            yield vect

    def texts_to_sequences(self, texts):
        """Each text as a list of word indices (words past `num_words` -> the OOV index or
        dropped)."""
        return list(self.texts_to_sequences_generator(texts))

    def sequences_to_texts_generator(self, sequences):
        oov = self.word_index.get(self.oov_token)
        for seq in sequences:
            vect = []
            for num in seq:
                word = self.index_word.get(num)
                if word is not None:
                    if self.num_words and num >= self.num_words:
                        if oov is not None:
                            vect.append(self.index_word[oov])
                    else:
                        vect.append(word)
                elif self.oov_token is not None:
                    vect.append(self.index_word[oov])
            yield " ".join(vect)

    def sequences_to_texts(self, sequences):
        """Index sequences back to space-joined words."""
        return list(self.sequences_to_texts_generator(sequences))

    def texts_to_matrix(self, texts, mode="binary"):
        """(len(texts), num_words) matrix: "binary", "count", "freq" or "tfidf"."""
        return self.sequences_to_matrix(self.texts_to_sequences(texts), mode=mode)

    def sequences_to_matrix(self, sequences, mode="binary"):
        """As texts_to_matrix, from index sequences."""
        if not self.num_words:
            if not self.word_index:
                raise ValueError("Tokenizer: specify a dimension (`num_words`), or fit on some "
                                 "text data first")
            num_words = len(self.word_index) + 1
        else:
            num_words = self.num_words
        if mode == "tfidf" and not self.document_count:
            raise ValueError("Tokenizer: fit on some data before using tfidf mode")
        if mode not in ("binary", "count", "freq", "tfidf"):
            raise ValueError(f"Tokenizer: unknown vectorization mode {mode!r}")
        x = np.zeros((len(sequences), num_words))
        for i, seq in enumerate(sequences):
            counts = collections.Counter(j for j in seq if j < num_words)
            for j, c in counts.items():
                if mode == "count":
                    x[i][j] = c
                elif mode == "freq":
                    x[i][j] = c / len(seq)
                elif mode == "binary":
                    x[i][j] = 1
                else:
                    idf = np.log(1 + self.document_count / (1 + self.index_docs.get(j, 0)))
                    x[i][j] = (1 + np.log(c)) * idf
        return x

    def get_config(self):
        """The tokenizer's settings and counts (dict fields as JSON strings, as Keras)."""
        return {"num_words": self.num_words, "filters": self.filters, "lower": self.lower,
                "split": self.split, "char_level": self.char_level,
                "oov_token": self.oov_token, "document_count": self.document_count,
                "word_counts": json.dumps(self.word_counts),
                "word_docs": json.dumps(self.word_docs),
                "index_docs": json.dumps(self.index_docs),
                "index_word": json.dumps(self.index_word),
                "word_index": json.dumps(self.word_index)}

    def to_json(self, **kwargs):
        """The config as a JSON string, for `tokenizer_from_json`."""
        return json.dumps({"class_name": type(self).__name__, "config": self.get_config()},
                          **kwargs)


def tokenizer_from_json(json_string):
    """A Tokenizer back from `Tokenizer.to_json()`.

    >>> t = Tokenizer(); t.fit_on_texts(["x y y"])
    >>> tokenizer_from_json(t.to_json()).word_index
    {'y': 1, 'x': 2}
    """
    config = dict(json.loads(json_string).get("config"))
    fields = {k: json.loads(config.pop(k)) for k in
              ("word_counts", "word_docs", "index_docs", "index_word", "word_index")}
    t = Tokenizer(**config)
    t.word_counts = collections.OrderedDict(fields["word_counts"])
    t.word_docs = collections.defaultdict(int, fields["word_docs"])
    t.index_docs = collections.defaultdict(int, {int(k): v for k, v in
                                                 fields["index_docs"].items()})
    t.index_word = {int(k): v for k, v in fields["index_word"].items()}
    t.word_index = fields["word_index"]
    return t
