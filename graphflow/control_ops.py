"""Control-flow primitives: `cond` and `while_loop`, nodes that hold traced sub-graphs.

Design (TF 2 semantics, single-output op table):

* A branch (or a loop's condition/body) is traced into its own sub-graph by a `BranchBuilder`,
  a GraphBuilder nested in the graph being built. Values the branch uses from enclosing graphs
  are *captured*: each becomes a parameter of the sub-graph and an input of the node, so the
  node's inputs are `[pred, *captures]` (cond) or `[*loop_vars, *captures]` (while_loop).
  Variables read in a branch are read in the enclosing graph (so they stay ordered with its
  assigns) and captured. Both sub-graphs of a node take the same parameter list.
* The op table has single-output primitives, so a cond / while_loop with k results is k nodes
  that share one `Subgraphs` object and differ in the `index` attr. The shared object memoizes
  the last run (same input objects, no plan run in between), so the k nodes run the taken branch
  (or the loop) once. CSE compares `Subgraphs` by identity: nodes are merged only when they hold
  the same object and index, i.e. compute the same value.
* cond's impl runs only the taken branch (a NumpyPlan of its optimized sub-graph); its VJP is
  again a cond, whose branches replay the forward branch under a GradientTape and return the
  gradients with respect to the captures. The untaken branch never runs, forward or backward
  (no NaN leakage), and second order works because the VJP is itself made of graphflow ops.
  The gradient branch recomputes the forward branch (nothing is stored between passes).
* while_loop's impl runs the condition/body plans until the condition is False. A backend may
  run the whole loop as one compiled function instead (the plan class's `loop_driver`; the numba
  backend's `backends/numba/loop.py`: no Python per iteration); `Subgraphs.loop_lowering` says
  whether it does and, if not, why.
"""
import numpy as np

from . import state as _state
from .blas_threads import SINGLE_BLAS, SMALL_GEMM
from .dispatch import NUMERICS_CHECKS, bind
from .errors import InvalidArgumentError
from .evaluate import NumpyPlan, run_count as _runs
from .graph import GraphBuilder, specialize, user_source
from .nest import describe as describe_structure, flatten, structure
from .ops.dynamic_index import DYNAMIC_GETITEM
from .ops.math_ops import MATMUL, zeros_like
from .ops.scatter_rows import add_rows
from .ops.shape_ops import gather, reshape, transpose
from .ops.registry import (CONSTANT, CONTROL, EFFECT, OPS, PARAMETER, READ_VARIABLE, VIA_VJP,
                           Bilinear, Linear,
                           Aval, defop, fmt_avals, linear_in, shapes_agree)
from .autodiff.forward import ForwardAccumulator, tangent_of
from .tape import GradientTape
from .shapes import evaluate, has_dim
from .tensor import SymbolicTensor, Tensor, convert_to_tensor, to_tensor


#: Move per-step gemms out of while_loops (`hoist_row_matmuls`: x_t @ w before the loop, and in
#: the VJP the gradient of a right-multiplied capture as one A^T @ G after the reverse loop). Off
#: by default: the big gemms this makes run on numpy's multi-threaded OpenBLAS, which on a loaded
#: machine collapses; measured on 2 shared cores at load 5-7 (Keras LSTM train step, batch 64,
#: 100 steps, 32 features, 64 units; processes interleaved): 2.7-4.4x slower with it than
#: without, and equal (1.00) with OPENBLAS_NUM_THREADS=1. Values and gradients are the same.
#: Re-measured with the products saved for the reverse loop (`SAVED_OPS`; one process, the two
#: builds' steps interleaved, CPU time, load 4-6): 1.05-1.08x with it, 1.05x on one BLAS thread,
#: deferring only the kernels' gradients 1.01-1.02x: an RNN step's (64,64)x(64,256) gemm already
#: runs near one core's peak, and the rows the big gemms need cost a copy and a scatter.
HOIST_LOOP_GEMMS = False

#: ops of a while_loop body whose per-iteration results the forward loop keeps for the reverse
#: loop (which otherwise recomputes them when it replays the body): the products (an RNN step's
#: x_t @ kernel and h @ recurrent_kernel); cheap elementwise values are recomputed, fused.
SAVED_OPS = {MATMUL.name}


def _gemm_size(g, d):
    """Multiply-adds of a matmul node of graph `g` (None: a dim unknown)."""
    a = g.nx.nodes[d["inputs"][0]]["shape"]
    k = a[-2] if d["attrs"].get("transpose_a") else a[-1]
    dims = tuple(d["shape"]) + (k,)
    if not all(isinstance(x, (int, np.integer)) for x in dims):
        return None
    return int(np.prod(dims))


def small_gemms(graphs):
    """True if the graphs (nested sub-graphs included) have matmuls and all of them are at most
    SMALL_GEMM multiply-adds (`graphflow.blas_threads`: an RNN step's products; one BLAS thread
    runs them faster)."""
    sizes = []
    for g in graphs:
        for _, d in g.nx.nodes(data=True):
            if d["op"] == MATMUL.name:
                sizes.append(_gemm_size(g, d))
            for v in d["attrs"].values():
                if isinstance(v, Subgraphs) and not small_gemms(v.graphs):
                    return False
    return bool(sizes) and all(x is not None and x <= SMALL_GEMM for x in sizes)


class _Rows:
    """The rows of one loop history as they come: copied into one buffer when their number is
    known (`rows`), else listed and stacked at the end. Rows whose shapes differ (a variable
    with a run-time shape invariant, e.g. a growing TensorArray) are kept as a 1-D object array
    of the arrays: reading row k (`loop_history_read`) gives the array of iteration k."""

    def __init__(self, rows):
        self.rows, self.buf, self.list = rows, None, []

    def add(self, v):
        v = np.asarray(v)
        if self.buf is not None and v.shape != self.buf.shape[1:]:   # (shapes vary): a list
            self.list, self.buf, self.rows = list(self.buf[:self.k]), None, None
        if self.rows is None:
            self.list.append(v)
            return
        if self.buf is None:
            self.buf, self.k = np.empty((self.rows,) + v.shape, v.dtype), 0
        self.buf[self.k] = v
        self.k += 1

    def stack(self):
        if self.buf is not None:
            return self.buf
        if len({a.shape for a in self.list}) > 1:
            out = np.empty(len(self.list), object)
            for i, a in enumerate(self.list):
                out[i] = a
            return out
        return np.stack(self.list)


