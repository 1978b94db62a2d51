"""tf.image crops and pads of images whose height and width are known only when the graph
runs (`input_signature=[tf.TensorSpec([None, None, C])]`, a tf.data map over images of any
size): values and traced shapes as TF 2.21 prints them (its output below, from the same code).
"""
import numpy as np
import pytest

import graphflow as tf

SPEC = [tf.TensorSpec([None, None, 2], tf.float32)]
FNS = {
    "crop": lambda x: tf.image.crop_to_bounding_box(x, 1, 2, 3, 2),
    "pad": lambda x: tf.image.pad_to_bounding_box(x, 1, 2, 9, 9),
    "central": lambda x: tf.image.central_crop(x, 0.6),
    "rcop_big": lambda x: tf.image.resize_with_crop_or_pad(x, 8, 3),
    "rcop_small": lambda x: tf.image.resize_with_crop_or_pad(x, 3, 9),
    "std": lambda x: tf.image.per_image_standardization(x),
}
TF_OUTPUT = """
crop (3, 2, 2) (5, 6) (3, 2, 2) [16.0, 17.0, 18.0, 19.0, 28.0, 29.0, 30.0, 31.0] 354.0
crop (3, 2, 2) (7, 4) (3, 2, 2) [12.0, 13.0, 14.0, 15.0, 20.0, 21.0, 22.0, 23.0] 258.0
pad (9, 9, 2) (5, 6) (9, 9, 2) [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0] 1770.0
pad (9, 9, 2) (7, 4) (9, 9, 2) [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0] 1540.0
central (None, None, 2) (5, 6) (5, 4, 2) [2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0] 1180.0
central (None, None, 2) (7, 4) (5, 4, 2) [8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0] 1100.0
rcop_big (8, 3, 2) (5, 6) (8, 3, 2) [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 2.0, 3.0] 855.0
rcop_big (8, 3, 2) (7, 4) (8, 3, 2) [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 8.0, 9.0] 1113.0
rcop_small (3, 9, 2) (5, 6) (3, 9, 2) [0.0, 0.0, 12.0, 13.0, 14.0, 15.0, 16.0, 17.0] 1062.0
rcop_small (3, 9, 2) (7, 4) (3, 9, 2) [0.0, 0.0, 0.0, 0.0, 16.0, 17.0, 18.0, 19.0] 660.0
std (None, None, 2) (5, 6) (5, 6, 2) [-1.7029999494552612, -1.6460000276565552, -1.5880000591278076, -1.5299999713897705, -1.472000002861023, -1.4149999618530273, -1.3569999933242798, -1.2990000247955322] -0.0
std (None, None, 2) (7, 4) (7, 4, 2) [-1.7009999752044678, -1.6399999856948853, -1.5779999494552612, -1.5160000324249268, -1.4539999961853027, -1.3919999599456787, -1.3300000429153442, -1.2680000066757202] -0.0
""".strip().splitlines()


def test_crops_and_pads_of_run_time_sized_images_print_as_tf():
    lines = []
    for name, fn in FNS.items():
        f = tf.function(fn, input_signature=SPEC)
        shp = f.get_concrete_function().structured_outputs.shape
        for hw in [(5, 6), (7, 4)]:
            x = tf.constant(np.arange(hw[0] * hw[1] * 2, dtype=np.float32).reshape(hw + (2,)))
            v = f(x).numpy()
            lines.append(f"{name} {shp} {hw} {v.shape} {np.round(v.ravel()[:8], 3).tolist()} "
                         f"{round(float(v.sum()), 3)}")
    assert lines == TF_OUTPUT


def test_random_crop_of_a_run_time_sized_image_and_errors():
    f = tf.function(lambda x: tf.image.random_crop(x, [2, 3, 2]), input_signature=SPEC)
    img = np.arange(5 * 6 * 2, dtype=np.float32).reshape(5, 6, 2)
    out = f(tf.constant(img)).numpy()
    assert out.shape == (2, 3, 2)
    r, c = np.argwhere(img[..., 0] == out[0, 0, 0])[0]
    np.testing.assert_array_equal(out, img[r:r + 2, c:c + 3])   # one window of the image
    with pytest.raises(tf.errors.InvalidArgumentError):   # the window is larger than the image
        f(tf.constant(img[:1]))
    g = tf.function(lambda x: tf.image.crop_to_bounding_box(x, 4, 0, 3, 2), input_signature=SPEC)
    with pytest.raises(tf.errors.InvalidArgumentError, match="out of bounds"):
        g(tf.constant(img))


def test_resize_to_a_traced_size_and_from_run_time_sizes_with_gradients():
    from conftest import check_grad

    def to_traced(x):   # 4 x 5: sizes computed in the graph from x
        n = tf.cast(tf.reduce_sum(tf.ones_like(x[0, :, 0, 0])), tf.int32)
        return tf.image.resize(tf.sin(x), tf.stack([n + 1, n + 2]))

    def from_run_time(x):   # rows kept by a mask: (1, None, 3, 1), resized to 4 x 5
        kept = tf.boolean_mask(x, tf.constant([True, False, True]), axis=1)
        return tf.image.resize(kept * kept, [4, 5], method="bicubic")
    x = np.random.default_rng(2).normal(size=(1, 3, 3, 1))
    for fn, shape in [(to_traced, (1, 4, 5, 1)), (from_run_time, (1, 4, 5, 1))]:
        got = tf.function(fn)(tf.constant(x))
        assert got.shape == shape
        np.testing.assert_allclose(got.numpy(), fn(tf.constant(x)).numpy(), rtol=1e-12)
        check_grad(tf.function(fn), [x])
    f = tf.function(lambda im, n: tf.image.resize(im, [n, 2 * n]))
    cf = f.get_concrete_function(tf.TensorSpec([None, None, 3]), tf.TensorSpec([], tf.int32))
    assert cf.structured_outputs.shape == tf.TensorShape([None, None, 3])   # as TF 2.21
