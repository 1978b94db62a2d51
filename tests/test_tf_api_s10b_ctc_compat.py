"""CTC loss against TF 2.21 (dense and SparseTensor labels, eager and traced, tf.nn and
tf.compat.v1.nn), the captcha-OCR pattern (a Keras layer that turns padded labels into a
SparseTensor with v1 scan / boolean_mask / gather_nd and adds the v1 CTC loss) in a traced fit,
and the tf.compat.v1 names. Reference numbers: printed by TF 2.21 / Keras 3.15 on the same
inputs (logits = numpy default_rng(3).normal((7, 3, 5)))."""
import numpy as np
import pytest

import graphflow as tf
from graphflow import keras
from graphflow.keras import layers, ops

T, B, C = 7, 3, 5
LABELS = np.array([[1, 2, 2, 0], [3, 1, 0, 0], [2, 2, 2, 1]], "int32")   # padded past LAB_LEN
LAB_LEN = np.array([3, 2, 4], "int32")
LOG_LEN = np.array([7, 5, 7], "int32")
# TF 2.21: tf.nn.ctc_loss(LABELS + 1, logits, LAB_LEN, LOG_LEN, blank_index=0)
TF_DENSE_BLANK0 = [7.3753814697265625, 2.8637218475341797, 9.423759460449219]
# ... its gradient: sum(grad * default_rng(7).normal(grad.shape)) and sum(|grad|)
TF_GRAD_PROJ, TF_GRAD_ABS = -2.2088315473072826, 19.54412514017895
# TF 2.21: blank_index=-1 (dense labels), SparseTensor labels, tf.compat.v1.nn.ctc_loss
TF_BLANK_LAST = [10.678977966308594, 6.011364936828613, 9.773029327392578]
# TF 2.21: v1 ctc_loss in a tf.function ([None, None] labels), every logit length 7
TF_V1_TRACED_FULL = [10.678977966308594, 8.625099182128906, 9.773028373718262]


def _logits():
    return np.random.default_rng(3).normal(size=(T, B, C)).astype("float32")


def _sparse_labels():
    idx = [[b, k] for b in range(B) for k in range(LAB_LEN[b])]
    return tf.SparseTensor(idx, tf.constant([int(LABELS[b, k]) for b, k in idx]), [B, 4])


def test_dense_ctc_loss_and_gradient_match_tf():
    x = tf.constant(_logits())
    with tf.GradientTape() as g:
        g.watch(x)
        loss = tf.nn.ctc_loss(LABELS + 1, x, LAB_LEN, LOG_LEN, blank_index=0)
    np.testing.assert_allclose(loss.numpy(), TF_DENSE_BLANK0, rtol=1e-5)
    grad = g.gradient(loss, x).numpy()
    w = np.random.default_rng(7).normal(size=grad.shape)
    np.testing.assert_allclose([(grad * w).sum(), np.abs(grad).sum()],
                               [TF_GRAD_PROJ, TF_GRAD_ABS], rtol=1e-4)
    np.testing.assert_allclose(tf.nn.ctc_loss(LABELS, x, LAB_LEN, LOG_LEN, blank_index=-1),
                               TF_BLANK_LAST, rtol=1e-5)
    # keras.ops.ctc_loss: batch-major, mask_index the blank (Keras 3.15 printed the same)
    np.testing.assert_allclose(ops.ctc_loss(LABELS + 1, np.transpose(_logits(), (1, 0, 2)),
                                            LAB_LEN, LOG_LEN, mask_index=0), TF_DENSE_BLANK0,
                               rtol=1e-5)


def test_sparse_labels_eager_and_traced_match_tf():
    x = tf.constant(_logits())
    sp = _sparse_labels()
    np.testing.assert_allclose(tf.nn.ctc_loss(sp, x, None, LOG_LEN, blank_index=-1),
                               TF_BLANK_LAST, rtol=1e-5)
    np.testing.assert_allclose(tf.compat.v1.nn.ctc_loss(sp, x, LOG_LEN), TF_BLANK_LAST,
                               rtol=1e-5)

    @tf.function(input_signature=[tf.TensorSpec([None, None], tf.int32),
                                  tf.TensorSpec([T, None, C], tf.float32)])
    def traced(lab, x):   # batch and max label length known only when it runs
        idx = tf.where(lab >= 0)
        sp = tf.SparseTensor(idx, tf.gather_nd(lab, idx), tf.shape(lab, out_type=tf.int64))
        return tf.compat.v1.nn.ctc_loss(sp, x, tf.fill([tf.shape(x)[1]], T))

    padded = np.where(np.arange(4) < LAB_LEN[:, None], LABELS, -1)
    np.testing.assert_allclose(traced(tf.constant(padded), x), TF_V1_TRACED_FULL, rtol=1e-5)


