"""tf.data.experimental breadth: take_while, unique, from_list, get_next_as_optional/Optional,
pad_to_cardinality, group_by_reducer/Reducer, get_structure, at, SHARD_HINT, device no-ops.
Expected values are what TF 2.21 printed for the same pipelines."""
import numpy as np
import pytest

import graphflow as tf

E = tf.data.experimental


def items(ds):
    return list(ds.as_numpy_iterator())


def test_thin_wrappers():
    ds = tf.data.Dataset.range(10)
    assert [int(x) for x in items(ds.apply(E.take_while(lambda x: x < 4)))] == [0, 1, 2, 3]
    u = tf.data.Dataset.from_tensor_slices([1, 3, 1, 2, 3]).apply(E.unique())
    assert [int(x) for x in items(u)] == [1, 3, 2]
    assert E.get_structure(ds) == tf.TensorSpec([], tf.int64)
    assert E.get_structure(iter(ds)) == tf.TensorSpec([], tf.int64)
    assert int(E.at(ds, 3)) == 3
    with pytest.raises(tf.errors.InvalidArgumentError):
        E.at(ds, 10)
    assert E.SHARD_HINT == -1
    assert [int(x) for x in items(ds.take(2).apply(E.copy_to_device("/cpu:0")))] == [0, 1]
    assert [int(x) for x in items(ds.take(2).apply(E.prefetch_to_device("/cpu:0")))] == [0, 1]
    assert E.RandomDataset(seed=3).take(2).element_spec == tf.TensorSpec([], tf.int64)


def test_from_list():
    ds = E.from_list([(1, "a"), (2, "b")])
    assert [(int(a), b) for a, b in items(ds)] == [(1, b"a"), (2, b"b")]
    assert ds.element_spec == (tf.TensorSpec([], tf.int32), tf.TensorSpec([], tf.string))
    d = items(E.from_list([{"x": [1., 2.]}, {"x": [3., 4.]}]))
    assert [e["x"].tolist() for e in d] == [[1., 2.], [3., 4.]]
    assert d[0]["x"].dtype == np.float32


def test_optional():
    it = iter(tf.data.Dataset.range(2))
    o = E.get_next_as_optional(it)
    assert bool(o.has_value()) and int(o.get_value()) == 0
    assert o.element_spec == tf.TensorSpec([], tf.int64)
    E.get_next_as_optional(it)
    o = E.get_next_as_optional(it)
    assert not bool(o.has_value())
    with pytest.raises(tf.errors.InvalidArgumentError):
        o.get_value()
    o = E.Optional.from_value({"a": tf.constant(1.), "b": (tf.constant([1, 2]),)})
    assert o.element_spec == {"a": tf.TensorSpec([], tf.float32),
                              "b": (tf.TensorSpec([2], tf.int32),)}
    assert o.get_value()["b"][0].numpy().tolist() == [1, 2]
    e = E.Optional.empty(tf.TensorSpec([], tf.int32))
    assert not bool(e.has_value()) and e.element_spec == tf.TensorSpec([], tf.int32)


def test_pad_to_cardinality():
    ds = tf.data.Dataset.from_tensor_slices({"a": [1, 2], "b": [[1., 1.], [2., 2.]]})
    out = ds.apply(E.pad_to_cardinality(4))
    got = [(int(d["a"]), d["b"].tolist(), bool(d["valid"])) for d in items(out)]
    assert got == [(1, [1., 1.], True), (2, [2., 2.], True), (0, [0., 0.], False),
                   (0, [0., 0.], False)]
    assert int(out.cardinality()) == 4
    with pytest.raises(ValueError, match="more than"):
        ds.apply(E.pad_to_cardinality(1))


def test_group_by_reducer():
    r = E.Reducer(init_func=lambda k: np.int64(0), reduce_func=lambda s, x: s + x,
                  finalize_func=lambda s: s)
    out = tf.data.Dataset.range(10).apply(E.group_by_reducer(lambda x: x % 3, r))
    assert [int(x) for x in items(out)] == [18, 12, 15]
    r2 = E.Reducer(init_func=lambda k: (k, np.int64(0)), reduce_func=lambda s, x: (s[0], s[1] + 1),
                   finalize_func=lambda k, n: k * 100 + n)
    out = tf.data.Dataset.range(7).apply(E.group_by_reducer(lambda x: x % 2, r2))
    assert [int(x) for x in items(out)] == [4, 103]
    vals = tf.data.Dataset.from_tensor_slices(np.array([5, 1, 5, 7, 1, 5], np.int64))
    out = vals.apply(E.group_by_reducer(lambda x: x, r))   # TF: [2, 15, 7] (hash order)
    assert sorted(int(x) for x in items(out)) == [2, 7, 15]


