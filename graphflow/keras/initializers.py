"""Weight initializers (`keras.initializers`), drawn with `graphflow.random` so that
`graphflow.random.set_seed` makes model construction reproducible.

>>> import graphflow as tf
>>> from graphflow.keras import initializers
>>> initializers.get("zeros")((2,)).numpy()
array([0., 0.], dtype=float32)
"""
import math

import numpy as np

from .. import dtypes as _dt
from .. import state as _state
from ..ops import random_ops as _r
from ..tensor import convert_to_tensor
from .naming import custom_object, keras_dict


def _compute_fans(shape, input_axes=None, output_axes=None):
    """(fan_in, fan_out) as Keras computes them (kernels: receptive field times channels; with
    both `input_axes` and `output_axes` given, the products of those axes, as Keras 3.15)."""
    shape = tuple(shape)
    if input_axes is not None and output_axes is not None:
        return (int(np.prod([shape[a] for a in input_axes])),
                int(np.prod([shape[a] for a in output_axes])))
    if len(shape) < 1:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive = int(np.prod(shape[:-2]))
    return shape[-2] * receptive, shape[-1] * receptive


class Initializer:
    """Base class: `init(shape, dtype)` returns a Tensor."""

    def __call__(self, shape, dtype=None):
        raise NotImplementedError

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


def _dtype(dtype):
    return _dt.as_dtype(dtype or _dt.float32)


class Zeros(Initializer):
    def __call__(self, shape, dtype=None):
        return convert_to_tensor(np.zeros(tuple(shape), _dtype(dtype).np))


class Ones(Initializer):
    def __call__(self, shape, dtype=None):
        return convert_to_tensor(np.ones(tuple(shape), _dtype(dtype).np))


class Constant(Initializer):
    def __init__(self, value=0.0):
        self.value = value

    def __call__(self, shape, dtype=None):
        return convert_to_tensor(np.full(tuple(shape), self.value, _dtype(dtype).np))

    def get_config(self):
        return {"value": self.value}


class RandomNormal(Initializer):
    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean, self.stddev, self.seed = mean, stddev, seed

    def __call__(self, shape, dtype=None):
        return _r.normal(tuple(shape), self.mean, self.stddev, _dtype(dtype), self.seed)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class TruncatedNormal(RandomNormal):
    def __call__(self, shape, dtype=None):
        return _r.truncated_normal(tuple(shape), self.mean, self.stddev, _dtype(dtype), self.seed)


class RandomUniform(Initializer):
    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        self.minval, self.maxval, self.seed = minval, maxval, seed

    def __call__(self, shape, dtype=None):
        return _r.uniform(tuple(shape), self.minval, self.maxval, _dtype(dtype), self.seed)

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


class VarianceScaling(Initializer):
    """scale / fan (fan_in, fan_out or their average); normal (truncated) or uniform draws."""

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None,
                 input_axes=None, output_axes=None):
        if scale <= 0:
            raise ValueError(f"VarianceScaling: scale must be positive, got {scale}")
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(f"VarianceScaling: invalid mode {mode!r}")
        if distribution == "normal":
            distribution = "truncated_normal"
        if distribution not in ("truncated_normal", "untruncated_normal", "uniform"):
            raise ValueError(f"VarianceScaling: invalid distribution {distribution!r}")
        self.scale, self.mode, self.distribution, self.seed = scale, mode, distribution, seed
        self.input_axes, self.output_axes = input_axes, output_axes

    def __call__(self, shape, dtype=None):
        fan_in, fan_out = _compute_fans(shape, self.input_axes, self.output_axes)
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        scale = self.scale / max(1.0, fan)
        dt = _dtype(dtype)
        if self.distribution == "truncated_normal":
            # std of a standard normal truncated to (-2, 2)
            stddev = math.sqrt(scale) / 0.87962566103423978
            return _r.truncated_normal(tuple(shape), 0.0, stddev, dt, self.seed)
        if self.distribution == "untruncated_normal":
            return _r.normal(tuple(shape), 0.0, math.sqrt(scale), dt, self.seed)
        limit = math.sqrt(3.0 * scale)
        return _r.uniform(tuple(shape), -limit, limit, dt, self.seed)

    def get_config(self):
        return {"seed": self.seed, "scale": self.scale, "mode": self.mode,
                "distribution": self.distribution, "input_axes": self.input_axes,
                "output_axes": self.output_axes}


class Orthogonal(Initializer):
    """A (semi-)orthogonal matrix times `gain`, as Keras 3 draws it: QR of a standard normal
    matrix (shape flattened to (prod(shape[:-1]), shape[-1])), columns sign-fixed by diag(R).

    >>> import numpy as np
    >>> q = Orthogonal(seed=1)((3, 3)).numpy()
    >>> bool(np.allclose(q @ q.T, np.eye(3), atol=1e-5))
    True
    """

    def __init__(self, gain=1.0, seed=None):
        self.gain, self.seed = gain, seed

    def __call__(self, shape, dtype=None):
        shape = tuple(int(d) for d in shape)
        if len(shape) < 2:
            raise ValueError(f"Orthogonal initializer needs a shape of rank >= 2, got {shape}")
        rows, cols = int(np.prod(shape[:-1])), shape[-1]
        flat = (max(rows, cols), min(rows, cols))
        # QR runs on numpy, so the draw is eager, also for a layer first built while tracing
        with _state.using(graph=None, tapes=(), adjoint=None):
            a = _r.normal(flat, 0.0, 1.0, _dt.float64, self.seed).numpy()
        q, r = np.linalg.qr(a)
        q = q * np.sign(np.diag(r))
        if rows < cols:
            q = q.T
        return convert_to_tensor((self.gain * q.reshape(shape)).astype(_dtype(dtype).np))

    def get_config(self):
        return {"gain": self.gain, "seed": self.seed}


