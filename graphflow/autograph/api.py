"""AutoGraph's public API: convert a function, show its converted code, opt out.

>>> import graphflow as tf
>>> def f(x):
...     if x > 0:
...         x = x * 2
...     return x
>>> "ag__.if_stmt" in tf.autograph.to_code(f)
True
"""
import ast
import functools
import inspect
import os
import textwrap
import threading
import types
import weakref

from . import code_cache, operators
from .transformer import convert_function_def

_CACHE = weakref.WeakKeyDictionary()
# One conversion at a time: CPython's `ast` constructors are not safe to run from several threads
# at once ("AST constructor recursion depth mismatch"), and the cache is filled once per function.
_CONVERT_LOCK = threading.RLock()
_NO_CONVERT = "__graphflow_do_not_convert__"


def do_not_convert(func=None):
    """Decorator: run `func` as written (never converted by AutoGraph), like TF's
    `tf.autograph.experimental.do_not_convert`."""
    if func is None:
        return do_not_convert
    try:
        setattr(func, _NO_CONVERT, True)
    except (AttributeError, TypeError):
        pass
    return func


def _parse(f):   # callers hold _CONVERT_LOCK
    src = textwrap.dedent(inspect.getsource(f))
    tree = ast.parse(src)
    fdef = tree.body[0]
    if not isinstance(fdef, ast.FunctionDef):
        raise ValueError(f"cannot convert {f!r}: not a def statement")
    a, code = fdef.args, f.__code__
    params = [x.arg for x in a.posonlyargs + a.args + a.kwonlyargs]
    params += [x.arg for x in (a.vararg, a.kwarg) if x is not None]
    if fdef.name != f.__name__ or params != list(code.co_varnames[:len(params)]):
        # the file changed since f was defined (inspect reads it again): converting that text
        # would run another function with f's closure; run f as written instead
        raise ValueError(f"cannot convert {f!r}: its source file no longer holds it at line "
                         f"{code.co_firstlineno}")
    first = f.__code__.co_firstlineno
    top = min([fdef.lineno] + [d.lineno for d in fdef.decorator_list])   # = co_firstlineno
    ast.increment_lineno(tree, first - top)
    # indentation removed by dedent: column offsets are cosmetic
    return tree, fdef


def _converted_tree(f):
    tree, fdef = _parse(f)
    convert_function_def(fdef)
    return tree, fdef


def to_code(func, recursive=True, experimental_optional_features=None):
    """The Python source AutoGraph generates for `func` (TF's `tf.autograph.to_code`)."""
    with _CONVERT_LOCK:
        return _to_code(func)


def _to_code(func):
    func = getattr(func, "python_function", func)
    _, fdef = _converted_tree(func)
    return ast.unparse(fdef) + "\n"


def convert(f):
    """The converted function for `f` (a new function object with f's globals, closure and
    defaults). Raises if f's source is unavailable."""
    with _CONVERT_LOCK:
        return _convert(f)


def _convert(f):
    name = "__ag_converted_" + f.__name__
    code, key = code_cache.load(f.__code__)   # a warm process: no source read, parse or compile
    if code is None:
        code = _compile_converted(f, name)
        code_cache.store(key, code)
    fcode = next(c for c in code.co_consts if isinstance(c, types.CodeType))
    inner = next(c for c in fcode.co_consts if isinstance(c, types.CodeType)
                 and c.co_name == name)
    inner = inner.replace(co_name=f.__name__)
    if hasattr(inner, "co_qualname"):   # Python >= 3.11: tracebacks show the qualified name
        inner = inner.replace(co_qualname=f.__qualname__)
    cells = dict(zip(f.__code__.co_freevars, f.__closure__ or ()))
    cells["ag__"] = types.CellType(operators)
    closure = tuple(cells[n] if n in cells else types.CellType() for n in inner.co_freevars)
    new = types.FunctionType(inner, f.__globals__, f.__name__, f.__defaults__, closure or None)
    new.__kwdefaults__ = f.__kwdefaults__
    functools.update_wrapper(new, f)
    del new.__wrapped__
    new.__graphflow_converted__ = True
    return new


