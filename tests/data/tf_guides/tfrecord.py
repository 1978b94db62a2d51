# Code cells of TF guides (tensorflow.org/guide), run by tests/test_tf_guides_output.py with
# `import graphflow as tf`; <name>.tf_output.txt is what TF 2.21 printed running this file.
# ---- the 'TFRecord and tf.train.Example' tutorial (ints where it passes bools: protobuf 5
# refuses bools in Int64List; single map entries printed: map order is unspecified)
import tensorflow as tf
import numpy as np
import os, tempfile
# ---- TFRecord and tf.train.Example
def _bytes_feature(value):
  if isinstance(value, type(tf.constant(0))):
    value = value.numpy()
  return tf.train.Feature(bytes_list=tf.train.BytesList(value=[value]))
def _float_feature(value):
  return tf.train.Feature(float_list=tf.train.FloatList(value=[value]))
def _int64_feature(value):
  return tf.train.Feature(int64_list=tf.train.Int64List(value=[value]))
print(_bytes_feature(b'test_string'))
print(_bytes_feature(u'test_bytes'.encode('utf-8')))
print(_float_feature(np.exp(1)))
print(_int64_feature(1))
feature = _float_feature(np.exp(1))
print(feature.SerializeToString())
n_observations = 8
rng = np.random.default_rng(0)
feature0 = rng.choice([0, 1], n_observations)
feature1 = rng.integers(0, 5, n_observations)
strings = np.array([b'cat', b'dog', b'chicken', b'horse', b'goat'])
feature2 = strings[feature1]
feature3 = rng.normal(size=n_observations)
def serialize_example(feature0, feature1, feature2, feature3):
  feature = {
      'feature0': _int64_feature(int(feature0)),
      'feature1': _int64_feature(int(feature1)),
      'feature2': _bytes_feature(feature2 if isinstance(feature2, bytes) else feature2.numpy() if hasattr(feature2, 'numpy') else bytes(feature2)),
      'feature3': _float_feature(float(feature3)),
  }
  example_proto = tf.train.Example(features=tf.train.Features(feature=feature))
  return example_proto.SerializeToString()
example_observation = [0, 4, b'goat', 0.9876]
serialized_example = serialize_example(*example_observation)
print(len(serialized_example))
example_proto = tf.train.Example.FromString(serialized_example)
print(example_proto.features.feature["feature3"])
print(tf.train.Example(features=tf.train.Features(feature={"f": _float_feature(0.1), "g": _int64_feature(-3)})).features.feature["f"])
print(tf.data.Dataset.from_tensor_slices(feature1))
features_dataset = tf.data.Dataset.from_tensor_slices((feature0, feature1, feature2, feature3))
for f0, f1, f2, f3 in features_dataset.take(1):
  print(f0)
  print(f1)
  print(f2)
  print(round(float(f3), 4))
def tf_serialize_example(f0, f1, f2, f3):
  tf_string = tf.py_function(serialize_example, (f0, f1, f2, f3), tf.string)
  return tf.reshape(tf_string, ())
print(len(tf_serialize_example(f0, f1, f2, f3).numpy()))
serialized_features_dataset = features_dataset.map(tf_serialize_example)
print(serialized_features_dataset)
def generator():
  for features in features_dataset:
    yield serialize_example(*features)
serialized_features_dataset = tf.data.Dataset.from_generator(generator, output_types=tf.string, output_shapes=())
print(serialized_features_dataset)
d = tempfile.mkdtemp()
filename = os.path.join(d, 'test.tfrecord')
writer = tf.data.experimental.TFRecordWriter(filename)
writer.write(serialized_features_dataset)
filenames = [filename]
raw_dataset = tf.data.TFRecordDataset(filenames)
print(raw_dataset)
for raw_record in raw_dataset.take(2):
  print(len(raw_record.numpy()))
feature_description = {
    'feature0': tf.io.FixedLenFeature([], tf.int64, default_value=0),
    'feature1': tf.io.FixedLenFeature([], tf.int64, default_value=0),
    'feature2': tf.io.FixedLenFeature([], tf.string, default_value=''),
    'feature3': tf.io.FixedLenFeature([], tf.float32, default_value=0.0),
}
def _parse_function(example_proto):
  return tf.io.parse_single_example(example_proto, feature_description)
parsed_dataset = raw_dataset.map(_parse_function)
print(parsed_dataset)
for parsed_record in parsed_dataset.take(3):
  print({k: (round(float(v), 4) if v.dtype == tf.float32 else v.numpy()) for k, v in parsed_record.items()})
with tf.io.TFRecordWriter(filename) as writer:
  for i in range(n_observations):
    example = serialize_example(feature0[i], feature1[i], feature2[i], feature3[i])
    writer.write(example)
for raw_record in tf.data.TFRecordDataset([filename]).take(1):
  example = tf.train.Example()
  example.ParseFromString(raw_record.numpy())
  print(sorted(example.features.feature.keys()))
  print(example.features.feature["feature2"].bytes_list.value[0])
result = {}
for key, feature in example.features.feature.items():
  kind = feature.WhichOneof('kind')
  result[key] = np.array(getattr(feature, kind).value)
print(sorted((k, v.dtype.kind) for k, v in result.items()))
batch = tf.io.parse_example(tf.stack([serialize_example(*example_observation), serialize_example(1, 2, b'dog', 1.5)]), feature_description)
print({k: v.numpy().tolist() if k != 'feature3' else np.round(v.numpy(), 4).tolist() for k, v in sorted(batch.items())})
seq_desc = {"tokens": tf.io.VarLenFeature(tf.int64)}
ex = tf.train.Example(features=tf.train.Features(feature={"tokens": tf.train.Feature(int64_list=tf.train.Int64List(value=[3, 1, 4]))}))
parsed = tf.io.parse_single_example(ex.SerializeToString(), seq_desc)
print(type(parsed["tokens"]).__name__, parsed["tokens"].values.numpy().tolist(), parsed["tokens"].dense_shape.numpy().tolist())
print(tf.io.parse_tensor(tf.io.serialize_tensor(tf.constant([[1.5, 2.]])), tf.float32).numpy().tolist())
print(len(tf.io.serialize_tensor(tf.constant([1, 2, 3])).numpy()))
os.remove(filename)
