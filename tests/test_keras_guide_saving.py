"""Cells of the Keras guide "Save, serialize, and export models" (keras-io
guides/serialization_and_saving.py, Keras 3), run with `import graphflow.keras as keras;
from graphflow.keras import ops`. Files go to pytest's tmp_path; configs are compared with what
Keras 3.15 gives for the same cells. (The export section - SavedModel / TFSMLayer - is left
out.)"""
import json

import numpy as np
import pytest

import graphflow as tf
from graphflow import keras
from graphflow.keras import ops


pytestmark = pytest.mark.usefixtures("keras_seeded")   # conftest: the same values every run


def get_model():
    inputs = keras.Input(shape=(32,))
    outputs = keras.layers.Dense(1)(inputs)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(), loss="mean_squared_error")
    return model


def test_save_and_load(tmp_path):
    model = get_model()
    test_input = np.random.random((128, 32))
    test_target = np.random.random((128, 1))
    model.fit(test_input, test_target, verbose=0)
    model.save(str(tmp_path / "my_model.keras"))
    reconstructed_model = keras.models.load_model(str(tmp_path / "my_model.keras"))
    np.testing.assert_allclose(model.predict(test_input, verbose=0),
                               reconstructed_model.predict(test_input, verbose=0))
    # compiled, with the optimizer state: training resumes identically
    model.fit(test_input, test_target, verbose=0, shuffle=False)
    reconstructed_model.fit(test_input, test_target, verbose=0, shuffle=False)
    np.testing.assert_allclose(model.predict(test_input, verbose=0),
                               reconstructed_model.predict(test_input, verbose=0), rtol=1e-5)


@pytest.fixture(autouse=True)
def _keep_registry():
    """The guide clears the global registry; other test modules' registrations come back."""
    saved = dict(keras.saving.get_custom_objects())
    yield
    keras.saving.get_custom_objects().clear()
    keras.saving.get_custom_objects().update(saved)


def _custom_objects():
    keras.saving.get_custom_objects().clear()

    @keras.saving.register_keras_serializable(package="MyLayers")
    class CustomLayer(keras.layers.Layer):
        def __init__(self, factor):
            super().__init__()
            self.factor = factor

        def call(self, x):
            return x * self.factor

        def get_config(self):
            return {"factor": self.factor}

    @keras.saving.register_keras_serializable(package="my_package", name="custom_fn")
    def custom_fn(x):
        return x**2

    def get_model():
        inputs = keras.Input(shape=(4,))
        mid = CustomLayer(0.5)(inputs)
        outputs = keras.layers.Dense(1, activation=custom_fn)(mid)
        model = keras.Model(inputs, outputs)
        model.compile(optimizer="rmsprop", loss="mean_squared_error")
        return model

    def train_model(model):
        input = np.random.random((4, 4))
        target = np.random.random((4, 1))
        model.fit(input, target, verbose=0)
        return model
    return CustomLayer, custom_fn, get_model, train_model


def test_custom_objects_three_ways(tmp_path):
    CustomLayer, custom_fn, get_model, train_model = _custom_objects()
    assert sorted(keras.saving.get_custom_objects()) == ["MyLayers>CustomLayer",
                                                        "my_package>custom_fn"]
    test_input = np.random.random((4, 4))
    path = str(tmp_path / "custom_model.keras")
    model = train_model(get_model())
    model.save(path)
    reconstructed_model = keras.models.load_model(path)
    np.testing.assert_allclose(model.predict(test_input, verbose=0),
                               reconstructed_model.predict(test_input, verbose=0))
    k, b = model.layers[-1].get_weights()
    np.testing.assert_allclose(model.predict(test_input, verbose=0),
                               (0.5 * test_input @ k + b) ** 2, rtol=1e-5)

    # passing custom objects to load_model (without the registry)
    model = train_model(get_model())
    model.save(path)
    keras.saving.get_custom_objects().clear()
    reconstructed_model = keras.models.load_model(
        path, custom_objects={"CustomLayer": CustomLayer, "custom_fn": custom_fn})
    np.testing.assert_allclose(model.predict(test_input, verbose=0),
                               reconstructed_model.predict(test_input, verbose=0))

    # a custom object scope
    model = train_model(get_model())
    model.save(path)
    custom_objects = {"CustomLayer": CustomLayer, "custom_fn": custom_fn}
    with keras.saving.custom_object_scope(custom_objects):
        reconstructed_model = keras.models.load_model(path)
    np.testing.assert_allclose(model.predict(test_input, verbose=0),
                               reconstructed_model.predict(test_input, verbose=0))
    with pytest.raises(TypeError, match="Could not locate class 'CustomLayer'"):   # Keras 3
        keras.models.load_model(path)   # out of the scope and unregistered


