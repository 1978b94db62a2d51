"""tf.signal breadth: DCT I-IV (+ortho), idct, overlap_and_add, inverse_stft (+window fn),
mel matrix, MFCCs, Kaiser / KBD / Vorbis windows, MDCT and its inverse, rfft3d / irfft3d. The
expected values (`TF`) are what TF 2.21 printed for the same inputs (float32)."""
import numpy as np
import pytest

import graphflow as tf

# fmt: off
TF = {"dct1": [[7.0, 0.1213202, 6.0, -4.12132, -3.0], [7.0, 3.24264, -7.0, -5.24264, 11.0]],
    "idct1": [[7.0, 0.1213202, 6.0, -4.12132, -3.0], [7.0, 3.24264, -7.0, -5.24264, 11.0]],
    "dct2": [[11.0, -2.04087, 6.927051, -5.20431, -3.572949], [8.0, 1.624598, -5.763932, -6.88191,
    10.23607]], "idct2": [[5.62808, -1.835983, 9.0, -4.636153, -3.155944], [6.641142, 0.8896269,
    -6.0, -9.069967, 7.539198]], "dct3": [[5.62808, -1.835983, 9.0, -4.636153, -3.155944],
    [6.641142, 0.8896269, -6.0, -9.069967, 7.539198]], "idct3": [[11.0, -2.04087, 6.927051,
    -5.20431, -3.572949], [8.0, 1.624598, -5.763932, -6.88191, 10.23607]], "dct4": [[5.517787,
    0.1103329, 4.949747, -9.646591, 2.117817], [5.935774, -2.301213, -8.485281, 1.273728,
    10.28828]], "idct4": [[5.517787, 0.1103329, 4.949747, -9.646591, 2.117817], [5.935774,
    -2.301213, -8.485281, 1.273728, 10.28828]], "dct2o": [[2.459675, -0.6453798, 2.190526,
    -1.645747, -1.129866], [1.788854, 0.513743, -1.822715, -2.176251, 3.236929]],
    "idct2o": [[1.910741, -0.4496032, 2.977036, -1.335095, -0.8670111], [2.100113, 0.2813247,
    -1.897366, -2.868176, 2.384104]], "dct3o": [[1.910741, -0.4496032, 2.977036, -1.335095,
    -0.8670111], [2.100113, 0.2813247, -1.897366, -2.868176, 2.384104]], "idct3o": [[2.459675,
    -0.6453798, 2.190526, -1.645747, -1.129866], [1.788854, 0.513743, -1.822715, -2.176251,
    3.236929]], "dct4o": [[1.744877, 0.03489033, 1.565247, -3.05052, 0.6697126], [1.877057,
    -0.7277075, -2.683281, 0.4027881, 3.253439]], "idct4o": [[1.744877, 0.03489033, 1.565247,
    -3.05052, 0.6697126], [1.877057, -0.7277075, -2.683281, 0.4027881, 3.253439]], "dct_n3": [[4.0,
    3.464101, -4.0], [10.0, -6.928203, 2.0]], "dct_n7": [[11.0, 1.606112, -0.8019376, 7.627551,
    -2.24698, -9.286596, 0.5549579], [8.0, 4.166965, -1.789856, -6.717335, -8.027146, 2.741134,
    11.76271]], "ola": [0.0, 1.0, 6.0, 8.0, 14.0, 16.0, 10.0, 11.0], "ola3": [[0.0, 1.0, 2.0, 7.0,
    5.0, 6.0, 15.0, 9.0, 10.0, 11.0], [12.0, 13.0, 14.0, 31.0, 17.0, 18.0, 39.0, 21.0, 22.0,
    23.0]], "mel": [[0.0, 0.0, 0.0, 0.0], [0.676228, 0.323772, 0.0, 0.0], [0.0, 0.5390681,
    0.4609319, 0.0], [0.0, 0.0, 0.6973017, 0.3026983], [0.0, 0.0, 0.02868412, 0.9713159], [0.0,
    0.0, 0.0, 0.4739941], [0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]],
    "mel_default_colsum": [2.285471, 2.485195, 2.709531, 2.977632, 3.205301, 3.420204, 3.776449,
    4.096006, 4.393706, 4.789771, 5.187716, 5.616916, 6.122586, 6.594092, 7.170045, 7.769453,
    8.434293, 9.121259, 9.916669, 10.72855], "mel_16k": [1.658361, 1.539875, 1.678987, 1.874984,
    1.911168, 2.011858, 2.204961, 2.272709, 2.358038, 2.642017, 2.684478, 2.871083, 3.048714,
    3.207246, 3.462755, 3.586751, 3.850943, 4.085274, 4.29453, 4.566168, 4.830661, 5.121706,
    5.42241, 5.748283, 6.102873, 6.427325, 6.850629, 7.248556, 7.657554, 8.12038, 8.615521,
    9.104434, 9.669944, 10.24371, 10.82853, 11.48647, 12.15531, 12.90572, 13.64682, 14.46163],
    "mfcc": [[-2.991724, -1.892074, 6.882551e-08, -0.1855674, 3.441276e-08, -0.03639952],
    [6.455825, -1.892074, -6.882551e-08, -0.1855674, 2.064765e-07, -0.03639963]],
    "kaiser6": [5.277345e-05, 0.1017197, 0.7929395, 0.7929395, 0.1017197, 5.277345e-05],
    "kaiser5b3": [0.2048847, 0.7269254, 1.0, 0.7269254, 0.2048847], "kbd6": [0.007131026,
    0.7071068, 0.9999745, 0.9999745, 0.7071068, 0.007131026], "kbd8b4": [0.1902781, 0.5435095,
    0.839403, 0.9817302, 0.9817302, 0.839403, 0.5435095, 0.1902781], "vorbis6": [0.1050293,
    0.7071068, 0.9944691, 0.9944691, 0.7071068, 0.1050292], "mdct": [[-5.2644, 0.09662378,
    -0.4655791, -0.02088934], [-3.026651, 1.54302, -0.1633034, 0.003408663], [3.070939, 1.021627,
    0.3472305, 0.0233594], [5.252208, -0.8026315, 0.4149468, 0.01352063], [0.7354179, -1.603307,
    -0.04651207, -0.01356097], [-4.719239, -0.3593099, -0.4486548, -0.02334827], [-4.155523,
    1.342909, -0.2786351, -0.003360063]], "imdct": [-0.04671959, -0.1686392, 0.3201337, 0.7805304,
    0.9320391, 0.9974947, 0.9738474, 0.8632094, 0.6754633, 0.4273798, 0.14112, -0.1577456,
    -0.4425204, -0.687766, -0.8715756, -0.9775301, -0.9961645, -0.9258145, -0.7727643, -0.5506855,
    -0.2794155, 0.01681394, 0.3115413, 0.5784395, 0.7936677, 0.9379997, 0.998543, 0.9698896,
    0.8589706, 0.6888982, 0.362896, 0.05141472], "mdct_ortho": [[-1.861246, 0.03416166, -0.1646071,
    -0.007385497], [-1.070083, 0.5455401, -0.05773646, 0.001205144], [1.085741, 0.3611997,
    0.1227645, 0.008258796], [1.856936, -0.2837731, 0.1467059, 0.004780264], [0.2600095,
    -0.5668545, -0.0164445, -0.004794528], [-1.668503, -0.1270352, -0.1586234, -0.008254861],
    [-1.469199, 0.4747901, -0.09851239, -0.001187962]], "imdct_ortho_kbd": [-0.004756138,
    -0.1574704, 0.3738231, 0.7832978, 0.9320388, 0.9974951, 0.9738475, 0.863209, 0.6754631,
    0.4273798, 0.14112, -0.1577456, -0.4425204, -0.6877663, -0.8715757, -0.9775299, -0.9961644,
    -0.9258144, -0.7727643, -0.5506853, -0.2794154, 0.01681393, 0.3115412, 0.5784397, 0.7936679,
    0.938, 0.9985433, 0.9698896, 0.8553229, 0.7104964, 0.2992918, 0.00519347],
    "mdct_nowin_pad": [[-5.535026, -0.5247922, 0.4086334, 0.3188137], [-1.3367, -0.6396962,
    0.3182237, 0.2980546], [4.566298, 0.06119418, -0.1780116, -0.1028089], [4.645967, 0.684045,
    -0.4472315, -0.3725619], [-1.199294, 0.4345438, -0.1461039, -0.1671924], [-5.515115,
    -0.3691242, 0.341348, 0.251395], [-2.079627, -0.2517905, 0.5446601, 0.3653022], [0.8543667,
    -1.706254, 1.015353, 0.08533716]], "istft": [0.0, 0.00633791, 0.1411606, 0.5706955, 0.9320391,
    0.7481211, 0.4869238, 0.6474069, 0.6754632, 0.3205349, 0.07056001, -0.1183093, -0.4425204,
    -0.5158246, -0.4357879, -0.7331474, -0.9961646, -0.694361, -0.3863823, -0.4130141, -0.2794155,
    0.01261043, 0.1557707, 0.4338298, 0.7936679, 0.7035, 0.4992717, 0.7274173, 0.8545989,
    0.4830084, 0.1030296, 0.00266912], "istft_winfn": [0.0, 0.008450547, 0.2823212, 0.7609274,
    0.9320391, 0.9974949, 0.9738476, 0.8632092, 0.6754632, 0.4273798, 0.14112, -0.1577457,
    -0.4425204, -0.6877661, -0.8715758, -0.97753, -0.9961646, -0.9258146, -0.7727646, -0.5506855,
    -0.2794155, 0.0168139, 0.3115414, 0.5784397, 0.7936679, 0.938, 0.9985434, 0.9698897, 0.8545989,
    0.6440113, 0.2060593, 0.003558827], "istft_window": [0.0, 0.1952622, 1.0, 1.138071, 1.0,
    1.138071, 1.0, 0.195262], "istft_fft16": [0.0, 0.00633791, 0.1411606, 0.5706954, 0.9320391,
    0.7481211, 0.4869238, 0.6474069, 0.6754632, 0.3205349, 0.07056, -0.1183092, -0.4425204,
    -0.5158246, -0.4357879, -0.7331474, -0.9961647, -0.694361, -0.3863823, -0.4130141, -0.2794155,
    0.01261043, 0.1557707, 0.4338298, 0.7936679, 0.7035, 0.4992717, 0.7274173, 0.8545989,
    0.4830084, 0.1030296, 0.002669122], "istft_fl10_fft8": [0.0, 0.004132677, 0.09753959,
    0.4376119, 0.8430373, 0.8653646, 0.6086547, 0.5649778, 0.6109622, 0.3707682, 0.08820001,
    -0.1032458, -0.4002635, -0.5966631, -0.5447348, -0.6398016, -0.9010394, -0.8031791, -0.4829778,
    -0.3604283, -0.2527337, 0.0145867, 0.1947134, 0.3785937, 0.7178794, 0.8137504, 0.6240896,
    0.634801, 0.772992, 0.5658796, 0.1863824, 0.01192901, 0.0, 0.0], "rfft3d_re": [[[46.0, -2.0,
    -2.0], [-0.5, -0.6698732, 2.5], [-0.5, -9.330127, 2.5]], [[-4.0, 10.0, 0.0], [-2.5, -0.6698732,
    -7.5], [-2.5, -9.330127, -7.5]]], "rfft3d_im": [[[0.0, 2.0, 0.0], [-2.598076, -2.5, -4.330127],
    [2.598076, -2.5, 4.330127]], [[0.0, 0.0, 0.0], [4.330127, 7.5, -4.330127], [-4.330127, 7.5,
    4.330127]]], "irfft3d_len": [[[-0.4, 0.8391548, 1.129772, 2.070228, 2.360845], [3.8,
    0.03915475, 0.3297718, 1.270228, 1.560845], [2.0, 3.759302, 1.087308, -0.3233763, 1.476766]],
    [[2.2, 1.723234, 3.523377, 2.112692, -0.559302], [0.4, 1.639155, 1.929772, 2.870229, 3.160845],
    [-0.4, 0.8391548, 1.129772, 2.070228, 2.360845]]], "dct_grad": [[5.649407, -4.359949, 1.712125,
    -1.034934, 0.2694189], [5.649407, -4.359949, 1.712125, -1.034934, 0.2694189]],
    "sp": [[1.764052, 0.4001572, 0.978738, 2.240893, 1.867558, -0.9772779, 0.9500884, -0.1513572,
    -0.1032189, 0.4105985, 0.1440436, 1.454273], [0.7610377, 0.121675, 0.4438632, 0.3336743,
    1.494079, -0.2051583, 0.3130677, -0.8540958, -2.55299, 0.6536186, 0.8644362, -0.742165]],
    "mdct_ola_grad": [[3.306097, 1.748324, 7.692592, 5.52723, 9.692591, 7.527229, 7.693737,
    7.518481, 9.693736, 9.51848, 12.21027, 5.700519], [1.300067, 1.19136, 5.875884, 3.257032,
    7.875883, 5.25703, 1.520154, 6.599044, 3.520153, 8.599044, 13.65105, 1.307642]]}

