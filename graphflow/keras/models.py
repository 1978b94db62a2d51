"""Keras models: `Model` (subclassed or functional), `Sequential`, and the training loop
(`compile` / `fit` / `evaluate` / `predict`).

The train step (forward pass, loss, GradientTape, optimizer update, metric updates) is ONE
`graphflow.function`, traced once per batch shape: a full batch and, if the data does not divide
evenly, the last partial batch. `compile(jit_compile=False)` runs the traced steps on the numpy
executor (no numba compile time); the default uses graphflow's numba backend.
`compile(run_eagerly=True)` runs the steps as plain eager Python (for debugging).

>>> import numpy as np, graphflow as tf
>>> model = tf.keras.Sequential([tf.keras.layers.Dense(1, input_shape=(2,))])
>>> model.compile(optimizer="sgd", loss="mse", jit_compile=False)
>>> h = model.fit(np.ones((8, 2)), np.ones((8, 1)), epochs=2, verbose=0)
>>> sorted(h.history), len(h.history["loss"])
(['loss'], 2)
"""
import inspect
import math
import warnings

import numpy as np

from .. import dtypes as _dt
from .. import state as _state
from ..distribute import strategy as _ds
from ..function import function as _tf_function
from ..ops import math_ops as _math
from ..ops import random_ops as _r
from ..ops import shape_ops as _s
from ..shapes import Dim
from ..nest import flatten
from ..tape import GradientTape
from ..tensor import Tensor, TensorShape, TensorSpec, Variable, bytes_array
from ..data import Dataset
from . import callbacks as _cb, losses as _losses, metrics as _metrics, optimizers as _opt
from . import composite_values as _cvals
from . import config as _config
from .layers import BUILD_BATCH, InputLayer, KerasTensor, Layer, arg_masks, keras_path
from .py_dataset import as_batches_source

_AUTO = "auto"


# ------------------------------------------------------------------ data helpers
def _tmap(fn, x):
    leaves, rebuild = flatten(x)
    return rebuild([fn(v) for v in leaves])


def _as_array(a):
    """Training data as numpy: float64 becomes float32 (Keras' floatx), tensors are read."""
    if a is None or _cvals.kind_of(a):   # (ragged / sparse data stays as it is)
        return a
    if isinstance(a, (Tensor, Variable)):
        a = np.asarray(a)
    a = np.asarray(a)
    if a.dtype.kind == "f" and a.dtype != np.float32:
        a = a.astype(np.float32)
    elif a.dtype.kind == "b":
        a = a.astype(np.float32)
    elif a.dtype.kind in "US":   # text: a string tensor's object array of bytes
        a = bytes_array(a)
    return a


def _data_args(x, y, sample_weight, verbose, batch_size):
    """fit/evaluate's shared argument handling: an (x, y[, sample_weight]) tuple in `x`, numpy
    arrays, the resolved verbosity and the batch size (32 by default, as Keras)."""
    x = as_batches_source(x)   # a PyDataset or a generator: a Dataset
    if isinstance(x, Dataset):   # batches come from the dataset
        if y is not None or sample_weight is not None:
            raise ValueError("with a Dataset as `x`, do not pass `y`/`sample_weight` (the "
                             "dataset yields (x, y[, sample_weight]) batches)")
        return x, None, None, _resolve_verbose(verbose), batch_size
    if isinstance(x, tuple) and y is None and len(x) in (2, 3):
        x, y, *rest = x
        sample_weight = rest[0] if rest else sample_weight
    return (_as_arrays(x), _as_arrays(y), _as_arrays(sample_weight), _resolve_verbose(verbose),
            int(batch_size or 32))


def _dataset_element(e):
    """One Dataset element as fit's data tuple: (x,), (x, y) or (x, y, sample_weight), numpy."""
    e = e if isinstance(e, tuple) and not hasattr(e, "_fields") else (e,)
    if len(e) > 3:
        raise ValueError(f"a dataset for fit/evaluate/predict should yield x, (x, y) or "
                         f"(x, y, sample_weight); got a tuple of length {len(e)}")
    return tuple(_as_arrays(v) for v in e)


def _dataset_batches(ds, steps, state=None):
    """(step, data) for the batches of a Dataset; with `state` (a dict), one iterator is kept
    across calls (Keras: with steps_per_epoch, epochs continue where the last one stopped)."""
    if state is not None:
        it = state.get("it")
        if it is None:
            it = state["it"] = iter(ds)
    else:
        it = iter(ds)
    step = 0
    while steps is None or step < steps:
        try:
            e = next(it)
        except StopIteration:
            if state is not None:
                state["it"] = None
            return
        # this worker's rows, as the step receives them (a dataset of x alone gives x, not (x,))
        yield step, _pack(*_ds.shard_batch(_dataset_element(e)))
        step += 1


def _dataset_steps(ds, steps):
    c = ds._cardinality
    if steps is not None:
        return int(steps)
    if c < 0:
        if c == -1:
            raise ValueError("the dataset is infinite (repeat()): pass steps_per_epoch / steps")
        return None
    return c


def _as_arrays(x):
    if x is None:
        return None
    if isinstance(x, (list, tuple)) and x and all(
            isinstance(v, (int, float, np.number)) for v in flatten(x)[0]):
        return _as_array(x)
    return _tmap(_as_array, x)


def _num_samples(*structs):
    ns = {}
    for s in structs:
        if s is None:
            continue
        for a in flatten(s)[0]:
            if _cvals.kind_of(a):
                ns.setdefault(_cvals.num_rows(a), []).append(tuple(a.shape))
                continue
            if a.ndim == 0:
                raise ValueError("training data must have a batch dimension (got a scalar)")
            ns.setdefault(a.shape[0], []).append(a.shape)
    if not ns:
        raise ValueError("no data given")
    if len(ns) > 1:
        detail = "; ".join(f"{n} samples in arrays of shapes {v}" for n, v in ns.items())
        raise ValueError(f"Data cardinality is ambiguous: {detail}. Make sure all arrays "
                         "contain the same number of samples.")
    return next(iter(ns))


def _take_rows(a, idx):
    return _cvals.take_rows(a, idx) if _cvals.kind_of(a) else a[idx]


def _take(x, idx):
    if x is None:
        return None
    return _tmap(lambda a: _take_rows(a, idx), x)


class _ArrayBatches:
    """The step data of in-memory (x, y, sample_weight): the structures are flattened once per
    fit / evaluate / predict and each batch's rows taken leaf by leaf (a contiguous batch is a
    view), packed as the step receives them (`_pack`).

    >>> b = _ArrayBatches({"a": np.arange(4)}, np.arange(4) * 10)
    >>> b.take(slice(1, 3))
    ({'a': array([1, 2])}, array([10, 20]))
    """

    def __init__(self, x, y=None, sample_weight=None):
        self._parts = [None if v is None else flatten(v) for v in (x, y, sample_weight)]

    def take(self, idx):
        return _pack(*[None if p is None else p[1]([_take_rows(a, idx) for a in p[0]])
                       for p in self._parts])


class _StepLogs:
    """The latest step's logs: the step's outputs as they come, converted to Python floats
    (`_to_logs`) when first read - by a callback reading batch logs, a progress bar redraw or
    the epoch's end - so a plain fit converts once per epoch, not per step (Keras 3 hands
    callbacks floats too). Under a multi-worker strategy the logs are made every step: their
    metric values are a collective (`global_metric_logs`) all workers must join."""

    def __init__(self, model):
        s = _ds.current_strategy()
        self._model, self._metrics = model, None
        self._every_step = s is not None and s.num_replicas_in_sync > 1
        self._out, self._logs = None, {}

    def set(self, out):
        self._out, self._logs = out, None
        if self._every_step:
            self()

    def __call__(self):
        if self._logs is None:
            logs = _to_logs(self._out)
            if self._every_step:
                if self._metrics is None:   # (after the first step: its trace made them all)
                    self._metrics = flat_metrics(self._model.metrics)
                logs = _ds.global_metric_logs(self._metrics, logs)
            self._logs = logs
        return self._logs


def _unpack(data):
    """(x,), (x, y) or (x, y, sample_weight) -> x, y, sample_weight."""
    if isinstance(data, tuple):
        if len(data) == 1:
            return data[0], None, None
        if len(data) == 2:
            return data[0], data[1], None
        if len(data) == 3:
            return data
        raise ValueError(f"data should be (x,), (x, y) or (x, y, sample_weight); got a tuple of "
                         f"length {len(data)}")
    return data, None, None


unpack_x_y_sample_weight = _unpack


def _pack(x, y=None, sample_weight=None):
    """The `data` a train/test/predict step receives (Keras 3's pack_x_y_sample_weight): `x`
    alone when there are no targets (so `self.encoder(data)` in a custom train_step gets the
    inputs, as in Keras's VAE example; a tuple or list of inputs is wrapped as `(x,)`), else
    (x, y) or (x, y, sample_weight).

    >>> _pack(1), _pack((1, 2)), _pack(1, 2), _pack(1, 2, 3)
    (1, ((1, 2),), (1, 2), (1, 2, 3))
    """
    if y is None and sample_weight is None:
        return (x,) if isinstance(x, (tuple, list)) else x
    return (x, y) if sample_weight is None else (x, y, sample_weight)


pack_x_y_sample_weight = _pack


def _to_float(v):
    if isinstance(v, (Tensor, Variable)):
        v = np.asarray(v)
    if isinstance(v, np.ndarray) and v.size == 1:
        v = v.reshape(())
    try:
        return float(v)
    except (TypeError, ValueError):
        return v


def _to_logs(out):
    if out is None:
        return {}
    if isinstance(out, dict):   # Keras 3's pythonify_logs: keys sorted, a nested dict (a
        logs = {}                  # metrics container's result) flattened in its place
        for k in sorted(out, key=str):
            if isinstance(out[k], dict):
                logs.update(_to_logs(out[k]))
            else:
                logs[k] = _to_float(out[k])
        return logs
    if isinstance(out, (Tensor, Variable, float, np.floating)):
        return {"loss": _to_float(out)}
    raise TypeError(f"train_step / test_step should return a dict of metric values, got "
                    f"{type(out).__name__}")


