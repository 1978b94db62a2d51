"""`@function`: tracing equals eager, signatures and retracing, variables and effects, the graph
gradient pass, graph inspection and errors while tracing.

All traced functions here use `jit_compile=False` (the numpy executor) unless a test is about
the default; the numba backend is tested elsewhere.
"""
import collections
import gc
import os
import sys
import warnings

import networkx as nx
import numpy as np
import pytest

import importlib

import graphflow as tf
from graphflow.backends.numpy_exec import NumpyPlan
from graphflow.graph import verify
from graphflow.ops.registry import OPS

from test_ops_table import CASES

HERE = os.path.basename(__file__)
function_mod = importlib.import_module("graphflow.function")   # the module, not tf.function


def fn(f=None, **kw):
    """`tf.function` on the numpy executor."""
    kw.setdefault("jit_compile", False)
    return tf.function(f, **kw) if f is not None else tf.function(**kw)


def line_of_caller(back=0):
    """'test_function.py:N' for the line that called this (minus `back` lines)."""
    return f"{HERE}:{sys._getframe(1).f_lineno - back}"


def close(a, b, rtol=None):
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape, (a.shape, b.shape)
    assert a.dtype == b.dtype, (a.dtype, b.dtype)
    if a.dtype.kind == "f":
        tol = rtol or (2e-6 if a.dtype == np.float32 else 1e-12)
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)
    else:
        np.testing.assert_array_equal(a, b)


def run_graph(graph, arrays):
    return NumpyPlan(graph).run([np.asarray(a) for a in arrays])


# ============================================================ 1. tracing equals eager, per op
TABLE = [pytest.param(c, id=f"{c.op}-{c.id}" if c.id else c.op)
         for cs in CASES.values() for c in cs]


@pytest.mark.parametrize("case", TABLE)
def test_traced_op_equals_eager(case):
    tensors = [tf.constant(x) for x in case.inputs]
    f = fn(case.api)
    cf = f.get_concrete_function(*tensors)
    for _, g in cf.stages:
        verify(g)
    out = f(*tensors)
    assert isinstance(out, tf.Tensor)
    if OPS[case.op].stateful:      # random: shape, dtype and the case's statistical check
        if case.check is not None:
            case.check(np.asarray(out.numpy()))
        return
    close(out.numpy(), case.api(*tensors).numpy())
    # the graph as traced and the optimized graph give the same values too
    arrays = [t._value for t in tensors]
    close(run_graph(cf.traced, arrays)[0], out.numpy())
    assert f.experimental_get_tracing_count() == 1


def test_every_op_is_traced_by_some_case():
    seen = set()
    for cs in CASES.values():
        for c in cs:
            cf = fn(c.api).get_concrete_function(*[tf.constant(x) for x in c.inputs])
            seen |= {d["op"] for _, d in cf.traced.nx.nodes(data=True)}
    # structural ops (variable reads/assigns, print) are traced by their own tests
    ops = {n for n, o in OPS.items() if o.kind not in ("source", "effect")}
    assert not ops - seen, f"ops never traced: {sorted(ops - seen)}"


def test_zero_d_outputs_match_eager_representation():
    f = fn(lambda x: tf.reduce_sum(x))
    x = tf.constant([1., 2.])
    out, ref = f(x), tf.reduce_sum(x)
    assert repr(out) == repr(ref)
    assert type(out.numpy()) is type(ref.numpy()) is np.float32
    # a folded constant scalar keeps shape () (np.ascontiguousarray used to make it (1,))
    g = fn(lambda: tf.reduce_sum(tf.constant([1., 2.])))
    assert g().shape == () and float(g()) == 3.0


def test_default_backend_traces_too():
    """The default (no jit_compile) uses the numba backend if present; values are the same."""
    f = tf.function(lambda x: x * 2.0 + 1.0)
    np.testing.assert_allclose(f(tf.constant([1., 2.])).numpy(), [3., 5.])
    assert tf.function(lambda x: x).backend == "numba"
    assert fn(lambda x: x).backend == "numpy"


# ============================================================ signatures and retracing
def test_python_scalars_are_part_of_the_signature():
    calls = []

    @fn
    def f(x, n):
        calls.append(n)
        return x * n

    x = tf.constant([1., 2.])
    close(f(x, 2).numpy(), np.float32([2., 4.]))
    close(f(x, 2).numpy(), np.float32([2., 4.]))
    assert f.experimental_get_tracing_count() == 1 and calls == [2]
    close(f(x, 3).numpy(), np.float32([3., 6.]))
    assert f.experimental_get_tracing_count() == 2 and calls == [2, 3]
    # 2 and 2.0 are different Python values (types), True is not 1
    f(x, 2.0)
    f(x, True)
    assert f.experimental_get_tracing_count() == 4
    # the constant is baked into the graph
    cf = f.get_concrete_function(x, 3)
    consts = [d["attrs"]["value"] for _, d in cf.graph.nodes(data=True) if d["op"] == "constant"]
    assert any(np.array_equal(c, np.float32(3)) for c in consts)


