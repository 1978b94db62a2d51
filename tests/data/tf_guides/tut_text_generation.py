# "Text generation with an RNN" tutorial (tensorflow.org/text/tutorials/text_generation): the
# Shakespeare download replaced by a small generated text. Not yet here: the OneStep generator
# (its @tf.function runs tf.strings.unicode_split and StringLookup: string ops graphflow runs eagerly only).
import numpy as np
import tensorflow as tf
import os
import time
rng = np.random.RandomState(0)
words = ["First", "Citizen:", "Before", "we", "proceed", "any", "further,", "hear", "me", "speak.",
         "All:", "Speak,", "speak.", "You", "are", "resolved", "rather", "to", "die", "than", "famish?"]
text = " ".join(rng.choice(words, size=800)).replace("speak. ", "speak.\n\n")
print(f'Length of text: {len(text)} characters')
print(text[:80])
vocab = sorted(set(text))
print(f'{len(vocab)} unique characters')
example_texts = ['abcdefg', 'xyz']
chars = tf.strings.unicode_split(example_texts, input_encoding='UTF-8')
print(chars)
ids_from_chars = tf.keras.layers.StringLookup(
    vocabulary=list(vocab), mask_token=None)
ids = ids_from_chars(chars)
print(ids)
chars_from_ids = tf.keras.layers.StringLookup(
    vocabulary=ids_from_chars.get_vocabulary(), invert=True, mask_token=None)
chars = chars_from_ids(ids)
print(chars)
print(tf.strings.reduce_join(chars, axis=-1).numpy())
def text_from_ids(ids):
  return tf.strings.reduce_join(chars_from_ids(ids), axis=-1)
all_ids = ids_from_chars(tf.strings.unicode_split(text, 'UTF-8'))
print(all_ids[:10])
ids_dataset = tf.data.Dataset.from_tensor_slices(all_ids)
for ids in ids_dataset.take(10):
    print(chars_from_ids(ids).numpy().decode('utf-8'))
seq_length = 50
sequences = ids_dataset.batch(seq_length+1, drop_remainder=True)
for seq in sequences.take(1):
  print(chars_from_ids(seq))
for seq in sequences.take(2):
  print(text_from_ids(seq).numpy())
def split_input_target(sequence):
    input_text = sequence[:-1]
    target_text = sequence[1:]
    return input_text, target_text
print(split_input_target(list("Tensorflow")))
dataset = sequences.map(split_input_target)
for input_example, target_example in dataset.take(1):
    print("Input :", text_from_ids(input_example).numpy())
    print("Target:", text_from_ids(target_example).numpy())
BATCH_SIZE = 8
BUFFER_SIZE = 100
dataset = (
    dataset
    .shuffle(BUFFER_SIZE)
    .batch(BATCH_SIZE, drop_remainder=True)
    .prefetch(tf.data.experimental.AUTOTUNE))
print(dataset)
vocab_size = len(ids_from_chars.get_vocabulary())
embedding_dim = 16
rnn_units = 32
class MyModel(tf.keras.Model):
  def __init__(self, vocab_size, embedding_dim, rnn_units):
    super().__init__()
    self.embedding = tf.keras.layers.Embedding(vocab_size, embedding_dim)
    self.gru = tf.keras.layers.GRU(rnn_units,
                                   return_sequences=True,
                                   return_state=True)
    self.dense = tf.keras.layers.Dense(vocab_size)
  def call(self, inputs, states=None, return_state=False, training=False):
    x = inputs
    x = self.embedding(x, training=training)
    if states is None:
      states = self.gru.get_initial_state(tf.shape(x)[0])   # Keras 3: a batch size
    x, states = self.gru(x, initial_state=states, training=training)
    x = self.dense(x, training=training)
    if return_state:
      return x, states
    else:
      return x
tf.keras.utils.set_random_seed(0)
model = MyModel(
    vocab_size=vocab_size,
    embedding_dim=embedding_dim,
    rnn_units=rnn_units)
for input_example_batch, target_example_batch in dataset.take(1):
    example_batch_predictions = model(input_example_batch)
    print(example_batch_predictions.shape, "# (batch_size, sequence_length, vocab_size)")
print([v.shape for v in model.trainable_variables])
sampled_indices = tf.random.categorical(example_batch_predictions[0], num_samples=1)
sampled_indices = tf.squeeze(sampled_indices, axis=-1).numpy()
print(sampled_indices.shape, sampled_indices.dtype)
loss = tf.losses.SparseCategoricalCrossentropy(from_logits=True)
example_batch_mean_loss = loss(target_example_batch, example_batch_predictions)
print("Prediction shape: ", example_batch_predictions.shape, " # (batch_size, sequence_length, vocab_size)")
print(abs(tf.exp(example_batch_mean_loss).numpy() - vocab_size) < 2.0)
model.compile(optimizer='adam', loss=loss)
import tempfile
checkpoint_dir = tempfile.mkdtemp()
checkpoint_prefix = os.path.join(checkpoint_dir, "ckpt_{epoch}")
checkpoint_callback = tf.keras.callbacks.ModelCheckpoint(
    filepath=checkpoint_prefix + ".weights.h5",
    save_weights_only=True)
EPOCHS = 2
history = model.fit(dataset, epochs=EPOCHS, callbacks=[checkpoint_callback], verbose=0)
print(sorted(os.listdir(checkpoint_dir)), history.history['loss'][1] < history.history['loss'][0])

class CustomTraining(MyModel):
  @tf.function
  def train_step(self, inputs):
      inputs, labels = inputs
      with tf.GradientTape() as tape:
          predictions = self(inputs, training=True)
          loss = self.loss(labels, predictions)
      grads = tape.gradient(loss, model.trainable_variables)
      self.optimizer.apply_gradients(zip(grads, model.trainable_variables))
      return {'loss': loss}
model = CustomTraining(
    vocab_size=len(ids_from_chars.get_vocabulary()),
    embedding_dim=embedding_dim,
    rnn_units=rnn_units)
model.compile(optimizer = tf.keras.optimizers.Adam(),
              loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))
h = model.fit(dataset, epochs=1, verbose=0)
print(sorted(h.history))
mean = tf.metrics.Mean()
for epoch in range(1):
    mean.reset_state()
    for (batch_n, (inp, target)) in enumerate(dataset):
        logs = model.train_step([inp, target])
        mean.update_state(logs['loss'])
    print(f'Epoch {epoch+1} Loss: {mean.result().numpy() > 0}')