class Subgraphs:
    """The traced sub-graphs of one cond (true, false) or while_loop (condition, body) node.

    Immutable and shared by the node's per-output copies; compared and hashed by identity.
    `in_avals` are the parameters' shapes/dtypes (the same for all sub-graphs), `out_avals` the
    node outputs'. Plans are built lazily from the pass pipeline's optimized sub-graphs.
    """

    def __init__(self, kind, graphs, in_avals, out_avals, source, n_vars=0, trip_count=None):
        self.kind, self.graphs, self.source = kind, tuple(graphs), source
        self.trip_count = trip_count   # while_loop: known at trace time (checked when it runs)
        self.in_avals, self.out_avals, self.n_vars = tuple(in_avals), tuple(out_avals), n_vars
        self._plans = None
        self._memo = None
        # while_loop: the variables whose every iteration's value is kept (a gradient or
        # loop_output asks; one set shared by this object's copies)
        self.record = set()
        # while_loop: body nodes (ids) whose every iteration's value the forward loop stacks for
        # the reverse loop, which then reads them instead of recomputing them (`SAVED_OPS`;
        # output 2n+1+q is saved[q]'s stack; one list shared by this object's copies)
        self.saved = []
        self._plans_saved = 0
        self._has_dims = None
        self._small = None
        self._specialized = {}
        self._make_plan, self._backends = NumpyPlan, {}
        self._drivers, self.loop_lowering = {}, None
        self.verified = False
        # sub-graphs that print/assign: the nodes are ordered effects and never folded
        self.has_effects = any(g.effects for g in self.graphs)

    def __getstate__(self):
        # the sub-graphs, not their run-time caches: plans (compiled kernels, bound methods),
        # per-backend and per-shape copies, drivers (a graph that has run can be pickled:
        # tf.saved_model.save after calls)
        state = dict(self.__dict__)
        state.update(_plans=None, _memo=None, _plans_saved=0, _specialized={},
                     _make_plan=NumpyPlan, _backends={}, _drivers={})
        return state

    def has_dims(self):
        """True if a shape here holds an unknown dim (`graphflow.shapes.Dim`)."""
        if self._has_dims is None:
            self._has_dims = has_dim([tuple(a.shape) for a in self.in_avals + self.out_avals]) \
                or any(has_dim(d["shape"]) or has_dim(d["attrs"])
                       for g in self.graphs for _, d in g.nx.nodes(data=True))
        return self._has_dims

    def evaluate_dims(self, env):
        """A copy with the unknown dims replaced by the ints of `env` (what `graphflow.graph.
        specialize` does to the enclosing graph, for a call of concrete shapes)."""
        if not self.has_dims():
            return self
        key = tuple(sorted(env.items()))
        if key in self._specialized:   # the loop's per-output nodes keep sharing one object
            return self._specialized[key]
        sg = self._specialized[key] = Subgraphs(self.kind, [specialize(g, env) for g in self.graphs],
                       [Aval(evaluate(tuple(a.shape), env), a.dtype) for a in self.in_avals],
                       [Aval(evaluate(tuple(a.shape), env), a.dtype) for a in self.out_avals],
                       self.source, self.n_vars, self.trip_count)
        sg.record, sg.saved = self.record, self.saved
        return sg

    def with_backend(self, make_plan):
        """A copy whose sub-graphs run as `make_plan(graph)` plans (a backend running the
        enclosing graph asks for its own plans; one copy per backend, shared by the node's
        per-output copies so the loop still runs once)."""
        if make_plan is self._make_plan:
            return self
        sg = self._backends.get(make_plan)
        if sg is None:
            sg = self._backends[make_plan] = Subgraphs(
                self.kind, self.graphs, self.in_avals, self.out_avals, self.source, self.n_vars,
                self.trip_count)
            sg.record, sg.saved, sg._make_plan = self.record, self.saved, make_plan
        return sg

    def plans(self):
        ns = len(self.saved)
        if self._plans is None or self._plans_saved != ns:
            graphs = list(self.graphs)
            if ns:   # the body's plan also returns the saved nodes' values
                graphs[1] = graphs[1].copy()
                graphs[1].outputs = graphs[1].outputs + list(self.saved)
            self._plans, self._plans_saved = [self._make_plan(g) for g in graphs], ns
            self._drivers = {}
        return self._plans

    def _memoized(self, args, compute):
        m = self._memo
        if m is not None and m[0] == _runs() and len(m[1]) == len(args) and \
                all(a is b for a, b in zip(m[1], args)):
            return m[2]
        out = compute()
        self._memo = (_runs(), tuple(args), out)
        return out

    def run_cond(self, pred, caps):
        plans = self.plans()
        return self._memoized((pred,) + caps,
                              lambda: plans[0 if bool(pred) else 1].run(list(caps)))

    def run_loop(self, xs):
        """Final loop variables; with `record` set (a gradient asked for the history) also the
        history of each variable (its values entering every body call, then its final value:
        trip count + 1 rows) and the trip count; then the stacks of the `saved` body values (one
        row per body call)."""
        cond_plan, body_plan = self.plans()
        n, ns = self.n_vars, self._plans_saved
        key = (tuple(sorted(self.record)), ns)
        rec = key[0]
        if self._small is None:
            self._small = small_gemms(self.graphs)

        driver = self._driver(cond_plan, body_plan, rec, ns)

        def loop():
            go = run if driver is None or not driver.ready or NUMERICS_CHECKS else \
                (lambda: driver.run(xs, key))
            if self._small:   # small per-iteration gemms: one BLAS thread (SMALL_GEMM)
                with SINGLE_BLAS:
                    return go()
            return go()

        def run():
            vs, caps = list(xs[:n]), list(xs[n:])
            trip = self.trip_count
            hist = [_Rows(None if trip is None else trip + 1) for _ in rec]
            saved = [_Rows(trip) for _ in range(ns)]
            k = 0
            while bool(cond_plan.run(vs + caps)[0]):
                if trip is not None and k == trip:
                    raise InvalidArgumentError(
                        f"while_loop at {self.source}: runs more than the {trip} iterations it "
                        "was traced for")
                for h, j in zip(hist, rec):
                    h.add(vs[j])
                vs = body_plan.run(vs + caps)
                for q in range(ns):
                    saved[q].add(vs[n + q])
                del vs[n:]
                k += 1
            if trip is not None and k != trip:
                raise InvalidArgumentError(
                    f"while_loop at {self.source}: ran {k} iterations, but was traced for "
                    f"exactly {trip}")
            stacks = [None] * n
            for h, j in zip(hist, rec):
                h.add(vs[j])
                stacks[j] = h.stack()
            return vs + stacks + [np.int32(k)] + [
                r.stack() if k else self._no_rows(q) for q, r in enumerate(saved)] + [key]
        out = self._memoized(xs, loop)
        if out[-1] != key:   # memo from a run recording fewer histories: run again
            self._memo = None
            out = self._memoized(xs, loop)
        return out

    def _driver(self, cond_plan, body_plan, rec, ns):
        """The backend's compiled form of the whole loop (the plan class's `loop_driver`: the
        numba backend runs condition and body as one numba function), or None: run the plans
        step by step. One per set of recorded histories and saved values; `loop_lowering` says
        why a loop is not compiled."""
        make = getattr(self._make_plan, "loop_driver", None)
        if make is None:
            return None
        k = (rec, ns)
        if k not in self._drivers:
            self._drivers[k], why = make(self, cond_plan, body_plan, rec, ns)
            self.loop_lowering = why or getattr(self._drivers[k], "describe", "one compiled loop")
        d = self._drivers[k]
        if d is not None and d.error:
            self.loop_lowering = f"compiling the loop failed, it runs step by step: {d.error}"
            d = self._drivers[k] = None
        return d

    def _no_rows(self, q):
        """The stack of saved value q after zero iterations (unknown dims: 0)."""
        d = self.graphs[1].nx.nodes[self.saved[q]]
        return np.zeros((0,) + tuple(x if isinstance(x, (int, np.integer)) else 0
                                     for x in d["shape"]), d["dtype"])

    def loop_aval(self, index):
        """Aval of while_loop output `index`: final variable (< n), history of variable
        index - n (< 2n; leading dimension trip count + 1, None unless `trip_count` is known),
        trip count (2n), stack of saved body value index - 2n - 1 (trip count rows)."""
        n = self.n_vars
        if index < n:
            return self.out_avals[index]
        if index < 2 * n:
            a = self.out_avals[index - n]
            rows = None if self.trip_count is None else self.trip_count + 1
            return Aval((rows,) + tuple(a.shape), a.dtype)
        if index > 2 * n:
            d = self.graphs[1].nx.nodes[self.saved[index - 2 * n - 1]]
            return Aval((self.trip_count,) + tuple(d["shape"]), np.dtype(d["dtype"]))
        return Aval((), np.dtype(np.int32))

    def __repr__(self):
        return (f"<{self.kind} sub-graphs " + ", ".join(
            f"{g.name}: {g.nx.number_of_nodes()} nodes" for g in self.graphs) + ">")


# ------------------------------------------------------------------ tracing sub-graphs
def _ckey(t):
    if isinstance(t, SymbolicTensor):
        return ("sym", id(t._graph), t._node)
    return ("eager", id(t))


