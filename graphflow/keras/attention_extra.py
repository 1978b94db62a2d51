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

from ..ops import array_ops as _a, math_ops as _m, nn_ops as _nn, shape_ops as _s
from ..tensor import TensorShape
from .attention import MultiHeadAttention
from .layers import Dropout, keras_object_config, unique_name

#: the large negative logit Keras puts at masked attention positions
MASKED_LOGIT = -1e9


class GroupQueryAttention(MultiHeadAttention):
    """Grouped-query attention (Keras 3): projections query `bqm,muh->bquh`, key / value
    `bkm,mvh->bkvh`, scores `bquh,bkuh->buqk` of the query scaled by 1/sqrt(head_dim) with the
    key / value heads repeated, softmax over the key steps, output `bquh,uhm->bqm` back to the
    query's feature size. Masks as MultiHeadAttention (query/value/key masks, attention_mask,
    use_causal_mask), whose projection and call plumbing it shares.

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
        super().__init__(num_query_heads, head_dim, dropout=dropout, use_bias=use_bias,
                         kernel_initializer=kernel_initializer,
                         bias_initializer=bias_initializer,
                         kernel_regularizer=kernel_regularizer,
                         bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         kernel_constraint=kernel_constraint, bias_constraint=bias_constraint,
                         seed=seed, **kwargs)
        self.head_dim, self.num_query_heads = int(head_dim), int(num_query_heads)
        self.num_key_value_heads = int(num_key_value_heads)
        if self.num_query_heads % self.num_key_value_heads:
            raise ValueError("`num_query_heads` must be divisible by `num_key_value_heads`. "
                             f"Received: num_query_heads={num_query_heads}, "
                             f"num_key_value_heads={num_key_value_heads}")
        self.num_repeats = self.num_query_heads // self.num_key_value_heads

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
        self._dropout_layer = Dropout(self.dropout, seed=self.seed, dtype=self.dtype_policy)
        self.output_dense = self._dense("bquh,uhm->bqm", (None, self.feature_dim), "m",
                                        "attention_output",
                                        query_shape[:-1] + (self.num_query_heads, h))
        self._build_shapes = {"query_shape": query_shape, "value_shape": value_shape}
        if key_shape is not value_shape:
            self._build_shapes["key_shape"] = key_shape
        self.built = True

    def call(self, query, value, key=None, query_mask=None, value_mask=None, key_mask=None,
             attention_mask=None, return_attention_scores=False, training=None,
             use_causal_mask=False):
        value = self._convert_inputs(value)
        key = value if key is None else self._convert_inputs(key)
        mask = self._combined_mask(query_mask, value_mask, key_mask, attention_mask)
        if mask is not None:
            mask = _s.expand_dims(mask, 1)   # over the heads
        q = self.query_dense(query) * (1.0 / math.sqrt(float(self.head_dim)))
        k = _a.repeat(self.key_dense(key), self.num_repeats, axis=2)
        v = _a.repeat(self.value_dense(value), self.num_repeats, axis=2)
        scores = _a.einsum("bquh,bkuh->buqk", q, k)
        if use_causal_mask:
            causal = self._causal_mask(scores)
            mask = causal if mask is None else _m.logical_and(mask, causal)
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
        cfg = {k: v for k, v in super().get_config().items()
               if k not in ("num_heads", "key_dim", "value_dim", "output_shape",
                            "attention_axes")}
        return dict(cfg, head_dim=self.head_dim, num_query_heads=self.num_query_heads,
                    num_key_value_heads=self.num_key_value_heads,
                    kernel_constraint=obj(self.kernel_constraint, "keras.constraints"),
                    bias_constraint=obj(self.bias_constraint, "keras.constraints"))
