"""`@function` behaviour the TF guides rely on (issue 10): Python values returned as tensors,
`TensorSpec(shape=None)` as an unknown rank, and TF's ValueError for a Variable created on every
call. Cells of tensorflow/docs site/en/guide/function.ipynb run unchanged; values are what the
guide prints."""
import numpy as np
import pytest

import graphflow as tf


@pytest.mark.parametrize("jit", [False, None], ids=["numpy", "numba"])
def test_python_values_are_returned_as_tensors(jit):
    @tf.function(jit_compile=jit)
    def f(x):
        return 1, 2.5, [True, x * 2], None, {"k": np.float64(3.0)}, "text"

    one, half, (flag, twice), none, d, text = f(tf.constant(1.0))
    assert isinstance(one, tf.Tensor) and one.dtype == tf.int32 and one.numpy() == 1
    assert half.dtype == tf.float32 and half.numpy() == np.float32(2.5)
    assert flag.dtype == tf.bool and bool(flag.numpy()) is True
    assert twice.numpy() == np.float32(2.0)
    assert d["k"].dtype == tf.float64 and d["k"].numpy() == 3.0
    assert none is None and text == "text"   # no tensor for these: returned as they are


def test_python_constant_return_from_the_guide():
    # guide/function: "a function that returns a Python constant ... returns a tensor"
    @tf.function
    def constant_fn():
        return 3

    out = constant_fn()
    assert isinstance(out, tf.Tensor) and out.numpy() == 3 and out.shape == ()


def test_unknown_rank_input_signature_accepts_every_shape():
    @tf.function(input_signature=[tf.TensorSpec(shape=None, dtype=tf.float32)])
    def g(x):
        return tf.reduce_sum(x * 2.0)

    assert g(tf.constant(3.0)).numpy() == 6.0                       # a scalar, not "the" shape
    assert g(tf.constant([1.0, 2.0])).numpy() == 6.0
    assert g(tf.constant([1.0, 2.0, 3.0])).numpy() == 12.0          # same rank: same trace
    assert g(tf.constant([[1.0], [4.0]])).numpy() == 10.0
    assert g.experimental_get_tracing_count() == 3                  # one trace per rank
    with pytest.raises(TypeError, match="input_signature"):
        g(tf.constant([1, 2]))                                      # the dtype still counts
    spec = tf.TensorSpec(shape=None)
    assert spec.unknown_rank and spec.is_compatible_with(tf.zeros((2, 3, 4)))
    assert "unknown" in repr(spec) and spec != tf.TensorSpec(shape=())


def test_unknown_rank_dims_stay_unknown_in_the_trace():
    @tf.function(input_signature=[tf.TensorSpec(shape=None, dtype=tf.float32)])
    def shape_of(x):
        return tf.shape(x)

    np.testing.assert_array_equal(shape_of(tf.zeros((2, 5))).numpy(), [2, 5])
    np.testing.assert_array_equal(shape_of(tf.zeros((3, 1))).numpy(), [3, 1])
    assert shape_of.experimental_get_tracing_count() == 1
    cf = shape_of.get_concrete_function(tf.TensorSpec(shape=[None, None]))
    np.testing.assert_array_equal(cf(tf.zeros((4, 2))).numpy(), [4, 2])
    any_rank = shape_of.get_concrete_function()          # the signature's unknown rank
    np.testing.assert_array_equal(any_rank(tf.zeros((1, 2, 3))).numpy(), [1, 2, 3])
    np.testing.assert_array_equal(any_rank(tf.zeros(())).numpy(), np.zeros(0, np.int32))
    with pytest.raises(TypeError):
        any_rank(tf.zeros((2,), tf.int32))


