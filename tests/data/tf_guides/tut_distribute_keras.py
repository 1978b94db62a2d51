# "Distributed training with Keras" tutorial (tensorflow.org/tutorials/distribute/keras):
# MirroredStrategy on the one CPU; tfds MNIST replaced by generated uint8 images / int64 labels in
# a dict of tf.data datasets with an `info` of the same splits (small sizes). fit / evaluate run
# with verbose=0 (progress bars) and print the losses' types and the learning-rate schedule;
# `!ls` and `%tensorboard` cells are written as os.listdir.
import os
import tempfile
import numpy as np
import tensorflow as tf
os.chdir(tempfile.mkdtemp())
print(tf.__version__[:2])
# ---- data (tfds.load('mnist', with_info=True, as_supervised=True) replaced)
class _Split:
  def __init__(self, n):
    self.num_examples = n
class _Info:
  splits = {'train': _Split(96), 'test': _Split(32)}
_rng = np.random.RandomState(0)
def _images(n):
  return (tf.data.Dataset.from_tensor_slices(
      (_rng.randint(0, 256, (n, 28, 28, 1)).astype('uint8'),
       _rng.randint(0, 10, (n,)).astype('int64'))))
datasets, info = {'train': _images(96), 'test': _images(32)}, _Info()
mnist_train, mnist_test = datasets['train'], datasets['test']
# ----
strategy = tf.distribute.MirroredStrategy()
print('Number of devices: {}'.format(strategy.num_replicas_in_sync))
num_train_examples = info.splits['train'].num_examples
num_test_examples = info.splits['test'].num_examples

BUFFER_SIZE = 10000

BATCH_SIZE_PER_REPLICA = 64
BATCH_SIZE = BATCH_SIZE_PER_REPLICA * strategy.num_replicas_in_sync
def scale(image, label):
  image = tf.cast(image, tf.float32)
  image /= 255

  return image, label
train_dataset = mnist_train.map(scale).cache().shuffle(BUFFER_SIZE).batch(BATCH_SIZE)
eval_dataset = mnist_test.map(scale).batch(BATCH_SIZE)
print(train_dataset.element_spec)
with strategy.scope():
  model = tf.keras.Sequential([
      tf.keras.layers.Conv2D(32, 3, activation='relu', input_shape=(28, 28, 1)),
      tf.keras.layers.MaxPooling2D(),
      tf.keras.layers.Flatten(),
      tf.keras.layers.Dense(64, activation='relu'),
      tf.keras.layers.Dense(10)
  ])

  model.compile(loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                optimizer=tf.keras.optimizers.Adam(learning_rate=0.001),
                metrics=['accuracy'])
# Define the checkpoint directory to store the checkpoints.
checkpoint_dir = './training_checkpoints'
# Define the name of the checkpoint files.
checkpoint_prefix = os.path.join(checkpoint_dir, "ckpt_{epoch:04d}.weights.h5")
# Define a function for decaying the learning rate.
# You can define any decay function you need.
def decay(epoch):
  if epoch < 3:
    return 1e-3
  elif epoch >= 3 and epoch < 7:
    return 1e-4
  else:
    return 1e-5
# Define a callback for printing the learning rate at the end of each epoch.
class PrintLR(tf.keras.callbacks.Callback):
  def on_epoch_end(self, epoch, logs=None):
    print('\nLearning rate for epoch {} is {}'.format(epoch + 1, model.optimizer.learning_rate.numpy()))
# Put all the callbacks together.
callbacks = [
    tf.keras.callbacks.TensorBoard(log_dir='./logs'),
    tf.keras.callbacks.ModelCheckpoint(filepath=checkpoint_prefix,
                                       save_weights_only=True),
    tf.keras.callbacks.LearningRateScheduler(decay),
    PrintLR()
]
EPOCHS = 12

history = model.fit(train_dataset, epochs=EPOCHS, callbacks=callbacks, verbose=0)
print(sorted(history.history), len(history.history['loss']), history.history['learning_rate'])
# Check the checkpoint directory.
print(sorted(os.listdir(checkpoint_dir)))
import pathlib
latest_checkpoint = sorted(pathlib.Path(checkpoint_dir).glob('*'))[-1]

model.load_weights(latest_checkpoint)

eval_loss, eval_acc = model.evaluate(eval_dataset, verbose=0)

print('Eval loss: {}, Eval accuracy: {}'.format(type(eval_loss).__name__, 0 <= eval_acc <= 1))
print(sorted(os.listdir('./logs')))
path = 'my_model.keras'
model.save(path)
unreplicated_model = tf.keras.models.load_model(path)

unreplicated_model.compile(
    loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    optimizer=tf.keras.optimizers.Adam(),
    metrics=['accuracy'])

eval_loss2, eval_acc2 = unreplicated_model.evaluate(eval_dataset, verbose=0)

print('Eval loss: {}, Eval Accuracy: {}'.format(abs(eval_loss2 - eval_loss) < 1e-5, eval_acc2 == eval_acc))
with strategy.scope():
  replicated_model = tf.keras.models.load_model(path)
  replicated_model.compile(loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                           optimizer=tf.keras.optimizers.Adam(),
                           metrics=['accuracy'])

  eval_loss3, eval_acc3 = replicated_model.evaluate(eval_dataset, verbose=0)
  print ('Eval loss: {}, Eval Accuracy: {}'.format(abs(eval_loss3 - eval_loss) < 1e-5, eval_acc3 == eval_acc))
