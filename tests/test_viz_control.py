"""The visualizer on control flow: a cond / while_loop (an AutoGraph-converted loop, a Keras RNN
layer's time loop, the reverse loop of its gradient) is one box that expands to its
sub-graphs, with the loop's inputs and outputs wired to them."""
import json

import numpy as np
import pytest

import graphflow as tf
from graphflow.viz import html as H, render, view as V


@tf.function(jit_compile=False)
def loop_and_branch(x, n):
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x
        for i in tf.range(n):          # AutoGraph: a while_loop (trip count unknown)
            y = y * x + 1.0
        if tf.reduce_sum(y) > 0:       # AutoGraph: a cond
            z = tf.reduce_sum(y * y)
        else:
            z = tf.reduce_sum(y)
    return z, tape.gradient(z, x)


@pytest.fixture(scope="module")
def cf():
    return loop_and_branch.get_concrete_function(tf.constant([0.5, 1.0, 1.5]), tf.constant(3))


def _loops(g):
    """{id(Subgraphs): (Subgraphs, [node ids])} of a networkx graph's control nodes."""
    out = {}
    for n, d in g.nodes(data=True):
        sg = d["attrs"].get("loop") or d["attrs"].get("branches")
        if sg is not None:
            out.setdefault(id(sg), (sg, []))[1].append(n)
    return out


def _subtree(v, gid):
    out = list(v["groups"][gid]["nodes"])
    for c in v["groups"][gid]["children"]:
        out += _subtree(v, c)
    return out


def test_loop_is_one_group_with_its_body(cf):
    g = cf.traced.nx
    v = V.build_view(cf.traced)
    loops = _loops(g)
    assert {sg.kind for sg, _ in loops.values()} == {"while_loop", "cond"}
    fwd_sg, fam = next((sg, f) for sg, f in loops.values()
                       if sg.kind == "while_loop" and
                       any(not g.nodes[m]["tags"].get("adjoint") for m in f))
    fwd_out = [m for m in fam if not g.nodes[m]["tags"].get("adjoint")]
    gid = v["nodes"][fwd_out[0]]["group"]
    grp = v["groups"][gid]
    assert grp["control"]["kind"] == "while_loop" and grp["control"]["loop_vars"] == 2
    assert grp["control"]["trip_count"].startswith("unknown")       # tf.range(n), n a tensor
    assert set(fwd_out) <= set(grp["nodes"])
    # the body and the condition, node for node, in the sub-groups body / cond
    for part, sub in zip(("cond", "body"), fwd_sg.graphs):   # (scalar constants: chips)
        members = [n for n, r in v["nodes"].items() if n >= V.STRIDE and (
            r["group"] == gid + "/" + part or r["group"].startswith(gid + "/" + part + "/"))]
        assert len(members) == sub.nx.number_of_nodes()
        assert sorted(v["nodes"][m]["op"] for m in members) == \
            sorted(d["op"] for _, d in sub.nx.nodes(data=True))
    # the loop's inputs feed the sub-graphs' parameters (var i / cap j), the body's outputs
    # feed the loop's outputs; the edges inside the body are the body's own
    body = fwd_sg.graphs[1]
    e = {(a, b) for a, b, *_ in v["edges"]}
    ins = g.nodes[fwd_out[0]]["inputs"]
    byop = {}
    for m in _subtree(v, gid + "/body"):
        byop.setdefault(v["nodes"][m]["label"].split(" ·")[0], []).append(m)
    for i, p in enumerate(body.params):
        [pid] = [m for m in byop[f"param var {i}" if i < 2 else f"param cap {i - 2}"]]
        assert (ins[i], pid) in e or v["nodes"][ins[i]]["chip"]
        assert v["nodes"][pid]["inputs"] == [ins[i]]
    for m in fwd_out:
        k = g.nodes[m]["attrs"]["index"]
        src = [a for a, b in e if b == m]
        assert len(src) == 1 and v["nodes"][src[0]]["group"] == gid + "/body" and \
            v["nodes"][src[0]]["op"] == body.nx.nodes[body.outputs[k]]["op"]
    [off] = {m - m % V.SUB for m in _subtree(v, gid + "/body")}
    inside = range(off, off + V.SUB)
    assert {(a - off, b - off) for a, b in e if a in inside and b in inside} == \
        {(a, b) for a, b in body.nx.edges if not v["nodes"][a + off]["chip"]}  # (chips: labels)
    # history outputs and the reverse loop are adjoints, said so in the info
    hist = [m for m in fam if g.nodes[m]["attrs"]["index"] >= 2]
    assert len(hist) == 3             # the 2 variables' histories and the trip count
    for m in hist:
        r = v["nodes"][m]
        assert r["adj"] == 1 and r["group"].startswith("gradients/")
        assert r["control"]["output"].startswith(("history of loop variable", "trip count"))
    rev = [f for sg, f in loops.values() if sg.kind == "while_loop" and sg is not fwd_sg]
    assert len(rev) == 1
    rgrp = v["groups"][v["nodes"][rev[0][0]]["group"]]
    assert rgrp["adj"] == 1 and rgrp["control"]["adjoint"].startswith("reverse loop")
    assert all(v["nodes"][m]["adj"] >= 1 for m in _subtree(v, rgrp["id"]))
    # cond: the branches in true / false
    cg = next(gid for gid, x in v["groups"].items() if x.get("control", {}).get("kind") == "cond"
              and not x["adj"])
    assert [c.rsplit("/", 1)[1] for c in v["groups"][cg]["children"]] == ["true", "false"]


