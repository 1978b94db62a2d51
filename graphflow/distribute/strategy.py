"""Distribution strategies with tf.distribute's API: data-parallel training, one replica per
process, on MPI (or on one process, where every collective is the identity).

Launch the same script on every worker (`mpiexec -n 2 python train.py`); each process is one
replica. Inside `strategy.scope()`, models and their Keras `fit` / `evaluate` / `predict` shard
every global batch across the workers, all-reduce the gradients (bucketed, as
`CommunicationOptions(bytes_per_pack=...)` says) inside the one traced train step, start from
rank 0's weights, and report metrics aggregated over all workers; only rank 0 prints.

>>> import graphflow as tf
>>> strategy = tf.distribute.MultiWorkerMirroredStrategy()   # not under mpiexec: one worker
>>> strategy.num_replicas_in_sync
1
>>> with strategy.scope():
...     total = strategy.reduce("sum", strategy.run(lambda: tf.constant(2.0)), axis=None)
>>> float(total)
2.0
"""
import contextlib
import enum
import functools
import os
import threading
import weakref

import numpy as np

from .. import state as _state
from ..nest import flatten
from ..ops import collective_ops as _c
from ..ops.math_ops import cast, reduce_sum
from ..ops.shape_ops import concat, dims_value, reshape
from ..shapes import Dim
from ..tensor import VARIABLE_CREATED_HOOKS, Tensor, Variable, constant, to_tensor
from .mpi import MPICommunicator

_LOCAL = threading.local()


class ReduceOp(enum.Enum):
    """How `Strategy.reduce` and `ReplicaContext.all_reduce` combine the replicas' values."""
    SUM = "sum"
    MEAN = "mean"


def _reduce_op(op):
    if isinstance(op, ReduceOp):
        return op.value
    name = str(op).lower()
    if name not in ("sum", "mean"):
        raise ValueError(f"reduce_op must be ReduceOp.SUM or ReduceOp.MEAN, got {op!r}")
    return name


class CommunicationOptions:
    """Options of the collectives (TF's `tf.distribute.experimental.CommunicationOptions`).

    bytes_per_pack: gradients are all-reduced in packs of about this many bytes (0: one pack per
    dtype, i.e. one message per step). timeout_seconds: how long a collective may wait for the
    other workers before failing with `DeadlineExceededError` (None: 600 s, or the
    GRAPHFLOW_COLLECTIVE_TIMEOUT environment variable).
    """

    def __init__(self, bytes_per_pack=0, timeout_seconds=None, implementation=None):
        if bytes_per_pack < 0:
            raise ValueError(f"bytes_per_pack must be >= 0, got {bytes_per_pack}")
        self.bytes_per_pack = int(bytes_per_pack)
        self.timeout_seconds = timeout_seconds
        self.implementation = implementation


def launched_size():
    """The number of workers the MPI launcher started (1 if not launched by mpiexec)."""
    for var in ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "MPI_LOCALNRANKS", "PMIX_SIZE"):
        if os.environ.get(var, "").isdigit():
            return int(os.environ[var])
    return 1


def _default_communicator(options):
    if launched_size() <= 1:
        return _c.SINGLE_PROCESS
    if not MPICommunicator.available():
        raise ImportError("graphflow.distribute: this process was started by an MPI launcher "
                          "but mpi4py cannot be imported; pip install 'graphflow[distributed]'")
    return MPICommunicator(timeout_seconds=options.timeout_seconds)


