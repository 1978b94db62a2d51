"""Optimizers (`keras.optimizers`): SGD (momentum, Nesterov), Adam / AdamW (AMSGrad), RMSprop,
Adagrad, Adadelta, Adamax, Nadam, Ftrl, Lion, with Keras' update formulas; every one takes
Keras 3's common options (weight_decay, clipnorm / clipvalue / global_clipnorm, use_ema,
gradient_accumulation_steps, loss_scale_factor, learning-rate schedules) and applies variable
constraints after each update.

The learning rate and the step count are Variables, so a traced train step reads their current
values (changing `opt.learning_rate` does not retrace). Slot variables (momenta, moments) are
created by `build(var_list)`; `apply_gradients` builds for unseen variables on its own, which is
allowed eagerly or on the first trace of a `graphflow.function` (Keras' `fit` builds eagerly).

>>> import graphflow as tf
>>> v = tf.Variable(1.0)
>>> opt = tf.keras.optimizers.SGD(learning_rate=0.1)
>>> _ = opt.apply_gradients([(tf.constant(2.0), v)])
>>> round(float(v), 6)
0.8
"""
import re
import types
import warnings

import numpy as np

from .. import dtypes as _dt
from .. import state as _state
from ..ops import math_ops as _m, shape_ops as _s
from ..tensor import Tensor, Variable, convert_to_tensor
from .naming import snake_case, unique_name


# ------------------------------------------------------------------ learning-rate schedules
class LearningRateSchedule:
    """`schedule(step)` -> learning rate; step is the optimizer's `iterations` (a tensor)."""

    def __call__(self, step):
        raise NotImplementedError

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _f(step):
    return _m.cast(convert_to_tensor(step), _dt.float32)


class ExponentialDecay(LearningRateSchedule):
    """initial_learning_rate * decay_rate ** (step / decay_steps) (floored if staircase).

    >>> s = ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    >>> round(float(s(20)), 6)
    0.025
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name="ExponentialDecay"):
        if decay_steps <= 0:
            raise ValueError(f"ExponentialDecay: decay_steps must be > 0, got {decay_steps}")
        self.initial_learning_rate, self.decay_steps = initial_learning_rate, decay_steps
        self.decay_rate, self.staircase, self.name = decay_rate, staircase, name

    def _progress(self, step):
        p = _f(step) / float(self.decay_steps)
        return _m.floor(p) if self.staircase else p

    def __call__(self, step):
        return self.initial_learning_rate * _m.pow(float(self.decay_rate), self._progress(step))

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "decay_rate": self.decay_rate,
                "staircase": self.staircase, "name": self.name}


class InverseTimeDecay(ExponentialDecay):
    """initial_learning_rate / (1 + decay_rate * step / decay_steps) (floored if staircase).

    >>> round(float(InverseTimeDecay(0.1, 10, 1.0)(10)), 6)
    0.05
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name="InverseTimeDecay"):
        super().__init__(initial_learning_rate, decay_steps, decay_rate, staircase, name)

    def __call__(self, step):
        return self.initial_learning_rate / (1.0 + self.decay_rate * self._progress(step))


class PiecewiseConstantDecay(LearningRateSchedule):
    """values[0] while step <= boundaries[0], values[i] for boundaries[i-1] < step <=
    boundaries[i], values[-1] after the last boundary.

    >>> s = PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.25])
    >>> [float(s(t)) for t in (10, 11, 25)]
    [1.0, 0.5, 0.25]
    """

    def __init__(self, boundaries, values, name="PiecewiseConstant"):
        if len(values) != len(boundaries) + 1:
            raise ValueError("PiecewiseConstantDecay: need len(values) == len(boundaries) + 1, "
                             f"got {len(boundaries)} boundaries and {len(values)} values")
        self.boundaries, self.values, self.name = list(boundaries), list(values), name

    def __call__(self, step):
        step = _f(step)
        out = convert_to_tensor(np.float32(self.values[-1]))
        for b, v in reversed(list(zip(self.boundaries, self.values[:-1]))):
            out = _m.where(_m.less_equal(step, float(b)), convert_to_tensor(np.float32(v)), out)
        return out

    def get_config(self):
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class PolynomialDecay(LearningRateSchedule):
    """(initial - end) * (1 - min(step, decay_steps) / decay_steps) ** power + end; with
    cycle=True decay_steps grows to the next multiple past `step`.

    >>> round(float(PolynomialDecay(0.1, 10, end_learning_rate=0.0)(5)), 6)
    0.05
    """

    def __init__(self, initial_learning_rate, decay_steps, end_learning_rate=0.0001, power=1.0,
                 cycle=False, name="PolynomialDecay"):
        if decay_steps <= 0:
            raise ValueError(f"PolynomialDecay: decay_steps must be > 0, got {decay_steps}")
        self.initial_learning_rate, self.decay_steps = initial_learning_rate, decay_steps
        self.end_learning_rate, self.power, self.cycle, self.name = \
            end_learning_rate, power, cycle, name

    def __call__(self, step):
        step = _f(step)
        steps = float(self.decay_steps)
        if self.cycle:
            mult = _m.where(_m.equal(step, 0.0), _m.ones_like(step), _m.ceil(step / steps))
            p = step / (steps * mult)
        else:
            p = _m.minimum(step, steps) / steps
        return (self.initial_learning_rate - self.end_learning_rate) * \
            _m.pow(1.0 - p, float(self.power)) + self.end_learning_rate

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "end_learning_rate": self.end_learning_rate,
                "power": self.power, "cycle": self.cycle, "name": self.name}


def _cosine(fraction, alpha):
    return (1.0 - alpha) * (0.5 * (1.0 + _m.cos(np.pi * fraction))) + alpha


class CosineDecay(LearningRateSchedule):
    """Cosine decay from initial_learning_rate (or, after `warmup_steps` of linear warmup, from
    warmup_target) to alpha times it over decay_steps (Loshchilov & Hutter; Keras 3's formula).

    >>> s = CosineDecay(0.1, decay_steps=10, alpha=0.1)
    >>> [round(float(s(t)), 6) for t in (0, 5, 10, 20)]
    [0.1, 0.055, 0.01, 0.01]
    >>> w = CosineDecay(0.0, 10, warmup_target=0.2, warmup_steps=4)
    >>> [round(float(w(t)), 6) for t in (2, 4)]
    [0.1, 0.2]
    """

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name="CosineDecay",
                 warmup_target=None, warmup_steps=0):
        if decay_steps <= 0:
            raise ValueError(f"CosineDecay: decay_steps must be > 0, got {decay_steps}")
        self.initial_learning_rate, self.decay_steps, self.alpha = \
            initial_learning_rate, decay_steps, alpha
        self.name, self.warmup_target, self.warmup_steps = name, warmup_target, warmup_steps

    def __call__(self, step):
        step = _f(step)
        d = float(self.decay_steps)
        if self.warmup_target is None:
            return self.initial_learning_rate * _cosine(_m.minimum(step, d) / d, self.alpha)
        w = float(self.warmup_steps)
        step = _m.minimum(step, d + w)
        warm = (self.warmup_target - self.initial_learning_rate) * (step / max(w, 1e-30)) + \
            self.initial_learning_rate
        decay = self.warmup_target * _cosine((step - w) / d, self.alpha)
        return _m.where(_m.less(step, w), warm, decay)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "alpha": self.alpha, "name": self.name,
                "warmup_target": self.warmup_target, "warmup_steps": self.warmup_steps}


class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay with warm restarts (SGDR): periods of first_decay_steps * t_mul**i, each
    restart scaled by m_mul**i.

    >>> s = CosineDecayRestarts(1.0, first_decay_steps=10, t_mul=2.0)
    >>> [round(float(s(t)), 4) for t in (0, 5, 10, 20)]
    [1.0, 0.5, 1.0, 0.5]
    """

    def __init__(self, initial_learning_rate, first_decay_steps, t_mul=2.0, m_mul=1.0, alpha=0.0,
                 name="SGDRDecay"):
        if first_decay_steps <= 0:
            raise ValueError(f"CosineDecayRestarts: first_decay_steps must be > 0, got "
                             f"{first_decay_steps}")
        self.initial_learning_rate, self.first_decay_steps = initial_learning_rate, \
            first_decay_steps
        self._t_mul, self._m_mul, self.alpha, self.name = t_mul, m_mul, alpha, name

    def __call__(self, step):
        frac = _f(step) / float(self.first_decay_steps)
        t = float(self._t_mul)
        if t == 1.0:
            i = _m.floor(frac)
            frac = frac - i
        else:
            i = _m.floor(_m.log(1.0 - frac * (1.0 - t)) / float(np.log(t)))
            sum_r = (1.0 - _m.pow(t, i)) / (1.0 - t)
            frac = (frac - sum_r) / _m.pow(t, i)
        m_fac = _m.pow(float(self._m_mul), i)
        decayed = (1.0 - self.alpha) * (0.5 * m_fac * (1.0 + _m.cos(np.pi * frac))) + self.alpha
        return self.initial_learning_rate * decayed

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "first_decay_steps": self.first_decay_steps, "t_mul": self._t_mul,
                "m_mul": self._m_mul, "alpha": self.alpha, "name": self.name}


def serialize_schedule(schedule):
    """A schedule as Keras 3's config dict."""
    return {"module": "keras.optimizers.schedules", "class_name": type(schedule).__name__,
            "config": schedule.get_config(), "registered_name": None}


