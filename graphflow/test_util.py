"""`tf.test`: TF's `TestCase` (a unittest.TestCase with the array assertions TF tests and
guides use), `tf.test.main`, `compute_gradient`, and the build queries (graphflow computes on
the CPU: no GPU, no CUDA).

>>> import graphflow as tf
>>> class T(tf.test.TestCase):
...     def test_square(self):
...         self.assertAllClose(tf.square([1., 2.]), [1., 4.])
>>> import unittest
>>> unittest.TextTestRunner(stream=open("/dev/null", "w")).run(
...     unittest.defaultTestLoader.loadTestsFromTestCase(T)).wasSuccessful()
True
"""
import contextlib
import math
import re
import tempfile
import unittest

import numpy as np

from . import errors as _errors
from .dtypes import as_dtype
from .tape import GradientTape
from .tensor import Tensor, Variable, to_tensor

__all__ = ["TestCase", "main", "is_gpu_available", "is_built_with_cuda",
           "is_built_with_gpu_support", "is_built_with_rocm", "is_built_with_xla",
           "gpu_device_name", "compute_gradient", "get_temp_dir"]


def _np(x):
    """A tensor / Variable / nested value as numpy (TF's TestCase._GetNdArray)."""
    if isinstance(x, (Tensor, Variable)):
        return np.asarray(x.numpy())
    if hasattr(x, "to_tensor") and hasattr(x, "flat_values"):   # a RaggedTensor
        return np.asarray(x.to_list(), dtype=object)
    return np.asarray(x)


def _float_tols(a, b, rtol, atol):
    """TF's assertAllClose loosens the tolerances for half-precision values."""
    for dt, tol in ((np.float16, 1e-3), (getattr(np, "bfloat16", None), 1e-2)):
        if dt is not None and (a.dtype == dt or b.dtype == dt):
            rtol, atol = max(rtol, tol), max(atol, tol)
    return rtol, atol


