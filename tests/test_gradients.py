"""Gradient checks against central finite differences (float64, random projection), first and
second order, for every differentiable primitive in `graphflow.OPS` and the important
compositions built from them.

Every case is checked twice: as written, and with its output squared. Squaring makes the first
gradient depend on the op's own VJP applied to a value that depends on x, so the second-order
check then proves that each VJP is itself differentiable (for linear ops like getitem, gather or
transpose the unsquared second derivative is trivially zero).
"""
import numpy as np
import pytest

import graphflow as tf
from graphflow import control_ops
from graphflow.ops import conv_ops, shape_ops  # noqa: F401
from graphflow.ops.registry import OPS

from conftest import Recorder, check_grad

R = np.random.default_rng(42)


def rnd(*shape, lo=-2.0, hi=2.0):
    return R.uniform(lo, hi, size=shape)


def away0(*shape, lo=0.3, hi=2.0):
    """Values with |x| in [lo, hi]: away from the kinks of abs/relu/sign/..."""
    return R.uniform(lo, hi, size=shape) * R.choice([-1.0, 1.0], size=shape)


def pos(*shape, lo=0.3, hi=2.5):
    return R.uniform(lo, hi, size=shape)


def distinct(*shape):
    """Values with no ties (min gap 0.1), shuffled."""
    n = int(np.prod(shape))
    return R.permutation(np.linspace(-2, 2, n) + R.uniform(-0.02, 0.02, n)).reshape(shape)


def grid(*shape, offset=0.0):
    """Integers + offset + small noise: two grids with offsets 0 and 0.5 never come closer than
    0.3, so maximum/minimum and floor/round stay away from ties and jumps."""
    return R.integers(-3, 3, size=shape) + offset + R.uniform(-0.1, 0.1, size=shape)


class G:
    def __init__(self, f, xs, id="", order=2, eps=None, rtol=1e-6, square=True):
        self.f, self.xs, self.id, self.order = f, xs, id, order
        self.eps, self.rtol, self.square = eps, rtol, square


def _mod_inputs(shape_x, shape_y):
    """x = y * (k + u) with u in [0.2, 0.8]: away from the jumps of mod (shape_x is the
    broadcast shape)."""
    y = pos(*shape_y, lo=1.5, hi=3.0)
    k = R.integers(-2, 3, size=shape_x)
    return y * (k + R.uniform(0.2, 0.8, size=shape_x)), y


SPEC = shape_ops.index_spec
CONST_COND = R.random((3, 4)) > 0.5
IDX = np.array([3, 0, 0, 2], np.int32)
IDX2 = np.array([[1, 4], [0, 1]], np.int32)

