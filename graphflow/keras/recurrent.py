"""Keras recurrent layers: `SimpleRNN`, `LSTM`, `GRU`, their cells and the `RNN(cell)` wrapper,
with Keras 3 defaults and weight layout (kernel (input, k*units) glorot_uniform, recurrent_kernel
(units, k*units) orthogonal, zero bias; LSTM gates i, f, c, o with unit_forget_bias; GRU gates
z, r, h with reset_after=True and bias (2, 3*units)).

The time loop runs over the static time dimension: eagerly step by step (a Python loop), and
under `graphflow.function` as one `while_loop` node whose body is the cell (the graph does not
grow with the sequence length); its gradient is a second while_loop running backwards over the
recorded steps, so reverse mode, second order and forward mode work through it. Keras semantics
for `dropout`/`recurrent_dropout` (one mask per call, while training), masking (`mask=`, from
`Embedding(mask_zero=True)` or `Masking`), `stateful`, `go_backwards`, stacked cells and
`Bidirectional`.

>>> import graphflow as tf
>>> from graphflow.keras.recurrent import LSTM
>>> lstm = LSTM(4, return_sequences=True)
>>> lstm(tf.ones((2, 5, 3))).shape, lstm.count_params()
(TensorShape([2, 5, 4]), 128)
"""
import copy
import inspect

import numpy as np

from .. import control_ops, dtypes as _dt
from ..graph import user_source
from ..nest import flatten
from ..ops import creation as _creation
from ..ops import array_ops as _a, math_ops as _m, random_ops as _r, shape_ops as _s
from ..tensor import SymbolicTensor, TensorShape, Variable, to_tensor
from . import activations as _act, initializers as _init, regularizers as _reg
from .layers import Layer
from .naming import snake_case as _snake


def _dropout_mask(like, rate, seed):
    """Keras' RNN dropout mask: ones shaped like `like` with a `rate` fraction zeroed and the rest
    scaled by 1/(1-rate); drawn once per layer call and shared by every time step."""
    u = _r.uniform(tuple(like.shape), dtype=like.dtype, seed=seed)
    return _m.cast(_m.greater_equal(u, rate), like.dtype) * (1.0 / (1.0 - rate))


def _input_dim(owner, input_shape):
    shape = tuple(input_shape)
    if not shape or shape[-1] is None:
        raise ValueError(f"{owner}: the last dimension of the inputs must be known, "
                         f"got shape {shape}")
    return int(shape[-1])