class Strategy:
    """Data parallelism with one replica per process (see the module docstring).

    communicator: a `Communicator` (default: MPI's world when launched by mpiexec with several
    workers, else the single-process one). communication_options: `CommunicationOptions`.
    """

    def __init__(self, communicator=None, communication_options=None):
        self.communication_options = communication_options or CommunicationOptions()
        self.communicator = (communicator if communicator is not None
                             else _default_communicator(self.communication_options))
        self._synced = set()
        self._synced_ids = weakref.WeakValueDictionary()   # id -> variable synced at creation

    @property
    def num_replicas_in_sync(self):
        """The number of workers (replicas) taking part in every step."""
        return self.communicator.size

    @property
    def worker_index(self):
        """This worker's rank (0 is the chief)."""
        return self.communicator.rank

    @property
    def is_chief(self):
        return self.communicator.rank == 0

    @contextlib.contextmanager
    def scope(self):
        """Models, variables and traced steps built inside use this strategy. A variable
        created inside starts with worker 0's initial value on every worker (its creation is a
        collective: every worker creates the same variables in the same order)."""
        if self.communicator.size > 1 and _broadcast_new_variable not in VARIABLE_CREATED_HOOKS:
            VARIABLE_CREATED_HOOKS.append(_broadcast_new_variable)
        stack = _stack()
        stack.append(self)
        try:
            with _c.using_communicator(self.communicator):
                yield self
        finally:
            stack.pop()

    # -- replica computations --
    def run(self, fn, args=(), kwargs=None, options=None):
        """Run `fn(*args, **kwargs)` as this worker's replica; returns its (per-replica) result.
        Inside, `get_replica_context()` gives the replica context (for `all_reduce`)."""
        with self.scope():
            _LOCAL.replica = ReplicaContext(self)
            try:
                return fn(*args, **(kwargs or {}))
            finally:
                _LOCAL.replica = None

    def all_reduce(self, reduce_op, values):
        """Reduce a nested structure of tensors over the replicas, in few messages (packs of
        `bytes_per_pack` bytes per dtype); returns the same structure."""
        leaves, rebuild = flatten(values)
        out = bucketed_all_reduce([to_tensor(v) for v in leaves], _reduce_op(reduce_op),
                                  self.communicator, self.communication_options.bytes_per_pack)
        return rebuild(out)

    def reduce(self, reduce_op, value, axis=None):
        """Combine a per-replica value over the replicas (and over `axis` of each, if given):
        with axis, MEAN is the mean over all elements of all replicas along that axis.

        >>> s = Strategy()
        >>> float(s.reduce(ReduceOp.MEAN, constant([1.0, 3.0]), axis=0))
        2.0
        """
        op = _reduce_op(reduce_op)
        v = to_tensor(value)
        if axis is None:
            return _c.all_reduce(v, op, self.communicator)
        total = _c.all_reduce(reduce_sum(v, axis=axis), "sum", self.communicator)
        if op == "sum":
            return total
        n = np.prod([v.shape[a] for a in np.atleast_1d(axis)])
        count = _c.all_reduce(constant(np.float64(n)), "sum", self.communicator)
        return total / cast(count, v.dtype)

    def gather(self, value, axis=0):
        """The replicas' values concatenated along `axis` (only 0), on every worker."""
        return _c.all_gather(to_tensor(value), axis, self.communicator)

    def experimental_distribute_dataset(self, dataset, options=None):
        """Iterate this worker's shard of every global batch of `dataset` (an iterable of
        arrays, tuples or dicts of arrays; axis 0 is split evenly over the workers)."""
        return DistributedDataset(dataset, self)

    def distribute_datasets_from_function(self, dataset_fn, options=None):
        """`dataset_fn(input_context)` gives this worker's batches directly."""
        return dataset_fn(InputContext(self.num_replicas_in_sync, self.worker_index))

    # -- host-side helpers (Keras uses them) --
    def shard(self, array):
        """This worker's part of a global batch: axis 0 split evenly (sizes differ by <= 1)."""
        return shard_array(array, self.communicator)

    def broadcast_variables(self, variables, root=0):
        """Give `variables` the values they have on worker `root` (in one message)."""
        variables = list(variables)
        if self.communicator.size == 1 or not variables:
            return
        values = self.communicator.bcast_object([np.asarray(v.numpy()) for v in variables], root)
        for v, val in zip(variables, values):
            v.assign(val)

    def experimental_local_results(self, value):
        """The values of a (per-replica) result held by this process: one replica each.

        >>> Strategy().experimental_local_results(constant(3)).__len__()
        1
        """
        return tuple(value) if isinstance(value, PerReplica) else (value,)

    def experimental_distribute_values_from_function(self, value_fn):
        """`value_fn(ValueContext)` for this process's replica (TF's per-replica values made
        by a function of the replica id).

        >>> Strategy().experimental_distribute_values_from_function(
        ...     lambda ctx: ctx.replica_id_in_sync_group)
        0
        """
        return value_fn(ValueContext(self.worker_index, self.num_replicas_in_sync))

    def __repr__(self):
        return f"<{type(self).__name__} {self.communicator!r}>"


class PerReplica(tuple):
    """Values of several replicas held by one process (graphflow runs one replica a process,
    so strategies return plain values; this marks a tuple of them when one is built)."""


class ValueContext:
    """What `experimental_distribute_values_from_function`'s function gets (TF's
    `tf.distribute.experimental.ValueContext`): ints, not tensors."""

    def __init__(self, replica_id_in_sync_group=0, num_replicas_in_sync=1):
        self.replica_id_in_sync_group = replica_id_in_sync_group
        self.num_replicas_in_sync = num_replicas_in_sync


class _DefaultDistributionStrategy(Strategy):
    """The strategy outside any scope (TF's default): one replica, this process."""


