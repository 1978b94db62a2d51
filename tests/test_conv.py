"""Convolution and pooling: values against direct numpy loops (float64), gradients (first and
second order) and JVPs against finite differences, traced equals eager, Keras conv layers'
shapes and parameter counts, and a tiny convnet that trains."""
import numpy as np
import pytest

import graphflow as tf
from graphflow.autodiff import ForwardAccumulator
from graphflow.dispatch import bind
from graphflow.errors import InvalidArgumentError
from graphflow.ops.registry import OPS

from conftest import Recorder, check_grad

R = np.random.default_rng(7)
L = tf.keras.layers
CONV_OPS = ("conv2d", "conv2d_backprop_input", "conv2d_backprop_filter", "max_pool2d",
            "max_pool2d_grad", "max_pool2d_gather")


def rnd(*shape):
    return R.standard_normal(shape)


def distinct(*shape):
    """No ties (so max pooling's argmax is stable under finite-difference steps)."""
    n = int(np.prod(shape))
    return R.permutation(np.linspace(-2, 2, n)).reshape(shape)


# ------------------------------------------------------------------ direct numpy references
def pads_of(padding, n, k, s, d=1):
    if padding == "VALID":
        return (0, 0)
    out = -(-n // s)
    total = max((out - 1) * s + (k - 1) * d + 1 - n, 0)
    return (total // 2, total - total // 2)


def ref_conv2d(x, w, s, padding, d=(1, 1)):
    """Direct loops; grouped when x has a multiple of the filter's input channels."""
    n, h, wd, c = x.shape
    kh, kw, cg, o = w.shape
    groups, og = c // cg, o // (c // cg)
    (pt, pb), (pl, pr) = pads_of(padding, h, kh, s[0], d[0]), pads_of(padding, wd, kw, s[1], d[1])
    xp = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)))
    ho = (h + pt + pb - (kh - 1) * d[0] - 1) // s[0] + 1
    wo = (wd + pl + pr - (kw - 1) * d[1] - 1) // s[1] + 1
    out = np.zeros((n, ho, wo, o))
    for b in range(n):
        for i in range(ho):
            for j in range(wo):
                for oc in range(o):
                    g = oc // og
                    for a in range(kh):
                        for e in range(kw):
                            for ci in range(cg):
                                out[b, i, j, oc] += (xp[b, i * s[0] + a * d[0], j * s[1] + e * d[1],
                                                        g * cg + ci] * w[a, e, ci, oc])
    return out


def ref_conv2d_transpose(x, w, out_shape, s, padding):
    """Scatter each input cell times the filter into the output (filters (kh, kw, O, I))."""
    n, h, wd, o = out_shape
    kh, kw = w.shape[:2]
    (pt, pb), (pl, pr) = pads_of(padding, h, kh, s[0]), pads_of(padding, wd, kw, s[1])
    yp = np.zeros((n, h + pt + pb, wd + pl + pr, o))
    for b in range(n):
        for i in range(x.shape[1]):
            for j in range(x.shape[2]):
                for a in range(kh):
                    for e in range(kw):
                        yp[b, i * s[0] + a, j * s[1] + e, :] += w[a, e] @ x[b, i, j]
    return yp[:, pt:pt + h, pl:pl + wd, :]


def ref_pool(x, k, s, padding, how):
    n, h, wd, c = x.shape
    (pt, pb), (pl, pr) = pads_of(padding, h, k[0], s[0]), pads_of(padding, wd, k[1], s[1])
    ho = (h + pt + pb - k[0]) // s[0] + 1
    wo = (wd + pl + pr - k[1]) // s[1] + 1
    out = np.zeros((n, ho, wo, c))
    for i in range(ho):
        for j in range(wo):
            r0, c0 = i * s[0] - pt, j * s[1] - pl
            win = x[:, max(r0, 0):min(r0 + k[0], h), max(c0, 0):min(c0 + k[1], wd), :]
            out[:, i, j, :] = win.max(axis=(1, 2)) if how == "max" else win.mean(axis=(1, 2))
    return out


