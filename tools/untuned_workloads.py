"""Workloads the numba backend was not tuned for, written once per framework style.

Each entry of `WORKLOADS` holds
- `inputs(rng)`: the float32 (unless noted) numpy arrays, sized like real models;
- `tf(tf, *arrays)`: a plain Python function over tensors, written against the TF API; `tf` is a
  parameter (graphflow for tools/bench_untuned.py's graphflow columns, TensorFlow for its TF
  column), so both run the same code, as in tools/tf_steps.py;
- `np(*arrays)`: the same computation in plain numpy (hand-written gradients);
- `torch(torch, *tensors)`: the same in PyTorch (autograd for gradients).
Every version returns a list of arrays/tensors, compared with each other within `rtol`.
A workload with `state=True` creates variables: `tf(tf, *arrays)` then returns
`(fn, [variables])`, and fn's results are read after one call on fresh variables.

This module imports neither graphflow nor any peer (peer children import it).
"""
import numpy as np

WORKLOADS = {}
F32 = np.float32


class Workload:
    def __init__(self, name, doc, inputs, tf, np_fn, torch, rtol=2e-4, state=False):
        self.name, self.doc, self.inputs = name, doc, inputs
        self.tf, self.np, self.torch, self.rtol, self.state = tf, np_fn, torch, rtol, state


def workload(name, inputs, np_fn, torch, rtol=2e-4, state=False):
    """Register the decorated TF-API builder as workload `name`."""
    def deco(tf_fn):
        WORKLOADS[name] = Workload(name, tf_fn.__doc__, inputs, tf_fn, np_fn, torch, rtol, state)
        return tf_fn
    return deco


def _normal(rng, *shape, scale=1.0, dtype=F32):
    return (rng.standard_normal(shape) * scale).astype(dtype)


def _grads(torch, loss, params):
    return list(torch.autograd.grad(loss, params))


def _req(ts):
    return [t.detach().clone().requires_grad_(True) for t in ts]


# ---------------------------------------------------------------- 1. SiLU MLP forward + backward
def _silu_in(rng):
    return [_normal(rng, 1024, 512), _normal(rng, 512, 1024, scale=1 / 23),
            _normal(rng, 1024), _normal(rng, 1024, 512, scale=1 / 32), _normal(rng, 1024, 512)]


def _silu_np(x, w1, b1, w2, t):
    h = x @ w1 + b1
    s = F32(1) / (F32(1) + np.exp(-h))
    a = h * s
    y = a @ w2
    dy = t
    dw2 = a.T @ dy
    da = dy @ w2.T
    dh = da * (s * (F32(1) + h * (F32(1) - s)))
    return [np.sum(y * t), x.T @ dh, dh.sum(0), dw2]


def _silu_torch(torch, x, w1, b1, w2, t):
    w1, b1, w2 = _req([w1, b1, w2])
    loss = (torch.nn.functional.silu(x @ w1 + b1) @ w2 * t).sum()
    return [loss] + _grads(torch, loss, [w1, b1, w2])


@workload("silu_mlp_fwd_bwd", _silu_in, _silu_np, _silu_torch, rtol=1e-3)
def silu_mlp(tf, x, w1, b1, w2, t):
    """sum(silu(x @ w1 + b1) @ w2 * t), x (1024, 512), hidden 1024: loss and grads of w1, b1, w2."""
    with tf.GradientTape() as tape:
        tape.watch([w1, b1, w2])
        loss = tf.reduce_sum(tf.matmul(tf.nn.silu(tf.matmul(x, w1) + b1), w2) * t)
    return [loss] + tape.gradient(loss, [w1, b1, w2])


# ---------------------------------------------------------------- 2. exact (erf) GELU fwd + bwd
def _rows(rng):
    return [_normal(rng, 4096, 1024), _normal(rng, 4096, 1024)]


def _gelu_erf_np(x, w):
    from math import erf, sqrt
    e = np.vectorize(erf, otypes=[F32])(x.astype(np.float64) / sqrt(2))
    y = F32(0.5) * x * (F32(1) + e)
    pdf = np.exp(F32(-0.5) * x * x) * F32(1 / np.sqrt(2 * np.pi))
    return [y, w * (F32(0.5) * (F32(1) + e) + x * pdf)]


def _gelu_erf_torch(torch, x, w):
    x, = _req([x])
    y = torch.nn.functional.gelu(x)
    return [y.detach()] + _grads(torch, (y * w).sum(), [x])


@workload("gelu_erf_fwd_bwd", _rows, _gelu_erf_np, _gelu_erf_torch, rtol=1e-3)
def gelu_erf(tf, x, w):
    """exact GELU (erf) on (4096, 1024) and the gradient of sum(gelu(x) * w)."""
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.nn.gelu(x, approximate=False)
        loss = tf.reduce_sum(y * w)
    return [y, tape.gradient(loss, x)]


# ---------------------------------------------------------------- 3. pre-LN transformer block
B, T, D, H, FF = 8, 128, 256, 4, 1024


def _block_in(rng):
    return [_normal(rng, B, T, D), _normal(rng, D, 3 * D, scale=1 / 16),
            _normal(rng, D, D, scale=1 / 16), _normal(rng, D, FF, scale=1 / 16),
            _normal(rng, FF, D, scale=1 / 32), 1 + _normal(rng, D, scale=0.1),
            _normal(rng, D, scale=0.1)]


def _ln_np(x, g, b):
    mu = x.mean(-1, keepdims=True)
    xc = x - mu
    r = F32(1) / np.sqrt((xc * xc).mean(-1, keepdims=True) + F32(1e-5))
    return xc * r * g + b, xc * r, r


def _ln_bwd_np(dy, xh, r, g):
    n = xh.shape[-1]
    dxh = dy * g
    dx = r / n * (n * dxh - dxh.sum(-1, keepdims=True) - xh * (dxh * xh).sum(-1, keepdims=True))
    return dx, (dy * xh).sum((0, 1)), dy.sum((0, 1))


