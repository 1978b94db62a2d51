"""Standalone HTML/SVG rendering of a graph IR (no JavaScript libraries, no network).

Nodes are laid out in layers by depth; colour shows what the node is: forward op, adjoint of
order 1/2/..., structural (parameter/constant/variable/effect), and fused kernels get a
coloured outline per cluster. Hovering a node shows op, shape, dtype, source line and tags.

>>> import graphflow as tf
>>> @tf.function(jit_compile=False)
... def f(x):
...     return tf.reduce_sum(x * x)
>>> html = render_html([("optimized", f.get_concrete_function(tf.ones(3)).optimized)])
>>> html.startswith("<!DOCTYPE html>")
True
"""
import html as _html

import networkx as nx
import numpy as np

from ..ops.registry import CONSTANT, EFFECT, OPS, PARAMETER

_FILL = {"forward": "#dbeafe", 1: "#fde68a", 2: "#fca5a5", 3: "#d8b4fe", "parameter": "#bbf7d0",
         "constant": "#e5e7eb", "read": "#a7f3d0", "effect": "#fdba74"}
_CLUSTER = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#ca8a04", "#db2777"]
W, H, GX, GY = 150, 38, 30, 60


def _role(opname):
    """The structural role of an op, from the op table: 'parameter', 'constant', 'read' (a
    variable read), 'effect' (assign, print, ...) or None for a computing op."""
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


def _label(d):
    op = d["op"]
    role = _role(op)
    if role == "constant":
        v = d["attrs"]["value"]
        return f"const {v.item():.4g}" if np.size(v) == 1 else f"const {list(d['shape'])}"
    if "var" in d["attrs"]:
        return f"{op} {d['attrs']['var'].name}"
    if role == "parameter":
        return f"param {d['attrs'].get('name', '')}"
    return op


def _svg(graph):
    g = graph.nx
    depth = {}
    for n in nx.topological_sort(g):
        depth[n] = 1 + max((depth[u] for u in g.predecessors(n)), default=-1)
    layers = {}
    for n in sorted(g.nodes):
        layers.setdefault(depth[n], []).append(n)
    pos = {}
    width = max((len(v) for v in layers.values()), default=1) * (W + GX) + GX
    for k, ns in layers.items():
        off = (width - len(ns) * (W + GX)) / 2
        for i, n in enumerate(ns):
            pos[n] = (off + i * (W + GX) + GX / 2, GY / 2 + k * (H + GY))
    height = (max(layers, default=0) + 1) * (H + GY) + GY
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}">',
           '<defs><marker id="a" markerWidth="8" markerHeight="8" refX="7" refY="4" orient="auto">'
           '<path d="M0,0 L8,4 L0,8 z" fill="#6b7280"/></marker></defs>']
    for u, v, e in g.edges(data=True):
        (x1, y1), (x2, y2) = pos[u], pos[v]
        dash = ' stroke-dasharray="4,3"' if e.get("control") else ""
        out.append(f'<line x1="{x1 + W / 2:.0f}" y1="{y1 + H:.0f}" x2="{x2 + W / 2:.0f}" '
                   f'y2="{y2:.0f}" stroke="#6b7280"{dash} marker-end="url(#a)"/>')
    for n, d in g.nodes(data=True):
        x, y = pos[n]
        tags = d["tags"]
        fill = _FILL.get(_role(d["op"])) or (_FILL.get(min(tags["adjoint"], 3)) if "adjoint" in tags
                                      else _FILL["forward"])   # orders above 3 share a colour
        cl = tags.get("cluster")
        stroke = _CLUSTER[cl % len(_CLUSTER)] if cl is not None else "#374151"
        sw = 3 if cl is not None else 1
        tip = (f"%{n} {d['op']} {d['shape']} {d['dtype'].name}\nsource: {d['source']}"
               + (f"\ntags: {tags}" if tags else ""))
        out.append(f'<g><title>{_html.escape(tip)}</title><rect x="{x:.0f}" y="{y:.0f}" '
                   f'width="{W}" height="{H}" rx="6" fill="{fill}" stroke="{stroke}" '
                   f'stroke-width="{sw}"/>'
                   f'<text x="{x + W / 2:.0f}" y="{y + 15:.0f}" font-size="12" text-anchor="middle"'
                   f' font-family="monospace">{_html.escape(_label(d))[:22]}</text>'
                   f'<text x="{x + W / 2:.0f}" y="{y + 30:.0f}" font-size="10" text-anchor="middle"'
                   f' fill="#4b5563" font-family="monospace">%{n} {list(d["shape"])} '
                   f'{d["dtype"].name}</text></g>')
    out.append("</svg>")
    return "\n".join(out)


def render_html(stages, title="graphflow graph"):
    """HTML page with one SVG section per (name, Graph) stage."""
    legend = " ".join(f'<span style="background:{c};padding:2px 6px;margin:2px">{k}</span>'
                      for k, c in [("forward", _FILL["forward"]), ("adjoint order 1", _FILL[1]),
                                   ("adjoint order 2", _FILL[2]), ("parameter", _FILL["parameter"]),
                                   ("variable read", _FILL["read"]),
                                   ("effect", _FILL["effect"]), ("constant", _FILL["constant"])])
    parts = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{_html.escape(title)}"
             "</title><style>body{font-family:sans-serif;margin:20px} section{margin-bottom:30px;"
             "overflow-x:auto} pre{background:#f3f4f6;padding:8px;font-size:11px}</style></head>"
             f"<body><h1>{_html.escape(title)}</h1><p>{legend} — thick coloured outlines mark "
             "fused kernels; dashed edges are ordering (control) edges; hover a node for its "
             "source line.</p>"]
    for name, graph in stages:
        n = graph.nx.number_of_nodes()
        parts.append(f"<section><h2>{_html.escape(name)} ({n} nodes)</h2>{_svg(graph)}"
                     f"<details><summary>text dump</summary><pre>{_html.escape(graph.dump())}"
                     "</pre></details></section>")
    parts.append("</body></html>")
    return "\n".join(parts)


def save_html(path, stages, title="graphflow graph"):
    """Write `render_html(stages)` to `path`; returns the path.

    `stages` may also be a ConcreteFunction: its traced and optimized graphs (and the fused
    graph if the backend made one) are shown.
    """
    if hasattr(stages, "stages"):
        cf = stages
        stages = [("traced (forward + adjoint nodes)", cf.traced), ("optimized", cf.optimized)]
        if cf.stages[-1][0] == "fuse":
            stages.append(("fused kernels", cf.stages[-1][1]))
    with open(path, "w") as f:
        f.write(render_html(stages, title))
    return path
