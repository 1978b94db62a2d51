"""`NumbaPlan`: run a graph with fused, compiled kernels (numpy for everything else).

Building a plan is cheap and never waits for a compiler: the graph is fused
(`graphflow.passes.fusion.fuse`), scheduled (`graphflow.backends.schedule`: slots, liveness, the
order of units), every cluster is lowered into a kernel spec and source (`lower_cluster`), and
the kernels are requested from the cache (`cache.request`). Until a cluster's kernel is ready the
cluster runs on numpy (the op table's implementations, exactly like `NumpyPlan`); each call then
switches to the compiled kernel by itself. `wait()` blocks until all of this plan's kernels are
compiled.

Per step at run time (each step is specialized into straight-line Python once):
  * numpy node: one call of the op table's impl, its attributes bound in the generated source
    (effects - variable reads, assigns, prints - too, in program order). An assign whose value
    nothing else references takes the array over instead of copying it;
  * cluster: the anchor matmul (np.matmul, i.e. BLAS; a batched or big one by chunks on the
    chunk pool with each chunk's epilogue right after it, `blas.matmul_runner`, and a batched
    matmul of the loop's output in the same chunks, `take_product`), then one kernel call.
    Operands are viewed with the collapsed loop shape (free for C-contiguous arrays; others are
    copied once), scalars and uniform constants are passed as numpy scalars; outputs read
    only inside the call are written into the step's buffers of the last call while nothing
    else references those (`_ClusterStep._kept_outputs`), others are allocated fresh. Big
    loops run in chunks on all cores (`parallel.ChunkPool`); a split
    reduction's chunks write partial results, combined after - on one thread (the pool would
    run one chunk) the kernel writes the result itself instead;
  * the SGD update `assign(v, v - c * matmul(a, b))` runs as one in-place BLAS gemm when that
    is invisible (`inplace.py`).
A plan with a big product or a chunked kernel times its calls and runs them on all cores or on
one thread, whichever is faster on the machine now (`blas_choice.py`; a line of the report).
A plan whose products are all small (and that runs no other BLAS user) switches BLAS to one
thread once per call instead of once per product (`small_products`).
"""
import atexit
import marshal
import sys
import time
import types
import weakref

import numpy as np

from ...blas_threads import SINGLE_BLAS, SMALL_GEMM, single_threaded_matmul
from ...dispatch import NUMERICS_CHECKS
from ...evaluate import NumpyPlan, node_runner, note_run, runtime_error
from ...ops.math_ops import MATMUL
from ...ops.registry import ANCHOR, ASSIGN, CONSTANT, CONTROL, OPS
from ...passes.fusion import fuse, int_division, value_inputs
from .. import schedule as sched
from ..plan_cache import write_atomically
from . import blas, blas_choice, cache, conv, heap, inplace, lowering, resize, scatter
from . import loop as loop_lowering
from .blas_choice import BlasChoice, busy as no_idle_core
from .lower_cluster import lower_cluster
from .parallel import CHUNK_ELEMENTS, ONE_THREAD, pool as _chunk_pool

#: while some kernel of a plan is still being compiled, its calls (after the first) run on one
#: thread (BLAS and the chunk pool): the compiler process needs the other core, and numpy's
#: small products on BLAS threads collapse on a loaded machine. Measured on the issue-12 conv
#: step's numpy path (2 cores, load 7): CPU per step 128 -> 98 ms, wall 191 -> 166 ms.
PENDING_ON_ONE_THREAD = True


class _OneThreadAndBlas:
    """`SINGLE_BLAS` and `ONE_THREAD` together: a plan's calls on this thread alone."""

    def __enter__(self):
        SINGLE_BLAS.__enter__()
        ONE_THREAD.__enter__()

    def __exit__(self, *exc):
        ONE_THREAD.__exit__(*exc)
        SINGLE_BLAS.__exit__(*exc)


ONE_THREAD_AND_BLAS = _OneThreadAndBlas()


#: generated step source -> its compiled code, for this process; a plan kept in the plan cache
#: also keeps its steps' code in a file next to the entry (`_load_step_code`), which a warm start
#: reads instead of compiling them (the MLP step's 26 steps: ~6 ms of CPU of its first call)
_STEP_CODE = {}
STEP_CODE_LIMIT = 4096
_STEP_CODE_FORMAT = b"gf-step-code-1\n" + sys.version.encode() + b"\n"


def _compile(src, **ns):
    """Define the function `call` from generated source with the names in `ns`."""
    code = _STEP_CODE.get(src)
    if code is None:
        if len(_STEP_CODE) >= STEP_CODE_LIMIT:
            _STEP_CODE.clear()
        code = _STEP_CODE[src] = compile(src, "<graphflow-numba-step>", "exec")
    exec(code, ns)
    return ns["call"]


def _load_step_code(path):
    """Read a plan's compiled step code (written by `_save_step_code`) into this process's
    `_STEP_CODE`; the set of sources read (empty if none, another Python, or unreadable)."""
    try:
        with open(path, "rb") as f:
            blob = f.read()
        if not blob.startswith(_STEP_CODE_FORMAT):
            return set()
        table = marshal.loads(blob[len(_STEP_CODE_FORMAT):])
        if not isinstance(table, dict) or not all(
                isinstance(k, str) and isinstance(v, types.CodeType) for k, v in table.items()):
            return set()
    except (OSError, ValueError, EOFError, TypeError):
        return set()
    for k, v in table.items():
        _STEP_CODE.setdefault(k, v)
    return set(table)


def _save_step_code(path, sources):
    """Write the compiled code of `sources` to `path` (atomically; errors leave it as it was)."""
    table = {k: _STEP_CODE[k] for k in sources if k in _STEP_CODE}
    write_atomically(path, _STEP_CODE_FORMAT + marshal.dumps(table))


def _fix_array(x, dt, tile=256):
    """An operand that is not a C-contiguous ndarray of the kernel's dtype: copy it once.

    A transposed view (its fastest axis is not the last) is copied in tiles over those two
    axes, so the reads and writes of a tile stay in cache: numpy's own copy of a transposed
    (4096, 1024) float32 walks the input column by column, 7x a plain copy on this machine;
    by tiles 2.5x (measured interleaved, load 4).

    >>> x = np.arange(6.0).reshape(2, 3).T
    >>> _fix_array(x, np.float32, tile=2)
    array([[0., 3.],
           [1., 4.],
           [2., 5.]], dtype=float32)
    """
    x = np.asarray(x)
    nd = x.ndim
    big = [k for k in range(nd) if x.shape[k] > 1]
    if len(big) < 2 or x.size < tile * tile:
        return np.ascontiguousarray(x, dt)
    fast = min(big, key=lambda k: abs(x.strides[k]))
    last = big[-1]
    if fast == last:                  # rows already contiguous: numpy copies them fast
        return np.ascontiguousarray(x, dt)
    out = np.empty(x.shape, dt)
    idx = [slice(None)] * nd
    for i in range(0, x.shape[fast], tile):
        idx[fast] = slice(i, i + tile)
        for j in range(0, x.shape[last], tile):
            idx[last] = slice(j, j + tile)
            t = tuple(idx)
            np.copyto(out[t], x[t], casting="unsafe")
    return out


