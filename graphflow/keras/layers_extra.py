"""More Keras 3 core layers: activations with weights (PReLU, ELU), noise and regularization
(GaussianDropout, AlphaDropout, ActivityRegularization), reshaping (Permute, RepeatVector, 1-D,
2-D and 3-D padding / cropping / upsampling: one rank-N implementation each), normalization (GroupNormalization, UnitNormalization),
wrappers (Wrapper, TimeDistributed), dot-product attention (Attention, AdditiveAttention),
Identity and InputSpec. Constructor signatures, defaults, configs and weight shapes follow
Keras 3.

>>> import numpy as np, graphflow as tf
>>> x = tf.constant(np.arange(6.0, dtype="float32").reshape(1, 2, 3))
>>> tf.keras.layers.Permute((2, 1))(x).shape
TensorShape([1, 3, 2])
>>> tf.keras.layers.RepeatVector(2)(tf.ones((4, 3))).shape
TensorShape([4, 2, 3])
"""
import numpy as np

from ..ops import array_ops as _a, creation as _c, math_ops as _m, nn_ops as _nn, random_ops as _r
from ..ops import conv_ops as _cv, image_ops as _im, shape_ops as _s
from ..tensor import TensorShape
from . import activations as _act, constraints as _constraints, initializers as _init, \
    regularizers as _reg
from .input_spec import InputSpec  # noqa: F401  (keras.layers.InputSpec)
from .layers import Layer, deserialize, keras_object_config, serialize


def _shape(input_shape):
    return tuple(input_shape)


def standardize_tuple(v, n, what, allow_zero=False):
    """Keras' standardize_tuple: an int -> n copies; a sequence of n ints, checked.

    >>> standardize_tuple(2, 3, "size"), standardize_tuple((1, 0), 2, "padding", allow_zero=True)
    ((2, 2, 2), (1, 0))
    """
    vals = (int(v),) * n if isinstance(v, (int, np.integer)) else tuple(int(a) for a in v)
    if len(vals) != n or any(a < 0 or (a == 0 and not allow_zero) for a in vals):
        raise ValueError(f"The `{what}` argument must be a tuple of {n} "
                         f"{'non-negative' if allow_zero else 'positive'} integers. "
                         f"Received: {what}={v}")
    return vals


def standardize_data_format(df):
    """'channels_last' (the default, for None) or 'channels_first'; anything else raises."""
    df = df or "channels_last"
    if df not in ("channels_last", "channels_first"):
        raise ValueError(f"data_format must be 'channels_last' or 'channels_first', got {df!r}")
    return df


class _Elementwise(Layer):
    """A layer whose output shape is its input shape and which passes the mask through."""
    supports_masking = True

    def compute_output_shape(self, input_shape):
        return TensorShape(input_shape)


# ------------------------------------------------------------------ activations
class Identity(_Elementwise):
    """Returns its input unchanged (a placeholder layer).

    >>> import graphflow as tf
    >>> tf.keras.layers.Identity()(tf.constant([1., 2.])).numpy().tolist()
    [1.0, 2.0]
    """

    def call(self, inputs):
        return inputs


class ELU(_Elementwise):
    """`x` for x > 0, `alpha * (exp(x) - 1)` otherwise.

    >>> import graphflow as tf
    >>> [round(v, 4) for v in tf.keras.layers.ELU()(tf.constant([-1., 2.])).numpy().tolist()]
    [-0.6321, 2.0]
    """

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha = alpha

    def call(self, inputs):
        return _act.elu(inputs, alpha=self.alpha)

    def get_config(self):
        return dict(super().get_config(), alpha=self.alpha)


class PReLU(_Elementwise):
    """Parametric ReLU: `max(x, 0) - alpha * max(-x, 0)` with a learned `alpha` of the input's
    shape without the batch axis (size 1 along `shared_axes`).

    >>> import graphflow as tf
    >>> p = tf.keras.layers.PReLU(alpha_initializer=tf.keras.initializers.Constant(0.25))
    >>> p(tf.constant([[-4., 2.]])).numpy().tolist(), p.count_params()
    ([[-1.0, 2.0]], 2)
    """

    def __init__(self, alpha_initializer="Zeros", alpha_regularizer=None, alpha_constraint=None,
                 shared_axes=None, **kwargs):
        super().__init__(**kwargs)
        self.alpha_constraint = _constraints.get(alpha_constraint)   # add_weight applies it
        self.alpha_initializer = _init.get(alpha_initializer)
        self.alpha_regularizer = _reg.get(alpha_regularizer)
        if shared_axes is None:
            self.shared_axes = None
        elif not isinstance(shared_axes, (list, tuple)):
            self.shared_axes = [int(shared_axes)]
        else:
            self.shared_axes = [int(a) for a in shared_axes]

    def build(self, input_shape):
        param_shape = list(_shape(input_shape)[1:])
        for i in self.shared_axes or ():
            param_shape[i - 1] = 1
        if any(d is None for d in param_shape):
            raise ValueError(f"PReLU layer {self.name}: the non-batch dims of the input must be "
                             f"known (or shared), got shape {input_shape}")
        self.alpha = self.add_weight("alpha", tuple(param_shape),
                                     initializer=self.alpha_initializer,
                                     regularizer=self.alpha_regularizer)
        self.built = True

    def call(self, inputs):
        return _nn.relu(inputs) - self.alpha * _nn.relu(-inputs)

    def get_config(self):
        return dict(super().get_config(),
                    alpha_initializer=keras_object_config(self.alpha_initializer,
                                                          "keras.initializers"),
                    alpha_regularizer=keras_object_config(self.alpha_regularizer,
                                                          "keras.regularizers"),
                    alpha_constraint=keras_object_config(self.alpha_constraint,
                                                         "keras.constraints"),
                    shared_axes=self.shared_axes)


