"""keras.ops (Keras 3 names) against numpy: one table of (name, call, numpy reference), run
eagerly; a sample also runs traced inside tf.function, a few are checked for gradients, and
control flow / scatter / linalg / nn ops are checked against hand-computed values."""
import math

import numpy as np
import pytest

import graphflow as tf
from graphflow.keras import ops

R = np.random.RandomState(0)
A = R.randn(3, 4).astype("float32")
B = R.randn(3, 4).astype("float32")
P = (R.rand(3, 4) + 0.1).astype("float32")
U = (R.rand(3, 4) * 1.8 - 0.9).astype("float32")
V = R.randn(5).astype("float32")
S = (R.randn(3, 3) + 3 * np.eye(3)).astype("float32")
SPD = (S @ S.T).astype("float32")
I = np.array([[3, 0, 2], [1, 1, 5]], "int32")
NAN = np.array([[1.0, np.nan, 3.0], [np.inf, -2.0, -np.inf]], "float32")
C3 = R.randn(4, 3).astype("float32")
D3 = R.randn(4, 3).astype("float32")


def _sm(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _sig(x):
    return 1 / (1 + np.exp(-x))


CASES = [
    # elementwise
    ("abs", lambda: ops.abs(A), lambda: np.abs(A)),
    ("arccos", lambda: ops.arccos(U), lambda: np.arccos(U)),
    ("arcsin", lambda: ops.arcsin(U), lambda: np.arcsin(U)),
    ("arctan", lambda: ops.arctan(A), lambda: np.arctan(A)),
    ("arccosh", lambda: ops.arccosh(P + 1), lambda: np.arccosh(P + 1)),
    ("arcsinh", lambda: ops.arcsinh(A), lambda: np.arcsinh(A)),
    ("arctanh", lambda: ops.arctanh(U), lambda: np.arctanh(U)),
    ("arctan2", lambda: ops.arctan2(A, B), lambda: np.arctan2(A, B)),
    ("cbrt", lambda: ops.cbrt(A), lambda: np.cbrt(A)),
    ("cosh", lambda: ops.cosh(A), lambda: np.cosh(A)),
    ("sinh", lambda: ops.sinh(A), lambda: np.sinh(A)),
    ("deg2rad", lambda: ops.deg2rad(A), lambda: np.deg2rad(A)),
    ("rad2deg", lambda: ops.rad2deg(A), lambda: np.rad2deg(A)),
    ("exp2", lambda: ops.exp2(A), lambda: np.exp2(A)),
    ("log2", lambda: ops.log2(P), lambda: np.log2(P)),
    ("log10", lambda: ops.log10(P), lambda: np.log10(P)),
    ("hypot", lambda: ops.hypot(A, B), lambda: np.hypot(A, B)),
    ("logaddexp", lambda: ops.logaddexp(A, B), lambda: np.logaddexp(A, B)),
    ("logaddexp2", lambda: ops.logaddexp2(A, B), lambda: np.logaddexp2(A, B)),
    ("reciprocal", lambda: ops.reciprocal(P), lambda: 1 / P),
    ("rsqrt", lambda: ops.rsqrt(P), lambda: 1 / np.sqrt(P)),
    ("sinc", lambda: ops.sinc(np.array([0.0, 0.5, 1.5], "float32")),
     lambda: np.sinc(np.array([0.0, 0.5, 1.5]))),
    ("trunc", lambda: ops.trunc(A * 3), lambda: np.trunc(A * 3)),
    ("signbit", lambda: ops.signbit(np.array([-1.0, 0.0, -0.0, 2.0], "float32")),
     lambda: np.signbit(np.array([-1.0, 0.0, -0.0, 2.0]))),
    ("heaviside", lambda: ops.heaviside(np.array([-1.0, 0.0, 2.0], "float32"), 0.5),
     lambda: np.heaviside(np.array([-1.0, 0.0, 2.0]), 0.5)),
    ("divide_int", lambda: ops.divide(I, 2), lambda: I / 2),
    ("true_divide", lambda: ops.true_divide(A, P), lambda: A / P),
    ("divide_no_nan", lambda: ops.divide_no_nan(np.array([1.0, 2.0], "float32"),
                                                np.array([0.0, 4.0], "float32")),
     lambda: np.array([0.0, 0.5])),
    ("floor_divide", lambda: ops.floor_divide(np.array([-7, 7], "int32"), 2),
     lambda: np.floor_divide([-7, 7], 2)),
    ("mod", lambda: ops.mod(np.array([-7.0, 7.0], "float32"), 3.0), lambda: np.mod([-7, 7], 3)),
    ("fmod", lambda: ops.fmod(np.array([-7, 7], "int32"), 3), lambda: np.fmod([-7, 7], 3)),
    ("fmax", lambda: ops.fmax(NAN, 0.0), lambda: np.fmax(NAN, 0.0)),
    ("ldexp", lambda: ops.ldexp(A, np.array(3, "int32")), lambda: np.ldexp(A, 3)),
    ("logical_xor", lambda: ops.logical_xor(A > 0, B > 0), lambda: np.logical_xor(A > 0, B > 0)),
    ("isnan", lambda: ops.isnan(NAN), lambda: np.isnan(NAN)),
    ("isinf", lambda: ops.isinf(NAN), lambda: np.isinf(NAN)),
    ("isfinite", lambda: ops.isfinite(NAN), lambda: np.isfinite(NAN)),
    ("isposinf", lambda: ops.isposinf(NAN), lambda: np.isposinf(NAN)),
    ("isneginf", lambda: ops.isneginf(NAN), lambda: np.isneginf(NAN)),
    ("isclose", lambda: ops.isclose(A, A + 1e-7), lambda: np.isclose(A, A + 1e-7)),
    ("nan_to_num", lambda: ops.nan_to_num(NAN, nan=7.0),
     lambda: np.nan_to_num(NAN, nan=7.0).astype("float32")),
    ("round_dec", lambda: ops.round(A, 2), lambda: np.round(A, 2)),
    ("erfinv", lambda: ops.erfinv(np.array([-0.5, 0.0, 0.9], "float32")),
     lambda: np.array([-0.4769362762, 0.0, 1.1630871537])),
    # reductions
    ("all", lambda: ops.all(A > -5), lambda: np.all(A > -5)),
    ("any_axis", lambda: ops.any(A > 1, axis=1), lambda: np.any(A > 1, axis=1)),
    ("amax", lambda: ops.amax(A, axis=0, keepdims=True), lambda: np.amax(A, 0, keepdims=True)),
    ("amin", lambda: ops.amin(A), lambda: np.amin(A)),
    ("mean_int", lambda: ops.mean(I), lambda: np.mean(I)),
    ("var", lambda: ops.var(A, axis=1), lambda: np.var(A, axis=1)),
    ("std", lambda: ops.std(A), lambda: np.std(A)),
    ("ptp", lambda: ops.ptp(A, axis=1), lambda: np.ptp(A, axis=1)),
    ("average", lambda: ops.average(A, axis=1, weights=np.arange(1.0, 5.0)),
     lambda: np.average(A, axis=1, weights=np.arange(1.0, 5.0))),
    ("count_nonzero", lambda: ops.count_nonzero(I, axis=1), lambda: np.count_nonzero(I, 1)),
    ("nansum", lambda: ops.nansum(NAN[:1]), lambda: np.nansum(NAN[:1])),
    ("nanmean", lambda: ops.nanmean(NAN[:1], axis=1), lambda: np.nanmean(NAN[:1], axis=1)),
    ("nanmax", lambda: ops.nanmax(NAN[:1]), lambda: np.nanmax(NAN[:1])),
    ("nanstd", lambda: ops.nanstd(NAN[:1]), lambda: np.nanstd(NAN[:1])),
    ("argmax_none", lambda: ops.argmax(A), lambda: np.argmax(A)),
    ("argmin_axis", lambda: ops.argmin(A, axis=1), lambda: np.argmin(A, axis=1)),
    ("cumsum_none", lambda: ops.cumsum(A), lambda: np.cumsum(A)),
    ("cumprod", lambda: ops.cumprod(P, axis=1), lambda: np.cumprod(P, axis=1)),
    ("argsort", lambda: ops.argsort(A, axis=0), lambda: np.argsort(A, axis=0, kind="stable")),
    ("median", lambda: ops.median(A, axis=1), lambda: np.median(A, axis=1)),
    ("quantile", lambda: ops.quantile(A, [0.1, 0.5, 0.9], axis=0),
     lambda: np.quantile(A, [0.1, 0.5, 0.9], axis=0)),
    ("percentile", lambda: ops.percentile(A, 30.0), lambda: np.percentile(A, 30.0)),
    ("percentile_keep", lambda: ops.percentile(A, 30.0, axis=1, keepdims=True),
     lambda: np.percentile(A, 30.0, axis=1, keepdims=True)),
    ("logsumexp", lambda: ops.logsumexp(A, axis=1),
     lambda: np.log(np.exp(A).sum(axis=1))),
    ("norm_vec", lambda: ops.norm(V, ord=1), lambda: np.linalg.norm(V, 1)),
    ("norm_fro", lambda: ops.norm(A), lambda: np.linalg.norm(A)),
    ("norm_mat1", lambda: ops.norm(A, ord=1, axis=(0, 1)), lambda: np.linalg.norm(A, 1)),
    ("norm_nuc", lambda: ops.norm(A, ord="nuc", axis=(0, 1)),
     lambda: np.linalg.norm(A, "nuc")),
    ("norm_inf_axis", lambda: ops.norm(A, ord=np.inf, axis=1),
     lambda: np.linalg.norm(A, np.inf, axis=1)),
    # creation
    ("arange", lambda: ops.arange(2, 11, 3), lambda: np.arange(2, 11, 3)),
    ("arange_f", lambda: ops.arange(0.5, 2.0, 0.5), lambda: np.arange(0.5, 2.0, 0.5)),
    ("full_like", lambda: ops.full_like(I, 7), lambda: np.full_like(I, 7)),
    ("full", lambda: ops.full((2, 3), 1.5), lambda: np.full((2, 3), 1.5)),
    ("eye_k", lambda: ops.eye(3, 4, k=1), lambda: np.eye(3, 4, 1)),
    ("identity", lambda: ops.identity(3), lambda: np.identity(3)),
    ("tri", lambda: ops.tri(3, 4, -1), lambda: np.tri(3, 4, -1)),
    ("linspace", lambda: ops.linspace(0.0, 1.0, 5, endpoint=False),
     lambda: np.linspace(0, 1, 5, endpoint=False)),
    ("logspace", lambda: ops.logspace(0.0, 2.0, 3), lambda: np.logspace(0, 2, 3)),
    ("geomspace", lambda: ops.geomspace(1.0, 8.0, 4), lambda: np.geomspace(1, 8, 4)),
    ("vander", lambda: ops.vander(V[:3], 4), lambda: np.vander(V[:3], 4)),
    ("meshgrid", lambda: ops.meshgrid(V[:2], V[:3], indexing="ij")[1],
     lambda: np.meshgrid(V[:2], V[:3], indexing="ij")[1]),
    ("hamming", lambda: ops.hamming(5), lambda: np.hamming(5)),
    ("kaiser", lambda: ops.kaiser(5, 2.0), lambda: np.kaiser(5, 2.0)),
    # shapes
    ("ravel", lambda: ops.ravel(A), lambda: np.ravel(A)),
    ("moveaxis", lambda: ops.moveaxis(np.zeros((2, 3, 4)), [0, 1], [-1, -2]).shape,
     lambda: np.moveaxis(np.zeros((2, 3, 4)), [0, 1], [-1, -2]).shape),
    ("swapaxes", lambda: ops.swapaxes(A, 0, 1), lambda: np.swapaxes(A, 0, 1)),
    ("expand_dims_tuple", lambda: ops.expand_dims(A, (0, -1)).shape,
     lambda: np.expand_dims(A, (0, -1)).shape),
    ("broadcast_to", lambda: ops.broadcast_to(V, (2, 5)), lambda: np.broadcast_to(V, (2, 5))),
    ("append", lambda: ops.append(A, B), lambda: np.append(A, B)),
    ("append_axis", lambda: ops.append(A, B, axis=1), lambda: np.append(A, B, axis=1)),
    ("hstack", lambda: ops.hstack([A, B]), lambda: np.hstack([A, B])),
    ("vstack", lambda: ops.vstack([V, V]), lambda: np.vstack([V, V])),
    ("dstack", lambda: ops.dstack([A, B]), lambda: np.dstack([A, B])),
    ("split", lambda: ops.split(V, [1, 3])[2], lambda: np.split(V, [1, 3])[2]),
    ("array_split", lambda: ops.array_split(V, 3)[1], lambda: np.array_split(V, 3)[1]),
    ("hsplit", lambda: ops.hsplit(A, 2)[1], lambda: np.hsplit(A, 2)[1]),
    ("vsplit", lambda: ops.vsplit(C3, 2)[0], lambda: np.vsplit(C3, 2)[0]),
    ("flip", lambda: ops.flip(A), lambda: np.flip(A)),
    ("fliplr", lambda: ops.fliplr(A), lambda: np.fliplr(A)),
    ("flipud", lambda: ops.flipud(A), lambda: np.flipud(A)),
    ("roll", lambda: ops.roll(A, 2), lambda: np.roll(A, 2)),
    ("roll_axis", lambda: ops.roll(A, -1, axis=1), lambda: np.roll(A, -1, axis=1)),
    ("rot90", lambda: ops.rot90(A), lambda: np.rot90(A)),
    ("rot90_k3", lambda: ops.rot90(A, 3), lambda: np.rot90(A, 3)),
    ("repeat", lambda: ops.repeat(A, 2, axis=1), lambda: np.repeat(A, 2, axis=1)),
    ("repeat_none", lambda: ops.repeat(I, 2), lambda: np.repeat(I, 2)),
    ("pad", lambda: ops.pad(A, ((1, 0), (2, 1))), lambda: np.pad(A, ((1, 0), (2, 1)))),
    ("pad_int", lambda: ops.pad(A, 1, constant_values=3.0),
     lambda: np.pad(A, 1, constant_values=3.0)),
    ("pad_reflect", lambda: ops.pad(A, ((1, 1), (2, 2)), mode="reflect"),
     lambda: np.pad(A, ((1, 1), (2, 2)), mode="reflect")),
    ("take_none", lambda: ops.take(A, [0, -1, 5]), lambda: np.take(A, [0, -1, 5])),
    ("take_axis", lambda: ops.take(A, I[:, :2], axis=1), lambda: np.take(A, I[:, :2], axis=1)),
    ("take_along_axis", lambda: ops.take_along_axis(A, np.argsort(A, 1), axis=1),
     lambda: np.sort(A, 1)),
    ("take_along_axis0", lambda: ops.take_along_axis(A, np.array([[2, 0, 1, 1]]), axis=0),
     lambda: np.take_along_axis(A, np.array([[2, 0, 1, 1]]), axis=0)),
    ("diag_vec", lambda: ops.diag(V[:3], k=1), lambda: np.diag(V[:3], k=1)),
    ("diag_mat", lambda: ops.diag(A, k=-1), lambda: np.diag(A, k=-1)),
    ("diagflat", lambda: ops.diagflat(A[:2, :2]), lambda: np.diagflat(A[:2, :2])),
    ("diagonal", lambda: ops.diagonal(np.arange(24.0).reshape(2, 3, 4), 1, 1, 2),
     lambda: np.diagonal(np.arange(24.0).reshape(2, 3, 4), 1, 1, 2)),
    ("trace", lambda: ops.trace(A, 1), lambda: np.trace(A, 1)),
    ("tril", lambda: ops.tril(A, -1), lambda: np.tril(A, -1)),
    ("triu", lambda: ops.triu(A, 1), lambda: np.triu(A, 1)),
    ("diff", lambda: ops.diff(A, 2, axis=1), lambda: np.diff(A, 2, axis=1)),
    ("diff0", lambda: ops.diff(A, axis=0), lambda: np.diff(A, axis=0)),
    ("outer", lambda: ops.outer(V, V[:2]), lambda: np.outer(V, V[:2])),
    ("inner", lambda: ops.inner(A, B), lambda: np.inner(A, B)),
    ("vdot", lambda: ops.vdot(A, B), lambda: np.vdot(A, B)),
    ("kron", lambda: ops.kron(A[:2, :2], S), lambda: np.kron(A[:2, :2], S)),
    ("cross", lambda: ops.cross(C3, D3), lambda: np.cross(C3, D3)),
    ("correlate", lambda: ops.correlate(V, V[:3]), lambda: np.correlate(V, V[:3])),
    ("correlate_full", lambda: ops.correlate(V, V[:3], mode="full"),
     lambda: np.correlate(V, V[:3], mode="full")),
    ("correlate_same", lambda: ops.correlate(V, V[:2], mode="same"),
     lambda: np.correlate(V, V[:2], mode="same")),
    ("corrcoef", lambda: ops.corrcoef(A), lambda: np.corrcoef(A)),
    ("nonzero", lambda: ops.nonzero(I)[1], lambda: np.nonzero(I)[1]),
    ("where1", lambda: ops.where(I > 1)[0], lambda: np.where(I > 1)[0]),
    ("select", lambda: ops.select([A < -0.5, A > 0.5], [A, -A], 9.0),
     lambda: np.select([A < -0.5, A > 0.5], [A, -A], 9.0)),
    ("isin", lambda: ops.isin(I, [1, 5]), lambda: np.isin(I, [1, 5])),
    ("digitize", lambda: ops.digitize(A, [-1.0, 0.0, 1.0]), lambda: np.digitize(A, [-1, 0, 1])),
    ("searchsorted", lambda: ops.searchsorted([1.0, 2.0, 3.0], [[2.5, 0.0]], side="right"),
     lambda: np.searchsorted([1.0, 2.0, 3.0], [[2.5, 0.0]], side="right")),
    ("bincount", lambda: ops.bincount(np.array([0, 2, 2, 3], "int32"), minlength=6),
     lambda: np.bincount([0, 2, 2, 3], minlength=6)),
    ("bincount_w", lambda: ops.bincount(np.array([0, 2, 2], "int32"),
                                        weights=np.array([1.0, 0.5, 0.25], "float32")),
     lambda: np.bincount([0, 2, 2], weights=[1.0, 0.5, 0.25])),
    ("histogram", lambda: ops.histogram(V, bins=3)[0], lambda: np.histogram(V, bins=3)[0]),
    ("histogram_edges", lambda: ops.histogram(V, bins=3)[1], lambda: np.histogram(V, bins=3)[1]),
    ("trapezoid", lambda: ops.trapezoid(A, dx=0.5), lambda: np.trapezoid(A, dx=0.5)
     if hasattr(np, "trapezoid") else np.trapz(A, dx=0.5)),
    ("unravel_index", lambda: ops.unravel_index(np.array([5, 11], "int32"), (3, 4))[0],
     lambda: np.unravel_index([5, 11], (3, 4))[0]),
    ("unique", lambda: ops.unique(I), lambda: np.unique(I)),
    ("ndim", lambda: ops.ndim(A), lambda: 2),
    ("size", lambda: ops.size(A), lambda: 12),
    ("get_item", lambda: ops.get_item(A, (slice(None), 1)), lambda: A[:, 1]),
    # nn
    ("hard_sigmoid", lambda: ops.hard_sigmoid(A * 3), lambda: np.clip(A * 3 / 6 + 0.5, 0, 1)),
    ("hard_silu", lambda: ops.hard_silu(A * 3), lambda: A * 3 * np.clip(A * 3 / 6 + 0.5, 0, 1)),
    ("hard_tanh", lambda: ops.hard_tanh(A * 2), lambda: np.clip(A * 2, -1, 1)),
    ("hard_shrink", lambda: ops.hard_shrink(A), lambda: np.where(np.abs(A) > 0.5, A, 0)),
    ("soft_shrink", lambda: ops.soft_shrink(A),
     lambda: np.where(A > 0.5, A - 0.5, np.where(A < -0.5, A + 0.5, 0))),
    ("tanh_shrink", lambda: ops.tanh_shrink(A), lambda: A - np.tanh(A)),
    ("celu", lambda: ops.celu(A, 0.5),
     lambda: np.maximum(A, 0) + np.minimum(0, 0.5 * (np.exp(A / 0.5) - 1))),
    ("elu", lambda: ops.elu(A, 0.7), lambda: np.where(A > 0, A, 0.7 * (np.exp(A) - 1))),
    ("glu", lambda: ops.glu(A), lambda: A[:, :2] * _sig(A[:, 2:])),
    ("log_sigmoid", lambda: ops.log_sigmoid(A), lambda: np.log(_sig(A))),
    ("swish", lambda: ops.swish(A), lambda: A * _sig(A)),
    ("squareplus", lambda: ops.squareplus(A), lambda: (A + np.sqrt(A * A + 4)) / 2),
    ("sparse_plus", lambda: ops.sparse_plus(A * 2),
     lambda: np.where(A * 2 <= -1, 0, np.where(A * 2 >= 1, A * 2, (A * 2 + 1) ** 2 / 4))),
    ("sparse_sigmoid", lambda: ops.sparse_sigmoid(A * 2), lambda: np.clip((A * 2 + 1) / 2, 0, 1)),
    ("threshold", lambda: ops.threshold(A, 0.1, -3.0), lambda: np.where(A > 0.1, A, -3.0)),
    ("leaky_relu", lambda: ops.leaky_relu(A, 0.1), lambda: np.where(A > 0, A, 0.1 * A)),
    ("gelu_tanh", lambda: ops.gelu(A),
     lambda: 0.5 * A * (1 + np.tanh(np.sqrt(2 / np.pi) * (A + 0.044715 * A ** 3)))),
    ("softmax_tuple", lambda: ops.softmax(A, axis=(0, 1)), lambda: np.exp(A) / np.exp(A).sum()),
    ("log_softmax", lambda: ops.log_softmax(A, axis=0), lambda: np.log(_sm(A, 0))),
    ("sparsemax", lambda: ops.sparsemax(np.array([[0.5, 0.2, 2.0], [1.0, 1.1, 0.0]], "float32")),
     lambda: np.array([[0.0, 0.0, 1.0], [0.45, 0.55, 0.0]])),
    ("binary_crossentropy", lambda: ops.binary_crossentropy((A > 0) * 1.0, _sig(B)),
     lambda: -((A > 0) * np.log(_sig(B)) + (A <= 0) * np.log(1 - _sig(B)))),
    ("binary_crossentropy_logits",
     lambda: ops.binary_crossentropy((A > 0) * 1.0, B, from_logits=True),
     lambda: -((A > 0) * np.log(_sig(B)) + (A <= 0) * np.log(1 - _sig(B)))),
    ("categorical_crossentropy", lambda: ops.categorical_crossentropy(_sm(A), _sm(B)),
     lambda: -(_sm(A) * np.log(_sm(B))).sum(-1)),
    ("categorical_crossentropy_logits",
     lambda: ops.categorical_crossentropy(_sm(A), B, from_logits=True),
     lambda: -(_sm(A) * np.log(_sm(B))).sum(-1)),
    ("sparse_categorical_crossentropy",
     lambda: ops.sparse_categorical_crossentropy(np.array([1, 3, 0]), B, from_logits=True),
     lambda: -np.log(_sm(B))[[0, 1, 2], [1, 3, 0]]),
    ("moments", lambda: ops.moments(A, axes=[0])[1], lambda: A.var(0)),
    ("batch_normalization", lambda: ops.batch_normalization(A, A.mean(0), A.var(0), axis=1,
                                                            offset=V[:4], scale=P[0]),
     lambda: (A - A.mean(0)) / np.sqrt(A.var(0) + 1e-3) * P[0] + V[:4]),
    ("layer_normalization", lambda: ops.layer_normalization(A, gamma=P[0], beta=V[:4]),
     lambda: (A - A.mean(-1, keepdims=True)) / np.sqrt(A.var(-1, keepdims=True) + 1e-5)
     * P[0] + V[:4]),
    ("rms_normalization", lambda: ops.rms_normalization(A, scale=P[0]),
     lambda: A / np.sqrt((A ** 2).mean(-1, keepdims=True) + 1e-7) * P[0]),
    ("normalize", lambda: ops.normalize(A), lambda: A / np.linalg.norm(A, axis=-1, keepdims=True)),
    ("normalize_l1", lambda: ops.normalize(A, axis=0, order=1),
     lambda: A / np.abs(A).sum(0, keepdims=True)),
    ("multi_hot", lambda: ops.multi_hot(np.array([[0, 2], [1, 1]]), 4),
     lambda: np.array([[1, 0, 1, 0], [0, 1, 0, 0]])),
    ("one_hot", lambda: ops.one_hot(np.array([2, 0]), 3), lambda: np.eye(3)[[2, 0]]),
    ("psnr", lambda: ops.psnr(P, P * 0.9, 1.0),
     lambda: 20 * np.log10(1.0) - 10 * np.log10(np.mean((P * 0.1) ** 2))),
    ("top_k", lambda: ops.top_k(A, 2)[0], lambda: -np.sort(-A, axis=1)[:, :2]),
    ("in_top_k", lambda: ops.in_top_k(np.array([0, 1, 2]), A[:, :3], 2),
     lambda: np.array([np.argsort(-A[i, :3])[:2].__contains__(i) for i in range(3)])),
    ("depth_to_space",
     lambda: ops.depth_to_space(np.arange(16.0).reshape(1, 2, 2, 4), 2)[0, :, :, 0],
     lambda: np.array([[0, 1, 4, 5], [2, 3, 6, 7], [8, 9, 12, 13], [10, 11, 14, 15]])),
    ("space_to_depth", lambda: ops.space_to_depth(ops.depth_to_space(
        np.arange(16.0).reshape(1, 2, 2, 4), 2), 2), lambda: np.arange(16.0).reshape(1, 2, 2, 4)),
    # linalg
    ("det", lambda: ops.det(S), lambda: np.linalg.det(S)),
    ("inv", lambda: ops.inv(S), lambda: np.linalg.inv(S)),
    ("solve", lambda: ops.solve(S, A[:, :2]), lambda: np.linalg.solve(S, A[:, :2])),
    ("solve_triangular", lambda: ops.solve_triangular(np.tril(S), A, lower=True),
     lambda: np.linalg.solve(np.tril(S), A)),
    ("cholesky", lambda: ops.cholesky(SPD), lambda: np.linalg.cholesky(SPD)),
    ("cholesky_inverse", lambda: ops.cholesky_inverse(np.linalg.cholesky(SPD)),
     lambda: np.linalg.inv(SPD)),
    ("eigh", lambda: ops.eigh(SPD)[0], lambda: np.linalg.eigh(SPD)[0]),
    ("slogdet", lambda: ops.slogdet(S)[1], lambda: np.linalg.slogdet(S)[1]),
    ("logdet", lambda: ops.logdet(SPD), lambda: np.log(np.linalg.det(SPD))),
    ("pinv", lambda: ops.pinv(A), lambda: np.linalg.pinv(A)),
    ("lstsq", lambda: ops.lstsq(C3, V[:4]), lambda: np.linalg.lstsq(C3, V[:4], rcond=None)[0]),
    ("svd_s", lambda: ops.svd(A, compute_uv=False), lambda: np.linalg.svd(A, compute_uv=False)),
    ("svd_rebuild", lambda: (lambda u, s, vh: ops.matmul(u * s, vh))(*ops.svd(A, False)),
     lambda: A),
    ("qr_rebuild", lambda: ops.matmul(*ops.qr(C3)), lambda: C3),
    ("matrix_rank", lambda: ops.linalg.matrix_rank(np.outer(V, V)), lambda: 1),
    # core
    ("slice", lambda: ops.slice(A, (1, 1), (2, 2)), lambda: A[1:3, 1:3]),
    ("slice_update", lambda: ops.slice_update(A, (1, 2), np.ones((2, 2), "float32")),
     lambda: np.concatenate([A[:1], np.concatenate([A[1:, :2], np.ones((2, 2))], 1)], 0)),
    ("scatter", lambda: ops.scatter([[0, 1], [0, 1], [2, 0]], [1.0, 2.0, 5.0], (3, 2)),
     lambda: np.array([[0, 3.0], [0, 0], [5.0, 0]])),
    ("scatter_update", lambda: ops.scatter_update(A, [[0, 0], [2, 3]], [9.0, 8.0]),
     lambda: np.where(np.isin(np.arange(12).reshape(3, 4), [0, 11]),
                      np.array([[9.0] * 4, [0] * 4, [8.0] * 4]), A)),
    ("segment_sum", lambda: ops.segment_sum(A, [0, 0, 1]), lambda: np.stack([A[:2].sum(0), A[2]])),
    ("segment_max", lambda: ops.segment_max(A, [1, 0, 1], num_segments=2),
     lambda: np.stack([A[1], np.maximum(A[0], A[2])])),
    ("extract_sequences", lambda: ops.extract_sequences(V, 3, 1),
     lambda: np.stack([V[i:i + 3] for i in range(3)])),
    ("rfft", lambda: ops.rfft(V)[1], lambda: np.fft.rfft(V).imag),
    ("irfft", lambda: ops.irfft(ops.rfft(V[:4])), lambda: V[:4]),
    ("fft", lambda: ops.fft((A, B))[0], lambda: np.fft.fft(A + 1j * B).real),
    ("fft2", lambda: ops.fft2((A, B))[1], lambda: np.fft.fft2(A + 1j * B).imag),
    ("saturate_cast", lambda: ops.saturate_cast(np.array([-5.0, 300.0, 7.6], "float32"), "uint8"),
     lambda: np.array([0, 255, 7])),
    ("real_imag", lambda: ops.imag(ops.view_as_complex(np.stack([A, B], -1))), lambda: B),
    ("associative_scan", lambda: ops.associative_scan(lambda a, b: a + b, A, axis=1),
     lambda: np.cumsum(A, 1)),
    ("vectorize", lambda: ops.vectorize(lambda a, b: a * b + 1)(V, V[0]), lambda: V * V[0] + 1),
]


@pytest.mark.parametrize("name,call,ref", CASES, ids=[c[0] for c in CASES])
def test_matches_numpy(name, call, ref):
    got = call()
    got = tuple(got) if isinstance(got, tuple) and not isinstance(got, tf.TensorShape) else got
    want = ref()
    got = np.asarray(got.numpy() if hasattr(got, "numpy") else got)
    np.testing.assert_allclose(got.astype("float64") if got.dtype != bool else got,
                               np.asarray(want, dtype=None if np.asarray(want).dtype == bool
                                          else "float64"),
                               rtol=2e-4, atol=2e-5, err_msg=name)


TRACED = ["arctan2", "cbrt", "logaddexp", "mean_int", "nanmean", "median", "quantile", "pad",
          "take_along_axis", "diagonal", "tril", "cross", "kron", "hard_silu", "glu",
          "sparsemax", "categorical_crossentropy", "layer_normalization", "slice_update",
          "scatter", "rot90", "moveaxis", "norm_nuc", "isclose", "select", "correlate"]


@pytest.mark.parametrize("name", TRACED)
def test_traced_matches_eager(name):
    call = dict((c[0], c[1]) for c in CASES)[name]
    eager = call()
    traced = tf.function(call)()
    e = np.asarray(eager.numpy() if hasattr(eager, "numpy") else eager)
    t = np.asarray(traced.numpy() if hasattr(traced, "numpy") else traced)
    np.testing.assert_allclose(t, e, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name,fn", [
    ("logaddexp", lambda x: ops.sum(ops.logaddexp(x, x * 0.5))),
    ("cbrt", lambda x: ops.sum(ops.cbrt(x * x + 1.0))),
    ("glu", lambda x: ops.sum(ops.glu(x) ** 2)),
    ("take_along_axis", lambda x: ops.sum(ops.take_along_axis(x, np.array([[1, 0, 2, 2]]), 0))),
    ("layer_norm", lambda x: ops.sum(ops.layer_normalization(x) * np.arange(4.0))),
    ("median", lambda x: ops.median(x)),
    ("kron", lambda x: ops.sum(ops.kron(x[:2, :2], x[1:, 2:]) ** 2)),
    ("sparsemax", lambda x: ops.sum(ops.sparsemax(x) * np.arange(4.0))),
    ("norm", lambda x: ops.norm(x, ord=3, axis=1)[0]),
])
def test_gradient_matches_finite_differences(name, fn):
    x0 = A.astype("float64")
    x = tf.Variable(x0)
    with tf.GradientTape() as tape:
        y = fn(x)
    g = tape.gradient(y, x).numpy()
    eps = 1e-6
    num = np.zeros_like(x0)
    for i in np.ndindex(x0.shape):
        d = np.zeros_like(x0)
        d[i] = eps
        num[i] = (float(fn(tf.constant(x0 + d))) - float(fn(tf.constant(x0 - d)))) / (2 * eps)
    np.testing.assert_allclose(g, num, rtol=1e-4, atol=1e-6, err_msg=name)


