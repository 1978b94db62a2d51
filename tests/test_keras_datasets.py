"""keras.datasets / keras.utils.get_file, cache only: files written in Keras's cache layout
under a temporary KERAS_HOME load as Keras's own loaders load them (the expected values are
what Keras 3.15's loaders returned for the same files); a missing file is a clear error."""
import gzip
import io
import os
import pickle
import tarfile

import numpy as np
import pytest

import graphflow as tf

D = tf.keras.datasets


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    d = tmp_path / "datasets"
    d.mkdir()
    r = np.random.RandomState(0)
    np.savez(d / "mnist.npz", x_train=r.randint(0, 256, (5, 28, 28)).astype("uint8"),
             y_train=np.arange(5, dtype="uint8"),
             x_test=r.randint(0, 256, (3, 28, 28)).astype("uint8"),
             y_test=np.arange(3, dtype="uint8"))
    fm = d / "fashion-mnist"
    fm.mkdir()
    for name, n in [("train", 4), ("t10k", 2)]:
        with gzip.open(fm / f"{name}-labels-idx1-ubyte.gz", "wb") as f:
            f.write(b"\0" * 8 + (np.arange(n) % 10).astype("uint8").tobytes())
        with gzip.open(fm / f"{name}-images-idx3-ubyte.gz", "wb") as f:
            f.write(b"\0" * 16 + r.randint(0, 256, (n, 28, 28)).astype("uint8").tobytes())
    xs = np.empty(7, dtype=object)
    for i in range(7):
        xs[i] = [int(v) for v in r.randint(0, 30, r.randint(3, 9))]
    xt = np.empty(4, dtype=object)
    for i in range(4):
        xt[i] = [int(v) for v in r.randint(0, 30, r.randint(3, 9))]
    np.savez(d / "imdb.npz", x_train=xs, y_train=(np.arange(7) % 2).astype("int64"),
             x_test=xt, y_test=(np.arange(4) % 2).astype("int64"))
    np.savez(d / "boston_housing.npz", x=r.rand(10, 13), y=r.rand(10))
    with tarfile.open(d / "cifar-100-python-target_archive", "w:gz") as t:
        for name, n in [("train", 6), ("test", 2)]:
            raw = pickle.dumps({b"data": r.randint(0, 256, (n, 3072)).astype("uint8"),
                                b"fine_labels": list(range(n)),
                                b"coarse_labels": [i % 2 for i in range(n)]}, protocol=2)
            info = tarfile.TarInfo("cifar-100-python/" + name)
            info.size = len(raw)
            t.addfile(info, io.BytesIO(raw))
    return tmp_path


def test_mnist_fashion_boston_load_as_keras(home):
    (x, y), (xt, yt) = D.mnist.load_data()
    assert x.shape == (5, 28, 28) and x.dtype == np.uint8 and int(x.sum()) == 493380
    assert y.tolist() == [0, 1, 2, 3, 4] and xt.shape == (3, 28, 28)
    (x, y), (xt, yt) = D.fashion_mnist.load_data()
    assert x.shape == (4, 28, 28) and int(x.sum()) == 404604 and int(xt.sum()) == 200138
    (x, y), (xt, yt) = D.boston_housing.load_data()
    assert x.shape == (8, 13) and xt.shape == (2, 13)
    np.testing.assert_allclose([x.sum(), y.sum(), xt.sum(), yt.sum()],
                               [56.373, 5.619, 13.524, 1.238], atol=1e-3)


def test_imdb_offsets_shuffle_and_filters_as_keras(home):
    (x, y), (xt, yt) = D.imdb.load_data()
    assert [list(v) for v in x] == [
        [1, 24, 11, 12, 12, 23, 13, 10], [1, 4, 6, 9, 24, 15], [1, 17, 9, 10, 2, 23, 4, 20, 10],
        [1, 19, 4, 14, 27], [1, 11, 20, 24, 25, 26, 25, 18, 28], [1, 16, 25, 6, 12],
        [1, 30, 30, 15, 17, 5, 5, 15]]
    assert int(y.sum()) == 3 and x.dtype == object
    assert [list(v) for v in xt][1] == [1, 30, 25, 25, 7, 24, 13]
    (x, y), (xt, yt) = D.imdb.load_data(num_words=20, skip_top=2, maxlen=8, seed=3)
    assert [list(v) for v in x] == [[2, 16, 2, 6, 12], [2, 19, 4, 14, 2], [2, 4, 6, 9, 2, 15]]
    assert [list(v) for v in xt] == [[2, 16, 2, 6], [2, 2, 5, 3, 18, 2],
                                     [2, 2, 2, 2, 7, 2, 13]]


def test_cifar100_extracts_the_cached_archive(home):
    (x, y), (xt, yt) = D.cifar100.load_data()
    assert x.shape == (6, 32, 32, 3) and y.tolist() == [[i] for i in range(6)]
    assert D.cifar100.load_data("coarse")[0][1].ravel().tolist() == [0, 1, 0, 1, 0, 1]
    assert os.path.isdir(home / "datasets" / "cifar-100-python-target")


def test_missing_file_says_where_to_put_it(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="does not download.*mnist.npz"):
        D.mnist.load_data()
    p = tmp_path / "datasets" / "x.bin"
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(b"abc")
    assert tf.keras.utils.get_file("x.bin", "https://example.com/x.bin") == str(p)
    with pytest.raises(ValueError, match="hash"):
        tf.keras.utils.get_file("x.bin", "https://example.com/x.bin", file_hash="0" * 64)
    evil = tmp_path / "datasets" / "bad.npz"
    np.savez(evil, x_train=np.array([object()], dtype=object))
    with pytest.raises(pickle.UnpicklingError, match="refusing"):
        from graphflow.keras.datasets import _load_npz_objects
        _load_npz_objects(str(evil))
