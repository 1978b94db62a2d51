// graphflow graph page: layout (same algorithm as graphflow/viz/view.py `place`), drawing,
// pan/zoom, collapse/expand, search, info panel, stage picker. No network, no libraries.
(function () {
  "use strict";
  var DATA = JSON.parse(document.getElementById("gf-data").textContent);
  var DEFAULTS = {tangent: false, kernel: null, fwd: null, chip: false, chips: [], frame: "", adj: 0, role: "op", dtype: "float32", attrs: {}, bytes: null, scope: "", inputs: []};
  var INTERNED = ["source", "frame", "scope", "group"];   // undo html.intern_strings
  DATA.stages.forEach(function (v) {
    [v.nodes, v.patch || {}].forEach(function (recs) { Object.keys(recs).forEach(function (n) { var r = recs[n];
      INTERNED.forEach(function (k) { if (typeof r[k] === "number") r[k] = DATA.strings[r[k]]; }); }); });
  });
  DATA.stages.forEach(function (v, i) {   // undo html.compact: defaults, shared records, consumers
    var own = Object.keys(v.nodes);
    own.forEach(function (n) { var r = v.nodes[n]; for (var k in DEFAULTS) if (!(k in r)) r[k] = DEFAULTS[k];
      if (!("id" in r)) r.id = +n; if (!("label" in r)) r.label = r.op; if (!("group" in r)) r.group = r.scope; });
    (v.same || []).forEach(function (n) { v.nodes[n] = Object.assign({}, DATA.stages[i - 1].nodes[n]); });
    Object.keys(v.patch || {}).forEach(function (n) { v.nodes[n] = Object.assign({}, DATA.stages[i - 1].nodes[n], v.patch[n]); });
    ["groups", "slots", "edges", "control"].forEach(function (k) { if (v[k] === null) v[k] = DATA.stages[i - 1][k]; });
    var cons = {};
    Object.keys(v.nodes).forEach(function (n) { v.nodes[n].inputs.forEach(function (u) { var c = cons[u] = cons[u] || []; if (c.indexOf(+n) < 0) c.push(+n); }); });
    Object.keys(v.nodes).forEach(function (n) { v.nodes[n].consumers = cons[n] || []; });
  });
  var C = DATA.consts, body = document.body, errors = [];
  window.addEventListener("error", function (e) { errors.push(String(e.message)); body.dataset.errors = errors.join("; "); });
  var NS = "http://www.w3.org/2000/svg";
  var svg = document.getElementById("gf-svg"), world = document.getElementById("gf-world");
  var info = document.getElementById("gf-info"), search = document.getElementById("gf-search");
  var view, expanded, cur, selected = null, hits = {}, tf = {x: 0, y: 0, k: 1}, mode = "grouped", partners = {};
  var content = document.getElementById("gf-content"), mini = document.getElementById("gf-mini"), miniView = document.getElementById("gf-mini-view");
  function el(tag, attrs, parent) {
    var e = document.createElementNS(NS, tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }
  function anc(gid) { var out = []; while (gid !== null && gid !== undefined) { out.push(gid); gid = view.groups[gid].parent; } return out; }
  function itemIn(n, gid) {
    var c = view.nodes[n].group;
    if (c === gid) return String(n);
    while (c !== null && view.groups[c].parent !== gid) c = view.groups[c].parent;
    return c === null ? null : "g:" + c;
  }
  function boxW(t) { return Math.min(240, Math.max(56, Math.floor(t.length * C.CHAR_W) + 16)); }
  function nodeText(r) {
    var t = r.label;
    if (r.chips && r.chips.length) t += " " + r.chips.slice(0, 2).join(" ") + (r.chips.length > 2 ? " …" : "");
    return t;
  }
  // a group's box is as wide as its label over all stages sharing the layout (g.size); the
  // label shows this stage's count (view.sizes)
  function groupText(g, all) { return g.series ? g.name + " ×" + g.series : g.name + " (" + (all || !view.sizes ? g.size : (view.sizes[g.id] || 0)) + ")"; }
  // modes: "grouped" (adjoints in gradients/... groups), "hidden" (adjoints left out), "mirror"
  // (forward as in hidden; each adjoint order in a column beside it, every item level with its
  // forward partner)
  function lay(g) { return mode !== "grouped" && g.alt ? g.alt : g; }
  function visible(n) {   // the forward-side item showing node n (null: hidden / in a column)
    var ch = anc(view.nodes[n].group).reverse(), hide = mode !== "grouped";
    for (var i = 1; i < ch.length; i++) {
      if (hide && view.groups[ch[i]].adj) return null;
      if (!expanded[ch[i]]) return "g:" + ch[i];
    }
    return hide && view.nodes[n].adj ? null : String(n);
  }
  function members(gid) {   // non-chip nodes of a group's subtree (cached per view)
    var m = view.memberCache[gid];
    if (m) return m;
    m = view.groups[gid].nodes.map(String).filter(function (n) { return view.nodes[n]; });
    view.groups[gid].children.forEach(function (c) { m = m.concat(members(c)); });
    return (view.memberCache[gid] = m);
  }
  function mirrorOpen(gid) {
    if (expanded[gid] || /^gradients(\^\d+)?$/.test(gid)) return true;
    var f = gid.replace(/^gradients(\^\d+)?\//, "");
    return f !== gid && !!expanded[f];
  }
  function place() {
    var rel = {}, size = {};
    function measure(gid) {
      var g = lay(view.groups[gid]), dims = {}, up = {}, cx = {}, i, j;
      g.layers.forEach(function (L) { L.forEach(function (it) {
        it = String(it);
        if (it.slice(0, 2) === "d:") dims[it] = [8, C.NODE_H];
        else if (it.slice(0, 2) === "g:") dims[it] = expanded[it.slice(2)] ? measure(it.slice(2)) : [boxW("▸ " + groupText(view.groups[it.slice(2)], true)), C.NODE_H];
        else dims[it] = [view.slots && it in view.slots ? view.slots[it] : boxW(nodeText(view.nodes[it])), C.NODE_H];
      }); });
      g.segs.forEach(function (s) { (up[s[1]] = up[s[1]] || []).push(String(s[0])); });
      var y = C.GROUP_PAD + (gid ? C.HEADER : 0), width = 0;
      for (i = 0; i < g.layers.length; i++) {
        var L = g.layers[i], h = 0, right = C.GROUP_PAD - C.GAP_X;
        for (j = 0; j < L.length; j++) h = Math.max(h, dims[String(L[j])][1]);
        for (j = 0; j < L.length; j++) {
          var it = String(L[j]), w = dims[it][0], ps = (up[it] || []).filter(function (p) { return p in cx; });
          var want = ps.length ? ps.reduce(function (a, p) { return a + cx[p]; }, 0) / ps.length - w / 2 : right + C.GAP_X;
          var x = Math.max(want, right + C.GAP_X);
          cx[it] = x + w / 2; rel[it] = [x, y, w, dims[it][1]]; right = x + w;
        }
        width = Math.max(width, right); y += h + C.GAP_Y;
      }
      size[gid] = [width + C.GROUP_PAD, y - C.GAP_Y + C.GROUP_PAD];
      return size[gid];
    }
    measure("");
    var boxes = {}, frames = {}, anchor = {}, ghosts = {};
    function absolute(gid, ox, oy) {
      lay(view.groups[gid]).layers.forEach(function (L) { L.forEach(function (it) {
        it = String(it);
        var r = rel[it], x = r[0] + ox, y = r[1] + oy;
        if (it.slice(0, 2) === "d:") anchor[it] = [x + r[2] / 2, y + r[3] / 2];
        else if (it.slice(0, 2) === "g:" && expanded[it.slice(2)]) { frames[it.slice(2)] = [x, y, r[2], r[3]]; absolute(it.slice(2), x, y); }
        else if (view.nodes[it] || (it.slice(0, 2) === "g:" && (!view.sizes || view.sizes[it.slice(2)]))) boxes[it] = [x, y, r[2], r[3]];
        else ghosts[it] = [x, y, r[2], r[3]];   // a node of another stage: its slot stays
      }); });
    }
    absolute("", 0, 0);
    var W = size[""][0], H = size[""][1], col = {};
    if (mode === "mirror") { var m = mirror(boxes, frames, W); col = m.col; W = m.width; H = Math.max(H, m.height); }
    function shown(n) { var x = visible(n); return x !== null ? x : (col[n] || null); }
    var drawn = {}, list = [], index = mode === "grouped" ? view.chainIndex : view.chainIndexAlt;
    view.edges.forEach(function (e) {
      var u = e[0], v = e[1], a = shown(u), b = shown(v), key = a + ">" + b;
      if (a === null || b === null || a === b || drawn[key]) return;
      var A = boxes[a] || frames[a.slice(2)], B = boxes[b] || frames[b.slice(2)], pts;
      if (col[u] || col[v]) {   // an edge to or from a mirror column: straight, side to side
        if (B[1] >= A[1] + A[3]) pts = [[A[0] + A[2] / 2, A[1] + A[3]], [B[0] + B[2] / 2, B[1]]];
        else if (A[1] >= B[1] + B[3]) pts = [[A[0] + A[2] / 2, A[1]], [B[0] + B[2] / 2, B[1] + B[3]]];
        else pts = A[0] < B[0] ? [[A[0] + A[2], A[1] + A[3] / 2], [B[0], B[1] + B[3] / 2]] : [[A[0], A[1] + A[3] / 2], [B[0] + B[2], B[1] + B[3] / 2]];
      } else {
        var gu = anc(view.nodes[u].group), gv = anc(view.nodes[v].group), common = gu.filter(function (x) { return gv.indexOf(x) >= 0; })[0];
        var ch = index[common + "|" + itemIn(u, common) + "|" + itemIn(v, common)] || [];
        pts = [[A[0] + A[2] / 2, A[1] + A[3]]];
        ch.forEach(function (d) { if (anchor[d]) pts.push(anchor[d]); });
        pts.push([B[0] + B[2] / 2, B[1]]);
      }
      drawn[key] = [a, b, pts, e[2] || null, u, v]; list.push(drawn[key]);
    });
    return {boxes: boxes, frames: frames, edges: list, width: W, height: H, col: col, ghosts: ghosts};
  }
  // mirror mode: adjoint items (nodes, or collapsed adjoint groups; an adjoint group opens with
  // its forward counterpart) in one column per order right of the forward drawing, each at the
  // height of its forward partner (a group: of its highest partner), pushed down only to avoid
  // overlap. Returns {col: node -> its column item, width, height}; adds to boxes/frames.
  function mirror(boxes, frames, x0) {
    var items = [], col = {}, order = {};
    function add(it, k) { items.push([it, k]); }
    function walkAdj(gid) {   // an adjoint group's visible items in the column
      var g = view.groups[gid];
      g.nodes.forEach(function (n) { if (view.nodes[n] && !view.nodes[n].chip) add(String(n), view.nodes[n].adj); });
      g.children.forEach(function (c) { if (view.sizes && !view.sizes[c]) return; if (mirrorOpen(c)) walkAdj(c); else add("g:" + c, view.groups[c].adj); });
    }
    function walk(gid) {      // find the adjoint items below the forward structure
      var g = view.groups[gid];
      g.nodes.forEach(function (n) { if (view.nodes[n] && view.nodes[n].adj && !view.nodes[n].chip) add(String(n), view.nodes[n].adj); });
      g.children.forEach(function (c) {
        var gc = view.groups[c];
        if (view.sizes && !view.sizes[c]) return;
        if (gc.adj) { if (mirrorOpen(c)) walkAdj(c); else add("g:" + c, gc.adj); }
        else walk(c);
      });
    }
    walk("");
    items.forEach(function (p) { var it = p[0]; (it.slice(0, 2) === "g:" ? members(it.slice(2)) : [it]).forEach(function (n) { col[n] = it; }); order[it] = p[1]; });
    var maxK = items.reduce(function (a, p) { return Math.max(a, p[1]); }, 0), x = x0 + 3 * C.GAP_X, bottom = 0;
    function pos(n) {   // where node n is drawn already (forward side or a lower-order column)
      var it = visible(n); if (it === null) it = col[n];
      return it ? (boxes[it] || frames[it.slice(2)]) : null;
    }
    for (var k = 1; k <= maxK; k++) {
      var these = items.filter(function (p) { return p[1] === k; }).map(function (p, i) {
        var it = p[0], ys = (it.slice(0, 2) === "g:" ? members(it.slice(2)) : [it]).map(function (n) {
          var f = view.nodes[n].fwd, b = f !== null && f !== undefined && view.nodes[f] ? pos(String(f)) : null;
          return b && b !== boxes[it] ? b[1] : Infinity; });
        var text = it.slice(0, 2) === "g:" ? "▸ " + groupText(view.groups[it.slice(2)]) : nodeText(view.nodes[it]);
        return [it, Math.min.apply(null, ys.concat([Infinity])), i, boxW(text)];
      });
      if (!these.length) continue;
      these.sort(function (a, b) { return a[1] - b[1] || a[2] - b[2]; });
      var w = these.reduce(function (a, t) { return Math.max(a, t[3]); }, 0), y = -Infinity;
      these.forEach(function (t) {
        var want = t[1] === Infinity ? y : t[1];
        y = Math.max(want, y === -Infinity ? C.GROUP_PAD : y);
        boxes[t[0]] = [x + (w - t[3]) / 2, y, t[3], C.NODE_H]; y += C.NODE_H + 8;
      });
      bottom = Math.max(bottom, y); x += w + 3 * C.GAP_X;
    }
    return {col: col, width: x, height: bottom + C.GROUP_PAD};
  }
  function orient(a, b, c) { var v = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]); return v > 1e-9 ? 1 : (v < -1e-9 ? -1 : 0); }
  function crossings(edges) {
    var segs = [], total = 0, active = [];
    edges.forEach(function (e, k) { for (var i = 0; i + 1 < e[2].length; i++) { var p = e[2][i], q = e[2][i + 1]; segs.push([Math.min(p[1], q[1]), Math.max(p[1], q[1]), p, q, k, e[0], e[1]]); } });
    segs.sort(function (a, b) { return a[0] - b[0]; });
    segs.forEach(function (s) {
      active = active.filter(function (t) { return t[1] > s[0]; });
      active.forEach(function (t) {
        if (t[4] !== s[4] && t[5] !== s[5] && t[5] !== s[6] && t[6] !== s[5] && t[6] !== s[6] &&
            orient(s[2], s[3], t[2]) * orient(s[2], s[3], t[3]) < 0 && orient(t[2], t[3], s[2]) * orient(t[2], t[3], s[3]) < 0) total++;
      });
      active.push(s);
    });
    return total;
  }
  function fill(r) {
    if (r.role !== "op") return C.FILL[r.role];
    if (r.adj) return C.FILL[String(Math.min(r.adj, 3))];
    return r.tangent ? C.FILL.tangent : C.FILL.forward;
  }
  function path(pts) {
    var d = "M" + pts[0][0] + "," + pts[0][1];
    for (var i = 1; i < pts.length; i++) {
      var p = pts[i - 1], q = pts[i], my = (p[1] + q[1]) / 2;
      d += " C" + p[0] + "," + my + " " + q[0] + "," + my + " " + q[0] + "," + q[1];
    }
    return d;
  }
  function draw() {
    var t0 = performance.now();
    cur = place();
    while (content.firstChild) content.removeChild(content.firstChild);
    var gF = el("g", {}, content), gE = el("g", {}, content), gB = el("g", {}, content);
    Object.keys(cur.frames).forEach(function (gid) {
      var f = cur.frames[gid], g = el("g", {"class": "frame", "data-group": gid}, gF);
      el("rect", {x: f[0], y: f[1], width: f[2], height: f[3], rx: 8}, g);
      var t = el("text", {x: f[0] + 8, y: f[1] + 14, "class": "fh"}, g); t.textContent = "▾ " + groupText(view.groups[gid]);
      t.addEventListener("click", function (ev) { ev.stopPropagation(); toggle(gid); groupInfo(gid); });
    });
    cur.edges.forEach(function (e) {
      var p = el("path", {d: path(e[2]), "class": "edge" + (e[3] ? " stop" : ""), "data-from": e[0], "data-to": e[1], "marker-end": "url(#gf-arrow)"}, gE);
      if (e[3]) { p.setAttribute("data-reason", e[3]); var tt = el("title", {}, p); tt.textContent = "fusion stopped: " + e[3]; }
    });
    Object.keys(cur.ghosts).forEach(function (it) {   // removed since the previous stage: labelled
      var b = cur.ghosts[it], D = view.diffSets, prev = DATA.stages[+picker.value - 1];
      var gone = D && D.removed[it] && prev && prev.nodes[it], g = el("g", {"class": "ghost" + (gone ? " removed" : ""), "data-ghost": it}, gF);
      el("rect", {x: b[0], y: b[1], width: b[2], height: b[3], rx: 5}, g);
      if (gone) { var t = el("text", {x: b[0] + b[2] / 2, y: b[1] + 20, "class": "l2"}, g); t.textContent = "✕ " + nodeText(prev.nodes[it]); }
    });
    Object.keys(cur.boxes).forEach(function (it) {
      var b = cur.boxes[it], isG = it.slice(0, 2) === "g:", r = isG ? null : view.nodes[it];
      var g = el("g", {"class": "box" + (isG ? " grp" : "") + (hits[it] ? " hit" : "") + (selected === it ? " sel" : "") + (partners[it] ? " partner" : "") +
                        (cur.col[isG ? members(it.slice(2))[0] : it] ? " mirror" : "") + diffClass(it), "data-item": it}, gB);
      el("rect", {x: b[0], y: b[1], width: b[2], height: b[3], rx: isG ? 8 : 5, fill: isG ? "#f8fafc" : fill(r),
                  stroke: (!isG && r.kernel !== null && r.kernel !== undefined) ? C.CLUSTER[r.kernel % C.CLUSTER.length] : "#475569"}, g);
      var text = isG ? "▸ " + groupText(view.groups[it.slice(2)]) : nodeText(r);
      var maxc = Math.floor((b[2] - 10) / C.CHAR_W);
      var t1 = el("text", {x: b[0] + b[2] / 2, y: b[1] + 14, "class": "l1"}, g); t1.textContent = text.length > maxc ? text.slice(0, maxc - 1) + "…" : text;
      var sub = isG ? groupSub(view.groups[it.slice(2)]) : "%" + it + " " + JSON.stringify(r.shape) + " " + r.dtype;
      var t2 = el("text", {x: b[0] + b[2] / 2, y: b[1] + 27, "class": "l2"}, g); t2.textContent = sub.length > maxc + 4 ? sub.slice(0, maxc + 3) + "…" : sub;
      g.addEventListener("click", function (ev) { ev.stopPropagation(); if (isG) { toggle(it.slice(2)); groupInfo(it.slice(2)); } else select(it); });
    });
    var ms = performance.now() - t0;
    body.dataset.boxes = Object.keys(cur.boxes).length;
    // the crossing count is a report, not part of drawing: big views count it when idle
    var drawn = cur;
    if (cur.edges.length <= 600) body.dataset.crossings = crossings(cur.edges);
    else { body.dataset.crossings = ""; setTimeout(function () { if (cur === drawn) { body.dataset.crossings = crossings(drawn.edges); stats(ms); } }, 0); }
    stats(ms);
    body.dataset.layoutMs = ms.toFixed(1);
    body.dataset.width = Math.round(cur.width); body.dataset.height = Math.round(cur.height);
    if (selected) highlight(selected);
    mini.setAttribute("viewBox", "0 0 " + Math.max(1, cur.width) + " " + Math.max(1, cur.height));
    // the minimap: frames and boxes as two paths (cheap at thousands of boxes; no text, no edges)
    function rects(m) { var d = []; Object.keys(m).forEach(function (k) { var b = m[k]; d.push("M" + b[0].toFixed(0) + "," + b[1].toFixed(0) + "h" + b[2].toFixed(0) + "v" + b[3].toFixed(0) + "h" + (-b[2]).toFixed(0) + "z"); }); return d.join(""); }
    document.getElementById("gf-mini-frames").setAttribute("d", rects(cur.frames));
    document.getElementById("gf-mini-boxes").setAttribute("d", rects(cur.boxes));
    miniRect();
    saveHash();
  }
  function stats(ms) {
    var d = view.diff, dtext = d ? " · vs " + d.prev + ": +" + d.added.length + " −" + d.removed.length + " ~" + d.changed.length : "";
    document.getElementById("gf-stats").textContent = view.count + " nodes · " + body.dataset.boxes + " boxes · " + (body.dataset.crossings || "…") + " crossings · layout " + ms.toFixed(0) + " ms" + dtext;
  }
  function diffClass(it) {   // nodes added / changed since the previous stage (a group: if any member is)
    var D = view.diffSets; if (!D) return "";
    if (it.slice(0, 2) !== "g:") return D.added[it] ? " added" : (D.changed[it] ? " changed" : "");
    var ms = members(it.slice(2));
    for (var i = 0; i < ms.length; i++) if (D.added[ms[i]] || D.changed[ms[i]]) return " changed";
    return "";
  }
  function miniRect() {     // the canvas's viewport on the minimap
    var W = svg.clientWidth || 1400, H = svg.clientHeight || 900, r = [-tf.x / tf.k, -tf.y / tf.k, W / tf.k, H / tf.k];
    miniView.setAttribute("x", r[0]); miniView.setAttribute("y", r[1]); miniView.setAttribute("width", r[2]); miniView.setAttribute("height", r[3]);
    body.dataset.viewport = r.map(function (v) { return v.toFixed(1); }).join(",");
  }
  function centerOn(x, y) {  // world point (x, y) to the canvas centre
    var W = svg.clientWidth || 1400, H = svg.clientHeight || 900;
    tf.x = W / 2 - x * tf.k; tf.y = H / 2 - y * tf.k; apply();
  }
  function apply() { world.setAttribute("transform", "translate(" + tf.x + "," + tf.y + ") scale(" + tf.k + ")"); body.dataset.scale = tf.k.toFixed(3); if (cur) miniRect(); }
  function fit() {
    var W = svg.clientWidth || 1400, H = svg.clientHeight || 900;
    tf.k = Math.min(1.5, Math.min(W / (cur.width + 20), H / (cur.height + 20)));
    tf.x = (W - cur.width * tf.k) / 2; tf.y = 10; apply();
  }
  // a cond / while_loop is one group box (its outputs, and its sub-graphs in sub-groups)
  function groupSub(g) {
    var c = g.control;
    if (!c) return "group";
    var t = c.kind === "cond" ? "cond · 2 branches" : "loop · " + c.loop_vars + " vars · trips " + (typeof c.trip_count === "number" ? c.trip_count : "?");
    return t + (c.adjoint && /^(reverse|adjoint)/.test(c.adjoint) ? " · adjoint" : "");
  }
  function controlRows(c) {
    var rows = [["control", c.kind + " · " + c.name], ["defined at", c.source], ["sub-graphs", c.parts.join(", ")]];
    if (c.kind === "while_loop") rows.push(["trip count", typeof c.trip_count === "number" ? c.trip_count + " (known when traced)" : c.trip_count],
                                           ["loop vars", c.loop_vars + " (+ " + c.captures + " captured values)"]);
    if (c.output) rows.push(["this output", c.output]);
    if (c.adjoint) rows.push(["gradient", c.adjoint]);
    return rows.map(function (r) { return "<tr><th>" + esc(r[0]) + "</th><td class='ctl'>" + esc(r[1]) + "</td></tr>"; }).join("");
  }
  function groupInfo(gid) {   // a cond / while_loop group's facts in the info panel
    var g = view.groups[gid];
    if (!g || !g.control) return;
    info.innerHTML = "<h3>" + esc(g.control.name) + "</h3><table>" + controlRows(g.control) + "</table><p>" +
      (expanded[gid] ? "Expanded: its outputs, and its sub-graphs in the groups " + (g.control.kind === "cond" ? "true / false" : "cond / body") + "." : "Click to show its sub-graphs.") + "</p>";
    body.dataset.groupInfo = gid;
  }
  function toggle(gid) { if (expanded[gid]) delete expanded[gid]; else expanded[gid] = true; draw(); }
  function expandTo(n) { anc(view.nodes[n].group).forEach(function (g) { if (g) expanded[g] = true; }); }
  function link(n) { return '<a href="#" data-node="' + n + '">%' + n + " " + esc(view.nodes[n].label) + "</a>"; }
  function esc(s) { return String(s).replace(/[&<>"]/g, function (c) { return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}[c]; }); }
  function select(n) {
    n = String(n); selected = n;
    var r = view.nodes[n];
    if (mode === "hidden" && r.adj) { mode = "grouped"; document.getElementById("gf-mode").value = mode; }
    if (shown(n) !== n) { expandTo(n); draw(); }
    var adjs = Object.keys(view.nodes).filter(function (m) { return String(view.nodes[m].fwd) === n; });
    partners = {};   // the forward partner and the adjoints, highlighted
    adjs.concat(r.fwd !== null && r.fwd !== undefined && view.nodes[r.fwd] ? [String(r.fwd)] : []).forEach(function (m) { var it = shown(m); if (it && it !== n) partners[it] = true; });
    var kern = r.kernel !== null && r.kernel !== undefined && view.kernels ? view.kernels[r.kernel] : null;
    var html = "<h3>%" + n + " " + esc(r.op) + "</h3><table>" +
      "<tr><th>shape</th><td class='shape'>" + esc(JSON.stringify(r.shape)) + "</td></tr>" +
      "<tr><th>dtype</th><td>" + esc(r.dtype) + "</td></tr><tr><th>bytes</th><td>" + (r.bytes === null ? "depends on " + r.shape.filter(function (d) { return typeof d !== "number"; }).join(", ") : r.bytes) + "</td></tr>" +
      "<tr><th>source</th><td class='source'>" + esc(r.source) + "</td></tr>" +
      (DATA.code && DATA.code[r.source] ? "<tr><th></th><td><code>" + esc(DATA.code[r.source]) + "</code></td></tr>" : "") +
      (r.frame ? "<tr><th>in</th><td class='frame'>" + esc(r.frame) + "</td></tr>" : "") +
      (r.control ? controlRows(r.control) : "") +
      "<tr><th>scope</th><td>" + esc(r.scope) + "</td></tr><tr><th>group</th><td>" + esc(r.group) + "</td></tr>" +
      (r.adj ? "<tr><th>adjoint</th><td>order " + r.adj + (r.fwd !== null && view.nodes[r.fwd] ? " of " + link(r.fwd) : "") + "</td></tr>" : "") +
      (adjs.length ? "<tr><th>adjoints</th><td>" + adjs.map(link).join(" ") + "</td></tr>" : "") +
      (view.diffSets && (view.diffSets.added[n] || view.diffSets.changed[n]) ? "<tr><th>stage</th><td>" + (view.diffSets.added[n] ? "added" : "changed") + " by " + esc(view.name) + "</td></tr>" : "") +
      (kern ? "<tr><th>kernel</th><td>" + esc("kernel " + kern.id + " · " + kern.kind + " · " + kern.nodes.length + " ops") + "</td></tr>" +
              (kern.source ? "<tr><th>code</th><td><pre class='ksrc'>" + esc(kern.source) + "</pre></td></tr>" : "") : "") +
      Object.keys(r.attrs).map(function (k) { return "<tr><th>" + esc(k) + "</th><td>" + esc(r.attrs[k]) + "</td></tr>"; }).join("") +
      "<tr><th>inputs</th><td>" + r.inputs.map(link).join(" ") + "</td></tr>" +
      "<tr><th>consumers</th><td>" + r.consumers.map(link).join(" ") + "</td></tr>" +
      (DATA.related !== false ? "<tr><th>stages</th><td class='history'>" + esc(history(n)) + "</td></tr>" : "") + "</table>" +
      "<p><button data-trace='in'>trace inputs</button> <button data-trace='out'>trace outputs</button></p>";
    info.innerHTML = html;
    info.querySelectorAll("a[data-node]").forEach(function (a) { a.addEventListener("click", function (ev) { ev.preventDefault(); select(a.dataset.node); }); });
    info.querySelectorAll("button[data-trace]").forEach(function (b) { b.addEventListener("click", function () { trace(n, b.dataset.trace); }); });
    body.dataset.selected = n;
    draw();
  }
  function history(n) {   // the stages (of one trace) a node lives in: which pass added / removed it
    var first = null, gone = null;
    DATA.stages.forEach(function (s, i) {
      var has = !!s.nodes[n];
      if (has && first === null) first = i;
      if (!has && first !== null && gone === null) gone = i;
    });
    if (first === null) return "";
    return (first ? "added by " : "since ") + DATA.stages[first].name + (gone !== null ? " · removed by " + DATA.stages[gone].name : " · kept to the last stage");
  }
  function trace(n, dir) {   // every node n reads from ("in") or feeds ("out"), over data edges
    var adj = {}, seen = {}, q = [String(n)];
    view.edges.forEach(function (e) { var a = String(dir === "in" ? e[1] : e[0]), b = String(dir === "in" ? e[0] : e[1]); (adj[a] = adj[a] || []).push(b); });
    while (q.length) { var x = q.pop(); (adj[x] || []).forEach(function (y) { if (!seen[y]) { seen[y] = true; q.push(y); } }); }
    hits = {}; Object.keys(seen).forEach(function (m) { var it = shown(m); if (it) hits[it] = true; });
    content.querySelectorAll(".box").forEach(function (e) { e.classList.toggle("hit", !!hits[e.dataset.item]); });
    body.dataset.traced = Object.keys(seen).length;
    return Object.keys(seen);
  }
  function shown(n) { var v = visible(n); return v !== null ? v : ((cur && cur.col[n]) || null); }
  function highlight(n) {
    var v = shown(n);
    world.querySelectorAll(".edge").forEach(function (p) { if (p.dataset.from === v || p.dataset.to === v) p.classList.add("near"); });
  }
  function pathBetween(a, b) {   // node ids on a path a -> b (BFS over data edges), [] if none
    var succ = {}, prev = {}, q = [String(a)], seen = {}; seen[a] = true;
    view.edges.forEach(function (e) { (succ[e[0]] = succ[e[0]] || []).push(String(e[1])); });
    while (q.length) {
      var x = q.shift();
      if (x === String(b)) { var out = [x]; while (prev[x] !== undefined) { x = prev[x]; out.unshift(x); } return out; }
      (succ[x] || []).forEach(function (y) { if (!seen[y]) { seen[y] = true; prev[y] = x; q.push(y); } });
    }
    return [];
  }
  function matcher(q) {
    var m = /^(op|scope|src|adj|kernel|diff):(.*)$/.exec(q), re;
    var field = m ? m[1] : null, s = m ? m[2] : q;
    try { re = new RegExp(s, "i"); } catch (e) { re = new RegExp(s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"), "i"); }
    return function (r) {
      if (field === "op") return re.test(r.op);
      if (field === "scope") return re.test(r.scope) || re.test(r.group);
      if (field === "src") return re.test(r.source) || re.test(r.frame || "");
      if (field === "adj") return String(r.adj) === s;
      if (field === "diff") return !!(view.diffSets && view.diffSets[s] && view.diffSets[s][r.id]);
      if (field === "kernel") return r.kernel !== null && r.kernel !== undefined && String(r.kernel) === s;
      return re.test(nodeText(r)) || re.test(r.op) || re.test(r.scope) || re.test(r.source) || re.test("%" + r.id);
    };
  }
  function doSearch(q) {
    var t0 = performance.now(); hits = {};
    var found = [];
    if (q) {
      var f = matcher(q);
      Object.keys(view.nodes).forEach(function (n) { var r = view.nodes[n]; if (!r.chip && f(r)) found.push(n); });
      found.slice(0, 200).forEach(function (n) { var it = shown(n); if (it) hits[it] = true; });
    }
    body.dataset.hits = found.length;
    content.querySelectorAll(".box").forEach(function (e) { e.classList.toggle("hit", !!hits[e.dataset.item]); });
    body.dataset.searchMs = (performance.now() - t0).toFixed(1);
    return found;
  }
  function saveHash() {
    var h = "stage=" + encodeURIComponent(view.name) + "&adj=" + mode + "&open=" + Object.keys(expanded).map(encodeURIComponent).join(",") + (selected ? "&sel=" + selected : "");
    try { history.replaceState(null, "", "#" + h); } catch (e) { /* file:// in some browsers */ }
  }
  function index(gid, chains, into) { chains.forEach(function (c) { into[gid + "|" + c[0] + "|" + c[1]] = c[2]; }); }
  function anchorNode() {   // the selected node, else the node box nearest the canvas centre
    if (!cur) return null;
    if (selected && cur.boxes[selected]) return selected;
    var W = svg.clientWidth || 1400, H = svg.clientHeight || 900, cx = (W / 2 - tf.x) / tf.k, cy = (H / 2 - tf.y) / tf.k, best = null, bd = Infinity;
    Object.keys(cur.boxes).forEach(function (it) {
      if (it.slice(0, 2) === "g:") return;
      var b = cur.boxes[it], d = Math.pow(b[0] + b[2] / 2 - cx, 2) + Math.pow(b[1] + b[3] / 2 - cy, 2);
      if (d < bd) { bd = d; best = it; }
    });
    return best;
  }
  // Switching stage keeps the expanded groups that exist in both and the view anchored: the
  // selected node (or the node nearest the centre) stays where it was on screen.
  function loadStage(i, fresh) {
    i = Math.max(0, Math.min(DATA.stages.length - 1, i));
    var anchor = fresh ? null : anchorNode(), at = null, keepSel = selected;
    if (anchor) { var b0 = cur.boxes[anchor]; at = [tf.x + (b0[0] + b0[2] / 2) * tf.k, tf.y + (b0[1] + b0[3] / 2) * tf.k]; }
    var old = expanded;
    view = DATA.stages[i];
    if (!view.chainIndex) {
      view.chainIndex = {}; view.chainIndexAlt = {}; view.memberCache = {};
      Object.keys(view.groups).forEach(function (gid) { var g = view.groups[gid]; index(gid, g.chains, view.chainIndex); index(gid, (g.alt || g).chains, view.chainIndexAlt); });
      if (view.diff) { view.diffSets = {}; ["added", "removed", "changed"].forEach(function (k) { var o = view.diffSets[k] = {}; view.diff[k].forEach(function (n) { o[n] = true; }); }); }
    }
    expanded = {}; view.expanded.forEach(function (g) { expanded[g] = true; });
    if (!fresh && old) Object.keys(old).forEach(function (g) { if (view.groups[g]) expanded[g] = true; });
    selected = null; hits = {}; partners = {};
    var d = view.diff;
    info.innerHTML = "<p>Click a node for its details. Click a group to expand or collapse it. <kbd>/</kbd> searches (text, op:, scope:, src:, adj:2, kernel:3, diff:added, regex); ←/→ step through stages.</p>" +
      (d ? "<p class='diff'>vs " + esc(d.prev) + ": " + d.added.length + " added, " + d.changed.length + " changed, " + d.removed.length + " removed" +
           (d.removed.length ? ": " + d.removed.slice(0, 40).map(function (n) { return "%" + n + " " + esc(DATA.stages[i - 1] && DATA.stages[i - 1].nodes[n] ? DATA.stages[i - 1].nodes[n].op : ""); }).join(", ") : "") + "</p>" : "");
    document.getElementById("gf-stage").value = i;
    body.dataset.stage = view.name;
    if (keepSel && view.nodes[keepSel] && shown(keepSel) === null) expandTo(keepSel);
    draw();
    if (keepSel && view.nodes[keepSel]) selected = keepSel;
    if (anchor && view.nodes[anchor] && shown(anchor) === anchor && cur.boxes[anchor]) {
      var b = cur.boxes[anchor];
      tf.x = at[0] - (b[0] + b[2] / 2) * tf.k; tf.y = at[1] - (b[1] + b[3] / 2) * tf.k; apply();
      body.dataset.anchor = anchor;
    } else { fit(); body.dataset.anchor = ""; }
    if (selected) draw();
  }
  function setMode(m) { mode = m; document.getElementById("gf-mode").value = m; body.dataset.mode = m; draw(); fit(); }
  // ---- wiring --------------------------------------------------------------------------
  var picker = document.getElementById("gf-stage");
  DATA.stages.forEach(function (s, i) { var o = document.createElement("option"); o.value = i; o.textContent = s.name + " (" + s.count + " nodes)"; picker.appendChild(o); });
  picker.addEventListener("change", function () { loadStage(+picker.value); });
  document.getElementById("gf-mode").addEventListener("change", function (e) { setMode(e.target.value); });
  mini.addEventListener("click", function (e) {   // the minimap: click to centre the view there
    var p = mini.createSVGPoint(); p.x = e.clientX; p.y = e.clientY;
    var q = p.matrixTransform(mini.getScreenCTM().inverse()); centerOn(q.x, q.y);
  });
  search.addEventListener("input", function () { doSearch(search.value); });
  document.getElementById("gf-fit").addEventListener("click", fit);
  function expandAll() {
    var t0 = performance.now();
    Object.keys(view.groups).forEach(function (g) { if (g) expanded[g] = true; }); draw();
    body.dataset.expandAllMs = (performance.now() - t0).toFixed(1);
  }
  document.getElementById("gf-all").addEventListener("click", function () { expandAll(); fit(); });
  document.getElementById("gf-none").addEventListener("click", function () { expanded = {}; draw(); fit(); });
  document.addEventListener("keydown", function (e) {
    if (e.target === search) { if (e.key === "Escape") search.blur(); return; }
    if (e.key === "/") { e.preventDefault(); search.focus(); }
    else if (e.key === "ArrowRight" && +picker.value < DATA.stages.length - 1) loadStage(+picker.value + 1);
    else if (e.key === "ArrowLeft" && +picker.value > 0) loadStage(+picker.value - 1);
  });
  var drag = null;
  svg.addEventListener("mousedown", function (e) { drag = [e.clientX - tf.x, e.clientY - tf.y]; });
  window.addEventListener("mousemove", function (e) { if (drag) { tf.x = e.clientX - drag[0]; tf.y = e.clientY - drag[1]; apply(); } });
  window.addEventListener("mouseup", function () { drag = null; });
  svg.addEventListener("wheel", function (e) {
    e.preventDefault();
    var r = svg.getBoundingClientRect(), mx = e.clientX - r.left, my = e.clientY - r.top, k = tf.k * Math.exp(-e.deltaY * 0.0015);
    tf.x = mx - (mx - tf.x) * k / tf.k; tf.y = my - (my - tf.y) * k / tf.k; tf.k = k; apply();
  }, {passive: false});
  window.gf = {select: select, toggle: toggle, groupInfo: groupInfo, search: doSearch, pathBetween: pathBetween, place: place, crossings: crossings,
               stage: loadStage, expanded: function () { return Object.keys(expanded); }, view: function () { return view; },
               expandAll: expandAll, mode: setMode, trace: trace, history: history, centerOn: centerOn, current: function () { return cur; },
               highlightPath: function (a, b) {
                 var p = pathBetween(a, b); p.forEach(expandTo); draw();
                 p.forEach(function (n) { var e = world.querySelector('[data-item="' + n + '"]'); if (e) e.classList.add("onpath"); });
                 body.dataset.path = p.join(","); return p; }};
  var stage0 = DATA.initial || 0, m = /stage=([^&]*)/.exec(location.hash), am = /adj=(grouped|hidden|mirror)/.exec(location.hash);
  if (m) DATA.stages.forEach(function (s, i) { if (s.name === decodeURIComponent(m[1])) stage0 = i; });
  mode = am ? am[1] : (DATA.mode || "grouped"); document.getElementById("gf-mode").value = mode;
  body.dataset.mode = mode;
  loadStage(stage0, true);
  var om = /open=([^&]*)/.exec(location.hash);
  if (om && om[1]) { expanded = {}; om[1].split(",").forEach(function (g) { g = decodeURIComponent(g); if (view.groups[g]) expanded[g] = true; }); draw(); fit(); }
  var sm = /sel=(\d+)/.exec(location.hash);
  if (sm && view.nodes[sm[1]]) select(sm[1]);
  document.getElementById("gf-static").remove();
  body.dataset.errors = errors.join("; ");
  body.dataset.readyMs = (performance.now()).toFixed(0);
  body.dataset.status = "ready";
})();
