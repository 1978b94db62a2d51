"""Generate the Python source of one fused loop kernel from a `KernelSpec`.

Pure Python (no numba import): the source text is also the kernel's structural cache key. It
depends on the op DAG, dtypes, the collapsed loop rank, the broadcast pattern of every operand and
the reduced axes - never on shapes: extents are the kernel's first arguments, so one compiled
kernel serves every batch size.

Layout of a generated kernel (see `KernelSpec`)::

    @numba.njit(error_model='numpy', fastmath=EXACT_KERNEL_FLAGS, cache=True, nogil=True)
    def kernel(n0, n1, a0, s1, o0, r0):      # extents, operands, outputs, reduction outputs
        for i0 in range(n0):
            x0 = a0[i0, 0]                   # loads and loop-invariant math hoisted per level
            acc0 = np.float64(0.0)           # reduction over the trailing axes
            for i1 in range(n1):
                v0 = np.float32(tanh_f32(...))
                o0[i0, i1] = v0
                acc0 = radd_(acc0, np.float64(v0))  # (reorderable: vectorizes)
            r0[i0, 0] = np.float32(acc0)

Arg reductions (argmax/argmin over the last loop dim) make two vectorized passes per row (the
best key, then the first index holding its value: `_arg_second_pass`); a scan (cumsum,
`lowering.SCANS`) keeps a running value `sc<j>` reset before its loop dim - a scalar along the
innermost dim, else a row over the dims inside it (`sc<j>[q<j>]`; a reversed scan runs its dim
from the end, `i<k> = n<k> - 1 - j<k>`); a
non-trailing reduction that keeps the outermost dim writes (n0, rest) outputs (`outer_kept`), so
the plan chunks it like an elementwise loop.
"""
import re

import numpy as np

from .lowering import FUNCS_F32, HEAVY, SCAN_IDENTITY, SCANS, funcs_for, template as template_of
from .streams import interleave

CODEGEN_VERSION = "gf-codegen-9"

_NAME_RE = re.compile(r"(?<![\w.])(" + "|".join(sorted(FUNCS_F32, key=len, reverse=True))
                      + r"|C)\(")

PARALLEL_MIN_ELEMENTS = 200_000     # below this, splitting a loop costs more than it saves
PARALLEL_MIN_WORK = 4_000_000       # elements x op weight: memory-bound loops need more

def worth_parallel(ops, size):
    """Running a loop on all cores pays off for big loops with enough arithmetic per element
    (transcendental ops weigh 8): a 200k-element `w - lr * g` is memory bound, faster serial."""
    if size < PARALLEL_MIN_ELEMENTS:
        return False
    work = sum(8 if op in HEAVY else 1 for op in ops)
    return size * work >= PARALLEL_MIN_WORK


def np_type(dtype):
    """Source text of the numpy scalar type, e.g. 'np.float32'."""
    name = np.dtype(dtype).name
    return "np.bool_" if name == "bool" else f"np.{name}"


class Operand:
    """A kernel input: 'a' (array, indexed with its broadcast pattern) or 's' (a scalar).

    offsets: per loop dim, a constant added to the loop index (a slice of a bigger array read
    in place: `x[:, 512:]` is read as `a0[i0, i1 + 512]` from x itself), or None.
    """
    __slots__ = ("kind", "dtype", "pattern", "offsets")

    def __init__(self, kind, dtype, pattern, offsets=None):
        self.kind, self.dtype, self.pattern = kind, np.dtype(dtype).name, tuple(pattern)
        self.offsets = tuple(offsets) if offsets is not None and any(offsets) else None

    def index(self):
        """The index expression of an array operand inside the loop nest."""
        offs = self.offsets or (0,) * len(self.pattern)
        return ", ".join((f"i{k} + {o}" if o else f"i{k}") if p else "0"
                         for k, (p, o) in enumerate(zip(self.pattern, offs)))


class KNode:
    """One fused op: `args` are ('in', operand index) or ('v', node index)."""
    __slots__ = ("op", "args", "attrs", "dtype", "cdtype")

    def __init__(self, op, args, attrs, dtype, cdtype):
        self.op, self.args, self.attrs = op, tuple(args), attrs
        self.dtype, self.cdtype = np.dtype(dtype).name, np.dtype(cdtype).name


class KReduction:
    """A reduction epilogue: combine `arg` (('v', j) or ('in', i)) with `kind` into an output.
    `src`: the dtype of the reduced values (an arg reduction's output dtype is its index's)."""
    __slots__ = ("kind", "arg", "dtype", "src")

    def __init__(self, kind, arg, dtype, src=None):
        self.kind, self.arg, self.dtype = kind, arg, np.dtype(dtype).name
        self.src = np.dtype(src if src is not None else dtype).name


class KernelSpec:
    """Everything the generated source depends on.

    ndim        rank of the collapsed loop nest (>= 1)
    reduced     tuple of bools per loop dim (True = reduced) or None without reductions
    operands    [Operand]; patterns: True where the operand varies along that loop dim
    nodes       [KNode] in topological order
    outputs     indices into nodes of the full-domain values written out
    reductions  [KReduction]; their outputs have extent 1 on reduced dims (keepdims layout)
    row_outputs ('v', j) / ('r', k) values computed once per row (row members of the cluster,
                see passes.fusion), written like reduction outputs after them
    parallel    numba.prange over the outermost loop (the plan runs big loops in chunks on
                its own thread pool instead, so it passes False)
    columns     [KReduction] float sums over the kept (outer) dims of a row kernel, added up in
                its last pass over each row (passes.fusion.column_join); each is a flat output
                over the reduced (inner) dims holding the sum of the rows this call ran
    """

    def __init__(self, ndim, reduced, operands, nodes, outputs, reductions, parallel,
                 row_outputs=(), row_dtypes=(), columns=()):
        self.ndim, self.reduced = ndim, reduced
        self.operands, self.nodes = operands, nodes
        self.outputs, self.reductions = list(outputs), list(reductions)
        self.parallel = parallel
        self.row_outputs = list(row_outputs)
        self.row_dtypes = [np.dtype(t).name for t in row_dtypes]
        self.columns = list(columns)

    def arg_types(self):
        """[('i',) extent | ('a', dtype, ndim, readonly) | ('s', dtype)] in argument order."""
        ts = [("i",)] * self.ndim
        for o in self.operands:
            ts.append(("a", o.dtype, self.ndim, True) if o.kind == "a" else ("s", o.dtype))
        ts += [("a", self.nodes[j].dtype, self.ndim, False) for j in self.outputs]
        rnd = self.ndim if trailing_reduction(self) else 2 if outer_kept(self) else 1
        ts += [("a", r.dtype, rnd, False) for r in self.reductions]
        ts += [("a", t, self.ndim, False) for t in self.row_dtypes]
        ts += [("a", c.dtype, 1, False) for c in self.columns]
        return ts