def _compile_converted(f, name):
    """The compiled module of a factory `__ag_factory(ag__, *free variables of f)` that defines
    f's converted code as `name` and returns it."""
    tree, fdef = _converted_tree(f)
    free = list(f.__code__.co_freevars)
    # renamed inside the factory: a module-level f calling itself by name (recursion) must look
    # the name up in its globals, not in a factory cell that is never filled
    fdef.name = name
    # a factory whose parameters make `ag__` and f's free variables closure variables of the
    # converted function; its cells are then replaced by f's own cells (shared, live)
    args = ast.arguments(posonlyargs=[], args=[ast.arg(arg=n) for n in ["ag__"] + free],
                         vararg=None, kwonlyargs=[], kw_defaults=[], kwarg=None, defaults=[])
    factory = ast.FunctionDef(name="__ag_factory", args=args, body=[fdef, ast.Return(
        value=ast.Name(id=fdef.name, ctx=ast.Load()))], decorator_list=[], returns=None,
        type_comment=None)
    ast.copy_location(factory, fdef)
    for n in ast.walk(factory.body[1]):
        ast.copy_location(n, fdef)
    tree.body = [factory]
    ast.fix_missing_locations(tree)
    return compile(tree, f.__code__.co_filename, "exec")


def convert_cached(f):
    """Converted `f`, or None when f should run as written (do_not_convert, no source, a
    lambda, already converted)."""
    if getattr(f, _NO_CONVERT, False) or getattr(f, "__graphflow_converted__", False):
        return None
    if isinstance(f, types.MethodType):   # a bound method: convert the function, bind again
        g = convert_cached(f.__func__)
        return None if g is None else types.MethodType(g, f.__self__)
    with _CONVERT_LOCK:
        try:
            return _CACHE[f]
        except KeyError:
            pass
        except TypeError:
            return None
        try:
            g = _convert(f)
        except (OSError, TypeError, SyntaxError, ValueError, StopIteration):
            g = None
        _CACHE[f] = g
        return g


def _code_lines(code):
    """Line numbers of `code` and of the functions nested in it."""
    out = {code.co_firstlineno}
    out.update(ln for _, _, ln in code.co_lines() if ln is not None)
    for c in code.co_consts:
        if isinstance(c, types.CodeType):
            out |= _code_lines(c)
    return out


def report(func):
    """What AutoGraph did with each `if`/`while`/`for`/conditional expression of `func` (a
    function or `tf.function`) in the traces so far: graph control flow (a cond / while_loop
    node) or Python evaluated while tracing, with line numbers - the question "did my loop
    become a graph loop?" answered without reading generated code (TF has no such report).

    >>> import graphflow as tf
    >>> @tf.function
    ... def f(x, n):
    ...     for i in range(2):
    ...         x = x + 1.0
    ...     while tf.reduce_sum(x) < n:
    ...         x = x * 2.0
    ...     return x
    >>> _ = f(tf.constant([1.0]), tf.constant(10.0))
    >>> print(f.autograph_report())  # doctest: +ELLIPSIS
    AutoGraph report for f (<doctest ...>):
      line 3: for -> Python: iterates a Python range (unrolled while tracing)
      line 5: while -> graph: one while_loop node (tensor condition)
    """
    f = getattr(func, "python_function", func)
    f = getattr(f, "__func__", f)
    code = f.__code__
    lines = _code_lines(code)
    rows = sorted((ln, e) for (fl, ln), e in list(operators.REPORT.items())
                  if fl == code.co_filename and code.co_firstlineno <= ln <= max(lines))
    out = [f"AutoGraph report for {f.__qualname__} ({os.path.basename(code.co_filename)}):"]
    for ln, e in rows:
        out += [f"  line {ln}: {e['statement']} -> {how}" for how in e["runs"]]
    if not rows:
        out.append("  no converted control flow statement has run yet")
    return "\n".join(out)
