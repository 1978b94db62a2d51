"""The reference inputs, numpy baselines and timing helper shared by tools/bench.py and
tools/bench_peers.py.

numpy only: bench_peers.py's children import this module and must never import graphflow (nor
anything else that would meet a peer framework's imports or thread pools), so nothing here may
import graphflow. Both scripts run from tools/ and put this folder on sys.path before importing it.
"""
import numpy as np

# statistics and timeit (with fractions, decimal, random behind them: ~4 ms) are imported by the
# timing helpers that use them: the fresh-process rows (bench.py's mlp_first_100_steps) import this
# module inside the time they measure


# ------------------------------------------------------------------------------ timing
class Config:
    def __init__(self, repeats=7, min_time=0.2):
        self.repeats = repeats        # timeit repeats; the median is reported
        self.min_time = min_time      # seconds per repeat (timeit's autorange picks `number`)


def calibrate(timer, cfg):
    """Calls per repeat of `timer` so that one repeat lasts >= cfg.min_time (like
    Timer.autorange, but to cfg.min_time)."""
    number = 1
    while True:
        t = timer.timeit(number)
        if t >= cfg.min_time or number >= 10**8:
            return number
        number = max(number * 2, int(number * cfg.min_time / max(t, 1e-9) * 1.1))


def measure(fn, cfg):
    """Median seconds per call of `fn()` over `cfg.repeats` timeit repeats (auto `number`)."""
    import statistics
    import timeit
    timer = timeit.Timer(fn)
    number = calibrate(timer, cfg)
    times = timer.repeat(repeat=cfg.repeats, number=number)
    return statistics.median(times) / number


def measure_pair(fn, base, cfg):
    """(median s/call of fn, median s/call of base, median of the per-repeat ratios).

    Like `measure` for both sides, but the repeats of `fn` and of its baseline alternate, so a
    load change on the shared machine (other processes starting or stopping between the two
    timings) hits both sides of a ratio alike."""
    import statistics
    import timeit
    tf_, tb = timeit.Timer(fn), timeit.Timer(base)
    nf, nb = calibrate(tf_, cfg), calibrate(tb, cfg)
    fs, bs = [], []
    for _ in range(cfg.repeats):
        fs.append(tf_.timeit(nf) / nf)
        bs.append(tb.timeit(nb) / nb)
    return (statistics.median(fs), statistics.median(bs),
            statistics.median(f / b for f, b in zip(fs, bs)))


# ------------------------------------------------------------------------------ eager_* baseline
def numpy_add_2x2():
    """The baseline of the eager rows: numpy's a + b on two 2x2 float32 arrays, as a callable."""
    a = np.ones((2, 2), np.float32)
    b = np.full((2, 2), 2.0, np.float32)
    return lambda: a + b


# ------------------------------------------------------------------------------ chain_*_4M
CHAIN_N = 4_000_000


def chain_input(dtype=np.float32):
    """The chain workloads' input: 4M standard normal draws (seed 0), as `dtype`."""
    return np.random.default_rng(0).standard_normal(CHAIN_N).astype(dtype)


def np_chain(x):
    """numpy's eager `tanh(0.5*x + 1) * sigmoid(x) + x*x`: the chain rows' baseline."""
    return np.tanh(0.5 * x + 1) * (1 / (1 + np.exp(-x))) + x * x


def chain_grad_ref(x):
    """d/dx of np_chain(x), elementwise (the reference for chain_grad_4M)."""
    t, s = np.tanh(0.5 * x + 1), 1 / (1 + np.exp(-x))
    return 0.5 * (1 - t * t) * s + t * s * (1 - s) + 2 * x


def chain_grad2_ref(x):
    """d2/dx2 of np_chain(x), elementwise (the reference for chain_grad2_4M)."""
    t, s = np.tanh(0.5 * x + 1), 1 / (1 + np.exp(-x))
    dt, ds = 0.5 * (1 - t * t), s * (1 - s)
    ddt, dds = -t * dt, ds * (1 - 2 * s)         # d/dx of dt and ds
    return ddt * s + 2 * dt * ds + t * dds + 2


