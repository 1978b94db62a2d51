# "Classify structured data using Keras preprocessing layers" tutorial
# (tensorflow.org/tutorials/structured_data/preprocessing_layers): the PetFinder CSV replaced by a
# generated table of the same columns (a dict of numpy columns instead of a pandas DataFrame).
import numpy as np
import tensorflow as tf
rng = np.random.RandomState(0)
n = 200
cols = {
  'Type': rng.choice(['Cat', 'Dog'], n),
  'Age': rng.randint(1, 60, n).astype('int64'),
  'Breed1': rng.choice(['Tabby', 'Mixed Breed', 'Domestic Short Hair', 'Poodle'], n),
  'Gender': rng.choice(['Male', 'Female'], n),
  'Color1': rng.choice(['Black', 'White', 'Brown', 'Cream'], n),
  'MaturitySize': rng.choice(['Small', 'Medium', 'Large'], n),
  'FurLength': rng.choice(['Short', 'Medium', 'Long'], n),
  'Vaccinated': rng.choice(['No', 'Yes', 'Not Sure'], n),
  'Sterilized': rng.choice(['No', 'Yes', 'Not Sure'], n),
  'Health': rng.choice(['Healthy', 'Minor Injury'], n),
  'Fee': rng.randint(0, 300, n).astype('int64'),
  'PhotoAmt': rng.randint(0, 10, n).astype('int64'),
  'target': rng.randint(0, 2, n).astype('int64'),
}
idx = np.arange(n)
train, val, test = idx[:160], idx[160:180], idx[180:]
print(len(train), 'training examples')
print(len(val), 'validation examples')
print(len(test), 'test examples')
def df_to_dataset(rows, shuffle=True, batch_size=32):
  df = {k: v[rows] for k, v in cols.items()}
  labels = df.pop('target')
  df = {key: value[:,tf.newaxis] for key, value in df.items()}
  ds = tf.data.Dataset.from_tensor_slices((dict(df), labels))
  if shuffle:
    ds = ds.shuffle(buffer_size=len(rows))
  ds = ds.batch(batch_size)
  ds = ds.prefetch(batch_size)
  return ds
batch_size = 5
train_ds = df_to_dataset(train, batch_size=batch_size)
[(train_features, label_batch)] = train_ds.take(1)
print('Every feature:', list(train_features.keys()))
print('A batch of ages:', train_features['Age'].shape, train_features['Age'].dtype)
print('A batch of targets:', label_batch.shape, label_batch.dtype)
def get_normalization_layer(name, dataset):
  normalizer = tf.keras.layers.Normalization(axis=None)
  feature_ds = dataset.map(lambda x, y: x[name])
  normalizer.adapt(feature_ds)
  return normalizer
photo_count_col = train_features['PhotoAmt']
layer = get_normalization_layer('PhotoAmt', train_ds)
print(layer(photo_count_col).shape, layer(photo_count_col).dtype)
print(np.round(layer.mean.numpy(), 4), np.round(layer.variance.numpy(), 3))
def get_category_encoding_layer(name, dataset, dtype, max_tokens=None):
  if dtype == 'string':
    index = tf.keras.layers.StringLookup(max_tokens=max_tokens)
  else:
    index = tf.keras.layers.IntegerLookup(max_tokens=max_tokens)
  feature_ds = dataset.map(lambda x, y: x[name])
  index.adapt(feature_ds)
  encoder = tf.keras.layers.CategoryEncoding(num_tokens=index.vocabulary_size())
  return lambda feature: encoder(index(feature))
test_type_col = tf.constant([['Cat'], ['Dog'], ['Cat'], ['Bird']])
test_type_layer = get_category_encoding_layer(name='Type',
                                              dataset=train_ds,
                                              dtype='string')
print(test_type_layer(test_type_col))
test_age_col = tf.constant([[1], [5], [59], [99]], tf.int64)
test_age_layer = get_category_encoding_layer(name='Age',
                                             dataset=train_ds,
                                             dtype='int64',
                                             max_tokens=5)
print(test_age_layer(test_age_col).shape, test_age_layer(test_age_col).dtype)
print(test_age_layer(tf.constant([[99]], tf.int64)))
batch_size = 32
train_ds = df_to_dataset(train, batch_size=batch_size)
val_ds = df_to_dataset(val, shuffle=False, batch_size=batch_size)
test_ds = df_to_dataset(test, shuffle=False, batch_size=batch_size)
all_inputs = {}
encoded_features = []
for header in ['PhotoAmt', 'Fee']:
  numeric_col = tf.keras.Input(shape=(1,), name=header)
  normalization_layer = get_normalization_layer(header, train_ds)
  encoded_numeric_col = normalization_layer(numeric_col)
  all_inputs[header] = numeric_col
  encoded_features.append(encoded_numeric_col)
age_col = tf.keras.Input(shape=(1,), name='Age', dtype='int64')
encoding_layer = get_category_encoding_layer(name='Age',
                                             dataset=train_ds,
                                             dtype='int64',
                                             max_tokens=5)
encoded_age_col = encoding_layer(age_col)
all_inputs['Age'] = age_col
encoded_features.append(encoded_age_col)
categorical_cols = ['Type', 'Color1', 'Gender', 'MaturitySize',
                    'FurLength', 'Vaccinated', 'Sterilized', 'Health', 'Breed1']
for header in categorical_cols:
  categorical_col = tf.keras.Input(shape=(1,), name=header, dtype='string')
  encoding_layer = get_category_encoding_layer(name=header,
                                               dataset=train_ds,
                                               dtype='string',
                                               max_tokens=5)
  encoded_categorical_col = encoding_layer(categorical_col)
  all_inputs[header] = categorical_col
  encoded_features.append(encoded_categorical_col)
print([tuple(f.shape) for f in encoded_features])
all_features = tf.keras.layers.concatenate(encoded_features)
x = tf.keras.layers.Dense(32, activation="relu")(all_features)
x = tf.keras.layers.Dropout(0.5)(x)
output = tf.keras.layers.Dense(1)(x)
model = tf.keras.Model(all_inputs, output)
print(all_features.shape, output.shape, len(model.inputs), model.count_params())
model.compile(optimizer='adam',
              loss=tf.keras.losses.BinaryCrossentropy(from_logits=True),
              metrics=["accuracy"])
h = model.fit(train_ds, epochs=2, validation_data=val_ds, verbose=0)
print(sorted(h.history))
result = model.evaluate(test_ds, return_dict=True, verbose=0)
print(sorted(result))
sample = {
    'Type': 'Cat',
    'Age': 3,
    'Breed1': 'Tabby',
    'Gender': 'Male',
    'Color1': 'Black',
    'MaturitySize': 'Small',
    'FurLength': 'Short',
    'Vaccinated': 'No',
    'Sterilized': 'No',
    'Health': 'Healthy',
    'Fee': 100,
    'PhotoAmt': 2,
}
input_dict = {name: tf.convert_to_tensor([value]) for name, value in sample.items()}
predictions = model.predict(input_dict, verbose=0)
prob = tf.nn.sigmoid(predictions[0])
print(predictions.shape, prob.shape, bool(0 <= float(prob[0]) <= 1))
