# The TF2 code of the "Migrate to TF2" guides (tensorflow.org/guide/migrate/*): metrics and
# optimizers, early stopping, LoggingTensorHook/StopAtStepHook -> callbacks, SessionRunHook ->
# callback, SidecarEvaluator; the TF1 Estimator halves are left out. MNIST / tfds loads replaced
# by generated arrays (small sizes, few epochs); random initial weights replaced by set_weights
# where weights or losses are printed; fit progress bars off (verbose=0), timings not printed;
# metric.reset_states() written reset_state() (Keras 3 has no reset_states: TF 2.21 stops there).
import os
import tempfile
import time
from datetime import datetime
import numpy as np
import tensorflow as tf
tf.keras.backend.clear_session()   # (layer names as in a new process: printed paths hold them)

# ---- metrics_optimizers
features = [[1., 1.5], [2., 2.5], [3., 3.5]]
labels = [0, 0, 1]
eval_features = [[4., 4.5], [5., 5.5], [6., 6.5]]
eval_labels = [0, 1, 1]
dataset = tf.data.Dataset.from_tensor_slices((features, labels)).batch(1)
eval_dataset = tf.data.Dataset.from_tensor_slices(
      (eval_features, eval_labels)).batch(1)

inputs = tf.keras.Input((2,))
logits = tf.keras.layers.Dense(2)(inputs)
try:   # (Keras 3: a TF op on a KerasTensor is an error, in TF 2.21 as here)
  predictions = tf.math.argmax(input=logits, axis=1)
except ValueError as e:
  print(type(e).__name__, str(e).split('.')[0])
  predictions = tf.keras.layers.Lambda(lambda t: tf.math.argmax(input=t, axis=1))(logits)
model = tf.keras.models.Model(inputs, predictions)
optimizer = tf.keras.optimizers.Adagrad(learning_rate=0.05)
model.set_weights([np.array([[0.5, -0.5], [-0.25, 0.75]], np.float32), np.zeros(2, np.float32)])

model.compile(optimizer, loss='mse', metrics=[tf.keras.metrics.Accuracy()])
print(model.evaluate(eval_dataset, return_dict=True, verbose=0))
accuracy = tf.keras.metrics.Accuracy()

accuracy.update_state(y_true=[0, 0, 1, 1], y_pred=[0, 0, 0, 1])
print(accuracy.result().numpy())

accuracy.update_state(y_true=[0, 0, 1, 1], y_pred=[0, 0, 0, 0])
accuracy.update_state(y_true=[0, 0, 1, 1], y_pred=[1, 1, 0, 0])
print(accuracy.result().numpy())

# ---- logging_stop_hook
features = [[1., 1.5], [2., 2.5], [3., 3.5]]
labels = [[0.3], [0.5], [0.7]]
class StopAtStepCallback(tf.keras.callbacks.Callback):
  def __init__(self, stop_step=None):
    super().__init__()
    self._stop_step = stop_step

  def on_batch_end(self, batch, logs=None):
    if self.model.optimizer.iterations >= self._stop_step:
      self.model.stop_training = True
      print('\nstop training now')

class LoggingTensorCallback(tf.keras.callbacks.Callback):
  def __init__(self, every_n_iter):
      super().__init__()
      self._every_n_iter = every_n_iter
      self._log_count = every_n_iter

  def on_batch_end(self, batch, logs=None):
    if self._log_count > 0:
      self._log_count -= 1
      print("Logging Tensor Callback: dense/kernel:",
            model.layers[0].weights[0])
      print("Logging Tensor Callback: dense/bias:",
            model.layers[0].weights[1])
      print("Logging Tensor Callback loss:", logs["loss"])
    else:
      self._log_count -= self._every_n_iter
dataset = tf.data.Dataset.from_tensor_slices((features, labels)).batch(1)
model = tf.keras.models.Sequential([tf.keras.layers.Dense(1)])
optimizer = tf.keras.optimizers.Adagrad(learning_rate=0.05)
model.compile(optimizer, "mse")
model.build((None, 2))
model.set_weights([np.array([[0.5], [-0.25]], np.float32), np.zeros(1, np.float32)])

