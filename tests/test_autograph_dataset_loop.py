"""`for x in dataset:` inside @tf.function is a run-time loop (TF's AutoGraph semantics):
every call iterates the dataset anew; break/continue/return, loop-carried values, TensorArray,
gradients, variable updates per step, dict/tuple elements, empty datasets."""
import warnings

import numpy as np
import pytest

import graphflow as tf
from graphflow.autograph.dataset_loop import DATASET_LOOP_NEXT, DATASET_LOOP_START


def _ops(f, *args):
    g = f.get_concrete_function(*args).traced
    ops = set()

    def walk(gr):
        for _, d in gr.nx.nodes(data=True):
            ops.add(d["op"])
            for v in d["attrs"].values():
                for sub in getattr(v, "graphs", ()):
                    walk(sub)
    walk(g)
    return ops


@pytest.fixture(autouse=True)
def _no_unroll_warning():
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="iterating a tf.data.Dataset")
        yield


def test_sum_is_a_runtime_loop_and_rereads_the_source():
    data = [np.float32(1.5), np.float32(2.0), np.float32(4.0)]
    ds = tf.data.Dataset.from_generator(lambda: iter(list(data)),
                                        output_signature=tf.TensorSpec((), tf.float32))

    @tf.function
    def total():
        s = tf.constant(0.0)
        for x in ds:
            s += x
        return s
    assert float(total()) == 7.5
    assert {DATASET_LOOP_START.name, DATASET_LOOP_NEXT.name} <= _ops(total)
    data.append(np.float32(10.0))      # a changed source is read again at the next call
    assert float(total()) == 17.5
    assert total.experimental_get_tracing_count() == 1


def test_shuffle_reshuffles_every_call():
    ds = tf.data.Dataset.range(20).shuffle(20, seed=3)
    twin = tf.data.Dataset.range(20).shuffle(20, seed=3)
    eager = [[int(x) for x in twin] for _ in range(2)]

    @tf.function
    def order():
        ta = tf.TensorArray(tf.int64, size=20)
        i = 0
        for x in ds:
            ta = ta.write(i, x)
            i += 1
        return ta.stack()
    runs = [order().numpy().tolist() for _ in range(2)]
    assert sorted(runs[0]) == sorted(runs[1]) == list(range(20))
    assert runs[0] != runs[1]
    assert runs == eager           # the same seeded sequence of orders as eager iteration


def test_break_continue_and_return():
    ds = tf.data.Dataset.range(10)

    @tf.function
    def f():
        s = tf.constant(0, tf.int64)
        for x in ds:
            if x % 2 == 0:
                continue
            if x > 6:
                break
            s += x
        return s
    assert int(f()) == 1 + 3 + 5

    @tf.function
    def first_over(t):
        for x in ds:
            if x > t:
                return x
        return tf.constant(-1, tf.int64)
    assert int(first_over(tf.constant(4, tf.int64))) == 5
    assert int(first_over(tf.constant(40, tf.int64))) == -1


def test_tuple_and_dict_elements_and_training_steps():
    rng = np.random.default_rng(0)
    xs = rng.normal(size=(12, 3)).astype(np.float32)
    ys = xs @ np.array([1.0, -2.0, 0.5], np.float32)
    ds = tf.data.Dataset.from_tensor_slices((xs, ys)).batch(4, drop_remainder=True)
    w = tf.Variable(np.zeros(3, np.float32))
    lr = 0.1

    def train_step(x, y):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean((tf.linalg.matvec(x, w) - y) ** 2)
        w.assign_sub(lr * tape.gradient(loss, w))
        return loss

    @tf.function
    def epoch():
        n = tf.constant(0)
        for x, y in ds:
            train_step(x, y)
            n += 1
        return n
    assert int(epoch()) == 3
    # numpy reference: three sequential steps
    ref = np.zeros(3, np.float32)
    for k in range(3):
        x, y = xs[4 * k:4 * k + 4], ys[4 * k:4 * k + 4]
        ref = ref - lr * (2.0 / 4) * x.T @ (x @ ref - y)
    np.testing.assert_allclose(w.numpy(), ref, rtol=1e-5, atol=1e-6)

    dds = tf.data.Dataset.from_tensor_slices({"a": xs[:, 0], "b": ys})

    @tf.function
    def dsum():
        s = tf.constant(0.0)
        for e in dds:
            s += e["a"] * e["b"]
        return s
    np.testing.assert_allclose(float(dsum()), float(np.sum(xs[:, 0] * ys)), rtol=1e-5)


def test_empty_dataset_and_loop_carried_tensors():
    ds = tf.data.Dataset.range(5).filter(lambda x: x > 10)

    @tf.function
    def f():
        s = tf.constant(7, tf.int64)
        for x in ds:
            s += x
        return s
    assert int(f()) == 7

    ds2 = tf.data.Dataset.range(4).map(lambda x: tf.cast(x, tf.float32) * 2.0)

    @tf.function
    def g():
        acc = tf.zeros(4)
        last = tf.constant(-1.0)
        for x in ds2:      # loop-carried tensors: a running vector and the last element
            acc = acc * 0.5 + x
            last = x
        return acc, last
    acc, last = g()
    ref = np.zeros(4)
    for x in [0.0, 2.0, 4.0, 6.0]:
        ref = ref * 0.5 + x
    np.testing.assert_allclose(acc.numpy(), ref)
    assert float(last) == 6.0


