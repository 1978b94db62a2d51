"""`tf.summary`: TensorBoard logs (scalars, histograms, text, images, audio, graphs) written through
`graphflow.keras.event_file`, i.e. the `tensorboard` package's own writer and protos (the
optional extra `graphflow[tensorboard]`; TensorFlow itself is not needed).

Like TF: `create_file_writer(logdir)`, `with writer.as_default(step=...)`, the summary functions
take `step=` or use `tf.summary.experimental.set_step`, and return False (writing nothing) when
no default writer is set or `record_if(False)` is active. Inside `@function` a summary is a
`write_summary` node that writes each time the graph runs (its step may be a Variable, e.g.
`optimizer.iterations`, read at that time).

>>> import tempfile, graphflow as tf
>>> from graphflow.keras.event_file import read_events
>>> w = tf.summary.create_file_writer(tempfile.mkdtemp())
>>> with w.as_default():
...     tf.summary.scalar("loss", 0.5, step=2)
True
>>> w.close()
>>> [(e.step, v.simple_value) for e in read_events(w.path) for v in e.summary.value]
[(2, 0.5)]
"""
import contextlib
import types

import numpy as np

from . import state as _state
from .audio import encode_wav
from .errors import InvalidArgumentError, user_source
from .function import CALL_HOOKS
from .io.images import encode_png
from .keras.event_file import EventFileWriter
from .ops.registry import WRITE_SUMMARY
from .tensor import Variable, to_tensor

__all__ = ["create_file_writer", "scalar", "histogram", "text", "image", "audio", "graph",
           "flush", "record_if", "should_record_summaries", "create_noop_writer",
           "trace_on", "trace_off", "trace_export", "experimental", "SummaryWriter"]

_DEFAULT = []      # stack of default writers
_STEP = [None]     # experimental.set_step
_RECORD = [True]   # record_if stack top


class SummaryWriter:
    """A writer of one event file under `logdir` (see `create_file_writer`)."""

    def __init__(self, logdir, flush_millis=None, filename_suffix=""):
        self.logdir = logdir
        self._w = EventFileWriter(logdir, filename_suffix)
        self.path = self._w.path

    @contextlib.contextmanager
    def as_default(self, step=None):
        """Make this the default writer inside the block (and set the default step)."""
        _DEFAULT.append(self)
        old = _STEP[0]
        if step is not None:
            _STEP[0] = step
        try:
            yield self
        finally:
            _DEFAULT.pop()
            if step is not None:
                _STEP[0] = old
            self.flush()

    def set_as_default(self, step=None):
        _DEFAULT.append(self)
        if step is not None:
            _STEP[0] = step

    def write(self, kind, tag, data, step, extra):
        """Write one summary of `kind` (the `write_summary` graph op runs this)."""
        _WRITE[kind](self, tag, data, step, **extra)

    def flush(self):
        self._w.flush()

    def close(self):
        self._w.close()


def create_file_writer(logdir, max_queue=None, flush_millis=None, filename_suffix=None, name=None):
    """A SummaryWriter writing `events.out.tfevents.*` into `logdir` (created if needed)."""
    return SummaryWriter(logdir, flush_millis, filename_suffix or "")


def _value(x):
    return np.asarray(getattr(x, "_value", x)) if not isinstance(x, Variable) else x.numpy()


def _scalar(w, tag, data, step):
    w._w.add_scalar(tag, float(data), step)


def _histogram(w, tag, data, step, buckets=None):
    w._w.add_histogram(tag, np.asarray(data).ravel(), step, bins=buckets or 30)


def _text(w, tag, data, step):
    w._w.add_text(tag, data.item().decode() if data.dtype.kind in "SO" and
                  isinstance(data.item(), bytes) else str(data.item() if data.ndim == 0
                                                          else data), step)


def _image(w, tag, data, step, max_outputs=3):
    # TF: float images in [0, 1] become uint8 as convert_image_dtype(saturate=True) does
    if data.dtype.kind == "f":
        data = np.clip(data * 255.5, 0, 255).astype(np.uint8)
    pngs = [encode_png(np.asarray(im, np.uint8)).numpy() for im in data[:max_outputs]]
    w._w.add_images(tag, pngs, data.shape[2], data.shape[1], step)


