"""Standalone outputs of the visualizer: the interactive HTML page (works from ``file://``, no
network: the graph as JSON, the page script inlined, and a static SVG of the default view for
readers without JavaScript), SVG, Graphviz DOT (clusters per scope and per kernel; no Graphviz
needed), JSON and text.

JSON schema (``format="json"``): ``{"title", "consts", "stages": [view, ...]}``, each view
``{"name", "count", "nodes": {id: {id, op, label, role, shape, dtype, bytes, source, scope,
frame, group, adj, fwd, tangent, kernel, inputs, consumers, attrs, chip, chips}}, "groups":
{gid: {id, name, parent, children, nodes, size, adj, layers, chains, segs, series?, alt?,
control?}},
"edges": [[u, v, reason?]], "control": [[u, v]], "expanded": [gid, ...],
"kernels"?: {k: {id, kind, domain, nodes}},
"diff"?: {prev, added, removed, changed}}``. ``frame``: the innermost graphflow application
frame (``layers.py:120 Dense.call``) beside the user's ``source`` line; ``series``: the number
of identical member groups; ``alt``: the group's layout with adjoint items left out.
``control`` (a node that is a cond / while_loop output, and that node's group): {kind, name,
source, inputs, parts, loop_vars?, captures?, trip_count?, adjoint?, output?}; its group holds
the sub-graphs' nodes in sub-groups ``cond``/``body`` or ``true``/``false`` (see
`view.inline_control`), collapsed in the default view.

>>> import graphflow as tf
>>> @tf.function(jit_compile=False)
... def f(x):
...     return tf.reduce_sum(x * x)
>>> html = render_html([("optimized", f.get_concrete_function(tf.ones(3)).optimized)])
>>> html.startswith("<!DOCTYPE html>") and 'data-status="loading"' in html
True
"""
import html as _html
import json
import linecache
import os

from . import view as _v

FILL = {"forward": "#dbeafe", "1": "#fde68a", "2": "#fca5a5", "3": "#d8b4fe", "tangent": "#cffafe",
        "parameter": "#bbf7d0", "constant": "#e5e7eb", "read": "#a7f3d0", "effect": "#fdba74"}
CLUSTER = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#ca8a04", "#db2777"]
CONSTS = {"NODE_H": _v.NODE_H, "GROUP_PAD": _v.GROUP_PAD, "HEADER": _v.HEADER, "GAP_X": _v.GAP_X,
          "GAP_Y": _v.GAP_Y, "CHAR_W": _v.CHAR_W, "FILL": FILL, "CLUSTER": CLUSTER}
CSS = """
body{margin:0;font:13px sans-serif;display:grid;grid-template-columns:1fr 340px;
grid-template-rows:auto 1fr;height:100vh;overflow:hidden}
header{grid-column:1/3;padding:6px 10px;background:#1e293b;color:#f1f5f9;display:flex;gap:10px;
align-items:center;flex-wrap:wrap} header h1{font-size:15px;margin:0 10px 0 0}
#gf-svg{width:100%;height:100%;background:#fff;cursor:grab} #gf-info{overflow:auto;padding:8px;
border-left:1px solid #cbd5e1;font-size:12px} #gf-info th{text-align:left;vertical-align:top;
padding-right:6px;color:#475569} #gf-info td{word-break:break-all}
.box text{font-family:monospace;text-anchor:middle;pointer-events:none} .l1{font-size:11px}
.l2{font-size:9px;fill:#475569} .box{cursor:pointer} .box.grp rect{stroke-dasharray:4 2}
.box.hit rect{stroke:#f43f5e;stroke-width:3} .box.sel rect{stroke:#000;stroke-width:3}
.box.onpath rect{stroke:#16a34a;stroke-width:3}
.frame rect{fill:#f8fafc;fill-opacity:.5;stroke:#94a3b8} .fh{font-size:11px;fill:#334155;
cursor:pointer;font-weight:bold} .edge{fill:none;stroke:#94a3b8;stroke-width:1.2}
.edge.stop{stroke:#ea580c;stroke-dasharray:5 3} .edge.near{stroke:#0f172a;stroke-width:2.2}
#gf-stats{font-size:12px;color:#cbd5e1}
.box.partner rect{stroke:#7c3aed;stroke-width:3} .box.added rect{stroke:#16a34a;stroke-width:2.5}
.box.changed rect{stroke:#2563eb;stroke-width:2.5;stroke-dasharray:3 2}
#gf-mini{position:fixed;right:350px;bottom:10px;width:220px;height:150px;background:#fff;
border:1px solid #94a3b8;box-shadow:0 1px 4px #0003;cursor:crosshair}
#gf-mini-view{fill:#3b82f622;stroke:#2563eb;vector-effect:non-scaling-stroke}
#gf-mini-frames{fill:#f1f5f9;stroke:#94a3b8;vector-effect:non-scaling-stroke}
#gf-mini-boxes{fill:#64748b}
.ksrc{font-size:10px;white-space:pre;overflow:auto;max-height:320px;word-break:normal;
background:#f8fafc;padding:4px;margin:0} #gf-mini text{display:none} .ghost rect{fill:none;stroke:#cbd5e1;stroke-dasharray:2 3}
.ghost.removed rect{stroke:#dc2626;stroke-dasharray:4 3} .ghost text{text-anchor:middle;
font-family:monospace;fill:#dc2626} .legend span{padding:1px 5px;margin-right:3px;color:#000}
"""


