"""`keras.utils.image_dataset_from_directory` / `text_dataset_from_directory`: a directory of
class subdirectories as a batched `tf.data.Dataset` of (data, label), as Keras 3 indexes it
(classes in alphanumeric order, files walked in sorted order, one seeded shuffle of the file
list, `validation_split` taken from its end, then a per-epoch shuffle of the paths). Files are
read as the batches are drawn.

>>> import os, tempfile
>>> d = tempfile.mkdtemp()
>>> for c in ("neg", "pos"):
...     os.makedirs(os.path.join(d, c))
...     for i in range(2):
...         with open(os.path.join(d, c, f"{i}.txt"), "w") as f:
...             _ = f.write(f"{c} text {i}")
>>> ds = text_dataset_from_directory(d, batch_size=4, shuffle=False)
Found 4 files belonging to 2 classes.
>>> x, y = next(iter(ds))
>>> ds.class_names, x.numpy()[0], y.numpy().tolist()
(['neg', 'pos'], b'neg text 0', [0, 0, 1, 1])
"""
import os

import numpy as np

from .. import audio as _audio, dtypes as _dt
from ..data.dataset import AUTOTUNE, Dataset
from ..io import images as _io_images
from ..ops import image_extra_ops as _imx, image_ops as _im
from ..ragged import RaggedTensor
from ..tensor import convert_to_tensor

IMAGE_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
TEXT_FORMATS = (".txt",)


def index_directory(directory, labels, formats, class_names=None, shuffle=True, seed=None,
                    follow_links=False, verbose=True):
    """(file paths, integer labels or None, class names) of the files under `directory` whose
    extension is in `formats`, as Keras 3's `dataset_utils.index_directory`."""
    if labels == "inferred":
        subdirs = [s for s in sorted(os.listdir(directory))
                   if os.path.isdir(os.path.join(directory, s)) and not s.startswith(".")]
        if class_names is not None:
            if not set(class_names).issubset(subdirs):
                raise ValueError("The `class_names` passed did not match the names of the "
                                 f"subdirectories of the target directory. Expected: {subdirs} "
                                 f"(or a subset of it), but received: class_names={class_names}")
            subdirs = list(class_names)
    else:
        if class_names is not None:
            raise ValueError("`class_names` can only be given with labels='inferred' (with "
                             "explicit labels they are the sorted labels)")
        subdirs = [""]
    files, inferred = [], []
    for index, sub in enumerate(subdirs):
        root_dir = os.path.join(directory, sub)
        for root, _, names in sorted(os.walk(root_dir, followlinks=follow_links),
                                     key=lambda w: w[0]):
            for name in sorted(names):
                if name.lower().endswith(formats):
                    files.append(os.path.join(root, name))
                    inferred.append(index)
    if labels == "inferred":
        labels = np.asarray(inferred, np.int32)
        class_names = subdirs
    elif labels is None:
        class_names = None
    else:
        if len(labels) != len(files):
            raise ValueError(f"Expected the lengths of `labels` to match the number of files in "
                             f"the target directory. len(labels) is {len(labels)} while we "
                             f"found {len(files)} files in directory {directory}.")
        class_names = [str(v) for v in sorted(set(labels))]
        labels = np.asarray(labels)
    if verbose:
        print(f"Found {len(files)} files." if labels is None else
              f"Found {len(files)} files belonging to {len(class_names)} classes.")
    if shuffle:   # one global shuffle of paths and labels with the same seed (as Keras)
        seed = np.random.randint(1e6) if seed is None else seed
        np.random.RandomState(seed).shuffle(files)
        if labels is not None:
            np.random.RandomState(seed).shuffle(labels)
    return files, labels, class_names


def _split(paths, labels, validation_split, subset):
    """The training (head) or validation (tail) part, as Keras."""
    if not validation_split:
        return paths, labels
    n_val = int(validation_split * len(paths))
    if subset == "training":
        print(f"Using {len(paths) - n_val} files for training.")
        sl = slice(None, len(paths) - n_val)
    elif subset == "validation":
        print(f"Using {n_val} files for validation.")
        sl = slice(len(paths) - n_val, None)
    else:
        raise ValueError(f'`subset` must be either "training" or "validation", received: '
                         f"{subset}")
    return paths[sl], None if labels is None else labels[sl]


def _check_split(validation_split, subset, shuffle, seed):
    if validation_split and not 0 < validation_split < 1:
        raise ValueError(f"`validation_split` must be between 0 and 1, received: "
                         f"{validation_split}")
    if (validation_split or subset) and not (validation_split and subset):
        raise ValueError("If `subset` is set, `validation_split` must be set, and inversely.")
    if subset not in ("training", "validation", "both", None):
        raise ValueError(f'`subset` must be either "training", "validation" or "both", '
                         f"received: {subset}")
    if validation_split and shuffle and seed is None:
        raise ValueError("If using `validation_split` and shuffling the data, you must provide "
                         "a `seed` argument, to make sure that there is no overlap between the "
                         "training and validation subset.")


