"""graphflow.digraph: the IR's graph holds networkx.DiGraph's data without importing networkx;
its methods and algorithms give networkx's results, and anything else turns it into a real
networkx.DiGraph in place. A trace, the passes and both executors need no networkx."""
import json
import os
import random
import subprocess
import sys
import textwrap

import networkx as nx
import numpy as np
import pytest

import graphflow as tf
from graphflow import digraph
from graphflow.errors import GraphError

ROOT = os.path.join(os.path.dirname(__file__), "..")


def _random_ops(seed, n=40):
    """The same random build/remove sequence on a light DiGraph and on networkx's."""
    rng = random.Random(seed)
    light, ref = digraph.DiGraph(), nx.DiGraph()
    for _ in range(n):
        r = rng.random()
        if r < 0.25:
            v = rng.randrange(30)
            for g in (light, ref):
                g.add_node(v, op=f"op{v}", k=r)
        elif r < 0.8:
            u, v = sorted(rng.sample(range(30), 2))      # u < v: stays acyclic
            p = rng.randrange(3)
            for g in (light, ref):
                g.add_edge(u, v, pos=(p,))
        elif r < 0.9 and ref.number_of_edges():
            u, v = rng.choice(list(ref.edges))
            for g in (light, ref):
                g.remove_edge(u, v)
        elif ref.number_of_nodes():
            v = rng.choice(list(ref.nodes))
            for g in (light, ref):
                g.remove_node(v)
    return light, ref


@pytest.mark.parametrize("seed", range(12))
def test_light_digraph_matches_networkx(seed):
    light, ref = _random_ops(seed)
    assert type(light) is digraph.DiGraph
    assert list(light.nodes) == list(ref.nodes) and list(light.edges) == list(ref.edges)
    assert light.nodes(data=True) == list(ref.nodes(data=True))
    assert light.nodes(data="op") == list(ref.nodes(data="op"))
    assert light.edges(data=True) == list(ref.edges(data=True))
    assert light.in_edges(data="pos") == list(ref.in_edges(data="pos"))
    assert len(light) == len(ref) and light.number_of_edges() == ref.number_of_edges()
    for v in ref:
        assert list(light.successors(v)) == list(ref.successors(v))
        assert list(light.predecessors(v)) == list(ref.predecessors(v))
        assert light.in_degree(v) == ref.in_degree(v) and light.out_degree(v) == ref.out_degree(v)
        assert light.nodes[v] == ref.nodes[v] and dict(light.pred[v]) == dict(ref.pred[v])
        assert digraph.ancestors(light, v) == nx.ancestors(ref, v)
    # networkx's lexicographical order, with and without a key
    assert digraph.topological_order(light) == list(nx.lexicographical_topological_sort(ref))
    key = (lambda u: (u % 3, -u))
    assert digraph.topological_order(light, key) == list(
        nx.lexicographical_topological_sort(ref, key=key))
    nodes = list(ref)
    pairs = [(a, b) for a in nodes[:8] for b in nodes[:8]]
    assert [digraph.has_path(light, a, b) for a, b in pairs] == [nx.has_path(ref, a, b)
                                                                  for a, b in pairs]
    c = light.copy()
    assert type(c) is digraph.DiGraph and list(c.edges(data=True)) == list(ref.edges(data=True))
    assert all(c._pred[v][u] is c._succ[u][v] for u, v in c.edges)   # one dict per edge
    assert all(c.nodes[v] is not light.nodes[v] for v in c)
    # anything else: the object becomes networkx's own, same data
    assert nx.utils.graphs_equal(light, ref) and light.nodes == ref.nodes
    assert nx.is_directed_acyclic_graph(light) and type(light) is nx.DiGraph
    assert nx.utils.graphs_equal(light, ref) and list(light.edges(data=True)) == list(
        ref.edges(data=True))


def test_cycles_and_errors_as_networkx():
    g = digraph.DiGraph()
    g.add_edge(0, 1)
    g.add_edge(1, 2)
    assert digraph.is_acyclic(g)
    g.add_edge(2, 0)
    assert not digraph.is_acyclic(g)
    with pytest.raises(GraphError, match="cycle"):
        digraph.topological_order(g)
    with pytest.raises(nx.NetworkXError):   # networkx's error, from networkx itself
        g.remove_edge(0, 2)
    assert type(g) is nx.DiGraph
    h = digraph.DiGraph()
    h.add_node(1)
    with pytest.raises(nx.NetworkXError):
        h.remove_node(5)


def test_trace_passes_and_run_need_no_networkx_and_graphs_still_are_networkx():
    out = subprocess.run([sys.executable, "-c", textwrap.dedent("""
        import json, sys
        import numpy as np
        import graphflow as tf
        w = tf.Variable(np.arange(6, dtype=np.float32).reshape(3, 2) / 10)

        @tf.function(jit_compile=False)
        def step(x):
            with tf.GradientTape() as t:
                loss = tf.reduce_mean(tf.nn.relu(tf.matmul(x, w)) ** 2)
            w.assign_sub(0.1 * t.gradient(loss, w))
            return loss
        x = tf.constant(np.ones((4, 3), np.float32))
        losses = [float(step(x)) for _ in range(2)]
        before = "networkx" in sys.modules
        cf = step.get_concrete_function(x)
        g = cf.graph                    # the public graph: networkx's, TF's FuncGraph methods
        import networkx as nx
        print(json.dumps(dict(before=before, losses=losses, isnx=isinstance(g, nx.DiGraph),
                              dag=nx.is_directed_acyclic_graph(g), n=g.number_of_nodes(),
                              ops=len(g.get_operations()))))
    """)], cwd=ROOT, check=True, capture_output=True, text=True).stdout
    r = json.loads(out.strip().splitlines()[-1])
    assert r["before"] is False
    w = np.arange(6, dtype=np.float64).reshape(3, 2) / 10
    x = np.ones((4, 3))
    ref = []
    for _ in range(2):
        h = x @ w
        ref.append(np.mean(np.maximum(h, 0) ** 2))
        w = w - 0.1 * x.T @ (2 * np.maximum(h, 0) * (h > 0) / h.size)
    np.testing.assert_allclose(r["losses"], ref, rtol=1e-5)
    assert r["isnx"] and r["dag"] and r["n"] == r["ops"] > 5


def test_graph_topo_is_networkx_order_on_a_traced_graph():
    @tf.function(jit_compile=False)
    def f(x, y):
        return tf.reduce_sum(tf.tanh(x) * y + x) - tf.reduce_max(y)
    a = tf.constant(np.ones((2, 3), np.float32))
    cf = f.get_concrete_function(a, a)
    for _, g in cf.stages:
        ref = nx.DiGraph()
        ref.add_nodes_from(g.nx.nodes(data=True))
        ref.add_edges_from(g.nx.edges(data=True))
        assert g.topo() == list(nx.lexicographical_topological_sort(ref))
