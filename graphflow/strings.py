"""`tf.strings` (and `tf.io.decode_raw`): string tensors, eager only.

A `tf.string` tensor holds a numpy object array of Python `bytes` (str is stored UTF-8
encoded, as TF does); `.numpy()` gives bytes. These ops run on those arrays with Python's string
methods. Inside `@function`, `length`, `upper`, `lower`, `strip`, `substr`, `join`,
`reduce_join`, `to_number`, `as_string`, `regex_replace`, `regex_full_match`, `+`, `==` and `!=`
are graph ops (ops/eager_graph.py); `split`, `bytes_split`, `unicode_split` and `unicode_decode`
of a scalar or vector too (their ragged results: ragged_traced.py); the others run eagerly only. Results that are ragged in TF (splitting a 1-D tensor) are `tf.RaggedTensor`s.

>>> import graphflow as tf
>>> tf.strings.split(tf.constant("Gray wolf"), sep=" ")
<tf.Tensor: shape=(2,), dtype=string, numpy=array([b'Gray', b'wolf'], dtype=object)>
>>> tf.strings.length(tf.constant(["a", "bcd"])).numpy()
array([1, 3], dtype=int32)
"""
import codecs
import re
import threading

import numpy as np

from . import dtypes as _dt
from .errors import InvalidArgumentError
from . import state as _state
from . import tensor_format as _tensor_format
from .dispatch import bind
from .ops import math_ops as _m  # noqa: F401 (fills OPERATORS["add"], wrapped below)
from .ops.registry import OTHER, Aval, broadcast_shapes, defop, op_error
from .ops import eager_graph as _eg
from . import ragged_traced as _rt
from .ragged import RaggedTensor, same_row_partition
from .tensor import OPERATORS, Tensor, bytes_array, convert_to_tensor

__all__ = ["add", "length", "split", "substr", "upper", "lower", "join", "reduce_join", "to_number",
           "as_string", "unicode_decode", "unicode_encode", "unicode_split", "bytes_split",
           "strip", "regex_replace", "regex_full_match", "string_format", "decode_raw"]


# ------------------------------------------------------------------ `+` on strings (a graph op)
def _concat_rule(a, b):
    if np.dtype(a.dtype) != np.dtype(object) or np.dtype(b.dtype) != np.dtype(object):
        raise op_error("string_concat", (a, b), "needs two string tensors")
    return Aval(broadcast_shapes("string_concat", (a, b)), np.dtype(object))


def _concat_impl(a, b):
    return np.asarray(np.add(a, b), dtype=object)   # a 0-d result stays an array of bytes


STRING_CONCAT = defop(
    "string_concat", _concat_impl, _concat_rule, kind=OTHER,
    nondiff_reason="strings have no gradient",
    doc="Elementwise concatenation of two string tensors (broadcast): TF's `+` on strings.")


def _is_string(x):
    if isinstance(x, (str, bytes)):
        return True
    dt = getattr(x, "dtype", None)
    return dt is not None and not isinstance(x, np.ndarray) and dt == _dt.string


def _string_aware(add_fn):
    def add(x, y, name=None):
        """x + y; for string tensors, their concatenation (as TF's `tf.add` on strings).

        >>> add(convert_to_tensor("a"), "b").numpy()
        b'ab'
        """
        try:   # numbers first: the hot path pays nothing for the string check
            return add_fn(x, y)
        except (InvalidArgumentError, TypeError):   # add's rule rejects string operands
            if not (_is_string(x) or _is_string(y)):
                raise
        return bind(STRING_CONCAT, [convert_to_tensor(x, _dt.string),
                                    convert_to_tensor(y, _dt.string)], {})
    return add


#: `+` / `tf.add` take strings too (Tensor operators look OPERATORS up at call time)
add = OPERATORS["add"] = _string_aware(OPERATORS["add"])


def _string_comparison(cmp_fn, np_fn):
    def compare(x, y, name=None):
        """`tf.equal` / `tf.not_equal` (and `==` / `!=`) elementwise; string tensors compare
        their bytes (eagerly), as TF.

        >>> equal(convert_to_tensor(["a", "b"]), "a").numpy().tolist()
        [True, False]
        """
        try:   # numbers first, as `add`
            return cmp_fn(x, y)
        except (InvalidArgumentError, TypeError):
            if not (_is_string(x) or _is_string(y)):
                raise
        if _eg.in_graph():
            return _eg.bind_eager(STRING_EQUAL if np_fn is np.equal else STRING_NOT_EQUAL,
                                  [convert_to_tensor(v, _dt.string) for v in (x, y)], {})
        a, b = _strings(x, compare.__name__), _strings(y, compare.__name__)
        return convert_to_tensor(np.asarray(np_fn(a, b), dtype=bool))
    compare.__name__ = compare.__qualname__ = "equal" if np_fn is np.equal else "not_equal"
    return compare