def _label_values(labels, label_mode, num_classes):
    if label_mode == "binary":
        return np.asarray(labels, np.float32)[:, None]
    if label_mode == "categorical":
        return np.eye(num_classes, dtype=np.float32)[np.asarray(labels, np.int64)]
    return np.asarray(labels, np.int32)


def _build(paths, labels, label_mode, num_classes, load, batch_size, shuffle, seed,
           padded=False):
    """paths (+ labels) -> a per-epoch shuffled dataset of load(path) (+ label), batched
    (`padded`: each batch padded to its longest element)."""
    ds = Dataset.from_tensor_slices(list(paths))
    if label_mode:
        ds = Dataset.zip((ds, Dataset.from_tensor_slices(
            _label_values(labels, label_mode, num_classes))))
    if shuffle:
        ds = ds.shuffle(buffer_size=batch_size * 8 if batch_size else 1024, seed=seed)
    ds = ds.map((lambda p, y: (load(p), y)) if label_mode else load)
    if batch_size is not None:
        ds = ds.padded_batch(batch_size) if padded else ds.batch(batch_size)
    return ds.prefetch(AUTOTUNE)


def _from_directory(directory, labels, label_mode, class_names, batch_size, shuffle, seed,
                    validation_split, subset, follow_links, verbose, formats, load, what,
                    padded=False):
    if labels not in ("inferred", None) and not isinstance(labels, (list, tuple)):
        raise ValueError("`labels` must be 'inferred', None, or a list/tuple of integer labels "
                         f"(one per file, in sorted path order). Received: labels={labels}")
    if label_mode not in ("int", "categorical", "binary", None):
        raise ValueError('`label_mode` argument must be one of "int", "categorical", "binary", '
                         f"or None. Received: label_mode={label_mode}")
    if labels is None or label_mode is None:
        labels = label_mode = None
    _check_split(validation_split, subset, shuffle, seed)
    seed = np.random.randint(1e6) if seed is None else seed
    paths, labels, class_names = index_directory(directory, labels, formats, class_names,
                                                 shuffle, seed, follow_links, verbose)
    if label_mode == "binary" and len(class_names) != 2:
        raise ValueError('When passing `label_mode="binary"`, there must be exactly 2 '
                         f"class_names. Received: class_names={class_names}")
    n = len(class_names) if class_names else 0
    parts = [("training", shuffle), ("validation", False)] if subset == "both" else \
        [(subset, shuffle)]
    out = []
    for part, shuf in parts:
        p, lab = _split(paths, labels, validation_split, part)
        if not p:
            raise ValueError(f"No {what} found in directory {directory}. Allowed formats: "
                             f"{formats}")
        ds = _build(p, lab, label_mode, n, load, batch_size, shuf, seed, padded)
        ds.class_names, ds.file_paths = class_names, list(p)
        out.append(ds)
    return out if subset == "both" else out[0]


def _path_of(p):
    v = p.numpy() if hasattr(p, "numpy") else p
    return v.decode() if isinstance(v, bytes) else str(v)


def load_image_array(path, num_channels, image_size, interpolation="bilinear",
                     crop_to_aspect_ratio=False, pad_to_aspect_ratio=False):
    """An image file as float32 (height, width, channels) of `image_size`, as Keras'
    `load_image`: decoded as `tf.io.decode_image`, then resized (after a centred crop to the
    target aspect ratio, or with `tf.image.resize_with_pad`, when asked)."""
    with open(path, "rb") as f:
        img = _io_images.decode_image(f.read(), channels=num_channels, expand_animations=False)
    arr = np.asarray(img.numpy(), np.float32)
    h, w = arr.shape[:2]
    th, tw = image_size
    if pad_to_aspect_ratio:
        return np.asarray(_imx.resize_with_pad(convert_to_tensor(arr), th, tw,
                                               method=interpolation).numpy(), np.float32)
    if crop_to_aspect_ratio:   # the centred window of the target aspect ratio
        ch, cw = min(h, int(w * th / tw)), min(w, int(h * tw / th))
        top, left = (h - ch) // 2, (w - cw) // 2
        arr = arr[top:top + ch, left:left + cw]
    return np.asarray(_im.resize(convert_to_tensor(arr), (th, tw), method=interpolation).numpy(),
                      np.float32)


