"""On-disk plan cache: a warm process skips the passes and the backend's fusion of a trace.

A `ConcreteFunction` looks its traced graph up here before running the pass pipeline. The key
is a sha256 of the traced graph's whole content - every node (op, inputs, attrs, shape, dtype,
source line, scope, tags; constants by their bytes), every edge, the parameters, outputs and
effects - plus the backend, graphflow's version and a fingerprint of its source files (path,
size and mtime of each), numpy's and Python's versions and the ``GRAPHFLOW_*`` settings. An
entry holds what the pipeline and the backend's fusion made of that graph (the optimized graph
and, for numba, the fused graph); a hit uses them and the backend goes on from there (its
schedule and kernel lowering, then kernels from the kernel cache). The pass stages themselves
are recomputed only if someone asks for them (`ConcreteFunction.stages`).

Variables in the graph are not stored: an entry names them by the order in which the traced
graph first mentions them, and a hit binds that order to this trace's Variables. A graph that
holds any other object (a py_func's callable, a cond's sub-graphs), unknown dims, an op defined
outside graphflow or more than `MAX_CONSTANT_BYTES` of constants is not cached (`STATS`
says why). An entry that does not load (truncated, corrupted, from another format) is deleted
and the pipeline runs as without a cache.

Entries live in ``$GRAPHFLOW_CACHE_DIR/plans`` (default ``~/.cache/graphflow/plans``).
``GRAPHFLOW_PLAN_CACHE=0`` turns the cache off; it is off by default under pytest (tests patch
passes and fusion, which the source fingerprint cannot see) unless ``GRAPHFLOW_PLAN_CACHE=1``.

>>> import numpy as np
>>> from graphflow.graph import Graph
>>> g = Graph("f")
>>> p = g.add_node("parameter", (), {"index": 0, "name": "x"}, (2,), np.float32, source="f.py:1")
>>> g.params = [p]
>>> g.outputs = [g.add_node("exp", (p,), {}, (2,), np.float32, source="f.py:2")]
>>> k1, _ = structure_key(g, "numba")
>>> g.nx.nodes[g.outputs[0]]["source"] = "f.py:3"      # another line: another entry
>>> k1 != structure_key(g, "numba")[0]
True
"""
import hashlib
import io
import os
import pickle
import sys

import numpy as np

from ..graph import Graph
from ..ops.registry import OPS
from ..tensor import Variable

#: changes whenever the entry layout changes
FORMAT = b"gf-plan-cache-2\n"

#: graphs whose constants hold more bytes than this are not cached (hashing and storing them
#: would cost more than the passes)
MAX_CONSTANT_BYTES = 8 << 20

#: 'hits', 'misses', 'stores', 'corrupt' (entries deleted), 'uncacheable' (graphs not cached);
#: 'why' the last reason a graph was not cached
STATS = {"hits": 0, "misses": 0, "stores": 0, "corrupt": 0, "uncacheable": 0, "why": None}


def disk_cache_on(setting):
    """Whether the on-disk cache switched by environment variable `setting` is used: its value
    if set, else on unless ``GRAPHFLOW_DISK_CACHE=0`` or under pytest (tests patch passes,
    fusion and the AutoGraph transformer, which the source fingerprints cannot see)."""
    v = os.environ.get(setting)
    if v is not None:
        return v not in ("", "0")
    return "pytest" not in sys.modules and os.environ.get("GRAPHFLOW_DISK_CACHE", "1") not in (
        "", "0")


def enabled():
    """The plan cache is used (``GRAPHFLOW_PLAN_CACHE``; off by default under pytest)."""
    return disk_cache_on("GRAPHFLOW_PLAN_CACHE")


def cache_root():
    """``$GRAPHFLOW_CACHE_DIR`` (default ``~/.cache/graphflow``): the disk caches' folder."""
    d = os.environ.get("GRAPHFLOW_CACHE_DIR")
    if not d:
        d = os.path.join(os.environ.get("XDG_CACHE_HOME") or
                         os.path.join(os.path.expanduser("~"), ".cache"), "graphflow")
    return d


