"""Cells of TF's "Training checkpoints" guide (site/en/guide/checkpoint.ipynb), run with
`import graphflow as tf`; values compared with the guide's stated results."""
import os

import numpy as np
import pytest

import graphflow as tf


class Net(tf.keras.Model):
    """A simple linear model (the guide's)."""

    def __init__(self):
        super().__init__()
        self.l1 = tf.keras.layers.Dense(5)

    def call(self, x):
        return self.l1(x)


def toy_dataset():
    inputs = tf.range(10.)[:, None]
    labels = inputs * 5. + tf.range(5.)[None, :]
    return tf.data.Dataset.from_tensor_slices(dict(x=inputs, y=labels)).repeat().batch(2)


def train_step(net, example, optimizer):
    with tf.GradientTape() as tape:
        output = net(example['x'])
        loss = tf.reduce_mean(tf.abs(output - example['y']))
    variables = net.trainable_variables
    gradients = tape.gradient(loss, variables)
    optimizer.apply_gradients(zip(gradients, variables))
    return loss


def test_training_checkpoints_guide(tmp_path, capsys):
    tf.random.set_seed(1)
    net = Net()
    opt = tf.keras.optimizers.Adam(0.1)
    iterator = iter(toy_dataset())
    ckpt = tf.train.Checkpoint(step=tf.Variable(1), optimizer=opt, net=net, iterator=iterator)
    manager = tf.train.CheckpointManager(ckpt, str(tmp_path / "tf_ckpts"), max_to_keep=3)

    def train_and_checkpoint(net, manager):
        ckpt.restore(manager.latest_checkpoint)
        if manager.latest_checkpoint:
            print("Restored from {}".format(manager.latest_checkpoint))
        else:
            print("Initializing from scratch.")
        losses = []
        for _ in range(50):
            example = next(iterator)
            loss = train_step(net, example, opt)
            ckpt.step.assign_add(1)
            if int(ckpt.step) % 10 == 0:
                save_path = manager.save()
                print("Saved checkpoint for step {}: {}".format(int(ckpt.step), save_path))
                losses.append(float(loss))
                saved.update(kernel=net.l1.kernel.numpy().copy(), bias=net.l1.bias.numpy().copy(),
                             m=opt.get_slot(net.l1.kernel, "m").numpy().copy(),
                             it=int(opt.iterations))
        return losses

    saved = {}

    losses = train_and_checkpoint(net, manager)
    out = capsys.readouterr().out
    assert out.startswith("Initializing from scratch.")
    assert "Saved checkpoint for step 50: " + str(tmp_path / "tf_ckpts" / "ckpt-5") in out
    assert losses[-1] < losses[0]
    d = str(tmp_path / "tf_ckpts")
    assert [os.path.basename(p) for p in manager.checkpoints] == ["ckpt-3", "ckpt-4", "ckpt-5"]
    assert sorted(f for f in os.listdir(d) if f.endswith(".index")) == [
        "ckpt-3.index", "ckpt-4.index", "ckpt-5.index"]
    assert tf.train.latest_checkpoint(d) == os.path.join(d, "ckpt-5")
    kernel, bias, m_kernel = saved["kernel"], saved["bias"], saved["m"]

    # a new model, optimizer and manager resume where the run stopped (the guide's second call)
    opt2 = tf.keras.optimizers.Adam(0.1)
    net2 = Net()
    net2(tf.zeros([1, 1]))
    ckpt2 = tf.train.Checkpoint(step=tf.Variable(1), optimizer=opt2, net=net2)
    manager2 = tf.train.CheckpointManager(ckpt2, d, max_to_keep=3)
    status = ckpt2.restore(manager2.latest_checkpoint)
    status.assert_existing_objects_matched()
    assert int(ckpt2.step) == 50
    np.testing.assert_array_equal(net2.l1.kernel.numpy(), kernel)
    np.testing.assert_array_equal(net2.l1.bias.numpy(), bias)
    np.testing.assert_array_equal(opt2.get_slot(net2.l1.kernel, "m").numpy(), m_kernel)
    assert int(opt2.iterations) == saved["it"] == 49
    assert int(ckpt2.save_counter) == 5
    p = manager2.save()
    assert os.path.basename(p) == "ckpt-6"
    assert [os.path.basename(p) for p in manager2.checkpoints] == ["ckpt-4", "ckpt-5", "ckpt-6"]

    # "Loading mechanics": restore one value through stand-in Checkpoint objects
    to_restore = tf.Variable(tf.zeros([5]))
    np.testing.assert_array_equal(to_restore.numpy(), np.zeros(5))
    fake_layer = tf.train.Checkpoint(bias=to_restore)
    fake_net = tf.train.Checkpoint(l1=fake_layer)
    new_root = tf.train.Checkpoint(net=fake_net)
    status = new_root.restore(os.path.join(d, "ckpt-5"))
    np.testing.assert_array_equal(to_restore.numpy(), bias)
    with pytest.raises(AssertionError):
        status.assert_consumed()   # the kernel, optimizer, step were not used
    # deferred restoration: a Variable attached after the restore gets its value then
    delayed_restore = tf.Variable(tf.zeros([1, 5]))
    fake_layer.kernel = delayed_restore
    np.testing.assert_array_equal(delayed_restore.numpy(), kernel)

    # "Manually inspecting checkpoints"
    reader = tf.train.load_checkpoint(d)
    shape_from_key = reader.get_variable_to_shape_map()
    dtype_from_key = reader.get_variable_to_dtype_map()
    assert shape_from_key['net/l1/kernel/.ATTRIBUTES/VARIABLE_VALUE'] == [1, 5]
    assert dtype_from_key['net/l1/kernel/.ATTRIBUTES/VARIABLE_VALUE'] == tf.float32
    np.testing.assert_array_equal(reader.get_tensor('net/l1/bias/.ATTRIBUTES/VARIABLE_VALUE'),
                                  net2.l1.bias.numpy())
    keys = [k for k, _ in tf.train.list_variables(d)]
    assert 'net/l1/kernel/.OPTIMIZER_SLOT/optimizer/m/.ATTRIBUTES/VARIABLE_VALUE' in keys
    assert 'step/.ATTRIBUTES/VARIABLE_VALUE' in keys and 'save_counter/.ATTRIBUTES/VARIABLE_VALUE' in keys


