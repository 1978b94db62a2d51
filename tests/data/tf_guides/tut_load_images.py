# "Load and preprocess images" tutorial (tensorflow.org/tutorials/load_data/images): the flowers
# download replaced by generated JPEG files in the same directory layout; small sizes.
import os
import pathlib
import tempfile
import numpy as np
import tensorflow as tf
rng = np.random.RandomState(0)
data_dir = pathlib.Path(tempfile.mkdtemp()) / 'flower_photos'
for name in ['daisy', 'dandelion', 'roses', 'sunflowers', 'tulips']:
  (data_dir / name).mkdir(parents=True)
  for i in range(6):
    img = rng.randint(0, 256, size=(rng.randint(20, 40), rng.randint(20, 40), 3)).astype('uint8')
    tf.io.write_file(str(data_dir / name / f'{i}.jpg'), tf.io.encode_jpeg(img))
(data_dir / 'LICENSE.txt').write_text('license')
image_count = len(list(data_dir.glob('*/*.jpg')))
print(image_count)
batch_size = 4
img_height = 18
img_width = 18
train_ds = tf.keras.utils.image_dataset_from_directory(
  data_dir,
  validation_split=0.2,
  subset="training",
  seed=123,
  image_size=(img_height, img_width),
  batch_size=batch_size)
val_ds = tf.keras.utils.image_dataset_from_directory(
  data_dir,
  validation_split=0.2,
  subset="validation",
  seed=123,
  image_size=(img_height, img_width),
  batch_size=batch_size)
class_names = train_ds.class_names
print(class_names)
for image_batch, labels_batch in train_ds:
  print(image_batch.shape)
  print(labels_batch.shape)
  break
normalization_layer = tf.keras.layers.Rescaling(1./255)
normalized_ds = train_ds.map(lambda x, y: (normalization_layer(x), y))
image_batch, labels_batch = next(iter(normalized_ds))
first_image = image_batch[0]
print(0 <= float(np.min(first_image)), float(np.max(first_image)) <= 1)
print(normalized_ds.element_spec)
AUTOTUNE = tf.data.AUTOTUNE
train_ds = train_ds.cache().prefetch(buffer_size=AUTOTUNE)
val_ds = val_ds.cache().prefetch(buffer_size=AUTOTUNE)
num_classes = 5
tf.keras.utils.set_random_seed(0)
model = tf.keras.Sequential([
  tf.keras.layers.Rescaling(1./255),
  tf.keras.layers.Conv2D(4, 3, activation='relu'),
  tf.keras.layers.MaxPooling2D(),
  tf.keras.layers.Flatten(),
  tf.keras.layers.Dense(8, activation='relu'),
  tf.keras.layers.Dense(num_classes)
])
model.compile(
  optimizer='adam',
  loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
  metrics=['accuracy'])
h = model.fit(train_ds, validation_data=val_ds, epochs=1, verbose=0)
print(sorted(h.history))
list_ds = tf.data.Dataset.list_files(str(data_dir/'*/*'), shuffle=False)
list_ds = list_ds.shuffle(image_count, reshuffle_each_iteration=False)
for f in list_ds.take(1):
  print(f.dtype, f.shape)
class_names = np.array(sorted([item.name for item in data_dir.glob('*') if item.name != "LICENSE.txt"]))
print(class_names)
val_size = int(image_count * 0.2)
train_ds = list_ds.skip(val_size)
val_ds = list_ds.take(val_size)
print(tf.data.experimental.cardinality(train_ds).numpy())
print(tf.data.experimental.cardinality(val_ds).numpy())
def get_label(file_path):
  parts = tf.strings.split(file_path, os.path.sep)
  one_hot = parts[-2] == class_names
  return tf.argmax(one_hot)
def decode_img(img):
  img = tf.io.decode_jpeg(img, channels=3)
  return tf.image.resize(img, [img_height, img_width])
def process_path(file_path):
  label = get_label(file_path)
  img = tf.io.read_file(file_path)
  img = decode_img(img)
  return img, label
train_ds = train_ds.map(process_path, num_parallel_calls=AUTOTUNE)
val_ds = val_ds.map(process_path, num_parallel_calls=AUTOTUNE)
print(train_ds.element_spec)
for image, label in train_ds.take(1):
  print("Image shape: ", image.numpy().shape)
  print("Label: ", label.numpy() in range(5), label.dtype)
p = str(data_dir / 'roses' / '3.jpg')
print(get_label(tf.constant(p)).numpy())
img, _ = process_path(tf.constant(p))
ref = tf.image.resize(tf.io.decode_jpeg(tf.io.read_file(p), channels=3), [img_height, img_width])
print(img.shape, img.dtype, float(tf.reduce_max(tf.abs(img - ref))))
def configure_for_performance(ds):
  ds = ds.cache()
  ds = ds.shuffle(buffer_size=1000)
  ds = ds.batch(batch_size)
  ds = ds.prefetch(buffer_size=AUTOTUNE)
  return ds
train_ds = configure_for_performance(train_ds)
val_ds = configure_for_performance(val_ds)
image_batch, label_batch = next(iter(train_ds))
print(image_batch.shape, label_batch.shape, label_batch.dtype)
h = model.fit(train_ds, validation_data=val_ds, epochs=1, verbose=0)
print(sorted(h.history))
