"""Kernel cache and compiler: in memory by structural key, on disk across processes.

* The structural key of a kernel is a hash of its generated source (which depends on the op DAG,
  dtypes, loop rank, broadcast pattern and layout - never on shapes) salted with the code
  generator's version, numba's version and the hash of the runtime modules it inlines.
* On disk (``$GRAPHFLOW_CACHE_DIR``, default ``~/.cache/graphflow``) every kernel is a module
  ``kernels/gfk_<key>.py``; numba's own cache (``cache=True``) keeps the machine code beside it in
  ``__pycache__``. Files are written to a temp file and moved with ``os.replace`` (atomic, so
  concurrent processes are safe); a source file whose content does not match its name, or a numba
  cache file that fails to load (truncated, corrupted), is deleted and the kernel recompiled.
* Compilation runs on one background daemon thread (numba's compiler is serialized anyway) so a
  traced function can run on numpy meanwhile; `Kernel.wait()` / `wait_all()` block until done.
  That thread only *loads* kernels: a cache miss is compiled by the compiler process
  (`compile_worker.py`, its own GIL and core; ``GRAPHFLOW_COMPILE_PROCESS=0`` compiles on the
  thread instead), then loaded from the disk cache like a hit. Loading skips numba's lowering
  registries (`_load_cached`: ~5-10 ms per kernel instead of a 0.5-0.8 s first load).
  ``GRAPHFLOW_SYNC_COMPILE=1`` (or ``SETTINGS.sync_compile = True``) compiles in the caller.
* The compiler process also writes each kernel as a shared object with a plain C entry
  (`native.py`); loading one is a dlopen (~0.3 ms) and never imports numba, so a warm start
  (and a cold one, whose kernels the process compiles) runs without numba in this process.
  Kernels without one (no C compiler, a loop kernel returning values, a parallel kernel,
  ``GRAPHFLOW_NATIVE_KERNELS=0``, the compile thread's own compiles) load through numba below.
* A warm start (every kernel of a plan in the disk cache) loads them in the caller before the
  first call (`load_now`: numba's import plus ~5-10 ms per kernel), so no call runs on numpy
  next to a loader; ``GRAPHFLOW_WARM_LOAD=background`` loads on the compile thread instead.
  That thread imports numba when it first needs it and, while a plan runs, hands the GIL back
  every `YIELD_EVERY` seconds (`_GilYielder`, a profile hook on that thread only), so the calls
  running on numpy meanwhile are not starved.
* Loading also skips two more costs of numba's own path (`_install_load_shortcuts`): the
  runtime's (NRT) functions are compiled by LLVM once per machine and numba version and then
  loaded as object code (``nrt_<key>.bin``, checksummed), and a kernel's reference to a helper's
  environment (np.empty's, from `numba.np.arrayobj`) no longer imports that helper's module
  (with `unicode`, `charseq`, ...) just to use its namespace: measured at load 5, 40-85 ms and
  50-150 ms of a warm start's first call.
"""
import atexit
import collections
import glob
import hashlib
import itertools
import importlib.util
import os
import pickle
import sys
import threading
import time
import types
import warnings

import numpy as np

from ...lazy import lazy_module
from . import native
from .codegen import CODEGEN_VERSION
from .compile_worker import innermost_loops, numba_signature, vector_report

# used when compiling (a warm start that loads every kernel from the disk cache does not: tempfile
# brings shutil, bz2 and lzma, ~4 ms)
queue = lazy_module("queue")
tempfile = lazy_module("tempfile")


class Settings:
    """Backend switches (read when a plan is built)."""

    def __init__(self):
        self.sync_compile = os.environ.get("GRAPHFLOW_SYNC_COMPILE", "") not in ("", "0")
        self.disk_cache = os.environ.get("GRAPHFLOW_DISK_CACHE", "1") not in ("", "0")
        # 'sync': a plan whose kernels are all in the disk cache loads them before its first
        # call (`load_now`); 'background': on the compile thread while calls run on numpy
        self.warm_load = os.environ.get("GRAPHFLOW_WARM_LOAD", "sync")

    @property
    def cache_dir(self):
        d = os.environ.get("GRAPHFLOW_CACHE_DIR")
        if not d:
            d = os.path.join(os.environ.get("XDG_CACHE_HOME") or
                             os.path.join(os.path.expanduser("~"), ".cache"), "graphflow")
        return os.path.join(d, "kernels")


SETTINGS = Settings()
#: 'compiled', 'disk_hits', 'memory_hits', 'recovered', 'failed'; 'nrt_loaded' (the runtime's
#: functions from the disk cache), 'lazy_envs' (helper environments made without their module),
#: 'native_loads' (kernels loaded from their shared objects, `native.py`)
STATS = collections.Counter()