#: `==` / `!=` / `tf.equal` / `tf.not_equal` compare strings too
equal = OPERATORS["equal"] = _string_comparison(OPERATORS["equal"], np.equal)
not_equal = OPERATORS["not_equal"] = _string_comparison(OPERATORS["not_equal"], np.not_equal)


def _strings(x, op):
    """The object array of bytes of string tensor (or Python strings) `x`."""
    if _state.current().graph is not None:
        raise NotImplementedError(f"tf.strings.{op}: string ops run eagerly only (graphflow "
                                  "graphs hold numbers; use it outside @function)")
    t = x if isinstance(x, Tensor) else convert_to_tensor(x, _dt.string)
    if t.dtype != _dt.string:
        raise TypeError(f"tf.strings.{op}: expects a string tensor, got {t.dtype.name}"
                        f"{list(t.shape)}")
    return np.asarray(t._value, dtype=object)


def _wrap(arr, dtype):
    arr = np.asarray(arr, dtype=dtype.np) if dtype is not _dt.string else arr
    return Tensor._wrap(arr if arr.ndim or dtype is _dt.string else arr[()])


def _map(fn, arr, dtype):
    out = np.empty(arr.shape, dtype=object if dtype is _dt.string else dtype.np)
    for idx, v in np.ndenumerate(arr):
        out[idx] = fn(v)
    return _wrap(out, dtype)


def _on_values(x, op, fn, dtype):
    """Apply `fn` to every string of a Tensor or of a RaggedTensor's flat values."""
    if isinstance(x, RaggedTensor):
        return x.with_flat_values(_on_values(x.flat_values, op, fn, dtype))
    return _map(fn, _strings(x, op), dtype)


def _chars(b, unit):
    return b.decode("utf-8") if unit == "UTF8_CHAR" else b


def length(input, unit="BYTE", name=None):
    """Length of each string in bytes, or in characters with unit="UTF8_CHAR".

    >>> length(["🥳", "ab"], unit="UTF8_CHAR").numpy()
    array([1, 2], dtype=int32)
    """
    if _eg.in_graph():
        return _eg.bind_eager(LENGTH, [input], {"unit": unit})
    return _on_values(input, "length", lambda b: len(_chars(b, unit)), _dt.int32)


def _case_fn(meth, encoding):
    """bytes.upper / lower (ASCII only, TF's default) or, with encoding 'utf-8', the Unicode
    case mapping of the decoded text (TF: ICU's)."""
    if str(encoding).lower().replace("-", "") != "utf8":
        return getattr(bytes, meth)
    return lambda b: getattr(b.decode("utf-8"), meth)().encode("utf-8")


def upper(input, encoding="", name=None):
    """ASCII upper case (`tf.strings.upper`); Unicode's with encoding='utf-8'.

    >>> upper("Duck").numpy()
    b'DUCK'
    """
    if _eg.in_graph():
        return _eg.bind_eager(UPPER, [input], {"encoding": encoding})
    return _on_values(input, "upper", _case_fn("upper", encoding), _dt.string)


def lower(input, encoding="", name=None):
    """ASCII lower case.

    >>> lower("Duck").numpy()
    b'duck'
    """
    if _eg.in_graph():
        return _eg.bind_eager(LOWER, [input], {"encoding": encoding})
    return _on_values(input, "lower", _case_fn("lower", encoding), _dt.string)


def strip(input, name=None):
    """Leading and trailing whitespace removed.

    >>> strip("  a b ").numpy()
    b'a b'
    """
    if _eg.in_graph():
        return _eg.bind_eager(STRIP, [input], {})
    return _on_values(input, "strip", bytes.strip, _dt.string)


def substr(input, pos, len, unit="BYTE", name=None):   # noqa: A002 (TF's argument names)
    """The `len` bytes (or UTF-8 characters) from `pos` of each string (negative pos counts
    from the end).

    >>> substr(["hello", "world"], 1, 3).numpy().tolist()
    [b'ell', b'orl']
    """
    if _eg.in_graph():
        return _eg.bind_eager(SUBSTR, [input], {"pos": int(pos), "len": int(len), "unit": unit})

    def cut(b):
        s = _chars(b, unit)
        p = pos + builtins_len(s) if pos < 0 else pos
        if p > builtins_len(s) or p < 0:
            raise InvalidArgumentError(f"tf.strings.substr: pos {pos} out of range for {b!r}")
        r = s[p:p + len]
        return r.encode("utf-8") if unit == "UTF8_CHAR" else r
    return _on_values(input, "substr", cut, _dt.string)


builtins_len = len


def _split_one(b, sep, maxsplit):
    return b.split(None if sep in (None, b"", "") else
                   (sep.encode() if isinstance(sep, str) else sep), maxsplit)