def _legend():
    items = [("forward", "forward"), ("adjoint 1", "1"), ("adjoint 2", "2"), ("param", "parameter"),
             ("effect", "effect"), ("const", "constant")]
    return "".join(f'<span style="background:{FILL[k]}">{t}</span>' for t, k in items)


def stage_views(stages, diffs=True, sources=None):
    """JSON-able views (with their default expansions) of a list of (name, Graph); with
    `diffs` (the stages of one trace), each view after the first gets ``diff``: the nodes added,
    removed and changed (op, inputs, shape or label) since the previous stage (node ids are kept
    by every pass), and the stages before fusion share one layout; without (unrelated graphs,
    e.g. several functions), each has its own.

    >>> import graphflow as tf
    >>> @tf.function(jit_compile=False)
    ... def f(x):
    ...     return x * 1.0 + x * 1.0
    >>> vs = stage_views(f.get_concrete_function(tf.ones(2)).stages[:4])
    >>> [v["name"] for v in vs], vs[3]["diff"]["removed"]
    (['traced', 'verify', 'simplify', 'cse'], [3])
    """
    labels = _v.variable_labels([g.nx for _, g in stages])
    # the stages before fusion share one layout (of their union) so that every node keeps its
    # place from stage to stage; a fused stage (kernels) has its own
    plain = [g for _, g in stages if not g.nx.graph.get("clusters")] if diffs else []
    union = _v.union_graph([g.nx for g in plain]) if len(plain) > 1 else None
    shared = _v.build_view(_v.UnionGraph(union), "union", labels) if union is not None else None
    out = []
    for name, graph in stages:
        on = shared if shared is not None and any(graph is g for g in plain) else None
        v = _v.build_view(graph, name, labels, on=on)
        for k, text in (sources or {}).get(id(graph), {}).items():   # kernels' generated code
            if k in v.get("kernels", {}):
                v["kernels"][k]["source"] = text
        v["expanded"] = sorted(_v.default_expanded(v))
        if diffs and out:
            v["diff"] = diff(out[-1], v)
        out.append(v)
    return out


def diff(prev, view):
    """{'prev', 'added', 'removed', 'changed'}: node ids of `view` vs the view `prev`."""
    a, b = prev["nodes"], view["nodes"]

    def key(r):
        return r["op"], list(r["inputs"]), r["shape"], r["label"]
    return {"prev": prev["name"], "added": [n for n in b if n not in a],
            "removed": [n for n in a if n not in b],
            "changed": [n for n in b if n in a and key(a[n]) != key(b[n])]}


def _code(views):
    code = {}
    for v in views:
        for r in v["nodes"].values():
            src = r["source"]
            if src and src not in code and ":" in src:
                path, _, line = src.rpartition(":")
                if line.isdigit():
                    text = linecache.getline(path, int(line)).strip()
                    if text:
                        code[src] = text[:160]
    return code


