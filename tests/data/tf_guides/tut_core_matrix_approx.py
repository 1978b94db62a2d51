# "Matrix approximation with Core APIs" (tensorflow.org/guide/core/matrix_core): SVD, rank-r
# approximation of a matrix and of an image (the downloaded photo replaced by a generated image).
import numpy as np
import tensorflow as tf
def rank_r_approx(s, U, V, r, verbose=False):
  # Compute the matrices necessary for a rank-r approximation
  s_r, U_r, V_r = s[..., :r], U[..., :, :r], V[..., :, :r] # ... implies any number of extra batch axes
  # Compute the low-rank approximation and its size
  A_r = tf.einsum('...s,...us,...vs->...uv',s_r,U_r,V_r)
  A_r_size = tf.size(U_r) + tf.size(s_r) + tf.size(V_r)
  if verbose:
    print(f"Approximation Size: {A_r_size}")
  return A_r, A_r_size
rng = np.random.RandomState(3)
A = tf.constant(rng.rand(40, 30), dtype=tf.float32)
# Compute the SVD factorization
s, U, V = tf.linalg.svd(A)
print(s.shape, U.shape, V.shape, s.dtype)
# Define Sigma and V Transpose
S = tf.linalg.diag(s)
V_T = tf.transpose(V)
# Reconstruct the original matrix
A_svd = U@S@V_T
print(A_svd.shape, bool(tf.reduce_max(tf.abs(A - A_svd)) < 1e-4))
print(np.round(s.numpy()[:5], 3))
A_r, A_r_size = rank_r_approx(s, U, V, 15, verbose = True)
print(A_r.shape, round(float(tf.norm(A - A_r) / tf.norm(A)), 3))
s2, U2, V2 = tf.linalg.svd(A, full_matrices=True)
print(s2.shape, U2.shape, V2.shape)
s3 = tf.linalg.svd(A, compute_uv=False)
print(s3.shape, np.allclose(s3, s, atol=1e-4))
# ---- image compression
yy, xx = np.mgrid[0:48, 0:64]
I = np.stack([np.sin(xx / 7.) * np.cos(yy / 5.), (xx + yy) / 110., (xx * yy % 17) / 17.], axis=-1)
I = ((I - I.min()) / (I.max() - I.min())).astype(np.float32)
print("Input Image Shape:", I.shape)
I_batched = tf.transpose(I, [2, 0, 1]) # einops.rearrange(I, 'h w c -> c h w')
s, U, V = tf.linalg.svd(I_batched)
print(s.shape, U.shape, V.shape)
I_r, I_r_size = rank_r_approx(s, U, V, 10, verbose=True)
I_r = tf.transpose(I_r, [1, 2, 0])
print(I_r.shape, I_r.dtype)
def compression_ratio(I, r):
  # Compute the compression ratio of an image for a given rank r
  C, m, n = I.shape
  return (C*m*n)/(C*r*(1+m+n))
def approx_error(I, I_r):
  return tf.norm(I - I_r)/tf.norm(I)
for r in [20, 10, 5]:
  I_r, I_r_size = rank_r_approx(s, U, V, r)
  I_r = tf.transpose(I_r, [1, 2, 0])
  print(f"Compression ratio: {compression_ratio(I_batched, r):.4f}")
  print(f"Relative error: {approx_error(I, I_r):.3f}")
  print(I_r_size, I_r_size / tf.size(I_batched))
print(tf.clip_by_value(I_r, 0., 1.).shape)
