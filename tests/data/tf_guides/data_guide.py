# Code cells of TF guides (tensorflow.org/guide), run by tests/test_tf_guides_output.py with
# `import graphflow as tf`; <name>.tf_output.txt is what TF 2.21 printed running this file.
import tensorflow as tf
import numpy as np
# ---- tf.data: Build TensorFlow input pipelines
dataset = tf.data.Dataset.from_tensor_slices([8, 3, 0, 8, 2, 1])
print(dataset)
for elem in dataset:
  print(elem.numpy())
it = iter(dataset)
print(next(it).numpy())
print(dataset.reduce(0, lambda state, value: state + value).numpy())
dataset1 = tf.data.Dataset.from_tensor_slices(tf.random.uniform([4, 10]))
print(dataset1.element_spec)
dataset2 = tf.data.Dataset.from_tensor_slices(
   (tf.random.uniform([4]),
    tf.random.uniform([4, 100], maxval=100, dtype=tf.int32)))
print(dataset2.element_spec)
dataset3 = tf.data.Dataset.zip((dataset1, dataset2))
print(dataset3.element_spec)
dataset4 = tf.data.Dataset.from_tensors(tf.SparseTensor(indices=[[0, 0], [1, 2]], values=[1, 2], dense_shape=[3, 4]))
print(dataset4.element_spec)
print(dataset4.element_spec.value_type.__name__)
dataset1 = tf.data.Dataset.from_tensor_slices(
    tf.random.uniform([4, 10], minval=1, maxval=10, dtype=tf.int32))
for z in dataset1:
  print(z.shape)
dataset2 = tf.data.Dataset.from_tensor_slices(
   (tf.random.uniform([4]),
    tf.random.uniform([4, 100], maxval=100, dtype=tf.int32)))
for a, b in dataset2:
  print(a.shape, b.shape)
dataset3 = tf.data.Dataset.zip((dataset1, dataset2))
for a, (b,c) in dataset3:
  print('shapes: {a.shape}, {b.shape}, {c.shape}'.format(a=a, b=b, c=c))
features = np.arange(12).reshape(4, 3).astype(np.float32)
labels = np.array([0, 1, 0, 1])
dataset = tf.data.Dataset.from_tensor_slices((features, labels))
print(dataset)
def count(stop):
  i = 0
  while i<stop:
    yield i
    i += 1
for n in count(5):
  print(n)
ds_counter = tf.data.Dataset.from_generator(count, args=[25], output_types=tf.int32, output_shapes = (), )
for count_batch in ds_counter.repeat().batch(10).take(10):
  print(count_batch.numpy())
def gen_series():
  i = 0
  while True:
    size = (i * 7) % 10
    yield i, np.arange(size) * 0.5
    i += 1
for i, series in gen_series():
  print(i, ":", str(series))
  if i > 5:
    break
ds_series = tf.data.Dataset.from_generator(
    gen_series,
    output_types=(tf.int32, tf.float32),
    output_shapes=((), (None,)))
print(ds_series)
ds_series_batch = ds_series.shuffle(1, seed=1).padded_batch(10)
ids, sequence_batch = next(iter(ds_series_batch))
print(ids.numpy())
print()
print(sequence_batch.numpy())
ds_sig = tf.data.Dataset.from_generator(gen_series, output_signature=(
    tf.TensorSpec(shape=(), dtype=tf.int32), tf.TensorSpec(shape=(None,), dtype=tf.float32)))
print(ds_sig.element_spec)
inc_dataset = tf.data.Dataset.range(100)
dec_dataset = tf.data.Dataset.range(0, -100, -1)
dataset = tf.data.Dataset.zip((inc_dataset, dec_dataset))
batched_dataset = dataset.batch(4)
for batch in batched_dataset.take(4):
  print([arr.numpy() for arr in batch])
print(batched_dataset)
batched_dataset = dataset.batch(7, drop_remainder=True)
print(batched_dataset)
dataset = tf.data.Dataset.range(100)
dataset = dataset.map(lambda x: tf.fill([tf.cast(x, tf.int32)], x))
dataset = dataset.padded_batch(4, padded_shapes=(None,))
for batch in dataset.take(2):
  print(batch.numpy())
  print()
