"""Dynamic chunked parallelism for big kernels: serial `nogil` kernels run on slices.

numba's `prange` splits a loop evenly between its threads up front; when another process shares
one of the cores, the half on that core takes twice as long and the kernel is no faster than
serial (measured on 2 cores: 4.3 ms serial, 4.3 ms workqueue prange, 8.0 ms OpenMP prange for a
4M-element kernel). Here the caller and `usable_cores() - 1` helper threads pull chunks from a
shared counter until none are left, so a thread on a free core simply does more chunks. Kernels
release the GIL (`nogil=True`), so the threads overlap; the Python work between chunks is ~2 µs.

Per job the caller pays ~6 us of Python (was ~13: a threading.Event per job) and, when the
helpers slept, their wake-up; helpers therefore stay awake (busy, without the GIL) for
`SPIN_NS` after each job, and the caller waits for the last chunks the same way.
"""
import ctypes
import hashlib
import itertools
import os
import threading

from .threads import usable_cores

CHUNK_ELEMENTS = 1 << 18       # elements per chunk: small enough to balance, big enough to
#                                amortize a GIL hand-over (a thread wake-up costs ~10-50 µs)


class _Job:
    __slots__ = ("fn", "n", "chunk", "nchunks", "ctr", "lock", "left", "done", "error",
                 "finished", "gen")

    def __init__(self, fn, n, chunk, finished=None):
        self.fn, self.n, self.chunk = fn, n, chunk
        self.finished, self.gen = finished, 0     # set to gen when the last chunk is done
        self.nchunks = -(-n // chunk)
        self.ctr = itertools.count()
        self.lock = threading.Lock()
        self.left = self.nchunks
        # held until the last chunk is done: released by whichever thread finishes it (a Lock,
        # not an Event: Event() costs ~4-8 us of the caller's CPU per job - its Condition tries
        # three attributes a plain Lock lacks, each an AttributeError - against 0.06 us)
        self.done = threading.Lock()
        self.done.acquire()
        self.error = None

    def work(self):
        fn, n, chunk, nchunks, ctr = self.fn, self.n, self.chunk, self.nchunks, self.ctr
        while True:
            i = next(ctr)              # atomic under the GIL
            if i >= nchunks:
                return
            lo = i * chunk
            try:
                if self.error is None:
                    fn(lo, min(n, lo + chunk))
            except BaseException as e:  # re-raised by the caller
                self.error = e
            finally:
                with self.lock:
                    self.left -= 1
                    if not self.left:
                        if self.finished is not None:
                            self.finished.value = self.gen
                        self.done.release()


#: how long a helper thread stays awake after a job (waiting for the next one without the GIL,
#: in C: `_load_spin`) before it sleeps on the condition variable, and how long the caller waits
#: that way for the helpers' last chunks before it sleeps on the job's `done` lock: a sleeping
#: thread's wake-up (futex; on a VM an interrupt to an idle vCPU) cost 45-70 us at the start of
#: a job and 8-10 us at its end (p10-p50, 16 chunks of a 16 MB reduction, load ~11; with the
#: spin 30-50 and 5-7 us, and the caller's own first chunk starts 16-28 -> 9-15 us after the
#: call), against a 0.5 ms kernel on two cores. Only jobs on all cores spin (`ONE_THREAD` jobs
#: never wake the helpers), never longer than this: a call on all cores forced at load ~11
#: (GRAPHFLOW_PLAN_THREADS=multi) burnt up to ~0.3-0.5 ms more CPU with a 200 us budget (a
#: preempted helper), hence 100 us (back-to-back kernels of a plan or a loop of calls are
#: ~10-50 us apart). ``GRAPHFLOW_SPIN_US=0`` turns it off.
SPIN_NS = int(float(os.environ.get("GRAPHFLOW_SPIN_US", "100")) * 1000)
#: after the awaited change: this much longer (the other thread is about to release the GIL,
#: e.g. the caller entering its first chunk's kernel) so that taking the GIL back does not
#: sleep on it
SETTLE_NS = 3000

_SPIN_C = r"""
#include <time.h>
static long gf_now(void) {
    struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000L + t.tv_nsec;
}
/* wait (busy, ctypes released the GIL) while *p == old, at most budget ns; then settle ns more;
   returns 1 if *p changed */
long gf_spin_wait(volatile long *p, long old, long budget, long settle) {
    long end = gf_now() + budget;
    for (;;) {
        for (int i = 0; i < 64; i++) {
            if (*p != old) {
                long s = gf_now() + settle;
                while (gf_now() < s) {
#if defined(__x86_64__) || defined(__i386__)
                    __builtin_ia32_pause();
#endif
                }
                return 1;
            }
#if defined(__x86_64__) || defined(__i386__)
            __builtin_ia32_pause();
#endif
        }
        if (gf_now() >= end) return *p != old;
    }
}
"""


def _load_spin():
    """The C busy-wait `gf_spin_wait` (a ctypes function: the GIL is released while it runs),
    built once with the C compiler into the kernel cache; None without one (threads then only
    sleep on their condition variables, as before)."""
    if SPIN_NS <= 0:
        return None
    from .cache import SETTINGS
    from .native import compiler
    tag = hashlib.sha256(_SPIN_C.encode()).hexdigest()[:16]
    path = os.path.join(SETTINGS.cache_dir, f"gf_spin-{tag}.so")
    try:
        if not os.path.exists(path):
            import subprocess
            import tempfile
            cc = compiler()
            if cc is None:
                return None
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with tempfile.TemporaryDirectory() as tmp:
                src, out = os.path.join(tmp, "spin.c"), os.path.join(tmp, "spin.so")
                with open(src, "w") as f:
                    f.write(_SPIN_C)
                subprocess.run([cc, "-O2", "-shared", "-fPIC", "-o", out, src], check=True,
                               capture_output=True, timeout=60)
                os.replace(out, path)       # atomic: another process may be doing the same
        fn = ctypes.CDLL(path).gf_spin_wait
    except Exception:       # no compiler, a read-only cache, ...: sleep as before
        return None
    fn.argtypes = [ctypes.c_void_p, ctypes.c_long, ctypes.c_long, ctypes.c_long]
    fn.restype = ctypes.c_long
    return fn


class ChunkPool:
    """The caller plus `helpers` daemon threads run `fn(lo, hi)` over [0, n) in chunks.

    Right after a job the helpers wait for the next one busily for up to `SPIN_NS` (the GIL
    released, in C) before they sleep, and the caller waits for the helpers' last chunks the
    same way: back-to-back jobs (a plan's big kernels, a training loop's calls) start and end
    without a thread wake-up."""

    def __init__(self, helpers):
        self._cv = threading.Condition()
        self._job = None
        self._gen = 0
        self.helpers = helpers
        self._threads = []
        self._run_lock = threading.Lock()
        self._spin = None
        # the latest job's generation / the latest finished one's, where the C wait reads them
        self._posted = ctypes.c_long(0)
        self._finished = ctypes.c_long(0)

    def _start(self):
        self._spin = _load_spin()
        for i in range(self.helpers):
            t = threading.Thread(target=self._helper, name=f"graphflow-chunks-{i}", daemon=True)
            t.start()
            self._threads.append(t)

    def _helper(self):
        seen = 0
        posted = ctypes.addressof(self._posted)
        while True:
            spin = self._spin
            if spin is not None and self._gen == seen:
                spin(posted, seen, SPIN_NS, SETTLE_NS)
            with self._cv:
                while self._gen == seen:
                    self._cv.wait()
                seen, job = self._gen, self._job
            if job is not None:
                job.work()       # never raises: chunk errors are stored on the job

    def serial(self, n, chunk=CHUNK_ELEMENTS):
        """True if `run(fn, n, chunk)` would make the one call fn(0, n) on this thread."""
        return n <= chunk or not self.helpers or ONE_THREAD.depth

    def run(self, fn, n, chunk=CHUNK_ELEMENTS):
        """Call fn(lo, hi) for consecutive chunks covering [0, n); returns when all are done
        (inside `ONE_THREAD`: one call fn(0, n) on the calling thread)."""
        if self.serial(n, chunk):
            fn(0, n)
            return
        with self._run_lock:            # one job at a time (callers on several threads queue)
            if not self._threads:
                self._start()
            job = _Job(fn, n, chunk, self._finished)
            with self._cv:
                self._job = job
                self._gen += 1
                job.gen = self._gen
                self._posted.value = self._gen
                self._cv.notify_all()
            job.work()
            if job.left and self._spin is not None:
                self._spin(ctypes.addressof(self._finished), job.gen - 1, SPIN_NS, SETTLE_NS)
            job.done.acquire()
            self._job = None
        if job.error is not None:
            raise job.error


class _OneThread:
    """While any user is inside (counted, nestable), every chunk pool job runs on its caller's
    thread alone: a plan that measured one core faster than all of them (`blas_choice`), e.g.
    when other processes share the cores and a helper thread preempted while it holds a chunk
    would make the whole call wait for it.

    >>> with ONE_THREAD:
    ...     pool().run(lambda lo, hi: print(lo, hi), 10, chunk=4)
    0 10
    """

    def __init__(self):
        self.depth = 0
        self._lock = threading.Lock()

    def __enter__(self):
        with self._lock:
            self.depth += 1

    def __exit__(self, *exc):
        with self._lock:
            self.depth -= 1


ONE_THREAD = _OneThread()
_pool = None


def pool():
    global _pool
    if _pool is None:
        _pool = ChunkPool(max(0, usable_cores() - 1))
    return _pool
