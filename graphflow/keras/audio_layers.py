"""Keras 3's audio preprocessing layer `MelSpectrogram`: STFT power spectrogram (centered,
reflect padded; `keras.ops.stft`), an HTK mel filterbank, optional decibel scaling, output
(batch, num_mel_bins, frames).

>>> import numpy as np, graphflow as tf
>>> layer = tf.keras.layers.MelSpectrogram(fft_length=64, sequence_stride=16, num_mel_bins=8,
...                                        sampling_rate=8000)
>>> layer(np.zeros((2, 128), "float32")).shape
TensorShape([2, 8, 9])
"""
import numpy as np

from ..ops import array_ops as _a, math_ops as _m, shape_ops as _s
from ..tensor import TensorShape, to_tensor
from .layers import Layer, unique_name
from .ops.core import stft

MEL_BREAK_FREQUENCY_HERTZ, MEL_HIGH_FREQUENCY_Q = 700.0, 1127.0


def linear_to_mel_weight_matrix(num_mel_bins, num_spectrogram_bins, sampling_rate,
                                lower_edge_hertz, upper_edge_hertz, dtype="float32"):
    """The (num_spectrogram_bins, num_mel_bins) HTK triangular filterbank of TF / Keras
    (peaks 1; the DC bin zero), as a numpy array.

    >>> m = linear_to_mel_weight_matrix(4, 9, 8000, 100.0, 4000.0)
    >>> m.shape, float(m[0].sum()), float(m.max()) <= 1.0
    ((9, 4), 0.0, True)
    """
    def to_mel(f):
        return MEL_HIGH_FREQUENCY_Q * np.log(1.0 + np.asarray(f, dtype) / MEL_BREAK_FREQUENCY_HERTZ)
    freqs = np.linspace(0.0, sampling_rate / 2.0, num_spectrogram_bins, dtype=dtype)[1:]
    bins_mel = to_mel(freqs)[:, None]
    edges = np.linspace(to_mel(lower_edge_hertz), to_mel(upper_edge_hertz), num_mel_bins + 2,
                        dtype=dtype)
    lower, center, upper = edges[None, :-2], edges[None, 1:-1], edges[None, 2:]
    lower_slopes = (bins_mel - lower) / (center - lower)
    upper_slopes = (upper - bins_mel) / (upper - center)
    weights = np.maximum(0.0, np.minimum(lower_slopes, upper_slopes)).astype(dtype)
    return np.pad(weights, [[1, 0], [0, 0]])


class MelSpectrogram(Layer):
    """Mel spectrogram of (batch, samples) or (samples,) audio (Keras 3): |STFT|^mag_exp with a
    `window` of `sequence_length` (default fft_length) every `sequence_stride` samples, mapped
    to `num_mel_bins` mel bands in [min_freq, max_freq] Hz, then, with `power_to_db`,
    10 log10(max(x, min_power) / ref_power) floored at its overall max - top_db.

    >>> import numpy as np, graphflow as tf
    >>> layer = tf.keras.layers.MelSpectrogram(num_mel_bins=16)
    >>> tuple(layer.compute_output_shape((None, 16000)))
    (None, 16, 32)
    """

    def __init__(self, fft_length=2048, sequence_stride=512, sequence_length=None,
                 window="hann", sampling_rate=16000, num_mel_bins=128, min_freq=20.0,
                 max_freq=None, power_to_db=True, top_db=80.0, mag_exp=2.0, min_power=1e-10,
                 ref_power=1.0, **kwargs):
        kwargs.setdefault("name", unique_name("mel_spectrogram"))
        super().__init__(**kwargs)
        self.fft_length, self.sequence_stride = int(fft_length), int(sequence_stride)
        self.sequence_length = int(sequence_length or fft_length)
        if self.fft_length < self.sequence_length:
            raise ValueError("`fft_length` must be greater than or equal to `sequence_length`. "
                             f"Received: `sequence_length`={self.sequence_length}, "
                             f"`fft_length`={self.fft_length}.")
        self.window, self.sampling_rate = window, sampling_rate
        self.num_mel_bins, self.min_freq = int(num_mel_bins), min_freq
        self.max_freq = max_freq or int(sampling_rate / 2)
        self.power_to_db, self.top_db, self.mag_exp = power_to_db, top_db, mag_exp
        self.min_power, self.ref_power = min_power, ref_power

    def call(self, inputs):
        x = to_tensor(inputs)
        if x.dtype.name not in ("float32", "float64"):
            x = _m.cast(x, "float32")
        real, imag = stft(x, self.sequence_length, self.sequence_stride, self.fft_length,
                          window=self.window, center=True)
        spec = _m.sqrt(real * real + imag * imag)
        if self.mag_exp != 1.0:
            spec = spec ** float(self.mag_exp)
        matrix = linear_to_mel_weight_matrix(self.num_mel_bins, self.fft_length // 2 + 1,
                                             self.sampling_rate, self.min_freq, self.max_freq,
                                             x.dtype.name)
        out = _a.tensordot(spec, matrix, axes=1)
        if self.power_to_db:
            log = 10.0 * _m.log(_m.maximum(out, float(self.min_power))) / float(np.log(10.0))
            log = log - 10.0 * float(np.log10(max(abs(self.ref_power), self.min_power)))
            out = _m.maximum(log, _m.reduce_max(log) - float(self.top_db))
        perm = list(range(out.ndim))
        perm[-1], perm[-2] = perm[-2], perm[-1]
        return _s.transpose(out, perm)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        frames = (None if input_shape[-1] is None else
                  (input_shape[-1] + self.sequence_stride + 1) // self.sequence_stride)
        return TensorShape(input_shape[:-1] + (self.num_mel_bins, frames))

    def get_config(self):
        return dict(super().get_config(), fft_length=self.fft_length,
                    sequence_stride=self.sequence_stride, sequence_length=self.sequence_length,
                    window=self.window, sampling_rate=self.sampling_rate,
                    num_mel_bins=self.num_mel_bins, min_freq=self.min_freq,
                    max_freq=self.max_freq, power_to_db=self.power_to_db, top_db=self.top_db,
                    mag_exp=self.mag_exp, min_power=self.min_power, ref_power=self.ref_power)
