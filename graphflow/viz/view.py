"""The visualizer's view model: a graph IR turned into nested groups, boxes, chips and edges,
with a layered layout computed one group at a time.

Groups come from the IR, never from op names: name scopes (``scope`` attr; Keras layers, the
loss, the metrics and the optimizer open theirs), adjoint nodes mirrored under
``gradients/<forward node's scope>`` per order (``gradients^2/...`` for order 2),
forward-mode nodes under ``tangents/...``, fused kernels (``kernel k · kind · domain · n ops``)
in the fused stage (inside the deepest group holding all their members), and source lines
when the graph has no scopes at all. A group whose own nodes repeat one block of ops >= 3 times
(an unrolled loop) gets a ``step k`` group per repetition; a group with more than `SPLIT` direct
members is split into parts in program order; >= `SERIES_MIN` consecutive identical sibling
groups (40 Dense layers, the steps) become one series ``dense_1…dense_40 ×40``.

Scalar constants and variable reads are *chips*: they are not boxes, they show in their
consumers' labels (``multiply ·0.5``, ``matmul ⟵dense/kernel``), so they draw no long edges.

Layout (`layout_groups`): for each group separately, its children (sub-groups as single items,
and its own nodes) are layered by longest path over the data edges lifted to that level
(control edges are not used), long edges get dummy waypoints, and barycentric sweeps (down and
up, keeping the best) reduce crossings. Coordinates (`place`) are then assigned bottom-up from
the sizes of the currently expanded/collapsed items; the page's script does the same when a
group is toggled, so an expand never re-runs ordering for anything but nothing at all. Groups
with adjoint items also keep a layout without them (``alt``: modes "hidden" and "mirror"; the
page draws the mirror columns). The stages of one trace share the layout of their union graph
(`union_graph`, `build_view(..., on=...)`), so a node keeps its place in every stage.

>>> import graphflow as tf
>>> @tf.function(jit_compile=False)
... def f(x):
...     with tf.name_scope("square"):
...         y = x * x
...     return tf.reduce_sum(y)
>>> v = build_view(f.get_concrete_function(tf.ones(3)).traced)
>>> sorted(g["name"] for g in v["groups"].values() if g["name"])
['square']
"""
import operator
import re
import weakref

import numpy as np

from ..control_ops import Subgraphs
from ..ops.registry import CONSTANT, EFFECT, OPS, PARAMETER
from ..lazy import lazy_module

nx = lazy_module("networkx")   # imported at the first trace, not with graphflow

SPLIT = 80                 # a group with more direct members than this is split into parts
SERIES_MIN = 3             # this many identical consecutive sibling groups collapse into a series
NODE_H, GROUP_PAD, HEADER, GAP_X, GAP_Y = 34, 10, 20, 18, 34
CHAR_W, FONT = 6.6, 11


def role(opname):
    """'parameter' | 'constant' | 'read' | 'effect' | None (a computing op), from the op table."""
    op = OPS.get(opname)
    if op is None:
        return None
    if op is PARAMETER:
        return "parameter"
    if op is CONSTANT:
        return "constant"
    if op.kind == EFFECT or op.stateful:
        return "effect"
    if op.effects:
        return "read"
    return None


def _fmt(v):
    v = np.asarray(v)
    return f"{v.item():.4g}" if v.size == 1 else f"{list(v.shape)}"


def _var_name(d, labels=None):
    var = d["attrs"].get("var")
    if labels and id(var) in labels:
        return labels[id(var)]
    name = getattr(var, "path", None) or getattr(var, "name", None) or "var"
    return name.split(":")[0]


def variable_labels(graphs):
    """{id(variable): label} over `graphs` (networkx graphs): the variable's path (Keras) or
    name without ``:0``, and a ``_1``, ``_2``... suffix for the second, third... distinct
    variable with the same name (TF names every unnamed Variable ``Variable:0``).

    >>> import graphflow as tf
    >>> a, b = tf.Variable(1.0), tf.Variable(2.0)
    >>> @tf.function(jit_compile=False)
    ... def f():
    ...     return a + b
    >>> g = f.get_concrete_function().traced.nx
    >>> sorted(variable_labels([g]).values())
    ['Variable', 'Variable_1']
    """
    labels, used = {}, set()
    for g in graphs:
        for n in sorted(g):
            var = g.nodes[n]["attrs"].get("var")
            if var is None or id(var) in labels:
                continue
            base = (getattr(var, "path", None) or getattr(var, "name", None)
                    or "var").split(":")[0]     # Keras 3: path 'dense/kernel', name 'kernel'
            name, k = base, 0
            while name in used:
                k += 1
                name = f"{base}_{k}"
            used.add(name)
            labels[id(var)] = name
    return labels


def _dim(s):
    """A dim for the page: an int, or the symbolic dim's text ('batch', '2*n'); None unknown."""
    if s is None:
        return None
    try:
        return operator.index(s)
    except TypeError:
        return str(s)


def _attr_text(v, labels):
    """Short text of an attribute value; never the repr of a variable's or array's data."""
    if isinstance(v, np.ndarray):
        return _fmt(v)
    if id(v) in labels or (hasattr(v, "shape") and hasattr(v, "dtype") and hasattr(v, "name")):
        name = labels.get(id(v)) or str(getattr(v, "path", None) or getattr(v, "name", "")
                                         ).split(":")[0]
        return f"{name} {list(getattr(v, 'shape', ()))} {getattr(v, 'dtype', '')}"[:80]
    return str(v)[:80]


def node_label(d, labels=None):
    """A node's own label (without chips)."""
    r = role(d["op"])
    if r == "constant":
        return "const " + _fmt(d["attrs"]["value"])
    if r == "parameter":
        return f"param {d['attrs'].get('name', '')}".strip()
    if "var" in d["attrs"]:
        return f"{d['op']} {_var_name(d, labels)}"
    return d["op"]


def is_chip(g, n):
    """Scalar constants and variable reads are drawn inside their consumers' boxes."""
    d = g.nodes[n]
    r = role(d["op"])
    if r == "constant":
        return np.size(d["attrs"]["value"]) == 1 and g.out_degree(n) > 0
    return r == "read" and g.out_degree(n) > 0