def test_concrete_function_with_an_unknown_rank_spec_and_a_python_argument():
    # guide/function "Obtaining concrete functions"
    @tf.function
    def pow(a, b):
        return a ** b

    square = pow.get_concrete_function(a=tf.TensorSpec(None, tf.float32), b=2)
    assert square(tf.constant(10.0)) == 100
    np.testing.assert_allclose(square(tf.constant([[1.0, 3.0]])).numpy(), [[1.0, 9.0]])
    with pytest.raises(TypeError):
        square(tf.constant(10.0), b=3)
    cube = pow.get_concrete_function(tf.TensorSpec([None]), 3)
    np.testing.assert_allclose(cube(tf.constant([2.0, 3.0])).numpy(), [8.0, 27.0])
    np.testing.assert_allclose(cube(tf.constant([2.0]), 3).numpy(), [8.0])   # same value: fine


def test_concrete_functions_capture_python_state_like_the_guide():
    # guide/function "Depending on Python global and free variables"
    class SimpleModel(tf.Module):
        def __init__(self):
            # These values are *not* tf.Variables.
            self.bias = 0.
            self.weight = 2.

    def evaluate(model, x):
        return model.weight * x + model.bias

    x = tf.constant(10.)
    new_model = SimpleModel()
    evaluate_no_bias = tf.function(evaluate).get_concrete_function(new_model, x)
    assert evaluate_no_bias(x).numpy() == 20.0     # positional x: the tensor parameter
    new_model.bias += 5.0
    evaluate_with_bias = tf.function(evaluate).get_concrete_function(new_model, x)
    assert evaluate_with_bias(x).numpy() == 25.0
    assert evaluate_no_bias(x).numpy() == 20.0

    class BetterModel:
        def __init__(self):
            self.bias = tf.Variable(0.)
            self.weight = tf.Variable(2.)

    better_evaluate = tf.function(evaluate)
    better_model = BetterModel()
    assert better_evaluate(better_model, x).numpy() == 20.0
    better_model.bias.assign_add(5.0)
    assert better_evaluate(better_model, x).numpy() == 25.0


def test_python_side_effects_and_init_scope_like_the_guide():
    class Model(tf.Module):
        def __init__(self):
            self.v = tf.Variable(0)
            self.counter = 0

        @tf.function
        def __call__(self):
            if self.counter == 0:
                # A python side-effect
                self.counter += 1
                self.v.assign_add(1)
            return self.v

    m = Model()
    assert [int(m().numpy()) for _ in range(3)] == [1, 2, 3]

    class Lifted(tf.Module):
        def __init__(self):
            self.v = tf.Variable(0)
            self.counter = 0

        @tf.function
        def __call__(self):
            if self.counter == 0:
                # Lifts ops out of function-building graphs
                with tf.init_scope():
                    self.counter += 1
                    self.v.assign_add(1)
            return self.v

    m = Lifted()
    assert [int(m().numpy()) for _ in range(3)] == [1, 1, 1]


def test_variable_created_on_every_call_raises_tfs_value_error():
    # guide/function "Creating tf.Variables": the first call already fails
    @tf.function
    def f(x):
        v = tf.Variable(1.0)
        return v

    with pytest.raises(ValueError, match="tf.function only supports singleton tf.Variables "
                                         "created on the first call"):
        f(1.0)


def test_variable_created_once_counts_like_the_guide():
    class Count(tf.Module):
        def __init__(self):
            self.count = None

        @tf.function
        def __call__(self):
            if self.count is None:
                self.count = tf.Variable(0)
            return self.count.assign_add(1)

    c = Count()
    assert c().numpy() == 1
    assert c().numpy() == 2
    assert len(c.variables) == 1


def test_variable_created_in_the_first_trace_reads_its_initial_value():
    w = []

    @tf.function
    def f(x):
        if not w:
            w.append(tf.Variable(tf.ones_like(x) * 3.0))
        return w[0] * x

    np.testing.assert_allclose(f(tf.constant([1.0, 2.0])).numpy(), [3.0, 6.0])
    w[0].assign([1.0, 1.0])
    np.testing.assert_allclose(f(tf.constant([1.0, 2.0])).numpy(), [1.0, 2.0])
    assert len(w) == 1 and f.experimental_get_tracing_count() == 2   # (TF 2.21's count: the
    # first trace created a Variable, so it was traced again)