def cache_dir():
    return os.path.join(cache_root(), "plans")


def write_atomically(path, data):
    """Write bytes `data` to `path` through a temporary file and a rename (readers never see a
    partial file; the folder is made if needed). False, and the file left as it was, on an
    error (a read-only or full disk)."""
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
        return True
    except OSError:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        return False


_FINGERPRINT = [None]


def _machine():
    """The CPU architecture's name (as platform.machine(), without importing `platform`: its
    import compiles regular expressions, ~2 ms of a fresh process's first trace)."""
    try:
        return os.uname().machine
    except AttributeError:      # no os.uname (Windows)
        import platform
        return platform.machine()


def source_digest(root):
    """A digest of the path, size and modification time of every .py file under `root`."""
    h = hashlib.sha256()
    for base, dirs, files in os.walk(root):
        dirs.sort()
        rel = base[len(root):]      # (os.path.relpath per file cost ~0.1 ms each)
        for f in sorted(files):
            if f.endswith(".py"):
                st = os.stat(os.path.join(base, f))
                h.update(f"{rel}/{f}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def fingerprint():
    """graphflow's version and source files (path, size, mtime), numpy's and Python's versions,
    the ``GRAPHFLOW_*`` settings: what a cached plan depends on besides its graph (once per
    process; ~2 ms for the ~200 source files)."""
    if _FINGERPRINT[0] is None:
        from .. import __file__ as pkg_file, __version__
        h = hashlib.sha256(FORMAT)
        h.update(f"{__version__}|{sys.version}|{np.__version__}|{_machine()}|".encode())
        h.update(source_digest(os.path.dirname(os.path.abspath(pkg_file))).encode())
        for k in sorted(os.environ):
            if k.startswith("GRAPHFLOW_") and k not in ("GRAPHFLOW_CACHE_DIR",
                                                        "GRAPHFLOW_PLAN_CACHE"):
                h.update(f"{k}={os.environ[k]}\n".encode())
        _FINGERPRINT[0] = h.hexdigest()
    return _FINGERPRINT[0]


class _Uncacheable(Exception):
    pass


_PLAIN = (int, float, bool, str, bytes, complex, type(None), np.generic, np.dtype)


def _encode(v, ext, budget):
    """A deterministic text of attribute value `v` for the key; Variables become ('var', their
    index in `ext`), constants their bytes' digest; anything else raises _Uncacheable."""
    if isinstance(v, _PLAIN):
        return repr(v) if not isinstance(v, np.dtype) else f"dtype:{v.str}"
    if isinstance(v, (tuple, list)):
        return ("(" if isinstance(v, tuple) else "[") + ",".join(
            _encode(u, ext, budget) for u in v) + ")"
    if isinstance(v, dict):
        return "{" + ",".join(f"{_encode(k, ext, budget)}:{_encode(u, ext, budget)}"
                              for k, u in v.items()) + "}"
    if type(v) is np.ndarray and v.dtype.kind != "O":
        budget[0] -= v.nbytes
        if budget[0] < 0:
            raise _Uncacheable(f"more than {MAX_CONSTANT_BYTES} bytes of constants")
        return (f"array:{v.dtype.str}:{v.shape}:" +
                hashlib.blake2b(np.ascontiguousarray(v).tobytes(), digest_size=16).hexdigest())
    if isinstance(v, Variable):
        i = ext.setdefault(id(v), (len(ext), v))[0]
        return f"var:{i}"
    if isinstance(v, slice):
        return f"slice({_encode(v.start, ext, budget)},{_encode(v.stop, ext, budget)}," \
               f"{_encode(v.step, ext, budget)})"
    raise _Uncacheable(f"a node attribute of type {type(v).__name__}")


#: node fields structure_key writes by repr
_FIELDS = frozenset(["op", "inputs", "shape", "dtype", "source", "scope", "frame", "tags",
                     "attrs"])
_SIMPLE = (int, float, bool, str, type(None))


def _attrs(attrs, ext, budget):
    out = []
    for k, v in attrs.items():
        t = type(v)
        if t in _SIMPLE or (t is tuple and all(type(u) in _SIMPLE for u in v)):
            out.append(f"{k}={v!r}")
        else:
            out.append(f"{k}={_encode(v, ext, budget)}")
    return ",".join(out)


def _code_text(f):
    """What a function of an op (impl, shape rule) contributes: graphflow's by name (its source
    is in the fingerprint), numpy's functions by name, another Python function by its code."""
    mod = str(getattr(f, "__module__", None))
    if f is None or mod == "graphflow" or mod.startswith("graphflow."):
        return f"{mod}.{getattr(f, '__qualname__', '')}"
    if isinstance(f, np.ufunc) or mod == "numpy" or mod.startswith("numpy."):
        return f"numpy:{getattr(f, '__qualname__', None) or f.__name__}"
    code = getattr(f, "__code__", None)
    if code is None:
        raise _Uncacheable(f"an op function of type {type(f).__name__}")
    return f"{mod}.{f.__qualname__}:" + hashlib.sha256(
        code.co_code + repr(code.co_consts).encode()).hexdigest()[:16]


_OP_TEXT = {}


def _op_text(name):
    t = _OP_TEXT.get(name)
    if t is None:
        op = OPS.get(name)
        if op is None:
            raise _Uncacheable(f"op {name!r} is not in the op table")
        # the name too: ops made by one factory share an impl's qualname (reduce_max and
        # reduce_sum are both `_red.<locals>.fn`), and two such graphs keyed alike
        t = f"{name}|{_code_text(op.impl)}|{_code_text(op.rule)}|{op.kind}|{op.effects}"
        if not _code_text(op.rule).startswith("graphflow"):    # an op defined elsewhere
            t += "|" + ",".join(f"{k}={_code_text(v) if callable(v) else repr(v)}"
                                for k, v in sorted(op.facts.items()))
            return t        # (not memoized: its definition may change in this process)
        _OP_TEXT[name] = t
    return t


def structure_key(graph, backend):
    """(key, externals): the cache key of traced `graph` for `backend` and the Variables it
    mentions in order, or (None, why not cacheable)."""
    if graph.symbolic:
        return None, "unknown dims (one plan per concrete shape)"
    ext, budget = {}, [MAX_CONSTANT_BYTES]
    h = hashlib.sha256(f"{fingerprint()}|{backend}|{graph.name}|{graph.params}|"
                       f"{graph.outputs}|{graph.effects}\n".encode())
    nodes, succ = graph.nx._node, graph.nx._succ
    try:
        for n in sorted(nodes):
            d = nodes[n]
            # the fields tracing fills with plain values by repr (C speed), the attributes
            # (Variables, constants) and anything else through _encode
            rest = [f"{k}={_encode(v, ext, budget)}" for k, v in d.items() if k not in _FIELDS]
            h.update(f"{n}|{_op_text(d['op'])}|{d['inputs']}|{d['shape']}|{d['dtype'].str}|"
                     f"{d['source']}|{d['scope']}|{d.get('frame')}|{d['tags']!r}|"
                     f"{_attrs(d['attrs'], ext, budget)}|{rest}|"
                     f"{sorted(succ[n].items())!r}\n".encode())
    except _Uncacheable as e:
        return None, str(e)
    return h.hexdigest(), [v for _, v in sorted(ext.values(), key=lambda iv: iv[0])]


class _Pickler(pickle.Pickler):
    def __init__(self, f, index):
        super().__init__(f, protocol=pickle.HIGHEST_PROTOCOL)
        self.index = index

    def reducer_override(self, obj):
        # a builtin dtype as numpy's own singleton when loaded (a pickled dtype loads as an
        # equal copy, and the backend compares dtypes by identity: e.g. the in-place SGD
        # update, `inplace.run`, never ran for an input's dtype; a step was 2-3x slower)
        if isinstance(obj, np.dtype) and obj.isbuiltin:
            return np.dtype, (obj.str,)
        return NotImplemented

    def persistent_id(self, obj):
        if isinstance(obj, Variable):
            i = self.index.get(id(obj))
            if i is None:
                raise _Uncacheable("a Variable the traced graph does not read")
            return i
        return None


class _Unpickler(pickle.Unpickler):
    def __init__(self, f, variables):
        super().__init__(f)
        self.variables = variables

    def persistent_load(self, pid):
        return self.variables[pid]


def _state(g):
    return (g.name, g.nx, g.params, g.outputs, g.effects, list(g.variables.values()),
            g.dim_checks, getattr(g, "dim_aliases", {}))


def _graph(state):
    import itertools
    name, nxg, params, outputs, effects, variables, dim_checks, dim_aliases = state
    g = Graph(name)
    g.nx, g.params, g.outputs, g.effects = nxg, params, outputs, effects
    g.variables = {id(v): v for v in variables}
    g.dim_checks, g.dim_aliases = dim_checks, dim_aliases
    g._ids = itertools.count(max(nxg, default=-1) + 1)
    return g


class Lookup:
    """One trace's look-up: `hit` is (optimized graph, fused graph or None) or None;
    `store(optimized, fused)` writes the entry after a miss."""

    def __init__(self, traced, backend):
        self.hit, self.key, self.variables = None, None, None
        if not enabled():
            return
        self.key, self.variables = structure_key(traced, backend)
        if self.key is None:
            STATS["uncacheable"] += 1
            STATS["why"] = self.variables
            return
        self.path = os.path.join(cache_dir(), f"{self.key[:40]}.plan")
        try:
            with open(self.path, "rb") as f:
                blob = f.read()
        except OSError:
            STATS["misses"] += 1
            return
        try:
            head, digest, payload = blob[:len(FORMAT)], blob[len(FORMAT):len(FORMAT) + 32], \
                blob[len(FORMAT) + 32:]
            if head != FORMAT or hashlib.sha256(payload).digest() != digest:
                raise ValueError("format or checksum does not match")
            key, opt, fused = _Unpickler(io.BytesIO(payload), self.variables).load()
            if key != self.key:
                raise ValueError("another graph's entry")
            self.hit = (_graph(opt), None if fused is None else _graph(fused))
            STATS["hits"] += 1
        except Exception:       # a damaged entry: delete it, run the passes
            STATS["corrupt"] += 1
            STATS["misses"] += 1
            try:
                os.unlink(self.path)
            except OSError:
                pass

    @property
    def side_path(self):
        """The entry's path without its extension, where the backend may keep what it learns
        about this plan (the numba plan's compiled steps and thread choice: `<side>.steps`,
        `<side>.threads`), or None when the graph is not cached."""
        return None if self.key is None else self.path[:-len(".plan")]

    def store(self, optimized, fused=None):
        """Write the entry (atomically; a read-only or full disk leaves the cache as it is)."""
        if self.key is None or self.hit is not None:
            return
        index = {id(v): i for i, v in enumerate(self.variables)}
        buf = io.BytesIO()
        try:
            _Pickler(buf, index).dump((self.key, _state(optimized),
                                       None if fused is None else _state(fused)))
        except Exception as e:      # an attribute pickle cannot write: not cached
            STATS["uncacheable"] += 1
            STATS["why"] = f"{type(e).__name__}: {e}"
            return
        payload = buf.getvalue()
        if write_atomically(self.path, FORMAT + hashlib.sha256(payload).digest() + payload):
            STATS["stores"] += 1
