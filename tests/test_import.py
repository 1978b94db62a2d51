"""`import graphflow` is cheap: networkx, numba and the application subpackages (keras, data,
distribute, summary, saved_model) are imported at first use (graphflow.lazy), and
everything reached through them works as before."""
import json
import os
import subprocess
import sys
import textwrap

import pytest

from graphflow.lazy import LazyModule, Namespace, lazy_attributes, lazy_module

ROOT = os.path.join(os.path.dirname(__file__), "..")
DEFERRED = ["networkx", "numba", "graphflow.keras", "graphflow.data", "graphflow.distribute",
            "graphflow.summary", "graphflow.saved_model"]


def _fresh(code):
    """Run `code` in a fresh interpreter; the JSON it prints last."""
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_import_graphflow_defers_the_heavy_modules_and_first_use_loads_them():
    r = _fresh(f"""
        import json, sys
        import graphflow as tf
        deferred = {DEFERRED!r}
        loaded_at_import = [m for m in deferred if m in sys.modules]
        x = tf.Variable(3.0)
        with tf.GradientTape() as tape:           # eager mode and tapes need none of them
            y = x * x
        grad = float(tape.gradient(y, x))
        eager_loaded = [m for m in deferred if m in sys.modules]
        listed = all(n in dir(tf) for n in ("keras", "data", "summary", "saved_model"))
        dense = tf.keras.layers.Dense(2, kernel_initializer="ones")
        from graphflow.keras import layers
        same = layers.Dense is tf.keras.layers.Dense and tf.keras is sys.modules["graphflow.keras"]
        dense_out = dense(tf.constant([[1.0, 2.0]])).numpy().tolist()
        from graphflow.ops.registry import OPS
        ops_at_import = sorted(OPS)
        ds = [int(v) for v in tf.data.Dataset.from_tensor_slices([1, 2, 3]).map(lambda v: v * 2)]
        for name in ("distribute", "summary", "saved_model"):
            getattr(tf, name)
        ops_complete = sorted(OPS) == ops_at_import     # no lazy module adds an op
        f = tf.function(lambda v: tf.reduce_sum(v * v), jit_compile=False)
        traced = float(f(tf.constant([1.0, 2.0])))
        try:
            tf.no_such_thing
            missing = None
        except AttributeError as e:
            missing = str(e)
        print(json.dumps(dict(loaded_at_import=loaded_at_import, grad=grad, same=same,
                              eager_loaded=eager_loaded, listed=listed, dense=dense_out, ds=ds,
                              traced=traced, nx="networkx" in sys.modules, missing=missing,
                              ops_complete=ops_complete)))
    """)
    assert r["loaded_at_import"] == [] and r["eager_loaded"] == []
    assert r["grad"] == 6.0 and r["listed"] and r["same"]
    assert r["dense"] == [[3.0, 3.0]] and r["ds"] == [2, 4, 6]
    assert r["ops_complete"]          # the op table is whole after `import graphflow`
    assert r["traced"] == 5.0 and r["nx"]          # the first trace imported networkx
    assert "no_such_thing" in r["missing"] and "graphflow" in r["missing"]


def test_import_graphflow_leaves_the_optional_stdlib_modules_to_first_use():
    # (shutil with bz2/lzma, gzip, csv, wave, pprint with dataclasses: ~8 ms of the import)
    r = _fresh("""
        import json, sys
        import numpy
        optional = ["shutil", "gzip", "csv", "wave", "pprint", "string", "dataclasses"]
        before = {m for m in optional if m in sys.modules}      # (numpy's own, if any)
        import graphflow as tf
        added = [m for m in optional if m in sys.modules and m not in before]
        row = [str(t.numpy().tolist()) for t in tf.io.decode_csv(["1,x"], [[0], ["?"]])]
        print(json.dumps(dict(added=added, row=row, csv="csv" in sys.modules)))
    """)
    assert r["added"] == []
    assert r["row"] == ["[1]", "[b'x']"] and r["csv"]      # the first use imports it


def test_lazy_module_stands_in_until_first_use(tmp_path):
    name = "graphflow_lazy_probe_mod"
    assert name not in sys.modules
    path = str(tmp_path)
    (tmp_path / (name + ".py")).write_text("VALUE = 41\ndef inc(v):\n    return v + 1\n")
    sys.path.insert(0, path)
    try:
        m = lazy_module(name)
        assert isinstance(m, LazyModule) and name not in sys.modules
        assert "not loaded yet" in repr(m)
        assert m.inc(m.VALUE) == 42                  # first read imports it
        assert name in sys.modules and m.inc is sys.modules[name].inc
        assert "VALUE" in m.__dict__ and "loaded" in repr(m)   # later reads: plain lookups
        assert lazy_module(name) is sys.modules[name]          # once imported: the module
        with pytest.raises(AttributeError):
            m.missing
    finally:
        sys.path.remove(path)
        sys.modules.pop(name, None)


def test_lazy_attributes_store_the_value_once():
    calls = []
    ns = {"__name__": "pkg"}
    getattr_, dir_ = lazy_attributes(ns, table={"thing": lambda: calls.append(1) or "value"})
    assert "thing" in dir_() and "thing" not in ns
    assert getattr_("thing") == "value" and ns["thing"] == "value" and calls == [1]
    with pytest.raises(AttributeError, match="'pkg' has no attribute 'other'"):
        getattr_("other")


