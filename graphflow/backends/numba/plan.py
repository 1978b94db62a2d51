"""`NumbaPlan`: run a graph with fused, compiled kernels (numpy for everything else).

Building a plan is cheap and never waits for a compiler: the graph is fused
(`graphflow.passes.fusion.fuse`), every cluster's kernel source is generated, and the kernels are
requested from the cache (`cache.request`). Until a cluster's kernel is ready the cluster runs on
numpy (the op table's implementations, exactly like `NumpyPlan`); each call then switches to the
compiled kernel by itself. `wait()` blocks until all of this plan's kernels are compiled.

Per step at run time (each step is specialized into straight-line Python once):
  * numpy node: one `node_runner` call (effects - read_variable / assign / print - too, in
    program order). An assign whose value nothing else references takes the array over instead
    of copying it;
  * cluster: the anchor matmul (np.matmul, i.e. BLAS), then one kernel call. Operands are viewed
    with the collapsed loop shape (free for C-contiguous arrays; others are copied once), scalars
    and uniform constants are passed as numpy scalars, outputs are allocated fresh. Big loops run
    in chunks on all cores (`parallel.ChunkPool`);
  * the SGD update `assign(v, v - c * matmul(a, b))`: when the step holds the only reference to
    the variable's old value (checked statically for program order and at run time by refcount),
    BLAS gemm accumulates into that buffer (beta=1): no matmul temporary, no epilogue pass.
"""
import sys
import time

import networkx as nx
import numpy as np

from ...evaluate import node_runner, note_run, runtime_error
from ...ops.registry import OPS
from ...passes.fusion import fuse, monoid, value_inputs
from . import lowering
from . import cache
from .codegen import KernelSpec, KNode, KReduction, Operand, generate, worth_parallel
from .parallel import CHUNK_ELEMENTS, pool as _chunk_pool


def _compile(src, **ns):
    """Define the function `call` from generated source with the names in `ns`."""
    exec(compile(src, "<graphflow-numba-step>", "exec"), ns)
    return ns["call"]


def _fix_array(x, dt):
    """An operand that is not a C-contiguous ndarray of the kernel's dtype: copy it once."""
    return np.ascontiguousarray(x, dt)


def _fix_scalar(x, dt):
    return np.asarray(x, dt).reshape(-1)[0]


_GEMMS = {}


def _gemm(dtype):
    """C := alpha * op(A) @ op(B) + C with numpy's own BLAS (cblas gemm through ctypes), or None.

    numpy's BLAS, not scipy's: scipy bundles a second OpenBLAS whose idle threads would spin
    against numpy's (measured: a 1.2 ms MLP step became 13 ms).
    """
    f = _GEMMS.get(dtype.name, False)
    if f is False:
        try:
            f = _load_gemm(dtype)
        except Exception:
            f = None
        _GEMMS[dtype.name] = f
    return f


def _load_gemm(dtype):
    import ctypes
    import glob
    import os
    base = os.path.dirname(os.path.dirname(os.path.abspath(np.__file__)))
    libs = glob.glob(os.path.join(base, "numpy.libs", "*openblas*.so*"))
    if not libs:
        return None
    lib = ctypes.CDLL(libs[0])
    letter = {"float32": "s", "float64": "d"}.get(dtype.name)
    if letter is None:
        return None
    for name, itype in ((f"scipy_cblas_{letter}gemm64_", ctypes.c_int64),
                        (f"cblas_{letter}gemm64_", ctypes.c_int64),
                        (f"scipy_cblas_{letter}gemm", ctypes.c_int),
                        (f"cblas_{letter}gemm", ctypes.c_int)):
        fn = getattr(lib, name, None)
        if fn is not None:
            break
    else:
        return None
    real = ctypes.c_float if letter == "s" else ctypes.c_double
    ptr = ctypes.c_void_p
    fn.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int, itype, itype, itype, real, ptr,
                   itype, ptr, itype, real, ptr, itype]
    fn.restype = None
    row_major, no_trans, trans = 101, 111, 112

    def gemm(alpha, a, b, ta, tb, c):
        """c (C-contiguous M x N) += alpha * op(a) @ op(b); a, b C-contiguous."""
        m, n = c.shape
        k = a.shape[0] if ta else a.shape[1]
        fn(row_major, trans if ta else no_trans, trans if tb else no_trans, m, n, k, alpha,
           a.ctypes.data, a.shape[1], b.ctypes.data, b.shape[1], 1.0, c.ctypes.data, n)
    return gemm