def _split_heads_np(a):
    return a.reshape(B, T, H, D // H).transpose(0, 2, 1, 3)


def _wgrad(a, d):
    """sum over batch and time of a^T d: a weight's gradient."""
    return a.reshape(-1, a.shape[-1]).T @ d.reshape(-1, d.shape[-1])


def _block_np(x, wqkv, wo, w1, w2, g, b):
    mask = np.triu(np.full((T, T), -1e9, F32), 1)
    h, xh1, r1 = _ln_np(x, g, b)
    qkv = h @ wqkv
    q, k, v = (_split_heads_np(a) for a in np.split(qkv, 3, -1))
    s = q @ k.transpose(0, 1, 3, 2) * F32(1 / 8) + mask
    p = np.exp(s - s.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    o = (p @ v).transpose(0, 2, 1, 3).reshape(B, T, D)
    x1 = x + o @ wo
    h2, xh2, r2 = _ln_np(x1, g, b)
    u = h2 @ w1
    a = np.maximum(u, 0)
    y = x1 + a @ w2
    loss = np.sum(y * y) * F32(0.5)
    dy = y
    dw2 = _wgrad(a, dy)
    du = (dy @ w2.T) * (u > 0)
    dw1 = _wgrad(h2, du)
    dh2 = du @ w1.T
    dx1_ln, dg2, db2 = _ln_bwd_np(dh2, xh2, r2, g)
    dx1 = dy + dx1_ln
    dwo = _wgrad(o, dx1)
    do = _split_heads_np(dx1 @ wo.T)
    dp = do @ v.transpose(0, 1, 3, 2)
    dv = p.transpose(0, 1, 3, 2) @ do
    ds = p * (dp - (dp * p).sum(-1, keepdims=True)) * F32(1 / 8)
    dq = ds @ k
    dk = ds.transpose(0, 1, 3, 2) @ q
    dqkv = np.concatenate([a.transpose(0, 2, 1, 3).reshape(B, T, D) for a in (dq, dk, dv)], -1)
    dwqkv = _wgrad(h, dqkv)
    dh = dqkv @ wqkv.T
    _, dg1, db1 = _ln_bwd_np(dh, xh1, r1, g)
    return [loss, dwqkv, dwo, dw1, dw2, dg1 + dg2, db1 + db2]


def _block_torch(torch, x, wqkv, wo, w1, w2, g, b):
    F = torch.nn.functional
    ps = _req([wqkv, wo, w1, w2, g, b])
    wqkv, wo, w1, w2, g, b = ps
    mask = torch.triu(torch.full((T, T), -1e9), 1)

    def heads(a):
        return a.reshape(B, T, H, D // H).transpose(1, 2)
    h = F.layer_norm(x, (D,), g, b, 1e-5)
    q, k, v = (heads(a) for a in (h @ wqkv).split(D, -1))
    p = torch.softmax(q @ k.transpose(-1, -2) * (1 / 8) + mask, -1)
    x1 = x + (p @ v).transpose(1, 2).reshape(B, T, D) @ wo
    y = x1 + torch.relu(F.layer_norm(x1, (D,), g, b, 1e-5) @ w1) @ w2
    loss = (y * y).sum() * 0.5
    return [loss] + _grads(torch, loss, ps)


@workload("preln_block_fwd_bwd", _block_in, _block_np, _block_torch, rtol=2e-3)
def preln_block(tf, x, wqkv, wo, w1, w2, g, b):
    """a pre-LN transformer block (batch 8, 128 tokens, width 256, 4 causal heads, MLP 1024,
    shared LN params) and the gradients of 0.5*sum(y^2) w.r.t. all weights."""
    mask = tf.linalg.band_part(tf.ones((T, T)), -1, 0)
    mask = (1.0 - mask) * -1e9

    def ln(a):
        mu, var = tf.nn.moments(a, axes=[-1], keepdims=True)
        return (a - mu) * tf.math.rsqrt(var + 1e-5) * g + b

    def heads(a):
        return tf.transpose(tf.reshape(a, (B, T, H, D // H)), (0, 2, 1, 3))
    params = [wqkv, wo, w1, w2, g, b]
    with tf.GradientTape() as tape:
        tape.watch(params)
        q, k, v = (heads(a) for a in tf.split(tf.matmul(ln(x), wqkv), 3, axis=-1))
        p = tf.nn.softmax(tf.matmul(q, k, transpose_b=True) * (1 / 8) + mask, axis=-1)
        o = tf.reshape(tf.transpose(tf.matmul(p, v), (0, 2, 1, 3)), (B, T, D))
        x1 = x + tf.matmul(o, wo)
        y = x1 + tf.matmul(tf.nn.relu(tf.matmul(ln(x1), w1)), w2)
        loss = tf.reduce_sum(y * y) * 0.5
    return [loss] + tape.gradient(loss, params)


# ---------------------------------------------------------------- 4. embedding + mean-pool + dense
V, E, NB, L, C = 20000, 256, 1024, 32, 10


def _emb_in(rng):
    return [rng.integers(0, V, (NB, L)).astype(np.int32), _normal(rng, V, E, scale=0.1),
            _normal(rng, E, C, scale=0.1), rng.integers(0, C, NB).astype(np.int32)]


def _emb_np(ids, emb, w, y):
    pooled = emb[ids].mean(1)
    z = pooled @ w
    m = z.max(1, keepdims=True)
    e = np.exp(z - m)
    s = e.sum(1, keepdims=True)
    rows = np.arange(NB)
    loss = np.mean(np.log(s[:, 0]) + m[:, 0] - z[rows, y])
    dz = e / s
    dz[rows, y] -= 1
    dz /= NB
    dpooled = dz @ w.T
    demb = np.zeros_like(emb)
    np.add.at(demb, ids.ravel(), np.repeat(dpooled / F32(L), L, 0))
    return [loss, demb, pooled.T @ dz]


def _emb_torch(torch, ids, emb, w, y):
    emb, w = _req([emb, w])
    z = emb[ids.long()].mean(1) @ w
    loss = torch.nn.functional.cross_entropy(z, y.long())
    return [loss] + _grads(torch, loss, [emb, w])


@workload("embed_pool_dense_grad", _emb_in, _emb_np, _emb_torch, rtol=1e-3)
def embed_pool(tf, ids, emb, w, y):
    """gather 1024x32 ids from a (20000, 256) table, mean over tokens, dense 256->10, sparse
    softmax cross-entropy: loss, the (dense) table gradient and the dense kernel's gradient."""
    with tf.GradientTape() as tape:
        tape.watch([emb, w])
        z = tf.matmul(tf.reduce_mean(tf.gather(emb, ids), 1), w)
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(y, z))
    de, dw = tape.gradient(loss, [emb, w])
    return [loss, tf.convert_to_tensor(de), dw]


# ---------------------------------------------------------------- 5. segment sum (bag of rows)
def _seg_in(rng):
    return [_normal(rng, 65536, 256), np.sort(rng.integers(0, 4096, 65536)).astype(np.int32),
            _normal(rng, 4096, 256)]


def _seg_np(x, seg, w):
    out = np.zeros((4096, 256), F32)
    np.add.at(out, seg, x)
    return [out, w[seg]]


def _seg_torch(torch, x, seg, w):
    x, = _req([x])
    out = torch.zeros(4096, 256).index_add(0, seg.long(), x)
    return [out.detach()] + _grads(torch, (out * w).sum(), [x])


@workload("segment_sum_grad", _seg_in, _seg_np, _seg_torch, rtol=1e-3)
def segment_sum(tf, x, seg, w):
    """unsorted_segment_sum of 65536 rows of 256 into 4096 segments and the gradient of
    sum(out * w) w.r.t. the rows (a gather)."""
    with tf.GradientTape() as tape:
        tape.watch(x)
        out = tf.math.unsorted_segment_sum(x, seg, 4096)
        loss = tf.reduce_sum(out * w)
    return [out, tape.gradient(loss, x)]


# ---------------------------------------------------------------- 6. cumprod and its gradient
def _cp_in(rng):
    return [rng.uniform(0.9, 1.1, (4096, 256)).astype(F32), _normal(rng, 4096, 256)]


def _cp_np(x, w):
    c = np.cumprod(x, 1)
    g = np.flip(np.cumsum(np.flip(c * w, 1), 1), 1) / x
    return [c, g]


def _cp_torch(torch, x, w):
    x, = _req([x])
    c = torch.cumprod(x, 1)
    return [c.detach()] + _grads(torch, (c * w).sum(), [x])


@workload("cumprod_grad", _cp_in, _cp_np, _cp_torch, rtol=1e-3)
def cumprod(tf, x, w):
    """cumprod(x, axis=1) on (4096, 256) and the gradient of sum(cumprod * w)."""
    with tf.GradientTape() as tape:
        tape.watch(x)
        c = tf.math.cumprod(x, axis=1)
        loss = tf.reduce_sum(c * w)
    return [c, tape.gradient(loss, x)]


# ---------------------------------------------------------------- 7. top_k / argmax / one_hot
def _topk_in(rng):
    return [_normal(rng, 4096, 1024)]


def _topk_np(x):
    idx = np.argsort(-x, 1, kind="stable")[:, :8]
    am = x.argmax(1)
    hit = (np.eye(1024, dtype=F32)[am] * x).sum(1)
    return [np.take_along_axis(x, idx, 1), idx.astype(np.int32), hit]


def _topk_torch(torch, x):
    v, i = torch.topk(x, 8, 1)
    am = x.argmax(1)
    hit = (torch.nn.functional.one_hot(am, 1024).float() * x).sum(1)
    return [v, i.int(), hit]


@workload("topk_onehot", _topk_in, _topk_np, _topk_torch)
def topk_onehot(tf, x):
    """top_k(x, 8) of (4096, 1024) rows, and sum(one_hot(argmax(x), 1024) * x, 1)."""
    v, i = tf.math.top_k(x, 8)
    hit = tf.reduce_sum(tf.one_hot(tf.argmax(x, 1), 1024) * x, 1)
    return [v, i, hit]


# ---------------------------------------------------------------- 8. clip_by_global_norm, 20 grads
_CLIP_SHAPES = [(784, 512), (512,), (512, 512), (512,), (512, 256), (256,), (256, 10), (10,),
                (3, 3, 32, 64), (64,), (3, 3, 64, 64), (64,), (1024, 256), (256,), (256, 256),
                (256,), (128, 1024), (1024,), (1000, 64), (64,)]


def _clip_in(rng):
    return [_normal(rng, *s) for s in _CLIP_SHAPES]


def _clip_np(*gs):
    n = np.sqrt(sum(np.sum(g.astype(np.float64) ** 2) for g in gs))
    f = F32(1.0 / max(n, 1.0))
    return [g * f for g in gs] + [F32(n)]


def _clip_torch(torch, *gs):
    n = torch.sqrt(sum((g * g).sum() for g in gs))
    f = 1.0 / torch.clamp(n, min=1.0)
    return [g * f for g in gs] + [n]


@workload("clip_global_norm_20", _clip_in, _clip_np, _clip_torch, rtol=1e-4)
def clip_global_norm(tf, *gs):
    """tf.clip_by_global_norm over 20 gradients of mixed shapes (~1.9M values), clip norm 1."""
    clipped, n = tf.clip_by_global_norm(list(gs), 1.0)
    return list(clipped) + [n]


# ---------------------------------------------------------------- 9. Adam update over 50 variables
_ADAM_SHAPES = [s for i in range(10) for s in
                [(256 + 32 * i, 256), (256,), (64, 64 + 16 * i), (64 + 16 * i,), (3, 3, 16, 32)]]


def _adam_in(rng):
    return [_normal(rng, *s) for s in _ADAM_SHAPES] + [_normal(rng, *s) for s in _ADAM_SHAPES]


def _adam_np(*a):
    n = len(_ADAM_SHAPES)
    ws, gs = a[:n], a[n:]
    lr, b1, b2, eps = F32(1e-3), F32(0.9), F32(0.999), F32(1e-7)
    out = []
    for w, g in zip(ws, gs):
        m = (1 - b1) * g
        v = (1 - b2) * g * g
        out.append(w - lr * (m / (1 - b1)) / (np.sqrt(v / (1 - b2)) + eps))
    return out


def _adam_torch(torch, *a):
    n = len(_ADAM_SHAPES)
    ws = [w.clone() for w in a[:n]]
    ms = [torch.zeros_like(w) for w in ws]
    vs = [torch.zeros_like(w) for w in ws]
    b1, b2 = 0.9, 0.999
    with torch.no_grad():
        torch._foreach_mul_(ms, b1)
        torch._foreach_add_(ms, list(a[n:]), alpha=1 - b1)
        torch._foreach_mul_(vs, b2)
        torch._foreach_addcmul_(vs, list(a[n:]), list(a[n:]), value=1 - b2)
        den = torch._foreach_sqrt(torch._foreach_div(vs, 1 - b2))
        torch._foreach_add_(den, 1e-7)
        torch._foreach_addcdiv_(ws, ms, den, value=-1e-3 / (1 - b1))
    return ws


@workload("adam_50vars", _adam_in, _adam_np, _adam_torch, rtol=1e-4, state=True)
def adam(tf, *a):
    """one hand-written Adam step (bias-corrected) over 50 variables of mixed shapes (~3M
    values), gradients given; returns the updated variables."""
    n = len(_ADAM_SHAPES)
    ws = [tf.Variable(w) for w in a[:n]]
    ms = [tf.Variable(tf.zeros_like(w)) for w in a[:n]]
    vs = [tf.Variable(tf.zeros_like(w)) for w in a[:n]]
    step = tf.Variable(0.0)

    def fn(*gs):
        step.assign_add(1.0)
        c1 = 1.0 - tf.pow(0.9, step)
        c2 = 1.0 - tf.pow(0.999, step)
        for w, m, v, g in zip(ws, ms, vs, gs):
            m.assign(0.9 * m + 0.1 * g)
            v.assign(0.999 * v + 0.001 * g * g)
            w.assign_sub(1e-3 * (m / c1) / (tf.sqrt(v / c2) + 1e-7))
        return [tf.identity(w) for w in ws]
    return fn, list(a[n:])


# ---------------------------------------------------------------- 10. NHWC batch norm, training
def _bn4_in(rng):
    return [_normal(rng, 64, 32, 32, 64), _normal(rng, 64, 32, 32, 64),
            1 + _normal(rng, 64, scale=0.1), _normal(rng, 64, scale=0.1)]


def _bn4_np(x, w, g, b):
    ax = (0, 1, 2)
    n = x.size // x.shape[-1]
    xc = x - x.mean(ax)
    r = F32(1) / np.sqrt((xc * xc).mean(ax) + F32(1e-3))
    xh = xc * r
    dxh = w * g
    dx = r / n * (n * dxh - dxh.sum(ax) - xh * (dxh * xh).sum(ax))
    return [xh * g + b, dx, (w * xh).sum(ax), w.sum(ax)]


def _bn4_torch(torch, x, w, g, b):
    x, g, b = _req([x, g, b])
    y = torch.nn.functional.batch_norm(x.permute(0, 3, 1, 2), None, None, g, b, True, 0.0,
                                       1e-3).permute(0, 2, 3, 1)
    return [y.detach()] + _grads(torch, (y * w).sum(), [x, g, b])


@workload("batchnorm_nhwc_fwd_bwd", _bn4_in, _bn4_np, _bn4_torch, rtol=3e-3)
def batchnorm_nhwc(tf, x, w, g, b):
    """training batch norm of a (64, 32, 32, 64) NHWC activation (moments over axes 0, 1, 2):
    output and the gradients of sum(y * w) w.r.t. x, gamma, beta."""
    with tf.GradientTape() as tape:
        tape.watch([x, g, b])
        mu, var = tf.nn.moments(x, axes=[0, 1, 2])
        y = tf.nn.batch_normalization(x, mu, var, b, g, 1e-3)
        loss = tf.reduce_sum(y * w)
    return [y] + tape.gradient(loss, [x, g, b])


# ---------------------------------------------------------------- 11. contrastive cosine similarity
def _cos_in(rng):
    return [_normal(rng, 2048, 256), _normal(rng, 2048, 256)]


def _cos_np(a, b):
    na = np.sqrt((a * a).sum(1, keepdims=True))
    nb = np.sqrt((b * b).sum(1, keepdims=True))
    an, bn = a / na, b / nb
    z = an @ bn.T * F32(10)
    m = z.max(1, keepdims=True)
    e = np.exp(z - m)
    s = e.sum(1, keepdims=True)
    n = len(a)
    loss = np.mean(np.log(s[:, 0]) + m[:, 0] - np.diag(z))
    dz = e / s
    dz[np.arange(n), np.arange(n)] -= 1
    dz *= F32(10 / n)
    dan = dz @ bn
    da = (dan - an * (dan * an).sum(1, keepdims=True)) / na
    return [loss, da]


def _cos_torch(torch, a, b):
    a, = _req([a])
    F = torch.nn.functional
    z = F.normalize(a, dim=1) @ F.normalize(b, dim=1).T * 10
    loss = F.cross_entropy(z, torch.arange(len(z)))
    return [loss] + _grads(torch, loss, [a])


@workload("cosine_contrastive_fwd_bwd", _cos_in, _cos_np, _cos_torch, rtol=1e-3)
def cosine_contrastive(tf, a, b):
    """CLIP-style loss: l2-normalize two (2048, 256) batches, 10 * cosine-similarity matrix,
    softmax cross-entropy against the diagonal; loss and the gradient w.r.t. a."""
    with tf.GradientTape() as tape:
        tape.watch(a)
        z = tf.matmul(tf.math.l2_normalize(a, 1), tf.math.l2_normalize(b, 1),
                      transpose_b=True) * 10.0
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
            tf.range(tf.shape(z)[0]), z))
    return [loss, tape.gradient(loss, a)]


# ---------------------------------------------------------------- 12. huber + log-cosh losses
def _hub_np(p, t):
    d = p - t
    ad = np.abs(d)
    hub = np.where(ad <= 1, F32(0.5) * d * d, ad - F32(0.5))
    lc = d + np.log1p(np.exp(F32(-2) * d)) - F32(np.log(2))
    loss = (hub.sum() + lc.sum()) / F32(d.size)
    g = (np.clip(d, -1, 1) + np.tanh(d)) / F32(d.size)
    return [loss, g]


def _hub_torch(torch, p, t):
    p, = _req([p])
    d = p - t
    hub = torch.nn.functional.huber_loss(p, t, reduction="sum", delta=1.0)
    lc = (d + torch.nn.functional.softplus(-2 * d) - np.log(2)).sum()
    loss = (hub + lc) / d.numel()
    return [loss] + _grads(torch, loss, [p])


@workload("huber_logcosh_fwd_bwd", _rows, _hub_np, _hub_torch, rtol=1e-3)
def huber_logcosh(tf, p, t):
    """mean Huber (delta 1) + mean log-cosh loss on (4096, 1024) predictions and the gradient."""
    with tf.GradientTape() as tape:
        tape.watch(p)
        d = p - t
        ad = tf.abs(d)
        hub = tf.where(ad <= 1.0, 0.5 * d * d, ad - 0.5)
        lc = d + tf.math.softplus(-2.0 * d) - np.log(2.0).astype(np.float32)
        n = tf.cast(tf.size(d), tf.float32)
        loss = (tf.reduce_sum(hub) + tf.reduce_sum(lc)) / n
    return [loss, tape.gradient(loss, p)]


# ---------------------------------------------------------------- 13. int32 arithmetic
def _int_in(rng):
    return [rng.integers(-1000, 1000, (4096, 1024)).astype(np.int32),
            rng.integers(1, 50, (4096, 1024)).astype(np.int32)]


def _int_np(a, b):
    c = (a * 3 + b) // b % 13 + np.maximum(a, -b) * np.abs(a - b)
    return [c, c.sum(1, dtype=np.int32), c.max(0)]


def _int_torch(torch, a, b):
    c = torch.remainder(torch.div(a * 3 + b, b, rounding_mode="floor"), 13) \
        + torch.maximum(a, -b) * torch.abs(a - b)
    return [c, c.sum(1, dtype=torch.int32), c.max(0).values]


@workload("int32_arith", _int_in, _int_np, _int_torch, rtol=0)
def int32_arith(tf, a, b):
    """int32 (4096, 1024): (a*3 + b) // b % 13 + maximum(a, -b) * |a - b|, its row sums and
    column maxima."""
    c = tf.math.floormod(tf.math.floordiv(a * 3 + b, b), 13) + tf.maximum(a, -b) * tf.abs(a - b)
    return [c, tf.reduce_sum(c, 1), tf.reduce_max(c, 0)]


# ---------------------------------------------------------------- 14. float64 chain + gradient
def _f64_in(rng):
    return [_normal(rng, 2048, 1024, dtype=np.float64)]


def _f64_np(x):
    sp = np.log1p(np.exp(-np.abs(x))) + np.maximum(x, 0)
    q = np.sqrt(x * x + 1)
    y = sp * q * np.sin(x)
    sig = 1 / (1 + np.exp(-x))
    g = (sig * q + sp * x / q) * np.sin(x) + sp * q * np.cos(x)
    return [y.sum(0), g]


def _f64_torch(torch, x):
    x, = _req([x])
    y = torch.nn.functional.softplus(x) * torch.sqrt(x * x + 1) * torch.sin(x)
    return [y.sum(0).detach()] + _grads(torch, y.sum(), [x])


@workload("f64_chain_grad", _f64_in, _f64_np, _f64_torch, rtol=1e-9)
def f64_chain(tf, x):
    """float64 (2048, 1024): softplus(x) * sqrt(x^2 + 1) * sin(x), its column sums and the
    gradient of its total."""
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.math.softplus(x) * tf.sqrt(x * x + 1.0) * tf.sin(x)
        loss = tf.reduce_sum(y)
    return [tf.reduce_sum(y, 0), tape.gradient(loss, x)]


# ---------------------------------------------------------------- 15. rank-3 reductions
def _r3_in(rng):
    return [_normal(rng, 64, 256, 256)]


def _r3_np(x):
    return [x.sum((0, 2)), x.max(0), (x * x).mean(2), np.abs(x).min(1)]


def _r3_torch(torch, x):
    return [x.sum((0, 2)), x.amax(0), (x * x).mean(2), x.abs().amin(1)]


@workload("rank3_reductions", _r3_in, _r3_np, _r3_torch, rtol=1e-4)
def rank3_reductions(tf, x):
    """on (64, 256, 256): sum over axes (0, 2), max over 0, mean of squares over 2, min of |x|
    over 1."""
    return [tf.reduce_sum(x, [0, 2]), tf.reduce_max(x, 0), tf.reduce_mean(x * x, 2),
            tf.reduce_min(tf.abs(x), 1)]


# ---------------------------------------------------------------- 16. shape-op heavy graph
def _shape_in(rng):
    return [_normal(rng, 1024, 512), _normal(rng, 1024, 1024)]


def _shape_np(x, w):
    y = np.concatenate([x, -x], 1)
    parts = np.split(y, 4, 1)
    z = np.concatenate([parts[3], parts[0] * 2, parts[2], parts[1]], 1)
    zt = np.pad(z.T, ((1, 1), (0, 0)))[1:-1].T
    out = np.tile(zt[:, :512], (1, 2)) + zt * w
    # gradient of sum(out) w.r.t. x, by hand: d/dx of sum(tile(a) + z*w)
    gz = w.copy()
    gz[:, :512] += 2
    gparts = np.split(gz, 4, 1)
    gy = np.concatenate([gparts[1] * 2, gparts[3], gparts[2], gparts[0]], 1)
    gx = gy[:, :512] - gy[:, 512:]
    return [out, gx]


def _shape_torch(torch, x, w):
    x, = _req([x])
    y = torch.cat([x, -x], 1)
    p = torch.chunk(y, 4, 1)
    z = torch.cat([p[3], p[0] * 2, p[2], p[1]], 1)
    zt = torch.nn.functional.pad(z.T, (0, 0, 1, 1))[1:-1].T
    out = zt[:, :512].repeat(1, 2) + zt * w
    return [out.detach()] + _grads(torch, out.sum(), [x])


@workload("shape_ops_grad", _shape_in, _shape_np, _shape_torch, rtol=1e-5)
def shape_ops(tf, x, w):
    """concat / split / transpose / pad / slice / tile on (1024, 512) -> (1024, 1024), and the
    gradient of the output's sum."""
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.concat([x, -x], 1)
        p = tf.split(y, 4, 1)
        z = tf.concat([p[3], p[0] * 2.0, p[2], p[1]], 1)
        zt = tf.transpose(tf.pad(tf.transpose(z), [[1, 1], [0, 0]])[1:-1])
        out = tf.tile(zt[:, :512], [1, 2]) + zt * w
        loss = tf.reduce_sum(out)
    return [out, tape.gradient(loss, x)]


# ---------------------------------------------------------------- 17. small shapes, many nodes
def _small_in(rng):
    return [_normal(rng, 32, 32), _normal(rng, 32, 32, scale=0.15)]


def _small_np(x, w):
    h = x
    for i in range(40):
        h = np.tanh(h @ w) * F32(0.5) + h * F32(0.5) + F32(0.01 * i)
    return [h, h.sum(0)]


def _small_torch(torch, x, w):
    h = x
    for i in range(40):
        h = torch.tanh(h @ w) * 0.5 + h * 0.5 + 0.01 * i
    return [h, h.sum(0)]


@workload("small_32x32_200ops", _small_in, _small_np, _small_torch, rtol=1e-4)
def small_graph(tf, x, w):
    """40 residual steps h = tanh(h @ w) * 0.5 + h * 0.5 + c on 32x32 (200 ops): per-call and
    per-node overhead dominates."""
    h = x
    for i in range(40):
        h = tf.tanh(tf.matmul(h, w)) * 0.5 + h * 0.5 + 0.01 * i
    return [h, tf.reduce_sum(h, 0)]


# ================================================================ round 2 (session 13)
def _sig(z):
    return F32(1) / (F32(1) + np.exp(-z))


# ---------------------------------------------------------------- 18. LSTM cell unrolled 20 steps
LT, LB, LI, LH = 20, 64, 64, 128


def _lstm_in(rng):
    return [_normal(rng, LT, LB, LI), _normal(rng, LI, 4 * LH, scale=1 / 8),
            _normal(rng, LH, 4 * LH, scale=1 / 11), _normal(rng, 4 * LH, scale=0.1),
            _normal(rng, LB, LH)]


def _lstm_np(x, wx, wh, b, t):
    from np_workloads import lstm_bptt      # (tools/: bench_untuned puts it on the path)
    return list(lstm_bptt(wx, wh, b, x.transpose(1, 0, 2), lambda h: (np.sum(h * t), t)))


def _lstm_torch(torch, x, wx, wh, b, t):
    wx, wh, b = _req([wx, wh, b])
    h = torch.zeros(LB, LH)
    c = torch.zeros(LB, LH)
    for s in range(LT):
        i, f, g, o = (x[s] @ wx + h @ wh + b).chunk(4, 1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
    loss = (h * t).sum()
    return [loss] + _grads(torch, loss, [wx, wh, b])


@workload("lstm_unrolled_20_fwd_bwd", _lstm_in, _lstm_np, _lstm_torch, rtol=1e-3)
def lstm_unrolled(tf, x, wx, wh, b, t):
    """an LSTM cell (batch 64, input 64, hidden 128) unrolled 20 steps in Python, loss
    sum(h_T * t): loss and the gradients of the input, recurrent and bias weights."""
    with tf.GradientTape() as tape:
        tape.watch([wx, wh, b])
        h = tf.zeros((LB, LH))
        c = tf.zeros((LB, LH))
        for s in range(LT):
            i, f, g, o = tf.split(tf.matmul(x[s], wx) + tf.matmul(h, wh) + b, 4, axis=1)
            c = tf.sigmoid(f) * c + tf.sigmoid(i) * tf.tanh(g)
            h = tf.sigmoid(o) * tf.tanh(c)
        loss = tf.reduce_sum(h * t)
    return [loss] + tape.gradient(loss, [wx, wh, b])


# ---------------------------------------------------------------- 19. 8-head attention
MB, MT, MD, MH = 8, 128, 256, 8


def _mha_in(rng):
    return [_normal(rng, MB, MT, MD)] + [_normal(rng, MD, MD, scale=1 / 16) for _ in range(4)] \
        + [_normal(rng, MB, MT, MD)]


def _heads8(a):
    return a.reshape(MB, MT, MH, MD // MH).transpose(0, 2, 1, 3)


def _merge8(a):
    return a.transpose(0, 2, 1, 3).reshape(MB, MT, MD)


def _mha_np(x, wq, wk, wv, wo, t):
    sc = F32(1 / np.sqrt(MD // MH))
    q, k, v = _heads8(x @ wq), _heads8(x @ wk), _heads8(x @ wv)
    s = q @ k.transpose(0, 1, 3, 2) * sc
    p = np.exp(s - s.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    o = _merge8(p @ v)
    loss = np.sum((o @ wo) * t)
    do = _heads8(t @ wo.T)
    dp = do @ v.transpose(0, 1, 3, 2)
    dv = p.transpose(0, 1, 3, 2) @ do
    ds = p * (dp - (dp * p).sum(-1, keepdims=True)) * sc
    dq, dk = ds @ k, ds.transpose(0, 1, 3, 2) @ q
    return [loss, _wgrad(x, _merge8(dq)), _wgrad(x, _merge8(dk)), _wgrad(x, _merge8(dv)),
            _wgrad(o, t)]


def _mha_torch(torch, x, wq, wk, wv, wo, t):
    ws = _req([wq, wk, wv, wo])
    wq, wk, wv, wo = ws

    def heads(a):
        return a.reshape(MB, MT, MH, MD // MH).transpose(1, 2)
    p = torch.softmax(heads(x @ wq) @ heads(x @ wk).transpose(2, 3) / np.sqrt(MD // MH), -1)
    o = (p @ heads(x @ wv)).transpose(1, 2).reshape(MB, MT, MD)
    loss = (o @ wo * t).sum()
    return [loss] + _grads(torch, loss, ws)


@workload("mha_8heads_fwd_bwd", _mha_in, _mha_np, _mha_torch, rtol=1e-3)
def mha_8heads(tf, x, wq, wk, wv, wo, t):
    """multi-head self-attention, 8 heads of 32 on (8, 128, 256) (reshape/transpose heavy, no
    mask), loss sum(out * t): loss and the gradients of the four projections."""
    def heads(a):
        return tf.transpose(tf.reshape(a, (MB, MT, MH, MD // MH)), (0, 2, 1, 3))
    ws = [wq, wk, wv, wo]
    with tf.GradientTape() as tape:
        tape.watch(ws)
        s = tf.matmul(heads(tf.matmul(x, wq)), heads(tf.matmul(x, wk)), transpose_b=True)
        p = tf.nn.softmax(s * float(1 / np.sqrt(MD // MH)), axis=-1)
        o = tf.reshape(tf.transpose(tf.matmul(p, heads(tf.matmul(x, wv))), (0, 2, 1, 3)),
                       (MB, MT, MD))
        loss = tf.reduce_sum(tf.matmul(o, wo) * t)
    return [loss] + tape.gradient(loss, ws)


# ---------------------------------------------------------------- 20. mixture of experts
XN, XD, XF, XE, XC = 2048, 128, 256, 8, 256


def _moe_in(rng):
    return [_normal(rng, XN, XD), _normal(rng, XD, XE, scale=0.1),
            _normal(rng, XE, XD, XF, scale=1 / 11), _normal(rng, XE, XF, XD, scale=1 / 16),
            _normal(rng, XN, XD)]


def _moe_np(x, wg, w1, w2, t):
    z = x @ wg
    sc = np.exp(z - z.max(1, keepdims=True))
    sc /= sc.sum(1, keepdims=True)
    idx = np.argsort(-sc.T, 1, kind="stable")[:, :XC]                   # (E, C)
    gate = np.take_along_axis(sc.T, idx, 1)[..., None]
    xe = x[idx]
    h = np.maximum(xe @ w1, 0)
    ye = (h @ w2) * gate
    y = np.zeros_like(x)
    np.add.at(y, idx.ravel(), ye.reshape(-1, XD))
    dpre = t[idx] * gate
    dh = (dpre @ w2.transpose(0, 2, 1)) * (h > 0)
    dx = np.zeros_like(x)
    np.add.at(dx, idx.ravel(), (dh @ w1.transpose(0, 2, 1)).reshape(-1, XD))
    return [np.sum(y * t), dx, xe.transpose(0, 2, 1) @ dh, h.transpose(0, 2, 1) @ dpre]


def _moe_torch(torch, x, wg, w1, w2, t):
    x, w1, w2 = _req([x, w1, w2])
    sc = torch.softmax(x.detach() @ wg, 1)
    gate, idx = torch.topk(sc.T, XC, 1)
    h = torch.relu(torch.bmm(x[idx], w1))
    ye = torch.bmm(h, w2) * gate[..., None]
    y = torch.zeros(XN, XD).index_add(0, idx.reshape(-1), ye.reshape(-1, XD))
    loss = (y * t).sum()
    return [loss] + _grads(torch, loss, [x, w1, w2])


@workload("moe_expert_choice_fwd_bwd", _moe_in, _moe_np, _moe_torch, rtol=1e-3)
def moe_expert_choice(tf, x, wg, w1, w2, t):
    """expert-choice mixture of experts: 2048 tokens of 128, 8 experts each taking its top 256
    tokens by softmax gate (top_k), gather, per-expert ReLU MLP 128-256-128 (batched matmul),
    scaled by the gate and summed back with unsorted_segment_sum; loss sum(y * t): loss and the
    gradients of x (through the gather; routing held fixed) and both expert weights."""
    with tf.GradientTape() as tape:
        tape.watch([x, w1, w2])
        sc = tf.nn.softmax(tf.matmul(tf.stop_gradient(x), wg), axis=1)
        gate, idx = tf.math.top_k(tf.transpose(sc), XC)
        h = tf.nn.relu(tf.matmul(tf.gather(x, idx), w1))
        ye = tf.matmul(h, w2) * gate[..., None]
        y = tf.math.unsorted_segment_sum(tf.reshape(ye, (-1, XD)), tf.reshape(idx, (-1,)), XN)
        loss = tf.reduce_sum(y * t)
    return [loss] + [tf.convert_to_tensor(g) for g in tape.gradient(loss, [x, w1, w2])]


# ---------------------------------------------------------------- 21. 1-D conv stack
CB, CL, CK = 16, 512, 5
_C1D = [(32, 64), (64, 64), (64, 32)]


def _c1d_in(rng):
    return [_normal(rng, CB, CL, 32)] + [_normal(rng, CK, ci, co, scale=1 / np.sqrt(CK * ci))
                                         for ci, co in _C1D] + [_normal(rng, CB, CL, 32)]


def _conv1d_np(x, w):
    xp = np.pad(x, ((0, 0), (CK // 2, CK // 2), (0, 0)))
    return sum(xp[:, k:k + CL] @ w[k] for k in range(CK)), xp


def _c1d_np(x, w1, w2, w3, t):
    a1, p0 = _conv1d_np(x, w1)
    r1 = np.maximum(a1, 0)
    a2, p1 = _conv1d_np(r1, w2)
    r2 = np.maximum(a2, 0)
    y, p2 = _conv1d_np(r2, w3)
    grads = []
    dy = t
    for xp, w, below in ((p2, w3, a2), (p1, w2, a1), (p0, w1, None)):
        grads.append(np.stack([_wgrad(xp[:, k:k + CL], dy) for k in range(CK)]))
        if below is not None:
            dxp = np.zeros_like(xp)
            for k in range(CK):
                dxp[:, k:k + CL] += dy @ w[k].T
            dy = dxp[:, CK // 2:CK // 2 + CL] * (below > 0)
    return [np.sum(y * t)] + grads[::-1]


def _c1d_torch(torch, x, w1, w2, t3, t):
    ws = _req([w1, w2, t3])
    F = torch.nn.functional
    h = x.transpose(1, 2)
    for j, w in enumerate(ws):
        h = F.conv1d(h, w.permute(2, 1, 0), padding=CK // 2)
        if j < 2:
            h = torch.relu(h)
    loss = (h.transpose(1, 2) * t).sum()
    return [loss] + _grads(torch, loss, ws)


@workload("conv1d_stack_fwd_bwd", _c1d_in, _c1d_np, _c1d_torch, rtol=1e-3)
def conv1d_stack(tf, x, w1, w2, w3, t):
    """three 1-D convolutions (kernel 5, SAME, 32 -> 64 -> 64 -> 32 channels, ReLU between) over
    (16, 512, 32); loss sum(y * t): loss and the three filters' gradients."""
    ws = [w1, w2, w3]
    with tf.GradientTape() as tape:
        tape.watch(ws)
        h = x
        for j, w in enumerate(ws):
            h = tf.nn.conv1d(h, w, stride=1, padding="SAME")
            if j < 2:
                h = tf.nn.relu(h)
        loss = tf.reduce_sum(h * t)
    return [loss] + tape.gradient(loss, ws)


# ---------------------------------------------------------------- 22. RMSNorm + SwiGLU MLP
def _swiglu_in(rng):
    return [_normal(rng, 2048, 512), 1 + _normal(rng, 512, scale=0.1),
            _normal(rng, 512, 1024, scale=1 / 23), _normal(rng, 512, 1024, scale=1 / 23),
            _normal(rng, 1024, 512, scale=1 / 32), _normal(rng, 2048, 512)]


def _swiglu_np(x, g, w1, w3, w2, t):
    r = F32(1) / np.sqrt((x * x).mean(-1, keepdims=True) + F32(1e-6))
    h = x * r * g
    a, b = h @ w1, h @ w3
    s = _sig(a)
    u = a * s * b
    du = t @ w2.T
    da = du * b * (s * (F32(1) + a * (F32(1) - s)))
    db = du * a * s
    dh = da @ w1.T + db @ w3.T
    dxh = dh * g
    dx = r * dxh - x * r ** 3 * (dxh * x).mean(-1, keepdims=True)
    return [np.sum((u @ w2) * t), dx, (dh * x * r).sum(0), h.T @ da, h.T @ db, u.T @ t]


def _swiglu_torch(torch, x, g, w1, w3, w2, t):
    ps = _req([x, g, w1, w3, w2])
    x, g, w1, w3, w2 = ps
    h = x * torch.rsqrt((x * x).mean(-1, keepdim=True) + 1e-6) * g
    loss = ((torch.nn.functional.silu(h @ w1) * (h @ w3)) @ w2 * t).sum()
    return [loss] + _grads(torch, loss, ps)


@workload("rmsnorm_swiglu_fwd_bwd", _swiglu_in, _swiglu_np, _swiglu_torch, rtol=1e-3)
def rmsnorm_swiglu(tf, x, g, w1, w3, w2, t):
    """RMSNorm (scale g) then a SwiGLU MLP 512 -> 1024 -> 512 on (2048, 512); loss sum(y * t):
    loss and the gradients of x, g and the three weights."""
    ps = [x, g, w1, w3, w2]
    with tf.GradientTape() as tape:
        tape.watch(ps)
        h = x * tf.math.rsqrt(tf.reduce_mean(x * x, -1, keepdims=True) + 1e-6) * g
        y = tf.matmul(tf.nn.silu(tf.matmul(h, w1)) * tf.matmul(h, w3), w2)
        loss = tf.reduce_sum(y * t)
    return [loss] + tape.gradient(loss, ps)


# ---------------------------------------------------------------- 23. HVP of an MLP loss (float64)
F64 = np.float64


def _hvp_in(rng):
    return [_normal(rng, 256, 128, dtype=F64), _normal(rng, 128, 256, scale=1 / 11, dtype=F64),
            _normal(rng, 256, 10, scale=1 / 16, dtype=F64), _normal(rng, 256, 10, dtype=F64),
            _normal(rng, 128, 256, dtype=F64), _normal(rng, 256, 10, dtype=F64)]


def _hvp_grad_np(x, w1, w2, t):
    h = np.tanh(x @ w1)
    dy = (h @ w2 - t) / len(x)
    return x.T @ ((dy @ w2.T) * (1 - h * h)), h.T @ dy


def _hvp_np(x, w1, w2, t, v1, v2):
    """central differences of the hand-written gradient along v (float64: error ~1e-9)"""
    e = 1e-4
    gp = _hvp_grad_np(x, w1 + e * v1, w2 + e * v2, t)
    gm = _hvp_grad_np(x, w1 - e * v1, w2 - e * v2, t)
    return [(a - b) / (2 * e) for a, b in zip(gp, gm)]


def _hvp_torch(torch, x, w1, w2, t, v1, v2):
    w1, w2 = _req([w1, w2])
    loss = 0.5 * ((torch.tanh(x @ w1) @ w2 - t) ** 2).sum() / len(x)
    g1, g2 = torch.autograd.grad(loss, [w1, w2], create_graph=True)
    return _grads(torch, (g1 * v1).sum() + (g2 * v2).sum(), [w1, w2])


@workload("hvp_mlp_f64", _hvp_in, _hvp_np, _hvp_torch, rtol=1e-5)
def hvp_mlp(tf, x, w1, w2, t, v1, v2):
    """float64 Hessian-vector product (reverse over reverse, nested tapes) of a tanh MLP's
    squared-error loss (batch 256, 128-256-10) w.r.t. both weights, along (v1, v2)."""
    with tf.GradientTape() as outer:
        outer.watch([w1, w2])
        with tf.GradientTape() as inner:
            inner.watch([w1, w2])
            y = tf.matmul(tf.tanh(tf.matmul(x, w1)), w2)
            loss = 0.5 * tf.reduce_sum((y - t) ** 2) / 256.0
        g1, g2 = inner.gradient(loss, [w1, w2])
        gv = tf.reduce_sum(g1 * v1) + tf.reduce_sum(g2 * v2)
    return outer.gradient(gv, [w1, w2])


# ---------------------------------------------------------------- 24. Jacobian by forward mode
JN, JM = 256, 512


def _jac_in(rng):
    return [_normal(rng, JN), _normal(rng, JN, JM, scale=1 / 16), _normal(rng, JM, JN, scale=1 / 23)]


def _jac_np(x, w1, w2):
    h = np.tanh(x @ w1)
    y = np.tanh(h @ w2)
    return [(w1 * (F32(1) - h * h)) @ w2 * (F32(1) - y * y)]          # J^T[i, k] = dy_k/dx_i


def _jac_torch(torch, x, w1, w2):
    def f(xs):
        return torch.tanh(torch.tanh(xs @ w1) @ w2)
    return [torch.func.jvp(f, (x.repeat(JN, 1),), (torch.eye(JN),))[1]]


@workload("jacobian_forward_mode", _jac_in, _jac_np, _jac_torch, rtol=1e-4)
def jacobian_forward(tf, x, w1, w2):
    """the (256, 256) Jacobian of tanh(tanh(x @ w1) @ w2) by forward mode: one
    ForwardAccumulator over x tiled into 256 rows with the identity as the tangents (row i:
    the derivative along x_i)."""
    xs = tf.tile(x[None], (JN, 1))
    with tf.autodiff.ForwardAccumulator(xs, tf.eye(JN)) as acc:
        y = tf.tanh(tf.matmul(tf.tanh(tf.matmul(xs, w1)), w2))
    return [acc.jvp(y)]


# ---------------------------------------------------------------- 25. many tiny ops on 8x8
def _tiny_in(rng):
    return [_normal(rng, 8, 8), _normal(rng, 8, 8, scale=0.3)]


def _tiny_np(x, w):
    h = x
    for i in range(38):
        h = np.maximum(h @ w - F32(0.1), 0) + np.sin(h) * F32(0.5) - h.mean(0) * F32(0.01 * i)
    return [h]


def _tiny_torch(torch, x, w):
    h = x
    for i in range(38):
        h = torch.relu(h @ w - 0.1) + torch.sin(h) * 0.5 - h.mean(0) * (0.01 * i)
    return [h]


@workload("tiny_8x8_300ops", _tiny_in, _tiny_np, _tiny_torch, rtol=1e-4)
def tiny_ops(tf, x, w):
    """38 steps of relu(h @ w - 0.1) + sin(h) * 0.5 - mean(h, 0) * c on 8x8 (~300 nodes): all
    dispatch and per-node overhead."""
    h = x
    for i in range(38):
        h = tf.nn.relu(tf.matmul(h, w) - 0.1) + tf.sin(h) * 0.5 - tf.reduce_mean(h, 0) * (0.01 * i)
    return [h]


# ---------------------------------------------------------------- 26. int64 indexing ops
def _idx_in(rng):
    seg = np.sort(rng.integers(0, 1024, 8192))
    seg[-1] = 1023
    return [_normal(rng, 64, 64, 32), rng.integers(0, 64, (8192, 2)).astype(np.int64),
            seg.astype(np.int64), _normal(rng, 1024, 32)]


def _idx_np(p, nd, seg, w):
    g = p[nd[:, 0], nd[:, 1]]
    s = np.zeros((1024, 32), F32)
    np.add.at(s, seg, g * F32(2))
    sc = np.zeros_like(p)
    np.add.at(sc, (nd[:, 0], nd[:, 1]), g * g)
    dp = np.zeros_like(p)
    np.add.at(dp, (nd[:, 0], nd[:, 1]), F32(2) * w[seg] + F32(2) * g)
    return [s, sc, dp]


def _idx_torch(torch, p, nd, seg, w):
    p, = _req([p])
    g = p[nd[:, 0], nd[:, 1]]
    s = torch.zeros(1024, 32).index_add(0, seg, g * 2)
    sc = torch.zeros(64, 64, 32).index_put((nd[:, 0], nd[:, 1]), g * g, accumulate=True)
    return [s.detach(), sc.detach()] + _grads(torch, (s * w).sum() + sc.sum(), [p])


@workload("int64_gather_scatter_nd", _idx_in, _idx_np, _idx_torch, rtol=1e-4)
def int64_index_ops(tf, p, nd, seg, w):
    """int64 indices: gather_nd of 8192 (i, j) pairs from (64, 64, 32), segment_sum (sorted ids)
    into 1024 rows, scatter_nd of the squares back into (64, 64, 32), and the gradient of
    sum(segments * w) + sum(scattered) w.r.t. the params."""
    with tf.GradientTape() as tape:
        tape.watch(p)
        g = tf.gather_nd(p, nd)
        s = tf.math.segment_sum(g * 2.0, seg)
        sc = tf.scatter_nd(nd, g * g, tf.constant([64, 64, 32], tf.int64))
        loss = tf.reduce_sum(s * w) + tf.reduce_sum(sc)
    return [s, sc, tape.gradient(loss, p)]


# ---------------------------------------------------------------- 27. AutoGraph while loop
def _newton_in(rng):
    return [rng.uniform(0.5, 4.0, (1024, 1024)).astype(F32)]


def _newton_np(a):
    x, i = a, 0
    while i < 25:
        x = F32(0.5) * (x + a / x)
        i += 1
    return [x]


def _newton_torch(torch, a):
    x, i = a, 0
    while i < 25:
        x = 0.5 * (x + a / x)
        i += 1
    return [x]


@workload("autograph_while_newton", _newton_in, _newton_np, _newton_torch, rtol=1e-5)
def newton_while(tf, a):
    """25 Newton steps for sqrt(a) on (1024, 1024) written as a Python `while` over a tensor
    counter (AutoGraph makes it a while_loop)."""
    x = a
    i = tf.constant(0)
    while i < 25:
        x = 0.5 * (x + a / x)
        i += 1
    return [x]


# ---------------------------------------------------------------- 28. rank-4 keepdims reductions
def _r4_in(rng):
    return [_normal(rng, 32, 64, 32, 64)]


def _r4_np(x):
    a = x.sum((1, 3), keepdims=True)
    m = x.max(2, keepdims=True)
    mu = x.mean((0, 2), keepdims=True)
    y = (x - m) * a * F32(1e-3) + mu
    return [a, m, mu, y.sum(1, keepdims=True), y.min((0, 3), keepdims=True)]


def _r4_torch(torch, x):
    a = x.sum((1, 3), keepdim=True)
    m = x.amax(2, keepdim=True)
    mu = x.mean((0, 2), keepdim=True)
    y = (x - m) * a * 1e-3 + mu
    return [a, m, mu, y.sum(1, keepdim=True), y.amin((0, 3), keepdim=True)]


@workload("rank4_keepdims_reductions", _r4_in, _r4_np, _r4_torch, rtol=1e-4)
def rank4_keepdims(tf, x):
    """on (32, 64, 32, 64), keepdims: sum over (1, 3), max over 2, mean over (0, 2), then
    y = (x - max) * sum * 1e-3 + mean reduced by sum over 1 and min over (0, 3)."""
    a = tf.reduce_sum(x, [1, 3], keepdims=True)
    m = tf.reduce_max(x, 2, keepdims=True)
    mu = tf.reduce_mean(x, [0, 2], keepdims=True)
    y = (x - m) * a * 1e-3 + mu
    return [a, m, mu, tf.reduce_sum(y, 1, keepdims=True),
            tf.reduce_min(y, [0, 3], keepdims=True)]


# ---------------------------------------------------------------- 29. broadcasting, size-1 middles
def _bc_in(rng):
    return [_normal(rng, 32, 1, 64, 1), _normal(rng, 1, 16, 1, 128), _normal(rng, 32, 16, 1, 1),
            _normal(rng, 1, 1, 64, 128)]


def _bc_np(a, b, c, d):
    tz = np.tanh(a * b + c)
    y = tz * d - a
    dy = F32(2) * y
    dz = dy * d * (F32(1) - tz * tz)
    return [y.sum(1), (dz * b - dy).sum((1, 3), keepdims=True),
            (dz * a).sum((0, 2), keepdims=True), dz.sum((2, 3), keepdims=True),
            (dy * tz).sum((0, 1), keepdims=True)]


def _bc_torch(torch, a, b, c, d):
    ps = _req([a, b, c, d])
    a, b, c, d = ps
    y = torch.tanh(a * b + c) * d - a
    return [y.sum(1).detach()] + _grads(torch, (y * y).sum(), ps)


@workload("broadcast_mid1_grad", _bc_in, _bc_np, _bc_torch, rtol=1e-3)
def broadcast_mid1(tf, a, b, c, d):
    """y = tanh(a * b + c) * d - a over a (32, 16, 64, 128) broadcast of (32,1,64,1),
    (1,16,1,128), (32,16,1,1), (1,1,64,128): sum over axis 1 and the gradients of sum(y^2)
    w.r.t. all four (un-broadcast sums over the size-1 dims)."""
    ps = [a, b, c, d]
    with tf.GradientTape() as tape:
        tape.watch(ps)
        y = tf.tanh(a * b + c) * d - a
        loss = tf.reduce_sum(y * y)
    return [tf.reduce_sum(y, 1)] + tape.gradient(loss, ps)
