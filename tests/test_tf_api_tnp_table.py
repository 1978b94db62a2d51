"""tf.experimental.numpy (tnp) breadth: every expected value and dtype below is what TF 2.21's
tnp printed (after tnp.experimental_enable_numpy_behavior(), as the "NumPy API on TensorFlow"
guide does)."""
import numpy as np
import pytest

import graphflow as tf

tnp = tf.experimental.numpy
A = [[1, 2], [3, 4]]

CASES = [  # (id, thunk, expected value, expected dtype name or None)
    ("sort", lambda: tnp.sort(tnp.asarray([3, 1, 2])), [1, 2, 3], "int64"),
    ("argsort", lambda: tnp.argsort(tnp.asarray([3, 1, 2])), [1, 2, 0], "int64"),
    ("empty", lambda: tnp.empty((2,)), [0., 0.], "float64"),
    ("tri", lambda: tnp.tri(3, 2, -1), [[0., 0.], [1., 0.], [1., 1.]], "float64"),
    ("diff", lambda: tnp.diff(tnp.asarray([1, 4, 9])), [3, 5], "int64"),
    ("average", lambda: tnp.average(tnp.asarray([1, 2, 3]), weights=tnp.asarray([1, 1, 2])),
     2.25, "float64"),
    ("isclose", lambda: tnp.isclose(tnp.asarray([1., 2.]), tnp.asarray([1., 2.1])),
     [True, False], "bool"),
    ("around", lambda: tnp.around(tnp.asarray([0.5, 1.5, 2.5, 1.234]), 1),
     [0.5, 1.5, 2.5, 1.2], "float64"),
    ("round", lambda: tnp.round(tnp.asarray([0.5, 1.5, 2.5])), [0., 2., 2.], "float64"),
    ("cbrt", lambda: tnp.cbrt(tnp.asarray([8., -27.])), [2., -3.], "float64"),
    ("count_nonzero", lambda: tnp.count_nonzero(tnp.asarray([0, 1, 2])), 2, "int64"),
    ("floor_divide", lambda: tnp.floor_divide(tnp.asarray([7, -7]), 3), [2, -3], "int64"),
    ("remainder", lambda: tnp.remainder(tnp.asarray([7, -7]), 3), [1, 2], "int64"),
    ("mod", lambda: tnp.mod(tnp.asarray([7.5, -7]), 3), [1.5, 2.], "float64"),
    ("gcd", lambda: tnp.gcd(tnp.asarray([12, 18]), 8), [4, 2], "int64"),
    ("lcm", lambda: tnp.lcm(tnp.asarray([4, 6]), 10), [20, 30], "int64"),
    ("heaviside", lambda: tnp.heaviside(tnp.asarray([-1., 0., 2.]), 0.5), [0., .5, 1.],
     "float64"),
    ("sinc", lambda: tnp.sinc(tnp.asarray([0., 0.5])), [1., 0.63661977], "float64"),
    ("signbit", lambda: tnp.signbit(tnp.asarray([-0., 1., -2.])), [False, False, True], "bool"),
    ("float_power", lambda: tnp.float_power(tnp.asarray([2, 3]), 2), [4., 9.], "float64"),
    ("power", lambda: tnp.power(tnp.asarray([2, 3]), 2), [4, 9], "int64"),
    ("select", lambda: tnp.select([tnp.asarray([True, False]), tnp.asarray([False, True])],
                                  [tnp.asarray([1, 2]), tnp.asarray([3, 4])], 9), [1, 4], "int64"),
    ("compress", lambda: tnp.compress([True, False, True], tnp.asarray([1, 2, 3])), [1, 3],
     "int64"),
    ("vander", lambda: tnp.vander(tnp.asarray([1, 2, 3]), 3), [[1, 1, 1], [4, 2, 1], [9, 3, 1]],
     "int64"),
    ("ptp", lambda: tnp.ptp(tnp.asarray([[1, 5], [2, 9]]), axis=0), [1, 4], "int64"),
    ("geomspace", lambda: tnp.geomspace(1, 100, 3), [1., 10., 100.], "float64"),
    ("logspace", lambda: tnp.logspace(0, 2, 3), [1., 10., 100.], "float64"),
    ("kron", lambda: tnp.kron(tnp.asarray([[1, 2]]), tnp.asarray([[1], [10]])),
     [[1, 2], [10, 20]], "int64"),
    ("inner", lambda: tnp.inner(tnp.asarray([1, 2]), tnp.asarray([3, 4])), 11, "int64"),
    ("vdot", lambda: tnp.vdot(tnp.asarray([1, 2]), tnp.asarray([3, 4])), 11, "int64"),
    ("outer", lambda: tnp.outer(tnp.asarray([1, 2]), tnp.asarray([3, 4, 5])),
     [[3, 4, 5], [6, 8, 10]], "int64"),
    ("nanmean", lambda: tnp.nanmean(tnp.asarray([1., np.nan, 3.])), 2., "float64"),
    ("nansum", lambda: tnp.nansum(tnp.asarray([1., np.nan, 3.])), 4., "float64"),
    ("nanprod", lambda: tnp.nanprod(tnp.asarray([2., np.nan, 3.])), 6., "float64"),
    ("isreal", lambda: tnp.isreal(tnp.asarray([1 + 0j, 1 + 1j])), [True, False], "bool"),
    ("rot90", lambda: tnp.rot90(tnp.asarray(A)), [[2, 4], [1, 3]], "int64"),
    ("rot90_k3", lambda: tnp.rot90(tnp.asarray(A), 3), np.rot90(np.array(A), 3), "int64"),
    ("take", lambda: tnp.take(tnp.asarray(A), [3, 0]), [4, 1], "int64"),
    ("take_along_axis", lambda: tnp.take_along_axis(tnp.asarray([[3, 1], [2, 4]]),
                                                    tnp.asarray([[1, 0], [0, 1]]), axis=1),
     [[1, 3], [2, 4]], "int64"),
    ("diagflat", lambda: tnp.diagflat(tnp.asarray([1, 2])), [[1, 0], [0, 2]], "int64"),
    ("append", lambda: tnp.append(tnp.asarray([1, 2]), [[3, 4]]), [1, 2, 3, 4], "int64"),
    ("polyval", lambda: tnp.polyval(tnp.asarray([1., 2., 3.]), tnp.asarray([2.])), [11.],
     "float64"),
    ("fix", lambda: tnp.fix(tnp.asarray([-1.5, 1.5])), [-1., 1.], "float64"),
    ("exp2", lambda: tnp.exp2(tnp.asarray([3])), [8.], "float64"),
    ("log2", lambda: tnp.log2(tnp.asarray([8])), [3.], "float64"),
    ("log10", lambda: tnp.log10(tnp.asarray([100])), [2.], "float64"),
    ("logaddexp", lambda: tnp.logaddexp(tnp.asarray([1.]), tnp.asarray([2.])), [2.31326169],
     "float64"),
    ("logaddexp2", lambda: tnp.logaddexp2(tnp.asarray([1.]), tnp.asarray([2.])), [2.5849625],
     "float64"),
    ("array_equal", lambda: tnp.array_equal([1, 2], [1, 2]), True, "bool"),
    ("array_equal_no", lambda: tnp.array_equal([1, 2], [1, 3]), False, "bool"),
    ("array_equal_shape", lambda: tnp.array_equal([1, 2], [1, 2, 3]), False, "bool"),
    ("all", lambda: tnp.all(tnp.asarray([1, 0])), False, "bool"),
    ("any", lambda: tnp.any(tnp.asarray([1, 0])), True, "bool"),
    ("trace", lambda: tnp.trace(tnp.asarray(A)), 5, "int64"),
    ("diagonal", lambda: tnp.diagonal(tnp.asarray(A), 1), [2], "int64"),
    ("tril", lambda: tnp.tril(tnp.asarray(A)), [[1, 0], [3, 4]], "int64"),
    ("triu", lambda: tnp.triu(tnp.asarray(A), 1), [[0, 2], [0, 0]], "int64"),
    ("repeat", lambda: tnp.repeat(tnp.asarray([1, 2]), 2), [1, 1, 2, 2], "int64"),
    ("repeat_axis", lambda: tnp.repeat(tnp.asarray([[1, 2]]), [1, 2], axis=1), [[1, 2, 2]],
     "int64"),
    ("pad_constant", lambda: tnp.pad(tnp.asarray([1, 2]), [[2, 2]], mode="constant"),
     [0, 0, 1, 2, 0, 0], "int64"),
    ("pad_reflect", lambda: tnp.pad(tnp.asarray([1, 2, 3]), [[1, 2]], mode="reflect"),
     [2, 1, 2, 3, 2, 1], "int64"),
    ("deg2rad", lambda: tnp.deg2rad(tnp.asarray([180])), [np.pi], "float64"),
    ("rad2deg", lambda: tnp.rad2deg(tnp.asarray([np.pi])), [180.], "float64"),
    ("hypot", lambda: tnp.hypot(3, 4), 5., "float64"),
    ("arctan2", lambda: tnp.arctan2(1., 1.), 0.7853981633974483, "float64"),
    ("angle", lambda: tnp.angle(tnp.asarray([1j])), [1.57079633], "float64"),
    ("sign", lambda: tnp.sign(tnp.asarray([-2, 0, 3])), [-1, 0, 1], "int64"),
    ("positive", lambda: tnp.positive(tnp.asarray([-1])), [-1], "int64"),
    ("reciprocal", lambda: tnp.reciprocal(tnp.asarray([2.])), [0.5], "float64"),
    ("true_divide", lambda: tnp.true_divide(tnp.asarray([1, 2]), 2), [0.5, 1.], "float64"),
    ("amax", lambda: tnp.amax(tnp.asarray([1, 3])), 3, "int64"),
    ("cumsum", lambda: tnp.cumsum(tnp.asarray(A)), [1, 3, 6, 10], "int64"),
    ("cumprod", lambda: tnp.cumprod(tnp.asarray(A), axis=0), [[1, 2], [3, 8]], "int64"),
    ("flip", lambda: tnp.flip(tnp.asarray(A)), [[4, 3], [2, 1]], "int64"),
    ("fliplr", lambda: tnp.fliplr(tnp.asarray(A)), [[2, 1], [4, 3]], "int64"),
    ("flipud", lambda: tnp.flipud(tnp.asarray(A)), [[3, 4], [1, 2]], "int64"),
    ("hstack", lambda: tnp.hstack([tnp.asarray([1]), tnp.asarray([2])]), [1, 2], "int64"),
    ("vstack", lambda: tnp.vstack([tnp.asarray([1]), tnp.asarray([2])]), [[1], [2]], "int64"),
    ("cross", lambda: tnp.cross(tnp.asarray([1, 0, 0]), tnp.asarray([0, 1, 0])), [0, 0, 1],
     "int64"),
    ("diag_part", lambda: tnp.diag(tnp.asarray(A)), [1, 4], "int64"),
    ("diag_k", lambda: tnp.diag(tnp.asarray([1, 2]), k=1), [[0, 1, 0], [0, 0, 2], [0, 0, 0]],
     "int64"),
    ("ravel", lambda: tnp.ravel(tnp.asarray(A)), [1, 2, 3, 4], "int64"),
    ("isneginf", lambda: tnp.isneginf(tnp.asarray([-np.inf, np.inf])), [True, False], "bool"),
    ("isposinf", lambda: tnp.isposinf(tnp.asarray([-np.inf, np.inf])), [False, True], "bool"),
    ("full_like", lambda: tnp.full_like(tnp.asarray([1, 2]), 7.5), [7, 7], "int64"),
    ("einsum", lambda: tnp.einsum("ij,j->i", tnp.ones((2, 3)), tnp.ones(3)), [3., 3.],
     "float64"),
    ("bitwise_not", lambda: tnp.bitwise_not(tnp.asarray([1])), [-2], "int64"),
    ("bitwise_and", lambda: tnp.bitwise_and(tnp.asarray([5]), 3), [1], "int64"),
    ("bitwise_xor", lambda: tnp.bitwise_xor(5, 3), 6, "int64"),
    ("conjugate", lambda: tnp.conjugate(tnp.asarray([1 + 2j])), [1 - 2j], "complex128"),
    ("imag", lambda: tnp.imag(tnp.asarray([1 + 2j])), [2.], "float64"),
    ("roll", lambda: tnp.roll(tnp.arange(5), 2), [3, 4, 0, 1, 2], "int64"),
    ("tile", lambda: tnp.tile(tnp.asarray([1, 2]), 2), [1, 2, 1, 2], "int64"),
    ("sort_axis0", lambda: tnp.sort(tnp.asarray([[3, 1], [0, 2]]), axis=0), [[0, 1], [3, 2]],
     "int64"),
    ("where", lambda: tnp.where(tnp.asarray([True, False]), 1, 2.5), [1., 2.5], "float64"),
    ("expm1", lambda: tnp.expm1(tnp.asarray([0.])), [0.], "float64"),
    ("log1p_int", lambda: tnp.log1p(tnp.asarray([0])), [0.], "float64"),
    ("arcsinh_int", lambda: tnp.arcsinh(tnp.asarray([0])), [0.], "float64"),
    ("fabs", lambda: tnp.fabs(tnp.asarray([-1])), [1.], "float64"),
    ("absolute", lambda: tnp.absolute(tnp.asarray([-1])), [1], "int64"),
    ("count_nonzero_axis", lambda: tnp.count_nonzero(tnp.asarray([[0, 1], [2, 3]]), axis=0),
     [1, 2], "int64"),
    ("sqrt_int", lambda: tnp.sqrt(tnp.asarray([1, 4])), [1., 2.], "float64"),
    ("add_int32_float", lambda: tnp.add(tnp.asarray([1, 2], dtype=tnp.int32), 1.5), [2.5, 3.5],
     "float64"),
]


