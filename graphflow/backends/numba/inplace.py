"""The SGD update in place: `assign(v, read(v) - c * matmul(A, B))` as one BLAS gemm.

When the step computing the update holds the only reference to the variable's old value
(checked statically for program order by `detect_update`, and at run time by refcount in
`run`), BLAS gemm accumulates into that buffer (beta=1): no matmul temporary, no epilogue pass.
The pattern is matched on op-table entries (objects), never on op names.
"""
import sys

import numpy as np

from ...blas_threads import SINGLE_BLAS, SMALL_GEMM
from ...ops.math_ops import MATMUL, MUL, SUB
from ...ops.registry import ASSIGN, CONSTANT, OPS, READ_VARIABLE
from .blas import gemm


def _baseline_refs():
    """sys.getrefcount of an array held only by a `vals` slot, read into a local (as the
    specialized steps do): 3 on CPython 3.11 (slot, local, argument)."""
    vals = [np.empty(1)]

    def probe(vals):
        v = vals[0]
        return sys.getrefcount(v)
    return probe(vals)


#: refcount of a value nothing but the running plan's slot references
REFS_HELD = _baseline_refs()


class Inplace:
    """Slots and static facts of one matched update `out = w - c * (op(a) @ op(b))` (a plain
    class: a dataclass's generated methods and the dataclasses import cost a warm start ~1 ms):
    `w` the slot of the variable's old value, `a`, `b` the product's operands' slots, `c` the
    scale's slot (None when it is the constant `const`), `ta`, `tb` the transposes, `out` the
    new value's slot, its `dtype` and `shape`, and `refs` the refcount of w when only this step
    and the variable hold it."""
    __slots__ = ("w", "a", "b", "c", "const", "ta", "tb", "out", "dtype", "shape", "refs")

    def __init__(self, w, a, b, c, const, ta, tb, out, dtype, shape, refs):
        self.w, self.a, self.b, self.c, self.const, self.ta, self.tb = w, a, b, c, const, ta, tb
        self.out, self.dtype, self.shape, self.refs = out, dtype, shape, refs


def detect_update(g, members, anchor, outs, pos, step_of, slot, outputs):
    """An `Inplace` if the cluster step at position `pos` (its `anchor` matmul, its `members`
    and the members `outs` read outside) computes the SGD update and updating the old value's
    buffer in place is invisible: nothing reads the old value after this step and no other read
    of the variable runs before its assign. Else None."""
    m = anchor
    if m is None or len(members) != 2:
        return None
    mul, sub = members
    dm, dmul, dsub = g.nodes[m], g.nodes[mul], g.nodes[sub]
    if OPS[dmul["op"]] is not MUL or OPS[dsub["op"]] is not SUB or outs != [sub]:
        return None
    if OPS[dm["op"]] is not MATMUL:
        return None
    if dm["dtype"].name not in ("float32", "float64") or len(dm["shape"]) != 2:
        return None
    a, b = dm["inputs"]
    if any(len(g.nodes[u]["shape"]) != 2 for u in (a, b)):
        return None
    cands = [u for u in dmul["inputs"] if u != m]
    if len(cands) != 1 or m not in dmul["inputs"] or dsub["inputs"][1] != mul:
        return None
    c = cands[0]
    if int(np.prod(g.nodes[c]["shape"], dtype=np.int64)) != 1:
        return None
    w = dsub["inputs"][0]
    dw = g.nodes[w]
    if OPS[dw["op"]] is not READ_VARIABLE or tuple(dw["shape"]) != tuple(dm["shape"]) or \
            dw["dtype"] != dm["dtype"] or w in (a, b) or w in outputs:
        return None
    var = dw["attrs"]["var"]
    users = [v for v in g.successors(sub) if not g.edges[sub, v]["control"]]
    if sub in outputs or len(users) != 1:
        return None
    asg = users[0]
    da = g.nodes[asg]
    if OPS[da["op"]] is not ASSIGN or da["attrs"].get("spec") is not None or \
            da["attrs"]["var"] is not var or asg not in step_of:
        return None
    if m in outputs or any(v != mul for v in g.successors(m)):
        return None
    for v in g.successors(w):                 # every other reader of the old value runs first
        if v not in (sub,) and not g.edges[w, v]["control"] and step_of.get(v, -1) >= pos:
            return None
    for n, d in g.nodes(data=True):           # other reads of the variable: not in between
        if OPS[d["op"]] is READ_VARIABLE and n != w and d["attrs"]["var"] is var:
            if pos <= step_of.get(n, -1) < step_of[asg]:
                return None
    dc = g.nodes[c]
    if OPS[dc["op"]] is CONSTANT:
        cslot, const = None, np.asarray(dc["attrs"]["value"]).reshape(-1)[0]
    else:
        cslot, const = slot[c], None
    return Inplace(slot[w], slot[a], slot[b], cslot, const, bool(dm["attrs"]["transpose_a"]),
                   bool(dm["attrs"]["transpose_b"]), slot[sub], dm["dtype"],
                   tuple(dm["shape"]), REFS_HELD + 1)   # the variable holds w too


def run(ip, vals):
    """W - c * (A @ B) accumulated by BLAS into W's own buffer (gemm with beta=1), when the
    caller holds the only reference to W (the variable's old value); False: not possible now,
    take the normal path."""
    w = vals[ip.w]
    # (flags.carray: C-contiguous, aligned and writeable in one flags object)
    if (w.__class__ is not np.ndarray or w.dtype is not ip.dtype or w.base is not None
            or w.shape != ip.shape or sys.getrefcount(w) > ip.refs or not w.flags.carray):
        return False
    mm = gemm(ip.dtype)
    a, b = vals[ip.a], vals[ip.b]
    if (mm is None or a.__class__ is not np.ndarray or b.__class__ is not np.ndarray
            or a.dtype is not ip.dtype or b.dtype is not ip.dtype
            or not a.flags.c_contiguous or not b.flags.c_contiguous):
        return False
    c = vals[ip.c] if ip.c is not None else ip.const
    alpha = -float(c.reshape(-1)[0] if hasattr(c, "reshape") else c)
    if w.size * (a.shape[0] if ip.ta else a.shape[1]) < SMALL_GEMM and not SINGLE_BLAS.depth:
        # a small product on one BLAS thread, like the plan's small matmuls: a threaded call
        # leaves OpenBLAS's idle threads spinning ~0.1 s, against the chunk pool's (measured,
        # conv_step at load 6: ~40 ms CPU per step vs ~25 ms with BLAS on one thread); already
        # on one thread (the plan's whole call, `plan.small_products`): no switch of its own
        with SINGLE_BLAS:
            mm(alpha, a, b, ip.ta, ip.tb, w)
    else:
        mm(alpha, a, b, ip.ta, ip.tb, w)
    vals[ip.out] = w
    return True
