"""`tf.io`: files (`read_file`, `write_file`, `gfile`, `matching_files`), TFRecord files
(`TFRecordWriter`, `TFRecordOptions`), tensors as bytes (`serialize_tensor`, `parse_tensor`,
`decode_raw`), `tf.train.Example` parsing (`FixedLenFeature`, `VarLenFeature`,
`FixedLenSequenceFeature`, `RaggedFeature`, `parse_example`, `parse_single_example`) and CSV
(`decode_csv`), images (`decode_png`, `decode_jpeg`, `decode_image`, `encode_png`, ...; Pillow).
All run eagerly on numpy arrays of bytes (graphflow graphs hold numbers);
`tf.data` runs a map function that uses them eagerly.

Modules: `proto` (protocol-buffer wire and text format; the `tf.train.Example` messages and
TF's `TensorProto`), `tfrecord` (crc32c, framing, compression), `files`, `parsing`,
`images`.

>>> import graphflow as tf, os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), "d.tfrecord")
>>> with tf.io.TFRecordWriter(path) as w:
...     w.write(tf.io.serialize_tensor(tf.constant([1.5, 2.5])).numpy())
>>> [tf.io.parse_tensor(r, tf.float32).numpy().tolist() for r in tf.data.TFRecordDataset(path)]
[[1.5, 2.5]]
"""
from ..strings import decode_raw
from .files import decode_base64, encode_base64, gfile, matching_files, parse_tensor, read_file, serialize_tensor, write_file
from .parsing import (FixedLenFeature, FixedLenSequenceFeature, RaggedFeature, VarLenFeature,
                      decode_csv, parse_example, parse_single_example,
                      parse_single_sequence_example)
from .images import (decode_bmp, decode_gif, decode_image, decode_jpeg, decode_png, encode_jpeg,
                     encode_png, extract_jpeg_shape, is_jpeg)
from .tfrecord import TFRecordOptions, TFRecordWriter

__all__ = ["decode_raw", "gfile", "matching_files", "parse_tensor", "read_file",
           "serialize_tensor", "write_file", "FixedLenFeature", "FixedLenSequenceFeature",
           "RaggedFeature", "VarLenFeature", "decode_csv", "parse_example",
           "parse_single_example", "parse_single_sequence_example", "TFRecordOptions",
           "TFRecordWriter", "encode_base64", "decode_base64", "decode_bmp", "decode_gif",
           "decode_image", "decode_jpeg", "decode_png", "encode_jpeg", "encode_png",
           "extract_jpeg_shape", "is_jpeg"]
