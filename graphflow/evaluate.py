"""The reference evaluator: runs a graph's nodes with the op table's numpy implementations.

It is the `jit_compile=False` backend, runs control-flow sub-graphs, and is what compiled
backends are tested against. The plan (order, slots, bound impls) is computed once, so a call
costs one Python loop over the nodes.

>>> import graphflow as tf
>>> @tf.function(jit_compile=False)
... def f(x):
...     return x * 2.0
>>> f(tf.constant([1., 2.])).numpy()
array([2., 4.], dtype=float32)
"""
import numpy as np

from .dispatch import NUMERICS_CHECKS
from .graph import bind_dims, specialize
from .errors import DeadlineExceededError, InvalidArgumentError, OutOfRangeError
from .ops.registry import OPS, PARAMETER, CONSTANT

# Counts plan runs (this evaluator's and compiled backends'): a control-flow node's memo of its
# sub-graph results is valid only while no plan ran since (see control_ops.Subgraphs).
_RUNS = [0]


def note_run():
    """Count one plan run (every executor calls this once per run)."""
    _RUNS[0] += 1


def run_count():
    """Plan runs so far in this process."""
    return _RUNS[0]


def node_runner(d):
    """A callable computing one node from its input values (also used by other backends)."""
    impl, attrs = OPS[d["op"]].impl, d["attrs"]
    if not attrs:
        return impl
    return lambda *xs: impl(*xs, **attrs)


class NumpyPlan:
    """Precomputed schedule for a Graph: call `run(list_of_arrays)` -> list of output arrays."""

    def __init__(self, graph):
        self.graph = graph
        self.order = order = graph.topo()
        self.slot = {n: i for i, n in enumerate(order)}
        self.init = [None] * len(order)
        self.param_slots = [self.slot[p] for p in graph.params]
        self.steps = []
        for n in order:
            d = graph.nx.nodes[n]
            op = OPS[d["op"]]
            if op is CONSTANT:
                self.init[self.slot[n]] = d["attrs"]["value"]
            elif op is not PARAMETER:
                self.steps.append((self.slot[n], node_runner(d),
                                   tuple(self.slot[u] for u in d["inputs"])))
        self.out_slots = [self.slot[o] for o in graph.outputs]

    def run(self, args):
        """Run the graph on parameter arrays; errors name the failing node's op and source."""
        note_run()
        vals = list(self.init)
        for s, a in zip(self.param_slots, args):
            vals[s] = a
        if NUMERICS_CHECKS:   # graphflow.debugging.enable_check_numerics(): check every node
            return self._run_checked(vals)
        out = None
        try:
            for out, fn, ins in self.steps:
                vals[out] = fn(*[vals[i] for i in ins])
        except Exception as e:
            raise runtime_error(self.graph, self.order[out], e) from None
        return [vals[s] for s in self.out_slots]

    def _run_checked(self, vals):
        out = None
        try:
            for out, fn, ins in self.steps:
                v = vals[out] = fn(*[vals[i] for i in ins])
                if not all_finite(v):
                    break
            else:
                out = None
        except Exception as e:
            raise runtime_error(self.graph, self.order[out], e) from None
        if out is not None:
            raise numerics_error(self.graph, self.order[out], vals[out])
        return [vals[s] for s in self.out_slots]