class Identity(Initializer):
    """gain * the identity matrix (2-D shapes only, as Keras 3).

    >>> Identity(gain=2.0)((2, 3)).numpy()
    array([[2., 0., 0.],
           [0., 2., 0.]], dtype=float32)
    """

    def __init__(self, gain=1.0):
        self.gain = gain

    def __call__(self, shape, dtype=None):
        shape = tuple(int(d) for d in shape)
        if len(shape) != 2:
            raise ValueError(f"Identity initializer can only be used for 2D matrices. Received: "
                             f"shape={shape} of rank {len(shape)}.")
        return convert_to_tensor((self.gain * np.eye(*shape)).astype(_dtype(dtype).np))

    def get_config(self):
        return {"gain": self.gain}


IdentityInitializer = Identity
OrthogonalInitializer = Orthogonal


def _preset(name, scale, mode, distribution):
    class Preset(VarianceScaling):
        def __init__(self, seed=None, input_axes=None, output_axes=None):
            super().__init__(scale, mode, distribution, seed, input_axes, output_axes)

        def get_config(self):
            return {"seed": self.seed, "input_axes": self.input_axes,
                    "output_axes": self.output_axes}
    Preset.__name__ = Preset.__qualname__ = name
    return Preset


GlorotUniform = _preset("GlorotUniform", 1.0, "fan_avg", "uniform")
GlorotNormal = _preset("GlorotNormal", 1.0, "fan_avg", "truncated_normal")
HeNormal = _preset("HeNormal", 2.0, "fan_in", "truncated_normal")
HeUniform = _preset("HeUniform", 2.0, "fan_in", "uniform")
LecunNormal = _preset("LecunNormal", 1.0, "fan_in", "truncated_normal")
LecunUniform = _preset("LecunUniform", 1.0, "fan_in", "uniform")

# Keras' function-style aliases
zeros, ones, constant = Zeros, Ones, Constant
random_normal, random_uniform, truncated_normal = RandomNormal, RandomUniform, TruncatedNormal
glorot_uniform, glorot_normal = GlorotUniform, GlorotNormal
he_normal, he_uniform, lecun_normal, lecun_uniform = HeNormal, HeUniform, LecunNormal, LecunUniform
variance_scaling = VarianceScaling
orthogonal = Orthogonal
identity = Identity

_BY_NAME = {
    "zeros": Zeros, "ones": Ones, "constant": Constant, "random_normal": RandomNormal,
    "random_uniform": RandomUniform, "truncated_normal": TruncatedNormal,
    "glorot_uniform": GlorotUniform, "glorot_normal": GlorotNormal, "he_normal": HeNormal,
    "he_uniform": HeUniform, "lecun_normal": LecunNormal, "lecun_uniform": LecunUniform,
    "variance_scaling": VarianceScaling, "orthogonal": Orthogonal,
    "identity": Identity,
    "uniform": RandomUniform, "normal": RandomNormal, "one": Ones, "zero": Zeros,   # Keras 3
}


def get(identifier):
    """An initializer from a name ('glorot_uniform'), a class name ('GlorotUniform'), an
    instance, a class, or any callable `(shape, dtype) -> tensor`."""
    if identifier is None:
        return None
    if isinstance(identifier, Initializer):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Initializer):
        return identifier()
    if isinstance(identifier, dict) and "class_name" in identifier:   # a Keras config dict
        if custom_object(identifier) is not None:   # a user's (registered / in scope) class
            return deserialize(identifier)
        cls = type(get(identifier["class_name"]))
        return cls(**(identifier.get("config") or {}))
    if isinstance(identifier, str):
        key = identifier if identifier in _BY_NAME else \
            "".join("_" + c.lower() if c.isupper() else c for c in identifier).lstrip("_")
        if key in _BY_NAME:
            return _BY_NAME[key]()
        raise ValueError(f"Unknown initializer: {identifier!r}. Known: {sorted(_BY_NAME)}")
    if callable(identifier):
        return identifier
    raise TypeError(f"Could not interpret initializer identifier: {identifier!r}")


def serialize(init):
    """An initializer as Keras 3's config dict.

    >>> serialize(Identity(2.0))["config"], type(deserialize(serialize(Identity()))).__name__
    ({'gain': 2.0}, 'Identity')
    """
    return keras_dict(init, "keras.initializers")


def deserialize(config, custom_objects=None):
    """An initializer from `serialize`'s dict (or a name)."""
    cls = custom_object(config, custom_objects)
    if cls is not None:
        return cls.from_config(config.get("config") or {})
    return get(config)
