"""Fusion: group nodes into clusters that one generated loop kernel can compute.

`fuse(graph) -> graph` annotates the graph (it does not rewrite nodes):

* every fused node gets ``tags['cluster'] = k``;
* ``graph.nx.graph['clusters'][k]`` describes cluster k::

      {'id': k, 'kind': 'elementwise' | 'reduction' | 'matmul+epilogue',
       'domain': shape the loop nest iterates over,
       'nodes': member ids in topological order (the anchor first),
       'anchor': matmul node id run (by BLAS) before the loop, or None,
       'reductions': reduction node ids (the cluster's epilogue), 'reduce_axes': tuple or None,
       'inputs': ids of values read from outside, 'outputs': members whose values leave it}

* ``graph.nx.graph['fusion']`` lists every decision as a dict with keys
  ``node`` (consumer), ``input`` (producer, or None), ``cluster`` (or None), ``fused`` (bool)
  and ``reason`` (why the edge was fused or why fusion stopped there: ``multiple consumers``,
  ``reduction boundary``, ``matmul``, ``dtype``, ``shape``, ``not fusable``, ``convexity``).

What fuses (the decisions depend on the op table only, never on a backend):

* elementwise ops (``kind == 'elementwise'`` with a template: arithmetic, transcendental,
  comparisons, ``where``, ``cast``) and ``broadcast_to``: a cluster's *domain* is the shape of
  its elementwise members; inputs of other shapes are read with broadcasting (a producer of a
  different shape is never pulled in, so no work is duplicated);
* reductions (``reduce_sum/max/min/prod``) whose input has the cluster's domain join as its
  epilogue; all reductions of one cluster reduce the same axes; nothing that reads a reduction
  result can join the cluster that computes it (the reduction boundary) - except row-locally:
  a keepdims reduction over trailing axes (not all) read back over the same domain (softmax,
  log-sum-exp, normalizations) stays in the cluster, which then runs in passes over each row;
* row members: an elementwise op over the cluster's *row shape* (its domain with the trailing
  reduced axes set to 1) that reads a row reduction or another row member (``log(sum)``,
  ``rsqrt(var + eps)``), and a C-order reshape of a non-keepdims row reduction back to the row
  shape (what gradients emit), join the cluster: they are computed once per row between the
  passes, so log-softmax, cross-entropy and layer norm with their gradients stay one kernel
  (``clusters[k]['rows']`` lists them; a row member read outside is written once per row);
* column sums: a float ``reduce_sum`` over exactly the leading dims such a row cluster keeps
  (the gamma/beta gradients of a layer norm: axis 0 of (N, C)) joins it as a *column*
  reduction when its input is a member or an input of the cluster: the last pass over each row
  adds into a row of column sums (``clusters[k]['columns']``), so the data is read once;
* a ``matmul`` anchors a cluster: elementwise consumers with its output shape (bias add,
  activation, the SGD update) form the epilogue that runs right after the BLAS call;
* an op with the fact ``elementwise_over_output_axis`` (``one_hot``: -1) is elementwise over
  its output when its ``axis`` attr is that axis (index == column); integer ops with
  ``int_zero_division='raises'`` (floordiv, mod) stay on numpy, since a kernel cannot raise;
* siblings: independent clusters over the same domain that read a common value merge
  (horizontal fusion: one launch, the shared input read once);
* clusters stay convex: a merge is refused when a path would leave the cluster and come back
  (checked on all edges, including the control edges that order effects, with reachability
  closed over the clusters formed so far, so paths through other clusters count too).
"""
import numpy as np

from ..ops.registry import ANCHOR, CONSTANT, EFFECT, OPS, REDUCTION, SOURCE

FUSABLE_DTYPES = frozenset(["float32", "float64", "int8", "int16", "int32", "int64", "uint8",
                            "uint16", "uint32", "uint64", "bool"])


def value_inputs(d):
    """Input ids whose *values* a node needs (not the shape-only input of ones_like/zeros_like)."""
    return () if OPS[d["op"]].facts.get("value_independent") and not any(
        s is None for s in d["shape"]) else d["inputs"]   # (None: the size comes at run time)