def _audio(w, tag, data, step, sample_rate=None, max_outputs=3):
    wavs = [encode_wav(np.asarray(a, np.float32), int(sample_rate)).numpy()
            for a in data[:max_outputs]]
    w._w.add_audio(tag, wavs, step)


_WRITE = {"scalar": _scalar, "histogram": _histogram, "text": _text, "image": _image,
          "audio": _audio}


def _check_rank(kind, tag, data, rank, layout, channels=None):
    """Raise (naming the summary, the shape and the user's line) unless `data` has `rank`
    dims and, if given, a channel count in `channels`; checked where the summary is called."""
    shape = tuple(to_tensor(data).shape)
    if len(shape) != rank or (channels and isinstance(shape[-1], int)
                              and shape[-1] not in channels):
        raise InvalidArgumentError(f"tf.summary.{kind} {tag!r} at {user_source()}: data must be "
                                   f"{layout}, got shape {list(shape)}")


def _emit(kind, tag, data, step, **extra):
    """Write a `kind` summary to the default writer now, or - inside `@function` - add a
    `write_summary` node that writes each time the graph runs (the writer, `record_if` and the
    default step are taken when tracing, as TF does). False when nothing is recorded."""
    if not _DEFAULT or not _RECORD[0]:
        return False
    step = _STEP[0] if step is None else step
    if step is None:
        raise ValueError(f"tf.summary.{kind}: no step given and no default step set (pass "
                         "step= or call tf.summary.experimental.set_step)")
    g = _state.current().graph
    if g is not None:
        ts = [to_tensor(data), to_tensor(step)]
        g.io_effect(WRITE_SUMMARY, ts, {"writer": _DEFAULT[-1], "kind": kind, "tag": tag,
                                        "extra": tuple(sorted(extra.items()))})
        return True
    _DEFAULT[-1].write(kind, tag, _value(data), int(_value(step)), extra)
    return True


def scalar(name, data, step=None, description=None):
    """Write a scalar summary; True if written (also inside `@function`, each call).

    >>> import tempfile, graphflow as tf
    >>> from graphflow.keras.event_file import read_events
    >>> w = tf.summary.create_file_writer(tempfile.mkdtemp())
    >>> v, step = tf.Variable(1.0), tf.Variable(0, dtype=tf.int64)
    >>> @tf.function
    ... def halve():
    ...     v.assign(v / 2)
    ...     with w.as_default():
    ...         tf.summary.scalar("v", v, step=step)
    ...     step.assign_add(1)
    >>> for _ in range(2): halve()
    >>> w.flush()
    >>> [(e.step, x.simple_value) for e in read_events(w.path) for x in e.summary.value]
    [(0, 0.5), (1, 0.25)]
    """
    return _emit("scalar", name, data, step)


def histogram(name, data, step=None, buckets=None, description=None):
    """Write a histogram of `data`'s values; True if written."""
    return _emit("histogram", name, data, step, buckets=buckets)


def text(name, data, step=None, description=None):
    """Write a text summary; True if written."""
    return _emit("text", name, data, step)


def image(name, data, step=None, max_outputs=3, description=None):
    """Write up to `max_outputs` images of `data` [k, height, width, channels] (uint8, or
    floats in [0, 1]) as PNGs for TensorBoard's Images dashboard; True if written.

    >>> import tempfile, numpy as np, graphflow as tf
    >>> from graphflow.keras.event_file import read_events
    >>> w = tf.summary.create_file_writer(tempfile.mkdtemp())
    >>> with w.as_default():
    ...     tf.summary.image("digits", np.zeros((5, 8, 8, 1), np.float32), step=0)
    True
    >>> [len(v.tensor.string_val) for e in read_events(w.path) for v in e.summary.value]
    [5]
    """
    _check_rank("image", name, data, 4, "[k, height, width, channels] with 1-4 channels",
                (1, 2, 3, 4))
    return _emit("image", name, data, step, max_outputs=int(max_outputs))