def svg(v, expanded=None, standalone=True, mode="grouped"):
    """Static SVG of one view (default expansion unless `expanded` is given)."""
    expanded = set(v.get("expanded", ())) if expanded is None else set(expanded)
    p = _v.place(v, expanded, mode)
    sizes = v.get("sizes")
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{p["width"]:.0f}" '
           f'height="{p["height"]:.0f}" font-family="monospace">' if standalone else "",
           '<defs><marker id="gf-arrow" markerWidth="8" markerHeight="8" refX="7" refY="4" '
           'orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="#94a3b8"/></marker></defs>']
    for gid, (x, y, w, h) in p["frames"].items():
        out.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" rx="8" '
                   f'fill="#f8fafc" stroke="#94a3b8"/><text x="{x + 8:.1f}" y="{y + 14:.1f}" '
                   f'font-size="11">{_html.escape(_v.group_text(v["groups"][gid], sizes))}</text>')
    for a, b, pts, reason in p["edges"]:
        d = f"M{pts[0][0]:.1f},{pts[0][1]:.1f}" + "".join(
            f" L{x:.1f},{y:.1f}" for x, y in pts[1:])
        extra = f' stroke-dasharray="5 3"><title>fusion stopped: {_html.escape(reason)}</title>' \
                '</path>' if reason else "/>"
        out.append(f'<path d="{d}" fill="none" stroke="#94a3b8" marker-end="url(#gf-arrow)"'
                   + extra)
    for it, (x, y, w, h) in p["boxes"].items():
        if isinstance(it, str) and it.startswith("g:"):
            grp = v["groups"][it[2:]]
            text, fill = _v.group_text(grp, sizes), "#f8fafc"
            sub = _v.control_brief(grp["control"]) if "control" in grp else "group"
        else:
            r = v["nodes"][it]
            text, sub = _v.node_text(r), f"%{it} {r['shape']} {r['dtype']}"
            fill = FILL[r["role"]] if r["role"] != "op" else (
                FILL[str(min(r["adj"], 3))] if r["adj"] else FILL["forward"])
        maxc = int((w - 10) / _v.CHAR_W)
        text = text if len(text) <= maxc else text[: maxc - 1] + "…"
        out.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" rx="5" '
                   f'fill="{fill}" stroke="#475569"/><text x="{x + w / 2:.1f}" y="{y + 14:.1f}" '
                   f'font-size="11" text-anchor="middle">{_html.escape(text)}</text>'
                   f'<text x="{x + w / 2:.1f}" y="{y + 27:.1f}" font-size="9" fill="#475569" '
                   f'text-anchor="middle">{_html.escape(sub[: maxc + 4])}</text>')
    if standalone:
        out.append("</svg>")
    return "\n".join(out)


_DEFAULTS = {"tangent": False, "kernel": None, "fwd": None, "chip": False, "chips": [],
             "frame": "", "adj": 0, "role": "op", "dtype": "float32", "attrs": {}, "bytes": None,
             "scope": "", "inputs": []}


def compact(views, chain=True):
    """The page's copy of `views`: node fields at their default left out; a node record equal
    to the previous stage's listed in ``same``, one differing in a few fields given as a
    ``patch`` of those fields; ``consumers`` left out (the page script restores all of it).
    Passes change few nodes, so many stages cost little more than one (`chain=False`: the
    views are unrelated graphs, each stored whole).

    >>> a = {"nodes": {1: {"id": 1, "adj": 0, "op": "x", "shape": [2]}}}
    >>> b = {"nodes": {1: {"id": 1, "adj": 0, "op": "x", "shape": [2]},
    ...                2: {"id": 2, "adj": 1, "op": "y", "shape": [2]}}}
    >>> c = {"nodes": {1: {"id": 1, "adj": 0, "op": "x", "shape": [3]}}}
    >>> [(v["nodes"], v.get("same"), v.get("patch")) for v in compact([a, b, c])]
    ... # doctest: +NORMALIZE_WHITESPACE
    [({1: {'op': 'x', 'shape': [2]}}, None, None),
     ({2: {'adj': 1, 'op': 'y', 'shape': [2]}}, [1], None), ({}, None, {1: {'shape': [3]}})]
    """
    out, prev = [], {}
    for v in views:   # groups/slots None: the previous stage's (the same layout)
        nodes, same, patch = {}, [], {}
        for n, r in v["nodes"].items():
            p = prev.get(n)
            if p is not None and set(p) == set(r):
                d = {k: x for k, x in r.items() if k != "consumers" and p[k] != x}
                if not d:
                    same.append(n)     # (consumers are rebuilt per stage)
                    continue
                if 2 * len(d) < len(r):
                    patch[n] = d
                    continue
            # consumers are rebuilt from inputs; label and group default to op and scope, the
            # id to the record's key
            nodes[n] = {k: x for k, x in r.items() if k != "consumers"
                        and not (k == "id" and isinstance(x, int) and str(x) == str(n))
                        and (k not in _DEFAULTS or x != _DEFAULTS[k])
                        and not (k == "label" and x == r["op"])
                        and not (k == "group" and x == r["scope"])}
        c = dict(v, nodes=nodes)
        if same:
            c["same"] = same
        if patch:
            c["patch"] = patch
        for k in ("groups", "slots", "edges", "control"):   # shared with the previous stage
            if chain and out and k in v and (v[k] is views[len(out) - 1].get(k)
                                             or v[k] == views[len(out) - 1].get(k)):
                c[k] = None
        out.append(c)
        prev = v["nodes"] if chain else {}
    return out


