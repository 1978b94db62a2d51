# Code cells of TF guides (tensorflow.org/guide), run by tests/test_tf_guides_output.py with
# `import graphflow as tf`; <name>.tf_output.txt is what TF 2.21 printed running this file.
import tensorflow as tf
import numpy as np
import os, tempfile
# ---- 'Load CSV data' tutorial cells on a generated titanic-like file
d = tempfile.mkdtemp()
path = os.path.join(d, "titanic.csv")
rows = ["survived,sex,age,n_siblings_spouses,parch,fare,class,deck,embark_town,alone",
        "0,male,22.0,1,0,7.25,Third,unknown,Southampton,n",
        "1,female,38.0,1,0,71.2833,First,C,Cherbourg,n",
        "1,female,26.0,0,0,7.925,Third,unknown,Southampton,y",
        "1,female,35.0,1,0,53.1,First,C,Southampton,n",
        "0,male,28.0,0,0,8.4583,Third,unknown,Queenstown,y",
        "0,male,2.0,3,1,21.075,Third,unknown,Southampton,n"]
with open(path, "w") as f:
  f.write("\n".join(rows) + "\n")
titanic_csv_ds = tf.data.experimental.make_csv_dataset(path, batch_size=5, label_name='survived', num_epochs=1, ignore_errors=True, shuffle=False)
for batch, label in titanic_csv_ds.take(1):
  for key, value in batch.items():
    print(f"{key:20s}: {value}")
  print()
  print(f"{'label':20s}: {label}")
print(titanic_csv_ds.element_spec[1])
print(sorted(titanic_csv_ds.element_spec[0].items())[:3])
titanic_types = [tf.int32, tf.string, tf.float32, tf.int32, tf.int32, tf.float32, tf.string, tf.string, tf.string, tf.string]
titanic_lines = tf.data.TextLineDataset(path)
for line in titanic_lines.take(3):
  print(line.numpy())
simple_titanic = tf.data.experimental.CsvDataset(path, record_defaults=titanic_types, header=True)
for example in simple_titanic.take(1):
  print([e.numpy() for e in example])
all_strings = [str()] * 10
def decode_titanic_line(line):
  return tf.io.decode_csv(line, all_strings)
manual_titanic = titanic_lines.skip(1).map(decode_titanic_line)
for example in manual_titanic.take(1):
  print([e.numpy() for e in example])
print(tf.io.decode_csv(tf.constant(["1,a,2.5", "3,,"]), record_defaults=[[0], ["x"], [0.0]]))
try:
  tf.io.decode_csv(tf.constant(["1,a"]), record_defaults=[tf.constant([], tf.int32), [""], [0.0]])
except tf.errors.InvalidArgumentError:
  print("InvalidArgumentError")
fonts = os.path.join(d, "fonts.csv")
with open(fonts, "w") as f:
  f.write("font,m_label,r0c0,r0c1\n")
  for i in range(6):
    f.write(f"F{i % 2},{65 + i},{i},{2 * i}\n")
fonts_ds = tf.data.experimental.make_csv_dataset(file_pattern=fonts, batch_size=4, num_epochs=1, shuffle=False, select_columns=["font", "r0c1"])
for features in fonts_ds.take(1):
  for i, (name, value) in enumerate(features.items()):
    print(f"{name:20s}: {value}")
print(list(tf.data.experimental.CsvDataset(fonts, [tf.string, tf.int32], header=True, select_cols=[0, 2]).map(lambda a, b: b).as_numpy_iterator()))
print(list(tf.data.experimental.CsvDataset(fonts, [tf.string, tf.int32], header=True, select_cols=[0, 2]).map(lambda a, b: a).as_numpy_iterator()))
np_path = os.path.join(d, "arr.npz")
np.savez(np_path, x_train=np.arange(12.).reshape(6, 2), y_train=np.array([0, 1, 0, 1, 1, 0]))
with np.load(np_path) as data:
  train_examples = data['x_train']
  train_labels = data['y_train']
train_dataset = tf.data.Dataset.from_tensor_slices((train_examples, train_labels))
print(train_dataset.element_spec)
print([(x.tolist(), int(y)) for x, y in train_dataset.batch(4).take(1).unbatch().as_numpy_iterator()][:2])
txt = os.path.join(d, "a.txt")
with open(txt, "w") as f:
  f.write("hello world\nsecond line\n\nlast")
print(list(tf.data.TextLineDataset(txt).as_numpy_iterator()))
print(list(tf.data.TextLineDataset([txt, txt]).filter(lambda l: tf.strings.length(l) > 0).map(lambda l: tf.strings.split(l)[0]).as_numpy_iterator()))
files = tf.data.Dataset.list_files(os.path.join(d, "*.csv"), shuffle=False)
print([os.path.basename(f.decode()) for f in files.as_numpy_iterator()])
print(sorted(os.path.basename(f) for f in tf.io.gfile.glob(os.path.join(d, "*.csv"))))
print(tf.io.gfile.exists(path), tf.io.gfile.isdir(d), tf.io.read_file(txt).numpy()[:5])
