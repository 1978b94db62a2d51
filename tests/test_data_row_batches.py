"""`batch` of a dataset of array rows (from_tensor_slices, then shuffle / repeat / take / skip)
gathers each batch's rows at once: the batches equal stacking the same pipeline's elements
one by one (same order, values, dtypes, structure), for every such pipeline."""
import itertools

import numpy as np
import pytest

import graphflow as tf

X = np.arange(23 * 3, dtype=np.float32).reshape(23, 3)
Y = np.arange(23, dtype=np.int64) % 5
S = np.array([f"s{i}".encode() for i in range(23)], dtype=object)

PIPELINES = {
    "slices": lambda d: d,
    "shuffle": lambda d: d.shuffle(7, seed=3),
    "shuffle_full": lambda d: d.shuffle(100, seed=4),
    "shuffle_repeat": lambda d: d.shuffle(5, seed=5).repeat(3),
    "repeat_shuffle": lambda d: d.repeat(2).shuffle(9, seed=6),
    "take_skip": lambda d: d.skip(4).take(11),
    "repeat_take": lambda d: d.repeat().take(50),
    "take0_repeat": lambda d: d.take(0).repeat(),
}


def _elements(ds, n):
    return list(itertools.islice(iter(ds), n))


@pytest.mark.parametrize("name", sorted(PIPELINES))
@pytest.mark.parametrize("batch,drop", [(4, False), (4, True), (50, False)])
def test_gathered_batches_equal_stacked_elements(name, batch, drop):
    make = PIPELINES[name]
    rows = make(tf.data.Dataset.from_tensor_slices({"x": X, "y": (Y, S)}))
    assert (rows._rows is not None) == (name != "take0_repeat")   # (the gathering path)
    batched = make(tf.data.Dataset.from_tensor_slices({"x": X, "y": (Y, S)})).batch(batch, drop)
    elems = _elements(make(tf.data.Dataset.from_tensor_slices({"x": X, "y": (Y, S)})), 200)
    want = [elems[i:i + batch] for i in range(0, len(elems), batch)]
    if drop:
        want = [w for w in want if len(w) == batch]
    got = _elements(batched, 200)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g["x"].numpy(), np.stack([e["x"].numpy() for e in w]))
        assert g["x"].dtype == tf.float32 and g["y"][0].dtype == tf.int64
        np.testing.assert_array_equal(g["y"][0].numpy(), [int(e["y"][0]) for e in w])
        assert g["y"][1].dtype == tf.string
        assert list(g["y"][1].numpy()) == [e["y"][1].numpy() for e in w]


def test_each_epoch_reshuffles_and_cardinality():
    ds = tf.data.Dataset.from_tensor_slices(Y).shuffle(23, seed=1).batch(5)
    a, b = [np.concatenate([t.numpy() for t in ds]) for _ in range(2)]
    assert sorted(a) == sorted(b) == sorted(Y) and list(a) != list(b)
    assert int(ds.cardinality()) == 5
    assert int(tf.data.Dataset.from_tensor_slices(Y).batch(5, True).cardinality()) == 4
    # batches are copies: changing the source array later does not change them
    src = X.copy()
    first = next(iter(tf.data.Dataset.from_tensor_slices(src).batch(2)))
    src[:] = -1
    np.testing.assert_array_equal(first.numpy(), X[:2])
