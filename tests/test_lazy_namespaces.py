"""`import graphflow` imports what eager ops, tapes and tracing need, nothing more: the rarely
used namespaces' modules (JPEG quality ops, tf.train's checkpoints, tf.sets,
tf.compat.v1, ...) load at first use through `graphflow.lazy.Namespace`, and everything
reached through them is what an eager import gave (same objects, `dir` complete)."""
import json
import os
import subprocess
import sys
import textwrap

import pytest

from graphflow.lazy import Namespace

ROOT = os.path.join(os.path.dirname(__file__), "..")

#: modules `import graphflow` must not import (each costs ms of every fresh process's start
#: and none is needed before its namespace is used); add a module here when deferring it. A
#: module that defines ops (`defop`) is never deferred: the op table is whole after the import
NOT_AT_IMPORT = [
    "graphflow.image_jpeg", "graphflow.checkpoint",
    "graphflow.linalg_extras",
    "graphflow.strings_unicode", "graphflow.experimental", "graphflow.sets",
    "graphflow.indexed_slices", "graphflow.ctc_decode", "graphflow.sparse_embedding",
    "graphflow.nn_compat",
    # standard-library modules only those need
    "logging", "unicodedata"]


def _fresh(code):
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


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
