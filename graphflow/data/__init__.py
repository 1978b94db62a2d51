"""`tf.data`: input pipelines (`Dataset`), built on numpy.

Modules: `dataset` (Dataset: sources and transformations, Iterator), `structure` (elements:
nested structures of tensors; batching, padding, user functions), `readers` (text, TFRecord,
fixed-length and CSV files), `options` (tf.data.Options).

>>> import graphflow as tf
>>> [int(x) for x in tf.data.Dataset.range(3).repeat(2)]
[0, 1, 2, 0, 1, 2]
"""
import types as _types

from .dataset import AUTOTUNE, INFINITE_CARDINALITY, UNKNOWN_CARDINALITY, Dataset, Iterator
from .options import (AutoShardPolicy, AutotuneOptions, DistributeOptions, ExternalStatePolicy,
                      OptimizationOptions, Options, ThreadingOptions)
from .readers import (CsvDataset, FixedLengthRecordDataset, TextLineDataset, TFRecordDataset,
                      TFRecordWriter, make_batched_features_dataset, make_csv_dataset,
                      parse_example_dataset)
from . import experimental_ops as _xo



def _save(dataset, path, compression=None, shard_func=None, checkpoint_args=None):
    """`tf.data.experimental.save`: `dataset.save(path, ...)`."""
    return dataset.save(path, compression, shard_func, checkpoint_args)


experimental = _types.ModuleType("graphflow.data.experimental")
experimental.__dict__.update(
    AUTOTUNE=AUTOTUNE, INFINITE_CARDINALITY=INFINITE_CARDINALITY,
    UNKNOWN_CARDINALITY=UNKNOWN_CARDINALITY, cardinality=lambda dataset: dataset.cardinality(),
    Counter=Dataset.counter, CsvDataset=CsvDataset, make_csv_dataset=make_csv_dataset,
    TFRecordWriter=TFRecordWriter, AutoShardPolicy=AutoShardPolicy,
    make_batched_features_dataset=make_batched_features_dataset,
    parse_example_dataset=parse_example_dataset,
    ExternalStatePolicy=ExternalStatePolicy, DistributeOptions=DistributeOptions,
    OptimizationOptions=OptimizationOptions, ThreadingOptions=ThreadingOptions,
    sample_from_datasets=Dataset.sample_from_datasets,
    choose_from_datasets=Dataset.choose_from_datasets, save=_save, load=Dataset.load,
    get_single_element=lambda dataset: dataset.get_single_element(),
    rejection_resample=lambda class_func, target_dist, initial_dist=None, seed=None:
        lambda ds: ds.rejection_resample(class_func, target_dist, initial_dist, seed),
    bucket_by_sequence_length=lambda *a, **k: lambda ds: ds.bucket_by_sequence_length(*a, **k),
    group_by_window=lambda *a, **k: lambda ds: ds.group_by_window(*a, **k),
    scan=lambda initial_state, scan_func: lambda ds: ds.scan(initial_state, scan_func),
    unbatch=lambda: lambda ds: ds.unbatch(), ignore_errors=lambda: lambda ds: ds.ignore_errors(),
    dense_to_ragged_batch=lambda batch_size, drop_remainder=False, row_splits_dtype=None:
        lambda ds: ds.ragged_batch(batch_size, drop_remainder),
    assert_cardinality=lambda n: lambda ds: ds.assert_cardinality(n),
    enumerate_dataset=lambda start=0: lambda ds: ds.enumerate(start),
    parallel_interleave=lambda map_func, cycle_length, block_length=1, sloppy=False,
    buffer_output_elements=None, prefetch_input_elements=None:
        lambda ds: ds.interleave(map_func, cycle_length, block_length),
    map_and_batch=lambda map_func, batch_size, num_parallel_batches=None, drop_remainder=False,
    num_parallel_calls=None: lambda ds: ds.map(map_func).batch(batch_size, drop_remainder),
    shuffle_and_repeat=lambda buffer_size, count=None, seed=None:
        lambda ds: ds.shuffle(buffer_size, seed).repeat(count))
experimental.__dict__.update({_n: getattr(_xo, _n) for _n in _xo.__all__})

__all__ = ["Dataset", "Iterator", "AUTOTUNE", "INFINITE_CARDINALITY", "UNKNOWN_CARDINALITY",
           "experimental", "Options", "AutotuneOptions", "TextLineDataset", "TFRecordDataset",
           "FixedLengthRecordDataset", "ThreadingOptions"]
