"""A while_loop whose condition and body plans are all compiled kernels, gemms and row reads, run
as ONE numba function: the whole time loop inside compiled code, no Python per step.

`NumbaPlan` runs a loop body as one plan call per iteration: each step (a kernel call, a BLAS
gemm, a row read, a slice) is a few microseconds of Python - for an RNN step (a (64,64)x(64,256)
gemm and a 64x64 gate kernel, 10-40 us of work each) that overhead is as large as the work. When
every step of both plans can be written as numba code, `loop_driver` generates one module: the
kernels' own sources (renamed), then `kernel(vars..., captures..., constants..., histories...,
saved stacks..., trip)` that runs the condition and the body until the condition is False,
writing the rows of the recorded histories and of the saved body values (`Subgraphs.record`,
`Subgraphs.saved`) into buffers allocated once. It is compiled like any kernel (`cache.request`:
the compiler process, the disk cache); until it is ready the loop runs step by step as before.

Lowered: kernel clusters (serial, not in place) with their operands as the plan passes them
(contiguous views reshaped to the kernel's loop shape; strided slices are copied inside numba,
which costs a tight loop rather than a numpy call), scalar clusters (`lowering.SCALAR`
templates, e.g. the step counter `t + 1`, `t < n`), 2-D matmuls (`np.dot`: BLAS gemm), row
reads of histories and saved stacks, basic slices, getitem_grad, rows and windows at a traced
index (`x[i]`, `x[i, 1]`, `tf.slice(x, [i, 0], ...)` and their VJP's row writes: negative
indices wrap, out-of-range ones raise, as TF), concat, reshape, zeros/ones_like. A trip count known only at run time is fine (the buffers grow). A loop with
anything else (effects, nested loops, sizes known only at run time, other numpy ops, ...) is not
lowered: `Subgraphs.loop_lowering` (and the kernel plan's report) says why. Values are the
step-by-step plan's: the same kernels; the gemms run on scipy's OpenBLAS (numba's np.dot), which
may round the last bit differently from numpy's.

A loop whose batch rows are independent (an RNN's time loop and its reverse loop) is compiled
as one such function per half of the rows instead (`loop_split`): both halves run at once, on
the caller's thread and the chunk pool's helper, each writing its rows of the shared history
and saved buffers; the weight-gradient accumulators of a reverse loop become per-half partial
sums, added at the end. A per-loop `BlasChoice` falls back to one thread (the whole loop,
compiled then) when that measures faster, as on a machine whose other core is busy.
"""
import re

import numpy as np

from ...blas_threads import SINGLE_BLAS
from ...evaluate import note_run
from ...ops.math_ops import MATMUL
from ...ops.registry import OPS
from ...passes.fusion import int_division, value_inputs
from . import cache, loop_split, lowering

#: set False to run every while_loop step by step (the plan per iteration), e.g. to compare
ENABLED = True

#: rows of a history buffer to start with when the trip count is unknown (doubled as needed)
GROW_FROM = 16

#: ops whose numba value is a view of their first input (reshape of a C array, basic slices,
#: a history row)
_VIEW_OPS = {"getitem", "reshape", "loop_history_read", "loop_saved_read"}


def _lit(v, dtype):
    """Source of the numpy scalar `v` of `dtype`, exact (float32 values are exact doubles)."""
    dt = np.dtype(dtype)
    if dt.kind == "b":
        return f"np.bool_({bool(v)})"
    if dt.kind == "f":
        if np.isfinite(v):
            return f"np.{dt.name}({float(v)!r})"
        return f"np.{dt.name}({'np.nan' if np.isnan(v) else 'np.inf' if v > 0 else '-np.inf'})"
    return f"np.{dt.name}({int(v)})"


def _cast(expr, dtype):
    dt = np.dtype(dtype)
    return f"np.bool_({expr})" if dt.kind == "b" else f"np.{dt.name}({expr})"


class _Unsupported(Exception):
    pass