# Begin training.
# The training will stop after 2 steps, and the weights/loss will also be logged.
model.fit(dataset, callbacks=[StopAtStepCallback(stop_step=2),
                              LoggingTensorCallback(every_n_iter=2)], verbose=0)

# ---- sessionrunhook_callback
class CustomCallback(tf.keras.callbacks.Callback):

    def on_train_begin(self, logs = None):
      self._step = -1
      self._start_time = time.time()
      self.log_frequency = 10

    def on_train_batch_begin(self, batch, logs = None):
      self._step += 1

    def on_train_batch_end(self, batch, logs = None):
      if self._step % self.log_frequency == 0:
        current_time = time.time()
        duration = current_time - self._start_time
        self._start_time = current_time
        examples_per_sec = self.log_frequency / max(duration, 1e-9)
        print('Time:', type(datetime.now()).__name__, ', Step #:', self._step,
              ', Examples per second:', examples_per_sec > 0)

callback = CustomCallback()

dataset = tf.data.Dataset.from_tensor_slices(
    (features, labels)).batch(1).repeat(10)

model = tf.keras.models.Sequential([tf.keras.layers.Dense(1)])
optimizer = tf.keras.optimizers.Adagrad(learning_rate=0.05)

model.compile(optimizer, "mse")
model.build((None, 2))
model.set_weights([np.array([[0.5], [-0.25]], np.float32), np.zeros(1, np.float32)])

# Begin training.
result = model.fit(dataset, callbacks=[callback], verbose = 0)
# Provide the results of training metrics.
print(result.history)

# ---- early_stopping (tfds MNIST replaced)
rng = np.random.RandomState(0)
def _split(n):
  x = rng.randint(0, 256, (n, 28, 28)).astype('uint8')
  y = (x[:, :14].mean(axis=(1, 2)) > x[:, 14:].mean(axis=(1, 2))).astype('int64')
  return tf.data.Dataset.from_tensor_slices((x, y))
ds_train, ds_test = _split(256), _split(64)
def normalize_img(image, label):
  return tf.cast(image, tf.float32) / 255., label
ds_train = ds_train.map(
    normalize_img, num_parallel_calls=tf.data.AUTOTUNE)
ds_train = ds_train.batch(128)

ds_test = ds_test.map(
    normalize_img, num_parallel_calls=tf.data.AUTOTUNE)
ds_test = ds_test.batch(128)

model = tf.keras.models.Sequential([
  tf.keras.layers.Flatten(input_shape=(28, 28)),
  tf.keras.layers.Dense(128, activation='relu'),
  tf.keras.layers.Dense(10)
])

model.compile(
    optimizer=tf.keras.optimizers.Adam(0.005),
    loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    metrics=[tf.keras.metrics.SparseCategoricalAccuracy()],
)
callback = tf.keras.callbacks.EarlyStopping(monitor='loss', patience=3)

history = model.fit(
    ds_train,
    epochs=4,
    validation_data=ds_test,
    callbacks=[callback], verbose=0
)

print(len(history.history['loss']), sorted(history.history))
class LimitTrainingTime(tf.keras.callbacks.Callback):
  def __init__(self, max_time_s):
    super().__init__()
    self.max_time_s = max_time_s
    self.start_time = None

  def on_train_begin(self, logs):
    self.start_time = time.time()

  def on_train_batch_end(self, batch, logs):
    now = time.time()
    if now - self.start_time >  self.max_time_s:
      self.model.stop_training = True
callback = LimitTrainingTime(0)
history = model.fit(
    ds_train,
    epochs=100,
    validation_data=ds_test,
    callbacks=[callback], verbose=0
)
print(len(history.history['loss']))
model = tf.keras.models.Sequential([
  tf.keras.layers.Flatten(input_shape=(28, 28)),
  tf.keras.layers.Dense(128, activation='relu'),
  tf.keras.layers.Dense(10)
])

optimizer = tf.keras.optimizers.Adam(0.005)
loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)

