# Code cells of TF guides (tensorflow.org/guide), run by tests/test_tf_guides_output.py with
# `import graphflow as tf`; <name>.tf_output.txt is what TF 2.21 printed running this file.
# ---- NumPy-behavior indexing (the 'NumPy API on TensorFlow' guide's indexing cell) with index
# tensors computed inside tf.function, boolean masks, and gradients through the gather
import tensorflow as tf
import numpy as np
tnp = tf.experimental.numpy
tnp.experimental_enable_numpy_behavior()
x = tf.constant(np.arange(24.).reshape(2, 3, 4).astype(np.float32))
@tf.function(jit_compile=False)
def f(x, i, j):
    return [x[i], x[:, j], x[1, :, i], x[i, j], x[..., j], x[i, tnp.newaxis, 1:],
            x[tnp.asarray([0, -1])], x[:, tnp.asarray([[0, 2], [1, 1]]), 1:3], x[[1, 0], 1]]
for r in f(x, tf.constant([1, 0]), tf.constant([2, -1])):
    print(r.shape, r.numpy().tolist())
with tf.GradientTape() as tape:
    tape.watch(x)
    y = tf.reduce_sum(f(x, tf.constant([1, 1]), tf.constant([0, 2]))[3] * 2.)
print(tape.gradient(y, x).numpy().tolist())
m = x[0, :, 0] > 3
print(x[:, m].shape, x[:, m].numpy().tolist(), x[:, m, 1].numpy().tolist(), x[x > 20.].numpy().tolist())
print(x[x[:, 0, 0] > 3].numpy().tolist(), x[1][x[1] > 20.].numpy().tolist())
try:
    x[m]
except ValueError as e:
    print("ValueError")
# boolean masks computed inside tf.function (a run-time count of True entries)
x = tf.constant(np.arange(24.).reshape(2, 3, 4).astype(np.float32))
@tf.function(jit_compile=False)
def fm(x):
    return x[x > 20.], x[:, x[0, :, 0] > 3], x[x[:, 0, 0] > 3, 1], tnp.asarray(x)[x[..., 0] > 10.]
for r in fm(x):
    print(r.shape, r.numpy().tolist())
with tf.GradientTape() as t:
    t.watch(x)
    y = tf.reduce_sum(fm(x)[1] * 3.)
print(t.gradient(y, x).numpy().tolist())
