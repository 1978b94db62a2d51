"""On-disk cache of AutoGraph's converted code: a warm process skips reading, parsing and
transforming the source of every function it converts.

Converting one function costs its source's look-up (`inspect.getsource`: reading the file and
tokenizing it; ~3.5 ms for the first function of a process) plus parsing, transforming and
compiling it (~1.8 ms for the SGD step of tools/bench.py): ~7 ms of CPU of a fresh process's
first `mlp_step` call, against ~0.1 ms to read the compiled code back. The key is a sha256 of
the function's own code object (bytecode, constants - nested code objects included -, names,
file, first line and line table: what the source compiled to, so an edited function gets
another entry without the source being read), Python's version and the size and mtime of
AutoGraph's source files (an edited transformer invalidates every entry). The entry holds the
compiled factory module (`marshal`), which `api._convert` turns into the converted function as
it does after compiling.

Entries live in ``$GRAPHFLOW_CACHE_DIR/autograph`` (default ``~/.cache/graphflow/autograph``).
``GRAPHFLOW_AUTOGRAPH_CACHE=0`` turns the cache off; as the plan cache it is off by default under
pytest (tests patch the transformer, which the source fingerprint cannot see) unless
``GRAPHFLOW_AUTOGRAPH_CACHE=1``. An entry that does not load is deleted and the function is
converted from source.

>>> def f(x):
...     return x + 1
>>> def g(x):
...     return x + 2
>>> code_key(f.__code__) == code_key(f.__code__), code_key(f.__code__) == code_key(g.__code__)
(True, False)
"""
import hashlib
import marshal
import os
import sys
import types

#: changes whenever the entry layout or the key's recipe changes
FORMAT = b"gf-autograph-cache-1\n"

#: 'hits', 'misses', 'stores', 'corrupt'
STATS = {"hits": 0, "misses": 0, "stores": 0, "corrupt": 0}

_FINGERPRINT = []


def enabled():
    """The cache is used (``GRAPHFLOW_AUTOGRAPH_CACHE``; off by default under pytest, and off
    when ``GRAPHFLOW_DISK_CACHE=0``)."""
    from ..backends.plan_cache import disk_cache_on
    return disk_cache_on("GRAPHFLOW_AUTOGRAPH_CACHE")


def cache_dir():
    from ..backends.plan_cache import cache_root
    return os.path.join(cache_root(), "autograph")


def _fingerprint():
    """Python's version and the path, size and mtime of AutoGraph's source files (once per
    process)."""
    if not _FINGERPRINT:
        h = hashlib.sha256(FORMAT + sys.version.encode())
        here = os.path.dirname(os.path.abspath(__file__))
        for f in sorted(os.listdir(here)):
            if f.endswith(".py"):
                st = os.stat(os.path.join(here, f))
                h.update(f"{f}|{st.st_size}|{st.st_mtime_ns}\n".encode())
        _FINGERPRINT.append(h.digest())
    return _FINGERPRINT[0]


def _feed(h, code):
    for v in (code.co_filename, code.co_name, code.co_qualname if hasattr(code, "co_qualname")
              else "", code.co_firstlineno, code.co_argcount, code.co_posonlyargcount,
              code.co_kwonlyargcount, code.co_flags, code.co_names, code.co_varnames,
              code.co_freevars, code.co_cellvars):
        h.update(repr(v).encode() + b"\0")
    h.update(code.co_code)
    h.update(getattr(code, "co_linetable", b"") or b"")
    h.update(getattr(code, "co_exceptiontable", b"") or b"")
    for c in code.co_consts:
        if isinstance(c, types.CodeType):
            h.update(b"<code>")
            _feed(h, c)
        elif isinstance(c, frozenset):   # (a set's order varies with string hashing)
            h.update(("frozenset:" + ",".join(sorted(map(repr, c))) + "\0").encode())
        else:
            h.update(f"{type(c).__name__}:{c!r}\0".encode())


def code_key(code):
    """The cache key (hex) of a function's code object."""
    h = hashlib.sha256(_fingerprint())
    _feed(h, code)
    return h.hexdigest()


def _path(key):
    return os.path.join(cache_dir(), f"{key[:40]}.code")


def load(code):
    """The cached converted module code for a function whose code object is `code`, or None
    (also when the cache is off). Returns (module code or None, key or None)."""
    if not enabled():
        return None, None
    key = code_key(code)
    path = _path(key)
    try:
        with open(path, "rb") as f:
            blob = f.read()
    except OSError:
        STATS["misses"] += 1
        return None, key
    try:
        n = len(FORMAT)
        if blob[:n] != FORMAT or blob[n:n + 64] != key.encode():
            raise ValueError("format or key does not match")
        out = marshal.loads(blob[n + 64:])
        if not isinstance(out, types.CodeType):
            raise ValueError("not a code object")
    except Exception:
        STATS["corrupt"] += 1
        STATS["misses"] += 1
        try:
            os.unlink(path)
        except OSError:
            pass
        return None, key
    STATS["hits"] += 1
    return out, key


def store(key, module_code):
    """Write the entry for `key` (atomically; a read-only or full disk leaves the cache as it
    is)."""
    if key is None:
        return
    from ..backends.plan_cache import write_atomically
    if write_atomically(_path(key), FORMAT + key.encode() + marshal.dumps(module_code)):
        STATS["stores"] += 1
