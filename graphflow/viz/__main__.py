"""Command line: ``python -m graphflow.viz`` / ``graphflow-viz``.

    graphflow-viz run train.py -o graphs.html        # every function traced during the run
    graphflow-viz show module:function --arg float32[64,2] -o f.html [--format svg]
                  [--stage dce] [--adjoints grouped|hidden|mirror]
"""
import argparse
import gc
import importlib
import re
import runpy
import sys

import numpy as np

from . import html as _h
from .api import render


def parse_arg(spec):
    """'float32[64,2]' -> a ones array of that dtype and shape.

    >>> parse_arg("float32[2,3]").shape
    (2, 3)
    """
    m = re.fullmatch(r"(\w+)\[([\d, ]*)\]", spec.strip())
    if not m:
        raise SystemExit(f"--arg {spec!r}: expected dtype[dims], e.g. float32[64,2]")
    dims = tuple(int(x) for x in m.group(2).split(",") if x.strip())
    return np.ones(dims, dtype=m.group(1))


def traced_functions():
    """(name, ConcreteFunction) for every live tf.function trace."""
    from ..function import Function
    out = []
    for obj in gc.get_objects():
        if isinstance(obj, Function):
            for k, cf in enumerate(obj._cache.values() if isinstance(obj._cache, dict) else ()):
                out.append((f"{obj.name}" + (f" #{k + 1}" if k else ""), cf))
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(prog="graphflow-viz", description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="run a script; write every traced function's graphs")
    r.add_argument("script")
    r.add_argument("-o", "--output", default="graphs.html")
    s = sub.add_parser("show", help="trace module:function on example arguments")
    s.add_argument("target")
    s.add_argument("--arg", action="append", default=[])
    s.add_argument("-o", "--output", default=None)
    s.add_argument("--format", default="html", choices=["html", "svg", "dot", "json", "txt"])
    s.add_argument("--stage", default=None)
    s.add_argument("--adjoints", default="grouped", choices=["grouped", "hidden", "mirror"])
    a, rest = ap.parse_known_args(argv)
    if a.cmd == "run":
        sys.argv = [a.script] + rest
        keep = runpy.run_path(a.script, run_name="__main__")
        fns = traced_functions()
        if not fns:
            raise SystemExit(f"{a.script} traced no tf.function")
        stages = []
        for name, cf in fns:   # the optimized graph of each function, picker by name
            stages.append((f"{name}", cf.optimized))
        with open(a.output, "w") as f:
            f.write(_h.render_html(stages, f"graphs of {a.script}", related=False))
        del keep
        print(f"wrote {a.output}: {len(stages)} traced functions")
        return 0
    mod, _, fn = a.target.partition(":")
    sys.path.insert(0, ".")
    m = importlib.import_module(mod)
    if not hasattr(m, fn):
        names = [k for k, v in vars(m).items() if hasattr(v, "get_concrete_function")]
        raise SystemExit(f"{mod} has no function {fn!r}; tf.functions there: {names}")
    out = render(getattr(m, fn), *[parse_arg(x) for x in a.arg], path=a.output,
                 format=a.format, stage=a.stage, adjoints=a.adjoints)
    if a.output is None:
        print(out)
    else:
        print(f"wrote {a.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