def monoid(op):
    """The combining monoid ('sum', 'max', ...) of a reduction op, 'argmax' / 'argmin' for an
    op with the fact `arg_of` (the index of the first max/min along one axis), else None."""
    o = OPS[op]
    if o.facts.get("arg_of"):
        return "arg" + o.facts["arg_of"]
    return o.facts.get("monoid") if o.kind == REDUCTION else None


def is_arg_reduction(op):
    """argmax/argmin-like: an index reduction (no keepdims, one axis, never read back in its
    cluster, not split across threads)."""
    return bool(OPS[op].facts.get("arg_of"))


def reduce_axes(d):
    """The axes a reduction node reduces, as a tuple (an arg reduction's one `axis` too)."""
    ax = d["attrs"]["axis"]
    return tuple(ax) if isinstance(ax, (tuple, list)) else (ax,)


def _is_source(op):
    return OPS[op].kind == SOURCE


def int_division(g, n):
    """True if node `n` is an integer division whose numpy impl raises on a zero divisor
    (op fact `int_zero_division="raises"`: floordiv, mod)."""
    d = g.nodes[n]
    return (OPS[d["op"]].facts.get("int_zero_division") == "raises"
            and d["dtype"].kind in "iu")


def _divisor_checkable(g, u):
    """True if an integer division by node `u` may run in a kernel: `u` is a graph input,
    which the numba plan checks for zeros before the kernel (then the numpy path raises), or a
    constant without zeros."""
    d = g.nodes[u]
    if d["op"] == "constant":
        return bool(np.all(d["attrs"]["value"]))
    return d["op"] in ("parameter", "read_variable")


def classify(g, n, lowerable=frozenset()):
    """('ew' | 'red' | 'mm' | None, domain shape, reason when None). `lowerable`: the ops the
    backend can compute element by element (its lowering table)."""
    d = g.nodes[n]
    op = d["op"]
    kind = OPS[op].kind
    dts = [d["dtype"].name] + [g.nodes[u]["dtype"].name for u in d["inputs"]]
    if any(s is None for x in [d] + [g.nodes[u] for u in d["inputs"]] for s in x["shape"]):
        return None, None, f"{op}: a size known only at run time (a while_loop's history)"
    if kind == ANCHOR:
        return "mm", tuple(d["shape"]), None
    if monoid(op) is not None:
        bad = [t for t in dts if t not in FUSABLE_DTYPES]
        if bad:
            return None, None, f"dtype {bad[0]} is not supported by fused kernels"
        src = tuple(g.nodes[d["inputs"][0]]["shape"])
        if is_arg_reduction(op) and src[reduce_axes(d)[0]] >= 2**31:
            return None, None, f"{op} over an axis of 2**31 or more values runs on numpy"
        return "red", src, None
    facts = OPS[op].facts
    if facts.get("scan_of") and op in lowerable:
        shape, at = tuple(d["shape"]), d["attrs"]
        if (shape and shape[at["axis"] % len(shape)] > 1
                and all(t in FUSABLE_DTYPES for t in dts)):
            return "scan", shape, None
        return None, None, f"{op} along an axis of length 1 or of an unfusable dtype runs on numpy"
    ax = facts.get("elementwise_over_output_axis")
    if ax is not None and d["attrs"]["axis"] % len(d["shape"]) != ax % len(d["shape"]):
        return None, None, f"{op} along another axis than {ax} runs on numpy"
    if op in lowerable:
        bad = [t for t in dts if t not in FUSABLE_DTYPES]
        if bad:
            return None, None, f"dtype {bad[0]} is not supported by fused kernels"
        if int_division(g, n) and not _divisor_checkable(g, d["inputs"][1]):
            # the numpy impl raises on integer division by zero; a kernel cannot, so keep it
            return None, None, (f"integer {op} by a computed divisor checks for division by "
                                "zero (runs on numpy)")
        return "ew", tuple(d["shape"]), None
    if kind == SOURCE:
        return None, None, f"{op} (an input of the graph)"
    if kind == EFFECT:
        return None, None, f"{op} is an effect (runs in program order)"
    return None, None, f"{op} is not elementwise (runs on numpy)"


