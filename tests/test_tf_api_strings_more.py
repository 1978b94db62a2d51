"""tf.strings breadth: ngrams, unsorted_segment_join (graphflow/strings.py) and the Unicode
functions of graphflow/strings_unicode.py. Expected values are what TF 2.21 printed."""
import graphflow as tf


def lst(x):
    return x.to_list() if isinstance(x, tf.RaggedTensor) else x.numpy().tolist()


def test_ngrams():
    ng = tf.strings.ngrams
    assert lst(ng(tf.constant(["A", "B", "C", "D"]), 2)) == [b"A B", b"B C", b"C D"]
    assert lst(ng(tf.ragged.constant([["a", "b", "c"], ["d"]]), 2)) == [[b"a b", b"b c"], []]
    assert lst(ng(tf.constant(["A", "B", "C"]), [2, 3])) == [b"A B", b"B C", b"A B C"]
    assert lst(ng(tf.constant(["A", "B", "C"]), 2, separator="-")) == [b"A-B", b"B-C"]
    assert lst(ng(tf.constant(["A", "B", "C"]), 3, pad_values=("LP", "RP"))) == [
        b"LP LP A", b"LP A B", b"A B C", b"B C RP", b"C RP RP"]
    assert lst(ng(tf.constant(["A", "B", "C"]), 3, pad_values=("LP", "RP"), padding_width=1)) \
        == [b"LP A B", b"A B C", b"B C RP"]
    assert lst(ng(tf.constant([["a", "b", "c"], ["d", "e", "f"]]), 2)) == [[b"a b", b"b c"],
                                                                            [b"d e", b"e f"]]
    assert lst(ng(tf.constant(["A"]), 3, pad_values="#", padding_width=1,
                  preserve_short_sequences=True)) == [b"# A #"]
    assert lst(ng(tf.ragged.constant([["a"], ["b", "c", "d"]]), 3,
                  preserve_short_sequences=True)) == [[b"a"], [b"b c d"]]


def test_unicode_with_offsets():
    cp, off = tf.strings.unicode_decode_with_offsets(["G\xf6\xf6dnight", "\U0001f60a"], "UTF-8")
    assert lst(cp) == [[71, 246, 246, 100, 110, 105, 103, 104, 116], [128522]]
    assert lst(off) == [[0, 1, 3, 5, 6, 7, 8, 9, 10], [0]]
    assert (cp.dtype, off.dtype) == (tf.int32, tf.int64)
    cp, off = tf.strings.unicode_decode_with_offsets("ab\xe9", "UTF-8")
    assert (lst(cp), lst(off)) == ([97, 98, 233], [0, 1, 2])
    ch, off = tf.strings.unicode_split_with_offsets(["G\xf6\xf6dnight", "\U0001f60a"], "UTF-8")
    assert lst(ch) == [[b"G", b"\xc3\xb6", b"\xc3\xb6", b"d", b"n", b"i", b"g", b"h", b"t"],
                       [b"\xf0\x9f\x98\x8a"]]
    assert lst(off) == [[0, 1, 3, 5, 6, 7, 8, 9, 10], [0]]


def test_unicode_transcode():
    tc = tf.strings.unicode_transcode
    assert lst(tc(["Hello", "TensorFlow", "2.x"], "UTF-8", "UTF-16-BE")) == [
        b"\x00H\x00e\x00l\x00l\x00o",
        b"\x00T\x00e\x00n\x00s\x00o\x00r\x00F\x00l\x00o\x00w", b"\x002\x00.\x00x"]
    assert tc(tf.constant("\xe9t\xe9"), "UTF-8", "UTF-32-BE").numpy() == \
        b"\x00\x00\x00\xe9\x00\x00\x00t\x00\x00\x00\xe9"


def test_unicode_script_and_segment_join():
    assert lst(tf.strings.unicode_script(
        [1041, 33, 97, 12450, 0x0627, 0x4e2d, 0x3b1, 48, 0x0915, 0xAC00])) == \
        [8, 0, 25, 22, 2, 17, 14, 0, 10, 18]
    assert lst(tf.strings.unsorted_segment_join(["this", "is", "a", "test"], [0, 0, 1, 1], 2,
                                                separator=":")) == [b"this:is", b"a:test"]
    assert lst(tf.strings.unsorted_segment_join(
        [["Y", "q", "c"], ["Y", "6", "6"], ["p", "G", "a"]], [1, 0, 1], 3)) == [
        [b"Y", b"6", b"6"], [b"Yp", b"qG", b"ca"], [b"", b"", b""]]
