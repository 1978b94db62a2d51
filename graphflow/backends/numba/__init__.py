"""The numba backend: fused clusters compiled into loop kernels, numpy/BLAS for the rest.

    graph --fuse--> clusters --codegen--> kernel sources --cache--> compiled kernels
                                                            (memory, disk, background thread)

Importing this package does not import numba: plans are built and run on numpy at once, and the
compiler thread imports numba and compiles (or loads from the disk cache) in the background.

>>> from graphflow.backends.numba import NumbaPlan, SETTINGS, wait_all
"""
from .cache import SETTINGS, STATS, clear_memory_cache, wait_all
from .plan import NumbaPlan

__all__ = ["NumbaPlan", "SETTINGS", "STATS", "wait_all", "clear_memory_cache"]
