# "word2vec" tutorial (tensorflow.org/text/tutorials/word2vec): the Shakespeare download replaced by
# a small generated corpus.
import io
import re
import string
import numpy as np
import tensorflow as tf
from tensorflow.keras import layers
SEED = 42
import random
random.seed(SEED)   # skipgrams draws with Python's random (as in Keras)
AUTOTUNE = tf.data.AUTOTUNE
sentence = "The wide road shimmered in the hot sun"
tokens = list(sentence.lower().split())
print(len(tokens))
vocab, index = {}, 1
vocab['<pad>'] = 0
for token in tokens:
  if token not in vocab:
    vocab[token] = index
    index += 1
vocab_size = len(vocab)
print(vocab)
inverse_vocab = {index: token for token, index in vocab.items()}
print(inverse_vocab)
example_sequence = [vocab[word] for word in tokens]
print(example_sequence)
window_size = 2
positive_skip_grams, _ = tf.keras.preprocessing.sequence.skipgrams(
      example_sequence,
      vocabulary_size=vocab_size,
      window_size=window_size,
      negative_samples=0)
print(len(positive_skip_grams))
print(sorted(positive_skip_grams)[:5])
for target, context in sorted(positive_skip_grams)[:5]:
  print(f"({target}, {context}): ({inverse_vocab[target]}, {inverse_vocab[context]})")
target_word, context_word = sorted(positive_skip_grams)[0]
num_ns = 4
context_class = tf.reshape(tf.constant(context_word, dtype="int64"), (1, 1))
negative_sampling_candidates, _, _ = tf.random.log_uniform_candidate_sampler(
    true_classes=context_class,
    num_true=1,
    num_sampled=num_ns,
    unique=True,
    range_max=vocab_size,
    seed=SEED,
    name="negative_sampling"
)
print(negative_sampling_candidates.shape, negative_sampling_candidates.dtype)
print(len(set(negative_sampling_candidates.numpy().tolist())) == num_ns,
      bool(tf.reduce_all(negative_sampling_candidates < vocab_size)))
squeezed_context_class = tf.squeeze(context_class, 1)
context = tf.concat([squeezed_context_class, negative_sampling_candidates], 0)
label = tf.constant([1] + [0]*num_ns, dtype="int64")
target = target_word
print(f"target_index    : {target}")
print(f"target_word     : {inverse_vocab[target_word]}")
print(f"context_indices : {context.shape} {context.dtype}")
print(f"label           : {label}")
print("target  :", target)
print("context :", context.shape)
print("label   :", label)
sampling_table = tf.keras.preprocessing.sequence.make_sampling_table(size=10)
print(np.round(sampling_table, 6))

def generate_training_data(sequences, window_size, num_ns, vocab_size, seed):
  targets, contexts, labels = [], [], []
  sampling_table = tf.keras.preprocessing.sequence.make_sampling_table(vocab_size)
  for sequence in sequences:
    positive_skip_grams, _ = tf.keras.preprocessing.sequence.skipgrams(
          sequence,
          vocabulary_size=vocab_size,
          sampling_table=sampling_table,
          window_size=window_size,
          negative_samples=0)
    for target_word, context_word in positive_skip_grams:
      context_class = tf.expand_dims(
          tf.constant([context_word], dtype="int64"), 1)
      negative_sampling_candidates, _, _ = tf.random.log_uniform_candidate_sampler(
          true_classes=context_class,
          num_true=1,
          num_sampled=num_ns,
          unique=True,
          range_max=vocab_size,
          seed=seed,
          name="negative_sampling")
      context = tf.concat([tf.squeeze(context_class,1), negative_sampling_candidates], 0)
      label = tf.constant([1] + [0]*num_ns, dtype="int64")
      targets.append(target_word)
      contexts.append(context)
      labels.append(label)
  return targets, contexts, labels