def chip_text(g, n, labels=None):
    d = g.nodes[n]
    return "·" + _fmt(d["attrs"]["value"]) if role(d["op"]) == "constant" else \
        "⟵" + _var_name(d, labels)


def _kernel_paths(g, has_scopes):
    """{cluster id: group path}: a fused kernel's box sits in the deepest group holding all
    its members (their common scope prefix), so the fused stage keeps the scope tree."""
    out = {}
    cl = g.graph["clusters"]
    for cid, c in (cl.items() if isinstance(cl, dict) else enumerate(cl)):
        paths = [_group_path(g, n, has_scopes, False) for n in c["nodes"] if n in g]
        common = paths[0] if paths else []
        for p in paths[1:]:
            k = 0
            while k < min(len(common), len(p)) and common[k] == p[k]:
                k += 1
            common = common[:k]
        out[cid] = common + [f"kernel {c['id']}"]    # (a short id; `_kernel_label` names it)
    return out


def _kernel_label(c):
    dom = "×".join(str(x) for x in c["domain"]) or "scalar"
    return f"kernel {c['id']} · {c['kind']} · {dom} · {len(c['nodes'])} ops"


def _group_path(g, n, has_scopes, fused, kernels=None):
    d = g.nodes[n]
    if "home" in d:        # a node of a loop's / cond's sub-graph: in its group's sub-group
        path = _group_path(g, d["home"], has_scopes, fused, kernels) + d["sub"]
    else:
        path = _plain_path(g, n, has_scopes, fused, kernels)
    # a while_loop / cond output: in the group of its control node (nested: inside the body)
    return path + [d["ctl_group"]] if "ctl_group" in d else path


def _plain_path(g, n, has_scopes, fused, kernels=None):
    d = g.nodes[n]
    tags = d.get("tags", {})
    scope = [s for s in (d.get("scope") or "").split("/") if s]
    if fused and tags.get("cluster") is not None:
        return kernels[tags["cluster"]]
    adj = tags.get("adjoint")
    if adj:
        f = tags.get("forward")
        fs = g.nodes[f].get("scope", "") if f in g else ""
        fs = [s for s in (fs or "").split("/") if s] or scope
        return ["gradients" if adj == 1 else f"gradients^{adj}"] + fs
    if tags.get("tangent"):
        return ["tangents"] + scope
    if scope:
        return scope
    if not has_scopes and d.get("source"):
        return [f"src {d['source']}"]
    return []


def union_graph(graphs):
    """The union of several stages' networkx graphs (node ids are kept by every pass; a node's
    attributes from the last graph holding it), or None when it is not a DAG."""
    graphs = [inline_control(x) for x in graphs]
    u = nx.compose_all(graphs)
    if not nx.is_directed_acyclic_graph(u):
        return None
    # a node is a chip in the union only where it is one in every stage (a pass may turn a
    # node into a constant under the same id)
    u.graph["not_chip"] = {n for g in graphs for n in g if not is_chip(g, n)}
    return u


# ids of inlined sub-graph nodes: FIRST + block * STRIDE + part * SUB + id (a block per
# inlined loop / cond, numbered in the order first seen, so the same in every stage)
FIRST, STRIDE = 10 ** 9, 10 ** 6
SUB = STRIDE // 2
_BLOCKS = weakref.WeakKeyDictionary()   # Subgraphs -> {anchor: block}
_NEXT_BLOCK = [0]
_INLINED = weakref.WeakKeyDictionary()
_ANCHOR = weakref.WeakKeyDictionary()   # Subgraphs -> its first node id (stable over stages)


def _control_sg(d):
    for k in ("loop", "branches"):
        v = d.get("attrs", {}).get(k)
        if isinstance(v, Subgraphs):
            return v
    return None


def _output_text(sg, index):
    if sg.kind == "cond":
        return f"output {index} (of the taken branch)"
    n = sg.n_vars
    if index < n:
        return f"final value of loop variable {index}"
    if index < 2 * n:
        return (f"history of loop variable {index - n}: its value entering every iteration, "
                "stacked (recorded for the gradient)")
    return "trip count (recorded for the gradient)"


def control_info(g, family, sg, anchor):
    """The info panel's facts about one cond / while_loop (`family`: its per-output nodes)."""
    adj = [int(g.nodes[m].get("tags", {}).get("adjoint") or 0) for m in family]
    fwd = {g.nodes[m].get("tags", {}).get("forward") for m in family} - {None}
    info = {"kind": sg.kind, "name": f"{sg.kind} %{anchor}", "source": sg.source,
            "inputs": len(sg.in_avals), "parts": [f"{gr.name}: {gr.nx.number_of_nodes()} nodes"
                                                 for gr in sg.graphs]}
    if sg.kind == "while_loop":
        info.update(loop_vars=sg.n_vars, captures=len(sg.in_avals) - sg.n_vars,
                    trip_count=sg.trip_count if sg.trip_count is not None else
                    "unknown until it runs (the condition decides)")
        finals = [a for a, m in zip(adj, family)
                  if int(g.nodes[m]["attrs"].get("index", 0)) < sg.n_vars]
        reverse = bool(finals) and min(finals) > 0
        if reverse:
            info["adjoint"] = (f"reverse loop (adjoint order {min(adj)}"
                               + (" of %" + ", %".join(map(str, sorted(fwd))) if fwd else "")
                               + "): runs the forward iterations backwards over their "
                               "recorded history")
        elif max(adj) > 0:
            info["adjoint"] = ("forward loop whose history outputs (loop variables per "
                               "iteration, trip count) are recorded for its gradient")
    elif min(adj) > 0:
        info["adjoint"] = f"adjoint order {min(adj)}: the gradient's cond, replaying the branch"
    return info


def control_brief(ctl):
    """The second line of a collapsed cond / while_loop box.

    >>> control_brief({"kind": "while_loop", "loop_vars": 2, "trip_count": None})
    'loop · 2 vars · trips ?'
    """
    if ctl["kind"] == "cond":
        t = "cond · 2 branches"
    else:
        trips = ctl.get("trip_count")
        t = f"loop · {ctl['loop_vars']} vars · trips {trips if isinstance(trips, int) else '?'}"
    return t + (" · adjoint" if ctl.get("adjoint", "").startswith(("reverse", "adjoint")) else "")


