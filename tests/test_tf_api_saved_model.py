"""Cells of TF's "Using the SavedModel format" guide (site/en/guide/saved_model.ipynb) that need
no download, run with `import graphflow as tf`; values as the guide states them."""
import os

import numpy as np
import pytest

import graphflow as tf


class CustomModule(tf.Module):

    def __init__(self):
        super(CustomModule, self).__init__()
        self.v = tf.Variable(1.)

    @tf.function
    def __call__(self, x):
        print('Tracing with', x)
        return x * self.v

    @tf.function(input_signature=[tf.TensorSpec([], tf.float32)])
    def mutate(self, new_v):
        self.v.assign(new_v)


def test_custom_module_save_load_fine_tune(tmp_path, capsys):
    module = CustomModule()
    module_no_signatures_path = os.path.join(tmp_path, 'module_no_signatures')
    module(tf.constant(0.))
    tf.saved_model.save(module, module_no_signatures_path)
    assert "Tracing with" in capsys.readouterr().out

    imported = tf.saved_model.load(module_no_signatures_path)
    assert imported(tf.constant(3.)).numpy() == 3
    imported.mutate(tf.constant(2.))
    assert imported(tf.constant(3.)).numpy() == 6
    # no Python runs, the saved graphs do: the trace-time print is not repeated (as TF)
    assert "Tracing with" not in capsys.readouterr().out
    assert module.v.numpy() == 1.0                  # the loaded Variables are their own
    with pytest.raises(TypeError, match="saved traces"):
        imported(tf.constant([1.0, 2.0]))           # only the traced signature was saved

    # "Basic fine-tuning": gradients flow through the loaded function
    optimizer = tf.keras.optimizers.SGD(0.05)

    def train_step():
        with tf.GradientTape() as tape:
            loss = (10. - imported(tf.constant(2.))) ** 2
        variables = tape.watched_variables()
        grads = tape.gradient(loss, variables)
        optimizer.apply_gradients(zip(grads, variables))
        return loss

    vs = []
    for _ in range(10):   # "v" approaches 5, "loss" approaches 0
        loss = train_step()
        vs.append(float(imported.v.numpy()))
    # by hand: v <- v - 0.05 * d/dv (10 - 2v)^2 = v + 0.4 (10 - 2v)
    v, want = 2.0, []
    for _ in range(10):
        v = v + 0.05 * 4 * (10 - 2 * v)
        want.append(v)
    np.testing.assert_allclose(vs, want, rtol=1e-5)
    assert abs(vs[-1] - 5) < 0.02 and float(loss) < 0.01
    assert [v.name for v in imported.trainable_variables] == ["Variable:0"]


def test_signatures(tmp_path):
    module = CustomModule()
    module(tf.constant(0.))
    call = module.__call__.get_concrete_function(tf.TensorSpec(None, tf.float32))
    path = os.path.join(tmp_path, 'module_with_signature')
    tf.saved_model.save(module, path, signatures=call)
    imported_with_signatures = tf.saved_model.load(path)
    assert list(imported_with_signatures.signatures.keys()) == ['serving_default']
    sig = imported_with_signatures.signatures['serving_default']
    out = sig(x=tf.constant([[1., 2.]]))
    assert list(out) == ["output_0"]
    np.testing.assert_array_equal(out["output_0"].numpy(), [[1., 2.]])
    np.testing.assert_array_equal(sig(x=tf.constant(4.))["output_0"].numpy(), 4.)

    signatures = {"serving_default": call,
                  "array_input": module.__call__.get_concrete_function(
                      tf.TensorSpec([None], tf.float32))}
    path = os.path.join(tmp_path, 'module_with_multiple_signatures')
    tf.saved_model.save(module, path, signatures=signatures)
    imported = tf.saved_model.load(path)
    assert sorted(imported.signatures) == ["array_input", "serving_default"]
    np.testing.assert_array_equal(
        imported.signatures["array_input"](x=tf.constant([1., 5.]))["output_0"].numpy(), [1., 5.])

    class CustomModuleWithOutputName(tf.Module):
        def __init__(self):
            super(CustomModuleWithOutputName, self).__init__()
            self.v = tf.Variable(1.)

        @tf.function(input_signature=[tf.TensorSpec(None, tf.float32)])
        def __call__(self, x):
            return {'custom_output_name': x * self.v}

    module_output = CustomModuleWithOutputName()
    call_output = module_output.__call__.get_concrete_function(tf.TensorSpec(None, tf.float32))
    module_output_path = os.path.join(tmp_path, 'module_with_output_name')
    tf.saved_model.save(module_output, module_output_path,
                        signatures={'serving_default': call_output})
    imported_with_output_name = tf.saved_model.load(module_output_path)
    outs = imported_with_output_name.signatures['serving_default'].structured_outputs
    assert list(outs) == ['custom_output_name'] and outs['custom_output_name'].dtype == tf.float32