rng = np.random.RandomState(0)
words = ["the", "king", "queen", "lord", "love", "death", "night", "day", "my", "thy", "and", "of"]
lines = [" ".join(rng.choice(words, size=rng.randint(3, 9), p=np.linspace(2, 0.2, 12) / np.linspace(2, 0.2, 12).sum())) for _ in range(400)]
lines = [l.capitalize() + ("," if i % 3 else ".") for i, l in enumerate(lines)]
import tempfile, os
path_to_file = os.path.join(tempfile.mkdtemp(), "shakespeare.txt")
with open(path_to_file, "w") as f:
  f.write("\n".join(lines) + "\n\n")
with open(path_to_file) as f:
  lines = f.read().splitlines()
for line in lines[:3]:
  print(line)
text_ds = tf.data.TextLineDataset(path_to_file).filter(lambda x: tf.cast(tf.strings.length(x), bool))
def custom_standardization(input_data):
  lowercase = tf.strings.lower(input_data)
  return tf.strings.regex_replace(lowercase,
                                  '[%s]' % re.escape(string.punctuation), '')
vocab_size = 16
sequence_length = 10
vectorize_layer = layers.TextVectorization(
    standardize=custom_standardization,
    max_tokens=vocab_size,
    output_mode='int',
    output_sequence_length=sequence_length)
vectorize_layer.adapt(text_ds.batch(1024))
inverse_vocab = vectorize_layer.get_vocabulary()
print(inverse_vocab[:20])
text_vector_ds = text_ds.batch(1024).prefetch(AUTOTUNE).map(vectorize_layer).unbatch()
sequences = list(text_vector_ds.as_numpy_iterator())
print(len(sequences))
for seq in sequences[:5]:
  print(f"{seq} => {[inverse_vocab[i] for i in seq]}")
targets, contexts, labels = generate_training_data(
    sequences=sequences,
    window_size=2,
    num_ns=4,
    vocab_size=vocab_size,
    seed=SEED)
targets = np.array(targets)
contexts = np.array(contexts)
labels = np.array(labels)
print('\n')
print(f"targets.shape: {targets.shape[1:]}")
print(f"contexts.shape: {contexts.shape[1:]}")
print(f"labels.shape: {labels.shape[1:]}")
BATCH_SIZE = 8
BUFFER_SIZE = 100
dataset = tf.data.Dataset.from_tensor_slices(((targets, contexts), labels))
dataset = dataset.shuffle(BUFFER_SIZE).batch(BATCH_SIZE, drop_remainder=True)
print(dataset.element_spec)
dataset = dataset.cache().prefetch(buffer_size=AUTOTUNE)
print(dataset.element_spec)

class Word2Vec(tf.keras.Model):
  def __init__(self, vocab_size, embedding_dim):
    super(Word2Vec, self).__init__()
    self.target_embedding = layers.Embedding(vocab_size,
                                      embedding_dim,
                                      name="w2v_embedding")
    self.context_embedding = layers.Embedding(vocab_size,
                                       embedding_dim)
  def call(self, pair):
    target, context = pair
    if len(target.shape) == 2:
      target = tf.squeeze(target, axis=1)
    word_emb = self.target_embedding(target)
    context_emb = self.context_embedding(context)
    dots = tf.einsum('be,bce->bc', word_emb, context_emb)
    return dots

embedding_dim = 8
tf.keras.utils.set_random_seed(1)
word2vec = Word2Vec(vocab_size, embedding_dim)
word2vec.compile(optimizer='adam',
                 loss=tf.keras.losses.CategoricalCrossentropy(from_logits=True),
                 metrics=['accuracy'])
hist = word2vec.fit(dataset, epochs=3, verbose=0)
print(sorted(hist.history), hist.history['loss'][-1] < hist.history['loss'][0])
weights = word2vec.get_layer('w2v_embedding').get_weights()[0]
vocab = vectorize_layer.get_vocabulary()
print(weights.shape, len(vocab))
out_v = io.StringIO()
out_m = io.StringIO()
for index, word in enumerate(vocab):
  if index == 0:
    continue
  vec = weights[index]
  out_v.write('\t'.join([str(x) for x in vec]) + "\n")
  out_m.write(word + "\n")
print(len(out_v.getvalue().splitlines()), out_m.getvalue().split())
