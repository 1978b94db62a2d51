"""tf.summary read back with TensorBoard's own EventAccumulator (skipped if not installed)."""
import numpy as np
import pytest

import graphflow as tf

ea = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")


def test_summary_scalars_histogram_text_graph_steps(tmp_path):
    w = tf.summary.create_file_writer(str(tmp_path))
    assert tf.summary.scalar("loss", 1.0, step=0) is False   # no default writer: nothing
    with w.as_default():
        for s in range(3):
            assert tf.summary.scalar("loss", tf.constant(1.0 / (s + 1)), step=s)
        tf.summary.experimental.set_step(7)
        tf.summary.scalar("acc", 0.75)
        with tf.summary.record_if(False):
            assert tf.summary.scalar("acc", 0.1) is False
        tf.summary.histogram("w", tf.constant(np.arange(10, dtype=np.float32)), step=1)
        tf.summary.text("note", "hello", step=2)

        @tf.function
        def f(x):
            with tf.name_scope("dense"):
                return x * 2.0 + 1.0
        tf.summary.graph(f.get_concrete_function(tf.constant([1.0])))
    tf.summary.experimental.set_step(None)
    w.close()
    acc = ea.EventAccumulator(str(tmp_path), size_guidance={ea.TENSORS: 0})
    acc.Reload()
    loss = [(e.step, e.value) for e in acc.Scalars("loss")]
    assert loss == [(0, 1.0), (1, 0.5), (2, pytest.approx(1 / 3))]
    assert [(e.step, e.value) for e in acc.Scalars("acc")] == [(7, 0.75)]
    h = acc.Histograms("w")[0]
    assert h.step == 1 and h.histogram_value.num == 10 and h.histogram_value.sum == 45
    assert h.histogram_value.min == 0 and h.histogram_value.max == 9
    t = acc.Tensors("note")[0]
    assert t.step == 2 and t.tensor_proto.string_val[0] == b"hello"
    names = [n.name for n in acc.Graph().node]
    assert any(n.startswith("dense/") for n in names), names


def test_summary_requires_step(tmp_path):
    w = tf.summary.create_file_writer(str(tmp_path))
    with w.as_default():
        with pytest.raises(ValueError, match="no step"):
            tf.summary.scalar("x", 1.0)
    w.close()


def test_trace_on_export_writes_the_graphs_that_ran(tmp_path):
    @tf.function
    def before(x):
        return x - 1.0

    @tf.function
    def step(x):
        with tf.name_scope("traced_step"):
            return tf.sin(x) * 3.0

    before(tf.constant([1.0]))               # runs before trace_on: not collected
    w = tf.summary.create_file_writer(str(tmp_path))
    tf.summary.trace_on(graph=True)
    step(tf.constant([1.0]))
    step(tf.constant([2.0]))                 # the same graph again: written once
    with w.as_default():
        assert tf.summary.trace_export("step_trace", step=3)
        assert not tf.summary.trace_export("again", step=4)   # collection stopped at export
    w.close()
    acc = ea.EventAccumulator(str(tmp_path))
    acc.Reload()
    names = [n.name for n in acc.Graph().node]
    assert any(n.startswith("traced_step/") for n in names), names
    assert not any("subtract" in n for n in names), names   # `before` ran outside the trace
    tf.summary.trace_on()
    tf.summary.trace_off()                   # off without export: nothing collects any more
    step(tf.constant([1.0]))
    from graphflow.function import CALL_HOOKS
    assert CALL_HOOKS == []