class BranchBuilder(GraphBuilder):
    """A sub-graph being traced inside another (or eagerly): a cond branch, a loop condition or
    body. Leading parameters are explicit (loop variables); values from enclosing graphs - and
    eager tensors an outer tape watches - are captured as further parameters, listed (as the
    outer values) in `captures`."""

    def __init__(self, name, parent, outer_tapes, outer_adjoint):
        super().__init__(name)
        self.parent, self.outer_tapes, self.outer_adjoint = parent, outer_tapes, outer_adjoint
        self.captures = []
        self._captured = {}
        self.allow_variable_creation = False
        self.read_inside = set()   # ids of Variables read here each time (a loop assigns them)
        self._outer_of = {}   # parameter node -> its enclosing value (capture or loop entry)

    def _ancestor(self, g):
        p = self.parent
        while p is not None:
            if p is g:
                return True
            p = getattr(p, "parent", None)
        return False

    def capture(self, outer):
        """The parameter node standing for `outer` (a value of the parent graph or eager)."""
        k = _ckey(outer)
        nid = self._captured.get(k)
        if nid is None:
            d = Aval(tuple(outer.shape), np.dtype(outer.dtype.np))
            nid = self.add_node(PARAMETER.name, (), {"index": len(self.params),
                                                  "name": f"capture{len(self.captures)}"},
                                d.shape, d.dtype, source=user_source())
            self.params.append(nid)
            self.captures.append(outer)
            self._captured[k] = nid
            self._outer_of[nid] = outer
        return nid

    def _param_value(self, n):
        """A parameter's value when the sub-graph first runs, for `lift` (a numpy_function
        learning its output shapes inside a loop body): a capture's is the enclosing value's, a
        loop variable's its entry value, when those are known at trace time. Random draws
        before it stay draws (a value computed only to be looked at)."""
        if n in self.param_values:
            return self.param_values[n]
        outer = self._outer_of.get(n)
        if outer is None:
            return super()._param_value(n)
        v = outer._graph.lift(outer, freeze=False) if isinstance(outer, SymbolicTensor) \
            else outer
        self.param_values[n] = v = np.asarray(v._value if isinstance(v, Tensor) else v)
        return v

    def _outer(self):
        return _state.using(graph=self.parent, tapes=self.outer_tapes, adjoint=self.outer_adjoint)

    def _node_of(self, t):
        if isinstance(t, SymbolicTensor):
            if t._graph is self:
                return t._node
            if self._ancestor(t._graph):
                if t._graph is not self.parent:   # a grand-parent's value: the parent captures it
                    with self._outer():
                        t = self.parent._sym(self.parent._node_of(t))
                return self.capture(t)
            return super()._node_of(t)   # raises: a tensor of an unrelated trace
        if any(id(t) in tape._watched for tape in self.outer_tapes):
            return self.capture(t)       # eager, watched: an input, so gradients reach it
        return super()._node_of(t)

    def read_variable(self, var):
        if id(var) in self._last_write or id(var) in self.read_inside:
            return super().read_variable(var)   # assigned here: read it here, after that
        with self._outer():
            t = var._read()     # read in the enclosing graph (ordered with its assigns)
        return self._sym(self.capture(t) if isinstance(t, SymbolicTensor) or any(
            id(t) in tape._watched for tape in self.outer_tapes) else self._node_of(t))

    def on_variable_created(self, var):
        raise ValueError(f"a Variable was created at {user_source()} inside a cond branch or "
                         "while_loop body with a tensor predicate; create it outside")

    def output(self, value, dtype=None):
        """Node id of a branch result (Python numbers converted in this graph, to `dtype`)."""
        with _state.using(graph=self, tapes=(), adjoint=None):
            return self._node_of(to_tensor(value, dtype))


def trace_branch(fn, name, inputs=(), read_inside=(), entry=()):
    """Trace fn(*params) into a new BranchBuilder; inputs = [(shape, dtype)] of explicit params;
    `read_inside`: Variables read inside the sub-graph every time it runs (not captured);
    `entry`: the explicit params' first values (a loop's entry values; see `_param_value`).
    Returns (builder, fn's result)."""
    st = _state.current()
    b = BranchBuilder(name, st.graph, st.tapes, st.adjoint)
    b.read_inside = {id(v) for v in read_inside}
    with _state.using(graph=b, tapes=(), adjoint=None):
        args = [b.parameter(i, f"arg{i}", s, d) for i, (s, d) in enumerate(inputs)]
        b._outer_of.update((a._node, v) for a, v in zip(args, entry))
        out = fn(*args)
    return b, out


def unify_captures(builders, n_explicit=0):
    """Give all builders the same parameter list: explicit params, then the union of captures.
    Returns the union (outer values, the node's capture inputs)."""
    union, keys = [], set()
    for b in builders:
        for c in b.captures:
            if _ckey(c) not in keys:
                keys.add(_ckey(c))
                union.append(c)
    for b in builders:
        for c in union:
            b.capture(c)
        b.params = b.params[:n_explicit] + [b._captured[_ckey(c)] for c in union]
    return union


def check_effects(builders, what, src, writes=True):
    """The Variables the sub-graphs assign. Prints, random draws (and, unless `writes` is False,
    assigns) may run inside a branch or loop body; collectives may not."""
    kinds = {e for b in builders for n in b.effects
             for e in OPS[b.nx.nodes[n]["op"]].effects}
    bad = kinds & ({"collective"} | (set() if writes else {"write"}))
    if bad:
        raise NotImplementedError(
            f"{what} at {src}: {'/'.join(sorted(bad))} effects inside a branch or loop body with "
            "a tensor condition are not supported; move them out, e.g. "
            "v.assign(cond(pred, lambda: new, lambda: v))")
    out = []
    for b in builders:
        for var in b.variables.values():
            if id(var) in b._last_write and all(v is not var for v in out):
                out.append(var)
    return out


def chain_effects(outs, sg, writes):
    """Order the nodes of an effectful cond/while_loop in the enclosing graph's effects."""
    g = _state.current().graph
    if not sg.has_effects or g is None:
        return
    g.chain_effect([o._node for o in outs if o is not None], writes)


def _aval(g, n):
    d = g.nx.nodes[n]
    return Aval(tuple(d["shape"]), np.dtype(d["dtype"]))


# ------------------------------------------------------------------ cond
def build_cond(pred, true_fn, false_fn, src, keep=None):
    """cond with a tensor predicate as cond nodes (works eagerly too: the node runs at once).

    Returns (flat outputs, rebuild); `keep()` (called after tracing) may say which outputs to
    emit (others are None)."""
    bt, t_out = trace_branch(true_fn, "cond_true")
    bf, f_out = trace_branch(false_fn, "cond_false")
    writes = check_effects([bt, bf], "cond", src)
    tl, rebuild = flatten(t_out)
    fl, _ = flatten(f_out)
    if len(tl) != len(fl):
        raise ValueError(f"cond at {src}: true_fn returned {len(tl)} values but "
                         f"false_fn returned {len(fl)}")
    if structure(t_out) != structure(f_out):
        raise ValueError(f"cond at {src}: true_fn returned "
                         f"{describe_structure(structure(t_out))} but false_fn returned "
                         f"{describe_structure(structure(f_out))}; both must return the same structure")
    touts, fouts = [], []
    for i, (a, b) in enumerate(zip(tl, fl)):
        dt = next((x.dtype for x in (a, b) if isinstance(x, Tensor) or hasattr(x, "_read")), None)
        na, nb = bt.output(a, dt), bf.output(b, dt)
        aa, ab = _aval(bt, na), _aval(bf, nb)
        if aa != ab:
            raise ValueError(
                f"cond at {src}: output {i} of true_fn is {aa.dtype.name}"
                f"{list(aa.shape)} but false_fn's is {ab.dtype.name}{list(ab.shape)}; both "
                "branches must return the same shapes and dtypes")
        touts.append(na)
        fouts.append(nb)
    n_out = len(touts)
    if bt.effects or bf.effects:   # one more output, a token that runs the effects
        touts.append(bt.output(True))
        fouts.append(bf.output(True))
    bt.outputs, bf.outputs = touts, fouts
    caps = unify_captures([bt, bf])
    sg = Subgraphs("cond", [bt.finish(), bf.finish()], [_aval(bt, p) for p in bt.params],
                   [_aval(bt, n) for n in touts], src)
    emit = keep() if keep is not None else [True] * n_out
    ins = [pred] + caps
    outs = [bind(COND, ins, {"branches": sg, "index": i}) if e else None
            for i, e in enumerate(emit)]
    if sg.has_effects:
        token = bind(COND, ins, {"branches": sg, "index": n_out})
        chain_effects(outs + [token], sg, writes)
    return outs, rebuild


