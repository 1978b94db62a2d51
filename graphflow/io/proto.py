"""Protocol-buffer messages without a protobuf dependency: the wire format (varints, packed
repeated fields, length-delimited submessages and maps) and text format, driven by one field
table per message class. `tf.train.Example` and friends, and TF's `TensorProto` (for
`tf.io.serialize_tensor`), are declared with it; their bytes are TF's (proto3: fields at their
default are not written, packed repeated scalars, map entries as key=1 / value=2 messages).

>>> ex = Example(features=Features(feature={"x": Feature(int64_list=Int64List(value=[1, -2]))}))
>>> ex.SerializeToString()
b'\\n\\x16\\n\\x14\\n\\x01x\\x12\\x0f\\x1a\\r\\n\\x0b\\x01\\xfe\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x01'
>>> Example.FromString(ex.SerializeToString()) == ex
True
>>> print(Feature(float_list=FloatList(value=[1.5])), end="")
float_list {
  value: 1.5
}
"""
import struct

import numpy as np

__all__ = ["Message", "Example", "SequenceExample", "Features", "Feature", "FeatureList",
           "FeatureLists", "BytesList", "FloatList", "Int64List", "TensorProto",
           "TensorShapeProto", "DecodeError"]


class DecodeError(ValueError):
    """Bytes that are not a valid encoding of the message (protobuf's `DecodeError`)."""


# ------------------------------------------------------------------------------ wire format
VARINT, I64, LEN, I32 = 0, 1, 2, 5


def encode_varint(n):
    """Unsigned LEB128; negative int64 values as their 10-byte two's complement.

    >>> encode_varint(300), encode_varint(-1)[-1]
    (b'\\xac\\x02', 1)
    """
    n &= (1 << 64) - 1
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def decode_varint(buf, pos):
    """(value, next position) of the varint at `pos` (unsigned, 64-bit).

    >>> decode_varint(b'\\xac\\x02', 0)
    (300, 2)
    """
    result = shift = 0
    while True:
        if pos >= len(buf):
            raise DecodeError("truncated varint")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result & ((1 << 64) - 1), pos
        shift += 7
        if shift >= 70:
            raise DecodeError("varint longer than 10 bytes")


def _signed64(n):
    return n - (1 << 64) if n >= 1 << 63 else n


def _key(number, wire):
    return encode_varint(number << 3 | wire)


def _len_field(number, payload):
    return _key(number, LEN) + encode_varint(len(payload)) + payload


def iter_fields(buf):
    """(field number, wire type, value) of every field in `buf`: an int for varints, bytes for
    the other wire types."""
    pos, n = 0, len(buf)
    while pos < n:
        key, pos = decode_varint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == VARINT:
            value, pos = decode_varint(buf, pos)
        elif wire == I64:
            value, pos = buf[pos:pos + 8], pos + 8
        elif wire == I32:
            value, pos = buf[pos:pos + 4], pos + 4
        elif wire == LEN:
            size, pos = decode_varint(buf, pos)
            value, pos = buf[pos:pos + size], pos + size
        else:
            raise DecodeError(f"unsupported wire type {wire} (field {number})")
        if pos > n:
            raise DecodeError(f"truncated field {number}")
        yield number, wire, value


# scalar kinds: (encode one value, wire type for an unpacked value, decode one value, packed
# element reader (buf -> list) or None, text formatting)
def _text_bytes(b):
    out = []
    for c in b:
        ch = chr(c)
        if ch in "\"'\\":
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif 32 <= c < 127:
            out.append(ch)
        else:
            out.append(f"\\{c:03o}")
    return '"' + "".join(out) + '"'


def _text_float(v):
    """protobuf's text format for a float field, as protobuf writes it: %.6g if that
    round-trips through float32, else %.9g (2.71828175 for float32 e, not 2.7182817), printed
    as a Python float.

    >>> _text_float(np.float32(np.e)), _text_float(0.9876)
    ('2.71828175', '0.9876')
    """
    v = float(v)
    if v != v:
        return "nan"
    if v in (float("inf"), float("-inf")):
        return "inf" if v > 0 else "-inf"
    f32 = np.float32(v)
    for precision in (6, 9):
        r = float(f"{v:.{precision}g}")
        if np.float32(r) == f32:
            return repr(r)
    return repr(v)


def _varint_list(buf):
    out, pos = [], 0
    while pos < len(buf):
        v, pos = decode_varint(buf, pos)
        out.append(v)
    return out


