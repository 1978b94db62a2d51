"""`tf.data`: input pipelines (`Dataset`), built on numpy.

>>> import graphflow as tf
>>> [int(x) for x in tf.data.Dataset.range(3).repeat(2)]
[0, 1, 2, 0, 1, 2]
"""
import types as _types

from .dataset import AUTOTUNE, INFINITE_CARDINALITY, UNKNOWN_CARDINALITY, Dataset, Iterator

experimental = _types.ModuleType("graphflow.data.experimental")
experimental.AUTOTUNE = AUTOTUNE
experimental.INFINITE_CARDINALITY = INFINITE_CARDINALITY
experimental.UNKNOWN_CARDINALITY = UNKNOWN_CARDINALITY
experimental.cardinality = lambda dataset: dataset.cardinality()

__all__ = ["Dataset", "Iterator", "AUTOTUNE", "INFINITE_CARDINALITY", "UNKNOWN_CARDINALITY",
           "experimental"]