# ------------------------------------------------------------------------------- reductions
def _keyed(kind, dtype):
    """float max/min: a scalar accumulator runs on floats (`init_stmt`); an array one reduces
    integer keys (rt.maxkey_f32 ...): they vectorize, NaN still wins."""
    return kind in ("max", "min") and np.dtype(dtype).name in ("float32", "float64")


def _acc_dtype(kind, dtype):
    k = np.dtype(dtype).kind
    if kind in ("sum", "prod"):
        return "float64" if k == "f" else ("uint64" if k == "u" else "int64")
    if _keyed(kind, dtype):
        return "int32" if np.dtype(dtype).itemsize == 4 else "int64"
    return np.dtype(dtype).name


def _init(kind, acc, dtype=None):
    dt = np.dtype(acc)
    if dtype is not None and _keyed(kind, dtype):
        inf = "-np.inf" if kind == "max" else "np.inf"
        sfx = "f32" if np.dtype(dtype).itemsize == 4 else "f64"
        return f"{kind}key_{sfx}({np_type(dtype)}({inf}))"
    if kind == "sum":
        # +0.: numpy's float sums start from the identity 0. (a sum of -0.s is +0.)
        v = "0.0" if dt.kind == "f" else "0"
    elif kind == "prod":
        v = "1"
    elif dt.kind == "f":
        v = "-np.inf" if kind == "max" else "np.inf"
    else:
        info = np.iinfo(dt)
        v = str(info.min if kind == "max" else info.max)
    return f"{np_type(acc)}({v})"


def _combine(kind, acc, acc_dtype, val, dtype=None):
    # a float sum/product accumulates with vmath.radd_/rmul_: the only reorderable (so
    # vectorizable) instructions of a kernel compiled with the exact flags (see `_header`)
    fl = np.dtype(acc_dtype).kind == "f"
    if kind == "sum":
        return (f"radd_({acc}, {np_type(acc_dtype)}({val}))" if fl else
                f"{acc} + {np_type(acc_dtype)}({val})")
    if kind == "prod":
        return (f"rmul_({acc}, {np_type(acc_dtype)}({val}))" if fl else
                f"{acc} * {np_type(acc_dtype)}({val})")
    if dtype is not None and _keyed(kind, dtype):
        sfx = "f32" if np.dtype(dtype).itemsize == 4 else "f64"
        return f"k{kind}_({acc}, {kind}key_{sfx}({val}))"
    return f"{'max_' if kind == 'max' else 'min_'}({acc}, {val})"


#: +inf's bits per float dtype: `vmath.nanbits_` above them means a NaN was seen
NAN_BITS_ABOVE = {"float32": 0x7F800000, "float64": 0x7FF0000000000000}


# A float max/min (or an arg reduction's best value) over a scalar accumulator `acc<k>` runs on
# floats, with vmath.fmax_nn/fmin_nn (a select LLVM turns into vmaxps/vminps: 3 instructions per
# 16 values with the NaN test, vs 7 reducing integer keys) and `nan<k>`, the running max of the
# values' |bits| (vmath.nanbits_), checked once after the loop: above +inf's bits a value was
# NaN (the result is then NaN, as numpy's).
# Array accumulators (`acc<k>[q]`, non-trailing reductions) keep the integer keys.
def init_stmt(k, r, acc_dt, name="acc"):
    """The statement(s) starting scalar accumulator `<name><k>` of reduction `r`."""
    if _keyed(r.kind, r.dtype) or (is_arg(r.kind) and np.dtype(r.src).kind == "f"):
        big = "-np.inf" if r.kind in ("max", "argmax") else "np.inf"
        return (f"{name}{k} = {np_type(r.src)}({big}); "
                f"nan{k} = np.{'int32' if np.dtype(r.src).itemsize == 4 else 'int64'}(0)")
    return f"{name}{k} = {arg_init(r) if is_arg(r.kind) else _init(r.kind, acc_dt, r.dtype)}"


def combine_stmt(k, r, acc_dt, val, name="acc"):
    """The statement(s) folding value `val` into scalar accumulator `<name><k>`."""
    if _keyed(r.kind, r.dtype) or (is_arg(r.kind) and np.dtype(r.src).kind == "f"):
        pick = "fmax_nn" if r.kind in ("max", "argmax") else "fmin_nn"
        acc = f"{name}{k}"
        return (f"{acc} = {pick}({np_type(r.src)}({val}), {acc}); "
                f"nan{k} = nanbits_(nan{k}, {np_type(r.src)}({val}))")
    if is_arg(r.kind):
        return (f"{name}{k} = {'kmax_' if r.kind == 'argmax' else 'kmin_'}({name}{k}, "
                f"{arg_key(r, val)})")
    return f"{name}{k} = " + _combine(r.kind, f"{name}{k}", acc_dt, val, r.dtype)


def final_expr(k, r, name="acc"):
    """The value of scalar accumulator `<name><k>` after its loop (NaN if any value was)."""
    if _keyed(r.kind, r.dtype) or (is_arg(r.kind) and np.dtype(r.src).kind == "f"):
        return (f"{np_type(r.src)}(np.nan) if nan{k} > "
                f"{NAN_BITS_ABOVE[np.dtype(r.src).name]:#x} else {name}{k}")
    return _final(r.kind, r.dtype, f"{name}{k}")


