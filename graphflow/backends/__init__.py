"""Executors for traced graphs: the numpy reference executor and the numba backend."""
