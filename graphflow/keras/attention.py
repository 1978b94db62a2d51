"""Keras attention layers: `EinsumDense` and `MultiHeadAttention`, laid out as Keras 3 (the same
weight shapes, names and order, so Keras weights load unchanged), built from graphflow's einsum
and softmax: gradients, tracing and the numba backend work as for any composition.

>>> import numpy as np, graphflow as tf
>>> mha = tf.keras.layers.MultiHeadAttention(num_heads=2, key_dim=3)
>>> out, scores = mha(np.ones((1, 4, 5)), np.ones((1, 6, 5)), return_attention_scores=True)
>>> out.shape, scores.shape   # scores: (batch, heads, query steps, key steps)
(TensorShape([1, 4, 5]), TensorShape([1, 2, 4, 6]))
"""
import math
import string

import numpy as np

from ..ops import array_ops as _a, math_ops as _m, nn_ops as _nn, shape_ops as _s
from ..tensor import TensorShape
from . import activations as _act
from .layers import Dropout, Layer, configure_kernel_bias, keras_object_config, unquantized

#: Keras' large negative logit for masked attention positions (float16: -3e4)
_MASKED = -1e9


def _shape_of(x):
    """A static shape: unknown (or symbolic, while tracing) dims are None."""
    return None if x is None else tuple(
        int(d) if isinstance(d, (int, np.integer)) else None
        for d in (x.shape if hasattr(x, "shape") else np.shape(x)))


def _weight_configs(layer):
    """The initializer and regularizer entries of a config, as Keras object dicts."""
    return {k: keras_object_config(getattr(layer, k), mod) for k, mod in (
        ("kernel_initializer", "keras.initializers"), ("bias_initializer", "keras.initializers"),
        ("kernel_regularizer", "keras.regularizers"), ("bias_regularizer", "keras.regularizers"))}


class EinsumDense(Layer):
    """A dense layer given by an einsum equation `input,kernel->output` (no ellipsis):
    `activation(einsum(equation, x, kernel) + bias)`; `output_shape` gives the output's trailing
    dims (None: the input's size of the same index); `bias_axes` names the output indices the
    bias varies along.

    >>> import numpy as np
    >>> layer = EinsumDense("abc,cd->abd", output_shape=(None, 4), bias_axes="d")
    >>> y = layer(np.ones((2, 3, 5)))
    >>> y.shape, [tuple(w.shape) for w in layer.weights]
    (TensorShape([2, 3, 4]), [(5, 4), (4,)])
    """

    def __init__(self, equation, output_shape, activation=None, bias_axes=None,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, quantization_config=None,
                 **kwargs):
        kwargs.pop("lora_rank", None)
        kwargs.pop("lora_alpha", None)
        super().__init__(**kwargs)
        self.quantization_config = unquantized(self, quantization_config)
        self.equation = equation.replace(" ", "")
        if "..." in self.equation or self.equation.count(",") != 1 or "->" not in self.equation:
            raise ValueError(f"EinsumDense {self.name}: the equation must be 'input,kernel->output' "
                             f"without an ellipsis, got {equation!r}")
        self.partial_output_shape = (output_shape,) if isinstance(output_shape, int) or \
            output_shape is None else tuple(output_shape)
        self.bias_axes = bias_axes
        configure_kernel_bias(self, activation, bias_axes is not None, kernel_initializer,
                              bias_initializer, kernel_regularizer, bias_regularizer,
                              activity_regularizer, kernel_constraint, bias_constraint)

    def _specs(self):
        ins, out = self.equation.split("->")
        return (*ins.split(","), out)

    def _full_output_shape(self, input_shape):
        in_spec, _, out_spec = self._specs()
        given = list(self.partial_output_shape)
        given = [None] * (len(out_spec) - len(given)) + given
        if len(given) != len(out_spec):
            raise ValueError(f"EinsumDense {self.name}: output_shape {self.partial_output_shape} "
                             f"has more dims than the output {out_spec!r}")
        return tuple(input_shape[in_spec.index(c)] if d is None and c in in_spec else d
                     for c, d in zip(out_spec, given))

    def build(self, input_shape):
        in_spec, k_spec, out_spec = self._specs()
        if len(input_shape) != len(in_spec):
            raise ValueError(f"EinsumDense {self.name}: equation {self.equation!r} needs inputs of "
                             f"rank {len(in_spec)}, got shape {tuple(input_shape)}")
        full = self._full_output_shape(input_shape)
        kshape = tuple(input_shape[in_spec.index(c)] if c in in_spec else full[out_spec.index(c)]
                       for c in k_spec)
        if any(d is None for d in kshape):
            raise ValueError(f"EinsumDense {self.name}: the kernel's dims must be known, got "
                             f"{kshape} for inputs of shape {tuple(input_shape)}")
        self.full_output_shape = full
        self.kernel = self.add_weight("kernel", kshape, initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer)
        if self.bias_axes is not None:
            first = min(out_spec.index(c) for c in self.bias_axes)
            bshape = tuple(full[i] if c in self.bias_axes else 1
                           for i, c in enumerate(out_spec) if i >= first)
            self.bias = self.add_weight("bias", bshape, initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer)
        self.built = True

    def call(self, inputs):
        y = _a.einsum(self.equation, inputs, self.kernel)
        if self.bias is not None:
            y = y + self.bias
        # Keras 3: `layer.activation = None` is linear
        return y if self.activation is None else self.activation(y)

    def compute_output_shape(self, input_shape):
        return TensorShape(self._full_output_shape(tuple(input_shape)))

    def get_config(self):
        return dict(super().get_config(), output_shape=list(self.partial_output_shape),
                    equation=self.equation, activation=_act.serialize(self.activation),
                    bias_axes=self.bias_axes, **_weight_configs(self),
                    activity_regularizer=keras_object_config(self.activity_regularizer,
                                                             "keras.regularizers"),
                    kernel_constraint=None, bias_constraint=None, quantization_config=None)


