"""tf.io and tf.train.Example: crc32c / TFRecord framing, the protobuf wire and text format of
Example & friends, serialize_tensor / parse_tensor, parse_example / parse_single_example,
decode_csv, read_file / write_file - values against TF's documented bytes and results, and the
"TFRecord and tf.train.Example" guide run unchanged (files in tmp_path, no downloads)."""
import gzip
import os
import struct
import zlib

import numpy as np
import pytest

import graphflow as tf
from graphflow.io import proto, tfrecord


# ------------------------------------------------------------------------------- crc32c
@pytest.mark.parametrize("data,crc", [
    (b"123456789", 0xE3069283),               # the CRC-32C check value
    (bytes(32), 0x8A9136AA),                  # RFC 3720 B.4 test vectors
    (b"\xff" * 32, 0x62A8AB43),
    (bytes(range(32)), 0x46DD794E),
    (bytes(range(31, -1, -1)), 0x113FDB5C),
    (b"", 0),
])
def test_crc32c_reference_values(data, crc):
    assert tfrecord.crc32c(data) == crc


def test_crc32c_matches_bitwise_definition_for_all_tail_lengths():
    def slow(d):
        c = 0xFFFFFFFF
        for b in d:
            c ^= b
            for _ in range(8):
                c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        return c ^ 0xFFFFFFFF
    rng = np.random.default_rng(0)
    for n in range(0, 40):
        d = rng.integers(0, 256, n, dtype=np.uint8).tobytes()
        assert tfrecord.crc32c(d) == slow(d)


def test_tfrecord_framing_bytes(tmp_path):
    """length (uint64 LE), masked crc of the length, data, masked crc of the data; the mask is
    ((crc >> 15) | (crc << 17)) + 0xa282ead8 (TF's record_writer)."""
    p = str(tmp_path / "a.tfrecord")
    with tf.io.TFRecordWriter(p) as w:
        w.write(b"abc")
    raw = open(p, "rb").read()

    def mask(c):
        return (((c >> 15) | (c << 17)) + 0xA282EAD8) & 0xFFFFFFFF
    header = struct.pack("<Q", 3)
    assert raw == header + struct.pack("<I", mask(tfrecord.crc32c(header))) + b"abc" + \
        struct.pack("<I", mask(tfrecord.crc32c(b"abc")))


@pytest.mark.parametrize("comp,decompress", [("", None), ("GZIP", gzip.decompress),
                                             ("ZLIB", zlib.decompress)])
def test_tfrecord_roundtrip_and_compression(tmp_path, comp, decompress):
    p = str(tmp_path / "r.tfrecord")
    records = [b"", b"x", os.urandom(1000), "é".encode()]
    with tf.io.TFRecordWriter(p, tf.io.TFRecordOptions(compression_type=comp)) as w:
        for r in records:
            w.write(r)
    if decompress is not None:   # really compressed: the plain framing is inside
        assert decompress(open(p, "rb").read())[:8] == struct.pack("<Q", 0)
    got = [t.numpy() for t in tf.data.TFRecordDataset(p, compression_type=comp)]
    assert got == records


def test_tfrecord_corruption_is_data_loss(tmp_path):
    p = str(tmp_path / "c.tfrecord")
    with tf.io.TFRecordWriter(p) as w:
        w.write(b"hello world")
    raw = bytearray(open(p, "rb").read())
    raw[14] ^= 1
    open(p, "wb").write(bytes(raw))
    with pytest.raises(tf.errors.DataLossError, match="checksum"):
        list(tf.data.TFRecordDataset(p))
    open(p, "wb").write(bytes(raw[:10]))
    with pytest.raises(tf.errors.DataLossError, match="truncated"):
        list(tf.data.TFRecordDataset(p))
    with pytest.raises(tf.errors.NotFoundError, match="nope"):
        list(tf.data.TFRecordDataset(str(tmp_path / "nope")))


