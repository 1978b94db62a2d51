"""Algebraic simplification: x*1, x+0, -(-x), reshape-of-reshape, transpose pairs, identities,
ones_like/zeros_like to constants. Rewrites never change shape, dtype, NaN behaviour or the sign
of a zero (x + 0. stays: -0. + 0. is +0.).

Every rewrite is driven by a fact of the op table (never an op name):

=====================  =====================================================================
``copy``               the output is the input (identity, stop_gradient once traced)
``identity_element``   ``op(x, e) == op(e, x) == x`` (add: 0, multiply: 1)
``right_identity``     ``op(x, e) == x`` (subtract: 0, divide: 1)
``involution``         ``op(op(x)) == x`` (negative)
``same_shape_noop``    the op is the identity when the output shape equals the input's
``composes``           ``'outer'``: ``op(op(x, a), b) == op(x, b)`` (reshape);
                       ``'perm'``: two applications compose their ``perm`` attrs (transpose)
``fill_value``         the output is this value everywhere (zeros_like, ones_like)
``broadcast``          the output repeats the input's elements (a uniform input stays uniform)
``c_order_view``       a C-order reshape: an elementwise op of its output whose other operands
                       vary only along trailing dims the reshape keeps (a bias, a scalar) runs
                       before it instead, on the reshape's input (see
                       `_elementwise_before_reshape`)
``selects_at``,        ``x[spec]`` of a node that wrote its input into zeros at the same region
``embeds_at``          (``getitem(getitem_grad(g, spec), spec) == g``: pad's VJP then the pad,
                       a crop of a pad) is the written input, without the zeros or the copy
``monoid``             a reduction: reducing a ``'perm'`` op's output reduces its input over the
                       permuted axes instead (the kept axes transposed after, if their order
                       changes), so a kernel never needs the transposed copy
=====================  =====================================================================
"""
import numpy as np

from ..ops.registry import ANCHOR, CONSTANT, ELEMENTWISE, OPS, REDUCTION
from ..ops.shape_ops import BROADCAST_TO, RESHAPE, TRANSPOSE


def _const(g, n):
    """The scalar value if node n is a constant with all-equal values, else None."""
    d = g.nodes[n]
    op = OPS[d["op"]]
    if op.facts.get("broadcast"):   # a broadcast constant is still that constant
        return _const(g, d["inputs"][0])
    if op is not CONSTANT:
        return None
    v = d["attrs"]["value"]
    if v.size == 0:
        return None
    first = v.flat[0]
    return first if np.all(v == first) else None


def _keeps_negative_zero(op, c, right):
    """op(x, c) (right) or op(c, x) is x also for a float x = -0.: IEEE gives -0. + 0. = +0., so
    x + 0. is not x (x - 0. and x + -0. are)."""
    if not isinstance(c, np.floating):
        return True
    z = np.array(-0.0, c.dtype)
    return bool(np.signbit(op.impl(z, c) if right else op.impl(c, z)))


def _same_type(g, a, b):
    da, db = g.nodes[a], g.nodes[b]
    return da["shape"] == db["shape"] and da["dtype"] == db["dtype"]


