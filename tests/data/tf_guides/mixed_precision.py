# TF guide "Mixed precision" (tensorflow.org/guide/mixed_precision), Keras 3 API (TF 2.21):
# small generated data instead of MNIST; LossScaleOptimizer.scale_loss in the custom loop
import numpy as np
import tensorflow as tf

from tensorflow import keras
from tensorflow.keras import layers
from tensorflow.keras import mixed_precision

policy = mixed_precision.Policy('mixed_float16')
mixed_precision.set_global_policy(policy)
print('Compute dtype: %s' % policy.compute_dtype)
print('Variable dtype: %s' % policy.variable_dtype)
print(mixed_precision.global_policy())

inputs = keras.Input(shape=(64,), name='digits')
num_units = 32
dense1 = layers.Dense(num_units, activation='relu', name='dense_1')
x = dense1(inputs)
dense2 = layers.Dense(num_units, activation='relu', name='dense_2')
x = dense2(x)
print(dense1.dtype_policy)
print('x.dtype: %s' % tf.as_dtype(x.dtype).name)   # (Keras 3: a str; tf: a DType)
print('dense1.kernel.dtype: %s' % tf.as_dtype(dense1.kernel.dtype).name)
print(dense1.dtype, dense1.compute_dtype, dense1.variable_dtype)

# INCORRECT: softmax and model output will be float16, when it should be float32
outputs = layers.Dense(10, activation='softmax', name='predictions')(x)
print('Outputs dtype: %s' % tf.as_dtype(outputs.dtype).name)

# CORRECT: softmax and model output are float32
x = layers.Dense(10, name='dense_logits')(x)
outputs = layers.Activation('softmax', dtype='float32', name='predictions')(x)
print('Outputs dtype: %s' % tf.as_dtype(outputs.dtype).name)
outputs = layers.Activation('linear', dtype='float32')(outputs)

model = keras.Model(inputs=inputs, outputs=outputs)
model.compile(loss='sparse_categorical_crossentropy',
              optimizer=keras.optimizers.RMSprop(),
              metrics=['accuracy'])
print(type(model.optimizer).__name__, type(model.optimizer.inner_optimizer).__name__)
print([tf.as_dtype(w.dtype).name for w in model.weights][:2])

rng = np.random.default_rng(0)
centers = rng.normal(size=(10, 64)).astype('float32')
y_train = rng.integers(0, 10, size=512)
x_train = (centers[y_train] + 0.3 * rng.normal(size=(512, 64))).astype('float32')
y_test = rng.integers(0, 10, size=128)
x_test = (centers[y_test] + 0.3 * rng.normal(size=(128, 64))).astype('float32')

initial_weights = model.get_weights()
print([w.dtype for w in initial_weights][:2])
history = model.fit(x_train, y_train, batch_size=64, epochs=2, validation_split=0.2,
                    verbose=0)
print(sorted(history.history))
print(history.history['loss'][-1] < history.history['loss'][0])
test_scores = model.evaluate(x_test, y_test, verbose=0)
print('Test accuracy above 0.3:', test_scores[1] > 0.3)
pred = model.predict(x_test[:4], verbose=0)
print(pred.dtype, pred.shape)

x = tf.constant(256, dtype='float16')
print((x ** 2).numpy())  # Overflow
x = tf.constant(1e-5, dtype='float16')
print((x ** 2).numpy())  # Underflow

optimizer = keras.optimizers.RMSprop()
optimizer = mixed_precision.LossScaleOptimizer(optimizer)
print(optimizer.dynamic_growth_steps, optimizer.initial_scale)
print(float(optimizer.scale_loss(tf.constant(2.0)).numpy()))

loss_object = tf.keras.losses.SparseCategoricalCrossentropy()
train_dataset = (tf.data.Dataset.from_tensor_slices((x_train, y_train))
                 .shuffle(10000).batch(64))
test_dataset = tf.data.Dataset.from_tensor_slices((x_test, y_test)).batch(64)


@tf.function
def train_step(x, y):
    with tf.GradientTape() as tape:
        predictions = model(x)
        loss = loss_object(y, predictions)
        scaled_loss = optimizer.scale_loss(loss)
    scaled_gradients = tape.gradient(scaled_loss, model.trainable_variables)
    optimizer.apply_gradients(zip(scaled_gradients, model.trainable_variables))
    return loss


test_accuracy = tf.keras.metrics.SparseCategoricalAccuracy()


@tf.function
def test_step(x):
    return model(x, training=False)


model.set_weights(initial_weights)
losses = []
for epoch in range(2):
    epoch_loss_avg = tf.keras.metrics.Mean()
    for x, y in train_dataset:
        loss = train_step(x, y)
        epoch_loss_avg(loss)
    for x, y in test_dataset:
        predictions = test_step(x)
        test_accuracy.update_state(y, predictions)
    losses.append(float(epoch_loss_avg.result()))
    print('Epoch', epoch, 'loss dtype', loss.dtype, 'test accuracy above 0.3:',
          float(test_accuracy.result()) > 0.3)
print(losses[-1] < losses[0])
print(optimizer.iterations.numpy(), float(optimizer.dynamic_scale.numpy()))
print(predictions.dtype)

# dtype of a layer's variables and its call under the policy
layer = layers.Dense(3)
y = layer(np.ones((2, 4), 'float32'))
print(y.dtype, tf.as_dtype(layer.kernel.dtype).name, layer.dtype_policy.name)
with tf.GradientTape() as tape:
    out = tf.reduce_sum(layer(np.ones((2, 4), 'float32')))
g = tape.gradient(out, layer.kernel)
print(out.dtype, g.dtype, g.numpy().tolist())
print(layers.Dense(3, dtype='float32').dtype_policy)
print(layers.Dense(3, dtype=mixed_precision.Policy('float64')).compute_dtype)

mixed_precision.set_global_policy('float32')
print(mixed_precision.global_policy())
print(layers.Dense(2).compute_dtype)