_HERE = os.path.dirname(os.path.abspath(__file__))
_salt = None


def _get_salt():
    global _salt
    if _salt is None:
        h = hashlib.sha256(CODEGEN_VERSION.encode())
        h.update(sys.version.encode())
        for name in ("vmath.py", "rt.py"):
            with open(os.path.join(_HERE, name), "rb") as f:
                h.update(f.read())
        for dist in ("numba", "llvmlite"):
            h.update(_dist_version(dist).encode())
        _salt = h.hexdigest()
    return _salt


def _dist_version(name):
    """The installed version of distribution `name` ('' if unknown), read from its
    ``name-version.dist-info`` directory's name on sys.path, as `importlib.metadata` would find
    it - without importing importlib.metadata (~30-50 ms of CPU at a warm start, for two version
    strings; it stays the fallback).

    >>> _dist_version("numba") == __import__("importlib.metadata").metadata.version("numba")
    True
    """
    for d in sys.path:
        try:
            names = os.listdir(d or ".")
        except OSError:
            continue
        for f in names:
            if f.startswith(name + "-") and f.endswith(".dist-info"):
                return f[len(name) + 1:-len(".dist-info")]
    try:
        from importlib.metadata import version
        return version(name)
    except Exception:   # pragma: no cover - metadata missing
        return ""


def kernel_key(source, arg_types=()):
    """The structural key: a content hash of the generated source and the argument types it
    is compiled for (plus versions). The types count: two kernels can share their source text
    (e.g. a one_hot over int8 or uint8 indices) yet need different compiled signatures."""
    return hashlib.sha256((_get_salt() + source + repr(list(arg_types))).encode()
                          ).hexdigest()[:24]


class Kernel:
    """One compiled (or compiling) kernel, shared by every plan whose cluster has its structure."""

    def __init__(self, key, source, arg_types):
        self.key, self.source, self.arg_types = key, source, arg_types
        self.fn = None              # the numba dispatcher once compiled (compilation disabled)
        self.state = "pending"      # pending | compiling | ready | failed
        self.origin = None          # 'compiled' | 'disk' (numba cache hit)
        self.error = None
        self.compile_seconds = None
        self.path = None
        self.requests = 0
        self.vector = None          # what LLVM vectorized (`vector_report`), when known
        self.compiler = "thread"    # where a miss was compiled: 'thread' | 'process'
        self.process_error = None   # why the compiler process could not (then: this process)
        self._done = threading.Event()

    def wait(self, timeout=None):
        if self._done.is_set():
            return True
        _first_in_line(self)
        with _waiting_lock:         # a thread blocked here: the compile thread runs unthrottled
            _waiting[0] += 1
        try:
            return self._done.wait(timeout)
        finally:
            with _waiting_lock:
                _waiting[0] -= 1

    @property
    def ready(self):
        return self.fn is not None

    @property
    def native(self):
        """The shared object this kernel was loaded from (`native.py`), or None (numba's)."""
        return native.origin(self.fn) if self.fn is not None else None

    def __repr__(self):
        return f"<Kernel {self.key} {self.state}>"


_lock = threading.Lock()
_kernels = {}
_queue = collections.deque()
_cv = threading.Condition(_lock)
_worker = None
_stopping = False
_hold_until = 0.0
#: the compiler thread waits this long (or until `kick()`) after a plan is built, so the first
#: call runs on numpy without fighting the compiler for the GIL
HOLD_SECONDS = 0.5


def hold(seconds=HOLD_SECONDS):
    """Delay background compilation for `seconds` (a plan about to run its first call)."""
    global _hold_until
    note_run()
    with _lock:
        _hold_until = max(_hold_until, time.monotonic() + seconds)


def kick():
    """Start background compilation now."""
    global _hold_until
    with _lock:
        if _hold_until:
            _hold_until = 0.0
            _cv.notify_all()


def request(source, arg_types, sync=None):
    """The Kernel for this source: from memory, else scheduled (or compiled now if `sync`)."""
    key = kernel_key(source, arg_types)
    sync = SETTINGS.sync_compile if sync is None else sync
    with _lock:
        k = _kernels.get(key)
        if k is None:
            k = _kernels[key] = Kernel(key, source, arg_types)
            if not sync:
                _queue.append(k)
                _ensure_worker()
                _cv.notify()
        else:
            STATS["memory_hits"] += 1
        k.requests += 1
    if sync:
        compile_kernel(k)
        k.wait()
    return k


