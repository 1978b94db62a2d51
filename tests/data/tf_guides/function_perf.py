# Code cells of TF guides (tensorflow.org/guide), run by tests/test_tf_guides_output.py with
# `import graphflow as tf`; <name>.tf_output.txt is what TF 2.21 printed running this file
# (here stdout and stderr: TF's tf.print writes to stderr, graphflow's to stdout).
import tensorflow as tf
# ---- Better performance with tf.function
def add(a, b):
  return a + b
print(tf.function(add)(tf.ones([2, 2]), tf.ones([2, 2])))
v = tf.Variable(1.0)
with tf.GradientTape() as tape:
  result = tf.function(add)(v, 1.0)
print(tape.gradient(result, v))
@tf.function
def dense_layer(x, w, b):
  return add(tf.matmul(x, w), b)
print(dense_layer(tf.ones([3, 2]), tf.ones([2, 2]), tf.ones([2])))
@tf.function
def double(a):
  print("Tracing with", a)
  return a + a
print(double(tf.constant(1)))
print()
print(double(tf.constant(1.1)))
print()
print(double(tf.constant("a")))
print()
print(double(tf.constant("b")))
print(double.pretty_printed_concrete_signatures())
print("Obtaining concrete trace")
double_strings = double.get_concrete_function(tf.constant("a"))
print("Executing traced function")
print(double_strings(tf.constant("a")))
print(double_strings(a=tf.constant("b")))
print(double.get_concrete_function(tf.TensorSpec(shape=[], dtype=tf.string))(tf.constant("c")))
print(double_strings)
print(double_strings.structured_input_signature)
try:
  double_strings(tf.constant(1))
except tf.errors.InvalidArgumentError:
  print("Caught expected exception")
@tf.function
def pow(a, b):
  return a ** b
square = pow.get_concrete_function(a=tf.TensorSpec(None, tf.float32), b=2)
assert square(tf.constant(10.0)) == 100
try:
  square(tf.constant(10.0), b=3)
except TypeError as e:
  print("Caught expected exception")
graph = double_strings.graph
print(sorted(graph.as_graph_def().node[0].input), graph.as_graph_def().node[0].name)
print(tf.function(add).python_function is add)
@tf.function(input_signature=(tf.TensorSpec(shape=[None], dtype=tf.int32),))
def next_collatz(x):
  print("Tracing with", x)
  return tf.where(x % 2 == 0, x // 2, 3 * x + 1)
print(next_collatz(tf.constant([1, 2])))
try:
  next_collatz(tf.constant([[1, 2], [3, 4]]))
except TypeError:
  print("Caught expected exception")
try:
  next_collatz(tf.constant([1.0, 2.0]))
except TypeError:
  print("Caught expected exception")
@tf.function(input_signature=(tf.TensorSpec(shape=[None], dtype=tf.int32),))
def g(x):
  print('Tracing with', x)
  return x
print(g(tf.constant([1, 2, 3])))
print(g(tf.constant([1, 2, 3, 4, 5])))
@tf.function(reduce_retracing=True)
def g(x):
  print('Tracing with', x)
  return x
print(g(tf.constant([1, 2, 3])))
print(g(tf.constant([1, 2, 3, 4, 5])))
def train_one_step():
  pass
@tf.function
def train(num_steps):
  print("Tracing with num_steps = ", num_steps)
  tf.print("Executing with num_steps = ", num_steps)
  for _ in tf.range(num_steps):
    train_one_step()
print("Retracing occurs for different Python arguments.")
train(num_steps=10)
train(num_steps=20)
print()
print("Traces are reused for Tensor arguments.")
train(num_steps=tf.constant(10))
train(num_steps=tf.constant(20))
def f():
  print('Tracing!')
  tf.print('Executing')
tf.function(f)()
tf.function(f)()
f = tf.function(f)
f()
f()
@tf.function
def f(x):
  print("Traced with", x)
  tf.print("Executed with", x)
f(1)
f(1)
f(2)
external_list = []
@tf.function
def side_effect(x):
  print('Python side effect')
  external_list.append(x)
side_effect(1)
side_effect(1)
side_effect(1)
assert len(external_list) == 1
class Model(tf.Module):
  def __init__(self):
    self.v = tf.Variable(0)
    self.counter = 0
  @tf.function
  def __call__(self):
    if self.counter == 0:
      self.counter += 1
      self.v.assign_add(1)
    return self.v
m = Model()
for n in range(3):
  print(m().numpy())
@tf.function
def f(x):
  v = tf.Variable(1.0)
  return v
try:
  f(1.0)
except ValueError as e:
  print("Caught expected exception")
class Count(tf.Module):
  def __init__(self):
    self.count = None
  @tf.function
  def __call__(self):
    if self.count is None:
      self.count = tf.Variable(0)
    return self.count.assign_add(1)
c = Count()
print(c())
print(c())
@tf.function
def buggy_consume_next(iterator):
  tf.print("Value:", next(iterator))
iterator = iter([1, 2, 3])
buggy_consume_next(iterator)
buggy_consume_next(iterator)
buggy_consume_next(iterator)
@tf.function
def good_consume_next(iterator):
  tf.print("Value:", next(iterator))
iterator = iter(tf.data.Dataset.from_tensor_slices([1, 2, 3]))
good_consume_next(iterator)
good_consume_next(iterator)
good_consume_next(iterator)
x = None
@tf.function
def leaky_function(a):
  global x
  x = a + 1
  return a + 2
correct_a = leaky_function(tf.constant(1))
print(correct_a.numpy())
try:
  x.numpy()
except AttributeError as expected:
  print('AttributeError')
@tf.function
def recursive_fn(n):
  if n > 0:
    return recursive_fn(n - 1)
  else:
    return 1
print(recursive_fn(3))
@tf.function
def get_mixed_flavor(fruit_a, fruit_b):
  return fruit_a.flavor + fruit_b.flavor
class Fruit:
  flavor = tf.constant([0, 0])
class Apple(Fruit):
  flavor = tf.constant([1, 2])
class Mango(Fruit):
  flavor = tf.constant([3, 4])
print(get_mixed_flavor(Apple(), Mango()))
Apple.flavor = Mango.flavor
print(get_mixed_flavor(Apple(), Mango()))
@tf.function
def buggy_add():
  return 1 + foo
foo = 1
print(buggy_add())
foo = 100
print(buggy_add())
@tf.function
def variable_add():
  return 1 + foo
foo = tf.Variable(1)
print(variable_add())
foo.assign(100)
print(variable_add())
print(double.experimental_get_tracing_count())
@tf.function
def f(x):
  return x * 2
f(1); f(2); f(tf.constant(1)); f(tf.constant(2.))
print(f.experimental_get_tracing_count())
tf.config.run_functions_eagerly(True)
@tf.function
def get_MSE(y_true, y_pred):
  print("Calculating MSE!")
  sq_diff = tf.pow(y_true - y_pred, 2)
  return tf.reduce_mean(sq_diff)
y_true = tf.constant([1, 2, 3, 4, 5])
y_pred = tf.constant([1, 1, 2, 2, 3])
error = get_MSE(y_true, y_pred)
error = get_MSE(y_true, y_pred)
print(error)
tf.config.run_functions_eagerly(False)
error = get_MSE(y_true, y_pred)
error = get_MSE(y_true, y_pred)
print(error)