# ---------------------------------------------------------------------- tf.train.Example
def test_feature_bytes_as_in_the_guide():
    f = tf.train.Feature(float_list=tf.train.FloatList(value=[np.exp(1)]))
    assert f.SerializeToString() == b"\x12\x06\n\x04T\xf8-@"   # the guide's output
    assert str(f) == "float_list {\n  value: 2.71828175\n}\n"   # as TF 2.21 (protobuf: %.6g, else %.9g)
    assert str(tf.train.Feature(bytes_list=tf.train.BytesList(value=[b"test_string"]))) == \
        'bytes_list {\n  value: "test_string"\n}\n'
    assert str(tf.train.Feature(int64_list=tf.train.Int64List(value=[True]))) == \
        "int64_list {\n  value: 1\n}\n"


def _guide_example(f0, f1, f2, f3):
    feature = {
        "feature0": tf.train.Feature(int64_list=tf.train.Int64List(value=[f0])),
        "feature1": tf.train.Feature(int64_list=tf.train.Int64List(value=[f1])),
        "feature2": tf.train.Feature(bytes_list=tf.train.BytesList(value=[f2])),
        "feature3": tf.train.Feature(float_list=tf.train.FloatList(value=[f3])),
    }
    return tf.train.Example(features=tf.train.Features(feature=feature))


def _map_entries(serialized_example):
    """The map entries of an Example's Features (their order on the wire is not fixed)."""
    (n, _, features), = proto.iter_fields(serialized_example)
    return sorted(v for _, _, v in proto.iter_fields(features))


def test_example_bytes_match_the_guide():
    ours = _guide_example(False, 4, b"goat", 0.9876).SerializeToString()
    # the guide's serialize_example(False, 4, b'goat', 0.9876) (map entries in TF's order)
    tf_bytes = (b"\nR\n\x14\n\x08feature2\x12\x08\n\x06\n\x04goat\n\x11\n\x08feature0\x12\x05"
                b"\x1a\x03\n\x01\x00\n\x11\n\x08feature1\x12\x05\x1a\x03\n\x01\x04\n\x14\n"
                b"\x08feature3\x12\x08\x12\x06\n\x04[\xd3|?")
    assert len(ours) == len(tf_bytes) and ours[:2] == b"\nR"
    assert _map_entries(ours) == _map_entries(tf_bytes)
    assert tf.train.Example.FromString(tf_bytes) == tf.train.Example.FromString(ours)


def test_example_text_format_and_access():
    ex = tf.train.Example.FromString(_guide_example(False, 4, b"goat", 0.9876)
                                     .SerializeToString())
    text = str(ex)
    assert text.startswith('features {\n  feature {\n    key: "feature0"\n    value {\n'
                           '      int64_list {\n        value: 0\n      }\n    }\n  }\n')
    assert '      float_list {\n        value: 0.9876\n      }' in text
    feat = ex.features.feature
    assert [feat[k].WhichOneof("kind") for k in sorted(feat)] == \
        ["int64_list", "int64_list", "bytes_list", "float_list"]
    assert feat["feature2"].bytes_list.value == [b"goat"]
    assert feat["feature3"].float_list.value == [pytest.approx(0.9876, 1e-6)]
    assert ex.HasField("features")


def test_example_mutation_oneof_and_errors():
    ex = tf.train.Example()
    ex.features.feature["a"].int64_list.value.extend([1, -2, 2 ** 62])
    ex.features.feature["b"].bytes_list.value.append("é")
    ex.features.feature["c"].float_list.value[:] = [1.5, -0.25]
    back = tf.train.Example.FromString(ex.SerializeToString())
    assert back.features.feature["a"].int64_list.value == [1, -2, 2 ** 62]
    assert back.features.feature["b"].bytes_list.value == ["é".encode()]
    assert back.features.feature["c"].float_list.value == [1.5, -0.25]
    f = tf.train.Feature(int64_list=tf.train.Int64List(value=[1]))
    assert f.WhichOneof("kind") == "int64_list"
    assert tf.train.Feature().WhichOneof("kind") is None
    ex2 = tf.train.Example()
    ex2.ParseFromString(ex.SerializeToString())
    assert ex2 == ex
    ex3 = tf.train.Example()
    ex3.CopyFrom(ex)
    assert ex3 == ex
    with pytest.raises(TypeError, match="int"):
        tf.train.Int64List(value=[1.5])
    with pytest.raises(TypeError, match="bytes"):
        tf.train.BytesList(value=[3])
    with pytest.raises(ValueError, match="no \"nope\" field"):
        tf.train.Example(nope=1)
    with pytest.raises(proto.DecodeError):
        tf.train.Example.FromString(b"\n\x05ab")


