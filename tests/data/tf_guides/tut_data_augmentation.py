# "Data augmentation" tutorial (tensorflow.org/tutorials/images/data_augmentation): tf_flowers
# replaced by generated images; the tf.image cells print values (deterministic ops and the
# stateless random ones with fixed seeds).
import numpy as np
import tensorflow as tf
from tensorflow.keras import layers
rng = np.random.RandomState(0)
image = tf.constant(rng.randint(0, 256, size=(12, 10, 3)).astype('uint8'))
label = tf.constant(2, tf.int64)
IMG_SIZE = 8
resize_and_rescale = tf.keras.Sequential([
  layers.Resizing(IMG_SIZE, IMG_SIZE),
  layers.Rescaling(1./255)
])
result = resize_and_rescale(image)
print("Min and max pixel values:", round(float(result.numpy().min()), 5), round(float(result.numpy().max()), 5))
print(result.shape, result.dtype)
def rs(t):
  return np.round(np.asarray(t, np.float64), 4).tolist()
flipped = tf.image.flip_left_right(image)
print(flipped[0, :2].numpy().tolist())
grayscaled = tf.image.rgb_to_grayscale(image)
print(grayscaled.shape, grayscaled.dtype, grayscaled[0, :4, 0].numpy().tolist())
saturated = tf.image.adjust_saturation(image, 3)
print(saturated.dtype, saturated[0, :2].numpy().tolist())
bright = tf.image.adjust_brightness(image, 0.4)
print(bright.dtype, bright[0, :2].numpy().tolist())
cropped = tf.image.central_crop(image, central_fraction=0.5)
print(cropped.shape, cropped[0, 0].numpy().tolist())
rotated = tf.image.rot90(image)
print(rotated.shape, rotated[0, :2].numpy().tolist())
for i in range(3):
  seed = (i, 0)
  stateless_random_brightness = tf.image.stateless_random_brightness(
      image, max_delta=0.95, seed=seed)
  print(stateless_random_brightness[0, 0].numpy().tolist())
for i in range(3):
  seed = (i, 0)
  stateless_random_contrast = tf.image.stateless_random_contrast(
      image, lower=0.1, upper=0.9, seed=seed)
  print(stateless_random_contrast[0, 0].numpy().tolist())
for i in range(3):
  seed = (i, 0)
  stateless_random_crop = tf.image.stateless_random_crop(
      image, size=[6, 6, 3], seed=seed)
  print(stateless_random_crop[0, 0].numpy().tolist(), stateless_random_crop.shape)
image_f = tf.cast(image, tf.float32) / 255.0
def resize_and_rescale(image, label):
  image = tf.cast(image, tf.float32)
  image = tf.image.resize(image, [IMG_SIZE, IMG_SIZE])
  image = (image / 255.0)
  return image, label
def augment(image_label, seed):
  image, label = image_label
  image, label = resize_and_rescale(image, label)
  image = tf.image.resize_with_crop_or_pad(image, IMG_SIZE + 6, IMG_SIZE + 6)
  new_seed = tf.random.split(seed, num=1)[0, :]
  image = tf.image.stateless_random_crop(
      image, size=[IMG_SIZE, IMG_SIZE, 3], seed=seed)
  image = tf.image.stateless_random_brightness(
      image, max_delta=0.5, seed=new_seed)
  image = tf.clip_by_value(image, 0, 1)
  return image, label
print(tf.random.split(tf.constant([1, 2]), num=1).numpy().tolist())
print(tf.random.experimental.stateless_split(tf.constant([3, 4], tf.int64), num=2).numpy().tolist())
out, lab = augment((image, label), tf.constant([1, 2]))
print(out.shape, out.dtype, rs(out[0, 0]))
train_ds = tf.data.Dataset.from_tensor_slices((tf.stack([image] * 4), tf.constant([0, 1, 2, 3], tf.int64)))
counter = tf.data.experimental.Counter()
train_ds = tf.data.Dataset.zip((train_ds, (counter, counter)))
print(train_ds.element_spec)
train_ds = (
    train_ds
    .shuffle(1000)
    .map(augment, num_parallel_calls=tf.data.AUTOTUNE)
    .batch(2)
    .prefetch(tf.data.AUTOTUNE)
)
print(train_ds.element_spec)
for x, y in train_ds.take(1):
  print(x.shape, y.shape)
rng_gen = tf.random.Generator.from_seed(123, alg='philox')
def f(x, y):
  seed = rng_gen.make_seeds(1)[:, 0]
  image, label = augment((x, y), seed)
  return image, label
print(rng_gen.make_seeds(2).numpy().tolist())
