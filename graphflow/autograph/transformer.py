"""AutoGraph's source conversion: a function's `ast` rewritten so Python control flow on
tensors becomes graph control flow.

Two passes over the function body (nested defs, lambdas and classes are left alone; functions
they call are converted when called, see `operators.converted_call`):

1. *lowering* of `return` / `break` / `continue` inside `if`/`for`/`while` into flag variables
   (`do_return`, `break_N`, `continue_N`): the rest of a block after a statement that may set a
   flag runs under `if not flag:`, loops get the flags in their condition - TF's scheme;
2. *conversion*: `if`, `while`, `for`, `x if c else y`, `and`/`or`/`not` and calls become calls
   of the runtime operators (`ag__.if_stmt`, ...). Branches and loop bodies become local
   functions that take the variables the statement assigns and return their new values, so the
   operator can run them as Python (a Python condition: exactly Python semantics) or trace them
   into `cond` / `while_loop` sub-graphs (a tensor condition).

Every generated node carries the line number of the user's statement it comes from, and the
code is compiled under the user's file name, so errors and node `source`s name the user's lines.
"""
import ast
import itertools

AG = "ag__"


def _name(id_, ctx=None):
    return ast.Name(id=id_, ctx=ctx or ast.Load())


def _call(fn, args, keywords=()):
    return ast.Call(func=ast.Attribute(value=_name(AG), attr=fn, ctx=ast.Load()), args=list(args),
                    keywords=list(keywords))


def _assign(target, value):
    return ast.Assign(targets=[_name(target, ast.Store())], value=value)


def _const(v):
    return ast.Constant(value=v)


def _loc(new, old):
    """Give `new` (and its children without a location) `old`'s location."""
    for n in ast.walk(new):
        if not hasattr(n, "lineno") or getattr(n, "lineno", None) is None:
            ast.copy_location(n, old)
    return new


def _locs(nodes, old):
    return [_loc(n, old) for n in nodes]


def assigned_names(stmts):
    """Names a statement list binds (assignment targets, for targets, augmented assignments,
    `with ... as`, imports), not looking into nested functions/classes/lambdas/comprehensions."""
    out = []

    def add(n):
        if n not in out:
            out.append(n)

    def visit(node):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            add(node.name)
            return
        if isinstance(node, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp,
                             ast.GeneratorExp)):
            return
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            add(node.id)
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for a in node.names:
                add((a.asname or a.name).split(".")[0])
        for c in ast.iter_child_nodes(node):
            visit(c)
    for s in stmts:
        visit(s)
    return out


def _always_exits(stmts):
    """True if the block always ends in return/break/continue (so what follows is its else)."""
    for s in stmts:
        if isinstance(s, (ast.Return, ast.Break, ast.Continue, ast.Raise)):
            return True
        if isinstance(s, ast.If) and _always_exits(s.body) and _always_exits(s.orelse):
            return True
    return False


def _contains(stmts, types, stop=(ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef,
                                  ast.Lambda)):
    def visit(node):
        if isinstance(node, types):
            return True
        if isinstance(node, stop):
            return False
        return any(visit(c) for c in ast.iter_child_nodes(node))
    return any(visit(s) for s in stmts)