def cond_op(pred, true_fn, false_fn):
    """`cond` as a node even for an eager predicate (the op-table primitive; tf.cond runs Python
    branches eagerly instead)."""
    outs, rebuild = build_cond(to_tensor(pred), true_fn, false_fn, user_source())
    return rebuild(outs)


def _dims_match(have, want):
    return len(have) == len(want) and all(w is None or h == w for h, w in zip(have, want))


def _check_inputs(name, sg, avals):
    if len(avals) != len(sg.in_avals) or any(
            not _dims_match(tuple(a.shape), tuple(b.shape)) or np.dtype(a.dtype) != np.dtype(b.dtype)
            for a, b in zip(avals, sg.in_avals)):
        raise InvalidArgumentError(f"{name}: inputs ({fmt_avals(avals)}) do not match the "
                                   f"sub-graphs' parameters ({fmt_avals(sg.in_avals)})")


def _cond_impl(pred, *caps, branches, index):
    return branches.run_cond(pred, caps)[index]


def _cond_rule(pred, *caps, branches, index):
    if tuple(pred.shape) != ():
        raise InvalidArgumentError(f"cond: the predicate must be a scalar, got shape "
                                   f"{tuple(pred.shape)}")
    _check_inputs("cond", branches, caps)
    return branches.out_avals[index]


def replay(graph, args, hook=None, vals=None, override=None):
    """Apply graph's nodes again, as ops (`bind`) on `args`: its outputs in the current mode
    (eager values, or nodes of the graph being traced) - so a tape can differentiate them.
    `hook(node, value)` sees each value as it is made; `vals` (a dict) receives all of them;
    `override` maps nodes to functions making their value from their inputs' values instead."""
    vals = {} if vals is None else vals
    vals.update(zip(graph.params, args))
    for n in graph.topo():
        if n in vals:
            continue
        d = graph.nx.nodes[n]
        if override and n in override:
            vals[n] = override[n]([vals[u] for u in d["inputs"]])
        elif d["op"] == CONSTANT.name:
            vals[n] = convert_to_tensor(d["attrs"]["value"])
        elif d["op"] in OPS and OPS[d["op"]].kind == EFFECT:
            continue   # prints/assigns ran in the forward pass (they have no value)
        elif d["op"] in OPS:
            vals[n] = bind(OPS[d["op"]], [vals[u] for u in d["inputs"]], d["attrs"])
        else:
            raise NotImplementedError(f"cannot replay a {d['op']!r} node of {graph.name}")
        if hook is not None:
            hook(n, vals[n])
    return [vals[o] for o in graph.outputs]


def check_replayable(sg, what, saved=False):
    """Gradients replay the sub-graphs: refuse (saying why) when they draw random numbers, which a
    replay would draw anew (`saved`: sg's own draws are saved by its forward loop and read back,
    `_drawn`; those of nested sub-graphs are not)."""
    for g in sg.graphs:
        for _, d in g.nx.nodes(data=True):
            for v in d["attrs"].values():   # nested cond/while_loop
                if isinstance(v, Subgraphs):
                    check_replayable(v, what)
            if not saved and d["op"] in OPS and "random" in OPS[d["op"]].effects:
                raise NotImplementedError(
                    f"gradient of the {what} at {sg.source}: its {g.name} draws random numbers "
                    f"({d['op']} at {d.get('source')}), which the gradient's replay would draw "
                    "anew; draw them outside (e.g. all steps' noise at once) and pass them in")


def _cond_vjp(inputs, out, ct, branches, index, needed=None):
    pred, caps = inputs[0], list(inputs[1:])
    diff = [k for k, c in enumerate(caps) if c.dtype.is_floating and (
        needed is None or needed[1 + k])]
    if not diff:
        return [None] * len(inputs)
    check_replayable(branches, "cond")
    srcs = [caps[k] for k in diff]
    nones = [None, None]

    def grad_branch(b):
        def fn():
            with GradientTape() as tape:
                tape.watch(srcs)
                outs = replay(branches.graphs[b], caps)
            gs = tape.gradient(outs[index], srcs, output_gradients=ct)
            nones[b] = [g is None for g in gs]
            return [zeros_like(s) if g is None else g for s, g in zip(srcs, gs)]
        return fn

    src = user_source()
    if isinstance(pred, SymbolicTensor):
        res, _ = build_cond(pred, grad_branch(0), grad_branch(1), src, keep=lambda: [
            not (a and b) for a, b in zip(*nones)])
    else:   # eager: only the taken branch's gradient runs
        b = 0 if bool(pred._value) else 1
        res = grad_branch(b)()
        res = [None if none else r for r, none in zip(res, nones[b])]
    cts = [None] * len(inputs)
    for k, g in zip(diff, res):
        cts[1 + k] = g
    return cts


COND = defop("cond", _cond_impl, _cond_rule, _cond_vjp, jvp=VIA_VJP, kind=CONTROL, vjp_needed=True,
             doc="Run the true or false sub-graph on the captures; output `index` of its results.")


# ------------------------------------------------------------------ while_loop
def _drop_dead(b, nid, n_explicit):
    """Remove node `nid` of the body builder `b` if nothing uses it (a capture parameter: also
    its capture), then its inputs that became unused."""
    g = b.nx
    if nid not in g or g.out_degree(nid) or nid in b.outputs:
        return
    d = g.nodes[nid]
    if d["op"] == PARAMETER.name:
        i = b.params.index(nid)
        if i < n_explicit:
            return
        del b.params[i]
        del b.captures[i - n_explicit]
        for k, v in list(b._captured.items()):
            if v == nid:
                del b._captured[k]
    elif d["op"] not in OPS or OPS[d["op"]].stateful:
        return
    ins = set(d["inputs"])
    g.remove_node(nid)
    for u in ins:
        _drop_dead(b, u, n_explicit)