SCALARS = {
    "int64": (encode_varint, VARINT, _signed64, lambda b: [_signed64(v) for v in _varint_list(b)],
              str, lambda v: int(v)),
    "int32": (encode_varint, VARINT, _signed64, lambda b: [_signed64(v) for v in _varint_list(b)],
              str, lambda v: int(v)),
    "bool": (lambda v: encode_varint(int(bool(v))), VARINT, bool,
             lambda b: [bool(v) for v in _varint_list(b)], lambda v: "true" if v else "false",
             lambda v: bool(v)),
    "float": (lambda v: struct.pack("<f", v), I32, lambda b: struct.unpack("<f", b)[0],
              lambda b: list(np.frombuffer(b, "<f4").astype(float)), _text_float,
              lambda v: float(np.float32(v))),
    "bytes": (None, LEN, bytes, None, _text_bytes, None),
    "string": (None, LEN, lambda b: b.decode("utf-8"), None,
               lambda s: _text_bytes(s.encode("utf-8")), None),
}


def _as_bytes(v, what):
    if isinstance(v, str):
        return v.encode("utf-8")
    if isinstance(v, (bytes, bytearray, np.bytes_)):
        return bytes(v)
    if hasattr(v, "numpy"):
        return _as_bytes(v.numpy(), what)
    if isinstance(v, np.ndarray) and v.shape == ():
        return _as_bytes(v.item(), what)
    raise TypeError(f"{what}: {v!r} has type {type(v).__name__}, but expected one of: bytes")


def _coerce(kind, v, what):
    if kind == "bytes":
        return _as_bytes(v, what)
    if kind == "string":
        return v if isinstance(v, str) else _as_bytes(v, what).decode("utf-8")
    if hasattr(v, "numpy"):
        v = v.numpy()
    if isinstance(v, np.ndarray):
        if v.shape != ():
            raise TypeError(f"{what}: {v!r} is an array; expected one scalar")
        v = v.item()
    if kind in ("int64", "int32"):
        if isinstance(v, (float, np.floating)) or not isinstance(v, (int, np.integer, bool,
                                                                     np.bool_)):
            raise TypeError(f"{what}: {v!r} has type {type(v).__name__}, but expected one of: "
                            "int")
        v = int(v)
        bits = 64 if kind == "int64" else 32
        if not -(1 << bits - 1) <= v < 1 << bits - 1:
            raise ValueError(f"{what}: value out of range for {kind}: {v}")
        return v
    if kind == "float":
        if not isinstance(v, (int, float, np.integer, np.floating, bool, np.bool_)):
            raise TypeError(f"{what}: {v!r} has type {type(v).__name__}, but expected one of: "
                            "int, float")
        return float(np.float32(v))
    if kind == "bool":
        return bool(v)
    raise TypeError(kind)


class Repeated(list):
    """A repeated scalar field: a list that checks and converts what goes into it."""

    def __init__(self, kind, what, values=()):
        self._kind, self._what = kind, what
        super().__init__(_coerce(kind, v, what) for v in values)

    def append(self, v):
        super().append(_coerce(self._kind, v, self._what))

    def extend(self, vs):
        super().extend(_coerce(self._kind, v, self._what) for v in vs)

    def __setitem__(self, i, v):
        if isinstance(i, slice):
            super().__setitem__(i, [_coerce(self._kind, x, self._what) for x in v])
        else:
            super().__setitem__(i, _coerce(self._kind, v, self._what))


class RepeatedMessages(list):
    """A repeated message field: `add()` appends a new message and returns it."""

    def __init__(self, cls, values=()):
        self._cls = cls
        super().__init__(_check_msg(cls, v) for v in values)

    def add(self, **kwargs):
        m = self._cls(**kwargs)
        super().append(m)
        return m

    def append(self, v):
        super().append(_check_msg(self._cls, v))

    def extend(self, vs):
        super().extend(_check_msg(self._cls, v) for v in vs)


class MessageMap(dict):
    """A map<string, Message> field: a missing key reads as a new, stored, empty message (as
    protobuf's message maps)."""

    def __init__(self, cls, values=None):
        self._cls = cls
        super().__init__()
        for k, v in (values or {}).items():
            self[k] = v

    def __setitem__(self, k, v):
        super().__setitem__(_coerce("string", k, "map key"), _check_msg(self._cls, v))

    def __missing__(self, k):
        m = self._cls()
        self[k] = m
        return m

    def get_or_create(self, k):
        return self[k]


def _check_msg(cls, v):
    if isinstance(v, dict) and not isinstance(v, Message):
        return cls(**v)
    if not isinstance(v, cls):
        raise TypeError(f"expected a {cls.__name__} message, got {type(v).__name__} {v!r}")
    return v


