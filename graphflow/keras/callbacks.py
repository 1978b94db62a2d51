"""Training callbacks (`keras.callbacks`) and the progress bar `fit` / `evaluate` print.

>>> from graphflow.keras.callbacks import Progbar
>>> import io; out = io.StringIO()
>>> bar = Progbar(4, stream=out, interactive=False)
>>> bar.update(4, {"loss": 0.5}, finalize=True)
>>> out.getvalue().startswith("4/4 ━━━━━━━━━━━━━━━━━━━━ 0s")
True
"""
import collections.abc
import csv
import math
import os
import re
import sys
import time
import warnings

import numpy as np

from ..distribute import strategy as _ds
from ..ops import random_ops as _random


# ------------------------------------------------------------------ progress bar
def _fmt_value(v, signed=True):
    """Keras 3: 4 decimals, or 4 significant digits for small values (verbose=2 tests the
    value itself, verbose=1 its magnitude)."""
    v = float(v)
    return f"{v:.4f}" if (abs(v) if signed else v) > 1e-3 else f"{v:.4e}"


def _fmt_eta(seconds):
    if seconds > 3600:
        return f"{int(seconds // 3600)}:{int(seconds % 3600 // 60):02d}:{int(seconds % 60):02d}"
    if seconds > 60:
        return f"{int(seconds // 60)}:{int(seconds % 60):02d}"
    return f"{int(seconds)}s"


def _fmt_step(seconds, unit="step"):
    if seconds >= 1 or seconds == 0:
        return f"{seconds:.0f}s/{unit}"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f}ms/{unit}"
    return f"{seconds * 1e6:.0f}us/{unit}"


_ANSI = re.compile(r"\x1b\[\d+m")


def _ansi(code, text, on):
    return f"\x1b[{code}m{text}\x1b[0m" if on else text