def test_traces_once_per_signature_and_retraces_on_shape_dtype_change():
    @fn
    def f(x):
        return tf.reduce_sum(x * x)

    a = tf.constant([1., 2.])
    for _ in range(3):
        assert float(f(a)) == 5.0
    assert f.experimental_get_tracing_count() == 1
    f(tf.constant([3., 4.]))                 # same signature, new values
    assert f.experimental_get_tracing_count() == 1
    assert float(f(tf.constant([3., 4.]))) == 25.0
    f(tf.constant([1., 2., 3.]))             # shape
    assert f.experimental_get_tracing_count() == 2
    f(tf.constant([1., 2.], tf.float64))     # dtype
    assert f.experimental_get_tracing_count() == 3
    f(np.array([1., 2.], np.float32))        # a numpy array is a tensor argument
    assert f.experimental_get_tracing_count() == 3


def test_retrace_log_names_argument_old_new_value_and_caller():
    @fn
    def f(x, scale):
        return x * scale

    x = tf.constant([1., 2.])
    f(x, 2.0)
    first = line_of_caller(1)
    f(x, 3.0)
    second = line_of_caller(1)
    f(tf.constant([1., 2., 3.]), 3.0)
    third = line_of_caller(1)
    f(tf.constant([1., 2., 3.], tf.float64), 3.0)
    with pytest.warns(UserWarning, match="tensor shapes and dtypes"):   # the 5th trace warns
        f(tf.constant([1., 2., 3.], tf.float16), 3.0)
    log = f.retrace_log()
    assert len(log) == 5
    assert "first trace" in log[0] and first in log[0]
    assert "`scale`" in log[1] and "2.0" in log[1] and "3.0" in log[1] and second in log[1]
    assert "`x`" in log[2] and "float32[2]" in log[2] and "float32[3]" in log[2] and third in log[2]
    assert "`x`" in log[3] and "float32[3]" in log[3] and "float64[3]" in log[3]
    assert "`scale`" not in log[2]


def test_repeated_retracing_warns_naming_the_argument():
    @fn
    def f(x, step):
        return x + step

    x = tf.constant(1.)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for i in range(function_mod.RETRACE_WARN_TRACES - 1):   # TF: 5 of the last 10 calls
            f(x, i)
    with pytest.warns(UserWarning) as rec:
        f(x, 99)
    msg = str(rec[0].message)
    assert "`step`" in msg and "99" in msg and "traced 5 times" in msg
    assert "5 out of the last 5 calls" in msg
    assert "Python numbers as tensors" in msg            # the tip fits what changed
    assert "tensor shapes" not in msg
    assert rec[0].filename == __file__                   # points at the caller