def _proj_equation(free_dims, bound_dims, output_dims):
    """Keras' projection equation: (free, bound) x (bound, out) -> (free, out), and the bias
    indices (the output ones)."""
    letters = string.ascii_lowercase
    free = letters[:free_dims]
    bound = letters[free_dims:free_dims + bound_dims]
    out = letters[free_dims + bound_dims:free_dims + bound_dims + output_dims]
    return f"{free}{bound},{bound}{out}->{free}{out}", out, free_dims + output_dims


def _attention_equations(rank, attn_axes):
    """Keras' (key, query -> scores) and (scores, value -> output) equations for projected
    tensors of `rank` (batch..., heads, dim), attending over `attn_axes`."""
    target = string.ascii_lowercase[:rank]
    batch_dims = [i for i in range(rank) if i not in attn_axes and i != rank - 1]
    source, offset = "", rank
    for i in range(rank):
        if i in batch_dims or i == rank - 1:
            source += target[i]
        else:
            source += string.ascii_lowercase[offset]
            offset += 1
    product = "".join([target[i] for i in batch_dims] + [target[i] for i in attn_axes]
                      + [source[i] for i in attn_axes])
    return f"{source},{target}->{product}", f"{product},{source}->{target}", len(product)


class MultiHeadAttention(Layer):
    """Multi-head (scaled dot-product) attention, as Keras 3: project query/key/value to
    `num_heads` heads of `key_dim` (`value_dim`), softmax(q·k / sqrt(key_dim)) over the key
    positions (masked positions -1e9 before and 0 after the softmax), dropout on those
    probabilities when training, and an output projection back to the query's last dim (or
    `output_shape`). Weights: `query`/`key`/`value` kernels (d, heads, key_dim) and biases
    (heads, key_dim), `attention_output` kernel (heads, value_dim, d_out) and bias (d_out,).

    Call: `mha(query, value, key=None, attention_mask=None, return_attention_scores=False,
    training=None, use_causal_mask=False)`; `attention_mask` (batch, T, S) is True (or nonzero) where
    query position t may attend to key position s; `query_mask` (batch, T) / `value_mask`,
    `key_mask` (batch, S) combine with it (in a functional model they are the Keras masks of the
    query/value/key, e.g. from `Embedding(mask_zero=True)`; the output keeps the query's).

    >>> import numpy as np
    >>> mha = MultiHeadAttention(num_heads=2, key_dim=3)
    >>> x = np.ones((1, 4, 5), np.float32)
    >>> _, s = mha(x, x, use_causal_mask=True, return_attention_scores=True)
    >>> s.numpy()[0, 0, 1]   # step 1 attends to steps 0 and 1 only
    array([0.5, 0.5, 0. , 0. ], dtype=float32)
    >>> mha.count_params()
    143
    """
    supports_masking = True

    def __init__(self, num_heads, key_dim, value_dim=None, dropout=0.0, use_bias=True,
                 output_shape=None, attention_axes=None, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 seed=None, **kwargs):
        for flag, default in (("flash_attention", None), ("use_gate", False),
                              ("sliding_window", None)):
            if kwargs.pop(flag, default) not in (default, False):
                raise NotImplementedError(f"MultiHeadAttention: {flag} is not supported")
        for arg, v in (("num_heads", num_heads), ("key_dim", key_dim)):
            if not isinstance(v, (int, np.integer)) or v <= 0:
                raise ValueError(f"Received an invalid value for argument `{arg}`, expected a "
                                 f"positive integer. Received: {arg}={v}")
        if value_dim is not None and (not isinstance(value_dim, (int, np.integer))
                                      or value_dim <= 0):
            raise ValueError("Received an invalid value for argument `value_dim`, expected a "
                             f"positive integer or `None`. Received: value_dim={value_dim}")
        super().__init__(**kwargs)
        self.num_heads, self.key_dim = int(num_heads), int(key_dim)
        self.value_dim = int(value_dim) if value_dim else self.key_dim
        self.dropout, self.use_bias, self.seed = float(dropout), bool(use_bias), seed
        if output_shape and isinstance(output_shape, int):
            output_shape = (output_shape,)
        self._output_shape = tuple(output_shape) if output_shape else None
        if isinstance(attention_axes, int):
            attention_axes = (attention_axes,)
        elif attention_axes is not None and not isinstance(attention_axes, (list, tuple)):
            raise ValueError("`attention_axes` must be an int, list, or tuple. Received: "
                             f"attention_axes={attention_axes}")
        self.attention_axes = None if attention_axes is None else tuple(attention_axes)
        # the sublayers' options (the Dense ones), kept under Keras' argument names
        configure_kernel_bias(self, None, use_bias, kernel_initializer, bias_initializer,
                              kernel_regularizer, bias_regularizer, activity_regularizer,
                              kernel_constraint, bias_constraint)
        # handed to the projections, as Keras
        self._activity, self.activity_regularizer = self.activity_regularizer, None
        # the projections, under Keras' (property) names: weights in this order, and a
        # .keras file's groups `query_dense/vars`, ... as Keras 3 writes them
        self.query_dense = self.key_dense = self.value_dense = self.output_dense = None

    def _dense(self, equation, output_shape, bias_axes, name, input_shape):
        layer = EinsumDense(equation, output_shape, bias_axes=bias_axes if self.use_bias else None,
                            kernel_initializer=self.kernel_initializer,
                            bias_initializer=self.bias_initializer,
                            kernel_regularizer=self.kernel_regularizer,
                            bias_regularizer=self.bias_regularizer,
                            activity_regularizer=self._activity, name=name, dtype=self.dtype_policy)
        with self._own_scope():   # Keras 3 paths: 'multi_head_attention/query/kernel'
            layer.build(input_shape)
        return layer

    def build(self, query_shape, value_shape=None, key_shape=None):
        """Create the four projections from the query, value (and key) shapes (Keras 3:
        `build(query_shape, value_shape, key_shape=None)`)."""
        query_shape = tuple(query_shape)
        value_shape = query_shape if value_shape is None else tuple(value_shape)
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        if value_shape[1:-1] != key_shape[1:-1]:
            raise ValueError("All dimensions of `value` and `key`, except the last one, must be "
                             f"equal. Received: value_shape={value_shape} and "
                             f"key_shape={key_shape}")
        heads = (self.num_heads, self.key_dim)

        def proj(shape, dims, name):
            eq, bias, rank = _proj_equation(len(shape) - 1, 1, 2)
            return self._dense(eq, [None] * (rank - 1 - 2) + list(dims), bias, name, shape)
        self.query_dense = proj(query_shape, heads, "query")
        self.key_dense = proj(key_shape, heads, "key")
        self.value_dense = proj(value_shape, (self.num_heads, self.value_dim), "value")
        rank = len(value_shape) + 1
        axes = tuple(range(1, rank - 2)) if self.attention_axes is None else \
            tuple(a if a >= 0 else (rank - 1) + a for a in self.attention_axes)
        self.attention_axes = axes
        self._dot_product_equation, self._combine_equation, scores_rank = \
            _attention_equations(rank, axes)
        self._norm_axes = tuple(range(scores_rank - len(axes), scores_rank))
        self._dropout_layer = Dropout(self.dropout, seed=self.seed, dtype=self.dtype_policy)
        out_dims = self._output_shape or (query_shape[-1],)
        eq, bias, rank_out = _proj_equation(len(query_shape) - 1, 2, len(out_dims))
        self.output_dense = self._dense(
            eq, [None] * (rank_out - 1 - len(out_dims)) + list(out_dims), bias,
            "attention_output", query_shape[:-1] + (self.num_heads, self.value_dim))
        self._build_shapes = {"query_shape": query_shape, "value_shape": value_shape}
        if key_shape is not value_shape:
            self._build_shapes["key_shape"] = key_shape
        self.built = True

    def get_build_config(self):
        """Keras 3's build config of a layer built from several shapes (saved in .keras files)."""
        shapes = getattr(self, "_build_shapes", None)
        return None if shapes is None else {"shapes_dict": {k: list(v) for k, v in shapes.items()}}

    def build_from_config(self, config):
        """Build from a saved build config (Keras 3's `shapes_dict`)."""
        if config and "shapes_dict" in config:
            self.build(**{k: tuple(v) for k, v in config["shapes_dict"].items()})

    def __call__(self, query, value=None, key=None, **kwargs):
        if value is None:
            raise TypeError(f"MultiHeadAttention {self.name}: call needs `query` and `value`")
        if self.query_dense is None:
            self.build(_shape_of(query), _shape_of(value), _shape_of(key))
        if key is not None:
            kwargs["key"] = key
        return super().__call__(query, value, **kwargs)

    @staticmethod
    def _causal_mask(scores):
        """True where key step <= query step, for the (…, T, S) scores: a constant when T and
        S are known, else Keras' cumsum rule on ones of the scores' run-time shape."""
        t, s = _shape_of(scores)[-2:]
        if t is not None and s is not None:
            return np.tril(np.ones((t, s), bool))
        ones = _m.ones_like(scores, dtype="int32")
        return _m.greater_equal(_a.cumsum(ones, axis=-2), _a.cumsum(ones, axis=-1))

    def _combined_mask(self, query_mask, value_mask, key_mask, attention_mask):
        """Keras' rule: (batch, T, S), True where query step t may attend to key step s
        (None when no mask is given)."""
        mask = None
        if query_mask is not None:
            mask = _s.expand_dims(_m.cast(query_mask, "bool"), -1)
        for m in (value_mask, key_mask):
            if m is not None:
                m = _s.expand_dims(_m.cast(m, "bool"), -2)
                mask = m if mask is None else _m.logical_and(mask, m)
        if attention_mask is not None:
            a = self._convert_inputs(attention_mask)
            a = _m.cast(a, "bool")   # Keras 3 casts: any nonzero (int or float) attends
            mask = a if mask is None else _m.logical_and(a, mask)
        return mask

    def call(self, query, value, key=None, query_mask=None, value_mask=None, key_mask=None,
             attention_mask=None, return_attention_scores=False, training=None,
             use_causal_mask=False):
        value = self._convert_inputs(value)
        key = value if key is None else self._convert_inputs(key)
        # Keras 3.15 takes the query's mask from the query tensor (the Keras mask it carries),
        # whatever `query_mask=` says: the seq2seq Transformer's cross-attention passes the
        # decoder's padding mask on an unmasked query, and Keras attends from every step
        query_mask = getattr(query, "_keras_mask", None)
        mask = self._combined_mask(query_mask, value_mask, key_mask, attention_mask)
        q = self.query_dense(query)
        k = self.key_dense(key)
        v = self.value_dense(value)
        q = q * (1.0 / math.sqrt(float(self.key_dim)))
        scores = _a.einsum(self._dot_product_equation, k, q)
        if mask is not None:
            mask = _m.cast(mask, "bool")
            for _ in range(scores.ndim - mask.ndim):
                mask = _s.expand_dims(mask, -len(self.attention_axes) * 2 - 1)
        if use_causal_mask:   # the last two score axes are (query steps, key steps)
            c = self._causal_mask(scores)
            mask = c if mask is None else _m.logical_and(mask, c)
        if mask is not None:
            scores = _m.where(mask, scores, _MASKED)
        probs = _nn.softmax(scores, axis=list(self._norm_axes))
        # Keras 3 zeroes a fully masked row's weights on its softmax path (dropout, scores
        # returned, or attention over several axes); its fused `dot_product_attention` path
        # (all other calls) leaves them uniform: the same split here, for the same outputs
        fused = not (self.dropout > 0 or return_attention_scores or q.ndim != 4)
        if mask is not None and not fused:
            probs = _m.where(mask, probs, 0.0)
        dropped = self._dropout_layer(probs, training=training) if self.dropout > 0 else probs
        out = self.output_dense(_a.einsum(self._combine_equation, dropped, v))
        return (out, probs) if return_attention_scores else out

    def compute_output_shape(self, query_shape, value_shape=None, key_shape=None):
        query_shape = tuple(query_shape)
        if self._output_shape:
            query_shape = query_shape[:-1] + self._output_shape
        return TensorShape(query_shape)

    def get_config(self):
        """Keras 3's config (use_gate/sliding_window are always off here)."""
        return dict(super().get_config(), num_heads=self.num_heads, key_dim=self.key_dim,
                    value_dim=self.value_dim, dropout=self.dropout, use_bias=self.use_bias,
                    use_gate=False, output_shape=self._output_shape,
                    attention_axes=self.attention_axes, sliding_window=None,
                    **_weight_configs(self),
                    activity_regularizer=keras_object_config(self._activity,
                                                             "keras.regularizers"),
                    kernel_constraint=None, bias_constraint=None, seed=self.seed)
