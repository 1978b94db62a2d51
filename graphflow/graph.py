"""The graph IR: one `networkx.DiGraph` per traced signature.

Nodes are integer ids with attributes
    op      op name: an entry of the op table (structural ops - parameter, constant,
            read_variable, assign, print - are entries too)
    inputs  tuple of input node ids, in argument order (DiGraph has no parallel edges, so the
            order lives here; edges carry `pos`, the tuple of argument positions)
    attrs   dict of static attributes (hashable values, except 'value' of constants and 'var')
    shape   tuple of ints;  dtype  numpy dtype
    source  "file:line" of the user code that created the node
    scope   the name scope path ("model/dense_1"), from graphflow.name_scope / Keras layers
    frame   the innermost graphflow application frame ("layers.py:120 Dense.call") or None
    tags    dict: {'adjoint': order, 'forward': node id} for gradient nodes (and tangent nodes
            of forward mode, with 'tangent': True), 'cluster', ...
Control edges (attribute `control=True`) order effects: reads/assigns of a variable, prints.

>>> import graphflow as tf
>>> @tf.function
... def f(x):
...     return x * 2.0 + 1.0
>>> g = f.get_concrete_function(tf.constant([1., 2.])).graph
>>> sorted(set(nx_ops(g)))
['add', 'constant', 'multiply', 'parameter']
"""
import itertools

import numpy as np

from . import state as _state
from .errors import GraphError, InvalidArgumentError, LeakedTensorError, library_frame, user_source
from .ops.registry import (CONSTANT, OPS, PARAMETER, READ_VARIABLE, ASSIGN, PRINT, SOURCE, Aval,
                           fmt_avals, op_error)
from . import shapes as _shapes
from .tensor import SymbolicTensor, Tensor
from .lazy import lazy_module
from .digraph import DiGraph, ancestors, has_path, is_acyclic, topological_order

nx = lazy_module("networkx")   # imported when a graph needs networkx itself (graphflow.digraph)


def nx_ops(g):
    """Op names of all nodes of a networkx graph (handy in doctests and tests)."""
    return [d["op"] for _, d in g.nodes(data=True)]


def _copy_digraph(src):
    """A copy of DiGraph `src` as `src.copy()` makes it (node, edge and graph attribute dicts
    copied), with each node's `attrs` and `tags` dicts copied too, so passes never alias. Built
    on the DiGraph's own dicts: ~4x faster than networkx's generic copy, which the pass pipeline
    made 8 times per trace."""
    g = src.__class__()
    g.graph.update(src.graph)
    node = g._node
    for n, d in src._node.items():
        d = d.copy()
        d["attrs"], d["tags"] = dict(d["attrs"]), dict(d["tags"])
        node[n] = d
    succ, pred = g._succ, g._pred   # (a DiGraph's _adj is its _succ)
    for u, nbrs in src._succ.items():
        succ[u] = {v: e.copy() for v, e in nbrs.items()}
    for v, nbrs in src._pred.items():   # the same edge dicts, seen from the other end
        pred[v] = {u: succ[u][v] for u in nbrs}
    return g


def node_base_name(nid, d):
    """A node's name without scope: a parameter's argument name, else `<op>_<id>` (what
    `tensor_name` and graph_def's NodeDef names build on)."""
    name = (d.get("attrs") or {}).get("name") if d["op"] == PARAMETER.name else None
    return name if isinstance(name, str) and name else f"{d['op']}_{nid}"


