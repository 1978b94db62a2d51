"""The Unicode functions of `tf.strings` the "Unicode strings" guide uses beyond
graphflow/strings.py: `unicode_transcode`, `unicode_script` (ICU's UScriptCode numbers),
`unicode_decode_with_offsets`, `unicode_split_with_offsets`, and `unicode_encode` of ragged
code points of any ragged rank. Eager, as the other string ops.

>>> import graphflow as tf
>>> tf.strings.unicode_script([33464, 1041]).numpy().tolist()
[17, 8]
>>> tf.strings.unicode_transcode("hi", "UTF-8", "UTF-16-BE").numpy()
b'\\x00h\\x00i'
"""
import unicodedata

import numpy as np

from . import dtypes as _dt
from . import strings as _str
from .ragged import RaggedTensor
from .tensor import Tensor, convert_to_tensor

__all__ = ["unicode_transcode", "unicode_script", "unicode_decode_with_offsets",
           "unicode_split_with_offsets", "unicode_encode"]

#: ICU UScriptCode numbers of the scripts a character's Unicode name starts with
_SCRIPTS = {
    "ARABIC": 2, "ARMENIAN": 3, "BENGALI": 4, "BOPOMOFO": 5, "CHEROKEE": 6, "COPTIC": 7,
    "CYRILLIC": 8, "DESERET": 9, "DEVANAGARI": 10, "ETHIOPIC": 11, "GEORGIAN": 12,
    "GOTHIC": 13, "GREEK": 14, "GUJARATI": 15, "GURMUKHI": 16, "CJK": 17, "HANGUL": 18,
    "HEBREW": 19, "HIRAGANA": 20, "KANNADA": 21, "KATAKANA": 22, "KHMER": 23, "LAO": 24,
    "LATIN": 25, "MALAYALAM": 26, "MONGOLIAN": 27, "MYANMAR": 28, "OGHAM": 29,
    "ORIYA": 31, "RUNIC": 32, "SINHALA": 33, "SYRIAC": 34, "TAMIL": 35, "TELUGU": 36,
    "THAANA": 37, "THAI": 38, "TIBETAN": 39, "YI": 41}
_COMMON, _INHERITED, _UNKNOWN, _INVALID = 0, 1, 103, -1


def _script(cp):
    """ICU's script code of one code point, from its Unicode name and category (Common for
    punctuation, symbols, digits and spaces; Inherited for combining marks)."""
    cp = int(cp)
    if not 0 <= cp <= 0x10FFFF:
        return _INVALID
    c = chr(cp)
    name = unicodedata.name(c, "")
    cat = unicodedata.category(c)
    if not name:
        return _COMMON if cat == "Cc" else _UNKNOWN
    first = name.split(" ", 1)[0].split("-", 1)[0]
    if first == "CJK" and "IDEOGRAPH" not in name:
        return _COMMON            # CJK symbols and punctuation
    if cat[0] in "LM" and first in _SCRIPTS:
        return _SCRIPTS[first]
    if cat[0] == "M":
        return _INHERITED
    if cat[0] == "L":
        return _SCRIPTS.get(first, _UNKNOWN)
    if first in _SCRIPTS and cat[0] == "N" and first not in ("LATIN", "CJK"):
        return _SCRIPTS[first]    # script digits (e.g. ARABIC-INDIC, DEVANAGARI DIGIT)
    return _COMMON


def unicode_script(input, name=None):
    """The ICU script code (UScriptCode) of each int32 code point (`tf.strings.unicode_script`;
    -1 for an invalid code point), for a tensor or the values of a RaggedTensor.

    >>> unicode_script([72, 44, 19990, 12371, 1041, 769]).numpy().tolist()
    [25, 0, 17, 20, 8, 1]
    """
    if isinstance(input, RaggedTensor):
        return input.with_flat_values(unicode_script(input.flat_values))
    a = np.asarray(convert_to_tensor(input, _dt.int32))
    return Tensor._wrap(np.vectorize(_script, otypes=[np.int32])(a) if a.size else
                        a.astype(np.int32))