# ------------------------------------------------------------------ values
@pytest.mark.parametrize("padding", ["VALID", "SAME"])
@pytest.mark.parametrize("strides,dilations", [((1, 1), (1, 1)), ((2, 3), (1, 1)),
                                               ((1, 2), (2, 1)), ((4, 4), (1, 1))])
def test_conv2d_matches_loops(padding, strides, dilations):
    x, w = rnd(2, 7, 6, 3), rnd(3, 2, 3, 4)
    y = tf.nn.conv2d(x, w, strides, padding, dilations=dilations)
    np.testing.assert_allclose(y.numpy(), ref_conv2d(x, w, strides, padding, dilations),
                               rtol=1e-12, atol=1e-12)
    assert y.dtype == tf.float64


def test_conv2d_odd_shapes():
    # 1x1 images, batch 1, channels 1, padding larger than the input, stride > kernel
    for x, w, s, p in [(rnd(1, 1, 1, 1), rnd(1, 1, 1, 1), (1, 1), "VALID"),
                       (rnd(1, 1, 1, 2), rnd(3, 3, 2, 1), (1, 1), "SAME"),
                       (rnd(1, 2, 2, 1), rnd(5, 5, 1, 2), (1, 1), "SAME"),
                       (rnd(1, 9, 9, 1), rnd(2, 2, 1, 1), (3, 3), "VALID")]:
        np.testing.assert_allclose(tf.nn.conv2d(x, w, s, p).numpy(), ref_conv2d(x, w, s, p),
                                   atol=1e-12)
    x, w = rnd(1, 2, 2, 1), rnd(2, 2, 1, 1)
    explicit = tf.nn.conv2d(x, w, 1, [[0, 0], [3, 0], [0, 2], [0, 0]])
    np.testing.assert_allclose(explicit.numpy(),
                               tf.nn.conv2d(np.pad(x, ((0, 0), (3, 0), (0, 2), (0, 0))), w, 1,
                                            "VALID").numpy(), atol=1e-12)


def test_grouped_and_depthwise_match_loops():
    x = rnd(2, 5, 5, 4)
    w = rnd(3, 3, 2, 6)                      # 2 groups
    np.testing.assert_allclose(tf.nn.conv2d(x, w, 1, "SAME").numpy(),
                               ref_conv2d(x, w, (1, 1), "SAME"), atol=1e-12)
    dw = rnd(3, 3, 4, 2)                     # depth multiplier 2: output channel c * 2 + m
    y = tf.nn.depthwise_conv2d(x, dw, [1, 2, 2, 1], "SAME").numpy()
    ref = np.concatenate([ref_conv2d(x[..., c:c + 1], dw[:, :, c:c + 1, :], (2, 2), "SAME")
                          for c in range(4)], axis=-1)
    np.testing.assert_allclose(y, ref, atol=1e-12)
    pw = rnd(1, 1, 8, 3)
    np.testing.assert_allclose(tf.nn.separable_conv2d(x, dw, pw, 2, "SAME").numpy(),
                               ref_conv2d(ref, pw, (1, 1), "VALID"), atol=1e-12)


def test_conv1d_and_nchw():
    x, w = rnd(2, 9, 3), rnd(3, 3, 4)
    y = tf.nn.conv1d(x, w, 2, "SAME").numpy()
    ref = ref_conv2d(x[:, None], w[None], (1, 2), "SAME")[:, 0]
    np.testing.assert_allclose(y, ref, atol=1e-12)
    x4, w4 = rnd(2, 3, 5, 5), rnd(3, 3, 3, 2)
    y = tf.nn.conv2d(x4, w4, 1, "SAME", data_format="NCHW").numpy()
    np.testing.assert_allclose(y, ref_conv2d(x4.transpose(0, 2, 3, 1), w4, (1, 1), "SAME")
                               .transpose(0, 3, 1, 2), atol=1e-12)


@pytest.mark.parametrize("padding,out", [("SAME", (2, 7, 8, 3)), ("VALID", (2, 9, 9, 3)),
                                         ("SAME", (2, 8, 8, 3))])
