"""A compiler process: compiles generated kernel modules into numba's disk cache.

numba's compiler is pure Python for long stretches; on the compile thread of the process that
runs the steps, it holds the GIL and every step running on numpy meanwhile waits for it (and a
throttled compiler takes seconds to finish). The kernel cache (`cache.py`) therefore sends cache
misses here: a separate Python process, with its own GIL, on another core, compiles the kernel
module (`cache=True` writes the machine code beside it, exactly as an in-process compile would),
writes what LLVM vectorized beside it (`<module>.vec.txt`) and the kernel as a shared object with a
plain C entry (`native.py`: the host loads it with ctypes, without importing numba), and answers;
the host then loads the kernel from the disk cache in milliseconds.

The process never imports the `graphflow` package (0.5-1 s): `graphflow`, `graphflow.backends`
and `graphflow.backends.numba` are registered as bare packages whose `__path__` points at the
source directories, so a kernel module's `from graphflow.backends.numba.rt import *` loads just
`rt.py` and `vmath.py`. This module itself imports only the standard library at top level (the
host imports it for `vector_report`, `innermost_loops` and `numba_signature`).

Protocol: one JSON object per line on stdin, ``{"path": module file, "name": module name,
"arg_types": [...]}`` (with ``"native": false``: no shared object); one line back per request,
``{"ok": true, "seconds": s}`` or
``{"ok": false, "error": "..."}``. End of input ends the process.
"""
import json
import os
import re
import sys
import time


def innermost_loops(source):
    """The number of innermost `for` loops in a generated kernel's source.

    >>> innermost_loops("for a in b:\\n    for c in d:\\n        x\\nfor e in f:\\n    y\\n")
    2
    """
    fors = [(len(l) - len(l.lstrip()), i) for i, l in enumerate(source.splitlines())
            if l.lstrip().startswith("for ")]
    lines = source.splitlines()
    n = 0
    for ind, i in fors:
        inner = False
        for l in lines[i + 1:]:
            if l.strip() and len(l) - len(l.lstrip()) <= ind:
                break
            if l.lstrip().startswith("for "):
                inner = True
                break
        n += not inner
    return n


def vector_report(llvm_ir, source):
    r"""What LLVM's loop vectorizer did to a kernel, from its optimized IR: the vectorized loop
    bodies (named `vector.body`; a loop versioned or unswitched by LLVM can have several, a
    vectorized remainder `vec.epilog.vector.body` is not counted) against the innermost loops
    of the source, and the widest vector type (float lanes first).

    None when the IR holds no function: numba shows none for code it loaded from its own cache
    (a kernel compiled meanwhile by another process), which read as "scalar" before.

    >>> vector_report("define void @k() {\nvector.body:\n  %a = fadd <16 x float> %x, %y",
    ...               "for i in r:\n    x")
    'SIMD: 1 vector loop body for 1 innermost loop (widest 16 x float)'
    >>> vector_report("define void @k() {", "for i in r:\n    x")
    'scalar: no loop vectorized (1 innermost loop)'
    >>> vector_report("; ModuleID = 'k'", "for i in r:\n    x") is None
    True
    """
    if "define " not in llvm_ir:
        return None
    k = len(re.findall(r"^vector\.body[\d.]*:", llvm_ir, re.M))
    n = innermost_loops(source)
    loops = f"{n} innermost loop{'s' if n != 1 else ''}"
    if not k:
        return f"scalar: no loop vectorized ({loops})"
    lanes = [(t in ("float", "double"), int(m), t)
             for m, t in re.findall(r"<(\d+) x (float|double|i32|i64)>", llvm_ir)]
    widest = f" (widest {max(lanes)[1]} x {max(lanes)[2]})" if lanes else ""
    return (f"{'SIMD' if k >= n else 'partly SIMD'}: {k} vector loop bod"
            f"{'ies' if k != 1 else 'y'} for {loops}{widest}")


