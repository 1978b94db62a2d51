"""TensorBoard event files: written by TensorBoard's own writer and protos (graphflow's
`event_file` wraps them), read back with TensorBoard's loader and EventAccumulator."""
import glob

import numpy as np
import pytest

pytest.importorskip("tensorboard", reason="the optional extra graphflow[tensorboard] is absent")

import graphflow as tf  # noqa: E402
from graphflow.keras import event_file as ev  # noqa: E402

k = tf.keras


def test_scalar_histogram_text_records(tmp_path):
    w = ev.EventFileWriter(str(tmp_path))
    w.add_scalar("a", 1.5, 7)
    w.add_histogram("h", np.arange(10.0), 7, bins=5)
    w.add_text("t", "hello *world*", 7)
    w.close()
    events = ev.read_events(w.path)
    assert events[0].file_version == "brain.Event:2"
    (a,), (h,), (t,) = (e.summary.value for e in events[1:])
    assert (a.tag, a.simple_value, events[1].step) == ("a", 1.5, 7)
    assert h.histo.num == 10 and h.histo.sum == 45 and list(h.histo.bucket) == [2] * 5
    assert h.histo.sum_squares == float(np.sum(np.arange(10.0) ** 2))
    np.testing.assert_allclose(h.histo.bucket_limit, np.linspace(0, 9, 6)[1:])
    assert t.metadata.plugin_data.plugin_name == "text"
    assert t.tensor.string_val == [b"hello *world*"]
    with pytest.raises(ValueError, match="closed"):
        w.add_scalar("a", 1.0, 8)


def test_graph_def_names_scopes_inputs_and_shapes(tmp_path):
    @tf.function
    def f(x):
        with tf.name_scope("block"):
            return tf.reduce_sum(tf.exp(x) * 2.0)

    @tf.function
    def g(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = f(x)
        return tape.gradient(y, x)

    x = tf.constant(np.ones((2, 3), np.float32))
    cf = f.get_concrete_function(x)
    grads = {n.name for n in ev.graph_def(g.get_concrete_function(x).traced).node}
    assert any(n.startswith("gradients/block/multiply_") for n in grads), sorted(grads)
    gd = ev.graph_def(cf.traced)
    by_name = {n.name: n for n in gd.node}
    exp = [n for n in gd.node if n.op == "exp"]
    assert len(exp) == 1 and exp[0].name.startswith("block/exp_")
    assert all(i in by_name for n in gd.node for i in n.input if not i.startswith("^"))
    assert list(exp[0].attr["_output_shapes"].list.shape[0].dim) and \
        [d.size for d in exp[0].attr["_output_shapes"].list.shape[0].dim] == [2, 3]
    assert exp[0].attr["dtype"].type == 1    # DT_FLOAT
    assert "test_tensorboard.py" in exp[0].attr["source"].s.decode()


def _fit(log_dir):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 3)).astype("float32")
    y = (x[:, 0] > 0).astype("int32")
    model = k.Sequential([k.Input((3,)), k.layers.Dense(4, activation="relu"),
                          k.layers.Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"],
                  jit_compile=False)
    hist = model.fit(x, y, epochs=3, batch_size=16, verbose=0, validation_data=(x, y),
                     callbacks=[k.callbacks.TensorBoard(str(log_dir), histogram_freq=1)])
    return model, hist


def test_callback_scalars_histograms_graph_events(tmp_path):
    model, hist = _fit(tmp_path)
    (train,) = glob.glob(str(tmp_path / "train" / "events.out.tfevents.*"))
    (val,) = glob.glob(str(tmp_path / "validation" / "events.out.tfevents.*"))
    tev = ev.read_events(train)
    scal, hists = {}, {}
    for e in tev:
        for v in e.summary.value:
            if v.HasField("histo"):
                hists.setdefault(v.tag, []).append(v.histo)
            else:
                scal.setdefault(v.tag, []).append((e.step, v.simple_value))
    np.testing.assert_allclose([s for _, s in scal["epoch_loss"]], hist.history["loss"], rtol=1e-6)
    assert [st for st, _ in scal["epoch_accuracy"]] == [0, 1, 2]
    vloss = [v.simple_value for e in ev.read_events(val) for v in e.summary.value
             if v.tag == "epoch_loss"]
    np.testing.assert_allclose(vloss, hist.history["val_loss"], rtol=1e-6)
    kernel = model.layers[0].kernel
    h = hists[kernel.path][-1]
    assert h.num == 12 and sum(h.bucket) == 12
    np.testing.assert_allclose(h.sum, kernel.numpy().sum(), rtol=1e-5)
    graphs = [e.graph_def for e in tev if e.graph_def]
    assert len(graphs) == 1
    from tensorboard.compat.proto import graph_pb2
    names = [n.name for n in graph_pb2.GraphDef.FromString(graphs[0]).node]
    layer = model.layers[0].name
    assert any(n.startswith(f"{model.name}/{layer}/") for n in names), names[:10]
    assert any("matmul" in n for n in names)


def test_callback_files_read_by_tensorboard(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    model, hist = _fit(tmp_path)
    acc = EventAccumulator(str(tmp_path / "train"), size_guidance={"scalars": 0,
                                                                   "histograms": 0})
    acc.Reload()
    tags = acc.Tags()
    assert {"epoch_loss", "epoch_accuracy"} <= set(tags["scalars"])
    np.testing.assert_allclose([s.value for s in acc.Scalars("epoch_loss")],
                               hist.history["loss"], rtol=1e-6)
    assert [s.step for s in acc.Scalars("epoch_loss")] == [0, 1, 2]
    kname = model.layers[0].kernel.path
    assert kname in tags["histograms"]
    assert acc.Histograms(kname)[-1].histogram_value.num == 12
    g = acc.Graph()
    ops = {n.op for n in g.node}
    assert "matmul" in ops and len(g.node) > 10
    by_name = {n.name: n for n in g.node}
    for n in g.node:                      # every input names a node of the graph
        for i in n.input:
            assert i.lstrip("^") in by_name
    val = EventAccumulator(str(tmp_path / "validation"))
    val.Reload()
    np.testing.assert_allclose([s.value for s in val.Scalars("epoch_loss")],
                               hist.history["val_loss"], rtol=1e-6)
