"""TensorBoard event files, written without TensorFlow: TFRecord framing (length + masked
CRC-32C) around `tensorflow.Event` protocol buffers encoded by hand (only the fields TensorBoard
reads for scalars, histograms, text and graphs).

The encoding follows tensorflow/core/util/event.proto, summary.proto and
framework/graph.proto / node_def.proto / attr_value.proto; `read_events` decodes the same
subset (and checks both CRCs) so tests need no TensorBoard install.

>>> import tempfile, graphflow.keras.event_file as ev
>>> d = tempfile.mkdtemp()
>>> w = ev.EventFileWriter(d)
>>> w.add_scalar("loss", 0.25, step=3)
>>> w.close()
>>> [(e["step"], e["summary"][0]["tag"], e["summary"][0]["simple_value"])
...  for e in ev.read_events(w.path) if "summary" in e]
[(3, 'loss', 0.25)]
>>> hex(ev.crc32c(b"123456789"))   # the standard CRC-32C check value
'0xe3069283'
"""
import os
import socket
import struct
import time

import numpy as np

# ------------------------------------------------------------------ CRC-32C (Castagnoli)
_POLY = 0x82F63B78
_TABLE = []
for _i in range(256):
    _c = _i
    for _ in range(8):
        _c = (_c >> 1) ^ _POLY if _c & 1 else _c >> 1
    _TABLE.append(_c)
_TABLE = tuple(_TABLE)


def crc32c(data):
    """CRC-32C of `data` (bytes): `crc32c(b"123456789") == 0xE3069283`."""
    crc = 0xFFFFFFFF
    table = _TABLE
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked_crc32c(data):
    """TFRecord's masked CRC: rotate right by 15 and add 0xa282ead8 (mod 2**32)."""
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def tfrecord(data):
    """One TFRecord: uint64 length, masked crc of the length, data, masked crc of the data."""
    header = struct.pack("<Q", len(data))
    return header + struct.pack("<I", masked_crc32c(header)) + data + \
        struct.pack("<I", masked_crc32c(data))


# ------------------------------------------------------------------ protobuf wire format
def _varint(n):
    n &= 0xFFFFFFFFFFFFFFFF          # negative int64 as two's complement (10 bytes)
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _key(field, wire):
    return _varint(field << 3 | wire)


def pb_varint(field, n):
    return _key(field, 0) + _varint(int(n))


def pb_double(field, x):
    return _key(field, 1) + struct.pack("<d", float(x))


def pb_float(field, x):
    return _key(field, 5) + struct.pack("<f", float(x))


