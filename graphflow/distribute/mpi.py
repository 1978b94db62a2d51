"""The MPI communicator (through mpi4py): graphflow's collectives on MPI's.

Every collective is issued non-blocking and waited for with a deadline, so a worker that died or
hangs makes the others fail with `DeadlineExceededError` (naming the collective, its shape and
dtype, the worker and the timeout) instead of hanging silently. An uncaught exception on any
worker aborts the whole MPI job (`MPI_Abort`), so the others do not wait for it either.

Launch: `mpiexec -n 2 python train.py` on one machine, `mpiexec -f hostfile -n 8 python train.py`
across machines (MPICH; Open MPI spells it `--hostfile`).

>>> MPICommunicator.available() in (True, False)
True
"""
import os
import pickle
import sys
import time

import numpy as np

from ..errors import DeadlineExceededError
from ..ops.collective_ops import Communicator

DEFAULT_TIMEOUT = float(os.environ.get("GRAPHFLOW_COLLECTIVE_TIMEOUT", "600"))


def _mpi():
    from mpi4py import MPI   # imported on first use: importing it initializes MPI
    return MPI


class MPICommunicator(Communicator):
    """graphflow collectives over an MPI communicator (a duplicate of COMM_WORLD by default).

    timeout_seconds: how long one collective may wait for the other workers before raising
    `DeadlineExceededError` (default 600, or the GRAPHFLOW_COLLECTIVE_TIMEOUT environment
    variable). abort_on_error: make an uncaught exception on this worker abort the whole job.
    """

    def __init__(self, comm=None, timeout_seconds=None, abort_on_error=True):
        MPI = _mpi()
        self._MPI = MPI
        self.comm = (MPI.COMM_WORLD if comm is None else comm).Dup()
        self.rank, self.size = self.comm.Get_rank(), self.comm.Get_size()
        self.timeout = DEFAULT_TIMEOUT if timeout_seconds is None else float(timeout_seconds)
        if abort_on_error and self.size > 1:
            self._install_abort_hook()

    @staticmethod
    def available():
        """True if mpi4py (and an MPI library) can be imported."""
        try:
            _mpi()
        except Exception:   # ImportError, or an MPI library that fails to load
            return False
        return True

    def _install_abort_hook(self):
        previous, comm = sys.excepthook, self.comm

        def hook(tp, value, tb):
            previous(tp, value, tb)
            sys.stderr.write(f"graphflow.distribute: worker {self.rank} of {self.size} failed "
                             "with the error above; aborting the MPI job\n")
            sys.stderr.flush()
            comm.Abort(1)
        sys.excepthook = hook

    # -- waiting with a deadline --
    def _wait(self, req, what, x):
        deadline = time.monotonic() + self.timeout
        spins = 0
        while not req.Test():
            spins += 1
            if spins > 200:
                time.sleep(0.0005 if spins < 2000 else 0.005)
            if time.monotonic() > deadline:
                raise DeadlineExceededError(
                    f"{what}: the collective on {tuple(np.shape(x))} {np.asarray(x).dtype} did not "
                    f"complete within {self.timeout:g} s on worker {self.rank} of {self.size}: "
                    "another worker died, hangs, or runs a different program (set the timeout "
                    "with CommunicationOptions(timeout_seconds=...) or "
                    "GRAPHFLOW_COLLECTIVE_TIMEOUT)")

    # -- array collectives --
    def all_reduce(self, x, reduction):
        send = np.ascontiguousarray(x)
        recv = np.empty_like(send)
        self._wait(self.comm.Iallreduce(send, recv, op=self._MPI.SUM), "all_reduce", send)
        if reduction == "mean":
            recv = (recv / self.size).astype(send.dtype, copy=False)
        return recv

    def broadcast(self, x, root):
        buf = np.array(x, copy=True, order="C")
        self._wait(self.comm.Ibcast(buf, root=root), "broadcast", buf)
        return buf

    def reduce_to_root(self, x, root):
        send = np.ascontiguousarray(x)
        recv = np.zeros_like(send)
        self._wait(self.comm.Ireduce(send, recv if self.rank == root else None,
                                     op=self._MPI.SUM, root=root), "reduce_to_root", send)
        return recv

    def all_gather(self, x):
        send = np.ascontiguousarray(x)
        recv = np.empty((send.shape[0] * self.size,) + send.shape[1:], send.dtype)
        self._wait(self.comm.Iallgather(send, recv), "all_gather", send)
        return recv

    def reduce_scatter(self, x):
        send = np.ascontiguousarray(x)
        recv = np.empty((send.shape[0] // self.size,) + send.shape[1:], send.dtype)
        self._wait(self.comm.Ireduce_scatter_block(send, recv, op=self._MPI.SUM),
                   "reduce_scatter", send)
        return recv

    # -- Python objects (pickled into byte arrays, so they get the same deadline) --
    def bcast_object(self, obj, root=0):
        data = np.frombuffer(pickle.dumps(obj), np.uint8) if self.rank == root else None
        n = self.broadcast(np.array([0 if data is None else data.size], np.int64), root)
        buf = data.copy() if data is not None else np.empty(int(n[0]), np.uint8)
        return pickle.loads(self.broadcast(buf, root).tobytes())

    def allgather_object(self, obj):
        data = np.frombuffer(pickle.dumps(obj), np.uint8)
        sizes = self.all_gather(np.array([data.size], np.int64))
        buf = np.zeros(int(sizes.max()), np.uint8)
        buf[:data.size] = data
        rows = self.all_gather(buf[None]).reshape(self.size, -1)
        return [pickle.loads(rows[r, :int(sizes[r])].tobytes()) for r in range(self.size)]

    def barrier(self):
        self._wait(self.comm.Ibarrier(), "barrier", np.zeros(0))