def numba_signature(arg_types):
    """numba argument types for the kernel cache's argument descriptions: ("i",) an int64
    extent, ("s", dtype) a scalar, ("a", dtype, ndim, readonly) a C-contiguous array."""
    import numpy as np
    from numba import types
    from numba.np.numpy_support import from_dtype
    out = []
    for t in arg_types:
        if t[0] == "i":
            out.append(types.int64)
        elif t[0] == "s":
            out.append(from_dtype(np.dtype(t[1])))
        else:
            out.append(types.Array(from_dtype(np.dtype(t[1])), t[2], "C", readonly=t[3]))
    return tuple(out)


def _bare_packages():
    """Register graphflow's package chain without running any `__init__`."""
    import types
    here = os.path.dirname(os.path.abspath(__file__))
    dirs = [os.path.dirname(os.path.dirname(here)), os.path.dirname(here), here]
    for name, d in zip(("graphflow", "graphflow.backends", "graphflow.backends.numba"), dirs):
        if name not in sys.modules:
            m = types.ModuleType(name)
            m.__path__ = [d]
            m.__file__ = os.path.join(d, "__init__.py")
            sys.modules[name] = m


def _compile(req):
    import importlib.util
    path, name = req["path"], req["name"]
    with open(path) as f:
        source = f.read()
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    try:
        spec.loader.exec_module(mod)
        disp = mod.kernel
        sig = numba_signature(req["arg_types"])
        disp.compile(sig)
        if req.get("native", True):
            _build_native(disp, sig, req, source)
        try:
            text = vector_report("\n".join(disp.inspect_llvm().values()), source)
            if text is None:
                raise ValueError("no IR to read")
            side = path[:-3] + ".vec.txt"
            tmp = f"{side}.{os.getpid()}.tmp"
            with open(tmp, "w") as f:
                f.write(text + "\n")
            os.replace(tmp, side)
        except Exception:   # the report is optional
            pass
    finally:
        sys.modules.pop(name, None)


def _build_native(disp, sig, req, source):
    """Also write the kernel as a shared object (`native.py`), or a note why it cannot be."""
    from graphflow.backends.numba import native
    d, key = os.path.dirname(req["path"]), req["name"][len("gfk_"):]
    arg_types = [tuple(t) for t in req["arg_types"]]

    def recompile():        # numba loaded it from its cache: compile afresh to link it
        ns = {"__name__": req["name"] + "_native"}
        exec(compile(source.replace("cache=True", "cache=False"), req["path"], "exec"), ns)
        ns["kernel"].compile(sig)
        return ns["kernel"]
    try:
        path = native.build(disp, sig, arg_types, d, key, source, recompile)
        why = native.build.why
    except Exception as e:      # never a reason to fail the kernel
        path, why = None, f"{type(e).__name__}: {e}"
    if path is None:
        native.mark_unbuildable(d, key, why)


def main():
    """Serve compile requests from stdin until it closes."""
    _bare_packages()
    try:        # the steps the host runs meanwhile come first on a busy machine
        os.nice(int(os.environ.get("GRAPHFLOW_COMPILE_NICE", "10")))
    except (OSError, AttributeError, ValueError):
        pass
    if "NUMBA_THREADING_LAYER" not in os.environ:
        os.environ["NUMBA_THREADING_LAYER"] = "workqueue"
    try:    # start numba while the host gets its first request ready
        from numba.core.registry import cpu_target
        cpu_target.target_context.refresh()
        import graphflow.backends.numba.rt  # noqa: F401
    except Exception:   # each request reports its own error
        pass
    for line in sys.stdin:
        if not line.strip():
            continue
        t0 = time.perf_counter()
        try:
            _compile(json.loads(line))
            reply = {"ok": True, "seconds": time.perf_counter() - t0}
        except Exception as e:     # the host compiles in process and reports the error
            reply = {"ok": False, "error": f"{type(e).__name__}: {e}"}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