def test_retrace_warning_follows_tfs_window_and_limit():
    f = tf.function(lambda x: x + 1)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        for n in range(1, 41):             # a new shape every 3rd call: 4 of any 10 calls trace
            f(tf.ones((n // 3 + 1,)))
        assert not [m for m in w if "retracing" in str(m.message)]
        for spec_n in range(10, 20):       # get_concrete_function's traces never count
            f.get_concrete_function(tf.TensorSpec((spec_n,)))
        assert not [m for m in w if "retracing" in str(m.message)]
        for n in range(100, 120):          # every call traces: warned twice, then quiet
            f(tf.ones((n,)))
    assert len([m for m in w if "retracing" in str(m.message)]) == 2


def test_argument_structure_is_part_of_the_signature():
    @fn
    def f(d):
        return d.get("a", tf.constant(0.)) + 1.

    x = tf.constant(5.)
    assert float(f({"a": x})) == 6.0
    assert float(f({"b": x})) == 1.0          # same leaves, other keys: not the cached trace
    assert f.experimental_get_tracing_count() == 2
    assert "changed structure" in f.retrace_log()[1] and "['b']" in f.retrace_log()[1]

    @fn
    def g(xs):
        return xs[0] * 2.

    assert float(g([x])) == 10.0 and float(g((x, x))) == 10.0
    assert g.experimental_get_tracing_count() == 2


def test_keyword_and_default_arguments():
    @fn
    def f(x, scale=2.0, *, shift=None):
        return x * scale + (0.0 if shift is None else shift)

    x = tf.constant([1., 2.])
    close(f(x).numpy(), np.float32([2., 4.]))
    close(f(x, scale=3.0).numpy(), np.float32([3., 6.]))
    close(f(x, shift=tf.constant(1.)).numpy(), np.float32([3., 5.]))
    close(f(x=x, shift=tf.constant(2.)).numpy(), np.float32([4., 6.]))
    assert f.experimental_get_tracing_count() == 3
    with pytest.raises(TypeError, match="f\\(\\)"):
        f(x, 1., 2.)


def test_returned_structures_and_python_values():
    @fn
    def f(x):
        return {"double": x * 2., "pair": (x, None), "n": 3, "s": "text"}

    out = f(tf.constant([1.]))
    assert set(out) == {"double", "pair", "n", "s"}
    close(out["double"].numpy(), np.float32([2.]))
    assert isinstance(out["pair"], tuple) and out["pair"][1] is None
    assert out["n"] == 3 and out["s"] == "text"
    assert fn(lambda: None)() is None


def test_numpy_arguments_are_copied_not_aliased():
    f = fn(lambda a: tf.reshape(a, (2, 2)))
    arr = np.ones(4, np.float32)
    out = f(arr)
    arr[0] = 7.
    close(out.numpy(), np.ones((2, 2), np.float32))


def test_input_signature_validation_and_conversion():
    @fn(input_signature=[tf.TensorSpec([None], tf.float32)])
    def f(x):
        return x * 2.

    close(f(tf.constant([1., 2.])).numpy(), np.float32([2., 4.]))
    # a Python list is converted to a float32 tensor (not repeated like `list * 2`)
    close(f([1., 2.]).numpy(), np.float32([2., 4.]))
    assert f.experimental_get_tracing_count() == 1
    with pytest.raises(TypeError, match="argument 0 \\(int32\\[2\\]\\).*input_signature"):
        f(tf.constant([1, 2]))
    with pytest.raises(TypeError, match="float32\\[1, 2\\]"):
        f(tf.constant([[1., 2.]]))
    with pytest.raises(TypeError, match="input_signature has 1 tensors .* 2 positional"):
        f(tf.constant([1.]), tf.constant([1.]))
    cf = f.get_concrete_function()
    assert isinstance(cf.graph, nx.DiGraph)
    # by keyword too
    close(f(x=[3., 4.]).numpy(), np.float32([6., 8.]))
    with pytest.raises(TypeError, match="input_signature"):
        f(x=tf.constant([1, 2]))


def test_function_on_methods_traces_per_instance():
    class Scaler:
        def __init__(self, k):
            self.k = k
            self.traces = 0

        @fn
        def __call__(self, x):
            self.traces += 1
            return x * self.k

    a, b = Scaler(2.), Scaler(3.)
    x = tf.constant([1., 2.])
    close(a(x).numpy(), np.float32([2., 4.]))
    close(b(x).numpy(), np.float32([3., 6.]))
    close(a(x).numpy(), np.float32([2., 4.]))
    assert (a.traces, b.traces) == (1, 1)
    assert a.__call__ is a.__call__ and a.__call__ is not b.__call__
    assert a.__call__.experimental_get_tracing_count() == 1
    assert isinstance(Scaler.__call__, tf.Function)
    # the per-instance traces do not keep the instance alive
    bound = Scaler.__dict__["__call__"]._bound
    n = len(bound)
    del a
    gc.collect()
    assert len(bound) == n - 1


def test_run_functions_eagerly():
    calls = []

    @fn
    def f(x):
        calls.append(1)
        return x.numpy() * 2        # only possible eagerly

    try:
        tf.config.run_functions_eagerly(True)
        assert tf.config.functions_run_eagerly()
        np.testing.assert_allclose(f(tf.constant([1., 2.])), [2., 4.])
        f(tf.constant([1., 2.]))
        assert len(calls) == 2 and f.experimental_get_tracing_count() == 0
    finally:
        tf.config.run_functions_eagerly(False)
    assert not tf.config.functions_run_eagerly()
    with pytest.raises(TypeError, match="numpy"):
        f(tf.constant([1., 2.]))


def test_python_print_at_trace_time_tf_print_every_call(capsys):
    @fn
    def f(x):
        print("python print", x.shape)
        tf.print("graph print", x, "sum:", tf.reduce_sum(x))
        return x + 1.

    x = tf.constant([1., 2.])
    f(x)
    f(x)
    f(tf.constant([3., 4.]))
    out = capsys.readouterr().out.splitlines()
    assert out.count("python print (2,)") == 1
    assert [l for l in out if l.startswith("graph print")] == [
        "graph print [1 2] sum: 3", "graph print [1 2] sum: 3",
        "graph print [3 4] sum: 7"]
    # eager tf.print formats the same way
    tf.print("graph print", x, "sum:", tf.reduce_sum(x))
    assert capsys.readouterr().out == "graph print [1 2] sum: 3\n"


def test_symbolic_tensor_as_python_bool_names_line_and_cond():
    @fn(autograph=False)   # with AutoGraph (the default) the `if` becomes a cond
    def f(x):
        if tf.reduce_sum(x) > 0:
            return x
        return -x

    if_line = f"{HERE}:{f.python_function.__code__.co_firstlineno + 2}"
    with pytest.raises(TypeError) as e:
        f(tf.constant([1., 2.]))
    msg = str(e.value)
    assert if_line in msg
    assert "graphflow.cond" in msg and "Python bool" in msg
    converted = fn(f.python_function)
    assert converted(tf.constant([1., 2.])).numpy().tolist() == [1., 2.]
    assert converted(tf.constant([-1., -2.])).numpy().tolist() == [1., 2.]
    for bad in (lambda x: float(x), lambda x: x.numpy(), lambda x: np.asarray(x)):
        with pytest.raises(TypeError, match="symbolic tensor"):
            fn(bad)(tf.constant(1.))


def test_variable_created_inside_first_trace_only():
    class Dense:
        def __init__(self):
            self.w = None

        @fn
        def __call__(self, x):
            if self.w is None:   # TF's pattern: create on the first trace only
                self.w = tf.Variable(tf.ones((x.shape[-1], 2)))
                self.b = tf.Variable(tf.random.normal((2,), seed=1) * 0.0 + 0.5)
                self.s = tf.Variable(lambda: tf.constant(2.))
                self.m = tf.Variable(tf.reduce_mean(x))   # from the traced call's argument
            return (tf.matmul(x, self.w) + self.b) * self.s

    d = Dense()
    x = tf.constant([[1., 2., 3.]])
    close(d(x).numpy(), np.float32([[13., 13.]]))
    close(d(x).numpy(), np.float32([[13., 13.]]))
    close(d.m.numpy(), np.float32(2.))
    close(d.b.numpy(), np.float32([.5, .5]))
    d.w.assign(tf.zeros((3, 2)))
    close(d(x).numpy(), np.float32([[1., 1.]]))
    # the initializer's random draw does not stay in the graph as an effect
    cf = d.__call__.get_concrete_function(x)
    assert not any(OPS.get(o) is not None and OPS[o].stateful for o in nx_ops(cf.graph))
    # a retrace would create a second set of variables: a clear error instead
    with pytest.raises(ValueError, match="singleton tf.Variables created on the first call") as e:
        @fn
        def g(x):
            v = tf.Variable(1.)
            return v * x

        g(tf.constant(1.))
        g(tf.constant([1., 2.]))
    assert HERE in str(e.value)


def test_variable_initial_value_from_other_variables():
    w = tf.Variable([1., 2.])

    class Slots:
        slot = None

        @fn
        def step(self, x):
            if self.slot is None:
                self.slot = tf.Variable(tf.zeros_like(w) + w * 2.)   # reads w's current value
            self.slot.assign_add(x)
            return self.slot.read_value()

    s = Slots()
    close(s.step(tf.constant([1., 1.])).numpy(), np.float32([3., 5.]))
    close(s.step(tf.constant([1., 1.])).numpy(), np.float32([4., 6.]))

    @fn
    def after_assign(x):
        w.assign(x)
        return tf.Variable(w * 2.)     # w's value is only known when the function runs

    with pytest.raises(ValueError, match="after an assign") as e:
        after_assign(tf.constant([0., 0.]))
    assert HERE in str(e.value)


def nx_ops(g):
    return [d["op"] for _, d in g.nodes(data=True)]


def test_nested_function_is_inlined_and_outer_tape_sees_it():
    inner = fn(lambda x: tf.reduce_sum(x * x))

    @fn
    def outer(x):
        return inner(x) + 1.

    x = tf.constant([1., 2.])
    assert float(outer(x)) == 6.0
    assert inner.experimental_get_tracing_count() == 0     # inlined, not traced separately
    with tf.GradientTape() as t:
        t.watch(x)
        y = inner(x)
    close(t.gradient(y, x).numpy(), np.float32([2., 4.]))


def test_symbolic_tensor_leaking_into_another_function_errors():
    leaked = []

    @fn
    def f(x):
        leaked.append(x * 2.)
        return x

    f(tf.constant(1.))
    g = fn(lambda y: y + leaked[0])
    with pytest.raises(tf.errors.InvalidArgumentError, match="another traced function"):
        g(tf.constant(1.))


# ============================================================ 2. variables and effects
def test_captured_and_passed_variables_become_read_nodes():
    v = tf.Variable([1., 2.])
    w = tf.Variable([10., 20.])

    @fn
    def f(x, p):
        return x * v + p

    x = tf.constant([1., 1.])
    close(f(x, w).numpy(), np.float32([11., 22.]))
    cf = f.get_concrete_function(x, w)
    reads = [d["attrs"]["var"] for _, d in cf.graph.nodes(data=True) if d["op"] == "read_variable"]
    assert {id(r) for r in reads} == {id(v), id(w)}
    assert len(cf.graph.graph.get("params", [])) == 0 and len(cf.optimized.params) == 1
    v.assign([3., 4.])     # the graph reads the current value on every call
    w.assign([0., 0.])
    close(f(x, w).numpy(), np.float32([3., 4.]))
    assert f.experimental_get_tracing_count() == 1
    f(x, tf.Variable([0., 0.]))     # another Variable object: its own trace
    assert f.experimental_get_tracing_count() == 2


def test_assigns_apply_in_program_order():
    v = tf.Variable(0.)

    @fn
    def f():
        v.assign(1.)
        a = v.read_value()
        v.assign_add(2.)
        b = v.read_value()
        v.assign_sub(0.5)
        c = v * 2.
        v.assign(v * 10.)
        return a, b, c, v.read_value()

    for _ in range(2):
        a, b, c, d = f()
        assert (float(a), float(b), float(c), float(d)) == (1., 3., 5., 25.)
        assert float(v.numpy()) == 25.
    v.assign(0.)
    g = fn(lambda: (v.assign(1.), v.assign_add(2.), v.read_value())[-1])
    assert float(g()) == 3.0


def test_read_before_assign_sees_old_value():
    v = tf.Variable([1., 2.])

    @fn
    def swap_in(new):
        old = v.read_value()
        v.assign(new)
        return old, v.read_value()

    old, cur = swap_in(tf.constant([5., 6.]))
    close(old.numpy(), np.float32([1., 2.]))
    close(cur.numpy(), np.float32([5., 6.]))
    old, cur = swap_in(tf.constant([7., 8.]))
    close(old.numpy(), np.float32([5., 6.]))


def test_sliced_assignment_matches_eager():
    def body(v):
        a = v.read_value()
        v[0, 1].assign(5.)
        v[1].assign(tf.constant([7., 8., 9.]))
        b = v.read_value()
        v[:, 2].assign(v[:, 0] * 2.)
        v[::-1, 0].assign(tf.constant([-1., -2.]))
        return a, b, v.read_value()

    init = np.arange(6, dtype=np.float32).reshape(2, 3)
    ve, vt = tf.Variable(init), tf.Variable(init)
    eager, traced = body(ve), fn(body)(vt)
    for e, t in zip(eager, traced):
        close(t.numpy(), e.numpy())
    close(vt.numpy(), ve.numpy())


def test_assign_shape_and_dtype_errors_while_tracing():
    v = tf.Variable([1., 2.])
    with pytest.raises(tf.errors.InvalidArgumentError, match="shape mismatch"):
        fn(lambda: v.assign([1., 2., 3.]))()
    with pytest.raises(tf.errors.InvalidArgumentError, match="int32"):
        fn(lambda x: v.assign(x))(tf.constant([1, 2]))
    close(v.numpy(), np.float32([1., 2.]))


def _training_step(inputs, targets, W, b):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(targets - (tf.matmul(inputs, W) + b)))
    gW, gb = tape.gradient(loss, [W, b])
    W.assign_sub(gW * 0.1)
    b.assign_sub(gb * 0.1)
    return loss


def test_training_step_traced_equals_eager():
    rng = np.random.default_rng(0)
    X = tf.constant(rng.standard_normal((16, 3)).astype(np.float32))
    Y = tf.constant(rng.standard_normal((16, 2)).astype(np.float32))
    W0 = rng.standard_normal((3, 2)).astype(np.float32)
    We, be = tf.Variable(W0), tf.Variable(np.zeros(2, np.float32))
    Wt, bt = tf.Variable(W0), tf.Variable(np.zeros(2, np.float32))
    step = fn(_training_step)
    losses = []
    for _ in range(5):
        le = _training_step(X, Y, We, be)
        lt = step(X, Y, Wt, bt)
        close(lt.numpy(), le.numpy(), rtol=1e-6)
        losses.append(float(lt))
        np.testing.assert_allclose(Wt.numpy(), We.numpy(), rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(bt.numpy(), be.numpy(), rtol=1e-6, atol=1e-7)
    assert losses == sorted(losses, reverse=True)      # it trains
    assert step.experimental_get_tracing_count() == 1
    cf = step.get_concrete_function(X, Y, Wt, bt)
    ops = nx_ops(cf.graph)
    assert ops.count("assign") == 2 and ops.count("read_variable") == 2


# ============================================================ 3. gradient pass
def chain(x):
    return tf.tanh(0.5 * x + 1) * tf.sigmoid(x) + x * x


def mlp_xent(w1, w2):
    x = tf.constant(np.linspace(-1, 1, 12).reshape(4, 3), w1.dtype)
    labels = tf.one_hot(tf.constant([0, 2, 1, 2]), 3, dtype=w1.dtype)
    h = tf.tanh(tf.matmul(x, w1))
    logits = tf.matmul(h, w2)
    return tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels, logits))


R = np.random.default_rng(7)
GRAD_FUNCS = {
    "chain": (lambda x: tf.reduce_sum(chain(x)), [R.uniform(-2, 2, (5,))]),
    "mlp_xent": (mlp_xent, [R.standard_normal((3, 4)) * .5, R.standard_normal((4, 3)) * .5]),
    "matmul": (lambda a, b: tf.reduce_sum(tf.sin(tf.matmul(a, b))),
               [R.standard_normal((2, 3)), R.standard_normal((3, 4))]),
    "reductions": (lambda x: tf.reduce_max(x, 1)[0] * tf.reduce_mean(x * x)
                   + tf.reduce_logsumexp(x) + tf.reduce_prod(x[0]) + tf.math.reduce_std(x),
                   [R.uniform(0.5, 2., (3, 4))]),
    "broadcasting": (lambda a, b, c: tf.reduce_sum(tf.exp(a * b - c) / (1. + b * b)),
                     [R.standard_normal((3, 1)), R.standard_normal((1, 4)),
                      R.standard_normal((4,))]),
}


def _first_and_second(f, xs):
    with tf.GradientTape() as outer:
        outer.watch(xs)
        with tf.GradientTape() as inner:
            inner.watch(xs)
            y = f(*xs)
        g1 = inner.gradient(y, xs)
        s = tf.add_n([tf.reduce_sum(g * g) for g in g1]) if hasattr(tf, "add_n") else \
            sum(tf.reduce_sum(g * g) for g in g1)
    g2 = outer.gradient(s, xs)
    return [y] + list(g1) + list(g2)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(GRAD_FUNCS))
