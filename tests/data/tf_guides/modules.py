# Code cells of TF guides (tensorflow.org/guide), run by tests/test_tf_guides_output.py with
# `import graphflow as tf`; <name>.tf_output.txt is what TF 2.21 printed running this file.
import tensorflow as tf
class SimpleModule(tf.Module):
  def __init__(self, name=None):
    super().__init__(name=name)
    self.a_variable = tf.Variable(5.0, name="train_me")
    self.non_trainable_variable = tf.Variable(5.0, trainable=False, name="do_not_train_me")
  def __call__(self, x):
    return self.a_variable * x + self.non_trainable_variable
simple_module = SimpleModule(name="simple")
print("M1", simple_module(tf.constant(5.0)))
print("M2 trainable variables:", [(v.name, v.numpy()) for v in simple_module.trainable_variables])
print("M3 all variables:", [(v.name, v.numpy()) for v in simple_module.variables])
class Dense(tf.Module):
  def __init__(self, in_features, out_features, name=None):
    super().__init__(name=name)
    self.w = tf.Variable(tf.ones([in_features, out_features]), name='w')
    self.b = tf.Variable(tf.zeros([out_features]), name='b')
  def __call__(self, x):
    y = tf.matmul(x, self.w) + self.b
    return tf.nn.relu(y)
class SequentialModule(tf.Module):
  def __init__(self, name=None):
    super().__init__(name=name)
    self.dense_1 = Dense(in_features=3, out_features=3)
    self.dense_2 = Dense(in_features=3, out_features=2)
  def __call__(self, x):
    x = self.dense_1(x)
    return self.dense_2(x)
my_model = SequentialModule(name="the_model")
print("M4 Model results:", my_model(tf.constant([[2.0, 2.0, 2.0]])))
print("M5 Submodules:", [type(m).__name__ for m in my_model.submodules])
for var in my_model.variables:
  print("M6", var.name, var.shape)
class FlexibleDenseModule(tf.Module):
  def __init__(self, out_features, name=None):
    super().__init__(name=name)
    self.is_built = False
    self.out_features = out_features
  def __call__(self, x):
    if not self.is_built:
      self.w = tf.Variable(tf.ones([x.shape[-1], self.out_features]), name='w')
      self.b = tf.Variable(tf.zeros([self.out_features]), name='b')
      self.is_built = True
    y = tf.matmul(x, self.w) + self.b
    return tf.nn.relu(y)
class MySequentialModule(tf.Module):
  def __init__(self, name=None):
    super().__init__(name=name)
    self.dense_1 = FlexibleDenseModule(out_features=3)
    self.dense_2 = FlexibleDenseModule(out_features=2)
  def __call__(self, x):
    x = self.dense_1(x)
    return self.dense_2(x)
my_model = MySequentialModule(name="the_model")
print("M7 Model results:", my_model(tf.constant([[2.0, 2.0, 2.0]])))
import tempfile, os
chkp_path = os.path.join(tempfile.mkdtemp(), "my_checkpoint")
checkpoint = tf.train.Checkpoint(model=my_model)
checkpoint.write(chkp_path)
print("M8", sorted(n for n, s in tf.train.list_variables(chkp_path) if n != "_CHECKPOINTABLE_OBJECT_GRAPH"))
new_model = MySequentialModule()
new_checkpoint = tf.train.Checkpoint(model=new_model)
new_checkpoint.restore(chkp_path)
print("M9", new_model(tf.constant([[2.0, 2.0, 2.0]])))
class MySequentialModule2(tf.Module):
  def __init__(self, name=None):
    super().__init__(name=name)
    self.dense_1 = Dense(in_features=3, out_features=3)
    self.dense_2 = Dense(in_features=3, out_features=2)
  @tf.function
  def __call__(self, x):
    x = self.dense_1(x)
    return self.dense_2(x)
my_model = MySequentialModule2(name="the_model")
print("M10", my_model([[2.0, 2.0, 2.0]]))
print("M11", my_model([[[2.0, 2.0, 2.0], [2.0, 2.0, 2.0]]]))
d = tempfile.mkdtemp()
tf.saved_model.save(my_model, d)
new_model = tf.saved_model.load(d)
print("M12", new_model([[2.0, 2.0, 2.0]]))
print("M13", isinstance(new_model, SequentialModule))
