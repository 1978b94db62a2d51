"""`keras.datasets` and `keras.utils.get_file`, cache only: graphflow never downloads, so a
dataset loads when its file is already in Keras's cache (`$KERAS_HOME` or `~/.keras`, then
`datasets/`, the same names and layout Keras uses - a cache Keras filled works as is), and
otherwise raises an error that says where to put the file. The loaders then do exactly what
Keras's do (same shuffling seeds, index offsets, shapes and dtypes).

>>> import graphflow as tf, os, tempfile, numpy as np
>>> home = tempfile.mkdtemp(); os.makedirs(os.path.join(home, "datasets"))
>>> np.savez(os.path.join(home, "datasets", "mnist.npz"), x_train=np.zeros((2, 28, 28), "uint8"),
...          y_train=np.arange(2, dtype="uint8"), x_test=np.zeros((1, 28, 28), "uint8"),
...          y_test=np.zeros(1, "uint8"))
>>> os.environ["KERAS_HOME"] = home
>>> (x, y), _ = tf.keras.datasets.mnist.load_data(); x.shape, y.tolist()
((2, 28, 28), [0, 1])
>>> del os.environ["KERAS_HOME"]
"""
import gzip
import hashlib
import io
import json
import os
import pickle
import tarfile
import types
import urllib.parse
import zipfile

import numpy as np

__all__ = ["get_file", "mnist", "fashion_mnist", "cifar10", "cifar100", "imdb",
           "boston_housing"]

_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"


def _keras_home():
    return os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")


def _hash_ok(path, file_hash, algorithm):
    if algorithm == "auto":
        algorithm = "sha256" if len(file_hash) == 64 else "md5"
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest() == str(file_hash)


def _extract(archive, into):
    """Unpack a tar or zip archive into `into`, refusing members that leave it."""
    root = os.path.realpath(into)
    os.makedirs(into, exist_ok=True)
    if tarfile.is_tarfile(archive):
        with tarfile.open(archive) as t:
            for m in t.getmembers():
                if not os.path.realpath(os.path.join(into, m.name)).startswith(root) or \
                        m.issym() or m.islnk():
                    raise ValueError(f"get_file: unsafe member {m.name!r} in {archive}")
            t.extractall(into)
    elif zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as z:
            for n in z.namelist():
                if not os.path.realpath(os.path.join(into, n)).startswith(root):
                    raise ValueError(f"get_file: unsafe member {n!r} in {archive}")
            z.extractall(into)
    else:
        raise ValueError(f"get_file: {archive} is neither a tar nor a zip archive")


def get_file(fname=None, origin=None, untar=False, md5_hash=None, file_hash=None,
             cache_subdir="datasets", hash_algorithm="auto", extract=False,
             archive_format="auto", cache_dir=None, force_download=False):
    """The path of `fname` in Keras's cache (`cache_dir` or `$KERAS_HOME` or `~/.keras`, then
    `cache_subdir`), with Keras's file names (an extracted archive: its `_extracted` /
    plain directory). The file must already be there - graphflow does not download - and
    it is checked against `file_hash` when given; an archive present but not yet extracted
    is extracted.

    >>> import tempfile
    >>> get_file("x.txt", "https://example.com/x.txt", cache_dir=tempfile.mkdtemp())
    Traceback (most recent call last):
    ...
    FileNotFoundError: get_file: graphflow does not download (no network at run time): ...
    """
    if origin is None:
        raise ValueError('get_file: specify the "origin" argument (URL of the file)')
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    datadir = os.path.join(os.path.expanduser(cache_dir or _keras_home()), cache_subdir)
    given = fname
    fname = os.fspath(fname) if fname else os.path.basename(urllib.parse.urlsplit(origin).path)
    if not fname:
        raise ValueError(f"get_file: cannot parse a file name from {origin!r}; pass fname")
    if given and os.sep in fname:
        raise ValueError("get_file: paths are not accepted as `fname`; use `cache_dir` for "
                         f"the file's parent directory (got {fname!r})")
    target = os.path.join(datadir, fname)
    if extract or untar:
        if given and "." in fname:
            extraction = os.path.join(datadir, fname[:fname.find(".")] + "_extracted")
        else:
            extraction, target = target, target + "_archive"
    if force_download or not os.path.exists(target):
        if (extract or untar) and os.path.isdir(extraction) and not force_download:
            return extraction   # extracted earlier (the archive may have been removed)
        raise FileNotFoundError(
            f"get_file: graphflow does not download (no network at run time): put the file "
            f"from {origin} at {target} (Keras's cache; set KERAS_HOME to use another "
            "directory)")
    if file_hash is not None and not _hash_ok(target, file_hash, hash_algorithm):
        raise ValueError(f"get_file: {target} does not match its {hash_algorithm} hash "
                         f"{file_hash} (incomplete or another version); replace it")
    if extract or untar:
        if not os.path.isdir(extraction):
            _extract(target, extraction)
        return extraction
    return target


