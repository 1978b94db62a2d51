# Code cells of TF guides (tensorflow.org/guide), run by tests/test_tf_guides_output.py with
# `import graphflow as tf`; <name>.tf_output.txt is what TF 2.21 printed running this file.
import tensorflow as tf, numpy as np
# ---- Tensor slicing
t1 = tf.constant([0, 1, 2, 3, 4, 5, 6, 7])
print("S1", tf.slice(t1, begin=[1], size=[3]).numpy().tolist(), t1[-3:].numpy().tolist())
t2 = tf.constant([[0, 1, 2, 3, 4], [5, 6, 7, 8, 9], [10, 11, 12, 13, 14], [15, 16, 17, 18, 19]])
print("S2", t2[:-1, 1:3].numpy().tolist())
t3 = tf.constant([[[1, 3, 5, 7], [9, 11, 13, 15]], [[17, 19, 21, 23], [25, 27, 29, 31]]])
print("S3", tf.slice(t3, begin=[1, 1, 0], size=[1, 1, 2]).numpy().tolist())
print("S4", tf.gather(t1, indices=[0, 3, 6]).numpy().tolist())
alphabet = tf.constant(list('abcdefghijklmnopqrstuvwxyz'))
print("S5", tf.gather(alphabet, indices=[2, 0, 19, 18]).numpy().tolist())
t4 = tf.constant([[0, 5], [1, 6], [2, 7], [3, 8], [4, 9]])
print("S6", tf.gather_nd(t4, indices=[[2], [3], [0]]).numpy().tolist())
t5 = np.reshape(np.arange(18), [2, 3, 3])
print("S7", tf.gather_nd(t5, indices=[[0, 0, 0], [1, 2, 1]]).numpy().tolist())
print("S8", tf.gather_nd(t5, indices=[[[0, 0], [0, 2]], [[1, 0], [1, 2]]]).numpy().tolist())
t6 = tf.constant([10])
indices = tf.constant([[1], [3], [5], [7], [9]])
data = tf.constant([2, 4, 6, 8, 10])
print("S9", tf.scatter_nd(indices=indices, updates=data, shape=t6).numpy().tolist())
t7 = tf.gather_nd(t2, indices=[[2, 7], [4, 6]]) if False else None
t8 = tf.sparse.SparseTensor(indices=[[0, 2], [1, 0]], values=[10, 2], dense_shape=[3, 4])
print("S10", tf.sparse.to_dense(t8).numpy().tolist())
t10 = tf.constant([[1, 2, 3], [4, 5, 6], [7, 8, 9]])
print("S11", tf.tensor_scatter_nd_update(t10, indices=[[0, 2], [1, 0]], updates=[-1, -2]).numpy().tolist())
print("S12", tf.tensor_scatter_nd_add(t10, indices=[[0, 2], [1, 0]], updates=[-1, -2]).numpy().tolist())
t11 = tf.constant([[2, 7, 0], [9, 0, 1], [0, 3, 8]])
t12 = tf.tensor_scatter_nd_max(t11, indices=[[0, 2]], updates=[6])
print("S13", t12.numpy().tolist(), tf.tensor_scatter_nd_min(t11, indices=[[0, 2]], updates=[-6]).numpy().tolist())
t13 = tf.tensor_scatter_nd_sub(t11, indices=[[0, 0], [1, 1]], updates=[1, 1])
print("S14", t13.numpy().tolist())
print("S15", tf.strided_slice(t1, [1], [7], [2]).numpy().tolist())
print("S16", tf.boolean_mask(t2, [True, False, True, False]).numpy().tolist())
# ---- Variables
my_tensor = tf.constant([[1.0, 2.0], [3.0, 4.0]])
my_variable = tf.Variable(my_tensor)
bool_variable = tf.Variable([False, False, False, True])
complex_variable = tf.Variable([5 + 4j, 6 + 1j])
print("V1", my_variable.shape, my_variable.dtype, my_variable.numpy().tolist())
print("V2", tf.convert_to_tensor(my_variable).numpy().tolist(), tf.math.argmax(my_variable).numpy().tolist())
print("V3", tf.reshape(my_variable, [1, 4]).numpy().tolist())
a = tf.Variable([2.0, 3.0]); a.assign([1, 2])
try: a.assign([1.0, 2.0, 3.0])
except Exception as e: print("V4", isinstance(e, ValueError))
a = tf.Variable([2.0, 3.0]); b = tf.Variable(a); a.assign([5, 6])
print("V5", a.numpy().tolist(), b.numpy().tolist(), a.assign_add([2,3]).numpy().tolist(), a.assign_sub([7,9]).numpy().tolist())
a = tf.Variable(my_tensor, name="Mark"); b = tf.Variable(my_tensor + 1, name="Mark")
print("V6", a.name, b.name, bool(tf.reduce_all(a == b)))
step_counter = tf.Variable(1, trainable=False); print("V7", step_counter.trainable)
with tf.device('CPU:0'):
  a = tf.Variable([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]); b = tf.constant([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]); c = tf.matmul(a, b)
