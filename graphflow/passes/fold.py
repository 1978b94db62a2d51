"""Constant folding: evaluate pure nodes whose inputs are all constants, at compile time.

An op's ``fold_limit`` fact caps the output size it is folded at (broadcast_to: a big broadcast
of a constant stays a scalar the backends broadcast for free, not a materialized array).
"""
import numpy as np

from ..ops.registry import CONSTANT, OPS
from ..shapes import is_static

MAX_FOLD_ELEMENTS = 1 << 16   # don't bake big arrays into the graph


def fold(graph):
    """Replace pure ops with constant inputs (and small outputs) by constant nodes."""
    g = graph.nx
    for n in graph.topo():
        d = g.nodes[n]
        op = OPS.get(d["op"])
        if op is None or op.stateful or not d["inputs"] or n in graph.effects:
            continue
        if any(getattr(v, "has_effects", False) for v in d["attrs"].values()):
            continue   # a cond/while_loop whose sub-graphs print/assign: runs at run time
        ins = [g.nodes[u] for u in d["inputs"]]
        if not all(OPS[i["op"]] is CONSTANT for i in ins) or not is_static(d["shape"]):
            continue   # (an output of unknown dims, e.g. a broadcast to the batch: runs then)
        # e.g. a big broadcast_to of a constant stays: a scalar the backends broadcast for free,
        # not a materialized array (simplify already treats it as that constant)
        if int(np.prod(d["shape"], dtype=np.int64)) > op.facts.get("fold_limit",
                                                                   MAX_FOLD_ELEMENTS):
            continue
        # np.array (not ascontiguousarray, which turns 0-d results into shape (1,)): an owned,
        # C-contiguous copy with exactly the node's dtype
        try:
            out = op.impl(*[i["attrs"]["value"] for i in ins], **d["attrs"])
        except Exception:   # e.g. an index out of range: leave the node, so the error is raised
            continue        # when the graph runs, naming the op and the user's source line
        val = np.array(out, dtype=d["dtype"], order="C")
        val.flags.writeable = False
        for u in set(d["inputs"]):
            g.remove_edge(u, n)
        d.update(op=CONSTANT.name, inputs=(), attrs={"value": val})
        d["tags"] = dict(d["tags"], folded=True)
    return graph