# fmt: on

X = tf.constant([[1., 2., -1., 0.5, 3.], [0., 1., 4., -2., 1.]])
SIG = tf.constant(np.sin(np.arange(32) * 0.3).astype(np.float32))


def close(a, b, tol=2e-5):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b, np.float64), rtol=tol, atol=tol)


@pytest.mark.parametrize("t", [1, 2, 3, 4])
def test_dct_idct_types(t):
    close(tf.signal.dct(X, type=t), TF[f"dct{t}"])
    close(tf.signal.idct(X, type=t), TF[f"idct{t}"])
    if t > 1:
        close(tf.signal.dct(X, type=t, norm="ortho"), TF[f"dct{t}o"])
        close(tf.signal.idct(X, type=t, norm="ortho"), TF[f"idct{t}o"])
    assert tf.signal.dct(X, type=t).dtype == tf.float32


def test_dct_n_errors_dtype_and_gradient():
    close(tf.signal.dct(X, n=3), TF["dct_n3"])
    close(tf.signal.dct(X, n=7), TF["dct_n7"])
    with pytest.raises(ValueError, match="Type-I"):
        tf.signal.dct(X, type=1, norm="ortho")
    assert tf.signal.dct(tf.constant(np.linspace(0, 1, 6))).dtype == tf.float64
    with tf.GradientTape() as tape:
        tape.watch(X)
        y = tf.reduce_sum(tf.signal.dct(X, type=2, norm="ortho")
                          * tf.constant([1., 2., 3., 4., 5.]))
    close(tape.gradient(y, X), TF["dct_grad"])
    f = tf.function(lambda v: tf.signal.idct(tf.signal.dct(v, norm="ortho"), norm="ortho"))
    close(f(X), X.numpy())