def _rows(arr, fn, dtype, op):
    """A scalar string -> 1-D Tensor of fn(string); a 1-D tensor -> RaggedTensor of rows."""
    if arr.ndim == 0:
        return _wrap(np.array(fn(arr[()]) + [], dtype=object if dtype is _dt.string
                              else dtype.np), dtype)
    if arr.ndim != 1:
        raise ValueError(f"tf.strings.{op}: input must be a scalar or a vector, got shape "
                         f"{list(arr.shape)}")
    rows = [fn(b) for b in arr]
    values = np.empty(sum(builtins_len(r) for r in rows), dtype=object if dtype is _dt.string
                      else dtype.np)
    values[:] = [v for r in rows for v in r] if values.size else []
    return RaggedTensor.from_row_lengths(_wrap(values, dtype), [builtins_len(r) for r in rows])


def split(input, sep=None, maxsplit=-1, name=None):
    """Split each string at `sep` (whitespace runs when None): a 1-D tensor for a scalar, a
    RaggedTensor for a vector.

    >>> print(split(["Gray wolf", "Quick brown fox"]))
    <tf.RaggedTensor [[b'Gray', b'wolf'], [b'Quick', b'brown', b'fox']]>
    """
    if _eg.in_graph():
        return _rt.rows_in_graph("split", input, sep=sep, maxsplit=maxsplit)
    return _rows_nd(input, lambda b: _split_one(b, sep, maxsplit), "split")


def _rows_nd(input, fn, op):
    """_rows of a string tensor of any rank or a RaggedTensor, as TF's split / bytes_split: a
    rank > 1 tensor becomes ragged first, and the rows of its flat values are one axis more."""
    if isinstance(input, RaggedTensor):
        return input.with_flat_values(_rows_nd(input.flat_values, fn, op))
    arr = _strings(input, op)
    if arr.ndim > 1:
        return _rows_nd(RaggedTensor.from_tensor(_wrap(arr, _dt.string)), fn, op)
    return _rows(arr, fn, _dt.string, op)


def bytes_split(input, name=None):
    """Each string as a list of 1-byte strings.

    >>> bytes_split("Duck").numpy().tolist()
    [b'D', b'u', b'c', b'k']
    """
    if _eg.in_graph():
        return _rt.rows_in_graph("bytes_split", input)
    return _rows_nd(input, lambda b: [b[i:i + 1] for i in range(len(b))], "bytes_split")


def unicode_codec(encoding):
    """The Python codec of a TF encoding name ("UTF-8", "UTF8", "UTF-16-BE", "UTF-32-BE")."""
    return encoding.replace("UTF8", "UTF-8") if encoding else encoding


_BAD = "\ud800"   # what the decoder puts for an invalid sequence (valid decoding never gives it)
_SPANS = threading.local()


def _mark_invalid(exc):
    _SPANS.spans.append((exc.start, exc.end))
    return _BAD, exc.end


codecs.register_error("graphflow.tf_unicode", _mark_invalid)


def decode_code_points(b, encoding, errors, replacement_char, op,
                       replace_control_characters=False):
    """[(code point, byte offset)] of the characters of bytes `b` as TF's unicode ops decode
    them: an invalid sequence becomes `replacement_char` (errors='replace'), is dropped
    ('ignore') or raises InvalidArgumentError naming the op and the bytes ('strict');
    C0 controls become `replacement_char` with `replace_control_characters`.

    >>> decode_code_points(b"a\\xffb", "UTF-8", "replace", 63, "unicode_decode")
    [(97, 0), (63, 1), (98, 2)]
    """
    codec = unicode_codec(encoding)
    _SPANS.spans = spans = []
    text = b.decode(codec, "graphflow.tf_unicode")
    out, at, k = [], 0, 0
    for ch in text:
        if ch == _BAD:
            start, at = spans[k]
            k += 1
            if errors == "strict":
                raise InvalidArgumentError(
                    f"tf.strings.{op}: invalid {encoding} bytes {b[start:at]!r} at byte offset "
                    f"{start} of {b!r} (errors='strict')")
            if errors == "replace":
                out.append((replacement_char, start))
            continue
        cp = ord(ch)
        out.append((replacement_char if replace_control_characters and cp < 0x20 else cp, at))
        at += builtins_len(ch.encode(codec))
    return out


def encode_code_points(cps, encoding, errors, replacement_char, op):
    """Code points as bytes in `encoding`, as TF encodes them: an invalid code point (negative,
    a surrogate, above U+10FFFF) becomes `replacement_char`, is dropped or raises
    InvalidArgumentError (errors 'replace' / 'ignore' / 'strict').

    >>> encode_code_points([104, -1, 105], "UTF-8", "replace", 42, "unicode_encode")
    b'h*i'
    """
    chars = []
    for c in cps:
        c = int(c)
        if c < 0 or c > 0x10FFFF or 0xD800 <= c <= 0xDFFF:
            if errors == "strict":
                raise InvalidArgumentError(f"tf.strings.{op}: invalid code point {c} "
                                           "(errors='strict')")
            if errors == "ignore":
                continue
            c = replacement_char
        chars.append(chr(c))
    return "".join(chars).encode(unicode_codec(encoding))