def test_v1_ctc_loss_errors_name_the_op():
    with pytest.raises(TypeError, match="compat.v1.nn.ctc_loss: labels must be a SparseTensor"):
        tf.compat.v1.nn.ctc_loss(tf.constant(LABELS), tf.constant(_logits()), LOG_LEN)
    with pytest.raises(NotImplementedError, match="ctc_merge_repeated=False"):
        tf.compat.v1.nn.ctc_loss(_sparse_labels(), tf.constant(_logits()), LOG_LEN,
                                 ctc_merge_repeated=False)
    with pytest.raises(TypeError, match="Input must be a SparseTensor"):   # as TF
        tf.sparse.to_dense(tf.constant([[1, -1]]), default_value=-1)


def _to_sparse(labels, lengths):
    """Padded labels (batch, max_len) -> SparseTensor of the first lengths[b] of each row,
    the way the keras.io captcha example builds it (v1 scan over the lengths, boolean_mask,
    gather_nd, a dense shape from ops.shape)."""
    shape = ops.shape(labels)
    init = ops.cast(tf.fill([1, shape[1]], 0), dtype="bool")
    mask = tf.compat.v1.scan(lambda prev, n: ops.expand_dims(ops.arange(shape[1]), 0)
                             < tf.fill(ops.stack([shape[1]]), n),
                             lengths, initializer=init, parallel_iterations=1)[:, 0, :]
    cols = ops.reshape(ops.tile(ops.arange(0, shape[1]), ops.stack([shape[0]])), shape)
    rows = ops.transpose(ops.reshape(ops.tile(ops.arange(0, shape[0]), ops.stack([shape[1]])),
                                     tf.reverse(shape, [0])))
    idx = ops.transpose(ops.reshape(ops.concatenate(
        [tf.compat.v1.boolean_mask(rows, mask), tf.compat.v1.boolean_mask(cols, mask)], 0),
        [2, -1]))
    return tf.SparseTensor(ops.cast(idx, "int64"), tf.compat.v1.gather_nd(labels, idx),
                           ops.cast(shape, "int64"))


class _CTCEndpoint(layers.Layer):
    def call(self, y_true, y_pred):
        n = ops.shape(y_true)[0]
        lab_len = ops.cast(ops.shape(y_true)[1], "int32") * ops.ones((n,), "int32")
        seq_len = ops.cast(ops.shape(y_pred)[1], "int32") * ops.ones((n,), "int32")
        sparse = ops.cast(_to_sparse(y_true, lab_len), "int32")
        logp = ops.log(ops.transpose(y_pred, axes=[1, 0, 2]) + keras.backend.epsilon())
        self.add_loss(ops.expand_dims(tf.compat.v1.nn.ctc_loss(
            inputs=logp, labels=sparse, sequence_length=seq_len), 1))
        return y_pred


def test_captcha_pattern_trains_in_a_traced_fit():
    rng = np.random.default_rng(0)
    n, width, chars = 32, 24, 3
    labels = rng.integers(1, 5, (n, chars))
    images = rng.normal(0, 0.1, (n, width, 6, 1)).astype("float32")
    for i in range(n):   # character c drawn as a bar at height c in its third of the width
        for k, c in enumerate(labels[i]):
            images[i, 8 * k + 2:8 * k + 6, c, 0] += 1.0
    img = keras.Input((width, 6, 1), name="image")
    lab = keras.Input((None,), name="label", dtype="float32")
    x = layers.Reshape((width, 6))(img)
    x = layers.Dense(16, activation="relu")(x)
    x = layers.Dense(6, activation="softmax")(x)   # classes 1..4, 0 unused, blank last (5)
    model = keras.Model([img, lab], _CTCEndpoint()(lab, x))
    model.compile(optimizer=keras.optimizers.Adam(0.05))
    ds = tf.data.Dataset.from_tensor_slices(
        {"image": images, "label": labels.astype("float32")}).batch(8)
    hist = model.fit(ds, epochs=4, verbose=0).history["loss"]
    assert hist[-1] < 0.6 * hist[0], hist
    # the loss fit reports is the v1 CTC loss of the model's outputs (eager reference)
    probs = model.predict([images[:8], labels[:8].astype("float32")], verbose=0)
    idx = [[b, k] for b in range(8) for k in range(chars)]
    sp = tf.SparseTensor(idx, tf.constant([int(labels[b, k]) for b, k in idx]), [8, chars])
    ref = tf.compat.v1.nn.ctc_loss(sp, np.log(np.transpose(probs, (1, 0, 2)) + 1e-7),
                                   [width] * 8).numpy()
    np.testing.assert_allclose(model.evaluate([images[:8], labels[:8].astype("float32")],
                                              verbose=0), ref.mean(), rtol=1e-4)