class Field:
    """One field of a message: name, number, kind (a SCALARS key, 'message' or 'map'),
    repeated, the message class (for 'message' / 'map' values), packed, the oneof it is in."""

    def __init__(self, name, number, kind, repeated=False, cls=None, packed=True, oneof=None):
        self.name, self.number, self.kind, self.repeated = name, number, kind, repeated
        self.cls, self.packed, self.oneof = cls, packed, oneof

    def default(self, owner):
        what = f"{owner}.{self.name}"
        if self.kind == "map":
            return MessageMap(self.cls())
        if self.kind == "message":
            return RepeatedMessages(self.cls()) if self.repeated else None
        if self.repeated:
            return Repeated(self.kind, what)
        return {"bytes": b"", "string": "", "bool": False, "float": 0.0}.get(self.kind, 0)


class Message:
    """Base of the messages: keyword construction, attribute access with proto3 defaults
    (an unset submessage reads as an empty one), `SerializeToString`, `FromString`,
    `ParseFromString`, `WhichOneof`, `HasField`, `CopyFrom`, `==` and text-format `str`."""

    FIELDS = ()

    def __init__(self, **kwargs):
        fields = {f.name: f for f in self.FIELDS}
        object.__setattr__(self, "_values", {})
        object.__setattr__(self, "_oneofs", {})
        for k, v in kwargs.items():
            if k not in fields:
                raise ValueError(f'Protocol message {type(self).__name__} has no "{k}" field.')
            if v is not None:
                self._assign(fields[k], v)

    @classmethod
    def _field(cls, name):
        for f in cls.FIELDS:
            if f.name == name:
                return f
        return None

    def _assign(self, f, v):
        what = f"{type(self).__name__}.{f.name}"
        if f.kind == "map":
            v = MessageMap(f.cls(), v)
        elif f.kind == "message":
            v = RepeatedMessages(f.cls(), v) if f.repeated else _check_msg(f.cls(), v)
        elif f.repeated:
            if isinstance(v, (str, bytes)):
                raise TypeError(f"{what}: expected a sequence of values, got {v!r}")
            v = Repeated(f.kind, what, v)
        else:
            v = _coerce(f.kind, v, what)
        self._values[f.name] = v
        if f.oneof:
            self._oneofs[f.oneof] = f.name
            for g in self.FIELDS:
                if g.oneof == f.oneof and g.name != f.name:
                    self._values.pop(g.name, None)

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        f = self._field(name)
        if f is None:
            raise AttributeError(f"{type(self).__name__} has no field {name!r}")
        if name in self._values:
            return self._values[name]
        if f.kind == "message" and not f.repeated:
            m = f.cls()()   # stored, so that mutating it changes this message (not a oneof pick)
            self._values[name] = m
            return m
        v = f.default(type(self).__name__)
        if f.repeated or f.kind == "map":
            self._values[name] = v
            if f.oneof:
                self._touch_oneof(f)
        return v

    def _touch_oneof(self, f):
        self._oneofs[f.oneof] = f.name
        for g in self.FIELDS:
            if g.oneof == f.oneof and g.name != f.name:
                self._values.pop(g.name, None)

    def __setattr__(self, name, value):
        if name.startswith("_"):
            object.__setattr__(self, name, value)
            return
        f = self._field(name)
        if f is None:
            raise AttributeError(f"{type(self).__name__} has no field {name!r}")
        if f.kind == "message" or f.repeated:
            raise AttributeError(f"Assignment not allowed to field \"{name}\" in protocol "
                                 "message object (use CopyFrom, or set it in the constructor).")
        self._assign(f, value)

    def _present(self, f):
        """Whether field `f` is written (proto3: scalars at their default are not)."""
        if f.name not in self._values:
            return False
        v = self._values[f.name]
        if f.kind == "message" and not f.repeated:
            return not f.oneof or self._oneofs.get(f.oneof) == f.name
        if f.oneof and self._oneofs.get(f.oneof) == f.name:
            return True
        return bool(v) if (f.repeated or f.kind == "map") else v != f.default("")

    def HasField(self, name):
        f = self._field(name)
        if f is None or f.repeated or f.kind == "map":
            raise ValueError(f'Protocol message has no singular "{name}" field.')
        return f.name in self._values and (f.kind == "message" or f.oneof is not None
                                           or self._present(f))

    def WhichOneof(self, oneof_group):
        """The name of the field set in the oneof `oneof_group`, or None."""
        if not any(f.oneof == oneof_group for f in self.FIELDS):
            raise ValueError(f'Protocol message has no oneof "{oneof_group}" field.')
        name = self._oneofs.get(oneof_group)
        return name if name in self._values else None

    def ClearField(self, name):
        self._values.pop(name, None)
        for g, n in list(self._oneofs.items()):
            if n == name:
                del self._oneofs[g]

    def ListFields(self):
        return [(f, self._values[f.name]) for f in self.FIELDS if self._present(f)]

    # ---- wire format
    def SerializeToString(self, deterministic=None):
        out = bytearray()
        for f in self.FIELDS:
            if not self._present(f):
                continue
            v = self._values[f.name]
            if f.kind == "map":
                keys = sorted(v) if deterministic else list(v)
                for k in keys:
                    entry = _len_field(1, k.encode("utf-8")) + _len_field(2, v[k].SerializeToString(
                        deterministic))
                    out += _len_field(f.number, entry)
            elif f.kind == "message":
                for m in (v if f.repeated else [v]):
                    out += _len_field(f.number, m.SerializeToString(deterministic))
            elif f.kind in ("bytes", "string"):
                for b in (v if f.repeated else [v]):
                    out += _len_field(f.number, b.encode("utf-8") if f.kind == "string" else b)
            else:
                enc, wire = SCALARS[f.kind][:2]
                if f.repeated and f.packed:
                    if f.kind == "float":
                        payload = np.asarray(v, "<f4").tobytes()
                    else:
                        payload = b"".join(enc(x) for x in v)
                    out += _len_field(f.number, payload)
                else:
                    for x in (v if f.repeated else [v]):
                        out += _key(f.number, wire) + enc(x)
        return bytes(out)

    def ByteSize(self):
        return len(self.SerializeToString())

    def MergeFromString(self, data):
        data = bytes(data)
        by_number = {f.number: f for f in self.FIELDS}
        try:
            for number, wire, value in iter_fields(data):
                f = by_number.get(number)
                if f is None:
                    continue   # unknown fields are skipped
                self._merge_field(f, wire, value)
        except (IndexError, struct.error, UnicodeDecodeError) as e:
            raise DecodeError(f"Error parsing message {type(self).__name__}: {e}") from None
        return len(data)

    def _merge_field(self, f, wire, value):
        if f.kind == "map":
            k, m = "", f.cls()()
            for n, _, v in iter_fields(value):
                if n == 1:
                    k = v.decode("utf-8")
                elif n == 2:
                    m.MergeFromString(v)
            getattr(self, f.name)[k] = m
        elif f.kind == "message":
            if f.repeated:
                getattr(self, f.name).add().MergeFromString(value)
            else:
                cur = self._values.get(f.name)
                if cur is None:
                    cur = f.cls()()
                    self._assign(f, cur)
                cur.MergeFromString(value)
                if f.oneof:
                    self._touch_oneof(f)
        else:
            _, _, dec, packed_dec = SCALARS[f.kind][:4]
            if f.repeated:
                vals = getattr(self, f.name)
                if wire == LEN and packed_dec is not None:
                    list.extend(vals, packed_dec(value))
                else:
                    list.append(vals, dec(value))
                if f.oneof:
                    self._touch_oneof(f)
            else:
                self._values[f.name] = dec(value)
                if f.oneof:
                    self._touch_oneof(f)

    def ParseFromString(self, data):
        """Replace this message's contents by the decoding of `data`."""
        self.Clear()
        return self.MergeFromString(data)

    def Clear(self):
        self._values.clear()
        self._oneofs.clear()

    @classmethod
    def FromString(cls, data):
        """A new message decoded from the bytes `data`."""
        m = cls()
        m.MergeFromString(data)
        return m

    def CopyFrom(self, other):
        self.ParseFromString(other.SerializeToString())

    def MergeFrom(self, other):
        self.MergeFromString(other.SerializeToString())

    def __eq__(self, other):
        return type(self) is type(other) and \
            self.SerializeToString(True) == other.SerializeToString(True)

    def __hash__(self):
        raise TypeError("unhashable object")

    # ---- text format
    def _text(self, indent):
        pad = "  " * indent
        lines = []
        for f in self.FIELDS:
            if not self._present(f):
                continue
            v = self._values[f.name]
            if f.kind == "map":
                for k, m in v.items():
                    lines.append(f"{pad}{f.name} {{\n{pad}  key: {_text_bytes(k.encode())}\n"
                                 f"{pad}  value {{\n{m._text(indent + 2)}{pad}  }}\n{pad}}}\n")
            elif f.kind == "message":
                for m in (v if f.repeated else [v]):
                    lines.append(f"{pad}{f.name} {{\n{m._text(indent + 1)}{pad}}}\n")
            else:
                fmt = SCALARS[f.kind][4]
                for x in (v if f.repeated else [v]):
                    lines.append(f"{pad}{f.name}: {fmt(x)}\n")
        return "".join(lines)

    def __str__(self):
        return self._text(0)

    def __repr__(self):
        return self._text(0)


