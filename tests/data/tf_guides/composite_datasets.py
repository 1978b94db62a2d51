# Code cells of TF guides (tensorflow.org/guide), run by tests/test_tf_guides_output.py with
# `import graphflow as tf`; <name>.tf_output.txt is what TF 2.21 printed running this file.
import tensorflow as tf
sparse_data = tf.sparse.SparseTensor(indices = [(0,0),(0,1),(0,2),(4,3),(5,0),(5,1)], values = [1,1,1,1,1,1], dense_shape = (6,4))
dataset = tf.data.Dataset.from_tensor_slices(sparse_data)
for element in dataset:
  print("D1", element.indices.numpy().tolist(), element.values.numpy().tolist(), element.dense_shape.numpy().tolist())
batched_dataset = dataset.batch(2)
for element in batched_dataset:
  print("D2", element.indices.numpy().tolist(), element.dense_shape.numpy().tolist())
for element in batched_dataset.unbatch():
  print("D3", element.indices.numpy().tolist(), element.dense_shape.numpy().tolist())
class MaskedTensor(tf.experimental.BatchableExtensionType):
  values: tf.Tensor
  mask: tf.Tensor
mt = MaskedTensor(tf.reshape(tf.range(12), [4, 3]), tf.constant([[True, False, True]] * 4))
ds = tf.data.Dataset.from_tensor_slices(mt)
for value in ds:
  print("D4", value.values.numpy().tolist(), value.mask.numpy().tolist())
print("D5", ds.element_spec)
batched = ds.batch(2)
for value in batched:
  print("D6", value.values.numpy().tolist())
for value in batched.unbatch():
  print("D7", value.values.numpy().tolist())
print("D8", batched.unbatch().element_spec)
