"""keras.applications added for Keras 3.15 parity (ResNetV2, InceptionV3, MobileNetV3,
EfficientNetV2, ConvNeXt): parameter counts, trainable counts, output shapes and layer counts
against Keras 3.15.1 (JAX backend, numbers produced offline), forward values with
deterministic weights, and the no-download rules. Each model is built once."""
import functools

import numpy as np
import pytest

import graphflow as tf
from graphflow import keras
from test_keras_applications import _fill   # the weight filler the Keras numbers used

A = keras.applications


@functools.lru_cache(maxsize=None)
def build(key):
    fn, kwargs = BUILDS[key]
    keras.backend.clear_session()      # auto-named layers get Keras' names
    return getattr(A, fn)(weights=None, **dict(kwargs))


S32 = (("input_shape", (32, 32, 3)), ("classes", 7))
BUILDS = {
    "ResNet50V2": ("ResNet50V2", ()),
    "ResNet101V2-avg": ("ResNet101V2", (("include_top", False), ("pooling", "avg"),
                                        ("input_shape", (64, 64, 3)))),
    "InceptionV3": ("InceptionV3", ()),
    "InceptionV3-small": ("InceptionV3", (("input_shape", (75, 75, 3)), ("classes", 7))),
    "MobileNetV3Small": ("MobileNetV3Small", ()),
    "MobileNetV3Large-notop": ("MobileNetV3Large", (("include_top", False),)),
    "EfficientNetV2B0": ("EfficientNetV2B0", ()),
    "EfficientNetV2B2-small": ("EfficientNetV2B2", S32),
    "ConvNeXtTiny": ("ConvNeXtTiny", ()),
    "ConvNeXtTiny-avg": ("ConvNeXtTiny", (("include_top", False), ("pooling", "avg"),
                                          ("input_shape", (64, 64, 3)))),
    "MobileNetV3Small-small": ("MobileNetV3Small", (("input_shape", (32, 32, 3)),
                                                    ("classes", 5))),
    "MobileNetV3Large-avg": ("MobileNetV3Large", (("input_shape", (32, 32, 3)),
                                                  ("include_top", False), ("pooling", "avg"))),
    "EfficientNetV2B0-avg": ("EfficientNetV2B0", (("input_shape", (32, 32, 3)),
                                                  ("include_top", False), ("pooling", "avg"))),
    "InceptionV3-avg": ("InceptionV3", (("input_shape", (75, 75, 3)), ("include_top", False),
                                        ("pooling", "avg"))),
}

# key: (count_params, trainable params, output shape, number of layers, model name), Keras 3.15
KERAS = {
    "ResNet50V2": (25613800, 25568360, (None, 1000), 192, "resnet50v2"),
    "ResNet101V2-avg": (42626560, 42528896, (None, 2048), 378, "resnet101v2"),
    "InceptionV3": (23851784, 23817352, (None, 1000), 313, "inception_v3"),
    "InceptionV3-small": (21817127, 21782695, (None, 7), 313, "inception_v3"),
    "MobileNetV3Small": (2554968, 2542856, (None, 1000), 164, "MobileNetV3Small"),
    "MobileNetV3Large-notop": (2996352, 2971952, (None, None, None, 960), 187,
                               "MobileNetV3Large"),
    "EfficientNetV2B0": (7200312, 7139704, (None, 1000), 273, "efficientnetv2-b0"),
    "EfficientNetV2B2-small": (8779237, 8696949, (None, 7), 352, "efficientnetv2-b2"),
    "ConvNeXtTiny": (28589128, 28589128, (None, 1000), 135, "convnext_tiny"),
    "ConvNeXtTiny-avg": (27820128, 27820128, (None, 768), 134, "convnext_tiny"),
}


@pytest.mark.parametrize("key", sorted(KERAS))
def test_counts_shapes_and_names_match_keras(key):
    total, trainable, shape, n_layers, name = KERAS[key]
    m = build(key)
    assert m.count_params() == total
    assert sum(int(np.prod(w.shape)) for w in m.trainable_weights) == trainable
    assert tuple(m.output_shape) == shape
    assert len(m.layers) == n_layers
    assert m.name == name