#: node fields whose values repeat across thousands of nodes (a layer's frame, a user's line)
_INTERNED = ("source", "frame", "scope", "group")


def intern_strings(stages):
    """`stages` (compacted) with each `_INTERNED` string field of a node record or patch replaced
    by its index in the returned table: one copy of ``layers.py:719 Dense.call`` per page
    instead of one per node (the page script restores them first).

    >>> st, table = intern_strings([{"nodes": {1: {"frame": "f"}, 2: {"frame": "f"}}}])
    >>> st[0]["nodes"], table
    ({1: {'frame': 0}, 2: {'frame': 0}}, ['f'])
    """
    table, index = [], {}

    def code(x):
        if x not in index:
            index[x] = len(table)
            table.append(x)
        return index[x]

    def intern(rec):
        return {k: (code(x) if k in _INTERNED and isinstance(x, str) else x)
                for k, x in rec.items()}

    out = []
    for v in stages:
        c = dict(v, nodes={n: intern(r) for n, r in v["nodes"].items()})
        if "patch" in v:
            c["patch"] = {n: intern(r) for n, r in v["patch"].items()}
        out.append(c)
    return out, table


def render_html(stages, title="graphflow graph", adjoints="grouped", related=True,
                sources=None):
    """The interactive page for a list of (name, Graph) stages (or prebuilt views);
    `related=False` for graphs that are not stages of one trace (no diffs, no shared layout)."""
    views = [s if isinstance(s, dict) else None for s in stages]
    if not all(views):
        views = stage_views(stages, diffs=related, sources=sources)
    stages_c, strings = intern_strings(compact(views, related))
    data = {"title": title, "consts": CONSTS, "stages": stages_c, "strings": strings,
            "code": _code(views),
            "mode": adjoints,
            "initial": max([i for i, v in enumerate(views) if not v["name"].startswith("fuse")]
                           or [0])}
    # the page opens on the optimized stage (the fused one is a click or a → away)
    blob = json.dumps(data, separators=(",", ":"), default=str).replace("</", "<\\/")
    with open(os.path.join(os.path.dirname(__file__), "page.js")) as f:
        script = f.read()
    first = views[data["initial"]]
    static_mode = adjoints if adjoints in ("hidden", "mirror") else "grouped"
    return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{_html.escape(title)}'
            f"</title><style>{CSS}</style></head><body data-status=\"loading\" data-errors=\"\">"
            f'<header><h1>{_html.escape(title)}</h1><select id="gf-stage"></select>'
            '<input id="gf-search" placeholder="/ search: text, op:, scope:, src:, adj:1, '
            'kernel:0, regex" size="38"><button id="gf-fit">fit</button>'
            '<button id="gf-all">expand all</button><button id="gf-none">collapse all</button>'
            '<label>adjoints <select id="gf-mode"><option value="grouped">grouped</option>'
            '<option value="hidden">hidden</option><option value="mirror">mirror</option>'
            '</select></label>'
            f'<span class="legend">{_legend()}</span><span id="gf-stats"></span></header>'
            '<svg id="gf-svg"><defs><marker id="gf-arrow" markerWidth="8" markerHeight="8" '
            'refX="7" refY="4" orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="#94a3b8"/></marker>'
            '</defs><g id="gf-world"><g id="gf-content"></g></g></svg><div id="gf-info"></div>'
            '<svg id="gf-mini" preserveAspectRatio="xMidYMid meet"><path id="gf-mini-frames"/>'
            '<path id="gf-mini-boxes"/><rect id="gf-mini-view"/></svg>'
            f'<div id="gf-static"><noscript>{svg(first, mode=static_mode)}</noscript></div>'
            f'<script type="application/json" id="gf-data">{blob}</script>'
            f"<script>{script}</script></body></html>")


MAX_SHAPE_STAGES = 2