class MultiWorkerMirroredStrategy(Strategy):
    """Synchronous data parallelism over all workers (processes, on one or many machines)
    started by an MPI launcher: `mpiexec -n 4 python train.py`, or with a hostfile across
    machines. Variables are mirrored: every worker holds a full copy, kept identical."""

    def __init__(self, cluster_resolver=None, communication_options=None, communicator=None):
        super().__init__(communicator, communication_options)


class MirroredStrategy(Strategy):
    """Synchronous data parallelism over several processes on one machine (graphflow runs on
    CPUs only: one replica per process, launched with `mpiexec -n N`). `devices` is accepted
    for TF compatibility and ignored."""

    def __init__(self, devices=None, cross_device_ops=None, communication_options=None,
                 communicator=None):
        super().__init__(communicator, communication_options)


class OneDeviceStrategy(Strategy):
    """One replica on one device (TF's `tf.distribute.OneDeviceStrategy('/cpu:0')`): this
    process alone, also under an MPI launcher. `device` is kept (graphflow runs on the CPU).

    >>> OneDeviceStrategy('/cpu:0').num_replicas_in_sync
    1
    """

    def __init__(self, device):
        super().__init__(_c.SingleProcessCommunicator())
        self.device = device


class ReplicaContext:
    """What replica code inside `Strategy.run` sees (TF's `tf.distribute.ReplicaContext`)."""

    def __init__(self, strategy):
        self.strategy = strategy

    @property
    def num_replicas_in_sync(self):
        return self.strategy.num_replicas_in_sync

    @property
    def replica_id_in_sync_group(self):
        return constant(np.int32(self.strategy.worker_index))

    def all_reduce(self, reduce_op, value):
        return self.strategy.all_reduce(reduce_op, value)


class InputContext:
    """Which worker's input pipeline this is (TF's `tf.distribute.InputContext`)."""

    def __init__(self, num_input_pipelines=1, input_pipeline_id=0, num_replicas_in_sync=None):
        self.num_input_pipelines = num_input_pipelines
        self.input_pipeline_id = input_pipeline_id
        self.num_replicas_in_sync = num_replicas_in_sync or num_input_pipelines

    def get_per_replica_batch_size(self, global_batch_size):
        if global_batch_size % self.num_replicas_in_sync:
            raise ValueError(f"global batch size {global_batch_size} is not divisible by "
                             f"{self.num_replicas_in_sync} replicas")
        return global_batch_size // self.num_replicas_in_sync


class DistributedDataset:
    """Yields this worker's shard of each global batch of an iterable."""

    def __init__(self, dataset, strategy):
        self.dataset, self.strategy = dataset, strategy

    def __iter__(self):
        return DistributedIterator(self)

    @property
    def element_spec(self):
        """The dataset's element structure (axis 0: the batch, of unknown size)."""
        return self.dataset.element_spec


class DistributedIterator:
    """`iter(distributed_dataset)` (TF's DistributedIterator): `next`, `get_next`,
    `get_next_as_optional`, `element_spec`. With one worker it reads the dataset's own iterator,
    so it also works inside @function (a run-time read); several workers shard eagerly."""

    def __init__(self, dist):
        self._dist, self._it = dist, iter(dist.dataset)

    def __iter__(self):
        return self

    def _single(self):
        return self._dist.strategy.communicator.size == 1

    def __next__(self):
        batch = next(self._it)
        if self._single():
            return batch
        leaves, rebuild = flatten(batch)
        return rebuild([to_tensor(self._dist.strategy.shard(np.asarray(x))) for x in leaves])

    def get_next(self):
        """The next element (StopIteration at the end)."""
        return next(self)

    def get_next_as_optional(self):
        """The next element as a `tf.experimental.Optional` (empty at the end)."""
        from ..data.experimental_ops import Optional
        if self._single() and hasattr(self._it, "get_next_as_optional"):
            return self._it.get_next_as_optional()
        try:
            return Optional.from_value(next(self))
        except StopIteration:
            return Optional.empty(self.element_spec)

    @property
    def element_spec(self):
        return self._dist.element_spec


# ------------------------------------------------------------------ module functions
def _broadcast_new_variable(var):
    """The variable-creation hook: inside a multi-worker strategy's scope, worker 0's initial
    value (one message of the variable's size, with the collective deadline)."""
    s = current_strategy()
    if s is None or s.num_replicas_in_sync == 1:
        return
    with _state.using(graph=None, tapes=(), adjoint=None):   # host side, even while tracing
        value = np.asarray(var.numpy())
        if value.dtype.kind in "biuf":
            value = s.communicator.broadcast(value, 0)
        else:
            value = s.communicator.bcast_object(value, 0)
        var.assign(value)
    s._synced_ids[id(var)] = var


