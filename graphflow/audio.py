"""`tf.audio`: `decode_wav` / `encode_wav` for 16-bit PCM WAV files (pure Python: the `wave`
module), with TF's sample scaling (int16 / 32768 <-> float in [-1, 1), clamped on encoding) and
its `desired_channels` / `desired_samples` behaviour. Inside `@function` they are graph ops
(ops/eager_graph.py): the samples' size is known when the graph runs, unless desired.

>>> import graphflow as tf
>>> wav = tf.audio.encode_wav(tf.constant([[0.5], [-0.25]]), 8000)
>>> audio, rate = tf.audio.decode_wav(wav)
>>> audio.numpy().ravel().tolist(), int(rate)
([0.5, -0.25], 8000)
"""
import io

import numpy as np

from .ops import eager_graph as _eg
from .ops.registry import Aval, op_error

from .errors import InvalidArgumentError
from .lazy import lazy_module
from .tensor import constant, to_tensor

wave = lazy_module("wave")     # (at the first WAV decoded or encoded)

__all__ = ["decode_wav", "encode_wav"]


def _bytes(contents, opname):
    t = to_tensor(contents)
    v = t.numpy()
    v = v.item() if isinstance(v, np.ndarray) else v
    if not isinstance(v, (bytes, bytearray)):
        raise InvalidArgumentError(f"{opname}: contents must be a scalar string tensor (the "
                                   f"WAV file's bytes), got {t.dtype.name} {tuple(t.shape)}")
    return bytes(v)


def decode_wav(contents, desired_channels=-1, desired_samples=-1, name=None):
    """(audio, sample_rate): a 16-bit PCM WAV file as float32 samples (samples, channels) in
    [-1, 1) and its rate (int32). `desired_channels` > 0: a mono file is repeated over the
    channels, extra channels are dropped; `desired_samples` > 0: truncated or zero-padded.

    >>> a, r = decode_wav(encode_wav(constant([[0.5, -0.5]]), 100), desired_channels=1)
    >>> a.numpy().tolist()
    [[0.5]]
    """
    if _eg.in_graph():   # inside @function: samples of a size known when the graph runs
        return _eg.bind_eager(DECODE_WAV, [contents], {
            "desired_channels": int(-1 if desired_channels is None else desired_channels),
            "desired_samples": int(-1 if desired_samples is None else desired_samples)},
            outputs=2)
    data = _bytes(contents, "decode_wav")
    try:
        with wave.open(io.BytesIO(data), "rb") as w:
            channels, width, rate = w.getnchannels(), w.getsampwidth(), w.getframerate()
            frames = w.readframes(w.getnframes())
    except (wave.Error, EOFError) as e:
        raise InvalidArgumentError(f"decode_wav: not a PCM WAV file ({e})") from None
    if width != 2:
        raise InvalidArgumentError(f"decode_wav: only 16-bit PCM is supported (as TF), the file "
                                   f"has {8 * width}-bit samples")
    audio = np.frombuffer(frames, "<i2").reshape(-1, channels).astype(np.float32) / 32768.0
    if desired_channels is not None and desired_channels > 0 and desired_channels != channels:
        if channels == 1:
            audio = np.repeat(audio, desired_channels, axis=1)
        elif desired_channels < channels:
            audio = audio[:, :desired_channels]
        else:
            raise InvalidArgumentError(f"decode_wav: cannot make {desired_channels} channels "
                                       f"from a {channels}-channel file")
    if desired_samples is not None and desired_samples > 0:
        audio = audio[:desired_samples]
        if len(audio) < desired_samples:
            audio = np.concatenate([audio, np.zeros((desired_samples - len(audio),
                                                     audio.shape[1]), np.float32)])
    return constant(np.ascontiguousarray(audio)), constant(np.int32(rate))


def encode_wav(audio, sample_rate, name=None):
    """A scalar string tensor: float samples (samples, channels) as a 16-bit PCM WAV file
    (each sample times 32768, rounded and clamped to int16, as TF).

    >>> len(encode_wav(constant([[0.], [1.]]), 16000).numpy())    # 44-byte header + 2 x 2
    48
    """
    if _eg.in_graph():
        return _eg.bind_eager(ENCODE_WAV, [audio, sample_rate], {})
    a = np.asarray(to_tensor(audio).numpy(), np.float32)
    if a.ndim != 2:
        raise InvalidArgumentError(f"encode_wav: audio must be (samples, channels), got shape "
                                   f"{a.shape}")
    rate = int(np.asarray(to_tensor(sample_rate).numpy()))
    pcm = np.clip(np.round(a * 32768.0), -32768, 32767).astype("<i2")
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(a.shape[1])
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    return constant(buf.getvalue())


# ------------------------------------------------------------------ graph ops (ops/eager_graph.py)
def _decode_wav_rule(contents, *, desired_channels, desired_samples):
    if np.dtype(contents.dtype) != _eg.STRING or tuple(contents.shape) != ():
        raise op_error("decode_wav", [contents], "needs a scalar string (the WAV file's bytes)")
    audio = (desired_samples if desired_samples > 0 else None,
             desired_channels if desired_channels > 0 else None)
    return Aval(audio, np.dtype(np.float32)), Aval((), np.dtype(np.int32))


def _encode_wav_rule(audio, sample_rate):
    if len(audio.shape) != 2 or np.dtype(audio.dtype) != np.float32:
        raise op_error("encode_wav", [audio, sample_rate], "needs float32 (samples, channels)")
    return Aval((), _eg.STRING)


DECODE_WAV = _eg.eager_graph_op("decode_wav", decode_wav, _decode_wav_rule,
                                "tf.audio.decode_wav: output 0 the samples, 1 the rate",
                                outputs=2)
ENCODE_WAV = _eg.eager_graph_op("encode_wav", encode_wav, _encode_wav_rule, "tf.audio.encode_wav")