train_acc_metric = tf.keras.metrics.SparseCategoricalAccuracy()
train_loss_metric = tf.keras.metrics.SparseCategoricalCrossentropy()
val_acc_metric = tf.keras.metrics.SparseCategoricalAccuracy()
val_loss_metric = tf.keras.metrics.SparseCategoricalCrossentropy()
@tf.function
def train_step(x, y):
  with tf.GradientTape() as tape:
      logits = model(x, training=True)
      loss_value = loss_fn(y, logits)
  grads = tape.gradient(loss_value, model.trainable_weights)
  optimizer.apply_gradients(zip(grads, model.trainable_weights))
  train_acc_metric.update_state(y, logits)
  train_loss_metric.update_state(y, logits)
  return loss_value

@tf.function
def test_step(x, y):
  logits = model(x, training=False)
  val_acc_metric.update_state(y, logits)
  val_loss_metric.update_state(y, logits)
epochs = 3
patience = 5
wait = 0
best = float('inf')

for epoch in range(epochs):
    print("\nStart of epoch %d" % (epoch,))
    start_time = time.time()

    for step, (x_batch_train, y_batch_train) in enumerate(ds_train):
      loss_value = train_step(x_batch_train, y_batch_train)
      if step % 200 == 0:
        print("Training loss at step %d: %s" % (step, loss_value.dtype))
        print("Seen so far: %s samples" % ((step + 1) * 128))
    train_acc = train_acc_metric.result()
    train_loss = train_loss_metric.result()
    train_acc_metric.reset_state()
    train_loss_metric.reset_state()
    print("Training acc over epoch: %s" % (0 <= train_acc.numpy() <= 1))

    for x_batch_val, y_batch_val in ds_test:
      test_step(x_batch_val, y_batch_val)
    val_acc = val_acc_metric.result()
    val_loss = val_loss_metric.result()
    val_acc_metric.reset_state()
    val_loss_metric.reset_state()
    print("Validation acc: %s" % (0 <= float(val_acc) <= 1,))
    print("Time taken: %s" % (time.time() - start_time > 0))

    # The early stopping strategy: stop the training if `val_loss` does not
    # decrease over a certain number of epochs.
    wait += 1
    if val_loss < best:
      best = val_loss
      wait = 0
    if wait >= patience:
      break
print(train_step.experimental_get_tracing_count(), test_step.experimental_get_tracing_count())

# ---- evaluator (SidecarEvaluator; MNIST replaced)
(x_train, y_train), (x_test, y_test) = ((rng.randint(0, 256, (60, 28, 28)).astype('uint8'),
                                         rng.randint(0, 10, (60,)).astype('uint8')),
                                        (rng.randint(0, 256, (20, 28, 28)).astype('uint8'),
                                         rng.randint(0, 10, (20,)).astype('uint8')))
x_train, x_test = x_train / 255.0, x_test / 255.0
def create_model():
  return tf.keras.models.Sequential([
    tf.keras.layers.Flatten(input_shape=(28, 28)),
    tf.keras.layers.Dense(512, activation='relu'),
    tf.keras.layers.Dropout(0.2),
    tf.keras.layers.Dense(10)
  ])

loss = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)

model = create_model()
model.compile(optimizer='adam',
              loss=loss,
              metrics=['accuracy'],
              steps_per_execution=10,
              run_eagerly=True)

log_dir = tempfile.mkdtemp()
model_checkpoint = tf.keras.callbacks.ModelCheckpoint(
    filepath=os.path.join(log_dir, 'ckpt-{epoch}.weights.h5'),
    save_weights_only=True)

model.fit(x=x_train,
          y=y_train,
          epochs=1,
          callbacks=[model_checkpoint], verbose=0)
print(sorted(os.listdir(log_dir)))
data = tf.data.Dataset.from_tensor_slices((x_test, y_test))
data = data.batch(64)

try:
  tf.keras.utils.SidecarEvaluator(
      model=model,
      data=data,
      checkpoint_dir=log_dir,
      max_evaluations=1
  ).start()
except AttributeError as e:
  print("AttributeError")