def unicode_split(input, input_encoding, errors="replace", replacement_char=65533, name=None):
    """Each string as its characters (strings in `input_encoding`); invalid bytes as TF's
    `errors` says (see `decode_code_points`).

    >>> unicode_split("アヒル", "UTF-8").numpy().tolist()[0]
    b'\\xe3\\x82\\xa2'
    """
    if _eg.in_graph():
        return _rt.rows_in_graph("unicode_split", input, input_encoding=input_encoding,
                                 errors=errors, replacement_char=replacement_char)
    return _rows(_strings(input, "unicode_split"),
                 lambda b: [encode_code_points([c], input_encoding, "replace", 65533,
                                               "unicode_split")
                            for c, _ in decode_code_points(b, input_encoding, errors,
                                                           replacement_char, "unicode_split")],
                 _dt.string, "unicode_split")


def unicode_decode(input, input_encoding, errors="replace", replacement_char=65533,
                   replace_control_characters=False, name=None):
    """Each string as its Unicode code points (int32); invalid bytes as TF's `errors` says
    (see `decode_code_points`).

    >>> unicode_decode("アヒル 🦆", "UTF-8").numpy()
    array([ 12450,  12498,  12523,     32, 129414], dtype=int32)
    """
    if _eg.in_graph():
        return _rt.rows_in_graph("unicode_decode", input, input_encoding=input_encoding,
                                 errors=errors, replacement_char=replacement_char,
                                 replace_control_characters=replace_control_characters)
    return _rows(_strings(input, "unicode_decode"),
                 lambda b: [c for c, _ in decode_code_points(
                     b, input_encoding, errors, replacement_char, "unicode_decode",
                     replace_control_characters)], _dt.int32, "unicode_decode")


def unicode_encode(input, output_encoding, errors="replace", replacement_char=65533, name=None):
    """Code points (a 1-D tensor, or a RaggedTensor of rows) encoded as strings; invalid code
    points as TF's `errors` says (see `encode_code_points`).

    >>> unicode_encode([104, 105], "UTF-8").numpy()
    b'hi'
    """
    def enc(cps):
        return encode_code_points(cps, output_encoding, errors, replacement_char,
                                  "unicode_encode")
    if isinstance(input, RaggedTensor):
        return _wrap(bytes_array(np.array([enc(r) for r in input.to_list()] or [], dtype=object)),
                     _dt.string)
    a = np.asarray(convert_to_tensor(input))
    if a.ndim == 1:
        return _wrap(np.array(enc(a), dtype=object), _dt.string)
    return _wrap(np.array([enc(r) for r in a.reshape(-1, a.shape[-1])], dtype=object)
                 .reshape(a.shape[:-1]), _dt.string)


def join(inputs, separator="", name=None):
    """Elementwise concatenation of string tensors (broadcast), with `separator` between.

    >>> join([["a", "b"], ["x", "y"]], separator="-").numpy().tolist()
    [b'a-x', b'b-y']
    """
    if _eg.in_graph():
        return _eg.bind_eager(JOIN, [convert_to_tensor(x, _dt.string) for x in inputs],
                              {"separator": separator})
    sep = separator.encode() if isinstance(separator, str) else separator
    rts = [x for x in inputs if isinstance(x, RaggedTensor)]
    if rts:   # RaggedTensors with one row partition (and scalars): their values joined
        if not all(same_row_partition(x, rts[0]) for x in rts):
            raise ValueError("tf.strings.join: the RaggedTensors' row partitions differ")
        return rts[0].with_flat_values(join([x.flat_values if isinstance(x, RaggedTensor)
                                             else x for x in inputs], separator))
    arrs = np.broadcast_arrays(*[_strings(x, "join") for x in inputs])
    out = np.empty(arrs[0].shape, dtype=object)
    for idx in np.ndindex(out.shape):
        out[idx] = sep.join(a[idx] for a in arrs)
    return _wrap(out, _dt.string)


def reduce_join(inputs, axis=None, keepdims=False, separator="", name=None):
    """Strings joined along `axis` (all of them when None).

    >>> reduce_join([["a", "b"], ["c", "d"]], axis=1).numpy().tolist()
    [b'ab', b'cd']
    """
    if _eg.in_graph():
        return _eg.bind_eager(REDUCE_JOIN, [inputs], {"axis": axis, "keepdims": bool(keepdims),
                                                      "separator": separator})
    sep = separator.encode() if isinstance(separator, str) else separator
    if isinstance(inputs, RaggedTensor):
        return _ragged_reduce_join(inputs, axis, keepdims, sep)
    a = _strings(inputs, "reduce_join")
    if axis is None:
        out = np.array(sep.join(a.ravel().tolist()), dtype=object)
        return _wrap(out.reshape((1,) * a.ndim) if keepdims else out, _dt.string)
    axis = axis % a.ndim
    moved = np.moveaxis(a, axis, -1)
    out = np.empty(moved.shape[:-1], dtype=object)
    for idx in np.ndindex(out.shape):
        out[idx] = sep.join(moved[idx].tolist())
    return _wrap(np.expand_dims(out, axis) if keepdims else out, _dt.string)