#: float32 sums accumulate in float32 over blocks of this many values of the innermost loop,
#: each block's sum then added into a float64 accumulator. LLVM spreads a block over vectors
#: x 4: with AVX2's 8 lanes 32 partial sums of 16 sequential adds each, then a tree of 5
#: levels (AVX-512: 64 sums of 8), so the rounding error is at most ~(16 + 5) ulps of
#: sum(|x|) per block plus float64's, however long the row - within numpy's pairwise bound (8
#: partial sums over blocks of 128, then a tree) - with float32 lanes instead of float64 ones
#: (1.6x faster on an L2-resident row). (1024 gave AVX2 32 sequential adds: 2.06 ulps of a
#: 1000-value row of mean 1000 where numpy's pairwise sum had 1.34.)
SUM_BLOCK = 512
#: a column reduction (leading loop dims reduced) sums blocks of this many rows in float32,
#: each column's block sum then added into its float64 accumulator (numpy sums the rows of
#: x.sum(0) one by one in float32: its error grows with the number of rows, this one's with
#: COLUMN_BLOCK); the float32 row of partial sums stays in L1 (~1.4x faster at 16 MB)
COLUMN_BLOCK = 64


#: the vectorized part of a block is a multiple of this many values (>= LLVM's vector width
#: x interleave); the rest, fewer, are summed in a separate float32 block: LLVM's scalar
#: remainder loop would otherwise add them one by one to the block's (large) total
VECTOR_STEP = 128


def _sum_blocks(out, level, ind, baccs, accs, body):
    """Append to `out` (the module's line list) loop `level` of a trailing float32 sum in
    blocks (SUM_BLOCK): `body()` appends the loop body (adding into `baccs`) to `out`; it
    appears twice, for the vectorized part of the block and for the rest."""
    pad = "    " * ind
    out += [f"{pad}for c{level} in range((n{level} + {SUM_BLOCK - 1}) // {SUM_BLOCK}):",
            # (block and index counted from 0: numba indexes 16x slower with a range(b, e)
            # or range(0, n, step) index, which it cannot prove non-negative)
            f"{pad}    b{level} = c{level} * {SUM_BLOCK}",
            f"{pad}    m{level} = min({SUM_BLOCK}, n{level} - b{level})",
            f"{pad}    e{level} = m{level} - m{level} % {VECTOR_STEP}"]
    for loop in (f"range(e{level})", f"range(e{level}, m{level})"):
        out += [f"{pad}    {b} = np.float32(0.0)" for b in baccs]
        out += [f"{pad}    for j{level} in {loop}:", f"{pad}        i{level} = b{level} + j{level}"]
        body()
        out += [f"{pad}    {a} = {a} + np.float64({b})" for a, b in zip(accs, baccs)]


# ------------------------------------------------------------------ argmax / argmin
#: an arg reduction makes two vectorized passes over its row (in L1): the best key, then the
#: smallest index holding it (int32 indices: 16 lanes; fusion keeps longer axes on numpy)
ARG_NONE = 2**31 - 1


def is_arg(kind):
    return kind in ("argmax", "argmin")


def _arg_key_dtype(r):
    src = np.dtype(r.src)
    return src if src.kind != "b" else np.dtype("int8")


def arg_key(r, val):
    """The comparable key of a value of arg reduction `r` (floats: the order-preserving integer
    keys of max/min reductions, so NaN wins - numpy's argmax returns the first NaN)."""
    m, src = r.kind[3:], np.dtype(r.src)
    if src.kind == "f":
        return f"{m}key_{'f32' if src.itemsize == 4 else 'f64'}({val})"
    return f"{np_type(_arg_key_dtype(r))}({val})"


def arg_init(r):
    """The key no value beats (a row of only that value gives index 0, as numpy)."""
    m, src = r.kind[3:], np.dtype(r.src)
    if src.kind == "f":
        return arg_key(r, f"{np_type(src)}({'-np.inf' if m == 'max' else 'np.inf'})")
    info = np.iinfo(_arg_key_dtype(r))
    return f"{np_type(_arg_key_dtype(r))}({info.min if m == 'max' else info.max})"


def arg_better(r, a, b):
    """Source of 'key a beats key b' (strictly: ties keep the first)."""
    return f"{a} > {b}" if r.kind == "argmax" else f"{a} < {b}"


def arg_value_init(r):
    """The value no value beats (scalar arg reductions compare values, not keys)."""
    src = np.dtype(r.src)
    if src.kind == "f":
        return f"{np_type(src)}({'-np.inf' if r.kind == 'argmax' else 'np.inf'})"
    info = np.iinfo(_arg_key_dtype(r))
    return f"{np_type(src)}({(info.min if r.kind == 'argmax' else info.max) if src.kind != 'b' else int(r.kind == 'argmin')})"


def arg_value_better(r, a, b, vector=False):
    """'value a beats b' as numpy's argmax/argmin: strictly (ties keep the first, -0. ties
    0.), a NaN beats any number and the first NaN stays. `vector`: with bitwise operators
    (no short-circuit branches: the loop vectorizes)."""
    op = ">" if r.kind == "argmax" else "<"
    if np.dtype(r.src).kind != "f":
        return f"{a} {op} {b}"
    if vector:
        return f"(({a} {op} {b}) | (({a} != {a}) & ({b} == {b})))"
    return f"({a} {op} {b} or ({a} != {a} and {b} == {b}))"


def _blocked(kind, dtype):
    """float32 sums: accumulated blockwise in float32 (see SUM_BLOCK)."""
    return kind == "sum" and np.dtype(dtype).name == "float32"


def _final(kind, dtype, acc):
    """The reduction's value from its accumulator."""
    if _keyed(kind, dtype):
        return f"unkey_{'f32' if np.dtype(dtype).itemsize == 4 else 'f64'}({acc})"
    return f"{np_type(dtype)}({acc})"


