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
import textwrap
import threading
import types
import weakref

from . import operators
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
    tree, fdef = _converted_tree(f)
    free = list(f.__code__.co_freevars)
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
    code = compile(tree, f.__code__.co_filename, "exec")
    fcode = next(c for c in code.co_consts if isinstance(c, types.CodeType))
    inner = next(c for c in fcode.co_consts if isinstance(c, types.CodeType)
                 and c.co_name == f.__name__)
    cells = dict(zip(free, f.__closure__ or ()))
    cells["ag__"] = types.CellType(operators)
    closure = tuple(cells[n] if n in cells else types.CellType() for n in inner.co_freevars)
    new = types.FunctionType(inner, f.__globals__, f.__name__, f.__defaults__, closure or None)
    new.__kwdefaults__ = f.__kwdefaults__
    functools.update_wrapper(new, f)
    del new.__wrapped__
    new.__graphflow_converted__ = True
    return new


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
