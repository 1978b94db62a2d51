"""Table-driven test over every primitive in `graphflow.OPS`.

Every registered op needs at least one case here (the coverage test fails otherwise). A case
builds numpy inputs, calls the public API and gives a numpy reference. For every case we check
(a) value, dtype and shape against numpy, (b) that the op's shape/dtype rule - run on abstract
values only - predicts the actual output, (c) that the op's impl called directly with the
recorded attrs reproduces the output, and (d) for elementwise ops, that the scalar template uses
exactly the op's inputs.
"""
import math
import string

import numpy as np
import pytest

import graphflow as tf
from graphflow import control_ops
from graphflow.ops import array_ops as _arr, linalg_ops as _lin  # noqa: F401
from graphflow.backends.numba import lowering
from graphflow.ops import conv_ops, shape_ops  # noqa: F401
from graphflow.ops import image_ops as _im
from graphflow.ops.registry import ELEMENTWISE, OPS, Aval

from conftest import Recorder


class Case:
    def __init__(self, inputs, api, ref=None, check=None, op=None, id=""):
        self.inputs = inputs     # list of numpy arrays / numpy scalars
        self.api = api           # (*tensors) -> Tensor (or list of Tensors)
        self.ref = ref           # (*arrays) -> expected numpy array
        self.check = check       # alternative: (numpy value) -> None, asserting properties
        self.op = op             # filled in from the table key
        self.id = id


R = np.random.default_rng(1234)


def f32(*shape, lo=-2.0, hi=2.0):
    return R.uniform(lo, hi, size=shape).astype(np.float32)


def f64(*shape, lo=-2.0, hi=2.0):
    return R.uniform(lo, hi, size=shape).astype(np.float64)


def i32(*shape, lo=-5, hi=6):
    return R.integers(lo, hi, size=shape).astype(np.int32)


def boolean(*shape):
    return R.random(shape) > 0.5


def _erf(x):
    return np.vectorize(math.erf, otypes=[np.float64])(x).astype(x.dtype)


def _sigmoid(x):
    return (1 / (1 + np.exp(-x.astype(np.float64)))).astype(x.dtype)


def _softplus(x):
    return np.logaddexp(0, x.astype(np.float64)).astype(x.dtype)


EXTREME = np.array([-100., -20., -1., 0., 0.5, 20., 100.], np.float32)


def unary(api, ref, *inputs_list, ids=None):
    return [Case([x], api, ref, id=str(i)) for i, x in enumerate(inputs_list)]


def binary(api, ref, *pairs):
    return [Case(list(p), api, ref, id=f"{np.shape(p[0])}-{np.shape(p[1])}-{np.asarray(p[0]).dtype}")
            for p in pairs]


BCAST_F = [(f32(3, 4), f32(3, 4)), (f32(3, 1), f32(1, 4)), (f32(2, 3), f32(3)),
           (f32(), f32(2, 2)), (f64(2, 1, 3), f64(4, 1))]
POS = lambda *s: f32(*s, lo=0.2, hi=3.0)  # noqa: E731


def _getitem_cases():
    x = f32(4, 5, 3)
    idxs = [
        (1,), (-1,), (slice(1, 3),), (slice(None, None, -1),), (slice(None, None, 2), 0),
        (Ellipsis, 1), (None, 0), (slice(1, None), None, slice(None, None, -2), -1),
        (0, 0, 0), (Ellipsis, None), (slice(-3, -1), slice(None), slice(None, None, -1)),
    ]
    return [Case([x], (lambda t, i=i: t[i]), (lambda a, i=i: a[i]), id=repr(i)) for i in idxs] + [
        Case([i32(3, 4)], lambda t: t[1:, ::2], lambda a: a[1:, ::2], id="int"),
        Case([f32(3)], lambda t: t[tf.constant(2)], lambda a: a[2], id="tensor-index"),
    ]


def _scatter_ref(g, idx, shape, axis):
    out = np.zeros(shape, g.dtype)
    np.add.at(np.moveaxis(out, axis, 0), idx,
              np.moveaxis(g, list(range(axis, axis + idx.ndim)), list(range(idx.ndim))))
    return out


def _getitem_grad_ref(g, shape, idx):
    z = np.zeros(shape, g.dtype)
    z[idx] = g
    return z


def _random_check(kind, shape, dtype):
    def check(v):
        assert v.shape == shape and v.dtype == dtype
        if kind == "normal":
            assert abs(v.mean()) < 0.15 and 0.85 < v.std() < 1.15
        elif kind == "truncated":
            assert np.all(np.abs(v) <= 2) and abs(v.mean()) < 0.15 and 0.7 < v.std() < 0.95
        else:
            assert np.all((v >= 0) & (v < 1)) and 0.4 < v.mean() < 0.6
    return check