def test_overlap_and_add():
    close(tf.signal.overlap_and_add(tf.reshape(tf.range(12, dtype=tf.float32), [3, 4]), 2),
          TF["ola"])
    close(tf.signal.overlap_and_add(tf.reshape(tf.range(24, dtype=tf.float32), [2, 3, 4]), 3),
          TF["ola3"])


def test_inverse_stft():
    st = tf.signal.stft(SIG, 8, 4)
    close(tf.signal.inverse_stft(st, 8, 4), TF["istft"])
    close(tf.signal.inverse_stft(st, 8, 4, window_fn=tf.signal.inverse_stft_window_fn(4)),
          TF["istft_winfn"])
    close(tf.signal.inverse_stft_window_fn(4)(8, tf.float32), TF["istft_window"])
    close(tf.signal.inverse_stft(tf.signal.stft(SIG, 8, 4, fft_length=16), 8, 4, fft_length=16),
          TF["istft_fft16"])
    close(tf.signal.inverse_stft(st, 10, 4, fft_length=8), TF["istft_fl10_fft8"])


def test_mel_and_mfcc():
    close(tf.signal.linear_to_mel_weight_matrix(4, 9, 8000, 100., 3000.), TF["mel"])
    m = tf.signal.linear_to_mel_weight_matrix()
    assert m.shape == (129, 20) and m.dtype == tf.float32
    close(tf.reduce_sum(m, 0), TF["mel_default_colsum"], 1e-4)
    close(tf.reduce_sum(tf.signal.linear_to_mel_weight_matrix(40, 257, 16000, 80., 7600.), 0),
          TF["mel_16k"], 1e-4)
    lm = tf.constant(np.linspace(-2, 3, 12).reshape(2, 6).astype(np.float32))
    close(tf.signal.mfccs_from_log_mel_spectrograms(lm), TF["mfcc"])


