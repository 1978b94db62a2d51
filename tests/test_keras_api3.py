"""Keras 3.15 API breadth (third round): activations, losses, metrics, utils, backend, config
and tree names Keras 3 has. Expected numbers come from real Keras 3.15.1 (JAX backend), run
offline and hard-coded here."""
import warnings

import numpy as np
import pytest

import graphflow as tf
from graphflow import keras
from conftest import check_grad

A = keras.activations
X = np.array([-2.5, -1.0, -0.3, 0.0, 0.4, 1.0, 3.0], "float32")

# keras.activations.<name>(X) in Keras 3.15.1
ACT = {
    "celu": [-0.9179149866104126, -0.6321205496788025, -0.25918176770210266, 0.0, 0.4, 1.0, 3.0],
    "hard_shrink": [-2.5, -1.0, 0.0, 0.0, 0.0, 1.0, 3.0],
    "hard_silu": [-0.2083333432674408, -0.3333333432674408, -0.13500000536441803, 0.0,
                  0.22666668891906738, 0.6666666865348816, 3.0],
    "hard_tanh": [-1.0, -1.0, -0.3, 0.0, 0.4, 1.0, 1.0],
    "log_sigmoid": [-2.578889846801758, -1.3132617473602295, -0.8543552756309509,
                    -0.6931471824645996, -0.5130152702331543, -0.3132616877555847,
                    -0.04858735203742981],
    "mish": [-0.19681617617607117, -0.3034014403820038, -0.15113317966461182, 0.0,
             0.2890305519104004, 0.8650984764099121, 2.9865355491638184],
    "soft_shrink": [-2.0, -0.5, 0.0, 0.0, 0.0, 0.5, 2.5],
    "sparse_plus": [0.0, 0.0, 0.1224999949336052, 0.25, 0.4899999797344208, 1.0, 3.0],
    "sparse_sigmoid": [0.0, 0.0, 0.35, 0.5, 0.7, 1.0, 1.0],
    "squareplus": [0.35078108310699463, 0.6180340051651001, 0.8611874580383301, 1.0,
                   1.2198039293289185, 1.6180340051651, 3.3027756214141846],
    "tanh_shrink": [-1.5133856534957886, -0.23840582370758057, -0.008687406778335571, 0.0,
                    0.020051002502441406, 0.23840582370758057, 2.0049452781677246],
}


@pytest.mark.parametrize("name", sorted(ACT))
def test_activation_values_as_keras(name):
    fn = getattr(A, name)
    np.testing.assert_allclose(fn(tf.constant(X)).numpy(), ACT[name], rtol=1e-5, atol=1e-6)
    assert A.get(name) is fn and A.deserialize(name) is fn and A.serialize(fn) == name


def test_activation_aliases_threshold_glu_sparsemax():
    assert A.get("hard_swish") is A.hard_silu and A.hard_swish is A.hard_silu
    np.testing.assert_allclose(A.threshold(tf.constant(X), 0.2, -7.0).numpy(),
                               [-7, -7, -7, -7, 0.4, 1.0, 3.0], rtol=1e-6)
    m = np.array([[0.5, 1.5, -1.0, 2.0], [0.1, 0.2, 0.3, 0.4]], "float32")
    np.testing.assert_allclose(A.glu(tf.constant(m)).numpy(),
                               [[0.13447071611881256, 1.3211956024169922],
                                [0.0574442520737648, 0.11973752826452255]], rtol=1e-5)
    # sparsemax is the Euclidean projection onto the simplex (Martins & Astudillo 2016).
    # NOTE Keras 3.15's own sparsemax returns [[0,0,0,0],[0,0,0,0]] here (its threshold sums
    # the cumulative sums); graphflow returns the projection, which sums to 1.
    np.testing.assert_allclose(A.sparsemax(tf.constant(m)).numpy(),
                               [[0, 0.25, 0, 0.75], [0.1, 0.2, 0.3, 0.4]], atol=1e-6)


def test_activation_deserialize_dict_and_registered():
    cfg = {"module": "keras.activations", "class_name": "function", "config": "celu",
           "registered_name": "function"}
    assert A.deserialize(cfg) is A.celu

    def twice(x):
        return x * 2.0
    assert A.deserialize("twice", custom_objects={"twice": twice}) is twice
    with pytest.raises(ValueError, match="nope"):
        A.deserialize("nope")


