"""String, file and audio functions inside `@tf.function` (graphflow/ops/eager_graph.py): the
"Simple audio recognition" tutorial (tests/data/tf_guides/tut_audio.py, WAV files generated in
place of the download) prints what TF 2.21 printed, including its ExportModel that takes a file
name or a waveform and its tf.saved_model round trip; traced string ops equal the eager ones."""
import os

import numpy as np
import pytest

import graphflow as tf
from test_tf_guides_output import check_guide


def test_audio_tutorial_output_matches_tf(tmp_path):
    check_guide("tut_audio", tmp_path)


S = tf.constant([" Ab c", "x1y22", "Zz"])
STRING_FNS = [
    lambda s: tf.strings.upper(s), lambda s: tf.strings.lower(s),
    lambda s: tf.strings.length(s), lambda s: tf.strings.strip(s),
    lambda s: tf.strings.substr(s, 1, 2),
    lambda s: tf.strings.join([s, "-", s], separator="|"),
    lambda s: tf.strings.reduce_join(s, separator=","),
    lambda s: tf.strings.reduce_join(tf.reshape(s, [3, 1]), axis=1, keepdims=True),
    lambda s: tf.strings.regex_replace(s, r"[0-9]+", "#"),
    lambda s: tf.strings.regex_full_match(s, r"[a-z0-9]+"),
    lambda s: s == "Zz", lambda s: tf.not_equal(s, S),
    lambda s: tf.strings.as_string(tf.strings.length(s)) + "!",
    lambda s: tf.strings.to_number(tf.strings.regex_replace(s, r"[^0-9]", "1"), tf.int64),
]


@pytest.mark.parametrize("i", range(len(STRING_FNS)))
def test_traced_string_ops_equal_eager(i):
    fn = STRING_FNS[i]
    want = fn(S)
    got = tf.function(fn)(S)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(np.asarray(got.numpy()), np.asarray(want.numpy()))


def test_read_file_and_decode_wav_with_run_time_sizes(tmp_path):
    samples = np.array([[0.5, -0.25], [0.0, 1.0 - 2 ** -15], [-1.0, 0.25]], np.float32)
    path = str(tmp_path / "a.wav")
    tf.io.write_file(path, tf.audio.encode_wav(tf.constant(samples), 8000))

    @tf.function
    def load(p):
        audio, rate = tf.audio.decode_wav(tf.io.read_file(p))
        return audio * 2.0, rate

    cf = load.get_concrete_function(tf.TensorSpec((), tf.string))
    assert [tuple(o.shape) for o in cf.structured_outputs] == [(None, None), ()]
    audio, rate = load(tf.constant(path))
    np.testing.assert_array_equal(audio.numpy(), samples * 2.0)   # (16-bit exact values)
    assert int(rate) == 8000 and rate.dtype == tf.int32

    @tf.function
    def fixed(p):   # desired sizes: static shapes (padded with zeros, one channel)
        return tf.audio.decode_wav(tf.io.read_file(p), desired_channels=1,
                                   desired_samples=5)[0]
    out = fixed(tf.constant(path))
    assert out.shape == (5, 1)
    np.testing.assert_array_equal(out.numpy()[:, 0], [0.5, 0.0, -1.0, 0.0, 0.0])


def test_string_function_saved_and_loaded(tmp_path):
    class Greeter(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
        def __call__(self, names):
            return tf.strings.reduce_join(tf.strings.upper(names) + "!", separator=" ")
    g = Greeter()
    want = g(tf.constant(["ab", "c"])).numpy()
    path = str(tmp_path / "greeter")
    tf.saved_model.save(g, path)
    loaded = tf.saved_model.load(path)
    assert loaded(tf.constant(["ab", "c"])).numpy() == want == b"AB! C!"
    assert os.path.isdir(path)


def test_errors_name_the_op():
    f = tf.function(lambda x: tf.strings.upper(x))
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"string_upper.*float32"):
        f(tf.constant([1.0]))
    g = tf.function(lambda p: tf.io.read_file(p))
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"read_file.*\(2,\)"):
        g(tf.constant(["a", "b"]))


def test_function_with_a_loop_saved_after_it_ran(tmp_path):
    # ("Using the SavedModel format": a module whose @function has run; its loop's compiled
    # plans are run-time caches, not saved)
    class Ctrl(tf.Module):
        def __init__(self):
            super().__init__()
            self.total = tf.Variable(0.)

        @tf.function(input_signature=[tf.TensorSpec([3], tf.float32)])
        def accumulate(self, xs):
            for x in xs:
                if x > 0:
                    self.total.assign_add(x)
            return self.total
    c = Ctrl()
    assert float(c.accumulate(tf.constant([1., -2., 3.]))) == 4.0
    tf.saved_model.save(c, str(tmp_path / "ctrl"))
    loaded = tf.saved_model.load(str(tmp_path / "ctrl"))
    assert float(loaded.accumulate(tf.constant([1., 1., -1.]))) == 6.0
    assert float(c.accumulate(tf.constant([1., 0., 0.]))) == 5.0   # the original still runs
