"""TF core API breadth (follow-up to issue 10): tf.nest, tf.strided_slice, tf.random's samplers,
stateless ops and Generator, tf.signal, tf.sets, more tf.math / tf.nn, tf.experimental.numpy,
tf.switch_case / tf.case, tf.recompute_grad. Values against numpy / scipy / TF's documented
outputs."""
import collections
import os

import numpy as np
import pytest
import scipy.special as sps

import graphflow as tf


# ---------------------------------------------------------------- tf.nest
def test_nest_flatten_sorts_dict_keys_as_tf():
    # TF's docstring example
    assert tf.nest.flatten({"key3": "value3", "key1": "value1", "key2": "value2"}) == \
        ["value1", "value2", "value3"]
    Point = collections.namedtuple("Point", "x y")
    assert tf.nest.flatten([Point(1, (2, 3)), None, "ab", {"b": [4], "a": 5}]) == \
        [1, 2, 3, None, "ab", 5, 4]
    t = tf.constant([1, 2])
    assert tf.nest.flatten(t)[0] is t


def test_nest_pack_sequence_as_keeps_mapping_order():
    # TF's docstring example
    structure = {"key3": "", "key1": "", "key2": ""}
    out = tf.nest.pack_sequence_as(structure, ["value1", "value2", "value3"])
    assert out == {"key3": "value3", "key1": "value1", "key2": "value2"}
    assert list(out) == ["key3", "key1", "key2"]
    od = collections.OrderedDict([("b", 0), ("a", 0)])
    assert tf.nest.pack_sequence_as(od, [1, 2]) == collections.OrderedDict([("b", 2), ("a", 1)])
    Point = collections.namedtuple("Point", "x y")
    assert tf.nest.pack_sequence_as([Point(0, 0), (0,)], [1, 2, 3]) == [Point(1, 2), (3,)]
    with pytest.raises(ValueError, match="Structure had 2 atoms, but flat_sequence had 3"):
        tf.nest.pack_sequence_as([0, 0], [1, 2, 3])


def test_nest_is_nested():
    assert tf.nest.is_nested([1, 3, [4, 5]]) and tf.nest.is_nested(((7, 8), (5, 6)))
    assert tf.nest.is_nested({"a": 1})
    assert not tf.nest.is_nested("1234") and not tf.nest.is_nested({1, 2})
    assert not tf.nest.is_nested(tf.constant([1])) and not tf.nest.is_nested(None)


def test_nest_map_structure_and_assert_same_structure():
    out = tf.nest.map_structure(lambda a, b: a * b, [(1, 2), [3], {"a": 4}],
                                [(10, 10), [10], {"a": 10}])
    assert out == [(10, 20), [30], {"a": 40}]
    ts = tf.nest.map_structure(tf.constant, {"x": 1.0, "y": [2.0]})
    assert float(ts["x"]) == 1.0 and float(ts["y"][0]) == 2.0
    with pytest.raises(ValueError, match="don't have the same nested structure"):
        tf.nest.assert_same_structure([1, [2]], [1, 2])
    with pytest.raises(ValueError, match="same set of keys"):
        tf.nest.assert_same_structure({"a": 1}, {"b": 1})
    with pytest.raises(TypeError, match="same sequence type"):
        tf.nest.assert_same_structure([1, 2], (1, 2))
    tf.nest.assert_same_structure([1, 2], (1, 2), check_types=False)
    with pytest.raises(TypeError, match="same sequence type"):
        tf.nest.map_structure(lambda a, b: a, [1], (1,))


# ---------------------------------------------------------------- strided_slice
_T = tf.constant([[[1, 1, 1], [2, 2, 2]], [[3, 3, 3], [4, 4, 4]], [[5, 5, 5], [6, 6, 6]]])


def test_strided_slice_tf_doc_examples():
    assert tf.strided_slice(_T, [1, 0, 0], [2, 1, 3], [1, 1, 1]).numpy().tolist() == \
        [[[3, 3, 3]]]
    assert tf.strided_slice(_T, [1, 0, 0], [2, 2, 3], [1, 1, 1]).numpy().tolist() == \
        [[[3, 3, 3], [4, 4, 4]]]
    assert tf.strided_slice(_T, [1, -1, 0], [2, -3, 3], [1, -1, 1]).numpy().tolist() == \
        [[[4, 4, 4], [3, 3, 3]]]


@pytest.mark.parametrize("spec,np_index", [
    (dict(begin=[0, 0], end=[0, 2], begin_mask=1, end_mask=1), np.s_[:, 0:2]),
    (dict(begin=[1, 0], end=[2, 0], shrink_axis_mask=1, end_mask=2), np.s_[1, 0:]),
    (dict(begin=[0, 1], end=[0, 2], ellipsis_mask=1), np.s_[..., 1:2]),
    (dict(begin=[0, 0, 1], end=[0, 2, 3], new_axis_mask=1, end_mask=0), np.s_[None, 0:2, 1:3]),
    (dict(begin=[2, 1], end=[0, 0], strides=[-1, -1], end_mask=3), np.s_[2::-1, 1::-1]),
    (dict(begin=[0, 1], end=[0, 0], shrink_axis_mask=2, ellipsis_mask=1), np.s_[..., 1]),
])
def test_strided_slice_masks_match_numpy(spec, np_index):
    x = np.arange(3 * 4 * 5, dtype=np.float32).reshape(3, 4, 5)
    kw = dict(spec)
    begin, end = kw.pop("begin"), kw.pop("end")
    strides = kw.pop("strides", [1] * len(begin))
    np.testing.assert_array_equal(tf.strided_slice(x, begin, end, strides, **kw).numpy(),
                                  x[np_index])


def test_strided_slice_gradient_and_trace():
    x = tf.Variable(np.arange(12, dtype=np.float32).reshape(3, 4))
    with tf.GradientTape() as t:
        y = tf.reduce_sum(tf.strided_slice(x, [0, 1], [3, 4], [2, 2]) ** 2)
    want = np.zeros((3, 4), np.float32)
    want[0::2, 1::2] = 2 * x.numpy()[0::2, 1::2]
    np.testing.assert_array_equal(t.gradient(y, x).numpy(), want)

    @tf.function
    def f(v):
        return tf.strided_slice(v, [1], [0], [-1], end_mask=1)
    np.testing.assert_array_equal(f(tf.constant([1, 2, 3])).numpy(), [2, 1])


