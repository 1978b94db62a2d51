"""TensorBoard event files through the `tensorboard` package's own writer and protocol buffers
(the optional extra `graphflow[tensorboard]`; TensorFlow itself is not needed).

`EventFileWriter` wraps `tensorboard.summary.writer.event_file_writer.EventFileWriter` with the
summaries graphflow writes (scalars, histograms, text, graphs); `graph_def` turns a graphflow IR
into a `GraphDef` whose node names carry the name scopes, so the Graphs dashboard groups them;
`read_events` reads a file back as `Event` protos with TensorBoard's own loader.

>>> import tempfile, graphflow.keras.event_file as ev
>>> w = ev.EventFileWriter(tempfile.mkdtemp())
>>> w.add_scalar("loss", 0.25, step=3)
>>> w.close()
>>> [(e.step, v.tag, v.simple_value) for e in ev.read_events(w.path) for v in e.summary.value]
[(3, 'loss', 0.25)]
"""
import importlib
import time

import numpy as np

from ..graph_def import graph_def as plain_graph_def

_TB_MODULES = {
    "event_pb2": "tensorboard.compat.proto.event_pb2",
    "summary_pb2": "tensorboard.compat.proto.summary_pb2",
    "graph_pb2": "tensorboard.compat.proto.graph_pb2",
    "node_def_pb2": "tensorboard.compat.proto.node_def_pb2",
    "attr_value_pb2": "tensorboard.compat.proto.attr_value_pb2",
    "tensor_pb2": "tensorboard.compat.proto.tensor_pb2",
    "tensor_shape_pb2": "tensorboard.compat.proto.tensor_shape_pb2",
    "versions_pb2": "tensorboard.compat.proto.versions_pb2",
    "writer": "tensorboard.summary.writer.event_file_writer",
    "loader": "tensorboard.backend.event_processing.event_file_loader",
}


def tb(name):
    """The TensorBoard module `name` (a key of `_TB_MODULES`), imported on first use so that
    `import graphflow` does not pay for TensorBoard; a clear error names the extra to install."""
    try:
        return importlib.import_module(_TB_MODULES[name])
    except ImportError as e:
        raise ImportError("TensorBoard event files need the `tensorboard` package: "
                          "pip install 'graphflow[tensorboard]'") from e


# TensorFlow's DataType enum values (tensorflow/core/framework/types.proto)
_TF_DTYPES = {"float32": 1, "float64": 2, "int32": 3, "uint8": 4, "int16": 5, "int8": 6,
              "string": 7, "complex64": 8, "int64": 9, "bool": 10, "uint16": 17,
              "complex128": 18, "float16": 19, "uint32": 22, "uint64": 23}


# ------------------------------------------------------------------ summaries
def histogram_proto(values, bins=30):
    """A `HistogramProto` of the finite values of `values` in `bins` equal-width buckets
    (TensorBoard's Histograms and Distributions dashboards)."""
    v = np.asarray(values, np.float64).ravel()
    v = v[np.isfinite(v)]
    h = tb("summary_pb2").HistogramProto()
    if v.size == 0:
        return h
    lo, hi = float(v.min()), float(v.max())
    if lo == hi:
        lo, hi = lo - 0.5, hi + 0.5
    counts, edges = np.histogram(v, bins=int(bins), range=(lo, hi))
    h.min, h.max, h.num = float(v.min()), float(v.max()), float(v.size)
    h.sum, h.sum_squares = float(v.sum()), float(np.dot(v, v))
    h.bucket_limit.extend(edges[1:].tolist())
    h.bucket.extend(counts.astype(np.float64).tolist())
    return h


def _strings_value(tag, plugin, strings, shape=(), content=b""):
    # TF 2's summaries for text, images and audio: a DT_STRING tensor tagged with its plugin
    s = tb("summary_pb2")
    meta = s.SummaryMetadata(plugin_data=s.SummaryMetadata.PluginData(plugin_name=plugin,
                                                                      content=content))
    shp = tb("tensor_shape_pb2").TensorShapeProto
    tensor = tb("tensor_pb2").TensorProto(
        dtype=_TF_DTYPES["string"], string_val=list(strings),
        tensor_shape=shp(dim=[shp.Dim(size=int(n)) for n in shape]))
    return s.Summary.Value(tag=tag, metadata=meta, tensor=tensor)


def _text_value(tag, text):
    return _strings_value(tag, "text", [str(text).encode("utf-8")])