def test_sequence_example_roundtrip():
    se = tf.train.SequenceExample()
    se.context.feature["len"].int64_list.value.append(2)
    fl = se.feature_lists.feature_list["tok"]
    fl.feature.add().bytes_list.value.append(b"a")
    fl.feature.add().bytes_list.value.append(b"b")
    back = tf.train.SequenceExample.FromString(se.SerializeToString())
    assert [f.bytes_list.value for f in back.feature_lists.feature_list["tok"].feature] == \
        [[b"a"], [b"b"]]
    assert back.context.feature["len"].int64_list.value == [2]


# ---------------------------------------------------------------- serialize / parse tensor
def test_serialize_tensor_bytes_are_tensorproto():
    assert tf.io.serialize_tensor(tf.constant(1.0)).numpy() == b'\x08\x01\x12\x00"\x04\x00\x00\x80?'
    s = tf.io.serialize_tensor(tf.constant([[1, 2, 3]], tf.int64)).numpy()
    p = proto.TensorProto.FromString(s)
    assert p.dtype == 9 and [d.size for d in p.tensor_shape.dim] == [1, 3]
    assert np.frombuffer(p.tensor_content, "<i8").tolist() == [1, 2, 3]
    s = tf.io.serialize_tensor(tf.constant(["a", "bc"])).numpy()
    assert proto.TensorProto.FromString(s).string_val == [b"a", b"bc"]


@pytest.mark.parametrize("value,dtype", [
    (np.arange(6, dtype=np.float32).reshape(2, 3), tf.float32),
    (np.array([1.5, -2.0]), tf.float64), (np.array([[1, -2]], np.int32), tf.int32),
    (np.array(7, np.int64), tf.int64), (np.array([True, False]), tf.bool),
    (np.array([1, 255], np.uint8), tf.uint8), (np.zeros((0, 3), np.float32), tf.float32),
    (np.array([1 + 2j], np.complex64), tf.complex64), (np.array([0.5], np.float16), tf.float16),
])
def test_serialize_parse_tensor_roundtrip(value, dtype):
    t = tf.io.parse_tensor(tf.io.serialize_tensor(tf.constant(value, dtype)), dtype)
    assert t.dtype == dtype and t.shape == value.shape
    np.testing.assert_array_equal(t.numpy(), value)


def test_parse_tensor_strings_and_type_mismatch():
    t = tf.io.parse_tensor(tf.io.serialize_tensor(tf.constant([["a"], ["é"]])), tf.string)
    assert t.numpy().tolist() == [[b"a"], ["é".encode()]]
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"parse_tensor.*float32.*int32"):
        tf.io.parse_tensor(tf.io.serialize_tensor(tf.constant(1.0)), tf.int32)


# -------------------------------------------------------------------- parse_example
def _ex(**features):
    feats = {}
    for k, v in features.items():
        if isinstance(v[0], (bytes, str)):
            feats[k] = tf.train.Feature(bytes_list=tf.train.BytesList(value=v))
        elif isinstance(v[0], float):
            feats[k] = tf.train.Feature(float_list=tf.train.FloatList(value=v))
        else:
            feats[k] = tf.train.Feature(int64_list=tf.train.Int64List(value=v))
    return tf.train.Example(features=tf.train.Features(feature=feats)).SerializeToString()


