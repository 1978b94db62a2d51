"""TFRecord files: each record is `uint64 length | uint32 masked crc32c(length) | data |
uint32 masked crc32c(data)` (little-endian), optionally compressed as a whole ("GZIP",
"ZLIB"). crc32c (Castagnoli) is computed here, slicing-by-8 in Python.

>>> crc32c(b"123456789") == 0xE3069283
True
>>> import os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), "a.tfrecord")
>>> with TFRecordWriter(path) as w:
...     w.write(b"hello"); w.write(b"")
>>> list(read_records(path))
[b'hello', b'']
"""
import os
import struct
import zlib

from ..errors import DataLossError, InvalidArgumentError, NotFoundError
from ..lazy import lazy_module

gzip = lazy_module("gzip")     # (at the first GZIP record file)

__all__ = ["crc32c", "masked_crc32c", "TFRecordWriter", "TFRecordOptions", "read_records",
           "compression_of", "open_read", "open_write"]

_POLY = 0x82F63B78


def _tables():
    t0 = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ _POLY if c & 1 else c >> 1
        t0.append(c)
    tables = [t0]
    for _ in range(7):
        prev = tables[-1]
        tables.append([(prev[i] >> 8) ^ t0[prev[i] & 0xFF] for i in range(256)])
    return tables


_T = _tables()


