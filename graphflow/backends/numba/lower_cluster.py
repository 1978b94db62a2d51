"""Lower one fused cluster into a `KernelSpec` and the plans of its operands and outputs.

`lower_cluster(...)` decides how the loop kernel of a cluster reads and writes its values:

* the loop nest is the cluster's domain, collapsed: unit dims dropped, neighbouring dims that
  every operand and the reduction treat alike merged (valid for C-contiguous operands, which the
  run time ensures);
* every operand (a value from outside the cluster; the anchor matmul counts as outside, it runs
  first) becomes an `OperandPlan`: a baked-in constant, a scalar read from its slot, or an array
  viewed with the loop's shape (copied once if it is not a C-contiguous array of its dtype);
* every value leaving the cluster becomes an `OutputPlan` (allocated fresh per call);
* ops the lowering table marks as indexed (`lowering.INDEXED`, one_hot) read a loop index.

Pure planning: nothing here runs or compiles (see `plan._ClusterStep` for that).
"""
from typing import Any, NamedTuple, Optional

import numpy as np

from ...ops.registry import ANCHOR, CONSTANT, OPS
from ...ops.shape_ops import BROADCAST_TO, GETITEM
from ...passes.fusion import is_arg_reduction, monoid, reduce_axes, value_inputs
from . import lowering
from .codegen import KernelSpec, KNode, KReduction, Operand, generate, worth_parallel


class OperandPlan(NamedTuple):
    """How a kernel call gets one operand.

    kind   'const'  - a uniform constant, passed as the numpy scalar `value`
           'scalar' - a one-element value read from `slot`, passed as a numpy scalar
           'known'  - an array from `slot` known to be C-contiguous with `dtype` when produced
           'array'  - an array from `slot`, copied once if it is not C-contiguous of `dtype`
    view   the shape the kernel sees (the collapsed loop shape, 1 where it broadcasts)
    shape  the static shape of the value in `slot` (arrays)
    """
    kind: str
    slot: Optional[int]
    view: Optional[tuple]
    dtype: np.dtype
    value: Any = None
    shape: Optional[tuple] = None


class OutputPlan(NamedTuple):
    """A value the kernel writes: allocated as `shape`/`dtype`, passed viewed as `view`, stored
    into `slot`."""
    slot: int
    shape: tuple
    dtype: np.dtype
    view: tuple


class LoweredCluster:
    """A cluster lowered to a kernel (a plain class: a dataclass's generated methods cost a warm
    start's first plan ~0.5 ms, and the dataclasses import):

    spec      the KernelSpec
    source    generated kernel module source (also its cache key)
    extents   the collapsed loop extents (the kernel's first arguments)
    parallel  run in chunks along the outermost loop dim on all cores
    operands  [OperandPlan] in kernel argument order
    outputs   [OutputPlan]: full-domain outputs, then reduction outputs
    absorbed  reshape nodes whose input the kernel reads directly
    split     'full' (every loop dim reduced) or 'leading' (a column reduction): run in chunks
              of rows with per-chunk partial results, combined after (`plan._ClusterStep`);
              None: not split
    """
    __slots__ = ("spec", "source", "extents", "parallel", "operands", "outputs", "absorbed",
                 "split")

    def __init__(self, spec, source, extents, parallel, operands, outputs, absorbed,
                 split=None):
        self.spec, self.source, self.extents, self.parallel = spec, source, extents, parallel
        self.operands, self.outputs, self.absorbed, self.split = (operands, outputs, absorbed,
                                                                  split)


def uniform_constant(value):
    """The scalar a constant array is filled with, or None (folded zeros/ones become scalars)."""
    v = np.asarray(value)
    if v.size == 0:
        return None
    first = v.reshape(-1)[0]
    if v.size == 1 or (v == first).all() or (v.dtype.kind == "f" and np.isnan(first)
                                              and np.isnan(v).all()):
        return v.dtype.type(first)
    return None


