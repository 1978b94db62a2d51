"""TF 2.21 / Keras 3 parity found by the thirteenth session's probes (expected values are what
TF 2.21 and Keras 3.15 printed for the same code)."""
import numpy as np

import graphflow as tf
from graphflow import keras


def test_assign_returns_unread_variable():
    v = tf.Variable([1., 2.])
    r = v.assign_add([1., 1.])
    assert type(r).__name__ == "_UnreadVariable" and isinstance(r, tf.Variable)
    assert repr(r) == ("<tf.Variable 'UnreadVariable' shape=(2,) dtype=float32, "
                       "numpy=array([2., 3.], dtype=float32)>")
    assert v.assign([3., 4.], read_value=False) is None
    seen = []

    @tf.function
    def f():
        r = v.assign_add([1., 1.])
        seen.append((repr(r), r.name))
        r = v[0].assign(5.)   # a slice assign too
        return r + 1.

    np.testing.assert_array_equal(f().numpy(), [6., 6.])
    assert seen == [("<tf.Variable 'UnreadVariable' shape=(2,) dtype=float32>", "UnreadVariable")]
    assert v.numpy().tolist() == [5., 5.] and r.numpy().tolist() == [5., 5.]   # reads now
    d = keras.layers.Dense(1)
    d.build((None, 2))
    out = d.bias.assign_add([1.])   # Keras 3: the value assigned, a tensor
    assert type(out) is tf.Tensor and out.numpy().tolist() == [1.]


def test_model_metrics_hold_keras3_compile_metrics_container():
    x, y = np.ones((4, 3), "float32"), np.array([0, 1, 0, 1])
    m = keras.Sequential([keras.layers.Dense(2, activation="softmax")])
    m.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    assert m.metrics_names == ["loss", "compile_metrics"]   # before fit too (Keras 3.15)
    m.fit(x, y, epochs=1, verbose=0)
    assert m.metrics_names == ["loss", "compile_metrics"]
    assert sorted(m.evaluate(x, y, verbose=0, return_dict=True)) == ["accuracy", "loss"]
    loss, acc = m.evaluate(x, y, verbose=0)
    assert acc == 0.5 and loss > 0
    m.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")   # no metrics: no container
    assert m.metrics_names == ["loss"]


def test_sequential_built_from_data_has_keras3_inputs():
    s = keras.Sequential([keras.layers.Dense(4, name="d1"), keras.layers.Dense(1, name="d2")])
    s(np.ones((2, 3), "float32"))
    # Keras 3 builds an InputLayer of the data's whole shape, batch dim included
    assert [tuple(t.shape) for t in s.inputs] == [(2, 3)]
    assert [tuple(t.shape) for t in s.outputs] == [(2, 1)]
    assert repr(s.inputs[0]).startswith("<KerasTensor shape=(2, 3), dtype=float32, sparse=False, "
                                        "ragged=False, name=")
    lines = []
    s.summary(print_fn=lines.append)
    assert "(2, 4)" in lines[0] and "(2, 1)" in lines[0]
    inp = keras.Input((3,))
    fm = keras.Model(inp, s(inp))   # inside a functional model
    assert fm(np.ones((5, 3), "float32")).shape == (5, 1) and len(fm.weights) == 4
    s.compile("sgd", "mse")
    s.fit(np.ones((4, 3), "float32"), np.ones((4, 1), "float32"), batch_size=4, verbose=0)
    assert s.predict(np.ones((3, 3), "float32"), verbose=0).shape == (3, 1)


def test_to_categorical_and_model_checkpoint_paths(tmp_path):
    assert keras.utils.to_categorical([0, 2, 1]).dtype == np.float64   # numpy path: float64
    t = keras.utils.to_categorical(tf.constant([[0], [2]]), 3)   # tensor path: one_hot
    assert t.dtype == tf.float32 and t.numpy().tolist() == [[1, 0, 0], [0, 0, 1]]
    keras.callbacks.ModelCheckpoint(str(tmp_path / "m.h5"))   # Keras 3 takes a legacy .h5
    for kw, msg in [({"filepath": "a.keras", "save_weights_only": True}, "must end in `.weights.h5`"),
                    ({"filepath": "a.txt"}, "must end in `.keras` (Keras model format)")]:
        try:
            keras.callbacks.ModelCheckpoint(**kw)
            raise AssertionError("no error")
        except ValueError as e:
            assert msg in str(e)


