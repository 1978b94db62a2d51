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
from .segment_ops import unsorted_segment_sum as _segment_sum
from .complex_ops import complex as _complex, conj, real
from .misc_ops import static_ints as _static_ints
from .registry import LINEAR, Aval, defop, op_error

__all__ = ["fft", "ifft", "fft2d", "ifft2d", "fft3d", "ifft3d", "rfft", "irfft", "rfft2d",
           "irfft2d", "fftshift", "ifftshift", "hann_window", "hamming_window", "frame", "stft",
           "rfft3d", "irfft3d", "dct", "idct", "overlap_and_add", "inverse_stft",
           "inverse_stft_window_fn", "linear_to_mel_weight_matrix",
           "mfccs_from_log_mel_spectrograms", "kaiser_window", "kaiser_bessel_derived_window",
           "vorbis_window", "mdct", "inverse_mdct", "fftnd", "ifftnd", "rfftnd", "irfftnd"]

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
    denom = n - 1 + (1 if periodic and n % 2 == 0 else 0)   # TF: `periodic` only for even n
    k = np.arange(n, dtype=np.float64)
    return constant((a - (1.0 - a) * np.cos(2.0 * math.pi * k / denom)).astype(dt.np))


def hann_window(window_length, periodic=True, dtype=_dt.float32, name=None):
    """0.5 - 0.5 cos(2 pi n / N), N = window_length (periodic, even length) or
    window_length - 1 (as TF, an odd length is always symmetric).

    >>> hann_window(4).numpy()
    array([0. , 0.5, 1. , 0.5], dtype=float32)
    """
    return _cosine_window(window_length, periodic, dtype, 0.5, "hann_window")