def test_parse_single_example_fixed_and_defaults():
    desc = {"i": tf.io.FixedLenFeature([], tf.int64, default_value=0),
            "f": tf.io.FixedLenFeature([2, 2], tf.float32),
            "s": tf.io.FixedLenFeature([], tf.string, default_value=""),
            "d": tf.io.FixedLenFeature([3], tf.float32, default_value=[1., 2., 3.])}
    out = tf.io.parse_single_example(_ex(i=[5], f=[1., 2., 3., 4.]), desc)
    assert int(out["i"]) == 5 and out["i"].dtype == tf.int64
    assert out["f"].numpy().tolist() == [[1., 2.], [3., 4.]] and out["f"].dtype == tf.float32
    assert out["s"].numpy() == b"" and out["s"].dtype == tf.string
    assert out["d"].numpy().tolist() == [1., 2., 3.]


def test_parse_example_batch_varlen_sequence_ragged():
    batch = tf.constant([_ex(v=[1, 2, 3], s=[b"a"], q=[1., 2., 3., 4.]), _ex(v=[7], s=[b"b"]),
                         _ex(s=[b"c"], q=[5., 6.])])
    out = tf.io.parse_example(batch, {
        "v": tf.io.VarLenFeature(tf.int64),
        "s": tf.io.FixedLenFeature([], tf.string),
        "q": tf.io.FixedLenSequenceFeature([2], tf.float32, allow_missing=True),
        "r": tf.io.RaggedFeature(tf.int64, value_key="v")})
    v = out["v"]
    assert v.indices.numpy().tolist() == [[0, 0], [0, 1], [0, 2], [1, 0]]
    assert v.values.numpy().tolist() == [1, 2, 3, 7] and v.dense_shape.numpy().tolist() == [3, 3]
    assert tf.sparse.to_dense(v).numpy().tolist() == [[1, 2, 3], [7, 0, 0], [0, 0, 0]]
    assert out["s"].numpy().tolist() == [b"a", b"b", b"c"]
    assert out["q"].shape == (3, 2, 2)
    assert out["q"].numpy().tolist() == [[[1., 2.], [3., 4.]], [[0., 0.], [0., 0.]],
                                         [[5., 6.], [0., 0.]]]
    one = tf.io.parse_single_example(batch[0], {"v": tf.io.VarLenFeature(tf.int64)})["v"]
    assert one.indices.numpy().tolist() == [[0], [1], [2]] and \
        one.dense_shape.numpy().tolist() == [3]


def test_parse_example_errors_name_feature_and_example():
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"parse_single_example \(called at test_io.py:\d+\): feature 'x' "
                             r"\(data type: int64\) is "
                             r"required but could not be found"):
        tf.io.parse_single_example(_ex(y=[1]), {"x": tf.io.FixedLenFeature([], tf.int64)})
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"feature 'x' of example 0 holds int64_list.*float32"):
        tf.io.parse_single_example(_ex(x=[1]), {"x": tf.io.FixedLenFeature([], tf.float32)})
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"has 2 values.*needs 1"):
        tf.io.parse_example([_ex(x=[1]), _ex(x=[1, 2])], {"x": tf.io.FixedLenFeature([], tf.int64)})
    with pytest.raises(tf.errors.InvalidArgumentError, match="could not parse example 1"):
        tf.io.parse_example([_ex(x=[1]), b"\x0a\x09garbage"], {"x": tf.io.VarLenFeature(tf.int64)})


def test_parse_example_in_dataset_map():
    """The data guide's tf_parse: parse_example on eg_batch[tf.newaxis] inside Dataset.map."""
    ds = tf.data.Dataset.from_tensor_slices([_ex(t=[b"one"]), _ex(t=[b"two"])])

    def tf_parse(eg):
        example = tf.io.parse_example(eg[tf.newaxis], {
            "t": tf.io.FixedLenFeature(shape=(), dtype=tf.string)})
        return example["t"][0]
    assert [t.numpy() for t in ds.map(tf_parse)] == [b"one", b"two"]


