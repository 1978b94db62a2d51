"""Small TF API gaps found by running TF's guide notebooks: values as TF documents them."""
import numpy as np
import pytest

import graphflow as tf


def test_tensor_shape_equals_lists_and_tuples_as_tf():
    s = tf.TensorShape([5, 3])
    assert s == [5, 3] and s == (5, 3) and s == tf.TensorShape([5, 3])
    assert not (s != [5, 3]) and s != [5, 4] and s != [5]
    assert tf.TensorShape([None, 3]) == [None, 3]
    assert len({tf.TensorShape([1, 2]), tf.TensorShape((1, 2))}) == 1
    assert tf.ones([2, 3]).shape == [2, 3]


def test_variable_accepts_tf_distribution_options_and_constraint():
    v = tf.Variable(1.0, trainable=False, synchronization=tf.VariableSynchronization.ON_READ,
                    aggregation=tf.VariableAggregation.MEAN, validate_shape=True)
    assert v.synchronization is tf.VariableSynchronization.ON_READ
    assert v.aggregation is tf.VariableAggregation.MEAN and not v.trainable
    v.assign_add(2.0)
    assert float(v.numpy()) == 3.0
    w = tf.Variable(np.ones(2, np.float32), constraint=lambda x: tf.clip_by_value(x, 0, 0.5))
    assert w.constraint is not None and np.allclose(w.constraint(w).numpy(), 0.5)
    with pytest.raises(TypeError):
        tf.Variable(1.0, no_such_option=1)


def test_saved_model_default_signature_only_from_a_root_function_with_outputs(tmp_path):
    # the saved_model guide: a module whose only input_signature function returns nothing
    # (mutate) saves without signatures; one that returns a value becomes serving_default
    class Mutating(tf.Module):
        def __init__(self):
            self.v = tf.Variable(1.)

        @tf.function
        def __call__(self, x):
            return x * self.v

        @tf.function(input_signature=[tf.TensorSpec([], tf.float32)])
        def mutate(self, new_v):
            self.v.assign(new_v)

    m = Mutating()
    m(tf.constant(0.))
    tf.saved_model.save(m, str(tmp_path / "a"))
    assert len(tf.saved_model.load(str(tmp_path / "a")).signatures) == 0

    class Doubling(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([], tf.float32)])
        def f(self, x):
            return x * 2.0

    tf.saved_model.save(Doubling(), str(tmp_path / "b"))
    sig = tf.saved_model.load(str(tmp_path / "b")).signatures
    assert list(sig) == ["serving_default"]


def test_layer_and_functional_model_input_output_as_keras():
    keras = tf.keras
    inp = keras.Input((4,))
    h = keras.layers.Dense(3, name="h")(inp)
    out = keras.layers.Dense(2)(h)
    m = keras.Model(inp, out)
    assert m.input is inp and m.output is out
    assert m.get_layer("h").input is inp and m.get_layer("h").output is h
    x = np.arange(8, dtype=np.float32).reshape(2, 4)
    fe = keras.Model(m.input, m.get_layer("h").output)   # a feature extractor shares weights
    k, b = m.get_layer("h").get_weights()
    np.testing.assert_allclose(fe(x).numpy(), x @ k + b, rtol=1e-6)
    named = keras.Model({"a": inp}, {"o": out})
    assert named.input == {"a": inp} and named.output == {"o": out}
    with pytest.raises(AttributeError, match="never been called on a keras.Input"):
        keras.layers.Dense(2).input


def test_fit_without_targets_passes_x_alone_to_a_custom_train_step():
    # Keras 3's VAE example: fit(x) with no y, and train_step calls self.encoder(data)
    keras = tf.keras
    seen = []

    class AutoEncoder(keras.Model):
        def __init__(self):
            super().__init__()
            self.enc = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
            self.dec = keras.layers.Dense(3)

        def train_step(self, data):
            seen.append(type(data).__name__)
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean(tf.square(self.dec(self.enc(data)) - data))
            grads = tape.gradient(loss, self.trainable_weights)
            self.optimizer.apply_gradients(zip(grads, self.trainable_weights))
            return {"loss": loss}

    keras.utils.set_random_seed(0)
    m = AutoEncoder()
    m.compile(optimizer=keras.optimizers.SGD(0.05))
    x = np.random.default_rng(0).normal(size=(64, 3)).astype("float32")
    x[:, 2] = x[:, 0] + x[:, 1]          # rank 2: a 2-unit bottleneck can reconstruct it
    h = m.fit(x, epochs=30, batch_size=16, verbose=0).history["loss"]
    assert h[-1] < 0.5 * h[0] and seen and "tuple" not in seen


def test_zero_padding2d_traces_with_an_unknown_batch():
    # keras.applications models (MobileNetV2's correct_pad) used as a layer inside fit
    keras = tf.keras
    for fmt, shape in (("channels_last", (5, 4, 2)), ("channels_first", (2, 5, 4))):
        layer = keras.layers.ZeroPadding2D(((1, 0), (2, 1)), data_format=fmt)
        x = np.random.default_rng(1).normal(size=(3,) + shape).astype("float32")
        pads = [(0, 0), (1, 0), (2, 1), (0, 0)] if fmt == "channels_last" else \
            [(0, 0), (0, 0), (1, 0), (2, 1)]
        f = tf.function(lambda t: layer(t), input_signature=[tf.TensorSpec((None,) + shape)])
        np.testing.assert_array_equal(f(x).numpy(), np.pad(x, pads))
        np.testing.assert_array_equal(layer(x).numpy(), np.pad(x, pads))


