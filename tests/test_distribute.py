"""graphflow.distribute: collective ops, strategies, Keras fit under a strategy.

Single-process tests (the no-op communicator) always run. Multi-process tests launch
`mpiexec -n 2 python tests/distribute_worker.py ...` and compare with one process on the same
global batches; they are skipped (with the reason) where mpiexec or mpi4py is missing.
"""
import json
import os
import shutil
import subprocess
import sys
import time

import numpy as np
import pytest

import graphflow as tf
from graphflow.distribute import strategy as ds
from graphflow.ops import collective_ops as c, random_ops
from graphflow.ops.registry import OPS

from conftest import Recorder

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import distribute_worker as worker  # noqa: E402

COLLECTIVES = ["all_reduce", "broadcast", "reduce_to_root", "all_gather", "reduce_scatter"]


# ------------------------------------------------------------------ op table, one process
def test_collectives_are_ordered_effects_with_matching_vjps():
    for name in COLLECTIVES:
        op = OPS[name]
        assert op.effects == ("collective",) and op.stateful and op.differentiable
    pairs = {"all_reduce": "all_reduce", "broadcast": "reduce_to_root",
             "reduce_to_root": "broadcast", "all_gather": "reduce_scatter",
             "reduce_scatter": "all_gather"}
    x = tf.constant(np.arange(4.0).reshape(2, 2))
    for name, vjp_name in pairs.items():
        f = {"all_reduce": lambda t: c.all_reduce(t, "mean"), "broadcast": c.broadcast,
             "reduce_to_root": c.reduce_to_root, "all_gather": c.all_gather,
             "reduce_scatter": c.reduce_scatter}[name]
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = f(x)
        with Recorder() as rec:
            g = tape.gradient(y, x, output_gradients=tf.ones_like(y) * 3.0)
        assert vjp_name in rec.ops(), (name, rec.ops())
        np.testing.assert_array_equal(g.numpy(), np.full((2, 2), 3.0))   # one worker: identity


def test_single_process_collectives_are_the_identity_and_copy():
    a = np.arange(6.0).reshape(3, 2)
    for f in (lambda t: c.all_reduce(t, "sum"), lambda t: c.all_reduce(t, "mean"), c.broadcast,
              c.reduce_to_root, c.all_gather, c.reduce_scatter):
        np.testing.assert_array_equal(f(tf.constant(a)).numpy(), a)
    assert c.SINGLE_PROCESS.all_reduce(a, "sum") is not a


def test_collective_errors_name_the_op_and_shapes():
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"all_reduce: .*floating.*\(2,\) int32"):
        c.all_reduce(tf.constant([1, 2]), "mean")
    with pytest.raises(tf.errors.InvalidArgumentError, match="all_reduce: reduction must be"):
        c.all_reduce(tf.constant([1.0]), "max")
    with pytest.raises(tf.errors.InvalidArgumentError, match="broadcast: root 3 is not a rank of 1"):
        c.broadcast(tf.constant([1.0]), root=3)
    with pytest.raises(tf.errors.InvalidArgumentError, match="all_gather: needs an input of rank"):
        c.all_gather(tf.constant(1.0))


def test_traced_collectives_stay_in_program_order():
    @tf.function
    def f(x):
        a = c.all_reduce(x, "sum")
        b = c.broadcast(x * 2.0)
        c.all_reduce(x, "sum")   # unused: still issued (every worker must take part)
        return a + b
    x = tf.constant([1.0, 2.0])
    np.testing.assert_allclose(f(x).numpy(), [3.0, 6.0])
    g = f.get_concrete_function(x).optimized   # after DCE, CSE, folding
    nodes = [n for n in g.effects if g.nx.nodes[n]["op"] in COLLECTIVES]
    assert [g.nx.nodes[n]["op"] for n in nodes] == ["all_reduce", "broadcast", "all_reduce"]


def test_bucketed_all_reduce_packs_by_bytes_and_dtype():
    ts = [tf.constant(np.ones((10,), np.float32) * i) for i in range(4)] + \
        [tf.constant(np.ones((3,), np.float64))]
    for bytes_per_pack, expected in [(0, 2), (80, 3), (40, 5)]:
        with Recorder() as rec:
            out = ds.bucketed_all_reduce(ts, "sum", c.SINGLE_PROCESS, bytes_per_pack)
        assert rec.ops().count("all_reduce") == expected, (bytes_per_pack, rec.ops())
        for a, b in zip(out, ts):
            assert a.dtype == b.dtype
            np.testing.assert_array_equal(a.numpy(), b.numpy())


