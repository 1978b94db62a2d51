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


# ------------------------------------------------------------------ API dispatch (the guide's)
def test_dispatch_for_api_as_tf():
    from typing import List

    @tf.experimental.dispatch_for_api(tf.shape)
    def masked_shape(input: MaskedTensor, out_type=tf.int32, name=None):
        return tf.shape(input.values, out_type, name)

    @tf.experimental.dispatch_for_api(tf.math.add)
    def masked_add(x: MaskedTensor, y: MaskedTensor, name=None):
        return MaskedTensor(x.values + y.values, x.mask & y.mask)

    @tf.experimental.dispatch_for_api(tf.stack)
    def masked_stack(values: List[MaskedTensor], axis=0):
        return MaskedTensor(tf.stack([v.values for v in values], axis),
                            tf.stack([v.mask for v in values], axis))

    @tf.experimental.dispatch_for_api(tf.concat, {'values': List[MaskedTensor]})
    def masked_concat(values, axis):
        return MaskedTensor(tf.concat([v.values for v in values], axis),
                            tf.concat([v.mask for v in values], axis))
    handlers = [masked_shape, masked_add, masked_stack, masked_concat]
    try:
        x = MaskedTensor([1, 2, 3], [True, False, True])
        y = MaskedTensor([4, 5, 6], [False, True, True])
        assert tf.shape(x).numpy().tolist() == [3]
        s = tf.math.add(x, y)
        assert s.values.numpy().tolist() == [5, 7, 9]
        assert s.mask.numpy().tolist() == [False, False, True]
        st = tf.stack([x, y])
        assert st.values.numpy().tolist() == [[1, 2, 3], [4, 5, 6]]
        assert st.mask.numpy().tolist() == [[True, False, True], [False, True, True]]
        c = tf.concat([x, y], 0)
        assert c.mask.numpy().tolist() == [True, False, True, False, True, True]
        assert tf.stack([tf.constant(1), tf.constant(2)]).numpy().tolist() == [1, 2]  # as before
        with pytest.raises((TypeError, ValueError)):   # no handler for (MaskedTensor, Tensor)
            tf.math.add(x, tf.constant([1, 2, 3]))
        traced = tf.function(lambda a, b: tf.math.add(a, b))(x, y)   # inside a trace too
        assert traced.values.numpy().tolist() == [5, 7, 9]
    finally:
        for h in handlers:
            tf.experimental.unregister_dispatch_for(h)
    with pytest.raises((TypeError, ValueError)):
        tf.math.add(x, y)


def test_dispatch_for_elementwise_apis_as_tf():
    from typing import Union

    @tf.experimental.dispatch_for_unary_elementwise_apis(MaskedTensor)
    def masked_tensor_unary_elementwise_api_handler(api_func, x):
        return MaskedTensor(api_func(x.values), x.mask)

    def convert_to_masked_tensor(x):
        if isinstance(x, MaskedTensor):
            return x
        return MaskedTensor(x, tf.ones_like(x, tf.bool))

    @tf.experimental.dispatch_for_binary_elementwise_apis(Union[MaskedTensor, tf.Tensor],
                                                          Union[MaskedTensor, tf.Tensor])
    def masked_tensor_binary_elementwise_api_handler(api_func, x, y):
        x = convert_to_masked_tensor(x)
        y = convert_to_masked_tensor(y)
        return MaskedTensor(api_func(x.values, y.values), x.mask & y.mask)

    @tf.experimental.dispatch_for_api(tf.math.add)
    def masked_add(x: MaskedTensor, y: MaskedTensor, name=None):
        return MaskedTensor(x.values + y.values, x.mask & y.mask)
    try:
        x = MaskedTensor([1, -2, -3], [True, False, True])
        assert tf.abs(x).values.numpy().tolist() == [1, 2, 3]
        ones = tf.ones_like(x, dtype=tf.float32)
        assert ones.values.dtype == tf.float32 and ones.values.numpy().tolist() == [1., 1., 1.]
        assert tf.math.negative(x).values.numpy().tolist() == [-1, 2, 3]
        assert tf.math.square(x).values.numpy().tolist() == [1, 4, 9]
        assert tf.cast(MaskedTensor([1, 2], [True, False]), tf.float32).values.dtype == \
            tf.float32
        x = MaskedTensor([1., 2., 3., 4., 5.], [True, True, False, True, False])
        y = MaskedTensor([5., 8., 1., 7., 6.], [True, False, True, False, True])
        m = tf.math.multiply(x, y)
        assert m.values.numpy().tolist() == [5., 16., 3., 28., 30.]
        assert m.mask.numpy().tolist() == [True, False, False, False, False]
        assert tf.maximum(x, y).values.numpy().tolist() == [5., 8., 3., 7., 6.]
        d = tf.math.subtract(x, tf.constant([1., 1., 1., 1., 1.]))
        assert d.values.numpy().tolist() == [0., 1., 2., 3., 4.]
        assert d.mask.numpy().tolist() == [True, True, False, True, False]
        assert tf.math.equal(x, y).values.numpy().tolist() == [False] * 5
        with pytest.raises(ValueError, match="Multiple dispatch targets"):   # as TF
            tf.math.add(x, y)
        assert tf.abs(tf.constant([-1.])).numpy().tolist() == [1.]    # plain tensors: as before
    finally:
        for h in (masked_tensor_unary_elementwise_api_handler,
                  masked_tensor_binary_elementwise_api_handler, masked_add):
            tf.experimental.unregister_dispatch_for(h)
    with pytest.raises(ValueError, match="was not registered"):
        tf.experimental.unregister_dispatch_for(masked_add)


