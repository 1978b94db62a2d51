"""A compiled while_loop split over batch rows: both cores run the whole loop, each on its rows.

An RNN's time loop is sequential in time but independent across batch rows: row i of every
step's state depends only on row i of the previous state (and on loop-invariant weights). Its
per-step work (a (64,64)x(64,256) gemm, the gate math) is too small to split inside a step (a
thread hand-over per step costs as much as the work), but the WHOLE loop can run twice at once,
on the two halves of the batch, with no synchronisation until the end - the reverse loop too:
its weight-gradient accumulators become per-half partial sums, added at the end.

`batch_roles` decides from the sub-graphs alone, for every value of the condition and body,
its role: loop-invariant (`None`: the same in both halves, passed whole), row-split along axis
`a` (an int: the batch axis), or a partial sum (`"R"`: a sum over batch rows, e.g. dU += h^T @
dz; each half keeps its own and the halves' values are added). The rules are per op and each
states a row-locality fact (an elementwise op of row-split values is row-split; `a @ w` with
`a` row-split and `w` invariant is row-split; `a^T @ b` with both split along the contracted
axis is a partial sum; a partial sum may only be added to partial sums, ...), so any
consistent assignment gives the unsplit loop's values. Anything else (an op without a rule, a
condition that depends on the rows, a value mixing rows) means no split. `split_subgraphs` then
gives the sub-graphs with the batch dim of the row-split values replaced by a half's size: the
backend plans and compiles them like any loop (`loop.loop_driver`), and `SplitDriver` runs the
halves on the chunk pool (the caller and a helper thread) and joins their outputs.

Measured (Keras LSTM train step, batch 64, 100 steps, 32 features, 64 units; 2 cores shared
with other developers' jobs, one process, split and unsplit steps interleaved): 0.63x the
unsplit step's time at load 2.0 when the other core was free; 0.92-1.01x at load 2-3 and
about 1.0x at load 10-13 (the per-loop `BlasChoice` then runs the whole loop on one thread). A
half alone costs about half the whole loop (forward: 2.45 ms vs 5.9 ms), so the gain is the
second core's availability.

>>> import numpy as np
>>> import graphflow as tf
>>> from graphflow import control_ops
>>> w = tf.constant(np.eye(3) * 0.5)
>>> f = tf.function(lambda h: control_ops.build_while(   # (trip count known, as an RNN's)
...     lambda t, h: t < 4, lambda t, h: (t + 1, tf.tanh(h @ w)), [tf.constant(0), h], "doc", trip_count=4)[1])
>>> f(tf.ones((64, 3), tf.float64)).numpy()[0].round(4).tolist()   # (split: the same values)
[0.0565, 0.0565, 0.0565]
"""
import threading
import time

import numpy as np

from ...control_ops import Subgraphs
from ...ops.registry import ELEMENTWISE, OPS, REDUCTION, Aval, normalize_axis
from .blas_choice import BlasChoice
from .parallel import ONE_THREAD, pool
from .threads import usable_cores

#: set False to run compiled loops on one thread (unsplit)
ENABLED = True

#: the fewest rows a half gets (smaller halves: the per-step products are too small to gain)
MIN_ROWS = 8

R = "R"   # role of a partial sum over batch rows


class NoSplit(Exception):
    """Why a loop's rows cannot be split."""


class _Flip(Exception):
    """The analysis must restart with parameter `pos` given `role`."""

    def __init__(self, pos, role):
        super().__init__(pos, role)
        self.pos, self.role = pos, role


class _Force(Exception):
    """The analysis must restart with the fill (zeros_like, ...) `node` given `role`: its value
    is the same in every row, so it is whatever its users need."""

    def __init__(self, node, role):
        super().__init__(node, role)
        self.node, self.role = node, role


def _fmt(role):
    return "invariant" if role is None else "a partial sum" if role == R else f"rows on axis {role}"