def _fix_scalar(x, dt):
    return np.asarray(x, dt).reshape(-1)[0]


def _matmul_source(d, slots, ns, switched=False):
    """Source of a matmul node's call: np.matmul on `.T` views for 2-D operands (the op's impl
    costs an extra Python frame and two swapaxes calls); None otherwise. A small product
    switches BLAS to one thread itself unless `switched` (the plan's whole call does)."""
    if OPS[d["op"]] is not MATMUL or not all(len(s) == 2 for s in d["_in_shapes"]):
        return None
    ns["MM"] = np.matmul
    a, b = slots
    ta = ".T" if d["attrs"]["transpose_a"] else ""
    tb = ".T" if d["attrs"]["transpose_b"] else ""
    (m, k), (_, n) = (s[::-1] if t else s for s, t in zip(
        d["_in_shapes"], (d["attrs"]["transpose_a"], d["attrs"]["transpose_b"])))
    if all(isinstance(v, (int, np.integer)) for v in (m, k, n)) and m * k * n < SMALL_GEMM \
            and not switched:
        ns["MM"] = single_threaded_matmul
    return f"MM(vals[{a}]{ta}, vals[{b}]{tb})"


def _identity(kind, dtype):
    """The identity of a reduction monoid in `dtype` (0, 1, the lowest/highest value)."""
    dtype = np.dtype(dtype)
    if kind in ("sum", "prod"):
        return dtype.type(0 if kind == "sum" else 1)
    if dtype.kind == "b":
        return np.bool_(kind == "min")
    if dtype.kind == "f":
        return dtype.type(-np.inf if kind == "max" else np.inf)
    info = np.iinfo(dtype)
    return dtype.type(info.min if kind == "max" else info.max)


def _combiner(kind, dtype, shape):
    """Combine the per-chunk partial results of a split reduction (first axis) into the
    reduction's value: sums and products in float64 (int64 for integers, which wrap like the
    serial kernel), max/min with numpy (NaN propagates)."""
    dtype = np.dtype(dtype)
    wide = np.float64 if dtype.kind == "f" else (np.uint64 if dtype.kind == "u" else np.int64)
    if kind in ("sum", "prod"):
        red = np.sum if kind == "sum" else np.prod

        def comb(p):
            return red(p, axis=0, dtype=wide).astype(dtype).reshape(shape)
    else:
        red = np.max if kind == "max" else np.min

        def comb(p):
            return red(p, axis=0).reshape(shape)
    return comb


def _static_runner(d, g=None):
    """node_runner, except that value-independent ops (ones_like/zeros_like) use the static
    shape (their input may be skipped: only its shape matters); ops with the backend's own
    kernels (`lowering.KERNELS`) use them (`g`: the graph, for the inputs' static shapes)."""
    if d["op"] in lowering.KERNELS:
        run = conv.runner(d, None if g is None else [g.nodes[u]["shape"] for u in d["inputs"]])
        if run is not None:
            return run
    if resize.covers(d):        # image resizing (and its adjoint) as a numba loop
        return resize.runner(d)
    if scatter.covers(d):       # row scatter-adds (embedding gradients, segment sums)
        return scatter.runner(d, None if g is None else g.nodes[d["inputs"][1]]["dtype"])
    # batched / big products on the chunk pool
    run = blas.matmul_runner(d, None if g is None else [g.nodes[u]["shape"] for u in d["inputs"]])
    if run is not None:
        return run
    facts = OPS[d["op"]].facts
    if facts.get("value_independent") and value_inputs(d) == ():
        shape, dtype, fill = d["shape"], d["dtype"], facts["fill_value"]
        return lambda *_: np.full(shape, fill, dtype)
    if any(hasattr(type(v), "with_backend") for v in d["attrs"].values()):
        # a cond/while_loop: its sub-graphs run on this backend too
        d = dict(d, attrs={k: v.with_backend(NumbaPlan) if hasattr(type(v), "with_backend")
                           else v for k, v in d["attrs"].items()})
    return node_runner(d)


def _plain_impl(d, g):
    """(impl, attrs) when `_static_runner(d, g)` is the op table's impl called with the node's
    attributes (node_runner); None for the backend's own runners (conv kernels, products,
    value-independent fills, control flow) and attribute names that are not keywords."""
    if (d["op"] in lowering.KERNELS or OPS[d["op"]] is MATMUL or resize.covers(d)
            or scatter.covers(d)):
        return None
    if blas.matmul_runner(d, [g.nodes[u]["shape"] for u in d["inputs"]]) is not None:
        return None
    facts = OPS[d["op"]].facts
    if facts.get("value_independent") and value_inputs(d) == ():
        return None
    attrs = d["attrs"]
    if any(hasattr(type(v), "with_backend") for v in attrs.values()):
        return None
    if not all(isinstance(k, str) and k.isidentifier() and k not in ("vals", "IMPL")
               for k in attrs):
        return None
    return OPS[d["op"]].impl, attrs


def _has_big_gemm(gx, order):
    """True if a matmul of the graph has SMALL_GEMM or more multiply-adds (or unknown dims):
    its BLAS call may run on several threads."""
    for n in order:
        d = gx.nodes[n]
        if OPS[d["op"]] is not MATMUL:
            continue
        a, b = (gx.nodes[u]["shape"] for u in d["inputs"][:2])
        if len(a) < 2 or len(b) < 2:
            continue
        dims = list(d["shape"]) + [a[-2] if d["attrs"].get("transpose_a") else a[-1]]
        if not all(isinstance(v, (int, np.integer)) for v in dims):
            return True
        if int(np.prod(dims, dtype=np.int64)) >= SMALL_GEMM:
            return True
    return False


def _small_products_only(gx, order):
    """True if the graph (no product of SMALL_GEMM or more multiply-adds: `_has_big_gemm`) has
    at least two matmuls and no other op that may call BLAS or wait for something else: anchors
    other than matmul (conv, linalg), control flow (a loop body's products), einsum, ops with
    effects beyond variable reads/writes (py_function's user code, prints, collectives, which
    would hold BLAS on one thread for every thread meanwhile) and ops holding functions or
    sub-graphs keep their own switches.

    >>> from graphflow.graph import Graph
    >>> g = Graph("f")
    >>> x = g.add_node("parameter", (), {"index": 0, "name": "x"}, (4, 4), np.float32)
    >>> m = [g.add_node("matmul", (x, x), {"transpose_a": False, "transpose_b": False}, (4, 4),
    ...                 np.float32) for _ in range(2)]
    >>> _small_products_only(g.nx, [x] + m), _small_products_only(g.nx, [x, m[0]])
    (True, False)
    """
    products = 0
    for n in order:
        name = gx.nodes[n]["op"]
        op = OPS[name]
        if op is MATMUL:
            products += 1
        elif (op.kind in (ANCHOR, CONTROL) or name in lowering.KERNELS or name == "einsum"
              or any(e not in ("read", "write") for e in op.effects)
              or any((callable(v) and not isinstance(v, type))   # user code, sub-graphs
                     or hasattr(type(v), "with_backend")
                     for v in gx.nodes[n]["attrs"].values())):
            return False
    return products >= 2