class Graph:
    """A traced function: the DiGraph plus its parameter and output node lists.

    `nx` is the networkx.DiGraph; `params` the parameter node ids in argument order; `outputs`
    the returned node ids; `effects` the effect nodes in program order; `variables` the
    Variables it reads or assigns (id -> Variable). Shapes may hold unknown dims
    (`graphflow.shapes.Dim`); `dim_checks` lists the run-time checks shape rules asked for
    (op name, input avals, attrs, source, [(dim, dim, kind)]), run by `bind_dims`.
    """

    def __init__(self, name="graph"):
        self.name = name
        self.nx = DiGraph()   # networkx's layout; becomes a networkx.DiGraph when one is needed
        self.params, self.outputs, self.effects = [], [], []
        self.variables = {}
        self.dim_checks = []
        self.dim_aliases = {}   # symbols equality checks unified while tracing (shapes.unifying)
        self._ids = itertools.count()

    # ---- building ----------------------------------------------------------
    def add_node(self, op, inputs=(), attrs=None, shape=(), dtype=np.float32, source=None,
                 tags=None, control=()):
        nid = next(self._ids)
        self.nx.add_node(nid, op=op, inputs=tuple(inputs), attrs=attrs or {}, shape=tuple(shape),
                         dtype=np.dtype(dtype), source=source or user_source(), tags=tags or {},
                         scope="/".join(_state.current().scope), frame=library_frame())
        for pos, u in enumerate(inputs):
            if self.nx.has_edge(u, nid):
                self.nx.edges[u, nid]["pos"] += (pos,)
            else:
                self.nx.add_edge(u, nid, pos=(pos,), control=False)
        for u in control:
            if not self.nx.has_edge(u, nid):
                self.nx.add_edge(u, nid, pos=(), control=True)
        return nid

    def node(self, nid):
        return self.nx.nodes[nid]

    def op_name(self, nid):
        return self.nx.nodes[nid]["op"]

    def tensor_name(self, nid):
        """TF's name of the node's output: `<argument>:0` for a parameter, `<op>_<id>:0`
        otherwise (graph_def's node names)."""
        return f"{node_base_name(nid, self.nx.nodes[nid])}:0"

    def source(self, nid):
        return self.nx.nodes[nid]["source"]

    def topo(self):
        """Node ids in a deterministic topological order (ties broken by id)."""
        return topological_order(self.nx)   # networkx's lexicographical order

    def copy(self):
        g = Graph(self.name)
        g.nx = _copy_digraph(self.nx)
        g.params, g.outputs, g.effects = list(self.params), list(self.outputs), list(self.effects)
        g.variables = dict(self.variables)
        g.dim_checks = list(self.dim_checks)
        g.dim_aliases = dict(getattr(self, "dim_aliases", {}))
        g._ids = itertools.count(max(self.nx.nodes, default=-1) + 1)
        return g

    @property
    def symbolic(self):
        """True if some parameter shape holds an unknown dim (the graph serves many shapes)."""
        return any(not _shapes.is_static(self.nx.nodes[p]["shape"]) for p in self.params)

    def replace_uses(self, old, new):
        """Make every consumer of `old` use `new` instead (outputs too)."""
        for v in list(self.nx.successors(old)):
            d = self.nx.nodes[v]
            e = self.nx.edges[old, v]
            if e["pos"]:
                d["inputs"] = tuple(new if u == old else u for u in d["inputs"])
                pos = e["pos"]
                if self.nx.has_edge(new, v):
                    self.nx.edges[new, v]["pos"] = tuple(sorted(self.nx.edges[new, v]["pos"] + pos))
                    self.nx.edges[new, v]["control"] = False
                else:
                    self.nx.add_edge(new, v, pos=pos, control=False)
                if e["control"] is False:
                    self.nx.remove_edge(old, v)
            else:  # a control edge: keep the ordering constraint on the new node
                self.nx.remove_edge(old, v)
                if not self.nx.has_edge(new, v) and new != v:
                    self.nx.add_edge(new, v, pos=(), control=True)
        self.outputs = [new if o == old else o for o in self.outputs]

    def dump(self):
        """Readable text: one line per node with op, inputs, shape, dtype, source, tags."""
        lines = [f"graph {self.name}: params={self.params} outputs={self.outputs}"]
        for n in self.topo():
            d = self.nx.nodes[n]
            attrs = {k: v for k, v in d["attrs"].items() if k not in ("value", "var")}
            if d["op"] == CONSTANT.name:
                v = d["attrs"]["value"]
                attrs["value"] = v.tolist() if np.size(v) <= 4 else f"<{np.size(v)} values>"
            if "var" in d["attrs"]:
                attrs["var"] = d["attrs"]["var"].name
            ctrl = [u for u in self.nx.predecessors(n) if self.nx.edges[u, n]["control"]]
            lines.append(
                f"%{n:<4} = {d['op']}({', '.join(f'%{i}' for i in d['inputs'])})"
                + (f" {attrs}" if attrs else "") + (f" after {ctrl}" if ctrl else "")
                + f"  : {d['shape']} {d['dtype'].name}  @ {d['source']}"
                + (f"  {d['tags']}" if d["tags"] else ""))
        return "\n".join(lines)

    __str__ = dump