class _Roles:
    """The roles of one graph's nodes given the roles of its parameters (by position)."""

    def __init__(self, graph, proles, batch, n_vars, forced=None):
        self.g, self.graph, self.batch, self.n = graph.nx, graph, batch, n_vars
        self.pos = {p: i for i, p in enumerate(graph.params)}
        self.role = {}
        forced = forced or {}
        for n in graph.topo():
            d = self.g.nodes[n]
            if n in self.pos:
                self.role[n] = proles[self.pos[n]]
            elif n in forced:
                self.role[n] = forced[n]
            else:
                self.role[n] = self.rule(n, d)

    def shape(self, n):
        return tuple(self.g.nodes[n]["shape"])

    def fail(self, n, why):
        d = self.g.nodes[n]
        ins = ", ".join(f"%{u} {_fmt(self.role[u])} {list(self.shape(u))}" for u in d["inputs"])
        raise NoSplit(f"{d['op']} %{n} ({ins}): {why}")

    def rule(self, n, d):
        op, ins = d["op"], list(d["inputs"])
        if not ins:
            return None
        roles = [self.role[u] for u in ins]
        if op not in OPS or OPS[op].stateful:
            self.fail(n, "not a pure op")
        kind = OPS[op].kind
        if op == "zeros_like":
            return roles[0]
        if all(r is None for r in roles):   # (computed whole in both halves)
            return None
        if kind == ELEMENTWISE:
            return self.elementwise(n, d, ins, roles)
        if kind == REDUCTION:
            return self.reduction(n, d, roles[0])
        rule = getattr(self, "op_" + op, None)
        if rule is None:
            self.fail(n, "no row-split rule for this op")
        return rule(n, d, ins, roles)

    def elementwise(self, n, d, ins, roles):
        out = self.shape(n)
        if R in roles:
            if all(r == R for r in roles) and op_linear(d["op"], len(ins)):
                return R
            if roles.count(R) == 1 and roles.count(None) == len(roles) - 1 and (
                    d["op"] == "multiply" or (d["op"] == "divide" and roles[0] == R)):
                return R   # (scaled by invariant values: still linear)
            if d["op"] in ("add", "subtract"):   # a variable added to a partial sum is one
                for u, r in zip(ins, roles):
                    if r != R and u in self.pos and self.pos[u] < self.n:
                        raise _Flip(self.pos[u], R)
            self.fail(n, "a partial sum combined with other values")
        axis = None
        for u, r in zip(ins, roles):
            if r is None:
                continue
            a = r + len(out) - len(self.shape(u))
            if axis not in (None, a):
                self.fail(n, "row-split operands on different axes")
            axis = a
        for u, r in zip(ins, roles):
            s = self.shape(u)
            k = axis - (len(out) - len(s))
            if r is None and 0 <= k < len(s) and s[k] != 1:
                if u in self.pos:   # a parameter holding rows: split it too
                    raise _Flip(self.pos[u], k)
                if OPS[self.g.nodes[u]["op"]].facts.get("value_independent"):
                    raise _Force(u, k)
                self.fail(n, "an invariant operand spans the batch axis")
            if r is not None and s[r] != out[axis]:
                self.fail(n, "a row-split operand is broadcast along the batch axis")
        return axis

    def reduction(self, n, d, r):
        if r == R:
            if d["op"] == "reduce_sum":
                return R
            self.fail(n, f"{d['op']} of a partial sum")
        x = d["inputs"][0]
        axes = normalize_axis(d["op"], d["attrs"].get("axis"), len(self.shape(x)))
        if r in axes:
            if d["op"] == "reduce_sum":
                return R
            self.fail(n, "reduces over the batch axis")
        return r if d["attrs"].get("keepdims") else r - sum(a < r for a in axes)

    def op_matmul(self, n, d, ins, roles):
        a, b = ins
        if len(self.shape(a)) != 2 or len(self.shape(b)) != 2:
            self.fail(n, "not a 2-D product")
        ta, tb = bool(d["attrs"].get("transpose_a")), bool(d["attrs"].get("transpose_b"))
        ra, rb = roles
        a_rows, a_k, b_k, b_cols = int(ta), 1 - int(ta), int(tb), 1 - int(tb)
        if ra == a_rows and rb is None:
            return 0
        if ra is None and rb == b_cols:
            return 1
        if ra == a_k and rb == b_k:
            return R
        if (ra == R and rb is None) or (ra is None and rb == R):
            return R
        self.fail(n, "the product mixes batch rows")

    def _row_of(self, n, r):
        if r is None or r == R:
            return r
        if r == 0:
            self.fail(n, "reads rows of a stack split along its first axis")
        return r - 1

    def op_loop_history_read(self, n, d, ins, roles):
        if roles[1] is not None:
            self.fail(n, "the step index depends on the rows")
        return self._row_of(n, roles[0])

    def op_loop_saved_read(self, n, d, ins, roles):
        if roles[1] is not None:
            self.fail(n, "the step index depends on the rows")
        return self._row_of(n, roles[0])

    def _spec_axis(self, n, spec, r):
        """The output axis of input axis r under a basic index `spec` (its entry: a full
        slice), or fail."""
        out = 0
        for i, s in enumerate(spec):
            if s[0] not in ("s", "i"):
                self.fail(n, f"index {s}")
            if i == r:
                if s[0] != "s" or tuple(s[1:]) not in ((None, None, None), (0, None, None),
                                                        (None, None, 1), (0, None, 1)):
                    self.fail(n, "indexes the batch axis")
                return out
            out += s[0] == "s"
        return out + r - len(spec)

    def op_getitem(self, n, d, ins, roles):
        if roles[0] == R:   # (linear: the slice of the sum is the sum of the slices)
            return R
        return self._spec_axis(n, d["attrs"]["spec"], roles[0])

    def op_getitem_grad(self, n, d, ins, roles):
        spec = d["attrs"]["spec"]
        if roles[0] == R:   # (linear)
            return R
        if any(s[0] != "s" for s in spec):
            self.fail(n, "scatters rows at an integer index")
        return self._spec_axis(n, spec, roles[0])

    def op_concat(self, n, d, ins, roles):
        if len(set(roles)) != 1:
            self.fail(n, "concatenates values of different roles")
        axis = d["attrs"]["axis"] % len(self.shape(n))
        if roles[0] == axis:
            self.fail(n, "concatenates along the batch axis")
        return roles[0]

    def op_reshape(self, n, d, ins, roles):
        s, out = self.shape(ins[0]), self.shape(n)
        if roles[0] == R:   # (linear)
            return R
        if roles[0] == 0 and len(out) and out[0] == s[0]:
            return 0
        self.fail(n, "reshapes across the batch axis")


