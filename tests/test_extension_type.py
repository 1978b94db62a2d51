"""tf.experimental.ExtensionType (graphflow/extension_type.py): the code of TF's "Extension
types" guide with `import graphflow as tf`; expected values and messages are what TF 2.21
printed for the same code."""
from typing import Mapping, Optional, Tuple

import numpy as np
import pytest

import graphflow as tf


class MaskedTensor(tf.experimental.ExtensionType):
    """A tensor paired with a boolean mask, indicating which values are valid."""
    values: tf.Tensor
    mask: tf.Tensor       # shape=values.shape; false for missing/invalid values.

    def __validate__(self):
        self.values.shape.assert_is_compatible_with(self.mask.shape)
        assert self.mask.dtype.is_bool, 'mask.dtype must be bool'

    def replace_mask(self, new_mask):
        self.values.shape.assert_is_compatible_with(new_mask.shape)
        return MaskedTensor(self.values, new_mask)


class Player(tf.experimental.ExtensionType):
    name: tf.Tensor
    attributes: Mapping[str, tf.Tensor]


MT_REPR = ("MaskedTensor(values=<tf.Tensor: shape=(3,), dtype=int32, numpy=array([1, 2, 3], "
           "dtype=int32)>, mask=<tf.Tensor: shape=(3,), dtype=bool, numpy=array([ True,  True, "
           "False])>)")


def _mt():
    return MaskedTensor(values=[1, 2, 3], mask=[True, True, False])


def test_fields_are_converted_and_printed_as_tf():
    mt = _mt()
    assert repr(mt) == MT_REPR and str(mt) == MT_REPR
    assert (mt.values.dtype, mt.mask.dtype) == (tf.int32, tf.bool)
    assert MaskedTensor.__name__ == "MaskedTensor" and isinstance(mt.values, tf.Tensor)


def test_immutable():
    mt = _mt()
    with pytest.raises(AttributeError, match="Cannot mutate attribute `mask` outside the "
                       "custom constructor of ExtensionType."):
        mt.mask = [True, True, True]
    with pytest.raises(TypeError):
        mt.mask[0] = False
    np.testing.assert_array_equal(mt.replace_mask(tf.constant([False] * 3)).mask.numpy(),
                                  [False] * 3)


def test_equality_as_tf():
    a = MaskedTensor([1, 2], [True, False])
    b = MaskedTensor([[3, 4], [5, 6]], [[False, True], [True, True]])
    eq = a == a
    assert isinstance(eq, tf.Tensor) and eq.dtype == tf.bool and bool(eq)   # TF: a tensor
    assert (a == b) is False and (a == a.values) is False                     # TF: Python False
    ne = a != a
    assert isinstance(ne, tf.Tensor) and not bool(ne)
    assert not bool(a == MaskedTensor([1, 3], [True, False]))
    assert f"a == a: {a == a}" == "a == a: True"


def test_validation_as_tf():
    with pytest.raises(AssertionError, match="mask.dtype must be bool"):
        MaskedTensor([1, 2, 3], [0, 1, 0])
    with pytest.raises(ValueError, match=r"Shapes \(3,\) and \(2,\) are incompatible"):
        MaskedTensor([1, 2, 3], [True, False])


def test_typed_fields_defaults_and_errors():
    class Pokemon(tf.experimental.ExtensionType):
        name: str
        height: tf.Tensor
        weight: tf.Tensor

    with pytest.raises(TypeError, match="name: expected 'str', got 'int'"):
        Pokemon(name=3, height=1., weight=2.)

    class Defaults(tf.experimental.ExtensionType):
        x: tf.Tensor
        y: int = 3
        z: Optional[tf.Tensor] = None
        t: Tuple[int, ...] = (1, 2)
        s: tf.TensorShape = [None, 2]
        d: tf.DType = tf.float32

    assert repr(Defaults(1.)) == ("Defaults(x=<tf.Tensor: shape=(), dtype=float32, numpy=1.0>, "
                                  "y=3, z=None, t=(1, 2), s=TensorShape([None, 2]), "
                                  "d=tf.float32)")
    assert repr(Defaults(1., y=4, z=2, t=[5], s=[3], d="int32")) == (
        "Defaults(x=<tf.Tensor: shape=(), dtype=float32, numpy=1.0>, y=4, z=<tf.Tensor: "
        "shape=(), dtype=int32, numpy=2>, t=(5,), s=TensorShape([3]), d=tf.int32)")
    with pytest.raises(TypeError, match="y: expected 'int', got 'str'"):
        Defaults(1., y="a")
    with pytest.raises(TypeError, match="missing a required argument: 'x'"):
        Defaults()