def test_layer_names_match_keras():
    names = {layer.name for layer in build("ResNet50V2").layers}
    assert {"conv2_block1_preact_bn", "conv2_block3_2_pad", "conv5_block3_out", "post_bn",
            "post_relu", "avg_pool", "predictions"} <= names
    names = {layer.name for layer in build("EfficientNetV2B0").layers}
    assert {"stem_conv", "block1a_project_activation", "block2a_expand_conv", "block4a_dwconv2",
            "block5b_se_excite", "block6h_drop", "top_activation", "predictions"} <= names
    names = {layer.name for layer in build("MobileNetV3Small").layers}
    assert {"expanded_conv_squeeze_excite_mul", "expanded_conv_10_project_bn", "conv_1", "conv_2",
            "logits", "predictions"} <= names
    names = {layer.name for layer in build("ConvNeXtTiny").layers}
    assert {"convnext_tiny_prestem_normalization", "convnext_tiny_stem",
            "convnext_tiny_downsampling_block_2", "convnext_tiny_stage_2_block_8_layer_scale",
            "convnext_tiny_head_dense"} <= names
    assert {"mixed0", "mixed9_1", "mixed10"} <= {l.name for l in build("InceptionV3").layers}


# key: first 6 outputs of Keras 3.15 on X (uniform [0, 255], seed 0, batch 2), filled weights
FORWARD = {
    "MobileNetV3Small-small": [0.005822410341352224, 4.2846408931783876e-23,
                               0.9941775798797607, 1.7969794489230972e-13,
                               5.351293452804384e-08, 0.005822410341352224],
    "MobileNetV3Large-avg": [-0.2645215690135956, 0.37778690457344055, -0.1680392622947693,
                             1.127427577972412, -0.044161442667245865, 0.7435336112976074],
    "EfficientNetV2B0-avg": [0.00972698163241148, -0.2761824131011963, -0.03315529599785805,
                             -0.1090787723660469, 3.0875816345214844, 0.6835498809814453],
    # no normalization in InceptionV3 with these weights: activations grow to ~1e31
    "InceptionV3-avg": [0.0, 4.374258227392924e+31, 5.600609020201151e+31,
                        9.457875440109485e+31, 0.0, 8.072040251755729e+31],
}


@pytest.mark.parametrize("key", sorted(FORWARD))
def test_forward_matches_keras(key):
    m = build(key)
    _fill(m)
    x = np.random.RandomState(0).uniform(0, 255, size=(2,) + tuple(m.input_shape[1:]))
    y = m(x.astype("float32"), training=False).numpy()
    np.testing.assert_allclose(y.ravel()[:6], FORWARD[key], rtol=2e-3, atol=1e-6)


def test_preprocess_input_and_no_downloads():
    x = np.array([[[0.0, 127.5, 255.0]]])
    np.testing.assert_allclose(A.resnet_v2.preprocess_input(x), [[[-1.0, 0.0, 1.0]]])
    np.testing.assert_allclose(A.inception_v3.preprocess_input(x), [[[-1.0, 0.0, 1.0]]])
    for mod in (A.mobilenet_v3, A.efficientnet_v2, A.convnext):
        assert mod.preprocess_input(x) is x                 # the models rescale themselves
    for fn in (A.ResNet50V2, A.InceptionV3, A.MobileNetV3Small, A.EfficientNetV2B0,
               A.ConvNeXtTiny):
        with pytest.raises(ValueError, match="cannot be downloaded"):
            fn()                                            # Keras' default weights="imagenet"
    with pytest.raises(ValueError, match="at least 75x75"):
        A.InceptionV3(weights=None, include_top=False, input_shape=(64, 64, 3))
    with pytest.raises(ValueError, match="decode_predictions"):
        A.convnext.decode_predictions(np.zeros((1, 1000)))


def test_mobilenet_v3_any_input_size_and_training_step():
    m = A.MobileNetV3Small(weights=None, classes=3, alpha=0.75, minimalistic=True)
    assert m.input_shape == (None, None, None, 3)
    y = m(np.random.RandomState(1).uniform(0, 255, (2, 48, 40, 3)).astype("float32"))
    np.testing.assert_allclose(y.numpy().sum(-1), 1.0, rtol=1e-5)
    m.compile("sgd", "sparse_categorical_crossentropy", jit_compile=False)
    before = [w.copy() for w in m.get_weights()]
    m.fit(np.zeros((2, 32, 32, 3), "float32"), np.array([0, 2]), epochs=1, verbose=0)
    assert any(not np.allclose(a, b) for a, b in zip(before, m.get_weights()))