def _index(n, spec):
    """numba source of a getitem spec of ints and slices with int bounds."""
    idx = []
    for s in spec:
        if s[0] == "s" and all(v is None or type(v) is int for v in s[1:]):
            idx.append(":".join("" if v is None else str(v) for v in s[1:]))
        elif s[0] == "i" and type(s[1]) is int:
            idx.append(str(s[1]))
        else:
            raise _Unsupported(f"getitem %{n} with index {s}")
    return ", ".join(idx)


def _dyn(v):
    return isinstance(v, tuple) and len(v) == 2 and v[0] == "v"


def _dyn_index(n, spec, shape, vals, emit, tmp):
    """numba source of a dynamic_getitem/setitem spec (`graphflow.ops.dynamic_index`) whose
    traced entries are integer indices or window starts: each read from `vals`, wrapped when
    negative and checked against its axis (numba does not check bounds), as TF raises."""
    consumed = sum(1 for k in spec if k[0] in "isw")
    idx, axis = [], 0
    for j, k in enumerate(spec):
        kind = k[0]
        if kind == "n":
            idx.append("None")
            continue
        if kind == "e":
            idx += [":"] * (len(shape) - consumed)
            axis += len(shape) - consumed
            continue
        d = shape[axis]
        if not isinstance(d, (int, np.integer)):
            raise _Unsupported(f"{n}: dynamic index on a run-time dim")
        if kind == "s":
            if any(_dyn(v) for v in k[1:]):
                raise _Unsupported(f"{n}: a slice with traced bounds (a run-time length)")
            idx.append(":".join("" if v is None else str(v) for v in k[1:]))
        elif kind == "i" and not _dyn(k[1]):
            idx.append(str(k[1]))
        elif kind == "i" or kind == "w" and not _dyn(k[2]) and k[2] != -1:
            v = f"{tmp}_{j}"
            start = f"np.int64({vals}[{k[1][1]}])" if _dyn(k[1]) else str(k[1])
            emit(f"{v} = {start}")
            if kind == "i":
                emit(f"if {v} < 0:")
                emit(f"    {v} += {int(d)}")
                emit(f"if {v} < 0 or {v} >= {int(d)}:")
                emit("    raise IndexError('strided_slice: an index is out of bounds')")
                idx.append(v)
            else:
                emit(f"if {v} < 0 or {v} + {int(k[2])} > {int(d)}:")
                emit("    raise IndexError('slice: begin and size are out of bounds')")
                idx.append(f"{v}:{v} + {int(k[2])}")
        else:
            raise _Unsupported(f"{n}: a window of traced size")
        axis += 1
    return ", ".join(idx)