print("V8", c.numpy().tolist())
# ---- Advanced autodiff
x = tf.Variable(2.0); y = tf.Variable(3.0)
with tf.GradientTape() as t:
  x_sq = x * x
  with t.stop_recording():
    y_sq = y * y
  z = x_sq + y_sq
grad = t.gradient(z, {'x': x, 'y': y})
print("A1", grad['x'].numpy(), grad['y'])
x = tf.Variable(2.0); y = tf.Variable(3.0)
with tf.GradientTape() as t:
  y_sq = y**2
  z = x**2 + tf.stop_gradient(y_sq)
grad = t.gradient(z, {'x': x, 'y': y})
print("A2", grad['x'].numpy(), grad['y'])
@tf.custom_gradient
def clip_gradients(y):
  def backward(dy):
    return tf.clip_by_norm(dy, 0.5)
  return y, backward
v = tf.Variable(2.0)
with tf.GradientTape() as t:
  output = clip_gradients(v * v)
print("A3", t.gradient(output, v).numpy())
x0 = tf.constant(0.0); x1 = tf.constant(0.0)
with tf.GradientTape() as tape0, tf.GradientTape() as tape1:
  tape0.watch(x0); tape1.watch(x1)
  y0 = tf.math.sin(x0); y1 = tf.nn.sigmoid(x1)
  y = y0 + y1
  ys = tf.reduce_sum(y)
print("A4", tape0.gradient(ys, x0).numpy(), tape1.gradient(ys, x1).numpy())
x = tf.Variable(1.0)
with tf.GradientTape() as t2:
  with tf.GradientTape() as t1:
    y = x * x * x
  dy_dx = t1.gradient(y, x)
d2y_dx2 = t2.gradient(dy_dx, x)
print("A5", dy_dx.numpy(), d2y_dx2.numpy())
x = tf.linspace(-10.0, 10.0, 200+1); delta = tf.Variable(0.0)
with tf.GradientTape() as tape:
  y = tf.nn.sigmoid(x+delta)
dy_dx = tape.jacobian(y, delta)
print("A6", y.shape, dy_dx.shape, float(tf.reduce_sum(dy_dx)))
x = tf.random.normal([7, 5], seed=1) if False else tf.constant(np.linspace(-1, 1, 35).reshape(7, 5).astype(np.float32))
layer = tf.keras.layers.Dense(10, activation=tf.nn.relu, kernel_initializer="ones")
with tf.GradientTape(persistent=True) as tape:
  y = layer(x)
j = tape.jacobian(y, layer.kernel)
print("A7", j.shape, float(tf.reduce_sum(j)))
g = tape.gradient(y, layer.kernel)
print("A8", g.shape, float(tf.reduce_sum(g)))
j_sum = tf.reduce_sum(j, axis=[0, 1]); delta = tf.reduce_max(abs(g - j_sum)).numpy(); print("A9", delta < 1e-6)
x = tf.constant(np.linspace(-1, 1, 35).reshape(7, 5).astype(np.float32))
layer1 = tf.keras.layers.Dense(8, activation=tf.nn.elu, kernel_initializer="ones")
layer2 = tf.keras.layers.Dense(6, activation=tf.nn.elu, kernel_initializer="ones")
with tf.GradientTape(persistent=True, watch_accessed_variables=False) as tape:
  tape.watch(x)
  y = layer1(x); y = layer2(y)
j = tape.jacobian(y, x); jb = tape.batch_jacobian(y, x)
print("A10", j.shape, jb.shape, float(tf.reduce_sum(jb)))
j_sum = tf.reduce_sum(j, axis=2); print("A11", j_sum.shape, float(tf.reduce_max(abs(tf.einsum('bxby->bxy', j) - jb))))
x = tf.Variable(2.0)
with tf.GradientTape() as tape:
  y = x * [3., 4.]
print("A12", tape.gradient(y, x).numpy())
x = tf.linspace(-10.0, 10.0, 200+1)
with tf.GradientTape() as tape:
  tape.watch(x); y = tf.nn.sigmoid(x)
dy_dx = tape.gradient(y, x); print("A13", float(tf.reduce_sum(dy_dx)))
x = tf.Variable([[1.0, 2.0], [3.0, 4.0]], dtype=tf.float32)
with tf.GradientTape() as tape:
  x2 = x**2
  y = tf.math.reduce_mean(x2, axis=0)
  z = tf.math.reduce_sum(y)
print("A14", tape.gradient(z, x).numpy().tolist())
primals = tf.constant([1., 2.]); tangents = tf.constant([1., 0.])
with tf.autodiff.ForwardAccumulator(primals, tangents) as acc:
  out = primals ** 3
