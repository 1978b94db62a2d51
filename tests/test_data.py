"""tf.data.Dataset: sources, transformations (values vs numpy / TF's documented results),
iteration in eager mode and inside @function, and Keras fit/evaluate/predict on a Dataset."""
import numpy as np
import pytest

import graphflow as tf

Dataset = tf.data.Dataset


def ints(ds):
    return [int(v) for v in ds]


def test_from_tensor_slices_structures_and_dtypes():
    # TF docs: from_tensor_slices([1, 2, 3]) -> 1, 2, 3; tuples are structures, lists tensors
    assert ints(Dataset.from_tensor_slices([1, 2, 3])) == [1, 2, 3]
    ds = Dataset.from_tensor_slices(([[1, 2], [3, 4]], [5, 6]))
    got = [(a.numpy().tolist(), int(b)) for a, b in ds]
    assert got == [([1, 2], 5), ([3, 4], 6)]
    assert ds.element_spec[0].shape.as_list() == [2] and len(ds) == 2
    x = np.arange(6, dtype=np.float64).reshape(3, 2)
    e = next(iter(Dataset.from_tensor_slices({"x": x, "y": [0., 1., 2.]})))
    assert e["x"].dtype == tf.float64 and e["y"].dtype == tf.float32
    with pytest.raises(ValueError, match="first dimension"):
        Dataset.from_tensor_slices((np.ones(3), np.ones(4)))


def test_from_tensors_range_enumerate_zip():
    assert [t.numpy().tolist() for t in Dataset.from_tensors([1, 2, 3])] == [[1, 2, 3]]
    r = Dataset.range(2, 12, 3)
    assert ints(r) == [2, 5, 8, 11] and next(iter(r)).dtype == tf.int64
    assert [(int(i), int(v)) for i, v in Dataset.range(5, 7).enumerate(start=1)] == [(1, 5), (2, 6)]
    z = Dataset.zip((Dataset.range(3), Dataset.range(10, 20)))
    assert [(int(a), int(b)) for a, b in z] == [(0, 10), (1, 11), (2, 12)]
    assert int(z.cardinality()) == 3


def test_batch_drop_remainder_and_cardinality():
    # TF docs: range(8).batch(3) -> [0 1 2] [3 4 5] [6 7]
    b = Dataset.range(8).batch(3)
    assert [v.numpy().tolist() for v in b] == [[0, 1, 2], [3, 4, 5], [6, 7]]
    assert int(b.cardinality()) == 3
    d = Dataset.range(8).batch(3, drop_remainder=True)
    assert [v.numpy().tolist() for v in d] == [[0, 1, 2], [3, 4, 5]] and len(d) == 2
    assert d.element_spec.shape.as_list() == [3]
    pairs = Dataset.from_tensor_slices((np.arange(4.0), np.arange(4))).batch(2)
    x, y = next(iter(pairs))
    np.testing.assert_array_equal(x.numpy(), [0.0, 1.0])
    np.testing.assert_array_equal(y.numpy(), [0, 1])
    assert [v.numpy().tolist() for v in Dataset.range(5).batch(2).unbatch()] == [0, 1, 2, 3, 4]


def test_repeat_take_skip_concatenate_filter():
    assert ints(Dataset.range(3).repeat(2)) == [0, 1, 2, 0, 1, 2]
    assert int(Dataset.range(3).repeat().cardinality()) == tf.data.INFINITE_CARDINALITY
    assert ints(Dataset.range(3).repeat().take(7)) == [0, 1, 2, 0, 1, 2, 0]
    assert ints(Dataset.range(10).skip(7)) == [7, 8, 9]
    assert ints(Dataset.range(10).take(3)) == [0, 1, 2]
    assert ints(Dataset.range(2).concatenate(Dataset.range(5, 7))) == [0, 1, 5, 6]
    f = Dataset.range(10).filter(lambda x: x % 3 == 0)
    assert ints(f) == [0, 3, 6, 9] and int(f.cardinality()) == tf.data.UNKNOWN_CARDINALITY
    with pytest.raises(TypeError, match="infinite"):
        len(Dataset.range(3).repeat())


def test_map_is_traced_once_per_signature_and_unpacks_tuples():
    traces = []

    def f(x, y):
        traces.append(1)
        assert not tf.executing_eagerly()   # map functions run as graphs, as in TF
        return x * 2.0, y + 1

    ds = Dataset.from_tensor_slices((np.arange(5, dtype=np.float32), np.arange(5))).map(f)
    got = [(float(a), int(b)) for a, b in ds]
    assert got == [(0.0, 1), (2.0, 2), (4.0, 3), (6.0, 4), (8.0, 5)]
    assert len(traces) == 1
    list(ds)   # a second epoch does not retrace
    assert len(traces) == 1
    d = Dataset.from_tensor_slices({"a": [1.0, 2.0]}).map(lambda e: {"b": e["a"] + 1.0})
    assert [float(e["b"]) for e in d] == [2.0, 3.0]


