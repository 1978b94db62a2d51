"""graphflow: TensorFlow 2's programming model on numpy, numba and networkx.

>>> import graphflow as tf
>>> x = tf.Variable(3.0)
>>> with tf.GradientTape() as tape:
...     y = tf.square(x)
>>> tape.gradient(y, x).numpy().item()
6.0

Structure (imports point down only; tests/test_layers.py enforces it):

1. base - `errors` (error classes, `user_source`), `dtypes`, `nest` (nested structures),
   `tensor_format` (TF's text of a tensor for tf.print),
   `indexing` (hashable basic-index specs), `shapes` (symbolic dims and their run-time
   checks), `blas_threads` (the one-BLAS-thread switch).
2. op table + trace state - `ops.registry`: every primitive once, with impl, shape/dtype rule,
   VJP and JVP (in graphflow ops), kind, effects and open-ended facts; structural ops
   (parameter, constant, read_variable, assign, print) are entries too. `state`: the per-thread
   (contextvars) trace state - graph being built, recorders (tapes, accumulators), adjoint tag,
   name scope.
3. values - `tensor`: Tensor, SymbolicTensor, Variable, the one conversion (`convert_to_tensor`,
   `convert_args`); operators are looked up in `tensor.OPERATORS`, filled by the op modules.
4. dispatch + IR - `dispatch.bind`: hands each primitive to the current interpreter (eager, or
   the GraphBuilder of `graph`), then to every recorder; `graph`: the networkx IR, builder,
   typed `verify`; `evaluate`: the reference evaluator (numpy impls from the table) and
   `PerShapePlan` (one backend plan per concrete shape of a graph with unknown dims).
5. ops - `ops.math_ops`, `shape_ops`, `array_ops`, `linalg_ops`, `nn_ops`, `random_ops`,
   `conv_ops`, `image_ops`, `complex_ops`, `special_ops`, `segment_ops`, `collective_ops`,
   `creation`; `strings`, `ragged`, `sparse` (eager string/ragged/sparse tensors); `io`
   (tf.io: files, TFRecords, tf.train.Example protos, CSV, image codecs; eager).
6. autodiff + control flow - `autodiff.reverse` (the one reverse-mode core, shared by
   `tape.GradientTape` and the graph gradient pass), `autodiff.forward` (ForwardAccumulator,
   jvp), `control_ops` / `control_flow` (cond, while_loop, print, gradients), `custom_gradient`,
   `py_func`.
7. passes - simplify, cse, fold, dce, fusion: they ask the op table, never op names.
8. backends - `schedule` (backend-neutral steps and liveness), `numpy_exec`, `numba/` (its own
   lowering table, codegen, kernel cache, vector math, BLAS).
9. function - `@function`: tracing, signatures, trace cache, retrace explanations; drives the
   passes and a backend; `autograph`, `module` (tf.Module), `graph_def`.
10. applications - `keras`, `viz`, `data`, `distribute`, `checkpoint`, `saved_model`,
   `debugging`, `summary`.
"""
from .lazy import PausedGC as _PausedGC
_IMPORTING = _PausedGC()     # no garbage collection while the package imports (lazy.PausedGC)

import builtins as _builtins
import sys as _sys
import warnings as _warnings
import collections as _collections
import contextlib as _contextlib
import types as _types

# TF's ops never warn about inf/nan results: numpy's floating-point RuntimeWarnings raised
# inside graphflow's own code (sqrt(0)'s gradient, log(0), an overflowing exp) stay silent.
# A filter costs nothing per op, unlike np.errstate around each call (~8 us).
_warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"graphflow(\.|$)")

from . import dtypes
from .lazy import lazy_attributes as _lazy_attributes, Namespace as _Namespace
from .lazy import register_namespaces as _register_namespaces
from .dtypes import (DType, as_dtype, bool, double, float16, float32, float64, half, int8, int16,
                     int32, int64, uint8)
from .errors import DeadlineExceededError, InvalidArgumentError, OpError
from . import errors as _errors_mod
from .tensor import Tensor, TensorShape, TensorSpec, Variable, constant, convert_to_tensor, is_tensor
from .tensor import VariableAggregation, VariableSynchronization
from .tape import GradientTape
from .state import name_scope
from . import autodiff
from .ops import math_ops as _m, shape_ops as _s, nn_ops as _nn, random_ops as _r, creation as _c
from .ops import conv_ops as _cv
from .ops import conv3d_ops as _c3   # 3-D / N-D pooling / morphology (compositions)
from .ops import image_ops as _im
from .ops import array_ops as _a, linalg_ops as _la
from .ops import segment_ops as _seg, special_ops as _sp
from .ops.array_ops import (argsort, boolean_mask, einsum, foldl, gather_nd, map_fn, meshgrid, pad,
                            repeat, reverse, roll, scan, scatter_nd, sequence_mask, slice, sort,
                            tensor_scatter_nd_add, tensor_scatter_nd_update, tensordot, unique,
                            vectorized_map)