def _readable_size(n_bytes):
    units = ["B", "KB", "MB", "GB", "TB", "PB"]
    size, i = float(n_bytes), 0
    while size >= 1024 and i < len(units) - 1:
        size /= 1024
        i += 1
    return f"{size:.2f} {units[i]}"


def _resolve_verbose(verbose):
    return 1 if verbose == _AUTO else int(verbose)


# ------------------------------------------------------------------ compiled loss / metrics
class LossesContainer:
    """The compiled loss: the loss (one for all outputs, or one per output) weighted and summed,
    plus regularization losses. Calling it also updates the model's 'loss' tracker (the Keras 2
    `compiled_loss` API for custom train steps)."""

    def __init__(self, loss, loss_weights=None, tracker=None, output_names=None):
        self._spec = loss
        self._weights = loss_weights
        self._tracker = tracker
        self._output_names = output_names   # names of the model's outputs (dict specs)
        if isinstance(loss, dict):   # Keras 3: one loss per output name (None: no loss)
            self._losses = {k: None if v is None else _losses.get(v) for k, v in loss.items()}
        else:
            self._losses = ([_losses.get(l) for l in loss] if isinstance(loss, (list, tuple))
                            else _losses.get(loss))
        # Keras 3: with several outputs, each one's unweighted loss is a metric `<name>_loss`
        with_loss = [n for i, n in enumerate(output_names or ()) if (
            self._losses.get(n) if isinstance(self._losses, dict) else
            self._losses[i] if isinstance(self._losses, list) and i < len(self._losses) else
            self._losses) is not None]
        self.output_trackers = {n: _metrics.Mean(name=f"{n}_loss") for n in with_loss} \
            if len(with_loss) > 1 else {}

    @property
    def loss_objects(self):
        if isinstance(self._losses, dict):
            return [l for l in self._losses.values() if l is not None]
        return self._losses if isinstance(self._losses, list) else [self._losses]

    def total(self, y_true, y_pred, sample_weight=None, regularization_losses=None):
        if self._losses is None:
            if regularization_losses:   # Keras 3: compile() without a loss trains on add_loss
                regs = list(regularization_losses)
                total = regs[0]
                for r in regs[1:]:
                    total = total + r
                return total
            raise ValueError("the model was compiled without a loss and adds none with add_loss;"
                             " pass `loss=` to compile or override train_step")
        names = None
        if isinstance(self._losses, dict) or isinstance(self._weights, dict) or \
                isinstance(y_true, dict):
            names = output_names_of(y_pred, self._output_names)
        yp = [y_pred[n] for n in names] if isinstance(y_pred, dict) and names else \
            flatten(y_pred)[0]
        yt = [y_true.get(n) for n in names] if isinstance(y_true, dict) else flatten(y_true)[0]
        if len(yt) != len(yp) and isinstance(self._losses, list) and \
                len(self._losses) == len(yp):
            # Keras 3: a loss list with None entries takes targets only for the other outputs
            # (the miniature GPT example: outputs [logits, x], loss [loss_fn, None], y alone)
            live = [i for i, f in enumerate(self._losses) if f is not None]
            if len(live) == len(yt):
                full = [None] * len(yp)
                for i, t in zip(live, yt):
                    full[i] = t
                yt = full
        if len(yt) != len(yp):
            raise ValueError(f"the model has {len(yp)} outputs but {len(yt)} targets were given")
        if isinstance(self._losses, dict):
            unknown = sorted(set(self._losses) - set(names))
            if unknown:
                raise ValueError(f"compile(loss=...) names outputs {unknown} the model does not "
                                 f"have; its outputs are {names}")
            fns = [self._losses.get(n) for n in names]
        else:
            fns = self._losses if isinstance(self._losses, list) else [self._losses] * len(yp)
        if len(fns) != len(yp):
            raise ValueError(f"{len(fns)} losses were compiled for a model with {len(yp)} outputs")
        weights = ([self._weights.get(n, 1.0) for n in names] if isinstance(self._weights, dict)
                   else self._weights if self._weights is not None else [1.0] * len(yp))
        total = None
        trackers = [self.output_trackers.get(n) for n in (names or self._output_names or ())]
        for i, (fn, t, p, w) in enumerate(zip(fns, yt, yp, weights)):
            if fn is None:
                continue
            v = fn(t, p, sample_weight)
            if i < len(trackers) and trackers[i] is not None:
                trackers[i].update_state(v, sample_weight=_batch_weight(p))
            v = v if w == 1.0 else v * float(w)
            total = v if total is None else total + v
        for r in regularization_losses or ():
            total = total + r
        return total

    def __call__(self, y_true, y_pred, sample_weight=None, regularization_losses=None):
        total = self.total(y_true, y_pred, sample_weight, regularization_losses)
        if self._tracker is not None:
            self._tracker.update_state(total, sample_weight=_batch_weight(y_pred))
        return total


def output_names_of(y_pred, output_names):
    """Names of a model's outputs, in the order of its flattened predictions: the keys of dict
    predictions, else the model's `output_names` (the output layers' names, as in Keras 3)."""
    if isinstance(y_pred, dict):
        return list(y_pred)
    if output_names is None:
        raise ValueError("losses/metrics given per output name need a model with named outputs "
                         "(a functional or Sequential model, or one returning a dict)")
    return list(output_names)


def _batch_rows(data):
    """The number of rows of a step's data (of its first array)."""
    leaves = [a for a in flatten(data)[0] if a is not None]
    if not leaves:
        return None
    a = leaves[0]
    return _cvals.num_rows(a) if _cvals.kind_of(a) else (tuple(np.shape(a)) or (None,))[0]


def _batch_size(x):
    """The leading dim of the first tensor in `x` (an unknown `Dim` in a traced step)."""
    for v in flatten(x)[0]:
        if hasattr(v, "shape") and len(v.shape):
            return v.shape[0]
    return 1


def _batch_weight(x):
    """The batch size as a weight: a float, or - an unknown dim while tracing - a float32
    value bound when the step runs."""
    n = _batch_size(x)
    return _s.dims_value(n, _dt.float32) if isinstance(n, Dim) else float(n)


class MetricsContainer:
    """The compiled metrics, resolved against the first batch ('accuracy' picks the right
    variant for the loss and shapes, as Keras does). Keras 3's CompileMetrics: one entry of
    `model.metrics`, named 'compile_metrics', whose `result()` is a dict of its metrics'."""

    name = "compile_metrics"

    def __init__(self, metrics=None, weighted_metrics=None, loss=None, output_names=None):
        # Keras 3 lists the container in model.metrics when compile was given metrics at all
        self.listed = metrics is not None or weighted_metrics is not None
        self._per_output = metrics if isinstance(metrics, dict) else None
        self._output_names = output_names
        self._routes = []   # (output index, metric) of per-output metrics
        if self._per_output is not None:
            metrics = []
        self._specs = list(metrics or [])
        self._weighted_specs = list(weighted_metrics or [])
        self._loss = loss
        self._metrics = None
        self._weighted = None

    @property
    def built(self):
        return self._metrics is not None

    def build(self, y_true, y_pred):
        if self._per_output is not None:   # Keras 3: {output name: metrics}, named out_metric
            names = output_names_of(y_pred, self._output_names)
            unknown = sorted(set(self._per_output) - set(names))
            if unknown:
                raise ValueError(f"compile(metrics=...) names outputs {unknown} the model does "
                                 f"not have; its outputs are {names}")
            yp = [y_pred[n] for n in names] if isinstance(y_pred, dict) else flatten(y_pred)[0]
            yt = [y_true.get(n) for n in names] if isinstance(y_true, dict) else \
                flatten(y_true)[0]
            self._routes = []
            for i, n in enumerate(names):
                specs = self._per_output.get(n) or []
                specs = specs if isinstance(specs, (list, tuple)) else [specs]
                loss = self._loss.get(n) if isinstance(self._loss, dict) else \
                    self._loss[i] if isinstance(self._loss, (list, tuple)) else self._loss
                for spec in specs:
                    m = _metrics.get(spec, loss, tuple(yt[i].shape), tuple(yp[i].shape))
                    if len(names) > 1:
                        m.name = f"{n}_{m.name}"
                    self._routes.append((i, m))
            self._metrics = [m for _, m in self._routes]
            self._weighted = []
            return
        yt, yp = flatten(y_true)[0], flatten(y_pred)[0]
        if len(yp) > 1 and self._specs:
            if len(self._specs) == len(yp) and all(
                    s_ is None or isinstance(s_, (list, tuple)) for s_ in self._specs):
                # Keras 3: one list of metrics per output, in the outputs' order
                names = output_names_of(y_pred, self._output_names)
                self._per_output, self._specs = dict(zip(names, self._specs)), []
                return self.build(y_true, y_pred)
            raise ValueError("Invalid `metrics`. `metrics` should contain metrics objects and "
                             "either be a dict or a list matching the output names of the "
                             f"functional model {self._output_names} or match the output "
                             f"structure of the model: {['X'] * len(yp)}.\nReceived: "
                             f"metrics={self._specs}")
        if len(yp) > 1 and self._weighted_specs:
            raise NotImplementedError("weighted_metrics for models with several outputs are not "
                                      "supported; compute them in a custom train_step")
        ts = tuple(yt[0].shape) if yt and yt[0] is not None else None
        # no predictions to probe (a GAN without call() fitted on (images, labels) batches)
        ps = tuple(yp[0].shape) if yp and yp[0] is not None else None
        loss = self._loss[0] if isinstance(self._loss, (list, tuple)) else self._loss
        self._metrics = [_metrics.get(m, loss, ts, ps) for m in self._specs]
        self._weighted = [_metrics.get(m, loss, ts, ps) for m in self._weighted_specs]
        for m in self._weighted:
            if m.name in {x.name for x in self._metrics}:
                m.name = "weighted_" + m.name

    @property
    def metrics(self):
        return list(self._metrics or []) + list(self._weighted or [])

    def update_state(self, y_true, y_pred, sample_weight=None):
        if not self.built:
            self.build(y_true, y_pred)
        if self._per_output is not None:
            names = output_names_of(y_pred, self._output_names)
            yp = [y_pred[n] for n in names] if isinstance(y_pred, dict) else flatten(y_pred)[0]
            yt = [y_true.get(n) for n in names] if isinstance(y_true, dict) else \
                flatten(y_true)[0]
            for i, m in self._routes:
                m.update_state(yt[i], yp[i], sample_weight)
            return
        yt, yp = flatten(y_true)[0], flatten(y_pred)[0]
        if not yp:
            return
        for m in self._metrics:
            m.update_state(yt[0], yp[0])
        for m in self._weighted:
            m.update_state(yt[0], yp[0], sample_weight)

    def reset_state(self):
        for m in self.metrics:
            m.reset_state()

    def result(self):
        return {m.name: m.result() for m in self.metrics}

    @property
    def variables(self):
        return [v for m in self.metrics for v in m.variables]


