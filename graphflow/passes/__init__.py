"""Graph passes. Each is a named `Graph -> Graph` function; `PIPELINE` is the visible list.

>>> [name for name, _ in PIPELINE]
['verify', 'simplify', 'cse', 'fold', 'simplify', 'cse', 'dce', 'verify']
"""
from ..graph import verify
from .dce import dce
from .cse import cse
from .fold import fold
from .simplify import simplify

# fold exposes new constants, so simplify/cse run again after it
PIPELINE = [("verify", verify), ("simplify", simplify), ("cse", cse), ("fold", fold),
            ("simplify", simplify), ("cse", cse), ("dce", dce), ("verify", verify)]


def run_pipeline(graph, pipeline=None):
    """Run the passes on a copy of `graph`; returns [('traced', g0), (pass name, g1), ...]."""
    stages = [("traced", graph)]
    g = graph
    for name, p in (pipeline or PIPELINE):
        g = p(g.copy())
        stages.append((name, g))
    return stages