class _Emitter:
    """Source lines of one plan (condition or body) run once inside the driver; node values are
    local names `<prefix><slot>`; `consts` collects the array constants the code reads (driver
    arguments)."""

    def __init__(self, plan, prefix, kernels, consts, offset=()):
        self.plan, self.p, self.kernels, self.consts = plan, prefix, kernels, consts
        self.g = plan.graph.nx
        self.node_of = {s: n for n, s in plan.slot.items()}
        self.lines = []
        self.notc = set()       # names of arrays that may not be C-contiguous (slices)
        self.into = {}          # slot -> (the saved-rows buffer its matmul writes row k of,
        #                         the index of this half's rows in it or "")
        # half of a split loop: the slots of the parameters passed whole (stacks of all rows),
        # whose row reads take this half's rows lo:lo+m (`loop_split`)
        self.offset = {plan.param_slots[i] for i in offset}
        self.inplace = set()    # dynamic_setitem nodes writing their loop variable in place
        self.copy_views = set()  # view-making nodes copied instead (they read such a variable)

    def name(self, slot):
        return f"{self.p}{slot}"

    def shape(self, slot):
        return tuple(self.g.nodes[self.node_of[slot]]["shape"])

    def dtype(self, slot):
        return np.dtype(self.g.nodes[self.node_of[slot]]["dtype"])

    def ref(self, slot):
        """The expression of a slot's value: a computed name or a baked-in constant."""
        n = self.node_of[slot]
        if self.plan.init[slot] is not None and self.g.nodes[n]["op"] == "constant":
            v = np.asarray(self.plan.init[slot])
            if v.ndim == 0:
                return _lit(v[()], v.dtype)
            key = ("const", id(self.plan), slot)
            if key not in self.consts:
                self.consts[key] = (f"k{len(self.consts)}", np.array(v, order="C"))   # writable: the kernel is typed for it
            return self.consts[key][0]
        return self.name(slot)

    def carray(self, slot, dtype=None):
        """The slot's array, C-contiguous (copied inside numba if it is a slice) of `dtype`."""
        e = self.ref(slot)
        if e in self.notc:
            e = f"np.ascontiguousarray({e})"
        if dtype is not None and np.dtype(dtype) != self.dtype(slot):
            e = f"{e}.astype(np.{np.dtype(dtype).name})"
        return e

    def emit(self, text):
        self.lines.append(text)

    # ---------------------------------------------------------------- in place
    def _reads(self, st):
        """The slots a step reads."""
        if st.kind == "cluster":
            own = {slot for slot, *_ in st.fallback_steps}
            return {u for _, _, ins, _ in st.fallback_steps for u in ins} - own
        return {self.plan.slot[u] for u in value_inputs(st.d)}

    def _makes_view(self, st):
        d = None if st.kind == "cluster" else st.d
        return d is not None and (d["op"] in _VIEW_OPS or d["op"] == "dynamic_getitem"
                                  and len(d["shape"]))

    def plan_inplace(self, n_vars):
        """Row writes (`dynamic_setitem`: a TensorArray's write, `v[i] = x`) whose input nothing
        reads afterwards and that is a loop variable (or a row write of one, or a copy made this
        step): written in place - O(row) a step instead of a copy of the whole buffer, so a
        TensorArray of n rows filled in a loop costs O(n), not O(n^2). A variable written so is
        copied once when the loop starts (the caller's arrays stay untouched) and only if its
        next value is again its own array (not shared with another variable or a capture);
        views of a written array taken earlier in the step are copied (they keep the old
        rows). Returns the variables copied on entry."""
        plan, steps = self.plan, self.plan.steps
        params, outs = list(plan.param_slots[:n_vars]), list(plan.out_slots)
        reads = [self._reads(st) for st in steps]
        owner = {x: j for j, x in enumerate(params)}   # array -> its variable (None: fresh)
        chains = {}
        for t, st in enumerate(steps):
            if st.kind == "cluster" or st.d["op"] != "dynamic_setitem":
                continue
            x, o = plan.slot[st.d["inputs"][0]], plan.slot[st.node]
            if x in owner and x not in outs and not any(x in r for r in reads[t + 1:]):
                owner[o] = owner[x]
                chains.setdefault(owner[x], []).append((t, x))
            else:
                owner[o] = None   # (a copy: this step's own array)
        owned = []
        for j, writes in chains.items():
            if j is not None and (outs.count(outs[j]) != 1 or owner.get(outs[j], -1) not in
                                  (j, None)):
                continue   # its next value may be shared: every write copies, as before
            for t, x in writes:
                self.inplace.add(steps[t].node)
                self.copy_views.update(steps[q].node for q in range(t) if x in reads[q] and
                                       self._makes_view(steps[q]))
            if j is not None:
                owned.append(j)
        return owned

    # ---------------------------------------------------------------- steps
    def run(self):
        for st in self.plan.steps:
            if st.kind == "cluster":
                self.cluster(st)
            else:
                self.node(st.node, st.d)

    def node(self, n, d):
        self._node(n, d)
        if n in self.copy_views:   # (a view of a variable written in place later this step)
            out = self.name(self.plan.slot[n])
            self.emit(f"{out} = {out}.copy()")
            self.notc.discard(out)

    def _node(self, n, d):
        op = d["op"]
        slot = self.plan.slot[n]
        out = self.name(slot)
        ins = [self.plan.slot[u] for u in value_inputs(d)]
        if OPS[op] is MATMUL:
            self.matmul(n, d, out)
        elif op in ("loop_history_read", "loop_saved_read"):
            part = f", lo:lo + {int(d['shape'][0])}" if ins[0] in self.offset else ""
            self.emit(f"{out} = {self.ref(ins[0])}[{self.ref(ins[1])}{part}]")
            if len(d["shape"]) == 0:
                self.emit(f"{out} = {_cast(out, d['dtype'])}")
        elif op == "getitem":
            if not d["shape"]:
                raise _Unsupported(f"getitem %{n} of one element")
            self.emit(f"{out} = {self.ref(ins[0])}[{_index(n, d['attrs']['spec'])}]")
            self.notc.add(out)
        elif op == "getitem_grad":   # zeros with the slice set to the cotangent
            shape = tuple(d["shape"])
            if not shape or not self.shape(ins[0]):
                raise _Unsupported(f"getitem_grad %{n} of one element")
            self.emit(f"{out} = np.zeros({shape}, np.{np.dtype(d['dtype']).name})")
            self.emit(f"{out}[{_index(n, d['attrs']['spec'])}] = {self.ref(ins[0])}")
        elif op in ("dynamic_getitem", "dynamic_setitem"):   # x[i] / x[i] = v, i traced
            shape = tuple(d["shape"])
            src = self.shape(ins[0])
            if not all(isinstance(e, (int, np.integer)) for e in shape + src):
                raise _Unsupported(f"{op} %{n} with run-time sizes")
            idx = _dyn_index(f"{op} %{n}", d["attrs"]["spec"], src, self.ref(ins[1]), self.emit,
                             f"{self.p}i{slot}")
            if op == "dynamic_getitem":
                if not shape:   # one element: a scalar value
                    self.emit(f"{out} = {self.ref(ins[0])}[{idx}]")
                else:
                    self.emit(f"{out} = {self.ref(ins[0])}[{idx}]")
                    self.notc.add(out)
            else:
                self.emit(f"{out} = {self.ref(ins[0])}" if n in self.inplace else
                          f"{out} = {self.carray(ins[0])}.copy()")
                self.emit(f"{out}[{idx}] = {self.ref(ins[2])}")
        elif op == "concat":
            axis = d["attrs"]["axis"]
            parts = ", ".join(self.carray(i) for i in ins)
            self.emit(f"{out} = np.concatenate(({parts},), axis={int(axis)})")
        elif op == "reshape":
            if not self.shape(ins[0]):   # a scalar as a 1-element array (e.g. a stacked index)
                self.emit(f"{out} = np.full({tuple(d['shape'])}, {self.ref(ins[0])})")
                return
            self.emit(f"{out} = {self.carray(ins[0])}.reshape({tuple(d['shape'])})")
        elif op in ("zeros_like", "ones_like"):
            fill = 0 if op == "zeros_like" else 1
            dt = np.dtype(d["dtype"])
            self.emit(f"{out} = np.full({tuple(d['shape'])}, {_lit(fill, dt)})" if d["shape"]
                      else f"{out} = {_lit(fill, dt)}")
        else:
            raise _Unsupported(f"{op} %{n} {tuple(d['shape'])} {np.dtype(d['dtype']).name} runs "
                               "on numpy (no numba lowering for it in a loop)")

    def matmul(self, n, d, out):
        a, b = (self.plan.slot[u] for u in d["inputs"])
        if len(self.shape(a)) != 2 or len(self.shape(b)) != 2 or \
                np.dtype(d["dtype"]).kind != "f":
            raise _Unsupported(f"matmul %{n} is not a 2-D float product")
        ta = ".T" if d["attrs"].get("transpose_a") else ""
        tb = ".T" if d["attrs"].get("transpose_b") else ""
        buf, part = self.into.get(self.plan.slot[n], (None, ""))
        if buf is None:
            self.emit(f"{out} = np.dot({self.carray(a)}{ta}, {self.carray(b)}{tb})")
            return
        # a product the forward loop saves for the reverse loop: BLAS writes it into its row
        self.emit(f"if k >= {buf}.shape[0]:")
        self.emit(f"    {buf} = grow_rows({buf}, k)")
        self.emit(f"{out} = {buf}[k{part}]")
        self.emit(f"np.dot({self.carray(a)}{ta}, {self.carray(b)}{tb}, {out})")

    def scalar_member(self, m):
        """A member of a scalar-domain cluster as one numba expression (its lowering template)."""
        d = self.g.nodes[m]
        tpl = lowering.template(d["op"])
        if tpl is None or lowering.INDEXED.get(d["op"]) is not None:
            raise _Unsupported(f"{d['op']} %{m} in a scalar cluster")
        ins = [self.plan.slot[u] for u in value_inputs(d)]
        args = []
        for i in ins:
            e = self.ref(i)
            if self.shape(i):
                e = f"{self.carray(i)}.reshape(-1)[0]"
            args.append(e)
        cdt = self.g.nodes[d["inputs"][0]]["dtype"] if d["inputs"] else d["dtype"]
        funcs = lowering.funcs_for(cdt)
        attrs = {k: (v.name if isinstance(v, np.dtype) else v) for k, v in d["attrs"].items()}
        expr = tpl.format(*args, **attrs)
        expr = re.sub(r"\bC\(([^()]*)\)", lambda mt: _lit(float(mt.group(1)), cdt)
                      if np.dtype(cdt).kind == "f" else _lit(int(float(mt.group(1))), cdt), expr)
        expr = re.sub(r"\b([a-z_][a-z0-9_]*)\(", lambda mt: funcs.get(mt.group(1),
                                                                      mt.group(1)) + "(", expr)
        self.emit(f"{self.name(self.plan.slot[m])} = {_cast(expr, d['dtype'])}")

    def cluster(self, st):
        if st.anchor is not None:
            d = self.g.nodes[st.anchor]
            if OPS[d["op"]] is not MATMUL:
                raise _Unsupported(f"{d['op']} %{st.anchor} (a hand-written kernel)")
            self.matmul(st.anchor, d, self.name(self.plan.slot[st.anchor]))
        if st.why_numpy is not None:
            if not st.members:
                return
            if any(self.g.nodes[m]["shape"] for m in st.members):
                raise _Unsupported(f"cluster k{st.k} runs on numpy: {st.why_numpy}")
            for m in st.members:
                self.scalar_member(m)
            return
        for m in st.members:    # (the plan checks such a divisor for zeros: step by step)
            if self.g.nodes[m]["shape"] and int_division(self.g, m) and \
                    self.g.nodes[self.g.nodes[m]["inputs"][1]]["op"] != "constant":
                raise _Unsupported(f"{self.g.nodes[m]['op']} %{m}: an integer division by a "
                                   "run-time divisor")
        # (an anchor whose runner would run this epilogue per batch chunk, `_fused_anchor`: here
        # the product is computed whole above and the serial kernel runs once over it)
        if st.kernel is None or st.parallel or st.inplace is not None:
            raise _Unsupported(f"cluster k{st.k} runs in chunks or in place")
        kname = self.kernels.setdefault(st.kernel.key, (f"kernel_{len(self.kernels)}",
                                                        st.source))[0]
        args = [str(int(e)) for e in st.extents]
        for o in st.op_plan:
            if o.kind == "const":
                args.append(_lit(o.value, o.dtype))
            elif o.kind == "scalar":
                e = self.ref(o.slot)
                if self.shape(o.slot):
                    e = f"{self.carray(o.slot)}.reshape(-1)[0]"
                args.append(_cast(e, o.dtype))
            else:
                e = self.carray(o.slot, o.dtype)
                args.append(e if tuple(o.shape) == tuple(o.view) else f"{e}.reshape({o.view})")
        outs = []
        for j, o in enumerate(st.out_plan):
            name = self.name(o.slot)
            self.emit(f"{name} = np.empty({tuple(o.shape)}, np.{np.dtype(o.dtype).name})")
            args.append(name if tuple(o.shape) == tuple(o.view) else f"{name}.reshape({o.view})")
            outs.append((name, o))
        self.emit(f"{kname}({', '.join(args)})")
        for name, o in outs:   # (a 0-d output: its value, as the step-by-step loop's scalars)
            if not o.shape:
                self.emit(f"{name} = {name}[()]")