def test_control_flow_eager_and_traced():
    def run():
        w = ops.while_loop(lambda i, s: i < 5, lambda i, s: (i + 1, s + i),
                           (ops.convert_to_tensor(0), ops.convert_to_tensor(0)))
        single = ops.while_loop(lambda v: v < 100.0, lambda v: v * 3.0,
                                ops.convert_to_tensor(1.0))
        f = ops.fori_loop(0, 5, lambda i, v: v * 2.0, ops.convert_to_tensor(1.0))
        c = ops.cond(ops.convert_to_tensor(False), lambda: 1.0 * ops.ones(()),
                     lambda: 2.0 * ops.ones(()))
        s = ops.switch(2, [lambda x: x + 1, lambda x: x * 10, lambda x: x - 1],
                       ops.convert_to_tensor(5.0))
        carry, ys = ops.scan(lambda c, x: (c + x, c * x), ops.convert_to_tensor(0.0),
                             ops.convert_to_tensor([1.0, 2.0, 3.0]))
        m = ops.map(lambda x: x * x, ops.convert_to_tensor([1.0, 2.0]))
        return w[1], single, f, c, s, carry, ys, m
    want = [10, 243.0, 32.0, 2.0, 4.0, 6.0, [0.0, 2.0, 9.0], [1.0, 4.0]]
    for got in (run(), tf.function(run)()):
        for g, w in zip(got, want):
            np.testing.assert_allclose(g.numpy(), w)


