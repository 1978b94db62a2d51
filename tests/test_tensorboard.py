"""TensorBoard event files: TFRecord framing and CRC-32C checked by our own decoder always, and
read back with TensorBoard's own EventAccumulator when the `tensorboard` package is installed."""
import glob
import os
import struct

import numpy as np
import pytest

import graphflow as tf
from graphflow.keras import event_file as ev

k = tf.keras


def test_crc32c_and_masking_known_values():
    # RFC 3720 / iSCSI test vectors for CRC-32C
    assert ev.crc32c(b"") == 0
    assert ev.crc32c(b"123456789") == 0xE3069283
    assert ev.crc32c(bytes(32)) == 0x8A9136AA
    assert ev.crc32c(b"\xff" * 32) == 0x62A8AB43
    crc = 0xE3069283
    assert ev.masked_crc32c(b"123456789") == \
        ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF


def test_record_framing_and_corruption_detected(tmp_path):
    w = ev.EventFileWriter(str(tmp_path))
    w.add_scalar("a", 1.5, 7)
    w.add_histogram("h", np.arange(10.0), 7, bins=5)
    w.add_text("t", "hello *world*", 7)
    w.close()
    events = ev.read_events(w.path)
    assert events[0]["file_version"] == "brain.Event:2"
    (a,), (h,), (t,) = (e["summary"] for e in events[1:])
    assert (a["tag"], a["simple_value"], events[1]["step"]) == ("a", 1.5, 7)
    assert h["histo"]["num"] == 10 and h["histo"]["sum"] == 45 and h["histo"]["bucket"] == [2] * 5
    assert h["histo"]["sum_squares"] == float(np.sum(np.arange(10.0) ** 2))
    assert t["text"] == "hello *world*"
    data = bytearray(open(w.path, "rb").read())
    data[-6] ^= 0xFF   # flip a payload byte of the last record
    open(w.path, "wb").write(bytes(data))
    with pytest.raises(ValueError, match="CRC"):
        ev.read_records(w.path)
    (n,) = struct.unpack("<Q", bytes(data[:8]))
    assert n == len(ev.event(0, wall_time=events[0]["wall_time"], file_version="brain.Event:2"))


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


def test_callback_scalars_histograms_graph_own_decoder(tmp_path):
    model, hist = _fit(tmp_path)
    (train,) = glob.glob(str(tmp_path / "train" / "events.out.tfevents.*"))
    (val,) = glob.glob(str(tmp_path / "validation" / "events.out.tfevents.*"))
    tev = ev.read_events(train)
    scal = {}
    hists = {}
    for e in tev:
        for v in e.get("summary", []):
            if "simple_value" in v:
                scal.setdefault(v["tag"], []).append((e["step"], v["simple_value"]))
            if "histo" in v:
                hists.setdefault(v["tag"], []).append(v["histo"])
    np.testing.assert_allclose([s for _, s in scal["epoch_loss"]], hist.history["loss"], rtol=1e-6)
    assert [st for st, _ in scal["epoch_accuracy"]] == [0, 1, 2]
    vloss = [v["simple_value"] for e in ev.read_events(val) for v in e.get("summary", [])
             if v["tag"] == "epoch_loss"]
    np.testing.assert_allclose(vloss, hist.history["val_loss"], rtol=1e-6)
    kernel = model.layers[0].kernel
    h = hists[kernel.name.split(":")[0]][-1]
    assert h["num"] == 12 and sum(h["bucket"]) == 12
    np.testing.assert_allclose(h["sum"], kernel.numpy().sum(), rtol=1e-5)
    graphs = [e["graph_def"] for e in tev if "graph_def" in e]
    assert len(graphs) == 1
    names = [dict((f, x) for f, _, x in ev.parse_fields(n))[1].decode()
             for f, _, n in ev.parse_fields(graphs[0]) if f == 1]
    layer = model.layers[0].name
    assert any(n.startswith(f"{model.name}/{layer}/") for n in names), names[:10]
    assert any("matmul" in n for n in names)


def test_callback_files_read_by_tensorboard(tmp_path):
    pytest.importorskip("tensorboard")
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
    kname = model.layers[0].kernel.name.split(":")[0]
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