from .ops.math_ops import add_n, atan, ceil, cosh, expm1, sinh, tan
from .ops.math_ops import (abs, add, argmax, argmin, cast, clip_by_value, cos, divide, equal, exp,
                           floor, floordiv, greater, greater_equal, identity, less, less_equal, log,
                           logical_and, logical_not, logical_or, matmul, maximum, minimum, mod,
                           multiply, negative, not_equal, ones_like, pow, reduce_all, reduce_any,
                           reduce_logsumexp, reduce_max, reduce_mean, reduce_min, reduce_prod,
                           reduce_std, reduce_sum, reduce_variance, round, rsqrt, sigmoid, sign, sin,
                           sqrt, square, squared_difference, stop_gradient, subtract, tanh, truediv,
                           where, zeros_like)
from .ops.shape_ops import (broadcast_to, concat, expand_dims, gather, one_hot, rank, reshape, shape,
                            size, split, squeeze, stack, tile, transpose, unstack)
from .ops.creation import eye, fill, linspace, ones, range, zeros
from .ops.registry import OPS
from .function import Function, function
from .function import VISUALIZERS as _VISUALIZERS
from . import autograph
from .autograph import TensorArray
from .module import Module, executing_eagerly, init_scope
from .control_flow import cond, gradients, print, while_loop
from .custom_gradient import custom_gradient
from .py_func import numpy_function, py_function
from .api_extras import UnconnectedGradients, ensure_shape, hessians
from .api_extras import case, group, no_op, recompute_grad, switch_case
from . import api_extras as _ax
from .ops import bitwise_ops as _bw
from .ops import special_functions as _sf
from .ops import matrix_functions as _mf
from . import linalg_operators as _lo
from . import core_extras as _ce
from . import types_api as _ty
from .function import ConcreteFunction as _ConcreteFunction
from .ops import ctc_ops as _ctc
from .ops import sampled_losses as _sampled, space_batch as _space_batch
from . import compat_api as _compat
from .edit_distance import edit_distance
from . import audio   # (defines ops decode_wav/encode_wav: the op table is whole at import)
from . import nest_api as nest  # tf.nest (TF's functions)
from . import strings_unicode as _stru   # (`from . import strings` inside: before the namespace)
# (imported here, before the namespace `lookup` below: a later first import of graphflow.lookup
# would set the package's attribute `lookup` to the module; so for edit_distance's function)
from . import lookup as _lookup
from .ops import misc_ops as _mo, signal_ops as _sig, image_extra_ops as _imx  # (define ops)
from .dtypes import uint16, uint32, uint64
from .ops import complex_ops as _cx
from .ops.complex_ops import abs, complex  # noqa: A001 (complex-aware abs)
from .dtypes import complex64, complex128
from .graph import verify
from .function import functions_run_eagerly as _fre, run_functions_eagerly as _rfe
from . import debugging  # tf.debugging: check_numerics (an op of the table), assert_*
from . import ragged as _rg, sparse, strings as _str  # string, ragged and sparse tensors (eager)
from .ragged import RaggedTensor
from .sparse import SparseTensor
from .dtypes import string
from . import io  # tf.io: files, TFRecords, tf.train.Example parsing, CSV (defines op read_file)
from .io import proto as _proto


# the application subpackages are imported at first use (`tf.keras`, `tf.data`, ...; PEP 562):
# `import graphflow` then costs numpy and graphflow's core only (see graphflow.lazy)
__getattr__, __dir__ = _lazy_attributes(globals(), submodules=(
    "data",          # tf.data: Dataset pipelines
    "keras",         # tf.keras: layers, models, losses, optimizers, metrics, ...
    "distribute",    # tf.distribute: data-parallel training over MPI
    "summary",       # tf.summary: TensorBoard event files
    "saved_model",   # tf.saved_model: save/load a Module's variables and traced graphs
    "viz",           # graph visualizer (ConcreteFunction.visualize imports it: see below)
    "experimental", "sets"),
    table={           # type specs of composite values, defined beside tf.data's element specs
        "RaggedTensorSpec": lambda: _structure().RaggedTensorSpec,
        "SparseTensorSpec": lambda: _structure().SparseTensorSpec,
        "type_spec_from_value": lambda: _structure().spec_of,
        "test": lambda: _import("graphflow.test_util"),   # tf.test (unittest-based)
        "tuple": lambda: _import("graphflow.core_extras").tuple,   # (not the builtin here)
        "IndexedSlices": lambda: _import("graphflow.indexed_slices").IndexedSlices,
        # TF 2's aliases of the Keras modules
        **{_n: (lambda _n=_n: getattr(_import("graphflow.keras"), _n)) for _n in (
            "optimizers", "losses", "metrics", "initializers")}})


def _structure():
    import importlib
    return importlib.import_module("graphflow.data.structure")


