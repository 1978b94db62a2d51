"""The `jit_compile=False` backend: the reference evaluator (`graphflow.evaluate`), plus the
numba plan's choice of BLAS threads for graphs with library products.

numpy's OpenBLAS splits a product over its threads; when other processes share the cores its
thread hand-over collapses (measured, 2 cores at load 8: a (128,256)x(256,512) sgemm 0.24 ms on
one thread, median 40 ms on two; a Keras MLP train step with jit_compile=False 76 ms CPU per
step). A plan with such ops times its own calls and runs them on one BLAS thread when that
measures faster (`numba.blas_choice.BlasChoice`, the compiled plans' chooser: probe both modes,
then periodic trials; one thread while no core is idle).

>>> import graphflow as tf
>>> f = tf.function(lambda a, b: a @ b, jit_compile=False)
>>> for _ in range(3):
...     out = f(tf.ones([64, 64]), tf.ones([64, 64]))
>>> float(out[0, 0]), f.get_concrete_function(tf.ones([64, 64]), tf.ones([64, 64]))._executor.choice.calls
(64.0, 3)
"""
from .. import evaluate as _ref
from ..blas_threads import SINGLE_BLAS
from ..ops.registry import OPS, runs_blas
from .numba.blas_choice import BlasChoice


def _uses_blas(graph):
    return any(runs_blas(OPS[d["op"]]) for _, d in graph.nx.nodes(data=True))


class NumpyPlan(_ref.NumpyPlan):
    """The reference evaluator's plan; one with BLAS products chooses its BLAS threads per
    call (`choice`: None for a graph without such ops)."""

    def __init__(self, graph):
        super().__init__(graph)
        self.choice = BlasChoice() if _uses_blas(graph) else None

    def run(self, args):
        if self.choice is None:
            return super().run(args)
        return self.choice.run(lambda: super(NumpyPlan, self).run(args), SINGLE_BLAS)

    def report(self):
        """What runs (one numpy call per node) and the BLAS thread choice behind it."""
        return "numpy executor: one numpy call per node\n" + (
            self.choice.describe() if self.choice is not None else "threads: no BLAS ops")