def test_recursive_function_with_python_argument_traces_per_value():
    # guide/function "Recursive tf.functions are not supported" (a Python argument: one trace
    # per value, the recursion unrolls while tracing)
    traced = []

    @tf.function
    def recursive_fn(n):
        if n > 0:
            traced.append(n)
            return recursive_fn(n - 1)
        else:
            return 1

    out = recursive_fn(5)
    assert isinstance(out, tf.Tensor) and out.numpy() == 1
    assert traced == [5, 4, 3, 2, 1]


def test_leaked_tensor_used_in_another_function_is_a_type_error():
    # guide/function "Leaking tf.Tensors": capturing a leaked graph tensor raises TypeError
    leaked = {}

    @tf.function
    def leaky_function(a):
        leaked["x"] = a + 1  # Bad - leaks local tensor
        return leaked["x"]   # Good - uses local tensor

    assert leaky_function(tf.constant(1)).numpy() == 2
    with pytest.raises(AttributeError):
        leaked["x"].numpy()

    @tf.function
    def captures_leaked_tensor(b):
        b += leaked["x"]  # Bad - `x` is leaked from `leaky_function`
        return b

    with pytest.raises(TypeError, match="another traced function"):
        captures_leaked_tensor(tf.constant(2))


def test_pretty_printed_concrete_signatures_lists_every_trace():
    @tf.function
    def double(a):
        return a + a

    double(tf.constant(1))
    double(tf.constant(1.1))
    text = double.pretty_printed_concrete_signatures()   # TF 2.21's text, trace by trace
    assert text == (
        "Input Parameters:\n"
        "  a (POSITIONAL_OR_KEYWORD): TensorSpec(shape=(), dtype=tf.int32, name=None)\n"
        "Output Type:\n  TensorSpec(shape=(), dtype=tf.int32, name=None)\nCaptures:\n  None"
        "\n\nInput Parameters:\n"
        "  a (POSITIONAL_OR_KEYWORD): TensorSpec(shape=(), dtype=tf.float32, name=None)\n"
        "Output Type:\n  TensorSpec(shape=(), dtype=tf.float32, name=None)\nCaptures:\n  None")
    cf = double.get_concrete_function(tf.constant("a"))
    assert str(cf).startswith("ConcreteFunction Input Parameters:\n  a (POSITIONAL_OR_KEYWORD)")
    assert cf.structured_input_signature == (
        (tf.TensorSpec(shape=(), dtype=tf.string, name="a"),), {})
    assert str(cf.structured_outputs).startswith('Tensor("') and \
        cf.structured_outputs.dtype == tf.string

    v = tf.Variable(2.0)

    @tf.function
    def f(x, y=3, *, z=None):
        return {"a": x * v, "b": (x, 2)}
    text = str(f.get_concrete_function(tf.TensorSpec([None, 2], tf.float32)))
    assert "  y (POSITIONAL_OR_KEYWORD): Literal[3]\n  z (KEYWORD_ONLY): Literal[None]\n" in text
    assert ("Dict[['a', TensorSpec(shape=(None, 2), dtype=tf.float32, name=None)], ['b', "
            "Tuple[TensorSpec(shape=(None, 2), dtype=tf.float32, name=None), "
            "TensorSpec(shape=(), dtype=tf.int32, name=None)]]]") in text
    assert "Captures:\n  None" not in text   # the variable is captured


