"""Cells of TF's core guides (autodiff, advanced autodiff, intro to graphs, basic training
loops, intro to modules, function) run with `import graphflow as tf`; each test walks the
cells of one section in order and compares what they print with what the guide prints (or
with numpy where the guide's numbers are random)."""
import contextlib
import io

import numpy as np
import pytest

import graphflow as tf


def printed(fn):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        fn()
    return out.getvalue()


# ------------------------------------------------------------------ autodiff guide
def test_autodiff_gradients_of_sources_and_targets():
    x = tf.Variable(3.0)
    with tf.GradientTape() as tape:
        y = x**2
    assert tape.gradient(y, x).numpy() == 6.0

    w = tf.Variable(tf.random.normal((3, 2)), name='w')
    b = tf.Variable(tf.zeros(2, dtype=tf.float32), name='b')
    x = [[1., 2., 3.]]
    with tf.GradientTape(persistent=True) as tape:
        y = x @ w + b
        loss = tf.reduce_mean(y**2)
    dl_dw, dl_db = tape.gradient(loss, [w, b])
    assert w.shape == dl_dw.shape == (3, 2)
    yv = np.array(x) @ w.numpy() + b.numpy()
    np.testing.assert_allclose(dl_db.numpy(), yv[0], rtol=1e-5, atol=1e-6)   # d mean(y^2)/db = y
    grad = tape.gradient(loss, {'w': w, 'b': b})
    np.testing.assert_allclose(grad['b'].numpy(), dl_db.numpy())

    layer = tf.keras.layers.Dense(2, activation='relu')
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(layer(tf.constant([[1., 2., 3.]]))**2)
    grad = tape.gradient(loss, layer.trainable_variables)
    assert [f'{v.name}, shape: {g.shape}' for v, g in zip(layer.trainable_variables, grad)] == [
        'kernel, shape: (3, 2)', 'bias, shape: (2,)']


def test_autodiff_what_is_watched():
    x0 = tf.Variable(3.0, name='x0')
    x1 = tf.Variable(3.0, name='x1', trainable=False)
    x2 = tf.Variable(2.0, name='x2') + 1.0
    x3 = tf.constant(3.0, name='x3')
    with tf.GradientTape() as tape:
        y = (x0**2) + (x1**2) + (x2**2)
    grad = tape.gradient(y, [x0, x1, x2, x3])
    assert printed(lambda: [print(g) for g in grad]) == (
        "tf.Tensor(6.0, shape=(), dtype=float32)\nNone\nNone\nNone\n")
    assert [var.name for var in tape.watched_variables()] == ['x0:0']

    x = tf.constant(3.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x**2
    assert tape.gradient(y, x).numpy() == 6.0

    x0, x1 = tf.Variable(0.0), tf.Variable(10.0)
    with tf.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(x1)
        ys = tf.reduce_sum(tf.math.sin(x0) + tf.nn.softplus(x1))
    grad = tape.gradient(ys, {'x0': x0, 'x1': x1})
    assert grad['x0'] is None
    assert f"{grad['x1'].numpy():.7f}" == "0.9999546"


def test_autodiff_intermediates_persistence_and_targets():
    x = tf.constant(3.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * x
        z = y * y
    assert tape.gradient(z, y).numpy() == 18.0
    x = tf.constant([1, 3.0])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * x
        z = y * y
    assert str(tape.gradient(z, x).numpy()) == "[  4. 108.]"
    assert str(tape.gradient(y, x).numpy()) == "[2. 6.]"
    x = tf.Variable(2.0)
    with tf.GradientTape(persistent=True) as tape:
        y0 = x**2
        y1 = 1 / x
    assert (tape.gradient(y0, x).numpy(), tape.gradient(y1, x).numpy()) == (4.0, -0.25)
    with tf.GradientTape() as tape:
        y0, y1 = x**2, 1 / x
    assert tape.gradient({'y0': y0, 'y1': y1}, x).numpy() == 3.75
    with tf.GradientTape() as tape:
        y = x * [3., 4.]
    assert tape.gradient(y, x).numpy() == 7.0
    x = tf.linspace(-10.0, 10.0, 200 + 1)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.nn.sigmoid(x)
    s = 1 / (1 + np.exp(-np.linspace(-10, 10, 201)))
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), s * (1 - s), atol=1e-7)