# ------------------------------------------------------------------ strategy API, one process
def test_strategy_api_single_process():
    s = tf.distribute.MultiWorkerMirroredStrategy()
    assert s.num_replicas_in_sync == 1 and s.is_chief
    assert tf.distribute.get_replica_context() is not None   # default context
    with s.scope():
        assert tf.distribute.has_strategy() and tf.distribute.get_strategy() is s
        assert tf.distribute.get_replica_context() is None   # cross-replica context

        def step(x):
            ctx = tf.distribute.get_replica_context()
            return ctx.all_reduce(tf.distribute.ReduceOp.SUM, {"a": x * 2.0, "b": x})
        out = s.run(step, args=(tf.constant([1.0, 2.0]),))
        np.testing.assert_array_equal(out["a"].numpy(), [2.0, 4.0])
        v = tf.constant([[1.0, 2.0], [3.0, 6.0]])
        np.testing.assert_allclose(s.reduce("MEAN", v, axis=0).numpy(), [2.0, 4.0])
        np.testing.assert_allclose(s.reduce(tf.distribute.ReduceOp.SUM, v, axis=None).numpy(),
                                   v.numpy())
    assert not tf.distribute.has_strategy()
    batches = list(s.experimental_distribute_dataset([np.arange(4), (np.ones(2), np.zeros(2))]))
    np.testing.assert_array_equal(batches[0], np.arange(4))
    with pytest.raises(ValueError, match="ReduceOp"):
        s.reduce("max", v)


def test_shard_array_splits_evenly_and_refuses_empty_shards():
    class Two(c.SingleProcessCommunicator):
        size = 2

        def __init__(self, rank):
            self.rank = rank
    parts = [ds.shard_array(np.arange(7), Two(r)) for r in (0, 1)]
    assert [p.tolist() for p in parts] == [[0, 1, 2, 3], [4, 5, 6]] or \
        [len(p) for p in parts] in ([4, 3], [3, 4])
    np.testing.assert_array_equal(np.concatenate(parts), np.arange(7))
    with pytest.raises(ValueError, match="cannot be split over 2 workers"):
        ds.shard_array(np.arange(1), Two(0))


def test_keras_fit_under_single_process_strategy_matches_plain_fit():
    x, y = worker.data()
    plain = worker.make_model(tf)
    h1, ev1, p1 = worker.fit(tf, plain, epochs=2)
    with tf.distribute.MirroredStrategy().scope():
        model = worker.make_model(tf)
    h2, ev2, p2 = worker.fit(tf, model, epochs=2)
    for a, b in zip(plain.get_weights(), model.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(h1["loss"], h2["loss"], rtol=1e-5)
    np.testing.assert_allclose(p1, p2, rtol=1e-5, atol=1e-6)
    cf = model.train_function.get_concrete_function((x[:12], y[:12]))   # traced by fit
    ops = [d["op"] for _, d in cf.optimized.nx.nodes(data=True)]
    assert "all_reduce" not in ops   # one worker: no collective in the step (it is the identity)
    with tf.distribute.MultiWorkerMirroredStrategy(communicator=FakeWorker(rank=0)).scope():
        two = worker.make_model(tf)
        two.fit(x, y, batch_size=12, epochs=1, verbose=0)
    cf = two.train_function.get_concrete_function((x[:6], y[:6]))
    ops = [d["op"] for _, d in cf.optimized.nx.nodes(data=True)]
    assert ops.count("all_reduce") == 1   # two workers: the gradients in one bucketed message


class FakeWorker(c.SingleProcessCommunicator):
    """Worker `rank` of `size` in one process: collectives return what worker 0 would send
    (`zero`) or raise `error` - enough to test the hooks that do not need real peers."""

    def __init__(self, rank=1, size=2, error=None):
        self.rank, self.size, self.error = rank, size, error

    def broadcast(self, x, root):
        return np.zeros_like(x)   # worker 0's value, in these tests

    def all_reduce(self, x, reduction):
        if self.error is not None:
            raise self.error
        return np.array(x, copy=True)

    def allgather_object(self, obj):
        return [obj] * self.size


def test_random_streams_per_replica_worker0_draws_like_one_process():
    def draws():
        tf.random.set_seed(7)
        return np.concatenate([tf.random.uniform((3,)).numpy(),
                               tf.random.normal((2,), seed=5).numpy(),
                               tf.function(lambda: tf.random.uniform((2,)))().numpy()])
    one = draws()
    with c.using_communicator(FakeWorker(rank=0)):
        np.testing.assert_array_equal(draws(), one)   # worker 0 == a single process
    with c.using_communicator(FakeWorker(rank=1)):
        r1 = draws()
        np.testing.assert_array_equal(draws(), r1)    # reproducible
    with c.using_communicator(FakeWorker(rank=2, size=3)):
        r2 = draws()
    assert not np.isclose(one, r1).any() and not np.isclose(r1, r2).any()
    # get_state / set_state repeat every stream, worker 0's and the others'
    with c.using_communicator(FakeWorker(rank=1)):
        tf.random.set_seed(3)
        tf.random.uniform((2,), seed=1)
        state = random_ops.get_state()
        a = [tf.random.uniform((4,)).numpy(), tf.random.uniform((2,), seed=1).numpy()]
        random_ops.set_state(state)
        b = [tf.random.uniform((4,)).numpy(), tf.random.uniform((2,), seed=1).numpy()]
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)