def inline_control(g):
    """A copy of networkx graph `g` where every cond / while_loop carries its sub-graphs as
    nodes (nested to any depth while the ids stay exact in JSON): each control node (the
    per-output nodes of one loop share a ``Subgraphs``) gets ``ctl_group`` (its group, e.g.
    ``while_loop %4``: one box until expanded), the sub-graph nodes ``home`` (that node) and
    ``sub`` (their sub-group: ``cond``/``body`` or ``true``/``false``, then their own scopes
    relative to the loop's). The loop's inputs feed the sub-graphs' parameters (``var i``,
    ``cap j``), the sub-graphs' outputs feed the loop's outputs, and every node gets
    ``control`` facts for the info panel. Sub-graph node ids are ``FIRST + block * STRIDE +
    part * SUB + id``, one block per inlined loop / cond (keyed by its ``Subgraphs`` and its
    anchor: its first node id when first seen), so they are the same in every stage.

    >>> import graphflow as tf
    >>> @tf.function(jit_compile=False)
    ... def f(x, n):
    ...     return tf.while_loop(lambda i, y: i < n, lambda i, y: (i + 1, y * 2.0), [0, x])[1]
    >>> g = inline_control(f.get_concrete_function(tf.ones(2), tf.constant(3)).traced.nx)
    >>> sorted({d["sub"][0] for _, d in g.nodes(data=True) if "home" in d})
    ['body', 'cond']
    """
    if g.graph.get("inlined"):
        return g
    if g in _INLINED:
        return _INLINED[g]
    h, used = None, set()
    todo = list(g.nodes)
    while todo:
        fams = {}
        for n in todo:
            sg = _control_sg((h or g).nodes[n])
            if sg is not None:
                fams.setdefault(id(sg), (sg, []))[1].append(n)
        todo = []
        for sg, family in sorted(fams.values(), key=lambda f: min(f[1])):
            family.sort()
            # the anchor this Subgraphs had in an earlier stage (a pass may have removed that
            # node since), unless that id is now another node's or another family's (a loop
            # replayed inside a gradient's loop shares its Subgraphs)
            anchor = _ANCHOR.setdefault(sg, family[0])
            if anchor in used or (anchor not in family and anchor in (h or g)):
                anchor = family[0]
            used.add(anchor)
            blocks = _BLOCKS.setdefault(sg, {})
            if anchor not in blocks:
                blocks[anchor] = _NEXT_BLOCK[0]
                _NEXT_BLOCK[0] += 1
            base = FIRST + blocks[anchor] * STRIDE
            if h is None:
                h = g.copy()
            info = control_info(h, family, sg, anchor)
            name = info["name"]
            for m in family:
                d = h.nodes[m]
                d["ctl_group"] = name
                d["control"] = dict(info, output=_output_text(sg, int(d["attrs"].get("index", 0))))
            if base >= 2 ** 53 or any(max(gr.nx, default=0) >= SUB for gr in sg.graphs):
                continue          # (ids would not be exact in JSON): one node, no body
            home = min(family, key=lambda m: (int(h.nodes[m].get("tags", {}).get("adjoint")
                                                     or 0), m))
            ins = list(h.nodes[home]["inputs"])
            caps = ins[1:] if sg.kind == "cond" else ins
            fam_adj = min(int(h.nodes[m].get("tags", {}).get("adjoint") or 0) for m in family)
            outer = [s for s in (h.nodes[home].get("scope") or "").split("/") if s]
            parts = ["true", "false"] if sg.kind == "cond" else ["cond", "body"]
            outs = []
            for k, (part, gr) in enumerate(zip(parts, sg.graphs)):
                off = base + k * SUB
                gn = gr.nx
                pidx = {p: i for i, p in enumerate(gr.params)}
                for x, dx in gn.nodes(data=True):
                    tags = dict(dx.get("tags", {}))
                    a = max(int(tags.get("adjoint") or 0), fam_adj)
                    if a:
                        tags["adjoint"] = a
                    if tags.get("forward") in gn:
                        tags["forward"] = tags["forward"] + off
                    else:
                        tags.pop("forward", None)
                    scope = [s for s in (dx.get("scope") or "").split("/") if s]
                    rel = scope[len(outer):] if scope[:len(outer)] == outer else []
                    nd = dict(dx, tags=tags, home=home, sub=[part] + rel,
                              inputs=tuple(u + off for u in dx.get("inputs", ())))
                    if x in pidx:
                        i = pidx[x]
                        n_vars = sg.n_vars if sg.kind == "while_loop" else 0
                        nd["attrs"] = dict(dx.get("attrs", {}), name=f"var {i}" if i < n_vars
                                           else f"cap {i - n_vars}")
                        if i < len(caps):
                            nd["inputs"] = (caps[i],)
                    nd.pop("ctl_group", None)
                    h.add_node(x + off, **nd)
                    if _control_sg(nd) is not None:
                        todo.append(x + off)
                for u, v, e in gn.edges(data=True):
                    h.add_edge(u + off, v + off, **e)
                for p, i in pidx.items():
                    if i < len(caps):
                        h.add_edge(caps[i], p + off)
                outs.append([o + off for o in gr.outputs])
            for m in family:
                for u in set(caps):
                    if h.has_edge(u, m) and not h.edges[u, m].get("control"):
                        h.remove_edge(u, m)
                i = int(h.nodes[m]["attrs"].get("index", 0))
                if sg.kind == "cond":
                    srcs = [o[i] for o in outs if i < len(o)]
                elif i < 2 * sg.n_vars:
                    srcs = [outs[1][i % sg.n_vars]]
                else:
                    srcs = [outs[0][0]]
                for o in srcs:
                    h.add_edge(o, m)
    if h is None:
        _INLINED[g] = g
        return g
    h.graph["inlined"] = True
    _INLINED[g] = h
    return h


class UnionGraph:
    """A networkx graph (`union_graph`) where `build_view` wants a Graph."""

    def __init__(self, g):
        self.nx = g


