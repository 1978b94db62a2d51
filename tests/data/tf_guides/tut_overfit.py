# "Overfit and underfit" tutorial (tensorflow.org/tutorials/keras/overfit_and_underfit): the HIGGS
# download replaced by a generated gzip CSV of the same layout (label + 28 features); small sizes.
import gzip
import os
import tempfile
import numpy as np
import tensorflow as tf
from tensorflow.keras import layers
from tensorflow.keras import regularizers
rng = np.random.RandomState(0)
gz = os.path.join(tempfile.mkdtemp(), "HIGGS.csv.gz")
with gzip.open(gz, "wt") as f:
  for i in range(300):
    feats = rng.randn(28)
    label = float(feats[:3].sum() > 0)
    f.write(",".join(["%.6e" % label] + ["%.6e" % v for v in feats]) + "\n")
FEATURES = 28
ds = tf.data.experimental.CsvDataset(gz,[float(),]*(FEATURES+1), compression_type="GZIP")
def pack_row(*row):
  label = row[0]
  features = tf.stack(row[1:],1)
  return features, label[:, tf.newaxis]   # (Keras 3: target and output of the same rank)
packed_ds = ds.batch(100).map(pack_row).unbatch()
for features,label in packed_ds.batch(100).take(1):
  print(features[0].shape, np.round(features[0].numpy()[:4], 4))
  print(np.histogram(features.numpy().flatten(), bins = 10)[0].sum())
N_VALIDATION = 50
N_TRAIN = 200
BUFFER_SIZE = 200
BATCH_SIZE = 50
STEPS_PER_EPOCH = N_TRAIN//BATCH_SIZE
validate_ds = packed_ds.take(N_VALIDATION).cache()
train_ds = packed_ds.skip(N_VALIDATION).take(N_TRAIN).cache()
print(train_ds)
validate_ds = validate_ds.batch(BATCH_SIZE)
train_ds = train_ds.shuffle(BUFFER_SIZE).repeat().batch(BATCH_SIZE)
lr_schedule = tf.keras.optimizers.schedules.InverseTimeDecay(
  0.001,
  decay_steps=STEPS_PER_EPOCH*1000,
  decay_rate=1,
  staircase=False)
def get_optimizer():
  return tf.keras.optimizers.Adam(lr_schedule)
step = np.linspace(0,100000)
lr = lr_schedule(step)
print(np.round(lr.numpy()[::10] / 0.001, 5))
def get_callbacks(name):
  return [
    tf.keras.callbacks.EarlyStopping(monitor='val_binary_crossentropy', patience=200),
  ]
def compile_and_fit(model, name, optimizer=None, max_epochs=3):
  if optimizer is None:
    optimizer = get_optimizer()
  model.compile(optimizer=optimizer,
                loss=tf.keras.losses.BinaryCrossentropy(from_logits=True),
                metrics=[
                  tf.keras.metrics.BinaryCrossentropy(
                      from_logits=True, name='binary_crossentropy'),
                  'accuracy'])
  model.summary() if False else print(name, model.count_params())
  history = model.fit(
    train_ds,
    steps_per_epoch = STEPS_PER_EPOCH,
    epochs=max_epochs,
    validation_data=validate_ds,
    callbacks=get_callbacks(name),
    verbose=0)
  return history
tf.keras.utils.set_random_seed(0)
tiny_model = tf.keras.Sequential([
    layers.Dense(16, activation='elu', input_shape=(FEATURES,)),
    layers.Dense(1)
])
size_histories = {}
size_histories['Tiny'] = compile_and_fit(tiny_model, 'sizes/Tiny')
print(sorted(size_histories['Tiny'].history))
l2_model = tf.keras.Sequential([
    layers.Dense(32, activation='elu',
                 kernel_regularizer=regularizers.l2(0.001),
                 input_shape=(FEATURES,)),
    layers.Dense(32, activation='elu',
                 kernel_regularizer=regularizers.l2(0.001)),
    layers.Dense(1)
])
h = compile_and_fit(l2_model, "regularizers/l2")
result = l2_model(features)
regularization_loss=tf.add_n(l2_model.losses)
print(len(l2_model.losses), regularization_loss.shape, regularization_loss.dtype)
w = l2_model.layers[0].kernel
print(bool(np.isclose(float(l2_model.losses[0]), 0.001 * float(tf.reduce_sum(tf.square(w))), rtol=1e-5)))
dropout_model = tf.keras.Sequential([
    layers.Dense(32, activation='elu', input_shape=(FEATURES,)),
    layers.Dropout(0.5),
    layers.Dense(1)
])
h = compile_and_fit(dropout_model, "regularizers/dropout")
combined_model = tf.keras.Sequential([
    layers.Dense(32, kernel_regularizer=regularizers.l2(0.0001),
                 activation='elu', input_shape=(FEATURES,)),
    layers.Dropout(0.5),
    layers.Dense(1)
])
h = compile_and_fit(combined_model, "regularizers/combined")
print(len(h.history['loss']), combined_model.optimizer.iterations.numpy())
