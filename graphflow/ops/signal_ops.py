"""`tf.signal`: discrete Fourier transforms, windows, framing and the short-time Fourier
transform.

One primitive, `fft` (attrs `inverse`, `rank`): the complex DFT over the last `rank` axes, TF's
normalization (forward unscaled, inverse divided by n). It is linear, so its JVP is itself and
its VJP (TF's convention for complex gradients: the adjoint) is the other direction:
fft -> n * ifft(ct), ifft -> fft(ct) / n. The real transforms are compositions, as the
math allows: rfft = the first n//2 + 1 bins of fft(complex(x, 0)); irfft rebuilds the
Hermitian spectrum (its conjugate mirror) and takes real(ifft(.)); so their gradients follow.

>>> import graphflow as tf
>>> tf.signal.rfft(tf.constant([1., 2., 3., 4.])).numpy()
array([10.+0.j, -2.+2.j, -2.+0.j], dtype=complex64)
>>> tf.signal.irfft(tf.signal.rfft(tf.constant([1., 2., 3., 4.]))).numpy()
array([1., 2., 3., 4.], dtype=float32)
"""
import math

import numpy as np

from .. import dtypes as _dt
from ..dispatch import bind
from ..shapes import Dim
from ..tensor import constant, to_tensor
from . import array_ops as _a, math_ops as _m, shape_ops as _s
from .complex_ops import complex as _complex, conj, real
from .misc_ops import static_ints as _static_ints
from .registry import LINEAR, Aval, defop, op_error

__all__ = ["fft", "ifft", "fft2d", "ifft2d", "fft3d", "ifft3d", "rfft", "irfft", "rfft2d",
           "irfft2d", "fftshift", "ifftshift", "hann_window", "hamming_window", "frame", "stft"]

_COMPLEX_OF = {np.dtype(np.float32): _dt.complex64, np.dtype(np.float64): _dt.complex128}


def _fft_impl(x, inverse, rank):
    axes = tuple(range(-rank, 0))
    y = np.fft.ifftn(x, axes=axes) if inverse else np.fft.fftn(x, axes=axes)
    y = y.astype(np.asarray(x).dtype)
    return y[()] if y.ndim == 0 else y


def _fft_rule(x, inverse, rank):
    name = "ifft" if inverse else "fft"
    if np.dtype(x.dtype).kind != "c":
        raise op_error(name, (x,), "needs a complex64 or complex128 input (use tf.signal.rfft "
                       "for real signals, or tf.complex)")
    if len(x.shape) < rank:
        raise op_error(name, (x,), f"needs rank >= {rank}")
    return Aval(tuple(x.shape), np.dtype(x.dtype))


def _inner_size(x, rank):
    """The number of points of a rank-`rank` transform of x: a Python int when the last
    `rank` dims are known, else a run-time scalar."""
    dims = tuple(x.shape)[len(x.shape) - rank:]
    if all(isinstance(d, int) and not isinstance(d, Dim) for d in dims):
        return float(np.prod(dims, dtype=np.int64))
    n = _m.reduce_prod(_s.shape(x)[len(x.shape) - rank:])
    return _complex(_m.cast(n, _dt.float32 if x.dtype == _dt.complex64 else _dt.float64),
                    _m.cast(n * 0, _dt.float32 if x.dtype == _dt.complex64 else _dt.float64))


def _fft_vjp(i, o, g, inverse, rank):
    n = _inner_size(g, rank)
    if inverse:
        return [_fft(g, False, rank) / n]
    return [_fft(g, True, rank) * n]


FFT = defop("fft", _fft_impl, _fft_rule, _fft_vjp, jvp=LINEAR,
            doc="complex DFT over the last `rank` axes (inverse: divided by n, as TF).")


def _fft(x, inverse, rank):
    return bind(FFT, [x], {"inverse": bool(inverse), "rank": int(rank)})


def _complex_input(x, opname):
    x = to_tensor(x)
    if not x.dtype.is_complex:
        raise op_error(opname, (x,), "needs a complex64 or complex128 input (TF's FFT ops do "
                       "not convert real tensors; use tf.signal.rfft or tf.complex)")
    return x


def fft(input, name=None):   # noqa: A002
    """DFT over the innermost axis of a complex tensor.

    >>> fft(constant([1 + 0j, 0j, 0j, 0j], dtype="complex64")).numpy()
    array([1.+0.j, 1.+0.j, 1.+0.j, 1.+0.j], dtype=complex64)
    """
    return _fft(_complex_input(input, "fft"), False, 1)