ds = tf.data.Dataset.range(6).repeat(2).batch(4)
print([b.numpy().tolist() for b in ds])
lines = tf.data.Dataset.range(10)
counter = tf.data.Dataset.counter()
dataset = tf.data.Dataset.zip((counter, lines))
dataset = dataset.shuffle(buffer_size=100, seed=0)
dataset = dataset.batch(20)
print(dataset)
def parse(x):
  return x * 2
ds = tf.data.Dataset.range(5).map(parse, num_parallel_calls=tf.data.AUTOTUNE)
print(list(ds.as_numpy_iterator()))
def upper_case_fn(t: np.ndarray):
  return t.decode('utf-8').upper()
d = tf.data.Dataset.from_tensor_slices(['hello', 'world'])
d = d.map(lambda x: tf.py_function(func=lambda y: y.numpy().decode().upper(), inp=[x], Tout=tf.string))
print(list(d.as_numpy_iterator()))
range_ds = tf.data.Dataset.range(100000)
batches = range_ds.batch(10, drop_remainder=True)
for batch in batches.take(5):
  print(batch.numpy())
def dense_1_step(batch):
  return batch[:-1], batch[1:]
predict_dense_1_step = batches.map(dense_1_step)
for features, label in predict_dense_1_step.take(3):
  print(features.numpy(), " => ", label.numpy())
batches = range_ds.batch(15, drop_remainder=True)
def label_next_5_steps(batch):
  return (batch[:-5], batch[-5:])
predict_5_steps = batches.map(label_next_5_steps)
for features, label in predict_5_steps.take(3):
  print(features.numpy(), " => ", label.numpy())
feature_length = 10
label_length = 3
features = range_ds.batch(feature_length, drop_remainder=True)
labels = range_ds.batch(feature_length).skip(1).map(lambda labels: labels[:label_length])
predicted_steps = tf.data.Dataset.zip((features, labels))
for features, label in predicted_steps.take(5):
  print(features.numpy(), " => ", label.numpy())
window_size = 5
windows = range_ds.window(window_size, shift=1)
for sub_ds in windows.take(5):
  print(sub_ds)
for x in windows.flat_map(lambda x: x).take(30):
   print(x.numpy(), end=' ')
print()
def sub_to_batch(sub):
  return sub.batch(window_size, drop_remainder=True)
for example in windows.flat_map(sub_to_batch).take(5):
  print(example.numpy())
def make_window_dataset(ds, window_size=5, shift=1, stride=1):
  windows = ds.window(window_size, shift=shift, stride=stride)
  def sub_to_batch(sub):
    return sub.batch(window_size, drop_remainder=True)
  windows = windows.flat_map(sub_to_batch)
  return windows
ds = make_window_dataset(range_ds, window_size=10, shift = 5, stride=3)
for example in ds.take(10):
  print(example.numpy())
dense_labels_ds = ds.map(dense_1_step)
for inputs,labels in dense_labels_ds.take(3):
  print(inputs.numpy(), "=>", labels.numpy())
# interleave
ds = tf.data.Dataset.range(1, 6)
print(list(ds.interleave(lambda x: tf.data.Dataset.from_tensors(x).repeat(6), cycle_length=2, block_length=4).as_numpy_iterator()))
print(list(ds.interleave(lambda x: tf.data.Dataset.range(x), cycle_length=3).as_numpy_iterator()))
# group_by_window, bucket_by_sequence_length
ds = tf.data.Dataset.range(10)
print([b.tolist() for b in ds.group_by_window(key_func=lambda x: x % 2, reduce_func=lambda _, els: els.batch(3), window_size=3).as_numpy_iterator()])
elements = [[0], [1, 2, 3, 4], [5, 6, 7], [7, 8, 9, 10, 11], [13, 14, 15, 16, 19, 20], [21, 22]]
dataset = tf.data.Dataset.from_generator(lambda: elements, tf.int64, output_shapes=[None])
dataset = dataset.bucket_by_sequence_length(element_length_func=lambda elem: tf.shape(elem)[0], bucket_boundaries=[3, 5], bucket_batch_sizes=[2, 2, 2])
for elem in dataset.as_numpy_iterator():
  print(elem.tolist())
