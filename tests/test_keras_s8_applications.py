"""keras.applications.NASNetMobile / NASNetLarge / nasnet.NASNet against Keras 3.15.1 (TF
backend): parameter and layer counts, layer names (auto-named layers included), and forward
values with the deterministic weight filler of test_keras_applications. NASNetLarge
(88,949,818 parameters, 1041 layers in both) and the 224x224 NASNetMobile (5,326,716, 771)
were compared offline; the test builds one small model."""
import functools

import numpy as np
import pytest

from graphflow import keras
from test_keras_applications import _fill   # the weight filler the Keras numbers used


@functools.lru_cache(maxsize=None)
def small_nasnet():
    keras.backend.clear_session()      # auto-named layers get Keras' names
    return keras.applications.NASNetMobile(weights=None, include_top=False, pooling="avg",
                                           input_shape=(64, 64, 3))


def test_nasnet_mobile_counts_and_names_match_keras():
    m = small_nasnet()
    assert m.name == "nasnet_mobile"
    assert m.count_params() == 4269716 and len(m.layers) == 770     # Keras 3.15
    assert tuple(m.output_shape) == (None, 1056)
    names = [layer.name for layer in m.layers]
    # Keras 3.15's first layers (in its depth order) and a sample of the cells' names
    assert names[:12] == ["input_layer", "stem_conv1", "stem_bn1", "activation",
                          "reduction_conv_1_stem_1", "reduction_bn_1_stem_1", "activation_1",
                          "activation_3", "separable_conv_1_pad_reduction_left1_stem_1",
                          "separable_conv_1_pad_reduction_right1_stem_1",
                          "separable_conv_1_reduction_left1_stem_1",
                          "separable_conv_1_reduction_right1_stem_1"]
    assert {"adjust_conv_projection_1", "normal_concat_0", "reduction_concat_reduce_4",
            "adjust_avg_pool_2_stem_2", "normal_concat_12", "reduction_add4_stem_2",
            "separable_conv_2_bn_normal_left5_12"} <= set(names)


def test_nasnet_mobile_forward_matches_keras():
    m = small_nasnet()
    _fill(m)
    x = np.random.RandomState(0).uniform(0, 255, size=(2, 64, 64, 3)).astype("float32")
    y = m(x, training=False).numpy()
    # Keras 3.15, the same filled weights and input
    np.testing.assert_allclose(y.ravel()[:6], [0.0, 123.77555847167969, 3854.2744140625,
                                               2021.6773681640625, 0.0, 335.9881286621094],
                               rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(np.abs(y).sum(), 2046153.0, rtol=1e-5)


def test_nasnet_arguments_and_preprocessing():
    nas = keras.applications.nasnet
    with pytest.raises(ValueError, match="penultimate_filters"):
        nas.NASNet(input_shape=(32, 32, 3), penultimate_filters=100, weights=None)
    with pytest.raises(ValueError, match="cannot be downloaded"):
        keras.applications.NASNetMobile()
    x = np.array([[[[0.0, 127.5, 255.0]]]], "float32")
    np.testing.assert_allclose(np.asarray(nas.preprocess_input(x)), [[[[-1.0, 0.0, 1.0]]]])
