"""BLAS on one thread where more threads lose: one counted switch for every caller.

numpy's OpenBLAS/MKL split a product over their own threads. On a 2-core machine that is a loss
for small products (waking the threads costs more than the product) and when other threads are
the parallelism (the numba backend's chunk pool); on a loaded machine OpenBLAS's thread hand-over
collapses. `SINGLE_BLAS` (a context) makes BLAS run on one thread while any user is inside it;
`SMALL_GEMM` is where a product counts as small (the numba plan's 2-D matmuls, the per-iteration
products of a while_loop body).

>>> import numpy as np
>>> with SINGLE_BLAS:
...     float(np.ones((2, 3)) @ np.ones(3) @ np.ones(2))
6.0
"""
import os
import threading
import time

import numpy as np

#: products of fewer multiply-adds than this run with one BLAS thread. OpenBLAS splits products
#: from 2^18 multiply-adds over its threads, and waking them costs more than such a product
#: (measured, 2 cores at load 5: (64,10)x(10,1600) 0.05 ms on one thread, median 15-48 ms on
#: two; quiet: 0.033 vs 0.034 ms; an RNN step's (64,64)x(64,256) at load 6: 1.5-3.1 ms on two
#: threads, 0.08-0.11 ms on one)
SMALL_GEMM = 1 << 22


_LIBS = []


def usable_cores():
    """The cores this process may use (affinity; ``GRAPHFLOW_NUM_THREADS`` overrides).

    >>> usable_cores() >= 1
    True
    """
    n = os.environ.get("GRAPHFLOW_NUM_THREADS")
    if n:
        return max(1, int(n))
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def others_running():
    """Threads of other processes that are runnable on the machine right now: the
    'running/total' field of /proc/loadavg less this process's own runnable threads (the
    reader's, and OpenBLAS's idle workers, which stay runnable spinning for 50-200 ms after
    a threaded product: counted as others, they made every caller that had just run one - the
    plan's own probe, numpy's step next to it in tools/bench.py - see no idle core on a quiet
    machine); None where unknown.

    >>> n = others_running(); n is None or n >= 0
    True
    """
    try:
        with open("/proc/loadavg", "rb") as f:
            running = int(f.read().split()[3].split(b"/")[0])
    except (OSError, ValueError, IndexError):
        return None
    return max(0, running - own_running())


def own_running():
    """This process's threads that are runnable now, the caller's included (state R in
    /proc/self/task/*/stat; ~5 us a thread); 1 where unknown.

    >>> own_running() >= 1
    True
    """
    try:
        tasks = os.listdir("/proc/self/task")
    except OSError:
        return 1
    n = 0
    for t in tasks:
        try:
            fd = os.open(f"/proc/self/task/{t}/stat", os.O_RDONLY)
        except OSError:          # (a thread that has just ended)
            continue
        try:
            s = os.read(fd, 512)
        finally:
            os.close(fd)
        i = s.rfind(b")")       # the state follows the name, which may hold anything
        n += s[i + 2:i + 3] == b"R"
    return max(1, n)


def all_cores_taken(running, mine, total):
    """True if `running` other runnable threads (machine-wide; None: unknown) leave none of
    this process's `mine` cores idle, so a call on all of them would wait for a time slice.
    When the process may use only some of the machine's `total` CPUs (affinity, a container's
    cpuset) its cores get their share of the running count.

    >>> all_cores_taken(1, 2, 2), all_cores_taken(0, 2, 2), all_cores_taken(None, 2, 2)
    (True, False, False)
    """
    if running is None:
        return False
    total = total or 1
    return running * min(1.0, mine / total) >= max(1, mine - 1)


_BUSY = [-1.0, False]     # (when read, the answer): /proc/loadavg at most every 50 ms


def busy_now():
    """`all_cores_taken` now, re-read at most every 50 ms (~10 us a read): the eager ops' check.

    >>> busy_now() in (True, False)
    True
    """
    t = time.monotonic()
    if t - _BUSY[0] > 0.05:
        _BUSY[0], _BUSY[1] = t, all_cores_taken(others_running(), usable_cores(),
                                                os.cpu_count())
    return _BUSY[1]


