"""Keras' `InputSpec` and the check every layer call makes against its `input_spec`.

>>> import graphflow as tf
>>> tf.keras.layers.Dense(3, name="dense")(tf.ones((2,)))
Traceback (most recent call last):
...
ValueError: Input 0 with name 'None' of layer 'dense' is incompatible with the layer: expected min_ndim=2, found ndim=1. Full shape received: (2,)
"""
from ..dtypes import as_dtype
from ..nest import flatten
from ..shapes import Dim


class InputSpec:
    """Keras' `InputSpec`: the rank / dtype / axis sizes a layer accepts. A layer whose
    `input_spec` is set checks its first input against it on every call (Keras 3's
    `assert_input_compatibility`), before building.

    >>> import graphflow as tf
    >>> spec = tf.keras.layers.InputSpec(ndim=3, axes={-1: 4})
    >>> spec.ndim, spec.axes
    (3, {-1: 4})
    """

    def __init__(self, dtype=None, shape=None, ndim=None, max_ndim=None, min_ndim=None,
                 axes=None, allow_last_axis_squeeze=False, name=None, optional=False):
        self.dtype, self.name, self.optional = dtype, name, optional
        self.shape = None if shape is None else tuple(shape)
        self.ndim = len(self.shape) if self.shape is not None else ndim
        self.max_ndim, self.min_ndim = max_ndim, min_ndim
        self.allow_last_axis_squeeze = allow_last_axis_squeeze
        self.axes = dict(axes or {})

    def __repr__(self):
        parts = [f"{k}={v}" for k, v in (("dtype", self.dtype), ("shape", self.shape),
                                          ("ndim", self.ndim), ("max_ndim", self.max_ndim),
                                          ("min_ndim", self.min_ndim), ("axes", self.axes))
                 if v]
        return f"InputSpec({', '.join(parts)})"

    def get_config(self):
        return {"dtype": self.dtype, "shape": self.shape, "ndim": self.ndim,
                "max_ndim": self.max_ndim, "min_ndim": self.min_ndim, "axes": self.axes}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _shape(x):
    return tuple(None if isinstance(d, Dim) or d is None else int(d) for d in x.shape)


def assert_input_compatibility(input_spec, inputs, layer_name):
    """Raise Keras 3's ValueError when `inputs` do not fit `input_spec` (an InputSpec or a
    list of them, one per flattened input): rank (ndim / min_ndim / max_ndim), dtype and the
    sizes of given axes; unknown (None) sizes always fit."""
    specs = flatten(input_spec)[0]
    if not specs:
        return
    xs = flatten(inputs)[0]
    if len(xs) != len(specs):
        raise ValueError(f'Layer "{layer_name}" expects {len(specs)} input(s), but it received '
                         f"{len(xs)} input tensors. Inputs received: {inputs}")
    for i, (x, spec) in enumerate(zip(xs, specs)):
        if spec is None or (x is None and spec.optional):
            continue
        if not hasattr(x, "shape"):
            raise ValueError(f"Inputs to a layer should be tensors. Got '{x}' (of type "
                             f"{type(x)}) as input for layer '{layer_name}'.")
        shape = _shape(x)
        ndim = len(shape)
        head = (f"Input {i} with name '{spec.name}' of layer '{layer_name}' is incompatible "
                "with the layer: ")
        if spec.ndim is not None and not spec.allow_last_axis_squeeze and ndim != spec.ndim:
            raise ValueError(head + f"expected ndim={spec.ndim}, found ndim={ndim}. "
                             f"Full shape received: {shape}")
        if spec.max_ndim is not None and ndim > spec.max_ndim:
            raise ValueError(head + f"expected max_ndim={spec.max_ndim}, found ndim={ndim}")
        if spec.min_ndim is not None and ndim < spec.min_ndim:
            raise ValueError(head + f"expected min_ndim={spec.min_ndim}, found ndim={ndim}. "
                             f"Full shape received: {shape}")
        if spec.dtype is not None and hasattr(x, "dtype") and \
                as_dtype(x.dtype).name != as_dtype(spec.dtype).name:
            raise ValueError(head + f"expected dtype={as_dtype(spec.dtype).name}, found "
                             f"dtype={as_dtype(x.dtype).name}")
        for axis, value in spec.axes.items():
            if value is not None and -ndim <= int(axis) < ndim and \
                    shape[int(axis)] not in (value, None):
                raise ValueError(head + f"expected axis {axis} of input shape to have value "
                                 f"{value}, but received input with shape {shape}")
        if spec.shape is not None:
            for want, got in zip(spec.shape, shape):
                if want is not None and got is not None and want != got:
                    raise ValueError(head + f"expected shape={spec.shape}, found "
                                     f"shape={shape}")