@pytest.mark.parametrize("name", ["mish", "celu", "squareplus", "log_sigmoid", "tanh_shrink"])
def test_activation_gradients(name):
    fn = getattr(A, name)
    check_grad(lambda x: fn(x), [np.array([-1.3, -0.2, 0.45, 2.1])])


def test_activation_layer_by_name():
    layer = keras.layers.Dense(3, activation="mish", kernel_initializer="ones")
    out = layer(np.array([[0.1, 0.2]], "float32")).numpy()
    np.testing.assert_allclose(out, [[0.3 * np.tanh(np.log1p(np.exp(0.3)))] * 3], rtol=1e-6)


# ---------------------------------------------------------------------------- losses
L = keras.losses
E = np.array([[0.186517, -0.195973, 0.950047, 0.155616], [-0.308495, 0.208245, 0.750981, 0.545429],
              [-0.446269, -0.802458, -0.395245, 0.026207], [-0.846606, -0.079668, -0.453669, -0.266638],
              [-0.42338, -0.24605, 0.320208, 0.810972], [-0.082121, 0.873039, -0.424996, 0.224581]],
             "float32")
LAB = np.array([0, 1, 0, 2, 1, 0])


def test_circle_loss_as_keras():
    np.testing.assert_allclose(L.circle(LAB, E).numpy(),
                               [207.097900390625, 18.124467849731445, 182.19003295898438, 0.0,
                                0.0002497796667739749, 170.13095092773438], rtol=2e-4, atol=1e-5)
    np.testing.assert_allclose(
        L.circle(LAB[:3], E[:3], ref_labels=LAB, ref_embeddings=E, remove_diagonal=False,
                 gamma=10.0, margin=0.25).numpy(),
        [27.887332916259766, 4.708544731140137, 24.818042755126953], rtol=1e-4)
    # the zero loss of example 3 is masked out of the mean, as Keras' set_keras_mask does
    np.testing.assert_allclose(float(L.Circle()(LAB, E)), 115.50872802734375, rtol=2e-4)
    np.testing.assert_allclose(float(L.Circle(reduction="sum")(LAB, E)), 577.5435791015625,
                               rtol=2e-4)
    np.testing.assert_allclose(float(L.Circle(gamma=20.0)(LAB, E, sample_weight=np.arange(6.) / 3)),
                               20.864816665649414, rtol=2e-4)
    assert L.Circle().get_config() == {"name": "circle", "reduction": "sum_over_batch_size",
                                       "gamma": 80.0, "margin": 0.4, "remove_diagonal": True}
    assert type(L.get("Circle")) is L.Circle and L.deserialize("circle") is L.circle
    check_grad(lambda e: L.circle(LAB[:4], e, gamma=2.0), [E[:4]], order=1)


def test_generalized_cross_entropy_as_keras():
    p = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.25, 0.5, 0.25]], "float32")
    y = np.array([0, 2, 1])
    np.testing.assert_allclose(L.categorical_generalized_cross_entropy(y, p, 0.3).numpy(),
                               [0.3382551670074463, 0.4736093580722809, 0.6258252859115601],
                               rtol=1e-5)
    gce = L.CategoricalGeneralizedCrossEntropy()
    np.testing.assert_allclose(float(gce(y, p)), 0.45442435145378113, rtol=1e-5)
    assert gce.get_config() == {"name": "categorical_generalized_cross_entropy",
                                "reduction": "sum_over_batch_size", "q": 0.5}
    with pytest.raises(ValueError, match="q must be in the interval"):
        L.CategoricalGeneralizedCrossEntropy(q=1.5)


CTC_LOGITS = np.array(
    [[[0.90347, 0.09401, -0.7435, -0.92173], [-0.45773, 0.2202, -1.00962, -0.20918],
      [-0.15923, 0.54085, 0.21466, 0.35537], [-0.65383, -0.12961, 0.78398, 1.49343],
      [-1.25907, 1.51392, 1.34588, 0.78131]],
     [[0.26446, -0.31392, 1.45802, 1.96026], [1.80163, 1.3151, 0.35738, -1.20832],
      [-0.00445, 0.65647, -1.28836, 0.39512], [0.42986, 0.69604, -1.18412, -0.6617],
      [-0.43644, -1.1698, 1.73937, -0.49591]]], "float32")


