"""keras.ops.core: Keras 3's control flow, slicing/scatter and tensor utilities on graphflow
(cond / while_loop / fori_loop / scan / map / switch trace into graph control flow).

>>> import numpy as np
>>> from graphflow.keras.ops import core
>>> core.fori_loop(0, 4, lambda i, s: s + i, 0).numpy().tolist()
6
>>> core.slice_update(np.zeros((3, 3), "float32"), (1, 1), np.ones((2, 2), "float32")).numpy()[2]
array([0., 1., 1.], dtype=float32)
"""
import numpy as np

from ... import control_flow as _cf, api_extras as _ax
from ...custom_gradient import custom_gradient as _custom_gradient
from ...ops import array_ops as _a, math_ops as _m, shape_ops as _s, segment_ops as _seg
from ...ops import signal_ops as _sig, complex_ops as _cx, misc_ops as _mo
from ...tensor import convert_to_tensor, is_tensor as _is_tensor
from ... import nest as _nest
from ...autodiff.forward import jvp as _forward_jvp

stop_gradient = _m.stop_gradient


def cast(x, dtype):
    """`x` as `dtype`; a SparseTensor keeps its indices and casts its values (Keras 3).

    >>> from graphflow import SparseTensor
    >>> cast(SparseTensor([[0, 1]], [2.5], [1, 3]), "int32").values.numpy().tolist()
    [2]
    """
    return _m.cast(x, dtype)


def is_tensor(x):
    """True for a graphflow tensor."""
    return _is_tensor(x)


def convert_to_numpy(x):
    """The numpy value of a tensor (Keras 3's `ops.convert_to_numpy`)."""
    return np.asarray(x.numpy() if hasattr(x, "numpy") else x)


def dtype(x):
    """The dtype name of `x` ("float32", ...)."""
    return convert_to_tensor(x).dtype.name


def shape(x):
    """The shape as a tuple: ints where known, run-time scalar tensors where a traced dim is
    unknown (as Keras 3's TensorFlow backend gives it)."""
    x = convert_to_tensor(x)
    dims = tuple(x.shape)
    if all(isinstance(d, int) for d in dims):
        return dims
    run = _s.shape(x)
    return tuple(d if isinstance(d, int) else run[i] for i, d in enumerate(dims))


def saturate_cast(x, dtype):
    """Cast, clipping to the target dtype's range first."""
    x = convert_to_tensor(x)
    info = np.iinfo(dtype) if np.issubdtype(np.dtype(dtype), np.integer) else np.finfo(dtype)
    lo, hi = float(info.min), float(info.max)
    if x.dtype.is_floating or x.dtype.is_integer:
        src = np.iinfo(x.dtype.as_numpy_dtype) if x.dtype.is_integer else \
            np.finfo(x.dtype.as_numpy_dtype)
        lo, hi = max(lo, float(src.min)), min(hi, float(src.max))
        x = _m.clip_by_value(x, _m.cast(lo, x.dtype), _m.cast(hi, x.dtype))
    return _m.cast(x, dtype)


def cond(pred, true_fn, false_fn):
    """true_fn() if pred else false_fn(), as graph control flow when traced."""
    return _cf.cond(pred, true_fn, false_fn)


def while_loop(cond, body, loop_vars, maximum_iterations=None):
    """Run `body` while `cond` holds; loop_vars a tensor or a tuple/list (unpacked into
    cond and body)."""
    is_tuple = isinstance(loop_vars, (tuple, list))
    vars_ = tuple(loop_vars) if is_tuple else (loop_vars,)

    def _body(*args):
        out = body(*args)
        return tuple(out) if is_tuple else (out,)
    out = _cf.while_loop(cond, _body, vars_, maximum_iterations=maximum_iterations)
    out = tuple(out) if isinstance(out, (tuple, list)) else (out,)
    return out if is_tuple else out[0]


def fori_loop(lower, upper, body_fun, init_val):
    """val = body_fun(i, val) for i in [lower, upper)."""
    def c(i, v):
        return _m.less(i, upper)

    def b(i, v):
        return i + 1, body_fun(i, v)
    _, out = _cf.while_loop(c, b, (convert_to_tensor(lower), init_val))
    return out


