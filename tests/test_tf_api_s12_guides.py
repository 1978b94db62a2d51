"""More TF guides and tutorials (tests/data/tf_guides/*.py, downloads replaced by generated data,
small sizes) run unchanged with `import graphflow as tf`: every printed line equals what TF 2.21
(+ Keras 3.15) printed (tests/data/tf_guides/*.tf_output.txt), numbers within float32 rounding."""
import pytest

from test_tf_guides_output import check_guide


@pytest.mark.parametrize("name", ["tf_numpy", "tut_distribute_keras", "tut_actor_critic",
                                  "migrate_tf2", "tut_distribute_custom_training"])
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
    without the strategy, a whole epoch in one tf.function)."""
    check_guide(name, tmp_path)


def test_tf_op_on_a_keras_tensor_raises_keras_value_error():
    # the 'Migrate metrics and optimizers' guide's tf.math.argmax(keras.Input(...) -> Dense):
    # TF 2.21 + Keras 3 refuse it with this ValueError (TF's __tf_tensor__ conversion protocol)
    import graphflow as tf
    logits = tf.keras.layers.Dense(2)(tf.keras.Input((2,)))
    with pytest.raises(ValueError, match="A KerasTensor cannot be used as input to a TensorFlow "
                                         "function"):
        tf.math.argmax(input=logits, axis=1)