class GraphBuilder(Graph):
    """The graph being traced: the interpreter `bind` hands ops to while it is the state's
    `graph` (`graphflow.state`)."""

    def __init__(self, name="graph"):
        super().__init__(name)
        self._const_cache = {}
        self._last_write = {}    # var id -> last assign node
        self._reads_since = {}   # var id -> reads since that assign (must run before the next)
        self._last_effect = None
        self.created_variables = []
        self.allow_variable_creation = True
        self.param_values = {}   # parameter node -> the traced call's array (see `lift`)

    # -- values --
    def _node_of(self, t):
        if isinstance(t, SymbolicTensor):
            if t._graph is not self:
                where = getattr(t._graph, "name", "") or ""
                hint = (" (a tensor made inside a graph loop body or branch, e.g. appended to a "
                        "Python list there, exists only inside it: make it a loop variable or "
                        "write it to a tf.TensorArray)"
                        if any(k in where for k in ("loop", "while", "body", "branch", "cond"))
                        else "")
                raise LeakedTensorError(
                    f"a symbolic tensor from another traced function ({where or 'graph'} node "
                    f"{t._node}) was used here at {user_source()}: return it from that function "
                    f"instead of capturing it{hint}")
            return t._node
        return self.constant(np.asarray(t._value))._node

    def _sym(self, nid):
        d = self.nx.nodes[nid]
        return SymbolicTensor._make(self, nid, d["shape"], d["dtype"])

    def constant(self, arr):
        arr = np.asarray(arr)
        key = None
        if arr.size <= 16:  # dedupe small constants (scalars from Python code mostly)
            key = (arr.dtype.str, arr.shape, arr.tobytes())
            if key in self._const_cache:
                return self._sym(self._const_cache[key])
        arr = arr.copy()
        arr.flags.writeable = False
        nid = self.add_node(CONSTANT.name, (), {"value": arr}, arr.shape, arr.dtype,
                            tags=self._tags())
        if key is not None:
            self._const_cache[key] = nid
        return self._sym(nid)

    def _tags(self):
        adj = _state.current().adjoint
        if not adj:
            return {}
        tags = {"adjoint": adj[0], "forward": adj[1]}
        if len(adj) > 2:   # forward mode: ('tangent', True)
            tags[adj[2]] = True
        return tags

    def add_op(self, op, args, attrs):
        ids = [self._node_of(a) for a in args]
        avals = [Aval(self.nx.nodes[i]["shape"], self.nx.nodes[i]["dtype"]) for i in ids]
        src = user_source()
        try:
            if self.dim_aliases and not _shapes.unifying_active():   # e.g. a later gradient
                with _shapes.unifying(self.dim_aliases):             # pass on a finished trace
                    out = op.rule(*avals, **attrs)
            else:
                out = op.rule(*avals, **attrs)
        except InvalidArgumentError as e:
            _shapes.take_checks()   # a failed op leaves no checks for the next one
            raise type(e)(f"{e}\n  while tracing, at {src}") from None   # (keeps its kind)
        except TypeError:
            _shapes.take_checks()
            if not any(d is None for a in avals for d in a.shape):
                raise
            raise InvalidArgumentError(   # a rule doing arithmetic on a run-time size
                f"{op.name}: does not support a size known only when the graph runs (None: "
                f"from tf.range(n), tf.zeros([n]), a growing TensorArray, ...) in its inputs "
                f"({fmt_avals(avals)}); give it static sizes\n  while tracing, at {src}") from None
        except BaseException:
            _shapes.take_checks()
            raise
        # equalities of unknown dims the rule (or the composition calling it) could not
        # decide: checked when a call binds the dims
        for a, b, kind, ctx in _shapes.take_checks():
            name, cavals, cattrs, msg = (op.name, tuple(avals), dict(attrs), None) \
                if ctx is None else (ctx[0], tuple(Aval(tuple(x.shape), getattr(x.dtype, "np",
                                                                              x.dtype))
                                                   for x in ctx[1]), {}, ctx[2])
            self.dim_checks.append((name, cavals, cattrs, src, [(a, b, kind)], msg))
        ctrl = [self._last_effect] if op.stateful and self._last_effect is not None else []
        nid = self.add_node(op.name, ids, dict(attrs), out.shape, out.dtype, src, self._tags(), ctrl)
        if op.stateful:
            self._last_effect = nid
            self.effects.append(nid)
        return self._sym(nid)

    def parameter(self, index, name, shape, dtype):
        nid = self.add_node(PARAMETER.name, (), {"index": index, "name": name}, shape, dtype)
        self.params.append(nid)
        return self._sym(nid)

    # -- variables and effects --
    def read_variable(self, var):
        vid = id(var)
        self.variables[vid] = var
        ctrl = [self._last_write[vid]] if vid in self._last_write else []
        nid = self.add_node(READ_VARIABLE.name, (), {"var": var}, var._value.shape,
                            var._value.dtype, tags=self._tags(), control=ctrl)
        self._reads_since.setdefault(vid, []).append(nid)
        return self._sym(nid)

    def assign_variable(self, var, value, spec):
        vid = id(var)
        self.variables[vid] = var
        ctrl = list(self._reads_since.pop(vid, []))
        if vid in self._last_write:
            ctrl.append(self._last_write[vid])
        if self._last_effect is not None:
            ctrl.append(self._last_effect)
        nid = self.add_node(ASSIGN.name, (self._node_of(value),), {"var": var, "spec": spec},
                            (), var._value.dtype, control=ctrl)
        self._last_write[vid] = nid
        self._last_effect = nid
        self.effects.append(nid)
        return nid

    def chain_effect(self, nids, writes=()):
        """Make existing nodes `nids` effects in program order (a cond/while_loop whose
        sub-graphs print or assign): each runs after the previous effect (and after the reads
        of the Variables in `writes`); the last becomes the latest effect and the last write of
        those Variables."""
        for nid in nids:
            ctrl = [self._last_effect] if self._last_effect is not None else []
            for var in writes:
                ctrl += self._reads_since.get(id(var), [])
            for u in ctrl:
                if u != nid and not self.nx.has_edge(u, nid):
                    self.nx.add_edge(u, nid, pos=(), control=True)
        last = nids[-1]
        for var in writes:
            self.variables[id(var)] = var
            self._reads_since.pop(id(var), None)
            self._last_write[id(var)] = last
        self._last_effect = last
        self.effects.append(last)

    def print_effect(self, args, fmt, stream=None, end="\n", summarize=None):
        return self.io_effect(PRINT, args, {"fmt": fmt, "stream": stream, "end": end,
                                            "summarize": summarize})

    def io_effect(self, op, args, attrs):
        """A node of an output-less io op (print, a run-time assertion): ordered after the
        previous effect and kept by dead-code elimination."""
        ctrl = [self._last_effect] if self._last_effect is not None else []
        nid = self.add_node(op.name, [self._node_of(a) for a in args], attrs, (),
                            np.float32, control=ctrl)
        self._last_effect = nid
        self.effects.append(nid)
        return nid

    def on_variable_created(self, var):
        if not self.allow_variable_creation:
            raise ValueError(
                f"a Variable was created at {user_source()} while retracing a @function: "
                "variables may only be created on the first trace. Create it outside the function "
                "(or once, e.g. `if self.v is None: self.v = Variable(...)`).")
        self.created_variables.append(var)

    def lift(self, value, freeze=True):
        """The value of a traced tensor now, at trace time, as a plain Tensor (other values are
        returned unchanged).

        Used for a Variable's initial value computed inside a trace (`tf.Variable(tf.ones(s))`,
        `tf.random.normal(...)`, even values computed from the arguments: TF lifts such
        initializers out of the function). The nodes it depends on run once with the numpy
        executor on the arguments of the call being traced; random draws among them become
        constants holding the drawn value, so the function does not draw again on every call
        (`freeze=False`: they stay draws - a value only looked at, e.g. to learn a shape).
        """
        if not isinstance(value, SymbolicTensor):
            return value
        node = self._node_of(value)
        need, stack = {node}, [node]
        while stack:   # data dependencies only: ordering edges do not carry values
            for u in self.nx.nodes[stack.pop()]["inputs"]:
                if u not in need:
                    need.add(u)
                    stack.append(u)
        vals = {}
        for n in nx.lexicographical_topological_sort(self.nx.subgraph(need)):
            d = self.nx.nodes[n]
            op = OPS[d["op"]]
            if op is PARAMETER:
                vals[n] = self._param_value(n)
                continue
            if op is READ_VARIABLE and any(self.nx.nodes[u]["op"] == ASSIGN.name
                                           for u in self.nx.predecessors(n)):
                raise ValueError(
                    f"the initial value of a Variable created at {user_source()} reads variable "
                    f"'{d['attrs']['var'].name}' after an assign in the same traced function; "
                    "its value is only known when the function runs. Create the Variable "
                    "outside the function, or from values known at trace time.")
            attrs = d["attrs"]
            if _shapes.has_dim(attrs):   # unknown dims: the sizes of the call being traced
                attrs = _shapes.evaluate(attrs, self._traced_dims())
            vals[n] = np.asarray(op.impl(*[vals[u] for u in d["inputs"]], **attrs))
        for n in need if freeze else ():   # freeze the random draws the initializer consumed
            d = self.nx.nodes[n]
            if OPS[d["op"]].stateful:
                self._freeze_effect(n, vals[n])
        return Tensor._wrap(vals[node])

    def _param_value(self, n):
        """The traced call's value of parameter node n (for `lift`)."""
        if n not in self.param_values:
            raise ValueError(f"the initial value of a Variable created at {user_source()} "
                             "depends on an argument whose value is unknown")
        return self.param_values[n]

    def _traced_dims(self):
        """{symbol: size} of the unknown dims in the traced call's arguments."""
        env = {}
        for p, v in self.param_values.items():
            for sd, ad in zip(self.nx.nodes[p]["shape"], np.shape(v)):
                if isinstance(sd, _shapes.Dim) and sd.is_symbol():
                    env[str(sd)] = ad
        return env

    def _freeze_effect(self, n, val):
        """Turn stateful node n (a random draw) into a constant; keep the effect chain linked."""
        d = self.nx.nodes[n]
        preds = [u for u in self.nx.predecessors(n) if self.nx.edges[u, n]["control"]]
        succs = [v for v in self.nx.successors(n) if self.nx.edges[n, v]["control"]]
        for u in preds:
            self.nx.remove_edge(u, n)
        for v in succs:
            self.nx.remove_edge(n, v)
            for u in preds:
                if not self.nx.has_edge(u, v):
                    self.nx.add_edge(u, v, pos=(), control=True)
        val = np.array(val, dtype=d["dtype"])
        val.flags.writeable = False
        d.update(op=CONSTANT.name, attrs={"value": val}, tags=dict(d["tags"], lifted=True))
        self.effects.remove(n)
        if self._last_effect == n:
            self._last_effect = preds[0] if preds else None

    @staticmethod
    def eager_scope():
        """Run code eagerly inside a trace (e.g. a Variable's initial value)."""
        return _state.using(graph=None)

    def adjoint_order_for(self, targets):
        """Gradient pass number: one more than the highest adjoint order among the targets and
        everything they are computed from (so d/dx of `sum(g * g)`, g a first-order gradient, is
        a second-order pass although the sum itself is a forward node)."""
        nodes = {t._node for t in targets if isinstance(t, SymbolicTensor) and t._graph is self}
        seen = set(nodes)
        for n in list(nodes):
            seen |= ancestors(self.nx, n)
        # constants are shared (deduplicated) between forward and adjoint code: they say nothing
        return max([0] + [self.nx.nodes[n]["tags"].get("adjoint", 0) for n in seen
                          if self.nx.nodes[n]["op"] != CONSTANT.name]) + 1

    def finish(self):
        """Freeze into a plain Graph (drops the builder-only state)."""
        g = Graph(self.name)
        g.nx, g.params, g.outputs, g.effects = self.nx, self.params, self.outputs, self.effects
        g.variables = self.variables
        g.dim_checks = self.dim_checks
        g.dim_aliases = self.dim_aliases
        g._ids = self._ids
        return g