def to_number(string_tensor, out_type=_dt.float32, name=None):
    """Strings parsed as numbers of `out_type` (InvalidArgumentError, a ValueError, naming the
    string when one does not parse, as TF).

    >>> to_number(["1", "10", "100"]).numpy()
    array([  1.,  10., 100.], dtype=float32)
    """
    out_type = _dt.as_dtype(out_type)
    if _eg.in_graph():
        return _eg.bind_eager(TO_NUMBER, [string_tensor], {"out_type": out_type.name})
    parse = float if out_type.is_floating else int

    def num(b):
        try:
            return parse(b.decode("utf-8"))
        except ValueError:
            raise InvalidArgumentError(f"tf.strings.to_number: StringToNumberOp could not correctly "
                             f"convert string: {b.decode('utf-8', 'replace')}") from None
    return _on_values(string_tensor, "to_number", num, out_type)


def as_string(input, precision=-1, scientific=False, shortest=False, width=-1, fill="",
              name=None):
    """Numbers formatted as strings (floats with 6 decimals by default, as TF's `%f`).

    >>> as_string([3.5, 2.0], precision=2).numpy().tolist()
    [b'3.50', b'2.00']
    """
    if _eg.in_graph():
        return _eg.bind_eager(AS_STRING, [input], {
            "precision": precision, "scientific": bool(scientific), "shortest": bool(shortest),
            "width": width, "fill": fill})
    t = convert_to_tensor(input)
    a = np.asarray(t._value)
    if t.dtype.is_floating:
        code = "g" if shortest else ("e" if scientific else "f")
        spec = f"{fill}{width if width >= 0 else ''}{'.' + str(precision) if precision >= 0 else ''}{code}"
    elif t.dtype.is_bool:
        return _map(lambda v: b"true" if v else b"false", a, _dt.string)
    else:
        spec = f"{fill}{width if width >= 0 else ''}d"
    return _map(lambda v: format(v, spec).encode(), a, _dt.string)


def regex_replace(input, pattern, rewrite, replace_global=True, name=None):
    """Matches of regular expression `pattern` replaced by `rewrite` (`\\1` groups).

    >>> regex_replace("a1b22", r"\\d+", "#").numpy()
    b'a#b#'
    """
    if _eg.in_graph():
        return _eg.bind_eager(REGEX_REPLACE, [input], {
            "pattern": pattern, "rewrite": rewrite, "replace_global": bool(replace_global)})
    count = 0 if replace_global else 1
    rw = _re2_rewrite(rewrite.encode() if isinstance(rewrite, str) else rewrite)
    return _on_values(input, "regex_replace", _utf8_regex(
        pattern, lambda rx, b: rx.sub(rw, b, count=count),
        lambda rx, u: rx.sub(lambda m: rw(_Utf8Match(m)).decode("utf-8", "surrogateescape"),
                             u, count=count)), _dt.string)


class _Utf8Match:
    """A str match seen as bytes groups (what a rewrite function of bytes reads)."""
    def __init__(self, m):
        self.m = m

    def group(self, i):
        g = self.m.group(i)
        return None if g is None else g.encode("utf-8", "surrogateescape")


_ASCII_SETS = {"d": "0-9", "w": "0-9A-Za-z_", "s": "\\t\\n\\f\\r "}
_POSIX_SETS = {"alnum": "0-9A-Za-z", "alpha": "A-Za-z", "digit": "0-9", "lower": "a-z",
               "upper": "A-Z", "space": "\\t\\n\\v\\f\\r ", "xdigit": "0-9A-Fa-f",
               "word": "0-9A-Za-z_", "blank": " \\t", "cntrl": "\\x00-\\x1f\\x7f",
               "print": " -~", "graph": "!-~", "punct": "!-/:-@\\[-`{-~"}
_W = "[0-9A-Za-z_]"
_BOUNDARY = {"b": f"(?:(?<!{_W})(?={_W})|(?<={_W})(?!{_W}))",
             "B": f"(?:(?<!{_W})(?!{_W})|(?<={_W})(?={_W}))"}