def image_dataset_from_directory(directory, labels="inferred", label_mode="int",
                                 class_names=None, color_mode="rgb", batch_size=32,
                                 image_size=(256, 256), shuffle=True, seed=None,
                                 validation_split=None, subset=None, interpolation="bilinear",
                                 follow_links=False, crop_to_aspect_ratio=False,
                                 pad_to_aspect_ratio=False, data_format=None, verbose=True):
    """Images in class subdirectories of `directory` as a dataset of (float32 images of
    `image_size`, labels) batches (`class_names`, `file_paths` attributes); `subset="both"`
    gives [training, validation]. Needs Pillow (the keras extra)."""
    channels = {"rgb": 3, "rgba": 4, "grayscale": 1}.get(color_mode)
    if channels is None:
        raise ValueError('`color_mode` must be one of {"rgb", "rgba", "grayscale"}. '
                         f"Received: color_mode={color_mode}")
    size = (image_size, image_size) if isinstance(image_size, int) else tuple(image_size)
    if len(size) != 2:
        raise ValueError(f"Invalid `image_size` value. Expected a tuple of 2 integers. "
                         f"Received: image_size={image_size}")
    channels_first = data_format == "channels_first"

    def load(p):
        a = load_image_array(_path_of(p), channels, size, interpolation.lower(),
                             crop_to_aspect_ratio, pad_to_aspect_ratio)
        return convert_to_tensor(np.moveaxis(a, -1, 0) if channels_first else a)
    return _from_directory(directory, labels, label_mode, class_names, batch_size, shuffle,
                           seed, validation_split, subset, follow_links, verbose, IMAGE_FORMATS,
                           load, "images")


def text_dataset_from_directory(directory, labels="inferred", label_mode="int",
                                class_names=None, batch_size=32, max_length=None, shuffle=True,
                                seed=None, validation_split=None, subset=None,
                                follow_links=False, verbose=True):
    """.txt files in class subdirectories of `directory` as a dataset of (string, label)
    batches (each text cut to `max_length` characters when given)."""
    def load(p):
        with open(_path_of(p), "rb") as f:
            data = f.read()
        if max_length is not None:
            data = data.decode("utf-8", "replace")[:max_length].encode()
        return convert_to_tensor(data, _dt.string)
    return _from_directory(directory, labels, label_mode, class_names, batch_size, shuffle,
                           seed, validation_split, subset, follow_links, verbose, TEXT_FORMATS,
                           load, "text files")


def audio_dataset_from_directory(directory, labels="inferred", label_mode="int",
                                 class_names=None, batch_size=32, sampling_rate=None,
                                 output_sequence_length=None, ragged=False, shuffle=True,
                                 seed=None, validation_split=None, subset=None,
                                 follow_links=False, verbose=True):
    """.wav files in class subdirectories as a dataset of (float32 (samples, channels) audio,
    label) batches: cut or zero-padded to `output_sequence_length`, else each batch padded to
    its longest clip (or RaggedTensors with `ragged=True`), as Keras."""
    if ragged and output_sequence_length is not None:
        raise ValueError("Cannot set both `ragged` and `output_sequence_length`")
    if sampling_rate is not None:   # Keras resamples with tensorflow-io, which is not here
        raise NotImplementedError("audio_dataset_from_directory(sampling_rate=...): resampling "
                                  "is not supported; leave sampling_rate=None")
    def load(p):
        with open(_path_of(p), "rb") as f:
            wav, _ = _audio.decode_wav(f.read(), desired_samples=output_sequence_length or -1)
        return RaggedTensor.from_tensor(wav) if ragged else wav
    return _from_directory(directory, labels, label_mode, class_names, batch_size, shuffle,
                           seed, validation_split, subset, follow_links, verbose, (".wav",),
                           load, "audio files",
                           padded=output_sequence_length is None and not ragged)


def load_img(path, color_mode="rgb", target_size=None, interpolation="nearest",
             keep_aspect_ratio=False):
    """`keras.utils.load_img`: a PIL image (converted to `color_mode`, resized to
    `target_size` (height, width) when given)."""
    from PIL import Image
    img = Image.open(path)
    img = img.convert({"rgb": "RGB", "rgba": "RGBA", "grayscale": "L"}[color_mode])
    if target_size is not None and img.size != (target_size[1], target_size[0]):
        resample = {"nearest": Image.NEAREST, "bilinear": Image.BILINEAR,
                    "bicubic": Image.BICUBIC, "lanczos": Image.LANCZOS,
                    "box": Image.BOX, "hamming": Image.HAMMING}[interpolation]
        if keep_aspect_ratio:   # centre crop to the target's aspect ratio first
            w, h = img.size
            th, tw = target_size
            cw, ch = min(w, h * tw // th), min(h, w * th // tw)
            img = img.crop(((w - cw) // 2, (h - ch) // 2, (w - cw) // 2 + cw, (h - ch) // 2 + ch))
        img = img.resize((target_size[1], target_size[0]), resample)
    return img