def scan(f, init, xs=None, length=None, reverse=False, unroll=1):
    """JAX-style scan: carry, y = f(carry, x) over the leading axis of xs;
    returns (final carry, stacked ys)."""
    if xs is None:
        n = length
        items = [None] * n
    else:
        flat = _nest.flatten(xs)
        n = convert_to_tensor(flat[0]).shape[0]
        items = [_nest.pack_sequence_as(xs, [convert_to_tensor(v)[i] for v in flat])
                 for i in range(n)]
    order = range(n - 1, -1, -1) if reverse else range(n)
    carry, ys = init, [None] * n
    for i in order:
        carry, ys[i] = f(carry, items[i])
    if n == 0 or ys[0] is None:
        return carry, None
    flat_ys = [_nest.flatten(y) for y in ys]
    stacked = [_s.stack([fy[j] for fy in flat_ys]) for j in range(len(flat_ys[0]))]
    return carry, _nest.pack_sequence_as(ys[0], stacked)


def associative_scan(f, elems, reverse=False, axis=0):
    """Inclusive scan of an associative binary `f` along `axis`."""
    flat = [convert_to_tensor(v) for v in _nest.flatten(elems)]
    flat = [_a.reverse(v, [axis]) for v in flat] if reverse else flat
    n = flat[0].shape[axis]
    sl = [[_s.gather(v, [i], axis=axis) for v in flat] for i in range(n)]
    acc, out = sl[0], [sl[0]]
    for i in range(1, n):
        acc = _nest.flatten(f(_nest.pack_sequence_as(elems, acc),
                              _nest.pack_sequence_as(elems, sl[i])))
        out.append(acc)
    res = [_s.concat([o[j] for o in out], axis=axis) for j in range(len(flat))]
    res = [_a.reverse(v, [axis]) for v in res] if reverse else res
    return _nest.pack_sequence_as(elems, res)


def map(f, xs):
    """[f(x) for x in xs] along the leading axis, stacked."""
    return _a.map_fn(f, xs)


def vectorized_map(function, elements):
    """`function` applied to each slice of `elements` along axis 0, stacked."""
    return _a.vectorized_map(function, elements)


def switch(index, branches, *operands):
    """branches[index](*operands) (index clipped to the valid range)."""
    idx = _m.clip_by_value(_m.cast(convert_to_tensor(index), "int32"), 0, len(branches) - 1)
    return _ax.switch_case(idx, [lambda b=b: b(*operands) for b in branches])


def custom_gradient(f):
    """Decorator: f returns (output, grad_fn); grad_fn(upstream) gives the input grads."""
    return _custom_gradient(f)


def unstack(x, num=None, axis=0):
    """The slices of `x` along `axis` as a list."""
    return _s.unstack(convert_to_tensor(x), num=num, axis=axis)


def slice(inputs, start_indices, shape):
    """inputs[start:start + shape] on every axis."""
    return _a.slice(convert_to_tensor(inputs), start_indices, shape)


def _block_indices(start_indices, shape):
    grids = np.meshgrid(*[np.arange(d) for d in shape], indexing="ij")
    base = convert_to_tensor(np.stack(grids, -1).astype("int32"))
    return base + _m.cast(convert_to_tensor(start_indices), "int32")


def slice_update(inputs, start_indices, updates):
    """`inputs` with the block at `start_indices` replaced by `updates`."""
    x, u = convert_to_tensor(inputs), convert_to_tensor(updates)
    return _a.tensor_scatter_nd_update(x, _block_indices(start_indices, tuple(u.shape)),
                                       _m.cast(u, x.dtype))


def scatter(indices, values, shape):
    """A zeros tensor of `shape` with `values` added at `indices` (duplicates sum)."""
    return _a.scatter_nd(_m.cast(convert_to_tensor(indices), "int32"),
                         convert_to_tensor(values), shape)


def scatter_update(inputs, indices, updates):
    """`inputs` with the entries at `indices` set to `updates`."""
    x = convert_to_tensor(inputs)
    return _a.tensor_scatter_nd_update(x, _m.cast(convert_to_tensor(indices), "int32"),
                                       _m.cast(convert_to_tensor(updates), x.dtype))