class _Cell(Layer):
    """Shared constructor of the built-in cells."""
    n_gates = 1
    _summary_shape_unknown = True   # Keras' cells have no compute_output_shape: '?' in summaries

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, dropout=0.0, recurrent_dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.units = int(units)
        if self.units <= 0:
            raise ValueError(f"{type(self).__name__}: units must be positive, got {units}")
        self.dropout = min(1.0, max(0.0, float(dropout)))
        self.recurrent_dropout = min(1.0, max(0.0, float(recurrent_dropout)))
        self.seed = seed
        self.masks = (None, None)   # (input, recurrent) dropout masks, set by RNN while training
        self.activation = _act.get(activation)
        self.recurrent_activation = _act.get(recurrent_activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = _init.get(kernel_initializer)
        self.recurrent_initializer = _init.get(recurrent_initializer)
        self.bias_initializer = _init.get(bias_initializer)
        self.kernel_regularizer = _reg.get(kernel_regularizer)
        self.recurrent_regularizer = _reg.get(recurrent_regularizer)
        self.bias_regularizer = _reg.get(bias_regularizer)
        self.bias = None

    @property
    def state_size(self):
        return self.units

    @property
    def output_size(self):
        return self.units

    def get_initial_state(self, batch_size=None):
        """Keras 3: the zero states, a list of (batch_size, size) tensors (batch_size may be a
        tensor, e.g. tf.shape(x)[0])."""
        return [_creation.zeros([batch_size, n], self.dtype) for n in _sizes(self.state_size)]

    def _bias_shape(self):
        return (self.n_gates * self.units,)

    def _bias_init(self):
        return self.bias_initializer

    def build(self, input_shape):
        d, k = _input_dim(type(self).__name__, input_shape), self.n_gates * self.units
        self.kernel = self.add_weight("kernel", (d, k), initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer)
        self.recurrent_kernel = self.add_weight("recurrent_kernel", (self.units, k),
                                                initializer=self.recurrent_initializer,
                                                regularizer=self.recurrent_regularizer)
        if self.use_bias:
            self.bias = self.add_weight("bias", self._bias_shape(), initializer=self._bias_init(),
                                        regularizer=self.bias_regularizer)
        self.built = True

    def make_masks(self, step_input, h, training):
        """Draw this call's dropout masks (Keras semantics: only when training, one mask for the
        inputs and one for the recurrent state, the same at every step); None = no dropout."""
        dp, rdp = self.dropout, self.recurrent_dropout
        self.masks = (_dropout_mask(step_input, dp, self.seed) if training and 0 < dp < 1
                      else None,
                      _dropout_mask(h, rdp, self.seed) if training and 0 < rdp < 1 else None)

    def _masked(self, inputs, h):
        """(inputs, h) with the dropout masks applied (h only where it is multiplied by the
        recurrent kernel)."""
        dp, rdp = self.masks
        return (inputs if dp is None else inputs * dp), (h if rdp is None else h * rdp)

    def get_config(self):
        return dict(super().get_config(), units=self.units,
                    activation=_act.serialize(self.activation),
                    recurrent_activation=_act.serialize(self.recurrent_activation),
                    use_bias=self.use_bias, dropout=self.dropout,
                    recurrent_dropout=self.recurrent_dropout, seed=self.seed)


class SimpleRNNCell(_Cell):
    """One step of a fully connected RNN: `h = activation(x @ kernel + h_prev @ recurrent_kernel
    + bias)`; `call(x, states) -> (h, [h])`.

    >>> import graphflow as tf
    >>> cell = SimpleRNNCell(2)
    >>> h, states = cell(tf.ones((1, 3)), [tf.zeros((1, 2))])
    >>> h.shape, cell.count_params()
    (TensorShape([1, 2]), 12)
    """

    def __init__(self, units, activation="tanh", **kwargs):
        kwargs.pop("recurrent_activation", None)
        super().__init__(units, activation=activation, **kwargs)

    def call(self, inputs, states):
        h_prev = states[0] if isinstance(states, (list, tuple)) else states
        inputs, h_rec = self._masked(inputs, h_prev)
        z = _m.matmul(inputs, self.kernel)
        if self.use_bias:
            z = z + self.bias
        h = self.activation(z + _m.matmul(h_rec, self.recurrent_kernel))
        return h, [h]


class _UnitForgetBias(_init.Initializer):
    """LSTM bias: `bias_initializer` everywhere except ones for the forget gate."""

    def __init__(self, base, units):
        self.base, self.units = base, units

    def __call__(self, shape, dtype=None):
        u = self.units
        return _s.concat([self.base((u,), dtype), _init.Ones()((u,), dtype),
                          self.base((2 * u,), dtype)], 0)


class LSTMCell(_Cell):
    """One LSTM step (Keras gate order i, f, c, o): `z = x @ kernel + h @ recurrent_kernel + bias`,
    `c = f * c_prev + i * activation(z_c)`, `h = o * activation(c)`; states `[h, c]`.

    >>> import graphflow as tf
    >>> cell = LSTMCell(2)
    >>> h, (h2, c) = cell(tf.ones((1, 3)), [tf.zeros((1, 2)), tf.zeros((1, 2))])
    >>> c.shape, cell.count_params(), cell.bias.numpy().tolist()
    (TensorShape([1, 2]), 48, [0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0])
    """
    n_gates = 4

    def __init__(self, units, unit_forget_bias=True, **kwargs):
        kwargs.pop("implementation", None)
        super().__init__(units, **kwargs)
        self.unit_forget_bias = bool(unit_forget_bias)

    @property
    def state_size(self):
        return [self.units, self.units]

    def _bias_init(self):
        if self.unit_forget_bias:
            return _UnitForgetBias(self.bias_initializer, self.units)
        return self.bias_initializer

    def call(self, inputs, states):
        h_prev, c_prev = states
        inputs, h_rec = self._masked(inputs, h_prev)
        z = _m.matmul(inputs, self.kernel) + _m.matmul(h_rec, self.recurrent_kernel)
        if self.use_bias:
            z = z + self.bias
        zi, zf, zc, zo = _s.split(z, 4, axis=-1)
        i = self.recurrent_activation(zi)
        f = self.recurrent_activation(zf)
        c = f * c_prev + i * self.activation(zc)
        o = self.recurrent_activation(zo)
        h = o * self.activation(c)
        return h, [h, c]

    def get_config(self):
        return dict(super().get_config(), unit_forget_bias=self.unit_forget_bias)


class GRUCell(_Cell):
    """One GRU step (Keras gate order z, r, h). With `reset_after=True` (the Keras 3 default, the
    cuDNN layout) the bias is (2, 3*units) — input and recurrent biases — and the reset gate
    multiplies `h @ recurrent_kernel_h + recurrent_bias_h`; `h = z * h_prev + (1 - z) * hh`.
    `recurrent_dropout` masks the h multiplied by the recurrent kernel (Keras 3's default GRU
    implementation silently ignores it; this follows its implementation=1, with one mask).

    >>> import graphflow as tf
    >>> cell = GRUCell(2)
    >>> h, _ = cell(tf.ones((1, 3)), [tf.zeros((1, 2))])
    >>> h.shape, cell.count_params(), tuple(cell.bias.shape)
    (TensorShape([1, 2]), 42, (2, 6))
    """
    n_gates = 3

    def __init__(self, units, reset_after=True, **kwargs):
        kwargs.pop("implementation", None)
        super().__init__(units, **kwargs)
        self.reset_after = bool(reset_after)

    def _bias_shape(self):
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def call(self, inputs, states):
        h_prev = states[0] if isinstance(states, (list, tuple)) else states
        u = self.units
        inputs, h_rec = self._masked(inputs, h_prev)
        mx = _m.matmul(inputs, self.kernel)
        if self.use_bias:
            mx = mx + (self.bias[0] if self.reset_after else self.bias)
        x_z, x_r, x_h = _s.split(mx, 3, axis=-1)
        if self.reset_after:
            mh = _m.matmul(h_rec, self.recurrent_kernel)
            if self.use_bias:
                mh = mh + self.bias[1]
            r_z, r_r, r_h = _s.split(mh, 3, axis=-1)
            z = self.recurrent_activation(x_z + r_z)
            r = self.recurrent_activation(x_r + r_r)
            r_h = r * r_h
        else:
            r_zr = _m.matmul(h_rec, self.recurrent_kernel[:, :2 * u])
            r_z, r_r = _s.split(r_zr, 2, axis=-1)
            z = self.recurrent_activation(x_z + r_z)
            r = self.recurrent_activation(x_r + r_r)
            r_h = _m.matmul(r * h_rec, self.recurrent_kernel[:, 2 * u:])
        hh = self.activation(x_h + r_h)
        h = z * h_prev + (1.0 - z) * hh
        return h, [h]

    def get_config(self):
        return dict(super().get_config(), reset_after=self.reset_after)


def _sizes(state_size):
    return list(state_size) if isinstance(state_size, (list, tuple)) else [state_size]


def _shapes(size):
    """A cell's `state_size` / `output_size` as per-sample shapes, one per state: an int is a
    vector, a TensorShape (or a list of ints inside the list) a shape (Keras' nested cells)."""
    def one(s_):
        if isinstance(s_, (int, np.integer)):
            return (int(s_),)
        return tuple(int(d) for d in s_)
    if isinstance(size, TensorShape):
        return [one(size)]
    return [one(s_) for s_ in _sizes(size)]


def _batch_zeros(inputs, shape, dtype):
    """Zeros of (batch,) + shape, the batch read from the first input's first step (so a
    dynamic batch size follows)."""
    x = flatten(inputs)[0][0]
    if x.ndim == 3:
        zero = _m.zeros_like(x[:, 0, :1])    # (batch, 1)
    else:
        zero = _m.zeros_like(_s.reshape(x[:, 0], (-1, int(np.prod(x.shape[2:]))))[:, :1])
    if len(shape) > 1:
        zero = _s.reshape(zero, (-1,) + (1,) * len(shape))
    return zero * np.zeros(shape, dtype)


def _bcast(m, x):
    """A (batch, 1) step mask shaped to select rows of x (any rank)."""
    return m if x.ndim <= 2 else _s.reshape(m, (-1,) + (1,) * (x.ndim - 1))


class _StateStore:
    """Holds a stateful RNN's state Variables out of the layer's weights (as Keras 3)."""
    vars = None


class StackedRNNCells(Layer):
    """Cells applied one after the other at each step (Keras' `StackedRNNCells`; `RNN([c1, c2])`
    makes one): each cell's output is the next one's input; the states are all cells' states,
    in order; the output is the last cell's.

    >>> import graphflow as tf
    >>> rnn = RNN([LSTMCell(3), GRUCell(2)], return_state=True)
    >>> out, (h1, c1), h2 = rnn(tf.ones((4, 5, 6)))   # Keras 3: one entry per cell
    >>> [tuple(t.shape) for t in (out, h1, c1, h2)]
    [(4, 2), (4, 3), (4, 3), (4, 2)]
    """
    _summary_shape_unknown = True   # as the cells (Keras: no compute_output_shape)

    def __init__(self, cells, **kwargs):
        super().__init__(**kwargs)
        self.cells = list(cells)

    @property
    def state_size(self):
        """One entry per cell, as Keras 3: `[[4, 4], 3]` for an LSTMCell(4) then a GRUCell(3)."""
        return [c.state_size for c in self.cells]

    @property
    def flat_state_size(self):
        """All cells' state sizes in one list (`[4, 4, 3]`): the states RNN carries."""
        return [n for c in self.cells for n in _sizes(c.state_size)]

    @property
    def output_size(self):
        last = self.cells[-1]
        return getattr(last, "output_size", None) or _sizes(last.state_size)[0]

    def build(self, input_shape):
        shape = tuple(input_shape)
        for c in self.cells:
            if not c.built:
                c.build(TensorShape(shape))
                c.built = True
            shape = shape[:-1] + (getattr(c, "output_size", None) or _sizes(c.state_size)[0],)
        self.built = True

    def _split(self, states):
        out, k = [], 0
        for c in self.cells:
            n = len(_sizes(c.state_size))
            out.append(list(states[k:k + n]))
            k += n
        return out

    def make_masks(self, step_input, h, training):
        del h
        x = step_input
        for c, st in zip(self.cells, self._split(self._mask_states)):
            if hasattr(c, "make_masks"):
                c.make_masks(x, st[0], training)
            size = getattr(c, "output_size", None) or _sizes(c.state_size)[0]
            x = _m.zeros_like(st[0][:, :1]) * np.zeros((int(size),), st[0].dtype.np)

    @property
    def masks(self):
        return tuple(getattr(c, "masks", (None, None)) for c in self.cells)

    @masks.setter
    def masks(self, value):
        for c in self.cells:
            if hasattr(c, "masks"):
                c.masks = (None, None)

    def call(self, inputs, states):
        x, new = inputs, []
        for c, st in zip(self.cells, self._split(list(states))):
            x, ns = c.call(x, st)
            new += list(ns) if isinstance(ns, (list, tuple)) else [ns]
        return x, new


def _flat_state_size(cell):
    """The state sizes RNN carries for `cell`: a stack's all cells' states in one list."""
    return cell.flat_state_size if isinstance(cell, StackedRNNCells) else cell.state_size


class RNN(Layer):
    """Run a cell over the time axis of (batch, time, features) inputs.

    The cell is any layer with `state_size` (int or list of ints) and
    `call(inputs, states) -> (output, new_states)`. Outputs: the last output, or all of them
    with `return_sequences=True` (in processing order, so reversed with `go_backwards=True`, as in
    Keras); with `return_state=True` a tuple `(output, *final_states)`. The time dimension must be
    static: eagerly the loop is a Python loop; traced by `graphflow.function` it is one
    while_loop node (see the module docstring).

    >>> import graphflow as tf
    >>> out, h = RNN(SimpleRNNCell(3), return_state=True)(tf.ones((2, 4, 5)))
    >>> out.shape, h.shape
    (TensorShape([2, 3]), TensorShape([2, 3]))
    """

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, unroll=False, zero_output_for_mask=False, **kwargs):
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(cell)
        super().__init__(**kwargs)
        self.cell = cell
        self.stateful = bool(stateful)
        self._state_store = _StateStore()   # stateful: the state Variables (not weights)
        self._last_states = None
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.zero_output_for_mask = bool(zero_output_for_mask)

    def build(self, input_shape):
        nested = isinstance(input_shape, (list, tuple)) and bool(input_shape) and \
            isinstance(input_shape[0], (list, tuple, TensorShape))
        shapes = [tuple(s_) for s_ in input_shape] if nested else [tuple(input_shape)]
        if any(len(s_) < 3 for s_ in shapes) or (not nested and len(shapes[0]) != 3):
            raise ValueError(f"{type(self).__name__} layer {self.name}: expected inputs of rank 3 "
                             f"(batch, time, features), got shape {input_shape}")
        shape = shapes[0]
        if not self.cell.built:   # the cell sees one step: the time axis dropped
            steps = [TensorShape((s_[0],) + s_[2:]) for s_ in shapes]
            self.cell.build(type(input_shape)(steps) if nested else steps[0])
            self.cell.built = True
        if self.stateful and self._state_store.vars is None:
            if shape[0] is None or not isinstance(shape[0], int):
                raise ValueError(f"{type(self).__name__} layer {self.name}: stateful=True needs a "
                                 f"static batch size (pass batch_size= or batch_input_shape=), "
                                 f"got inputs of shape {shape}")
            self._state_store.vars = [
                Variable(np.zeros((shape[0],) + sh, np.dtype(self.dtype)), trainable=False,
                         name=f"{self.name}/rnn_state_{i}")
                for i, sh in enumerate(_shapes(_flat_state_size(self.cell)))]
        self.built = True

    @property
    def states(self):
        """The state Variables of a stateful layer (None otherwise, or before it is built)."""
        return self._state_store.vars

    def reset_state(self):
        """Zero the states of a stateful layer (Keras: between independent sequences)."""
        for v in self._state_store.vars or ():
            v.assign(np.zeros(tuple(v.shape), v.dtype.np))

    reset_states = reset_state

    def get_initial_state(self, batch_size):
        """Keras 3: the cell's zero states for `batch_size` rows, a list (one tensor per state).

        >>> [s_.shape for s_ in LSTM(4).get_initial_state(2)]
        [TensorShape([2, 4]), TensorShape([2, 4])]
        """
        fn = getattr(self.cell, "get_initial_state", None)
        if fn is not None:
            st = fn(batch_size=batch_size)
            return list(st) if isinstance(st, (list, tuple)) else [st]
        return [_creation.zeros([batch_size, n], self.cell.dtype)
                for n in _sizes(_flat_state_size(self.cell))]

    def _initial_state(self, inputs):
        dt = flatten(inputs)[0][0].dtype.np
        return [_batch_zeros(inputs, sh, dt) for sh in _shapes(_flat_state_size(self.cell))]

    def _convert_inputs(self, inputs):
        if isinstance(inputs, (list, tuple)):   # a cell over several sequences (Keras' nested)
            return type(inputs)(super(RNN, self)._convert_inputs(x) for x in inputs)
        return super()._convert_inputs(inputs)

    def call(self, inputs, initial_state=None, mask=None, training=None):
        steps = flatten(inputs)[0][0].shape[1]
        if mask is not None:
            mask = to_tensor(mask)
            if mask.dtype != _dt.bool:
                mask = _m.cast(mask, _dt.bool)
        if steps is None and not isinstance(flatten(inputs)[0][0], SymbolicTensor):
            raise ValueError(f"{type(self).__name__} layer {self.name}: the number of time steps "
                             f"must be known, got shape {inputs.shape}")
        # (traced with a run-time number of steps, e.g. text padded to each batch's longest
        # row: the time loop's trip count is read when the graph runs)
        if initial_state is None and self.stateful:
            states = [v.read_value() for v in self._state_store.vars]
        elif initial_state is None:
            states = self._initial_state(inputs)
        else:
            states = list(initial_state) if isinstance(initial_state, (list, tuple)) \
                else [initial_state]
            if len(states) != len(_sizes(_flat_state_size(self.cell))):
                raise ValueError(f"{type(self).__name__} layer {self.name}: initial_state has "
                                 f"{len(states)} tensors, the cell has "
                                 f"{len(_sizes(_flat_state_size(self.cell)))} states")
        make_masks = getattr(self.cell, "make_masks", None)
        if make_masks is not None:
            if isinstance(self.cell, StackedRNNCells):
                self.cell._mask_states = states
            make_masks(inputs[:, 0, :], states[0], training)
        try:
            out = self._run(inputs, states, steps, mask)
            if self.stateful:   # the final states start the next call
                finals = self._last_states
                for v, st in zip(self._state_store.vars, finals):
                    v.assign(st)
            return out
        finally:
            self._last_states = None
            if isinstance(self.cell, StackedRNNCells):
                self.cell._mask_states = None
            if make_masks is not None:
                self.cell.masks = (None, None)

    def _step(self, x, states, prev_out, m):
        """One cell step; at masked steps (m False) the states stay and the output is the
        previous one (zeros with `zero_output_for_mask`), as Keras' rnn does."""
        out, new = self.cell.call(x, list(states))
        new = list(new) if isinstance(new, (list, tuple)) else [new]
        if m is not None:   # (batch, 1)
            new = [_m.where(_bcast(m, a), a, b) for a, b in zip(new, states)]
            if isinstance(out, (list, tuple)):
                out = type(out)(_m.where(_bcast(m, o), o, _m.zeros_like(o)
                                         if self.zero_output_for_mask else p)
                                for o, p in zip(out, prev_out))
            else:
                out = _m.where(m, out, _m.zeros_like(out) if self.zero_output_for_mask
                               else prev_out)
        return out, new

    def _zero_output(self, inputs):
        size = getattr(self.cell, "output_size", None) or _sizes(_flat_state_size(self.cell))[0]
        dt = flatten(inputs)[0][0].dtype.np
        zeros = [_batch_zeros(inputs, sh, dt) for sh in _shapes(size)]
        return zeros[0] if isinstance(size, (int, np.integer)) else zeros

    def _run(self, inputs, states, steps, mask):
        if isinstance(inputs, SymbolicTensor):   # traced: one while_loop node over time
            result, states = self._loop_node(inputs, states, steps, mask)
            self._last_states = states
            return (result, *self._state_outputs(states)) if self.return_state else result
        order = range(steps - 1, -1, -1) if self.go_backwards else range(steps)
        outputs = []
        out = self._zero_output(inputs)
        leaves, rebuild = flatten(inputs)
        for t in order:
            x = rebuild([v[:, t] for v in leaves]) if len(leaves) > 1 else inputs[:, t, :]
            out, states = self._step(x, states, out, None if mask is None else mask[:, t:t + 1])
            if self.return_sequences:
                outputs.append(out)
        if not self.return_sequences:
            result = out
        elif isinstance(out, (list, tuple)):   # each output's steps stacked
            result = type(out)(_s.stack([o[i] for o in outputs], axis=1)
                               for i in range(len(out)))
        else:
            result = _s.stack(outputs, axis=1)
        self._last_states = states
        if self.return_state:   # a tuple, as Keras 3's RNN.call returns
            return (result, *self._state_outputs(states))
        return result

    def _state_outputs(self, states):
        """The final states as `return_state` gives them after the output: one tensor per
        state of a single cell; for stacked cells one entry per cell, as Keras 3 - a list of
        the cell's states if its `state_size` is a list (LSTMCell: `[h, c]`), else the one
        state tensor (GRUCell, SimpleRNNCell)."""
        if not isinstance(self.cell, StackedRNNCells):
            return list(states)
        return [list(g) if isinstance(c.state_size, (list, tuple)) else g[0]
                for c, g in zip(self.cell.cells, self.cell._split(list(states)))]

    def _loop_node(self, inputs, states, steps, mask):
        """The time loop as one while_loop node (trip count `steps`, known when tracing); the
        outputs of every step are the history of the loop's `output` variable, so nothing is
        written per step beyond what the gradient needs anyway."""
        leaves, rebuild = flatten(inputs)
        trip = steps if isinstance(steps, (int, np.integer)) else None
        if trip is None:   # None or a symbolic Dim: known when the graph runs
            steps = _m.cast(_s.shape(leaves[0])[1], _dt.int32)
        # (time, batch, ...): row t is step t
        xs = [_s.transpose(v, (1, 0) + tuple(range(2, v.ndim))) for v in leaves]
        ms = None if mask is None else _s.expand_dims(_s.transpose(mask, (1, 0)), -1)
        n_s = len(states)
        back = self.go_backwards
        zero_out = self._zero_output(inputs)
        out_leaves, out_rebuild = flatten(zero_out)
        n_o = len(out_leaves)

        def body(t, *vs):
            k = (steps - 1 - t) if back else t
            x = [control_ops.history_read(v, k) for v in xs]
            prev = vs[n_s] if n_o == 1 and not isinstance(zero_out, (list, tuple)) else \
                out_rebuild(list(vs[n_s:n_s + n_o]))
            out, new = self._step(rebuild(x) if len(leaves) > 1 else x[0], vs[:n_s], prev,
                                  None if ms is None else control_ops.history_read(ms, k))
            return [t + 1] + new + flatten(out)[0]

        vars_ = [to_tensor(np.int32(0))] + [to_tensor(s) for s in states] + \
            [to_tensor(o) for o in out_leaves]
        finals, loop, ins = control_ops.build_while(
            lambda t, *_: t < steps, body, vars_, user_source(), with_loop=True,
            trip_count=trip)
        if self.return_sequences:   # rows 1..steps of each output's history, batch first
            res = []
            for i in range(n_o):
                hist = control_ops.loop_output(loop, ins, loop.n_vars + n_s + 1 + i)
                res.append(_s.transpose(hist[1:], (1, 0) + tuple(range(2, hist.ndim))))
        else:
            res = list(finals[n_s + 1:n_s + 1 + n_o])
        return out_rebuild(res), list(finals[1:n_s + 1])

    def compute_mask(self, inputs, mask=None):
        return mask if self.return_sequences else None

    def get_config(self):
        return dict(super().get_config(), return_sequences=self.return_sequences,
                    return_state=self.return_state, go_backwards=self.go_backwards,
                    stateful=self.stateful, zero_output_for_mask=self.zero_output_for_mask)