GRAD_CASES = {
    # ------------------------------------------------------------ unary primitives
    "negative": [G(tf.negative, [rnd(3, 2)]), G(lambda x: -x, [rnd(4)], "dunder")],
    "abs": [G(tf.abs, [away0(3, 4)]), G(abs, [away0(5)], "dunder")],
    "sign": [G(lambda x: tf.sign(x) * x, [away0(3, 4)])],
    "sqrt": [G(tf.sqrt, [pos(3, 4)])],
    "rsqrt": [G(tf.math.rsqrt, [pos(3, 4)])],
    "exp": [G(tf.exp, [rnd(3, 4)])],
    "log": [G(tf.math.log, [pos(3, 4)])],
    "log1p": [G(tf.math.log1p, [pos(3, 4, lo=-0.5, hi=2.0)])],
    "tanh": [G(tf.tanh, [rnd(3, 4)])],
    "sigmoid": [G(tf.sigmoid, [rnd(3, 4, lo=-5, hi=5)])],
    "softplus": [G(tf.math.softplus, [rnd(3, 4, lo=-5, hi=5)])],
    "relu": [G(tf.nn.relu, [away0(3, 4)])],
    "erf": [G(tf.math.erf, [rnd(3, 4)])],
    "sin": [G(tf.sin, [rnd(3, 4)])],
    "cos": [G(tf.cos, [rnd(3, 4)])],
    "floor": [G(lambda x: tf.floor(x) * x, [grid(3, 4, offset=0.5)])],
    "round": [G(lambda x: tf.round(x) * x, [grid(3, 4, offset=0.0)])],
    "identity": [G(tf.identity, [rnd(3, 4)])],
    "cast": [G(lambda x: tf.cast(x, tf.float32) * 3.0, [rnd(3, 4)], "f64->f32", eps=1e-2,
               rtol=1e-4),
             G(lambda x: tf.cast(tf.cast(x, tf.float32), tf.float64) * x, [rnd(3)],
               "f32->f64", eps=1e-2, rtol=1e-4)],
    # ------------------------------------------------------------ binary primitives
    "add": [G(tf.add, [rnd(3, 4), rnd(3, 4)]), G(tf.add, [rnd(3, 1), rnd(1, 4)], "bcast"),
            G(lambda x, y: x + y, [rnd(2, 3), rnd(3)], "bcast-row"),
            G(lambda x: 2.0 + x, [rnd(3)], "radd")],
    "subtract": [G(tf.subtract, [rnd(3, 1), rnd(1, 4)], "bcast"),
                 G(lambda x: 2.0 - x, [rnd(3)], "rsub"),
                 G(tf.subtract, [rnd(), rnd(2, 3)], "scalar")],
    "multiply": [G(tf.multiply, [rnd(3, 4), rnd(3, 4)]),
                 G(tf.multiply, [rnd(3, 1), rnd(1, 4)], "bcast"),
                 G(lambda x, y: x * y, [rnd(2, 3), rnd(3)], "bcast-row"),
                 G(lambda x: x * x * x, [rnd(4)], "cube")],
    "divide": [G(tf.divide, [rnd(3, 4), away0(3, 4)]),
               G(tf.divide, [rnd(3, 1), away0(1, 4)], "bcast"),
               G(lambda x: 1.0 / x, [away0(4)], "rtruediv"),
               G(tf.math.reciprocal, [away0(2, 2)], "reciprocal")],
    "mod": [G(tf.math.mod, list(_mod_inputs((3, 4), (3, 4)))),
            G(tf.math.mod, list(_mod_inputs((3, 4), (4,))), "bcast")],
    "pow": [G(tf.pow, [pos(3, 4), rnd(3, 4)]),
            G(tf.pow, [pos(3, 1), rnd(1, 4)], "bcast"),
            G(lambda x: x ** 3.0, [rnd(5)], "cube-neg-base"),
            G(lambda x: x ** 2, [rnd(5)], "int-exponent"),
            G(lambda y: 2.0 ** y, [rnd(4)], "rpow")],
    "maximum": [G(tf.maximum, [grid(3, 4), grid(3, 4, offset=0.5)]),
                G(tf.maximum, [grid(3, 1), grid(1, 4, offset=0.5)], "bcast"),
                G(tf.maximum, [grid(2, 3), grid(3, offset=0.5)], "bcast-row")],
    "minimum": [G(tf.minimum, [grid(3, 4), grid(3, 4, offset=0.5)]),
                G(tf.minimum, [grid(3, 1), grid(1, 4, offset=0.5)], "bcast"),
                G(tf.nn.relu6, [away0(4, 3, hi=5.5)], "relu6")],
    "where": [G(lambda x, y: tf.where(CONST_COND, x, y), [rnd(3, 4), rnd(3, 4)]),
              G(lambda x: tf.nn.leaky_relu(x, 0.1), [away0(3, 4)], "leaky_relu"),
              G(lambda x: tf.nn.leaky_relu(x, 2.0), [away0(3, 4)], "leaky_relu-alpha>1"),
              G(lambda x, y: tf.where(CONST_COND, x, y), [rnd(3, 1), rnd(4)], "bcast"),
              G(lambda x: tf.where(x > 0, x * x, tf.exp(x)), [away0(3, 4)], "data-cond"),
              G(tf.nn.elu, [away0(3, 4)], "elu")],
    # ------------------------------------------------------------ reductions
    "reduce_sum": [G(tf.reduce_sum, [rnd(3, 4)], "all"),
                   G(lambda x: tf.reduce_sum(x, axis=1), [rnd(2, 3, 4)], "ax1"),
                   G(lambda x: tf.reduce_sum(x, axis=[0, 2], keepdims=True), [rnd(2, 3, 4)],
                     "keepdims")],
    "reduce_max": [G(tf.reduce_max, [distinct(3, 4)], "all"),
                   G(lambda x: tf.reduce_max(x, axis=0), [distinct(3, 4)], "ax0"),
                   G(lambda x: tf.reduce_max(x, -1, keepdims=True), [distinct(2, 3, 4)], "keep")],
    "reduce_min": [G(lambda x: tf.reduce_min(x, axis=1), [distinct(3, 4)], "ax1")],
    "reduce_prod": [G(tf.reduce_prod, [away0(3, 2, lo=0.5, hi=1.5)], "all"),
                    G(lambda x: tf.reduce_prod(x, 0, keepdims=True), [away0(3, 2, lo=0.5)],
                      "keep")],
    # ------------------------------------------------------------ matmul
    "matmul": [G(tf.matmul, [rnd(2, 3), rnd(3, 4)]),
               G(lambda a, b: tf.matmul(a, b, transpose_a=True), [rnd(3, 2), rnd(3, 4)], "ta"),
               G(lambda a, b: tf.matmul(a, b, transpose_b=True), [rnd(2, 3), rnd(4, 3)], "tb"),
               G(lambda a, b: tf.matmul(a, b, transpose_a=True, transpose_b=True),
                 [rnd(3, 2), rnd(4, 3)], "tab"),
               G(tf.matmul, [rnd(2, 2, 3), rnd(2, 3, 4)], "batched"),
               G(tf.matmul, [rnd(2, 3), rnd(2, 3, 4)], "bcast-a"),
               G(lambda a, b: tf.matmul(a, b, transpose_a=True, transpose_b=True),
                 [rnd(2, 1, 3, 2), rnd(3, 4, 3)], "bcast-both-tab"),
               G(lambda a, b: a @ b, [rnd(2, 3), rnd(3, 1)], "dunder")],
    # ------------------------------------------------------------ shape ops
    "reshape": [G(lambda x: tf.reshape(x, (4, 3)), [rnd(2, 6)]),
                G(lambda x: tf.expand_dims(x, 1), [rnd(2, 3)], "expand_dims"),
                G(lambda x: tf.squeeze(x), [rnd(2, 1, 3)], "squeeze")],
    "transpose": [G(tf.transpose, [rnd(2, 3)]),
                  G(lambda x: tf.transpose(x, [2, 0, 1]), [rnd(2, 3, 4)], "perm"),
                  G(tf.linalg.matrix_transpose, [rnd(2, 3, 4)], "matrix_transpose")],
    "broadcast_to": [G(lambda x: tf.broadcast_to(x, (2, 3, 4)), [rnd(3, 1)]),
                     G(lambda x: tf.broadcast_to(x, (3,)), [rnd()], "scalar")],
    "tile": [G(lambda x: tf.tile(x, [2, 3]), [rnd(2, 3)]),
             G(lambda x: tf.tile(x, [1, 2, 2]), [rnd(2, 1, 3)], "3d")],
    "concat": [G(lambda a, b: tf.concat([a, b], 0), [rnd(2, 3), rnd(1, 3)], "ax0"),
               G(lambda a, b, c: tf.concat([a, b, c], axis=-1), [rnd(2, 1), rnd(2, 3), rnd(2, 2)],
                 "three"),
               G(lambda a, b: tf.stack([a, b], axis=1), [rnd(2, 3), rnd(2, 3)], "stack"),
               G(lambda a, b: tf.stack([a, b]), [rnd(), rnd()], "stack-scalars")],
    "getitem": [G(lambda x: x[1:3], [rnd(4, 3)], "slice"),
                G(lambda x: x[::-2, 1], [rnd(5, 3)], "neg-step"),
                G(lambda x: x[..., None, -1], [rnd(2, 3, 4)], "ellipsis-newaxis"),
                G(lambda x: x[0, 1], [rnd(2, 3)], "scalar"),
                G(lambda x: x[1:, :, ::2] * x[:-1, :, 1::2], [rnd(3, 2, 4)], "overlap"),
                G(lambda x: tf.split(x, 3, axis=1), [rnd(2, 6)], "split"),
                G(lambda x: tf.split(x, [1, 2], axis=0)[1], [rnd(3, 2)], "split-sizes"),
                G(lambda x: tf.unstack(x)[1], [rnd(3, 2)], "unstack"),
                G(lambda x: list(x)[0] * list(x)[2], [rnd(3, 2)], "iterate")],
    "getitem_grad": [G(lambda g: shape_ops.getitem_grad(g, (4, 3), SPEC(slice(1, 3))),
                       [rnd(2, 3)]),
                     G(lambda g: shape_ops.getitem_grad(g, (2, 3, 3), SPEC((1, Ellipsis, -1))),
                       [rnd(3)], "ellipsis")],
    "gather": [G(lambda p: tf.gather(p, IDX), [rnd(5, 3)], "dup-ax0"),
               G(lambda p: tf.gather(p, IDX2, axis=1), [rnd(3, 5)], "2d-ax1"),
               G(lambda p: p[np.array([2, 2, 0])], [rnd(3, 2)], "fancy-index")],
    "scatter_add": [G(lambda g: shape_ops.scatter_add(g, IDX, (4, 3), 0), [rnd(4, 3)]),
                    G(lambda g: shape_ops.scatter_add(g, IDX2, (3, 5), 1), [rnd(3, 2, 2)], "ax1")],
}