# ------------------------------------------------------------------ GraphDef from the IR
def _shape_proto(shape):
    ts = tb("tensor_shape_pb2").TensorShapeProto
    # unknown (None or symbolic) dims are -1, as in TensorFlow
    return ts(dim=[ts.Dim(size=int(d) if isinstance(d, (int, np.integer)) else -1)
                   for d in shape])


def graph_def(graph):
    """A graphflow `Graph` (or networkx DiGraph with graphflow node attributes) as a TensorFlow
    `GraphDef` proto: `graphflow.graph_def`'s nodes (names carry the name scopes, so TensorBoard
    groups nodes by the Keras layer that made them; adjoint nodes under `gradients/<forward
    scope>` as in TF; data inputs in argument order, ordering edges as `^name` control inputs)
    with attrs `dtype`, `_output_shapes` and `source` (the user's line)."""
    av, gp = tb("attr_value_pb2").AttrValue, tb("graph_pb2")
    out = gp.GraphDef(versions=tb("versions_pb2").VersionDef(producer=27))
    for nd in plain_graph_def(graph).node:
        node = out.node.add(name=nd.name, op=nd.op)
        node.input.extend(nd.input)
        dt = nd.attr.get("dtype")
        if dt is not None and dt.name in _TF_DTYPES:
            node.attr["dtype"].CopyFrom(av(type=_TF_DTYPES[dt.name]))
        if "_output_shapes" in nd.attr:
            node.attr["_output_shapes"].CopyFrom(
                av(list=av.ListValue(shape=[_shape_proto(nd.attr["_output_shapes"][0])])))
        if nd.attr.get("source"):
            node.attr["source"].CopyFrom(av(s=nd.attr["source"].encode("utf-8")))
    return out


# ------------------------------------------------------------------ writer and reader
class EventFileWriter:
    """Events appended to `<logdir>/events.out.tfevents.<time>.<host>.<pid>.<n>` by TensorBoard's
    own writer (which also writes the `brain.Event:2` file-version record first).

    >>> import tempfile
    >>> w = EventFileWriter(tempfile.mkdtemp())
    >>> w.add_text("note", "hello", step=0); w.close()
    >>> [v.tensor.string_val[0] for e in read_events(w.path) for v in e.summary.value]
    [b'hello']
    """

    def __init__(self, logdir, filename_suffix=""):
        self.logdir = logdir
        self._w = tb("writer").EventFileWriter(logdir, filename_suffix=filename_suffix)
        self.path = self._w._file_name   # the writer keeps no public accessor for it

    def _add(self, step, **fields):
        if self._w is None:
            raise ValueError(f"EventFileWriter for {self.path} is closed")
        self._w.add_event(tb("event_pb2").Event(wall_time=time.time(), step=int(step),
                                                **fields))

    def _add_value(self, step, value):
        self._add(step, summary=tb("summary_pb2").Summary(value=[value]))

    def add_scalar(self, tag, value, step):
        """A scalar point (the Scalars dashboard)."""
        self._add_value(step, tb("summary_pb2").Summary.Value(tag=tag, simple_value=float(value)))

    def add_histogram(self, tag, values, step, bins=30):
        """A histogram of `values` (the Histograms and Distributions dashboards)."""
        self._add_value(step, tb("summary_pb2").Summary.Value(
            tag=tag, histo=histogram_proto(values, bins)))

    def add_text(self, tag, text, step):
        """A markdown text (the Text dashboard)."""
        self._add_value(step, _text_value(tag, text))

    def add_images(self, tag, pngs, width, height, step):
        """PNG-encoded images (the Images dashboard: [width, height, png...] as TF writes)."""
        self._add_value(step, _strings_value(tag, "images",
                                             [str(width).encode(), str(height).encode()] + pngs,
                                             (len(pngs) + 2,)))

    def add_audio(self, tag, wavs, step):
        """WAV clips (the Audio dashboard: rows of [wav, label], encoding 11 = WAV)."""
        rows = [b for w in wavs for b in (w, b"")]
        self._add_value(step, _strings_value(tag, "audio", rows, (len(wavs), 2),
                                             content=b"\x10\x0b"))

    def add_graph(self, graph, step=0):
        """A graphflow graph as a GraphDef (the Graphs dashboard)."""
        self._add(step, graph_def=graph_def(graph).SerializeToString())

    def flush(self):
        if self._w is not None:
            self._w.flush()

    def close(self):
        if self._w is not None:
            self._w.close()
            self._w = None


def read_events(path):
    """The `Event` protos of one event file, in order, read by TensorBoard's own loader
    (which checks the TFRecord CRCs)."""
    # the legacy loader yields the events as written (the newer one migrates them to tensors)
    return list(tb("loader").LegacyEventFileLoader(path).Load())
