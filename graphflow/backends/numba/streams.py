"""Read a reduction kernel's data as several interleaved memory streams (unroll-and-jam).

One core pulling one sequential stream out of L3/DRAM does not reach the bandwidth it can: on
this AMD EPYC (Zen 3, AVX2; 16 MB of float32, CPU time at load ~10) a float max over one stream
ran at 0.96-1.0x numpy's x.max(), the same loop over 2 interleaved quarters of the data at
0.76-0.88x and over 4 at 0.55-0.68x (a float32 sum: 0.79-0.87x -> 0.60-0.69x). Software prefetch
ahead of one stream gave less (0.71-0.85x) and slowed cache-resident data. So the outermost loop
`for i0 in range(n0)` of a generated reduction kernel is rewritten to walk `STREAMS` quarters of
its range at once:

  * a straight-line body (a full reduction over a flat loop): each stream gets its own copy of
    the loop-carried accumulators (initialised as the original), combined into it after the
    loop with the accumulation's own function (`fmax_nn`, `radd_`, ...; `nanbits_` by max);
  * a body of per-row statements and inner loops (row reductions, softmax-shaped passes): the
    streams' rows run side by side, their inner loops (straight-line bodies) jammed into one
    loop, anything else (an arg reduction's second pass) copied per stream - unless no loop
    jams (float32 row sums in blocks: copied per stream, 1.5x slower);
  * a column reduction's accumulator cells (`acc0[q] = kmax_(acc0[q], key)`, folded with an
    order-free function) are shared by the streams, whose rows fold into them in turn: a
    float32 column max of 4096 x 1024 ran 0.93x -> 0.55x numpy's x.max(0);

and the last `n0 % STREAMS` iterations run as before. The rewrite is made on the kernel's AST
and only where it is exact - each stream's values, in its own order, are those of the original
loop's iterations; accumulations combined only by associative functions (float sums then add
the streams' partials in another order: within the error bounds the sums document). A kernel
whose loop carries anything else, stores into an array it also reads (scratch rows, column
sums, whose rows' order matters) or a cell not indexed by i0, or calls anything but cheap
accumulations and casts (compute-bound: see `_CHEAP`), is left as it was (`interleave` returns
None).

>>> src = '''def kernel(n0, a0, r0):
...     acc0 = 0.0
...     for i0 in range(n0):
...         acc0 = radd_(acc0, a0[i0])
...     r0[0] = acc0
... '''
>>> print(interleave(src, 2), end="")
def kernel(n0, a0, r0):
    acc0 = 0.0
    acc0_s1 = 0.0
    h0 = n0 // 2
    for i0 in range(h0):
        i0_s1 = i0 + 1 * h0
        acc0 = radd_(acc0, a0[i0])
        acc0_s1 = radd_(acc0_s1, a0[i0_s1])
    for i0 in range(2 * h0, n0):
        acc0 = radd_(acc0, a0[i0])
    acc0 = radd_(acc0, acc0_s1)
    r0[0] = acc0
"""
import ast
import copy
import os

#: streams per loop (4 measured best of 1/2/4 above); ``GRAPHFLOW_KERNEL_STREAMS=1`` turns the
#: rewrite off (for A/B runs: kernels are cached by source, so both variants stay cached)
STREAMS = max(1, int(os.environ.get("GRAPHFLOW_KERNEL_STREAMS", "4")))

#: accumulating functions f(acc, value) / f(value, acc) and how two accumulators combine
_COMBINE = {"fmax_nn": "fmax_nn", "fmin_nn": "fmin_nn", "radd_": "radd_", "rmul_": "rmul_",
            "kmax_": "kmax_", "kmin_": "kmin_", "max_": "max_", "min_": "min_", "max": "max",
            "min": "min", "nanbits_": "max"}
_ASSOC_OPS = (ast.Add, ast.Mult, ast.BitOr, ast.BitAnd, ast.BitXor)
#: calls a streamed loop may make: the accumulations, cheap selects and `np.<type>(v)` casts. A
#: kernel calling anything else (exp_f32, ...) is compute-bound, where streams gain little
#: (log-sum-exp 0.9x) and cost much compile time (0.9-1.6 s -> 6.9-8.6 s for its kernel)
_CHEAP = set(_COMBINE) | {"range", "abs", "maxkey_f32", "maxkey_f64", "minkey_f32", "minkey_f64",
                          "unkey_f32", "unkey_f64"}


class _Bail(Exception):
    pass


def interleave(source, streams=None, func="kernel"):
    """`source` with `func`'s outermost `for i0 in range(n0)` loop walking `streams` parts of
    its range at once, or None when that would not be exact (see the module doc)."""
    streams = STREAMS if streams is None else streams
    if streams < 2:
        return None
    tree = ast.parse(source)
    fn = next((s for s in tree.body if isinstance(s, ast.FunctionDef) and s.name == func), None)
    if fn is None:
        return None
    lines = source.splitlines(keepends=True)
    head, tail = lines[:fn.lineno - 1], lines[fn.end_lineno:]   # (decorators, comments kept)
    try:
        _rewrite(fn, streams)
    except _Bail:
        return None
    fn.decorator_list = []
    return "".join(head) + ast.unparse(fn) + "\n" + "".join(tail)