# ------------------------------------------------------------------ regularization
def _check_rate(layer, rate):
    if not 0 <= rate <= 1:
        raise ValueError(f"{type(layer).__name__}: invalid value received for argument `rate`. "
                         f"Expected a float value between 0 and 1. Received: rate={rate}")
    return rate


class GaussianDropout(_Elementwise):
    """When training, multiply by 1-centred Gaussian noise of stddev sqrt(rate / (1 - rate));
    the identity otherwise.

    >>> import graphflow as tf
    >>> tf.keras.layers.GaussianDropout(0.5)(tf.ones((2,))).numpy().tolist()   # inference
    [1.0, 1.0]
    """

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate, self.seed = _check_rate(self, rate), seed

    def call(self, inputs, training=False):
        if training and self.rate > 0:
            stddev = float(np.sqrt(self.rate / (1.0 - self.rate)))
            return inputs * _r.normal(tuple(inputs.shape), 1.0, stddev, inputs.dtype, self.seed)
        return inputs

    def get_config(self):
        return dict(super().get_config(), rate=self.rate, seed=self.seed)


class AlphaDropout(_Elementwise):
    """Dropout for SELU networks: dropped units are set to SELU's negative saturation and the
    result is affinely rescaled to keep mean and variance (Keras 3's formula); identity when
    not training.

    >>> import graphflow as tf
    >>> tf.keras.layers.AlphaDropout(0.2)(tf.ones((2,))).numpy().tolist()   # inference
    [1.0, 1.0]
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate, self.noise_shape, self.seed = _check_rate(self, rate), noise_shape, seed

    def call(self, inputs, training=False):
        if not (training and self.rate > 0):
            return inputs
        shape = tuple(inputs.shape)
        if self.noise_shape is not None:
            shape = tuple(s if n is None else n for s, n in zip(shape, self.noise_shape))
        alpha, scale = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946
        alpha_p = -alpha * scale
        kept = _m.cast(_m.greater_equal(_r.uniform(shape, dtype=inputs.dtype, seed=self.seed),
                                        self.rate), inputs.dtype)
        a = ((1 - self.rate) * (1 + self.rate * alpha_p ** 2)) ** -0.5
        b = -a * alpha_p * self.rate
        return (inputs * kept + alpha_p * (1.0 - kept)) * a + b

    def get_config(self):
        return dict(super().get_config(), rate=self.rate, seed=self.seed,
                    noise_shape=self.noise_shape)


class ActivityRegularization(_Elementwise):
    """Identity that adds `l1 * sum(|x|) + l2 * sum(x^2)` (divided by the batch size, as Keras)
    to the layer's losses.

    >>> import graphflow as tf
    >>> layer = tf.keras.layers.ActivityRegularization(l1=0.5)
    >>> _ = layer(tf.constant([[1., -3.]])); float(layer.losses[0])
    2.0
    """

    def __init__(self, l1=0.0, l2=0.0, **kwargs):
        super().__init__(**kwargs)
        self.l1, self.l2 = l1, l2
        self.activity_regularizer = _reg.L1L2(l1=l1, l2=l2)

    def call(self, inputs):
        return inputs

    def get_config(self):
        return dict(super().get_config(), l1=self.l1, l2=self.l2)


# ------------------------------------------------------------------ reshaping
class Permute(Layer):
    """Permute the non-batch axes: `dims` is a permutation of 1..rank-1 (Keras' Permute).

    >>> import graphflow as tf
    >>> tf.keras.layers.Permute((2, 1)).compute_output_shape((None, 10, 64))
    TensorShape([None, 64, 10])
    """

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        self.dims = tuple(int(d) for d in dims)
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise ValueError("Invalid permutation argument `dims` for Permute Layer. The set of "
                             "indices in `dims` must be consecutive and start from 1. "
                             f"Received dims={dims}")

    def call(self, inputs):
        if inputs.ndim != len(self.dims) + 1:
            raise ValueError(f"Permute layer {self.name}: dims={self.dims} needs inputs of rank "
                             f"{len(self.dims) + 1}, got shape {tuple(inputs.shape)}")
        return _s.transpose(inputs, (0,) + self.dims)

    def compute_output_shape(self, input_shape):
        s = _shape(input_shape)
        return TensorShape((s[0],) + tuple(s[d] for d in self.dims))

    def get_config(self):
        return dict(super().get_config(), dims=self.dims)


class RepeatVector(Layer):
    """(batch, features) -> (batch, n, features): the input repeated n times.

    >>> import graphflow as tf
    >>> tf.keras.layers.RepeatVector(2)(tf.constant([[1., 2.]])).numpy().tolist()
    [[[1.0, 2.0], [1.0, 2.0]]]
    """

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(n, (int, np.integer)):
            raise TypeError(f"Expected an integer value for `n`, got {type(n)}.")
        self.n = int(n)

    def call(self, inputs):
        if inputs.ndim != 2:
            raise ValueError(f"RepeatVector layer {self.name}: expected inputs of rank 2, got "
                             f"shape {tuple(inputs.shape)}")
        return _a.repeat(_s.expand_dims(inputs, 1), self.n, axis=1)

    def compute_output_shape(self, input_shape):
        s = _shape(input_shape)
        return TensorShape((s[0], self.n, s[1]))

    def get_config(self):
        return dict(super().get_config(), n=self.n)


def _spatial_axes(ndim, rank, data_format):
    """The `rank` spatial axes of an input of rank `ndim` (batch first)."""
    first = 2 if data_format == "channels_first" else 1
    return list(range(first, first + rank))


def _check_rank(layer, inputs, rank):
    if inputs.ndim != rank:
        raise ValueError(f"{type(layer).__name__} layer {layer.name}: expected inputs of rank "
                         f"{rank}, got shape {tuple(inputs.shape)}")


class _Resample(Layer):
    """Shared by the N-D padding / cropping / upsampling layers: `rank` spatial axes, Keras'
    argument forms, data_format (only for rank > 1, as in Keras)."""
    rank = 1

    def _axes(self):
        return _spatial_axes(self.rank + 2, self.rank,
                             getattr(self, "data_format", "channels_last"))

    def _pairs(self, value, what):
        """int -> ((v, v),)*rank; (a, b) (rank 1) or per-axis ints / pairs -> pairs."""
        n = self.rank
        if isinstance(value, (int, np.integer)):
            return ((int(value), int(value)),) * n
        value = tuple(value)
        if n == 1:
            return (standardize_tuple(value, 2, what, allow_zero=True),)
        if len(value) != n:
            raise ValueError(f"`{what}` should have {n} elements. Received: {value}.")
        return tuple(standardize_tuple(v, 2, f"entry {i} of {what}", allow_zero=True)
                     for i, v in enumerate(value))

    def compute_output_shape(self, input_shape):
        s = list(_shape(input_shape))
        for i, a in enumerate(self._axes()):
            if s[a] is not None:
                s[a] = self._length(s[a], i)
        return TensorShape(s)


class _ZeroPadding(_Resample):
    def __init__(self, padding=1, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format)
        self.padding = self._pairs(padding, "padding")

    def _length(self, n, i):
        return n + sum(self.padding[i])

    def call(self, inputs):
        _check_rank(self, inputs, self.rank + 2)
        pads = [[0, 0]] * inputs.ndim
        for (lo, hi), a in zip(self.padding, self._axes()):
            pads[a] = [lo, hi]
        return _a.pad(inputs, pads)

    def get_config(self):
        return dict(super().get_config(), padding=self.padding[0] if self.rank == 1
                    else self.padding, data_format=self.data_format)


class ZeroPadding1D(_ZeroPadding):
    """Pad the steps axis of (batch, steps, features) with zeros: `padding` an int or
    (left, right).

    >>> import graphflow as tf
    >>> tf.keras.layers.ZeroPadding1D(1)(tf.ones((1, 2, 1))).numpy()[0, :, 0].tolist()
    [0.0, 1.0, 1.0, 0.0]
    """
    rank = 1

    def __init__(self, padding=1, data_format=None, **kwargs):
        super().__init__(padding, data_format, **kwargs)


class ZeroPadding2D(_ZeroPadding):
    """Pad rows and columns with zeros: `padding` an int, (rows, cols) (symmetric) or
    ((top, bottom), (left, right)).

    >>> import graphflow as tf
    >>> tf.keras.layers.ZeroPadding2D(((1, 2), (0, 1)))(tf.ones((1, 8, 8, 3))).shape
    TensorShape([1, 11, 9, 3])
    """
    rank = 2

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(padding, data_format, **kwargs)


class ZeroPadding3D(_ZeroPadding):
    """Pad the three spatial axes of a 5-D input with zeros (an int, 3 ints or 3 pairs).

    >>> import graphflow as tf
    >>> tf.keras.layers.ZeroPadding3D(1)(tf.ones((1, 2, 2, 2, 3))).shape
    TensorShape([1, 4, 4, 4, 3])
    """
    rank = 3

    def __init__(self, padding=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(padding, data_format, **kwargs)


class _Cropping(_Resample):
    def __init__(self, cropping, data_format=None, **kwargs):
        super().__init__(**kwargs)
        if self.rank > 1:
            self.data_format = standardize_data_format(data_format)
        self.cropping = self._pairs(cropping, "cropping")

    def _length(self, n, i):
        out = n - sum(self.cropping[i])
        if out <= 0:
            raise ValueError(f"`cropping` parameter of `{type(self).__name__}` layer must be "
                             f"smaller than the input length. Received: cropping="
                             f"{self.cropping}")
        return out

    def call(self, inputs):
        _check_rank(self, inputs, self.rank + 2)
        index = [slice(None)] * inputs.ndim
        for i, ((lo, hi), a) in enumerate(zip(self.cropping, self._axes())):
            if inputs.shape[a] is not None and isinstance(inputs.shape[a], int):
                self._length(inputs.shape[a], i)
            index[a] = slice(lo, -hi if hi else None)
        return inputs[tuple(index)]

    def get_config(self):
        cfg = dict(super().get_config(), cropping=self.cropping[0] if self.rank == 1
                   else self.cropping)
        if self.rank > 1:
            cfg["data_format"] = self.data_format
        return cfg


class Cropping1D(_Cropping):
    """Crop the steps axis of (batch, steps, features): `cropping` an int or (left, right).

    >>> import graphflow as tf, numpy as np
    >>> x = tf.constant(np.arange(5.0, dtype="float32").reshape(1, 5, 1))
    >>> tf.keras.layers.Cropping1D((1, 2))(x).numpy()[0, :, 0].tolist()
    [1.0, 2.0]
    """
    rank = 1

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(cropping, **kwargs)


class Cropping2D(_Cropping):
    """Crop rows and columns: `cropping` an int, (rows, cols) (symmetric) or
    ((top, bottom), (left, right)).

    >>> import graphflow as tf
    >>> tf.keras.layers.Cropping2D(((1, 0), (2, 1)))(tf.ones((1, 8, 8, 3))).shape
    TensorShape([1, 7, 5, 3])
    """
    rank = 2

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(cropping, data_format, **kwargs)


class Cropping3D(_Cropping):
    """Crop the three spatial axes of a 5-D input (an int, 3 ints or 3 pairs).

    >>> import graphflow as tf
    >>> tf.keras.layers.Cropping3D(1)(tf.ones((1, 4, 5, 6, 2))).shape
    TensorShape([1, 2, 3, 4, 2])
    """
    rank = 3

    def __init__(self, cropping=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(cropping, data_format, **kwargs)


class UpSampling1D(_Resample):
    """Repeat each step `size` times along the steps axis.

    >>> import graphflow as tf
    >>> tf.keras.layers.UpSampling1D(2)(tf.constant([[[1.], [2.]]])).numpy()[0, :, 0].tolist()
    [1.0, 1.0, 2.0, 2.0]
    """
    rank = 1

    def __init__(self, size=2, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(size, (int, np.integer)) or isinstance(size, bool):
            raise TypeError(f"Expected an integer value for `size`, got {type(size)}.")
        if size <= 0:
            raise ValueError(f"Argument `size` should be a positive integer. Received: size={size}")
        self.size = int(size)

    def _sizes(self):
        return (self.size,) if self.rank == 1 else self.size

    def _length(self, n, i):
        return n * self._sizes()[i]

    def call(self, inputs):
        _check_rank(self, inputs, self.rank + 2)
        for k, a in zip(self._sizes(), self._axes()):
            if k != 1:
                inputs = _a.repeat(inputs, k, axis=a)
        return inputs

    def get_config(self):
        cfg = dict(super().get_config(), size=self.size)
        if self.rank > 1:
            cfg["data_format"] = self.data_format
        return cfg


class UpSampling2D(UpSampling1D):
    """Repeat rows and columns `size` times (interpolation 'nearest'), or resize by `size`
    with bilinear interpolation ('bilinear': tf.image.resize's half-pixel centres).

    >>> import graphflow as tf
    >>> tf.keras.layers.UpSampling2D((2, 3))(tf.ones((1, 4, 4, 3))).shape
    TensorShape([1, 8, 12, 3])
    """
    rank = 2

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        Layer.__init__(self, **kwargs)
        self.data_format = standardize_data_format(data_format)
        self.size = standardize_tuple(size, 2, "size")
        if interpolation not in ("nearest", "bilinear"):
            raise NotImplementedError(f"UpSampling2D: interpolation={interpolation!r} is not "
                                      "supported (only 'nearest' and 'bilinear')")
        self.interpolation = interpolation

    def call(self, inputs):
        if self.interpolation == "nearest":
            return super().call(inputs)
        _check_rank(self, inputs, 4)
        x = _cv.to_channels_last(inputs, self.data_format)
        h, w = x.shape[1:3]
        y = _im.resize(x, (h * self.size[0], w * self.size[1]), "bilinear")
        return _cv.from_channels_last(y, self.data_format)

    def get_config(self):
        return dict(super().get_config(), interpolation=self.interpolation)


class UpSampling3D(UpSampling1D):
    """Repeat the three spatial axes of a 5-D input by `size` (nearest neighbour).

    >>> import graphflow as tf
    >>> tf.keras.layers.UpSampling3D((1, 2, 3))(tf.ones((1, 2, 2, 2, 1))).shape
    TensorShape([1, 2, 4, 6, 1])
    """
    rank = 3

    def __init__(self, size=(2, 2, 2), data_format=None, **kwargs):
        Layer.__init__(self, **kwargs)
        self.data_format = standardize_data_format(data_format)
        self.size = standardize_tuple(size, 3, "size")


# ------------------------------------------------------------------ normalization
class GroupNormalization(Layer):
    """Normalize each example over groups of channels: the `axis` channels split into
    `groups` groups (-1: one per channel, instance normalization), each normalized over its
    channels and all other non-batch axes; per-channel gamma and beta.

    >>> import graphflow as tf, numpy as np
    >>> gn = tf.keras.layers.GroupNormalization(groups=2)
    >>> y = gn(tf.constant(np.arange(8.0, dtype="float32").reshape(1, 2, 4))).numpy()
    >>> gn.count_params(), [round(float(v), 3) for v in y[0, :, :2].ravel()]
    (8, [-1.213, -0.728, 0.728, 1.213])
    """
    supports_masking = True

    def __init__(self, groups=32, axis=-1, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None, **kwargs):
        if not isinstance(groups, (int, np.integer)) or (groups <= 0 and groups != -1):
            raise ValueError("Received an invalid value for argument `groups`, expected a "
                             "positive integer (or `-1` for instance normalization). "
                             f"Received: groups={groups}")
        super().__init__(**kwargs)
        self.beta_constraint = _constraints.get(beta_constraint)   # add_weight applies them
        self.gamma_constraint = _constraints.get(gamma_constraint)
        self.groups, self.axis, self.epsilon = int(groups), int(axis), epsilon
        self.center, self.scale = center, scale
        self.beta_initializer = _init.get(beta_initializer)
        self.gamma_initializer = _init.get(gamma_initializer)
        self.beta_regularizer = _reg.get(beta_regularizer)
        self.gamma_regularizer = _reg.get(gamma_regularizer)

    def build(self, input_shape):
        dim = _shape(input_shape)[self.axis]
        if dim is None:
            raise ValueError(f"Axis {self.axis} of input tensor should have a defined dimension "
                             f"but the layer received an input with shape {input_shape}.")
        if self.groups == -1:
            self.groups = dim
        if dim < self.groups:
            raise ValueError(f"Number of groups ({self.groups}) cannot be more than the number "
                             f"of channels ({dim}).")
        if dim % self.groups:
            raise ValueError(f"Number of groups ({self.groups}) must be a multiple of the "
                             f"number of channels ({dim}).")
        self.gamma = self.add_weight("gamma", (dim,), initializer=self.gamma_initializer,
                                     regularizer=self.gamma_regularizer) if self.scale else None
        self.beta = self.add_weight("beta", (dim,), initializer=self.beta_initializer,
                                    regularizer=self.beta_regularizer) if self.center else None
        self.built = True

    def call(self, inputs):
        rank = inputs.ndim
        axis = self.axis % rank
        dim = inputs.shape[axis]
        gshape = [-1] + list(inputs.shape[1:])   # unknown dims are symbolic Dims
        gshape[axis] = dim // self.groups
        gshape.insert(axis, self.groups)
        x = _s.reshape(inputs, gshape)
        reduce_axes = [a for a in range(1, rank + 1) if a != axis]
        mean, var = _nn.moments(x, reduce_axes, keepdims=True)
        bshape = [1] * (rank + 1)
        bshape[axis], bshape[axis + 1] = self.groups, dim // self.groups
        inv = _m.rsqrt(var + self.epsilon)
        if self.gamma is not None:
            inv = inv * _s.reshape(self.gamma, bshape)
        res = -mean * inv
        if self.beta is not None:
            res = res + _s.reshape(self.beta, bshape)
        return _s.reshape(x * inv + res, _s.shape(inputs))

    def compute_output_shape(self, input_shape):
        return TensorShape(input_shape)

    def get_config(self):
        return dict(super().get_config(), groups=self.groups, axis=self.axis,
                    epsilon=self.epsilon, center=self.center, scale=self.scale,
                    beta_initializer=keras_object_config(self.beta_initializer,
                                                         "keras.initializers"),
                    gamma_initializer=keras_object_config(self.gamma_initializer,
                                                          "keras.initializers"),
                    beta_regularizer=keras_object_config(self.beta_regularizer,
                                                         "keras.regularizers"),
                    gamma_regularizer=keras_object_config(self.gamma_regularizer,
                                                          "keras.regularizers"),
                    beta_constraint=keras_object_config(self.beta_constraint,
                                                        "keras.constraints"),
                    gamma_constraint=keras_object_config(self.gamma_constraint,
                                                         "keras.constraints"))


class UnitNormalization(_Elementwise):
    """Scale each example to unit L2 norm over `axis` (Keras: x / sqrt(max(sum(x^2), 1e-12))).

    >>> import graphflow as tf
    >>> tf.keras.layers.UnitNormalization()(tf.constant([[3., 4.]])).numpy().tolist()
    [[0.6000000238418579, 0.800000011920929]]
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)):
            self.axis = [int(a) for a in axis]
        elif isinstance(axis, (int, np.integer)):
            self.axis = int(axis)
        else:
            raise TypeError("Invalid value for `axis` argument: expected an int or a list/tuple "
                            f"of ints. Received: axis={axis}")

    def call(self, inputs):
        return _nn.l2_normalize(inputs, axis=self.axis, epsilon=1e-12)

    def get_config(self):
        return dict(super().get_config(), axis=self.axis)


