"""The main demo: the seed walkthrough, a trained model, and a visualized graph.

    python examples/main.py
"""
import os
import runpy

HERE = os.path.dirname(os.path.abspath(__file__))

for script in ("seed_walkthrough.py", "linear_classifier.py", "visualize_graph.py"):
    print(f"\n{'=' * 20} examples/{script} {'=' * 20}")
    runpy.run_path(os.path.join(HERE, script), run_name="__main__")