def _stack():
    stack = getattr(_LOCAL, "stack", None)
    if stack is None:
        stack = _LOCAL.stack = []
    return stack


_DEFAULT = []


def current_strategy():
    """The strategy whose scope this thread is in, or None."""
    stack = _stack()
    return stack[-1] if stack else None


def get_strategy():
    """The current strategy, or the default single-process one outside any scope."""
    s = current_strategy()
    if s is not None:
        return s
    if not _DEFAULT:
        _DEFAULT.append(_DefaultDistributionStrategy(_c.SINGLE_PROCESS))
    return _DEFAULT[0]


def has_strategy():
    """True inside a `strategy.scope()`."""
    return current_strategy() is not None


def in_cross_replica_context():
    """True inside a strategy's scope outside `run` (TF: False outside any strategy, in the
    default replica context, and inside `run`)."""
    return getattr(_LOCAL, "replica", None) is None and has_strategy()


def get_replica_context():
    """The replica context inside `Strategy.run` or outside any strategy; None in the
    cross-replica context (inside a scope, outside `run`), as TF."""
    r = getattr(_LOCAL, "replica", None)
    if r is not None:
        return r
    return None if has_strategy() else ReplicaContext(get_strategy())


def shard_array(array, comm):
    """Rows of `array` (split evenly along axis 0) that worker `comm.rank` gets."""
    n = np.shape(array)[0]
    if n < comm.size:
        raise ValueError(f"a global batch of {n} samples cannot be split over {comm.size} "
                         "workers: use a batch size (and a data size) of at least one sample "
                         "per worker per batch")
    bounds = np.linspace(0, n, comm.size + 1).round().astype(int)
    return array[bounds[comm.rank]:bounds[comm.rank + 1]]


def bucketed_all_reduce(tensors, reduction, comm, bytes_per_pack=0):
    """All-reduce a list of tensors in few messages: tensors of one dtype are flattened and
    concatenated into packs of about `bytes_per_pack` bytes (0: a single pack), each pack is
    one `all_reduce`, and the results are cut and reshaped back. Works eagerly and traced.

    >>> [t.numpy().tolist() for t in bucketed_all_reduce(
    ...     [constant([1.0, 2.0]), constant([[3.0]])], "sum", _c.SINGLE_PROCESS)]
    [[1.0, 2.0], [[3.0]]]
    """
    out = [None] * len(tensors)
    packs = {}   # dtype -> list of packs (lists of indices)
    for i, t in enumerate(tensors):
        if any(d is None for d in t.shape):   # unknown size: its own message
            out[i] = _c.all_reduce(t, reduction, comm)
            continue
        nbytes = int(np.prod(t.shape, dtype=np.int64)) * t.dtype.np.itemsize
        dt_packs = packs.setdefault(t.dtype.np, [[]])
        current = dt_packs[-1]
        used = sum(int(np.prod(tensors[j].shape, dtype=np.int64)) for j in current) * \
            t.dtype.np.itemsize
        if current and bytes_per_pack and used + nbytes > bytes_per_pack:
            dt_packs.append([i])
        else:
            current.append(i)
    for dt_packs in packs.values():
        for pack in dt_packs:
            if len(pack) == 1:
                out[pack[0]] = _c.all_reduce(tensors[pack[0]], reduction, comm)
                continue
            flat = _c.all_reduce(concat([reshape(tensors[j], [-1]) for j in pack], 0),
                                 reduction, comm)
            start = 0
            for j in pack:
                size = int(np.prod(tensors[j].shape, dtype=np.int64))
                out[j] = reshape(flat[start:start + size], tensors[j].shape)
                start += size
    return out


# ------------------------------------------------------------------ Keras hooks
def in_model_strategy(method):
    """Decorator for Model.fit / evaluate / predict: run inside the strategy the model was
    created under (if any), so traced steps get its collectives."""
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        strategy = getattr(self, "_distribute_strategy", None)
        if strategy is None or current_strategy() is strategy:
            return method(self, *args, **kwargs)
        with strategy.scope():
            return method(self, *args, **kwargs)
    return wrapper


