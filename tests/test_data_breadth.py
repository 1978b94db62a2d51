"""tf.data breadth: the transformations and sources of TF's Dataset API against the results its
docstrings document, file readers (text, TFRecord, CSV), save/load, Options, and the
"tf.data: Build TensorFlow input pipelines" guide's cells (files written to tmp_path instead
of downloads)."""
import collections
import os

import numpy as np
import pytest

import graphflow as tf


def values(ds):
    return [v.tolist() if isinstance(v, np.ndarray) else v for v in ds.as_numpy_iterator()]


# ------------------------------------------------------------------------- padded_batch
A = tf.data.Dataset.range(1, 5, output_type=tf.int32).map(lambda x: tf.fill([x], x))


def test_padded_batch_docstring():
    assert values(A.padded_batch(2)) == [[[1, 0], [2, 2]], [[3, 3, 3, 0], [4, 4, 4, 4]]]
    assert values(A.padded_batch(2, padded_shapes=5)) == [
        [[1, 0, 0, 0, 0], [2, 2, 0, 0, 0]], [[3, 3, 3, 0, 0], [4, 4, 4, 4, 0]]]
    assert values(A.padded_batch(2, padded_shapes=5, padding_values=-1)) == [
        [[1, -1, -1, -1, -1], [2, 2, -1, -1, -1]], [[3, 3, 3, -1, -1], [4, 4, 4, 4, -1]]]
    elements = [([1, 2, 3], [10]), ([4, 5], [11, 12])]
    ds = tf.data.Dataset.from_generator(lambda: iter(elements), (tf.int32, tf.int32))
    (a, b), = ds.padded_batch(2, padded_shapes=([4], [None]),
                              padding_values=(-1, 100)).as_numpy_iterator()
    assert a.tolist() == [[1, 2, 3, -1], [4, 5, -1, -1]] and a.dtype == np.int32
    assert b.tolist() == [[10, 100], [11, 12]]
    E = tf.data.Dataset.zip((A, A)).padded_batch(2, padding_values=-1)
    first = next(iter(E))
    assert [t.numpy().tolist() for t in first] == [[[1, -1], [2, 2]]] * 2


def test_padded_batch_strings_spec_and_errors():
    ds = tf.data.Dataset.from_generator(lambda: iter([["a"], ["b", "c"]]), tf.string,
                                        output_shapes=[None]).padded_batch(2)
    assert values(ds) == [[[b"a", b""], [b"b", b"c"]]]
    assert ds.element_spec == tf.TensorSpec((None, None), tf.string)
    with pytest.raises(ValueError, match=r"padded_batch \(made at test_data_breadth.py:\d+\): an "
                       r"element of component 0 has size 4"):
        list(A.padded_batch(4, padded_shapes=[3]))


def test_ragged_batch_docstring():
    ds = tf.data.Dataset.from_tensor_slices(np.arange(6)).map(lambda x: tf.range(x))
    batches = [b.to_list() for b in ds.ragged_batch(2)]
    assert batches == [[[], [0]], [[0, 1], [0, 1, 2]], [[0, 1, 2, 3], [0, 1, 2, 3, 4]]]


# ------------------------------------------------------------------------------ window
def test_window_shift_stride_drop_remainder():
    r = tf.data.Dataset.range(7)
    assert [values(w) for w in r.window(3)] == [[0, 1, 2], [3, 4, 5], [6]]
    assert [values(w) for w in r.window(3, 2)] == [[0, 1, 2], [2, 3, 4], [4, 5, 6], [6]]
    assert [values(w) for w in r.window(3, 1, drop_remainder=True)] == \
        [[0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 5], [4, 5, 6]]
    assert [values(w) for w in r.window(3, 1, 2, drop_remainder=True)] == \
        [[0, 2, 4], [1, 3, 5], [2, 4, 6]]
    assert [values(w) for w in r.window(2, 4)] == [[0, 1], [4, 5]]


def test_window_nested_elements():
    ds = tf.data.Dataset.from_tensor_slices(([1, 2, 3, 4, 5], [6, 7, 8, 9, 10])).window(2)
    assert [tuple(values(w) for w in win) for win in ds] == \
        [([1, 2], [6, 7]), ([3, 4], [8, 9]), ([5], [10])]
    ds = tf.data.Dataset.from_tensor_slices({'a': [1, 2, 3], 'b': [4, 5, 6],
                                             'c': [7, 8, 9]}).window(2)
    assert [{k: values(v) for k, v in w.items()} for w in ds] == \
        [{'a': [1, 2], 'b': [4, 5], 'c': [7, 8]}, {'a': [3], 'b': [6], 'c': [9]}]


