# Code cells of TF guides (tensorflow.org/guide), run by tests/test_tf_guides_output.py with
# `import graphflow as tf`; <name>.tf_output.txt is what TF 2.21 printed running this file.
# ---- 'Mixed precision' policy API, 'Customization basics', 'Custom training: walkthrough' (its
# loop on generated separable data, fixed initial weights), CheckpointManager, the default
# strategy and 'Distributed input' cells
import tensorflow as tf
import numpy as np
import os, tempfile, shutil
# ---- Mixed precision (policy API on CPU)
from tensorflow import keras
from tensorflow.keras import layers
from tensorflow.keras import mixed_precision
policy = mixed_precision.Policy('mixed_float16')
print(policy, policy.name)
print('Compute dtype: %s' % policy.compute_dtype)
print('Variable dtype: %s' % policy.variable_dtype)
optimizer = keras.optimizers.RMSprop()
optimizer = mixed_precision.LossScaleOptimizer(optimizer)
print(type(optimizer).__name__, float(optimizer.initial_scale) if hasattr(optimizer, "initial_scale") else None)
loss = tf.constant(2., tf.float32)
print(float(optimizer.scale_loss(loss)) if hasattr(optimizer, "scale_loss") else None)
mixed_precision.set_global_policy('float32')
print(mixed_precision.global_policy())
print(mixed_precision.Policy("bfloat16").compute_dtype, mixed_precision.Policy("mixed_bfloat16").variable_dtype)
# ---- Customization basics
print(tf.math.add(1, 2))
print(tf.math.add([1, 2], [3, 4]))
print(tf.math.square(5))
print(tf.math.reduce_sum([1, 2, 3]))
print(tf.math.square(2) + tf.math.square(3))
x = tf.linalg.matmul([[1]], [[2, 3]])
print(x)
print(x.shape)
print(x.dtype)
ndarray = np.ones([3, 3])
tensor = tf.math.multiply(ndarray, 42)
print(tensor)
print(np.add(tensor, 1))
print(tensor.numpy())
ds_tensors = tf.data.Dataset.from_tensor_slices([1, 2, 3, 4, 5, 6])
_, filename = tempfile.mkstemp()
with open(filename, 'w') as f:
  f.write("""Line 1
Line 2
Line 3
  """)
ds_file = tf.data.TextLineDataset(filename)
ds_tensors = ds_tensors.map(tf.math.square).shuffle(2).batch(2)
ds_file = ds_file.batch(2)
print('Elements of ds_tensors:')
print(sorted(v for x in ds_tensors for v in x.numpy().tolist()), [x.shape for x in ds_tensors])
print('\nElements in ds_file:')
for x in ds_file:
  print(x)
os.remove(filename)
# ---- Custom training: walkthrough (the penguin loop on generated, separable data)
rng = np.random.default_rng(0)
centers = np.array([[0., 0., 0., 0.], [4., 4., 0., 0.], [0., 4., 4., 4.]], np.float32)
labels = np.repeat(np.arange(3), 40)
feats = (centers[labels] + rng.normal(0, 0.5, (120, 4))).astype(np.float32)
train_dataset = tf.data.Dataset.from_tensor_slices((feats, labels)).batch(32)
tf.keras.utils.set_random_seed(1)
model = tf.keras.Sequential([
  tf.keras.layers.Dense(10, activation=tf.nn.relu, input_shape=(4,)),
  tf.keras.layers.Dense(10, activation=tf.nn.relu),
  tf.keras.layers.Dense(3)
])
w0 = [np.random.default_rng(7 + i).normal(0, 0.3, v.shape).astype(np.float32) for i, v in enumerate(model.get_weights())]
model.set_weights(w0)
features, labels_b = next(iter(train_dataset))
predictions = model(features)
print(predictions.shape)
loss_object = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
def loss(model, x, y, training):
  y_ = model(x, training=training)
  return loss_object(y_true=y, y_pred=y_)
l = loss(model, features, labels_b, training=False)
print("Loss test: {:.4f}".format(l))
def grad(model, inputs, targets):
  with tf.GradientTape() as tape:
    loss_value = loss(model, inputs, targets, training=True)
  return loss_value, tape.gradient(loss_value, model.trainable_variables)
