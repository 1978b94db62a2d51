# "Load text" tutorial (tensorflow.org/tutorials/load_data/text): the Stack Overflow and Iliad
# downloads replaced by generated files of the same layout; tensorflow_text's case_fold_utf8 and
# UnicodeScriptTokenizer replaced by tf.strings.lower / tf.strings.split (TF core); small sizes.
import collections
import os
import pathlib
import tempfile
import numpy as np
import tensorflow as tf
from tensorflow.keras import layers
from tensorflow.keras import losses
from tensorflow.keras import utils
from tensorflow.keras.layers import TextVectorization
tf.keras.backend.clear_session()   # (fresh layer names: the test runs many scripts in one process)
tf.keras.utils.set_random_seed(0)
rng = np.random.RandomState(0)
words = {"csharp": "linq async task dotnet class var".split(), "java": "jvm spring maven class list".split(),
         "javascript": "node npm react promise var".split(), "python": "pip numpy list dict pandas".split()}
common = "how do i get a the in my to from with blank".split()
dataset_dir = pathlib.Path(tempfile.mkdtemp()) / "stack_overflow"
for split, n in (("train", 12), ("test", 4)):
  for label, ws in words.items():
    d = dataset_dir / split / label
    d.mkdir(parents=True)
    for i in range(n):
      text = " ".join(rng.choice(ws + common, size=rng.randint(6, 14)))
      (d / f"{i}.txt").write_text(f"{text}?\n")
print(sorted(os.listdir(dataset_dir)))
train_dir = dataset_dir/'train'
print(sorted(os.listdir(train_dir)))
sample_file = train_dir/'python/1.txt'
with open(sample_file) as f:
  print(f.read().strip())
batch_size = 8
seed = 42
raw_train_ds = utils.text_dataset_from_directory(
    train_dir,
    batch_size=batch_size,
    validation_split=0.2,
    subset='training',
    seed=seed)
for text_batch, label_batch in raw_train_ds.take(1):
  for i in range(3):
    print("Question: ", type(text_batch.numpy()[i]), text_batch.numpy()[i][-2:])
    print("Label:", label_batch.numpy()[i].dtype)
# (the batches' order is TF's seeded shuffle stream: the split's files, sorted, instead)
print(sorted((int(l), t) for tb, lb in raw_train_ds for t, l in zip(tb.numpy(), lb.numpy()))[:3])
for i, label in enumerate(raw_train_ds.class_names):
  print("Label", i, "corresponds to", label)
# Create a validation set.
raw_val_ds = utils.text_dataset_from_directory(
    train_dir,
    batch_size=batch_size,
    validation_split=0.2,
    subset='validation',
    seed=seed)
test_dir = dataset_dir/'test'
# Create a test set.
raw_test_ds = utils.text_dataset_from_directory(
    test_dir,
    batch_size=batch_size)
print(raw_train_ds.element_spec, raw_train_ds.cardinality().numpy(), raw_val_ds.cardinality().numpy())
VOCAB_SIZE = 10000
binary_vectorize_layer = TextVectorization(
    max_tokens=VOCAB_SIZE,
    output_mode='binary')
MAX_SEQUENCE_LENGTH = 250
int_vectorize_layer = TextVectorization(
    max_tokens=VOCAB_SIZE,
    output_mode='int',
    output_sequence_length=MAX_SEQUENCE_LENGTH)
# Make a text-only dataset (without labels), then call `TextVectorization.adapt`.
train_text = raw_train_ds.map(lambda text, labels: text)
binary_vectorize_layer.adapt(train_text)
int_vectorize_layer.adapt(train_text)
def binary_vectorize_text(text, label):
  text = tf.expand_dims(text, -1)
  return binary_vectorize_layer(text), label
def int_vectorize_text(text, label):
  text = tf.expand_dims(text, -1)
  return int_vectorize_layer(text), label
# Retrieve a batch (of 32 reviews and labels) from the dataset.
text_batch, label_batch = next(iter(raw_train_ds))
first_question, first_label = text_batch[0], label_batch[0]
first_question, first_label = tf.constant(b'from promise a react in to npm do the blank?\n'), tf.constant(2)
print("Question", first_question)
print("Label", first_label)
print("'binary' vectorized question:",
      list(binary_vectorize_text(first_question, first_label)[0].numpy()[0])[:12])
print("'int' vectorized question:",
      int_vectorize_text(first_question, first_label)[0].numpy()[:, :16])
