"""tf.strings regexes as TF's RE2 applies them, and tf.data map element specs over strings;
expected values are what TF 2.21 printed for the same calls (the NMT tutorial's
standardization and its dataset of padded token ids)."""
import graphflow as tf


def test_regex_rewrite_backslash_zero_is_the_whole_match():
    # RE2 rewrite: \0 the match, \1.. groups (Python's template reads \0 as NUL)
    assert tf.strings.regex_replace("a.b?", "[.?]", r" \0 ").numpy() == b"a . b ? "
    assert tf.strings.regex_replace("ab12", "(a)(b)", r"<\2>", replace_global=False
                                    ).numpy() == b"<b>12"
    # an unmatched group is empty
    assert tf.strings.regex_replace(["ab12", "xaby"], "(a)|(x)", r"[\1\2]").numpy().tolist() \
        == [b"[a]b12", b"[x][a]by"]


def test_regex_classes_take_whole_utf8_characters():
    # '¿' is two bytes: a byte-wise class split it (and broke the UTF-8)
    assert tf.strings.regex_replace("¿Todavía está en casa?", "[^ a-z.?!,¿]", "").numpy() \
        == "¿odava est en casa?".encode()
    assert tf.strings.regex_replace("¿todavía está en casa?", "[.?!,¿]", r" \0 ").numpy() \
        == " ¿ todavía está en casa ? ".encode()
    # \w and \d are ASCII in RE2; '.' is one character
    assert tf.strings.regex_replace(["héllo wörld", "a1b٣"], r"\w+|\d", "X").numpy().tolist() \
        == ["XéX XöX".encode(), "X٣".encode()]
    assert tf.strings.regex_full_match(["é", "ab", "٣", "3"], r".|\d").numpy().tolist() == \
        [True, False, True, True]
    # RE2: (?i) folds non-ASCII letters too; \b is an ASCII word boundary; \s has no NBSP;
    # POSIX classes are ASCII; \d inside a class; a leading ']' is a member
    assert tf.strings.regex_replace("ÄÖ ä", "(?i)ä", "x").numpy() == "xÖ x".encode()
    assert tf.strings.regex_replace("éa b", r"\b", "|").numpy() == "é|a| |b|".encode()
    assert tf.strings.regex_replace("a\u00a0b\tc", r"\s", "_").numpy() == "a\u00a0b_c".encode()
    assert not tf.strings.regex_full_match("ÄB", "[[:upper:]]+").numpy()
    assert tf.strings.regex_full_match("AB", "[[:upper:]]+").numpy()
    assert tf.strings.regex_replace(["a1 b2", "x-y"], r"[\d-]", "#").numpy().tolist() == \
        [b"a# b#", b"x#y"]
    assert tf.strings.regex_replace("a1 b2", r"[^\D]", "#").numpy() == b"a# b#"
    assert tf.strings.regex_replace("a]b", "[]]", "#").numpy() == b"a#b"
    assert tf.strings.regex_replace("ab", r"\Bb", "#").numpy() == b"a#"
    # bytes that are not UTF-8 are matched byte by byte
    assert tf.strings.regex_replace(b"\xff\xfeab", "a", "Z").numpy() == b"\xff\xfeZb"


def test_map_spec_over_strings_has_unknown_content_dims():
    ds = tf.data.Dataset.from_tensor_slices(["a b c", "d e"])
    spec = tf.TensorSpec
    assert ds.map(lambda s: tf.strings.split(s)).element_spec == spec([None], tf.string)
    assert ds.batch(2).map(lambda s: (tf.strings.split(s).to_tensor(), tf.strings.upper(s))
                           ).element_spec == (spec([None, None], tf.string),
                                              spec([None], tf.string))
    assert ds.map(tf.strings.length).element_spec == spec([], tf.int32)
    # a function that parses numbers (an empty string is no number): TF's spec from its trace
    assert ds.map(tf.strings.to_number).element_spec == spec([], tf.float32)
    # TextVectorization(ragged=True) whose standardization always adds [START]/[END]: the
    # padded width depends on the text, unknown (the NMT tutorial's process_text)
    tv = tf.keras.layers.TextVectorization(
        standardize=lambda t: tf.strings.join(["[START]", tf.strings.lower(t), "[END]"],
                                              separator=" "), ragged=True)
    tv.adapt(["a b", "c"])
    assert ds.batch(2).map(lambda s: tv(s).to_tensor()).element_spec == spec([None, None],
                                                                              tf.int64)


def test_dataset_function_binds_loop_variables_when_map_is_called():
    # the "Load text" tutorial's labeler: TF traces at .map(), so each file keeps its own i
    # (TF 2.21: labels [0, 1, 2]); graphflow runs the function later, with the values bound then
    sets = []
    for i in range(3):
        sets.append(tf.data.Dataset.from_tensor_slices(["a line"]).map(
            lambda ex: (ex, tf.cast(i, tf.int64))))
    assert [int(lab) for d in sets for _, lab in d] == [0, 1, 2]
    nums = [tf.data.Dataset.range(2).map(lambda x: x + i) for i in range(3)]   # traced path
    assert [[int(v) for v in d] for d in nums] == [[0, 1], [1, 2], [2, 3]]

    def make(k):   # a closure cell, reassigned after the filter was made
        ds = tf.data.Dataset.range(6).filter(lambda x: x % k == 0)
        k = 5   # noqa: F841 - TF's trace read k = 2
        return ds
    assert [int(v) for v in make(2)] == [0, 2, 4]