def _names(node, ctx):
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ctx)}


def _is_range_loop(s):
    return (isinstance(s, ast.For) and isinstance(s.target, ast.Name) and not s.orelse
            and isinstance(s.iter, ast.Call) and isinstance(s.iter.func, ast.Name)
            and s.iter.func.id == "range" and len(s.iter.args) == 1
            and isinstance(s.iter.args[0], ast.Name))


def _straight(stmts):
    return all(isinstance(s, (ast.Assign, ast.AugAssign, ast.Expr)) for s in stmts)


#: what an accumulator array (a column reduction's `acc0[q] = kmax_(acc0[q], key)`) may fold
#: with: order-free only (the streams' rows reach a cell in another order)
_ORDER_FREE = {"fmax_nn", "fmin_nn", "kmax_", "kmin_", "max_", "min_", "max", "min"}


def _folds_into_cell(stmt):
    """The array name if `stmt` is `A[i] = f(A[i], e)` (or f(e, A[i])) with an order-free f and
    e not reading A, else None."""
    if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], ast.Subscript)
            and isinstance(stmt.targets[0].value, ast.Name)):
        return None
    t, v = stmt.targets[0], stmt.value
    if not (isinstance(v, ast.Call) and isinstance(v.func, ast.Name) and v.func.id in _ORDER_FREE
            and len(v.args) == 2 and not v.keywords):
        return None
    cell = ast.dump(ast.Subscript(t.value, t.slice, ast.Load()))
    same = [ast.dump(a) == cell for a in v.args]
    if sum(same) != 1 or t.value.id in _names(v.args[same.index(False)], ast.Load):
        return None
    return t.value.id


def _check_stores(body, var):
    """Subscript stores must be per-iteration cells (indexed by `var`) of arrays not read, or
    accumulator cells folded with an order-free function and read nowhere else."""
    folds = [s for s in ast.walk(ast.Module(body=body, type_ignores=[])) if _folds_into_cell(s)]
    accs = {_folds_into_cell(s) for s in folds}
    stored, loaded = set(), set()
    skip = {id(n) for s in folds for n in ast.walk(s)}
    for n in ast.walk(ast.Module(body=body, type_ignores=[])):
        if isinstance(n, ast.Subscript) and isinstance(n.value, ast.Name) and id(n) not in skip:
            if isinstance(n.ctx, ast.Store):
                stored.add(n.value.id)
                if var not in _names(n.slice, ast.Load):
                    raise _Bail
            else:
                loaded.add(n.value.id)
        if isinstance(n, (ast.AugAssign,)) and isinstance(n.target, ast.Subscript):
            raise _Bail
    if stored & loaded or accs & (stored | loaded):
        raise _Bail


def _carried(stmts, assigned=frozenset()):
    """Names `stmts` read before assigning them (in execution order; an inner loop's reads of
    what its own earlier statements or the loop before it assigned are fine): loop-carried."""
    out, assigned = set(), set(assigned)
    for s in stmts:
        if isinstance(s, ast.For) and isinstance(s.target, ast.Name) and not s.orelse:
            out |= _names(s.iter, ast.Load) - assigned
            out |= _carried(s.body, assigned | {s.target.id})
        elif isinstance(s, ast.If):
            out |= _names(s.test, ast.Load) - assigned
            out |= _carried(s.body, assigned) | _carried(s.orelse, assigned)
            assigned |= _assigned_in(s.body) & _assigned_in(s.orelse)
        elif isinstance(s, ast.Assign):
            out |= _names(s.value, ast.Load) - assigned
            out |= set().union(*(_names(t, ast.Load) for t in s.targets)) - assigned
            assigned |= set().union(*(_names(t, ast.Store) for t in s.targets))
        elif isinstance(s, ast.AugAssign):
            out |= (_names(s, ast.Load) | _names(s, ast.Store)) - assigned
        elif isinstance(s, ast.Expr):
            out |= _names(s, ast.Load) - assigned
        else:
            raise _Bail
    return out


def _assigned_in(body):
    return set().union(*(_names(s, ast.Store) for s in body)) if body else set()


class _Rename(ast.NodeTransformer):
    def __init__(self, mapping):
        self.mapping = mapping

    def visit_Name(self, node):
        new = self.mapping.get(node.id)
        return ast.copy_location(ast.Name(new, node.ctx), node) if new else node


def _renamed(stmts, mapping):
    r = _Rename(mapping)
    return [r.visit(copy.deepcopy(s)) for s in stmts]


