"""The one reverse-mode core, shared by the eager GradientTape and the graph gradient pass.

It walks an ordered list of op applications (`Record`s) backwards, calls each op's VJP (written in
graphflow ops, so in eager mode outer tapes record it and while tracing it adds adjoint nodes to
the graph), sums cotangents, and un-broadcasts them in this one place. `None` means no gradient.
"""
from .. import state as _state
from ..ops.math_ops import add, reduce_sum
from ..ops.registry import READ_VARIABLE as READ
from ..ops.runtime_shape import sum_like
from ..ops.shape_ops import reshape, sum_to_shape
from ..shapes import Dim
from ..tensor import Variable


class Record:
    """One op application: `output = op(*inputs, **attrs)`."""
    __slots__ = ("op", "inputs", "attrs", "output")

    def __init__(self, op, inputs, attrs, output):
        self.op, self.inputs, self.attrs, self.output = op, inputs, attrs, output


# Reading a Variable is recorded as READ with the Variable itself as the input, so gradients
# reach it as a source (its VJP is the identity).


def is_floating(x):
    """True for values that carry gradients: float and complex dtypes."""
    try:
        return x._value.dtype.kind in "fc"   # eager Tensor/Variable: skip the DType lookup
    except AttributeError:                   # symbolic values have no `_value`
        return x.dtype.is_floating or x.dtype.is_complex


def _raw_shape(x):
    """x's shape as a plain tuple (eager: the numpy shape, no TensorShape built)."""
    try:
        return x._value.shape
    except AttributeError:
        return tuple(x.shape)


def _float_shape(x):
    """x's shape as a plain tuple if x carries gradients (float or complex), else None: one call
    for `is_floating` and `_raw_shape` on the backward pass's hot path."""
    try:
        v = x._value
        return v.shape if v.dtype.kind in "fc" else None
    except AttributeError:   # symbolic values have no `_value`
        return tuple(x.shape) if x.dtype.is_floating or x.dtype.is_complex else None


def unbroadcast(g, shape, like=None):
    """Sum cotangent `g` down to `shape` (undo numpy broadcasting); `like`: the input of that
    shape, whose run-time sizes (None dims) decide when the graph runs."""
    gs, shape = tuple(g.shape), tuple(shape)
    if like is not None and any(s is None for s in shape):
        return sum_like(g, like)   # (equal run-time sizes may still differ when it runs)
    if gs == shape:
        return g
    lead = len(gs) - len(shape)
    if any(isinstance(s, Dim) and s != t for s, t in zip(shape, gs[lead:])):
        return sum_to_shape(g, shape)   # an unknown dim, 1 or not: decided at run time
    axes = tuple(range(lead)) + tuple(i + lead for i, s in enumerate(shape)
                                      if s == 1 and gs[i + lead] != 1)
    if axes:
        g = reduce_sum(g, axes, keepdims=False)
    return reshape(g, shape)


def reachable(records, sources, differentiable=True):
    """Records downstream of `sources` and the ids of every value they reach (through
    differentiable ops with float outputs only, unless `differentiable` is False)."""
    reach = set(map(id, sources))
    useful = []
    for r in records:
        if differentiable:
            out = r.output
            try:
                fl = out._value.dtype.kind in "fc"   # is_floating, inline (the eager hot path)
            except AttributeError:
                fl = is_floating(out)
            if not fl or (r.op.vjp is None and "gradient_error" not in r.op.facts):
                continue   # (ops with a gradient_error stay: backward raises if a cotangent arrives)
        for x in r.inputs:
            if id(x) in reach:
                reach.add(id(r.output))
                useful.append(r)
                break
    return useful, reach


def _group_leads(useful):
    """{position in `useful`: the group's members [(position, part)] at its earliest record,
    None at the others} for ops with the fact `vjp_group` (a while_loop's per-output nodes)."""
    group_of = {}
    for i, r in enumerate(useful):
        if "vjp_group" in r.op.facts:
            k, part = r.op.facts["vjp_group"](**r.attrs)
            group_of.setdefault((id(r.op), id(k), tuple(map(id, r.inputs))), []).append((i, part))
    lead = {}
    for members in group_of.values():
        for i, _ in members:
            lead[i] = members if i == members[0][0] else None
    return lead