def test_module_checkpoint_write_read_and_lists(tmp_path):
    class M(tf.Module):
        def __init__(self):
            super().__init__()
            self.layers = [tf.Variable([1.0, 2.0]), {"b": tf.Variable(3.0)}]
            self.dense = tf.keras.layers.Dense(2)
            self.dense.build((None, 3))

    m = M()
    path = tf.train.Checkpoint(model=m).write(str(tmp_path / "w"))
    assert path == str(tmp_path / "w")
    keys = dict(tf.train.list_variables(path))
    assert keys["model/layers/0/.ATTRIBUTES/VARIABLE_VALUE"] == [2]
    assert keys["model/layers/1/b/.ATTRIBUTES/VARIABLE_VALUE"] == []
    assert keys["model/dense/kernel/.ATTRIBUTES/VARIABLE_VALUE"] == [3, 2]
    m2 = M()
    for v in m2.variables:
        v.assign(tf.zeros_like(v))
    tf.train.Checkpoint(model=m2).read(path).assert_consumed()
    for a, b in zip(m.variables, m2.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    # a shape mismatch names the key and both shapes
    bad = tf.train.Checkpoint(model=tf.train.Checkpoint(layers=[tf.Variable([0.0])]))
    with pytest.raises(ValueError, match=r"model/layers/0.*\[2\].*\[1\]"):
        bad.read(path)
    with pytest.raises(FileNotFoundError):
        tf.train.Checkpoint().restore(str(tmp_path / "nothing"))


def test_sequential_and_functional_models_share_tf_layer_keys(tmp_path):
    seq = tf.keras.Sequential([tf.keras.Input((3,)), tf.keras.layers.Dense(4),
                               tf.keras.layers.Dense(2)])
    opt = tf.keras.optimizers.Adam(0.01)
    seq.compile(optimizer=opt, loss="mse")
    seq.fit(np.ones((4, 3), np.float32), np.ones((4, 2), np.float32), verbose=0, epochs=2)
    path = tf.train.Checkpoint(model=seq, optimizer=opt).save(str(tmp_path / "ckpt"))
    keys = [k for k, _ in tf.train.list_variables(path)]
    assert "model/layer_with_weights-1/kernel/.ATTRIBUTES/VARIABLE_VALUE" in keys   # TF's names
    assert ("model/layer_with_weights-0/kernel/.OPTIMIZER_SLOT/optimizer/m/.ATTRIBUTES/"
            "VARIABLE_VALUE") in keys
    inp = tf.keras.Input((3,))
    fn = tf.keras.Model(inp, tf.keras.layers.Dense(2)(tf.keras.layers.Dense(4)(inp)))
    opt2 = tf.keras.optimizers.Adam(0.01)
    tf.train.Checkpoint(model=fn, optimizer=opt2).restore(path).assert_consumed()
    for a, b in zip(seq.get_weights(), fn.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert int(opt2.iterations) == int(opt.iterations) == 2


def test_checkpoint_guide_lists_and_dicts(tmp_path):
    # "Saving object-based checkpoints": a Variable both listed and mapped restores by either
    save = tf.train.Checkpoint()
    save.listed = [tf.Variable(1.)]
    save.listed.append(tf.Variable(2.))
    save.mapped = {'one': save.listed[0]}
    save.mapped['two'] = save.listed[1]
    save_path = save.save(str(tmp_path / 'tf_list_example'))
    assert [k for k, _ in tf.train.list_variables(save_path)] == [
        'listed/0/.ATTRIBUTES/VARIABLE_VALUE', 'listed/1/.ATTRIBUTES/VARIABLE_VALUE',
        'save_counter/.ATTRIBUTES/VARIABLE_VALUE']   # stored once
    restore = tf.train.Checkpoint()
    v2 = tf.Variable(0.)
    restore.mapped = {'two': v2}
    restore.restore(save_path)
    assert v2.numpy() == 2.
    restore.listed = []
    assert str(restore.listed) == "ListWrapper([])"
    v1 = tf.Variable(0.)
    restore.listed.append(v1)   # restored from the restore() above (deferred)
    assert v1.numpy() == 1.


def test_dataset_iterator_position_is_checkpointed(tmp_path):
    # the training-checkpoints guide's Checkpoint(step=..., optimizer=..., net=..., iterator=...)
    ds = tf.data.Dataset.from_tensor_slices(np.arange(20.)).repeat(2).batch(3)
    it = iter(ds)
    ckpt = tf.train.Checkpoint(step=tf.Variable(1), iterator=it)
    for _ in range(4):
        next(it)
    path = ckpt.save(str(tmp_path / "ckpt"))
    want = next(it).numpy()
    np.testing.assert_array_equal(want, [12., 13., 14.])
    for _ in range(3):
        next(it)
    ckpt.restore(path)
    np.testing.assert_array_equal(next(it).numpy(), want)
    assert ("iterator/.ATTRIBUTES/ITERATOR_STATE", []) in tf.train.list_variables(str(tmp_path))
    fresh = iter(ds)   # a new process's iterator resumes there too
    tf.train.Checkpoint(step=tf.Variable(0), iterator=fresh).restore(path).assert_consumed()
    np.testing.assert_array_equal(fresh.get_next().numpy(), want)
    short = iter(tf.data.Dataset.range(2))
    with pytest.raises(ValueError, match="ends after 2 elements"):
        tf.train.Checkpoint(step=tf.Variable(0), iterator=short).restore(path)
