"""The chunk pool (graphflow/backends/numba/parallel.py): every chunk runs exactly once, errors
reach the caller, helpers that wait busily between jobs (the C spin wait) or sleep give the same
results, and the spin wait itself returns on a change or at its deadline."""
import ctypes
import threading
import time

import numpy as np
import pytest

from graphflow.backends.numba import parallel


@pytest.fixture(scope="module")
def pool():
    p = parallel.ChunkPool(1)
    yield p


def _cover(p, n, chunk):
    """Run a job that counts each element's visits; returns the counts and the threads used."""
    seen = np.zeros(n, np.int64)
    threads = set()

    def fn(lo, hi):
        threads.add(threading.get_ident())
        seen[lo:hi] += 1
    p.run(fn, n, chunk)
    return seen, threads


@pytest.mark.parametrize("spin", [True, False])
def test_every_chunk_runs_once(pool, monkeypatch, spin):
    if not spin:
        monkeypatch.setattr(pool, "_spin", None)
        monkeypatch.setattr(parallel, "SPIN_NS", 0)
    for n, chunk in [(1, 1), (7, 2), (1000, 7), (4096, 64), (100_003, 1000)]:
        for _ in range(3):          # back-to-back jobs: the helper is still awake (spin)
            seen, _ = _cover(pool, n, chunk)
            assert seen.min() == 1 and seen.max() == 1, (n, chunk)


def test_helper_takes_chunks(pool):
    """With chunks that release the GIL (sleep), the helper thread runs some of them."""
    main = threading.get_ident()
    used = set()
    for _ in range(20):
        ts = set()

        def fn(lo, hi):
            ts.add(threading.get_ident())
            time.sleep(0.002)
        pool.run(fn, 8, 1)
        used |= ts
        if len(used) > 1:
            break
    assert main in used and len(used) == 2


def test_errors_reach_the_caller_and_the_pool_goes_on(pool):
    def fn(lo, hi):
        if lo == 30:
            raise ValueError(f"chunk {lo}")
    with pytest.raises(ValueError, match="chunk 30"):
        pool.run(fn, 100, 10)
    seen, _ = _cover(pool, 100, 10)
    assert (seen == 1).all()


def test_one_thread_runs_everything_on_the_caller(pool):
    with parallel.ONE_THREAD:
        seen, threads = _cover(pool, 1000, 10)
    assert threads == {threading.get_ident()} and (seen == 1).all()


def test_spin_wait_returns_on_change_or_deadline():
    spin = parallel._load_spin()
    if spin is None:
        pytest.skip("no C compiler: the pool only sleeps")
    v = ctypes.c_long(5)
    t0 = time.perf_counter()
    assert spin(ctypes.addressof(v), 5, 2_000_000, 0) == 0      # unchanged: 2 ms deadline
    assert time.perf_counter() - t0 >= 0.0019
    assert spin(ctypes.addressof(v), 4, 10_000_000_000, 0) == 1  # already different: at once
    threading.Timer(0.01, lambda: setattr(v, "value", 6)).start()
    t0 = time.perf_counter()
    assert spin(ctypes.addressof(v), 5, 10_000_000_000, 0) == 1  # changed by another thread
    assert time.perf_counter() - t0 < 5.0
