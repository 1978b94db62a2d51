"""Dead-code elimination: keep only nodes that outputs or effects depend on."""
from ..ops.registry import OPS


def _plain_read(op):
    """Reads state without changing it (a variable read): ordered only before later writes."""
    opdef = OPS[op]
    return bool(opdef.effects) and not opdef.stateful


def dce(graph):
    """Remove nodes no output or effect (assign, print, random draw) needs.

    Parameters always stay, so the calling convention does not change. A variable read whose
    value nothing uses goes too, with the ordering edges it had: an ordering edge from a read
    only says "read before the next write", which matters only if the value is used.
    """
    g = graph.nx
    roots = set(graph.outputs) | set(graph.effects) | set(graph.params)
    keep, stack = set(roots), list(roots)
    while stack:
        n = stack.pop()
        for u in g.predecessors(n):
            if u in keep:
                continue
            if g.edges[u, n]["control"] and _plain_read(g.nodes[u]["op"]):
                continue   # needed only if some data use (or output) reaches it
            keep.add(u)
            stack.append(u)
    g.remove_nodes_from([n for n in list(g.nodes) if n not in keep])
    graph.effects = [e for e in graph.effects if e in keep]
    return graph
