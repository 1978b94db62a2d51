"""keras.random: Keras 3's random functions, `seed=` an int or a `SeedGenerator`.

As Keras 3: an int seed is stateless - the same values on every call (Keras's TensorFlow
backend draws `tf.random.stateless_*` with the seed pair [seed, 0]; graphflow's stateless
normal/uniform/integer draws are TF's Philox, so those values are TF's too) -; a
`SeedGenerator` is a stream that advances
with every draw (also inside a traced `train_step`, where each run draws anew); no seed draws
from the global stream.

>>> import graphflow as tf
>>> gen = tf.keras.random.SeedGenerator(1337)
>>> a = tf.keras.random.normal((2, 3), seed=gen)
>>> b = tf.keras.random.uniform((2, 3), minval=1.0, maxval=2.0, seed=gen)
>>> a.shape, bool(((b.numpy() >= 1) & (b.numpy() < 2)).all())
(TensorShape([2, 3]), True)
>>> [round(float(v), 4) for v in tf.keras.random.normal((3,), seed=3)]   # as TF Keras
[-0.6716, 1.6761, -0.9442]
"""
from ..ops import math_ops as _m, nn_ops as _nn, random_ops as _r, shape_ops as _s
from ..tensor import convert_to_tensor


class SeedGenerator:
    """The state of a random stream (Keras 3): pass it as `seed=` to keras.random functions
    and random layers; each draw continues the stream."""

    def __init__(self, seed=None, name=None, **kwargs):
        if seed is None:
            import numpy as np
            seed = int(np.random.randint(0, 2 ** 31 - 1))
        self.seed = int(seed)
        self.name = name or "seed_generator"

    def next(self, ordered=True):
        """The op seed the next draw uses."""
        return self.seed

    def get_config(self):
        return {"seed": self.seed}


def _op_seed(seed):
    if isinstance(seed, SeedGenerator):
        return seed.next()
    return None if seed is None else int(seed)


def _pair(seed):
    """Keras's `draw_seed` of an int seed: the stateless seed pair [seed, 0] (else None)."""
    if isinstance(seed, (int,)) and not isinstance(seed, bool):
        return [int(seed) & 0xFFFFFFFF if seed >= 0 else int(seed), 0]
    return None


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Samples from N(mean, stddev^2)."""
    if _pair(seed) is not None:
        return _r.stateless_normal(shape, _pair(seed), mean=mean, stddev=stddev,
                                   dtype=dtype or "float32")
    return _r.normal(shape, mean=mean, stddev=stddev, dtype=dtype or "float32",
                     seed=_op_seed(seed))


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    """Samples from U[minval, maxval)."""
    if _pair(seed) is not None:
        return _r.stateless_uniform(shape, _pair(seed), minval=minval, maxval=maxval,
                                    dtype=dtype or "float32")
    return _r.uniform(shape, minval=minval, maxval=maxval, dtype=dtype or "float32",
                      seed=_op_seed(seed))


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Samples from N(mean, stddev^2) redrawn outside two standard deviations."""
    if _pair(seed) is not None:
        return _r.stateless_truncated_normal(shape, _pair(seed), mean=mean, stddev=stddev,
                                             dtype=dtype or "float32")
    return _r.truncated_normal(shape, mean=mean, stddev=stddev, dtype=dtype or "float32",
                               seed=_op_seed(seed))


def randint(shape, minval, maxval, dtype="int32", seed=None):
    """Integers drawn uniformly from [minval, maxval)."""
    if _pair(seed) is not None:
        inter = dtype if str(dtype) in ("int32", "int64") else "int64"
        return _m.cast(_r.stateless_uniform(shape, _pair(seed), minval=minval, maxval=maxval,
                                            dtype=inter), dtype)
    return _r.uniform(shape, minval=minval, maxval=maxval, dtype=dtype, seed=_op_seed(seed))


def dropout(inputs, rate, noise_shape=None, seed=None):
    """Zero each entry with probability `rate` and scale the rest by 1 / (1 - rate)."""
    return _nn.dropout(inputs, rate, noise_shape=noise_shape, seed=_op_seed(seed))


def categorical(logits, num_samples, dtype="int32", seed=None):
    """Class indices drawn from the categorical distributions of each row of `logits`
    (batch, num_classes) -> (batch, num_samples)."""
    return _r.categorical(logits, num_samples, dtype=dtype, seed=_op_seed(seed))


def gamma(shape, alpha, dtype=None, seed=None):
    """Samples from Gamma(alpha, 1)."""
    return _r.gamma(shape, alpha, dtype=dtype or "float32", seed=_op_seed(seed))


def beta(shape, alpha, beta, dtype=None, seed=None):
    """Samples from Beta(alpha, beta), as X / (X + Y) of two gamma draws."""
    x = gamma(shape, alpha, dtype, seed)
    y = gamma(shape, beta, dtype, seed)
    return x / (x + y)


def binomial(shape, counts, probabilities, dtype=None, seed=None):
    """Samples from Binomial(counts, probabilities) (as floats, Keras' default dtype)."""
    pair = _r.uniform([2], minval=0, maxval=2 ** 31 - 1, dtype="int32", seed=_op_seed(seed))
    dtype = dtype or "float32"
    out = _r.stateless_binomial(shape, pair, counts, probabilities, output_dtype="float64")
    return _m.cast(out, dtype)


def shuffle(x, axis=0, seed=None):
    """`x` with its slices along `axis` in a random order."""
    x = convert_to_tensor(x)
    if axis == 0:
        return _r.shuffle(x, seed=_op_seed(seed))
    perm = list(range(len(x.shape)))
    perm[0], perm[axis] = perm[axis], perm[0]
    return _s.transpose(_r.shuffle(_s.transpose(x, perm), seed=_op_seed(seed)), perm)