@pytest.mark.parametrize("name,thunk,expected,dtype", CASES, ids=[c[0] for c in CASES])
def test_tnp_value_vs_tf(name, thunk, expected, dtype):
    out = thunk()
    assert out.dtype.name == dtype
    np.testing.assert_allclose(np.asarray(out), np.asarray(expected), rtol=1e-7, atol=1e-12)


def test_tnp_multi_output_vs_tf():
    q, r = tnp.divmod(tnp.asarray([7, -7]), 3)
    assert q.numpy().tolist() == [2, -3] and r.numpy().tolist() == [1, 2]
    avg, wsum = tnp.average(tnp.asarray([[1., 2.], [3., 4.]]), axis=1, weights=[1., 3.],
                            returned=True)
    np.testing.assert_allclose(avg, [1.75, 3.75])
    np.testing.assert_allclose(wsum, [4., 4.])
    assert [t.numpy().tolist() for t in tnp.nonzero(tnp.asarray([0, 1, 2]))] == [[1, 2]]
    assert [t.shape for t in tnp.ix_(tnp.asarray([0, 1]), tnp.asarray([2, 3]))] == [(2, 1),
                                                                                     (1, 2)]
    di = tnp.diag_indices(2)
    assert [(t.dtype.name, t.numpy().tolist()) for t in di] == [("int32", [0, 1])] * 2
    assert [t.numpy().tolist() for t in tnp.split(tnp.arange(6), 3)] == [[0, 1], [2, 3], [4, 5]]
    assert [t.numpy().tolist() for t in tnp.split(tnp.arange(6), [1, 4])] == [[0], [1, 2, 3],
                                                                             [4, 5]]
    assert [t.numpy().tolist() for t in tnp.hsplit(tnp.arange(4), 2)] == [[0, 1], [2, 3]]
    assert tnp.vsplit(tnp.ones((4, 2)), 2)[0].shape == (2, 2)
    assert tnp.dsplit(tnp.ones((1, 2, 4)), 2)[0].shape == (1, 2, 2)
    assert tnp.dstack([tnp.asarray([1]), tnp.asarray([2])]).shape == (1, 1, 2)
    b = tnp.broadcast_arrays(tnp.asarray([1, 2]), tnp.asarray([[1], [2]]))
    assert [t.numpy().tolist() for t in b] == [[[1, 2], [1, 2]], [[1, 1], [2, 2]]]
    m = tnp.meshgrid(tnp.asarray([1, 2]), tnp.asarray([3, 4, 5]))
    assert [t.numpy().tolist() for t in m] == [[[1, 2]] * 3, [[3, 3], [4, 4], [5, 5]]]
    assert tnp.moveaxis(tnp.ones((2, 3, 4)), 0, -1).shape == (3, 4, 2)
    assert tnp.swapaxes(tnp.ones((2, 3, 4)), 0, 2).shape == (4, 3, 2)
    assert (tnp.atleast_1d(1).shape, tnp.atleast_2d([1, 2]).shape, tnp.atleast_3d([[1, 2]]).shape,
            tnp.atleast_3d([1, 2]).shape) == ((1,), (1, 2), (1, 2, 1), (1, 2, 1))
    assert tnp.tensordot(tnp.ones((2, 3)), tnp.ones((3, 4)), axes=1).shape == (2, 4)
    assert tnp.empty_like(tnp.asarray([1., 2.])).shape == (2,)


