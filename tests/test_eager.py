"""Eager mode: the seed chapter's snippets, TF's dtype rules, the Tensor and Variable APIs,
creation ops, random seeding, TensorSpec/TensorShape and dtype objects."""
import numpy as np
import pytest

import graphflow as tf


# ============================================================== seed: chapter 3 snippets
def test_seed_ones_and_print():
    x = tf.ones(shape=(2, 1))
    assert str(x) == "tf.Tensor(\n[[1.]\n [1.]], shape=(2, 1), dtype=float32)"
    np.testing.assert_array_equal(x.numpy(), np.ones((2, 1), np.float32))


def test_seed_random_normal():
    tf.random.set_seed(0)
    x = tf.random.normal(shape=(3, 1), mean=0., stddev=1.)
    assert x.shape == (3, 1) and x.dtype == tf.float32
    y = tf.random.normal(shape=(2000,), mean=5., stddev=0.5)
    assert abs(float(tf.reduce_mean(y)) - 5.0) < 0.05
    assert abs(float(tf.math.reduce_std(y)) - 0.5) < 0.05


def test_seed_numpy_is_mutable_tensor_is_not():
    x = np.ones(shape=(2, 2))
    x[0, 0] = 0.
    assert x[0, 0] == 0.
    x = tf.ones(shape=(2, 2))
    with pytest.raises(TypeError, match="Variable"):
        x[0, 0] = 0.
    np.testing.assert_array_equal(x.numpy(), np.ones((2, 2)))
    with pytest.raises(ValueError):   # the numpy view is read-only too
        x.numpy()[0, 0] = 0.
    np.testing.assert_array_equal(x.numpy(), np.ones((2, 2)))


def test_seed_variable_assign():
    tf.random.set_seed(1)
    v = tf.Variable(initial_value=tf.random.normal(shape=(3, 1)))
    assert v.shape == (3, 1) and v.dtype == tf.float32
    r = v.assign(tf.ones((3, 1)))
    np.testing.assert_array_equal(r.numpy(), np.ones((3, 1)))
    v[0, 0].assign(3.)
    np.testing.assert_array_equal(v.numpy(), [[3.], [1.], [1.]])
    assert repr(v) == ("<tf.Variable 'Variable:0' shape=(3, 1) dtype=float32, numpy=\n"
                       "array([[3.],\n       [1.],\n       [1.]], dtype=float32)>")


def test_seed_math():
    a = tf.ones((2, 2))
    b = tf.square(a)
    c = tf.sqrt(a)
    d = b + c
    e = tf.matmul(a, b)
    e *= d
    np.testing.assert_array_equal(d.numpy(), np.full((2, 2), 2.0))
    np.testing.assert_array_equal(e.numpy(), np.full((2, 2), 4.0))
    assert e.dtype == tf.float32


def test_seed_gradient_of_variable():
    input_var = tf.Variable(initial_value=3.)
    with tf.GradientTape() as tape:
        result = tf.square(input_var)
    gradient = tape.gradient(result, input_var)
    assert float(gradient) == 6.0 and gradient.dtype == tf.float32

    x = tf.Variable(3.0)
    with tf.GradientTape() as tape:
        y = tf.square(x)
    dy_dx = tape.gradient(y, x)
    assert float(dy_dx) == 6.0


def test_seed_gradient_of_watched_constant():
    input_const = tf.constant(3.)
    with tf.GradientTape() as tape:
        tape.watch(input_const)
        result = tf.square(input_const)
    gradient = tape.gradient(result, input_const)
    assert float(gradient) == 6.0
    with tf.GradientTape() as tape:          # unwatched constant: no gradient
        result = tf.square(input_const)
    assert tape.gradient(result, input_const) is None


def test_seed_second_order():
    time = tf.Variable(0.)
    with tf.GradientTape() as outer_tape:
        with tf.GradientTape() as inner_tape:
            position = 4.9 * time ** 2
        speed = inner_tape.gradient(position, time)
    acceleration = outer_tape.gradient(speed, time)
    assert float(speed) == 0.0
    np.testing.assert_allclose(float(acceleration), 9.8, rtol=1e-6)