def build_view(graph, name="graph", labels=None, on=None):
    """The JSON-able view of one `Graph`: nodes, groups (a tree), data/control edges, fusion
    stop reasons on edges, and the per-group layered order (see `layout_groups`). `labels`:
    variable labels shared by several stages (see `variable_labels`).

    `on`: the view of the union of several stages' graphs (`union_graph`), whose groups and
    layout this view shares, so a node has the same place in every stage; the union's nodes
    missing here keep their slots as ``ghosts``, ``sizes`` counts this stage's nodes per group.

    >>> import graphflow as tf
    >>> @tf.function(jit_compile=False)
    ... def f(x):
    ...     return x * 1.0 + x * 1.0
    >>> st = f.get_concrete_function(tf.ones(2)).stages
    >>> shared = build_view(UnionGraph(union_graph([g.nx for _, g in st])))
    >>> a, b = build_view(st[0][1], "traced", on=shared), build_view(st[-1][1], "dce", on=shared)
    >>> every = set(shared["groups"])
    >>> same_place = place(a, every)["boxes"][4] == place(b, every)["boxes"][4]
    >>> a["groups"] is b["groups"], b["ghosts"], same_place
    (True, [2, 3], True)
    """
    g = inline_control(graph.nx)
    labels = labels if labels is not None else variable_labels([g])
    if on is not None:
        return _on_shared(g, name, labels, on, graph.nx.number_of_nodes())
    fused = bool(g.graph.get("clusters"))
    has_scopes = any(d.get("scope") for _, d in g.nodes(data=True))
    topo = list(nx.topological_sort(g))
    rank = {n: i for i, n in enumerate(topo)}
    groups = {"": {"id": "", "name": "", "parent": None, "children": [], "nodes": []}}

    def group_of(path):
        gid = ""
        for i in range(len(path)):
            nid = "/".join(path[: i + 1])
            if nid not in groups:
                groups[nid] = {"id": nid, "name": path[i], "parent": gid, "children": [],
                               "nodes": []}
                groups[gid]["children"].append(nid)
            gid = nid
        return gid

    kernels = _kernel_paths(g, has_scopes) if fused else None
    chips = {n for n in g if is_chip(g, n)} - g.graph.get("not_chip", set())
    nodes = {}
    for n in topo:
        rec = _record(g, n, labels, rank)
        rec["chip"] = n in chips
        if n not in chips:
            rec["chips"] = [chip_text(g, u, labels) for u in dict.fromkeys(rec["inputs"])
                            if u in chips]
            rec["group"] = group_of(_group_path(g, n, has_scopes, fused, kernels))
            groups[rec["group"]]["nodes"].append(n)
            if "ctl_group" in g.nodes[n]:   # a cond / while_loop's group: its facts
                groups[rec["group"]].setdefault(
                    "control", {k: v for k, v in rec["control"].items() if k != "output"})
        nodes[n] = rec
    if fused:   # kernel groups: id 'kernel k', name 'kernel k · kind · domain · n ops'
        cl = g.graph["clusters"]
        names = {f"kernel {c['id']}": _kernel_label(c)
                 for c in (cl.values() if isinstance(cl, dict) else cl)}
        for grp in groups.values():
            grp["name"] = names.get(grp["name"], grp["name"])
    _steps(groups, nodes)
    _split_big(groups, nodes)
    _series(groups, nodes)
    for n, rec in nodes.items():   # a chip lives in its first consumer's group (for search)
        if rec["chip"]:
            rec["group"] = next((nodes[c]["group"] for c in rec["consumers"]
                                 if "group" in nodes[c]), "")
    edges, control = _edges(g, chips)
    view = {"name": name, "nodes": nodes, "groups": groups, "edges": edges, "control": control,
            "count": graph.nx.number_of_nodes()}   # (the sub-graphs' nodes not counted)
    if fused:
        view["kernels"] = {str(c["id"]): {k: (list(v) if isinstance(v, tuple) else v)
                                     for k, v in c.items() if k in ("id", "kind", "domain", "nodes")}
                           for c in g.graph["clusters"].values()} \
            if isinstance(g.graph["clusters"], dict) else {}
    layout_groups(view)
    view["slots"] = {n: box_width(node_text(r)) for n, r in nodes.items() if not r["chip"]}
    return view


def _record(g, n, labels, rank):
    d = g.nodes[n]
    tags = d.get("tags", {})
    rec = {"id": n, "op": d["op"], "label": node_label(d, labels), "role": role(d["op"]) or "op",
           "shape": [_dim(s) for s in d["shape"]],
           "dtype": np.dtype(d["dtype"]).name, "source": d.get("source") or "",
           "frame": d.get("frame") or "",
           "scope": d.get("scope") or "", "adj": int(tags.get("adjoint") or 0),
           "fwd": tags.get("forward"), "tangent": bool(tags.get("tangent")),
           "kernel": tags.get("cluster"), "inputs": list(d.get("inputs", ())),
           "consumers": sorted(g.successors(n), key=rank.get),
           "attrs": {k: _attr_text(v, labels) for k, v in d.get("attrs", {}).items()}}
    if "control" in d:
        rec["control"] = {k: v for k, v in d["control"].items()}
    known = [x for x in rec["shape"] if isinstance(x, int)]
    rec["bytes"] = int(np.prod(known)) * np.dtype(d["dtype"]).itemsize \
        if len(known) == len(rec["shape"]) else None     # None: depends on unknown dims
    return rec


def _edges(g, chips):
    reasons = {(f["input"], f["node"]): f["reason"] for f in g.graph.get("fusion", ())
               if not f.get("fused") and f.get("input") is not None}
    edges, control = [], []
    for u, v, e in g.edges(data=True):
        if u in chips:
            continue
        if e.get("control"):
            control.append([u, v])
        else:
            rec = [u, v]
            if (u, v) in reasons:
                rec.append(reasons[(u, v)])
            edges.append(rec)
    return edges, control


def _on_shared(g, name, labels, on, count=None):
    rank = {n: i for i, n in enumerate(nx.topological_sort(g))}
    chips = {n for n in g if on["nodes"][n]["chip"]}
    nodes, sizes = {}, {}
    for n in sorted(g, key=rank.get):
        rec = _record(g, n, labels, rank)
        rec["chip"] = n in chips
        rec["group"] = on["nodes"][n]["group"]
        if n not in chips:
            rec["chips"] = [chip_text(g, u, labels) for u in dict.fromkeys(rec["inputs"])
                            if u in chips]
            for gid in ancestors(on["groups"], rec["group"]):
                sizes[gid] = sizes.get(gid, 0) + 1
        nodes[n] = rec
    edges, control = _edges(g, chips)
    return {"name": name, "nodes": nodes, "groups": on["groups"], "slots": on["slots"],
            "edges": edges, "control": control,
            "count": g.number_of_nodes() if count is None else count, "sizes": sizes, "ghosts": [n for n, r in on["nodes"].items()
                                       if not r["chip"] and n not in g]}