def test_scan_reverse_and_length():
    carry, ys = ops.scan(lambda c, _: (c * 2, c), 1, None, length=4, reverse=True)
    assert int(carry) == 16 and [int(v) for v in ys] == [8, 4, 2, 1]


def test_custom_gradient():
    @ops.custom_gradient
    def clip_grad(x):
        def grad(*args, upstream=None):
            if upstream is None:
                (upstream,) = args
            return ops.clip(upstream, -0.5, 0.5)
        return x * 1.0, grad
    x = tf.Variable([1.0, 2.0])
    with tf.GradientTape() as t:
        y = ops.sum(clip_grad(x) * 3.0)
    np.testing.assert_allclose(t.gradient(y, x).numpy(), [0.5, 0.5])


def test_conv_pool_against_numpy():
    x = R.randn(2, 5, 6, 3).astype("float32")
    k = R.randn(3, 2, 3, 4).astype("float32")
    got = ops.conv(x, k, strides=1, padding="valid").numpy()
    want = np.zeros((2, 3, 5, 4))
    for i in range(3):
        for j in range(5):
            want[:, i, j] = np.einsum("bhwc,hwco->bo", x[:, i:i + 3, j:j + 2], k)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)
    cf = ops.conv(np.moveaxis(x, -1, 1), k, data_format="channels_first").numpy()
    np.testing.assert_allclose(np.moveaxis(cf, 1, -1), want, rtol=1e-4, atol=1e-4)
    mp = ops.max_pool(x, 2, padding="valid").numpy()
    np.testing.assert_allclose(mp, x[:, :4].reshape(2, 2, 2, 3, 2, 3).max((2, 4)))
    ap = ops.average_pool(x, (1, 3), strides=(1, 3)).numpy()
    np.testing.assert_allclose(ap, x.reshape(2, 5, 2, 3, 3).mean(3), rtol=1e-5, atol=1e-6)
    dk = R.randn(3, 3, 3, 2).astype("float32")
    dw = ops.depthwise_conv(x, dk, padding="same").numpy()
    xp = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
    ref = np.zeros((2, 5, 6, 3, 2))
    for i in range(5):
        for j in range(6):
            ref[:, i, j] = np.einsum("bhwc,hwcm->bcm", xp[:, i:i + 3, j:j + 3], dk)
    np.testing.assert_allclose(dw, ref.reshape(2, 5, 6, 6), rtol=1e-4, atol=1e-4)
    pk = R.randn(1, 1, 6, 5).astype("float32")
    sep = ops.separable_conv(x, dk, pk, padding="same").numpy()
    np.testing.assert_allclose(sep, ref.reshape(2, 5, 6, 6) @ pk[0, 0], rtol=1e-4, atol=1e-4)