# ============================================================== dtype rules
@pytest.mark.parametrize("value,dtype", [
    (1.0, tf.float32), (1, tf.int32), (True, tf.bool), ([1.0, 2], tf.float32),
    ([[1, 2], [3, 4]], tf.int32), (np.float64(1.0), tf.float64), (np.ones(2), tf.float64),
    (np.ones(2, np.float32), tf.float32), (np.arange(3), tf.int64),
    (np.array([True]), tf.bool), (2 ** 40, tf.int64),
])
def test_python_and_numpy_default_dtypes(value, dtype):
    t = tf.constant(value)
    assert t.dtype == dtype
    np.testing.assert_array_equal(t.numpy(), np.asarray(value))


def test_weak_python_scalars_take_the_tensor_dtype():
    x = tf.constant([1.0, 2.0])
    for r in (x * 0.5, 0.5 * x, x + 1, x - 1, 1 - x, x / 2, 2 / x, x ** 2, x * np.float64(2)):
        assert r.dtype == tf.float32
    np.testing.assert_array_equal((x * 0.5).numpy(), np.float32([0.5, 1.0]))
    d = tf.constant([1.0, 2.0], tf.float64)
    assert (d * 0.5).dtype == tf.float64
    i = tf.constant([1, 2])
    assert (i + 1).dtype == tf.int32 and (i * 3).dtype == tf.int32
    np.testing.assert_array_equal((i * 3).numpy(), [3, 6])


def test_int_tensor_times_fractional_float_raises():
    with pytest.raises((TypeError, ValueError), match=r"0\.5.*int32|int32.*0\.5"):
        tf.constant(1) * 0.5


@pytest.mark.parametrize("op,name", [(tf.add, "add"), (tf.multiply, "multiply"),
                                     (tf.subtract, "subtract"), (tf.maximum, "maximum"),
                                     (tf.matmul, "matmul"), (tf.divide, "divide")])
def test_mixing_float32_and_float64_raises_naming_op_and_dtypes(op, name):
    a = tf.ones((2, 2))
    b = tf.ones((2, 2), dtype=tf.float64)
    with pytest.raises(tf.errors.InvalidArgumentError) as ei:
        op(a, b)
    msg = str(ei.value)
    assert msg.startswith(name) and "float32" in msg and "float64" in msg


def test_mixing_via_operators_raises():
    with pytest.raises(tf.errors.InvalidArgumentError, match="add.*float32.*int32"):
        tf.constant([1.0]) + tf.constant([1])
    with pytest.raises(tf.errors.InvalidArgumentError, match="int32.*int64"):
        tf.constant([1]) * tf.constant(np.array([1], np.int64))