def backward(records, targets, seeds, sources, adjoint_order=None):
    """Cotangents of `sources` given cotangents `seeds` of `targets`; None where unconnected.

    `adjoint_order` (graph mode) tags the nodes each VJP emits with the order and forward node.
    """
    useful, reach = reachable(records, sources)
    src = set(map(id, sources))
    ct = {}
    for t, s in zip(targets, seeds):
        k = id(t)
        if k in reach:
            ct[k] = add(ct[k], s) if k in ct else s
    tagged = adjoint_order is not None
    # Ops with the fact `vjp_group` (a while_loop's per-output nodes) are differentiated together:
    # at the group's earliest record (when every consumer of every member has given its
    # cotangent) one call of facts["group_vjp"] gets all members' cotangents.
    lead = _NO_GROUPS
    for r in useful:
        if "vjp_group" in r.op.facts:
            lead = _group_leads(useful)
            break
    for pos in range(len(useful) - 1, -1, -1):
        r = useful[pos]
        out = r.output
        key = id(out)
        members = lead.get(pos, False) if lead else False
        if members is None:
            continue   # a later member of a group: its cotangent waits for the group's lead
        if members:
            parts = {}
            for i, part in members:
                k = id(useful[i].output)
                gm = ct.get(k) if k in src else ct.pop(k, None)
                if gm is not None:   # (two members may be the same part: x[0] twice)
                    parts[part] = add(parts[part], gm) if part in parts else gm
            if not parts:
                continue
            g = parts
        else:
            g = ct.get(key) if key in src else ct.pop(key, None)
        if g is None:
            continue
        op = r.op
        if op is READ and not tagged:   # the identity VJP, eager: no call, no nodes to tag
            x = r.inputs[0]
            k = id(x)
            if k in reach:
                xs = _float_shape(x)
                if xs is not None:
                    if _raw_shape(g) != xs or None in xs and any(d is None for d in xs):
                        g = unbroadcast(g, xs, x)
                    ct[k] = add(ct[k], g) if k in ct else g
            continue
        # graph mode: the nodes this VJP emits (unbroadcast and accumulation too) are tagged
        token = _state.push(adjoint=(adjoint_order, getattr(out, "_node", None))) if tagged \
            else None
        try:
            if op is READ:   # the identity VJP, without the call
                in_cts = (g,)
            elif op.vjp is None:   # no gradient, and a None result would mislead: say why
                raise NotImplementedError(op.facts["gradient_error"](**r.attrs))
            elif members:
                in_cts = op.facts["group_vjp"](r.inputs, g, needed=tuple(
                    id(x) in reach and is_floating(x) for x in r.inputs), **r.attrs)
            elif "vjp_needed" in op.facts:   # (cond/while_loop) skips inputs no source reaches
                in_cts = op.vjp(r.inputs, out, g, needed=tuple(
                    id(x) in reach and is_floating(x) for x in r.inputs), **r.attrs)
            else:
                in_cts = op.vjp(r.inputs, out, g, **r.attrs) if r.attrs else op.vjp(r.inputs, out, g)
            for x, gx in zip(r.inputs, in_cts):
                if gx is None:
                    continue
                k = id(x)
                if k not in reach:
                    continue
                xs = _float_shape(x)
                if xs is None:
                    continue
                if _raw_shape(gx) != xs or None in xs and any(d is None for d in xs):
                    gx = unbroadcast(gx, xs, x)   # (same static shape: no op at all)
                ct[k] = add(ct[k], gx) if k in ct else gx
        finally:
            if token is not None:
                _state.pop(token)
    return [ct.get(id(s)) for s in sources]


_NO_GROUPS = {}


def explain_none(records, target, source, watched, escaped, watch_accessed=True):
    """Why the gradient of `target` with respect to `source` is None, in words."""
    escape_msg = ("a value computed from the source left the tape through .numpy() (or a "
                  "conversion to a numpy array / Python number) and came back as a constant; keep "
                  "the computation in graphflow ops")
    if id(source) not in watched:
        if any(e is source for e in escaped):   # a Variable only ever read through .numpy()
            return escape_msg
        if isinstance(source, Variable) and not source.trainable:
            return (f"the source is a non-trainable Variable ('{source.name}') that the tape "
                    "never watched: call tape.watch(v) inside the tape")
        if isinstance(source, Variable) and watch_accessed:
            return (f"the Variable '{source.name}' was never read while the tape was recording: "
                    "the target does not use it (or used it before the tape started or inside "
                    "stop_recording)")
        return ("the source was not watched by the tape: call tape.watch(x) inside the `with` "
                "block, or use a trainable Variable (and watch_accessed_variables=True)")
    _, diff_reach = reachable(records, [source])
    if id(target) in diff_reach:
        return None
    useful, reach = reachable(records, [source], differentiable=False)
    # which recorded values lead to the target?
    anc = {id(target)}
    for r in reversed(records):
        if id(r.output) in anc:
            anc.update(id(x) for x in r.inputs)
    cuts = []
    for r in useful:
        if id(r.output) in anc and any(id(x) in diff_reach for x in r.inputs):
            reason = r.op.nondiff_reason
            if r.op.name == "cast" and not r.output.dtype.is_floating:
                reason = f"cast to {r.output.dtype.name} (integer/bool values carry no gradient)"
            elif reason is None and not r.output.dtype.is_floating:
                reason = f"{r.op.name} returns {r.output.dtype.name}"
            if reason:
                cuts.append(f"op `{r.op.name}`: {reason}")
    if cuts:
        return "the path from the source to the target is cut at " + "; ".join(dict.fromkeys(cuts))
    esc = [e for e in escaped if id(e) in reach]
    if esc:
        return escape_msg
    return ("the target does not depend on the source through any recorded op (was it computed "
            "outside the tape, or from a copy made with numpy / Python numbers?)")