def test_model_serialization_apis():
    model = get_model()
    new_model = keras.models.clone_model(model)
    assert new_model is not model and new_model.count_params() == 33
    assert not any(np.array_equal(a, b) for a, b in zip(model.get_weights()[:1],
                                                        new_model.get_weights()[:1]))

    layer = keras.layers.Dense(3, activation="relu")
    layer_config = layer.get_config()
    # Keras 3.15 (besides the layer's own name; 3.15 adds quantization_config: None, which
    # graphflow leaves out)
    layer_config = {k: v for k, v in layer_config.items() if k != "quantization_config"}
    assert layer_config["kernel_initializer"]["config"] == {
        "seed": None, "input_axes": None, "output_axes": None}   # Keras 3.15
    layer_config["kernel_initializer"]["config"] = {"seed": None}
    assert {k: v for k, v in layer_config.items() if k != "name"} == {
        "trainable": True,
        "dtype": {"module": "keras", "class_name": "DTypePolicy",
                  "config": {"name": "float32"}, "registered_name": None},
        "units": 3, "activation": "relu", "use_bias": True,
        "kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform",
                               "config": {"seed": None}, "registered_name": None},
        "bias_initializer": {"module": "keras.initializers", "class_name": "Zeros",
                             "config": {}, "registered_name": None},
        "kernel_regularizer": None, "bias_regularizer": None, "kernel_constraint": None,
        "bias_constraint": None}
    new_layer = keras.layers.Dense.from_config(layer_config)
    assert new_layer.units == 3

    model = keras.Sequential([keras.Input((32,)), keras.layers.Dense(1)])
    config = model.get_config()
    new_model = keras.Sequential.from_config(config)
    assert new_model.count_params() == 33

    inputs = keras.Input((32,))
    outputs = keras.layers.Dense(1)(inputs)
    model = keras.Model(inputs, outputs)
    config = model.get_config()
    new_model = keras.Model.from_config(config)
    assert new_model.count_params() == 33

    model = keras.Sequential([keras.Input((32,)), keras.layers.Dense(1)])
    json_config = model.to_json()
    assert json.loads(json_config)["class_name"] == "Sequential"
    new_model = keras.models.model_from_json(json_config)
    assert new_model.count_params() == 33 and isinstance(new_model, keras.Sequential)

    my_reg = keras.regularizers.L1(0.005)
    config = keras.saving.serialize_keras_object(my_reg)
    # Keras 3.15 (its l1 is the float32 value 0.004999999888241291)
    assert config["config"]["l1"] == pytest.approx(0.005, rel=1e-7)
    assert dict(config, config=None) == {"module": "keras.regularizers", "class_name": "L1",
                                         "config": None, "registered_name": None}
    new_reg = keras.saving.deserialize_keras_object(config)
    w = np.array([1.0, -2.0], "float32")
    np.testing.assert_allclose(float(new_reg(w)), 0.015, rtol=1e-6)