def test_conv2d_transpose_matches_loops(padding, out):
    x, w = rnd(2, 4, 4, 5), rnd(3, 3, 3, 5)
    y = tf.nn.conv2d_transpose(x, w, out, 2, padding)
    np.testing.assert_allclose(y.numpy(), ref_conv2d_transpose(x, w, out, (2, 2), padding),
                               atol=1e-12)


@pytest.mark.parametrize("how", ["max", "avg"])
@pytest.mark.parametrize("k,s,padding", [((2, 2), (2, 2), "VALID"), ((3, 3), (2, 2), "SAME"),
                                         ((2, 3), (1, 2), "SAME"), ((1, 1), (3, 3), "VALID"),
                                         ((3, 3), (1, 1), "SAME")])
def test_pool2d_matches_loops(how, k, s, padding):
    x = rnd(2, 5, 7, 3)
    fn = tf.nn.max_pool2d if how == "max" else tf.nn.avg_pool2d
    np.testing.assert_allclose(fn(x, k, s, padding).numpy(), ref_pool(x, k, s, padding, how),
                               atol=1e-12)


def test_pool1d_matches_loops():
    x = rnd(2, 7, 3)
    for how, fn in [("max", tf.nn.max_pool1d), ("avg", tf.nn.avg_pool1d)]:
        np.testing.assert_allclose(fn(x, 3, 2, "SAME").numpy(),
                                   ref_pool(x[:, None], (1, 3), (1, 2), "SAME", how)[:, 0],
                                   atol=1e-12)


def test_max_pool_float32_and_int():
    x = R.integers(-9, 9, size=(1, 4, 4, 2)).astype(np.int32)
    y = tf.nn.max_pool2d(x, 2, 2, "VALID")
    assert y.dtype == tf.int32
    np.testing.assert_array_equal(y.numpy(), ref_pool(x, (2, 2), (2, 2), "VALID", "max"))
    y = tf.nn.conv2d(tf.ones((1, 3, 3, 1)), tf.ones((3, 3, 1, 1)), 1, "SAME")
    assert y.dtype == tf.float32 and y.numpy()[0, 1, 1, 0] == 9


def test_shape_errors_name_the_op():
    with pytest.raises(InvalidArgumentError, match="conv2d.*input channels"):
        tf.nn.conv2d(tf.ones((1, 4, 4, 3)), tf.ones((3, 3, 2, 1)), 1, "VALID")
    with pytest.raises(InvalidArgumentError, match="conv2d.*larger than the padded input"):
        tf.nn.conv2d(tf.ones((1, 2, 2, 1)), tf.ones((3, 3, 1, 1)), 1, "VALID")
    with pytest.raises(InvalidArgumentError, match="conv2d_backprop_input"):
        tf.nn.conv2d_transpose(tf.ones((1, 4, 4, 1)), tf.ones((3, 3, 1, 1)), (1, 20, 20, 1), 2)
    with pytest.raises(InvalidArgumentError, match="max_pool2d.*rank-4"):
        tf.nn.max_pool2d(tf.ones((4, 4)), 2)


# ------------------------------------------------------------------ derivatives
def _conv(s, p, d=(1, 1)):
    return lambda x, w: tf.nn.conv2d(x, w, s, p, dilations=d)


GRADS = [
    ("conv2d-same-stride-dilation", _conv((2, 1), "SAME", (1, 2)), [rnd(2, 5, 5, 2), rnd(3, 2, 2, 3)]),
    ("conv2d-valid-grouped", _conv((1, 1), "VALID"), [rnd(1, 4, 4, 4), rnd(2, 2, 2, 4)]),
    ("conv1d", lambda x, w: tf.nn.conv1d(x, w, 2, "SAME"), [rnd(2, 7, 2), rnd(3, 2, 3)]),
    ("depthwise", lambda x, w: tf.nn.depthwise_conv2d(x, w, 1, "SAME"),
     [rnd(1, 4, 4, 3), rnd(3, 3, 3, 2)]),
    ("transpose", lambda x, w: tf.nn.conv2d_transpose(x, w, (2, 7, 7, 2), 2, "SAME"),
     [rnd(2, 4, 4, 3), rnd(3, 3, 2, 3)]),
    ("max_pool2d", lambda x: tf.nn.max_pool2d(x, 3, 2, "SAME"), [distinct(2, 5, 5, 2)]),
    ("max_pool1d", lambda x: tf.nn.max_pool1d(x, 2, 1, "VALID"), [distinct(2, 5, 2)]),
    ("avg_pool2d", lambda x: tf.nn.avg_pool2d(x, 3, 2, "SAME"), [rnd(2, 5, 5, 2)]),
    ("avg_pool1d", lambda x: tf.nn.avg_pool1d(x, 2, 2, "SAME"), [rnd(2, 5, 2)]),
]


