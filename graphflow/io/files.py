"""File ops of `tf.io`: `read_file`, `write_file`, `matching_files`, `gfile`, and
`serialize_tensor` / `parse_tensor` (TF's `TensorProto` bytes, so files round-trip with TF).

>>> import graphflow as tf
>>> s = tf.io.serialize_tensor(tf.constant(1.0))
>>> s.numpy()
b'\\x08\\x01\\x12\\x00"\\x04\\x00\\x00\\x80?'
>>> float(tf.io.parse_tensor(s, tf.float32))
1.0
"""
import base64
import os
import types

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError, NotFoundError
from ..lazy import lazy_module
from ..ops import eager_graph as _eg
from ..ops.registry import Aval, op_error
from ..tensor import Tensor, bytes_array, convert_to_tensor
from .proto import DecodeError, TensorProto, TensorShapeProto
from .tfrecord import open_read

# imported at first use: `import graphflow` does not need them (shutil brings bz2 and lzma)
glob = lazy_module("glob")
shutil = lazy_module("shutil")

__all__ = ["read_file", "write_file", "matching_files", "serialize_tensor", "parse_tensor",
           "gfile", "as_bytes", "as_path", "DTYPE_ENUM", "encode_base64", "decode_base64"]

#: TF's DataType enum values (types.proto) for graphflow's dtypes
DTYPE_ENUM = {"float32": 1, "float64": 2, "int32": 3, "uint8": 4, "int16": 5, "int8": 6,
              "string": 7, "complex64": 8, "int64": 9, "bool": 10, "complex128": 18,
              "float16": 19}
_ENUM_DTYPE = {v: k for k, v in DTYPE_ENUM.items()}


def as_bytes(x, what):
    """One Python bytes value from a scalar string tensor, str, bytes or 0-d array."""
    if isinstance(x, Tensor):
        x = x.numpy()
    if isinstance(x, np.ndarray):
        if x.shape != ():
            raise InvalidArgumentError(f"{what}: expected a scalar string, got shape "
                                       f"{list(x.shape)}")
        x = x.item()
    if isinstance(x, str):
        return x.encode("utf-8")
    if isinstance(x, (bytes, bytearray, np.bytes_)):
        return bytes(x)
    raise TypeError(f"{what}: expected a string, got {type(x).__name__} {x!r}")


def as_path(x, what):
    if isinstance(x, os.PathLike):
        return os.fspath(x)
    return as_bytes(x, what).decode("utf-8")


def read_file(filename, name=None):
    """The whole contents of a file, as a scalar `tf.string` tensor (`tf.io.read_file`).

    >>> import graphflow as tf, os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "x.txt")
    >>> tf.io.write_file(p, "hi\\n")
    >>> tf.io.read_file(p).numpy()
    b'hi\\n'
    """
    if _eg.in_graph():   # inside @function: a node reading the file when the graph runs
        return _eg.bind_eager(READ_FILE, [convert_to_tensor(filename, _dt.string)], {})
    out = np.empty((), dtype=object)   # (np.asarray of bytes would drop trailing NULs)
    out[()] = open_read(as_path(filename, "tf.io.read_file"), "", "tf.io.read_file")
    return convert_to_tensor(out, _dt.string)


def _read_file_rule(filename):
    if np.dtype(filename.dtype) != _eg.STRING or tuple(filename.shape) != ():
        raise op_error("read_file", [filename], "needs a scalar string file name")
    return Aval((), _eg.STRING)


READ_FILE = _eg.eager_graph_op("read_file", read_file, _read_file_rule, "tf.io.read_file")