# ------------------------------------------------------------------ pass 1: lowering
class _Lowering:
    RET, VAL = "do_return", "retval_"

    def __init__(self, lower_returns=True):
        self.count = itertools.count()
        self.uses_return = False
        self.lower_returns = lower_returns

    def block(self, stmts, loop):
        out = []
        for i, s in enumerate(stmts):
            exits = (_always_exits(s.body), _always_exits(s.orelse)) \
                if isinstance(s, ast.If) else (False, False)
            new, flags = self.stmt(s, loop)
            out.extend(new)
            rest = stmts[i + 1:]
            if flags and rest and any(exits):
                # `if c: return a` + rest -> `if c: return a else: rest` (TF's scheme: a
                # variable is then set on every path)
                body, more = self.block(rest, loop) if not all(exits) else ([], set())
                (new[0].orelse if exits[0] else new[0].body).extend(body)
                return out, flags | more
            if flags and rest:
                guard = self._not_any(sorted(flags), s)
                body, more = self.block(rest, loop)
                out.append(_loc(ast.If(test=guard, body=body or [ast.Pass()], orelse=[]), s))
                return out, flags | more
            if flags:
                return out, flags
        return out, set()

    @staticmethod
    def _not_any(flags, at):
        tests = [ast.UnaryOp(op=ast.Not(), operand=_name(f)) for f in flags]
        return _loc(tests[0] if len(tests) == 1 else ast.BoolOp(op=ast.And(), values=tests), at)

    def stmt(self, s, loop):
        if isinstance(s, ast.Return) and self.lower_returns:
            self.uses_return = True
            val = s.value if s.value is not None else _const(None)
            return _locs([_assign(self.VAL, val), _assign(self.RET, _const(True))], s), {self.RET}
        if isinstance(s, ast.Break):
            return [_loc(_assign(loop[0], _const(True)), s)], {loop[0]}
        if isinstance(s, ast.Continue):
            return [_loc(_assign(loop[1], _const(True)), s)], {loop[1]}
        if isinstance(s, ast.If):
            s.body, fb = self.block(s.body, loop)
            s.orelse, fo = self.block(s.orelse, loop)
            s.body = s.body or [_loc(ast.Pass(), s)]
            return [s], fb | fo
        if isinstance(s, (ast.While, ast.For)):
            k = next(self.count)
            inner = (f"break_{k}", f"continue_{k}")
            body, flags = self.block(s.body, inner)
            pre = []
            if inner[1] in flags:
                body = [_loc(_assign(inner[1], _const(False)), s)] + body
            exits = sorted(f for f in flags if f in (inner[0], self.RET))
            if inner[0] in flags:
                pre.append(_loc(_assign(inner[0], _const(False)), s))
            s.body = body or [_loc(ast.Pass(), s)]
            orelse, fo = self.block(s.orelse, loop)
            s.orelse = []
            extra = self._not_any(exits, s) if exits else None
            if isinstance(s, ast.While) and extra is not None:
                s.test = _loc(ast.BoolOp(op=ast.And(), values=[extra, s.test]), s)
            elif extra is not None:
                s.ag_extra_test = extra
            post = []
            if orelse:   # for/while-else: runs unless the loop was left by break/return
                post = [_loc(ast.If(test=extra, body=orelse, orelse=[]), s)] if extra else orelse
            return pre + [s] + post, ({self.RET} & flags) | fo
        if isinstance(s, (ast.With, ast.AsyncWith)):
            s.body, f = self.block(s.body, loop)
            return [s], f
        if isinstance(s, ast.Try):
            s.body, f1 = self.block(s.body, loop)
            s.orelse, f2 = self.block(s.orelse, loop)
            s.finalbody, f3 = self.block(s.finalbody, loop)
            fh = set()
            for h in s.handlers:
                h.body, f = self.block(h.body, loop)
                fh |= f
            return [s], f1 | f2 | f3 | fh
        return [s], set()


def lower_function(fdef):
    """Lower return/break/continue in compound statements of `fdef` (in place)."""
    if not _contains(fdef.body, (ast.If, ast.For, ast.While)):
        return
    nested_return = any(_contains(s.body + getattr(s, "orelse", []), (ast.Return,))
                        for s in ast.walk(ast.Module(body=fdef.body, type_ignores=[]))
                        if isinstance(s, (ast.If, ast.For, ast.While, ast.With, ast.Try))
                        and not isinstance(s, ast.FunctionDef))
    loop_else = any(isinstance(s, (ast.For, ast.While)) and s.orelse
                    for s in ast.walk(ast.Module(body=fdef.body, type_ignores=[])))
    if not nested_return and not loop_else and not _contains(fdef.body,
                                                             (ast.Break, ast.Continue)):
        return   # (a loop's else clause is moved after it here: conversion drops orelse)
    low = _Lowering(lower_returns=nested_return)
    body, _ = low.block(fdef.body, (None, None))
    if nested_return:
        first = fdef.body[0]
        body = _locs([_assign(_Lowering.RET, _const(False)),
                      _assign(_Lowering.VAL, _call("Undefined", [_const("retval_")]))], first) \
            + body + [_loc(ast.Return(value=_call("retval", [_name(_Lowering.VAL)])),
                           fdef.body[-1])]
    fdef.body = body