def _arg_second_pass(out, level, ind, args, stmts, ref_of):
    """Append to `out` the second pass over loop `level` (the reduced last axis) of a kernel with
    arg reductions `args` [(k, KReduction)]: the first pass found the best `abest<k>` (a
    vectorized max/min: a float and its NaN flag, `init_stmt`; an integer key); this one recomputes the innermost values (`stmts`) and takes the
    smallest index whose value equals the best value (a vectorized min of `i if hit else BIG`):
    the first maximum wins, as numpy's (-0. equals 0. there; a NaN best: the first NaN)."""
    pad = "    " * ind

    def scan(k, hit, p):
        out.extend([f"{p}aidx{k} = np.int32({ARG_NONE})", f"{p}for i{level} in range(n{level}):"]
                   + [f"{p}    {t}" for t in stmts]
                   + [f"{p}    aidx{k} = kmin_(aidx{k}, np.int32(i{level}) if {hit} else "
                      f"np.int32({ARG_NONE}))"])
    for k, r in args:
        v = ref_of[r.arg]
        if np.dtype(r.src).kind != "f":
            scan(k, f"{arg_key(r, v)} == abest{k}", pad)
            continue
        out.append(f"{pad}bv{k} = {final_expr(k, r, 'abest')}")
        out.append(f"{pad}if bv{k} != bv{k}:")
        scan(k, f"{v} != {v}", pad + "    ")
        out.append(f"{pad}else:")
        scan(k, f"{v} == bv{k}", pad + "    ")


def trailing_reduction(spec):
    """True if every reduced loop dim is inside every kept one (scalar accumulators, outputs in
    the keepdims layout); else reduction outputs are flat arrays over the kept dims."""
    red = spec.reduced
    if not red:
        return True
    n_keep = sum(1 for r in red if not r)
    return all(red[k] for k in range(n_keep, len(red)))


def outer_kept(spec):
    """True for a non-trailing reduction whose outermost loop dim is kept (e.g. axis 1 of a
    rank-3 loop): its outputs are (n0, rest) arrays, so chunks of the outer dim write their own
    rows of the result and the loop runs on all cores like an elementwise one."""
    return bool(spec.reductions) and not trailing_reduction(spec) and not spec.reduced[0]


# ------------------------------------------------------------------------------- generation
def node_expr(node, refs):
    """The scalar expression of one fused node, with typed constants and dtype-specific math."""
    tmpl = template_of(node.op)
    attrs = node.attrs
    if "_index" in attrs:        # an indexed op (lowering.INDEXED): the loop index it reads
        idx = attrs["_index"]
        if "_index_dtype" in attrs:      # the loop index cast to the indices' narrower dtype
            idx = f"{np_type(attrs['_index_dtype'])}({idx})"
        tmpl = tmpl.replace("IDX", idx)
    text = tmpl.format(*refs, **{k: v if isinstance(v, str) else repr(v)
                                 for k, v in attrs.items()
                                 if isinstance(v, (str, int, float, np.number))})
    funcs = funcs_for(node.cdtype)
    ctype = np_type(node.cdtype)

    def sub(m):
        name = m.group(1)
        return f"{ctype}(" if name == "C" else funcs[name] + "("
    text = _NAME_RE.sub(sub, text).replace("np.bool(", "np.bool_(")
    if node.dtype == "bool":
        return text
    return f"{np_type(node.dtype)}({text})"


def _header(spec, args):
    """The kernel module's lines up to and including the first line of `kernel`'s body."""
    # no 'reassoc' (rt.EXACT_KERNEL_FLAGS): LLVM would fold (x * 1.5) * 0.7 into x * 1.05,
    # finite where numpy's x * 1.5 overflows to inf; a reduction's accumulations alone are
    # reorderable (vmath.radd_/rmul_), which is all the loop vectorizer needs
    flags = "error_model='numpy', fastmath=EXACT_KERNEL_FLAGS, cache=True, nogil=True"
    if spec.parallel:
        flags += ", parallel=True"
    return ["# graphflow fused kernel (generated by graphflow.backends.numba.codegen; do not edit)",
            f"# {CODEGEN_VERSION}",
            "import numpy as np",
            "import numba",
            "from graphflow.backends.numba.rt import *  # noqa: F401,F403",
            ("from graphflow.backends.numba.vmath import fmax_nn, fmin_nn, nanbits_, radd_, "
             "rmul_  # noqa: F401"),
            "",
            "",
            f"@numba.njit({flags})",
            f"def kernel({', '.join(args)}):",
            "    wide_vectors()"]