def deserialize_schedule(config, custom_objects=None):
    """A schedule from `serialize_schedule`'s dict."""
    name = config["class_name"]
    cls = (custom_objects or {}).get(name) or _SCHEDULES.get(name)
    if cls is None:
        raise ValueError(f"Unknown learning rate schedule {name!r}")
    return cls.from_config(config.get("config", {}))


_SCHEDULES = {c.__name__: c for c in (LearningRateSchedule, ExponentialDecay, InverseTimeDecay,
                                      PiecewiseConstantDecay, PolynomialDecay, CosineDecay,
                                      CosineDecayRestarts)}
schedules = types.SimpleNamespace(serialize=serialize_schedule, deserialize=deserialize_schedule,
                                  **_SCHEDULES)


# ------------------------------------------------------------------ base class
_EMA, _ACC = "_average", "_gradient_accumulator"   # slots of the base class's own options


def _scalar_var(value, dtype, name):
    return Variable(np.asarray(value, dtype=_dt.as_dtype(dtype).np), trainable=False, name=name)


class Optimizer:
    """Base class. Subclasses define `build_slots(var)` -> dict of slot Variables and
    `update_step(grad, var, lr, slots)`."""
    built = False   # until `build` (the first apply, or fit) creates the slots, as Keras 3

    def __init__(self, learning_rate=0.001, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        if "lr" in kwargs:
            learning_rate = kwargs.pop("lr")
        if kwargs:
            raise TypeError(f"{type(self).__name__}: unexpected arguments {sorted(kwargs)}")
        if sum(c is not None for c in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError("only one of clipnorm, clipvalue, global_clipnorm may be set")
        if gradient_accumulation_steps is not None and not (
                isinstance(gradient_accumulation_steps, int) and gradient_accumulation_steps >= 2):
            raise ValueError("`gradient_accumulation_steps` must be an integer >= 2, got "
                             f"{gradient_accumulation_steps!r}")
        if use_ema and not 0.0 <= ema_momentum <= 1.0:
            raise ValueError(f"`ema_momentum` must be in [0, 1], got {ema_momentum}")
        # Keras 3: the snake-cased class name, uniquified per process ('sgd', 'sgd_1',
        # 'rm_sprop', 'adam_w'), sharing the layers' counter (reset by clear_session)
        self.name = name or unique_name(snake_case(type(self).__name__))
        self.weight_decay = weight_decay
        self.clipnorm, self.clipvalue, self.global_clipnorm = clipnorm, clipvalue, global_clipnorm
        self.use_ema, self.ema_momentum = bool(use_ema), float(ema_momentum)
        self.ema_overwrite_frequency = ema_overwrite_frequency
        self.loss_scale_factor = loss_scale_factor
        self.gradient_accumulation_steps = gradient_accumulation_steps
        self.iterations = _scalar_var(0, _dt.int64, f"{self.name}/iteration")
        if isinstance(learning_rate, dict) and "class_name" in learning_rate:   # a config
            learning_rate = deserialize_schedule(learning_rate)
        if isinstance(learning_rate, LearningRateSchedule) or callable(learning_rate):
            self._schedule, self._lr = learning_rate, None
        else:
            self._schedule = None
            self._lr = _scalar_var(float(learning_rate), _dt.float32, f"{self.name}/learning_rate")
        self._slots = {}        # id(var) -> {slot name: Variable}
        self._slot_vars = []    # keeps slot order for `variables`
        self._tracked = {}      # id(var) -> var (keeps ids unique while we hold slots)
        self._exclude_wd = set()
        self._step = None       # prepare_step's value during apply_gradients

    # ---- learning rate -------------------------------------------------------
    @property
    def learning_rate(self):
        """The learning-rate Variable (assign to it, or set `opt.learning_rate = 0.01`); for a
        schedule, its current value."""
        if self._schedule is not None:
            return self._schedule(self.iterations.read_value())
        return self._lr

    @learning_rate.setter
    def learning_rate(self, value):
        if isinstance(value, LearningRateSchedule) or (callable(value) and
                                                         not isinstance(value, (Tensor, Variable))):
            self._schedule = value
            return
        if self._lr is None:
            self._schedule = None
            self._lr = _scalar_var(float(value), _dt.float32, f"{self.name}/learning_rate")
        else:
            self._lr.assign(np.float32(value))

    lr = learning_rate

    def _current_lr(self):
        if self._schedule is not None:
            lr = self._schedule(self.iterations.read_value())
            lr = convert_to_tensor(lr) if not isinstance(lr, Tensor) else lr
            return _m.cast(lr, _dt.float32) if lr.dtype != _dt.float32 else lr
        return self._lr.read_value()

    # ---- slots -------------------------------------------------------------
    def build(self, var_list):
        """Create the slot variables of every variable in `var_list` not seen before."""
        var_list = list(var_list)
        self._built_variables = var_list   # the default of `apply(grads)`
        for v in var_list:
            if id(v) in self._slots:
                continue
            if _state.current().graph is not None and not _state.current().graph.allow_variable_creation:
                raise ValueError(
                    f"{type(self).__name__}: variable '{v.name}' was first seen while retracing a "
                    "graphflow.function, where its optimizer slots cannot be created. Call "
                    "`optimizer.build(var_list)` before the first traced call.")
            slots = self.build_slots(v)
            if self.use_ema:   # Keras' "average" copies, starting at the variable's value
                avg = self.add_variable_from_reference(v, "average")
                avg.assign(v.read_value())
                slots[_EMA] = avg
            if self.gradient_accumulation_steps:
                slots[_ACC] = self.add_variable_from_reference(v, "gradient_accumulator")
            self._slots[id(v)] = slots
            self._tracked[id(v)] = v
            self._slot_vars.extend(slots.values())
        self.built = True

    def add_variable_from_reference(self, reference_variable, name, initializer="zeros"):
        """A slot variable shaped like `reference_variable` (zeros by default)."""
        value = {"zeros": 0.0, "ones": 1.0}.get(initializer, initializer)
        base = getattr(reference_variable, "path", reference_variable.name.split(":")[0])
        return Variable(np.full(tuple(reference_variable.shape), value, reference_variable.dtype.np),
                        trainable=False, name=f"{self.name}/{base.replace('/', '_')}_{name}")

    def build_slots(self, var):
        return {}

    # slots are keyed by id(variable): pickle them as (variable, slots) pairs
    def __getstate__(self):
        state = dict(self.__dict__)
        state["_slots"] = [(self._tracked[k], s) for k, s in self._slots.items()]
        state["_exclude_wd"] = [self._tracked[k] for k in self._exclude_wd if k in self._tracked]
        state["_tracked"] = None
        state["_step"] = None
        return state

    def __setstate__(self, state):
        pairs, excl = state.pop("_slots"), state.pop("_exclude_wd")
        state.pop("_tracked", None)
        self.__dict__.update(state)
        self._slots = {id(v): s for v, s in pairs}
        self._tracked = {id(v): v for v, _ in pairs}
        self._exclude_wd = {id(v) for v in excl}

    def update_count(self):
        """The number of variable updates made so far, as a float tensor (the `t - 1` of
        Adam's bias correction): `iterations`, or iterations // gradient_accumulation_steps
        when gradients are accumulated (Keras 3's `optimizer.iterations` there)."""
        it = self.iterations.read_value()
        if self.gradient_accumulation_steps:
            it = it // np.int64(self.gradient_accumulation_steps)
        return _m.cast(it, _dt.float32)

    def scale_loss(self, loss):
        """loss * loss_scale_factor (gradients are divided by it again before the update)."""
        return loss * self.loss_scale_factor if self.loss_scale_factor is not None else loss

    def moving_averages(self, var_list=None):
        """(variable, moving-average variable) pairs kept with use_ema (of `var_list`, or of
        every variable the optimizer has updated)."""
        if var_list is None:
            var_list = list(self._tracked.values())
        return [(v, self._slots[id(v)][_EMA]) for v in var_list
                if id(v) in self._slots and _EMA in self._slots[id(v)]]

    def finalize_variable_values(self, var_list):
        """With use_ema, overwrite the variables with their moving averages (Keras does this at
        the end of `fit`)."""
        if self.use_ema:
            for v, avg in self.moving_averages(var_list):
                v.assign(avg.read_value())

    def get_slot(self, var, name):
        return self._slots[id(var)][name]

    def get_slot_names(self):
        return sorted({k for s in self._slots.values() for k in s})

    @property
    def variables(self):
        out = [self.iterations] + ([self._lr] if self._lr is not None else [])
        return out + list(self._slot_vars)

    def exclude_from_weight_decay(self, var_list=None, var_names=None):
        for v in var_list or ():
            self._exclude_wd.add(id(v))
            self._tracked[id(v)] = v
        self._exclude_wd_names = list(var_names or ())

    # ---- applying ------------------------------------------------------------
    def _clip(self, grads):
        if self.clipvalue is not None:
            c = float(self.clipvalue)
            return [_m.clip_by_value(g, -c, c) for g in grads]
        if self.clipnorm is not None:
            c = float(self.clipnorm)
            out = []
            for g in grads:
                n = _m.sqrt(_m.reduce_sum(_m.square(g)))
                out.append(g * (c / _m.maximum(n, c)))
            return out
        if self.global_clipnorm is not None:
            c = float(self.global_clipnorm)
            total = None
            for g in grads:
                s = _m.reduce_sum(_m.square(g))
                total = s if total is None else total + s
            scale = c / _m.maximum(_m.sqrt(total), c)
            return [g * scale for g in grads]
        return grads

    def apply(self, grads, trainable_variables=None):
        """Keras 3: `apply(grads, variables)` - the same update as
        `apply_gradients(zip(grads, variables))` (variables default to the ones the optimizer
        was built with).

        >>> import graphflow as tf
        >>> v = tf.Variable(1.0)
        >>> opt = tf.keras.optimizers.SGD(0.5)
        >>> _ = opt.apply([tf.constant(2.0)], [v])
        >>> float(v.numpy())
        0.0
        """
        if trainable_variables is None:
            trainable_variables = getattr(self, "_built_variables", None)
            if trainable_variables is None:
                raise ValueError("optimizer.apply(grads): pass the variables too (the optimizer "
                                 "has not been built with a list of variables)")
        grads, variables = list(grads), list(trainable_variables)
        if len(grads) != len(variables):
            raise ValueError(f"optimizer.apply: {len(grads)} gradients for {len(variables)} "
                             "variables")
        return self.apply_gradients(zip(grads, variables))

    def apply_gradients(self, grads_and_vars, name=None, **_):
        """Update each variable from its gradient (None gradients are skipped, with a warning
        naming the variables). Returns the `iterations` Variable."""
        pairs = list(grads_and_vars)
        missing = [v.name for g, v in pairs if g is None]
        pairs = [(g, v) for g, v in pairs if g is not None]
        if missing:
            warnings.warn(f"Gradients do not exist for variables {missing} when minimizing the "
                          "loss (they do not affect it); they are not updated.", stacklevel=2)
        if not pairs:
            return self.iterations
        for g, v in pairs:
            if not isinstance(v, Variable):
                raise TypeError(f"apply_gradients: expected Variables, got {type(v).__name__}")
        self.build([v for _, v in pairs])
        grads = [convert_to_tensor(g) for g, _ in pairs]
        grads = [_m.cast(g, v.dtype) if g.dtype != v.dtype else g for g, (_, v) in zip(grads, pairs)]
        if self.loss_scale_factor is not None:
            grads = [g / float(self.loss_scale_factor) for g in grads]
        variables = [v for _, v in pairs]
        steps = self.gradient_accumulation_steps
        if steps:
            # Keras 3: add to the accumulators; every `steps`-th call update with their mean
            # and reset them. Traced as one program: the update runs every call and its
            # results are kept only on an update step (a `where` on each variable and slot)
            with _state.name_scope(self.name):
                is_update = _m.equal((self.iterations.read_value() + np.int64(1)) %
                                     np.int64(steps), np.int64(0))
            accs = [self._slots[id(v)][_ACC] for v in variables]
            sums = [a.read_value() + g for a, g in zip(accs, grads)]
            grads = [t / float(steps) for t in sums]
            kept = [(w, w.read_value()) for v in variables for w in
                    [v] + [s for k, s in self._slots[id(v)].items() if k not in (_EMA, _ACC)]]
            kept += [(w, w.read_value()) for w in self._step_variables()]
        grads = self._clip(grads)
        with _state.name_scope(self.name):
            lr = self._current_lr()
            self._step = self.prepare_step(lr)
        try:
            for g, v in zip(grads, variables):
                with _state.name_scope(self.name), _state.name_scope(   # viz groups per variable
                        getattr(v, "path", v.name.split(":")[0]).replace("/", "_") or "var"):
                    wd = self._weight_decay_for(v)
                    if wd and id(v) not in self._exclude_wd and not any(
                            n in v.name for n in getattr(self, "_exclude_wd_names", ())):
                        v.assign_sub(v.read_value() * (lr * float(wd)))
                    self.update_step(g, v, lr, self._slots[id(v)])
        finally:
            self._step = None   # may hold values of a trace: never keep them past this call
        with _state.name_scope(self.name):
            if steps:
                for w, old in kept:
                    w.assign(_m.where(is_update, w.read_value(), old))
                for a, t in zip(accs, sums):
                    a.assign(_m.where(is_update, _m.zeros_like(t), t))
            for v in variables:   # Keras 3: constraints after the update
                constraint = getattr(v, "constraint", None)
                if constraint is not None:
                    v.assign(constraint(v.read_value()))
            if self.use_ema:
                self._update_ema(variables)
            self.iterations.assign_add(np.int64(1))
        return self.iterations

    def _weight_decay_for(self, var):
        """The decoupled weight decay applied to `var` before its update (Muon: a second
        rate for the variables it updates with AdamW)."""
        return self.weight_decay

    def _step_variables(self):
        """Optimizer-wide variables an update step changes besides the slots (Nadam's
        momentum-schedule product); kept unchanged on accumulation steps."""
        return []

    def _update_ema(self, variables):
        """average = m * average + (1 - m) * var (m = 0 on the first update: the average
        starts at the trained value), and every `ema_overwrite_frequency` updates the
        variables take their averages (Keras 3)."""
        count = self.update_count()
        m = _m.cast(_m.not_equal(count, 0.0), _dt.float32) * self.ema_momentum
        for v in variables:
            avg = self._slots[id(v)][_EMA]
            mv = _m.cast(m, v.dtype) if v.dtype != _dt.float32 else m
            avg.assign(mv * avg.read_value() + (1.0 - mv) * v.read_value())
        if self.ema_overwrite_frequency:
            overwrite = _m.equal((count + 1.0) % float(self.ema_overwrite_frequency), 0.0)
            for v in variables:
                v.assign(_m.where(overwrite, self._slots[id(v)][_EMA].read_value(),
                                  v.read_value()))

    def minimize(self, loss, var_list, tape=None):
        """Compute gradients of `loss` (a tensor recorded on `tape`, or a zero-argument callable)
        with respect to `var_list` and apply them."""
        from ..tape import GradientTape
        if callable(var_list) and not isinstance(var_list, (list, tuple)):
            var_list = var_list()
        var_list = list(var_list)
        if tape is None:
            if not callable(loss):
                raise ValueError("minimize: pass a callable loss, or the tape that recorded it")
            with GradientTape() as tape:
                value = loss()
        else:
            value = loss() if callable(loss) else loss
        grads = tape.gradient(value, var_list)
        return self.apply_gradients(zip(grads, var_list))

    def prepare_step(self, lr):
        """Hook run once per `apply_gradients` before the per-variable updates; its result is
        `self._step` during the updates."""
        return None

    def update_step(self, grad, var, lr, slots):
        raise NotImplementedError

    def get_config(self):
        if isinstance(self._schedule, LearningRateSchedule):
            lr = serialize_schedule(self._schedule)
        elif self._schedule is not None:
            lr = self._schedule.get_config() if hasattr(self._schedule, "get_config") else 0.5
        else:
            lr = float(self._lr.numpy())
        return {"name": self.name, "learning_rate": lr, "weight_decay": self.weight_decay,
                "clipnorm": self.clipnorm, "global_clipnorm": self.global_clipnorm,
                "clipvalue": self.clipvalue, "use_ema": self.use_ema,
                "ema_momentum": self.ema_momentum,
                "ema_overwrite_frequency": self.ema_overwrite_frequency,
                "loss_scale_factor": self.loss_scale_factor,
                "gradient_accumulation_steps": self.gradient_accumulation_steps}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} {self.get_config()}>"


class SGD(Optimizer):
    """Plain / momentum / Nesterov gradient descent (Keras formulas):
    m = momentum * m - lr * g;  w += m   (Nesterov: w += momentum * m - lr * g)."""

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, name=None, **kwargs):
        super().__init__(learning_rate, name=name, **kwargs)
        if not 0.0 <= momentum <= 1.0:
            raise ValueError(f"SGD: momentum must be in [0, 1], got {momentum}")
        self.momentum, self.nesterov = float(momentum), bool(nesterov)

    def build_slots(self, var):
        return {"momentum": self.add_variable_from_reference(var, "momentum")} \
            if self.momentum else {}

    def update_step(self, g, v, lr, slots):
        if not self.momentum:
            v.assign_sub(lr * g)
            return
        m = slots["momentum"]
        m_new = m.read_value() * self.momentum - lr * g
        m.assign(m_new)
        v.assign_add(m_new * self.momentum - lr * g if self.nesterov else m_new)

    def get_config(self):
        return dict(super().get_config(), momentum=self.momentum, nesterov=self.nesterov)


