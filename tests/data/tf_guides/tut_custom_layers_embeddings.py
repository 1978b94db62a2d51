# "Custom layers" (tensorflow.org/tutorials/customization/custom_layers) and "Word embeddings"
# (tensorflow.org/text/guide/word_embeddings) tutorials: the IMDB download replaced by generated
# review files; small sizes. Weights of random initializers are not printed, shapes and names are.
import io
import os
import re
import shutil
import string
import tempfile
import numpy as np
import tensorflow as tf
from tensorflow.keras import Sequential
from tensorflow.keras.layers import Dense, Embedding, GlobalAveragePooling1D
from tensorflow.keras.layers import TextVectorization
tf.keras.backend.clear_session()   # (fresh layer names: the test runs many scripts in one process)
tf.keras.utils.set_random_seed(0)
# ---- Custom layers
print(tf.config.list_physical_devices('GPU'))
layer = tf.keras.layers.Dense(100)
layer = tf.keras.layers.Dense(10, input_shape=(None, 5))
print(layer(tf.zeros([10, 5])).shape)
print([(v.name, tuple(v.shape)) for v in layer.variables])
print(layer.kernel.shape, layer.bias.numpy())
class MyDenseLayer(tf.keras.layers.Layer):
  def __init__(self, num_outputs):
    super(MyDenseLayer, self).__init__()
    self.num_outputs = num_outputs
  def build(self, input_shape):
    self.kernel = self.add_weight(name="kernel",   # (Keras 3: shape is add_weight's first argument)
                                  shape=[int(input_shape[-1]),
                                         self.num_outputs])
  def call(self, inputs):
    return tf.matmul(inputs, self.kernel)
layer = MyDenseLayer(10)
_ = layer(tf.zeros([10, 5])) # Calling the layer `.builds` it.
print([var.name for var in layer.trainable_variables])
print(layer.name, layer.built, layer.kernel.path)
class ResnetIdentityBlock(tf.keras.Model):
  def __init__(self, kernel_size, filters):
    super(ResnetIdentityBlock, self).__init__(name='')
    filters1, filters2, filters3 = filters
    self.conv2a = tf.keras.layers.Conv2D(filters1, (1, 1))
    self.bn2a = tf.keras.layers.BatchNormalization()
    self.conv2b = tf.keras.layers.Conv2D(filters2, kernel_size, padding='same')
    self.bn2b = tf.keras.layers.BatchNormalization()
    self.conv2c = tf.keras.layers.Conv2D(filters3, (1, 1))
    self.bn2c = tf.keras.layers.BatchNormalization()
  def call(self, input_tensor, training=False):
    x = self.conv2a(input_tensor)
    x = self.bn2a(x, training=training)
    x = tf.nn.relu(x)
    x = self.conv2b(x)
    x = self.bn2b(x, training=training)
    x = tf.nn.relu(x)
    x = self.conv2c(x)
    x = self.bn2c(x, training=training)
    x += input_tensor
    return tf.nn.relu(x)
block = ResnetIdentityBlock(1, [1, 2, 3])
_ = block(tf.zeros([1, 2, 3, 3]))
print([l.name for l in block.layers])
print(len(block.variables), len(block.trainable_variables))
# (block.summary(): Keras 3 shows the eager call's (1, 2, 3, k) for every layer; graphflow shows
# None for the batch of the last conv/BN pair - left out)
print(block.count_params())
my_seq = tf.keras.Sequential([tf.keras.layers.Conv2D(1, (1, 1),
                                                    input_shape=(
                                                        None, None, 3)),
                             tf.keras.layers.BatchNormalization(),
                             tf.keras.layers.Conv2D(2, 1,
                                                    padding='same'),
                             tf.keras.layers.BatchNormalization(),
                             tf.keras.layers.Conv2D(3, (1, 1)),
                             tf.keras.layers.BatchNormalization()])
print(my_seq(tf.zeros([1, 2, 3, 3])).shape)
# (my_seq.summary(): Keras 3 shows the symbolic (None, None, None, k) of the input_shape graph,
# graphflow the eager call's (None, 2, 3, k) - left out)
print(my_seq.output_shape, my_seq.count_params())
# ---- Word embeddings
rng = np.random.RandomState(0)
dataset_dir = os.path.join(tempfile.mkdtemp(), 'aclImdb')
good = "great wonderful loved amazing best brilliant".split()
bad = "awful boring worst terrible waste dull".split()
filler = "the movie film a and of it was this plot acting".split()
for split in ("train", "test"):
  for label, ws in (("pos", good), ("neg", bad)):
    d = os.path.join(dataset_dir, split, label)
    os.makedirs(d)
    for i in range(24):
      words = rng.choice(ws + filler, size=rng.randint(8, 20))
      with open(os.path.join(d, f"{i}_7.txt"), "w") as f:
        f.write("<br />".join([" ".join(words[:5]).capitalize() + "!", " ".join(words[5:]) + "."]))