CASES = {
    # ---------------------------------------------------------------- unary elementwise
    "negative": unary(tf.negative, np.negative, f32(3, 2), i32(4), np.float32(2.5)),
    "abs": unary(tf.abs, np.abs, f32(3, 2), i32(4), f64(2)),
    "sign": unary(tf.sign, np.sign, np.array([-2., 0., 3.], np.float32), i32(5)),
    "sqrt": unary(tf.sqrt, np.sqrt, POS(3, 2), f64(2, lo=0, hi=4)),
    "rsqrt": unary(tf.math.rsqrt, lambda x: (1 / np.sqrt(x)).astype(x.dtype), POS(3, 2)),
    "exp": unary(tf.exp, np.exp, f32(3, 2), f64(4)),
    "log": unary(tf.math.log, np.log, POS(3, 2), f64(2, lo=0.1, hi=5)),
    "log1p": unary(tf.math.log1p, np.log1p, f32(3, 2, lo=-0.5, hi=2.),
                   np.array([1e-10, 1e-5], np.float64)),
    "tanh": unary(tf.tanh, np.tanh, f32(3, 2), EXTREME),
    "sigmoid": unary(tf.sigmoid, _sigmoid, f32(3, 2), EXTREME, f64(3)),
    "softplus": unary(tf.math.softplus, _softplus, f32(3, 2), EXTREME),
    "relu": unary(tf.nn.relu, lambda x: np.maximum(x, 0).astype(x.dtype), f32(3, 2), i32(6)),
    "erf": unary(tf.math.erf, _erf, f32(3, 2), f64(5), np.float32(0.3)),
    "sin": unary(tf.sin, np.sin, f32(3, 2)),
    "cos": unary(tf.cos, np.cos, f32(3, 2)),
    "floor": unary(tf.floor, np.floor, f32(3, 2), np.array([-1.5, -0.5, 0.5, 2.], np.float32)),
    "round": unary(tf.round, np.round, np.array([-1.5, -0.5, 0.5, 1.5, 2.5, 0.3], np.float32)),
    "identity": unary(tf.identity, lambda x: x, f32(3, 2), i32(3), boolean(2)),
    "stop_gradient": unary(tf.stop_gradient, lambda x: x, f32(3, 2)),
    "zeros_like": unary(tf.zeros_like, np.zeros_like, f32(3, 2), i32(4), boolean(2)),
    "ones_like": unary(tf.ones_like, np.ones_like, f32(3, 2), i32(4)),
    "logical_not": unary(tf.logical_not, np.logical_not, boolean(3, 2)),
    # ---------------------------------------------------------------- binary elementwise
    "add": binary(tf.add, np.add, *BCAST_F, (i32(3, 1), i32(1, 2))) + [
        Case([f32(3)], lambda t: t + 1, lambda a: a + np.float32(1), id="weak-int-scalar"),
        Case([f32(2, 2)], lambda t: np.ones((2, 2), np.float32) + t, lambda a: 1 + a, id="radd"),
    ],
    "subtract": binary(tf.subtract, np.subtract, *BCAST_F, (i32(2, 3), i32(3))) + [
        Case([f32(3)], lambda t: 2 - t, lambda a: np.float32(2) - a, id="rsub"),
    ],
    "multiply": binary(tf.multiply, np.multiply, *BCAST_F, (i32(2, 3), i32(3))) + [
        Case([f32(3)], lambda t: t * 0.5, lambda a: a * np.float32(0.5), id="weak-float"),
    ],
    "divide": binary(tf.divide, np.divide, (f32(3, 4), POS(3, 4)), (f32(3, 1), POS(1, 4)),
                     (f64(2, 3), f64(3, lo=0.5, hi=2))) + [
        Case([i32(4), np.array([1, 2, 3, 4], np.int32)], tf.divide,
             lambda a, b: a.astype(np.float64) / b, id="int->float64"),
        Case([POS(3)], lambda t: 1 / t, lambda a: np.float32(1) / a, id="rtruediv"),
    ],
    "floordiv": binary(tf.math.floordiv, np.floor_divide,
                       (i32(3, 4), np.array([1, 2, 3, -2], np.int32)),
                       (f32(3, 4), POS(4))) + [
        Case([np.array([7, -7, 5], np.int32)], lambda t: t // 2,
             lambda a: a // np.int32(2), id="dunder")],
    "mod": binary(tf.math.mod, np.mod, (i32(3, 4), np.array([1, 2, 3, -2], np.int32)),
                  (f32(3, 4), POS(4))),
    "pow": binary(tf.pow, np.power, (POS(3, 4), f32(3, 4)), (POS(3, 1), f32(1, 4)),
                  (np.array([1, 2, 3], np.int32), np.array([3, 2, 0], np.int32))) + [
        Case([f32(3)], lambda t: t ** 2, lambda a: a ** np.float32(2), id="dunder-sq"),
        Case([POS(3)], lambda t: 2. ** t, lambda a: np.float32(2) ** a, id="rpow"),
    ],
    "maximum": binary(tf.maximum, np.maximum, *BCAST_F, (i32(3, 1), i32(4))),
    "minimum": binary(tf.minimum, np.minimum, *BCAST_F, (i32(3, 1), i32(4))),
    "equal": binary(tf.equal, np.equal, (i32(3, 4), i32(3, 4)), (f32(3, 1), f32(4)),
                    (boolean(3), boolean(3))),
    "not_equal": binary(tf.not_equal, np.not_equal, (i32(3, 4), i32(4)),
                        (boolean(2, 2), boolean(2))),
    "less": binary(tf.less, np.less, (f32(3, 1), f32(1, 4)), (i32(5), i32(5))) + [
        Case([f32(3)], lambda t: t < 0.5, lambda a: a < np.float32(0.5), id="dunder")],
    "less_equal": binary(tf.less_equal, np.less_equal, (i32(3, 4), i32(4))) + [
        Case([i32(4)], lambda t: t <= 0, lambda a: a <= 0, id="dunder")],
    "greater": binary(tf.greater, np.greater, (f32(3, 1), f32(1, 4)), (i32(5), i32(5))) + [
        Case([f32(3)], lambda t: t > 0., lambda a: a > 0, id="dunder")],
    "greater_equal": binary(tf.greater_equal, np.greater_equal, (i32(3, 4), i32(4))) + [
        Case([f32(3)], lambda t: t >= 0., lambda a: a >= 0, id="dunder")],
    "logical_and": binary(tf.logical_and, np.logical_and, (boolean(3, 4), boolean(4))) + [
        Case([boolean(3), boolean(3)], lambda a, b: a & b, np.logical_and, id="dunder")],
    "logical_or": binary(tf.logical_or, np.logical_or, (boolean(3, 4), boolean(4))) + [
        Case([boolean(3), boolean(3)], lambda a, b: a | b, np.logical_or, id="dunder")],
    "where": [
        Case([boolean(3, 4), f32(3, 4), f32(3, 4)], tf.where, np.where, id="same"),
        Case([boolean(3, 1), f32(1, 4), f32(3, 1)], tf.where, np.where, id="bcast"),
        Case([boolean(3), i32(3), i32(3)], tf.where, np.where, id="int"),
        Case([boolean(2, 2), f32(2, 2)], lambda c, x: tf.where(c, x, 0.),
             lambda c, x: np.where(c, x, np.float32(0)), id="weak"),
    ],
    "cast": [
        Case([np.array([1.7, -1.7, 2.5, -0.2], np.float32)], lambda t: tf.cast(t, tf.int32),
             lambda a: a.astype(np.int32), id="f32->i32 truncates"),
        Case([i32(4)], lambda t: tf.cast(t, "float32"), lambda a: a.astype(np.float32), id="i->f"),
        Case([boolean(4)], lambda t: tf.cast(t, tf.float32), lambda a: a.astype(np.float32),
             id="bool->f"),
        Case([f32(2, 3)], lambda t: tf.cast(t, tf.float64), lambda a: a.astype(np.float64),
             id="f32->f64"),
        Case([np.array([0., 2., -1.], np.float32)], lambda t: tf.cast(t, tf.bool),
             lambda a: a.astype(bool), id="f->bool"),
    ],
    # ---------------------------------------------------------------- reductions
    "reduce_sum": [
        Case([f32(2, 3, 4)], lambda t: tf.reduce_sum(t), np.sum, id="all"),
        Case([f32(2, 3, 4)], lambda t: tf.reduce_sum(t, axis=1), lambda a: a.sum(1), id="ax1"),
        Case([f32(2, 3, 4)], lambda t: tf.reduce_sum(t, axis=[0, 2], keepdims=True),
             lambda a: a.sum((0, 2), keepdims=True), id="keep"),
        Case([f32(2, 3)], lambda t: tf.reduce_sum(t, axis=-1), lambda a: a.sum(-1), id="neg"),
        Case([i32(3, 4)], lambda t: tf.reduce_sum(t, 0), lambda a: a.sum(0, dtype=np.int32),
             id="int"),
    ],
    "reduce_max": [
        Case([f32(2, 3, 4)], lambda t: tf.reduce_max(t), np.max, id="all"),
        Case([f32(2, 3, 4)], lambda t: tf.reduce_max(t, axis=(0, -1), keepdims=True),
             lambda a: a.max((0, 2), keepdims=True), id="keep"),
        Case([i32(3, 4)], lambda t: tf.reduce_max(t, 1), lambda a: a.max(1), id="int"),
    ],
    "reduce_min": [
        Case([f32(2, 3, 4)], lambda t: tf.reduce_min(t, 2), lambda a: a.min(2), id="ax2"),
        Case([i32(3, 4)], lambda t: tf.reduce_min(t), np.min, id="int"),
    ],
    "reduce_prod": [
        Case([f32(2, 3)], lambda t: tf.reduce_prod(t, 1), lambda a: a.prod(1), id="ax1"),
        Case([i32(2, 3)], lambda t: tf.reduce_prod(t), lambda a: a.prod(dtype=np.int32),
             id="int"),
    ],
    "argmax": [
        Case([f32(3, 4)], lambda t: tf.argmax(t, 1), lambda a: a.argmax(1).astype(np.int64),
             id="ax1-int64"),
        Case([f32(3, 4)], lambda t: tf.argmax(t), lambda a: a.argmax(0).astype(np.int64),
             id="default-axis0"),
        Case([i32(3, 4)], lambda t: tf.argmax(t, -1, output_type=tf.int32),
             lambda a: a.argmax(-1).astype(np.int32), id="int32"),
    ],
    "argmin": [
        Case([f32(3, 4)], lambda t: tf.argmin(t, 1), lambda a: a.argmin(1).astype(np.int64)),
    ],
    # ---------------------------------------------------------------- matmul
    "matmul": [
        Case([f32(2, 3), f32(3, 4)], tf.matmul, np.matmul, id="2d"),
        Case([f32(3, 2), f32(3, 4)], lambda a, b: tf.matmul(a, b, transpose_a=True),
             lambda a, b: a.T @ b, id="ta"),
        Case([f32(2, 3), f32(4, 3)], lambda a, b: tf.matmul(a, b, transpose_b=True),
             lambda a, b: a @ b.T, id="tb"),
        Case([f32(3, 2), f32(4, 3)],
             lambda a, b: tf.matmul(a, b, transpose_a=True, transpose_b=True),
             lambda a, b: a.T @ b.T, id="tab"),
        Case([f32(5, 2, 3), f32(3, 4)], tf.matmul, np.matmul, id="batched"),
        Case([f32(2, 1, 2, 3), f32(4, 3, 2)], tf.matmul, np.matmul, id="batch-bcast"),
        Case([f64(2, 3), f64(2, 3, 4)], lambda a, b: a @ b, np.matmul, id="dunder"),
        Case([i32(2, 3), i32(3, 2)], tf.matmul, np.matmul, id="int"),
    ],
    # ---------------------------------------------------------------- shape ops
    "reshape": [
        Case([f32(2, 3, 4)], lambda t: tf.reshape(t, (6, 4)), lambda a: a.reshape(6, 4)),
        Case([f32(2, 3, 4)], lambda t: tf.reshape(t, [-1]), lambda a: a.reshape(-1), id="-1"),
        Case([f32(1)], lambda t: tf.reshape(t, ()), lambda a: a.reshape(()), id="scalar"),
        Case([f32(2, 3)], lambda t: tf.expand_dims(t, -1), lambda a: a[..., None], id="expand"),
        Case([f32(2, 1, 3, 1)], lambda t: tf.squeeze(t), lambda a: a.squeeze(), id="squeeze"),
        Case([f32(2, 1, 3, 1)], lambda t: tf.squeeze(t, [1]), lambda a: a.squeeze(1),
             id="squeeze-ax"),
    ],
    "transpose": [
        Case([f32(2, 3)], tf.transpose, np.transpose, id="2d"),
        Case([f32(2, 3, 4)], lambda t: tf.transpose(t, [1, 2, 0]),
             lambda a: a.transpose(1, 2, 0), id="perm"),
        Case([f32(2, 3, 4)], tf.linalg.matrix_transpose, lambda a: a.swapaxes(-1, -2),
             id="matrix_transpose"),
    ],
    "broadcast_to": [
        Case([f32(3, 1)], lambda t: tf.broadcast_to(t, (2, 3, 4)),
             lambda a: np.broadcast_to(a, (2, 3, 4))),
        Case([np.float32(2.)], lambda t: tf.broadcast_to(t, [2]),
             lambda a: np.broadcast_to(a, (2,)), id="scalar"),
    ],
    "tile": [
        Case([f32(2, 3)], lambda t: tf.tile(t, [2, 3]), lambda a: np.tile(a, (2, 3))),
        Case([i32(2, 1, 2)], lambda t: tf.tile(t, (1, 4, 1)), lambda a: np.tile(a, (1, 4, 1)),
             id="int"),
    ],
    "concat": [
        Case([f32(2, 3), f32(1, 3)], lambda a, b: tf.concat([a, b], 0),
             lambda a, b: np.concatenate([a, b], 0), id="ax0"),
        Case([f32(2, 3), f32(2, 1), f32(2, 2)], lambda *xs: tf.concat(list(xs), axis=-1),
             lambda *xs: np.concatenate(xs, -1), id="3-ax-1"),
        Case([f32(2), f32(3)], lambda a, b: tf.stack([a[0], b[1]]),
             lambda a, b: np.stack([a[0], b[1]]), id="stack"),
        Case([f32(2, 3), f32(2, 3)], lambda a, b: tf.stack([a, b], axis=1),
             lambda a, b: np.stack([a, b], 1), id="stack-ax1"),
    ],
    "getitem": _getitem_cases() + [
        Case([f32(5, 3)], lambda t: tf.split(t, 5)[2], lambda a: a[2:3], id="split"),
        Case([f32(4, 3)], lambda t: tf.split(t, [1, -1, 1], axis=0)[1], lambda a: a[1:3],
             id="split-sizes"),
        Case([f32(3, 2)], lambda t: tf.unstack(t, axis=1)[1], lambda a: a[:, 1], id="unstack"),
    ],
    "getitem_grad": [
        Case([f32(2, 3)], lambda g: shape_ops.getitem_grad(g, (4, 3), shape_ops.index_spec(
            slice(1, 3))), lambda g: _getitem_grad_ref(g, (4, 3), slice(1, 3))),
        Case([f32(3)], lambda g: shape_ops.getitem_grad(g, (2, 3, 3), shape_ops.index_spec(
            (1, Ellipsis, -1))), lambda g: _getitem_grad_ref(g, (2, 3, 3), (1, Ellipsis, -1)),
            id="ellipsis"),
    ],
    "gather": [
        Case([f32(5, 3), np.array([4, 0, 0, 2], np.int32)], tf.gather,
             lambda p, i: np.take(p, i, 0), id="ax0-dup"),
        Case([f32(3, 5), np.array([[1, 4], [0, 0]], np.int32)], lambda p, i: tf.gather(p, i, axis=1),
             lambda p, i: np.take(p, i, 1), id="ax1-2d"),
        Case([i32(6), np.array([5, 1], np.int64)], tf.gather, lambda p, i: np.take(p, i),
             id="int-int64idx"),
        Case([f32(4, 2)], lambda p: p[np.array([3, 1])], lambda p: p[[3, 1]], id="getitem-list"),
        Case([f32(4, 2)], lambda p: tf.gather(p, [3, 1]), lambda p: p[[3, 1]], id="py-list"),
    ],
    "scatter_add": [
        Case([f32(4, 3), np.array([0, 2, 0, 1], np.int32)],
             lambda g, i: shape_ops.scatter_add(g, i, (3, 3), 0),
             lambda g, i: _scatter_ref(g, i, (3, 3), 0), id="ax0-dup"),
        Case([f32(2, 2, 2), np.array([[1, 1], [0, 2]], np.int32)],
             lambda g, i: shape_ops.scatter_add(g, i, (2, 3), 1),
             lambda g, i: _scatter_ref(g, i, (2, 3), 1), id="ax1-2d"),
    ],
    "one_hot": [
        Case([np.array([0, 2, 1], np.int32)], lambda i: tf.one_hot(i, 3),
             lambda i: np.eye(3, dtype=np.float32)[i], id="basic"),
        Case([np.array([[0, 3], [1, 1]], np.int32)], lambda i: tf.one_hot(i, 3),
             lambda i: np.eye(4, 3, dtype=np.float32)[i], id="2d-out-of-range-is-zero"),
        Case([np.array([0, 2], np.int32)], lambda i: tf.one_hot(i, 3, axis=0),
             lambda i: np.eye(3, dtype=np.float32)[i].T, id="axis0"),
        Case([np.array([1, 0], np.int64)],
             lambda i: tf.one_hot(i, 2, on_value=5., off_value=-1., dtype=tf.float64),
             lambda i: np.where(np.eye(2)[i] > 0, 5., -1.), id="on-off-f64"),
    ],
    # ---------------------------------------------------------------- control flow (sub-graphs)
    "cond": [
        Case([POS(3)], lambda x: control_ops.cond_op(tf.reduce_sum(x) > 0., lambda: tf.sin(x) * x,
                                                     lambda: x * x),
             lambda a: np.sin(a) * a, id="true"),
        Case([-POS(2, 2)], lambda x: control_ops.cond_op(tf.reduce_sum(x) > 0., lambda: tf.sin(x),
                                                         lambda: x * x),
             lambda a: a * a, id="false"),
    ],
    "while_loop": [
        Case([f32(3)], lambda x: control_ops.while_op(lambda i, y: i < 3,
                                                      lambda i, y: (i + 1, y * 2.),
                                                      [tf.constant(0), x])[1],
             lambda a: a * 8),
    ],
    "loop_history_read": [
        Case([f32(4, 3), np.int32(2)], control_ops.history_read, lambda h, k: h[k]),
    ],
    "loop_history_grad": [
        Case([f64(3, 2), np.int32(1), f64(2)], control_ops.history_grad,
             lambda h, k, g: np.where(np.arange(3)[:, None] == k, g, 0.)),
    ],
    "loop_history_scatter": [
        Case([f32(3, 2), np.array([2, 0, 2, 1], np.int32), f32(4, 2)], control_ops.history_scatter,
             lambda h, i, r: np.stack([r[1], r[3], r[0] + r[2]])),
    ],
    "loop_saved_read": [   # row k of the saved stack (which stands for op(*xs))
        Case([f32(2, 3, 4), f32(3, 2), f32(2, 4)],
             lambda h, a, b: control_ops.saved_read(h, tf.constant(1), "matmul", [a, b],
                                                    {"transpose_a": False, "transpose_b": False}),
             lambda h, a, b: h[1]),
    ],
    # ---------------------------------------------------------------- random (stateful)
    "random_normal": [
        Case([], lambda: tf.random.normal((400, 5), seed=3),
             check=_random_check("normal", (400, 5), np.float32)),
        Case([], lambda: tf.random.normal([3], dtype=tf.float64),
             check=_random_check("shape-only", (3,), np.float64) if False else
             (lambda v: (v.shape == (3,) and v.dtype == np.float64) or pytest.fail(repr(v))),
             id="f64"),
    ],
    "random_uniform": [
        Case([], lambda: tf.random.uniform((400, 5), seed=3),
             check=_random_check("uniform", (400, 5), np.float32)),
    ],
    "random_truncated_normal": [
        Case([], lambda: tf.random.truncated_normal((400, 5), seed=3),
             check=_random_check("truncated", (400, 5), np.float32)),
    ],
}

def _conv_ref(x, w, s=1):
    """VALID convolution, stride s (einsum over the windows: a second, independent formula)."""
    win = np.lib.stride_tricks.sliding_window_view(x, w.shape[:2], axis=(1, 2))[:, ::s, ::s]
    return np.einsum("nhwcij,ijco->nhwo", win, w)


def _conv_t_ref(c, w, shape):
    """Transpose of the VALID stride-1 convolution: scatter each cell times the filter."""
    y = np.zeros(shape, c.dtype)
    for i in range(c.shape[1]):
        for j in range(c.shape[2]):
            y[:, i:i + w.shape[0], j:j + w.shape[1]] += np.einsum("no,ijco->nijc", c[:, i, j], w)
    return y


def _pool_ref(x, k, how):
    win = np.lib.stride_tricks.sliding_window_view(x, (k, k), axis=(1, 2))[:, ::k, ::k]
    return getattr(win, how)(axis=(-2, -1))


CASES.update({
    "conv2d": [
        Case([f64(2, 5, 5, 3), f64(3, 3, 3, 4)], lambda x, w: tf.nn.conv2d(x, w, 2, "VALID"),
             lambda x, w: _conv_ref(x, w, 2)),
        Case([f32(1, 4, 4, 2), f32(1, 1, 2, 3)], lambda x, w: tf.nn.conv2d(x, w, 1, "SAME"),
             lambda x, w: (x.astype(np.float64) @ w[0, 0].astype(np.float64)).astype(np.float32),
             id="1x1-f32"),
    ],
    "conv2d_backprop_input": [
        Case([f64(2, 3, 3, 4), f64(3, 3, 2, 4)],
             lambda c, w: tf.nn.conv2d_transpose(c, w, (2, 5, 5, 2), 1, "VALID"),
             lambda c, w: _conv_t_ref(c, w, (2, 5, 5, 2))),
    ],
    "conv2d_backprop_filter": [
        Case([f64(2, 5, 5, 2), f64(2, 3, 3, 4)],
             lambda x, c: conv_ops.conv2d_backprop_filter(x, (3, 3, 2, 4), c, 1, "VALID"),
             lambda x, c: np.einsum("nhwcij,nhwo->ijco",
                                    np.lib.stride_tricks.sliding_window_view(x, (3, 3), axis=(1, 2)),
                                    c)),
    ],
    "max_pool2d": [
        Case([f32(2, 4, 6, 3)], lambda x: tf.nn.max_pool2d(x, 2, 2, "VALID"),
             lambda x: _pool_ref(x, 2, "max")),
    ],
    "max_pool2d_grad": [
        Case([f64(1, 4, 4, 2), f64(1, 2, 2, 2)],
             lambda x, g: conv_ops.max_pool2d_grad(x, g, 2, 2, "VALID"),
             lambda x, g: np.where(x == _pool_ref(x, 2, "max").repeat(2, 1).repeat(2, 2),
                                   g.repeat(2, 1).repeat(2, 2), 0.0)),
    ],
    "max_pool2d_gather": [
        Case([f64(1, 4, 4, 2), f64(1, 4, 4, 2)],
             lambda x, v: conv_ops.max_pool2d_gather(x, v, 2, 2, "VALID"),
             lambda x, v: _pool_ref(np.where(x == _pool_ref(x, 2, "max").repeat(2, 1)
                                             .repeat(2, 2), v, -np.inf), 2, "max")),
    ],
})
# (and `from graphflow.ops import conv_ops, shape_ops` at the top)



def _resize_ref(x, size, method):
    """Per-output-pixel loops over TF 2's half-pixel-centre formulas (independent of the impl's
    interpolation matrices)."""
    n, h, w, c = x.shape
    ho, wo = size
    out = np.zeros((n, ho, wo, c), x.dtype)
    for i in range(ho):
        for j in range(wo):
            if method == "nearest":
                si = min(int(math.floor((i + 0.5) * h / ho)), h - 1)
                sj = min(int(math.floor((j + 0.5) * w / wo)), w - 1)
                out[:, i, j] = x[:, si, sj]
                continue
            fy, fx = (i + 0.5) * h / ho - 0.5, (j + 0.5) * w / wo - 0.5
            y0, x0 = math.floor(fy), math.floor(fx)
            ay, ax = fy - y0, fx - x0
            cy = lambda k: min(max(k, 0), h - 1)  # noqa: E731
            cx = lambda k: min(max(k, 0), w - 1)  # noqa: E731
            out[:, i, j] = ((1 - ay) * ((1 - ax) * x[:, cy(y0), cx(x0)] + ax * x[:, cy(y0), cx(x0 + 1)])
                            + ay * ((1 - ax) * x[:, cy(y0 + 1), cx(x0)]
                                    + ax * x[:, cy(y0 + 1), cx(x0 + 1)]))
    return out


CASES.update({
    "resize": [
        Case([f64(2, 3, 4, 2)], lambda x: tf.image.resize(x, (5, 7)),
             lambda x: _resize_ref(x, (5, 7), "bilinear"), id="bilinear-up"),
        Case([f32(1, 6, 5, 3)], lambda x: tf.image.resize(x, (4, 2), "nearest"),
             lambda x: _resize_ref(x, (4, 2), "nearest"), id="nearest-down"),
    ],
    "projective_transform": [
        # shift right by 1 and down by 2 with a constant fill
        Case([f32(2, 4, 5, 3)],
             lambda x: tf.image.transform(x, [1., 0., -1., 0., 1., -2., 0., 0.],
                                          fill_mode="constant", fill_value=0.5),
             lambda x: np.pad(x, ((0, 0), (2, 0), (1, 0), (0, 0)),
                              constant_values=0.5)[:, :4, :5]),
    ],
})
# (and `import math` at the top)

# collectives (one process: the single-process communicator; tests/test_distribute.py runs 2)
from graphflow.ops import collective_ops  # noqa: E402
CASES.update({
    "all_reduce": [Case([f32(3, 2)], lambda x: collective_ops.all_reduce(x, "sum"), lambda a: a),
                   Case([f64(4)], lambda x: collective_ops.all_reduce(x, "mean"), lambda a: a,
                        id="mean")],
    "broadcast": [Case([i32(3)], lambda x: collective_ops.broadcast(x, 0), lambda a: a)],
    "reduce_to_root": [Case([f32(2, 3)], lambda x: collective_ops.reduce_to_root(x, 0),
                            lambda a: a)],
    "all_gather": [Case([f32(2, 3)], collective_ops.all_gather, lambda a: a)],
    "reduce_scatter": [Case([f64(4, 2)], collective_ops.reduce_scatter, lambda a: a)],
})

# tf.debugging.check_numerics and the sparse cross-entropy label check (identities on good input)
from graphflow.ops import nn_ops as _nn_ops  # noqa: E402
CASES.update({
    "check_numerics": [Case([f32(2, 3)], lambda x: tf.debugging.check_numerics(x, "m"),
                            lambda a: a)],
    "check_labels": [Case([np.array([0, 2, 1], np.int32)],
                          lambda i: _nn_ops.check_labels(i, 3), lambda a: a)],
})

# issue 10: more math, array and linear-algebra primitives


def _spd(n, batch=()):
    a = R.uniform(-1, 1, size=batch + (n, n))
    return (a @ np.swapaxes(a, -1, -2) + n * np.eye(n)).astype(np.float32)


def _nd_scatter_ref(u, idx, shape):
    z = np.zeros(shape, u.dtype)
    np.add.at(z, tuple(np.moveaxis(idx, -1, 0)), u)
    return z


def _put_along_ref(g, idx, shape, axis):
    z = np.zeros(shape, g.dtype)
    ix = list(np.indices(idx.shape, sparse=True))
    ix[axis] = idx
    np.add.at(z, tuple(ix), g)
    return z


_PERM = np.argsort(R.random((3, 4)), axis=1).astype(np.int32)
CASES.update({
    "expm1": unary(tf.math.expm1, np.expm1, f32(3, 2), np.array([1e-7, -1e-7, 0.], np.float32),
                   f64(4)),
    "atan": unary(tf.math.atan, np.arctan, f32(3, 2), f64(4)),
    "atan2": binary(tf.math.atan2, np.arctan2, (f32(3, 4), f32(3, 4)), (f32(3, 1), f32(1, 4)),
                    (f64(2), f64(2))),
    "cumsum": [Case([f32(3, 4)], lambda x: tf.math.cumsum(x, 1), lambda a: np.cumsum(a, 1)),
               Case([i32(5)], lambda x: tf.math.cumsum(x, exclusive=True, reverse=True),
                    lambda a: (np.flip(np.cumsum(np.flip(a))) - a).astype(a.dtype), id="excl-rev")],
    "cumprod": [Case([f32(3, 4)], lambda x: tf.math.cumprod(x, 1), lambda a: np.cumprod(a, 1)),
                Case([i32(5)], lambda x: tf.math.cumprod(x, exclusive=True, reverse=True),
                     lambda a: np.append(np.flip(np.cumprod(np.flip(a[1:]))), 1).astype(a.dtype),
                     id="excl-rev")],
    "argsort": [Case([f32(3, 5)], tf.argsort, lambda a: np.argsort(a, -1).astype(np.int32)),
                Case([i32(6)], lambda x: tf.argsort(x, direction="DESCENDING"),
                     lambda a: np.argsort(-a.astype(np.int64), kind="stable").astype(np.int32),
                     id="desc")],
    "top_k_indices": [Case([f32(3, 40)], lambda x: tf.math.top_k(x, 3).indices,
                           lambda a: np.argsort(-a, -1, kind="stable")[:, :3].astype(np.int32)),
                      Case([i32(3, 6)], lambda x: tf.math.top_k(x, 4).indices,
                           lambda a: np.argsort(-a.astype(np.int64), -1, kind="stable")[:, :4]
                           .astype(np.int32), id="int")],
    "take_along_axis": [Case([f32(3, 4), _PERM], lambda x, i: _arr.take_along_axis(x, i, 1),
                             lambda a, i: np.take_along_axis(a, i, 1))],
    "put_along_axis": [Case([f32(3, 4), _PERM[:, :2]],
                            lambda g, i: _arr.put_along_axis(g[:, :2] * 0 + g[:, :2], i, (3, 4), 1),
                            lambda g, i: _put_along_ref(g[:, :2], i, (3, 4), 1))],
    "gather_nd": [Case([f32(3, 4, 2), np.array([[0, 1], [2, 3], [0, 1]], np.int32)],
                       tf.gather_nd, lambda p, i: p[tuple(i.T)]),
                  Case([f32(3, 4), np.array([[2], [0]], np.int32)], tf.gather_nd,
                       lambda p, i: p[i[:, 0]], id="rows")],
    "scatter_nd": [Case([f32(3, 2), np.array([[1], [0], [1]], np.int32)],
                        lambda u, i: tf.scatter_nd(i, u, (4, 2)),
                        lambda u, i: _nd_scatter_ref(u, i, (4, 2)))],
    "einsum": [Case([f32(2, 3), f32(3, 4)], lambda a, b: tf.einsum("ij,jk->ik", a, b),
                    lambda a, b: a @ b),
               Case([f32(2, 3, 4), f32(2, 4)], lambda a, b: tf.einsum("bij,bj->bi", a, b),
                    lambda a, b: np.einsum("bij,bj->bi", a, b), id="batched"),
               Case([f32(3, 3)], lambda a: tf.einsum("ii", a), lambda a: np.trace(a), id="trace")],
    "matrix_inverse": [Case([_spd(3)], tf.linalg.inv, np.linalg.inv),
                       Case([_spd(2, (2,))], tf.linalg.inv, np.linalg.inv, id="batch")],
    "matrix_determinant": [Case([f32(3, 3)], tf.linalg.det,
                                lambda a: np.float32(np.linalg.det(a)))],
    "matrix_solve": [Case([_spd(3), f32(3, 2)], tf.linalg.solve, np.linalg.solve)],
    "cholesky": [Case([_spd(3)], tf.linalg.cholesky, np.linalg.cholesky),
                 Case([_spd(2, (2,))], tf.linalg.cholesky, np.linalg.cholesky, id="batch")],
})


# tf.image.resize's other methods (their matrices follow TF's kernels; values vs TF's own
# expected outputs in tests/test_tf_api_gaps6.py); the reference is the separable product
CASES["resize"] += [
    Case([f64(1, 5, 4, 2)], lambda x, m=m, aa=aa: tf.image.resize(x, (3, 7), m, antialias=aa),
         lambda x, m=m, aa=aa: np.einsum("ih,nhwc,jw->nijc", _im.interp_matrix(5, 3, m, aa), x,
                                         _im.interp_matrix(4, 7, m, aa)), id=f"{m}-aa{aa}")
    for m, aa in [("bicubic", False), ("area", False), ("lanczos3", False),
                  ("mitchellcubic", True), ("bilinear", True)]]


# tf.bitwise (integer-only, no gradient); shifts clamp the amount to [0, bits - 1] as TF
_U8 = np.array([0, 1, 200, 255], np.uint8)
CASES.update({
    "bitwise_and": binary(tf.bitwise.bitwise_and, np.bitwise_and, (i32(3, 4), i32(4)),
                          (_U8, _U8[::-1].copy())),
    "bitwise_or": binary(tf.bitwise.bitwise_or, np.bitwise_or, (i32(3, 1), i32(1, 4))),
    "bitwise_xor": binary(tf.bitwise.bitwise_xor, np.bitwise_xor, (i32(5), i32(5))),
    "invert": unary(tf.bitwise.invert, np.invert, i32(2, 3), _U8),
    "left_shift": [Case([i32(4), np.array([0, 1, 31, 40], np.int32)], tf.bitwise.left_shift,
                        lambda x, y: np.left_shift(x, np.minimum(y, 31)))],
    "right_shift": [Case([np.array([-8, 8, -1, 100], np.int32), np.array([1, 2, 40, 3],
                                                                          np.int32)],
                         tf.bitwise.right_shift, lambda x, y: np.right_shift(x, np.minimum(y, 31)))],
})


# tf.math.special / igamma / igammac / betainc against scipy.special (a dev extra)
def _sc(name, *idx):
    def ref(*xs):
        import scipy.special
        out = getattr(scipy.special, name)(*[np.asarray(x, np.float64) for x in xs])
        return np.asarray(out[idx[0]] if idx else out).astype(xs[-1].dtype)
    return ref


_SPECIAL_X = np.array([-30., -3.7, -0.4, 0., 0.3, 2.5, 7.9, 12., 40.])
_SPECIAL_P = np.array([1e-6, 0.3, 1.2, 3.99, 4.01, 9.5, 24., 26., 80.])
CASES.update({
    "bessel_j0": unary(tf.math.special.bessel_j0, _sc("j0"), _SPECIAL_X, f32(3, 2)),
    "bessel_j1": unary(tf.math.special.bessel_j1, _sc("j1"), _SPECIAL_X, f32(3, 2)),
    "bessel_y0": unary(tf.math.special.bessel_y0, _sc("y0"), _SPECIAL_P),
    "bessel_y1": unary(tf.math.special.bessel_y1, _sc("y1"), _SPECIAL_P),
    "bessel_k0e": unary(tf.math.special.bessel_k0e, _sc("k0e"), _SPECIAL_P, POS(4)),
    "bessel_k1e": unary(tf.math.special.bessel_k1e, _sc("k1e"), _SPECIAL_P),
    "dawsn": unary(tf.math.special.dawsn, _sc("dawsn"), _SPECIAL_X, f32(4)),
    "expint": unary(tf.math.special.expint, _sc("expi"), _SPECIAL_X[_SPECIAL_X != 0]),
    "fresnel_cos": unary(tf.math.special.fresnel_cos, _sc("fresnel", 1), _SPECIAL_X),
    "fresnel_sin": unary(tf.math.special.fresnel_sin, _sc("fresnel", 0), _SPECIAL_X),
    "spence": unary(tf.math.special.spence, _sc("spence"), np.append(_SPECIAL_P, [0., 1.])),
    "igamma": [Case([_SPECIAL_P[::-1].copy(), _SPECIAL_P], tf.math.igamma, _sc("gammainc"))],
    "igammac": [Case([np.float64(2.5), _SPECIAL_P], tf.math.igammac, _sc("gammaincc"))],
    "betainc": [Case([_SPECIAL_P[:, None], _SPECIAL_P[:4], np.array([0., 0.2, 0.7, 1.])],
                     tf.math.betainc, _sc("betainc"))],
})


CASES["matrix_exponential"] = [  # vs the eigendecomposition of a symmetric matrix
    Case([f64(2, 3, 3)], lambda a: tf.linalg.expm(a + tf.linalg.matrix_transpose(a)),
         lambda a: (lambda w, v: (v * np.exp(w)[..., None, :]) @ np.swapaxes(v, -1, -2))(
             *np.linalg.eigh(a + np.swapaxes(a, -1, -2)))),
    Case([f32(4, 4)], tf.linalg.expm, lambda a: _sc_expm(a), id="f32")]


def _sc_expm(a):
    import scipy.linalg
    return scipy.linalg.expm(a.astype(np.float64)).astype(a.dtype)


def _sc_lu(a):
    import scipy.linalg
    out = []
    for m in a.reshape((-1,) + a.shape[-2:]).astype(np.float64):
        _, low, up = scipy.linalg.lu(m)
        out.append(np.tril(low, -1) + up)
    return np.array(out).reshape(a.shape).astype(a.dtype)


CASES["lu"] = [Case([f64(4, 4)], lambda a: tf.linalg.lu(a)[0], _sc_lu),
               Case([f32(2, 3, 3)], lambda a: tf.linalg.lu(a)[0], _sc_lu, id="batch"),
               Case([f64(3, 3)], lambda a: tf.linalg.lu_reconstruct(*tf.linalg.lu(a)),
                    lambda a: a, id="reconstruct")]


def _eig_check(vals):
    """eig of _EIG_A: its eigenvalues (order aside) and A v = lambda v for each column."""
    e, v = vals[0], vals[1:]
    np.testing.assert_allclose(np.sort_complex(e), np.sort_complex(np.linalg.eigvals(_EIG_A)),
                               rtol=1e-10)
    np.testing.assert_allclose(_EIG_A @ v, v * e, atol=1e-10)


_EIG_A = f64(4, 4)
CASES["eig"] = [Case([_EIG_A], lambda a: tf.concat([tf.expand_dims(tf.linalg.eig(a)[0], 0),
                                                   tf.linalg.eig(a)[1]], 0),
                     check=_eig_check)]


def _igamma_da_api(a, x):
    with tf.GradientTape() as tape:
        tape.watch(a)
        y = tf.reduce_sum(tf.math.igamma(a, x))
    return tape.gradient(y, a)


def _igamma_da_check(got):
    """vs Richardson-extrapolated central differences of scipy's gammainc in a."""
    import scipy.special
    a, x = _SPECIAL_P[::-1], _SPECIAL_P
    fd = lambda h: (scipy.special.gammainc(a + h, x) - scipy.special.gammainc(a - h, x)) / (2 * h)  # noqa: E731,E501
    want = (4 * fd(5e-6) - fd(1e-5)) / 3
    ok = np.isfinite(want)       # (a - h < 0 for the smallest a: no reference there)
    np.testing.assert_allclose(got[ok], want[ok], atol=1e-8)
    assert np.isfinite(got).all()


CASES["igamma_grad_a"] = [Case([_SPECIAL_P[::-1].copy(), _SPECIAL_P], _igamma_da_api,
                               check=_igamma_da_check)]


for _name, _cases in CASES.items():
    for _c in _cases:
        _c.op = _name

ALL = [pytest.param(c, id=f"{c.op}-{c.id}" if c.id else c.op) for cs in CASES.values() for c in cs]


# ------------------------------------------------------------------------------ table checks
def test_every_op_has_a_case():
    # structural ops (sources and effects) have their own tests (test_function, test_tape)
    missing = sorted({n for n, o in OPS.items() if o.kind not in ("source", "effect")}
                     - set(CASES))
    assert not missing, f"ops without a case in tests/test_ops_table.py CASES: {missing}"
    stale = sorted(set(CASES) - set(OPS))
    assert not stale, f"CASES entries for ops that are not registered: {stale}"


@pytest.mark.parametrize("name", sorted(OPS))
def test_op_declaration(name):
    op = OPS[name]
    assert op.name == name
    assert (callable(op.impl) or name == "parameter") and callable(op.rule)
    if op.vjp is None:
        assert isinstance(op.nondiff_reason, str) and op.nondiff_reason.strip(), \
            f"op {name!r} has no vjp and no nondiff_reason"
    else:
        assert op.nondiff_reason is None, f"differentiable op {name!r} has a nondiff_reason"
    if op.kind == ELEMENTWISE:
        assert isinstance(lowering.template(name), str) and lowering.template(name).strip(), \
            f"elementwise op {name!r} needs a scalar template in the numba lowering table"
        assert not op.stateful


def _template_fields(template):
    fields = set()
    for _, field, _, _ in string.Formatter().parse(template):
        if field is not None:
            fields.add(field)
    return fields


def _to_tensor(x):
    return tf.constant(x)


def _values_equal(actual, expected):
    assert actual.shape == expected.shape, f"shape {actual.shape} != {expected.shape}"
    assert actual.dtype == expected.dtype, f"dtype {actual.dtype} != {expected.dtype}"
    if actual.dtype.kind == "f":
        tol = 2e-6 if actual.dtype == np.float32 else 1e-12
        np.testing.assert_allclose(actual, expected, rtol=tol, atol=tol)
    else:
        np.testing.assert_array_equal(actual, expected)


@pytest.mark.parametrize("case", ALL)
def test_case(case):
    op = OPS[case.op]
    tensors = [_to_tensor(x) for x in case.inputs]
    tf.random.set_seed(7)
    with Recorder() as rec:
        out = case.api(*tensors)
    assert isinstance(out, tf.Tensor)
    actual = np.asarray(out.numpy())

    # (a) the eager value against numpy
    if case.check is not None:
        case.check(actual)
    else:
        expected = np.asarray(case.ref(*[np.asarray(x) for x in case.inputs]))
        _values_equal(actual, expected)
    # numpy() of a 0-d tensor is a numpy scalar, of others a read-only array
    if out.ndim == 0:
        assert isinstance(out.numpy(), np.generic), type(out.numpy())
    else:
        assert isinstance(out.numpy(), np.ndarray)

    # (b) the shape/dtype rule on abstract values, (c) impl with the recorded attrs,
    # (d) the scalar template of elementwise ops
    mine = [r for r in rec.records if r[0] is op]
    assert mine, f"the case for {case.op!r} never applied it; ops seen: {rec.ops()}"
    for (_, args, attrs, res) in mine:
        avals = [Aval(tuple(a.shape), a.dtype.np) for a in args]
        aval = op.rule(*avals, **attrs)
        assert len(aval.shape) == len(res.shape) and all(   # None: a run-time dim
            a is None or a == b for a, b in zip(aval.shape, res.shape)), \
            f"{case.op} rule says shape {aval.shape}, impl gave {tuple(res.shape)}"
        assert np.dtype(aval.dtype) == res.dtype.np, \
            f"{case.op} rule says dtype {aval.dtype}, impl gave {res.dtype.name}"
        if not op.stateful:
            again = np.asarray(op.impl(*[a._value for a in args], **attrs))
            _values_equal(again, np.asarray(res._value))
        if op.kind == ELEMENTWISE:
            fields = _template_fields(lowering.template(case.op))
            numeric = {f for f in fields if f.isdigit()}
            # every input appears in the template (constant-valued ops like zeros_like use none)
            assert numeric in ({str(i) for i in range(len(args))}, set()), \
                f"template {lowering.template(case.op)!r} of {case.op} does not use exactly its {len(args)} inputs"
            if not numeric:
                assert case.op in ("zeros_like", "ones_like"), lowering.template(case.op)
            named = fields - numeric
            assert named <= set(attrs), f"template fields {named} are not attrs of {case.op}"


# ------------------------------------------------------------------------------ properties
from hypothesis import given, settings, strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

BINARY_FLOAT = [("add", tf.add, np.add), ("subtract", tf.subtract, np.subtract),
                ("multiply", tf.multiply, np.multiply), ("maximum", tf.maximum, np.maximum),
                ("minimum", tf.minimum, np.minimum), ("divide", tf.divide, np.divide),
                ("pow", tf.pow, np.power), ("greater", tf.greater, np.greater),
                ("equal", tf.equal, np.equal)]


@settings(max_examples=60, deadline=None, database=None, derandomize=True)
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=4, max_side=3),
       which=st.sampled_from(BINARY_FLOAT), seed=st.integers(0, 2**16),
       dtype=st.sampled_from([np.float32, np.float64]))