LABELS = R.dirichlet(np.ones(4), size=3)
SPARSE = np.array([0, 3, 1], np.int32)
BIN = (R.random((3, 4)) > 0.5).astype(np.float64)

COMPOSITIONS = {
    "softmax": [G(tf.nn.softmax, [rnd(3, 4)]), G(lambda x: tf.nn.softmax(x, axis=0), [rnd(3, 4)],
                                                  "axis0")],
    "log_softmax": [G(tf.nn.log_softmax, [rnd(3, 4)]),
                    G(lambda x: tf.nn.log_softmax(x, axis=0), [rnd(3, 4)], "axis0")],
    "softmax_cross_entropy": [
        G(lambda x: tf.nn.softmax_cross_entropy_with_logits(LABELS, x), [rnd(3, 4)], "logits"),
        G(lambda z, x: tf.nn.softmax_cross_entropy_with_logits(z, x), [LABELS, rnd(3, 4)],
          "labels-too")],
    "sparse_softmax_cross_entropy": [
        G(lambda x: tf.nn.sparse_softmax_cross_entropy_with_logits(SPARSE, x), [rnd(3, 4)])],
    "sigmoid_cross_entropy": [
        G(lambda x: tf.nn.sigmoid_cross_entropy_with_logits(labels=BIN, logits=x),
          [away0(3, 4, hi=4)], "logits"),
        G(lambda z, x: tf.nn.sigmoid_cross_entropy_with_logits(labels=z, logits=x),
          [R.random((3, 4)), away0(3, 4)], "labels-too")],
    "gelu": [G(tf.nn.gelu, [rnd(3, 4)]),
             G(lambda x: tf.nn.gelu(x, approximate=True), [rnd(3, 4)], "tanh")],
    "silu": [G(tf.nn.silu, [rnd(3, 4)])],
    "reduce_mean": [G(tf.reduce_mean, [rnd(3, 4)]),
                    G(lambda x: tf.reduce_mean(x, axis=1, keepdims=True), [rnd(3, 4)], "keep")],
    "reduce_variance": [G(lambda x: tf.math.reduce_variance(x, axis=0), [rnd(4, 3)])],
    "reduce_std": [G(lambda x: tf.math.reduce_std(x, axis=-1), [rnd(3, 4)])],
    "reduce_logsumexp": [G(lambda x: tf.math.reduce_logsumexp(x, axis=1), [rnd(3, 4)]),
                         G(tf.math.reduce_logsumexp, [rnd(3, 4)], "all")],
    "moments": [G(lambda x: list(tf.nn.moments(x, axes=[0])), [rnd(5, 3)])],
    "clip_by_value": [G(lambda x: tf.clip_by_value(x, -1.0, 1.0), [grid(3, 4, offset=0.5) / 1.5])],
    "l2_loss": [G(tf.nn.l2_loss, [rnd(3, 4)])],
    "squared_difference": [G(tf.math.squared_difference, [rnd(3, 1), rnd(4)])],
    "square": [G(tf.square, [rnd(3, 4)])],
    "mlp": [G(lambda x, w, b: tf.nn.softmax(tf.nn.relu(x @ w + b)), [rnd(4, 3), rnd(3, 5),
                                                                       rnd(5)])],
}

GRAD_CASES["cond"] = [
    G(lambda x, y: control_ops.cond_op(tf.reduce_sum(x) > 0., lambda: tf.sin(x) * y ** 2,
                                       lambda: tf.exp(x) * y), [pos(3, 2), rnd(2)], "true"),
    G(lambda x, y: control_ops.cond_op(tf.reduce_sum(x) > 0., lambda: tf.sin(x) * y ** 2,
                                       lambda: tf.exp(x) * y), [-pos(3, 2), rnd(2)], "false"),
    G(lambda x: list(control_ops.cond_op(tf.reduce_max(x) > 0., lambda: (tf.sqrt(x), x * x),
                                         lambda: (x, tf.exp(x)))), [pos(3)], "two-outputs"),
]

_POOL_X = distinct(1, 4, 4, 2)
GRAD_CASES.update({
    "conv2d": [G(lambda x, w: tf.nn.conv2d(x, w, (2, 1), "SAME", dilations=(1, 2)),
                 [rnd(2, 5, 5, 2), rnd(3, 2, 2, 3)]),
               G(lambda x, w: tf.nn.depthwise_conv2d(x, w, 1, "VALID"),
                 [rnd(1, 4, 4, 2), rnd(2, 2, 2, 2)], "depthwise")],
    "conv2d_backprop_input": [G(lambda c, w: tf.nn.conv2d_transpose(c, w, (2, 7, 7, 2), 2, "SAME"),
                                [rnd(2, 4, 4, 3), rnd(3, 3, 2, 3)])],
    "conv2d_backprop_filter": [G(lambda x, c: conv_ops.conv2d_backprop_filter(
        x, (3, 2, 2, 3), c, (2, 1), "SAME"), [rnd(2, 5, 4, 2), rnd(2, 3, 4, 3)])],
    "max_pool2d": [G(lambda x: tf.nn.max_pool2d(x, 3, 2, "SAME"), [distinct(2, 5, 5, 2)])],
    "max_pool2d_grad": [G(lambda x, g: conv_ops.max_pool2d_grad(x, g, 2, 2, "VALID"),
                          [_POOL_X, rnd(1, 2, 2, 2)])],
    "max_pool2d_gather": [G(lambda x, v: conv_ops.max_pool2d_gather(x, v, 2, 2, "VALID"),
                            [_POOL_X, rnd(1, 4, 4, 2)])],
})
# (and `from graphflow.ops import conv_ops, shape_ops` at the top)