# ------------------------------------------------------------------ wrappers
class Wrapper(Layer):
    """Base class of layers that wrap another layer (`TimeDistributed`, `Bidirectional`): the
    wrapped layer is `self.layer`, serialized in the config under 'layer'."""

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(f"Layer {layer} supplied to Wrapper isn't a supported layer type. "
                             "Please ensure wrapped layer is a valid Keras layer.")
        super().__init__(**kwargs)
        self.layer = layer

    def build(self, input_shape=None):
        if not self.layer.built:
            self.layer.build(input_shape)
            self.layer.built = True
        self.built = True

    def get_config(self):
        return dict(super().get_config(), layer=serialize(self.layer))

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        layer = config.pop("layer")
        if isinstance(layer, dict):
            layer = deserialize(layer, custom_objects=custom_objects)
        return cls(layer, **config)


class TimeDistributed(Wrapper):
    """Apply `layer` to every temporal slice (axis 1) of the input, with the same weights:
    (batch, time, ...) -> (batch, time, ...layer's output). The batch and time axes are folded
    into one for the call (so one op per layer op, not one per step); a (batch, time) mask
    reaches layers whose `call` takes one, and passes through.

    >>> import graphflow as tf
    >>> td = tf.keras.layers.TimeDistributed(tf.keras.layers.Dense(3))
    >>> td(tf.ones((2, 5, 4))).shape, td.count_params()
    (TensorShape([2, 5, 3]), 15)
    """
    supports_masking = True

    def _child_shape(self, input_shape):
        s = _shape(input_shape)
        if len(s) < 3:
            raise ValueError("`TimeDistributed` Layer should be passed an `input_shape` with at "
                             f"least 3 dimensions, received: {input_shape}")
        return TensorShape((s[0],) + s[2:])

    def build(self, input_shape):
        super().build(self._child_shape(input_shape))

    def call(self, inputs, training=None, mask=None):
        if inputs.ndim < 3:
            raise ValueError(f"TimeDistributed layer {self.name}: inputs must be at least 3-D "
                             f"(batch, time, ...), got shape {tuple(inputs.shape)}")
        flat = _s.reshape(inputs, (-1,) + tuple(inputs.shape[2:]))   # (batch * time, ...)
        kwargs = {}
        if training is not None and self.layer._call_takes_training:
            kwargs["training"] = training
        if mask is not None and self.layer._call_takes_mask:
            kwargs["mask"] = _s.reshape(mask, (-1,) + tuple(mask.shape[2:]))
        y = self.layer(flat, **kwargs)
        return _s.reshape(y, tuple(inputs.shape[:2]) + tuple(y.shape[1:]))

    def compute_output_shape(self, input_shape):
        s = _shape(input_shape)
        child = tuple(self.layer.compute_output_shape(self._child_shape(input_shape)))
        return TensorShape((child[0], s[1]) + child[1:])