class Adam(Optimizer):
    """Adam (Kingma & Ba) as Keras computes it:
    m += (g - m)(1 - b1);  v += (g^2 - v)(1 - b2);  w -= lr sqrt(1 - b2^t)/(1 - b1^t) m/(sqrt(v) + eps)."""

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False,
                 name=None, **kwargs):
        super().__init__(learning_rate, name=name, **kwargs)
        self.beta_1, self.beta_2 = float(beta_1), float(beta_2)
        self.epsilon, self.amsgrad = float(epsilon), bool(amsgrad)

    def build_slots(self, var):
        s = {"m": self.add_variable_from_reference(var, "momentum"),
             "v": self.add_variable_from_reference(var, "velocity")}
        if self.amsgrad:
            s["vhat"] = self.add_variable_from_reference(var, "velocity_hat")
        return s

    def prepare_step(self, lr):
        t = self.update_count() + 1.0
        b1p = _m.pow(convert_to_tensor(np.float32(self.beta_1)), t)
        b2p = _m.pow(convert_to_tensor(np.float32(self.beta_2)), t)
        return lr * _m.sqrt(1.0 - b2p) / (1.0 - b1p)   # the bias-corrected step size

    def update_step(self, g, v, lr, slots):
        alpha = self._step
        m, vv = slots["m"], slots["v"]
        m_new = m.read_value() + (g - m.read_value()) * (1.0 - self.beta_1)
        v_new = vv.read_value() + (_m.square(g) - vv.read_value()) * (1.0 - self.beta_2)
        m.assign(m_new)
        vv.assign(v_new)
        if self.amsgrad:
            vh = _m.maximum(slots["vhat"].read_value(), v_new)
            slots["vhat"].assign(vh)
            v_new = vh
        v.assign_sub(alpha * m_new / (_m.sqrt(v_new) + self.epsilon))

    def get_config(self):
        return dict(super().get_config(), beta_1=self.beta_1, beta_2=self.beta_2,
                    epsilon=self.epsilon, amsgrad=self.amsgrad)


