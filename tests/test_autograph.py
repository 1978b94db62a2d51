"""AutoGraph: Python control flow on tensors inside @function, against the same code run
eagerly and TF's documented results (the tf.function guide's cells)."""
import os

import numpy as np
import pytest

import graphflow as tf

HERE = os.path.basename(__file__)


def fn(f=None, **kw):
    kw.setdefault("jit_compile", False)
    return tf.function(f, **kw) if f is not None else tf.function(**kw)


def both(f, *args):
    """(traced result, eager result) of the same Python function."""
    return fn(f)(*args), f(*args)


def test_if_elif_else_on_tensors_matches_eager():
    def f(x):
        s = tf.reduce_sum(x)
        if s > 10:
            y = x * 3.0
        elif s > 0:
            y = x * 2.0
        else:
            y = -x
        return y
    g = fn(f)
    for v in ([1., 2.], [5., 6.], [-1., -3.]):
        x = tf.constant(v)
        np.testing.assert_allclose(g(x).numpy(), f(x).numpy())
    assert g.experimental_get_tracing_count() == 1   # one graph holds all branches
    ops = {d["op"] for _, d in g.get_concrete_function(tf.constant([1., 2.])).graph.nodes(
        data=True)}
    assert "cond" in ops


def test_while_norm_and_newton_iteration():
    def shrink(x):
        while tf.norm(x) > 1:
            x = x / 2
        return x
    t, e = both(shrink, tf.constant([3., 4.]))
    np.testing.assert_allclose(t.numpy(), [0.375, 0.5])
    np.testing.assert_allclose(t.numpy(), e.numpy())

    def newton_sqrt(a):
        x = a
        steps = 0
        while tf.abs(x * x - a) > 1e-5 * a:
            x = 0.5 * (x + a / x)
            steps += 1
        return x, steps
    for a in (2.0, 10.0, 1234.0):
        (x, n), (xe, ne) = both(newton_sqrt, tf.constant(a))
        assert abs(float(x) - np.sqrt(a)) < 1e-4 * np.sqrt(a) and int(n) == int(ne)


def test_fizzbuzz_with_tf_range(capsys):
    @fn
    def fizzbuzz(n):
        for i in tf.range(1, n + 1):
            if i % 15 == 0:
                tf.print('FizzBuzz')
            elif i % 3 == 0:
                tf.print('Fizz')
            elif i % 5 == 0:
                tf.print('Buzz')
            else:
                tf.print(i)
    fizzbuzz(tf.constant(15))
    want = ["FizzBuzz" if i % 15 == 0 else "Fizz" if i % 3 == 0 else "Buzz" if i % 5 == 0
            else str(i) for i in range(1, 16)]
    assert capsys.readouterr().out.split() == want
    fizzbuzz(tf.constant(5))   # same graph, new n: the loop is a node, not unrolled
    assert capsys.readouterr().out.split() == want[:5]
    assert fizzbuzz.experimental_get_tracing_count() == 1


def test_for_over_tensor_list_append_like_tf():
    # TF converts `for i in x` over a tensor into a loop traced once: the Python list gets
    # ONE element (the guide's caveat); over a Python range it is unrolled: three
    log = []

    @fn
    def over_tensor(x):
        s = tf.constant(0.)
        for i in x:
            log.append(i)
            s += i
        return s
    assert float(over_tensor(tf.constant([1., 2., 3.]))) == 6.
    assert len(log) == 1
    log.clear()

    @fn
    def over_range(x):
        s = tf.constant(0.)
        for i in range(3):
            log.append(i)
            s += x[i]
        return s
    assert float(over_range(tf.constant([1., 2., 3.]))) == 6.
    assert log == [0, 1, 2]


def test_python_conditions_stay_python():
    @fn
    def f(x, training):
        if training:          # a Python bool: only this branch is traced
            x = x * 2.0
        n = 0
        while n < 3:          # Python loop: unrolled
            x = x + 1.0
            n += 1
        return x
    assert float(f(tf.constant(1.), True)) == 5.
    assert float(f(tf.constant(1.), False)) == 4.
    g = f.get_concrete_function(tf.constant(1.), True).graph
    assert not any(d["op"] in ("cond", "while_loop") for _, d in g.nodes(data=True))


def test_break_continue_and_return_in_tensor_loops():
    def first_over(x, limit):
        for i in tf.range(tf.shape(x)[0]):
            if x[i] > limit:
                return i
        return -1
    x = tf.constant([1., 5., 2., 7.])
    for lim, want in ((3., 1), (6., 3), (10., -1)):
        t, e = both(first_over, x, tf.constant(lim))
        assert int(t) == want == int(e)

    def sum_until_negative_skip_odd(x):
        s = tf.constant(0)
        for v in x:
            if v < 0:
                break
            if v % 2 == 1:
                continue
            s += v
        return s
    for v in ([2, 3, 4, -1, 6], [1, 2, 4, 6], [-1, 2]):
        t, e = both(sum_until_negative_skip_odd, tf.constant(v))
        assert int(t) == int(e)

    def count_down(n):
        k = 0
        while n > 0:
            n -= 1
            if n == 2:
                break
            k += 1
        return k
    t, e = both(count_down, tf.constant(6))
    assert int(t) == int(e) == 3