class _NumbaWarnings(types.ModuleType):
    """What numba's error module sees as `warnings` once the backend has set numba up.

    While numba compiles it enters `warnings.catch_warnings(record=True)` and adds filters; both
    swap process-wide state (the filter list, `showwarning`), so from the background compile
    thread they would undo or leak the host's own filters (a `pytest.warns` block seeing nothing,
    a `simplefilter("error")` outliving its block). Only numba's module is pointed at this
    stand-in, and only in the backend's compile thread does it differ from `warnings`: there the
    context manager and the filter calls are inert (warnings raised while compiling go through
    the host's current filters). The host's `warnings` module is never touched.
    """

    def __init__(self):
        super().__init__("warnings", warnings.__doc__)

    def __getattr__(self, name):
        return getattr(warnings, name)

    @staticmethod
    def catch_warnings(*args, **kwargs):
        if threading.current_thread() is _worker:
            return _InertCatch(kwargs.get("record", False))
        return warnings.catch_warnings(*args, **kwargs)

    @staticmethod
    def simplefilter(*args, **kwargs):
        if threading.current_thread() is not _worker:
            warnings.simplefilter(*args, **kwargs)

    @staticmethod
    def filterwarnings(*args, **kwargs):
        if threading.current_thread() is not _worker:
            warnings.filterwarnings(*args, **kwargs)


class _InertCatch:
    """`catch_warnings` that swaps nothing (records nothing: yields an empty list if asked)."""
    __slots__ = ("record",)

    def __init__(self, record):
        self.record = record

    def __enter__(self):
        return [] if self.record else None

    def __exit__(self, *exc):
        return None


def _install_numba_warnings():
    """Point numba's compile-time `warnings` uses at `_NumbaWarnings` (see there)."""
    from numba.core import compiler, errors
    for mod in (errors, compiler):
        if not isinstance(getattr(mod, "warnings", None), _NumbaWarnings):
            mod.warnings = _NUMBA_WARNINGS


_NUMBA_WARNINGS = _NumbaWarnings()


def _ensure_worker():
    global _worker
    if _worker is None or not _worker.is_alive():
        _worker = threading.Thread(target=_work, name="graphflow-numba-compiler", daemon=True)
        _worker.start()


#: the compile thread lets other threads take the GIL at least this often (seconds) while a
#: plan has run recently, and pauses (up to MAX_PAUSE at a time) while a plan's call is running
#: (see `_GilYielder`)
YIELD_EVERY = 0.0005
YIELD_FOR = 0.0001
MAX_PAUSE = 0.004
ACTIVE_WINDOW = 1.0
_last_run = [0.0]
_running = [0]          # plan calls in progress (any thread)
_waiting = [0]          # threads blocked in Kernel.wait (wait_all, a plan's wait)
_waiting_lock = threading.Lock()


def note_run():
    """A plan ran a call now: the compile thread yields the GIL often for the next second."""
    _last_run[0] = time.monotonic()


def run_started():
    """A plan call starts (the compile thread pauses until it ends, at most MAX_PAUSE)."""
    _running[0] += 1
    _last_run[0] = time.monotonic()


def run_ended():
    _running[0] -= 1


class _GilYielder:
    """A profile hook for the compile thread only (`sys.setprofile` is per thread).

    numba's compiler is pure Python for long stretches and holds the GIL; a step running on
    numpy meanwhile drops the GIL around every BLAS/ufunc call and would then wait up to a whole
    switch interval (5 ms) to get it back - per op, so a 60-op step took 20-100x longer. Every
    `YIELD_EVERY` seconds the hook checks: while a plan call is running it sleeps (GIL released)
    until the call ends, at most `MAX_PAUSE` at a time (so compiling still progresses); else, if
    a plan ran within `ACTIVE_WINDOW` and no thread is blocked in `Kernel.wait`, it sleeps
    `YIELD_FOR` so a waiting thread gets the GIL.
    Nothing process-wide changes (no switch interval, no other thread's hooks). With the
    compiler process and the warm-start `load_now`, this thread only loads kernels (~5-10 ms
    each) and imports numba once.
    """
    __slots__ = ("n", "due")

    def __init__(self):
        self.n = 0
        self.due = time.perf_counter() + YIELD_EVERY

    def __call__(self, frame, event, arg):
        self.n += 1
        if self.n & 63:
            return
        now = time.perf_counter()
        if now < self.due:
            return
        if _running[0] > 0:
            end = now + MAX_PAUSE
            while _running[0] > 0 and time.perf_counter() < end:
                time.sleep(YIELD_FOR)
        elif not _waiting[0] and time.monotonic() - _last_run[0] < ACTIVE_WINDOW:
            time.sleep(YIELD_FOR)
        self.due = time.perf_counter() + YIELD_EVERY