class _Cluster:
    __slots__ = ("nodes", "domain", "fusable", "anchor", "reductions", "reduce_axes", "mask",
                 "rows", "scan", "cols")

    def __init__(self, n, i, kind, dom, attrs):
        self.nodes, self.domain, self.fusable = [n], dom, kind is not None
        self.scan = kind == "scan"      # a scan runs alone in its loop (never merged)
        self.anchor = n if kind == "mm" else None
        self.reductions = [n] if kind == "red" else []
        self.reduce_axes = reduce_axes({"attrs": attrs}) if kind == "red" else None
        self.mask = 1 << i
        self.rows = set()        # row members: values over the kept dims (see `row_shape`)
        self.cols = []           # column sums over the kept dims (see `column_join`)

    def absorb(self, o):
        self.nodes += o.nodes
        self.rows |= o.rows
        self.cols += o.cols
        self.reductions += o.reductions
        if o.anchor is not None:
            self.anchor = o.anchor
        if o.reduce_axes is not None:
            self.reduce_axes = o.reduce_axes
        self.mask |= o.mask


class _Reach:
    """Ancestor/descendant bitmasks of every node in the *clustered* graph.

    A cluster runs as one unit, so every ancestor of any member precedes every descendant of any
    member: after each merge the masks are closed over the new cluster (`close`). Convexity
    checks on these masks therefore see paths that pass through other clusters too.
    """

    def __init__(self, graph, order):
        g = graph.nx
        self.idx = idx = {n: i for i, n in enumerate(order)}
        self.order = order
        anc, desc = [0] * len(order), [0] * len(order)
        for i, n in enumerate(order):
            a = 0
            for p in g.predecessors(n):
                j = idx[p]
                a |= anc[j] | (1 << j)
            anc[i] = a
        for i in range(len(order) - 1, -1, -1):
            dsc = 0
            for v in g.successors(order[i]):
                j = idx[v]
                dsc |= desc[j] | (1 << j)
            desc[i] = dsc
        self.anc, self.desc = anc, desc

    def of(self, parts):
        mask = anc = desc = 0
        for c in parts:
            mask |= c.mask
            for m in c.nodes:
                i = self.idx[m]
                anc |= self.anc[i]
                desc |= self.desc[i]
        return mask, anc & ~mask, desc & ~mask

    def violation(self, parts):
        """None if the union of `parts` is convex, else a node on a path that leaves and
        re-enters it."""
        _, anc, desc = self.of(parts)
        bad = anc & desc
        return None if not bad else self.order[(bad & -bad).bit_length() - 1]

    def depends(self, a, b):
        """Is there a path between clusters a and b (either way)?"""
        _, _, da = self.of([a])
        _, _, db = self.of([b])
        return bool(da & b.mask or db & a.mask)

    def close(self, c):
        mask, anc, desc = self.of([c])
        up, down = anc | mask, desc | mask
        _or_into(self.anc, desc, up)
        _or_into(self.desc, anc, down)


def _or_into(masks, which, value):
    """masks[j] |= value for every bit j set in `which` (bits found with str.find, C speed)."""
    bits = bin(which)[:1:-1]           # bit 0 first
    j = bits.find("1")
    while j >= 0:
        m = masks[j]
        if m & value != value:
            masks[j] = m | value
        j = bits.find("1", j + 1)


def row_local(g, r, dom):
    """Can a reader over `dom` use reduction `r`'s result in r's own cluster? Yes when r reduces
    trailing axes of `dom` (never all of them), keeps dims, and r's input has the domain `dom`:
    the cluster then runs in passes over each row (reduce, then read the result back along the
    row: softmax, log-sum-exp, normalization), the row staying in cache."""
    d = g.nodes[r]
    nd = len(dom)
    if is_arg_reduction(d["op"]):
        return False
    axes = tuple(sorted(a % nd for a in d["attrs"]["axis"])) if nd else ()
    if not axes or axes[0] == 0 or axes != tuple(range(axes[0], nd)):
        return False
    if tuple(g.nodes[d["inputs"][0]]["shape"]) != tuple(dom):
        return False
    return tuple(d["shape"]) == tuple(1 if j in axes else e for j, e in enumerate(dom))