def _re2_classes(pat):
    """A pattern for Python's `re` (Unicode mode, so `(?i)` folds 'Ä' as RE2 does) with RE2's
    ASCII meaning of `\\d \\w \\s \\b` (and their negations) and its POSIX classes
    (`[[:upper:]]`) written out as explicit ASCII sets."""
    out, i, in_class, n = [], 0, False, len(pat)
    while i < n:
        c = pat[i]
        if c == "\\" and i + 1 < n:
            e = pat[i + 1]
            low = e.lower()
            if low in _ASCII_SETS:
                if not in_class:
                    out.append(f"[{'^' if e.isupper() else ''}{_ASCII_SETS[low]}]")
                elif e.isupper():   # a negated set inside a class: Python's ASCII mode
                    return "(?a)" + pat   # (keeps RE2's meaning; (?i) is ASCII there)
                else:
                    out.append(_ASCII_SETS[low])
            elif e in _BOUNDARY and not in_class:
                out.append(_BOUNDARY[e])
            else:
                out.append(pat[i:i + 2])
            i += 2
            continue
        if in_class and pat.startswith("[:", i):
            end = pat.find(":]", i + 2)
            name = pat[i + 2:end] if end > 0 else ""
            if name in _POSIX_SETS:
                out.append(_POSIX_SETS[name])
                i = end + 2
                continue
        if not in_class and c == "[":
            in_class = True
            out.append(c)
            i += 1
            if i < n and pat[i] == "^":
                out.append("^")
                i += 1
            if i < n and pat[i] == "]":   # a leading ']' is a member
                out.append("\\]")
                i += 1
            continue
        if in_class and c == "]":
            in_class = False
        out.append(c)
        i += 1
    return "".join(out)


def _utf8_regex(pattern, on_bytes, on_text):
    """A per-value function applying a regex as TF's RE2 does: over UTF-8 code points (a
    class such as `[.?¿]` or a `.` takes a whole character, never one byte of it), `\\d \\w \\s
    \\b` and POSIX classes ASCII only (`_re2_classes`); a value that is not valid UTF-8 is
    matched byte by byte."""
    pat = pattern.decode("utf-8") if isinstance(pattern, bytes) else pattern
    rx_text = re.compile(_re2_classes(pat))
    rx_bytes = None

    def apply(b):
        nonlocal rx_bytes
        try:
            u = b.decode("utf-8")
        except UnicodeDecodeError:
            if rx_bytes is None:
                rx_bytes = re.compile(_re2_classes(pat).encode("utf-8"))
            return on_bytes(rx_bytes, b)
        out = on_text(rx_text, u)
        return out.encode("utf-8", "surrogateescape") if isinstance(out, str) else out
    return apply


def _re2_rewrite(rewrite):
    """RE2's rewrite string as a function of the match: `\\0` is the whole match, `\\1`..`\\9`
    its groups (an unmatched group is empty), `\\\\` one backslash; the rest literal (Python's
    template would read `\\0` as a NUL character and `\\n` as a newline).

    >>> regex_replace("a.b?", "[.?]", r" \\0 ").numpy()
    b'a . b ? '
    """
    parts, lit, i = [], bytearray(), 0
    while i < len(rewrite):
        c = rewrite[i:i + 1]
        nxt = rewrite[i + 1:i + 2]
        if c == b"\\" and nxt.isdigit():
            parts.append(bytes(lit))
            parts.append(int(nxt))
            lit, i = bytearray(), i + 2
        elif c == b"\\" and nxt == b"\\":
            lit += b"\\"
            i += 2
        else:
            lit += c
            i += 1
    parts.append(bytes(lit))
    if len(parts) == 1:
        return lambda m: parts[0]
    return lambda m: b"".join(p if isinstance(p, bytes) else (m.group(p) or b"") for p in parts)


def regex_full_match(input, pattern, name=None):
    """True where the whole string matches `pattern`.

    >>> regex_full_match(["ab", "abc"], "a.").numpy()
    array([ True, False])
    """
    if _eg.in_graph():
        return _eg.bind_eager(REGEX_FULL_MATCH, [input], {"pattern": pattern})
    full = lambda rx, v: rx.fullmatch(v) is not None   # noqa: E731
    return _on_values(input, "regex_full_match", _utf8_regex(pattern, full, full), _dt.bool)


# ------------------------------------------------------------------ the functions above, graph ops
# (ops/eager_graph.py): inside @function each adds its node, run on the strings when the graph runs
def _reduce_join_rule(a, *, axis, keepdims, separator):
    if np.dtype(a.dtype) != _eg.STRING:
        raise op_error("string_reduce_join", [a], "needs a string tensor")
    if axis is None:
        return Aval((1,) * builtins_len(a.shape) if keepdims else (), _eg.STRING)
    ax = axis % builtins_len(a.shape)
    shape = tuple(1 if i == ax else d for i, d in enumerate(a.shape) if keepdims or i != ax)
    return Aval(shape, _eg.STRING)


def _to_number_rule(a, *, out_type):
    return _eg.elementwise_rule("string_to_number", _dt.as_dtype(out_type).np)(a)


def _as_string_rule(a, **_):
    return Aval(tuple(a.shape), _eg.STRING)


_ELEMENTWISE = _eg.elementwise_rule
LENGTH = _eg.eager_graph_op("string_length", length, _ELEMENTWISE("string_length", np.int32),
                            "tf.strings.length")
UPPER = _eg.eager_graph_op("string_upper", upper, _ELEMENTWISE("string_upper", object),
                           "tf.strings.upper")
LOWER = _eg.eager_graph_op("string_lower", lower, _ELEMENTWISE("string_lower", object),
                           "tf.strings.lower")