def test_loop_collapsed_by_default_and_expands(cf):
    v = H.stage_views(H.stages_of(cf))[0]
    loop_groups = [gid for gid, x in v["groups"].items() if "control" in x]
    assert loop_groups and not set(loop_groups) & set(v["expanded"])
    p = V.place(v, set(v["expanded"]))
    shown = [gid for gid in loop_groups if "g:" + gid in p["boxes"]]
    assert shown                                    # a loop is one box
    gid = shown[0]
    body = gid + "/" + ("body" if v["groups"][gid]["control"]["kind"] == "while_loop" else "true")
    q = V.place(v, set(v["expanded"]) | {gid, body})
    assert set(v["groups"][body]["nodes"]) <= set(q["boxes"])
    assert gid in q["frames"] and body in q["frames"]
    # SVG shows the collapsed box's summary, then the body when expanded
    s = H.svg(v)
    assert "loop · 2 vars · trips ?" in s or "cond · 2 branches" in s
    s2 = H.svg(v, set(v["expanded"]) | {gid, body})
    assert s2.count("param cap") + s2.count("param var") >= 1


def test_json_and_text_exports_hold_the_body(cf):
    data = json.loads(render(cf, format="json"))
    v = data["stages"][0]
    loop = next(gid for gid, x in v["groups"].items()
                if x.get("control", {}).get("kind") == "while_loop" and not x["adj"])
    body = v["groups"][loop + "/body"]
    assert body["parent"] == loop and body["nodes"]
    assert all(v["nodes"][str(n)]["group"].startswith(loop) for n in body["nodes"])
    txt = render(cf, format="txt", stage="traced")
    assert "[body (" in txt and "[true (" in txt and "[false (" in txt
    dot = render(cf, format="dot", stage="traced")
    assert 'subgraph "cluster_' in dot and '/body"' in dot


def test_sub_graph_ids_stable_over_stages(cf):
    """The shared layout of the stages (traced ... dce) keeps one group per loop even where a
    pass removed the loop's first output node."""
    vs = H.stage_views(H.stages_of(cf))
    names = [{x["control"]["name"] for x in v["groups"].values() if "control" in x} for v in vs
             if "ghosts" in v]
    assert names and all(n == names[0] for n in names)
    for v in vs[1:]:
        assert not [n for n in v["diff"]["added"] if n >= V.STRIDE]   # same ids every stage


def test_keras_rnn_loop_has_known_trip_count():
    tf.keras.utils.set_random_seed(0)
    x = np.random.default_rng(0).normal(size=(4, 5, 3)).astype("float32")
    y = np.random.default_rng(1).normal(size=(4, 1)).astype("float32")
    m = tf.keras.Sequential([tf.keras.Input((5, 3)), tf.keras.layers.SimpleRNN(4),
                             tf.keras.layers.Dense(1)])
    m.compile(optimizer="sgd", loss="mse")
    m.fit(x, y, epochs=1, batch_size=4, verbose=0)
    cf = list(m.train_function._cache.values())[0]
    v = V.build_view(cf.optimized)
    ctl = {gid: x["control"] for gid, x in v["groups"].items() if "control" in x}
    fwd = [gid for gid, c in ctl.items() if not v["groups"][gid]["adj"]]
    rev = [gid for gid, c in ctl.items() if c.get("adjoint", "").startswith("reverse")]
    assert len(fwd) == 1 and len(rev) == 1
    assert "simple_rnn" in fwd[0] and ctl[fwd[0]]["trip_count"] == 5
    assert rev[0].startswith("gradients/") and ctl[rev[0]]["trip_count"] == 5
    assert V.control_brief(ctl[rev[0]]) == f"loop · {ctl[rev[0]]['loop_vars']} vars · trips 5 · adjoint"
    ops = {v["nodes"][n]["op"] for n in _subtree(v, fwd[0] + "/body")}
    assert {"matmul", "tanh"} <= ops