class Progbar:
    """Keras 3's progress bar: `4/4 ━━━━━━━━━━━━━━━━━━━━ 0s 9ms/step - loss: 0.8336`.
    verbose=1: a bar redrawn in place on a terminal, in Keras' colours (only the final line,
    plain, otherwise); verbose=2: one summary line at the end. The time per step leaves out
    the first step (it includes tracing and compiling), as Keras 3's estimate does.

    `update(current, values)` takes a dict of values to show as they are (what fit passes) or,
    as Keras' `keras.utils.Progbar`, a list of (name, value) pairs: those are averaged over the
    steps seen (weighted by the step increments) unless named in `stateful_metrics`.

    >>> import io; out = io.StringIO()
    >>> bar = Progbar(2, stream=out, interactive=False, stateful_metrics=["acc"])
    >>> bar.update(1, [("loss", 1.0), ("acc", 0.5)]); bar.add(1, [("loss", 3.0), ("acc", 0.75)])
    >>> out.getvalue().strip().split(" - ")[-2:]
    ['loss: 2.0000', 'acc: 0.7500']
    """

    def __init__(self, target, width=20, verbose=1, interval=0.05, stateful_metrics=None,
                 unit_name="step", stream=None, interactive=None):
        self.target, self.width, self.verbose, self.interval = target, width, verbose, interval
        self.stateful_metrics = set(stateful_metrics or ())
        self.unit_name = unit_name
        self._sums = {}          # name -> [weighted sum, weight] (Keras' averaging)
        self._seen = 0
        self.stream = stream or sys.stdout
        if interactive is None:
            interactive = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.interactive = interactive
        self.start = time.perf_counter()
        self._after_first = None   # when step 1 ended (Keras' per-step time starts there)
        self._last = 0.0
        self._prev_len = 0

    def _per_step(self, current, now):
        """Keras 3's estimate: from the end of step 1 (`due` notes it: it sees every step)."""
        if self._after_first is not None and current > 1:
            return (now - self._after_first) / (current - 1)
        return (now - self.start) / max(current, 1)

    def _line(self, current, values, finalize):
        now = time.perf_counter()
        elapsed = now - self.start
        per_step = self._per_step(current, now)
        signed = self.verbose != 2
        metrics = "".join(f" - {k}: {_fmt_value(v, signed)}" for k, v in values.items()
                          if isinstance(v, (int, float, np.floating, np.integer)))
        step = _fmt_step(per_step, self.unit_name)
        if self.verbose == 2:
            return f"{current}/{self.target} - {elapsed:.0f}s - {step}{metrics}"
        color = self.interactive
        if self.target:
            w = len(str(self.target))
            filled = int(self.width * min(current / self.target, 1.0))
            head = (_ansi(1, f"{current:>{w}}/{self.target}", color) + " "
                    + (_ansi(32, "━" * filled, color) if filled else "")
                    + _ansi(37, "━" * (self.width - filled), color))
        else:
            head = f"{current:7d}/Unknown"
        if self.target and not finalize:
            when = _fmt_eta(per_step * (self.target - current))
        else:
            when = f"{elapsed:.0f}s"
        return f"{head} {_ansi(1, when, color)} {step}{metrics}"

    def _average(self, current, pairs):
        """Keras' running values: (name, value) pairs averaged over the steps since the last
        update (stateful metrics shown as given)."""
        step = max(current - self._seen, 1)
        for k, v in pairs:
            v = float(np.mean(np.asarray(getattr(v, "numpy", lambda: v)())))
            if k in self.stateful_metrics:
                self._sums[k] = [v, 1]
            else:
                acc = self._sums.setdefault(k, [0.0, 0])
                acc[0] += v * step
                acc[1] += step
        self._seen = current
        return {k: s / max(n, 1) for k, (s, n) in self._sums.items()}

    def add(self, n, values=None):
        """Advance by `n` steps (Keras' Progbar.add)."""
        self.update(self._seen + n, values)

    def due(self, current, finalize=None):
        """True if `update(current, ...)` would draw a line now: fit reads a step's logs (and
        converts them to floats) only then."""
        if current == 1 and self._after_first is None:   # (fit asks at every step)
            self._after_first = time.perf_counter()
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        if self.verbose == 0:
            return False
        return finalize or (self.verbose == 1 and self.interactive and
                            time.perf_counter() - self._last >= self.interval)

    def update(self, current, values=None, finalize=None):
        if isinstance(values, (list, tuple)):
            values = self._average(current, values)
        else:
            self._seen = current
        values = values or {}
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        if not self.due(current, finalize):
            return
        if not finalize:
            self._last = time.perf_counter()
        line = self._line(current, values, finalize)
        if self.interactive and self.verbose == 1:
            width = len(_ANSI.sub("", line))
            pad = max(self._prev_len - width, 0)
            self.stream.write("\r" + line + " " * pad + ("\n" if finalize else ""))
            self._prev_len = width
        else:
            self.stream.write(line + "\n")
        self.stream.flush()


# ------------------------------------------------------------------ callbacks
class Callback:
    """Base class: override the `on_*` hooks; `self.model` and `self.params` are set by fit.

    `chief_only = True` (ModelCheckpoint, TensorBoard): under a multi-worker distribution
    strategy only worker 0 runs the callback's hooks (the others would write the same files).
    """
    chief_only = False

    def __init__(self):
        self.model = None
        self.params = {}

    def set_model(self, model):
        self.model = model

    def set_params(self, params):
        self.params = params

    def on_train_begin(self, logs=None): pass
    def on_train_end(self, logs=None): pass
    def on_epoch_begin(self, epoch, logs=None): pass
    def on_epoch_end(self, epoch, logs=None): pass
    def on_batch_begin(self, batch, logs=None): pass
    def on_batch_end(self, batch, logs=None): pass

    def on_train_batch_begin(self, batch, logs=None):
        """Keras: by default calls `on_batch_begin` (the older name of this hook)."""
        self.on_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch, logs=None):
        """Keras: by default calls `on_batch_end` (the older name of this hook)."""
        self.on_batch_end(batch, logs=logs)

    def on_test_begin(self, logs=None): pass
    def on_test_end(self, logs=None): pass
    def on_test_batch_begin(self, batch, logs=None): pass
    def on_test_batch_end(self, batch, logs=None): pass
    def on_predict_begin(self, logs=None): pass
    def on_predict_end(self, logs=None): pass
    def on_predict_batch_begin(self, batch, logs=None): pass
    def on_predict_batch_end(self, batch, logs=None): pass



#: hooks whose only argument is `logs` (the others take an epoch or batch index first)
_LOGS_ONLY_HOOKS = frozenset(f"on_{m}_{e}" for m in ("train", "test", "predict")
                             for e in ("begin", "end"))


