"""`tf.experimental.dtensor`: not in graphflow. DTensor shards tensors over a mesh of devices
(several accelerators or hosts); graphflow computes on one process's CPU cores, so it has no
meshes, layouts or sharded variables. Importing the module works (`from tensorflow.experimental
import dtensor` runs unchanged); every name in it raises NotImplementedError saying what to
use instead: `tf.distribute.MirroredStrategy` (data parallelism; several processes with
`MultiWorkerMirroredStrategy`), or the plain model (graphflow's kernels already use every core).

>>> import graphflow as tf
>>> from graphflow.experimental import dtensor
>>> dtensor.create_mesh([("batch", 8)])
Traceback (most recent call last):
...
NotImplementedError: tf.experimental.dtensor.create_mesh: graphflow has no DTensor ...
"""

# TF 2.21's public names: the same message for each (dir() lists them)
NAMES = ("DTensorCheckpoint", "DTensorDataset", "DVariable", "Layout", "MATCH", "Mesh",
         "UNSHARDED", "barrier", "call_with_layout", "check_layout", "client_id", "copy_to_mesh",
         "create_distributed_mesh", "create_mesh", "create_tpu_mesh", "default_mesh",
         "device_name", "enable_save_as_bf16", "fetch_layout", "full_job_name",
         "get_default_mesh", "heartbeat_enabled", "initialize_accelerator_system",
         "initialize_multi_client", "initialize_tpu_system", "is_dtensor", "job_name", "jobs",
         "local_devices", "name_based_restore", "name_based_save", "num_clients",
         "num_global_devices", "num_local_devices", "pack", "preferred_device_type",
         "relayout", "relayout_like", "run_on", "sharded_save", "shutdown_accelerator_system",
         "shutdown_tpu_system", "unpack")


class _Unsupported:
    """A DTensor name: calling it (or reading an attribute of it) raises NotImplementedError."""

    def __init__(self, name):
        self._name = name

    def _fail(self):
        raise NotImplementedError(
            f"tf.experimental.dtensor.{self._name}: graphflow has no DTensor (meshes, layouts, "
            "sharded tensors over several devices): it computes on one process's CPU cores. "
            "For data-parallel training use tf.distribute.MirroredStrategy (or "
            "MultiWorkerMirroredStrategy over processes), or train the model as it is.")

    def __call__(self, *args, **kwargs):
        self._fail()

    def __getattr__(self, attr):
        if attr.startswith("__"):
            raise AttributeError(attr)
        self._fail()

    def __repr__(self):
        return f"<tf.experimental.dtensor.{self._name}: not supported by graphflow>"


def __getattr__(name):
    if name in NAMES:
        return _Unsupported(name)
    raise AttributeError(f"module 'tf.experimental.dtensor' has no attribute {name!r}")


def __dir__():
    return sorted(NAMES)