def test_binary_broadcasting_matches_numpy(shapes, which, seed, dtype):
    name, api, ref = which
    rng = np.random.default_rng(seed)
    a = rng.uniform(0.5, 2.0, shapes.input_shapes[0]).astype(dtype)
    b = rng.uniform(0.5, 2.0, shapes.input_shapes[1]).astype(dtype)
    out = api(tf.constant(a), tf.constant(b))
    _values_equal(np.asarray(out.numpy()), np.asarray(ref(a, b)))
    aval = OPS[name].rule(Aval(a.shape, a.dtype), Aval(b.shape, b.dtype))
    assert tuple(aval.shape) == shapes.result_shape == tuple(out.shape)


@settings(max_examples=40, deadline=None, database=None, derandomize=True)
@given(s1=hnp.array_shapes(min_dims=1, max_dims=3, max_side=4),
       s2=hnp.array_shapes(min_dims=1, max_dims=3, max_side=4))
def test_incompatible_shapes_raise_like_numpy(s1, s2):
    try:
        expected = np.broadcast_shapes(s1, s2)
    except ValueError:
        expected = None
    if expected is None:
        with pytest.raises(tf.errors.InvalidArgumentError, match="add: .*broadcast"):
            tf.add(tf.ones(s1), tf.ones(s2))
    else:
        assert tuple(tf.add(tf.ones(s1), tf.ones(s2)).shape) == expected