def _import(name):
    import importlib
    return importlib.import_module(name)


def _visualize_on_first_use(cf, **kw):
    """`ConcreteFunction.visualize` / `_repr_html_` before graphflow.viz is imported: importing
    it registers the real visualizer (last in VISUALIZERS), which then draws."""
    _import("graphflow.viz")
    return _VISUALIZERS[-1](cf, **kw)


_VISUALIZERS.append(_visualize_on_first_use)


newaxis = None
__version__ = "2.21.0"   # the TensorFlow API version graphflow follows


def _namespace(name, **members):
    return _Namespace(name, **members)   # (lazy.Namespace: members may be deferred)


def _members(module, names=None, **renamed):
    """A deferred group of namespace members (`Namespace.defer`): {name: attribute of
    graphflow.`module`} for `names` (default: its `__all__`) and {new name: attribute} for
    `renamed`; the module is imported when the group is first needed."""
    def make():
        m = _import(f"graphflow.{module}")
        out = {n: getattr(m, n) for n in (m.__all__ if names is None else names)}
        out.update({n: getattr(m, a) for n, a in renamed.items()})
        return out
    return make


math = _namespace(
    "math", abs=abs, add=add, argmax=argmax, argmin=argmin, cos=cos, divide=divide, equal=equal,
    erf=_m.erf, exp=exp, floor=floor, floordiv=floordiv, floormod=_m.mod, greater=greater,
    greater_equal=greater_equal, less=less, less_equal=less_equal, log=log, log1p=_m.log1p,
    logical_and=logical_and, logical_not=logical_not, logical_or=logical_or, maximum=maximum,
    minimum=minimum, mod=mod, multiply=multiply, negative=negative, not_equal=not_equal, pow=pow,
    reciprocal=_m.reciprocal, reduce_all=reduce_all, reduce_any=reduce_any,
    reduce_logsumexp=reduce_logsumexp, reduce_max=reduce_max, reduce_mean=reduce_mean,
    reduce_min=reduce_min, reduce_prod=reduce_prod, reduce_std=reduce_std, reduce_sum=reduce_sum,
    reduce_variance=reduce_variance, round=round, rsqrt=rsqrt, sigmoid=sigmoid, sign=sign, sin=sin,
    softplus=_m.softplus, sqrt=sqrt, square=square, squared_difference=squared_difference,
    subtract=subtract, tanh=tanh, truediv=truediv,
    expm1=_m.expm1, atan=_m.atan, atan2=_m.atan2, tan=_m.tan, sinh=_m.sinh, cosh=_m.cosh,
    ceil=_m.ceil, log_sigmoid=_m.log_sigmoid, is_nan=_m.is_nan, is_inf=_m.is_inf,
    is_finite=_m.is_finite, xlogy=_m.xlogy, divide_no_nan=_m.divide_no_nan,
    logical_xor=_m.logical_xor, add_n=_m.add_n, reduce_euclidean_norm=_m.reduce_euclidean_norm,
    cumsum=_a.cumsum, cumprod=_a.cumprod, top_k=_a.top_k, log_softmax=_nn.log_softmax,
    softsign=_nn.softsign, rint=round, real=_cx.real, imag=_cx.imag, conj=_cx.conj,
    angle=_cx.angle)
nn = _namespace(
    "nn", relu=_m.relu, relu6=_nn.relu6, leaky_relu=_nn.leaky_relu, elu=_nn.elu, gelu=_nn.gelu,
    silu=_nn.silu, swish=_nn.swish, sigmoid=sigmoid, tanh=tanh, softplus=_m.softplus,
    softmax=_nn.softmax, log_softmax=_nn.log_softmax, l2_loss=_nn.l2_loss, bias_add=_nn.bias_add,
    moments=_nn.moments, softmax_cross_entropy_with_logits=_nn.softmax_cross_entropy_with_logits,
    sparse_softmax_cross_entropy_with_logits=_nn.sparse_softmax_cross_entropy_with_logits,
    sigmoid_cross_entropy_with_logits=_nn.sigmoid_cross_entropy_with_logits,
    conv1d=_cv.conv1d, conv2d=_cv.conv2d, depthwise_conv2d=_cv.depthwise_conv2d,
    separable_conv2d=_cv.separable_conv2d, conv2d_transpose=_cv.conv2d_transpose,
    conv1d_transpose=_cv.conv1d_transpose, max_pool=_cv.max_pool,
    max_pool1d=_cv.max_pool1d, max_pool2d=_cv.max_pool2d, avg_pool=_cv.avg_pool,
    avg_pool1d=_cv.avg_pool1d, avg_pool2d=_cv.avg_pool2d,
    selu=_nn.selu, softsign=_nn.softsign, l2_normalize=_nn.l2_normalize,
    embedding_lookup=_nn.embedding_lookup, batch_normalization=_nn.batch_normalization,
    dropout=_nn.dropout, log_sigmoid=_m.log_sigmoid, top_k=_a.top_k)