class _Inplace:
    __slots__ = ("w", "a", "b", "c", "const", "ta", "tb", "out", "dtype", "shape", "refs")


def _detect_update(plan, st, pos, step_of):
    """Recognize `assign(v, read(v) - c * matmul(A, B))` computed by cluster step `st` (the SGD
    update) and check that updating the old value's buffer in place is invisible: nothing reads
    the old value after this step and no other read of the variable runs before its assign.
    Returns an `_Inplace` (slots) or None."""
    g = plan.graph.nx
    m = st.anchor
    if m is None or len(st.members) != 2:
        return None
    mul, sub = st.members
    dm, dmul, dsub = g.nodes[m], g.nodes[mul], g.nodes[sub]
    if dmul["op"] != "multiply" or dsub["op"] != "subtract" or st.outs != [sub]:
        return None
    if dm["dtype"].name not in ("float32", "float64") or len(dm["shape"]) != 2:
        return None
    a, b = dm["inputs"]
    if any(len(g.nodes[u]["shape"]) != 2 for u in (a, b)):
        return None
    cands = [u for u in dmul["inputs"] if u != m]
    if len(cands) != 1 or m not in dmul["inputs"] or dsub["inputs"][1] != mul:
        return None
    c = cands[0]
    if int(np.prod(g.nodes[c]["shape"], dtype=np.int64)) != 1:
        return None
    w = dsub["inputs"][0]
    dw = g.nodes[w]
    if dw["op"] != "read_variable" or tuple(dw["shape"]) != tuple(dm["shape"]) or \
            dw["dtype"] != dm["dtype"] or w in (a, b) or w in plan.outputs_set:
        return None
    var = dw["attrs"]["var"]
    users = [v for v in g.successors(sub) if not g.edges[sub, v]["control"]]
    if sub in plan.outputs_set or len(users) != 1:
        return None
    asg = users[0]
    da = g.nodes[asg]
    if da["op"] != "assign" or da["attrs"].get("spec") is not None or \
            da["attrs"]["var"] is not var or asg not in step_of:
        return None
    if m in plan.outputs_set or any(v != mul for v in g.successors(m)):
        return None
    for v in g.successors(w):                 # every other reader of the old value runs first
        if v not in (sub,) and not g.edges[w, v]["control"] and step_of.get(v, -1) >= pos:
            return None
    for n, d in g.nodes(data=True):           # other reads of the variable: not in between
        if d["op"] == "read_variable" and n != w and d["attrs"]["var"] is var:
            if pos <= step_of.get(n, -1) < step_of[asg]:
                return None
    ip = _Inplace()
    ip.w, ip.a, ip.b = plan.slot[w], plan.slot[a], plan.slot[b]
    if g.nodes[c]["op"] == "constant":
        ip.c, ip.const = None, np.asarray(g.nodes[c]["attrs"]["value"]).reshape(-1)[0]
    else:
        ip.c, ip.const = plan.slot[c], None
    ip.ta, ip.tb = bool(dm["attrs"]["transpose_a"]), bool(dm["attrs"]["transpose_b"])
    ip.out, ip.dtype, ip.shape = plan.slot[sub], dm["dtype"], tuple(dm["shape"])
    ip.refs = _REFS_HELD + 1     # the variable holds it too
    return ip


def _baseline_refs():
    """sys.getrefcount of an array held only by a `vals` slot, read into a local (as the
    specialized steps do): 3 on CPython 3.11 (slot, local, argument)."""
    vals = [np.empty(1)]

    def probe(vals):
        v = vals[0]
        return sys.getrefcount(v)
    return probe(vals)


_REFS_HELD = _baseline_refs()


def _matmul_source(d, slots, ns):
    """Source of a matmul node's call: np.matmul on `.T` views for 2-D operands (the op's impl
    costs an extra Python frame and two swapaxes calls); None otherwise."""
    if d["op"] != "matmul" or not all(len(s) == 2 for s in d["_in_shapes"]):
        return None
    ns["MM"] = np.matmul
    a, b = slots
    ta = ".T" if d["attrs"]["transpose_a"] else ""
    tb = ".T" if d["attrs"]["transpose_b"] else ""
    return f"MM(vals[{a}]{ta}, vals[{b}]{tb})"


