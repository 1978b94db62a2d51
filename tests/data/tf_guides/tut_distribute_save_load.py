# "Save and load a model using a distribution strategy" tutorial
# (tensorflow.org/tutorials/distribute/save_and_load): MirroredStrategy / OneDeviceStrategy on one
# CPU; tfds MNIST replaced by generated images (small sizes), fit with verbose=0, the save paths in
# a temporary directory (the tutorial's /tmp/keras_save.keras, /tmp/tf_save), the TF Hub cell
# left out; outputs of randomly initialized models printed as shapes and dtypes.
import os
import tempfile
import numpy as np
import tensorflow as tf

_tmp = tempfile.mkdtemp()
mirrored_strategy = tf.distribute.MirroredStrategy()

def get_data():
  _rng = np.random.RandomState(0)   # (tfds.load(name='mnist', as_supervised=True))
  datasets = {k: tf.data.Dataset.from_tensor_slices(
      (_rng.randint(0, 256, (n, 28, 28, 1)).astype('uint8'), _rng.randint(0, 10, (n,)).astype('int64')))
      for k, n in (('train', 64), ('test', 32))}
  mnist_train, mnist_test = datasets['train'], datasets['test']

  BUFFER_SIZE = 10000

  BATCH_SIZE_PER_REPLICA = 64
  BATCH_SIZE = BATCH_SIZE_PER_REPLICA * mirrored_strategy.num_replicas_in_sync

  def scale(image, label):
    image = tf.cast(image, tf.float32)
    image /= 255

    return image, label

  train_dataset = mnist_train.map(scale).cache().shuffle(BUFFER_SIZE).batch(BATCH_SIZE)
  eval_dataset = mnist_test.map(scale).batch(BATCH_SIZE)

  return train_dataset, eval_dataset

def get_model():
  with mirrored_strategy.scope():
    model = tf.keras.Sequential([
        tf.keras.layers.Conv2D(32, 3, activation='relu', input_shape=(28, 28, 1)),
        tf.keras.layers.MaxPooling2D(),
        tf.keras.layers.Flatten(),
        tf.keras.layers.Dense(64, activation='relu'),
        tf.keras.layers.Dense(10)
    ])

    model.compile(loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  optimizer=tf.keras.optimizers.Adam(),
                  metrics=[tf.metrics.SparseCategoricalAccuracy()])
    return model
model = get_model()
train_dataset, eval_dataset = get_data()
h = model.fit(train_dataset, epochs=2, verbose=0)
print(sorted(h.history))
keras_model_path = os.path.join(_tmp, 'keras_save.keras')
model.save(keras_model_path)
restored_keras_model = tf.keras.models.load_model(keras_model_path)
h = restored_keras_model.fit(train_dataset, epochs=2, verbose=0)
print(len(h.history['loss']))
another_strategy = tf.distribute.OneDeviceStrategy('/cpu:0')
with another_strategy.scope():
  restored_keras_model_ds = tf.keras.models.load_model(keras_model_path)
  h = restored_keras_model_ds.fit(train_dataset, epochs=2, verbose=0)
print(len(h.history['loss']), type(another_strategy).__name__)
model = get_model()  # get a fresh model
saved_model_path = os.path.join(_tmp, 'tf_save')
tf.saved_model.save(model, saved_model_path)
DEFAULT_FUNCTION_KEY = 'serving_default'
loaded = tf.saved_model.load(saved_model_path)
inference_func = loaded.signatures[DEFAULT_FUNCTION_KEY]
predict_dataset = eval_dataset.map(lambda image, label: image)
for batch in predict_dataset.take(1):
  out = inference_func(batch)
  print({k: (v.shape, v.dtype) for k, v in out.items()},
        bool(np.allclose(list(out.values())[0], model(batch), atol=1e-5)))
another_strategy = tf.distribute.MirroredStrategy()
with another_strategy.scope():
  loaded = tf.saved_model.load(saved_model_path)
  inference_func = loaded.signatures[DEFAULT_FUNCTION_KEY]

  dist_predict_dataset = another_strategy.experimental_distribute_dataset(
      predict_dataset)

  # Calling the function in a distributed manner
  for batch in dist_predict_dataset:
    result = another_strategy.run(inference_func, args=(batch,))
    print({k: (v.shape, v.dtype) for k, v in result.items()})
    break
class SubclassedModel(tf.keras.Model):
  """Example model defined by subclassing `tf.keras.Model`."""

  output_name = 'output_layer'

  def __init__(self):
    super(SubclassedModel, self).__init__()
    self._dense_layer = tf.keras.layers.Dense(
        5, dtype=tf.dtypes.float32, name=self.output_name)

  def call(self, inputs):
    return self._dense_layer(inputs)

my_model = SubclassedModel()
try:
  my_model.save(saved_model_path)
except ValueError as e:
  print(f'{type(e).__name__}: ', *[a.replace(_tmp, '<tmp>') for a in e.args])
tf.saved_model.save(my_model, saved_model_path)
x = tf.saved_model.load(saved_model_path)
print(list(x.signatures.keys()))
BATCH_SIZE_PER_REPLICA = 4
BATCH_SIZE = BATCH_SIZE_PER_REPLICA * mirrored_strategy.num_replicas_in_sync

dataset_size = 100
dataset = tf.data.Dataset.from_tensors(
    (tf.range(5, dtype=tf.float32), tf.range(5, dtype=tf.float32))
    ).repeat(dataset_size).batch(BATCH_SIZE)

my_model.compile(optimizer='adam', loss='mean_squared_error')
h = my_model.fit(dataset, epochs=2, verbose=0)
print(len(h.history['loss']))
try:
  my_model.save(saved_model_path)
except ValueError as e:
  print(f'{type(e).__name__}: ', *[a.replace(_tmp, '<tmp>') for a in e.args])
