"""Collective ops: `all_reduce`, `broadcast`, `all_gather` (and the two ops their gradients need,
`reduce_to_root` and `reduce_scatter`) as op-table entries over a pluggable communicator.

A collective is a stateful op with effect "collective": traced functions keep every collective
node and run them in program order, so all workers issue the same collectives in the same order.
Each node records the communicator that was current when it was built (`attrs['comm']`); its
impl calls that communicator at run time. Without a distribution strategy the current one is a
`SingleProcessCommunicator` (one worker: every collective is the identity), so code written for
several workers also runs, unchanged, in one process. `graphflow.distribute` adds the MPI one.

The VJP of each collective is the matching collective (JAX's `psum` is the model): the gradient
of the sum over workers of their losses, with respect to this worker's input, is

    all_reduce(sum) <-> all_reduce(sum)      broadcast(root) <-> reduce_to_root(root)
    all_reduce(mean) <-> all_reduce(mean)    all_gather <-> reduce_scatter

and all of them are linear, so their JVPs apply the op to the tangents.

>>> import graphflow as tf
>>> from graphflow.ops import collective_ops as c
>>> c.all_reduce(tf.constant([1.0, 2.0]), "sum").numpy()   # one worker: the identity
array([1., 2.], dtype=float32)
>>> c.all_gather(tf.constant([[1.0]])).shape
TensorShape([1, 1])
"""
import contextlib
import threading

import numpy as np

from ..dispatch import bind
from ..tensor import to_tensor
from .registry import LINEAR, Aval, defop, op_error

REDUCTIONS = ("sum", "mean")


# ------------------------------------------------------------------ communicators
class Communicator:
    """What a collective needs from a transport; numpy arrays in, new numpy arrays out.

    Subclasses implement `rank`, `size` and the five array collectives (all of them blocking
    and called by every worker in the same order), plus host-side helpers on Python objects
    (`bcast_object`, `allgather_object`) and `barrier`.
    """
    rank = 0
    size = 1

    def all_reduce(self, x, reduction):
        raise NotImplementedError

    def broadcast(self, x, root):
        raise NotImplementedError

    def reduce_to_root(self, x, root):
        raise NotImplementedError

    def all_gather(self, x):
        raise NotImplementedError

    def reduce_scatter(self, x):
        raise NotImplementedError

    def bcast_object(self, obj, root=0):
        raise NotImplementedError

    def allgather_object(self, obj):
        raise NotImplementedError

    def barrier(self):
        raise NotImplementedError

    def __repr__(self):
        return f"<{type(self).__name__} rank {self.rank} of {self.size}>"


class SingleProcessCommunicator(Communicator):
    """One worker: every collective returns (a copy of) its input.

    >>> SingleProcessCommunicator().all_reduce(np.ones(2), "mean")
    array([1., 1.])
    """
    rank, size = 0, 1

    def all_reduce(self, x, reduction):
        return np.array(x, copy=True)

    def broadcast(self, x, root):
        return np.array(x, copy=True)

    reduce_to_root = broadcast

    def all_gather(self, x):
        return np.array(x, copy=True)

    def reduce_scatter(self, x):
        return np.array(x, copy=True)

    def bcast_object(self, obj, root=0):
        return obj

    def allgather_object(self, obj):
        return [obj]

    def barrier(self):
        pass


SINGLE_PROCESS = SingleProcessCommunicator()
_CURRENT = threading.local()


def current_communicator():
    """The communicator new collective nodes use: the innermost `using_communicator`'s, else
    the single-process one."""
    stack = getattr(_CURRENT, "stack", None)
    return stack[-1] if stack else SINGLE_PROCESS


@contextlib.contextmanager
def using_communicator(comm):
    """Make `comm` the current communicator of this thread inside the block."""
    stack = getattr(_CURRENT, "stack", None)
    if stack is None:
        stack = _CURRENT.stack = []
    stack.append(comm)
    try:
        yield comm
    finally:
        stack.pop()


# ------------------------------------------------------------------ shape/dtype rules
def _same_rule(name):
    def rule(x, comm, **attrs):
        red = attrs.get("reduction")
        if red is not None and red not in REDUCTIONS:
            raise op_error(name, (x,), f"reduction must be one of {REDUCTIONS}, got {red!r}")
        if red == "mean" and np.dtype(x.dtype).kind != "f":
            raise op_error(name, (x,), "a mean needs a floating-point input")
        root = attrs.get("root")
        if root is not None and not 0 <= root < comm.size:
            raise op_error(name, (x,), f"root {root} is not a rank of {comm.size} workers")
        return Aval(tuple(x.shape), x.dtype)
    return rule