def _warm_up():
    """Start numba (import, code generator, runtime: ~0.2-0.3 s of mostly Python) as soon as
    the first plan asks for a kernel, not after the hold: it overlaps the first call, which runs
    on numpy meanwhile and gets the GIL back within `YIELD_EVERY` (the plan's `hold` counts as
    activity). The lowering registries (`target_context.refresh()`, another 0.5-0.8 s) are left
    to the first kernel that really compiles: loading cached kernels does not need them
    (`_load_cached`)."""
    if os.environ.get("GRAPHFLOW_NUMBA_WARMUP", "1") in ("", "0"):
        return
    try:
        with _compile_lock:
            _setup()
            from numba.core.registry import cpu_target
            from numba.core.runtime import rtsys
            rtsys.initialize(cpu_target.target_context)
    except Exception:       # compile_kernel reports any real problem per kernel
        pass


def _work():
    sys.setprofile(_GilYielder())      # this thread only
    if not COMPILE_PROCESS:
        _warm_up()
    while True:
        with _lock:
            while not _stopping:
                now = time.monotonic()
                if _queue and now >= _hold_until:
                    break
                _cv.wait(None if not _queue else _hold_until - now)
            if _stopping:
                return
            k = _queue.popleft()
        sent = _send_misses(k)
        if k not in sent:
            compile_kernel(k)
        for b in sent:                  # loaded as the compiler process finishes each
            err = _process.result()
            if err is not None:
                b.process_error, b.compiler = err, "thread"
            compile_kernel(b)


@atexit.register
def _stop_worker():
    """Let a compile in flight finish before the interpreter (and LLVM) shut down."""
    global _stopping
    with _lock:
        _stopping = True
        _cv.notify_all()
        w = _worker
    if w is not None and w.is_alive():
        w.join(timeout=30)
    _process.stop()


def _first_in_line(k):
    """Someone waits for `k`: compile it next (the queue is otherwise first in, first out, and
    kernels of plans nobody runs any more would go first)."""
    with _lock:
        try:
            _queue.remove(k)
        except ValueError:   # compiling, done, or with the compiler process
            return
        _queue.appendleft(k)
        _cv.notify_all()


def mark():
    """How many kernels were requested so far: `wait_all(since=mark())` later waits only for
    the ones requested after this point."""
    with _lock:
        return len(_kernels)


def wait_all(timeout=None, since=0):
    """Block until every requested kernel (from the `since`-th on, see `mark`) is compiled
    (or failed); True if all finished."""
    deadline = None if timeout is None else time.monotonic() + timeout
    with _lock:
        ks = list(_kernels.values())[since:]
    for k in reversed(ks):   # (each wait moves its kernel to the front of the queue)
        left = None if deadline is None else max(0.0, deadline - time.monotonic())
        if not k.wait(left):
            return False
    return True


def pending():
    with _lock:
        return [k for k in _kernels.values() if not k._done.is_set()]


# ------------------------------------------------------------------------------ compiling
_setup_done = False
_compile_lock = threading.RLock()


def _setup():
    """One-time: import numba, keep BLAS and numba within the usable cores, keep freed arrays'
    memory for the next run (`heap`)."""
    global _setup_done
    if _setup_done:
        return
    t0 = time.perf_counter()
    import numba  # noqa: F401
    from . import heap, threads
    threads.configure()
    heap.keep_freed_memory()
    _install_numba_warnings()
    _install_load_shortcuts()
    SETUP_SECONDS[0] = time.perf_counter() - t0
    _setup_done = True


#: seconds this process spent importing and setting up numba (`_setup`), once it has
SETUP_SECONDS = [None]


# ------------------------------------------------------------------ warm-start shortcuts
_numba_originals = {}


def _install_load_shortcuts():
    """Point numba's NRT compile and environment rebuild at `_nrt_functions_cached` and
    `_rebuild_env_lazily` (once; each falls back to numba's own function)."""
    from numba.core import environment
    from numba.core.runtime import nrtdynmod
    if not _numba_originals:
        _numba_originals["nrt"] = nrtdynmod.compile_nrt_functions
        _numba_originals["env"] = environment._rebuild_env
    nrtdynmod.compile_nrt_functions = _nrt_functions_cached
    environment._rebuild_env = _rebuild_env_lazily


