"""The train steps of the benchmark workloads, written once against the TF API.

`tf` is a parameter: graphflow for tools/bench.py, TensorFlow for tools/bench_peers.py, so the
graphflow step and TF's peer step are the same code (graphflow's yardstick: TF code runs
unchanged with `import graphflow as tf`). This module imports neither.
"""


def _sgd_step(tf, params, lr, loss_fn):
    """@tf.function step(x, y) -> loss: the gradient of `loss_fn(x, y)` and one SGD update."""
    @tf.function
    def step(x, y):
        with tf.GradientTape() as tape:
            loss = loss_fn(x, y)
        grads = tape.gradient(loss, params)
        for p, g in zip(params, grads):
            p.assign_sub(lr * g)
        return loss
    return step


def make_mlp_step(tf, ws, bs, lr=0.1):
    """(variables, step): one SGD step of the ReLU MLP with weights `ws`, biases `bs`
    (sparse softmax cross-entropy)."""
    params = []
    for w, b in zip(ws, bs):
        params += [tf.Variable(w), tf.Variable(b)]

    def loss(x, y):
        h = x
        for i in range(0, len(params), 2):
            h = tf.matmul(h, params[i]) + params[i + 1]
            if i < len(params) - 2:
                h = tf.nn.relu(h)
        return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=h))
    return params, _sgd_step(tf, params, lr, loss)


def make_conv_step(tf, ws, lr=0.01):
    """(variables, step): one SGD step of Conv32-Pool-Conv64-Pool-Dense10 (sparse softmax
    cross-entropy), written with tf.nn ops."""
    params = [tf.Variable(w) for w in ws]

    def loss(x, y):
        w1, b1, w2, b2, w3, b3 = params
        h = tf.nn.relu(tf.nn.conv2d(x, w1, 1, "VALID") + b1)
        h = tf.nn.max_pool2d(h, 2, 2, "VALID")
        h = tf.nn.relu(tf.nn.conv2d(h, w2, 1, "VALID") + b2)
        h = tf.nn.max_pool2d(h, 2, 2, "VALID")
        logits = tf.matmul(tf.reshape(h, (h.shape[0], -1)), w3) + b3
        return tf.reduce_mean(
            tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
    return params, _sgd_step(tf, params, lr, loss)


def make_lstm_step(tf, k, rk, bias, features, lr=0.01):
    """(variables, step): a Keras LSTM with these weights and one SGD step on
    mean((h_T - y)^2)."""
    layer = tf.keras.layers.LSTM(k.shape[1] // 4)
    layer(tf.zeros((1, 1, features)))
    layer.set_weights([k, rk, bias])
    params = layer.trainable_variables
    return params, _sgd_step(tf, params, lr, lambda x, y: tf.reduce_mean((layer(x) - y) ** 2))