def test_control_flow_in_saved_models(tmp_path, capsys):
    @tf.function(input_signature=[tf.TensorSpec([], tf.int32)])
    def control_flow(x):
        if x < 0:
            tf.print("Invalid!")
        else:
            tf.print(x % 3)

    to_export = tf.Module()
    to_export.control_flow = control_flow
    tf.saved_model.save(to_export, os.path.join(tmp_path, 'control_flow'))
    imported = tf.saved_model.load(os.path.join(tmp_path, 'control_flow'))
    capsys.readouterr()
    imported.control_flow(tf.constant(-1))  # Invalid!
    imported.control_flow(tf.constant(2))   # 2
    imported.control_flow(tf.constant(3))   # 0
    assert capsys.readouterr().out.split() == ["Invalid!", "2", "0"]


def test_submodules_and_lists_are_restored(tmp_path):
    class Dense(tf.Module):
        def __init__(self, n_in, n_out, name=None):
            super().__init__(name=name)
            self.w = tf.Variable(tf.random.normal([n_in, n_out]), name='w')
            self.b = tf.Variable(tf.zeros([n_out]), name='b', trainable=False)

        def __call__(self, x):
            return tf.nn.relu(x @ self.w + self.b)

    class MLP(tf.Module):
        def __init__(self):
            super().__init__()
            self.layers = [Dense(3, 4), Dense(4, 2)]

        @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32)])
        def __call__(self, x):
            for layer in self.layers:
                x = layer(x)
            return x

    m = MLP()
    x = tf.random.normal([5, 3])
    want = m(x).numpy()
    tf.saved_model.save(m, str(tmp_path / "mlp"))
    loaded = tf.saved_model.load(str(tmp_path / "mlp"))
    np.testing.assert_allclose(loaded(x).numpy(), want, rtol=1e-6)
    np.testing.assert_allclose(loaded.layers[1].w.numpy(), m.layers[1].w.numpy())
    assert len(loaded.variables) == 4 and len(loaded.trainable_variables) == 2
    # inside another @function, the loaded graph is inlined
    @tf.function
    def twice(x):
        return loaded(x) * 2.0
    np.testing.assert_allclose(twice(x).numpy(), 2 * want, rtol=1e-6)
    with pytest.raises(FileNotFoundError, match="saved_model.pkl"):
        tf.saved_model.load(str(tmp_path))


class _Evil:
    def __reduce__(self):
        return (os.remove, ("/nonexistent/graphflow-test",))


def test_load_refuses_anything_but_graph_ir_types(tmp_path):
    import pickle
    m = tf.Module()
    m.v = tf.Variable(1.0)
    tf.saved_model.save(m, str(tmp_path))
    path = tmp_path / tf.saved_model.SAVED_MODEL_FILE
    with open(path, "wb") as f:   # a valid header, then a payload calling os.remove
        pickle.dump({"format": "graphflow-saved-model-1", "variables": {}}, f)
        pickle.dump(_Evil(), f)
    with pytest.raises(pickle.UnpicklingError, match="refusing posix.remove|refusing os.remove"):
        tf.saved_model.load(str(tmp_path))