def test_example_pages():
    """examples/visualize_graph.py's pages: the linear classifier, a Keras model, a
    second-order gradient and an LSTM (its loop one box)."""
    import os
    import runpy
    ex = runpy.run_path(os.path.join(os.path.dirname(__file__), "..", "examples",
                                     "visualize_graph.py"))
    pages = ex["more_pages"]()
    assert set(pages) == {"linear_classifier", "keras_mlp", "second_order", "lstm"}
    views = {k: V.build_view(cf.traced) for k, (_, cf) in pages.items()}
    assert "gradients^2" in views["second_order"]["groups"]
    assert any(g.startswith("mlp") for g in views["keras_mlp"]["groups"])
    ops = [r["op"] for r in views["linear_classifier"]["nodes"].values()]
    assert ops.count("assign") == 2 and "matmul" in ops
    loops = [g for g in views["lstm"]["groups"].values() if "control" in g]
    assert {g["control"]["trip_count"] for g in loops} == {6}
    html = H.render_html(H.stages_of(pages["lstm"][1]))
    assert "while_loop" in html and 'data-status="loading"' in html


@tf.function(jit_compile=False)
def nested(x, n):
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x
        for i in tf.range(n):
            for j in tf.range(n):
                if tf.reduce_sum(y) > 100.0:
                    y = y * 0.5
                else:
                    y = y * x + 1.0
        z = tf.reduce_sum(y)
    return z, tape.gradient(z, x)


def test_nested_loops_nest_their_groups():
    cf = nested.get_concrete_function(tf.constant([0.1, 0.2]), tf.constant(2))
    g = V.inline_control(cf.traced.nx)
    assert nx_is_dag(g) and V.inline_control(g) is g
    v = V.build_view(cf.traced)
    assert len(v["nodes"]) == g.number_of_nodes() and v["count"] == cf.traced.nx.number_of_nodes()
    ctl = {gid: x["control"]["kind"] for gid, x in v["groups"].items() if "control" in x}
    # forward: loop > body > loop > body > cond, each a group inside the one before
    chain = [gid for gid in ctl if not v["groups"][gid]["adj"]]
    inner = [gid for gid in chain if ctl[gid] == "cond"]
    assert len(inner) == 1
    parts = inner[0].split("/")
    kinds = [ctl.get("/".join(parts[:k + 1])) for k in range(len(parts))]
    assert [k for k in kinds if k] == ["while_loop", "while_loop", "cond"]
    assert [p for p, k in zip(parts, kinds) if not k][-2:] == ["body", "body"]
    # the reverse loop holds the inner loop's reverse loop, whose body holds the cond's gradient
    rev = [gid for gid in ctl if v["groups"][gid]["control"].get("adjoint", "").startswith(
        ("reverse", "adjoint"))]
    assert sorted(ctl[r] for r in rev) == ["cond", "while_loop", "while_loop"]
    assert all(gid.startswith("gradients/") for gid in rev)
    # every inlined sub-graph is there whole (no two copies share ids), op for op
    homes = {}
    for n, d in g.nodes(data=True):
        if "home" in d:
            homes.setdefault(d["home"], []).append(n)
    assert len(homes) == 6          # 3 forward + 3 gradient control nodes inlined
    for m, ns in homes.items():
        sg = g.nodes[m]["attrs"].get("loop") or g.nodes[m]["attrs"]["branches"]
        assert sorted(g.nodes[n]["op"] for n in ns) == sorted(
            d["op"] for sub in sg.graphs for _, d in sub.nx.nodes(data=True))


def nx_is_dag(g):
    import networkx as nx
    return nx.is_directed_acyclic_graph(g)
