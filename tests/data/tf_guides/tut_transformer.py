# "Neural machine translation with a Transformer and Keras" tutorial
# (tensorflow.org/text/tutorials/transformer): its layers, masks, schedule and masked metrics on
# generated token ids (the tokenizers and dataset download replaced), small sizes.
import numpy as np
import tensorflow as tf
def positional_encoding(length, depth):
  depth = depth/2
  positions = np.arange(length)[:, np.newaxis]
  depths = np.arange(depth)[np.newaxis, :]/depth
  angle_rates = 1 / (10000**depths)
  angle_rads = positions * angle_rates
  pos_encoding = np.concatenate(
      [np.sin(angle_rads), np.cos(angle_rads)],
      axis=-1)
  return tf.cast(pos_encoding, dtype=tf.float32)
pos_encoding = positional_encoding(length=2048, depth=512)
print(pos_encoding.shape)
print(np.round(pos_encoding[1, :4].numpy(), 5), np.round(pos_encoding[5, 256:260].numpy(), 5))
pos_encoding/=tf.norm(pos_encoding, axis=1, keepdims=True)
p = pos_encoding[1000]
dots = tf.einsum('pd,d -> p', pos_encoding, p)
print(dots.shape, round(float(dots[1000]), 5))
class PositionalEmbedding(tf.keras.layers.Layer):
  def __init__(self, vocab_size, d_model):
    super().__init__()
    self.d_model = d_model
    self.embedding = tf.keras.layers.Embedding(vocab_size, d_model, mask_zero=True)
    self.pos_encoding = positional_encoding(length=2048, depth=d_model)
  def compute_mask(self, *args, **kwargs):
    return self.embedding.compute_mask(*args, **kwargs)
  def call(self, x):
    length = tf.shape(x)[1]
    x = self.embedding(x)
    x *= tf.math.sqrt(tf.cast(self.d_model, tf.float32))
    x = x + self.pos_encoding[tf.newaxis, :length, :]
    return x
tf.keras.utils.set_random_seed(0)
rng = np.random.RandomState(0)
pt = tf.constant(np.where(np.arange(12)[None, :] < rng.randint(4, 12, size=(4, 1)), rng.randint(1, 50, size=(4, 12)), 0), tf.int64)
en = tf.constant(np.where(np.arange(10)[None, :] < rng.randint(3, 10, size=(4, 1)), rng.randint(1, 40, size=(4, 10)), 0), tf.int64)
en_labels = tf.concat([en[:, 1:], tf.zeros([4, 1], tf.int64)], axis=1)
d_model = 16
embed_pt = PositionalEmbedding(vocab_size=50, d_model=d_model)
embed_en = PositionalEmbedding(vocab_size=40, d_model=d_model)
pt_emb = embed_pt(pt)
en_emb = embed_en(en)
print(pt_emb.shape, en_emb.shape)
print(en_emb._keras_mask.numpy()[0].tolist() == (en.numpy()[0] != 0).tolist())
class BaseAttention(tf.keras.layers.Layer):
  def __init__(self, **kwargs):
    super().__init__()
    self.mha = tf.keras.layers.MultiHeadAttention(**kwargs)
    self.layernorm = tf.keras.layers.LayerNormalization()
    self.add = tf.keras.layers.Add()
class CrossAttention(BaseAttention):
  def call(self, x, context):
    attn_output, attn_scores = self.mha(
        query=x,
        key=context,
        value=context,
        return_attention_scores=True)
    self.last_attn_scores = attn_scores
    x = self.add([x, attn_output])
    x = self.layernorm(x)
    return x
sample_ca = CrossAttention(num_heads=2, key_dim=d_model)
out = sample_ca(en_emb, pt_emb)
print(pt_emb.shape)
print(en_emb.shape)
print(out.shape)
print(sample_ca.last_attn_scores.shape)
s = sample_ca.last_attn_scores.numpy()
# a real (unpadded) query token's weights sum to 1 (Keras 3 zeroes a padded query's row when
# the query's mask reaches the layer; TF's run here lost the masks in Keras's first-call pass)
q = np.broadcast_to((en.numpy() != 0)[:, None, :], s.shape[:-1])
print(bool(np.allclose(s.sum(-1)[q], 1.0, atol=1e-5)))
class GlobalSelfAttention(BaseAttention):
  def call(self, x):
    attn_output = self.mha(
        query=x,
        value=x,
        key=x)
    x = self.add([x, attn_output])
    x = self.layernorm(x)
    return x