def op_linear(op, n_in):
    """True if `op` of partial sums is the partial sum of its total (add/subtract/negative)."""
    return op in ("add", "subtract", "negative") or (op == "identity" and n_in == 1)


def batch_roles(sg, batch):
    """(parameter roles by position, [node roles of each sub-graph]) of the while_loop `sg`
    split over `batch` rows, or raise NoSplit(why)."""
    cond, body = sg.graphs
    n = sg.n_vars
    avals = list(sg.in_avals)
    proles = []
    for j, a in enumerate(avals):   # first guesses: a variable with `batch` leading rows holds
        s = tuple(a.shape)          # rows; a captured stack read by rows holds them on axis 1
        if j < n:
            proles.append(0 if len(s) and s[0] == batch else None)
            continue
        p = body.params[j]
        users = [body.nx.nodes[u] for u in body.nx.successors(p)]
        stack = users and all(u["op"] in ("loop_history_read", "loop_saved_read") and
                              u["inputs"][0] == p for u in users)
        proles.append(1 if stack and len(s) > 1 and s[1] == batch else None)
    forced = {}   # body fills (zeros_like, ...) given the role of the variable they become
    for _ in range(4 * len(avals) + 4):
        try:
            rc = _Roles(cond, proles, batch, n)
            rb = _Roles(body, proles, batch, n, forced)
        except _Force as f:
            if f.node in forced or f.node not in body.nx:
                raise NoSplit(f"%{f.node} cannot be {_fmt(f.role)}") from None
            forced[f.node] = f.role
            continue
        except _Flip as f:
            if proles[f.pos] == f.role:
                raise NoSplit(f"parameter {f.pos} cannot be {_fmt(f.role)}") from None
            proles[f.pos] = f.role
            continue
        if rc.role[cond.outputs[0]] is not None:
            raise NoSplit("the condition depends on the rows")
        changed = False
        for j in range(n):
            out = body.outputs[j]
            r = rb.role[out]
            if r is None and isinstance(proles[j], int) and out not in forced and \
                    OPS[body.nx.nodes[out]["op"]].facts.get("value_independent"):
                forced[out], changed = proles[j], True   # (the same value in every row)
                continue
            if r != proles[j]:
                if proles[j] is not None and not (proles[j] == 0 and r == R):
                    raise NoSplit(f"loop variable {j} enters as {_fmt(proles[j])} and leaves as "
                                  f"{_fmt(r)}")
                proles[j], changed = r, True
        if not changed:
            if not any(isinstance(r, int) for r in proles[:n]):
                raise NoSplit("no loop variable holds rows")
            return proles, [rc.role, rb.role]
    raise NoSplit("the roles do not settle")