def _rows(half, what, i):
    """The index of a half loop's rows in a shared history/saved buffer's row (", lo:lo + m"),
    or "" (a whole loop; a value the same in both halves)."""
    m = None if half is None else getattr(half, what).get(i)
    return "" if m is None else f", lo:lo + {int(m)}"


def _arg_type(shape, dtype):
    return ("a", np.dtype(dtype).name, len(shape), False) if len(shape) else \
        ("s", np.dtype(dtype).name)


class LoopDriver:
    """The compiled loop of one while_loop (for one set of recorded histories and saved values).
    `run(xs)` returns what `Subgraphs.run_loop` returns; `kernel.fn` is None until compiled."""

    def __init__(self, sg, source, arg_types, consts, rec, ns, sync=None):
        self.sg, self.rec, self.ns = sg, rec, ns
        self.consts = [c for _, c in consts]
        self.source = source
        self.kernel = cache.request(source, arg_types, sync)
        self.runs = 0

    @property
    def ready(self):
        return self.kernel.fn is not None

    @property
    def error(self):
        """Why the compiled loop failed to compile (None: compiled or compiling)."""
        return self.kernel.error if self.kernel.state == "failed" else None

    def run(self, xs, key, bufs=None, lo=None):
        """`bufs`, `lo`: a half of a split loop (`loop_split.SplitDriver`): the (histories,
        saved) buffers shared by the halves and this half's first row."""
        sg, n = self.sg, self.sg.n_vars
        args = []
        for x, a in zip(xs, sg.in_avals):
            dt = np.dtype(a.dtype)
            if len(a.shape):
                x = np.asarray(x)
                if x.dtype != dt or not x.flags.c_contiguous or not x.flags.writeable:
                    x = np.array(x, dt, order="C")
            else:
                x = dt.type(np.asarray(x).reshape(-1)[0])
            args.append(x)
        trip = sg.trip_count
        rows = GROW_FROM if trip is None else trip + 1   # (unknown trip count: buffers grow)
        if bufs is None:
            hist = [np.empty((rows,) + tuple(sg.in_avals[j].shape), sg.in_avals[j].dtype)
                    for j in self.rec]
            saved = []
            for q in range(self.ns):
                d = sg.graphs[1].nx.nodes[sg.saved[q]]
                saved.append(np.empty((rows,) + tuple(d["shape"]), d["dtype"]))
        else:
            hist, saved = bufs
        note_run()
        out = self.kernel.fn(*args, *self.consts, *hist, *saved, -1 if trip is None else trip,
                             *(() if lo is None else (lo,)))
        self.runs += 1
        k, status = int(out[n]), int(out[n + 1])
        nr = len(self.rec)
        hist = [h[:k + 1] for h in out[n + 2:n + 2 + nr]]
        saved = [s[:k] for s in out[n + 2 + nr:]]
        if status:
            from ...errors import InvalidArgumentError
            raise InvalidArgumentError(
                f"while_loop at {sg.source}: runs more than the {trip} iterations it was traced "
                "for")
        if trip is not None and k != trip:
            from ...errors import InvalidArgumentError
            raise InvalidArgumentError(
                f"while_loop at {sg.source}: ran {k} iterations, but was traced for exactly "
                f"{trip}")
        vs = []
        for v, a in zip(out[:n], sg.out_avals):
            vs.append(v if len(a.shape) else np.dtype(a.dtype).type(v))
        stacks = [None] * n
        for h, j in zip(hist, self.rec):
            stacks[j] = h
        return vs + stacks + [np.int32(k)] + saved + [key]


