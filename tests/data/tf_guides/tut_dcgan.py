# "Deep Convolutional Generative Adversarial Network" tutorial (tensorflow.org/tutorials/generative/dcgan),
# MNIST replaced by generated 28x28 images; small sizes so it runs in seconds.
import numpy as np
import tensorflow as tf
from tensorflow.keras import layers
import time
rng = np.random.RandomState(0)
train_images = rng.randint(0, 256, size=(64, 28, 28)).astype('uint8')
train_images = train_images.reshape(train_images.shape[0], 28, 28, 1).astype('float32')
train_images = (train_images - 127.5) / 127.5
print(train_images.shape, train_images.dtype, float(train_images.min()), float(train_images.max()))
BUFFER_SIZE = 64
BATCH_SIZE = 16
train_dataset = tf.data.Dataset.from_tensor_slices(train_images).shuffle(BUFFER_SIZE).batch(BATCH_SIZE)
print(train_dataset.element_spec)
tf.keras.utils.set_random_seed(0)
def make_generator_model():
    model = tf.keras.Sequential()
    model.add(layers.Input((100,)))
    model.add(layers.Dense(7*7*16, use_bias=False))
    model.add(layers.BatchNormalization())
    model.add(layers.LeakyReLU())
    model.add(layers.Reshape((7, 7, 16)))
    assert model.output_shape == (None, 7, 7, 16)
    model.add(layers.Conv2DTranspose(8, (5, 5), strides=(1, 1), padding='same', use_bias=False))
    assert model.output_shape == (None, 7, 7, 8)
    model.add(layers.BatchNormalization())
    model.add(layers.LeakyReLU())
    model.add(layers.Conv2DTranspose(4, (5, 5), strides=(2, 2), padding='same', use_bias=False))
    assert model.output_shape == (None, 14, 14, 4)
    model.add(layers.BatchNormalization())
    model.add(layers.LeakyReLU())
    model.add(layers.Conv2DTranspose(1, (5, 5), strides=(2, 2), padding='same', use_bias=False, activation='tanh'))
    assert model.output_shape == (None, 28, 28, 1)
    return model
generator = make_generator_model()
noise = tf.random.normal([1, 100])
generated_image = generator(noise, training=False)
print(generated_image.shape, generated_image.dtype)
print(bool(tf.reduce_all(tf.abs(generated_image) <= 1.0)))
def make_discriminator_model():
    model = tf.keras.Sequential()
    model.add(layers.Input((28, 28, 1)))
    model.add(layers.Conv2D(8, (5, 5), strides=(2, 2), padding='same'))
    model.add(layers.LeakyReLU())
    model.add(layers.Dropout(0.3))
    model.add(layers.Conv2D(16, (5, 5), strides=(2, 2), padding='same'))
    model.add(layers.LeakyReLU())
    model.add(layers.Dropout(0.3))
    model.add(layers.Flatten())
    model.add(layers.Dense(1))
    return model
discriminator = make_discriminator_model()
decision = discriminator(generated_image)
print(decision.shape)
print([w.shape for w in generator.trainable_variables])
print([w.shape for w in discriminator.trainable_variables])
print(len(generator.non_trainable_variables), generator.count_params(), discriminator.count_params())
cross_entropy = tf.keras.losses.BinaryCrossentropy(from_logits=True)
def discriminator_loss(real_output, fake_output):
    real_loss = cross_entropy(tf.ones_like(real_output), real_output)
    fake_loss = cross_entropy(tf.zeros_like(fake_output), fake_output)
    total_loss = real_loss + fake_loss
    return total_loss
def generator_loss(fake_output):
    return cross_entropy(tf.ones_like(fake_output), fake_output)
print(round(float(generator_loss(tf.constant([[0.0], [1.0], [-2.0]]))), 5))
print(round(float(discriminator_loss(tf.constant([[0.5], [3.0]]), tf.constant([[0.0], [-1.0]]))), 5))
generator_optimizer = tf.keras.optimizers.Adam(1e-4)
discriminator_optimizer = tf.keras.optimizers.Adam(1e-4)
checkpoint_dir = './training_checkpoints_dcgan'
import os, tempfile
checkpoint_dir = tempfile.mkdtemp()
checkpoint_prefix = os.path.join(checkpoint_dir, "ckpt")
checkpoint = tf.train.Checkpoint(generator_optimizer=generator_optimizer,
                                 discriminator_optimizer=discriminator_optimizer,
                                 generator=generator,
                                 discriminator=discriminator)
EPOCHS = 2
noise_dim = 100
num_examples_to_generate = 4
seed = tf.random.normal([num_examples_to_generate, noise_dim])
gen_losses, disc_losses = [], []
@tf.function
def train_step(images):
    noise = tf.random.normal([BATCH_SIZE, noise_dim])
    with tf.GradientTape() as gen_tape, tf.GradientTape() as disc_tape:
      generated_images = generator(noise, training=True)
      real_output = discriminator(images, training=True)
      fake_output = discriminator(generated_images, training=True)
      gen_loss = generator_loss(fake_output)
      disc_loss = discriminator_loss(real_output, fake_output)
    gradients_of_generator = gen_tape.gradient(gen_loss, generator.trainable_variables)
    gradients_of_discriminator = disc_tape.gradient(disc_loss, discriminator.trainable_variables)
    generator_optimizer.apply_gradients(zip(gradients_of_generator, generator.trainable_variables))
    discriminator_optimizer.apply_gradients(zip(gradients_of_discriminator, discriminator.trainable_variables))
    return gen_loss, disc_loss
def generate_and_save_images(model, epoch, test_input):
  predictions = model(test_input, training=False)
  print('epoch', epoch, predictions.shape, bool(tf.reduce_all(tf.abs(predictions) <= 1.0)))
def train(dataset, epochs):
  for epoch in range(epochs):
    start = time.time()
    for image_batch in dataset:
      g, d = train_step(image_batch)
      gen_losses.append(float(g)); disc_losses.append(float(d))
    generate_and_save_images(generator, epoch + 1, seed)
    if (epoch + 1) % 2 == 0:
      checkpoint.save(file_prefix = checkpoint_prefix)
train(train_dataset, EPOCHS)
print(len(gen_losses), all(np.isfinite(gen_losses + disc_losses)))
print(generator_optimizer.iterations.numpy(), discriminator_optimizer.iterations.numpy())
print(os.path.basename(tf.train.latest_checkpoint(checkpoint_dir)))
w0 = generator.trainable_variables[0].numpy().copy()
generator.trainable_variables[0].assign(tf.zeros_like(w0))
status = checkpoint.restore(tf.train.latest_checkpoint(checkpoint_dir))
print(bool(np.array_equal(generator.trainable_variables[0].numpy(), w0)))
