"""Automatic differentiation: one reverse-mode core and forward mode.

* `reverse`: the reverse-mode core shared by GradientTape and the graph gradient pass;
* `forward`: `ForwardAccumulator` (TF's `tf.autodiff.ForwardAccumulator`) and `jvp`.

Both run the op table's rules (VJP / JVP), written in graphflow ops, so they compose: nested
tapes and accumulators give higher orders and Hessian-vector products.
"""
from .forward import ForwardAccumulator, jvp

__all__ = ["ForwardAccumulator", "jvp"]