GRAD_CASES.update({
    "resize": [G(lambda x: tf.image.resize(x, (5, 3)), [rnd(2, 3, 4, 2)], "bilinear"),
               G(lambda x: tf.image.resize(x, (2, 7), "nearest"), [rnd(1, 4, 3, 2)], "nearest")],
})
GRAD_CASES["resize"] += [
    G(lambda x: tf.image.resize(x, (5, 3), "bicubic"), [rnd(1, 3, 4, 2)], "bicubic"),
    G(lambda x: tf.image.resize(x, (2, 3), "area"), [rnd(1, 5, 4, 1)], "area"),
    G(lambda x: tf.image.resize(x, (2, 2), "lanczos3", antialias=True), [rnd(1, 5, 4, 1)],
      "lanczos3-antialias")]
GRAD_CASES.update({   # tf.math.special, igamma/igammac/betainc (in x: TF has no a/b gradient)
    "bessel_j0": [G(tf.math.special.bessel_j0, [rnd(5, lo=-6, hi=6)])],
    "bessel_j1": [G(tf.math.special.bessel_j1, [rnd(5, lo=-6, hi=6)])],
    "bessel_y0": [G(tf.math.special.bessel_y0, [pos(5, lo=0.5, hi=8.0)])],
    "bessel_y1": [G(tf.math.special.bessel_y1, [pos(5, lo=0.5, hi=8.0)])],
    "bessel_k0e": [G(tf.math.special.bessel_k0e, [pos(4)]),
                   G(tf.math.special.bessel_k0, [pos(3)], "k0")],
    "bessel_k1e": [G(tf.math.special.bessel_k1e, [pos(4)]),
                   G(tf.math.special.bessel_k1, [pos(3)], "k1")],
    "dawsn": [G(tf.math.special.dawsn, [rnd(5, lo=-4, hi=4)])],
    "expint": [G(tf.math.special.expint, [away0(5, lo=0.3, hi=3.0)])],
    "fresnel_cos": [G(tf.math.special.fresnel_cos, [rnd(5)])],
    "fresnel_sin": [G(tf.math.special.fresnel_sin, [rnd(5)])],
    "spence": [G(tf.math.special.spence, [pos(5, lo=0.2, hi=3.0)])],
    "igamma": [G(lambda x: tf.math.igamma(2.5, x), [pos(4)])],
    "igammac": [G(lambda x: tf.math.igammac(0.7, x), [pos(4)])],
    "betainc": [G(lambda x: tf.math.betainc(2.0, 3.5, x), [pos(4, lo=0.1, hi=0.9)])],
})
GRAD_CASES["matrix_exponential"] = [G(tf.linalg.expm, [rnd(3, 3, lo=-1, hi=1)]),
                                    G(tf.linalg.expm, [rnd(2, 2, 2, lo=-3, hi=3)], "batch")]
GRAD_CASES["lu"] = [G(lambda a: tf.linalg.lu(a)[0], [rnd(3, 3) + np.diag([3., -2., 2.5])]),
                    G(lambda a, b: tf.linalg.lu_solve(*tf.linalg.lu(a), b),
                      [rnd(2, 3, 3), rnd(2, 3, 2)], "solve")]
# collectives on one process (values and gradients across 2 processes: tests/test_distribute.py)
from graphflow.ops import collective_ops  # noqa: E402
GRAD_CASES.update({
    "all_reduce": [G(lambda x: collective_ops.all_reduce(x * x, "sum"), [rnd(3)]),
                   G(lambda x: collective_ops.all_reduce(tf.sin(x), "mean"), [rnd(2, 2)], "mean")],
    "broadcast": [G(lambda x: collective_ops.broadcast(tf.exp(x), 0), [rnd(3)])],
    "reduce_to_root": [G(lambda x: collective_ops.reduce_to_root(x * x, 0), [rnd(3)])],
    "all_gather": [G(lambda x: collective_ops.all_gather(tf.tanh(x)), [rnd(2, 2)])],
    "reduce_scatter": [G(lambda x: collective_ops.reduce_scatter(x * x), [rnd(2, 3)])],
})
GRAD_CASES["check_numerics"] = [G(lambda x: tf.debugging.check_numerics(tf.sin(x), "m"), [rnd(2, 3)])]
# ops whose VJP raises a clear error on purpose (tested in tests/test_control_flow.py)
VJP_RAISES = set()
GRAD_CASES["while_loop"] = [   # a data-dependent trip count (fixed under the small FD steps)
    G(lambda x, s: control_ops.while_op(
        lambda i, y: tf.reduce_sum(y * y) < 30.,
        lambda i, y: (i + 1, tf.sin(y) * s + y * 1.5), [tf.constant(0), x])[1],
      [np.array([0.7, 1.1]), np.array([0.3, -0.2])]),
    G(lambda x: control_ops.while_op(lambda y: tf.reduce_max(y) > 0.5, lambda y: y * 0.8,
                                     [x])[0], [np.array([0.1, 0.2])], "zero-trips"),
]
GRAD_CASES["loop_history_read"] = [
    G(lambda h: control_ops.history_read(tf.sin(h), tf.constant(1)), [rnd(3, 2)])]
GRAD_CASES["loop_history_scatter"] = [
    G(lambda h, r: control_ops.history_scatter(h, tf.constant([1, 0, 1]), tf.sin(r)),
      [rnd(2, 3), rnd(3, 3)])]
GRAD_CASES["loop_history_grad"] = [
    G(lambda h, g: control_ops.history_grad(h, tf.constant(2), tf.exp(g)), [rnd(3, 2), rnd(2)])]
_NT = {"transpose_a": False, "transpose_b": False}   # matmul's attrs
GRAD_CASES["loop_saved_read"] = [   # the saved rows equal the op's value; derivatives: the op's
    G(lambda a, b: control_ops.saved_read(
        tf.stop_gradient(tf.stack([a @ b * 0., tf.sin(a) @ b])), tf.constant(1), "matmul",
        [tf.sin(a), b], _NT), [rnd(3, 2), rnd(2, 4)]),
    G(lambda a, b: control_ops.saved_read(
        tf.stop_gradient(tf.stack([tf.matmul(a, b, transpose_b=True)])), tf.constant(0),
        "matmul", [a, b], dict(_NT, transpose_b=True)), [rnd(3, 2), rnd(4, 2)], "transpose_b")]