class TestCase(unittest.TestCase):
    """`tf.test.TestCase`: unittest's TestCase plus TF's assertions on tensors (every argument
    may be a Tensor, Variable, numpy array, Python number or nested list/tuple/dict of them).

    >>> TestCase().assertAllEqual(to_tensor([1, 2]), [1, 2])
    """

    def __init__(self, methodName="runTest"):
        super().__init__(methodName)
        self._tmp = None

    # ---------------------------------------------------------------- evaluation
    def evaluate(self, tensors):
        """The numpy values of a (nested structure of) tensors, as TF's `self.evaluate`."""
        if callable(tensors) and not isinstance(tensors, (Tensor, Variable)):
            tensors = tensors()
        if isinstance(tensors, dict):
            return {k: self.evaluate(v) for k, v in tensors.items()}
        if isinstance(tensors, (list, tuple)):
            out = [self.evaluate(v) for v in tensors]
            if hasattr(tensors, "_fields"):
                return type(tensors)(*out)
            return type(tensors)(out)
        if isinstance(tensors, (Tensor, Variable)):
            v = tensors.numpy()
            return v
        return tensors

    def cached_session(self, *args, **kwargs):
        """TF1's session scope: graphflow runs eagerly, so a context that yields `self` (its
        `run`/`evaluate` give numpy values)."""
        return contextlib.nullcontext(self)

    session = cached_session

    def run(self, *args, **kwargs):   # `sess.run(t)` inside `with self.cached_session() as sess`
        if args and not isinstance(args[0], unittest.TestResult) and args[0] is not None:
            return self.evaluate(args[0])
        return super().run(*args, **kwargs)

    def get_temp_dir(self):
        """A temporary directory for this test (removed when the test ends)."""
        if self._tmp is None:
            tmp = tempfile.TemporaryDirectory()
            self.addCleanup(tmp.cleanup)
            self._tmp = tmp.name
        return self._tmp

    # ---------------------------------------------------------------- array assertions
    def _structure(self, a, b, check):
        if isinstance(a, dict) or isinstance(b, dict):
            self.assertIsInstance(a, dict)
            self.assertIsInstance(b, dict)
            self.assertEqual(set(a), set(b), "dict keys differ")
            for k in a:
                self._structure(a[k], b[k], check)
        elif isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)) and _ragged(a, b):
            self.assertEqual(len(a), len(b), f"lengths differ: {len(a)} != {len(b)}")
            for x, y in zip(a, b):
                self._structure(x, y, check)
        else:
            check(_np(a), _np(b))

    def assertAllClose(self, a, b, rtol=1e-6, atol=1e-6, msg=None):
        """|a - b| <= atol + rtol |b| elementwise (numpy's allclose; shapes must agree up to
        broadcasting); loosened for float16 (as TF)."""
        def check(x, y):
            if x.dtype == object or y.dtype == object:
                return self.assertEqual(x.tolist(), y.tolist(), msg)
            r, t = _float_tols(x, y, rtol, atol)
            np.testing.assert_allclose(x, y, rtol=r, atol=t, err_msg=msg or "", equal_nan=True)
        self._structure(a, b, check)

    def assertAllCloseAccordingToType(self, a, b, rtol=1e-6, atol=1e-6, float_rtol=1e-6,
                                      float_atol=1e-6, half_rtol=1e-3, half_atol=1e-3,
                                      bfloat16_rtol=1e-2, bfloat16_atol=1e-2, msg=None):
        """assertAllClose with the tolerances of a's dtype (float32 / float16 / bfloat16)."""
        x = _np(a)
        if x.dtype == np.float32:
            rtol, atol = max(rtol, float_rtol), max(atol, float_atol)
        elif x.dtype == np.float16:
            rtol, atol = max(rtol, half_rtol), max(atol, half_atol)
        self.assertAllClose(a, b, rtol=rtol, atol=atol, msg=msg)

    def assertNotAllClose(self, a, b, rtol=1e-6, atol=1e-6, msg=None):
        """Fails if a and b are all close."""
        try:
            self.assertAllClose(a, b, rtol=rtol, atol=atol)
        except AssertionError:
            return
        raise self.failureException(msg or "the two values are all close")

    def assertAllEqual(self, a, b, msg=None):
        """Same shape (b may broadcast, as TF) and equal elements."""
        def check(x, y):
            if x.shape != y.shape and y.size != 1 and x.size != 1:
                raise self.failureException(
                    f"shape mismatch: {x.shape} vs {y.shape}" + (f" : {msg}" if msg else ""))
            if x.dtype.kind in "SUO" or y.dtype.kind in "SUO":
                x, y = _text(x), _text(y)
            np.testing.assert_array_equal(x, y, err_msg=msg or "")
        self._structure(a, b, check)

    def assertNotAllEqual(self, a, b, msg=None):
        """Fails if every element of a equals b."""
        x, y = _np(a), _np(b)
        if x.shape == y.shape and np.array_equal(x, y):
            raise self.failureException(msg or f"expected unequal values, both are {x}")

    def _all(self, a, ok, what, msg):
        x = _np(a)
        if not np.all(ok(x)):
            raise self.failureException(
                f"not all elements are {what}: {x}" + (f" : {msg}" if msg else ""))

    def assertAllGreater(self, a, comparison_target):
        self._all(a, lambda x: x > comparison_target, f"> {comparison_target}", None)

    def assertAllGreaterEqual(self, a, comparison_target):
        self._all(a, lambda x: x >= comparison_target, f">= {comparison_target}", None)

    def assertAllLess(self, a, comparison_target):
        self._all(a, lambda x: x < comparison_target, f"< {comparison_target}", None)

    def assertAllLessEqual(self, a, comparison_target):
        self._all(a, lambda x: x <= comparison_target, f"<= {comparison_target}", None)

    def assertAllInRange(self, target, lower_bound, upper_bound, open_lower_bound=False,
                         open_upper_bound=False):
        """Every element in [lower, upper] (open ends on request); NaNs fail."""
        lo = (lambda x: x > lower_bound) if open_lower_bound else (lambda x: x >= lower_bound)
        hi = (lambda x: x < upper_bound) if open_upper_bound else (lambda x: x <= upper_bound)
        self._all(target, lambda x: lo(x) & hi(x),
                  f"in {'(' if open_lower_bound else '['}{lower_bound}, {upper_bound}"
                  f"{')' if open_upper_bound else ']'}", None)

    def assertAllInSet(self, target, expected_set):
        allowed = set(np.asarray(list(expected_set)).ravel().tolist())
        self._all(target, lambda x: np.isin(x, list(allowed)), f"in {sorted(allowed)}", None)

    def assertNear(self, f1, f2, err, msg=None):
        """|f1 - f2| <= err for two numbers."""
        f1, f2 = float(_np(f1)), float(_np(f2))
        if not (f1 == f2 or math.fabs(f1 - f2) <= err):
            raise self.failureException(f"{f1} != {f2} +/- {err}" + (f" : {msg}" if msg else ""))

    def assertArrayNear(self, farray1, farray2, err, msg=None):
        self.assertEqual(len(farray1), len(farray2), msg)
        for f1, f2 in zip(farray1, farray2):
            self.assertNear(f1, f2, err, msg)

    def assertNDArrayNear(self, ndarray1, ndarray2, err, msg=None):
        self.assertTrue(np.linalg.norm(_np(ndarray1) - _np(ndarray2)) <= err, msg)

    def assertShapeEqual(self, np_array, tf_tensor, msg=None):
        """A numpy array's shape equals a tensor's static shape."""
        shape = tuple(getattr(tf_tensor, "shape", np.shape(tf_tensor)))
        self.assertEqual(tuple(np.shape(np_array)), tuple(shape), msg)

    def assertDTypeEqual(self, target, expected_dtype):
        """Every element of target (a value or list of values) has expected_dtype."""
        want = as_dtype(expected_dtype)
        for t in (target if isinstance(target, list) else [target]):
            got = t.dtype if isinstance(t, (Tensor, Variable)) else as_dtype(_np(t).dtype)
            self.assertEqual(as_dtype(getattr(got, "np", got)), want)

    def assertRaisesWithPredicateMatch(self, exception_type, expected_err_re_or_predicate):
        """A context that expects `exception_type` whose message matches the regex (or for
        which the predicate is true)."""
        if callable(expected_err_re_or_predicate):
            pred = expected_err_re_or_predicate
        else:
            pattern = expected_err_re_or_predicate
            pred = lambda e: re.search(pattern, str(e)) is not None   # noqa: E731
        return _PredicateRaises(self, exception_type, pred)

    def assertRaisesOpError(self, expected_err_re_or_predicate):
        """Expects an op error (`tf.errors.OpError`, e.g. InvalidArgumentError) matching."""
        return self.assertRaisesWithPredicateMatch(_errors.OpError, expected_err_re_or_predicate)

    def assertStartsWith(self, actual, expected_start, msg=None):
        if not actual.startswith(expected_start):
            raise self.failureException(msg or f"{actual!r} does not start with "
                                               f"{expected_start!r}")

    def assertItemsEqual(self, first, second, msg=None):
        return self.assertCountEqual(first, second, msg)


