"""Dead-code elimination: keep only nodes that outputs or effects depend on."""
import networkx as nx


def dce(graph):
    """Remove nodes no output or effect (assign, print, random draw) needs.

    Parameters always stay, so the calling convention does not change.
    """
    g = graph.nx
    roots = set(graph.outputs) | set(graph.effects) | set(graph.params)
    keep = set(roots)
    for r in roots:
        keep |= nx.ancestors(g, r)
    g.remove_nodes_from([n for n in list(g.nodes) if n not in keep])
    graph.effects = [e for e in graph.effects if e in keep]
    return graph