def test_conv_transpose_is_the_adjoint_of_conv():
    x = R.randn(1, 3, 4, 2).astype("float32")
    k = R.randn(3, 3, 5, 2).astype("float32")   # (h, w, out, in)
    y = ops.conv_transpose(x, k, strides=2, padding="valid")
    assert y.shape == (1, 7, 9, 5)
    z = R.randn(1, 7, 9, 5).astype("float32")   # <conv_T(x), z> == <x, conv(z)>
    cz = ops.conv(z, k, strides=2, padding="valid").numpy()
    np.testing.assert_allclose(np.sum(y.numpy() * z), np.sum(x * cz), rtol=1e-4)
    assert ops.conv_transpose(x, k, strides=2, padding="same").shape == (1, 6, 8, 5)


def test_dot_product_attention():
    q, k, v = (R.randn(2, 3, 2, 4).astype("float32") for _ in range(3))
    got = ops.dot_product_attention(q, k, v, is_causal=True).numpy()
    logits = np.einsum("btnh,bsnh->bnts", q, k) / 2.0
    logits = np.where(np.tril(np.ones((3, 3), bool)), logits, -1e9)
    want = np.einsum("bnts,bsnh->btnh", _sm(logits), v)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_dtype_promotion():
    assert ops.add(I, 0.5).dtype.name == "float32"        # int tensor + Python float
    assert ops.multiply(I, 2).dtype.name == "int32"       # Python int keeps the tensor's dtype
    assert ops.add(A[:2, :3], I).dtype.name == "float32"  # int32 + float32 -> float32
    assert ops.subtract(A, A.astype("float64")).dtype.name == "float64"
    assert ops.add(I > 0, 1).dtype.name == "int32"