@pytest.mark.parametrize("f,xs", [pytest.param(f, xs, id=i) for i, f, xs in GRADS])
def test_gradients_match_finite_differences(f, xs):
    check_grad(f, xs, order=1)
    # squared: the first gradient depends on x, so second order runs every VJP's own VJP
    check_grad(lambda *ts: f(*ts) * f(*ts), xs, order=2, seed=1)


def test_second_order_of_conv2d_wrt_input():
    w = tf.constant(rnd(2, 2, 1, 2))
    check_grad(lambda x: tf.tanh(tf.nn.conv2d(x, w, 1, "SAME")), [rnd(1, 3, 3, 1)], order=2)


def test_backprop_ops_are_differentiable_directly():
    a = dict(strides=(2, 1), pads=((1, 0), (0, 1)), dilations=(1, 1), groups=1)
    bi = OPS["conv2d_backprop_input"]
    bf = OPS["conv2d_backprop_filter"]
    x_shape, w_shape = (1, 4, 3, 2), (2, 2, 2, 3)
    c = rnd(1, 2, 3, 3)
    check_grad(lambda c, w: bind(bi, [c, w], dict(a, input_shape=x_shape)) ** 2,
               [c, rnd(*w_shape)])
    check_grad(lambda x, c: bind(bf, [x, c], dict(a, filter_shape=w_shape)) ** 2,
               [rnd(*x_shape), c])
    x = distinct(1, 4, 4, 2)
    pa = dict(ksize=(2, 2), strides=(2, 2), pads=((0, 0), (0, 0)))
    xc = tf.constant(x)
    check_grad(lambda g: bind(OPS["max_pool2d_grad"], [xc, g], pa) ** 2, [rnd(1, 2, 2, 2)])
    check_grad(lambda v: bind(OPS["max_pool2d_gather"], [xc, v], pa) ** 2, [rnd(1, 4, 4, 2)])


def test_conv_op_declarations():
    for name in CONV_OPS:
        op = OPS[name]
        assert op.differentiable and op.jvp is not None, name
    assert OPS["conv2d"].kind == "anchor"


@pytest.mark.parametrize("f,xs", [pytest.param(f, xs, id=i) for i, f, xs in GRADS])
def test_jvp_matches_finite_differences(f, xs):
    rng = np.random.default_rng(3)
    vs = [rng.standard_normal(x.shape) for x in xs]
    ts = [tf.constant(x) for x in xs]
    with ForwardAccumulator(ts, [tf.constant(v) for v in vs]) as acc:
        y = f(*ts) * f(*ts)
    tan = acc.jvp(y).numpy()
    eps = 1e-6
    hi = (f(*[tf.constant(x + eps * v) for x, v in zip(xs, vs)]) ** 2).numpy()
    lo = (f(*[tf.constant(x - eps * v) for x, v in zip(xs, vs)]) ** 2).numpy()
    np.testing.assert_allclose(tan, (hi - lo) / (2 * eps), rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------------ traced == eager
def test_traced_function_equals_eager():
    x = tf.constant(rnd(2, 6, 6, 2))
    w = tf.Variable(rnd(3, 3, 2, 3))
    wt = tf.Variable(rnd(2, 2, 3, 3))

    def step(x):
        with tf.GradientTape() as tape:
            h = tf.nn.relu(tf.nn.conv2d(x, w, 1, "SAME"))
            h = tf.nn.max_pool2d(h, 2, 2, "VALID") + tf.nn.avg_pool2d(h, 2, 2, "VALID")
            h = tf.nn.conv2d_transpose(h, wt, (2, 6, 6, 3), 2, "SAME")
            loss = tf.reduce_sum(h * h)
        return [loss] + tape.gradient(loss, [w, wt])

    eager = step(x)
    traced = tf.function(step, jit_compile=False)(x)
    for a, b in zip(eager, traced):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12, atol=1e-12)
    with Recorder() as rec:
        step(x)
    assert {"conv2d", "conv2d_backprop_input", "conv2d_backprop_filter", "max_pool2d",
            "max_pool2d_grad"} <= set(rec.ops())