def row_shape(g, r):
    """The keepdims shape of trailing reduction `r`'s result (its input's shape with the reduced
    axes set to 1) when r reduces trailing axes of its input, never all of them; else None.
    Such a result can be read back row by row in r's own cluster (keepdims or not)."""
    d = g.nodes[r]
    dom = tuple(g.nodes[d["inputs"][0]]["shape"])
    nd = len(dom)
    if is_arg_reduction(d["op"]):
        return None
    axes = tuple(sorted(a % nd for a in d["attrs"]["axis"])) if nd else ()
    if not axes or axes[0] == 0 or axes != tuple(range(axes[0], nd)):
        return None
    return tuple(1 if j in axes else e for j, e in enumerate(dom))


def _cluster_row_shape(g, c):
    """The row shape of cluster `c` (see `row_shape`) from its reductions over its domain."""
    for r in c.reductions:
        if tuple(g.nodes[g.nodes[r]["inputs"][0]]["shape"]) == tuple(c.domain):
            rs = row_shape(g, r)
            if rs is not None:
                return rs
    return None


def _row_value(g, p, c):
    """Is `p` a per-row value of cluster `c`: a trailing row reduction or a row member?"""
    if p in c.rows:
        return True
    return (p in c.reductions and
            tuple(g.nodes[g.nodes[p]["inputs"][0]]["shape"]) == tuple(c.domain) and
            row_shape(g, p) is not None)


def _reads_reduction(parts, g, idx):
    """A reduction is its cluster's epilogue: no member of the union may read its result
    (except row-locally: see `row_local`, and row members, see `_row_join`)."""
    mask = 0
    rows = set()
    for c in parts:
        mask |= c.mask
        rows |= c.rows
    for c in parts:
        for r in c.reductions + c.cols:
            dom = g.nodes[g.nodes[r]["inputs"][0]]["shape"]
            if r not in c.cols and row_local(g, r, tuple(dom)):
                continue
            for v in g.successors(r):
                if mask >> idx[v] & 1 and v not in rows:
                    return (f"reduction boundary: %{v} reads the reduction %{r}, which must "
                            "finish first")
    return None


def column_join(g, base, other):
    """True if cluster `other` - column sums over the domain of row cluster `base`, with their
    elementwise producers - can run inside `base`'s last pass over each row: `base` has trailing
    row reductions over its domain (a row shape), every reduction of `other` is a float sum
    over exactly the leading dims `base` keeps, `other` has no row values or columns of its own
    and no member of `other` reads one of its reductions. The caller checks convexity."""
    if other.anchor is not None or other.scan or other.rows or other.cols or base.scan or \
            base.anchor is not None or not other.reductions or \
            tuple(other.domain) != tuple(base.domain):
        return False
    rs = _cluster_row_shape(g, base)
    if rs is None:
        return False
    nd = len(rs)
    keep = min(a % nd for a in base.reduce_axes)
    mset = set(other.nodes)
    for r in other.reductions:
        d = g.nodes[r]
        if monoid(d["op"]) != "sum" or d["dtype"].name not in ("float32", "float64") or \
                g.nodes[d["inputs"][0]]["dtype"] != d["dtype"] or \
                tuple(g.nodes[d["inputs"][0]]["shape"]) != tuple(base.domain) or \
                tuple(sorted(a % nd for a in reduce_axes(d))) != tuple(range(keep)) or \
                any(v in mset for v in g.successors(r)):
            return False
    return True


def _absorb_columns(base, other):
    """Merge `other` into `base`, its reductions becoming `base`'s columns."""
    reds = other.reductions
    other.reductions, other.reduce_axes = [], None
    base.absorb(other)
    base.cols += reds


def _axes_conflict(parts):
    """All reductions of one cluster reduce the same axes: the reason a union breaks that, or
    None (checked over every part, so two producers with different axes never merge)."""
    axes = {c.reduce_axes for c in parts if c.reduce_axes is not None}
    if len(axes) > 1:
        return "reduction axes differ (" + " vs ".join(str(a) for a in sorted(axes, key=str)) + ")"
    return None