def _nrt_cache_path(ctx):
    """The file of the runtime's compiled functions for this machine: keyed by the salt (numba,
    llvmlite, Python and code generator versions) and the codegen's target, CPU and features."""
    key = hashlib.sha256((_get_salt() + repr(ctx.codegen().magic_tuple())).encode())
    return os.path.join(SETTINGS.cache_dir, f"nrt_{key.hexdigest()[:24]}.bin")


def _nrt_functions_cached(ctx):
    """numba's `nrtdynmod.compile_nrt_functions` (LLVM compiles the runtime's atomic refcount
    and allocation helpers in every process: ~20-40 ms quiet, 40-85 ms at load 5), loaded from
    object code written by an earlier process when there is one. The file holds a sha256 of
    its payload; a file that does not match (truncated, corrupted) is compiled again and
    rewritten."""
    path = None
    try:
        path = _nrt_cache_path(ctx) if SETTINGS.disk_cache else None
        if path is not None and os.path.exists(path):
            with open(path, "rb") as f:
                digest, payload = f.read(32), f.read()
            if hashlib.sha256(payload).digest() == digest:
                lib = ctx.codegen().unserialize_library(pickle.loads(payload))
                STATS["nrt_loaded"] += 1
                return lib
            STATS["recovered"] += 1
    except Exception:       # unreadable: compile it, as numba does
        pass
    if path is None:
        return _numba_originals["nrt"](ctx)
    from numba.core.runtime import nrtdynmod
    ir_mod, lib = nrtdynmod.create_nrt_module(ctx)      # compile_nrt_functions's own steps,
    lib.enable_object_caching()                        # keeping the object code
    lib.add_ir_module(ir_mod)
    lib.finalize()
    if path is not None:
        try:
            payload = pickle.dumps(lib.serialize_using_object_code(), protocol=4)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            _write_atomic(path, hashlib.sha256(payload).digest() + payload)
        except Exception:   # a read-only cache: compile again next time
            pass
    return lib


def _rebuild_env_lazily(modname, consts, env_name):
    """numba's `environment._rebuild_env` (called while a cached kernel is unpickled), without
    importing a numba module only to use its namespace as the environment's globals.

    A kernel calling np.empty references that helper's environment, whose globals are
    `numba.np.arrayobj`'s namespace; importing it (with `unicode`, `charseq`, ... that only
    compiling needs) cost 50-150 ms of a warm start at load 5. Nopython code reads an
    environment's constants, never its globals (those serve object mode), so an environment
    with no constants from a numba module not imported yet gets a namespace holding only its
    name. It is not registered in numba's table of environments, so code compiled later in
    this process gets numba's own (full) environment.
    """
    from numba.core import environment
    from numba.core.environment import Environment, lookup_environment
    env = lookup_environment(env_name)
    if env is not None:
        return env
    if consts or modname in sys.modules or not str(modname).startswith("numba."):
        # (numba's own cache files name this function when a process with the shortcut
        # wrote them: a process that never installed it unpickles them too - a Philox
        # kernel's cache=True file in a fresh MPI worker raised KeyError 'env')
        original = _numba_originals.get("env") or environment._rebuild_env
        return original(modname, consts, env_name)
    env = Environment({"__name__": modname})
    env.env_name = env_name
    STATS["lazy_envs"] += 1
    return env


_numba_sig = numba_signature