@settings(max_examples=80, deadline=None, database=None, derandomize=True)
@given(data=st.data(), shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4))
def test_basic_indexing_matches_numpy(data, shape):
    a = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
    idx = data.draw(hnp.basic_indices(shape, allow_newaxis=True, allow_ellipsis=True))
    out = tf.constant(a)[idx]
    _values_equal(np.asarray(out.numpy()), np.asarray(a[idx]))
    aval = OPS["getitem"].rule(Aval(shape, a.dtype), spec=shape_ops.index_spec(idx))
    assert tuple(aval.shape) == a[idx].shape


@settings(max_examples=40, deadline=None, database=None, derandomize=True)
@given(shape=hnp.array_shapes(min_dims=1, max_dims=4, max_side=3), data=st.data())
def test_reductions_match_numpy(shape, data):
    a = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    axis = data.draw(st.one_of(st.none(), st.lists(st.integers(-len(shape), len(shape) - 1),
                                                   min_size=1, max_size=len(shape), unique=True)))
    keep = data.draw(st.booleans())
    np_axis = None if axis is None else tuple(sorted({x % len(shape) for x in axis}))
    for api, ref in [(tf.reduce_sum, np.sum), (tf.reduce_max, np.max), (tf.reduce_min, np.min),
                     (tf.reduce_mean, np.mean), (tf.reduce_prod, np.prod)]:
        out = api(tf.constant(a), axis=axis, keepdims=keep)
        expected = np.asarray(ref(a, axis=np_axis, keepdims=keep), np.float32)
        assert out.shape == expected.shape
        np.testing.assert_allclose(np.asarray(out.numpy()), expected, rtol=1e-5, atol=1e-6)