def _anchor_conflict(parts, reach):
    """A matmul anchor runs before its loop: no other member may feed it."""
    anchors = [c for c in parts if c.anchor is not None]
    if len(anchors) > 1:
        return "matmul: a kernel runs at most one matmul"
    if anchors:
        a = reach.anc[reach.idx[anchors[0].anchor]]
        if any(c.mask & a for c in parts if c is not anchors[0]):
            return "matmul: its operands are computed by the other cluster"
    return None


def fuse(graph, siblings=True, lowerable=frozenset()):
    """Annotate `graph` with fusion clusters (see the module docstring); returns the graph.

    With `siblings`, independent clusters over the same domain that read a common value are
    merged too (horizontal fusion: the shared input is read once, one kernel launch instead of
    several).
    """
    g = graph.nx
    order = graph.topo()
    reach = _Reach(graph, order)
    idx = reach.idx
    cl = {}            # node -> its _Cluster
    kinds = {}
    records = []
    outputs = set(graph.outputs)

    def rec(node, inp, fused, reason, cluster=None):
        records.append({"node": node, "input": inp, "cluster": cluster, "fused": fused,
                        "reason": reason})

    for n in order:
        d = g.nodes[n]
        i = idx[n]
        kind, dom, why = classify(g, n, lowerable)
        kinds[n] = (kind, dom)
        me = _Cluster(n, i, kind, dom, d["attrs"])
        rc = _row_join(g, n, kind, cl, reach, me)
        if rc is not None:
            c, p = rc
            c.absorb(me)
            c.rows.add(n)
            cl[n] = c
            reach.close(c)
            rec(n, p, True, "row-local: computed once per row of the cluster's domain "
                f"{tuple(c.domain)} (its shape {tuple(d['shape'])} is the row reductions')")
            continue
        if kind is None or kind in ("mm", "scan"):
            cl[n] = me
            for p in dict.fromkeys(value_inputs(d)):
                pk = kinds[p][0]
                if pk in ("ew", "red", "scan") or (pk == "mm" and kind is None):
                    rec(n, p, False, ("matmul: operands of a BLAS call are materialized"
                                      if kind == "mm" else "scan: runs alone in its own loop"
                                      if kind == "scan" else f"not fusable: {why}"))
            continue
        chosen = []
        for p in dict.fromkeys(value_inputs(d)):
            c = cl[p]
            pk = kinds[p][0]
            reason = None
            if not c.fusable:
                if _is_source(g.nodes[p]["op"]):
                    continue
                reason = f"not fusable: {classify(g, p, lowerable)[2]}"
            elif any(c is x for x in chosen):
                continue
            elif c.scan:
                reason = "scan: runs alone in its own loop"
            elif p in c.cols or any(cl[u] is c and u in c.cols for u in value_inputs(d)):
                # (a column sum over the leading dims is complete only after the last row)
                reason = "column boundary: a column sum is read after its cluster's last pass"
            elif pk == "red" and not row_local(g, p, dom):
                reason = "reduction boundary: the reduction must finish before its result is read"
            elif pk == "red" and c.domain != dom:
                reason = "shape: the reduction's domain differs from this node's"
            elif pk != "red" and c.domain != dom:
                reason = (f"shape: {tuple(g.nodes[p]['shape'])} is broadcast into {dom}, "
                          "so it is computed in its own loop")
            elif p in c.rows and len(g.nodes[p]["shape"]) < len(dom):
                reason = ("shape: a per-row value without keepdims broadcasts along the last "
                          "axes here, not along its rows")
            elif any(cl[u] is c and kinds[u][0] == "red" and not row_local(g, u, dom)
                     for u in value_inputs(d)):
                reason = "reduction boundary: this node also reads a reduction of that cluster"
            elif (kind == "red" and not chosen and column_join(g, c, me)
                  and reach.violation([c, me]) is None):
                _absorb_columns(c, me)
                cl[n] = c
                reach.close(c)
                rec(n, p, True, "column: summed over the kept dims in the last pass over "
                    "each row of the cluster")
                break
            elif _axes_conflict(chosen + [c, me]) is not None:
                reason = _axes_conflict(chosen + [c, me])
            else:
                parts = chosen + [c, me]
                q = reach.violation(parts)
                if q is not None:
                    reason = (f"convexity: the path through %{q} would leave the cluster and "
                              "come back")
                else:
                    reason = (_anchor_conflict(parts, reach)
                              or _reads_reduction(parts[:-1], g, idx))
                if reason is None:
                    chosen.append(c)
                    rec(n, p, True, "fused")
                    continue
            rec(n, p, False, reason)
        if cl.get(n) is not None:      # joined as a column
            continue
        if not chosen:
            cl[n] = me
            continue
        root = chosen[0]
        for x in chosen[1:]:
            root.absorb(x)
            for m in x.nodes:
                cl[m] = root
        root.absorb(me)
        cl[n] = root
        reach.close(root)

    if siblings:
        _merge_siblings(graph, order, reach, cl, rec)

    # ---- number the clusters in program order and describe them
    roots = []
    for n in order:
        c = cl[n]
        if c.fusable and (len(c.nodes) > 1 or c.anchor is None) and all(c is not r
                                                                         for r in roots):
            roots.append(c)
    clusters = {}
    for k, c in enumerate(roots):
        members = sorted(c.nodes, key=idx.__getitem__)
        mset = set(members)
        for m in members:
            g.nodes[m]["tags"]["cluster"] = k
        ins, outs = [], []
        for m in members:
            for u in value_inputs(g.nodes[m]):
                if u not in mset and u not in ins:
                    ins.append(u)
        for m in members:
            users = [v for v in g.successors(m)
                     if v not in mset and not g.edges[m, v]["control"]]
            if users or m in outputs:
                outs.append(m)
                inside = [v for v in g.successors(m) if v in mset]
                names = ", ".join(f"%{v} {g.nodes[v]['op']}" for v in users[:4])
                names += "" if len(users) <= 4 else f" and {len(users) - 4} more"
                names += (" and the graph output" if names else "the graph output") \
                    if m in outputs else ""
                if inside:
                    rec(m, None, False, f"multiple consumers: used inside cluster {k} and by "
                        f"{names}, so its value is written out", k)
                elif len(members) > 1:
                    rec(m, None, False, f"cluster output: read by {names}", k)
        kind = ("matmul+epilogue" if c.anchor is not None else
                "reduction" if c.reductions else "scan" if c.scan else "elementwise")
        clusters[k] = {"id": k, "kind": kind, "domain": tuple(c.domain), "nodes": members,
                       "anchor": c.anchor,
                       "reductions": sorted(c.reductions, key=idx.__getitem__),
                       "reduce_axes": c.reduce_axes, "inputs": ins, "outputs": outs,
                       "rows": sorted(c.rows, key=idx.__getitem__),
                       "columns": sorted(c.cols, key=idx.__getitem__)}
    for r in records:
        if r["cluster"] is None and r["fused"]:
            r["cluster"] = g.nodes[r["node"]]["tags"].get("cluster")
    g.graph["clusters"] = clusters
    g.graph["fusion"] = records
    return graph