def _repeat(keys, max_period=200):
    """(start, period, count) of the longest stretch of `keys` made of >= SERIES_MIN equal
    consecutive blocks (period >= 3), or None. Keys are (op, chips, input offsets). The
    blocks are aligned to the end of the stretch: an unrolled loop's first iteration often
    differs (it reads the initial state), its last one ends the loop."""
    n, best = len(keys), None
    for p in range(3, min(max_period, n // SERIES_MIN) + 1):
        i = 0
        while i + p < n:
            if keys[i] != keys[i + p]:
                i += 1
                continue
            j = i
            while j + p < n and keys[j] == keys[j + p]:
                j += 1
            end = j + p                     # keys[i:end] has period p
            count = (end - i) // p
            if count >= SERIES_MIN:
                st = end - count * p        # blocks end where the stretch ends

                if best is None or count * p > best[1] * best[2]:
                    best = (st, p, count)
            i = j + 1
    return best


def _steps(groups, nodes, min_nodes=12):
    """Unrolled loops without name scopes: in a group whose own nodes (program order) repeat
    one block of ops >= SERIES_MIN times -- same ops, inputs at the same offsets -- each
    repetition becomes a group ``step k`` (then `_series` shows them as one ×N box)."""
    for gid in list(groups):
        grp = groups[gid]
        own = sorted(grp["nodes"])
        if len(own) < min_nodes:
            continue
        pos = {n: i for i, n in enumerate(own)}
        keys = [(nodes[n]["op"], len(nodes[n].get("chips", ())),
                 tuple(i - pos[u] if u in pos else None for u in nodes[n]["inputs"]))
                for i, n in enumerate(own)]
        hit = _repeat(keys)
        if hit is None:
            continue
        start, p, count = hit
        inside = set()
        for k in range(count):
            sid = (gid + "/" if gid else "") + f"step {k + 1}"
            block = own[start + k * p: start + (k + 1) * p]
            groups[sid] = {"id": sid, "name": f"step {k + 1}", "parent": gid, "children": [],
                           "nodes": block}
            grp["children"].append(sid)
            inside.update(block)
            for n in block:
                nodes[n]["group"] = sid
        grp["nodes"] = [n for n in grp["nodes"] if n not in inside]


def _split_big(groups, nodes):
    for gid in list(groups):
        grp = groups[gid]
        items = len(grp["nodes"]) + len(grp["children"])
        if len(grp["nodes"]) <= SPLIT or items <= SPLIT:
            continue
        members, grp["nodes"] = grp["nodes"], []
        for k in range(0, len(members), SPLIT):
            pid = (gid + "/" if gid else "") + f"part {k // SPLIT + 1}"
            groups[pid] = {"id": pid, "name": f"part {k // SPLIT + 1}", "parent": gid,
                           "children": [], "nodes": members[k: k + SPLIT]}
            grp["children"].append(pid)
            for n in groups[pid]["nodes"]:
                nodes[n]["group"] = pid


def _signature(groups, nodes, gid, memo):
    """A group's structure without names or shapes: every node of its subtree in program
    order as (op, number of chips, inputs as local indices or -1 for outside), and its number
    of sub-groups. Equal signatures = identical blocks (layers, unrolled steps)."""
    if gid in memo:
        return memo[gid]
    members = []

    def walk(g):
        members.extend(groups[g]["nodes"])
        for c in groups[g]["children"]:
            walk(c)
    walk(gid)
    members.sort()
    local = {n: i for i, n in enumerate(members)}
    memo[gid] = (tuple((nodes[n]["op"], len(nodes[n].get("chips", ())),
                        tuple(local.get(u, -1) for u in nodes[n]["inputs"])) for n in members),
                 len(groups[gid]["children"]))
    return memo[gid]


def _series(groups, nodes, min_run=SERIES_MIN):
    """Runs of >= `min_run` consecutive sibling groups with equal signatures (40 identical
    Dense layers, unrolled steps) become one series group ``dense_1…dense_40 ×40`` whose
    children are the members (group ids stay; only the tree gains a level)."""
    memo = {}
    first = {}
    for n in sorted(nodes):
        if not nodes[n]["chip"]:
            for gid in ancestors(groups, nodes[n]["group"]):
                first.setdefault(gid, n)
    for gid in list(groups):
        grp = groups[gid]
        if len(grp["children"]) < min_run or grp.get("series"):
            continue
        items = sorted([(first[c], c) for c in grp["children"] if c in first] +
                       [(n, None) for n in grp["nodes"]])
        runs, cur = [], []
        for _, c in items:
            if c is not None and cur and _signature(groups, nodes, c, memo) == \
                    _signature(groups, nodes, cur[0], memo):
                cur.append(c)
                continue
            if len(cur) >= min_run:
                runs.append(cur)
            cur = [c] if c is not None else []
        if len(cur) >= min_run:
            runs.append(cur)
        for run in runs:
            a, b = (groups[c]["name"].split(" · ")[0] for c in (run[0], run[-1]))
            sid = (gid + "/" if gid else "") + f"×{a}…{b}"
            groups[sid] = {"id": sid, "name": f"{a}…{b}", "series": len(run), "parent": gid,
                           "children": list(run), "nodes": []}
            at = grp["children"].index(run[0])
            grp["children"] = [c for c in grp["children"] if c not in run]
            grp["children"].insert(at, sid)
            for c in run:
                groups[c]["parent"] = sid


def ancestors(groups, gid):
    """Group ids from `gid` up to the root '' (inclusive)."""
    out = []
    while gid is not None:
        out.append(gid)
        gid = groups[gid]["parent"]
    return out


def _item_in(groups, nodes, n, gid):
    """The direct child of group `gid` (a sub-group id 'g:<id>' or node id) holding node n,
    or None when n is not inside gid."""
    cur = nodes[n]["group"]
    if cur == gid:
        return n
    while cur is not None and groups[cur]["parent"] != gid:
        cur = groups[cur]["parent"]
    return None if cur is None else "g:" + cur


def count_crossings(layers, edges):
    """Crossings between consecutive layers (edges join layer i and i+1; by position)."""
    pos = {x: i for L in layers for i, x in enumerate(L)}
    by = {}
    for a, b in edges:
        by.setdefault(a, []).append(b)
    total = 0
    for L in layers[:-1]:
        pairs = sorted((pos[a], pos[b]) for a in L for b in by.get(a, ()))
        seen = []
        for _, y in pairs:   # inversions (n is small per layer pair)
            total += sum(1 for z in seen if z > y)
            seen.append(y)
    return total


def order_layers(items, edges, first, sweeps=6, lane=()):
    """Layered order of `items` (list, in program order) for DAG `edges` (pairs): longest-path
    layers, dummy items ('d:<k>') on long edges, barycentric sweeps. Items in `lane` that feed
    nothing here (effects: variable updates) share the last layer, an updates lane. Returns
    (layers, chains) where chains maps an edge (a, b) to its dummies."""
    succ = {x: [] for x in items}
    for a, b in edges:
        succ[a].append(b)
    layer = {}
    for x in items:        # program order is a topological order of the lifted DAG
        layer.setdefault(x, 0)
        for y in succ[x]:
            layer[y] = max(layer.get(y, 0), layer[x] + 1)
    preds = {x: [] for x in items}
    for a, b in edges:
        preds[b].append(a)
    for x in reversed(items):   # sources sit right above their first consumer, not on top
        if not preds[x] and succ[x]:
            layer[x] = min(layer[y] for y in succ[x]) - 1
    n_layers = max(layer.values(), default=0) + 1
    for x in lane:
        if x in layer and not succ[x]:
            layer[x] = n_layers - 1
    L = [[] for _ in range(n_layers)]
    for x in items:
        L[layer[x]].append(x)
    chains, seg = {}, []
    k = 0
    for a, b in edges:
        prev, chain = a, []
        for lv in range(layer[a] + 1, layer[b]):
            dnm = f"d:{first}:{k}"
            k += 1
            L[lv].append(dnm)
            chain.append(dnm)
            seg.append((prev, dnm))
            prev = dnm
        seg.append((prev, b))
        chains[(a, b)] = chain
    up, down = {}, {}
    for a, b in seg:
        down.setdefault(a, []).append(b)
        up.setdefault(b, []).append(a)
    best, best_c = [list(x) for x in L], count_crossings(L, seg)
    for it in range(sweeps):
        rng = range(1, n_layers) if it % 2 == 0 else range(n_layers - 2, -1, -1)
        nb = up if it % 2 == 0 else down
        for i in rng:
            ref = L[i - 1] if it % 2 == 0 else L[i + 1]
            rp = {x: j for j, x in enumerate(ref)}
            cur = {x: j for j, x in enumerate(L[i])}

            def key(x):
                ps = [rp[p] for p in nb.get(x, ()) if p in rp]
                return (sum(ps) / len(ps) if ps else cur[x], cur[x])
            L[i].sort(key=key)
        c = count_crossings(L, seg)
        if c < best_c:
            best, best_c = [list(x) for x in L], c
        if best_c == 0:
            break
    return best, chains


def layout_groups(view):
    """Order every group's children (see the module docstring); stored as
    ``group['layers']`` (lists of item ids: node ids, 'g:<group>' or 'd:...' dummies) and
    ``group['chains']`` ([a, b, [dummies]])."""
    groups, nodes = view["groups"], view["nodes"]
    rank = {n: i for i, n in enumerate(nodes)}
    first = {}
    for n, rec in nodes.items():   # nodes are in topological order
        if not rec["chip"]:
            for gid in ancestors(groups, rec["group"]):
                first.setdefault(gid, n)
    lifted = {gid: {} for gid in groups}
    for e in view["edges"]:
        u, v = e[0], e[1]
        gu, gv = ancestors(groups, nodes[u]["group"]), ancestors(groups, nodes[v]["group"])
        common = next(x for x in gu if x in gv)
        a, b = _item_in(groups, nodes, u, common), _item_in(groups, nodes, v, common)
        if a != b:
            lifted[common][(a, b)] = True
    size, adj = {gid: 0 for gid in groups}, {gid: 0 for gid in groups}
    for n, rec in nodes.items():
        if not rec["chip"]:
            for gid in ancestors(groups, rec["group"]):
                size[gid] += 1
                adj[gid] = rec["adj"] if size[gid] == 1 else min(adj[gid], rec["adj"])
    for gid, grp in groups.items():
        grp["size"], grp["adj"] = size[gid], adj[gid]

    def order(grp, items, tag):
        pos = {x: i for i, x in enumerate(items)}
        es = [(a, b) for (a, b) in lifted[grp["id"]] if a in pos and b in pos and pos[a] < pos[b]]
        lane = [x for x in items if not str(x).startswith("g:") and view["nodes"][x]["role"]
                == "effect"]
        layers, chains = order_layers(items, es, tag, lane=lane)
        return {"layers": layers, "chains": [[a, b, ch] for (a, b), ch in chains.items() if ch],
                "segs": [[x, y] for (a, b), ch in chains.items()
                         for x, y in zip([a] + ch, ch + [b])]}

    for k, (gid, grp) in enumerate(groups.items()):
        items = [(first[c], "g:" + c) for c in grp["children"] if c in first] + \
                [(n, n) for n in grp["nodes"]]
        items = [x for _, x in sorted(items, key=lambda t: rank[t[0]])]
        grp.update(order(grp, items, k))
        fwd = [x for x in items if not _adjoint_item(view, x)]
        if len(fwd) < len(items):    # the layout with adjoints hidden (modes hidden, mirror)
            grp["alt"] = order(grp, fwd, f"{k}h")


def _adjoint_item(view, it):
    """True for an adjoint node or a group holding only adjoint nodes."""
    if isinstance(it, str) and it.startswith("g:"):
        return view["groups"][it[2:]]["adj"] > 0
    return view["nodes"][it]["adj"] > 0


def box_width(text):
    return min(240, max(56, int(len(text) * CHAR_W) + 16))


def node_text(rec):
    t = rec["label"]
    if rec.get("chips"):
        t += " " + " ".join(rec["chips"][:2]) + (" …" if len(rec["chips"]) > 2 else "")
    return t


def group_text(grp, sizes=None):
    """A group's label: 'name (nodes)', or 'first…last ×N' for a series; `sizes`: a stage's
    own counts when it shares the layout of several stages."""
    if grp.get("series"):
        return f"{grp['name']} ×{grp['series']}"
    return f"{grp['name']} ({grp['size'] if sizes is None else sizes.get(grp['id'], 0)})"


def group_box_width(grp):
    return box_width("▸ " + group_text(grp))


def _visible(view, n, expanded, hide_adjoint=False):
    """The visible item showing node n: its id, or 'g:<outermost collapsed ancestor group>';
    None when adjoints are hidden and n is one or sits in an adjoint-only group."""
    chain = ancestors(view["groups"], view["nodes"][n]["group"])[::-1]   # root first
    for gid in chain[1:]:
        if hide_adjoint and view["groups"][gid]["adj"]:
            return None
        if gid not in expanded:
            return "g:" + gid
    return None if hide_adjoint and view["nodes"][n]["adj"] else n


def _lay(grp, hide_adjoint):
    return grp["alt"] if hide_adjoint and "alt" in grp else grp


def place(view, expanded, mode="grouped"):
    """Coordinates of the current view (`expanded`: set of expanded group ids; the root is
    always expanded; `mode` "grouped", "hidden" (adjoint nodes left out) or "mirror" (the
    forward drawing as in "hidden", each adjoint order in a column on its right, every item
    level with its forward partner; see `mirror_columns`). Returns
    {'boxes': {item: (x, y, w, h)}, 'frames': {gid: (x, y, w, h)},
    'edges': [(u_item, v_item, [(x, y), ...], reason)], 'width', 'height', 'col': {node:
    its column item}}; the page's script implements the same algorithm."""
    groups, nodes = view["groups"], view["nodes"]
    rel, size, hide = {}, {}, mode != "grouped"
    slots = view.get("slots", {})

    def measure(gid):
        grp = groups[gid]
        dims = {}
        for L in _lay(grp, hide)["layers"]:
            for it in L:
                if it.startswith("d:") if isinstance(it, str) else False:
                    dims[it] = (8, NODE_H)
                elif isinstance(it, str) and it.startswith("g:"):
                    c = it[2:]
                    dims[it] = measure(c) if c in expanded else \
                        (group_box_width(groups[c]), NODE_H)
                else:   # a node's slot (the same in every stage sharing the layout)
                    dims[it] = (slots[it] if it in slots else box_width(node_text(nodes[it])),
                                NODE_H)
        up = {}
        for a, b in _lay(grp, hide)["segs"]:
            up.setdefault(b, []).append(a)
        cx, y, width = {}, GROUP_PAD + (HEADER if gid else 0), 0
        for L in _lay(grp, hide)["layers"]:
            if not L:   # (a graph with nothing to draw here, e.g. a function of no ops)
                continue
            h = max(dims[it][1] for it in L)
            right = GROUP_PAD - GAP_X
            for it in L:
                w = dims[it][0]
                ps = [cx[p] for p in up.get(it, ()) if p in cx]
                want = sum(ps) / len(ps) - w / 2 if ps else right + GAP_X
                x = max(want, right + GAP_X)
                cx[it] = x + w / 2
                rel[it] = (x, y, w, dims[it][1])
                right = x + w
            width = max(width, right)
            y += h + GAP_Y
        size[gid] = (width + GROUP_PAD, y - GAP_Y + GROUP_PAD)
        return size[gid]

    measure("")
    boxes, frames, anchor, ghosts = {}, {}, {}, {}

    def absolute(gid, ox, oy):
        for L in _lay(groups[gid], hide)["layers"]:
            for it in L:
                x, y, w, h = rel[it]
                x, y = x + ox, y + oy
                if isinstance(it, str) and it.startswith("d:"):
                    anchor[it] = (x + w / 2, y + h / 2)
                elif isinstance(it, str) and it.startswith("g:") and it[2:] in expanded:
                    frames[it[2:]] = (x, y, w, h)
                    absolute(it[2:], x, y)
                elif it in nodes or (isinstance(it, str) and it.startswith("g:")
                                     and view.get("sizes", {it[2:]: 1}).get(it[2:])):
                    boxes[it] = (x, y, w, h)
                else:      # a node (or all-ghost group) of another stage: its slot stays
                    ghosts[it] = (x, y, w, h)

    absolute("", 0, 0)
    chains = {}
    for gid, grp in groups.items():
        for a, b, ch in _lay(grp, hide)["chains"]:
            chains[(gid, a, b)] = ch
    w, h = size[""]
    col = {}
    if mode == "mirror":
        col, w, h2 = mirror_columns(view, expanded, boxes, frames, w)
        h = max(h, h2)

    def shown(n):
        x = _visible(view, n, expanded, hide)
        return x if x is not None else col.get(n)
    drawn = {}
    for e in view["edges"]:
        u, v = e[0], e[1]
        a, b = shown(u), shown(v)
        if a is None or b is None or a == b or (a, b) in drawn:
            continue
        if u in col or v in col:   # to or from a mirror column: straight, side to side
            xa, ya, wa, ha = boxes[a] if a in boxes else frames[a[2:]]
            xb, yb, wb, hb = boxes[b] if b in boxes else frames[b[2:]]
            if yb >= ya + ha:
                pts = [(xa + wa / 2, ya + ha), (xb + wb / 2, yb)]
            elif ya >= yb + hb:
                pts = [(xa + wa / 2, ya), (xb + wb / 2, yb + hb)]
            else:
                pts = [(xa + wa, ya + ha / 2), (xb, yb + hb / 2)] if xa < xb else \
                    [(xa, ya + ha / 2), (xb + wb, yb + hb / 2)]
            drawn[(a, b)] = (a, b, pts, e[2] if len(e) > 2 else None)
            continue
        gu, gv = ancestors(groups, nodes[u]["group"]), ancestors(groups, nodes[v]["group"])
        common = next(x for x in gu if x in gv)
        ia, ib = _item_in(groups, nodes, u, common), _item_in(groups, nodes, v, common)
        via = [anchor[d] for d in chains.get((common, ia, ib), ()) if d in anchor]
        xa, ya, wa, ha = boxes[a] if a in boxes else frames[a[2:]]
        xb, yb, wb, hb = boxes[b] if b in boxes else frames[b[2:]]
        pts = [(xa + wa / 2, ya + ha)] + via + [(xb + wb / 2, yb)]
        drawn[(a, b)] = (a, b, pts, e[2] if len(e) > 2 else None)
    return {"boxes": boxes, "frames": frames, "edges": list(drawn.values()), "width": w,
            "height": h, "ghosts": ghosts, "col": col}


def _members(view, gid):
    grp = view["groups"][gid]
    out = [n for n in grp["nodes"] if n in view["nodes"]]
    for c in grp["children"]:
        out += _members(view, c)
    return out


def mirror_columns(view, expanded, boxes, frames, x0):
    """Mode "mirror" (`place`): adjoint items -- nodes, or collapsed adjoint groups; an adjoint
    group opens with its forward counterpart -- in one column per order right of the forward
    drawing (which ends at `x0`), each at the height of its forward partner (a group: of its
    highest partner), pushed down only to avoid overlap. Adds to `boxes`; returns ({node: its
    column item}, width, height). The page's script does the same."""
    groups, nodes, sizes = view["groups"], view["nodes"], view.get("sizes")
    items = []

    def is_open(gid):
        if gid in expanded or re.fullmatch(r"gradients(\^\d+)?", gid):
            return True
        f = re.sub(r"^gradients(\^\d+)?/", "", gid)
        return f != gid and f in expanded

    def walk_adj(gid):
        grp = groups[gid]
        items.extend((n, nodes[n]["adj"]) for n in grp["nodes"]
                     if n in nodes and not nodes[n]["chip"])
        for c in grp["children"]:
            if sizes is not None and not sizes.get(c):
                continue
            if is_open(c):
                walk_adj(c)
            else:
                items.append(("g:" + c, groups[c]["adj"]))

    def walk(gid):
        grp = groups[gid]
        items.extend((n, nodes[n]["adj"]) for n in grp["nodes"]
                     if n in nodes and nodes[n]["adj"] and not nodes[n]["chip"])
        for c in grp["children"]:
            if sizes is not None and not sizes.get(c):
                continue
            if groups[c]["adj"]:
                if is_open(c):
                    walk_adj(c)
                else:
                    items.append(("g:" + c, groups[c]["adj"]))
            else:
                walk(c)
    walk("")
    col = {}
    for it, _ in items:
        for n in (_members(view, it[2:]) if isinstance(it, str) and it.startswith("g:")
                  else [it]):
            col[n] = it

    def pos(n):   # where node n is drawn already (forward side or a lower-order column)
        it = _visible(view, n, expanded, True)
        it = it if it is not None else col.get(n)
        return None if it is None else (boxes.get(it) or frames.get(it[2:])
                                        if isinstance(it, str) else boxes.get(it))
    x, bottom = x0 + 3 * GAP_X, 0
    for k in range(1, max((a for _, a in items), default=0) + 1):
        these = []
        for i, (it, a) in enumerate(x for x in items if x[1] == k):
            grp = isinstance(it, str) and it.startswith("g:")
            ys = []
            for n in (_members(view, it[2:]) if grp else [it]):
                f = nodes[n]["fwd"]
                b = pos(f) if f is not None and f in nodes else None
                ys.append(b[1] if b and b is not boxes.get(it) else float("inf"))
            text = "▸ " + group_text(groups[it[2:]], sizes) if grp else node_text(nodes[it])
            these.append((it, min(ys + [float("inf")]), i, box_width(text)))
        if not these:
            continue
        these.sort(key=lambda t: (t[1], t[2]))
        w, y = max(t[3] for t in these), None
        for it, want, _, bw in these:
            want = y if want == float("inf") else want
            y = max(GROUP_PAD if want is None else want, GROUP_PAD if y is None else y)
            boxes[it] = (x + (w - bw) / 2, y, bw, NODE_H)
            y += NODE_H + 8
        bottom = max(bottom, y)
        x += w + 3 * GAP_X
    return col, x, bottom + GROUP_PAD


def _cross(p, q, r, s):
    def o(a, b, c):
        v = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])
        return (v > 1e-9) - (v < -1e-9)
    return o(p, q, r) * o(p, q, s) < 0 and o(r, s, p) * o(r, s, q) < 0