def test_weight_transfer_in_memory():
    def create_layer():
        layer = keras.layers.Dense(64, activation="relu", name="dense_2")
        layer.build((None, 784))
        return layer

    layer_1 = create_layer()
    layer_2 = create_layer()
    layer_2.set_weights(layer_1.get_weights())
    for a, b in zip(layer_1.weights, layer_2.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())

    inputs = keras.Input(shape=(784,), name="digits")
    x = keras.layers.Dense(64, activation="relu", name="dense_1")(inputs)
    x = keras.layers.Dense(64, activation="relu", name="dense_2")(x)
    outputs = keras.layers.Dense(10, name="predictions")(x)
    functional_model = keras.Model(inputs=inputs, outputs=outputs, name="3_layer_mlp")

    class SubclassedModel(keras.Model):
        def __init__(self, output_dim, name=None):
            super().__init__(name=name)
            self.output_dim = output_dim
            self.dense_1 = keras.layers.Dense(64, activation="relu", name="dense_1")
            self.dense_2 = keras.layers.Dense(64, activation="relu", name="dense_2")
            self.dense_3 = keras.layers.Dense(output_dim, name="predictions")

        def call(self, inputs):
            x = self.dense_1(inputs)
            x = self.dense_2(x)
            x = self.dense_3(x)
            return x

        def get_config(self):
            return {"output_dim": self.output_dim, "name": self.name}

    subclassed_model = SubclassedModel(10)
    subclassed_model(np.ones((1, 784)))
    subclassed_model.set_weights(functional_model.get_weights())
    assert len(functional_model.weights) == len(subclassed_model.weights)
    for a, b in zip(functional_model.weights, subclassed_model.weights):
        np.testing.assert_allclose(a.numpy(), b.numpy())

    # stateless layers do not change the order or number of weights
    inputs = keras.Input(shape=(784,), name="digits")
    x = keras.layers.Dense(64, activation="relu", name="dense_1")(inputs)
    x = keras.layers.Dense(64, activation="relu", name="dense_2")(x)
    x = keras.layers.Dropout(0.5)(x)
    outputs = keras.layers.Dense(10, name="predictions")(x)
    functional_model_with_dropout = keras.Model(inputs=inputs, outputs=outputs,
                                                name="3_layer_mlp")
    functional_model_with_dropout.set_weights(functional_model.get_weights())
    xs = np.random.default_rng(0).random((2, 784)).astype("float32")
    np.testing.assert_allclose(functional_model_with_dropout(xs).numpy(),
                               functional_model(xs).numpy(), rtol=1e-5)


class NestedDenseLayer(keras.layers.Layer):
    def __init__(self, units, name=None):
        super().__init__(name=name)
        self.dense_1 = keras.layers.Dense(units, name="dense_1")
        self.dense_2 = keras.layers.Dense(units, name="dense_2")

    def call(self, inputs):
        return self.dense_2(self.dense_1(inputs))


def test_weights_to_disk_and_ordering(tmp_path):
    sequential_model = keras.Sequential(
        [
            keras.Input(shape=(784,), name="digits"),
            keras.layers.Dense(64, activation="relu", name="dense_1"),
            keras.layers.Dense(64, activation="relu", name="dense_2"),
            keras.layers.Dense(10, name="predictions"),
        ]
    )
    path = str(tmp_path / "my_model.weights.h5")
    sequential_model.save_weights(path)
    before = sequential_model.get_weights()
    for w in sequential_model.weights:
        w.assign(np.zeros(tuple(w.shape), "float32"))
    sequential_model.load_weights(path)
    for a, b in zip(before, sequential_model.get_weights()):
        np.testing.assert_array_equal(a, b)

    nested_model = keras.Sequential([keras.Input((784,)), NestedDenseLayer(10, "nested")])
    variable_names = [v.name for v in nested_model.weights]
    # Keras 3.15: ['kernel', 'bias', 'kernel', 'bias']
    assert variable_names == ["kernel", "bias", "kernel", "bias"]
    nested_model.get_layer("nested").dense_1.trainable = False
    variable_names_2 = [v.name for v in nested_model.weights]
    # Keras 3.15 prints "variable ordering changed: False"
    assert (variable_names != variable_names_2) is False