def test_gradient_tape_in_function_equals_eager(name, dtype):
    f, arrays = GRAD_FUNCS[name]
    xs = [tf.constant(a.astype(dtype)) for a in arrays]
    traced_fn = fn(lambda *xs: _first_and_second(f, list(xs)))
    eager = _first_and_second(f, xs)
    traced = traced_fn(*xs)
    rtol = 2e-5 if dtype == np.float32 else 1e-10
    for e, t in zip(eager, traced):
        assert e is not None and t is not None
        np.testing.assert_allclose(t.numpy(), e.numpy(), rtol=rtol, atol=rtol)
        assert t.dtype == e.dtype
    cf = traced_fn.get_concrete_function(*xs)
    for _, g in cf.stages:
        verify(g)
    # adjoint nodes carry their order and the forward node they came from
    tags = [d["tags"] for _, d in cf.traced.nx.nodes(data=True) if "adjoint" in d["tags"]]
    assert {t["adjoint"] for t in tags} == {1, 2}
    for t in tags:
        assert t["forward"] in cf.traced.nx


def test_tf_gradients_in_function_first_and_second_order():
    @fn
    def f(x):
        y = tf.reduce_sum(chain(x))
        g, = tf.gradients(y, [x])
        h, = tf.gradients(tf.reduce_sum(g), [x])
        return g, h

    x = tf.constant([0.3, -1.2, 2.0], tf.float64)
    with tf.GradientTape() as t2:
        t2.watch(x)
        with tf.GradientTape() as t1:
            t1.watch(x)
            y = tf.reduce_sum(chain(x))
        g = t1.gradient(y, x)
        s = tf.reduce_sum(g)
    h = t2.gradient(s, x)
    tg, th = f(x)
    np.testing.assert_allclose(tg.numpy(), g.numpy(), rtol=1e-12)
    np.testing.assert_allclose(th.numpy(), h.numpy(), rtol=1e-12)
    cf = f.get_concrete_function(x)
    orders = collections.Counter(d["tags"].get("adjoint") for _, d in cf.traced.nx.nodes(data=True))
    assert orders[1] > 0 and orders[2] > 0
    fwd = {d["tags"]["forward"] for _, d in cf.traced.nx.nodes(data=True) if d["tags"].get("adjoint") == 1}
    assert fwd <= set(n for n, d in cf.traced.nx.nodes(data=True) if "adjoint" not in d["tags"])


