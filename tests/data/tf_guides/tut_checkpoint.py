# "Training checkpoints" guide (tensorflow.org/guide/checkpoint).
import os
import tempfile
import numpy as np
import tensorflow as tf
class Net(tf.keras.Model):
  """A simple linear model."""
  def __init__(self):
    super(Net, self).__init__()
    self.l1 = tf.keras.layers.Dense(5)
  def call(self, x):
    return self.l1(x)
net = Net()
d = tempfile.mkdtemp()
os.chdir(d)
def toy_dataset():
  inputs = tf.range(10.)[:, None]
  labels = inputs * 5. + tf.range(5.)[None, :]
  return tf.data.Dataset.from_tensor_slices(
    dict(x=inputs, y=labels)).repeat().batch(2)
def train_step(net, example, optimizer):
  """Trains `net` on `example` using `optimizer`."""
  with tf.GradientTape() as tape:
    output = net(example['x'])
    loss = tf.reduce_mean(tf.abs(output - example['y']))
  variables = net.trainable_variables
  gradients = tape.gradient(loss, variables)
  optimizer.apply_gradients(zip(gradients, variables))
  return loss
opt = tf.keras.optimizers.Adam(0.1)
dataset = toy_dataset()
iterator = iter(dataset)
ckpt = tf.train.Checkpoint(step=tf.Variable(1), optimizer=opt, net=net, iterator=iterator)
manager = tf.train.CheckpointManager(ckpt, './tf_ckpts', max_to_keep=3)
def train_and_checkpoint(net, manager):
  ckpt.restore(manager.latest_checkpoint)
  if manager.latest_checkpoint:
    print("Restored from {}".format(manager.latest_checkpoint))
  else:
    print("Initializing from scratch.")
  losses = []
  for _ in range(50):
    example = next(iterator)
    loss = train_step(net, example, opt)
    losses.append(float(loss))
    ckpt.step.assign_add(1)
    if int(ckpt.step) % 10 == 0:
      save_path = manager.save()
      print("Saved checkpoint for step {}: {}".format(int(ckpt.step), save_path))
  print("losses finite {}".format(bool(np.isfinite(losses).all())))
train_and_checkpoint(net, manager)
net.save_weights('easy_checkpoint.weights.h5')
print(sorted(os.listdir(d)))
opt = tf.keras.optimizers.Adam(0.1)
net = Net()
dataset = toy_dataset()
iterator = iter(dataset)
ckpt = tf.train.Checkpoint(step=tf.Variable(1), optimizer=opt, net=net, iterator=iterator)
manager = tf.train.CheckpointManager(ckpt, './tf_ckpts', max_to_keep=3)
train_and_checkpoint(net, manager)
print(manager.checkpoints)
print(sorted(os.listdir('./tf_ckpts')))
to_restore = tf.Variable(tf.zeros([5]))
print(to_restore.numpy())
fake_layer = tf.train.Checkpoint(bias=to_restore)
fake_net = tf.train.Checkpoint(l1=fake_layer)
new_root = tf.train.Checkpoint(net=fake_net)
status = new_root.restore(tf.train.latest_checkpoint('./tf_ckpts/'))
print(np.round(to_restore.numpy(), 3).shape)
try:
  status.assert_consumed()
except AssertionError as e:
  print("AssertionError", type(e).__name__)
status.assert_existing_objects_matched()
delayed_restore = tf.Variable(tf.zeros([1, 5]))
print(delayed_restore.numpy())
fake_layer.kernel = delayed_restore
print(np.round(delayed_restore.numpy(), 3).shape)
names = [name for name, shape in tf.train.list_variables(tf.train.latest_checkpoint('./tf_ckpts/'))]
print(len(names) > 0, 'step/.ATTRIBUTES/VARIABLE_VALUE' in names)
# (Keras 3 names the kernel 'net/l1/_kernel/...', Keras 2 and graphflow 'net/l1/kernel/...')
key = [n for n in names if n.startswith('net/l1/') and 'kernel/.ATTRIBUTES' in n][0]
print(dict(tf.train.list_variables(tf.train.latest_checkpoint('./tf_ckpts/')))[key])
reader = tf.train.load_checkpoint('./tf_ckpts/')
shape_from_key = reader.get_variable_to_shape_map()
dtype_from_key = reader.get_variable_to_dtype_map()
print(shape_from_key[key], dtype_from_key[key].name)
print(reader.get_tensor(key).shape)
save = tf.train.Checkpoint()
save.listed = [tf.Variable(1.)]
save.listed.append(tf.Variable(2.))
save.mapped = {'one': save.listed[0]}
save.mapped['two'] = save.listed[1]
save_path = save.save('./tf_list_example')
restore = tf.train.Checkpoint()
v2 = tf.Variable(0.)
print(0. == v2.numpy())
restore.mapped = {'two': v2}
restore.restore(save_path)
print(v2.numpy())
restore.listed = []
print(restore.listed)
v1 = tf.Variable(0.)
restore.listed.append(v1)
print(v1.numpy())