def test_scan_and_foldl_over_a_run_time_length():
    @tf.function(input_signature=[tf.TensorSpec([None], tf.int32)])
    def f(x):
        return (tf.scan(lambda a, v: a + v, x), tf.foldl(lambda a, v: a * v, x),
                tf.scan(lambda a, v: a + v, x, reverse=True),
                tf.compat.v1.scan(lambda a, v: (a[0] + v, a[1] * tf.cast(v, tf.float32)), x,
                                  initializer=(tf.constant(0), tf.constant(1.0))))
    s, p, r, (c0, c1) = f(tf.constant([1, 2, 3, 4]))
    assert s.numpy().tolist() == [1, 3, 6, 10] and int(p) == 24
    assert r.numpy().tolist() == [10, 9, 7, 4]
    assert c0.numpy().tolist() == [1, 3, 6, 10] and c1.numpy().tolist() == [1, 2, 6, 24]


def test_compat_v1_names():
    v1 = tf.compat.v1
    # TF 2.21 printed: [[3]] [1, 0] float32 True
    assert v1.reduce_sum([[1, 2]], reduction_indices=1, keep_dims=True).numpy().tolist() == [[3]]
    assert v1.argmax([[1, 3], [4, 2]], dimension=1).numpy().tolist() == [1, 0]
    assert v1.to_float([1]).dtype == tf.float32 and v1.executing_eagerly()
    assert v1.scan is tf.scan and v1.boolean_mask is tf.boolean_mask
    assert v1.random_normal is tf.random.normal and v1.set_random_seed is tf.random.set_seed
    v1.enable_eager_execution()   # already eager: nothing to do
    for name, hint in [("disable_eager_execution", "tf.function"), ("placeholder", "keras.Input"),
                       ("Session", "tf.function"), ("get_variable", "tf.Variable")]:
        with pytest.raises(NotImplementedError, match=f"tf.compat.v1.{name}: .*{hint}"):
            getattr(v1, name)()
    with pytest.raises(NotImplementedError, match="tf.train.Checkpoint"):
        v1.train.Saver()


def test_compat_v1_where_and_behaviour_switches():
    v1 = tf.compat.v1
    # TF 2.21 printed [[1, 2], [0, 0]]: a 1-D condition picks rows in v1
    assert v1.where([True, False], [[1, 2], [3, 4]], [[0, 0], [0, 0]]).numpy().tolist() == \
        [[1, 2], [0, 0]]
    assert v1.where([[True, False]]).numpy().tolist() == [[0, 0]]
    for b in ("v2_behavior", "v2_tensorshape", "control_flow_v2", "resource_variables",
              "tensor_equality"):
        getattr(v1, "enable_" + b)()   # TF2 behaviour is the only one: nothing to switch
        with pytest.raises(NotImplementedError, match=f"tf.compat.v1.disable_{b}"):
            getattr(v1, "disable_" + b)()


def test_cast_of_a_sparse_tensor_casts_its_values():
    sp = tf.SparseTensor([[0, 1], [1, 2]], [2.5, -1.5], [2, 3])
    for out in (tf.cast(sp, tf.int32), ops.cast(sp, "int32")):
        assert isinstance(out, tf.SparseTensor) and out.dtype == tf.int32
        assert out.values.numpy().tolist() == [2, -1]   # truncation toward zero, as TF
        assert tf.sparse.to_dense(out).numpy().tolist() == [[0, 2, 0], [0, 0, -1]]


def test_compat_v1_removed_graph_apis_name_the_tf2_way():
    v1 = tf.compat.v1
    cases = [(lambda: v1.train.GradientDescentOptimizer(0.1), "keras.optimizers.SGD"),
             (lambda: v1.train.AdamOptimizer(), "keras.optimizers.Adam"),
             (lambda: v1.layers.conv2d, "keras.layers.Conv2D"),
             (lambda: v1.layers.dense, "keras.layers.Dense"),
             (lambda: v1.global_variables(), "tf.Module.variables"),
             (lambda: v1.Saver(), "tf.train.Checkpoint"),
             (lambda: v1.train.get_or_create_global_step(), "iterations")]
    for call, hint in cases:
        with pytest.raises(NotImplementedError, match=hint):
            call()
    assert not hasattr(v1.layers, "_private")   # probes are plain misses