def test_gradient_through_dataset_loop():
    ds = tf.data.Dataset.from_tensor_slices(np.array([0.5, 1.0, 2.0], np.float32))
    v = tf.Variable(1.5)

    @tf.function
    def f():
        with tf.GradientTape() as tape:
            s = tf.constant(0.0)
            for x in ds:
                s += tf.sin(v * x) * x
        return s, tape.gradient(s, v)
    s, g = f()
    xs = np.array([0.5, 1.0, 2.0])
    np.testing.assert_allclose(float(s), np.sum(np.sin(1.5 * xs) * xs), rtol=1e-5)
    np.testing.assert_allclose(float(g), np.sum(np.cos(1.5 * xs) * xs * xs), rtol=1e-5)


def test_unknown_dims_are_a_run_time_loop_and_python_lists_unroll():
    ds = tf.data.Dataset.range(5).batch(2)      # element dim None: [0 1], [2 3], [4]

    @tf.function
    def f():
        s = tf.constant(0, tf.int64)
        n = tf.constant(0)
        for x in ds:
            s += tf.reduce_sum(x * x)
            n += tf.shape(x)[0]
        return s, n
    s, n = f()   # (no warning: the autouse fixture makes the unroll warning an error)
    assert (int(s), int(n)) == (30, 5)
    assert DATASET_LOOP_START.name in _ops(f)

    @tf.function
    def g():
        s = tf.constant(0)
        for x in [1, 2, 3]:            # a Python list: unrolled, as in TF
            s += x
        return s
    assert int(g()) == 6
    assert DATASET_LOOP_START.name not in _ops(g)


def test_dataset_argument():
    @tf.function
    def total(ds):
        s = tf.constant(0, tf.int64)
        for x in ds:
            s += x
        return s
    a, b = tf.data.Dataset.range(4), tf.data.Dataset.range(10)
    assert [int(total(a)), int(total(b)), int(total(a))] == [6, 45, 6]
    # graphflow traces once per dataset object (TF: once per element_spec)
    assert total.experimental_get_tracing_count() == 2


def test_enumerate_and_zip_of_datasets():
    a = tf.data.Dataset.from_tensor_slices(np.array([2.0, 3.0, 5.0], np.float32))
    b = tf.data.Dataset.range(10, 13)

    @tf.function
    def f():
        s = tf.constant(0.0)
        for i, x in enumerate(a, start=1):
            s += tf.cast(i, tf.float32) * x
        t = tf.constant(0, tf.int64)
        for x, y in zip(b, b.skip(1)):
            t += x * y
        return s, t
    s, t = f()
    assert float(s) == 1 * 2.0 + 2 * 3.0 + 3 * 5.0
    assert int(t) == 10 * 11 + 11 * 12
    assert DATASET_LOOP_START.name in _ops(f)


def test_dataset_made_inside_the_function_from_numpy_loops_and_from_traced_values_is_a_clear_error():
    @tf.function
    def total():
        ds = tf.data.Dataset.from_tensor_slices(np.array([1., 2., 3.], np.float32))
        s = tf.constant(0.)
        for x in ds:
            s += x
        return s
    assert float(total()) == 6.0 and float(total()) == 6.0

    @tf.function
    def from_arg(x):
        ds = tf.data.Dataset.from_tensor_slices(x * 2)
        s = tf.constant(0.)
        for v in ds:
            s += v
        return s
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"from_tensor_slices: component 0 \(float32\[3\]\).*outside the function"):
        from_arg(tf.constant([1., 2., 3.]))


def test_training_epoch_over_a_last_partial_batch_matches_eager():
    xs = np.random.default_rng(0).random((7, 2)).astype(np.float32)
    ys = xs @ np.array([[2.], [-1.]], np.float32)
    ds = tf.data.Dataset.from_tensor_slices((xs, ys)).batch(3)   # batches 3, 3, 1
    w = tf.Variable(np.ones((2, 1), np.float32))

    def epoch():
        total = tf.constant(0.)
        for x, y in ds:
            with tf.GradientTape() as t:
                loss = tf.reduce_mean((x @ w - y) ** 2)
            w.assign_sub(0.1 * t.gradient(loss, w))
            total += loss
        return total
    want = [float(epoch()) for _ in range(3)]
    w_want = w.numpy().copy()
    for jit in (False, None):
        w.assign(np.ones((2, 1), np.float32))
        f = tf.function(epoch, jit_compile=jit)
        got = [float(f()) for _ in range(3)]
        np.testing.assert_allclose(got, want, rtol=1e-5)
        np.testing.assert_allclose(w.numpy(), w_want, rtol=1e-5)
        assert DATASET_LOOP_START.name in _ops(f)