def test_mapping_fields_and_custom_constructor():
    class TensorGraph(tf.experimental.ExtensionType):
        edge_weights: tf.Tensor
        node_labels: Mapping[str, tf.Tensor]

    tg = TensorGraph(edge_weights=[[1.0, 0.0], [0.0, 1.0]],
                     node_labels={"a": [1, 2], "b": [3, 4]})
    assert type(tg.node_labels).__name__ == "ImmutableDict"
    assert repr(tg).endswith("node_labels=ImmutableDict({'a': <tf.Tensor: shape=(2,), "
                             "dtype=int32, numpy=array([1, 2], dtype=int32)>, 'b': <tf.Tensor: "
                             "shape=(2,), dtype=int32, numpy=array([3, 4], dtype=int32)>}))")
    with pytest.raises(TypeError):
        tg.node_labels["c"] = 1

    class Toy(tf.experimental.ExtensionType):
        name: str
        price: tf.Tensor

        def __init__(self, name, price, discount=0):
            self.name = name
            self.price = price * (1 - discount)

    assert repr(Toy("ball", 5.0, discount=0.2)) == \
        "Toy(name='ball', price=<tf.Tensor: shape=(), dtype=float32, numpy=4.0>)"
    p = Player("Alice", {"speed": 3.0})
    assert repr(p) == ("Player(name=<tf.Tensor: shape=(), dtype=string, numpy=b'Alice'>, "
                       "attributes=ImmutableDict({'speed': <tf.Tensor: shape=(), "
                       "dtype=float32, numpy=3.0>}))")


def test_specs():
    mt = _mt()
    spec = tf.type_spec_from_value(mt)
    assert repr(spec) == ("MaskedTensor.Spec(values=TensorSpec(shape=(3,), dtype=tf.int32, "
                          "name=None), mask=TensorSpec(shape=(3,), dtype=tf.bool, name=None))")
    assert spec.value_type is MaskedTensor
    assert repr(spec.values) == "TensorSpec(shape=(3,), dtype=tf.int32, name=None)"
    other = tf.type_spec_from_value(MaskedTensor([4, 5, 6], [True, True, True]))
    assert spec == other and hash(spec) == hash(other)
    assert not spec.is_compatible_with(MaskedTensor([4, 5], [True, True]))
    s2 = MaskedTensor.Spec(values=tf.TensorSpec(shape=None, dtype=tf.float32),
                           mask=tf.TensorSpec(shape=None, dtype=tf.bool))
    assert repr(s2) == ("MaskedTensor.Spec(values=TensorSpec(shape=<unknown>, dtype=tf.float32, "
                        "name=None), mask=TensorSpec(shape=<unknown>, dtype=tf.bool, "
                        "name=None))")


def test_tf_function_arguments_results_and_signature():
    traces = []

    @tf.function
    def anonymize_player(player):
        traces.append(1)
        return Player("<anonymous>", player.attributes)
    a = anonymize_player(Player("Alice", {"speed": tf.constant(1.0)}))
    b = anonymize_player(Player("Bob", {"speed": tf.constant(2.0)}))
    assert len(traces) == 1   # TF traced once too
    assert a.name.numpy() == b"<anonymous>" and float(b.attributes["speed"]) == 2.0

    @tf.function(input_signature=[MaskedTensor.Spec(values=tf.TensorSpec([None], tf.float32),
                                                    mask=tf.TensorSpec([None], tf.bool))])
    def masked_sum(x):
        return tf.reduce_sum(tf.where(x.mask, x.values, 0.))
    assert float(masked_sum(MaskedTensor([1., 2., 3.], [True, False, True]))) == 4.0
    assert float(masked_sum(MaskedTensor([1., 2.], [True, True]))) == 3.0
    with pytest.raises(TypeError, match="input_signature"):
        masked_sum(MaskedTensor([1, 2], [True, True]))   # int32 values

    @tf.function
    def add_one(x):
        return MaskedTensor(x.values + 1, x.mask)
    out = add_one(_mt())
    assert isinstance(out, MaskedTensor) and out.values.numpy().tolist() == [2, 3, 4]


def test_nest_cond_while_and_nesting():
    mt = _mt()
    leaves = tf.nest.flatten(mt, expand_composites=True)
    assert [x.numpy().tolist() for x in leaves] == [[1, 2, 3], [True, True, False]]
    assert tf.nest.flatten(mt) == [mt]
    doubled = tf.nest.map_structure(lambda t: t * 2 if t.dtype == tf.int32 else t, mt,
                                    expand_composites=True)
    assert isinstance(doubled, MaskedTensor) and doubled.values.numpy().tolist() == [2, 4, 6]
    c = tf.cond(tf.constant(True), lambda: mt, lambda: MaskedTensor(mt.values + 1, mt.mask))
    assert repr(c) == MT_REPR
    w = tf.while_loop(lambda x: tf.reduce_sum(x.values) < 20,
                      lambda x: [MaskedTensor(x.values * 2, x.mask)], [mt])
    assert w[0].values.numpy().tolist() == [4, 8, 12]

    class Outer(tf.experimental.ExtensionType):
        inner: MaskedTensor
        scale: float
    o = Outer(mt, 2)
    assert o.scale == 2.0 and isinstance(o.scale, float)
    assert len(tf.nest.flatten(o, expand_composites=True)) == 2
    assert bool(o == Outer(mt, 2.0)) and (o == Outer(mt, 3.0)) is False
    out = tf.function(lambda v: Outer(MaskedTensor(v.inner.values * 3, v.inner.mask),
                                      v.scale))(o)
    assert out.inner.values.numpy().tolist() == [3, 6, 9] and out.scale == 2.0


def test_gradients_through_fields():
    @tf.function
    def f2(x):
        return x.values * 2
    v = tf.constant([1., 2.])
    with tf.GradientTape() as tape:
        tape.watch(v)
        y = tf.reduce_sum(f2(MaskedTensor(v * 3., [True, False])))
    assert tape.gradient(y, v).numpy().tolist() == [6.0, 6.0]
