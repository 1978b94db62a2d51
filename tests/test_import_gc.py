"""`import graphflow` runs with the cyclic garbage collector paused (graphflow.lazy.PausedGC),
leaves it as it found it (on if it was on, off if the program had turned it off) and freezes the
package's objects (gc.freeze: never scanned again) unless GRAPHFLOW_GC_FREEZE=0."""
import os
import subprocess
import sys

import pytest


@pytest.mark.parametrize("gc_on, freeze", [(True, None), (False, "0")])
def test_the_import_pauses_restores_and_freezes(gc_on, freeze):
    env = dict(os.environ)
    env.pop("GRAPHFLOW_GC_FREEZE", None)
    if freeze is not None:
        env["GRAPHFLOW_GC_FREEZE"] = freeze
    code = ("import gc, sys\n"
            f"{'' if gc_on else 'gc.disable()'}\n"
            "seen = []\n"       # collections once the package's body runs (the collector paused)
            "gc.callbacks.append(lambda phase, info: 'graphflow.dtypes' in sys.modules\n"
            "                    and 'graphflow' in sys.modules and not hasattr(\n"
            "                    sys.modules['graphflow'], 'function') and seen.append(phase))\n"
            "import graphflow\n"
            "import graphflow.ops.registry as r\n"
            "print(gc.isenabled(), len(seen), gc.get_freeze_count() > 10000,\n"
            "      any(o is r.OPS for o in gc.get_objects()))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env=env).stdout.split()
    frozen = freeze is None
    # frozen: the op table is in no generation a collection scans (gc.get_objects)
    assert out == [str(gc_on), "0", str(frozen), str(not frozen)]


def test_a_failed_import_turns_it_back_on():
    from graphflow.lazy import PausedGC
    import gc

    def failing_import():
        paused = PausedGC()     # (a module's global: freed with the failed module)
        assert not gc.isenabled() and paused.was_enabled
        raise ImportError("boom")
    assert gc.isenabled()
    with pytest.raises(ImportError):
        failing_import()
    assert gc.isenabled()
