"""Trace a training step with @tf.function and write its graphs (traced with adjoint nodes,
optimized, fused) to an HTML page you can open in any browser.

    python examples/visualize_graph.py [out.html]
"""
import os
import sys

import numpy as np

import graphflow as tf
from graphflow.viz import render, save_html


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


if __name__ == "__main__":
    main(*sys.argv[1:])