image = _namespace("image", resize=_im.resize, ResizeMethod=_im.ResizeMethod,
                   flip_left_right=_im.flip_left_right, flip_up_down=_im.flip_up_down,
                   transform=_im.transform)
random = _namespace("random", normal=_r.normal, uniform=_r.uniform, set_seed=_r.set_seed,
                    truncated_normal=_r.truncated_normal)


def _matrix_transpose(a, name=None):
    a = convert_to_tensor(a)
    return transpose(a, list(_builtins.range(a.ndim - 2)) + [a.ndim - 1, a.ndim - 2])


norm = _la.norm


linalg = _namespace("linalg", norm=norm, matmul=matmul, matrix_transpose=_matrix_transpose, eye=eye,
                    inv=_la.inv, det=_la.det, solve=_la.solve, cholesky=_la.cholesky,
                    trace=_la.trace, einsum=einsum, tensordot=tensordot)
# special functions, segment reductions, decompositions (issue 10)
math.__dict__.update(
    lgamma=_sp.lgamma, digamma=_sp.digamma, polygamma=_sp.polygamma, erfc=_sp.erfc,
    erfinv=_sp.erfinv, zeta=_sp.zeta, segment_sum=_seg.segment_sum, segment_mean=_seg.segment_mean,
    segment_max=_seg.segment_max, segment_min=_seg.segment_min,
    unsorted_segment_sum=_seg.unsorted_segment_sum, unsorted_segment_mean=_seg.unsorted_segment_mean,
    unsorted_segment_max=_seg.unsorted_segment_max, unsorted_segment_min=_seg.unsorted_segment_min,
    bincount=_seg.bincount, segment_prod=_seg.segment_prod,
    unsorted_segment_prod=_seg.unsorted_segment_prod)
searchsorted = _seg.searchsorted
linalg.__dict__.update(eigh=_la.eigh, eigvalsh=_la.eigvalsh, svd=_la.svd,
                       triangular_solve=_la.triangular_solve, diag=_la.diag,
                       diag_part=_la.diag_part, set_diag=_la.set_diag, band_part=_la.band_part,
                       adjoint=_la.adjoint, matvec=_la.matvec, logdet=_la.logdet,
                       slogdet=_la.slogdet, cholesky_solve=_la.cholesky_solve, lstsq=_la.lstsq,
                       pinv=_la.pinv, cross=_la.cross, global_norm=_la.global_norm,
                       l2_normalize=_nn.l2_normalize, qr=_la.qr)
math.__dict__.update(asin=_m.asin, acos=_m.acos, asinh=_m.asinh, acosh=_m.acosh, atanh=_m.atanh,
                     count_nonzero=_m.count_nonzero, softmax=_nn.softmax,
                     l2_normalize=_nn.l2_normalize)
cumsum = _a.cumsum
strings = _namespace("strings", format=_str.string_format, **{
    n: getattr(_str, n) for n in _str.__all__ if n not in ("decode_raw", "string_format", "add")})
ragged = _namespace("ragged", constant=_rg.constant, map_flat_values=_rg.map_flat_values,
                    stack=_rg.stack, range=_rg.ragged_range, RaggedTensor=RaggedTensor,
                    boolean_mask=_rg.boolean_mask,
                    row_splits_to_segment_ids=_rg.segment_ids_of_splits,
                    segment_ids_to_row_splits=_rg.segment_ids_to_row_splits)
# ops that also take RaggedTensors (TF's dispatch for ragged arguments)
concat = _rg.dispatch(concat, _rg.concat)
gather = _rg.dispatch(gather, _rg.gather)
expand_dims, gather_nd = _rg.dispatch(expand_dims, _rg.expand_dims), _rg.dispatch(gather_nd,
                                                                                  _rg.gather_nd)
tile, reverse, map_fn = (_rg.dispatch(tile, _rg.tile), _rg.dispatch(reverse, _rg.reverse),
                         _rg.dispatch(map_fn, _rg.map_fn))
shape, size, rank = (_rg.dispatch(shape, _rg.shape), _rg.dispatch(size, _rg.size),
                     _rg.dispatch(rank, _rg.rank))
ones_like, zeros_like = _rg.like(ones_like), _rg.like(zeros_like)
add = _str.add   # strings are concatenated, as TF's tf.add
equal, not_equal = math.equal, math.not_equal = _str.equal, _str.not_equal  # strings compare too
# TF dispatches every elementwise op on RaggedTensors to their flat values
_RAGGED_BINARY = ("add", "subtract", "multiply", "divide", "truediv", "maximum", "minimum",
                  "equal", "not_equal", "greater", "less", "greater_equal", "less_equal", "pow",
                  "floordiv",
                  "floormod", "mod", "squared_difference", "logical_and", "logical_or",
                  "logical_xor", "atan2", "xdivy", "xlogy", "divide_no_nan")