def slice_in_place(g, u, dom, outputs):
    """(source node, source shape, start per dim) if operand `u` is a static unit-step slice
    (`getitem` of slices only) of a value with the loop domain's rank, whose outermost
    non-unit dim starts at 0 (the plan chunks that dim); the kernel then reads the source with
    the starts added to its loop indices instead of a C-contiguous copy of the slice. Else
    None.

    >>> import networkx as nx
    >>> g = nx.DiGraph()
    >>> g.add_node(0, op="parameter", shape=(8, 1024), inputs=())
    >>> g.add_node(1, op="getitem", shape=(8, 256), inputs=(0,),
    ...            attrs={"spec": (("s", None, None, None), ("s", 512, 768, None))})
    >>> slice_in_place(g, 1, (8, 256), set())
    (0, (8, 1024), (0, 512))
    """
    d = g.nodes[u]
    if OPS[d["op"]] is not GETITEM or u in outputs or tuple(d["shape"]) != tuple(dom):
        return None
    src = d["inputs"][0]
    shape = tuple(g.nodes[src]["shape"])
    spec = d["attrs"]["spec"]
    if len(shape) != len(dom) or len(spec) > len(dom) or any(
            not isinstance(s, int) for s in shape):
        return None
    starts = []
    for j, n in enumerate(shape):
        e = spec[j] if j < len(spec) else ("s", None, None, None)
        if e[0] != "s" or any(v is not None and not isinstance(v, int) for v in e[1:]) or \
                e[3] not in (None, 1):
            return None
        a, b, _ = slice(e[1], e[2]).indices(n)
        if b - a != dom[j] or (dom[j] == 1 and n != 1):
            return None        # (a unit dim of the loop is dropped: it must be whole)
        starts.append(a)
    first = [j for j in range(len(dom)) if dom[j] != 1]
    if not first or starts[first[0]]:
        return None
    return src, shape, tuple(starts)


#: ops that would copy a broadcast view anyway (numpy reshape, BLAS, concatenate) and that a
#: compiled while_loop body runs itself (`loop.py`): a broadcast they read stays a kernel
_COPIES_VIEWS = frozenset(["reshape", "concat", "getitem", "getitem_grad", "dynamic_getitem",
                           "dynamic_setitem"])


def _view_readers(g, members):
    """True if every member is a broadcast_to and every reader outside the cluster is a node
    step that takes the broadcast as numpy's read-only view, not a copy (a scatter-add reads each
    distinct row once: an embedding gradient's (1024, 32, 256) copy of (1024, 1, 256) rows cost
    2.5 ms of a 25 ms step)."""
    if not all(OPS[g.nodes[m]["op"]] is BROADCAST_TO for m in members):
        return False
    mset = set(members)
    readers = {v for m in members for v in g.successors(m) if v not in mset}
    return bool(readers) and all(
        "cluster" not in g.nodes[v]["tags"] and OPS[g.nodes[v]["op"]].kind != ANCHOR
        and g.nodes[v]["op"] not in _COPIES_VIEWS for v in readers)