# ---------------------------------------------------------------- tf.random
def test_stateless_ops_are_functions_of_the_seed():
    a = tf.random.stateless_normal([2, 3], seed=[1, 2])
    b = tf.random.stateless_normal([2, 3], seed=tf.constant([1, 2], tf.int64))
    c = tf.random.stateless_normal([2, 3], seed=[1, 3])
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert not np.array_equal(a.numpy(), c.numpy())

    @tf.function
    def traced(seed):
        return tf.random.stateless_normal([2, 3], seed=seed)
    np.testing.assert_array_equal(traced(tf.constant([1, 2])).numpy(), a.numpy())
    np.testing.assert_array_equal(traced(tf.constant([1, 2])).numpy(), a.numpy())
    u = tf.random.stateless_uniform([1000], seed=[4, 5], minval=-1, maxval=3, dtype=tf.int64)
    assert u.dtype == tf.int64 and set(np.unique(u.numpy())) == {-1, 0, 1, 2}
    full = tf.random.stateless_uniform([4], seed=[1, 1], minval=None, maxval=None,
                                       dtype=tf.int32)
    assert full.dtype == tf.int32
    with pytest.raises(Exception, match="shape \\[2\\]"):
        tf.random.stateless_normal([2], seed=[1, 2, 3])


def test_stateless_split_and_fold_in():
    s = tf.random.experimental.stateless_split([1, 2], num=3)
    assert s.shape == (3, 2) and s.dtype == tf.int32   # TF 2.21: the seed's dtype, and
    assert s.numpy().tolist()[0] == [1105988140, 1738052849]   # TF's values
    np.testing.assert_array_equal(s.numpy(), tf.random.experimental.stateless_split(
        [1, 2], num=3).numpy())
    assert len({tuple(r) for r in s.numpy()}) == 3
    f1 = tf.random.experimental.stateless_fold_in([1, 2], 1).numpy()
    f2 = tf.random.experimental.stateless_fold_in([1, 2], 2).numpy()
    assert f1.shape == (2,) and not np.array_equal(f1, f2)
    np.testing.assert_array_equal(f1, tf.random.experimental.stateless_fold_in([1, 2], 1))
    # a split seed drives a stateless op (the random_numbers guide's pattern)
    n = tf.random.stateless_normal([3], seed=s[0])
    np.testing.assert_array_equal(n.numpy(), tf.random.stateless_normal([3], seed=s[0]).numpy())


def test_generator_guide_cells(tmp_path):
    g1 = tf.random.Generator.from_seed(1)
    a = g1.normal(shape=[2, 3])
    g1b = tf.random.Generator.from_seed(1, alg="philox")
    np.testing.assert_array_equal(a.numpy(), g1b.normal(shape=[2, 3]).numpy())
    assert not np.array_equal(a.numpy(), g1.normal(shape=[2, 3]).numpy())   # the stream moves
    g1.reset_from_seed(1)
    np.testing.assert_array_equal(a.numpy(), g1.normal(shape=[2, 3]).numpy())
    # split: independent children, reproducible from the parent's seed
    g = tf.random.Generator.from_seed(1)
    kids = [float(k.normal([])) for k in g.split(3)]
    g = tf.random.Generator.from_seed(1)
    assert kids == [float(k.normal([])) for k in g.split(3)] and len(set(kids)) == 3
    # inside tf.function each call draws anew
    g = tf.random.Generator.from_seed(1)

    @tf.function
    def foo():
        return g.normal([])
    assert float(foo()) != float(foo())
    # from_state continues the stream exactly; a Checkpoint saves and restores it
    g = tf.random.Generator.from_seed(7)
    g.normal([5])
    g2 = tf.random.Generator.from_state(g.state)
    np.testing.assert_array_equal(g.uniform([4]).numpy(), g2.uniform([4]).numpy())
    cp = tf.train.Checkpoint(generator=g)
    path = cp.write(os.path.join(str(tmp_path), "ckpt"))
    after = g.normal([3]).numpy()
    cp.restore(path)
    np.testing.assert_array_equal(g.normal([3]).numpy(), after)
    # the other samplers
    v = g.uniform([2000], minval=3, maxval=7, dtype=tf.int32).numpy()
    assert v.dtype == np.int32 and v.min() == 3 and v.max() == 6
    assert g.uniform_full_int([3], tf.int64).dtype == tf.int64
    tn = g.truncated_normal([2000], stddev=2.0).numpy()
    assert np.abs(tn).max() <= 4.0
    b = g.binomial([2000], counts=10, probs=0.5).numpy()
    assert b.dtype == np.int32 and 0 <= b.min() and b.max() <= 10 and abs(b.mean() - 5) < 0.2
    assert g.make_seeds(4).shape == (2, 4)


def test_global_generator():
    g = tf.random.get_global_generator()
    assert g is tf.random.get_global_generator()
    mine = tf.random.Generator.from_seed(3)
    tf.random.set_global_generator(mine)
    assert tf.random.get_global_generator() is mine
    tf.random.set_seed(5)   # set_seed starts a new, seeded global generator
    a = tf.random.get_global_generator().normal([3]).numpy()
    tf.random.set_seed(5)
    np.testing.assert_array_equal(a, tf.random.get_global_generator().normal([3]).numpy())


def test_categorical_shuffle_gamma_poisson():
    tf.random.set_seed(1)
    s = tf.random.categorical(tf.math.log([[0.5, 0.5], [0.1, 0.9]]), 5000).numpy()
    assert s.shape == (2, 5000) and s.dtype == np.int64
    assert abs(s[0].mean() - 0.5) < 0.03 and abs(s[1].mean() - 0.9) < 0.02
    assert set(np.unique(tf.random.categorical([[-np.inf, 0., -np.inf]], 50,
                                               dtype=tf.int32).numpy())) == {1}
    x = np.arange(20).reshape(10, 2)
    sh = tf.random.shuffle(x).numpy()
    np.testing.assert_array_equal(sh[np.argsort(sh[:, 0])], x)
    gm = tf.random.gamma([3000], alpha=[1.0, 4.0], beta=[2.0, 1.0]).numpy()
    assert gm.shape == (3000, 2)
    np.testing.assert_allclose(gm.mean(0), [0.5, 4.0], rtol=0.08)
    po = tf.random.poisson([3000, 1], lam=[2.0, 8.0]).numpy()
    assert po.shape == (3000, 1, 2) and po.dtype == np.float32
    np.testing.assert_allclose(po.mean((0, 1)), [2.0, 8.0], rtol=0.06)
    tf.random.set_seed(2)
    a = tf.random.shuffle(tf.range(10), seed=3).numpy()
    tf.random.set_seed(2)
    np.testing.assert_array_equal(a, tf.random.shuffle(tf.range(10), seed=3).numpy())


