# Mixed precision with Keras 3 layers (tensorflow.org guide "Mixed precision", layer cells):
# output dtypes, weight dtypes, BatchNormalization statistics, auto loss scaling in compile,
# policy configs, LossScaleOptimizer steps, float16 tensors
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers, mixed_precision

mixed_precision.set_global_policy('mixed_float16')
x4 = np.random.default_rng(0).normal(size=(2, 6, 6, 3)).astype('float32')
x3 = np.random.default_rng(1).normal(size=(2, 5, 4)).astype('float32')
cases = [
    ('Conv2D', layers.Conv2D(4, 3), x4),
    ('BatchNormalization', layers.BatchNormalization(), x4),
    ('LayerNormalization', layers.LayerNormalization(), x3),
    ('Embedding', layers.Embedding(10, 3), np.array([[1, 2], [3, 4]])),
    ('LSTM', layers.LSTM(3), x3),
    ('GRU', layers.GRU(3, return_sequences=True), x3),
    ('Dropout', layers.Dropout(0.5), x3),
    ('MultiHeadAttention', layers.MultiHeadAttention(2, 4), x3),
    ('GlobalAveragePooling2D', layers.GlobalAveragePooling2D(), x4),
    ('MaxPooling2D', layers.MaxPooling2D(), x4),
    ('Softmax', layers.Softmax(), x3),
    ('Flatten', layers.Flatten(), x4),
    ('Conv2DTranspose', layers.Conv2DTranspose(2, 3), x4),
    ('Add', layers.Add(), [x3, x3]),
    ('Concatenate', layers.Concatenate(), [x3, x3]),
]
for name, layer, x in cases:
    if name == 'MultiHeadAttention':
        y = layer(x, x)
    elif name in ('BatchNormalization', 'Dropout'):
        y = layer(x, training=True)
    else:
        y = layer(x)
    print(name, tf.as_dtype(y.dtype).name, sorted({tf.as_dtype(w.dtype).name for w in layer.weights}),
          layer.dtype_policy.name)
bn = cases[1][1]
print([round(float(v), 4) for v in bn.moving_mean.numpy()[:3]])
inp = keras.Input((6, 6, 3))
h = layers.Conv2D(4, 3, activation='relu')(inp)
h = layers.BatchNormalization()(h)
h = layers.GlobalAveragePooling2D()(h)
out = layers.Dense(2)(h)
out = layers.Activation('linear', dtype='float32')(out)
model = keras.Model(inp, out)
print(model.dtype_policy.name, tf.as_dtype(model.output.dtype).name)
model.compile('adam', keras.losses.MeanSquaredError())
print(type(model.optimizer).__name__)
model.compile('adam', keras.losses.MeanSquaredError(), auto_scale_loss=False)
print(type(model.optimizer).__name__)
model.compile('adam', keras.losses.MeanSquaredError())
h = model.fit(x4, np.ones((2, 2), 'float32'), epochs=2, verbose=0)
print(sorted(h.history), len(h.history['loss']))
print(model.optimizer.iterations.numpy(), float(model.optimizer.dynamic_scale.numpy()))
cfg = layers.Dense(2).get_config()['dtype']
print(cfg)
d = layers.Dense.from_config(layers.Dense(2, name='dd').get_config())
print(d.dtype_policy.name)
d2 = layers.Dense(2, dtype='float64')
print(d2.dtype_policy.name, d2.compute_dtype)
# a float16 model's loss scaling: overflowing gradients skip the step and halve the scale
opt = mixed_precision.LossScaleOptimizer(keras.optimizers.SGD(0.1), initial_scale=4.0)
w = tf.Variable([1.0])
opt.apply_gradients([(tf.constant([float('inf')]), w)])
print(w.numpy().tolist(), float(opt.dynamic_scale.numpy()))
opt.apply_gradients([(tf.constant([4.0]), w)])
print(w.numpy().tolist(), float(opt.dynamic_scale.numpy()))
# float16 ops
a = tf.constant([1.0, 2.0], dtype=tf.float16)
print(a, tf.reduce_sum(a), tf.cast(a, tf.float32) * 2)
print(tf.constant(65504.0, dtype=tf.float16) * 2)
print(np.finfo(np.float16).max, tf.float16.max, tf.float16.min)
mixed_precision.set_global_policy('float32')
