# "Image segmentation" tutorial (tensorflow.org/tutorials/images/segmentation): the Oxford pets
# download replaced by generated images/masks, a 64x64 input, MobileNetV2(weights=None, alpha=0.35)
# as the encoder and pix2pix.upsample (tensorflow_examples) written out; one short fit.
import numpy as np
import tensorflow as tf
tf.keras.backend.clear_session()   # (fresh layer names: the test runs many scripts in one process)
tf.keras.utils.set_random_seed(0)
rng = np.random.RandomState(0)
def make_example(i):
  img = rng.randint(0, 256, size=(80, 72, 3)).astype(np.uint8)
  mask = rng.randint(1, 4, size=(80, 72, 1)).astype(np.uint8)
  return {'image': img, 'segmentation_mask': mask}
examples = [make_example(i) for i in range(8)]
dataset_train = tf.data.Dataset.from_tensor_slices(
    {k: np.stack([e[k] for e in examples]) for k in examples[0]})
print(dataset_train.element_spec)
def normalize(input_image, input_mask):
  input_image = tf.cast(input_image, tf.float32) / 255.0
  input_mask -= 1
  return input_image, input_mask
def load_image(datapoint):
  input_image = tf.image.resize(datapoint['image'], (64, 64))
  input_mask = tf.image.resize(
    datapoint['segmentation_mask'],
    (64, 64),
    method = tf.image.ResizeMethod.NEAREST_NEIGHBOR,
  )
  input_image, input_mask = normalize(input_image, input_mask)
  return input_image, input_mask
TRAIN_LENGTH = 8
BATCH_SIZE = 4
BUFFER_SIZE = 1000
STEPS_PER_EPOCH = TRAIN_LENGTH // BATCH_SIZE
train_images = dataset_train.map(load_image, num_parallel_calls=tf.data.AUTOTUNE)
print(train_images.element_spec)
img0, m0 = next(iter(train_images))
print(img0.dtype, m0.dtype, sorted(np.unique(m0.numpy()).tolist()))
class Augment(tf.keras.layers.Layer):
  def __init__(self, seed=42):
    super().__init__()
    # both use the same seed, so they'll make the same random changes.
    self.augment_inputs = tf.keras.layers.RandomFlip(mode="horizontal", seed=seed)
    self.augment_labels = tf.keras.layers.RandomFlip(mode="horizontal", seed=seed)
  def call(self, inputs, labels):
    inputs = self.augment_inputs(inputs)
    labels = self.augment_labels(labels)
    return inputs, labels
train_batches = (
    train_images
    .cache()
    .shuffle(BUFFER_SIZE)
    .batch(BATCH_SIZE)
    .repeat()
    .map(Augment())
    .prefetch(buffer_size=tf.data.AUTOTUNE))
print(train_batches.element_spec)
for images, masks in train_batches.take(1):
  print(images.shape, masks.shape, masks.dtype)
base_model = tf.keras.applications.MobileNetV2(input_shape=[64, 64, 3], include_top=False,
                                               weights=None, alpha=0.35)
# Use the activations of these layers
layer_names = [
    'block_1_expand_relu',   # 64x64
    'block_3_expand_relu',   # 32x32
    'block_6_expand_relu',   # 16x16
    'block_13_expand_relu',  # 8x8
    'block_16_project',      # 4x4
]
base_model_outputs = [base_model.get_layer(name).output for name in layer_names]
print([tuple(o.shape) for o in base_model_outputs])
# Create the feature extraction model
down_stack = tf.keras.Model(inputs=base_model.input, outputs=base_model_outputs)
down_stack.trainable = False
print(len(down_stack.layers), down_stack.count_params(), len(down_stack.trainable_weights))
def upsample(filters, size, norm_type='batchnorm', apply_dropout=False):
  """pix2pix.upsample: Conv2DTranspose => Batchnorm => Dropout => Relu."""
  initializer = tf.random_normal_initializer(0., 0.02)
  result = tf.keras.Sequential()
  result.add(
      tf.keras.layers.Conv2DTranspose(filters, size, strides=2,
                                      padding='same',
                                      kernel_initializer=initializer,
                                      use_bias=False))
  result.add(tf.keras.layers.BatchNormalization())
  if apply_dropout:
    result.add(tf.keras.layers.Dropout(0.5))
  result.add(tf.keras.layers.ReLU())
  return result
up_stack = [
    upsample(128, 3),  # 4x4 -> 8x8
    upsample(64, 3),  # 8x8 -> 16x16
    upsample(32, 3),  # 16x16 -> 32x32
    upsample(16, 3),   # 32x32 -> 64x64
]
def unet_model(output_channels:int):
  inputs = tf.keras.layers.Input(shape=[64, 64, 3])
  # Downsampling through the model
  skips = down_stack(inputs)
  x = skips[-1]
  skips = reversed(skips[:-1])
  # Upsampling and establishing the skip connections
  for up, skip in zip(up_stack, skips):
    x = up(x)
    concat = tf.keras.layers.Concatenate()
    x = concat([x, skip])
  # This is the last layer of the model
  last = tf.keras.layers.Conv2DTranspose(
      filters=output_channels, kernel_size=3, strides=2,
      padding='same')  #64x64 -> 128x128
  x = last(x)
  return tf.keras.Model(inputs=inputs, outputs=x)
OUTPUT_CLASSES = 3
model = unet_model(output_channels=OUTPUT_CLASSES)
model.compile(optimizer='adam',
              loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
              metrics=['accuracy'])
print(model.output_shape, model.count_params(), len(model.trainable_weights), len(model.layers))
print([l.name for l in model.layers])
def create_mask(pred_mask):
  pred_mask = tf.math.argmax(pred_mask, axis=-1)
  pred_mask = pred_mask[..., tf.newaxis]
  return pred_mask[0]
pred = model.predict(images, verbose=0)
print(pred.shape, create_mask(pred).shape, create_mask(pred).dtype)
print(create_mask(tf.constant([[[[0.1, 0.7, 0.2], [3., 1., 2.]]]])))
EPOCHS = 1
model_history = model.fit(train_batches, epochs=EPOCHS,
                          steps_per_epoch=STEPS_PER_EPOCH, verbose=0)
print(sorted(model_history.history), len(model_history.history['loss']))
