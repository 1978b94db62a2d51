"""keras.utils.image_dataset_from_directory / text_dataset_from_directory on generated files.
The expected file orders and pixel sums were measured with TF 2.21 + Keras 3.15.1 on the same
generated PNGs (lossless, so the pixels are exact)."""
import os

import numpy as np
import pytest

import graphflow as tf

PIL = pytest.importorskip("PIL.Image")


@pytest.fixture(scope="module")
def image_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("imgs")
    rng = np.random.default_rng(0)
    for c in ["cats", "dogs"]:
        os.makedirs(root / c)
        for i in range(5):
            a = rng.integers(0, 255, (20 + i, 30, 3), dtype=np.uint8)
            PIL.fromarray(a).save(root / c / f"{i}.png")
    (root / "cats" / "notes.txt").write_text("not an image")
    return str(root)


def names(paths):
    return [tuple(p.split(os.sep)[-2:]) for p in paths]


def test_split_order_and_pixels_as_keras(image_dir, capsys):
    tr, va = tf.keras.utils.image_dataset_from_directory(
        image_dir, image_size=(16, 12), batch_size=3, seed=7, validation_split=0.3,
        subset="both")
    out = capsys.readouterr().out
    assert "Found 10 files belonging to 2 classes." in out and "Using 7 files for training." in out
    assert tr.class_names == ["cats", "dogs"]
    assert names(tr.file_paths) == [("dogs", "3.png"), ("dogs", "0.png"), ("cats", "0.png"),
                                    ("cats", "2.png"), ("cats", "1.png"), ("dogs", "4.png"),
                                    ("dogs", "2.png")]
    assert names(va.file_paths) == [("cats", "3.png"), ("dogs", "1.png"), ("cats", "4.png")]
    x, y = next(iter(va))   # the validation part is not shuffled
    assert x.shape == (3, 16, 12, 3) and x.dtype == tf.float32
    assert y.numpy().tolist() == [0, 1, 0]
    np.testing.assert_allclose(float(np.asarray(x, np.float64).sum()), 219019.828125, rtol=1e-6)
    assert sum(int(b[0].shape[0]) for b in tr) == 7


@pytest.mark.parametrize("kw,want", [
    (dict(color_mode="grayscale"), 97186.41), (dict(crop_to_aspect_ratio=True), 291600.99),
    (dict(pad_to_aspect_ratio=True), 150476.1), (dict(interpolation="nearest"), 291683.0),
    (dict(interpolation="area"), 292844.0)])
def test_resize_modes_match_keras(image_dir, kw, want):
    ds = tf.keras.utils.image_dataset_from_directory(image_dir, image_size=(16, 12), batch_size=4,
                                                     shuffle=False, verbose=False, **kw)
    x, _ = next(iter(ds))
    np.testing.assert_allclose(float(np.asarray(x, np.float64).sum()), want, rtol=1e-6)


def test_label_modes_and_explicit_labels(image_dir):
    ds = tf.keras.utils.image_dataset_from_directory(image_dir, image_size=(8, 8), batch_size=10,
                                                     shuffle=False, label_mode="categorical",
                                                     verbose=False)
    _, y = next(iter(ds))
    np.testing.assert_array_equal(y.numpy(), np.repeat(np.eye(2, dtype=np.float32), 5, 0))
    ds = tf.keras.utils.image_dataset_from_directory(image_dir, image_size=(8, 8), batch_size=None,
                                                     shuffle=False, label_mode="binary",
                                                     verbose=False)
    assert [float(y[0]) for _, y in ds] == [0.] * 5 + [1.] * 5
    ds = tf.keras.utils.image_dataset_from_directory(image_dir, labels=list(range(10)),
                                                     image_size=(8, 8), shuffle=False,
                                                     verbose=False)
    assert next(iter(ds))[1].numpy().tolist() == list(range(10))
    ds = tf.keras.utils.image_dataset_from_directory(image_dir, labels=None, image_size=(8, 8),
                                                     shuffle=False, verbose=False)
    assert next(iter(ds)).shape == (10, 8, 8, 3)
    with pytest.raises(ValueError, match="seed"):
        tf.keras.utils.image_dataset_from_directory(image_dir, validation_split=0.2,
                                                    subset="training")


def test_text_dataset_from_directory(tmp_path, capsys):
    for c, texts in {"neg": ["bad movie", "awful"], "pos": ["great fun", "loved it", "wow"]}.items():
        os.makedirs(tmp_path / c)
        for i, t in enumerate(texts):
            (tmp_path / c / f"{i}.txt").write_text(t)
    ds = tf.keras.utils.text_dataset_from_directory(str(tmp_path), batch_size=8, shuffle=False,
                                                    max_length=5)
    x, y = next(iter(ds))
    assert x.numpy().tolist() == [b"bad m", b"awful", b"great", b"loved", b"wow"]
    assert y.numpy().tolist() == [0, 0, 1, 1, 1]
    tr = tf.keras.utils.text_dataset_from_directory(str(tmp_path), validation_split=0.4,
                                                    subset="training", seed=1)
    assert "Using 3 files for training." in capsys.readouterr().out
    assert sum(int(b[1].shape[0]) for b in tr) == 3


def test_audio_dataset_from_directory(tmp_path):
    lengths = {"no": [5, 3], "yes": [4]}
    for c, ls in lengths.items():
        os.makedirs(tmp_path / c)
        for i, n in enumerate(ls):
            wav = tf.audio.encode_wav(tf.constant(np.full((n, 1), 0.25 * (i + 1), np.float32)),
                                      16000)
            (tmp_path / c / f"{i}.wav").write_bytes(wav.numpy())
    ds = tf.keras.utils.audio_dataset_from_directory(str(tmp_path), batch_size=3, shuffle=False,
                                                     verbose=False)
    x, y = next(iter(ds))   # padded to the longest clip of the batch
    assert x.shape == (3, 5, 1) and y.numpy().tolist() == [0, 0, 1]
    np.testing.assert_allclose(x.numpy()[1, :, 0], [0.5, 0.5, 0.5, 0, 0])
    ds = tf.keras.utils.audio_dataset_from_directory(str(tmp_path), batch_size=3, shuffle=False,
                                                     output_sequence_length=4, verbose=False)
    assert next(iter(ds))[0].shape == (3, 4, 1)
    ds = tf.keras.utils.audio_dataset_from_directory(str(tmp_path), batch_size=3, shuffle=False,
                                                     ragged=True, verbose=False)
    assert next(iter(ds))[0].row_lengths().numpy().tolist() == [5, 3, 4]