class _ArrayUnpickler(pickle.Unpickler):
    """Unpickles numpy arrays of Python ints/lists only (the IMDB object arrays), nothing
    that could run code."""
    _ALLOWED = {("numpy", "ndarray"), ("numpy", "dtype"),
                ("numpy.core.multiarray", "_reconstruct"),
                ("numpy._core.multiarray", "_reconstruct"), ("builtins", "list")}

    def find_class(self, module, name):
        if (module, name) not in self._ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name}")
        return super().find_class(module, name)


def _load_npz_objects(path):
    """{name: array} of an .npz whose arrays may be object arrays (restricted unpickling)."""
    out = {}
    with zipfile.ZipFile(path) as z:
        for member in z.namelist():
            data = io.BytesIO(z.read(member))
            version = np.lib.format.read_magic(data)
            read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0) else
                           np.lib.format.read_array_header_2_0)
            shape, _, dtype = read_header(data)
            if dtype.hasobject:
                arr = _ArrayUnpickler(data, encoding="latin1").load()
            else:
                arr = np.frombuffer(data.read(), dtype).reshape(shape)
            out[member[:-4] if member.endswith(".npy") else member] = arr
    return out


def _mnist(path="mnist.npz"):
    """`(x_train, y_train), (x_test, y_test)`: uint8 (60000, 28, 28) / (10000, 28, 28)."""
    p = get_file(path, origin=f"{_ORIGIN}mnist.npz")
    with np.load(p, allow_pickle=False) as f:
        return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])


def _fashion_mnist():
    """Fashion-MNIST from its four idx .gz files (Keras's `datasets/fashion-mnist/`)."""
    sub = os.path.join("datasets", "fashion-mnist")
    files = ["train-labels-idx1-ubyte.gz", "train-images-idx3-ubyte.gz",
             "t10k-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz"]
    paths = [get_file(f, origin=_ORIGIN + f, cache_subdir=sub) for f in files]

    def read(p, offset):
        with gzip.open(p, "rb") as f:
            return np.frombuffer(f.read(), np.uint8, offset=offset)
    y_train, y_test = read(paths[0], 8), read(paths[2], 8)
    x_train = read(paths[1], 16).reshape(len(y_train), 28, 28)
    x_test = read(paths[3], 16).reshape(len(y_test), 28, 28)
    return (x_train, y_train), (x_test, y_test)


def _cifar_batch(fpath, label_key="labels"):
    with open(fpath, "rb") as f:
        d = _CifarUnpickler(f, encoding="bytes").load()
    d = {k.decode("utf8") if isinstance(k, bytes) else k: v for k, v in d.items()}
    data = d["data"]
    return data.reshape(data.shape[0], 3, 32, 32), d[label_key]


class _CifarUnpickler(_ArrayUnpickler):
    _ALLOWED = _ArrayUnpickler._ALLOWED | {("builtins", "dict"), ("_codecs", "encode")}


def _cifar10():
    """CIFAR-10: uint8 (50000, 32, 32, 3) / (10000, 32, 32, 3), labels (n, 1)."""
    path = os.path.join(get_file("cifar-10-batches-py-target",
                                 origin="https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
                                 extract=True), "cifar-10-batches-py")
    x_train = np.empty((50000, 3, 32, 32), "uint8")
    y_train = np.empty((50000,), "uint8")
    for i in range(1, 6):
        x_train[(i - 1) * 10000:i * 10000], y_train[(i - 1) * 10000:i * 10000] = \
            _cifar_batch(os.path.join(path, f"data_batch_{i}"))
    x_test, y_test = _cifar_batch(os.path.join(path, "test_batch"))
    return ((x_train.transpose(0, 2, 3, 1), y_train.reshape(-1, 1)),
            (np.asarray(x_test, "uint8").transpose(0, 2, 3, 1),
             np.asarray(y_test, "uint8").reshape(-1, 1)))


