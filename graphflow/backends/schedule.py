"""A backend-neutral schedule of a fused graph, for compiled backends.

`schedule(graph)` reads the fusion annotations (``graph.nx.graph['clusters']``, the nodes'
``tags['cluster']``) and the op table - never an op name - and returns a `Schedule`:

* ``order`` / ``slot``: every node's position in a topological order, its value slot;
* ``live``: the nodes whose values an output or an effect needs (liveness; shape-only inputs
  such as ones_like's do not count);
* ``init``, ``param_slots``, ``out_slots``: constants preloaded, where arguments go, what returns;
* ``units``: the steps in run order, as `Unit` records - a fused cluster or a single node.

Order of the units: the cluster-condensed graph in program order, except that variable updates
(writes, and units whose every consumer is a write) run as late as their dependencies allow,
after all other work, so every reader of a variable's old value has run before its update (a
backend may then overwrite the old buffer in place). Every edge is respected: control edges keep
effects - assigns, reads after assigns, prints - in program order.

The numba backend lowers each cluster unit into a loop kernel (`numba.lower_cluster`); another
compiled backend can lower the same units into its own kernels.
"""
from ..ops.registry import CONSTANT, OPS, PARAMETER
from ..passes.fusion import value_inputs
from ..digraph import DiGraph, topological_order

CLUSTER, NODE = "cluster", "node"


# (plain classes, not dataclasses: creating these two cost ~1.5 ms of a warm start's first call)
class Unit:
    """One step of a schedule: a fused cluster (`id` = cluster id, `info` = its fusion
    description) or a single node (`id` = node id, `info` = None)."""
    __slots__ = ("kind", "id", "info")

    def __init__(self, kind, id, info=None):     # noqa: A002 (the field's name)
        self.kind, self.id, self.info = kind, id, info

    def __eq__(self, other):
        return type(other) is Unit and (self.kind, self.id, self.info) == (
            other.kind, other.id, other.info)

    __hash__ = None     # (info is a dict)

    def __repr__(self):
        return f"Unit(kind={self.kind!r}, id={self.id!r}, info={self.info!r})"


class Schedule:
    """A fused graph's schedule (`schedule`): the graph, its nodes in order and their value
    slots, the live nodes, the outputs, the slots' initial values (constants), the parameters'
    and outputs' slots, and the units (steps) in order."""
    __slots__ = ("graph", "order", "slot", "live", "outputs", "init", "param_slots",
                 "out_slots", "units")

    def __init__(self, graph, order, slot, live, outputs, init, param_slots, out_slots, units):
        self.graph, self.order, self.slot, self.live, self.outputs = (
            graph, order, slot, live, outputs)
        self.init, self.param_slots, self.out_slots, self.units = (
            init, param_slots, out_slots, units)


def live_nodes(graph):
    """Nodes whose values an output or effect needs (shape-only inputs don't count)."""
    gx = graph.nx
    need = set()
    stack = list(graph.outputs) + list(graph.effects)
    while stack:
        n = stack.pop()
        if n in need:
            continue
        need.add(n)
        stack.extend(value_inputs(gx.nodes[n]))
        stack.extend(u for u, e in gx.pred[n].items() if e["control"])
    return need


def _writes(gx, u):
    return u[0] == NODE and "write" in OPS[gx.nodes[u[1]]["op"]].effects


def late_units(cg, gx):
    """Units of the condensed graph `cg` to schedule last: writes, and the units whose every
    consumer is a write (the update clusters computing variables' new values). Not their
    ancestors: the backward pass must still run before them, it reads the old values."""
    return {u for u in cg if _writes(gx, u) or (cg.succ[u] and all(_writes(gx, v)
                                                                   for v in cg.succ[u]))}


def schedule(graph):
    """The `Schedule` of a fused graph (see the module docstring)."""
    gx = graph.nx
    order = graph.topo()
    slot = {n: i for i, n in enumerate(order)}
    live = live_nodes(graph)
    init = [None] * len(order)
    for n in order:
        d = gx.nodes[n]
        if OPS[d["op"]] is CONSTANT:
            init[slot[n]] = d["attrs"]["value"]
    clusters = gx.graph.get("clusters", {})
    unit = {}
    for n in order:
        k = gx.nodes[n]["tags"].get("cluster")
        unit[n] = (CLUSTER, k) if k in clusters else (NODE, n)
    cg = DiGraph()
    pos = {}
    for n in order:
        u = unit[n]
        cg.add_node(u)
        pos[u] = min(pos.get(u, slot[n]), slot[n])
    for a, b in gx.edges:
        if unit[a] != unit[b]:
            cg.add_edge(unit[a], unit[b])
    late = late_units(cg, gx)
    units = []
    for kind, i in topological_order(cg, key=lambda u: (u in late, pos[u])):
        if kind == CLUSTER:
            info = clusters[i]
            if any(m in live for m in info["nodes"]):
                units.append(Unit(CLUSTER, i, info))
        elif i in live and OPS[gx.nodes[i]["op"]] not in (PARAMETER, CONSTANT):
            units.append(Unit(NODE, i))
    return Schedule(graph, order, slot, live, set(graph.outputs), init,
                    [slot[p] for p in graph.params], [slot[o] for o in graph.outputs], units)


def step_of(computed, recomputed=()):
    """node -> index of the step computing it. `computed`: per step, the nodes it computes;
    `recomputed`: per step, nodes it computes again for itself (e.g. a reshape a kernel reads
    through): those count at their last such step."""
    where = {}
    for i, nodes in enumerate(computed):
        for m in nodes:
            where[m] = i
    for i, nodes in enumerate(recomputed):
        for m in nodes:
            where[m] = max(where.get(m, -1), i)
    return where