def _ragged(a, b):
    """True when a and b cannot be compared as one array (nested, ragged or tensors inside)."""
    try:
        np.asarray([_np(v) for v in a], dtype=float)
        np.asarray([_np(v) for v in b], dtype=float)
        return False
    except (ValueError, TypeError):
        return True


def _text(x):
    return np.vectorize(lambda v: v.decode() if isinstance(v, bytes) else v, otypes=[object])(x)


class _PredicateRaises:
    def __init__(self, case, exc, pred):
        self.case, self.exc, self.pred = case, exc, pred

    def __enter__(self):
        return self

    def __exit__(self, typ, value, tb):
        if typ is None:
            raise self.case.failureException(f"{self.exc.__name__} not raised")
        if not issubclass(typ, self.exc):
            return False
        if not self.pred(value):
            raise self.case.failureException(f"exception {value!r} does not match")
        return True


def main(argv=None):
    """`tf.test.main`: run the module's tests (unittest.main), as in a TF test file's
    `if __name__ == "__main__": tf.test.main()`.

    >>> callable(main)
    True
    """
    return unittest.main(argv=argv)


def is_gpu_available(cuda_only=False, min_cuda_compute_capability=None):
    """False: graphflow computes on the CPU.

    >>> is_gpu_available()
    False
    """
    return False


def is_built_with_cuda():
    """False: graphflow has no CUDA build (nor ROCm, XLA or GPU support).

    >>> is_built_with_cuda(), is_built_with_gpu_support()
    (False, False)
    """
    return False


is_built_with_gpu_support = is_built_with_rocm = is_built_with_xla = is_built_with_cuda


def gpu_device_name():
    """The GPU's device name: '' (there is none).

    >>> gpu_device_name()
    ''
    """
    return ""


def get_temp_dir():
    """A temporary directory (made once per process, as TF's tf.test.get_temp_dir).

    >>> import os
    >>> os.path.isdir(get_temp_dir()) and get_temp_dir() == get_temp_dir()
    True
    """
    global _TMP
    if _TMP is None:
        _TMP = tempfile.mkdtemp(prefix="graphflow_test_")
    return _TMP


_TMP = None


def compute_gradient(f, x, delta=None):
    """`tf.test.compute_gradient`: (theoretical, numerical) Jacobians of f at the list of
    arguments x, each a tuple with one (f.size, x_i.size) matrix per argument; the numerical one
    by central differences with step `delta`, as TF computes them: the default step 1/1024 is
    exact in binary, and the difference is taken in f's dtype.

    >>> import graphflow as tf
    >>> th, nu = compute_gradient(tf.square, [tf.constant([1., 2.], tf.float64)])
    >>> th[0].tolist(), np.allclose(th[0], nu[0])
    ([[2.0, 0.0], [0.0, 4.0]], True)
    """
    xs = [to_tensor(v) for v in x]
    theoretical, numerical = [], []
    for i, xi in enumerate(xs):
        base = xi.numpy()
        d = 1.0 / 1024 if delta is None else delta
        with GradientTape() as tape:
            tape.watch(xi)
            y = f(*xs)
        jac = tape.jacobian(y, xi)
        ysize = int(np.prod(np.shape(y.numpy())))
        theoretical.append(np.zeros((ysize, base.size), base.dtype) if jac is None
                           else np.reshape(jac.numpy(), (ysize, base.size)))
        num = np.zeros((ysize, base.size), base.dtype)
        for k in range(base.size):
            cols = []
            for sgn in (1, -1):
                pert = base.copy().reshape(-1)
                pert[k] += sgn * d
                args = list(xs)
                args[i] = to_tensor(pert.reshape(base.shape).astype(base.dtype))
                cols.append(np.asarray(f(*args).numpy()).reshape(-1))
            num[:, k] = (cols[0] - cols[1]) / np.asarray(2 * d, cols[0].dtype)
        numerical.append(num)
    return tuple(theoretical), tuple(numerical)
