"""Unknown dimensions: `Dim`, a named symbol (or an expression of symbols) a shape may hold
beside ints, so one traced graph serves every batch size.

A `Dim` is a polynomial with integer coefficients over atoms: named symbols (`batch`, `d0`) and
opaque terms for what a polynomial cannot say (`floordiv`, `mod`, `min`, `max` of dims).
Arithmetic stays symbolic (`b * 4 // 4 == b`); a result without symbols is a plain int. Unknown
dims are assumed >= 1 (as JAX's symbolic shapes), so `d >= 1` and `d != 0` are decided; a
comparison that cannot be decided at trace time raises a `TypeError` naming the dims. In shapes
a `Dim` prints as `None`, as TF prints unknown dims (`str(d)` or `d.name` give its name).

>>> b = Dim("batch")
>>> (b * 4) // 4 == b, b * 2 + 1, (b, 4)
(True, None, (None, 4))
>>> evaluate((b * 4, 3), {"batch": 5})
(20, 3)

Where a shape rule needs an equality it cannot decide (two unknown dims that must agree), it
calls `require_equal`; the graph builder collects those checks and executors run them when they
bind the dims of a call (`graphflow.graph.bind_dims`). Within a trace (`unifying`), two symbols
such a check ties (labels and logits given as two None dims) are one dim from then on.

Where unknown dims come from: None in `@function(input_signature=...)` or in a TensorSpec given
to `get_concrete_function`, `reduce_retracing=True` (after a second shape), `function(batch_dim=)`
(Keras' steps: the leading axis of every argument). Executors bind them per call: a
`graphflow.evaluate.PerShapePlan` keeps one backend plan per argument shapes, made from the
graph with the dims filled in (`graphflow.graph.specialize`); numba kernels are shared between
sizes (their source does not depend on extents), so a new size costs a plan (~1 ms), no compile.
`graphflow.shape(x)` / `size(x)` while tracing are `dims` nodes bound the same way.

Broadcasting (`broadcast_dim`): an unknown dim against a known n gives n (the unknown one must be
n or 1 at run time); two different unknown dims give a derived dim `bcast(a, b)`, known when a
call binds the dims, so either may be 1 as in eager mode; the gradient sums back to the input's
shape with `sum_to_shape`, whose broadcast axes are decided at run time. Slices may have unknown
dims as bounds (split's offsets; clamped as numpy does, as `min`/`max` dims).

Run-time sizes: a dim that depends on values, not on the call's shapes (`tf.range(n)`,
`tf.zeros([n])`, `tf.reshape(x, [n, -1])` with n a traced scalar, a growing TensorArray inside
a loop, a dataset element's batch dim) is None in the graph (`graphflow.ops.runtime_shape`):
shape rules let it through (a known n > 1 wins a broadcast against it), executors run the nodes
touching it on numpy and numpy checks it when they run.

Not covered (a clear error at trace time): `unstack` of an unknown axis without `num=` (TF's
"Cannot infer argument `num`"), Python loops over an unknown axis, slice bounds that are unknown
dims and negative when the graph runs (numpy would count them from the end; a run-time check
fails), `squeeze()` without `axis=` of an unknown dim that is 1 at run time
(the rank is part of the graph: a run-time error says to pass `axis=`), the gradients of qr/svd
when it is unknown at trace time whether the matrices have more rows or more columns (as TF).
"""
import numbers
import threading

__all__ = ["Dim", "is_static", "evaluate", "prod", "require_equal", "require_differ",
           "take_checks", "symbols", "broadcast_dim", "unifying", "canonical"]


def _atom_key(a):
    return a if isinstance(a, str) else "\x00" + repr(a)