# slices of one axis are differentiated together (one concat, zeros in gaps; a slice taken twice
# sums); other groups of getitems of one tensor sum their scatters
GRAD_CASES["getitem"] += [
    G(lambda x: [tf.sin(p) * (k + 1.) for k, p in enumerate(tf.split(x, 4, axis=-1))],
      [rnd(2, 8)], "split-gates"),
    G(lambda x: x[:, 1:3] * x[:, 5:6] + tf.reduce_sum(x[:, 1:3]), [rnd(3, 6)], "gaps-twice"),
    G(lambda x: x[:, :2] * x[1:, 2:4][0], [rnd(2, 4)], "mixed-axes")]

ALL = {**GRAD_CASES, **COMPOSITIONS}
PARAMS = [pytest.param(name, c, id=f"{name}-{c.id}" if c.id else name)
          for name, cs in ALL.items() for c in cs]


def test_every_differentiable_op_has_a_gradient_case():
    # structural ops (read_variable) are covered by the tape and function tests
    diff = {n for n, op in OPS.items() if op.vjp is not None and op.kind != "source"} - VJP_RAISES
    missing = sorted(diff - set(GRAD_CASES))
    assert not missing, f"differentiable ops without a case in GRAD_CASES: {missing}"
    stale = sorted(set(GRAD_CASES) - diff)
    assert not stale, f"GRAD_CASES for ops that are not differentiable primitives: {stale}"


@pytest.mark.parametrize("name", sorted(GRAD_CASES))
def test_gradient_cases_apply_their_op(name):
    for c in GRAD_CASES[name]:
        with Recorder() as rec:
            c.f(*[tf.constant(x) for x in c.xs])
        assert name in rec.ops(), f"case {c.id!r} of {name} never applies it: {rec.ops()}"


@pytest.mark.parametrize("name,case", PARAMS)
def test_gradient(name, case):
    check_grad(case.f, case.xs, order=case.order, eps=case.eps, rtol=case.rtol)


def _squared(f):
    def g(*ts):
        out = f(*ts)
        if isinstance(out, (list, tuple)):
            return [o * o for o in out]
        return out * out
    return g


@pytest.mark.parametrize("name,case", PARAMS)
def test_gradient_of_squared(name, case):
    """Second order of f(x)**2 goes through the VJP of each op inside f."""
    check_grad(_squared(case.f), case.xs, order=case.order, eps=case.eps, rtol=case.rtol, seed=1)


# ---------------------------------------------------------------- exact values / special cases
def _grad(f, *xs):
    ts = [tf.constant(np.asarray(x, np.float64)) for x in xs]
    with tf.GradientTape() as tape:
        tape.watch(ts)
        y = f(*ts)
    return [None if g is None else g.numpy() for g in tape.gradient(y, ts)]


def test_reduce_max_ties_share_gradient():
    g, = _grad(lambda x: tf.reduce_max(x), [1.0, 3.0, 3.0, 2.0])
    np.testing.assert_allclose(g, [0, 0.5, 0.5, 0])


def test_maximum_tie_goes_to_first_argument():
    gx, gy = _grad(tf.maximum, [1.0, 2.0], [1.0, 3.0])
    np.testing.assert_array_equal(gx, [1, 0])
    np.testing.assert_array_equal(gy, [0, 1])


def test_relu_gradient_at_zero_is_zero():
    g, = _grad(tf.nn.relu, [-1.0, 0.0, 2.0])
    np.testing.assert_array_equal(g, [0, 0, 1])


def test_broadcast_gradient_shapes():
    gx, gy = _grad(lambda x, y: x * y, np.ones((3, 1)), np.arange(4.0).reshape(1, 4))
    np.testing.assert_allclose(gx, np.full((3, 1), 6.0))
    np.testing.assert_allclose(gy, np.full((1, 4), 3.0))
    gx, gy = _grad(lambda x, y: x + y, np.ones((2, 3)), np.ones(3))
    np.testing.assert_allclose(gy, [2, 2, 2])
    gx, = _grad(lambda x: tf.broadcast_to(x, (2, 3)) * tf.constant([[1.], [2.]], tf.float64),
                np.ones(3))
    np.testing.assert_allclose(gx, [3, 3, 3])


def test_gather_duplicate_indices_accumulate():
    g, = _grad(lambda p: tf.gather(p, [0, 0, 2, 0]), np.ones(3))
    np.testing.assert_allclose(g, [3, 0, 1])


def test_pow_gradient_wrt_exponent_at_zero_base_is_finite():
    gx, gy = _grad(tf.pow, [0.0, 2.0], [2.0, 3.0])
    np.testing.assert_allclose(gx, [0.0, 12.0])
    np.testing.assert_allclose(gy, [0.0, 8 * np.log(2)])


def test_softmax_cross_entropy_gradient_is_softmax_minus_labels():
    x = np.array([[1.0, 2.0, 0.5], [0.1, -1.0, 3.0]])
    z = np.array([[0.0, 1.0, 0.0], [0.2, 0.3, 0.5]])
    g, = _grad(lambda x: tf.reduce_sum(tf.nn.softmax_cross_entropy_with_logits(z, x)), x)
    sm = np.exp(x) / np.exp(x).sum(1, keepdims=True)
    np.testing.assert_allclose(g, sm - z, rtol=1e-12)


def test_softmax_is_stable_and_differentiable_for_large_logits():
    x = np.array([[1000.0, 0.0, -1000.0]])
    g, = _grad(lambda x: tf.nn.log_softmax(x)[0, 1], x)
    assert np.all(np.isfinite(g))
    np.testing.assert_allclose(g, [[-1.0, 1.0, 0.0]], atol=1e-12)


def test_sigmoid_cross_entropy_extreme_logits():
    x = np.array([-800.0, 800.0])
    z = np.array([1.0, 0.0])
    t = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(t)
        loss = tf.nn.sigmoid_cross_entropy_with_logits(labels=z, logits=t)
    np.testing.assert_allclose(loss.numpy(), [800.0, 800.0])
    np.testing.assert_allclose(tape.gradient(loss, t).numpy(), [-1.0, 1.0])


@pytest.mark.parametrize("f", [tf.stop_gradient, lambda x: x // 2.0,
                               lambda x: tf.cast(tf.cast(x, tf.int32), tf.float64),
                               lambda x: tf.one_hot(tf.argmax(x), 3, dtype=tf.float64),
                               lambda x: tf.cast(x > 0, tf.float64)],
                         ids=["stop_gradient", "floordiv", "int-cast", "argmax", "compare"])
def test_non_differentiable_paths_give_none(f):
    g, = _grad(f, [0.5, 1.5, -2.0])
    assert g is None