def test_autodiff_control_flow_and_none_gradients():
    x = tf.constant(1.0)
    v0, v1 = tf.Variable(2.0), tf.Variable(2.0)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        result = v0 if x > 0.0 else v1**2
    dv0, dv1 = tape.gradient(result, [v0, v1])
    assert str(dv0) == "tf.Tensor(1.0, shape=(), dtype=float32)" and dv1 is None
    assert tape.gradient(result, x) is None

    x, y = tf.Variable(2.), tf.Variable(3.)
    with tf.GradientTape() as tape:
        z = y * y
    assert tape.gradient(z, x) is None

    x = tf.Variable(2.0)
    kinds = []
    for epoch in range(2):
        with tf.GradientTape() as tape:
            y = x + 1
        kinds.append(tape.gradient(y, x))
        x = x + 1   # "should be x.assign_add(1)": x becomes a Tensor, not watched
    assert float(kinds[0]) == 1.0 and kinds[1] is None

    x = tf.Variable([[1.0, 2.0], [3.0, 4.0]], dtype=tf.float32)
    with tf.GradientTape() as tape:
        y = tf.reduce_mean(np.mean(x**2, axis=0), axis=0)   # through numpy: disconnected
    assert tape.gradient(y, x) is None

    x0, x1 = tf.Variable(3.0), tf.Variable(0.0)
    with tf.GradientTape() as tape:
        x1.assign_add(x0)
        y = x1**2
    assert tape.gradient(y, x0) is None

    x, y = tf.Variable([2., 2.]), tf.Variable(3.)
    with tf.GradientTape() as tape:
        z = y**2
    assert str(tape.gradient(z, x, unconnected_gradients=tf.UnconnectedGradients.ZERO)) == (
        "tf.Tensor([0. 0.], shape=(2,), dtype=float32)")


# ------------------------------------------------------------------ advanced autodiff guide
def test_advanced_autodiff_controlling_recording():
    x, y = tf.Variable(2.0), tf.Variable(3.0)
    with tf.GradientTape() as t:
        x_sq = x * x
        with t.stop_recording():
            y_sq = y * y
        z = x_sq + y_sq
    grad = t.gradient(z, {'x': x, 'y': y})
    assert str(grad['x']) == "tf.Tensor(4.0, shape=(), dtype=float32)" and grad['y'] is None
    with tf.GradientTape() as t:
        y_sq = y * y
        t.reset()
        z = x * x + y_sq
    grad = t.gradient(z, {'x': x, 'y': y})
    assert float(grad['x']) == 4.0 and grad['y'] is None
    with tf.GradientTape() as t:
        z = x**2 + tf.stop_gradient(y**2)
    grad = t.gradient(z, {'x': x, 'y': y})
    assert float(grad['x']) == 4.0 and grad['y'] is None


def test_advanced_autodiff_custom_gradient_saved_and_loaded(tmp_path):
    @tf.custom_gradient
    def clip_gradients(y):
        def backward(dy):
            return tf.clip_by_norm(dy, 0.5)
        return y, backward

    v = tf.Variable(2.0)
    with tf.GradientTape() as t:
        output = clip_gradients(v * v)
    assert str(t.gradient(output, v)) == "tf.Tensor(2.0, shape=(), dtype=float32)"

    class MyModule(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec(None)])
        def call_custom_grad(self, x):
            return clip_gradients(x)

    tf.saved_model.save(MyModule(), str(tmp_path / 'saved_model'),
                        options=tf.saved_model.SaveOptions(experimental_custom_gradients=True))
    loaded = tf.saved_model.load(str(tmp_path / 'saved_model'))
    v = tf.Variable(2.0)
    with tf.GradientTape() as t:
        output = loaded.call_custom_grad(v * v)
    assert str(t.gradient(output, v)) == "tf.Tensor(2.0, shape=(), dtype=float32)"
    x = tf.constant([3.0, 4.0])
    with tf.GradientTape() as t:
        t.watch(x)
        y = loaded.call_custom_grad(x)
    np.testing.assert_allclose(t.gradient(y, x).numpy(), [0.5 / np.sqrt(2)] * 2, rtol=1e-6)