class AdamW(Adam):
    """Adam with decoupled weight decay (w -= lr * weight_decay * w before each step)."""

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-7, amsgrad=False, name=None, **kwargs):
        super().__init__(learning_rate, beta_1, beta_2, epsilon, amsgrad, name=name,
                         weight_decay=weight_decay, **kwargs)


class RMSprop(Optimizer):
    """v = rho v + (1 - rho) g^2;  w -= lr g / sqrt(v + eps)  (centered: v - mean(g)^2;
    with momentum: m = momentum m + increment; w -= m)."""

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False,
                 name=None, **kwargs):
        super().__init__(learning_rate, name=name, **kwargs)
        self.rho, self.momentum = float(rho), float(momentum)
        self.epsilon, self.centered = float(epsilon), bool(centered)

    def build_slots(self, var):
        s = {"velocity": self.add_variable_from_reference(var, "velocity")}
        if self.momentum:
            s["momentum"] = self.add_variable_from_reference(var, "momentum")
        if self.centered:
            s["average_gradient"] = self.add_variable_from_reference(var, "average_gradient")
        return s

    def update_step(self, g, v, lr, slots):
        vel = slots["velocity"]
        vel_new = vel.read_value() * self.rho + _m.square(g) * (1.0 - self.rho)
        vel.assign(vel_new)
        if self.centered:
            ag = slots["average_gradient"]
            ag_new = ag.read_value() * self.rho + g * (1.0 - self.rho)
            ag.assign(ag_new)
            denom = vel_new - _m.square(ag_new) + self.epsilon
        else:
            denom = vel_new + self.epsilon
        inc = lr * g / _m.sqrt(denom)
        if self.momentum:
            mom = slots["momentum"]
            mom_new = mom.read_value() * self.momentum + inc
            mom.assign(mom_new)
            v.assign_sub(mom_new)
        else:
            v.assign_sub(inc)

    def get_config(self):
        return dict(super().get_config(), rho=self.rho, momentum=self.momentum,
                    epsilon=self.epsilon, centered=self.centered)


class Adagrad(Optimizer):
    """acc += g^2;  w -= lr g / sqrt(acc + eps)."""

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7,
                 name=None, **kwargs):
        super().__init__(learning_rate, name=name, **kwargs)
        self.initial_accumulator_value, self.epsilon = float(initial_accumulator_value), float(epsilon)

    def build_slots(self, var):
        return {"accumulator": self.add_variable_from_reference(
            var, "accumulator", self.initial_accumulator_value)}

    def update_step(self, g, v, lr, slots):
        acc = slots["accumulator"]
        acc_new = acc.read_value() + _m.square(g)
        acc.assign(acc_new)
        v.assign_sub(lr * g / _m.sqrt(acc_new + self.epsilon))


class Adadelta(Optimizer):
    """acc_g = rho acc_g + (1 - rho) g^2;  delta = -sqrt(acc_d + eps) / sqrt(acc_g + eps) g;
    acc_d = rho acc_d + (1 - rho) delta^2;  w += lr delta  (Zeiler 2012, Keras' formula)."""

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, name=None, **kwargs):
        super().__init__(learning_rate, name=name, **kwargs)
        self.rho, self.epsilon = float(rho), float(epsilon)

    def build_slots(self, var):
        return {"accumulated_grad": self.add_variable_from_reference(var, "accumulated_grad"),
                "accumulated_delta_var": self.add_variable_from_reference(
                    var, "accumulated_delta_var")}

    def update_step(self, g, v, lr, slots):
        ag, ad = slots["accumulated_grad"], slots["accumulated_delta_var"]
        ag_new = self.rho * ag.read_value() + (1.0 - self.rho) * _m.square(g)
        ag.assign(ag_new)
        ad_old = ad.read_value()
        delta = -(_m.sqrt(ad_old + self.epsilon) * g) / _m.sqrt(ag_new + self.epsilon)
        ad.assign(self.rho * ad_old + (1.0 - self.rho) * _m.square(delta))
        v.assign_add(lr * delta)

    def get_config(self):
        return dict(super().get_config(), rho=self.rho, epsilon=self.epsilon)


class Adamax(Optimizer):
    """Adam with the infinity norm: m += (g - m)(1 - b1);  u = max(b2 u, |g|);
    w -= lr m / ((1 - b1^t)(u + eps))."""

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 name=None, **kwargs):
        super().__init__(learning_rate, name=name, **kwargs)
        self.beta_1, self.beta_2, self.epsilon = float(beta_1), float(beta_2), float(epsilon)

    def build_slots(self, var):
        return {"m": self.add_variable_from_reference(var, "momentum"),
                "u": self.add_variable_from_reference(var, "norm")}

    def prepare_step(self, lr):
        return 1.0 - _m.pow(convert_to_tensor(np.float32(self.beta_1)), self.update_count() + 1.0)

    def update_step(self, g, v, lr, slots):
        m, u = slots["m"], slots["u"]
        m_new = m.read_value() + (g - m.read_value()) * (1.0 - self.beta_1)
        u_new = _m.maximum(self.beta_2 * u.read_value(), _m.abs(g))
        m.assign(m_new)
        u.assign(u_new)
        v.assign_sub(lr * m_new / (self._step * (u_new + self.epsilon)))

    def get_config(self):
        return dict(super().get_config(), beta_1=self.beta_1, beta_2=self.beta_2,
                    epsilon=self.epsilon)