class Dim:
    """An unknown dimension (a polynomial over named symbols); hashable, compared structurally.

    >>> Dim("n") + Dim("n"), str(Dim("n") * 3 - 1)
    (None, '3*n - 1')
    """
    __slots__ = ("terms", "_hash")

    def __init__(self, name):
        self.terms = (((name,), 1),)
        self._hash = hash(self.terms)

    @staticmethod
    def _make(terms):
        """int or Dim from {monomial (sorted atom tuple): coefficient}."""
        terms = {m: c for m, c in terms.items() if c}
        if not terms:
            return 0
        if len(terms) == 1 and () in terms:
            return terms[()]
        d = object.__new__(Dim)
        d.terms = tuple(sorted(terms.items(), key=lambda mc: (not mc[0], [_atom_key(a) for a in mc[0]])))
        d._hash = hash(d.terms)
        return d

    @staticmethod
    def _opaque(fn, *args):
        return Dim._make({((fn,) + tuple(args),): 1})

    @property
    def name(self):
        return str(self)

    def is_symbol(self):
        return len(self.terms) == 1 and self.terms[0][1] == 1 and len(self.terms[0][0]) == 1 \
            and isinstance(self.terms[0][0][0], str)

    # -- arithmetic --
    def _dict(self):
        return dict(self.terms)

    @staticmethod
    def _as_terms(x):
        if isinstance(x, Dim):
            return x._dict()
        x = _to_int(x)
        return {(): x} if x else {}

    def __add__(self, o):
        if not _dimlike(o):
            return NotImplemented
        t = self._dict()
        for m, c in Dim._as_terms(o).items():
            t[m] = t.get(m, 0) + c
        return Dim._make(t)

    __radd__ = __add__

    def __neg__(self):
        return Dim._make({m: -c for m, c in self.terms})

    def __sub__(self, o):
        return self + (-o) if _dimlike(o) else NotImplemented

    def __rsub__(self, o):
        return (-self) + o if _dimlike(o) else NotImplemented

    def __mul__(self, o):
        if not _dimlike(o):
            return NotImplemented
        out = {}
        for m1, c1 in self.terms:
            for m2, c2 in Dim._as_terms(o).items():
                m = tuple(sorted(m1 + m2, key=_atom_key))
                out[m] = out.get(m, 0) + c1 * c2
        return Dim._make(out)

    __rmul__ = __mul__

    def __floordiv__(self, o):
        if not _dimlike(o):
            return NotImplemented
        q = _exact_div(self, o)
        return q if q is not None else Dim._opaque("floordiv", self, o)

    def __rfloordiv__(self, o):
        return Dim._opaque("floordiv", o, self) if _dimlike(o) else NotImplemented

    def __mod__(self, o):
        if not _dimlike(o):
            return NotImplemented
        return 0 if _exact_div(self, o) is not None else Dim._opaque("mod", self, o)

    def __rmod__(self, o):
        return Dim._opaque("mod", o, self) if _dimlike(o) else NotImplemented

    # -- comparisons --
    def __eq__(self, o):
        if o is None:    # an unknown dim is TF's None (`None in shape` finds it)
            return True
        if isinstance(o, Dim):
            return self.terms == o.terms
        return False if _dimlike(o) else NotImplemented

    def __ne__(self, o):
        r = self.__eq__(o)
        return r if r is NotImplemented else not r

    def __hash__(self):
        return self._hash

    def _lower_bound(self):
        """A lower bound of the value (symbols are >= 1), or None if unbounded below."""
        lb = 0
        for m, c in self.terms:
            if not m:
                lb += c
                continue
            if c < 0:
                return None
            p = 1
            for a in m:
                la = 1 if isinstance(a, str) else _atom_lower_bound(a)
                if la is None or la < 0:
                    return None
                p *= la
            lb += c * p
        return lb

    def _compare(self, o, op):
        d = self - o
        if isinstance(d, int):
            return {"<": d < 0, "<=": d <= 0, ">": d > 0, ">=": d >= 0}[op]
        lb = d._lower_bound()
        if lb is not None and lb >= 1:
            return op in (">", ">=")
        if lb is not None and lb >= 0 and op in (">=", "<"):
            return op == ">="
        lbn = (-d)._lower_bound()
        if lbn is not None and lbn >= 1:
            return op in ("<", "<=")
        raise TypeError(f"cannot decide {self} {op} {o} while tracing: the dimension is unknown "
                        "until the function runs (use graphflow.shape for run-time sizes)")

    def __lt__(self, o):
        return self._compare(o, "<") if _dimlike(o) else NotImplemented

    def __le__(self, o):
        return self._compare(o, "<=") if _dimlike(o) else NotImplemented

    def __gt__(self, o):
        return self._compare(o, ">") if _dimlike(o) else NotImplemented

    def __ge__(self, o):
        return self._compare(o, ">=") if _dimlike(o) else NotImplemented

    def __bool__(self):
        return True

    def __index__(self):
        raise TypeError(f"unknown dimension {self} has no value while tracing (it is known when "
                        "the function runs: use graphflow.shape(x) for a run-time size)")

    __int__ = __index__

    # -- printing --
    def __repr__(self):
        return "None"

    def __str__(self):
        parts = []
        for m, c in self.terms:
            atoms = "*".join(a if isinstance(a, str) else f"{a[0]}({', '.join(map(str, a[1:]))})"
                             for a in m)
            if not m:
                s = str(abs(c))
            elif abs(c) == 1:
                s = atoms
            else:
                s = f"{abs(c)}*{atoms}"
            parts.append((c < 0, s))
        out = ("-" if parts[0][0] else "") + parts[0][1]
        for neg, s in parts[1:]:
            out += (" - " if neg else " + ") + s
        return out

    def __reduce__(self):
        return (_rebuild, (self.terms,))