def _lazy(name):
    return lambda: globals()[name]


class BytesList(Message):
    """`tf.train.BytesList`: `value` is a list of bytes (str is stored UTF-8 encoded).

    >>> BytesList(value=[b"a", "é"]).value
    [b'a', b'\\xc3\\xa9']
    """
    FIELDS = (Field("value", 1, "bytes", repeated=True),)


class FloatList(Message):
    """`tf.train.FloatList`: `value` is a list of float32 values (packed on the wire)."""
    FIELDS = (Field("value", 1, "float", repeated=True),)


class Int64List(Message):
    """`tf.train.Int64List`: `value` is a list of int64 values (bools count as 0/1)."""
    FIELDS = (Field("value", 1, "int64", repeated=True),)


class Feature(Message):
    """`tf.train.Feature`: one of `bytes_list`, `float_list`, `int64_list` (the oneof `kind`).

    >>> Feature(int64_list=Int64List(value=[7])).WhichOneof("kind")
    'int64_list'
    """
    FIELDS = (Field("bytes_list", 1, "message", cls=_lazy("BytesList"), oneof="kind"),
              Field("float_list", 2, "message", cls=_lazy("FloatList"), oneof="kind"),
              Field("int64_list", 3, "message", cls=_lazy("Int64List"), oneof="kind"))

    def WhichOneof(self, oneof_group):
        if oneof_group != "kind":
            raise ValueError(f'Protocol message has no oneof "{oneof_group}" field.')
        name = self._oneofs.get("kind")
        if name in self._values:
            return name
        for f in self.FIELDS:   # a list that was only read counts once it has values
            m = self._values.get(f.name)
            if m is not None and m.value:
                return f.name
        return None

    def _present(self, f):
        return self.WhichOneof("kind") == f.name