# scan, take_while, unique, enumerate, filter, shard, skip, concatenate, zip
print(list(tf.data.Dataset.range(5).scan(tf.constant(0, tf.int64), lambda s, x: (s + x, s * 10 + x)).as_numpy_iterator()))
print(list(tf.data.Dataset.range(10).take_while(lambda x: x < 4).as_numpy_iterator()))
print(sorted(tf.data.Dataset.from_tensor_slices([1, 37, 2, 37, 2, 1]).unique().as_numpy_iterator()))
print(list(tf.data.Dataset.from_tensor_slices([7, 8, 9]).enumerate(start=5).as_numpy_iterator()))
print(list(tf.data.Dataset.range(10).filter(lambda x: x % 3 == 0).shard(2, 1).as_numpy_iterator()))
print(list(tf.data.Dataset.range(3).concatenate(tf.data.Dataset.range(7, 9)).skip(1).as_numpy_iterator()))
print(list(tf.data.Dataset.range(3).map(lambda x: {"a": x, "b": (x, -x)}).as_numpy_iterator()))
print(tf.data.Dataset.range(10).cardinality().numpy(), tf.data.Dataset.range(10).filter(lambda x: True).cardinality().numpy(), tf.data.Dataset.range(3).repeat().cardinality().numpy())
print(len(tf.data.Dataset.range(10).batch(3)))
print(tf.data.Dataset.range(5).batch(2).element_spec, tf.data.Dataset.range(5).batch(2, drop_remainder=True).element_spec)
try:
  tf.data.Dataset.range(8).rebatch(3)
except ValueError as e:
  print("ValueError:", "Invalid `batch_sizes`. Expected dataset with rank of >= 1" in str(e))
print([b.tolist() for b in tf.data.Dataset.range(8).batch(3).rebatch(2).as_numpy_iterator()])
ds = tf.data.Dataset.from_tensor_slices(tf.ragged.constant([[1, 2], [3], [4, 5, 6]]))
print(ds.element_spec)
print([r.tolist() for r in ds.ragged_batch(2).map(lambda r: r.to_tensor()).as_numpy_iterator()])
print(tf.data.Dataset.range(5).map(lambda x: tf.strings.as_string(x)).element_spec)
print(list(tf.data.Dataset.range(4).apply(tf.data.experimental.assert_cardinality(4)).as_numpy_iterator()))
print(tf.data.Dataset.from_tensors([1, 2]).get_single_element().numpy())
print(list(tf.data.Dataset.range(6).batch(2).unbatch().as_numpy_iterator()))
print(list(tf.data.Dataset.range(3).flat_map(lambda x: tf.data.Dataset.from_tensors(x).repeat(x)).as_numpy_iterator()))
print(list(tf.data.Dataset.range(4).prefetch(2).cache().as_numpy_iterator()))
print(list(tf.data.Dataset.from_tensor_slices(([1, 2], ["a", "b"])).as_numpy_iterator()))
opts = tf.data.Options()
opts.deterministic = False
print(tf.data.Dataset.range(3).with_options(opts).options().deterministic)
print(list(tf.data.Dataset.zip(tf.data.Dataset.range(3), tf.data.Dataset.range(3, 6)).as_numpy_iterator()))
print(list(tf.data.Dataset.range(5).window(2, drop_remainder=True).flat_map(lambda w: w.batch(2)).as_numpy_iterator()))
print(list(tf.data.Dataset.choose_from_datasets([tf.data.Dataset.from_tensors("a").repeat(), tf.data.Dataset.from_tensors("b").repeat()], tf.data.Dataset.from_tensor_slices(tf.constant([0, 1, 1, 0], tf.int64))).as_numpy_iterator()))
print(list(tf.data.Dataset.range(7).batch(3).map(lambda b: tf.reduce_sum(b)).as_numpy_iterator()))
print(list(tf.data.Dataset.range(3).map(lambda x: (x, x * 2)).map(lambda a, b: a + b).as_numpy_iterator()))
print(list(tf.data.Dataset.sample_from_datasets([tf.data.Dataset.from_tensors(1).repeat(3), tf.data.Dataset.from_tensors(2).repeat(3)], weights=[1.0, 0.0], seed=1).as_numpy_iterator()))
print(list(tf.data.Dataset.range(3).repeat(2).as_numpy_iterator()))
print(tf.data.Dataset.range(10).shuffle(3, reshuffle_each_iteration=False).cardinality().numpy())
print(list(tf.data.Dataset.from_tensor_slices({"x": [1, 2], "y": [[3], [4]]}).batch(2).as_numpy_iterator())[0]["y"].tolist())