class CallbackList:
    """Fans each hook out to a list of callbacks."""

    def __init__(self, callbacks=None, model=None, **params):
        # (a single callback too: Keras 3 flattens what it is given)
        self.callbacks = [callbacks] if isinstance(callbacks, Callback) else list(callbacks or [])
        self._hooked = {}
        if model is not None:
            for c in self.callbacks:
                c.set_model(model)
        for c in self.callbacks:
            c.set_params(params)

    def append(self, cb):
        self.callbacks.append(cb)
        self._hooked.clear()

    def _hooks(self, name):
        """The callbacks whose hook `name` does something (not Callback's no-op; a train batch
        hook also runs the older on_batch_* name), found once per list: fit's steps call only
        these, so a fit with History and a progress bar makes no per-step hook calls."""
        hooked = self._hooked
        if name not in hooked:
            names = [name] + ([name.replace("_train", "")] if "_train_batch_" in name else [])
            chief = _ds.is_chief()
            hooked[name] = [c for c in self.callbacks if (chief or not c.chief_only) and any(
                n in getattr(c, "__dict__", ()) or   # (LambdaCallback's hooks: attributes)
                getattr(type(c), n, None) is not getattr(Callback, n) for n in names)]
        return hooked[name]

    def batch_begin(self, kind, step):
        """on_<kind>_batch_begin(step, {}) on the callbacks that define it."""
        for c in self._hooks(f"on_{kind}_batch_begin"):
            getattr(c, f"on_{kind}_batch_begin")(step, {})

    def batch_end(self, kind, step, logs):
        """on_<kind>_batch_end(step, logs()) on the callbacks that define it; `logs` is called
        (the step's values converted to Python floats) only if one of them reads it - a
        callback with `wants_batch_logs(step)` False (the progress bar between redraws) is
        skipped."""
        name = f"on_{kind}_batch_end"
        for c in self._hooks(name):
            wants = getattr(c, "wants_batch_logs", None)
            if wants is None or wants(step):
                getattr(c, name)(step, logs())

    def __getattr__(self, name):
        if not name.startswith("on_"):
            raise AttributeError(name)

        def fan_out(*args, **kwargs):
            # Keras 3 hands every hook a logs dict - {} where it has none - never None
            n = 1 if name in _LOGS_ONLY_HOOKS else 2
            if "logs" in kwargs:
                if kwargs["logs"] is None:
                    kwargs["logs"] = {}
            elif len(args) == n - 1:
                args = args + ({},)
            elif len(args) == n and args[-1] is None:
                args = args[:-1] + ({},)
            chief = _ds.is_chief()
            for c in self.callbacks:
                if chief or not c.chief_only:
                    getattr(c, name)(*args, **kwargs)
        return fan_out


class History(Callback):
    """Records the epoch logs: `history.history['loss']` is the list of epoch losses."""

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.epoch = []
        self.history = {}

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for k, v in (logs or {}).items():
            self.history.setdefault(k, []).append(v)
        if self.model is not None:
            self.model.history = self


class ProgbarLogger(Callback):
    """Prints `Epoch i/n` and the progress bar during fit (Keras' verbose=1 / 2)."""

    def __init__(self, verbose=1, stream=None):
        super().__init__()
        self.verbose, self.stream = verbose, stream
        self._bar = None

    def on_epoch_begin(self, epoch, logs=None):
        if self.verbose:
            out = self.stream or sys.stdout
            out.write(f"Epoch {epoch + 1}/{self.params.get('epochs', '?')}\n")
            out.flush()
        self._bar = Progbar(self.params.get("steps"), verbose=self.verbose, stream=self.stream)

    def on_train_batch_end(self, batch, logs=None):
        if self._bar is not None:
            self._bar.update(batch + 1, logs, finalize=False)

    def wants_batch_logs(self, batch):
        """Whether this batch's end draws the bar (`CallbackList.batch_end` skips the call, and
        the logs' conversion, otherwise; a subclass's own batch hook is always called)."""
        if type(self).on_train_batch_end is not ProgbarLogger.on_train_batch_end:
            return True
        return self._bar is not None and self._bar.due(batch + 1, finalize=False)

    def on_epoch_end(self, epoch, logs=None):
        if self._bar is not None:
            self._bar.update(self.params.get("steps") or 0, logs, finalize=True)