def test_ctc_loss_as_keras():
    y = np.array([[1, 2, 0], [3, 0, 0]])
    np.testing.assert_allclose(L.ctc(y, CTC_LOGITS).numpy(),
                               [3.153787851333618, 5.6242475509643555], rtol=1e-5)
    np.testing.assert_allclose(float(L.CTC()(y, CTC_LOGITS)), 4.389017581939697, rtol=1e-5)
    assert L.CTC().get_config() == {"name": "ctc", "reduction": "sum_over_batch_size"}
    with pytest.raises(ValueError, match=r"keras.losses.ctc: targets .* shape \(3,\)"):
        L.ctc(np.array([1, 2, 0]), CTC_LOGITS)


# ---------------------------------------------------------------------------- metrics
M = keras.metrics
YT = np.array([[0, 1, 0.5], [1, 1, 0.2], [0.3, -0.2, 0.9]], "float32")
YP = np.array([[0.1, 0.9, 0.5], [1, 0.9, 0.2], [0.5, 0.1, 0.4]], "float32")


def test_correlation_metrics_as_keras():
    np.testing.assert_allclose(M.pearson_correlation(YT, YP).numpy(),
                               [0.9999999403953552, 0.9933992624282837, 0.6832435131072998],
                               rtol=1e-5)
    np.testing.assert_allclose(M.pearson_correlation(YT, YP, axis=0).numpy(),
                               [0.9867612719535828, 1.0, 0.5903013944625854], rtol=1e-5)
    np.testing.assert_allclose(M.concordance_correlation(YT, YP).numpy(),
                               [0.975609302520752, 0.987653911113739, 0.4519228935241699],
                               rtol=1e-5)
    np.testing.assert_allclose(M.concordance_correlation(YT, YP, axis=0).numpy(),
                               [0.9480966925621033, 0.920863151550293, 0.33628296852111816],
                               rtol=1e-5)
    m = M.PearsonCorrelation()
    m.update_state(YT, YP)
    m.update_state(YT[:2], YP[:2] * 2, sample_weight=[1.0, 3.0])
    np.testing.assert_allclose(float(m.result()), 0.9509772062301636, rtol=1e-5)
    assert m.get_config() == {"name": "pearson_correlation", "dtype": "float32", "axis": -1}
    m = M.ConcordanceCorrelation(axis=0)
    m.update_state(YT, YP)
    np.testing.assert_allclose(float(m.result()), 0.7350809574127197, rtol=1e-5)
    assert m.get_config() == {"name": "concordance_correlation", "dtype": "float32", "axis": 0}
    assert type(M.get("pearson_correlation")) is M.PearsonCorrelation
    assert M.huber is L.huber and M.binary_focal_crossentropy is L.binary_focal_crossentropy
    assert M.categorical_focal_crossentropy is L.categorical_focal_crossentropy


def test_correlation_metric_in_fit():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(3)])
    model.compile("sgd", "mse", metrics=[M.PearsonCorrelation()], jit_compile=False)
    hist = model.fit(YT, YP, epochs=1, verbose=0)
    w, b = model.layers[0].get_weights()
    # after the step, evaluate on the same data: the metric is the correlation of predictions
    pred = YT @ w + b
    expect = np.mean([np.corrcoef(a, p)[0, 1] for a, p in zip(YP, pred)])
    res = model.evaluate(YT, YP, verbose=0, return_dict=True)
    np.testing.assert_allclose(res["pearson_correlation"], expect, rtol=1e-4)
    assert "pearson_correlation" in hist.history


# ---------------------------------------------------------------------------- backend / utils
B = keras.backend
U = keras.utils


