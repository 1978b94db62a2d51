"""The IR's directed graph without importing networkx until something needs networkx itself.

`DiGraph()` holds exactly a `networkx.DiGraph`'s data (`graph`, `_node`, `_succ` = `_adj`,
`_pred`, `__networkx_cache__`) and implements the methods tracing, the passes and the backends'
planning use on it (adding and removing nodes and edges, `nodes[n]`, `edges[u, v]`,
successors/predecessors, degrees). Anything else - a networkx method it does not have, or a
networkx algorithm called on it - turns the object into a real `networkx.DiGraph` in place
(`__class__` swap: same dicts, no copy; networkx is imported then), so every networkx feature
still works on every graph. A process that only traces and runs (a warm start: kernels from the
disk cache) never pays networkx's import (~95 ms of CPU, a third of the first 100 MLP steps).

The algorithms the pipeline itself needs work on the raw dicts of either class, with networkx's
results: `topological_order` (networkx's `lexicographical_topological_sort`, same order),
`is_acyclic`, `has_path`, `ancestors`.

>>> g = DiGraph()
>>> g.add_edge(2, 1, pos=(0,)); g.add_node(0, op="x"); g.add_edge(0, 1, pos=(1,))
>>> topological_order(g), g.edges[2, 1], sorted(g.predecessors(1)), g.nodes[0]
([0, 2, 1], {'pos': (0,)}, [0, 2], {'op': 'x'})
>>> type(g).__name__, g.in_degree(1), ancestors(g, 1) == {0, 2}
('DiGraph', 2, True)
>>> import networkx as nx
>>> sorted(g.subgraph([0, 1]).edges), type(g) is nx.DiGraph   # networkx's: g became one
([(0, 1)], True)
"""
import heapq
import importlib

from .errors import GraphError


def _to_networkx(g):
    """Make `g` a networkx.DiGraph in place (its dicts are networkx's layout already)."""
    nx = importlib.import_module("networkx")
    g.__class__ = nx.DiGraph
    return g


class DiGraph:
    """networkx.DiGraph's data and its common methods; see the module docstring."""

    def __init__(self):
        self.graph = {}
        self._node = {}
        self._adj = {}
        self._succ = self._adj
        self._pred = {}
        self.__networkx_cache__ = {}

    def __getattr__(self, name):
        # only called for attributes this class lacks: become a networkx.DiGraph and retry
        # (dunder probes such as copy's __deepcopy__ stay plain misses)
        if name.startswith("__") and name.endswith("__") and name != "__networkx_backend__":
            raise AttributeError(name)
        return getattr(_to_networkx(self), name)

    # ---- structure ---------------------------------------------------------------------
    def add_node(self, n, **attr):
        if n not in self._succ:
            self._succ[n] = {}
            self._pred[n] = {}
            self._node[n] = attr
        else:
            self._node[n].update(attr)

    def add_edge(self, u, v, **attr):
        succ, pred = self._succ, self._pred
        for x in (u, v):
            if x not in succ:
                if x is None:
                    raise ValueError("None cannot be a node")
                succ[x], pred[x], self._node[x] = {}, {}, {}
        d = succ[u].get(v)
        if d is None:
            d = succ[u][v] = pred[v][u] = {}
        d.update(attr)

    def remove_edge(self, u, v):
        if u not in self._succ or v not in self._succ[u]:
            return _to_networkx(self).remove_edge(u, v)   # networkx's error
        del self._succ[u][v]
        del self._pred[v][u]

    def remove_node(self, n):
        if n not in self._node:
            return _to_networkx(self).remove_node(n)   # networkx's error
        for v in self._succ.pop(n):
            del self._pred[v][n]
        for u in self._pred.pop(n):
            del self._succ[u][n]
        del self._node[n]

    def remove_nodes_from(self, nodes):
        for n in nodes:
            if n in self._node:   # (networkx ignores absent nodes here)
                self.remove_node(n)

    def copy(self):
        """As networkx's `copy()`: new node, edge and graph attribute dicts (values shared)."""
        g = self.__class__()
        g.graph.update(self.graph)
        g._node.update((n, d.copy()) for n, d in self._node.items())
        succ, pred = g._succ, g._pred
        for u, nbrs in self._succ.items():
            succ[u] = {v: e.copy() for v, e in nbrs.items()}
        for v, nbrs in self._pred.items():
            pred[v] = {u: succ[u][v] for u in nbrs}
        return g

    # ---- queries -----------------------------------------------------------------------
    def __iter__(self):
        return iter(self._node)

    def __len__(self):
        return len(self._node)

    def __contains__(self, n):
        try:
            return n in self._node
        except TypeError:
            return False

    def __getitem__(self, n):
        return self._succ[n]

    def has_node(self, n):
        return n in self

    def has_edge(self, u, v):
        try:
            return v in self._succ[u]
        except KeyError:
            return False

    def successors(self, n):
        try:
            return iter(self._succ[n])
        except KeyError:
            return _to_networkx(self).successors(n)   # networkx's error

    neighbors = successors

    def predecessors(self, n):
        try:
            return iter(self._pred[n])
        except KeyError:
            return _to_networkx(self).predecessors(n)

    def number_of_nodes(self):
        return len(self._node)

    def number_of_edges(self, u=None, v=None):
        if u is not None:
            return int(self.has_edge(u, v))
        return sum(len(nbrs) for nbrs in self._succ.values())

    def in_degree(self, *args, **kw):
        if len(args) == 1 and not kw and args[0] in self._pred:
            return len(self._pred[args[0]])
        return _to_networkx(self).in_degree(*args, **kw)   # the degree view

    def out_degree(self, *args, **kw):
        if len(args) == 1 and not kw and args[0] in self._succ:
            return len(self._succ[args[0]])
        return _to_networkx(self).out_degree(*args, **kw)

    def is_directed(self):
        return True

    def is_multigraph(self):
        return False

    @property
    def succ(self):
        return self._succ

    adj = succ

    @property
    def pred(self):
        return self._pred

    @property
    def nodes(self):
        return _NodeView(self)

    @property
    def edges(self):
        return _EdgeView(self)

    def in_edges(self, nbunch=None, data=False, default=None):
        nodes = self._pred if nbunch is None else (
            [nbunch] if nbunch in self._pred else [n for n in nbunch if n in self._pred])
        return [(u, v) + _data(e, data, default) for v in nodes
                for u, e in self._pred[v].items()]

    def out_edges(self, nbunch=None, data=False, default=None):
        return self.edges(nbunch, data, default)


