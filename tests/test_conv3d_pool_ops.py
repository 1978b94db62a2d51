"""tf.nn.conv3d / conv3d_transpose / max_pool3d / avg_pool3d / pool / max_pool_with_argmax /
dilation2d / erosion2d (graphflow/ops/conv3d_ops.py): values against direct numpy loops (the
loops were checked against TensorFlow 2.21 on these inputs), a few values TF printed, gradients
(first and second order) against finite differences, a JVP, traced == eager, errors."""
import itertools

import numpy as np
import pytest

import graphflow as tf
from conftest import check_grad


def _rng(seed=0):
    return np.random.default_rng(seed)


def _pads(padding, sizes, ksize, strides, dil):
    if padding == "VALID":
        return [(0, 0)] * len(sizes)
    out = []
    for n, k, s, d in zip(sizes, ksize, strides, dil):
        o = -(-n // s)
        tot = max((o - 1) * s + (k - 1) * d + 1 - n, 0)
        out.append((tot // 2, tot - tot // 2))
    return out


def _windows(sizes, ksize, strides, dil, pads):
    """For every output position: the list of (tap, input position or None for padding)."""
    outs = [(n + p[0] + p[1] - (k - 1) * d - 1) // s + 1
            for n, k, s, d, p in zip(sizes, ksize, strides, dil, pads)]
    for o in itertools.product(*[range(m) for m in outs]):
        cells = []
        for tap in itertools.product(*[range(k) for k in ksize]):
            pos = tuple(oi * s + t * d - p[0] for oi, t, s, d, p in zip(o, tap, strides, dil, pads))
            inside = all(0 <= q < n for q, n in zip(pos, sizes))
            cells.append((tap, pos if inside else None))
        yield o, cells
    return outs


def _out_shape(sizes, ksize, strides, dil, pads):
    return [(n + p[0] + p[1] - (k - 1) * d - 1) // s + 1
            for n, k, s, d, p in zip(sizes, ksize, strides, dil, pads)]


def ref_conv(x, w, strides, padding, dil=(1, 1, 1)):
    n, sizes, c = x.shape[0], x.shape[1:-1], x.shape[-1]
    ksize = w.shape[:-2]
    pads = _pads(padding, sizes, ksize, strides, dil)
    y = np.zeros([n] + _out_shape(sizes, ksize, strides, dil, pads) + [w.shape[-1]])
    for o, cells in _windows(sizes, ksize, strides, dil, pads):
        for tap, pos in cells:
            if pos is not None:
                y[(slice(None),) + o] += x[(slice(None),) + pos] @ w[tap]
    return y


def ref_conv_transpose(x, w, out_shape, strides, padding, dil=(1, 1, 1)):
    """The adjoint of ref_conv (filters (k..., O, I))."""
    sizes, ksize = out_shape[1:-1], w.shape[:-2]
    pads = _pads(padding, sizes, ksize, strides, dil)
    y = np.zeros(out_shape)
    for o, cells in _windows(sizes, ksize, strides, dil, pads):
        for tap, pos in cells:
            if pos is not None:
                y[(slice(None),) + pos] += x[(slice(None),) + o] @ w[tap].T
    return y


def ref_pool(x, kind, ksize, strides, padding, dil=None):
    sizes = x.shape[1:-1]
    dil = dil or (1,) * len(sizes)
    pads = _pads(padding, sizes, ksize, strides, dil)
    y = np.zeros([x.shape[0]] + _out_shape(sizes, ksize, strides, dil, pads) + [x.shape[-1]])
    for o, cells in _windows(sizes, ksize, strides, dil, pads):
        vals = np.stack([x[(slice(None),) + pos] for _, pos in cells if pos is not None])
        y[(slice(None),) + o] = vals.max(0) if kind == "MAX" else vals.mean(0)
    return y


def ref_argmax(x, ksize, strides, padding, include_batch):
    n, h, w, c = x.shape
    pads = _pads(padding, (h, w), ksize, strides, (1, 1))
    idx = np.zeros([n] + _out_shape((h, w), ksize, strides, (1, 1), pads) + [c], np.int64)
    for o, cells in _windows((h, w), ksize, strides, (1, 1), pads):
        for b in range(n):
            for ch in range(c):
                best = None
                for _, pos in cells:
                    if pos is not None and (best is None or x[b, pos[0], pos[1], ch] > best[0]):
                        best = (x[b, pos[0], pos[1], ch], (pos[0] * w + pos[1]) * c + ch)
                idx[b, o[0], o[1], ch] = best[1] + (b * h * w * c if include_batch else 0)
    return idx


def ref_morph(x, f, strides, padding, dil, erode):
    sizes, ksize = x.shape[1:3], f.shape[:2]
    pads = _pads(padding, sizes, ksize, strides, dil)
    y = np.zeros([x.shape[0]] + _out_shape(sizes, ksize, strides, dil, pads) + [x.shape[-1]])
    for o, cells in _windows(sizes, ksize, strides, dil, pads):
        if erode:   # TF: min over taps of value - reflected filter
            vals = [x[:, pos[0], pos[1]] - f[ksize[0] - 1 - t[0], ksize[1] - 1 - t[1]]
                    for t, pos in cells if pos is not None]
            y[:, o[0], o[1]] = np.min(vals, 0)
        else:
            vals = [x[:, pos[0], pos[1]] + f[t] for t, pos in cells if pos is not None]
            y[:, o[0], o[1]] = np.max(vals, 0)
    return y


CONV3D = [((1, 4, 5, 5, 2), (2, 3, 2, 2, 3), (1, 1, 1), "VALID", (1, 1, 1)),
          ((2, 5, 4, 6, 2), (3, 2, 3, 2, 2), (2, 1, 2), "SAME", (1, 1, 1)),
          ((1, 6, 5, 5, 1), (2, 2, 2, 1, 2), (1, 1, 1), "SAME", (2, 1, 2)),
          ((1, 5, 5, 5, 2), (3, 3, 3, 2, 1), (2, 2, 2), "VALID", (1, 1, 1))]


@pytest.mark.parametrize("xs,ws,strides,padding,dil", CONV3D)
def test_conv3d_matches_numpy(xs, ws, strides, padding, dil):
    r = _rng()
    x, w = r.standard_normal(xs), r.standard_normal(ws)
    got = tf.nn.conv3d(x, w, [1, *strides, 1], padding, dilations=[1, *dil, 1]).numpy()
    np.testing.assert_allclose(got, ref_conv(x, w, strides, padding, dil), rtol=1e-10, atol=1e-10)


def test_conv3d_channels_first_and_float32():
    r = _rng(1)
    x, w = r.standard_normal((1, 3, 4, 4, 5)).astype(np.float32), \
        r.standard_normal((2, 2, 2, 3, 2)).astype(np.float32)
    got = tf.nn.conv3d(x, w, 1, "SAME", data_format="NCDHW")
    assert got.dtype == tf.float32 and got.shape == (1, 2, 4, 4, 5)
    want = ref_conv(x.transpose(0, 2, 3, 4, 1), w, (1, 1, 1), "SAME").transpose(0, 4, 1, 2, 3)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-5)


def test_conv3d_values_tf_printed():
    # TF 2.21: tf.nn.conv3d(tf.reshape(tf.range(27.), (1, 3, 3, 3, 1)),
    #                       tf.ones((2, 2, 2, 1, 1)), [1, 2, 2, 2, 1], "SAME")
    x = tf.reshape(tf.range(27.), (1, 3, 3, 3, 1))
    got = tf.nn.conv3d(x, tf.ones((2, 2, 2, 1, 1)), [1, 2, 2, 2, 1], "SAME")
    assert got.numpy().ravel().tolist() == [52.0, 32.0, 44.0, 25.0, 80.0, 43.0, 49.0, 26.0]


@pytest.mark.parametrize("xs,ws,out,strides,padding", [
    ((1, 2, 3, 3, 2), (2, 2, 2, 3, 2), (1, 4, 6, 6, 3), (2, 2, 2), "SAME"),
    ((2, 3, 2, 3, 1), (3, 2, 2, 2, 1), (2, 5, 3, 4, 2), (1, 1, 1), "VALID"),
    ((1, 2, 2, 2, 2), (3, 3, 3, 1, 2), (1, 5, 5, 5, 1), (2, 2, 2), "VALID"),
    ((1, 3, 2, 2, 1), (3, 1, 2, 2, 1), (1, 5, 4, 3, 2), (2, 2, 2), "SAME")])
def test_conv3d_transpose_matches_numpy(xs, ws, out, strides, padding):
    r = _rng(2)
    x, w = r.standard_normal(xs), r.standard_normal(ws)
    got = tf.nn.conv3d_transpose(x, w, out, strides, padding).numpy()
    np.testing.assert_allclose(got, ref_conv_transpose(x, w, out, strides, padding),
                               rtol=1e-10, atol=1e-10)


POOL3D = [((1, 4, 4, 4, 2), (2, 2, 2), (2, 2, 2), "VALID"),
          ((2, 5, 4, 3, 1), (3, 2, 2), (2, 1, 2), "SAME"),
          ((1, 3, 5, 4, 2), (2, 3, 1), (1, 2, 1), "SAME")]


@pytest.mark.parametrize("kind", ["MAX", "AVG"])
@pytest.mark.parametrize("xs,k,s,padding", POOL3D)
def test_pool3d_matches_numpy(kind, xs, k, s, padding):
    x = _rng(3).standard_normal(xs)
    f = tf.nn.max_pool3d if kind == "MAX" else tf.nn.avg_pool3d
    np.testing.assert_allclose(f(x, k, s, padding).numpy(), ref_pool(x, kind, k, s, padding),
                               rtol=1e-12, atol=1e-12)


def test_avg_pool3d_tf_printed():
    # TF 2.21: tf.nn.avg_pool3d(tf.reshape(tf.range(27.), (1, 3, 3, 3, 1)), 2, 2, "SAME")
    got = tf.nn.avg_pool3d(tf.reshape(tf.range(27.), (1, 3, 3, 3, 1)), 2, 2, "SAME")
    assert got.numpy().ravel().tolist() == [6.5, 8.0, 11.0, 12.5, 20.0, 21.5, 24.5, 26.0]


@pytest.mark.parametrize("kind", ["MAX", "AVG"])
@pytest.mark.parametrize("xs,k,s,d,padding", [
    ((1, 9, 2), (3,), (1,), (2,), "VALID"), ((2, 7, 6, 1), (2, 3), (1, 1), (3, 2), "VALID"), ((1, 6, 6, 2), (2, 2), (2, 2), (1, 1), "SAME"),
    ((1, 5, 4, 5, 1), (2, 2, 3), (1, 1, 1), (2, 1, 2), "VALID")])
def test_pool_matches_numpy(kind, xs, k, s, d, padding):
    x = _rng(4).standard_normal(xs)
    got = tf.nn.pool(x, k, kind, strides=s, padding=padding, dilations=d).numpy()
    np.testing.assert_allclose(got, ref_pool(x, kind, k, s, padding, d), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("include_batch", [False, True])
@pytest.mark.parametrize("xs,k,s,padding", [((2, 4, 4, 3), 2, 2, "VALID"),
                                            ((2, 5, 6, 2), 3, 2, "SAME"),
                                            ((1, 5, 5, 1), (2, 3), (1, 2), "SAME")])
def test_max_pool_with_argmax_matches_numpy(include_batch, xs, k, s, padding):
    x = _rng(5).standard_normal(xs).astype(np.float32)
    v, i = tf.nn.max_pool_with_argmax(x, k, s, padding, include_batch_in_index=include_batch)
    k2, s2 = (k, k) if isinstance(k, int) else k, (s, s) if isinstance(s, int) else s
    assert i.dtype == tf.int64
    np.testing.assert_array_equal(i.numpy(), ref_argmax(x, k2, s2, padding, include_batch))
    np.testing.assert_array_equal(v.numpy(), ref_pool(x, "MAX", k2, s2, padding))
    # the values are the input picked at the argmax (flattened with the batch)
    flat = i.numpy() if include_batch else i.numpy() + \
        (np.arange(x.shape[0]) * x[0].size).reshape(-1, 1, 1, 1)
    np.testing.assert_array_equal(x.ravel()[flat], v.numpy())


def test_max_pool_with_argmax_tf_printed():
    # TF 2.21 on x = tf.reshape(tf.range(32.) % 7, (2, 4, 4, 1)): ties go to the first maximum
    x = tf.reshape(tf.range(32.) % 7, (2, 4, 4, 1))
    v, i = tf.nn.max_pool_with_argmax(x, 2, 2, "SAME")
    assert v.numpy().ravel().tolist() == [5., 6., 6., 4., 6., 5., 4., 6.]
    assert i.numpy().ravel().tolist() == [5, 6, 13, 11, 4, 3, 9, 11]
    _, i = tf.nn.max_pool_with_argmax(x, 3, 2, "SAME", include_batch_in_index=True)
    assert i.numpy().ravel().tolist() == [6, 6, 13, 11, 20, 27, 26, 27]


@pytest.mark.parametrize("erode", [False, True])
@pytest.mark.parametrize("xs,fs,s,d,padding", [((2, 5, 6, 2), (2, 3, 2), (1, 1), (1, 1), "VALID"),
                                               ((1, 6, 5, 3), (3, 2, 3), (2, 1), (1, 2), "SAME"),
                                               ((1, 7, 7, 1), (2, 2, 1), (1, 1), (2, 3), "SAME")])
def test_morphology_matches_numpy(erode, xs, fs, s, d, padding):
    r = _rng(6)
    x, f = r.standard_normal(xs), r.standard_normal(fs)
    op = tf.nn.erosion2d if erode else tf.nn.dilation2d
    got = op(x, f, [1, *s, 1], padding, "NHWC", [1, *d, 1]).numpy()
    np.testing.assert_allclose(got, ref_morph(x, f, s, padding, d, erode), rtol=1e-12)


def test_morphology_tf_printed():
    # TF 2.21, x = tf.reshape(tf.range(16.), (1, 4, 4, 1)), f = [[[0.], [1.]], [[2.], [-1.]]]
    x = tf.reshape(tf.range(16.), (1, 4, 4, 1))
    f = tf.constant([[[0.], [1.]], [[2.], [-1.]]])
    d = tf.nn.dilation2d(x, f, [1, 1, 1, 1], "SAME", "NHWC", [1, 1, 1, 1])
    e = tf.nn.erosion2d(x, f, [1, 1, 1, 1], "SAME", "NHWC", [1, 1, 1, 1])
    assert d.numpy().ravel().tolist() == [
        6., 7., 8., 9., 10., 11., 12., 13., 14., 15., 16., 17., 14., 15., 16., 15.]
    assert e.numpy().ravel().tolist() == [
        -1., 0., 1., 4., 3., 4., 5., 8., 7., 8., 9., 12., 11., 12., 13., 16.]


# ------------------------------------------------------------------ derivatives
GRADS = {
    "conv3d": (lambda x, w: tf.nn.conv3d(x, w, [1, 2, 1, 1, 1], "SAME"),
               [(1, 3, 3, 2, 2), (2, 2, 1, 2, 2)]),
    "conv3d_transpose": (lambda x, w: tf.nn.conv3d_transpose(x, w, (1, 4, 3, 3, 2), 2, "SAME"),
                         [(1, 2, 2, 2, 1), (2, 2, 2, 2, 1)]),
    "max_pool3d": (lambda x: tf.nn.max_pool3d(x, 2, 1, "SAME"), [(1, 3, 2, 3, 1)]),
    "avg_pool3d": (lambda x: tf.nn.avg_pool3d(x, (2, 2, 1), 2, "SAME"), [(1, 3, 3, 2, 2)]),
    "pool_dilated": (lambda x: tf.nn.pool(x, [2, 2], "AVG", dilations=[2, 1],
                                          padding=[[1, 0], [0, 1]]),
                     [(1, 4, 3, 1)]),
    "max_pool_with_argmax": (lambda x: tf.nn.max_pool_with_argmax(x, 2, 2, "SAME")[0],
                             [(1, 3, 4, 2)]),
    "dilation2d": (lambda x, f: tf.nn.dilation2d(x, f, 1, "SAME", "NHWC", [1, 2, 1, 1]),
                   [(1, 4, 3, 2), (2, 2, 2)]),
    "erosion2d": (lambda x, f: tf.nn.erosion2d(x, f, [1, 2, 1, 1], "VALID", "NHWC", 1),
                  [(1, 4, 4, 1), (2, 2, 1)]),
}


@pytest.mark.parametrize("name", sorted(GRADS))
def test_gradients_first_and_second_order(name):
    f, shapes = GRADS[name]
    r = _rng(7)
    check_grad(f, [r.standard_normal(s) for s in shapes], order=2, rtol=1e-5, atol=1e-7)


def test_conv3d_jvp_matches_finite_difference():
    r = _rng(8)
    x, w, v = (r.standard_normal(s) for s in [(1, 3, 3, 3, 1), (2, 2, 2, 1, 2), (1, 3, 3, 3, 1)])

    def f(t):
        return tf.nn.max_pool3d(tf.nn.conv3d(t, w, 1, "SAME"), 2, 1, "VALID")
    xt = tf.constant(x)
    with tf.autodiff.ForwardAccumulator(xt, tf.constant(v)) as acc:
        y = f(xt)
    eps = 1e-6
    fd = (f(tf.constant(x + eps * v)).numpy() - f(tf.constant(x - eps * v)).numpy()) / (2 * eps)
    np.testing.assert_allclose(acc.jvp(y).numpy(), fd, rtol=1e-6, atol=1e-7)


def test_traced_equals_eager():
    r = _rng(9)
    x = r.standard_normal((2, 4, 4, 3, 2)).astype(np.float32)
    w = r.standard_normal((2, 2, 2, 2, 3)).astype(np.float32)

    def f(x):
        y = tf.nn.conv3d(x, w, 1, "SAME")
        return tf.nn.avg_pool3d(tf.nn.max_pool3d(y, 2, 1, "SAME"), 2, 2, "SAME")
    np.testing.assert_allclose(tf.function(f)(x).numpy(), f(x).numpy(), rtol=1e-5, atol=1e-5)
    x2 = r.standard_normal((1, 5, 5, 2)).astype(np.float32)

    def g(x):
        v, i = tf.nn.max_pool_with_argmax(x, 2, 2, "SAME", include_batch_in_index=True)
        return v, i, tf.nn.dilation2d(x, tf.ones((2, 2, 2)), 1, "SAME", "NHWC", 1)
    for a, b in zip(tf.function(g)(x2), g(x2)):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6)


def test_errors_name_op_shapes_and_line():
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"^conv3d(?=.*\(1, 2, 2, 2, 3\))"
                       r"(?=.*test_conv3d_pool_ops.py)"):
        tf.nn.conv3d(tf.ones((1, 2, 2, 2, 3)), tf.ones((2, 2, 2, 2, 1)), 1, "VALID")
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"max_pool3d.*window.*"
                       r"test_conv3d_pool_ops.py"):
        tf.nn.max_pool3d(tf.ones((1, 2, 4, 4, 1)), 3, 1, "VALID")
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"dilation2d.*channels"):
        tf.nn.dilation2d(tf.ones((1, 4, 4, 2)), tf.ones((2, 2, 3)), 1, "SAME", "NHWC", 1)
    with pytest.raises(ValueError, match="pool: pooling_type"):
        tf.nn.pool(tf.ones((1, 4, 1)), [2], "MIN")
    with pytest.raises(ValueError, match="pool: 'SAME' padding with dilations"):  # as TF
        tf.nn.pool(tf.ones((1, 9, 2)), [3], "MAX", padding="SAME", dilations=[2])