def test_backend_dtype_helpers_as_keras_tf_backend():
    cases = [None, "float16", int, float, bool, "int", np.float64, np.dtype("int8"), "bfloat16"]
    assert [B.standardize_dtype(c) for c in cases] == [
        "float32", "float16", "int64", "float32", "bool", "int64", "float64", "int8", "bfloat16"]
    assert U.standardize_dtype(tf.float64) == "float64"
    with pytest.raises(ValueError, match="Invalid dtype: foo"):
        B.standardize_dtype("foo")
    # keras.backend.result_type on Keras 3.15's TensorFlow backend
    expect = {("int32", "float32"): "float32", ("int8", "uint8"): "int16",
              ("uint32", "int32"): "int64", ("uint64", "int8"): "float32",
              ("bfloat16", "float16"): "float32", ("float16", int): "float16",
              ("int8", int): "int8", ("int8", float): "float32", ("bool", int): "int32",
              ("bool", "bool"): "bool", (int, float): "float32", ("int64", "float16"): "float16",
              ("complex64", float): "complex64", ("float64", "float32"): "float64",
              ("int64", "int32"): "int64", ("uint8", "uint16"): "uint16", (int,): "int32",
              (float,): "float32", (): "float32", ("bool", float): "float32",
              ("complex64", "float64"): "complex64", ("uint64", "int64"): "float32"}
    for args, out in expect.items():
        assert B.result_type(*args) == out, args
    with pytest.raises(ValueError, match="float8"):
        B.result_type("float8_e4m3fn", "float32")
    assert (B.is_float_dtype("bfloat16"), B.is_float_dtype(int), B.is_int_dtype("uint8"),
            B.is_int_dtype(float), B.is_int_dtype("bool")) == (True, False, True, False, False)


def test_backend_uid_and_keras_tensor():
    first = B.get_uid("h7_prefix")
    assert B.get_uid("h7_prefix") == first + 1 and B.get_uid("h7_other") == 1
    x = keras.Input((3,))
    assert B.is_keras_tensor(x) and U.is_keras_tensor(keras.layers.Dense(2)(x))
    assert not B.is_keras_tensor(tf.constant([1.0])) and not U.is_keras_tensor(np.ones(2))


def test_get_source_inputs_pack_unpack():
    a, b, c = keras.Input((2,), name="a"), keras.Input((2,), name="b"), keras.Input((2,))
    y = keras.layers.Concatenate()([keras.layers.Dense(2)(b), a, a + b])
    src = U.get_source_inputs(y)
    assert len(src) == 2 and src[0] is b and src[1] is a
    assert U.get_source_inputs(c) == [c]
    assert U.pack_x_y_sample_weight(1) == 1 and U.pack_x_y_sample_weight((1, 2)) == ((1, 2),)
    assert U.pack_x_y_sample_weight(1, 2, 3) == (1, 2, 3)
    assert U.unpack_x_y_sample_weight(5) == (5, None, None)
    assert U.unpack_x_y_sample_weight([5, 6]) == (5, 6, None)
    with pytest.raises(ValueError, match="found"):
        U.unpack_x_y_sample_weight((1, 2, 3, 4))


def test_save_img_round_trip(tmp_path):
    img = np.stack([np.arange(12).reshape(3, 4)] * 3, -1).astype("float32")
    path = str(tmp_path / "x.png")
    U.save_img(path, img)
    back = U.img_to_array(U.load_img(path))
    np.testing.assert_allclose(back, np.round(img / 11 * 255 - 0.5 + 0.5).astype("uint8"), atol=1)
    U.save_img(str(tmp_path / "y.png"), img, scale=False)
    np.testing.assert_allclose(U.img_to_array(U.load_img(str(tmp_path / "y.png"))), img)


def test_config_object_and_registered_names():
    c = U.Config(learning_rate=0.1)
    c.seed = 3
    c["m"] = 0.9
    assert (c.learning_rate, c["seed"], list(c), len(c), "m" in c) == \
        (0.1, 3, ["learning_rate", "m", "seed"], 3, True)
    assert c.as_dict() == {"learning_rate": 0.1, "seed": 3, "m": 0.9}
    with pytest.raises(AttributeError, match="Did you mean 'seed'"):
        c.seedd
    c.freeze()
    with pytest.raises(ValueError, match="frozen"):
        c.seed = 4
    c.unfreeze()
    c.seed = 4
    assert c.seed == 4

    @keras.saving.register_keras_serializable(package="h7")
    def triple(x):
        return 3 * x
    assert U.get_registered_name(triple) == "h7>triple"
    assert U.get_registered_object("h7>triple") is triple
    assert U.get_registered_name(keras.layers.Dense) == "Dense"