def test_conditional_expression_and_boolean_operators():
    def f(x):
        a = x * 2.0 if tf.reduce_sum(x) > 0 else -x
        b = tf.reduce_max(x) > 1 and tf.reduce_min(x) > -1
        c = not tf.reduce_any(x > 2) or tf.reduce_sum(x) < 0
        return a, b, c
    for v in ([1., 2.], [-0.5, 3.], [-4., -3.]):
        t, e = both(f, tf.constant(v))
        for a, b in zip(t, e):
            np.testing.assert_allclose(np.asarray(a), np.asarray(b))


def test_nested_loops_and_called_functions_are_converted():
    def clip_positive(v):    # called from the traced function: converted too
        if v > 0:
            return v
        return tf.zeros_like(v)

    def f(m):
        total = tf.constant(0.)
        for row in m:
            for v in row:
                total += clip_positive(v)
        return total
    m = tf.constant([[1., -2.], [3., -4.]])
    t, e = both(f, m)
    assert float(t) == float(e) == 4.


def test_tensor_array_dynamic_rnn():
    def rnn_step(inp, state):
        return inp + state

    @fn
    def dynamic_rnn(input_data, initial_state):
        input_data = tf.transpose(input_data, [1, 0, 2])
        max_seq_len = input_data.shape[0]
        states = tf.TensorArray(tf.float32, size=max_seq_len)
        state = initial_state
        for i in tf.range(max_seq_len):
            state = rnn_step(input_data[i], state)
            states = states.write(i, state)
        return tf.transpose(states.stack(), [1, 0, 2])
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    out = dynamic_rnn(tf.constant(x), tf.zeros([2, 4]))
    np.testing.assert_allclose(out.numpy(), np.cumsum(x, axis=1))