def _combiner(body, name):
    """The statement folding a stream's accumulator `name + '_s'` back into `name`."""
    defs = [s for s in body if name in _names(s, ast.Store)]
    if len(defs) != 1 or not isinstance(defs[0], ast.Assign) or len(defs[0].targets) != 1:
        raise _Bail
    v = defs[0].value
    acc = ast.Name(name, ast.Load())
    if isinstance(v, ast.Call) and isinstance(v.func, ast.Name) and v.func.id in _COMBINE \
            and len(v.args) == 2 and not v.keywords:
        pos = [i for i, a in enumerate(v.args) if isinstance(a, ast.Name) and a.id == name]
        if len(pos) != 1 or name in _names(v.args[1 - pos[0]], ast.Load):
            raise _Bail
        f = _COMBINE[v.func.id]

        def make(other):
            args = [acc, other] if f != v.func.id else (
                [acc, other] if pos[0] == 0 else [other, acc])
            return ast.Assign([ast.Name(name, ast.Store())],
                              ast.Call(ast.Name(f, ast.Load()), args, []))
        return make
    if isinstance(v, ast.BinOp) and isinstance(v.op, _ASSOC_OPS):
        sides = [isinstance(x, ast.Name) and x.id == name for x in (v.left, v.right)]
        other = v.right if sides[0] else v.left
        if sum(sides) != 1 or name in _names(other, ast.Load):
            raise _Bail
        return lambda o: ast.Assign([ast.Name(name, ast.Store())],
                                    ast.BinOp(acc, type(v.op)(), o))
    raise _Bail


def _cheap(node):
    for c in ast.walk(node):
        if isinstance(c, ast.Call):
            f = c.func
            if not ((isinstance(f, ast.Name) and f.id in _CHEAP) or (
                    isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name)
                    and f.value.id == "np")):
                return False
    return True


def _rewrite(fn, S):
    # the outermost loop dim's loop (set-up / read-out loops of column accumulators aside)
    loops = [i for i, s in enumerate(fn.body) if isinstance(s, ast.For)
             and isinstance(s.target, ast.Name) and s.target.id == "i0"]
    if len(loops) != 1 or not _is_range_loop(fn.body[loops[0]]) or any(
            isinstance(n, ast.While) for n in ast.walk(fn)):
        raise _Bail
    at = loops[0]
    loop = fn.body[at]
    if not _cheap(loop):
        raise _Bail
    var, n = loop.target.id, loop.iter.args[0].id
    body = loop.body
    _check_stores(body, var)
    local = _assigned_in(body) - {var}
    h = f"h{var[1:]}" if var.startswith("i") else f"h_{var}"
    if h in _names(fn, ast.Load) | _names(fn, ast.Store):
        raise _Bail
    maps = [{}] + [{**{x: f"{x}_s{s}" for x in local}, var: f"{var}_s{s}"} for s in range(1, S)]
    taken = _names(fn, ast.Load) | _names(fn, ast.Store)
    if any(v in taken for m in maps for v in m.values()):
        raise _Bail
    after = fn.body[at + 1:]
    if local & _carried(after) - (_carried(body) if _straight(body) else set()):
        raise _Bail        # a value of the loop's last iteration is read after it
    pre, post = [], []
    if _straight(body):
        # a flat loop: its carried names are accumulators, one per stream, combined after
        carried = _carried(body) & local
        for name in sorted(carried):
            make = _combiner(body, name)
            init = [s for s in fn.body[:at] if isinstance(s, ast.Assign)
                    and [t.id for t in s.targets if isinstance(t, ast.Name)] == [name]]
            if not init or len(init[-1].targets) != 1:
                raise _Bail
            for s in range(1, S):
                pre.append(ast.Assign([ast.Name(maps[s][name], ast.Store())],
                                      copy.deepcopy(init[-1].value)))
                post.append(make(ast.Name(maps[s][name], ast.Load())))
        jam = [st for stmt in body for s in range(S) for st in _renamed([stmt], maps[s])]
    else:
        if _carried(body) & local:
            raise _Bail        # rows depend on each other
        jam, jammed = [], False
        for stmt in body:
            if _is_range_loop(stmt) and _straight(stmt.body) and \
                    stmt.iter.args[0].id not in local:
                inner_maps = [{k: v for k, v in m.items() if k != stmt.target.id}
                              for m in maps]
                jammed = True
                jam.append(ast.For(stmt.target, stmt.iter, [
                    st for s in range(S) for st in _renamed(stmt.body, inner_maps[s])], [],
                    lineno=0))
            else:
                jam.extend(st for s in range(S) for st in _renamed([stmt], maps[s]))
        if not jammed:
            raise _Bail        # no loop to jam: the streams' rows would run one after another
    starts = [ast.parse(f"{var}_s{s} = {var} + {s} * {h}").body[0] for s in range(1, S)]
    main = ast.For(ast.Name(var, ast.Store()), ast.parse(f"range({h})", mode="eval").body,
                   starts + jam, [], lineno=0)
    rest = ast.For(ast.Name(var, ast.Store()),
                   ast.parse(f"range({S} * {h}, {n})", mode="eval").body, body, [], lineno=0)
    fn.body[at:at + 1] = pre + [ast.parse(f"{h} = {n} // {S}").body[0], main, rest] + post
    ast.fix_missing_locations(fn)
