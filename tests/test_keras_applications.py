"""keras.applications builders: parameter counts, output shapes, layer names and forward values
against Keras 3.15 (numbers produced offline with Keras on the jax backend, hard-coded here),
preprocess_input vs Keras, and the no-download errors. Each model is built once."""
import functools
import json
import zlib

import numpy as np
import pytest

import graphflow as tf

A = tf.keras.applications


@functools.lru_cache(maxsize=None)
def build(key):
    fn, kwargs = BUILDS[key]
    return fn(weights=None, **dict(kwargs))


BUILDS = {
    # full ImageNet classifiers (default input size)
    "MobileNetV2": (A.MobileNetV2, ()),
    "ResNet50": (A.ResNet50, ()),
    "DenseNet121": (A.DenseNet121, ()),
    "EfficientNetB0": (A.EfficientNetB0, ()),
    "Xception": (A.Xception, ()),
    "MobileNet": (A.MobileNet, ()),
    # feature extractors (their counts do not depend on the input size)
    "ResNet101-notop": (A.ResNet101, (("include_top", False),)),
    "ResNet152-notop": (A.ResNet152, (("include_top", False),)),
    "VGG16-notop": (A.VGG16, (("include_top", False),)),
    "VGG19-notop": (A.VGG19, (("include_top", False),)),
    # small classifiers / extractors for forward passes
    "VGG16-32": (A.VGG16, (("input_shape", (32, 32, 3)), ("classes", 10))),
    "MobileNetV2-small": (A.MobileNetV2, (("alpha", 0.35), ("input_shape", (32, 32, 3)),
                                          ("classes", 5))),
    "MobileNet-small": (A.MobileNet, (("alpha", 0.25), ("input_shape", (32, 32, 3)),
                                      ("classes", 5))),
    "EfficientNetB0-avg": (A.EfficientNetB0, (("include_top", False), ("pooling", "avg"),
                                              ("input_shape", (32, 32, 3)))),
    "DenseNet121-max": (A.DenseNet121, (("include_top", False), ("pooling", "max"),
                                        ("input_shape", (32, 32, 3)))),
}

# key: (count_params, trainable params, output shape, number of layers or None) from Keras 3.15
KERAS = {
    "MobileNetV2": (3538984, 3504872, (None, 1000), 156),
    "ResNet50": (25636712, 25583592, (None, 1000), 177),
    "DenseNet121": (8062504, 7978856, (None, 1000), 429),
    "EfficientNetB0": (5330571, 5288548, (None, 1000), 240),
    "Xception": (22910480, 22855952, (None, 1000), 134),
    "MobileNet": (4253864, 4231976, (None, 1000), 91),
    "ResNet101-notop": (42658176, 42552832, (None, None, None, 2048), None),
    "ResNet152-notop": (58370944, 58219520, (None, None, None, 2048), None),
    "VGG16-notop": (14714688, 14714688, (None, None, None, 512), None),
    "VGG19-notop": (20024384, 20024384, (None, None, None, 512), None),
}


@pytest.mark.parametrize("key", sorted(KERAS))
def test_parameter_counts_match_keras(key):
    total, trainable, shape, n_layers = KERAS[key]
    m = build(key)
    assert m.count_params() == total
    assert sum(int(np.prod(w.shape)) for w in m.trainable_weights) == trainable
    assert tuple(m.output_shape) == shape
    if n_layers is not None:
        assert len(m.layers) == n_layers


def test_model_and_layer_names_match_keras():
    assert build("MobileNetV2").name == "mobilenetv2_1.00_224"
    assert build("MobileNet").name == "mobilenet_1.00_224"
    assert build("ResNet50").name == "resnet50"
    names = {layer.name for layer in build("ResNet50").layers}
    assert {"conv1_conv", "conv2_block1_0_conv", "conv5_block3_out", "avg_pool",
            "predictions"} <= names
    names = {layer.name for layer in build("EfficientNetB0").layers}
    assert {"stem_conv", "block2b_se_excite", "block6d_drop", "top_conv", "predictions"} <= names
    names = {layer.name for layer in build("Xception").layers}
    assert {"block2_sepconv2_act", "block13_pool", "block14_sepconv2_act"} <= names
    names = {layer.name for layer in build("MobileNetV2").layers}
    assert {"expanded_conv_project_BN", "block_16_project", "out_relu"} <= names


def _fill(model):
    """Deterministic weights from each layer's name and the weight's position (the same
    function filled the Keras models): equal outputs mean equal names, shapes and wiring."""
    for layer in model.layers:
        for i, w in enumerate(layer.weights):
            rs = np.random.RandomState(zlib.crc32(f"{layer.name}/{i}".encode()))
            v = rs.uniform(-0.5, 0.5, size=tuple(w.shape))
            base = w.name.split("/")[-1].split(":")[0]
            if "variance" in base:
                v = np.abs(v) + 0.5
            elif base == "count":
                v = np.zeros(tuple(w.shape))
            w.assign(v.astype(w.dtype.np))