class _NodeStep:
    kind = "node"

    def __init__(self, plan, n):
        d = plan.graph.nx.nodes[n]
        self.plan, self.node, self.d = plan, n, d
        self.out = plan.slot[n]
        self.ins = tuple(plan.slot[u] for u in value_inputs(d))
        self.fn = _static_runner(d, plan.graph.nx)
        self.assign_fast = None
        if OPS[d["op"]] is ASSIGN and d["attrs"].get("spec") is None:
            self.assign_fast = d["attrs"]["var"]
            self.value_slot = plan.slot[d["inputs"][0]]

        args = ", ".join(f"vals[{i}]" for i in self.ins)
        pre = ("        if adopt(vals):\n            return\n"
               if self.assign_fast is not None else "")
        ns = dict(fn=self.fn, adopt=self._adopt, error=self._error)
        direct = _plain_impl(d, plan.graph.nx)
        if direct is not None:
            # the op table's impl called with the attributes as keywords bound in the source
            # (node_runner's lambda costs a frame and a **attrs dict per call)
            impl, attrs = direct
            ns["IMPL"] = impl
            kws = []
            for i, (k, v) in enumerate(attrs.items()):
                ns[f"A{i}"] = v
                kws.append(f"{k}=A{i}")
            args = ", ".join([args] * bool(args) + kws)
            args_call = f"IMPL({args})"
        else:
            args_call = f"fn({args})"
        expr = _matmul_source(dict(d, _in_shapes=[plan.graph.nx.nodes[u]["shape"]
                                                  for u in d["inputs"]]), self.ins, ns,
                              plan.small_products)
        self.direct = expr is not None
        self.call_source = ("def call(vals):\n    try:\n" + pre
                            + f"        vals[{self.out}] = {expr or args_call}\n"
                            "    except Exception as e:\n        raise error(e) from None\n")
        self.call = _compile(self.call_source, **ns)

    def __call__(self, vals):
        return self.call(vals)

    def _error(self, e):
        return runtime_error(self.plan.graph, self.node, e)

    def _adopt(self, vals):
        """assign without the copy when nothing but this run references the new value (an array
        a kernel or BLAS just allocated): the variable takes the array over. A value that a
        caller, an output or another slot also holds (refcount) or that is a view is copied."""
        v = vals[self.value_slot]
        old = self.assign_fast._value
        if v is old:            # updated in place (see inplace.run)
            return True
        if (v.__class__ is not np.ndarray or v.base is not None or v.dtype != old.dtype
                or v.shape != old.shape or sys.getrefcount(v) > inplace.REFS_HELD):
            return False
        self.assign_fast._value = v
        return True

    def describe(self):
        d = self.d
        own = getattr(self.fn, "kernels", None) is not None      # conv.py's kernels
        text = (f"{'numba' if own else 'numpy'}  %{self.node} {d['op']}  {d['shape']} "
                f"{d['dtype'].name}  @ {d['source']}")
        sg = d["attrs"].get("loop")
        if hasattr(type(sg), "with_backend"):   # a while_loop: compiled whole, or why not
            text += f"\n    loop:    {sg.with_backend(NumbaPlan).loop_lowering or 'not run yet'}"
        if OPS[d["op"]] is MATMUL:
            g = self.plan.graph.nx
            text += "\n    product: " + (
                "one np.matmul call on views (transposes as BLAS flags)" if self.direct else
                blas.describe(d, [g.nodes[u]["shape"] for u in d["inputs"]]))
        if d["op"] in lowering.KERNELS:
            g = self.plan.graph.nx
            text += "\n    kernels: " + conv.describe(d, [g.nodes[u]["shape"] for u in d["inputs"]],
                                                       self.fn)
        return text


def _free_refs():
    """sys.getrefcount of a kept output buffer that only its step's list and the generated
    call's local hold (the list, the local, getrefcount's argument)."""
    kept = [np.empty(1)]
    o = kept[0]
    return sys.getrefcount(o)


#: see `_ClusterStep._kept_outputs`
KEPT_FREE = _free_refs()
#: bigger outputs are allocated fresh each call: a kept buffer stays allocated between calls
#: (for as long as the plan lives), and the allocation is a small part of filling such a buffer
KEEP_BYTES = 4 << 20


