# "Basic regression: Predict fuel efficiency" tutorial (tensorflow.org/tutorials/keras/regression):
# the Auto MPG download + pandas replaced by generated numpy columns (the DataFrame-free version);
# small epochs. Normalization statistics and predictions through fixed weights print exactly.
import os
import tempfile
import numpy as np
np.set_printoptions(precision=3, suppress=True)
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers
tf.keras.backend.clear_session()   # (fresh layer names: the test runs many scripts in one process)
tf.keras.utils.set_random_seed(0)
rng = np.random.RandomState(0)
n = 300
cyl = rng.choice([4, 6, 8], size=n).astype(np.float64)
disp = 40 * cyl + 10 * rng.randn(n)
hp = 12 * cyl + 5 * rng.randn(n)
weight = 400 * cyl + 300 * rng.randn(n)
accel = 15 + rng.randn(n)
year = rng.randint(70, 83, size=n).astype(np.float64)
origin = rng.randint(1, 4, size=n)
mpg = 50 - 3 * cyl - 0.05 * hp + 0.3 * (year - 70) + rng.randn(n)
# (pd.get_dummies(origin) -> Europe, Japan, USA columns)
onehot = np.stack([origin == 2, origin == 3, origin == 1], axis=1).astype(np.float64)
features = np.concatenate([np.stack([cyl, disp, hp, weight, accel, year], axis=1), onehot], axis=1)
train_idx = np.random.RandomState(0).permutation(n)[:240]   # (dataset.sample(frac=0.8, random_state=0))
test_idx = np.setdiff1d(np.arange(n), train_idx)
train_features, test_features = features[train_idx], features[test_idx]
train_labels, test_labels = mpg[train_idx], mpg[test_idx]
HP = 2   # the Horsepower column
print(train_features.shape, test_features.shape)
normalizer = tf.keras.layers.Normalization(axis=-1)
normalizer.adapt(np.array(train_features))
print(normalizer.mean.numpy())
print(normalizer.variance.shape, normalizer.mean.dtype)
first = np.array(train_features[:1])
with np.printoptions(precision=2, suppress=True):
  print('First example:', first)
  print()
  print('Normalized:', normalizer(first).numpy())
horsepower = np.array(train_features[:, HP])
horsepower_normalizer = layers.Normalization(input_shape=[1,], axis=None)
horsepower_normalizer.adapt(horsepower)
print(horsepower_normalizer.mean.numpy(), horsepower_normalizer.variance.numpy())
horsepower_model = tf.keras.Sequential([
    horsepower_normalizer,
    layers.Dense(units=1)
])
horsepower_model.summary()
horsepower_model.layers[1].set_weights([np.array([[-0.5]], np.float32), np.array([20.], np.float32)])
print(horsepower_model.predict(horsepower[:10], verbose=0))
horsepower_model.compile(
    optimizer=tf.keras.optimizers.Adam(learning_rate=0.1),
    loss='mean_absolute_error')
history = horsepower_model.fit(
    train_features[:, HP],
    train_labels,
    epochs=20,
    # Suppress logging.
    verbose=0,
    # Calculate validation results on 20% of the training data.
    validation_split = 0.2)
print(sorted(history.history), len(history.history['loss']), history.history['loss'][-1] < history.history['loss'][0])
print(history.epoch[-3:])
test_results = {}
test_results['horsepower_model'] = horsepower_model.evaluate(
    test_features[:, HP],
    test_labels, verbose=0)
print(type(test_results['horsepower_model']))
x = tf.linspace(0.0, 250, 251)
y = horsepower_model.predict(x, verbose=0)
print(y.shape, y.dtype)
linear_model = tf.keras.Sequential([
    normalizer,
    layers.Dense(units=1)
])
print(linear_model.predict(train_features[:10], verbose=0).shape)
# (Keras 3's variable .dtype is the string 'float32'; graphflow's is tf.float32, equal to it)
print(linear_model.layers[1].kernel.shape, linear_model.layers[1].kernel.dtype == 'float32', linear_model.layers[1].kernel.name)
linear_model.layers[1].set_weights([np.linspace(-1, 1, 9).reshape(9, 1).astype(np.float32), np.array([23.], np.float32)])
print(linear_model.predict(train_features[:5], verbose=0))
linear_model.compile(
    optimizer=tf.keras.optimizers.Adam(learning_rate=0.1),
    loss='mean_absolute_error')
history = linear_model.fit(
    train_features,
    train_labels,
    epochs=20,
    # Suppress logging.
    verbose=0,
    # Calculate validation results on 20% of the training data.
    validation_split = 0.2)
test_results['linear_model'] = linear_model.evaluate(
    test_features, test_labels, verbose=0)
print(test_results['linear_model'] < 10)
def build_and_compile_model(norm):
  model = keras.Sequential([
      norm,
      layers.Dense(64, activation='relu'),
      layers.Dense(64, activation='relu'),
      layers.Dense(1)
  ])
  model.compile(loss='mean_absolute_error',
                optimizer=tf.keras.optimizers.Adam(0.001))
  return model
dnn_horsepower_model = build_and_compile_model(horsepower_normalizer)
dnn_horsepower_model.summary()
history = dnn_horsepower_model.fit(
    train_features[:, HP],
    train_labels,
    validation_split=0.2,
    verbose=0, epochs=10)
test_results['dnn_horsepower_model'] = dnn_horsepower_model.evaluate(
    test_features[:, HP], test_labels,
    verbose=0)
dnn_model = build_and_compile_model(normalizer)
# (dnn_model.summary(): Keras 3 shows the normalizer's output shape from its first data, (10, 9),
# graphflow (None, 9) - left out)
history = dnn_model.fit(
    train_features,
    train_labels,
    validation_split=0.2,
    verbose=0, epochs=10)
test_results['dnn_model'] = dnn_model.evaluate(test_features, test_labels, verbose=0)
print(dnn_model.count_params())
print(sorted(test_results))
test_predictions = dnn_model.predict(test_features, verbose=0).flatten()
print(test_predictions.shape, test_predictions.dtype)
error = test_predictions - test_labels
print(error.dtype)
path = os.path.join(tempfile.mkdtemp(), 'dnn_model.keras')
dnn_model.save(path)
reloaded = tf.keras.models.load_model(path)
test_results['reloaded'] = reloaded.evaluate(
    test_features, test_labels, verbose=0)
print(abs(test_results['reloaded'] - test_results['dnn_model']) < 1e-4)
print([l.name for l in reloaded.layers], reloaded.layers[0].mean.shape)
print(np.allclose(reloaded.predict(test_features[:4], verbose=0), dnn_model.predict(test_features[:4], verbose=0), atol=1e-5))
