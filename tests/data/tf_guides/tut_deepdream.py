# "DeepDream" tutorial (tensorflow.org/tutorials/generative/deepdream): the photo download replaced
# by a generated image, InceptionV3 with weights=None (no ImageNet download), small images and
# step counts; deterministic parts print values (deprocess, random roll bounds, shapes).
import numpy as np
import tensorflow as tf
tf.keras.backend.clear_session()   # (fresh layer names: the test runs many scripts in one process)
tf.keras.utils.set_random_seed(0)
def download(seed, max_dim=None):
  img = np.random.RandomState(seed).randint(0, 256, (90, 100, 3)).astype(np.uint8)
  if max_dim:
    img = tf.image.resize(img, (max_dim, max_dim), method='nearest', preserve_aspect_ratio=True).numpy()
  return np.array(img)
# Normalize an image
def deprocess(img):
  img = 255*(img + 1.0)/2.0
  return tf.cast(img, tf.uint8)
original_img = download(0, max_dim=96)
print(original_img.shape, original_img.dtype)
print(deprocess(tf.constant([-1., 0., 1., 0.999])))
base_model = tf.keras.applications.InceptionV3(include_top=False, weights=None)
# Maximize the activations of these layers
names = ['mixed3', 'mixed5']
layers = [base_model.get_layer(name).output for name in names]
print([tuple(l.shape) for l in layers])
# Create the feature extraction model
dream_model = tf.keras.Model(inputs=base_model.input, outputs=layers)
print(len(dream_model.layers), dream_model.count_params())
def calc_loss(img, model):
  # Pass forward the image through the model to retrieve the activations.
  # Converts the image into a batch of size 1.
  img_batch = tf.expand_dims(img, axis=0)
  layer_activations = model(img_batch)
  if len(layer_activations) == 1:
    layer_activations = [layer_activations]
  losses = []
  for act in layer_activations:
    loss = tf.math.reduce_mean(act)
    losses.append(loss)
  return  tf.reduce_sum(losses)
class DeepDream(tf.Module):
  def __init__(self, model):
    self.model = model
  @tf.function(
      input_signature=(
        tf.TensorSpec(shape=[None,None,3], dtype=tf.float32),
        tf.TensorSpec(shape=[], dtype=tf.int32),
        tf.TensorSpec(shape=[], dtype=tf.float32),)
  )
  def __call__(self, img, steps, step_size):
      print("Tracing")
      loss = tf.constant(0.0)
      for n in tf.range(steps):
        with tf.GradientTape() as tape:
          # This needs gradients relative to `img`
          # `GradientTape` only watches `tf.Variable`s by default
          tape.watch(img)
          loss = calc_loss(img, self.model)
        # Calculate the gradient of the loss with respect to the pixels of the input image.
        gradients = tape.gradient(loss, img)
        # Normalize the gradients.
        gradients /= tf.math.reduce_std(gradients) + 1e-8
        # In gradient ascent, the "loss" is maximized so that the input image increasingly "excites" the layers.
        # You can update the image by directly adding the gradients (because they're the same shape!)
        img = img + gradients*step_size
        img = tf.clip_by_value(img, -1, 1)
      return loss, img
deepdream = DeepDream(dream_model)
def run_deep_dream_simple(img, steps=100, step_size=0.01):
  # Convert from uint8 to the range expected by the model.
  img = tf.keras.applications.inception_v3.preprocess_input(img)
  img = tf.convert_to_tensor(img)
  step_size = tf.convert_to_tensor(step_size)
  steps_remaining = steps
  step = 0
  while steps_remaining:
    if steps_remaining>100:
      run_steps = tf.constant(100)
    else:
      run_steps = tf.constant(steps_remaining)
    steps_remaining -= run_steps
    step += run_steps
    loss, img = deepdream(img, run_steps, tf.constant(step_size))
    print ("Step {}, loss type {}".format(step, loss.dtype))
  result = deprocess(img)
  return result
dream_img = run_deep_dream_simple(img=original_img,
                                  steps=2, step_size=0.01)
print(dream_img.shape, dream_img.dtype)
def random_roll(img, maxroll):
  # Randomly shift the image to avoid tiled boundaries.
  shift = tf.random.uniform(shape=[2], minval=-maxroll, maxval=maxroll, dtype=tf.int32)
  img_rolled = tf.roll(img, shift=shift, axis=[0,1])
  return shift, img_rolled
shift, img_rolled = random_roll(np.array(original_img), 32)
print(shift.shape, shift.dtype, bool(tf.reduce_all((shift >= -32) & (shift < 32))), img_rolled.shape)
print(tf.roll(tf.reshape(tf.range(12), (3, 4)), shift=[1, -1], axis=[0, 1]))