def _static_runner(d):
    """node_runner, except that ones_like/zeros_like use the static shape (their input may be
    skipped: only its shape matters)."""
    if OPS[d["op"]].facts.get("value_independent"):
        shape, dtype = d["shape"], d["dtype"]
        fill = np.ones if d["op"] == "ones_like" else np.zeros
        return lambda *_: fill(shape, dtype)
    return node_runner(d)


def _uniform_constant(value):
    """The scalar a constant array is filled with, or None (folded zeros/ones become scalars)."""
    v = np.asarray(value)
    if v.size == 0:
        return None
    first = v.reshape(-1)[0]
    if v.size == 1 or (v == first).all() or (v.dtype.kind == "f" and np.isnan(first)
                                              and np.isnan(v).all()):
        return v.dtype.type(first)
    return None


class _NodeStep:
    kind = "node"

    def __init__(self, plan, n):
        d = plan.graph.nx.nodes[n]
        self.plan, self.node, self.d = plan, n, d
        self.out = plan.slot[n]
        self.ins = tuple(plan.slot[u] for u in value_inputs(d))
        self.fn = _static_runner(d)
        self.assign_fast = None
        if d["op"] == "assign" and d["attrs"].get("spec") is None:
            self.assign_fast = d["attrs"]["var"]
            self.value_slot = plan.slot[d["inputs"][0]]

        args = ", ".join(f"vals[{i}]" for i in self.ins)
        pre = ("        if adopt(vals):\n            return\n"
               if self.assign_fast is not None else "")
        ns = dict(fn=self.fn, adopt=self._adopt, error=self._error)
        expr = _matmul_source(dict(d, _in_shapes=[plan.graph.nx.nodes[u]["shape"]
                                                  for u in d["inputs"]]), self.ins, ns)
        self.call = _compile(
            "def call(vals):\n    try:\n" + pre
            + f"        vals[{self.out}] = {expr or f'fn({args})'}\n"
            "    except Exception as e:\n        raise error(e) from None\n", **ns)


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
        if v is old:            # updated in place (see _inplace_run)
            return True
        if (v.__class__ is not np.ndarray or v.base is not None or v.dtype != old.dtype
                or v.shape != old.shape or sys.getrefcount(v) > _REFS_HELD):
            return False
        self.assign_fast._value = v
        return True

    def describe(self):
        d = self.d
        return f"numpy  %{self.node} {d['op']}  {d['shape']} {d['dtype'].name}  @ {d['source']}"