def _lower(x):
    return x if not isinstance(x, Dim) else x._lower_bound()


def _atom_lower_bound(a):
    """Lower bound of an opaque term (floordiv/mod/min/max/bcast of dims), None if unbounded:
    floordiv of a negative value is negative, so only what the arguments' bounds give."""
    fn, args = a[0], [_lower(x) for x in a[1:]]
    if fn in ("floordiv", "mod"):
        num, den = args
        if num is None or num < 0 or isinstance(a[2], Dim) and (den is None or den < 1) \
                or not isinstance(a[2], Dim) and a[2] < 1:
            return None
        return 0 if fn == "mod" else (num // a[2] if not isinstance(a[2], Dim) else 0)
    if fn == "min":
        return None if any(x is None for x in args) else min(args)
    known = [x for x in args if x is not None]   # max, bcast: at least any argument's bound
    return max(known) if known else None


def _rebuild(terms):
    return Dim._make(dict(terms))


def _dimlike(x):
    return isinstance(x, (Dim, numbers.Integral)) and not isinstance(x, bool)


def _to_int(x):
    return int(x)


def _exact_div(a, b):
    """a / b when it divides exactly as polynomials (b an int or a single-term Dim), else None."""
    if isinstance(b, Dim):
        if len(b.terms) != 1:
            return a // 1 if a == b else None   # a // a
        (mb, cb), = b.terms
    else:
        mb, cb = (), _to_int(b)
        if cb == 0:
            return None
    out = {}
    for m, c in a.terms:
        rest = list(m)
        for atom in mb:
            if atom not in rest:
                return None
            rest.remove(atom)
        if c % cb:
            return None
        out[tuple(rest)] = c // cb
    return Dim._make(out)


def is_static(shape):
    """True if every dim of `shape` is an int (no unknown dims).

    >>> is_static((2, 3)), is_static((Dim("b"), 3))
    (True, False)
    """
    return not any(isinstance(d, Dim) or d is None for d in shape)


def symbols(x):
    """The set of symbol names a dim, shape or nested attribute value mentions."""
    out = set()
    _collect(x, out)
    return out


def _collect(x, out):
    if isinstance(x, Dim):
        for m, _ in x.terms:
            for a in m:
                if isinstance(a, str):
                    out.add(a)
                else:
                    for arg in a[1:]:
                        _collect(arg, out)
    elif isinstance(x, (tuple, list)):
        for y in x:
            _collect(y, out)
    elif isinstance(x, dict):
        for y in x.values():
            _collect(y, out)


def _eval_atom(a, env):
    if isinstance(a, str):
        try:
            return env[a]
        except KeyError:
            raise KeyError(f"unknown dimension {a} is not bound") from None
    args = [evaluate(x, env) for x in a[1:]]
    fn = a[0]
    if fn == "floordiv":
        return args[0] // args[1]
    if fn == "mod":
        return args[0] % args[1]
    if fn == "min":
        return min(args)
    if fn == "max":
        return max(args)
    if fn == "bcast":   # broadcast of dims: each is 1 or the common size (checked beside)
        return max(args)
    raise ValueError(f"unknown dimension function {fn}")


def evaluate(x, env):
    """`x` (a dim, or a tuple/list/dict holding dims) with its symbols replaced by the ints of
    `env` (name -> int); anything else is returned as is.

    >>> evaluate([Dim("n") - 1, "same"], {"n": 3})
    [2, 'same']
    """
    if isinstance(x, Dim):
        total = 0
        for m, c in x.terms:
            v = c
            for a in m:
                v *= _eval_atom(a, env)
            total += v
        return total
    if type(x) is tuple:
        return tuple(evaluate(y, env) for y in x) if any(_has_dim(y) for y in x) else x
    if type(x) is list:
        return [evaluate(y, env) for y in x] if any(_has_dim(y) for y in x) else x
    if type(x) is dict:
        return {k: evaluate(v, env) for k, v in x.items()} if any(
            _has_dim(v) for v in x.values()) else x
    if hasattr(type(x), "evaluate_dims"):   # e.g. a cond/while_loop's sub-graphs
        return x.evaluate_dims(env)
    return x


def _has_dim(x):
    if isinstance(x, Dim):
        return True
    if type(x) in (tuple, list):
        return any(_has_dim(y) for y in x)
    if type(x) is dict:
        return any(_has_dim(y) for y in x.values())
    if hasattr(type(x), "has_dims"):   # an object holding shapes (a cond/while_loop's sub-graphs)
        return x.has_dims()
    return False


has_dim = _has_dim


def prod(dims):
    """Product of dims (ints or Dims); an int when all are known.

    >>> prod((2, 3)), prod((Dim("b"), 3)) == Dim("b") * 3
    (6, True)
    """
    out = 1
    for d in dims:
        out = out * d if isinstance(d, Dim) else d * out if isinstance(out, Dim) else out * int(d)
    return out


def dmin(a, b):
    """min of two dims (symbolic if undecidable)."""
    try:
        return a if a <= b else b
    except TypeError:
        return Dim._opaque("min", a, b)


def dmax(a, b):
    """max of two dims (symbolic if undecidable)."""
    try:
        return a if a >= b else b
    except TypeError:
        return Dim._opaque("max", a, b)


class unifying:
    """Within this context (a trace), symbols that a recorded equality check ties together
    (`require_equal(d1, d0)`, e.g. labels and logits of one batch) are one dim for the shape
    rules that follow (`canonical`): `x[d0] * y[d1]` then has shape (d0,), not bcast(d0, d1).
    The check still runs when a call binds the dims, before the graph runs.

    >>> with unifying():
    ...     _ = require_equal(Dim("d1"), Dim("d0"))
    ...     str(broadcast_dim(Dim("d0"), Dim("d1")))
    'd0'
    >>> _ = take_checks()
    """

    def __init__(self, aliases=None):
        self.initial = aliases or {}

    def __enter__(self):   # (nested: the outer context's unions hold too)
        self.saved = getattr(_PENDING, "aliases", None)
        self.aliases = _PENDING.aliases = dict(self.saved or {}, **self.initial)
        return self

    def __exit__(self, *exc):
        _PENDING.aliases = self.saved


def unifying_active():
    """True inside a `unifying` context (this thread)."""
    return getattr(_PENDING, "aliases", None) is not None


def canonical(d):
    """`d` with a symbol unified with another (see `unifying`) replaced by that one."""
    aliases = getattr(_PENDING, "aliases", None)
    if not aliases or not isinstance(d, Dim) or not d.is_symbol():
        return d
    name = d.terms[0][0][0]
    seen = 0
    while name in aliases and seen < 64:
        name, seen = aliases[name], seen + 1
    return Dim(name) if seen else d


def broadcast_dim(a, b):
    """The numpy broadcast of dims `a` and `b`, or None if they cannot broadcast. A pair it
    cannot decide at trace time records a run-time check (`require_equal`): an unknown dim
    against a known n gives n (the unknown one must be n or 1); two different unknown dims give
    a derived dim `bcast(a, b)` whose value is known when the call binds the dims (either may
    be 1, as in eager mode; sizes that are neither 1 nor equal fail the check).

    >>> a, b = Dim("a"), Dim("b")
    >>> broadcast_dim(a, 1) == a, broadcast_dim(a, 4), str(broadcast_dim(a, b))
    (True, 4, 'bcast(a, b)')
    >>> evaluate(broadcast_dim(a, b), {"a": 1, "b": 5}), broadcast_dim(3, 4)
    (5, None)
    >>> [kind for _, _, kind, _ in take_checks()]
    ['broadcast', 'broadcast_any', 'broadcast_any']
    """
    a, b = canonical(a), canonical(b)
    if a == b and not (a is None or b is None):
        return a
    if not isinstance(a, Dim) and a == 1:
        return b
    if not isinstance(b, Dim) and b == 1:
        return a
    if not isinstance(a, Dim) and not isinstance(b, Dim):
        return None
    if not isinstance(a, Dim) or not isinstance(b, Dim):   # a known dim wins
        known, unknown = (a, b) if isinstance(b, Dim) else (b, a)
        require_equal(known, unknown, "broadcast")
        return known
    require_equal(a, b, "broadcast_any")
    args = set()
    for d in (a, b):   # bcast(bcast(a, b), c) == bcast(a, b, c)
        atom = d.terms[0][0][0] if len(d.terms) == 1 and d.terms[0][1] == 1 \
            and len(d.terms[0][0]) == 1 else None
        args.update(atom[1:] if isinstance(atom, tuple) and atom[0] == "bcast" else (d,))
    return Dim._opaque("bcast", *sorted(args, key=str))


# ---------------------------------------------------------------- run-time checks
_PENDING = threading.local()


def require_equal(a, b, kind="equal", context=None):
    """Whether dims `a` and `b` may agree: False if both are known and differ; True if equal;
    otherwise True and a check is recorded that the executor runs when it binds the dims
    (`kind` 'equal', 'broadcast': `b` may also be 1 - the shape rule's result holds `a` - or
    'broadcast_any': either may be 1).
    `context` (op name, input avals, message)
    names the op for the error; without it the check belongs to the op whose rule is running.

    >>> require_equal(3, 3), require_equal(3, 4), require_equal(Dim("b"), 4)
    (True, False, True)
    >>> take_checks()
    [(None, 4, 'equal', None)]
    """
    a, b = canonical(a), canonical(b)
    if a is None or b is None:   # a run-time size (a loop's history, `tf.range(n)`): the
        return True              # executor's numpy checks it when it runs
    if a == b:
        return True
    if not isinstance(a, Dim) and not isinstance(b, Dim):
        return False
    if kind == "equal" and isinstance(a - b, int):   # e.g. n + 1 and n: never equal
        return False
    aliases = getattr(_PENDING, "aliases", None)
    if kind == "equal" and aliases is not None and isinstance(a, Dim) and isinstance(b, Dim) \
            and a.is_symbol() and b.is_symbol():   # the rest of the trace takes them as one
        (x, y) = sorted((str(a), str(b)))
        aliases[y] = x
    lst = getattr(_PENDING, "checks", None)
    if lst is None:
        lst = _PENDING.checks = []
    lst.append((a, b, kind, context))
    return True


def require_differ(a, b, context=None):
    """Whether dims `a` and `b` may differ: False if they are equal; if undecided, True and a
    run-time check that they differ is recorded (as `require_equal`).

    >>> require_differ(Dim("b"), 1), require_differ(2, 2), take_checks()[0][2]
    (True, False, 'differ')
    """
    if a == b and not (a is None or b is None):
        return False
    if isinstance(a, Dim) or isinstance(b, Dim):
        lst = getattr(_PENDING, "checks", None)
        if lst is None:
            lst = _PENDING.checks = []
        lst.append((a, b, "differ", context))
    return True


def checks_pending():
    """True if checks were recorded (this thread) that no op has taken yet: a composition that
    would return its input unchanged binds an op anyway, so they reach the graph."""
    return bool(getattr(_PENDING, "checks", None))


def take_checks():
    """The checks `require_equal` recorded since the last call (this thread), clearing them."""
    lst = getattr(_PENDING, "checks", None)
    _PENDING.checks = []
    return lst or []


def check_holds(a, b, kind, env):
    """Run one recorded check on the ints of `env`."""
    va, vb = evaluate(a, env), evaluate(b, env)
    if kind == "differ":
        return va != vb
    return va == vb or (kind == "broadcast" and vb == 1) or (
        kind == "broadcast_any" and (va == 1 or vb == 1))