def test_transfer_learning_from_weights_file(tmp_path):
    def create_functional_model():
        inputs = keras.Input(shape=(784,), name="digits")
        x = keras.layers.Dense(64, activation="relu", name="dense_1")(inputs)
        x = keras.layers.Dense(64, activation="relu", name="dense_2")(x)
        outputs = keras.layers.Dense(10, name="predictions")(x)
        return keras.Model(inputs=inputs, outputs=outputs, name="3_layer_mlp")

    functional_model = create_functional_model()
    path = str(tmp_path / "pretrained.weights.h5")
    functional_model.save_weights(path)
    pretrained_model = create_functional_model()
    pretrained_model.load_weights(path)
    extracted_layers = pretrained_model.layers[:-1]
    extracted_layers.append(keras.layers.Dense(5, name="dense_3"))
    model = keras.Sequential(extracted_layers)
    lines = []
    model.summary(print_fn=lambda s, **kw: lines.append(s))
    # Keras 3.15: Total params: 54,725, layers dense_1, dense_2, dense_3 (the extracted
    # InputLayer starts the Sequential)
    assert "Total params: 54,725" in "\n".join(lines)
    assert [l.name for l in model.layers] == ["dense_1", "dense_2", "dense_3"]
    np.testing.assert_array_equal(model.layers[0].kernel.numpy(),
                                  functional_model.layers[1].kernel.numpy())


def _my_dense():
    @keras.saving.register_keras_serializable(package="MyLayers", name="KernelMult")
    class MyDense(keras.layers.Layer):
        def __init__(self, units, *, kernel_regularizer=None, kernel_initializer=None,
                     nested_model=None, **kwargs):
            super().__init__(**kwargs)
            self.hidden_units = units
            self.kernel_regularizer = kernel_regularizer
            self.kernel_initializer = kernel_initializer
            self.nested_model = nested_model

        def get_config(self):
            config = super().get_config()
            config.update({
                "units": self.hidden_units,
                "kernel_regularizer": self.kernel_regularizer,
                "kernel_initializer": self.kernel_initializer,
                "nested_model": self.nested_model,
            })
            return config

        def build(self, input_shape):
            input_units = input_shape[-1]
            self.kernel = self.add_weight(
                name="kernel",
                shape=(input_units, self.hidden_units),
                regularizer=self.kernel_regularizer,
                initializer=self.kernel_initializer,
            )

        def call(self, inputs):
            return ops.matmul(inputs, self.kernel)
    return MyDense


def test_config_methods_and_registered_names():
    MyDense = _my_dense()
    layer = MyDense(units=16, kernel_regularizer="l1", kernel_initializer="ones")
    layer3 = MyDense(units=64, nested_model=layer)
    config = keras.layers.serialize(layer3)
    assert config["registered_name"] == "MyLayers>KernelMult"
    assert config["config"]["nested_model"]["registered_name"] == "MyLayers>KernelMult"
    new_layer = keras.layers.deserialize(config)
    assert type(new_layer) is MyDense and new_layer.hidden_units == 64
    assert type(new_layer.nested_model) is MyDense and new_layer.nested_model.hidden_units == 16

    @keras.saving.register_keras_serializable(package="ComplexModels")
    class CustomModel(keras.layers.Layer):
        def __init__(self, first_layer, second_layer=None, **kwargs):
            super().__init__(**kwargs)
            self.first_layer = first_layer
            if second_layer is not None:
                self.second_layer = second_layer
            else:
                self.second_layer = keras.layers.Dense(8)

        def get_config(self):
            config = super().get_config()
            config.update({"first_layer": self.first_layer, "second_layer": self.second_layer})
            return config

        @classmethod
        def from_config(cls, config):
            config["first_layer"] = keras.layers.deserialize(config["first_layer"])
            config["second_layer"] = keras.layers.deserialize(config["second_layer"])
            return cls(**config)

        def call(self, inputs):
            return self.first_layer(self.second_layer(inputs))

    inputs = keras.Input((32,))
    outputs = CustomModel(first_layer=layer)(inputs)
    model = keras.Model(inputs, outputs)
    config = model.get_config()
    new_model = keras.Model.from_config(config)
    assert new_model.output_shape == (None, 16)
    # Dense(8) on 32 inputs + MyDense(16) on 8: 264 + 128
    assert new_model.count_params() == 392

    layer = MyDense(units=16, kernel_regularizer=keras.regularizers.L1L2(l1=1e-5, l2=1e-4),
                    kernel_initializer="ones")
    config = keras.layers.serialize(layer)
    # Keras 3.15
    assert config["module"] is None and config["class_name"] == "MyDense"
    assert config["registered_name"] == "MyLayers>KernelMult"
    assert config["config"]["kernel_regularizer"] == {
        "module": "keras.regularizers", "class_name": "L1L2",
        "config": {"l1": 1e-05, "l2": 0.0001}, "registered_name": None}
    assert config["config"]["units"] == 16 and config["config"]["kernel_initializer"] == "ones"