def test_third_order_through_ops():
    # d^3/dx^3 of sin(x) * exp(x) at x = 0.3: exp(x) * (2 cos x - 2 sin x)
    x = tf.constant(0.3, tf.float64)
    with tf.GradientTape() as t3:
        t3.watch(x)
        with tf.GradientTape() as t2:
            t2.watch(x)
            with tf.GradientTape() as t1:
                t1.watch(x)
                y = tf.sin(x) * tf.exp(x)
            d1 = t1.gradient(y, x)
        d2 = t2.gradient(d1, x)
    d3 = t3.gradient(d2, x)
    np.testing.assert_allclose(float(d3), np.exp(0.3) * (2 * np.cos(0.3) - 2 * np.sin(0.3)),
                               rtol=1e-12)


def test_float32_gradients_stay_float32():
    x = tf.Variable([1.0, 2.0])
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(tf.nn.softmax(x * 2.0) * tf.sqrt(x))
    g = tape.gradient(y, x)
    assert g.dtype == tf.float32


# ---------------------------------------------------------------- properties (hypothesis)
from hypothesis import given, settings, strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402


def _np_unbroadcast(g, shape):
    while g.ndim > len(shape):
        g = g.sum(0)
    for i, s in enumerate(shape):
        if s == 1 and g.shape[i] != 1:
            g = g.sum(i, keepdims=True)
    return g


@settings(max_examples=50, deadline=None, database=None, derandomize=True)
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=3, max_dims=4, max_side=3),
       seed=st.integers(0, 2**16))
def test_broadcast_gradients_match_numpy(shapes, seed):
    """d/dx sum(r * (x * y + z)) for random broadcastable shapes = unbroadcast(r * y)."""
    rng = np.random.default_rng(seed)
    x, y, z = (rng.standard_normal(s) for s in shapes.input_shapes)
    r = rng.standard_normal(shapes.result_shape)
    tx, ty, tz = tf.constant(x), tf.constant(y), tf.constant(z)
    with tf.GradientTape() as tape:
        tape.watch([tx, ty, tz])
        out = tf.reduce_sum(tf.constant(r) * (tx * ty + tz))
    gx, gy, gz = tape.gradient(out, [tx, ty, tz])
    yb = np.broadcast_to(y, shapes.result_shape)
    xb = np.broadcast_to(x, shapes.result_shape)
    np.testing.assert_allclose(gx.numpy(), _np_unbroadcast(r * yb, x.shape), rtol=1e-12)
    np.testing.assert_allclose(gy.numpy(), _np_unbroadcast(r * xb, y.shape), rtol=1e-12)
    np.testing.assert_allclose(gz.numpy(), _np_unbroadcast(r, z.shape), rtol=1e-12)


@settings(max_examples=60, deadline=None, database=None, derandomize=True)
@given(data=st.data(), shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4))
def test_getitem_gradient_matches_numpy(data, shape):
    idx = data.draw(hnp.basic_indices(shape, allow_newaxis=True, allow_ellipsis=True))
    x = tf.constant(np.ones(shape))
    r = np.random.default_rng(0).standard_normal(np.ones(shape)[idx].shape)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_sum(x[idx] * tf.constant(r))
    expected = np.zeros(shape)
    expected[idx] = r
    np.testing.assert_array_equal(tape.gradient(y, x, unconnected_gradients="zero").numpy(),
                                  expected)


def test_reduce_prod_gradient_with_zeros_is_the_product_of_the_others():
    x = np.array([[2., 0., 4.], [0., 0., 3.], [1., 2., 3.]])
    v = tf.Variable(x)
    with tf.GradientTape() as t:
        y = tf.reduce_prod(v, axis=1)
    g = t.gradient(y, v).numpy()
    want = np.array([[np.prod(np.delete(r, i)) for i in range(3)] for r in x])
    np.testing.assert_array_equal(g, want)



# issue 10: more math, array and linear-algebra primitives
from graphflow.ops import array_ops as _arr  # noqa: E402


def _spd64(n):
    a = R.uniform(-1, 1, size=(n, n))
    return a @ a.T + n * np.eye(n)


_PERM = np.argsort(R.random((3, 4)), axis=1).astype(np.int32)
GRAD_CASES.update({
    "expm1": [G(tf.math.expm1, [rnd(3, 4)])],
    "atan": [G(tf.math.atan, [rnd(3, 4)])],
    "atan2": [G(tf.math.atan2, [away0(3, 4), away0(3, 4)])],
    "cumprod": [G(lambda x: tf.math.cumprod(x, 1), [rnd(2, 4)]),
                G(lambda x: tf.math.cumprod(x, 0, exclusive=True, reverse=True), [rnd(3, 2)],
                  "excl-rev")],
    "cumsum": [G(lambda x: tf.math.cumsum(x, 1), [rnd(3, 4)]),
               G(lambda x: tf.math.cumsum(x, exclusive=True, reverse=True), [rnd(5)], "excl-rev")],
    "take_along_axis": [G(tf.sort, [distinct(3, 4)]),
                        G(lambda x: tf.math.top_k(x, 2)[0], [distinct(2, 5)], "top_k")],
    "put_along_axis": [G(lambda g: _arr.put_along_axis(g, tf.constant(_PERM), (3, 4), 1),
                         [rnd(3, 4)])],
    "gather_nd": [G(lambda p: tf.gather_nd(p, [[0, 1], [2, 0], [0, 1]]), [rnd(3, 2, 2)])],
    "scatter_nd": [G(lambda u: tf.scatter_nd([[1], [0], [1]], u, (3, 2)), [rnd(3, 2)])],
    "einsum": [G(lambda a, b: tf.einsum("ij,jk->ik", a, b), [rnd(2, 3), rnd(3, 4)]),
               G(lambda a, b: tf.einsum("bij,j->b", a, b), [rnd(2, 3, 4), rnd(4)], "sum-out"),
               G(lambda a, b: tf.einsum("ij,kl->ijkl", a, b), [rnd(2, 2), rnd(2, 1)], "outer")],
    "matrix_inverse": [G(tf.linalg.inv, [_spd64(3)])],
    "matrix_determinant": [G(tf.linalg.det, [_spd64(3)])],
    "matrix_solve": [G(tf.linalg.solve, [_spd64(3), rnd(3, 2)])],
    "cholesky": [G(lambda a: tf.linalg.cholesky((a + tf.transpose(a)) * 0.5), [_spd64(3)])],
})
COMPOSITIONS.update({
    "relu6": [G(tf.nn.relu6, [grid(3, 4, offset=0.5) + 2.0])],
    "elu": [G(tf.nn.elu, [away0(3, 4)])],
    "selu": [G(tf.nn.selu, [away0(3, 4)])],
    "l2_normalize": [G(lambda x: tf.nn.l2_normalize(x, -1), [rnd(2, 3)])],
    "roll_pad": [G(lambda x: tf.pad(tf.roll(x, 1, 1), [[1, 0], [0, 2]]), [rnd(2, 3)])],
    "xlogy": [G(tf.math.xlogy, [rnd(3), pos(3)])],
})