def _rewrite(graph, n):
    """Return the node that can replace n, or None."""
    g = graph.nx
    d = g.nodes[n]
    name, ins = d["op"], d["inputs"]
    facts = OPS[name].facts
    if OPS[name].kind == ELEMENTWISE and ins:
        r = _elementwise_before_reshape(graph, n)
        if r is not None:
            return r
    if not facts:
        return None
    if facts.get("copy"):   # gradients are built while tracing: now identities
        return ins[0]
    unit = facts.get("identity_element", facts.get("right_identity"))
    if unit is not None:
        a, b = ins
        c = _const(g, b)
        if c == unit and _same_type(g, a, n) and _keeps_negative_zero(OPS[name], c, True):
            return a
        c = _const(g, a)
        if "identity_element" in facts and c == unit and _same_type(g, b, n) and \
                _keeps_negative_zero(OPS[name], c, False):
            return b
    src = g.nodes[ins[0]] if ins else None
    if facts.get("involution") and src["op"] == name:
        return src["inputs"][0]
    if facts.get("same_shape_noop") and src["shape"] == d["shape"]:
        return ins[0]
    composes = facts.get("composes")
    if composes == "outer" and src["op"] == name:
        return graph.add_node(name, (src["inputs"][0],), dict(d["attrs"]), d["shape"],
                              d["dtype"], d["source"], dict(d["tags"]))
    if composes == "perm" and src["op"] == name:
        p1, p2 = src["attrs"]["perm"], d["attrs"]["perm"]
        perm = tuple(p1[i] for i in p2)
        if perm == tuple(range(len(perm))):
            return src["inputs"][0]
        return graph.add_node(name, (src["inputs"][0],), {"perm": perm}, d["shape"], d["dtype"],
                              d["source"], dict(d["tags"]))
    if facts.get("selects_at") and src is not None and OPS[src["op"]].facts.get("embeds_at") \
            and _same_region(src["shape"], d["attrs"][facts["selects_at"]],
                             src["attrs"][OPS[src["op"]].facts["embeds_at"]]) \
            and tuple(d["shape"]) == tuple(g.nodes[src["inputs"][0]]["shape"]):
        return src["inputs"][0]
    if (OPS[name].kind == REDUCTION and facts.get("monoid") and src is not None
            and OPS[src["op"]].facts.get("composes") == "perm"):
        return _reduce_before_transpose(graph, n, d, src)
    fill = facts.get("fill_value")
    if fill is not None and not any(s is None for s in d["shape"]):   # (None: a loop's history)
        val = np.full((), fill, d["dtype"])
        c = graph.add_node(CONSTANT.name, (), {"value": val}, (), d["dtype"], d["source"],
                           dict(d["tags"]))
        if d["shape"] == ():
            return c
        return graph.add_node(BROADCAST_TO.name, (c,), {"shape": d["shape"]}, d["shape"],
                              d["dtype"], d["source"], dict(d["tags"]))
    return None


def _same_region(shape, a, b):
    """True if the basic-slice index specs `a` and `b` (entries ('s', start, stop, step) only)
    select the same elements of an array of static `shape`."""
    if not _static(shape) or len(a) > len(shape) or len(b) > len(shape):
        return False
    full = ("s", None, None, None)
    for n, sa, sb in zip(shape, a + (full,) * (len(shape) - len(a)),
                         b + (full,) * (len(shape) - len(b))):
        if sa[0] != "s" or sb[0] != "s" or \
                range(*slice(*sa[1:]).indices(n)) != range(*slice(*sb[1:]).indices(n)):
            return False
    return True


def _is_view(d, shape):
    """Node `d` is a C-order reshape (a view of its one input) to `shape`."""
    return bool(OPS[d["op"]].facts.get("c_order_view")) and len(d["inputs"]) == 1 and \
        tuple(d["shape"]) == shape


def _static(shape):
    return all(isinstance(s, (int, np.integer)) for s in shape)


