"""Graph passes: verify after every pass, DCE, CSE, constant folding, algebraic simplification,
and that no pass changes what a graph computes (traced vs optimized on the numpy executor)."""
import numpy as np
import pytest

import graphflow as tf
from graphflow.backends.numpy_exec import NumpyPlan
from graphflow.errors import GraphError
from graphflow.graph import Graph, verify
from graphflow.passes import PIPELINE, cse, dce, fold, run_pipeline, simplify
from graphflow.passes.fold import MAX_FOLD_ELEMENTS

from test_ops_table import CASES


def fn(f):
    return tf.function(f, jit_compile=False)


def ops(graph):
    g = graph.nx if isinstance(graph, Graph) else graph
    return [d["op"] for _, d in g.nodes(data=True)]


def run(graph, *arrays):
    return NumpyPlan(graph).run([np.asarray(a) for a in arrays])


def assert_same(a_list, b_list, rtol=1e-6):
    assert len(a_list) == len(b_list)
    for a, b in zip(a_list, b_list):
        a, b = np.asarray(a), np.asarray(b)
        assert a.shape == b.shape and a.dtype == b.dtype, (a.shape, a.dtype, b.shape, b.dtype)
        if a.dtype.kind == "f":
            np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol)
        else:
            np.testing.assert_array_equal(a, b)


def check_all_stages(cf, arrays, stateful=False):
    """verify() holds after every pass and every stage computes what the traced graph does."""
    ref = None if stateful else run(cf.traced, *arrays)
    for name, g in cf.stages:
        verify(g)
        assert g.params and len(g.params) == len(arrays) or not arrays
        if not stateful:
            assert_same(run(g, *arrays), ref)


# ------------------------------------------------------------------ many graphs, every pass
def _pure(c):
    from graphflow.ops.registry import OPS
    return "random" not in OPS[c.op].effects


PURE_CASES = [pytest.param(c, id=f"{c.op}-{c.id}" if c.id else c.op)
              for cs in CASES.values() for c in cs]


@pytest.mark.parametrize("case", PURE_CASES)
def test_every_stage_verifies_and_agrees_on_op_table_graphs(case):
    tensors = [tf.constant(x) for x in case.inputs]
    cf = fn(case.api).get_concrete_function(*tensors)
    check_all_stages(cf, [t._value for t in tensors], stateful=not _pure(case))


def _composite(x, y):
    a = tf.matmul(x, y)
    b = tf.nn.softmax(a) * 1.0 + 0.0
    c = tf.reshape(tf.reshape(b, (-1,)), (2, 4))
    d = tf.transpose(tf.transpose(c))
    e = -(-d) + tf.reduce_sum(tf.constant([1., 2., 3.])) * tf.ones_like(d)
    f = tf.where(e > 1.5, e, tf.zeros_like(e))
    return tf.reduce_mean(f, axis=0), tf.argmax(f, 1), e


def _grad_graph(x, y):
    with tf.GradientTape() as t2:
        t2.watch(x)
        with tf.GradientTape() as t1:
            t1.watch([x, y])
            loss = tf.reduce_sum(tf.tanh(tf.matmul(x, y)) ** 2)
        gx, gy = t1.gradient(loss, [x, y])
        s = tf.reduce_sum(gx * gx) + tf.reduce_sum(gy)
    return loss, gx, gy, t2.gradient(s, x)


@pytest.mark.parametrize("body", [_composite, _grad_graph], ids=["composite", "gradients"])
def test_every_stage_verifies_on_composite_graphs(body):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3)).astype(np.float32)
    y = rng.standard_normal((3, 4)).astype(np.float32)
    f = fn(body)
    cf = f.get_concrete_function(tf.constant(x), tf.constant(y))
    check_all_stages(cf, [x, y])
    assert_same([o.numpy() for o in f(x, y)], [o.numpy() for o in body(tf.constant(x),
                                                                         tf.constant(y))], 2e-5)
    assert cf.graph.number_of_nodes() < cf.traced.nx.number_of_nodes()