def test_windows():
    close(tf.signal.kaiser_window(6), TF["kaiser6"])
    close(tf.signal.kaiser_window(5, beta=3.), TF["kaiser5b3"])
    close(tf.signal.kaiser_bessel_derived_window(6), TF["kbd6"])
    close(tf.signal.kaiser_bessel_derived_window(8, beta=4.), TF["kbd8b4"])
    close(tf.signal.vorbis_window(6), TF["vorbis6"])
    assert tf.signal.vorbis_window(4, dtype=tf.float64).dtype == tf.float64


def test_mdct_and_inverse():
    md = tf.signal.mdct(SIG, 8)
    close(md, TF["mdct"])
    close(tf.signal.inverse_mdct(md), TF["imdct"])
    close(tf.signal.mdct(SIG, 8, norm="ortho"), TF["mdct_ortho"])
    kbd = tf.signal.kaiser_bessel_derived_window
    close(tf.signal.inverse_mdct(tf.signal.mdct(SIG, 8, norm="ortho", window_fn=kbd),
                                 norm="ortho", window_fn=kbd), TF["imdct_ortho_kbd"])
    close(tf.signal.mdct(SIG[:30], 8, window_fn=None, pad_end=True), TF["mdct_nowin_pad"])
    sp = tf.constant(np.array(TF["sp"], np.float32))
    with tf.GradientTape() as tape:
        tape.watch(sp)
        y = (tf.reduce_sum(tf.signal.inverse_mdct(tf.signal.mdct(sp, 4))
                           * tf.range(12, dtype=tf.float32))
             + tf.reduce_sum(tf.signal.overlap_and_add(tf.reshape(sp, [2, 3, 4]), 2) ** 2))
    close(tape.gradient(y, sp), TF["mdct_ola_grad"], 1e-4)