_RAGGED_UNARY = ("square", "sqrt", "abs", "negative", "exp", "log", "cast", "sin", "cos", "tan",
                 "tanh", "sigmoid", "log1p", "expm1", "floor", "ceil", "round", "sign",
                 "reciprocal", "rsqrt", "logical_not", "is_nan", "is_inf", "is_finite", "erf",
                 "softplus", "asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh", "atanh",
                 "one_hot", "log_sigmoid")
for _name in _RAGGED_BINARY + _RAGGED_UNARY:
    _where = globals() if _name in globals() else math.__dict__ if _name in math.__dict__ \
        else None
    if _where is None:
        continue
    _fn = _rg.elementwise(_where[_name], binary=_name in _RAGGED_BINARY)
    for _ns in (globals(), math.__dict__):
        if _name in _ns:
            _ns[_name] = _fn
for _name in ("reduce_sum", "reduce_mean", "reduce_max", "reduce_min", "reduce_prod"):
    globals()[_name] = _rg.dispatch(globals()[_name], _rg.reduce(_name))
    math.__dict__[_name] = globals()[_name]
train = _namespace("train")   # object-based checkpoints (issue 10), imported at first use
train.defer(_members("checkpoint", ("Checkpoint", "CheckpointManager", "latest_checkpoint",
                                    "load_checkpoint", "list_variables", "CheckpointReader")))
train.__dict__.update({n: getattr(_proto, n) for n in (  # tf.train.Example and friends
    "Example", "SequenceExample", "Features", "Feature", "FeatureList", "FeatureLists",
    "BytesList", "FloatList", "Int64List")})
image.__dict__.update({n: getattr(io, n) for n in (  # image codecs (tf.io's, Pillow)
    "decode_png", "decode_jpeg", "decode_gif", "decode_bmp", "decode_image", "encode_png",
    "encode_jpeg", "extract_jpeg_shape", "is_jpeg")})
PhysicalDevice = _collections.namedtuple("PhysicalDevice", "name device_type")
LogicalDevice = _collections.namedtuple("LogicalDevice", "name device_type")


def device(device_name):
    """Device scope (`tf.device`): graphflow computes on the CPU, so any device name is accepted
    and ops run there (as TF with soft placement when the device is absent).

    >>> with device("GPU:0"):
    ...     (constant(2.0) * 3.0).numpy()
    np.float32(6.0)
    """
    return _contextlib.nullcontext()


def _list_devices(kind):
    def list_devices(device_type=None):
        """The devices graphflow computes on: one CPU (`tf.config.list_physical_devices`).

        >>> config.list_physical_devices("GPU")
        []
        """
        if device_type not in (None, "CPU"):
            return []
        return [kind("/physical_device:CPU:0" if kind is PhysicalDevice else
                     "/device:CPU:0", "CPU")]
    return list_devices


config = _namespace("config", run_functions_eagerly=_rfe, functions_run_eagerly=_fre,
                   list_physical_devices=_list_devices(PhysicalDevice),
                   list_logical_devices=_list_devices(LogicalDevice))
errors = _namespace("errors", InvalidArgumentError=InvalidArgumentError, OpError=OpError,
                    DeadlineExceededError=DeadlineExceededError)
errors.__dict__.update({n: getattr(_errors_mod, n) for n in (
    "NotFoundError", "DataLossError", "OutOfRangeError", "UnimplementedError")})
errors.__dict__.update({n: getattr(_errors_mod, n) for n in _errors_mod.ERROR_CODES + (
    "CancelledError", "UnknownError", "AlreadyExistsError", "PermissionDeniedError",
    "ResourceExhaustedError", "FailedPreconditionError", "AbortedError", "InternalError",
    "UnavailableError", "UnauthenticatedError", "OperatorNotAllowedInGraphError")})


def where(condition, x=None, y=None, name=None):
    """`tf.where`: select x/y by condition, or (no x/y) the coordinates of the True entries.

    >>> where(constant([False, True])).numpy()
    array([[1]])
    """
    if x is None and y is None:
        return _a.where_indices(condition)
    if any(isinstance(a, RaggedTensor) for a in (condition, x, y)):   # on the flat values
        return _rg.map_flat_values(_m.where, condition, x, y)
    return _m.where(condition, x, y)


def clip_by_norm(t, clip_norm, axes=None, name=None):
    """t scaled so its L2 norm (over `axes`) is at most clip_norm.

    >>> clip_by_norm(constant([3., 4.]), 1.).numpy()
    array([0.6, 0.8], dtype=float32)
    """
    t = convert_to_tensor(t)
    n = sqrt(reduce_sum(square(t), axes, keepdims=True))
    return t * clip_norm / maximum(n, clip_norm)


