"""tf.data as TF's guides use it: "Better performance with the tf.data API" (prefetch, parallel
interleave/map, cache, vectorized map, options, py_function maps returning lists) prints what
TF 2.21 printed (tests/data/tf_guides/data_performance.py); `shuffle`'s determinism and
reshuffling as TF's (the orders themselves are numpy's, not TF's Philox draws)."""
import numpy as np

import graphflow as tf
from test_tf_guides_output import check_guide


def test_data_performance_guide_output_matches_tf(tmp_path):
    check_guide("data_performance", tmp_path)


def _order(ds):
    return [int(v) for v in ds]


def test_shuffle_determinism_and_reshuffling_as_tf():
    ds = tf.data.Dataset.range(10)
    seeded = ds.shuffle(10, seed=3)
    e1, e2 = _order(seeded), _order(seeded)
    assert sorted(e1) == list(range(10)) and e1 != e2     # each epoch another permutation
    assert _order(ds.shuffle(10, seed=3)) == e1            # the same seed: the same orders
    fixed = ds.shuffle(10, seed=3, reshuffle_each_iteration=False)
    assert _order(fixed) == _order(fixed)
    rep = _order(ds.shuffle(10, seed=5).repeat(2))         # repeat: a new permutation per epoch
    assert sorted(rep[:10]) == sorted(rep[10:]) == list(range(10)) and rep[:10] != rep[10:]
    rep = _order(ds.shuffle(10, seed=5, reshuffle_each_iteration=False).repeat(2))
    assert rep[:10] == rep[10:]
    # no op seed: reproducible after tf.random.set_seed (the seed comes from the global stream)
    tf.random.set_seed(7)
    a = _order(ds.shuffle(10))
    tf.random.set_seed(7)
    assert _order(ds.shuffle(10)) == a
    tf.random.set_seed(None)
    # a buffer of b: an element comes out at most b - 1 places before its input position
    s = _order(tf.data.Dataset.range(30).shuffle(3, seed=1))
    assert sorted(s) == list(range(30)) and all(s.index(i) >= i - 2 for i in range(30))
    assert _order(ds.shuffle(1, seed=2)) == list(range(10))


def test_map_returning_a_list_gives_a_tuple_as_tf():
    ds = tf.data.Dataset.range(3)
    m = ds.map(lambda x: [x, x * 2])   # TF: a returned list is a tuple of components
    assert isinstance(m.element_spec, tuple) and len(m.element_spec) == 2
    assert [(int(a), int(b)) for a, b in m] == [(0, 0), (1, 2), (2, 4)]
    inner = ds.map(lambda x: {"a": [x, x + 1]})   # a list inside the result: one tensor
    assert inner.element_spec["a"].shape == (2,)
    np.testing.assert_array_equal(next(iter(inner))["a"].numpy(), [0, 1])
    py = ds.map(lambda x: tf.py_function(lambda v: [v, tf.strings.as_string(v)], [x],
                                         (tf.int64, tf.string)))
    assert [(int(a), b.numpy()) for a, b in py] == [(0, b"0"), (1, b"1"), (2, b"2")]