#: chain workload -> its numpy reference result
CHAIN_REFS = {"chain_fwd_4M": np_chain, "chain_grad_4M": chain_grad_ref,
              "chain_grad2_4M": chain_grad2_ref}


# ------------------------------------------------------------------------------ mlp_step
MLP_SIZES = (784, 256, 256, 10)


def mlp_init(seed=0):
    """(weights, biases, x, y) of the 784-256-256-10 ReLU MLP and one batch of 128."""
    rng = np.random.default_rng(seed)
    ws = [(rng.standard_normal((a, b)) * np.sqrt(2 / a)).astype(np.float32)
          for a, b in zip(MLP_SIZES[:-1], MLP_SIZES[1:])]
    bs = [np.zeros(b, np.float32) for b in MLP_SIZES[1:]]
    x = rng.standard_normal((128, MLP_SIZES[0])).astype(np.float32)
    y = rng.integers(0, MLP_SIZES[-1], 128).astype(np.int32)
    return ws, bs, x, y


def np_mlp_step(ws, bs, x, y, lr=np.float32(0.1)):
    """The hand-written numpy step (in-place updates) that mlp_step is compared with."""
    (w1, w2, w3), (b1, b2, b3) = ws, bs
    n = x.shape[0]
    h1 = x @ w1 + b1
    a1 = np.maximum(h1, 0)
    h2 = a1 @ w2 + b2
    a2 = np.maximum(h2, 0)
    z = a2 @ w3 + b3
    z = z - z.max(1, keepdims=True)
    e = np.exp(z)
    s = e.sum(1, keepdims=True)
    r = np.arange(n)
    loss = -np.mean(z[r, y] - np.log(s[:, 0]))
    dz = e / s
    dz[r, y] -= 1
    dz /= n
    gw3, gb3 = a2.T @ dz, dz.sum(0)
    da2 = dz @ w3.T
    da2 *= h2 > 0
    gw2, gb2 = a1.T @ da2, da2.sum(0)
    da1 = da2 @ w2.T
    da1 *= h1 > 0
    gw1, gb1 = x.T @ da1, da1.sum(0)
    for p, g in zip((w1, w2, w3, b1, b2, b3), (gw1, gw2, gw3, gb1, gb2, gb3)):
        p -= lr * g
    return loss


# ------------------------------------------------------------------------------ conv2d_fwd
#: bench.py's conv2d_fwd rows: name -> (NHWC input shape, kernel size, output channels, stride,
#: padding)
CONV_FWD = {"conv2d_fwd_3x3_28x28x32": ((64, 28, 28, 32), 3, 64, 1, "SAME"),
            "conv2d_fwd_1x1_14x14x128": ((64, 14, 14, 128), 1, 128, 1, "VALID"),
            "conv2d_fwd_5x5_s2": ((64, 28, 28, 16), 5, 32, 2, "SAME")}


def conv_fwd_init(name, seed=0):
    """(x NHWC, w HWIO) of conv2d_fwd row `name` (float32)."""
    in_shape, k, out_ch, _, _ = CONV_FWD[name]
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(in_shape).astype(np.float32)
    w = (rng.standard_normal((k, k, in_shape[3], out_ch)) * 0.1).astype(np.float32)
    return x, w


