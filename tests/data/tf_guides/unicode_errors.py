# Code cells of TF guides (tensorflow.org/guide), run by tests/test_tf_guides_output.py with
# `import graphflow as tf`; <name>.tf_output.txt is what TF 2.21 printed running this file.
# ---- tf.strings unicode ops on invalid input: errors='replace'/'ignore'/'strict', replacement_char,
# replace_control_characters (the 'Unicode strings' guide's ops past its valid examples)
import tensorflow as tf
def show(f):
    try: r = f(); print(r.to_list() if hasattr(r, "to_list") else r.numpy().tolist())
    except Exception as e: print(type(e).__name__)
bad = [b"abc\xffdef", b"\xe2\x82x", b"ok\xef\xbf\xbd", b"\xc3"]
for err in ["replace", "ignore", "strict"]:
    show(lambda: tf.strings.unicode_transcode(bad, "UTF-8", "UTF-8", errors=err, replacement_char=63))
    show(lambda: tf.strings.unicode_transcode(bad, "UTF-8", "UTF-16-BE", errors=err))
    show(lambda: tf.strings.unicode_decode(bad, "UTF-8", errors=err, replacement_char=42))
    show(lambda: tf.strings.unicode_split(bad, "UTF-8", errors=err, replacement_char=42))
    show(lambda: tf.strings.unicode_decode_with_offsets(bad, "UTF-8", errors=err, replacement_char=42)[1])
    show(lambda: tf.strings.unicode_encode([[104, -1, 0xD800, 0x110000, 105]], "UTF-8", errors=err, replacement_char=42))
    show(lambda: tf.strings.unicode_encode([[104, -1, 0xD800, 0x110000, 105]], "UTF-8", errors=err))
show(lambda: tf.strings.unicode_transcode([b"a\x01b\x7f"], "UTF-8", "UTF-8", replace_control_characters=True))
show(lambda: tf.strings.unicode_decode([b"a\x01b"], "UTF-8", replace_control_characters=True))