# ---------------------------------------------------------------- tf.signal
def test_fft_family_matches_numpy():
    rng = np.random.default_rng(0)
    z = (rng.standard_normal((2, 4, 6)) + 1j * rng.standard_normal((2, 4, 6)))
    z64 = z.astype(np.complex64)
    np.testing.assert_allclose(tf.signal.fft(z64).numpy(), np.fft.fft(z), atol=1e-4)
    np.testing.assert_allclose(tf.signal.ifft(z64).numpy(), np.fft.ifft(z), atol=1e-5)
    np.testing.assert_allclose(tf.signal.fft2d(z).numpy(), np.fft.fft2(z), atol=1e-10)
    np.testing.assert_allclose(tf.signal.ifft2d(z).numpy(), np.fft.ifft2(z), atol=1e-12)
    np.testing.assert_allclose(tf.signal.fft3d(z).numpy(), np.fft.fftn(z), atol=1e-10)
    x = rng.standard_normal((3, 7))
    for n in (None, 4, 7, 10):
        want = np.fft.rfft(x, n)
        got = tf.signal.rfft(x, None if n is None else [n]).numpy()
        assert got.dtype == np.complex128
        np.testing.assert_allclose(got, want, atol=1e-12)
    spec = np.fft.rfft(x)
    for n in (None, 7, 5, 12):
        np.testing.assert_allclose(tf.signal.irfft(spec, None if n is None else [n]).numpy(),
                                   np.fft.irfft(spec, n), atol=1e-12)
    np.testing.assert_allclose(tf.signal.rfft2d(x).numpy(), np.fft.rfft2(x), atol=1e-12)
    np.testing.assert_allclose(tf.signal.irfft2d(np.fft.rfft2(x), [3, 7]).numpy(), x,
                               atol=1e-12)
    np.testing.assert_array_equal(tf.signal.fftshift(np.arange(7)).numpy(),
                                  np.fft.fftshift(np.arange(7)))
    np.testing.assert_array_equal(tf.signal.ifftshift(np.arange(12).reshape(3, 4)).numpy(),
                                  np.fft.ifftshift(np.arange(12).reshape(3, 4)))
    with pytest.raises(Exception, match="complex"):
        tf.signal.fft(tf.constant([1.0, 2.0]))


def test_fft_gradient_is_tfs_adjoint():
    # TF: the gradient of fft is n * ifft(upstream) (the adjoint, conjugated)
    z = tf.Variable(tf.complex(tf.constant([1., 2., 3., 4.]), tf.constant([0., 1., 0., -1.])))
    w = tf.complex(tf.constant([1., 0., 2., 0.]), tf.constant([0., 3., 0., 1.]))
    with tf.GradientTape() as t:
        y = tf.reduce_sum(tf.math.real(tf.signal.fft(z) * tf.math.conj(w)))
    np.testing.assert_allclose(t.gradient(y, z).numpy(), 4 * np.fft.ifft(w.numpy()), atol=1e-5)


def test_windows_frame_stft():
    from scipy import signal as ss
    for n in (1, 5, 8):
        np.testing.assert_allclose(tf.signal.hann_window(n).numpy(),   # TF: odd n symmetric
                                   ss.get_window("hann", n, fftbins=n % 2 == 0) if n > 1
                                   else [1.], atol=1e-6)
        np.testing.assert_allclose(tf.signal.hamming_window(n, periodic=False).numpy(),
                                   np.hamming(n), atol=1e-6)
    x = np.arange(10, dtype=np.float32)
    fr = tf.signal.frame(x, 4, 3).numpy()
    np.testing.assert_array_equal(fr, [[0, 1, 2, 3], [3, 4, 5, 6], [6, 7, 8, 9]])
    fp = tf.signal.frame(x, 4, 3, pad_end=True, pad_value=-1).numpy()
    np.testing.assert_array_equal(fp[-1], [9, -1, -1, -1])
    assert fp.shape == (4, 4)
    y = np.arange(2 * 8 * 3).reshape(2, 8, 3)
    f1 = tf.signal.frame(y, 3, 2, axis=1).numpy()
    assert f1.shape == (2, 3, 3, 3)
    np.testing.assert_array_equal(f1[:, 1], y[:, 2:5])
    # stft = rfft of hann-windowed frames, fft_length the next power of two
    sig = np.random.default_rng(1).standard_normal(50).astype(np.float32)
    got = tf.signal.stft(sig, frame_length=12, frame_step=5).numpy()
    frames = np.stack([sig[i:i + 12] for i in range(0, 50 - 12 + 1, 5)])
    want = np.fft.rfft(frames * ss.get_window("hann", 12), 16)
    assert got.shape == (8, 9) and got.dtype == np.complex64
    np.testing.assert_allclose(got, want, atol=1e-4)


# ---------------------------------------------------------------- tf.sets
def test_sets_dense_and_sparse():
    a = np.array([[[1, 2], [3, 4]], [[5, 6], [7, 8]]])
    b = np.array([[[1, 3], [3, 9]], [[5, 5], [0, 0]]])
    inter = tf.sets.intersection(a, b)
    assert isinstance(inter, tf.SparseTensor)
    assert inter.shape == (2, 2, 1)
    np.testing.assert_array_equal(tf.sparse.to_dense(inter).numpy()[..., 0], [[1, 3], [5, 0]])
    uni = tf.sparse.to_dense(tf.sets.union(a, b)).numpy()
    for i in np.ndindex(2, 2):
        s = sorted(set(a[i]) | set(b[i]))
        np.testing.assert_array_equal(uni[i][:len(s)], s)
    diff = tf.sets.difference(a, b)
    np.testing.assert_array_equal(diff.indices.numpy(), [[0, 0, 0], [0, 1, 0], [1, 0, 0],
                                                         [1, 1, 0], [1, 1, 1]])
    np.testing.assert_array_equal(diff.values.numpy(), [2, 4, 6, 7, 8])
    np.testing.assert_array_equal(tf.sets.size(tf.sets.difference(a, b, aminusb=False)).numpy(),
                                  [[1, 1], [0, 1]])
    sp = tf.sparse.SparseTensor([[0, 0], [0, 1], [1, 0]], [3, 1, 1], [2, 2])
    np.testing.assert_array_equal(tf.sets.size(sp).numpy(), [2, 1])
    np.testing.assert_array_equal(
        tf.sparse.to_dense(tf.sets.intersection(sp, [[1, 2], [2, 3]])).numpy(), [[1], [0]])
    words = tf.sets.union(tf.constant([["a", "b"]]), tf.constant([["c", "a"]]))
    assert words.values.numpy().tolist() == [b"a", b"b", b"c"]
    with pytest.raises(TypeError, match="integers or strings"):
        tf.sets.size(np.ones((2, 2), np.float32))


