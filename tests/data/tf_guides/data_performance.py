# TF guide "Better performance with the tf.data API" (tensorflow.org/guide/data_performance):
# its pipelines with tiny sleeps; prints element values and counts (not timings)
import itertools
import time

import numpy as np
import tensorflow as tf


class ArtificialDataset(tf.data.Dataset):
    def _generator(num_samples):
        # Opening the file
        time.sleep(0.001)

        for sample_idx in range(num_samples):
            # Reading data (line, record) from the file
            time.sleep(0.0005)

            yield (sample_idx,)

    def __new__(cls, num_samples=3):
        return tf.data.Dataset.from_generator(
            cls._generator,
            output_signature=tf.TensorSpec(shape=(1,), dtype=tf.int64),
            args=(num_samples,)
        )


def benchmark(dataset, num_epochs=2):
    n = 0
    for epoch_num in range(num_epochs):
        for sample in dataset:
            # Performing a training step
            time.sleep(0.0005)
            n += 1
    print("elements:", n)


benchmark(ArtificialDataset())
benchmark(ArtificialDataset().prefetch(tf.data.AUTOTUNE))
benchmark(tf.data.Dataset.range(2).interleave(lambda _: ArtificialDataset()))
benchmark(tf.data.Dataset.range(2).interleave(lambda _: ArtificialDataset(),
                                              num_parallel_calls=tf.data.AUTOTUNE))
print(sorted(int(x[0]) for x in tf.data.Dataset.range(2).interleave(
    lambda _: ArtificialDataset(), num_parallel_calls=tf.data.AUTOTUNE)))
print([int(x[0]) for x in tf.data.Dataset.range(2).interleave(lambda _: ArtificialDataset())])


def mapped_function(s):
    # Do some hard pre-processing
    tf.py_function(lambda: time.sleep(0.0005), [], ())
    return s


benchmark(ArtificialDataset().map(mapped_function))
benchmark(ArtificialDataset().map(mapped_function, num_parallel_calls=tf.data.AUTOTUNE))
print([int(x[0]) for x in ArtificialDataset().map(mapped_function,
                                                  num_parallel_calls=tf.data.AUTOTUNE)])
benchmark(ArtificialDataset().map(mapped_function).cache(), 5)

fast_dataset = tf.data.Dataset.range(2000)


def fast_benchmark(dataset, num_epochs=2):
    n = 0
    for _ in tf.data.Dataset.range(num_epochs):
        for _ in dataset:
            n += 1
    print("elements:", n)


def increment(x):
    return x + 1


fast_benchmark(fast_dataset.map(increment).batch(256))
fast_benchmark(fast_dataset.batch(256).map(increment))
print(next(iter(fast_dataset.batch(256).map(increment))).numpy()[:5])
print(fast_dataset.batch(256).map(increment).element_spec)

# deterministic option
options = tf.data.Options()
options.deterministic = False
ds = tf.data.Dataset.range(6).map(lambda x: x * 2, num_parallel_calls=2).with_options(options)
print(sorted(int(x) for x in ds), ds.options().deterministic)
ds = tf.data.Dataset.range(6).map(lambda x: x * 2, num_parallel_calls=2, deterministic=True)
print([int(x) for x in ds])
ds = tf.data.Dataset.range(3).interleave(lambda x: tf.data.Dataset.from_tensors(x).repeat(2),
                                         cycle_length=2, block_length=1)
print([int(x) for x in ds])
print(tf.data.experimental.AUTOTUNE == tf.data.AUTOTUNE, tf.data.AUTOTUNE)

# Reproducing the figures: timeline dataset (its element structure)
def dataset_generator_fun(*args):
    return TimeMeasuredDataset(num_samples=3)


class TimeMeasuredDataset(tf.data.Dataset):
    # OUTPUT: (steps, timings, counters)
    OUTPUT_TYPES = (tf.dtypes.string, tf.dtypes.float32, tf.dtypes.int32)
    OUTPUT_SHAPES = ((2, 1), (2, 2), (2, 3))

    _INSTANCES_COUNTER = itertools.count()  # Number of datasets generated

    def _generator(instance_idx, num_samples):
        import collections
        epoch_idx = 0
        # Opening the file
        open_enter = time.perf_counter()
        time.sleep(0.001)
        open_elapsed = time.perf_counter() - open_enter

        for sample_idx in range(num_samples):
            # Reading data (line, record) from the file
            read_enter = time.perf_counter()
            time.sleep(0.0005)
            read_elapsed = time.perf_counter() - read_enter

            yield (
                [("Open",), ("Read",)],
                [(open_enter, open_elapsed), (read_enter, read_elapsed)],
                [(instance_idx, epoch_idx, -1), (instance_idx, epoch_idx, sample_idx)]
            )
            open_enter, open_elapsed = -1., -1.  # Negative values will be filtered

    def __new__(cls, num_samples=3):
        return tf.data.Dataset.from_generator(
            cls._generator,
            output_types=cls.OUTPUT_TYPES,
            output_shapes=cls.OUTPUT_SHAPES,
            args=(next(cls._INSTANCES_COUNTER), num_samples)
        )


ds = TimeMeasuredDataset()
print(ds.element_spec)
steps, times, values = next(iter(ds))
print(steps.numpy().tolist(), values.numpy().tolist(), times.dtype)


def map_decorator(func):
    def wrapper(steps, times, values):
        # Use a tf.py_function to prevent auto-graph from compiling the method
        return tf.py_function(
            func,
            inp=(steps, times, values),
            Tout=(steps.dtype, times.dtype, values.dtype)
        )
    return wrapper


@map_decorator
def naive_map(steps, times, values):
    map_enter = time.perf_counter()
    time.sleep(0.0005)
    map_elapsed = time.perf_counter() - map_enter
    return (
        tf.concat((steps, [["Map"]]), axis=0),
        tf.concat((times, [[map_enter, map_elapsed]]), axis=0),
        tf.concat((values, [values[-1]]), axis=0)
    )


out = list(tf.data.Dataset.range(2).flat_map(dataset_generator_fun).map(naive_map).take(2))
print(len(out), [o.shape for o in out[0]], out[0][0].numpy().tolist(), out[0][2].numpy().tolist())