def _cifar100(label_mode="fine"):
    """CIFAR-100 with "fine" (100) or "coarse" (20) labels."""
    if label_mode not in ("fine", "coarse"):
        raise ValueError(f'`label_mode` must be one of "fine", "coarse"; got {label_mode!r}')
    path = os.path.join(get_file("cifar-100-python-target",
                                 origin="https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz",
                                 extract=True), "cifar-100-python")
    x_train, y_train = _cifar_batch(os.path.join(path, "train"), f"{label_mode}_labels")
    x_test, y_test = _cifar_batch(os.path.join(path, "test"), f"{label_mode}_labels")
    return ((x_train.transpose(0, 2, 3, 1), np.reshape(y_train, (-1, 1))),
            (x_test.transpose(0, 2, 3, 1), np.reshape(y_test, (-1, 1))))


def _imdb(path="imdb.npz", num_words=None, skip_top=0, maxlen=None, seed=113, start_char=1,
          oov_char=2, index_from=3, **kwargs):
    """IMDB reviews as word-index lists, shuffled and offset exactly as Keras's loader."""
    f = _load_npz_objects(get_file(path, origin=f"{_ORIGIN}imdb.npz"))
    x_train, labels_train, x_test, labels_test = (f["x_train"], f["y_train"], f["x_test"],
                                                  f["y_test"])
    rng = np.random.RandomState(seed)
    idx = np.arange(len(x_train))
    rng.shuffle(idx)
    x_train, labels_train = x_train[idx], labels_train[idx]
    idx = np.arange(len(x_test))
    rng.shuffle(idx)
    x_test, labels_test = x_test[idx], labels_test[idx]
    if start_char is not None:
        x_train = [[start_char] + [w + index_from for w in x] for x in x_train]
        x_test = [[start_char] + [w + index_from for w in x] for x in x_test]
    else:
        x_train = [[w + index_from for w in x] for x in x_train]
        x_test = [[w + index_from for w in x] for x in x_test]
    if maxlen:
        keep_tr = [i for i, x in enumerate(x_train) if len(x) < maxlen]
        keep_te = [i for i, x in enumerate(x_test) if len(x) < maxlen]
        x_train, labels_train = [x_train[i] for i in keep_tr], labels_train[keep_tr]
        x_test, labels_test = [x_test[i] for i in keep_te], labels_test[keep_te]
        if not x_train or not x_test:
            raise ValueError(f"After filtering for sequences shorter than maxlen={maxlen}, no "
                             "sequence was kept. Increase maxlen.")
    xs = x_train + x_test
    labels = np.concatenate([labels_train, labels_test])
    if not num_words:
        num_words = max(max(x) for x in xs)
    if oov_char is not None:
        xs = [[w if skip_top <= w < num_words else oov_char for w in x] for x in xs]
    else:
        xs = [[w for w in x if skip_top <= w < num_words] for x in xs]
    n = len(x_train)
    return ((np.array(xs[:n], dtype="object"), labels[:n]),
            (np.array(xs[n:], dtype="object"), labels[n:]))


def _imdb_word_index(path="imdb_word_index.json"):
    """{word: index} of the IMDB dataset (before `index_from`)."""
    with open(get_file(path, origin=f"{_ORIGIN}imdb_word_index.json")) as f:
        return json.load(f)


def _boston_housing(path="boston_housing.npz", test_split=0.2, seed=113):
    """Boston housing: (404, 13) / (102, 13) features and prices, Keras's split."""
    if not 0 <= test_split < 1:
        raise ValueError(f"Invalid `test_split` argument: {test_split}. It must be between 0 "
                         "and 1 (exclusive of 1).")
    with np.load(get_file(path, origin=f"{_ORIGIN}boston_housing.npz"),
                 allow_pickle=False) as f:
        x, y = f["x"], f["y"]
    idx = np.arange(len(x))
    np.random.RandomState(seed).shuffle(idx)
    x, y = x[idx], y[idx]
    cut = int(len(x) * (1 - test_split))
    return (np.array(x[:cut]), np.array(y[:cut])), (np.array(x[cut:]), np.array(y[cut:]))


def _namespace(name, **fns):
    m = types.ModuleType(f"keras.datasets.{name}")
    m.__dict__.update(fns)
    return m


mnist = _namespace("mnist", load_data=_mnist)
fashion_mnist = _namespace("fashion_mnist", load_data=_fashion_mnist)
cifar10 = _namespace("cifar10", load_data=_cifar10)
cifar100 = _namespace("cifar100", load_data=_cifar100)
imdb = _namespace("imdb", load_data=_imdb, get_word_index=_imdb_word_index)
boston_housing = _namespace("boston_housing", load_data=_boston_housing)