def test_shuffle_is_a_seeded_permutation_and_reshuffles():
    ds = Dataset.range(20).shuffle(20, seed=7)
    a, b = ints(ds), ints(ds)
    assert sorted(a) == list(range(20)) and sorted(b) == list(range(20))
    assert a != list(range(20)) and a != b                          # reshuffled each iteration
    assert ints(Dataset.range(20).shuffle(20, seed=7)) == a         # reproducible from the seed
    fixed = Dataset.range(20).shuffle(20, seed=3, reshuffle_each_iteration=False)
    assert ints(fixed) == ints(fixed)
    # a small buffer only moves elements forward by a bounded amount (TF's buffered algorithm)
    small = ints(Dataset.range(50).shuffle(2, seed=0))
    assert sorted(small) == list(range(50))
    assert all(v <= i + 1 for i, v in enumerate(small))


def test_cache_and_prefetch_keep_values():
    calls = []

    def gen():
        calls.append(1)
        yield from range(4)

    ds = Dataset.from_generator(gen, output_signature=tf.TensorSpec((), tf.int32)).cache()
    assert ints(ds) == [0, 1, 2, 3] and ints(ds) == [0, 1, 2, 3] and len(calls) == 1
    p = Dataset.range(100).map(lambda x: x * x).prefetch(tf.data.AUTOTUNE)
    assert ints(p) == [i * i for i in range(100)]
    assert ints(p.take(3)) == [0, 1, 4]   # stopping early ends the prefetch thread


def test_from_generator_checks_shapes():
    def gen():
        yield [1.0, 2.0]
        yield [1.0]

    ds = Dataset.from_generator(gen, output_signature=tf.TensorSpec((2,), tf.float32))
    it = iter(ds)
    assert next(it).numpy().tolist() == [1.0, 2.0]
    with pytest.raises(ValueError, match="not compatible"):
        next(it)


def test_reduce_and_numpy_iterator():
    assert int(Dataset.range(5).reduce(np.int64(0), lambda s, x: s + x)) == 10
    assert [v.tolist() for v in Dataset.range(4).batch(2).as_numpy_iterator()] == [[0, 1], [2, 3]]


def test_iterating_inside_function():
    ds = Dataset.from_tensor_slices(np.arange(4, dtype=np.float32))

    @tf.function
    def total(ds, scale):
        s = tf.constant(0.0)
        for x in ds:
            s = s + x * scale
        return s

    assert float(total(ds, tf.constant(2.0))) == 12.0


def _model():
    tf.random.set_seed(1)
    m = tf.keras.Sequential([tf.keras.layers.Dense(1, input_shape=(3,))])
    m.compile(optimizer=tf.keras.optimizers.SGD(0.1), loss="mse", jit_compile=False)
    return m


def test_keras_fit_evaluate_predict_on_a_dataset_match_arrays():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 3)).astype(np.float32)
    y = (x @ np.array([[1.0], [-2.0], [0.5]], np.float32) + 0.3).astype(np.float32)
    m1, m2 = _model(), _model()
    m2.set_weights(m1.get_weights())
    h1 = m1.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0)
    ds = Dataset.from_tensor_slices((x, y)).batch(8)
    h2 = m2.fit(ds, epochs=3, verbose=0, validation_data=ds)
    np.testing.assert_allclose(h2.history["loss"], h1.history["loss"], rtol=1e-5)
    for a, b in zip(m1.get_weights(), m2.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5)
    np.testing.assert_allclose(m2.evaluate(ds, verbose=0), m1.evaluate(x, y, verbose=0), rtol=1e-5)
    np.testing.assert_allclose(h2.history["val_loss"][-1], m1.evaluate(x, y, verbose=0), rtol=1e-5)
    np.testing.assert_allclose(m2.predict(ds, verbose=0), m1.predict(x, verbose=0), rtol=1e-5)
    np.testing.assert_allclose(m2.predict(Dataset.from_tensor_slices(x).batch(16), verbose=0),
                               m1.predict(x, verbose=0), rtol=1e-5)


def test_keras_fit_infinite_dataset_needs_steps_and_continues_across_epochs():
    x = np.ones((4, 3), np.float32)
    y = np.ones((4, 1), np.float32)
    m = _model()
    ds = Dataset.from_tensor_slices((x, y)).batch(2).repeat()
    with pytest.raises(ValueError, match="infinite"):
        m.fit(ds, epochs=1, verbose=0)
    seen = []

    class Count(tf.keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append(batch)
    m.fit(ds, epochs=2, steps_per_epoch=3, verbose=0, callbacks=[Count()])
    assert seen == [0, 1, 2, 0, 1, 2]