def stages_of(obj):
    """(name, Graph) stages of a ConcreteFunction (traced, after each pass, fused; a trace
    with unknown dims: the fused plan of each of the first `MAX_SHAPE_STAGES` argument shapes
    it ran with), a Graph or a list of stages."""
    if hasattr(obj, "stages") and hasattr(obj, "traced"):
        out, seen = [], {}
        for name, g in obj.stages:
            if name == "verify":
                continue
            seen[name] = seen.get(name, 0) + 1
            out.append((name if seen[name] == 1 else f"{name} {seen[name]}", g))
        # a trace with unknown dims is planned (and fused) per concrete shape when it runs
        plans = getattr(getattr(obj, "_executor", None), "plans", None) or {}
        for key, (_, plan) in list(plans.items())[:MAX_SHAPE_STAGES]:
            fused = getattr(plan, "graph", None)
            if fused is not None and fused.nx.graph.get("clusters") is not None:
                shapes = ",".join("×".join(map(str, s)) or "scalar" for s in key)
                out.append((f"fuse ({shapes})", fused))
        return out
    if hasattr(obj, "nx"):
        return [(getattr(obj, "name", "graph"), obj)]
    return list(obj)


def save_html(path, stages, title="graphflow graph"):
    """Write the page for `stages` (a ConcreteFunction, a Graph or (name, Graph) pairs) to
    `path`; returns the path."""
    with open(path, "w") as f:
        f.write(render_html(stages_of(stages), title, sources=kernel_sources(stages)))
    return path


def kernel_sources(obj):
    """{id(fused Graph): {cluster id: text}}: the code each fused kernel of a ConcreteFunction's
    plans runs (the numba backend's generated source, or why the cluster runs on numpy)."""
    ex = getattr(obj, "_executor", None)
    plans = [p for _, p in getattr(ex, "plans", {}).values()] if hasattr(ex, "plans") else [ex]
    out = {}
    for plan in plans:
        graph = getattr(plan, "graph", None)
        if graph is None or not hasattr(plan, "cluster_steps"):
            continue
        srcs = {}
        for step in plan.cluster_steps:
            info = getattr(step, "info", None) or {}
            text = getattr(step, "source", None) or (
                f"runs on numpy: {step.why_numpy}" if getattr(step, "why_numpy", None) else None)
            if "id" in info and text:
                srcs[str(info["id"])] = text
        out[id(graph)] = srcs
    return out


def dot(v):
    """Graphviz DOT text: one cluster per group (scope, gradients/..., kernel)."""
    lines = ["digraph graphflow {", "  node [shape=box, style=filled, fontname=monospace];"]

    def emit(gid, ind):
        grp = v["groups"][gid]
        if gid:
            lines.append(f'{ind}subgraph "cluster_{gid}" {{ label="{grp["name"]}";')
        for n in grp["nodes"]:
            if n not in v["nodes"]:      # a node of another stage sharing the layout
                continue
            r = v["nodes"][n]
            fill = FILL[r["role"]] if r["role"] != "op" else (
                FILL[str(min(r["adj"], 3))] if r["adj"] else FILL["forward"])
            lab = _v.node_text(r).replace('"', "'")
            lines.append(f'{ind}  n{n} [label="{lab}\\n{r["shape"]}", fillcolor="{fill}"];')
        for c in grp["children"]:
            emit(c, ind + "  ")
        if gid:
            lines.append(ind + "}")

    emit("", "  ")
    for e in v["edges"]:
        extra = f' [style=dashed, label="{e[2]}"]' if len(e) > 2 else ""
        lines.append(f"  n{e[0]} -> n{e[1]}{extra};")
    for u, w in v["control"]:
        lines.append(f"  n{u} -> n{w} [style=dotted];")
    lines.append("}")
    return "\n".join(lines)


def text(v):
    """Indented text outline: groups and their nodes."""
    out = []

    def emit(gid, depth):
        grp = v["groups"][gid]
        if gid:
            if not v.get("sizes", {gid: 1}).get(gid):
                return
            out.append("  " * (depth - 1) + f"[{_v.group_text(grp, v.get('sizes'))}]")
        for n in grp["nodes"]:
            if n not in v["nodes"]:
                continue
            r = v["nodes"][n]
            ins = ", ".join(f"%{u}" for u in r["inputs"])
            out.append("  " * depth + f"%{n} = {_v.node_text(r)}({ins}) {r['shape']} {r['dtype']}")
        for c in grp["children"]:
            emit(c, depth + 1)

    emit("", 0)
    return "\n".join(out)