def test_intro_to_graphs_cells(capsys):
    # guide/intro_to_graphs, cells run unchanged; values as the guide prints them
    def simple_relu(x):
        if tf.greater(x, 0):
            return x
        else:
            return 0

    tf_simple_relu = tf.function(simple_relu)
    assert tf_simple_relu(tf.constant(1)).numpy() == 1
    assert tf_simple_relu(tf.constant(-1)).numpy() == 0

    @tf.function
    def my_relu(x):
        return tf.maximum(0., x)

    assert my_relu(tf.constant(5.5)).numpy() == np.float32(5.5)
    np.testing.assert_array_equal(my_relu([1, -1]).numpy(), np.float32([1., 0.]))
    np.testing.assert_array_equal(my_relu(tf.constant([3., -3.])).numpy(), np.float32([3., 0.]))
    # These two calls do *not* create new graphs.
    my_relu(tf.constant(-2.5))
    my_relu(tf.constant([-1., 1.]))
    assert my_relu.experimental_get_tracing_count() == 3
    assert my_relu.pretty_printed_concrete_signatures().count("Input Parameters:") == 3

    @tf.function
    def get_MSE(y_true, y_pred):
        print("Calculating MSE!")
        sq_diff = tf.pow(y_true - y_pred, 2)
        return tf.reduce_mean(sq_diff)

    y_true = tf.constant([1, 5, 2, 8, 0])
    y_pred = tf.constant([3, 5, 1, 4, 0])
    capsys.readouterr()
    for _ in range(3):
        error = get_MSE(y_true, y_pred)
    assert capsys.readouterr().out.count("Calculating MSE!") == 1   # traced once
    assert error.numpy() == (4 + 0 + 1 + 16 + 0) // 5               # int32 mean
    tf.config.run_functions_eagerly(True)
    try:
        for _ in range(3):
            error = get_MSE(y_true, y_pred)
    finally:
        tf.config.run_functions_eagerly(False)
    assert capsys.readouterr().out.count("Calculating MSE!") == 3   # eager: every call

    def unused_return_eager(x):
        tf.gather(x, [1])  # unused
        return x

    with pytest.raises(tf.errors.InvalidArgumentError):
        unused_return_eager(tf.constant([0.0]))

    @tf.function
    def unused_return_graph(x):
        tf.gather(x, [1])  # unused
        return x

    # Only needed operations are run during graph execution. The error is not raised.
    np.testing.assert_array_equal(unused_return_graph(tf.constant([0.0])).numpy(), [0.0])

    @tf.function
    def a_function_with_python_side_effect(x):
        print("Tracing!")  # An eager-only side effect.
        return x * x + tf.constant(2)

    capsys.readouterr()
    assert a_function_with_python_side_effect(tf.constant(2)).numpy() == 6
    assert a_function_with_python_side_effect(tf.constant(3)).numpy() == 11
    assert capsys.readouterr().out.count("Tracing!") == 1
    assert a_function_with_python_side_effect(2).numpy() == 6
    assert a_function_with_python_side_effect(3).numpy() == 11
    assert capsys.readouterr().out.count("Tracing!") == 2   # a Python argument retraces


def test_variable_check_retraces_only_functions_that_create_variables(capsys):
    @tf.function
    def plain(x):
        print("tracing plain")
        return x * 2.0

    plain(tf.constant(1.0))
    assert capsys.readouterr().out.count("tracing plain") == 1

    holder = []

    @tf.function
    def creates(x):
        print("tracing creates")
        if not holder:
            holder.append(tf.Variable(3.0))
        return holder[0] * x

    assert creates(tf.constant(2.0)).numpy() == 6.0
    # as TF: traced again with creation forbidden (Python side effects run twice)
    assert capsys.readouterr().out.count("tracing creates") == 2
    assert creates.experimental_get_tracing_count() == 2 and len(holder) == 1   # (TF 2.21's)
    assert creates(tf.constant(3.0)).numpy() == 9.0
    assert capsys.readouterr().out.count("tracing creates") == 0


def test_concrete_function_called_with_another_dtype_raises_invalid_argument():
    # the function guide: double_strings(tf.constant(1)) -> InvalidArgumentError (TF 2.21);
    # it is also a TypeError, and the message names TF's dtypes
    @tf.function
    def double(a):
        return a + a
    double_strings = double.get_concrete_function(tf.constant("a"))
    assert double_strings(tf.constant("a")).numpy() == b"aa"
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"int32\[\].*traced for string\[\]"):
        double_strings(tf.constant(1))
    floats = double.get_concrete_function(tf.TensorSpec((None,), tf.float32))
    with pytest.raises(TypeError, match="float32"):
        floats(tf.constant([1, 2]))