def hamming_window(window_length, periodic=True, dtype=_dt.float32, name=None):
    """0.54 - 0.46 cos(2 pi n / N), N = window_length (periodic, even length) or
    window_length - 1 (as TF, an odd length is always symmetric).

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


def rfft3d(input_tensor, fft_length=None, name=None):
    """3-D DFT of a real signal over its three innermost axes (the last one halved).

    >>> rfft3d(constant(np.ones((2, 2, 2), np.float32))).numpy()[0, 0]
    array([8.+0.j, 0.+0.j], dtype=complex64)
    """
    x = _real_input(input_tensor, "rfft3d")
    return _rfft_n(x, _lengths(fft_length, 3, "rfft3d") or list(x.shape[-3:]))


def _ifft_axis(z, axis):
    """Inverse complex DFT along one (negative) axis."""
    perm = list(range(z.ndim))
    perm[axis], perm[-1] = perm[-1], perm[axis]
    return _s.transpose(_fft(_s.transpose(z, perm), True, 1), perm)


def irfft3d(input_tensor, fft_length=None, name=None):
    """Inverse of rfft3d over the three innermost axes.

    >>> x = constant(np.arange(8, dtype=np.float32).reshape(2, 2, 2))
    >>> irfft3d(rfft3d(x)).numpy().ravel().round(5).tolist()
    [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]
    """
    z = _complex_input(input_tensor, "irfft3d")
    ns = _lengths(fft_length, 3, "irfft3d") or [z.shape[-3], z.shape[-2],
                                                2 * (z.shape[-1] - 1)]
    for ax, n in ((-3, ns[0]), (-2, ns[1])):
        z = _ifft_axis(_fit_last(z, ax, n), ax)
    return real(_fft(_hermitian_full(z, ns[2]), True, 1))


# ------------------------------------------------------------------ DCT (a constant basis matmul)
def _dct_matrix(n, kind, norm):
    """M with dct(x) = x @ M for length-n x (TF's/SciPy's unnormalized or 'ortho' DCT)."""
    i = np.arange(n, dtype=np.float64)
    if kind == 1:
        m = 2.0 * np.cos(np.pi * np.outer(i, i) / (n - 1))
        m[0, :] = 1.0
        m[-1, :] = (-1.0) ** i
        return m
    if kind == 4:
        m = 2.0 * np.cos(np.pi * np.outer(2 * i + 1, 2 * i + 1) / (4 * n))
        return m * np.sqrt(1.0 / (2 * n)) if norm == "ortho" else m
    m2 = 2.0 * np.cos(np.pi * np.outer(2 * i + 1, i) / (2 * n))   # [n_in, k_out], type 2
    if norm == "ortho":
        m2 = m2 * np.where(i == 0, np.sqrt(1.0 / (4 * n)), np.sqrt(1.0 / (2 * n)))[None, :]
        return m2 if kind == 2 else m2.T
    if kind == 2:
        return m2
    m3 = 2.0 * np.cos(np.pi * np.outer(i, 2 * i + 1) / (2 * n))    # type 3: [n_in, k_out]
    m3[0, :] = 1.0
    return m3


def _dct_check(x, type, axis, norm, opname):   # noqa: A002 (TF's name)
    if type not in (1, 2, 3, 4):
        raise ValueError(f"{opname}: type must be 1, 2, 3 or 4, got {type}")
    if axis != -1:
        raise NotImplementedError(f"{opname}: axis must be -1 (as TF), got {axis}")
    if norm not in (None, "ortho"):
        raise ValueError(f"{opname}: norm must be None or 'ortho', got {norm!r}")
    if type == 1 and norm == "ortho":
        raise ValueError(f"{opname}: Normalization is not supported for the Type-I DCT.")
    if not x.dtype.is_floating:
        raise op_error(opname, (x,), "needs a float input")


def dct(input, type=2, n=None, axis=-1, norm=None, name=None):   # noqa: A002 (TF's names)
    """Discrete cosine transform of types I-IV over the innermost axis (TF's/SciPy's
    definitions; `norm='ortho'` for II-IV); `n` crops or zero-pads the input. A product with a
    constant basis matrix, so it differentiates (and runs inside traced functions).

    >>> dct(constant([1., 2., 3.])).numpy().round(4)
    array([12.    , -3.4641,  0.    ], dtype=float32)
    """
    x = to_tensor(input)
    _dct_check(x, type, axis, norm, "dct")
    if n is not None:
        x = _fit_last(x, -1, int(n))
    length = x.shape[-1]
    if not isinstance(length, int) or isinstance(length, Dim):
        raise ValueError(f"dct: the innermost dimension must be known, got {tuple(x.shape)}")
    if type == 1 and length < 2:
        raise ValueError("dct: a Type-I DCT needs an innermost dimension of at least 2")
    m = constant(_dct_matrix(length, type, norm).astype(x.dtype.np))
    flat = _s.reshape(x, [-1, length])
    return _s.reshape(_m.matmul(flat, m), _s.shape(x) if _has_unknown(x) else list(x.shape))


def _has_unknown(x):
    return any(not isinstance(d, int) or isinstance(d, Dim) for d in x.shape)


_IDCT_TYPE = {1: 1, 2: 3, 3: 2, 4: 4}


def idct(input, type=2, n=None, axis=-1, norm=None, name=None):   # noqa: A002
    """Inverse DCT as TF defines it: the DCT of the inverse type (II <-> III; I and IV are their
    own); with `norm='ortho'` an exact inverse, else scaled by 2N (2(N-1) for type I).

    >>> x = constant([1., 2., 3.])
    >>> idct(dct(x, norm="ortho"), norm="ortho").numpy().round(5)
    array([1., 2., 3.], dtype=float32)
    """
    if type not in _IDCT_TYPE:
        raise ValueError(f"idct: type must be 1, 2, 3 or 4, got {type}")
    return dct(input, _IDCT_TYPE[type], n, axis, norm)


# ------------------------------------------------------------------ reconstruction
def overlap_and_add(signal, frame_step, name=None):
    """Sum frames [..., frames, frame_length] placed `frame_step` apart: shape
    [..., (frames - 1) * frame_step + frame_length] (a segment sum: differentiable).

    >>> overlap_and_add(constant([[1., 1., 1.], [1., 1., 1.]]), 2).numpy()
    array([1., 1., 2., 1., 1.], dtype=float32)
    """
    x = to_tensor(signal)
    if x.ndim < 2:
        raise op_error("overlap_and_add", (x,), "needs a signal of rank >= 2 "
                       "[..., frames, frame_length]")
    frames, length = x.shape[-2], x.shape[-1]
    if _has_unknown(x):
        raise ValueError(f"overlap_and_add: the shape must be known, got {tuple(x.shape)}")
    step = int(frame_step)
    out_len = (frames - 1) * step + length
    ids = (np.arange(frames)[:, None] * step + np.arange(length)[None, :]).reshape(-1)
    lead = list(x.shape[:-2])
    xt = _s.reshape(x, [int(np.prod(lead, dtype=np.int64)), frames * length])
    summed = _segment_sum(_s.transpose(xt, [1, 0]), constant(ids.astype(np.int32)), out_len)
    return _s.reshape(_s.transpose(summed, [1, 0]), lead + [out_len])


def inverse_stft_window_fn(frame_step, forward_window_fn=hann_window, name=None):
    """A window function for `inverse_stft` that makes it invert `stft` made with
    `forward_window_fn` and `frame_step` (the forward window over the sum of its squares at
    each overlap).

    >>> inverse_stft_window_fn(2)(4, dtype=_dt.float32).numpy()
    array([0., 1., 1., 1.], dtype=float32)
    """
    step = int(frame_step)

    def inverse_stft_window_fn_inner(frame_length, dtype):
        fl = int(frame_length)
        forward = to_tensor(forward_window_fn(fl, dtype=dtype))
        denom = _m.square(forward)
        overlaps = -(-fl // step)
        denom = _a.pad(denom, [[0, overlaps * step - fl]])
        denom = _m.reduce_sum(_s.reshape(denom, [overlaps, step]), 0, keepdims=True)
        denom = _s.reshape(_s.tile(denom, [overlaps, 1]), [overlaps * step])
        return forward / denom[:fl]
    return inverse_stft_window_fn_inner


def inverse_stft(stfts, frame_length, frame_step, fft_length=None, window_fn=hann_window,
                 name=None):
    """Inverse of `stft`: irfft of each frame (cropped or padded to `frame_length`), times the
    window, overlap-added; with `window_fn=inverse_stft_window_fn(frame_step)` it reconstructs
    the signal `stft` was given (away from the ends).

    >>> x = constant(np.sin(np.arange(32) * 0.3).astype(np.float32))
    >>> y = inverse_stft(stft(x, 8, 4), 8, 4, window_fn=inverse_stft_window_fn(4))
    >>> bool(np.allclose(y.numpy()[8:24], x.numpy()[8:24], atol=1e-5))
    True
    """
    z = _complex_input(stfts, "inverse_stft")
    fl = int(frame_length)
    n = int(fft_length) if fft_length is not None else 1 << max(0, (fl - 1).bit_length())
    frames = _fit_last(irfft(z, [n]), -1, fl)
    if window_fn is not None:
        frames = frames * window_fn(fl, dtype=frames.dtype)
    return overlap_and_add(frames, frame_step)


# ------------------------------------------------------------------ mel features
def _hertz_to_mel(f):
    return 1127.0 * np.log1p(np.asarray(f, np.float64) / 700.0)


def linear_to_mel_weight_matrix(num_mel_bins=20, num_spectrogram_bins=129, sample_rate=8000,
                                lower_edge_hertz=125.0, upper_edge_hertz=3800.0,
                                dtype=_dt.float32, name=None):
    """[num_spectrogram_bins, num_mel_bins] matrix taking a linear-frequency magnitude
    spectrogram to mel bands (TF's triangular filters on the HTK mel scale,
    1127 ln(1 + f / 700); the DC bin gets no weight).

    >>> linear_to_mel_weight_matrix(2, 5, 8000, 100., 3000.).numpy().round(3)
    array([[0.   , 0.   ],
           [0.523, 0.477],
           [0.   , 0.617],
           [0.   , 0.   ],
           [0.   , 0.   ]], dtype=float32)
    """
    nb, ns = int(num_mel_bins), int(num_spectrogram_bins)
    lo, hi, sr = float(lower_edge_hertz), float(upper_edge_hertz), float(sample_rate)
    if nb <= 0 or ns <= 0:
        raise ValueError(f"linear_to_mel_weight_matrix: num_mel_bins ({nb}) and "
                         f"num_spectrogram_bins ({ns}) must be positive")
    if not 0.0 <= lo < hi:
        raise ValueError(f"linear_to_mel_weight_matrix: need 0 <= lower_edge_hertz ({lo}) < "
                         f"upper_edge_hertz ({hi})")
    if hi > sr / 2:
        raise ValueError(f"linear_to_mel_weight_matrix: upper_edge_hertz ({hi}) exceeds the "
                         f"Nyquist frequency {sr / 2}")
    mels = _hertz_to_mel(np.linspace(0.0, sr / 2, ns)[1:])[:, None]
    edges = np.linspace(_hertz_to_mel(lo), _hertz_to_mel(hi), nb + 2)
    lower, center, upper = edges[:-2], edges[1:-1], edges[2:]
    w = np.maximum(0.0, np.minimum((mels - lower) / (center - lower),
                                   (upper - mels) / (upper - center)))
    w = np.concatenate([np.zeros((1, nb)), w], 0)
    return constant(w.astype(_dt.as_dtype(dtype).np))


def mfccs_from_log_mel_spectrograms(log_mel_spectrograms, name=None):
    """MFCCs: the orthonormal-scaled type-II DCT of log-mel spectrograms over the innermost
    axis (TF: dct(x) / sqrt(2 * num_mel_bins)); keep the first 13 or so.

    >>> mfccs_from_log_mel_spectrograms(constant([[1., 1., 1., 1.]])).numpy().round(4)
    array([[2.8284, 0.    , 0.    , 0.    ]], dtype=float32)
    """
    x = to_tensor(log_mel_spectrograms)
    nb = x.shape[-1]
    return dct(x, 2) * np.asarray(1.0 / math.sqrt(2.0 * nb), x.dtype.np)


# ------------------------------------------------------------------ more windows
def _window_dtype(dtype, opname):
    dt = _dt.as_dtype(dtype)
    if not dt.is_floating:
        raise ValueError(f"{opname}: dtype must be a float dtype, got {dt.name}")
    return dt


def _kaiser(n, beta):
    if n == 1:
        return np.ones(1)
    half = (n - 1) / 2.0
    arg = np.arange(-half, half + 0.1, 1.0)
    return np.i0(beta * np.sqrt(np.maximum(0.0, 1.0 - (arg / half) ** 2))) / np.i0(beta)


def kaiser_window(window_length, beta=12.0, dtype=_dt.float32, name=None):
    """Kaiser window I0(beta sqrt(1 - (2n/(N-1) - 1)^2)) / I0(beta) (symmetric).

    >>> kaiser_window(3, beta=2.).numpy().round(4)
    array([0.4387, 1.    , 0.4387], dtype=float32)
    """
    dt = _window_dtype(dtype, "kaiser_window")
    n = _static_ints(window_length, "window_length", "kaiser_window")[0]
    return constant(_kaiser(n, float(beta)).astype(dt.np))


def kaiser_bessel_derived_window(window_length, beta=12.0, dtype=_dt.float32, name=None):
    """Kaiser-Bessel-derived window (for MDCTs): sqrt of the normalized running sum of a
    Kaiser window of half the length, mirrored.

    >>> kaiser_bessel_derived_window(4, beta=2.).numpy().round(4)
    array([0.4834, 0.8754, 0.8754, 0.4834], dtype=float32)
    """
    dt = _window_dtype(dtype, "kaiser_bessel_derived_window")
    n = _static_ints(window_length, "window_length", "kaiser_bessel_derived_window")[0]
    c = np.cumsum(_kaiser(n // 2 + 1, float(beta)))
    half = np.sqrt(c[:-1] / c[-1])
    return constant(np.concatenate([half, half[::-1]]).astype(dt.np))


def vorbis_window(window_length, dtype=_dt.float32, name=None):
    """Vorbis power-complementary window sin(pi/2 sin^2(pi (n + 1/2) / N)).

    >>> vorbis_window(4).numpy().round(4)
    array([0.228 , 0.9737, 0.9737, 0.228 ], dtype=float32)
    """
    dt = _window_dtype(dtype, "vorbis_window")
    n = _static_ints(window_length, "window_length", "vorbis_window")[0]
    arg = np.arange(n, dtype=np.float64)
    return constant(np.sin(np.pi / 2 * np.sin(np.pi / n * (arg + 0.5)) ** 2).astype(dt.np))


# ------------------------------------------------------------------ MDCT
def mdct(signals, frame_length, window_fn=vorbis_window, pad_end=False, norm=None, name=None):
    """Modified DCT of frames of `frame_length` (a multiple of 4) taken at half-frame steps:
    [..., frames, frame_length // 2] (TF's construction: window, fold, type-IV DCT).

    >>> mdct(constant(np.ones(8, np.float32)), 4).shape
    TensorShape([3, 2])
    """
    x = _real_input(signals, "mdct")
    fl = int(frame_length)
    if fl % 4:
        raise ValueError(f"mdct: frame_length must be a multiple of 4, got {fl}")
    frames = frame(x, fl, fl // 2, pad_end=pad_end)
    if window_fn is not None:
        frames = frames * window_fn(fl, dtype=frames.dtype)
    else:
        frames = frames * np.asarray(1.0 / np.sqrt(2), frames.dtype.np)
    a, b, c, d = _s.split(frames, 4, -1)
    folded = _s.concat([-_a.reverse(c, [-1]) - d, a - _a.reverse(b, [-1])], -1)
    return dct(folded, 4, norm=norm)


def inverse_mdct(mdcts, window_fn=vorbis_window, norm=None, name=None):
    """Inverse of `mdct` (with a power-complementary window such as vorbis or
    Kaiser-Bessel-derived, overlap-adding the frames recovers the signal away from the ends).

    >>> x = constant(np.sin(np.arange(16) * 0.5).astype(np.float32))
    >>> y = inverse_mdct(mdct(x, 4))
    >>> bool(np.allclose(y.numpy()[2:14], x.numpy()[2:14], atol=1e-5))
    True
    """
    z = _real_input(mdcts, "inverse_mdct")
    half = int(z.shape[-1])
    y = idct(z, 4, norm=norm)
    a, b = _s.split(y, 2, -1)
    frames = _s.concat([b, -_a.reverse(b, [-1]), -_a.reverse(a, [-1]), -a], -1)
    if norm is None:
        frames = frames * np.asarray(1.0 / (2.0 * half), frames.dtype.np)
    if window_fn is not None:
        frames = frames * window_fn(2 * half, dtype=frames.dtype)
    else:
        frames = frames * np.asarray(1.0 / np.sqrt(2), frames.dtype.np)
    return overlap_and_add(frames, half)


# ------------------------------------------------------------------ N-D transforms over `axes`
def _along(z, axis, fn):
    """fn (acting on the innermost axis) applied along `axis` (negative)."""
    if axis == -1:
        return fn(z)
    perm = list(range(z.ndim))
    perm[axis], perm[-1] = perm[-1], perm[axis]
    return _s.transpose(fn(_s.transpose(z, perm)), perm)


def _nd_args(x, fft_length, axes, opname, real_out=False):
    axes = list(range(x.ndim)) if axes is None else [int(a) for a in np.atleast_1d(axes)]
    axes = [a - x.ndim if a >= 0 else a for a in axes]
    if fft_length is None:
        ns = [int(x.shape[a]) for a in axes]
        if real_out:
            ns[-1] = max(0, 2 * (ns[-1] - 1))
    else:
        ns = [int(v) for v in _static_ints(fft_length, "fft_length", opname)]
        if len(ns) != len(axes):
            raise ValueError(f"{opname}: fft_length {ns} must have one entry per axis {axes}")
    return axes, ns


def _norm_scale(ns, norm, inverse, opname):
    n = float(np.prod(ns)) if ns else 1.0
    if norm in (None, "backward"):
        return None
    if norm == "ortho":
        return 1.0 / math.sqrt(n) if not inverse else math.sqrt(n)
    if norm == "forward":
        return 1.0 / n if not inverse else n
    raise ValueError(f"{opname}: norm must be 'backward', 'ortho' or 'forward', got {norm!r}")


def _scaled(z, scale):
    return z if scale is None else z * np.asarray(scale, z.dtype.np)


def fftnd(input_tensor, fft_length=None, axes=None, norm=None, name=None):
    """N-D DFT over `axes` (all by default), each cropped/padded to its `fft_length`; `norm`
    'backward' (none), 'ortho' or 'forward' as numpy.fft.fftn (TF 2.21 has no CPU kernel for
    this op; graphflow composes 1-D transforms, so it differentiates).

    >>> fftnd(constant(np.ones((2, 2), np.complex64))).numpy().real.tolist()
    [[4.0, 0.0], [0.0, 0.0]]
    """
    z = _complex_input(input_tensor, "fftnd")
    axes, ns = _nd_args(z, fft_length, axes, "fftnd")
    z = _scaled(z, _norm_scale(ns, norm, False, "fftnd"))
    for a, n in zip(axes, ns):
        z = _along(_fit_last(z, a, n), a, lambda t: _fft(t, False, 1))
    return z


def ifftnd(input_tensor, fft_length=None, axes=None, norm=None, name=None):
    """Inverse of `fftnd` (numpy.fft.ifftn's scaling for each `norm`).

    >>> x = constant(np.arange(4, dtype=np.complex64).reshape(2, 2))
    >>> ifftnd(fftnd(x)).numpy().real.round(5).tolist()
    [[0.0, 1.0], [2.0, 3.0]]
    """
    z = _complex_input(input_tensor, "ifftnd")
    axes, ns = _nd_args(z, fft_length, axes, "ifftnd")
    z = _scaled(z, _norm_scale(ns, norm, True, "ifftnd"))
    for a, n in zip(axes, ns):
        z = _along(_fit_last(z, a, n), a, lambda t: _fft(t, True, 1))
    return z


def rfftnd(input_tensor, fft_length=None, axes=None, norm=None, name=None):
    """N-D DFT of a real signal over `axes`, the last of them halved (numpy.fft.rfftn).

    >>> rfftnd(constant(np.ones((2, 4), np.float32))).shape
    TensorShape([2, 3])
    """
    x = _real_input(input_tensor, "rfftnd")
    axes, ns = _nd_args(x, fft_length, axes, "rfftnd")
    x = _fit_last(x, axes[-1], ns[-1])
    z = _along(x, axes[-1], lambda t: _rfft_n(t, [ns[-1]]))
    z = _scaled(z, _norm_scale(ns, norm, False, "rfftnd"))
    for a, n in zip(axes[:-1], ns[:-1]):
        z = _along(_fit_last(z, a, n), a, lambda t: _fft(t, False, 1))
    return z


def irfftnd(input_tensor, fft_length=None, axes=None, norm=None, name=None):
    """Inverse of `rfftnd`: a real signal (the last axis of length fft_length[-1], default
    2 * (bins - 1)), as numpy.fft.irfftn.

    >>> x = constant(np.arange(8, dtype=np.float32).reshape(2, 4))
    >>> irfftnd(rfftnd(x)).numpy().round(4).tolist()
    [[0.0, 1.0, 2.0, 3.0], [4.0, 5.0, 6.0, 7.0]]
    """
    z = _complex_input(input_tensor, "irfftnd")
    axes, ns = _nd_args(z, fft_length, axes, "irfftnd", real_out=True)
    z = _scaled(z, _norm_scale(ns, norm, True, "irfftnd"))
    for a, n in zip(axes[:-1], ns[:-1]):
        z = _along(_fit_last(z, a, n), a, lambda t: _fft(t, True, 1))
    return _along(z, axes[-1], lambda t: real(_fft(_hermitian_full(t, ns[-1]), True, 1)))