def clip_by_global_norm(t_list, clip_norm, use_norm=None, name=None):
    """(clipped list, global norm): every tensor scaled by clip_norm / max(global_norm, clip_norm).

    >>> c, n = clip_by_global_norm([constant([3.]), constant([4.])], 1.); float(n)
    5.0
    """
    ts = [None if t is None else convert_to_tensor(t) for t in t_list]
    gn = use_norm if use_norm is not None else sqrt(add_n([reduce_sum(square(t)) for t in ts if t is not None]))
    scale = clip_norm / maximum(gn, clip_norm)
    return [None if t is None else t * cast(scale, t.dtype) for t in ts], gn


# TF core API breadth (follow-up to issue 10): tf.signal, tf.random's samplers / stateless ops /
# Generator, and more tf.math, tf.nn and top-level functions
signal = _namespace("signal", **{_n: getattr(_sig, _n) for _n in _sig.__all__})
random.__dict__.update(
    categorical=_r.categorical, shuffle=_r.shuffle, gamma=_r.gamma, poisson=_r.poisson,
    stateless_normal=_r.stateless_normal, stateless_uniform=_r.stateless_uniform,
    stateless_truncated_normal=_r.stateless_truncated_normal,
    stateless_categorical=_r.stateless_categorical, stateless_binomial=_r.stateless_binomial,
    stateless_gamma=_r.stateless_gamma, stateless_poisson=_r.stateless_poisson,
    log_uniform_candidate_sampler=_r.log_uniform_candidate_sampler,
    uniform_candidate_sampler=_r.uniform_candidate_sampler,
    Generator=_r.Generator, Algorithm=_r.Algorithm, split=_r.stateless_split,
    fold_in=_r.stateless_fold_in, create_rng_state=_r.create_rng_state,
    get_global_generator=_r.get_global_generator, set_global_generator=_r.set_global_generator,
    experimental=_namespace("random.experimental", Generator=_r.Generator,
                            stateless_split=_r.stateless_split,
                            stateless_fold_in=_r.stateless_fold_in,
                            stateless_shuffle=_r.stateless_shuffle,
                            get_global_generator=_r.get_global_generator,
                            set_global_generator=_r.set_global_generator))
math.__dict__.update({_n: getattr(_mo, _n) for _n in (
    "polyval", "confusion_matrix", "in_top_k", "bessel_i0e", "bessel_i1e", "bessel_i0",
    "bessel_i1", "multiply_no_nan", "truncatediv", "truncatemod", "invert_permutation",
    "is_non_decreasing", "is_strictly_increasing", "lbeta", "xlog1py", "xdivy", "scalar_mul")})
image.__dict__.update({_n: getattr(_imx, _n) for _n in _imx.__all__})
nn.__dict__.update(weighted_cross_entropy_with_logits=_mo.weighted_cross_entropy_with_logits,
                   in_top_k=_mo.in_top_k)
nn.__dict__.update({_n: getattr(_mo, _n) for _n in (
    "compute_average_loss", "scale_regularization_loss", "depth_to_space", "space_to_depth",
    "crelu", "zero_fraction", "sufficient_statistics", "normalize_moments", "weighted_moments",
    "log_poisson_loss", "local_response_normalization")}, lrn=_mo.local_response_normalization,
    experimental=_namespace("nn.experimental", stateless_dropout=_mo.stateless_dropout))
nn.__dict__.update(convolution=_mo.convolution, atrous_conv2d=_mo.atrous_conv2d)
linalg.__dict__.update(normalize=_mo.normalize, matrix_rank=_mo.matrix_rank,
                       tensor_diag=_mo.tensor_diag, tensor_diag_part=_mo.tensor_diag_part)
math.__dict__.update(cumulative_logsumexp=_mo.cumulative_logsumexp, ndtri=_mo.ndtri,
                     accumulate_n=_mo.accumulate_n, erfcinv=_mo.erfcinv)
(reverse_sequence, broadcast_static_shape, broadcast_dynamic_shape, shape_n, unravel_index,
 dynamic_partition, dynamic_stitch, timestamp) = (
    _mo.reverse_sequence, _mo.broadcast_static_shape, _mo.broadcast_dynamic_shape, _mo.shape_n,
    _mo.unravel_index, _mo.dynamic_partition, _mo.dynamic_stitch, _mo.timestamp)
lookup = _namespace("lookup", **{_n: getattr(_lookup, _n) for _n in _lookup.__all__ if
                                 _n != "MutableHashTable"}, experimental=_namespace(
    "lookup.experimental", MutableHashTable=_lookup.MutableHashTable))
strings.__dict__.update({_n: getattr(_lookup, _n) for _n in _lookup.HASH_FUNCTIONS
                         if _n not in strings.__dict__})
fingerprint = _lookup.fingerprint
version = _namespace("version", VERSION=__version__, GIT_VERSION="graphflow",
                     COMPILER_VERSION="", GRAPH_DEF_VERSION=0)


