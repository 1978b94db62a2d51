"""keras.ops.image additions of Keras 3.15 (gaussian_blur, sobel_edges, map_coordinates,
affine_transform, perspective_transform, extract_patches_3d, scale_and_translate, ssim,
elastic_transform): values against Keras 3.15.1 (JAX backend), run offline. Each entry holds
the output shape, its first values and sum(out * sin(0.37 i + 0.1)) over the flat output."""
import numpy as np
import pytest

import graphflow as tf
from graphflow import keras
from conftest import check_grad

I = keras.ops.image
_rs = np.random.RandomState(0)
IMG = _rs.uniform(0, 1, (2, 6, 7, 3)).astype("float32")
X2 = _rs.uniform(-1, 1, (5, 4)).astype("float32")
C = np.stack([_rs.uniform(-2, 6, (3, 3)), _rs.uniform(-2, 5, (3, 3))]).astype("float32")
VOL = _rs.uniform(0, 1, (1, 4, 5, 6, 2)).astype("float32")
IMG_B = (IMG * 0.8 + 0.1 * _rs.uniform(0, 1, IMG.shape)).astype("float32")
T = np.array([[1.1, 0.2, -0.5, -0.1, 0.9, 0.7, 0, 0], [0.8, -0.3, 1.2, 0.25, 1.05, -0.4, 0, 0]],
             "float32")
SP = np.array([[[0, 0], [6, 0], [0, 5], [6, 5]], [[0.5, 0.2], [5.5, 1], [0, 4], [6, 5.5]]],
              "float32")
EP = np.array([[[1, 0.5], [5, 0], [0.5, 5], [6, 4]], [[0, 0], [6, 0], [0, 5], [6, 5]]], "float32")
MODES = ["constant", "nearest", "wrap", "mirror", "reflect"]

CALLS = {
    # Keras' eager gaussian_blur ignores the default channels_last (its backend sees
    # data_format=None); these numbers are Keras' with data_format="channels_last", as its
    # symbolic path computes
    "gb": lambda: I.gaussian_blur(IMG, (3, 5), (1.0, 0.7)),
    "gb_def": lambda: I.gaussian_blur(IMG[0]),
    "sobel": lambda: I.sobel_edges(IMG),
    "aff_nearest_interp": lambda: I.affine_transform(IMG[0], T[0], interpolation="nearest"),
    "persp": lambda: I.perspective_transform(IMG, SP, EP, fill_value=0.25),
    "persp_nearest": lambda: I.perspective_transform(IMG, SP, EP, interpolation="nearest"),
    "p3d": lambda: I.extract_patches_3d(VOL, (2, 2, 3), strides=(1, 2, 3)),
    "p3d_same": lambda: I.extract_patches_3d(VOL[0], 2, padding="same"),
    "st_noaa": lambda: I.scale_and_translate(IMG, (2, 3, 4, 3), [0.5, 0.6], [0.0, 0.2], [1, 2],
                                             "linear", antialias=False),
    "ssim": lambda: I.ssim(IMG, IMG_B, filter_size=3),
    "ssim5": lambda: I.ssim(IMG[0], IMG_B[0], max_val=2.0, filter_size=5, filter_sigma=1.0),
}
for _mode in MODES:
    CALLS["aff_" + _mode] = (lambda m=_mode: I.affine_transform(IMG, T, fill_mode=m,
                                                                fill_value=0.3))
    for _order in (0, 1):
        CALLS[f"mc_{_mode}_{_order}"] = (lambda m=_mode, o=_order: I.map_coordinates(
            X2, C, o, fill_mode=m, fill_value=-1.0))
for _meth in ["linear", "cubic", "lanczos3", "lanczos5"]:
    CALLS["st_" + _meth] = (lambda m=_meth: I.scale_and_translate(
        IMG, (2, 9, 4, 3), [1.4, 0.6], [0.3, -0.5], [1, 2], m))

