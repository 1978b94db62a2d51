"""Screenshots of TensorBoard showing a graphflow run (for the README): trains a small Keras
model with `keras.callbacks.TensorBoard`, serves the logs with the `tensorboard` package and
captures its Scalars and Graphs dashboards in headless Chromium (Debian's, driven by Playwright).

    python tools/tensorboard_screenshot.py docs/   # writes tensorboard_scalars.png, _graph.png
"""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import numpy as np

import graphflow as tf


def train(log_dir):
    # generated data: 10 Gaussian blobs in 64 dimensions
    rng = np.random.default_rng(0)
    centers = rng.normal(size=(10, 64))
    y = rng.integers(0, 10, 1800)
    x = (centers[y] + 1.5 * rng.normal(size=(1800, 64))).astype("float32")
    model = tf.keras.Sequential([tf.keras.Input((64,)),
                                 tf.keras.layers.Dense(32, activation="relu", name="hidden"),
                                 tf.keras.layers.Dense(10, activation="softmax", name="probs")],
                                name="digits_mlp")
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x[:1400], y[:1400], epochs=15, batch_size=64, verbose=0,
              validation_data=(x[1400:], y[1400:]),
              callbacks=[tf.keras.callbacks.TensorBoard(log_dir, histogram_freq=1)])


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(url, timeout=60):
    end = time.time() + timeout
    while time.time() < end:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"TensorBoard did not answer at {url}")


def main(out_dir):
    from playwright.sync_api import sync_playwright
    os.makedirs(out_dir, exist_ok=True)
    log_dir = tempfile.mkdtemp()
    train(log_dir)
    port = _free_port()
    tb = subprocess.Popen([sys.executable, "-m", "tensorboard.main", "--logdir", log_dir,
                           "--port", str(port), "--host", "127.0.0.1"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}/"
        _wait(url)
        chromium = shutil.which("chromium") or "/usr/bin/chromium"
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            for tab, name in (("scalars", "tensorboard_scalars.png"),
                              ("graphs", "tensorboard_graph.png")):
                page.goto(f"{url}#{tab}")
                page.wait_for_timeout(6000)     # the dashboards load their data asynchronously
                page.screenshot(path=os.path.join(out_dir, name))
                print("wrote", os.path.join(out_dir, name))
            browser.close()
    finally:
        tb.terminate()
        tb.wait()
        shutil.rmtree(log_dir, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "docs")