def test_namespaces_and_image():
    assert ops.numpy.amax is ops.amax and ops.nn.glu is ops.glu and ops.linalg.svd is ops.svd
    assert ops.core.while_loop is ops.while_loop
    img = np.arange(12.0, dtype="float32").reshape(1, 2, 2, 3)
    g = ops.image.rgb_to_grayscale(img).numpy()
    np.testing.assert_allclose(g[..., 0], img @ np.array([0.2989, 0.587, 0.114]), rtol=1e-5)
    assert ops.image.resize(img, (4, 4)).shape == (1, 4, 4, 3)
    assert ops.dtype(I) == "int32" and ops.is_tensor(ops.ones(2)) and not ops.is_tensor(A)
    assert math.isclose(float(ops.mean(ops.divide(I, 2))), I.mean() / 2, rel_tol=1e-6)


NX = np.array([[1, np.nan, 3, 7], [np.nan, 2, 0, 5]], "float32")
MORE = [
    ("nanmedian", lambda: ops.nanmedian(NX, axis=1), lambda: np.nanmedian(NX, axis=1)),
    ("nanquantile", lambda: ops.nanquantile(NX, [0.2, 0.7]), lambda: np.nanquantile(NX, [.2, .7])),
    ("nanpercentile_keep", lambda: ops.nanpercentile(NX, 40, axis=0, keepdims=True),
     lambda: np.nanpercentile(NX, 40, axis=0, keepdims=True)),
    ("nanargmax", lambda: ops.nanargmax(NX, axis=1), lambda: np.nanargmax(NX, axis=1)),
    ("nanargmin", lambda: ops.nanargmin(NX), lambda: np.nanargmin(NX)),
    ("add_int_float", lambda: ops.add(I, 0.5), lambda: I + 0.5),
    ("where_int_float", lambda: ops.where(I > 1, I, 0.5), lambda: np.where(I > 1, I, 0.5)),
    ("maximum_mixed", lambda: ops.maximum(I, A[:2, :3]), lambda: np.maximum(I, A[:2, :3])),
    ("sum_bool", lambda: ops.sum(I > 1, axis=0), lambda: np.sum(I > 1, axis=0)),
    ("max_bool", lambda: ops.max(I > 1, axis=1), lambda: np.max(I > 1, axis=1)),
    ("min_bool", lambda: ops.min(I > 0), lambda: np.min(I > 0)),
    ("gcd", lambda: ops.gcd(np.array([12, -18, 0]), np.array([8, 12, 5])),
     lambda: np.gcd([12, -18, 0], [8, 12, 5])),
    ("lcm", lambda: ops.lcm(np.array([4, 6]), np.array([6, 5])), lambda: np.lcm([4, 6], [6, 5])),
    ("bitwise_and", lambda: ops.bitwise_and(I, 6), lambda: np.bitwise_and(I, 6)),
    ("bitwise_xor", lambda: ops.bitwise_xor(I, 3), lambda: np.bitwise_xor(I, 3)),
    ("bitwise_invert", lambda: ops.bitwise_invert(I - 2), lambda: np.invert(I - 2)),
    ("left_shift", lambda: ops.left_shift(I, 2), lambda: np.left_shift(I, 2)),
    ("right_shift", lambda: ops.right_shift(I - 3, 1), lambda: np.right_shift(I - 3, 1)),
    ("nextafter", lambda: ops.nextafter(np.float32(1), np.float32(2)),
     lambda: np.nextafter(np.float32(1), np.float32(2))),
    ("argpartition", lambda: ops.take_along_axis(A, ops.argpartition(A, 1), -1)[:, 1],
     lambda: np.partition(A, 1)[:, 1]),
    ("cdist", lambda: ops.cdist(A, B[:2]), lambda: np.sqrt(((A[:, None] - B[None, :2]) ** 2)
                                                          .sum(-1))),
    ("cdist_p1", lambda: ops.cdist(A, B[:2], p=1), lambda: np.abs(A[:, None] - B[None, :2])
     .sum(-1)),
    ("polar", lambda: ops.real(ops.polar(P, A)), lambda: P * np.cos(A)),
    ("pad_images", lambda: ops.image.pad_images(np.ones((2, 3, 1)), 1, 2, target_height=5,
                                                target_width=6)[..., 0],
     lambda: np.pad(np.ones((2, 3)), ((1, 2), (2, 1)))),
    ("crop_images", lambda: ops.image.crop_images(np.arange(20.0).reshape(4, 5, 1), 1, 2,
                                                  target_height=2, target_width=2)[..., 0],
     lambda: np.arange(20.0).reshape(4, 5)[1:3, 2:4]),
    ("extract_patches", lambda: ops.image.extract_patches(np.arange(16.0).reshape(1, 4, 4, 1),
                                                          2)[0, 1, 0],
     lambda: np.array([8.0, 9.0, 12.0, 13.0])),
]