KERAS = {
    "gb": ((2, 6, 7, 3), [0.31208, 0.33003, 0.33987, 0.40913], 2.891878983913787),
    "gb_def": ((6, 7, 3), [0.28739, 0.30371, 0.31049, 0.37904], 2.4338250919711815),
    "sobel": ((2, 6, 7, 3, 2), [1.71659, 1.20804, 1.56288, 1.48723], 5.963850796643239),
    "aff_constant": ((2, 6, 7, 3), [0.51203, 0.4188, 0.5136, 0.45296], 4.928380906041438),
    "aff_nearest": ((2, 6, 7, 3), [0.72406, 0.53759, 0.7272, 0.45296], 7.028074531041195),
    "aff_wrap": ((2, 6, 7, 3), [0.71739, 0.52513, 0.66335, 0.45296], 5.182840338571006),
    "aff_mirror": ((2, 6, 7, 3), [0.48516, 0.55632, 0.51066, 0.45296], 6.434749822810648),
    "aff_reflect": ((2, 6, 7, 3), [0.72406, 0.53759, 0.7272, 0.45296], 6.845517657784566),
    "aff_nearest_interp": ((6, 7, 3), [0.0, 0.0, 0.0, 0.11827], 4.7515369107010095),
    "mc_constant_0": ((3, 3), [-1.0, -1.0, -1.0, -1.0], -4.114891183876449),
    "mc_constant_1": ((3, 3), [-0.97353, -1.0, -1.0, -1.0], -4.419027039008399),
    "mc_nearest_0": ((3, 3), [-0.4157, 0.95499, 0.53065, -0.87209], 0.26852968333790667),
    "mc_nearest_1": ((3, 3), [-0.53874, 0.88932, 0.53065, -0.50892], 0.46273574202261236),
    "mc_wrap_0": ((3, 3), [0.10439, 0.92387, 0.80744, 0.10439], 1.3857962286644483),
    "mc_wrap_1": ((3, 3), [0.1859, 0.42244, 0.69654, 0.28793], 0.9818977475659296),
    "mc_mirror_0": ((3, 3), [0.92387, -0.96714, 0.80744, -0.51834], -0.32328191630175257),
    "mc_mirror_1": ((3, 3), [0.80758, -0.33188, 0.78972, -0.20212], 0.6008940372758149),
    "mc_reflect_0": ((3, 3), [-0.4157, -0.43654, 0.49733, 0.33983], 2.146905728928978),
    "mc_reflect_1": ((3, 3), [-0.53874, 0.1083, 0.50042, 0.05472], 1.4211455752480384),
    "persp": ((2, 6, 7, 3), [0.25, 0.25, 0.25, 0.29896], -1.248362587417867),
    "persp_nearest": ((2, 6, 7, 3), [0.0, 0.0, 0.0, 0.0], -8.88265756395715),
    "p3d": ((1, 3, 2, 2, 24), [0.36858, 0.1369, 0.82212, 0.18985], -3.1426673846752378),
    "p3d_same": ((2, 3, 3, 16), [0.36858, 0.1369, 0.82212, 0.18985], -1.9628144097234625),
    "st_linear": ((2, 9, 4, 3), [0.51402, 0.61278, 0.73174, 0.43194], -0.30926845707419215),
    "st_cubic": ((2, 9, 4, 3), [0.51784, 0.60668, 0.80096, 0.4292], -0.8851668537193764),
    "st_lanczos3": ((2, 9, 4, 3), [0.51053, 0.57424, 0.85831, 0.42475], -1.1482026991905323),
    "st_lanczos5": ((2, 9, 4, 3), [0.49986, 0.53515, 0.87664, 0.41061], -1.4142532151135534),
    "st_noaa": ((2, 3, 4, 3), [0.67399, 0.58833, 0.69165, 0.57128], 0.39092066065997155),
    "ssim": ((2,), [0.96341, 0.96354], 0.5325558684521055),
    "ssim5": ((), [0.96453], 0.09629242519178181),
}


@pytest.mark.parametrize("key", sorted(KERAS))
def test_image_ops_match_keras(key):
    shape, head, wsum = KERAS[key]
    out = np.asarray(CALLS[key](), "float64")
    assert out.shape == shape
    flat = out.ravel()
    np.testing.assert_allclose(flat[:len(head)], head, atol=2e-5)
    w = np.sin(np.arange(flat.size) * 0.37 + 0.1)
    np.testing.assert_allclose((flat * w).sum(), wsum, rtol=1e-4, atol=1e-4)


def test_map_coordinates_gradients():
    c = C[:, :2, :2].astype("float64") * 0.37 + 0.61      # inside, away from integer knots
    check_grad(lambda x, cc: I.map_coordinates(x, cc, 1, fill_mode="reflect"),
               [X2.astype("float64"), c], order=1)


def test_blur_and_ssim_gradients():
    img = IMG[:1, :5, :5, :2].astype("float64")
    check_grad(lambda x: I.gaussian_blur(x, (3, 3), (1.0, 0.8)), [img], order=1)
    check_grad(lambda x: I.ssim(x, img * 0.9, filter_size=3), [img], order=1)


def test_image_ops_in_a_functional_model_and_errors():
    inp = keras.Input((6, 7, 3))
    model = keras.Model(inp, I.sobel_edges(I.gaussian_blur(inp)))
    np.testing.assert_allclose(model(IMG).numpy(), I.sobel_edges(I.gaussian_blur(IMG)).numpy(),
                               rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match=r"map_coordinates: `order` must be 0 or 1"):
        I.map_coordinates(X2, C, 3)
    with pytest.raises(ValueError, match=r"affine_transform: `fill_mode`"):
        I.affine_transform(IMG, T, fill_mode="bogus")
    with pytest.raises(ValueError, match=r"perspective_transform: `start_points` must be"):
        I.perspective_transform(IMG, SP[:, :3], EP[:, :3])


def test_elastic_transform_properties():
    flat = np.full((2, 8, 8, 1), 0.7, "float32")
    np.testing.assert_allclose(I.elastic_transform(flat, seed=3).numpy(), 0.7, rtol=1e-5)
    img = IMG[:, :, :, :1]
    a = I.elastic_transform(img, alpha=0.0, seed=3).numpy()      # no displacement
    np.testing.assert_allclose(a, img, atol=1e-6)
    b1 = I.elastic_transform(img, alpha=5.0, sigma=1.0, seed=3).numpy()
    b2 = I.elastic_transform(img, alpha=5.0, sigma=1.0, seed=3).numpy()
    np.testing.assert_array_equal(b1, b2)
    assert b1.shape == img.shape and not np.allclose(b1, img)
    assert img.min() - 1e-6 <= b1.min() and b1.max() <= img.max() + 1e-6   # interpolates