# custom_gradient (issue 10): grad_fn is the true derivative (in graphflow ops, so second order
# differentiates it again); two outputs sum per-output contributions
def _custom_sin(x):
    @tf.custom_gradient
    def f(x):
        return tf.sin(x), lambda dy: dy * tf.cos(x)
    return f(x)


def _custom_two(a, b):
    @tf.custom_gradient
    def f(a, b):
        return (a * b, tf.exp(a)), lambda da, db: (da * b + db * tf.exp(a), da * a)
    p, e = f(a, b)
    return p * e


GRAD_CASES["custom_gradient"] = [G(_custom_sin, [rnd(3, 2)]),
                                 G(_custom_two, [rnd(3), rnd(3)], "two-outputs")]

# py_function (issue 10): the VJP re-runs the function under a tape (itself a py_function)
GRAD_CASES["py_function"] = [
    G(lambda x: tf.py_function(lambda v: tf.sin(v) * v, [x], tf.float64), [rnd(3, 2)]),
    G(lambda a, b: tf.py_function(lambda u, v: [u * v, tf.exp(u)], [a, b],
                                  [tf.float64, tf.float64])[1] * b, [rnd(3), rnd(3)], "two")]

# complex numbers (issue 10): real -> complex -> real compositions, so finite differences apply;
# TF's convention (gradient dL/dx + i dL/dy) makes these the true real gradients
GRAD_CASES.update({
    "complex": [G(lambda x, y: tf.math.real(tf.complex(x, y) * tf.complex(y, x)), [rnd(3), rnd(3)])],
    "real": [G(lambda x, y: tf.math.real(tf.exp(tf.complex(x, y))), [rnd(2, 2), rnd(2, 2)])],
    "imag": [G(lambda x, y: tf.math.imag(tf.complex(x, y) / tf.complex(y, x)),
               [away0(3), away0(3)])],
    "conj": [G(lambda x, y: tf.math.real(tf.math.conj(tf.complex(x, y)) * tf.complex(x * x, y)),
               [rnd(3), rnd(3)])],
    "complex_abs": [G(lambda x, y: tf.abs(tf.complex(x, y) * tf.complex(x, x + y)),
                      [away0(4), away0(4)])],
})

# special functions, segment reductions, decompositions (issue 10, second wave)
_USEG = np.array([2, -1, 0, 2, 1, 2], np.int32)   # every segment non-empty, one id dropped
_SEGS = np.array([0, 0, 1, 1, 1, 2], np.int32)


def _near_diag(n, *batch):
    """Matrices with well separated eigen/singular values (distinct: the gradients need it)."""
    return np.diag(np.arange(1.0, n + 1) * 1.5) + R.uniform(-0.3, 0.3, size=batch + (n, n))


def _eigh_f(a):
    e, v = tf.linalg.eigh(a)   # eigenvectors up to sign: v * v is sign-free
    return tf.concat([e[..., None, :], v * v], -2)


def _svd_f(a):
    s, u, v = tf.linalg.svd(a)   # column signs flip in pairs: u * u, v * v, u_ij v_ij are free
    k = s.shape[-1]
    return tf.concat([s[..., None, :], u * u, v * v, u[..., :k, :] * v[..., :k, :]], -2)


GRAD_CASES.update({
    "lgamma": [G(tf.math.lgamma, [pos(3, 4, lo=0.3, hi=5.0)]),
               G(tf.math.lgamma, [np.array([-2.5, -0.4, 3.3])], "negative")],
    "digamma": [G(tf.math.digamma, [pos(3, 4, lo=0.3, hi=5.0)])],
    "polygamma": [G(lambda x: tf.math.polygamma(tf.constant(2., tf.float64), x),
                    [pos(4, lo=0.5, hi=3.0)])],
    "erfc": [G(tf.math.erfc, [rnd(3, 4)])],
    "erfinv": [G(tf.math.erfinv, [rnd(3, 4, lo=-0.9, hi=0.9)])],
    "unsorted_segment_sum": [
        G(lambda d: tf.math.unsorted_segment_sum(d, _USEG, 3), [rnd(6, 2)]),
        G(lambda d: tf.math.segment_mean(tf.sin(d), _SEGS), [rnd(6)], "mean")],
    "unsorted_segment_max": [
        G(lambda d: tf.math.unsorted_segment_max(d, _USEG, 3), [distinct(6, 2)]),
        G(lambda d: tf.math.segment_min(d, _SEGS), [distinct(6)], "min")],
    "matrix_triangular_solve": [
        G(tf.linalg.triangular_solve, [_spd64(3), rnd(3, 2)]),
        G(lambda a, b: tf.linalg.triangular_solve(a, b, lower=False, adjoint=True),
          [_spd64(3), rnd(3, 2)], "upper-adjoint")],
    "self_adjoint_eig": [G(_eigh_f, [_near_diag(3)]), G(_eigh_f, [_near_diag(2, 2)], "batch")],
    "svd": [G(_svd_f, [_near_diag(3)], "square"),
            G(_svd_f, [np.concatenate([_near_diag(3), rnd(1, 3)])], "tall"),
            G(_svd_f, [np.concatenate([_near_diag(2, 2), rnd(2, 2, 1)], -1)], "wide-batch")],
})

GRAD_CASES["unsorted_segment_sum"].append(
    G(lambda w: tf.math.bincount(np.array([1, 1, 3, 0, 3], np.int32), weights=tf.exp(w)),
      [rnd(5)], "bincount-weights"))


def _qr_f(a):
    q, r = tf.linalg.qr(a)   # LAPACK's signs are locally smooth: q and r themselves are checked
    return tf.concat([tf.reshape(q, [-1]), tf.reshape(r, [-1])], 0)


GRAD_CASES["qr"] = [G(_qr_f, [_near_diag(3) + rnd(3, 3) * 0.3], "square"),
                    G(_qr_f, [rnd(4, 3)], "deep"), G(_qr_f, [rnd(2, 2, 4)], "wide-batch")]