def hoist_row_matmuls(b, n_explicit):
    """Loop-invariant code motion in a traced loop body `b`: `matmul(loop_history_read(c, k), w)`
    with `c` and `w` loop-invariant (captures or constants) becomes `loop_history_read(C, k)` with
    `C = matmul(c, w)` computed once before the loop, for all rows at once (one big BLAS call
    instead of one small one per iteration; an RNN's input projection x_t @ kernel is this).
    Reverse mode then gets `w`'s gradient as one matmul after the reverse loop too (the rows'
    cotangents are scattered into C's, whose matmul VJP runs outside). Returns the number of
    matmuls hoisted. `build_while` applies it when `HOIST_LOOP_GEMMS` is set (off by default).

    >>> import graphflow as tf
    >>> xs, w = tf.ones((5, 2, 3)), tf.ones((3, 4))
    >>> f = tf.function(lambda xs: tf.while_loop(
    ...     lambda t, s: t < 5, lambda t, s: (t + 1, s + history_read(xs, t) @ w),
    ...     [0, tf.zeros((2, 4))])[1])
    >>> f(xs).numpy()[0].tolist()
    [15.0, 15.0, 15.0, 15.0]
    """
    g = b.nx
    inv = {p: c for p, c in zip(b.params[n_explicit:], b.captures)}

    def outer(nid):   # the enclosing graph's (or eager) value of a loop-invariant node
        if nid in inv:
            return inv[nid]
        d = g.nodes[nid]
        if d["op"] == CONSTANT.name:
            return convert_to_tensor(d["attrs"]["value"])
        return None

    count = 0
    for m in [m for m in g.nodes if g.nodes[m]["op"] == MATMUL.name]:
        d = g.nodes[m]
        r, w = d["inputs"]
        if d["attrs"].get("transpose_a") or g.nodes[r]["op"] != HISTORY_READ.name or \
                r == w or len(d["shape"]) != 2:
            continue
        c, k = g.nodes[r]["inputs"]
        cv, wv = outer(c), outer(w)
        if cv is None or wv is None or len(wv.shape) != 2 or len(cv.shape) != 3:
            continue
        shape = tuple(cv.shape)
        if not all(isinstance(s, (int, np.integer)) for s in shape + tuple(d["shape"])):
            continue   # (a history of unknown length, an unknown batch: left in the loop)
        with b._outer():   # one (rows*batch, k) @ (k, n) gemm
            big = reshape(bind(MATMUL, [reshape(cv, (-1, shape[-1])), wv], d["attrs"]),
                          shape[:2] + (d["shape"][-1],))
        pc = b.capture(big)
        inv[pc] = big
        new = b.add_node(HISTORY_READ.name, (pc, k), {}, d["shape"], d["dtype"],
                         source=d["source"], tags=d["tags"])
        b.replace_uses(m, new)
        _drop_dead(b, m, n_explicit)
        count += 1
    return count


def build_while(cond, body, vars_, src, single=False, with_loop=False, trip_count=None,
                invariants=None):
    """while_loop with a traced condition as while_loop nodes; vars_ are tensors (`single`: the
    loop variable was given bare, so body returns one value). Returns the final variables
    (`with_loop`: also the Subgraphs and the node inputs, for more outputs of the same loop).
    `trip_count`: the number of iterations, if known when tracing (the histories then have
    static shapes; running a different number of times is an error). `invariants`: per
    variable None or a shape whose None dims may change between iterations (TF's
    shape_invariants; a growing TensorArray's rows)."""
    specs = [(_invariant(v, inv, src), v.dtype.np)
             for v, inv in zip(vars_, invariants or [None] * len(vars_))]
    n = len(vars_)

    def as_list(out):
        return list(out) if isinstance(out, (list, tuple)) else [out]

    def trace(read_inside=()):
        bc, c_out = trace_branch(lambda *a: cond(*a), "while_cond", specs, read_inside, vars_)
        bb, b_out = trace_branch(lambda *a: [body(*a)] if single else as_list(body(*a)),
                                 "while_body", specs, read_inside, vars_)
        return bc, c_out, bb, b_out

    bc, c_out, bb, b_out = trace()
    writes = check_effects([bc, bb], "while_loop", src)
    if writes:   # Variables the body assigns are read afresh in every iteration: trace again
        bc, c_out, bb, b_out = trace(writes)
    cn = bc.output(c_out)
    ca = _aval(bc, cn)
    if ca.shape != ():
        raise ValueError(f"while_loop at {src}: the condition must return a scalar, got "
                         f"{ca.dtype.name}{list(ca.shape)}")
    if len(b_out) != n:
        raise ValueError(f"while_loop at {src}: body returned {len(b_out)} values for {n} loop "
                         "variables")
    outs = []
    for i, (v, (s, dt)) in enumerate(zip(b_out, specs)):
        nid = bb.output(v, vars_[i].dtype)
        a = _aval(bb, nid)
        if a.dtype != np.dtype(dt) or not shapes_agree(   # unknown dims: checked at run time
                "while_loop", (a,), a.shape, s, f"loop variable {i} must keep its shape {s}"):
            raise ValueError(
                f"while_loop at {src}: body returned {a.dtype.name}{list(a.shape)} for loop "
                f"variable {i}, which entered as {np.dtype(dt).name}{list(s)}; loop variables "
                "must keep their shapes and dtypes")
        outs.append(nid)
    bc.outputs, bb.outputs = [cn], outs
    if not writes and HOIST_LOOP_GEMMS:
        hoist_row_matmuls(bb, n)
    caps = unify_captures([bc, bb], n)
    sg = Subgraphs("while_loop", [bc.finish(), bb.finish()], [_aval(bb, p) for p in bb.params],
                   [Aval(s, np.dtype(d)) for s, d in specs], src, n_vars=n,
                   trip_count=trip_count)
    ins = list(vars_) + caps
    outs = [bind(WHILE, ins, {"loop": sg, "index": i}) for i in range(n)]
    chain_effects(outs, sg, writes)
    return (outs, sg, ins) if with_loop else outs


def _invariant(v, inv, src):
    """The shape a loop variable keeps: its entry shape, or the shape invariant `inv` (None
    dims: any size, changing between iterations) when the entry shape fits it."""
    if inv is None:
        return tuple(v.shape)
    inv = tuple(None if d is None else d for d in inv)
    if len(inv) != len(v.shape) or any(a is not None and a != b for a, b in zip(inv, v.shape)):
        raise ValueError(f"while_loop at {src}: the shape invariant {list(inv)} does not fit the "
                         f"loop variable's entry shape {list(v.shape)}")
    return inv


def while_op(cond, body, loop_vars):
    """`while_loop` as nodes even for eager loop variables (the op-table primitive)."""
    single = not isinstance(loop_vars, (list, tuple))
    vs = [to_tensor(v) for v in ([loop_vars] if single else loop_vars)]
    out = build_while(cond, body, vs, user_source(), single)
    return out[0] if single else type(loop_vars)(out)


def _while_impl(*xs, loop, index):
    return loop.run_loop(xs)[index]


def _while_rule(*xs, loop, index):
    _check_inputs("while_loop", loop, xs)
    if not 0 <= index <= 2 * loop.n_vars + len(loop.saved):
        raise InvalidArgumentError(f"while_loop: output index {index} out of range for "
                                   f"{loop.n_vars} loop variables")
    return loop.loop_aval(index)


# Gradients. Output `index` of a loop with n variables is: the final variable (index < n), the
# history of variable index-n - its value entering each body call, stacked (index < 2n) - the
# trip count (2n) or the stack of a saved body value (> 2n: `SAVED_OPS` results, one row per
# body call). The forward loop keeps the histories and saved values once a gradient asks for them
# (as TF's while_v2 pushes intermediates on a stack); the VJP is a second while_loop running
# backwards over them: at step k it reads the variables entering body call k, replays the body
# under a GradientTape - reading the saved products (loop_saved_read) instead of recomputing
# them - and pulls the cotangents back through it, summing the captures' cotangents.
# Being made of graphflow ops (while_loop, replay, reads of the history), the VJP is itself
# differentiable. The JVP is one loop over (variables, tangents): the body replayed under a
# ForwardAccumulator.
def _history_read_rule(h, k):
    if tuple(k.shape) != () or np.dtype(k.dtype).kind not in "iu":
        raise InvalidArgumentError(f"loop_history_read: the step must be an integer scalar, got "
                                   f"{fmt_avals([k])}")
    if len(h.shape) < 1:
        raise InvalidArgumentError(f"loop_history_read: needs a stacked history, got "
                                   f"{fmt_avals([h])}")
    return Aval(tuple(h.shape)[1:], h.dtype)


def _history_grad_impl(h, k, g):
    out = np.zeros(h.shape, h.dtype)
    out[int(k)] = g
    return out