# custom_gradient (issue 10): the node is y unchanged; its VJP is the user's grad_fn
def _sin_custom(x):
    @tf.custom_gradient
    def f(x):
        return tf.sin(x) * 1.0, lambda dy: dy * tf.cos(x)
    return f(x)


CASES["custom_gradient"] = [Case([f32(3, 2)], _sin_custom, np.sin, op="custom_gradient")]

# py_function / numpy_function (issue 10): Python at run time, one node per output
CASES["py_function"] = [Case([f32(3, 2)], lambda x: tf.py_function(lambda v: tf.sin(v), [x],
                                                                   tf.float32), np.sin,
                             op="py_function")]
CASES["numpy_function"] = [Case([f32(4)], lambda x: tf.numpy_function(
    lambda v: np.cumsum(v), [x], tf.float32), np.cumsum, op="numpy_function")]

# complex numbers (issue 10)
def _cplx(*shape):
    return (f32(*shape) + 1j * f32(*shape)).astype(np.complex64)


CASES.update({
    "complex": [Case([f32(3, 2), f32(3, 2)], tf.complex, lambda a, b: (a + 1j * b).astype(np.complex64)),
                Case([f64(3, 1), f64(4)], tf.complex, lambda a, b: a + 1j * b, id="bcast-f64")],
    "real": [Case([_cplx(3, 2)], tf.math.real, np.real)],
    "imag": [Case([_cplx(4)], tf.math.imag, np.imag)],
    "conj": [Case([_cplx(2, 3)], tf.math.conj, np.conj)],
    "complex_abs": [Case([_cplx(3, 2)], tf.abs, np.abs)],
})
for _name in ("complex", "real", "imag", "conj", "complex_abs"):
    for _c in CASES[_name]:
        _c.op = _name

# special functions, segment reductions, decompositions (issue 10, second wave)
import scipy.special as _sps  # noqa: E402


def _via64(fn):
    return lambda *xs: fn(*[np.asarray(x, np.float64) for x in xs]).astype(np.asarray(xs[-1]).dtype)