def test_advanced_autodiff_multiple_tapes_and_higher_order():
    x0, x1 = tf.constant(0.0), tf.constant(0.0)
    with tf.GradientTape() as tape0, tf.GradientTape() as tape1:
        tape0.watch(x0)
        tape1.watch(x1)
        ys = tf.reduce_sum(tf.math.sin(x0) + tf.nn.sigmoid(x1))
    assert tape0.gradient(ys, x0).numpy() == 1.0
    assert tape1.gradient(ys, x1).numpy() == 0.25
    x = tf.Variable(1.0)
    with tf.GradientTape() as t2:
        with tf.GradientTape() as t1:
            y = x * x * x
        dy_dx = t1.gradient(y, x)
    d2y_dx2 = t2.gradient(dy_dx, x)
    assert (dy_dx.numpy(), d2y_dx2.numpy()) == (3.0, 6.0)

    # input-gradient regularization: the gradient of |dL/dx| reaches the layer's variables
    x = tf.random.normal([7, 5])
    layer = tf.keras.layers.Dense(10, activation=tf.nn.relu)
    with tf.GradientTape() as t2:
        with tf.GradientTape(watch_accessed_variables=False) as t1:
            t1.watch(x)
            out = tf.reduce_sum(layer(x)**2)
        g1_mag = tf.norm(t1.gradient(out, x))
    dg1_mag = t2.gradient(g1_mag, layer.trainable_variables)
    assert [var.shape for var in dg1_mag] == [(5, 10), (10,)]


def test_advanced_autodiff_jacobians():
    x = tf.linspace(-10.0, 10.0, 200 + 1)
    delta = tf.Variable(0.0)
    with tf.GradientTape() as tape:
        y = tf.nn.sigmoid(x + delta)
    dy_dx = tape.jacobian(y, delta)
    assert y.shape == dy_dx.shape == (201,)
    np.testing.assert_allclose(dy_dx.numpy(), (y * (1 - y)).numpy(), atol=1e-7)

    x = tf.random.normal([7, 5])
    layer = tf.keras.layers.Dense(10, activation=tf.nn.relu)
    with tf.GradientTape(persistent=True) as tape:
        y = layer(x)
    j = tape.jacobian(y, layer.kernel)
    assert y.shape == (7, 10) and j.shape == (7, 10, 5, 10)
    g = tape.gradient(y, layer.kernel)
    assert g.shape == (5, 10)
    assert tf.reduce_max(abs(g - tf.reduce_sum(j, axis=[0, 1]))).numpy() < 1e-3

    # Hessian of a two-layer net's loss w.r.t. the first kernel, and a Newton step
    x = tf.random.normal([7, 5])
    layer1 = tf.keras.layers.Dense(8, activation=tf.nn.relu)
    layer2 = tf.keras.layers.Dense(6, activation=tf.nn.relu)
    with tf.GradientTape() as t2:
        with tf.GradientTape() as t1:
            loss = tf.reduce_mean(layer2(layer1(x))**2)
        g = t1.gradient(loss, layer1.kernel)
    h = t2.jacobian(g, layer1.kernel)
    assert layer1.kernel.shape == (5, 8) and h.shape == (5, 8, 5, 8)
    n_params = tf.reduce_prod(layer1.kernel.shape)
    h_mat = tf.reshape(h, [n_params, n_params])
    np.testing.assert_allclose(h_mat.numpy(), h_mat.numpy().T, atol=1e-5)   # symmetric
    update = tf.linalg.solve(h_mat + tf.eye(h_mat.shape[0]) * 1e-3, tf.reshape(g, [n_params, 1]))
    _ = layer1.kernel.assign_sub(tf.reshape(update, layer1.kernel.shape))

    # batch jacobian
    x = tf.random.normal([7, 5])
    layer1 = tf.keras.layers.Dense(8, activation=tf.nn.elu)
    layer2 = tf.keras.layers.Dense(6, activation=tf.nn.elu)
    with tf.GradientTape(persistent=True, watch_accessed_variables=False) as tape:
        tape.watch(x)
        y = layer2(layer1(x))
    j = tape.jacobian(y, x)
    assert y.shape == (7, 6) and j.shape == (7, 6, 7, 5)
    j_sum = tf.reduce_sum(j, axis=2)
    assert j_sum.shape == tf.einsum('bxby->bxy', j).shape == (7, 6, 5)
    jb = tape.batch_jacobian(y, x)
    assert jb.shape == (7, 6, 5)
    assert tf.reduce_max(abs(jb - j_sum)).numpy() < 1e-3