class PerShapePlan:
    """Runs a graph with unknown dims (`graphflow.shapes.Dim`): at each call the dims are bound
    from the argument shapes (`graphflow.graph.bind_dims`, which also runs the graph's dim
    checks) and the call goes to a backend plan made by `make_plan` for that concrete shape
    (`graphflow.graph.specialize`). Plans are kept per argument shapes, so a call costs one
    tuple of shapes and one dict lookup more than the plan itself; a new shape costs a plan
    (kernels are cached by source, so a compiled backend does not compile again).

    >>> import graphflow as tf
    >>> f = tf.function(lambda x: x * 2.0, input_signature=[tf.TensorSpec((None,))],
    ...                 jit_compile=False)
    >>> f(tf.constant([1., 2.])).numpy(), f(tf.constant([3.])).numpy()
    (array([2., 4.], dtype=float32), array([6.], dtype=float32))
    >>> f.experimental_get_tracing_count()
    1
    """

    MAX_PLANS = 32

    def __init__(self, graph, make_plan):
        self.graph = graph
        self.make_plan = make_plan
        self.plans = {}     # tuple of argument shapes -> (dims, plan)
        self.last = None

    def plan_for(self, args):
        """(dims, plan) for arguments of these shapes (binding and checking the dims)."""
        key = tuple(np.shape(a) for a in args)
        hit = self.plans.get(key)
        if hit is None:
            env = bind_dims(self.graph, args)
            if len(self.plans) >= self.MAX_PLANS:
                self.plans.pop(next(iter(self.plans)))
            hit = self.plans[key] = (env, self.make_plan(specialize(self.graph, env)))
        self.last = hit[1]
        return hit

    def run(self, args):
        try:   # (arrays: their .shape; np.shape costs a call more per argument)
            plan = self.plans[tuple([a.shape for a in args])][1]
        except (KeyError, AttributeError):
            plan = self.plan_for(args)[1]
        return plan.run(args)

    def report(self):
        head = (f"symbolic shapes: one plan per argument shapes ({len(self.plans)} so far: "
                + "; ".join(", ".join(f"{k}={v}" for k, v in env.items())
                            for env, _ in self.plans.values()) + ")")
        last = self.last
        if last is None or not hasattr(last, "report"):
            return head
        return head + "\nlatest:\n" + last.report()

    def __getattr__(self, name):   # wait / ready / kernels ...: the latest plan's
        if name.startswith("__") or self.last is None:
            raise AttributeError(name)
        return getattr(self.last, name)


def all_finite(v):
    """False if `v` is a float/complex array (or scalar) holding a NaN or an infinity."""
    a = np.asarray(v) if not isinstance(v, np.ndarray) else v
    return a.dtype.kind not in "fc" or bool(np.isfinite(a).all())


def describe_nonfinite(v):
    a = np.asarray(v)
    kinds = [k for k, m in (("NaN", np.isnan(a)), ("+inf", np.isposinf(a)), ("-inf", np.isneginf(a)))
             if m.any()]
    first = tuple(int(i) for i in np.argwhere(~np.isfinite(a))[0]) if a.ndim else ()
    return (f"{' and '.join(kinds)} in its {a.dtype.name}{list(a.shape)} output"
            + (f" (first at index {list(first)})" if a.ndim else ""))


def numerics_error(graph, node, value):
    """The error for a graph node whose output is not finite: names the op, its source line and,
    for an adjoint (gradient) node, the forward op it differentiates and that op's source line."""
    d = graph.nx.nodes[node]
    msg = (f"check_numerics: {d['op']} (node {node}, traced at {d['source']}) produced "
           f"{describe_nonfinite(value)}")
    tags = d.get("tags") or {}
    if tags.get("adjoint"):
        fwd = tags.get("forward")
        kind = "tangent" if tags.get("tangent") else f"order-{tags['adjoint']} gradient"
        if fwd is not None and fwd in graph.nx:
            f = graph.nx.nodes[fwd]
            msg += (f"; it is part of the {kind} of {f['op']} (node {fwd}) created at "
                    f"{f['source']}")
        else:
            msg += f"; it is part of the {kind} of forward node {fwd}"
    return InvalidArgumentError(msg)


def runtime_error(graph, node, e):
    """An error raised while running a graph, naming the node's op and the user's source line.
    InvalidArgumentError, except a DeadlineExceededError (a collective whose peers died or
    hang) and an OutOfRangeError (an iterator's end) keep their type, as in TF, so
    `except tf.errors.OutOfRangeError` works on a traced step too."""
    d = graph.nx.nodes[node]
    cls = type(e) if isinstance(e, (DeadlineExceededError, OutOfRangeError)) else \
        InvalidArgumentError
    ins = ", ".join(f"{graph.nx.nodes[u]['shape']} {graph.nx.nodes[u]['dtype'].name}"
                    for u in d["inputs"])
    return cls(f"{d['op']} (node {node}, traced at {d['source']}) failed at run "
                                f"time: {e} (inputs: {ins})")