class Nadam(Optimizer):
    """Adam with Nesterov momentum (Dozat 2016) and Keras' momentum schedule
    u_t = b1 (1 - 0.5 * 0.96^t), its running product kept in a variable."""

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 name=None, **kwargs):
        super().__init__(learning_rate, name=name, **kwargs)
        self.beta_1, self.beta_2, self.epsilon = float(beta_1), float(beta_2), float(epsilon)
        self._u_product = _scalar_var(1.0, _dt.float32, f"{self.name}/u_product")

    def build_slots(self, var):
        return {"m": self.add_variable_from_reference(var, "momentum"),
                "v": self.add_variable_from_reference(var, "velocity")}

    def _step_variables(self):
        return [self._u_product]

    @property
    def variables(self):
        return super().variables + [self._u_product]

    def prepare_step(self, lr):
        t = self.update_count() + 1.0
        u_t = self.beta_1 * (1.0 - 0.5 * _m.pow(convert_to_tensor(np.float32(0.96)), t))
        u_t1 = self.beta_1 * (1.0 - 0.5 * _m.pow(convert_to_tensor(np.float32(0.96)), t + 1.0))
        u_prod = self._u_product.read_value() * u_t
        self._u_product.assign(u_prod)
        b2p = _m.pow(convert_to_tensor(np.float32(self.beta_2)), t)
        return u_t, u_t1, u_prod, u_prod * u_t1, b2p

    def update_step(self, g, v, lr, slots):
        u_t, u_t1, u_prod, u_prod1, b2p = self._step
        m, vv = slots["m"], slots["v"]
        m_new = m.read_value() + (g - m.read_value()) * (1.0 - self.beta_1)
        v_new = vv.read_value() + (_m.square(g) - vv.read_value()) * (1.0 - self.beta_2)
        m.assign(m_new)
        vv.assign(v_new)
        m_hat = u_t1 * m_new / (1.0 - u_prod1) + (1.0 - u_t) * g / (1.0 - u_prod)
        v_hat = v_new / (1.0 - b2p)
        v.assign_sub(m_hat * lr / (_m.sqrt(v_hat) + self.epsilon))

    def get_config(self):
        return dict(super().get_config(), beta_1=self.beta_1, beta_2=self.beta_2,
                    epsilon=self.epsilon)


class Ftrl(Optimizer):
    """Follow-the-regularized-leader (McMahan et al., 2013) with L1 / L2 / L2-shrinkage
    regularization, Keras' update formula."""

    def __init__(self, learning_rate=0.001, learning_rate_power=-0.5,
                 initial_accumulator_value=0.1, l1_regularization_strength=0.0,
                 l2_regularization_strength=0.0, l2_shrinkage_regularization_strength=0.0,
                 beta=0.0, name=None, **kwargs):
        super().__init__(learning_rate, name=name, **kwargs)
        for arg, value, ok in [
                ("initial_accumulator_value", initial_accumulator_value, "positive or zero"),
                ("learning_rate_power", -learning_rate_power, "negative or zero"),
                ("l1_regularization_strength", l1_regularization_strength, "positive or zero"),
                ("l2_regularization_strength", l2_regularization_strength, "positive or zero"),
                ("l2_shrinkage_regularization_strength", l2_shrinkage_regularization_strength,
                 "positive or zero")]:
            if value < 0.0:
                raise ValueError(f"Ftrl: `{arg}` needs to be {ok}, got "
                                 f"{-value if arg == 'learning_rate_power' else value}")
        self.learning_rate_power = float(learning_rate_power)
        self.initial_accumulator_value = float(initial_accumulator_value)
        self.l1_regularization_strength = float(l1_regularization_strength)
        self.l2_regularization_strength = float(l2_regularization_strength)
        self.l2_shrinkage_regularization_strength = float(l2_shrinkage_regularization_strength)
        self.beta = float(beta)

    def build_slots(self, var):
        return {"accumulator": self.add_variable_from_reference(
                    var, "accumulator", self.initial_accumulator_value),
                "linear": self.add_variable_from_reference(var, "linear")}

    def update_step(self, g, v, lr, slots):
        acc, lin = slots["accumulator"], slots["linear"]
        p = -self.learning_rate_power
        l2 = self.l2_regularization_strength + self.beta / (2.0 * lr)
        w = v.read_value()
        g_use = g + 2.0 * self.l2_shrinkage_regularization_strength * w
        acc_old = acc.read_value()
        acc_new = acc_old + _m.square(g)
        lin_new = lin.read_value() + g_use - (_m.pow(acc_new, p) - _m.pow(acc_old, p)) / lr * w
        lin.assign(lin_new)
        quadratic = _m.pow(acc_new, p) / lr + 2.0 * l2
        l1 = self.l1_regularization_strength
        v.assign((_m.clip_by_value(lin_new, -l1, l1) - lin_new) / quadratic)
        acc.assign(acc_new)

    def get_config(self):
        return dict(super().get_config(), learning_rate_power=self.learning_rate_power,
                    initial_accumulator_value=self.initial_accumulator_value,
                    l1_regularization_strength=self.l1_regularization_strength,
                    l2_regularization_strength=self.l2_regularization_strength,
                    l2_shrinkage_regularization_strength=self.l2_shrinkage_regularization_strength,
                    beta=self.beta)


class Lion(Optimizer):
    """w -= lr sign(b1 m + (1 - b1) g);  m = b2 m + (1 - b2) g  (Chen et al., 2023)."""

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.99, name=None, **kwargs):
        super().__init__(learning_rate, name=name, **kwargs)
        if beta_1 <= 0 or beta_1 > 1:
            raise ValueError("Lion: `beta_1` must be in the (0, 1] range (otherwise the optimizer "
                             f"degenerates to SignSGD), got {beta_1}")
        self.beta_1, self.beta_2 = float(beta_1), float(beta_2)

    def build_slots(self, var):
        return {"m": self.add_variable_from_reference(var, "momentum")}

    def update_step(self, g, v, lr, slots):
        m = slots["m"]
        m_old = m.read_value()
        v.assign_sub(lr * _m.sign(m_old * self.beta_1 + g * (1.0 - self.beta_1)))
        m.assign(m_old * self.beta_2 + g * (1.0 - self.beta_2))

    def get_config(self):
        return dict(super().get_config(), beta_1=self.beta_1, beta_2=self.beta_2)