# ------------------------------------------------------------------ intro to graphs guide
def test_intro_to_graphs_cells():
    def regular_function(x, y, b):
        return tf.matmul(x, y) + b

    function_that_uses_a_graph = tf.function(regular_function)
    x1 = tf.constant([[1.0, 2.0]])
    y1 = tf.constant([[2.0], [3.0]])
    b1 = tf.constant(4.0)
    assert regular_function(x1, y1, b1).numpy() == function_that_uses_a_graph(x1, y1, b1).numpy()

    def inner_function(x, y, b):
        return tf.matmul(x, y) + b

    @tf.function
    def outer_function(x):
        return inner_function(x, tf.constant([[2.0], [3.0]]), tf.constant(4.0))
    assert outer_function(tf.constant([[1.0, 2.0]])).numpy().tolist() == [[12.0]]

    # simple_relu: tests/test_tf_api_graphs.py and test_tf_api_function.py
    @tf.function
    def my_relu(x):
        return tf.maximum(0., x)
    assert printed(lambda: (print(my_relu(tf.constant(5.5))), print(my_relu([1, -1])),
                            print(my_relu(tf.constant([3., -3.]))))) == (
        "tf.Tensor(5.5, shape=(), dtype=float32)\n"
        "tf.Tensor([1. 0.], shape=(2,), dtype=float32)\n"
        "tf.Tensor([3. 0.], shape=(2,), dtype=float32)\n")

    @tf.function
    def get_MSE(y_true, y_pred):
        print("Calculating MSE!")
        return tf.reduce_mean(tf.pow(y_true - y_pred, 2))
    y_true = tf.constant([1, 2, 3, 4, 5])
    y_pred = tf.constant([3, 2, 1, 4, 9])
    assert printed(lambda: [get_MSE(y_true, y_pred) for _ in range(3)]) == "Calculating MSE!\n"
    tf.config.run_functions_eagerly(True)
    try:
        out = printed(lambda: [get_MSE(y_true, y_pred) for _ in range(3)])
    finally:
        tf.config.run_functions_eagerly(False)
    assert out == "Calculating MSE!\n" * 3
    assert int(get_MSE(y_true, y_pred)) == (4 + 0 + 4 + 0 + 16) // 5

    def unused_return_eager(x):
        tf.gather(x, [1])
        return x
    with pytest.raises(tf.errors.InvalidArgumentError):
        unused_return_eager(tf.constant([0.0]))

    @tf.function
    def unused_return_graph(x):
        tf.gather(x, [1])   # unused: pruned, so no error (as TF)
        return x
    assert str(unused_return_graph(tf.constant([0.0]))) == (
        "tf.Tensor([0.], shape=(1,), dtype=float32)")

    @tf.function
    def a_function_with_python_side_effect(x):
        print("Tracing!")
        return x * x + tf.constant(2)
    out = printed(lambda: [print(a_function_with_python_side_effect(tf.constant(2))),
                           print(a_function_with_python_side_effect(tf.constant(3))),
                           print(a_function_with_python_side_effect(2)),
                           print(a_function_with_python_side_effect(3))])
    assert out == ("Tracing!\ntf.Tensor(6, shape=(), dtype=int32)\n"
                   "tf.Tensor(11, shape=(), dtype=int32)\n"
                   "Tracing!\ntf.Tensor(6, shape=(), dtype=int32)\n"
                   "Tracing!\ntf.Tensor(11, shape=(), dtype=int32)\n")


