"""A trace runs with the cyclic garbage collector paused (Function._trace): no collection while
tracing and planning, the collector on again after, also when the trace fails; the retrace
warning still points at the user's call."""
import gc
import warnings

import pytest

import graphflow as tf


def test_no_collection_during_a_trace_and_the_collector_back_on():
    seen = []

    def body(x):
        seen.append(gc.isenabled())
        return x * 2.0
    f = tf.function(body)
    assert gc.isenabled()
    assert float(f(tf.constant(3.0))) == 6.0
    assert seen == [False] and gc.isenabled()


def test_a_failing_trace_turns_it_back_on():
    @tf.function
    def bad(x):
        raise ValueError("boom")
    with pytest.raises(ValueError, match="boom"):
        bad(tf.constant(1.0))
    assert gc.isenabled()


def test_the_retrace_warning_names_the_callers_line():
    f = tf.function(lambda x: x + 1)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        for n in range(1, 7):
            f(tf.ones((n,)))
    (msg,) = [m for m in w if "has been traced" in str(m.message)][:1]
    assert msg.filename == __file__