def _half_shape(shape, role, size):
    if role is None or role == R:
        return tuple(shape)
    s = list(shape)
    s[role] = size
    return tuple(s)


class Half:
    """What a half loop's driver needs beyond its sub-graphs (`loop.loop_driver(half=...)`):
    `offset`, the positions of the stacks passed whole (row-split on axis 1, only read by row:
    the half reads rows lo:lo+m of each row); `hist` / `saved`, the recorded variables / saved
    values holding rows: their number of rows m (written at lo:lo+m of the shared buffers)."""

    def __init__(self, offset, hist, saved):
        self.offset, self.hist, self.saved = offset, hist, saved


def _stack_params(sg, proles):
    """Positions of the captures row-split on axis 1 that the sub-graphs only read rows of."""
    out = []
    for j in range(sg.n_vars, len(proles)):
        if proles[j] != 1:
            continue
        ok = True
        for g in sg.graphs:
            p = g.params[j]
            ok = ok and all(g.nx.nodes[u]["op"] in ("loop_history_read", "loop_saved_read") and
                            g.nx.nodes[u]["inputs"][0] == p and g.nx.nodes[u]["inputs"][1] != p
                            for u in g.nx.successors(p))
        if ok:
            out.append(j)
    return tuple(out)


def split_subgraphs(sg, proles, roles, size):
    """(a copy of the while_loop `sg` whose row-split values hold `size` rows, its `Half`)."""
    graphs = []
    for g, rl in zip(sg.graphs, roles):
        h = g.copy()
        for nid, d in h.nx.nodes(data=True):
            r = rl[nid]
            d["shape"] = _half_shape(d["shape"], r, size)
            if d["op"] in ("reshape", "getitem_grad") and isinstance(r, int):
                d["attrs"]["shape"] = d["shape"]
        graphs.append(h)
    ins = [Aval(_half_shape(a.shape, r, size), a.dtype) for a, r in zip(sg.in_avals, proles)]
    outs = [Aval(_half_shape(a.shape, r, size), a.dtype)
            for a, r in zip(sg.out_avals, proles[:sg.n_vars])]
    half = Subgraphs(sg.kind, graphs, ins, outs, sg.source, sg.n_vars, sg.trip_count)
    half.record, half.saved, half._make_plan = sg.record, sg.saved, sg._make_plan
    hist = {j: size for j in range(sg.n_vars) if proles[j] == 0}
    saved = {q: size for q, m in enumerate(sg.saved) if roles[1][m] == 0}
    return half, Half(_stack_params(sg, proles), hist, saved)


def plan_split(sg, rec=()):
    """(parameter roles, node roles, the halves' row ranges) for running the while_loop `sg`
    split over batch rows on two threads (`rec`: the variables whose histories it records), or
    raise NoSplit(why)."""
    if not ENABLED:
        raise NoSplit("loop splitting is off (loop_split.ENABLED)")
    if usable_cores() < 2:
        raise NoSplit("one usable core")
    if sg.trip_count is None:
        raise NoSplit("the trip count is known only at run time")
    counts = {}
    for a in sg.in_avals[:sg.n_vars]:
        s = tuple(a.shape)
        if len(s) and np.dtype(a.dtype).kind == "f":
            counts[s[0]] = counts.get(s[0], 0) + 1
    whys = []
    for batch in sorted(counts, key=lambda b: -counts[b]):
        if batch < 2 * MIN_ROWS:
            whys.append(f"{batch} rows: too few to split")
            continue
        try:
            proles, roles = batch_roles(sg, batch)
            for j in rec:
                if proles[j] not in (None, 0):
                    raise NoSplit(f"the history of loop variable {j} is {_fmt(proles[j])}")
            for m in sg.saved:
                if roles[1][m] not in (None, 0):
                    raise NoSplit(f"saved value %{m} is {_fmt(roles[1][m])}")
        except NoSplit as e:
            whys.append(f"{batch} rows: {e}")
            continue
        mid = batch // 2
        return proles, roles, [(0, mid), (mid, batch)]
    raise NoSplit("; ".join(whys) or "no float loop variable with rows")


