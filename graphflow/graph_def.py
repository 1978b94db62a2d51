"""A graphflow graph IR as a TensorFlow-`GraphDef`-like object: `graph.as_graph_def().node` is a
list of nodes with `name`, `op`, `input` (data inputs in argument order, then `^name` control
inputs) and `attr` (`dtype`, `_output_shapes`, `source`). It needs no protobuf package;
`graphflow.keras.event_file.graph_def` turns it into TensorBoard's `GraphDef` proto.

Names: a parameter is named after its argument (as in TF), any other node `<op>_<id>`, under its
name scope (Keras layers open one per layer); adjoint nodes sit under `gradients/<forward node's
scope>`, as in TF, so TensorBoard groups them.

>>> import graphflow as tf
>>> @tf.function
... def double(a):
...     return a + a
>>> graph = double.get_concrete_function(tf.constant(1.0)).graph
>>> [(node.input, node.op) for node in graph.as_graph_def().node]
[([], 'parameter'), (['a', 'a'], 'add')]
"""
import networkx as nx
import numpy as np

from .graph import node_base_name

__all__ = ["GraphDef", "NodeDef", "FuncGraph", "graph_def", "node_names"]


class NodeDef:
    """One node: `name`, `op`, `input` (list of names; `^name` for ordering-only inputs),
    `attr` (dict: 'dtype' a numpy dtype, '_output_shapes' [shape], 'source' the user's line)."""

    def __init__(self, name, op, inputs, attr):
        self.name, self.op, self.input, self.attr = name, op, list(inputs), dict(attr)

    @property
    def type(self):
        """The op (TF's `Operation.type`)."""
        return self.op

    def __repr__(self):
        return f"NodeDef(name={self.name!r}, op={self.op!r}, input={self.input})"

    def text(self):
        """The node in protobuf text format (what printing a TF GraphDef shows)."""
        lines = ["node {", f'  name: "{self.name}"', f'  op: "{self.op}"']
        lines += [f'  input: "{i}"' for i in self.input]
        if "dtype" in self.attr:
            dt = self.attr["dtype"].name
            dt = {"float32": "FLOAT", "float64": "DOUBLE", "object": "STRING"}.get(dt, dt.upper())
            lines.append(f'  attr {{ key: "dtype" value {{ type: DT_{dt} }} }}')
        if "_output_shapes" in self.attr:
            dims = " ".join(f"dim {{ size: {-1 if d is None else d} }}"
                            for d in self.attr["_output_shapes"][0])
            lines.append(f'  attr {{ key: "_output_shapes" value {{ list {{ shape {{ {dims} }} }} }} }}')
        return "\n".join(lines + ["}"])


class GraphDef:
    """The nodes of a graph in id (creation) order (`.node`), like TF's `GraphDef`."""

    def __init__(self, nodes):
        self.node = list(nodes)

    def __str__(self):
        return "\n".join(n.text() for n in self.node) + "\nversions {\n  producer: 27\n}"

    def __repr__(self):
        return f"<GraphDef with {len(self.node)} nodes>"


def node_names(nxg):
    """{node id: GraphDef name} of a graphflow IR DiGraph (see the module doc)."""
    names = {}
    for n, d in nxg.nodes(data=True):
        tags = d.get("tags") or {}
        scope = d.get("scope") or ""
        if tags.get("adjoint"):
            # as in TF: an adjoint node sits under `gradients/` + its forward node's scope
            fwd = nxg.nodes[tags["forward"]] if tags.get("forward") in nxg.nodes else d
            scope = "/".join(s for s in ("gradients", fwd.get("scope") or "") if s)
        base = node_base_name(n, d)
        names[n] = f"{scope}/{base}" if scope else base
    seen = {}
    for n in sorted(names):   # two parameters of one name (nested args): keep names unique
        if names[n] in seen:
            names[n] = f"{names[n]}_{n}"
        seen[names[n]] = n
    return names


def _static(d):
    return d if isinstance(d, (int, np.integer)) else None


def graph_def(graph):
    """A graphflow `Graph` (or networkx DiGraph with graphflow node attributes) as a `GraphDef`
    (see the module doc)."""
    nxg = getattr(graph, "nx", graph)
    names = node_names(nxg)
    nodes = []
    for n in sorted(nxg.nodes):
        d = nxg.nodes[n]
        inputs = [names[u] for u in d.get("inputs", ())]
        inputs += ["^" + names[u] for u in sorted(nxg.predecessors(n))
                   if nxg.edges[u, n].get("control")]
        attr = {}
        if d.get("dtype") is not None:
            attr["dtype"] = np.dtype(d["dtype"])
        if d.get("shape") is not None:
            attr["_output_shapes"] = [[_static(x) for x in d["shape"]]]
        if d.get("source"):
            attr["source"] = str(d["source"])
        nodes.append(NodeDef(names[n], str(d["op"]), inputs, attr))
    return GraphDef(nodes)


class FuncGraph(nx.DiGraph):
    """The networkx DiGraph of a traced function, with TF's `FuncGraph` inspection methods."""

    def as_graph_def(self, add_shapes=False):
        """This graph as a `GraphDef` (`.node`: name, op, input, attr)."""
        return graph_def(self)

    def get_operations(self):
        """The nodes as NodeDefs, in creation order (TF's `graph.get_operations()`; each has
        `name`, `op` (its `type` too) and `input`)."""
        return self.as_graph_def().node