def aggregate_gradients(grads, local_batch_size):
    """Under a strategy, the gradients of the global batch's mean loss from this worker's
    gradients of its shard's mean loss: sum over workers of (shard size x gradient), divided
    by the global batch size (exact for unequal shards). One bucketed all-reduce; the identity
    (and no collective) outside a strategy or with one worker. `local_batch_size`: a number, or the unknown batch
    `Dim` of a step traced once for every batch size (its value is bound at run time)."""
    s = current_strategy()
    if s is None or s.num_replicas_in_sync == 1:   # one worker: every collective is the identity
        return grads
    present = [i for i, g in enumerate(grads) if g is not None]
    if not present:
        return grads
    dtype = grads[present[0]].dtype
    # a number, or an unknown (symbolic) batch dim of a step traced once for all batch sizes
    n = dims_value(local_batch_size, dtype) if isinstance(local_batch_size, Dim) else \
        constant(np.asarray(float(local_batch_size), dtype.np))
    vals = [grads[i] * cast(n, grads[i].dtype) for i in present] + [n]
    summed = bucketed_all_reduce(vals, "sum", s.communicator,
                                 s.communication_options.bytes_per_pack)
    total = summed[-1]
    out = list(grads)
    for i, g in zip(present, summed[:-1]):
        out[i] = g / cast(total, g.dtype)
    return out


def shard_indices(idx, n):
    """This worker's part of a global batch given as a slice or index array over n samples."""
    s = current_strategy()
    if s is None or s.num_replicas_in_sync == 1:
        return idx
    return shard_array(np.arange(n)[idx], s.communicator)


def shard_batch(batch):
    """This worker's rows of a global batch (a nested structure of arrays or tensors) under a
    multi-worker strategy; the batch itself otherwise. Keras fit / evaluate / predict apply it
    to each batch of a `tf.data.Dataset`, which every worker reads in the same order (give
    `shuffle` a seed), as `experimental_distribute_dataset` does."""
    s = current_strategy()
    if s is None or s.num_replicas_in_sync == 1:
        return batch
    leaves, rebuild = flatten(batch)
    return rebuild([None if x is None else s.shard(np.asarray(x)) for x in leaves])


def broadcast_object(obj):
    """Rank 0's `obj` on every worker (identity outside a strategy)."""
    s = current_strategy()
    return obj if s is None else s.communicator.bcast_object(obj, 0)


def is_chief():
    """True on worker 0 (the chief) or outside a strategy: the worker that prints and writes."""
    s = current_strategy()
    return s is None or s.is_chief


def worker_index():
    """This worker's rank under the current strategy (0 outside one)."""
    s = current_strategy()
    return 0 if s is None else s.worker_index


def allgather_object(obj):
    """Every worker's `obj`, in rank order (`[obj]` outside a strategy)."""
    s = current_strategy()
    return [obj] if s is None else s.communicator.allgather_object(obj)


def sync_variables(variables):
    """Once per set of variables: give them rank 0's values (model weights and optimizer
    slots start identical on every worker)."""
    s = current_strategy()
    if s is None or s.num_replicas_in_sync == 1:
        return
    variables = [v for v in variables
                 if isinstance(v, Variable) and s._synced_ids.get(id(v)) is not v]   # not at creation
    key = tuple(sorted(id(v) for v in variables))
    if not variables:
        return
    if key in s._synced:
        return
    s.broadcast_variables(variables)
    s._synced.add(key)


def global_metric_logs(metrics, logs):
    """Logs whose metric values are computed over all workers: the metrics' state variables
    (sums and counts for every built-in metric) are summed over workers in one message, the
    results read, and the local states restored."""
    s = current_strategy()
    if s is None or s.num_replicas_in_sync == 1 or not logs:
        return logs
    metrics = [m for m in metrics if m.name in logs and m.variables]
    variables = [v for m in metrics for v in m.variables]
    if not variables:
        return logs
    local = [np.array(v.numpy()) for v in variables]
    flat = np.concatenate([x.astype(np.float64).ravel() for x in local])
    summed = s.communicator.all_reduce(flat, "sum")
    out, start = dict(logs), 0
    try:
        for v, x in zip(variables, local):
            v.assign(summed[start:start + x.size].reshape(x.shape).astype(x.dtype))
            start += x.size
        for m in metrics:
            r = m.result()
            out[m.name] = float(np.asarray(r.numpy() if isinstance(r, Tensor) else r))
    finally:
        for v, x in zip(variables, local):
            v.assign(x)
    return out


def gather_batches(local_out):
    """Rank-ordered concatenation (axis 0) of every worker's outputs for one global batch."""
    s = current_strategy()
    if s is None or s.num_replicas_in_sync == 1:
        return local_out
    parts = s.communicator.allgather_object(local_out)
    leaves0, rebuild = flatten(parts[0])
    cols = zip(*[flatten(p)[0] for p in parts])
    return rebuild([np.concatenate(c, axis=0) for c in cols]) if leaves0 else local_out