print("A15", acc.jvp(out).numpy().tolist())
# ---- Sparse tensors
st1 = tf.sparse.SparseTensor(indices=[[0, 3], [2, 4]], values=[10, 20], dense_shape=[3, 10])
print("P1", st1.indices.numpy().tolist(), st1.values.numpy().tolist(), st1.dense_shape.numpy().tolist())
st2 = tf.sparse.from_dense([[1, 0, 0, 8], [0, 0, 0, 0], [0, 0, 3, 0]])
print("P2", st2.indices.numpy().tolist(), st2.values.numpy().tolist())
st_a = tf.sparse.SparseTensor(indices=[[0, 2], [3, 4]], values=[31, 2], dense_shape=[4, 10])
st_b = tf.sparse.SparseTensor(indices=[[0, 2], [7, 0]], values=[56, 38], dense_shape=[4, 10])
try: print("P3", tf.sparse.to_dense(tf.sparse.add(st_a, st_b)).numpy().tolist())
except Exception as e: print("P3", isinstance(e, (ValueError, tf.errors.InvalidArgumentError)))
st_c = tf.sparse.SparseTensor(indices=([0, 1], [1, 0], [1, 1]), values=[13, 15, 17], dense_shape=(2, 2))
mb = tf.constant([[4], [6]])
print("P4", tf.sparse.sparse_dense_matmul(st_c, mb).numpy().tolist())
sparse_pattern_A = tf.sparse.SparseTensor(indices = [[2,4], [3,3], [3,4], [4,3], [4,4], [5,4]], values = [1,1,1,1,1,1], dense_shape = [8,5])
sparse_pattern_B = tf.sparse.SparseTensor(indices = [[0,2], [1,1], [1,3], [2,0], [2,4], [2,5], [3,5], [4,5], [5,0], [5,4], [5,5], [6,1], [6,3], [7,2]], values = [1,1,1,1,1,1,1,1,1,1,1,1,1,1], dense_shape = [8,6])
sparse_pattern_C = tf.sparse.SparseTensor(indices = [[3,0], [4,0]], values = [1,1], dense_shape = [8,6])
sparse_patterns_list = [sparse_pattern_A, sparse_pattern_B, sparse_pattern_C]
sparse_pattern = tf.sparse.concat(axis=1, sp_inputs=sparse_patterns_list)
print("P5", tf.sparse.to_dense(sparse_pattern).numpy().tolist())
sparse_slice_A = tf.sparse.slice(sparse_pattern_A, start = [0,0], size = [8,5])
sparse_slice_B = tf.sparse.slice(sparse_pattern_B, start = [0,5], size = [8,6])
print("P6", tf.sparse.to_dense(sparse_slice_B).numpy().tolist())
st2_plus_5 = tf.sparse.map_values(tf.add, st2, 5)
print("P7", tf.sparse.to_dense(st2_plus_5).numpy().tolist())
st2_plus_5 = tf.sparse.SparseTensor(st2.indices, st2.values + 5, st2.dense_shape)
print("P8", tf.sparse.to_dense(st2_plus_5).numpy().tolist())
@tf.function
def f(x,y):
  return tf.sparse.sparse_dense_matmul(x,y)
a = tf.sparse.SparseTensor(indices=[[0, 3], [2, 4]], values=[15, 25], dense_shape=[3, 10])
b = tf.sparse.to_dense(tf.sparse.transpose(a))
c = f(a,b)
print("P9", c.numpy().tolist())
st = tf.sparse.SparseTensor(indices=[[0, 0], [1, 1]], values=[1.0, 2.0], dense_shape=[2, 2])
print("P10", tf.math.reduce_sum(tf.sparse.to_dense(st)).numpy(), tf.sparse.reduce_sum(st).numpy(), tf.sparse.reduce_max(st, axis=1).numpy().tolist())
st_ = tf.sparse.SparseTensor(indices=[[0, 1], [1, 0]], values=[3, 5], dense_shape=[2, 3])
print("P11", tf.sparse.to_dense(tf.sparse.reorder(tf.sparse.SparseTensor(indices=[[1, 0], [0, 1]], values=[5, 3], dense_shape=[2, 3]))).numpy().tolist())
x = tf.keras.Input(shape=(4,), sparse=True)
y = tf.keras.layers.Dense(4, kernel_initializer="ones")(x)
model = tf.keras.Model(x, y)
sparse_data = tf.sparse.SparseTensor(indices = [(0,0),(0,1),(0,2),(4,3),(5,0),(5,1)], values = [1,1,1,1,1,1], dense_shape = (6,4))
print("P12", model(sparse_data).numpy().tolist())
print("P13", model.predict(sparse_data, verbose=0).tolist())
