"""Trace a training step with @tf.function and write its graphs (traced with adjoint nodes,
optimized, fused) to an HTML page you can open in any browser; then pages for the linear
classifier's step (examples/linear_classifier.py), a Keras model's train step, a second-order
gradient and a Keras LSTM's train step (its time loop is one while_loop box: click it to see
the cell), next to the first page.

    python examples/visualize_graph.py [out.html]
"""
import os
import runpy
import sys

import numpy as np

import graphflow as tf
from graphflow.viz import render, save_html

HERE = os.path.dirname(os.path.abspath(__file__))


@tf.function
def training_step(inputs, targets, W, b):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(targets - (tf.matmul(inputs, W) + b)))
    gW, gb = tape.gradient(loss, [W, b])
    W.assign_sub(gW * 0.1)
    b.assign_sub(gb * 0.1)
    return loss


def main(path="out/training_step_graph.html"):
    rng = np.random.default_rng(0)
    x = tf.constant(rng.normal(size=(64, 2)).astype("float32"))
    y = tf.constant(rng.normal(size=(64, 1)).astype("float32"))
    W = tf.Variable(tf.random.uniform((2, 1)))
    b = tf.Variable(tf.zeros((1,)))
    training_step(x, y, W, b)
    cf = training_step.get_concrete_function(x, y, W, b)
    print(cf.pretty())
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    save_html(path, cf, "training_step: traced, differentiated, optimized, fused")
    render(cf, path=path.replace(".html", ".svg"), format="svg")
    print(f"\nwrote {path} (and an .svg of its default view): {cf.traced.nx.number_of_nodes()} traced nodes -> "
          f"{cf.optimized.nx.number_of_nodes()} after the passes")
    out_dir = os.path.dirname(path) or "."
    for name, (title, page_cf) in more_pages().items():
        p = save_html(os.path.join(out_dir, f"{name}_graph.html"), page_cf, title)
        print(f"wrote {p}: {page_cf.traced.nx.number_of_nodes()} traced nodes -> "
              f"{page_cf.optimized.nx.number_of_nodes()} after the passes")


def more_pages():
    """{name: (title, ConcreteFunction)}: the other examples' graphs (traced only, cheap)."""
    pages = {}
    # the linear classifier's training step (the example runs it eagerly; traced here)
    lin = runpy.run_path(os.path.join(HERE, "linear_classifier.py"))
    step = tf.function(lin["training_step"])
    pages["linear_classifier"] = ("linear classifier: training step", step.get_concrete_function(
        tf.constant(lin["inputs"]), tf.constant(lin["targets"])))

    # a Keras model's train step (what fit traces: forward, loss, metrics, gradients, Adam)
    rng = np.random.default_rng(0)
    tf.keras.utils.set_random_seed(0)
    x = rng.normal(size=(64, 16)).astype("float32")
    y = rng.integers(0, 4, 64).astype("int32")
    mlp = tf.keras.Sequential([tf.keras.Input((16,)), tf.keras.layers.Dense(32, activation="relu"),
                               tf.keras.layers.Dropout(0.2),
                               tf.keras.layers.Dense(4, activation="softmax")], name="mlp")
    mlp.compile(tf.keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy",
                metrics=["accuracy"], jit_compile=False)
    mlp.fit(x, y, batch_size=32, epochs=1, verbose=0)
    pages["keras_mlp"] = ("Keras MLP: train step (fit)",
                          list(mlp.train_function._cache.values())[0])

    # a second-order gradient: the gradient of |grad f|^2 (adjoints of adjoints)
    @tf.function(jit_compile=False)
    def second_order(x):
        with tf.GradientTape() as outer:
            outer.watch(x)
            with tf.GradientTape() as inner:
                inner.watch(x)
                with tf.name_scope("f"):
                    f = tf.reduce_sum(tf.sin(x) * x)
            g = inner.gradient(f, x)
            with tf.name_scope("grad_norm"):
                s = tf.reduce_sum(g * g)
        return outer.gradient(s, x)
    pages["second_order"] = ("second-order gradient: d/dx |df/dx|^2",
                             second_order.get_concrete_function(tf.ones(4)))

    # a Keras LSTM's train step: the time loop and its reverse loop are while_loop boxes
    xs = rng.normal(size=(16, 6, 3)).astype("float32")
    ys = rng.normal(size=(16, 1)).astype("float32")
    rnn = tf.keras.Sequential([tf.keras.Input((6, 3)), tf.keras.layers.LSTM(8),
                               tf.keras.layers.Dense(1)], name="rnn")
    rnn.compile("sgd", "mse", jit_compile=False)
    rnn.fit(xs, ys, batch_size=16, epochs=1, verbose=0)
    pages["lstm"] = ("Keras LSTM: train step (the time loop is one while_loop)",
                     list(rnn.train_function._cache.values())[0])
    return pages


if __name__ == "__main__":
    main(*sys.argv[1:])