STRIP = _eg.eager_graph_op("string_strip", strip, _ELEMENTWISE("string_strip", object),
                           "tf.strings.strip")
SUBSTR = _eg.eager_graph_op("string_substr", substr, _ELEMENTWISE("string_substr", object),
                            "tf.strings.substr (pos and len given as Python ints)")
JOIN = _eg.eager_graph_op("string_join", lambda *xs, separator: join(list(xs), separator),
                          lambda *a, separator: _ELEMENTWISE("string_join", object,
                                                             builtins_len(a))(*a),
                          "tf.strings.join of its inputs (broadcast)")
REDUCE_JOIN = _eg.eager_graph_op("string_reduce_join", reduce_join, _reduce_join_rule,
                                 "tf.strings.reduce_join")
TO_NUMBER = _eg.eager_graph_op("string_to_number", to_number, _to_number_rule,
                               "tf.strings.to_number")
AS_STRING = _eg.eager_graph_op("as_string", as_string, _as_string_rule, "tf.strings.as_string")
REGEX_REPLACE = _eg.eager_graph_op("regex_replace", regex_replace,
                                   _ELEMENTWISE("regex_replace", object),
                                   "tf.strings.regex_replace")
REGEX_FULL_MATCH = _eg.eager_graph_op("regex_full_match", regex_full_match,
                                      _ELEMENTWISE("regex_full_match", bool),
                                      "tf.strings.regex_full_match")
STRING_EQUAL = _eg.eager_graph_op("string_equal", equal,
                                  _ELEMENTWISE("string_equal", bool, 2),
                                  "tf.equal of two string tensors (broadcast)")
STRING_NOT_EQUAL = _eg.eager_graph_op("string_not_equal", not_equal,
                                      _ELEMENTWISE("string_not_equal", bool, 2),
                                      "tf.not_equal of two string tensors (broadcast)")
# the splits, traced as `string_rows` nodes (graphflow/ragged_traced.py)
_rt.ROW_FUNCTIONS.update(split=(split, _dt.string), bytes_split=(bytes_split, _dt.string),
                         unicode_split=(unicode_split, _dt.string),
                         unicode_decode=(unicode_decode, _dt.int32))


def string_format(template, inputs, placeholder="{}", summarize=3, name=None):
    """`template` with each `placeholder` replaced by the next input's value (`tf.strings.format`).

    >>> string_format("x={} y={}", [1, 2.5]).numpy()
    b'x=1 y=2.5'
    """
    parts = template.split(placeholder)
    if not isinstance(inputs, (list, tuple)):   # a single tensor, as TF allows
        inputs = [inputs]
    if len(inputs) != len(parts) - 1:
        raise InvalidArgumentError(f"tf.strings.format: {len(parts) - 1} placeholders in the "
                                   f"template {template!r} but {len(inputs)} inputs")
    vals = [_tensor_format.summarize(convert_to_tensor(v)._value, summarize) for v in inputs]
    text = parts[0] + "".join(v + p for v, p in zip(vals, parts[1:]))
    return _wrap(np.array(text.encode(), dtype=object), _dt.string)


def decode_raw(input_bytes, out_type, little_endian=True, fixed_length=None, name=None):
    """The bytes of each string reinterpreted as numbers of `out_type` (`tf.io.decode_raw`).

    >>> decode_raw("Duck", "uint8").numpy()
    array([ 68, 117,  99, 107], dtype=uint8)
    """
    dt = _dt.as_dtype(out_type)
    a = _strings(input_bytes, "decode_raw")
    npdt = dt.np.newbyteorder("<" if little_endian else ">")
    rows = [np.frombuffer(b, dtype=npdt).astype(dt.np) for b in a.ravel()]
    out = np.stack(rows).reshape(a.shape + (-1,)) if rows else np.zeros(a.shape + (0,), dt.np)
    return Tensor._wrap(out)


def _ragged_reduce_join(rt, axis, keepdims, sep):
    """reduce_join of a RaggedTensor over all values (axis None) or within each row (the
    innermost axis)."""
    if axis is None:
        return reduce_join(rt.flat_values, None, keepdims, sep)
    axis = int(axis) % rt.ndim
    if axis > rt.ragged_rank:   # a dense inner axis of the values
        return rt.with_flat_values(reduce_join(rt.flat_values, axis - rt.ragged_rank, keepdims,
                                               sep))
    if axis >= 2:
        return rt.with_values(_ragged_reduce_join(rt.values, axis - 1, keepdims, sep))
    if axis == 0 or rt.ragged_rank != 1 or rt.values.ndim != 1:
        raise NotImplementedError(f"tf.strings.reduce_join of a RaggedTensor of shape "
                                  f"{rt.shape} over axis {axis}")
    out = np.empty(rt._nrows(), dtype=object)
    out[:] = [sep.join(np.asarray(r._value).tolist()) for r in rt._rows()]
    return _wrap(out[:, None] if keepdims else out, _dt.string)