def audio(name, data, sample_rate, step=None, max_outputs=3, encoding=None, description=None):
    """Write up to `max_outputs` clips of `data` [k, samples, channels] (floats in [-1, 1]) as
    WAV files for TensorBoard's Audio dashboard; True if written."""
    if encoding not in (None, "wav"):
        raise ValueError(f"tf.summary.audio: unknown encoding {encoding!r} (only 'wav')")
    _check_rank("audio", name, data, 3, "[k, samples, channels]")
    return _emit("audio", name, data, step, sample_rate=int(_value(sample_rate)),
                 max_outputs=int(max_outputs))


def should_record_summaries():
    """True while a default writer is set and `record_if` allows recording."""
    return bool(_DEFAULT) and _RECORD[0]


class _NoopWriter:
    """`create_noop_writer()`: a writer that records nothing."""

    @contextlib.contextmanager
    def as_default(self, step=None):
        with record_if(False):
            yield self

    def set_as_default(self, step=None):
        _RECORD[0] = False

    def flush(self):
        pass

    def close(self):
        pass


def create_noop_writer():
    """A writer whose `as_default()` block records nothing (TF's `create_noop_writer`)."""
    return _NoopWriter()


def graph(graph_data):
    """Write a traced graph (a ConcreteFunction, graphflow Graph or networkx DiGraph) as a
    GraphDef for TensorBoard's graph dashboard; True if written."""
    return _write_graph(graph_data, _default_step())


def _write_graph(graph_data, step):
    if not _DEFAULT or not _RECORD[0]:
        return False
    g = getattr(graph_data, "optimized", graph_data)
    _DEFAULT[-1]._w.add_graph(g, step=step)
    return True


_TRACED = []       # concrete functions executed since trace_on (in order, each once)


def _collect(cf):
    if all(c is not cf for c in _TRACED):
        _TRACED.append(cf)


def trace_on(graph=True, profiler=False, profiler_outdir=None):
    """Start collecting the graphs of the `@function`s that run from now on (TF's
    `tf.summary.trace_on`); `trace_export` writes them. `profiler` is not supported.

    >>> import graphflow as tf, tempfile
    >>> writer = tf.summary.create_file_writer(tempfile.mkdtemp())
    >>> f = tf.function(lambda x: x * 2.0)
    >>> tf.summary.trace_on(graph=True)
    >>> _ = f(tf.constant(1.0))
    >>> with writer.as_default():
    ...     tf.summary.trace_export("f", step=0)
    True
    """
    if profiler:
        raise NotImplementedError("tf.summary.trace_on: profiler=True is not supported")
    trace_off()
    if graph:
        _TRACED.clear()
        CALL_HOOKS.append(_collect)


def trace_off():
    """Stop collecting graphs (without exporting them)."""
    while _collect in CALL_HOOKS:
        CALL_HOOKS.remove(_collect)


def trace_export(name, step=None, profiler_outdir=None):
    """Write the graphs collected since `trace_on` to the default writer (as `graph` does) and
    stop collecting; True if a graph was written (TF writes the last one under `name`)."""
    trace_off()
    step = _default_step() if step is None else int(_value(step))
    written = False
    for cf in _TRACED:
        written = _write_graph(cf, step) or written
    _TRACED.clear()
    return written


def flush(writer=None, name=None):
    """Flush `writer` (or the default writer)."""
    w = writer or (_DEFAULT[-1] if _DEFAULT else None)
    if w is not None:
        w.flush()


@contextlib.contextmanager
def record_if(condition):
    """Record summaries inside the block only if `condition` (a bool or a callable) holds."""
    old = _RECORD[0]
    _RECORD[0] = bool(condition() if callable(condition) else condition)
    try:
        yield
    finally:
        _RECORD[0] = old


def _default_step():
    return 0 if _STEP[0] is None else int(_value(_STEP[0]))


def _set_step(step):
    _STEP[0] = step    # a Variable (e.g. optimizer.iterations) is read at each write


def _get_step():
    return _STEP[0]


experimental = types.SimpleNamespace(set_step=_set_step, get_step=_get_step)