def test_pipeline_is_visible_and_runs_on_copies():
    names = [n for n, _ in PIPELINE]
    assert names[0] == "verify" and names[-1] == "verify"
    assert {"simplify", "cse", "fold", "dce"} <= set(names)
    cf = fn(lambda x: x * 1.0 + 0.0).get_concrete_function(tf.ones(3))
    before = cf.traced.nx.number_of_nodes()
    stages = run_pipeline(cf.traced, [("dce", dce)])
    assert [n for n, _ in stages] == ["traced", "dce"]
    assert cf.traced.nx.number_of_nodes() == before      # untouched
    assert stages[1][1].nx is not cf.traced.nx


# ------------------------------------------------------------------ DCE
def test_dce_removes_unused_nodes_and_keeps_effects(capsys):
    v = tf.Variable(1.)

    @fn
    def f(x):
        unused = tf.exp(x) * 3.0                       # noqa: F841
        tf.print("effect", tf.reduce_sum(x))           # kept: an effect
        tf.random.normal((2,))                         # kept: a random draw advances state
        v.assign_add(tf.reduce_sum(x))                 # kept: an assign
        dead_read = v.read_value() * 2.                # noqa: F841  (a read nobody uses)
        return x + 1.

    x = tf.constant([1., 2.])
    cf = f.get_concrete_function(x)
    traced, final = ops(cf.traced), ops(cf.graph)
    assert "exp" in traced and "exp" not in final
    assert final.count("print") == 1 and final.count("assign") == 1
    assert final.count("random_normal") == 1
    assert final.count("read_variable") == 1         # the read feeding assign_add only
    f(x)
    assert float(v.numpy()) == 4.0
    assert "effect 3" in capsys.readouterr().out
    assert cf.optimized.effects and all(e in cf.graph for e in cf.optimized.effects)


def test_dce_keeps_parameters_even_if_unused():
    f = fn(lambda x, y: x * 2.)
    cf = f.get_concrete_function(tf.ones(2), tf.ones(3))
    assert len(cf.optimized.params) == 2
    np.testing.assert_allclose(f(tf.ones(2), tf.ones(3)).numpy(), [2., 2.])


def test_dce_by_hand():
    g = Graph("h")
    p = g.add_node("parameter", (), {"index": 0, "name": "x"}, (3,), np.float32)
    g.params = [p]
    a = g.add_node("exp", (p,), {}, (3,), np.float32)
    b = g.add_node("negative", (p,), {}, (3,), np.float32)
    g.add_node("sin", (a,), {}, (3,), np.float32)
    g.outputs = [b]
    out = dce(verify(g))
    assert sorted(ops(out)) == ["negative", "parameter"]
    verify(out)


# ------------------------------------------------------------------ CSE
def test_cse_merges_duplicates():
    @fn
    def f(x):
        a = tf.exp(x) * tf.sin(x)
        b = tf.exp(x) * tf.sin(x)
        return a + b, tf.reduce_sum(x, 0) + tf.reduce_sum(x, 0)

    x = tf.ones((2, 3))
    cf = f.get_concrete_function(x)
    assert ops(cf.traced).count("exp") == 2
    final = ops(cf.graph)
    assert final.count("exp") == 1 and final.count("sin") == 1 and final.count("reduce_sum") == 1
    # attrs matter: sums over different axes are not merged
    g = fn(lambda x: tf.reduce_sum(x, 0)[0] + tf.reduce_sum(x, 1)[0])
    assert ops(g.get_concrete_function(x).graph).count("reduce_sum") == 2
    check_all_stages(cf, [np.ones((2, 3), np.float32)])


def test_cse_does_not_merge_reads_separated_by_assign():
    v = tf.Variable(1.)

    @fn
    def f():
        a = v * 2.
        b = v * 2.                  # same read as a: merged
        v.assign(5.)
        c = v * 2.                  # after the assign: a different value
        d = v * 2.
        return a, b, c, d

    a, b, c, d = f()
    assert (float(a), float(b), float(c), float(d)) == (2., 2., 10., 10.)
    final = ops(f.get_concrete_function().graph)
    assert final.count("read_variable") == 2 and final.count("multiply") == 2