class _Builtin(RNN):
    cell_class = None

    def __init__(self, units, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, unroll=False, name=None, dtype=None, trainable=True,
                 input_shape=None, batch_input_shape=None, batch_size=None,
                 zero_output_for_mask=False, **cell_kwargs):
        # Keras 3 names the cell after its class, not uniquified ('lstm_cell' in every LSTM,
        # the backward copy in Bidirectional too): weight paths 'backward_lstm/lstm_cell/kernel'
        cell_kwargs.setdefault("name", _snake(self.cell_class.__name__))
        cell = self.cell_class(units, dtype=dtype, trainable=trainable, **cell_kwargs)
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll, name=name,
                         zero_output_for_mask=zero_output_for_mask,
                         dtype=dtype, trainable=trainable, input_shape=input_shape,
                         batch_input_shape=batch_input_shape, batch_size=batch_size)

    def __init_subclass__(cls, **kwargs):
        # each layer's __init__ states its cell's arguments too (activation, dropout, ...), so
        # tools reading constructor signatures (the .keras loader) see every config key
        super().__init_subclass__(**kwargs)
        if cls.cell_class is None or "__init__" in cls.__dict__:
            return

        def __init__(self, units, **kw):
            _Builtin.__init__(self, units, **kw)
        P = inspect.Parameter
        params, seen = [P("self", P.POSITIONAL_OR_KEYWORD)], {"self"}
        mro = cls.cell_class.__mro__
        for klass in mro[:mro.index(_Cell) + 1] + (_Builtin,):
            init = klass.__dict__.get("__init__")
            if init is None:
                continue
            for name, p in inspect.signature(init).parameters.items():
                if name not in seen and p.kind not in (P.VAR_KEYWORD, P.VAR_POSITIONAL):
                    seen.add(name)
                    params.append(p.replace(kind=P.KEYWORD_ONLY) if len(params) > 1
                                  else p.replace(kind=P.POSITIONAL_OR_KEYWORD))
        # (no **kwargs: the RNN base's `cell` is not an argument of these layers, as in Keras)
        __init__.__signature__ = inspect.Signature(params)
        __init__.__doc__ = f"{cls.__name__}(units, ...): the RNN arguments and {cls.cell_class.__name__}'s."
        cls.__init__ = __init__

    @property
    def units(self):
        return self.cell.units

    def get_config(self):
        cfg = dict(self.cell.get_config())
        for k in ("name", "trainable", "dtype"):
            cfg.pop(k, None)
        return dict(super().get_config(), **cfg)