# ------------------------------------------------------------------- flat_map, interleave
def test_flat_map_and_interleave_docstrings():
    ds = tf.data.Dataset.from_tensor_slices([[1, 2, 3], [4, 5, 6], [7, 8, 9]])
    assert values(ds.flat_map(tf.data.Dataset.from_tensor_slices)) == list(range(1, 10))
    ds = tf.data.Dataset.range(1, 6).interleave(
        lambda x: tf.data.Dataset.from_tensors(x).repeat(6), cycle_length=2, block_length=4)
    assert values(ds) == [1, 1, 1, 1, 2, 2, 2, 2, 1, 1, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 3, 3, 4,
                          4, 5, 5, 5, 5, 5, 5]
    ds = tf.data.Dataset.range(1, 6).interleave(
        lambda x: tf.data.Dataset.from_tensors(x).repeat(x), cycle_length=3,
        num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    assert values(ds) == [1, 2, 3, 2, 3, 4, 3, 4, 5, 4, 5, 4, 5, 5, 5]


# ------------------------------------------------------------- scan, group_by_window, ...
def test_scan_docstring_and_tuple_state():
    ds = tf.data.Dataset.range(10).scan(tf.constant(0, tf.int64), lambda s, i: (s + i, s + i))
    assert values(ds) == [0, 1, 3, 6, 10, 15, 21, 28, 36, 45]
    fib = tf.data.Dataset.range(6).scan((tf.constant(0, tf.int64), tf.constant(1, tf.int64)),
                                        lambda s, _: ((s[1], s[0] + s[1]), s[0]))
    assert values(fib) == [0, 1, 1, 2, 3, 5]


def test_group_by_window_docstring_and_window_size_func():
    ds = tf.data.Dataset.range(10).group_by_window(
        key_func=lambda x: x % 2, reduce_func=lambda key, d: d.batch(5), window_size=5)
    assert values(ds) == [[0, 2, 4, 6, 8], [1, 3, 5, 7, 9]]
    ds = tf.data.Dataset.range(10).group_by_window(
        key_func=lambda x: x % 3, reduce_func=lambda key, d: d.batch(10).map(lambda b: b + 100 * key),
        window_size_func=lambda key: key + 2)
    assert values(ds) == [[0, 3], [101, 104, 107], [6, 9], [202, 205, 208]]


def test_bucket_by_sequence_length_docstring():
    elements = [[0], [1, 2, 3, 4], [5, 6, 7], [7, 8, 9, 10, 11], [13, 14, 15, 16, 19, 20],
                [21, 22]]
    ds = tf.data.Dataset.from_generator(lambda: elements, tf.int64, output_shapes=[None])
    out = ds.bucket_by_sequence_length(element_length_func=lambda elem: tf.shape(elem)[0],
                                       bucket_boundaries=[3, 5], bucket_batch_sizes=[2, 2, 2])
    assert values(out) == [[[1, 2, 3, 4], [5, 6, 7, 0]],
                           [[7, 8, 9, 10, 11, 0], [13, 14, 15, 16, 19, 20]],
                           [[0, 0], [21, 22]]]
    out = ds.bucket_by_sequence_length(lambda elem: tf.shape(elem)[0], [3, 5], [2, 2, 2],
                                       pad_to_bucket_boundary=True, padding_values=-1)
    assert values(out.take(1)) == [[[1, 2, 3, 4], [5, 6, 7, -1]]]


def test_get_single_element_shard_take_while_unique():
    assert int(tf.data.Dataset.from_tensors(7).get_single_element()) == 7
    with pytest.raises(tf.errors.InvalidArgumentError, match="empty"):
        tf.data.Dataset.range(0).get_single_element()
    with pytest.raises(tf.errors.InvalidArgumentError, match="more than one"):
        tf.data.Dataset.range(2).get_single_element()
    assert values(tf.data.Dataset.range(10).shard(3, 2)) == [2, 5, 8]
    assert int(tf.data.Dataset.range(10).shard(3, 2).cardinality()) == 3
    assert values(tf.data.Dataset.range(10).take_while(lambda x: x < 4)) == [0, 1, 2, 3]
    assert values(tf.data.Dataset.from_tensor_slices([1, 37, 2, 37, 2, 1]).unique()) == [1, 37, 2]


# ------------------------------------------------------------------ sources and sampling
def test_random_counter_and_choose():
    a = values(tf.data.Dataset.random(seed=4).take(10))
    assert a == values(tf.data.Dataset.random(seed=4).take(10)) and len(set(a)) == 10
    assert int(tf.data.Dataset.random(seed=4).cardinality()) == tf.data.INFINITE_CARDINALITY
    c = tf.data.experimental.Counter()
    assert values(c.take(3)) == [0, 1, 2] and c.element_spec == tf.TensorSpec((), tf.int64)
    assert values(tf.data.experimental.Counter(10, -2, tf.int32).take(3)) == [10, 8, 6]
    datasets = [tf.data.Dataset.from_tensors("foo").repeat(),
                tf.data.Dataset.from_tensors("bar").repeat(),
                tf.data.Dataset.from_tensors("baz").repeat()]
    choice = tf.data.Dataset.range(3).repeat(3)
    assert values(tf.data.Dataset.choose_from_datasets(datasets, choice)) == \
        [b"foo", b"bar", b"baz"] * 3
    with pytest.raises(tf.errors.InvalidArgumentError, match="choice 5 is out of range"):
        list(tf.data.Dataset.choose_from_datasets(datasets, tf.data.Dataset.range(5, 6)))
    short = [tf.data.Dataset.range(2), tf.data.Dataset.range(10, 20)]
    alt = tf.data.Dataset.range(2).repeat(3)
    assert values(tf.data.Dataset.choose_from_datasets(short, alt)) == [0, 10, 1, 11]
    assert values(tf.data.Dataset.choose_from_datasets(short, alt, stop_on_empty_dataset=False)) \
        == [0, 10, 1, 11, 12]


def test_sample_from_datasets_proportions_and_exhaustion():
    a = tf.data.Dataset.from_tensors(0).repeat()
    b = tf.data.Dataset.from_tensors(1).repeat()
    got = values(tf.data.Dataset.sample_from_datasets([a, b], [0.8, 0.2], seed=3).take(2000))
    assert abs(np.mean(got) - 0.2) < 0.04   # binomial sd 0.009
    s = tf.data.Dataset.sample_from_datasets([tf.data.Dataset.range(3),
                                              tf.data.Dataset.range(100, 103)], seed=0)
    assert sorted(values(s)) == [0, 1, 2, 100, 101, 102]
    stop = tf.data.Dataset.sample_from_datasets([tf.data.Dataset.range(0), b], seed=0,
                                                stop_on_empty_dataset=True)
    assert len(values(stop.take(50))) < 50


def test_rejection_resample_balances_classes():
    ds = tf.data.Dataset.from_tensor_slices(np.array([0] * 90 + [1] * 10, np.int64)).repeat()
    out = ds.rejection_resample(lambda x: x, target_dist=[0.5, 0.5], initial_dist=[0.9, 0.1],
                                seed=1)
    pairs = list(out.take(1000))
    assert all(int(c) == int(x) for c, x in pairs)
    assert abs(np.mean([int(c) for c, _ in pairs]) - 0.5) < 0.06


def test_list_files(tmp_path):
    for n in ["b.txt", "a.txt", "c.csv"]:
        (tmp_path / n).write_text(n)
    pat = str(tmp_path / "*.txt")
    assert values(tf.data.Dataset.list_files(pat, shuffle=False)) == \
        [str(tmp_path / "a.txt").encode(), str(tmp_path / "b.txt").encode()]
    assert sorted(values(tf.data.Dataset.list_files(pat, seed=1))) == \
        [str(tmp_path / "a.txt").encode(), str(tmp_path / "b.txt").encode()]
    with pytest.raises(tf.errors.InvalidArgumentError, match="at least one file"):
        tf.data.Dataset.list_files(str(tmp_path / "*.none"))


# ---------------------------------------------------------------------- save / load
def test_save_load_roundtrip(tmp_path):
    ds = tf.data.Dataset.range(5).map(lambda x: {"x": x, "y": (tf.cast(x, tf.float32) / 2,
                                                              tf.fill([2], x))})
    path = str(tmp_path / "saved")
    ds.save(path)
    back = tf.data.Dataset.load(path)
    assert back.element_spec == {"x": tf.TensorSpec((), tf.int64),
                                 "y": (tf.TensorSpec((), tf.float32), tf.TensorSpec((2,), tf.int64))}
    got = list(back)
    assert [int(e["x"]) for e in got] == [0, 1, 2, 3, 4]
    assert [float(e["y"][0]) for e in got] == [0., .5, 1., 1.5, 2.]
    assert int(back.cardinality()) == 5
    # sharded and compressed; the reader_func decides the order
    p2 = str(tmp_path / "sharded")
    tf.data.Dataset.range(6).save(p2, compression="GZIP", shard_func=lambda x: x % 2)
    assert sorted(values(tf.data.Dataset.load(p2))) == list(range(6))
    assert values(tf.data.Dataset.load(p2, reader_func=lambda shards: shards.interleave(
        lambda d: d, cycle_length=2))) == [0, 1, 2, 3, 4, 5]
    strs = str(tmp_path / "strings")
    tf.data.experimental.save(tf.data.Dataset.from_tensor_slices(["a", "bc"]), strs)
    assert values(tf.data.experimental.load(strs)) == [b"a", b"bc"]


# ---------------------------------------------------------------------------- options
def test_options_stored_merged_and_checked():
    o = tf.data.Options()
    o.deterministic = False
    o.experimental_optimization.map_parallelization = True
    o.threading.private_threadpool_size = 4
    ds = tf.data.Dataset.range(3).with_options(o).map(lambda x: x + 1).batch(2)
    assert ds.options().deterministic is False
    assert ds.options().experimental_optimization.map_parallelization is True
    assert ds.options().threading.private_threadpool_size == 4
    o2 = tf.data.Options()
    o2.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.OFF
    both = ds.with_options(o2).options()
    assert both.deterministic is False and \
        both.experimental_distribute.auto_shard_policy == tf.data.experimental.AutoShardPolicy.OFF
    assert values(ds) == [[1, 2], [3]]
    with pytest.raises(AttributeError, match="Cannot set the property nope"):
        o.nope = 1


# ------------------------------------------------------- map, spec, cardinality, iteration
def test_map_structures_and_element_spec():
    ds = tf.data.Dataset.from_tensor_slices({"a": [1, 2], "b": [3., 4.]})
    m = ds.map(lambda e: {"s": e["a"] * 2, "t": (e["b"], e["a"])})
    assert [(int(e["s"]), float(e["t"][0])) for e in m] == [(2, 3.), (4, 4.)]
    assert m.element_spec == {"s": tf.TensorSpec((), tf.int32),
                              "t": (tf.TensorSpec((), tf.float32), tf.TensorSpec((), tf.int32))}
    Point = collections.namedtuple("Point", "x y")
    p = tf.data.Dataset.range(2).map(lambda x: Point(x, x * 10))
    assert [(int(e.x), int(e.y)) for e in p] == [(0, 0), (1, 10)]
    pair = tf.data.Dataset.range(3).map(lambda x: (x, [x, x]))   # a list is one tensor
    assert pair.element_spec == (tf.TensorSpec((), tf.int64), tf.TensorSpec((2,), tf.int64))
    z = tf.data.Dataset.zip((tf.data.Dataset.range(3), tf.data.Dataset.range(3).batch(2)))
    assert z.element_spec == (tf.TensorSpec((), tf.int64), tf.TensorSpec((None,), tf.int64))


def test_cardinality_constants():
    assert tf.data.INFINITE_CARDINALITY == -1 and tf.data.UNKNOWN_CARDINALITY == -2
    r = tf.data.Dataset.range(10)
    assert int(r.repeat().cardinality()) == tf.data.INFINITE_CARDINALITY
    assert int(r.filter(lambda x: x > 3).cardinality()) == tf.data.UNKNOWN_CARDINALITY
    assert int(r.batch(3).cardinality()) == 4 and int(r.batch(3, True).cardinality()) == 3
    assert int(tf.data.experimental.cardinality(r.skip(4).take(3))) == 3
    assert int(r.padded_batch(4).cardinality()) == 3


def test_repeat_shuffle_and_iterating_twice():
    ds = tf.data.Dataset.range(6).shuffle(6, seed=7)
    e1, e2 = values(ds), values(ds)
    assert sorted(e1) == sorted(e2) == list(range(6)) and e1 != e2   # reshuffled per epoch
    fixed = tf.data.Dataset.range(6).shuffle(6, seed=7, reshuffle_each_iteration=False)
    assert values(fixed) == values(fixed)
    rep = values(tf.data.Dataset.range(6).shuffle(6, seed=7).repeat(2))
    assert sorted(rep[:6]) == sorted(rep[6:]) == list(range(6)) and rep[:6] != rep[6:]
    once = tf.data.Dataset.range(3).map(lambda x: x * 2)
    assert values(once) == values(once) == [0, 2, 4]


def test_for_over_dataset_inside_function():
    ds = tf.data.Dataset.range(5)

    @tf.function
    def total(d):
        t = tf.constant(0, tf.int64)
        for x in d:
            t += x
        return t
    assert int(total(ds)) == 10   # a run-time loop (tests/test_autograph_dataset_loop.py)

    @tf.function(autograph=False)
    def unrolled(d):
        t = tf.constant(0, tf.int64)
        for x in d:
            t += x
        return t
    with pytest.warns(UserWarning, match=r"unrolls the loop while tracing: its 5 elements "
                                          r"become constants"):
        assert int(unrolled(ds)) == 10


def test_map_function_runs_eagerly_when_it_cannot_be_traced():
    """Value-dependent shapes (tf.fill([x], x)) and string ops run eagerly per element."""
    assert values(tf.data.Dataset.range(1, 4).map(lambda x: tf.fill([x], x))) == \
        [[1], [2, 2], [3, 3, 3]]
    lines = tf.data.Dataset.from_tensor_slices(["a,1", "b,2"])
    split = lines.map(lambda l: tf.strings.split(l, ","))
    assert values(split) == [[b"a", b"1"], [b"b", b"2"]]
    with pytest.raises(ZeroDivisionError):   # a real error still surfaces
        list(tf.data.Dataset.range(2).map(lambda x: 1 // 0))


# ----------------------------------------------------------------------- file readers
def test_text_line_dataset_line_endings_and_parallel_reads(tmp_path):
    paths = []
    for i in range(3):
        p = tmp_path / f"f{i}.txt"
        p.write_bytes(b"".join(b"f%d-%d\r\n" % (i, j) for j in range(i + 2)))
        paths.append(str(p))
    seq = values(tf.data.TextLineDataset(paths))
    assert seq == [b"f0-0", b"f0-1", b"f1-0", b"f1-1", b"f1-2", b"f2-0", b"f2-1", b"f2-2", b"f2-3"]
    par = values(tf.data.TextLineDataset(paths, num_parallel_reads=3))
    assert par == [b"f0-0", b"f1-0", b"f2-0", b"f0-1", b"f1-1", b"f2-1", b"f1-2", b"f2-2",
                   b"f2-3"]
    (tmp_path / "z.txt").write_bytes(b"last")
    assert values(tf.data.TextLineDataset(str(tmp_path / "z.txt"))) == [b"last"]
    (tmp_path / "empty.txt").write_bytes(b"")
    assert values(tf.data.TextLineDataset(str(tmp_path / "empty.txt"))) == []
    gz = tmp_path / "g.txt.gz"
    import gzip
    gz.write_bytes(gzip.compress(b"x\ny\n"))
    assert values(tf.data.TextLineDataset(str(gz), compression_type="GZIP")) == [b"x", b"y"]
    names = tf.data.Dataset.from_tensor_slices(paths[:2])
    assert len(values(names.interleave(tf.data.TextLineDataset, cycle_length=2))) == 5


def test_csv_dataset_missing_values_guide(tmp_path):
    p = str(tmp_path / "missing.csv")
    with open(p, "w") as f:
        f.write("1,2,3,4\n,2,3,4\n1,,3,4\n1,2,,4\n1,2,3,\n,,,")
    ds = tf.data.experimental.CsvDataset(p, [999, 999, 999, 999])
    ds = ds.map(lambda *items: tf.stack(items))
    assert values(ds) == [[1, 2, 3, 4], [999, 2, 3, 4], [1, 999, 3, 4], [1, 2, 999, 4],
                          [1, 2, 3, 999], [999, 999, 999, 999]]
    sel = tf.data.experimental.CsvDataset(p, [999, 999], select_cols=[1, 3])
    assert values(sel.map(lambda *items: tf.stack(items))) == \
        [[2, 4], [2, 4], [999, 4], [2, 4], [2, 999], [999, 999]]
    with pytest.raises(tf.errors.InvalidArgumentError, match="field 0 is required"):
        list(tf.data.experimental.CsvDataset(p, [tf.int32] * 4))


TITANIC = ("survived,sex,age,n_siblings_spouses,parch,fare,class,deck,embark_town,alone\n"
           "0,male,22.0,1,0,7.25,Third,unknown,Southampton,n\n"
           "1,female,38.0,1,0,71.2833,First,C,Cherbourg,n\n"
           "1,female,26.0,0,0,7.925,Third,unknown,Southampton,y\n"
           "1,female,35.0,1,0,53.1,First,C,Southampton,n\n"
           "0,male,28.0,0,0,8.4583,Third,unknown,Queenstown,y\n")


def test_make_csv_dataset_types_labels_and_select(tmp_path):
    p = str(tmp_path / "train.csv")
    open(p, "w").write(TITANIC)
    ds = tf.data.experimental.make_csv_dataset(p, batch_size=4, label_name="survived")
    feats, label = next(iter(ds))
    assert list(feats) == ["sex", "age", "n_siblings_spouses", "parch", "fare", "class", "deck",
                           "embark_town", "alone"]
    assert isinstance(feats, collections.OrderedDict)
    assert {k: v.dtype for k, v in feats.items()}["age"] == tf.float32
    assert feats["n_siblings_spouses"].dtype == tf.int32 and feats["sex"].dtype == tf.string
    assert label.shape == (4,) and label.dtype == tf.int32
    assert int(ds.cardinality()) == tf.data.INFINITE_CARDINALITY   # num_epochs=None repeats
    one = tf.data.experimental.make_csv_dataset(
        p, batch_size=2, label_name="survived", select_columns=["class", "fare", "survived"],
        shuffle=False, num_epochs=1)
    batches = list(one)
    assert [list(f) for f, _ in batches] == [["fare", "class"]] * 3
    assert [l.numpy().tolist() for _, l in batches] == [[0, 1], [1, 1], [0]]
    assert batches[0][0]["class"].numpy().tolist() == [b"Third", b"First"]
    typed = tf.data.experimental.CsvDataset(
        p, [tf.int32, tf.string, tf.float32, tf.int32, tf.int32, tf.float32, tf.string,
            tf.string, tf.string, tf.string], header=True)
    first = next(iter(typed))
    assert [v.numpy() for v in first][:3] == [0, b"male", np.float32(22.0)]


def test_tfrecord_dataset_parallel_reads_and_writer(tmp_path):
    paths = []
    for i in range(2):
        p = str(tmp_path / f"{i}.tfrecord")
        tf.data.experimental.TFRecordWriter(p).write(
            tf.data.Dataset.from_tensor_slices([f"{i}-{j}" for j in range(3)]))
        paths.append(p)
    assert values(tf.data.TFRecordDataset(paths)) == [b"0-0", b"0-1", b"0-2", b"1-0", b"1-1",
                                                       b"1-2"]
    assert values(tf.data.TFRecordDataset(paths, num_parallel_reads=2)) == \
        [b"0-0", b"1-0", b"0-1", b"1-1", b"0-2", b"1-2"]
    assert values(tf.data.TFRecordDataset(tf.data.Dataset.from_tensor_slices(paths[1:]))) == \
        [b"1-0", b"1-1", b"1-2"]


# ----------------------------------------------------------------- the tf.data guide
def test_guide_basic_mechanics_and_structure():
    dataset = tf.data.Dataset.from_tensor_slices([8, 3, 0, 8, 2, 1])
    assert [elem.numpy() for elem in dataset] == [8, 3, 0, 8, 2, 1]
    it = iter(dataset)
    assert next(it).numpy() == 8
    assert dataset.reduce(0, lambda state, value: state + value).numpy() == 22
    dataset1 = tf.data.Dataset.from_tensor_slices(tf.random.uniform([4, 10]))
    assert dataset1.element_spec == tf.TensorSpec(shape=(10,), dtype=tf.float32)
    dataset2 = tf.data.Dataset.from_tensor_slices(
        (tf.random.uniform([4]), tf.random.uniform([4, 100], maxval=100, dtype=tf.int32)))
    dataset3 = tf.data.Dataset.zip((dataset1, dataset2))
    assert dataset3.element_spec == (tf.TensorSpec((10,), tf.float32),
                                     (tf.TensorSpec((), tf.float32),
                                      tf.TensorSpec((100,), tf.int32)))
    dataset4 = tf.data.Dataset.from_tensors(tf.SparseTensor(indices=[[0, 0], [1, 2]],
                                                            values=[1, 2], dense_shape=[3, 4]))
    assert dataset4.element_spec.value_type is tf.SparseTensor
    assert repr(dataset4.element_spec) == "SparseTensorSpec(TensorShape([3, 4]), tf.int32)"
    shapes = ['shapes: {a.shape}, {b.shape}, {c.shape}'.format(a=a, b=b, c=c)
              for a, (b, c) in dataset3]
    assert shapes == ["shapes: (10,), (), (100,)"] * 4


def test_guide_generators_and_padded_batch():
    def count(stop):
        i = 0
        while i < stop:
            yield i
            i += 1
    ds_counter = tf.data.Dataset.from_generator(count, args=[25], output_types=tf.int32,
                                                output_shapes=(), )
    batches = [b.numpy().tolist() for b in ds_counter.repeat().batch(10).take(10)]
    assert batches[2] == [20, 21, 22, 23, 24, 0, 1, 2, 3, 4]

    def gen_series():
        i = 0
        while True:
            size = np.random.randint(0, 10)
            yield i, np.random.normal(size=(size,))
            i += 1
    ds_series = tf.data.Dataset.from_generator(gen_series, output_types=(tf.int32, tf.float32),
                                               output_shapes=((), (None,)))
    ids, sequence_batch = next(iter(ds_series.shuffle(20).padded_batch(10)))
    assert ids.shape == (10,) and sequence_batch.shape[0] == 10
    assert sequence_batch.shape[1] <= 9 and sequence_batch.dtype == tf.float32
    dataset = tf.data.Dataset.range(100).map(lambda x: tf.fill([tf.cast(x, tf.int32)], x))
    dataset = dataset.padded_batch(4, padded_shapes=(None,))
    b = [batch.numpy().tolist() for batch in dataset.take(2)]
    assert b[0] == [[0, 0, 0], [1, 0, 0], [2, 2, 0], [3, 3, 3]]
    assert b[1][0] == [4, 4, 4, 4, 0, 0, 0]


def test_guide_text_csv_and_files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    file_paths = []
    for n in ['cowper.txt', 'derby.txt', 'butler.txt']:
        open(n, "w").write("".join(f"{n} line {i}\n" for i in range(5)))
        file_paths.append(os.path.abspath(n))
    files_ds = tf.data.Dataset.from_tensor_slices(file_paths)
    lines_ds = files_ds.interleave(tf.data.TextLineDataset, cycle_length=3)
    assert [line.numpy() for line in lines_ds.take(4)] == [
        b"cowper.txt line 0", b"derby.txt line 0", b"butler.txt line 0", b"cowper.txt line 1"]
    titanic_file = os.path.abspath("train.csv")
    open(titanic_file, "w").write(TITANIC)
    titanic_lines = tf.data.TextLineDataset(titanic_file)

    def survived(line):
        return tf.not_equal(tf.strings.substr(line, 0, 1), "0")
    survivors = titanic_lines.skip(1).filter(survived)
    assert [line.numpy()[:8] for line in survivors] == [b"1,female"] * 3
    # file sets: list_files + map(process_path) reading the files
    for cls in ["daisy", "roses"]:
        os.makedirs(os.path.join("flower_photos", cls))
        for i in range(2):
            open(os.path.join("flower_photos", cls, f"{i}.jpg"), "wb").write(bytes([i]) * 4)
    list_ds = tf.data.Dataset.list_files(os.path.join("flower_photos", "*", "*"))

    def process_path(file_path):
        label = tf.strings.split(file_path, os.sep)[-2]
        return tf.io.read_file(file_path), label
    got = sorted((label.numpy(), raw.numpy()) for raw, label in list_ds.map(process_path))
    assert got == [(b"daisy", b"\x00" * 4), (b"daisy", b"\x01" * 4), (b"roses", b"\x00" * 4),
                   (b"roses", b"\x01" * 4)]
    # training workflows: repeat/batch order, Counter + shuffle
    sizes = [batch.shape[0] for batch in titanic_lines.repeat(3).batch(4)]
    assert sizes == [4, 4, 4, 4, 2]
    sizes = [batch.shape[0] for batch in titanic_lines.batch(4).repeat(3)]
    assert sizes == [4, 2, 4, 2, 4, 2]
    dataset = tf.data.Dataset.zip((tf.data.experimental.Counter(), titanic_lines))
    n, line_batch = next(iter(dataset.shuffle(buffer_size=100).batch(20)))
    assert sorted(n.numpy().tolist()) == list(range(6)) and line_batch.dtype == tf.string


def test_guide_preprocessing_images_and_python_logic(tmp_path):
    """'Decoding image data and resizing it' and 'Applying arbitrary Python logic' with JPEGs
    written here (the guide downloads flower photos)."""
    ndimage = pytest.importorskip("scipy.ndimage")
    rng = np.random.default_rng(0)
    for cls in ["daisy", "roses"]:
        os.makedirs(tmp_path / "flower_photos" / cls)
        tf.io.write_file(str(tmp_path / "flower_photos" / cls / "0.jpg"),
                         tf.io.encode_jpeg(rng.integers(0, 256, (20, 30, 3), dtype=np.uint8)))
    list_ds = tf.data.Dataset.list_files(str(tmp_path / "flower_photos" / "*" / "*"))

    def parse_image(filename):
        parts = tf.strings.split(filename, os.sep)
        label = parts[-2]
        image = tf.io.read_file(filename)
        image = tf.io.decode_jpeg(image)
        image = tf.image.convert_image_dtype(image, tf.float32)
        image = tf.image.resize(image, [128, 128])
        return image, label
    images_ds = list_ds.map(parse_image)
    got = sorted((label.numpy(), image.shape, image.dtype) for image, label in images_ds)
    assert got == [(b"daisy", (128, 128, 3), tf.float32), (b"roses", (128, 128, 3), tf.float32)]

    def random_rotate_image(image):
        return ndimage.rotate(image, np.random.uniform(-30, 30), reshape=False)

    def tf_random_rotate_image(image, label):
        im_shape = image.shape
        [image, ] = tf.py_function(random_rotate_image, [image], [tf.float32])
        image.set_shape(im_shape)
        return image, label
    rot_ds = images_ds.map(tf_random_rotate_image)
    for image, label in rot_ds.take(2):
        assert image.shape == (128, 128, 3) and label.dtype == tf.string


def test_guide_time_series_windows():
    range_ds = tf.data.Dataset.range(100000)
    batches = range_ds.batch(10, drop_remainder=True)

    def dense_1_step(batch):
        return batch[:-1], batch[1:]
    f, l = next(iter(batches.map(dense_1_step)))
    assert f.numpy().tolist() == list(range(9)) and l.numpy().tolist() == list(range(1, 10))
    features = range_ds.batch(10, drop_remainder=True)
    labels = range_ds.batch(10).skip(1).map(lambda labels: labels[:3])
    pairs = [(a.numpy().tolist(), b.numpy().tolist())
             for a, b in tf.data.Dataset.zip((features, labels)).take(2)]
    assert pairs[1] == (list(range(10, 20)), [20, 21, 22])
    windows = range_ds.window(5, shift=1)
    assert [x.numpy() for x in windows.flat_map(lambda x: x).take(7)] == [0, 1, 2, 3, 4, 1, 2]

    def make_window_dataset(ds, window_size=5, shift=1, stride=1):
        windows = ds.window(window_size, shift=shift, stride=stride)

        def sub_to_batch(sub):
            return sub.batch(window_size, drop_remainder=True)
        return windows.flat_map(sub_to_batch)
    ds = make_window_dataset(range_ds, window_size=10, shift=5, stride=3)
    ex = [e.numpy().tolist() for e in ds.take(3)]
    assert ex == [list(range(0, 30, 3)), list(range(5, 35, 3)), list(range(10, 40, 3))]
    inputs, labels = next(iter(ds.map(dense_1_step)))
    assert inputs.numpy().tolist() == list(range(0, 27, 3))


def test_guide_resampling_and_keras(tmp_path):
    rng = np.random.default_rng(0)
    csv_path = str(tmp_path / "creditcard.csv")
    with open(csv_path, "w") as f:
        f.write(",".join([f"V{i}" for i in range(4)] + ["Class"]) + "\n")
        for i in range(300):
            f.write(",".join(f"{v:.3f}" for v in rng.normal(size=4)) +
                    f",{int(i % 10 == 0)}\n")
    creditcard_ds = tf.data.experimental.make_csv_dataset(
        csv_path, batch_size=64, label_name="Class", column_defaults=[float()] * 4 + [int()])

    def count(counts, batch):
        features, labels = batch
        class_1 = tf.cast(labels == 1, tf.int32)
        class_0 = tf.cast(labels == 0, tf.int32)
        counts['class_0'] += tf.reduce_sum(class_0)
        counts['class_1'] += tf.reduce_sum(class_1)
        return counts
    counts = creditcard_ds.take(4).reduce(initial_state={'class_0': 0, 'class_1': 0},
                                          reduce_func=count)
    assert int(counts['class_0']) + int(counts['class_1']) == 256
    negative_ds = creditcard_ds.unbatch().filter(lambda features, label: label == 0).repeat()
    positive_ds = creditcard_ds.unbatch().filter(lambda features, label: label == 1).repeat()
    balanced_ds = tf.data.Dataset.sample_from_datasets([negative_ds, positive_ds],
                                                       [0.5, 0.5], seed=0).batch(10)
    labels = np.concatenate([l.numpy() for _, l in balanced_ds.take(20)])
    assert 0.3 < labels.mean() < 0.7
    resample_ds = creditcard_ds.unbatch().rejection_resample(
        lambda features, label: label, target_dist=[0.5, 0.5], initial_dist=[0.9, 0.1],
        seed=0).batch(10)
    balanced = resample_ds.map(lambda extra_label, features_and_label: features_and_label)
    labels = np.concatenate([l.numpy() for _, l in balanced.take(20)])
    assert 0.3 < labels.mean() < 0.7
    # Keras fit / evaluate / predict on datasets
    images = rng.random((64, 4, 4)).astype(np.float32)
    labels = (images.reshape(64, -1).sum(1) > 8).astype(np.int64)
    dataset = tf.data.Dataset.from_tensor_slices((images, labels))
    model = tf.keras.Sequential([tf.keras.layers.Flatten(), tf.keras.layers.Dense(2)])
    model.compile(optimizer='adam',
                  loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=['accuracy'])
    train_ds = dataset.shuffle(64).batch(16)
    model.fit(train_ds.repeat(), epochs=1, steps_per_epoch=4, verbose=0)
    loss, acc = model.evaluate(train_ds, verbose=0)
    assert np.isfinite(loss)
    assert model.predict(tf.data.Dataset.from_tensor_slices(images).batch(16),
                         verbose=0).shape == (64, 2)


def test_guide_iterator_checkpointing(tmp_path):
    range_ds = tf.data.Dataset.range(20)
    iterator = iter(range_ds)
    ckpt = tf.train.Checkpoint(step=tf.Variable(0), iterator=iterator)
    manager = tf.train.CheckpointManager(ckpt, str(tmp_path / 'my_ckpt'), max_to_keep=3)
    assert [next(iterator).numpy() for _ in range(5)] == [0, 1, 2, 3, 4]
    manager.save()
    assert [next(iterator).numpy() for _ in range(5)] == [5, 6, 7, 8, 9]
    ckpt.restore(manager.latest_checkpoint)
    assert [next(iterator).numpy() for _ in range(5)] == [5, 6, 7, 8, 9]


def test_assert_cardinality_experimental_helpers_and_ragged_batching():
    ds = tf.data.Dataset.range(5).filter(lambda x: x < 3)
    assert int(ds.cardinality()) == tf.data.UNKNOWN_CARDINALITY
    checked = ds.apply(tf.data.experimental.assert_cardinality(3))
    assert int(checked.cardinality()) == 3 and values(checked) == [0, 1, 2]
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"assert_cardinality \(made at .*\): input dataset was expected to "
                             r"contain 2 elements but contained at least 3"):
        list(ds.assert_cardinality(2))
    got = values(tf.data.Dataset.range(4).apply(tf.data.experimental.map_and_batch(
        lambda x: x * 10, 3)))
    assert got == [[0, 10, 20], [30]]
    rt = tf.ragged.constant([[1], [2, 3]])
    batched = next(iter(tf.data.Dataset.from_tensors(rt).repeat(2).batch(2)))
    assert batched.to_list() == [[[1], [2, 3]], [[1], [2, 3]]]


def test_cache_to_file_is_reused_across_datasets(tmp_path):
    runs = []

    def gen():
        runs.append(1)
        yield from ([1.5, 2.5], [3.5, 4.5])
    f = str(tmp_path / "c")
    ds = tf.data.Dataset.from_generator(gen, output_types=tf.float32,
                                        output_shapes=[2]).map(lambda x: (x, x * 2)).cache(f)
    first = [(a.numpy().tolist(), b.numpy().tolist()) for a, b in ds]
    assert first == [([1.5, 2.5], [3.0, 5.0]), ([3.5, 4.5], [7.0, 9.0])] and len(runs) == 1
    assert os.path.exists(f + ".data") and os.path.exists(f + ".index")
    again = tf.data.Dataset.from_generator(gen, output_types=tf.float32,
                                           output_shapes=[2]).map(lambda x: (x, x * 2)).cache(f)
    assert [(a.numpy().tolist(), b.numpy().tolist()) for a, b in again] == first
    assert len(runs) == 1   # read from the files, the generator is not run again
    partial = tf.data.Dataset.range(5).cache(str(tmp_path / "p"))
    assert values(partial.take(2)) == [0, 1] and not os.path.exists(str(tmp_path / "p.index"))
    assert values(partial) == [0, 1, 2, 3, 4] and os.path.exists(str(tmp_path / "p.index"))


def test_string_tensor_element_indexing_is_a_scalar_tensor():
    parts = tf.strings.split(tf.constant("flower_photos/roses/0.jpg"), "/")
    label = parts[-2]
    assert label.dtype == tf.string and label.shape == () and label.numpy() == b"roses"
    assert tf.constant([["a", "b"]])[0, 1].numpy() == b"b"


def test_make_batched_features_dataset_and_parse_example_dataset(tmp_path):
    paths = []
    for f in range(2):
        p = str(tmp_path / f"part{f}.tfrecord")
        with tf.io.TFRecordWriter(p) as w:
            for i in range(3):
                ex = tf.train.Example()
                ex.features.feature["v"].int64_list.value.extend([f * 10 + i] * (i + 1))
                ex.features.feature["label"].int64_list.value.append(f)
                w.write(ex.SerializeToString())
        paths.append(p)
    feats = {"v": tf.io.VarLenFeature(tf.int64), "label": tf.io.FixedLenFeature([], tf.int64)}
    ds = tf.data.experimental.make_batched_features_dataset(
        str(tmp_path / "part*.tfrecord"), 4, feats, label_key="label", num_epochs=1,
        shuffle=False)
    batches = list(ds)
    assert [l.numpy().tolist() for _, l in batches] == [[0, 0, 0, 1], [1, 1]]
    assert tf.sparse.to_dense(batches[0][0]["v"]).numpy().tolist() == \
        [[0, 0, 0], [1, 1, 0], [2, 2, 2], [10, 0, 0]]
    shuffled = tf.data.experimental.make_batched_features_dataset(
        str(tmp_path / "part*.tfrecord"), 3, feats, shuffle_seed=1)
    assert int(shuffled.cardinality()) == tf.data.INFINITE_CARDINALITY
    seen = sorted(int(x) for b in shuffled.take(4) for x in b["label"].numpy())
    assert len(seen) == 12 and set(seen) == {0, 1}
    parsed = tf.data.TFRecordDataset(paths).batch(6).apply(
        tf.data.experimental.parse_example_dataset({"label": feats["label"]}))
    assert next(iter(parsed))["label"].numpy().tolist() == [0, 0, 0, 1, 1, 1]


def test_ragged_tensor_slices_and_batches():
    """The ragged guide's tf.data cells: from_tensor_slices of a RaggedTensor, batch -> ragged."""
    digits = tf.ragged.constant([[3, 1, 4, 1], [], [5, 9, 2], [6], []])
    dataset = tf.data.Dataset.from_tensor_slices(digits)
    assert repr(dataset.element_spec) == \
        "RaggedTensorSpec(TensorShape([None]), tf.int32, 0, tf.int64)"
    assert [e.numpy().tolist() for e in dataset] == [[3, 1, 4, 1], [], [5, 9, 2], [6], []]
    batched = dataset.batch(2)
    assert repr(batched.element_spec) == \
        "RaggedTensorSpec(TensorShape([None, None]), tf.int32, 1, tf.int64)"
    assert [b.to_list() for b in batched] == [[[3, 1, 4, 1], []], [[5, 9, 2], [6]], [[]]]
    unbatched = batched.unbatch()
    assert unbatched.element_spec == dataset.element_spec
    assert [e.numpy().tolist() for e in unbatched] == [[3, 1, 4, 1], [], [5, 9, 2], [6], []]
    both = tf.data.Dataset.from_tensor_slices({"d": digits, "n": tf.range(5)}).batch(5)
    e = next(iter(both))
    assert e["d"].to_list() == digits.to_list() and e["n"].numpy().tolist() == [0, 1, 2, 3, 4]


def test_sparse_elements_batch():
    a = tf.SparseTensor(indices=[[0, 0], [1, 2]], values=[1, 2], dense_shape=[3, 4])
    b = tf.SparseTensor(indices=[[2, 3]], values=[7], dense_shape=[3, 4])
    ds = tf.data.Dataset.from_tensors(a).concatenate(tf.data.Dataset.from_tensors(b))
    assert ds.element_spec.value_type is tf.SparseTensor
    batch = next(iter(ds.batch(2)))
    assert batch.dense_shape.numpy().tolist() == [2, 3, 4]
    dense = tf.sparse.to_dense(batch).numpy()
    np.testing.assert_array_equal(dense[0], tf.sparse.to_dense(a).numpy())
    np.testing.assert_array_equal(dense[1], tf.sparse.to_dense(b).numpy())


def test_ignore_errors_drops_failing_elements_and_goes_on():
    ds = tf.data.Dataset.from_tensor_slices(["1", "x", "3", "y", "5"]).map(tf.strings.to_number)
    with pytest.raises(ValueError, match="could not correctly convert string: x"):
        list(ds)
    assert values(ds.ignore_errors().batch(2)) == [[1.0, 3.0], [5.0]]
    checked = tf.data.Dataset.range(6).filter(lambda x: 10 // (x - 2) > 0)   # x == 2 raises
    assert values(checked.apply(tf.data.experimental.ignore_errors())) == [3, 4, 5]


def test_snapshot_writes_once_then_reads(tmp_path):
    runs = []

    def gen():
        runs.append(1)
        yield from range(4)
    path = str(tmp_path / "snap")
    ds = tf.data.Dataset.from_generator(gen, output_types=tf.int64).map(lambda x: x * x)
    snap = ds.snapshot(path)
    assert values(snap) == [0, 1, 4, 9] and len(runs) == 1
    assert values(snap) == [0, 1, 4, 9] and len(runs) == 1
    assert values(ds.snapshot(path, shard_func=lambda x: x % 2)) == [0, 1, 4, 9]
    assert len(runs) == 1


def test_rebatch_and_ragged_batch_specs_as_tf():
    # values and specs printed by TF 2.21 for the same pipelines
    ds = tf.data.Dataset.range(10).batch(3)
    assert [b.tolist() for b in ds.rebatch([2, 1]).as_numpy_iterator()] == \
        [[0, 1], [2], [3, 4], [5], [6, 7], [8], [9]]
    assert [b.tolist() for b in ds.rebatch(2, drop_remainder=True).as_numpy_iterator()] == \
        [[0, 1], [2, 3], [4, 5], [6, 7], [8, 9]]
    assert ds.rebatch(2).element_spec.shape.as_list() == [None]
    assert int(ds.rebatch(2).cardinality()) == tf.data.UNKNOWN_CARDINALITY
    # ragged_batch: fully known shapes batch densely, otherwise ragged up to the last unknown dim
    dense = tf.data.Dataset.range(4).map(lambda x: tf.zeros([2]))
    assert dense.ragged_batch(2).element_spec == tf.TensorSpec((None, 2), tf.float32)
    assert dense.ragged_batch(2, drop_remainder=True).element_spec == \
        tf.TensorSpec((2, 2), tf.float32)
    def gen(shape):
        def g():
            for i in range(4):
                yield np.zeros([i if d is None else d for d in shape], np.float32)
        return tf.data.Dataset.from_generator(
            g, output_signature=tf.TensorSpec(shape, tf.float32))
    rows = gen((None, 3))
    spec = rows.ragged_batch(2).element_spec
    assert (spec.shape.as_list(), spec.ragged_rank) == ([None, None, 3], 1)
    b = next(iter(rows.ragged_batch(2)))
    assert b.ragged_rank == 1 and b.shape.as_list() == [2, None, 3]
    assert b.row_lengths().numpy().tolist() == [0, 1]
    cols = gen((3, None))
    spec = cols.ragged_batch(2).element_spec
    assert (spec.shape.as_list(), spec.ragged_rank) == ([None, 3, None], 2)
    assert next(iter(cols.ragged_batch(2))).to_list() == [[[], [], []], [[0.0], [0.0], [0.0]]]


def test_rejection_resample_keeps_the_class_dtype():
    ds = tf.data.Dataset.from_tensor_slices(np.array([0, 0, 1, 1, 0, 1]))
    out = ds.rejection_resample(lambda x: x, target_dist=[0.5, 0.5], seed=0)
    assert out.element_spec[0].dtype == tf.int64   # TF: class_func's own dtype
    assert all(int(c) == int(x) for c, x in out)


def test_iterator_passed_to_function_advances_at_run_time():
    # the tf.function guide: next(iterator) of a Dataset iterator runs on every call (TF's
    # IteratorGetNext), 1 2 3, then OutOfRangeError
    @tf.function
    def consume(iterator):
        return next(iterator)
    it = iter(tf.data.Dataset.from_tensor_slices([1, 2, 3]))
    assert [int(consume(it)) for _ in range(3)] == [1, 2, 3]
    with pytest.raises(tf.errors.OutOfRangeError):
        consume(it)

    @tf.function
    def pair(iterator):   # unknown batch dim: the trace reads one element and keeps it
        return tf.reduce_sum(next(iterator)) + tf.reduce_sum(next(iterator))
    it = iter(tf.data.Dataset.range(16).batch(4))
    assert int(pair(it)) == sum(range(8)) and int(pair(it)) == sum(range(8, 16))
    it = iter(tf.data.Dataset.range(12).batch(4))
    assert int(consume(it).numpy().sum()) == 6 and next(it).numpy().tolist() == [4, 5, 6, 7]
    assert int(it._checkpoint_state()) == 2