def test_cse_does_not_merge_random_ops():
    @fn
    def f():
        return tf.random.normal((50,)), tf.random.normal((50,)), \
            tf.random.uniform((50,), seed=3), tf.random.uniform((50,), seed=3)

    a, b, c, d = f()
    assert not np.allclose(a.numpy(), b.numpy())
    # TF: two ops with one op seed are two kernels of the same stream - equal values, still
    # two nodes (each advances its own stream)
    np.testing.assert_array_equal(c.numpy(), d.numpy())
    assert ops(f.get_concrete_function().graph).count("random_normal") == 2
    assert ops(f.get_concrete_function().graph).count("random_uniform") == 2
    a2, _, _, _ = f()
    assert not np.allclose(a.numpy(), a2.numpy())      # a new draw on every call


def test_cse_by_hand_keeps_control_edges():
    g = Graph("h")
    p = g.add_node("parameter", (), {"index": 0, "name": "x"}, (), np.float32)
    g.params = [p]
    a1 = g.add_node("exp", (p,), {}, (), np.float32)
    a2 = g.add_node("exp", (p,), {}, (), np.float32)
    s = g.add_node("add", (a1, a2), {}, (), np.float32)
    g.outputs = [s]
    out = verify(cse(g))
    assert ops(out).count("exp") == 1
    assert out.nx.nodes[s]["inputs"] == (a1, a1)
    assert out.nx.edges[a1, s]["pos"] == (0, 1)
    assert_same(run(out, np.float32(1.)), [np.float32(2 * np.e)])


# ------------------------------------------------------------------ constant folding
def test_fold_evaluates_constant_subgraphs():
    @fn
    def f(x):
        c = tf.constant([1., 2., 3.])
        k = tf.exp(c) * 2. + tf.reduce_sum(c)
        return x + k, tf.reduce_sum(c * c)

    x = tf.zeros(3)
    cf = f.get_concrete_function(x)
    final = ops(cf.graph)
    assert "exp" not in final and "reduce_sum" not in final
    assert final.count("add") == 1
    folded = [d for _, d in cf.graph.nodes(data=True) if d["tags"].get("folded")]
    assert folded
    for d in folded:
        v = d["attrs"]["value"]
        assert v.shape == d["shape"] and v.dtype == d["dtype"] and not v.flags.writeable
    out, s = f(x)
    np.testing.assert_allclose(out.numpy(), np.exp(np.float32([1, 2, 3])) * 2 + 6, rtol=1e-6)
    assert s.shape == () and float(s) == 14.0      # a folded scalar stays a scalar


def test_fold_keeps_dtype_and_skips_big_and_stateful():
    f = fn(lambda: (tf.cast(tf.constant([1.7, -2.5]), tf.int32), tf.constant(3, tf.int64) * 2))
    a, b = f()
    assert a.dtype == tf.int32 and a.numpy().tolist() == [1, -2]
    assert b.dtype == tf.int64 and int(b) == 6
    n = MAX_FOLD_ELEMENTS + 1
    big = fn(lambda: tf.ones((n,)) * 2.)
    assert "multiply" in ops(big.get_concrete_function().graph)
    assert float(tf.reduce_sum(big())) == 2. * n
    r = fn(lambda: tf.random.uniform((3,)) * 2.)
    assert "random_uniform" in ops(r.get_concrete_function().graph)


# ------------------------------------------------------------------ simplify
def test_simplify_rewrites_identities():
    @fn
    def f(x):
        return (x * 1.0, 1.0 * x, x + -0.0, -0.0 + x, x - 0.0, x / 1.0, -(-x),   # (x + 0.: no)
                tf.identity(x), tf.stop_gradient(x))

    x = tf.constant([[1., 2.], [3., 4.]])
    cf = f.get_concrete_function(x)
    assert set(ops(cf.graph)) == {"parameter"}
    assert cf.optimized.outputs == [cf.optimized.params[0]] * 9
    for o in f(x):
        np.testing.assert_array_equal(o.numpy(), x.numpy())


