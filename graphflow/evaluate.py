"""The reference evaluator: runs a graph's nodes with the op table's numpy implementations.

It is the `jit_compile=False` backend, runs control-flow sub-graphs, and is what compiled
backends are tested against. The plan (order, slots, bound impls) is computed once, so a call
costs one Python loop over the nodes.

>>> import graphflow as tf
>>> @tf.function(jit_compile=False)
... def f(x):
...     return x * 2.0
>>> f(tf.constant([1., 2.])).numpy()
array([2., 4.], dtype=float32)
"""
from .errors import InvalidArgumentError
from .ops.registry import OPS, PARAMETER, CONSTANT

# Counts plan runs (this evaluator's and compiled backends'): a control-flow node's memo of its
# sub-graph results is valid only while no plan ran since (see control_ops.Subgraphs).
_RUNS = [0]


def note_run():
    """Count one plan run (every executor calls this once per run)."""
    _RUNS[0] += 1


def run_count():
    """Plan runs so far in this process."""
    return _RUNS[0]


def node_runner(d):
    """A callable computing one node from its input values (also used by other backends)."""
    impl, attrs = OPS[d["op"]].impl, d["attrs"]
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
            op = OPS[d["op"]]
            if op is CONSTANT:
                self.init[self.slot[n]] = d["attrs"]["value"]
            elif op is not PARAMETER:
                self.steps.append((self.slot[n], node_runner(d),
                                   tuple(self.slot[u] for u in d["inputs"])))
        self.out_slots = [self.slot[o] for o in graph.outputs]

    def run(self, args):
        """Run the graph on parameter arrays; errors name the failing node's op and source."""
        note_run()
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