class LambdaCallback(Callback):
    """A callback from functions: `LambdaCallback(on_epoch_end=lambda epoch, logs: ...)`."""

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_train_begin=None,
                 on_train_end=None, on_train_batch_begin=None, on_train_batch_end=None, **kwargs):
        super().__init__()
        hooks = dict(on_epoch_begin=on_epoch_begin, on_epoch_end=on_epoch_end,
                     on_train_begin=on_train_begin, on_train_end=on_train_end,
                     on_train_batch_begin=on_train_batch_begin,
                     on_train_batch_end=on_train_batch_end,
                     on_batch_begin=kwargs.pop("on_batch_begin", None),
                     on_batch_end=kwargs.pop("on_batch_end", None), **kwargs)
        for name, fn in hooks.items():
            if fn is not None:
                if name == "on_batch_begin":
                    name = "on_train_batch_begin"
                elif name == "on_batch_end":
                    name = "on_train_batch_end"
                setattr(self, name, fn)


def _monitor_mode(monitor, mode):
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"mode must be 'auto', 'min' or 'max', got {mode!r}")
    if mode == "auto":
        mode = "max" if any(s in monitor for s in ("acc", "auc", "precision", "recall")) else "min"
    return mode


class EarlyStopping(Callback):
    """Stop training when `monitor` stops improving for `patience` epochs."""

    def __init__(self, monitor="val_loss", min_delta=0.0, patience=0, verbose=0, mode="auto",
                 baseline=None, restore_best_weights=False, start_from_epoch=0):
        super().__init__()
        self.monitor, self.min_delta, self.patience = monitor, abs(min_delta), patience
        self.verbose, self.baseline = verbose, baseline
        self.restore_best_weights, self.start_from_epoch = restore_best_weights, start_from_epoch
        self.mode = _monitor_mode(monitor, mode)
        self.stopped_epoch = 0

    def _better(self, a, b):
        if b is None:
            return True
        return a < b - self.min_delta if self.mode == "min" else a > b + self.min_delta

    def on_train_begin(self, logs=None):
        self.wait, self.stopped_epoch = 0, 0
        self.best, self.best_weights, self.best_epoch = self.baseline, None, 0

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.monitor)
        if value is None:
            warnings.warn(f"EarlyStopping: metric '{self.monitor}' is not available; available "
                          f"metrics are {sorted(logs or {})}", stacklevel=2)
            return
        if epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = self.model.get_weights()
        self.wait += 1
        if self._better(value, self.best):
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch and self.verbose:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        # Keras 3.15: the best weights come back at the end of training, stopped early or not
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose:
                print(f"Restoring model weights from the end of the best epoch: "
                      f"{self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)


class LearningRateScheduler(Callback):
    """Set the learning rate at each epoch start: `schedule(epoch, lr) -> new lr`."""

    def __init__(self, schedule, verbose=0):
        super().__init__()
        self.schedule, self.verbose = schedule, verbose

    def on_epoch_begin(self, epoch, logs=None):
        opt = self.model.optimizer
        lr = float(opt.learning_rate.numpy()) if hasattr(opt.learning_rate, "numpy") else None
        try:
            new = self.schedule(epoch, lr)
        except TypeError:
            new = self.schedule(epoch)
        opt.learning_rate = float(new)
        if self.verbose:
            print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to {new}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = float(self.model.optimizer.learning_rate.numpy())


class ReduceLROnPlateau(Callback):
    """Multiply the learning rate by `factor` when `monitor` has not improved for `patience`."""

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto",
                 min_delta=1e-4, cooldown=0, min_lr=0.0):
        super().__init__()
        if factor >= 1.0:
            raise ValueError("ReduceLROnPlateau: factor must be < 1")
        self.monitor, self.factor, self.patience, self.verbose = monitor, factor, patience, verbose
        self.mode = _monitor_mode(monitor, mode)
        self.min_delta, self.cooldown, self.min_lr = min_delta, cooldown, min_lr

    def on_train_begin(self, logs=None):
        self.best, self.wait, self.cooldown_counter = None, 0, 0

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.monitor)
        opt = self.model.optimizer
        if logs is not None:
            logs["learning_rate"] = float(opt.learning_rate.numpy())
        if value is None:
            return
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        better = self.best is None or (value < self.best - self.min_delta if self.mode == "min"
                                       else value > self.best + self.min_delta)
        if better:
            self.best, self.wait = value, 0
        elif self.cooldown_counter <= 0:
            self.wait += 1
            if self.wait >= self.patience:
                old = float(opt.learning_rate.numpy())
                new = max(old * self.factor, self.min_lr)
                if old > new:
                    opt.learning_rate = new
                    if self.verbose:
                        print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate "
                              f"to {new}.")
                self.cooldown_counter, self.wait = self.cooldown, 0