def test_simplify_keeps_broadcasting_and_dtype_changing_units():
    @fn
    def f(x):
        return x * tf.ones((2, 3)), x + tf.zeros((2, 1, 3))   # these change the shape

    x = tf.constant([1., 2., 3.])
    a, b = f(x)
    assert a.shape == (2, 3) and b.shape == (2, 1, 3)
    np.testing.assert_array_equal(a.numpy(), np.broadcast_to(x.numpy(), (2, 3)))
    check_all_stages(f.get_concrete_function(x), [x.numpy()])


def test_simplify_reshape_and_transpose_pairs():
    @fn
    def f(x):
        r = tf.reshape(tf.reshape(tf.reshape(x, (3, 4)), (4, 3)), (12,))
        t = tf.transpose(tf.transpose(x, (1, 2, 0)), (2, 0, 1))           # identity overall
        u = tf.transpose(tf.transpose(x, (1, 0, 2)), (0, 2, 1))           # one transpose
        back = tf.reshape(tf.reshape(x, (12,)), (2, 3, 2))               # reshape to own shape
        return r, t, u, back

    x = tf.constant(np.arange(12, dtype=np.float32).reshape(2, 3, 2))
    cf = f.get_concrete_function(x)
    final = ops(cf.graph)
    assert final.count("reshape") == 1 and final.count("transpose") == 1
    r, t, u, back = f(x)
    a = x.numpy()
    np.testing.assert_array_equal(r.numpy(), a.reshape(12))
    np.testing.assert_array_equal(t.numpy(), a)
    np.testing.assert_array_equal(u.numpy(), a.transpose(1, 0, 2).transpose(0, 2, 1))
    np.testing.assert_array_equal(back.numpy(), a)
    check_all_stages(cf, [a])


def test_simplify_crop_of_a_padded_gradient():
    """getitem(getitem_grad(g, spec), same region) is g: the gradient of a pad then a crop
    (tools/bench_untuned.py shape_ops_grad) wrote a (1026, 1024) copy of zeros and read it
    back; a different region (or a strided one) keeps both ops."""
    @fn
    def f(x, g):
        with tf.GradientTape(persistent=True) as t:
            t.watch(x)
            loss = tf.reduce_sum(tf.pad(x, [[1, 1], [0, 0]])[1:-1] * g)
            rows = tf.reduce_sum(x[1:3] * g[:2])
        gr = t.gradient(rows, x)        # g[:2] written into zeros at rows 1:3
        return t.gradient(loss, x), gr[1:3], gr[0:2], gr[1::1][:2, ::1]

    x = tf.constant(np.arange(12, dtype=np.float32).reshape(3, 4))
    g = tf.constant(np.arange(12, dtype=np.float32).reshape(3, 4)[::-1] * 0.5)
    cf = f.get_concrete_function(x, g)
    assert ops(cf.graph).count("getitem_grad") == 1      # (gr[0:2] reads the zeros too)
    gx, a, b, c = f(x, g)
    np.testing.assert_array_equal(gx.numpy(), g.numpy())
    gr = np.zeros((3, 4), np.float32)
    gr[1:3] = g.numpy()[:2]
    np.testing.assert_array_equal(a.numpy(), gr[1:3])
    np.testing.assert_array_equal(b.numpy(), gr[0:2])
    np.testing.assert_array_equal(c.numpy(), gr[1:3])
    check_all_stages(cf, [x.numpy(), g.numpy()])
    from graphflow.passes.simplify import _same_region
    s = ("s", None, None, None)
    assert _same_region((5, 4), (("s", 1, -1, None),), (("s", 1, 4, 1), s))
    assert not _same_region((5, 4), (("s", 1, -1, None),), (("s", 1, 4, 2),))
    assert not _same_region((5, 4), (("n",), s), (s, s))


def test_simplify_reaches_a_fixed_point_without_churn():
    f = fn(lambda x: (tf.reshape(tf.reshape(x, (3, 4)), (12,)), tf.ones_like(x),
                      tf.transpose(tf.transpose(x, (1, 0)), (1, 0)) * 1.0))
    cf = f.get_concrete_function(tf.ones((2, 6)))
    once = simplify(cf.traced.copy())
    n = once.nx.number_of_nodes()
    assert n <= cf.traced.nx.number_of_nodes() + 3      # one new node per rewrite at most
    twice = simplify(once.copy())
    assert twice.nx.number_of_nodes() == n               # nothing left to rewrite
    verify(twice)