sample_gsa = GlobalSelfAttention(num_heads=2, key_dim=d_model)
print(pt_emb.shape)
print(sample_gsa(pt_emb).shape)
class CausalSelfAttention(BaseAttention):
  def call(self, x):
    attn_output = self.mha(
        query=x,
        value=x,
        key=x,
        use_causal_mask = True)
    x = self.add([x, attn_output])
    x = self.layernorm(x)
    return x
sample_csa = CausalSelfAttention(num_heads=2, key_dim=d_model)
print(en_emb.shape)
print(sample_csa(en_emb).shape)
out1 = sample_csa(embed_en(en[:, :3]))
out2 = sample_csa(embed_en(en))[:, :3]
print(float(tf.reduce_max(abs(out1 - out2)).numpy()) < 1e-4)
class FeedForward(tf.keras.layers.Layer):
  def __init__(self, d_model, dff, dropout_rate=0.1):
    super().__init__()
    self.seq = tf.keras.Sequential([
      tf.keras.layers.Dense(dff, activation='relu'),
      tf.keras.layers.Dense(d_model),
      tf.keras.layers.Dropout(dropout_rate)
    ])
    self.add = tf.keras.layers.Add()
    self.layer_norm = tf.keras.layers.LayerNormalization()
  def call(self, x):
    x = self.add([x, self.seq(x)])
    x = self.layer_norm(x)
    return x
sample_ffn = FeedForward(d_model, 32)
print(en_emb.shape)
print(sample_ffn(en_emb).shape)
class EncoderLayer(tf.keras.layers.Layer):
  def __init__(self,*, d_model, num_heads, dff, dropout_rate=0.1):
    super().__init__()
    self.self_attention = GlobalSelfAttention(
        num_heads=num_heads,
        key_dim=d_model,
        dropout=dropout_rate)
    self.ffn = FeedForward(d_model, dff)
  def call(self, x):
    x = self.self_attention(x)
    x = self.ffn(x)
    return x
sample_encoder_layer = EncoderLayer(d_model=d_model, num_heads=2, dff=32)
print(pt_emb.shape)
print(sample_encoder_layer(pt_emb).shape)
class Encoder(tf.keras.layers.Layer):
  def __init__(self, *, num_layers, d_model, num_heads,
               dff, vocab_size, dropout_rate=0.1):
    super().__init__()
    self.d_model = d_model
    self.num_layers = num_layers
    self.pos_embedding = PositionalEmbedding(
        vocab_size=vocab_size, d_model=d_model)
    self.enc_layers = [
        EncoderLayer(d_model=d_model,
                     num_heads=num_heads,
                     dff=dff,
                     dropout_rate=dropout_rate)
        for _ in range(num_layers)]
    self.dropout = tf.keras.layers.Dropout(dropout_rate)
  def call(self, x):
    x = self.pos_embedding(x)
    x = self.dropout(x)
    for i in range(self.num_layers):
      x = self.enc_layers[i](x)
    return x
sample_encoder = Encoder(num_layers=2, d_model=d_model, num_heads=2, dff=32, vocab_size=50)
sample_encoder_output = sample_encoder(pt, training=False)
print(pt.shape)
print(sample_encoder_output.shape)
class DecoderLayer(tf.keras.layers.Layer):
  def __init__(self, *, d_model, num_heads, dff, dropout_rate=0.1):
    super(DecoderLayer, self).__init__()
    self.causal_self_attention = CausalSelfAttention(
        num_heads=num_heads,
        key_dim=d_model,
        dropout=dropout_rate)
    self.cross_attention = CrossAttention(
        num_heads=num_heads,
        key_dim=d_model,
        dropout=dropout_rate)
    self.ffn = FeedForward(d_model, dff)
  def call(self, x, context):
    x = self.causal_self_attention(x=x)
    x = self.cross_attention(x=x, context=context)
    self.last_attn_scores = self.cross_attention.last_attn_scores
    x = self.ffn(x)
    return x
sample_decoder_layer = DecoderLayer(d_model=d_model, num_heads=2, dff=32)
sample_decoder_layer_output = sample_decoder_layer(x=en_emb, context=pt_emb)
print(en_emb.shape)
print(pt_emb.shape)
print(sample_decoder_layer_output.shape)
class Decoder(tf.keras.layers.Layer):
  def __init__(self, *, num_layers, d_model, num_heads, dff, vocab_size,
               dropout_rate=0.1):
    super(Decoder, self).__init__()
    self.d_model = d_model
    self.num_layers = num_layers
    self.pos_embedding = PositionalEmbedding(vocab_size=vocab_size,
                                             d_model=d_model)
    self.dropout = tf.keras.layers.Dropout(dropout_rate)
    self.dec_layers = [
        DecoderLayer(d_model=d_model, num_heads=num_heads,
                     dff=dff, dropout_rate=dropout_rate)
        for _ in range(num_layers)]
    self.last_attn_scores = None
  def call(self, x, context):
    x = self.pos_embedding(x)
    x = self.dropout(x)
    for i in range(self.num_layers):
      x  = self.dec_layers[i](x, context)
    self.last_attn_scores = self.dec_layers[-1].last_attn_scores
    return x
