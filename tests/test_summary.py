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
