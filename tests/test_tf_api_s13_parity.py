"""TF 2.21 / Keras 3 parity found by the thirteenth session's probes (expected values are what
TF 2.21 and Keras 3.15 printed for the same code)."""
import numpy as np

import graphflow as tf
from graphflow import keras


def test_assign_returns_unread_variable():
    v = tf.Variable([1., 2.])
    r = v.assign_add([1., 1.])
    assert type(r).__name__ == "_UnreadVariable" and isinstance(r, tf.Variable)
    assert repr(r) == ("<tf.Variable 'UnreadVariable' shape=(2,) dtype=float32, "
                       "numpy=array([2., 3.], dtype=float32)>")
    assert v.assign([3., 4.], read_value=False) is None
    seen = []

    @tf.function
    def f():
        r = v.assign_add([1., 1.])
        seen.append((repr(r), r.name))
        r = v[0].assign(5.)   # a slice assign too
        return r + 1.

    np.testing.assert_array_equal(f().numpy(), [6., 6.])
    assert seen == [("<tf.Variable 'UnreadVariable' shape=(2,) dtype=float32>", "UnreadVariable")]
    assert v.numpy().tolist() == [5., 5.] and r.numpy().tolist() == [5., 5.]   # reads now
    d = keras.layers.Dense(1)
    d.build((None, 2))
    out = d.bias.assign_add([1.])   # Keras 3: the value assigned, a tensor
    assert type(out) is tf.Tensor and out.numpy().tolist() == [1.]
