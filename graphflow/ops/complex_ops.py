"""Complex numbers: `tf.complex`, `tf.math.real` / `imag` / `conj` / `angle`, and `tf.abs` of
a complex tensor (complex64 / complex128).

Gradients follow TF's convention: for a real function L of complex z = x + iy the gradient is
dL/dx + i dL/dy, so a holomorphic op's VJP multiplies the cotangent by conj(f'(z)) (the basic
ops' VJPs use `conj` for complex inputs) and

* complex(x, y): the cotangent's real part to x, its imaginary part to y;
* real(z): complex(g, 0);  imag(z): complex(0, g);  conj(z): conj(g);
* abs(z): g * z / |z| (zero at z = 0).

The primitives are data-movement ops (kind `other`): backends run them as numpy nodes.

>>> import graphflow as tf
>>> z = tf.complex(tf.constant([3.0]), tf.constant([4.0]))
>>> z.dtype, tf.abs(z).numpy(), tf.math.imag(tf.math.conj(z)).numpy()
(tf.complex64, array([5.], dtype=float32), array([-4.], dtype=float32))
"""
import numpy as np

from .. import dtypes as _dt
from ..dispatch import bind
from ..tensor import constant, convert_args, to_tensor  # noqa: F401  (constant: doctests)
from . import math_ops as _m
from .registry import LINEAR, Aval, broadcast_shapes, defop, op_error

__all__ = ["complex", "real", "imag", "conj", "angle", "abs"]

_NO = {}
_COMPLEX_OF = {np.dtype(np.float32): np.dtype(np.complex64),
               np.dtype(np.float64): np.dtype(np.complex128)}
_REAL_OF = {v: k for k, v in _COMPLEX_OF.items()}


def _complex_rule(re, im):
    dt = np.dtype(re.dtype)
    if dt != np.dtype(im.dtype) or dt not in _COMPLEX_OF:
        raise op_error("complex", (re, im), "real and imag must both be float32 or both float64")
    return Aval(broadcast_shapes("complex", (re, im)), _COMPLEX_OF[dt])


def _complex_impl(re, im):
    out = np.empty(np.broadcast_shapes(np.shape(re), np.shape(im)), _COMPLEX_OF[np.dtype(re.dtype)])
    out.real, out.imag = re, im
    return out if out.ndim else out[()]


def _part_rule(name, keep_real=False):
    def rule(z):
        dt = np.dtype(z.dtype)
        if dt.kind != "c":
            if keep_real:
                return Aval(tuple(z.shape), dt)
            raise op_error(name, (z,), "needs a complex dtype")
        return Aval(tuple(z.shape), _REAL_OF[dt])
    return rule


def _conj_rule(z):
    if np.dtype(z.dtype).kind != "c":
        raise op_error("conj", (z,), "needs a complex dtype")
    return Aval(tuple(z.shape), np.dtype(z.dtype))


def _abs_impl(z):
    return np.abs(z)


def _abs_vjp(i, o, g):
    z = i[0]
    safe = _m.where(_m.not_equal(o, 0.0), o, _m.ones_like(o))   # z / |z|, and 0 at z = 0
    return [complex(g, _m.zeros_like(g)) * (z / complex(safe, _m.zeros_like(safe)))]


def _abs_jvp(i, o, tangents):
    t = tangents[0]
    if t is None:
        return None
    safe = _m.where(_m.not_equal(o, 0.0), o, _m.ones_like(o))
    return real(conj(i[0]) * t) / safe   # Re(conj(z) dz) / |z|, 0 at z = 0


COMPLEX = defop("complex", _complex_impl, _complex_rule,
                lambda i, o, g: [real(g), imag(g)], jvp=LINEAR,
                doc="real + i * imag (float32 -> complex64, float64 -> complex128).")
REAL = defop("real", lambda z: np.real(z).copy() if np.ndim(z) else np.real(z)[()],
             _part_rule("real"), lambda i, o, g: [complex(g, _m.zeros_like(g))], jvp=LINEAR,
             doc="Real part of a complex tensor.")
IMAG = defop("imag", lambda z: np.imag(z).copy() if np.ndim(z) else np.imag(z)[()],
             _part_rule("imag"), lambda i, o, g: [complex(_m.zeros_like(g), g)], jvp=LINEAR,
             doc="Imaginary part of a complex tensor.")
CONJ = defop("conj", np.conj, _conj_rule, lambda i, o, g: [conj(g)], jvp=LINEAR,
             doc="Complex conjugate.")
COMPLEX_ABS = defop("complex_abs", _abs_impl, _part_rule("complex_abs"), _abs_vjp, jvp=_abs_jvp,
                    doc="|z| of a complex tensor (a real tensor).")


def complex(real, imag, name=None):   # noqa: A001 - TF's public name
    """`tf.complex(real, imag)`: float32 parts give complex64, float64 parts complex128.

    >>> complex(constant([1.0]), constant([2.0])).numpy()
    array([1.+2.j], dtype=complex64)
    """
    re, im = convert_args(real, imag, op="complex")
    return bind(COMPLEX, [re, im], _NO)


def real(input, name=None):   # noqa: A002
    """Real part (a real input is returned unchanged, as in TF).

    >>> real(constant(1 + 2j)).numpy()
    np.float64(1.0)
    """
    z = to_tensor(input)
    return bind(REAL, [z], _NO) if z.dtype.is_complex else z


def imag(input, name=None):   # noqa: A002
    """Imaginary part (zeros for a real input, as in TF)."""
    z = to_tensor(input)
    return bind(IMAG, [z], _NO) if z.dtype.is_complex else _m.zeros_like(z)


def conj(x, name=None):
    """Complex conjugate (a real input is returned unchanged, as in TF)."""
    z = to_tensor(x)
    return bind(CONJ, [z], _NO) if z.dtype.is_complex else z


def angle(input, name=None):   # noqa: A002
    """The argument atan2(imag, real) of a complex tensor (0 for real non-negative input)."""
    z = to_tensor(input)
    if not z.dtype.is_complex:
        return _m.where(_m.less(z, 0), _m.ones_like(z) * np.pi, _m.zeros_like(z))
    return _m.atan2(imag(z), real(z))


def abs(x, name=None):   # noqa: A001
    """|x|; for complex x the (real) modulus, as TF's ComplexAbs.

    >>> abs(constant([-2.0, 3.0])).numpy()
    array([2., 3.], dtype=float32)
    """
    z = to_tensor(x)
    return bind(COMPLEX_ABS, [z], _NO) if z.dtype.is_complex else _m.abs(z)