def test_tnp_dtype_objects_vs_tf():
    assert np.float32(tnp.finfo(tnp.float32).eps) == np.float32(1.1920929e-07)
    assert tnp.iinfo(tnp.int32).max == 2147483647
    assert tnp.promote_types(tnp.int32, tnp.float32) == np.float64
    assert tnp.result_type(tnp.int32, 1.0) == tf.float64
    assert (tnp.float_, tnp.int_, tnp.complex_, tnp.inexact, tnp.object_, tnp.string_,
            tnp.unicode_) == (np.float64, np.int64, np.complex128, np.inexact, np.object_,
                              np.bytes_, np.str_)
    assert tnp.issubdtype(tnp.float32, tnp.inexact) and tnp.isscalar(3)
    assert tnp.isscalar(tnp.asarray(3))
    assert not tnp.iscomplexobj(tnp.asarray([1.])) and tnp.isrealobj(tnp.asarray([1.]))
    assert tnp.nextafter(tnp.asarray([1.0]), 2.0).numpy()[0] - 1.0 == 2.220446049250313e-16


def test_tnp_names_all_present():
    names = """abs absolute add all allclose amax amin angle any append arange arccos arccosh
    arcsin arcsinh arctan arctan2 arctanh argmax argmin argsort around array array_equal
    asanyarray asarray ascontiguousarray atleast_1d atleast_2d atleast_3d average bitwise_and
    bitwise_not bitwise_or bitwise_xor bool_ broadcast_arrays broadcast_to cbrt ceil clip
    complex128 complex64 complex_ compress concatenate conj conjugate copy cos cosh count_nonzero
    cross cumprod cumsum deg2rad diag diag_indices diagflat diagonal diff divide divmod dot dsplit
    dstack e einsum empty empty_like equal exp exp2 expand_dims experimental_enable_numpy_behavior
    expm1 eye fabs finfo fix flatten flip fliplr flipud float16 float32 float64 float_
    float_power floor floor_divide full full_like gcd geomspace greater greater_equal heaviside
    hsplit hstack hypot identity iinfo imag inexact inf inner int16 int32 int64 int8 int_ isclose
    iscomplex iscomplexobj isfinite isinf isnan isneginf isposinf isreal isrealobj isscalar
    issubdtype ix_ kron lcm less less_equal linspace log log10 log1p log2 logaddexp logaddexp2
    logical_and logical_not logical_or logical_xor logspace matmul max maximum mean meshgrid min
    minimum mod moveaxis multiply nanmean nanprod nansum ndarray ndim negative newaxis nextafter
    nonzero not_equal object_ ones ones_like outer pad pi polyval positive power prod
    promote_types ptp rad2deg random ravel real reciprocal remainder repeat reshape result_type
    roll rot90 round select shape sign signbit sin sinc sinh size sort split sqrt square squeeze
    stack std string_ subtract sum swapaxes take take_along_axis tan tanh tensordot tile trace
    transpose tri tril triu true_divide uint16 uint32 uint64 uint8 unicode_ vander var vdot
    vsplit vstack where zeros zeros_like""".split()
    assert [n for n in names if not hasattr(tnp, n)] == []
    assert set(names) <= set(tnp.__all__)