# ---------------------------------------------------------------- math, nn, top level
def test_polyval_confusion_in_top_k():
    assert abs(float(tf.math.polyval([1.0, 2.5, -4.2], 5.0)) - 33.3) < 1e-5   # TF's example
    x = tf.constant([0., 1., 2.])
    np.testing.assert_allclose(tf.math.polyval([2., -1., 3.], x).numpy(), [3., 4., 9.])
    cm = tf.math.confusion_matrix([0, 1, 1, 2], [0, 2, 1, 2], num_classes=4,
                                  weights=[1., 2., 3., 4.], dtype=tf.float32).numpy()
    want = np.zeros((4, 4), np.float32)
    for lab, p, w in zip([0, 1, 1, 2], [0, 2, 1, 2], [1., 2., 3., 4.]):
        want[lab, p] += w
    np.testing.assert_array_equal(cm, want)
    pred = np.array([[0.1, 0.9, 0.5, 0.5], [0.3, 0.3, 0.3, 0.1], [np.nan, 1., 0., 0.]],
                    np.float32)
    got = tf.math.in_top_k(tf.constant([2, 1, 0]), tf.constant(pred), 2).numpy()
    np.testing.assert_array_equal(got, [True, True, False])   # ties at the boundary are in
    np.testing.assert_array_equal(tf.nn.in_top_k([3, 4], pred[:2], 1).numpy(), [False, False])


def test_weighted_cross_entropy_and_histograms():
    z = np.array([0., 1., 1., 0.], np.float32)
    x = np.array([-3., -0.5, 2., 40.], np.float32)
    q = 3.0
    sig = 1 / (1 + np.exp(-x[:3].astype(np.float64)))
    want = -(q * z[:3] * np.log(sig) + (1 - z[:3]) * np.log1p(-sig))
    got = tf.nn.weighted_cross_entropy_with_logits(z, x, q).numpy()
    np.testing.assert_allclose(got[:3], want[:3], rtol=1e-5)
    assert abs(got[3] - 40.0) < 1e-4   # stable for large logits
    np.testing.assert_allclose(
        tf.nn.weighted_cross_entropy_with_logits(z, x, 1.0).numpy(),
        tf.nn.sigmoid_cross_entropy_with_logits(z, x).numpy(), rtol=1e-6)
    v = np.random.default_rng(2).uniform(-1, 6, 200)
    h = tf.histogram_fixed_width(v, [0., 5.], nbins=7).numpy()
    bins = np.clip(np.floor((v - 0.) / 5. * 7), 0, 6).astype(int)
    np.testing.assert_array_equal(h, np.bincount(bins, minlength=7))
    assert h.sum() == 200


def test_bitcast_and_bessel():
    assert tf.bitcast(tf.constant(0xffffffff, dtype=tf.uint32), tf.uint8).numpy().tolist() == \
        [255, 255, 255, 255]   # TF's example
    with pytest.raises(Exception, match="last dimension must be 4"):
        tf.bitcast(tf.constant([1, 2, 3], tf.uint8), tf.int32)
    xs = np.array([-50., -3., -0.1, 0., 0.5, 2., 29., 31., 500.])
    np.testing.assert_allclose(tf.math.bessel_i0e(xs).numpy(), sps.i0e(xs), rtol=1e-13)
    np.testing.assert_allclose(tf.math.bessel_i1e(xs).numpy(), sps.i1e(xs), rtol=1e-13,
                               atol=1e-300)
    np.testing.assert_allclose(tf.math.bessel_i0(xs[1:7]).numpy(), sps.i0(xs[1:7]), rtol=1e-13)
    np.testing.assert_allclose(tf.math.bessel_i1(xs[1:7]).numpy(), sps.i1(xs[1:7]), rtol=1e-13)
    v = tf.constant(0.0)
    with tf.GradientTape() as t:
        t.watch(v)
        y = tf.math.bessel_i1e(v)
    assert float(t.gradient(y, v)) == 0.5


def test_scatter_variants_unique_and_small_math():
    t = np.array([[1., 5.], [3., 0.], [2., 2.]], np.float32)
    idx = [[0], [2], [0]]
    upd = np.array([[4., 4.], [9., -1.], [0., 7.]], np.float32)
    np.testing.assert_array_equal(tf.tensor_scatter_nd_max(t, idx, upd).numpy(),
                                  [[4., 7.], [3., 0.], [9., 2.]])
    np.testing.assert_array_equal(tf.tensor_scatter_nd_min(t, idx, upd).numpy(),
                                  [[0., 4.], [3., 0.], [2., -1.]])
    np.testing.assert_array_equal(tf.tensor_scatter_nd_sub(t, idx, upd).numpy(),
                                  [[-3., -6.], [3., 0.], [-7., 3.]])
    y, i, c = tf.unique_with_counts([1, 1, 2, 4, 4, 4, 7, 8, 8])   # TF's example
    assert y.numpy().tolist() == [1, 2, 4, 7, 8] and c.numpy().tolist() == [2, 1, 3, 1, 2]
    assert i.numpy().tolist() == [0, 0, 1, 2, 2, 2, 3, 4, 4]
    a, b = np.array([-7, 7, -8, 9]), np.array([2, -2, 3, 4])
    np.testing.assert_array_equal(tf.truncatediv(a, b).numpy(), np.trunc(a / b).astype(int))
    np.testing.assert_array_equal(tf.truncatemod(a, b).numpy(), np.fmod(a, b))
    np.testing.assert_array_equal(tf.math.multiply_no_nan([np.inf, np.nan, 2.], [0., 0., 3.]),
                                  [0., 0., 6.])
    np.testing.assert_allclose(tf.math.xlog1py([0., 2.], [-1., 0.5]).numpy(),
                               sps.xlog1py([0., 2.], [-1., 0.5]), rtol=1e-6)
    np.testing.assert_allclose(tf.math.xdivy([0., 2.], [0., 4.]).numpy(), [0., 0.5])
    np.testing.assert_allclose(tf.math.lbeta([[1., 2.], [3., 4.5]]).numpy(),
                               sps.betaln([1., 3.], [2., 4.5]), rtol=1e-5)
    np.testing.assert_array_equal(tf.math.invert_permutation([3, 4, 0, 2, 1]).numpy(),
                                  [2, 4, 3, 0, 1])
    assert bool(tf.math.is_non_decreasing([1, 1, 2])) and not bool(
        tf.math.is_strictly_increasing([1, 1, 2]))
    assert [int(v) for v in tf.identity_n([1, 2])] == [1, 2]
    assert tf.get_static_value(tf.constant([1, 2])).tolist() == [1, 2]

    @tf.function
    def traced(x):
        assert tf.get_static_value(x) is None
        assert tf.get_static_value(tf.constant([3, 4])).tolist() == [3, 4]
        return tf.signal.irfft(tf.signal.rfft(x), fft_length=tf.constant([4]))
    np.testing.assert_allclose(traced(tf.constant([1., 2., 3., 4.])).numpy(), [1., 2., 3., 4.],
                               rtol=1e-6)