class _CompilerProcess:
    """The compiler process (`compile_worker.py`), started at the first cache miss of a
    background compile. `submit` sends a kernel module (requests queue up in the pipe, so the
    process never idles while this one loads), `result` reads the next answer in order."""

    #: seconds to wait for one answer before the process counts as hung (killed; its kernels then
    #: compile on the thread): a compile takes 0.1-5 s, minutes only on a machine loaded many times over
    TIMEOUT = float(os.environ.get("GRAPHFLOW_COMPILE_TIMEOUT", "300"))

    def __init__(self):
        self.proc = None
        self.lines = None
        self.broken = False

    def submit(self, path, name, arg_types):
        """Queue a compile; False if the process is unavailable."""
        import json
        import subprocess
        if self.broken:
            return False
        try:
            p = self.proc   # one reference: stop() (at exit) may clear self.proc meanwhile
            if p is None or p.poll() is not None:
                code = ("import importlib.util as u; s = u.spec_from_file_location("
                        f"'gf_compile_worker', {_WORKER_PATH!r}); m = u.module_from_spec(s); "
                        "s.loader.exec_module(m); m.main()")
                p = self.proc = subprocess.Popen(
                    [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL, text=True, bufsize=1)
                self.lines = _answers(p)
            p.stdin.write(json.dumps({"path": path, "name": name,
                                      "arg_types": [list(t) for t in arg_types]}) + "\n")
            p.stdin.flush()
        except (OSError, ValueError):   # ValueError: the pipe was closed by stop()
            self.broken = True
            return False
        return True

    def result(self):
        """None when the next submitted kernel compiled, else why not."""
        import json
        try:
            try:
                line = self.lines.get(timeout=self.TIMEOUT)
            except queue.Empty:
                p = self.proc
                if p is not None:
                    p.kill()
                raise OSError(f"no answer from the compiler process in {self.TIMEOUT:g} s "
                              "(killed; GRAPHFLOW_COMPILE_TIMEOUT sets the limit)") from None
            if not line:
                raise OSError("the compiler process exited")
            reply = json.loads(line)
        except (OSError, ValueError, AttributeError) as e:
            self.broken = True
            return f"{type(e).__name__}: {e}"
        return None if reply.get("ok") else reply.get("error", "failed")

    def stop(self):
        self.broken = True   # at exit: no new process from a compile still being queued
        p, self.proc = self.proc, None
        if p is not None and p.poll() is None:
            try:
                p.stdin.close()
                p.wait(timeout=5)
            except Exception:
                p.kill()


def _answers(proc):
    """A queue of the compiler process's answer lines ('' at its end), filled by a daemon
    thread, so that waiting for one can time out (a pipe's readline cannot)."""
    lines = queue.Queue()

    def pump():
        try:
            for line in proc.stdout:        # blocks without the GIL
                lines.put(line)
        except (OSError, ValueError):
            pass
        lines.put("")
    threading.Thread(target=pump, name="graphflow-compiler-answers", daemon=True).start()
    return lines


_WORKER_PATH = os.path.join(_HERE, "compile_worker.py")
_process = _CompilerProcess()


def _write_atomic(path, text):
    """Write `text` (str, or bytes for a binary file) to `path` through a temp file and
    `os.replace`: readers see the old content or the new one, never a part."""
    d = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".py", dir=d)
    try:
        with os.fdopen(fd, "wb" if isinstance(text, bytes) else "w") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _module_file(k):
    """Path of the kernel's module on disk (written if missing or not matching its content)."""
    d = SETTINGS.cache_dir
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, f"gfk_{k.key}.py")
    try:
        with open(path) as f:
            ok = f.read() == k.source
    except (OSError, UnicodeDecodeError):
        ok = False
    if not ok:
        if os.path.exists(path):
            STATS["recovered"] += 1
            _purge_numba_cache(path)
        _write_atomic(path, k.source)
    return path


def _purge_numba_cache(path, stats_path=None):
    base = os.path.splitext(os.path.basename(path))[0]
    dirs = {os.path.join(os.path.dirname(path), "__pycache__")}
    if stats_path:
        dirs.add(stats_path)
    for d in dirs:
        for f in glob.glob(os.path.join(glob.escape(d), glob.escape(base) + ".*")):
            try:
                os.unlink(f)
            except OSError:
                pass


def _load_module(name, path, source):
    """Import the generated module (registered in sys.modules before executing it)."""
    if path is None:
        import types as _t
        mod = _t.ModuleType(name)
        mod.__file__ = f"<{name}>"
        sys.modules[name] = mod
        exec(compile(source, mod.__file__, "exec"), mod.__dict__)
        return mod
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    try:
        spec.loader.exec_module(mod)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return mod


def _vector_info(disp, source, path, hits):
    """What LLVM vectorized: read from the optimized IR of a fresh compile (and kept beside the
    kernel's module on disk), or from that file for a disk-cache hit (numba cannot show the IR
    of cached code). None if unknown."""
    side = None if path is None else path[:-3] + ".vec.txt"
    if hits:
        try:
            with open(side) as f:
                return f.read().strip() or None
        except (OSError, TypeError):
            return None
    try:
        text = vector_report("\n".join(disp.inspect_llvm().values()), source)
    except Exception:       # inspection is a report, never a reason to fail a kernel
        return None
    if side is not None and text is not None:
        try:
            _write_atomic(side, text + "\n")
        except OSError:
            pass
    return text