def _flat_row(g, c, rs, shape):
    """True if `shape` is row shape `rs` without its trailing reduced axes (what a reduction
    without keepdims gives: (N,) for the rows of (N, C)) and not `rs` itself."""
    dom = tuple(c.domain)
    k = len(rs)
    while k and rs[k - 1] == 1 and dom[k - 1] != 1:
        k -= 1
    return k < len(rs) and tuple(shape) == tuple(rs[:k])


def _row_join(g, n, kind, cl, reach, me):
    """(cluster, input) when node `n` joins a cluster as a *row member*: an elementwise node
    (or a reshape that is a C-order view) whose shape is the cluster's row shape (its domain
    with the trailing reduced axes set to 1) and that reads a per-row value of that cluster (a
    row reduction or another row member): log(sum) in log-sum-exp, 1/sum and the reshape of a
    non-keepdims sum in softmax gradients. The cluster computes it once per row between its
    passes, so readers over the full domain can stay in the cluster too. Else None."""
    d = g.nodes[n]
    shape = tuple(d["shape"])
    view = kind is None and OPS[d["op"]].facts.get("c_order_view") and len(d["inputs"]) == 1
    if kind != "ew" and not view:
        return None
    for p in dict.fromkeys(value_inputs(d)):
        c = cl.get(p)
        if c is None or not c.fusable:
            continue
        rs = _cluster_row_shape(g, c)
        if rs is None or not _row_value(g, p, c):
            continue
        if any(u in c.cols and cl.get(u) is c for u in value_inputs(d)):
            continue        # a column sum is complete only after the cluster's last row
        if shape != rs:
            # an elementwise op on a reduction without keepdims ((N,) of rows of (N, C): the
            # cast of reduce_any, mean's scaling, norm's sqrt) is a row member too when it
            # reads only row values of that shape and scalars (an outside (N,) operand would
            # be read along the wrong loop dim)
            if view or not _flat_row(g, c, rs, shape) or not all(
                    (cl.get(u) is c and _row_value(g, u, c)
                     and tuple(g.nodes[u]["shape"]) == shape)
                    or all(e == 1 for e in g.nodes[u]["shape"]) for u in value_inputs(d)):
                continue
        if view and p not in c.rows and not any(
                r == p and tuple(g.nodes[r]["shape"]) != rs for r in c.reductions):
            continue        # a reshape joins only to view a non-keepdims reduction or row value
        if reach.violation([c, me]) is not None:
            continue
        return c, p
    return None


