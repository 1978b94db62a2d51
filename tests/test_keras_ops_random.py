"""keras.random's distributions (beta, binomial, categorical, gamma, shuffle): sample moments
against the distributions' documented mean and variance, eager and traced."""
import numpy as np

import graphflow as tf
from graphflow.keras import random as kr


def test_distribution_moments():
    g = kr.SeedGenerator(7)
    c = kr.categorical(np.log(np.array([[0.2, 0.8], [0.9, 0.1]], "float32")), 4000, seed=g)
    assert c.shape == (2, 4000) and c.dtype.name == "int32"
    np.testing.assert_allclose(c.numpy().mean(1), [0.8, 0.1], atol=0.03)
    x = kr.gamma((20000,), 3.0, seed=g).numpy()
    np.testing.assert_allclose([x.mean(), x.var()], [3.0, 3.0], rtol=0.08)
    b = kr.beta((20000,), 2.0, 5.0, seed=g).numpy()
    assert ((b > 0) & (b < 1)).all()
    np.testing.assert_allclose([b.mean(), b.var()], [2 / 7, 10 / (49 * 8)], rtol=0.08)
    n = kr.binomial((20000,), 10, 0.3, seed=g)
    assert n.dtype.name == "float32"
    np.testing.assert_allclose([n.numpy().mean(), n.numpy().var()], [3.0, 2.1], rtol=0.08)


def test_shuffle_permutes_along_axis_and_traces():
    g = kr.SeedGenerator(1)
    x = np.arange(12).reshape(3, 4)
    s = kr.shuffle(x, axis=1, seed=g).numpy()
    assert (np.sort(s, 1) == x).all() and (s[1] - s[0] == 4).all()   # one column order
    f = tf.function(lambda: kr.shuffle(tf.range(20), seed=g))
    a, b = f().numpy(), f().numpy()
    assert sorted(a.tolist()) == list(range(20)) and sorted(b.tolist()) == list(range(20))
    assert (a != b).any()