def _history_grad_rule(h, k, g):
    _history_read_rule(h, k)
    if not shapes_agree("loop_history_grad", (h, k, g), g.shape, tuple(h.shape)[1:],
                        "the row must match the history's rows") \
            or np.dtype(g.dtype) != np.dtype(h.dtype):   # (unknown dims: checked at run time)
        raise InvalidArgumentError(f"loop_history_grad: the row must match the history's rows "
                                   f"(inputs: {fmt_avals([h, k, g])})")
    return Aval(tuple(h.shape), h.dtype)


HISTORY_READ = defop(
    "loop_history_read", lambda h, k: h[int(k)], _history_read_rule,
    lambda i, o, g: [bind(HISTORY_GRAD, [i[0], i[1], g], {}), None], jvp=linear_in(0),
    doc="Row `k` of a while_loop's history stack (the variables entering body call k).")
HISTORY_GRAD = defop(
    "loop_history_grad", _history_grad_impl, _history_grad_rule,
    lambda i, o, g: [None, None, bind(HISTORY_READ, [g, i[1]], {})], jvp=linear_in(2),
    doc="Zeros shaped like the history `h` with row `k` set to `g` (loop_history_read's VJP).")


def _history_scatter_impl(h, idx, rows):
    out = np.zeros(h.shape, h.dtype)
    idx = np.asarray(idx, np.intp)
    if idx.size and out.shape[0]:
        idx = np.where(idx < 0, idx + out.shape[0], idx)
        if np.unique(idx).size == idx.size:   # distinct rows (a loop reading each row once):
            out[idx] = rows                   # a plain scatter, much faster than ufunc.at
            return out
    add_rows(out, idx, rows)
    return out


def _history_scatter_rule(h, idx, rows):
    if np.dtype(idx.dtype).kind not in "iu" or len(idx.shape) != 1 or len(rows.shape) < 1 \
            or not shapes_agree("loop_history_scatter", (h, idx, rows), tuple(rows.shape)[1:],
                                tuple(h.shape)[1:], "rows must have the history's row shape") \
            or np.dtype(rows.dtype) != np.dtype(h.dtype):
        raise InvalidArgumentError(
            f"loop_history_scatter: needs integer row indices (k,) and rows (k, *row shape) of the "
            f"history's dtype (inputs: {fmt_avals([h, idx, rows])})")
    return Aval(tuple(h.shape), h.dtype)


HISTORY_SCATTER = defop(
    "loop_history_scatter", _history_scatter_impl, _history_scatter_rule,
    lambda i, o, g: [None, None, gather(g, i[1])], jvp=linear_in(2),
    doc="Zeros shaped like `h` with `rows[i]` added at row `idx[i]` (a while_loop VJP's "
        "cotangent of a captured sequence it reads rows of).")


def _saved_read_rule(h, k, *xs, op, attrs):
    row = _history_read_rule(h, k)
    want = OPS[op].rule(*xs, **dict(attrs))
    static = all(isinstance(x, (int, np.integer)) for x in tuple(row.shape) + tuple(want.shape))
    if (static and tuple(row.shape) != tuple(want.shape)) or \
            np.dtype(row.dtype) != np.dtype(want.dtype):
        raise InvalidArgumentError(
            f"loop_saved_read: the saved rows must be {op}'s results, got rows "
            f"{fmt_avals([row])} for {op}({fmt_avals(xs)}) = {fmt_avals([want])}")
    return want


SAVED_READ = defop(
    "loop_saved_read", lambda h, k, *xs, op, attrs: h[int(k)], _saved_read_rule,
    lambda i, o, g, op, attrs: [None, None] + list(OPS[op].vjp(list(i[2:]), o, g, **dict(attrs))),
    jvp=lambda i, o, t, op, attrs: tangent_of(OPS[op], list(i[2:]), dict(attrs), o, list(t[2:])),
    doc="`op(*xs)`'s value read from row `k` of a stack the forward while_loop saved (inputs "
        "h, k, *xs); its derivatives are op's with respect to xs. The reverse loop's replay of "
        "the body reads saved matmul results with it instead of recomputing them.")


def saved_read(h, k, op, xs, attrs):
    """Row `k` of `h`, standing for `op(*xs, **attrs)` (which it must equal; `attrs`: all of
    op's attributes, as its nodes hold them): differentiated as that op, computed as a read.

    >>> import graphflow as tf
    >>> a, b = tf.constant([[1., 2.]]), tf.constant([[3.], [4.]])
    >>> with tf.GradientTape() as t:
    ...     t.watch(a)
    ...     y = saved_read(tf.stack([a @ b]), tf.constant(0), "matmul", [a, b],
    ...                    {"transpose_a": False, "transpose_b": False})
    >>> y.numpy().tolist(), t.gradient(y, a).numpy().tolist()
    ([[11.0]], [[3.0, 4.0]])
    """
    return bind(SAVED_READ, [to_tensor(h), to_tensor(k)] + [to_tensor(x) for x in xs],
                {"op": op, "attrs": tuple(sorted(attrs.items()))})


def history_scatter(h, idx, rows):
    """Zeros shaped like `h` with each `rows[i]` added into row `idx[i]`.

    >>> import graphflow as tf
    >>> history_scatter(tf.zeros([3]), tf.constant([2, 0, 2]), tf.constant([1., 2., 3.])).numpy()
    array([2., 0., 4.], dtype=float32)
    """
    return bind(HISTORY_SCATTER, [to_tensor(h), to_tensor(idx), to_tensor(rows)], {})


def history_read(h, k):
    """Row `k` of a loop history `h` (the op the while_loop VJP reads its stack with).

    >>> import graphflow as tf
    >>> history_read(tf.constant([[1., 2.], [3., 4.]]), tf.constant(1)).numpy()
    array([3., 4.], dtype=float32)
    """
    return bind(HISTORY_READ, [to_tensor(h), to_tensor(k)], {})


def history_grad(h, k, g):
    """Zeros shaped like `h` with row `k` set to `g` (the VJP of `history_read`).

    >>> import graphflow as tf
    >>> history_grad(tf.zeros([2, 2]), tf.constant(0), tf.constant([5., 6.])).numpy()
    array([[5., 6.],
           [0., 0.]], dtype=float32)
    """
    return bind(HISTORY_GRAD, [to_tensor(h), to_tensor(k), to_tensor(g)], {})


def loop_output(loop, inputs, index):
    """Output `index` of the while_loop whose Subgraphs and node inputs `build_while(...,
    with_loop=True)` returned: a final variable (< n), a variable's history (< 2n: the values
    entering each iteration, then the final one) or the trip count (2n)."""
    if loop.n_vars <= index < 2 * loop.n_vars:
        loop.record.add(int(index) - loop.n_vars)
    return bind(WHILE, list(inputs), {"loop": loop, "index": int(index)})


def _fill(ts, like):
    return [zeros_like(x) if t is None else t for t, x in zip(ts, like)]


def _drawn(d):
    """Whether body node data `d` is a value a replay may not recompute: a random draw or a
    Python function's result (ops with "random" / "io" effects that have a value)."""
    op = OPS.get(d["op"])
    return op is not None and op.kind != EFFECT and bool({"random", "io"} & set(op.effects))


def _floating(x):
    return x.dtype.is_floating


def _reads_value(d, p, g, varying):
    """True unless op node `d`'s VJPs need not read its input at position `p`: linear there
    (its VJP for that input reads neither the input nor the output), or bilinear with a
    constant other operand (`varying`: the nodes that depend on a parameter) - the op table's
    JVP rules say which."""
    op = OPS.get(d["op"])
    rule = None if op is None or op.kind == EFFECT else op.jvp
    if np.dtype(g.nodes[d["inputs"][p]]["dtype"]).kind not in "fc":
        return True
    if isinstance(rule, Bilinear):
        return len(d["inputs"]) != 2 or d["inputs"][1 - p] in varying
    return not isinstance(rule, Linear) or (rule.positions is not None and
                                            p not in rule.positions)