def same_pads(n, k, s):
    """TF's SAME padding (before, after) of a size-n axis for window k, stride s."""
    total = max((-(-n // s) - 1) * s + k - n, 0)
    return total // 2, total - total // 2


def np_conv2d_ref(x, w, stride, padding):
    """numpy's NHWC convolution: `sliding_window_view` + `tensordot` (the conv2d_fwd baseline);
    padding 'VALID' or 'SAME' (TF's arithmetic)."""
    from numpy.lib.stride_tricks import sliding_window_view
    kh, kw = w.shape[:2]
    if padding == "SAME":
        pads = [same_pads(x.shape[1 + a], w.shape[a], stride) for a in (0, 1)]
        x = np.pad(x, [(0, 0), pads[0], pads[1], (0, 0)])
    win = sliding_window_view(x, (kh, kw), axis=(1, 2))[:, ::stride, ::stride]
    return np.tensordot(win, w, axes=([3, 4, 5], [2, 0, 1]))


# ------------------------------------------------------------------------------ conv_step
def conv_init(seed=0, batch=64):
    """Weights (w1, b1, w2, b2, w3, b3) of Conv32-Pool-Conv64-Pool-Dense10 on 28x28x1, and a
    batch (x, y)."""
    rng = np.random.default_rng(seed)
    f32 = np.float32
    ws = [rng.normal(0, 0.3, (3, 3, 1, 32)).astype(f32), np.zeros(32, f32),
          rng.normal(0, 0.06, (3, 3, 32, 64)).astype(f32), np.zeros(64, f32),
          rng.normal(0, 0.03, (1600, 10)).astype(f32), np.zeros(10, f32)]
    x = rng.uniform(0, 1, (batch, 28, 28, 1)).astype(f32)
    y = rng.integers(0, 10, batch).astype(np.int32)
    return ws, x, y


def _im2col3(x):
    """VALID 3x3 stride-1 windows of NHWC x as (N*Ho*Wo, 9*C) rows (HWC order)."""
    n, h, w, c = x.shape
    ho, wo = h - 2, w - 2
    cols = np.empty((n, ho, wo, 3, 3, c), x.dtype)
    for i in range(3):
        for j in range(3):
            cols[:, :, :, i, j, :] = x[:, i:i + ho, j:j + wo, :]
    return cols.reshape(n * ho * wo, 9 * c), (n, ho, wo)


def _pool2(a):
    n, h, w, c = a.shape
    a = a[:, :h - h % 2, :w - w % 2]
    return a.reshape(n, h // 2, 2, w // 2, 2, c).max(axis=(2, 4))


def _pool2_back(a, p, g):
    n, h, w, c = a.shape
    out = np.zeros_like(a)
    ac = a[:, :h - h % 2, :w - w % 2]
    mask = ac == np.repeat(np.repeat(p, 2, 1), 2, 2)
    out[:, :h - h % 2, :w - w % 2] = mask * np.repeat(np.repeat(g, 2, 1), 2, 2)
    return out


def np_conv_step(ws, x, y, lr=np.float32(0.01)):
    """One SGD step of the conv_step network in numpy (im2col + matmul), in place; the loss."""
    w1, b1, w2, b2, w3, b3 = ws
    n = x.shape[0]
    c1, s1 = _im2col3(x)
    z1 = (c1 @ w1.reshape(-1, 32) + b1).reshape(s1 + (32,))
    a1 = np.maximum(z1, 0)
    p1 = _pool2(a1)
    c2, s2 = _im2col3(p1)
    z2 = (c2 @ w2.reshape(-1, 64) + b2).reshape(s2 + (64,))
    a2 = np.maximum(z2, 0)
    p2 = _pool2(a2)
    flat = p2.reshape(n, -1)
    logits = flat @ w3 + b3
    m = logits.max(1, keepdims=True)
    e = np.exp(logits - m)
    s = e.sum(1, keepdims=True)
    loss = np.mean(np.log(s[:, 0]) + m[:, 0] - logits[np.arange(n), y])
    d = e / s
    d[np.arange(n), y] -= 1
    d /= n
    gw3, gb3 = flat.T @ d, d.sum(0)
    dz2 = _pool2_back(a2, p2, (d @ w3.T).reshape(p2.shape)) * (z2 > 0)
    dz2f = dz2.reshape(-1, 64)
    gw2, gb2 = (c2.T @ dz2f).reshape(w2.shape), dz2f.sum(0)
    dcols = (dz2f @ w2.reshape(-1, 64).T).reshape(s2 + (3, 3, 32))
    dp1 = np.zeros_like(p1)
    for i in range(3):
        for j in range(3):
            dp1[:, i:i + s2[1], j:j + s2[2], :] += dcols[:, :, :, i, j, :]
    dz1 = _pool2_back(a1, p1, dp1) * (z1 > 0)
    dz1f = dz1.reshape(-1, 32)
    gw1, gb1 = (c1.T @ dz1f).reshape(w1.shape), dz1f.sum(0)
    for w, g in zip(ws, (gw1, gb1, gw2, gb2, gw3, gb3)):
        w -= lr * g
    return loss


# ------------------------------------------------------------------------------ lstm_step
LSTM_SIZES = (64, 100, 32, 64)   # batch, time steps, features, units


def lstm_init(seed=0):
    """(kernel, recurrent_kernel, bias, x, y) of the lstm_step workload (Keras 3 layout: gates
    i, f, c, o; forget bias 1), one batch of sequences and regression targets for the last h."""
    b, t, f, u = LSTM_SIZES
    rng = np.random.default_rng(seed)
    k = (rng.standard_normal((f, 4 * u)) * np.sqrt(1 / f)).astype(np.float32)
    rk = (rng.standard_normal((u, 4 * u)) * np.sqrt(1 / u)).astype(np.float32)
    bias = np.zeros(4 * u, np.float32)
    bias[u:2 * u] = 1.0
    x = rng.standard_normal((b, t, f)).astype(np.float32)
    y = rng.standard_normal((b, u)).astype(np.float32)
    return k, rk, bias, x, y


def _sig(z):
    return 1.0 / (1.0 + np.exp(-z))


def lstm_bptt(k, rk, bias, x, cotangent):
    """Hand-written numpy LSTM over x (batch, time, features), gates i, f, g, o: forward keeping
    the gates, then backpropagation through time from `cotangent(h_T) -> (loss, dloss/dh_T)`.
    Returns (loss, gradients of k, rk, bias)."""
    n, steps, _ = x.shape
    u = rk.shape[0]
    h = np.zeros((n, u), np.float32)
    c = np.zeros((n, u), np.float32)
    cache = []
    for t in range(steps):
        z = x[:, t] @ k + h @ rk + bias
        i, f, g, o = _sig(z[:, :u]), _sig(z[:, u:2 * u]), np.tanh(z[:, 2 * u:3 * u]), \
            _sig(z[:, 3 * u:])
        c_new = f * c + i * g
        tc = np.tanh(c_new)
        cache.append((h, c, i, f, g, o, tc))
        h, c = o * tc, c_new
    loss, dh = cotangent(h)
    dc = np.zeros_like(c)
    gk, grk, gb = np.zeros_like(k), np.zeros_like(rk), np.zeros_like(bias)
    for t in range(steps - 1, -1, -1):
        h_prev, c_prev, i, f, g, o, tc = cache[t]
        do = dh * tc
        dc = dc + dh * o * (1 - tc * tc)
        dz = np.concatenate([dc * g * i * (1 - i), dc * c_prev * f * (1 - f),
                             dc * i * (1 - g * g), do * o * (1 - o)], axis=1)
        gk += x[:, t].T @ dz
        grk += h_prev.T @ dz
        gb += dz.sum(0)
        dh = dz @ rk.T
        dc = dc * f
    return loss, gk, grk, gb


def _mse_cotangent(y):
    def cot(h):
        d = h - y
        return np.mean(d * d), 2.0 * d / d.size
    return cot


def np_lstm_step(k, rk, bias, x, y, lr=np.float32(0.01)):
    """Hand-written numpy LSTM train step: forward over time keeping the gates, loss
    mean((h_T - y)^2), backpropagation through time, in-place SGD. Returns the loss."""
    loss, gk, grk, gb = lstm_bptt(k, rk, bias, x, _mse_cotangent(y))
    for p, gr in ((k, gk), (rk, grk), (bias, gb)):
        p -= lr * gr
    return np.float32(loss)