def bind_dims(graph, arrays):
    """The values of a graph's unknown dims for a call with parameter `arrays` (symbol name ->
    int), after running the graph's dim checks; a failing check raises the error eager mode
    gives for those shapes (the op, its input shapes), plus the user's source line."""
    env = {}
    g = graph.nx
    for p, a in zip(graph.params, arrays):
        d = g.nodes[p]
        shape = d["shape"]
        if len(shape) != np.ndim(a):
            raise InvalidArgumentError(f"argument `{d['attrs']['name']}` has rank {np.ndim(a)}, "
                                       f"the graph takes rank {len(shape)} {shape}")
        for sd, ad in zip(shape, np.shape(a)):
            if isinstance(sd, _shapes.Dim) and sd.is_symbol():
                name = str(sd)
                if env.setdefault(name, ad) != ad:
                    raise InvalidArgumentError(
                        f"argument `{d['attrs']['name']}` has shape {list(np.shape(a))}: unknown "
                        f"dim {name} is {ad} there but {env[name]} in an earlier argument")
    for p, a in zip(graph.params, arrays):
        d = g.nodes[p]
        want = _shapes.evaluate(d["shape"], env)
        if tuple(want) != tuple(np.shape(a)):
            raise InvalidArgumentError(f"argument `{d['attrs']['name']}` has shape "
                                       f"{list(np.shape(a))}, the graph takes {list(want)}")
    for opname, avals, attrs, src, checks, msg in graph.dim_checks:
        if all(_shapes.check_holds(a, b, kind, env) for a, b, kind in checks):
            continue
        concrete = [Aval(_shapes.evaluate(tuple(av.shape), env), av.dtype) for av in avals]
        text = None
        if msg is None and opname in OPS:   # the op's own rule gives eager mode's error
            try:
                OPS[opname].rule(*concrete, **_shapes.evaluate(attrs, env))
            except InvalidArgumentError as e:
                text = str(e)
        if text is None:
            text = str(op_error(opname, concrete, (msg or "shapes disagree") + " (unknown dims: "
                                + ", ".join(f"{a} = {_shapes.evaluate(a, env)} vs {b} = "
                                            f"{_shapes.evaluate(b, env)}"
                                            for a, b, _ in checks) + ")"))
        msg = text
        raise InvalidArgumentError(f"{msg}\n  at run time, for the node traced at {src}")
    return env