def test_tensor_shape_is_not_a_tuple():
    s = tf.TensorShape([2, 3])
    assert "%s" % s == "(2, 3)" and "{}".format(s) == "(2, 3)" and repr(s) == "TensorShape([2, 3])"
    assert not isinstance(s, tuple) and s == (2, 3) and s == [2, 3] and s != (2, 4)
    assert hash(s) == hash((2, 3)) and {(2, 3): 1}[s] == 1
    assert s.as_list() == [2, 3] and s.rank == 2 and len(s) == 2 and list(s) == [2, 3]
    assert repr(s.concatenate([4])) == "TensorShape([2, 3, 4])" and str(s + [5]) == "(2, 3, 5)"
    assert str((1,) + s) == "(1, 2, 3)" and repr(s[1:]) == "TensorShape([3])" and s[0] == 2
    u = tf.TensorShape([None, 3])
    assert str(u) == "(None, 3)" and repr(u) == "TensorShape([None, 3])"
    assert u.merge_with([5, 3]) == (5, 3) and u.is_compatible_with([5, 3])
    assert not u.is_compatible_with([5, 4]) and u.num_elements() is None
    assert str(u.most_specific_compatible_shape([4, 3])) == "(None, 3)"
    try:
        u.merge_with([5, 4])
        raise AssertionError("no error")
    except ValueError as e:
        assert str(e) == "Shapes (None, 3) and (5, 4) are not compatible"
    n = tf.TensorShape(None)
    assert str(n) == "<unknown>" and repr(n) == "TensorShape(None)" and n.rank is None
    assert np.zeros(tf.constant([[1., 2.]]).shape).shape == (1, 2)
    assert tf.zeros(s).shape == s and tf.reshape(tf.range(6), s).shape == (2, 3)


def test_nest_structure_mismatch_message_is_tfs():
    try:
        tf.nest.assert_same_structure([1, 2], [1, [2]])
        raise AssertionError("no error")
    except ValueError as e:
        assert str(e) == (
            "The two structures don't have the same nested structure.\n\nFirst structure: "
            "type=list str=[1, 2]\n\nSecond structure: type=list str=[1, [2]]\n\nMore "
            "specifically: Substructure \"type=list str=[2]\" is a sequence, while substructure "
            "\"type=int str=2\" is not\nEntire first structure:\n[., .]\nEntire second "
            "structure:\n[., [.]]")


def test_loaded_signature_specs_are_named(tmp_path):
    class S(tf.Module):
        def __init__(self):
            super().__init__()
            self.v = tf.Variable(2.)

        @tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
        def mul(self, x):
            return {"out": x * self.v}

    s = S()
    tf.saved_model.save(s, str(tmp_path / "sm"), signatures={"serving_default": s.mul})
    loaded = tf.saved_model.load(str(tmp_path / "sm"))
    f = loaded.signatures["serving_default"]
    assert str(f.structured_input_signature) == \
        "((), {'x': TensorSpec(shape=(None,), dtype=tf.float32, name='x')})"
    assert str(f.structured_outputs) == \
        "{'out': TensorSpec(shape=(None,), dtype=tf.float32, name='out')}"
    assert type(loaded).__name__ == "_UserObject"


def test_keras_ops_dot_is_numpys_and_histogram_wants_1d():
    ops = keras.ops
    x = np.array([[1., -2., 3.], [0.5, 4., -1.]], "float32")
    assert float(ops.dot(x[0], x[1])) == -10.5   # vectors: matmul raised
    assert ops.dot(x, x[0]).numpy().tolist() == [14., -10.5]
    assert ops.dot(np.ones((2, 3, 4)), np.ones((5, 4, 6))).shape == (2, 3, 5, 6)
    try:
        ops.histogram(x, 2)
        raise AssertionError("no error")
    except ValueError as e:
        assert str(e) == "Input tensor must be 1-dimensional. Received: input.shape=(2, 3)"


def test_keras_file_of_an_unregistered_layer(tmp_path):
    import json
    import zipfile

    class Unreg(keras.layers.Layer):
        def call(self, x):
            return x + 1

    inp = keras.Input((3,))
    path = str(tmp_path / "u.keras")
    keras.Model(inp, Unreg()(inp)).save(path)
    cfg = json.loads(zipfile.ZipFile(path).read("config.json"))
    assert cfg["build_config"] == {"input_shape": None}   # Keras 3 writes it for a Functional
    try:
        keras.models.load_model(path)
        raise AssertionError("no error")
    except TypeError as e:   # Keras 3.15's type and words
        assert str(e).startswith(
            "Could not locate class 'Unreg'. Make sure custom classes and functions are "
            "decorated with `@keras.saving.register_keras_serializable()`.")
    assert keras.models.load_model(path, custom_objects={"Unreg": Unreg})(
        np.zeros((1, 3), "float32")).numpy().tolist() == [[1., 1., 1.]]


def test_eager_while_loop_gives_tensors():
    out = tf.while_loop(lambda v: v < 10, lambda v: (v * 2,), (1,))   # TF: (<tf.Tensor 16>,)
    assert isinstance(out, tuple) and isinstance(out[0], tf.Tensor) and int(out[0]) == 16
    assert out[0].dtype == tf.int32
    r = keras.ops.while_loop(lambda v: v < 10, lambda v: v * 2, 1)
    assert isinstance(r, tf.Tensor) and int(r) == 16