def _values_needed(graph, seeds):
    """The nodes of `graph` whose values a replay's VJPs read (`_reads_value`), needed to
    compute such a node, or in `seeds`. The others (e.g. a buffer only written through
    `dynamic_setitem`, a row read of it times a constant) only flow through positions whose
    VJP ignores them, so a replay from stand-in values (zeros) gives the same gradients."""
    g, needed, varying = graph.nx, set(seeds), set(graph.params)
    order = list(graph.topo())
    for m in order:
        if any(u in varying for u in g.nodes[m]["inputs"]):
            varying.add(m)
    for u in reversed(order):
        if u in needed:
            continue
        for m in g.successors(u):
            d = g.nodes[m]
            if m in needed or any(v == u and _reads_value(d, p, g, varying)
                                  for p, v in enumerate(d["inputs"])):
                needed.add(u)
                break
    return needed


def _row_axis(d, p):
    """The axis along which node `d` reads one row of `p` at an index other than `p` (a history
    read, `p[i]` or `p[:, i]` with a traced i: dynamic_getitem - a TensorArray's read, `x[i]`
    or a batch-major sequence's `x[:, t]` in a tf.range loop), else None."""
    if len(d["inputs"]) != 2 or d["inputs"][0] != p or d["inputs"][1] == p:
        return None
    if d["op"] == HISTORY_READ.name:
        return 0
    spec = d["attrs"].get("spec") if d["op"] == DYNAMIC_GETITEM.name else None
    full = ("s", None, None, None)
    if not spec or ("i", ("v", 0)) not in spec:
        return None
    k = spec.index(("i", ("v", 0)))
    return k if all(e == full for e in spec[:k] + spec[k + 1:]) else None


def _scatter_rows(cap, idx, rows, axis):
    """`history_scatter` of per-step rows read along `axis` of `cap`: zeros like `cap` with the
    rows added at their indices (axis moved to the front and back for it)."""
    if axis == 0:
        return bind(HISTORY_SCATTER, [cap, idx, rows], {})
    perm = [axis] + [a for a in range(len(cap.shape)) if a != axis]
    part = bind(HISTORY_SCATTER, [transpose(cap, perm), idx, rows], {})
    return transpose(part, [int(a) for a in np.argsort(perm)])


def _row_index(d, vals):
    """The (scalar) row index of a `_row_axis` node in the replay's values."""
    i = vals[d["inputs"][1]]
    return i if d["op"] == HISTORY_READ.name else reshape(i, [])


def _reverse_seeds(body_graph, fc, n):
    """Body values the reverse loop reads directly (besides the VJPs): the index of each row
    read of a capture and the left operand of each product with a capture (`vals[...]`)."""
    g, seeds = body_graph.nx, set()
    for j in fc:
        for u in g.successors(body_graph.params[n + j]):
            seeds.update(g.nodes[u]["inputs"])
    return seeds


def _while_vjp(inputs, out, ct, loop, index, needed=None):
    return _while_group_vjp(inputs, {index: ct}, loop, needed=needed)


