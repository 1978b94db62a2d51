# "Adversarial example using FGSM" tutorial (tensorflow.org/tutorials/generative/adversarial_fgsm):
# MobileNetV2 with weights=None (no download), a small input and a generated image; decode_predictions
# needs the ImageNet class index download, so the top class index is printed instead.
import numpy as np
import tensorflow as tf
tf.keras.backend.clear_session()   # (fresh layer names: the test runs many scripts in one process)
tf.keras.utils.set_random_seed(1)
pretrained_model = tf.keras.applications.MobileNetV2(include_top=True, weights=None,
                                                     input_shape=(96, 96, 3), alpha=0.35)
pretrained_model.trainable = False
print(pretrained_model.name, len(pretrained_model.layers), pretrained_model.count_params())
print(pretrained_model.output_shape, len(pretrained_model.trainable_variables))
# ImageNet labels
decode_predictions = tf.keras.applications.mobilenet_v2.decode_predictions
# Helper function to preprocess the image so that it can be inputted in MobileNetV2
def preprocess(image):
  image = tf.cast(image, tf.float32)
  image = tf.image.resize(image, (96, 96))
  image = tf.keras.applications.mobilenet_v2.preprocess_input(image)
  image = image[None, ...]
  return image
rng = np.random.RandomState(0)
image_raw = tf.io.encode_jpeg(tf.constant(rng.randint(0, 256, size=(120, 150, 3)).astype(np.uint8)))
image = tf.image.decode_image(image_raw)
print(image.shape, image.dtype)
image = preprocess(image)
print(image.shape, image.dtype, bool(tf.reduce_min(image) >= -1), bool(tf.reduce_max(image) <= 1))
image_probs = pretrained_model.predict(image, verbose=0)
print(type(image_probs), image_probs.shape, round(float(image_probs.sum()), 4))
loss_object = tf.keras.losses.CategoricalCrossentropy()
def create_adversarial_pattern(input_image, input_label):
  with tf.GradientTape() as tape:
    tape.watch(input_image)
    prediction = pretrained_model(input_image)
    loss = loss_object(input_label, prediction)
  # Get the gradients of the loss w.r.t to the input image.
  gradient = tape.gradient(loss, input_image)
  # Get the sign of the gradients to create the perturbation
  signed_grad = tf.sign(gradient)
  return signed_grad
# Get the input label of the image.
labrador_retriever_index = 208
label = tf.one_hot(labrador_retriever_index, image_probs.shape[-1])
label = tf.reshape(label, (1, image_probs.shape[-1]))
print(label.shape, label.dtype, int(tf.argmax(label, axis=1)[0]))
perturbations = create_adversarial_pattern(image, label)
print(perturbations.shape, perturbations.dtype,
      sorted(set(np.unique(perturbations.numpy()).tolist()) - {0.0}))
epsilons = [0, 0.01, 0.1, 0.15]
descriptions = [('Epsilon = {:0.3f}'.format(eps) if eps else 'Input')
                for eps in epsilons]
for i, eps in enumerate(epsilons):
  adv_x = image + eps*perturbations
  adv_x = tf.clip_by_value(adv_x, -1, 1)
  print(descriptions[i], adv_x.shape, adv_x.dtype,
        round(float(tf.reduce_max(tf.abs(adv_x - tf.clip_by_value(image, -1, 1)))), 4) <= eps + 1e-6)
print(tf.sign(tf.constant([-2., 0., 3.])), tf.clip_by_value(tf.constant([-3, 0, 3]), -1, 1))
