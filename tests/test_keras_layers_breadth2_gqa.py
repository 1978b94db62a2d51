"""GroupQueryAttention (keras/attention_extra.py) against Keras 3.15 numbers produced offline
(JAX backend, hard-coded here) with the same deterministic weights."""
import numpy as np

import graphflow as tf

KERAS_OUT = [[[-0.25273, -0.23614, 0.06945, 0.08338, 0.00884],
              [-0.16801, -0.26473, 0.08757, 0.04589, -0.02004],
              [-0.27215, -0.22976, 0.02825, 0.03123, 0.05909]],
             [[-0.13238, -0.24541, 0.01782, -0.21861, 0.16424],
              [-0.11504, -0.26363, 0.13988, -0.1906, 0.1497],
              [-0.0911, -0.25742, 0.10054, -0.2255, 0.17301]]]
KERAS_MASKED = [[[-0.38515, -0.17584, 0.07125, 0.12644, -0.09052],
                 [-0.32869, -0.19906, 0.11172, 0.10484, -0.11905],
                 [-0.38269, -0.17656, 0.03937, 0.09025, -0.0664]],
                [[-0.25793, -0.14103, -0.12495, -0.17726, 0.12725],
                 [-0.2067, -0.10264, 0.00661, -0.18694, 0.08941],
                 [-0.1991, -0.11724, -0.05753, -0.2298, 0.11094]]]
KERAS_SCORES = [[0.29453, 0.27335, 0.43212, 0.0], [0.36273, 0.32858, 0.30869, 0.0],
                [0.3488, 0.29161, 0.35959, 0.0], [0.32603, 0.34162, 0.33234, 0.0]]
KERAS_CAUSAL = [[[-0.40608, -0.13229, -0.07221, 0.04779, -0.01496],
                 [-0.4075, -0.07844, -0.04215, 0.10125, -0.17731],
                 [-0.38269, -0.17656, 0.03937, 0.09025, -0.0664]],
                [[-0.26217, -0.09546, -0.31273, 0.09052, 0.15456],
                 [-0.2067, -0.10264, 0.00661, -0.18694, 0.08941],
                 [-0.08384, -0.24729, 0.01199, -0.20063, 0.21889]]]


def _layer():
    rng = np.random.default_rng(0)
    q = rng.normal(size=(2, 3, 5)).astype("float32")
    v = rng.normal(size=(2, 4, 6)).astype("float32")
    g = tf.keras.layers.GroupQueryAttention(head_dim=2, num_query_heads=4, num_key_value_heads=2)
    g(q, v)
    g.set_weights([(np.arange(np.prod(w.shape)) % 7 / 10 - 0.3).reshape(tuple(w.shape))
                   .astype("float32") for w in g.weights])
    return g, q, v


def test_gqa_matches_keras_with_masks():
    g, q, v = _layer()
    assert [tuple(w.shape) for w in g.weights] == [(5, 4, 2), (4, 2), (6, 2, 2), (2, 2),
                                                   (6, 2, 2), (2, 2), (4, 2, 5), (5,)]
    assert g.weights[0].path.startswith("grouped_query_attention")
    assert g.weights[0].path.endswith("/query/kernel")
    np.testing.assert_allclose(g(q, v).numpy(), KERAS_OUT, atol=2e-5)
    mask = np.array([[1, 1, 1, 0], [1, 1, 0, 0]], bool)
    out, scores = g(q, v, value_mask=mask, return_attention_scores=True)
    np.testing.assert_allclose(out.numpy(), KERAS_MASKED, atol=2e-5)
    np.testing.assert_allclose(scores.numpy()[0, :, 0], KERAS_SCORES, atol=2e-5)
    np.testing.assert_allclose(g(q, v[:, :3], use_causal_mask=True).numpy(), KERAS_CAUSAL,
                               atol=2e-5)


def test_gqa_config_params_and_gradient():
    g, q, v = _layer()
    assert g.count_params() == 40 + 8 + 24 + 4 + 24 + 4 + 40 + 5
    cfg = g.get_config()
    assert (cfg["head_dim"], cfg["num_query_heads"], cfg["num_key_value_heads"]) == (2, 4, 2)
    h = tf.keras.layers.GroupQueryAttention.from_config(cfg)
    assert h.num_repeats == 2 and tuple(h.compute_output_shape((None, 3, 5))) == (None, 3, 5)
    qt = tf.constant(q)
    with tf.GradientTape() as tape:
        tape.watch(qt)
        y = tf.reduce_sum(g(qt, v) ** 2)
    grad = tape.gradient(y, qt).numpy()
    eps, i = 1e-2, (1, 2, 3)
    qp, qm = q.copy(), q.copy()
    qp[i] += eps
    qm[i] -= eps
    fd = (float(tf.reduce_sum(g(qp, v) ** 2)) - float(tf.reduce_sum(g(qm, v) ** 2))) / (2 * eps)
    np.testing.assert_allclose(grad[i], fd, rtol=2e-2, atol=1e-4)