class TerminateOnNaN(Callback):
    """Stop training as soon as the batch loss is NaN or infinite."""

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(loss):
            print(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True


class ModelCheckpoint(Callback):
    """Save the model after each epoch (`save_freq="epoch"`) or every `save_freq` batches,
    or only when `monitor` improves (`save_best_only`). As in Keras 3, a `.keras` filepath
    saves the whole model (`model.save`) and `save_weights_only=True` / a `.weights.h5` path
    saves the weights. `filepath` may contain `{epoch}`, `{batch}` and log keys
    (`"ckpt-loss={loss:.2f}.keras"`). Under a multi-worker strategy only worker 0 saves.

    >>> ModelCheckpoint("m.weights.h5", save_weights_only=True).save_freq
    'epoch'
    """
    chief_only = True

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False,
                 save_weights_only=False, mode="auto", save_freq="epoch",
                 initial_value_threshold=None):
        super().__init__()
        self.filepath, self.monitor, self.verbose = str(filepath), monitor, verbose
        self.save_best_only = save_best_only
        self.save_weights_only = bool(save_weights_only) or \
            self.filepath.endswith(".weights.h5")
        if self.save_weights_only and not self.filepath.endswith(".weights.h5"):
            raise ValueError("When using `save_weights_only=True` in `ModelCheckpoint`, the "
                             "filepath provided must end in `.weights.h5` (Keras weights "
                             f"format). Received: filepath={self.filepath}")
        if not self.save_weights_only and not self.filepath.endswith((".keras", ".h5")):
            # (Keras 3.15's message; a `.h5` name is the legacy HDF5 model file)
            raise ValueError("The filepath provided must end in `.keras` (Keras model format). "
                             f"Received: filepath={self.filepath}")
        if save_freq != "epoch" and not (isinstance(save_freq, int) and save_freq > 0):
            raise ValueError(f"ModelCheckpoint: save_freq must be 'epoch' or a positive "
                             f"integer (batches), got {save_freq!r}")
        self.save_freq = save_freq
        self.mode = _monitor_mode(monitor, mode)
        self.best = initial_value_threshold
        self._batches_seen = 0
        self._epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        self._batches_seen += 1
        if self.save_freq != "epoch" and self._batches_seen % self.save_freq == 0:
            self._save(self._epoch, batch, logs or {})

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._save(epoch, None, logs or {})

    def _save(self, epoch, batch, logs):
        fmt = dict(logs, epoch=epoch + 1)
        if batch is not None:
            fmt["batch"] = batch + 1
        path = self.filepath.format(**fmt)
        if not self._should_save(epoch, logs, path):
            return
        if os.path.dirname(path):   # Keras 3 creates the directory (save_weights does not)
            os.makedirs(os.path.dirname(path), exist_ok=True)
        if self.save_weights_only:
            self.model.save_weights(path)
        else:
            self.model.save(path)
        if self.verbose:
            print(f"\nEpoch {epoch + 1}: finished saving model to {path}")

    def _should_save(self, epoch, logs, path):
        """Keras 3's decision and messages: with save_best_only, save when `monitor` improved
        ('val_loss improved from 1.08614 to 1.05, saving model to ...'), and also when the
        logs lack `monitor` (with a warning, as Keras)."""
        value = logs.get(self.monitor) if self.save_best_only else None
        if self.save_best_only and value is None:
            warnings.warn(f"Can save best model only with {self.monitor} available.",
                          stacklevel=4)
        elif self.save_best_only:
            best = "None" if self.best is None else f"{self.best:.5f}"
            if self.best is not None and not (value < self.best if self.mode == "min"
                                              else value > self.best):
                if self.verbose:
                    print(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {best}")
                return False
            if self.verbose:
                print(f"\nEpoch {epoch + 1}: {self.monitor} improved from {best} to "
                      f"{value:.5f}, saving model to {path}")
            self.best = value
            return True
        if self.verbose:
            print(f"\nEpoch {epoch + 1}: saving model to {path}")
        return True


class TensorBoard(Callback):
    """Write TensorBoard logs: per-epoch scalars (`epoch_<metric>`) to `<log_dir>/train` and, with
    validation data, `<log_dir>/validation` (Keras' layout); weight histograms every
    `histogram_freq` epochs; with `write_graph`, the traced train step as a GraphDef whose
    node names carry the Keras name scopes (TensorBoard's Graphs dashboard groups by them).
    Event files are written by TensorBoard's own writer (`graphflow.keras.event_file`; needs the
    extra `graphflow[tensorboard]`, not TensorFlow).

    >>> import tempfile, numpy as np, graphflow as tf
    >>> from graphflow.keras import event_file
    >>> d = tempfile.mkdtemp()
    >>> m = tf.keras.Sequential([tf.keras.layers.Dense(1, input_shape=(2,))])
    >>> m.compile("sgd", "mse", jit_compile=False)
    >>> _ = m.fit(np.ones((4, 2)), np.ones((4, 1)), epochs=2, verbose=0,
    ...           callbacks=[tf.keras.callbacks.TensorBoard(d)])
    >>> import glob
    >>> evs = event_file.read_events(glob.glob(d + "/train/events.out.tfevents.*")[0])
    >>> [(e.step, v.tag) for e in evs for v in e.summary.value]
    [(0, 'epoch_loss'), (1, 'epoch_loss')]
    """

    chief_only = True   # under a multi-worker strategy only worker 0 writes logs

    def __init__(self, log_dir="logs", histogram_freq=0, write_graph=True, write_images=False,
                 update_freq="epoch", **_ignored):
        super().__init__()
        from . import event_file
        self._events = event_file
        self.log_dir, self.histogram_freq = str(log_dir), int(histogram_freq)
        self.write_graph, self.update_freq = bool(write_graph), update_freq
        self._writers = {}
        self._graph_written = False

    def _writer(self, kind):
        import os
        if kind not in self._writers:
            self._writers[kind] = self._events.EventFileWriter(os.path.join(self.log_dir, kind))
        return self._writers[kind]

    def _write_graph(self):
        fn = getattr(self.model, "train_function", None)
        cache = getattr(fn, "_cache", None) or {}
        for cf in cache.values():
            self._writer("train").add_graph(cf.traced)
            self._graph_written = True
            return

    def on_epoch_end(self, epoch, logs=None):
        if self.write_graph and not self._graph_written:
            self._write_graph()
        for k, v in (logs or {}).items():
            try:
                v = float(v)
            except (TypeError, ValueError):
                continue
            kind, name = ("validation", k[4:]) if k.startswith("val_") else ("train", k)
            self._writer(kind).add_scalar(f"epoch_{name}", v, epoch)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            w = self._writer("train")
            for var in self.model.weights:
                w.add_histogram(getattr(var, "path", var.name.split(":")[0]), var.numpy(), epoch)
        for w in self._writers.values():
            w.flush()

    def on_train_end(self, logs=None):
        for w in self._writers.values():
            w.close()
        self._writers = {}


class CSVLogger(Callback):
    """Write one CSV row per epoch: `epoch` and the logs (keys sorted; val_ columns reserved
    when the first epoch has none; lists quoted as "[a, b]"), as Keras 3's CSVLogger.

    >>> import os, tempfile, numpy as np, graphflow as tf
    >>> path = os.path.join(tempfile.mkdtemp(), "log.csv")
    >>> m = tf.keras.Sequential([tf.keras.Input((2,)), tf.keras.layers.Dense(1)])
    >>> m.compile("sgd", "mse")
    >>> _ = m.fit(np.ones((4, 2)), np.ones((4, 1)), epochs=2, verbose=0,
    ...           callbacks=[CSVLogger(path)])
    >>> open(path).read().splitlines()[0]
    'epoch,loss,val_loss'
    """

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        self.sep, self.filename, self.append = separator, os.fspath(filename), append
        self.writer = self.keys = self.csv_file = None
        self.append_header = True

    def on_train_begin(self, logs=None):
        if self.append:
            if os.path.exists(self.filename):
                with open(self.filename) as f:
                    self.append_header = not bool(len(f.readline()))
            mode = "a"
        else:
            mode = "w"
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.csv_file = open(self.filename, mode, newline="")
        self.writer = self.keys = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}

        def handle_value(k):
            if isinstance(k, str):
                return k
            if isinstance(k, collections.abc.Iterable) and np.ndim(k) > 0:
                return f'"[{", ".join(map(str, k))}]"'
            return float(k) if isinstance(k, (np.floating, np.integer)) or \
                np.ndim(k) == 0 and not isinstance(k, (int, float)) else k

        if self.keys is None:
            self.keys = sorted(logs.keys())
            if self.keys and not any(k.startswith("val_") for k in self.keys):
                self.keys.extend([f"val_{k}" for k in self.keys])
        if self.writer is None:
            sep = self.sep

            class Dialect(csv.excel):
                delimiter = sep
            self.writer = csv.DictWriter(self.csv_file, fieldnames=["epoch"] + self.keys,
                                         dialect=Dialect)
            if self.append_header:
                self.writer.writeheader()
        row = {"epoch": epoch}
        row.update((k, handle_value(logs.get(k, "NA"))) for k in self.keys)
        self.writer.writerow(row)
        self.csv_file.flush()

    def on_train_end(self, logs=None):
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.writer = None


