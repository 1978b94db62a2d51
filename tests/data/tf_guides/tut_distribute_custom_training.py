# "Custom training with tf.distribute.Strategy" tutorial
# (tensorflow.org/tutorials/distribute/custom_training): MirroredStrategy on the one CPU, Fashion-MNIST
# replaced by generated uint8 images (small sizes, 2 epochs). Losses and accuracies depend on the
# random initialization: printed as checks (finite, in range); metric.reset_states() is written
# reset_state() (Keras 3 has no reset_states: the unchanged tutorial stops there in TF 2.21).
import os
import tempfile
import numpy as np
import tensorflow as tf

os.chdir(tempfile.mkdtemp())
print(tf.__version__[:2])
# ---- data (fashion_mnist.load_data() replaced)
_rng = np.random.RandomState(0)
(train_images, train_labels), (test_images, test_labels) = (
    (_rng.randint(0, 256, (96, 28, 28)).astype('uint8'), _rng.randint(0, 10, (96,)).astype('uint8')),
    (_rng.randint(0, 256, (40, 28, 28)).astype('uint8'), _rng.randint(0, 10, (40,)).astype('uint8')))

train_images = train_images[..., None]
test_images = test_images[..., None]

train_images = train_images / np.float32(255)
test_images = test_images / np.float32(255)
strategy = tf.distribute.MirroredStrategy()
print('Number of devices: {}'.format(strategy.num_replicas_in_sync))
BUFFER_SIZE = len(train_images)

BATCH_SIZE_PER_REPLICA = 32
GLOBAL_BATCH_SIZE = BATCH_SIZE_PER_REPLICA * strategy.num_replicas_in_sync

EPOCHS = 2
train_dataset = tf.data.Dataset.from_tensor_slices((train_images, train_labels)).shuffle(BUFFER_SIZE).batch(GLOBAL_BATCH_SIZE)
test_dataset = tf.data.Dataset.from_tensor_slices((test_images, test_labels)).batch(GLOBAL_BATCH_SIZE)

train_dist_dataset = strategy.experimental_distribute_dataset(train_dataset)
test_dist_dataset = strategy.experimental_distribute_dataset(test_dataset)
def create_model():
  regularizer = tf.keras.regularizers.L2(1e-5)
  model = tf.keras.Sequential([
      tf.keras.layers.Conv2D(32, 3,
                             activation='relu',
                             kernel_regularizer=regularizer),
      tf.keras.layers.MaxPooling2D(),
      tf.keras.layers.Conv2D(64, 3,
                             activation='relu',
                             kernel_regularizer=regularizer),
      tf.keras.layers.MaxPooling2D(),
      tf.keras.layers.Flatten(),
      tf.keras.layers.Dense(64,
                            activation='relu',
                            kernel_regularizer=regularizer),
      tf.keras.layers.Dense(10, kernel_regularizer=regularizer)
    ])

  return model
checkpoint_dir = './training_checkpoints'
checkpoint_prefix = os.path.join(checkpoint_dir, "ckpt")
with strategy.scope():
  # Set reduction to `NONE` so you can do the reduction yourself.
  loss_object = tf.keras.losses.SparseCategoricalCrossentropy(
      from_logits=True,
      reduction=tf.keras.losses.Reduction.NONE)
  def compute_loss(labels, predictions, model_losses):
    per_example_loss = loss_object(labels, predictions)
    loss = tf.nn.compute_average_loss(per_example_loss)
    if model_losses:
      loss += tf.nn.scale_regularization_loss(tf.add_n(model_losses))
    return loss
# (the loss helpers on fixed values)
print(tf.nn.compute_average_loss(tf.constant([1., 2., 3., 6.])).numpy(),
      tf.nn.compute_average_loss(tf.constant([1., 2., 3., 6.]), global_batch_size=8).numpy(),
      tf.nn.scale_regularization_loss(tf.constant(4.)).numpy(),
      loss_object(tf.constant([0, 1]), tf.constant([[2., 0.], [0., 2.]])).numpy())
with strategy.scope():
  test_loss = tf.keras.metrics.Mean(name='test_loss')

  train_accuracy = tf.keras.metrics.SparseCategoricalAccuracy(
      name='train_accuracy')
  test_accuracy = tf.keras.metrics.SparseCategoricalAccuracy(
      name='test_accuracy')
with strategy.scope():
  model = create_model()

  optimizer = tf.keras.optimizers.Adam(learning_rate=0.001)

  checkpoint = tf.train.Checkpoint(optimizer=optimizer, model=model)