def specialize(graph, env):
    """A copy of `graph` with its unknown dims replaced by the ints of `env` (shapes and attrs;
    attribute values with an `evaluate_dims(env)` method - sub-graphs - are replaced by its
    result), for backends that plan per concrete shape."""
    g = graph.copy()
    for n, d in g.nx.nodes(data=True):
        if _shapes.has_dim(d["shape"]):
            d["shape"] = _shapes.evaluate(d["shape"], env)
        if d["attrs"] and _shapes.has_dim(d["attrs"]):
            d["attrs"] = _shapes.evaluate(d["attrs"], env)
        for k, v in d["attrs"].items():   # e.g. cond/while_loop sub-graphs
            if hasattr(v, "evaluate_dims"):
                d["attrs"][k] = v.evaluate_dims(env)
        value_of = OPS[d["op"]].facts.get("value_of_dims")
        if value_of is not None:   # graphflow.shape(x) and friends: now a constant
            val = np.array(value_of(d["attrs"]), dtype=d["dtype"])
            val.flags.writeable = False
            d.update(op=CONSTANT.name, attrs={"value": val})
    g.dim_checks = []
    return g


def op_arity(op):
    """Number of inputs an op takes when the table states it (fact `arity`); None when it
    varies (concat, print, cond, ...)."""
    return OPS[op].facts.get("arity") if op in OPS else None


