"""Dynamic chunked parallelism for big kernels: serial `nogil` kernels run on slices.

numba's `prange` splits a loop evenly between its threads up front; when another process shares
one of the cores, the half on that core takes twice as long and the kernel is no faster than
serial (measured on 2 cores: 4.3 ms serial, 4.3 ms workqueue prange, 8.0 ms OpenMP prange for a
4M-element kernel). Here the caller and `usable_cores() - 1` helper threads pull chunks from a
shared counter until none are left, so a thread on a free core simply does more chunks. Kernels
release the GIL (`nogil=True`), so the threads overlap; the Python work between chunks is ~2 µs.
"""
import itertools
import threading

from .threads import usable_cores

CHUNK_ELEMENTS = 1 << 18       # elements per chunk: small enough to balance, big enough to
#                                amortize a GIL hand-over (a thread wake-up costs ~10-50 µs)


class _Job:
    __slots__ = ("fn", "n", "chunk", "nchunks", "ctr", "lock", "left", "done", "error")

    def __init__(self, fn, n, chunk):
        self.fn, self.n, self.chunk = fn, n, chunk
        self.nchunks = -(-n // chunk)
        self.ctr = itertools.count()
        self.lock = threading.Lock()
        self.left = self.nchunks
        self.done = threading.Event()
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
                        self.done.set()


class ChunkPool:
    """The caller plus `helpers` daemon threads run `fn(lo, hi)` over [0, n) in chunks."""

    def __init__(self, helpers):
        self._cv = threading.Condition()
        self._job = None
        self._gen = 0
        self.helpers = helpers
        self._threads = []
        self._run_lock = threading.Lock()

    def _start(self):
        for i in range(self.helpers):
            t = threading.Thread(target=self._helper, name=f"graphflow-chunks-{i}", daemon=True)
            t.start()
            self._threads.append(t)

    def _helper(self):
        seen = 0
        while True:
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
            job = _Job(fn, n, chunk)
            with self._cv:
                self._job = job
                self._gen += 1
                self._cv.notify_all()
            job.work()
            job.done.wait()
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