def _segment(fn, name, what):
    def op(data, segment_ids, num_segments=None, sorted=False):
        ids = _m.cast(convert_to_tensor(segment_ids), "int32")
        if num_segments is None:
            num_segments = int(np.max(ids.numpy())) + 1
        return fn(convert_to_tensor(data), ids, num_segments)
    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"{what} of the rows of `data` with the same segment id."
    return op


segment_sum = _segment(_seg.unsorted_segment_sum, "segment_sum", "Sum")
segment_max = _segment(_seg.unsorted_segment_max, "segment_max", "Maximum")
segment_min = _segment(_seg.unsorted_segment_min, "segment_min", "Minimum")
segment_prod = _segment(_seg.unsorted_segment_prod, "segment_prod", "Product")


def extract_sequences(x, sequence_length, sequence_stride):
    """Frames of length `sequence_length` every `sequence_stride` along the last axis."""
    return _sig.frame(convert_to_tensor(x), sequence_length, sequence_stride)


def _complex(x):
    re, im = x
    return _cx.complex(convert_to_tensor(re), convert_to_tensor(im))


def _split(z):
    return _cx.real(z), _cx.imag(z)


def fft(x):
    """FFT over the last axis of a (real, imag) pair; returns (real, imag)."""
    return _split(_sig.fft(_complex(x)))


def ifft2(x):
    """Inverse 2-D FFT of a (real, imag) pair; returns (real, imag)."""
    return _split(_sig.ifft2d(_complex(x)))


def fft2(x):
    """2-D FFT over the last two axes of a (real, imag) pair; returns (real, imag)."""
    return _split(_sig.fft2d(_complex(x)))


def rfft(x, fft_length=None):
    """Real FFT over the last axis; returns (real, imag)."""
    x = convert_to_tensor(x)
    return _split(_sig.rfft(x, None if fft_length is None else [fft_length]))


def irfft(x, fft_length=None):
    """Inverse real FFT of a (real, imag) pair."""
    return _sig.irfft(_complex(x), None if fft_length is None else [fft_length])


def view_as_complex(x):
    """A complex tensor from a real one with trailing (real, imag) axis of 2."""
    x = convert_to_tensor(x)
    return _cx.complex(x[..., 0], x[..., 1])


def view_as_real(x):
    """A real tensor with trailing (real, imag) axis from a complex one."""
    x = convert_to_tensor(x)
    return _s.stack([_cx.real(x), _cx.imag(x)], axis=-1)


def jvp(fun, primals, tangents, has_aux=False):
    """(fun(*primals), its forward-mode tangent along `tangents`) - plus aux with has_aux,
    where fun returns (output, aux)."""
    aux = []

    def f(*args):
        out = fun(*args)
        if has_aux:
            out, a = out
            aux.append(a)
        return out
    out, tan = _forward_jvp(f, list(primals), list(tangents))
    return (out, tan, aux[0]) if has_aux else (out, tan)


def _padded_window(window, sequence_length, fft_length):
    """The (periodic) window of sequence_length samples centred in fft_length zeros."""
    if window is None:
        win = np.ones(sequence_length)
    elif isinstance(window, str):
        win = {"hann": np.hanning, "hamming": np.hamming}[window](sequence_length + 1)[:-1]
    else:
        win = np.asarray(convert_to_numpy(window))
    left = (fft_length - sequence_length) // 2
    w = np.zeros(fft_length)
    w[left:left + sequence_length] = win
    return w