def test_rfft3d_irfft3d():
    r = np.arange(24, dtype=np.float32).reshape(2, 3, 4) % 5
    z = tf.signal.rfft3d(r)
    close(tf.math.real(z), TF["rfft3d_re"], 1e-4)
    close(tf.math.imag(z), TF["rfft3d_im"], 1e-4)
    close(tf.signal.irfft3d(z), r, 1e-4)
    assert tf.signal.rfft3d(r, fft_length=[2, 2, 6]).shape == (2, 2, 4)
    close(tf.signal.irfft3d(z, fft_length=[2, 3, 5]), TF["irfft3d_len"], 1e-4)


# the tf.signal docs' MFCC recipe, verbatim (TF 2.21's values, every 4th frame)
MFCC_TF = [[[40.74532, -5.808327, 0.2747575, -0.9251903, -0.0415623, -1.453697, -1.6334, -1.103264,
    -0.2104839, -0.4654139, 0.2900457, 0.8606298, 0.5467137], [40.84001, -5.51027, 0.3956225,
    -0.9379383, -0.7192658, -1.345492, -1.398478, -0.9110278, -0.8008998, -0.5276127, 0.3267746,
    0.8069447, 1.266964], [40.92125, -5.048218, 0.1959363, -0.2656727, -0.4090928, -1.178021,
    -1.009349, -1.801776, -1.453428, -0.8917383, -0.09475948, 0.4378762, 0.6796501], [41.73059,
    -5.016077, 0.04906229, -0.8930631, -0.5279698, -0.8303204, -1.313754, -1.44084, -1.046058,
    -0.5979403, -0.1115426, 0.8890979, 0.6715322]], [[41.11139, -5.673137, -0.6809465, -1.444918,
    -0.4260429, -0.3072352, 0.4172526, 0.1992303, 0.4332503, -0.1969924, -0.08430798, 0.4450591,
    0.6973863], [40.38681, -5.768166, -0.005102045, -0.9867813, 0.3079709, 0.5160523, 1.1105,
    0.3346974, -0.6385912, -0.8794704, -0.5151066, 0.05755448, 0.5772931], [41.16837, -5.914487,
    -0.8774911, -1.27128, -0.2354371, -0.008818376, 0.6152586, 0.41983, 0.1856259, -0.3867651,
    -0.4052498, -0.2116936, 1.326132], [40.79842, -5.602961, -0.6706438, -1.331273, -0.3357235,
    0.1845971, 0.9701009, -0.1568995, -0.4034337, -0.4734963, -0.3235759, 0.4298236, 0.9895476]]]