# ------------------------------------------------------------------------ decode_csv
def test_decode_csv_values_quotes_defaults():
    a, b, c = tf.io.decode_csv(tf.constant(['1,"x,""y""",2.5', ',z,', '3,,1e3']),
                               [[0], ["def"], [0.5]])
    assert a.numpy().tolist() == [1, 0, 3] and a.dtype == tf.int32
    assert b.numpy().tolist() == [b'x,"y"', b"z", b"def"] and b.dtype == tf.string
    assert c.numpy().tolist() == [2.5, 0.5, 1000.0] and c.dtype == tf.float32
    x, = tf.io.decode_csv([["7;NA"], ["8;9"]], [tf.constant([1], tf.int64)], field_delim=";",
                          na_value="NA", select_cols=[1])
    assert x.numpy().tolist() == [[1], [9]] and x.dtype == tf.int64
    p, q = tf.io.decode_csv(["1,2,3,4"], [[0], [0]], select_cols=[1, 3])
    assert (p.numpy().tolist(), q.numpy().tolist()) == ([2], [4])


def test_decode_csv_errors():
    with pytest.raises(tf.errors.InvalidArgumentError, match="field 0 is required"):
        tf.io.decode_csv([",1"], [tf.int32, [0]])
    with pytest.raises(tf.errors.InvalidArgumentError, match="expect 2 fields but have 3"):
        tf.io.decode_csv(["1,2,3"], [[0], [0]])
    with pytest.raises(tf.errors.InvalidArgumentError, match="not a valid int32"):
        tf.io.decode_csv(["1.5"], [[0]])


# ------------------------------------------------------------------- files and gfile
def test_read_write_file_and_gfile(tmp_path):
    p = str(tmp_path / "sub" / "f.bin")
    tf.io.write_file(p, tf.constant(b"\x00\x01abc"))
    t = tf.io.read_file(p)
    assert t.dtype == tf.string and t.shape == () and t.numpy() == b"\x00\x01abc"
    with pytest.raises(tf.errors.NotFoundError, match="missing"):
        tf.io.read_file(str(tmp_path / "missing"))
    assert tf.io.gfile.exists(p) and tf.io.gfile.isdir(str(tmp_path / "sub"))
    assert tf.io.gfile.glob(str(tmp_path / "*" / "*.bin")) == [p]
    assert tf.io.matching_files(str(tmp_path / "sub" / "*")).numpy().tolist() == [p.encode()]
    tf.io.gfile.copy(p, p + "2")
    with pytest.raises(FileExistsError):
        tf.io.gfile.copy(p, p + "2")
    with tf.io.gfile.GFile(p + "2", "rb") as f:
        assert f.read() == b"\x00\x01abc"