# ------------------------------------------------------------------ Keras layers
LAYER_CASES = [
    (lambda: L.Conv2D(4, 3), (8, 8, 3), (6, 6, 4), 3 * 3 * 3 * 4 + 4),
    (lambda: L.Conv2D(4, (3, 2), strides=2, padding="same", use_bias=False), (8, 7, 3),
     (4, 4, 4), 3 * 2 * 3 * 4),
    (lambda: L.Conv2D(6, 3, groups=3, dilation_rate=2), (8, 8, 3), (4, 4, 6), 3 * 3 * 6 + 6),
    (lambda: L.Conv2D(4, 3, data_format="channels_first"), (3, 8, 6), (4, 6, 4), 112),
    (lambda: L.Conv1D(5, 3), (10, 2), (8, 5), 3 * 2 * 5 + 5),
    (lambda: L.Conv1D(5, 3, padding="causal", dilation_rate=2), (10, 2), (10, 5), 35),
    (lambda: L.DepthwiseConv2D(3, depth_multiplier=2), (8, 8, 3), (6, 6, 6), 54 + 6),
    (lambda: L.SeparableConv2D(5, 3, padding="same"), (8, 8, 3), (8, 8, 5), 27 + 15 + 5),
    (lambda: L.Conv2DTranspose(4, 3, strides=2), (8, 8, 3), (17, 17, 4), 3 * 3 * 4 * 3 + 4),
    (lambda: L.Conv2DTranspose(4, 3, strides=2, padding="same"), (8, 8, 3), (16, 16, 4), 112),
    (lambda: L.Conv2DTranspose(2, 3, strides=2, output_padding=1), (4, 4, 1), (10, 10, 2), 20),
    (lambda: L.MaxPooling2D(), (8, 7, 3), (4, 3, 3), 0),
    (lambda: L.MaxPooling2D(3, 2, padding="same"), (8, 7, 3), (4, 4, 3), 0),
    (lambda: L.AveragePooling2D(2), (8, 8, 3), (4, 4, 3), 0),
    (lambda: L.MaxPooling1D(), (9, 3), (4, 3), 0),
    (lambda: L.AveragePooling1D(3, padding="same"), (10, 3), (4, 3), 0),
    (lambda: L.GlobalAveragePooling2D(), (5, 5, 3), (3,), 0),
    (lambda: L.GlobalMaxPooling2D(keepdims=True), (5, 5, 3), (1, 1, 3), 0),
    (lambda: L.GlobalAveragePooling1D(), (6, 3), (3,), 0),
    (lambda: L.GlobalMaxPooling1D(), (6, 3), (3,), 0),
    (lambda: L.ZeroPadding2D(((1, 2), (0, 1))), (8, 8, 3), (11, 9, 3), 0),
    (lambda: L.ZeroPadding2D(), (8, 8, 3), (10, 10, 3), 0),
    (lambda: L.Cropping2D(((1, 0), (2, 1))), (8, 8, 3), (7, 5, 3), 0),
    (lambda: L.UpSampling2D((2, 3)), (4, 4, 3), (8, 12, 3), 0),
    (lambda: L.Rescaling(1 / 255.0, offset=-1.0), (4, 4, 3), (4, 4, 3), 0),
]


