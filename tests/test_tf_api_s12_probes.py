"""Session 12's probes of TF programs graphflow was not written against: each test is a
difference from TF 2.21's behaviour that a probe found (values printed by TF in comments)."""
import subprocess
import sys

import numpy as np
import pytest

import graphflow as tf


def test_unique_results_are_tf_namedtuples():
    u = tf.unique(tf.constant([1, 1, 2]))
    assert type(u).__name__ == "Unique" and u.y.numpy().tolist() == [1, 2]
    assert u.idx.numpy().tolist() == [0, 0, 1]
    c = tf.unique_with_counts(tf.constant([3., 3., 1., 5., 5., 5.]))
    assert type(c).__name__ == "UniqueWithCounts"
    assert c.y.numpy().tolist() == [3., 1., 5.] and c.count.numpy().tolist() == [2, 1, 3]
    assert c.count.dtype == tf.int32


def test_unique_with_counts_traced_has_run_time_length():
    @tf.function
    def f(x):
        return tf.unique_with_counts(x, out_idx=tf.int64)

    y, idx, count = f(tf.constant([3, 3, 1, 5, 5, 5]))   # was: TypeError converting None
    assert y.numpy().tolist() == [3, 1, 5] and idx.numpy().tolist() == [0, 0, 1, 2, 2, 2]
    assert count.numpy().tolist() == [2, 1, 3] and count.dtype == tf.int64
    y, idx, count = f(tf.constant([7, 8, 9, 7]))
    assert count.numpy().tolist() == [2, 1, 1]


def test_empty_python_list_converts_to_any_dtype():
    # TF: tf.constant([], tf.int32) -> tf.Tensor([], shape=(0,), dtype=int32)
    assert tf.constant([], tf.int32).shape == (0,) and tf.constant([], tf.int32).dtype == tf.int32
    assert tf.constant([[], []], tf.int64).shape == (2, 0)
    assert tf.unique_with_counts(tf.constant([], tf.int32)).count.shape == (0,)
    with pytest.raises(Exception, match="Python float"):
        tf.constant([1.5], tf.int32)


def test_compute_gradient_takes_tf_step_and_precision():
    # TF 2.21: delta 1/1024 (exact in binary), differences in f's dtype
    _, n = tf.test.compute_gradient(lambda x: tf.stack([x[0] * x[1], x[2]]),
                                    [tf.constant([1., 2., 3.])])
    np.testing.assert_array_equal(n[0], [[2., 1., 0.], [0., 0., 1.]])
    _, n = tf.test.compute_gradient(lambda x: x ** 3, [tf.constant([2., 3.])])
    np.testing.assert_allclose(np.diag(n[0]), [12., 27.000977], rtol=0, atol=1e-6)
    _, n = tf.test.compute_gradient(lambda x: x ** 3, [tf.constant([2., 3.], tf.float64)])
    np.testing.assert_allclose(np.diag(n[0]), [12 + 2 ** -20, 27 + 2 ** -20], rtol=1e-12)


