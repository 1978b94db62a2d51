"""The main demo: the seed walkthrough, trained models, and a visualized graph.

    python examples/main.py
"""
import os
import runpy
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPTS = ("seed_walkthrough.py", "linear_classifier.py", "keras_mlp.py", "convnet_digits.py",
           "visualize_graph.py")
#: command-line arguments per script (the convnet trains on the numba backend: its conv and
#: pooling ops run on the backend's compiled kernels, graphflow/backends/numba/conv.py; measured
#: 12 epochs on a loaded 2-core machine: 29.5 s, vs 52.4 s on the numpy executor)
ARGS = {"convnet_digits.py": ["--epochs", "12"]}

failed = []
for script in SCRIPTS:
    print(f"\n{'=' * 20} examples/{script} {'=' * 20}", flush=True)
    saved_argv = sys.argv
    sys.argv = [os.path.join(HERE, script)] + ARGS.get(script, [])
    try:
        runpy.run_path(os.path.join(HERE, script), run_name="__main__")
    except SystemExit as e:   # the examples exit with their status; keep going, report at the end
        if e.code not in (None, 0):
            failed.append(script)
    finally:
        sys.argv = saved_argv
if failed:
    print(f"\nFAILED: {', '.join(failed)}")
    sys.exit(1)
print(f"\nAll {len(SCRIPTS)} demos ran. Open out/training_step_graph.html to see the traced, "
      "differentiated, optimized and fused graphs (and out/linear_classifier_graph.html, "
      "keras_mlp_graph.html, second_order_graph.html, lstm_graph.html).")
