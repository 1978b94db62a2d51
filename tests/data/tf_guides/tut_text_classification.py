# "Basic text classification" tutorial (tensorflow.org/tutorials/keras/text_classification): the
# IMDB download replaced by generated review files in the same directory layout; small sizes.
import os
import re
import shutil
import string
import tempfile
import numpy as np
import tensorflow as tf
from tensorflow.keras import layers
from tensorflow.keras import losses
rng = np.random.RandomState(0)
good = ["great", "wonderful", "loved", "best", "fun"]
bad = ["awful", "boring", "worst", "hated", "dull"]
common = ["the", "movie", "film", "was", "a", "plot", "actors", "<br />"]
dataset_dir = os.path.join(tempfile.mkdtemp(), 'aclImdb')
for split in ['train', 'test']:
  for label, words in [('neg', bad), ('pos', good)]:
    d = os.path.join(dataset_dir, split, label)
    os.makedirs(d)
    for i in range(40):
      text = " ".join(rng.choice(common + words, size=rng.randint(5, 15)))
      with open(os.path.join(d, f"{i}_{rng.randint(1, 10)}.txt"), "w") as f:
        f.write(text.capitalize() + ".")
os.makedirs(os.path.join(dataset_dir, 'train', 'unsup'))
print(sorted(os.listdir(dataset_dir)))
train_dir = os.path.join(dataset_dir, 'train')
print(sorted(os.listdir(train_dir)))
remove_dir = os.path.join(train_dir, 'unsup')
shutil.rmtree(remove_dir)
batch_size = 16
seed = 42
raw_train_ds = tf.keras.utils.text_dataset_from_directory(
    os.path.join(dataset_dir, 'train'),
    batch_size=batch_size,
    validation_split=0.2,
    subset='training',
    seed=seed)
for text_batch, label_batch in raw_train_ds.take(1):
  for i in range(3):   # (the order of TF's seeded tf.data shuffle is not graphflow's)
    print("Review", type(text_batch.numpy()[i]))
    print("Label", label_batch.numpy()[i] in (0, 1))
print("Label 0 corresponds to", raw_train_ds.class_names[0])
print("Label 1 corresponds to", raw_train_ds.class_names[1])
raw_val_ds = tf.keras.utils.text_dataset_from_directory(
    os.path.join(dataset_dir, 'train'),
    batch_size=batch_size,
    validation_split=0.2,
    subset='validation',
    seed=seed)
raw_test_ds = tf.keras.utils.text_dataset_from_directory(
    os.path.join(dataset_dir, 'test'),
    batch_size=batch_size)
print(raw_train_ds.element_spec)
def custom_standardization(input_data):
  lowercase = tf.strings.lower(input_data)
  stripped_html = tf.strings.regex_replace(lowercase, '<br />', ' ')
  return tf.strings.regex_replace(stripped_html,
                                  '[%s]' % re.escape(string.punctuation),
                                  '')
max_features = 30
sequence_length = 12
vectorize_layer = layers.TextVectorization(
    standardize=custom_standardization,
    max_tokens=max_features,
    output_mode='int',
    output_sequence_length=sequence_length)
train_text = raw_train_ds.map(lambda x, y: x)
vectorize_layer.adapt(train_text)
def vectorize_text(text, label):
  text = tf.expand_dims(text, -1)
  return vectorize_layer(text), label
text_batch, label_batch = next(iter(raw_train_ds))
first_review, first_label = text_batch[0], label_batch[0]
print("Review", first_review.shape)
print("Label", raw_train_ds.class_names[first_label] in ('neg', 'pos'))
first_review = tf.constant("Awful film <br /> awful great")
print("Vectorized review", vectorize_text(first_review, first_label)[0])
print("1287 ---> ",vectorize_layer.get_vocabulary()[12])
print(" 313 ---> ",vectorize_layer.get_vocabulary()[3])
print('Vocabulary size: {}'.format(len(vectorize_layer.get_vocabulary())))
train_ds = raw_train_ds.map(vectorize_text)
val_ds = raw_val_ds.map(vectorize_text)
test_ds = raw_test_ds.map(vectorize_text)
print(train_ds.element_spec)
AUTOTUNE = tf.data.AUTOTUNE
train_ds = train_ds.cache().prefetch(buffer_size=AUTOTUNE)
val_ds = val_ds.cache().prefetch(buffer_size=AUTOTUNE)
test_ds = test_ds.cache().prefetch(buffer_size=AUTOTUNE)
embedding_dim = 16
tf.keras.utils.set_random_seed(0)
model = tf.keras.Sequential([
  layers.Embedding(max_features, embedding_dim),
  layers.Dropout(0.2),
  layers.GlobalAveragePooling1D(),
  layers.Dropout(0.2),
  layers.Dense(1, activation='sigmoid')])
model.compile(loss=losses.BinaryCrossentropy(),
              optimizer='adam',
              metrics=[tf.metrics.BinaryAccuracy(threshold=0.5)])
epochs = 3
history = model.fit(
    train_ds,
    validation_data=val_ds,
    epochs=epochs, verbose=0)
loss, accuracy = model.evaluate(test_ds, verbose=0)
print("Loss: ", type(loss).__name__)
history_dict = history.history
print(history_dict.keys())
export_model = tf.keras.Sequential([
  vectorize_layer,
  model,
  layers.Activation('sigmoid')
])
export_model.compile(
    loss=losses.BinaryCrossentropy(from_logits=False), optimizer="adam", metrics=['accuracy']
)
metrics = export_model.evaluate(raw_test_ds, return_dict=True, verbose=0)
print(sorted(metrics))
examples = tf.constant([
  "The movie was great!",
  "The movie was okay.",
  "The movie was terrible..."
])
p = export_model.predict(examples, verbose=0)
print(p.shape, p.dtype)
