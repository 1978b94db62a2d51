"""The `jit_compile=False` backend: the reference evaluator (`graphflow.evaluate`) as is."""
from ..evaluate import NumpyPlan  # noqa: F401