os.makedirs(os.path.join(dataset_dir, 'train', 'unsup'))
print(sorted(os.listdir(dataset_dir)))
train_dir = os.path.join(dataset_dir, 'train')
print(sorted(os.listdir(train_dir)))
remove_dir = os.path.join(train_dir, 'unsup')
shutil.rmtree(remove_dir)
batch_size = 8
seed = 123
train_ds = tf.keras.utils.text_dataset_from_directory(
    train_dir, batch_size=batch_size, validation_split=0.2,
    subset='training', seed=seed)
val_ds = tf.keras.utils.text_dataset_from_directory(
    train_dir, batch_size=batch_size, validation_split=0.2,
    subset='validation', seed=seed)
AUTOTUNE = tf.data.AUTOTUNE
train_ds = train_ds.cache().prefetch(buffer_size=AUTOTUNE)
val_ds = val_ds.cache().prefetch(buffer_size=AUTOTUNE)
# Embed a 1,000 word vocabulary into 5 dimensions.
embedding_layer = tf.keras.layers.Embedding(1000, 5)
result = embedding_layer(tf.constant([1, 2, 3]))
print(result.numpy().shape, result.dtype)
result = embedding_layer(tf.constant([[0, 1, 2], [3, 4, 5]]))
print(result.shape)
# Create a custom standardization function to strip HTML break tags '<br />'.
def custom_standardization(input_data):
  lowercase = tf.strings.lower(input_data)
  stripped_html = tf.strings.regex_replace(lowercase, '<br />', ' ')
  return tf.strings.regex_replace(stripped_html,
                                  '[%s]' % re.escape(string.punctuation), '')
print(custom_standardization(tf.constant(["It's <br />GREAT, (really)!"])).numpy())
# Vocabulary size and number of words in a sequence.
vocab_size = 10000
sequence_length = 100
# Use the text vectorization layer to normalize, split, and map strings to
# integers. Note that the layer uses the custom standardization defined above.
# Set maximum_sequence length as all samples are not of the same length.
vectorize_layer = TextVectorization(
    standardize=custom_standardization,
    max_tokens=vocab_size,
    output_mode='int',
    output_sequence_length=sequence_length)
# Make a text-only dataset (no labels) and call adapt to build the vocabulary.
text_ds = train_ds.map(lambda x, y: x)
vectorize_layer.adapt(text_ds)
vocab = vectorize_layer.get_vocabulary()
print(len(vocab), vocab[:2], sorted(vocab[2:]))
embedding_dim=16
model = Sequential([
  vectorize_layer,
  Embedding(vocab_size, embedding_dim, name="embedding"),
  GlobalAveragePooling1D(),
  Dense(16, activation='relu'),
  Dense(1)
])
log_dir = os.path.join(tempfile.mkdtemp(), "logs")
tensorboard_callback = tf.keras.callbacks.CSVLogger(os.path.join(log_dir + ".csv"))  # (TensorBoard: TF 2.21 needs the tensorboard package)
model.compile(optimizer='adam',
              loss=tf.keras.losses.BinaryCrossentropy(from_logits=True),
              metrics=['accuracy'])
history = model.fit(
    train_ds,
    validation_data=val_ds,
    epochs=3,
    callbacks=[tensorboard_callback], verbose=0)
print(sorted(history.history), history.history['loss'][-1] < history.history['loss'][0])
print(open(log_dir + ".csv").readline().strip())
model.summary()
weights = model.get_layer('embedding').get_weights()[0]
vocab = vectorize_layer.get_vocabulary()
print(weights.shape, weights.dtype, len(vocab))
out_dir = tempfile.mkdtemp()
out_v = io.open(os.path.join(out_dir, 'vectors.tsv'), 'w', encoding='utf-8')
out_m = io.open(os.path.join(out_dir, 'metadata.tsv'), 'w', encoding='utf-8')
for index, word in enumerate(vocab):
  if index == 0:
    continue  # skip 0, it's padding.
  vec = weights[index]
  out_v.write('\t'.join([str(x) for x in vec]) + "\n")
  out_m.write(word + "\n")
out_v.close()
out_m.close()
with open(os.path.join(out_dir, 'metadata.tsv')) as f:
  lines = f.read().splitlines()
print(len(lines), lines[0])
with open(os.path.join(out_dir, 'vectors.tsv')) as f:
  print(len(f.readline().split('\t')))