def pb_bytes(field, data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    return _key(field, 2) + _varint(len(data)) + data


def pb_packed_doubles(field, xs):
    return pb_bytes(field, np.asarray(xs, "<f8").tobytes())


def _read_varint(buf, i):
    shift = result = 0
    while True:
        if i >= len(buf):
            raise ValueError("truncated protobuf varint")
        b = buf[i]
        i += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, i
        shift += 7


def parse_fields(buf):
    """Decode one protobuf message into [(field, wire_type, value)] (value: int, bytes)."""
    out, i = [], 0
    while i < len(buf):
        key, i = _read_varint(buf, i)
        field, wire = key >> 3, key & 7
        if wire == 0:
            v, i = _read_varint(buf, i)
        elif wire == 1:
            v, i = buf[i:i + 8], i + 8
        elif wire == 5:
            v, i = buf[i:i + 4], i + 4
        elif wire == 2:
            n, i = _read_varint(buf, i)
            v, i = bytes(buf[i:i + n]), i + n
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
        out.append((field, wire, v))
    return out


# ------------------------------------------------------------------ messages
def histogram_proto(values, bins=30):
    """HistogramProto fields (min, max, num, sum, sum_squares, bucket_limit, bucket) for the
    finite values of `values`, in `bins` equal-width buckets."""
    v = np.asarray(values, np.float64).ravel()
    v = v[np.isfinite(v)]
    if v.size == 0:
        return pb_double(1, 0) + pb_double(2, 0) + pb_double(3, 0)
    lo, hi = float(v.min()), float(v.max())
    if lo == hi:
        lo, hi = lo - 0.5, hi + 0.5
    counts, edges = np.histogram(v, bins=int(bins), range=(lo, hi))
    return (pb_double(1, v.min()) + pb_double(2, v.max()) + pb_double(3, v.size)
            + pb_double(4, v.sum()) + pb_double(5, np.dot(v, v))
            + pb_packed_doubles(6, edges[1:]) + pb_packed_doubles(7, counts))


def _summary_value(tag, body):
    return pb_bytes(1, pb_bytes(1, tag) + body)   # Summary.value { tag, <body> }


def _text_metadata():
    # SummaryMetadata { plugin_data { plugin_name: "text" } }
    return pb_bytes(9, pb_bytes(1, pb_bytes(1, "text")))


def _text_tensor(text):
    # TensorProto { dtype: DT_STRING (7), tensor_shape {}, string_val: text }
    return pb_bytes(8, pb_varint(1, 7) + pb_bytes(2, b"") + pb_bytes(8, text))


def event(step, wall_time=None, **fields):
    """Encode an Event: `file_version=str`, `graph_def=bytes` or `summary=bytes`."""
    body = pb_double(1, time.time() if wall_time is None else wall_time) + pb_varint(2, step)
    if "file_version" in fields:
        body += pb_bytes(3, fields["file_version"])
    if "graph_def" in fields:
        body += pb_bytes(4, fields["graph_def"])
    if "summary" in fields:
        body += pb_bytes(5, fields["summary"])
    return body


# ------------------------------------------------------------------ GraphDef from the IR
def _attr_entry(key, attr_value):
    return pb_bytes(5, pb_bytes(1, key) + pb_bytes(2, attr_value))   # map<string, AttrValue>


def _shape_proto(shape):
    # TensorShapeProto { dim { size } } ; unknown dims are -1
    return b"".join(pb_bytes(2, pb_varint(1, -1 if d is None else int(d))) for d in shape)


_TF_DTYPES = {"float32": 1, "float64": 2, "int32": 3, "uint8": 4, "int16": 5, "int8": 6,
              "complex64": 8, "int64": 9, "bool": 10, "uint16": 17, "complex128": 18,
              "float16": 19, "uint32": 22, "uint64": 23}


def graph_def(graph):
    """Encode a graphflow `Graph` (or networkx DiGraph with graphflow node attributes) as a
    TensorFlow GraphDef: one NodeDef per node, named `<name scope>/<op>_<id>` so TensorBoard
    groups nodes by the Keras layer (name scope) that created them; data inputs in argument
    order, ordering edges as `^name` control inputs; attrs `dtype`, `_output_shapes`, `source`."""
    nxg = getattr(graph, "nx", graph)
    names = {}
    for n, d in nxg.nodes(data=True):
        scope = d.get("scope") or ""
        base = f"{d['op']}_{n}"
        names[n] = f"{scope}/{base}" if scope else base
    out = b""
    for n in sorted(nxg.nodes):
        d = nxg.nodes[n]
        body = pb_bytes(1, names[n]) + pb_bytes(2, str(d["op"]))
        for u in d.get("inputs", ()):
            body += pb_bytes(3, names[u])
        for u in sorted(nxg.predecessors(n)):
            if nxg.edges[u, n].get("control"):
                body += pb_bytes(3, "^" + names[u])
        dt = d.get("dtype")
        if dt is not None and np.dtype(dt).name in _TF_DTYPES:
            body += _attr_entry("dtype", pb_varint(6, _TF_DTYPES[np.dtype(dt).name]))
        if d.get("shape") is not None:
            # AttrValue { list { shape { ... } } }
            body += _attr_entry("_output_shapes",
                                pb_bytes(1, pb_bytes(7, _shape_proto(d["shape"]))))
        if d.get("source"):
            body += _attr_entry("source", pb_bytes(2, str(d["source"])))
        out += pb_bytes(1, body)
    return out + pb_bytes(4, pb_varint(1, 27))   # versions { producer }


# ------------------------------------------------------------------ writer
class EventFileWriter:
    """Append Events to `<logdir>/events.out.tfevents.<time>.<host>.<pid>.<n>` (the name
    TensorBoard looks for). Records are flushed on `flush()` / `close()`."""

    _count = 0

    def __init__(self, logdir, filename_suffix=""):
        os.makedirs(logdir, exist_ok=True)
        EventFileWriter._count += 1
        name = (f"events.out.tfevents.{int(time.time()):010d}.{socket.gethostname()}."
                f"{os.getpid()}.{EventFileWriter._count}{filename_suffix}")
        self.logdir = logdir
        self.path = os.path.join(logdir, name)
        self._f = open(self.path, "wb")
        self._write(event(0, file_version="brain.Event:2"))
        self.flush()

    def _write(self, ev):
        if self._f is None:
            raise ValueError(f"EventFileWriter for {self.path} is closed")
        self._f.write(tfrecord(ev))

    def add_scalar(self, tag, value, step):
        """A scalar point (TensorBoard's Scalars dashboard)."""
        self._write(event(step, summary=_summary_value(tag, pb_float(2, value))))

    def add_histogram(self, tag, values, step, bins=30):
        """A histogram of `values` (TensorBoard's Histograms/Distributions dashboards)."""
        self._write(event(step, summary=_summary_value(tag, pb_bytes(5, histogram_proto(
            values, bins)))))

    def add_text(self, tag, text, step):
        """A markdown text (TensorBoard's Text dashboard, plugin 'text')."""
        self._write(event(step, summary=_summary_value(
            tag, _text_metadata() + _text_tensor(text))))

    def add_graph(self, graph, step=0):
        """A graphflow graph as a GraphDef (TensorBoard's Graphs dashboard)."""
        self._write(event(step, graph_def=graph_def(graph)))

    def flush(self):
        if self._f is not None:
            self._f.flush()

    def close(self):
        if self._f is not None:
            self._f.close()
            self._f = None


# ------------------------------------------------------------------ reader (for tests)
def read_records(path):
    """The payloads of a TFRecord file; raises ValueError on a bad CRC or a truncated record."""
    with open(path, "rb") as f:
        data = f.read()
    i, out = 0, []
    while i < len(data):
        if i + 12 > len(data):
            raise ValueError(f"{path}: truncated record header at byte {i}")
        header = data[i:i + 8]
        (n,), (hcrc,) = struct.unpack("<Q", header), struct.unpack("<I", data[i + 8:i + 12])
        if hcrc != masked_crc32c(header):
            raise ValueError(f"{path}: bad length CRC at byte {i}")
        payload = data[i + 12:i + 12 + n]
        if len(payload) != n or i + 16 + n > len(data):
            raise ValueError(f"{path}: truncated record at byte {i}")
        (dcrc,) = struct.unpack("<I", data[i + 12 + n:i + 16 + n])
        if dcrc != masked_crc32c(payload):
            raise ValueError(f"{path}: bad data CRC at byte {i}")
        out.append(payload)
        i += 16 + n
    return out


def _decode_value(buf):
    v = {}
    for field, wire, x in parse_fields(buf):
        if field == 1:
            v["tag"] = x.decode()
        elif field == 2:
            v["simple_value"] = struct.unpack("<f", x)[0]
        elif field == 5:
            h = {}
            for f2, _, y in parse_fields(x):
                if f2 in (1, 2, 3, 4, 5):
                    h[("min", "max", "num", "sum", "sum_squares")[f2 - 1]] = \
                        struct.unpack("<d", y)[0]
                elif f2 in (6, 7):
                    h[("bucket_limit", "bucket")[f2 - 6]] = np.frombuffer(y, "<f8").tolist()
            v["histo"] = h
        elif field == 8:
            strings = [y.decode() for f2, _, y in parse_fields(x) if f2 == 8]
            v["text"] = strings[0] if strings else ""
    return v


def read_events(path):
    """Decode an event file into dicts: wall_time, step, and file_version / graph_def (bytes) /
    summary (list of {tag, simple_value | histo | text})."""
    events = []
    for rec in read_records(path):
        e = {"step": 0}
        for field, wire, x in parse_fields(rec):
            if field == 1:
                e["wall_time"] = struct.unpack("<d", x)[0]
            elif field == 2:
                e["step"] = x
            elif field == 3:
                e["file_version"] = x.decode()
            elif field == 4:
                e["graph_def"] = x
            elif field == 5:
                e["summary"] = [_decode_value(y) for f2, _, y in parse_fields(x) if f2 == 1]
        events.append(e)
    return events