class Lamb(Optimizer):
    """LAMB (You et al., 2019), Keras 3's `keras.optimizers.Lamb`: Adam's bias-corrected
    update u = m_hat / (sqrt(v_hat) + eps), scaled per variable by the trust ratio
    ||w|| / ||u|| (1 when either norm is 0): w -= ratio lr u.

    >>> import graphflow as tf
    >>> w = tf.Variable([3.0, 4.0])
    >>> _ = Lamb(0.1).apply_gradients([(tf.constant([1.0, -1.0]), w)])
    >>> [round(float(v), 4) for v in w.numpy()]     # ||w|| = 5 = ||step|| / lr
    [2.6464, 4.3536]
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, name=None,
                 **kwargs):
        super().__init__(learning_rate, name=name, **kwargs)
        self.beta_1, self.beta_2, self.epsilon = float(beta_1), float(beta_2), float(epsilon)

    def build_slots(self, var):
        return {"m": self.add_variable_from_reference(var, "momentum"),
                "v": self.add_variable_from_reference(var, "velocity")}

    def update_step(self, g, v, lr, slots):
        t = self.update_count() + 1.0
        m, vv = slots["m"], slots["v"]
        m_new = m.read_value() + (g - m.read_value()) * (1.0 - self.beta_1)
        v_new = vv.read_value() + (_m.square(g) - vv.read_value()) * (1.0 - self.beta_2)
        m.assign(m_new)
        vv.assign(v_new)
        m_hat = m_new / (1.0 - _m.pow(convert_to_tensor(np.float32(self.beta_1)), t))
        v_hat = v_new / (1.0 - _m.pow(convert_to_tensor(np.float32(self.beta_2)), t))
        update = m_hat / (_m.sqrt(v_hat) + self.epsilon)
        w_norm = _m.sqrt(_m.reduce_sum(_m.square(v.read_value())))
        u_norm = _m.sqrt(_m.reduce_sum(_m.square(update)))
        ratio = _m.where(_m.greater(w_norm, 0.0),
                         _m.where(_m.greater(u_norm, 0.0), w_norm / _m.maximum(u_norm, 1e-30),
                                  1.0), 1.0)
        v.assign_sub(ratio * lr * update)

    def get_config(self):
        return dict(super().get_config(), beta_1=self.beta_1, beta_2=self.beta_2,
                    epsilon=self.epsilon)


class Adafactor(Optimizer):
    """Adafactor (Shazeer & Stern, 2018), Keras 3's `keras.optimizers.Adafactor`: the second
    moment of a matrix is kept factored (row and column means r, c; v = r c / mean(r)), the
    step is relative to the variable's RMS (at least `epsilon_2`), the update clipped to RMS
    `clip_threshold`, and the decay is 1 - t^beta_2_decay.

    >>> import graphflow as tf
    >>> w = tf.Variable([[1.0, 2.0], [3.0, 4.0]])
    >>> _ = Adafactor(0.5).apply_gradients([(tf.constant([[1.0, 0.0], [0.0, 1.0]]), w)])
    >>> [[round(float(a), 4) for a in row] for row in w.numpy()]
    [[-0.9365, 2.0], [3.0, 2.0635]]
    """

    def __init__(self, learning_rate=0.001, beta_2_decay=-0.8, epsilon_1=1e-30, epsilon_2=1e-3,
                 clip_threshold=1.0, relative_step=True, name=None, **kwargs):
        super().__init__(learning_rate, name=name, **kwargs)
        self.beta_2_decay, self.epsilon_1 = float(beta_2_decay), float(epsilon_1)
        self.epsilon_2, self.clip_threshold = float(epsilon_2), float(clip_threshold)
        self.relative_step = bool(relative_step)

    def _zeros(self, var, shape, name):
        base = getattr(var, "path", var.name.split(":")[0])
        return Variable(np.zeros(tuple(shape), var.dtype.np), trainable=False,
                        name=f"{self.name}/{base}_{name}")

    def build_slots(self, var):
        slots = {"v": self.add_variable_from_reference(var, "velocity")}
        if len(var.shape) >= 2:
            shape = tuple(var.shape)
            slots["r"] = self._zeros(var, shape[:-1], "r")
            slots["c"] = self._zeros(var, shape[:-2] + shape[-1:], "c")
        return slots

    @staticmethod
    def _rms(x):
        return _m.sqrt(_m.reduce_mean(_m.square(x)))

    def update_step(self, g, v, lr, slots):
        t = self.update_count() + 1.0
        inv_sqrt_t = 1.0 / _m.sqrt(t)
        if self._schedule is None and self.relative_step:
            lr = _m.minimum(lr, inv_sqrt_t)
        rho = _m.minimum(lr, inv_sqrt_t)
        alpha = _m.maximum(self.epsilon_2, self._rms(v.read_value())) * rho
        g2 = _m.square(g) + self.epsilon_1
        beta_2 = 1.0 - _m.pow(t, self.beta_2_decay)
        vel = slots["v"]
        if "r" in slots:
            r = slots["r"].read_value() * beta_2 + _m.reduce_mean(g2, -1) * (1.0 - beta_2)
            c = slots["c"].read_value() * beta_2 + _m.reduce_mean(g2, -2) * (1.0 - beta_2)
            slots["r"].assign(r)
            slots["c"].assign(c)
            new_v = _s.expand_dims(r / _m.reduce_mean(r, -1, keepdims=True), -1) * \
                _s.expand_dims(c, -2)
        else:
            new_v = vel.read_value() * beta_2 + g2 * (1.0 - beta_2)
        vel.assign(new_v)
        u = g / _m.sqrt(new_v)
        u = u / _m.maximum(1.0, self._rms(u) / self.clip_threshold)
        v.assign_sub(alpha * u)

    def get_config(self):
        return dict(super().get_config(), beta_2_decay=self.beta_2_decay,
                    epsilon_1=self.epsilon_1, epsilon_2=self.epsilon_2,
                    clip_threshold=self.clip_threshold, relative_step=self.relative_step)


class ScheduleFreeAdamW(Optimizer):
    """Schedule-Free AdamW (Defazio et al., 2024), Keras 3's
    `keras.optimizers.ScheduleFreeAdamW`: Adam's bias-corrected second moment scales steps
    of a sequence z (slot 'momentum', starting at the variable); the averaged sequence
    x = lerp(x, z, 1/t) is kept implicitly and the variable is y = (1 - b1) z + b1 x. A
    linear learning-rate warmup over `warmup_steps` replaces a schedule.

    >>> import graphflow as tf
    >>> w = tf.Variable([1.0, -1.0])
    >>> _ = ScheduleFreeAdamW(0.1).apply_gradients([(tf.constant([2.0, -0.5]), w)])
    >>> [round(float(v), 4) for v in w.numpy()]   # z = w - 0.1 sign(g), t = 1: y = z
    [0.9, -0.9]
    """

    def __init__(self, learning_rate=0.0025, beta_1=0.9, beta_2=0.999, epsilon=1e-8,
                 warmup_steps=0, name=None, **kwargs):
        super().__init__(learning_rate, name=name, **kwargs)
        self.beta_1, self.beta_2, self.epsilon = float(beta_1), float(beta_2), float(epsilon)
        self.warmup_steps = int(warmup_steps)

    def build_slots(self, var):
        z = self.add_variable_from_reference(var, "momentum")
        z.assign(var.read_value())
        return {"momentum": z, "velocity": self.add_variable_from_reference(var, "velocity")}

    def update_step(self, g, v, lr, slots):
        t = self.update_count() + 1.0
        if self.warmup_steps > 0:
            lr = lr * _m.minimum(t / float(self.warmup_steps), 1.0)
        z, vel = slots["momentum"], slots["velocity"]
        z_old = z.read_value()
        vel_new = vel.read_value() + (_m.square(g) - vel.read_value()) * (1.0 - self.beta_2)
        vel.assign(vel_new)
        bc2 = 1.0 - _m.pow(convert_to_tensor(np.float32(self.beta_2)), t)
        z_new = z_old - lr * g / (_m.sqrt(vel_new / bc2) + self.epsilon)
        z.assign(z_new)
        b1, weight = self.beta_1, 1.0 / t
        x_old = (v.read_value() - z_old * (1.0 - b1)) / b1
        x_new = x_old * (1.0 - weight) + z_new * weight
        v.assign(z_new * (1.0 - b1) + x_new * b1)

    def get_config(self):
        return dict(super().get_config(), beta_1=self.beta_1, beta_2=self.beta_2,
                    epsilon=self.epsilon, warmup_steps=self.warmup_steps)


class Muon(Optimizer):
    """Muon (Jordan et al., 2024), Keras 3's `keras.optimizers.Muon`: a 2-D variable (not an
    embedding with `exclude_embeddings`, nor matching a regex of `exclude_layers`) takes
    the (Nesterov) momentum of its gradient orthogonalized by `ns_steps` quintic
    Newton-Schulz iterations, scaled by sqrt(max(n, m)) * rms_rate (Moonlight; `rms_rate`
    None: unscaled); every other variable takes AdamW steps at lr * adam_lr_ratio, with
    decay `adam_weight_decay`.

    >>> import graphflow as tf
    >>> w = tf.Variable([[1.0, 0.0], [0.0, 1.0]])
    >>> _ = Muon(0.1, weight_decay=None, rms_rate=None).apply_gradients(
    ...     [(tf.constant([[1.0, 0.0], [0.0, 0.0]]), w)])
    >>> [[round(float(a), 2) for a in row] for row in w.numpy()]   # ~ 1 - lr * 0.7
    [[0.93, 0.0], [0.0, 1.0]]
    """

    def __init__(self, learning_rate=0.001, adam_beta_1=0.9, adam_beta_2=0.999,
                 adam_weight_decay=0.004, epsilon=1e-7, weight_decay=0.004, name=None,
                 exclude_layers=None, exclude_embeddings=True, muon_a=3.4445, muon_b=-4.7750,
                 muon_c=2.0315, adam_lr_ratio=1, momentum=0.95, ns_steps=5, nesterov=True,
                 rms_rate=0.2, **kwargs):
        super().__init__(learning_rate, name=name, weight_decay=weight_decay, **kwargs)
        self.adam_beta_1, self.adam_beta_2 = adam_beta_1, adam_beta_2
        self.epsilon, self.adam_weight_decay = epsilon, adam_weight_decay
        self.muon_a, self.muon_b, self.muon_c = muon_a, muon_b, muon_c
        self.adam_lr_ratio, self.momentum, self.ns_steps = adam_lr_ratio, momentum, ns_steps
        self.nesterov, self.rms_rate = nesterov, rms_rate
        self.exclude_layers, self.exclude_embeddings = list(exclude_layers or []), \
            exclude_embeddings

    def _uses_adamw(self, var):
        if len(var.shape) != 2:
            return True
        path = getattr(var, "path", None) or var.name.split(":")[0]
        if self.exclude_embeddings and "embedding" in path.lower():
            return True
        return any(re.search(k, path) for k in self.exclude_layers)

    def _weight_decay_for(self, var):
        return self.adam_weight_decay if self._uses_adamw(var) else self.weight_decay

    def build_slots(self, var):
        slots = {"momentum": self.add_variable_from_reference(var, "momentum")}
        if self._uses_adamw(var):
            slots["velocity"] = self.add_variable_from_reference(var, "velocity")
        return slots

    def update_step(self, g, v, lr, slots):
        m = slots["momentum"]
        if "velocity" in slots:   # AdamW (Keras' form: eps outside the uncorrected sqrt(v))
            lr = lr * float(self.adam_lr_ratio)
            t = self.update_count() + 1.0
            b1p = _m.pow(convert_to_tensor(np.float32(self.adam_beta_1)), t)
            b2p = _m.pow(convert_to_tensor(np.float32(self.adam_beta_2)), t)
            alpha = lr * _m.sqrt(1.0 - b2p) / (1.0 - b1p)
            vel = slots["velocity"]
            m_new = m.read_value() + (g - m.read_value()) * (1.0 - self.adam_beta_1)
            v_new = vel.read_value() + (_m.square(g) - vel.read_value()) * \
                (1.0 - self.adam_beta_2)
            m.assign(m_new)
            vel.assign(v_new)
            v.assign_sub(m_new * alpha / (_m.sqrt(v_new) + self.epsilon))
            return
        m_new = m.read_value() + g + m.read_value() * (self.momentum - 1.0)
        m.assign(m_new)
        update = self._newton_schulz(g + m_new * self.momentum if self.nesterov else m_new)
        step = lr * update
        if self.rms_rate is not None:
            n = max(int(v.shape[0]), int(v.shape[1]))
            step = step * (float(np.sqrt(np.float32(n))) * self.rms_rate)
        v.assign_sub(step)

    def _newton_schulz(self, x):
        """Keras' quintic Newton-Schulz map toward the orthogonal factor of the matrix `x`."""
        a, b, c = self.muon_a, self.muon_b, self.muon_c
        wide = int(x.shape[-2]) > int(x.shape[-1])
        if wide:
            x = _s.transpose(x)
        x = x / (_m.sqrt(_m.reduce_sum(_m.square(x), axis=(-2, -1), keepdims=True)) + 1e-7)
        for _ in range(self.ns_steps):
            xxt = _m.matmul(x, x, transpose_b=True)
            x = a * x + _m.matmul(b * xxt + c * _m.matmul(xxt, xxt), x)
        return _s.transpose(x) if wide else x

    def get_config(self):
        return dict(super().get_config(), adam_beta_1=self.adam_beta_1,
                    adam_beta_2=self.adam_beta_2, epsilon=self.epsilon,
                    exclude_layers=self.exclude_layers, muon_a=self.muon_a, muon_b=self.muon_b,
                    muon_c=self.muon_c, adam_lr_ratio=self.adam_lr_ratio,
                    momentum=self.momentum, ns_steps=self.ns_steps, nesterov=self.nesterov,
                    exclude_embeddings=self.exclude_embeddings,
                    adam_weight_decay=self.adam_weight_decay, rms_rate=self.rms_rate)


