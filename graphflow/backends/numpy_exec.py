"""The reference backend: runs a graph's nodes with the op table's numpy implementations.

The execution plan (order, slots, bound impls) is computed once, so a call costs one Python loop
over the nodes.
"""
import numpy as np

from ..errors import InvalidArgumentError
from ..ops.registry import OPS
from ..ops.shape_ops import index_from_spec

# Counts plan runs (this executor's and the numba backend's): a control-flow node's memo of its
# sub-graph results is valid only while no plan ran since (see ops/control_ops.Subgraphs).
_RUNS = [0]


def _assign(var, spec):
    if spec is None:
        def run(value):
            var._value = np.array(value, dtype=var._value.dtype)
    else:
        idx = index_from_spec(spec)

        def run(value):
            new = var._value.copy()   # copy-on-write: earlier reads keep their values
            new[idx] = value
            var._value = new
    return run


def _print(attrs):
    from ..control_flow import emit_print
    fmt, stream, end = attrs["fmt"], attrs.get("stream"), attrs.get("end", "\n")

    def run(*vals):
        emit_print(fmt, vals, stream, end)
    return run


def node_runner(d):
    """A callable computing one node from its input values (also used by other backends)."""
    op, attrs = d["op"], d["attrs"]
    if op == "read_variable":
        var = attrs["var"]
        return lambda: var._value
    if op == "assign":
        return _assign(attrs["var"], attrs["spec"])
    if op == "print":
        return _print(attrs)
    impl = OPS[op].impl
    if not attrs:
        return impl
    return lambda *xs: impl(*xs, **attrs)


class NumpyPlan:
    """Precomputed schedule for a Graph: call `run(list_of_arrays)` -> list of output arrays."""

    def __init__(self, graph):
        self.graph = graph
        self.order = order = graph.topo()
        self.slot = {n: i for i, n in enumerate(order)}
        self.init = [None] * len(order)
        self.param_slots = [self.slot[p] for p in graph.params]
        self.steps = []
        for n in order:
            d = graph.nx.nodes[n]
            if d["op"] == "constant":
                self.init[self.slot[n]] = d["attrs"]["value"]
            elif d["op"] != "parameter":
                self.steps.append((self.slot[n], node_runner(d),
                                   tuple(self.slot[u] for u in d["inputs"])))
        self.out_slots = [self.slot[o] for o in graph.outputs]

    def run(self, args):
        """Run the graph on parameter arrays; errors name the failing node's op and source."""
        _RUNS[0] += 1
        vals = list(self.init)
        for s, a in zip(self.param_slots, args):
            vals[s] = a
        out = None
        try:
            for out, fn, ins in self.steps:
                vals[out] = fn(*[vals[i] for i in ins])
        except Exception as e:
            raise runtime_error(self.graph, self.order[out], e) from None
        return [vals[s] for s in self.out_slots]


def runtime_error(graph, node, e):
    """An error raised while running a graph, naming the node's op and the user's source line."""
    d = graph.nx.nodes[node]
    ins = ", ".join(f"{graph.nx.nodes[u]['shape']} {graph.nx.nodes[u]['dtype'].name}"
                    for u in d["inputs"])
    return InvalidArgumentError(f"{d['op']} (node {node}, traced at {d['source']}) failed at run "
                                f"time: {e} (inputs: {ins})")