def _take(x, role, lo, hi, first, whole):
    if role is None or whole:
        return x
    if role == R:
        return x if first else np.zeros_like(x)
    return np.asarray(x)[(slice(None),) * role + (slice(lo, hi),)]


def _join(parts, role):
    if role is None:
        return parts[0]
    if role == R:
        return np.asarray(parts[0] + parts[1], np.asarray(parts[0]).dtype)[()]
    return np.concatenate(parts, axis=role)


class SplitDriver:
    """The compiled loop run as one LoopDriver per half of the batch rows, the halves at once on
    the chunk pool, writing their rows of one set of history / saved buffers; `run(xs, key)`
    returns what the unsplit driver returns. Whenever one thread measures faster (a
    `BlasChoice` per loop, as a plan's: on a loaded machine the halves wait for each other's
    time slices) the whole loop runs instead: `make_whole()` gives its driver, compiled the
    first time one thread is chosen (the halves run one after the other until it is ready).
    """

    def __init__(self, sg, proles, roles, ranges, drivers, rec, make_whole=None):
        self.sg, self.proles, self.ranges, self.drivers = sg, proles, ranges, drivers
        self.rec, self.whole, self.make_whole = rec, None, make_whole
        self.stacks = set(_stack_params(sg, proles))
        self.choice = BlasChoice()
        self.runs = 0
        self.describe = ("one compiled loop per half of the batch rows (" +
                         "+".join(str(hi - lo) for lo, hi in ranges) + "), run at once")

    def _halves_ready(self):
        return all(d.ready for d in self.drivers) and not any(d.error for d in self.drivers)

    def _whole_ready(self):
        return self.whole is not None and self.whole.ready and not self.whole.error

    @property
    def ready(self):
        return self._halves_ready()

    @property
    def error(self):
        return next((d.error for d in self.drivers if d.error), None)

    def _one_thread(self, xs, key):
        if self.whole is None and self.make_whole is not None:
            self.whole, self.make_whole = self.make_whole(), None
        if self._whole_ready():
            return self.whole.run(xs, key)
        return self._split(xs, key, False)

    def run(self, xs, key):
        self.runs += 1
        if ONE_THREAD.depth or threading.current_thread().name.startswith("graphflow-chunks"):
            # (the enclosing plan measured one thread faster, or this runs in a pool job)
            return self._one_thread(xs, key)
        single = self.choice.begin()
        t0 = time.perf_counter()
        out = self._one_thread(xs, key) if single else self._split(xs, key, True)
        self.choice.end(single, time.perf_counter() - t0)
        return out

    def _split(self, xs, key, threads):
        sg, n = self.sg, self.sg.n_vars
        rows = sg.trip_count + 1
        hist = [np.empty((rows,) + tuple(sg.in_avals[j].shape), sg.in_avals[j].dtype)
                for j in self.rec]
        saved = []
        for m in sg.saved:
            d = sg.graphs[1].nx.nodes[m]
            saved.append(np.empty((rows,) + tuple(d["shape"]), d["dtype"]))
        parts = [[_take(x, r, lo, hi, i == 0, j in self.stacks)
                  for j, (x, r) in enumerate(zip(xs, self.proles))]
                 for i, (lo, hi) in enumerate(self.ranges)]
        res = [None] * len(parts)

        def go(a, b):
            for i in range(a, b):
                res[i] = self.drivers[i].run(parts[i], key, (hist, saved), self.ranges[i][0])
        if threads:
            pool().run(go, len(parts), chunk=1)
        else:
            go(0, len(parts))
        out = [_join([r[j] for r in res], self.proles[j]) for j in range(n)]
        return out + res[0][n:]
