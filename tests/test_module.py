"""tf.Module: tracking, names, name scopes, init_scope, @function methods; cells of TF's
"Introduction to modules, layers and models" guide with the values the guide shows."""
import numpy as np
import pytest

import graphflow as tf


class SimpleModule(tf.Module):   # guide: intro_to_modules
    def __init__(self, name=None):
        super().__init__(name=name)
        self.a_variable = tf.Variable(5.0, name="train_me")
        self.non_trainable_variable = tf.Variable(5.0, trainable=False, name="do_not_train_me")

    def __call__(self, x):
        return self.a_variable * x + self.non_trainable_variable


class Dense(tf.Module):
    def __init__(self, in_features, out_features, name=None):
        super().__init__(name=name)
        self.w = tf.Variable(tf.random.normal([in_features, out_features]), name="w")
        self.b = tf.Variable(tf.zeros([out_features]), name="b")

    def __call__(self, x):
        y = tf.matmul(x, self.w) + self.b
        return tf.nn.relu(y)


class SequentialModule(tf.Module):
    def __init__(self, name=None):
        super().__init__(name=name)
        self.dense_1 = Dense(in_features=3, out_features=3)
        self.dense_2 = Dense(in_features=3, out_features=2)

    def __call__(self, x):
        return self.dense_2(self.dense_1(x))


def test_simple_module_guide_values():
    m = SimpleModule(name="simple")
    assert float(m(tf.constant(5.0))) == 30.0
    assert [v.name for v in m.trainable_variables] == ["train_me:0"]
    assert [v.name for v in m.variables] == ["train_me:0", "do_not_train_me:0"]
    assert [v.name for v in m.non_trainable_variables] == ["do_not_train_me:0"]
    assert isinstance(m.variables, tuple) and m.name == "simple"


def test_sequential_module_submodules_and_order():
    m = SequentialModule(name="the_model")
    subs = m.submodules
    assert subs == (m.dense_1, m.dense_2)
    assert [(v.name, tuple(v.shape)) for v in m.variables] == [
        ("b:0", (3,)), ("w:0", (3, 3)), ("b:0", (2,)), ("w:0", (3, 2))]
    x = np.array([[2.0, 2.0, 2.0]], np.float32)
    h = np.maximum(x @ m.dense_1.w.numpy() + m.dense_1.b.numpy(), 0)
    want = np.maximum(h @ m.dense_2.w.numpy() + m.dense_2.b.numpy(), 0)
    np.testing.assert_allclose(m(tf.constant(x)).numpy(), want, rtol=1e-6)


def test_default_name_and_validation():
    class MySequentialModule(tf.Module):
        pass
    assert MySequentialModule().name == "my_sequential_module"
    assert tf.Module().name == "module"

    class MLP(tf.Module):
        pass
    assert MLP().name == "mlp"
    with pytest.raises(ValueError, match="valid module name"):
        tf.Module(name="not valid")


def test_nested_structures_and_dedup():
    m = tf.Module(name="m")
    shared = tf.Variable(1.0, name="shared")
    m.list_of = [tf.Variable(2.0, name="a"), {"z": shared, "y": tf.Variable(3.0, name="y")}]
    m.again = shared
    m.child = tf.Module(name="child")
    m.child.v = tf.Variable(4.0, name="cv")
    m.child.back = m   # cycles are fine
    names = [v.name for v in m.variables]
    # own attributes sorted ('again' < 'child' < 'list_of'); dict keys sorted; each once
    assert names == ["shared:0", "a:0", "y:0", "cv:0"]
    assert m.submodules == (m.child,)
    paths = [p for p, _ in m._flatten(predicate=lambda v: isinstance(v, tf.Variable),
                                      with_path=True, recursive=False)]
    assert ("list_of", 1, "y") in paths and ("list_of", 1, "z") in paths


def test_name_scope_names_variables():
    class Lazy(tf.Module):
        @tf.Module.with_name_scope
        def __call__(self, x):
            if not hasattr(self, "w"):
                self.w = tf.Variable(tf.ones([x.shape[1], 3]))
            return tf.matmul(x, self.w)

    m = Lazy()
    np.testing.assert_allclose(m(tf.ones([1, 2])).numpy(), np.full((1, 3), 2.0))
    assert m.w.name == "lazy/Variable:0"
    with tf.name_scope("outer"):
        inner = tf.Module(name="inner")
        v = tf.Variable(1.0, name="v")
    assert v.name == "outer/v:0"
    assert inner.name_scope.name == "outer/inner/"
    with inner.name_scope:   # re-entered as captured, wherever it is used
        assert tf.Variable(1.0, name="x").name == "outer/inner/x:0"


