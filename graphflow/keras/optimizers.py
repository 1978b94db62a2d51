"""Optimizers (`keras.optimizers`): SGD (momentum, Nesterov), Adam / AdamW (AMSGrad), RMSprop,
Adagrad, with Keras' update formulas.

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
import warnings

import numpy as np

from .. import dtypes as _dt
from .. import state as _state
from ..ops import math_ops as _m
from ..tensor import Tensor, Variable, convert_to_tensor


# ------------------------------------------------------------------ learning-rate schedules
class LearningRateSchedule:
    """`schedule(step)` -> learning rate; step is the optimizer's `iterations` (a tensor)."""

    def __call__(self, step):
        raise NotImplementedError

    def get_config(self):
        return {}


class _StepDecay(LearningRateSchedule):
    """Decay driven by p = step / decay_steps (floored if staircase)."""

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False, name=None):
        self.initial_learning_rate, self.decay_steps = initial_learning_rate, decay_steps
        self.decay_rate, self.staircase = decay_rate, staircase

    def _progress(self, step):
        p = _m.cast(step, _dt.float32) / float(self.decay_steps)
        return _m.floor(p) if self.staircase else p


class ExponentialDecay(_StepDecay):
    """initial_learning_rate * decay_rate ** (step / decay_steps) (floored if staircase)."""

    def __call__(self, step):
        return self.initial_learning_rate * _m.pow(float(self.decay_rate), self._progress(step))

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "decay_rate": self.decay_rate,
                "staircase": self.staircase}


class InverseTimeDecay(_StepDecay):
    """initial_learning_rate / (1 + decay_rate * step / decay_steps) (floored if staircase)."""

    def __call__(self, step):
        return self.initial_learning_rate / (1.0 + self.decay_rate * self._progress(step))


class PiecewiseConstantDecay(LearningRateSchedule):
    def __init__(self, boundaries, values, name=None):
        if len(values) != len(boundaries) + 1:
            raise ValueError("PiecewiseConstantDecay: need len(values) == len(boundaries) + 1")
        self.boundaries, self.values = list(boundaries), list(values)

    def __call__(self, step):
        step = _m.cast(step, _dt.float32)
        out = convert_to_tensor(np.float32(self.values[-1]))
        for b, v in reversed(list(zip(self.boundaries, self.values[:-1]))):
            out = _m.where(_m.less_equal(step, float(b)), convert_to_tensor(np.float32(v)), out)
        return out


schedules = type("schedules", (), {
    "LearningRateSchedule": LearningRateSchedule, "ExponentialDecay": ExponentialDecay,
    "InverseTimeDecay": InverseTimeDecay, "PiecewiseConstantDecay": PiecewiseConstantDecay})


# ------------------------------------------------------------------ base class
def _scalar_var(value, dtype, name):
    return Variable(np.asarray(value, dtype=_dt.as_dtype(dtype).np), trainable=False, name=name)


class Optimizer:
    """Base class. Subclasses define `build_slots(var)` -> dict of slot Variables and
    `update_step(grad, var, lr, slots)`."""

    def __init__(self, learning_rate=0.001, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, name=None, **kwargs):
        if "lr" in kwargs:
            learning_rate = kwargs.pop("lr")
        if kwargs:
            raise TypeError(f"{type(self).__name__}: unexpected arguments {sorted(kwargs)}")
        if sum(c is not None for c in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError("only one of clipnorm, clipvalue, global_clipnorm may be set")
        self.name = name or type(self).__name__.lower()
        self.weight_decay = weight_decay
        self.clipnorm, self.clipvalue, self.global_clipnorm = clipnorm, clipvalue, global_clipnorm
        self.iterations = _scalar_var(0, _dt.int64, f"{self.name}/iteration")
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
            self._slots[id(v)] = slots
            self._tracked[id(v)] = v
            self._slot_vars.extend(slots.values())
        self.built = True

    def add_variable_from_reference(self, reference_variable, name, initializer="zeros"):
        """A slot variable shaped like `reference_variable` (zeros by default)."""
        value = {"zeros": 0.0, "ones": 1.0}.get(initializer, initializer)
        base = getattr(reference_variable, "path", reference_variable.name.split(":")[0])
        return Variable(np.full(tuple(reference_variable.shape), value, reference_variable.dtype.np),
                        trainable=False, name=f"{self.name}/{base}_{name}")

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
        grads = self._clip(grads)
        with _state.name_scope(self.name):
            lr = self._current_lr()
            self._step = self.prepare_step(lr)
        try:
            for g, (_, v) in zip(grads, pairs):
                with _state.name_scope(self.name), _state.name_scope(   # viz groups per variable
                        getattr(v, "path", v.name.split(":")[0]).replace("/", "_") or "var"):
                    if self.weight_decay and id(v) not in self._exclude_wd and not any(
                            n in v.name for n in getattr(self, "_exclude_wd_names", ())):
                        v.assign_sub(v.read_value() * (lr * float(self.weight_decay)))
                    self.update_step(g, v, lr, self._slots[id(v)])
        finally:
            self._step = None   # may hold values of a trace: never keep them past this call
        with _state.name_scope(self.name):
            self.iterations.assign_add(np.int64(1))
        return self.iterations

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
        lr = self._schedule.get_config() if self._schedule is not None else float(self._lr.numpy())
        return {"name": self.name, "learning_rate": lr, "weight_decay": self.weight_decay,
                "clipnorm": self.clipnorm, "clipvalue": self.clipvalue,
                "global_clipnorm": self.global_clipnorm}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} {self.get_config()}>"


class SGD(Optimizer):
    """Plain / momentum / Nesterov gradient descent (Keras formulas):
    m = momentum * m - lr * g;  w += m   (Nesterov: w += momentum * m - lr * g)."""

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, name="SGD", **kwargs):
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
                 name="adam", **kwargs):
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
        t = _m.cast(self.iterations.read_value() + np.int64(1), _dt.float32)
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
                 epsilon=1e-7, amsgrad=False, name="adamw", **kwargs):
        super().__init__(learning_rate, beta_1, beta_2, epsilon, amsgrad, name=name,
                         weight_decay=weight_decay, **kwargs)


class RMSprop(Optimizer):
    """v = rho v + (1 - rho) g^2;  w -= lr g / sqrt(v + eps)  (centered: v - mean(g)^2;
    with momentum: m = momentum m + increment; w -= m)."""

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False,
                 name="rmsprop", **kwargs):
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
                 name="adagrad", **kwargs):
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


_BY_NAME = {"sgd": SGD, "adam": Adam, "adamw": AdamW, "rmsprop": RMSprop, "adagrad": Adagrad}


def get(identifier):
    """An optimizer instance from a name ('adam'), a class, or an instance."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Optimizer):
        return identifier()
    if isinstance(identifier, str):
        try:
            return _BY_NAME[identifier.lower()]()
        except KeyError:
            raise ValueError(f"Unknown optimizer: {identifier!r}. Known: {sorted(_BY_NAME)}") \
                from None
    raise TypeError(f"Could not interpret optimizer identifier: {identifier!r}")

