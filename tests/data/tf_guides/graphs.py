# Code cells of TF guides (tensorflow.org/guide), run by tests/test_tf_guides_output.py with
# `import graphflow as tf`; <name>.tf_output.txt is what TF 2.21 printed running this file.
import tensorflow as tf
import numpy as np
def a_regular_function(x, y, b):
  x = tf.matmul(x, y)
  x = x + b
  return x
a_function_that_uses_a_graph = tf.function(a_regular_function)
x1 = tf.constant([[1.0, 2.0]])
y1 = tf.constant([[2.0], [3.0]])
b1 = tf.constant(4.0)
orig_value = a_regular_function(x1, y1, b1).numpy()
tf_function_value = a_function_that_uses_a_graph(x1, y1, b1).numpy()
print("T1", orig_value, tf_function_value)
def inner_function(x, y, b):
  x = tf.matmul(x, y)
  x = x + b
  return x
@tf.function
def outer_function(x):
  y = tf.constant([[2.0], [3.0]])
  b = tf.constant(4.0)
  return inner_function(x, y, b)
print("T2", outer_function(tf.constant([[1.0, 2.0]])).numpy())
def simple_relu(x):
  if tf.greater(x, 0):
    return x
  else:
    return 0
tf_simple_relu = tf.function(simple_relu)
print("T3 First branch, with graph:", tf_simple_relu(tf.constant(1)).numpy())
print("T4 Second branch, with graph:", tf_simple_relu(tf.constant(-1)).numpy())
@tf.function
def my_relu(x):
  return tf.maximum(0., x)
print("T5", my_relu(tf.constant(5.5)))
print("T6", my_relu([1, -1]))
print("T7", my_relu(tf.constant([3., -3.])))
print("T8", my_relu(tf.constant(-2.5)))
print("T9", my_relu(tf.constant([-1., 1.])))
@tf.function
def get_MSE(y_true, y_pred):
  print("Calculating MSE!")
  sq_diff = tf.pow(y_true - y_pred, 2)
  return tf.reduce_mean(sq_diff)
y_true = tf.random.stateless_uniform([5], seed=[1, 2], maxval=10, dtype=tf.int32)
y_pred = tf.random.stateless_uniform([5], seed=[3, 4], maxval=10, dtype=tf.int32)
print("T10", y_true, y_pred)
error = get_MSE(y_true, y_pred)
error = get_MSE(y_true, y_pred)
error = get_MSE(y_true, y_pred)
print("T11", error)
tf.config.run_functions_eagerly(True)
error = get_MSE(y_true, y_pred)
error = get_MSE(y_true, y_pred)
tf.config.run_functions_eagerly(False)
def unused_return_eager(x):
  tf.gather(x, [1])
  return x
try:
  print(unused_return_eager(tf.constant([0.0])))
except tf.errors.InvalidArgumentError as e:
  print("T12", f'{type(e).__name__}')
@tf.function
def unused_return_graph(x):
  tf.gather(x, [1])
  return x
try:
  print("T13", unused_return_graph(tf.constant([0.0])))
except tf.errors.InvalidArgumentError as e:
  print("T13", f'{type(e).__name__}')
@tf.function
def power(x, y):
  result = tf.eye(10, dtype=tf.dtypes.int32)
  for _ in range(y):
    result = tf.matmul(x, result)
  return result
x = tf.random.stateless_uniform([10, 10], seed=[1, 2], minval=1, maxval=10, dtype=tf.dtypes.int32)
print("T14", int(tf.reduce_sum(power(x, 3))))