sample_decoder = Decoder(num_layers=2, d_model=d_model, num_heads=2, dff=32, vocab_size=40)
output = sample_decoder(x=en, context=pt_emb)
print(en.shape)
print(pt_emb.shape)
print(output.shape)
print(sample_decoder.last_attn_scores.shape)
class Transformer(tf.keras.Model):
  def __init__(self, *, num_layers, d_model, num_heads, dff,
               input_vocab_size, target_vocab_size, dropout_rate=0.1):
    super().__init__()
    self.encoder = Encoder(num_layers=num_layers, d_model=d_model,
                           num_heads=num_heads, dff=dff,
                           vocab_size=input_vocab_size,
                           dropout_rate=dropout_rate)
    self.decoder = Decoder(num_layers=num_layers, d_model=d_model,
                           num_heads=num_heads, dff=dff,
                           vocab_size=target_vocab_size,
                           dropout_rate=dropout_rate)
    self.final_layer = tf.keras.layers.Dense(target_vocab_size)
  def call(self, inputs):
    context, x  = inputs
    context = self.encoder(context)
    x = self.decoder(x, context)
    logits = self.final_layer(x)
    try:
      del logits._keras_mask
    except AttributeError:
      pass
    return logits
num_layers = 2
dff = 32
num_heads = 2
dropout_rate = 0.1
transformer = Transformer(
    num_layers=num_layers,
    d_model=d_model,
    num_heads=num_heads,
    dff=dff,
    input_vocab_size=50,
    target_vocab_size=40,
    dropout_rate=dropout_rate)
output = transformer((pt, en))
print(en.shape)
print(pt.shape)
print(output.shape)
attn_scores = transformer.decoder.dec_layers[-1].last_attn_scores
print(attn_scores.shape)
print(transformer.count_params())
class CustomSchedule(tf.keras.optimizers.schedules.LearningRateSchedule):
  def __init__(self, d_model, warmup_steps=4000):
    super().__init__()
    self.d_model = d_model
    self.d_model = tf.cast(self.d_model, tf.float32)
    self.warmup_steps = warmup_steps
  def __call__(self, step):
    step = tf.cast(step, dtype=tf.float32)
    arg1 = tf.math.rsqrt(step)
    arg2 = step * (self.warmup_steps ** -1.5)
    return tf.math.rsqrt(self.d_model) * tf.math.minimum(arg1, arg2)
learning_rate = CustomSchedule(d_model)
optimizer = tf.keras.optimizers.Adam(learning_rate, beta_1=0.9, beta_2=0.98,
                                     epsilon=1e-9)
print(np.round(learning_rate(tf.range(1, 40000, 8000, dtype=tf.float32)).numpy(), 8))
def masked_loss(label, pred):
  mask = label != 0
  loss_object = tf.keras.losses.SparseCategoricalCrossentropy(
    from_logits=True, reduction='none')
  loss = loss_object(label, pred)
  mask = tf.cast(mask, dtype=loss.dtype)
  loss *= mask
  loss = tf.reduce_sum(loss)/tf.reduce_sum(mask)
  return loss
def masked_accuracy(label, pred):
  pred = tf.argmax(pred, axis=2)
  label = tf.cast(label, pred.dtype)
  match = label == pred
  mask = label != 0
  match = match & mask
  match = tf.cast(match, dtype=tf.float32)
  mask = tf.cast(mask, dtype=tf.float32)
  return tf.reduce_sum(match)/tf.reduce_sum(mask)
lab = tf.constant([[1, 2, 0], [3, 0, 0]], tf.int64)
prd = tf.one_hot([[1, 0, 0], [3, 1, 2]], 5) * 3.0
print(round(float(masked_loss(lab, prd)), 5), round(float(masked_accuracy(lab, prd)), 5))
transformer.compile(
    loss=masked_loss,
    optimizer=optimizer,
    metrics=[masked_accuracy])
train_batches = tf.data.Dataset.from_tensor_slices(((pt, en), en_labels)).batch(2)
h = transformer.fit(train_batches, epochs=2, verbose=0)
print(sorted(h.history), len(h.history['loss']))
print(optimizer.iterations.numpy(), round(float(optimizer.learning_rate), 10))
