"""Row scatter-add as a numba loop: how the numba backend computes `scatter_add` (the gradient of
gather / embedding lookups) and `unsorted_segment_sum`.

The op table's impls go through `ops.scatter_rows.add_rows`: a scipy one-hot sparse product for
wide float rows (build the matrix, multiply into a temporary, add it to the zeroed output),
np.add.at otherwise. This loop adds each row into its output row in place, in the order of the
sorted indices (each output row's additions in index order, as np.add.at; each output row
touched in one run). An update that is a broadcast along the index dims (the gradient of a
mean over the gathered rows: one row per pooled group, spread over its tokens) is read as its
distinct rows through a row map, not copied out first (the plan leaves such a broadcast a
numpy view: `lower_cluster._view_readers`). An embedding gradient of 32768 rows of 256 float32
into a 20000-row table, one thread, CPU ms, load ~10: add_rows 14.2, this loop 11.2 on the
copied rows, 7.4 reading the broadcast's 1024 distinct rows.

Negative indices are skipped (unsorted_segment_sum drops them); an index past the end (and a
negative one for scatter_add) goes to the impl, which raises the op's own error. Other dtypes,
another axis and narrow rows keep the impl.

>>> import numpy as np
>>> d = {"op": "scatter_add", "attrs": {"shape": (3, 8), "axis": 0},
...      "dtype": np.dtype("float32"), "shape": (3, 8)}
>>> f = runner(d)
>>> f(np.ones((4, 8), np.float32), np.array([2, 0, 2, 2]))[:, 0]
array([1., 0., 3.], dtype=float32)
"""
import numpy as np

from ...ops.registry import OPS
from . import cache

#: bump when the kernel's text changes meaning (part of its source, hence its key)
SCATTER_KERNELS_VERSION = "scatter-kernels-2"

_SOURCE = """# graphflow scatter kernel (graphflow.backends.numba.scatter; do not edit)
# {version}
import numpy as np
import numba


@numba.njit(cache=True, nogil=True, error_model='numpy', boundscheck=False)
def kernel(out, idx, rows, rowmap, order):
    w = out.shape[1]
    for t in range(order.shape[0]):
        k = order[t]
        r = idx[k]
        if r >= 0:
            s = rowmap[k]
            for j in range(w):
                out[r, j] += rows[s, j]
"""

#: the ops `runner` computes
OPS_DONE = ("scatter_add", "unsorted_segment_sum")
#: rows narrower than this stay on the impl (np.add.at is as fast on a few columns)
MIN_WIDTH = 4


def _request(dt, it):
    src = _SOURCE.format(version=SCATTER_KERNELS_VERSION)
    return cache.request(src, [("a", dt.name, 2, False), ("a", it.name, 1, True),
                               ("a", dt.name, 2, True), ("a", "int64", 1, True),
                               ("a", "int64", 1, True)])


def _rows(x, lead, width):
    """(rows, rowmap): x (lead dims, then the row's) as distinct C-contiguous rows and, per
    index, the row it adds. A broadcast along lead dims (stride 0: a gradient spread over the
    tokens it pooled) is read once per distinct row, not copied out."""
    zero = [j for j in range(lead) if x.strides[j] == 0 and x.shape[j] > 1]
    if zero:
        x = x[tuple(slice(0, 1) if j in zero else slice(None) for j in range(lead))]
    rows = np.ascontiguousarray(x).reshape(-1, width)
    return rows, np.arange(rows.shape[0], dtype=np.int64).reshape(x.shape[:lead])


def _scatter_rows(k, out, idx, rows, rowmap, lead_shape):
    """out[idx[i]] += rows[rowmap[i]] (out and rows viewed as 2-D), in the order of sorted indices
    (each output row's additions in index order, as np.add.at; its rows read once, in order)."""
    rowmap = np.broadcast_to(rowmap, lead_shape).reshape(-1)
    order = np.argsort(idx, kind="stable").astype(np.int64, copy=False)
    k.fn(out, idx, rows, np.ascontiguousarray(rowmap), order)
    return out


def covers(d):
    """Whether `runner(d)` computes node `d`: a float scatter_add along axis 0 or
    unsorted_segment_sum."""
    return (d["op"] in OPS_DONE and np.dtype(d["dtype"]).name in ("float32", "float64")
            and d["attrs"].get("axis", 0) == 0)


def runner(d, index_dtype=None):
    """The call computing `scatter_add` (axis 0) or `unsorted_segment_sum` node `d` with the loop
    above (the op table's impl until it is compiled, and for what it does not cover), or None
    when not `covers(d)`; `index_dtype`: the indices' dtype when known (its kernel is asked for
    now, else at the first call). `.kernels` lists the cache entries it uses."""
    if not covers(d):
        return None
    op, dt, a = d["op"], np.dtype(d["dtype"]), d["attrs"]
    impl = OPS[op].impl
    n = int(a["shape"][0] if op == "scatter_add" else a["num_segments"])
    kernels = {}

    def kernel(it):
        k = kernels.get(it.name)
        if k is None:
            k = kernels[it.name] = _request(dt, it)
            call.kernels = list(kernels.values())
        return k

    def call(x, ids):
        it = ids.dtype
        width = x.size // max(1, ids.size)
        if (x.dtype != dt or it.name not in ("int32", "int64") or width < MIN_WIDTH
                or ids.size == 0 or x.shape[:ids.ndim] != ids.shape):
            return impl(x, ids, **a)
        k = kernel(it)
        flat = ids.reshape(-1)
        if k.fn is None or flat.max() >= n or (op == "scatter_add" and flat.min() < 0):
            return impl(x, ids, **a)       # compiling, or the impl's own error
        out = np.zeros((n,) + x.shape[ids.ndim:], dt)
        rows, rowmap = _rows(x, ids.ndim, width)
        _scatter_rows(k, out.reshape(n, width), np.ascontiguousarray(flat), rows, rowmap,
                      ids.shape)
        return out
    call.kernels = []
    if index_dtype is not None and np.dtype(index_dtype).name in ("int32", "int64"):
        kernel(np.dtype(index_dtype))
    return call