def _merge_siblings(graph, order, reach, cl, rec):
    """Horizontal fusion: merge independent same-domain clusters that read a common value."""
    g = graph.nx
    idx = reach.idx
    for u in order:
        d = g.nodes[u]
        small = OPS[d["op"]] is CONSTANT or all(s == 1 for s in d["shape"])
        readers = []
        for v in g.successors(u):
            if g.edges[u, v]["control"] or u not in value_inputs(g.nodes[v]):
                continue
            c = cl[v]
            if c.fusable and not c.scan and not any(c is r for r in readers) and \
                    (len(c.nodes) > 1 or c.anchor is None):
                readers.append(c)
        if len(readers) < 2 or (small and len(readers) > 8):
            continue              # a scalar/constant read by many clusters: no traffic to save
        readers.sort(key=lambda c: min(idx[m] for m in c.nodes))
        del readers[64:]          # bound the pairwise checks on hugely shared values
        while readers:
            base = readers.pop(0)
            rest = []
            for c in readers:
                reason = None
                col = None
                if c.domain == base.domain and not reach.depends(base, c):
                    col = (base, c) if column_join(g, base, c) else (
                        (c, base) if column_join(g, c, base) else None)
                if col is not None and reach.violation(list(col)) is None:
                    first = min(col[1].nodes, key=idx.__getitem__)
                    _absorb_columns(*col)
                    for m in col[0].nodes:
                        cl[m] = col[0]
                    reach.close(col[0])
                    rec(first, u, True, f"sibling column: shares the input %{u} with row cluster "
                        f"%{min(col[0].nodes, key=idx.__getitem__)}, summed in its last pass")
                    base = col[0]
                    continue
                if c.domain != base.domain:
                    reason = "shape"
                elif None not in (c.reduce_axes, base.reduce_axes) and \
                        c.reduce_axes != base.reduce_axes:
                    reason = "reduction axes differ"
                elif reach.depends(base, c):
                    reason = "dependent"
                elif _anchor_conflict([base, c], reach) is not None:
                    reason = "matmul"
                if reason is not None:
                    rest.append(c)
                    continue
                first = min(c.nodes, key=idx.__getitem__)
                base.absorb(c)
                for m in c.nodes:
                    cl[m] = base
                reach.close(base)
                rec(first, u, True, f"sibling: shares the input %{u} and the domain "
                    f"{base.domain} with %{min(base.nodes, key=idx.__getitem__)}")
            readers = rest


def describe(graph):
    """A short text summary of the fusion annotations (for dumps and the kernel plan)."""
    g = graph.nx
    lines = []
    for k, c in g.graph.get("clusters", {}).items():
        ops = ", ".join(f"%{n} {g.nodes[n]['op']}" for n in c["nodes"])
        lines.append(f"cluster {k} ({c['kind']}, domain {c['domain']}): {ops}")
    stops = [r for r in g.graph.get("fusion", []) if not r["fused"]]
    for r in stops:
        src = f"%{r['input']} -> " if r["input"] is not None else ""
        lines.append(f"  stop {src}%{r['node']}: {r['reason']}")
    return "\n".join(lines)