def train_step(inputs):
  images, labels = inputs

  with tf.GradientTape() as tape:
    predictions = model(images, training=True)
    loss = compute_loss(labels, predictions, model.losses)

  gradients = tape.gradient(loss, model.trainable_variables)
  optimizer.apply_gradients(zip(gradients, model.trainable_variables))

  train_accuracy.update_state(labels, predictions)
  return loss

def test_step(inputs):
  images, labels = inputs

  predictions = model(images, training=False)
  t_loss = loss_object(labels, predictions)

  test_loss.update_state(t_loss)
  test_accuracy.update_state(labels, predictions)
@tf.function
def distributed_train_step(dataset_inputs):
  per_replica_losses = strategy.run(train_step, args=(dataset_inputs,))
  return strategy.reduce(tf.distribute.ReduceOp.SUM, per_replica_losses,
                         axis=None)

@tf.function
def distributed_test_step(dataset_inputs):
  return strategy.run(test_step, args=(dataset_inputs,))

def _ok(loss, *accs):   # (the printed figures: finite loss, accuracies in [0, 100])
  return bool(np.isfinite(float(loss))) and all(0 <= float(a) <= 100 for a in accs)

for epoch in range(EPOCHS):
  # TRAIN LOOP
  total_loss = 0.0
  num_batches = 0
  for x in train_dist_dataset:
    total_loss += distributed_train_step(x)
    num_batches += 1
  train_loss = total_loss / num_batches

  # TEST LOOP
  for x in test_dist_dataset:
    distributed_test_step(x)

  if epoch % 2 == 0:
    checkpoint.save(checkpoint_prefix)

  template = ("Epoch {}, Loss: {}, Accuracy: {}, Test Loss: {}, "
              "Test Accuracy: {}")
  print(template.format(epoch + 1, train_loss.dtype,
                         _ok(train_loss, train_accuracy.result() * 100), _ok(test_loss.result()),
                         _ok(0, test_accuracy.result() * 100)))

  test_loss.reset_state()
  train_accuracy.reset_state()
  test_accuracy.reset_state()
print(num_batches, len(model.losses), sorted(os.listdir(checkpoint_dir)))
eval_accuracy = tf.keras.metrics.SparseCategoricalAccuracy(
      name='eval_accuracy')

new_model = create_model()
new_optimizer = tf.keras.optimizers.Adam()

test_dataset = tf.data.Dataset.from_tensor_slices((test_images, test_labels)).batch(GLOBAL_BATCH_SIZE)
@tf.function
def eval_step(images, labels):
  predictions = new_model(images, training=False)
  eval_accuracy(labels, predictions)
checkpoint = tf.train.Checkpoint(optimizer=new_optimizer, model=new_model)
checkpoint.restore(tf.train.latest_checkpoint(checkpoint_dir))

for images, labels in test_dataset:
  eval_step(images, labels)

print('Accuracy after restoring the saved model without strategy: {}'.format(
    _ok(0, eval_accuracy.result() * 100)))
print(tf.train.latest_checkpoint(checkpoint_dir).split(os.sep)[-2:],
      [bool(np.allclose(a, b)) for a, b in zip(new_model.get_weights()[:2], model.get_weights()[:2])])
for _ in range(EPOCHS):
  total_loss = 0.0
  num_batches = 0
  train_iter = iter(train_dist_dataset)

  for _ in range(2):
    total_loss += distributed_train_step(next(train_iter))
    num_batches += 1
  average_train_loss = total_loss / num_batches

  template = ("Epoch {}, Loss: {}, Accuracy: {}")
  print(template.format(epoch + 1, _ok(average_train_loss), _ok(0, train_accuracy.result() * 100)))
  train_accuracy.reset_state()
@tf.function
def distributed_train_epoch(dataset):
  total_loss = 0.0
  num_batches = 0
  for x in dataset:
    per_replica_losses = strategy.run(train_step, args=(x,))
    total_loss += strategy.reduce(
      tf.distribute.ReduceOp.SUM, per_replica_losses, axis=None)
    num_batches += 1
  return total_loss / tf.cast(num_batches, dtype=tf.float32)

for epoch in range(EPOCHS):
  train_loss = distributed_train_epoch(train_dist_dataset)

  template = ("Epoch {}, Loss: {}, Accuracy: {}")
  print(template.format(epoch + 1, _ok(train_loss), _ok(0, train_accuracy.result() * 100)))

  train_accuracy.reset_state()
print(distributed_train_step.experimental_get_tracing_count(),
      distributed_train_epoch.experimental_get_tracing_count(), int(optimizer.iterations.numpy()))