# ---- the guide "Customizing Saving and Serialization" (Keras 3): build and compile hooks
@keras.saving.register_keras_serializable(package="gf_guide_custom_saving")
class _LayerWithCustomBuild(keras.layers.Layer):
    def __init__(self, units=32, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def call(self, inputs):
        return ops.matmul(inputs, self.w) + self.b

    def get_config(self):
        return dict(units=self.units, **super().get_config())

    def build(self, input_shape, layer_init):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer=layer_init)
        self.b = self.add_weight(shape=(self.units,), initializer=layer_init)
        self.layer_init = layer_init

    def get_build_config(self):
        return {"layer_init": self.layer_init, "input_shape": (8,)}

    def build_from_config(self, config):
        self.build(config["input_shape"], config["layer_init"])


@keras.saving.register_keras_serializable(package="gf_guide_custom_saving")
class _ModelWithCustomCompile(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dense1 = keras.layers.Dense(8, activation="relu")
        self.dense2 = keras.layers.Dense(4, activation="softmax")

    def call(self, x):
        return self.dense2(self.dense1(x))

    def compile(self, optimizer, loss_fn, metrics):
        super().compile(optimizer=optimizer, loss=loss_fn, metrics=metrics)
        self.model_optimizer, self.loss_fn, self.loss_metrics = optimizer, loss_fn, metrics

    def get_compile_config(self):
        return {"model_optimizer": self.model_optimizer, "loss_fn": self.loss_fn,
                "metric": self.loss_metrics}

    def compile_from_config(self, config):
        self.compile(optimizer=keras.utils.deserialize_keras_object(config["model_optimizer"]),
                     loss_fn=keras.utils.deserialize_keras_object(config["loss_fn"]),
                     metrics=keras.utils.deserialize_keras_object(config["metric"]))


def test_custom_build_and_compile_configs_round_trip(tmp_path):
    layer = _LayerWithCustomBuild(units=16)
    layer.build(input_shape=(8,), layer_init="random_normal")
    assert layer.built   # Keras 3: calling build() marks the layer built
    model = keras.Sequential([layer])
    model.compile(optimizer="adam", loss="mean_squared_error")
    model.save(tmp_path / "custom_build.keras")
    restored = keras.models.load_model(tmp_path / "custom_build.keras")
    assert tuple(restored.layers[0].w.shape) == (8, 16)   # built by build_from_config
    x = np.ones((2, 8), "float32")
    np.testing.assert_allclose(restored(x).numpy(), model(x).numpy(), rtol=1e-6)

    m = _ModelWithCustomCompile()
    m.compile(optimizer="SGD", loss_fn="mean_squared_error", metrics=["mean_squared_error"])
    m.fit(np.random.random((4, 8)), np.random.random((4, 4)), verbose=0)
    m.save(tmp_path / "custom_compile.keras")
    r = keras.models.load_model(tmp_path / "custom_compile.keras")
    assert (r.model_optimizer, r.loss_fn, r.loss_metrics) == (
        "SGD", "mean_squared_error", ["mean_squared_error"])
    assert keras.saving.get_registered_name(_ModelWithCustomCompile) == \
        "gf_guide_custom_saving>_ModelWithCustomCompile"
    assert keras.utils.deserialize_keras_object(["a", 1, None]) == ["a", 1, None]


def test_compute_output_shape_after_a_failed_symbolic_trace_creates_weights_once():
    # the symbolic trace of a Bidirectional LSTM fails after its cell made `kernel`; the
    # concrete run that follows must not make a second one (a .keras file would not load)
    b = keras.layers.Bidirectional(keras.layers.LSTM(4, return_sequences=True))
    assert tuple(b.compute_output_shape((None, 5, 2))) == (None, 5, 8)
    assert [v.name for v in b.forward_layer.cell.weights] == ["kernel", "recurrent_kernel",
                                                               "bias"]
    assert len(b.weights) == 6