@pytest.mark.parametrize("make,in_shape,out_shape,params", LAYER_CASES)
def test_keras_layer_shapes_and_param_counts(make, in_shape, out_shape, params):
    layer = make()
    y = layer(tf.ones((2,) + in_shape))
    assert tuple(y.shape) == (2,) + out_shape
    assert tuple(layer.compute_output_shape((None,) + in_shape)) == (None,) + out_shape
    assert layer.count_params() == params
    assert type(layer).from_config(layer.get_config()).get_config() == layer.get_config()


def test_keras_layer_values():
    x = R.uniform(0, 1, size=(2, 4, 4, 2)).astype(np.float32)
    np.testing.assert_allclose(L.UpSampling2D()(x).numpy(),
                               x.repeat(2, axis=1).repeat(2, axis=2))
    np.testing.assert_allclose(L.ZeroPadding2D(1)(x).numpy(),
                               np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0))))
    np.testing.assert_allclose(L.Cropping2D(1)(x).numpy(), x[:, 1:3, 1:3])
    np.testing.assert_allclose(L.Rescaling(2.0, 1.0)(x).numpy(), 2 * x + 1, rtol=1e-6)
    np.testing.assert_allclose(L.GlobalMaxPooling2D()(x).numpy(), x.max(axis=(1, 2)))
    conv = L.Conv2D(3, 2, padding="same", activation="relu", bias_initializer="ones")
    y = conv(x).numpy()
    ref = np.maximum(ref_conv2d(x.astype(np.float64), conv.kernel.numpy().astype(np.float64),
                                (1, 1), "SAME") + 1, 0)
    np.testing.assert_allclose(y, ref, rtol=1e-5, atol=1e-5)
    assert [w.name for w in conv.weights] == ["kernel", "bias"]   # Keras 3 names


def test_keras_names_and_exports():
    tf.keras.backend.clear_session()
    assert L.Conv2D(1, 1).name == "conv2d"
    assert L.MaxPooling2D().name == "max_pooling2d"
    assert L.Conv2DTranspose(1, 1).name == "conv2d_transpose"
    assert L.MaxPool2D is L.MaxPooling2D and "Conv2D" in dir(L)
    with pytest.raises(AttributeError):
        L.NoSuchLayer


def test_tiny_convnet_trains():
    tf.keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, size=(64, 8, 8, 1)).astype(np.float32)
    y = (x[:, :4].mean(axis=(1, 2, 3)) > x[:, 4:].mean(axis=(1, 2, 3))).astype(np.int32)
    model = tf.keras.Sequential([
        tf.keras.Input(shape=(8, 8, 1)),
        L.Conv2D(4, 3, activation="relu"),
        L.MaxPooling2D(),
        L.Flatten(),
        L.Dense(2)])
    model.compile(optimizer=tf.keras.optimizers.Adam(0.01),
                  loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  jit_compile=False)
    assert model.count_params() == (3 * 3 * 1 * 4 + 4) + (3 * 3 * 4 * 2 + 2)
    hist = model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    loss = hist.history["loss"]
    assert len(loss) == 2 and loss[1] < loss[0], loss
    assert model.predict(x[:3], verbose=0).shape == (3, 2)


def test_gradient_ops_check_the_cotangent_shape():
    """Both convolution gradient ops name themselves, the input shape and the shape the
    convolution gives when the cotangent does not have it."""
    from graphflow.ops import conv_ops
    with pytest.raises(InvalidArgumentError, match=r"conv2d_backprop_filter.*input of shape "
                       r"\(2, 5, 5, 1\) gives shape \(2, 3, 3, 4\).*\(2, 4, 4, 4\)"):
        conv_ops.conv2d_backprop_filter(tf.ones((2, 5, 5, 1)), (3, 3, 1, 4), tf.ones((2, 4, 4, 4)))
    with pytest.raises(InvalidArgumentError, match=r"conv2d_backprop_input.*input of shape "
                       r"\(2, 5, 5, 1\) gives shape \(2, 3, 3, 4\)"):
        conv_ops.conv2d_backprop_input((2, 5, 5, 1), tf.ones((3, 3, 1, 4)),
                                       tf.ones((2, 4, 4, 4)))