def test_variables_created_in_a_multi_worker_scope_take_worker0_values():
    s = tf.distribute.MultiWorkerMirroredStrategy(communicator=FakeWorker(rank=1))
    outside = tf.Variable([1.0, 2.0])
    with s.scope():
        v = tf.Variable([1.0, 2.0])
        layer = tf.keras.layers.Dense(2)
        layer.build((None, 3))
    np.testing.assert_array_equal(outside.numpy(), [1.0, 2.0])
    np.testing.assert_array_equal(v.numpy(), [0.0, 0.0])   # FakeWorker's "worker 0" value
    np.testing.assert_array_equal(layer.kernel.numpy(), np.zeros((3, 2)))


def test_deadline_in_a_traced_step_stays_a_deadline_exceeded_error():
    err = tf.errors.DeadlineExceededError("all_reduce: the collective did not complete within 1 s")
    s = tf.distribute.MultiWorkerMirroredStrategy(communicator=FakeWorker(rank=0, error=err))

    @tf.function
    def step(x):
        return c.all_reduce(x * 2.0, "sum")
    with s.scope():
        with pytest.raises(tf.errors.DeadlineExceededError,
                           match=r"all_reduce \(node \d+, traced at test_distribute.py:\d+\).*"
                                 r"did not complete within 1 s"):
            step(tf.constant([1.0]))


def test_chief_only_callbacks_run_on_worker0_only():
    calls = []

    class Log(tf.keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            calls.append((self.name, tf.distribute.get_strategy().worker_index))

    class ChiefLog(Log):
        chief_only = True   # as ModelCheckpoint and TensorBoard
    assert tf.keras.callbacks.ModelCheckpoint.chief_only and tf.keras.callbacks.TensorBoard.chief_only
    a, b = Log(), ChiefLog()
    a.name, b.name = "all", "chief"
    cbs = tf.keras.callbacks.CallbackList([a, b])
    for rank in (0, 1):
        with tf.distribute.MultiWorkerMirroredStrategy(communicator=FakeWorker(rank=rank)).scope():
            cbs.on_epoch_end(0, {"loss": 1.0})
    cbs.on_epoch_end(0, {"loss": 1.0})   # no strategy: one process is the chief
    assert calls == [("all", 0), ("chief", 0), ("all", 1), ("all", 0), ("chief", 0)]


def test_fit_on_a_dataset_under_a_strategy_trains_on_this_workers_rows_of_each_batch():
    x, y = worker.data()
    ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(12)
    sharded = worker.make_model(tf)
    with tf.distribute.MultiWorkerMirroredStrategy(communicator=FakeWorker(rank=1)).scope():
        sharded.fit(ds, epochs=2, verbose=0)   # worker 1 of 2: rows 6..11 of every batch of 12
    rows = np.concatenate([np.arange(i + 6, i + 12) for i in range(0, 48, 12)])
    plain = worker.make_model(tf)
    plain.fit(x[rows], y[rows], batch_size=6, epochs=2, shuffle=False, verbose=0)
    for a, b in zip(plain.get_weights(), sharded.get_weights()):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)