def _load_cached(disp, sig, source):
    """Load a kernel's machine code from numba's disk cache without `target_context.refresh()`;
    True if it was there.

    numba's own path (`Dispatcher.compile` -> `Cache.load_overload`) refreshes the target
    context first: it imports and installs every lowering registry (~60 numba modules, 0.5-0.8 s
    of mostly Python on this machine) that only *compiling* needs. Rebuilding cached code needs
    the code generator and the runtime (NRT: array arguments are unboxed through it), which is
    what is set up here; the rest is numba's own `_load_overload` / `add_overload`. Kernels with
    `parallel=True` (their code calls numba's thread pool, whose symbols only the full set-up
    registers) and anything unexpected take numba's normal path.
    """
    if "parallel=True" in source:
        return False
    impl = getattr(disp, "_cache", None)
    if impl is None or not hasattr(impl, "_load_overload"):
        return False
    from numba.core.compiler_lock import global_compiler_lock
    from numba.core.runtime import rtsys
    ctx = disp.targetctx
    with global_compiler_lock:
        rtsys.initialize(ctx)
        cres = impl._load_overload(sig, ctx)
        if cres is None:
            return False
        if not cres.objectmode:
            ctx.insert_user_function(cres.entry_point, cres.fndesc, [cres.library])
        disp.add_overload(cres)
    disp._cache_hits[sig] += 1
    return True


#: compile cache misses of background requests in the compiler process (`compile_worker.py`)
#: rather than on the compile thread (``GRAPHFLOW_COMPILE_PROCESS=0``: in this process)
COMPILE_PROCESS = os.environ.get("GRAPHFLOW_COMPILE_PROCESS", "1") not in ("", "0")


#: kernels handed to the compiler process at once (`_send_misses`)
PROCESS_BATCH = 4


def _send_misses(k):
    """Hand kernel `k` and the next queued kernels not in the disk cache (`PROCESS_BATCH` in
    all) to the compiler process (their modules written first); the kernels sent, in order.
    Nothing needs numba here, so this process imports it only when the first compiled kernel is
    loaded."""
    if not COMPILE_PROCESS or not SETTINGS.disk_cache or _process.broken or _on_disk(k):
        return []
    with _lock:
        more = list(_queue)
    # (a few at a time: the rest stay in this process's queue, where a kernel someone waits
    # for moves to the front - a cold test suite's backlog of kernels nobody waits for made
    # one test wait minutes behind one big batch)
    more = list(itertools.islice((q for q in more if not _on_disk(q)), PROCESS_BATCH - 1))
    with _lock:
        for q in more:
            try:
                _queue.remove(q)
            except ValueError:
                pass
    sent, rest = [], []
    for b in [k] + more:
        try:
            path = _module_file(b)
        except OSError:
            path = None
        if path is not None and _process.submit(path, f"gfk_{b.key}", b.arg_types):
            b.compiler = "process"
            sent.append(b)
        else:
            rest.append(b)
    if rest:
        with _lock:
            _queue.extendleft(reversed(rest))
    return sent


def _on_disk(k):
    """True if kernel `k` loads from the disk cache: its shared object (`native.py`), else its
    module and numba's index (with ``NUMBA_CACHE_DIR`` numba keeps the index elsewhere: the
    module alone counts, a miss found when loading goes back to the background). A kernel in
    numba's cache that could have a shared object but has none yet counts as a miss: the
    compiler process loads it from numba's cache and writes the shared object, and this process
    never imports numba."""
    d = SETTINGS.cache_dir
    if native.present(d, k.key):
        return True
    if not os.path.exists(os.path.join(d, f"gfk_{k.key}.py")):
        return False
    if not (os.environ.get("NUMBA_CACHE_DIR") or f"gfk_{k.key}" in _indexed(d)):
        return False
    return not (_native_wanted() and native.unbuildable(d, k.key) is None)


def _native_wanted():
    """Kernels get shared objects: switched on, and a compiler process to build them."""
    return native.usable() and COMPILE_PROCESS and not _process.broken


def _load_native(k):
    """Load kernel `k` from its shared object (`native.py`; no numba import); True if it did."""
    fn = native.load(SETTINGS.cache_dir, k.key, len(k.arg_types))
    if fn is None:
        return False
    from . import heap, threads
    threads.configure()
    heap.keep_freed_memory()
    path = os.path.join(SETTINGS.cache_dir, f"gfk_{k.key}.py")
    k.vector = _vector_info(None, k.source, path, hits=1)
    k.origin = "compiled" if k.compiler == "process" else "disk"
    STATS["native_loads"] += 1
    STATS["compiled" if k.origin == "compiled" else "disk_hits"] += 1
    k.path, k.fn, k.state = path, fn, "ready"
    return True


_INDEXED = [None, None, frozenset()]       # (numba's cache dir, its mtime, the indexed names)