# ---------------------------------------------------------------- experimental.numpy
def test_experimental_numpy_aliases():
    tnp = tf.experimental.numpy
    assert tnp.ones(3).dtype == tf.float64 and tnp.arange(3).dtype == tf.int64
    x = tnp.asarray([[1., 2.], [3., 4.]])
    np.testing.assert_array_equal(tnp.sum(x, axis=1).numpy(), [3., 7.])
    np.testing.assert_array_equal(tnp.dot(x, x).numpy(), np.dot(x.numpy(), x.numpy()))
    np.testing.assert_array_equal(tnp.add(tnp.arange(2), 0.5).numpy(), [0.5, 1.5])
    assert tnp.add(tnp.arange(2), 0.5).dtype == tf.float64
    np.testing.assert_array_equal(tnp.transpose(x).numpy(), x.numpy().T)
    assert tnp.mean(tnp.arange(4)).dtype == tf.float64
    np.testing.assert_array_equal(tnp.where(tnp.asarray([True, False]), 1, 2).numpy(), [1, 2])
    assert [v.numpy().tolist() for v in tnp.where(tnp.asarray([[0, 1], [1, 0]]))] == \
        [[0, 1], [1, 0]]
    assert int(tnp.argmax(x)) == 3 and tnp.shape(x) == (2, 2) and tnp.size(x) == 4
    with pytest.raises(AttributeError):
        tnp.fft   # only the listed aliases exist


# ---------------------------------------------------------------- control flow helpers
def test_switch_case_and_case_eager_and_traced():
    fns = {0: lambda: tf.constant(10), 1: lambda: tf.constant(20), 2: lambda: tf.constant(30)}
    assert int(tf.switch_case(1, fns)) == 20 and int(tf.switch_case(5, fns)) == 30

    @tf.function
    def f(i):
        return tf.switch_case(i, [lambda: tf.constant(10), lambda: tf.constant(20)],
                              default=lambda: tf.constant(-1))
    assert [int(f(tf.constant(k))) for k in (0, 1, 7)] == [10, 20, -1]

    @tf.function
    def g(x):
        return tf.case([(tf.less(x, 0.), lambda: -x), (tf.less(x, 10.), lambda: x * 2.)],
                       default=lambda: x)
    assert [float(g(tf.constant(v))) for v in (-3., 4., 20.)] == [3., 8., 20.]
    with pytest.raises(tf.errors.InvalidArgumentError, match="exclusive"):
        tf.case([(tf.constant(True), lambda: 1), (tf.constant(True), lambda: 2)],
                exclusive=True)
    x = tf.Variable(3.0)
    with tf.GradientTape() as t:
        y = g(x)
    assert float(t.gradient(y, x)) == 2.0


def test_recompute_grad_same_values_and_gradients():
    f = tf.recompute_grad(lambda x: tf.sin(x) * x)
    x = tf.Variable([0.5, 1.5])
    with tf.GradientTape() as t:
        y = tf.reduce_sum(f(x))
    np.testing.assert_allclose(t.gradient(y, x).numpy(),
                               np.cos([0.5, 1.5]) * [0.5, 1.5] + np.sin([0.5, 1.5]), rtol=1e-6)
    assert tf.no_op() is None and tf.group(tf.constant(1)) is None


# ---------------------------------------------------------------- tf.nn / array compositions
def test_distributed_loss_helpers():
    per_example = tf.constant([1., 2., 3., 6.])
    assert float(tf.nn.compute_average_loss(per_example)) == 3.0
    assert float(tf.nn.compute_average_loss(per_example, global_batch_size=8)) == 1.5
    assert float(tf.nn.compute_average_loss(per_example, sample_weight=[1., 0., 0., 1.])) == \
        1.75
    assert float(tf.nn.scale_regularization_loss(tf.constant(4.0))) == 4.0


