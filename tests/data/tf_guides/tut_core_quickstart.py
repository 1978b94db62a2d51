# "Quickstart for the Core APIs" (tensorflow.org/guide/core/quickstart_core): linear regression
# with tf.Module on Auto MPG (download + pandas replaced by a generated array of the same columns).
import os
import tempfile
import numpy as np
import tensorflow as tf
print("TensorFlow version:", tf.__version__[:2])
tf.random.set_seed(22)
rng = np.random.RandomState(0)
n = 392
cyl = rng.choice([4, 6, 8], size=n).astype(np.float64)
disp = 40 * cyl + 10 * rng.randn(n)
hp = 12 * cyl + 5 * rng.randn(n)
weight = 400 * cyl + 300 * rng.randn(n)
accel = 15 + rng.randn(n)
year = rng.randint(70, 83, size=n).astype(np.float64)
origin = rng.randint(1, 4, size=n).astype(np.float64)
mpg = 50 - 3 * cyl + 0.3 * (year - 70) + rng.randn(n)
dataset = np.stack([mpg, cyl, disp, hp, weight, accel, year, origin], axis=1)
dataset_tf = tf.convert_to_tensor(dataset, dtype=tf.float32)
print(dataset_tf.shape, dataset_tf.dtype)
dataset_shuffled = tf.random.shuffle(dataset_tf, seed=22)
print(dataset_shuffled.shape, np.allclose(np.sort(dataset_shuffled.numpy()[:, 0]), np.sort(dataset_tf.numpy()[:, 0])))
dataset_shuffled = dataset_tf   # (the shuffled order is TF's random stream: use the fixed order)
train_data, test_data = dataset_shuffled[100:], dataset_shuffled[:100]
x_train, y_train = train_data[:, 1:], train_data[:, 0]
x_test, y_test = test_data[:, 1:], test_data[:, 0]
def onehot_origin(x):
  origin = tf.cast(x[:, -1], tf.int32)
  # Use `origin - 1` to account for 1-indexing
  origin_oh = tf.one_hot(origin - 1, 3)
  x_ohe = tf.concat([x[:, :-1], origin_oh], axis = 1)
  return x_ohe
x_train_ohe, x_test_ohe = onehot_origin(x_train), onehot_origin(x_test)
print(x_train_ohe.numpy()[:3])
class Normalize(tf.Module):
  def __init__(self, x):
    # Initialize the mean and standard deviation for normalization
    self.mean = tf.math.reduce_mean(x, axis=0)
    self.std = tf.math.reduce_std(x, axis=0)
  def norm(self, x):
    # Normalize the input
    return (x - self.mean)/self.std
  def unnorm(self, x):
    # Unnormalize the input
    return (x * self.std) + self.mean
norm_x = Normalize(x_train_ohe)
norm_y = Normalize(y_train)
x_train_norm, y_train_norm = norm_x.norm(x_train_ohe), norm_y.norm(y_train)
x_test_norm, y_test_norm = norm_x.norm(x_test_ohe), norm_y.norm(y_test)
print(np.round(norm_x.mean.numpy(), 3), np.round(norm_y.std.numpy(), 4))
print(np.round(x_train_norm.numpy()[:2], 4))
class LinearRegression(tf.Module):
  def __init__(self):
    self.built = False
  @tf.function
  def __call__(self, x):
    # Initialize the model parameters on the first call
    if not self.built:
      # Randomly generate the weight vector and bias term
      rand_w = tf.random.uniform(shape=[x.shape[-1], 1])
      rand_b = tf.random.uniform(shape=[])
      self.w = tf.Variable(rand_w)
      self.b = tf.Variable(rand_b)
      self.built = True
    y = tf.add(tf.matmul(x, self.w), self.b)
    return tf.squeeze(y, axis=1)
lin_reg = LinearRegression()
prediction = lin_reg(x_train_norm[:1])
prediction_unnorm = norm_y.unnorm(prediction)
print(prediction_unnorm.shape, prediction_unnorm.dtype)
print([v.shape for v in lin_reg.variables], [v.name for v in lin_reg.variables])
lin_reg.w.assign(tf.reshape(tf.linspace(-0.5, 0.5, 9), [9, 1]))   # (fixed init: comparable losses)
lin_reg.b.assign(0.1)
def mse_loss(y_pred, y):
  return tf.reduce_mean(tf.square(y_pred - y))
batch_size = 64
train_dataset = tf.data.Dataset.from_tensor_slices((x_train_norm, y_train_norm))
train_dataset = train_dataset.batch(batch_size)
test_dataset = tf.data.Dataset.from_tensor_slices((x_test_norm, y_test_norm))
test_dataset = test_dataset.shuffle(buffer_size=x_test.shape[0]).batch(batch_size)
print(train_dataset.element_spec)
# Set training parameters
epochs = 30
learning_rate = 0.01
train_losses, test_losses = [], []
# Format training loop
for epoch in range(epochs):
  batch_losses_train, batch_losses_test = [], []
  # Iterate through the training data
  for x_batch, y_batch in train_dataset:
    with tf.GradientTape() as tape:
      y_pred_batch = lin_reg(x_batch)
      batch_loss = mse_loss(y_pred_batch, y_batch)
    # Update parameters with respect to the gradient calculations
    grads = tape.gradient(batch_loss, lin_reg.variables)
    for g,v in zip(grads, lin_reg.variables):
      v.assign_sub(learning_rate * g)
    # Keep track of batch-level training performance
    batch_losses_train.append(batch_loss)
  # Iterate through the testing data
  for x_batch, y_batch in test_dataset:
    y_pred_batch = lin_reg(x_batch)
    batch_loss = mse_loss(y_pred_batch, y_batch)
    # Keep track of batch-level testing performance
    batch_losses_test.append(batch_loss)
  # Keep track of epoch-level model performance
  train_loss = tf.reduce_mean(batch_losses_train)
  test_loss = tf.reduce_mean(batch_losses_test)
  train_losses.append(train_loss)
  test_losses.append(test_loss)
  if epoch % 10 == 0:
    print(f'Mean squared error for step {epoch}: {train_loss.numpy():0.4f}')
print(f"\nFinal train loss: {train_loss:0.4f}")
print(test_losses[-1] < test_losses[0])
class ExportModule(tf.Module):
  def __init__(self, model, extract_features, norm_x, norm_y):
    # Initialize pre and postprocessing functions
    self.model = model
    self.extract_features = extract_features
    self.norm_x = norm_x
    self.norm_y = norm_y
  @tf.function(input_signature=[tf.TensorSpec(shape=[None, None], dtype=tf.float32)])
  def __call__(self, x):
    # Run the ExportModule for new data points
    x = self.extract_features(x)
    x = self.norm_x.norm(x)
    y = self.model(x)
    y = self.norm_y.unnorm(y)
    return y
lin_reg_export = ExportModule(model=lin_reg,
                              extract_features=onehot_origin,
                              norm_x=norm_x,
                              norm_y=norm_y)
test_preds = lin_reg_export(x_test)
print(np.round(test_preds[:10].numpy(), 3))
models = tempfile.mkdtemp()
save_path = os.path.join(models, 'lin_reg_export')
tf.saved_model.save(lin_reg_export, save_path)
lin_reg_loaded = tf.saved_model.load(save_path)
test_preds2 = lin_reg_loaded(x_test)
print(np.round(test_preds2[:10].numpy(), 3))
print(np.allclose(test_preds, test_preds2))