# ------------------------------------------------------------------ basic training loops
def test_basic_training_loops():
    TRUE_W, TRUE_B, NUM_EXAMPLES = 3.0, 2.0, 201
    x = tf.cast(tf.linspace(-2, 2, NUM_EXAMPLES), tf.float32)
    assert x.dtype == tf.float32 and x.shape == (201,)
    tf.random.set_seed(0)
    y = x * TRUE_W + TRUE_B + tf.random.normal(shape=[NUM_EXAMPLES])

    def linear_model(base, method):   # the guide's MyModel (tf.Module) and MyModelKeras
        class Linear(base):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.w = tf.Variable(5.0)   # the guide's start: w = 5, b = 0
                self.b = tf.Variable(0.0)

        setattr(Linear, method, lambda self, x: self.w * x + self.b)
        return Linear

    MyModel = linear_model(tf.Module, "__call__")
    model = MyModel()
    assert str(model.variables) == (
        "(<tf.Variable 'Variable:0' shape=() dtype=float32, numpy=0.0>, "
        "<tf.Variable 'Variable:0' shape=() dtype=float32, numpy=5.0>)")
    assert model(3.0).numpy() == 15.0

    def loss(target_y, predicted_y):
        return tf.reduce_mean(tf.square(target_y - predicted_y))

    def train(model, x, y, learning_rate):
        with tf.GradientTape() as t:
            current_loss = loss(y, model(x))
        dw, db = t.gradient(current_loss, [model.w, model.b])
        model.w.assign_sub(learning_rate * dw)
        model.b.assign_sub(learning_rate * db)

    # the same plain gradient descent in numpy
    xn, yn = x.numpy().astype(np.float64), y.numpy().astype(np.float64)
    w, b = 5.0, 0.0
    for _ in range(10):
        r = w * xn + b - yn
        w, b = w - 0.1 * 2 * np.mean(r * xn), b - 0.1 * 2 * np.mean(r)
        train(model, x, y, learning_rate=0.1)
    np.testing.assert_allclose([model.w.numpy(), model.b.numpy()], [w, b], rtol=1e-4)

    # the guide's MyModelKeras: with Keras 3 (TF 2.21's tf.keras, checked) raw tf.Variable
    # attributes are no Keras weights - fit warns and trains nothing; add_weight trains
    MyModelKeras = linear_model(tf.keras.Model, "call")
    keras_model = MyModelKeras()
    assert keras_model.trainable_variables == [] and keras_model.variables == []
    keras_model.compile(run_eagerly=False, optimizer=tf.keras.optimizers.SGD(learning_rate=0.1),
                        loss=tf.keras.losses.mean_squared_error)
    with pytest.warns(UserWarning, match="does not have any trainable weights"):
        keras_model.fit(x, y, epochs=10, batch_size=1000, verbose=0)
    assert (keras_model.w.numpy(), keras_model.b.numpy()) == (5.0, 0.0)

    class MyModelKeras3(tf.keras.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.w = self.add_weight(shape=(), initializer=tf.keras.initializers.Constant(5.0))
            self.b = self.add_weight(shape=(), initializer="zeros")

        def call(self, x):
            return self.w * x + self.b
    keras_model = MyModelKeras3()
    keras_model.compile(run_eagerly=False, optimizer=tf.keras.optimizers.SGD(learning_rate=0.1),
                        loss=tf.keras.losses.mean_squared_error)
    keras_model.fit(x, y, epochs=10, batch_size=1000, verbose=0)
    np.testing.assert_allclose([keras_model.w.numpy(), keras_model.b.numpy()], [w, b],
                               rtol=1e-4)


# ------------------------------------------------------------------ function guide: tracing
def test_function_guide_tracing_with_strings():
    traces = []   # the guide prints "Tracing with <symbolic tensor>" here (see below)

    @tf.function
    def double(a):
        traces.append(a.dtype)
        return a + a

    out = printed(lambda: [print(double(tf.constant(1))), print(double(tf.constant(1.1))),
                           print(double(tf.constant("a")))])
    assert out == ("tf.Tensor(2, shape=(), dtype=int32)\n"
                   "tf.Tensor(2.2, shape=(), dtype=float32)\n"
                   "tf.Tensor(b'aa', shape=(), dtype=string)\n")
    assert traces == [tf.int32, tf.float32, tf.string]
    # no retrace for a new string of the same signature
    assert printed(lambda: print(double(tf.constant("b")))) == (
        "tf.Tensor(b'bb', shape=(), dtype=string)\n")
    assert len(traces) == 3
    double_strings = double.get_concrete_function(tf.constant("a"))
    assert double_strings(tf.constant("a")).numpy() == b"aa"
    assert double_strings(a=tf.constant("b")).numpy() == b"bb"
    from_spec = double.get_concrete_function(tf.TensorSpec(shape=[], dtype=tf.string))
    assert from_spec(tf.constant("c")).numpy() == b"cc"
    with pytest.raises(TypeError):   # TF: InvalidArgumentError
        double_strings(tf.constant(1))
    lines = [f'{node.input} -> {node.name}' for node in double_strings.graph.as_graph_def().node]
    assert lines[0] == "[] -> a" and lines[1].startswith("['a', 'a'] -> ")
    assert (tf.constant(["x", "y"]) + "!").numpy().tolist() == [b"x!", b"y!"]


# ------------------------------------------------------------------ tensor guide
def test_tensor_guide_printed_values():
    assert str(tf.constant(4)) == "tf.Tensor(4, shape=(), dtype=int32)"
    assert str(tf.constant([2.0, 3.0, 4.0])) == "tf.Tensor([2. 3. 4.], shape=(3,), dtype=float32)"
    assert str(tf.constant([[1, 2], [3, 4], [5, 6]], dtype=tf.float16)) == (
        "tf.Tensor(\n[[1. 2.]\n [3. 4.]\n [5. 6.]], shape=(3, 2), dtype=float16)")
    a, b = tf.constant([[1, 2], [3, 4]]), tf.constant([[1, 1], [1, 1]])
    assert str(tf.add(a, b)) == "tf.Tensor(\n[[2 3]\n [4 5]], shape=(2, 2), dtype=int32)"
    assert str(a @ b) == "tf.Tensor(\n[[3 3]\n [7 7]], shape=(2, 2), dtype=int32)"
    c = tf.constant([[4.0, 5.0], [10.0, 1.0]])
    assert str(tf.reduce_max(c)) == "tf.Tensor(10.0, shape=(), dtype=float32)"
    assert str(tf.math.argmax(c)) == "tf.Tensor([1 0], shape=(2,), dtype=int64)"
    np.testing.assert_allclose(tf.nn.softmax(c).numpy(),
                               [[2.6894143e-01, 7.3105860e-01], [9.9987662e-01, 1.2339458e-04]],
                               rtol=1e-6)
    assert repr(tf.convert_to_tensor([1, 2, 3])) == (
        "<tf.Tensor: shape=(3,), dtype=int32, numpy=array([1, 2, 3], dtype=int32)>")
    assert repr(tf.reduce_max(np.array([1, 2, 3]))) == "<tf.Tensor: shape=(), dtype=int64, numpy=3>"
    rank_4_tensor = tf.zeros([3, 2, 4, 5])
    out = printed(lambda: (
        print("Type of every element:", rank_4_tensor.dtype),
        print("Number of axes:", rank_4_tensor.ndim),
        print("Shape of tensor:", rank_4_tensor.shape),
        print("Elements along axis 0 of tensor:", rank_4_tensor.shape[0]),
        print("Elements along the last axis of tensor:", rank_4_tensor.shape[-1]),
        print("Total number of elements (3*2*4*5): ", tf.size(rank_4_tensor).numpy())))
    assert out == ("Type of every element: <dtype: 'float32'>\nNumber of axes: 4\n"
                   "Shape of tensor: (3, 2, 4, 5)\nElements along axis 0 of tensor: 3\n"
                   "Elements along the last axis of tensor: 5\n"
                   "Total number of elements (3*2*4*5):  120\n")
    assert repr(tf.rank(rank_4_tensor)) == "<tf.Tensor: shape=(), dtype=int32, numpy=4>"
    assert repr(tf.shape(rank_4_tensor)) == (
        "<tf.Tensor: shape=(4,), dtype=int32, numpy=array([3, 2, 4, 5], dtype=int32)>")
    rank_1_tensor = tf.constant([0, 1, 1, 2, 3, 5, 8, 13, 21, 34])
    assert str(rank_1_tensor[::-1].numpy()) == "[34 21 13  8  5  3  2  1  1  0]"
    x = tf.constant([[1], [2], [3]])
    assert (x.shape.as_list(), tf.reshape(x, [1, 3]).shape) == ([3, 1], (1, 3))
    the_f64_tensor = tf.constant([2.2, 3.3, 4.4], dtype=tf.float64)
    the_u8_tensor = tf.cast(tf.cast(the_f64_tensor, dtype=tf.float16), dtype=tf.uint8)
    assert str(the_u8_tensor) == "tf.Tensor([2 3 4], shape=(3,), dtype=uint8)"
    assert str(tf.multiply(tf.reshape(tf.constant([1, 2, 3]), [3, 1]), tf.range(1, 5))) == (
        "tf.Tensor(\n[[ 1  2  3  4]\n [ 2  4  6  8]\n [ 3  6  9 12]], shape=(3, 4), dtype=int32)")
    assert str(tf.broadcast_to(tf.constant([1, 2, 3]), [3, 3])) == (
        "tf.Tensor(\n[[1 2 3]\n [1 2 3]\n [1 2 3]], shape=(3, 3), dtype=int32)")