def test_config_logging_and_flash_attention_toggles():
    K = keras.config
    U.disable_interactive_logging()
    assert not U.is_interactive_logging_enabled() and not K.is_interactive_logging_enabled()
    U.enable_interactive_logging()
    assert U.is_interactive_logging_enabled()
    K.disable_flash_attention()
    assert K.is_flash_attention_enabled() is False
    K.enable_flash_attention()
    assert K.is_flash_attention_enabled() is None and K.is_nnx_enabled() is False
    with pytest.raises(ValueError, match="graphflow"):
        K.set_backend("jax")


def test_model_to_dot_without_pydot():
    pytest.importorskip("numpy")
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    try:
        import pydot  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match=r"pip install pydot"):
            U.model_to_dot(model)
    else:
        assert len(U.model_to_dot(model).get_nodes()) >= 2


def test_max_epochs_and_steps_cap_fit_evaluate_predict():
    K = keras.config
    x = np.arange(40, dtype="float32").reshape(20, 2) / 40
    y = x.sum(-1, keepdims=True)
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse", jit_compile=False)
    seen = []
    cb = keras.callbacks.LambdaCallback(on_train_batch_end=lambda b, logs: seen.append(b))
    K.set_max_epochs(2)
    K.set_max_steps_per_epoch(3)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            hist = model.fit(x, y, epochs=5, batch_size=4, verbose=0, callbacks=[cb])
        assert {"Limiting epochs to 2", "Limiting steps_per_epoch to 3"} <= \
            {str(w.message) for w in caught}
        assert len(hist.history["loss"]) == 2 and seen == [0, 1, 2, 0, 1, 2]
        with pytest.warns(UserWarning, match="Limiting steps_per_epoch to 3"):
            assert model.predict(x, batch_size=4, verbose=0).shape == (12, 1)
    finally:
        K.set_max_epochs(None)
        K.set_max_steps_per_epoch(None)
    assert K.max_epochs() is None and K.max_steps_per_epoch() is None
    assert model.predict(x, batch_size=4, verbose=0).shape == (20, 1)


# ---------------------------------------------------------------------------- tree
T = keras.tree


def test_tree_additions_as_keras():
    assert T.traverse(lambda x: T.MAP_TO_NONE if x == 2 else None, [1, 2]) == [1, None]
    assert T.traverse(lambda x: T.MAP_TO_NONE if isinstance(x, tuple) else None,
                      [1, (2, 3)], top_down=False) == [1, None]
    out = T.map_shape_structure(lambda s: (None,) + tuple(s), {"a": (3, 4), "b": [(2,), [5]]})
    assert out == {"a": (None, 3, 4), "b": [(None, 2), (None, 5)]}
    assert T.map_shape_structure(lambda s: s, {"a": (), "n": None, "x": 3.0}) == \
        {"a": (), "n": None, "x": 3.0}
    import collections
    P1 = collections.namedtuple("P1", "x y")
    P2 = collections.namedtuple("P2", "x y")
    T.assert_same_paths([0, 1], (2, 3))
    T.assert_same_paths(P1(0, 1), P2(2, 3))
    with pytest.raises(ValueError, match=r"Paths in `a` missing in `b`:\n\{\('a',\)\}"):
        T.assert_same_paths({"a": 1}, {"b": 1})


# ---------------------------------------------------------------------------- optimizers
O = keras.optimizers
W0 = [[[1.0, 2.0, -1.5], [3.0, -4.0, 0.5]], [0.3, -0.2]]
GSEQ = [[[[0.5, -1.0, 0.2], [0.1, 0.3, -0.7]], [1.0, -2.0]],
        [[[-0.2, 0.4, 0.9], [0.6, -0.1, 0.05]], [0.5, 0.25]],
        [[[0.3, 0.3, -0.3], [-0.8, 0.2, 0.4]], [-1.5, 0.1]]]


