"""Every snippet of the seed chapter ("chapter 3: TensorFlow intro"), typos fixed, run with graphflow.

    python examples/seed_walkthrough.py

Only the import differs from the chapter: `import graphflow as tf`. The output has the formats
TensorFlow prints (`tf.Tensor(...)`, `<tf.Variable 'Variable:0' ...>`); random values differ from
the chapter's but are reproducible thanks to `tf.random.set_seed`.
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import graphflow as tf  # noqa: E402

tf.random.set_seed(42)


def heading(text):
    print(f"\n=== {text} " + "=" * max(0, 66 - len(text)))


# --------------------------------------------------------------------------------------------
heading("Constant tensors")
x = tf.ones(shape=(2, 1))  # all-ones tensor (2x1 matrix in this case)
print(x)

# random tensors
x = tf.random.normal(shape=(3, 1), mean=0., stddev=1.)
print(x)

# --------------------------------------------------------------------------------------------
heading("NumPy arrays are assignable, tensors are not")
x = np.ones(shape=(2, 2))
x[0, 0] = 0.  # fine: "." after 0 means a floating-point value
print(x)

x = tf.ones(shape=(2, 2))
try:
    x[0, 0] = 0.
except TypeError as e:
    print(f"TypeError: {e}")

# --------------------------------------------------------------------------------------------
heading("Variables")
v = tf.Variable(initial_value=tf.random.normal(shape=(3, 1)))
print(v)

v.assign(tf.ones((3, 1)))
print(v)

v[0, 0].assign(3.)
print(v)

# --------------------------------------------------------------------------------------------
heading("Tensor operations")
a = tf.ones((2, 2))
b = tf.square(a)      # element-wise square
c = tf.sqrt(a)        # element-wise square root
d = b + c             # element-wise addition
e = tf.matmul(a, b)   # matrix product
e *= d                # element-wise multiplication
for name, t in [("a", a), ("b", b), ("c", c), ("d", d), ("e", e)]:
    print(f"{name} = {t}")

# --------------------------------------------------------------------------------------------
heading("GradientTape")
input_var = tf.Variable(initial_value=3.)
with tf.GradientTape() as tape:
    result = tf.square(input_var)
gradient = tape.gradient(result, input_var)
print(gradient)

x = tf.Variable(3.0)
with tf.GradientTape() as tape:
    y = tf.square(x)
dy_dx = tape.gradient(y, x)  # derivative of y = x^2 at x = 3: 6
print(dy_dx)

# --------------------------------------------------------------------------------------------
heading("GradientTape with a watched constant")
input_const = tf.constant(3.)
with tf.GradientTape() as tape:
    tape.watch(input_const)
    result = tf.square(input_const)
gradient = tape.gradient(result, input_const)
print(gradient)

# --------------------------------------------------------------------------------------------
heading("Second-order gradients")
time = tf.Variable(0.)
with tf.GradientTape() as outer_tape:
    with tf.GradientTape() as inner_tape:
        position = 4.9 * time ** 2
    speed = inner_tape.gradient(position, time)
acceleration = outer_tape.gradient(speed, time)
print("speed:", speed)
print("acceleration:", acceleration)