class Features(Message):
    """`tf.train.Features`: `feature` maps names to `Feature`s."""
    FIELDS = (Field("feature", 1, "map", cls=_lazy("Feature")),)


class FeatureList(Message):
    """`tf.train.FeatureList`: a list of `Feature`s (one per time step)."""
    FIELDS = (Field("feature", 1, "message", repeated=True, cls=_lazy("Feature")),)


class FeatureLists(Message):
    """`tf.train.FeatureLists`: `feature_list` maps names to `FeatureList`s."""
    FIELDS = (Field("feature_list", 1, "map", cls=_lazy("FeatureList")),)


class Example(Message):
    """`tf.train.Example`: `features`, a `Features` message.

    >>> ex = Example()
    >>> ex.features.feature["label"].int64_list.value.append(3)
    >>> Example.FromString(ex.SerializeToString()).features.feature["label"].int64_list.value
    [3]
    """
    FIELDS = (Field("features", 1, "message", cls=_lazy("Features")),)


class SequenceExample(Message):
    """`tf.train.SequenceExample`: `context` Features and per-step `feature_lists`."""
    FIELDS = (Field("context", 1, "message", cls=_lazy("Features")),
              Field("feature_lists", 2, "message", cls=_lazy("FeatureLists")))


class _Dim(Message):
    FIELDS = (Field("size", 1, "int64"), Field("name", 2, "string"))


class TensorShapeProto(Message):
    """TF's `TensorShapeProto`: `dim` (each with `size`), `unknown_rank`."""
    FIELDS = (Field("dim", 2, "message", repeated=True, cls=lambda: _Dim),
              Field("unknown_rank", 3, "bool"))


class TensorProto(Message):
    """TF's `TensorProto` (the fields `tf.io.serialize_tensor` writes): `dtype` (TF's
    DataType enum), `tensor_shape`, `tensor_content` (little-endian raw values) and
    `string_val` for strings."""
    FIELDS = (Field("dtype", 1, "int32"),
              Field("tensor_shape", 2, "message", cls=lambda: TensorShapeProto),
              Field("version_number", 3, "int32"),
              Field("tensor_content", 4, "bytes"),
              Field("string_val", 8, "bytes", repeated=True))