class SimpleRNN(_Builtin):
    """Fully connected RNN layer (Keras 3 defaults: tanh, glorot_uniform kernel, orthogonal
    recurrent kernel, zero bias); parameters `units * (input + units + 1)`. See `RNN` for the
    time loop (one while_loop node when traced).

    >>> import graphflow as tf
    >>> SimpleRNN(4)(tf.ones((2, 3, 5))).shape
    TensorShape([2, 4])
    """
    cell_class = SimpleRNNCell


class LSTM(_Builtin):
    """Long short-term memory layer (Keras 3 layout and defaults, unit_forget_bias=True);
    parameters `4 * units * (input + units + 1)`; `return_state=True` gives `[out, h, c]`.
    See `RNN` for the time loop (one while_loop node when traced).

    >>> import graphflow as tf
    >>> out, h, c = LSTM(4, return_state=True)(tf.ones((2, 3, 5)))
    >>> out.shape, c.shape
    (TensorShape([2, 4]), TensorShape([2, 4]))
    """
    cell_class = LSTMCell


class GRU(_Builtin):
    """Gated recurrent unit layer (Keras 3 layout, reset_after=True: bias (2, 3*units));
    parameters `3 * units * (input + units + 2)`. See `RNN` for the time loop (one while_loop
    node when traced).

    >>> import graphflow as tf
    >>> GRU(4, return_sequences=True)(tf.ones((2, 3, 5))).shape
    TensorShape([2, 3, 4])
    """
    cell_class = GRUCell