def _data(e, data, default):
    if data is False:
        return ()
    if data is True:
        return (e,)
    return (e.get(data, default),)


class _NodeView:
    """`g.nodes`: `g.nodes[n]` (the attribute dict), iteration, `len`, `in`, and
    `g.nodes(data=...)` as a list of (node, data) pairs."""
    __slots__ = ("_g",)

    def __init__(self, g):
        self._g = g

    def __getitem__(self, n):
        return self._g._node[n]

    def __iter__(self):
        return iter(self._g._node)

    def __len__(self):
        return len(self._g._node)

    def __contains__(self, n):
        return n in self._g

    def __call__(self, data=False, default=None):
        if data is False:
            return list(self._g._node)
        if data is True:
            return list(self._g._node.items())
        return [(n, d.get(data, default)) for n, d in self._g._node.items()]

    def items(self):
        return self._g._node.items()

    def __eq__(self, other):   # as networkx's NodeView (a Mapping)
        try:
            return dict(self.items()) == dict(other.items())
        except (AttributeError, TypeError):
            return NotImplemented

    def data(self, data=True, default=None):
        return self(data, default)

    def __repr__(self):
        return f"NodeView({tuple(self._g._node)})"


class _EdgeView:
    """`g.edges`: `g.edges[u, v]` (the attribute dict), iteration over (u, v), `len`, `in`, and
    `g.edges(nbunch, data=...)` as a list."""
    __slots__ = ("_g",)

    def __init__(self, g):
        self._g = g

    def __getitem__(self, e):
        u, v = e
        return self._g._succ[u][v]

    def __iter__(self):
        for u, nbrs in self._g._succ.items():
            for v in nbrs:
                yield u, v

    def __len__(self):
        return self._g.number_of_edges()

    def __contains__(self, e):
        try:
            u, v = e
        except (TypeError, ValueError):
            return False
        return self._g.has_edge(u, v)

    def __call__(self, nbunch=None, data=False, default=None):
        succ = self._g._succ
        nodes = succ if nbunch is None else (
            [nbunch] if nbunch in succ else [n for n in nbunch if n in succ])
        return [(u, v) + _data(e, data, default) for u in nodes for v, e in succ[u].items()]

    def data(self, data=True, default=None, nbunch=None):
        return self(nbunch, data, default)

    def __eq__(self, other):   # as networkx's OutEdgeView (a Set first)
        try:
            return set(self) == set(other)
        except TypeError:
            return NotImplemented

    def __repr__(self):
        return f"OutEdgeView({list(self)})"


# ---- algorithms on the raw dicts (either class) ---------------------------------------------
def topological_order(g, key=None):
    """The nodes of DAG `g` in networkx's `lexicographical_topological_sort(g, key)` order:
    among the ready nodes, the smallest `key(node)` first (the node itself without a key), ties
    by insertion order. Raises GraphError on a cycle."""
    if key is None:
        def key(n):
            return n
    nodeid = {n: i for i, n in enumerate(g._node)}
    pred, succ = g._pred, g._succ
    indeg = {v: len(p) for v, p in pred.items() if p}
    heap = [(key(n), nodeid[n], n) for n, p in pred.items() if not p]
    heapq.heapify(heap)
    out = []
    while heap:
        _, _, n = heapq.heappop(heap)
        out.append(n)
        for c in succ[n]:
            d = indeg[c] - 1
            if d:
                indeg[c] = d
            else:
                del indeg[c]
                heapq.heappush(heap, (key(c), nodeid[c], c))
    if indeg:
        raise GraphError("the graph has a cycle: no topological order")
    return out


def is_acyclic(g):
    """True if `g` has no directed cycle."""
    try:
        topological_order(g)
    except GraphError:
        return False
    return True


def has_path(g, a, b):
    """True if a directed path leads from `a` to `b` (a node reaches itself)."""
    if a == b:
        return a in g._node
    succ, seen, stack = g._succ, {a}, [a]
    while stack:
        for v in succ[stack.pop()]:
            if v == b:
                return True
            if v not in seen:
                seen.add(v)
                stack.append(v)
    return False


def ancestors(g, n):
    """The set of nodes with a path to `n` (`n` itself excluded), as networkx's."""
    pred, seen, stack = g._pred, set(), [n]
    while stack:
        for u in pred[stack.pop()]:
            if u not in seen:
                seen.add(u)
                stack.append(u)
    seen.discard(n)
    return seen
