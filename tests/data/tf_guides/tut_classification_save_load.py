# "Basic classification" (tensorflow.org/tutorials/keras/classification) and "Save and load models"
# (tensorflow.org/tutorials/keras/save_and_load) tutorials: Fashion-MNIST / MNIST replaced by
# generated arrays of the same shape and dtype; small sizes.
import os
import tempfile
import numpy as np
import tensorflow as tf
rng = np.random.RandomState(0)
train_images = rng.randint(0, 256, size=(120, 28, 28)).astype('uint8')
train_labels = rng.randint(0, 10, size=(120,)).astype('uint8')
test_images = rng.randint(0, 256, size=(30, 28, 28)).astype('uint8')
test_labels = rng.randint(0, 10, size=(30,)).astype('uint8')
class_names = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat',
               'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot']
print(train_images.shape, len(train_labels), train_labels[:5])
train_images = train_images / 255.0
test_images = test_images / 255.0
tf.keras.utils.set_random_seed(0)
model = tf.keras.Sequential([
    tf.keras.layers.Flatten(input_shape=(28, 28)),
    tf.keras.layers.Dense(16, activation='relu'),
    tf.keras.layers.Dense(10)
])
model.compile(optimizer='adam',
              loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
              metrics=['accuracy'])
h = model.fit(train_images, train_labels, epochs=2, verbose=0)
print(sorted(h.history), h.history['loss'][1] < h.history['loss'][0])
test_loss, test_acc = model.evaluate(test_images,  test_labels, verbose=0)
print('\nTest accuracy:', type(test_acc).__name__)
probability_model = tf.keras.Sequential([model,
                                         tf.keras.layers.Softmax()])
predictions = probability_model.predict(test_images, verbose=0)
print(predictions.shape, predictions.dtype, bool(np.allclose(predictions.sum(1), 1, atol=1e-5)))
print(np.argmax(predictions[0]) == np.argmax(model.predict(test_images[:1], verbose=0)[0]))
img = test_images[1]
print(img.shape)
img = (np.expand_dims(img,0))
print(img.shape)
predictions_single = probability_model.predict(img, verbose=0)
print(predictions_single.shape)
print(np.argmax(predictions_single[0]) == np.argmax(predictions[1]))
# ---- Save and load models
train_labels = train_labels[:100]
test_labels = test_labels[:30]
train_images = train_images[:100].reshape(-1, 28 * 28)
test_images = test_images[:30].reshape(-1, 28 * 28)
def create_model():
  model = tf.keras.Sequential([
    tf.keras.layers.Dense(32, activation='relu', input_shape=(784,)),
    tf.keras.layers.Dropout(0.2),
    tf.keras.layers.Dense(10)
  ])
  model.compile(optimizer='adam',
                loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                metrics=[tf.keras.metrics.SparseCategoricalAccuracy()])
  return model
model = create_model()
model.summary() if False else print(model.count_params())
d = tempfile.mkdtemp()
os.chdir(d)   # (relative paths: the callback prints them)
checkpoint_path = "training_1/cp.weights.h5"
checkpoint_dir = os.path.dirname(checkpoint_path)
cp_callback = tf.keras.callbacks.ModelCheckpoint(filepath=checkpoint_path,
                                                 save_weights_only=True,
                                                 verbose=1)
model.fit(train_images,
          train_labels,
          epochs=2,
          validation_data=(test_images, test_labels),
          callbacks=[cp_callback], verbose=0)
print(os.listdir(checkpoint_dir))
model2 = create_model()
loss, acc = model2.evaluate(test_images, test_labels, verbose=0)
model2.load_weights(checkpoint_path)
loss2, acc2 = model2.evaluate(test_images, test_labels, verbose=0)
ref = model.evaluate(test_images, test_labels, verbose=0)
print(bool(np.isclose(loss2, ref[0], rtol=1e-5)), bool(np.isclose(acc2, ref[1])))
checkpoint_path = "training_2/cp-{epoch:04d}.weights.h5"
checkpoint_dir = os.path.dirname(checkpoint_path)
batch_size = 25
n_batches = len(train_images) / batch_size
n_batches = int(np.ceil(n_batches))
cp_callback = tf.keras.callbacks.ModelCheckpoint(
    filepath=checkpoint_path,
    verbose=1,
    save_weights_only=True,
    save_freq=2*n_batches)
model = create_model()
os.makedirs(checkpoint_dir)   # (Keras 3's save_weights does not create it)
model.save_weights(checkpoint_path.format(epoch=0))
model.fit(train_images,
          train_labels,
          epochs=6,
          batch_size=batch_size,
          callbacks=[cp_callback],
          validation_data=(test_images, test_labels),
          verbose=0)
print(sorted(os.listdir(checkpoint_dir)))
os.makedirs(os.path.join(d, 'checkpoints'))
model.save_weights(os.path.join(d, 'checkpoints/my_checkpoint.weights.h5'))
model = create_model()
model.load_weights(os.path.join(d, 'checkpoints/my_checkpoint.weights.h5'))
model = create_model()
model.fit(train_images, train_labels, epochs=2, verbose=0)
model.save(os.path.join(d, 'my_model.keras'))
new_model = tf.keras.models.load_model(os.path.join(d, 'my_model.keras'))
print(type(new_model).__name__, [type(l).__name__ for l in new_model.layers])
a = model.evaluate(test_images, test_labels, verbose=0)
b = new_model.evaluate(test_images, test_labels, verbose=0)
print(bool(np.allclose(a, b, rtol=1e-5)))
print(new_model.predict(test_images, verbose=0).shape)
# (not here: model.save('my_model.h5'), Keras 3's legacy HDF5 model format)
