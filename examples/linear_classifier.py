"""A linear classifier in pure graphflow ops, trained with GradientTape (the seed chapter's
end-to-end example: two Gaussian clouds, a linear model, mean squared error, plain gradient descent).

    python examples/linear_classifier.py

Exits with status 1 if the final loss is not below 0.05.
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import graphflow as tf  # noqa: E402

NUM_SAMPLES_PER_CLASS = 1000
LEARNING_RATE = 0.1
STEPS = 40
LOSS_GOAL = 0.05

# ---- data: two 2-D Gaussian clouds with the same covariance, different means --------------
rng = np.random.default_rng(1337)
cov = [[1, 0.5], [0.5, 1]]
negative_samples = rng.multivariate_normal(mean=[0, 3], cov=cov, size=NUM_SAMPLES_PER_CLASS)
positive_samples = rng.multivariate_normal(mean=[3, 0], cov=cov, size=NUM_SAMPLES_PER_CLASS)
inputs = np.vstack((negative_samples, positive_samples)).astype(np.float32)
targets = np.vstack((np.zeros((NUM_SAMPLES_PER_CLASS, 1), dtype="float32"),
                     np.ones((NUM_SAMPLES_PER_CLASS, 1), dtype="float32")))

# ---- model: prediction = inputs @ W + b ----------------------------------------------------
tf.random.set_seed(0)
input_dim, output_dim = 2, 1
W = tf.Variable(initial_value=tf.random.uniform(shape=(input_dim, output_dim)))
b = tf.Variable(initial_value=tf.zeros(shape=(output_dim,)))


def model(inputs):
    return tf.matmul(inputs, W) + b


def square_loss(targets, predictions):
    per_sample_losses = tf.square(targets - predictions)
    return tf.reduce_mean(per_sample_losses)


# Add `@tf.function` here to trace the step into a graph; nothing else needs to change.
def training_step(inputs, targets):
    with tf.GradientTape() as tape:
        predictions = model(inputs)
        loss = square_loss(targets, predictions)
    grad_loss_wrt_W, grad_loss_wrt_b = tape.gradient(loss, [W, b])
    W.assign_sub(grad_loss_wrt_W * LEARNING_RATE)
    b.assign_sub(grad_loss_wrt_b * LEARNING_RATE)
    return loss


def main():
    x, y = tf.constant(inputs), tf.constant(targets)
    loss = None
    for step in range(STEPS):
        loss = float(training_step(x, y))
        if step % 5 == 0 or step == STEPS - 1:
            print(f"Loss at step {step:2d}: {loss:.4f}")
    predictions = model(x).numpy()
    accuracy = float(np.mean((predictions > 0.5) == (targets > 0.5)))
    print(f"W = {W.numpy().ravel()}, b = {b.numpy()}, accuracy = {accuracy:.3f}")
    if loss < LOSS_GOAL:
        print(f"OK: final loss {loss:.4f} is below {LOSS_GOAL}")
        return 0
    print(f"FAIL: final loss {loss:.4f} is not below {LOSS_GOAL}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