print("5 ---> ", int_vectorize_layer.get_vocabulary()[5])
print("13 ---> ", int_vectorize_layer.get_vocabulary()[13])
print("Vocabulary size: {}".format(len(int_vectorize_layer.get_vocabulary())))
print(binary_vectorize_layer.get_vocabulary()[:6])
binary_train_ds = raw_train_ds.map(binary_vectorize_text)
binary_val_ds = raw_val_ds.map(binary_vectorize_text)
binary_test_ds = raw_test_ds.map(binary_vectorize_text)
int_train_ds = raw_train_ds.map(int_vectorize_text)
int_val_ds = raw_val_ds.map(int_vectorize_text)
int_test_ds = raw_test_ds.map(int_vectorize_text)
print(binary_train_ds.element_spec)
print(int_train_ds.element_spec)
AUTOTUNE = tf.data.AUTOTUNE
def configure_dataset(dataset):
  return dataset.cache().prefetch(buffer_size=AUTOTUNE)
binary_train_ds = configure_dataset(binary_train_ds)
binary_val_ds = configure_dataset(binary_val_ds)
binary_test_ds = configure_dataset(binary_test_ds)
int_train_ds = configure_dataset(int_train_ds)
int_val_ds = configure_dataset(int_val_ds)
int_test_ds = configure_dataset(int_test_ds)
binary_model = tf.keras.Sequential([layers.Dense(4)])
binary_model.compile(
    loss=losses.SparseCategoricalCrossentropy(from_logits=True),
    optimizer='adam',
    metrics=['accuracy'])
history = binary_model.fit(
    binary_train_ds, validation_data=binary_val_ds, epochs=10, verbose=0)
print(sorted(history.history), history.history['loss'][-1] < history.history['loss'][0])
def create_model(vocab_size, num_labels):
  model = tf.keras.Sequential([
      layers.Embedding(vocab_size, 64, mask_zero=True),
      layers.Conv1D(64, 5, padding="valid", activation="relu", strides=2),
      layers.GlobalMaxPooling1D(),
      layers.Dense(num_labels)
  ])
  return model
# `vocab_size` is `VOCAB_SIZE + 1` since `0` is used additionally for padding.
int_model = create_model(vocab_size=VOCAB_SIZE + 1, num_labels=4)
int_model.compile(
    loss=losses.SparseCategoricalCrossentropy(from_logits=True),
    optimizer='adam',
    metrics=['accuracy'])
history = int_model.fit(int_train_ds, validation_data=int_val_ds, epochs=2, verbose=0)
print("Linear model on binary vectorized data:")
binary_model.summary()
print("ConvNet model on int vectorized data:")
int_model.summary()
binary_loss, binary_accuracy = binary_model.evaluate(binary_test_ds, verbose=0)
print(type(binary_loss), 0 <= binary_accuracy <= 1)
export_model = tf.keras.Sequential(
    [binary_vectorize_layer, binary_model,
     layers.Activation('sigmoid')])
export_model.compile(
    loss=losses.SparseCategoricalCrossentropy(from_logits=False),
    optimizer='adam',
    metrics=['accuracy'])
# Test it with `raw_test_ds`, which yields raw strings
metrics = export_model.evaluate(raw_test_ds, return_dict=True, verbose=0)
print(sorted(metrics))
def get_string_labels(predicted_scores_batch):
  predicted_int_labels = tf.math.argmax(predicted_scores_batch, axis=1)
  predicted_labels = tf.gather(raw_train_ds.class_names, predicted_int_labels)
  return predicted_labels
inputs = [
    "how do I extract keys from a dict into a list?",  # 'python'
    "debug public static void main(string[] args) {...}",  # 'java'
]
predicted_scores = export_model.predict(tf.constant(inputs), verbose=0)
predicted_labels = get_string_labels(predicted_scores)
print(predicted_scores.shape, predicted_labels.dtype, predicted_labels.shape)
print(get_string_labels(tf.constant([[0.1, 0.2, 0.9, 0.], [1., 0., 0., 0.]])))
# ---- Example 2: the Iliad translations, TextLineDataset
parent_dir = pathlib.Path(tempfile.mkdtemp())
FILE_NAMES = ['cowper.txt', 'derby.txt', 'butler.txt']
styles = [("Achilles", "thy", "wrath"), ("Hector", "thee", "shield"), ("Ajax", "you", "spear")]
for name, (a, b, c) in zip(FILE_NAMES, styles):
  with open(parent_dir / name, "w") as f:
    for i in range(30):
      f.write(f"{a} and {b} the {c} of line {i}, Sing O goddess!\n")
def labeler(example, index):
  return example, tf.cast(index, tf.int64)
labeled_data_sets = []
for i, file_name in enumerate(FILE_NAMES):
  lines_dataset = tf.data.TextLineDataset(str(parent_dir/file_name))
  labeled_dataset = lines_dataset.map(lambda ex: labeler(ex, i))
  labeled_data_sets.append(labeled_dataset)
BUFFER_SIZE = 50000
BATCH_SIZE = 16
VALIDATION_SIZE = 20
all_labeled_data = labeled_data_sets[0]
for labeled_dataset in labeled_data_sets[1:]:
  all_labeled_data = all_labeled_data.concatenate(labeled_dataset)
