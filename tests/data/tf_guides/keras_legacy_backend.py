import numpy as np, sys
"""`tf.keras.backend`'s legacy Keras 2 functions (`K.*`), one call each; the printed values are
TF 2.21's (keras_legacy_backend.tf_output.txt)."""
import tensorflow as tf
K = tf.keras.backend
rng = np.random.default_rng(0)
x = rng.normal(size=(2, 3, 4)).astype("f4"); y = rng.normal(size=(2, 4, 5)).astype("f4")
p = np.abs(rng.normal(size=(2, 3))).astype("f4"); p = p / p.sum(-1, keepdims=True)
t = np.eye(3, dtype="f4")[[0, 2]]
img = rng.normal(size=(1, 5, 5, 2)).astype("f4"); ker = rng.normal(size=(3, 3, 2, 4)).astype("f4")
def out(name, v):
    if isinstance(v, (list, tuple)): v = [np.asarray(K.eval(u) if hasattr(u, "numpy") else u) for u in v]
    else: v = np.asarray(K.eval(v)) if hasattr(v, "numpy") else v
    if isinstance(v, list):
        print(name, [np.round(u.astype("f8"), 4).tolist() for u in v])
    elif isinstance(v, np.ndarray):
        print(name, v.dtype if v.dtype.kind != "f" else "", np.round(v.astype("f8"), 4).tolist())
    else:
        print(name, v)