def lib_controllers():
    """Controllers of the thread pools loaded in this process (BLAS, OpenMP), from one scan of
    the loaded libraries per process (the BLAS switch below and the backend's thread cap share
    it): `OpenBLASPool`s when OpenBLAS is the only thread-pool library loaded (numpy's wheels;
    ~0.1 ms), else threadpoolctl's (its import and scan cost ~7 ms of CPU, ~15-30 ms of a loaded
    machine's wall time in a warm process's first call); [] without threadpoolctl.

    >>> all(hasattr(c, "set_num_threads") for c in lib_controllers())
    True
    """
    if not _LIBS:
        own = _openblas_only()
        if own is not None:
            _LIBS.append(own)
            return _LIBS[0]
        try:
            from threadpoolctl import ThreadpoolController
            _LIBS.append(list(ThreadpoolController().lib_controllers))
        except Exception:        # threadpoolctl missing or unusable: leave the pools alone
            _LIBS.append([])
    return _LIBS[0]


#: file-name prefixes of the thread-pool libraries threadpoolctl knows (BLAS and OpenMP)
_POOL_PREFIXES = ("libopenblas", "libscipy_openblas", "openblas", "libmkl_rt", "mkl_rt",
                  "libblis", "libflexiblas", "libgomp", "libiomp", "libomp", "vcomp",
                  "libarmpl")


def _openblas_only(paths=None):
    """[`OpenBLASPool`] of the OpenBLAS libraries loaded in this process if every loaded
    thread-pool library is an OpenBLAS running its own threads (not OpenMP), else None (then
    threadpoolctl decides). `paths`: the loaded libraries' paths (default: from /proc/self/maps,
    Linux); None elsewhere or on any surprise.

    >>> _openblas_only({"/usr/lib/libopenblas.so.0", "/usr/lib/libgomp.so.1"}) is None
    True
    """
    try:
        if paths is None:
            with open("/proc/self/maps") as f:
                paths = {line[line.index("/"):].rstrip("\n") for line in f if ".so" in line
                         and "/" in line}
        pools = sorted(p for p in paths if os.path.basename(p).lower().startswith(
            _POOL_PREFIXES))
        if not pools or any("openblas" not in os.path.basename(p).lower() for p in pools):
            return None
        ctls = [OpenBLASPool(p) for p in pools]
        if any(c.threading_layer != "pthreads" for c in ctls):
            return None
        return ctls
    except Exception:
        return None


class OpenBLASPool:
    """OpenBLAS's thread pool driven through its own C functions: the part of threadpoolctl's
    controller graphflow uses (`user_api`, `internal_api`, `filepath`, `threading_layer`,
    `get_num_threads`, `set_num_threads`, `_get_symbol`), without threadpoolctl's import and
    scan of every loaded library.

    >>> ctls = _openblas_only() or []
    >>> all(c.get_num_threads() >= 1 for c in ctls)
    True
    """
    user_api = "blas"
    internal_api = "openblas"

    def __init__(self, path):
        import ctypes
        self.filepath = os.path.realpath(path)
        self.dynlib = ctypes.CDLL(path, mode=getattr(os, "RTLD_NOLOAD", 4) | ctypes.RTLD_GLOBAL)
        self._get = self._get_symbol("openblas_get_num_threads")
        self._put = self._get_symbol("openblas_set_num_threads")
        parallel = self._get_symbol("openblas_get_parallel")
        if self._get is None or self._put is None or parallel is None:
            raise OSError(f"{path}: no OpenBLAS thread functions")
        self.threading_layer = {0: "disabled", 1: "pthreads", 2: "openmp"}.get(
            parallel(), "unknown")

    def _get_symbol(self, name):
        """The C function `name` under OpenBLAS's symbol spellings (scipy's wheels prefix
        'scipy_' and 64-bit-integer builds suffix '64_'), or None."""
        for prefix in ("", "scipy_"):
            for suffix in ("", "64_"):
                fn = getattr(self.dynlib, f"{prefix}{name}{suffix}", None)
                if fn is not None:
                    return fn
        return None

    def get_num_threads(self):
        return self._get()

    def set_num_threads(self, n):
        self._put(n)

    @property
    def num_threads(self):
        return self._get()


