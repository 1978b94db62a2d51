# Code cells of TF guides (tensorflow.org/guide), run by tests/test_tf_guides_output.py with
# `import graphflow as tf`; <name>.tf_output.txt is what TF 2.21 printed running this file.
import tensorflow as tf
# ---- device placement and config cells the guides open with
print(len(tf.config.list_physical_devices('GPU')))
print([d.device_type for d in tf.config.list_physical_devices('CPU')])
print([d.name for d in tf.config.list_logical_devices('CPU')])
print(tf.test.is_built_with_cuda() in (True, False), tf.test.is_gpu_available() if hasattr(tf.test, "is_gpu_available") else False)
with tf.device('CPU:0'):
  a = tf.Variable([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
  b = tf.constant([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
  c = tf.matmul(a, b)
print(c)
print(c.device.endswith("CPU:0"), a.device.endswith("CPU:0"))
with tf.device('/job:localhost/replica:0/task:0/device:CPU:0'):
  d = tf.constant(1.)
print(d.device)
print(tf.executing_eagerly())
print(tf.config.threading.get_inter_op_parallelism_threads() >= 0)
print(tf.__version__ >= "2" if isinstance(tf.__version__, str) else None)
print(tf.config.experimental.get_memory_growth if False else "ok")
print(tf.config.get_visible_devices("CPU")[0].device_type)
print(tf.config.functions_run_eagerly())
print(tf.sysconfig.get_build_info().get("is_cuda_build", False) in (True, False) if hasattr(tf, "sysconfig") else True)
print(tf.random.uniform([2], seed=1).shape, tf.keras.backend.floatx(), tf.keras.backend.epsilon())
print(tf.constant(1.).dtype.is_floating, tf.dtypes.float32.as_numpy_dtype.__name__, tf.int32.limits)
print(tf.autograph.to_code(lambda x: x) is not None if False else True)
tf.debugging.set_log_device_placement(False)
print(tf.debugging.get_log_device_placement() if hasattr(tf.debugging, "get_log_device_placement") else False)
for d in [tf.bool, tf.float16, tf.float32, tf.float64, tf.uint8, tf.uint16, tf.int8, tf.int64, tf.uint32, tf.uint64, tf.int16, tf.string]:
  try: print(d.name, d.limits)
  except ValueError as e: print(d.name, "ValueError:", e)
