"""Keras 3's `GroupQueryAttention`: multi-head attention whose `num_query_heads` query heads
share `num_key_value_heads` key/value heads (each key/value head repeated
num_query_heads // num_key_value_heads times, Keras' `ops.repeat(..., axis=2)`), with Keras 3's
EinsumDense projections (the same weight names, shapes and order).

>>> import numpy as np, graphflow as tf
>>> gqa = tf.keras.layers.GroupQueryAttention(head_dim=4, num_query_heads=4,
...                                           num_key_value_heads=2)
>>> gqa(np.ones((1, 3, 8)), np.ones((1, 5, 6))).shape, gqa.count_params()
(TensorShape([1, 3, 8]), 392)
"""
import math

import numpy as np

from ..ops import array_ops as _a, math_ops as _m, nn_ops as _nn, shape_ops as _s
from ..tensor import TensorShape
from .attention import EinsumDense
from .layers import Dropout, Layer, configure_kernel_bias, keras_object_config, unique_name

#: the large negative logit Keras puts at masked attention positions
MASKED_LOGIT = -1e9


def static_shape(x):
    """A static shape of an array / tensor: unknown (symbolic) dims are None."""
    return None if x is None else tuple(
        int(d) if isinstance(d, (int, np.integer)) else None
        for d in (x.shape if hasattr(x, "shape") else np.shape(x)))