def test_tnp_traces_and_differentiates():
    x = tf.Variable([0.3, 1.2, 2.0], dtype=tf.float64)
    with tf.GradientTape() as tape:
        y = tnp.sum(tnp.cbrt(x) + tnp.logaddexp(x, 1.0) + tnp.hypot(x, 2.0) * tnp.sinc(x))
    g = tape.gradient(y, x).numpy()

    def f(v):
        return np.sum(np.cbrt(v) + np.logaddexp(v, 1.0) + np.hypot(v, 2.0) * np.sinc(v))
    eps = 1e-6
    fd = [(f(x.numpy() + eps * e) - f(x.numpy() - eps * e)) / (2 * eps) for e in np.eye(3)]
    np.testing.assert_allclose(g, fd, rtol=1e-6)

    @tf.function
    def g2(a):
        return tnp.trace(tnp.kron(a, tnp.tril(a))) + tnp.sum(tnp.diff(tnp.ravel(a)))
    a = np.array([[1., 2.], [3., 4.]])
    expect = np.trace(np.kron(a, np.tril(a))) + np.sum(np.diff(a.ravel()))
    np.testing.assert_allclose(g2(tf.constant(a)).numpy(), expect)


def test_asarray_of_tensors_traces():
    @tf.function
    def f(a, b):
        return tnp.asarray([a, b]) * 2
    assert f(tf.constant(1.), tf.constant(2.)).numpy().tolist() == [2., 4.]
    v = tf.Variable(3.)
    with tf.GradientTape() as tape:
        y = tnp.sum(tnp.asarray([v, v * v]))
    assert float(tape.gradient(y, v)) == 7.0
