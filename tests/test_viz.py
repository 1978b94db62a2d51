"""Visualizer: grouping, chips, layout/crossings, exports, CLI (no browser needed here;
tests/test_viz_browser.py drives a real Chromium)."""
import json

import networkx as nx
import numpy as np
import pytest

import graphflow as tf
from graphflow.viz import render, view as V, html as H


def keras_mlp_cf():
    tf.keras.utils.set_random_seed(0)
    x = np.random.default_rng(0).normal(size=(32, 64)).astype("float32")
    y = np.random.default_rng(1).integers(0, 10, 32).astype("int32")
    m = tf.keras.Sequential([tf.keras.layers.Dense(128, activation="relu", input_shape=(64,)),
                             tf.keras.layers.Dropout(0.2),
                             tf.keras.layers.Dense(64, activation="relu"),
                             tf.keras.layers.Dense(10, activation="softmax")])
    m.compile(optimizer=tf.keras.optimizers.Adam(1e-3),
              loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    m.fit(x, y, epochs=1, batch_size=32, verbose=0)
    return list(m.train_function._cache.values())[0]


@pytest.fixture(scope="module")
def mlp():
    return keras_mlp_cf()


def test_groups_follow_scopes_and_adjoints(mlp):
    v = V.build_view(mlp.traced)
    names = set(v["groups"])
    assert {"loss", "metrics", "gradients"} <= names     # layer names count up per process
    assert any(n.startswith("sequential") for n in names) and any(n.startswith("adam") for n in names)
    g = mlp.traced.nx
    for n, r in v["nodes"].items():
        if r["chip"]:
            continue
        if r["adj"] == 1:   # mirrored under gradients/<forward node's scope>
            f = g.nodes[n]["tags"]["forward"]
            assert r["group"].startswith("gradients"), r
            if f in g and g.nodes[f]["scope"]:
                assert r["group"] == "gradients/" + g.nodes[f]["scope"]
        elif r["scope"]:
            assert r["group"] == r["scope"]
    # every non-chip node is in exactly one group; chips are scalar constants / variable reads
    members = [n for grp in v["groups"].values() for n in grp["nodes"]]
    assert sorted(members) == sorted(n for n, r in v["nodes"].items() if not r["chip"])
    for n, r in v["nodes"].items():
        if r["chip"]:
            assert r["role"] in ("constant", "read")
            assert all(V.chip_text(g, n) in v["nodes"][c]["chips"] for c in r["consumers"]
                       if not v["nodes"][c]["chip"] and n in v["nodes"][c]["inputs"])


def test_layers_respect_edges_and_crossings_counted(mlp):
    v = V.build_view(mlp.optimized)
    for grp in v["groups"].values():
        level = {x: i for i, L in enumerate(grp["layers"]) for x in L}
        for a, b in grp["segs"]:
            assert level[b] == level[a] + 1      # dummies make every segment span one layer
    # crossing counter against a brute-force count on a known figure (an X and a parallel)
    e = [("a", "b", [(0, 0), (10, 10)], None), ("c", "d", [(10, 0), (0, 10)], None),
         ("e", "f", [(20, 0), (20, 10)], None)]
    assert V.crossings(e) == 1


def test_default_view_targets(mlp):
    v = V.build_view(mlp.optimized)
    exp = V.default_expanded(v)
    p = V.place(v, exp)
    assert len(p["boxes"]) <= 40 and V.crossings(p["edges"]) <= 30
    scale = min(1400 / p["width"], 900 / p["height"])
    assert 11 * scale >= 9, (p["width"], p["height"])      # labels >= 9 px when fitted
    # the old depth-layered drawing had thousands of crossings; everything expanded is still
    # far below that
    pa = V.place(v, set(v["groups"]))
    assert len(pa["boxes"]) == sum(1 for r in v["nodes"].values() if not r["chip"])


def test_fusion_stop_reasons_on_edges(mlp):
    name, g = H.stages_of(mlp)[-1]      # unknown batch dim: fused per concrete shape
    assert name == "fuse (32×64,32)"
    v = V.build_view(g)
    stops = {(f["input"], f["node"]): f["reason"] for f in g.nx.graph["fusion"]
             if not f["fused"] and f["input"] is not None and f["input"] in v["nodes"]
             and not v["nodes"][f["input"]]["chip"]}
    got = {(e[0], e[1]): e[2] for e in v["edges"] if len(e) > 2}
    assert stops and got == {k: r for k, r in stops.items() if g.nx.has_edge(*k)}
    kernels = [gid for gid, grp in v["groups"].items() if grp["name"].startswith("kernel ")]
    assert kernels and any(v["groups"][k]["parent"] for k in kernels)   # nested in scopes
    for k in kernels:   # a kernel sits in the deepest group holding all its members
        parent = v["groups"][k]["parent"]
        while v["groups"][parent].get("series"):    # identical kernels may form a series
            parent = v["groups"][parent]["parent"]
        members = [n for n in v["groups"][k]["nodes"]]
        paths = [H._v._group_path(g.nx, n, True, False) for n in members]
        assert all("/".join(p).startswith(parent) for p in paths)


def test_render_formats():
    @tf.function(jit_compile=False)
    def f(x, w):
        with tf.name_scope("layer"):
            y = tf.matmul(x, w) * 2.0
        return tf.reduce_sum(y)
    x, w = tf.ones((4, 3)), tf.ones((3, 2))
    txt = render(f, x, w, format="txt", stage="traced")
    assert "[layer (2)]" in txt and "multiply ·2(%2, %3)" in txt
    dot = render(f, x, w, format="dot")
    assert 'subgraph "cluster_layer"' in dot and dot.count("->") >= 3
    svg = render(f, x, w, format="svg")
    assert svg.startswith("<svg") and "matmul" in svg
    js = json.loads(render(f, x, w, format="json"))
    names = [s["name"] for s in js["stages"]]
    assert names[0] == "traced" and "dce" in names
    st = js["stages"][0]
    g = f.get_concrete_function(x, w).traced.nx
    assert {(int(a), int(b)) for a, b, *_ in st["edges"]} | {tuple(c) for c in st["control"]} \
        == {(u, v) for u, v in g.edges if not V.is_chip(g, u)}
    page = render(f, x, w)
    assert page.startswith("<!DOCTYPE html>") and "http" not in page.split("<script>")[1][:0] + \
        page.split('id="gf-data"')[0].replace("http://www.w3.org/2000/svg", "")
    with pytest.raises(KeyError, match="no stage 'nope'"):
        render(f, x, w, stage="nope")
    with pytest.raises(ValueError, match="unknown format"):
        render(f, x, w, format="png")


def test_second_order_groups():
    @tf.function(jit_compile=False)
    def f(x):
        with tf.GradientTape() as t2:
            t2.watch(x)
            with tf.GradientTape() as t1:
                t1.watch(x)
                with tf.name_scope("f"):
                    y = tf.reduce_sum(tf.sin(x) * x)
            g = t1.gradient(y, x)
            s = tf.reduce_sum(g)
        return t2.gradient(s, x)
    v = V.build_view(f.get_concrete_function(tf.ones(3)).traced)
    tops = set(v["groups"][""]["children"])
    assert {"f", "gradients", "gradients^2"} <= tops


def test_cli_show(tmp_path, monkeypatch, capsys):
    from graphflow.viz.__main__ import main
    (tmp_path / "vizmod.py").write_text(
        "import graphflow as tf\n@tf.function(jit_compile=False)\ndef f(x):\n"
        "    return tf.reduce_sum(x * x)\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    main(["show", "vizmod:f", "--arg", "float32[2,3]", "--format", "txt"])
    assert "reduce_sum" in capsys.readouterr().out
    with pytest.raises(SystemExit, match=r"no function 'g'; tf.functions there: \['f'\]"):
        main(["show", "vizmod:g"])
    main(["show", "vizmod:f", "--arg", "float32[2]", "-o", str(tmp_path / "f.html"),
          "--adjoints", "mirror"])
    page = (tmp_path / "f.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and '"mode":"mirror"' in page


def blocks_cf(n=5):
    @tf.function(jit_compile=False)
    def f(x, w):
        with tf.GradientTape() as t:
            t.watch(w)
            h = x
            for i in range(n):
                with tf.name_scope(f"block_{i}"):
                    h = tf.tanh(tf.matmul(h, w) + 1.0)
            with tf.name_scope("head"):
                y = tf.reduce_sum(h * h)
        return y, t.gradient(y, w)
    return f.get_concrete_function(tf.ones((2, 3)), tf.ones((3, 3)))


def _subtree(v, gid):
    grp = v["groups"][gid]
    return list(grp["nodes"]) + [n for c in grp["children"] for n in _subtree(v, c)]


def test_series_of_identical_blocks():
    cf = blocks_cf(5)
    v = V.build_view(cf.traced)
    series = {gid: g for gid, g in v["groups"].items() if g.get("series")}
    fwd = series["×block_0…block_4"]
    assert V.group_text(fwd) == "block_0…block_4 ×5" and fwd["parent"] == ""
    assert fwd["children"] == [f"block_{i}" for i in range(5)]
    ops = [[v["nodes"][n]["op"] for n in _subtree(v, c)] for c in fwd["children"]]
    assert all(o == ops[0] for o in ops) and "matmul" in ops[0]
    assert "head" in v["groups"][""]["children"]       # a different block stays outside
    grad = [g for gid, g in series.items() if gid.startswith("gradients")]
    assert grad and all(v["nodes"][n]["adj"] == 1 for g in grad for n in _subtree(v, g["id"]))
    for gid, g in v["groups"].items():                 # the tree stays consistent
        assert all(v["groups"][c]["parent"] == gid for c in g["children"])
        assert all(v["nodes"][n]["group"] == gid for n in g["nodes"])
    assert not any(g.get("series") for g in V.build_view(blocks_cf(2).traced)["groups"].values())
    p = V.place(v, set())                               # a series is one box when collapsed
    assert "g:×block_0…block_4" in p["boxes"]


def test_hidden_adjoints_layout():
    cf = blocks_cf(3)
    v = V.build_view(cf.traced)
    p = V.place(v, set(v["groups"]), "hidden")
    fwd = {n for n, r in v["nodes"].items() if not r["chip"] and not r["adj"]}
    assert set(p["boxes"]) == fwd
    g = cf.traced.nx
    assert {(a, b) for a, b, _, _ in p["edges"]} == \
        {(u, w) for u, w, e in g.edges(data=True) if u in fwd and w in fwd and not e.get("control")}
    assert len(V.place(v, set(v["groups"]))["boxes"]) > len(fwd)


def test_stage_diffs_match_networkx():
    cf = blocks_cf(3)
    stages = H.stages_of(cf)
    views = H.stage_views(stages)
    changed_somewhere = False
    for (_, g0), (_, g1), v in zip(stages, stages[1:], views[1:]):
        a, b = set(g0.nx), set(g1.nx)
        d = v["diff"]
        assert set(d["added"]) == b - a and set(d["removed"]) == a - b
        assert set(d["changed"]) <= a & b
        changed_somewhere |= bool(d["added"] or d["removed"] or d["changed"])
    assert changed_somewhere and "diff" not in views[0]


def test_unnamed_variables_get_distinct_labels():
    a, b = tf.Variable(np.ones(2, "float32")), tf.Variable(np.ones(2, "float32"))

    @tf.function(jit_compile=False)
    def f(x):
        return tf.reduce_sum(a * x + b)
    v = json.loads(render(f, tf.ones(2), format="json", stage="traced"))["stages"][0]
    chips = [c for r in v["nodes"].values() for c in r.get("chips", ())]
    assert sorted(c for c in chips if c.startswith("⟵")) == ["⟵Variable", "⟵Variable_1"]


def test_source_keeps_user_line_and_library_frame(mlp):
    g = mlp.traced.nx
    mm = [d for _, d in g.nodes(data=True) if d["op"] == "matmul" and not d["tags"]]
    assert mm and all(d["source"].startswith("test_viz.py:") for d in mm)   # the fit() line
    assert all(d["frame"].startswith("layers.py:") and d["frame"].endswith("Dense.call")
               for d in mm)
    v = V.build_view(mlp.traced)
    assert {v["nodes"][n]["frame"] for n in g if g.nodes[n]["op"] == "matmul"
            and not g.nodes[n]["tags"]} == {d["frame"] for d in mm}


def test_visualize_and_repr_html(tmp_path):
    import html as _html
    cf = blocks_cf(2)
    page = cf.visualize(str(tmp_path / "p.html"))
    assert (tmp_path / "p.html").read_text() == page.html and page.html.startswith("<!DOCTYPE")
    frame = cf._repr_html_()
    assert frame.startswith("<iframe") and 'sandbox="allow-scripts"' in frame
    src = frame.split('srcdoc="', 1)[1].rsplit('"></iframe>', 1)[0]
    assert _html.unescape(src) == page.html
    assert cf.visualize(format="svg", stage="traced")._repr_html_().startswith("<svg")


def deep_mlp_cf(n_layers=40, width=16):
    """The train step of a `n_layers`-layer Keras MLP (~2,400 traced nodes at 40)."""
    tf.keras.utils.set_random_seed(0)
    x = np.random.default_rng(0).normal(size=(8, width)).astype("float32")
    y = np.random.default_rng(1).integers(0, 4, 8).astype("int32")
    m = tf.keras.Sequential(
        [tf.keras.layers.Dense(width, activation="relu", input_shape=(width,))]
        + [tf.keras.layers.Dense(width, activation="relu") for _ in range(n_layers - 2)]
        + [tf.keras.layers.Dense(4)])
    m.compile(optimizer="adam",
              loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    m.fit(x, y, epochs=1, batch_size=8, verbose=0)
    return list(m.train_function._cache.values())[0]


def test_stages_share_one_layout_positions_stable(mlp):
    stages = H.stages_of(mlp)
    views = H.stage_views(stages)
    plain = [v for v in views if not v["name"].startswith("fuse")]
    assert len(plain) > 3 and all(v["groups"] is plain[0]["groups"] for v in plain)
    every = set(plain[0]["groups"])
    places = [V.place(v, every) for v in plain]
    moved = 0
    for (a, pa), (b, pb) in zip(zip(plain, places), zip(plain[1:], places[1:])):
        common = set(pa["boxes"]) & set(pb["boxes"])
        assert common
        moved += sum(pa["boxes"][k] != pb["boxes"][k] for k in common)
        # the nodes dropped since the previous stage keep their slots, as ghosts
        gone = {n for n in a["nodes"] if n not in b["nodes"] and not a["nodes"][n]["chip"]}
        assert gone <= set(pb["ghosts"]) and not set(pb["ghosts"]) & set(b["nodes"])
    assert moved == 0
    # the fused stage has its own layout (kernels); the page keeps one copy of the shared one
    page = json.loads(H.render_html(stages).split('id="gf-data">')[1].split("</script>")[0])
    assert [s["groups"] is None for s in page["stages"]][1:len(plain)] == [True] * (len(plain) - 1)


def test_render_adjoint_modes():
    cf = blocks_cf(2)
    g = cf.optimized.nx
    hidden = render(cf, format="svg", adjoints="hidden")
    grouped = render(cf, format="svg")
    assert "gradients" in grouped and "gradients" not in hidden
    v = H.stage_views(H.stages_of(cf))[-1]
    p = V.place(v, set(v["expanded"]), "hidden")
    assert hidden.count("<rect") - hidden.count('rx="8"') == \
        sum(1 for it in p["boxes"] if not str(it).startswith("g:"))
    page = render(cf, adjoints="mirror")
    assert '"mode":"mirror"' in page and len(g) > 0
    # the svg draws mirror mode too: every adjoint item in a column right of the forward drawing
    mirror = render(cf, format="svg", adjoints="mirror")
    pm = V.place(v, set(v["expanded"]), "mirror")
    assert pm["col"] and mirror.count('rx="5"') == len(pm["boxes"])
    assert all(pm["boxes"][it][0] >= p["width"] for it in set(pm["col"].values()))
    assert all(v["nodes"][n]["adj"] for n in pm["col"])
    static = page.split("<noscript>")[1].split("</noscript>")[0]   # the page's no-JS view
    assert static.count('rx="5"') == len(pm["boxes"])
    with pytest.raises(ValueError, match="mirror: the html page and the svg draw it"):
        render(cf, format="dot", adjoints="mirror")


def test_unrolled_steps_become_a_series():
    @tf.function(jit_compile=False)
    def rnn(xs, w, u):
        h = tf.zeros((2, 3))
        for t in range(6):        # a Python loop: unrolled while tracing, no name scopes
            h = tf.tanh(tf.matmul(xs[t], w) + tf.matmul(h, u))
        return tf.reduce_sum(h)
    cf = rnn.get_concrete_function(tf.ones((6, 2, 3)), tf.ones((3, 3)), tf.ones((3, 3)))
    v = V.build_view(cf.traced)
    series = [g for g in v["groups"].values() if g.get("series")]
    assert len(series) == 1 and series[0]["series"] >= 5, [V.group_text(g) for g in series]
    steps = series[0]["children"]
    ops = [[v["nodes"][n]["op"] for n in v["groups"][s]["nodes"]] for s in steps]
    assert all(o == ops[0] for o in ops) and sorted(ops[0]).count("matmul") == 2
    # every step's nodes follow the previous step's (program order) and feed the next one
    g = cf.traced.nx
    for a, b in zip(steps, steps[1:]):
        na, nb = v["groups"][a]["nodes"], v["groups"][b]["nodes"]
        assert max(na) < min(nb) and any(g.has_edge(x, y) for x in na for y in nb)
    assert not any(g.get("series") for g in V.build_view(blocks_cf(2).traced)["groups"].values())


def test_cli_run_keeps_functions_apart(tmp_path, monkeypatch, capsys):
    from graphflow.viz.__main__ import main
    script = tmp_path / "two_fns.py"
    script.write_text(
        "import graphflow as tf\n"
        "@tf.function(jit_compile=False)\ndef fn_sin(x):\n    return tf.reduce_sum(tf.sin(x) * x)\n"
        "@tf.function(jit_compile=False)\ndef fn_exp(x):\n    return tf.exp(x) + 1.0\n"
        "fn_sin(tf.ones(3)); fn_exp(tf.ones(2))\n")
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "run.html"
    main(["run", str(script), "-o", str(out)])
    assert "traced functions" in capsys.readouterr().out   # (+ any live in this process)
    data = json.loads(out.read_text().split('id="gf-data">')[1].split("</script>")[0])
    names = [s["name"] for s in data["stages"]]
    assert {"fn_sin", "fn_exp"} <= set(names)
    for s in data["stages"]:   # unrelated graphs: no diff, each its own layout
        if s["name"] not in ("fn_sin", "fn_exp"):
            continue
        assert "diff" not in s and s["groups"] is not None and "ghosts" not in s
        ops = {r["op"] for r in s["nodes"].values()}
        assert ("sin" in ops) == (s["name"] == "fn_sin")
        assert ("exp" in ops) == (s["name"] == "fn_exp")


def test_kernel_sources_in_fused_stage(mlp):
    stages = H.stages_of(mlp)
    name, fused = stages[-1]
    srcs = H.kernel_sources(mlp)[id(fused)]
    steps = {str(s.info["id"]): s for p in [p for _, p in mlp._executor.plans.values()]
             if p.graph is fused for s in p.cluster_steps}
    assert srcs and set(srcs) == {k for k, s in steps.items()
                                  if getattr(s, "source", None) or s.why_numpy}
    v = H.stage_views(stages, sources=H.kernel_sources(mlp))[-1]
    for k, text in srcs.items():
        assert v["kernels"][k]["source"] == text
    assert any("def " in t for t in srcs.values())          # generated kernel code


def test_updates_lane(mlp):
    v = H.stage_views(H.stages_of(mlp))[0]
    lanes = 0
    for gid, grp in v["groups"].items():
        eff = [x for L in grp["layers"] for x in L if x in v["nodes"]
               and v["nodes"][x]["role"] == "effect" and not any(
                   a == x for a, _ in grp["segs"])]
        if eff:   # effects feeding nothing in their group share its last layer
            assert all(x in grp["layers"][-1] for x in eff), gid
            lanes += 1
    assert lanes