def test_adjoint_order_of_independent_first_order_gradients():
    """Two first-order gradients in one function are both order 1, also when the second one's
    forward code reuses a (deduplicated) constant the first gradient created; a gradient of a
    value computed from a first-order gradient is order 2."""
    @fn
    def f(x):
        with tf.GradientTape() as t:
            t.watch(x)
            y = tf.reduce_sum(x ** 3.)
        g = t.gradient(y, x)
        with tf.GradientTape() as t2:
            t2.watch(x)
            z = tf.reduce_sum(x * 3. - 1.)      # 1.0 was first created by pow's vjp
        return g, t2.gradient(z, x)

    cf = f.get_concrete_function(tf.constant([1., 2.]))
    orders = {d["tags"].get("adjoint") for _, d in cf.traced.nx.nodes(data=True)}
    assert orders == {None, 1}
    g, h = f(tf.constant([1., 2.]))
    close(g.numpy(), np.float32([3., 12.]))
    close(h.numpy(), np.float32([3., 3.]))


def test_tf_gradients_with_variables_and_unconnected():
    v = tf.Variable([1., 2.])

    @fn
    def f(x):
        y = tf.reduce_sum(v * v * x)
        gv, gx, gz = tf.gradients(y, [v, x, tf.constant(1.)])
        _, _, gz0 = tf.gradients(y, [v, x, tf.constant(1.)], unconnected_gradients="zero")
        return gv, gx, gz, gz0

    gv, gx, gz, gz0 = f(tf.constant([3., 4.]))
    close(gv.numpy(), np.float32([6., 16.]))
    close(gx.numpy(), np.float32([1., 4.]))
    assert gz is None and float(gz0) == 0.0
    with pytest.raises(RuntimeError, match="only works inside @function"):
        tf.gradients(tf.constant(1.), [tf.constant(1.)])