# ----------------------------------------------------------------- the TFRecord guide
def test_tfrecord_guide(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)

    def _bytes_feature(value):
        """Returns a bytes_list from a string / byte."""
        if isinstance(value, type(tf.constant(0))):
            value = value.numpy()  # BytesList won't unpack a string from an EagerTensor.
        return tf.train.Feature(bytes_list=tf.train.BytesList(value=[value]))

    def _float_feature(value):
        """Returns a float_list from a float / double."""
        return tf.train.Feature(float_list=tf.train.FloatList(value=[value]))

    def _int64_feature(value):
        """Returns an int64_list from a bool / enum / int / uint."""
        return tf.train.Feature(int64_list=tf.train.Int64List(value=[value]))

    n_observations = 50
    feature0 = np.random.choice([False, True], n_observations)
    feature1 = np.random.randint(0, 5, n_observations)
    strings = np.array([b'cat', b'dog', b'chicken', b'horse', b'goat'])
    feature2 = strings[feature1]
    feature3 = np.random.randn(n_observations)

    def serialize_example(feature0, feature1, feature2, feature3):
        feature = {
            'feature0': _int64_feature(feature0),
            'feature1': _int64_feature(feature1),
            'feature2': _bytes_feature(feature2),
            'feature3': _float_feature(feature3),
        }
        example_proto = tf.train.Example(features=tf.train.Features(feature=feature))
        return example_proto.SerializeToString()

    features_dataset = tf.data.Dataset.from_tensor_slices((feature0, feature1, feature2, feature3))
    for f0, f1, f2, f3 in features_dataset.take(1):
        pass

    def tf_serialize_example(f0, f1, f2, f3):
        tf_string = tf.py_function(serialize_example, (f0, f1, f2, f3), tf.string)
        return tf.reshape(tf_string, ())  # The result is a scalar.
    assert tf_serialize_example(f0, f1, f2, f3).numpy() == serialize_example(
        feature0[0], feature1[0], feature2[0], feature3[0])
    serialized_features_dataset = features_dataset.map(tf_serialize_example)
    assert serialized_features_dataset.element_spec == tf.TensorSpec((), tf.string)

    def generator():
        for features in features_dataset:
            yield serialize_example(*features)
    serialized_features_dataset = tf.data.Dataset.from_generator(
        generator, output_types=tf.string, output_shapes=())
    filename = 'test.tfrecord'
    writer = tf.data.experimental.TFRecordWriter(filename)
    writer.write(serialized_features_dataset)

    raw_dataset = tf.data.TFRecordDataset([filename])
    feature_description = {
        'feature0': tf.io.FixedLenFeature([], tf.int64, default_value=0),
        'feature1': tf.io.FixedLenFeature([], tf.int64, default_value=0),
        'feature2': tf.io.FixedLenFeature([], tf.string, default_value=''),
        'feature3': tf.io.FixedLenFeature([], tf.float32, default_value=0.0),
    }

    def _parse_function(example_proto):
        return tf.io.parse_single_example(example_proto, feature_description)
    parsed = list(raw_dataset.map(_parse_function))
    assert len(parsed) == n_observations
    assert [int(p['feature0']) for p in parsed] == feature0.astype(int).tolist()
    assert [int(p['feature1']) for p in parsed] == feature1.tolist()
    assert [p['feature2'].numpy() for p in parsed] == feature2.tolist()
    np.testing.assert_allclose([float(p['feature3']) for p in parsed], feature3, rtol=1e-6)

    with tf.io.TFRecordWriter(filename) as writer:
        for i in range(n_observations):
            example = serialize_example(feature0[i], feature1[i], feature2[i], feature3[i])
            writer.write(example)
    raw_dataset = tf.data.TFRecordDataset([filename])
    for raw_record in raw_dataset.take(1):
        example = tf.train.Example()
        example.ParseFromString(raw_record.numpy())
        print(example)
    result = {}
    for key, feature in example.features.feature.items():
        kind = feature.WhichOneof('kind')
        result[key] = np.array(getattr(feature, kind).value)
    assert result['feature1'].tolist() == [feature1[0]]
    assert result['feature2'].tolist() == [feature2[0]]
    assert 'key: "feature2"' in capsys.readouterr().out


def test_strings_keep_trailing_nul_bytes(tmp_path):
    """Serialized protos often end in a NUL byte (a float 0.0 or int64 0 last); numpy's S
    dtype would drop it, so every path keeps bytes in object arrays."""
    ser = _guide_example(True, 1, b"dog", 0.0).SerializeToString()
    assert ser.endswith(b"\x00")
    assert tf.constant(ser).numpy() == ser and tf.constant([ser, b"x"]).numpy()[0] == ser
    assert tf.py_function(lambda: ser, [], tf.string).numpy() == ser
    ds = tf.data.Dataset.range(2).map(lambda i: tf.py_function(lambda v: ser, [i], tf.string))
    p = str(tmp_path / "nul.tfrecord")
    tf.data.experimental.TFRecordWriter(p).write(ds)
    assert [r.numpy() for r in tf.data.TFRecordDataset(p)] == [ser, ser]
    tf.io.write_file(p, ser)
    assert tf.io.read_file(p).numpy() == ser
    out = tf.io.parse_single_example(tf.constant(ser), {
        "feature3": tf.io.FixedLenFeature([], tf.float32)})
    assert float(out["feature3"]) == 0.0