class _ClusterStep:
    kind = "cluster"

    def __init__(self, plan, k, info, live):
        g = plan.graph.nx
        self.plan, self.k, self.info = plan, k, info
        self.anchor = info["anchor"]
        members = [m for m in info["nodes"] if m in live and m != self.anchor]
        self.members = members
        mset = set(members) | ({self.anchor} if self.anchor is not None else set())
        self.fresh = False
        self.kernel = None
        self.why_numpy = None
        self.last_error = None
        self.absorbed = []
        # numpy fallback: the same nodes through the op table's implementations
        fb = []
        for m in ([self.anchor] if self.anchor is not None else []) + members:
            d = g.nodes[m]
            fb.append((plan.slot[m], _static_runner(d),
                       tuple(plan.slot[u] for u in value_inputs(d)), m))
        self.fallback_steps = fb
        if self.anchor is not None:
            d = g.nodes[self.anchor]
            self.anchor_run = (plan.slot[self.anchor], node_runner(d),
                               tuple(plan.slot[u] for u in d["inputs"]))
        # which members are read outside (live consumers) or returned
        outs = []
        for m in members:
            if m in plan.outputs_set or any(
                    v in live and v not in mset and m in value_inputs(g.nodes[v])
                    for v in g.successors(m)):
                outs.append(m)
        self.outs = outs
        self._build_spec(g, live)

    # ------------------------------------------------------------------ kernel spec
    def _build_spec(self, g, live):
        info = self.info
        dom = tuple(info["domain"])
        size = int(np.prod(dom, dtype=np.int64)) if dom else 1
        if not self.members:
            self.why_numpy = "nothing to compute after the matmul"
            return
        if size <= 1:
            self.why_numpy = "scalar domain: numpy is as fast and needs no compile"
            return
        nd = len(dom)
        mset = set(self.members)
        reds = [m for m in self.members if monoid(g.nodes[m]["op"]) is not None]
        axes = set(g.nodes[reds[0]]["attrs"]["axis"]) if reds else set()
        # operands: values from outside (the anchor counts as outside: it runs first)
        opnodes = []
        for m in self.members:
            for u in value_inputs(g.nodes[m]):
                if u not in mset and u not in opnodes:
                    opnodes.append(u)

        def pattern(shape):
            off = nd - len(shape)
            return tuple(j >= off and shape[j - off] == dom[j] for j in range(nd))

        # one_hot's index input broadcasts along the new last axis: view it as shape + (1,)
        onehot_in = {g.nodes[m]["inputs"][0] for m in self.members
                     if g.nodes[m]["op"] == "one_hot"}
        for u in onehot_in:
            if u in mset or any(u in value_inputs(g.nodes[m]) for m in self.members
                                if g.nodes[m]["op"] != "one_hot"):
                self.why_numpy = "one_hot's indices are also read elementwise in this cluster"
                return
        pats = {u: pattern(tuple(g.nodes[u]["shape"]) + ((1,) if u in onehot_in else ()))
                for u in opnodes}
        consts = {}
        for u in opnodes:
            d = g.nodes[u]
            if int(np.prod(d["shape"], dtype=np.int64)) == 1:
                pats[u] = (False,) * nd
            if d["op"] == "constant":
                c = _uniform_constant(d["attrs"]["value"])
                if c is not None:
                    consts[u] = c
                    pats[u] = (False,) * nd
        # collapse the loop nest: drop unit dims, merge neighbours that every operand and the
        # reduction treat alike (valid for C-contiguous operands, which the run time ensures)
        keep = [j for j in range(nd) if dom[j] != 1]
        arrays = [u for u in opnodes if any(pats[u])]
        groups = []
        for j in keep:
            sig = (tuple(pats[u][j] for u in arrays), j in axes)
            if groups and groups[-1][0] == sig:
                groups[-1][1].append(j)
            else:
                groups.append((sig, [j]))
        cnd = len(groups)
        ext = tuple(int(np.prod([dom[j] for j in js], dtype=np.int64)) for _, js in groups)
        gpat = {u: tuple(pats[u][js[0]] for _, js in groups) for u in opnodes}
        reduced = tuple(sig[1] for sig, _ in groups) if reds else None
        # operands
        operands, op_index, self.op_plan = [], {}, []
        self.absorbed = []
        for u in opnodes:
            d = g.nodes[u]
            dt = d["dtype"]
            op_index[u] = len(operands)
            if u in consts:
                operands.append(Operand("s", dt, (False,) * cnd))
                self.op_plan.append(("const", None, None, dt, consts[u]))
            elif not any(gpat[u]):
                operands.append(Operand("s", dt, (False,) * cnd))
                self.op_plan.append(("scalar", self.plan.slot[u], None, dt, None))
            else:
                operands.append(Operand("a", dt, gpat[u]))
                view = tuple(e if p else 1 for e, p in zip(ext, gpat[u]))
                src = u
                if d["op"] == "reshape" and u not in self.plan.outputs_set:
                    # read the reshape's input with the loop's view instead (same C order):
                    # the numpy reshape step can then be dropped
                    src = d["inputs"][0]
                    self.absorbed.append(u)
                known = src == self.anchor or src in self.plan.contiguous
                shape = tuple(g.nodes[src]["shape"])
                self.op_plan.append(("known" if known else "array", self.plan.slot[src], view,
                                     dt, shape))
        # nodes
        knodes, ref, kreds = [], {}, []
        for u in opnodes:
            ref[u] = ("in", op_index[u])
        outs_full, outs_red = [], []
        for m in self.members:
            d = g.nodes[m]
            args = [ref[u] for u in value_inputs(d)]
            if monoid(d["op"]) is not None:
                kreds.append(KReduction(monoid(d["op"]), args[0], d["dtype"]))
                outs_red.append(m)
                continue
            cdt = g.nodes[d["inputs"][0]]["dtype"] if d["inputs"] else d["dtype"]
            attrs = d["attrs"]
            if d["op"] == "one_hot":
                cdt = d["dtype"]
                last = [k for k, (_, js) in enumerate(groups) if nd - 1 in js]
                attrs = dict(attrs, _index=f"i{last[0]}" if last else "0")
            ref[m] = ("v", len(knodes))
            knodes.append(KNode(d["op"], args, attrs, d["dtype"], cdt))
        outs_full = [m for m in self.outs if m not in outs_red]
        trailing = not reds or all(reduced[j] for j in range(sum(not r for r in reduced), cnd))
        # big loops run in chunks along the outermost loop dim on the chunk pool (serial
        # kernels on slices): valid when that dim is not reduced
        parallel = (worth_parallel([g.nodes[m]["op"] for m in self.members], size)
                    and (not reds or (trailing and not reduced[0])))
        spec = KernelSpec(cnd, reduced, operands, knodes, [ref[m][1] for m in outs_full],
                          kreds, False)
        self.spec = spec
        self.source = generate(spec)
        self.extents = ext
        self.parallel = parallel
        if not reds:
            red_view = None
        elif trailing:
            red_view = tuple(1 if r else e for e, r in zip(ext, reduced))
        else:
            red_view = (int(np.prod([e for e, r in zip(ext, reduced) if not r], dtype=np.int64)),)
        self.out_plan = []
        for m in outs_full:
            d = g.nodes[m]
            self.out_plan.append((self.plan.slot[m], tuple(d["shape"]), d["dtype"], ext))
        for m in outs_red:
            d = g.nodes[m]
            self.out_plan.append((self.plan.slot[m], tuple(d["shape"]), d["dtype"], red_view))
        # reductions whose value nobody outside reads still need an output array
        self.live_outs = {self.plan.slot[m] for m in self.outs}

    pre_steps = ()

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
              "step": self, "ND": np.ndarray, "empty": np.empty, "fix": _fix_array,
              "scalar": _fix_scalar}
        body = []
        if self.anchor is not None:
            s, f, ins = self.anchor_run
            ns["AF"] = f
            g = self.plan.graph.nx
            d = g.nodes[self.anchor]
            expr = _matmul_source(dict(d, _in_shapes=[g.nodes[u]["shape"] for u in d["inputs"]]),
                                  ins, ns)
            body.append(f"vals[{s}] = {expr or 'AF(' + ', '.join(f'vals[{i}]' for i in ins) + ')'}")
        args = [str(e) for e in self.extents]
        sliced = []                       # (arg index) of arrays cut along the outer loop dim
        for j, (kind, s, view, dt, extra) in enumerate(self.op_plan):
            ns[f"D{j}"] = dt
            if kind == "const":
                ns[f"C{j}"] = extra
                args.append(f"C{j}")
                continue
            body.append(f"x{j} = vals[{s}]")
            if kind == "scalar":
                ns[f"T{j}"] = dt.type
                body.append(f"if x{j}.__class__ is not T{j}: x{j} = scalar(x{j}, D{j})")
                args.append(f"x{j}")
                continue
            if kind == "array":
                body.append(f"if x{j}.__class__ is not ND or x{j}.dtype is not D{j} or "
                            f"not x{j}.flags.c_contiguous: x{j} = fix(x{j}, D{j})")
            if view[0] != 1:
                sliced.append(len(args))
            args.append(f"x{j}" if extra == view else f"x{j}.reshape({view})")
        for j, (s, shape, dt, view) in enumerate(self.out_plan):
            ns[f"O{j}"] = dt
            body.append(f"o{j} = empty({shape}, O{j})")
            if view[0] != 1:
                sliced.append(len(args))
            args.append(f"o{j}" if shape == view else f"o{j}.reshape({view})")
        if self.parallel:
            # views once, then each chunk calls the serial kernel on rows [lo, hi)
            body += [f"w{i} = {a}" for i, a in enumerate(args) if i in sliced]
            cargs = ["hi - lo"] + args[1:len(self.extents)] + [
                f"w{i}[lo:hi]" if i in sliced else a
                for i, a in enumerate(args) if i >= len(self.extents)]
            row = int(np.prod(self.extents[1:], dtype=np.int64)) if len(self.extents) > 1 else 1
            ns["POOL"] = _chunk_pool()
            ns["ROWS"] = max(1, CHUNK_ELEMENTS // max(row, 1))
            body += ["def chunk(lo, hi):", f"    fn({', '.join(cargs)})",
                     f"POOL.run(chunk, {self.extents[0]}, ROWS)"]
        else:
            body.append(f"fn({', '.join(args)})")
        src = ["def call(vals):"]
        if self.inplace is not None:
            ns["INPLACE"] = self._inplace_run
            src += ["    if INPLACE(vals):", "        return"]
        src += ["    fn = K.fn", "    if fn is None:", "        return numpy_path(vals)",
                "    try:"]
        src += ["        " + b for b in body]
        src += ["    except Exception as e:", "        return failed(vals, e)"]
        src += [f"    vals[{s}] = o{j}" for j, (s, _, _, _) in enumerate(self.out_plan)]
        src += ["    step.fresh = True"]
        self.call_source = "\n".join(src) + "\n"
        self.call = _compile(self.call_source, **ns)

    def __call__(self, vals):
        return self.call(vals)

    inplace = None
    inplace_runs = 0

    def _inplace_run(self, vals):
        """W - c * (A @ B) accumulated by BLAS into W's own buffer (gemm with beta=1), when this
        step holds the only reference to W (the variable's old value). False: take the normal
        path."""
        ip = self.inplace
        w = vals[ip.w]
        if (w.__class__ is not np.ndarray or w.dtype is not ip.dtype or w.base is not None
                or not w.flags.c_contiguous or not w.flags.writeable or w.shape != ip.shape
                or sys.getrefcount(w) > ip.refs):
            return False
        gemm = _gemm(ip.dtype)
        a, b = vals[ip.a], vals[ip.b]
        if (gemm is None or a.__class__ is not np.ndarray or b.__class__ is not np.ndarray
                or a.dtype is not ip.dtype or b.dtype is not ip.dtype
                or not a.flags.c_contiguous or not b.flags.c_contiguous):
            return False
        c = vals[ip.c] if ip.c is not None else ip.const
        gemm(-float(c.reshape(-1)[0] if hasattr(c, "reshape") else c), a, b, ip.ta, ip.tb, w)
        vals[ip.out] = w
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
            lines.append(f"    anchor:  %{self.anchor} matmul runs on numpy/BLAS (np.matmul); "
                         "the loop is its epilogue")
        ins = [u for u in info["inputs"]]
        lines.append("    inputs:  " + ", ".join(f"%{u} {g.nodes[u]['op']} {g.nodes[u]['shape']}"
                                               for u in ins))
        lines.append("    outputs: " + (", ".join(f"%{m} {g.nodes[m]['op']}" for m in self.outs)
                                        or "-"))
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
                       "compiled (cache miss)")
                if k.requests > 1:
                    how += f"; used by {k.requests} clusters of this process (memory cache)"
                status = f"{how}, {k.compile_seconds:.3f} s"
            elif k.state == "failed":
                status = f"FAILED, runs on numpy: {k.error}"
            else:
                status = f"{k.state} (runs on numpy until ready)"
            how_run = "chunked on all cores" if self.parallel else "serial"
            lines.append(f"    kernel:  {k.key}  {how_run}  "
                         f"{status}")
            if k.path:
                lines.append(f"    file:    {k.path}")
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