class Masking(Layer):
    """Skip time steps whose features all equal `mask_value`: zeroes them and gives the next
    layers the mask `any(inputs != mask_value, axis=-1)` (recurrent layers then carry their state
    over those steps), as Keras' Masking.

    >>> import graphflow as tf
    >>> x = tf.constant([[[1., 2.], [0., 0.]]])
    >>> Masking(0.0).compute_mask(x).numpy()
    array([[ True, False]])
    """
    supports_masking = True

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        self.mask_value = mask_value

    def compute_mask(self, inputs, mask=None):
        return _m.reduce_any(_m.not_equal(to_tensor(inputs), self.mask_value), axis=-1)

    def call(self, inputs):
        keep = _m.reduce_any(_m.not_equal(inputs, self.mask_value), axis=-1, keepdims=True)
        return inputs * _m.cast(keep, inputs.dtype)

    def get_config(self):
        return dict(super().get_config(), mask_value=self.mask_value)


def _reversed_copy(layer):
    """A new, unbuilt layer like `layer` that runs the other way in time (Keras: from its config
    with go_backwards flipped; an RNN with a custom cell is copied before it is built)."""
    cfg = dict(layer.get_config(), go_backwards=not layer.go_backwards,
               name="backward_" + layer.name)
    try:
        return type(layer).from_config(cfg)
    except TypeError:
        if layer.built:
            raise ValueError(f"Bidirectional: cannot make the backward copy of the built layer "
                             f"{layer.name} from its config; pass backward_layer=") from None
        out = copy.deepcopy(layer)
        out.go_backwards, out._name = not layer.go_backwards, cfg["name"]
        return out


