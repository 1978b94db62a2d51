"""The numba backend's lowering table: the scalar expression each fusable op becomes.

Semantics live in the op table (`graphflow.ops.registry`); this table only says how this
backend computes one element. `{0}`, `{1}`, ... are the inputs' scalar values; `C(x)` is a
constant of the node's compute dtype; names like `exp(...)`, `max_(...)` are resolved per dtype
by `funcs_for` below (vectorizable float32 implementations from `vmath`, float64 exp/tanh/log/log1p);
`{dtype}` and other `{name}` fields are the node's attributes (strings as they are, numbers as
literals). An op absent here runs on numpy.

Adding a fusable op is one line here (its semantics are one entry in the op table).
"""
import numpy as np

#: op name -> scalar expression template
SCALAR = {
    # unary
    "negative": "(-{0})", "abs": "abs_({0})", "sign": "sign({0})", "sqrt": "sqrt({0})",
    "rsqrt": "(C(1) / sqrt({0}))", "exp": "exp({0})", "log": "log({0})", "log1p": "log1p({0})",
    "tanh": "tanh({0})", "sigmoid": "sigmoid({0})", "softplus": "softplus({0})",
    "relu": "max_({0}, C(0))", "erf": "erf({0})", "sin": "sin({0})", "cos": "cos({0})",
    "floor": "floor({0})", "round": "round_({0})", "expm1": "expm1({0})", "atan": "atan({0})",
    # binary
    "add": "({0} + {1})", "subtract": "({0} - {1})", "multiply": "({0} * {1})",
    "divide": "({0} / {1})", "floordiv": "floordiv({0}, {1})", "mod": "mod_({0}, {1})",
    "pow": "pow_({0}, {1})", "maximum": "max_({0}, {1})", "minimum": "min_({0}, {1})",
    "atan2": "atan2({0}, {1})",
    # comparisons and logic
    "equal": "({0} == {1})", "not_equal": "({0} != {1})", "less": "({0} < {1})",
    "less_equal": "({0} <= {1})", "greater": "({0} > {1})", "greater_equal": "({0} >= {1})",
    "logical_and": "({0} and {1})", "logical_or": "({0} or {1})", "logical_not": "(not {0})",
    # selection, conversion, copies
    "where": "({1} if {0} else {2})", "cast": "np.{dtype}({0})", "identity": "{0}",
    "stop_gradient": "{0}", "zeros_like": "C(0)", "ones_like": "C(1)",
    # broadcast_to reads its input with broadcasting; one_hot compares its index with the
    # column (`IDX`, see INDEXED)
    "broadcast_to": "{0}",
    "one_hot": "(C({on}) if {0} == IDX else C({off}))",
    # a scan (op fact `scan_of`): the code generator keeps a running value along the innermost
    # loop (see SCANS); the template is the element it adds
    "cumsum": "{0}", "cumprod": "{0}",
}

#: scan op -> the operator combining its running value with each element (`codegen.generate`)
SCANS = {"cumsum": "+", "cumprod": "*"}
#: scan op -> its identity: the running value's start and an exclusive scan's first entry
SCAN_IDENTITY = {"cumsum": 0, "cumprod": 1}

#: op name -> output axis whose loop index the template reads as `IDX`. The op's input lacks
#: that axis (the kernel reads it broadcast along it), and the op computes in its output dtype
#: (`C(...)` constants, e.g. one_hot's on/off values, have the output's type).
INDEXED = {"one_hot": -1}

#: ops this backend computes with its own hand-written kernels instead of the op table's numpy
#: impl (module `conv`: im2col/col2im + BLAS convolutions, max pooling; `conv.runner(node)`),
#: each with the name of the conv runner that builds them
KERNELS = {"conv2d": "conv2d", "conv2d_backprop_input": "backprop_input",
           "conv2d_backprop_filter": "backprop_filter", "max_pool2d": "max_pool",
           "max_pool2d_grad": "max_pool_grad", "max_pool2d_gather": "max_pool_gather"}

#: of those, the ops whose runner offers `.fused`: the plan runs a cluster's epilogue per batch
#: chunk of the anchor, on the thread that computed the chunk (see `conv.runner`)
FUSED_EPILOGUE = frozenset(["conv2d", "conv2d_backprop_input", "max_pool2d_grad"])

#: Relative cost of one element (transcendental ops weigh 8): decides when a loop is worth
#: running on all cores.
HEAVY = frozenset(["exp", "log", "log1p", "tanh", "sigmoid", "softplus", "erf", "sin", "cos",
                   "pow", "mod", "floordiv", "sqrt", "rsqrt", "divide",
                   "expm1", "atan", "atan2"])


def template(op):
    """The scalar template of `op`, or None if this backend does not fuse it."""
    return SCALAR.get(op)


#: template function name -> implementation, by the dtype the node computes in
_COMMON = {
    "abs_": "np.abs", "sign": "np.sign", "sqrt": "np.sqrt", "sin": "np.sin", "cos": "np.cos",
    "floor": "np.floor", "round_": "np.rint", "max_": "max_", "min_": "min_",
    "mod_": "np.remainder", "pow_": "np.power", "floordiv": "np.floor_divide",
    "expm1": "np.expm1", "atan": "np.arctan", "atan2": "np.arctan2",
}
FUNCS_F32 = dict(_COMMON, mod_="fmod_", sign="sign_f32", exp="exp_f32", log="log_f32", log1p="log1p_f32", tanh="tanh_f32",
                 sigmoid="sigmoid_f32", softplus="softplus_f32", erf="erf_f32",
                 floordiv="floordiv_f32")
FUNCS_F64 = dict(_COMMON, mod_="fmod_", sign="sign_f64", exp="exp_f64", log="log_f64",
                 log1p="log1p_f64", tanh="tanh_f64",
                 sigmoid="sigmoid_f64", softplus="softplus_f64", erf="erf_f64",
                 floordiv="floordiv_f64")
FUNCS_INT = dict(FUNCS_F64, floordiv="np.floor_divide", pow_="ipow_", mod_="np.remainder",
                 sign="np.sign")


def funcs_for(dtype):
    """The template-name -> implementation map for nodes computing in `dtype`."""
    return {"float32": FUNCS_F32, "float64": FUNCS_F64}.get(np.dtype(dtype).name, FUNCS_INT)