def test_parse_single_sequence_example():
    se = tf.train.SequenceExample()
    se.context.feature["id"].bytes_list.value.append(b"u1")
    for step in [[1., 2.], [3., 4.], [5., 6.]]:
        se.feature_lists.feature_list["xy"].feature.add().float_list.value.extend(step)
    for tok in [[1, 2, 3], [], [4]]:
        se.feature_lists.feature_list["tok"].feature.add().int64_list.value.extend(tok)
    ctx, seq = tf.io.parse_single_sequence_example(
        se.SerializeToString(),
        context_features={"id": tf.io.FixedLenFeature([], tf.string),
                          "w": tf.io.FixedLenFeature([], tf.float32, default_value=1.0)},
        sequence_features={"xy": tf.io.FixedLenSequenceFeature([2], tf.float32),
                           "tok": tf.io.VarLenFeature(tf.int64),
                           "none": tf.io.FixedLenSequenceFeature([], tf.int64,
                                                                 allow_missing=True)})
    assert ctx["id"].numpy() == b"u1" and float(ctx["w"]) == 1.0
    assert seq["xy"].numpy().tolist() == [[1., 2.], [3., 4.], [5., 6.]]
    assert tf.sparse.to_dense(seq["tok"]).numpy().tolist() == [[1, 2, 3], [0, 0, 0], [4, 0, 0]]
    assert seq["none"].shape == (0,)
    with pytest.raises(tf.errors.InvalidArgumentError, match="step 0 of sequence feature 'xy'"):
        tf.io.parse_single_sequence_example(se.SerializeToString(), sequence_features={
            "xy": tf.io.FixedLenSequenceFeature([3], tf.float32)})


def test_base64_web_safe():
    data = [bytes(range(250, 256)), b"", b"hello?"]
    enc = tf.io.encode_base64(tf.constant(data))
    import base64
    assert enc.numpy().tolist() == [base64.urlsafe_b64encode(d).rstrip(b"=") for d in data]
    assert tf.io.encode_base64(tf.constant(b"a"), pad=True).numpy() == b"YQ=="
    assert tf.io.decode_base64(enc).numpy().tolist() == data


def test_image_codecs_roundtrip_and_channels():
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (5, 7, 3), dtype=np.uint8)
    png = tf.io.encode_png(img)
    assert png.dtype == tf.string and png.numpy()[:8] == b"\x89PNG\r\n\x1a\n"
    np.testing.assert_array_equal(tf.io.decode_png(png).numpy(), img)   # lossless
    np.testing.assert_array_equal(tf.image.decode_image(png).numpy(), img)
    gray = tf.io.decode_png(png, channels=1).numpy()
    assert gray.shape == (5, 7, 1)   # ITU-R 601-2 luma, as libpng / TF
    np.testing.assert_allclose(gray[..., 0], img @ [0.299, 0.587, 0.114], atol=1)
    rgba = tf.io.decode_png(png, channels=4).numpy()
    assert rgba.shape == (5, 7, 4) and (rgba[..., 3] == 255).all()
    f = tf.io.decode_image(png, dtype=tf.float32)
    assert f.dtype == tf.float32 and np.allclose(f.numpy(), img / 255.0)
    deep = np.array([[[0], [300], [65535]]], np.uint16)
    np.testing.assert_array_equal(
        tf.io.decode_png(tf.io.encode_png(deep), dtype=tf.uint16).numpy(), deep)
    smooth = np.tile(np.linspace(0, 255, 16, dtype=np.uint8)[None, :, None], (16, 1, 3))
    jpg = tf.io.encode_jpeg(smooth, quality=95)
    assert bool(tf.io.is_jpeg(jpg)) and not bool(tf.io.is_jpeg(png))
    assert tf.io.extract_jpeg_shape(jpg).numpy().tolist() == [16, 16, 3]
    back = tf.io.decode_jpeg(jpg).numpy().astype(int)
    assert back.shape == (16, 16, 3) and np.abs(back - smooth).max() <= 8   # lossy
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"decode_png \(called at "
                                                              r"test_io.py:\d+\): cannot decode"):
        tf.io.decode_png(b"not an image")