def test_gradient_through_converted_if_matches_finite_differences():
    @fn
    def f(x):
        if tf.reduce_sum(x) > 0:
            y = tf.reduce_sum(tf.sin(x) * x)
        else:
            y = tf.reduce_sum(x * x)
        return y

    @fn
    def grad(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = f(x)
        return tape.gradient(y, x)
    for v in ([0.3, 0.5], [-0.3, -0.5]):
        x = np.array(v)
        g = grad(tf.constant(x)).numpy()
        h = 1e-6
        fd = [(float(f(tf.constant(x + h * e))) - float(f(tf.constant(x - h * e)))) / (2 * h)
              for e in np.eye(2)]
        np.testing.assert_allclose(g, fd, rtol=1e-5)


def test_errors_name_user_lines():
    @fn
    def undefined_in_else(x):
        if tf.reduce_sum(x) > 0:
            y = x
        return y
    with pytest.raises(ValueError, match="'y' must also be initialized in the else branch"):
        undefined_in_else(tf.constant([1.]))

    @fn
    def shape_changes(x):
        v = x
        while tf.reduce_sum(v) < 10.:
            v = tf.concat([v, v], 0)
        return v
    with pytest.raises(ValueError, match=r"'v' has shape \[1\] before the loop, but shape "
                                         r"\[2\] after one iteration") as e:
        shape_changes(tf.constant([3.]))
    line = shape_changes.python_function.__code__.co_firstlineno + 3
    assert f"line {line}" in str(e.value)

    @fn
    def bad_op(x):
        if tf.reduce_sum(x) > 0:
            x = tf.matmul(x, x)
        return x
    with pytest.raises(Exception) as e:
        bad_op(tf.constant([1., 2.]))
    line = bad_op.python_function.__code__.co_firstlineno + 3
    assert f"{HERE}:{line}" in str(e.value)
    # the traceback's innermost user frame is the user's line, not generated code
    tb = e.tb
    frames = []
    while tb is not None:
        frames.append((os.path.basename(tb.tb_frame.f_code.co_filename), tb.tb_lineno))
        tb = tb.tb_next
    assert (HERE, line) in frames


def test_to_code_do_not_convert_and_autograph_false():
    def f(x):
        while x > 0:
            x -= 1
        return x
    code = tf.autograph.to_code(f)
    assert "ag__.while_stmt" in code and "def loop_body" in code

    @tf.autograph.experimental.do_not_convert
    def raw(x):
        if x > 0:
            return x
        return -x
    with pytest.raises(TypeError, match="Python bool"):
        fn(raw)(tf.constant(1.))
    with pytest.raises(TypeError, match="Python bool"):
        fn(f, autograph=False)(tf.constant(3))
    assert int(fn(f)(tf.constant(3))) == 0


def test_print_runs_while_tracing_as_tf_and_prints_at_run_time_with_builtin_functions(capsys):
    # TF 2.21 (checked): AutoGraph leaves `print` alone unless the optional feature
    # BUILTIN_FUNCTIONS is on: it runs once, while tracing, and shows the symbolic tensor
    def body(x):
        print("tracing", 3)                 # Python values only: once, while tracing
        for i in tf.range(2):
            print("step", i, x * 2.0, sep="|")
        return x

    f = fn(body)
    f(tf.constant([1., 2.]))
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "tracing 3" and len(out) == 2 and out[1].startswith("step|")
    assert "shape=(2,)" in out[1]           # the symbolic tensor, printed once
    f(tf.constant([0.5, 1.]))
    assert capsys.readouterr().out == ""

    g = tf.function(body, experimental_autograph_options=(
        tf.autograph.experimental.Feature.BUILTIN_FUNCTIONS,))
    g(tf.constant([1., 2.]))                # tensors: every run, every iteration
    assert capsys.readouterr().out == "tracing 3\nstep|0|[2 4]\nstep|1|[2 4]\n"
    g(tf.constant([0.5, 1.]))
    assert capsys.readouterr().out == "step|0|[1 2]\nstep|1|[1 2]\n"
    assert g.experimental_get_tracing_count() == 1


def test_autograph_report_lists_graph_and_python_statements_with_lines():
    @fn
    def f(x, n):
        for _ in range(2):                       # Python: unrolled
            x = x + 1.0
        if n > 3:                                # tensor condition: cond
            x = x * 2.0
        while tf.reduce_sum(x) < tf.cast(n, tf.float32) * 10.0:   # while_loop node
            x = x * 1.5
        for v in x:                              # over a tensor: while_loop node
            n = n + tf.cast(v > 0, tf.int32)
        y = 1 if x.shape[0] == 2 else 0          # Python conditional expression
        return x, n + y

    f(tf.constant([1., 2.]), tf.constant(5))
    first = f.python_function.__code__.co_firstlineno
    text = f.autograph_report()
    assert text.splitlines()[0] == f"AutoGraph report for {f.python_function.__qualname__} " \
        f"({HERE}):"
    want = [(2, "for -> Python: iterates a Python range"),
            (4, "if -> graph: cond nodes"),
            (6, "while -> graph: one while_loop node"),
            (8, "for -> graph: one while_loop node over the tensor's first axis"),
            (10, "x if c else y -> Python")]
    lines = text.splitlines()[1:]
    assert len(lines) == len(want), text
    for line, (off, what) in zip(lines, want):
        assert line.startswith(f"  line {first + off}: {what}"), (line, text)
    assert tf.autograph.report(f) == text


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_gradients_through_converted_loops_first_and_second_order(backend):
    """A `while` until convergence-like condition and a `for` over tf.range, converted to
    while_loop nodes (no maximum_iterations): gradient and Hessian-vector product vs finite
    differences of the eager function."""
    def model(x, n):
        y = x
        while tf.reduce_sum(y * y) < 20.:        # data-dependent trip count
            y = y * 1.3 + tf.sin(y) * 0.1
        acc = tf.zeros_like(x)
        for i in tf.range(n):                    # tensor bound
            acc = acc + tf.cos(y * tf.cast(i + 1, tf.float64)) / tf.cast(i + 1, tf.float64)
        return tf.reduce_sum(acc * x)

    def grads(x, n):
        with tf.GradientTape() as t2:
            t2.watch(x)
            with tf.GradientTape() as t1:
                t1.watch(x)
                y = model(x, n)
            g = t1.gradient(y, x)
            gv = tf.reduce_sum(g * tf.constant([0.7, -1.1], tf.float64))
        return y, g, t2.gradient(gv, x)

    f = tf.function(grads, jit_compile=False if backend == "numpy" else None)
    x0, n = np.array([0.4, 0.9]), tf.constant(3)
    y, g, hv = [t.numpy() for t in f(tf.constant(x0), n)]
    assert f.experimental_get_tracing_count() == 1
    assert "while_loop" in [d["op"] for _, d in
                            f.get_concrete_function(tf.constant(x0), n).graph.nodes(data=True)]
    value = lambda x: float(model(tf.constant(x), n))   # noqa: E731  (eager: Python loops)
    grad = lambda x: grads(tf.constant(x), n)[1].numpy()   # noqa: E731
    np.testing.assert_allclose(y, value(x0), rtol=1e-12)
    eps = 1e-6
    fd = np.array([(value(x0 + eps * e) - value(x0 - eps * e)) / (2 * eps) for e in np.eye(2)])
    np.testing.assert_allclose(g, fd, rtol=1e-5)
    v = np.array([0.7, -1.1])
    fd2 = np.array([(grad(x0 + 1e-5 * e) - grad(x0 - 1e-5 * e)) @ v / 2e-5 for e in np.eye(2)])
    np.testing.assert_allclose(hv, fd2, rtol=1e-4)