# ------------------------------------------------------------------ more of tf.strings
def _pad_pair(pad_values):
    if pad_values is None:
        return None
    if isinstance(pad_values, (tuple, list)):
        left, right = pad_values
    else:
        left = right = pad_values
    enc = (lambda v: v.encode() if isinstance(v, str) else v)
    return enc(left), enc(right)


def _ngrams_row(tokens, widths, sep, pads, padding_width, preserve_short):
    out = []
    for w in widths:
        pw = (w - 1 if padding_width is None or padding_width < 0    # never wider than w - 1
              else min(padding_width, w - 1)) if pads else 0          # (TF's get_pad_width)
        seq = ([pads[0]] * pw if pads else []) + list(tokens) + ([pads[1]] * pw if pads else [])
        out.extend(sep.join(seq[i:i + w]) for i in range(len(seq) - w + 1))
    if not out and preserve_short and tokens:
        pw = (padding_width if padding_width is not None and padding_width >= 0 else 0) \
            if pads else 0
        seq = ([pads[0]] * pw if pads else []) + list(tokens) + ([pads[1]] * pw if pads else [])
        out = [sep.join(seq)]
    return out


def ngrams(data, ngram_width, separator=" ", pad_values=None, padding_width=None,
           preserve_short_sequences=False, name=None):
    """Joined n-grams of the innermost axis of a string tensor or RaggedTensor (widths given
    as an int or a list, in that order; optional padding with `pad_values` = pad or
    (left, right), `padding_width` of them per side, default width - 1).

    >>> ngrams(["A", "B", "C", "D"], 2).numpy().tolist()
    [b'A B', b'B C', b'C D']
    >>> print(ngrams(_ragged_strings([["a", "b", "c"], ["d"]]), 2))
    <tf.RaggedTensor [[b'a b', b'b c'], []]>
    """
    widths = [int(ngram_width)] if np.ndim(ngram_width) == 0 else [int(w) for w in ngram_width]
    sep = separator.encode() if isinstance(separator, str) else separator
    pads = _pad_pair(pad_values)

    def row(tokens):
        return _ngrams_row([bytes(t) for t in tokens], widths, sep, pads, padding_width,
                           preserve_short_sequences)
    if isinstance(data, RaggedTensor):
        rows = [row(r) for r in data.to_list()]
        flat = np.empty(sum(len(r) for r in rows), dtype=object)
        flat[:] = [v for r in rows for v in r]
        return RaggedTensor.from_row_lengths(_wrap(flat, _dt.string), [len(r) for r in rows])
    arr = _strings(data, "ngrams")
    if arr.ndim == 0:
        raise ValueError("tf.strings.ngrams: data must have rank >= 1, got a scalar")
    lead = arr.reshape(-1, arr.shape[-1])
    rows = [row(r) for r in lead]
    width = len(rows[0]) if rows else 0
    out = np.empty((len(rows), width), dtype=object)
    for i, r in enumerate(rows):
        out[i, :] = r
    return _wrap(out.reshape(arr.shape[:-1] + (width,)), _dt.string)


def _ragged_strings(rows):
    """A string RaggedTensor of rows (for the examples)."""
    flat = np.empty(sum(len(r) for r in rows), dtype=object)
    flat[:] = [v.encode() if isinstance(v, str) else v for r in rows for v in r]
    return RaggedTensor.from_row_lengths(_wrap(flat, _dt.string), [len(r) for r in rows])


def unsorted_segment_join(inputs, segment_ids, num_segments, separator="", name=None):
    """Strings joined per segment (in input order) along the leading axes given by
    `segment_ids`; empty segments give b"".

    >>> out = unsorted_segment_join(["this", "is", "a", "test"], [0, 0, 1, 1], 2, separator=":")
    >>> out.numpy().tolist()
    [b'this:is', b'a:test']
    """
    arr = _strings(inputs, "unsorted_segment_join")
    ids = np.asarray(convert_to_tensor(segment_ids))
    n = int(np.asarray(num_segments))
    sep = separator.encode() if isinstance(separator, str) else separator
    if arr.shape[:ids.ndim] != ids.shape:
        raise InvalidArgumentError(f"tf.strings.unsorted_segment_join: segment_ids shape "
                                   f"{list(ids.shape)} must be a prefix of inputs' "
                                   f"{list(arr.shape)}")
    inner = arr.shape[ids.ndim:]
    flat = arr.reshape((-1,) + inner)
    groups = [[] for _ in range(n)]
    for k, s in enumerate(ids.reshape(-1)):
        if 0 <= s < n:
            groups[s].append(flat[k])
    out = np.empty((n,) + inner, dtype=object)
    for s in range(n):
        for pos in np.ndindex(*inner) if inner else [()]:
            out[(s,) + pos] = sep.join(g[pos] if inner else g for g in groups[s])
    return _wrap(out, _dt.string)


__all__ += ["ngrams", "unsorted_segment_join"]
