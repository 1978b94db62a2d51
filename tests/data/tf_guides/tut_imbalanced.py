# "Classification on imbalanced data" tutorial (tensorflow.org/tutorials/structured_data/imbalanced_data):
# the credit-card CSV download + pandas/sklearn replaced by generated numpy data (2% positives);
# small epochs. Metrics on fixed predictions, the initial output bias and class weights print exactly.
import os
import tempfile
import numpy as np
import tensorflow as tf
from tensorflow import keras
tf.keras.backend.clear_session()   # (fresh layer names: the test runs many scripts in one process)
tf.keras.utils.set_random_seed(0)
rng = np.random.RandomState(0)
n = 2000
y = (rng.rand(n) < 0.02).astype(np.int64)
x = rng.randn(n, 29).astype(np.float64) + y[:, None] * np.linspace(-1.5, 1.5, 29)
neg, pos = np.bincount(y)
total = neg + pos
print('Examples:\n    Total: {}\n    Positive: {} ({:.2f}% of total)\n'.format(
    total, pos, 100 * pos / total))
train_features, val_features, test_features = x[:1400], x[1400:1700], x[1700:]
train_labels, val_labels, test_labels = y[:1400], y[1400:1700], y[1700:]
bool_train_labels = train_labels != 0
# (Keras 3.15's BinaryCrossentropy metric raises for labels (N,) and outputs (N, 1): labels (N, 1))
train_labels, val_labels, test_labels = train_labels[:, None], val_labels[:, None], test_labels[:, None]
mean, std = train_features.mean(axis=0), train_features.std(axis=0)   # (StandardScaler)
train_features = np.clip((train_features - mean) / std, -5, 5)
val_features = np.clip((val_features - mean) / std, -5, 5)
test_features = np.clip((test_features - mean) / std, -5, 5)
print('Training labels shape:', train_labels.shape)
print('Training features shape:', train_features.shape)
METRICS = [
      keras.metrics.BinaryCrossentropy(name='cross entropy'),  # same as model's loss
      keras.metrics.MeanSquaredError(name='Brier score'),
      keras.metrics.TruePositives(name='tp'),
      keras.metrics.FalsePositives(name='fp'),
      keras.metrics.TrueNegatives(name='tn'),
      keras.metrics.FalseNegatives(name='fn'),
      keras.metrics.BinaryAccuracy(name='accuracy'),
      keras.metrics.Precision(name='precision'),
      keras.metrics.Recall(name='recall'),
      keras.metrics.AUC(name='auc'),
      keras.metrics.AUC(name='prc', curve='PR'), # precision-recall curve
]
y_true = np.array([0, 0, 1, 1, 0, 1, 0, 0], np.float32)
y_prob = np.array([0.1, 0.6, 0.8, 0.3, 0.2, 0.9, 0.55, 0.05], np.float32)
for m in METRICS:
  m.update_state(y_true, y_prob)
  print(m.name, round(float(m.result()), 5))
  m.reset_state()
def make_model(metrics=METRICS, output_bias=None):
  if output_bias is not None:
    output_bias = tf.keras.initializers.Constant(output_bias)
  model = keras.Sequential([
      keras.layers.Dense(
          16, activation='relu',
          input_shape=(train_features.shape[-1],)),
      keras.layers.Dropout(0.5),
      keras.layers.Dense(1, activation='sigmoid',
                         bias_initializer=output_bias),
  ])
  model.compile(
      optimizer=keras.optimizers.Adam(learning_rate=1e-3),
      loss=keras.losses.BinaryCrossentropy(),
      metrics=metrics)
  return model
EPOCHS = 3
BATCH_SIZE = 256
early_stopping = tf.keras.callbacks.EarlyStopping(
    monitor='val_prc',
    verbose=1,
    patience=10,
    mode='max',
    restore_best_weights=True)
model = make_model()
model.summary()
print(model.predict(train_features[:10], verbose=0).shape)
initial_bias = np.log([pos/neg])
print(initial_bias)
model = make_model(output_bias=initial_bias)
print(np.round(model.layers[-1].bias.numpy(), 5))
model.layers[0].set_weights([np.zeros((29, 16), np.float32), np.zeros(16, np.float32)])
print(np.round(model.predict(train_features[:3], verbose=0), 5))
results = model.evaluate(train_features, train_labels, batch_size=BATCH_SIZE, verbose=0)
print("Loss: {:0.4f}".format(results[0]))
print(len(results), [round(float(r), 4) for r in results[3:7]])
initial_weights = os.path.join(tempfile.mkdtemp(), 'initial.weights.h5')
model.save_weights(initial_weights)
model = make_model()
model.load_weights(initial_weights)
model.layers[-1].bias.assign([0.0])
print(model.layers[-1].bias.numpy())
zero_bias_history = model.fit(
    train_features,
    train_labels,
    batch_size=BATCH_SIZE,
    epochs=2,
    validation_data=(val_features, val_labels),
    verbose=0)