def test_depth_space_and_small_nn():
    x = np.arange(2 * 2 * 3 * 12, dtype=np.float32).reshape(2, 2, 3, 12)
    y = tf.nn.depth_to_space(x, 2).numpy()
    assert y.shape == (2, 4, 6, 3)
    for h, w, i, j, c in [(1, 2, 1, 0, 2), (0, 0, 0, 1, 1), (1, 1, 1, 1, 0)]:
        assert y[1, h * 2 + i, w * 2 + j, c] == x[1, h, w, (i * 2 + j) * 3 + c]
    np.testing.assert_array_equal(tf.nn.space_to_depth(y, 2).numpy(), x)
    np.testing.assert_array_equal(tf.nn.crelu([[1., -2.]]).numpy(), [[1., 0., 0., 2.]])
    assert float(tf.nn.zero_fraction(tf.constant([[0., 1.], [0., 0.]]))) == 0.75
    v = np.random.default_rng(0).standard_normal((4, 5))
    cnt, m_ss, v_ss, _ = tf.nn.sufficient_statistics(v, [0])
    mean, var = tf.nn.normalize_moments(cnt, m_ss, v_ss, None)
    np.testing.assert_allclose(mean.numpy(), v.mean(0), rtol=1e-10)
    np.testing.assert_allclose(var.numpy(), v.var(0), rtol=1e-9)
    w = np.random.default_rng(1).uniform(0.1, 1, (4, 5))
    wm, wv = tf.nn.weighted_moments(v, [0], w)
    np.testing.assert_allclose(wm.numpy(), np.average(v, 0, w), rtol=1e-10)
    np.testing.assert_allclose(wv.numpy(), np.average((v - np.average(v, 0, w)) ** 2, 0, w),
                               rtol=1e-9)
    z, c = np.array([0., 1., 3.]), np.array([0.5, -1., 2.])
    stirling = np.where(z > 1, z * np.log(np.maximum(z, 1)) - z
                        + 0.5 * np.log(2 * np.pi * np.maximum(z, 1)), 0)
    np.testing.assert_allclose(tf.nn.log_poisson_loss(z, c, compute_full_loss=True).numpy(),
                               np.exp(c) - c * z + stirling, rtol=1e-10)
    x = np.random.default_rng(2).standard_normal((1, 2, 2, 7)).astype(np.float32)
    want = np.empty_like(x)
    for k in range(7):
        sq = (x[..., max(0, k - 2):k + 3] ** 2).sum(-1)
        want[..., k] = x[..., k] / (1.5 + 0.3 * sq) ** 0.75
    np.testing.assert_allclose(tf.nn.local_response_normalization(x, 2, 1.5, 0.3, 0.75).numpy(),
                               want, rtol=1e-5)
    d1 = tf.nn.experimental.stateless_dropout(tf.ones([200]), 0.3, seed=[4, 2]).numpy()
    np.testing.assert_array_equal(d1, tf.nn.experimental.stateless_dropout(
        tf.ones([200]), 0.3, seed=[4, 2]).numpy())
    kept = d1[d1 != 0]
    np.testing.assert_allclose(kept, 1 / 0.7, rtol=1e-6)
    assert 0.2 < 1 - kept.size / 200 < 0.4