def _run(opt, w0s=W0, gseq=GSEQ):
    ws = [tf.Variable(np.array(w, "float32")) for w in w0s]
    for gs in gseq:
        opt.apply_gradients([(tf.constant(np.array(g, "float32")), w) for g, w in zip(gs, ws)])
    return [w.numpy() for w in ws]


# 3 steps on a matrix and a vector, Keras 3.15.1 (JAX backend)
OPT_CASES = {
    "lamb": (lambda: O.Lamb(0.1), [[[0.2822762131690979, 2.423464775085449, -2.359198570251465],
                                    [2.5088465213775635, -4.776791572570801, 1.0362703800201416]],
                                   [0.25252288579940796, -0.12877319753170013]]),
    "lamb_wd": (lambda: O.Lamb(0.05, beta_1=0.8, weight_decay=0.1),
                [[[0.6468414068222046, 2.1448473930358887, -1.892567753791809],
                  [2.729118824005127, -4.3089704513549805, 0.7190737724304199]],
                 [0.2755753993988037, -0.16170969605445862]]),
    "adafactor": (lambda: O.Adafactor(0.5),
                  [[[-0.5384266972541809, 1.5512373447418213, -2.9536612033843994],
                    [2.1517677307128906, -4.884888648986816, 1.1852664947509766]],
                   [0.20134679973125458, -0.09046810120344162]]),
    "adafactor_norel": (lambda: O.Adafactor(0.5, relative_step=False, clip_threshold=0.5,
                                            beta_2_decay=-0.5),
                        [[[0.19231949746608734, 1.6362183094024658, -2.0607006549835205],
                          [2.574780225753784, -4.476008892059326, 0.861821711063385]],
                         [0.22875939309597015, -0.16301779448986053]]),
    "adafactor_sched": (lambda: O.Adafactor(O.schedules.ExponentialDecay(2.0, 1, 0.5)),
                        [[[-1.7335642576217651, 1.769728183746338, -4.529416561126709],
                          [0.45459920167922974, -5.452330112457275, 2.555267810821533]],
                         [0.04637579992413521, 0.04636719822883606]]),
}


@pytest.mark.parametrize("key", sorted(OPT_CASES))
def test_lamb_adafactor_as_keras(key):
    make, expect = OPT_CASES[key]
    for got, want in zip(_run(make()), expect):
        np.testing.assert_allclose(got, want, rtol=2e-5, atol=2e-6)


def test_optimizer_configs_and_names():
    cfg = O.Adafactor().get_config()
    assert {k: cfg[k] for k in ("beta_2_decay", "epsilon_1", "epsilon_2", "clip_threshold",
                                "relative_step")} == \
        {"beta_2_decay": -0.8, "epsilon_1": 1e-30, "epsilon_2": 0.001, "clip_threshold": 1.0,
         "relative_step": True}
    assert type(O.get("lamb")) is O.Lamb and type(O.get("adafactor")) is O.Adafactor
    assert type(O.deserialize(O.serialize(O.Lamb(0.2)))) is O.Lamb
    assert keras.mixed_precision.LossScaleOptimizer is O.LossScaleOptimizer


