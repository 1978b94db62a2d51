"""Keep BLAS and numba within the cores this process may use (no oversubscription).

Kernels and BLAS calls run one after the other, so each pool may use every usable core, but never
more: OpenBLAS/MKL are capped with threadpoolctl (when installed); big kernels run on the
backend's own chunk pool (`parallel.py`: the caller plus usable_cores() - 1 threads) rather than
numba's prange, so numba's thread pool is never started. ``GRAPHFLOW_NUM_THREADS`` overrides the
count.

numba's threading layer is 'workqueue' unless NUMBA_THREADING_LAYER is set: OpenMP's spinning
threads collapse when another process shares a core (measured on 2 cores with one busy: a 4M-element
prange kernel took 8.0 ms with omp, 3.7 ms with workqueue, 4.3 ms serial).
"""
import os
import sys

from ...blas_threads import lib_controllers, usable_cores  # noqa: F401  (re-exported)

_configured = None


def configure():
    """Cap BLAS threads at the usable cores, pick numba's workqueue layer (once numba is imported:
    a process running only shared-object kernels never imports it); returns the count."""
    global _configured
    # never imports numba; another thread may be importing it right now (numba in sys.modules
    # without its config yet): its own `cache._setup` calls this again once the import is done
    numba_config = getattr(sys.modules.get("numba"), "config", None)
    if "NUMBA_THREADING_LAYER" not in os.environ and numba_config is not None:
        numba_config.THREADING_LAYER = "workqueue"
    if _configured is not None:
        return _configured
    n = usable_cores()
    for c in lib_controllers():     # (one scan of the loaded libraries, shared with SINGLE_BLAS)
        try:
            if c.get_num_threads() > n:
                c.set_num_threads(n)
        except Exception:   # a library threadpoolctl cannot drive: leave it
            pass
    _configured = n
    return n