def ifft(input, name=None):   # noqa: A002
    """Inverse DFT (divided by n) over the innermost axis."""
    return _fft(_complex_input(input, "ifft"), True, 1)


def fft2d(input, name=None):   # noqa: A002
    """DFT over the two innermost axes."""
    return _fft(_complex_input(input, "fft2d"), False, 2)


def ifft2d(input, name=None):   # noqa: A002
    """Inverse DFT over the two innermost axes."""
    return _fft(_complex_input(input, "ifft2d"), True, 2)


def fft3d(input, name=None):   # noqa: A002
    """DFT over the three innermost axes."""
    return _fft(_complex_input(input, "fft3d"), False, 3)


def ifft3d(input, name=None):   # noqa: A002
    """Inverse DFT over the three innermost axes."""
    return _fft(_complex_input(input, "ifft3d"), True, 3)


def _real_input(x, opname):
    x = to_tensor(x)
    if x.dtype.np not in _COMPLEX_OF:
        raise op_error(opname, (x,), "needs a float32 or float64 input")
    return x


def _fit_last(x, axis, n, value=0.0):
    """x cropped or zero-padded along `axis` (negative) to length n (static)."""
    have = x.shape[axis]
    if have == n:
        return x
    if have > n:
        begin = [0] * x.ndim
        size = [-1] * x.ndim
        size[axis] = n
        return _a.slice(x, begin, size)
    pads = [[0, 0] for _ in range(x.ndim)]
    pads[axis][1] = n - have
    return _a.pad(x, pads, constant_values=value)


def _lengths(fft_length, rank, opname):
    if fft_length is None:
        return None
    n = _static_ints(fft_length, "fft_length", opname)
    if len(n) != rank:
        raise ValueError(f"{opname}: fft_length must have {rank} element(s), got {n}")
    return [int(v) for v in n]