def test_ops_do_not_warn_on_inf_or_nan_results():
    # pytest resets warning filters around each test, so check a fresh interpreter where
    # every warning is an error: graphflow's import-time filter must keep its ops silent
    code = """if True:
        import numpy as np, warnings
        import graphflow as tf
        x = tf.Variable([1., 2.])
        with tf.GradientTape() as t:
            y = tf.sqrt(x - 1.)
        g = t.gradient(y, x).numpy()
        assert np.isinf(g[0]) and np.isclose(g[1], 0.5)
        assert np.isneginf(tf.math.log(tf.constant(0.)).numpy())
        try:                      # the user's own numpy calls still warn
            np.log(np.zeros(1))
        except RuntimeWarning:
            print("user-warns")
    """
    r = subprocess.run([sys.executable, "-W", "error::RuntimeWarning", "-c", code],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.strip() == "user-warns"


def test_keras_variables_print_and_take_dtypes_as_keras3():
    from graphflow import keras
    v = keras.Variable(0.01, dtype="float32", name="lr")
    assert repr(v) == "<Variable path=lr, shape=(), dtype=float32, value=0.009999999776482582>"
    m = keras.Variable(np.ones((2, 2), "float32"), name="m")
    assert repr(m) == "<Variable path=m, shape=(2, 2), dtype=float32, value=[[1. 1.]\n [1. 1.]]>"
    assert keras.Variable(np.ones((2,))).dtype == tf.float64    # the value's dtype without dtype=
    assert keras.Variable(3).dtype == tf.int32
    a, b = keras.Variable(1.), keras.Variable(2.)                 # auto names are unique
    assert a.path != b.path and a.path.startswith("variable")
    d = keras.layers.Dense(2, name="dd")
    d.build((None, 3))

    @tf.function
    def f():
        assert repr(d.bias) == "<Variable path=dd/bias, shape=(2,), dtype=float32>"
        return d.bias + 1.
    f()


# ---------------------------------------------------------------- tf.print's tensor format
# each expected line is what TF 2.21's tf.print wrote for the same call
PRINT_CASES = [
    ((np.float32([0.1, 1.123456789, 100000.5, 1e-8, 12345678.]),),
     "[0.1 1.12345684 100000.5 1e-08 12345678]"),
    ((np.float32([1.5, 2.]), np.float32(2.), np.float32(1e20), np.float32(np.nan),
      np.float32([np.inf, -0.0])), "[1.5 2] 2 1e+20 nan [inf -0]"),
    ((np.float64([1.5, 2.]), np.float64(0.1), np.float64(1 / 3)),
     "[1.5 2] 0.1 0.33333333333333331"),
    ((np.float32(1 / 3), np.int32([[1, 2], [3, 4]]), np.bool_([True, False])),
     "0.333333343 [[1 2]\n [3 4]] [1 0]"),
    ((np.float32([1e-5, 1.0]), np.float32([123456.7]), np.float16(2.5), np.int8(-7)),
     "[1e-05 1] [123456.703] 2.5 -7"),
    ((np.zeros(0, np.float32), np.zeros((0, 2), np.float32), np.zeros((3, 0), np.float32)),
     "[] [] [\n ...]"),
    ((np.complex64([1 + 2j]),), "[?]"),
    ((np.float32([[1.5, -2.0], [3.0, 4.25]]), np.ones((1, 1, 1, 2), np.float32)),
     "[[1.5 -2]\n [3 4.25]] [[[[1 1]]]]"),
]


@pytest.mark.parametrize("values,want", PRINT_CASES)
def test_tf_print_formats_tensors_as_tf(values, want, capsys):
    tf.print(*[tf.constant(v) for v in values])
    assert capsys.readouterr().out == want + "\n"


def test_tf_print_summarizes_and_formats_structures_as_tf(capsys):
    tf.print(tf.range(20), tf.range(7), tf.range(6))
    tf.print(tf.reshape(tf.range(24), (2, 3, 4)), summarize=1)
    tf.print(tf.reshape(tf.range(40), (10, 4)), summarize=-1)
    tf.print({"a": tf.constant(1.), "b": [tf.constant(2), 3]}, (1, "s"), "x{}", None,
             [1.5, tf.constant(3.25)], np.array([1.5, 2.0]))
    tf.print(tf.constant("ab"), tf.constant(['q"u', "é"]), tf.constant([["a"]]),
             tf.constant(b"\x00\n"))
    out = capsys.readouterr().out
    assert out == (
        "[0 1 2 ... 17 18 19] [0 1 2 ... 4 5 6] [0 1 2 3 4 5]\n"
        "[[[0 ... 3]\n  ...\n  [8 ... 11]]\n\n [[12 ... 15]\n  ...\n  [20 ... 23]]]\n"
        + "[" + "\n ".join(f"[{4 * r} {4 * r + 1} {4 * r + 2} {4 * r + 3}]" for r in range(10))
        + "]\n"
        "{'a': 1, 'b': [2, 3]} (1, 's') x{} None [1.5, 3.25] array([1.5, 2. ])\n"
        '"ab" ["q\\"u" "é"] [["a"]] "\\000\\n"\n')


def test_tf_print_in_function_matches_eager(capsys):
    @tf.function
    def f(x):
        tf.print("in fn", x, [x, 1], summarize=2)
        return x

    f(tf.constant([1.25, 2.0, 3.0, 4.0, 5.0]))
    tf.print("in fn", tf.constant([1.25, 2.0, 3.0, 4.0, 5.0]), [tf.constant([1.25, 2.0, 3.0, 4.0, 5.0]), 1], summarize=2)
    a, b = capsys.readouterr().out.splitlines()
    assert a == b == "in fn [1.25 2 ... 4 5] [[1.25 2 ... 4 5], 1]"


def test_strings_format_as_tf():
    assert tf.strings.format("{}", tf.constant([1.5, 2.])).numpy() == b"[1.5 2]"
    assert tf.strings.format("{} {}", (tf.range(10), tf.constant(0.1)),
                             summarize=2).numpy() == b"[0 1 ... 8 9] 0.1"
    assert tf.strings.format("{}", tf.constant("ab")).numpy() == b'"ab"'
    assert tf.strings.format("a{}b{}", ([1, 2], "s")).numpy() == b'a[1 2]b"s"'
    with pytest.raises(tf.errors.InvalidArgumentError, match="2 placeholders"):
        tf.strings.format("{}{}", [1])


def test_bool_of_a_multi_element_tensor_is_numpys_value_error():
    with pytest.raises(ValueError, match="truth value of an array with more than one element"):
        bool(tf.constant([1, 2]) > 0)


def test_layers_check_their_input_spec_as_keras3():
    from graphflow import keras
    # Keras 3.15's messages, word for word
    with pytest.raises(ValueError, match=r"^Input 0 with name 'None' of layer 'dense_a' is "
                       r"incompatible with the layer: expected min_ndim=2, found ndim=1\. "
                       r"Full shape received: \(2,\)$"):
        keras.layers.Dense(3, name="dense_a")(tf.ones((2,)))
    d = keras.layers.Dense(3, name="dense_b")
    d(tf.ones((2, 4)))
    with pytest.raises(ValueError, match=r"expected axis -1 of input shape to have value 4, "
                       r"but received input with shape \(2, 5\)"):
        d(tf.ones((2, 5)))
    c = keras.layers.Conv2D(2, 3)
    c(keras.Input((5, 5, 3)))
    with pytest.raises(ValueError, match="expected axis -1 of input shape to have value 3"):
        c(keras.Input((5, 5, 4)))
    with pytest.raises(ValueError, match="expected ndim=4, found ndim=3"):
        keras.layers.MaxPooling2D()(keras.Input((5, 3)))

    class Pair(keras.layers.Layer):        # a user layer's own spec is checked too
        def __init__(self):
            super().__init__()
            self.input_spec = keras.layers.InputSpec(shape=(None, 2))

        def call(self, x):
            return x * 2.

    assert Pair()(tf.ones((3, 2))).shape == (3, 2)
    with pytest.raises(ValueError, match=r"expected shape=\(None, 2\), found shape=\(3, 3\)"):
        Pair()(tf.ones((3, 3)))


def test_constant_initializer_takes_the_values_dtype_without_one():
    # TF 2.21: tf.constant_initializer([1, 2])([2]) -> int32
    assert tf.constant_initializer([1, 2])([2]).dtype == tf.int32
    assert tf.constant_initializer(3.)([2]).dtype == tf.float32
    np.testing.assert_array_equal(tf.constant_initializer(2)([2], tf.float32).numpy(), [2., 2.])
    layer = tf.keras.layers.Dense(2, kernel_initializer=tf.constant_initializer(1))
    layer.build((None, 3))
    assert layer.kernel.dtype == tf.float32


def test_python_values_convert_to_bool_and_string_only_from_their_kind():
    # TF 2.21: TypeError "Cannot convert 2.0 to EagerTensor of dtype bool"
    for value, dtype in [(2.0, tf.bool), (1, tf.bool), ([1, 0], tf.bool), ("a", tf.int32),
                         (3, tf.string)]:
        with pytest.raises(TypeError, match=f"Cannot convert .* to EagerTensor of dtype "
                                            f"{dtype.name}"):
            tf.constant(value, dtype)
    assert tf.constant(True, tf.float32).numpy() == 1.0      # bools do become numbers
    assert tf.constant([True, False], tf.int32).numpy().tolist() == [1, 0]
    assert tf.constant(np.array([1, 0]), tf.bool).numpy().tolist() == [True, False]  # numpy casts