def flat_metrics(metrics):
    """`metrics` with each metrics container replaced by the metrics it holds.

    >>> [m.name for m in flat_metrics([MetricsContainer()])]
    []
    """
    return [x for m in metrics
            for x in (m.metrics if isinstance(m, MetricsContainer) else (m,))]


# ------------------------------------------------------------------ Model


def adjust_input_rank(x, ref_shape):
    """Keras 3's input rank rule for models with known input shapes: data one rank short of an
    input whose last dim is 1 gets that axis (a 1-D feature column for `Input((1,))`, as in the
    TF regression tutorial), data with an extra trailing 1 loses it; other ranks pass as given.

    >>> import numpy as np
    >>> adjust_input_rank(np.zeros(5), (None, 1)).shape
    TensorShape([5, 1])
    """
    if ref_shape is None or not hasattr(x, "shape"):
        return x
    rank, ref = len(x.shape), tuple(ref_shape)
    if rank == len(ref) - 1 and ref and ref[-1] == 1:
        return _s.expand_dims(x, -1)
    if rank == len(ref) + 1 and x.shape[-1] == 1:
        return _s.squeeze(x, [-1])
    return x

def convert_to_input_dtype(x, ref_dtype):
    """Keras 3's Functional._convert_inputs_to_tensors: numeric data reaches the model in its
    Input's dtype (int64 numpy features or one-hot booleans into a float32 `Input`, float64
    into an int32 one); strings and composite values pass as given.

    >>> import numpy as np
    >>> convert_to_input_dtype(np.array([1, 2]), _dt.float32).dtype
    dtype('float32')
    """
    if ref_dtype is None or not (ref_dtype.is_floating or ref_dtype.is_integer):
        return x
    if isinstance(x, (Tensor, Variable)):
        dt = x.dtype
        if dt != ref_dtype and (dt.is_floating or dt.is_integer or dt.is_bool):
            return _math.cast(x, ref_dtype)
        return x
    if isinstance(x, np.ndarray) and x.dtype.kind in "biuf" and x.dtype != ref_dtype.as_numpy_dtype:
        return x.astype(ref_dtype.as_numpy_dtype)
    return x


def _arg_masks(node, masks, given):
    """Keras 3's rule for a call parameter `<name>_mask` on a functional node: the mask
    tracked for the call's tensor argument `<name>`, unless passed (layers.arg_masks)."""
    return arg_masks(node.layer, node.inputs, tuple(node.kwargs.get("_args", ())),
                     {**{k: v for k, v in node.kwargs.items() if k != "_args"}, **given},
                     lambda t: masks.get(id(t)))


def _class_label(layer):
    """The class shown in `summary()`: a functional `Model(inputs, outputs)` is Keras 3's
    `Functional`, everything else its own class name."""
    if type(layer) is Model and getattr(layer, "_functional", False):
        return "Functional"
    if getattr(layer, "_op_node", False):   # an operator node: its op's class ('Add', 'GetItem')
        return "".join(w[:1].upper() + w[1:] for w in layer.op_name.split("_"))
    return type(layer).__name__


def _layers_by_depth(in_leaves, out_leaves):
    """A functional model's layers (and operator nodes) in Keras 3's order: by depth from
    the inputs (a node's depth is one more than the deepest node it feeds, counted from the
    outputs), ties in the order a depth-first walk from the outputs first meets them."""
    in_ids = {id(t) for t in in_leaves}
    order, index, parents, done = [], {}, {}, set()

    def producer(t):   # (node key, layer) of a KerasTensor; None for a mid-graph input
        if t._node is None or id(t) in in_ids:
            return (("in", id(t)), t._input_layer) if t._input_layer is not None else None
        return id(t._node), t._node.layer

    def visit(t):
        p = producer(t)
        if p is None or p[0] in done:
            return
        key, layer = p
        index.setdefault(id(layer), (len(index), layer))
        ins = [] if isinstance(key, tuple) else [
            v for v in flatten((t._node.inputs, t._node.kwargs))[0] if isinstance(v, KerasTensor)]
        for v in ins:
            visit(v)
        parents[key] = [q[0] for q in map(producer, ins) if q is not None]
        done.add(key)
        order.append((key, layer))
    for t in out_leaves:
        visit(t)
    depth, layer_depth = {}, {}
    for key, layer in reversed(order):
        d = max(depth.setdefault(key, 0), layer_depth.get(id(layer), 0))
        layer_depth[id(layer)] = depth[key] = d
        for q in parents[key]:
            depth[q] = max(depth.get(q, 0), d + 1)
    for t in in_leaves:   # an input the outputs do not use: depth 0, first among equals
        if t._input_layer is not None and id(t._input_layer) not in layer_depth:
            layer_depth[id(t._input_layer)] = 0
            index[id(t._input_layer)] = (-1, t._input_layer)
    return [layer for _, _, layer in sorted(
        ((-layer_depth[k], i, layer) for k, (i, layer) in index.items()),
        key=lambda r: r[:2])]


def _is_shape(s):
    return isinstance(s, TensorShape) or (isinstance(s, (tuple, list)) and all(
        d is None or isinstance(d, (int, np.integer, Dim)) for d in s))


def _flat_shapes(s):
    """The shapes in a structure of output shapes, as one list."""
    if _is_shape(s):
        return [s]
    return [x for v in ([s[k] for k in sorted(s)] if isinstance(s, dict) else s)
            for x in _flat_shapes(v)]   # (dicts by sorted key, as keras.tree.flatten)


def _summary_shape_text(s):
    """A layer's output shape(s) as Keras 3's summary writes them: one shape as
    `(None, 28, 28, 1)`, several as the str() of their structure without quotes
    (`[(None, 10), (None, 3)]`)."""
    def one(shape):
        return "(" + ", ".join(str(d) for d in shape) + ")"

    def walk(v):
        if _is_shape(v):
            leaves.append(one(v))
            return leaves[-1]
        if isinstance(v, dict):
            return "{" + ", ".join(f"{k}: {walk(x)}" for k, x in v.items()) + "}"
        parts = [walk(x) for x in v]
        if isinstance(v, list):
            return "[" + ", ".join(parts) + "]"
        return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"
    leaves = []
    text = walk(s)
    return leaves[0] if len(leaves) == 1 else text


def _layer_index_range(layers, layer_range):
    """`summary(layer_range=(first, last))`: the [start, stop) indices of the layers whose
    names match the two regexes (Keras 3's rule, both ends inclusive)."""
    import re
    if len(layer_range) != 2 or not all(isinstance(n, str) for n in layer_range):
        raise ValueError(f"Model.summary: layer_range must be 2 strings (layer-name regexes); "
                         f"got {layer_range!r}")
    lo = [i for i, l in enumerate(layers) if re.match(layer_range[0], l.name)]
    hi = [i for i, l in enumerate(layers) if re.match(layer_range[1], l.name)]
    if not lo or not hi:
        raise ValueError(f"Model.summary: layer_range {layer_range!r} matches no layer names "
                         f"({[l.name for l in layers]})")
    if min(lo) > max(hi):
        return min(hi), max(lo) + 1
    return min(lo), max(hi) + 1


def _summary_connections(model):
    """{id(layer): ['<layer>[<node>][<tensor>]' per input]} for `summary()`'s 'Connected to'
    column, or None for a model Keras 3 prints without it: Sequential, subclassed, and
    functional models that are a chain (one input, no branches, no shared layers)."""
    if not model.__dict__.get("_functional"):
        return None
    consumed, seen_layers, chain = set(), set(), len(flatten(model._fn_inputs)[0]) == 1
    hist = {}
    for t in flatten(model._fn_inputs)[0]:
        hist[id(t)] = f"{t._input_layer.name}[0][0]"
    out = {}
    for node in model._fn_nodes:
        ins = [v for v in flatten((node.inputs, node.kwargs))[0] if isinstance(v, KerasTensor)]
        chain = chain and len(ins) <= 1 and id(node.layer) not in seen_layers and \
            not any(id(v) in consumed for v in ins)
        consumed.update(id(v) for v in ins)
        seen_layers.add(id(node.layer))
        k = node.index   # (the layer's calls in other models count too, as Keras 3)
        out.setdefault(id(node.layer), []).extend(hist.get(id(v), "?") for v in ins)
        for j, t in enumerate(flatten(node.outputs)[0]):
            hist[id(t)] = f"{node.layer.name}[{k}][{j}]"
    return None if chain else out