def _gather_rule(x, comm):
    if len(x.shape) == 0:
        raise op_error("all_gather", (x,), "needs an input of rank >= 1 (it concatenates axis 0)")
    d = x.shape[0]
    return Aval((None if d is None else d * comm.size,) + tuple(x.shape[1:]), x.dtype)


def _scatter_rule(x, comm):
    if len(x.shape) == 0 or (x.shape[0] is not None and x.shape[0] % comm.size):
        raise op_error("reduce_scatter", (x,), f"axis 0 must split evenly over {comm.size} workers")
    d = x.shape[0]
    return Aval((None if d is None else d // comm.size,) + tuple(x.shape[1:]), x.dtype)


# ------------------------------------------------------------------ the ops
ALL_REDUCE = defop(
    "all_reduce", lambda x, comm, reduction: comm.all_reduce(x, reduction), _same_rule("all_reduce"),
    lambda i, o, g, comm, reduction: [_bind(ALL_REDUCE, g, comm, reduction=reduction)],
    jvp=LINEAR, effects=("collective",), arity=1,
    doc="sum or mean of x over all workers, on every worker")
BROADCAST = defop(
    "broadcast", lambda x, comm, root: comm.broadcast(x, root), _same_rule("broadcast"),
    lambda i, o, g, comm, root: [_bind(REDUCE_TO_ROOT, g, comm, root=root)],
    jvp=LINEAR, effects=("collective",), arity=1, doc="worker `root`'s x on every worker")
REDUCE_TO_ROOT = defop(
    "reduce_to_root", lambda x, comm, root: comm.reduce_to_root(x, root),
    _same_rule("reduce_to_root"),
    lambda i, o, g, comm, root: [_bind(BROADCAST, g, comm, root=root)],
    jvp=LINEAR, effects=("collective",), arity=1,
    doc="sum of x over all workers on worker `root`, zeros elsewhere (broadcast's transpose)")
ALL_GATHER = defop(
    "all_gather", lambda x, comm: comm.all_gather(x), _gather_rule,
    lambda i, o, g, comm: [_bind(REDUCE_SCATTER, g, comm)],
    jvp=LINEAR, effects=("collective",), arity=1,
    doc="the workers' x concatenated along axis 0 (in rank order), on every worker")
REDUCE_SCATTER = defop(
    "reduce_scatter", lambda x, comm: comm.reduce_scatter(x), _scatter_rule,
    lambda i, o, g, comm: [_bind(ALL_GATHER, g, comm)],
    jvp=LINEAR, effects=("collective",), arity=1,
    doc="sum of x over workers, split along axis 0: worker r keeps block r (all_gather's transpose)")


def _bind(op, x, comm, **attrs):
    return bind(op, [x], dict(attrs, comm=comm))


def _comm(communicator):
    return current_communicator() if communicator is None else communicator


# ------------------------------------------------------------------ public functions
def all_reduce(x, reduction="sum", communicator=None, name=None):
    """Sum (`reduction="sum"`) or mean (`"mean"`) of `x` over all workers, on every worker.

    >>> float(all_reduce(to_tensor(np.float32(3.0)), "mean"))
    3.0
    """
    red = getattr(reduction, "value", reduction)   # a ReduceOp enum or its string
    red = str(red).lower()
    return _bind(ALL_REDUCE, to_tensor(x), _comm(communicator), reduction=red)


def broadcast(x, root=0, communicator=None, name=None):
    """Worker `root`'s value of `x` on every worker.

    >>> broadcast(to_tensor([1, 2])).numpy()
    array([1, 2], dtype=int32)
    """
    return _bind(BROADCAST, to_tensor(x), _comm(communicator), root=int(root))


def reduce_to_root(x, root=0, communicator=None, name=None):
    """Sum of `x` over all workers on worker `root`; zeros on the others.

    >>> reduce_to_root(to_tensor([1.0])).numpy()
    array([1.], dtype=float32)
    """
    return _bind(REDUCE_TO_ROOT, to_tensor(x), _comm(communicator), root=int(root))


def all_gather(x, axis=0, communicator=None, name=None):
    """The workers' `x` concatenated along axis 0 in rank order (equal shapes on all workers).

    >>> all_gather(to_tensor([[1.0, 2.0]])).shape
    TensorShape([1, 2])
    """
    if axis != 0:
        raise op_error("all_gather", (to_tensor(x),), f"only axis 0 is supported, got {axis}")
    return _bind(ALL_GATHER, to_tensor(x), _comm(communicator))


def reduce_scatter(x, communicator=None, name=None):
    """Sum of `x` over workers, split evenly along axis 0; worker r keeps block r.

    >>> reduce_scatter(to_tensor([1.0, 2.0])).numpy()
    array([1., 2.], dtype=float32)
    """
    return _bind(REDUCE_SCATTER, to_tensor(x), _comm(communicator))