X = K.constant(x); Y = K.constant(y)
cases = {
 "int_shape": lambda: K.int_shape(X), "ndim": lambda: K.ndim(X), "dtype": lambda: K.dtype(X),
 "mean": lambda: K.mean(X, axis=1), "sum_k": lambda: K.sum(X, axis=-1, keepdims=True), "max": lambda: K.max(X),
 "min": lambda: K.min(X, 0), "prod": lambda: K.prod(X, 2), "var": lambda: K.var(X, 1), "std": lambda: K.std(X),
 "all": lambda: K.all(X > 0, 1), "any": lambda: K.any(X, 1), "argmax": lambda: K.argmax(X), "argmin": lambda: K.argmin(X, 1),
 "cumsum": lambda: K.cumsum(X, 1), "cumprod": lambda: K.cumprod(X), "square_sqrt": lambda: K.sqrt(K.square(X)),
 "clip": lambda: K.clip(X, -0.5, 0.5), "clip_inv": lambda: K.clip(X, 0.5, -0.5), "pow": lambda: K.pow(X, 2),
 "switch": lambda: K.switch(X > 0, X, -X), "switch_scalar": lambda: K.switch(K.constant(True), lambda: X, lambda: -X),
 "relu": lambda: K.relu(X, alpha=0.1, max_value=0.5), "relu_th": lambda: K.relu(X, threshold=0.3),
 "elu": lambda: K.elu(X, 0.5), "hard_sigmoid": lambda: K.hard_sigmoid(X), "softmax": lambda: K.softmax(X),
 "l2n": lambda: K.l2_normalize(X, axis=-1), "bce": lambda: K.binary_crossentropy(K.constant(p > 0.3, "float32"), K.constant(p)),
 "bce_logits": lambda: K.binary_crossentropy(K.constant(p > 0.3, "float32"), X[0], from_logits=True) if False else K.binary_crossentropy(K.constant([1., 0., 1.]), K.constant([0.2, -0.3, 2.]), from_logits=True),
 "cce": lambda: K.categorical_crossentropy(K.constant(t), K.constant(p)), "cce_logits": lambda: K.categorical_crossentropy(K.constant(t), K.constant(p), from_logits=True),
 "scce": lambda: K.sparse_categorical_crossentropy(K.constant([0, 2], "int32"), K.constant(p)),
 "bfce": lambda: K.binary_focal_crossentropy(K.constant([1., 0.]), K.constant([0.7, 0.2])),
 "cfce": lambda: K.categorical_focal_crossentropy(K.constant(t), K.constant(p)),
 "concat": lambda: K.concatenate([X, X]), "reshape": lambda: K.reshape(X, (6, 4)), "permute": lambda: K.int_shape(K.permute_dimensions(X, (2, 0, 1))),
 "transpose": lambda: K.int_shape(K.transpose(X)), "expand": lambda: K.int_shape(K.expand_dims(X)), "squeeze": lambda: K.int_shape(K.squeeze(K.expand_dims(X, 1), 1)),
 "stack": lambda: K.int_shape(K.stack([X, X], 1)), "flatten": lambda: K.int_shape(K.flatten(X)), "batch_flatten": lambda: K.int_shape(K.batch_flatten(X)),
 "tile": lambda: K.int_shape(K.tile(X, (1, 2, 3))), "repeat": lambda: K.repeat(K.constant(p), 2), "repeat_el": lambda: K.repeat_elements(K.constant(p), 2, 1),
 "reverse": lambda: K.reverse(K.constant(p), 1), "gather": lambda: K.gather(K.constant(p), [1, 0]), "one_hot": lambda: K.one_hot(K.constant([0, 2], "int32"), 3),
 "dot2": lambda: K.dot(K.constant(p), K.constant(p.T)), "dot3": lambda: K.dot(X, K.constant(y[0])), "dot32": lambda: K.int_shape(K.dot(X, K.constant(np.ones((2, 4, 7), "f4")))),
 "batch_dot": lambda: K.batch_dot(X, Y), "batch_dot_ax": lambda: K.batch_dot(X, K.constant(x), axes=(2, 2)), "batch_dot_2d": lambda: K.batch_dot(K.constant(p), K.constant(p), axes=1),
 "batch_dot_1": lambda: K.int_shape(K.batch_dot(K.constant(np.ones((4, 3, 2), "f4")), K.constant(np.ones((4, 3, 5), "f4")), axes=1)),
 "bias_add": lambda: K.bias_add(X, K.constant([1., 2., 3., 4.])), "temporal_pad": lambda: K.int_shape(K.temporal_padding(X, (1, 2))),
 "sp2pad": lambda: K.int_shape(K.spatial_2d_padding(K.constant(img))), "resize_img": lambda: K.resize_images(K.constant(img), 2, 2, "channels_last")[0, :2, :2, 0],
 "resize_vol": lambda: K.int_shape(K.resize_volumes(K.constant(np.ones((1, 2, 2, 2, 1), "f4")), 2, 1, 3, "channels_last")),
 "conv2d": lambda: K.conv2d(K.constant(img), K.constant(ker)), "conv2d_same_s2": lambda: K.conv2d(K.constant(img), K.constant(ker), strides=(2, 2), padding="same"),
 "conv1d_causal": lambda: K.conv1d(K.constant(x[:, :, :2]), K.constant(ker[0, :, :, :]), padding="causal"),
 "pool2d": lambda: K.pool2d(K.constant(img), (2, 2), strides=(2, 2)), "pool2d_avg": lambda: K.pool2d(K.constant(img), (2, 2), padding="same", pool_mode="avg"),
 "depthwise": lambda: K.depthwise_conv2d(K.constant(img), K.constant(ker[:, :, :, :1].reshape(3, 3, 2, 1))),
 "in_top_k": lambda: K.in_top_k(K.constant(p), K.constant([2, 1], "int32"), 1),
 "arange": lambda: K.arange(2, 8, 2), "arange_neg": lambda: K.arange(-3), "eye": lambda: K.eye(2), "zeros": lambda: K.zeros((2,)), "ones_like": lambda: K.ones_like(X)[0, 0],
 "cast_floatx": lambda: K.cast_to_floatx([1, 2]).dtype, "count_params": lambda: K.count_params(X), "shape": lambda: K.shape(X),
 "map_fn": lambda: K.map_fn(lambda r: r * 2, K.constant(p)), "foldl": lambda: K.foldl(lambda a, r: a + r, K.constant(p)), "foldr": lambda: K.foldr(lambda a, r: a * 2 + r, K.constant(p)),
 "rnn": lambda: K.rnn(lambda xt, st: (xt + st[0], [xt + st[0]]), X, [K.zeros((2, 4))])[1],
 "rnn_back": lambda: K.rnn(lambda xt, st: (xt + st[0], [xt + st[0]]), X, [K.zeros((2, 4))], go_backwards=True)[0],
 "rnn_mask": lambda: K.rnn(lambda xt, st: (xt + st[0], [xt + st[0]]), X, [K.zeros((2, 4))], mask=tf.constant([[True, True, False], [True, False, False]]))[1],
 "ctc_cost": lambda: K.ctc_batch_cost(K.constant([[1, 2], [1, 1]], "int32"), K.softmax(K.constant(rng.normal(size=(2, 5, 4)).astype("f4"))), K.constant([[5], [4]], "int32"), K.constant([[2], [2]], "int32")),
 "batchnorm": lambda: K.batch_normalization(X, K.constant(0.1), K.constant(2.0), K.constant(0.5), K.constant(1.5)),
 "var_update": lambda: (lambda v: (K.update_add(v, 2.0), K.get_value(v))[1])(K.variable(1.0)),
 "moving_avg": lambda: (lambda v: (K.moving_average_update(v, 3.0, 0.9), K.get_value(v))[1])(K.variable(1.0)),
 "random_shape": lambda: K.int_shape(K.random_normal((2, 3))), "bern": lambda: K.int_shape(K.random_bernoulli((4,), 0.5)),
}
for k, f in cases.items():
    try:
        out(k, f())
    except Exception as e:
        print(k, "ERR", type(e).__name__, str(e)[:100].replace("\n", " "))
