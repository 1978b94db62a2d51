# "Custom training: walkthrough" tutorial (tensorflow.org/tutorials/customization/custom_training_walkthrough)
# (its "Customization basics" cells are in training_misc.py): the penguins CSV download replaced by
# a generated file of the same columns.
import os
import tempfile
import numpy as np
import tensorflow as tf
print("TensorFlow version: {}".format(tf.__version__)[:20])
print("Eager execution: {}".format(tf.executing_eagerly()))
# ---- walkthrough
rng = np.random.RandomState(0)
n = 120
species = rng.randint(0, 3, size=n)
island = rng.randint(0, 3, size=n)
bill_length = 40 + 5 * species + rng.randn(n)
bill_depth = 17 - 2 * (species == 2) + 0.5 * rng.randn(n)
flipper = 190 + 12 * species + 3 * rng.randn(n)
mass = 3700 + 600 * (species == 2) + 200 * rng.randn(n)
sex = rng.randint(0, 2, size=n)
path = os.path.join(tempfile.mkdtemp(), "penguins_processed.csv")
with open(path, "w") as f:
  f.write("species,culmen_length_mm,culmen_depth_mm,flipper_length_mm,body_mass_g\n")
  for i in range(n):
    f.write(f"{species[i]},{(bill_length[i] - 30) / 30:.6f},{(bill_depth[i] - 13) / 9:.6f},"
            f"{(flipper[i] - 170) / 60:.6f},{(mass[i] - 2700) / 3600:.6f}\n")
column_names = ['species', 'culmen_length_mm', 'culmen_depth_mm', 'flipper_length_mm', 'body_mass_g']
feature_names = column_names[1:]
label_name = column_names[0]
print("Features: {}".format(feature_names))
print("Label: {}".format(label_name))
class_names = ['Adélie', 'Chinstrap', 'Gentoo']
batch_size = 32
train_dataset = tf.data.experimental.make_csv_dataset(
    path,
    batch_size,
    column_names=column_names,
    label_name=label_name,
    num_epochs=1,
    shuffle=False)
features, labels = next(iter(train_dataset))
print(list(features.keys()))
print({k: (v.shape, v.dtype) for k, v in features.items()})
print(labels)
print(np.round(features['culmen_length_mm'].numpy()[:4], 6))
def pack_features_vector(features, labels):
  """Pack the features into a single array."""
  features = tf.stack(list(features.values()), axis=1)
  return features, labels
train_dataset = train_dataset.map(pack_features_vector)
features, labels = next(iter(train_dataset))
print(np.round(features[:5].numpy(), 6))
print(train_dataset.element_spec)
tf.keras.utils.set_random_seed(0)
model = tf.keras.Sequential([
  tf.keras.layers.Dense(10, activation=tf.nn.relu, input_shape=(4,)),
  tf.keras.layers.Dense(10, activation=tf.nn.relu),
  tf.keras.layers.Dense(3)
])
predictions = model(features)
print(predictions.shape, predictions.dtype)
print(bool(np.allclose(tf.nn.softmax(predictions[:5]).numpy().sum(1), 1, atol=1e-6)))
print("Prediction: {}".format(tf.math.argmax(predictions, axis=1)).split("[")[0])
print("    Labels: {}".format(labels))
loss_object = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
def loss(model, x, y, training):
  y_ = model(x, training=training)
  return loss_object(y_true=y, y_pred=y_)
l = loss(model, features, labels, training=False)
print("Loss test: {}".format(l)[:11], l.shape, l.dtype)
def grad(model, inputs, targets):
  with tf.GradientTape() as tape:
    loss_value = loss(model, inputs, targets, training=True)
  return loss_value, tape.gradient(loss_value, model.trainable_variables)
optimizer = tf.keras.optimizers.SGD(learning_rate=0.01)
loss_value, grads = grad(model, features, labels)
print("Step: {}, Initial Loss: {}".format(optimizer.iterations.numpy(), loss_value.numpy() > 0))
optimizer.apply_gradients(zip(grads, model.trainable_variables))
print("Step: {},         Loss: {}".format(optimizer.iterations.numpy(),
                                          loss(model, features, labels, training=True).numpy() < loss_value.numpy()))
train_loss_results = []
train_accuracy_results = []
num_epochs = 21
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
    print("Epoch {:03d}: Loss: {}, Accuracy: {}".format(epoch, epoch_loss_avg.result().shape, epoch_accuracy.result().dtype))
print(float(train_loss_results[-1]) < float(train_loss_results[0]), optimizer.iterations.numpy())
test_accuracy = tf.keras.metrics.Accuracy()
ds_test_batch = train_dataset
for (x, y) in ds_test_batch:
  logits = model(x, training=False)
  prediction = tf.math.argmax(logits, axis=1, output_type=tf.int64)
  test_accuracy(prediction, y)
print("Test set accuracy: {:.3%}".format(test_accuracy.result())[:18])
print(tf.stack([tf.cast(y, tf.int64),prediction],axis=1).shape)
predict_dataset = tf.convert_to_tensor([
    [0.3, 0.8, 0.4, 0.5,],
    [0.4, 0.1, 0.8, 0.5,],
    [0.7, 0.9, 0.8, 0.4]
])
predictions = model(predict_dataset, training=False)
for i, logits in enumerate(predictions):
  class_idx = tf.math.argmax(logits).numpy()
  p = tf.nn.softmax(logits)[class_idx]
  name = class_names[class_idx]
  print("Example {} prediction: {} ({:4.1f}%)".format(i, type(name).__name__, 100*p)[:27])
