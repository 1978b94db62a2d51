"""keras.ops functions and Python operators on KerasTensors: each call is an OpLayer node of
the functional model (Keras 3), checked against the same computation done eagerly."""
import numpy as np
import pytest

from graphflow import keras
from graphflow.keras import ops

RNG = np.random.default_rng(0)


def _model_and_eager(build, *shapes):
    """A functional model of `build` on keras.Inputs, and `build` run eagerly on arrays."""
    ins = [keras.Input(s) for s in shapes]
    model = keras.Model(ins if len(ins) > 1 else ins[0], build(*ins))
    arrays = [RNG.standard_normal((3,) + s).astype("float32") + 2.0 for s in shapes]
    eager = build(*[ops.convert_to_tensor(a) for a in arrays])
    got = model.predict(arrays if len(arrays) > 1 else arrays[0], verbose=0)
    return model, np.asarray(got), np.asarray(eager)


def test_issue_example_values_and_summary(capsys):
    dense = keras.layers.Dense(3)

    def build(x):
        return dense(ops.squeeze(ops.expand_dims(x, -1) * 2 + 1, -1))
    model, got, want = _model_and_eager(build, (4,))
    np.testing.assert_allclose(got, want, rtol=1e-6)
    assert model.output_shape == (None, 3)
    model.summary()
    text = capsys.readouterr().out
    for name in ("expand_dims", "multiply", "add", "squeeze"):
        assert name in text
    assert "Total params: 15" in text


@pytest.mark.parametrize("fn", [
    lambda x: x + 1, lambda x: 1 + x, lambda x: x - 3, lambda x: 3 - x, lambda x: x * x,
    lambda x: 2 * x, lambda x: x / 2, lambda x: 2 / x, lambda x: x // 0.5, lambda x: 7 // x,
    lambda x: x % 1.5, lambda x: x ** 2, lambda x: 2 ** x, lambda x: -x, lambda x: abs(x - 2),
    lambda x: ops.cast(x < 2, "float32") + ops.cast(x >= 2.5, "float32"),
    lambda x: ops.cast(x > 2, "float32") * ops.cast(x <= 3, "float32"),
    lambda x: x[:, 1:3], lambda x: x[:, ::-1], lambda x: x[..., None, 0],
    lambda x: x @ ops.ones((4, 2)),
])
def test_operators(fn):
    _, got, want = _model_and_eager(fn, (4,))
    np.testing.assert_allclose(got, want, rtol=1e-6)


def test_two_inputs_nested_args_and_subnamespaces():
    def build(a, b):
        c = ops.concatenate([a, b * 2], axis=-1)            # a list of KerasTensors
        d = ops.numpy.sum(c, axis=-1, keepdims=True)
        e = ops.nn.relu(c - d / 8) + ops.linalg.norm(a, axis=-1, keepdims=True)
        return ops.core.stop_gradient(e) + a @ ops.transpose(b)[..., :1]
    model, got, want = _model_and_eager(build, (4,), (4,))
    assert got.shape == (3, 8)
    np.testing.assert_allclose(got, want, rtol=1e-5)


def test_fit_trains_through_op_nodes():
    x = keras.Input((3,))
    h = keras.layers.Dense(4)(ops.log1p(ops.abs(x)) * 0.5)
    y = keras.layers.Dense(1)(ops.tanh(h) + h[:, :1])
    model = keras.Model(x, y)
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="mse")
    data = RNG.standard_normal((64, 3)).astype("float32")
    target = np.log1p(np.abs(data)).sum(-1, keepdims=True)
    first = model.evaluate(data, target, verbose=0)
    model.fit(data, target, epochs=30, batch_size=16, verbose=0)
    assert model.evaluate(data, target, verbose=0) < 0.5 * first


def test_truth_value_is_an_error():
    x = keras.Input((2,))
    with pytest.raises(TypeError, match="truth value"):
        bool(x > 1)


def test_save_and_load_round_trip(tmp_path):
    a, b = keras.Input((4,)), keras.Input((4,))
    c = ops.concatenate([a, -b], axis=-1)[:, ::2, None]
    y = keras.layers.Dense(2)(ops.numpy.sum(ops.nn.relu(c), axis=-1) ** 2 + ops.cast(a > 1, "float32"))
    model = keras.Model([a, b], y)
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    xs = [RNG.standard_normal((5, 4)).astype("float32") for _ in range(2)]
    np.testing.assert_allclose(loaded.predict(xs, verbose=0), model.predict(xs, verbose=0),
                               rtol=1e-6)
    names = [l.name for l in model.operations if type(l).__name__ == "OpLayer"]
    assert len(names) == 9 and [l.name for l in loaded.operations if type(l).__name__ == "OpLayer"] \
        == names


def test_unsavable_op_node_is_an_error_naming_it(tmp_path):
    x = keras.Input((4,))
    model = keras.Model(x, keras.layers.Dense(1)(x @ ops.ones((4, 2))))   # a tensor constant
    with pytest.raises(ValueError, match=r"op node 'matmul.*numpy.matmul.*Tensor"):
        model.save(tmp_path / "m.keras")
    from graphflow.keras.layers import apply_op
    y = apply_op(lambda t: t * 3, (x,), {}, op_name="triple")
    with pytest.raises(ValueError, match="op node 'triple.*not a keras.ops function"):
        keras.Model(x, y).save(tmp_path / "n.keras")


def test_shape_error_names_op_shapes_and_user_line():
    x = keras.Input((4,))
    with pytest.raises(ValueError, match="inner dimensions differ") as info:
        x @ ops.ones((3, 2))
    note = "\n".join(getattr(info.value, "__notes__", []))
    assert "keras.ops matmul on KerasTensors of shapes [(None, 4)]" in note
    assert "test_keras_functional_ops.py:" in note


def test_static_facts_come_from_the_keras_tensor():
    x = keras.Input((4, 3))
    assert ops.shape(x) == (None, 4, 3) and ops.ndim(x) == 3
    assert ops.dtype(x) == "float32" and ops.is_tensor(x) is False

    def build(t):   # Keras 3 code that reads static sizes while building
        return ops.reshape(t, (-1, ops.shape(t)[1] * ops.shape(t)[2]))
    _, got, want = _model_and_eager(build, (4, 3))
    assert got.shape == (3, 12)
    np.testing.assert_allclose(got, want)