class Bidirectional(Layer):
    """Run a recurrent layer forwards and a copy of it backwards over the sequence and merge the
    two (`merge_mode` 'concat' (default), 'sum', 'ave', 'mul', or None for a list). With
    `return_sequences` the backward outputs are put back in time order before merging; with
    `return_state` the forward then the backward final states follow the output. Weights: the
    forward layer's, then the backward layer's (Keras' layout).

    >>> import graphflow as tf
    >>> bi = Bidirectional(LSTM(3, return_sequences=True))
    >>> bi(tf.ones((2, 4, 5))).shape, bi.count_params()
    (TensorShape([2, 4, 6]), 216)
    """

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None, **kwargs):
        if merge_mode not in ("concat", "sum", "ave", "mul", None):
            raise ValueError(f"Bidirectional: merge_mode must be 'concat', 'sum', 'ave', 'mul' or "
                             f"None, got {merge_mode!r}")
        if not isinstance(layer, RNN):
            raise ValueError(f"Bidirectional: needs a recurrent layer, got {type(layer).__name__}")
        kwargs.setdefault("dtype", layer.dtype)   # inputs are converted as the layer would
        super().__init__(**kwargs)
        backward = _reversed_copy(layer) if backward_layer is None else backward_layer
        if backward.go_backwards == layer.go_backwards:
            raise ValueError("Bidirectional: backward_layer must have go_backwards="
                             f"{not layer.go_backwards}")
        if not layer.name.startswith("forward_"):
            layer._name = "forward_" + layer.name
        self.forward_layer, self.backward_layer = layer, backward
        self.merge_mode = merge_mode
        self.return_sequences, self.return_state = layer.return_sequences, layer.return_state
        if weights is not None:
            self._initial_weights = weights

    def call(self, inputs, initial_state=None, mask=None, training=None):
        kw = {"mask": mask, "training": training}
        fw_state = bw_state = None
        if initial_state is not None:
            half = len(initial_state) // 2
            fw_state, bw_state = list(initial_state[:half]), list(initial_state[half:])
        y = self.forward_layer(inputs, initial_state=fw_state, **kw)
        y_rev = self.backward_layer(inputs, initial_state=bw_state, **kw)
        states = []
        if self.return_state:
            states = list(y[1:]) + list(y_rev[1:])
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            y_rev = _a.reverse(y_rev, [1])
        if self.merge_mode == "concat":
            out = _s.concat([y, y_rev], axis=-1)
        elif self.merge_mode == "sum":
            out = y + y_rev
        elif self.merge_mode == "ave":
            out = (y + y_rev) * 0.5
        elif self.merge_mode == "mul":
            out = y * y_rev
        else:
            out = [y, y_rev]
        if self.return_state:
            return (out if isinstance(out, list) else [out]) + states
        return out

    def build(self, input_shape):
        self.built = True

    def compute_mask(self, inputs, mask=None):
        return mask if self.return_sequences else None

    def get_config(self):
        from .saving import serialize_keras_object   # (saving imports the layer modules)
        return dict(super().get_config(), merge_mode=self.merge_mode,
                    layer=serialize_keras_object(self.forward_layer),
                    backward_layer=serialize_keras_object(self.backward_layer))