# ------------------------------------------------------------------ fractional pooling
def ref_fractional(x, rows, cols, overlapping, kind):
    n, h, w, c = x.shape
    out = np.zeros((n, len(rows) - 1, len(cols) - 1, c))
    for i in range(len(rows) - 1):
        for j in range(len(cols) - 1):
            r1 = min(rows[i + 1] + (1 if overlapping else 0), h)
            c1 = min(cols[j + 1] + (1 if overlapping else 0), w)
            win = x[:, rows[i]:r1, cols[j]:c1]
            out[:, i, j] = win.max((1, 2)) if kind == "MAX" else win.mean((1, 2))
    return out


@pytest.mark.parametrize("kind", ["MAX", "AVG"])
@pytest.mark.parametrize("overlapping", [False, True])
@pytest.mark.parametrize("pseudo_random", [False, True])
def test_fractional_pool_matches_its_sequences(kind, overlapping, pseudo_random):
    x = _rng(10).standard_normal((2, 7, 9, 3))
    op = tf.nn.fractional_max_pool if kind == "MAX" else tf.nn.fractional_avg_pool
    y, rows, cols = op(x, [1.0, 1.5, 2.0, 1.0], pseudo_random=pseudo_random,
                       overlapping=overlapping, seed=3)
    rows, cols = rows.numpy(), cols.numpy()
    assert y.shape == (2, 4, 4, 3) and rows[0] == 0 and rows[-1] == 7 and cols[-1] == 9
    assert set(np.diff(rows)) <= {1, 2} and set(np.diff(cols)) <= {2, 3}
    np.testing.assert_allclose(y.numpy(), ref_fractional(x, rows, cols, overlapping, kind),
                               rtol=1e-12)