def stft(x, sequence_length, sequence_stride, fft_length, window="hann", center=True):
    """Short-time Fourier transform of the last axis; returns (real, imag) of shape
    (..., frames, fft_length // 2 + 1). center pads fft_length // 2 reflected samples."""
    x = convert_to_tensor(x)
    if center:
        pad = [[0, 0]] * (len(x.shape) - 1) + [[fft_length // 2, fft_length // 2]]
        x = _a.pad(x, pad, mode="REFLECT")
    w = _padded_window(window, sequence_length, fft_length)
    frames = _sig.frame(x, fft_length, sequence_stride)
    return _split(_sig.rfft(frames * _m.cast(convert_to_tensor(w), frames.dtype), [fft_length]))


def polar(abs_, angle):
    """The complex number abs_ * exp(i angle)."""
    r, t = convert_to_tensor(abs_), convert_to_tensor(angle)
    return _cx.complex(r * _m.cos(t), r * _m.sin(t))


def view(x, dtype=None):
    """The same bytes read as `dtype` (numpy's `ndarray.view`; the last axis scales by the
    itemsize ratio)."""
    x = convert_to_tensor(x)
    if dtype is None or x.dtype.name == str(np.dtype(dtype)):
        return x
    src, dst = x.dtype.size, np.dtype(dtype).itemsize
    if src == dst:
        return _mo.bitcast(x, np.dtype(dtype).name)
    if src > dst:
        out = _mo.bitcast(x, np.dtype(dtype).name)
        return _s.reshape(out, list(x.shape[:-1]) + [x.shape[-1] * (src // dst)])
    k = dst // src
    grouped = _s.reshape(x, list(x.shape[:-1]) + [x.shape[-1] // k, k])
    return _mo.bitcast(grouped, np.dtype(dtype).name)


def _parse_side(side):
    groups, cur = [], None
    for tok in side.replace("(", " ( ").replace(")", " ) ").split():
        if tok == "(":
            cur = []
        elif tok == ")":
            groups.append(cur)
            cur = None
        elif cur is not None:
            cur.append(tok)
        else:
            groups.append([tok])
    return groups


def rearrange(tensor, pattern, **axes_lengths):
    """einops-style rearrange: "b (h w) c -> b h w c", h=2 (regroup, split and merge axes).

    >>> rearrange(np.zeros((2, 6, 3)), "b (h w) c -> b c h w", h=2).shape
    TensorShape([2, 3, 2, 3])
    """
    x = convert_to_tensor(tensor)
    left, right = [_parse_side(s) for s in pattern.split("->")]
    if len(left) != len(x.shape):
        raise ValueError(f"keras.ops.rearrange: pattern {pattern!r} names {len(left)} axes "
                         f"but the input has shape {tuple(x.shape)}")
    sizes = dict(axes_lengths)
    for group, dim in zip(left, x.shape):
        unknown = [a for a in group if a not in sizes]
        known = int(np.prod([sizes[a] for a in group if a in sizes]))
        if len(unknown) == 1:
            sizes[unknown[0]] = dim // known
        elif unknown:
            raise ValueError(f"keras.ops.rearrange: cannot infer the sizes of {unknown} in "
                             f"{pattern!r} (give them as keyword arguments)")
    elem = [a for g in left for a in g]
    x = _s.reshape(x, [sizes[a] for a in elem])
    order = [a for g in right for a in g]
    x = _s.transpose(x, [elem.index(a) for a in order])
    return _s.reshape(x, [int(np.prod([sizes[a] for a in g])) for g in right])


def istft(x, sequence_length, sequence_stride, fft_length, length=None, window="hann",
          center=True):
    """Inverse of `stft`: irfft of each frame, windowed overlap-add divided by the summed
    squared window; x is the (real, imag) pair."""
    frames = _sig.irfft(_complex(x), [fft_length])
    w = _padded_window(window, sequence_length, fft_length)
    frames = frames * _m.cast(convert_to_tensor(w), frames.dtype)
    n = frames.shape[-2]
    total = fft_length + sequence_stride * (n - 1)
    lead = [[0, 0]] * (len(frames.shape) - 2)
    out, env = None, np.zeros(total)
    for i in range(n):
        a = i * sequence_stride
        part = _a.pad(frames[..., i, :], lead + [[a, total - a - fft_length]])
        out = part if out is None else out + part
        env[a:a + fft_length] += w * w
    env = np.where(env > 1e-10, env, 1.0)
    out = out / _m.cast(convert_to_tensor(env), out.dtype)
    start = fft_length // 2 if center else 0
    end = start + length if length is not None else (
        total - fft_length // 2 if center else total)
    return out[..., start:end]
