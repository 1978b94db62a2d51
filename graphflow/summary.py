"""`tf.summary`: TensorBoard logs (scalars, histograms, text, graphs) written through
`graphflow.keras.event_file`, i.e. the `tensorboard` package's own writer and protos (the
optional extra `graphflow[tensorboard]`; TensorFlow itself is not needed).

Like TF: `create_file_writer(logdir)`, `with writer.as_default(step=...)`, the summary functions
take `step=` or use `tf.summary.experimental.set_step`, and return False (writing nothing) when
no default writer is set or `record_if(False)` is active.

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

from .function import CALL_HOOKS
from .keras.event_file import EventFileWriter

__all__ = ["create_file_writer", "scalar", "histogram", "text", "graph", "flush", "record_if",
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
            _STEP[0] = int(step)
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
            _STEP[0] = int(step)

    def flush(self):
        self._w.flush()

    def close(self):
        self._w.close()


def create_file_writer(logdir, max_queue=None, flush_millis=None, filename_suffix=None, name=None):
    """A SummaryWriter writing `events.out.tfevents.*` into `logdir` (created if needed)."""
    return SummaryWriter(logdir, flush_millis, filename_suffix or "")


def _target(step, fn):
    if not _DEFAULT or not _RECORD[0]:
        return None, None
    if step is None:
        step = _STEP[0]
    if step is None:
        raise ValueError(f"tf.summary.{fn}: no step given and no default step set (pass step= "
                         "or call tf.summary.experimental.set_step)")
    return _DEFAULT[-1], int(np.asarray(step))


def _value(x):
    return np.asarray(getattr(x, "_value", x))


def scalar(name, data, step=None, description=None):
    """Write a scalar summary; True if written."""
    w, step = _target(step, "scalar")
    if w is None:
        return False
    w._w.add_scalar(name, float(_value(data)), step)
    return True


def histogram(name, data, step=None, buckets=None, description=None):
    """Write a histogram of `data`'s values; True if written."""
    w, step = _target(step, "histogram")
    if w is None:
        return False
    w._w.add_histogram(name, _value(data).ravel(), step, bins=buckets or 30)
    return True


def text(name, data, step=None, description=None):
    """Write a text summary; True if written."""
    w, step = _target(step, "text")
    if w is None:
        return False
    v = _value(data)
    w._w.add_text(name, v.item().decode() if v.dtype.kind == "S" else str(v.item()
                  if v.ndim == 0 else v), step)
    return True


def graph(graph_data):
    """Write a traced graph (a ConcreteFunction, graphflow Graph or networkx DiGraph) as a
    GraphDef for TensorBoard's graph dashboard; True if written."""
    return _write_graph(graph_data, _STEP[0] or 0)


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
    step = (_STEP[0] or 0) if step is None else int(step)
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


def _set_step(step):
    _STEP[0] = None if step is None else int(np.asarray(getattr(step, "_value", step)))


def _get_step():
    return _STEP[0]


experimental = types.SimpleNamespace(set_step=_set_step, get_step=_get_step)
