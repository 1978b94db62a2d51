"""einsum's impl runs a two-operand contraction as one batched BLAS matmul: values equal
numpy's einsum for every index pattern (batch, contracted, free, summed-alone, broadcast)."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import graphflow as tf
from graphflow.ops.array_ops import _einsum_impl

CASES = [("ij,jk->ik", (3, 4), (4, 5)), ("abc,cde->abde", (2, 3, 4), (4, 5, 6)),
         ("bqhd,bkhd->bhqk", (2, 3, 2, 4), (2, 5, 2, 4)), ("bij,bjk->bik", (1, 3, 4), (5, 4, 2)),
         ("i,j->ij", (3,), (4,)), ("ij,ij->", (3, 4), (3, 4)), ("ij,jk->ki", (3, 4), (4, 5)),
         ("ij,kl->", (2, 3), (4, 5)), ("ij,jk", (3, 4), (4, 5)), ("ab,ab->ab", (1, 3), (4, 3)),
         ("ii,ij->j", (3, 3), (3, 4)), ("ij,j->i", (3, 1), (4,)), ("ij,jk->ik", (0, 4), (4, 2))]


@pytest.mark.parametrize("eq,sa,sb", CASES)
def test_two_operand_patterns_equal_numpy(eq, sa, sb):
    rs = np.random.RandomState(0)
    a, b = rs.randn(*sa), rs.randn(*sb)
    r = _einsum_impl(a, b, equation=eq)
    np.testing.assert_allclose(r, np.einsum(eq, a, b), rtol=1e-12, atol=1e-12)
    ai, bi = rs.randint(-3, 4, sa), rs.randint(-3, 4, sb)   # integers: exact
    np.testing.assert_array_equal(_einsum_impl(ai, bi, equation=eq), np.einsum(eq, ai, bi))


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_random_equations_equal_numpy(data):
    letters = "abcdef"
    size = {c: data.draw(st.integers(1, 4)) for c in letters}
    sa = data.draw(st.lists(st.sampled_from(letters), min_size=0, max_size=4, unique=True))
    sb = data.draw(st.lists(st.sampled_from(letters), min_size=0, max_size=4, unique=True))
    out = [c for c in dict.fromkeys(sa + sb) if data.draw(st.booleans())]
    eq = "".join(sa) + "," + "".join(sb) + "->" + "".join(out)
    rs = np.random.RandomState(1)
    a = rs.randint(-3, 4, [size[c] for c in sa]).astype(np.float64)
    b = rs.randint(-3, 4, [size[c] for c in sb]).astype(np.float64)
    np.testing.assert_array_equal(_einsum_impl(a, b, equation=eq), np.einsum(eq, a, b))


def test_einsum_op_and_gradient_through_the_matmul_impl():
    rs = np.random.RandomState(2)
    q, k = rs.randn(2, 3, 2, 4), rs.randn(2, 5, 2, 4)
    qt, kt = tf.constant(q), tf.constant(k)
    with tf.GradientTape() as tape:
        tape.watch(qt)
        s = tf.einsum("bqhd,bkhd->bhqk", qt, kt)
        loss = tf.reduce_sum(tf.sin(s))
    np.testing.assert_allclose(s.numpy(), np.einsum("bqhd,bkhd->bhqk", q, k), rtol=1e-12)
    want = np.einsum("bhqk,bkhd->bqhd", np.cos(np.einsum("bqhd,bkhd->bhqk", q, k)), k)
    np.testing.assert_allclose(tape.gradient(loss, qt).numpy(), want, rtol=1e-12)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_result_is_c_contiguous_and_equal_for_transposed_operands(data):
    """BLAS writes the product straight into a C-contiguous result in the output's index order
    (a transposed view made the readers of attention scores stride through memory), for
    operands given as transposed views too; dtypes as numpy's einsum (ints included)."""
    letters = "abcdef"
    size = {c: data.draw(st.integers(1, 4)) for c in letters}
    sa = data.draw(st.lists(st.sampled_from(letters), min_size=0, max_size=4, unique=True))
    sb = data.draw(st.lists(st.sampled_from(letters), min_size=0, max_size=4, unique=True))
    out = data.draw(st.permutations([c for c in dict.fromkeys(sa + sb) if data.draw(st.booleans())]))
    dtype = data.draw(st.sampled_from([np.float32, np.float64, np.complex64, np.int32]))
    rs = np.random.RandomState(3)
    a = rs.randint(-3, 4, [size[c] for c in sa]).astype(dtype)
    b = rs.randint(-3, 4, [size[c] for c in sb]).astype(dtype)
    perm = data.draw(st.permutations(range(len(sa))))
    a, sa = a.transpose(perm), [sa[i] for i in perm]
    eq = "".join(sa) + "," + "".join(sb) + "->" + "".join(out)
    r, want = _einsum_impl(a, b, equation=eq), np.einsum(eq, a, b)
    assert r.dtype == want.dtype and r.shape == want.shape
    np.testing.assert_array_equal(r, want)
    free_a = [c for c in sa if c not in sb and c in out]
    free_b = [c for c in sb if c not in sa and c in out]
    grouped = all("".join(f) in "".join(out) for f in (free_a, free_b))
    if np.dtype(dtype).kind in "fc" and grouped:    # each operand's free indices: one BLAS dim
        assert r.flags.c_contiguous, eq


def test_attention_shaped_products_come_out_contiguous():
    rs = np.random.RandomState(4)
    q, k = rs.randn(2, 5, 3, 4).astype(np.float32), rs.randn(2, 6, 3, 4).astype(np.float32)
    s = _einsum_impl(k, q, equation="aecd,abcd->acbe")        # Keras MultiHeadAttention scores
    assert s.flags.c_contiguous
    np.testing.assert_allclose(s, np.einsum("aecd,abcd->acbe", k, q), rtol=1e-5, atol=1e-6)
    p = np.abs(s)
    o = _einsum_impl(p, k, equation="acbe,aecd->abcd")        # batch indices not leading in out
    assert o.flags.c_contiguous
    np.testing.assert_allclose(o, np.einsum("acbe,aecd->abcd", p, k), rtol=1e-5, atol=1e-5)
