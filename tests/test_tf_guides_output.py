"""TF guide code (tests/data/tf_guides/*.py: "Unicode strings", "Tensor slicing",
"Introduction to Variables", "Advanced automatic differentiation", "Working with sparse
tensors", "Random number generation", "Ragged tensors", the "Extension types" and
"Working with sparse tensors" tf.data cells) run with `import graphflow as tf`: every printed line equals what TF 2.21 printed
(tests/data/tf_guides/*.tf_output.txt), numbers within float32 rounding."""
import contextlib
import io
import os
import re
import runpy

import numpy as np
import pytest

from graphflow.experimental import numpy as tnp_mod

DATA = os.path.join(os.path.dirname(__file__), "data", "tf_guides")
_NUM = re.compile(r"-?\d+\.\d+(?:e[-+]?\d+)?|-?\d+")


def _same_line(got, want):
    if got == want:
        return True
    gn, wn = _NUM.findall(got), _NUM.findall(want)
    if _NUM.sub("#", got) != _NUM.sub("#", want) or len(gn) != len(wn):
        return False
    return all(abs(float(a) - float(b)) <= 1e-6 * max(1.0, abs(float(b))) for a, b in zip(gn, wn))


@pytest.mark.parametrize("name", ["unicode", "core_guides", "random_numbers",
                                  "ragged_tensors", "composite_datasets",
                                  "advanced_autodiff", "modules", "graphs",
                                  "unicode_errors", "tnp_indexing", "tensors",
                                  "function_perf", "linalg_math", "data_guide",
                                  "image_nest", "training_misc", "autodiff",
                                  "tracetype", "tfrecord", "csv_data", "basic_training",
                                  "ext_types", "config_dev"])
def test_guide_output_matches_tf(name, tmp_path):
    check_guide(name, tmp_path)


def check_guide(name, tmp_path):
    """Run tests/data/tf_guides/<name>.py with graphflow as `tensorflow`; its printed lines must
    be TF's (<name>.tf_output.txt)."""
    with open(os.path.join(DATA, f"{name}.py")) as f:
        src = re.sub(r"^(\s*)(from|import) tensorflow\b", r"\1\2 graphflow", f.read(),
                     flags=re.M)   # `import tensorflow as tf`, `from tensorflow.keras import ...`
    script = tmp_path / f"{name}.py"   # a real file: AutoGraph reads functions' source
    script.write_text(src)
    with open(os.path.join(DATA, f"{name}.tf_output.txt")) as f:
        want = f.read().splitlines()
    out = io.StringIO()
    cwd = os.getcwd()
    printopts = np.get_printoptions()
    try:
        with contextlib.redirect_stdout(out):
            runpy.run_path(str(script), run_name=f"guide_{name}")
    finally:   # NumPy behavior is process-wide (as in TF): undo what a script switched on
        tnp_mod._disable_numpy_behavior()
        np.set_printoptions(**printopts)   # (a tutorial sets numpy's print precision)
        os.chdir(cwd)   # (the checkpoint guide works in a directory of its own)
    got = out.getvalue().splitlines()
    assert len(got) == len(want), (got, want)
    bad = [(g, w) for g, w in zip(got, want) if not _same_line(g, w)]
    assert not bad, "lines differing from TF's output:\n" + "\n".join(
        f"  graphflow: {g}\n  TF:        {w}" for g, w in bad)