@pytest.mark.filterwarnings("ignore:invalid value encountered")
def test_loss_scale_optimizer_as_keras():
    # Keras 3.15 on its TensorFlow backend (its JAX backend fails on this eager loop)
    opt = O.LossScaleOptimizer(O.SGD(0.1), initial_scale=8.0, dynamic_growth_steps=2)
    w = tf.Variable([1.0, -1.0])
    expect = [([0.9, -1.05], 8.0, 1, 1), ([0.9, -1.05], 4.0, 0, 1), ([0.85, -1.1], 4.0, 1, 2),
              ([0.75, -1.2], 8.0, 0, 3), ([0.75, -1.2], 4.0, 0, 3), ([0.55, -1.4], 4.0, 1, 4)]
    for g, (wv, scale, counter, it) in zip(
            [[8.0, 4.0], [16.0, np.inf], [2.0, 2.0], [4.0, 4.0], [np.nan, 1.0], [8.0, 8.0]],
            expect):
        opt.apply_gradients([(tf.constant(np.array(g, "float32")), w)])
        np.testing.assert_allclose(w.numpy(), wv, rtol=1e-6)
        assert (float(opt.dynamic_scale.numpy()), int(opt.step_counter.numpy()),
                int(opt.iterations.numpy())) == (scale, counter, it)
    opt = O.LossScaleOptimizer(O.Adam(0.1), initial_scale=4.0, dynamic_growth_steps=3)
    w = tf.Variable([1.0, -1.0])
    expect = [([0.900000810623169, -1.099998950958252], 4.0, 1),
              ([0.900000810623169, -1.099998950958252], 2.0, 1),
              ([0.80678391456604, -1.1999976634979248], 2.0, 2),
              ([0.7104883193969727, -1.2967761754989624], 2.0, 3),
              ([0.6422474980354309, -1.3860775232315063], 4.0, 4)]
    for g, (wv, scale, it) in zip([[8.0, 4.0], [16.0, np.inf], [2.0, 2.0], [4.0, 4.0],
                                   [-1.0, 1.0]], expect):
        opt.apply_gradients([(tf.constant(np.array(g, "float32")), w)])
        np.testing.assert_allclose(w.numpy(), wv, rtol=1e-5)
        assert (float(opt.dynamic_scale.numpy()), int(opt.iterations.numpy())) == (scale, it)
    cfg = O.LossScaleOptimizer(O.SGD(0.1)).get_config()
    assert (cfg["initial_scale"], cfg["dynamic_growth_steps"],
            cfg["inner_optimizer"]["class_name"]) == (32768.0, 2000, "SGD")
    with pytest.raises(ValueError, match="does not support `clipnorm`"):
        O.LossScaleOptimizer(O.SGD(), clipnorm=1.0)


def test_loss_scale_optimizer_in_fit_matches_plain_sgd():
    x = np.linspace(-1, 1, 16, dtype="float32").reshape(8, 2)
    y = x @ np.array([[1.5], [-0.5]], "float32")
    weights = None
    outs = []
    for opt in (O.SGD(0.1), O.LossScaleOptimizer(O.SGD(0.1), initial_scale=1024.0)):
        model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        if weights is None:
            weights = model.get_weights()
        model.set_weights(weights)
        model.compile(opt, "mse", jit_compile=False)
        model.fit(x, y, epochs=2, batch_size=4, shuffle=False, verbose=0)
        outs.append(model.get_weights())
    for a, b in zip(*outs):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_ops_names_shared_across_namespaces():
    ops = keras.ops
    assert ops.nn.polar is ops.polar and ops.numpy.slogdet is ops.slogdet
    assert ops.numpy.view is ops.view and ops.linalg.jvp is ops.jvp
    z = ops.nn.polar(np.array([1.0, 2.0]), np.array([0.0, np.pi / 2])).numpy()
    np.testing.assert_allclose(z, [1.0, 2.0j], atol=1e-7)
    # Keras 3.15: float32 1.0 and 2.0 viewed as int32
    assert ops.numpy.view(np.array([1.0, 2.0], "float32"), "int32").numpy().tolist() == \
        [1065353216, 1073741824]
    sign, logdet = ops.numpy.slogdet(np.array([[2.0, 0.0], [0.0, -3.0]], "float32"))
    assert float(sign) == -1.0 and abs(float(logdet) - np.log(6.0)) < 1e-6


def test_keras_random_int_seed_is_stateless_as_keras3():
    # TF-backend Keras 3.15: an int seed draws tf.random.stateless_* with [seed, 0]
    k = keras.random
    a, b = k.normal((3,), seed=3), k.normal((3,), seed=3)
    np.testing.assert_allclose(a.numpy(), [-0.6715848, 1.6760504, -0.94424546], rtol=1e-6)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    np.testing.assert_allclose(k.uniform((2,), seed=3).numpy(), [0.19591284, 0.93934524],
                               rtol=1e-6)
    assert k.randint((2,), 0, 10, seed=3).numpy().tolist() == [8, 7]
    gen = k.SeedGenerator(5)   # a SeedGenerator still advances
    assert not np.array_equal(k.normal((3,), seed=gen).numpy(), k.normal((3,), seed=gen).numpy())
