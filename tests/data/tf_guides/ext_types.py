# Code cells of TF guides (tensorflow.org/guide), run by tests/test_tf_guides_output.py with
# `import graphflow as tf`; <name>.tf_output.txt is what TF 2.21 printed running this file.
# ---- the 'Extension types' guide (TF 2.21 has them as tf.experimental.ExtensionType)
import tensorflow as tf
import numpy as np
# ---- Extension types guide
class TensorGraph(tf.experimental.ExtensionType):
  """A collection of labeled nodes connected by weighted edges."""
  edge_weights: tf.RaggedTensor
  node_labels: tf.Tensor
class MaskedTensor(tf.experimental.ExtensionType):
  """A tensor paired with a boolean mask, indicating which values are valid."""
  values: tf.Tensor
  mask: tf.Tensor
mt = MaskedTensor(values=[[1, 2, 3], [4, 5, 6]], mask=[[True, True, False], [True, False, True]])
print(mt)
print(mt.values)
print(tf.nest.flatten(mt, expand_composites=True) == [mt.values, mt.mask] if False else len(tf.nest.flatten(mt, expand_composites=True)))
import typing
class Player(tf.experimental.ExtensionType):
  name: tf.Tensor
  attributes: typing.Mapping[str, float]
print(Player(name="Alice", attributes={"height": 1.6}).attributes["height"])
class Pair(tf.experimental.ExtensionType):
  first: tf.Tensor
  second: tf.Tensor
  def __validate__(self):
    self.first.shape.assert_is_compatible_with(self.second.shape)
try:
  Pair(tf.constant([1, 2]), tf.constant([1, 2, 3]))
except ValueError as e:
  print("ValueError:", e)
class MaskedTensor(tf.experimental.ExtensionType):
  values: tf.Tensor
  mask: tf.Tensor
  def __repr__(self):
    return masked_tensor_str(self.values, self.mask)
def masked_tensor_str(values, mask):
  if isinstance(values, tf.Tensor):
    if hasattr(values, 'numpy') and hasattr(mask, 'numpy'):
      return f'<MaskedTensor {masked_tensor_str(values.numpy(), mask.numpy())}>'
    else:
      return f'MaskedTensor(values={values}, mask={mask})'
  if len(values.shape) == 1:
    items = [repr(v) if m else '_' for (v, m) in zip(values, mask)]
  else:
    items = [masked_tensor_str(v, m) for (v, m) in zip(values, mask)]
  return '[%s]' % ', '.join(items)
mt = MaskedTensor(values=[[1, 2, 3], [4, 5, 6]], mask=[[True, True, False], [True, False, True]])
print(mt)
class MaskedTensor(tf.experimental.ExtensionType):
  values: tf.Tensor
  mask: tf.Tensor
  def __repr__(self):
    return masked_tensor_str(self.values, self.mask)
  def with_default(self, default):
    return tf.where(self.mask, self.values, default)
  def __neg__(self):
    return MaskedTensor(-self.values, self.mask)
  def __add__(self, other):
    return MaskedTensor(self.values + other.values, self.mask & other.mask)
  shape = property(lambda self: self.values.shape)
  dtype = property(lambda self: self.values.dtype)
mt = MaskedTensor(values=[[1, 2, 3], [4, 5, 6]], mask=[[True, True, False], [True, False, True]])
print(mt.with_default(0))
print(-mt)
print(mt + mt)
print(mt.shape, mt.dtype)
@tf.function
def f(x):
  return x + x
print(f(mt))
mt2 = MaskedTensor(values=tf.constant([1., 2.]), mask=tf.constant([True, False]))
print(type(mt2._type_spec).__name__ if hasattr(mt2, "_type_spec") else None)
print(MaskedTensor.Spec(values=tf.TensorSpec([2], tf.float32), mask=tf.TensorSpec([2], tf.bool)))
ds = tf.data.Dataset.from_tensors(mt2)
for x in ds:
  print(x)
print(tf.nest.map_structure(lambda t: t, mt2, expand_composites=True))
class Point(tf.experimental.ExtensionType):
  x: float
  y: float
p = Point(1.5, 2.)
print(p, p.x)
try:
  p.x = 5.
except AttributeError as e:
  print("AttributeError")