def test_tfrecord_guide_image_walkthrough(tmp_path):
    """The guide's image section with two JPEGs written here instead of downloaded."""
    rng = np.random.default_rng(1)
    paths = {}
    for name, (h, w) in {"cat_in_snow": (12, 16), "williamsburg_bridge": (8, 10)}.items():
        p = str(tmp_path / f"{name}.jpg")
        tf.io.write_file(p, tf.io.encode_jpeg(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)))
        paths[name] = p
    image_labels = {paths["cat_in_snow"]: 0, paths["williamsburg_bridge"]: 1}

    def _bytes_feature(value):
        if isinstance(value, type(tf.constant(0))):
            value = value.numpy()
        return tf.train.Feature(bytes_list=tf.train.BytesList(value=[value]))

    def _int64_feature(value):
        return tf.train.Feature(int64_list=tf.train.Int64List(value=[value]))

    def image_example(image_string, label):
        image_shape = tf.io.decode_jpeg(image_string).shape
        feature = {
            'height': _int64_feature(image_shape[0]),
            'width': _int64_feature(image_shape[1]),
            'depth': _int64_feature(image_shape[2]),
            'label': _int64_feature(label),
            'image_raw': _bytes_feature(image_string),
        }
        return tf.train.Example(features=tf.train.Features(feature=feature))

    record_file = str(tmp_path / 'images.tfrecords')
    with tf.io.TFRecordWriter(record_file) as writer:
        for filename, label in image_labels.items():
            image_string = open(filename, 'rb').read()
            tf_example = image_example(image_string, label)
            writer.write(tf_example.SerializeToString())
    raw_image_dataset = tf.data.TFRecordDataset(record_file)
    image_feature_description = {
        'height': tf.io.FixedLenFeature([], tf.int64),
        'width': tf.io.FixedLenFeature([], tf.int64),
        'depth': tf.io.FixedLenFeature([], tf.int64),
        'label': tf.io.FixedLenFeature([], tf.int64),
        'image_raw': tf.io.FixedLenFeature([], tf.string),
    }

    def _parse_image_function(example_proto):
        return tf.io.parse_single_example(example_proto, image_feature_description)
    parsed_image_dataset = raw_image_dataset.map(_parse_image_function)
    got = [(int(f['height']), int(f['width']), int(f['depth']), int(f['label']),
            f['image_raw'].numpy()) for f in parsed_image_dataset]
    assert [g[:4] for g in got] == [(12, 16, 3, 0), (8, 10, 3, 1)]
    assert got[1][4] == open(paths["williamsburg_bridge"], "rb").read()


def test_proto_decoding_accepts_unpacked_lists_and_skips_unknown_fields():
    # an Int64List with its values unpacked (each a field 1 varint) as older writers emit
    assert tf.train.Int64List.FromString(b"\x08\x01\x08\x02\x08\x7f").value == [1, 2, 127]
    assert tf.train.FloatList.FromString(b"\x0d\x00\x00\xc0\x3f").value == [1.5]
    # unknown fields of every wire type are skipped
    junk = b"\x28\x05" + b"\x31" + bytes(8) + b"\x3a\x02ab" + b"\x45" + bytes(4)
    assert tf.train.Int64List.FromString(junk + b"\x0a\x01\x03").value == [3]
    big = tf.train.Int64List(value=[-(2 ** 63), 2 ** 63 - 1, 0])
    assert tf.train.Int64List.FromString(big.SerializeToString()).value == \
        [-(2 ** 63), 2 ** 63 - 1, 0]
    with pytest.raises(ValueError, match="out of range"):
        tf.train.Int64List(value=[2 ** 63])
    assert str(tf.train.FloatList(value=[float("nan"), -float("inf"), -0.5])) == \
        "value: nan\nvalue: -inf\nvalue: -0.5\n"
    assert str(tf.train.BytesList(value=[b'a"\\\n\x00\xff'])) == \
        'value: "a\\"\\\\\\n\\000\\377"\n'