def test_array_helpers():
    x = np.arange(24).reshape(2, 4, 3)
    got = tf.reverse_sequence(x, [3, 1], seq_axis=1, batch_axis=0).numpy()
    want = x.copy()
    want[0, :3] = x[0, 2::-1]
    np.testing.assert_array_equal(got, want)
    got = tf.reverse_sequence(x.transpose(1, 0, 2), [2, 4], seq_axis=0, batch_axis=1).numpy()
    want = x.transpose(1, 0, 2).copy()
    want[:2, 0] = want[1::-1, 0]
    want[:, 1] = want[::-1, 1]
    np.testing.assert_array_equal(got, want)
    assert tf.broadcast_static_shape(tf.TensorShape([5, 1]), tf.TensorShape([3])).as_list() == \
        [5, 3]
    np.testing.assert_array_equal(tf.broadcast_dynamic_shape([5, 1], [1, 3]).numpy(), [5, 3])
    assert [s.numpy().tolist() for s in tf.shape_n([x, x[0]])] == [[2, 4, 3], [4, 3]]
    np.testing.assert_array_equal(tf.unravel_index([22, 41, 37], [7, 6]).numpy(),
                                  np.unravel_index([22, 41, 37], (7, 6)))
    parts = tf.dynamic_partition([10, 20, 30, 40, 50], [0, 0, 1, 1, 0], 2)   # TF's example
    assert [p.numpy().tolist() for p in parts] == [[10, 20, 50], [30, 40]]
    merged = tf.dynamic_stitch([6, [4, 1], [[5, 2], [0, 3]]],   # TF's example
                               [[61, 62], [[41, 42], [11, 12]],
                                [[[51, 52], [21, 22]], [[1, 2], [31, 32]]]])
    assert merged.numpy().tolist() == [[1, 2], [11, 12], [21, 22], [31, 32], [41, 42], [51, 52],
                                       [61, 62]]
    v = np.array([-1., 3., 0.5, 700.])
    np.testing.assert_allclose(tf.math.cumulative_logsumexp(v).numpy(),
                               np.logaddexp.accumulate(v), rtol=1e-12)
    np.testing.assert_allclose(tf.math.cumulative_logsumexp(v, reverse=True).numpy(),
                               np.logaddexp.accumulate(v[::-1])[::-1], rtol=1e-12)
    p = np.array([0.01, 0.3, 0.5, 0.9])
    np.testing.assert_allclose(tf.math.ndtri(p).numpy(), sps.ndtri(p), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(tf.math.erfcinv(p).numpy(), sps.erfcinv(p), rtol=1e-6,
                               atol=1e-9)
    assert float(tf.math.accumulate_n([1., 2., 3.])) == 6.0
    assert tf.timestamp().dtype == tf.float64


def test_version_logger_config():
    assert tf.version.VERSION == tf.__version__
    assert tf.get_logger().name == "tensorflow"
    tf.get_logger().setLevel("ERROR")
    tf.config.experimental.enable_op_determinism()
    for gpu in tf.config.experimental.list_physical_devices("GPU"):
        tf.config.experimental.set_memory_growth(gpu, True)
    assert tf.config.experimental.list_physical_devices("CPU")[0].device_type == "CPU"
    tf.config.experimental.set_virtual_device_configuration(
        tf.config.list_physical_devices("CPU")[0],
        [tf.config.experimental.VirtualDeviceConfiguration()] * 2)
    tf.profiler.experimental.start("unused_logdir")
    with tf.profiler.experimental.Trace("step", step_num=1):
        pass
    tf.profiler.experimental.stop()


# ---------------------------------------------------------------- tf.lookup
def test_lookup_tables_eager_traced_ragged_and_dataset(tmp_path):
    init = tf.lookup.KeyValueTensorInitializer(["emerson", "lake", "palmer"],
                                               tf.constant([0, 1, 2], tf.int64))
    table = tf.lookup.StaticHashTable(init, default_value=-1)
    assert table.lookup(tf.constant(["emerson", "lake", "tarkus"])).numpy().tolist() == \
        [0, 1, -1]   # TF's docstring example
    assert int(table.size()) == 3 and table.lookup(tf.constant([["lake"]])).shape == (1, 1)

    @tf.function
    def traced(keys):
        return table.lookup(keys)
    assert traced(tf.constant(["palmer", "x"])).numpy().tolist() == [2, -1]
    vocab = ["the", "cat", "sat"]
    vt = tf.lookup.StaticVocabularyTable(tf.lookup.KeyValueTensorInitializer(
        vocab, tf.range(2, 5, dtype=tf.int64)), num_oov_buckets=4)
    ids = vt.lookup(tf.constant(["cat", "dog", "dog", "sat"])).numpy()
    assert ids[0] == 3 and ids[3] == 4 and ids[1] == ids[2] and 3 <= ids[1] < 7
    assert int(vt.size()) == 7
    rt = vt.lookup(tf.ragged.constant([["the", "cat"], ["sat"]]))
    assert rt.to_list() == [[2, 3], [4]]
    ds = tf.data.Dataset.from_tensor_slices(["the cat", "sat"]).map(
        lambda s: vt.lookup(tf.strings.split(s)))
    assert [x.numpy().tolist() for x in ds] == [[2, 3], [4]]
    path = str(tmp_path / "vocab.txt")
    with open(path, "w") as f:
        f.write("apple\t7\nbanana\t9\n")
    ft = tf.lookup.StaticHashTable(tf.lookup.TextFileInitializer(
        path, tf.string, 0, tf.int64, 1, delimiter="\t"), -1)
    assert ft.lookup(tf.constant(["banana", "kiwi"])).numpy().tolist() == [9, -1]
    lines = tf.lookup.StaticHashTable(tf.lookup.TextFileInitializer(
        path, tf.string, tf.lookup.TextFileIndex.WHOLE_LINE, tf.int64,
        tf.lookup.TextFileIndex.LINE_NUMBER), -1)
    assert lines.lookup(tf.constant(["banana\t9"])).numpy().tolist() == [1]
    mt = tf.lookup.experimental.MutableHashTable(tf.string, tf.float32, default_value=0.5)
    mt.insert(tf.constant(["a", "b"]), tf.constant([1.0, 2.0]))
    mt.remove(tf.constant(["a"]))
    assert mt.lookup(tf.constant(["a", "b"])).numpy().tolist() == [0.5, 2.0]
    k, v = mt.export()
    assert k.numpy().tolist() == [b"b"] and v.numpy().tolist() == [2.0]


def test_candidate_samplers():
    tf.random.set_seed(3)
    r = 10
    s, t, e = tf.random.log_uniform_candidate_sampler([[0, 4]], 2, 20000, False, r)
    p = (np.log(np.arange(r) + 2) - np.log(np.arange(r) + 1)) / np.log(r + 1)
    freq = np.bincount(s.numpy(), minlength=r) / 20000
    np.testing.assert_allclose(freq, p, atol=0.012)
    np.testing.assert_allclose(t.numpy(), [[20000 * p[0], 20000 * p[4]]], rtol=1e-5)
    np.testing.assert_allclose(e.numpy(), 20000 * p[s.numpy()], rtol=1e-5)
    # the word2vec tutorial's call: unique negatives, expected counts -expm1(tries log1p(-p))
    context_class = tf.expand_dims(tf.constant([5], dtype="int64"), 1)
    neg, te, se = tf.random.log_uniform_candidate_sampler(
        true_classes=context_class, num_true=1, num_sampled=4, unique=True, range_max=4096,
        seed=42, name="negative_sampling")
    assert neg.dtype == tf.int64 and len(set(neg.numpy().tolist())) == 4
    p5 = np.log(7 / 6) / np.log(4097)
    tries = np.log1p(-te.numpy()[0, 0]) / np.log1p(-p5)   # invert TF's formula
    assert abs(tries - round(tries)) < 1e-2 and round(tries) >= 4
    u, ut, _ = tf.random.uniform_candidate_sampler([[1]], 1, 5, True, 5)
    assert sorted(u.numpy().tolist()) == [0, 1, 2, 3, 4] and ut.shape == (1, 1)

    @tf.function
    def draw():
        return tf.random.uniform_candidate_sampler([[1]], 1, 6, False, 1000)[0]
    assert not np.array_equal(draw().numpy(), draw().numpy())


def test_experimental_numpy_promotion_and_random():
    tnp = tf.experimental.numpy
    assert tnp.sqrt(4).dtype == tf.float64 and float(tnp.sqrt(4)) == 2.0
    np.testing.assert_allclose(tnp.exp(tnp.arange(3)).numpy(), np.exp(np.arange(3)))
    tnp.random.seed(1)
    a = tnp.random.randn(300, 2)
    assert a.shape == (300, 2) and a.dtype == tf.float64 and abs(float(tnp.mean(a))) < 0.2
    r = tnp.random.randint(2, 5, size=[400]).numpy()
    assert r.dtype == np.int64 and set(np.unique(r)) == {2, 3, 4}
    u = tnp.random.uniform(-1., 1., size=(50,)).numpy()
    assert u.min() >= -1 and u.max() < 1
    np.testing.assert_array_equal(tnp.copy([1, 2]).numpy(), [1, 2])


def test_convolution_frontends_and_linalg_helpers():
    rng = np.random.default_rng(5)
    x, w = rng.standard_normal((2, 9, 9, 3)), rng.standard_normal((3, 3, 3, 4))
    np.testing.assert_allclose(tf.nn.atrous_conv2d(x, w, 2, "SAME").numpy(),
                               tf.nn.conv2d(x, w, 1, "SAME", dilations=2).numpy())
    np.testing.assert_allclose(tf.nn.convolution(x, w, padding="VALID").numpy(),
                               tf.nn.conv2d(x, w, 1, "VALID").numpy())
    x1, w1 = rng.standard_normal((2, 9, 3)), rng.standard_normal((3, 3, 4))
    np.testing.assert_allclose(tf.nn.convolution(x1, w1, strides=2).numpy(),
                               tf.nn.conv1d(x1, w1, 2, "VALID").numpy())
    v = rng.standard_normal((3, 4))
    n, nn = tf.linalg.normalize(v, axis=1)
    np.testing.assert_allclose(nn.numpy(), np.linalg.norm(v, axis=1, keepdims=True))
    np.testing.assert_allclose(n.numpy(), v / np.linalg.norm(v, axis=1, keepdims=True))
    a = rng.standard_normal((2, 5, 3)) @ rng.standard_normal((2, 3, 4))
    assert tf.linalg.matrix_rank(a).numpy().tolist() == [3, 3]
    assert int(tf.linalg.matrix_rank(np.eye(4))) == 4
    d = rng.standard_normal((2, 3))
    td = tf.linalg.tensor_diag(d).numpy()
    assert td.shape == (2, 3, 2, 3) and td[1, 2, 1, 2] == d[1, 2] and td[0, 1, 1, 1] == 0
    np.testing.assert_array_equal(tf.linalg.tensor_diag_part(td).numpy(), d)


def test_string_hash_buckets_and_ragged_embedding_lookup():
    words = tf.ragged.constant([["What", "makes", "you"], ["you"]])
    b = tf.strings.to_hash_bucket_fast(words, 1000)
    assert b.flat_values.dtype == tf.int64 and b.to_list()[0][2] == b.to_list()[1][0]
    dense = tf.strings.to_hash_bucket_fast(tf.constant(["a", "b", "a"]), 5).numpy()
    assert dense[0] == dense[2] and ((0 <= dense) & (dense < 5)).all()
    s1 = tf.strings.to_hash_bucket_strong(tf.constant(["a", "b"]), 1 << 30, [1, 2]).numpy()
    s2 = tf.strings.to_hash_bucket_strong(tf.constant(["a", "b"]), 1 << 30, [3, 4]).numpy()
    assert not np.array_equal(s1, s2)

    @tf.function
    def traced(s):
        return tf.strings.to_hash_bucket_fast(s, 5)
    np.testing.assert_array_equal(traced(tf.constant(["a", "b", "a"])).numpy(), dense)
    # TF 2.21's buckets: Fingerprint64, legacy Hash64, SipHash-2-4
    hw = tf.constant(["hello", "world"])
    assert tf.strings.to_hash_bucket_fast(hw, 1000).numpy().tolist() == [296, 598]
    assert tf.strings.to_hash_bucket(hw, 1000).numpy().tolist() == [938, 861]
    assert tf.strings.to_hash_bucket_strong(hw, 1000, [1, 2]).numpy().tolist() == [622, 990]
    table = tf.random.normal([8, 3])
    ids = tf.ragged.constant([[1, 2], [], [7]])
    emb = tf.nn.embedding_lookup(table, ids)
    assert emb.to_list()[0][1] == table.numpy()[2].tolist() and emb.to_list()[1] == []
    np.testing.assert_allclose(emb.to_list()[2][0], table.numpy()[7])


def test_stateless_shuffle_and_create_rng_state():
    a = tf.random.experimental.stateless_shuffle(tf.range(20), seed=[1, 2]).numpy()
    assert sorted(a.tolist()) == list(range(20)) and a.tolist() != list(range(20))
    np.testing.assert_array_equal(
        a, tf.random.experimental.stateless_shuffle(tf.range(20), seed=[1, 2]).numpy())
    st = tf.random.create_rng_state(7, "philox")
    g = tf.random.Generator.from_state(st)
    np.testing.assert_array_equal(g.normal([3]).numpy(),
                                  tf.random.Generator.from_seed(7).normal([3]).numpy())


def test_fingerprint_and_vocabulary_oov_buckets_match_tf():
    # bytes and bucket ids printed by TF 2.21
    assert tf.fingerprint(tf.constant(["hello", "world"])).numpy().tolist() == [
        [232, 12, 56, 49, 169, 229, 139, 180], [110, 180, 184, 94, 67, 84, 26, 228]]
    assert tf.fingerprint(tf.constant([[1, 2], [3, 4]], tf.int32)).numpy().tolist() == [
        [76, 18, 253, 133, 168, 204, 240, 10], [254, 162, 60, 240, 103, 244, 53, 255]]
    assert tf.fingerprint(tf.constant([["a", "b"], ["c", "d"]])).numpy().tolist() == [
        [122, 64, 59, 169, 136, 60, 55, 83], [52, 252, 224, 38, 64, 226, 155, 60]]
    traced = tf.function(lambda x: tf.fingerprint(x))(tf.constant([1.5, 2.5]))
    assert traced.dtype == tf.uint8 and traced.numpy().tolist() == [
        [64, 181, 56, 72, 223, 224, 189, 72], [215, 206, 200, 229, 128, 42, 67, 207]]
    init = tf.lookup.KeyValueTensorInitializer(["a", "b"], tf.constant([0, 1], tf.int64))
    t = tf.lookup.StaticVocabularyTable(init, num_oov_buckets=5)
    assert t.lookup(tf.constant(["b", "zz", "hello", "world"])).numpy().tolist() == [1, 4, 3, 5]
    init = tf.lookup.KeyValueTensorInitializer(tf.constant([10, 20], tf.int64),
                                               tf.constant([0, 1], tf.int64))
    t = tf.lookup.StaticVocabularyTable(init, num_oov_buckets=7)
    assert t.lookup(tf.constant([10, 33, 44, -5], tf.int64)).numpy().tolist() == [0, 8, 7, 2]


def test_compat_saved_model_constants_and_small_aliases_as_tf():
    # values TF 2.21 prints
    assert tf.compat.as_bytes("ab") == b"ab" and tf.compat.as_str(b"ab") == "ab"
    assert tf.compat.as_text(b"x") == "x" and tf.compat.as_str_any(3) == "3"
    assert tf.compat.dimension_value(tf.TensorShape([3, None])[1]) is None
    assert tf.compat.dimension_at_index(tf.TensorShape([3, None]), 0) == 3
    assert tf.compat.forward_compatible(2020, 1, 1) and tf.compat.path_to_str("a") == "a"
    assert tf.compat.bytes_or_text_types == (bytes, str)
    assert (tf.saved_model.SERVING, tf.saved_model.DEFAULT_SERVING_SIGNATURE_DEF_KEY,
            tf.saved_model.PREDICT_METHOD_NAME, tf.saved_model.SAVED_MODEL_SCHEMA_VERSION) == (
        "serve", "serving_default", "tensorflow/serving/predict", 1)
    assert tf.dtypes.saturate_cast(tf.constant([300., -5.]), tf.uint8).numpy().tolist() == [255, 0]
    assert tf.dtypes.saturate_cast(tf.constant([70000, -3]), tf.int16).numpy().tolist() == [
        32767, -3]
    assert tf.debugging.is_traceback_filtering_enabled()
    assert float(tf.guarantee_const(tf.constant(3.))) == 3.0
    np.testing.assert_allclose(tf.matrix_square_root(tf.constant([[4., 0.], [0., 9.]])).numpy(),
                               [[2., 0.], [0., 3.]], rtol=1e-5)


def test_contains_saved_model(tmp_path):
    assert not tf.saved_model.contains_saved_model(str(tmp_path))
    m = tf.Module()
    m.v = tf.Variable(1.0)
    tf.saved_model.save(m, str(tmp_path / "m"))
    assert tf.saved_model.contains_saved_model(str(tmp_path / "m"))