def test_the_visualizer_loads_at_first_use():
    r = _fresh("""
        import json, sys
        import graphflow as tf
        at_import = "graphflow.viz" in sys.modules
        cf = tf.function(lambda x: x * 2.0, jit_compile=False).get_concrete_function(tf.ones(2))
        page = cf.visualize().html                    # imports graphflow.viz, then draws
        print(json.dumps(dict(at_import=at_import, page=page[:15], same=tf.viz is
                              sys.modules["graphflow.viz"], html=cf._repr_html_()[:7])))
    """)
    assert r == dict(at_import=False, page="<!DOCTYPE html>", same=True, html="<iframe")


# the rarely used namespaces (graphflow.lazy.Namespace): JPEG quality ops, tf.train's
# checkpoints, tf.sets, tf.compat.v1, ... load at first use, with the same members
#: modules `import graphflow` must not import (each costs ms of every fresh process's start
#: and none is needed before its namespace is used); add a module here when deferring it. A
#: module that defines ops (`defop`) is never deferred: the op table is whole after the import
NOT_AT_IMPORT = [
    "graphflow.image_jpeg", "graphflow.checkpoint",
    "graphflow.linalg_extras",
    "graphflow.experimental", "graphflow.sets",
    "graphflow.indexed_slices", "graphflow.ctc_decode", "graphflow.sparse_embedding",
    "graphflow.nn_compat",
    # standard-library modules only those need
    "logging"]


def test_rare_namespaces_load_at_first_use_with_the_same_members():
    r = _fresh(f"""
        import json, sys
        import graphflow as tf
        from graphflow.ops.registry import OPS
        ops_at_import = sorted(OPS)
        at_import = [m for m in {NOT_AT_IMPORT!r} if m in sys.modules]
        listed = {{n: n in dir(tf) for n in ("io", "experimental", "sets",
                                             "IndexedSlices", "fftnd", "edit_distance")}}
        image_dir = dir(tf.image)                       # dir() resolves the deferred members
        from graphflow.io import images
        from graphflow.ops import image_extra_ops, signal_ops
        import graphflow.checkpoint as ck
        same = dict(
            decode_png=tf.image.decode_png is images.decode_png is tf.io.decode_png,
            ssim=tf.image.ssim is image_extra_ops.ssim,
            fftnd=tf.fftnd is tf.signal.fftnd is signal_ops.fftnd,
            jpeg=tf.image.random_jpeg_quality is sys.modules[
                "graphflow.image_jpeg"].random_jpeg_quality,
            checkpoint=tf.train.Checkpoint is ck.Checkpoint,
            load_variable=tf.train.load_variable is ck.load_variable,
            example=tf.train.Example is sys.modules["graphflow.io.proto"].Example,
            io_module=tf.io is sys.modules["graphflow.io"],
            lookup_namespace=type(tf.lookup).__name__ == "Namespace")
        v1_sum = tf.compat.v1.reduce_sum([[1, 2]], reduction_indices=1).numpy().tolist()
        v1_nn = tf.compat.v1.nn.relu is tf.nn.relu
        resize = tf.image.resize(tf.ones((1, 2, 2, 1)), (4, 4)).shape.as_list()
        try:
            tf.image.no_such_op
            missing = None
        except AttributeError as e:
            missing = str(e)
        for ns in (tf.image, tf.train, tf.nn, tf.strings, tf.linalg, tf.math, tf.compat.v1):
            dir(ns)
        ops_complete = sorted(OPS) == ops_at_import     # no deferred module adds an op
        print(json.dumps(dict(at_import=at_import, ops_complete=ops_complete, listed=listed, same=same, v1_sum=v1_sum,
                              v1_nn=v1_nn, image_dir=["decode_png" in image_dir,
                                                      "ssim" in image_dir,
                                                      "resize" in image_dir],
                              resize=resize, missing=missing,
                              logger=tf.get_logger().name)))
    """)
    assert r["at_import"] == [] and r["ops_complete"]
    assert all(r["listed"].values()), r["listed"]
    assert all(r["same"].values()), r["same"]
    assert r["image_dir"] == [True, True, True]
    assert r["v1_sum"] == [3] and r["v1_nn"]
    assert r["resize"] == [1, 4, 4, 1] and r["logger"] == "tensorflow"
    assert "no_such_op" in r["missing"] and "graphflow.image" in r["missing"]


def test_namespace_applies_deferred_groups_in_order_once():
    calls = []
    ns = Namespace("probe", a=1, b=1)
    ns.defer(lambda: calls.append("g1") or {"b": 2, "c": 2})
    ns.defer(lambda: calls.append("g2") or {"c": 3})
    assert ns.a == 1 and calls == []               # present names: no group runs
    assert ns.c == 3 and ns.b == 2 and calls == ["g1", "g2"]   # later groups override
    assert ns.c == 3 and calls == ["g1", "g2"]     # once
    assert {"a", "b", "c"} <= set(dir(ns)) and "_deferred_members" not in dir(ns)
    with pytest.raises(AttributeError, match="'graphflow.probe' has no attribute 'zz'"):
        ns.zz
    with pytest.raises(AttributeError):
        ns.__wrapped__                              # probes stay plain misses
