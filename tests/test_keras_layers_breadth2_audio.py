"""MelSpectrogram (keras/audio_layers.py) against Keras 3.15 outputs produced offline (JAX
backend, hard-coded)."""
import numpy as np

import graphflow as tf

T = np.arange(400, dtype="float32").reshape(2, 200)
SIGNAL = (np.sin(T * 0.3) * np.cos(T * 0.011) + 0.1 * np.sin(T * 1.7)).astype("float32")
KERAS_DB = [[[20.655, 21.997, 21.526, 20.816], [17.442, 20.296, 20.097, 19.373],
             [11.628, 2.547, -0.655, -1.321], [0.17, -8.317, -13.278, -13.365],
             [2.427, 3.802, 3.936, 3.937], [2.273, -3.439, -4.44, -4.443]],
            [[18.371, 19.344, 20.48, 21.314], [12.643, 17.656, 19.045, 19.879],
             [6.857, -0.885, -1.619, -0.869], [-4.268, -10.68, -13.318, -13.337],
             [1.913, 3.814, 3.936, 3.936], [-1.802, -4.171, -4.44, -4.442]]]
KERAS_MAG = [[22.6571, 24.3116, 19.8821], [11.8592, 4.1891, 3.5023], [3.0942, 1.0959, 1.0987],
             [4.9788, 2.2672, 2.2672]]


def test_mel_spectrogram_matches_keras():
    layer = tf.keras.layers.MelSpectrogram(fft_length=64, sequence_stride=16,
                                           sequence_length=48, num_mel_bins=6,
                                           sampling_rate=8000, min_freq=50.0)
    y = layer(SIGNAL).numpy()
    assert y.shape == (2, 6, 13)
    np.testing.assert_allclose(y[:, :, :4], KERAS_DB, atol=2e-3)
    assert tuple(layer.compute_output_shape((None, 200))) == (None, 6, 13)
    assert layer.count_params() == 0
    mag = tf.keras.layers.MelSpectrogram(fft_length=64, sequence_stride=32, num_mel_bins=4,
                                         sampling_rate=8000, power_to_db=False, mag_exp=1.0)
    y2 = mag(SIGNAL[0]).numpy()   # unbatched
    assert y2.shape == (4, 7)
    np.testing.assert_allclose(y2[:, :3], KERAS_MAG, rtol=1e-4, atol=1e-3)
    cfg = layer.get_config()
    assert cfg["sequence_length"] == 48 and cfg["max_freq"] == 4000 and cfg["top_db"] == 80.0
    again = tf.keras.layers.MelSpectrogram.from_config(cfg)
    np.testing.assert_allclose(again(SIGNAL).numpy(), y, rtol=1e-6)