def test_optional_is_tf_experimental_optional():
    assert tf.experimental.Optional is E.Optional
    assert int(tf.experimental.Optional.from_value(tf.constant(7)).get_value()) == 7


def test_tables_from_datasets():
    keys = tf.data.Dataset.range(100)
    values = tf.data.Dataset.range(100).map(lambda x: tf.strings.as_string(x * 2))
    table = E.table_from_dataset(tf.data.Dataset.zip((keys, values)), default_value="n/a",
                                 key_dtype=tf.int64)
    assert table.lookup(tf.constant([0, 1, 2, 200], tf.int64)).numpy().tolist() == \
        [b"0", b"2", b"4", b"n/a"]
    words = tf.data.Dataset.from_tensor_slices(["to", "be", "or", "not", "to", "be"])
    t2 = E.index_table_from_dataset(words.unique(), key_dtype=tf.string)
    assert t2.lookup(tf.constant(["be", "not", "zz"])).numpy().tolist() == [1, 3, -1]
    assert int(t2.size()) == 4
    t3 = E.index_table_from_dataset(words.unique(), num_oov_buckets=2, key_dtype=tf.string)
    assert t3.lookup(tf.constant(["be", "zz", "qq"])).numpy().tolist() == [1, 4, 5]
    init = E.DatasetInitializer(tf.data.Dataset.zip((
        tf.data.Dataset.from_tensor_slices(["a", "b"]),
        tf.data.Dataset.from_tensor_slices([3., 4.]))))
    t4 = tf.lookup.StaticHashTable(init, -1.)
    assert t4.lookup(tf.constant(["b", "c"])).numpy().tolist() == [4.0, -1.0]


def test_autotune_algorithm_and_dense_to_sparse_batch():
    assert [(a.name, a.value) for a in E.AutotuneAlgorithm] == [
        ("DEFAULT", 0), ("HILL_CLIMB", 1), ("GRADIENT_DESCENT", 2), ("MAX_PARALLELISM", 3),
        ("STAGE_BASED", 4)]
    rows = [np.array([1], np.int32), np.array([2, 3], np.int32), np.array([4, 5, 6], np.int32)]
    ds = tf.data.Dataset.from_generator(lambda: iter(rows),
                                        output_signature=tf.TensorSpec([None], tf.int32))
    got = [(s.indices.numpy().tolist(), s.values.numpy().tolist(),
            s.dense_shape.numpy().tolist()) for s in ds.apply(E.dense_to_sparse_batch(2, [4]))]
    assert got == [([[0, 0], [1, 0], [1, 1]], [1, 2, 3], [2, 4]),
                   ([[0, 0], [0, 1], [0, 2]], [4, 5, 6], [1, 4])]


def test_autotune_options_in_experimental():
    assert E.AutotuneOptions is tf.data.AutotuneOptions


def test_sql_dataset(tmp_path):
    import sqlite3
    path = str(tmp_path / "db.sqlite3")
    con = sqlite3.connect(path)
    con.execute("create table people (name text, age integer, h real)")
    con.executemany("insert into people values (?,?,?)", [("ann", 31, 1.7), ("bob", 25, 1.8)])
    con.commit()
    con.close()
    ds = E.SqlDataset("sqlite", path, "SELECT name, age, h FROM people",
                      (tf.string, tf.int32, tf.float64))
    assert ds.element_spec == (tf.TensorSpec([], tf.string), tf.TensorSpec([], tf.int32),
                               tf.TensorSpec([], tf.float64))
    got = items(ds)   # TF: [(b'ann', 31, 1.7), (b'bob', 25, 1.8)]
    assert [(a, int(b), float(c)) for a, b, c in got] == [(b"ann", 31, 1.7), (b"bob", 25, 1.8)]
    assert got[0][1].dtype == np.int32
    one = E.SqlDataset("sqlite", path, "SELECT age FROM people", tf.int64)
    assert one.element_spec == tf.TensorSpec([], tf.int64)
    assert [int(x) for x in items(one)] == [31, 25]