class Model(Layer):
    """A layer with training: subclass it and define `call`, or build a functional model with
    `Model(inputs, outputs)` from `keras.Input`."""

    def __init__(self, *args, **kwargs):
        inputs, outputs = kwargs.pop("inputs", None), kwargs.pop("outputs", None)
        if args:
            if len(args) > 2:
                raise TypeError("Model(inputs, outputs, name=...) takes at most 2 positional args")
            inputs = args[0]
            if len(args) == 2:
                outputs = args[1]
        if (inputs is None) != (outputs is None):
            raise ValueError("a functional Model needs both `inputs` and `outputs`")
        base_kwargs = {k: kwargs.pop(k) for k in ("name", "trainable", "dtype") if k in kwargs}
        if outputs is not None and "name" not in base_kwargs:
            from .layers import unique_name
            base_kwargs["name"] = unique_name("functional")   # Keras 3's Functional class name
        super().__init__(**base_kwargs)
        if kwargs:
            raise TypeError(f"Model: unexpected keyword arguments {sorted(kwargs)}")
        self.optimizer = None
        self.compiled_loss = None
        self.compiled_metrics = None
        self.loss = None
        self.stop_training = False
        self.history = None
        self._is_compiled = False
        self._run_eagerly = False
        self.jit_compile = None
        self._fns = {}
        self._loss_tracker = None
        self._functional = False
        self._distribute_strategy = _ds.current_strategy()   # fit & co. run in its scope
        if outputs is not None:
            self._init_functional(inputs, outputs)

    # ---- functional API ---------------------------------------------------------
    def _init_functional(self, inputs, outputs):
        in_leaves = flatten(inputs)[0]
        for t in in_leaves:
            if not isinstance(t, KerasTensor):
                raise TypeError("Model(inputs, outputs): inputs must be keras.Input(...) tensors "
                                "(or intermediate tensors of a functional graph), got "
                                f"{type(t).__name__}")
        in_ids = {id(t) for t in in_leaves}
        out_leaves = flatten(outputs)[0]
        for t in out_leaves:
            if not isinstance(t, KerasTensor):
                raise TypeError("Model(inputs, outputs): outputs must be the results of layers "
                                f"called on keras.Input tensors, got {type(t).__name__}")
        nodes, seen, needed_inputs = [], set(), []

        def visit(kt):
            node = kt._node
            if node is None or id(kt) in in_ids:   # Keras 3: a model may start mid-graph
                needed_inputs.append(kt)
                return
            if id(node) in seen:
                return
            seen.add(id(node))
            for v in flatten((node.inputs, node.kwargs))[0]:   # kwargs hold _args too
                if isinstance(v, KerasTensor):
                    visit(v)
            nodes.append(node)
        for t in out_leaves:
            visit(t)
        for t in needed_inputs:
            if id(t) not in in_ids:
                raise ValueError(f"Graph disconnected: the outputs depend on input {t.name}, which "
                                 "is not among the model's inputs")
        self._functional = True
        self._fn_inputs, self._fn_outputs, self._fn_nodes = inputs, outputs, nodes
        self._fn_layers = _layers_by_depth(in_leaves, out_leaves)
        self.inputs, self.outputs = in_leaves, out_leaves
        self.built = True
        self._input_shape_value = _tmap(lambda t: t.shape, inputs)
        self._output_shape_value = _tmap(lambda t: t.shape, outputs)

    @property
    def input(self):
        """A functional model's inputs as given to its constructor (one KerasTensor, a list or
        a dict, as Keras 3); for other models, the inputs of its first functional call."""
        if "_fn_inputs" in self.__dict__:
            return self._fn_inputs
        return Layer.input.fget(self)

    @input.setter
    def input(self, value):
        Layer.input.fset(self, value)

    @property
    def _default_save_signature(self):
        """tf.saved_model.save's default `serving_default` (Keras 3's on TF): a tf.function
        calling the model on TensorSpecs of its inputs, for a functional model or a Sequential
        with a known input shape; None for other models."""
        if not (self.__dict__.get("_functional") or isinstance(self, Sequential)):
            return None
        try:
            inputs = self.input
        except (AttributeError, ValueError):   # (a Sequential without an input shape)
            return None
        spec = (_tmap(lambda t: TensorSpec(t.shape, t.dtype), inputs),)

        @_tf_function(input_signature=spec)
        def serving_default(inputs):
            return self(inputs)
        return serving_default

    @property
    def output(self):
        """A functional model's outputs as given to its constructor (see `input`)."""
        if "_fn_outputs" in self.__dict__:
            return self._fn_outputs
        return Layer.output.fget(self)

    @output.setter
    def output(self, value):
        Layer.output.fset(self, value)

    def _call_functional(self, inputs, training=None):
        in_leaves = flatten(self._fn_inputs)[0]
        if isinstance(inputs, dict) and not isinstance(self._fn_inputs, dict):
            by_name = {t._input_layer.name: t for t in in_leaves}
            vals = [inputs[t._input_layer.name] for t in in_leaves] if set(inputs) == set(by_name) \
                else None
            if vals is None:
                raise ValueError(f"input dict keys {sorted(inputs)} do not match the model's "
                                 f"input names {sorted(by_name)}")
        elif isinstance(inputs, dict) and isinstance(self._fn_inputs, dict) and \
                set(inputs) == set(self._fn_inputs):   # by key, whatever the data's key order
            vals = flatten([inputs[k] for k in self._fn_inputs])[0]
        else:
            vals = flatten(inputs)[0]
        if len(vals) != len(in_leaves):
            raise ValueError(f"model {self.name} expects {len(in_leaves)} inputs, got {len(vals)}")
        vals = [adjust_input_rank(convert_to_input_dtype(v, k.dtype), k.shape)
                for v, k in zip(vals, in_leaves)]
        values = {id(k): v for k, v in zip(in_leaves, vals)}
        masks = {}   # Keras masking along single-tensor edges: id(KerasTensor) -> mask
        for node in self._fn_nodes:
            x, kwargs = _tmap(lambda v: values[id(v)] if isinstance(v, KerasTensor) else v,
                              (node.inputs, dict(node.kwargs)))
            args = kwargs.pop("_args", ())
            mask = masks.get(id(node.inputs)) if isinstance(node.inputs, KerasTensor) else None
            if mask is not None and "mask" not in kwargs:
                kwargs["mask"] = mask
            kwargs.update(_arg_masks(node, masks, kwargs))
            out = node.layer(x, *args, **kwargs)
            for k, v in zip(flatten(node.outputs)[0], flatten(out)[0]):
                values[id(k)] = v
                if getattr(k, "_keras_mask", None) is not None:   # the mask it carries
                    values[id(k._keras_mask)] = getattr(v, "_keras_mask", None)
            if isinstance(node.outputs, KerasTensor) and isinstance(node.inputs, KerasTensor):
                out_mask = node.layer.compute_mask(x, mask)
                if out_mask is not None:
                    masks[id(node.outputs)] = out_mask
        return _tmap(lambda k: values[id(k)], self._fn_outputs)

    def call(self, inputs, training=None, mask=None):
        if self._functional:
            return self._call_functional(inputs, training)
        raise NotImplementedError(f"{type(self).__name__}.call: subclasses of Model must define "
                                  "call(self, inputs, training=None)")

    # ---- structure --------------------------------------------------------------
    def _symbolic_shapes(self, which):
        try:
            ts = getattr(self, which)
        except (AttributeError, ValueError):
            return None
        if not ts:
            return None
        shapes = [tuple(t.shape) for t in flatten(ts)[0]]
        return shapes[0] if len(shapes) == 1 else shapes

    @property
    def input_shape(self):
        """Keras 3: the shape of a functional (or Sequential) model's input, unknown dims None
        (a list for several inputs); of a subclassed model, its last call's, as a layer's."""
        shapes = self._symbolic_shapes("inputs")
        return shapes if shapes is not None else Layer.input_shape.fget(self)

    @property
    def output_shape(self):
        """Keras 3: the shape of a functional (or Sequential) model's output (see input_shape)."""
        shapes = self._symbolic_shapes("outputs")
        return shapes if shapes is not None else Layer.output_shape.fget(self)

    @property
    def layers(self):
        """The model's layers; of a functional model, without the nodes of operators and
        `keras.ops` calls on KerasTensors (Keras 3: those are `operations`, not layers)."""
        if self._functional:
            return [l for l in self._fn_layers if not getattr(l, "_op_node", False)]
        return self._sublayers()

    @property
    def operations(self):
        """A functional model's nodes in order: its layers and its operator / `keras.ops`
        nodes (`x + y` is an `Add` node), as Keras 3's `Functional.operations`.

        >>> from graphflow import keras
        >>> x = keras.Input((2,), name="x")
        >>> m = keras.Model(x, keras.layers.Dense(1, name="d")(x * 2.0))
        >>> [type(op).__name__ for op in m.operations], [l.name for l in m.layers]
        (['InputLayer', 'OpLayer', 'Dense'], ['x', 'd'])
        """
        return list(self._fn_layers) if self._functional else self.layers

    def get_layer(self, name=None, index=None):
        layers = self.layers
        if index is not None:
            return layers[index]
        for l in layers:
            if l.name == name:
                return l
        raise ValueError(f"No such layer: {name}. Existing layers are: {[l.name for l in layers]}")

    def _maybe_build(self, inputs):
        if not self.built:
            if type(self).build is not Model.build and type(self).build is not Sequential.build:
                self.build(_tmap(lambda t: TensorShape(t.shape), inputs))
            self.built = True

    def build(self, input_shape):
        """Build by calling the model once on a batch of zeros of `input_shape` (None -> 1)."""
        if self._functional:
            return
        def zeros(shape):
            return np.zeros(tuple(1 if d is None else d for d in shape), np.float32)
        if isinstance(input_shape, (list, tuple)) and input_shape and \
                isinstance(input_shape[0], (list, tuple)):
            x = [zeros(s) for s in input_shape]
        else:
            x = zeros(input_shape)
        saved = _state.current().graph
        if saved is not None:
            raise ValueError("Model.build(input_shape) must be called outside graphflow.function")
        first = input_shape
        while isinstance(first, (list, tuple)) and first and \
                isinstance(first[0], (list, tuple, TensorShape)):
            first = first[0]   # (several inputs: the first one's)
        token = BUILD_BATCH.set(tuple(first)[:1])   # (the layers' shapes show its batch dim)
        try:
            self(x, training=False)
        finally:
            BUILD_BATCH.reset(token)
        self.built = True

    def get_config(self):
        """Keras 3's config: the layer graph of a functional or Sequential model (what
        `from_config` rebuilds); a subclassed model's own (or the base layer) config.

        >>> import graphflow as tf
        >>> m = tf.keras.Sequential([tf.keras.Input((2,)), tf.keras.layers.Dense(1, name="d")])
        >>> [l["class_name"] for l in m.get_config()["layers"]]
        ['InputLayer', 'Dense']
        """
        if self.__dict__.get("_functional") or isinstance(self, Sequential):
            from . import saving
            return saving.serialize_keras_object(self)["config"]
        return super().get_config()

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Rebuild a model from `get_config()`: the layer graph of a functional/Sequential
        config (custom layer classes from `custom_objects` or the
        `register_keras_serializable` registry), else `cls(**config)`."""
        from . import saving
        return saving.model_from_config(cls, config, custom_objects)

    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False,
                show_trainable=False, layer_range=None):
        """Print the layer table as Keras 3 prints it (rich's box table, as a log or pipe shows
        it): name (type), output shape, parameter count (and 'Connected to' for a functional
        model that is not a chain), then the totals; an unbuilt layer shows `?` and
        `0 (unbuilt)`. `print_fn`, if given, gets the whole text in one call (as Keras 3).

        >>> import graphflow as tf
        >>> m = tf.keras.Sequential([tf.keras.Input((3,)), tf.keras.layers.Dense(2, name="d")],
        ...                         name="s")
        >>> m.summary()
        Model: "s"
        ┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
        ┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
        ┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
        │ d (Dense)                       │ (None, 2)              │             8 │
        └─────────────────────────────────┴────────────────────────┴───────────────┘
         Total params: 8 (32.00 B)
         Trainable params: 8 (32.00 B)
         Non-trainable params: 0 (0.00 B)
        """
        from .summary_table import box_table, terminal_columns
        links = _summary_connections(self)
        header = ["Layer (type)", "Output Shape", "Param #"] + ["Connected to"] * bool(links)
        alignment = ["left", "left", "right"] + ["left"] * bool(links)
        default_length = 108 if links else 88
        positions = positions or ([0.3, 0.56, 0.74, 1.0] if links else [0.45, 0.80, 1.0])
        if show_trainable:   # Keras 3: a 'Trainable' column, Y / N, '-' without weights
            default_length += 12
            positions = [p * 0.90 for p in positions] + [1.0]
            header.append("Trainable")
            alignment.append("center")
        line_length = line_length or min(default_length, terminal_columns() - 4)

        def shape_text(layer):
            s = layer._output_shape_value
            if not self._functional and not isinstance(self, Sequential):
                # a subclassed model, as Keras 3: a layer's output shape for the input shape
                # it was built for, batch dim included ('?' if it has no build() of its own:
                # its sublayers are in no graph of symbolic calls)
                if type(layer).build is Layer.build or getattr(layer, "_summary_shape_unknown",
                                                                False):
                    return "?"
                s = getattr(layer, "_built_output_shape", None) or s
            else:
                if isinstance(self, Sequential) and self.__dict__.get("_sym_graph"):
                    # its Functional's node shapes, as Keras 3's (built from data: its batch)
                    s = self.__dict__["_sym_graph"][3].get(id(layer), s)
                if s is not None and not _is_shape(s):
                    s = _flat_shapes(s)   # Keras 3 reads a graph layer's node outputs: a flat list
            return "?" if s is None else _summary_shape_text(s)

        def fields(layer, level):
            prefix = "   " * level + "└ " if level else ""
            n = f"{layer.count_params():,}" if layer.built else "0 (unbuilt)"
            row = [f"{prefix}{layer.name} ({_class_label(layer)})", shape_text(layer), n]
            if links:
                row.append(", ".join(links.get(id(layer)) or []) or "-")
            if show_trainable:
                row.append(("Y" if layer.trainable else "N") if layer.weights else "-")
            rows = [row]
            if expand_nested and getattr(layer, "layers", None):
                for inner in layer.layers:
                    rows.extend(fields(inner, level + 1))
            return rows

        layers = list(self.operations)
        if layer_range is not None:
            layers = layers[slice(*_layer_index_range(layers, layer_range))]
        rows = [r for layer in layers for r in fields(layer, 0)]

        def size(ws):
            return (sum(int(np.prod(tuple(w.shape), dtype=np.int64)) for w in ws),
                    sum(int(np.prod(tuple(w.shape), dtype=np.int64)) * w.dtype.np.itemsize
                        for w in ws))
        tr, trb = size(self.trainable_weights)
        nt, ntb = size(self.non_trainable_weights)
        opt = getattr(self, "optimizer", None)   # a built optimizer's slots count, as Keras 3
        built_opt = self._is_compiled and getattr(opt, "built", False)
        ot, otb = size(opt.variables) if built_opt else (0, 0)
        text = f'Model: "{self.name}"\n' + box_table(header, rows, positions, alignment,
                                                      line_length)
        text += f" Total params: {tr + nt + ot:,} ({_readable_size(trb + ntb + otb)})\n"
        text += f" Trainable params: {tr:,} ({_readable_size(trb)})\n"
        text += f" Non-trainable params: {nt:,} ({_readable_size(ntb)})\n"
        if built_opt:
            text += f" Optimizer params: {ot:,} ({_readable_size(otb)})\n"
        if print_fn is None:
            print(text, end="")
        else:
            print_fn(text)

    # ---- compile ----------------------------------------------------------------
    def get_compile_config(self):
        """The compile() arguments `save()` stores (None if not compiled); override it with
        `compile_from_config` to save a custom compile's arguments (Keras 3)."""
        if not self._is_compiled:
            return None
        from .saving import default_compile_config   # (saving builds on models)
        return default_compile_config(self)

    def compile_from_config(self, config):
        """Compile a loaded model from its saved compile config. As Keras 3, a model with its
        own `compile()` is left uncompiled (with a warning) unless it overrides this too."""
        if type(self).compile is not Model.compile:
            warnings.warn(f"{type(self).__name__}: compile() was not called as part of model "
                          "loading because the model's compile() method is custom; override "
                          "compile_from_config(config) to restore it", stacklevel=2)
            return
        from .saving import compile_from_default_config
        compile_from_default_config(self, config)

    def compile(self, optimizer="rmsprop", loss=None, metrics=None, loss_weights=None,
                weighted_metrics=None, run_eagerly=False, steps_per_execution=1,
                jit_compile=None, auto_scale_loss=True, **kwargs):
        """Configure training. `jit_compile=False` runs the traced steps on graphflow's numpy
        executor; None/True on the numba backend; `run_eagerly=True` does not trace at all.
        A 'mixed_float16' model's optimizer is wrapped in a LossScaleOptimizer (Keras 3's
        `auto_scale_loss`)."""
        if kwargs:
            raise TypeError(f"compile: unexpected keyword arguments {sorted(kwargs)}")
        self.optimizer = _opt.get(optimizer)
        if auto_scale_loss and self.dtype_policy.name == "mixed_float16" and \
                self.optimizer is not None and \
                not isinstance(self.optimizer, _opt.LossScaleOptimizer):
            self.optimizer = _opt.LossScaleOptimizer(self.optimizer, name="loss_scale_optimizer")
        self.loss = loss
        self._loss_tracker = _metrics.Mean(name="loss")
        names = self.output_names
        self.compiled_loss = LossesContainer(loss, loss_weights, self._loss_tracker, names)
        self.compiled_metrics = MetricsContainer(metrics, weighted_metrics, loss, names)
        self._run_eagerly = bool(run_eagerly)
        self.jit_compile = None if jit_compile == _AUTO else jit_compile
        if int(steps_per_execution) < 1:
            raise ValueError(f"compile: steps_per_execution must be a positive integer, got "
                             f"{steps_per_execution!r}")
        self.steps_per_execution = int(steps_per_execution)
        self._fns = {}
        self._is_compiled = True

    @property
    def output_names(self):
        """Names of the outputs (the layers producing them, as in Keras 3); None for a
        subclassed model."""
        outs = self.__dict__.get("outputs")
        if outs is None:
            return None
        return [t._node.layer.name if t._node is not None else t._input_layer.name
                for t in outs]

    @property
    def run_eagerly(self):
        return self._run_eagerly

    @run_eagerly.setter
    def run_eagerly(self, value):
        self._run_eagerly = bool(value)
        self._fns = {}

    def _assert_compiled(self):
        if not self._is_compiled:
            raise RuntimeError("You must compile your model before training/testing. Use "
                               "`model.compile(optimizer, loss)`.")

    @property
    def metrics(self):
        """The loss tracker, the compiled metrics' container ('compile_metrics', as Keras 3),
        and Metric attributes of the model and of its layers (Keras 3: a layer's own metric,
        updated in its `call`, is logged by fit)."""
        out = []
        if self._loss_tracker is not None:
            out.append(self._loss_tracker)
        if self.compiled_metrics is not None and self.compiled_metrics.listed:
            out.append(self.compiled_metrics)
        if self.compiled_loss is not None:
            out.extend(self.compiled_loss.output_trackers.values())
        ids = {id(m) for m in flat_metrics(out)}
        for layer in self._flatten_layers():
            if isinstance(layer, _metrics.Metric) or (layer is not self and
                                                      isinstance(layer, Model)):
                continue   # (an inner model's own trackers are its fit's, as Keras 3)
            for v in layer._tracked_values():
                if isinstance(v, _metrics.Metric) and id(v) not in ids:
                    ids.add(id(v))
                    out.append(v)
        return out

    @property
    def metrics_names(self):
        return [m.name for m in self.metrics]

    def reset_metrics(self):
        for m in self.metrics:
            m.reset_state()

    def _reset_metrics(self, metrics=None):
        """reset_metrics() (an override too); the metrics, read once for the caller (or the
        list `metrics` the caller read before)."""
        metrics = self.metrics if metrics is None else metrics
        if type(self).reset_metrics is Model.reset_metrics:
            for m in metrics:
                m.reset_state()
        else:
            self.reset_metrics()
        return metrics

    # ---- steps ---------------------------------------------------------------------
    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The compiled loss of (y, y_pred) plus the model's regularization losses."""
        return self.compiled_loss.total(y, y_pred, sample_weight, self.losses)

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        """Update the compiled metrics; returns the current value of every metric."""
        self.compiled_metrics.update_state(y, y_pred, sample_weight)
        return self.get_metrics_result()

    def get_metrics_result(self):
        """{name: value} of every metric, a container's metrics by their own names."""
        return {m.name: m.result() for m in flat_metrics(self.metrics)}

    def _metric_order(self):
        """The leaf metrics' names in `metrics` order (evaluate's list follows it, Keras 3)."""
        return [m.name for m in flat_metrics(self.metrics)]

    def train_step(self, data):
        """One optimization step on a batch: forward, loss, gradients, update, metrics."""
        x, y, sample_weight = _unpack(data)
        with GradientTape() as tape:
            y_pred = self(x, training=True)
            with _state.name_scope("loss"):
                loss = self.compute_loss(x, y, y_pred, sample_weight)
                # Keras 3: the optimizer's loss_scale_factor (apply_gradients unscales)
                scaled = getattr(self.optimizer, "scale_loss", lambda v: v)(loss)
        with _state.name_scope("metrics"):
            self._loss_tracker.update_state(loss, sample_weight=_batch_weight(x))
        variables = self.trainable_variables
        if variables:
            grads = tape.gradient(scaled, variables)
            grads = _ds.aggregate_gradients(grads, _batch_size(x))   # over workers, if any
            self.optimizer.apply_gradients(zip(grads, variables))
        else:   # as Keras 3 (e.g. raw tf.Variable attributes, which are no Keras weights)
            warnings.warn("The model does not have any trainable weights.", stacklevel=2)
        with _state.name_scope("metrics"):
            return self.compute_metrics(x, y, y_pred, sample_weight)

    def test_step(self, data):
        x, y, sample_weight = _unpack(data)
        y_pred = self(x, training=False)
        # an override written for older Keras (e.g. the distillation example's compute_loss
        # with `allow_empty`) has no `training` argument: Keras 3 then calls it without one
        kw = {"training": False} if "training" in inspect.signature(
            self.compute_loss).parameters else {}
        loss = self.compute_loss(x, y, y_pred, sample_weight, **kw)
        self._loss_tracker.update_state(loss, sample_weight=_batch_weight(x))
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def predict_step(self, data):
        x, _, _ = _unpack(data)
        return self(x, training=False)

    def _make_function(self, kind, variables=None, steps=1):
        # one trace per step kind: the leading (batch) axis of the data is an unknown dim, so
        # the ragged last batch and other batch sizes reuse the trace (also under a
        # distribution strategy: the gradient aggregation binds the batch size at run time).
        # `variables`: the trainable variables, if the caller has just read them. steps > 1
        # (steps_per_execution): one function running the step on each of a tuple of `steps`
        # batches of one size, unrolled in one trace (a compiled call for all of them); it
        # returns the last step's logs (a predict function: every step's outputs)
        batch = True
        if variables is None:
            variables = self.trainable_variables
        key = (kind, tuple(id(v) for v in variables), _ds.current_strategy())
        slot = kind if steps == 1 else (kind, steps)
        fn = self._fns.get(slot)
        if fn is not None and fn[0] == key:
            return fn[1]
        step = {"train": self.train_step, "test": self.test_step, "predict": self.predict_step}[kind]
        if steps > 1:
            one = step
            if kind == "predict":
                def step(datas):
                    return [one(d) for d in datas]
            else:
                def step(datas):
                    out = None
                    for d in datas:
                        out = one(d)
                    return out
        if self._run_eagerly or self._composite_inputs():   # ragged / sparse inputs: a trace
            f = step                                          # per row partition: eager steps
        else:
            def run(data):
                return step(data)
            run.__name__ = f"{kind}_function"
            f = _tf_function(run, jit_compile=self.jit_compile, name=f"{kind}_function",
                             batch_dim=Dim("batch") if batch else None, reduce_retracing=True)
        self._fns[slot] = (key, f)
        return f

    def _executions(self, kind, fn, batches, variables=None):
        """(first step, last step, outputs) of each compiled call over `batches` ((step, data)
        pairs): one batch per call, or with steps_per_execution = k runs of k consecutive
        batches of one size in one call (`_make_function(steps=k)`; a batch of another size,
        e.g. the last partial one, and an incomplete run's batches go one by one through `fn`).
        """
        k = getattr(self, "steps_per_execution", 1)   # (1 before compile)
        if k == 1:
            for step, data in batches:
                yield step, step, fn(data)
            return
        multi = self._make_function(kind, variables, steps=k)
        group, rows = [], None
        for step, data in batches:
            r = _batch_rows(data)
            if group and r != rows:   # (unrolled steps share the trace's batch dim)
                for i, d in enumerate(group):
                    yield step - len(group) + i, step - len(group) + i, fn(d)
                group = []
            rows = r
            group.append(data)
            if len(group) == k:
                yield step - k + 1, step, multi(tuple(group))
                group = []
        for i, d in enumerate(group):
            yield step - len(group) + 1 + i, step - len(group) + 1 + i, fn(d)

    def _composite_inputs(self):
        """True if a keras.Input of this model is ragged or sparse."""
        try:
            inputs = self.inputs
        except (AttributeError, ValueError):
            return False
        return any(getattr(kt, "ragged", False) or getattr(kt, "sparse", False)
                   for kt in flatten(inputs or [])[0])

    def _step_function(self, kind, variables):
        """make_<kind>_function() given the trainable variables just read (an override of
        it is called as it is)."""
        make = getattr(self, f"make_{kind}_function")
        if getattr(make, "__func__", None) is getattr(Model, f"make_{kind}_function"):
            return self._make_function(kind, variables)
        return make()

    def _drop_functions(self, kind):
        for slot in [s for s in self._fns if s == kind or (isinstance(s, tuple) and s[0] == kind)]:
            del self._fns[slot]

    def make_train_function(self, force=False):
        if force:
            self._drop_functions("train")
        return self._make_function("train")

    def make_test_function(self, force=False):
        if force:
            self._drop_functions("test")
        return self._make_function("test")

    def make_predict_function(self, force=False):
        if force:
            self._drop_functions("predict")
        return self._make_function("predict")

    @property
    def train_function(self):
        """The traced train step (None before fit / train_on_batch), as in Keras 3."""
        return self._fns.get("train", (None, None))[1]

    @property
    def test_function(self):
        """The traced test step (None before evaluate / test_on_batch)."""
        return self._fns.get("test", (None, None))[1]

    @property
    def predict_function(self):
        """The traced predict step (None before predict / predict_on_batch)."""
        return self._fns.get("predict", (None, None))[1]

    # ---- preparation ------------------------------------------------------------------
    def _prepare(self, x, y, n_probe=2, batch_size=None, n=_AUTO, train=True):
        """Before tracing: build the model eagerly (on a couple of samples), resolve the
        compiled metrics against real shapes, and create the optimizer's slots. Returns the
        trainable variables (read once here: a per-batch call walks the layers once).
        `n`: the number of samples batched by `batch_size`; None for a dataset's batches,
        _AUTO when `x` is the one batch."""
        probe = None
        if type(self).call is Model.call and not self._functional:
            # no forward pass of its own (a GAN driving sub-models in its train_step): nothing
            # to probe; it counts as built once its sublayers are (Keras 3)
            self.built = all(l.built for l in self._flatten_layers(include_self=False))
        elif not self.built or (self.compiled_metrics is not None and
                                not self.compiled_metrics.built):
            # the batch dim the layers' first-call shapes show (summary()): Keras 3 builds on
            # its data's batch spec - the batch size if every batch has it, else None
            shown = _batch_rows(x) if n is _AUTO else \
                batch_size if n is not None and n % batch_size == 0 else None
            token = BUILD_BATCH.set((shown,))
            try:
                probe = self(_take(x, slice(0, n_probe)), training=False)
            except Exception:
                # a model that runs on whole batches only (one reshaping to a fixed number of
                # tokens per batch): probed on the first batch, as Keras 3 builds on one
                n_probe = batch_size
                probe = self(_take(x, slice(0, n_probe)), training=False)
            finally:
                BUILD_BATCH.reset(token)
        if self.compiled_metrics is not None and not self.compiled_metrics.built and y is not None:
            self.compiled_metrics.build(_take(y, slice(0, n_probe)), probe)
        variables = self.trainable_variables
        if self.optimizer is not None and train:   # (Keras 3: evaluate builds no slots)
            self.optimizer.build(variables)
        if _ds.current_strategy() is not None:
            _ds.sync_variables(self.variables + (self.optimizer.variables if self.optimizer
                                                 else []))
        return variables

    def _batches(self, n, batch_size, shuffle, steps=None):
        if shuffle:
            order = np.argsort(np.asarray(_r.uniform((n,), dtype=_dt.float64)), kind="stable")
            order = _ds.broadcast_object(order)   # the same order on every worker
        else:
            order = None
        total = math.ceil(n / batch_size)
        if steps is not None:
            total = min(total, int(steps))
        for i in range(total):
            lo, hi = i * batch_size, min((i + 1) * batch_size, n)
            yield i, _ds.shard_indices(order[lo:hi] if order is not None else slice(lo, hi), n)

    # ---- fit / evaluate / predict -------------------------------------------------------
    @_ds.in_model_strategy
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose=_AUTO, callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None,
            validation_steps=None, validation_batch_size=None, validation_freq=1):
        """Train for `epochs` epochs of mini-batches; returns a `History` whose `.history`
        maps 'loss', each metric, and 'val_*' (with validation data) to per-epoch values."""
        self._assert_compiled()
        epochs, steps_per_epoch = _config.capped_epochs(epochs), _config.capped_steps(steps_per_epoch)
        x, y, sw, verbose, batch_size = _data_args(x, y, sample_weight, verbose, batch_size)
        verbose = verbose if _ds.is_chief() else 0   # only rank 0 prints
        ds = x if isinstance(x, Dataset) else None
        if ds is not None:
            if validation_split:
                raise ValueError("fit: validation_split is not supported with a Dataset")
            first = next(iter(ds), None)
            if first is None:
                raise ValueError("fit: the dataset is empty")
            x, y, sw = _unpack(_dataset_element(first))
            n, shuffle = None, False
        elif y is None and getattr(self.compiled_loss, "_losses", None) is not None:
            raise ValueError("fit: targets `y` are required with the compiled loss")
        else:
            n = _num_samples(x, y, sw)
        if class_weight is not None:
            sw = self._class_weights(y, class_weight, sw)
        val = None
        if isinstance(validation_data, Dataset):
            val = (validation_data, None, None)
        elif validation_data is not None:
            vx, vy, vsw = _unpack(tuple(validation_data))
            val = (_as_arrays(vx), _as_arrays(vy), _as_arrays(vsw))
        elif validation_split and ds is None:
            if not 0.0 < validation_split < 1.0:
                raise ValueError(f"validation_split must be in (0, 1), got {validation_split}")
            split = int(math.floor(n * (1.0 - validation_split)))
            if split == 0 or split == n:
                raise ValueError(f"validation_split={validation_split} leaves no training or no "
                                 f"validation samples out of {n}")
            val = (_take(x, slice(split, None)), _take(y, slice(split, None)),
                   _take(sw, slice(split, None)))
            x, y, sw = _take(x, slice(0, split)), _take(y, slice(0, split)), _take(sw, slice(0, split))
            n = split
        variables = self._prepare(x, y, batch_size=batch_size, n=n)
        train_fn = self._step_function("train", variables)
        if ds is not None:
            steps = _dataset_steps(ds, steps_per_epoch)
            ds_state = {} if steps_per_epoch is not None else None
        else:
            steps = math.ceil(n / batch_size)
            if steps_per_epoch is not None:
                steps = min(steps, int(steps_per_epoch))
        history = _cb.History()
        cbs = [callbacks] if isinstance(callbacks, _cb.Callback) else list(callbacks or [])
        if verbose:
            cbs.append(_cb.ProgbarLogger(verbose))
        cbs.append(history)
        cb = _cb.CallbackList(cbs, model=self, epochs=epochs, steps=steps, verbose=verbose)
        self.stop_training = False
        cb.on_train_begin()
        resumed = getattr(self, "_initial_epoch", None)   # set by callbacks.BackupAndRestore
        if resumed is not None:
            initial_epoch, self._initial_epoch = resumed, None
        logs = {}
        arrays = _ArrayBatches(x, y, sw) if ds is None else None
        metrics = None
        for epoch in range(initial_epoch, epochs):
            # the metrics read once the first epoch's trace made them all (layers' own too)
            metrics = self._reset_metrics(metrics if epoch > initial_epoch + 1 else None)
            cb.on_epoch_begin(epoch)
            step_logs = _StepLogs(self)
            batches = _dataset_batches(ds, steps, ds_state) if ds is not None else (
                (step, arrays.take(idx))
                for step, idx in self._batches(n, batch_size, shuffle, steps))
            for first, last, out in self._executions("train", train_fn, batches, variables):
                cb.batch_begin("train", first)
                step_logs.set(out)
                cb.batch_end("train", last, step_logs)
                if self.stop_training:
                    break
            epoch_logs = dict(step_logs())
            if val is not None and (epoch + 1) % validation_freq == 0:
                val_logs = self.evaluate(val[0], val[1], sample_weight=val[2],
                                         batch_size=validation_batch_size or batch_size,
                                         steps=validation_steps, verbose=0, return_dict=True,
                                         callbacks=cb)
                epoch_logs.update({"val_" + k: v for k, v in val_logs.items()})
            cb.on_epoch_end(epoch, epoch_logs)
            logs = epoch_logs
            if self.stop_training:
                break
        if epochs > initial_epoch and hasattr(self.optimizer, "finalize_variable_values"):
            self.optimizer.finalize_variable_values(variables)   # EMA (Keras 3)
        cb.on_train_end(logs)
        self.history = history
        return history

    @staticmethod
    def _class_weights(y, class_weight, sw):
        y0 = flatten(y)[0][0]
        if y0.ndim >= 2 and y0.shape[-1] > 1:
            cls = np.argmax(y0, axis=-1)
        else:
            cls = y0.reshape(y0.shape[0], -1)[:, 0]
            cls = np.rint(cls).astype(np.int64)
        w = np.array([class_weight.get(int(c), 1.0) for c in cls.reshape(-1)], np.float32)
        w = w.reshape(cls.shape)
        return w if sw is None else (sw * w).astype(np.float32)

    @_ds.in_model_strategy
    def evaluate(self, x=None, y=None, batch_size=None, verbose=_AUTO, sample_weight=None,
                 steps=None, callbacks=None, return_dict=False, **kwargs):
        """Loss and metrics over the data: a scalar loss if there are no metrics, else
        [loss, metric, ...] in `metrics_names` order (a dict with return_dict=True)."""
        self._assert_compiled()
        steps = _config.capped_steps(steps)
        x, y, sw, verbose, batch_size = _data_args(x, y, sample_weight, verbose, batch_size)
        verbose = verbose if _ds.is_chief() else 0   # only rank 0 prints
        ds = x if isinstance(x, Dataset) else None
        if ds is not None:
            first = next(iter(ds), None)
            if first is None:
                raise ValueError("evaluate: the dataset is empty")
            x, y, sw = _unpack(_dataset_element(first))
            total = _dataset_steps(ds, steps)
        else:
            n = _num_samples(x, y, sw)
            total = math.ceil(n / batch_size) if steps is None else \
                min(math.ceil(n / batch_size), steps)
            arrays = _ArrayBatches(x, y, sw)
        variables = self._prepare(x, y, batch_size=batch_size, n=None if ds is not None else n,
                                  train=False)
        test_fn = self._step_function("test", variables)
        # fit's validation passes its own CallbackList: the fit callbacks see on_test_* (Keras 3)
        cb = callbacks if isinstance(callbacks, _cb.CallbackList) else \
            _cb.CallbackList(callbacks, model=self, steps=total, verbose=verbose)
        bar = _cb.Progbar(total, verbose=verbose) if verbose else None
        self.reset_metrics()
        cb.on_test_begin()
        step_logs = _StepLogs(self)
        batches = _dataset_batches(ds, total) if ds is not None else (
            (step, arrays.take(idx))
            for step, idx in self._batches(n, batch_size, False, steps))
        for first, step, out in self._executions("test", test_fn, batches, variables):
            cb.batch_begin("test", first)
            step_logs.set(out)
            cb.batch_end("test", step, step_logs)
            if bar is not None and bar.due(step + 1, finalize=False):
                bar.update(step + 1, step_logs(), finalize=False)
        logs = step_logs()
        if bar is not None:
            bar.update(total if total is not None else step + 1, logs, finalize=True)
        cb.on_test_end(logs)
        if return_dict:
            return logs
        order = self._metric_order()   # then the other keys, sorted (Keras 3)
        names = [k for k in order if k in logs] + sorted(k for k in logs if k not in order)
        values = [logs[k] for k in names]
        return values[0] if len(values) == 1 else values

    @_ds.in_model_strategy
    def predict(self, x, batch_size=None, verbose=_AUTO, steps=None, callbacks=None):
        """Model outputs for `x`, batch by batch, concatenated as numpy arrays."""
        verbose = _resolve_verbose(verbose) if _ds.is_chief() else 0
        batch_size = int(batch_size or 32)
        x = as_batches_source(x)
        steps = _config.capped_steps(steps)
        ds = x if isinstance(x, Dataset) else None
        if ds is not None:   # (x, y) elements: predict uses x
            first = next(iter(ds), None)
            if first is None:
                raise ValueError("predict: the dataset is empty")
            x = _dataset_element(first)[0]
        else:
            x = _as_arrays(x)
            n = _num_samples(x)
        if not self.built:
            self(_take(x, slice(0, 2)), training=False)
        _ds.sync_variables(self.variables)
        predict_fn = self.make_predict_function()
        total = _dataset_steps(ds, steps) if ds is not None else \
            math.ceil(n / batch_size) if steps is None else min(math.ceil(n / batch_size), steps)
        bar = _cb.Progbar(total, verbose=verbose) if verbose else None
        cb = _cb.CallbackList(callbacks, model=self)
        cb.on_predict_begin()
        outs = []
        arrays = _ArrayBatches(x) if ds is None else None
        batches = ((s, _pack(_unpack(d)[0])) for s, d in _dataset_batches(ds, total)) \
            if ds is not None else ((step, arrays.take(idx))
                                    for step, idx in self._batches(n, batch_size, False, steps))
        for first, step, out in self._executions("predict", predict_fn, batches):
            cb.batch_begin("predict", first)
            for o in (out if step > first else [out]):   # (a run of steps: each one's outputs)
                outs.append(_ds.gather_batches(_tmap(np.array, o)))
            cb.batch_end("predict", step, lambda: {"outputs": outs[-1]})
            if bar is not None and bar.due(step + 1, finalize=False):
                bar.update(step + 1, finalize=False)
        if bar is not None:
            bar.update(total if total is not None else len(outs), finalize=True)
        cb.on_predict_end()
        if not outs:
            raise ValueError("predict: no data")
        leaves0, rebuild = flatten(outs[0])
        cols = list(zip(*[flatten(o)[0] for o in outs]))
        return rebuild([np.concatenate(c, axis=0) for c in cols]) if len(leaves0) > 1 \
            else np.concatenate([c for c in cols[0]], axis=0)

    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None,
                       reset_metrics=True, return_dict=False):
        self._assert_compiled()
        x, y, sw = _as_arrays(x), _as_arrays(y), _as_arrays(sample_weight)
        if class_weight is not None:
            sw = self._class_weights(y, class_weight, sw)
        variables = self._prepare(x, y)
        metrics = self._reset_metrics() if reset_metrics else None
        fn = self._step_function("train", variables)
        logs = _to_logs(fn(_pack(x, y, sw)))
        return self._format(logs, return_dict, metrics)

    def test_on_batch(self, x, y=None, sample_weight=None, reset_metrics=True, return_dict=False):
        self._assert_compiled()
        x, y, sw = _as_arrays(x), _as_arrays(y), _as_arrays(sample_weight)
        variables = self._prepare(x, y, train=False)
        metrics = self._reset_metrics() if reset_metrics else None
        fn = self._step_function("test", variables)
        logs = _to_logs(fn((x, y) + ((sw,) if sw is not None else ())))
        return self._format(logs, return_dict, metrics)

    def predict_on_batch(self, x):
        x = _as_arrays(x)
        if not self.built:
            self(x, training=False)
        return _tmap(lambda t: np.array(t), self.make_predict_function()((x,)))

    def _format(self, logs, return_dict, metrics=None):
        if return_dict:
            return logs
        names = None if metrics is None else [m.name for m in flat_metrics(metrics)]
        if names is None or any(k not in names for k in logs):   # (metrics made by the step)
            names = self._metric_order()
        values = [logs[k] for k in names if k in logs] or list(logs.values())
        return values[0] if len(values) == 1 else values

    # ---- saving -------------------------------------------------------------------------
    def __getstate__(self):
        state = super().__getstate__()
        state["_fns"] = {}   # traced functions are rebuilt on demand
        return state

    def save(self, filepath, overwrite=True, **kwargs):
        """Save the whole model (architecture, weights, compile configuration, optimizer state)
        as a Keras 3 `.keras` file, loadable by `keras.models.load_model` here and in Keras 3
        (a name ending in `.h5`: Keras' legacy HDF5 file, without the optimizer state, with
        Keras' warning). No pickle: see `graphflow.keras.saving`."""
        from . import saving
        if kwargs:
            raise TypeError(f"Model.save: unexpected keyword arguments {sorted(kwargs)}")
        saving.save_model(self, filepath, overwrite=overwrite)

    def to_json(self, **kwargs):
        """The model's architecture as a JSON string (Keras 3: its serialized config), for
        `keras.models.model_from_json`.

        >>> import graphflow as tf, json
        >>> m = tf.keras.Sequential([tf.keras.Input((2,)), tf.keras.layers.Dense(1)])
        >>> json.loads(m.to_json())["class_name"]
        'Sequential'
        """
        import json
        from . import saving
        return json.dumps(saving.serialize_keras_object(self), **kwargs)

    def save_weights(self, filepath, overwrite=True):
        """Write all weights to a Keras 3 `.weights.h5` (HDF5) file."""
        from . import saving
        saving.save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath, skip_mismatch=False):
        """Read weights from a Keras 3 `.weights.h5` or `.keras` file (the model must be built
        the same way)."""
        from . import saving
        if skip_mismatch:
            raise NotImplementedError("load_weights(skip_mismatch=True) is not supported")
        saving.load_weights(self, filepath)