def test_mfcc_recipe_from_the_signal_docs():
    sample_rate = 16000.0
    t = np.arange(4096) / sample_rate
    pcm = tf.constant((np.stack([np.sin(2 * np.pi * 440 * t), 0.5 * np.sin(2 * np.pi * 1000 * t)])
                       + 0.3 * np.random.RandomState(0).randn(2, 4096)).astype(np.float32))

    def mfccs(pcm):
        stfts = tf.signal.stft(pcm, frame_length=1024, frame_step=256, fft_length=1024)
        spectrograms = tf.abs(stfts)
        num_spectrogram_bins = stfts.shape[-1]
        lower_edge_hertz, upper_edge_hertz, num_mel_bins = 80.0, 7600.0, 80
        linear_to_mel_weight_matrix = tf.signal.linear_to_mel_weight_matrix(
            num_mel_bins, num_spectrogram_bins, sample_rate, lower_edge_hertz, upper_edge_hertz)
        mel_spectrograms = tf.tensordot(spectrograms, linear_to_mel_weight_matrix, 1)
        mel_spectrograms.set_shape(spectrograms.shape[:-1].concatenate(
            linear_to_mel_weight_matrix.shape[-1:]))
        log_mel_spectrograms = tf.math.log(mel_spectrograms + 1e-6)
        return tf.signal.mfccs_from_log_mel_spectrograms(log_mel_spectrograms)[..., :13]
    for f in (mfccs, tf.function(mfccs)):
        m = f(pcm)
        assert m.shape == (2, 13, 13)
        np.testing.assert_allclose(m.numpy()[:, ::4, :], MFCC_TF, rtol=1e-4, atol=1e-4)


def test_audio_tutorial_spectrogram_odd_window():
    """The "Simple audio recognition" tutorial's get_spectrogram (frame_length=255: TF's
    periodic Hann window of odd length is the symmetric one)."""
    w = tf.constant(np.random.RandomState(1).randn(3, 16000).astype(np.float32) * 0.2)

    def get_spectrogram(waveform):
        spectrogram = tf.signal.stft(waveform, frame_length=255, frame_step=128)
        spectrogram = tf.abs(spectrogram)
        spectrogram = spectrogram[..., tf.newaxis]
        return spectrogram
    s = get_spectrogram(w)
    assert s.shape == (3, 124, 129, 1)
    close(s.numpy().sum(axis=(1, 3))[0][:6], [213.18792724609375, 223.7957305908203,
                                             211.11282348632812, 210.1676025390625,
                                             212.92947387695312, 229.43743896484375], 1e-5)
    close(s.numpy()[1, 50, :5, 0], [4.286707401275635, 2.854163408279419, 4.628875255584717,
                                    3.8698949813842773, 2.2272181510925293], 1e-5)
    close(tf.signal.hann_window(255)[126:129], [0.9998470544815063, 1.0, 0.9998470544815063])
    close(tf.signal.hann_window(255)[1:4], [0.00015297532081604004, 0.0006117820739746094,
                                           0.0013761818408966064])


@pytest.mark.parametrize("axes,lengths,norm", [(None, None, None), ([0, 2], None, "ortho"),
                                               ([-2, -1], [2, 6], "forward"),
                                               ([1], [5], "backward"), ([2, 0], [3, 3], None)])
def test_fftnd_family_vs_numpy(axes, lengths, norm):
    """TF 2.21 has no CPU kernel for FFTND/RFFTND (it raises NotFoundError), so these follow
    numpy.fft's n-D transforms, which TF documents them as."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 4))
    z = x + 1j * rng.standard_normal((2, 3, 4))
    kw = dict(s=lengths, axes=axes, norm=norm)
    cc = (lambda a, b: np.testing.assert_allclose(np.asarray(a), b, rtol=1e-9, atol=1e-9))
    cc(tf.signal.fftnd(z, lengths, axes, norm), np.fft.fftn(z, **kw))
    cc(tf.signal.ifftnd(z, lengths, axes, norm), np.fft.ifftn(z, **kw))
    cc(tf.signal.rfftnd(x, lengths, axes, norm), np.fft.rfftn(x, **kw))
    r = np.fft.rfftn(x, axes=axes)
    cc(tf.signal.irfftnd(r, lengths, axes, norm), np.fft.irfftn(r, **kw))


def test_rfftnd_gradient():
    x = tf.constant(np.random.default_rng(1).standard_normal((3, 4)))
    w = np.random.default_rng(2).standard_normal((3, 3))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_sum(tf.abs(tf.signal.rfftnd(x)) * w)
    g = tape.gradient(y, x).numpy()

    def f(v):
        return np.sum(np.abs(np.fft.rfftn(v)) * w)
    eps = 1e-6
    fd = np.zeros_like(g)
    for i in np.ndindex(*g.shape):
        e = np.zeros_like(g)
        e[i] = eps
        fd[i] = (f(x.numpy() + e) - f(x.numpy() - e)) / (2 * eps)
    close(g, fd, 1e-5)
