"""graphflow/ops/philox.py: the compiled Philox loop equals the numpy reference rounds (also
across a 64-bit counter carry), and draws equal values TF 2.21 printed."""
import numpy as np

import graphflow as tf
from graphflow.ops import philox as P


def test_compiled_rounds_equal_numpy_rounds():
    for key, counter in [P.key_counter_from_seed([1, 2]), P.key_counter_from_seed([2 ** 63, -1]),
                         ((5, 6), (0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 7))]:
        np.testing.assert_array_equal(P._words(key, counter, 300),
                                      P.philox(P._counters(counter, 300), key).T)


def test_values_tf_printed():
    # TF 2.21: tf.random.stateless_uniform([3], seed=[1, 2], minval=0, maxval=10, int32)
    assert tf.random.stateless_uniform([3], seed=[1, 2], minval=0, maxval=10,
                                       dtype=tf.int32).numpy().tolist() == [0, 9, 4]
    # tf.random.Generator.from_seed(1).normal([2, 3])[1] (float32, exactly)
    row = tf.random.Generator.from_seed(1).normal([2, 3]).numpy()[1]
    assert row.tolist() == np.array([1.5658046007156372, -0.10123450309038162,
                                     -0.2744975984096527], np.float32).tolist()