def _indexed(d):
    """The kernel module names with a numba index file (`.nbi`) in `d`/__pycache__: one listing
    per change of the directory (a glob per kernel scanned the whole shared cache directory,
    thousands of files: ~14 ms per kernel at load 4, most of a warm start's first call)."""
    p = os.path.join(d, "__pycache__")
    try:
        mtime = os.stat(p).st_mtime_ns
    except OSError:
        return frozenset()
    c = _INDEXED
    if c[0] != p or c[1] != mtime:
        names = frozenset(n.split(".", 1)[0] for n in os.listdir(p) if n.endswith(".nbi"))
        c[:] = [p, mtime, names]
    return c[2]


#: seconds a warm start's first call waits for a kernel the compile thread is loading
WARM_LOAD_WAIT = 2.0


def load_now(kernels):
    """Load `kernels` in the calling thread when every pending one is in the disk cache (a warm
    start: numba's import plus ~5-10 ms per kernel, once, instead of a loader thread competing
    with the calls that run on numpy meanwhile for the GIL); True if it did. A kernel that turns
    out not to load goes back to the background queue.

    Off with ``GRAPHFLOW_WARM_LOAD=background``.
    """
    if not SETTINGS.disk_cache or SETTINGS.warm_load != "sync":
        return False
    ks = [k for k in kernels if not k._done.is_set()]
    if not ks or not all(_on_disk(k) for k in ks):
        return False
    with _lock:
        for k in ks:
            try:
                _queue.remove(k)
            except ValueError:      # the compile thread has it already
                pass
    for k in ks:
        if k.state == "pending":
            compile_kernel(k, load_only=True)
        if k.state == "pending":    # not loadable after all: compile it in the background
            with _lock:
                _queue.append(k)
                _ensure_worker()
                _cv.notify()
    for k in ks:    # taken by the compile thread before the queue was emptied: it only loads
        if k.state == "compiling":   # it from the disk cache too (ms), so the first call waits
            k.wait(WARM_LOAD_WAIT)   # for it rather than run that kernel's steps on numpy
    return True


def compile_kernel(k, load_only=False):
    """Compile (or load from numba's disk cache) one kernel; never raises. `load_only`: only a
    disk-cache hit is loaded; otherwise the kernel is left pending."""
    with _compile_lock:
        if k._done.is_set() or k.state == "compiling":
            return
        k.state = "compiling"
    t0 = time.perf_counter()
    elsewhere = False
    try:
        if SETTINGS.disk_cache:
            had = native.present(SETTINGS.cache_dir, k.key)
            if _load_native(k):
                return
            if had and load_only and _native_wanted():
                k.state = "pending"     # damaged (now deleted): the compiler process rebuilds it
                return
        _setup()
        sig = _numba_sig(k.arg_types)
        name = f"gfk_{k.key}"
        source = k.source
        path = None
        if SETTINGS.disk_cache:
            try:
                path = _module_file(k)
            except OSError:
                path = None        # read-only cache dir: compile in memory only
        if path is None:
            source = source.replace("cache=True", "cache=False")
        if load_only:
            try:
                mod = _load_module(name, path, source) if path is not None else None
                hit = mod is not None and _load_cached(mod.kernel, sig, source)
            except Exception:
                hit = False
            if not hit:
                k.state = "pending"
                return
        else:
            mod = _load_module(name, path, source)
        disp = mod.kernel
        try:
            if load_only:
                pass
            elif path is None or not _load_cached(disp, sig, source):
                k.compiler = "thread"
                disp.compile(sig)
            elif k.compiler == "process":
                elsewhere = True
        except Exception:
            if path is None:
                raise
            # a truncated or corrupted numba cache file: delete it and compile from scratch
            STATS["recovered"] += 1
            _purge_numba_cache(path, getattr(disp.stats, "cache_path", None))
            mod = _load_module(name, path, source)
            disp = mod.kernel
            disp.compile(sig)
        hits = sum(disp.stats.cache_hits.values()) if path is not None else 0
        k.vector = _vector_info(disp, source, path, hits)
        if elsewhere:       # compiled now by the compiler process, loaded from its cache files
            hits = 0
            k.compiler = "process"
        disp.disable_compile()
        k.origin = "disk" if hits else "compiled"
        STATS["disk_hits" if hits else "compiled"] += 1
        k.path = path
        k.fn = disp
        k.state = "ready"
    except Exception as e:   # the plan keeps running this cluster on numpy
        k.error = f"{type(e).__name__}: {e}"
        k.state = "failed"
        STATS["failed"] += 1
    finally:
        k.compile_seconds = time.perf_counter() - t0
        if k.state != "pending":
            k._done.set()


def clear_memory_cache():
    """Forget compiled kernels (tests use it to force a reload from disk)."""
    with _lock:
        for key in list(_kernels):
            if _kernels[key]._done.is_set():
                del _kernels[key]