class _ClusterStep:
    kind = "cluster"
    pre_steps = ()
    inplace = None
    inplace_runs = 0
    follow = None           # a batched matmul or a max pooling of an output, run per chunk
    #                         here (take_product)

    def __init__(self, plan, k, info, live):
        g = plan.graph.nx
        self.plan, self.k, self.info = plan, k, info
        self.anchor = info["anchor"]
        members = [m for m in info["nodes"] if m in live and m != self.anchor]
        self.members = members
        mset = set(members) | ({self.anchor} if self.anchor is not None else set())
        self.fresh = False
        self.kernel = None
        self.last_error = None
        # numpy fallback: the same nodes through the op table's implementations
        fb = []
        for m in ([self.anchor] if self.anchor is not None else []) + members:
            d = g.nodes[m]
            fb.append((plan.slot[m], _static_runner(d, g),
                       tuple(plan.slot[u] for u in value_inputs(d)), m))
        self.fallback_steps = fb
        if self.anchor is not None:
            d = g.nodes[self.anchor]
            self.anchor_run = (plan.slot[self.anchor], _static_runner(d, g),
                               tuple(plan.slot[u] for u in d["inputs"]))
        # which members are read outside (live consumers) or returned
        outs = []
        for m in members:
            if m in plan.outputs_set or any(
                    v in live and v not in mset and m in value_inputs(g.nodes[v])
                    for v in g.successors(m)):
                outs.append(m)
        self.outs = outs
        # the anchor's output read by this step's members alone (`_anchor_internal`)
        a = self.anchor
        self.anchor_only_here = a is not None and a not in plan.outputs_set and all(
            v in mset or v not in live or a not in value_inputs(g.nodes[v])
            for v in g.successors(a))
        # kept with the fused graph, so the plan cache (backends/plan_cache.py) stores it too
        memo = g.graph.setdefault("lowered", {})
        if k not in memo:
            memo[k] = lower_cluster(g, info, members, self.anchor, outs, plan.slot,
                                    plan.contiguous, plan.outputs_set)
        self.lowered, self.why_numpy = memo[k]
        if self.lowered is None:    # its values come from numpy: views, maybe (a broadcast)
            plan.contiguous.difference_update(members)
        lo = self.lowered
        self.absorbed = lo.absorbed if lo is not None else []
        if lo is not None:
            self.spec, self.source, self.extents = lo.spec, lo.source, lo.extents
            self.parallel, self.op_plan, self.out_plan = lo.parallel, lo.operands, lo.outputs
            self.split = lo.split

    def take_product(self, st):
        """Run node step `st` (the next step) inside this one when it is a batched float matmul
        whose first operand is an output of this step's fused-anchor loop, chunked like it:
        each chunk's product runs right after the chunk's epilogue, on the same thread, while
        its rows are in cache (attention: a head's probabilities @ v after its softmax); or
        a node whose runner works per batch chunk (`_take_per_chunk`). True if taken."""
        g = self.plan.graph.nx
        fused = self._fused_anchor() if self.why_numpy is None else None
        d = st.d if st.kind == "node" else None
        if fused is None or d is None or self.follow is not None:
            return False
        if OPS[d["op"]] is not MATMUL:
            return self._take_per_chunk(st, fused)
        run = blas.matmul_runner(d)
        shape, rank = fused[0], len(fused[0])
        a, b = d["inputs"][:2]
        sa, sb, so = (tuple(g.nodes[u]["shape"]) for u in (a, b, st.node))
        full = [j for j, o in enumerate(self.out_plan[:len(self.spec.outputs)])
                if o.slot == self.plan.slot[a] and a in self.outs]
        if run is None or not full or rank < 3 or a == b or \
                self.plan.producer.get(b) is self or len(sa) != rank or len(so) != rank or \
                sa[0] != shape[0] or so[0] != shape[0] or not (
                    len(sb) < rank or sb[0] in (1, shape[0])) or \
                not all(isinstance(v, (int, np.integer)) for v in so):
            return False
        self.follow = dict(node=st.node, slot=st.out, run=run, j=full[0], b=self.plan.slot[b],
                           shape=tuple(int(v) for v in so), dtype=d["dtype"], rank=rank,
                           per=self.extents[0] // shape[0])
        self.fallback_steps = self.fallback_steps + [(st.out, st.fn, st.ins, st.node)]
        return True

    def _take_per_chunk(self, st, fused):
        """Run node step `st` inside this one when its runner works batch chunk by batch chunk
        (`per_chunk`: conv.py's max pooling) on an output of this step's fused-anchor loop:
        each chunk pooled right after its epilogue, on the same thread, while the rows are in
        cache (conv + bias + relu, then max pooling). True if taken."""
        per_chunk = getattr(st.fn, "per_chunk", None)
        d, g = st.d, self.plan.graph.nx
        if per_chunk is None or len(d["inputs"]) != 1:
            return False
        a = d["inputs"][0]
        full = [j for j, o in enumerate(self.out_plan[:len(self.spec.outputs)])
                if o.slot == self.plan.slot[a] and a in self.outs]
        sa = tuple(g.nodes[a]["shape"])
        if not full or not sa or sa[0] != fused[0][0]:
            return False
        self.follow = dict(node=st.node, slot=st.out, per_chunk=per_chunk, j=full[0],
                           per=self.extents[0] // fused[0][0], fn=st.fn)
        self.fallback_steps = self.fallback_steps + [(st.out, st.fn, st.ins, st.node)]
        return True

    def request(self, sync=None):
        if self.why_numpy is None and self.kernel is None:
            self.kernel = cache.request(self.source, self.spec.arg_types(), sync)
        self._make_call()

    # ------------------------------------------------------------------ running
    def _make_call(self):
        """Specialize the step into straight-line code: operands unrolled, static shapes, views
        and constants baked in (a generic loop over operands costs several µs per kernel)."""
        if self.why_numpy is not None or self.kernel is None:
            if self.inplace is not None:
                inplace, numpy_path = self._inplace_run, self._numpy_path

                def call(vals):
                    if not inplace(vals):
                        numpy_path(vals)
                self.call = call
            else:
                self.call = self.run_numpy
            return
        ns = {"K": self.kernel, "numpy_path": self._numpy_path, "failed": self._failed,
              "step": self, "ND": np.ndarray, "empty": np.empty, "full": np.full, "fix": _fix_array,
              "scalar": _fix_scalar}
        body = []
        fused = self._fused_anchor()
        if fused is not None:
            # the anchor computes into A batch chunk by batch chunk and runs the epilogue's
            # chunk(lo, hi) on each as soon as it is done (`lowering.FUSED_EPILOGUE`)
            s, f, ins = self.anchor_run
            ns["AFZ"], ns["AD"] = f.fused, fused[1]
            if self._anchor_internal():
                # read by this loop alone: chunk-sized buffers, no full-size output
                ns["AS"] = conv.AnchorScratch
                body.append(f"A = AS({fused[0]}, AD)")
            else:
                body.append(f"vals[{s}] = A = empty({fused[0]}, AD)")
        elif self.anchor is not None:
            s, f, ins = self.anchor_run
            ns["AF"] = f
            g = self.plan.graph.nx
            d = g.nodes[self.anchor]
            expr = _matmul_source(dict(d, _in_shapes=[g.nodes[u]["shape"] for u in d["inputs"]]),
                                  ins, ns, self.plan.small_products)
            body.append(f"vals[{s}] = {expr or 'AF(' + ', '.join(f'vals[{i}]' for i in ins) + ')'}")
        args = [str(e) for e in self.extents]
        sliced = []                       # (arg index) of arrays cut along the outer loop dim
        scratch = {}                      # arg index -> the AnchorScratch rows' tail shape
        # an integer division's divisor (a graph input: fusion._divisor_checkable) with a zero
        # takes the numpy path, whose impl raises naming the op; a kernel would give 0
        g = self.plan.graph.nx
        divisors = {self.plan.slot[u] for u in (g.nodes[m]["inputs"][1] for m in self.members
                                                if int_division(g, m))
                    if g.nodes[u]["op"] != "constant"}     # (constants: checked by fusion)
        if divisors - {o.slot for o in self.op_plan if o.kind != "const"}:
            body.append("return numpy_path(vals)")      # (not read as an operand: never here)
        for j, o in enumerate(self.op_plan):
            ns[f"D{j}"] = o.dtype
            if o.kind == "const":
                ns[f"C{j}"] = o.value
                args.append(f"C{j}")
                continue
            if "AS" in ns and o.slot == self.anchor_run[0]:
                scratch[len(args)] = tuple(int(v) for v in o.view[1:])
                sliced.append(len(args))
                args.append("A")
                continue
            body.append(f"x{j} = vals[{o.slot}]")
            if o.slot in divisors:
                body.append(f"if not x{j}.all(): return numpy_path(vals)")
            if o.kind == "scalar":
                ns[f"T{j}"] = o.dtype.type
                body.append(f"if x{j}.__class__ is not T{j}: x{j} = scalar(x{j}, D{j})")
                args.append(f"x{j}")
                continue
            if o.kind == "array":
                body.append(f"if x{j}.__class__ is not ND or x{j}.dtype is not D{j} or "
                            f"not x{j}.flags.c_contiguous: x{j} = fix(x{j}, D{j})")
            if o.view[0] != 1:
                sliced.append(len(args))
            args.append(f"x{j}" if o.shape == o.view else f"x{j}.reshape({o.view})")
        row = int(np.prod(self.extents[1:], dtype=np.int64)) if len(self.extents) > 1 else 1
        rows = max(1, CHUNK_ELEMENTS // max(row, 1))
        if fused is not None:
            # the anchor's batch chunks: ceil(N / MAX_CHUNKS) images each (partial sums per chunk)
            per_image = self.extents[0] // fused[0][0]
            images = -(-fused[0][0] // conv.MAX_CHUNKS)
            rows = images * per_image
        nch = -(-self.extents[0] // rows)
        partial = {}                      # arg index -> output j (split-reduce partials)
        palloc, pdirect = [], []          # their allocation; the whole-result one (one chunk)
        n_full = len(self.spec.outputs)
        n_cols = len(getattr(self.spec, "columns", ()))
        kept = self._kept_outputs()
        ns["KEPT"], ns["REFS"], ns["FREE"] = [None] * len(self.out_plan), sys.getrefcount, KEPT_FREE
        for j, o in enumerate(self.out_plan):
            ns[f"O{j}"] = o.dtype
            if self.parallel and j >= len(self.out_plan) - n_cols:
                # a column sum: a partial row per chunk (codegen.KernelSpec.columns), summed
                # in float64 after (numpy's sum of a column of -0. is +0., as the identity's)
                ns[f"COMB{j}"] = _combiner("sum", o.dtype, o.shape)
                ns[f"ID{j}"] = _identity("sum", o.dtype)
                palloc.append(f"p{j} = full({(nch,) + tuple(o.view)}, ID{j}, O{j})")
                pdirect.append(f"o{j} = empty({o.shape}, O{j})")
                partial[len(args)] = j
                args.append(f"p{j}")
                continue
            if self.parallel and self.split and j >= n_full:
                # one partial result per chunk (the chunk's rows reduced), combined after
                r = self.spec.reductions[j - n_full]
                ns[f"COMB{j}"] = _combiner(r.kind, o.dtype, o.shape)
                # filled with the monoid's identity: the pool may run several chunks in one
                # call (e.g. no helper threads), which writes only that call's partial
                ns[f"ID{j}"] = _identity(r.kind, o.dtype)
                # (a column reduction's partial is a row: the kernel writes its 1-D result)
                lead = self.split == "leading"
                palloc.append(f"p{j} = full({(nch,) + tuple(o.view[0 if lead else 1:])}, "
                              f"ID{j}, O{j})")
                pdirect.append(f"o{j} = empty({o.shape}, O{j})")
                partial[len(args)] = j
                args.append(f"p{j}")
                continue
            if j in kept:       # last call's buffer, when nothing else holds it any more
                body += [f"o{j} = KEPT[{j}]",
                         f"if o{j} is None or REFS(o{j}) != FREE: "
                         f"o{j} = KEPT[{j}] = empty({o.shape}, O{j})"]
            else:
                body.append(f"o{j} = empty({o.shape}, O{j})")
            if o.view[0] != 1:
                sliced.append(len(args))
            args.append(f"o{j}" if o.shape == o.view else f"o{j}.reshape({o.view})")
        if self.parallel or fused is not None:
            # views once, then each chunk calls the serial kernel on rows [lo, hi)
            body += [f"w{i} = {a}" for i, a in enumerate(args) if i in sliced and i not in scratch]
            cargs = ["hi - lo"] + args[1:len(self.extents)] + [
                f"A.rows(lo, hi, {scratch[i]})" if i in scratch else
                f"w{i}[lo:hi]" if i in sliced else
                (f"{a}[lo // ROWS]" if i in partial and (
                    self.split == "leading" or partial[i] >= len(self.out_plan) - n_cols) else
                 f"{a}[lo // ROWS:lo // ROWS + 1]" if i in partial else a)
                for i, a in enumerate(args) if i >= len(self.extents)]
            ns["POOL"] = _chunk_pool()
            ns["ROWS"] = rows
            if partial and fused is None and self.follow is None:
                # run as one chunk (one thread): the kernel writes the result itself, no
                # partials to fill and combine (the same value: the other partials are the
                # identity; ~0.1 ms of a 16 MB column sum)
                dargs = [f"o{partial[i]}" if i in partial and self.out_plan[partial[i]].shape
                         == self.out_plan[partial[i]].view else
                         f"o{partial[i]}.reshape({self.out_plan[partial[i]].view})"
                         if i in partial else a for i, a in enumerate(args)]
                body += [f"if POOL.serial({self.extents[0]}, ROWS):"]
                body += ["    " + t for t in pdirect + [f"fn({', '.join(dargs)})"]]
                body += ["else:"]
                ind = "    "
            else:
                body += palloc
                ind = ""
            body += [ind + t for t in palloc if ind]
            body += [ind + "def chunk(lo, hi):", ind + f"    fn({', '.join(cargs)})"]
            fw = self.follow
            if fw is not None and "per_chunk" in fw:    # e.g. max pooling, on these images
                ns["PCH"] = fw["per_chunk"]
                body[-2:-2] = [f"pch, pfin = PCH(o{fw['j']})"]
                body.append(f"    pch(lo // {fw['per']}, hi // {fw['per']})")
            elif fw is not None:    # the next matmul, on this chunk's batch entries
                ns["FP"], ns["FD"] = fw["run"].into, fw["dtype"]
                body[-2:-2] = [f"of = empty({fw['shape']}, FD)", f"fb = vals[{fw['b']}]",
                               f"fbs = fb.ndim == {fw['rank']} and fb.shape[0] != 1"]
                cut = f"[lo // {fw['per']}:hi // {fw['per']}]"
                body.append(f"    FP(o{fw['j']}{cut}, fb{cut} if fbs else fb, of{cut})")
            if fused is not None:
                ins = ", ".join(f"vals[{i}]" for i in self.anchor_run[2])
                body.append(f"AFZ({ins}, A, chunk, {per_image}, {images})")
                if fw is not None and "per_chunk" in fw:
                    body.append("of = pfin()")
            else:
                body.append(ind + f"POOL.run(chunk, {self.extents[0]}, ROWS)")
            body += [ind + f"o{j} = COMB{j}(p{j})" for j in partial.values()]
        else:
            body += palloc
            body.append(f"fn({', '.join(args)})")
        src = ["def call(vals):"]
        if self.inplace is not None:
            ns["INPLACE"] = self._inplace_run
            src += ["    if INPLACE(vals):", "        return"]
        src += ["    fn = K.fn", "    if fn is None:", "        return numpy_path(vals)",
                "    try:"]
        src += ["        " + b for b in body]
        src += ["    except Exception as e:", "        return failed(vals, e)"]
        src += [f"    vals[{o.slot}] = o{j}" for j, o in enumerate(self.out_plan)]
        if self.follow is not None and fused is not None:
            src.append(f"    vals[{self.follow['slot']}] = of")
        src += ["    step.fresh = True"]
        self.call_source = "\n".join(src) + "\n"
        self.call = _compile(self.call_source, **ns)

    def _kept_outputs(self):
        """Indices of the outputs whose buffer the step keeps and writes again next call while
        nothing else references it (`REFS(o) == KEPT_FREE`: not returned, not held by a
        caller, a variable, a view or another thread's call): np.empty's cost per output and
        call (~0.5 us; ~18 per MLP step). Not kept: graph outputs (returned every call),
        values an assign may adopt as the variable's new array (`_NodeStep._adopt`), which a
        kept buffer would turn into a copy, and outputs over KEEP_BYTES."""
        g, slot = self.plan.graph.nx, self.plan.slot
        kept = set()
        for j, o in enumerate(self.out_plan):
            if not all(isinstance(v, (int, np.integer)) for v in o.shape) or \
                    int(np.prod(o.shape, dtype=np.int64)) * o.dtype.itemsize > KEEP_BYTES:
                continue
            nodes = [m for m in self.members if slot[m] == o.slot]
            if nodes and not any(m in self.plan.outputs_set or any(
                    OPS[g.nodes[v]["op"]] is ASSIGN for v in g.successors(m)) for m in nodes):
                kept.add(j)
        return kept

    def _anchor_internal(self):
        """True when the fused anchor's output is read by this step's loop alone (no live
        consumer outside the cluster, not a graph output) and its runner takes chunk-sized
        buffers (`conv.AnchorScratch`)."""
        return self.anchor_only_here and getattr(self.anchor_run[1].fused, "chunk_scratch",
                                                 False)

    def _fused_anchor(self):
        """(shape, dtype) of an anchor whose runner runs this epilogue per batch chunk
        (`lowering.FUSED_EPILOGUE`), or None: the anchor's shape is static, the loop's rows are
        whole images, reductions over the rows (if any) are split into per-chunk partials,
        and it reads the anchor's output in the anchor's dtype (no conversion copy)."""
        if self.anchor is None or (not self.parallel and getattr(self.spec, "reductions", ())):
            return None
        if getattr(self.anchor_run[1], "fused", None) is None:
            return None
        d = self.plan.graph.nx.nodes[self.anchor]
        shape, slot = d["shape"], self.anchor_run[0]
        if not all(isinstance(v, (int, np.integer)) and v > 0 for v in shape) or \
                self.extents[0] % shape[0]:
            return None
        if any(o.kind != "const" and o.slot == slot and (
                o.kind not in ("array", "known") or o.dtype != d["dtype"])
               for o in self.op_plan):
            return None
        return tuple(int(v) for v in shape), d["dtype"]

    def __call__(self, vals):
        return self.call(vals)

    def _inplace_run(self, vals):
        """The SGD update by BLAS into the old value's buffer (`inplace.run`); False: take the
        normal path."""
        if not inplace.run(self.inplace, vals):
            return False
        self.fresh = True
        self.inplace_runs += 1
        return True

    def _numpy_path(self, vals):
        self.fresh = False
        return self.run_numpy(vals)

    def _failed(self, vals, e):
        """The kernel raised: re-run on numpy (pinpoints a failing node, or recovers, e.g. from
        an unexpected dtype) and remember the error for the report."""
        self.last_error = f"{type(e).__name__}: {e}"
        self.fresh = False
        return self.run_numpy(vals)

    def run_numpy(self, vals):
        n = None
        try:
            for s, f, ins, n in self.pre_steps:
                vals[s] = f(*[vals[i] for i in ins])
            for s, f, ins, n in self.fallback_steps:
                vals[s] = f(*[vals[i] for i in ins])
        except Exception as e:
            raise runtime_error(self.plan.graph, n, e) from None

    # ------------------------------------------------------------------ report
    def describe(self):
        g = self.plan.graph.nx
        info = self.info
        lines = []
        nodes = ", ".join(f"%{m} {g.nodes[m]['op']}" for m in
                          ([self.anchor] if self.anchor is not None else []) + self.members)
        lines.append(f"kernel k{self.k}  [{info['kind']}]  domain {info['domain']}"
                     + (f" -> loop {self.extents}" if self.why_numpy is None else ""))
        lines.append(f"    nodes:   {nodes}")
        if self.anchor is not None:
            ad = g.nodes[self.anchor]
            if ad["op"] in lowering.KERNELS:
                lines.append(f"    anchor:  %{self.anchor} {ad['op']}: " + conv.describe(
                    ad, [g.nodes[u]["shape"] for u in ad["inputs"]], self.anchor_run[1])
                    + ("; the loop is its epilogue, run on each batch chunk as the anchor "
                       "finishes it" + (", the chunk in a buffer of the thread (no full-size "
                                        "output: only this loop reads it)"
                                        if self._anchor_internal() else "")
                       if self.why_numpy is None and self._fused_anchor()
                       else "; the loop is its epilogue"))
            else:
                lines.append(f"    anchor:  %{self.anchor} {ad['op']}: " + blas.describe(
                    ad, [g.nodes[u]["shape"] for u in ad["inputs"]])
                    + ("; the loop is its epilogue, run per chunk on the thread that computed "
                       "it" if self.why_numpy is None and self._fused_anchor()
                       else "; the loop is its epilogue"))
        ins = [u for u in info["inputs"]]
        lines.append("    inputs:  " + ", ".join(f"%{u} {g.nodes[u]['op']} {g.nodes[u]['shape']}"
                                               for u in ins))
        lines.append("    outputs: " + (", ".join(f"%{m} {g.nodes[m]['op']}" for m in self.outs)
                                        or "-"))
        if info.get("columns"):
            lines.append("    columns: " + ", ".join(
                f"%{c} {g.nodes[c]['op']} of %{g.nodes[c]['inputs'][0]}" for c in info["columns"])
                + " - summed over the kept dims in the last pass over each row (one read of "
                "the data)")
        if self.absorbed and self.why_numpy is None:
            # reshapes (same C order) and slices (loop indices plus the slice's starts) the
            # kernel reads from their input, with no numpy step and no copy
            lines.append("    in place: " + ", ".join(
                f"%{u} {g.nodes[u]['op']} read from %{g.nodes[u]['inputs'][0]}"
                for u in self.absorbed))
        srcs = sorted({g.nodes[m]["source"] for m in self.members})
        lines.append(f"    source:  {', '.join(srcs)}")
        mine = set(info["nodes"])
        for r in g.graph.get("fusion", []):
            if r["fused"] or (r["node"] not in mine and r["input"] not in mine):
                continue
            edge = (f"%{r['input']} -> %{r['node']}" if r["input"] is not None
                    else f"%{r['node']}")
            lines.append(f"    stop:    {edge}: {r['reason']}")
        if self.why_numpy is not None:
            lines.append(f"    runs on numpy: {self.why_numpy}")
            return "\n".join(lines)
        k = self.kernel
        if k is None:
            lines.append("    kernel:  not requested")
        else:
            if k.state == "ready":
                how = ("disk-cache hit (numba cache)" if k.origin == "disk" else
                       "compiled in the compiler process (cache miss)"
                       if getattr(k, "compiler", "") == "process" else "compiled (cache miss)")
                if getattr(k, "native", None):      # cache.Kernel.native (native.py)
                    how = how.replace(" (numba cache)", "") + "; loaded as a shared object"
                if k.requests > 1:
                    how += f"; used by {k.requests} clusters of this process (memory cache)"
                status = f"{how}, {k.compile_seconds:.3f} s"
            elif k.state == "failed":
                status = f"FAILED, runs on numpy: {k.error}"
            else:
                status = f"{k.state} (runs on numpy until ready)"
            how_run = ("split-reduce on all cores (a partial row per chunk of rows, summed "
                       "after)" if self.parallel and self.split == "leading" else
                       "split-reduce on all cores (a partial result per chunk, combined after)"
                       if self.parallel and self.split else
                       "chunked on all cores" if self.parallel else "serial")
            lines.append(f"    kernel:  {k.key}  {how_run}  "
                         f"{status}")
            if k.vector:
                lines.append(f"    simd:    {k.vector}")
            if k.path:
                lines.append(f"    file:    {k.path}")
        if self.follow is not None and "per_chunk" in self.follow:
            f = self.follow
            fd = g.nodes[f["node"]]
            lines.append(f"    then:    %{f['node']} {fd['op']} of each batch chunk of "
                         f"%{fd['inputs'][0]}, on the thread that computed it, while it is in "
                         "cache")
        elif self.follow is not None:
            f = self.follow
            lines.append(f"    then:    %{f['node']} matmul of each chunk's rows of "
                         f"%{g.nodes[f['node']]['inputs'][0]}, on the thread that computed them "
                         "(one BLAS thread), while they are in cache")
        if self.inplace is not None:
            lines.append(f"    in-place: {g.nodes[self.members[1]]['op']} of the variable's old "
                         "value by BLAS gemm into its own buffer when nothing else references "
                         f"it ({self.inplace_runs} runs so far)")
        if self.last_error:
            lines.append(f"    last kernel error (numpy was used): {self.last_error}")
        lines.append("    generated source:")
        lines += ["        " + s for s in self.source.splitlines() if s and not s.startswith(
            ("import", "from", "# graphflow"))]
        return "\n".join(lines)


#: plan-cache side file path -> weak reference to the plan whose thread choice goes there
_KEPT_CHOICES = {}
_SAVE_AT_EXIT = []


def _save_thread_choices():
    for path, ref in list(_KEPT_CHOICES.items()):
        plan = ref()
        if plan is not None and plan.blas_choice is not None:
            blas_choice.save(path, plan.blas_choice.saved())


class NumbaPlan:
    """Execution plan of a graph on the numba backend; `run(list_of_arrays)` like `NumpyPlan`."""

    def __init__(self, graph, sync=None, fused=None, side=None):
        t0 = time.perf_counter()
        self.source_graph = graph
        # side: the plan-cache entry's path without its extension; what this plan learns goes
        # next to it (compiled step code: `.steps`; the thread choice: `.threads`)
        known_steps = _load_step_code(side + ".steps") if side else set()
        # fused: the fusion of this graph from the plan cache (backends/plan_cache.py)
        self.graph = g = fused if fused is not None else fuse(graph.copy(),
                                                              lowerable=lowering.SCALAR)
        gx = g.nx
        s = self.schedule = sched.schedule(g)
        self.order, self.slot, self.outputs_set = s.order, s.slot, s.outputs
        self.init, self.param_slots, self.out_slots = s.init, s.param_slots, s.out_slots
        live = s.live
        # values known to be C-contiguous arrays when produced (kernel outputs, matmul, consts)
        self.contiguous = set()
        for n in s.order:
            d = gx.nodes[n]
            op = OPS[d["op"]]
            if op is CONSTANT:
                v = d["attrs"]["value"]
                if isinstance(v, np.ndarray) and v.flags.c_contiguous:
                    self.contiguous.add(n)
            elif op is MATMUL or "cluster" in d["tags"]:
                self.contiguous.add(n)
        # every product small (each would switch BLAS to one thread and back by itself: ~3 us
        # per switch) and nothing else calling BLAS: the whole call switches once (`run`)
        self.small_products = (not _has_big_gemm(gx, s.order)
                               and _small_products_only(gx, s.order))
        self.steps, self.producer = [], {}
        for unit in s.units:
            if unit.kind == sched.CLUSTER:
                st = _ClusterStep(self, unit.id, unit.info, live)
                for m in st.members + ([st.anchor] if st.anchor is not None else []):
                    self.producer[m] = st
            else:
                st = _NodeStep(self, unit.id)
                self.producer[unit.id] = st
            self.steps.append(st)
        self._drop_absorbed(gx, live)
        steps = []      # a batched product of a cluster's output runs in that step's chunks
        for st in self.steps:
            if steps and steps[-1].kind == "cluster" and steps[-1].take_product(st):
                self.producer[st.node] = steps[-1]
                continue
            steps.append(st)
        self.steps = steps
        # an absorbed reshape runs with its last reader
        step_of = sched.step_of(
            [[st.node] if st.kind == "node" else
             st.members + ([st.anchor] if st.anchor is not None else [])
             + ([st.follow["node"]] if st.follow else []) for st in self.steps],
            [st.absorbed if st.kind == "cluster" else () for st in self.steps])
        for i, st in enumerate(self.steps):
            if st.kind == "cluster":
                st.inplace = inplace.detect_update(gx, st.members, st.anchor, st.outs, i,
                                                   step_of, self.slot, self.outputs_set)
        # a plan with a big product, a kernel on the chunk pool or a conv kernel (per batch
        # chunk on the pool) chooses between one thread and all cores by timing its calls
        self._multi = (_has_big_gemm(gx, s.order),
                       any(getattr(st, "parallel", False) for st in self.cluster_steps),
                       any(gx.nodes[n]["op"] in lowering.KERNELS for n in s.order))
        self.blas_choice = BlasChoice() if any(self._multi) else None
        # a plan with conv kernels and no big product runs its calls on all cores with BLAS on
        # one thread throughout: the chunk pool is the parallelism (the convolutions' gemms run
        # per batch chunk on single-threaded BLAS anyway). Switched per conv op instead, BLAS
        # got its threads back between them, and a product there left OpenBLAS's threads
        # spinning next to the pool's helper: the sepconv model of tools/bench_keras_models.py
        # on all cores at load ~10 took 154-340 ms CPU per step, 27-33 ms so (one thread: 23)
        # (not with a pointwise conv that may run as one gemm on BLAS's threads: a 1x1 conv
        # forward alone ran on one BLAS thread, 1.98 -> 5.2 ms)
        self._pool_only = self._multi[2] and not self._multi[0] and not any(
            conv.whole_gemm(gx.nodes[n], [gx.nodes[u]["shape"] for u in gx.nodes[n]["inputs"]])
            for n in s.order if gx.nodes[n]["op"] in lowering.KERNELS)
        # one thread: a plan of kernel steps alone (no numpy node, no product) never calls
        # BLAS, so it leaves BLAS's thread count alone (two threadpoolctl calls each way cost
        # ~40 µs on caches a 16 MB kernel just flushed: 5% of a 4M-element exp)
        blas_free = all(st.kind == "cluster" and st.anchor is None and st.follow is None
                        for st in self.steps)
        self.one_thread = ONE_THREAD if blas_free else ONE_THREAD_AND_BLAS
        self._blas_ready = False
        self.build_seconds = time.perf_counter() - t0
        self.request(sync)
        if side:
            sources = {st.call_source for st in self.steps
                       if getattr(st, "call_source", None) is not None}
            if not sources <= known_steps:
                _save_step_code(side + ".steps", sources)
            self.keep_thread_choice(side + ".threads")

    @staticmethod
    def loop_driver(sg, cond_plan, body_plan, rec, ns):
        """A while_loop's condition and body plans (of this class) as one compiled loop
        (`loop.loop_driver`): (driver, None) or (None, why the loop runs step by step)."""
        return loop_lowering.loop_driver(sg, cond_plan, body_plan, rec, ns)

    def keep_thread_choice(self, path):
        """Start the thread choice from the one a process saved at `path` (a warm start probes
        nothing) and save this plan's there when this process exits (`blas_choice.load`/`save`;
        the function passes its plan-cache entry's path)."""
        if self.blas_choice is None:
            return
        self.blas_choice.seed(blas_choice.load(path))
        if not _SAVE_AT_EXIT:
            _SAVE_AT_EXIT.append(atexit.register(_save_thread_choices))
        _KEPT_CHOICES[path] = weakref.ref(self)

    def _drop_absorbed(self, gx, live):
        """Remove numpy reshape steps whose every live reader is a kernel reading the reshape's
        input directly; those clusters' numpy fallbacks compute the reshape themselves."""
        readers = {}
        for st in self.cluster_steps:
            for u in st.absorbed:
                readers.setdefault(u, []).append(st)
        drop = set()
        for u, sts in readers.items():
            mine = set()
            for st in sts:
                mine |= set(st.members)
            users = [v for v in gx.successors(u) if v in live and u in value_inputs(gx.nodes[v])]
            if u not in self.outputs_set and all(v in mine for v in users):
                drop.add(u)
                d = gx.nodes[u]
                pre = (self.slot[u], node_runner(d), (self.slot[d["inputs"][0]],), u)
                for st in sts:
                    st.pre_steps = tuple(st.pre_steps) + (pre,)
        self.steps = [st for st in self.steps if not (st.kind == "node" and st.node in drop)]

    @property
    def cluster_steps(self):
        return [s for s in self.steps if s.kind == "cluster"]

    @property
    def kernels(self):
        ks = [s.kernel for s in self.cluster_steps if s.kernel is not None]
        for st in self.steps:     # hand-written kernels of node steps and anchors (conv.py)
            fn = st.fn if st.kind == "node" else getattr(st, "anchor_run", (None, None))[1]
            ks += [k for k in getattr(fn, "kernels", ()) if k not in ks]
            fw = st.follow if st.kind == "cluster" else None    # a node step run inside it
            ks += [k for k in getattr(fw and fw.get("fn"), "kernels", ()) if k not in ks]
        return ks

    def request(self, sync=None):
        """Ask the cache for every kernel (compiled in the background unless `sync`; the
        compiler starts when the first call has returned). When every kernel is in the disk
        cache they are loaded now (`cache.load_now`), so even the first call runs compiled."""
        if not (cache.SETTINGS.sync_compile if sync is None else sync):
            cache.hold()
        # freed arrays keep their pages from the first call on (numba's set-up does this too, but
        # on a cold start that waits for the first compiled kernel; the conv step's calls on
        # numpy meanwhile: ~3,900 -> 0 page faults, CPU 77 -> 70 ms per call at load 4)
        heap.keep_freed_memory()
        for s in self.cluster_steps:
            s.request(sync)
        if not (cache.SETTINGS.sync_compile if sync is None else sync):
            cache.load_now(self.kernels)      # a warm start: all in the disk cache
        self._calls = [st.call for st in self.steps]
        self._first = True
        self._pending = PENDING_ON_ONE_THREAD and not self.ready

    def wait(self, timeout=None):
        """Block until all kernels of this plan are compiled; True if they all finished."""
        deadline = None if timeout is None else time.monotonic() + timeout
        for k in self.kernels:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not k.wait(left):
                return False
        return True

    @property
    def ready(self):
        return all(k.state in ("ready", "failed") for k in self.kernels)

    def _still_pending(self):
        """True while a kernel of this plan is compiling (`PENDING_ON_ONE_THREAD`)."""
        self._pending = not self.ready
        return self._pending

    def run(self, args):
        if NUMERICS_CHECKS:   # enable_check_numerics(): per-node checks on the reference evaluator
            if getattr(self, "_checked", None) is None:
                self._checked = NumpyPlan(self.source_graph)
            return self._checked.run(args)
        note_run()
        vals = list(self.init)
        for s, a in zip(self.param_slots, args):
            vals[s] = a
        cache.run_started()         # the compile thread pauses meanwhile (cache._GilYielder)
        try:
            if self.small_products:
                with SINGLE_BLAS:
                    self._run_steps(vals)
            else:
                self._run_steps(vals)
        finally:
            cache.run_ended()
        return [vals[s] for s in self.out_slots]

    def _run_steps(self, vals):
        """The steps, on all cores or one thread (see the module docstring)."""
        if self._first:
            try:
                if self.blas_choice is not None and (self.blas_choice.single
                                                     or no_idle_core()):
                    # all cores would wait for time slices, or lost last time (a saved choice)
                    with self.one_thread:
                        self._run_all(vals)
                else:
                    self._run_all_cores(vals)
            finally:
                self._first = False
                cache.kick()
        elif self._pending and self._still_pending():
            with self.one_thread:
                self._run_all(vals)
        elif self.blas_choice is not None:
            self._run_choosing(vals)
        else:
            self._run_all_cores(vals)

    def _run_choosing(self, vals):
        """Run the steps on all cores (BLAS's threads, the chunk pool) or on this thread alone,
        as `blas_choice` says, and time the call for it (timings restart when every kernel is
        ready)."""
        choice = self.blas_choice
        if not self._blas_ready and self.ready and SINGLE_BLAS.depth <= self.small_products:
            # (no one else holds BLAS on one thread: `run`'s own switch aside)
            self._blas_ready = True
            choice.reset()
            gemm, chunks, convs = self._multi
            if not ((chunks or convs) and _chunk_pool().helpers) and not (gemm and any(
                    c.get_num_threads() > 1 for c in SINGLE_BLAS.controllers())):
                self.blas_choice = None     # one thread anyway: nothing to choose
        choice.run(lambda: self._run_all_cores(vals), self.one_thread)

    def _run_all(self, vals):
        for call in self._calls:
            call(vals)

    def _run_all_cores(self, vals):
        """The steps with the chunk pool's helpers (unless inside `ONE_THREAD`); BLAS on one
        thread throughout in a conv plan (`_pool_only`)."""
        if self._pool_only:
            with SINGLE_BLAS:
                self._run_all(vals)
        else:
            self._run_all(vals)

    # ------------------------------------------------------------------ report
    def report(self):
        """The kernel plan: each step, the nodes a kernel fused, why fusion stopped, the generated
        source, compile time and cache hit or miss."""
        ks = self.kernels
        ready = sum(k.state == "ready" for k in ks)
        lines = [f"numba kernel plan for graph '{self.graph.name}': {len(self.steps)} steps, "
                 f"{len(self.cluster_steps)} fused clusters, {len(ks)} kernels "
                 f"({ready} ready), plan built in {self.build_seconds * 1e3:.1f} ms"]
        if self.blas_choice is not None:
            lines.append(self.blas_choice.describe())
        for i, st in enumerate(self.steps):
            text = st.describe()
            lines.append(f"[{i}] " + text)
        return "\n".join(lines)

    __str__ = report