_SEG_IDS = np.array([0, 0, 1, 3, 3, 3], np.int32)
_USEG_IDS = np.array([2, -1, 0, 2, 1, 2], np.int32)


def _useg_sum_ref(d, ids, n):
    out = np.zeros((n,) + d.shape[1:], d.dtype)
    for i, s in enumerate(ids):
        if s >= 0:
            out[s] += d[i]
    return out


def _useg_max_ref(d, ids, n, empty):
    low = np.finfo(d.dtype).min if d.dtype.kind == "f" else np.iinfo(d.dtype).min
    out = np.full((n,) + d.shape[1:], low, d.dtype)
    for i, s in enumerate(ids):
        if s >= 0:
            out[s] = np.maximum(out[s], d[i])
    if empty == "zero":
        out[[k for k in range(n) if k not in ids]] = 0
    return out


def _sym(n, batch=()):
    a = R.uniform(-1, 1, size=batch + (n, n))
    return (a + np.swapaxes(a, -1, -2)).astype(np.float32)


def _eigh_check(a):
    def check(v):
        e, vec = v[..., 0, :], v[..., 1:, :]
        np.testing.assert_allclose(e, np.linalg.eigvalsh(a), rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(vec @ (e[..., None] * np.swapaxes(vec, -1, -2)), a, atol=1e-5)
    return check


def _svd_check(a, full=False):
    def check(v):
        m, n = a.shape[-2:]
        k = min(m, n)
        s, u, vv = v[..., 0, :k], v[..., 1:1 + m, :k], v[..., 1 + m:, :k]
        np.testing.assert_allclose(s, np.linalg.svd(a, compute_uv=False), rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose((u * s[..., None, :]) @ np.swapaxes(vv, -1, -2), a, atol=1e-5)
    return check


_EIG_IN, _SVD_IN, _SVD_TALL = _sym(3), f32(2, 3, 4), f32(4, 2)
CASES.update({
    "lgamma": [Case([f32(3, 2, lo=0.1, hi=6.0)], tf.math.lgamma, _via64(_sps.gammaln)),
               Case([f64(5, lo=-4.5, hi=8.0)], tf.math.lgamma, _sps.gammaln, id="f64-negative")],
    "digamma": [Case([f32(3, 2, lo=0.1, hi=6.0)], tf.math.digamma, _via64(_sps.digamma)),
                Case([f64(5, lo=-3.5, hi=30.0)], tf.math.digamma, _sps.digamma, id="f64")],
    "polygamma": [Case([np.float64(2.0), f64(4, lo=0.2, hi=9.0)], tf.math.polygamma,
                       lambda a, x: _sps.polygamma(2, x)),
                  Case([np.array([0., 1., 3.], np.float32), f32(2, 3, lo=0.5, hi=4.0)],
                       tf.math.polygamma,
                       lambda a, x: _sps.polygamma(a.astype(int), x.astype(np.float64)).astype(np.float32),
                       id="orders")],
    "erfc": [Case([f32(3, 2, lo=-3, hi=3)], tf.math.erfc, _via64(_sps.erfc)),
             Case([f64(4, lo=0, hi=9)], tf.math.erfc, _sps.erfc, id="tail")],
    "erfinv": [Case([f32(3, 2, lo=-0.99, hi=0.99)], tf.math.erfinv, _via64(_sps.erfinv)),
               Case([np.array([-1., -0.999999, 0., 1e-9, 0.5, 1.], np.float64)], tf.math.erfinv,
                    _sps.erfinv, id="f64-edges")],
    "unsorted_segment_sum": [
        Case([f32(6, 2)], lambda d: tf.math.unsorted_segment_sum(d, _USEG_IDS, 4),
             lambda d: _useg_sum_ref(d, _USEG_IDS, 4)),
        Case([i32(6)], lambda d: tf.math.segment_sum(d, _SEG_IDS),
             lambda d: _useg_sum_ref(d, _SEG_IDS, 4), id="sorted-int"),
        Case([f32(6, 3)], lambda d: tf.math.segment_mean(d, _SEG_IDS),
             lambda d: _useg_sum_ref(d, _SEG_IDS, 4)
             / np.maximum(np.bincount(_SEG_IDS, minlength=4), 1)[:, None].astype(np.float32),
             id="mean")],
    "unsorted_segment_max": [
        Case([f32(6, 2)], lambda d: tf.math.unsorted_segment_max(d, _USEG_IDS, 4),
             lambda d: _useg_max_ref(d, _USEG_IDS, 4, "lowest")),
        Case([f32(6)], lambda d: tf.math.segment_max(d, _SEG_IDS),
             lambda d: _useg_max_ref(d, _SEG_IDS, 4, "zero"), id="sorted"),
        Case([i32(6)], lambda d: tf.math.segment_min(d, _SEG_IDS),
             lambda d: -_useg_max_ref(-d, _SEG_IDS, 4, "zero"), id="min-int")],
    "matrix_triangular_solve": [
        Case([_spd(3), f32(3, 2)], tf.linalg.triangular_solve,
             lambda a, b: np.linalg.solve(np.tril(a), b).astype(np.float32)),
        Case([_spd(3, (2,)), f32(2, 3, 1)],
             lambda a, b: tf.linalg.triangular_solve(a, b, lower=False, adjoint=True),
             lambda a, b: np.linalg.solve(np.swapaxes(np.triu(a), -1, -2), b).astype(np.float32),
             id="upper-adjoint")],
    "self_adjoint_eig": [Case([_EIG_IN], lambda a: tf.concat(
        [tf.linalg.eigh(a)[0][None], tf.linalg.eigh(a)[1]], 0), check=_eigh_check(_EIG_IN))],
    "svd": [Case([_SVD_IN], lambda a: tf.concat([tf.linalg.svd(a)[0][:, None], tf.linalg.svd(a)[1],
                                                 tf.linalg.svd(a)[2]], 1),
                 check=_svd_check(_SVD_IN)),
            Case([_SVD_TALL], lambda a: tf.linalg.svd(a, compute_uv=False),
                 lambda a: np.linalg.svd(a, compute_uv=False), id="values-tall")],
})
for _name in ("lgamma", "digamma", "polygamma", "erfc", "erfinv", "unsorted_segment_sum",
              "unsorted_segment_max", "matrix_triangular_solve", "self_adjoint_eig", "svd"):
    for _c in CASES[_name]:
        _c.op = _name

# bincount (a segment sum) and searchsorted
_BIN = np.array([1, 1, 2, 5, 0, 7], np.int32)
CASES["unsorted_segment_sum"] += [
    Case([f32(3)], lambda x: tf.math.bincount(tf.constant(_BIN)) + tf.cast(tf.size(x), tf.int32),
         lambda x: np.bincount(_BIN).astype(np.int32) + 3, id="bincount"),
    Case([_BIN], lambda a: tf.math.bincount(a, minlength=8, maxlength=8),
         lambda a: np.bincount(a, minlength=8).astype(np.int32), id="bincount-fixed-size"),
    Case([f32(6)], lambda w: tf.math.bincount(_BIN, weights=w, maxlength=6),
         lambda w: np.bincount(_BIN[_BIN < 6], w[_BIN < 6], minlength=6).astype(np.float32),
         id="bincount-weights")]
_SORTED = np.sort(f32(2, 5), axis=-1)
CASES["searchsorted"] = [
    Case([_SORTED, f32(2, 3)], tf.searchsorted,
         lambda s, v: np.stack([np.searchsorted(a, b) for a, b in zip(s, v)]).astype(np.int32)),
    Case([np.array([1, 3, 3, 5], np.int32), np.array([3, 6, 0], np.int32)],
         lambda s, v: tf.searchsorted(s, v, side="right"),
         lambda s, v: np.searchsorted(s, v, side="right").astype(np.int32), id="right-int")]
for _name in ("unsorted_segment_sum", "searchsorted"):
    for _c in CASES[_name]:
        _c.op = _name


def _qr_check(a, full=False):
    def check(v):
        m, n = a.shape[-2:]
        kq = m if full else min(m, n)
        q, r = v[..., :m, :kq], v[..., m:, :n]
        np.testing.assert_allclose(q @ r, a, atol=1e-5)
        np.testing.assert_allclose(np.swapaxes(q, -1, -2) @ q, np.broadcast_to(np.eye(kq), q.shape[:-2] + (kq, kq)), atol=1e-5)
        np.testing.assert_array_equal(r, np.triu(r))
    return check


_QR_DEEP, _QR_WIDE = f32(4, 3), f32(2, 2, 4)
CASES["qr"] = [
    Case([_QR_DEEP], lambda a: tf.concat(tf.linalg.qr(a), -2), check=_qr_check(_QR_DEEP)),
    Case([_QR_WIDE], lambda a: tf.linalg.qr(a)[1], check=lambda v: np.testing.assert_allclose(
        np.abs(v), np.abs(np.linalg.qr(_QR_WIDE)[1]), atol=1e-5), id="wide-batch"),
    Case([_QR_DEEP], lambda a: tf.linalg.qr(a, full_matrices=True)[0],
         check=lambda v: np.testing.assert_allclose(v.T @ v, np.eye(4), atol=1e-5), id="full")]
for _c in CASES["qr"]:
    _c.op = "qr"

CASES["zeta"] = [Case([f64(3, 2, lo=1.5, hi=5.0), f64(3, 2, lo=0.5, hi=4.0)], tf.math.zeta,
                      _sps.zeta),
                 Case([np.float32(2.0), f32(4, lo=0.5, hi=3.0)], tf.math.zeta,
                      lambda x, q: _sps.zeta(np.float64(x), q.astype(np.float64)).astype(np.float32),
                      id="f32-bcast")]
for _c in CASES["zeta"]:
    _c.op = "zeta"


def _useg_prod_ref(d, ids, n):
    out = np.ones((n,) + d.shape[1:], d.dtype)
    for i, s in enumerate(ids):
        if s >= 0:
            out[s] *= d[i]
    return out


CASES["unsorted_segment_prod"] = [
    Case([f32(6, 2)], lambda d: tf.math.unsorted_segment_prod(d, _USEG_IDS, 4),
         lambda d: _useg_prod_ref(d, _USEG_IDS, 4)),
    Case([i32(6)], lambda d: tf.math.segment_prod(d, _SEG_IDS),
         lambda d: _useg_prod_ref(d, _SEG_IDS, 4), id="sorted-int")]
for _c in CASES["unsorted_segment_prod"]:
    _c.op = "unsorted_segment_prod"

CASES["sum_to_shape"] = [   # the gradient of a broadcast decided at run time (issue 9)
    Case([f32(2, 3, 4)], lambda g: shape_ops.sum_to_shape(g, (3, 1)),
         lambda g: g.sum(axis=(0, 2)).reshape(3, 1)),
    Case([f32(4, 3)], lambda g: shape_ops.sum_to_shape(g, (1, 3)),
         lambda g: g.sum(axis=0, keepdims=True), id="keep-rank")]
for _c in CASES["sum_to_shape"]:
    _c.op = "sum_to_shape"

def _bytes_obj(*items):
    out = np.empty(len(items), dtype=object)
    out[:] = list(items)
    return out


CASES["string_concat"] = [   # `+` on string tensors (issue 10)
    Case([_bytes_obj(b"a", b"bc"), _bytes_obj(b"x", b"")], lambda a, b: a + b,
         lambda a, b: np.add(a, b).astype(object))]
for _c in CASES["string_concat"]:
    _c.op = "string_concat"

# TF core API breadth: tf.random samplers / stateless ops / Generator, tf.signal's fft,
# tf.bitcast, tf.math.bessel_i0e / i1e
def _stats_check(shape, dtype, mean, var, lo=None, hi=None, tol=0.1):
    def check(v):
        assert v.shape == shape and v.dtype == dtype, (v.shape, v.dtype)
        assert abs(v.mean() - mean) < tol * max(1.0, abs(mean)), v.mean()
        assert abs(v.var() - var) < 2 * tol * max(1.0, var), v.var()
        if lo is not None:
            assert v.min() >= lo and v.max() <= hi, (v.min(), v.max())
    return check


_SHUF = np.arange(12, dtype=np.float32).reshape(6, 2)
CASES["random_draw"] = [
    Case([], lambda: tf.random.categorical(tf.math.log([[0.2, 0.8]]), 4000, seed=1),
         check=_stats_check((1, 4000), np.int64, 0.8, 0.16, 0, 1), id="categorical"),
    Case([], lambda: tf.random.gamma([4000], 3.0, 2.0, seed=2),
         check=_stats_check((4000,), np.float32, 1.5, 0.75, 0, np.inf), id="gamma"),
    Case([], lambda: tf.random.poisson([4000], 4.0, dtype=tf.int32, seed=3),
         check=_stats_check((4000,), np.int32, 4.0, 4.0, 0, 100), id="poisson"),
    Case([_SHUF], lambda x: tf.random.shuffle(x, seed=4),
         check=lambda v: np.testing.assert_array_equal(v[np.argsort(v[:, 0])], _SHUF),
         id="shuffle"),
    Case([], lambda: tf.random.Generator.from_seed(5).normal([4000], dtype=tf.float64),
         check=_stats_check((4000,), np.float64, 0.0, 1.0), id="generator-normal"),
    Case([], lambda: tf.random.Generator.from_seed(6).uniform([4000], 3, 7, dtype=tf.int64),
         check=_stats_check((4000,), np.int64, 4.5, 1.25, 3, 6), id="generator-int")]
CASES["stateless_random"] = [
    Case([], lambda: tf.random.stateless_normal([4000], seed=[1, 2]),
         check=_stats_check((4000,), np.float32, 0.0, 1.0), id="normal"),
    Case([], lambda: tf.random.stateless_uniform([4000], seed=[3, 4], minval=2., maxval=4.),
         check=_stats_check((4000,), np.float32, 3.0, 1 / 3, 2.0, 4.0), id="uniform"),
    Case([], lambda: tf.random.stateless_uniform([4000], [5, 6], 0, 10, tf.int32),
         check=_stats_check((4000,), np.int32, 4.5, 8.25, 0, 9), id="uniform-int"),
    Case([], lambda: tf.random.stateless_truncated_normal([4000], [7, 8], dtype=tf.float64),
         check=_stats_check((4000,), np.float64, 0.0, 0.774, -2.0, 2.0), id="truncated"),
    Case([], lambda: tf.random.stateless_binomial([4000], [9, 1], counts=10., probs=0.3),
         check=_stats_check((4000,), np.int32, 3.0, 2.1, 0, 10), id="binomial"),
    Case([np.log(np.array([[0.5, 0.5, 0.0], [0.0, 0.1, 0.9]], np.float32) + 1e-30)],
         lambda lg: tf.random.stateless_categorical(lg, 3000, seed=[2, 2]),
         check=lambda v: (v.shape == (2, 3000) and v.dtype == np.int64 and
                          abs(v[0].mean() - 0.5) < 0.05 and abs(v[1].mean() - 1.9) < 0.05
                          and set(np.unique(v[0])) <= {0, 1}) or pytest.fail(str(v)),
         id="categorical")]


def _c64(*shape):
    return (f32(*shape) + 1j * f32(*shape)).astype(np.complex64)


def _close(ref, tol=1e-5):
    def check(v):
        r = np.asarray(ref())
        assert v.shape == r.shape and v.dtype == r.dtype, (v.shape, v.dtype, r.shape, r.dtype)
        np.testing.assert_allclose(v, r, rtol=tol, atol=tol)
    return check


_FFT_X, _FFT_R = _c64(3, 8), f32(2, 6)
CASES["fft"] = [
    Case([_FFT_X], tf.signal.fft, lambda z: np.fft.fftn(z, axes=(-1,)).astype(np.complex64)),
    Case([_FFT_X], tf.signal.ifft2d,
         lambda z: np.fft.ifftn(z, axes=(-2, -1)).astype(np.complex64), id="ifft2d"),
    Case([(f64(2, 3, 4) + 1j * f64(2, 3, 4))], tf.signal.fft3d,
         lambda z: np.fft.fftn(z, axes=(-3, -2, -1)), id="fft3d-c128"),
    Case([_FFT_R], tf.signal.rfft, check=_close(lambda: np.fft.rfft(_FFT_R)), id="rfft"),
    Case([_FFT_R], lambda x: tf.signal.irfft(tf.signal.rfft(x), fft_length=[5]),
         check=_close(lambda: np.fft.irfft(np.fft.rfft(_FFT_R), 5).astype(np.float32)),
         id="irfft-odd"),
    Case([_FFT_R], tf.signal.rfft2d, check=_close(lambda: np.fft.rfft2(_FFT_R)), id="rfft2d")]
_BITS = np.array([[1, 0, 0, 0], [0, 1, 0, 0], [255, 255, 255, 255]], np.uint8)
CASES["bitcast"] = [
    Case([f32(3)], lambda x: tf.bitcast(x, tf.int32), lambda a: a.view(np.int32)),
    Case([_BITS], lambda x: tf.bitcast(x, tf.int32), lambda a: a.view(np.int32)[:, 0],
         id="narrow-to-wide"),
    Case([np.array([1, -2], np.int32)], lambda x: tf.bitcast(x, tf.uint16),
         lambda a: a.view(np.uint16).reshape(2, 2), id="wide-to-narrow")]
_BESSEL_X = np.concatenate([f64(8, lo=-40, hi=40), [0.0, 1e-9, -2.0, 30.0, 31.0, -1e4]])
CASES["bessel_i0e"] = [Case([_BESSEL_X], tf.math.bessel_i0e, _sps.i0e),
                       Case([f32(3, 2, lo=-5, hi=5)], tf.math.bessel_i0e,
                            lambda x: _sps.i0e(x.astype(np.float64)).astype(np.float32),
                            id="f32")]
CASES["bessel_i1e"] = [Case([_BESSEL_X], tf.math.bessel_i1e, _sps.i1e),
                       Case([f32(3, 2, lo=-5, hi=5)], tf.math.bessel_i1e,
                            lambda x: _sps.i1e(x.astype(np.float64)).astype(np.float32),
                            id="f32")]
for _name in ("random_draw", "stateless_random", "fft", "bitcast", "bessel_i0e", "bessel_i1e"):
    for _c in CASES[_name]:
        _c.op = _name

_IMG = f32(2, 3, 4, 3, lo=0.0, hi=1.0)
CASES["adjust_contrast"] = [
    Case([_IMG], lambda x: tf.image.adjust_contrast(x, 1.5),
         lambda x: ((x - x.mean((1, 2), keepdims=True, dtype=np.float64)) * 1.5
                    + x.mean((1, 2), keepdims=True, dtype=np.float64)).astype(np.float32))]
CASES["adjust_contrast"][0].op = "adjust_contrast"

# `for x in dataset` in a traced function (graphflow/autograph/dataset_loop.py): run eagerly here
from graphflow.autograph.dataset_loop import DatasetLoop as _DatasetLoop  # noqa: E402


_DS_X = f32(3, 2)   # the dataset is made outside any trace (tests/test_function.py traces these)
_DS = tf.data.Dataset.from_tensor_slices(_DS_X)


def _ds_loop(x):
    return _DatasetLoop.of(_DS if x.ndim == 2 else _DS.take(1), "test_ops_table")


def _ds_next(x):
    loop = _ds_loop(x)
    return loop.bind_element(loop.bind_start(), tf.constant(np.int64(1)))


def _ds_has(x):
    loop = _ds_loop(x)
    ep = loop.bind_start()
    return tf.stack([loop.bind_has(ep, tf.constant(np.int64(k))) for k in (0, 3, 4)])


CASES["dataset_loop_start"] = [Case([f32(3, 2)], lambda x: _ds_loop(x).bind_start(),
                                    lambda x: np.int64(0))]
CASES["dataset_loop_next"] = [Case([f32(3, 2)], _ds_next, lambda x: _DS_X[1]),
                              Case([f32(1)], _ds_has, lambda x: np.array([True, False, False]),
                                   id="has")]
for _name in ("dataset_loop_start", "dataset_loop_next"):
    for _c in CASES[_name]:
        _c.op = _name

# cases added after ALL was built (above) join the parametrized test_case too: the list object
# is what pytest.mark.parametrize holds, and it is read at collection, after this module ran
ALL[:] = [pytest.param(c, id=f"{c.op}-{c.id}" if c.id else c.op)
          for cs in CASES.values() for c in cs]

# run-time sizes (issue 11): a growing TensorArray's write and the value-dependent shape ops
from graphflow.autograph import tensor_array as _ta  # noqa: E402
from graphflow.ops import runtime_shape as _rts  # noqa: E402


def _ta_write_ref(b, v, i):
    out = np.zeros((max(len(b), i + 1),) + b.shape[1:], b.dtype)
    out[:len(b)] = b
    out[i] = v
    return out


CASES.update({
    "tensor_array_write": [
        Case([f32(2, 3), f32(3)], lambda b, v: _ta.tensor_array_write(b, 3, v),
             lambda b, v: _ta_write_ref(b, v, 3), id="grow"),
        Case([f32(2, 3), f32(3)], lambda b, v: _ta.tensor_array_write(b, 1, v),
             lambda b, v: _ta_write_ref(b, v, 1), id="set"),
    ],
    "leading_resize": [
        Case([f32(3, 2), f32(1)], _ta.leading_resize, lambda x, like: x[:1], id="cut"),
        Case([f32(1, 2), f32(3)], _ta.leading_resize,
             lambda x, like: np.concatenate([x, np.zeros((2, 2), np.float32)]), id="pad"),
    ],
    "runtime_fill": [Case([np.int32(2), np.int32(3), np.float32(1.5)],
                          lambda a, b, v: _rts.fill(tf.stack([a, b]), v),
                          lambda a, b, v: np.full((2, 3), v, np.float32))],
    "runtime_reshape": [Case([f32(2, 6), np.int32(3)],
                             lambda x, n: _rts.reshape(x, tf.stack([n, -1])),
                             lambda x, n: x.reshape(3, 4))],
    "runtime_range": [Case([np.int32(1), np.int32(8), np.int32(3)],
                           lambda a, b, c: _rts.range_(a, b, c, "int32"),
                           lambda a, b, c: np.arange(1, 8, 3, dtype=np.int32))],
    "runtime_shape": [Case([f32(2, 5)], lambda x: _rts.bind(_rts.SHAPE, [x], {"dtype": "int32"}),
                           check=lambda v: np.testing.assert_array_equal(v, [2, 5]))],
    "sum_like": [Case([f32(3, 2, 4), f32(2, 1)], _rts.sum_like,
                      lambda g, like: g.sum(0).sum(1, keepdims=True))],
    "shaped_like": [Case([f32(3, 2), f32(2)],
                         lambda like, g: _rts.shaped_like(like, "getitem_grad", [g],
                                                          {"spec": (("i", 1),)}),
                         lambda like, g: np.stack([np.zeros(2, np.float32), g,
                                                   np.zeros(2, np.float32)]))],
})
for _name in ("tensor_array_write", "leading_resize", "runtime_fill", "runtime_reshape",
              "runtime_range", "runtime_shape", "sum_like", "shaped_like"):
    for _c in CASES[_name]:
        _c.op = _name
ALL[:] = [pytest.param(c, id=f"{c.op}-{c.id}" if c.id else c.op)
          for cs in CASES.values() for c in cs]

# indexing with traced bounds (TF's StridedSlice / Slice / TensorStridedSliceUpdate with tensor
# bounds): the specs' ("v", k) entries read the int64 vector input
from graphflow.ops import dynamic_index as _di  # noqa: E402
CASES.update({
    "dynamic_getitem": [
        Case([f32(4, 3), np.array([-3, 2], np.int64)],
             lambda x, v: _di.bind(_di.DYNAMIC_GETITEM, [x, v],
                                   {"spec": (("s", ("v", 0), None, None), ("i", ("v", 1)))}),
             lambda x, v: x[-3:, 2], id="slice-int"),
        Case([f32(4, 3), np.array([1], np.int64)],
             lambda x, v: _di.bind(_di.DYNAMIC_GETITEM, [x, v],
                                   {"spec": (("w", ("v", 0), 2), ("w", 1, -1))}),
             lambda x, v: x[1:3, 1:], id="window")],
    "dynamic_setitem": [
        Case([f32(4, 3), np.array([2], np.int64), f32(3)],
             lambda x, v, u: _di.bind(_di.DYNAMIC_SETITEM, [x, v, u], {"spec": (("i", ("v", 0)),)}),
             lambda x, v, u: np.concatenate([x[:2], u[None], x[3:]]))],
})
for _name in ("dynamic_getitem", "dynamic_setitem"):
    for _c in CASES[_name]:
        _c.op = _name
ALL[:] = [pytest.param(c, id=f"{c.op}-{c.id}" if c.id else c.op)
          for cs in CASES.values() for c in cs]

# value-dependent output sizes and traced shape arguments (ops/data_dependent.py,
# runtime_shape.bind_sized)
from graphflow.ops import data_dependent as _dd  # noqa: E402
CASES.update({
    "where_indices": [Case([np.array([[True, False], [True, True]])],
                           lambda c: _dd.bind(_dd.WHERE_INDICES, [c], {}),
                           lambda c: np.argwhere(c).astype(np.int64))],
    "unique_values": [Case([np.array([3, 1, 3, 2, 1], np.int32)],
                           lambda x: _dd.bind(_dd.UNIQUE_VALUES, [x], {}),
                           lambda x: np.array([3, 1, 2], np.int32))],
    "unique_index": [Case([np.array([3, 1, 3, 2, 1], np.int32)],
                          lambda x: _dd.bind(_dd.UNIQUE_INDEX, [x], {"out_idx": "int64"}),
                          lambda x: np.array([0, 1, 0, 2, 1], np.int64))],
    "runtime_sized": [Case([np.int32(3), np.int64(7)],
                           lambda n, s: _rts.bind(_rts.BY_DIMS, [tf.stack([n, 2]), tf.stack([s, s])], {
                               "op": "stateless_random", "shape": (None, 2),
                               "attrs": (("dist", "uniform"), ("dtype", "float32"))}),
                           check=lambda v: (v.shape == (3, 2) and ((v >= 0) & (v < 1)).all())
                           or pytest.fail(f"{v}"))],
    "runtime_sized_random": [Case([np.int32(4)],
                                  lambda n: _rts.bind(_rts.BY_DIMS_RANDOM, [tf.stack([n])], {
                                      "op": "random_normal", "shape": (None,),
                                      "attrs": (("dtype", "float64"), ("seed", 3))}),
                                  check=lambda v: v.shape == (4,) or pytest.fail(f"{v.shape}"))],
})
for _name in ("where_indices", "unique_values", "unique_index", "runtime_sized",
              "runtime_sized_random"):
    for _c in CASES[_name]:
        _c.op = _name
ALL[:] = [pytest.param(c, id=f"{c.op}-{c.id}" if c.id else c.op)
          for cs in CASES.values() for c in cs]
CASES["runtime_attrs"] = [Case(
    [f32(4, 2), np.array([1, 0, 1, 3], np.int32), np.int64(4)],
    lambda x, ids, n: _rts.bind(_rts.RUNTIME_ATTRS, [tf.stack([n]), x, ids], {
        "op": "unsorted_segment_sum", "attrs": (), "names": (("num_segments", 0),)}),
    lambda x, ids, n: np.stack([x[1], x[0] + x[2], np.zeros(2, np.float32), x[3]]),
    op="runtime_attrs")]
ALL[:] = [pytest.param(c, id=f"{c.op}-{c.id}" if c.id else c.op)
          for cs in CASES.values() for c in cs]


# string, file and audio functions as graph ops (graphflow/ops/eager_graph.py): each applied
# by bind (eager), against Python's string methods / the file / a WAV file made here
import importlib  # noqa: E402
_strs = importlib.import_module("graphflow.strings")   # (tf.strings is a namespace of it)
_audio = importlib.import_module("graphflow.audio")
_rt = importlib.import_module("graphflow.ragged_traced")
from graphflow.io import files as _files  # noqa: E402
from graphflow.ops.eager_graph import bind_eager as _be  # noqa: E402

_S = _bytes_obj(b" Ab c", b"x1y22")
_WAV = _audio.encode_wav(tf.constant([[0.5, -0.25], [0.0, 1.0], [-1.0, 0.25]]), 8000).numpy()
_EG = [
    ("string_length", [_S], lambda s: _be(_strs.LENGTH, [s], {"unit": "BYTE"}),
     lambda s: np.array([5, 5], np.int32)),
    ("string_upper", [_S], lambda s: _be(_strs.UPPER, [s], {"encoding": ""}),
     lambda s: _bytes_obj(b" AB C", b"X1Y22")),
    ("string_lower", [_S], lambda s: _be(_strs.LOWER, [s], {"encoding": ""}),
     lambda s: _bytes_obj(b" ab c", b"x1y22")),
    ("string_strip", [_S], lambda s: _be(_strs.STRIP, [s], {}),
     lambda s: _bytes_obj(b"Ab c", b"x1y22")),
    ("string_substr", [_S], lambda s: _be(_strs.SUBSTR, [s], {"pos": 1, "len": 2,
                                                               "unit": "BYTE"}),
     lambda s: _bytes_obj(b"Ab", b"1y")),
    ("string_join", [_S, np.array(b"-", object)],
     lambda s, t: _be(_strs.JOIN, [s, t], {"separator": "+"}),
     lambda s, t: _bytes_obj(b" Ab c+-", b"x1y22+-")),
    ("string_reduce_join", [_S], lambda s: _be(_strs.REDUCE_JOIN, [s], {
        "axis": 0, "keepdims": True, "separator": "|"}),
     lambda s: _bytes_obj(b" Ab c|x1y22")),
    ("string_to_number", [_bytes_obj(b"1.5", b"-2")],
     lambda s: _be(_strs.TO_NUMBER, [s], {"out_type": "float64"}),
     lambda s: np.array([1.5, -2.0])),
    ("as_string", [np.array([1.25, -3.0], np.float32)], lambda x: _be(_strs.AS_STRING, [x], {
        "precision": 1, "scientific": False, "shortest": False, "width": -1, "fill": ""}),
     lambda x: _bytes_obj(b"1.2", b"-3.0")),
    ("regex_replace", [_S], lambda s: _be(_strs.REGEX_REPLACE, [s], {
        "pattern": r"\d+", "rewrite": "#", "replace_global": True}),
     lambda s: _bytes_obj(b" Ab c", b"x#y#")),
    ("regex_full_match", [_S], lambda s: _be(_strs.REGEX_FULL_MATCH, [s], {"pattern": r"x.*"}),
     lambda s: np.array([False, True])),
    ("string_equal", [_S, np.array(b"x1y22", object)],
     lambda s, t: _be(_strs.STRING_EQUAL, [s, t], {}), lambda s, t: np.array([False, True])),
    ("string_not_equal", [_S, np.array(b"x1y22", object)],
     lambda s, t: _be(_strs.STRING_NOT_EQUAL, [s, t], {}),
     lambda s, t: np.array([True, False])),
    ("read_file", [np.array(__file__.encode(), object)],
     lambda p: tf.reshape(_be(_files.READ_FILE, [p], {}), [1]),   # (a 0-d string: bytes)
     None),
    ("decode_wav", [np.array(_WAV, object)],
     lambda w: _be(_audio.DECODE_WAV, [w], {"desired_channels": 1, "desired_samples": 4},
                   outputs=2)[0],
     lambda w: np.array([[0.5], [0.0], [-1.0], [0.0]], np.float32)),
    ("string_rows", [_S], lambda s: _be(_rt.ROWS, [s], {"fn": "split", "sep": None,
                                                        "maxsplit": -1}, outputs=2)[1],
     lambda s: np.array([0, 2, 3], np.int64)),
    ("ragged_to_dense", [_S, np.array([0, 0, 2], np.int64)],
     lambda v, sp: _be(_rt.TO_DENSE, [v, sp], {"default_value": b"#"}),
     lambda v, sp: np.array([[b"#", b"#"], [b" Ab c", b"x1y22"]], object)),
    ("encode_wav", [np.array([[0.5], [-0.25]], np.float32), np.int32(8000)],
     lambda a, r: tf.reshape(_be(_audio.ENCODE_WAV, [a, r], {}), [1]),
     None),
]


def _is_file_bytes(v):   # a 0-d string's numpy() is its bytes
    assert v.item() == open(__file__, "rb").read()


def _is_wav(v):
    assert v.item()[:4] == b"RIFF" and len(v.item()) == 44 + 2 * 2


for _name, _in, _api, _ref in _EG:
    CASES[_name] = [Case(_in, _api, _ref, op=_name, check=None if _ref else
                         _is_file_bytes if _name == "read_file" else _is_wav)]
ALL[:] = [pytest.param(c, id=f"{c.op}-{c.id}" if c.id else c.op)
          for cs in CASES.values() for c in cs]