print(all_labeled_data.element_spec)
for text, label in all_labeled_data.take(3):
  print("Sentence: ", text.numpy())
  print("Label:", label.numpy())
print(sorted(label.numpy() for _, label in all_labeled_data.shuffle(BUFFER_SIZE, reshuffle_each_iteration=False))[::20])
class UnicodeScriptTokenizer:   # (tensorflow_text; whitespace + punctuation split here)
  def tokenize(self, text):
    text = tf.strings.regex_replace(text, r"([.,!?;:])", r" \1 ")
    return tf.strings.split(text)
tokenizer = UnicodeScriptTokenizer()
def tokenize(text, unused_label):
  lower_case = tf.strings.lower(text)
  return tokenizer.tokenize(lower_case)
tokenized_ds = all_labeled_data.map(tokenize)
print(tokenized_ds.element_spec)
for text_batch in tokenized_ds.take(3):
  print("Tokens: ", text_batch.numpy())
tokenized_ds = configure_dataset(tokenized_ds)
vocab_dict = collections.defaultdict(lambda: 0)
for toks in tokenized_ds.as_numpy_iterator():
  for tok in toks:
    vocab_dict[tok] += 1
vocab = sorted(vocab_dict.items(), key=lambda x: (-x[1], x[0]))
vocab = [token for token, count in vocab]
vocab = vocab[:VOCAB_SIZE]
vocab_size = len(vocab)
print("Vocab size: ", vocab_size)
print("First five vocab entries:", vocab[:5])
keys = vocab
values = range(2, len(vocab) + 2)  # Reserve `0` for padding, `1` for OOV tokens.
init = tf.lookup.KeyValueTensorInitializer(
    keys, values, key_dtype=tf.string, value_dtype=tf.int64)
num_oov_buckets = 1
vocab_table = tf.lookup.StaticVocabularyTable(init, num_oov_buckets)
print(vocab_table.size())
def preprocess_text(text, label):
  standardized = tf.strings.lower(text)
  tokenized = tokenizer.tokenize(standardized)
  vectorized = vocab_table.lookup(tokenized)
  return vectorized, label
example_text, example_label = next(iter(all_labeled_data))
print("Sentence: ", example_text.numpy())
vectorized_text, example_label = preprocess_text(example_text, example_label)
print("Vectorized sentence: ", vectorized_text.numpy())
print(vocab_table.lookup(tf.constant(["achilles", "zzz-unknown", "the"])))
all_encoded_data = all_labeled_data.map(preprocess_text)
print(all_encoded_data.element_spec)
train_data = all_encoded_data.skip(VALIDATION_SIZE).shuffle(BUFFER_SIZE)
validation_data = all_encoded_data.take(VALIDATION_SIZE)
train_data = train_data.padded_batch(BATCH_SIZE)
validation_data = validation_data.padded_batch(BATCH_SIZE)
sample_text, sample_labels = next(iter(validation_data))
print("Text batch shape: ", sample_text.shape)
print("Label batch shape: ", sample_labels.shape)
print("First text example: ", sample_text[0])
print("First label example: ", sample_labels[0])
vocab_size += 2
train_data = configure_dataset(train_data)
validation_data = configure_dataset(validation_data)
model = create_model(vocab_size=vocab_size, num_labels=3)
model.compile(
    optimizer='adam',
    loss=losses.SparseCategoricalCrossentropy(from_logits=True),
    metrics=['accuracy'])
history = model.fit(train_data, validation_data=validation_data, epochs=3, verbose=0)
print(len(history.history['loss']))
preprocess_layer = TextVectorization(
    max_tokens=vocab_size,
    standardize=tf.strings.lower,
    split=tokenizer.tokenize,
    output_mode='int',
    output_sequence_length=MAX_SEQUENCE_LENGTH)
preprocess_layer.set_vocabulary(vocab)
print(preprocess_layer.get_vocabulary()[:5], preprocess_layer.vocabulary_size())
print(preprocess_layer(tf.constant(["Achilles and thee, the SPEAR!"]))[:, :8])
export_model = tf.keras.Sequential(
    [preprocess_layer, model,
     layers.Activation('sigmoid')])
export_model.compile(
    loss=losses.SparseCategoricalCrossentropy(from_logits=False),
    optimizer='adam',
    metrics=['accuracy'])
inputs = [
    "Join'd to th' Ionians with their flowing robes,",  # Label: 1
    "the allies, and his armour flashed about him so that he seemed to all",  # Label: 2
]
predicted_scores = export_model.predict(tf.constant(inputs), verbose=0)
predicted_labels = tf.math.argmax(predicted_scores, axis=1)
print(predicted_scores.shape, predicted_labels.dtype)