class _SingleThreadedBlas:
    """While a gemm-per-batch-chunk job runs on the chunk pool, BLAS (OpenBLAS/MKL/BLIS, through
    threadpoolctl) uses one thread per call: the pool's threads are the parallelism. BLAS's own
    threads next to the pool's would oversubscribe the cores, and OpenBLAS's thread hand-over
    collapses on a loaded machine (measured, 2 cores at load 5-7: a 7744x288x64 sgemm median
    10.6 ms on 1 thread, 20 ms on 2; a (64,10)x(10,1600) product 0.05 ms vs 48 ms). Nested and
    concurrent uses count: the first entrant saves the thread counts, the last restores them."""

    def __init__(self):
        self.lock = threading.Lock()
        self.depth = 0
        self.saved = None
        self.ctls = None
        self.switches = None        # per controller: (get, set) as plain C calls

    def controllers(self):
        if self.ctls is None:
            self.ctls = [c for c in lib_controllers() if c.user_api == "blas"]
            self.switches = [_switch(c) for c in self.ctls]
        return self.ctls

    def refresh(self):
        """Also control the BLAS libraries loaded since the first use (numba's np.dot calls
        scipy's, a library apart from numpy's); while inside, they go to one thread at once.

        >>> SINGLE_BLAS.refresh()   # (nothing new loaded: no change)
        """
        with self.lock:
            if self.ctls is None:
                return
            try:
                from threadpoolctl import ThreadpoolController
                known = {c.filepath for c in self.ctls}
                new = [c for c in ThreadpoolController().lib_controllers
                       if c.user_api == "blas" and c.filepath not in known]
            except Exception:
                return
            for c in new:
                self.ctls.append(c)
                self.switches.append(_switch(c))
                if self.depth:
                    get, put = self.switches[-1]
                    k = get()
                    self.saved.append(k)
                    if k != 1:
                        put(1)

    def __enter__(self):
        with self.lock:
            if not self.depth:
                if self.ctls is None:
                    self.controllers()
                self.saved = saved = [get() for get, _ in self.switches]
                for (_, put), k in zip(self.switches, saved):
                    if k != 1:
                        put(1)
            self.depth += 1

    def __exit__(self, *exc):
        with self.lock:
            self.depth -= 1
            if not self.depth:
                for (_, put), k in zip(self.switches, self.saved):
                    if k != 1:
                        put(k)


def _switch(ctl):
    """(get, set) of the thread count of threadpoolctl controller `ctl`: OpenBLAS's own C
    functions called directly when it runs its own threads (not OpenMP), else the controller's
    methods. A small product's switch to one thread and back (4 calls) costs ~12 us through
    threadpoolctl (its symbol lookups and controlling-thread bookkeeping) against ~1 us direct,
    and the numba plan makes up to 3-4 such switches per MLP step (its small products)."""
    try:
        if (getattr(ctl, "internal_api", None) == "openblas"
                and getattr(ctl, "threading_layer", None) != "openmp"):
            get = ctl._get_symbol("openblas_get_num_threads")
            put = ctl._get_symbol("openblas_set_num_threads")
            if get is not None and put is not None:
                return get, put
    except Exception:       # another threadpoolctl version: its public methods
        pass
    return ctl.get_num_threads, ctl.set_num_threads


SINGLE_BLAS = _SingleThreadedBlas()


def single_threaded_matmul(a, b):
    """np.matmul(a, b) with BLAS on one thread (for products too small to gain from more).

    >>> single_threaded_matmul(np.ones((2, 3)), np.ones((3, 1))).ravel()
    array([3., 3.])
    """
    with SINGLE_BLAS:
        return np.matmul(a, b)