def write_file(filename, contents, name=None):
    """Write the scalar string `contents` to `filename`, creating its directory if needed
    (`tf.io.write_file`)."""
    path = as_path(filename, "tf.io.write_file")
    data = as_bytes(contents, "tf.io.write_file")
    d = os.path.dirname(path)
    if d:
        os.makedirs(d, exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def matching_files(pattern, name=None):
    """The sorted file names matching the glob `pattern` (a string or list of patterns).

    >>> import graphflow as tf
    >>> tf.io.matching_files("/nonexistent/*").shape.as_list()
    [0]
    """
    pats = pattern.numpy() if isinstance(pattern, Tensor) else pattern
    pats = [pats] if isinstance(pats, (str, bytes)) or np.ndim(pats) == 0 else list(np.ravel(pats))
    names = sorted(n for p in pats for n in glob.glob(as_path(p, "tf.io.matching_files")))
    return convert_to_tensor(bytes_array(np.array(names, dtype=object).reshape(-1)), _dt.string)


def serialize_tensor(tensor, name=None):
    """The `TensorProto` bytes of a tensor (`tf.io.serialize_tensor`), as a scalar string.

    >>> import graphflow as tf
    >>> t = tf.io.parse_tensor(tf.io.serialize_tensor(tf.constant([[1, 2]])), tf.int32)
    >>> t.numpy().tolist()
    [[1, 2]]
    """
    t = tensor if isinstance(tensor, Tensor) else convert_to_tensor(tensor)
    arr = np.asarray(t.numpy())
    dt = t.dtype.name
    if dt not in DTYPE_ENUM:
        raise InvalidArgumentError(f"tf.io.serialize_tensor: dtype {dt} is not supported")
    shape = TensorShapeProto()
    for d in arr.shape:
        shape.dim.add(size=int(d))
    proto = TensorProto(dtype=DTYPE_ENUM[dt], tensor_shape=shape)
    if dt == "string":
        proto.string_val.extend(arr.reshape(-1).tolist())
    else:
        proto.tensor_content = np.ascontiguousarray(arr).astype(
            arr.dtype.newbyteorder("<")).tobytes()
    return convert_to_tensor(bytes_array(np.array(proto.SerializeToString(), dtype=object)),
                             _dt.string)


def parse_tensor(serialized, out_type, name=None):
    """The tensor of `TensorProto` bytes (`tf.io.parse_tensor`); `out_type` must be its dtype.
    """
    data = as_bytes(serialized, "tf.io.parse_tensor")
    try:
        proto = TensorProto.FromString(data)
    except DecodeError as e:
        raise InvalidArgumentError(f"tf.io.parse_tensor: could not parse a TensorProto: {e}") \
            from None
    want = _dt.as_dtype(out_type)
    got = _ENUM_DTYPE.get(proto.dtype)
    if got != want.name:
        raise InvalidArgumentError(f"tf.io.parse_tensor: type mismatch between the parsed "
                                   f"tensor ({got or proto.dtype}) and out_type ({want.name})")
    shape = tuple(int(d.size) for d in proto.tensor_shape.dim)
    if got == "string":
        vals = np.empty(len(proto.string_val), dtype=object)
        vals[:] = list(proto.string_val)
        return convert_to_tensor(vals.reshape(shape), _dt.string)
    arr = np.frombuffer(proto.tensor_content, dtype=np.dtype(want.np).newbyteorder("<"))
    if arr.size != int(np.prod(shape)):
        raise InvalidArgumentError(f"tf.io.parse_tensor: {arr.size} values for shape "
                                   f"{list(shape)}")
    return convert_to_tensor(arr.astype(want.np).reshape(shape), want)


def encode_base64(input, pad=False, name=None):   # noqa: A002 (TF's argument name)
    """Web-safe base64 (`-` and `_` for `+` and `/`) of every string, `=` padding if `pad`.

    >>> import graphflow as tf
    >>> tf.io.encode_base64(tf.constant([bytes([251, 255]), b"ab"])).numpy().tolist()
    [b'-_8', b'YWI']
    """
    t = input if isinstance(input, Tensor) else convert_to_tensor(input, _dt.string)
    arr = np.asarray(t.numpy(), dtype=object)
    out = np.empty(arr.shape, dtype=object)
    for idx, b in np.ndenumerate(arr):
        e = base64.urlsafe_b64encode(b)
        out[idx] = e if pad else e.rstrip(b"=")
    return convert_to_tensor(out, _dt.string)


def decode_base64(input, name=None):   # noqa: A002 (TF's argument name)
    """The bytes of web-safe base64 strings (padding optional).

    >>> import graphflow as tf
    >>> tf.io.decode_base64(["-_8", "YWI="]).numpy().tolist()
    [b'\\xfb\\xff', b'ab']
    """
    t = input if isinstance(input, Tensor) else convert_to_tensor(input, _dt.string)
    arr = np.asarray(t.numpy(), dtype=object)
    out = np.empty(arr.shape, dtype=object)
    for idx, b in np.ndenumerate(arr):
        try:
            out[idx] = base64.urlsafe_b64decode(b + b"=" * (-len(b.rstrip(b"=")) % 4))
        except (ValueError, TypeError):
            raise InvalidArgumentError(f"tf.io.decode_base64: invalid base64 {b!r}") from None
    return convert_to_tensor(out, _dt.string)


def _copy(src, dst, overwrite=False):
    if not overwrite and os.path.exists(dst):
        raise FileExistsError(f"tf.io.gfile.copy: {dst} exists (pass overwrite=True)")
    shutil.copyfile(src, dst)


def _listdir(path):
    if not os.path.isdir(path):
        raise NotFoundError(f"tf.io.gfile.listdir: could not find directory {path}")
    return os.listdir(path)


gfile = types.ModuleType("graphflow.io.gfile")
gfile.__dict__.update(
    exists=os.path.exists, isdir=os.path.isdir, listdir=_listdir,
    makedirs=lambda path: os.makedirs(path, exist_ok=True), mkdir=os.mkdir, remove=os.remove,
    rmtree=lambda path: shutil.rmtree(path),
    rename=lambda src, dst, overwrite=False: os.replace(src, dst),
    glob=lambda pattern: sorted(glob.glob(pattern)), GFile=open, copy=_copy, walk=os.walk,
    join=os.path.join)