def _rfft_n(x, ns):
    """rfft over the last len(ns) axes (lengths ns) of a real x."""
    rank = len(ns)
    for k, n in enumerate(ns):
        x = _fit_last(x, k - rank, n)
    z = _fft(_complex(x, _m.zeros_like(x)), False, rank)
    return _fit_last(z, -1, ns[-1] // 2 + 1)


def rfft(input_tensor, fft_length=None, name=None):
    """DFT of a real signal over its innermost axis: the n//2 + 1 non-negative frequency bins
    (the input is cropped or zero-padded to `fft_length`).

    >>> rfft(constant([1., 0., 0., 0.]), fft_length=[2]).numpy()
    array([1.+0.j, 1.+0.j], dtype=complex64)
    """
    x = _real_input(input_tensor, "rfft")
    return _rfft_n(x, _lengths(fft_length, 1, "rfft") or [x.shape[-1]])


def rfft2d(input_tensor, fft_length=None, name=None):
    """2-D DFT of a real signal over its two innermost axes (the last one halved)."""
    x = _real_input(input_tensor, "rfft2d")
    return _rfft_n(x, _lengths(fft_length, 2, "rfft2d") or list(x.shape[-2:]))


def _hermitian_full(z, n):
    """The full n-point spectrum whose first n//2 + 1 bins are z (last axis) and whose others
    are their conjugate mirror."""
    z = _fit_last(z, -1, n // 2 + 1)
    tail = _a.reverse(conj(_fit_last(z, -1, n - n // 2)), [-1])   # bins n-n//2-1 .. 0
    tail = _fit_last(tail, -1, n - n // 2 - 1)                     # drop bin 0
    return _s.concat([z, tail], -1)


def irfft(input_tensor, fft_length=None, name=None):
    """Inverse of rfft: a real signal of length `fft_length` (default 2 * (bins - 1)) from its
    non-negative frequency bins (the imaginary parts of the DC and Nyquist bins are ignored).

    >>> irfft(constant([4 + 0j, 0j, 0j], dtype="complex64")).numpy()
    array([1., 1., 1., 1.], dtype=float32)
    """
    z = _complex_input(input_tensor, "irfft")
    ns = _lengths(fft_length, 1, "irfft") or [2 * (z.shape[-1] - 1)]
    return real(_fft(_hermitian_full(z, ns[0]), True, 1))


def irfft2d(input_tensor, fft_length=None, name=None):
    """Inverse of rfft2d over the two innermost axes."""
    z = _complex_input(input_tensor, "irfft2d")
    ns = _lengths(fft_length, 2, "irfft2d") or [z.shape[-2], 2 * (z.shape[-1] - 1)]
    z = _fit_last(z, -2, ns[0])
    perm = list(range(z.ndim - 2)) + [z.ndim - 1, z.ndim - 2]
    z = _s.transpose(_fft(_s.transpose(z, perm), True, 1), perm)   # inverse along axis -2
    return real(_fft(_hermitian_full(z, ns[1]), True, 1))


def _shift(x, axes, sign):
    x = to_tensor(x)
    axes = list(range(x.ndim)) if axes is None else ([axes] if np.ndim(axes) == 0 else
                                                     list(axes))
    shifts = [sign * (x.shape[a] // 2) if sign > 0 else -(x.shape[a] // 2) for a in axes]
    return _a.roll(x, shifts, axes)


def fftshift(x, axes=None, name=None):
    """Move the zero-frequency bin to the center (numpy.fft.fftshift).

    >>> fftshift(constant([0, 1, 2, -2, -1])).numpy()
    array([-2, -1,  0,  1,  2], dtype=int32)
    """
    return _shift(x, axes, 1)


def ifftshift(x, axes=None, name=None):
    """Inverse of fftshift.

    >>> ifftshift(constant([-2, -1, 0, 1, 2])).numpy()
    array([ 0,  1,  2, -2, -1], dtype=int32)
    """
    return _shift(x, axes, -1)


def _cosine_window(window_length, periodic, dtype, a, name):
    n = _static_ints(window_length, "window_length", name)[0]
    dt = _dt.as_dtype(dtype)
    if not dt.is_floating:
        raise ValueError(f"{name}: dtype must be a float dtype, got {dt.name}")
    if n == 1:
        return constant(np.ones(1, dt.np))
    denom = n if periodic else n - 1
    k = np.arange(n, dtype=np.float64)
    return constant((a - (1.0 - a) * np.cos(2.0 * math.pi * k / denom)).astype(dt.np))


def hann_window(window_length, periodic=True, dtype=_dt.float32, name=None):
    """0.5 - 0.5 cos(2 pi n / N), N = window_length (periodic) or window_length - 1.

    >>> hann_window(4).numpy()
    array([0. , 0.5, 1. , 0.5], dtype=float32)
    """
    return _cosine_window(window_length, periodic, dtype, 0.5, "hann_window")


def hamming_window(window_length, periodic=True, dtype=_dt.float32, name=None):
    """0.54 - 0.46 cos(2 pi n / N), N = window_length (periodic) or window_length - 1.

    >>> hamming_window(3, periodic=False).numpy()
    array([0.08, 1.  , 0.08], dtype=float32)
    """
    return _cosine_window(window_length, periodic, dtype, 0.54, "hamming_window")


def frame(signal, frame_length, frame_step, pad_end=False, pad_value=0, axis=-1, name=None):
    """Overlapping frames of `signal` along `axis`: shape [..., frames, frame_length, ...]
    (a gather, so it is differentiable). With `pad_end`, the end is padded with `pad_value` so
    that every sample starts a frame at some step.

    >>> frame(constant([1, 2, 3, 4, 5]), 3, 2).numpy()
    array([[1, 2, 3],
           [3, 4, 5]], dtype=int32)
    """
    x = to_tensor(signal)
    ax = axis % x.ndim
    length = x.shape[ax]
    fl, fs = int(frame_length), int(frame_step)
    if not isinstance(length, int) or isinstance(length, Dim):
        raise ValueError(f"frame: the length of axis {axis} must be known, got shape "
                         f"{tuple(x.shape)}")
    if pad_end:
        n_frames = -(-length // fs)
        need = max((n_frames - 1) * fs + fl, length)
        x = _fit_last_axis(x, ax, need, pad_value)
    else:
        n_frames = max(0, 1 + (length - fl) // fs)
    idx = (np.arange(n_frames)[:, None] * fs + np.arange(fl)[None, :]).astype(np.int32)
    return _s.gather(x, constant(idx), axis=ax)


def _fit_last_axis(x, ax, n, value):
    return _fit_last(x, ax - x.ndim, n, value)


def stft(signals, frame_length, frame_step, fft_length=None, window_fn=hann_window,
         pad_end=False, name=None):
    """Short-time Fourier transform: rfft of windowed frames, shape
    [..., frames, fft_length // 2 + 1] (fft_length defaults to the smallest power of two
    >= frame_length).

    >>> stft(constant(np.ones(16, np.float32)), 8, 4).shape
    TensorShape([3, 5])
    """
    x = _real_input(signals, "stft")
    fl = int(frame_length)
    n = int(fft_length) if fft_length is not None else 1 << max(0, (fl - 1).bit_length())
    frames = frame(x, fl, int(frame_step), pad_end=pad_end)
    if window_fn is not None:
        frames = frames * window_fn(fl, dtype=x.dtype)
    return _rfft_n(frames, [n])