class LossScaleOptimizer(Optimizer):
    """Dynamic loss scaling around `inner_optimizer` (Keras 3's
    `keras.optimizers.LossScaleOptimizer`, also `keras.mixed_precision.LossScaleOptimizer`):
    `scale_loss` multiplies the loss by `dynamic_scale`; `apply_gradients` divides the
    gradients by it, and if they are all finite applies the inner update (doubling the scale
    after `dynamic_growth_steps` finite steps in a row), else skips the update entirely and
    halves the scale. Traced as one program (the skipped update is undone with `where`).

    >>> import graphflow as tf
    >>> opt = LossScaleOptimizer(SGD(0.1), initial_scale=8.0)
    >>> w = tf.Variable([1.0])
    >>> _ = opt.apply_gradients([(tf.constant([8.0]), w)])         # unscaled: 1.0
    >>> _ = opt.apply_gradients([(tf.constant([float("inf")]), w)])  # skipped, scale halves
    >>> w.numpy().tolist(), float(opt.dynamic_scale.numpy()), int(opt.iterations.numpy())
    ([0.8999999761581421], 4.0, 1)
    """

    def __init__(self, inner_optimizer, initial_scale=2.0 ** 15, dynamic_growth_steps=2000,
                 name=None, **kwargs):
        if not kwargs.pop("dynamic", True):
            raise ValueError("LossScaleOptimizer no longer supports `dynamic=False`. Instead, "
                             "simply set `loss_scale_factor` directly on the `inner_optimizer`.")
        for arg in ("weight_decay", "clipnorm", "global_clipnorm", "clipvalue", "use_ema",
                    "ema_momentum", "ema_overwrite_frequency", "loss_scale_factor",
                    "gradient_accumulation_steps"):
            if kwargs.pop(arg, None) not in (None, False, 0.99):
                raise ValueError(f"LossScaleOptimizer does not support `{arg}`. Instead, set "
                                 f"`{arg}` on the `inner_optimizer`.")
        if kwargs:
            raise ValueError(f"LossScaleOptimizer does not support arguments: {sorted(kwargs)}")
        self.inner_optimizer = get(inner_optimizer)
        super().__init__(0.0, name=name)
        self.initial_scale = float(initial_scale)
        self.dynamic_growth_steps = int(dynamic_growth_steps)
        self.inner_optimizer.loss_scale_factor = None
        self.step_counter = _scalar_var(0, _dt.int64, f"{self.name}/step_counter")
        self.dynamic_scale = _scalar_var(self.initial_scale, _dt.float32,
                                         f"{self.name}/dynamic_scale")

    # the inner optimizer's learning rate and step count are the ones that matter
    @property
    def learning_rate(self):
        return self.inner_optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        if hasattr(self, "inner_optimizer"):
            self.inner_optimizer.learning_rate = value

    @property
    def iterations(self):
        return self.inner_optimizer.iterations

    @iterations.setter
    def iterations(self, value):    # the base class's own counter is not used
        pass

    @property
    def variables(self):
        return [self.step_counter, self.dynamic_scale] + self.inner_optimizer.variables

    def build(self, var_list):
        self.inner_optimizer.build(var_list)
        self.built = True

    def scale_loss(self, loss):
        loss = convert_to_tensor(loss)
        return loss * _m.cast(self.dynamic_scale.read_value(), loss.dtype)

    def apply_gradients(self, grads_and_vars, name=None, **_):
        pairs = [(g, v) for g, v in grads_and_vars if g is not None]
        if not pairs:
            return self.iterations
        inner = self.inner_optimizer
        inner.build([v for _, v in pairs])
        with _state.name_scope(self.name):
            scale = self.dynamic_scale.read_value()
            grads = [convert_to_tensor(g) for g, _ in pairs]
            finite = _m.reduce_all(_s.stack([_m.reduce_all(_m.is_finite(g)) for g in grads]))
            state = [v for _, v in pairs] + [w for _, v in pairs
                                             for w in inner._slots[id(v)].values()]
            state += [inner.iterations] + inner._step_variables()
            kept = [(w, w.read_value()) for w in state]
        inner.apply_gradients([(g / _m.cast(scale, g.dtype), v) for g, (_, v) in
                               zip(grads, pairs)])
        with _state.name_scope(self.name):
            for w, old in kept:     # a non-finite step changes nothing
                w.assign(_m.where(finite, w.read_value(), old))
            counter = self.step_counter.read_value()
            grow = _m.logical_and(finite, _m.equal(counter, np.int64(self.dynamic_growth_steps
                                                                      - 1)))
            self.step_counter.assign(_m.where(finite, _m.where(grow, counter * 0, counter + 1),
                                              counter * 0))
            self.dynamic_scale.assign(_m.where(finite, _m.where(grow, scale * 2.0, scale),
                                               scale * 0.5))
        return self.iterations

    def finalize_variable_values(self, var_list):
        self.inner_optimizer.finalize_variable_values(var_list)

    def get_config(self):
        return {"name": self.name, "inner_optimizer": serialize(self.inner_optimizer),
                "initial_scale": self.initial_scale,
                "dynamic_growth_steps": self.dynamic_growth_steps}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config["inner_optimizer"] = deserialize(config["inner_optimizer"], custom_objects)
        return cls(**config)