class SwapEMAWeights(Callback):
    """Evaluate and predict with the optimizer's moving averages (use_ema=True): the model's
    weights and their averages swap at on_test_begin / on_predict_begin and back at the end;
    with swap_on_epoch=True they also swap at each epoch's end (the model holds the averages
    between epochs, e.g. for ModelCheckpoint), as Keras 3's SwapEMAWeights.
    """

    def __init__(self, swap_on_epoch=False):
        super().__init__()
        self.swap_on_epoch = swap_on_epoch
        self._ema_weights_in_model = False

    def _pairs(self):
        opt = self.model.optimizer
        if not getattr(opt, "use_ema", False):
            raise ValueError("SwapEMAWeights must be used when `use_ema=True` is set on the "
                             f"optimizer. Received: use_ema={getattr(opt, 'use_ema', None)}")
        return opt.moving_averages(self.model.trainable_variables)

    def _swap(self):
        for var, avg in self._pairs():
            current = var.numpy().copy()
            var.assign(avg.numpy())
            avg.assign(current)

    def _set(self, in_model):
        if self._ema_weights_in_model != in_model:
            self._swap()
            self._ema_weights_in_model = in_model

    def on_epoch_begin(self, epoch, logs=None):
        if self.swap_on_epoch:
            self._set(False)

    def on_epoch_end(self, epoch, logs=None):
        if self.swap_on_epoch and not self._ema_weights_in_model:
            self._set(True)
            if epoch == self.params.get("epochs", 0) - 1:   # the averages stay the weights
                for var, avg in self._pairs():
                    avg.assign(var.numpy())

    def on_test_begin(self, logs=None):
        self._set(True)

    def on_test_end(self, logs=None):
        self._set(False)

    def on_predict_begin(self, logs=None):
        self._set(True)

    def on_predict_end(self, logs=None):
        self._set(False)