def test_integer_division_and_mean():
    i = tf.constant([1, 2, 7])
    r = i / 2
    assert r.dtype == tf.float64
    np.testing.assert_array_equal(r.numpy(), [0.5, 1.0, 3.5])
    np.testing.assert_array_equal((i // 2).numpy(), [0, 1, 3])
    np.testing.assert_array_equal((tf.constant([5, -5]) % 3).numpy(), [2, 1])
    m = tf.reduce_mean(i)
    assert m.dtype == tf.int32 and int(m) == 3


def test_unary_float_ops_reject_ints():
    with pytest.raises(tf.errors.InvalidArgumentError, match="sqrt.*int32"):
        tf.sqrt(tf.constant([4]))


# ============================================================== Tensor API
def test_shape_dtype_ndim():
    t = tf.constant(np.arange(6, dtype=np.float32).reshape(2, 3))
    assert t.shape == (2, 3) and t.shape == tf.TensorShape([2, 3])
    assert t.shape.as_list() == [2, 3] and t.shape.rank == 2 and t.ndim == 2
    assert t.shape[0] == 2 and t.shape[1:] == tf.TensorShape([3])
    assert t.shape.num_elements() == 6
    assert t.dtype == tf.float32 and t.dtype == "float32" and t.dtype == np.float32
    assert t.get_shape() == (2, 3)
    assert tf.constant(1.).shape == () and tf.constant(1.).ndim == 0


def test_numpy_and_array_protocol():
    t = tf.constant([[1., 2.], [3., 4.]])
    a = t.numpy()
    assert isinstance(a, np.ndarray) and a.dtype == np.float32
    np.testing.assert_array_equal(np.array(t), a)
    np.testing.assert_array_equal(np.asarray(t, dtype=np.float64), a.astype(np.float64))
    assert np.asarray(t, dtype=np.float64).dtype == np.float64
    s = tf.reduce_sum(t).numpy()
    assert isinstance(s, np.float32) and s == 10.0
    assert isinstance(tf.constant(3).numpy(), np.int32)
    assert np.sum(t) == 10.0     # numpy functions accept tensors


def test_repr_and_str_match_tf():
    assert repr(tf.constant(3.)) == "<tf.Tensor: shape=(), dtype=float32, numpy=3.0>"
    assert str(tf.constant(3.)) == "tf.Tensor(3.0, shape=(), dtype=float32)"
    assert repr(tf.constant(True)) == "<tf.Tensor: shape=(), dtype=bool, numpy=True>"
    assert str(tf.constant(3)) == "tf.Tensor(3, shape=(), dtype=int32)"
    assert repr(tf.constant([1, 2])) == \
        "<tf.Tensor: shape=(2,), dtype=int32, numpy=array([1, 2], dtype=int32)>"
    assert str(tf.constant([1., 2.])) == "tf.Tensor([1. 2.], shape=(2,), dtype=float32)"
    assert repr(tf.constant([[1., 2.], [3., 4.]])) == (
        "<tf.Tensor: shape=(2, 2), dtype=float32, numpy=\n"
        "array([[1., 2.],\n       [3., 4.]], dtype=float32)>")
    assert str(tf.constant([[1, 2], [3, 4]])) == \
        "tf.Tensor(\n[[1 2]\n [3 4]], shape=(2, 2), dtype=int32)"
    assert repr(tf.Variable(2.5)) == \
        "<tf.Variable 'Variable:0' shape=() dtype=float32, numpy=2.5>"
    assert repr(tf.Variable([1, 2], name="w")) == \
        "<tf.Variable 'w:0' shape=(2,) dtype=int32, numpy=array([1, 2], dtype=int32)>"


def test_format_and_python_conversions():
    t = tf.constant(3.14159)
    assert f"{t:.4f}" == "3.1416" and f"{t:.1e}" == "3.1e+00"
    assert f"{tf.Variable(2.5):.2f}" == "2.50"
    v = tf.constant([1., 2.])
    assert f"{v}" == "[1. 2.]" and f"{v!s}" == str(v)   # TF formats the numpy value
    assert float(t) == pytest.approx(3.14159) and type(float(t)) is float
    assert int(tf.constant(3.9)) == 3 and int(tf.constant(7)) == 7
    assert bool(tf.constant(True)) is True and bool(tf.constant(0.)) is False
    assert float(tf.constant([2.5])) == 2.5      # one element is fine
    with pytest.raises(TypeError):
        float(v)
    with pytest.raises(ValueError, match="truth value"):
        bool(v)
    assert [10, 20, 30][tf.constant(1)] == 20   # __index__ for int tensors
    with pytest.raises(TypeError):
        [10, 20][tf.constant(1.)]


def test_len_and_iteration():
    t = tf.constant([[1., 2.], [3., 4.], [5., 6.]])
    assert len(t) == 3
    rows = list(t)
    assert len(rows) == 3 and all(isinstance(r, tf.Tensor) for r in rows)
    np.testing.assert_array_equal(rows[2].numpy(), [5., 6.])
    a, b = tf.constant([1., 2.])
    assert float(a) == 1. and float(b) == 2.
    with pytest.raises(TypeError):
        len(tf.constant(1.))
    with pytest.raises(TypeError):
        iter(tf.constant(1.))


A = np.arange(24, dtype=np.float32).reshape(2, 3, 4)


@pytest.mark.parametrize("idx", [
    0, -1, (1, 2), (-1, -2, -3), slice(None, None, -1), (slice(None), slice(None, None, 2)),
    (Ellipsis, 1), (Ellipsis, slice(1, 3)), (None,), (0, None, slice(None), -1),
    (slice(None), tf.newaxis, 1), (slice(-2, None), slice(3, 0, -1), slice(None, None, 3)),
    (1, Ellipsis, None), (0, 0, 0), (slice(5, 10),),
], ids=repr)
def test_indexing_matches_numpy(idx):
    t = tf.constant(A)
    out = t[idx]
    expected = A[idx]
    assert out.shape == expected.shape
    np.testing.assert_array_equal(np.asarray(out.numpy()), expected)


def test_bad_indices():
    t = tf.constant(A)
    with pytest.raises(tf.errors.InvalidArgumentError, match="getitem"):
        t[5]
    with pytest.raises(TypeError):
        t[1.5]
    with pytest.raises(tf.errors.InvalidArgumentError, match="getitem"):
        t[0, 0, 0, 0]


def test_reflected_operators_with_numpy_and_scalars():
    t = tf.constant([1., 2., 4.])
    for r, e in [(np.ones(3) + t, [2., 3., 5.]), (2 - t, [1., 0., -2.]), (1 / t, [1., .5, .25]),
                 (np.float32(2) * t, [2., 4., 8.]), (2 ** t, [2., 4., 16.]),
                 (np.array([4., 4., 4.]) / t, [4., 2., 1.]), (-t, [-1., -2., -4.]),
                 (abs(-t), [1., 2., 4.]), (+t, [1., 2., 4.]), (7 % t, [0., 1., 3.])]:
        assert isinstance(r, tf.Tensor) and r.dtype == tf.float32
        np.testing.assert_array_equal(r.numpy(), np.float32(e))
    m = np.eye(2, dtype=np.float32) @ tf.constant([[1., 2.], [3., 4.]])
    assert isinstance(m, tf.Tensor)
    np.testing.assert_array_equal(m.numpy(), [[1., 2.], [3., 4.]])


def test_comparisons_and_logic():
    t = tf.constant([1., 2., 3.])
    np.testing.assert_array_equal((t < 2).numpy(), [True, False, False])
    np.testing.assert_array_equal((t >= 2).numpy(), [False, True, True])
    np.testing.assert_array_equal((t == tf.constant([1., 0., 3.])).numpy(), [True, False, True])
    np.testing.assert_array_equal((t != 2.).numpy(), [True, False, True])
    np.testing.assert_array_equal((2. > t).numpy(), [True, False, False])
    b = t > 1
    np.testing.assert_array_equal((b & (t < 3)).numpy(), [False, True, False])
    np.testing.assert_array_equal((b | (t < 2)).numpy(), [True, True, True])
    np.testing.assert_array_equal((~b).numpy(), [True, False, False])
    assert (t == None) is False and (t != None) is True  # noqa: E711  (TF semantics)
    assert bool(tf.reduce_all(t > 0)) and not bool(tf.reduce_any(t > 5))
    d = {t: 1}   # hashable by identity
    assert d[t] == 1


# ============================================================== Variable
def test_variable_assign_family():
    v = tf.Variable([[1., 2.], [3., 4.]])
    assert v.trainable and v.name == "Variable:0"
    r = v.assign_add(tf.ones((2, 2)))
    assert r is v or isinstance(r, (tf.Variable, tf.Tensor))
    np.testing.assert_array_equal(v.numpy(), [[2., 3.], [4., 5.]])
    v.assign_sub([[1., 1.], [1., 1.]])
    np.testing.assert_array_equal(v.numpy(), [[1., 2.], [3., 4.]])
    v.assign(np.zeros((2, 2), np.float32))
    np.testing.assert_array_equal(v.numpy(), np.zeros((2, 2)))
    v[1:, :].assign(tf.constant([[7., 8.]]))
    np.testing.assert_array_equal(v.numpy(), [[0., 0.], [7., 8.]])
    v[0, 1].assign(5.)
    v[:, 0].assign([9., 9.])
    np.testing.assert_array_equal(v.numpy(), [[9., 5.], [9., 8.]])
    s = tf.Variable(1.)
    s.assign_add(2)
    assert float(s) == 3.0 and s.dtype == tf.float32


def test_variable_read_value_is_a_snapshot():
    v = tf.Variable([1., 2.])
    before = v.read_value()
    view = v.numpy()
    sliced_before = v[0]
    v.assign([5., 6.])
    v[1].assign(7.)
    np.testing.assert_array_equal(before.numpy(), [1., 2.])
    np.testing.assert_array_equal(view, [1., 2.])
    assert float(sliced_before) == 1.0
    np.testing.assert_array_equal(v.numpy(), [5., 7.])
    with pytest.raises(ValueError):
        v.numpy()[0] = 0.


def test_variable_does_not_alias_initial_value():
    a = np.zeros(3, np.float32)
    v = tf.Variable(a)
    a[0] = 5.
    assert v.numpy()[0] == 0.
    t = tf.constant([1., 2.])
    w = tf.Variable(t)
    w.assign([3., 4.])
    np.testing.assert_array_equal(t.numpy(), [1., 2.])


def test_variable_assign_wrong_shape_names_both_shapes():
    v = tf.Variable(tf.ones((3, 1)))
    with pytest.raises(ValueError, match=r"assign.*\(3, 1\).*\(1, 3\)"):
        v.assign(tf.ones((1, 3)))
    with pytest.raises(ValueError, match=r"\(2, 1\).*\(3,\)"):
        v[1:, :].assign(tf.ones(3))
    with pytest.raises(ValueError, match="float64.*float32|float32.*float64"):
        v.assign(tf.ones((3, 1), tf.float64))
    np.testing.assert_array_equal(v.numpy(), np.ones((3, 1)))   # unchanged after errors


def test_variable_item_assignment_and_tensor_slice_assign_raise():
    v = tf.Variable([1., 2.])
    with pytest.raises(TypeError, match="assign"):
        v[0] = 3.
    with pytest.raises(TypeError, match="Variable"):
        tf.constant([1., 2.])[0].assign(3.)


def test_variable_dtypes_and_flags():
    assert tf.Variable(1).dtype == tf.int32
    assert tf.Variable(1., dtype=tf.float64).dtype == tf.float64
    assert tf.Variable(lambda: tf.zeros(2)).shape == (2,)
    v = tf.Variable(1., trainable=False, name="step")
    assert not v.trainable and v.name == "step:0"
    with pytest.raises(ValueError):
        tf.Variable()


def test_variables_in_ops_give_tensors():
    v = tf.Variable([[1., 2.], [3., 4.]])
    for r in (v + 1, 2 * v, v * v, v @ v, -v, v[0], tf.reduce_sum(v), v ** 2, v / 2):
        assert isinstance(r, tf.Tensor) and not isinstance(r, tf.Variable)
    np.testing.assert_array_equal((v @ v).numpy(), [[7., 10.], [15., 22.]])
    assert len(v) == 2 and v.ndim == 2
    np.testing.assert_array_equal(np.asarray(v), [[1., 2.], [3., 4.]])
    assert float(tf.Variable(2.5)) == 2.5


# ============================================================== creation ops
def test_creation_ops():
    z = tf.zeros((2, 3))
    assert z.dtype == tf.float32 and z.shape == (2, 3) and not np.any(z.numpy())
    o = tf.ones([2], dtype=tf.int32)
    assert o.dtype == tf.int32 and list(o.numpy()) == [1, 1]
    assert tf.zeros(3).shape == (3,) and tf.ones(()).shape == ()
    f = tf.fill((2, 2), 7)
    assert f.dtype == tf.int32 and np.all(f.numpy() == 7)
    assert tf.fill([3], 0.5).dtype == tf.float32
    np.testing.assert_array_equal(tf.eye(2, 3).numpy(), np.eye(2, 3))
    assert tf.eye(2).dtype == tf.float32 and tf.eye(2, dtype=tf.int32).dtype == tf.int32
    assert tf.eye(2, batch_shape=[3]).shape == (3, 2, 2)
    r = tf.range(5)
    assert r.dtype == tf.int32 and list(r.numpy()) == [0, 1, 2, 3, 4]
    r = tf.range(1., 3, 0.5)
    assert r.dtype == tf.float32
    np.testing.assert_array_equal(r.numpy(), [1., 1.5, 2., 2.5])
    assert tf.range(10, 0, -3).numpy().tolist() == [10, 7, 4, 1]
    assert tf.range(3, dtype=tf.float64).dtype == tf.float64
    ls = tf.linspace(0., 1., 5)
    assert ls.dtype == tf.float32
    np.testing.assert_allclose(ls.numpy(), [0., .25, .5, .75, 1.])
    assert tf.zeros_like(tf.constant([1, 2])).dtype == tf.int32
    np.testing.assert_array_equal(tf.ones_like(tf.constant([[1.]])).numpy(), [[1.]])
    assert tf.zeros_like(tf.constant([1, 2]), dtype=tf.float32).dtype == tf.float32


def test_constant_with_shape_and_dtype():
    np.testing.assert_array_equal(tf.constant(3, shape=(2, 2)).numpy(), np.full((2, 2), 3))
    np.testing.assert_array_equal(tf.constant([1, 2, 3, 4], shape=(2, 2)).numpy(),
                                  [[1, 2], [3, 4]])
    assert tf.constant([1, 2], dtype=tf.float32).dtype == tf.float32
    assert tf.constant(1., dtype="float64").dtype == tf.float64
    with pytest.raises(ValueError):
        tf.constant([1.5], dtype=tf.int32)
    with pytest.raises(ValueError):
        tf.constant([1, 2, 3], shape=(2, 2))
    assert tf.constant("abc").dtype == tf.string   # string tensors (issue 10)
    with pytest.raises(TypeError):
        tf.constant(object())


def test_cast():
    x = tf.constant([1.7, -1.7, 0.5])
    np.testing.assert_array_equal(tf.cast(x, tf.int32).numpy(), [1, -1, 0])
    assert tf.cast(x, tf.float32) is x
    assert tf.cast(x, "float64").dtype == tf.float64
    assert tf.cast([1, 2], tf.float32).dtype == tf.float32
    np.testing.assert_array_equal(tf.cast(tf.constant([0., 2.]), tf.bool).numpy(), [False, True])
    np.testing.assert_array_equal(tf.cast(tf.constant([True, False]), tf.float32).numpy(), [1., 0.])


def test_random_global_seed_reproducible():
    tf.random.set_seed(42)
    a, b = tf.random.normal((4,)), tf.random.uniform((4,))
    tf.random.set_seed(42)
    a2, b2 = tf.random.normal((4,)), tf.random.uniform((4,))
    np.testing.assert_array_equal(a.numpy(), a2.numpy())
    np.testing.assert_array_equal(b.numpy(), b2.numpy())
    assert not np.array_equal(a.numpy(), tf.random.normal((4,)).numpy())   # stream advances
    tf.random.set_seed(43)
    assert not np.array_equal(a.numpy(), tf.random.normal((4,)).numpy())


def test_random_op_seeds():
    tf.random.set_seed(1)
    x1, x2 = tf.random.normal((3,), seed=5), tf.random.normal((3,), seed=5)
    assert not np.array_equal(x1.numpy(), x2.numpy())   # same op seed: the stream continues
    tf.random.set_seed(1)
    y1, y2 = tf.random.normal((3,), seed=5), tf.random.normal((3,), seed=5)
    np.testing.assert_array_equal(x1.numpy(), y1.numpy())
    np.testing.assert_array_equal(x2.numpy(), y2.numpy())
    tf.random.set_seed(1)
    assert not np.array_equal(x1.numpy(), tf.random.normal((3,), seed=6).numpy())
    # an op seed alone (no global seed) is reproducible too
    tf.random.set_seed(None)
    u1 = tf.random.uniform((3,), seed=9)
    tf.random.set_seed(None)
    np.testing.assert_array_equal(u1.numpy(), tf.random.uniform((3,), seed=9).numpy())
    # the op-seeded stream does not depend on unseeded draws made in between
    tf.random.set_seed(2)
    p = tf.random.normal((3,), seed=1)
    tf.random.set_seed(2)
    tf.random.normal((10,))
    np.testing.assert_array_equal(p.numpy(), tf.random.normal((3,), seed=1).numpy())


def test_random_ranges_and_dtypes():
    tf.random.set_seed(0)
    u = tf.random.uniform((1000,), minval=-2., maxval=3.)
    assert u.dtype == tf.float32 and float(tf.reduce_min(u)) >= -2 and float(tf.reduce_max(u)) < 3
    assert 0.2 < float(tf.reduce_mean(u)) < 0.8
    k = tf.random.uniform((1000,), minval=2, maxval=5, dtype=tf.int32)
    assert k.dtype == tf.int32 and set(np.unique(k.numpy())) == {2, 3, 4}
    n = tf.random.normal((2, 2), dtype=tf.float64)
    assert n.dtype == tf.float64
    tn = tf.random.truncated_normal((1000,), mean=1., stddev=2.)
    assert float(tf.reduce_max(tf.abs(tn - 1.))) <= 4.0


# ============================================================== TensorSpec, TensorShape, dtypes
def test_tensor_spec():
    s = tf.TensorSpec((None, 3))
    assert repr(s) == "TensorSpec(shape=(None, 3), dtype=tf.float32, name=None)"
    assert s.shape == tf.TensorShape([None, 3]) and s.dtype == tf.float32
    assert s.is_compatible_with(tf.ones((5, 3)))
    assert not s.is_compatible_with(tf.ones((5, 4)))
    assert not s.is_compatible_with(tf.ones((5, 3), tf.float64))
    assert not s.is_compatible_with(tf.ones((3,)))
    assert tf.TensorSpec([2], "int32") == tf.TensorSpec((2,), tf.int32)
    assert hash(tf.TensorSpec([2], "int32")) == hash(tf.TensorSpec((2,), tf.int32))
    assert tf.TensorSpec([2]) != tf.TensorSpec([3])
    assert tf.TensorSpec(shape=[2], dtype=tf.int32, name="x").name == "x"


def test_tensor_shape():
    s = tf.TensorShape([2, None, 3])
    assert s.rank == 3 and s.as_list() == [2, None, 3]
    assert not s.is_fully_defined() and s.num_elements() is None
    assert s.is_compatible_with((2, 7, 3)) and not s.is_compatible_with((2, 7))
    assert str(tf.TensorShape([4])) == "(4,)" and str(tf.TensorShape([2, 3])) == "(2, 3)"
    assert repr(tf.TensorShape([2, 3])) == "TensorShape([2, 3])"
    assert tf.TensorShape([2, 3]).num_elements() == 6


def test_dtype_objects():
    assert tf.float32.name == "float32" and repr(tf.float32) == "tf.float32"
    assert tf.float32.is_floating and not tf.float32.is_integer
    assert tf.int32.is_integer and tf.bool.is_bool
    assert tf.float32.as_numpy_dtype is np.float32 and tf.float64.size == 8
    assert tf.as_dtype("float32") is tf.float32 and tf.as_dtype(np.float64) is tf.float64
    assert tf.as_dtype(float) is tf.float32 and tf.as_dtype(int) is tf.int32
    assert tf.as_dtype(bool) is tf.bool and tf.as_dtype("double") is tf.float64
    assert tf.double is tf.float64 and tf.half is tf.float16
    assert tf.float32 == "float32" and tf.float32 == np.float32 and tf.float32 == np.dtype("f4")
    assert tf.float32 != tf.float64 and tf.float32 != "int32" and tf.float32 != "nonsense"
    assert len({tf.float32, tf.as_dtype("float32"), tf.float64}) == 2
    assert tf.uint8.max == 255 and tf.int8.min == -128
    assert tf.float32.max == np.finfo(np.float32).max
    with pytest.raises(TypeError, match="float128"):
        tf.as_dtype("float128")
    assert tf.constant(1., tf.float16).dtype == tf.half


# ============================================================== review regressions: TF semantics
def test_reduce_mean_of_signed_ints_truncates_toward_zero():
    # TF divides in C++: -3 / 2 == -1 (floor division would give -2)
    assert tf.reduce_mean(tf.constant([-1, -2])).numpy() == -1
    assert tf.reduce_mean(tf.constant([1, 2])).numpy() == 1
    np.testing.assert_array_equal(tf.reduce_mean(tf.constant([[-3, 0], [5, 0]]), axis=1).numpy(),
                                  [-1, 2])
    assert tf.reduce_mean(tf.constant([3, 4], tf.uint8)).numpy() == 3


def test_truediv_of_small_ints_is_float32_as_tf():
    for dt, want in [(tf.int8, tf.float32), (tf.int16, tf.float32), (tf.uint8, tf.float32),
                     (tf.int32, tf.float64), (tf.int64, tf.float64)]:
        q = tf.constant([1, 3], dt) / tf.constant([2, 2], dt)
        assert q.dtype == want, dt
        np.testing.assert_allclose(q.numpy(), [0.5, 1.5])


@pytest.mark.filterwarnings("ignore:divide by zero")
def test_reduce_logsumexp_of_all_minus_inf_is_minus_inf():
    x = tf.constant([[-np.inf, -np.inf], [0., 0.]])
    np.testing.assert_allclose(tf.reduce_logsumexp(x, axis=1).numpy(), [-np.inf, np.log(2.)],
                               rtol=1e-6)


def test_reduce_variance_and_std_reject_integer_inputs():
    with pytest.raises(TypeError, match="reduce_variance.*int32"):
        tf.math.reduce_variance(tf.constant([1, 2]))
    with pytest.raises(TypeError, match="reduce_std"):
        tf.math.reduce_std(tf.constant([1, 2]))
    assert tf.math.reduce_variance(tf.constant([1., 2.])).numpy() == 0.25


def test_reciprocal_returns_a_tensor():
    r = tf.math.reciprocal(4.)
    assert isinstance(r, tf.Tensor) and r.dtype == tf.float32 and r.numpy() == 0.25


def test_leaky_relu_with_alpha_above_one():
    # max(x, alpha * x) is wrong for alpha > 1; TF computes x if x > 0 else alpha * x
    np.testing.assert_array_equal(tf.nn.leaky_relu(tf.constant([-1., 1.]), alpha=2.).numpy(),
                                  [-2., 1.])


def test_python_ints_out_of_range_for_the_dtype_raise():
    with pytest.raises(tf.errors.InvalidArgumentError, match="uint8"):
        tf.constant(-1, tf.uint8)
    with pytest.raises(tf.errors.InvalidArgumentError, match="int8"):
        tf.constant([1, 300], tf.int8)
    with pytest.raises(tf.errors.InvalidArgumentError, match="multiply"):
        tf.constant([1], tf.uint8) * -1
    assert tf.constant(255, tf.uint8).numpy() == 255


def test_reduce_all_any_over_empty_axes():
    assert tf.reduce_all(tf.constant([], tf.bool)).numpy() == True  # noqa: E712
    assert tf.reduce_any(tf.constant([], tf.bool)).numpy() == False  # noqa: E712
    np.testing.assert_array_equal(
        tf.reduce_all(tf.constant([[True, False], [True, True]]), axis=1).numpy(), [False, True])
    np.testing.assert_array_equal(
        tf.reduce_any(tf.constant([[False, False], [True, False]]), axis=1).numpy(), [False, True])


def test_bool_dtype_has_no_min_max():
    with pytest.raises(TypeError, match="bool"):
        tf.bool.min
    with pytest.raises(TypeError, match="bool"):
        tf.bool.max


def test_reduce_max_min_of_empty_slices_give_the_identity_as_tf():
    np.testing.assert_array_equal(tf.reduce_max(tf.zeros((0, 3)), axis=0).numpy(), [-np.inf] * 3)
    np.testing.assert_array_equal(tf.reduce_min(tf.zeros((2, 0)), axis=1).numpy(), [np.inf] * 2)
    assert int(tf.reduce_max(tf.zeros((0,), tf.int32))) == np.iinfo(np.int32).min


def test_one_hot_dtype_follows_on_value_as_tf():
    t = tf.one_hot([0, 2], 3, on_value=5, off_value=0)
    assert t.dtype == tf.int32
    np.testing.assert_array_equal(t.numpy(), [[5, 0, 0], [0, 0, 5]])
    assert tf.one_hot([1], 2, on_value=2.0).dtype == tf.float32
    assert tf.one_hot([1], 2).dtype == tf.float32
