"""`tf.data.Options` and its option groups: accepted, checked by name and stored (graphflow's
pipelines run in the consumer's thread, so the tuning options change nothing).

>>> import graphflow as tf
>>> o = tf.data.Options()
>>> o.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
>>> o.experimental_distribute.auto_shard_policy
<AutoShardPolicy.DATA: 2>
>>> o.no_such_option = 1
Traceback (most recent call last):
...
AttributeError: Cannot set the property no_such_option on Options.
"""
import enum

__all__ = ["Options", "AutoShardPolicy", "ExternalStatePolicy", "AutotuneOptions",
           "DistributeOptions", "OptimizationOptions", "ThreadingOptions", "AutotuneAlgorithm"]


class AutoShardPolicy(enum.IntEnum):
    """How `tf.distribute` shards a dataset (TF's values)."""
    OFF = -1
    AUTO = 0
    FILE = 1
    DATA = 2
    HINT = 3


class ExternalStatePolicy(enum.Enum):
    WARN = 0
    IGNORE = 1
    FAIL = 2


class AutotuneAlgorithm(enum.Enum):
    DEFAULT = 0
    HILL_CLIMB = 1
    GRADIENT_DESCENT = 2
    MAX_PARALLELISM = 3
    STAGE_BASED = 4


class _Group:
    """Options with a fixed set of names (None: not set); setting another name raises, as TF.
    """
    _NAMES = ()
    _GROUPS = {}

    def __init__(self):
        for n in self._NAMES:
            object.__setattr__(self, n, None)
        for n, cls in self._GROUPS.items():
            object.__setattr__(self, n, cls())

    def __setattr__(self, name, value):
        if name not in self._NAMES:
            raise AttributeError(f"Cannot set the property {name} on {type(self).__name__}.")
        object.__setattr__(self, name, value)

    def __eq__(self, other):
        return type(self) is type(other) and vars(self) == vars(other)

    def merge(self, other):
        """A copy with the options set in `other` taking precedence."""
        out = type(self)()
        for n in self._NAMES:
            v = getattr(other, n)
            object.__setattr__(out, n, v if v is not None else getattr(self, n))
        for n in self._GROUPS:
            object.__setattr__(out, n, getattr(self, n).merge(getattr(other, n)))
        return out

    def __repr__(self):
        set_ = {k: v for k, v in vars(self).items() if v is not None and not isinstance(v, _Group)}
        return f"{type(self).__name__}({set_})"


class AutotuneOptions(_Group):
    _NAMES = ("enabled", "cpu_budget", "ram_budget", "autotune_algorithm")


class DistributeOptions(_Group):
    _NAMES = ("auto_shard_policy", "num_devices")


class OptimizationOptions(_Group):
    _NAMES = ("apply_default_optimizations", "filter_fusion", "filter_parallelization",
              "inject_prefetch", "map_and_batch_fusion", "map_and_filter_fusion", "map_fusion",
              "map_parallelization", "noop_elimination", "parallel_batch", "seq_interleave_prefetch",
              "shuffle_and_repeat_fusion", "warm_start")


class ThreadingOptions(_Group):
    _NAMES = ("max_intra_op_parallelism", "private_threadpool_size")


class Options(_Group):
    """`tf.data.Options`: `deterministic`, `autotune`, `experimental_distribute`,
    `experimental_optimization`, `threading` (`experimental_threading`), ... (see the module
    docstring). Give them to a dataset with `dataset.with_options(options)`."""
    _NAMES = ("deterministic", "experimental_deterministic", "experimental_external_state_policy",
              "experimental_slack", "experimental_symbolic_checkpoint", "experimental_warm_start",
              "dataset_name", "framework_type")
    _GROUPS = {"autotune": AutotuneOptions, "experimental_distribute": DistributeOptions,
               "experimental_optimization": OptimizationOptions, "threading": ThreadingOptions}

    @property
    def experimental_threading(self):
        return self.threading
