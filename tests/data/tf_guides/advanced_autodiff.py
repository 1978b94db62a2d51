# Code cells of TF guides (tensorflow.org/guide), run by tests/test_tf_guides_output.py with
# `import graphflow as tf`; <name>.tf_output.txt is what TF 2.21 printed running this file.
import tensorflow as tf, numpy as np
x = tf.Variable(2.0)
y = tf.Variable(3.0)
reset = True
with tf.GradientTape() as t:
  y_sq = y * y
  if reset:
    t.reset()
  z = x * x + y_sq
grad = t.gradient(z, {'x': x, 'y': y})
print("B1", grad['x'].numpy(), grad['y'])
x = tf.constant(np.linspace(-1, 1, 35).reshape(7, 5).astype(np.float32))
layer = tf.keras.layers.Dense(5, kernel_initializer="ones")
x = tf.constant(np.linspace(-1, 1, 35).reshape(7, 5).astype(np.float32))
with tf.GradientTape() as t2:
  with tf.GradientTape() as t1:
    t1.watch(x)
    y = layer(x)
    out = tf.reduce_sum(layer(x)**2)
  g1 = t1.gradient(out, x)
  g1_mag = tf.norm(g1)
dg1_mag = t2.gradient(g1_mag, layer.trainable_variables)
print("B2", [v.shape for v in dg1_mag], [round(float(tf.reduce_sum(v)), 3) for v in dg1_mag])
x = tf.constant(np.linspace(-1, 1, 35).reshape(7, 5).astype(np.float32))
layer1 = tf.keras.layers.Dense(8, activation=tf.nn.relu, kernel_initializer="ones")
layer2 = tf.keras.layers.Dense(6, activation=tf.nn.relu, kernel_initializer="ones")
with tf.GradientTape() as t2:
  with tf.GradientTape() as t1:
    x = layer1(x)
    x = layer2(x)
    loss = tf.reduce_mean(x**2)
  g = t1.gradient(loss, layer1.kernel)
h = t2.jacobian(g, layer1.kernel)
print("B3", f'layer.kernel.shape: {layer1.kernel.shape}', f'h.shape: {h.shape}', round(float(tf.reduce_sum(h)), 3))
n_params = tf.reduce_prod(layer1.kernel.shape)
g_vec = tf.reshape(g, [n_params, 1])
h_mat = tf.reshape(h, [n_params, n_params])
print("B4", g_vec.shape, h_mat.shape)
eps = 1e-3
eye_eps = tf.eye(h_mat.shape[0])*eps
update = tf.linalg.solve(h_mat + eye_eps, g_vec)
print("B5", update.shape, round(float(tf.reduce_sum(update)), 3))
x = tf.Variable([1.0, 2.0])
with tf.GradientTape(persistent=True) as tape:
  y = x * x
print("B6", tape.jacobian(y, x).numpy().tolist())
x = tf.constant([[1.0, 2.0], [3.0, 4.0]])
with tf.GradientTape() as tape:
  tape.watch(x)
  y = tf.nn.softplus(x)
print("B7", np.round(tape.gradient(y, x).numpy(), 6).tolist())
x = tf.Variable(2.)
with tf.GradientTape() as tape:
  z = tf.constant([1., 2.]) * x
print("B8", tape.gradient(z, [x, tf.Variable(1.)], unconnected_gradients=tf.UnconnectedGradients.ZERO))
@tf.custom_gradient
def log1pexp(x):
  e = tf.exp(x)
  def grad(upstream):
    return upstream * (1 - 1 / (1 + e))
  return tf.math.log(1 + e), grad
x = tf.constant(100.)
with tf.GradientTape() as tape:
  tape.watch(x)
  y = log1pexp(x)
print("B9", tape.gradient(y, x).numpy())
x = tf.Variable(3.0)
with tf.GradientTape() as tape:
  with tf.autodiff.ForwardAccumulator(x, tf.constant(1.)) as acc:
    y = x ** 3
  jvp = acc.jvp(y)
print("B10", jvp.numpy(), tape.gradient(jvp, x).numpy())
v = tf.constant([1., 0.])
x = tf.constant([2., 3.])
with tf.autodiff.ForwardAccumulator(x, v) as acc:
  with tf.GradientTape() as tape:
    tape.watch(x)
    y = tf.reduce_sum(x ** 3)
  g = tape.gradient(y, x)
print("B11", g.numpy().tolist(), acc.jvp(g).numpy().tolist())
