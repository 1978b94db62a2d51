# Code cells of TF guides (tensorflow.org/guide), run by tests/test_tf_guides_output.py with
# `import graphflow as tf`; <name>.tf_output.txt is what TF 2.21 printed running this file.
# (Keras 3 tracks no tf.Variable set on a keras.Model: its fit trains nothing, in TF as here.)
import tensorflow as tf
# ---- Basic training loops
TRUE_W = 3.0
TRUE_B = 2.0
NUM_EXAMPLES = 201
x = tf.linspace(-2, 2, NUM_EXAMPLES)
x = tf.cast(x, tf.float32)
def f(x):
  return x * TRUE_W + TRUE_B
g = tf.random.Generator.from_seed(42)
noise = g.normal(shape=[NUM_EXAMPLES])
y = f(x) + noise
print(x.shape, y.shape, round(float(tf.reduce_mean(y)), 4))
class MyModel(tf.Module):
  def __init__(self, **kwargs):
    super().__init__(**kwargs)
    self.w = tf.Variable(5.0)
    self.b = tf.Variable(0.0)
  def __call__(self, x):
    return self.w * x + self.b
model = MyModel()
print("Variables:", model.variables)
assert model(3.0).numpy() == 15.0
def loss(target_y, predicted_y):
  return tf.reduce_mean(tf.square(target_y - predicted_y))
print("Current loss: %1.6f" % loss(y, model(x)).numpy())
def train(model, x, y, learning_rate):
  with tf.GradientTape() as t:
    current_loss = loss(y, model(x))
  dw, db = t.gradient(current_loss, [model.w, model.b])
  model.w.assign_sub(learning_rate * dw)
  model.b.assign_sub(learning_rate * db)
model = MyModel()
weights = []
biases = []
epochs = range(10)
def report(model, loss):
  return f"W = {model.w.numpy():1.2f}, b = {model.b.numpy():1.2f}, loss={loss:2.5f}"
def training_loop(model, x, y):
  for epoch in epochs:
    train(model, x, y, learning_rate=0.1)
    weights.append(model.w.numpy())
    biases.append(model.b.numpy())
    current_loss = loss(y, model(x))
    print(f"Epoch {epoch:2d}:")
    print("    ", report(model, current_loss))
current_loss = loss(y, model(x))
print(f"Starting:")
print("    ", report(model, current_loss))
training_loop(model, x, y)
class MyModelKeras(tf.keras.Model):
  def __init__(self, **kwargs):
    super().__init__(**kwargs)
    self.w = tf.Variable(5.0)
    self.b = tf.Variable(0.0)
  def call(self, x):
    return self.w * x + self.b
keras_model = MyModelKeras()
training_loop(keras_model, x, y)
import tempfile, os
keras_model.save_weights(os.path.join(tempfile.mkdtemp(), "my_checkpoint.weights.h5"))
keras_model = MyModelKeras()
keras_model.compile(run_eagerly=False, optimizer=tf.keras.optimizers.SGD(learning_rate=0.1), loss=tf.keras.losses.MeanSquaredError())
print(x.shape[0])
hist = keras_model.fit(x, y, epochs=10, batch_size=1000, verbose=0)
print([round(v, 4) for v in hist.history["loss"]])
print(round(float(keras_model.w.numpy()), 4), round(float(keras_model.b.numpy()), 4))
