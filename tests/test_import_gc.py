"""`import graphflow` runs with the cyclic garbage collector paused (graphflow.lazy.PausedGC) and
leaves it as it found it: on if it was on, off if the program had turned it off."""
import subprocess
import sys

import pytest


@pytest.mark.parametrize("before", [True, False])
def test_the_import_leaves_the_collector_as_it_was(before):
    code = ("import gc\n"
            f"{'' if before else 'gc.disable()'}\n"
            "import sys\n"
            "seen = []\n"      # collections once the package's body runs (the collector paused)
            "gc.callbacks.append(lambda phase, info: 'graphflow.dtypes' in sys.modules\n"
            "                    and 'graphflow' in sys.modules and not hasattr(\n"
            "                    sys.modules['graphflow'], 'function') and seen.append(phase))\n"
            "import graphflow\n"
            "print(gc.isenabled(), len(seen))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == [str(before), "0"]        # and no collection ran during the import


def test_a_failed_import_turns_it_back_on():
    from graphflow.lazy import PausedGC
    import gc

    def failing_import():
        paused = PausedGC()     # (a module's global: freed with the failed module)
        assert not gc.isenabled()
        raise ImportError("boom")
    assert gc.isenabled()
    with pytest.raises(ImportError):
        failing_import()
    assert gc.isenabled()


@pytest.mark.parametrize("setting", [None, "0"])
def test_the_packages_objects_are_frozen_unless_asked_not_to(setting):
    import os
    env = dict(os.environ)
    env.pop("GRAPHFLOW_GC_FREEZE", None)
    if setting is not None:
        env["GRAPHFLOW_GC_FREEZE"] = setting
    code = ("import gc, graphflow\n"
            "import graphflow.ops.registry as r\n"
            "print(gc.get_freeze_count() > 10000, gc.is_tracked(r.OPS),\n"
            "      any(o is r.OPS for o in gc.get_objects()))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env=env).stdout.split()
    # frozen: the op table is still tracked, but in no generation a collection scans
    assert out == (["True", "True", "False"] if setting is None else ["False", "True", "True"])