def test_gradient_of_variable_in_function_matches_eager_first_and_second_order():
    def body(v):
        with tf.GradientTape() as t2:
            with tf.GradientTape() as t1:
                y = tf.reduce_sum(tf.sin(v) * v)
            g = t1.gradient(y, v)
            s = tf.reduce_sum(g * g)
        return g, t2.gradient(s, v)

    v = tf.Variable([0.5, -1.5, 2.5], dtype=tf.float64)
    for e, t in zip(body(v), fn(body)(v)):
        np.testing.assert_allclose(t.numpy(), e.numpy(), rtol=1e-12)


# ============================================================ 7. graph inspection
def test_graph_is_networkx_and_pretty_shows_op_shape_dtype_source():
    @fn
    def f(x, y):
        z = tf.matmul(x, y)
        return tf.nn.relu(z) * 2.0

    x, y = tf.ones((2, 3)), tf.ones((3, 4))
    cf = f.get_concrete_function(x, y)
    assert isinstance(cf.graph, nx.DiGraph)
    assert nx.is_directed_acyclic_graph(cf.graph)
    assert cf.graph is cf.optimized.nx
    for n, d in cf.graph.nodes(data=True):
        assert isinstance(n, int)
        assert set(d) >= {"op", "inputs", "attrs", "shape", "dtype", "source", "tags"}
        for pos, u in enumerate(d["inputs"]):
            assert pos in cf.graph.edges[u, n]["pos"]
    matmul_line = f"{HERE}:{f.python_function.__code__.co_firstlineno + 2}"
    text = cf.pretty()
    mm = [l for l in text.splitlines() if "matmul(" in l]
    assert len(mm) == 1
    assert "(2, 4)" in mm[0] and "float32" in mm[0] and matmul_line in mm[0]
    relu = [l for l in text.splitlines() if "relu(" in l][0]
    assert f"{HERE}:{f.python_function.__code__.co_firstlineno + 3}" in relu
    assert str(cf.optimized) == text
    assert cf.pretty("traced") == cf.traced.dump()
    with pytest.raises(KeyError, match="stages"):
        cf.pretty("no-such-pass")