class MaskedTensor2(tf.experimental.ExtensionType):
    """The guide's MaskedTensor with shape/dtype properties, operators and a custom Spec."""
    values: tf.Tensor
    mask: tf.Tensor
    shape = property(lambda self: self.values.shape)
    dtype = property(lambda self: self.values.dtype)

    def with_default(self, default):
        return tf.where(self.mask, self.values, default)
    __add__ = lambda self, other: MaskedTensor2(self.values + other.values,  # noqa: E731
                                                self.mask & other.mask)
    __getitem__ = lambda self, idx: MaskedTensor2(self.values[idx], self.mask[idx])  # noqa

    class Spec:
        def __init__(self, shape, dtype=tf.float32):
            self.values = tf.TensorSpec(shape, dtype)
            self.mask = tf.TensorSpec(shape, tf.bool)

        def __repr__(self):
            return f"MaskedTensor.Spec(shape={self.shape}, dtype={self.dtype})"
        shape = property(lambda self: self.values.shape)
        dtype = property(lambda self: self.values.dtype)


def test_custom_spec_operators_and_datasets_as_tf():
    mt = MaskedTensor2(values=[[1, 2, 3], [4, 5, 6]],
                       mask=[[True, True, False], [True, False, True]])
    assert (tuple(mt.shape), mt.dtype) == ((2, 3), tf.int32)
    assert (mt + mt).values.numpy().tolist() == [[2, 4, 6], [8, 10, 12]]
    assert mt[1:].mask.numpy().tolist() == [[True, False, True]]
    assert mt.with_default(0).numpy().tolist() == [[1, 2, 0], [4, 0, 6]]
    spec = MaskedTensor2.Spec(shape=[None, 3], dtype=tf.int32)
    # TF: MaskedTensor.Spec(shape=(None, 3), dtype=<dtype: 'int32'>) (None, 3) TensorSpec(...)
    assert repr(spec) == "MaskedTensor.Spec(shape=(None, 3), dtype=<dtype: 'int32'>)"
    assert repr(spec.values) == "TensorSpec(shape=(None, 3), dtype=tf.int32, name=None)"
    assert repr(tf.type_spec_from_value(mt)) == \
        "MaskedTensor.Spec(shape=(2, 3), dtype=<dtype: 'int32'>)"

    @tf.function(input_signature=[MaskedTensor2.Spec(shape=[None], dtype=tf.float32)])
    def f(x):
        return x.with_default(-1.)
    assert f(MaskedTensor2([1., 2.], [True, False])).numpy().tolist() == [1., -1.]
    ds = tf.data.Dataset.from_tensors(MaskedTensor2([1., 2.], [True, False]))
    elems = list(ds)
    assert len(elems) == 1 and elems[0].mask.numpy().tolist() == [True, False]
    assert repr(ds.element_spec) == "MaskedTensor.Spec(shape=(2,), dtype=<dtype: 'float32'>)"
    out = list(ds.map(lambda m: MaskedTensor2(m.values * 10, m.mask)))
    assert out[0].values.numpy().tolist() == [10., 20.]