def test_fractional_pool_tf_printed():
    # TF 2.21 on x = tf.reshape(tf.range(126.), (2, 7, 9, 1)), ratio [1, 1.5, 2, 1]: for the
    # sequences rows [0, 1, 3, 5, 7] / cols [0, 2, 5, 7, 9] TF printed these first rows
    x = np.arange(126.0).reshape(2, 7, 9, 1)
    rows, cols = np.array([0, 1, 3, 5, 7]), np.array([0, 2, 5, 7, 9])
    assert ref_fractional(x, rows, cols, False, "MAX")[0, :2, :, 0].tolist() == \
        [[1.0, 4.0, 6.0, 8.0], [19.0, 22.0, 24.0, 26.0]]
    assert ref_fractional(x, rows, cols, True, "AVG")[0, :2, :, 0].tolist() == \
        [[5.5, 8.0, 10.5, 12.0], [19.0, 21.5, 24.0, 25.5]]
    y, r, c = tf.nn.fractional_max_pool(tf.constant(x), [1.0, 2.0, 3.0, 1.0], seed=1)
    assert r.numpy().tolist()[-1] == 7 and y.shape == (2, 3, 3, 1)   # floor(7/2), floor(9/3)


@pytest.mark.parametrize("kind", ["MAX", "AVG"])
def test_fractional_pool_gradients(kind):
    op = tf.nn.fractional_max_pool if kind == "MAX" else tf.nn.fractional_avg_pool
    check_grad(lambda x: op(x, [1.0, 1.6, 1.4, 1.0], overlapping=True, seed=5)[0],
               [_rng(11).standard_normal((1, 5, 6, 2))], order=2, rtol=1e-5, atol=1e-7)