def test_function_method_traces_once_per_instance():
    class Counter(tf.Module):
        def __init__(self):
            super().__init__()
            self.traces = 0
            self.v = tf.Variable(1.0)

        @tf.function
        def __call__(self, x):
            self.traces += 1
            return x * self.v

    a, b = Counter(), Counter()
    assert float(a(tf.constant(2.0))) == 2.0
    a.v.assign(3.0)
    assert float(a(tf.constant(2.0))) == 6.0
    assert float(b(tf.constant(4.0))) == 4.0
    assert a.traces == 1 and b.traces == 1


def test_flexible_dense_creates_variables_on_first_call_inside_function():
    class FlexibleDense(tf.Module):   # guide: "Waiting to create variables"
        def __init__(self, out_features, name=None):
            super().__init__(name=name)
            self.is_built = False
            self.out_features = out_features

        def __call__(self, x):
            if not self.is_built:
                self.w = tf.Variable(tf.ones([x.shape[-1], self.out_features]), name="w")
                self.b = tf.Variable(tf.zeros([self.out_features]), name="b")
                self.is_built = True
            return tf.matmul(x, self.w) + self.b

    m = FlexibleDense(2)
    f = tf.function(m.__call__)
    np.testing.assert_allclose(f(tf.constant([[2.0, 2.0, 2.0]])).numpy(), [[6.0, 6.0]])
    assert [v.name for v in m.trainable_variables] == ["b:0", "w:0"]


def test_init_scope_lifts_out_of_trace_and_tape():
    seen = []

    @tf.function
    def f(x):
        with tf.init_scope():
            seen.append((tf.executing_eagerly(), float(tf.constant(2.0) * 3.0)))
        seen.append(tf.executing_eagerly())
        return x * 2.0

    assert float(f(tf.constant(1.5))) == 3.0
    assert seen == [(True, 6.0), False]
    x = tf.Variable(2.0)
    with tf.GradientTape() as tape:
        with tf.init_scope():
            hidden = x * x
        y = x * x + hidden
    assert float(tape.gradient(y, x)) == 4.0   # the init_scope part is not recorded


def test_keras_layers_are_modules_and_modules_find_them():
    layer = tf.keras.layers.Dense(2)
    layer(tf.ones((1, 3)))
    assert isinstance(layer, tf.Module)
    holder = tf.Module(name="holder")
    holder.layer = layer
    holder.extra = tf.Variable(0.5, name="extra")
    assert set(map(id, holder.trainable_variables)) == \
        set(map(id, layer.trainable_variables)) | {id(holder.extra)}
    assert layer in holder.submodules
    # Keras weight names are not changed by an enclosing name scope
    with tf.name_scope("outer"):
        d = tf.keras.layers.Dense(1, name="d_scoped")
        d(tf.ones((1, 2)))
    assert d.kernel.path == "d_scoped/kernel" and d.kernel.name == "kernel"


def test_training_loop_over_module():   # guide: basic_training_loops, the linear model
    class MyModel(tf.Module):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.w = tf.Variable(5.0)
            self.b = tf.Variable(0.0)

        def __call__(self, x):
            return self.w * x + self.b

    rng = np.random.default_rng(0)
    x = rng.normal(size=201).astype(np.float32)
    y = x * 3.0 + 2.0
    model = MyModel()
    assert [v.numpy().item() for v in model.variables] == [0.0, 5.0]   # b, w (sorted)

    @tf.function
    def train(x, y, lr=0.1):
        with tf.GradientTape() as t:
            loss = tf.reduce_mean(tf.square(y - model(x)))
        dw, db = t.gradient(loss, [model.w, model.b])
        model.w.assign_sub(lr * dw)
        model.b.assign_sub(lr * db)
        return loss

    for _ in range(60):
        train(tf.constant(x), tf.constant(y))
    np.testing.assert_allclose([model.w.numpy(), model.b.numpy()], [3.0, 2.0], atol=1e-3)
