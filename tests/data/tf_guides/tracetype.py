# Code cells of TF guides (tensorflow.org/guide), run by tests/test_tf_guides_output.py with
# `import graphflow as tf`; <name>.tf_output.txt is what TF 2.21 printed running this file.
import tensorflow as tf
# ---- 'Better performance with tf.function': custom TraceType, extension types and Python containers
class Fruit:
  flavor = tf.constant([0, 0])
class Apple(Fruit):
  flavor = tf.constant([1, 2])
class Mango(Fruit):
  flavor = tf.constant([3, 4])
class FruitTraceType(tf.types.experimental.TraceType):
  def __init__(self, fruit):
    self.fruit_type = type(fruit)
    self.fruit_value = fruit
  def is_subtype_of(self, other):
    return (type(other) is FruitTraceType and
            self.fruit_type is other.fruit_type)
  def most_specific_common_supertype(self, others):
    return self if all(self == other for other in others) else None
  def placeholder_value(self, placeholder_context=None):
    return self.fruit_value
  def __eq__(self, other):
    return type(other) is FruitTraceType and self.fruit_type == other.fruit_type
  def __hash__(self):
    return hash(self.fruit_type)
class FruitWithTraceType:
  def __tf_tracing_type__(self, context):
    return FruitTraceType(self)
class AppleWithTraceType(FruitWithTraceType):
  flavor = tf.constant([1, 2])
class MangoWithTraceType(FruitWithTraceType):
  flavor = tf.constant([3, 4])
@tf.function
def get_mixed_flavor(fruit_a, fruit_b):
  print("Tracing get_mixed_flavor")
  return fruit_a.flavor + fruit_b.flavor
apple, mango = AppleWithTraceType(), MangoWithTraceType()
print(get_mixed_flavor(apple, mango))
print(get_mixed_flavor(apple, mango))
print(get_mixed_flavor.experimental_get_tracing_count())
print(FruitTraceType(apple).is_subtype_of(FruitTraceType(AppleWithTraceType())), FruitTraceType(apple).most_specific_common_supertype([FruitTraceType(mango)]))
print(isinstance(apple, tf.types.experimental.SupportsTracingProtocol), isinstance(tf.constant(1), tf.types.experimental.TensorLike), isinstance(get_mixed_flavor, tf.types.experimental.GenericFunction))
@tf.function
def f(x):
  print("Tracing f with", type(x).__name__)
  return x
f([1, 2]); f([1, 2]); f([1, 3]); f((1, 2)); f({"a": 1}); f({"a": 1}); f({"a": tf.constant(1)}); f({"a": tf.constant(2)})
print(f.experimental_get_tracing_count())
@tf.function
def g(x):
  print("Tracing g")
  return x + 1
g(tf.constant(1)); g(tf.constant([1, 2])); g(tf.constant([1, 2, 3]))
print(g.experimental_get_tracing_count())
@tf.function(reduce_retracing=True)
def h(x):
  print("Tracing h", x.shape)
  return x + 1
h(tf.constant([1])); h(tf.constant([1, 2])); h(tf.constant([1, 2, 3])); h(tf.constant([1, 2, 3, 4]))
print(h.experimental_get_tracing_count())
class SimpleModel(tf.Module):
  def __init__(self):
    self.v = tf.Variable(2.)
  @tf.function(input_signature=[tf.TensorSpec([], tf.float32)])
  def __call__(self, x):
    print("Tracing SimpleModel")
    return self.v * x
m = SimpleModel()
print(m(tf.constant(3.)), m(tf.constant(4.)))
print(m.__call__.experimental_get_tracing_count())
cf = m.__call__.get_concrete_function()
print(cf(tf.constant(5.)))
@tf.function
def outer(x):
  @tf.function
  def inner(y):
    return y * 2
  return inner(x) + 1
print(outer(tf.constant(3)))
@tf.function
def loop_fn(n):
  ta = tf.TensorArray(tf.int32, size=0, dynamic_size=True)
  for i in tf.range(n):
    ta = ta.write(i, i * i)
  return ta.stack()
print(loop_fn(tf.constant(5)))
@tf.function
def while_fn(x):
  while tf.reduce_sum(x) > 1:
    x = tf.tanh(x)
  return x
print(while_fn(tf.constant([5., 4.])).numpy().round(4).tolist())
@tf.function
def cond_fn(x):
  if x > 0:
    return x * 2
  return -x
print(cond_fn(tf.constant(3)), cond_fn(tf.constant(-3)))
@tf.function
def py_loop(x):
  for i in range(3):
    x += i
  return x
print(py_loop(tf.constant(1)))
@tf.function
def break_fn(n):
  s = tf.constant(0)
  for i in tf.range(n):
    if i > 3:
      break
    s += i
  return s
print(break_fn(tf.constant(10)))
