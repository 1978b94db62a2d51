# "Intro to Autoencoders" tutorial (tensorflow.org/tutorials/generative/autoencoder): Fashion-MNIST
# and the ECG CSV downloads replaced by generated data of the same dtypes (small sizes; sklearn's
# split/metrics written in numpy). Prints shapes, summaries, thresholds' types and "the loss went down".
import numpy as np
import tensorflow as tf
tf.keras.backend.clear_session()   # (fresh layer names: the test runs many scripts in one process)
from tensorflow.keras import layers, losses
from tensorflow.keras.models import Model
tf.keras.utils.set_random_seed(0)
rng = np.random.RandomState(0)
x_train = rng.randint(0, 256, size=(256, 28, 28)).astype(np.uint8)
x_test = rng.randint(0, 256, size=(64, 28, 28)).astype(np.uint8)
x_train = x_train.astype('float32') / 255.
x_test = x_test.astype('float32') / 255.
print (x_train.shape)
print (x_test.shape)
class Autoencoder(Model):
  def __init__(self, latent_dim, shape):
    super(Autoencoder, self).__init__()
    self.latent_dim = latent_dim
    self.shape = shape
    self.encoder = tf.keras.Sequential([
      layers.Flatten(),
      layers.Dense(latent_dim, activation='relu'),
    ])
    self.decoder = tf.keras.Sequential([
      layers.Dense(int(tf.math.reduce_prod(shape).numpy()), activation='sigmoid'),  # (Keras 3.15 takes no np.int32 units)
      layers.Reshape(shape)
    ])
  def call(self, x):
    encoded = self.encoder(x)
    decoded = self.decoder(encoded)
    return decoded
shape = x_test.shape[1:]
latent_dim = 64
print(tf.math.reduce_prod(shape).numpy(), type(tf.math.reduce_prod(shape).numpy()))
autoencoder = Autoencoder(latent_dim, shape)
autoencoder.compile(optimizer='adam', loss=losses.MeanSquaredError())
h = autoencoder.fit(x_train, x_train,
                epochs=3,
                shuffle=True,
                validation_data=(x_test, x_test), verbose=0)
print(sorted(h.history), h.history['loss'][-1] < h.history['loss'][0])
encoded_imgs = autoencoder.encoder(x_test).numpy()
decoded_imgs = autoencoder.decoder(encoded_imgs).numpy()
print(type(encoded_imgs), encoded_imgs.shape, decoded_imgs.shape, decoded_imgs.dtype)
# ---- image denoising
x_train = x_train[..., tf.newaxis]
x_test = x_test[..., tf.newaxis]
print(x_train.shape, type(x_train))
noise_factor = 0.2
x_train_noisy = x_train + noise_factor * tf.random.normal(shape=x_train.shape)
x_test_noisy = x_test + noise_factor * tf.random.normal(shape=x_test.shape)
x_train_noisy = tf.clip_by_value(x_train_noisy, clip_value_min=0., clip_value_max=1.)
x_test_noisy = tf.clip_by_value(x_test_noisy, clip_value_min=0., clip_value_max=1.)
print(type(x_train_noisy).__name__ in ("EagerTensor", "Tensor"), x_train_noisy.shape, x_train_noisy.dtype,
      float(tf.reduce_min(x_test_noisy)) >= 0., float(tf.reduce_max(x_test_noisy)) <= 1.)
class Denoise(Model):
  def __init__(self):
    super(Denoise, self).__init__()
    self.encoder = tf.keras.Sequential([
      layers.Input(shape=(28, 28, 1)),
      layers.Conv2D(16, (3, 3), activation='relu', padding='same', strides=2),
      layers.Conv2D(8, (3, 3), activation='relu', padding='same', strides=2)])
    self.decoder = tf.keras.Sequential([
      layers.Conv2DTranspose(8, kernel_size=3, strides=2, activation='relu', padding='same'),
      layers.Conv2DTranspose(16, kernel_size=3, strides=2, activation='relu', padding='same'),
      layers.Conv2D(1, kernel_size=(3, 3), activation='sigmoid', padding='same')])
  def call(self, x):
    encoded = self.encoder(x)
    decoded = self.decoder(encoded)
    return decoded
autoencoder = Denoise()
autoencoder.compile(optimizer='adam', loss=losses.MeanSquaredError())
h = autoencoder.fit(x_train_noisy, x_train,
                epochs=2,
                shuffle=True,
                validation_data=(x_test_noisy, x_test), verbose=0)
