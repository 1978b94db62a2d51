"""The book's chapter-8 MNIST convnet (Conv-Pool-Conv-Pool-Dense) on small digit images.

Data: scikit-learn's bundled 8x8 digits (1,797 images, no download) if scikit-learn is
installed, else generated 8x8 digits (5x7 glyphs at random offsets with noise). The images are
upsampled to 16x16 with `tf.image.resize` (bilinear), then:

    Input(16, 16, 1) -> Conv2D(32, 3, relu) -> MaxPooling2D(2) -> Conv2D(64, 3, relu)
      -> MaxPooling2D(2) -> Flatten -> Dropout(0.5) -> Dense(10, softmax)

    python examples/convnet_digits.py                 # numba backend (graphflow's default)
    python examples/convnet_digits.py --numpy         # numpy executor
    python examples/convnet_digits.py --augment       # + RandomRotation/RandomTranslation
"""
import argparse
import sys
import time

import numpy as np

import graphflow as tf

GLYPHS = [  # 5 wide x 7 high
    "01110 10001 10011 10101 11001 10001 01110", "00100 01100 00100 00100 00100 00100 01110",
    "01110 10001 00001 00010 00100 01000 11111", "11111 00010 00100 00010 00001 10001 01110",
    "00010 00110 01010 10010 11111 00010 00010", "11111 10000 11110 00001 00001 10001 01110",
    "00110 01000 10000 11110 10001 10001 01110", "11111 00001 00010 00100 01000 01000 01000",
    "01110 10001 10001 01110 10001 10001 01110", "01110 10001 10001 01111 00001 00010 01100"]


def generated_digits(n, rng):
    """n noisy 8x8 renderings of the glyphs (values in [0, 16], as sklearn's digits)."""
    glyphs = np.array([[[c == "1" for c in row] for row in g.split()] for g in GLYPHS], float)
    y = rng.integers(0, 10, n)
    x = np.zeros((n, 8, 8))
    dy, dx = rng.integers(0, 2, n), rng.integers(0, 4, n)
    for i in range(n):
        x[i, dy[i]:dy[i] + 7, dx[i]:dx[i] + 5] = glyphs[y[i]] * rng.uniform(8, 16)
    x += rng.normal(0, 2.0, x.shape)
    return np.clip(x, 0, 16), y


def load_data(seed=0):
    """(x_train, y_train), (x_test, y_test), description; images (N, 16, 16, 1) in [0, 1]."""
    rng = np.random.default_rng(seed)
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        x, y = generated_digits(2000, rng)
        what = "generated 8x8 digits (scikit-learn not installed)"
    else:
        digits = load_digits()
        x, y = digits.images, digits.target
        what = "scikit-learn digits (8x8 images, 10 classes)"
    x = (x / 16.0).astype(np.float32)[..., None]
    x = tf.image.resize(x, (16, 16)).numpy()            # bilinear upsampling, as a TF pipeline
    order = rng.permutation(len(x))
    x, y = x[order], y[order].astype(np.int32)
    split = int(0.8 * len(x))
    return (x[:split], y[:split]), (x[split:], y[split:]), what


def build_model(augment=False):
    layers = tf.keras.layers
    aug = [layers.RandomRotation(0.05, seed=1), layers.RandomTranslation(0.1, 0.1, seed=2)] \
        if augment else []
    return tf.keras.Sequential([tf.keras.Input(shape=(16, 16, 1))] + aug + [
        layers.Conv2D(32, 3, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Conv2D(64, 3, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Flatten(),
        layers.Dropout(0.5),
        layers.Dense(10, activation="softmax"),
    ])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=15)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--numpy", action="store_true", help="run traced steps on the numpy executor")
    ap.add_argument("--augment", action="store_true", help="random rotation/translation layers")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    tf.keras.utils.set_random_seed(args.seed)
    (x_train, y_train), (x_test, y_test), what = load_data(args.seed)
    print(f"data: {what}; train {x_train.shape}, test {x_test.shape}")
    model = build_model(args.augment)
    model.summary()
    model.compile(optimizer=tf.keras.optimizers.Adam(learning_rate=2e-3),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"],
                  jit_compile=not args.numpy)
    t0 = time.perf_counter()
    model.fit(x_train, y_train, epochs=args.epochs, batch_size=args.batch_size,
              validation_split=0.1, verbose=2)
    seconds = time.perf_counter() - t0
    loss, acc = model.evaluate(x_test, y_test, verbose=0)
    print(f"test accuracy {acc:.4f} (loss {loss:.4f}); training took {seconds:.1f} s")
    if acc < 0.97:
        print("FAILED: expected a test accuracy of at least 97%")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