def _generate_passes(spec):
    """A cluster that reads its own (trailing, keepdims) reductions back: per row of the kept
    loop dims, one pass over the reduced dims per reduction phase (reduce; then read the result
    back, maybe reduce again; then write the outputs). Each pass recomputes the elementwise
    values it needs (cheaper than storing them: the row stays in cache).

    Example (softmax)::

        for i0 in range(n0):
            acc0 = np.float32(-np.inf); nan0 = np.int32(0)
            for i1 in range(n1):
                x0 = a0[i0, i1]
                acc0 = fmax_nn(np.float32(x0), acc0); nan0 = nanbits_(nan0, np.float32(x0))
            red0 = np.float32(np.nan) if nan0 > 0x7f800000 else acc0
            acc1 = 0.0
            for i1 in range(n1): acc1 += exp_f32(a0[i0, i1] - red0)
            red1 = np.float32(acc1)
            for i1 in range(n1): o0[i0, i1] = exp_f32(a0[i0, i1] - red0) / red1
    """
    nd = spec.ndim
    red = spec.reduced
    reds = spec.reductions
    n_keep = sum(1 for r in red if not r)
    # per value: (level where it is first known, phase, statement, dependencies)
    info = {}
    for i, o in enumerate(spec.operands):
        if o.kind == "a":
            lv = max([k + 1 for k, p in enumerate(o.pattern) if p], default=0)
            info[("in", i)] = (lv, 0, f"x{i} = a{i}[{o.index()}]", (), f"x{i}")
        else:
            info[("in", i)] = (0, 0, None, (), f"s{i}")
    rphase = {}

    def ref_info(a):
        if a[0] == "r":
            k = a[1]
            if k not in rphase:   # a reduction of a reduction: the inner one's phase first
                rphase[k] = ref_info(reds[k].arg)[1]
            return (n_keep, rphase[k] + 1, None, (), f"red{k}")
        return info[a]
    order = []
    # reductions appear in node order by their args; resolve phases in one sweep over nodes
    pending = list(enumerate(reds))
    for j, n in enumerate(spec.nodes):
        deps = n.args
        for a in deps:
            if a[0] == "r" and a[1] not in rphase:
                rk = reds[a[1]]
                rphase[a[1]] = ref_info(rk.arg)[1]
        lv = max([ref_info(a)[0] for a in deps], default=0)
        if n.attrs.get("_index", "0") != "0":     # an indexed op reads loop index i<k>
            lv = max(lv, int(n.attrs["_index"][1:]) + 1)
        ph = max([ref_info(a)[1] for a in deps], default=0)
        refs = [ref_info(a)[4] for a in deps]
        info[("v", j)] = (lv, ph, f"v{j} = {node_expr(n, refs)}", tuple(deps), f"v{j}")
        order.append(("v", j))
    for k, r in pending:
        rphase.setdefault(k, ref_info(r.arg)[1])
    outs = [("v", j) for j in spec.outputs]
    cols = spec.columns
    final = max([rphase[k] for k in range(len(reds))] +
                [ref_info(o)[1] for o in outs + [c.arg for c in cols]], default=0)
    loops = sorted(set(rphase.values()) | ({final} if outs or cols else set()))

    def closure(roots, stop=frozenset()):
        need, stack = set(), list(roots)
        while stack:
            a = stack.pop()
            if a[0] == "r" or a in need:
                continue
            need.add(a)
            if a not in stop:
                stack.extend(info[a][3])
        return need
    rows = spec.row_outputs
    allneed = closure(outs + [r.arg for r in reds] + [a for a in rows if a[0] != "r"]
                      + [c.arg for c in cols])
    keys = [("in", i) for i in range(len(spec.operands))] + order
    acc_dt = [_acc_dtype(r.kind, r.dtype) for r in reds]
    kidx = ", ".join("0" if red[k] else f"i{k}" for k in range(nd))
    idx_all = ", ".join(f"i{k}" for k in range(nd))

    args = [f"n{k}" for k in range(nd)]
    args += [f"a{i}" if o.kind == "a" else f"s{i}" for i, o in enumerate(spec.operands)]
    args += [f"o{k}" for k in range(len(spec.outputs))]
    args += [f"r{k}" for k in range(len(reds))]
    args += [f"p{k}" for k in range(len(rows))]
    args += [f"cs{k}" for k in range(len(cols))]     # (c<level>: _sum_blocks' counters)
    out = _header(spec, args)

    def emit(lines, ind):
        out.extend("    " * ind + s for s in lines if s)

    def stmts_at(level, pred):
        return [info[a][2] for a in keys if a in allneed and info[a][0] == level
                and info[a][2] and pred(a)]

    # transcendental values that several passes need are computed once, in the first of them,
    # and kept in a per-row scratch buffer (the row stays in L1) for the later passes
    def phase_roots(q):
        roots = [r.arg for k, r in enumerate(reds) if rphase[k] == q]
        return roots + (outs + [c.arg for c in cols] if q == final else [])
    uses = {}
    for q in loops:
        for a in closure(phase_roots(q)):
            if a[0] == "v" and info[a][0] == nd and spec.nodes[a[1]].op in HEAVY:
                uses.setdefault(a, []).append(q)
    stored = {a: qs[0] for a, qs in uses.items() if len(qs) > 1}
    inner_idx = ", ".join(f"i{k}" for k in range(n_keep, nd))

    def stmt(a, q):
        if a in stored and q > stored[a]:
            return [f"{info[a][4]} = t{a[1]}[{inner_idx}]"]
        if a in stored:
            return [info[a][2], f"t{a[1]}[{inner_idx}] = {info[a][4]}"]
        return [info[a][2]]

    blocking = set()        # float32 sums accumulating into their block's bacc<k> now
    # arg reductions over the one reduced loop dim: a vectorized best key in their pass, then
    # a second vectorized pass for its first index (as `generate`; else a scalar select loop)
    vec_arg = nd - n_keep == 1

    def inner(level, ind, need, q):
        emit([t for a in keys if a in need and info[a][0] == level and info[a][2]
              for t in stmt(a, q)], ind)
        if level == nd:
            if q == final:
                emit([f"o{k}[{idx_all}] = {ref_info(('v', j))[4]}"
                      for k, j in enumerate(spec.outputs)], ind)
                emit([f"qc = {col_lin}"] if cols else [], ind)
                emit([f"cb{k}[qc] = cb{k}[qc] + np.float32({ref_info(c.arg)[4]})"
                      if _blocked("sum", c.dtype) else
                      f"ca{k}[qc] = ca{k}[qc] + {ref_info(c.arg)[4]}"
                      for k, c in enumerate(cols)], ind)
            for k, r in enumerate(reds):
                if rphase[k] == q and k in blocking:
                    emit([f"bacc{k} = radd_(bacc{k}, np.float32({ref_info(r.arg)[4]}))"], ind)
                elif rphase[k] == q and is_arg(r.kind) and vec_arg:    # the best value
                    emit([combine_stmt(k, r, None, ref_info(r.arg)[4], "abest")], ind)
                elif rphase[k] == q and is_arg(r.kind):     # (scalar: index of the best)
                    better = arg_value_better(r, f"ak{k}", f"acc{k}")
                    emit([f"ak{k} = {ref_info(r.arg)[4]}",
                          f"aidx{k} = i{nd - 1} if {better} else aidx{k}",
                          f"acc{k} = ak{k} if {better} else acc{k}"], ind)
                elif rphase[k] == q:
                    emit([combine_stmt(k, r, acc_dt[k], ref_info(r.arg)[4])], ind)
            return
        bk = [k for k, r in enumerate(reds) if rphase[k] == q and _blocked(r.kind, r.dtype)]
        if level == nd - 1 and level >= n_keep and bk:
            # float32 sums in blocks flushed into float64 (as `generate`)
            blocking.update(bk)
            _sum_blocks(out, level, ind, [f"bacc{k}" for k in bk], [f"acc{k}" for k in bk],
                        lambda: inner(level + 1, ind + 2, need, q))
            blocking.difference_update(bk)
            return
        emit([f"for i{level} in range(n{level}):"], ind)
        inner(level + 1, ind + 1, need, q)

    def outer(level, ind):
        emit(stmts_at(level, lambda a: True) if level < n_keep else [], ind)
        if level < n_keep:
            emit([f"for i{level} in range(n{level}):"], ind)
            outer(level + 1, ind + 1)
            return
        done = -1
        for q in loops:
            emit(stmts_at(n_keep, lambda a, q=q, done=done: done < info[a][1] <= q), ind)
            emit([(init_stmt(k, r, None, "abest") if vec_arg else
                   f"acc{k} = {arg_value_init(r)}; aidx{k} = 0") if is_arg(r.kind) else
                  init_stmt(k, r, acc_dt[k])
                  for k, r in enumerate(reds) if rphase[k] == q], ind)
            roots = [r.arg for k, r in enumerate(reds) if rphase[k] == q]
            roots += outs + [c.arg for c in cols] if q == final else []
            later = frozenset(a for a, q0 in stored.items() if q > q0)
            need = {a for a in closure(roots, later) if info[a][0] > n_keep}
            inner(n_keep, ind, need, q)
            args_q = [(k, r) for k, r in enumerate(reds) if rphase[k] == q and is_arg(r.kind)]
            if args_q and vec_arg:
                # the first index holding the best key: a second vectorized pass over the row,
                # recomputing the values (those kept in a scratch row so far are read back)
                kept = frozenset(a for a, q0 in stored.items() if q >= q0)
                need2 = closure([r.arg for _, r in args_q], kept)
                stmts2 = [t for a in keys if a in need2 and info[a][0] == nd and info[a][2]
                          for t in ([f"{info[a][4]} = t{a[1]}[{inner_idx}]"] if a in kept
                                    else [info[a][2]])]
                _arg_second_pass(out, nd - 1, ind, args_q, stmts2,
                                 {r.arg: ref_info(r.arg)[4] for _, r in args_q})
            for k, r in enumerate(reds):
                if rphase[k] == q:
                    fin = ((f"{np_type(r.dtype)}(aidx{k} if aidx{k} < n{nd - 1} else 0)"
                            if vec_arg else f"{np_type(r.dtype)}(aidx{k})")
                           if is_arg(r.kind) else final_expr(k, r))
                    emit([f"red{k} = {fin}", f"r{k}[{kidx}] = red{k}"], ind)
            done = q
        # row values computed after the last pass, then the row outputs
        emit(stmts_at(n_keep, lambda a, done=done: info[a][1] > done), ind)
        emit([f"p{k}[{kidx}] = {ref_info(a)[4]}" for k, a in enumerate(rows)], ind)
        if blocked_cols:        # a block of COLUMN_BLOCK rows summed: into float64
            emit(["crow += 1", f"if crow == {COLUMN_BLOCK}:", "    crow = 0"], ind)
            flush(ind + 1)

    # column sums (flat over the reduced dims, index qc): float32 ones in blocks of
    # COLUMN_BLOCK rows (cb<k>, in L1/L2), each block flushed into float64 (ca<k>)
    col_lin = "0"
    for k in range(n_keep, nd):
        col_lin = f"i{k}" if col_lin == "0" else f"({col_lin}) * n{k} + i{k}"
    blocked_cols = [k for k, c in enumerate(cols) if _blocked("sum", c.dtype)]

    def flush(ind):
        emit(["for qc in range(nc):"], ind)
        emit([f"ca{k}[qc] = ca{k}[qc] + np.float64(cb{k}[qc])" for k in blocked_cols]
             + [f"cb{k}[qc] = np.float32(0.0)" for k in blocked_cols], ind + 1)
    if cols:
        emit([f"nc = {' * '.join(f'n{k}' for k in range(n_keep, nd)) or '1'}", "crow = 0"]
             + [f"ca{k} = np.empty(nc, np.float64)" for k in range(len(cols))]
             + [f"cb{k} = np.empty(nc, np.float32)" for k in blocked_cols]
             + ["for qc in range(nc):"], 1)
        # (+0.: numpy's x.sum(0) of a column of -0. is +0.)
        emit([f"ca{k}[qc] = np.float64(0.0)" for k in range(len(cols))]
             + [f"cb{k}[qc] = np.float32(0.0)" for k in blocked_cols], 2)
    scratch = [f"t{a[1]} = np.empty(({', '.join(f'n{k}' for k in range(n_keep, nd))},), "
               f"{np_type(spec.nodes[a[1]].dtype)})" for a in sorted(stored)]
    emit(scratch, 1)
    outer(0, 1)
    if blocked_cols:
        flush(1)
    if cols:
        emit(["for qc in range(nc):"], 1)
        emit([f"cs{k}[qc] = {np_type(c.dtype)}(ca{k}[qc])" for k, c in enumerate(cols)], 2)
    out.append("")
    return "\n".join(out)