print(sorted(zero_bias_history.history)[:6], len(zero_bias_history.history['loss']))
model = make_model()
model.load_weights(initial_weights)
baseline_history = model.fit(
    train_features,
    train_labels,
    batch_size=BATCH_SIZE,
    epochs=EPOCHS,
    callbacks=[early_stopping],
    validation_data=(val_features, val_labels), verbose=0)
print(len(baseline_history.epoch))
train_predictions_baseline = model.predict(train_features, batch_size=BATCH_SIZE, verbose=0)
print(train_predictions_baseline.shape)
def plot_cm(labels, predictions, threshold=0.5):
  cm = tf.math.confusion_matrix(labels, predictions > threshold)
  print('Legitimate Transactions Detected (True Negatives): ', cm[0][0].dtype)
  return cm
print(plot_cm(np.array([0, 1, 1, 0]), np.array([0.7, 0.9, 0.2, 0.1])))
weight_for_0 = (1 / neg) * (total / 2.0)
weight_for_1 = (1 / pos) * (total / 2.0)
class_weight = {0: weight_for_0, 1: weight_for_1}
print('Weight for class 0: {:.2f}'.format(weight_for_0))
print('Weight for class 1: {:.2f}'.format(weight_for_1))
weighted_model = make_model()
weighted_model.load_weights(initial_weights)
# fixed weights for both: the class weights' effect on the loss prints exactly
for m in (weighted_model,):
  m.layers[0].set_weights([np.full((29, 16), 0.01, np.float32), np.zeros(16, np.float32)])
  m.layers[2].set_weights([np.linspace(-1, 1, 16).reshape(16, 1).astype(np.float32), initial_bias.astype(np.float32)])
weighted_model.layers[1].rate = 0.0   # (no dropout noise in this comparison)
weighted_model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.0), loss=keras.losses.BinaryCrossentropy())
h1 = weighted_model.fit(train_features, train_labels, batch_size=1400, epochs=1, verbose=0, shuffle=False)
h2 = weighted_model.fit(train_features, train_labels, batch_size=1400, epochs=1, verbose=0, shuffle=False,
                        class_weight=class_weight)
print(round(h1.history['loss'][0], 4), round(h2.history['loss'][0], 4))
# ---- oversampling with tf.data
pos_features = train_features[bool_train_labels]
neg_features = train_features[~bool_train_labels]
pos_labels = train_labels[bool_train_labels]
neg_labels = train_labels[~bool_train_labels]
BUFFER_SIZE = 100000
def make_ds(features, labels):
  ds = tf.data.Dataset.from_tensor_slices((features, labels))#.cache()
  ds = ds.shuffle(BUFFER_SIZE).repeat()
  return ds
pos_ds = make_ds(pos_features, pos_labels)
neg_ds = make_ds(neg_features, neg_labels)
for features, label in pos_ds.take(1):
  print("Features:\n", features.shape, features.dtype)
  print()
  print("Label: ", label.numpy())
resampled_ds = tf.data.Dataset.sample_from_datasets([pos_ds, neg_ds], weights=[0.5, 0.5])
resampled_ds = resampled_ds.batch(BATCH_SIZE).prefetch(2)
for features, label in resampled_ds.take(1):
  print(label.shape, label.dtype, 0.3 < label.numpy().mean() < 0.7)
resampled_steps_per_epoch = np.ceil(2.0*neg/BATCH_SIZE)
print(resampled_steps_per_epoch)
resampled_model = make_model()
resampled_model.load_weights(initial_weights)
# Reset the bias to zero, since this dataset is balanced.
output_layer = resampled_model.layers[-1]
output_layer.bias.assign([0])
val_ds = tf.data.Dataset.from_tensor_slices((val_features, val_labels)).cache()
val_ds = val_ds.batch(BATCH_SIZE).prefetch(2)
resampled_history = resampled_model.fit(
    resampled_ds,
    epochs=2,
    steps_per_epoch=3,
    callbacks=[early_stopping],
    validation_data=val_ds, verbose=0)
print(len(resampled_history.history['loss']), 'val_prc' in resampled_history.history)