def test_stages_hold_the_graph_before_and_after_each_pass():
    from graphflow.passes import PIPELINE

    @fn
    def f(x):
        a = x * 1.0 + tf.reduce_sum(tf.constant([1., 2.]))
        b = x * 1.0 + tf.reduce_sum(tf.constant([1., 2.]))
        unused = tf.exp(x)   # noqa: F841
        return a + b

    cf = f.get_concrete_function(tf.ones((3,)))
    names = [n for n, _ in cf.stages]
    assert names == ["traced"] + [n for n, _ in PIPELINE]
    assert cf.stages[0][1] is cf.traced and cf.stages[-1][1] is cf.optimized
    sizes = [g.nx.number_of_nodes() for _, g in cf.stages]
    assert sizes[0] > sizes[-1]
    assert "exp" in nx_ops(cf.traced.nx) and "exp" not in nx_ops(cf.graph)
    # passes work on copies: the traced graph is untouched
    assert len({id(g.nx) for _, g in cf.stages}) == len(cf.stages)
    for name, g in cf.stages:
        verify(g)
        close(run_graph(g, [np.ones(3, np.float32)])[0], np.full(3, 8., np.float32))
    assert cf.trace_seconds > 0


def test_concrete_function_call_binds_keywords_and_checks_signature():
    f = fn(lambda x, y: x - y)
    cf = f.get_concrete_function(tf.constant([1., 2.]), tf.constant([0., 0.]))
    close(cf(tf.constant([5., 5.]), tf.constant([1., 2.])).numpy(), np.float32([4., 3.]))
    close(cf(y=tf.constant([1., 1.]), x=tf.constant([5., 5.])).numpy(), np.float32([4., 4.]))
    close(cf(np.float32([3., 3.]), y=np.float32([1., 1.])).numpy(), np.float32([2., 2.]))
    with pytest.raises(TypeError, match="argument `x` is float32\\[1\\] .* float32\\[2\\]"):
        cf(tf.constant([1.]), tf.constant([0.]))    # would broadcast silently otherwise
    with pytest.raises(TypeError, match="float64"):
        cf(tf.constant([1., 2.], tf.float64), tf.constant([0., 0.]))
    assert f.experimental_get_tracing_count() == 1