GRAD_CASES["zeta"] = [G(lambda q: tf.math.zeta(tf.constant(3.0, tf.float64), q),
                        [pos(4, lo=0.5, hi=3.0)])]

GRAD_CASES["unsorted_segment_prod"] = [
    G(lambda d: tf.math.unsorted_segment_prod(d, _USEG, 3), [away0(6, 2)]),
    # a zero in a segment: the gradient there is the product of the others (TF)
    G(lambda d: tf.math.segment_prod(d * tf.constant([1., 0., 1., 1., 1., 1.], tf.float64),
                                     _SEGS), [away0(6)], "zero")]

GRAD_CASES["sum_to_shape"] = [G(lambda g: shape_ops.sum_to_shape(g * g, (3, 1)), [rnd(2, 3, 4)]),
                              G(lambda g: shape_ops.sum_to_shape(g, (1, 3)), [rnd(4, 3)],
                                "keep-rank")]

# TF core API breadth: tf.signal (fft primitive; rfft/irfft compositions) and Bessel functions
GRAD_CASES["fft"] = [
    G(lambda x, y: tf.math.real(tf.signal.fft(tf.complex(x, y * x))), [rnd(2, 4), rnd(2, 4)]),
    G(lambda x: tf.math.imag(tf.signal.ifft2d(tf.complex(tf.sin(x), x))), [rnd(3, 4)],
      "ifft2d"),
    G(lambda x: tf.math.abs(tf.signal.rfft(x)), [rnd(2, 6)], "rfft-abs"),
    G(lambda x: tf.signal.irfft(tf.complex(x, x * x), fft_length=[5]), [rnd(2, 3)], "irfft"),
    G(lambda x: tf.math.real(tf.signal.stft(x, 4, 2, fft_length=8)), [rnd(2, 10)], "stft")]
GRAD_CASES["bessel_i0e"] = [G(tf.math.bessel_i0e, [away0(3, 4, lo=0.2, hi=6.0)]),
                            G(tf.math.bessel_i0, [rnd(4)], "i0")]
GRAD_CASES["bessel_i1e"] = [G(tf.math.bessel_i1e, [away0(3, 4, lo=0.2, hi=6.0)]),
                            G(tf.math.bessel_i1, [rnd(4)], "i1")]

# cases added after PARAMS was built (above) join the parametrized tests too: pytest reads
# the list object at collection, after this module ran
PARAMS[:] = [pytest.param(name, c, id=f"{name}-{c.id}" if c.id else name)
             for name, cs in {**GRAD_CASES, **COMPOSITIONS}.items() for c in cs]

# run-time sizes (issue 11): a growing TensorArray's write and the value-dependent shape ops
from graphflow.autograph import tensor_array as _ta  # noqa: E402
from graphflow.ops import runtime_shape as _rts  # noqa: E402
GRAD_CASES["tensor_array_write"] = [
    G(lambda b, v: _ta.tensor_array_write(tf.sin(b), 3, tf.exp(v)), [rnd(2, 3), rnd(3)], "grow"),
    G(lambda b, v: _ta.tensor_array_write(tf.sin(b), 0, v * v), [rnd(2, 3), rnd(3)], "set")]
GRAD_CASES["leading_resize"] = [
    G(lambda x: _ta.leading_resize(tf.sin(x), tf.zeros([1])), [rnd(3, 2)], "cut"),
    G(lambda x: _ta.leading_resize(tf.sin(x), tf.zeros([4])), [rnd(2, 2)], "pad")]
GRAD_CASES["runtime_fill"] = [
    G(lambda v: _rts.fill(tf.constant([2, 3]), tf.sin(v)) * tf.cast([1., 2., 3.], v.dtype),
      [np.float64(0.4)])]
GRAD_CASES["runtime_reshape"] = [
    G(lambda x: tf.sin(_rts.reshape(x, tf.constant([3, -1]))) * tf.cast(tf.range(4), x.dtype),
      [rnd(2, 6)])]
GRAD_CASES["shaped_like"] = [
    G(lambda like, g: _rts.shaped_like(like, "getitem_grad", [tf.sin(g)], {"spec": (("i", 1),)}),
      [rnd(3, 2), rnd(2)]),
    G(lambda like, g: _rts.shaped_like(like, "scatter_add", [tf.sin(g), tf.constant([2, 0, 2])],
                                       {"axis": 0}), [rnd(4, 2), rnd(3, 2)], "scatter")]
GRAD_CASES["sum_like"] = [G(lambda g, like: _rts.sum_like(tf.sin(g), like), [rnd(3, 2, 4), rnd(2, 1)])]
PARAMS[:] = [pytest.param(name, c, id=f"{name}-{c.id}" if c.id else name)
             for name, cs in {**GRAD_CASES, **COMPOSITIONS}.items() for c in cs]

# indexing with traced bounds: first and second order through the op pair
from graphflow.ops import dynamic_index as _di  # noqa: E402
_V = tf.constant([1, -1], tf.int64)
GRAD_CASES["dynamic_getitem"] = [
    G(lambda x: tf.sin(_di.bind(_di.DYNAMIC_GETITEM, [x * x, _V],
                                {"spec": (("s", ("v", 0), None, None), ("i", ("v", 1)))})),
      [rnd(4, 3)], "slice-int")]
GRAD_CASES["dynamic_setitem"] = [
    G(lambda x, u: tf.sin(_di.bind(_di.DYNAMIC_SETITEM, [x * x, _V[:1], tf.exp(u)],
                                   {"spec": (("i", ("v", 0)),)})), [rnd(3, 2), rnd(2)])]
PARAMS[:] = [pytest.param(name, c, id=f"{name}-{c.id}" if c.id else name)
             for name, cs in {**GRAD_CASES, **COMPOSITIONS}.items() for c in cs]

GRAD_CASES["runtime_attrs"] = [
    G(lambda x: tf.sin(_rts.bind(_rts.RUNTIME_ATTRS, [tf.constant([3], tf.int64), x * x,
                                                      tf.constant([2, 0, 2])],
                                 {"op": "unsorted_segment_max", "attrs": (("empty", "lowest"),),
                                  "names": (("num_segments", 0),)})[::2]), [rnd(3, 2)])]
PARAMS[:] = [pytest.param(name, c, id=f"{name}-{c.id}" if c.id else name)
             for name, cs in {**GRAD_CASES, **COMPOSITIONS}.items() for c in cs]
