import numpy as np

import graphflow as tf


def test_seed_second_order():
    time = tf.Variable(0.)
    with tf.GradientTape() as outer_tape:
        with tf.GradientTape() as inner_tape:
            position = 4.9 * time ** 2
        speed = inner_tape.gradient(position, time)
    acceleration = outer_tape.gradient(speed, time)
    assert float(speed) == 0.0
    np.testing.assert_allclose(float(acceleration), 9.8, rtol=1e-6)