def lower_cluster(g, info, members, anchor, outs, slot, contiguous, outputs):
    """(LoweredCluster, None), or (None, why the cluster runs on numpy).

    g           the fused graph's networkx DiGraph
    info        the cluster's fusion description (its 'domain')
    members     live members in topological order, without the anchor
    anchor      the matmul node run before the loop, or None
    outs        members whose values are read outside the cluster or returned
    slot        node -> value slot; contiguous: nodes known C-contiguous when produced
    outputs     the graph's output nodes (a set)
    """
    dom = tuple(info["domain"])
    size = int(np.prod(dom, dtype=np.int64)) if dom else 1
    if not members:
        return None, "nothing to compute after the matmul"
    if size <= 1:
        return None, "scalar domain: numpy is as fast and needs no compile"
    if anchor is None and _view_readers(g, members):
        return None, "a broadcast alone: numpy's read-only view, nothing computed or copied"
    lone = g.nodes[members[0]]
    if (len(members) == 1 and is_arg_reduction(lone["op"])
            and reduce_axes(lone)[0] == len(g.nodes[lone["inputs"][0]]["shape"]) - 1
            and not worth_parallel([lone["op"]], size)):
        # (measured: numpy's SIMD argmax equals the kernel on one thread - both read the rows
        # at the cache's bandwidth - and is 1.5x faster on an L1-resident row; the kernel pays
        # off when it saves the producers' temporaries, or on all cores for a big input.
        # Over another axis numpy copies the input transposed first: 30x the kernel)
        return None, (f"a lone {lone['op']} over the last axis, too small for all cores: "
                      "numpy's own is as fast (nothing to fuse)")
    nd = len(dom)
    mset = set(members)
    cols = set(info.get("columns", ()))     # column sums (see passes.fusion.column_join)
    reds = [m for m in members if monoid(g.nodes[m]["op"]) is not None and m not in cols]
    axes = set(reduce_axes(g.nodes[reds[0]])) if reds else set()
    # operands: values from outside (the anchor counts as outside: it runs first)
    opnodes = []
    for m in members:
        for u in value_inputs(g.nodes[m]):
            if u not in mset and u not in opnodes:
                opnodes.append(u)

    def pattern(shape):
        off = nd - len(shape)
        return tuple(j >= off and shape[j - off] == dom[j] for j in range(nd))

    # an indexed op's input (one_hot's indices) broadcasts along the indexed output axis: view
    # it with a 1 inserted there
    indexed = {m: lowering.INDEXED[g.nodes[m]["op"]] % nd for m in members
               if g.nodes[m]["op"] in lowering.INDEXED}
    index_in = {g.nodes[m]["inputs"][0]: ax for m, ax in indexed.items()}
    for u in index_in:
        if u in mset or any(u in value_inputs(g.nodes[m]) for m in members if m not in indexed):
            return None, ("the input of an indexed op (e.g. one_hot's indices) is also read "
                          "elementwise in this cluster")

    def shape_in_loop(u):
        s = tuple(g.nodes[u]["shape"])
        if u in index_in:
            ax = index_in[u] - (nd - len(s) - 1)
            s = s[:ax] + (1,) + s[ax:]
        return s
    pats = {u: pattern(shape_in_loop(u)) for u in opnodes}
    consts = {}
    for u in opnodes:
        d = g.nodes[u]
        if int(np.prod(d["shape"], dtype=np.int64)) == 1:
            pats[u] = (False,) * nd
        if OPS[d["op"]] is CONSTANT:
            c = uniform_constant(d["attrs"]["value"])
            if c is not None:
                consts[u] = c
                pats[u] = (False,) * nd
    # slices read in place from their source (x[:, 512:] as x with an offset): see
    # `slice_in_place`
    sliced = {}
    for u in opnodes:
        if u not in consts and all(pats[u]):
            sl = slice_in_place(g, u, dom, outputs)
            if sl is not None:
                sliced[u] = sl
    # collapse the loop nest: drop unit dims, merge neighbours that every operand and the
    # reduction treat alike (valid for C-contiguous operands, which the run time ensures;
    # a slice read in place merges a dim into the previous one only where it is whole)
    keep = [j for j in range(nd) if dom[j] != 1]
    arrays = [u for u in opnodes if any(pats[u])]
    # a scan (lowering.SCANS, along any axis) keeps that axis its own loop dim
    scans = [m for m in members if g.nodes[m]["op"] in lowering.SCANS]
    scan_axes = {g.nodes[m]["attrs"]["axis"] % nd for m in scans}
    groups = []
    for j in keep:
        sig = (tuple(pats[u][j] for u in arrays), j in axes, j in scan_axes)
        if groups and groups[-1][0] == sig and all(sh[j] == dom[j] for _, sh, _ in
                                                   sliced.values()):
            groups[-1][1].append(j)
        else:
            groups.append((sig, [j]))
    cnd = len(groups)
    ext = tuple(int(np.prod([dom[j] for j in js], dtype=np.int64)) for _, js in groups)
    gpat = {u: tuple(pats[u][js[0]] for _, js in groups) for u in opnodes}
    reduced = tuple(sig[1] for sig, _ in groups) if reds else None
    # operands
    operands, op_index, op_plan, absorbed = [], {}, [], []
    for u in opnodes:
        d = g.nodes[u]
        dt = d["dtype"]
        op_index[u] = len(operands)
        if u in consts:
            operands.append(Operand("s", dt, (False,) * cnd))
            op_plan.append(OperandPlan("const", None, None, dt, consts[u]))
        elif not any(gpat[u]):
            operands.append(Operand("s", dt, (False,) * cnd))
            op_plan.append(OperandPlan("scalar", slot[u], None, dt))
        elif u in sliced:
            src, sh, starts = sliced[u]
            # the source viewed with the loop's dims: each group's dims merged; the offset
            # of a group is its first dim's start (the others are whole, start 0)
            view = tuple(int(np.prod([sh[j] for j in js], dtype=np.int64)) for _, js in groups)
            offs = tuple(starts[js[0]] * int(np.prod([sh[j] for j in js[1:]], dtype=np.int64))
                         for _, js in groups)
            operands.append(Operand("a", dt, gpat[u], offs))
            absorbed.append(u)
            known = src == anchor or src in contiguous
            op_plan.append(OperandPlan("known" if known else "array", slot[src], view, dt,
                                       shape=sh))
        else:
            operands.append(Operand("a", dt, gpat[u]))
            view = tuple(e if p else 1 for e, p in zip(ext, gpat[u]))
            src = u
            if OPS[d["op"]].facts.get("c_order_view") and u not in outputs:
                # read the reshape's input with the loop's view instead (same C order):
                # the numpy reshape step can then be dropped
                src = d["inputs"][0]
                absorbed.append(u)
            known = src == anchor or src in contiguous
            op_plan.append(OperandPlan("known" if known else "array", slot[src], view, dt,
                                       shape=tuple(g.nodes[src]["shape"])))
    # nodes
    knodes, ref, kreds, kcols = [], {}, [], []
    for u in opnodes:
        ref[u] = ("in", op_index[u])
    outs_red = []
    rows = set(info.get("rows", ()))
    for m in members:
        d = g.nodes[m]
        args = [ref[u] for u in value_inputs(d)]
        if m in rows and OPS[d["op"]].facts.get("c_order_view"):
            ref[m] = args[0]                # a row member that only views a row value
            continue
        if m in cols:
            ref[m] = ("c", len(kcols))
            kcols.append(KReduction("sum", args[0], d["dtype"]))
            continue
        if monoid(d["op"]) is not None:
            ref[m] = ("r", len(kreds))      # read back row-locally by later members
            kreds.append(KReduction(monoid(d["op"]), args[0], d["dtype"],
                                    g.nodes[d["inputs"][0]]["dtype"]))
            outs_red.append(m)
            continue
        cdt = g.nodes[d["inputs"][0]]["dtype"] if d["inputs"] else d["dtype"]
        attrs = d["attrs"]
        if m in scans:             # the loop dim it runs along (codegen: `_scan`)
            attrs = dict(attrs, _scan=next(k for k, (_, js) in enumerate(groups)
                                           if attrs["axis"] % nd in js))
        if m in indexed:           # computes in its output dtype, reads the loop index
            cdt = d["dtype"]
            at = [k for k, (_, js) in enumerate(groups) if indexed[m] in js]
            attrs = dict(attrs, _index=f"i{at[0]}" if at else "0")
            idt = np.dtype(g.nodes[d["inputs"][0]]["dtype"])
            if idt.kind in "iu" and idt.itemsize < 8 and dom[indexed[m]] <= np.iinfo(idt).max:
                # compare in the indices' own width (int32 labels: 16 lanes, not 8 of int64)
                attrs["_index_dtype"] = idt.name
        ref[m] = ("v", len(knodes))
        knodes.append(KNode(d["op"], args, attrs, d["dtype"], cdt))
    outs_row = [m for m in outs if m in rows]
    outs_full = [m for m in outs if m not in outs_red and m not in rows and m not in cols]
    outs_col = [m for m in members if m in cols]
    trailing = not reds or all(reduced[j] for j in range(sum(not r for r in reduced), cnd))
    # big loops run in chunks along the outermost loop dim on the chunk pool (serial
    # kernels on slices): valid when that dim is not reduced
    # a full reduction (every loop dim reduced) splits too: each chunk reduces its rows into
    # its own partial result, and the partials are combined afterwards (split-reduce)
    # (not when the cluster reads a reduction back: that needs the whole result first)
    # a column reduction (the leading loop dims reduced, e.g. a bias gradient: axis 0 of (N, C))
    # splits the same way: each chunk of rows sums into its own partial row, combined after
    readback = any(a[0] == "r" for n in knodes for a in n.args)
    leading = (bool(reds) and not trailing and reduced[0]
               and list(reduced) == sorted(reduced, reverse=True))
    # (an arg reduction's partial results would need their chunk's offset: never split)
    args_red = any(is_arg_reduction(g.nodes[m]["op"]) for m in reds)
    split = ("full" if bool(reds) and trailing and all(reduced) else
             "leading" if leading else None) if not (readback or args_red) else None
    # a reduction over inner dims that keeps the outermost one (axis 1 of a rank-3 tensor)
    # chunks that dim too: its outputs are viewed (n0, rest), each chunk writes its own rows
    # (an anchor that runs its epilogue per batch chunk, `lowering.FUSED_EPILOGUE`, chunks
    # the loop anyway: its reductions must split into per-chunk partials whatever the size)
    per_chunk = anchor is not None and g.nodes[anchor]["op"] in lowering.FUSED_EPILOGUE
    parallel = ((per_chunk or worth_parallel([g.nodes[m]["op"] for m in members], size))
                and (not reds or not reduced[0] or bool(split))
                and not any(knodes[ref[m][1]].attrs["_scan"] == 0 for m in scans))
    split = split if parallel else None
    spec = KernelSpec(cnd, reduced, operands, knodes, [ref[m][1] for m in outs_full],
                      kreds, False, row_outputs=[ref[m] for m in outs_row],
                      row_dtypes=[g.nodes[m]["dtype"] for m in outs_row], columns=kcols)
    if not reds:
        red_view = None
    elif trailing:
        red_view = tuple(1 if r else e for e, r in zip(ext, reduced))
    elif not reduced[0]:        # codegen.outer_kept: (n0, the other kept dims)
        red_view = (ext[0], int(np.prod([e for e, r in zip(ext[1:], reduced[1:]) if not r],
                                        dtype=np.int64)))
    else:
        red_view = (int(np.prod([e for e, r in zip(ext, reduced) if not r], dtype=np.int64)),)
    out_plan = []
    for m in outs_full:
        d = g.nodes[m]
        out_plan.append(OutputPlan(slot[m], tuple(d["shape"]), d["dtype"], ext))
    for m in outs_red + outs_row:          # row outputs: one value per row, like reductions
        d = g.nodes[m]
        out_plan.append(OutputPlan(slot[m], tuple(d["shape"]), d["dtype"], red_view))
    # column sums: one value per position of the reduced (inner) dims, a flat row
    for m in outs_col:
        col_view = (int(np.prod([e for e, r in zip(ext, reduced) if r], dtype=np.int64)),)
        d = g.nodes[m]
        out_plan.append(OutputPlan(slot[m], tuple(d["shape"]), d["dtype"], col_view))
    return (LoweredCluster(spec, generate(spec), ext, parallel, op_plan, out_plan, absorbed, split),
            None)
