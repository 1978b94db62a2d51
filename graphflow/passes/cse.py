"""Common-subexpression elimination: one node per distinct (op, inputs, attrs, ordering)."""
import numpy as np

from ..ops.registry import OPS, PARAMETER


def _freeze(v):
    if isinstance(v, dict):
        return tuple(sorted((k, _freeze(x)) for k, x in v.items()))
    if isinstance(v, (list, tuple)):
        return tuple(_freeze(x) for x in v)
    if isinstance(v, np.ndarray):
        return (v.dtype.str, v.shape, v.tobytes()) if v.size <= 4096 else ("array", id(v))
    try:
        hash(v)
        return v
    except TypeError:
        return ("object", id(v))


def node_key(graph, n):
    """Structural identity of a node (None for nodes that must stay unique)."""
    g = graph.nx
    d = g.nodes[n]
    op = d["op"]
    opdef = OPS.get(op)
    if opdef is None or opdef is PARAMETER or opdef.stateful:   # effects and inputs stay unique
        return None
    ctrl = tuple(sorted(u for u in g.predecessors(n) if g.edges[u, n]["control"]))
    attrs = dict(d["attrs"])
    if "var" in attrs:
        attrs["var"] = id(attrs["var"])
    return (op, d["inputs"], _freeze(attrs), ctrl, d["dtype"].str, d["shape"])


def cse(graph):
    """Merge nodes that compute the same value (reads of a variable between the same writes too)."""
    seen = {}
    for n in graph.topo():
        key = node_key(graph, n)
        if key is None:
            continue
        if key in seen:
            keep = seen[key]
            graph.replace_uses(n, keep)
            graph.nx.remove_node(n)   # never a parameter: those stay unique
        else:
            seen[key] = n
    return graph