_BLAS_SEEN = []


def _blas_of_numba():
    """numba's np.dot calls scipy's BLAS, a library apart from numpy's: load it now and let
    `SINGLE_BLAS` (one BLAS thread for small products) control it too."""
    if _BLAS_SEEN:
        return
    _BLAS_SEEN.append(True)
    try:
        import scipy.linalg.cython_blas  # noqa: F401
    except ImportError:
        return
    SINGLE_BLAS.refresh()


def loop_driver(sg, cond_plan, body_plan, rec, ns, sync=None, split=True, half=None):
    """(LoopDriver, None) for the while_loop `sg` whose plans are `cond_plan`/`body_plan`, or
    (None, why it runs step by step). `rec`: the variables whose histories are kept; `ns`: the
    number of saved body values (the body plan's extra outputs). With `split`, a loop whose
    batch rows are independent (`loop_split`: an RNN's forward and reverse time loops) gets a
    `SplitDriver`: one compiled loop per half of the rows, run at once on two threads.
    `half`: this is such a half (`loop_split.Half`): its kernel takes the row offset `lo` last,
    writes its rows of histories and saved values shared with the other half, and reads its
    rows of the stacks passed whole.

    >>> import graphflow as tf
    >>> f = tf.function(lambda x: tf.while_loop(lambda i, y: i < 3, lambda i, y: (i + 1, y * 2.),
    ...                                         (0, x))[1])
    >>> f(tf.constant([1., 2.])).numpy()   # (compiled whole once ready: same values)
    array([ 8., 16.], dtype=float32)
    """
    if not ENABLED:
        return None, "loop lowering is off (loop.ENABLED)"
    if sg.has_dims():
        return None, "a shape has an unknown dim"
    if sg.has_effects:
        return None, "the loop has effects (assign, print)"
    unsplit = "one compiled loop"
    if split:
        try:
            proles, roles, ranges = loop_split.plan_split(sg, rec)
        except loop_split.NoSplit as e:
            unsplit = f"one compiled loop (rows not split: {e})"
        else:
            drivers, why = {}, None
            for lo, hi in ranges:
                if hi - lo not in drivers:
                    hsg, hh = loop_split.split_subgraphs(sg, proles, roles, hi - lo)
                    drivers[hi - lo], why = loop_driver(hsg, *hsg.plans(), rec, ns, sync,
                                                        split=False, half=hh)
                    if why is not None:
                        break
            if why is None:   # (the whole loop too, compiled once one thread is faster)
                return loop_split.SplitDriver(
                    sg, proles, roles, ranges, [drivers[hi - lo] for lo, hi in ranges], rec,
                    lambda: loop_driver(sg, cond_plan, body_plan, rec, ns, sync, split=False)[0]
                ), None
            unsplit = f"one compiled loop (rows not split: the half loop {why})"
    n = sg.n_vars
    _blas_of_numba()
    kernels, consts = {}, {}
    try:
        offset = () if half is None else half.offset
        ce = _Emitter(cond_plan, "c", kernels, consts, offset)
        ce.run()
        be = _Emitter(body_plan, "b", kernels, consts, offset)
        owned = be.plan_inplace(n)
        for q in range(ns):
            sl = body_plan.out_slots[n + q]
            d = body_plan.graph.nx.nodes[be.node_of[sl]]
            if OPS[d["op"]] is MATMUL and sl not in body_plan.out_slots[:n] and \
                    sl not in body_plan.out_slots[n:n + q]:
                be.into[sl] = (f"S{q}", _rows(half, "saved", q))
        be.run()
    except _Unsupported as e:
        return None, str(e)
    except Exception as e:   # noqa: BLE001 (an unexpected step: step by step, say why)
        return None, f"{type(e).__name__}: {e}"
    params = [f"v{j}" for j in range(n)] + [f"p{j}" for j in range(len(sg.in_avals) - n)]
    cnames = [c[0] for c in consts.values()]
    hnames = [f"H{j}" for j in rec]
    snames = [f"S{q}" for q in range(ns)]
    ind = "        "
    bufs = "".join(f", {b}" for b in hnames + snames)
    # (exact flags: the loop's own scalar code is not reassociated - x * 1.5 * 0.7 overflows as
    # numpy's does; the inlined kernels keep their own flags)
    body = ["@numba.njit(error_model='numpy', fastmath=EXACT_KERNEL_FLAGS, cache=True, nogil=True)",
            f"def kernel({', '.join(params + cnames + hnames + snames + ['trip'])}"
            f"{'' if half is None else ', lo'}):",
            *(f"    v{j} = v{j}.copy()" for j in owned), "    k = 0", "    while True:"]
    for s, pname in zip(cond_plan.param_slots, params):
        body.append(f"{ind}{ce.name(s)} = {pname}")
    body += [ind + ln for ln in ce.lines]
    body += [f"{ind}if not {ce.ref(cond_plan.out_slots[0])}:", f"{ind}    break",
             f"{ind}if k == trip:",
             f"{ind}    return ({''.join(f'v{j}, ' for j in range(n))}k, 1{bufs})"]
    for j, h in zip(rec, hnames):
        body += [f"{ind}if k + 1 >= {h}.shape[0]:", f"{ind}    {h} = grow_rows({h}, k + 1)",
                 f"{ind}{h}[k{_rows(half, 'hist', j)}] = v{j}"]
    for s, pname in zip(body_plan.param_slots, params):
        body.append(f"{ind}{be.name(s)} = {pname}")
    body += [ind + ln for ln in be.lines]
    outs = body_plan.out_slots
    for q in range(ns):
        if outs[n + q] in be.into:   # (written by its gemm)
            continue
        body += [f"{ind}if k >= S{q}.shape[0]:", f"{ind}    S{q} = grow_rows(S{q}, k)",
                 f"{ind}S{q}[k{_rows(half, 'saved', q)}] = {be.ref(outs[n + q])}"]
    news = []
    for j in range(n):
        a = sg.out_avals[j]
        e = be.carray(outs[j], a.dtype) if len(a.shape) else _cast(be.ref(outs[j]), a.dtype)
        if len(a.shape) and be.ref(outs[j]) in params:   # a variable passed through unchanged
            e = be.ref(outs[j])
        news.append(e)
    body.append(f"{ind}{', '.join(f'v{j}' for j in range(n))}{',' if n == 1 else ''} = "
                f"{', '.join(news)}{',' if n == 1 else ''}")
    body.append(f"{ind}k += 1")
    for j, h in zip(rec, hnames):
        body.append(f"    {h}[k{_rows(half, 'hist', j)}] = v{j}")
    body.append(f"    return ({''.join(f'v{j}, ' for j in range(n))}k, 0{bufs})")
    parts = ["# graphflow fused loop (generated by graphflow.backends.numba.loop; do not edit)",
             "import numpy as np", "import numba",
             "from graphflow.backends.numba.rt import *  # noqa: F401,F403", "", "",
             "@numba.njit(cache=True, nogil=True)", "def grow_rows(a, n):",
             "    b = np.empty((2 * a.shape[0] + 1,) + a.shape[1:], a.dtype)",
             "    b[:n] = a[:n]", "    return b", ""]
    for key, (kname, src) in kernels.items():   # (their imports once, at the top)
        lines = src.splitlines()
        for ln in lines:
            if ln.startswith(("import ", "from ")) and ln not in parts:
                parts.insert(4, ln)
        text = "\n".join(ln for ln in lines
                         if not ln.startswith(("import ", "from ", "# graphflow")))
        parts.append(re.sub(r"\bdef kernel\(", f"def {kname}(", text))
    source = "\n".join(parts + ["", ""] + body) + "\n"
    arg_types = [_arg_type(a.shape, a.dtype) for a in sg.in_avals]
    arg_types += [("a", c.dtype.name, c.ndim, False) for _, c in consts.values()]
    arg_types += [("a", np.dtype(sg.in_avals[j].dtype).name, len(sg.in_avals[j].shape) + 1,
                   False) for j in rec]
    for q in range(ns):
        d = sg.graphs[1].nx.nodes[sg.saved[q]]
        arg_types.append(("a", np.dtype(d["dtype"]).name, len(d["shape"]) + 1, False))
    arg_types.append(("i",))
    if half is not None:
        arg_types.append(("i",))
    driver = LoopDriver(sg, source, arg_types, list(consts.values()), rec, ns, sync)
    driver.describe = unsplit
    return driver, None