def unicode_transcode(input, input_encoding, output_encoding, errors="replace",
                      replacement_char=65533, replace_control_characters=False, name=None):
    """Each string re-encoded from `input_encoding` to `output_encoding`
    (`tf.strings.unicode_transcode`); invalid input becomes `replacement_char` (errors='replace'),
    is dropped ('ignore') or raises InvalidArgumentError ('strict'), as TF.

    >>> unicode_transcode(["a\\u00e9"], "UTF-8", "UTF-16-BE").numpy().tolist()
    [b'\\x00a\\x00\\xe9']
    >>> unicode_transcode([b"a\\xffb"], "UTF-8", "UTF-8", replacement_char=63).numpy().tolist()
    [b'a?b']
    """
    def one(b):
        cps = _str.decode_code_points(b, input_encoding, errors, replacement_char,
                                      "unicode_transcode", replace_control_characters)
        return _str.encode_code_points([c for c, _ in cps], output_encoding, errors,
                                       replacement_char, "unicode_transcode")
    return _str._on_values(input, "unicode_transcode", one, _dt.string)


def _with_offsets(input, encoding, piece, what, errors, replacement_char,
                  replace_control_characters=False):
    """(values, byte offsets) of each string's characters; a RaggedTensor pair for a vector
    of strings, 1-D tensors for a scalar. Invalid bytes as `errors` says (offsets are the
    input's byte offsets, as TF's)."""
    arr = _str._strings(input, what)

    def split(b):
        cps = _str.decode_code_points(b, encoding, errors, replacement_char, what,
                                      replace_control_characters)
        return [piece(c) for c, _ in cps], [o for _, o in cps]
    dtype = _dt.string if piece is not int else _dt.int32
    if arr.ndim == 0:
        vals, offs = split(arr[()])
        return (_str._wrap(np.array(vals, dtype=object) if dtype is _dt.string else
                           np.array(vals, np.int32), dtype),
                Tensor._wrap(np.array(offs, np.int64)))
    rows = [split(b) for b in arr.reshape(-1)]
    lengths = np.array([len(v) for v, _ in rows], np.int64)
    flat_v = [x for v, _ in rows for x in v]
    flat_o = np.array([x for _, o in rows for x in o], np.int64)
    vals = _str._wrap(np.array(flat_v, dtype=object) if dtype is _dt.string else
                      np.array(flat_v, np.int32), dtype)
    out_v = RaggedTensor.from_row_lengths(vals, lengths)
    out_o = RaggedTensor.from_row_lengths(Tensor._wrap(flat_o), lengths)
    if arr.ndim > 1:   # leading dims as uniform ragged rows
        for n in reversed(arr.shape[1:]):
            out_v = RaggedTensor.from_uniform_row_length(out_v, n)
            out_o = RaggedTensor.from_uniform_row_length(out_o, n)
    return out_v, out_o


def unicode_decode_with_offsets(input, input_encoding, errors="replace",
                                replacement_char=65533, replace_control_characters=False,
                                name=None):
    """(code points, the byte offset where each starts) of each string
    (`tf.strings.unicode_decode_with_offsets`).

    >>> cps, offs = unicode_decode_with_offsets("a\\u00e9b", "UTF-8")
    >>> cps.numpy().tolist(), offs.numpy().tolist()
    ([97, 233, 98], [0, 1, 3])
    """
    return _with_offsets(input, input_encoding, int, "unicode_decode_with_offsets", errors,
                         replacement_char, replace_control_characters)


def unicode_split_with_offsets(input, input_encoding, errors="replace",
                               replacement_char=65533, name=None):
    """(characters, the byte offset where each starts) of each string
    (`tf.strings.unicode_split_with_offsets`)."""
    return _with_offsets(input, input_encoding,
                         lambda c: _str.encode_code_points([c], input_encoding, "replace", 65533,
                                                           "unicode_split_with_offsets"),
                         "unicode_split_with_offsets", errors, replacement_char)


def unicode_encode(input, output_encoding, errors="replace", replacement_char=65533,
                   name=None):
    """Code points (a tensor, or a RaggedTensor of any ragged rank: the innermost rows are the
    strings) encoded as strings (`tf.strings.unicode_encode`).

    >>> import graphflow as tf
    >>> rt = tf.ragged.constant([[[72, 105], [33]], [[104]]])
    >>> unicode_encode(rt, "UTF-8").to_list()
    [[b'Hi', b'!'], [b'h']]
    """
    if isinstance(input, RaggedTensor) and isinstance(input.values, RaggedTensor):
        return input.with_values(unicode_encode(input.values, output_encoding, errors,
                                                replacement_char))
    return _str.unicode_encode(input, output_encoding, errors, replacement_char)