def _elementwise_before_reshape(graph, n):
    """op(reshape(x), c, ...) -> reshape(op(x, c, ...)) when each other operand c varies only
    along the trailing dims the reshape keeps (a bias, a scalar) and x comes from an anchor
    (matmul: the op becomes the product's epilogue) or an elementwise op (applied again, this
    moves the reshape down a whole chain of them). A Keras Dense layer on a rank-3 input is
    reshape(matmul(reshape(x), w)) + b: the bias-add and activation ran as a separate kernel
    after the product instead of in its epilogue. Unknown dims (a traced batch) may be split or
    merged; the other operands' shapes are known."""
    g = graph.nx
    d = g.nodes[n]
    shape = tuple(d["shape"])
    src = attrs = None
    for u in d["inputs"]:
        du = g.nodes[u]
        if _is_view(du, shape):
            xs = tuple(g.nodes[du["inputs"][0]]["shape"])
            if src not in (None, xs) or attrs not in (None, du["attrs"]):
                return None
            src, attrs = xs, du["attrs"]
    if src is None or src == shape or any(e["control"] for e in g.pred[n].values()):
        return None                 # (a control edge orders this node: left as it is)
    keep = 0        # trailing dims the reshape leaves alone (known sizes: an unknown may differ)
    while keep < min(len(src), len(shape)) and _static(src[-1 - keep:]) and \
            src[-1 - keep] == shape[-1 - keep]:
        keep += 1
    ins = []
    for u in d["inputs"]:
        du = g.nodes[u]
        if _is_view(du, shape):
            x = du["inputs"][0]
            if OPS[g.nodes[x]["op"]].kind not in (ANCHOR, ELEMENTWISE):
                return None
            ins.append(x)
            continue
        us = tuple(du["shape"])
        if not _static(us):
            return None
        lead = 0
        while lead < len(us) and us[lead] == 1:
            lead += 1
        if len(us) - lead > keep:
            return None             # varies along a dim the reshape splits or merges
        if len(us) > len(src):      # (would add leading dims to the result)
            u = graph.add_node(RESHAPE.name, (u,), {"shape": us[lead:]}, us[lead:], du["dtype"],
                               d["source"], dict(d["tags"]))
        ins.append(u)
    tags, scope = dict(d["tags"]), d.get("scope")
    y = graph.add_node(d["op"], tuple(ins), dict(d["attrs"]), src, d["dtype"], d["source"],
                       dict(tags))
    r = graph.add_node(RESHAPE.name, (y,), dict(attrs), shape, d["dtype"], d["source"], tags)
    for v in (y, r):
        g.nodes[v]["scope"] = scope
    return r


def _reduce_before_transpose(graph, n, d, src):
    """reduce(transpose(x, perm), axes) -> reduce(x, perm[axes]), then the kept axes
    transposed into their order (often already in order: no transpose) and reshaped to the
    keepdims shape (a C-order view). E.g. reduce_sum(transpose(x), 1) == reduce_sum(x, 0): the
    fused kernel reads x as it lies in memory instead of a transposed copy (~30x slower)."""
    perm, axes = src["attrs"]["perm"], tuple(d["attrs"]["axis"])
    if not all(isinstance(s, (int, np.integer)) for s in tuple(d["shape"]) + tuple(src["shape"])):
        return None                     # (unknown or symbolic dims: left as they are)
    x = src["inputs"][0]
    xshape = tuple(graph.nx.nodes[x]["shape"])
    new_axes = tuple(sorted(perm[a] for a in axes))
    kept = [perm[j] for j in range(len(perm)) if j not in axes]    # source axes, output order
    r_shape = tuple(s for k, s in enumerate(xshape) if k not in new_axes)
    tags, dt, source = dict(d["tags"]), d["dtype"], d["source"]
    r = graph.add_node(d["op"], (x,), dict(d["attrs"], axis=new_axes, keepdims=False), r_shape,
                       dt, source, dict(tags))
    order = sorted(kept)
    perm2 = tuple(order.index(k) for k in kept)
    if perm2 != tuple(range(len(perm2))):
        r = graph.add_node(TRANSPOSE.name, (r,), {"perm": perm2},
                           tuple(r_shape[p] for p in perm2), dt, source, dict(tags))
    if tuple(graph.nx.nodes[r]["shape"]) != tuple(d["shape"]):
        r = graph.add_node(RESHAPE.name, (r,), {"shape": tuple(d["shape"])}, tuple(d["shape"]),
                           dt, source, dict(tags))
    return r


def simplify(graph, max_rounds=4):
    """Apply local rewrites until nothing changes; dead nodes are left for DCE."""
    for _ in range(max_rounds):
        changed = False
        outputs = set(graph.outputs)
        for n in graph.topo():
            if n not in graph.nx or (not graph.nx.succ[n] and n not in outputs):
                continue   # dead (e.g. already replaced): rewriting it again only adds nodes
            r = _rewrite(graph, n)
            if r is not None and r != n:
                graph.replace_uses(n, r)
                changed = True
        if not changed:
            break
    return graph