def _while_group_vjp(inputs, cts_by_index, loop, index=None, needed=None):
    """The VJP of all outputs of one loop at once (`cts_by_index`: output index -> cotangent):
    one reverse loop whatever number of its outputs get cotangents (the autodiff core groups the
    per-output nodes, fact `vjp_group`)."""
    n = loop.n_vars
    vars_, caps = list(inputs[:n]), list(inputs[n:])
    fv = [j for j in range(n) if _floating(vars_[j])]
    # (cotangents of captures no source reaches, e.g. an RNN's input data, are not computed)
    fc = [j for j in range(len(caps)) if _floating(caps[j]) and (needed is None or needed[n + j])]
    final_ct = {j: c for j, c in cts_by_index.items() if j < n and j in fv and c is not None}
    hist_ct = {j - n: c for j, c in cts_by_index.items()
               if n <= j < 2 * n and j - n in fv and c is not None}
    if not final_ct and not hist_ct:
        return [None] * len(inputs)
    if any(d["op"] == READ_VARIABLE.name for g in loop.graphs for _, d in g.nx.nodes(data=True)):
        raise NotImplementedError(
            f"gradient of the while_loop at {loop.source}: its body assigns a Variable it reads, "
            "so earlier iterations' values are gone; carry the value as a loop variable instead "
            "and assign it after the loop")
    check_replayable(loop, "while_loop", saved=True)
    body_graph = loop.graphs[1]
    # only the variables whose values the replay's VJPs read need their history (others replay
    # as stand-ins: e.g. a TensorArray's buffer, only ever written row by row)
    needed = _values_needed(body_graph, _reverse_seeds(body_graph, fc, n))
    used = [body_graph.params[j] in needed or any(
        not isinstance(e, (int, np.integer)) for e in loop.out_avals[j].shape) or
        tuple(loop.out_avals[j].shape) != tuple(vars_[j].shape) for j in range(n)]
    loop.record.update(j for j in range(n) if used[j])
    hists = [bind(WHILE, list(inputs), {"loop": loop, "index": n + j}) if used[j] else None
             for j in range(n)]
    trips = bind(WHILE, list(inputs), {"loop": loop, "index": 2 * n})
    src = loop.source
    # The body's costly values (`SAVED_OPS`, i.e. matmuls) that vary per iteration: the forward
    # loop stacks them (as TF's while_v2 keeps its intermediates) and the reverse loop's replay
    # reads row k (loop_saved_read, differentiated as the op) instead of recomputing them.
    # Random draws and Python functions' results (numpy_function, py_function) are saved too:
    # a replay must see the values the forward loop drew or got, and run no Python call again.
    gb, varying = body_graph.nx, set(body_graph.params[:n])
    saved = {}
    for m in body_graph.topo():
        d = gb.nodes[m]
        if not _drawn(d) and not any(u in varying for u in d["inputs"]):
            continue   # (loop-invariant: recomputed)
        varying.add(m)
        if d["op"] not in SAVED_OPS and not _drawn(d):
            continue
        if m not in loop.saved:
            loop.saved.append(m)
        saved[m] = bind(WHILE, list(inputs), {"loop": loop,
                                              "index": 2 * n + 1 + loop.saved.index(m)})
    # Captures the body only reads rows of (an RNN's input sequence: loop_history_read(c, t))
    # get their cotangent as one row per read and step, carried as reverse-loop variables and
    # summed into place after the loop (loop_history_scatter) - not as a full-size accumulator
    # updated every step. Captures the body only multiplies by, as the right operand of 2-D
    # matmuls `a @ w` (an RNN's recurrent kernel; static row shapes, known trip count), get their cotangent as one matmul after the
    # loop: each step's `a` and the cotangent of `a @ w` are carried out as rows, then
    # dw = A^T @ G over all steps at once (one big gemm instead of one small one per step).
    # Other float captures are accumulated.
    g = body_graph.nx
    sparse, dense, deferred = [], [], []

    def static(nid):
        return all(isinstance(x, (int, np.integer)) for x in g.nodes[nid]["shape"])

    def right_matmul(u, p):
        d = g.nodes[u]
        return d["op"] == MATMUL.name and d["inputs"][1] == p and d["inputs"][0] != p and \
            not d["attrs"].get("transpose_a") and len(d["shape"]) == 2 and static(u) and \
            static(d["inputs"][0]) and len(g.nodes[p]["shape"]) == 2
    for j in fc:
        p = body_graph.params[n + j]
        users = list(g.successors(p))
        if not users:   # not used by the body (e.g. only by the condition): no cotangent
            continue
        if all(_row_axis(g.nodes[u], p) is not None for u in users):
            sparse += [(j, u) for u in users]
        elif HOIST_LOOP_GEMMS and loop.trip_count is not None and \
                all(right_matmul(u, p) for u in users):
            deferred += [(j, u) for u in users]
        else:
            dense.append(j)
    # reverse loop variables: step k, cotangents of the float variables, of the dense captures,
    # then for each sparse read its row cotangent and row index
    ct0 = []   # the final values get their cotangents (and their histories' last rows)
    for j in fv:
        c = final_ct.get(j)
        if j in hist_ct:
            row = bind(HISTORY_READ, [hist_ct[j], trips], {})
            c = row if c is None else c + row
        if c is None:   # (a variable with run-time sizes: zeros shaped like its final value)
            c = zeros_like(vars_[j] if not any(d is None for d in loop.out_avals[j].shape) else
                           bind(WHILE, list(inputs), {"loop": loop, "index": j}))
        ct0.append(c)
    cc0 = [zeros_like(caps[j]) for j in dense]
    row0 = [zeros_like(bind(HISTORY_READ, [caps[j], to_tensor(np.int32(0))], {})
                       if g.nodes[u]["op"] == HISTORY_READ.name else
                       bind(DYNAMIC_GETITEM, [caps[j], to_tensor(np.zeros(1, np.int64))],
                            {"spec": g.nodes[u]["attrs"]["spec"]})) for j, u in sparse]
    idx0 = [to_tensor(np.zeros((), g.nodes[g.nodes[u]["inputs"][1]]["dtype"]))
            for _, u in sparse]   # (a dynamic_getitem's index vector (1,): its one entry)
    mm0 = [to_tensor(np.zeros(g.nodes[x]["shape"], g.nodes[x]["dtype"]))
           for _, u in deferred for x in (u, g.nodes[u]["inputs"][0])]
    nv, nd, ns = len(fv), len(dense), len(sparse)

    def rcond(k, *_):
        return k >= 0

    def rbody(k, *cts):
        cv, cc = list(cts[:nv]), list(cts[nv:nv + nd])
        vs = [bind(HISTORY_READ, [h, k], {}) if h is not None else zeros_like(v)
              for h, v in zip(hists, vars_)]
        srcs = [vs[j] for j in fv] + [caps[j] for j in dense]
        rows, vals = {}, {}
        watch = {u for _, u in sparse} | {u for _, u in deferred}
        with GradientTape() as tape:
            tape.watch(srcs)

            def hook(node, value):
                if node in watch:   # a row read of a sparse capture: a source of its own
                    tape.watch(value)
                    rows[node] = value
            outs = replay(body_graph, vs + caps, hook, vals, {
                m: (lambda xs, m=m, stack=stack: saved_read(stack, k, gb.nodes[m]["op"], xs,
                                               gb.nodes[m]["attrs"]))
                if OPS[gb.nodes[m]["op"]].vjp is not None else   # (no derivative: a plain read)
                (lambda xs, stack=stack: history_read(stack, k))
                for m, stack in saved.items()})
        read_vals = [rows[u] for _, u in sparse] + [rows[u] for _, u in deferred]
        gs = _fill(tape.gradient([outs[j] for j in fv], srcs + read_vals, output_gradients=cv),
                   srcs + read_vals)
        mm = []   # per deferred matmul: the cotangent of its output and its left operand
        for q, (_, u) in enumerate(deferred):
            mm += [gs[nv + nd + ns + q], vals[g.nodes[u]["inputs"][0]]]
        gs = gs[:nv + nd + ns]
        new_cv = gs[:nv]
        for j, hc in hist_ct.items():   # a cotangent for a history: its row k joins variable j's
            p = fv.index(j)
            new_cv[p] = new_cv[p] + bind(HISTORY_READ, [hc, k], {})
        new_cc = [a + b for a, b in zip(cc, gs[nv:nv + nd])]
        idxs = [_row_index(g.nodes[u], vals) for _, u in sparse]
        return [k - 1] + new_cv + new_cc + gs[nv + nd:] + idxs + mm

    res, rloop, rins = build_while(rcond, rbody, [trips - 1] + ct0 + cc0 + row0 + idx0 + mm0,
                                   src, with_loop=True, trip_count=loop.trip_count)
    cts = [None] * len(inputs)
    for p, j in enumerate(fv):
        cts[j] = res[1 + p]
    for p, j in enumerate(dense):
        cts[n + j] = res[1 + nv + p]
    base = 1 + nv + nd
    for p, (j, u) in enumerate(sparse):   # the rows of every step, summed into place
        rows = loop_output(rloop, rins, rloop.n_vars + base + p)
        idx = loop_output(rloop, rins, rloop.n_vars + base + ns + p)
        if loop.trip_count is not None:   # row 0 (the initial zero row at index 0) skipped:
            rows, idx = rows[1:], idx[1:]  # then every row index is distinct, a plain scatter
        axis = _row_axis(g.nodes[u], body_graph.params[n + j])
        part = _scatter_rows(caps[j], idx, rows, axis)
        cts[n + j] = part if cts[n + j] is None else cts[n + j] + part
    base += 2 * ns
    for q, (j, u) in enumerate(deferred):   # dw = A^T @ G over all steps (row 0: zeros)
        gz = loop_output(rloop, rins, rloop.n_vars + base + 2 * q)[1:]
        a = loop_output(rloop, rins, rloop.n_vars + base + 2 * q + 1)[1:]
        gz = reshape(gz, (-1, g.nodes[u]["shape"][-1]))
        a = reshape(a, (-1, g.nodes[g.nodes[u]["inputs"][0]]["shape"][-1]))
        part = bind(MATMUL, [gz, a] if g.nodes[u]["attrs"].get("transpose_b") else [a, gz],
                    {"transpose_a": True, "transpose_b": False})
        cts[n + j] = part if cts[n + j] is None else cts[n + j] + part
    return cts


def _while_jvp(inputs, out, tangents, loop, index):
    n = loop.n_vars
    if index == 2 * n:
        return None
    vars_, caps = list(inputs[:n]), list(inputs[n:])
    tv, tc = list(tangents[:n]), list(tangents[n:])
    fv = [j for j in range(n) if _floating(vars_[j])]
    fc = [j for j in range(len(caps)) if tc[j] is not None]
    j_out = index if index < n else index - n
    if j_out not in fv or (all(tv[j] is None for j in fv) and not fc):
        return None
    check_replayable(loop, "while_loop")
    cond_graph, body_graph = loop.graphs
    cap_t = [tc[j] for j in fc]

    def tcond(*xs):
        return replay(cond_graph, list(xs[:n]) + caps)[0]

    def tbody(*xs):
        vs, ts = list(xs[:n]), list(xs[n:])
        prim = [vs[j] for j in fv] + [caps[j] for j in fc]
        with ForwardAccumulator(prim, ts + cap_t) as acc:
            outs = replay(body_graph, vs + caps)
        return outs + _fill([acc.jvp(outs[j]) for j in fv], [outs[j] for j in fv])

    _, sg, ins = build_while(tcond, tbody, vars_ + _fill([tv[j] for j in fv],
                                                         [vars_[j] for j in fv]),
                             loop.source, with_loop=True, trip_count=loop.trip_count)
    p = n + fv.index(j_out)
    if index < n:
        return bind(WHILE, ins, {"loop": sg, "index": p})
    sg.record.add(p)
    return bind(WHILE, ins, {"loop": sg, "index": sg.n_vars + p})


WHILE = defop("while_loop", _while_impl, _while_rule, _while_vjp, jvp=_while_jvp, kind=CONTROL,
              vjp_needed=True, vjp_group=lambda loop, index: (loop, index),
              group_vjp=_while_group_vjp,
              doc="Run the body sub-graph while the condition sub-graph is True; output `index` "
                  "of the final loop variables (index < n), of the stacked variables entering "
                  "each body call (< 2n) or the trip count (2n).")