@pytest.mark.parametrize("name,call,ref", MORE, ids=[c[0] for c in MORE])
def test_more_match_numpy(name, call, ref):
    test_matches_numpy(name, call, ref)


def test_stft_against_the_definition():
    x = R.randn(2, 40).astype("float32")
    re, im = ops.stft(x, 12, 6, 16)
    xp = np.pad(x, ((0, 0), (8, 8)), mode="reflect")
    w = np.zeros(16)
    w[2:14] = np.hanning(13)[:-1]
    frames = np.stack([xp[:, i:i + 16] for i in range(0, xp.shape[1] - 15, 6)], 1)
    want = np.fft.rfft(frames * w, 16)
    np.testing.assert_allclose(re.numpy(), want.real, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(im.numpy(), want.imag, rtol=1e-4, atol=1e-4)


def test_jvp():
    y, t = ops.jvp(lambda x: ops.sin(x) * 2.0, (tf.constant([0.0, 1.0]),),
                   (tf.constant([1.0, 3.0]),))
    np.testing.assert_allclose(t.numpy(), 2 * np.cos([0.0, 1.0]) * [1, 3], rtol=1e-6)
    y, t, aux = ops.jvp(lambda x: (x * x, 7), (tf.constant(3.0),), (tf.constant(1.0),),
                        has_aux=True)
    assert float(t) == 6.0 and aux == 7


def test_adaptive_pools_view_eig_lu():
    x = np.arange(2 * 5 * 7 * 3.0, dtype="float32").reshape(2, 5, 7, 3)
    hb, wb = [(0, 3), (2, 5)], [(0, 3), (2, 5), (4, 7)]     # PyTorch's adaptive bins
    want = np.array([[x[:, a:b, c:d].mean((1, 2)) for c, d in wb] for a, b in hb])
    got = ops.adaptive_average_pool(x, (2, 3)).numpy()
    np.testing.assert_allclose(got, want.transpose(2, 0, 1, 3), rtol=1e-6)
    got = ops.adaptive_max_pool(np.moveaxis(x, -1, 1), (2, 3), data_format="channels_first")
    want = np.array([[x[:, a:b, c:d].max((1, 2)) for c, d in wb] for a, b in hb])
    np.testing.assert_allclose(got.numpy(), want.transpose(2, 3, 0, 1))
    f = np.array([1.0, -2.5], "float32")
    np.testing.assert_array_equal(ops.view(f, "int32").numpy(), f.view("int32"))
    h = np.array([[1, 2, 3, 4]], "int16")
    np.testing.assert_array_equal(ops.view(h, "int32").numpy(), h.view("int32"))
    w, v = ops.eig(S)
    np.testing.assert_allclose(S @ v.numpy(), v.numpy() * w.numpy(), rtol=1e-4, atol=1e-4)
    lu, piv = ops.lu_factor(S)
    lu, piv = lu.numpy(), piv.numpy()
    L, U = np.tril(lu, -1) + np.eye(3), np.triu(lu)
    PA = S.copy()
    for k, p in enumerate(piv):
        PA[[k, p]] = PA[[p, k]]
    np.testing.assert_allclose(L @ U, PA, rtol=1e-5, atol=1e-5)


def _ctc_brute(logits, label, T, C):
    import itertools
    lp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    total = 0.0
    for path in itertools.product(range(C), repeat=T):
        collapsed = [k for k, _ in itertools.groupby(path) if k != 0]
        if collapsed == list(label):
            total += np.exp(sum(lp[t, path[t]] for t in range(T)))
    return -np.log(total)


def test_ctc_loss_against_path_enumeration_and_gradient():
    r = np.random.RandomState(1)
    logits = r.randn(2, 5, 4)
    tgt, tl = np.array([[1, 2, 0], [3, 3, 2]]), np.array([2, 3])
    got = ops.ctc_loss(tgt, logits.astype("float32"), tl, np.array([4, 5])).numpy()
    want = [_ctc_brute(logits[0, :4], [1, 2], 4, 4), _ctc_brute(logits[1], [3, 3, 2], 5, 4)]
    np.testing.assert_allclose(got, want, rtol=1e-5)
    x = tf.Variable(logits)
    with tf.GradientTape() as tape:
        loss = ops.sum(ops.ctc_loss(tgt, x, tl, np.array([5, 5])))
    g = tape.gradient(loss, x).numpy()
    i, eps = (1, 2, 3), 1e-6
    d = np.zeros_like(logits)
    d[i] = eps
    num = (float(ops.sum(ops.ctc_loss(tgt, logits + d, tl, np.array([5, 5])))) -
           float(ops.sum(ops.ctc_loss(tgt, logits - d, tl, np.array([5, 5]))))) / (2 * eps)
    np.testing.assert_allclose(g[i], num, rtol=1e-5)


def test_ctc_decode_greedy():
    x = np.full((2, 6, 4), -5.0, "float32")
    for b, seq in enumerate([[1, 1, 0, 2, 2, 3], [0, 3, 3, 0, 3, 1]]):
        for t, c in enumerate(seq):
            x[b, t, c] = 5.0
    for run in (lambda: ops.ctc_decode(x, [6, 5]), tf.function(lambda: ops.ctc_decode(x, [6, 5]))):
        d, s = run()
        np.testing.assert_array_equal(d.numpy()[0], [[1, 2, 3, -1, -1, -1], [3, 3, -1, -1, -1, -1]])
        # Keras 3.15 (TF and JAX backends): -sum of the steps' largest raw inputs
        np.testing.assert_allclose(s.numpy()[:, 0], [-30.0, -25.0], atol=1e-5)


def test_rearrange():
    x = np.arange(2 * 6 * 3).reshape(2, 6, 3)
    np.testing.assert_array_equal(ops.rearrange(x, "b (h w) c -> b c h w", h=2).numpy(),
                                  x.reshape(2, 2, 3, 3).transpose(0, 3, 1, 2))
    np.testing.assert_array_equal(ops.rearrange(x, "b n c -> (c b) n").numpy(),
                                  x.transpose(2, 0, 1).reshape(6, 6))
    with pytest.raises(ValueError, match="rearrange"):
        ops.rearrange(x, "b (h w) c -> b h w c")


def test_istft_inverts_stft():
    x = np.random.RandomState(0).randn(2, 64).astype("float32")
    for seq, stride, nfft in ((16, 4, 16), (16, 8, 32)):
        y = ops.istft(ops.stft(x, seq, stride, nfft), seq, stride, nfft, length=64).numpy()
        np.testing.assert_allclose(y, x, atol=1e-5)


def test_unfold_fold():
    x = np.random.RandomState(0).randn(2, 3, 5, 6).astype("float32")
    u = ops.unfold(x, (2, 3), padding=1, stride=2).numpy()
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    want = np.stack([xp[:, :, i:i + 2, j:j + 3].reshape(2, -1) for i in range(0, 6, 2)
                     for j in range(0, 6, 2)], -1)
    np.testing.assert_array_equal(u, want)
    ones = ops.fold(ops.unfold(np.ones((1, 1, 4, 4), "float32"), 2), (4, 4), 2).numpy()[0, 0]
    np.testing.assert_array_equal(ones, [[1, 2, 2, 1], [2, 4, 4, 2], [2, 4, 4, 2], [1, 2, 2, 1]])


@pytest.mark.parametrize("name,fn", [
    ("take_along_axis", lambda t: ops.take_along_axis(t, ops.argsort(t, axis=1)[:, :2], 1)),
    ("ctc_loss", lambda t: ops.ctc_loss(ops.cast(ops.argmax(t[:, :3], -1) % 3 + 1, "int32"), t,
                                        ops.full((ops.shape(t)[0],), 3, "int32"),
                                        ops.full((ops.shape(t)[0],), 6, "int32"))),
    ("ctc_decode", lambda t: ops.ctc_decode(t, ops.full((ops.shape(t)[0],), 6, "int32"))[0]),
    ("layer_normalization", lambda t: ops.layer_normalization(t)),
])
def test_traced_with_unknown_batch(name, fn):
    x = np.random.RandomState(3).randn(3, 6, 4).astype("float32")
    f = tf.function(fn, input_signature=[tf.TensorSpec([None, 6, 4], tf.float32)])
    np.testing.assert_allclose(f(tf.constant(x)).numpy(), fn(tf.constant(x)).numpy(), atol=1e-5)
