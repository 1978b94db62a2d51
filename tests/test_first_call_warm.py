"""The warm first-call path's own pieces: OpenBLAS's thread pool driven without threadpoolctl
(blas_threads.OpenBLASPool) agrees with threadpoolctl's view of the same library."""
import numpy as np
import pytest

from graphflow import blas_threads


def _openblas():
    ctls = blas_threads._openblas_only()
    if not ctls:
        pytest.skip("numpy's BLAS here is not a pthreads OpenBLAS alone")
    return ctls


def test_openblas_pool_is_the_library_threadpoolctl_sees_and_drives_it():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    ours = _openblas()
    theirs = [c for c in threadpoolctl.ThreadpoolController().lib_controllers
              if c.internal_api == "openblas"]
    assert sorted(c.filepath for c in ours) == sorted(c.filepath for c in theirs)
    assert [c.threading_layer for c in ours] == ["pthreads"] * len(ours)
    c, t = ours[0], next(t for t in theirs if t.filepath == ours[0].filepath)
    before = c.get_num_threads()
    assert before == t.num_threads >= 1
    try:
        c.set_num_threads(1)
        assert c.get_num_threads() == 1 and t.num_threads == 1
        get, put = blas_threads._switch(c)          # the C functions SINGLE_BLAS switches with
        assert get() == 1
    finally:
        c.set_num_threads(before)
    assert t.num_threads == before
    a = np.arange(12.0).reshape(3, 4)
    with blas_threads.SINGLE_BLAS:                  # products still right through the switch
        assert c.get_num_threads() == 1
        np.testing.assert_allclose(a @ a.T, np.einsum("ij,kj->ik", a, a))
    assert c.get_num_threads() == before


def test_any_other_pool_library_leaves_the_choice_to_threadpoolctl():
    for other in ("/opt/lib/libgomp.so.1", "/opt/lib/libmkl_rt.so.2", "/x/libblis.so.4",
                  "/x/libomp.so"):
        assert blas_threads._openblas_only({"/x/libopenblas.so.0", other}) is None
    assert blas_threads._openblas_only({"/x/libc.so.6"}) is None     # no BLAS pool at all