def test_kernel_plan_on_numpy_backend():
    f = fn(lambda x: x + 1.)
    assert "numpy" in f.kernel_plan(tf.constant(1.))


# ============================================================ 8. bad input while tracing
def test_shape_mismatch_while_tracing_names_op_shapes_and_line():
    @fn
    def f(a, b):
        c = a * 2.
        return tf.matmul(c, b)

    bad_line = f"{HERE}:{f.python_function.__code__.co_firstlineno + 3}"
    with pytest.raises(tf.errors.InvalidArgumentError) as e:
        f(tf.ones((2, 3)), tf.ones((2, 3)))
    msg = str(e.value)
    assert "matmul" in msg and "(2, 3)" in msg and bad_line in msg
    assert f.experimental_get_tracing_count() == 0    # nothing half-traced is cached

    @fn
    def g(a, b):
        return a + b

    with pytest.raises(tf.errors.InvalidArgumentError, match=r"add.*\(3,\).*\(4,\)") as e:
        g(tf.ones((3,)), tf.ones((4,)))
    assert f"{HERE}:{g.python_function.__code__.co_firstlineno + 2}" in str(e.value)
    with pytest.raises(tf.errors.InvalidArgumentError, match="cannot mix dtypes"):
        g(tf.ones((3,)), tf.ones((3,), tf.float64))


def test_run_time_error_names_op_and_traced_line():
    @fn
    def f(p, i):
        return tf.gather(p, i)

    p = tf.constant([1., 2., 3.])
    assert float(f(p, tf.constant([2]))[0]) == 3.
    with pytest.raises(tf.errors.InvalidArgumentError) as e:
        f(p, tf.constant([7]))
    assert "gather" in str(e.value) and HERE in str(e.value)


def test_constant_with_shape_inside_function():
    @tf.function(jit_compile=False)
    def f():
        return tf.constant(2., shape=(2, 2)), tf.constant([1, 2], shape=(2, 1))
    a, b = f()
    np.testing.assert_array_equal(a.numpy(), np.full((2, 2), 2., np.float32))
    np.testing.assert_array_equal(b.numpy(), [[1], [2]])


def test_failed_gradient_trace_leaves_no_adjoint_tag_behind():
    from graphflow import state as _state

    @tf.function(jit_compile=False)
    def f(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            # (a cond in a loop body drawing random numbers has no gradient: the trace fails)
            y = tf.while_loop(lambda v: tf.reduce_sum(v) < 10.,
                              lambda v: tf.cond(v[0] > 0., lambda: v * 2. + tf.random.uniform([1]),
                                                lambda: v * 3.), x)
        return tape.gradient(y, x)
    with pytest.raises(NotImplementedError, match="while_loop"):
        f(tf.constant([1.]))
    assert _state.current() is _state.IDLE

    @tf.function(jit_compile=False)
    def g(x):
        return x + 1.
    cf = g.get_concrete_function(tf.constant([1.]))
    assert all("adjoint" not in d["tags"] for _, d in cf.traced.nx.nodes(data=True))


def test_concrete_function_timings_say_where_making_it_went():
    """`timings`: trace, passes and the executor (plan) of a first call, in seconds."""
    f = fn(lambda x: tf.exp(x) * 2.0 + 1.0)
    x = tf.constant([0.0, 1.0])
    close(f(x).numpy(), (np.exp([0.0, 1.0]) * 2 + 1).astype(np.float32))
    t = f.get_concrete_function(x).timings
    assert set(t) == {"trace", "passes", "executor"} and all(v > 0 for v in t.values())
    assert t["trace"] == f.get_concrete_function(x).trace_seconds
