"""`tf.distribute`: data-parallel training over MPI with TensorFlow's API.

One replica per process; start the same script on every worker with an MPI launcher:

    mpiexec -n 2 python train.py                      # two workers on this machine
    mpiexec -f hostfile -n 8 python train.py          # across machines (MPICH's hydra)

`pip install 'graphflow[distributed]'` brings mpi4py and MPICH. Without a launcher (or without
MPI) the strategies run as one worker, where every collective is the identity.

Modules: `strategy` (strategies, contexts, Keras hooks), `mpi` (the MPI communicator); the
collective ops themselves are op-table entries in `graphflow.ops.collective_ops`.

>>> import graphflow as tf
>>> tf.distribute.get_strategy().num_replicas_in_sync
1
"""
import types as _types

from ..ops.collective_ops import (Communicator, SingleProcessCommunicator, all_gather, all_reduce,
                                  broadcast, current_communicator, reduce_scatter, reduce_to_root)
from .mpi import MPICommunicator
from .strategy import (CommunicationOptions, DistributedDataset, InputContext, MirroredStrategy,
                       MultiWorkerMirroredStrategy, OneDeviceStrategy, ReduceOp, ReplicaContext,
                       Strategy,
                       get_replica_context, get_strategy, has_strategy, in_cross_replica_context)

experimental = _types.ModuleType("graphflow.distribute.experimental")
experimental.CommunicationOptions = CommunicationOptions
experimental.MultiWorkerMirroredStrategy = MultiWorkerMirroredStrategy

__all__ = ["Communicator", "SingleProcessCommunicator", "MPICommunicator", "all_gather",
           "all_reduce", "broadcast", "current_communicator", "reduce_scatter",
           "reduce_to_root", "CommunicationOptions", "DistributedDataset", "InputContext",
           "MirroredStrategy", "MultiWorkerMirroredStrategy", "OneDeviceStrategy", "ReduceOp",
           "ReplicaContext", "Strategy", "get_replica_context", "get_strategy", "has_strategy",
           "in_cross_replica_context", "experimental"]