def crossings(edges):
    """Proper crossings between the drawn edges' segments (edges sharing an endpoint box are
    not compared); the page reports the same count as ``data-crossings``."""
    segs = []
    for k, (a, b, pts, _) in enumerate(edges):
        for p, q in zip(pts, pts[1:]):
            segs.append((min(p[1], q[1]), max(p[1], q[1]), p, q, k, a, b))
    segs.sort(key=lambda s: s[0])
    total, active = 0, []
    for s in segs:
        active = [t for t in active if t[1] > s[0]]
        for t in active:
            if t[4] != s[4] and not ({t[5], t[6]} & {s[5], s[6]}) and _cross(s[2], s[3], t[2], t[3]):
                total += 1
        active.append(s)
    return total


def default_expanded(view, max_boxes=36, max_crossings=30, max_size=(1650, 1050)):
    """Groups expanded in the default view: breadth-first, biggest first, each kept only while
    the view stays within `max_boxes` boxes, `max_crossings` crossings and `max_size` px. A
    cond / while_loop stays one box (its group collapsed) until the reader expands it."""
    groups = view["groups"]
    expanded = set()
    cur = place(view, expanded)
    frontier = sorted(groups[""]["children"], key=lambda c: -groups[c]["size"])
    while frontier:
        nxt = []
        for c in frontier:
            if "control" in groups[c]:
                continue
            trial = expanded | {c}
            p = place(view, trial)
            if (len(p["boxes"]) <= max_boxes and p["width"] <= max_size[0]
                    and p["height"] <= max_size[1]
                    and crossings(p["edges"]) <= max(max_crossings, crossings(cur["edges"]))):
                expanded, cur = trial, p
                nxt += sorted(groups[c]["children"], key=lambda x: -groups[x]["size"])
        frontier = nxt
    return expanded