class NumbaPlan:
    """Execution plan of a graph on the numba backend; `run(list_of_arrays)` like `NumpyPlan`."""

    def __init__(self, graph, sync=None):
        t0 = time.perf_counter()
        self.source_graph = graph
        self.graph = g = fuse(graph.copy(), lowerable=lowering.SCALAR)
        gx = g.nx
        self.order = order = g.topo()
        self.slot = {n: i for i, n in enumerate(order)}
        self.outputs_set = set(g.outputs)
        live = self._live()
        self.init = [None] * len(order)
        self.param_slots = [self.slot[p] for p in g.params]
        self.out_slots = [self.slot[o] for o in g.outputs]
        clusters = gx.graph.get("clusters", {})
        # values known to be C-contiguous arrays when produced (kernel outputs, matmul, consts)
        self.contiguous = set()
        for n in order:
            d = gx.nodes[n]
            if d["op"] == "constant":
                v = d["attrs"]["value"]
                self.init[self.slot[n]] = v
                if isinstance(v, np.ndarray) and v.flags.c_contiguous:
                    self.contiguous.add(n)
            elif d["op"] == "matmul" or "cluster" in d["tags"]:
                self.contiguous.add(n)
        # steps in an order of the cluster-condensed graph (effects keep program order)
        unit = {}
        for n in order:
            k = gx.nodes[n]["tags"].get("cluster")
            unit[n] = ("c", k) if k in clusters else ("n", n)
        cg = nx.DiGraph()
        pos = {}
        for n in order:
            u = unit[n]
            cg.add_node(u)
            pos[u] = min(pos.get(u, self.slot[n]), self.slot[n])
        for a, b in gx.edges:
            if unit[a] != unit[b]:
                cg.add_edge(unit[a], unit[b])
        late = self._late_units(cg, gx)
        self.steps, self.producer = [], {}
        # Schedule: the updates (units feeding only assigns, and the assigns) run as late as their
        # dependencies allow, after all other work, so every reader of a variable's old value
        # (forward and backward matmuls) has run before the variable's update: the update can
        # then overwrite the old buffer in place (`_detect_update`) whatever the program order of
        # the traced ops. Within each group, program order. Every edge is respected (control
        # edges keep effects - assigns, reads after assigns, prints - in program order).
        for u in nx.lexicographical_topological_sort(cg, key=lambda u: (u in late, pos[u])):
            if u[0] == "c":
                info = clusters[u[1]]
                if not any(m in live for m in info["nodes"]):
                    continue
                st = _ClusterStep(self, u[1], info, live)
                for m in st.members + ([st.anchor] if st.anchor is not None else []):
                    self.producer[m] = st
            else:
                n = u[1]
                if n not in live or gx.nodes[n]["op"] in ("parameter", "constant"):
                    continue
                st = _NodeStep(self, n)
                self.producer[n] = st
            self.steps.append(st)
        self._drop_absorbed(gx, live)
        step_of = {}
        for i, st in enumerate(self.steps):
            for m in ([st.node] if st.kind == "node" else
                      st.members + ([st.anchor] if st.anchor is not None else [])):
                step_of[m] = i
        for i, st in enumerate(self.steps):   # an absorbed reshape runs with its last reader
            if st.kind == "cluster":
                for u in st.absorbed:
                    step_of[u] = max(step_of.get(u, -1), i)
        for i, st in enumerate(self.steps):
            if st.kind == "cluster":
                st.inplace = _detect_update(self, st, i, step_of)
        self.build_seconds = time.perf_counter() - t0
        self.request(sync)

    @staticmethod
    def _late_units(cg, gx):
        """Units of the condensed graph `cg` to schedule last: assigns, and the units whose every
        consumer is an assign (the update clusters computing variables' new values). Not their
        ancestors: the backward pass must still run before them, it reads the old values."""
        def is_assign(u):
            return u[0] == "n" and gx.nodes[u[1]]["op"] == "assign"
        return {u for u in cg if is_assign(u) or (cg.succ[u] and all(map(is_assign, cg.succ[u])))}

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

    def _live(self):
        """Nodes whose values an output or effect needs (shape-only inputs don't count)."""
        gx = self.graph.nx
        need = set()
        stack = list(self.graph.outputs) + list(self.graph.effects)
        while stack:
            n = stack.pop()
            if n in need:
                continue
            need.add(n)
            d = gx.nodes[n]
            stack.extend(value_inputs(d))
            stack.extend(u for u, e in gx.pred[n].items() if e["control"])
        return need

    @property
    def cluster_steps(self):
        return [s for s in self.steps if s.kind == "cluster"]

    @property
    def kernels(self):
        return [s.kernel for s in self.cluster_steps if s.kernel is not None]

    def request(self, sync=None):
        """Ask the cache for every kernel (compiled in the background unless `sync`; the
        compiler starts when the first call has returned)."""
        if not (cache.SETTINGS.sync_compile if sync is None else sync):
            cache.hold()
        for s in self.cluster_steps:
            s.request(sync)
        self._calls = [st.call for st in self.steps]
        self._first = True

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

    def run(self, args):
        note_run()
        vals = list(self.init)
        for s, a in zip(self.param_slots, args):
            vals[s] = a
        if self._first:
            try:
                for call in self._calls:
                    call(vals)
            finally:
                self._first = False
                cache.kick()
        else:
            for call in self._calls:
                call(vals)
        return [vals[s] for s in self.out_slots]

    # ------------------------------------------------------------------ report
    def report(self):
        """The kernel plan: each step, the nodes a kernel fused, why fusion stopped, the generated
        source, compile time and cache hit or miss."""
        ks = self.kernels
        ready = sum(k.state == "ready" for k in ks)
        lines = [f"numba kernel plan for graph '{self.graph.name}': {len(self.steps)} steps, "
                 f"{len(self.cluster_steps)} fused clusters, {len(ks)} kernels "
                 f"({ready} ready), plan built in {self.build_seconds * 1e3:.1f} ms"]
        for i, st in enumerate(self.steps):
            text = st.describe()
            lines.append(f"[{i}] " + text)
        return "\n".join(lines)

    __str__ = report

