"""AutoGraph's on-disk cache of converted code (graphflow/autograph/code_cache.py): a hit converts
without reading the source and gives the same function as a conversion from source."""
import inspect
import os

import numpy as np
import pytest

import graphflow as tf
from graphflow.autograph import api, code_cache


@pytest.fixture
def cache_on(monkeypatch, tmp_path):
    monkeypatch.setenv("GRAPHFLOW_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("GRAPHFLOW_AUTOGRAPH_CACHE", "1")
    return tmp_path


def halve_until_small(x, limit):
    steps = tf.constant(0)
    while tf.reduce_sum(x) > limit:      # a tensor condition: a graph while_loop
        x = x / 2.0
        steps += 1
    if limit > 100:                      # a Python condition: runs while tracing
        steps = steps * 10
    return x, steps


def _run(fn, *args):
    x, steps = tf.function(fn, autograph=False)(*args)
    return x.numpy(), int(steps)


def test_a_hit_converts_without_the_source_and_runs_the_same(cache_on, monkeypatch):
    before = dict(code_cache.STATS)
    from_source = api._convert(halve_until_small)
    assert code_cache.STATS["stores"] == before["stores"] + 1
    assert len(os.listdir(cache_on / "autograph")) == 1

    def no_source(obj):
        raise AssertionError("a cache hit read the source")
    monkeypatch.setattr(inspect, "getsource", no_source)
    cached = api._convert(halve_until_small)
    assert code_cache.STATS["hits"] == before["hits"] + 1
    assert cached.__name__ == "halve_until_small"
    assert cached.__qualname__ == halve_until_small.__qualname__
    x = tf.constant([40.0, 24.0])
    for limit in (10.0, 1000.0):
        got, want = _run(cached, x, limit), _run(from_source, x, limit)
        np.testing.assert_array_equal(got[0], want[0])
        assert got[1] == want[1]
    # the values themselves: 64 -> 32 -> 16 -> 8 (3 halvings) below 10
    np.testing.assert_array_equal(_run(cached, x, 10.0)[0], [5.0, 3.0])
    assert _run(cached, x, 10.0)[1] == 3
    assert _run(cached, x, 1000.0)[1] == 0


def test_closures_are_the_functions_own_cells(cache_on):
    def make(scale):
        def f(x):
            if tf.reduce_sum(x) > 0:
                x = x * scale
            return x
        return f
    f2, f3 = make(2.0), make(3.0)
    api._convert(f2)                              # stores the entry
    hits = code_cache.STATS["hits"]
    g3 = api._convert(f3)                         # same code: a hit, with f3's own cell
    assert code_cache.STATS["hits"] == hits + 1
    assert float(tf.function(g3, autograph=False)(tf.constant(1.0))) == 3.0


def test_another_code_is_another_entry(cache_on):
    def f(x):
        return x + 1.0

    def g(x):
        return x + 2.0
    assert code_cache.code_key(f.__code__) != code_cache.code_key(g.__code__)
    api._convert(f)
    api._convert(g)
    assert len(os.listdir(cache_on / "autograph")) == 2
    assert float(tf.function(api._convert(g), autograph=False)(tf.constant(1.0))) == 3.0


def test_a_damaged_entry_is_deleted_and_converted_from_source(cache_on):
    api._convert(halve_until_small)
    (path,) = [cache_on / "autograph" / n for n in os.listdir(cache_on / "autograph")]
    path.write_bytes(path.read_bytes()[:40])
    corrupt = code_cache.STATS["corrupt"]
    g = api._convert(halve_until_small)
    assert code_cache.STATS["corrupt"] == corrupt + 1
    assert _run(g, tf.constant([40.0, 24.0]), 10.0)[1] == 3
    assert path.exists()                          # written again from source


def test_off_under_pytest_unless_asked(monkeypatch):
    monkeypatch.delenv("GRAPHFLOW_AUTOGRAPH_CACHE", raising=False)
    assert not code_cache.enabled()
    monkeypatch.setenv("GRAPHFLOW_AUTOGRAPH_CACHE", "1")
    assert code_cache.enabled()
    monkeypatch.setenv("GRAPHFLOW_AUTOGRAPH_CACHE", "0")
    assert not code_cache.enabled()
