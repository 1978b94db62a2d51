# Code cells of TF guides (tensorflow.org/guide), run by tests/test_tf_guides_output.py with
# `import graphflow as tf`; <name>.tf_output.txt is what TF 2.21 printed running this file.
import tensorflow as tf, numpy as np
# ---- Random number generation guide
g1 = tf.random.Generator.from_seed(1)
print("R1", g1.normal(shape=[2, 3]).numpy().tolist())
g2 = tf.random.get_global_generator()
g = tf.random.Generator.from_seed(1, alg='philox')
print("R2", g.normal([3]).numpy().tolist(), g.uniform([2], maxval=10, dtype=tf.int32).numpy().tolist())
g = tf.random.Generator.from_non_deterministic_state()
g = tf.random.Generator.from_seed(1)
new_gs = g.split(3)
print("R3", [x.normal([]).numpy().item() for x in new_gs], g.normal([]).numpy().item())
print("R4", tf.random.stateless_normal(shape=[2, 3], seed=[1, 2]).numpy().tolist())
print("R5", tf.random.stateless_uniform([3], seed=[1, 2], minval=0, maxval=10, dtype=tf.int32).numpy().tolist())
g = tf.random.Generator.from_seed(1); g.reset_from_seed(2); print("R6", g.normal([2]).numpy().tolist())
print("R7", g.state.numpy().tolist(), g.algorithm)
g = tf.random.Generator.from_seed(5); g.skip(10); print("R8", g.normal([2]).numpy().tolist())

print("R9", tf.random.split([1, 2], 3).numpy().tolist(), tf.random.fold_in([1, 2], 7).numpy().tolist())
print("R10", tf.random.stateless_uniform([4], seed=[3, 4], dtype=tf.float64).numpy().tolist())
print("R11", tf.random.stateless_uniform([3], seed=[3, 4], minval=-5, maxval=1000000007, dtype=tf.int64).numpy().tolist())
print("R12", tf.random.stateless_normal([3], seed=[5, 6], mean=2., stddev=3., dtype=tf.float64).numpy().tolist())
g = tf.random.Generator.from_seed(7)
print("R13", g.uniform([3]).numpy().tolist(), g.uniform([2], minval=2., maxval=4.).numpy().tolist(), g.uniform_full_int([2], tf.int64).numpy().tolist())
print("R14", g.make_seeds(2).numpy().tolist(), g.state.numpy().tolist())
g2 = tf.random.Generator.from_state(g.state.numpy(), alg="philox")   # (a copy: TF shares a Variable state)
print("R15", g2.normal([2], dtype=tf.float64).numpy().tolist(), g.normal([2], dtype=tf.float64).numpy().tolist())