X32 = np.random.RandomState(0).uniform(0, 255, size=(2, 32, 32, 3)).astype("float32")

# key: (count_params, output shape, first 6 output values, sum |output|) from Keras 3.15
FORWARD = {
    "MobileNetV2-small": (416613, (None, 5), [7.554676e-06, 3.400110e-06, 1.589833e-05,
                                              0.9999702, 2.977174e-06, 7.554662e-06], 2.0),
    "MobileNet-small": (219829, (None, 5), [0.03188019, 0.1216644, 0.2330196, 0.2063361,
                                            0.4070998, 0.03188019], 2.0),
    "EfficientNetB0-avg": (4049571, (None, 1280), [-0.2000832, -0.2779498, -0.1740022, -0.236377,
                                                   1.387826, -0.2655391], 803.11639),
    "DenseNet121-max": (7037504, (None, 1024), [26511.22, 0.0, 31361.40, 132571.39, 31502.62,
                                                0.0], 77990752.0),
}


@pytest.mark.parametrize("key", sorted(FORWARD))
def test_forward_matches_keras(key):
    total, shape, head, abs_sum = FORWARD[key]
    m = build(key)
    assert m.count_params() == total and tuple(m.output_shape) == shape
    _fill(m)
    y = m(X32, training=False).numpy()
    assert y.shape == (2,) + shape[1:]
    np.testing.assert_allclose(y.ravel()[:6], head, rtol=2e-3, atol=1e-5)
    np.testing.assert_allclose(np.abs(y).sum(), abs_sum, rtol=2e-3)


def test_vgg_small_top_and_pooling_shapes():
    m = build("VGG16-32")
    # Flatten of (1, 1, 512), fc1, fc2 and 10 classes (Keras: 33638218)
    assert m.count_params() == 33638218
    assert [l.name for l in m.layers[-4:]] == ["flatten", "fc1", "fc2", "predictions"]
    m = A.MobileNet(weights=None, alpha=0.25, include_top=False, pooling="max",
                    input_shape=(64, 48, 3))
    assert m.output_shape == (None, 256)
    m = A.MobileNet(weights=None, alpha=0.25, include_top=False, input_shape=(64, 48, 3))
    assert m.output_shape == (None, 2, 1, 256)
    y = m(np.ones((1, 64, 48, 3), "float32")).numpy()
    assert y.shape == (1, 2, 1, 256) and np.all(y >= 0) and np.all(y <= 6)   # ReLU6 output


def test_input_tensor_and_classifier_activation():
    inp = tf.keras.Input(shape=(32, 32, 3))
    m = A.MobileNet(weights=None, alpha=0.25, input_tensor=inp, classes=3,
                    classifier_activation=None)
    assert m.inputs[0] is inp and m.output_shape == (None, 3)
    logits = m(X32).numpy()
    probs = A.MobileNet(weights=None, alpha=0.25, input_tensor=inp, classes=3)(X32).numpy()
    assert not np.allclose(logits.sum(-1), 1.0)
    np.testing.assert_allclose(probs.sum(-1), 1.0, rtol=1e-5)


def test_intermediate_input_tensor_starts_the_model_at_its_inputs():
    inp = tf.keras.Input(shape=(32, 32, 3))
    scaled = tf.keras.layers.Rescaling(0.5)(inp)
    m = A.MobileNet(weights=None, alpha=0.25, input_tensor=scaled, include_top=False,
                    pooling="avg")
    assert m.inputs[0] is inp and m.layers[1].name.startswith("rescaling")
    plain = A.MobileNet(weights=None, alpha=0.25, input_shape=(32, 32, 3), include_top=False,
                        pooling="avg")
    for a, b in zip(m.weights, plain.weights):
        b.assign(a.numpy())
    np.testing.assert_allclose(m(X32).numpy(), plain(X32 * 0.5).numpy(), rtol=1e-5, atol=1e-6)


def test_weights_imagenet_and_bad_arguments_raise_clearly():
    with pytest.raises(ValueError, match=r"cannot be downloaded.*load_weights\(path\)"):
        A.ResNet50(weights="imagenet")
    with pytest.raises(ValueError, match="MobileNetV2.*cannot be downloaded"):
        A.MobileNetV2()                       # Keras' default is weights="imagenet"
    with pytest.raises(ValueError, match="does not exist"):
        A.VGG16(weights="/no/such/file.weights.h5")
    with pytest.raises(ValueError, match="spatial size must be known"):
        A.MobileNet(weights=None, input_shape=(None, None, 3))
    with pytest.raises(ValueError, match="at least 71x71"):
        A.Xception(weights=None, include_top=False, input_shape=(64, 64, 3))
    with pytest.raises(ValueError, match="pooling"):
        A.MobileNet(weights=None, alpha=0.25, include_top=False, pooling="sum",
                    input_shape=(32, 32, 3))