def _check(ok, msg):
    if not ok:
        raise GraphError(msg)


def verify(graph):
    """Check the IR invariants; raises GraphError naming the node. Returns the graph.

    Acyclic; inputs and edges agree; every op is in the table, with its arity; every node's
    shape/dtype is what its op's rule gives (constants: what their value is); outputs, params
    and effects exist; effects are totally ordered by paths (program order).
    """
    with _shapes.unifying(getattr(graph, "dim_aliases", None)):   # as the trace's rules ran
        return _verify(graph)


def _verify(graph):
    g = graph.nx
    _check(is_acyclic(g), f"graph {graph.name} has a cycle")
    for n, d in g.nodes(data=True):
        op = d["op"]
        ins = d["inputs"]
        _check(op in OPS, f"node {n}: unknown op {op!r}")
        opdef = OPS[op]
        for pos, u in enumerate(ins):
            _check(g.has_edge(u, n) and pos in g.edges[u, n]["pos"],
                   f"node {n} ({op}): input {pos} (node {u}) has no matching edge")
        for u in g.predecessors(n):
            e = g.edges[u, n]
            _check(e["control"] or all(p < len(ins) and ins[p] == u for p in e["pos"]),
                   f"edge {u}->{n} positions {e['pos']} disagree with inputs {ins}")
        arity = opdef.facts.get("arity")
        _check(arity is None or len(ins) == arity,
               f"node {n} ({op}) has {len(ins)} inputs, the op takes {arity}")
        if opdef is CONSTANT:
            v = d["attrs"]["value"]
            _check(tuple(np.shape(v)) == tuple(d["shape"]) and np.dtype(v.dtype) == d["dtype"],
                   f"node {n} (constant) says {d['shape']} {d['dtype']} but holds "
                   f"{np.shape(v)} {v.dtype}")
        if opdef.kind == SOURCE and opdef is not READ_VARIABLE:
            continue
        for sub in d["attrs"].values():   # cond / while_loop sub-graphs: checked once each
            if getattr(sub, "graphs", None) is not None and not sub.verified:
                for sg in sub.graphs:
                    verify(sg)
                    _check(len(sg.params) == len(sub.in_avals),
                           f"node {n} ({op}): sub-graph {sg.name} has {len(sg.params)} parameters")
                sub.verified = True
        avals = [Aval(g.nodes[u]["shape"], g.nodes[u]["dtype"]) for u in ins]
        try:
            out = opdef.rule(*avals, **d["attrs"])
        except Exception as e:
            raise GraphError(f"node {n} ({op}): its rule rejects the inputs: {e}") from None
        finally:
            _shapes.take_checks()   # recorded while tracing already
        _check(tuple(out.shape) == tuple(d["shape"]) and np.dtype(out.dtype) == d["dtype"],
               f"node {n} ({op}) says {d['shape']} {d['dtype']} but its rule gives "
               f"{out.shape} {out.dtype}")
    for o in graph.outputs:
        _check(o in g, f"output {o} is not a node")
    for p in graph.params:
        _check(p in g and g.nodes[p]["op"] == PARAMETER.name, f"param {p} is not a parameter node")
    for e in graph.effects:
        _check(e in g, f"effect {e} is not a node")
    for a, b in zip(graph.effects, graph.effects[1:]):
        _check(has_path(g, a, b), f"effects {a} and {b} are not ordered (program order)")
    return graph