def crc32c(data, crc=0):
    """The CRC-32C (Castagnoli) checksum of `data` (continuing from `crc`).

    >>> hex(crc32c(b""))
    '0x0'
    """
    t0, t1, t2, t3, t4, t5, t6, t7 = _T
    crc ^= 0xFFFFFFFF
    data = memoryview(bytes(data))
    n8 = len(data) // 8 * 8
    if n8:
        words = struct.unpack(f"<{n8 // 4}I", data[:n8])
        for i in range(0, len(words), 2):
            lo = words[i] ^ crc
            hi = words[i + 1]
            crc = (t7[lo & 0xFF] ^ t6[(lo >> 8) & 0xFF] ^ t5[(lo >> 16) & 0xFF] ^ t4[lo >> 24]
                   ^ t3[hi & 0xFF] ^ t2[(hi >> 8) & 0xFF] ^ t1[(hi >> 16) & 0xFF] ^ t0[hi >> 24])
    for b in data[n8:]:
        crc = t0[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked_crc32c(data):
    """TFRecord's masked checksum: the crc rotated right by 15 bits plus 0xa282ead8."""
    c = crc32c(data)
    return (((c >> 15) | (c << 17)) + 0xA282EAD8) & 0xFFFFFFFF


class TFRecordOptions:
    """`tf.io.TFRecordOptions`: the compression of a TFRecord file ("", "GZIP" or "ZLIB").

    >>> TFRecordOptions("GZIP").compression_type
    'GZIP'
    """

    def __init__(self, compression_type=None, flush_mode=None, input_buffer_size=None,
                 output_buffer_size=None, window_bits=None, compression_level=None,
                 compression_method=None, mem_level=None, compression_strategy=None):
        self.compression_type = compression_of(compression_type)
        self.compression_level = compression_level

    @staticmethod
    def get_compression_type_string(options):
        return compression_of(options)


def compression_of(c):
    """"", "GZIP" or "ZLIB" from None, a string or TFRecordOptions."""
    if isinstance(c, TFRecordOptions):
        return c.compression_type
    if c is None:
        return ""
    if hasattr(c, "numpy"):
        c = c.numpy()
    if isinstance(c, bytes):
        c = c.decode()
    c = str(c).upper()
    if c not in ("", "GZIP", "ZLIB"):
        raise InvalidArgumentError(f"compression_type must be '', 'GZIP' or 'ZLIB', got {c!r}")
    return c


def _path(p):
    if hasattr(p, "numpy"):
        p = p.numpy()
    if hasattr(p, "item") and getattr(p, "shape", None) == ():
        p = p.item()
    if isinstance(p, bytes):
        p = p.decode()
    return os.fspath(p)


def open_read(path, compression="", what="read"):
    """The (decompressed) bytes of the file at `path`; NotFoundError names the path."""
    path = _path(path)
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        raise NotFoundError(f"{what}: {path}; No such file or directory") from None
    except IsADirectoryError:
        raise InvalidArgumentError(f"{what}: {path} is a directory") from None
    if compression == "GZIP":
        data = gzip.decompress(data)
    elif compression == "ZLIB":
        data = zlib.decompress(data)
    return data


class open_write:
    """A binary file for writing that compresses everything on close ("GZIP" / "ZLIB")."""

    def __init__(self, path, compression="", append=False):
        self.path, self.compression = _path(path), compression
        self._f = open(self.path, "ab" if append else "wb")
        self._z = None
        if compression == "GZIP":
            self._z = gzip.GzipFile(fileobj=self._f, mode="wb")
        elif compression == "ZLIB":
            self._zc = zlib.compressobj()

    def write(self, data):
        if self._z is not None:
            self._z.write(data)
        elif self.compression == "ZLIB":
            self._f.write(self._zc.compress(data))
        else:
            self._f.write(data)

    def flush(self):
        if self._z is not None:
            self._z.flush()
        self._f.flush()

    def close(self):
        if self._f.closed:
            return
        if self._z is not None:
            self._z.close()
        elif self.compression == "ZLIB":
            self._f.write(self._zc.flush())
        self._f.close()


def frame(record):
    """One record with its TFRecord framing."""
    header = struct.pack("<Q", len(record))
    return header + struct.pack("<I", masked_crc32c(header)) + record + \
        struct.pack("<I", masked_crc32c(record))


class TFRecordWriter:
    """`tf.io.TFRecordWriter(path, options=None)`: write records (bytes) to a TFRecord file;
    `write`, `flush`, `close`, and a context manager.

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "b.tfrecord")
    >>> with TFRecordWriter(path, options="GZIP") as w:
    ...     w.write(b"x")
    >>> list(read_records(path, "GZIP"))
    [b'x']
    """

    def __init__(self, path, options=None):
        self._out = open_write(path, compression_of(options))

    def write(self, record):
        if hasattr(record, "numpy"):
            record = record.numpy()
        if isinstance(record, str):
            record = record.encode("utf-8")
        if not isinstance(record, (bytes, bytearray)):
            raise TypeError(f"TFRecordWriter.write: expected bytes, got {type(record).__name__}")
        self._out.write(frame(bytes(record)))

    def flush(self):
        self._out.flush()

    def close(self):
        self._out.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def read_records(path, compression="", verify=True):
    """The records of the TFRecord file at `path`, checking both checksums of each (a
    mismatch or a truncated record raises DataLossError naming the file and offset)."""
    data = open_read(path, compression_of(compression), "TFRecordDataset")
    pos, n = 0, len(data)
    name = _path(path)
    while pos < n:
        if pos + 12 > n:
            raise DataLossError(f"TFRecordDataset: truncated record header at offset {pos} in "
                                f"{name}")
        header = data[pos:pos + 8]
        (length,) = struct.unpack("<Q", header)
        (hcrc,) = struct.unpack("<I", data[pos + 8:pos + 12])
        if verify and hcrc != masked_crc32c(header):
            raise DataLossError(f"TFRecordDataset: corrupted record at offset {pos} in {name} "
                                "(length checksum mismatch)")
        start, end = pos + 12, pos + 12 + length
        if end + 4 > n:
            raise DataLossError(f"TFRecordDataset: truncated record at offset {pos} in {name}")
        record = data[start:end]
        (dcrc,) = struct.unpack("<I", data[end:end + 4])
        if verify and dcrc != masked_crc32c(record):
            raise DataLossError(f"TFRecordDataset: corrupted record at offset {pos} in {name} "
                                "(data checksum mismatch)")
        yield record
        pos = end + 4