def test_backup_and_restore_resumes_with_identical_results(tmp_path):
    x, y = worker.data()

    class Crash(tf.keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 2:
                raise RuntimeError("simulated crash")

    def run(callbacks):
        model = worker.make_model(tf, dropout=0.5)   # dropout: the random streams must resume too
        h = model.fit(x, y, batch_size=12, epochs=4, verbose=0, callbacks=callbacks)
        return model, h
    full, h_full = run([])
    backup = tf.keras.callbacks.BackupAndRestore(str(tmp_path / "backup"))
    with pytest.raises(RuntimeError, match="simulated crash"):
        run([backup, Crash()])
    assert (tmp_path / "backup" / backup.FILENAME).exists()
    resumed, h = run([backup])
    assert h.epoch == [2, 3]
    np.testing.assert_allclose(h.history["loss"], h_full.history["loss"][2:], rtol=1e-6)
    for a, b in zip(full.get_weights(), resumed.get_weights()):
        np.testing.assert_allclose(b, a, rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(full.optimizer.iterations.numpy(), resumed.optimizer.iterations.numpy())
    assert not (tmp_path / "backup" / backup.FILENAME).exists()   # deleted after finishing
    with pytest.raises(ValueError, match="save_freq must be 'epoch'"):
        tf.keras.callbacks.BackupAndRestore(str(tmp_path), save_freq=10)


# ------------------------------------------------------------------ several processes (MPI)
def _mpi_reason():
    if shutil.which("mpiexec") is None and not os.path.exists(
            os.path.join(os.path.dirname(sys.executable), "mpiexec")):
        return "mpiexec not found (pip install 'graphflow[distributed]')"
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        return "mpi4py is not installed (pip install 'graphflow[distributed]')"
    return None


MPI_MISSING = _mpi_reason()
needs_mpi = pytest.mark.skipif(MPI_MISSING is not None, reason=str(MPI_MISSING))


def _mpiexec(mode, tmp_path, n=2, timeout=240, **env):
    exe = shutil.which("mpiexec") or os.path.join(os.path.dirname(sys.executable), "mpiexec")
    e = dict(os.environ, **{k: str(v) for k, v in env.items()})
    for var in ("PMI_SIZE", "PMI_RANK", "OMPI_COMM_WORLD_SIZE", "PMIX_SIZE"):
        e.pop(var, None)
    t0 = time.monotonic()
    p = subprocess.run([exe, "-n", str(n), sys.executable, os.path.join(HERE, "distribute_worker.py"),
                        mode, str(tmp_path)], capture_output=True, text=True, timeout=timeout, env=e)
    return p, time.monotonic() - t0


@needs_mpi
def test_mpi_collectives_values_and_gradients(tmp_path):
    p, _ = _mpiexec("collectives", tmp_path)
    assert p.returncode == 0, p.stdout + p.stderr
    r = json.load(open(tmp_path / "collectives.json"))
    x0, x1 = np.arange(4.0), np.arange(4.0) + 10
    assert r["size"] == 2
    np.testing.assert_allclose(r["sum"], x0 + x1)
    np.testing.assert_allclose(r["mean"], (x0 + x1) / 2)
    np.testing.assert_allclose(r["bcast"], x1)
    np.testing.assert_allclose(r["gather"], np.concatenate([x0, x1]).reshape(4, 2))
    np.testing.assert_allclose(r["scatter"], (x0 + x1).reshape(2, 2)[:1])
    np.testing.assert_allclose(r["to_root"], x0 + x1)
    # loss = sum over workers r of (r+1) * sum(f(x)**2); gradients on worker 0:
    np.testing.assert_allclose(r["g_sum"], 3 * 2 * (x0 + x1))
    np.testing.assert_allclose(r["g_mean"], 3 * 2 * (x0 + x1) / 2 / 2)
    np.testing.assert_allclose(r["g_bcast"], 0 * x0)            # worker 1 is the root
    np.testing.assert_allclose(r["g_gather"], 3 * 2 * x0)
    np.testing.assert_allclose(r["traced"], 2 * (x0 + x1) + x0)
    assert r["reduce_mean_axis"] == pytest.approx(np.concatenate([x0, x1]).mean())
    assert r["dataset"] == [[0, 1, 2], [6, 7]]
    # per-replica random streams: worker 0 draws what one process draws, worker 1 its own stream
    def draws():
        tf.random.set_seed(7)
        return [tf.random.uniform((3,)).numpy(), tf.random.normal((2,), seed=5).numpy(),
                tf.function(lambda: tf.random.uniform((2,)))().numpy()]
    one = draws()
    with c.using_communicator(FakeWorker(rank=1)):
        other = draws()
    for got, a, b in zip(r["random"], one, other):
        np.testing.assert_allclose(got[0], a, rtol=1e-6)
        np.testing.assert_allclose(got[1], b, rtol=1e-6)
    np.testing.assert_array_equal(r["variable"], np.zeros((2, 3)))   # worker 0's initial value


@needs_mpi
@pytest.mark.parametrize("jit,bytes_per_pack", [(False, 0), (True, 64)], ids=["numpy", "numba-packs"])
def test_mpi_fit_matches_one_process_on_the_same_global_batches(tmp_path, jit, bytes_per_pack):
    p, _ = _mpiexec("fit", tmp_path, JIT=int(jit), BYTES_PER_PACK=bytes_per_pack)
    assert p.returncode == 0, p.stdout + p.stderr
    r = json.load(open(tmp_path / "fit.json"))
    model = worker.make_model(tf)
    history, ev, pred = worker.fit(tf, model)
    for a, b in zip(model.get_weights(), r["weights"]):
        np.testing.assert_allclose(np.asarray(b), a, rtol=1e-4, atol=1e-5)
    for k in history:
        np.testing.assert_allclose(r["history"][k], history[k], rtol=1e-4)
    for k in ev:
        assert r["evaluate"][k] == pytest.approx(ev[k], rel=1e-4)
    np.testing.assert_allclose(np.asarray(r["pred"]), pred, rtol=1e-4, atol=1e-5)
    ds_model = worker.make_model(tf)
    ds_model.fit(worker.dataset(tf), epochs=2, verbose=0)
    for a, b in zip(ds_model.get_weights(), r["dataset_weights"]):
        np.testing.assert_allclose(np.asarray(b), a, rtol=1e-4, atol=1e-5)
    assert r["dataset_evaluate"] == pytest.approx(
        ds_model.evaluate(worker.dataset(tf), verbose=0), rel=1e-4)


@needs_mpi
def test_mpi_hanging_worker_fails_the_job_with_a_clear_error_within_the_timeout(tmp_path):
    p, elapsed = _mpiexec("hang", tmp_path, timeout=90, WORKER_TIMEOUT=3)
    out = p.stdout + p.stderr
    assert p.returncode != 0
    assert "did not complete within 3 s on worker 0 of 2" in out, out[-3000:]
    assert "all_reduce" in out and "DeadlineExceededError" in out and elapsed < 60


@needs_mpi
def test_mpi_killed_worker_fails_the_job_and_a_restart_resumes_identically(tmp_path):
    (tmp_path / "full").mkdir()
    full, _ = _mpiexec("resume", tmp_path / "full")   # uninterrupted
    assert full.returncode == 0, full.stdout + full.stderr
    (tmp_path / "job").mkdir()
    killed, elapsed = _mpiexec("resume", tmp_path / "job", timeout=90, WORKER_TIMEOUT=5, KILL_AT=2)
    assert killed.returncode != 0 and elapsed < 60, killed.stdout + killed.stderr
    assert not (tmp_path / "job" / "resume.json").exists()
    assert (tmp_path / "job" / "backup" / "graphflow_backup.pkl").exists()
    again, _ = _mpiexec("resume", tmp_path / "job")   # the same command, restarted
    assert again.returncode == 0, again.stdout + again.stderr
    a = json.load(open(tmp_path / "full" / "resume.json"))
    b = json.load(open(tmp_path / "job" / "resume.json"))
    assert a["epochs"] == [0, 1, 2, 3] and b["epochs"] == [2, 3]
    np.testing.assert_allclose(b["loss"], a["loss"][2:], rtol=1e-6)
    for u, v in zip(a["weights"], b["weights"]):
        np.testing.assert_allclose(v, u, rtol=1e-6, atol=1e-7)
    assert not (tmp_path / "job" / "backup" / "graphflow_backup.pkl").exists()


@needs_mpi
def test_mpi_scaling_benchmark_runs_one_all_reduce_per_step_and_keeps_workers_in_sync(tmp_path):
    out = tmp_path / "bench.json"
    p = subprocess.run([sys.executable, os.path.join(HERE, "..", "tools", "bench_distributed.py"),
                        "--workers", "2", "--modes", "strong", "--steps", "3", "--warmup", "1",
                        "--numpy", "--json", str(out)], capture_output=True, text=True, timeout=240)
    assert p.returncode == 0, p.stdout + p.stderr
    (row,) = json.load(open(out))["rows"]
    assert row["workers"] == 2 and row["global_batch"] == 128 and row["per_worker_batch"] == 64
    assert row["weights_agree"] and row["collectives_per_step"] == 1   # one bucketed message
    assert row["samples_per_s"] > 0 and all(0 <= s <= 1 for s in row["comm_share"])