def test_simplify_ones_zeros_like_and_nan_behaviour():
    @fn
    def f(x):
        return tf.ones_like(x) * x, tf.zeros_like(x) + x, x * 0.0

    x = tf.constant([np.nan, np.inf, 2.])
    with np.errstate(invalid="ignore"):
        a, b, c = f(x)
    np.testing.assert_array_equal(a.numpy(), x.numpy())
    np.testing.assert_array_equal(b.numpy(), x.numpy())
    # x * 0 is NOT simplified to 0: nan * 0 and inf * 0 are nan
    assert np.isnan(c.numpy()[:2]).all() and c.numpy()[2] == 0.
    assert "ones_like" not in ops(f.get_concrete_function(x).graph)


# ------------------------------------------------------------------ verify catches broken graphs
def _small_graph():
    g = Graph("h")
    p = g.add_node("parameter", (), {"index": 0, "name": "x"}, (3,), np.float32)
    g.params = [p]
    e = g.add_node("exp", (p,), {}, (3,), np.float32)
    g.outputs = [e]
    return g, p, e


def test_verify_accepts_good_and_rejects_broken_graphs():
    g, p, e = _small_graph()
    assert verify(g) is g
    g.nx.nodes[e]["shape"] = (4,)
    with pytest.raises(GraphError, match="rule gives"):
        verify(g)

    g, p, e = _small_graph()
    g.nx.nodes[e]["dtype"] = np.dtype(np.float64)
    with pytest.raises(GraphError, match="float64"):
        verify(g)

    g, p, e = _small_graph()
    g.nx.remove_edge(p, e)
    with pytest.raises(GraphError, match="no matching edge"):
        verify(g)

    g, p, e = _small_graph()
    g.nx.add_edge(e, p, pos=(), control=True)
    with pytest.raises(GraphError, match="cycle"):
        verify(g)

    g, p, e = _small_graph()
    g.nx.nodes[e]["op"] = "no_such_op"
    with pytest.raises(GraphError, match="unknown op"):
        verify(g)

    g, p, e = _small_graph()
    g.outputs = [99]
    with pytest.raises(GraphError, match="output 99"):
        verify(g)

    g, p, e = _small_graph()
    c = g.add_node("constant", (), {"value": np.zeros((1,), np.float32)}, (), np.float32)
    with pytest.raises(GraphError, match="constant"):
        verify(g)

    g, p, e = _small_graph()
    s = g.add_node("add", (p, e), {}, (3,), np.float32)
    g.nx.nodes[s]["inputs"] = (e, p)
    with pytest.raises(GraphError):
        verify(g)

    g, p, e = _small_graph()
    g.add_node("add", (p,), {}, (3,), np.float32)          # arity
    with pytest.raises(GraphError, match="has 1 inputs, the op takes 2"):
        verify(g)

    g, p, e = _small_graph()
    q = g.add_node("parameter", (), {"index": 1, "name": "y"}, (4,), np.float32)
    g.add_node("add", (p, q), {}, (3,), np.float32)        # the rule itself rejects it
    with pytest.raises(GraphError, match="rule rejects"):
        verify(g)


def test_verify_checks_effect_order():
    v = tf.Variable(0.)

    @fn
    def f():
        v.assign(1.)
        v.assign(2.)
        tf.print("x")

    cf = f.get_concrete_function()
    g = cf.optimized.copy()
    assert len(g.effects) == 3
    verify(g)
    a, b = g.effects[:2]
    g.nx.remove_edge(a, b)                                  # drop the ordering edge
    with pytest.raises(GraphError, match="not ordered"):
        verify(g)
    g = cf.optimized.copy()
    g.effects = g.effects + [12345]
    with pytest.raises(GraphError, match="effect 12345"):
        verify(g)


def test_fold_leaves_a_failing_node_to_fail_at_run_time_with_its_source():
    # folding must not raise a bare numpy/IndexError at compile time
    @tf.function(jit_compile=False)
    def f():
        return tf.gather(tf.constant([1, 2, 3]), tf.constant([5]))
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"gather .*test_passes\.py"):
        f()