print(len(h.history['val_loss']))
autoencoder.encoder.summary()
# (autoencoder.decoder.summary(): Keras 3 shows the first data's batch size, 32, for a Sequential
# built from data; graphflow shows None - left out)
print(autoencoder.decoder.count_params())
encoded_imgs = autoencoder.encoder(x_test_noisy).numpy()
decoded_imgs = autoencoder.decoder(encoded_imgs).numpy()
print(encoded_imgs.shape, decoded_imgs.shape)
# ---- anomaly detection (ECG5000-like: 140 values and a 0/1 label a row, float64 as pandas reads it)
t = np.linspace(0, 4 * np.pi, 140)
n = 400
labels_np = (rng.rand(n) < 0.6).astype(np.float64)
rows = np.where(labels_np[:, None] == 1, np.sin(t)[None], np.cos(2 * t)[None]) + 0.1 * rng.randn(n, 140)
raw_data = np.concatenate([rows, labels_np[:, None]], axis=1)
print(raw_data.dtype, raw_data.shape)
# The last element contains the labels
labels = raw_data[:, -1]
# The other data points are the electrocadriogram data
data = raw_data[:, 0:-1]
perm = np.random.RandomState(21).permutation(n)   # (train_test_split(test_size=0.2, random_state=21))
train_data, test_data = data[perm[80:]], data[perm[:80]]
train_labels, test_labels = labels[perm[80:]], labels[perm[:80]]
min_val = tf.reduce_min(train_data)
max_val = tf.reduce_max(train_data)
print(min_val.dtype, round(float(min_val), 6), round(float(max_val), 6))
train_data = (train_data - min_val) / (max_val - min_val)
test_data = (test_data - min_val) / (max_val - min_val)
print(type(train_data).__name__ in ("EagerTensor", "Tensor"), train_data.dtype)
train_data = tf.cast(train_data, tf.float32)
test_data = tf.cast(test_data, tf.float32)
train_labels = train_labels.astype(bool)
test_labels = test_labels.astype(bool)
normal_train_data = train_data[train_labels]
normal_test_data = test_data[test_labels]
anomalous_train_data = train_data[~train_labels]
anomalous_test_data = test_data[~test_labels]
print(normal_train_data.shape, anomalous_test_data.shape, normal_test_data.dtype)
print(np.round(normal_train_data.numpy()[0, :4], 5))
class AnomalyDetector(Model):
  def __init__(self):
    super(AnomalyDetector, self).__init__()
    self.encoder = tf.keras.Sequential([
      layers.Dense(32, activation="relu"),
      layers.Dense(16, activation="relu"),
      layers.Dense(8, activation="relu")])
    self.decoder = tf.keras.Sequential([
      layers.Dense(16, activation="relu"),
      layers.Dense(32, activation="relu"),
      layers.Dense(140, activation="sigmoid")])
  def call(self, x):
    encoded = self.encoder(x)
    decoded = self.decoder(encoded)
    return decoded
autoencoder = AnomalyDetector()
autoencoder.compile(optimizer='adam', loss='mae')
history = autoencoder.fit(normal_train_data, normal_train_data,
          epochs=20,
          batch_size=512,
          validation_data=(test_data, test_data),
          shuffle=True, verbose=0)
print(history.history["loss"][-1] < history.history["loss"][0])
encoded_data = autoencoder.encoder(normal_test_data).numpy()
decoded_data = autoencoder.decoder(encoded_data).numpy()
print(encoded_data.shape, decoded_data.shape)
reconstructions = autoencoder.predict(normal_train_data, verbose=0)
train_loss = tf.keras.losses.mae(reconstructions, normal_train_data)
print(type(reconstructions), train_loss.shape, train_loss.dtype)
threshold = np.mean(train_loss) + np.std(train_loss)
print("Threshold type: ", type(threshold), threshold.dtype, threshold > 0)
reconstructions = autoencoder.predict(anomalous_test_data, verbose=0)
test_loss = tf.keras.losses.mae(reconstructions, anomalous_test_data)
print(test_loss.shape)
def predict(model, data, threshold):
  reconstructions = model(data)
  loss = tf.keras.losses.mae(reconstructions, data)
  return tf.math.less(loss, threshold)
def print_stats(predictions, labels):
  predictions = np.asarray(predictions)
  acc = np.mean(predictions == labels)
  print("Accuracy type = {}".format(type(acc)))
  print("Predictions = {} {}".format(predictions.dtype, predictions.shape))
preds = predict(autoencoder, test_data, threshold)
print(preds.dtype, preds.shape)
print_stats(preds, test_labels)
print(tf.keras.losses.mae(tf.constant([[0.5, 1.], [2., 0.]]), tf.constant([[1., 1.], [0., 0.]])))
print(tf.math.less(tf.constant([1., 2., 3.]), np.float32(2.5)))