def get_logger():
    """`tf.get_logger`: the "tensorflow" logger of Python's logging module (graphflow logs
    nothing there itself; tutorials call `tf.get_logger().setLevel("ERROR")`).

    >>> get_logger().name
    'tensorflow'
    """
    import logging      # (here: `import graphflow` does not need logging)
    return logging.getLogger("tensorflow")


def _no_effect(*args, **kwargs):
    """Accepted for TF code; graphflow computes on one CPU, deterministically, so these
    settings change nothing."""
    return None


config.__dict__.setdefault("experimental", _namespace("config.experimental"))
for _n in ("enable_op_determinism", "set_memory_growth", "set_visible_devices",
           "set_virtual_device_configuration", "set_synchronous_execution"):
    config.experimental.__dict__.setdefault(_n, _no_effect)
config.experimental.__dict__.setdefault("list_physical_devices", config.list_physical_devices)
config.experimental.__dict__.setdefault("get_memory_growth", lambda device: False)
for _n in ("set_visible_devices", "set_soft_device_placement",
           "set_logical_device_configuration"):
    config.__dict__.setdefault(_n, _no_effect)
config.__dict__.setdefault("get_visible_devices", config.list_physical_devices)


class _DeviceConfiguration:
    """`tf.config.LogicalDeviceConfiguration` / `experimental.VirtualDeviceConfiguration`:
    accepted (graphflow runs on one CPU and ignores device splits)."""

    def __init__(self, memory_limit=None, experimental_priority=None,
                 experimental_device_ordinal=None):
        self.memory_limit = memory_limit


def _profiler_context(*args, **kwargs):
    """`tf.profiler.experimental.Profile` / `Trace`: accepted; graphflow's profiler does not
    write TensorBoard profile data (see the visualizer's timings instead)."""
    return _contextlib.nullcontext()


profiler = _namespace("profiler", experimental=_namespace(
    "profiler.experimental", start=_no_effect, stop=_no_effect, Profile=_profiler_context,
    Trace=_profiler_context, ProfilerOptions=_collections.namedtuple(
        "ProfilerOptions", "host_tracer_level python_tracer_level device_tracer_level delay_ms",
        defaults=(2, 0, 1, None))))
config.__dict__.setdefault("LogicalDeviceConfiguration", _DeviceConfiguration)
config.experimental.__dict__.setdefault("VirtualDeviceConfiguration", _DeviceConfiguration)
(strided_slice, bitcast, histogram_fixed_width, histogram_fixed_width_bins, get_static_value,
 identity_n, unique_with_counts, tensor_scatter_nd_sub, tensor_scatter_nd_max,
 tensor_scatter_nd_min, truncatediv, truncatemod, invert_permutation, scalar_mul) = (
    _mo.strided_slice, _mo.bitcast, _mo.histogram_fixed_width, _mo.histogram_fixed_width_bins,
    _mo.get_static_value, _mo.identity_n, _mo.unique_with_counts, _mo.tensor_scatter_nd_sub,
    _mo.tensor_scatter_nd_max, _mo.tensor_scatter_nd_min, _mo.truncatediv, _mo.truncatemod,
    _mo.invert_permutation, _mo.scalar_mul)

# TF API gaps hit by the guides (round 6): tf.bitwise, tf.config.threading, tf.compat.v1.logging
bitwise = _namespace("bitwise", **{_n: getattr(_bw, _n) for _n in _bw.__all__})
config.threading = _namespace("config.threading", **{_n: getattr(_ax, _n) for _n in (
    "set_intra_op_parallelism_threads", "get_intra_op_parallelism_threads",
    "set_inter_op_parallelism_threads", "get_inter_op_parallelism_threads")})
compat = _namespace("compat", v1=_namespace("compat.v1", logging=_namespace("compat.v1.logging")))
compat.v1.logging.defer(_ax.v1_logging_members)
math.special = _namespace("math.special", **{_n: getattr(_sf, _n) for _n in _sf.__all__[:13]},
                          bessel_i0=_mo.bessel_i0, bessel_i0e=_mo.bessel_i0e,
                          bessel_i1=_mo.bessel_i1, bessel_i1e=_mo.bessel_i1e)
math.__dict__.update(igamma=_sf.igamma, igammac=_sf.igammac, betainc=_sf.betainc,
                     bessel_i0=_mo.bessel_i0, bessel_i0e=_mo.bessel_i0e)
linalg.__dict__.update({_n: getattr(_mf, _n) for _n in _mf.__all__})
image.__dict__.update({_n: getattr(_imx, _n) for _n in (
    "ssim", "ssim_multiscale", "rgb_to_yiq", "yiq_to_rgb", "rgb_to_yuv", "yuv_to_rgb",
    "crop_and_resize", "non_max_suppression_padded", "combined_non_max_suppression",
    "draw_bounding_boxes", "sample_distorted_bounding_box",
    "stateless_sample_distorted_bounding_box")})
