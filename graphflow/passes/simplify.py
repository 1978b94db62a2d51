"""Algebraic simplification: x*1, x+0, -(-x), reshape-of-reshape, transpose pairs, identities,
ones_like/zeros_like to constants. Rewrites never change shape, dtype or NaN behaviour."""
import numpy as np


def _const(g, n):
    """The scalar value if node n is a constant with all-equal values, else None."""
    d = g.nodes[n]
    if d["op"] == "broadcast_to":   # a broadcast constant is still that constant
        return _const(g, d["inputs"][0])
    if d["op"] != "constant":
        return None
    v = d["attrs"]["value"]
    if v.size == 0:
        return None
    first = v.flat[0]
    return first if np.all(v == first) else None


def _same_type(g, a, b):
    da, db = g.nodes[a], g.nodes[b]
    return da["shape"] == db["shape"] and da["dtype"] == db["dtype"]


def _rewrite(graph, n):
    """Return the node that can replace n, or None."""
    g = graph.nx
    d = g.nodes[n]
    op, ins = d["op"], d["inputs"]
    if op in ("identity", "stop_gradient"):   # gradients are built while tracing: now identities
        return ins[0]
    if op in ("multiply", "add", "subtract", "divide"):
        a, b = ins
        unit = 1 if op in ("multiply", "divide") else 0
        if _const(g, b) == unit and _same_type(g, a, n):
            return a
        if op in ("multiply", "add") and _const(g, a) == unit and _same_type(g, b, n):
            return b
    if op == "negative" and g.nodes[ins[0]]["op"] == "negative":
        inner = g.nodes[ins[0]]["inputs"][0]
        return inner
    if op in ("reshape", "broadcast_to") and g.nodes[ins[0]]["shape"] == d["shape"]:
        return ins[0]
    if op == "reshape" and g.nodes[ins[0]]["op"] == "reshape":
        src = g.nodes[ins[0]]["inputs"][0]
        return graph.add_node("reshape", (src,), {"shape": d["shape"]}, d["shape"], d["dtype"],
                              d["source"], dict(d["tags"]))
    if op == "transpose" and g.nodes[ins[0]]["op"] == "transpose":
        p1 = g.nodes[ins[0]]["attrs"]["perm"]
        p2 = d["attrs"]["perm"]
        perm = tuple(p1[i] for i in p2)
        src = g.nodes[ins[0]]["inputs"][0]
        if perm == tuple(range(len(perm))):
            return src
        return graph.add_node("transpose", (src,), {"perm": perm}, d["shape"], d["dtype"],
                              d["source"], dict(d["tags"]))
    if op in ("ones_like", "zeros_like"):
        val = np.full((), 1 if op == "ones_like" else 0, d["dtype"])
        c = graph.add_node("constant", (), {"value": val}, (), d["dtype"], d["source"],
                           dict(d["tags"]))
        if d["shape"] == ():
            return c
        return graph.add_node("broadcast_to", (c,), {"shape": d["shape"]}, d["shape"],
                              d["dtype"], d["source"], dict(d["tags"]))
    return None


def simplify(graph, max_rounds=4):
    """Apply local rewrites until nothing changes; dead nodes are left for DCE."""
    for _ in range(max_rounds):
        changed = False
        outputs = set(graph.outputs)
        for n in graph.topo():
            if n not in graph.nx or (not graph.nx.succ[n] and n not in outputs):
                continue   # dead (e.g. already replaced): rewriting it again only adds nodes
            r = _rewrite(graph, n)
            if r is not None and r != n:
                graph.replace_uses(n, r)
                changed = True
        if not changed:
            break
    return graph