@pytest.mark.parametrize("jit", [False, True])
def test_summaries_inside_function_write_at_each_call(tmp_path, jit):
    """TF: a summary in a @function writes every time the graph runs; a default step set to
    a Variable (optimizer.iterations) is read at that time; record_if(False) at trace time
    records nothing."""
    w = tf.summary.create_file_writer(str(tmp_path))
    opt = tf.keras.optimizers.SGD(0.5)
    v = tf.Variable(4.0)

    @tf.function(jit_compile=jit)
    def step():
        with tf.GradientTape() as t:
            loss = v * v
        opt.apply_gradients([(t.gradient(loss, v), v)])
        with w.as_default():
            tf.summary.scalar("loss", loss)
            tf.summary.histogram("v", tf.fill([4], v))
            with tf.summary.record_if(False):
                tf.summary.scalar("never", loss)
        return loss

    tf.summary.experimental.set_step(opt.iterations)
    try:
        losses = [float(step()) for _ in range(3)]
    finally:
        tf.summary.experimental.set_step(None)
    w.close()
    acc = ea.EventAccumulator(str(tmp_path), size_guidance={ea.SCALARS: 0, ea.HISTOGRAMS: 0})
    acc.Reload()
    assert acc.Tags()["scalars"] == ["loss"]
    got = [(e.step, e.value) for e in acc.Scalars("loss")]
    assert got == [(1, losses[0]), (2, losses[1]), (3, losses[2])]   # after each update
    assert losses == [16.0, 0.0, 0.0]
    assert [h.step for h in acc.Histograms("v")] == [1, 2, 3]


def test_image_and_audio_summaries_as_tf2_writes_them(tmp_path):
    """TF 2's layout: an image summary is a string tensor [width, height, png...] (plugin
    'images'), audio rows of [wav, label] (plugin 'audio'); PNGs decode to the data."""
    w = tf.summary.create_file_writer(str(tmp_path))
    imgs = np.linspace(0, 1, 2 * 3 * 5, dtype=np.float32).reshape(2, 3, 5, 1)
    clip = np.sin(np.linspace(0, 20, 400, dtype=np.float32)).reshape(1, 400, 1) * 0.5
    with w.as_default(step=4):
        assert tf.summary.should_record_summaries()
        assert tf.summary.image("digits", imgs, max_outputs=5)
        assert tf.summary.audio("tone", clip, sample_rate=8000)
    assert not tf.summary.should_record_summaries()
    with tf.summary.create_noop_writer().as_default():
        assert tf.summary.scalar("x", 1.0, step=0) is False
    w.close()
    from graphflow.keras.event_file import read_events
    vals = {v.tag: (e.step, v) for e in read_events(w.path) for v in e.summary.value}
    step, v = vals["digits"]
    assert step == 4 and v.metadata.plugin_data.plugin_name == "images"
    s = v.tensor.string_val
    assert (s[0], s[1], len(s)) == (b"5", b"3", 4)
    back = tf.io.decode_png(s[2]).numpy()
    np.testing.assert_array_equal(back, np.clip(imgs[0] * 255.5, 0, 255).astype(np.uint8))
    step, a = vals["tone"]
    assert a.metadata.plugin_data.plugin_name == "audio"
    assert [d.size for d in a.tensor.tensor_shape.dim] == [1, 2]
    wav, rate = tf.audio.decode_wav(a.tensor.string_val[0])
    assert int(rate) == 8000
    np.testing.assert_allclose(wav.numpy(), clip[0], atol=1 / 32768)
    acc = ea.EventAccumulator(str(tmp_path), size_guidance={ea.IMAGES: 0, ea.AUDIO: 0})
    acc.Reload()   # TensorBoard's own reader sees the image and the clip
    assert "digits" in str(acc.Tags()) and "tone" in str(acc.Tags())


def test_image_and_audio_of_the_wrong_rank_name_the_summary_and_the_line(tmp_path):
    w = tf.summary.create_file_writer(str(tmp_path))
    with w.as_default():
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match=r"tf.summary.image 'x' at test_summary.py:\d+: .*\[8, 8, 3\]"):
            tf.summary.image("x", np.zeros((8, 8, 3), np.float32), step=0)

        @tf.function
        def f(x):
            tf.summary.audio("a", x, 8000, step=1)

        with pytest.raises(tf.errors.InvalidArgumentError,
                           match=r"tf.summary.audio 'a' at test_summary.py:\d+: .*\[4, 2\]"):
            f(tf.zeros([4, 2]))
    w.close()
