"""keras.Input(ragged=True) / keras.Input(sparse=True) feeding RaggedTensors / SparseTensors to
functional and Sequential models (graphflow/keras/composite_values.py); expected values are
what Keras 3.15.1 on TF 2.21 printed for the same code."""
import numpy as np

import graphflow as tf

keras = tf.keras
W = np.arange(30, dtype="float32").reshape(10, 3)


def _ids():
    return tf.ragged.constant([[1, 2, 3], [4], [5, 6]])


def test_ragged_input_flags_and_shapes():
    inp = keras.Input(shape=(None,), dtype="int32", ragged=True)
    assert inp.ragged and not inp.sparse and tuple(inp.shape) == (None, None)
    e = keras.layers.Embedding(10, 3)(inp)
    assert e.ragged and tuple(e.shape) == (None, None, 3) and e.dtype == tf.float32
    out = keras.layers.GlobalAveragePooling1D()(e)
    assert not out.ragged and tuple(out.shape) == (None, 3)
    assert "ragged=True" in repr(inp)


def test_embedding_on_ragged_ids_then_average_pooling_as_keras():
    inp = keras.Input(shape=(None,), dtype="int32", ragged=True)
    e = keras.layers.Embedding(10, 3, weights=[W])(inp)
    m = keras.Model(inp, keras.layers.GlobalAveragePooling1D()(e))
    want = [[6., 7., 8.], [12., 13., 14.], [16.5, 17.5, 18.5]]   # Keras 3.15.1
    assert m(_ids()).numpy().tolist() == want
    assert m.predict(_ids(), verbose=0).tolist() == want
    seq = keras.Sequential([keras.Input(shape=(None,), dtype="int32", ragged=True),
                            keras.layers.Embedding(10, 3, weights=[W]),
                            keras.layers.GlobalMaxPooling1D()])
    assert seq(_ids()).numpy().tolist() == [[9., 10., 11.], [12., 13., 14.], [18., 19., 20.]]


def test_fit_on_ragged_inputs_as_keras():
    inp = keras.Input(shape=(None,), dtype="int32", ragged=True)
    e = keras.layers.Embedding(10, 3, weights=[W])(inp)
    out = keras.layers.Dense(1, kernel_initializer="ones")(keras.layers.GlobalAveragePooling1D()(e))
    m = keras.Model(inp, out)
    m.compile("sgd", "mse")
    h = m.fit(_ids(), np.array([[1.], [2.], [3.]]), epochs=1, verbose=0, batch_size=3)
    np.testing.assert_allclose(h.history["loss"], [1406.4166259765625], rtol=1e-6)  # Keras
    h = m.fit(_ids(), np.array([[1.], [2.], [3.]]), epochs=2, verbose=0, batch_size=2)
    assert np.all(np.isfinite(h.history["loss"]))   # batches cut from the ragged rows


def test_lambda_reducing_ragged_rows():
    inp = keras.Input(shape=(None,), dtype="float32", ragged=True)
    out = keras.layers.Lambda(lambda r: tf.reduce_sum(r, axis=1))(inp)
    m = keras.Model(inp, out)
    rt = tf.ragged.constant([[1., 2.], [3.]])
    assert m(rt).numpy().tolist() == [3., 3.]
    assert m.predict(rt, verbose=0).tolist() == [3., 3.]


def test_dense_on_sparse_input_as_keras():
    inp = keras.Input(shape=(4,), sparse=True)
    assert inp.sparse and not inp.ragged
    m = keras.Model(inp, keras.layers.Dense(2, kernel_initializer="ones")(inp))
    st = tf.sparse.SparseTensor([[0, 1], [1, 3]], [2., 5.], [2, 4])
    assert m(st).numpy().tolist() == [[2., 2.], [5., 5.]]
    assert m.predict(st, verbose=0).tolist() == [[2., 2.], [5., 5.]]
    # the sparse-tensors guide: integer values, a Dense(4) of ones
    x = keras.Input(shape=(4,), sparse=True)
    model = keras.Model(x, keras.layers.Dense(4, kernel_initializer="ones")(x))
    sparse_data = tf.sparse.SparseTensor(indices=[(0, 0), (0, 1), (0, 2), (4, 3), (5, 0), (5, 1)],
                                         values=[1, 1, 1, 1, 1, 1], dense_shape=(6, 4))
    want = [[3.] * 4, [0.] * 4, [0.] * 4, [0.] * 4, [1.] * 4, [2.] * 4]
    assert model(sparse_data).numpy().tolist() == want
    assert model.predict(sparse_data, verbose=0, batch_size=4).tolist() == want


def test_take_rows_of_ragged_and_sparse():
    from graphflow.keras.composite_values import take_rows
    rt = tf.ragged.constant([[[1], [2]], [], [[3]], [[4], [5], [6]]], ragged_rank=2)
    got = take_rows(rt, np.array([3, 0]))
    assert got.to_list() == [[[4], [5], [6]], [[1], [2]]]
    st = tf.sparse.SparseTensor([[0, 1], [2, 0], [3, 3]], [1., 2., 3.], [4, 4])
    got = take_rows(st, np.array([3, 2]))
    assert tf.sparse.to_dense(got).numpy().tolist() == [[0, 0, 0, 3.], [2., 0, 0, 0]]
    assert tf.sparse.to_dense(take_rows(st, slice(1, 3))).numpy().tolist() == \
        [[0.] * 4, [2., 0, 0, 0]]