optimizer = tf.keras.optimizers.SGD(learning_rate=0.01)
loss_value, grads = grad(model, features, labels_b)
print("Step: {}, Initial Loss: {:.4f}".format(optimizer.iterations.numpy(), loss_value.numpy()))
optimizer.apply_gradients(zip(grads, model.trainable_variables))
print("Step: {},         Loss: {:.4f}".format(optimizer.iterations.numpy(), loss(model, features, labels_b, training=True).numpy()))
train_loss_results = []
train_accuracy_results = []
num_epochs = 31
for epoch in range(num_epochs):
  epoch_loss_avg = tf.keras.metrics.Mean()
  epoch_accuracy = tf.keras.metrics.SparseCategoricalAccuracy()
  for x, y in train_dataset:
    loss_value, grads = grad(model, x, y)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    epoch_loss_avg.update_state(loss_value)
    epoch_accuracy.update_state(y, model(x, training=True))
  train_loss_results.append(epoch_loss_avg.result())
  train_accuracy_results.append(epoch_accuracy.result())
  if epoch % 10 == 0:
    print("Epoch {:03d}: Loss: {:.3f}, Accuracy: {:.3%}".format(epoch, epoch_loss_avg.result(), epoch_accuracy.result()))
predict_dataset = tf.convert_to_tensor([[0.1, 0.2, 0.0, 0.1], [4.1, 3.9, 0.2, -0.1], [0.2, 4.1, 3.8, 4.2]])
predictions = model(predict_dataset, training=False)
for i, logits in enumerate(predictions):
  class_idx = tf.math.argmax(logits).numpy()
  p = tf.nn.softmax(logits)[class_idx]
  print("Example {} prediction: {}".format(i, class_idx))
test_accuracy = tf.keras.metrics.Accuracy()
for (x, y) in train_dataset:
  logits = model(x, training=False)
  prediction = tf.math.argmax(logits, axis=1, output_type=tf.int64)
  test_accuracy(prediction, y)
print("Test set accuracy: {:.3%}".format(test_accuracy.result()))
print(tf.stack([y, prediction], axis=1).shape)
# ---- CheckpointManager
ckdir = tempfile.mkdtemp()
v = tf.Variable(1.)
opt = tf.keras.optimizers.Adam(0.1)
ckpt = tf.train.Checkpoint(step=tf.Variable(1), optimizer=opt, v=v)
manager = tf.train.CheckpointManager(ckpt, ckdir, max_to_keep=3)
print(manager.latest_checkpoint)
for i in range(5):
  ckpt.step.assign_add(1)
  v.assign_add(1.)
  path = manager.save()
  print("Saved checkpoint for step {}: {}".format(int(ckpt.step), os.path.basename(path)))
print([os.path.basename(c) for c in manager.checkpoints])
print(os.path.basename(tf.train.latest_checkpoint(ckdir)))
v.assign(0.)
status = ckpt.restore(manager.latest_checkpoint)
print(float(v), int(ckpt.step))
ckpt.restore(manager.checkpoints[0])
print(float(v), int(ckpt.step))
print(sorted(n for n, _ in tf.train.list_variables(manager.latest_checkpoint) if "OPTIMIZER_SLOT" not in n and "optimizer" not in n and n != "_CHECKPOINTABLE_OBJECT_GRAPH"))
print(float(tf.train.load_variable(manager.latest_checkpoint, "v/.ATTRIBUTES/VARIABLE_VALUE")))
m2 = tf.train.CheckpointManager(ckpt, ckdir, max_to_keep=2, checkpoint_name="model")
print(os.path.basename(m2.save(checkpoint_number=100)))
print([os.path.basename(c) for c in m2.checkpoints])
shutil.rmtree(ckdir)
# ---- default distribution strategy
strategy = tf.distribute.get_strategy()
print(type(strategy).__name__, strategy.num_replicas_in_sync)
print(tf.distribute.has_strategy(), tf.distribute.in_cross_replica_context())
ds = tf.data.Dataset.range(8).batch(4)
dist_ds = strategy.experimental_distribute_dataset(ds)
for b in dist_ds:
  print(strategy.run(lambda x: x * 2, args=(b,)).numpy().tolist())
print(float(strategy.reduce(tf.distribute.ReduceOp.SUM, tf.constant(3.), axis=None)))
with strategy.scope():
  vv = tf.Variable(2.)
print(float(vv), tf.distribute.get_replica_context() is not None)
ms = tf.distribute.MirroredStrategy()
print(ms.num_replicas_in_sync)
with ms.scope():
  mv = tf.Variable(1.)
dd = ms.experimental_distribute_dataset(tf.data.Dataset.range(6).batch(3))
print([ms.reduce("SUM", ms.run(lambda x: tf.reduce_sum(x), args=(b,)), axis=None).numpy() for b in dd])
dist_vals = ms.experimental_distribute_values_from_function(lambda ctx: ctx.replica_id_in_sync_group)
print(ms.experimental_local_results(dist_vals))
