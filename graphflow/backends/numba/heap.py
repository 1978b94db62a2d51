"""Keep freed big arrays' memory in the process heap, so the next step's arrays reuse mapped pages.

A plan allocates its intermediate arrays afresh on every run (kernel outputs, im2col columns).
glibc's malloc serves a big request (above its mmap threshold, 128 KiB rising to at most 32 MiB)
with a fresh `mmap` and unmaps it on `free`, and it trims the heap's top above a threshold: the
next run's arrays then land on new pages, and every first touch of a 4 KiB page is a page fault
(the kernel zeroes the page; ~3 µs each in this virtual machine). Measured on the issue-12
convnet step (batch 64, 2 cores): ~1,500 page faults per step with glibc's defaults, ~10 with
the thresholds raised; interleaved in one process at load 5, every big array on fresh pages
(6,500 faults per step) took 58 ms a step, none (51 faults) 36 ms.

`keep_freed_memory()` raises glibc's mmap and trim thresholds (`mallopt`) once per process, the
way TensorFlow's and PyTorch's caching allocators keep freed blocks: the process keeps its peak
heap instead of handing it back after each step. Set ``GRAPHFLOW_KEEP_FREED_MEMORY=0`` to leave
malloc's defaults (e.g. for a process that must shrink after a big one-off computation); on a
C library without `mallopt` (not glibc) this does nothing.

>>> from graphflow.backends.numba import heap
>>> heap.keep_freed_memory() in (True, False)
True
"""
import ctypes
import os

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
#: thresholds asked for, largest first (glibc may refuse an mmap threshold above its heap size)
MMAP_THRESHOLDS = (1 << 30, 32 << 20)
TRIM_THRESHOLD = (1 << 31) - 1

_done = None


def keep_freed_memory():
    """Raise malloc's mmap and trim thresholds once (see the module docstring); True if the C
    library took them, False if not (or ``GRAPHFLOW_KEEP_FREED_MEMORY=0``)."""
    global _done
    if _done is not None:
        return _done
    _done = False
    if os.environ.get("GRAPHFLOW_KEEP_FREED_MEMORY", "1") == "0":
        return _done
    try:   # the process's own symbols first: find_library runs `ldconfig -p` (~7 ms)
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        from ctypes.util import find_library     # (imports subprocess: only here)
        try:
            mallopt = ctypes.CDLL(find_library("c") or "libc.so.6").mallopt
        except (OSError, AttributeError):
            return _done
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    if any(mallopt(_M_MMAP_THRESHOLD, t) == 1 for t in MMAP_THRESHOLDS):
        _done = mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1
    return _done