def test_dynamic_tensor_array_grows_in_a_graph_loop():
    # it returned [] once, then raised; now the loop's buffer grows, as TF's
    # (tests/test_dynamic_loops.py covers growth, gradients and the numba backend)
    @tf.function
    def grow(n):
        ta = tf.TensorArray(tf.float32, size=0, dynamic_size=True)
        for i in tf.range(n):
            ta = ta.write(i, tf.cast(i, tf.float32))
        return ta.stack()
    np.testing.assert_array_equal(grow(tf.constant(4)).numpy(), [0., 1., 2., 3.])

    @tf.function
    def fixed(x):
        ta = tf.TensorArray(tf.float32, size=x.shape[0])
        for i in tf.range(x.shape[0]):
            ta = ta.write(i, x[i] * 2.0)
        return ta.stack()
    np.testing.assert_allclose(fixed(tf.constant([1., 2., 3.])).numpy(), [2., 4., 6.])


def test_keras_mixed_precision_policies():
    mp = tf.keras.mixed_precision
    mp.set_global_policy("float32")
    assert mp.global_policy() == mp.DTypePolicy("float32")
    p = mp.Policy("mixed_float16")
    assert (p.compute_dtype, p.variable_dtype) == ("float16", "float32")
    mp.set_global_policy("mixed_float16")   # (mixed precision: tests/test_tf_api_s10_mixed_precision.py)
    assert mp.global_policy().name == "mixed_float16"
    mp.set_global_policy(None)
    assert mp.global_policy().name == "float32"
    with pytest.raises(ValueError, match="Cannot convert 'bogus'"):
        mp.DTypePolicy("bogus")
    assert mp.DTypePolicy("int8").compute_dtype == "int8"   # any dtype, as Keras 3.15


def test_variable_scatter_nd_methods_and_type_specs():
    v = tf.Variable([1., 2., 3.])
    np.testing.assert_array_equal(v.scatter_nd_update([[1]], [9.]).numpy(), [1., 9., 3.])
    np.testing.assert_array_equal(v.scatter_nd_add([[0], [0]], [1., 1.]).numpy(), [3., 9., 3.])
    np.testing.assert_array_equal(v.scatter_nd_sub([[2]], [3.]).numpy(), [3., 9., 0.])

    @tf.function
    def f(var):
        var.scatter_nd_update([[0]], [7.])
        return var.read_value()
    np.testing.assert_array_equal(f(v).numpy(), [7., 9., 0.])
    assert tf.TensorSpec.from_tensor(tf.ones([2, 3])) == tf.TensorSpec([2, 3], tf.float32)
    assert tf.type_spec_from_value(tf.ones([2])) == tf.TensorSpec([2], tf.float32)
    assert tf.RaggedTensorSpec([None, None], tf.int32).dtype == tf.int32


def test_elementwise_ops_dispatch_on_ragged_tensors():
    d = tf.ragged.constant([[3., 1.], [], [5.]])
    assert (d > 2).to_list() == [[True, False], [], [True]]   # a Python int takes the dtype
    np.testing.assert_allclose(tf.sin(d).flat_values.numpy(), np.sin([3., 1., 5.]), rtol=1e-6)
    np.testing.assert_allclose(tf.math.sigmoid(d).flat_values.numpy(),
                               1 / (1 + np.exp(-np.array([3., 1., 5.]))), rtol=1e-6)
    assert tf.math.floormod(tf.ragged.constant([[3, 1], [5]]), 2).to_list() == [[1, 1], [1]]
    oh = tf.one_hot(tf.ragged.constant([[0, 2], [1]]), 3)
    assert oh.to_list() == [[[1., 0., 0.], [0., 0., 1.]], [[0., 1., 0.]]]
    assert tf.math.logical_not(d > 2).to_list() == [[False, True], [], [False]]
    assert float(tf.sin(tf.constant(0.))) == 0.0    # dense calls unchanged


def test_ragged_gather_boolean_mask_and_merge_dims_as_tf():
    d = tf.ragged.constant([[3, 1, 4, 1], [], [5, 9, 2], [6], []])
    assert tf.gather(d, [2, 0]).to_list() == [[5, 9, 2], [3, 1, 4, 1]]
    with pytest.raises(tf.errors.InvalidArgumentError, match="index 7 is not in"):
        tf.gather(d, [7])
    assert tf.ragged.boolean_mask(d, d > 2).to_list() == [[3, 4], [], [5, 9], [6], []]
    assert tf.ragged.boolean_mask(d, [True, False, True, False, False]).to_list() == \
        [[3, 1, 4, 1], [5, 9, 2]]
    r = tf.ragged.constant([[[1, 2], [3]], [[4]]])
    assert r.merge_dims(0, 1).to_list() == [[1, 2], [3], [4]]
    assert r.merge_dims(1, 2).to_list() == [[1, 2, 3], [4]]
    assert r.merge_dims(0, -1).numpy().tolist() == [1, 2, 3, 4]
    u = tf.RaggedTensor.from_row_splits(tf.constant(np.arange(12).reshape(6, 2)), [0, 2, 6])
    assert u.merge_dims(1, 2).to_list() == [[0, 1, 2, 3], list(range(4, 12))]


def test_where_selects_on_ragged_values():
    d = tf.ragged.constant([[3, 1, 4, 1], [], [5, 9, 2]])
    assert tf.where(d > 2, d, 0).to_list() == [[3, 0, 4, 0], [], [5, 9, 0]]
    assert tf.where(d > 2, d, d * 10).to_list() == [[3, 10, 4, 10], [], [5, 9, 20]]