# ------------------------------------------------------------------ Sequential
class Sequential(Model):
    """A linear stack of layers. It builds when its input shape is known: from an `Input` /
    `input_shape=` on the first layer, from `build(input_shape)`, or from the first data."""

    def __init__(self, layers=None, name=None, trainable=True):
        super().__init__(name=name, trainable=trainable)
        self._layers_list = []
        self._seq_input_shape = None
        self._seq_input_dtype = None
        for layer in layers or []:
            self.add(layer, rebuild=False)
        if self._layers_list and self._seq_input_shape is not None:
            self._rebuild()

    def add(self, layer, rebuild=True):
        """Append `layer` (or set the input with a `keras.Input`); with a known input shape
        the model is built again unless `rebuild=False` (Keras 3)."""
        if isinstance(layer, KerasTensor):
            if layer._input_layer is None:
                raise TypeError("Sequential.add: only keras.Input tensors or layers can be added")
            layer = layer._input_layer
        if isinstance(layer, InputLayer):
            if self._layers_list:
                raise ValueError("an Input must be the first element of a Sequential model")
            self._seq_input_shape = layer._batch_input_shape
            self._seq_input_dtype = layer._dtype
            self.__dict__["_seq_input_kt"] = layer.output   # the user's Input is the model's
            return
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential.add: expected a Layer, got {type(layer).__name__}")
        if not self._layers_list and self._seq_input_shape is None:
            if layer._batch_input_shape is not None:
                self._seq_input_shape = layer._batch_input_shape
            else:   # Keras 3: a first layer with defined inputs (a model) gives the shape
                try:
                    first_inputs = layer.inputs
                except AttributeError:
                    first_inputs = None
                if isinstance(first_inputs, (list, tuple)) and len(first_inputs) == 1:
                    self._seq_input_shape = first_inputs[0].shape
                    self._seq_input_dtype = first_inputs[0].dtype
        self._layers_list.append(layer)
        self._fns = {}
        if self._seq_input_shape is not None and rebuild:
            self._rebuild()

    def _rebuild(self):
        self.built = False
        self.build(self._seq_input_shape)
        try:   # Keras 3 builds the functional graph now: `model.layers[i].output` works
            self._symbolic_graph()
        except Exception:   # noqa: BLE001 - a layer that cannot run symbolically: stay lazy
            self.__dict__.pop("_sym_graph", None)

    def pop(self):
        if not self._layers_list:
            raise TypeError("There are no layers in the model.")
        layer = self._layers_list.pop()
        self._fns = {}
        return layer

    @property
    def layers(self):
        return list(self._layers_list)

    def _symbolic_graph(self):
        """(inputs, outputs) of the Sequential as a functional graph: a keras.Input of the
        model's input shape, passed through the layers (Keras 3 builds the same)."""
        if self._seq_input_shape is None or not self._layers_list:
            raise AttributeError(f"Sequential model '{self.name}' has no defined inputs yet "
                                 "(give it a keras.Input or build it with an input shape)")
        key = tuple(id(l) for l in self._layers_list)
        cached = self.__dict__.get("_sym_graph")
        if cached is None or cached[0] != key:
            from .layers import Input, unique_name
            inp = self.__dict__.get("_seq_input_kt")   # one InputLayer per model, as Keras's
            if inp is None or tuple(inp.shape) != tuple(self._seq_input_shape):
                inp = Input(batch_shape=tuple(self._seq_input_shape),
                            dtype=self._seq_input_dtype or _dt.float32)
                self.__dict__["_seq_input_kt"] = inp
            x, shapes = inp, {}
            for layer in self._layers_list:
                x = layer(x)
                shapes[id(layer)] = _tmap(lambda t: t.shape, x)
            unique_name("functional")   # Keras 3 builds a Functional here (so it counts one)
            cached = (key, [inp], [x], shapes)
            self.__dict__["_sym_graph"] = cached
        return cached[1], cached[2]

    @property
    def inputs(self):
        """[the model's keras.Input] (Keras 3: a Sequential with a known input shape is a
        functional graph); AttributeError while the input shape is unknown."""
        return list(self._symbolic_graph()[0])

    @property
    def outputs(self):
        """[the KerasTensor the last layer produces from `inputs`]."""
        return list(self._symbolic_graph()[1])

    @property
    def input(self):
        return self.inputs[0]

    @property
    def output(self):
        return self.outputs[0]

    @property
    def output_names(self):
        return [self._layers_list[-1].name] if self._layers_list else None

    def call(self, inputs, training=None, mask=None):
        x = adjust_input_rank(inputs, self._seq_input_shape)
        for layer in self._layers_list:   # Keras masking: each layer's output mask goes on
            y = layer(x, mask=mask) if mask is not None else layer(x)
            mask = layer.compute_mask(x, mask)
            x = y
        return x

    def _maybe_build(self, inputs):
        if not self.built and self._seq_input_shape is None and self._layers_list:
            # Keras 3 builds an InputLayer of the first data's (or KerasTensor's) whole shape,
            # batch dim included, in the first layer's compute dtype, and its Functional
            shape = getattr(inputs, "shape", None)
            if shape is not None and not isinstance(inputs, (list, tuple, dict)):
                batch = BUILD_BATCH.get()   # fit's probe: the batch dim of its data's spec
                self._seq_input_shape = TensorShape(
                    tuple(batch) + tuple(shape)[1:] if batch and len(shape) else shape)
                self._seq_input_dtype = _dt.as_dtype(
                    getattr(self._layers_list[0], "compute_dtype", None) or _dt.float32)
                try:
                    with keras_path(self.name):   # (its layers' weights under its path, as
                        self._symbolic_graph()    # when the call builds them)
                except Exception:   # noqa: BLE001 - a layer that cannot run symbolically
                    self.__dict__.pop("_sym_graph", None)
            else:
                from .layers import unique_name
                unique_name("input_layer")   # (both names count, as Keras 3's)
                unique_name("functional")
        super()._maybe_build(inputs)

    def build(self, input_shape=None):
        input_shape = input_shape if input_shape is not None else self._seq_input_shape
        if input_shape is None:
            raise ValueError("Sequential.build needs an input shape (or call the model on data)")
        self._seq_input_shape = TensorShape(input_shape)
        if not self._layers_list:
            return
        dt = self._seq_input_dtype or _dt.float32
        x = np.zeros(tuple(1 if d is None else d for d in input_shape), dt.np)
        if _state.current().graph is not None:
            raise ValueError("Sequential.build must be called outside graphflow.function")
        with np.errstate(all="ignore"):   # a zeros batch: e.g. an all-masked mean is 0/0
            self(x, training=False)
        self.built = True
        if self.__dict__.get("_sym_graph") is None:
            try:   # Keras 3 builds its Functional here, whatever gave the shape (data too)
                self._symbolic_graph()
            except Exception:   # noqa: BLE001 - a layer that cannot run symbolically
                self.__dict__.pop("_sym_graph", None)