class GroupQueryAttention(Layer):
    """Grouped-query attention (Keras 3): projections query `bqm,muh->bquh`, key / value
    `bkm,mvh->bkvh`, scores `bquh,bkuh->buqk` of the query scaled by 1/sqrt(head_dim) with the
    key / value heads repeated, softmax over the key steps, output `bquh,uhm->bqm` back to the
    query's feature size. Masks as MultiHeadAttention (query/value/key masks, attention_mask,
    use_causal_mask).

    >>> import numpy as np, graphflow as tf
    >>> gqa = tf.keras.layers.GroupQueryAttention(2, 4, 2)
    >>> out, scores = gqa(np.ones((1, 3, 8)), np.ones((1, 5, 8)), return_attention_scores=True)
    >>> scores.shape, float(scores.numpy().sum(-1).mean())
    (TensorShape([1, 4, 3, 5]), 1.0)
    """

    def __init__(self, head_dim, num_query_heads, num_key_value_heads, dropout=0.0,
                 use_bias=True, sliding_window=None, flash_attention=None,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, use_gate=False, seed=None,
                 **kwargs):
        if use_gate or sliding_window is not None or flash_attention:
            raise NotImplementedError("GroupQueryAttention: use_gate, sliding_window and "
                                      "flash_attention are not supported")
        kwargs.setdefault("name", unique_name("grouped_query_attention"))   # Keras' name
        super().__init__(**kwargs)
        self.head_dim, self.num_query_heads = int(head_dim), int(num_query_heads)
        self.num_key_value_heads = int(num_key_value_heads)
        if self.num_query_heads % self.num_key_value_heads:
            raise ValueError("`num_query_heads` must be divisible by `num_key_value_heads`. "
                             f"Received: num_query_heads={num_query_heads}, "
                             f"num_key_value_heads={num_key_value_heads}")
        self.num_repeats = self.num_query_heads // self.num_key_value_heads
        self.dropout, self.use_bias, self.seed = float(dropout), bool(use_bias), seed
        configure_kernel_bias(self, None, use_bias, kernel_initializer, bias_initializer,
                              kernel_regularizer, bias_regularizer, activity_regularizer,
                              kernel_constraint, bias_constraint)
        self._activity, self.activity_regularizer = self.activity_regularizer, None
        self.query_dense = self.key_dense = self.value_dense = self.output_dense = None

    def _dense(self, equation, output_shape, bias_axes, name, input_shape):
        layer = EinsumDense(equation, output_shape, bias_axes=bias_axes if self.use_bias else None,
                            kernel_initializer=self.kernel_initializer,
                            bias_initializer=self.bias_initializer,
                            kernel_regularizer=self.kernel_regularizer,
                            bias_regularizer=self.bias_regularizer,
                            kernel_constraint=self.kernel_constraint,
                            bias_constraint=self.bias_constraint,
                            activity_regularizer=self._activity, name=name, dtype=self._dtype)
        layer.build(input_shape)
        for w in layer.weights:   # Keras 3 paths: 'grouped_query_attention/query/kernel'
            w._name = f"{self.name}/{w._name}"
        return layer

    def build(self, query_shape, value_shape=None, key_shape=None):
        """Create the projections (Keras 3: `build(query_shape, value_shape, key_shape=None)`)."""
        query_shape = tuple(query_shape)
        value_shape = query_shape if value_shape is None else tuple(value_shape)
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        self.feature_dim = query_shape[-1]
        h, kv = self.head_dim, self.num_key_value_heads
        self.query_dense = self._dense("bqm,muh->bquh", (None, self.num_query_heads, h), "uh",
                                       "query", query_shape)
        self.key_dense = self._dense("bkm,mvh->bkvh", (None, kv, h), "vh", "key", key_shape)
        self.value_dense = self._dense("bkm,mvh->bkvh", (None, kv, h), "vh", "value",
                                       value_shape)
        self._dropout_layer = Dropout(self.dropout, seed=self.seed, dtype=self._dtype)
        self.output_dense = self._dense("bquh,uhm->bqm", (None, self.feature_dim), "m",
                                        "attention_output",
                                        query_shape[:-1] + (self.num_query_heads, h))
        self.built = True

    def __call__(self, query, value=None, key=None, **kwargs):
        if value is None:
            raise TypeError(f"GroupQueryAttention {self.name}: call needs `query` and `value`")
        if self.query_dense is None:
            self.build(static_shape(query), static_shape(value), static_shape(key))
        if key is not None:
            kwargs["key"] = key
        return super().__call__(query, value, **kwargs)

    def call(self, query, value, key=None, query_mask=None, value_mask=None, key_mask=None,
             attention_mask=None, return_attention_scores=False, training=None,
             use_causal_mask=False):
        value = self._convert_inputs(value)
        key = value if key is None else self._convert_inputs(key)
        mask = None   # (batch, T, S): True where query step t may attend to key step s
        if query_mask is not None:
            mask = _s.expand_dims(_m.cast(query_mask, "bool"), -1)
        for m in (value_mask, key_mask):
            if m is not None:
                m = _s.expand_dims(_m.cast(m, "bool"), -2)
                mask = m if mask is None else _m.logical_and(mask, m)
        if attention_mask is not None:
            a = self._convert_inputs(attention_mask)
            a = _m.greater(a, 0.5) if a.dtype.name != "bool" else a
            mask = a if mask is None else _m.logical_and(a, mask)
        q = self.query_dense(query) * (1.0 / math.sqrt(float(self.head_dim)))
        k = _a.repeat(self.key_dense(key), self.num_repeats, axis=2)
        v = _a.repeat(self.value_dense(value), self.num_repeats, axis=2)
        scores = _a.einsum("bquh,bkuh->buqk", q, k)
        if use_causal_mask:
            t, s = static_shape(scores)[-2:]
            if t is None or s is None:
                ones = _m.ones_like(scores, dtype="int32")
                causal = _m.greater_equal(_a.cumsum(ones, axis=-2), _a.cumsum(ones, axis=-1))
            else:
                causal = np.tril(np.ones((t, s), bool))
            mask = causal if mask is None else _m.logical_and(_s.expand_dims(mask, 1), causal)
        elif mask is not None:
            mask = _s.expand_dims(mask, 1)   # over the heads
        if mask is not None:
            scores = _m.where(mask, scores, MASKED_LOGIT)
        probs = _nn.softmax(scores, axis=-1)
        dropped = self._dropout_layer(probs, training=training) if self.dropout > 0 else probs
        out = self.output_dense(_a.einsum("buqk,bkuh->bquh", dropped, v))
        return (out, probs) if return_attention_scores else out

    def compute_output_shape(self, query_shape, value_shape=None, key_shape=None):
        return TensorShape(tuple(query_shape))

    def get_config(self):
        obj = keras_object_config
        return dict(super().get_config(), head_dim=self.head_dim,
                    num_query_heads=self.num_query_heads,
                    num_key_value_heads=self.num_key_value_heads, use_bias=self.use_bias,
                    use_gate=False, sliding_window=None, dropout=self.dropout,
                    kernel_initializer=obj(self.kernel_initializer, "keras.initializers"),
                    bias_initializer=obj(self.bias_initializer, "keras.initializers"),
                    kernel_regularizer=obj(self.kernel_regularizer, "keras.regularizers"),
                    bias_regularizer=obj(self.bias_regularizer, "keras.regularizers"),
                    activity_regularizer=obj(self._activity, "keras.regularizers"),
                    kernel_constraint=obj(self.kernel_constraint, "keras.constraints"),
                    bias_constraint=obj(self.bias_constraint, "keras.constraints"),
                    seed=self.seed)