linalg.__dict__.update({_n: getattr(_lo, _n) for _n in _lo.__all__})
linalg.__dict__["experimental"] = _namespace("linalg.experimental",
                                             conjugate_gradient=_lo.conjugate_gradient)
globals().update({_n: getattr(_ce, _n) for _n in _ce.__all__[:15] if _n != "tuple"})
AggregationMethod = _ce.AggregationMethod
train.ExponentialMovingAverage = _ce.ExponentialMovingAverage
math.__dict__.update({_n: getattr(_ce, _n) for _n in _ce.__all__[15:]},
                     zero_fraction=_mo.zero_fraction)
globals().update({_n: getattr(math, _n) for _n in ("acos", "acosh", "asin", "asinh", "atan2",
                                                   "atanh")})
linalg.defer(lambda: {_n: getattr(_import("graphflow.linalg_extras"), _n) for _n in
                      _import("graphflow.linalg_extras").__all__[:5]})
math.defer(_members("linalg_extras", ("nextafter", "sobol_sample")))
image.defer(_members("image_jpeg"))
train.defer(_members("checkpoint", ("load_variable",)))
types = _namespace("types", experimental=_namespace(
    "types.experimental", GenericFunction=Function, PolymorphicFunction=Function,
    ConcreteFunction=_ConcreteFunction, **{_n: getattr(_ty, _n) for _n in _ty.__all__}))
globals().update({_n: getattr(debugging, _n) for _n in ("assert_equal", "assert_greater",
                                                        "assert_less", "assert_rank")})
as_string = strings.as_string
config.optimizer = _namespace("config.optimizer")
for _ns, _n, _f in _ax.config_extras():   # settings TF guides call; recorded, no effect
    _where = config if not _ns else getattr(config, _ns)
    _where.__dict__[_n] = _f
config.experimental_run_functions_eagerly = config.run_functions_eagerly
nn.ctc_loss = _ctc.ctc_loss
# greedy / beam search decoders, collapse_repeated, unique
nn.defer(lambda: _members("ctc_decode", _import("graphflow.ctc_decode").__all__[:4])())
nn.__dict__.update({_n: getattr(_sampled, _n) for _n in _sampled.__all__},
                   log_uniform_candidate_sampler=_r.log_uniform_candidate_sampler,
                   uniform_candidate_sampler=_r.uniform_candidate_sampler,
                   space_to_batch=_space_batch.space_to_batch_nd)
nn.defer(_members("sparse_embedding"))
nn.defer(_members("nn_compat"))
space_to_batch = space_to_batch_nd = _space_batch.space_to_batch_nd
# small names code reaches for (compat helpers, aliases TF keeps at the top level)
compat.__dict__.update({_n: getattr(_compat, _n) for _n in (
    "as_bytes", "as_text", "as_str", "as_str_any", "path_to_str", "dimension_value",
    "dimension_at_index", "forward_compatible", "forward_compatibility_horizon",
    "bytes_or_text_types", "complex_types", "integral_types", "real_types")})
debugging.__dict__.update({_n: getattr(_compat, _n) for _n in (
    "enable_traceback_filtering", "disable_traceback_filtering",
    "is_traceback_filtering_enabled")})
dtypes.saturate_cast = _compat.saturate_cast
guarantee_const = _compat.guarantee_const
Assert = debugging.Assert
eig, eigvals, matrix_square_root = linalg.eig, linalg.eigvals, linalg.sqrtm
fftnd, ifftnd, rfftnd, irfftnd = signal.fftnd, signal.ifftnd, signal.rfftnd, signal.irfftnd
config.experimental_functions_run_eagerly = _fre
version.GRAPH_DEF_VERSION_MIN_CONSUMER = version.GRAPH_DEF_VERSION_MIN_PRODUCER = 0
batch_to_space = _space_batch.batch_to_space
required_space_to_batch_paddings = _space_batch.required_space_to_batch_paddings
nn.__dict__.update({_n: getattr(_c3, _n) for _n in (
    "conv3d", "conv3d_transpose", "max_pool3d", "avg_pool3d", "pool", "max_pool_with_argmax",
    "dilation2d", "erosion2d", "fractional_max_pool", "fractional_avg_pool")})
strings.__dict__.update({_n: getattr(_stru, _n) for _n in _stru.__all__})


def _v1_members():
    """tf.compat.v1's members (built from the whole package at first use)."""
    root = _sys.modules[__name__]
    for _ns in (nn, train):
        _ns.resolve()
    v1, v1_nn, v1_train = _compat.v1_members(root)
    return dict(v1, nn=_namespace("compat.v1.nn", **v1_nn),
                train=_namespace("compat.v1.train", **v1_train))


compat.v1.defer(_v1_members)
_register_namespaces(_sys.modules[__name__])   # `from tensorflow.random import gamma`
_IMPORTING.end(freeze=True)   # the package's objects: never scanned again