# ------------------------------------------------------------------ pass 2: conversion
class _Converter(ast.NodeTransformer):
    def __init__(self, local_names):
        self.count = itertools.count()
        self.locals = local_names

    # nested functions / classes: not converted here (converted when called)
    def visit_FunctionDef(self, node):
        return node

    visit_AsyncFunctionDef = visit_ClassDef = visit_Lambda = visit_FunctionDef

    def _fn(self, name, params, body, returns, at):
        body = list(body) + [ast.Return(value=ast.Tuple(elts=[_name(n) for n in returns],
                                                        ctx=ast.Load()))]
        args = ast.arguments(posonlyargs=[], args=[ast.arg(arg=p) for p in params], vararg=None,
                             kwonlyargs=[], kw_defaults=[], kwarg=None, defaults=[])
        return _loc(ast.FunctionDef(name=name, args=args, body=body, decorator_list=[],
                                    returns=None, type_comment=None), at)

    def _state_io(self, names, at):
        tup = _loc(ast.Tuple(elts=[_name(n) for n in names], ctx=ast.Load()), at)
        store = _loc(ast.Tuple(elts=[_name(n, ast.Store()) for n in names], ctx=ast.Store()), at)
        return tup, store, _loc(ast.Tuple(elts=[_const(n) for n in names], ctx=ast.Load()), at)

    def _body(self, stmts):
        out = []
        for s in stmts:
            r = self.visit(s)
            out.extend(r if isinstance(r, list) else [r])
        return out or [ast.Pass()]

    def visit_If(self, node):
        node.test = self.visit(node.test)
        names = assigned_names(node.body + node.orelse)
        k = next(self.count)
        tn, fn = f"if_true_{k}", f"if_false_{k}"
        t = self._fn(tn, names, self._body(node.body), names, node)
        f = self._fn(fn, names, self._body(node.orelse), names, node)
        tup, store, strs = self._state_io(names, node)
        call = _call("if_stmt", [node.test, _name(tn), _name(fn), tup, strs, _const(node.lineno)])
        stmt = ast.Assign(targets=[store], value=call) if names else ast.Expr(value=call)
        return _locs([t, f, stmt], node)

    def visit_While(self, node):
        names = assigned_names(node.body)
        k = next(self.count)
        cn, bn = f"loop_test_{k}", f"loop_body_{k}"
        c = self._fn(cn, names, [], [], node)
        c.body = [_loc(ast.Return(value=self.visit(node.test)), node)]
        b = self._fn(bn, names, self._body(node.body), names, node)
        tup, store, strs = self._state_io(names, node)
        call = _call("while_stmt", [_name(cn), _name(bn), tup, strs, _const(node.lineno)])
        stmt = ast.Assign(targets=[store], value=call) if names else ast.Expr(value=call)
        return _locs([c, b, stmt], node)

    def visit_For(self, node):
        if isinstance(node.iter, ast.Call):   # `for i in tf.range(n)`: see operators.range_iter
            c = node.iter
            c.args = [self.visit(a) for a in c.args]
            c.keywords = [self.visit(k) for k in c.keywords]
            node.iter = _loc(_call("range_iter", [self.visit(c.func)] + c.args, c.keywords), c)
        else:
            node.iter = self.visit(node.iter)
        targets = assigned_names([node.target])
        names = [n for n in assigned_names(node.body) if n not in targets]
        k = next(self.count)
        bn, item = f"loop_body_{k}", f"item_{k}"
        unpack = _loc(ast.Assign(targets=[node.target], value=_name(item)), node)
        b = self._fn(bn, [item] + names, [unpack] + self._body(node.body), names, node)
        defs = [b]
        extra = getattr(node, "ag_extra_test", None)
        if extra is not None:
            cn = f"extra_test_{k}"
            c = self._fn(cn, names, [], [], node)
            c.body = [_loc(ast.Return(value=self.visit(extra)), node)]
            defs.append(c)
            extra = _name(cn)
        else:
            extra = _const(None)
        tup, store, strs = self._state_io(names, node)
        call = _call("for_stmt", [node.iter, extra, _name(bn), tup, strs, _const(node.lineno)])
        stmt = ast.Assign(targets=[store], value=call) if names else ast.Expr(value=call)
        return _locs(defs + [stmt], node)

    def visit_IfExp(self, node):
        self.generic_visit(node)
        lam = [ast.Lambda(args=ast.arguments(posonlyargs=[], args=[], vararg=None, kwonlyargs=[],
                                             kw_defaults=[], kwarg=None, defaults=[]), body=b)
               for b in (node.body, node.orelse)]
        return _loc(_call("if_exp", [node.test] + lam + [_const(node.lineno)]), node)

    def visit_BoolOp(self, node):
        self.generic_visit(node)
        fn = "and_" if isinstance(node.op, ast.And) else "or_"
        lam = [ast.Lambda(args=ast.arguments(posonlyargs=[], args=[], vararg=None, kwonlyargs=[],
                                             kw_defaults=[], kwarg=None, defaults=[]), body=v)
               for v in node.values]
        return _loc(_call(fn, lam), node)

    def visit_UnaryOp(self, node):
        self.generic_visit(node)
        if isinstance(node.op, ast.Not):
            return _loc(_call("not_", [node.operand]), node)
        return node

    def visit_Call(self, node):
        self.generic_visit(node)
        if isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name) \
                and node.func.value.id == AG:
            return node
        node.func = _loc(_call("converted_call", [node.func]), node)
        return node


def convert_function_def(fdef):
    """Convert a parsed FunctionDef in place (lowering, then conversion); returns it."""
    lower_function(fdef)
    params = [a.arg for a in fdef.args.posonlyargs + fdef.args.args + fdef.args.kwonlyargs]
    params += [a.arg for a in (fdef.args.vararg, fdef.args.kwarg) if a is not None]
    local = [n for n in assigned_names(fdef.body) if n not in params]
    conv = _Converter(local)
    body = conv._body(fdef.body)
    # every local starts Undefined, so branch/loop functions can take it before it is assigned
    pre = _locs([_assign(n, _call("Undefined", [_const(n)])) for n in local], fdef.body[0])
    fdef.body = pre + body
    fdef.decorator_list = []
    return fdef
