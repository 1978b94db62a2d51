"""Screenshots of graphflow's visualizer page (for the README): a Keras model's train step as
`fit` traces it, with a layer expanded and one of its nodes selected, and a Keras LSTM's train
step with its time loop (one while_loop box) expanded to the cell. Headless Chromium (Debian's,
driven by Playwright; no browser download).

    python tools/viz_screenshot.py docs/    # writes visualizer.png and visualizer_loop.png
"""
import os
import shutil
import sys
import tempfile

import numpy as np

import graphflow as tf
from graphflow.viz import save_html


def keras_step():
    rng = np.random.default_rng(0)
    tf.keras.utils.set_random_seed(0)
    centers = rng.normal(size=(10, 64))
    y = rng.integers(0, 10, 512)
    x = (centers[y] + rng.normal(size=(512, 64))).astype("float32")
    model = tf.keras.Sequential([tf.keras.Input((64,)),
                                 tf.keras.layers.Dense(32, activation="relu", name="hidden"),
                                 tf.keras.layers.Dropout(0.2, name="dropout"),
                                 tf.keras.layers.Dense(10, activation="softmax", name="probs")],
                                name="digits_mlp")
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y.astype("int32"), epochs=1, batch_size=64, verbose=0)
    return list(model.train_function._cache.values())[0]


def lstm_step():
    rng = np.random.default_rng(0)
    tf.keras.utils.set_random_seed(0)
    x = rng.normal(size=(32, 10, 3)).astype("float32")
    y = rng.normal(size=(32, 1)).astype("float32")
    model = tf.keras.Sequential([tf.keras.Input((10, 3)), tf.keras.layers.LSTM(16, name="lstm"),
                                 tf.keras.layers.Dense(1, name="out")], name="rnn")
    model.compile("adam", "mse", jit_compile=False)
    model.fit(x, y, epochs=1, batch_size=32, verbose=0)
    return list(model.train_function._cache.values())[0]


def _open(browser, path):
    page = browser.new_page(viewport={"width": 1400, "height": 860})
    page.goto("file://" + path)
    page.wait_for_selector('body[data-status="ready"]', timeout=30000)
    return page


def main(out_dir):
    from playwright.sync_api import sync_playwright
    os.makedirs(out_dir, exist_ok=True)
    tmp = tempfile.mkdtemp()
    try:
        mlp = save_html(os.path.join(tmp, "mlp.html"), keras_step(), "Keras train step (fit)")
        rnn = save_html(os.path.join(tmp, "lstm.html"), lstm_step(), "Keras LSTM train step")
        chromium = shutil.which("chromium") or "/usr/bin/chromium"
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            page = _open(browser, mlp)
            # the 'hidden' Dense layer expanded, its matmul selected (info panel: shape, source)
            page.evaluate("""() => {
              const v = gf.view();
              const mm = Object.keys(v.nodes).find(n => v.nodes[n].op === 'matmul' &&
                  !v.nodes[n].adj && /hidden/.test(v.nodes[n].group));
              gf.select(mm); document.getElementById('gf-fit').click(); }""")
            page.wait_for_timeout(300)
            page.screenshot(path=os.path.join(out_dir, "visualizer.png"))
            print("wrote", os.path.join(out_dir, "visualizer.png"))
            page.close()
            page = _open(browser, rnn)
            # the LSTM's time loop (one box) expanded to its body, the loop's facts shown
            page.evaluate("""() => {
              const v = gf.view();
              const loop = Object.keys(v.groups).find(g => v.groups[g].control && !v.groups[g].adj);
              document.getElementById('gf-none').click();     // collapse all, then open
              const parts = (loop + '/body').split('/');        // the path to the loop's body
              for (let i = 1; i <= parts.length; i++) gf.toggle(parts.slice(0, i).join('/'));
              gf.groupInfo(loop);
              document.getElementById('gf-fit').click(); }""")
            page.wait_for_timeout(300)
            page.screenshot(path=os.path.join(out_dir, "visualizer_loop.png"))
            print("wrote", os.path.join(out_dir, "visualizer_loop.png"))
            browser.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "docs")