# ------------------------------------------------------------------ attention
class Attention(Layer):
    """Dot-product (Luong-style) attention: inputs [query, value] or [query, value, key] of
    shapes (batch, Tq, dim), (batch, Tv, dim); scores = query @ key^T (times a learned `scale`
    with use_scale=True) or, with score_mode='concat', sum(tanh(query + key)); softmax over
    the value steps; output (batch, Tq, dim). `mask=[query_mask, value_mask]`,
    `use_causal_mask` and `return_attention_scores` as in Keras.

    >>> import graphflow as tf
    >>> q = tf.constant([[[1., 0.]]]); v = tf.constant([[[1., 0.], [0., 1.]]])
    >>> out, w = tf.keras.layers.Attention()([q, v], return_attention_scores=True)
    >>> [round(a, 4) for a in w.numpy().ravel().tolist()]
    [0.7311, 0.2689]
    """

    def __init__(self, use_scale=False, score_mode="dot", dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.use_scale, self.score_mode, self.dropout, self.seed = use_scale, score_mode, \
            dropout, seed
        if score_mode not in ("dot", "concat"):
            raise ValueError("Invalid value for argument score_mode. Expected one of {'dot', "
                             f"'concat'}}. Received: score_mode={score_mode}")
        self.scale = self.concat_score_weight = None

    def _validate(self, inputs, mask=None):
        name = type(self).__name__
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(f"{name} layer must be called on a list of inputs, namely "
                             f"[query, value] or [query, value, key]. Received: inputs={inputs}.")
        if not 2 <= len(inputs) <= 3:
            raise ValueError(f"{name} layer accepts inputs list of length 2 or 3, namely "
                             f"[query, value] or [query, value, key]. Received length: "
                             f"{len(inputs)}.")
        if mask is not None and (not isinstance(mask, (list, tuple)) or
                                 not 2 <= len(mask) <= 3):
            raise ValueError(f"{name} layer mask must be a list, namely [query_mask, "
                             f"value_mask]. Received: mask={mask}.")

    def _convert_inputs(self, inputs):
        self._validate(inputs)
        return [Layer._convert_inputs(self, x) for x in inputs]

    def build(self, input_shape):
        if self.use_scale:
            self.scale = self.add_weight("scale", (), initializer="ones")
        if self.score_mode == "concat":
            self.concat_score_weight = self.add_weight("concat_score_weight", (),
                                                       initializer="ones")
        self.built = True

    def _scores(self, query, key):
        if self.score_mode == "dot":
            scores = _m.matmul(query, key, transpose_b=True)
            return scores * self.scale if self.scale is not None else scores
        q, k = _s.expand_dims(query, -2), _s.expand_dims(key, -3)
        if self.scale is not None:
            q = q * self.scale   # scale * (q + k)
            k = k * self.scale
        return self.concat_score_weight * _m.reduce_sum(_m.tanh(q + k), axis=-1)

    def call(self, inputs, mask=None, training=False, return_attention_scores=False,
             use_causal_mask=False):
        self._validate(inputs, mask)
        q, v = inputs[0], inputs[1]
        k = inputs[2] if len(inputs) > 2 else v
        q_mask = mask[0] if mask else None
        v_mask = mask[1] if mask else None
        scores = self._scores(q, k)
        scores_mask = None
        if v_mask is not None:
            v_mask = _m.cast(v_mask, "bool")
            scores_mask = _s.expand_dims(v_mask, -2) if v_mask.ndim == 2 else v_mask
        if use_causal_mask:
            dims = tuple(scores.shape)[-2:]
            if not all(isinstance(d, (int, np.integer)) for d in dims):
                dims = (_s.shape(scores)[-2], _s.shape(scores)[-1])
            ones = _c.ones([1, dims[0], dims[1]], "int32")
            causal = _m.greater_equal(_a.cumsum(ones, axis=-2), _a.cumsum(ones, axis=-1))
            scores_mask = causal if scores_mask is None else _m.logical_and(scores_mask, causal)
        if scores_mask is not None:
            max_value = 65504.0 if scores.dtype.name == "float16" else 1.0e9
            scores = _m.where(scores_mask, scores, scores - max_value)
        weights = _act.softmax(scores, axis=-1)
        if training and self.dropout > 0:
            u = _r.uniform(tuple(weights.shape), dtype=weights.dtype, seed=self.seed)
            keep = _m.cast(_m.greater_equal(u, self.dropout), weights.dtype)
            weights = weights * keep * (1.0 / (1.0 - self.dropout))
        out = _m.matmul(weights, v)
        if q_mask is not None:
            out = out * _m.cast(_s.expand_dims(_m.cast(q_mask, "bool"), -1), out.dtype)
        return (out, weights) if return_attention_scores else out

    def compute_mask(self, inputs, mask=None):
        if mask is None or mask[0] is None:
            return None
        return mask[0]

    def compute_output_shape(self, input_shape):
        q, v = _shape(input_shape[0]), _shape(input_shape[1])
        return TensorShape(q[:-1] + (v[-1],))

    def get_config(self):
        return dict(super().get_config(), use_scale=self.use_scale, score_mode=self.score_mode,
                    dropout=self.dropout, seed=self.seed)


class AdditiveAttention(Attention):
    """Additive (Bahdanau-style) attention: scores = sum(scale * tanh(query + key)) with a
    learned per-dim `scale` (glorot_uniform, shape (dim,)) when use_scale=True (the default).

    >>> import graphflow as tf
    >>> att = tf.keras.layers.AdditiveAttention()
    >>> att([tf.ones((2, 3, 4)), tf.ones((2, 5, 4))]).shape, att.count_params()
    (TensorShape([2, 3, 4]), 4)
    """

    def __init__(self, use_scale=True, dropout=0.0, **kwargs):
        super().__init__(use_scale=use_scale, dropout=dropout, **kwargs)

    def build(self, input_shape):
        dim = _shape(input_shape[0])[-1]
        self.scale = self.add_weight("scale", (dim,), initializer="glorot_uniform") \
            if self.use_scale else None
        self.built = True

    def _scores(self, query, key):
        t = _m.tanh(_s.expand_dims(query, -2) + _s.expand_dims(key, -3))
        return _m.reduce_sum(t * self.scale if self.scale is not None else t, axis=-1)

    def get_config(self):
        cfg = super().get_config()
        cfg.pop("score_mode")
        return cfg


class SpectralNormalization(Wrapper):
    """Spectral normalization of the wrapped layer's `kernel` (or `embeddings`): when called
    with training=True, `power_iterations` steps of power iteration (the non-trainable
    `vector_u` carries over between calls) estimate the largest singular value sigma of the
    kernel (reshaped to (-1, last dim)) and the kernel is assigned kernel / sigma before the
    layer runs (Keras 3; an all-zero kernel is left alone). At inference it just runs the
    layer.

    >>> import graphflow as tf, numpy as np
    >>> sn = tf.keras.layers.SpectralNormalization(tf.keras.layers.Dense(2),
    ...                                        power_iterations=20)
    >>> _ = sn(tf.ones((1, 3)), training=True)
    >>> bool(abs(np.linalg.svd(sn.layer.kernel.numpy())[1][0] - 1) < 0.2), sn.count_params()
    (True, 10)
    """
    kernel = None

    def __init__(self, layer, power_iterations=1, **kwargs):
        super().__init__(layer, **kwargs)
        if power_iterations <= 0:
            raise ValueError("`power_iterations` should be greater than zero. Received: "
                             f"`power_iterations={power_iterations}`")
        self.power_iterations = int(power_iterations)

    def build(self, input_shape):
        super().build(input_shape)
        kernel = getattr(self.layer, "kernel", None)
        if kernel is None:
            kernel = getattr(self.layer, "embeddings", None)
        if kernel is None:
            raise ValueError(f"{type(self.layer).__name__} object has no attribute 'kernel' nor "
                             "'embeddings'")
        self.kernel = kernel   # a weight of this layer too: Keras's order kernel, vector_u, bias
        self.kernel_shape = tuple(kernel.shape)
        self.vector_u = self.add_weight("vector_u", (1, self.kernel_shape[-1]),
                                        initializer=_init.TruncatedNormal(stddev=0.02),
                                        trainable=False, dtype=kernel.dtype)
        self.built = True

    def normalized_weights(self):
        """(vector_u, kernel / sigma) after the power iterations."""
        w = _s.reshape(self.kernel.read_value(), (-1, self.kernel_shape[-1]))
        u = self.vector_u.read_value()
        for _ in range(self.power_iterations):
            v = _nn.l2_normalize(_m.matmul(u, w, transpose_b=True), axis=None, epsilon=1e-12)
            u = _nn.l2_normalize(_m.matmul(v, w), axis=None, epsilon=1e-12)
        u, v = _m.stop_gradient(u), _m.stop_gradient(v)
        sigma = _m.matmul(_m.matmul(v, w), u, transpose_b=True)
        return u, _s.reshape(w / sigma, self.kernel_shape)

    def call(self, inputs, training=False):
        if training:
            kernel = self.kernel
            u, new = self.normalized_weights()
            zero = _m.reduce_all(_m.equal(kernel.read_value(), 0))
            self.vector_u.assign(_m.where(zero, self.vector_u.read_value(), u))
            kernel.assign(_m.where(zero, kernel.read_value(), new))
        return self.layer(inputs)

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)

    def get_config(self):
        return dict(super().get_config(), power_iterations=self.power_iterations)