def test_weights_path_loads_a_saved_file(tmp_path):
    m = build("MobileNet-small")
    path = str(tmp_path / "m.weights.h5")
    m.save_weights(path)
    m2 = A.MobileNet(weights=path, alpha=0.25, input_shape=(32, 32, 3), classes=5)
    for a, b in zip(m.weights, m2.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


X_PRE = (np.arange(24).reshape(2, 2, 2, 3) * 10.5).astype("float32")
CAFFE = [-82.939, -106.279, -123.68, -51.439, -74.779, -92.18, -19.939, -43.279, -60.68,
         11.561, -11.779, -29.18]
TF_MODE = [-1.0, -0.91764706, -0.83529413, -0.75294119, -0.67058825, -0.58823526, -0.50588238,
           -0.42352939, -0.34117645, -0.25882351, -0.17647058, -0.09411764]
TORCH = [-2.1179039, -1.8518907, -1.4384314, -1.5784743, -1.30042, -0.88941175, -1.0390445,
         -0.7489495, -0.34039208, -0.4996147, -0.19747896, 0.20862752]


@pytest.mark.parametrize("module,expected", [
    ("resnet", CAFFE), ("resnet50", CAFFE), ("vgg16", CAFFE), ("vgg19", CAFFE),
    ("mobilenet_v2", TF_MODE), ("mobilenet", TF_MODE), ("xception", TF_MODE),
    ("densenet", TORCH), ("efficientnet", X_PRE.ravel()[:12].tolist())])
def test_preprocess_input_matches_keras(module, expected):
    y = getattr(A, module).preprocess_input(X_PRE.copy())
    np.testing.assert_allclose(np.asarray(y).ravel()[:12], expected, rtol=1e-5, atol=1e-5)
    if module != "efficientnet":                    # a tensor gives the same values
        t = getattr(A, module).preprocess_input(tf.constant(X_PRE))
        assert isinstance(t, tf.Tensor)
        np.testing.assert_allclose(t.numpy().ravel()[:12], expected, rtol=1e-5, atol=1e-5)


def test_preprocess_input_channels_first_and_integers():
    first = np.ascontiguousarray(X_PRE.transpose(0, 3, 1, 2))
    y = A.imagenet_utils.preprocess_input(first, mode="caffe", data_format="channels_first")
    np.testing.assert_allclose(y.ravel()[:12], [-82.939, -51.439, -19.939, 11.561, -106.279,
                                                -74.779, -43.279, -11.779, -123.68, -92.18,
                                                -60.68, -29.18], rtol=1e-5)
    y = A.imagenet_utils.preprocess_input(first, mode="torch", data_format="channels_first")
    np.testing.assert_allclose(y.ravel()[:4], [-2.1179039, -1.5784743, -1.0390445, -0.4996147],
                               rtol=1e-5)
    assert A.resnet.preprocess_input(np.arange(6, dtype="uint8").reshape(1, 2, 3)).dtype \
        == np.float32
    np.testing.assert_array_equal(first, X_PRE.transpose(0, 3, 1, 2))   # input left alone


def test_decode_predictions_needs_a_local_class_index(tmp_path, monkeypatch):
    monkeypatch.delenv("GRAPHFLOW_IMAGENET_CLASS_INDEX", raising=False)
    preds = np.zeros((2, 1000), "float32")
    preds[0, [3, 7]] = [0.9, 0.1]
    preds[1, 999] = 1.0
    with pytest.raises(ValueError, match="cannot be downloaded.*class_index_path"):
        A.resnet.decode_predictions(preds)
    with pytest.raises(ValueError, match=r"shape \(samples, 1000\).*\(2, 10\)"):
        A.vgg16.decode_predictions(np.zeros((2, 10)))
    index = {str(i): [f"n{i:08d}", f"class_{i}"] for i in range(1000)}
    path = tmp_path / "imagenet_class_index.json"
    path.write_text(json.dumps(index))
    out = A.mobilenet_v2.decode_predictions(preds, top=2, class_index_path=str(path))
    assert [t[:2] for t in out[0]] == [("n00000003", "class_3"), ("n00000007", "class_7")]
    np.testing.assert_allclose([t[2] for t in out[0]], [0.9, 0.1])
    monkeypatch.setenv("GRAPHFLOW_IMAGENET_CLASS_INDEX", str(path))
    assert A.densenet.decode_predictions(preds, top=1)[1][0][:2] == ("n00000999", "class_999")
