"""More TF guides and tutorials (tests/data/tf_guides/*.py, downloads replaced by generated data,
small sizes) run unchanged with `import graphflow as tf`: every printed line equals what TF 2.21
(+ Keras 3.15) printed (tests/data/tf_guides/*.tf_output.txt), numbers within float32 rounding."""
import pytest

from test_tf_guides_output import check_guide


@pytest.mark.parametrize("name", ["tf_numpy", "tut_distribute_keras", "tut_actor_critic",
                                  "migrate_tf2", "tut_distribute_custom_training",
                                  "tut_distribute_input", "tut_distribute_save_load",
                                  "tut_quickstart_advanced"])
def test_guide_output_matches_tf(name, tmp_path):
    """NumPy API on TensorFlow (ND arrays, type promotion and prefer_float32, broadcasting,
    indexing, NumPy interop, GradientTape / batch_jacobian on ND arrays, tf.function,
    vectorized_map vs map_fn per-example gradients, devices); Distributed training with Keras
    (MirroredStrategy on one CPU, TensorBoard / ModelCheckpoint(.weights.h5) /
    LearningRateScheduler / custom callbacks, load_weights of the latest checkpoint, .keras save
    and load inside and outside the strategy scope); Actor-Critic on CartPole (numpy CartPole
    through a @tf.numpy_function in a tf.range loop with break, TensorArrays, categorical
    sampling, the loop's gradient, Huber(reduction=SUM)); the Migrate-to-TF2 guides' TF2 code
    (Keras metrics, EarlyStopping, stop/logging/SessionRunHook callbacks printing weights and
    losses, a custom loop with metric reset_state, ModelCheckpoint weights); Custom training
    with tf.distribute.Strategy (strategy.run / reduce over a distributed dataset, per-example
    losses with compute_average_loss and scale_regularization_loss, tf.train.Checkpoint restore
    without the strategy, a whole epoch in one tf.function); Distributed input; Save and load
    with a distribution strategy; TF 2 quickstart for experts (subclassed model, traced train /
    test steps, metrics: the printed losses are TF's from fixed initial weights)."""
    check_guide(name, tmp_path)


def test_tf_op_on_a_keras_tensor_raises_keras_value_error():
    # the 'Migrate metrics and optimizers' guide's tf.math.argmax(keras.Input(...) -> Dense):
    # TF 2.21 + Keras 3 refuse it with this ValueError (TF's __tf_tensor__ conversion protocol)
    import graphflow as tf
    logits = tf.keras.layers.Dense(2)(tf.keras.Input((2,)))
    with pytest.raises(ValueError, match="A KerasTensor cannot be used as input to a TensorFlow "
                                         "function"):
        tf.math.argmax(input=logits, axis=1)


def test_get_next_as_optional_in_a_traced_loop_reads_when_the_function_runs():
    # the 'Distributed input' tutorial's train_fn: a batch of unknown rows first assigned in a
    # tf.range loop (it starts with no rows), has_value() a run-time bool that breaks the loop
    import graphflow as tf

    @tf.function
    def f(it):
        total = tf.constant(0, tf.int64)
        for _ in tf.range(5):
            opt = it.get_next_as_optional()
            if not opt.has_value():
                break
            v = opt.get_value()
            total += tf.reduce_sum(v) * tf.cast(tf.shape(v)[0], tf.int64)
        return total
    it = iter(tf.data.Dataset.range(9).batch(4))
    assert int(f(it)) == (0 + 1 + 2 + 3) * 4 + (4 + 5 + 6 + 7) * 4 + 8
    assert not bool(it.get_next_as_optional().has_value())


def test_nested_input_signature_serves_every_batch_size_with_one_trace():
    # 'Distributed input': input_signature=[dist_dataset.element_spec], a tuple of TensorSpecs
    import graphflow as tf
    spec = (tf.TensorSpec([None, 1], tf.float32), tf.TensorSpec([None, 1], tf.float32))

    @tf.function(input_signature=[spec])
    def f(xy):
        return xy[0] * 2. + xy[1]
    assert f((tf.ones([3, 1]), tf.zeros([3, 1]))).numpy().tolist() == [[2.]] * 3
    assert f(([[1.]], [[5.]])).numpy().tolist() == [[7.]]   # (Python data converted per leaf)
    assert f.experimental_get_tracing_count() == 1
    got = f.get_concrete_function().structured_input_signature
    assert got == (((tf.TensorSpec([None, 1], tf.float32, name="xy_0"),
                     tf.TensorSpec([None, 1], tf.float32, name="xy_1")),), {})
    with pytest.raises(TypeError, match="structure"):
        f([tf.ones([3, 1])])
    with pytest.raises(TypeError, match="does not match"):
        f((tf.ones([3, 2]), tf.zeros([3, 1])))


def test_print_formats_structures_with_tfs_short_placeholder():
    # pprint wraps a structure where TF's does: TF's template holds '{}' per tensor
    import graphflow as tf
    from graphflow.control_flow import print_template
    four = tuple(tf.ones([2]) for _ in range(4))
    assert print_template([four])[0] == "({}, {}, {}, {})"
    assert print_template(["{}", [tf.constant(1), "a{}b"]])[0] == "{{}} [{}, 'a{{}}b']"


def test_nested_input_signature_of_a_dict():
    import graphflow as tf

    @tf.function(input_signature=[{"b": tf.TensorSpec([None]), "a": tf.TensorSpec([], tf.int32)}])
    def f(d):
        return d["b"] * tf.cast(d["a"], tf.float32)
    assert f({"a": 3, "b": [1., 2.]}).numpy().tolist() == [3., 6.]
    assert f({"b": tf.ones([4]), "a": tf.constant(2)}).numpy().tolist() == [2.] * 4
    assert f.experimental_get_tracing_count() == 1


def test_saved_model_of_a_keras_model_serves_its_call_by_default(tmp_path):
    # 'Save and load a model using a distribution strategy': tf.saved_model.save(keras model)
    # has Keras 3's serving_default (the call on the inputs' specs), callable by position too
    import numpy as np
    import graphflow as tf
    model = tf.keras.Sequential([tf.keras.Input((3,)), tf.keras.layers.Dense(2)])
    tf.saved_model.save(model, str(tmp_path / "m"))
    sig = tf.saved_model.load(str(tmp_path / "m")).signatures["serving_default"]
    x = np.arange(6, dtype="float32").reshape(2, 3)
    out = sig(tf.constant(x))
    assert list(out) == ["output_0"]
    np.testing.assert_allclose(out["output_0"].numpy(), model(x).numpy(), rtol=1e-6)
    with pytest.raises(TypeError, match="positional"):
        sig(x, x)