class OptimizerMap(dict):
    """Variable path -> optimizer, with a default (Keras 3.15's `keras.optimizers.OptimizerMap`):
    a key matches a path exactly, else as a regular expression (`re.fullmatch`; more than one
    matching pattern is an error); no match gives `default_optimizer`. Calling the map on a
    variable looks up its `path`.

    >>> m = OptimizerMap(RMSprop(name="r"), {"encoder/.*": SGD(name="s")})
    >>> m["decoder"] = Adam(name="a")
    >>> [m[k].name for k in ("decoder", "encoder/dense/kernel", "head/bias")]
    ['a', 's', 'r']
    """

    def __init__(self, default_optimizer, optimizer_map=None):
        if not isinstance(default_optimizer, Optimizer):
            raise TypeError("OptimizerMap: default_optimizer must be a Keras Optimizer instance, "
                            f"got {default_optimizer!r}")
        if optimizer_map is not None and not isinstance(optimizer_map, dict):
            raise TypeError(f"OptimizerMap: optimizer_map must be a dict, got {optimizer_map!r}")
        super().__init__()
        self.default_optimizer = default_optimizer
        for key, opt in (optimizer_map or {}).items():
            self[key] = opt

    def __getitem__(self, key):
        if dict.__contains__(self, key):
            return dict.__getitem__(self, key)
        hits = [p for p in self if re.fullmatch(p, key)]
        if len(hits) > 1:
            raise ValueError(f"OptimizerMap: multiple optimizers assigned to variable {key!r} "
                             f"(patterns {hits})")
        return dict.__getitem__(self, hits[0]) if hits else self.default_optimizer

    def __setitem__(self, key, optimizer):
        if not isinstance(key, str):
            raise ValueError(f"OptimizerMap: a key must be a string, got {key!r}")
        if dict.__contains__(self, key):
            raise ValueError(f"OptimizerMap: {key!r} already maps to an optimizer (keys must not "
                             "repeat)")
        if not isinstance(optimizer, Optimizer) or isinstance(
                optimizer, (LossScaleOptimizer, MultiOptimizer)):
            raise ValueError("OptimizerMap: a value must be an Optimizer, not a "
                             f"LossScaleOptimizer or MultiOptimizer; got {optimizer!r}")
        dict.__setitem__(self, key, optimizer)

    def __call__(self, variable):
        return self[getattr(variable, "path", None) or variable.name.split(":")[0]]

    def get_config(self):
        return {"default_optimizer": serialize(self.default_optimizer),
                "optimizer_map": {k: serialize(v) for k, v in self.items()}}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        return cls(deserialize(config["default_optimizer"], custom_objects),
                   {k: deserialize(v, custom_objects)
                    for k, v in config.get("optimizer_map", {}).items()})


class MultiOptimizer(Optimizer):
    """Each variable updated by its own optimizer (Keras 3.15's
    `keras.optimizers.MultiOptimizer`): `optimizer_map` is an `OptimizerMap` or a function
    variable -> optimizer. Every optimizer keeps its own slots, learning rate and iterations;
    `loss_scale_factor` is set on all of them. There is no single learning rate.

    >>> import graphflow as tf
    >>> a, b = tf.Variable(1.0, name="enc"), tf.Variable(1.0, name="dec")
    >>> opt = MultiOptimizer(OptimizerMap(SGD(0.5), {"enc": SGD(0.1)}))
    >>> _ = opt.apply_gradients([(tf.constant(1.0), a), (tf.constant(1.0), b)])
    >>> round(float(a.numpy()), 4), round(float(b.numpy()), 4), int(opt.iterations.numpy())
    (0.9, 0.5, 1)
    """

    def __init__(self, optimizer_map, loss_scale_factor=None, name=None):
        super().__init__(0.0, name=name or "multi_optimizer")
        self._optimizer_map = optimizer_map
        self._inner = []
        for opt in list(getattr(optimizer_map, "values", lambda: [])()) + [
                getattr(optimizer_map, "default_optimizer", None)]:
            if opt is not None and opt not in self._inner:
                self._inner.append(opt)
        self.loss_scale_factor = loss_scale_factor
        self._zero_lr, self._lr = self._lr, None   # Keras keeps its unused 0.0 rate variable

    @property
    def loss_scale_factor(self):
        return self.__dict__.get("_loss_scale_factor")

    @loss_scale_factor.setter
    def loss_scale_factor(self, value):
        self._loss_scale_factor = value
        for opt in self.__dict__.get("_inner", []):
            opt.loss_scale_factor = value

    @property
    def learning_rate(self):
        raise AttributeError("Learning rate cannot be accessed on a MultiOptimizer. Access the "
                             "learning rate on the individual sub-optimizers instead.")

    @learning_rate.setter
    def learning_rate(self, value):
        raise AttributeError("Learning rate cannot be set on a MultiOptimizer. Set the learning "
                             "rate on the individual sub-optimizers instead.")

    @property
    def optimizers(self):
        return list(self._inner)

    def _optimizer_for(self, var):
        opt = self._optimizer_map(var)
        if not isinstance(opt, Optimizer) or isinstance(opt, (LossScaleOptimizer,
                                                               MultiOptimizer)):
            raise ValueError(f"MultiOptimizer: the optimizer for variable {var.name!r} must be an "
                             f"Optimizer (not a LossScaleOptimizer or MultiOptimizer); got {opt!r}")
        if opt not in self._inner:
            opt.loss_scale_factor = self.loss_scale_factor
            self._inner.append(opt)
        return opt

    def _groups(self, pairs):
        groups = {}
        for g, v in pairs:
            groups.setdefault(id(self._optimizer_for(v)), []).append((g, v))
        return [(opt, groups[id(opt)]) for opt in self._inner if id(opt) in groups]

    def build(self, var_list):
        var_list = list(var_list)
        self._built_variables = var_list
        for opt, pairs in self._groups([(None, v) for v in var_list]):
            opt.build([v for _, v in pairs])
        self.built = True

    def apply_gradients(self, grads_and_vars, name=None, **_):
        pairs = [(g, v) for g, v in grads_and_vars]
        self._built_variables = getattr(self, "_built_variables", None) or [v for _, v in pairs]
        for opt, group in self._groups(pairs):
            opt.apply_gradients(group)
        self.built = True
        self.iterations.assign_add(np.int64(1))
        return self.iterations

    def finalize_variable_values(self, var_list):
        for opt, pairs in self._groups([(None, v) for v in var_list]):
            opt.finalize_variable_values([v for _, v in pairs])

    @property
    def variables(self):
        return [self.iterations, self._zero_lr] + [v for opt in self._inner for v in opt.variables]

    def get_config(self):
        m = self._optimizer_map
        return {"optimizer_map": {"class_name": "OptimizerMap", "config": m.get_config()}
                if isinstance(m, OptimizerMap) else m,
                "loss_scale_factor": self.loss_scale_factor, "name": self.name}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        m = config["optimizer_map"]
        if isinstance(m, dict) and m.get("class_name") == "OptimizerMap":
            config["optimizer_map"] = OptimizerMap.from_config(m["config"], custom_objects)
        return cls(**config)


_BY_NAME = {"sgd": SGD, "adam": Adam, "adamw": AdamW, "rmsprop": RMSprop, "adagrad": Adagrad,
            "adadelta": Adadelta, "adamax": Adamax, "nadam": Nadam, "ftrl": Ftrl, "lion": Lion,
            "lamb": Lamb, "adafactor": Adafactor, "muon": Muon,
            "schedulefreeadamw": ScheduleFreeAdamW, "multioptimizer": MultiOptimizer,
            "lossscaleoptimizer": LossScaleOptimizer}


def serialize(optimizer):
    """An optimizer as Keras 3's config dict.

    >>> serialize(Lion(0.01))["class_name"]
    'Lion'
    """
    return {"module": "keras.optimizers", "class_name": type(optimizer).__name__,
            "config": optimizer.get_config(), "registered_name": None}


def deserialize(config, custom_objects=None):
    """An optimizer from `serialize`'s dict (class names as Keras spells them).

    >>> type(deserialize({"class_name": "Nadam", "config": {"learning_rate": 0.1}})).__name__
    'Nadam'
    """
    name = config["class_name"]
    cls = (custom_objects or {}).get(name) or _BY_NAME.get(name.lower())
    if cls is None:
        raise ValueError(f"Unknown optimizer: {name!r}. Known: {sorted(_BY_NAME)}")
    return cls.from_config(dict(config.get("config", {})))


def get(identifier):
    """An optimizer instance from a name ('adam'), a class, or an instance."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Optimizer):
        return identifier()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        try:
            return _BY_NAME[identifier.lower()]()
        except KeyError:
            raise ValueError(f"Unknown optimizer: {identifier!r}. Known: {sorted(_BY_NAME)}") \
                from None
    raise TypeError(f"Could not interpret optimizer identifier: {identifier!r}")