def generate(spec):
    """Source text of a module defining `kernel` for `spec`; a reduction kernel's outer loop
    reads its data as several memory streams where that is exact (`streams.interleave`)."""
    src = _generate(spec)
    if spec.reductions and not spec.parallel:
        src = interleave(src) or src
    return src


def _generate(spec):
    if any(a[0] == "r" for n in spec.nodes for a in n.args) or any(
            r.arg[0] == "r" for r in spec.reductions) or spec.columns:
        # (also a reduction of a reduction; column sums: added up in the last pass)
        return _generate_passes(spec)
    nd = spec.ndim
    red = spec.reduced or (False,) * nd
    reds = spec.reductions
    idx_all = [f"i{k}" for k in range(nd)]

    # level of a value: the loop depth at which it is first known
    op_level = []
    for o in spec.operands:
        lv = 0
        for k, p in enumerate(o.pattern):
            if p:
                lv = k + 1
        op_level.append(lv if o.kind == "a" else 0)
    stmts = [[] for _ in range(nd + 1)]
    ref_of, lvl_of = {}, {}
    for i, o in enumerate(spec.operands):
        if o.kind == "a":
            ref_of[("in", i)] = f"x{i}"
            stmts[op_level[i]].append(f"x{i} = a{i}[{o.index()}]")
        else:
            ref_of[("in", i)] = f"s{i}"
        lvl_of[("in", i)] = op_level[i]
    for j, n in enumerate(spec.nodes):
        refs = [ref_of[a] for a in n.args]
        lv = max([lvl_of[a] for a in n.args], default=0)
        if n.attrs.get("_index", "0") != "0":     # an indexed op reads loop index i<k>
            lv = max(lv, int(n.attrs["_index"][1:]) + 1)
        ref_of[("v", j)], lvl_of[("v", j)] = f"v{j}", lv
        if n.op in SCANS:
            t, k = np_type(n.dtype), n.attrs.get("_scan", nd - 1)
            # -0. is the exact identity of a float sum (numpy's cumsum of -0. is -0.)
            ident = SCAN_IDENTITY[n.op]
            zero = (f"{t}(-0.0)" if ident == 0 and np.dtype(n.dtype).kind == "f"
                    else f"{t}({ident})")
            lvl_of[("v", j)] = nd
            if k == nd - 1:     # a running value along the innermost loop, reset before it
                cur = f"sc{j}"
                stmts[nd - 1].append(f"sc{j} = {zero}")
            else:
                # along an outer loop dim k: one running value per position of the loop dims
                # inside it (a row of them, in cache; the innermost loop vectorizes over it),
                # reset before loop k
                inner = " * ".join(f"n{d}" for d in range(k + 1, nd))
                stmts[0].append(f"sc{j} = np.empty({inner}, {t})")
                stmts[k].append(f"for q{j} in range({inner}): sc{j}[q{j}] = {zero}")
                lin = f"i{k + 1}"
                for d in range(k + 2, nd):
                    lin = f"({lin}) * n{d} + i{d}"
                stmts[nd].append(f"q{j} = {lin}")
                cur = f"sc{j}[q{j}]"
            step = f"{cur} = {t}({cur} {SCANS[n.op]} {node_expr(n, refs)})"
            # exclusive: the first entry is the identity (numpy's zeros for cumsum), then the
            # running value
            first = f"{'j' if n.attrs.get('reverse') else 'i'}{k} == 0"
            stmts[nd] += ([f"v{j} = {t}({ident}) if {first} else {cur}", step]
                          if n.attrs.get("exclusive") else [step, f"v{j} = {cur}"])
            continue
        stmts[lv].append(f"v{j} = {node_expr(n, refs)}")
    # drop loads nobody uses (e.g. the shape-only input of ones_like)
    used = " ".join(s.split(" = ", 1)[1] for lv in stmts for s in lv)
    used += " " + " ".join(ref_of[("v", j)] for j in spec.outputs)
    used += " " + " ".join(ref_of[r.arg] for r in reds)
    for lv in stmts:
        lv[:] = [s for s in lv if not s.startswith("x") or re.search(
            r"\b" + s.split(" = ")[0] + r"\b", used)]

    # reversed scans run their loop dim from the end
    backward = {n.attrs.get("_scan", nd - 1) for n in spec.nodes
                if n.op in SCANS and n.attrs.get("reverse")}
    # reductions: trailing (all reduced dims innermost) keeps scalar accumulators
    n_keep = sum(1 for r in red if not r)
    trailing = bool(reds) and all(red[k] for k in range(n_keep, nd))
    par_outer = spec.parallel and (not reds or (trailing and n_keep > 0))
    kidx = ", ".join("0" if red[k] else f"i{k}" for k in range(nd))
    # non-trailing: accumulate into flat arrays over the kept dims (linear index `q`)
    kept = [k for k in range(nd) if not red[k]]
    nk = " * ".join(f"n{k}" for k in kept) or "1"
    lin = "0"
    for k in kept:
        lin = f"i{k}" if lin == "0" else f"({lin}) * n{k} + i{k}"
    # (a non-trailing arg reduction keeps the best value per kept position in acc<k> and its
    # index along the one reduced dim in aidx<k>: selects over the innermost kept dim)
    acc_dt = [r.src if is_arg(r.kind) else _acc_dtype(r.kind, r.dtype) for r in reds]
    direct = [not trailing and not is_arg(r.kind) and a == r.dtype for a, r in zip(acc_dt, reds)]
    # blockwise float32 sums (SUM_BLOCK): a trailing reduction blocks its innermost loop; a
    # column reduction - one run of reduced loop dims followed by kept ones, e.g. axis 0 of
    # (N, C) or axes 1, 2 of (N, H, W, C) - blocks the first reduced loop (COLUMN_BLOCK): per
    # block, the float32 partial sums over the kept dims after the run (`nki` of them, index
    # `qi`), flushed into the float64 accumulators of the kept dims before it (index `qo`)
    blocked = [_blocked(r.kind, r.dtype) for r in reds]
    first = red.index(True) if any(red) else nd
    run_end = next((k for k in range(first, nd) if not red[k]), nd)
    column = bool(reds) and not trailing and not any(red[run_end:])
    arg = [k for k, r in enumerate(reds) if is_arg(r.kind)]    # (trailing: the last axis)
    block_level = (nd - 1 if trailing and reds and any(blocked) and red[nd - 1] else
                   first if column and any(blocked) else None)
    block_size = SUM_BLOCK if trailing else COLUMN_BLOCK
    lin_in, lin_out = "0", "0"
    for k in range(run_end, nd):
        lin_in = f"i{k}" if lin_in == "0" else f"({lin_in}) * n{k} + i{k}"
    for k in range(first):
        lin_out = f"i{k}" if lin_out == "0" else f"({lin_out}) * n{k} + i{k}"
    nki = " * ".join(f"n{k}" for k in range(run_end, nd)) or "1"
    # reductions accumulating straight into acc<k>[q] (the first one computes q)
    plain = [k for k in range(len(reds)) if not (blocked[k] and block_level is not None)] or [-1]


    args = [f"n{k}" for k in range(nd)]
    args += [f"a{i}" if o.kind == "a" else f"s{i}" for i, o in enumerate(spec.operands)]
    args += [f"o{k}" for k in range(len(spec.outputs))]
    args += [f"r{k}_" if outer_kept(spec) else f"r{k}" for k in range(len(reds))]
    out = _header(spec, args)

    def emit(lines, ind):
        out.extend("    " * ind + s for s in lines if s)

    if reds and not trailing:
        emit([f"nk = {nk}"], 1)
        if outer_kept(spec):       # (n0, rest) outputs, used flat (a view: C-contiguous)
            emit([f"r{k} = r{k}_.reshape(nk)" for k in range(len(reds))], 1)
        for k, r in enumerate(reds):
            if blocked[k] and block_level is not None:
                emit([f"nki = {nki}" if k == blocked.index(True) else "",
                      f"bacc{k} = np.empty(nki, np.float32)"], 1)
            if not direct[k]:
                emit([f"acc{k} = np.empty(nk, {np_type(acc_dt[k])})"], 1)
            else:
                emit([f"acc{k} = r{k}"], 1)
            if is_arg(r.kind):
                emit([f"aidx{k} = np.zeros(nk, np.int64)"], 1)
        emit(["for q in range(nk):"], 1)
        emit([f"acc{k}[q] = {arg_value_init(r) if is_arg(r.kind) else _init(r.kind, acc_dt[k], r.dtype)}"
              for k, r in enumerate(reds)], 2)

    def body(level, ind):
        emit(stmts[level], ind)
        if level == nd:
            emit([f"o{k}[{', '.join(idx_all)}] = {ref_of[('v', j)]}"
                  for k, j in enumerate(spec.outputs)], ind)
            if reds and n_keep == nd:     # every reduced dim has extent 1: one value each
                emit([init_stmt(k, r, acc_dt[k]) for k, r in enumerate(reds)
                      if not is_arg(r.kind)], ind)
            for k, r in enumerate(reds):
                v = ref_of[r.arg]
                if is_arg(r.kind) and n_keep == nd:
                    continue
                if is_arg(r.kind) and trailing:     # the best value (see ARG_NONE)
                    emit([combine_stmt(k, r, None, v, "abest")], ind)
                elif trailing and blocked[k] and block_level is not None:
                    emit([f"bacc{k} = radd_(bacc{k}, np.float32({v}))"], ind)
                elif trailing:
                    emit([combine_stmt(k, r, acc_dt[k], v)], ind)
                elif blocked[k] and block_level is not None:
                    emit([f"qi = {lin_in}" if k == blocked.index(True) else "",
                          f"bacc{k}[qi] = bacc{k}[qi] + np.float32({v})"], ind)
                elif is_arg(r.kind):    # the first best along the reduced dim (selects)
                    emit([f"q = {lin}" if k == plain[0] else "", f"ak{k} = {v}",
                          f"bt{k} = {arg_value_better(r, f'ak{k}', f'acc{k}[q]', vector=True)}",
                          f"aidx{k}[q] = i{first} if bt{k} else aidx{k}[q]",
                          f"acc{k}[q] = ak{k} if bt{k} else acc{k}[q]"], ind)
                else:
                    emit([f"q = {lin}" if k == plain[0] else "",
                          f"acc{k}[q] = " + _combine(r.kind, f"acc{k}[q]", acc_dt[k], v, r.dtype)], ind)
            if reds and n_keep == nd:
                emit([f"r{k}[{kidx}] = " + (f"{np_type(r.dtype)}(0)" if is_arg(r.kind) else
                                            final_expr(k, r))
                      for k, r in enumerate(reds)], ind)
            return
        if trailing and level == n_keep:
            emit([init_stmt(k, r, acc_dt[k], "abest" if is_arg(r.kind) else "acc")
                  for k, r in enumerate(reds)], ind)
        rng = "numba.prange" if par_outer and level == 0 else "range"
        if level == block_level and trailing:
            bk = [k for k in range(len(reds)) if blocked[k]]
            _sum_blocks(out, level, ind, [f"bacc{k}" for k in bk], [f"acc{k}" for k in bk],
                        lambda: body(level + 1, ind + 2))
        elif level == block_level:
            bk = [k for k in range(len(reds)) if blocked[k]]
            # (block and index counted from 0: numba indexes 16x slower with a range(b, e)
            # or range(0, n, step) index, which it cannot prove non-negative)
            emit([f"for c{level} in range((n{level} + {block_size - 1}) // {block_size}):",
                  f"    b{level} = c{level} * {block_size}"], ind)
            emit(["for qi in range(nki):"], ind + 1)
            emit([f"bacc{k}[qi] = np.float32(0.0)" for k in bk], ind + 2)
            emit([f"for j{level} in range(min({block_size}, n{level} - b{level})):",
                  f"    i{level} = b{level} + j{level}"], ind + 1)
            body(level + 1, ind + 2)
            emit([f"qo = ({lin_out}) * nki", "for qi in range(nki):"], ind + 1)
            emit([f"acc{k}[qo + qi] = acc{k}[qo + qi] + np.float64(bacc{k}[qi])" for k in bk],
                 ind + 2)
        elif level in backward:     # a reversed scan's dim: from the end
            emit([f"for j{level} in range(n{level}):", f"    i{level} = n{level} - 1 - j{level}"],
                 ind)
            body(level + 1, ind + 1)
        else:
            emit([f"for i{level} in {rng}(n{level}):"], ind)
            body(level + 1, ind + 1)
        if trailing and level == n_keep:
            if arg and level == nd - 1:
                _arg_second_pass(out, level, ind, [(k, reds[k]) for k in arg], stmts[nd], ref_of)
            emit([f"r{k}[{kidx}] = " + (f"{np_type(r.dtype)}(aidx{k} if aidx{k} < n{level} "
                                        "else 0)" if is_arg(r.kind) else final_expr(k, r))
                  for k, r in enumerate(reds)], ind)

    body(0, 1)
    if reds and not trailing and not all(direct):
        emit(["for q in range(nk):"], 1)
        emit([f"r{k}[q] = " + (f"{np_type(r.dtype)}(aidx{k}[q])" if is_arg(r.kind) else
                               _final(r.kind, r.dtype, f'acc{k}[q]'))
              for k, r in enumerate(reds) if not direct[k]], 2)
    out.append("")
    return "\n".join(out)