def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Load a Keras 3 `.keras` file (written by graphflow or by Keras 3). Nothing in the file
    is executed; see `graphflow.keras.saving.load_model`."""
    from . import saving
    return saving.load_model(filepath, custom_objects=custom_objects, compile=compile,
                             safe_mode=safe_mode)


def save_model(model, filepath, overwrite=True, **kwargs):
    """`model.save(filepath)` (a Keras 3 `.keras` file)."""
    model.save(filepath, overwrite=overwrite, **kwargs)


def model_from_json(json_string, custom_objects=None):
    """A model (fresh weights) from `Model.to_json()`'s string; custom classes from
    `custom_objects`, a `custom_object_scope` or the registry."""
    import json
    from . import saving
    return saving.deserialize_keras_object(json.loads(json_string), custom_objects=custom_objects)


def clone_model(model, input_tensors=None, clone_function=None, call_function=None,
                recursive=False, **kwargs):
    """A new model of the same architecture with freshly initialized weights (Keras 3: from
    the model's config; compile state and weight values are not copied).

    >>> import graphflow as tf
    >>> m = tf.keras.Sequential([tf.keras.Input((3,)), tf.keras.layers.Dense(2)])
    >>> c = tf.keras.models.clone_model(m)
    >>> c is m, c.count_params()
    (False, 8)
    """
    if input_tensors is not None or clone_function is not None or call_function is not None:
        raise NotImplementedError("clone_model: input_tensors / clone_function / call_function "
                                  "are not supported; the clone is rebuilt from the config")
    # the model's own layer classes rebuild its layers, registered or not (Keras 3 clones
    # each layer with its class's from_config)
    own = {type(l).__name__: type(l) for l in model._flatten_layers()
           if not type(l).__module__.startswith("graphflow.")}
    from_config = type(model).from_config
    if own and "custom_objects" in inspect.signature(from_config).parameters:
        return from_config(model.get_config(), custom_objects=own)
    return from_config(model.get_config())