class BackupAndRestore(Callback):
    """Back up the training state at the end of every epoch so that a job that was killed
    (or a worker that died) resumes, when restarted with the same script, from the last
    completed epoch, with the same results as an uninterrupted run.

    The backup (`<backup_dir>/graphflow_backup.pkl`, replaced atomically) holds the epoch, the
    model's and the optimizer's variables and every worker's random streams (shuffling,
    dropout). On `on_train_begin` worker 0 reads it and sends it to all workers (the other
    machines need no shared file system); `fit` then starts at the next epoch. Under a
    multi-worker strategy only worker 0 writes. With `delete_checkpoint` (default) the backup
    is removed when training finishes. `save_freq="epoch"` only (graphflow resumes at epoch
    boundaries). Arrays given to `fit` resume exactly (their shuffling draws from the saved
    streams); a `tf.data` pipeline is not part of the backup, so a `Dataset.shuffle` that
    reshuffles each iteration gives the resumed epochs other orders (as in TF).

    >>> import tempfile, numpy as np, graphflow as tf
    >>> d = tempfile.mkdtemp()
    >>> m = tf.keras.Sequential([tf.keras.layers.Dense(1, input_shape=(2,))])
    >>> m.compile("sgd", "mse", jit_compile=False)
    >>> class Stop(tf.keras.callbacks.Callback):    # simulate a crash during epoch 3
    ...     def on_epoch_begin(self, epoch, logs=None):
    ...         if epoch == 2: raise RuntimeError("killed")
    >>> backup = tf.keras.callbacks.BackupAndRestore(d)
    >>> try: m.fit(np.ones((4, 2)), np.ones((4, 1)), epochs=4, verbose=0, callbacks=[backup, Stop()])
    ... except RuntimeError: pass
    >>> h = m.fit(np.ones((4, 2)), np.ones((4, 1)), epochs=4, verbose=0, callbacks=[backup])
    >>> h.epoch      # resumed: epochs 3 and 4 only
    [2, 3]
    """
    FILENAME = "graphflow_backup.pkl"

    def __init__(self, backup_dir, save_freq="epoch", delete_checkpoint=True,
                 save_before_preemption=False):
        super().__init__()
        if not backup_dir:
            raise ValueError("BackupAndRestore: backup_dir must be a non-empty path")
        if save_freq != "epoch":
            raise ValueError(f"BackupAndRestore: save_freq must be 'epoch' (graphflow resumes at "
                             f"epoch boundaries), got {save_freq!r}")
        if save_before_preemption:
            raise NotImplementedError("BackupAndRestore: save_before_preemption=True (a backup "
                                      "on a preemption signal) is not implemented")
        self.backup_dir, self.delete_checkpoint = str(backup_dir), bool(delete_checkpoint)
        self.save_freq = save_freq

    @property
    def path(self):
        import os
        return os.path.join(self.backup_dir, self.FILENAME)

    def _variables(self):
        opt = getattr(self.model, "optimizer", None)
        return list(self.model.variables) + (list(opt.variables) if opt is not None else [])

    def on_train_begin(self, logs=None):
        import os
        import pickle
        state = None
        if _ds.is_chief() and os.path.exists(self.path):
            with open(self.path, "rb") as f:
                state = pickle.load(f)
        state = _ds.broadcast_object(state)
        if state is None:
            return
        variables = self._variables()
        if len(variables) != len(state["variables"]) or any(
                tuple(v.shape) != np.shape(a) for v, a in zip(variables, state["variables"])):
            raise ValueError(
                f"BackupAndRestore: the backup in {self.backup_dir} holds "
                f"{len(state['variables'])} variables with shapes "
                f"{[np.shape(a) for a in state['variables']]}, the model and optimizer have "
                f"{len(variables)} with {[tuple(v.shape) for v in variables]}: a different model; "
                "delete the backup to start afresh")
        for v, a in zip(variables, state["variables"]):
            v.assign(a)
        streams = state["random"]
        rank = _ds.worker_index()
        if len(streams) != _ds.get_strategy().num_replicas_in_sync:
            warnings.warn(f"BackupAndRestore: the backup was written by {len(streams)} workers, "
                          "this job has a different number; random streams are not restored",
                          stacklevel=2)
        else:
            _random.set_state(streams[rank])
        self.model._initial_epoch = state["epoch"]   # fit starts at the epoch after the backup

    def on_epoch_end(self, epoch, logs=None):
        import os
        import pickle
        streams = _ds.allgather_object(_random.get_state())   # every worker's streams
        if not _ds.is_chief():
            return
        state = {"epoch": epoch + 1, "random": streams,
                 "variables": [np.array(v.numpy()) for v in self._variables()]}
        os.makedirs(self.backup_dir, exist_ok=True)
        tmp = f"{self.path}.tmp{os.getpid()}"
        with open(tmp, "wb") as f:
            pickle.dump(state, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, self.path)   # atomic: a kill mid-write leaves the previous backup

    def on_train_end(self, logs=None):
        import os
        if self.delete_checkpoint and _ds.is_chief() and os.path.exists(self.path):
            os.remove(self.path)
